"""The float32 path (issue 20): every layer, convolution and optimiser keeps its input's dtype.

* the dtype setting of the two network estimators, its casts and its errors;
* every Layer subclass in mlmath (found by walking the package, so a layer
  added later is covered, or fails here until it is given an example input):
  float32 in, float32 out of forward and backward, parameters and state too;
* a whole training step in float32, every intermediate array recorded: no
  silent upcast to float64, in any layer, gradient or optimiser state;
* the functional core (conv, pooling, layers) on float32 and on integers;
* gradcheck refuses float32;
* accuracy in float32 within the seed-to-seed spread of float64 on digits;
* validation runs once per training run, not once per mini-batch.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import mlmath
from mlmath import conv, layers, network
from mlmath.blocks import BatchNorm2D, GlobalAvgPool2D, Residual
from mlmath.cnn import AvgPool2D, CNNClassifier, Conv2D, Flatten, MaxPool2D
from mlmath.gradcheck import gradcheck, numerical_gradient
from mlmath.network import (
    Activation,
    BatchNorm,
    Dense,
    Dropout,
    Layer,
    MLPClassifier,
    Sequential,
    loss_and_gradients,
    train_classifier,
)
from mlmath.optim import RULES, make_rule

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


# --------------------------------------------------------------------------- the setting


@pytest.mark.parametrize("dtype", [np.float32, "float32", np.dtype("float32")])
@pytest.mark.parametrize("Est", [MLPClassifier, CNNClassifier])
def test_float32_networks_compute_and_answer_in_float32(Est, dtype, digits):
    X, y = digits
    X = X[:300] if Est is MLPClassifier else X[:300].reshape(-1, 1, 8, 8)
    est = Est(max_iter=2, dtype=dtype).fit(X, y[:300])  # X is float64: fit casts it
    assert {p.dtype for _, p, _ in est.model_.parameters()} == {F32}
    assert est.model_.dtype == F32
    # predict_proba is in the network's dtype, for float64 and float32 input alike.
    for X_in in (X, X.astype(np.float32)):
        P = est.predict_proba(X_in)
        assert P.dtype == F32
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-6)
        assert est.decision_function(X_in).dtype == F32
        np.testing.assert_array_equal(est.predict(X_in), est.classes_[P.argmax(axis=1)])


@pytest.mark.parametrize("Est", [MLPClassifier, CNNClassifier])
def test_the_default_stays_float64_even_for_float32_input(Est, digits):
    X, y = digits
    X = X[:200] if Est is MLPClassifier else X[:200].reshape(-1, 1, 8, 8)
    est = Est(max_iter=1).fit(X.astype(np.float32), y[:200])
    assert est.model_.dtype == F64
    assert est.predict_proba(X.astype(np.float32)).dtype == F64
    assert est.get_params()["dtype"] is np.float64


@pytest.mark.parametrize("bad", ["float16", np.float16, int, "int32", None, "single-ish", 32])
@pytest.mark.parametrize("Est", [MLPClassifier, CNNClassifier])
def test_other_dtypes_are_refused_by_name(Est, bad, digits):
    X, y = digits
    X = X[:50] if Est is MLPClassifier else X[:50].reshape(-1, 1, 8, 8)
    est = Est(max_iter=1, dtype=bad)  # __init__ only stores it
    with pytest.raises(ValueError, match=r"dtype must be np\.float32 or np\.float64.*got"):
        est.fit(X, y[:50])


def test_float32_and_float64_start_from_the_same_weights():
    # init_weights draws in float64 and rounds: the same seed, the same start.
    W64 = layers.init_weights(5, 3, rng=np.random.default_rng(1))
    W32 = layers.init_weights(5, 3, rng=np.random.default_rng(1), dtype="float32")
    assert W32.dtype == F32
    np.testing.assert_array_equal(W32, W64.astype(np.float32))


# --------------------------------------------------------------------------- every layer

# An example of every public Layer subclass: a factory and the shape of an input batch.
# A layer added to mlmath without an entry here fails test_every_layer_has_an_example.
EXAMPLES = {
    "Dense": (lambda: Dense(6, 4, rng=0), (5, 6)),
    "Activation": (lambda: Activation("tanh"), (5, 6)),
    "Dropout": (lambda: Dropout(0.3, rng=0), (5, 6)),
    "BatchNorm": (lambda: BatchNorm(6), (5, 6)),
    "Conv2D": (lambda: Conv2D(2, 3, 3, padding=1, rng=0), (4, 2, 6, 6)),
    "MaxPool2D": (lambda: MaxPool2D(2), (4, 2, 6, 6)),
    "AvgPool2D": (lambda: AvgPool2D(2), (4, 2, 6, 6)),
    "Flatten": (lambda: Flatten(), (4, 2, 3, 3)),
    "Residual": (
        lambda: Residual(Sequential([Dense(6, 6, rng=0), Activation("relu"), Dense(6, 6, rng=1)])),
        (5, 6),
    ),
    "BatchNorm2D": (lambda: BatchNorm2D(2), (4, 2, 6, 6)),
    "GlobalAvgPool2D": (lambda: GlobalAvgPool2D(), (4, 2, 3, 3)),
}


def _layer_classes(private: bool = False) -> list[type]:
    """Every public (or also private) subclass of Layer in mlmath (modules imported first)."""
    for info in pkgutil.walk_packages(mlmath.__path__, "mlmath."):
        importlib.import_module(info.name)
    found, stack = set(), [Layer]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            public = not sub.__name__.startswith("_")
            if sub.__module__.startswith("mlmath.") and (public or private):
                found.add(sub)
    return sorted(found, key=lambda c: c.__name__)


def test_every_layer_has_an_example():
    names = {cls.__name__ for cls in _layer_classes()}
    assert names >= {"Dense", "Conv2D", "BatchNorm", "MaxPool2D"}  # the walk finds them
    missing = names - set(EXAMPLES)
    assert not missing, (
        f"no float32 example for {sorted(missing)}: add a factory and an input shape to "
        "EXAMPLES in tests/test_float32.py"
    )


def _floating_arrays(layer: Layer) -> dict[str, np.ndarray]:
    """Every floating array a layer keeps (params, grads, state), cache excluded."""
    out = {}
    for key, value in vars(layer).items():
        if key.startswith("_cache"):
            continue
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                out[f"{key}[{sub}]" if sub else key] = v
    return out


@pytest.mark.parametrize("cls", _layer_classes(), ids=lambda c: c.__name__)
def test_every_layer_keeps_float32_through_forward_and_backward(cls):
    if cls.__name__ not in EXAMPLES:
        pytest.skip("no example (test_every_layer_has_an_example fails)")
    factory, shape = EXAMPLES[cls.__name__]
    layer = factory().astype(np.float32)
    assert type(layer) is cls
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape).astype(np.float32)
    for training in (True, False):
        out = layer.forward(X, training=training)
        assert out.dtype == F32, f"{cls.__name__}.forward(training={training}) gave {out.dtype}"
        dX = layer.backward(np.ones_like(out))
        assert dX.dtype == F32, f"{cls.__name__}.backward gave {dX.dtype}"
        assert dX.shape == X.shape
    arrays = _floating_arrays(layer)
    assert all(v.dtype == F32 for v in arrays.values()), {k: v.dtype for k, v in arrays.items()}
    # and back: astype(float64) restores a float64 layer that computes in float64
    layer.astype("float64")
    assert all(v.dtype == F64 for v in _floating_arrays(layer).values())
    assert layer.forward(X.astype(np.float64)).dtype == F64


def test_astype_keeps_shared_arrays_shared():
    dense = Dense(3, 2, rng=0)
    dense.alias = dense.params["W"]  # e.g. a composite layer pointing at a child's weights
    dense.astype(np.float32)
    assert dense.alias is dense.params["W"] and dense.alias.dtype == F32


# --------------------------------------------------------------------------- a training step


def _record_dtypes(monkeypatch) -> list[tuple[str, np.dtype]]:
    """Wrap every layer's forward, backward and gradient store to record the dtypes they make."""
    seen: list[tuple[str, np.dtype]] = []
    for cls in _layer_classes(private=True):
        for name in ("forward", "backward"):
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def wrapped(self, *args, _f=original, _n=f"{cls.__name__}.{name}", **kw):
                out = _f(self, *args, **kw)
                seen.append((_n, out.dtype))
                return out

            monkeypatch.setattr(cls, name, wrapped)
    set_grad = Layer._set_grad

    def record_grad(self, name, value):
        # The gradient as computed, before it is stored: a float64 value would be
        # cast silently by the in-place store.
        seen.append((f"{type(self).__name__}.grad[{name}]", np.asarray(value).dtype))
        set_grad(self, name, value)

    monkeypatch.setattr(Layer, "_set_grad", record_grad)
    return seen


