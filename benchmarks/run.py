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
import inspect
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass
class Row:
    task: str
    size: str
    ours: float | None  # seconds, or `unit`; None: not measured (the note says why)
    reference: float | None  # None: a measurement with nothing to compare against
    agreement: str
    target: float | None = None  # bound on the ratio ours / reference
    unit: str = "s"
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.reference is None:
            return None
        return self.ours / self.reference

    @property
    def meets(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    @property
    def miss(self) -> str:
        """'yes', or by how much the ratio misses its bound ('**no**, 1.3x the bound')."""
        if self.meets is None:
            return "-"
        if self.meets:
            return "yes"
        factor = self.target / self.ratio if self.higher_is_better else self.ratio / self.target
        return f"**no**, {factor:.2f}x {'below' if self.higher_is_better else 'over'}"

    def cells(self) -> list[str]:
        def fmt(v: float | None) -> str:
            if v is None:
                return "-"
            if self.unit == "s":
                return f"{v * 1e3:.1f} ms"
            return f"{v:.2f} MB" if self.unit == "MB" else f"{v:.1f} {self.unit}"

        sign = ">=" if self.higher_is_better else "<="
        return [
            self.task,
            self.size,
            fmt(self.ours),
            fmt(self.reference),
            "-" if self.ratio is None else f"{self.ratio:.2f}",
            "-" if self.target is None else f"ratio {sign} {self.target}",
            self.miss,
            self.agreement,
        ]


def median_times(*functions: Callable[[], object], repeats: int) -> list[float]:
    """Median wall time of each function, all alternated so load affects them alike."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeats):
        for f, t in zip(functions, times, strict=True):
            start = time.perf_counter()
            f()
            t.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --- PyTorch, the peer for networks (optional) -------------------------------------------------
TORCH_PIN = "2.13.0"  # the version measured in benchmarks/README.md
NO_TORCH = f"skipped: torch not installed (`pip install torch=={TORCH_PIN}`, CPU)"
NO_FLOAT32 = "mlmath has no float32 path yet (it ran in float64)"
DTYPES = (np.float64, np.float32)


def numpy_threads() -> int:
    """Threads of numpy's BLAS (threadpoolctl), the count PyTorch is given too."""
    from threadpoolctl import threadpool_info

    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(counts, default=1)


def load_torch():
    """``torch`` with numpy's thread count, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(numpy_threads())
    return torch


def dtype_setting(estimator: type, dtype) -> dict | None:
    """``{"dtype": dtype}`` where ``estimator`` takes one; ``{}`` for float64 where it does not.

    None: the estimator has no float32 path (the row then runs it in float64).
    """
    if "dtype" in inspect.signature(estimator).parameters:
        return {"dtype": dtype}
    return {} if dtype == np.float64 else None


def torch_twin(torch, model, rng: np.random.Generator):
    """A PyTorch network with the layers of the mlmath ``Sequential`` ``model``.

    Weights are drawn afresh with mlmath's own initialisation (``init_weights``
    with each layer's ``init``), biases zero, as a new mlmath network starts.
    """
    from mlmath.cnn import Conv2D, Flatten, MaxPool2D
    from mlmath.layers import init_weights
    from mlmath.network import Activation, Dense

    nn = torch.nn
    activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    layers = []
    for layer in model:
        if isinstance(layer, Dense):
            n_in, n_out = layer.params["W"].shape
            twin = nn.Linear(n_in, n_out)
            W = init_weights(n_in, n_out, init=layer.init, rng=rng).T  # torch: (out, in)
        elif isinstance(layer, Conv2D):
            F, C, HH, WW = layer.params["W"].shape
            twin = nn.Conv2d(C, F, (HH, WW), stride=layer.stride, padding=layer.padding)
            W = init_weights(C * HH * WW, F, init=layer.init, rng=rng).T.reshape(F, C, HH, WW)
        elif isinstance(layer, Activation):
            layers.append(activations[layer.name]())
            continue
        elif isinstance(layer, MaxPool2D):
            layers.append(nn.MaxPool2d(layer.size, layer.stride))
            continue
        elif isinstance(layer, Flatten):
            layers.append(nn.Flatten())
            continue
        else:
            raise TypeError(f"no PyTorch twin for {layer!r}")
        with torch.no_grad():
            twin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            twin.bias.zero_()
        layers.append(twin)
    return nn.Sequential(*layers)


def torch_train(torch, net, optimizer, X, y, epochs: int, batch_size: int, seed: int) -> None:
    """Mini-batch training on the mean cross-entropy, a fresh order of the samples per epoch."""
    generator = torch.Generator().manual_seed(seed)
    loss = torch.nn.functional.cross_entropy
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss(net(X[idx]), y[idx]).backward()
            optimizer.step()


def torch_accuracy(torch, net, X, y) -> float:
    with torch.no_grad():
        return float((net(X).argmax(dim=1) == y).double().mean())


def bench_against_torch(
    make_ours: Callable[[dict], Any],
    make_optimizer: Callable[[Any, Any], Any],
    data: tuple[np.ndarray, ...],
    epochs: int,
    repeats: int,
    task: str,
    size: str,
) -> list[Row]:
    """Epoch time of mlmath's classifier against its PyTorch twin, in float64 and float32.

    ``make_ours(settings)`` returns the unfitted mlmath classifier (``settings``
    holds ``dtype`` where the classifier takes one); ``make_optimizer(torch,
    net)`` the PyTorch optimiser with the same rule and learning rate. Both
    train ``epochs`` epochs on the same data and are scored on the same test
    set; without torch the rows say so (and mlmath is still timed).
    """
    torch = load_torch()
    rows = []
    for dtype in DTYPES:
        settings = dtype_setting(type(make_ours({})), dtype)
        note = "" if settings is not None else f"; {NO_FLOAT32}"
        ours = make_ours(settings or {})
        t_ours, t_ref, acc, acc_ref = _epochs_against_torch(
            torch, ours, make_optimizer, data, dtype, epochs, repeats
        )
        name = f"{task}, {np.dtype(dtype).name}"
        if torch is None:
            agreement = f"{NO_TORCH}; mlmath test acc. {acc:.3f} (after {epochs} epoch(s)){note}"
            rows.append(Row(name, size, t_ours / epochs, None, agreement, 1.0))
        else:
            agreement = f"test acc. {acc:.3f} vs {acc_ref:.3f} (after {epochs} epoch(s)){note}"
            rows.append(Row(name, size, t_ours / epochs, t_ref / epochs, agreement, 1.0))
    return rows


def _epochs_against_torch(torch, ours, make_optimizer, data, dtype, epochs, repeats):
    """Fit times of ``ours`` and of its PyTorch twin (None without torch), and test accuracies."""
    X_train, X_test = (a.astype(dtype) for a in data[::2])
    y_train, y_test = data[1], data[3]
    if torch is None:
        [t_ours] = median_times(lambda: ours.fit(X_train, y_train), repeats=repeats)
        return t_ours, None, ours.score(X_test, y_test), None
    to_torch = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    Xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train.astype(np.int64))
    ours.fit(X_train, y_train)  # also gives the architecture to copy
    nets = []

    def reference():
        seed = len(nets)
        net = torch_twin(torch, ours.model_, np.random.default_rng(seed)).to(to_torch)
        optimizer = make_optimizer(torch, net)
        torch_train(torch, net, optimizer, Xt, yt, epochs, ours.batch_size, seed)
        nets.append(net)

    t_ours, t_ref = median_times(lambda: ours.fit(X_train, y_train), reference, repeats=repeats)
    Xt_test, yt_test = torch.from_numpy(X_test), torch.from_numpy(y_test.astype(np.int64))
    acc_ref = torch_accuracy(torch, nets[-1], Xt_test, yt_test)
    return t_ours, t_ref, ours.score(X_test, y_test), acc_ref


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
        repeats=2 if quick else 5,
    )
    agreement = f"coef rel. diff {rel_diff(ours.coef_, ref.coef_):.0e}"
    return [Row("OLS fit (LinearRegression)", f"{n}x{d}", t_ours, t_ref, agreement, 1.0)]


#: Coefficients count as found once within this relative distance of the exact minimiser.
MATCHED = 1e-6
#: The stopping tolerances searched, loosest first, for the loosest that reaches MATCHED.
TOLS = tuple(10.0**-k for k in range(1, 13))


def _theta(model) -> np.ndarray:
    return np.append(model.coef_[0], model.intercept_)


def _exact_minimiser(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The unpenalised minimiser, from a very tight Newton, and its distance to scikit-learn's.

    mlmath's Newton with ``tol=1e-12``, then plain Newton steps on the public
    gradient and Hessian until they change nothing; checked against
    scikit-learn's newton-cholesky at ``tol=1e-12``.
    """
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    from mlmath import LogisticRegression
    from mlmath.logistic import logistic_gradient, logistic_hessian

    theta = _theta(LogisticRegression(tol=1e-12).fit(X, y))
    for _ in range(2):
        theta = theta - np.linalg.solve(logistic_hessian(theta, X), logistic_gradient(theta, X, y))
    sk = SkLogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    return theta, rel_diff(_theta(sk.fit(X, y)), theta)


def _loosest_tol(fit: Callable[[float], Any], exact: np.ndarray) -> tuple[float | None, float]:
    """The loosest tol in TOLS whose fit is within MATCHED of ``exact``, and its error.

    ``(None, error at the tightest tol)`` when none gets there.
    """
    import warnings

    error = np.inf
    for tol in TOLS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a loose tol may stop "unconverged"
            error = rel_diff(_theta(fit(tol)), exact)
        if error <= MATCHED:
            return tol, error
    return None, error


def bench_logistic(quick: bool) -> list[Row]:
    """Time to coefficients within MATCHED of the exact minimiser, each solver at its own tol."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    # The 10 "mean" features: with all 30 the classes are linearly separable, and an
    # unpenalised maximum-likelihood fit does not exist (Chapter 3, "Separable data").
    X = X[:, :10]
    X = (X - X.mean(0)) / X.std(0)
    rng = np.random.default_rng(1)
    n, d = (2_000, 10) if quick else (100_000, 50)
    Xs = rng.normal(size=(n, d))
    ys = (rng.random(n) < 1 / (1 + np.exp(-(Xs @ rng.normal(size=d) * 0.5)))).astype(int)
    return [
        _logistic_row("synthetic", Xs, ys, quick),
        _logistic_row("breast cancer, 10 mean features (std.)", X, y, quick),
    ]


def _logistic_fitters() -> dict[str, Callable[[np.ndarray, np.ndarray, float], Any]]:
    """Unpenalised fits ``fit(X, y, tol)``: mlmath's Newton and scikit-learn's two solvers."""
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    from mlmath import LogisticRegression

    def sklearn(solver: str) -> Callable[[np.ndarray, np.ndarray, float], Any]:
        return lambda X, y, tol: SkLogisticRegression(
            C=np.inf, solver=solver, tol=tol, max_iter=10_000
        ).fit(X, y)

    return {
        "mlmath": lambda X, y, tol: LogisticRegression(tol=tol).fit(X, y),
        "lbfgs": sklearn("lbfgs"),
        "newton-cholesky": sklearn("newton-cholesky"),
    }


def _logistic_row(name: str, X: np.ndarray, y: np.ndarray, quick: bool) -> Row:
    import warnings

    fitters = _logistic_fitters()
    exact, sk_gap = _exact_minimiser(X, y)
    found = {
        s: _loosest_tol(lambda tol, fit=fit: fit(X, y, tol), exact) for s, fit in fitters.items()
    }
    timed = [s for s, (tol, _) in found.items() if tol is not None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = median_times(
            *[lambda fit=fitters[s], tol=found[s][0]: fit(X, y, tol) for s in timed],
            repeats=3 if quick else 7,
        )
    t = dict(zip(timed, times, strict=True))
    sk = [s for s in timed if s != "mlmath"]
    fastest = min(sk, key=t.__getitem__) if sk else None
    parts = [
        f"{s} tol={tol:.0e}: err {err:.0e}" + (f", {t[s] * 1e3:.1f} ms" if s != "mlmath" else "")
        if tol is not None
        else f"{s}: never within {MATCHED:.0e} (err {err:.0e} at tol={TOLS[-1]:.0e})"
        for s, (tol, err) in found.items()
    ]
    return Row(
        f"logistic to {MATCHED:.0e} of the minimiser vs {fastest}, {name}",
        f"{X.shape[0]}x{X.shape[1]}",
        t.get("mlmath"),
        None if fastest is None else t[fastest],
        "; ".join(parts) + f"; exact vs sklearn tight {sk_gap:.0e}",
        0.8,
    )


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
            repeats=1 if quick else 3,
        )
    agreement = (
        f"test acc. {ours.score(X_test, y_test):.3f} vs {reference.score(X_test, y_test):.3f}"
    )
    size = f"digits {len(y_train)} train, {settings['hidden_layer_sizes']}, batch 32"
    rows = [
        Row("MLP epoch vs scikit-learn (sgd), float64", size, t_ours / epochs, t_ref / epochs,
            agreement, 1.0)
    ]  # fmt: skip
    rows += bench_against_torch(
        lambda extra: MLPClassifier(max_iter=epochs, random_state=0, **extra),
        lambda torch, net: torch.optim.SGD(
            net.parameters(), lr=ours.learning_rate, momentum=ours.momentum
        ),
        (X_train, y_train, X_test, y_test),
        epochs,
        1 if quick else 3,
        "MLP epoch vs PyTorch (sgd)",
        size,
    )
    return rows


def _im2col_bandwidth(x: np.ndarray) -> tuple[float, float]:
    """GB/s of im2col's copy, and of ``np.copyto`` moving as many bytes (the machine's limit).

    The bytes counted are those written (the unrolled matrix) plus those read.
    """
    from mlmath.conv import im2col

    cols = im2col(x, 3, 3, padding=1)
    src, dst = np.ones_like(cols), np.empty_like(cols)
    t_im2col, t_copy = median_times(
        lambda: im2col(x, 3, 3, padding=1), lambda: np.copyto(dst, src), repeats=5
    )
    moved = 2 * cols.nbytes
    return moved / t_im2col / 1e9, moved / t_copy / 1e9


def bench_conv(quick: bool) -> list[Row]:
    from mlmath.conv import conv2d_backward, conv2d_forward, conv2d_naive

    rows = []
    torch = load_torch()
    rng = np.random.default_rng(2)
    C, F, K = 16, 32, 3
    for H in (8, 28):
        N = 8 if quick else (256 if H == 8 else 64)
        size = f"{N}x{C}x{H}x{H}, {F} 3x3 filters"
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
            out, cache = conv2d_forward(x, w, b, stride=1, padding=1)
            return (out, *conv2d_backward(dout, cache))

        def reference(cols=cols, W2=W2, dZ=dZ):
            np.matmul(cols, W2)
            np.matmul(dZ, W2.T)
            np.matmul(cols.T, dZ)

        t_ours, t_ref = median_times(ours, reference, repeats=3 if quick else 7)
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
                size,
                flops / t_ours / 1e9,
                flops / t_ref / 1e9,
                agreement,
                0.5,
                unit="GFLOP/s",
                higher_is_better=True,
            )
        )
        im2col_rate, copy_rate = _im2col_bandwidth(x)
        rows.append(
            Row("im2col copy GB/s vs np.copyto of as many bytes", size, im2col_rate, copy_rate,
                "bytes read + written; the memory-bandwidth limit", unit="GB/s",
                higher_is_better=True)
        )  # fmt: skip
        for dtype in DTYPES:
            args = [a.astype(dtype) for a in (x, w, b, dout)]
            name = f"conv2d fwd+bwd vs PyTorch, {np.dtype(dtype).name}"
            note = "" if ours(*args)[0].dtype == dtype else f"; {NO_FLOAT32}"
            target = 1.0 if dtype == np.float64 else 1.5
            if torch is None:
                [t_ours] = median_times(lambda args=args: ours(*args), repeats=3 if quick else 7)
                rows.append(Row(name, size, t_ours, None, NO_TORCH + note, target))
                continue

            def twin(x, w, b, dout):
                x, w, b = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
                out = torch.nn.functional.conv2d(x, w, b, padding=1)
                out.backward(torch.from_numpy(dout))
                return out.detach(), x.grad, w.grad, b.grad

            t_ours, t_ref = median_times(
                lambda args=args: ours(*args), lambda args=args: twin(*args),
                repeats=3 if quick else 7,
            )  # fmt: skip
            gaps = [rel_diff(a, t.numpy()) for a, t in zip(ours(*args), twin(*args), strict=True)]
            agreement = "rel. diff out {:.0e}, dx {:.0e}, dw {:.0e}, db {:.0e}".format(*gaps)
            rows.append(Row(name, size, t_ours, t_ref, agreement + note, target))
    return rows


def bench_cnn(quick: bool) -> list[Row]:
    from mlmath import CNNClassifier

    X_train, y_train, X_test, y_test = _digits_split()
    images, test_images = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    default = CNNClassifier()
    epochs = 1 if quick else default.max_iter
    if quick:  # a slice of the data: seconds, not minutes
        images, y_train = images[:256], y_train[:256]
    return bench_against_torch(
        lambda extra: CNNClassifier(max_iter=epochs, random_state=0, **extra),
        lambda torch, net: torch.optim.Adam(net.parameters(), lr=default.learning_rate),
        (images, y_train, test_images, y_test),
        epochs,
        1 if quick else 3,
        "CNN epoch vs PyTorch (adam)",
        f"digits {len(y_train)} train, filters {default.filters}, batch {default.batch_size}",
    )


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
            html = Path(tmp) / "_build" / "html"
            for name in [toc["root"], *(c["file"] for c in toc["chapters"])]:
                rows.append(page_weight_row(html, f"{name}.html"))
    return rows


#: A page's budget in tests/test_book.py (everything a browser loads for it).
PAGE_BUDGET_MB = 7.0
_REFERENCE = re.compile(r'<(?:script|img|link)\b[^>]*?\b(?:src|href)="([^"#?]+)[^"]*"', re.I)


def page_weight_row(html: Path, page: str) -> Row:
    """The HTML of ``page`` plus the local scripts, style sheets and images it references.

    A static count (fonts and what scripts fetch later are not in it);
    ``tests/test_book.py`` measures what a browser really loads, against the same budget.
    """
    file = html / page
    text = file.read_text(encoding="utf-8")
    files = {file.resolve()}
    for ref in _REFERENCE.findall(text):
        if ":" in ref:  # another host, or a data: URI already inside the HTML
            continue
        target = (file.parent / ref).resolve()
        if target.is_file():
            files.add(target)
    total = sum(f.stat().st_size for f in files) / 1e6
    note = f"{len(files)} files, of which HTML {file.stat().st_size / 1e6:.2f} MB"
    return Row(f"page weight {page}", "static count", total, PAGE_BUDGET_MB, note, 1.0, "MB")


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
    torch = load_torch()
    peers = "torch not installed" if torch is None else f"torch {torch.__version__}"
    return (
        f"{cpu}, {os.cpu_count()} cores, {numpy_threads()} BLAS threads (PyTorch given as "
        f"many); Python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {_version('sklearn')}, {peers}"
    )


def _version(module: str) -> str:
    import importlib

    return importlib.import_module(module).__version__


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
    load_before = os.getloadavg()
    for task in TASKS + ([bench_book] if args.book else []):
        print(f"running {task.__name__} ...", file=sys.stderr, flush=True)
        rows.extend(task(args.quick))
    load = " / ".join(
        f"{a:.1f} -> {b:.1f}" for a, b in zip(load_before, os.getloadavg(), strict=True)
    )
    text = (
        f"Machine: {machine()}. Load average (1, 5, 15 min) at the start -> end of the run: "
        f"{load}\n\n{table(rows)}\n"
    )
    print(text)
    if args.write_readme:
        readme = ROOT / "benchmarks" / "README.md"
        head, marker = readme.read_text().split("<!-- table -->")[0], "<!-- table -->"
        stamp = time.strftime("%Y-%m-%d")
        readme.write_text(f"{head}{marker}\nLatest run ({stamp}). {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
