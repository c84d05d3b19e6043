"""The PDF edition: the README's PDF command, run on the same clean copy as the HTML book.

``built_pdf`` runs ``jupyter-book build . --builder pdfhtml -W -n --keep-going`` in the copy
that ``built_book`` (conftest.py) built: Sphinx reuses that build's parsed (executed) chapters,
writes the single page to ``_build/singlehtml`` and Debian's Chromium prints it to
``_build/pdf/book.pdf`` (see ``_ext/pdf_book.py``). The checks read the PDF with pypdf: its
text, its images, its outline (bookmarks) and its links.

``MLMATH_BUILT_PDF=path/to/book.pdf`` checks an existing PDF instead of building one.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from conftest import build_once, jupyter_book
from test_book import PAGES, _figures_drawn, _longest_visible_code_line, source_of

pytestmark = pytest.mark.book

#: The explorer's outer element in a committed notebook's HTML output (mlmath.interactive).
_EXPLORER = re.compile(r'<div class="mlmath-explorer" id=')


@pytest.fixture(scope="session")
def built_pdf(built_book: Path) -> Path:
    reuse = os.environ.get("MLMATH_BUILT_PDF")
    if reuse:
        if not Path(reuse).is_file():
            pytest.fail(f"MLMATH_BUILT_PDF={reuse} is not a file")
        return Path(reuse).resolve()
    src = built_book.parents[1]
    out = src.parent / "pdf"
    status = build_once(out, lambda: jupyter_book(src, "--builder", "pdfhtml"))
    if status != "0":
        log = (out / "build.log").read_text()
        pytest.fail(f"the PDF did not build cleanly:\n{log[-6000:]}")
    pdf = src / "_build" / "pdf" / "book.pdf"
    assert pdf.is_file(), f"the PDF build succeeded but wrote no {pdf}"
    return pdf


@cache
def _reader(pdf: Path):
    from pypdf import PdfReader

    return PdfReader(pdf)


@cache
def _text(pdf: Path) -> str:
    """The PDF's text, ligatures split (NFKC: 'ﬁ' -> 'fi'), one string for the book."""
    pages = _reader(pdf).pages
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in pages))


def _flat(text: str) -> str:
    """Text without whitespace: a line break may fall anywhere, and may lose its space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _title(page: str) -> str:
    """The first heading of a TOC page's source, as the reader sees it (markup removed)."""
    source = source_of(page)
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = source.read_text()
    heading = re.search(r"^# (.+)$", text, re.M)
    assert heading, f"{source.name} has no level-1 heading"
    return re.sub(r"[`*]", "", heading.group(1)).strip()


def _outline_titles(outline) -> list[str]:
    titles: list[str] = []
    for entry in outline:
        if isinstance(entry, list):
            titles += _outline_titles(entry)
        else:
            titles.append(entry.title)
    return titles


def test_pdf_has_every_chapter_title(built_pdf):
    flat = _flat(_text(built_pdf))
    missing = [_title(p) for p in PAGES if _flat(_title(p)) not in flat]
    assert not missing, f"chapter titles missing from the PDF text: {missing}"


def test_pdf_outline_lists_every_chapter(built_pdf):
    reader = _reader(built_pdf)
    outline = [_flat(t) for t in _outline_titles(reader.outline)]
    assert len(outline) > len(PAGES), f"a thin outline: {outline}"
    missing = [_title(p) for p in PAGES if _flat(_title(p)) not in outline]
    assert not missing, f"chapters without a bookmark: {missing}"
    # each bookmark opens a page, and the chapters come in the order of _toc.yml
    chapter_pages = []
    for entry in reader.outline:
        for item in entry if isinstance(entry, list) else [entry]:
            if not isinstance(item, list) and _flat(item.title) in {
                _flat(_title(p)) for p in PAGES
            }:
                chapter_pages.append(reader.get_destination_page_number(item))
    assert chapter_pages == sorted(chapter_pages), f"chapters out of order: {chapter_pages}"
    assert len(set(chapter_pages)) == len(chapter_pages), chapter_pages