def _mlp(rng):
    return Sequential(
        [
            Dense(6, 8, rng=rng),
            BatchNorm(8),
            Activation("relu"),
            Dropout(0.2, rng=rng),
            Dense(8, 5, rng=rng),
            Activation("sigmoid"),
            Dense(5, 3, init="xavier", rng=rng),
        ]
    )


def _cnn(rng):
    return Sequential(
        [
            Conv2D(1, 3, 3, padding=1, rng=rng),
            Activation("tanh"),
            MaxPool2D(2),
            Conv2D(3, 4, 3, padding=1, rng=rng),
            Activation("relu"),
            AvgPool2D(2),
            Flatten(),
            Dense(4 * 2 * 2, 1, init="xavier", rng=rng),  # one logit: two classes
        ]
    )


@pytest.mark.parametrize("solver", [*sorted(RULES), "nesterov"])
@pytest.mark.parametrize(("build", "shape", "K"), [(_mlp, (12, 6), 3), (_cnn, (12, 1, 8, 8), 2)])
def test_a_whole_training_step_stays_float32(build, shape, K, solver, monkeypatch):
    rng = np.random.default_rng(0)
    model = build(rng).astype(np.float32)
    params = [p for _, p, _ in model.parameters()]
    if solver == "nesterov":
        opt = make_rule("sgd", params, 0.1, momentum=0.9, nesterov=True)
    else:
        opt = make_rule(solver, params, 0.01, momentum=0.9 if solver == "sgd" else 0.0)
    X = rng.normal(size=shape).astype(np.float32)
    y = rng.integers(0, K, size=shape[0])
    seen = _record_dtypes(monkeypatch)
    for _ in range(2):  # two steps: the optimisers' state is used, not only created
        loss = loss_and_gradients(model, X, y, alpha=0.1)
        opt.step([g for _, _, g in model.parameters()])
    assert np.isfinite(loss)
    assert seen, "nothing was recorded"
    upcast = sorted({name for name, dt in seen if dt != F32})
    assert not upcast, f"float64 appeared in {upcast}"
    for name, p, g in model.parameters():
        assert p.dtype == F32 and g.dtype == F32, name
    state = [
        (key, a)
        for key, value in vars(opt).items()
        if isinstance(value, list)
        for a in value
        if isinstance(a, np.ndarray)
    ]
    assert state  # every rule here keeps some (SGD its momentum buffers)
    assert all(a.dtype == F32 for _, a in state), [(k, a.dtype) for k, a in state]
    for layer in model:
        assert all(v.dtype == F32 for v in _floating_arrays(layer).values()), layer


