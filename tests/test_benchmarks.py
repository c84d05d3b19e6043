"""The benchmarks run end to end at tiny sizes (their timings are never asserted)."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import NO_FLOAT32, NO_TORCH, Row
from mlmath import CNNClassifier, MLPClassifier

ROOT = Path(__file__).resolve().parents[1]
HAVE_TORCH = importlib.util.find_spec("torch") is not None

TORCH_ROWS = {  # task prefix -> (rows expected, classifier whose dtype decides float32)
    "MLP epoch vs PyTorch (sgd)": (2, MLPClassifier),
    "CNN epoch vs PyTorch (adam)": (2, CNNClassifier),
    "conv2d fwd+bwd vs PyTorch": (4, None),  # two sizes, two dtypes
}


@pytest.fixture(scope="module")
def quick_rows() -> dict[str, list[list[str]]]:
    """``python -m benchmarks.run --quick``: task -> the cells of its rows."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Machine:" in result.stdout and "Load average" in result.stdout
    lines = [
        line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    rows: dict[str, list[list[str]]] = {}
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 8, line
        rows.setdefault(cells[0], []).append(cells)
    return rows


def _rows(rows: dict[str, list[list[str]]], prefix: str) -> list[list[str]]:
    return [cells for task, group in rows.items() if task.startswith(prefix) for cells in group]


def test_quick_benchmarks_print_a_full_table(quick_rows):
    for expected in (
        "OLS fit",
        "logistic to 1e-06 of the minimiser",
        "MLP epoch vs scikit-learn",
        "conv2d fwd+bwd GFLOP/s",
        "im2col copy GB/s",
        *TORCH_ROWS,
    ):
        assert _rows(quick_rows, expected), f"missing row {expected!r}: {list(quick_rows)}"


def test_torch_rows_are_measured_or_skipped_with_their_note(quick_rows):
    for prefix, (count, estimator) in TORCH_ROWS.items():
        rows = _rows(quick_rows, prefix)
        assert len(rows) == count, rows
        assert {row[0].rsplit(", ", 1)[1] for row in rows} == {"float64", "float32"}
        for task, _, ours, reference, ratio, _, _, agreement in rows:
            assert ours != "-", task  # mlmath is timed either way
            if HAVE_TORCH:
                assert reference != "-" and ratio != "-" and NO_TORCH not in agreement
                assert ("test acc." if estimator else "rel. diff out") in agreement
            else:
                assert (reference, ratio) == ("-", "-") and NO_TORCH in agreement
            has_float32 = estimator is None or "dtype" in inspect.signature(estimator).parameters
            if task.endswith("float32") and estimator is not None:
                assert (NO_FLOAT32 in agreement) == (not has_float32), agreement
            if task.endswith("float64"):
                assert NO_FLOAT32 not in agreement


def test_logistic_rows_name_each_solver_and_its_tol(quick_rows):
    rows = _rows(quick_rows, "logistic to 1e-06 of the minimiser")
    assert len(rows) == 2
    for row in rows:
        agreement = row[-1]
        for solver in ("mlmath", "lbfgs", "newton-cholesky"):
            assert f"{solver} tol=" in agreement or f"{solver}: never within" in agreement
        assert "exact vs sklearn tight" in agreement


def test_a_miss_says_by_how_much():
    assert Row("t", "s", 2.0, 1.0, "-", target=0.8).miss == "**no**, 2.50x over"
    assert Row("t", "s", 0.5, 1.0, "-", target=0.8).miss == "yes"
    faster = Row("t", "s", 1.0, 4.0, "-", target=0.5, higher_is_better=True)
    assert faster.miss == "**no**, 2.00x below"
    assert Row("t", "s", None, 1.0, "skipped").cells()[2:5] == ["-", "1000.0 ms", "-"]


def test_page_weight_counts_the_files_a_page_references(tmp_path):
    from benchmarks.run import PAGE_BUDGET_MB, page_weight_row

    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "a.js").write_bytes(b"x" * 300_000)
    (tmp_path / "_static" / "b.css").write_bytes(b"y" * 200_000)
    page = (
        '<link rel="stylesheet" href="_static/b.css?digest=1"><script src="_static/a.js"></script>'
        '<img src="data:image/png;base64,AAAA"><script src="https://example.org/x.js"></script>'
        '<script src="_static/a.js"></script><img src="missing.png">'
    )
    (tmp_path / "p.html").write_text(page)
    row = page_weight_row(tmp_path, "p.html")
    assert row.unit == "MB" and row.reference == PAGE_BUDGET_MB
    assert row.ours == pytest.approx((300_000 + 200_000 + len(page)) / 1e6)
    assert row.agreement.startswith("3 files") and row.meets
