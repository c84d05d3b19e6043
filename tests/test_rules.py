"""The optimiser family of mlmath.optim: SGD (heavy ball, Nesterov), AdaGrad, RMSProp, Adam.

Hand-computed two-step updates, scikit-learn's own optimisers on the same gradient sequence,
convergence on a strongly convex problem, schedules, determinism and bad settings.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from mlmath import DivergenceError, MLPClassifier
from mlmath.optim import (
    RULES,
    SGD,
    AdaGrad,
    Adam,
    RMSProp,
    constant,
    cosine,
    critical_learning_rate,
    gradient_descent,
    inverse_time,
    make_rule,
    minibatch_gradient_descent,
    mse_gradient,
    mse_loss,
    step_decay,
)

G1, G2 = np.array([1.0, -2.0]), np.array([0.5, 4.0])  # the two gradients of the hand examples


def two_steps(rule):
    p = np.array([1.0, 1.0])
    opt = rule([p])
    opt.step([G1])
    first = p.copy()
    opt.step([G2])
    return first, p


# --------------------------------------------------------------------------- hand-computed


def test_sgd_heavy_ball_two_steps():
    first, second = two_steps(lambda ps: SGD(ps, 0.1, momentum=0.5))
    # b1 = g1 = (1, -2); theta = 1 - 0.1 b1
    np.testing.assert_allclose(first, [0.9, 1.2], rtol=1e-15)
    # b2 = 0.5 b1 + g2 = (1.0, 3.0); theta = first - 0.1 b2
    np.testing.assert_allclose(second, [0.8, 0.9], rtol=1e-15)


def test_sgd_nesterov_two_steps():
    first, second = two_steps(lambda ps: SGD(ps, 0.1, momentum=0.5, nesterov=True))
    # b1 = (1, -2); step g1 + 0.5 b1 = (1.5, -3)
    np.testing.assert_allclose(first, [0.85, 1.3], rtol=1e-15)
    # b2 = (1, 3); step g2 + 0.5 b2 = (1.0, 5.5)
    np.testing.assert_allclose(second, [0.75, 0.75], rtol=1e-15)


def test_plain_sgd_two_steps():
    first, second = two_steps(lambda ps: SGD(ps, 0.1))
    np.testing.assert_allclose(first, [0.9, 1.2], rtol=1e-15)
    np.testing.assert_allclose(second, [0.85, 0.8], rtol=1e-15)


def test_adagrad_two_steps():
    first, second = two_steps(lambda ps: AdaGrad(ps, 0.1, eps=1e-10))
    # s1 = (1, 4): step g/sqrt(s) = (1, -1)
    np.testing.assert_allclose(first, [0.9, 1.1], rtol=1e-9)
    # s2 = (1.25, 20): steps 0.5/sqrt(1.25), 4/sqrt(20)
    expected = first - 0.1 * np.array([0.5 / math.sqrt(1.25), 4.0 / math.sqrt(20.0)])
    np.testing.assert_allclose(second, expected, rtol=1e-9)


def test_rmsprop_two_steps():
    first, second = two_steps(lambda ps: RMSProp(ps, 0.1, rho=0.5, eps=1e-8))
    # v1 = 0.5 g1^2 = (0.5, 2): steps 1/sqrt(0.5), -2/sqrt(2)
    np.testing.assert_allclose(first, [1 - 0.1 * math.sqrt(2), 1 + 0.1 * math.sqrt(2)], rtol=1e-7)
    # v2 = 0.5 v1 + 0.5 g2^2 = (0.375, 9)
    expected = first - 0.1 * np.array([0.5 / math.sqrt(0.375), 4.0 / 3.0])
    np.testing.assert_allclose(second, expected, rtol=1e-7)


def test_adam_two_steps():
    first, second = two_steps(lambda ps: Adam(ps, 0.1, beta1=0.5, beta2=0.75, eps=1e-8))
    # t = 1: m_hat = g1, v_hat = g1^2, so the step is eta * sign(g1)
    np.testing.assert_allclose(first, [0.9, 1.1], rtol=1e-7)
    # t = 2: m = 0.25 g1 + 0.5 g2 = (0.5, 1.5), m_hat = m / 0.75
    #        v = 0.1875 g1^2 + 0.25 g2^2 = (0.25, 4.75), v_hat = v / 0.4375
    m_hat = np.array([0.5, 1.5]) / 0.75
    v_hat = np.array([0.25, 4.75]) / 0.4375
    np.testing.assert_allclose(second, first - 0.1 * m_hat / np.sqrt(v_hat), rtol=1e-7)


# --------------------------------------------------------------------------- scikit-learn


def gradient_sequence(shapes, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s) for s in shapes] for _ in range(n_steps)]


SHAPES = [(3, 4), (4,)]


def run_ours(rule, grads_seq):
    params = [np.ones(s) for s in SHAPES]
    opt = rule(params)
    path = []
    for grads in grads_seq:
        opt.step(grads)
        path.append([p.copy() for p in params])
    return path


def run_sklearn(optimizer, grads_seq):
    params = [np.ones(s) for s in SHAPES]
    opt = optimizer(params)
    path = []
    for grads in grads_seq:
        opt.update_params(params, grads)
        path.append([p.copy() for p in params])
    return path


def max_relative_difference(a, b):
    return max(
        float(np.max(np.abs(x - y) / np.abs(y))) for xs, ys in zip(a, b, strict=True)
        for x, y in zip(xs, ys, strict=True)
    )  # fmt: skip


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_sklearn_sgd_optimizer(nesterov):
    seq = gradient_sequence(SHAPES, 100)
    ours = run_ours(lambda ps: SGD(ps, 0.05, momentum=0.9, nesterov=nesterov), seq)
    theirs = run_sklearn(
        lambda ps: SGDOptimizer(ps, learning_rate_init=0.05, momentum=0.9, nesterov=nesterov), seq
    )
    assert max_relative_difference(ours, theirs) < 1e-12


def test_adam_matches_sklearn_adam_optimizer():
    seq = gradient_sequence(SHAPES, 100)
    # scikit-learn adds epsilon to sqrt(v), PyTorch (and mlmath) to sqrt(v_hat): with an
    # epsilon far below sqrt(v) the two are the same rule.
    ours = run_ours(lambda ps: Adam(ps, 0.01, eps=1e-300), seq)
    theirs = run_sklearn(lambda ps: AdamOptimizer(ps, learning_rate_init=0.01, epsilon=1e-300), seq)
    assert max_relative_difference(ours, theirs) < 1e-12
    # With the default epsilon the placement shows, at the size epsilon / sqrt(v) predicts.
    ours = run_ours(lambda ps: Adam(ps, 0.01), seq)
    theirs = run_sklearn(lambda ps: AdamOptimizer(ps, learning_rate_init=0.01), seq)
    assert 1e-12 < max_relative_difference(ours, theirs) < 1e-6


# --------------------------------------------------------------------------- convergence


H = np.diag([1.0, 10.0])  # strongly convex: mu = 1, Lambda = 10
W0 = np.array([3.0, -2.0])


@pytest.mark.parametrize(
    ("rule", "eta", "options"),
    [
        ("sgd", 0.1, {}),
        ("sgd", 0.1, {"momentum": 0.5}),
        ("sgd", 0.1, {"momentum": 0.5, "nesterov": True}),
        ("adagrad", 1.0, {}),
        ("rmsprop", cosine(0.1, 2000, 1e-6), {}),
        ("adam", cosine(0.1, 2000, 1e-6), {}),
    ],
)
def test_every_rule_converges_on_a_strongly_convex_quadratic(rule, eta, options):
    res = gradient_descent(
        lambda w: H @ w, W0, learning_rate=eta, rule=rule, max_iter=4000, tol=0.0, **options
    )
    assert np.linalg.norm(res.w) < 1e-4 * np.linalg.norm(W0)


def test_nesterov_converges_faster_than_plain_gd_on_an_ill_conditioned_quadratic():
    Hk = np.diag([1.0, 100.0])
    grad = lambda w: Hk @ w  # noqa: E731
    eta, beta = 1.0 / 100.0, (10.0 - 1.0) / (10.0 + 1.0)  # 1/Lambda, (sqrt k - 1)/(sqrt k + 1)
    gd = gradient_descent(grad, W0, learning_rate=eta, max_iter=100000, tol=1e-8)
    nag = gradient_descent(
        grad, W0, learning_rate=eta, momentum=beta, nesterov=True, max_iter=100000, tol=1e-8
    )
    assert gd.converged and nag.converged
    assert nag.n_iter < gd.n_iter / 5


def test_nesterov_critical_rate_is_2_1_plus_beta_over_1_plus_2beta():
    beta = 0.5
    critical = critical_learning_rate(H, momentum=beta, nesterov=True)
    assert math.isclose(critical, 2 * 1.5 / (2.0 * 10.0))
    grad = lambda w: H @ w  # noqa: E731
    below = gradient_descent(
        grad, W0, learning_rate=0.99 * critical, momentum=beta, nesterov=True, max_iter=50000
    )
    assert below.converged
    with pytest.raises(DivergenceError, match=r"\(1 \+ 2 momentum\) λ_max\) is 0\.15"):
        gradient_descent(
            grad, W0, learning_rate=1.01 * critical, momentum=beta, nesterov=True, max_iter=50000
        )


@pytest.mark.parametrize("rule", ["adagrad", "rmsprop", "adam"])
def test_adaptive_rules_that_blow_up_are_reported(rule):
    # Their steps are about eta per coordinate whatever the gradient: a first step of 100 on
    # L = w^4 from w = 1 lands near w = -99, where the gradient is a million times larger.
    with pytest.raises(DivergenceError, match=r"gradient descent with .* diverged") as info:
        gradient_descent(lambda w: 4 * w**3, np.array([1.0]), learning_rate=100.0, rule=rule)
    assert "Use a smaller learning_rate" in str(info.value)
    assert info.value.critical_learning_rate is None


def test_minibatch_with_every_rule_is_deterministic_and_fits():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.normal(size=80)
    for rule in RULES:
        eta = 0.05 if rule != "adagrad" else 0.5
        runs = [
            minibatch_gradient_descent(
                mse_gradient, np.zeros(3), X, y, learning_rate=eta, batch_size=8,
                n_epochs=60, rule=rule, loss=mse_loss, random_state=3,
            )
            for _ in range(2)
        ]  # fmt: skip
        np.testing.assert_array_equal(runs[0].w, runs[1].w)
        np.testing.assert_array_equal(runs[0].history.loss, runs[1].history.loss)
        assert runs[0].loss < 0.01, (rule, runs[0].loss)


def test_factory_rules_and_callable_schedules_are_accepted():
    res = gradient_descent(
        lambda w: H @ w, W0, learning_rate=lambda k: 0.1 / (1 + 0.001 * k),
        rule=functools.partial(Adam, beta1=0.8), max_iter=50,
    )  # fmt: skip
    assert res.n_iter == 50 and np.linalg.norm(res.w) < np.linalg.norm(W0)


# --------------------------------------------------------------------------- schedules


def test_schedules_values():
    assert constant(0.3)(17) == 0.3
    s = step_decay(1.0, every=10, gamma=0.5)
    assert [s(0), s(9), s(10), s(25)] == [1.0, 1.0, 0.5, 0.25]
    s = inverse_time(1.0, decay=0.5)
    assert [s(0), s(2), s(6)] == [1.0, 0.5, 0.25]
    s = cosine(1.0, n_steps=10, eta_min=0.1)
    assert s(0) == 1.0 and math.isclose(s(5), 0.55) and s(10) == s(99) == 0.1
    assert repr(s) == "cosine(eta0=1, n_steps=10, eta_min=0.1)"


def test_a_schedule_advances_once_per_step():
    p = np.zeros(1)
    opt = SGD([p], step_decay(1.0, every=1, gamma=0.5))
    for _ in range(3):
        opt.step([np.ones(1)])
    assert p[0] == -(1.0 + 0.5 + 0.25) and opt.t == 3 and opt.current_learning_rate == 0.125


# --------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: SGD(p, -0.1), ValueError, r"learning_rate must be > 0.0, got -0.1"),
        (lambda p: SGD(p, 0.0), ValueError, r"learning_rate must be > 0.0, got 0.0"),
        (lambda p: SGD(p, math.inf), ValueError, r"learning_rate must be a finite"),
        (lambda p: SGD(p, 0.1, momentum=1.0), ValueError, r"momentum must be < 1.0, got 1.0"),
        (lambda p: SGD(p, 0.1, momentum=-0.1), ValueError, r"momentum must be >= 0.0"),
        (lambda p: SGD(p, 0.1, nesterov=True), ValueError, r"nesterov=True needs a momentum"),
        (lambda p: RMSProp(p, 0.1, rho=1.0), ValueError, r"rho must be < 1.0, got 1.0"),
        (lambda p: Adam(p, 0.1, beta1=1.0), ValueError, r"beta1 must be < 1.0, got 1.0"),
        (lambda p: Adam(p, 0.1, beta2=-0.5), ValueError, r"beta2 must be >= 0.0, got -0.5"),
        (lambda p: Adam(p, 0.1, eps=0.0), ValueError, r"eps must be > 0.0, got 0.0"),
        (lambda p: AdaGrad(p, 0.1, eps=-1e-8), ValueError, r"eps must be > 0.0"),
        (lambda p: RMSProp(p, 0.1, eps=0.0), ValueError, r"eps must be > 0.0"),
        (lambda p: Adam(p, "fast"), TypeError, r"learning_rate must be a real number"),
        (lambda p: SGD(np.ones(2), 0.1), TypeError, r"params must be a list of arrays"),
        (lambda p: SGD([[1.0, 2.0]], 0.1), TypeError, r"params\[0\] must be a float ndarray"),
        (lambda p: SGD([np.arange(3)], 0.1), TypeError, r"params\[0\] must be a float ndarray"),
        (lambda p: make_rule("lbfgs", p, 0.1), ValueError, r"rule must be one of 'sgd'"),
        (lambda p: make_rule("adam", p, 0.1, momentum=0.9), ValueError, r"settings of rule='sgd'"),
        (lambda p: step_decay(1.0, every=0), ValueError, r"every must be >= 1"),
        (lambda p: cosine(1.0, 10, eta_min=2.0), ValueError, r"eta_min must be <= 1.0"),
    ],
)
def test_bad_settings_name_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make([np.zeros(2)])


@pytest.mark.parametrize("rule", list(RULES.values()))
def test_mismatched_params_and_grads(rule):
    p = [np.zeros(2), np.zeros(3)]
    opt = rule(p, 0.1)
    with pytest.raises(ValueError, match=r"step got 1 gradients for 2 parameters"):
        opt.step([np.zeros(2)])
    with pytest.raises(ValueError, match=r"grads\[1\] has shape \(2,\) but params\[1\] has shape"):
        opt.step([np.zeros(2), np.zeros(2)])


def test_a_schedule_giving_a_bad_rate_is_named():
    opt = SGD([np.zeros(1)], lambda k: 0.1 - 0.1 * k)
    opt.step([np.ones(1)])
    with pytest.raises(
        ValueError, match=r"must give a finite positive number, got 0.0 at step k=1"
    ):
        opt.step([np.ones(1)])


# --------------------------------------------------------------------------- estimators


@pytest.mark.parametrize(
    ("solver", "eta", "nesterov"),
    [("sgd", 0.1, True), ("rmsprop", 0.003, False), ("adagrad", 0.1, False)],
)
def test_mlp_takes_every_solver(solver, eta, nesterov):
    from sklearn.datasets import make_moons

    X, y = make_moons(200, noise=0.1, random_state=0)
    model = MLPClassifier(
        hidden_layer_sizes=(16,), solver=solver, learning_rate=eta,
        nesterovs_momentum=nesterov, max_iter=40,
    ).fit(X, y)  # fmt: skip
    assert model.get_params()["nesterovs_momentum"] is nesterov
    assert model.score(X, y) > 0.9


def test_mlp_nesterovs_momentum_must_be_bool():
    with pytest.raises(TypeError, match=r"nesterovs_momentum must be True or False, got 'yes'"):
        MLPClassifier(nesterovs_momentum="yes").fit(np.zeros((4, 2)), [0, 1, 0, 1])


@pytest.mark.parametrize(
    ("solver", "eta"), [("sgd", 50.0), ("adam", 1e3), ("rmsprop", 1e3), ("adagrad", 1e4)]
)
def test_network_training_reports_divergence_for_every_solver(solver, eta):
    from sklearn.datasets import make_moons

    X, y = make_moons(200, noise=0.1, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, learning_rate=eta, max_iter=20)
    with pytest.raises(DivergenceError, match=f"training diverged .* learning_rate={eta:g}"):
        model.fit(X, y)
