"""Tests for mlmath.optim (Chapter 2) and LinearRegression(solver="gd")."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression as SkLinearRegression

from mlmath import (
    ConvergenceWarning,
    DivergenceError,
    LinearRegression,
    LogisticRegression,
    critical_learning_rate,
    gradcheck,
    gradient_descent,
    logistic_cost,
    logistic_gradient,
    logistic_hessian,
    minibatch_gradient_descent,
    mse_critical_learning_rate,
    mse_gradient,
    mse_hessian,
    mse_loss,
)


def rel(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def diabetes():
    """Standardised diabetes features and centred targets (no intercept needed)."""
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y - y.mean()


def synthetic(seed: int = 0, N: int = 200, D: int = 5, K: int | None = None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)) * rng.uniform(0.5, 2.0, size=D)
    w_true = rng.normal(size=(D,) if K is None else (D, K))
    y = X @ w_true + 0.1 * rng.normal(size=(N,) if K is None else (N, K))
    return X, y


def mse_problem(X, y):
    return (lambda w: mse_gradient(w, X, y)), (lambda w: mse_loss(w, X, y))


# ---------------------------------------------------------------------------
# The MSE, its gradient and Hessian, and the critical learning rate
# ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 12),
    D=st.integers(1, 5),
    K=st.one_of(st.none(), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
)
def test_mse_gradient_matches_finite_differences(N, D, K, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    y = rng.normal(size=(N,) if K is None else (N, K))
    w = rng.normal(size=(D,) if K is None else (D, K))
    err = gradcheck(lambda v: mse_loss(v, X, y), lambda v: mse_gradient(v, X, y), w)
    assert err < 1e-7


def test_mse_hessian_is_the_jacobian_of_the_gradient():
    X, y = synthetic(1, N=30, D=4)
    H = mse_hessian(X)
    rng = np.random.default_rng(2)
    w, dout = rng.normal(size=4), rng.normal(size=4)
    # The gradient of sum(grad(w) * dout) is H^T dout = H dout.
    err = gradcheck(lambda v: mse_gradient(v, X, y), H @ dout, w, dout=dout)
    assert err < 1e-7
    np.testing.assert_allclose(H, H.T)


def test_mse_loss_matches_its_definition():
    X, y = synthetic(3)
    w = np.ones(X.shape[1])
    assert math.isclose(mse_loss(w, X, y), float(np.mean((X @ w - y) ** 2)), rel_tol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_critical_learning_rate_helpers_agree(diabetes, momentum):
    X, _ = diabetes
    lam_max = np.linalg.eigvalsh(2.0 / len(X) * X.T @ X)[-1]
    expected = 2.0 * (1.0 + momentum) / lam_max
    assert math.isclose(mse_critical_learning_rate(X, momentum=momentum), expected, rel_tol=1e-10)
    assert math.isclose(
        critical_learning_rate(mse_hessian(X), momentum=momentum), expected, rel_tol=1e-10
    )


def test_critical_learning_rate_of_zero_hessian_is_infinite():
    assert critical_learning_rate(np.zeros((2, 2))) == math.inf
    assert mse_critical_learning_rate(np.zeros((3, 2))) == math.inf


# ---------------------------------------------------------------------------
# Convergence to the OLS solution
# ---------------------------------------------------------------------------


def test_gradient_descent_reaches_ols_on_diabetes(diabetes):
    X, y = diabetes
    grad, loss = mse_problem(X, y)
    eta = 0.99 * mse_critical_learning_rate(X)
    res = gradient_descent(
        grad, np.zeros(X.shape[1]), learning_rate=eta, max_iter=20000, tol=1e-10, loss=loss
    )
    w_sk = SkLinearRegression(fit_intercept=False).fit(X, y).coef_
    assert res.converged
    assert rel(res.w, w_sk) < 1e-6
    # The loss never increases for a step below 2/λ_max on a quadratic.
    assert np.all(np.diff(res.history.loss) <= 1e-9 * res.history.loss[0])


@pytest.mark.parametrize("K", [None, 3])
def test_gradient_descent_reaches_ols_on_synthetic_data(K):
    X, y = synthetic(4, K=K)
    grad, _ = mse_problem(X, y)
    eta = 0.5 * mse_critical_learning_rate(X)
    res = gradient_descent(
        grad, np.zeros((5,) if K is None else (5, K)), learning_rate=eta, max_iter=50000, tol=1e-11
    )
    w_ols = np.linalg.lstsq(X, y, rcond=None)[0]
    assert res.converged
    assert rel(res.w, w_ols) < 1e-6


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_gd_matches_sklearn_on_diabetes(diabetes, fit_intercept):
    X, _ = diabetes
    y = load_diabetes().target
    ours = LinearRegression(fit_intercept=fit_intercept, solver="gd").fit(X, y)
    ref = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y)
    assert rel(ours.coef_, ref.coef_) < 1e-6
    if fit_intercept:
        assert abs(ours.intercept_ - ref.intercept_) < 1e-6 * abs(ref.intercept_)
    exact = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    assert rel(ours.coef_, exact.coef_) < 1e-6
    assert ours.n_iter_ >= 1
    assert math.isclose(ours.learning_rate_, 0.5 * mse_critical_learning_rate(X - X.mean(0)))


def test_linear_regression_gd_multi_target_and_explicit_learning_rate():
    X, Y = synthetic(5, K=2)
    X = X + 3.0  # an offset, so the intercept matters
    ours = LinearRegression(solver="gd", learning_rate=0.1, max_iter=20000).fit(X, Y)
    ref = SkLinearRegression().fit(X, Y)
    assert ours.coef_.shape == ref.coef_.shape == (2, 5)
    assert rel(ours.coef_, ref.coef_) < 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-6)


def test_linear_regression_gd_warns_when_max_iter_is_too_small(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match=r"did not converge in max_iter=3 steps"):
        model = LinearRegression(solver="gd", max_iter=3).fit(X, y)
    assert model.n_iter_ == 3


def test_linear_regression_gd_reports_divergence(diabetes):
    X, y = diabetes
    critical = mse_critical_learning_rate(X)
    with pytest.raises(DivergenceError, match=f"critical learning rate 2/λ_max is {critical:.6g}"):
        LinearRegression(solver="gd", learning_rate=1.5 * critical).fit(X, y)


def test_linear_regression_repr_shows_the_settings_that_differ():
    assert repr(LinearRegression()) == "LinearRegression()"
    assert repr(LinearRegression(solver="gd", learning_rate=0.1)) == (
        "LinearRegression(solver='gd', learning_rate=0.1)"
    )


# ---------------------------------------------------------------------------
# The learning-rate boundary 2/λ_max and divergence detection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["diabetes", "synthetic"])
def test_boundary_two_over_lambda_max(diabetes, data):
    X, y = diabetes if data == "diabetes" else synthetic(6)
    grad, loss = mse_problem(X, y)
    critical = mse_critical_learning_rate(X)
    w0 = np.zeros(X.shape[1])
    below = gradient_descent(
        grad, w0, learning_rate=0.99 * critical, max_iter=50000, tol=1e-8, loss=loss
    )
    assert below.converged
    with pytest.raises(DivergenceError) as info:
        gradient_descent(grad, w0, learning_rate=1.01 * critical, max_iter=50000, loss=loss)
    msg = str(info.value)
    assert f"learning_rate={1.01 * critical:.6g}" in msg
    # Not supplied, so it is estimated by power iteration; exact for a quadratic.
    assert f"2/λ_max is {critical:.6g}" in msg
    assert "estimated" in msg
    err = info.value
    assert err.learning_rate == 1.01 * critical and err.kind == "blow-up"
    assert math.isclose(err.critical_learning_rate, critical, rel_tol=1e-5)
    assert err.history.w.shape == (err.step + 1, X.shape[1])
    assert np.isfinite(err.history.w).all()


def test_supplied_critical_value_is_quoted(diabetes):
    X, y = diabetes
    grad, _ = mse_problem(X, y)
    with pytest.raises(DivergenceError, match=r"2/λ_max is 0\.123456, and learning_rate is"):
        gradient_descent(grad, np.zeros(10), learning_rate=1.0, critical_learning_rate=0.123456)


def test_momentum_moves_the_boundary_to_2_1_plus_beta_over_lambda_max():
    H = np.diag([1.0, 10.0])
    beta = 0.5
    critical = critical_learning_rate(H, momentum=beta)
    assert math.isclose(critical, 0.3)
    w0 = np.array([1.0, 1.0])
    ok = gradient_descent(
        lambda w: H @ w, w0, learning_rate=0.99 * critical, momentum=beta, max_iter=50000
    )
    assert ok.converged
    with pytest.raises(DivergenceError, match=r"2\(1 \+ momentum\)/λ_max is 0\.3"):
        gradient_descent(
            lambda w: H @ w, w0, learning_rate=1.01 * critical, momentum=beta, max_iter=50000
        )


def test_overflow_is_reported_without_runtime_warnings():
    def grad(w):
        return w**3  # L(w) = w^4/4; one giant step makes w^3 overflow to -inf

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            DivergenceError, match=r"learning_rate=1e\+300.*infinite or NaN"
        ) as info:
            gradient_descent(grad, np.array([1.0]), learning_rate=1e300)
    # The curvature at w0 = 1 is L''(1) = 3, so the local critical step is 2/3.
    assert math.isclose(info.value.critical_learning_rate, 2 / 3, rel_tol=1e-3)


def test_nan_gradient_during_the_run_is_divergence():
    def grad(w):
        return np.where(np.abs(w) < 5, -np.ones_like(w), np.nan)

    with pytest.raises(DivergenceError, match="infinite or NaN"):
        gradient_descent(grad, np.zeros(2), learning_rate=1.0, max_iter=100)


def test_non_finite_start_is_a_value_error():
    with pytest.raises(ValueError, match="not finite at w0"):
        gradient_descent(lambda w: w / 0.0, np.zeros(2), learning_rate=0.1)


def test_saddle_escape_with_decreasing_loss_is_not_divergence():
    # f(w) = w0^2 - w1^2/2 + w1^4/4 starts next to the saddle at 0: the gradient
    # grows a thousandfold while the loss falls, which is not divergence.
    def loss(w):
        return w[0] ** 2 - w[1] ** 2 / 2 + w[1] ** 4 / 4

    def grad(w):
        return np.array([2 * w[0], -w[1] + w[1] ** 3])

    res = gradient_descent(grad, np.array([0.0, 1e-6]), learning_rate=0.1, max_iter=5000, loss=loss)
    assert res.converged
    np.testing.assert_allclose(np.abs(res.w), [0.0, 1.0], atol=1e-7)


# ---------------------------------------------------------------------------
# Result object, history and callback
# ---------------------------------------------------------------------------


def test_history_and_result_fields():
    H = np.diag([1.0, 4.0])
    res = gradient_descent(
        lambda w: H @ w, np.array([1.0, -1.0]), learning_rate=0.2, loss=lambda w: 0.5 * w @ H @ w
    )
    n = res.n_iter
    assert res.history.w.shape == (n + 1, 2)
    assert res.history.loss.shape == res.history.grad_norm.shape == (n + 1,)
    np.testing.assert_array_equal(res.history.w[-1], res.w)
    assert res.grad_norm == res.history.grad_norm[-1] <= 1e-8
    assert res.loss == res.history.loss[-1]
    # Plain GD on a quadratic: w_k = (I - eta H)^k w_0.
    np.testing.assert_allclose(res.history.w[3], np.array([0.8**3, -(0.2**3)]), rtol=1e-12)
    with pytest.raises(AttributeError):
        res.w = None  # frozen


def test_history_without_loss_and_max_iter_reached():
    res = gradient_descent(lambda w: 2 * w, np.ones(3), learning_rate=0.01, max_iter=5)
    assert res.history.loss is None and res.loss is None
    assert res.n_iter == 5 and not res.converged


def test_callback_sees_each_step_and_can_stop():
    seen = []

    def callback(k, w):
        seen.append(k)
        return k == 4

    res = gradient_descent(lambda w: 2 * w, np.ones(2), learning_rate=0.01, callback=callback)
    assert seen == [1, 2, 3, 4] and res.n_iter == 4 and not res.converged


def test_w0_is_not_modified():
    w0 = np.array([1.0, 2.0])
    gradient_descent(lambda w: 2 * w, w0, learning_rate=0.1)
    np.testing.assert_array_equal(w0, [1.0, 2.0])


# ---------------------------------------------------------------------------
# Momentum
# ---------------------------------------------------------------------------


def test_momentum_needs_fewer_iterations_on_an_ill_conditioned_quadratic():
    lam_min, lam_max = 1.0, 1000.0  # condition number 1000
    H = np.diag([lam_min, 30.0, lam_max])
    w0 = np.ones(3)
    # Each method with its best fixed settings (Chapter 2, "Momentum").
    eta_gd = 2.0 / (lam_min + lam_max)
    gd = gradient_descent(lambda w: H @ w, w0, learning_rate=eta_gd, max_iter=100000)
    s_min, s_max = math.sqrt(lam_min), math.sqrt(lam_max)
    beta = ((s_max - s_min) / (s_max + s_min)) ** 2
    eta_hb = 4.0 / (s_max + s_min) ** 2
    hb = gradient_descent(lambda w: H @ w, w0, learning_rate=eta_hb, momentum=beta, max_iter=100000)
    assert gd.converged and hb.converged
    assert hb.n_iter * 5 < gd.n_iter
    # Same step size, momentum added: still fewer steps.
    hb2 = gradient_descent(lambda w: H @ w, w0, learning_rate=eta_gd, momentum=0.9, max_iter=100000)
    assert hb2.converged and hb2.n_iter < gd.n_iter


# ---------------------------------------------------------------------------
# Bounded cycles: neither converging nor blowing up
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cancer2():
    """Chapter 3's explorer data: standardised mean radius and mean texture."""
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X[:, [0, 1]], y.astype(float)


