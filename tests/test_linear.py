"""mlmath.linear against scikit-learn, on bundled and synthetic data, and on bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression as SkLinearRegression

from mlmath import (
    ConditioningWarning,
    LinearRegression,
    NotFittedError,
    mean_squared_error,
    ols,
    r2_score,
)

METHODS = ["normal", "qr", "svd"]


def rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.maximum(np.abs(b), 1e-300))


@pytest.mark.parametrize("solver", METHODS)
def test_diabetes_matches_sklearn(solver):
    X, y = load_diabetes(return_X_y=True)
    ours = LinearRegression(solver=solver).fit(X, y)
    ref = SkLinearRegression().fit(X, y)
    assert rel(ours.coef_, ref.coef_) < 1e-8
    assert rel(ours.intercept_, ref.intercept_) < 1e-8
    assert abs(ours.score(X, y) - ref.score(X, y)) < 1e-12
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-10)


@pytest.mark.parametrize("solver", METHODS)
def test_synthetic_recovers_true_weights(solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6))
    w_true, b_true = rng.normal(size=6), 3.0
    y = X @ w_true + b_true  # noiseless: the fit must be exact
    model = LinearRegression(solver=solver).fit(X, y)
    np.testing.assert_allclose(model.coef_, w_true, rtol=1e-10)
    assert model.intercept_ == pytest.approx(b_true, rel=1e-12)
    assert model.score(X, y) == pytest.approx(1.0)


def test_no_intercept_matches_sklearn():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = rng.normal(size=60) + 2.0
    ours = LinearRegression(fit_intercept=False).fit(X, y)
    ref = SkLinearRegression(fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
    assert ours.intercept_ == 0.0


def test_multi_output_layout_matches_sklearn():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    Y = rng.normal(size=(40, 2))
    ours = LinearRegression().fit(X, Y)
    ref = SkLinearRegression().fit(X, Y)
    assert ours.coef_.shape == ref.coef_.shape == (2, 3)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_rank_deficient_gives_min_norm_solution_with_warning(method):
    rng = np.random.default_rng(3)
    base = rng.normal(size=(50, 3))
    X = np.column_stack([base, base[:, 0] + base[:, 1]])  # rank 3, 4 columns
    y = rng.normal(size=50)
    with pytest.warns(ConditioningWarning, match=r"rank 3 < 4 columns"):
        w = ols(X, y, method=method)
    w_ref = np.linalg.pinv(X) @ y  # the minimum-norm least-squares solution
    np.testing.assert_allclose(w, w_ref, rtol=1e-8, atol=1e-12)
    assert np.all(np.isfinite(w))


def test_rank_deficient_estimator_predicts_like_sklearn():
    rng = np.random.default_rng(4)
    base = rng.normal(size=(30, 2))
    X = np.column_stack([base, 2 * base[:, 1]])
    y = rng.normal(size=30)
    with pytest.warns(ConditioningWarning):
        ours = LinearRegression().fit(X, y)
    ref = SkLinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-8)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-10)


def test_more_columns_than_rows_is_rank_deficient():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(4, 7)), rng.normal(size=4)
    with pytest.warns(ConditioningWarning, match=r"rank 4 < 7"):
        w = ols(X, y)
    np.testing.assert_allclose(X @ w, y, atol=1e-10)  # interpolates, minimum norm
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ y, atol=1e-10)


def test_ill_conditioned_warning_names_condition_number():
    t = np.linspace(0, 1, 60)
    V = np.vander(t, 10, increasing=True)
    y = V @ np.ones(10)
    with pytest.warns(ConditioningWarning, match=r"condition number \d\.\d+e\+\d+"):
        w_normal = ols(V, y, method="normal")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # well within QR's reach: no warning
        w_qr = ols(V, y, method="qr")
    err_normal = np.linalg.norm(w_normal - 1) / np.sqrt(10)
    err_qr = np.linalg.norm(w_qr - 1) / np.sqrt(10)
    assert err_qr < 1e-6
    assert err_normal > 10 * err_qr  # the point of Chapter 1: normal equations lose digits


def test_metrics_match_sklearn():
    from sklearn.metrics import mean_squared_error as sk_mse
    from sklearn.metrics import r2_score as sk_r2

    rng = np.random.default_rng(6)
    y, y_hat = rng.normal(size=30), rng.normal(size=30)
    assert mean_squared_error(y, y_hat) == pytest.approx(sk_mse(y, y_hat), rel=1e-12)
    assert r2_score(y, y_hat) == pytest.approx(sk_r2(y, y_hat), rel=1e-12)


def test_r2_of_constant_target_is_finite():
    y = np.full(5, 2.0)
    assert r2_score(y, y) == 1.0
    assert r2_score(y, y + 1) == 0.0


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 40),
    d=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    method=st.sampled_from(METHODS),
)
def test_ols_shapes_and_optimality(n, d, seed, method):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConditioningWarning)
        w = ols(X, y, method=method)
    assert w.shape == (d,)
    assert np.all(np.isfinite(w))
    # Optimality: the residual is orthogonal to the columns (normal equations).
    r = y - X @ w
    scale = np.linalg.norm(X) * max(np.linalg.norm(y), 1.0)
    assert np.abs(X.T @ r).max() <= 1e-8 * scale


# --- bad input -----------------------------------------------------------------------------
GOOD_X = np.arange(12.0).reshape(6, 2) ** 1.5
GOOD_y = np.arange(6.0)

BAD_INPUTS = [
    (
        "nan in X",
        lambda X: X.__setitem__((1, 1), np.nan) or X,
        GOOD_y,
        ValueError,
        r"X contains 1 NaN",
    ),
    (
        "inf in X",
        lambda X: X.__setitem__((0, 0), np.inf) or X,
        GOOD_y,
        ValueError,
        r"X contains 1 infinite",
    ),
    ("empty X", lambda X: np.empty((0, 2)), np.empty(0), ValueError, r"X is empty"),
    ("1-D X", lambda X: X[:, 0], GOOD_y, ValueError, r"X must be 2-D.*reshape\(-1, 1\)"),
    ("rows mismatch", lambda X: X, GOOD_y[:4], ValueError, r"X has 6 rows but y has 4"),
    (
        "strings in X",
        lambda X: np.array([["a", "b"]] * 6),
        GOOD_y,
        TypeError,
        r"X must hold numbers.*strings",
    ),
    ("None X", lambda X: None, GOOD_y, TypeError, r"X must be an array of numbers, got None"),
    ("nan in y", lambda X: X, np.array([0, 1, np.nan, 3, 4, 5.0]), ValueError, r"y contains 1 NaN"),
    ("strings in y", lambda X: X, np.array(list("abcdef")), TypeError, r"y must hold numbers"),
    ("ragged X", lambda X: [[1.0, 2.0], [3.0]], GOOD_y[:2], ValueError, r"rectangular"),
]


@pytest.mark.parametrize(
    "make_X, y, error, message", [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
@pytest.mark.parametrize("call", ["ols", "fit"])
def test_bad_input_is_named(call, make_X, y, error, message):
    X = make_X(GOOD_X.copy())
    with pytest.raises(error, match=message):
        if call == "ols":
            ols(X, y)
        else:
            LinearRegression().fit(X, y)


def test_bad_settings():
    with pytest.raises(ValueError, match=r"method must be one of 'normal', 'qr', 'svd'; got 'lu'"):
        ols(GOOD_X, GOOD_y, method="lu")
    with pytest.raises(ValueError, match=r"solver must be one of .*got 'cholesky'"):
        LinearRegression(solver="cholesky").fit(GOOD_X, GOOD_y)
    with pytest.raises(TypeError, match=r"fit_intercept must be True or False"):
        LinearRegression(fit_intercept="yes").fit(GOOD_X, GOOD_y)


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match=r"LinearRegression is not fitted yet; call fit"):
        LinearRegression().predict(GOOD_X)
    with pytest.raises(NotFittedError):
        LinearRegression().score(GOOD_X, GOOD_y)


def test_predict_with_wrong_number_of_features():
    model = LinearRegression().fit(GOOD_X, GOOD_y)
    with pytest.raises(
        ValueError, match=r"X has 3 features, but LinearRegression is expecting 2 features"
    ):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"X contains 1 NaN"):
        model.predict(np.array([[1.0, np.nan]]))


@pytest.mark.parametrize(
    "y, y_hat, message",
    [
        ([1.0, 2.0], [1.0], r"y has 2 rows but y_hat has 1"),
        ([1.0, np.inf], [1.0, 2.0], r"y contains 1 infinite"),
        ([], [], r"y is empty"),
        (["a", "b"], [1.0, 2.0], r"y must hold numbers"),
        (["1", "2"], ["1", "2"], r"y must hold numbers, but it holds strings such as \['1', '2'\]"),
        ([1.0, 2.0], np.array(["1", "2"]), r"y_hat must hold numbers.*strings"),
    ],
)
def test_metric_bad_input(y, y_hat, message):
    error = TypeError if "numbers" in message else ValueError
    for metric in (mean_squared_error, r2_score):
        with pytest.raises(error, match=message):
            metric(y, y_hat)


def test_input_is_not_modified():
    X, y = GOOD_X.copy(), GOOD_y.copy()
    LinearRegression().fit(X, y)
    ols(X, y, method="normal")
    np.testing.assert_array_equal(X, GOOD_X)
    np.testing.assert_array_equal(y, GOOD_y)


# --- sample weights (issue 12) ---------------------------------------------------------------
SOLVERS = [*METHODS, "gd"]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", SOLVERS)
def test_sample_weight_matches_sklearn(solver, fit_intercept):
    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(7)
    sw = rng.integers(0, 4, size=len(y)).astype(float)
    assert (sw == 0).sum() > 50
    ours = LinearRegression(fit_intercept=fit_intercept, solver=solver).fit(X, y, sw)
    ref = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    rtol = 1e-6 if solver == "gd" else 1e-9  # gd stops at its tol; diabetes has kappa ~ 1e2
    assert rel(ours.coef_, ref.coef_) < rtol
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=rtol, abs=1e-9)
    assert ours.score(X, y, sample_weight=sw) == pytest.approx(
        ref.score(X, y, sample_weight=sw), rel=1e-9
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_weight_drops_a_row_and_integer_weight_repeats_it(solver):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(80, 4))
    Y = X @ rng.normal(size=(4, 2)) + rng.normal(size=(80, 2))  # two targets
    sw = rng.integers(0, 3, size=80).astype(float)
    keep, rows = sw > 0, np.repeat(np.arange(80), sw.astype(int))
    model = LinearRegression(solver=solver)
    weighted = model.fit(X, Y, sample_weight=sw)
    w, b = weighted.coef_.copy(), weighted.intercept_.copy()
    for X_other, Y_other, sw_other in ((X[keep], Y[keep], sw[keep]), (X[rows], Y[rows], None)):
        other = LinearRegression(solver=solver).fit(X_other, Y_other, sample_weight=sw_other)
        assert rel(w, other.coef_) < 1e-10
        assert rel(b, other.intercept_) < 1e-10
    # explicit learning rate: the gd trajectory itself is that of the repeated rows
    if solver == "gd":
        a = LinearRegression(solver="gd", learning_rate=0.2, max_iter=50).fit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            short_w, short_r = a(X, Y, sample_weight=sw).coef_, a(X[rows], Y[rows]).coef_
        assert rel(short_w, short_r) < 1e-12


BAD_WEIGHTS = [
    (np.ones(5), ValueError, "sample_weight has 5 entries but X has 6 rows"),
    ([1, 1, -1, 1, 1, 1], ValueError, r"non-negative.*index 2 \(value -1.0\)"),
    (np.zeros(6), ValueError, "sample_weight is zero for all 6 samples"),
    ([1, 1, np.nan, 1, 1, 1], ValueError, "sample_weight contains 1 NaN"),
    ([[1.0]] * 6, ValueError, "sample_weight must be 1-D"),
    (["a"] * 6, TypeError, "sample_weight must hold numbers"),
]


@pytest.mark.parametrize("sw, error, message", BAD_WEIGHTS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_bad_sample_weight(solver, sw, error, message):
    with pytest.raises(error, match=message):
        LinearRegression(solver=solver).fit(GOOD_X, GOOD_y, sample_weight=sw)
    with pytest.raises(error, match=message):
        r2_score(GOOD_y, GOOD_y, sample_weight=sw)


# --- multi-output score and r2_score ---------------------------------------------------------


def test_multi_output_score_and_r2_match_sklearn():
    from sklearn.metrics import r2_score as sk_r2

    rng = np.random.default_rng(9)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([X @ [1.0, 2.0, 0.0], rng.normal(size=60), X[:, 0] ** 2])
    sw = rng.uniform(size=60)
    ours = LinearRegression().fit(X, Y)
    ref = SkLinearRegression().fit(X, Y)
    assert ours.score(X, Y) == pytest.approx(ref.score(X, Y), rel=1e-12)
    assert ours.score(X, Y, sample_weight=sw) == pytest.approx(
        ref.score(X, Y, sample_weight=sw), rel=1e-12
    )
    Y_hat = ours.predict(X)
    assert r2_score(Y, Y_hat) == pytest.approx(sk_r2(Y, Y_hat), rel=1e-12)
    # a constant column counts 1 if predicted exactly, else 0 (scikit-learn's convention)
    Yc = np.column_stack([Y[:, 0], np.full(60, 3.0)])
    for pred in (np.column_stack([Y_hat[:, 0], np.full(60, 3.0)]), Y_hat[:, :2]):
        assert r2_score(Yc, pred) == pytest.approx(sk_r2(Yc, pred), rel=1e-12)
    with pytest.raises(ValueError, match=r"y has shape \(60, 2\), but the model predicts"):
        ours.score(X, Y[:, :2])


def test_r2_of_huge_values_is_finite_and_scale_free():
    rng = np.random.default_rng(10)
    y, y_hat = rng.normal(size=30), rng.normal(size=30)
    expected = r2_score(y, y_hat)
    for k in (1020, -1000):
        assert r2_score(np.ldexp(y, k), np.ldexp(y_hat, k)) == pytest.approx(expected, rel=1e-14)


# --- the normal equations' diagnosis (issue 11) ----------------------------------------------


def test_normal_equations_diagnose_squared_conditioning_not_rank():
    """X has full rank 4; only X^T X, with kappa(X)^2 > 1/eps_mach, is singular in float64."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(50, 4)) * [1e8, 1.0, 1e-3, 1e4]
    y = X @ [1e-8, 1.0, 1e3, 1e-4] + 0.01 * rng.normal(size=50)
    s = np.linalg.svd(X, compute_uv=False)
    assert np.linalg.matrix_rank(X) == 4 and (s[0] / s[-1]) ** 2 > 1 / np.finfo(float).eps
    kappa = s[0] / s[-1]
    s_c = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)  # LinearRegression centres X
    cases = [
        (lambda: ols(X, y, method="normal"), kappa),
        (lambda: LinearRegression(solver="normal").fit(X, y), s_c[0] / s_c[-1]),
    ]
    for fit, cond in cases:
        with pytest.warns(ConditioningWarning) as caught:
            fit()
        assert len(caught) == 1
        text = str(caught[0].message)
        assert "rank" not in text.replace("full column rank 4", "")
        assert "X^T X is singular in floating point" in text
        assert f"condition number of X is {cond:.3g}" in text
        assert f"its square, {cond**2:.3g}" in text
        assert "'qr' and 'svd' solvers" in text
        assert caught[0].filename == __file__  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConditioningWarning)
        w_normal, w_qr = ols(X, y, method="normal"), ols(X, y, method="qr")
    assert rel(w_normal, w_qr) < 1e-10  # the answer comes from the SVD of X, not from X^T X


