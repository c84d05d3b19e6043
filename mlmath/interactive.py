"""Explorers that work both live in Jupyter and in the static HTML book.

An :class:`Explorer` wraps a drawing function ``draw(fig, **values)`` and a grid
of parameter values. Displayed in a notebook it offers two renderings of the
same figures (DESIGN §6):

* ``application/vnd.jupyter.widget-view+json``: ipywidgets sliders and menus,
  redrawn by the kernel (JupyterLab, Binder);
* ``text/html``: every point of the grid rendered in advance to a PNG, with
  plain HTML sliders and a few lines of inline JavaScript that swap frames.
  This needs no kernel and no external script, so it works in the built book
  (configured to prefer ``text/html``), on nbviewer, and offline.

Both renderings draw through the same cached function, so what a reader sees
in the book is exactly what the live widget shows for the same settings.

Which one JupyterLab shows:

* a notebook opened as cloned is untrusted, so JupyterLab picks the safe
  ``text/html`` with its script removed: the static frame and a line that says
  to run the cell (the script, where it runs, removes that line);
* once the cell has run, the widget view wins (JupyterLab ranks it first for
  trusted output) and the kernel redraws;
* after save and reopen without that kernel, JupyterLab still picks the widget
  view, and its renderer has no fallback to the next type in the bundle: with
  no model it prints "Error displaying widget: model not found". No bundle can
  avoid that short of dropping the widget, so the fix is on the saving side:
  ``jupyterlab-settings/`` (installed by ``requirements.txt``, locally and on
  Binder) turns on the widget manager's ``saveState``, JupyterLab writes the
  widgets' state into the notebook when it saves, and the reopened explorer
  comes back as it was left (marked disconnected until the cell runs again).
  ``tools/run_notebooks.py`` still commits notebooks without widget state.
  ``tests/test_jupyterlab.py`` checks all three in a real JupyterLab.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["Explorer"]

_instances = itertools.count()  # makes element ids unique yet identical run to run


def _format(value: Any) -> str:
    """A parameter value as a reader should see it on a slider."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def _is_numeric(values: Sequence[Any]) -> bool:
    return all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in values
    )


