"""The finite-difference checker must accept right gradients and reject wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from mlmath import gradcheck, numerical_gradient, relative_error


def test_numerical_gradient_of_quadratic_is_exact_to_rounding():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    A = A @ A.T
    x = rng.normal(size=4)
    g = numerical_gradient(lambda v: 0.5 * v @ A @ v, x)
    np.testing.assert_allclose(g, A @ x, rtol=1e-8)


def test_gradcheck_accepts_right_and_rejects_wrong_gradient():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    w = rng.normal(size=3)

    def loss(v):
        return np.mean((y - X @ v) ** 2)

    right = -2 / 20 * X.T @ (y - X @ w)
    wrong = -1 / 20 * X.T @ (y - X @ w)  # a forgotten factor 2
    assert gradcheck(loss, right, w) < 1e-8
    assert gradcheck(loss, wrong, w) > 0.1


def test_gradcheck_of_array_valued_function_with_dout():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4))
    dout = rng.normal(size=(3, 4))
    # tanh forward, backward: dx = dout * (1 - tanh^2)
    assert gradcheck(np.tanh, dout * (1 - np.tanh(x) ** 2), x, dout=dout) < 1e-8


def test_numerical_gradient_does_not_modify_x():
    x = np.array([1.0, 2.0])
    numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_relative_error_is_zero_for_equal_and_one_for_opposite():
    a = np.array([1.0, -2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: gradcheck(np.sum, lambda v: np.ones(3), np.ones(2)),
            ValueError,
            r"shape \(3,\).*shape \(2,\)",
        ),
        (lambda: numerical_gradient(np.exp, np.ones(2)), ValueError, r"pass dout="),
        (lambda: numerical_gradient(np.sum, np.ones(2), h=0.0), ValueError, r"h must be > 0"),
        (
            lambda: numerical_gradient(np.sum, np.array([1.0, np.nan])),
            ValueError,
            r"x contains 1 NaN",
        ),
        (
            lambda: numerical_gradient(lambda v: np.log(v).sum(), np.array([0.0])),
            ValueError,
            r"not finite",
        ),
        (
            lambda: numerical_gradient(np.tanh, np.ones(2), dout=np.ones(3)),
            ValueError,
            r"dout has shape",
        ),
        (lambda: relative_error(np.ones(2), np.ones(3)), ValueError, r"shapes"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