def test_train_classifier_casts_X_once_to_the_model_dtype():
    rng = np.random.default_rng(0)
    model = _mlp(rng).astype(np.float32)
    opt = make_rule("adam", [p for _, p, _ in model.parameters()], 0.01)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)  # float64 X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_classifier(model, X, y, optimizer=opt, batch_size=8, n_epochs=2, rng=rng)
    assert model.dtype == F32 and all(p.dtype == F32 for _, p, _ in model.parameters())


# --------------------------------------------------------------------------- functional core


def _functional_cases(dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 2, 5, 5)).astype(dtype)
    w = rng.normal(size=(3, 2, 3, 3)).astype(dtype)
    b = rng.normal(size=3).astype(dtype)
    X, W, bd = (rng.normal(size=s).astype(dtype) for s in [(4, 3), (3, 2), (2,)])
    return {
        "conv2d": (conv.conv2d_forward, (x, w, b, 1, 1), conv.conv2d_backward),
        "conv2d stride 2": (conv.conv2d_forward, (x, w, b, 2, 0), conv.conv2d_backward),
        "maxpool2d": (conv.maxpool2d_forward, (x, 2, 1), conv.maxpool2d_backward),
        "avgpool2d": (conv.avgpool2d_forward, (x, 2, 2), conv.avgpool2d_backward),
        "affine": (layers.affine_forward, (X, W, bd), layers.affine_backward),
        "relu": (layers.relu_forward, (X,), layers.relu_backward),
        "sigmoid": (layers.sigmoid_forward, (X,), layers.sigmoid_backward),
        "tanh": (layers.tanh_forward, (X,), layers.tanh_backward),
        "dropout": (
            lambda v: layers.dropout_forward(v, 0.5, np.random.default_rng(0)),
            (X,),
            layers.dropout_backward,
        ),
        "batchnorm": (
            layers.batchnorm_forward,
            (X, np.ones(3, dtype), np.zeros(3, dtype)),
            layers.batchnorm_backward,
        ),
    }


