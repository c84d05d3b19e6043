"""The benchmarks run end to end at tiny sizes (their timings are never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmarks_print_a_full_table():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [
        line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    tasks = {row.split("|")[1].strip() for row in rows[1:]}
    for expected in (
        "OLS fit",
        "logistic Newton",
        "MLP time per epoch",
        "conv2d fwd+bwd",
        "CNN time",
    ):
        assert any(task.startswith(expected) for task in tasks), (
            f"missing row {expected!r}: {tasks}"
        )
    assert "Machine:" in result.stdout
