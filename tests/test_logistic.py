"""Tests for mlmath.logistic (Chapter 3): losses, derivatives, and LogisticRegression."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.preprocessing import StandardScaler

import mlmath
from mlmath import functional
from mlmath.exceptions import (
    ConvergenceWarning,
    DivergenceError,
    NotFittedError,
    SeparationWarning,
)
from mlmath.gradcheck import gradcheck
from mlmath.logistic import (
    LogisticRegression,
    binary_cross_entropy_with_logits,
    log_loss,
    logistic_cost,
    logistic_gradient,
    logistic_hessian,
    sigmoid,
    softmax_cross_entropy,
)

COEF_RTOL = 1e-4  # relative to the largest coefficient
PROBA_ATOL = 1e-6


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def _breast_cancer(columns: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X[:, columns]), y


def _iris_binary() -> tuple[np.ndarray, np.ndarray]:
    # versicolor vs virginica overlap, so the unpenalised MLE exists
    X, y = load_iris(return_X_y=True)
    keep = y > 0
    return X[keep], y[keep]


def _synthetic() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=300, n_features=5, n_informative=3, n_redundant=0, flip_y=0.1, random_state=0
    )


DATASETS = {
    # All 30 standardised breast-cancer features separate the classes
    # perfectly (no unpenalised MLE): C=inf is tested on the 10 "mean" ones.
    "cancer_mean10": lambda: _breast_cancer(slice(0, 10)),
    "cancer_all30": lambda: _breast_cancer(),
    "iris_binary": _iris_binary,
    "synthetic": _synthetic,
}

PARITY_CASES = [
    ("cancer_mean10", np.inf, True),
    ("cancer_mean10", 1.0, True),
    ("cancer_mean10", 0.01, True),
    ("cancer_all30", 1.0, True),
    ("cancer_all30", 0.1, True),
    ("iris_binary", np.inf, True),
    ("iris_binary", 0.5, True),
    ("synthetic", np.inf, True),
    ("synthetic", 10.0, False),
    ("synthetic", np.inf, False),
]


def _sklearn_fit(X: np.ndarray, y: np.ndarray, C: float, fit_intercept: bool = True):
    # newton-cholesky with a tight tol is accurate to ~1e-12 on these problems
    # (lbfgs stops earlier, at ~1e-5 relative, even with tol=1e-12).
    return SkLogisticRegression(
        C=C, fit_intercept=fit_intercept, solver="newton-cholesky", tol=1e-12, max_iter=10_000
    ).fit(X, y)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --------------------------------------------------------------------------
# sigmoid and the losses
# --------------------------------------------------------------------------


def test_sigmoid_is_reexported_not_duplicated():
    assert mlmath.logistic.sigmoid is functional.sigmoid
    assert mlmath.sigmoid is functional.sigmoid


def test_sigmoid_and_losses_exact_at_extreme_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow/divide warning fails the test
        assert sigmoid(1000.0) == 1.0
        assert sigmoid(-1000.0) == 0.0
        assert np.array_equal(sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
        # Confident and right: exactly zero loss.
        assert log_loss([1.0], [sigmoid(1000.0)]) == 0.0
        assert log_loss([0.0], [sigmoid(-1000.0)]) == 0.0
        # Confident and wrong: the probability rounded to 0, so the loss is inf
        # (not NaN, not a warning)...
        assert log_loss([1.0], [sigmoid(-1000.0)]) == np.inf
        assert log_loss([0.0], [sigmoid(1000.0)]) == np.inf
        # ...while from the logits it is exact.
        assert binary_cross_entropy_with_logits([1.0], [-1000.0]) == 1000.0
        assert binary_cross_entropy_with_logits([0.0], [1000.0]) == 1000.0
        assert binary_cross_entropy_with_logits([1.0, 0.0], [1000.0, -1000.0]) == 0.0


def test_sigmoid_properties():
    z = np.linspace(-30, 30, 121)
    assert np.allclose(sigmoid(-z), 1.0 - sigmoid(z), atol=1e-15)
    h = 1e-6
    numeric = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)
    assert np.allclose(numeric, sigmoid(z) * (1 - sigmoid(z)), atol=1e-9)


def test_log_loss_matches_sklearn_and_logits():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=4.0, size=200)
    y = (rng.random(200) < sigmoid(z)).astype(float)
    p = sigmoid(z)
    ours = log_loss(y, p)
    assert ours == pytest.approx(sk_log_loss(y, p), rel=1e-12)
    assert binary_cross_entropy_with_logits(y, z) == pytest.approx(ours, rel=1e-10)


def test_log_loss_soft_labels():
    y, p = np.array([0.25, 1.0, 0.0]), np.array([0.5, 0.9, 0.2])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert log_loss(y, p) == pytest.approx(expected, rel=1e-14)


# --------------------------------------------------------------------------
# softmax cross-entropy (the output layer of Chapter 4)
# --------------------------------------------------------------------------


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(7, 4))
    y_index = rng.integers(0, 4, size=7)
    loss, dZ = softmax_cross_entropy(Z, y_index)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(P[np.arange(7), y_index])), rel=1e-13)
    assert dZ.shape == Z.shape
    assert np.allclose(dZ.sum(axis=1), 0.0, atol=1e-15)
    err = gradcheck(lambda Zv: softmax_cross_entropy(Zv, y_index)[0], dZ, Z)
    assert err < 1e-7, err


def test_softmax_cross_entropy_matches_sklearn_and_is_stable():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(20, 3)) * 5
    y_index = np.arange(20) % 3
    loss, _ = softmax_cross_entropy(Z, y_index)
    assert loss == pytest.approx(sk_log_loss(y_index, functional.softmax(Z)), rel=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dZ = softmax_cross_entropy(np.array([[1000.0, -1000.0], [0.0, 1000.0]]), [1, 1])
    assert loss == pytest.approx(1000.0, rel=1e-15)  # mean of 2000 and 0
    assert np.all(np.isfinite(dZ))


def test_two_class_softmax_is_logistic():
    rng = np.random.default_rng(3)
    z = rng.normal(size=9)
    y = rng.integers(0, 2, size=9)
    Z = np.column_stack([np.zeros(9), z])  # softmax([0, z])[1] = sigmoid(z)
    loss, dZ = softmax_cross_entropy(Z, y)
    assert loss == pytest.approx(binary_cross_entropy_with_logits(y.astype(float), z), rel=1e-12)
    assert np.allclose(dZ[:, 1], (sigmoid(z) - y) / 9, atol=1e-15)


# --------------------------------------------------------------------------
# gradient and Hessian of the cost
# --------------------------------------------------------------------------


@pytest.mark.parametrize("C", [np.inf, 0.7])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradcheck_gradient_and_hessian(C, fit_intercept):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(25, 3))
    y = (rng.random(25) < 0.5).astype(float)
    theta = rng.normal(size=4 if fit_intercept else 3)

    def J(t):
        return logistic_cost(t, X, y, C, fit_intercept)

    def g(t):
        return logistic_gradient(t, X, y, C, fit_intercept)

    assert gradcheck(J, g, theta) < 1e-7
    H = logistic_hessian(theta, X, C, fit_intercept)
    assert np.allclose(H, H.T)
    # Each column of H is the derivative of the gradient along one axis
    # (dout = e_j selects it), which checks the Hessian entry by entry.
    for j in range(theta.size):
        e = np.zeros(theta.size)
        e[j] = 1.0
        assert gradcheck(g, H[:, j], theta, dout=e) < 1e-6


def test_hessian_is_positive_semidefinite():
    X, _ = _breast_cancer(slice(0, 10))
    rng = np.random.default_rng(5)
    for _ in range(5):
        theta = rng.normal(scale=3.0, size=11)
        eig = np.linalg.eigvalsh(logistic_hessian(theta, X))
        assert eig.min() >= -1e-12 * eig.max()


def test_gradient_formula_is_Xt_p_minus_y():
    X, y = _synthetic()
    theta = np.linspace(-1, 1, 6)
    X1 = np.hstack([X, np.ones((len(X), 1))])
    p = sigmoid(X1 @ theta)
    assert np.allclose(logistic_gradient(theta, X, y), X1.T @ (p - y) / len(y), atol=1e-15)


# --------------------------------------------------------------------------
# LogisticRegression against scikit-learn
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "C", "fit_intercept"), PARITY_CASES)
def test_newton_matches_sklearn(data, C, fit_intercept):
    X, y = DATASETS[data]()
    ours = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-10).fit(X, y)
    ref = _sklearn_fit(X, y, C, fit_intercept)
    assert ours.coef_.shape == ref.coef_.shape == (1, X.shape[1])
    assert ours.intercept_.shape == (1,)
    assert _rel(ours.coef_, ref.coef_) < COEF_RTOL
    assert np.allclose(ours.intercept_, ref.intercept_, rtol=COEF_RTOL, atol=1e-8)
    assert np.max(np.abs(ours.predict_proba(X) - ref.predict_proba(X))) < PROBA_ATOL
    assert np.array_equal(ours.predict(X), ref.predict(X))
    assert ours.score(X, y) == pytest.approx(ref.score(X, y))
    assert ours.n_iter_ <= 15


@pytest.mark.parametrize(("C", "columns"), [(np.inf, slice(0, 10)), (1.0, slice(None))])
def test_newton_iterations_on_breast_cancer(C, columns):
    X, y = _breast_cancer(columns)
    model = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    assert model.n_iter_ <= 15
    # Newton's cost decreases at every step (the line search guarantees it).
    assert np.all(np.diff(model.loss_curve_) <= 1e-15)


@pytest.mark.parametrize(("data", "C"), [("synthetic", 1.0), ("iris_binary", 1.0)])
def test_gd_matches_sklearn(data, C):
    X, y = DATASETS[data]()
    X = StandardScaler().fit_transform(X)
    ours = LogisticRegression(C=C, solver="gd", learning_rate=1.0, max_iter=50_000, tol=1e-9).fit(
        X, y
    )
    ref = _sklearn_fit(X, y, C)
    assert _rel(ours.coef_, ref.coef_) < COEF_RTOL
    assert np.max(np.abs(ours.predict_proba(X) - ref.predict_proba(X))) < 1e-5
    newton = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    assert newton.n_iter_ < ours.n_iter_  # quadratic vs linear convergence


def test_gd_stops_with_convergence_warning():
    X, y = _synthetic()
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        model = LogisticRegression(solver="gd", max_iter=5).fit(X, y)
    assert model.n_iter_ == 5
    assert len(model.loss_curve_) == 6


def test_gd_learning_rate_too_large():
    X, y = _synthetic()
    # Too few steps to see the cycle: the warning says the cost is not decreasing.
    with pytest.warns(ConvergenceWarning, match="learning_rate=100.0 is too large"):
        LogisticRegression(C=1.0, solver="gd", learning_rate=100.0, max_iter=20).fit(X, y)
    # Given time, the bounded cycle is reported (optim's cycle test).
    with pytest.raises(DivergenceError, match="bounded cycle of period 4 with learning_rate=100"):
        LogisticRegression(C=1.0, solver="gd", learning_rate=100.0, max_iter=500).fit(X, y)
    with pytest.raises(DivergenceError, match="learning_rate=10000"):
        LogisticRegression(C=1.0, solver="gd", learning_rate=1e4).fit(X, y)


def test_newton_stops_with_convergence_warning():
    X, y = _synthetic()
    with pytest.warns(ConvergenceWarning, match=r"1 iteration\(s\) \(max_iter=1\)"):
        LogisticRegression(max_iter=1, tol=1e-12).fit(X, y)


# --------------------------------------------------------------------------
# separable data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_separable_data_warns_and_stops(solver):
    rng = np.random.default_rng(6)
    X = np.vstack([rng.normal(-3, 1, size=(30, 2)), rng.normal(3, 1, size=(30, 2))])
    y = np.repeat([0, 1], 30)
    with pytest.warns(SeparationWarning, match=r"separable.*does not exist.*finite C") as rec:
        model = LogisticRegression(solver=solver).fit(X, y)
    assert issubclass(rec[0].category, ConvergenceWarning)
    assert model.n_iter_ < 100
    assert np.all(np.isfinite(model.coef_))
    assert model.score(X, y) == 1.0
    # A finite C has a unique finite minimiser: no warning, converged.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(C=1.0, solver=solver, learning_rate=1.0).fit(X, y)


def test_all_breast_cancer_features_are_separable():
    X, y = _breast_cancer()
    with pytest.warns(SeparationWarning):
        model = LogisticRegression().fit(X, y)
    assert model.n_iter_ <= 15
    assert model.score(X, y) == 1.0
    assert np.all(np.isfinite(model.predict_proba(X)))


def test_separable_one_feature_no_overflow():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(SeparationWarning):
            LogisticRegression(fit_intercept=False).fit(X, [0, 0, 1, 1])


# --------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [("cat", "dog"), (-1, 1), (3, 7), (False, True), (0.5, 2.0)],
    ids=["strings", "minus-one-one", "three-seven", "bool", "floats"],
)
def test_arbitrary_label_values(labels):
    X, y01 = _synthetic()
    y = np.where(y01 == 1, labels[1], labels[0])
    if isinstance(labels[0], float) and labels[0] != int(labels[0]):
        with pytest.raises(ValueError, match="continuous"):
            LogisticRegression().fit(X, y)
        return
    model = LogisticRegression().fit(X, y)
    reference = LogisticRegression().fit(X, y01)
    assert list(model.classes_) == sorted(labels)
    assert np.allclose(model.coef_, reference.coef_)
    assert set(model.predict(X)) <= set(labels)
    assert np.array_equal(model.predict(X), np.where(reference.predict(X) == 1, *labels[::-1]))
    assert model.score(X, y) == pytest.approx(reference.score(X, y01))


def test_swapping_labels_flips_the_sign():
    X, y = _synthetic()
    a = LogisticRegression().fit(X, np.where(y == 1, "b", "a"))
    b = LogisticRegression().fit(X, np.where(y == 1, "a", "b"))
    assert np.allclose(a.coef_, -b.coef_)
    assert np.allclose(a.predict_proba(X), b.predict_proba(X)[:, ::-1])


# --------------------------------------------------------------------------
# estimator contract
# --------------------------------------------------------------------------


def test_estimator_contract():
    X, y = _synthetic()
    model = LogisticRegression(C=2.0)
    assert repr(model) == "LogisticRegression(C=2.0)"  # only the settings that differ
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(X)
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 5
    P = model.predict_proba(X)
    assert P.shape == (300, 2)
    assert np.allclose(P.sum(axis=1), 1.0)
    assert np.allclose(np.exp(model.predict_log_proba(X)), P)
    z = model.decision_function(X)
    assert np.array_equal(model.predict(X), (z > 0).astype(int))


def test_probabilities_keep_precision_far_from_the_boundary():
    model = LogisticRegression(C=1.0).fit([[-1.0], [1.0], [-2.0], [2.5]], [0, 1, 1, 0])
    model.coef_ = np.array([[1.0]])
    model.intercept_ = np.array([0.0])
    P = model.predict_proba(np.array([[-50.0], [50.0]]))
    assert P[1, 0] == pytest.approx(np.exp(-50.0), rel=1e-12)  # 1 - sigma(50) would round
    assert np.all(np.isfinite(model.predict_log_proba(np.array([[1e4]]))))


# --------------------------------------------------------------------------
# hypothesis: shapes
# --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(4, 30),
    D=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    fit_intercept=st.booleans(),
)
def test_shapes_hypothesis(N, D, seed, fit_intercept):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    y = rng.integers(0, 2, size=N)
    y[:2] = [0, 1]  # both classes present
    model = LogisticRegression(C=1.0, fit_intercept=fit_intercept).fit(X, y)
    M = int(rng.integers(1, 6))
    X_new = rng.normal(size=(M, D))
    assert model.coef_.shape == (1, D)
    assert model.intercept_.shape == (1,)
    assert model.decision_function(X_new).shape == (M,)
    P = model.predict_proba(X_new)
    assert P.shape == (M, 2)
    assert np.allclose(P.sum(axis=1), 1.0)
    assert model.predict(X_new).shape == (M,)
    theta = np.append(model.coef_[0], model.intercept_[0]) if fit_intercept else model.coef_[0]
    assert logistic_gradient(theta, X, y, 1.0, fit_intercept).shape == theta.shape
    assert logistic_hessian(theta, X, 1.0, fit_intercept).shape == (theta.size, theta.size)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 12), C=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_softmax_cross_entropy_shapes_hypothesis(N, C, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(scale=10.0, size=(N, C))
    y_index = rng.integers(0, C, size=N)
    loss, dZ = softmax_cross_entropy(Z, y_index)
    assert isinstance(loss, float) and loss >= 0.0
    assert dZ.shape == (N, C)
    assert np.allclose(dZ.sum(axis=1), 0.0, atol=1e-12)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------

_X = np.arange(12.0).reshape(6, 2)
_y = np.array([0, 1, 0, 1, 0, 1])


def _fit(**kwargs):
    def run(X=_X, y=_y):
        return LogisticRegression(**kwargs).fit(X, y)

    return run


BAD_FITS = [
    ("X 1-D", _fit(), {"X": np.arange(6.0)}, ValueError, "2-D"),
    ("X strings", _fit(), {"X": [["a", "b"]] * 6}, TypeError, "strings"),
    ("X NaN", _fit(), {"X": np.where(_X == 3.0, np.nan, _X)}, ValueError, "NaN"),
    ("lengths", _fit(), {"y": _y[:5]}, ValueError, "6 rows but y has 5"),
    ("one class", _fit(), {"y": np.zeros(6)}, ValueError, "1 class"),
    ("y None, as sklearn", _fit(), {"y": None}, ValueError, "requires y to be passed"),
    ("continuous y", _fit(), {"y": np.linspace(0, 1, 6)}, ValueError, "continuous"),
    ("y None", _fit(), {"y": None}, TypeError, "None"),
    ("C zero", _fit(C=0.0), {}, ValueError, "C must be > 0"),
    ("C negative", _fit(C=-1.0), {}, ValueError, "C must be > 0"),
    ("C string", _fit(C="big"), {}, TypeError, "C must be a real number"),
    ("solver", _fit(solver="lbfgs"), {}, ValueError, "solver must be one of"),
    ("max_iter zero", _fit(max_iter=0), {}, ValueError, "max_iter must be >= 1"),
    ("max_iter float", _fit(max_iter=10.0), {}, TypeError, "max_iter must be an integer"),
    ("learning rate", _fit(solver="gd", learning_rate=0.0), {}, ValueError, "learning_rate"),
    ("tol negative", _fit(tol=-1.0), {}, ValueError, "tol must be >= 0"),
    ("fit_intercept", _fit(fit_intercept="yes"), {}, TypeError, "fit_intercept"),
]


@pytest.mark.parametrize(
    ("name", "run", "kwargs", "error", "match"), BAD_FITS, ids=[b[0] for b in BAD_FITS]
)
def test_bad_fit_inputs(name, run, kwargs, error, match):
    with pytest.raises(error, match=match):
        run(**kwargs)


BAD_CALLS = [
    ("log_loss p > 1", lambda: log_loss([0, 1], [0.5, 1.5]), ValueError, r"p must lie in \[0, 1\]"),
    ("log_loss y = 2", lambda: log_loss([0, 2], [0.5, 0.5]), ValueError, "encode them"),
    ("log_loss lengths", lambda: log_loss([0, 1, 1], [0.5, 0.5]), ValueError, "3 rows"),
    ("log_loss NaN", lambda: log_loss([0, 1], [0.5, np.nan]), ValueError, "NaN"),
    ("bce 2-D z", lambda: binary_cross_entropy_with_logits([1], [[0.0]]), ValueError, "1-D"),
    ("sce index", lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 3]), ValueError, r"0\.\.2"),
    ("sce negative", lambda: softmax_cross_entropy(np.zeros((2, 3)), [-1, 0]), ValueError, "0..2"),
    (
        "sce float index",
        lambda: softmax_cross_entropy(np.zeros((2, 3)), [0.0, 1.0]),
        TypeError,
        "integer",
    ),
    (
        "sce lengths",
        lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]),
        ValueError,
        "2 rows",
    ),
    ("sce Z 1-D", lambda: softmax_cross_entropy(np.zeros(3), [0]), ValueError, "2-D"),
    ("theta size", lambda: logistic_cost(np.zeros(2), _X, _y), ValueError, "needs 3"),
    ("hessian C", lambda: logistic_hessian(np.zeros(3), _X, C=0.0), ValueError, "C must be > 0"),
]


@pytest.mark.parametrize(
    ("name", "call", "error", "match"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS]
)
def test_bad_function_inputs(name, call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_predict_checks_features():
    model = LogisticRegression().fit(*_synthetic())
    with pytest.raises(
        ValueError, match="X has 3 features, but LogisticRegression is expecting 5 features"
    ):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        LogisticRegression().predict_proba(np.zeros((2, 3)))


# --------------------------------------------------------------------------
# Newton's precision with the default tol (issue 11)
# --------------------------------------------------------------------------


def _exact_minimiser(X: np.ndarray, y: np.ndarray, C: float) -> np.ndarray:
    """The minimiser of J, computed without LogisticRegression's solver.

    scipy's trust-region Newton method (``trust-exact``) with a tight ``gtol``,
    on the public cost, gradient and Hessian (each checked against finite
    differences above), then plain undamped Newton steps until they stop
    changing anything: quadratic convergence leaves only rounding.
    """
    from scipy.optimize import minimize

    result = minimize(
        logistic_cost,
        np.zeros(X.shape[1] + 1),
        args=(X, y, C),
        jac=logistic_gradient,
        hess=lambda theta, X, y, C: logistic_hessian(theta, X, C),
        method="trust-exact",
        options={"gtol": 1e-13},
    )
    theta = result.x
    for _ in range(5):
        theta = theta - np.linalg.solve(
            logistic_hessian(theta, X, C), logistic_gradient(theta, X, y, C)
        )
    assert np.max(np.abs(logistic_gradient(theta, X, y, C))) < 1e-14
    return theta


@pytest.mark.parametrize(("C", "gap_without_polish"), [(1.0, 1e-6), (0.1, 5e-9)])
def test_newton_default_tol_reaches_the_exact_minimiser(C, gap_without_polish, monkeypatch):
    """With the default ``tol=1e-6``, the result is the exact minimiser to 1e-10.

    The gradient test alone stops Newton about 2e-6 (C = 1) and 9e-9 (C = 0.1)
    relative from the minimiser on these data (checked below by switching the
    polish off); the polish that follows it takes the last digits.
    """
    import mlmath._newton

    X, y = _breast_cancer()
    exact = _exact_minimiser(X, y, C)
    p_exact = sigmoid(X @ exact[:-1] + exact[-1])
    model = LogisticRegression(C=C).fit(X, y)
    assert _rel(np.append(model.coef_[0], model.intercept_), exact) < 1e-10
    assert np.max(np.abs(model.predict_proba(X)[:, 1] - p_exact)) < 1e-9
    assert model.n_iter_ <= 15

    monkeypatch.setattr(mlmath._newton, "MAX_POLISH", 0)
    unpolished = LogisticRegression(C=C).fit(X, y)
    assert _rel(np.append(unpolished.coef_[0], unpolished.intercept_), exact) > gap_without_polish


# --------------------------------------------------------------------------
# sample weights
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_sample_weight_matches_sklearn(solver):
    X, y = _synthetic()
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(2)
    sw = rng.integers(0, 4, size=len(y)).astype(float)
    assert (sw == 0).sum() > 50
    settings = {"learning_rate": 1.0, "max_iter": 100_000, "tol": 1e-11} if solver == "gd" else {}
    ours = LogisticRegression(C=1.0, solver=solver, **settings).fit(X, y, sample_weight=sw)
    ref = SkLogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12).fit(
        X, y, sample_weight=sw
    )
    assert _rel(ours.coef_, ref.coef_) < 1e-8
    assert np.allclose(ours.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)
    keep, rows = sw > 0, np.repeat(np.arange(len(y)), sw.astype(int))
    dropped = LogisticRegression(C=1.0, solver=solver, **settings).fit(
        X[keep], y[keep], sample_weight=sw[keep]
    )
    repeated = LogisticRegression(C=1.0, solver=solver, **settings).fit(X[rows], y[rows])
    for other in (dropped, repeated):
        assert _rel(ours.coef_, other.coef_) < 1e-12
        assert ours.loss_curve_[-1] == pytest.approx(other.loss_curve_[-1], rel=1e-12)
    # unit weights change nothing
    plain = LogisticRegression(C=1.0, solver=solver, **settings).fit(X, y)
    ones = LogisticRegression(C=1.0, solver=solver, **settings).fit(X, y, np.ones(len(y)))
    assert _rel(plain.coef_, ones.coef_) < 1e-13


def test_weighted_score():
    X, y = _synthetic()
    model = LogisticRegression(C=1.0).fit(X, y)
    sw = np.random.default_rng(3).uniform(size=len(y))
    right = model.predict(X) == y
    assert model.score(X, y, sample_weight=sw) == pytest.approx(np.sum(sw * right) / sw.sum())


BAD_WEIGHTS = [
    ("length", np.ones(5), ValueError, "sample_weight has 5 entries but X has 6 rows"),
    ("2-D", np.ones((6, 1)), ValueError, "sample_weight must be 1-D"),
    ("negative", [1, 1, -2, 1, 1, 1], ValueError, r"non-negative.*index 2 \(value -2.0\)"),
    ("all zero", np.zeros(6), ValueError, "sample_weight is zero for all 6 samples"),
    ("NaN", [1, 1, 1, np.nan, 1, 1], ValueError, "sample_weight contains 1 NaN"),
    ("inf", [1, 1, 1, np.inf, 1, 1], ValueError, "sample_weight contains 1 infinite"),
    ("strings", list("abcdef"), TypeError, "sample_weight must hold numbers"),
    ("scalar", 2.0, ValueError, "sample_weight must be 1-D"),
]


@pytest.mark.parametrize(
    ("name", "sw", "error", "match"), BAD_WEIGHTS, ids=[b[0] for b in BAD_WEIGHTS]
)
def test_bad_sample_weight(name, sw, error, match):
    for solver in ("newton", "gd"):
        with pytest.raises(error, match=match):
            LogisticRegression(solver=solver).fit(_X, _y, sample_weight=sw)


# --------------------------------------------------------------------------
# huge and tiny inputs (issue 12)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1020, 512, -1000])
def test_huge_or_tiny_X_is_rescaled_exactly(k):
    """X times 2^k has weights 2^-k times as large and the same probabilities.

    Near 1e308 (k = 1020) the old code returned all-zero weights after a
    matmul overflow; now Newton solves the problem in rescaled units.
    """
    X, y = _breast_cancer(slice(0, 10))
    ref = LogisticRegression().fit(X, y)
    scaled = np.ldexp(X, k)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no convergence warning
        model = LogisticRegression().fit(scaled, y)
    assert _rel(np.ldexp(model.coef_, k), ref.coef_) < 1e-12
    assert np.max(np.abs(model.predict_proba(scaled) - ref.predict_proba(X))) < 1e-12


def test_rescaling_keeps_the_penalty_exact():
    """fit(2^k X, C) is fit(X, C 4^k): the penalty is rescaled with the weights."""
    X, y = _breast_cancer()
    k = 250
    ref = LogisticRegression(C=1.0).fit(X, y)
    model = LogisticRegression(C=float(np.ldexp(1.0, -2 * k))).fit(np.ldexp(X, k), y)
    assert _rel(np.ldexp(model.coef_, k), ref.coef_) < 1e-12


def test_huge_X_with_gd_or_a_swamping_penalty_is_refused():
    X, y = _breast_cancer(slice(0, 10))
    with pytest.raises(
        ValueError, match=r"reach \d\.\d+e\+154.*divide column \d of X by 2\*\*51\d"
    ):
        LogisticRegression(solver="gd").fit(np.ldexp(X, 510), y)
    with pytest.raises(
        ValueError, match=r"penalty .* outweighs.*multiply column \d of X by 2\*\*\d+"
    ):
        LogisticRegression(C=1.0).fit(np.ldexp(X, -1000), y)