@pytest.mark.parametrize("case", sorted(_functional_cases(np.float32)))
def test_functional_pairs_keep_float32_and_agree_with_float64(case):
    f32, args32, back = _functional_cases(np.float32)[case]
    _, args64, _ = _functional_cases(np.float64)[case]
    out32, cache32 = f32(*args32)
    out64, cache64 = f32(*args64)
    assert out32.dtype == F32 and out64.dtype == F64
    dout = np.random.default_rng(4).normal(size=out64.shape)
    grads32 = back(dout.astype(np.float32), cache32)
    grads64 = back(dout, cache64)
    grads32 = grads32 if isinstance(grads32, tuple) else (grads32,)
    grads64 = grads64 if isinstance(grads64, tuple) else (grads64,)
    for g32, g64 in zip((out32, *grads32), (out64, *grads64), strict=True):
        assert g32.dtype == F32
        # float32 keeps ~7 digits; these small sums lose at most a few more
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


def test_im2col_col2im_and_naive_conv_keep_float32():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 5, 5)).astype(np.float32)
    w = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    b = np.zeros(4, np.float32)
    cols = conv.im2col(x, 3, 3, 1, 1)
    assert cols.dtype == F32
    assert conv.col2im(cols, x.shape, 3, 3, 1, 1).dtype == F32
    naive = conv.conv2d_naive(x, w, b, 1, 1)
    assert naive.dtype == F32
    np.testing.assert_allclose(naive, conv.conv2d_forward(x, w, b, 1, 1)[0], rtol=1e-4, atol=1e-5)


def test_integer_input_still_becomes_float64():
    x = np.arange(2 * 1 * 4 * 4).reshape(2, 1, 4, 4)
    w = np.ones((2, 1, 3, 3), dtype=int)
    assert conv.conv2d_forward(x, w, np.zeros(2, dtype=int))[0].dtype == F64
    assert conv.maxpool2d_forward(x)[0].dtype == F64
    assert layers.relu_forward(np.arange(4))[0].dtype == F64
    assert (
        layers.affine_forward(np.ones((2, 3), int), np.ones((3, 2), int), np.zeros(2, int))[0].dtype
        == F64
    )
    assert MaxPool2D(2).forward(x).dtype == F64


# --------------------------------------------------------------------------- gradcheck


def test_gradcheck_refuses_float32_and_checks_the_same_code_in_float64():
    x32 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)

    def f(v):
        return float(np.sum(np.tanh(v)))

    def g(v):
        return 1.0 - np.tanh(v) ** 2

    with pytest.raises(ValueError, match=r"x is float32; gradcheck runs in float64"):
        gradcheck(f, g, x32)
    with pytest.raises(ValueError, match=r"the analytic gradient is float32"):
        gradcheck(f, g(x32), x32.astype(np.float64))
    with pytest.raises(ValueError, match=r"f\(x\) is float32"):
        numerical_gradient(lambda v: np.sum(np.tanh(v.astype(np.float32))), x32.astype(float))
    with pytest.raises(ValueError, match=r"dout is float32"):
        numerical_gradient(np.tanh, x32.astype(float), dout=np.ones((3, 4), np.float32))
    # The policy's reason, measured: the same correct gradient, differenced in float32,
    # looks wrong (relative error far above the 1e-7 of float64).
    x64 = x32.astype(np.float64)
    assert gradcheck(f, g, x64) < 1e-8
    h = 1e-5
    e = np.zeros_like(x32)
    e[0, 0] = h
    g32 = (np.sum(np.tanh(x32 + e)) - np.sum(np.tanh(x32 - e))) / np.float32(2 * h)
    assert abs(float(g32) - g(x64)[0, 0]) / abs(g(x64)[0, 0]) > 1e-3
    # A float32 layer is checked by casting it back: its code is the same in float64.
    layer = Dense(4, 2, rng=0).astype(np.float32).astype(np.float64)
    dout = np.ones((3, 2))
    layer.forward(x64)
    dX = layer.backward(dout)
    assert gradcheck(lambda v: layer.forward(v), dX, x64, dout=dout) < 1e-8


# --------------------------------------------------------------------------- accuracy


