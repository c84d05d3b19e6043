"""The browser runtime: JupyterLite on Pyodide inside the built book (``_ext/lite_book.py``).

First, without a browser: the supply check refuses a tampered or missing Pyodide file and
names it, a book whose runtime sources are missing still builds (saying so in one line), and
``mlmath.runtime.skip_in_browser`` says what it skips.

Then the reader's path, in Debian's headless Chromium over the built book (the same build as
tests/test_book.py) served on localhost, with every request to another host aborted and
recorded: Chapter 1's page, its "Run in your browser" link, the kernel, Run All (every cell
succeeds or prints that it skipped in the browser), a slider of a live explorer (its image
changes), and no request to another host. The time from the click to the first cell's output
is printed (``pytest -s``), not asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import require_lite
from test_book import (  # noqa: F401 (site is a fixture; browser comes from conftest.py)
    PAGES,
    SCREENSHOTS,
    VIEWPORT,
    page_weight,
    site,
    source_of,
)
from test_jupyterlab import _IMAGE_JS, _NOTEBOOK, _RAN_ALL_JS

from mlmath import runtime

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import lite_book  # noqa: E402

NPM_PYODIDE = ROOT / "node_modules" / "pyodide"
CHAPTER = "chapters/01_linear_regression"
KERNEL_TIMEOUT_MS = 180_000
RUN_ALL_TIMEOUT_MS = 300_000


# --- the supply, without a browser -----------------------------------------------------------
def test_skip_in_browser_says_what_it_skips(monkeypatch, capsys):
    monkeypatch.setattr(runtime, "IN_BROWSER", False)
    assert runtime.skip_in_browser("needs threads") is False
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(runtime, "IN_BROWSER", True)
    assert runtime.skip_in_browser("needs threads") is True
    assert capsys.readouterr().out == runtime.SKIP_MESSAGE + "needs threads\n"
    with pytest.raises(ValueError, match="reason"):
        runtime.skip_in_browser("  ")
    with pytest.raises(TypeError, match="reason must be a str"):
        runtime.skip_in_browser(None)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    found = lite_book.find_sources(ROOT, tmp_path_factory.mktemp("downloads"))
    if isinstance(found, str):  # skip here; under CI, where .ci/run installs them, fail
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no runtime sources: {found}")
    return found


def _npm_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "node_modules" / "pyodide"
    shutil.copytree(NPM_PYODIDE, copy, ignore=shutil.ignore_patterns("*.map"))
    return copy


def test_assembled_runtime_holds_exactly_the_checked_files(sources, tmp_path):
    shipped = lite_book.assemble(ROOT, sources, tmp_path / "lite")
    pyodide = tmp_path / "lite" / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())["packages"]
    official = json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())["packages"]
    for name, entry in lock.items():
        if name in ("mlmath", "ipywidgets", "comm", "myst-nb"):
            wheel = pyodide / entry["file_name"]  # ../../pypi/<wheel>
        else:
            assert official[name]["sha256"] == entry["sha256"], name
            wheel = pyodide / entry["file_name"]
            assert shipped[entry["file_name"]] == entry["sha256"], name
        assert lite_book._sha256(wheel.resolve().read_bytes()) == entry["sha256"], name
    for name in ("numpy", "matplotlib", "scipy", "scikit-learn", "mlmath", "ipywidgets"):
        assert name in lock, f"{name} is not in the served pyodide-lock.json"
    assert "pandas" not in lock  # only what is shipped is listed
    config = json.loads((tmp_path / "lite" / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][lite_book.KERNEL_PLUGIN]
    assert kernel["disablePyPIFallback"] is True
    assert kernel["loadPyodideOptions"]["packages"] == [
        "numpy",
        "matplotlib",
        "mlmath",
        "ipywidgets",
    ]


def test_a_tampered_core_file_fails_the_build_naming_it(sources, tmp_path):
    npm = _npm_copy(tmp_path)
    wasm = npm / "pyodide.asm.wasm"
    data = bytearray(wasm.read_bytes())
    data[1000] ^= 1  # one bit
    wasm.write_bytes(bytes(data))
    tampered = lite_book.Sources(npm, sources.carrier, sources.wheels)
    with pytest.raises(lite_book.SupplyError, match=r"pyodide\.asm\.wasm has sha256 [0-9a-f]{64}"):
        lite_book.assemble(ROOT, tampered, tmp_path / "lite")


def test_a_tampered_or_missing_wheel_fails_the_build_naming_it(sources, tmp_path, monkeypatch):
    real = lite_book._carrier_file
    bad = tmp_path / "scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl"
    bad.write_bytes(real(sources.carrier, bad.name).read_bytes() + b"\0")

    def tampered(carrier, name):
        return bad if name == bad.name else real(carrier, name)

    monkeypatch.setattr(lite_book, "_carrier_file", tampered)
    with pytest.raises(lite_book.SupplyError, match=r"scipy-1\.14\.1-.*\.whl has sha256"):
        lite_book.assemble(ROOT, sources, tmp_path / "lite")

    def missing(carrier, name):
        return None if name.startswith("numpy-") else real(carrier, name)

    monkeypatch.setattr(lite_book, "_carrier_file", missing)
    with pytest.raises(lite_book.SupplyError, match=r"numpy-2\.0\.2-.*\.whl is missing from"):
        lite_book.assemble(ROOT, sources, tmp_path / "lite")


def test_without_its_sources_the_book_builds_without_the_runtime(tmp_path):
    """A Sphinx project with lite_book and no node_modules: -W passes, one line says why."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(ROOT / "_ext")!r})
            extensions = ["lite_book"]
        """)
    )
    (src / "index.rst").write_text("Title\n=====\n\nText.\n")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-b", "html", "-q", str(src), str(src / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    said = [line for line in result.stdout.splitlines() if line.startswith("lite_book:")]
    assert said == [
        "lite_book: no browser runtime (node_modules/pyodide is missing (run `npm ci`)); "
        "building the book without it"
    ], result.stdout
    assert result.stderr == "", result.stderr
    assert (src / "out" / "index.html").is_file()
    assert not (src / "out" / "lite").exists()


def test_every_chapter_page_launches_its_own_notebook(built_book):
    """Each notebook page's "Run in your browser" opens that notebook, as committed, in lite/."""
    lite = require_lite(built_book)
    notebooks = [p for p in PAGES if source_of(p).suffix == ".ipynb"]
    assert notebooks
    for page in notebooks:
        source = source_of(page)
        html = (built_book / f"{page}.html").read_text()
        link = f'href="../{lite_book.LITE}/{lite_book.LITE_APP}/index.html?path={source.name}"'
        assert link in html and "Run in your browser" in html, f"{page}: no launch link {link}"
        served = lite / "files" / source.name
        assert served.is_file(), f"{page}: {served} is missing"
        cells = [c["source"] for c in json.loads(served.read_text())["cells"]]
        assert cells == [c["source"] for c in json.loads(source.read_text())["cells"]], page
    for page in PAGES:
        if source_of(page).suffix != ".ipynb":
            html = (built_book / f"{page}.html").read_text()
            assert f"{lite_book.LITE}/{lite_book.LITE_APP}/index.html" not in html, page


