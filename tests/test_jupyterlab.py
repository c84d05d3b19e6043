"""The notebooks in JupyterLab, as a reader who runs them sees them.

A real JupyterLab server is started from this environment (``sys.executable -m
jupyterlab``), with its root a temporary copy of ``chapters/`` so nothing in the
repository changes, and Debian's headless Chromium is driven through it with
every request to another host aborted. The server's user settings, workspaces,
runtime files and notebook signatures live in the same temporary folder; the
settings that ``pip install -r requirements.txt`` installs for every reader (the
``overrides.d`` file of ``jupyterlab-settings/``) are the ones under test.

For each chapter that has explorers, in one visit as a reader would go:

1. open it fresh (untrusted, as cloned): every markdown cell is rendered by
   jupyterlab-myst, with no MyST markup left raw, theorem and exercise boxes
   drawn and equation and theorem references turned into links; each explorer
   shows its static view with the hint to run the cell;
2. run all cells and wait for the kernel;
3. move a slider (and a menu, where there is one) of the live explorer: the
   image must change;
4. save, close and reopen, first with the kernel still running (the explorer is
   live again), then after shutting the kernel down and reloading JupyterLab
   (the explorer is restored from the widget state saved in the notebook):
   never "Error displaying widget".

Screenshots of each step land in ``screenshots/jupyterlab-<chapter>-<step>.png``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_book import SCREENSHOTS  # tests/ is on sys.path

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.jupyterlab

#: The chapters visited, with the controls their first explorer must have.
CHAPTERS = {
    "02_gradient_descent": ("slider",),
    "04_neural_networks": ("slider", "menu"),
}

#: What the server writes for itself goes to the temporary folder, not to ~/.jupyter.
#: windowingMode "none" keeps every cell in the page (JupyterLab otherwise renders
#: only the cells near the viewport, and the checks read all of them).
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

HINT = "Static preview: run this cell to move the sliders."

#: MyST that jupyterlab-myst should have consumed; any of it in rendered text is raw markup.
RAW_MYST = {
    "a role": re.compile(r"\{[a-z][\w-]*(?::[\w-]+)?\}`"),
    "a role name": re.compile(r"\{(?:eq|prf:ref|cite(?::t)?|doc|ref|numref|glue:text|py:\w+)\}"),
    "a directive fence": re.compile(r"(?:`{3,}|:{3,})\{[\w:-]+\}"),
    "a label target": re.compile(r"^\s*\([\w-]+\)=", re.M),
    "a directive option": re.compile(r":(?:label|class|nonumber):\s"),
}

TIMEOUT_MS = 60_000
RUN_ALL_TIMEOUT_MS = 600_000  # a loaded 2-core machine needs 10-60 s per chapter


# --- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


class Lab:
    """A JupyterLab server on localhost over a temporary copy of chapters/."""

    def __init__(self, base: Path):
        self.root = base / "chapters"
        shutil.copytree(
            ROOT / "chapters", self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
        settings = base / "user-settings"
        for name, value in USER_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_DATA_DIR": str(base / "data"),  # notebook signatures, user kernels
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "IPYTHONDIR": str(base / "ipython"),
            # the kernels import this tree's mlmath, whatever the environment installed
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self.log_path = base / "jupyterlab.log"
        self._log = open(self.log_path, "w")  # closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run, save, close
            ],
            cwd=base,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.process.returncode}:\n{self.log()}")
            try:
                if _get(self.api("status"))[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"JupyterLab did not answer on {self.url} within 120 s:\n{self.log()}")

    def api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()[-4000:]

    def stop(self) -> None:
        # /api/shutdown stops the kernels too; then the process that this fixture started
        request = urllib.request.Request(self.api("shutdown"), method="POST")
        try:
            urllib.request.urlopen(request, timeout=10).close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()


# --- what JupyterLab and the package install ----------------------------------------------------


def lab_extension_problems(python: str, env: dict[str, str] | None = None) -> list[str]:
    """What ``jupyter labextension list`` of that Python's environment says is wrong.

    The MyST renderer and the widget manager must be enabled and OK, and no extension
    "not compatible" (an incompatible one is left out of the page). Also used by
    tests/test_binder.py on the environment it builds as Binder would.
    """
    out = subprocess.run(
        [python, "-m", "jupyterlab.labextensions", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    if out.returncode != 0:
        return [f"jupyter labextension list failed:\n{text}"]
    problems = []
    for name in ("jupyterlab-myst", "@jupyter-widgets/jupyterlab-manager"):
        line = next((ln for ln in text.splitlines() if ln.strip().startswith(name + " ")), None)
        if line is None or "enabled" not in line or "OK" not in line:
            problems.append(f"{name}: {line.strip() if line else 'not installed'}")
    if "not compatible" in text:
        problems.append("an extension is not compatible")
    return [*problems, text] if problems else []


def test_lab_extensions_are_enabled_and_compatible():
    problems = lab_extension_problems(sys.executable)
    assert not problems, "\n".join(problems)


def test_lab_saves_widget_state(lab):
    """The setting of jupyterlab-settings/ reaches JupyterLab: widget state is saved."""
    status, body = _get(
        f"{lab.url}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin?token={lab.token}"
    )
    assert status == 200, body[:2000]
    # overrides.d files become the schema's defaults; the user settings (here: none) win over them
    answer = json.loads(body)
    default = answer["schema"]["properties"]["saveState"]["default"]
    assert default is True and "saveState" not in answer["settings"], (
        f"JupyterLab's widget setting saveState defaults to {default} (user settings: "
        f"{answer['settings']}): widget state is not saved, so a reopened notebook shows "
        "'Error displaying widget: model not found'. Is jupyterlab-settings/ installed "
        "(pip install -r requirements.txt)?"
    )


# --- a chapter, as a reader goes through it -------------------------------------------------------

_NOTEBOOK = "window.jupyterapp.shell.currentWidget"

_IDLE_JS = f"""() => {{
  const w = window.jupyterapp && {_NOTEBOOK};
  const kernel = w && w.sessionContext && w.sessionContext.session
    && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== "idle" || !w.context.isReady) {{ return false; }}
  return w.content.widgets.every(c => c.model.type !== "code"
    || c.model.executionState !== "running");
}}"""

_RAN_ALL_JS = f"""() => {{
  const w = {_NOTEBOOK};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return kernel && kernel.status === "idle" && w.content.widgets.every(c =>
    c.model.type !== "code" || (c.model.executionCount !== null
                                && c.model.executionState !== "running"));
}}"""

# Text of every markdown cell as rendered, one line per block: without the (hidden) editor,
# the math (typeset by KaTeX, whose own markup would read like labels: "L(w)=") and inline
# code spans. Code blocks stay: an unparsed directive would become one, options and all.
_MARKDOWN_JS = f"""() => {{
  return {_NOTEBOOK}.content.widgets.filter(c => c.model.type === "markdown").map(c => {{
    const node = c.node.cloneNode(true);
    node.querySelectorAll(".jp-InputArea-editor, .jp-InputPrompt, .katex, :not(pre) > code")
      .forEach(e => e.replaceWith(" "));
    node.querySelectorAll("p, li, h1, h2, h3, h4, h5, h6, div, blockquote, tr")
      .forEach(e => e.append("\\n"));
    return {{rendered: c.rendered, myst: !!c.node.querySelector(".myst"),
             text: node.textContent}};
  }});
}}"""

_LINKS_JS = """() => Array.from(document.querySelectorAll(".jp-MarkdownCell a[href^='#']"))
  .map(a => a.getAttribute("href").slice(1))"""

# A hash of the bytes the explorer's image shows (a widget image is a blob: URL).
_IMAGE_JS = """async (box) => {
  const img = box.querySelector("img");
  if (!img) { return null; }
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let h = 0;
  for (const b of bytes) { h = (h * 31 + b) >>> 0; }
  return `${bytes.length}:${h}`;
}"""

# What every explorer output shows: the widget (live, or restored from the saved state), the
# static view, or an error.
_EXPLORERS_JS = f"""() => {{
  const w = {_NOTEBOOK};
  return w.content.widgets.filter(c => c.model.type === "code"
      && c.model.outputs.toJSON().some(o => o.data
           && String(o.data["text/html"] || "").includes("mlmath-explorer"))).map(c => {{
    const out = c.node.querySelector(".jp-Cell-outputArea");
    const text = out ? out.innerText : "";
    return {{
      widget: !!(out && out.querySelector(".widget-vbox img")),
      static: !!(out && out.querySelector(".mlmath-explorer img")),
      error: text.includes("Error displaying widget"),
      loading: text.includes("Loading widget"),
      text: text.slice(0, 300),
    }};
  }});
}}"""


class Reader:
    """One browser page on the server, recording what the reader could not see."""

    def __init__(self, browser, lab: Lab, chapter: str):
        self.lab, self.chapter = lab, chapter
        self.notebook = f"{chapter}.ipynb"
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.foreign: list[str] = []
        self.console: list[str] = []
        self.page.on("dialog", lambda d: d.accept())  # "leave the page?" on reload
        self.page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))
        self.page.on(
            "console",
            lambda m: (
                self.console.append(f"{m.type}: {m.text[:300]}")
                if m.type in ("error", "warning")
                else None
            ),
        )

        def route(r):
            if r.request.url.startswith(lab.url) or r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)

    def open(self) -> None:
        """Open the notebook in a fresh JupyterLab (``?reset``: no remembered layout)."""
        self.page.goto(f"{self.lab.url}/lab/tree/{self.notebook}?reset&token={self.lab.token}")
        self.wait(_IDLE_JS, "the notebook to open and its kernel to be idle")

    def wait(self, js: str, what: str, timeout: int = TIMEOUT_MS) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(js, timeout=timeout, polling=500)
        except PlaywrightTimeout:
            self.shot("timeout")
            pytest.fail(
                f"{self.chapter}: timed out after {timeout / 1000:.0f} s waiting for {what}.\n"
                f"{self.seen()}"
            )

    def shot(self, step: str, target=None) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        if target is not None:
            target.scroll_into_view_if_needed()
        self.page.screenshot(path=str(SCREENSHOTS / f"jupyterlab-{self.chapter}-{step}.png"))

    def seen(self) -> str:
        """Context for a failure message: the browser's last complaints and the server's log."""
        unique = list(dict.fromkeys(self.console))  # MyST repeats its warnings on each render
        console = "\n".join(unique[-15:]) or "(nothing)"
        return f"browser console:\n{console}\nJupyterLab log:\n{self.lab.log()[-1500:]}"

    def explorers(self) -> list[dict]:
        return self.page.evaluate(_EXPLORERS_JS)

    def command(self, name: str, args: dict | None = None) -> None:
        self.page.evaluate(
            "([name, args]) => window.jupyterapp.commands.execute(name, args)", [name, args or {}]
        )

    def close(self) -> None:
        self.context.close()


def _labels(notebook: dict) -> tuple[set[str], list[str]]:
    """(labels the notebook defines, labels its {eq} and {prf:ref} roles point to)."""
    defined: set[str] = set()
    used: list[str] = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        defined |= set(re.findall(r"^:label:\s*(\S+)", text, re.M))
        defined |= set(re.findall(r"\$\$\s*\((eq-[\w-]+)\)", text))
        used += re.findall(r"\{(?:eq|prf:ref)\}`([^`<]+)`", text)
    return defined, used


def _fences(notebook: dict, pattern: str) -> int:
    return sum(
        len(re.findall(rf"^\s*(?:`{{3,}}|:{{3,}})\{{{pattern}\}}", "".join(c["source"]), re.M))
        for c in notebook["cells"]
        if c["cell_type"] == "markdown"
    )


def _check_fresh(reader: Reader, notebook: dict) -> None:
    """Step 1: MyST rendered, no raw markup, static explorers with the run hint."""
    chapter = reader.chapter
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # jupyterlab-myst renders cell by cell after the notebook opens; a long chapter on a busy
    # machine takes a while, so wait (up to a minute) until every markdown cell is rendered
    # before reading them. A cell that never renders still fails below, by number.
    try:
        reader.page.wait_for_function(
            f"() => {_NOTEBOOK}.content.widgets.filter(c => c.model.type === 'markdown')"
            ".every(c => c.rendered && c.node.querySelector('.myst'))",
            timeout=60_000,
            polling=500,
        )
    except PlaywrightTimeout:
        pass  # reported with the cells' numbers by the assertion below
    cells = reader.page.evaluate(_MARKDOWN_JS)
    assert cells, f"{chapter}: no markdown cells in the page.\n{reader.seen()}"
    unrendered = [i for i, c in enumerate(cells) if not (c["rendered"] and c["myst"])]
    assert not unrendered, (
        f"{chapter}: markdown cells {unrendered[:10]} (of {len(cells)}) are not rendered by "
        f"jupyterlab-myst (is the extension installed and enabled?).\n{reader.seen()}"
    )
    raw = []
    for i, cell in enumerate(cells):
        for what, pattern in RAW_MYST.items():
            for m in pattern.finditer(cell["text"]):
                snippet = cell["text"][max(0, m.start() - 60) : m.end() + 60].replace("\n", " ")
                raw.append(f"markdown cell {i}: {what} {m.group(0)!r} in ...{snippet}...")
    assert not raw, f"{chapter}: raw MyST in the rendered notebook:\n" + "\n".join(raw[:20])

    # The directives became boxes, one per fence, and the references links to their targets.
    boxes = reader.page.evaluate(
        "() => [document.querySelectorAll('.jp-MarkdownCell .myst-proof').length,"
        " document.querySelectorAll('.jp-MarkdownCell .myst-exercise').length]"
    )
    expected = [
        _fences(notebook, r"prf:[a-z]+"),
        _fences(notebook, r"(?:exercise|solution)(?:-start|-end)?"),
    ]
    assert boxes == expected, (
        f"{chapter}: {boxes[0]} theorem-like and {boxes[1]} exercise/solution boxes drawn, "
        f"the notebook has {expected[0]} and {expected[1]} such directives"
    )
    defined, used = _labels(notebook)
    links = set(reader.page.evaluate(_LINKS_JS))
    unlinked = sorted({label for label in used if label in defined and label not in links})
    assert not unlinked, f"{chapter}: references not turned into links: {unlinked}"

    explorers = reader.explorers()
    assert explorers, f"{chapter}: no explorer cell found"
    for i, ex in enumerate(explorers):
        assert ex["static"] and not ex["widget"], (
            f"{chapter}: explorer {i} of the fresh notebook does not show its static view: "
            f"{ex['text']!r}"
        )
        assert HINT in ex["text"], (
            f"{chapter}: explorer {i}'s static view lacks the hint {HINT!r}; it reads "
            f"{ex['text']!r}. Re-run tools/run_notebooks.py on the chapter?"
        )
        assert not ex["error"], f"{chapter}: explorer {i} shows {ex['text']!r}"


def _move(reader: Reader, box, control: str) -> str:
    """Move one control of a live explorer and wait until its image changes."""
    before = box.evaluate(_IMAGE_JS)
    if control == "slider":
        handle = box.locator(".widget-slider .noUi-handle").first
        assert handle.count(), f"{reader.chapter}: the live explorer has no slider"
        shown = box.locator(".widget-readout").first.inner_text()
        at_end = handle.evaluate(
            "h => Number(h.getAttribute('aria-valuenow'))"
            " >= Number(h.getAttribute('aria-valuemax'))"
        )
        handle.focus()
        reader.page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
        moved = f"slider from {shown!r} to {box.locator('.widget-readout').first.inner_text()!r}"
    else:
        menu = box.locator(".widget-dropdown select").first
        assert menu.count(), f"{reader.chapter}: the live explorer has no menu"
        options = menu.locator("option").all_inner_texts()
        current = menu.evaluate("s => s.selectedIndex")
        menu.select_option(index=(current + 1) % len(options))
        moved = f"menu from {options[current]!r} to {options[(current + 1) % len(options)]!r}"
    deadline = time.monotonic() + 90  # the kernel draws (Chapter 4: trains) the new frame
    after = before
    while time.monotonic() < deadline and after == before:
        reader.page.wait_for_timeout(500)
        after = box.evaluate(_IMAGE_JS)
    assert after != before, (
        f"{reader.chapter}: moved the {moved}; the image stayed the same for 90 s.\n{reader.seen()}"
    )
    return moved


def _check_reopened(reader: Reader, how: str) -> list[dict]:
    """No widget error, and every explorer shows its live or static view."""
    reader.wait(
        f"() => ({_EXPLORERS_JS})().every(e => !e.loading && (e.widget || e.static || e.error))",
        f"the explorers to appear after {how}",
    )
    explorers = reader.explorers()
    text = reader.page.inner_text(".jp-Notebook")
    assert "Error displaying widget" not in text, (
        f"{reader.chapter}: after {how}, the notebook shows 'Error displaying widget': "
        f"{[e['text'] for e in explorers if e['error']]}\n{reader.seen()}"
    )
    assert all(e["widget"] or e["static"] for e in explorers), (
        f"{reader.chapter}: after {how}, an explorer shows neither view: {explorers}"
    )
    return explorers


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_reader_runs_saves_and_reopens_chapter(lab, browser, chapter):
    controls = CHAPTERS[chapter]
    notebook = json.loads((lab.root / f"{chapter}.ipynb").read_text())
    reader = Reader(browser, lab, chapter)
    try:
        # 1. fresh, as cloned
        reader.open()
        _check_fresh(reader, notebook)
        reader.shot("1-fresh", reader.page.locator(".mlmath-explorer").first)
        reader.shot("1-fresh-theorem", reader.page.locator(".myst-proof").first)

        # 2. run all
        start = time.monotonic()
        reader.command("notebook:run-all-cells")
        reader.page.wait_for_timeout(1000)
        reader.wait(_RAN_ALL_JS, "Run All to finish", timeout=RUN_ALL_TIMEOUT_MS)
        ran = reader.page.evaluate(
            f"""() => {_NOTEBOOK}.content.widgets.filter(c => c.model.type === "code")
              .flatMap(c => c.model.outputs.toJSON()
                .filter(o => o.output_type === "error"
                        && !(c.model.getMetadata("tags") || []).includes("raises-exception"))
                .map(o => `${{o.ename}}: ${{o.evalue}}`))"""
        )
        assert not ran, f"{chapter}: Run All raised {ran} (after {time.monotonic() - start:.0f} s)"
        explorers = reader.explorers()
        assert all(e["widget"] for e in explorers), (
            f"{chapter}: after Run All an explorer is not live: {explorers}\n{reader.seen()}"
        )

        # 3. the live explorer responds
        box = reader.page.locator(".jp-Cell-outputArea .widget-vbox").first
        moves = [_move(reader, box, control) for control in controls]
        reader.shot("2-ran-and-moved", box)

        # 4a. save, close, reopen with the kernel running: live again
        reader.command("docmanager:save")
        reader.wait(f"() => !{_NOTEBOOK}.context.model.dirty", "the notebook to be saved")
        saved = json.loads((lab.root / reader.notebook).read_text())
        state = saved["metadata"].get("widgets", {})
        assert "application/vnd.jupyter.widget-state+json" in state, (
            f"{chapter}: JupyterLab saved no widget state (metadata: {list(saved['metadata'])})"
        )
        reader.command("application:close-all")
        reader.page.wait_for_timeout(1000)
        reader.command("docmanager:open", {"path": reader.notebook})
        reader.wait(_IDLE_JS, "the reopened notebook")
        _check_reopened(reader, "save, close and reopen")
        reader.shot("3-reopened", reader.page.locator(".jp-Cell-outputArea .widget-vbox").first)
        box = reader.page.locator(".jp-Cell-outputArea .widget-vbox").first
        _move(reader, box, "slider")

        # 4b. shut the kernel down, reload JupyterLab: restored from the saved widget state
        reader.page.evaluate(f"() => {_NOTEBOOK}.sessionContext.shutdown()")
        reader.open()
        explorers = _check_reopened(reader, "shutting the kernel down and reopening")
        first = reader.page.locator(".jp-Cell-outputArea .widget-vbox, .mlmath-explorer").first
        reader.shot("4-reopened-new-kernel", first)

        assert not reader.foreign, f"{chapter}: requests to other hosts: {reader.foreign[:10]}"
        print(f"{chapter}: moved the {', the '.join(moves)}; after reopening: {explorers}")
    finally:
        reader.close()
