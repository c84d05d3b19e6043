"""Softmax (multinomial) regression through ``LogisticRegression`` with K > 2 classes (Chapter 3).

The reference is scikit-learn's multinomial ``LogisticRegression`` with its own
Newton solver (``newton-cholesky``) and ``tol=1e-12``: its default ``lbfgs``
stops about 1e-6 (relative) from the minimiser on iris, too far for a 1e-6 check.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

from mlmath import functional, softmax_cross_entropy
from mlmath.exceptions import SeparationWarning
from mlmath.gradcheck import gradcheck
from mlmath.logistic import LogisticRegression, _design, _penalty, _Softmax

RTOL = 1e-6  # the brief's bar: relative to the largest coefficient


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


def _sklearn(X, y, C, sample_weight=None):
    return SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        X, y, sample_weight=sample_weight
    )


def _iris(columns=slice(None), standardise=False):
    X, y = load_iris(return_X_y=True)
    X = X[:, columns]
    return (StandardScaler().fit_transform(X) if standardise else X), y


def _fit(solver, X, y, C, sample_weight=None, **kwargs):
    if solver == "gd":  # gradient descent needs standardised data and many steps
        kwargs = {"learning_rate": 1.0, "max_iter": 200_000, "tol": 1e-11, **kwargs}
    model = LogisticRegression(C=C, solver=solver, **kwargs)
    return model.fit(X, y, sample_weight=sample_weight)


def _assert_matches(ours, ref, X, rtol=RTOL):
    assert ours.coef_.shape == ref.coef_.shape
    assert ours.intercept_.shape == ref.intercept_.shape
    assert _rel(ours.coef_, ref.coef_) < rtol
    assert _rel(ours.intercept_, ref.intercept_) < rtol
    assert np.max(np.abs(ours.predict_proba(X) - ref.predict_proba(X))) < rtol
    assert np.array_equal(ours.predict(X), ref.predict(X))


# --------------------------------------------------------------------------
# iris against scikit-learn
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("solver", "standardise"), [("newton", False), ("newton", True), ("gd", True)]
)
def test_iris_C1_matches_sklearn(solver, standardise):
    """C = 1 on all four iris features: the penalised minimiser is unique.

    The weights W are pinned by the penalty, and only the intercepts are
    unpenalised (so defined up to one constant added to all three); both
    libraries report the intercepts that sum to zero.
    """
    X, y = _iris(standardise=standardise)
    ours = _fit(solver, X, y, 1.0)
    ref = _sklearn(X, y, 1.0)
    assert ours.coef_.shape == (3, 4) and ours.intercept_.shape == (3,)
    assert ours.predict_proba(X).shape == (150, 3)
    _assert_matches(ours, ref, X)
    assert abs(ours.intercept_.sum()) < 1e-12
    assert np.max(np.abs(ours.coef_.sum(axis=0))) < 1e-12  # the penalty's symmetric minimiser


@pytest.mark.parametrize("solver", ["newton", "gd"])
@pytest.mark.parametrize("column", [0, 1], ids=["sepal length", "sepal width"])
def test_iris_unpenalised_on_a_feature_where_the_mle_exists(solver, column):
    """C = inf, compared where the comparison means something.

    On all four features (and on every pair) setosa is linearly separable from
    the other two species, so the unpenalised likelihood has no maximiser: the
    weights grow without bound and any two solvers stop at arbitrary points
    (see ``test_iris_unpenalised_all_features_warns``). On sepal length alone,
    and on sepal width alone, no species is separable and the maximum-likelihood
    estimate exists, but only up to the *gauge*: adding one vector to the
    parameters of every class leaves the probabilities unchanged. We fix the
    gauge as scikit-learn does (for each feature and for the intercept, the
    values over the classes sum to zero) and compare the coefficients,
    intercepts and probabilities.
    """
    X, y = _iris(columns=[column], standardise=solver == "gd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converged, no separation
        ours = _fit(solver, X, y, np.inf)
    ref = _sklearn(X, y, np.inf)
    for model in (ours, ref):  # the same gauge
        assert np.max(np.abs(model.coef_.sum(axis=0))) < 1e-9
        assert abs(model.intercept_.sum()) < 1e-9
    _assert_matches(ours, ref, X)


def test_unpenalised_several_features_matches_sklearn():
    """C = inf with five overlapping features and four classes (the MLE exists)."""
    X, y = make_classification(
        n_samples=400, n_features=5, n_informative=4, n_redundant=0, n_classes=4,
        n_clusters_per_class=1, flip_y=0.1, random_state=0,
    )  # fmt: skip
    ours = LogisticRegression().fit(X, y)
    _assert_matches(ours, _sklearn(X, y, np.inf), X)
    assert ours.coef_.shape == (4, 5)


def test_iris_unpenalised_all_features_warns():
    X, y = load_iris(return_X_y=True)
    names = load_iris().target_names[y]
    for solver in ("newton", "gd"):
        with pytest.warns(SeparationWarning, match=r"Class 'setosa' is linearly separable"):
            model = LogisticRegression(solver=solver, max_iter=2000).fit(X, names)
        assert model.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(C=1.0).fit(X, y)  # a finite C: no warning


def test_fully_separated_classes_stop_early():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 6.0], [6.0, 0.0], [-6.0, -6.0]])
    X = np.vstack([rng.normal(c, 1.0, size=(20, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 20)
    with pytest.warns(SeparationWarning, match="The 3 classes are linearly separable"):
        model = LogisticRegression().fit(X, y)
    assert model.n_iter_ < 10
    assert model.score(X, y) == 1.0


# --------------------------------------------------------------------------
# the model's outputs and derivatives
# --------------------------------------------------------------------------


def test_outputs_are_consistent():
    X, y = _iris(standardise=True)
    labels = np.array(["a", "b", "c"])[y]
    model = LogisticRegression(C=1.0).fit(X, labels)
    Z = model.decision_function(X)
    P = model.predict_proba(X)
    assert Z.shape == P.shape == (150, 3)
    np.testing.assert_allclose(Z, X @ model.coef_.T + model.intercept_, rtol=1e-14)
    np.testing.assert_allclose(P, functional.softmax(Z), rtol=1e-14)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(P), rtol=1e-12)
    assert np.array_equal(model.predict(X), model.classes_[P.argmax(axis=1)])
    assert model.score(X, labels) == pytest.approx(np.mean(model.predict(X) == labels))


def test_no_intercept_matches_sklearn():
    X, y = _iris(standardise=True)
    ours = LogisticRegression(C=0.5, fit_intercept=False).fit(X, y)
    ref = SkLogisticRegression(C=0.5, fit_intercept=False, solver="newton-cholesky", tol=1e-12).fit(
        X, y
    )
    assert np.array_equal(ours.intercept_, np.zeros(3))
    assert _rel(ours.coef_, ref.coef_) < RTOL


@pytest.mark.parametrize(("C", "fit_intercept"), [(1.0, True), (np.inf, True), (0.3, False)])
def test_softmax_gradient_and_hessian(C, fit_intercept):
    X, y = _iris(standardise=True)
    X1 = _design(X, fit_intercept)
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.5, 2.0, size=len(y))
    problem = _Softmax(X1, y, 3, _penalty(X1.shape[1], C, fit_intercept), sw)
    theta = rng.normal(size=(X1.shape[1], 3))
    theta -= theta.mean(axis=1, keepdims=True)  # the symmetric gauge the solvers keep

    def cost(t):
        return problem.cost(problem.logits(t), t)

    def grad(t):
        return problem.gradient(problem.logits(t), t)

    assert gradcheck(cost, grad, theta) < 1e-7
    # The Hessian is the derivative of the gradient along every direction that keeps
    # the gauge (the extra curvature it carries acts only on the gauge directions).
    H = problem.hessian(problem.logits(theta))
    v = rng.normal(size=theta.shape)
    v -= v.mean(axis=1, keepdims=True)
    h = 1e-6
    fd = (grad(theta + h * v) - grad(theta - h * v)) / (2 * h)
    np.testing.assert_allclose((H @ v.ravel()).reshape(theta.shape), fd, atol=1e-8)
    assert np.all(np.linalg.eigvalsh(H) > 0)  # invertible, whatever C
    # Loss and gradient reuse softmax_cross_entropy's formula: unweighted, they agree.
    plain = _Softmax(X1, y, 3, np.zeros(X1.shape[1]))
    loss, dZ = softmax_cross_entropy(X1 @ theta, y)
    assert plain.cost(X1 @ theta, theta) == pytest.approx(loss, rel=1e-14)
    np.testing.assert_allclose(plain.gradient(X1 @ theta, theta), X1.T @ dZ, rtol=1e-12)


def test_newton_is_much_faster_than_gd():
    X, y = _iris(standardise=True)
    newton = LogisticRegression(C=1.0).fit(X, y)
    gd = _fit("gd", X, y, 1.0)
    assert newton.n_iter_ <= 20 < gd.n_iter_
    assert np.all(np.diff(newton.loss_curve_) <= 1e-15)  # the line search never climbs


# --------------------------------------------------------------------------
# sample weights
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_sample_weight_matches_sklearn_zero_and_integer(solver):
    X, y = _iris(standardise=True)
    rng = np.random.default_rng(1)
    sw = rng.integers(0, 4, size=len(y)).astype(float)  # about a quarter are 0
    assert (sw == 0).sum() > 20
    ours = _fit(solver, X, y, 1.0, sample_weight=sw)
    _assert_matches(ours, _sklearn(X, y, 1.0, sample_weight=sw), X)
    # A zero weight is a dropped row; an integer weight, repeated rows.
    keep = sw > 0
    dropped = _fit(solver, X[keep], y[keep], 1.0, sample_weight=sw[keep])
    rows = np.repeat(np.arange(len(y)), sw.astype(int))
    repeated = _fit(solver, X[rows], y[rows], 1.0)
    exact = 1e-12 if solver == "newton" else 1e-9
    for other in (dropped, repeated):
        assert _rel(ours.coef_, other.coef_) < exact
        assert _rel(ours.intercept_, other.intercept_) < exact


def test_class_with_zero_total_weight_is_refused():
    X, y = _iris()
    sw = np.where(y == 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"class 2 has total sample_weight 0"):
        LogisticRegression(C=1.0).fit(X, y, sample_weight=sw)


# --------------------------------------------------------------------------
# huge inputs
# --------------------------------------------------------------------------


def test_huge_features_are_rescaled_exactly():
    X, y = _iris(columns=[0])
    ref = LogisticRegression().fit(X, y)
    big = np.ldexp(X, 1016)  # up to about 5e306
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression().fit(big, y)
    assert _rel(np.ldexp(model.coef_, 1016), ref.coef_) < 1e-12
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-12)
    assert np.max(np.abs(model.predict_proba(big) - ref.predict_proba(X))) < 1e-12


def test_more_parameters_than_samples_weighted_equals_repeated():
    """scikit-learn's sample-weight equivalence check: 15 samples, 30 features, 3 classes.

    At C = inf the classes are separated after one Newton step from a singular
    Hessian; the step must be the minimum-norm one, not rounding noise, for the
    weighted and the repeated (and shuffled) fits to agree.
    """
    rng = np.random.RandomState(42)
    X, y, sw = rng.rand(15, 30), rng.randint(0, 3, size=15), rng.randint(0, 5, size=15)
    order = rng.permutation(15)
    for C in (np.inf, 1.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            repeated = LogisticRegression(C=C).fit(X.repeat(sw, axis=0), y.repeat(sw))
            weighted = LogisticRegression(C=C).fit(X[order], y[order], sample_weight=sw[order])
        np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-9)


@pytest.mark.parametrize("C", [1e-300, 1e300])
@pytest.mark.parametrize("K", [2, 3])
def test_extreme_penalties_converge_quickly(C, K):
    """A penalty of 1e300 next to an O(1) curvature is badly scaled, not singular."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, K, size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(C=C).fit(X, y)
    assert model.n_iter_ <= 12
    assert np.all(np.abs(model.coef_) < (1e-298 if C < 1 else 10))
