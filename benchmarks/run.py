"""Side-by-side benchmarks of mlmath against references measured in the same run.

    python -m benchmarks.run            # full sizes (several minutes)
    python -m benchmarks.run --quick    # tiny sizes: proves every benchmark runs
    python -m benchmarks.run --book     # also time each chapter notebook and a clean build
    python -m benchmarks.run --write-readme   # publish the table in benchmarks/README.md

Every row times mlmath and a reference on the same data, in the same process,
alternating the two and reporting the median of several repetitions, so a busy
machine slows both alike. Times are never asserted: the targets are shown next
to the ratios, and the "agreement" column shows that both computed the same thing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass
class Row:
    task: str
    size: str
    ours: float  # seconds, or GFLOP/s when unit says so
    reference: float | None  # None: a measurement with nothing to compare against
    agreement: str
    target: float | None = None  # bound on the ratio ours / reference
    unit: str = "s"
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        return None if self.reference is None else self.ours / self.reference

    @property
    def meets(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def cells(self) -> list[str]:
        def fmt(v: float) -> str:
            return f"{v * 1e3:.1f} ms" if self.unit == "s" else f"{v:.1f} {self.unit}"

        sign = ">=" if self.higher_is_better else "<="
        return [
            self.task,
            self.size,
            fmt(self.ours),
            "-" if self.reference is None else fmt(self.reference),
            "-" if self.ratio is None else f"{self.ratio:.2f}",
            "-" if self.target is None else f"ratio {sign} {self.target}",
            {None: "-", True: "yes", False: "**no**"}[self.meets],
            self.agreement,
        ]


def median_times(
    ours: Callable[[], object], reference: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median wall time of each, the two alternated so load affects both alike."""
    t_ours, t_ref = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference()
        t_ref.append(time.perf_counter() - start)
    return statistics.median(t_ours), statistics.median(t_ref)


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --- tasks ------------------------------------------------------------------------------------
def bench_ols(quick: bool) -> list[Row]:
    from sklearn.linear_model import LinearRegression as SkLinearRegression

    from mlmath import LinearRegression

    n, d = (2_000, 20) if quick else (100_000, 100)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    ours, ref = LinearRegression().fit(X, y), SkLinearRegression().fit(X, y)
    t_ours, t_ref = median_times(
        lambda: LinearRegression().fit(X, y),
        lambda: SkLinearRegression().fit(X, y),
        2 if quick else 5,
    )
    agreement = f"coef rel. diff {rel_diff(ours.coef_, ref.coef_):.0e}"
    return [Row("OLS fit (LinearRegression)", f"{n}x{d}", t_ours, t_ref, agreement, 1.0)]


def bench_logistic(quick: bool) -> list[Row]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    from mlmath import LogisticRegression

    rows = []
    X, y = load_breast_cancer(return_X_y=True)
    # The 10 "mean" features: with all 30 the classes are linearly separable, and an
    # unpenalised maximum-likelihood fit does not exist (Chapter 3, "Separable data").
    X = X[:, :10]
    X = (X - X.mean(0)) / X.std(0)
    rng = np.random.default_rng(1)
    n, d = (2_000, 10) if quick else (100_000, 50)
    Xs = rng.normal(size=(n, d))
    ys = (rng.random(n) < 1 / (1 + np.exp(-(Xs @ rng.normal(size=d) * 0.5)))).astype(int)
    for name, (A, b) in {
        "breast cancer, 10 mean features (std.)": (X, y),
        "synthetic": (Xs, ys),
    }.items():

        def ours(A=A, b=b):
            return LogisticRegression(C=np.inf, solver="newton").fit(A, b)

        def reference(A=A, b=b):
            return SkLogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(A, b)

        agreement = f"coef rel. diff {rel_diff(ours().coef_, reference().coef_):.0e}"
        t_ours, t_ref = median_times(ours, reference, 3 if quick else 5)
        size = f"{A.shape[0]}x{A.shape[1]}"
        rows.append(Row(f"logistic Newton vs lbfgs, {name}", size, t_ours, t_ref, agreement, 1.0))
    return rows


def _digits_split():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    test, train = order[:360], order[360:]
    return X[train] / 16.0, y[train], X[test] / 16.0, y[test]


