"""Gradient checks for the layers of Chapter 4 and for whole networks built from them.

Every ``*_backward`` is compared with centred finite differences
(:func:`mlmath.gradcheck.gradcheck` with ``dout=``), over shapes drawn by
hypothesis; whole networks are checked parameter by parameter.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmath.gradcheck import gradcheck
from mlmath.layers import (
    ACTIVATIONS,
    affine_backward,
    affine_forward,
    init_weights,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from mlmath.logistic import softmax_cross_entropy
from mlmath.network import (
    Activation,
    Dense,
    Layer,
    Sequential,
    output_loss,
    output_proba,
)
from mlmath.optim import SGD

TOL = 1e-7  # a correct gradient in float64 agrees to ~1e-9; a wrong one is off by O(1)
HYP = settings(max_examples=25, deadline=None, derandomize=True)

dims = st.integers(min_value=1, max_value=6)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values pushed at least 0.1 from 0, so ReLU's kink is never straddled."""
    z = rng.normal(size=shape)
    return np.sign(z) * (0.1 + np.abs(z))


# --------------------------------------------------------------------------- functional core


@HYP
@given(N=dims, D=dims, M=dims, seed=seeds)
def test_affine_backward_matches_finite_differences(N, D, M, seed):
    rng = np.random.default_rng(seed)
    X, W, b = rng.normal(size=(N, D)), rng.normal(size=(D, M)), rng.normal(size=M)
    dZ = rng.normal(size=(N, M))
    Z, cache = affine_forward(X, W, b)
    assert Z.shape == (N, M)
    dX, dW, db = affine_backward(dZ, cache)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    assert gradcheck(lambda x: affine_forward(x, W, b)[0], dX, X, dout=dZ) < TOL
    assert gradcheck(lambda w: affine_forward(X, w, b)[0], dW, W, dout=dZ) < TOL
    assert gradcheck(lambda v: affine_forward(X, W, v)[0], db, b, dout=dZ) < TOL


def test_affine_forward_is_the_matrix_product():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
    b = np.array([0.1, 0.2, 0.3])
    Z, _ = affine_forward(X, W, b)
    expected = [
        [sum(X[i, k] * W[k, j] for k in range(2)) + b[j] for j in range(3)] for i in range(2)
    ]
    np.testing.assert_allclose(Z, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("forward", "backward"),
    [
        (relu_forward, relu_backward),
        (sigmoid_forward, sigmoid_backward),
        (tanh_forward, tanh_backward),
    ],
    ids=["relu", "sigmoid", "tanh"],
)
@HYP
@given(shape=st.lists(dims, min_size=1, max_size=4).map(tuple), seed=seeds)
def test_activation_backward_matches_finite_differences(forward, backward, shape, seed):
    rng = np.random.default_rng(seed)
    Z = away_from_zero(rng, shape) * 2.0
    dA = rng.normal(size=shape)
    A, cache = forward(Z)
    assert A.shape == Z.shape
    dZ = backward(dA, cache)
    assert dZ.shape == Z.shape
    assert gradcheck(lambda z: forward(z)[0], dZ, Z, dout=dA) < TOL


def test_activation_names_are_the_books():
    assert set(ACTIVATIONS) == {"relu", "sigmoid", "tanh"}
    z = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["relu"][0](z)[0], [0.0, 0.5, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["tanh"][0](z)[0], np.tanh(z))
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"][0](z)[0], 1 / (1 + np.exp(-z)))


