"""The built book as readers meet it: every page of the table of contents in a real browser.

All tests here share one clean build (``built_book`` in conftest.py), made with
``jupyter-book build -W -n --keep-going``: any Sphinx warning fails it. The
browser is Debian's headless Chromium, driven by Playwright, over the built
book served on localhost with every request to another host aborted.

The page checks name no chapter: the pages come from ``_toc.yml``, so a chapter
added to the table of contents is checked the moment it is listed. Each check
is parametrised by page, so a failure names the page and says what failed.
(A chapter may add a check of its own at the end, as Chapter 2 does.)

Each page is opened twice (light and dark theme) and the observations are
shared by the checks below; screenshots of both land in ``screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
#: A phone held upright (iPhone 12-15 class): no page may be wider than this.
PHONE = {"width": 390, "height": 844}
#: Smallest legible text in an explorer frame on a phone, in CSS pixels.
MIN_PHONE_TEXT_PX = 9.0

#: Weight budget of one page: the HTML plus every file it loads from the build
#: (scripts, styles, MathJax and its fonts, images), uncompressed. Explorer
#: frames are inline base64 PNGs, so they count in the HTML. The theme and
#: MathJax alone weigh about 3.8 MB (2.5 MB without math); the HTML of a page
#: gets at most 3 MB (as a notebook must stay under ~3 MB), so 7 MB in all.
#: Stated in the README.
WEIGHT_BUDGET = 7_000_000
HTML_BUDGET = 3_000_000

#: WCAG AA: contrast ratio of body text against its background.
MIN_CONTRAST = 4.5

#: axe-core, pinned in package.json / package-lock.json and installed by `npm ci` (.ci/run).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.book


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            for part in entry.get("chapters", []):
                walk([part])

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


PAGES = toc_files()


def source_of(page: str) -> Path:
    """The source file of a TOC entry (``chapters/x`` -> ``chapters/x.ipynb`` or ``.md``)."""
    for suffix in (".ipynb", ".md"):
        if (ROOT / f"{page}{suffix}").is_file():
            return ROOT / f"{page}{suffix}"
    raise FileNotFoundError(f"_toc.yml lists {page!r} but neither .ipynb nor .md exists")


def test_every_toc_page_became_html(built_book):
    missing = [f for f in PAGES if not (built_book / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"
    assert (built_book / "index.html").is_file()


def test_mathjax_is_served_from_the_build(built_book):
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for page in PAGES:
        html = (built_book / f"{page}.html").read_text()
        assert "cdn.jsdelivr.net" not in html and "cdnjs.cloudflare.com" not in html, page
        if 'class="math' in html:
            assert "_static/mathjax/tex-chtml.js" in html, f"{page}: math but no local MathJax"


def test_notebook_pages_contain_executed_outputs(built_book):
    notebooks = [p for p in PAGES if source_of(p).suffix == ".ipynb"]
    assert notebooks, "no notebook in _toc.yml"
    for page in notebooks:
        html = (built_book / f"{page}.html").read_text()
        assert "cell_output" in html, f"{page}: no executed output in the page"
        assert "application/vnd.jupyter.widget-view+json" not in html, page


def _figures_drawn(notebook: Path) -> int:
    """How many static figures (PNG outputs) the committed notebook's cells draw."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum(
        "image/png" in output.get("data", {})
        for cell in cells
        for output in cell.get("outputs", [])
    )


class _Images(HTMLParser):
    """The attributes of every static figure of a page (images the build wrote to _images/)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and "_images/" in (a.get("src") or ""):
            self.images.append(a)


#: Alt text that is a file name or path, not a description of the figure.
_ALT_IS_A_PATH = re.compile(r"^\S*\.(png|svg|jpe?g)$|_images/|^[\w./\\-]+$", re.I)


@pytest.mark.parametrize("page", [p for p in PAGES if source_of(p).suffix == ".ipynb"])
def test_page_shows_every_figure_its_notebook_draws(built_book, page):
    """Built under MPLBACKEND=Agg (conftest), every figure of the chapter is on the page."""
    drawn = _figures_drawn(source_of(page))
    parser = _Images()
    parser.feed((built_book / f"{page}.html").read_text())
    shown = parser.images
    assert len(shown) == drawn, (
        f"{page}: the committed notebook draws {drawn} figures but the page built with "
        f"MPLBACKEND=Agg shows {len(shown)}; does the first cell say %matplotlib inline?"
    )
    for image in shown:
        alt = (image.get("alt") or "").strip()
        assert len(alt.split()) >= 4 and not _ALT_IS_A_PATH.search(alt), (
            f"{page}: the figure {image.get('src')} has alt text {alt!r}; describe what it "
            "shows (cell metadata mystnb.image.alt)"
        )


# --- the crawl: links and anchors ------------------------------------------------------------
class _Anchors(HTMLParser):
    """Collects the ids a page defines and the local links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            value = a.get(key)
            if value and tag in ("a", "link", "img", "script", "iframe", "source"):
                self.links.append(value.strip())