def logistic_critical(theta, X, C):
    """2/λ_max of the exact logistic Hessian at theta."""
    return 2.0 / float(np.linalg.eigvalsh(logistic_hessian(theta, X, C))[-1])


def test_logistic_cost_cycle_of_chapter_3_is_reported(cancer2):
    X, y = cancer2
    C = 0.01
    theta_star = np.append(
        *(lambda m: (m.coef_[0], m.intercept_))(LogisticRegression(C=C).fit(X, y))
    )
    optimum = logistic_cost(theta_star, X, y, C)
    with pytest.raises(DivergenceError) as info:
        gradient_descent(
            lambda t: logistic_gradient(t, X, y, C),
            np.zeros(3),
            learning_rate=10.0,
            max_iter=500,
            tol=0.0,
            loss=lambda t: logistic_cost(t, X, y, C),
        )
    err = info.value
    msg = str(err)
    assert "oscillates in a bounded cycle of period 2 with learning_rate=10:" in msg
    assert err.period == 2 and err.learning_rate == 10.0
    assert err.kind == "cycle"
    # It is a cycle of the iterates, far above the optimum, and the gradient stayed bounded.
    W, loss = err.history.w, err.history.loss
    assert np.linalg.norm(W[-1] - W[-3]) < 1e-2 * np.linalg.norm(W[-1] - W[-2])
    assert min(loss[-2:]) > 50 * optimum
    assert err.history.grad_norm.max() < 10 * err.history.grad_norm[0]
    # The local critical rate at the current iterate, against the exact Hessian.
    local = logistic_critical(W[-1], X, C)
    assert math.isclose(err.local_critical_learning_rate, local, rel_tol=1e-6)
    assert f"{local:.4g} at the current iterate" in msg
    # The suggestion is below the smallest rate found: here the one at w0 = 0.
    start = logistic_critical(np.zeros(3), X, C)
    assert math.isclose(err.critical_learning_rate, start, rel_tol=1e-6)
    assert err.critical_learning_rate < logistic_critical(theta_star, X, C) < 10.0
    assert f"use a learning_rate below {start:.4g}" in msg
    # ... and it works: the suggested step converges to the optimum.
    eta = float(re.search(r"e\.g\. ([0-9.]+)\.$", msg).group(1))
    res = gradient_descent(
        lambda t: logistic_gradient(t, X, y, C), np.zeros(3), learning_rate=eta, max_iter=5000
    )
    assert res.converged and rel(res.w, theta_star) < 1e-6


