"""A stand-in for ``myst_nb`` in the browser runtime (``_ext/lite_book.py`` builds its wheel).

The chapters call ``from myst_nb import glue`` to hand numbers to the book's text. MyST-NB
itself does not run in Pyodide, and in a live notebook nothing reads glued values, so this
``glue`` only shows the value when asked to (``display=True``), as MyST-NB's does in Jupyter.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Show ``variable`` if ``display`` is true; ``name`` is kept for the book build only."""
    if not isinstance(name, str):
        raise TypeError(f"glue: name must be a str, got {type(name).__name__}")
    if display:
        from IPython.display import display as show

        show(variable)
