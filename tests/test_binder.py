"""Binder as a reader uses it, emulated the way repo2docker builds the image.

repo2docker clones the repository, creates an environment with the Python that
``runtime.txt`` names, runs ``pip install -r requirements.txt`` from the
repository root (which installs ``mlmath`` itself through ``-e .``), and opens
a notebook whose kernel starts in the notebook's own folder. This module does
exactly that in a temporary folder: a copy of the files git knows about, a
fresh virtual environment, then every notebook of the table of contents run by
*that* environment's kernel, from its own folder; and its JupyterLab checked
for what the notebooks need there (the MyST renderer and widget manager enabled
and compatible, widget state saved with the notebook).

The pip install dominates the time of this module (a minute or two with pip's
cache warm), which is why it installs once per session and why pip's cache is
left on.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_book import PAGES, source_of  # tests/ is on sys.path (pytest's prepend mode)
from test_jupyterlab import lab_extension_problems

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.binder

NOTEBOOKS = [p for p in PAGES if source_of(p).suffix == ".ipynb"]

# Runs inside the fresh environment: executes one notebook from its own folder
# with the kernel named "python3" (as JupyterLab on Binder would) and reports
# the kernel's interpreter and where it imported mlmath from.
RUNNER = r"""
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
probe = nbformat.v4.new_code_cell(
    "import sys, os, mlmath; print(repr((sys.executable, mlmath.__file__, os.getcwd())))"
)
nb.cells.insert(0, probe)
client = NotebookClient(
    nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
)
result = {"ok": True}
try:
    client.execute()
except Exception as exc:  # report which cell failed, not a traceback of nbclient
    result = {"ok": False, "error": str(exc)[-3000:]}
outputs = nb.cells[0].get("outputs", [])
result["probe"] = "".join(o.get("text", "") for o in outputs).strip()
print("RESULT " + json.dumps(result))
"""


def _clean_env(venv: Path) -> dict[str, str]:
    """The environment of a Binder session: this venv first, nothing of the test process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("PIP_NO_CACHE_DIR", None)  # reuse pip's cache: the install dominates
    return env


def _copy_repository(dest: Path) -> None:
    """What Binder clones: the files git tracks (plus new, not ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:  # not a git checkout: copy the sources without build products
        shutil.copytree(
            ROOT,
            dest,
            ignore=shutil.ignore_patterns(
                "_build", ".git", ".venv", "__pycache__", ".hypothesis", "screenshots"
            ),
        )
        return
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():  # skip files deleted in the working tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@pytest.fixture(scope="module")
def binder(tmp_path_factory) -> tuple[Path, Path]:
    """(repository copy, virtual environment) built as repo2docker would."""
    runtime = (ROOT / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"runtime.txt should read like 'python-3.11', got {runtime!r}"
    version = ".".join(match.groups())
    python = shutil.which(f"python{version}")
    if python is None:
        pytest.skip(f"runtime.txt asks for Python {version}, which this machine does not have")
    check = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0 or check.stdout.strip() != version:
        pytest.skip(f"python{version} on PATH does not run Python {version}: {check.stderr}")

    base = tmp_path_factory.mktemp("binder")
    repo, venv = base / "repo", base / "venv"
    _copy_repository(repo)
    subprocess.run([python, "-m", "venv", str(venv)], check=True, env=_clean_env(venv))
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    install = subprocess.run(
        # --no-compile: skip byte-compiling ~300 packages up front (Python compiles what a
        # notebook imports on first use); the installed files are the same.
        [*pip, "install", "-q", "--no-compile", "-r", "requirements.txt"],
        cwd=repo,
        env=_clean_env(venv),
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert install.returncode == 0, (
        f"pip install -r requirements.txt failed in a fresh Python {version} environment:\n"
        f"{install.stdout[-3000:]}\n{install.stderr[-3000:]}"
    )
    return repo, venv


def test_binder_environment_has_the_runtime_python_and_mlmath(binder):
    repo, venv = binder
    code = "import sys, mlmath, jupyter_book; print(sys.version_info[:2], mlmath.__file__)"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=venv,  # not the repository: mlmath must be importable from anywhere
        env=_clean_env(venv),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert str(repo / "mlmath") in out.stdout, f"mlmath not installed from the clone: {out.stdout}"


def test_binder_jupyterlab_renders_myst_and_saves_widget_state(binder):
    """What tests/test_jupyterlab.py relies on, installed by the Binder install alone."""
    _, venv = binder
    problems = lab_extension_problems(str(venv / "bin" / "python"), env=_clean_env(venv))
    assert not problems, "\n".join(problems)
    settings = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "mlmath.json"
    assert settings.is_file(), f"{settings} missing: jupyterlab-settings/ was not installed"
    widgets = json.loads(settings.read_text())["@jupyter-widgets/jupyterlab-manager:plugin"]
    assert widgets == {"saveState": True}, widgets


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_notebook_runs_on_binder(binder, page):
    repo, venv = binder
    notebook = repo / source_of(page).relative_to(ROOT)
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", RUNNER, str(notebook)],
        cwd=notebook.parent,
        env=_clean_env(venv),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"{page}: the runner failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["ok"], f"{page} fails on Binder:\n{result.get('error')}"
    executable, mlmath_file, cwd = ast.literal_eval(result["probe"])
    assert Path(executable).parent == venv / "bin", f"{page}: kernel ran {executable}"
    assert Path(mlmath_file).is_relative_to(repo), f"{page}: imported {mlmath_file}"
    assert Path(cwd) == notebook.parent, f"{page}: kernel started in {cwd}"