def test_logistic_regression_gd_reports_the_same_cycle(cancer2):
    X, y = cancer2
    with pytest.raises(DivergenceError, match=r"bounded cycle of period 2 with learning_rate=10:"):
        LogisticRegression(C=0.01, solver="gd", learning_rate=10.0).fit(X, y)


def sqrt_loss(w):
    return float(np.sqrt(1.0 + w[0] ** 2))


def sqrt_grad(w):
    return w / np.sqrt(1.0 + w**2)


def sqrt_critical(w):  # L''(w) = (1 + w^2)^(-3/2)
    return 2.0 * (1.0 + float(w[0]) ** 2) ** 1.5


def logcosh_loss(w):
    return float(np.log(np.cosh(w[0])))


def logcosh_critical(w):  # L''(w) = 1 / cosh(w)^2
    return 2.0 * float(np.cosh(w[0])) ** 2


ONE_D = {
    "sqrt(1 + w^2)": (sqrt_loss, sqrt_grad, sqrt_critical),
    "log cosh w": (logcosh_loss, np.tanh, logcosh_critical),
}


@pytest.mark.parametrize("with_loss", [True, False])
@pytest.mark.parametrize(
    ("name", "eta"),
    [("sqrt(1 + w^2)", 2.5), ("sqrt(1 + w^2)", 10.0), ("log cosh w", 2.5), ("log cosh w", 3.0)],
)
def test_one_dimensional_cycles_are_reported(name, eta, with_loss):
    loss, grad, critical = ONE_D[name]
    # Both losses have L''(0) = 1 at the minimum w* = 0: any eta > 2 makes it unstable,
    # yet the gradient is bounded by 1, so the run cannot blow up; it settles into w -> -w.
    with pytest.raises(DivergenceError) as info:
        gradient_descent(
            grad,
            np.array([1.0]),
            learning_rate=eta,
            max_iter=5000,
            loss=loss if with_loss else None,
        )
    err = info.value
    assert err.period == 2
    assert f"bounded cycle of period 2 with learning_rate={eta:g}:" in str(err)
    w_now = err.history.w[-1]
    assert math.isclose(err.local_critical_learning_rate, critical(w_now), rel_tol=1e-6)
    assert err.local_critical_learning_rate > eta  # flat out there: the cycle lives on the slopes
    # The most curved point crossed is near w* = 0, where the critical rate is 2.
    assert math.isclose(err.critical_learning_rate, 2.0, rel_tol=1e-2)
    assert abs(w_now[0] + err.history.w[-2][0]) < 0.05 * abs(w_now[0])  # w -> -w


