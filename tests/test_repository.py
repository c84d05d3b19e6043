"""What Binder, a fresh clone and the style rules need from the repository itself."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_every_direct_dependency_is_pinned_exactly():
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    for line in lines:
        if line.startswith("-e"):
            assert line == "-e .", f"unexpected editable requirement {line!r}"
            continue
        if line.startswith("./"):  # a package of this repository (jupyterlab-settings/)
            assert (ROOT / line / "pyproject.toml").is_file(), f"{line!r} is not a package here"
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.+\-]*", line), (
            f"requirements.txt: {line!r} is not pinned with =="
        )
    jb = [line for line in lines if line.startswith("jupyter-book==")]
    assert jb and jb[0].split("==")[1].startswith("1."), "jupyter-book must stay on 1.x"


def test_runtime_matches_requires_python():
    runtime = (ROOT / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"runtime.txt should read like 'python-3.11', got {runtime!r}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = re.search(r">=\s*(\d+)\.(\d+)", project["requires-python"]).groups()
    assert tuple(map(int, match.groups())) >= tuple(map(int, minimum))


def test_no_binder_folder_and_package_installs_from_root():
    assert not (ROOT / "binder").exists(), "Binder must use the root files, not binder/"
    assert not (ROOT / ".binder").exists()
    assert "-e ." in (ROOT / "requirements.txt").read_text()


def test_numeric_core_imports_without_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['ipywidgets'] = None\n"
        "import mlmath\n"
        "print(sorted(m for m in sys.modules if m.startswith('mlmath')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "mlmath.viz" not in out.stdout and "mlmath.interactive" not in out.stdout


def test_config_names_the_repository_once():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)
    assert config["execute"]["raise_on_error"] is True
    assert config["only_build_toc_files"] is True
    assert config.get("execute", {}).get("allow_errors") is not True
    # The address is written nowhere else in the book's sources.
    owner_repo = url.removeprefix("https://github.com/")
    for path in [*ROOT.glob("chapters/*.md"), *ROOT.glob("chapters/*.ipynb")]:
        assert owner_repo not in path.read_text(), f"{path.name} repeats the repository address"


def test_ruff_check_and_format():
    files = ["mlmath", "tests", "chapters", "tools", "_ext", "benchmarks"]
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *files], capture_output=True, text=True, cwd=ROOT
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
