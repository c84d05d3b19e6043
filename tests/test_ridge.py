"""mlmath.ridge against scikit-learn's Ridge, against its own formulas, and on bad input."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge as SkRidge

import mlmath.ridge
from mlmath import (
    ConditioningWarning,
    LinearRegression,
    NotFittedError,
    Ridge,
    effective_degrees_of_freedom,
    shrinkage_factors,
)

SOLVERS = ["svd", "qr"]
ALPHAS = [1e-6, 0.01, 1.0, 100.0]


def rel(a, b):
    """Largest difference relative to the largest entry of the reference."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def assert_matches(ours, ref, X, tol=1e-10):
    assert rel(ours.coef_, ref.coef_) < tol
    assert rel(ours.intercept_, ref.intercept_) < tol
    assert rel(ours.predict(X), ref.predict(X)) < tol


def _wide(seed=0, N=20, D=50):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)) + rng.uniform(-3, 3, size=D)  # features off centre
    return X, X[:, :5] @ rng.normal(size=5) + 4.0 + rng.normal(size=N)


def _tall(seed=1, N=80, D=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)) * rng.uniform(0.1, 10, size=D) + 5.0
    return X, X @ rng.normal(size=D) - 2.0 + rng.normal(size=N)


DATA = {
    "diabetes": lambda: load_diabetes(return_X_y=True),
    "tall": _tall,
    "wide": _wide,
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("data", list(DATA))
def test_matches_sklearn_ridge(data, alpha, solver):
    X, y = DATA[data]()
    # scikit-learn's own SVD solver: its default (Cholesky of X X^T + alpha I when D > N)
    # loses digits on wide designs at tiny alpha, where X X^T is nearly singular.
    ref = SkRidge(alpha=alpha, solver="svd").fit(X, y)
    assert_matches(Ridge(alpha=alpha, solver=solver).fit(X, y), ref, X)


@pytest.mark.parametrize("alpha", [0.1, 1.0, 100.0])
@pytest.mark.parametrize("data", list(DATA))
def test_matches_sklearn_default_solver(data, alpha):
    X, y = DATA[data]()
    assert_matches(Ridge(alpha=alpha).fit(X, y), SkRidge(alpha=alpha).fit(X, y), X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_without_intercept_matches_sklearn(solver):
    X, y = _tall()
    ours = Ridge(alpha=3.0, fit_intercept=False, solver=solver).fit(X, y)
    ref = SkRidge(alpha=3.0, fit_intercept=False).fit(X, y)
    assert rel(ours.coef_, ref.coef_) < 1e-10
    assert ours.intercept_ == 0.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_multi_output_layout_matches_sklearn(solver):
    X, _ = _tall()
    Y = np.column_stack([_tall(2)[1], _tall(3)[1]])
    ours = Ridge(alpha=2.0, solver=solver).fit(X, Y)
    ref = SkRidge(alpha=2.0).fit(X, Y)
    assert ours.coef_.shape == ref.coef_.shape == (2, X.shape[1])
    assert ours.predict(X).shape == (len(X), 2)
    assert_matches(ours, ref, X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_alpha_zero_is_ordinary_least_squares(solver):
    X, y = load_diabetes(return_X_y=True)
    ours, ols = Ridge(alpha=0.0, solver=solver).fit(X, y), LinearRegression().fit(X, y)
    assert rel(ours.coef_, ols.coef_) < 1e-10 and rel(ours.intercept_, ols.intercept_) < 1e-10


def test_alpha_to_zero_approaches_least_squares_at_the_rate_alpha():
    # w_alpha - w_ols = -alpha (Xc^T Xc + alpha I)^-1 w_ols, so |gap| <= alpha |w_ols| / s_min^2
    X, y = load_diabetes(return_X_y=True)
    w_ols = LinearRegression().fit(X, y).coef_
    s_min = np.linalg.svd(X - X.mean(axis=0), compute_uv=False).min()
    for alpha in (1e-2, 1e-4, 1e-6, 1e-8):
        gap = np.linalg.norm(Ridge(alpha=alpha).fit(X, y).coef_ - w_ols)
        assert gap <= alpha * np.linalg.norm(w_ols) / s_min**2 * (1 + 1e-6)
        assert gap > 0.1 * alpha * np.linalg.norm(w_ols) / np.linalg.norm(X, 2) ** 2


def test_wide_alpha_to_zero_is_the_minimum_norm_interpolant():
    X, y = _wide()
    with pytest.warns(ConditioningWarning, match="rank deficient"):
        w_min_norm = LinearRegression(solver="svd").fit(X, y).coef_
    with pytest.warns(ConditioningWarning, match="rank deficient"):
        ridge0 = Ridge(alpha=0.0).fit(X, y)
    assert rel(ridge0.coef_, w_min_norm) < 1e-10
    assert rel(ridge0.predict(X), y) < 1e-10  # D > N: the fit interpolates
    gaps = [rel(Ridge(alpha=a).fit(X, y).coef_, w_min_norm) for a in (1e-2, 1e-4, 1e-6)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-5


@pytest.mark.parametrize("solver", SOLVERS)
def test_solution_is_the_closed_form_on_centred_data(solver):
    X, y = _tall()
    alpha = 5.0
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    model = Ridge(alpha=alpha, solver=solver).fit(X, y)
    assert rel(model.coef_, w) < 1e-10
    assert model.intercept_ == pytest.approx(y.mean() - X.mean(axis=0) @ w, rel=1e-10)


def test_intercept_is_not_penalised_shifts_move_only_the_intercept():
    X, y = _tall()
    base = Ridge(alpha=10.0).fit(X, y)
    shifted_y = Ridge(alpha=10.0).fit(X, y + 1000.0)
    assert rel(shifted_y.coef_, base.coef_) < 1e-10
    assert shifted_y.intercept_ == pytest.approx(base.intercept_ + 1000.0, rel=1e-12)
    shift = np.arange(1.0, X.shape[1] + 1) * 100.0
    shifted_X = Ridge(alpha=10.0).fit(X + shift, y)  # moving the features' origin
    assert rel(shifted_X.coef_, base.coef_) < 1e-9
    assert rel(shifted_X.predict(X + shift), base.predict(X)) < 1e-10


def test_rank_deficient_design_has_a_unique_ridge_solution_for_alpha_positive():
    X, y = load_diabetes(return_X_y=True)
    X_dup = np.column_stack([X, 2.0 * X[:, 2]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # alpha > 0: nothing to warn about
        fits = [Ridge(alpha=0.5, solver=s).fit(X_dup, y) for s in SOLVERS]
    assert rel(fits[0].coef_, fits[1].coef_) < 1e-10
    assert fits[0].coef_[-1] == pytest.approx(2 * fits[0].coef_[2], rel=1e-10)
    assert_matches(fits[0], SkRidge(alpha=0.5).fit(X_dup, y), X_dup)


@settings(max_examples=30, deadline=None)
@given(
    N=st.integers(2, 30),
    D=st.integers(1, 30),
    alpha=st.floats(1e-3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_svd_and_qr_agree_on_any_shape(N, D, alpha, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(N, D)), rng.normal(size=N)
    svd, qr = Ridge(alpha=alpha).fit(X, y), Ridge(alpha=alpha, solver="qr").fit(X, y)
    np.testing.assert_allclose(svd.coef_, qr.coef_, rtol=1e-8, atol=1e-12)
    assert svd.predict(X).shape == (N,) and svd.coef_.shape == (D,)


# --- effective degrees of freedom ---------------------------------------------------------


def _hat_matrix(model, X):
    """The hat matrix of a fit that is linear in y: column i is the fit of the target e_i."""
    N = len(X)
    return np.column_stack([model.fit(X, np.eye(N)[i]).predict(X) for i in range(N)])


@pytest.mark.parametrize("alpha", [0.0, 0.3, 3.0, 300.0])
def test_degrees_of_freedom_is_the_trace_of_the_hat_matrix(alpha):
    X, _ = _tall(N=30)
    H = X @ np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T)
    assert effective_degrees_of_freedom(X, alpha) == pytest.approx(np.trace(H), rel=1e-10)
    H_int = _hat_matrix(Ridge(alpha=alpha), X)  # with the unpenalised intercept
    df_int = effective_degrees_of_freedom(X, alpha, fit_intercept=True)
    assert df_int == pytest.approx(np.trace(H_int), rel=1e-10)


def test_degrees_of_freedom_from_rank_down_to_zero():
    X, _ = load_diabetes(return_X_y=True)
    X_dup = np.column_stack([X, 2.0 * X[:, 2], X[:, 0] - X[:, 1]])  # rank 10, 12 columns
    alphas = np.logspace(-6, 6, 13)
    df = effective_degrees_of_freedom(X_dup, alphas)
    assert df.shape == alphas.shape and np.all(np.diff(df) < 0)
    assert effective_degrees_of_freedom(X_dup, 0.0) == 10.0  # df(0) = rank X, exactly
    assert df[0] == pytest.approx(10.0, rel=1e-4) and df[-1] < 1e-4
    wide, _ = _wide()
    assert effective_degrees_of_freedom(wide, 0.0) == 20.0
    assert effective_degrees_of_freedom(wide, 0.0, fit_intercept=True) == 20.0  # 19 + 1


def test_shrinkage_factors_sum_to_the_degrees_of_freedom():
    X, _ = _tall()
    s = np.linalg.svd(X, compute_uv=False)
    f = shrinkage_factors(s, 4.0)
    np.testing.assert_allclose(f, s**2 / (s**2 + 4.0), rtol=1e-14)
    assert f.sum() == pytest.approx(effective_degrees_of_freedom(X, 4.0), rel=1e-12)
    assert shrinkage_factors([2.0, 0.0], 0.0).tolist() == [1.0, 0.0]


def test_doctests_of_the_module_pass():
    result = doctest.testmod(mlmath.ridge)
    assert result.attempted >= 1 and result.failed == 0


# --- bad input ---------------------------------------------------------------------------

X_OK, Y_OK = _tall(N=12, D=2)

BAD_SETTINGS = [
    ({"alpha": -1.0}, ValueError, "alpha must be >= 0.0, got -1.0"),
    ({"alpha": np.nan}, ValueError, "alpha must be a number, got NaN"),
    ({"alpha": np.inf}, ValueError, "alpha must be a finite number"),
    ({"alpha": "big"}, TypeError, "alpha must be a real number, got 'big'"),
    ({"alpha": [1.0, 2.0]}, TypeError, r"alpha must be a real number, got \[1.0, 2.0\]"),
    ({"solver": "cholesky"}, ValueError, "solver must be one of 'svd', 'qr'; got 'cholesky'"),
    ({"fit_intercept": "yes"}, TypeError, "fit_intercept must be True or False, got 'yes'"),
]


@pytest.mark.parametrize(("settings", "error", "match"), BAD_SETTINGS)
def test_bad_settings_are_refused_at_fit_by_name(settings, error, match):
    model = Ridge(**settings)  # __init__ only stores
    with pytest.raises(error, match=match):
        model.fit(X_OK, Y_OK)


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (X_OK[:, 0], Y_OK, ValueError, "X must be 2-D"),
        (X_OK, Y_OK[:-1], ValueError, "X has 12 rows but y has 11"),
        (np.where(X_OK > 6, np.nan, X_OK), Y_OK, ValueError, "X contains .* NaN"),
        (np.full((12, 2), "a"), Y_OK, TypeError, "X must hold numbers, but it holds strings"),
        (X_OK, None, TypeError, "y is None"),
        (X_OK + 1j, Y_OK, TypeError, "Complex data not supported"),
    ],
)
def test_bad_data_is_refused_like_linear_regression(X, y, error, match):
    for model in (Ridge(), LinearRegression()):
        with pytest.raises(error, match=match):
            model.fit(X, y)


def test_predict_before_fit_and_with_the_wrong_width():
    with pytest.raises(NotFittedError, match="This Ridge is not fitted yet"):
        Ridge().predict(X_OK)
    model = Ridge().fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X has 3 features, but Ridge is expecting 2"):
        model.predict(np.ones((4, 3)))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: effective_degrees_of_freedom(X_OK, -0.5), ValueError, "alpha must be >= 0.0"),
        (lambda: effective_degrees_of_freedom(X_OK, [[1.0]]), ValueError, "1-D array"),
        (lambda: effective_degrees_of_freedom(X_OK, [1.0, np.nan]), ValueError, "NaN"),
        (lambda: effective_degrees_of_freedom(X_OK[0], 1.0), ValueError, "X must be 2-D"),
        (lambda: effective_degrees_of_freedom(X_OK, 1.0, fit_intercept=1), TypeError, "True"),
        (lambda: shrinkage_factors([1.0, -2.0], 1.0), ValueError, "min.s. = -2.0"),
        (lambda: shrinkage_factors([1.0], "a"), TypeError, "alpha must be a real number"),
    ],
)
def test_bad_input_to_the_functions(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- in scikit-learn's machinery -----------------------------------------------------------


def test_pipeline_grid_search_clone_and_pickle_like_sklearns_ridge():
    import pickle

    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(scaled=False, return_X_y=True)
    cv = KFold(4, shuffle=True, random_state=0)
    ours = cross_val_score(make_pipeline(StandardScaler(), Ridge(alpha=3.0)), X, y, cv=cv)
    theirs = cross_val_score(make_pipeline(StandardScaler(), SkRidge(alpha=3.0)), X, y, cv=cv)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)

    grid = {"ridge__alpha": [0.1, 10.0, 1000.0]}
    search = GridSearchCV(make_pipeline(StandardScaler(), Ridge()), grid, cv=cv).fit(X, y)
    reference = GridSearchCV(make_pipeline(StandardScaler(), SkRidge()), grid, cv=cv).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"], rtol=1e-10
    )
    assert search.best_params_ == reference.best_params_

    model = Ridge(alpha=2.0, solver="qr").fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "coef_")
    assert repr(copy) == "Ridge(alpha=2.0, solver='qr')"
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
