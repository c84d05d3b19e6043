"""MLPClassifier: parity with scikit-learn's forward pass, training, reproducibility, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from mlmath import DivergenceError, MLPClassifier, NotFittedError
from mlmath.gradcheck import gradcheck
from mlmath.network import (
    Activation,
    Dense,
    Sequential,
    loss_and_gradients,
    train_classifier,
)
from mlmath.optim import make_rule

SK_NAME = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh"}


def sklearn_net(X, y, hidden, activation, seed=0):
    """A scikit-learn MLP with some (briefly trained, then perturbed) weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        sk = SkMLPClassifier(
            hidden_layer_sizes=hidden, activation=SK_NAME[activation], max_iter=5, random_state=seed
        ).fit(X, y)
    rng = np.random.default_rng(seed)
    # larger, less tidy weights than a fresh initialisation exercise more of the forward pass
    sk.coefs_ = [W + rng.normal(scale=0.5, size=W.shape) for W in sk.coefs_]
    sk.intercepts_ = [b + rng.normal(scale=0.5, size=b.shape) for b in sk.intercepts_]
    return sk


# --------------------------------------------------------------------------- parity with sklearn


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("hidden", [(7,), (6, 4), (5, 4, 3)])
def test_forward_pass_equals_sklearn_for_identical_weights(n_classes, activation, hidden):
    X, y = make_classification(
        120, 6, n_informative=5, n_redundant=0, n_classes=n_classes, random_state=1
    )
    labels = np.array(["ant", "bee", "cat", "dog", "eel"])[y]  # any labels, not just 0..C-1
    sk = sklearn_net(X, labels, hidden, activation)
    ours = MLPClassifier.from_weights(sk.coefs_, sk.intercepts_, sk.classes_, activation=activation)
    P, P_sk = ours.predict_proba(X), sk.predict_proba(X)
    assert P.shape == P_sk.shape == (120, n_classes)
    np.testing.assert_allclose(P, P_sk, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    assert ours.score(X, labels) == pytest.approx(sk.score(X, labels), abs=0)


def test_binary_network_has_one_logistic_output_unit_like_sklearn():
    X, y = make_moons(80, noise=0.2, random_state=0)
    ours = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        sk = SkMLPClassifier(hidden_layer_sizes=(5,), max_iter=3).fit(X, y)
    assert [W.shape for W in ours.coefs_] == [W.shape for W in sk.coefs_] == [(2, 5), (5, 1)]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in sk.intercepts_]
    z = ours.decision_function(X)
    assert z.shape == (80,)
    np.testing.assert_allclose(ours.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_coefs_layout_matches_sklearn_for_multiclass():
    X, y = make_classification(90, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    ours = MLPClassifier(hidden_layer_sizes=(8, 6), max_iter=2).fit(X, y)
    assert [W.shape for W in ours.coefs_] == [(4, 8), (8, 6), (6, 3)]
    assert [b.shape for b in ours.intercepts_] == [(8,), (6,), (3,)]
    # round trip: a network rebuilt from the learned weights is the same function
    again = MLPClassifier.from_weights(ours.coefs_, ours.intercepts_, ours.classes_)
    np.testing.assert_array_equal(again.predict_proba(X), ours.predict_proba(X))


def test_no_hidden_layer_is_softmax_regression():
    X, y = make_classification(60, 3, n_informative=3, n_redundant=0, n_classes=3, random_state=2)
    model = MLPClassifier(hidden_layer_sizes=(), max_iter=5).fit(X, y)
    (W,), (b,) = model.coefs_, model.intercepts_
    Z = X @ W + b
    P = np.exp(Z - Z.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(X), P / P.sum(1, keepdims=True), rtol=1e-12)


# --------------------------------------------------------------------------- training


def test_penalised_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X, y_index = rng.normal(size=(7, 3)), rng.integers(0, 3, size=7)
    net = Sequential([Dense(3, 4, rng=rng), Activation("tanh"), Dense(4, 3, rng=rng)])
    alpha = 0.7
    loss_and_gradients(net, X, y_index, alpha)
    # copy every gradient first: each objective() call below overwrites grads
    analytic_grads = [grad.copy() for _, _, grad in net.parameters()]
    for (_, param, _), analytic in zip(net.parameters(), analytic_grads, strict=True):

        def objective(value, param=param):
            saved = param.copy()
            param[...] = value
            loss = loss_and_gradients(net, X, y_index, alpha)
            param[...] = saved
            return loss

        assert gradcheck(objective, analytic, param.copy()) < 1e-7


def test_seeded_training_is_reproducible_bit_for_bit():
    X, y = make_moons(150, noise=0.25, random_state=0)
    a = MLPClassifier(hidden_layer_sizes=(10, 10), max_iter=8, random_state=42).fit(X, y)
    b = MLPClassifier(hidden_layer_sizes=(10, 10), max_iter=8, random_state=42).fit(X, y)
    c = MLPClassifier(hidden_layer_sizes=(10, 10), max_iter=8, random_state=43).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
    assert a.loss_curve_ != c.loss_curve_
    gen = MLPClassifier(max_iter=3, random_state=np.random.default_rng(42)).fit(X, y)
    assert len(gen.loss_curve_) == 3


def test_loss_curve_counts_epochs_and_falls():
    X, y = make_moons(200, noise=0.2, random_state=1)
    model = MLPClassifier(hidden_layer_sizes=(16,), activation="tanh", max_iter=60).fit(X, y)
    assert len(model.loss_curve_) == model.n_iter_ == 60
    assert model.loss_ == model.loss_curve_[-1]
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize(
    ("solver", "eta"), [("sgd", 0.1), ("adam", 0.03), ("rmsprop", 0.01), ("adagrad", 0.1)]
)
def test_train_classifier_is_reusable_with_any_sequential(solver, eta):
    """The loop Chapter 5 reuses: any Sequential producing class scores."""
    X, y = make_moons(120, noise=0.1, random_state=0)
    rng = np.random.default_rng(0)
    net = Sequential([Dense(2, 16, rng=rng), Activation("relu"), Dense(16, 2, rng=rng)])
    params = [p for _, p, _ in net.parameters()]
    opt = make_rule(solver, params, eta, momentum=0.9 if solver == "sgd" else 0.0)
    curve = train_classifier(net, X, y, optimizer=opt, batch_size=16, n_epochs=30, rng=rng)
    assert len(curve) == 30 and curve[-1] < 0.3 * curve[0]


def test_digits_default_settings_reach_97_percent():
    """The chapter's claim: the defaults, with a seed, reach >= 97% on held-out digits."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16 scaled to [0, 1], as in Chapter 4
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = MLPClassifier(random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.97


def test_divergence_names_the_learning_rate():
    X, y = load_digits(return_X_y=True)
    with pytest.raises(DivergenceError, match=r"diverged .* learning_rate=100\b.*smaller"):
        MLPClassifier(learning_rate=100.0, max_iter=5).fit(X / 16, y)


def test_overflow_is_reported_as_divergence_not_nan():
    X, y = make_moons(64, random_state=0)
    with pytest.raises(DivergenceError, match="learning_rate=1e\\+30"):
        MLPClassifier(learning_rate=1e30, max_iter=5).fit(X * 1e3, y)


# --------------------------------------------------------------------------- estimator contract


def test_estimator_contract():
    model = MLPClassifier(hidden_layer_sizes=(4,), learning_rate=0.05)
    assert repr(model) == "MLPClassifier(hidden_layer_sizes=(4,), learning_rate=0.05)"
    assert model.get_params()["batch_size"] == 32
    assert model.set_params(max_iter=3) is model and model.max_iter == 3
    with pytest.raises(ValueError, match="has no setting 'epochs'"):
        model.set_params(epochs=3)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(model, method)(np.zeros((2, 2)))
    with pytest.raises(NotFittedError):
        _ = model.coefs_
    X, y = make_moons(40, random_state=0)
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 2 and list(model.classes_) == [0, 1]
    P = model.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


X_OK, Y_OK = make_moons(30, random_state=0)


@pytest.mark.parametrize(
    ("settings", "X", "y", "error", "match"),
    [
        ({"hidden_layer_sizes": (0,)}, X_OK, Y_OK, ValueError, r"positive integers.*entry 0 is 0"),
        ({"hidden_layer_sizes": (8, -2)}, X_OK, Y_OK, ValueError, r"entry 1 is -2"),
        ({"hidden_layer_sizes": (2.5,)}, X_OK, Y_OK, ValueError, r"entry 0 is 2.5"),
        ({"hidden_layer_sizes": "64"}, X_OK, Y_OK, TypeError, r"tuple of positive integers"),
        ({"hidden_layer_sizes": None}, X_OK, Y_OK, TypeError, r"tuple of positive integers"),
        ({"activation": "logistic"}, X_OK, Y_OK, ValueError, r"activation must be one of 'relu'"),
        ({"activation": "softmax"}, X_OK, Y_OK, ValueError, r"got 'softmax'"),
        ({"learning_rate": 0.0}, X_OK, Y_OK, ValueError, r"learning_rate must be > 0"),
        (
            {"learning_rate": float("nan")},
            X_OK,
            Y_OK,
            ValueError,
            r"learning_rate must be a number",
        ),
        ({"momentum": 1.0}, X_OK, Y_OK, ValueError, r"momentum must be < 1.0"),
        ({"batch_size": 0}, X_OK, Y_OK, ValueError, r"batch_size must be >= 1"),
        ({"max_iter": 2.0}, X_OK, Y_OK, TypeError, r"max_iter must be an integer"),
        ({"alpha": -1.0}, X_OK, Y_OK, ValueError, r"alpha must be >= 0"),
        ({"solver": "lbfgs"}, X_OK, Y_OK, ValueError, r"solver must be one of 'sgd', 'adam'"),
        ({"random_state": "seed"}, X_OK, Y_OK, TypeError, r"random_state must be"),
        ({}, X_OK, Y_OK[:20], ValueError, r"X has 30 rows but y has 20"),
        ({}, X_OK, np.zeros(30), ValueError, r"y has 1 class"),
        ({}, X_OK[:, 0], Y_OK, ValueError, r"X must be 2-D"),
        ({}, np.where(np.eye(30, 2) == 1, np.nan, X_OK), Y_OK, ValueError, r"X contains 2 NaN"),
        (
            {},
            np.where(np.eye(30, 2) == 1, np.inf, X_OK),
            Y_OK,
            ValueError,
            r"X contains 2 infinite",
        ),
        ({}, X_OK, np.r_[np.nan, Y_OK[1:]], ValueError, r"y contains 1 NaN"),
        ({}, X_OK, Y_OK + 0.5, ValueError, r"continuous values"),
        ({}, [["a", "b"]] * 30, Y_OK, TypeError, r"X must hold numbers"),
    ],
)
def test_bad_input_gives_a_clear_error(settings, X, y, error, match):
    with pytest.raises(error, match=match):
        MLPClassifier(**{"max_iter": 1, **settings}).fit(X, y)


def test_bad_input_after_fit():
    model = MLPClassifier(max_iter=1).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        model.predict_proba(np.array([[np.nan, 0.0]]))


@pytest.mark.parametrize(
    ("coefs", "intercepts", "classes", "match"),
    [
        (
            [np.ones((2, 3)), np.ones((4, 1))],
            [np.ones(3), np.ones(1)],
            [0, 1],
            "coefs\\[1\\] has 4 rows",
        ),
        ([np.ones((2, 3))], [np.ones(2)], [0, 1, 2], "b has 2 entries but W has 3 columns"),
        ([np.ones((2, 3))], [np.ones(3), np.ones(3)], [0, 1, 2], "one of each per layer"),
        ([np.ones((2, 3))], [np.ones(3)], [0, 1], "output layer has 3 units but there are 2"),
        ([np.ones((2, 1))], [np.ones(1)], [0], "at least 2 labels"),
        ([np.full((2, 2), np.nan)], [np.ones(2)], [0, 1, 2], "W contains 4 NaN"),
    ],
)
def test_from_weights_checks_shapes(coefs, intercepts, classes, match):
    with pytest.raises(ValueError, match=match):
        MLPClassifier.from_weights(coefs, intercepts, classes)


def test_from_weights_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLPClassifier.from_weights([np.ones((2, 1))], [np.ones(1)], [0, 1], activation="logistic")


def test_adam_solver_trains_the_mlp():
    X, y = make_moons(120, noise=0.1, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(16,), solver="adam", learning_rate=0.03, max_iter=40)
    assert model.fit(X, y).score(X, y) > 0.9


def test_no_progress_gives_a_convergence_warning():
    # Balanced labels and constant inputs: the starting logits (all 0) are already optimal,
    # the full-batch gradient is exactly zero, and the loss cannot fall.
    from mlmath import ConvergenceWarning

    X, y = np.zeros((8, 2)), np.tile([0, 1], 4)
    with pytest.warns(ConvergenceWarning, match=r"did not reduce the loss.*learning_rate=0\.1"):
        MLPClassifier(hidden_layer_sizes=(3,), batch_size=8, max_iter=3).fit(X, y)


@pytest.fixture(scope="module")
def digits01():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y  # pixels scaled to [0, 1]


def test_chance_level_training_warns_with_the_learning_rate_and_log_K(digits01):
    from mlmath import ConvergenceWarning

    X, y = digits01
    with pytest.warns(ConvergenceWarning, match="no better than chance") as record:
        model = MLPClassifier(learning_rate=1.0).fit(X, y)
    assert model.score(X, y) < 0.2  # what the warning is about: (near) chance accuracy
    msg = str(record[0].message)
    log_K = np.log(10)
    assert "with learning_rate=1. " in msg and "try a smaller learning_rate, e.g. 0.1" in msg
    assert f"log K = log 10 = {log_K:.4g}" in msg
    # The cross-entropy it quotes is the trained model's, on the training data.
    P = model.predict_proba(X)
    cross_entropy = -np.mean(np.log(P[np.arange(len(y)), np.searchsorted(model.classes_, y)]))
    assert f"cross-entropy is {cross_entropy:.4g}," in msg and cross_entropy >= log_K - 1e-3


def test_default_training_does_not_warn(digits01):
    X, y = digits01
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MLPClassifier().fit(X, y)
    assert model.score(X, y) > 0.99


def test_cnn_shares_the_chance_level_warning():
    # Constant images carry no information: the best the CNN can do is chance, log 3.
    from mlmath import CNNClassifier, ConvergenceWarning

    X, y = np.zeros((12, 1, 4, 4)), np.tile([0, 1, 2], 4)
    with pytest.warns(ConvergenceWarning, match=r"no better than chance.*log K = log 3 = 1\.099"):
        CNNClassifier(max_iter=2).fit(X, y)