# --- the reader's path, in Chromium ------------------------------------------------------------
#: Every code cell's outputs that are errors, unless the cell is tagged raises-exception; and
#: the cells whose output says they skipped in the browser.
_OUTCOME_JS = f"""() => {{
  const cells = {_NOTEBOOK}.content.widgets.filter(c => c.model.type === "code");
  const text = o => [].concat(o.text || (o.data && o.data["text/plain"]) || []).join("");
  return {{
    n: cells.length,
    unrun: cells.filter(c => c.model.executionCount === null).length,
    errors: cells.filter(c => !(c.model.getMetadata("tags") || []).includes("raises-exception"))
      .flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === "error")
        .map(o => `${{o.ename}}: ${{o.evalue}}`)),
    skipped: cells.flatMap(c => c.model.outputs.toJSON().map(text)
      .filter(t => t.includes({json.dumps(runtime.SKIP_MESSAGE)}))),
  }};
}}"""

_KERNEL_IDLE_JS = f"""() => {{
  const w = window.jupyterapp && {_NOTEBOOK};
  const k = w && w.sessionContext && w.sessionContext.session
    && w.sessionContext.session.kernel;
  return !!(k && k.status === "idle" && w.context.isReady);
}}"""

_FIRST_OUTPUT_JS = f"""() => {{
  const first = {_NOTEBOOK}.content.widgets.find(c => c.model.type === "code");
  return first.model.executionCount !== null && first.model.outputs.length > 0;
}}"""


