"""Tests for mlmath.cnn: convolutional layers in a Sequential, and CNNClassifier."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from mlmath import CNNClassifier, NotFittedError
from mlmath.cnn import AvgPool2D, Conv2D, Flatten, MaxPool2D
from mlmath.conv import conv2d_forward
from mlmath.gradcheck import gradcheck
from mlmath.network import Activation, Dense, Sequential, output_loss


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    # The matrices here are small: on a busy machine, BLAS threads that wait for each
    # other make training many times slower than one thread (results are identical).
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def digits_split():
    digits = load_digits()
    X = (digits.images / 16.0)[:, None, :, :]  # (N, 1, 8, 8), pixels in [0, 1]
    return train_test_split(
        X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
    )


def small_net(rng):
    return Sequential(
        [
            Conv2D(2, 3, 3, padding=1, rng=rng),
            Activation("tanh"),
            MaxPool2D(2),
            Conv2D(3, 4, (2, 3), stride=1, rng=rng),
            Activation("tanh"),
            AvgPool2D(2, stride=1),
            Flatten(),
            Dense(4 * 1 * 1, 3, rng=rng),
        ]
    )


def test_layers_compose_and_backprop_through_sequential():
    rng = np.random.default_rng(0)
    net = small_net(rng)
    X = rng.normal(size=(5, 2, 6, 8))
    y_index = np.array([0, 1, 2, 1, 0])
    Z = net.forward(X)
    assert Z.shape == (5, 3)
    _, dZ = output_loss(Z, y_index)
    dX = net.backward(dZ)

    def loss_of_X(v):
        return output_loss(net.forward(v), y_index)[0]

    assert gradcheck(loss_of_X, dX, X) < 1e-7
    # every parameter, conv filters and biases included, against finite differences
    for name, param, grad in net.parameters():
        analytic = grad.copy()

        def loss_of_param(v, param=param):
            saved = param.copy()
            param[...] = v
            loss = output_loss(net.forward(X), y_index)[0]
            param[...] = saved
            return loss

        assert gradcheck(loss_of_param, analytic, param.copy()) < 1e-7, name


def test_conv_layer_matches_functional_and_keeps_grad_arrays():
    rng = np.random.default_rng(1)
    layer = Conv2D(3, 4, 3, stride=2, padding=1, rng=rng)
    grads_before = {k: id(v) for k, v in layer.grads.items()}
    X = rng.normal(size=(2, 3, 7, 7))
    out = layer.forward(X)
    expected, _ = conv2d_forward(X, layer.params["W"], layer.params["b"], stride=2, padding=1)
    np.testing.assert_array_equal(out, expected)
    layer.backward(np.ones_like(out))
    assert {k: id(v) for k, v in layer.grads.items()} == grads_before  # updated in place
    assert layer.params["W"].shape == (4, 3, 3, 3)
    assert repr(layer) == "Conv2D(3, 4, (3, 3), stride=2, padding=1)"


def test_flatten_round_trip():
    X = np.arange(24.0).reshape(2, 3, 2, 2)
    layer = Flatten()
    out = layer.forward(X)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(layer.backward(out), X)


def test_digits_accuracy_with_defaults(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    clf = CNNClassifier().fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    assert accuracy >= 0.98, f"test accuracy {accuracy:.4f} < 0.98"
    assert len(clf.loss_curve_) == clf.max_iter
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(axis=1)])
    assert clf.n_features_in_ == 64
    assert clf.input_shape_ == (1, 8, 8)


def test_seeded_reproducibility(digits_split):
    X_train, X_test, y_train, _ = digits_split
    X_small, y_small = X_train[:300], y_train[:300]
    settings = {"filters": (4,), "hidden_layer_sizes": (), "max_iter": 2}
    a = CNNClassifier(**settings, random_state=3).fit(X_small, y_small)
    b = CNNClassifier(**settings, random_state=3).fit(X_small, y_small)
    c = CNNClassifier(**settings, random_state=4).fit(X_small, y_small)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    assert a.loss_curve_ != c.loss_curve_


def test_string_labels_and_two_classes():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 1, 6, 6))
    X[:20, :, :3] += 2.0  # class "top": bright upper half
    y = np.array(["top"] * 20 + ["bottom"] * 20)
    clf = CNNClassifier(
        filters=(4,), hidden_layer_sizes=(), pooling="avg", learning_rate=0.01, max_iter=30
    ).fit(X, y)
    assert clf.predict_proba(X).shape == (40, 2)
    assert set(clf.predict(X)) <= {"top", "bottom"}
    assert clf.score(X, y) >= 0.9


def test_repr_and_params():
    clf = CNNClassifier(filters=(8,), max_iter=3)
    assert repr(clf) == "CNNClassifier(filters=(8,), max_iter=3)"
    assert clf.get_params()["filters"] == (8,)


X_OK = np.zeros((4, 1, 8, 8))
Y_OK = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("settings", "X", "error", "match"),
    [
        ({}, np.zeros((4, 64)), ValueError, r"X has shape \(4, 64\).*input_shape=\(C, H, W\)"),
        ({}, np.zeros((4, 8, 8)), ValueError, r"X must be 2-D or 4-D.*X\[:, None\]"),
        ({"filters": ()}, X_OK, ValueError, "at least one convolutional layer"),
        ({"filters": (8, 0)}, X_OK, ValueError, "entry 1 is 0"),
        ({"filters": "16"}, X_OK, TypeError, "filters must be a tuple"),
        ({"kernel_size": 2}, X_OK, ValueError, "kernel_size must be odd"),
        ({"kernel_size": 0}, X_OK, ValueError, "kernel_size must be >= 1"),
        ({"pooling": "min"}, X_OK, ValueError, "pooling must be one of"),
        ({"learning_rate": -1.0}, X_OK, ValueError, "learning_rate must be > 0"),
        ({"solver": "lbfgs"}, X_OK, ValueError, "solver must be one of"),
        ({"activation": "gelu"}, X_OK, ValueError, "activation must be one of"),
        ({}, np.full((4, 1, 8, 8), np.nan), ValueError, "NaN"),
    ],
)
def test_bad_input(settings, X, error, match):
    with pytest.raises(error, match=match):
        CNNClassifier(**settings, max_iter=1).fit(X, Y_OK)


def test_predict_checks(digits_split):
    X_train, _, y_train, _ = digits_split
    with pytest.raises(NotFittedError, match="not fitted"):
        CNNClassifier().predict(X_train)
    clf = CNNClassifier(filters=(2,), hidden_layer_sizes=(), max_iter=1).fit(X_train, y_train)
    with pytest.raises(ValueError, match=r"shape \(1, 7, 7\).*\(1, 8, 8\)"):
        clf.predict(np.zeros((3, 1, 7, 7)))
    with pytest.raises(ValueError, match="channel mismatch"):
        clf.model_.forward(np.zeros((3, 2, 8, 8)))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Conv2D(0, 4), ValueError, "in_channels must be >= 1"),
        (lambda: Conv2D(1, 4, (3, 3, 3)), ValueError, "kernel_size must be an int or a pair"),
        (lambda: Conv2D(1, 4, stride=0), ValueError, "stride must be a positive"),
        (lambda: MaxPool2D(0), ValueError, "size must be >= 1"),
        (lambda: MaxPool2D(3).forward(np.zeros((1, 1, 2, 2))), ValueError, "does not fit"),
    ],
)
def test_layer_bad_input(make, error, match):
    with pytest.raises(error, match=match):
        make()


# --------------------------------------------------------------------------- rows and layouts


SMALL = {"filters": (4,), "hidden_layer_sizes": (), "max_iter": 2}


def test_flat_rows_with_input_shape_are_the_same_images(digits_split):
    X_train, X_test, y_train, _ = digits_split
    X_small, y_small = X_train[:300], y_train[:300]
    images = CNNClassifier(**SMALL).fit(X_small, y_small)
    rows = CNNClassifier(**SMALL, input_shape=(1, 8, 8)).fit(X_small.reshape(300, 64), y_small)
    assert rows.input_shape_ == (1, 8, 8) and rows.n_features_in_ == 64
    assert rows.loss_curve_ == images.loss_curve_  # the same network on the same numbers
    expected = images.predict_proba(X_test)
    np.testing.assert_array_equal(rows.predict_proba(X_test.reshape(-1, 64)), expected)
    # Either layout at predict time, whichever fit saw.
    np.testing.assert_array_equal(rows.predict_proba(X_test), expected)
    np.testing.assert_array_equal(images.predict_proba(X_test.reshape(-1, 64)), expected)
    with pytest.raises(ValueError, match="X has 63 features, but CNNClassifier is expecting 64"):
        rows.predict(np.zeros((2, 63)))


def test_minus_one_in_input_shape_is_worked_out():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 12)), np.tile([0, 1], 10)
    assert CNNClassifier(**SMALL, input_shape=(1, 1, -1)).fit(X, y).input_shape_ == (1, 1, 12)
    assert CNNClassifier(**SMALL, input_shape=(3, -1, 2)).fit(X, y).input_shape_ == (3, 2, 2)
    with pytest.raises(ValueError, match=r"12 features per sample.*needs a multiple of 5"):
        CNNClassifier(**SMALL, input_shape=(1, 5, -1)).fit(X, y)
    with pytest.raises(ValueError, match=r"input_shape=\(1, 3, 3\) needs C \* H \* W = 9"):
        CNNClassifier(**SMALL, input_shape=(1, 3, 3)).fit(X, y)


@pytest.mark.parametrize("shape", [(8, 8, 1), (28, 28, 3), (32, 48, 4)])
def test_channels_last_images_are_refused_with_the_expected_layout(shape):
    X, y = np.zeros((4, *shape)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"looks like channels-last.*X.transpose\(0, 3, 1, 2\)"):
        CNNClassifier(**SMALL).fit(X, y)


def test_a_real_channels_first_layout_can_be_confirmed():
    # 6 channels of 5x2 maps would look channels-last; input_shape says it is meant.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 6, 5, 2)), np.tile([0, 1], 4)
    clf = CNNClassifier(**SMALL, input_shape=(6, 5, 2)).fit(X, y)
    assert clf.input_shape_ == (6, 5, 2)
    with pytest.raises(ValueError, match=r"images of shape \(6, 5, 2\), but input_shape"):
        CNNClassifier(**SMALL, input_shape=(2, 5, 6)).fit(X, y)
    # channels first with few channels is never in doubt
    assert CNNClassifier(**SMALL).fit(rng.normal(size=(8, 3, 6, 6)), y).input_shape_ == (3, 6, 6)


def test_kernel_size_as_a_pair(digits_split):
    X_train, X_test, y_train, _ = digits_split
    clf = CNNClassifier(filters=(4, 4), kernel_size=(3, 5), hidden_layer_sizes=(), max_iter=1)
    clf.fit(X_train[:100], y_train[:100])
    convs = [layer for layer in clf.model_ if isinstance(layer, Conv2D)]
    assert [c.params["W"].shape[2:] for c in convs] == [(3, 5), (3, 5)]
    assert all(c.padding == 1 for c in convs)  # (min(3, 5) - 1) // 2
    # 8x8 -> conv 8x6 -> pool 4x3 -> conv 4x1 -> no pool (1 < 2): 4 filters of 4x1 maps
    assert clf.model_[-1].params["W"].shape == (4 * 4 * 1, 10)
    assert clf.predict(X_test).shape == (len(X_test),)
    square = CNNClassifier(filters=(4,), kernel_size=(3, 3), hidden_layer_sizes=(), max_iter=1)
    same = CNNClassifier(filters=(4,), kernel_size=3, hidden_layer_sizes=(), max_iter=1)
    np.testing.assert_array_equal(
        square.fit(X_train[:100], y_train[:100]).predict_proba(X_test),
        same.fit(X_train[:100], y_train[:100]).predict_proba(X_test),
    )
    too_long = CNNClassifier(filters=(4,), kernel_size=(1, 9), hidden_layer_sizes=(), max_iter=1)
    with pytest.raises(ValueError, match=r"kernel_size=\(1, 9\) does not fit the 8x8 maps"):
        too_long.fit(X_train[:100], y_train[:100])
