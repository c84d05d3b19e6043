"""The dual-mode explorer: static frames for the book, live widgets for Jupyter."""

from __future__ import annotations

import base64
import json
import re

import pytest

from mlmath.interactive import Explorer


def draw(fig, slope, style):
    ax = fig.subplots()
    ax.plot([0, 1], [0, slope], ls="-" if style == "solid" else "--")
    ax.set_ylim(-3, 3)


def make(**kwargs):
    return Explorer(draw, {"slope": [-2.0, 0.0, 2.0], "style": ["solid", "dashed"]}, **kwargs)


def test_static_html_holds_one_distinct_png_per_grid_point():
    html = make(title="Lines").html()
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', html).group(1))
    assert data["sizes"] == [3, 2]
    frames = data["frames"]
    assert len(frames) == 6
    assert len(set(frames)) == 6  # every setting draws something different
    for frame in frames:
        assert base64.b64decode(frame).startswith(b"\x89PNG")
    assert 'type="range"' in html and "<select" in html  # numbers slide, words pick
    assert "<script>" in html and "http" not in html  # inline script, nothing remote


def test_frames_are_deterministic_and_ids_unique():
    a, b = make(), make()
    assert a.frame(slope=2.0, style="solid") == b.frame(slope=2.0, style="solid")
    assert a.id != b.id


def test_initial_value_selects_the_first_frame_shown():
    explorer = make(initial={"slope": 2.0, "style": "dashed"})
    html = explorer.html()
    shown = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(shown) == explorer.frame(slope=2.0, style="dashed")


def test_mimebundle_offers_static_and_live_views():
    bundle = make()._repr_mimebundle_()
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(bundle)
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]


def test_live_widget_redraws_through_the_same_frames():
    explorer = make()
    box = explorer.widget()
    slider, menu, image = box.children
    assert image.value == explorer.frame(slope=-2.0, style="solid")
    slider.value = 2.0
    menu.value = "dashed"
    assert image.value == explorer.frame(slope=2.0, style="dashed")


@pytest.mark.parametrize(
    "params, kwargs, error, message",
    [
        ({}, {}, ValueError, r"non-empty mapping"),
        ({"a": []}, {}, ValueError, r"params\['a'\] is empty"),
        ({"a": "abc"}, {}, TypeError, r"must be a list of values"),
        ({"not valid": [1]}, {}, ValueError, r"identifiers"),
        ({"a": [1, 1]}, {}, ValueError, r"repeats a value"),
        ({"a": list(range(20)), "b": list(range(20))}, {}, ValueError, r"20 x 20 = 400 frames"),
        ({"a": [1, 2]}, {"initial": {"a": 3}}, ValueError, r"initial\['a'\] = 3"),
    ],
)
def test_bad_grids(params, kwargs, error, message):
    with pytest.raises(error, match=message):
        Explorer(draw, params, **kwargs)


def test_frame_off_grid_is_refused():
    with pytest.raises(ValueError, match=r"slope=1.0 is not on the grid"):
        make().frame(slope=1.0, style="solid")


def test_alt_text_names_the_values_and_follows_describe():
    explorer = make(title="Lines")
    assert explorer.alt(slope=2.0, style="dashed") == "Lines: slope = 2, style = dashed"
    described = make(describe=lambda slope, style: f"a {style} line of slope {slope:g}")
    html = described.html()
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', html).group(1))
    assert data["alts"][0] == "a solid line of slope -2"
    assert len(set(data["alts"])) == 6  # one description per frame, swapped by the script
    assert 'alt="a solid line of slope -2"' in html
    with pytest.raises(TypeError, match="describe must be a function"):
        make(describe="not callable")


def test_static_view_says_to_run_the_cell_and_sliders_announce_their_value():
    html = make().html()
    # the hint is plain HTML (it needs no script to show); the script removes it where it runs
    assert "run this cell to move the sliders" in html
    assert "hint.remove()" in html
    assert 'aria-valuetext="-2"' in html


def test_live_image_keeps_its_natural_size_and_labels_line_up():
    explorer = Explorer(
        draw,
        {"slope": [-2.0, 2.0], "style": ["solid", "dashed"]},
        labels={"slope": "slope w", "style": "line style"},
        figsize=(5.0, 2.0),
        dpi=80,
    )
    slider, menu, image = explorer.widget().children
    assert image.layout.width == "400px" and image.layout.max_width == "100%"
    assert slider.style.description_width == menu.style.description_width == "11ch"


def test_smallest_text_of_the_frames_is_measured():
    def draw_small(fig, size):
        ax = fig.subplots()
        ax.set_title("title", fontsize=size)
        ax.tick_params(labelsize=12)

    explorer = Explorer(draw_small, {"size": [7.0, 14.0]}, dpi=100)
    html = explorer.html()
    # 7 pt at 100 dpi is 9.7 px: the smallest text of any frame (the tick labels are 12 pt)
    assert explorer.min_font_px == pytest.approx(7 * 100 / 72)
    assert 'data-min-font-px="9.7"' in html


def test_text_below_the_legible_size_is_enlarged():
    def draw_tiny(fig, size):
        ax = fig.subplots()
        ax.set_title("title", fontsize=size)
        ax.tick_params(labelsize=4)
        ax.plot([0, 1], label="line")
        ax.legend(fontsize=3)

    explorer = Explorer(draw_tiny, {"size": [2.0, 20.0]}, dpi=72)
    explorer.html()
    # every title, tick label and legend entry drawn at >= 9 px
    assert explorer.min_font_px == pytest.approx(9.0)