def bench_mlp(quick: bool) -> list[Row]:
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    from mlmath import MLPClassifier

    X_train, y_train, X_test, y_test = _digits_split()
    epochs = 3 if quick else 30
    ours = MLPClassifier(max_iter=epochs, random_state=0)
    settings = dict(
        hidden_layer_sizes=ours.hidden_layer_sizes,
        activation=ours.activation,
        batch_size=ours.batch_size,
        learning_rate_init=ours.learning_rate,
        momentum=ours.momentum,
        alpha=ours.alpha,
    )
    reference = SkMLPClassifier(
        solver="sgd",
        nesterovs_momentum=False,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
        **settings,
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning at max_iter
        t_ours, t_ref = median_times(
            lambda: ours.fit(X_train, y_train),
            lambda: reference.fit(X_train, y_train),
            1 if quick else 3,
        )
    agreement = (
        f"test acc. {ours.score(X_test, y_test):.3f} vs {reference.score(X_test, y_test):.3f}"
    )
    size = f"digits {len(y_train)} train, {settings['hidden_layer_sizes']}"
    return [
        Row(
            "MLP time per epoch (sgd)",
            size,
            t_ours / epochs,
            t_ref / epochs,
            agreement,
            1.0,
        )
    ]


def bench_conv(quick: bool) -> list[Row]:
    from mlmath.conv import conv2d_backward, conv2d_forward, conv2d_naive

    rows = []
    rng = np.random.default_rng(2)
    C, F, K = 16, 32, 3
    for H in (8, 28):
        N = 8 if quick else (256 if H == 8 else 64)
        x = rng.normal(size=(N, C, H, H))
        w = rng.normal(size=(F, C, K, K)) * 0.1
        b = rng.normal(size=F)
        out, _ = conv2d_forward(x, w, b, stride=1, padding=1)
        dout = rng.normal(size=out.shape)
        M, Kdim = N * H * H, C * K * K  # im2col rows and columns
        flops = 3 * 2 * M * Kdim * F  # forward, dX and dW: one (M, Kdim) x (Kdim, F) product each
        cols, W2 = rng.normal(size=(M, Kdim)), rng.normal(size=(Kdim, F))
        dZ = rng.normal(size=(M, F))

        def ours(x=x, w=w, b=b, dout=dout):
            _, cache = conv2d_forward(x, w, b, stride=1, padding=1)
            conv2d_backward(dout, cache)

        def reference(cols=cols, W2=W2, dZ=dZ):
            np.matmul(cols, W2)
            np.matmul(dZ, W2.T)
            np.matmul(cols.T, dZ)

        t_ours, t_ref = median_times(ours, reference, 3 if quick else 7)
        naive_n = 2
        start = time.perf_counter()
        naive_out = conv2d_naive(x[:naive_n], w, b, stride=1, padding=1)
        t_naive = (time.perf_counter() - start) * N / naive_n
        start = time.perf_counter()
        conv2d_forward(x, w, b, stride=1, padding=1)
        t_fast = time.perf_counter() - start
        agreement = (
            f"vs naive {rel_diff(out[:naive_n], naive_out):.0e}; "
            f"fwd {t_naive / t_fast:.0f}x faster than loops"
        )
        rows.append(
            Row(
                "conv2d fwd+bwd GFLOP/s vs np.matmul",
                f"{N}x{C}x{H}x{H}, {F} 3x3 filters",
                flops / t_ours / 1e9,
                flops / t_ref / 1e9,
                agreement,
                0.5,
                unit="GFLOP/s",
                higher_is_better=True,
            )
        )
    return rows


def bench_cnn(quick: bool) -> list[Row]:
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    from mlmath import CNNClassifier

    X_train, y_train, X_test, y_test = _digits_split()
    images = X_train.reshape(-1, 1, 8, 8)
    model = CNNClassifier(random_state=0)
    if quick:
        model.max_iter = 1
    start = time.perf_counter()
    model.fit(images, y_train)
    t_ours = (time.perf_counter() - start) / len(model.loss_curve_)
    accuracy = model.score(X_test.reshape(-1, 1, 8, 8), y_test)
    # Reference: an epoch of scikit-learn's MLP on the same data (no CNN in scikit-learn).
    reference = SkMLPClassifier(hidden_layer_sizes=(64,), max_iter=1, random_state=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        reference.fit(X_train, y_train)
        t_ref = time.perf_counter() - start
    return [
        Row(
            "CNN time per epoch (ref.: sklearn MLP epoch)",
            f"digits {len(y_train)} train",
            t_ours,
            t_ref,
            f"test acc. {accuracy:.3f} ({len(model.loss_curve_)} epochs)",
        )
    ]


def bench_book(quick: bool) -> list[Row]:
    sys.path.insert(0, str(ROOT / "tools"))
    import shutil

    import yaml
    from run_notebooks import run

    rows = []
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for c in toc["chapters"] if (ROOT / f"{c['file']}.ipynb").exists()]
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            copy = Path(tmp) / Path(name).name
            shutil.copy(ROOT / f"{name}.ipynb", copy.with_suffix(".ipynb"))
            seconds = run(copy.with_suffix(".ipynb"))
            rows.append(Row(f"execute {Path(name).name}", "notebook", seconds, None, "-"))
        if not quick:
            start = time.perf_counter()
            subprocess.run(
                [
                    Path(sys.executable).with_name("jupyter-book"),
                    "build",
                    str(ROOT),
                    "--path-output",
                    tmp,
                ],
                check=True,
                capture_output=True,
            )
            seconds = time.perf_counter() - start
            rows.append(Row("clean book build", "all pages", seconds, None, "-"))
    return rows


TASKS = [bench_ols, bench_logistic, bench_mlp, bench_conv, bench_cnn]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}"
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| task | size | mlmath | reference | ratio | target | met | agreement |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check they run")
    parser.add_argument("--book", action="store_true", help="also time notebooks and the build")
    parser.add_argument(
        "--write-readme", action="store_true", help="publish in benchmarks/README.md"
    )
    args = parser.parse_args(argv)

    rows: list[Row] = []
    for task in TASKS + ([bench_book] if args.book else []):
        print(f"running {task.__name__} ...", file=sys.stderr, flush=True)
        rows.extend(task(args.quick))
    text = f"Machine: {machine()}\n\n{table(rows)}\n"
    print(text)
    if args.write_readme:
        readme = ROOT / "benchmarks" / "README.md"
        head, marker = readme.read_text().split("<!-- table -->")[0], "<!-- table -->"
        stamp = time.strftime("%Y-%m-%d")
        readme.write_text(f"{head}{marker}\nLatest run ({stamp}). {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
