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