def test_cycle_without_a_period_is_reported():
    # An asymmetric L = sqrt(1 + w^2) + 0.3 w at eta = 5: a bounded, chaotic orbit.
    def grad(w):
        return sqrt_grad(w) + 0.3

    def loss(w):
        return sqrt_loss(w) + 0.3 * float(w[0])

    with pytest.raises(DivergenceError, match="no period of up to 8 steps") as info:
        gradient_descent(grad, np.array([0.5]), learning_rate=5.0, max_iter=5000, loss=loss)
    err = info.value
    assert err.period is None and err.kind == "cycle"
    assert np.abs(err.history.w).max() < 10  # bounded
    assert math.isclose(
        err.local_critical_learning_rate, sqrt_critical(err.history.w[-1]), rel_tol=1e-6
    )
    assert err.critical_learning_rate < 5.0


def test_step_exactly_at_the_critical_rate_is_a_cycle():
    # L = w^2/2 with eta = 2: w -> -w exactly, forever. With momentum the same
    # happens at eta = 2(1 + beta).
    for beta in (0.0, 0.5):
        with pytest.raises(DivergenceError, match="period 2") as info:
            gradient_descent(
                lambda w: w, np.array([1.0]), learning_rate=2.0 * (1 + beta), momentum=beta
            )
        assert math.isclose(info.value.local_critical_learning_rate, 2.0 * (1 + beta), rel_tol=1e-8)