def test_normal_equations_still_report_true_rank_deficiency():
    rng = np.random.default_rng(12)
    base = rng.normal(size=(40, 2))
    X = np.column_stack([base, base @ [1.0, -2.0]])
    with pytest.warns(ConditioningWarning, match=r"rank 2 < 3 columns"):
        ols(X, rng.normal(size=40), method="normal")


def test_normal_equations_ill_conditioned_warning_names_both_condition_numbers():
    t = np.linspace(0, 1, 60)
    V = np.vander(t, 8, increasing=True)
    with pytest.warns(ConditioningWarning, match=r"X\^T X is ill-conditioned.*square of X's"):
        ols(V, V @ np.ones(8), method="normal")


# --- huge finite inputs (issue 12) -----------------------------------------------------------


def _huge_problem():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(50, 3))
    return X, X @ [1.0, -2.0, 3.0] + 1.0 + 0.1 * rng.normal(size=50)


@pytest.mark.parametrize(
    "solver, k",
    [
        ("qr", 1020),  # entries up to about 3e307: the SVD used to fail to converge
        ("svd", 1020),
        ("normal", 1020),
        ("gd", 1020),
        ("normal", 512),  # 1e154: "Eigenvalues did not converge"
        ("gd", 512),  # 1e154: OverflowError
        ("qr", -1000),  # tiny: X^T X underflows
        ("normal", -1000),
        ("gd", -1000),
    ],
)
def test_huge_or_tiny_X_is_rescaled_exactly(solver, k):
    X, y = _huge_problem()
    ref = LinearRegression(solver=solver).fit(X, y)
    scaled = np.ldexp(X, k)
    assert np.all(np.isfinite(scaled))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression(solver=solver).fit(scaled, y)
    assert rel(np.ldexp(model.coef_, k), ref.coef_) < 1e-12
    assert model.intercept_ == pytest.approx(ref.intercept_, rel=1e-12)
    assert model.score(scaled, y) == pytest.approx(ref.score(X, y), rel=1e-12)
    if solver == "gd":
        assert model.n_iter_ == ref.n_iter_
    # ols with the intercept as a column of ones: the huge columns and the ones are scaled apart
    method = "qr" if solver == "gd" else solver
    w = ols(np.column_stack([scaled, np.ones(50)]), y, method=method)
    exact = LinearRegression(solver=method).fit(X, y)
    assert rel(np.ldexp(w[:3], k), exact.coef_) < 1e-12
    assert w[3] == pytest.approx(exact.intercept_, rel=1e-12)


def test_huge_y_is_rescaled_exactly():
    X, y = _huge_problem()
    ref = LinearRegression().fit(X, y)
    model = LinearRegression(solver="normal").fit(X, np.ldexp(y, 1000))
    assert rel(np.ldexp(model.coef_, -1000), ref.coef_) < 1e-12


def test_unrepresentable_weights_and_fixed_learning_rate_are_refused():
    X, y = _huge_problem()
    with pytest.raises(
        ValueError, match=r"below float64's smallest normal.*divide column \d of X by 2\*\*20\d\d"
    ):
        LinearRegression().fit(np.ldexp(X, 1020), np.ldexp(y, -1000))
    with pytest.raises(
        ValueError, match=r"beyond float64's largest.*multiply column \d of X by 2\*\*20\d\d"
    ):
        LinearRegression().fit(np.ldexp(X, -1000), np.ldexp(y, 1000))
    with pytest.raises(ValueError, match=r"learning_rate=0.1 is in the units of X.*divide X by"):
        LinearRegression(solver="gd", learning_rate=0.1).fit(np.ldexp(X, 512), y)