@functools.cache
def _parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(errors="replace"))
    return parser


def _local_target(built: Path, page: Path, link: str) -> tuple[Path, str] | None:
    """(file, fragment) a link points at in the build, or None for another host."""
    parts = urllib.parse.urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith("//"):
        return None  # http(s), mailto, data: ... checked by the browser tests
    fragment = urllib.parse.unquote(parts.fragment)
    if not parts.path:
        return page, fragment
    target = (page.parent / urllib.parse.unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, fragment


def test_every_internal_link_and_anchor_resolves(built_book):
    pages = sorted(
        p
        for p in built_book.rglob("*.html")
        # lite/ is the JupyterLite app (its pages are shells for scripts): tests/test_lite.py
        # opens it, and the links into it from the chapter pages are checked here
        if not {"_static", "_sources", "reports", "lite"} & set(p.relative_to(built_book).parts)
    )
    assert len(pages) >= len(PAGES)
    broken: list[str] = []
    checked = 0
    pdf_edition = (built_book / "book.pdf").resolve()
    for page in pages:
        for link in _parse(page).links:
            target = _local_target(built_book, page, link)
            if target is None:
                continue
            file, fragment = target
            if file == pdf_edition:
                continue  # written by the PDF build; tests/test_pdf.py follows this link
            checked += 1
            where = f"{page.relative_to(built_book)}: {link}"
            if not file.is_relative_to(built_book.resolve()) or not file.is_file():
                broken.append(f"{where} -> missing file")
            elif fragment and file.suffix == ".html" and fragment not in _parse(file).ids:
                broken.append(f"{where} -> no id {fragment!r} in {file.name}")
    assert checked > 100, f"only {checked} local links found: is the crawl parsing pages?"
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])


# --- Binder launch buttons -------------------------------------------------------------------
def test_binder_buttons_open_the_page_own_notebook(built_book):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    owner_repo = config["repository"]["url"].removeprefix("https://github.com/").strip("/")
    branch = config["repository"].get("branch", "main")
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    book_path = (config["repository"].get("path_to_book") or "").strip("/")
    tracked = _git_files()
    problems: list[str] = []
    for page in PAGES:
        buttons = [
            link
            for link in _parse(built_book / f"{page}.html").links
            if link.startswith(f"{binder}/v2/")
        ]
        source = source_of(page)
        if source.suffix != ".ipynb":
            if buttons:
                problems.append(f"{page}: Binder button on a page with no notebook: {buttons}")
            continue
        rel = source.relative_to(ROOT).as_posix()
        in_repo = f"{book_path}/{rel}" if book_path else rel
        expected = f"{binder}/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{in_repo}"
        if not buttons:
            problems.append(f"{page}: no Binder launch button")
        for button in buttons:
            if button != expected:
                problems.append(f"{page}: Binder button {button} (expected {expected})")
        if tracked is not None and in_repo not in tracked:
            problems.append(f"{page}: {in_repo} is not committed, so Binder cannot open it")
    assert not problems, "\n".join(problems)


def _git_files() -> set[str] | None:
    """Files in the repository (committed or staged), or None outside a git checkout."""
    result = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return set(result.stdout.split()) if result.returncode == 0 else None


# --- the browser ----------------------------------------------------------------------------
#: Paths the server answered with 404, including requests the browser makes on its
#: own (such as /favicon.ico) that Playwright does not report.
SERVER_MISSING: list[str] = []


