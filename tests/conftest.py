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
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _build_book(out: Path) -> subprocess.CompletedProcess:
    """``jupyter-book build`` of a clean copy of the sources, warnings as errors."""
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
    jb = Path(sys.executable).with_name("jupyter-book")
    # The kernels import this copy's mlmath. MPLBACKEND=Agg is what many CI machines set; it
    # overrides the inline backend unless a notebook asks for it, and then every static figure
    # silently vanishes from the book. Building under it proves the figures do not depend on it
    # (tests/test_book.py counts them page by page).
    env = os.environ | {"PYTHONPATH": str(src), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [str(jb), "build", str(src), "-W", "-n", "--keep-going"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


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
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp sits inside this session's own folder; without
    # xdist, basetemp itself is this session's (its parent is shared by all sessions).
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "book"
    out.mkdir(exist_ok=True)
    with open(shared / "book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        status = out / "status.txt"
        if not status.exists():
            result = _build_book(out)
            (out / "build.log").write_text(result.stdout + "\n" + result.stderr)
            status.write_text(str(result.returncode))
        fcntl.flock(lock, fcntl.LOCK_UN)
    html = out / "src" / "_build" / "html"
    if status.read_text() != "0":
        reports = sorted((out / "src" / "_build" / "html" / "reports").glob("*.err.log"))
        details = "\n".join(p.read_text()[-3000:] for p in reports)
        log = (out / "build.log").read_text()
        pytest.fail(f"the book did not build cleanly:\n{log[-6000:]}\n{details}")
    return html