def test_full_batch_minibatch_reports_the_cycle(cancer2):
    X, y = cancer2
    X1 = np.column_stack([X, np.ones(len(y))])  # theta = (w, b) is the weight of X1

    def grad(t, X1_B, y_B):
        return logistic_gradient(t, X1_B[:, :-1], y_B, 0.01)

    with pytest.raises(DivergenceError, match=r"mini-batch .* period 2 .* by epoch \d+ the iter"):
        minibatch_gradient_descent(
            grad, np.zeros(3), X1, y, learning_rate=10.0, batch_size=len(y), n_epochs=500
        )


@pytest.mark.parametrize("with_loss", [True, False])
@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_converging_momentum_runs_are_not_cycles(beta, with_loss):
    # Just below the momentum boundary 2(1 + beta)/lambda_max the loss is far from
    # monotone, and the gradient norm swings through near-zero values, yet it converges.
    H = np.diag([1.0, 100.0])
    eta = 0.999 * critical_learning_rate(H, momentum=beta)
    res = gradient_descent(
        lambda w: H @ w,
        np.ones(2),
        learning_rate=eta,
        momentum=beta,
        max_iter=200_000,
        tol=1e-12,
        loss=(lambda w: 0.5 * w @ H @ w) if with_loss else None,
    )
    assert res.converged
    increases = int(np.sum(np.diff(res.history.grad_norm) > 0))
    assert increases > 0  # non-monotone