@pytest.fixture(scope="module")
def site(built_book) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, *args, **kwargs):
            if code == 404:
                SERVER_MISSING.append(self.path)
            super().send_error(code, *args, **kwargs)

    handler = functools.partial(Quiet, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class PageVisit:
    """A page opened in a fresh context, recording errors, local and foreign requests."""

    def __init__(self, browser, site: str, path: str, *, dark: bool = False, phone=False):
        self.context = browser.new_context(
            viewport=PHONE if phone else VIEWPORT,
            color_scheme="dark" if dark else "light",
            **({"device_scale_factor": 3, "is_mobile": True, "has_touch": True} if phone else {}),
        )
        if dark:  # what the theme's switch stores; read before the theme's own script runs
            self.context.add_init_script(
                "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
            )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.local: set[str] = set()
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console {msg.type}: {msg.text} at {msg.location.get('url')}")
                if msg.type == "error"
                else None
            ),
        )
        self.page.on(
            "requestfinished",
            lambda r: self.local.add(r.url) if r.url.startswith(site) else None,
        )
        self.page.on(
            "response",
            lambda r: (
                self.errors.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None
            ),
        )

        def route(r):
            if r.request.url.startswith(site) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(f"{site}/{path}", wait_until="load")

    def wait_for_math(self) -> None:
        """Until MathJax (if the page loads it) has typeset the page."""
        self.page.evaluate(
            "() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
            " ? MathJax.startup.promise.then(() => true) : true"
        )
        self.page.wait_for_load_state("networkidle")  # fonts MathJax asked for

    def close(self):
        self.context.close()


@dataclass
class PageReport:
    """What one visit of one page observed; each check reads its part."""

    page: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    local: set[str] = field(default_factory=set)
    math: dict = field(default_factory=dict)
    explorers: list[str] = field(default_factory=list)  # problems found
    n_controls: int = 0
    theme: str = ""
    figures: list[str] = field(default_factory=list)  # problems found
    n_figures: int = 0
    contrast: list[str] = field(default_factory=list)  # problems found
    n_text: int = 0
    axe: list[str] = field(default_factory=list)  # critical and serious violations
    phone: dict = field(default_factory=dict)  # widths and explorer text sizes at 390 px
    icons: dict = field(default_factory=dict)  # icons drawn, and any not drawn from a web font


#: Every visible FontAwesome icon is a glyph of one of the theme's bundled web fonts, loaded
#: (``_ext/accessible_book.py`` drops the 1.5 MB script that would otherwise draw them).
_ICONS_JS = r"""() => {
  const icons = Array.from(document.querySelectorAll("i[class*='fa-']"))
                     .filter(e => e.getClientRects().length > 0);
  const bad = icons.map(e => {
    const style = getComputedStyle(e, "::before");
    const family = style.fontFamily, glyph = style.content;
    const loaded = document.fonts.check(`${style.fontWeight} 16px ${family}`);
    return (family.includes("Font Awesome") && glyph !== "none" && glyph !== '""' && loaded)
      ? null : `${e.className}: font ${family}, glyph ${glyph}, loaded ${loaded}`;
  }).filter(Boolean);
  return {n: icons.length, bad: bad};
}"""

_MATH_JS = r"""() => {
  const root = document.body;  // the page's table of contents repeats math from headings
  const math = Array.from(root.querySelectorAll(".math"));
  const untypeset = math.filter(e => !e.querySelector("mjx-container"))
                        .map(e => e.textContent.trim().slice(0, 80));
  const errors = Array.from(root.querySelectorAll("mjx-merror"))
                      .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80));
  // MathJax's noundefined extension does not raise on an unknown macro such as \partialL: it
  // typesets the name in red. Ask MathJax itself, expression by expression, through the MathML
  // of what it typeset: an <merror> or a red token is an error the reader sees.
  const doc = window.MathJax && MathJax.startup && MathJax.startup.document;
  if (doc && !MathJax.startup.toMML) { errors.push("MathJax.startup.toMML is missing"); }
  if (doc && MathJax.startup.toMML) {
    for (const item of doc.math) {
      const mml = MathJax.startup.toMML(item.root);
      if (/<merror|mathcolor="red"/.test(mml)) {
        errors.push(`${String(item.math).trim().slice(0, 80)} (unknown macro or TeX error)`);
      }
    }
  }
  // $$, \( \[, $..^..$, a letter with a TeX superscript (R^2), or a TeX command
  const tex = new RegExp(String.raw`\$\$|\\[(\[]|\$[^$\s][^$\n]*[\\^_][^$\n]*\$|` +
    String.raw`[A-Za-z)]\^[\w{]|\\(` +
    "frac|sum|prod|mathbf|mathrm|mathcal|operatorname|top|hat|bar|tilde|left|right|begin|" +
    String.raw`end|alpha|beta|eta|lambda|sigma|partial|nabla|cdot|sqrt|le|ge|in|mid|quad)\b`);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode(n) {
    return n.parentElement.closest("pre, code, script, style, textarea, mjx-container, .highlight")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (tex.test(n.textContent)) { raw.push(n.textContent.trim().slice(0, 100)); }
  }
  return {n_math: math.length, n_typeset: root.querySelectorAll("mjx-container").length,
          untypeset, errors, raw};
}"""

