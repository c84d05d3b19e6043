"""mlmath.inference: standard errors of least squares, against the formula and a simulation."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

import mlmath.inference
from mlmath import LinearRegression, standard_errors


def _formula(X1, y):
    """sqrt(s^2 diag((X1^T X1)^-1)) with the inverse formed, as a textbook writes it."""
    N, p = X1.shape
    theta = np.linalg.solve(X1.T @ X1, X1.T @ y)
    s2 = np.sum((y - X1 @ theta) ** 2) / (N - p)
    return np.sqrt(s2 * np.diag(np.linalg.inv(X1.T @ X1)))


def test_diabetes_matches_the_textbook_formula():
    X, y = load_diabetes(return_X_y=True)
    X1 = np.column_stack([X, np.ones(len(X))])  # the intercept last, as theta = (w, b)
    np.testing.assert_allclose(standard_errors(X, y), _formula(X1, y), rtol=1e-10)
    np.testing.assert_allclose(
        standard_errors(X, y, fit_intercept=False), _formula(X, y), rtol=1e-10
    )


def test_intercept_standard_error_of_a_centred_design_is_s_over_sqrt_n():
    # With centred features, X_1^T X_1 is block diagonal and Var b = sigma^2 / N.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    X -= X.mean(axis=0)
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=40)
    model = LinearRegression().fit(X, y)
    s = np.sqrt(np.sum((y - model.predict(X)) ** 2) / (40 - 4))
    assert standard_errors(X, y)[-1] == pytest.approx(s / np.sqrt(40), rel=1e-12)


def test_squared_standard_errors_are_unbiased_for_the_variance_over_draws():
    # E se_j^2 = sigma^2 [(X1^T X1)^-1]_jj, because s^2 is unbiased. Each se_j^2 is that times
    # chi^2_nu / nu (nu = N - p), of relative standard deviation sqrt(2 / nu); the mean over n
    # draws has relative standard error sqrt(2 / (nu n)). Allow 4 of them.
    rng = np.random.default_rng(1)
    N, D, n = 15, 2, 4000
    X = rng.normal(size=(N, D))
    X1 = np.column_stack([X, np.ones(N)])
    sigma = 0.7
    exact = sigma**2 * np.diag(np.linalg.inv(X1.T @ X1))
    se2 = np.array(
        [
            standard_errors(X, X @ [1.0, -1.0] + 2.0 + sigma * rng.normal(size=N)) ** 2
            for _ in range(n)
        ]
    )
    tolerance = 4 * np.sqrt(2 / ((N - D - 1) * n))
    assert np.all(np.abs(se2.mean(axis=0) / exact - 1) < tolerance)


def test_doctests_of_the_module_pass():
    result = doctest.testmod(mlmath.inference)
    assert result.attempted >= 1 and result.failed == 0


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        (np.ones((5, 1)), np.arange(5.0), {}, ValueError, r"rank deficient \(rank 1 < 2"),
        (np.eye(3), np.ones(3), {}, ValueError, "X has 3 rows and the model 4 coefficients"),
        (np.eye(3), np.ones(3), {"fit_intercept": False}, ValueError, "need N > 3"),
        (np.ones((5, 1)), np.ones(4), {}, ValueError, "X has 5 rows but y has 4"),
        (np.ones((5, 1)), np.ones((5, 2)), {}, ValueError, "y must be 1-D"),
        (np.ones((5, 1)), np.ones(5), {"fit_intercept": "no"}, TypeError, "True or False"),
    ],
)
def test_bad_input(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        standard_errors(X, y, **kwargs)