_SHOW_EXPLORER_JS = f"""async () => {{
  const w = {_NOTEBOOK};
  const cell = w.content.widgets.find(c => c.model.type === "code"
    && c.model.outputs.toJSON().some(o => o.data
                                     && o.data["application/vnd.jupyter.widget-view+json"]));
  if (!cell) {{ return false; }}
  await w.content.scrollToCell(cell);
  cell.node.setAttribute("data-mlmath-test-explorer", "");
  return true;
}}"""


_RUN_FIRST_JS = f"""async () => {{
  const w = {_NOTEBOOK};
  w.content.activeCellIndex = w.content.widgets.findIndex(c => c.model.type === "code");
  await window.jupyterapp.commands.execute("notebook:run-cell");
}}"""


def _expose_app(route) -> None:
    """JupyterLite's config with ``exposeAppInBrowser`` on, so the test can drive the app."""
    response = route.fetch()
    config = response.json()
    config["jupyter-config-data"]["exposeAppInBrowser"] = "true"
    route.fulfill(response=response, json=config)


def _move_slider(page, box) -> str:
    """Move the first slider of a live explorer one step; its image must change."""
    before = box.evaluate(_IMAGE_JS)
    handle = box.locator(".widget-slider .noUi-handle").first
    assert handle.count(), "the live explorer has no slider"
    at_end = handle.evaluate(
        "h => Number(h.getAttribute('aria-valuenow')) >= Number(h.getAttribute('aria-valuemax'))"
    )
    shown = box.locator(".widget-readout").first.inner_text()
    # as a reader does: click the slider's track near its far end
    target = box.locator(".widget-slider .noUi-target").first
    target.scroll_into_view_if_needed()
    track = target.bounding_box()
    x = track["x"] + track["width"] * (0.1 if at_end else 0.9)
    page.mouse.click(x, track["y"] + track["height"] / 2)
    page.wait_for_timeout(1000)
    if box.locator(".widget-readout").first.inner_text() == shown:  # or with the keyboard
        handle.focus()
        page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    deadline = time.monotonic() + 60
    after = before
    while time.monotonic() < deadline and after == before:
        page.wait_for_timeout(500)
        after = box.evaluate(_IMAGE_JS)
    moved = f"slider from {shown!r} to {box.locator('.widget-readout').first.inner_text()!r}"
    if after == before:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lite-slider-stuck.png"))
    assert before is not None and after != before, f"moved the {moved}; the image stayed the same"
    return moved


def test_chapter1_runs_in_the_browser(browser, site, built_book):  # noqa: F811
    require_lite(built_book)
    print(f"\n{run_in_browser(browser, site, built_book, CHAPTER)}")