_FIGURES_JS = r"""async () => {
  const imgs = Array.from(document.querySelectorAll("article img"))
    .filter(img => img.closest(".cell_output, figure, .mlmath-explorer, .figure"));
  const problems = [];
  for (const img of imgs) {
    try { await img.decode(); } catch (e) {
      problems.push(`${img.src.slice(0, 60)}: does not load`); continue;
    }
    const w = img.naturalWidth, h = img.naturalHeight;
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const name = img.alt || img.src.slice(0, 60);
    for (const [x, y] of [[1, 1], [w - 2, 1], [1, h - 2], [w - 2, h - 2]]) {
      const [r, g, b, a] = ctx.getImageData(x, y, 1, 1).data;
      if (a < 255) { problems.push(`${name}: transparent corner (${x},${y}) alpha=${a}`); break; }
      if (0.299 * r + 0.587 * g + 0.114 * b < 200) {
        problems.push(`${name}: dark corner (${x},${y}) rgb=(${r},${g},${b})`); break;
      }
    }
  }
  return {n: imgs.length, problems};
}"""

_CONTRAST_JS = r"""(minimum) => {
  const parse = c => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) { return null; }
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0.5) { return c; }
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor) || [255, 255, 255, 1];
  };
  const root = document.querySelector("article") || document.body;
  const selector = "p, li, td, th, dt, dd, pre, h1, h2, h3, h4, figcaption, caption, " +
                   ".mlmath-explorer-title, .mlmath-explorer label";
  const problems = [];
  let n = 0;
  for (const el of Array.from(root.querySelectorAll(selector)).slice(0, 600)) {
    const text = Array.from(el.childNodes).filter(c => c.nodeType === 3)
                      .map(c => c.textContent).join("").trim();
    if (!text || el.offsetParent === null) { continue; }
    const fg = parse(getComputedStyle(el).color);
    if (!fg) { continue; }
    n += 1;
    const bg = background(el);
    const [a, b] = [lum(fg), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const need = /^H[1-3]$/.test(el.tagName) ? 3 : minimum;
    if (ratio < need) {
      problems.push(`<${el.tagName.toLowerCase()}> "${text.slice(0, 40)}": ` +
                    `contrast ${ratio.toFixed(2)} (text ${getComputedStyle(el).color} on ${bg})`);
    }
  }
  return {n, problems};
}"""


_AXE_JS = r"""async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag",
              values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter(v => v.impact === "critical" || v.impact === "serious")
    .map(v => `${v.id} (${v.impact}), ${v.nodes.length} element(s), e.g. ` +
              `${v.nodes[0].target.join(" ")}: ${v.nodes[0].failureSummary.slice(0, 240)}`);
}"""