class Explorer:
    """A figure that depends on a few parameters, explorable with or without a kernel.

    The first one is in Chapter 1, :ref:`sec-explorer-residuals`.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **values)`` draws one frame into an empty
        :class:`matplotlib.figure.Figure`, for one value of every parameter.
        It must be deterministic.
    params : mapping of str to sequence
        The grid: for each parameter (the keyword ``draw`` receives) the values
        a reader can choose. Numbers get a slider, anything else a menu. The
        static rendering holds one frame per combination, so keep the product
        of the lengths small (at most ``max_frames``).
    title : str
        Shown above the controls.
    labels : mapping of str to str, optional
        Display names of the parameters (default: the keyword names).
    describe : callable, optional
        ``describe(**values)`` returns alt text for the frame of those values:
        what the figure shows there, for a reader who cannot see it. By default
        the alt text is the title followed by the current value of every
        parameter. Either way it follows the sliders.
    initial : mapping of str to value, optional
        The starting value of each parameter (default: its first value).
    figsize : (float, float)
        Figure size in inches.
    dpi : int
        Resolution of every frame; modest values keep the page light.
    max_frames : int
        Refuse grids larger than this.

    Examples
    --------
    >>> def draw(fig, slope):
    ...     ax = fig.subplots()
    ...     ax.plot([0, 1], [0, slope])
    >>> explorer = Explorer(draw, {"slope": [-1.0, 0.0, 1.0]}, title="A line")
    >>> explorer.n_frames
    3
    """

    def __init__(
        self,
        draw: Callable[..., None],
        params: Mapping[str, Sequence[Any]],
        *,
        title: str = "",
        labels: Mapping[str, str] | None = None,
        describe: Callable[..., str] | None = None,
        initial: Mapping[str, Any] | None = None,
        figsize: tuple[float, float] = (8.0, 3.2),
        dpi: int = 72,
        max_frames: int = 150,
    ) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be a function draw(fig, **values), got {draw!r}")
        if not isinstance(params, Mapping) or not params:
            raise ValueError("params must be a non-empty mapping of name -> list of values")
        self.params: dict[str, tuple[Any, ...]] = {}
        for name, values in params.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"parameter names must be identifiers, got {name!r}")
            if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
                raise TypeError(f"params[{name!r}] must be a list of values, got {values!r}")
            values = tuple(values)
            if not values:
                raise ValueError(f"params[{name!r}] is empty; give at least one value")
            if len({_format(v) for v in values}) != len(values):
                raise ValueError(f"params[{name!r}] repeats a value: {values!r}")
            self.params[name] = values
        self.n_frames = int(np.prod([len(v) for v in self.params.values()]))
        if self.n_frames > max_frames:
            sizes = " x ".join(str(len(v)) for v in self.params.values())
            raise ValueError(
                f"the grid has {sizes} = {self.n_frames} frames, more than max_frames="
                f"{max_frames}; use fewer values (every frame is a PNG in the page)"
            )
        self.labels = {name: name for name in self.params} | dict(labels or {})
        if describe is not None and not callable(describe):
            raise TypeError(f"describe must be a function describe(**values), got {describe!r}")
        self.describe = describe
        self.initial = {name: values[0] for name, values in self.params.items()}
        for name, value in (initial or {}).items():
            if name not in self.params or value not in self.params[name]:
                raise ValueError(f"initial[{name!r}] = {value!r} is not one of the grid's values")
            self.initial[name] = value
        self.draw, self.title, self.figsize, self.dpi = draw, title, figsize, dpi
        self._frames: dict[tuple[int, ...], bytes] = {}
        #: smallest text in any rendered frame, in pixels of the PNG (checked on phones)
        self.min_font_px = float("inf")
        key = json.dumps([title, {k: [_format(v) for v in vs] for k, vs in self.params.items()}])
        digest = hashlib.sha1(f"{key}|{next(_instances)}".encode()).hexdigest()[:10]
        self.id = f"mlmath-explorer-{digest}"

    def __repr__(self) -> str:
        grid = ", ".join(f"{k}: {len(v)} values" for k, v in self.params.items())
        return f"Explorer({self.title!r}; {grid}; {self.n_frames} frames)"

    # -- rendering ---------------------------------------------------------------
    def _index(self, values: Mapping[str, Any]) -> tuple[int, ...]:
        index = []
        for name, grid in self.params.items():
            if name not in values:
                raise ValueError(f"missing a value for parameter {name!r}")
            try:
                index.append(grid.index(values[name]))
            except ValueError:
                raise ValueError(
                    f"{name}={values[name]!r} is not on the grid {list(grid)!r}"
                ) from None
        return tuple(index)

    def frame(self, **values: Any) -> bytes:
        """The PNG for one combination of values (rendered once, then cached)."""
        index = self._index(values)
        if index not in self._frames:
            fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
            self.draw(fig, **values)
            _raise_small_text(fig, MIN_TEXT_PX * 72 / self.dpi)
            self._frames[index] = _to_png(fig, self.dpi)
            # measured after the figure was drawn, when its tick labels exist
            sizes = [
                text.get_fontsize() * self.dpi / 72
                for text in fig.findobj(Text)
                if text.get_visible() and text.get_text().strip()
            ]
            self.min_font_px = min([self.min_font_px, *sizes])
        return self._frames[index]

    def alt(self, **values: Any) -> str:
        """Alt text of the frame for ``values``: ``describe(**values)`` or title and values."""
        self._index(values)  # the same error as frame() off the grid
        if self.describe is not None:
            return str(self.describe(**values))
        shown = ", ".join(f"{self.labels[n]} = {_format(values[n])}" for n in self.params)
        return f"{self.title or 'Explorer'}: {shown}"

    def html(self) -> str:
        """The static rendering: all frames, plain HTML controls, inline script."""
        names = list(self.params)
        grid = itertools.product(*self.params.values())
        combos = [dict(zip(names, combo, strict=True)) for combo in grid]
        frames = [base64.b64encode(self.frame(**c)).decode("ascii") for c in combos]
        alts = [self.alt(**c) for c in combos]
        start = self._index(self.initial)
        controls = []
        for i, name in enumerate(names):
            grid, label = self.params[name], html.escape(self.labels[name])
            if _is_numeric(grid):
                shown = html.escape(_format(grid[start[i]]))
                control = (
                    f'<input type="range" min="0" max="{len(grid) - 1}" step="1" '
                    f'value="{start[i]}" data-axis="{i}" aria-label="{label}" '
                    f'aria-valuetext="{shown}">'
                    f'<output style="{_STYLE["output"]}">'
                    f"{html.escape(_format(grid[start[i]]))}</output>"
                )
            else:
                options = "".join(
                    f'<option value="{j}"{" selected" if j == start[i] else ""}>'
                    f"{html.escape(_format(v))}</option>"
                    for j, v in enumerate(grid)
                )
                control = f'<select data-axis="{i}" aria-label="{label}">{options}</select>'
            controls.append(
                f'<label class="mlmath-explorer-control" style="{_STYLE["label"]}">'
                f"{label} {control}</label>"
            )
        data = {
            "sizes": [len(v) for v in self.params.values()],
            "values": [[_format(v) for v in vs] for vs in self.params.values()],
            "frames": frames,
            "alts": alts,
        }
        flat = int(np.ravel_multi_index(start, data["sizes"]))
        title = (
            f'<div class="mlmath-explorer-title" style="{_STYLE["title"]}">'
            f"{html.escape(self.title)}</div>"
        )
        return (
            f'<div class="mlmath-explorer" id="{self.id}" '
            f'data-min-font-px="{self.min_font_px:.1f}">{title if self.title else ""}'
            f'<div class="mlmath-explorer-controls" style="{_STYLE["controls"]}">'
            f"{''.join(controls)}</div>"
            # Where scripts do not run (an untrusted notebook in JupyterLab strips them and
            # disables the controls) this line stays and says what to do; the script removes it.
            f'<p class="mlmath-explorer-hint" style="{_STYLE["hint"]}">'
            "Static preview: run this cell to move the sliders.</p>"
            f'<img class="mlmath-explorer-frame" alt="{html.escape(alts[flat])}" '
            f'src="data:image/png;base64,{frames[flat]}" style="max-width:100%;background:white">'
            f'<script type="application/json">{json.dumps(data)}</script>'
            f"<script>{_SCRIPT % json.dumps(self.id)}</script></div>"
        )

    def widget(self) -> Any:
        """The live rendering: ipywidgets controls that redraw through the kernel."""
        import ipywidgets as widgets

        # Shown at the frame's own pixel size (a stretched PNG is blurry), never wider than
        # the cell; every control's label gets the same width, so the slider tracks line up.
        width = round(self.figsize[0] * self.dpi)
        image = widgets.Image(
            value=self.frame(**self.initial),
            format="png",
            layout=widgets.Layout(width=f"{width}px", max_width="100%", height="auto"),
        )
        label_width = f"{max(len(label) for label in self.labels.values()) + 1}ch"
        # ipywidgets gives a control 300 px in all, label included: a long label would leave
        # the slider's track no length at all, so the track gets its own 16em on top
        control_width = f"calc({label_width} + 16em)"
        controls: dict[str, Any] = {}
        for name, grid in self.params.items():
            common = {
                "options": [(_format(v), v) for v in grid],
                "value": self.initial[name],
                "description": self.labels[name],
                "style": {"description_width": label_width},
                "layout": widgets.Layout(width=control_width, max_width="100%"),
            }
            if _is_numeric(grid):
                controls[name] = widgets.SelectionSlider(**common, continuous_update=False)
            else:
                controls[name] = widgets.Dropdown(**common)

        def redraw(_change: Any = None) -> None:
            image.value = self.frame(**{n: c.value for n, c in controls.items()})

        for control in controls.values():
            control.observe(redraw, names="value")
        children = [widgets.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        return widgets.VBox([*children, *controls.values(), image])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # Both views; which one a client shows, and why a reopened notebook needs saved
        # widget state rather than a fallback here, is in the module docstring.
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self.html()}
        try:
            live = self.widget()._repr_mimebundle_()
        except ImportError:  # ipywidgets missing: the static view still works
            live = None
        if live:
            bundle["application/vnd.jupyter.widget-view+json"] = live[
                "application/vnd.jupyter.widget-view+json"
            ]
        return bundle