def test_converging_momentum_on_the_logistic_cost_is_not_a_cycle(cancer2):
    X, y = cancer2
    res = gradient_descent(
        lambda t: logistic_gradient(t, X, y, 0.01),
        np.zeros(3),
        learning_rate=3.0,
        momentum=0.9,
        max_iter=5000,
        tol=1e-10,
        loss=lambda t: logistic_cost(t, X, y, 0.01),
    )
    assert res.converged
    assert np.sum(np.diff(res.history.loss) > 1e-12) > 5  # the loss goes up and down


@pytest.mark.parametrize(
    ("eta", "C"), [(0.1, math.inf), (1.0, math.inf), (10.0, math.inf), (0.1, 0.01), (1.0, 0.01)]
)
def test_chapter_3_explorer_runs_that_converge_are_not_cycles(cancer2, eta, C):
    # The explorer's other settings (eta = 10, C = 0.01 is the cycle above). With tol=0
    # the runs that converge sit at the rounding floor of the minimum for hundreds of
    # steps, where the iterates may flip between neighbouring floats.
    X, y = cancer2
    res = gradient_descent(
        lambda t: logistic_gradient(t, X, y, C),
        np.zeros(3),
        learning_rate=eta,
        max_iter=500,
        tol=0.0,
        loss=lambda t: logistic_cost(t, X, y, C),
    )
    assert res.n_iter == 500


# ---------------------------------------------------------------------------
# Mini-batch and stochastic gradient descent
# ---------------------------------------------------------------------------


def run_sgd(X, y, random_state, **kw):
    settings = {"learning_rate": 0.01, "batch_size": 16, "n_epochs": 20, "loss": mse_loss}
    settings.update(kw)
    return minibatch_gradient_descent(
        mse_gradient, np.zeros(X.shape[1]), X, y, random_state=random_state, **settings
    )


