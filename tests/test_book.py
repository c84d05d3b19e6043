"""The built book: every page of the table of contents, and Chapter 1 in a real browser.

All tests here share one clean build (``built_book`` in conftest.py), made with
``jupyter-book build -W -n --keep-going``: any Sphinx warning fails it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

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


def test_every_toc_page_became_html(built_book):
    missing = [f for f in toc_files() if not (built_book / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"
    assert (built_book / "index.html").is_file()


def test_mathjax_is_served_from_the_build(built_book):
    page = (built_book / "chapters" / "01_linear_regression.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in page
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert "cdn.jsdelivr.net" not in page and "cdnjs.cloudflare.com" not in page


def test_chapter_pages_contain_executed_outputs(built_book):
    page = (built_book / "chapters" / "01_linear_regression.html").read_text()
    assert "mlmath-explorer" in page  # the static explorer, not a widget placeholder
    assert "largest relative difference in coef_" in page  # a printed cross-check
    assert page.count("<img") >= 2


# --- the browser ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(built_book) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageVisit:
    """A page opened in a fresh context, recording errors and foreign requests."""

    def __init__(self, browser, site: str, path: str):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error"
                else None
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

    def close(self):
        self.context.close()


def test_chapter1_in_browser_math_typeset_and_explorer_moves(browser, site):
    visit = PageVisit(browser, site, "chapters/01_linear_regression.html")
    page = visit.page
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('mjx-container').length > 20", timeout=30_000
        )
        raw = page.evaluate(
            "() => Array.from(document.querySelectorAll('article p, article li'))"
            ".map(e => e.innerText).filter(t => /\\$\\$|\\\\frac|\\\\top/.test(t))"
        )
        assert raw == [], f"raw TeX left visible: {raw[:3]}"

        explorer = page.locator(".mlmath-explorer").first
        image = explorer.locator("img.mlmath-explorer-frame")
        before = image.get_attribute("src")
        slider = explorer.locator('input[type="range"]').first
        slider.evaluate(
            "el => { el.value = String(Number(el.max)); el.dispatchEvent(new Event('input')); }"
        )
        after = image.get_attribute("src")
        assert after != before, "moving the slider did not change the figure"
        label = explorer.locator("output").first.inner_text()
        assert label == "1500", f"slider label shows {label!r}"
        assert visit.errors == [], visit.errors
        assert visit.foreign == [], f"requests to other hosts: {visit.foreign}"
    finally:
        visit.close()


def test_chapter2_in_browser_explorer_spans_the_critical_learning_rate(browser, site):
    visit = PageVisit(browser, site, "chapters/02_gradient_descent.html")
    page = visit.page
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('mjx-container').length > 20", timeout=30_000
        )
        explorer = page.locator(".mlmath-explorer").first
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
