"""The PDF edition: ``jupyter-book build . --builder pdfhtml`` offline, with Debian's Chromium.

jupyter-book 1.0.4 makes the PDF in two steps: Sphinx's ``singlehtml`` builder writes the whole
book as one page, then ``jupyter_book.pdf.html_to_pdf`` prints that page with Playwright. Three
things go wrong in this stack, and this extension fixes each one, for that builder only:

* **Handlers.** Sphinx looks up a node's HTML handlers under the builder's name first and falls
  back to its format (``html``) only when *no* extension registered any handler for that name.
  sphinx-exercise registers ``singlehtml`` handlers, so sphinx-proof's ``html``-only nodes fail
  with "departing unknown node type: theorem_node". Every node with ``html`` handlers and none
  for ``singlehtml`` gets the ``html`` ones (sphinx-proof's, and any other extension's).
* **Where it writes.** jupyter-book points the ``pdfhtml`` build at ``_build/html``, so the
  single page would overwrite the web book's root page there. The single page goes to
  ``_build/singlehtml`` instead, and ``_build/html`` is left as the HTML build wrote it.
* **The browser.** jupyter-book launches Playwright's own Chromium build, which is downloaded
  separately and cannot be here. The page is printed by the system Chromium instead
  (``/usr/bin/chromium``, Debian's ``chromium``; ``MLMATH_CHROMIUM`` names another), after the
  bundled MathJax has typeset every formula and every image has loaded, with a PDF outline
  (bookmarks from the headings), tagged text, working internal links and page numbers. When
  the HTML book is built, a copy goes beside it as ``_build/html/book.pdf``, where the intro
  page links to it and from where the site is published.

``_static/mlmath.css`` holds the print style: code wraps, explorers print one frame without
their controls, folded solutions print open. ``tests/test_pdf.py`` builds the PDF and checks it.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from book_chromium import CHROMIUM_ARGS, chromium  # _ext/ is on the path, as for every _ext module

#: The page to print, set when the single-page build has finished.
_PRINTED: dict[str, Path] = {}

#: Waits until MathJax has typeset the page and every image has decoded. Lazy images load only
#: when scrolled to, which a printout never is, so they are made eager first.
_READY_JS = r"""async () => {
  for (const img of document.querySelectorAll('img[loading="lazy"]')) img.loading = "eager";
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
  await document.fonts.ready;
  return {
    raw: document.querySelectorAll(".math:not(:has(mjx-container))").length,
    errors: document.querySelectorAll("mjx-merror").length,
  };
}"""

#: The text of every heading as printed (the "#" permalinks are hidden in print).
_HEADINGS_JS = r"""() => Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6"))
  .map(h => h.innerText.replace(/\s+/g, " ").trim()).filter(t => t)"""

_FOOTER = (
    '<div style="width:100%;font-size:8px;text-align:center;color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


async def print_book(html_file: str | os.PathLike, pdf_file: str | os.PathLike) -> None:
    """Print the single-page book to ``pdf_file`` (replaces jupyter-book's Playwright call).

    ``html_file`` is what jupyter-book asks for (``_build/html/index.html``); the page that
    :func:`write_printed_page` wrote, ``_build/singlehtml/book.html``, is printed instead.
    """
    from playwright.async_api import async_playwright

    page_file = _PRINTED.get("page", Path(html_file)).resolve()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            # the book is self-contained: any request for another host is a bug, refuse it
            await page.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
            await page.emulate_media(media="print")
            await page.goto(page_file.as_uri(), wait_until="load", timeout=300_000)
            state = await page.evaluate(_READY_JS)
            if state["raw"] or state["errors"]:
                raise RuntimeError(f"MathJax left formulas untypeset in {page_file}: {state}")
            headings = await page.evaluate(_HEADINGS_JS)
            await page.pdf(
                path=str(pdf_file),
                format="A4",
                margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=_FOOTER,
                outline=True,
                tagged=True,
            )
        finally:
            await browser.close()
    retitle_outline(pdf_file, headings)
    # the web book links to the PDF edition beside it (chapters/intro.md): once the HTML book
    # is built, put the PDF there, so that the site published from _build/html carries it
    site = Path(html_file).parent
    if (site / "index.html").is_file():
        shutil.copyfile(pdf_file, site / "book.pdf")


def _flat(text: str) -> str:
    return "".join(text.split())


def _repeated_tail(flat: str, headings: list[str]) -> str | None:
    """The heading that ``flat`` ends with, after a repeat of its own beginning, if any."""
    for heading in headings:
        whole = _flat(heading)
        if whole and flat.endswith(whole) and whole.startswith(flat[: -len(whole)]):
            return heading
    return None


def retitle_outline(pdf_file: str | os.PathLike, headings: list[str]) -> int:
    """Give each bookmark its heading's text; returns how many bookmarks were changed.

    Chromium makes the outline from the headings, but drops the space at each line break of a
    wrapped heading ("ordinaryleast squares") and writes some titles twice ("SummarySummary",
    or a beginning twice: "The same computation with The same computation with mlmath"). A
    bookmark whose title is a heading's text without its spaces, once or with its beginning
    repeated, gets that heading's text. Other bookmarks (a heading with a formula in it) stay
    as they are.
    """
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    by_flat = {_flat(h): h for h in headings}
    by_flat.update({_flat(h) * 2: h for h in headings})
    # Chromium's trailer undercounts its objects; pypdf says so and copes
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    writer = PdfWriter(clone_from=str(pdf_file))
    changed = 0
    pending = [writer.root_object.get("/Outlines")]
    while pending:
        node = pending.pop()
        item = node.get_object().get("/First") if node is not None else None
        while item is not None:
            entry = item.get_object()
            title = str(entry.get("/Title", ""))
            heading = by_flat.get(_flat(title)) or _repeated_tail(_flat(title), headings)
            if heading is not None and heading != title:
                entry[NameObject("/Title")] = TextStringObject(heading)
                changed += 1
            pending.append(entry)
            item = entry.get("/Next")
    if changed:
        with open(pdf_file, "wb") as out:
            writer.write(out)
    return changed


def copy_html_handlers(app: Any) -> None:
    """Give the single-page builder every node's ``html`` handlers that it lacks."""
    handlers = app.registry.translation_handlers
    single = handlers.setdefault(app.builder.name, {})
    for node, visit_depart in handlers.get("html", {}).items():
        single.setdefault(node, visit_depart)


def redirect_output(app: Any) -> None:
    """Write the single page to ``_build/singlehtml``, not over the web book in ``_build/html``."""
    out = Path(app.outdir)
    if out.name == "html":
        target = out.parent / "singlehtml"
        target.mkdir(parents=True, exist_ok=True)
        app.outdir = app.builder.outdir = type(app.outdir)(target)


def on_builder_inited(app: Any) -> None:
    if app.builder.name != "singlehtml":
        return
    copy_html_handlers(app)
    redirect_output(app)
    try:
        import jupyter_book.pdf
    except ImportError:  # a plain sphinx-build: nothing prints the page
        return
    # html_to_pdf looks its coroutine up when it runs, after this build has finished
    jupyter_book.pdf._html_to_pdf = print_book


def write_printed_page(app: Any, exception: Exception | None) -> None:
    """Copy the single page to ``book.html`` at the top of the output folder, and print that.

    With the root document in a folder (``chapters/intro``) Sphinx writes the single page to
    ``chapters/intro.html`` but makes every address in it relative to the top folder
    (``_static/``, ``_images/``, ``chapters/intro.html#sec-...``). At the top those resolve,
    and a link to a section of the page itself becomes a bare ``#sec-...``, which Chromium
    turns into a link inside the PDF.
    """
    if exception is not None or app.builder.name != "singlehtml":
        return
    out = Path(app.outdir)
    root = f"{app.config.root_doc}.html"
    text = (out / root).read_text(encoding="utf-8")
    text = text.replace(f'href="{root}#', 'href="#').replace(f'href="{root}"', 'href="#"')
    page = out / "book.html"
    page.write_text(text, encoding="utf-8")
    _PRINTED["page"] = page


def setup(app: Any) -> dict[str, Any]:
    # first, before any extension reads the output folder
    app.connect("builder-inited", on_builder_inited, priority=1)
    # after accessible_book's fixes to the page (priority 500)
    app.connect("build-finished", write_printed_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
