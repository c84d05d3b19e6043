"""Where the code runs: a regular Python, or the reader's browser.

Every chapter also runs :ref:`in the browser <sec-run-in-browser>`, in the book's own
JupyterLite on Pyodide: CPython compiled to WebAssembly, with Pyodide's builds of numpy,
matplotlib, scipy and scikit-learn, which are not the versions pinned in
``requirements.txt``, and with a single thread. A cell that cannot run there (a pinned
version check, a measurement that needs threads) starts with :func:`skip_in_browser`, the
book's one mechanism for it::

    from mlmath.runtime import skip_in_browser

    if not skip_in_browser("the thread-pool timing needs native threads"):
        ...  # the cell's code, as before

Outside the browser the cell runs as always; in the browser it prints
``Skipped in the browser: <reason>`` (:data:`SKIP_MESSAGE`) and does nothing else, so Run
All never stops there. ``tests/test_lite.py`` accepts exactly that line in place of a
cell's work.
"""

from __future__ import annotations

import sys

__all__ = ["IN_BROWSER", "SKIP_MESSAGE", "skip_in_browser"]

#: True in Pyodide (the browser runtime), whose ``sys.platform`` is ``"emscripten"``.
IN_BROWSER: bool = sys.platform == "emscripten"

#: What a skipped cell prints, followed by its reason.
SKIP_MESSAGE = "Skipped in the browser: "


def skip_in_browser(reason: str) -> bool:
    """Whether to skip this cell: in the browser, say so and why, and return True.

    Parameters
    ----------
    reason : str
        Why the cell cannot run in the browser, in words a reader understands.

    Returns
    -------
    bool
        True (after printing ``SKIP_MESSAGE + reason``) when running in the browser,
        False (silently) anywhere else.

    Raises
    ------
    TypeError
        If ``reason`` is not a string.
    ValueError
        If ``reason`` is empty.
    """
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str, got {type(reason).__name__}")
    if not reason.strip():
        raise ValueError("reason must say why the cell cannot run in the browser, got ''")
    if IN_BROWSER:
        print(SKIP_MESSAGE + reason.strip())
        return True
    return False
