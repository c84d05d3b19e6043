"""Shared fixtures: the repository root and the built book.

The book build is slow (it executes every chapter), so it happens once per
test session. Under pytest-xdist several workers may ask for it: the first
builds it into a folder shared by the workers while holding a file lock, the
others wait and reuse it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))  # the book's Sphinx extensions, e.g. book_chromium

from book_chromium import CHROMIUM_ARGS, chromium  # noqa: E402


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def jupyter_book(src: Path, *args: str) -> subprocess.CompletedProcess:
    """``jupyter-book build src *args`` with warnings as errors, in this environment.

    The kernels import the copy's mlmath. MPLBACKEND=Agg is what many CI machines set; it
    overrides the inline backend unless a notebook asks for it, and then every static figure
    silently vanishes from the book. Building under it proves the figures do not depend on it
    (tests/test_book.py and tests/test_pdf.py count them).
    """
    jb = Path(sys.executable).with_name("jupyter-book")
    env = os.environ | {"PYTHONPATH": str(src), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [str(jb), "build", str(src), *args, "-W", "-n", "--keep-going"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def _build_book(out: Path) -> subprocess.CompletedProcess:
    """``jupyter-book build`` of a clean copy of the sources (in ``out/src``)."""
    src = out / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            "_build",
            ".git",
            ".venv",
            "__pycache__",
            ".hypothesis",
            ".ipynb_checkpoints",
            "screenshots",
            "node_modules",
        ),
    )
    # node_modules (npm ci) holds Pyodide's core for the browser runtime (_ext/lite_book.py):
    # linked, not copied
    if (ROOT / "node_modules").is_dir():
        (src / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return jupyter_book(src)


def build_once(folder: Path, build: Callable[[], subprocess.CompletedProcess]) -> str:
    """Run ``build`` once for all xdist workers (under a file lock); its log and exit code.

    The first worker to get here builds and records ``folder/status.txt`` and
    ``folder/build.log``; the others wait for the lock and read them.
    """
    folder.mkdir(exist_ok=True)
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        status = folder / "status.txt"
        if not status.exists():
            result = build()
            (folder / "build.log").write_text(result.stdout + "\n" + result.stderr)
            status.write_text(str(result.returncode))
        fcntl.flock(lock, fcntl.LOCK_UN)
    return status.read_text()


def shared_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder shared by every xdist worker of this session."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp sits inside this session's own folder; without
    # xdist, basetemp itself is this session's (its parent is shared by all sessions).
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of ``_build/html`` of a fresh, warning-free build of the book.

    ``MLMATH_BUILT_BOOK=path/to/_build/html`` reuses an existing build instead,
    to iterate on the browser checks without rebuilding; the README's test
    command and CI never set it, so they always check a clean build.
    """
    reuse = os.environ.get("MLMATH_BUILT_BOOK")
    if reuse:
        if not (Path(reuse) / "index.html").is_file():
            pytest.fail(f"MLMATH_BUILT_BOOK={reuse} holds no built book (no index.html)")
        return Path(reuse).resolve()
    out = shared_temp(tmp_path_factory) / "book"
    status = build_once(out, lambda: _build_book(out))
    html = out / "src" / "_build" / "html"
    if status != "0":
        reports = sorted((out / "src" / "_build" / "html" / "reports").glob("*.err.log"))
        details = "\n".join(p.read_text()[-3000:] for p in reports)
        log = (out / "build.log").read_text()
        pytest.fail(f"the book did not build cleanly:\n{log[-6000:]}\n{details}")
    return html


@pytest.fixture(scope="module")
def browser():
    """Headless system Chromium (``_ext/book_chromium.py``), one per test module."""
    try:
        path = chromium()
    except RuntimeError as err:
        pytest.fail(str(err))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def require_lite(built_book: Path) -> Path:
    """``_build/html/lite``, the browser runtime (``_ext/lite_book.py``), or skip the test.

    The build leaves the runtime out, saying why in one line, when its sources are missing
    (``npm ci`` or ``pip install -r requirements.txt`` not run, or no PyPI). Under CI, where
    .ci/run installs both, a missing runtime fails instead of skipping.
    """
    lite = built_book / "lite"
    if (lite / "jupyter-lite.json").is_file():
        return lite
    log = built_book.parents[2] / "build.log"
    said = [
        line
        for line in (log.read_text().splitlines() if log.is_file() else [])
        if line.startswith("lite_book:")
    ]
    reason = f"the book was built without the browser runtime: {said[0] if said else '?'}"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