_PHONE_JS = r"""(limit) => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  // what sticks out of the viewport (ignoring what sits inside a box that scrolls)
  for (const el of document.querySelectorAll("article *, header *, nav *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) { continue; }
    let scrolls = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === "auto" || o === "scroll" || o === "hidden") && p.clientWidth <= width + 1) {
        scrolls = true; break;
      }
    }
    if (!scrolls && getComputedStyle(el).position !== "fixed") {
      const name = `<${el.tagName.toLowerCase()} class="${el.className}">`;
      wide.push(`${name} ends at ${r.right.toFixed(0)} px`);
    }
  }
  const small = [];
  for (const ex of document.querySelectorAll(".mlmath-explorer")) {
    const img = ex.querySelector("img.mlmath-explorer-frame");
    const px = Number(ex.dataset.minFontPx);
    const scale = img.getBoundingClientRect().width / img.naturalWidth;
    if (!(px * scale >= limit)) {
      small.push(`${ex.id}: smallest text ${(px * scale).toFixed(1)} CSS px ` +
                 `(${px} px drawn, shown at ${scale.toFixed(2)}x)`);
    }
    const box = ex.getBoundingClientRect();
    for (const c of ex.querySelectorAll(".mlmath-explorer-controls > *")) {
      const r = c.getBoundingClientRect();
      if (r.right > box.right + 1) {
        const by = (r.right - box.right).toFixed(0);
        small.push(`${ex.id}: a control overflows its box by ${by} px`);
      }
    }
  }
  return {viewport: width, scroll_width: document.documentElement.scrollWidth,
          wide: wide.slice(0, 8), small};
}"""