#: Smallest text an explorer frame draws, in pixels of the PNG. Frames are shown at their
#: natural size on a phone (they scroll sideways there), so this is what a reader sees.
MIN_TEXT_PX = 9.0


def _raise_small_text(fig: Figure, min_pt: float) -> None:
    """Enlarge every text of ``fig`` smaller than ``min_pt`` points (tick labels included)."""
    fig.draw_without_rendering()  # creates the tick labels the figure will draw
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which, ticks in (
                ("major", axis.get_major_ticks()),
                ("minor", axis.get_minor_ticks()),
            ):
                if ticks and ticks[0].label1.get_fontsize() < min_pt:
                    ax.tick_params(axis=axis.axis_name, which=which, labelsize=min_pt)
    for text in fig.findobj(Text):
        if text.get_text().strip() and text.get_fontsize() < min_pt:
            text.set_fontsize(min_pt)


def _to_png(fig: Figure, dpi: int) -> bytes:
    """Encode a figure as a compact PNG.

    A page holds every frame of every explorer, so size matters: reducing the
    figure to a 256-colour palette makes frames several times smaller with no
    visible change to line art. No 'Software' stamp, so the same figure gives
    the same bytes on every run.
    """
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    raw.seek(0)
    with Image.open(raw) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


# Inline, so the explorer looks the same in the book, JupyterLab and nbviewer: one
# control per group, spaced apart, with its value in a fixed-width box beside it
# (so "250" and the next label never run together, and the layout does not jump).
_STYLE = {
    "title": "font-weight:600;margin-bottom:0.3em",
    "controls": "display:flex;flex-wrap:wrap;align-items:center;gap:0.3em 2em;margin-bottom:0.4em",
    "label": "display:inline-flex;align-items:center;gap:0.5em;white-space:nowrap",
    "output": "display:inline-block;min-width:3.5em;font-variant-numeric:tabular-nums",
    "hint": "margin:0 0 0.4em 0;font-style:italic",
}


# Finds its own explorer by id, so any number of explorers can share a page.
_SCRIPT = """(function () {
  var root = document.getElementById(%s);
  if (!root) { return; }
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var img = root.querySelector("img.mlmath-explorer-frame");
  var inputs = root.querySelectorAll("[data-axis]");
  var hint = root.querySelector(".mlmath-explorer-hint");
  if (hint) { hint.remove(); }
  function update() {
    var flat = 0;
    inputs.forEach(function (el) {
      var axis = Number(el.dataset.axis), i = Number(el.value);
      flat = flat * data.sizes[axis] + i;
      var out = el.parentNode.querySelector("output");
      if (out) { out.textContent = data.values[axis][i]; }
      if (el.type === "range") { el.setAttribute("aria-valuetext", data.values[axis][i]); }
    });
    img.src = "data:image/png;base64," + data.frames[flat];
    img.alt = data.alts[flat];
  }
  inputs.forEach(function (el) { el.addEventListener("input", update); });
})();"""