def _accuracies(Est, settings, X, y, seeds):
    rng = np.random.default_rng(0)
    test = rng.permutation(len(y))[: len(y) // 3]
    train = np.setdiff1d(np.arange(len(y)), test)
    acc = {F32: [], F64: []}
    for seed in seeds:
        for dtype in acc:
            est = Est(random_state=seed, dtype=dtype, **settings).fit(X[train], y[train])
            acc[dtype].append(est.score(X[test], y[test]))
    return np.array(acc[F32]), np.array(acc[F64]), len(test)


@pytest.mark.parametrize(
    ("Est", "settings", "seeds"),
    [
        (MLPClassifier, {"hidden_layer_sizes": (32,), "max_iter": 5}, range(6)),
        (CNNClassifier, {"filters": (8,), "hidden_layer_sizes": (32,), "max_iter": 2}, range(3)),
    ],
    ids=["MLP", "CNN"],
)
def test_float32_accuracy_is_within_the_seed_to_seed_spread(Est, settings, seeds, digits):
    X, y = digits
    if Est is CNNClassifier:
        X = X.reshape(-1, 1, 8, 8)
    acc32, acc64, n_test = _accuracies(Est, settings, X, y, seeds)
    n = len(acc64)
    spread = float(np.std(acc64, ddof=1))  # seed-to-seed standard deviation in float64
    # If float32 were no worse than drawing other seeds, mean32 - mean64 would be a
    # difference of two means of n runs, with standard deviation sqrt(2 / n) * spread;
    # 3 of those covers it with > 99% probability. One test sample (1 / n_test) is added
    # so that a spread of 0 (every seed equally good) does not demand bit-equal accuracy.
    bound = 3.0 * np.sqrt(2.0 / n) * spread + 1.0 / n_test
    gap = abs(float(acc32.mean() - acc64.mean()))
    assert gap <= bound, (acc32.round(4).tolist(), acc64.round(4).tolist(), bound)
    assert acc32.min() > 0.8  # and it learns (chance is 0.1)


# --------------------------------------------------------------------------- validation once


def test_training_validates_once_not_once_per_batch(monkeypatch):
    """The label and array checks run a fixed number of times, whatever the number of batches."""
    counts = {}

    def counting(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(network, "_check_class_index")
    counting(network, "check_array")
    counting(network, "check_consistent_length")
    counting(network, "output_loss")
    counting(conv, "check_array")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 1, 4, 4)), rng.integers(0, 3, size=64)
    runs = {}
    for batch_size in (64, 4):  # 1 batch per epoch, then 16
        counts.clear()
        model = Sequential([Conv2D(1, 2, 3, padding=1, rng=0), MaxPool2D(2), Flatten()])
        model.layers.append(Dense(8, 3, rng=0))
        opt = make_rule("adam", [p for _, p, _ in model.parameters()], 0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train_classifier(model, X, y, optimizer=opt, batch_size=batch_size, n_epochs=2, rng=rng)
        runs[batch_size] = dict(counts)
    assert runs[64] == runs[4], runs
    assert runs[4].get("_check_class_index") == 1
    assert "output_loss" not in runs[4]  # the batches use the unchecked _output_loss


def test_the_public_functions_still_validate_every_call():
    Z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"y_index must lie in 0\.\.2"):
        network.output_loss(Z, [0, 3])
    with pytest.raises(ValueError, match=r"Z contains 1 NaN"):
        network.output_loss(np.array([[0.0, np.nan, 1.0]]), [0])
    model = Sequential([Dense(3, 3, rng=0)])
    with pytest.raises(ValueError, match=r"y_index must lie in 0\.\.2"):
        loss_and_gradients(model, np.ones((2, 3)), [0, 5])
    opt = make_rule("sgd", [p for _, p, _ in model.parameters()], 0.1)
    with pytest.raises(ValueError, match=r"y_index must lie in 0\.\.2"):
        train_classifier(
            model, np.ones((4, 3)), [0, 1, 2, 3], optimizer=opt, batch_size=2, n_epochs=1,
            rng=np.random.default_rng(0),
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"X has 4 rows but y_index has 3"):
        train_classifier(
            model, np.ones((4, 3)), [0, 1, 2], optimizer=opt, batch_size=2, n_epochs=1,
            rng=np.random.default_rng(0),
        )  # fmt: skip


def test_random_shift_keeps_the_floating_dtype():
    from mlmath.augment import random_shift

    X = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
    assert random_shift(X, 1, rng=np.random.default_rng(0)).dtype == np.float32
    ints = random_shift(X.astype(np.int64), 1, rng=np.random.default_rng(0))
    assert ints.dtype == np.float64


def test_augmented_cnn_trains_in_float32():
    X = np.random.default_rng(0).normal(size=(24, 1, 6, 6))
    y = np.arange(24) % 2
    model = CNNClassifier(
        filters=(2,), hidden_layer_sizes=(4,), max_iter=2, shift_augment=1, dtype=np.float32
    ).fit(X, y)
    assert {p.dtype for _, p, _ in model.model_.parameters()} == {np.dtype(np.float32)}
    assert model.predict_proba(X).dtype == np.float32