def test_pdf_math_is_typeset(built_pdf):
    text = _text(built_pdf)
    for raw in ("\\frac", "$$", "\\begin{", "\\mathbf", "\\("):
        assert raw not in text, f"raw TeX {raw!r} in the PDF: {_around(text, raw)}"
    # numbered equations keep their numbers: "(1)" ... in the first chapter at least
    assert re.search(r"\(1\)", text) and re.search(r"\(12\)", text), "no equation numbers"


def _around(text: str, needle: str, width: int = 80) -> str:
    i = text.find(needle)
    return text[max(0, i - width) : i + width]


def test_pdf_has_theorems_proofs_exercises_and_solutions(built_pdf):
    text = _text(built_pdf)
    for word in ("Theorem 1", "Definition 1", "Proof", "Exercise 1", "Solution to"):
        assert word in text, f"no {word!r} in the PDF"
    assert "Click to show" not in text and "Click to hide" not in text, "toggle labels print"


def test_pdf_has_no_blank_page(built_pdf):
    """A block kept whole that cannot fit pushes itself on, leaving a page of empty frame."""
    pages = _reader(built_pdf).pages
    blank = [
        n + 1
        for n, page in enumerate(pages)
        if not re.sub(r"\d+\s*/\s*\d+", "", page.extract_text()).strip()  # the footer only
        and not _page_images(page)  # a figure may have a page to itself
    ]
    assert not blank, f"blank pages in the PDF: {blank}"


def _page_images(page) -> set:
    """The image XObjects a page draws, each named by its object number (or name)."""
    xobjects = page.get("/Resources", {}).get("/XObject", {})
    return {
        getattr(ref, "idnum", name)
        for name, ref in xobjects.items()
        if ref.get_object().get("/Subtype") == "/Image"
    }


def _images(pdf: Path) -> int:
    """Images drawn in the PDF, each distinct image object once."""
    return len(set().union(*(_page_images(page) for page in _reader(pdf).pages)))


def test_pdf_shows_every_figure_and_explorer(built_pdf):
    notebooks = [source_of(p) for p in PAGES if source_of(p).suffix == ".ipynb"]
    figures = sum(_figures_drawn(nb) for nb in notebooks)
    explorers = sum(
        len(_EXPLORER.findall("".join(out.get("data", {}).get("text/html", ""))))
        for nb in notebooks
        for cell in json.loads(nb.read_text())["cells"]
        for out in cell.get("outputs", [])
    )
    assert figures > 0 and explorers > 0, (figures, explorers)
    drawn = _images(built_pdf)
    assert drawn >= figures + explorers, (
        f"the PDF has {drawn} images; the notebooks draw {figures} figures and "
        f"{explorers} explorers"
    )


def test_pdf_does_not_cut_chapter1_code(built_pdf):
    line = _longest_visible_code_line(source_of("chapters/01_linear_regression"))
    end = _flat(line)[-24:]
    assert end in _flat(_text(built_pdf)), f"the end of the longest code line is cut: {line!r}"


def test_pdf_internal_links_jump_inside_the_document(built_pdf):
    reader = _reader(built_pdf)
    named = reader.named_destinations
    internal, dangling = 0, []
    for page in reader.pages:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            dest = annot.get("/Dest")
            action = annot.get("/A")
            if dest is None and action is not None and action.get("/S") == "/GoTo":
                dest = action.get("/D")
            if dest is None:
                continue  # a link to a web address
            internal += 1
            if isinstance(dest, str) and dest not in named:
                dangling.append(dest)
    assert internal > 200, f"only {internal} internal links in the PDF"
    assert not dangling, f"links to missing destinations: {dangling[:20]}"


def test_pdf_is_linked_from_the_site(built_pdf, built_book):
    """The PDF build puts book.pdf beside the HTML site, where the intro page links to it."""
    if os.environ.get("MLMATH_BUILT_PDF"):
        pytest.skip("MLMATH_BUILT_PDF names a PDF built elsewhere: no copy beside this site")
    intro = built_book / "chapters" / "intro.html"
    links = re.findall(r'href="([^"]*book\.pdf)"', intro.read_text())
    assert links, "the intro page does not link to the PDF edition"
    for link in links:
        target = (intro.parent / link).resolve()
        assert target.is_file(), f"the intro page links to {link}, but {target} is missing"
        assert target.read_bytes() == built_pdf.read_bytes(), f"{target} is not the new PDF"
