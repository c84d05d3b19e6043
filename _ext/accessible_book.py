"""Accessibility fixes to the theme's and the bibliography's markup (WCAG 2.1 AA, axe-core).

Applied to every HTML file once the build has written it, because the markup comes from
templates and extensions the book does not own:

* the search buttons carry ``aria-label="Search"`` while they show "Search Ctrl+K": a spoken
  name must contain the visible text (``label-content-name-mismatch``), so the label goes and
  the name comes from what the button shows;
* the colour-mode button is labelled "Color mode" while its icons carry titles ("Light",
  "Dark", "System Settings") that FontAwesome turns into visible-text titles: the icons lose
  their titles (they are decoration; the button's label names it);
* MyST-NB's folded code cells label their ``<summary>`` "Toggle hidden content" while it
  shows "Show code cell source": the label goes, so the name is the visible text;
* the bibliography marks each entry ``role="doc-biblioentry"`` (a deprecated role) inside a
  ``role="list"``, which must own list items (``aria-required-children``): the entries become
  ``role="listitem"``.

One fix is about weight, not access: the theme loads FontAwesome's JavaScript (1.5 MB, every
icon of the set as SVG data) on every page, although its own stylesheet already draws the same
``<i class="fa-...">`` icons from the bundled web fonts (about 0.3 MB for the two the pages use).
The script tag goes; the icons stay, as text-font glyphs that screen readers skip like before.

``tests/test_book.py`` runs axe-core over every page, in both colour modes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_SEARCH_FIELD = re.compile(
    r'(<button class="btn search-button-field search-button__button[^"]*"[^>]*?)'
    r' aria-label="Search"'
)
_BIBLIOENTRY = re.compile(r'role="doc-biblioentry"')
_SUMMARY_LABEL = re.compile(r'<summary aria-label="Toggle hidden content">')
_THEME_ICON_TITLE = re.compile(r'(<i class="theme-switch [^"]*"[^>]*?)\s+title="[^"]*"')
_FONTAWESOME_JS = re.compile(
    r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?'
)


def fix_markup(text: str) -> str:
    text = _SEARCH_FIELD.sub(r"\1", text)
    text = _THEME_ICON_TITLE.sub(r"\1", text)
    text = _SUMMARY_LABEL.sub("<summary>", text)
    text = _FONTAWESOME_JS.sub("", text)
    return _BIBLIOENTRY.sub('role="listitem"', text)


def rewrite_pages(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = fix_markup(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("build-finished", rewrite_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