def run_in_browser(browser, site: str, built_book: Path, chapter: str) -> str:  # noqa: F811
    """Open ``chapter``'s launch link, Run All, move a slider; a line saying how it went."""
    context = browser.new_context(viewport=VIEWPORT)
    foreign: list[str] = []
    console: list[str] = []

    def route(r):
        url = r.request.url
        if not url.startswith((site, "data:", "blob:")):
            foreign.append(url)
            r.abort()
        elif url.split("?")[0] == f"{site}/lite/jupyter-lite.json":
            _expose_app(r)
        else:
            r.continue_()

    context.route("**/*", route)
    loaded: list[str] = []
    context.on("requestfinished", lambda r: loaded.append(r.url))
    try:
        page = context.new_page()
        page.goto(f"{site}/{chapter}.html", wait_until="load")
        page.get_by_role("button", name="Launch interactive content").click()
        link = page.get_by_role("link", name="Run in your browser")
        assert link.count() == 1, f"{chapter} has no 'Run in your browser' link"
        with context.expect_page() as opened:
            clicked = time.monotonic()
            link.click()
        lite = opened.value
        lite.on(
            "console",
            lambda m: console.append(f"{m.type}: {m.text[:200]}") if m.type == "error" else None,
        )
        notebook = source_of(chapter).name
        assert "/lite/" in lite.url and f"path={notebook}" in lite.url, lite.url

        def wait(js: str, what: str, timeout: int) -> None:
            from playwright.sync_api import TimeoutError as PlaywrightTimeout

            try:
                lite.wait_for_function(js, timeout=timeout, polling=500)
            except PlaywrightTimeout:
                SCREENSHOTS.mkdir(exist_ok=True)
                lite.screenshot(path=str(SCREENSHOTS / "lite-timeout.png"))
                pytest.fail(
                    f"timed out after {timeout / 1000:.0f} s waiting for {what}; browser errors: "
                    f"{console[-10:]}; requests to other hosts: {foreign[:5]}"
                )

        wait(
            _KERNEL_IDLE_JS,
            "the notebook to open and Pyodide's kernel to be idle",
            KERNEL_TIMEOUT_MS,
        )
        kernel_ready = time.monotonic() - clicked
        # the committed notebook carries outputs and execution counts: clear them, so that
        # every output and count checked below comes from this run
        lite.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        cleared = lite.evaluate(_OUTCOME_JS)
        assert cleared["unrun"] == cleared["n"], f"outputs not cleared: {cleared}"
        # the first code cell alone (Run All delivers its outputs only when all have run)
        lite.evaluate(_RUN_FIRST_JS)
        wait(_FIRST_OUTPUT_JS, "the first cell's output", KERNEL_TIMEOUT_MS)
        first_output = time.monotonic() - clicked
        lite.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        lite.wait_for_timeout(1000)
        wait(_RAN_ALL_JS, "Run All to finish", RUN_ALL_TIMEOUT_MS)
        ran_all = time.monotonic() - clicked
        fetched = sum(page_weight(built_book, set(loaded)).values())
        outcome = lite.evaluate(_OUTCOME_JS)
        assert outcome["n"] > 10 and outcome["unrun"] == 0, outcome
        assert outcome["errors"] == [], (
            f"{chapter}: cells failed in the browser: {outcome['errors']}"
        )

        # the notebook renders only the cells near the viewport: bring the first explorer there
        found = lite.evaluate(_SHOW_EXPLORER_JS)
        assert found, "no live explorer (an ipywidgets box) in the outputs after Run All"
        box = lite.locator("[data-mlmath-test-explorer] .jp-Cell-outputArea .widget-vbox").first
        box.wait_for(timeout=30_000)
        moved = _move_slider(lite, box)
        SCREENSHOTS.mkdir(exist_ok=True)
        box.screenshot(path=str(SCREENSHOTS / f"lite-{notebook}-explorer.png"))
        assert foreign == [], f"requests to other hosts: {sorted(set(foreign))}"
        return (
            f"{chapter} in the browser: kernel idle {kernel_ready:.1f} s after the click, "
            f"first cell output at {first_output:.1f} s, Run All done at {ran_all:.1f} s "
            f"({fetched / 1e6:.0f} MB of the build fetched); "
            f"{outcome['n']} code cells, {len(outcome['skipped'])} skipped in the browser "
            f"{outcome['skipped']}; moved the {moved}"
        )
    finally:
        context.close()
