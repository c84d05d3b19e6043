"""The system Chromium that prints the PDF edition and runs the browser tests.

One place for its path and launch flags: ``_ext/pdf_book.py`` prints with it, and
``tests/conftest.py`` gives the browser tests their ``browser`` fixture from it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Launch flags: no sandbox (CI runs as root), nothing fetched in the background. Playwright
#: adds ``--headless`` itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    """Path of the system Chromium: ``MLMATH_CHROMIUM``, else ``chromium`` on the PATH.

    Raises
    ------
    RuntimeError
        When no Chromium binary is found; the message says how to install one.
    """
    path = os.environ.get("MLMATH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        raise RuntimeError(
            f"Chromium not found at {path!r}: install Debian's chromium "
            "(apt-get install chromium; .ci/run does) or set MLMATH_CHROMIUM to a Chromium binary"
        )
    return path
