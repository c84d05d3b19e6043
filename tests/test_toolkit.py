"""The training toolkit of Chapter 4: dropout, batch normalisation and early stopping.

Every backward pass is checked against finite differences and against the
reverse-mode engine; layers with state are checked in both modes; bad
settings must be refused with messages that name them.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlmath.network as network
from mlmath import MLPClassifier
from mlmath.autodiff import Tensor
from mlmath.gradcheck import gradcheck, numerical_gradient
from mlmath.layers import (
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
)
from mlmath.network import (
    Activation,
    BatchNorm,
    Dense,
    Dropout,
    Sequential,
    loss_and_gradients,
    stratified_split,
)

RNG = np.random.default_rng(0)


# --------------------------------------------------------------------------- dropout


def test_dropout_backward_gradcheck():
    X, dout = RNG.normal(size=(6, 5)), RNG.normal(size=(6, 5))

    def f(x):  # the same mask on every call: a fresh generator with the same seed
        return dropout_forward(x, 0.4, np.random.default_rng(3))[0]

    _, cache = dropout_forward(X, 0.4, np.random.default_rng(3))
    assert gradcheck(f, dropout_backward(dout, cache), X, dout=dout) < 1e-8


def test_inverted_dropout_keeps_the_expectation_and_drops_a_fraction_p():
    X = np.ones((200, 500))
    out, _ = dropout_forward(X, 0.3, np.random.default_rng(1))
    assert abs(np.mean(out == 0) - 0.3) < 0.005
    assert abs(out.mean() - 1.0) < 0.01  # E[out] = X thanks to the 1/(1 - p) scaling
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)


def test_dropout_is_the_identity_at_inference_and_draws_nothing():
    X = RNG.normal(size=(4, 3))
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    out, cache = dropout_forward(X, 0.5, rng, train=False)
    np.testing.assert_array_equal(out, X)
    assert rng.bit_generator.state == state
    np.testing.assert_array_equal(dropout_backward(X, cache), X)
    layer = Dropout(0.5, rng=0)
    np.testing.assert_array_equal(layer.forward(X, training=False), X)
    assert not np.array_equal(layer.forward(X, training=True), X)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_rate_outside_0_1_is_refused(p):
    with pytest.raises(ValueError, match="p"):
        dropout_forward(np.ones(3), p, RNG)
    with pytest.raises(ValueError, match="p"):
        Dropout(p)


def test_dropout_bad_cache_and_shapes():
    _, cache = dropout_forward(np.ones((2, 3)), 0.5, RNG)
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\)"):
        dropout_backward(np.ones((3, 2)), cache)
    with pytest.raises(TypeError, match="dropout_forward"):
        dropout_backward(np.ones((2, 3)), "cache")
    with pytest.raises(TypeError, match="p"):
        dropout_forward(np.ones(3), "0.5", RNG)


# --------------------------------------------------------------------------- batch norm


def test_batchnorm_forward_standardises_each_column():
    X = RNG.normal(3.0, 5.0, size=(50, 4))
    out, _ = batchnorm_forward(X, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1, atol=1e-5)
    gamma, beta = np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, 0.0, 1.0, 2.0])
    out, _ = batchnorm_forward(X, gamma, beta)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-5)


@pytest.mark.parametrize("N", [1, 2, 7])
def test_batchnorm_backward_gradcheck(N):
    X, dout = RNG.normal(size=(N, 3)) * 2 + 1, RNG.normal(size=(N, 3))
    gamma, beta = RNG.normal(size=3), RNG.normal(size=3)
    _, cache = batchnorm_forward(X, gamma, beta)
    dX, dgamma, dbeta = batchnorm_backward(dout, cache)
    tol = 1e-6 if N > 1 else 1e-4  # N = 1: X_hat = 0, dX is 0 up to rounding
    assert gradcheck(lambda x: batchnorm_forward(x, gamma, beta)[0], dX, X, dout=dout) < tol
    assert gradcheck(lambda g: batchnorm_forward(X, g, beta)[0], dgamma, gamma, dout=dout) < 1e-8
    assert gradcheck(lambda b: batchnorm_forward(X, gamma, b)[0], dbeta, beta, dout=dout) < 1e-8


def test_batchnorm_backward_equals_the_engine():
    X, dout = RNG.normal(size=(9, 4)), RNG.normal(size=(9, 4))
    gamma, beta = RNG.normal(size=4), RNG.normal(size=4)
    eps = 1e-5
    _, cache = batchnorm_forward(X, gamma, beta, eps)
    dX, dgamma, dbeta = batchnorm_backward(dout, cache)
    x, g, b = Tensor(X), Tensor(gamma), Tensor(beta)
    centred = x - x.mean(axis=0)
    x_hat = centred / ((centred * centred).mean(axis=0) + eps) ** 0.5
    ((x_hat * g + b) * dout).sum().backward()
    np.testing.assert_allclose(dX, x.grad, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dgamma, g.grad, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dbeta, b.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("eps", [0.0, -1e-5, float("inf")])
def test_batchnorm_eps_must_be_positive(eps):
    with pytest.raises(ValueError, match="eps"):
        batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2), eps)
    with pytest.raises(ValueError, match="eps"):
        BatchNorm(2, eps=eps)


@pytest.mark.parametrize(
    ("X", "gamma", "beta", "match"),
    [
        (np.ones((3, 2)), np.ones(3), np.zeros(2), r"gamma \(3,\)"),
        (np.ones((3, 2)), np.ones(2), np.zeros(1), r"beta \(1,\)"),
        (np.ones(3), np.ones(3), np.zeros(3), r"X of shape \(3,\)"),
        (np.ones((0, 2)), np.ones(2), np.zeros(2), "no rows"),
    ],
)
def test_batchnorm_shape_mismatch_is_named(X, gamma, beta, match):
    with pytest.raises(ValueError, match=match):
        batchnorm_forward(X, gamma, beta)


def test_batchnorm_backward_checks_its_inputs():
    _, cache = batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 2\)"):
        batchnorm_backward(np.ones((2, 2)), cache)
    with pytest.raises(TypeError, match="batchnorm_forward"):
        batchnorm_backward(np.ones((3, 2)), (1, 2))


def test_batchnorm_layer_running_statistics_and_modes():
    rng = np.random.default_rng(2)
    layer = BatchNorm(3, momentum=0.1)
    mu, sd = np.array([1.0, -2.0, 5.0]), np.array([0.5, 2.0, 3.0])
    for _ in range(300):
        layer.forward(rng.normal(mu, sd, size=(64, 3)), training=True)
    np.testing.assert_allclose(layer.running_mean, mu, atol=0.15)
    np.testing.assert_allclose(np.sqrt(layer.running_var), sd, rtol=0.1)
    # Inference: each row is normalised on its own, whatever else is in the batch.
    X = rng.normal(mu, sd, size=(10, 3))
    full = layer.forward(X, training=False)
    np.testing.assert_allclose(layer.forward(X[:1], training=False), full[:1], rtol=1e-14)
    before = layer.running_mean.copy()
    layer.forward(X, training=False)
    np.testing.assert_array_equal(layer.running_mean, before)  # eval leaves the statistics
    # Training: one batch of one sample is normalised to beta (its own mean).
    np.testing.assert_allclose(layer.forward(X[:1], training=True), 0.0, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_layer_backward_gradcheck_in_both_modes(training):
    rng = np.random.default_rng(4)
    layer = BatchNorm(3)
    layer.running_mean[...] = rng.normal(size=3)
    layer.running_var[...] = rng.uniform(0.5, 2, size=3)
    layer.params["gamma"][...] = rng.normal(size=3)
    X, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    state = (layer.running_mean.copy(), layer.running_var.copy())

    def f(x):
        layer.running_mean[...], layer.running_var[...] = state  # undo the update
        return layer.forward(x, training=training)

    f(X)
    dX = layer.backward(dout)
    assert gradcheck(f, dX, X, dout=dout) < 1e-6


def test_network_with_batchnorm_gradcheck_every_parameter():
    rng = np.random.default_rng(6)
    model = Sequential(
        [Dense(4, 5, rng=rng), BatchNorm(5), Activation("tanh"), Dense(5, 3, rng=rng)]
    )
    model[1].params["gamma"][...] = rng.normal(size=5)
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    for name, param, grad in model.parameters():
        loss_and_gradients(model, X, y, alpha=0.2)  # f below leaves grads at other points
        analytic = grad.copy()

        def f(v, param=param):
            old = param.copy()
            param[...] = v
            out = loss_and_gradients(model, X, y, alpha=0.2)
            param[...] = old
            return out

        if name == "0.b":
            # Batch norm subtracts the batch mean: a bias before it has no effect at all.
            assert np.abs(analytic).max() < 1e-12
            assert np.abs(numerical_gradient(f, param.copy())).max() < 1e-9
            continue
        assert gradcheck(f, analytic, param.copy()) < 1e-6, name


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_features": 0}, "n_features"),
        ({"n_features": 2, "momentum": 0.0}, "momentum"),
        ({"n_features": 2, "momentum": 1.5}, "momentum"),
    ],
)
def test_batchnorm_layer_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNorm(**kwargs)


def test_batchnorm_layer_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(N, 3\).*\(4, 2\)"):
        BatchNorm(3).forward(np.ones((4, 2)))


# --------------------------------------------------------------------------- the classifier


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_predict_uses_inference_mode(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(32,), dropout=0.5, batch_norm=True, max_iter=3)
    clf.fit(X[:600], y[:600])
    assert any(isinstance(layer, Dropout) for layer in clf.model_)
    assert any(isinstance(layer, BatchNorm) for layer in clf.model_)
    P1, P2 = clf.predict_proba(X[600:700]), clf.predict_proba(X[600:700])
    np.testing.assert_array_equal(P1, P2)  # no random mask at prediction time
    np.testing.assert_allclose(clf.predict_proba(X[600:601]), P1[:1], rtol=1e-12)
    assert clf.score(X[600:], y[600:]) > 0.8


def test_validation_scores_are_none_without_early_stopping(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=2).fit(X[:300], y[:300])
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None


def test_early_stopping_stops_and_keeps_the_best_epoch(digits):
    X, y = digits
    clf = MLPClassifier(
        hidden_layer_sizes=(32,), max_iter=200, early_stopping=True, n_iter_no_change=3
    ).fit(X, y)
    scores = clf.validation_scores_
    assert clf.n_iter_ == len(scores) == len(clf.loss_curve_) < 200
    assert clf.best_validation_score_ == max(scores)
    # The last n_iter_no_change + 1 epochs did not beat the best by tol.
    assert max(scores[-4:]) < max(scores[:-4]) + clf.tol
    # Same seed, same split, same run.
    again = MLPClassifier(**clf.get_params()).fit(X, y)
    assert again.validation_scores_ == scores


def test_early_stopping_keeps_the_weights_of_the_best_epoch(digits, monkeypatch):
    """Scripted validation scores: training stops as scikit-learn's rule says."""
    X, y = digits
    script = iter([0.5, 0.7, 0.69, 0.71, 0.9, 0.8, 0.9, 0.8, 0.8, 0.8])
    seen = []

    def fake_accuracy(model, X_val, y_val):
        seen.append(copy_params(model))
        return next(script)

    def copy_params(model):
        return [p.copy() for _, p, _ in model.parameters()]

    monkeypatch.setattr(network, "_accuracy", fake_accuracy)
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=50, early_stopping=True, n_iter_no_change=2
    ).fit(X[:200], y[:200])
    # From epoch 6 on nothing beats 0.9 + tol (a tie does not count): training stops
    # once more than 2 such epochs have followed each other, and keeps epoch 5.
    assert clf.n_iter_ == 8
    assert clf.validation_scores_ == [0.5, 0.7, 0.69, 0.71, 0.9, 0.8, 0.9, 0.8]
    for kept, best in zip(copy_params(clf.model_), seen[4], strict=True):
        np.testing.assert_array_equal(kept, best)


def test_stratified_split_keeps_the_class_proportions():
    y = np.repeat(np.arange(3), [50, 30, 20])
    train, val = stratified_split(y, 0.2, np.random.default_rng(0))
    assert np.bincount(y[val]).tolist() == [10, 6, 4]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="no validation samples"):
        stratified_split(np.arange(3), 0.2, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"dropout": 1.0}, ValueError, "dropout rate"),
        ({"dropout": -0.2}, ValueError, "dropout rate"),
        ({"batch_norm": "yes"}, TypeError, "batch_norm"),
        ({"early_stopping": 1}, TypeError, "early_stopping"),
        ({"early_stopping": True, "validation_fraction": 0.0}, ValueError, "validation_fraction"),
        ({"early_stopping": True, "validation_fraction": 1.0}, ValueError, "validation_fraction"),
        ({"early_stopping": True, "n_iter_no_change": 0}, ValueError, "n_iter_no_change"),
        ({"early_stopping": True, "tol": -1.0}, ValueError, "tol"),
    ],
)
def test_bad_toolkit_settings_are_named(digits, settings, error, match):
    X, y = digits
    with pytest.raises(error, match=match):
        MLPClassifier(**settings).fit(X[:50], y[:50])