def test_sigmoid_does_not_overflow():
    A, cache = sigmoid_forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(A, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(sigmoid_backward(np.ones(3), cache), [0.0, 0.25, 0.0])


@HYP
@given(N=dims, C=st.integers(2, 6), seed=seeds)
def test_softmax_cross_entropy_gradient(N, C, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(N, C)) * 3
    y_index = rng.integers(0, C, size=N)
    loss, dZ = softmax_cross_entropy(Z, y_index)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    # the naive formula loses digits when P is near 1, hence the absolute tolerance
    np.testing.assert_allclose(
        loss, -np.mean(np.log(P[np.arange(N), y_index])), rtol=1e-10, atol=1e-14
    )
    assert gradcheck(lambda z: softmax_cross_entropy(z, y_index)[0], dZ, Z) < TOL


@HYP
@given(N=dims, seed=seeds)
def test_single_logit_output_is_the_logistic_unit(N, seed):
    """Two classes use one output z: p(class 1) = sigmoid(z), loss = binary cross-entropy."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(N, 1)) * 3
    y_index = rng.integers(0, 2, size=N)
    p = 1 / (1 + np.exp(-Z[:, 0]))
    np.testing.assert_allclose(output_proba(Z), np.column_stack([1 - p, p]), rtol=1e-12)
    loss, dZ = output_loss(Z, y_index)
    bce = -np.mean(y_index * np.log(p) + (1 - y_index) * np.log(1 - p))
    np.testing.assert_allclose(loss, bce, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dZ[:, 0], (p - y_index) / N, rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda z: output_loss(z, y_index)[0], dZ, Z) < TOL


# --------------------------------------------------------------------------- initialisation


@pytest.mark.parametrize("init", ["he", "xavier"])
def test_init_is_seeded_and_has_the_derived_variance(init):
    n_in, n_out = 400, 300
    W1 = init_weights(n_in, n_out, init=init, rng=np.random.default_rng(7))
    W2 = init_weights(n_in, n_out, init=init, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(W1, W2)
    target = 2.0 / n_in if init == "he" else 2.0 / (n_in + n_out)
    # 120 000 draws: the sample variance is within a few percent of the target
    assert abs(W1.var() / target - 1) < 0.03
    assert abs(W1.mean()) < 0.01


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match="init must be one of 'he', 'xavier'; got 'glorot'"):
        init_weights(2, 2, init="glorot", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="init must be one of"):
        Dense(2, 2, init="zeros", rng=0)


# --------------------------------------------------------------------------- layer classes


@HYP
@given(N=dims, D=dims, M=dims, seed=seeds)
def test_dense_layer_stores_gradients_in_place(N, D, M, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(D, M, rng=rng)
    layer.params["b"][...] = rng.normal(size=M)
    grad_W, grad_b = layer.grads["W"], layer.grads["b"]
    X, dZ = rng.normal(size=(N, D)), rng.normal(size=(N, M))
    Z = layer.forward(X)
    dX = layer.backward(dZ)
    assert layer.grads["W"] is grad_W and layer.grads["b"] is grad_b  # optimisers hold these
    np.testing.assert_allclose(Z, X @ layer.params["W"] + layer.params["b"])
    assert (
        gradcheck(
            lambda x: Dense.from_weights(layer.params["W"], layer.params["b"]).forward(x),
            dX,
            X,
            dout=dZ,
        )
        < TOL
    )
    W0 = layer.params["W"].copy()
    assert gradcheck(lambda w: X @ w + layer.params["b"], grad_W, W0, dout=dZ) < TOL
    b0 = layer.params["b"].copy()
    assert gradcheck(lambda v: X @ W0 + v, grad_b, b0, dout=dZ) < TOL


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_layer_matches_its_functions(name):
    rng = np.random.default_rng(3)
    Z, dA = away_from_zero(rng, (4, 5)), rng.normal(size=(4, 5))
    layer = Activation(name)
    A = layer.forward(Z)
    assert layer.params == {} and layer.grads == {}
    forward, backward = ACTIVATIONS[name]
    A_ref, cache = forward(Z)
    np.testing.assert_array_equal(A, A_ref)
    np.testing.assert_array_equal(layer.backward(dA), backward(dA, cache))
    assert gradcheck(lambda z: Activation(name).forward(z), layer.backward(dA), Z, dout=dA) < TOL


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="backward was called before forward"):
        Dense(2, 3, rng=0).backward(np.ones((1, 3)))


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="layer 1 is int"):
        Sequential([Dense(2, 2, rng=0), 3])


# --------------------------------------------------------------------------- whole networks


def network_gradcheck(net: Sequential, X: np.ndarray, y_index: np.ndarray) -> dict[str, float]:
    """Relative error of backprop against finite differences for every parameter and for X."""
    Z = net.forward(X)
    _, dZ = output_loss(Z, y_index)
    dX = net.backward(dZ)
    errors = {}
    for name, param, grad in net.parameters():
        analytic = grad.copy()

        def loss_at(value, param=param):
            saved = param.copy()
            param[...] = value
            loss = output_loss(net.forward(X), y_index)[0]
            param[...] = saved
            return loss

        errors[name] = gradcheck(loss_at, analytic, param.copy())
    errors["X"] = gradcheck(lambda x: output_loss(net.forward(x), y_index)[0], dX, X)
    return errors


@HYP
@given(
    N=st.integers(1, 5),
    D=st.integers(1, 4),
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    C=st.integers(1, 4),
    activation=st.sampled_from(["relu", "sigmoid", "tanh"]),
    seed=seeds,
)
def test_backprop_through_whole_networks(N, D, hidden, C, activation, seed):
    """The δ recursion of Chapter 4 gives every parameter's gradient (C=1: logistic output)."""
    rng = np.random.default_rng(seed)
    sizes = [D, *hidden, C]
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(n_in, n_out, init="xavier", rng=rng))
        layers[-1].params["b"][...] = rng.normal(scale=0.5, size=n_out)
        if i < len(sizes) - 2:
            layers.append(Activation(activation))
    net = Sequential(layers)
    X = rng.normal(size=(N, D))
    y_index = rng.integers(0, max(C, 2), size=N)
    if activation == "relu":
        # keep every pre-activation away from ReLU's kink, where differences are meaningless
        Z = X
        for layer in net:
            Z = layer.forward(Z)
            if isinstance(layer, Dense):
                small = np.abs(Z) < 1e-3
                if small.any():
                    return
    errors = network_gradcheck(net, X, y_index)
    assert max(errors.values()) < 1e-6, errors


def test_parameters_names_and_identity():
    net = Sequential([Dense(3, 4, rng=0), Activation("tanh"), Dense(4, 2, rng=1)])
    triples = net.parameters()
    assert [name for name, _, _ in triples] == ["0.W", "0.b", "2.W", "2.b"]
    assert triples[0][1] is net[0].params["W"] and triples[0][2] is net[0].grads["W"]
    assert len(net) == 3 and "Dense(3, 4)" in repr(net)


# --------------------------------------------------------------------------- optimisers


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Dense(0, 3, rng=0), "n_in must be >= 1, got 0"),
        (lambda: Activation("softplus"), "activation must be one of 'relu', 'sigmoid', 'tanh'"),
    ],
)
def test_bad_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_gradient_descent_with_the_derived_gradient_reduces_the_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y_index = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = Sequential([Dense(3, 8, rng=rng), Activation("tanh"), Dense(8, 1, rng=rng)])
    opt = SGD([p for _, p, _ in net.parameters()], learning_rate=0.5)
    first = output_loss(net.forward(X), y_index)[0]
    for _ in range(200):
        _, dZ = output_loss(net.forward(X), y_index)
        net.backward(dZ)
        opt.step([g for _, _, g in net.parameters()])
    assert output_loss(net.forward(X), y_index)[0] < 0.5 * first