def test_sgd_is_deterministic_for_a_seed(diabetes):
    X, y = diabetes
    a, b = run_sgd(X, y, 7), run_sgd(X, y, 7)
    np.testing.assert_array_equal(a.history.w, b.history.w)  # bit for bit
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    c = run_sgd(X, y, np.random.default_rng(7))
    np.testing.assert_array_equal(a.w, c.w)
    assert not np.array_equal(a.w, run_sgd(X, y, 8).w)


def test_sgd_reaches_a_neighbourhood_of_the_minimum(diabetes):
    X, y = diabetes
    w_ols = np.linalg.lstsq(X, y, rcond=None)[0]
    best = mse_loss(w_ols, X, y)
    # A constant step leaves SGD in a noise ball around the minimum: within 3%.
    for batch_size, eta in ((1, 0.002), (32, 0.02)):
        res = run_sgd(X, y, 0, batch_size=batch_size, learning_rate=eta, n_epochs=60)
        assert res.n_iter == 60 and res.history.w.shape == (61, 10)
        assert res.loss < 1.03 * best
        assert res.history.loss[-1] < res.history.loss[0]


def test_full_batch_minibatch_equals_gradient_descent():
    X, y = synthetic(7)
    eta = 0.5 * mse_critical_learning_rate(X)
    mb = minibatch_gradient_descent(
        mse_gradient,
        np.zeros(5),
        X,
        y,
        learning_rate=eta,
        batch_size=len(X),
        n_epochs=30,
        shuffle=False,
    )
    gd = gradient_descent(
        lambda w: mse_gradient(w, X, y), np.zeros(5), learning_rate=eta, max_iter=30, tol=0.0
    )
    np.testing.assert_array_equal(mb.history.w, gd.history.w)


def test_sgd_divergence_is_reported(diabetes):
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError, match=r"diverged at epoch \d+ with learning_rate=1"):
            run_sgd(X, y, 0, learning_rate=1.0, batch_size=1)


def test_sgd_noise_near_the_minimum_is_not_divergence():
    # One weight, no loss given: some epoch ends very close to the minimum by
    # chance, and later ones are farther again. That is noise, not divergence.
    rng = np.random.default_rng(9)
    X = rng.normal(size=(40, 1))
    y = 2.0 * X[:, 0] + rng.normal(size=40)
    res = minibatch_gradient_descent(
        mse_gradient,
        np.array([2.0]),
        X,
        y,
        learning_rate=0.05,
        batch_size=1,
        n_epochs=1500,
        random_state=2,
    )
    norms = res.history.grad_norm
    assert norms[1:].max() > 1e3 * norms[1:].min()  # the situation the rule must survive
    assert res.n_iter == 1500


def test_sgd_stops_when_tol_is_met():
    X, y = synthetic(8)
    y = X @ np.arange(5.0)  # noiseless: the minimum interpolates, SGD converges
    res = minibatch_gradient_descent(
        mse_gradient, np.zeros(5), X, y, learning_rate=0.05, batch_size=10, n_epochs=500, tol=1e-6
    )
    assert res.converged and res.n_iter < 500


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def _grad(w):
    return 2 * w


