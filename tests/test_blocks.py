"""Tests for mlmath.blocks (Residual, BatchNorm2D, GlobalAvgPool2D) and mlmath.augment."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from mlmath import BatchNorm2D, CNNClassifier, GlobalAvgPool2D, Residual, random_shift
from mlmath.cnn import Conv2D, Flatten
from mlmath.gradcheck import gradcheck
from mlmath.network import (
    Activation,
    BatchNorm,
    Dense,
    Sequential,
    loss_and_gradients,
    train_classifier,
)
from mlmath.optim import SGD


def check_every_gradient(layer_or_net, X, rng, training=True):
    """gradcheck of L = sum(out * dout) with respect to X and every parameter."""
    out = layer_or_net.forward(X, training=training)
    dout = rng.normal(size=out.shape)
    dX = layer_or_net.backward(dout)

    def loss(v):
        return float(np.sum(layer_or_net.forward(v, training=training) * dout))

    errors = {"X": gradcheck(loss, dX, X)}
    params = layer_or_net.params if hasattr(layer_or_net, "params") else None
    triples = (
        [(k, p, layer_or_net.grads[k]) for k, p in params.items()]
        if params is not None
        else layer_or_net.parameters()
    )
    for name, param, grad in triples:
        analytic = grad.copy()

        def loss_of_param(v, param=param):
            saved = param.copy()
            param[...] = v
            value = float(np.sum(layer_or_net.forward(X, training=training) * dout))
            param[...] = saved
            return value

        errors[name] = gradcheck(loss_of_param, analytic, param.copy())
    return errors


# --------------------------------------------------------------------------- Residual


def test_residual_dense_block_gradchecks():
    rng = np.random.default_rng(0)
    block = Sequential([Dense(4, 5, rng=rng), Activation("relu"), Dense(5, 4, rng=rng)])
    res = Residual(block)
    X = rng.normal(size=(6, 4))
    errors = check_every_gradient(res, X, rng)
    assert set(errors) == {"X", "0.W", "0.b", "2.W", "2.b"}
    assert max(errors.values()) < 1e-7, errors


def test_residual_conv_block_gradchecks():
    rng = np.random.default_rng(1)
    block = Sequential(
        [
            Conv2D(2, 3, 3, padding=1, rng=rng),
            Activation("tanh"),
            Conv2D(3, 2, 3, padding=1, rng=rng),
        ]
    )
    X = rng.normal(size=(2, 2, 5, 5))
    errors = check_every_gradient(Residual(block), X, rng)
    assert max(errors.values()) < 1e-7, errors
    # a single Layer is a block too
    errors = check_every_gradient(Residual(Conv2D(2, 2, 3, padding=1, rng=rng)), X, rng)
    assert set(errors) == {"X", "W", "b"} and max(errors.values()) < 1e-7, errors


def test_residual_is_identity_plus_block_and_shares_the_arrays():
    rng = np.random.default_rng(2)
    block = Sequential([Dense(3, 3, rng=rng), Activation("tanh")])
    res = Residual(block)
    X = rng.normal(size=(4, 3))
    np.testing.assert_allclose(res.forward(X), X + block.forward(X))
    # the very same arrays: an optimiser on the outer network updates the block
    assert res.params["0.W"] is block[0].params["W"]
    assert res.grads["0.W"] is block[0].grads["W"]
    dout = rng.normal(size=(4, 3))
    np.testing.assert_allclose(res.backward(dout), dout + block.backward(dout))


def test_residual_names_nest_and_weight_decay_and_optimiser_see_them():
    rng = np.random.default_rng(3)
    inner = Sequential([Dense(3, 3, rng=rng), Activation("relu"), Dense(3, 3, rng=rng)])
    net = Sequential(
        [Dense(2, 3, rng=rng), Activation("relu"), Residual(inner), Dense(3, 2, rng=rng)]
    )
    names = [name for name, _, _ in net.parameters()]
    assert names == ["0.W", "0.b", "2.0.W", "2.0.b", "2.2.W", "2.2.b", "3.W", "3.b"]
    X = rng.normal(size=(5, 2))
    y = np.array([0, 1, 0, 1, 1])
    loss_and_gradients(net, X, y, alpha=0.0)
    g0 = inner[0].grads["W"].copy()
    loss_and_gradients(net, X, y, alpha=2.0)
    # the L2 penalty reaches the weights inside the residual block: dW += alpha W / n
    np.testing.assert_allclose(inner[0].grads["W"] - g0, 2.0 * inner[0].params["W"] / 5)
    before = inner[2].params["W"].copy()
    opt = SGD([p for _, p, _ in net.parameters()], 0.1)
    opt.step([g for _, _, g in net.parameters()])
    assert not np.allclose(inner[2].params["W"], before)


def test_a_copied_residual_network_keeps_its_arrays_shared():
    # Early stopping keeps copy.deepcopy(model): the copy's Residual must still expose the
    # copied block's own arrays, or an optimiser on the copy would update nothing.
    rng = np.random.default_rng(13)
    net = Sequential([Residual(Sequential([Dense(3, 3, rng=rng), Activation("relu")]))])
    twin = copy.deepcopy(net)
    res = twin[0]
    assert res.params["0.W"] is res.block[0].params["W"]
    assert res.grads["0.W"] is res.block[0].grads["W"]
    assert res.params["0.W"] is not net[0].params["0.W"]
    np.testing.assert_array_equal(res.params["0.W"], net[0].params["0.W"])


def test_residual_refuses_shape_changing_block():
    res = Residual(Dense(3, 4, rng=0))
    with pytest.raises(ValueError, match=r"maps X of shape \(2, 3\) to shape \(2, 4\)"):
        res.forward(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"block must be a .*got list"):
        Residual([Dense(3, 3, rng=0)])


def test_deep_residual_stack_keeps_the_input_gradient():
    # dy/dx = I + dF/dx: with tiny blocks the gradient reaches the input almost unchanged,
    # while a plain stack of the same blocks multiplies it away.
    rng = np.random.default_rng(4)
    blocks = [Dense(6, 6, rng=rng) for _ in range(20)]
    for b in blocks:
        b.params["W"] *= 0.05
    plain = Sequential(blocks)
    res = Sequential([Residual(b) for b in blocks])
    X = rng.normal(size=(3, 6))
    dout = rng.normal(size=(3, 6))
    plain.forward(X)
    res.forward(X)
    g_plain = np.linalg.norm(plain.backward(dout))
    g_res = np.linalg.norm(res.backward(dout))
    assert g_plain < 1e-10 * np.linalg.norm(dout)
    assert 0.5 < g_res / np.linalg.norm(dout) < 2.0


# --------------------------------------------------------------------------- BatchNorm2D


def test_batchnorm2d_gradchecks_in_training_mode():
    rng = np.random.default_rng(5)
    bn = BatchNorm2D(3)
    bn.params["gamma"][...] = rng.normal(size=3)
    bn.params["beta"][...] = rng.normal(size=3)
    X = rng.normal(size=(4, 3, 3, 2)) * 2 + 1
    errors = check_every_gradient(bn, X, rng)
    assert set(errors) == {"X", "gamma", "beta"}
    assert max(errors.values()) < 1e-7, errors


def test_batchnorm2d_equals_batchnorm_on_rows():
    rng = np.random.default_rng(6)
    N, C, H, W = 3, 4, 5, 2
    X = rng.normal(size=(N, C, H, W)) * 3 - 1
    bn2, bn = BatchNorm2D(C), BatchNorm(C)
    for layer in (bn2, bn):
        layer.params["gamma"][...] = np.arange(1.0, C + 1)
        layer.params["beta"][...] = -np.arange(C)
    rows = X.transpose(0, 2, 3, 1).reshape(-1, C)
    for training in (True, False):
        out2 = bn2.forward(X, training=training)
        out = bn.forward(rows, training=training)
        np.testing.assert_allclose(out2.transpose(0, 2, 3, 1).reshape(-1, C), out)
        dout = rng.normal(size=X.shape)
        dX2 = bn2.backward(dout)
        dX = bn.backward(dout.transpose(0, 2, 3, 1).reshape(-1, C))
        np.testing.assert_allclose(dX2.transpose(0, 2, 3, 1).reshape(-1, C), dX)
        np.testing.assert_allclose(bn2.grads["gamma"], bn.grads["gamma"])
        np.testing.assert_allclose(bn2.running_mean, bn.running_mean)
        np.testing.assert_allclose(bn2.running_var, bn.running_var)
    # training mode: each channel has mean beta and standard deviation |gamma| over N*H*W
    out = bn2.forward(X, training=True)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), bn2.params["beta"], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), bn2.params["gamma"], rtol=1e-4)


def test_batchnorm2d_inference_uses_running_statistics():
    rng = np.random.default_rng(7)
    bn = BatchNorm2D(2, momentum=0.5)
    X1 = rng.normal(size=(4, 2, 3, 3)) + np.array([1.0, -2.0])[None, :, None, None]
    X2 = 3 * rng.normal(size=(4, 2, 3, 3))
    bn.forward(X1)
    bn.forward(X2)
    m1, m2 = X1.mean(axis=(0, 2, 3)), X2.mean(axis=(0, 2, 3))
    v1, v2 = X1.var(axis=(0, 2, 3)), X2.var(axis=(0, 2, 3))
    np.testing.assert_allclose(bn.running_mean, 0.5 * (0.5 * m1) + 0.5 * m2)
    np.testing.assert_allclose(bn.running_var, 0.5 * (0.5 * 1 + 0.5 * v1) + 0.5 * v2)
    x = rng.normal(size=(1, 2, 3, 3))
    expected = (x - bn.running_mean[None, :, None, None]) / np.sqrt(
        bn.running_var[None, :, None, None] + bn.eps
    )
    np.testing.assert_allclose(bn.forward(x, training=False), expected)
    # inference mode does not depend on the rest of the batch
    both = np.concatenate([x, X2[:1]])
    np.testing.assert_allclose(bn.forward(both, training=False)[:1], expected)
    errors = check_every_gradient(bn, both, rng, training=False)
    assert max(errors.values()) < 1e-7, errors


def test_batchnorm2d_refuses_wrong_shapes():
    bn = BatchNorm2D(3)
    with pytest.raises(ValueError, match=r"channel mismatch: X has shape \(2, 1, 4, 4\) with C=1"):
        bn.forward(np.ones((2, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), but X has shape \(2, 3\)"):
        bn.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"n_channels must be >= 1, got 0"):
        BatchNorm2D(0)


# --------------------------------------------------------------------------- GlobalAvgPool2D


def test_global_avg_pool_forward_backward():
    rng = np.random.default_rng(8)
    gap = GlobalAvgPool2D()
    X = rng.normal(size=(3, 4, 5, 2))
    np.testing.assert_allclose(gap.forward(X), X.reshape(3, 4, -1).mean(axis=2))
    errors = check_every_gradient(gap, X, rng)
    assert errors["X"] < 1e-7
    with pytest.raises(ValueError, match=r"dout has shape \(3, 5\).*\(3, 4\)"):
        gap.backward(np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), but X has shape \(4, 5, 2\)"):
        gap.forward(np.ones((4, 5, 2)))


# --------------------------------------------------------------------------- random_shift


def test_random_shift_is_deterministic_bounded_and_zero_filled():
    rng = np.random.default_rng(9)
    X = rng.uniform(0.5, 1.0, size=(200, 2, 6, 7))  # no zeros inside the images
    a, off = random_shift(X, 2, rng=3, return_offsets=True)
    b = random_shift(X, 2, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert off.shape == (200, 2) and off.min() == -2 and off.max() == 2
    # every one of the 25 offsets occurs in 200 draws
    assert len({tuple(o) for o in off}) == 25
    for n in range(X.shape[0]):
        d, e = off[n]
        # the image moved down d rows and right e columns; what came in is zero
        src = X[n, :, max(0, -d) : 6 - max(0, d), max(0, -e) : 7 - max(0, e)]
        dst = a[n, :, max(0, d) : 6 - max(0, -d), max(0, e) : 7 - max(0, -e)]
        np.testing.assert_array_equal(dst, src)
        assert np.count_nonzero(a[n]) == src.size
    assert not np.array_equal(random_shift(X, 2, rng=4), a)


def test_random_shift_zero_is_identity_and_input_is_untouched():
    X = np.random.default_rng(10).normal(size=(5, 1, 4, 4))
    saved = X.copy()
    out = random_shift(X, 0, rng=0)
    np.testing.assert_array_equal(out, X)
    assert out is not X
    random_shift(X, 1, rng=0)
    np.testing.assert_array_equal(X, saved)


def test_random_shift_refuses_bad_input():
    X = np.ones((2, 1, 4, 4))
    with pytest.raises(TypeError, match=r"max_shift must be an integer, got 1.5"):
        random_shift(X, 1.5, rng=0)
    with pytest.raises(ValueError, match=r"max_shift must be >= 0, got -1"):
        random_shift(X, -1, rng=0)
    with pytest.raises(ValueError, match=r"X must be 4-D"):
        random_shift(np.ones((4, 4)), 1, rng=0)


# --------------------------------------------------------------------------- the augment hook


def tiny_net(rng):
    return Sequential([Flatten(), Dense(16, 2, rng=rng)])


# random labels: these tests are about the mechanics, not about learning
@pytest.mark.filterwarnings("ignore::mlmath.ConvergenceWarning")
def test_train_classifier_applies_augment_to_every_batch():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(10, 1, 4, 4))
    y = np.array([0, 1] * 5)
    seen = []

    def augment(X_batch, r):
        seen.append(X_batch.shape[0])
        return random_shift(X_batch, 1, rng=r)

    net = tiny_net(np.random.default_rng(0))
    opt = SGD([p for _, p, _ in net.parameters()], 0.01)
    saved = X.copy()
    train_classifier(net, X, y, optimizer=opt, batch_size=4, n_epochs=2,
                     rng=np.random.default_rng(1), augment=augment)  # fmt: skip
    assert seen == [4, 4, 2, 4, 4, 2]
    np.testing.assert_array_equal(X, saved)

    def run(aug):
        net = tiny_net(np.random.default_rng(0))
        opt = SGD([p for _, p, _ in net.parameters()], 0.01)
        train_classifier(net, X, y, optimizer=opt, batch_size=4, n_epochs=2,
                         rng=np.random.default_rng(1), augment=aug)  # fmt: skip
        return net[1].params["W"].copy()

    # same seed, same run; augmentation changes the run
    np.testing.assert_array_equal(run(augment), run(augment))
    assert not np.allclose(run(augment), run(None))


def test_train_classifier_checks_augment():
    X = np.zeros((4, 1, 4, 4))
    y = np.array([0, 1, 0, 1])
    net = tiny_net(np.random.default_rng(0))
    opt = SGD([p for _, p, _ in net.parameters()], 0.01)
    kwargs = dict(optimizer=opt, batch_size=2, n_epochs=1, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"augment must be a function, got int"):
        train_classifier(net, X, y, augment=3, **kwargs)
    with pytest.raises(ValueError, match=r"augment must return an array of the batch's shape"):
        train_classifier(net, X, y, augment=lambda Xb, r: Xb[:, :, :2], **kwargs)


@pytest.mark.filterwarnings("ignore::mlmath.ConvergenceWarning")
def test_cnn_shift_augment_setting():
    rng = np.random.default_rng(12)
    X = rng.uniform(size=(40, 1, 6, 6))
    y = np.arange(40) % 2
    settings = dict(filters=(2,), hidden_layer_sizes=(), max_iter=2, random_state=0)
    plain = CNNClassifier(**settings).fit(X, y)
    again = CNNClassifier(shift_augment=0, **settings).fit(X, y)
    shifted = CNNClassifier(shift_augment=1, **settings).fit(X, y)
    np.testing.assert_array_equal(plain.model_[0].params["W"], again.model_[0].params["W"])
    assert not np.allclose(plain.model_[0].params["W"], shifted.model_[0].params["W"])
    assert CNNClassifier(shift_augment=1).get_params()["shift_augment"] == 1
    with pytest.raises(ValueError, match=r"shift_augment must be >= 0, got -1"):
        CNNClassifier(shift_augment=-1, **settings).fit(X, y)
    with pytest.raises(TypeError, match=r"shift_augment must be an integer, got 0.5"):
        CNNClassifier(shift_augment=0.5, **settings).fit(X, y)