def _axe(page) -> list[str]:
    """Critical and serious WCAG 2.1 A/AA (and best-practice) violations found by axe-core."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in the repository (.ci/run does)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(_AXE_JS)


def _exercise_explorers(page) -> tuple[list[str], int]:
    """Move every slider and menu of every explorer; report controls that change nothing."""
    problems: list[str] = []
    n_controls = 0
    explorers = page.locator(".mlmath-explorer")
    for i in range(explorers.count()):
        explorer = explorers.nth(i)
        title = explorer.get_attribute("id")
        image = explorer.locator("img.mlmath-explorer-frame")
        values = explorer.locator('script[type="application/json"]').evaluate(
            "el => JSON.parse(el.textContent).values"
        )
        controls = explorer.locator("[data-axis]")
        if controls.count() == 0:
            problems.append(f"explorer {title}: no controls")
        for j in range(controls.count()):
            n_controls += 1
            control = controls.nth(j)
            axis = int(control.get_attribute("data-axis"))
            is_select = control.evaluate("el => el.tagName === 'SELECT'")
            start = int(control.evaluate("el => el.value"))
            name = control.get_attribute("aria-label")
            before = image.get_attribute("src")
            changed = False
            for k in [k for k in range(len(values[axis])) if k != start]:
                if is_select:
                    control.select_option(index=k)
                else:  # how a dragged slider reports its new position
                    control.evaluate(
                        "(el, k) => { el.value = String(k);"
                        " el.dispatchEvent(new Event('input', {bubbles: true})); }",
                        k,
                    )
                if not is_select:
                    shown = control.locator("xpath=..").locator("output").inner_text()
                    if shown != values[axis][k]:
                        problems.append(
                            f"explorer {title}, {name}: label shows {shown!r}, "
                            f"expected {values[axis][k]!r}"
                        )
                width = image.evaluate("el => el.decode().then(() => el.naturalWidth)")
                if width == 0:
                    problems.append(f"explorer {title}, {name}={values[axis][k]}: broken frame")
                if image.get_attribute("src") != before:
                    changed = True
                    break
            if not changed:
                problems.append(f"explorer {title}: moving {name!r} never changes the figure")
            # back to where the reader found it, so the next control starts from there
            if is_select:
                control.select_option(index=start)
            else:
                control.evaluate(
                    "(el, k) => { el.value = String(k);"
                    " el.dispatchEvent(new Event('input', {bubbles: true})); }",
                    start,
                )
    return problems, n_controls


def _screenshot(page, name: str, mode: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name.replace('/', '_')}-{mode}.png", full_page=True)


@pytest.fixture(scope="module")
def visit(browser, site):
    """``visit(page, dark)``: the (cached) report of one page in one theme."""
    cache: dict[tuple[str, bool], PageReport] = {}

    def get(page: str, dark: bool = False, phone: bool = False) -> PageReport:
        if (page, dark, phone) in cache:
            return cache[page, dark, phone]
        missing_before = len(SERVER_MISSING)
        seen = PageVisit(browser, site, f"{page}.html", dark=dark, phone=phone)
        report = PageReport(page)
        try:
            seen.wait_for_math()
            p = seen.page
            if phone:
                report.phone = p.evaluate(_PHONE_JS, MIN_PHONE_TEXT_PX)
                _screenshot(p, page, "phone")
            elif dark:
                report.theme = p.evaluate("() => document.documentElement.dataset.theme")
                figures = p.evaluate(_FIGURES_JS)
                report.figures, report.n_figures = figures["problems"], figures["n"]
                text = p.evaluate(_CONTRAST_JS, MIN_CONTRAST)
                report.contrast, report.n_text = text["problems"], text["n"]
                report.axe = [f"dark: {v}" for v in _axe(p)]
                _screenshot(p, page, "dark")
            else:
                report.math = p.evaluate(_MATH_JS)
                p.evaluate("() => document.fonts.ready")
                report.icons = p.evaluate(_ICONS_JS)
                report.axe = [f"light: {v}" for v in _axe(p)]
                _screenshot(p, page, "light")
                report.explorers, report.n_controls = _exercise_explorers(p)
        finally:
            seen.close()
        report.foreign, report.local = seen.foreign, seen.local
        missing = [f"HTTP 404 for {path}" for path in SERVER_MISSING[missing_before:]]
        report.errors = seen.errors + missing
        cache[page, dark, phone] = report
        return report

    return get


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_javascript_errors(visit, page):
    for dark in (False, True):
        errors = visit(page, dark).errors
        assert errors == [], f"{page} ({'dark' if dark else 'light'}): {errors}"


@pytest.mark.parametrize("page", PAGES)
def test_page_requests_nothing_from_other_hosts(visit, page):
    foreign = visit(page).foreign + visit(page, dark=True).foreign
    assert foreign == [], f"{page} asked other hosts for: {sorted(set(foreign))}"


#: Pages of the browser runtime (_ext/lite_book.py) that load JupyterLite's interface without
#: starting Python; tests/test_lite.py starts it from a chapter's launch link and runs Chapter 1.
LITE_PAGES = ["lite/lab/index.html", "lite/tree/index.html"]


@pytest.mark.parametrize("path", LITE_PAGES)
def test_browser_runtime_requests_nothing_from_other_hosts(browser, site, built_book, path):
    from conftest import require_lite

    require_lite(built_book)
    seen = PageVisit(browser, site, path)
    try:
        seen.page.wait_for_selector(".jp-LabShell, #main", timeout=120_000)
        seen.page.wait_for_load_state("networkidle")
        loaded = len(seen.local)
    finally:
        seen.close()
    assert loaded > 20, f"{path}: only {loaded} files loaded; did JupyterLite start?"
    assert seen.foreign == [], f"{path} asked other hosts for: {sorted(set(seen.foreign))}"


@pytest.mark.parametrize("page", PAGES)
def test_page_math_is_typeset(visit, built_book, page):
    math = visit(page).math
    in_source = (built_book / f"{page}.html").read_text().count('class="math')
    assert math["n_math"] == in_source, f"{page}: {in_source} math elements, saw {math['n_math']}"
    assert math["untypeset"] == [], f"{page}: math left untypeset: {math['untypeset'][:5]}"
    assert math["errors"] == [], f"{page}: MathJax errors: {math['errors'][:5]}"
    assert math["raw"] == [], f"{page}: raw TeX visible: {math['raw'][:5]}"
    if in_source:
        assert math["n_typeset"] >= in_source, f"{page}: {math['n_typeset']} of {in_source}"


@pytest.mark.parametrize("page", PAGES)
def test_page_explorers_respond_without_kernel(visit, built_book, page):
    report = visit(page)
    expected = (built_book / f"{page}.html").read_text().count('class="mlmath-explorer"')
    assert report.explorers == [], f"{page}: " + "; ".join(report.explorers)
    if expected:
        assert report.n_controls >= expected, f"{page}: {expected} explorers, found no controls"


@pytest.mark.parametrize("page", PAGES)
def test_page_is_readable_in_dark_mode(visit, page):
    report = visit(page, dark=True)
    assert report.theme == "dark", f"{page}: the theme did not switch to dark ({report.theme!r})"
    assert report.figures == [], f"{page}: figures illegible on a dark page: {report.figures}"
    assert report.n_text > 0, f"{page}: no text found to check"
    assert report.contrast == [], f"{page}: low-contrast text in dark mode: {report.contrast[:8]}"


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_serious_accessibility_violations(visit, page):
    violations = visit(page).axe + visit(page, dark=True).axe
    assert violations == [], f"{page}: axe-core found\n" + "\n".join(violations)


@pytest.mark.parametrize("page", PAGES)
def test_page_fits_a_phone_and_its_explorers_stay_legible(visit, page):
    phone = visit(page, phone=True).phone
    assert phone["scroll_width"] <= phone["viewport"], (
        f"{page} is {phone['scroll_width']} px wide on a {phone['viewport']} px phone: "
        + "; ".join(phone["wide"])
    )
    assert phone["wide"] == [], f"{page}: sticks out on a phone: {phone['wide']}"
    assert phone["small"] == [], f"{page}: explorers illegible on a phone: {phone['small']}"


def _longest_visible_code_line(notebook: Path) -> str:
    """The longest line of a code cell the page shows (not folded or removed)."""
    hidden = {"hide-input", "remove-input", "remove-cell", "hide-cell"}
    lines = [
        line
        for cell in json.loads(notebook.read_text())["cells"]
        if cell["cell_type"] == "code" and not hidden & set(cell["metadata"].get("tags", []))
        for line in "".join(cell["source"]).splitlines()
    ]
    return max(lines, key=len)


_PRINT_JS = r"""() => {
  const shown = el => getComputedStyle(el).display !== "none" && el.offsetParent !== null;
  return {
    explorers: Array.from(document.querySelectorAll(".mlmath-explorer")).map(ex => ({
      id: ex.id,
      whole: ["avoid", "avoid-page"].includes(getComputedStyle(ex).breakInside),
      controls: Array.from(ex.querySelectorAll(".mlmath-explorer-controls")).some(shown),
      frames: Array.from(ex.querySelectorAll("img")).filter(shown).length,
    })),
    toggles: Array.from(document.querySelectorAll("button, summary"))
      .filter(b => /click to/i.test(b.textContent) && shown(b)).length,
  };
}"""


def test_a_printed_chapter_keeps_code_and_explorers_whole(browser, site, tmp_path):
    """Chapter 1 printed to A4 by Chromium: code wraps, explorers print whole, no toggles."""
    from pypdf import PdfReader

    page_name = "chapters/01_linear_regression"
    visit = PageVisit(browser, site, f"{page_name}.html")
    try:
        visit.wait_for_math()
        visit.page.emulate_media(media="print")
        layout = visit.page.evaluate(_PRINT_JS)
        pdf = tmp_path / "chapter1.pdf"
        visit.page.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        visit.close()
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    flat = re.sub(r"\s+", "", text)
    line = _longest_visible_code_line(source_of(page_name))
    end = re.sub(r"\s+", "", line)[-24:]
    assert end in flat, f"the end of the longest code line is cut in print: {line!r}"
    assert "Clicktoshow" not in flat and "Clicktohide" not in flat, "toggle labels print"
    assert layout["toggles"] == 0, layout
    assert layout["explorers"], f"{page_name} has no explorer to print"
    for explorer in layout["explorers"]:
        assert explorer["whole"], f"explorer {explorer['id']} may split across pages"
        assert not explorer["controls"], f"explorer {explorer['id']} prints its sliders"
        assert explorer["frames"] == 1, f"explorer {explorer['id']}: {explorer['frames']} frames"


def page_weight(built_book: Path, urls: set[str]) -> dict[str, int]:
    """Bytes of each file of the build a page loaded (query strings ignored)."""
    sizes: dict[str, int] = {}
    for url in urls:
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
        file = built_book / (path or "index.html")
        if file.is_dir():
            file = file / "index.html"
        if file.is_file():
            sizes[path] = file.stat().st_size
    return sizes


@pytest.mark.parametrize("page", PAGES)
def test_page_weight_within_budget(visit, built_book, page):
    sizes = page_weight(built_book, visit(page).local)
    html = f"{page}.html"
    assert html in sizes, f"{page}: the page itself was not among the loaded files"
    total = sum(sizes.values())
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:4]
    detail = ", ".join(f"{name} {size / 1e6:.2f} MB" for name, size in largest)
    weight = f"{total / 1e6:.2f} MB in {len(sizes)} files, of which HTML {sizes[html] / 1e6:.2f} MB"
    print(f"weight of {page}: {weight}")
    assert total <= WEIGHT_BUDGET and sizes[html] <= HTML_BUDGET, (
        f"{page} weighs {weight}: over the budget of {WEIGHT_BUDGET / 1e6:.1f} MB in all and "
        f"{HTML_BUDGET / 1e6:.1f} MB of HTML (largest files: {detail}); "
        "use fewer explorer frames or a lower figure dpi"
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_icons_draw_from_web_fonts_without_fontawesome_js(visit, page):
    report = visit(page)
    scripts = [url for url in report.local if "fontawesome.js" in url]
    assert not scripts, f"{page} still loads {scripts}"
    assert report.icons["n"] >= 5, f"{page}: only {report.icons['n']} visible icons"
    assert not report.icons["bad"], f"{page}: icons not drawn: {report.icons['bad']}"


# --- search ---------------------------------------------------------------------------------
def _pages_mentioning(built_book: Path, phrase: str) -> list[str]:
    """TOC pages whose prose (paragraphs, not code or outputs) contains the phrase."""
    pattern = re.compile(r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b", re.I)
    found = []
    for page in PAGES:
        html = (built_book / f"{page}.html").read_text()
        paragraphs = re.findall(r"<p>(.*?)</p>", html, flags=re.S)
        if any(pattern.search(re.sub(r"<[^>]+>", "", p)) for p in paragraphs):
            found.append(page)
    return found


def _search(browser, site: str, query: str) -> tuple[list[str], list[str], list[str]]:
    """Result pages (html paths), errors and foreign requests of the built-in search."""
    seen = PageVisit(browser, site, f"search.html?q={urllib.parse.quote_plus(query)}")
    try:
        seen.page.wait_for_selector("#search-results .search-summary", timeout=30_000)
        seen.page.wait_for_function(
            "() => /finished|did not match/i.test("
            "document.querySelector('#search-results').innerText)",
            timeout=30_000,
        )
        hrefs = seen.page.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))"
        )
        return [h.split("#")[0] for h in hrefs], seen.errors, seen.foreign
    finally:
        seen.close()


@pytest.mark.parametrize(
    ("term", "required"),
    [
        ("least squares", True),  # Chapter 1 is the foundation: this must always be found
        ("backpropagation", False),  # checked as soon as a page of the book mentions it
    ],
)
def test_search_works_offline(browser, site, built_book, term, required):
    expected = _pages_mentioning(built_book, term)
    if not expected:
        if required:
            pytest.fail(f"no page of the table of contents mentions {term!r} in its text")
        pytest.skip(f"no page of the table of contents mentions {term!r} yet")
    results, errors, foreign = _search(browser, site, term)
    assert errors == [] and foreign == [], f"search page: {errors} {foreign}"
    missing = [p for p in expected if f"{p}.html" not in results]
    assert not missing, f"searching {term!r} does not find {missing}; results: {results}"


def test_search_finds_nothing_for_a_word_not_in_the_book(browser, site):
    results, errors, _ = _search(browser, site, "zyxwvutsrqp")
    assert results == [] and errors == [], (results, errors)


def test_chapter2_in_browser_explorer_spans_the_critical_learning_rate(browser, site):
    visit = PageVisit(browser, site, "chapters/02_gradient_descent.html")
    page = visit.page
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('mjx-container').length > 20", timeout=30_000
        )
        explorer = page.locator(".mlmath-explorer").filter(
            has_text="Gradient descent on a two-weight least-squares loss"
        )
        image = explorer.locator("img.mlmath-explorer-frame")
        slider = explorer.locator('input[type="range"]').first  # η / (2/λ_max)
        frames = set()
        for index in range(int(slider.get_attribute("max")) + 1):
            slider.evaluate(
                f"el => {{ el.value = '{index}'; el.dispatchEvent(new Event('input')); }}"
            )
            frames.add(image.get_attribute("src"))
        assert len(frames) == 8, "each learning rate should show its own frame"
        label = explorer.locator("output").first.inner_text()
        assert label == "2.1", f"the last learning rate shows {label!r}"  # beyond critical
        assert visit.errors == [], visit.errors
        assert visit.foreign == [], f"requests to other hosts: {visit.foreign}"
    finally:
        visit.close()