GD_BAD = [
    ({"learning_rate": 0.0}, ValueError, "learning_rate must be > 0.0, got 0.0"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be > 0.0, got -0.1"),
    ({"learning_rate": math.inf}, ValueError, "learning_rate must be a finite"),
    ({"learning_rate": math.nan}, ValueError, "learning_rate must be a number, got NaN"),
    ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a real number"),
    ({"learning_rate": 0.1, "max_iter": 0}, ValueError, "max_iter must be >= 1, got 0"),
    ({"learning_rate": 0.1, "max_iter": 10.0}, TypeError, "max_iter must be an integer"),
    ({"learning_rate": 0.1, "tol": -1.0}, ValueError, "tol must be >= 0.0"),
    ({"learning_rate": 0.1, "momentum": 1.0}, ValueError, "momentum must be < 1.0, got 1.0"),
    ({"learning_rate": 0.1, "momentum": -0.5}, ValueError, "momentum must be >= 0.0"),
    (
        {"learning_rate": 0.1, "w0": [[1.0, 2.0]], "grad": lambda w: np.ones(2)},
        ValueError,
        r"the gradient has shape \(2,\) but w0 has shape \(1, 2\)",
    ),
    ({"learning_rate": 0.1, "w0": [np.nan, 1.0]}, ValueError, "w0 contains 1 NaN"),
    ({"learning_rate": 0.1, "w0": []}, ValueError, "w0 is empty"),
    ({"learning_rate": 0.1, "grad": "2w"}, TypeError, "grad must be a function, got str"),
    ({"learning_rate": 0.1, "loss": 3}, TypeError, "loss must be a function, got int"),
    ({"learning_rate": 0.1, "loss": lambda w: w}, ValueError, "loss must return a scalar"),
    (
        {"learning_rate": 0.1, "critical_learning_rate": 0},
        ValueError,
        "critical_learning_rate must be > 0.0",
    ),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), GD_BAD)
def test_gradient_descent_bad_input(kwargs, error, match):
    kwargs = dict(kwargs)
    grad = kwargs.pop("grad", _grad)
    w0 = kwargs.pop("w0", [1.0, 2.0])
    with pytest.raises(error, match=match):
        gradient_descent(grad, w0, **kwargs)


X_SMALL = np.arange(12.0).reshape(6, 2)
Y_SMALL = np.arange(6.0)

SGD_BAD = [
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
    ({"batch_size": 7}, ValueError, "batch_size must be between 1 and the number of samples N=6"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an integer"),
    ({"n_epochs": 0}, ValueError, "n_epochs must be >= 1"),
    ({"learning_rate": -1.0}, ValueError, "learning_rate must be > 0.0"),
    ({"momentum": 1.5}, ValueError, "momentum must be < 1.0"),
    ({"random_state": -1}, ValueError, "random_state must be a non-negative seed"),
    ({"random_state": "seed"}, TypeError, "random_state must be None"),
    ({"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    ({"w0": np.zeros(3)}, ValueError, r"w0 has shape \(3,\) but X has 2 columns"),
    ({"w0": np.zeros((2, 2))}, ValueError, r"weights must have shape \(2,\)"),
    ({"y": np.arange(5.0)}, ValueError, "X has 6 rows but y has 5"),
    ({"X": [1.0, 2.0]}, ValueError, "X must be 2-D"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), SGD_BAD)
def test_minibatch_bad_input(kwargs, error, match):
    args = {"w0": np.zeros(2), "X": X_SMALL, "y": Y_SMALL}
    settings = {"learning_rate": 0.01, "batch_size": 2}
    for key, value in kwargs.items():
        (args if key in args else settings)[key] = value
    with pytest.raises(error, match=match):
        minibatch_gradient_descent(mse_gradient, args["w0"], args["X"], args["y"], **settings)


LR_BAD = [
    ({"solver": "sgd"}, ValueError, "solver must be one of .*'gd'; got 'sgd'"),
    ({"solver": "gd", "learning_rate": 0.0}, ValueError, "learning_rate must be > 0.0"),
    ({"solver": "gd", "learning_rate": math.inf}, ValueError, "learning_rate must be a finite"),
    ({"solver": "gd", "max_iter": 0}, ValueError, "max_iter must be >= 1"),
    ({"solver": "gd", "tol": -1e-3}, ValueError, "tol must be >= 0.0"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), LR_BAD)
def test_linear_regression_gd_bad_settings(kwargs, error, match):
    model = LinearRegression(**kwargs)  # __init__ only stores: no error yet
    with pytest.raises(error, match=match):
        model.fit(X_SMALL, Y_SMALL)


@pytest.mark.parametrize(
    ("H", "match"),
    [
        (np.ones((2, 3)), "H must be a square matrix"),
        (np.array([[1.0, 2.0], [0.0, 1.0]]), "H must be symmetric"),
    ],
)
def test_critical_learning_rate_bad_input(H, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        critical_learning_rate(H)
