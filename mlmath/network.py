"""Neural networks from the layers of :mod:`mlmath.layers`: thin classes on a functional core.

Chapter 4 builds a multilayer perceptron from these pieces; Chapter 5 adds
convolution and pooling layers to the same container. The contract every
layer, optimiser and estimator here shares:

``Layer``
    ``params: dict[str, ndarray]`` -- the learnable arrays, updated **in place**
    by optimisers; ``grads: dict[str, ndarray]`` -- the same keys and shapes,
    allocated once and **overwritten in place** by ``backward`` (an optimiser
    holds references to these very arrays, so a layer must never rebind them);
    ``forward(X, training=True) -> out``; ``backward(dout) -> dX`` stores the
    parameter gradients and returns the gradient with respect to its input.
    A weight matrix is named ``"W"`` and a bias ``"b"``: L2 regularisation
    (``alpha``) applies to every parameter named ``"W"``, never to biases.
``Dense(n_in, n_out, *, init="he"|"xavier", rng)``
    ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,).
``Activation(name)``
    ``name`` in ``"relu"``, ``"sigmoid"``, ``"tanh"`` (:data:`mlmath.layers.ACTIVATIONS`).
``Dropout(p, rng)``, ``BatchNorm(n_features, momentum=0.1, eps=1e-5)``
    Layers with two modes: ``forward(X, training=True)`` is training mode
    (a random mask; batch statistics, folded into running averages) and
    ``training=False`` is inference mode (the identity; the running
    statistics). Estimators' ``predict`` always runs inference mode.
``layer.astype(dtype)``, ``Sequential.astype(dtype)``
    Cast every parameter, gradient and state array to float32 or float64, in
    place (before an optimiser is built on them); layers are created in
    float64 and keep their input's dtype, so a float32 network computes in
    float32 throughout.
``Sequential(layers)``
    ``forward(X, training=True)``, ``backward(dout)`` (layers in reverse) and
    ``parameters() -> [(name, param, grad), ...]`` with names like ``"0.W"``.
Optimisers
    the rules of :mod:`mlmath.optim` (``SGD``, ``AdaGrad``, ``RMSProp``, ``Adam``,
    derived in Chapter 2), built on the arrays ``[p for _, p, _ in parameters()]``;
    ``.step(grads)`` updates them in place.
``train_classifier(model, X, y_index, *, optimizer, batch_size, n_epochs, rng, alpha=0.0, ...)``
    mini-batch training of a network whose output is class scores (logits)
    under the softmax cross-entropy; returns the per-epoch mean losses and
    raises :class:`~mlmath.exceptions.DivergenceError` (naming the learning
    rate) as soon as the loss stops being finite.
``_NetworkClassifier``
    scikit-learn style ``fit``/``predict``/``predict_proba``/``score`` around
    ``train_classifier``; a subclass only implements ``_build(input_shape,
    n_outputs, rng) -> Sequential`` (and lists its settings in ``__init__``).
    :class:`MLPClassifier` is one; Chapter 5's ``CNNClassifier`` is another.

Two classes are handled as scikit-learn does: the network has **one** output
unit :math:`z`, the logit of the second class, and
:math:`p(\\text{class 1}) = \\sigma(z)`. That is the softmax over the two
logits :math:`(0, z)`, which is how the loss and probabilities are computed
here (see :func:`output_loss`).
"""

from __future__ import annotations

import copy
import itertools
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._validation import (
    as_float_array,
    check_array,
    check_callable,
    check_classification_targets,
    check_consistent_length,
    check_float_dtype,
    check_is_fitted,
    check_n_features,
    check_option,
    check_random_state,
    check_scalar,
    check_sizes,
    check_X_y,
)
from .base import BaseEstimator, ClassifierMixin
from .exceptions import ConvergenceWarning, DivergenceError
from .functional import softmax
from .layers import (
    ACTIVATIONS,
    INITS,
    _batchnorm_forward,
    _dropout_forward,
    affine_backward,
    affine_forward,
    batchnorm_backward,
    check_dropout_rate,
    check_eps,
    dropout_backward,
    init_weights,
)
from .logistic import _check_class_index, _softmax_ce_terms
from .optim import RULES, Rule, make_rule

__all__ = [
    "Activation",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Layer",
    "MLPClassifier",
    "Sequential",
    "loss_and_gradients",
    "output_loss",
    "output_proba",
    "stratified_split",
    "train_classifier",
]

ParamTriple = tuple[str, np.ndarray, np.ndarray]

#: An epoch whose mean loss exceeds this multiple of the starting loss has diverged.
DIVERGENCE_FACTOR = 10.0


# =========================================================================== layers


class Layer:
    """Base class of every layer: a forward/backward pair with its parameters.

    Attributes
    ----------
    params : dict of str to ndarray
        Learnable arrays, updated in place by an optimiser. Empty for
        layers without parameters (activations, pooling, flatten).
    grads : dict of str to ndarray
        Same keys and shapes as ``params``; ``backward`` overwrites them in
        place (``self.grads["W"][...] = dW``), never rebinds them.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        """Compute the layer's output and remember what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Store parameter gradients in ``grads`` and return :math:`\\partial L/\\partial X`."""
        raise NotImplementedError

    def _set_grad(self, name: str, value: np.ndarray) -> None:
        # In place: optimisers hold references to these arrays.
        self.grads[name][...] = value

    def astype(self, dtype: Any) -> Layer:
        """Cast the layer's floating arrays to ``dtype`` (float32 or float64), in place.

        Every floating ndarray the layer holds -- ``params``, ``grads``, state
        such as running statistics, and the arrays of layers it contains -- is
        replaced by a copy in ``dtype`` (an array shared by two of them stays
        shared). Call it before building an optimiser on the parameters: the
        optimiser would keep the old arrays.

        Returns
        -------
        self
        """
        _cast_arrays(self, check_float_dtype(dtype), {})
        return self

    def _require_cache(self) -> Any:
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{self!r}.backward was called before forward")
        return cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _cast_arrays(obj: Any, dtype: np.dtype, memo: dict[int, Any]) -> Any:
    """``obj`` with its floating arrays in ``dtype``: layers and containers are edited in place.

    Walks a layer's attributes (and Sequential's list of layers, dicts, lists and
    tuples of them); ``memo`` maps ``id`` of an array already cast to its copy,
    so arrays shared between attributes stay shared.
    """
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind != "f" or obj.dtype == dtype:
            return obj
        if id(obj) not in memo:
            memo[id(obj)] = obj.astype(dtype)
        return memo[id(obj)]
    if isinstance(obj, Layer | Sequential):
        if id(obj) not in memo:
            memo[id(obj)] = obj
            for key, value in vars(obj).items():
                if not key.startswith("_cache"):  # a stale cache is overwritten by forward
                    setattr(obj, key, _cast_arrays(value, dtype, memo))
        return obj
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = _cast_arrays(value, dtype, memo)
        return obj
    if isinstance(obj, list):
        obj[:] = [_cast_arrays(value, dtype, memo) for value in obj]
        return obj
    if type(obj) is tuple:
        return tuple(_cast_arrays(value, dtype, memo) for value in obj)
    return obj


class Dense(Layer):
    """Fully connected layer :math:`Z = XW + b` (:func:`mlmath.layers.affine_forward`).

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs (features) and of neurons.
    init : {"he", "xavier"}, default "he"
        Weight initialisation (:func:`mlmath.layers.init_weights`); biases start at 0.
    rng : int, numpy.random.Generator or None
        Source of the initial weights.

    Attributes
    ----------
    params : {"W": (n_in, n_out), "b": (n_out,)}
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        n_in = check_scalar(n_in, "n_in", kind=int, low=1)
        n_out = check_scalar(n_out, "n_out", kind=int, low=1)
        check_option(init, "init", INITS)
        rng = check_random_state(rng)
        self.init = init
        self.params = {"W": init_weights(n_in, n_out, init=init, rng=rng), "b": np.zeros(n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache: Any = None

    @classmethod
    def from_weights(cls, W: Any, b: Any) -> Dense:
        """A dense layer with given weights ``W`` (n_in, n_out) and biases ``b`` (n_out,)."""
        W = check_array(W, name="W", ndim=2)
        b = check_array(b, name="b", ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(
                f"b has {b.shape[0]} entries but W has {W.shape[1]} columns (neurons); "
                "they must match"
            )
        layer = cls(W.shape[0], W.shape[1], rng=0)
        layer.params["W"][...] = W
        layer.params["b"][...] = b
        return layer

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        Z, self._cache = affine_forward(X, self.params["W"], self.params["b"])
        return Z

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dX, dW, db = affine_backward(dout, self._require_cache())
        self._set_grad("W", dW)
        self._set_grad("b", db)
        return dX

    def __repr__(self) -> str:
        n_in, n_out = self.params["W"].shape
        return f"Dense({n_in}, {n_out})"


class Activation(Layer):
    """Elementwise activation layer, ``name`` in ``"relu"``, ``"sigmoid"``, ``"tanh"``."""

    def __init__(self, name: str) -> None:
        super().__init__()
        check_option(name, "activation", tuple(ACTIVATIONS))
        self.name = name
        self._forward, self._backward = ACTIVATIONS[name]
        self._cache: Any = None

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        A, self._cache = self._forward(X)
        return A

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward(dout, self._require_cache())

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Dropout(Layer):
    """Inverted dropout (:func:`mlmath.layers.dropout_forward`); the identity at inference.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping each entry in training mode.
    rng : int, numpy.random.Generator or None
        Draws the masks.

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-dropout`.
    """

    def __init__(self, p: float, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.p = check_dropout_rate(p)
        self.rng = check_random_state(rng)
        self._cache: Any = None

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        # p was checked in __init__: only X is checked per batch.
        out, self._cache = _dropout_forward(as_float_array(X, name="X"), self.p, self.rng, training)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dropout_backward(dout, self._require_cache())

    def __repr__(self) -> str:
        return f"Dropout({self.p:g})"


class _FrozenNormCache(NamedTuple):
    """Inference-mode batch norm is the affine map ``X_hat * gamma + beta``, fixed statistics."""

    X_hat: np.ndarray
    scale: np.ndarray  # gamma / sqrt(running_var + eps)


class BatchNorm(Layer):
    """Batch normalisation of each feature (:func:`mlmath.layers.batchnorm_forward`).

    Training mode normalises with the batch's mean and (biased) variance and
    folds them into running averages,
    :math:`r \\leftarrow (1 - m)\\, r + m\\, \\text{batch statistic}` with
    ``momentum`` :math:`m`; inference mode normalises with the running averages,
    so a prediction does not depend on the other samples in its batch.

    Parameters
    ----------
    n_features : int
        Number of features :math:`D` (columns of the input).
    momentum : float in (0, 1], default 0.1
        Weight of the newest batch in the running averages.
    eps : float > 0, default 1e-5

    Attributes
    ----------
    params : {"gamma": (D,), "beta": (D,)}
        Start at ones and zeros (the layer starts as a pure standardisation).
    running_mean, running_var : ndarray of shape (D,)
        Start at zeros and ones.

    Notes
    -----
    A subclass for other layouts (one statistic per image channel) overrides
    ``_to_rows`` and ``_from_rows``, which turn its input into rows
    (samples) by columns (features) and back; everything else is shared.
    Derived in Chapter 4, :ref:`sec-batchnorm`.
    """

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_features = check_scalar(n_features, "n_features", kind=int, low=1)
        self.momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, include_low=False)
        self.eps = check_eps(eps)
        self.params = {"gamma": np.ones(n_features), "beta": np.zeros(n_features)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean = np.zeros(n_features)
        self.running_var = np.ones(n_features)
        self._cache: Any = None

    def _to_rows(self, X: np.ndarray) -> np.ndarray:
        """The input as a matrix (samples, n_features)."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"{self!r} takes X of shape (N, {self.n_features}), got shape {X.shape}"
            )
        return X

    def _from_rows(self, out: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Inverse of :meth:`_to_rows` for an input of ``shape``."""
        return out

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        X = as_float_array(X, name="X")
        rows = self._to_rows(X)
        gamma, beta = self.params["gamma"], self.params["beta"]
        if training:
            out, cache = _batchnorm_forward(rows, gamma, beta, self.eps)  # shapes: _to_rows
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * cache.mean
            self.running_var *= 1.0 - m
            self.running_var += m * cache.var
        else:
            # Inference: a fixed affine map of each feature.
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            X_hat = (rows - self.running_mean) * inv_std
            out, cache = X_hat * gamma + beta, _FrozenNormCache(X_hat, gamma * inv_std)
        self._cache = (cache, X.shape)
        return self._from_rows(out, X.shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        cache, shape = self._require_cache()
        d = self._to_rows(as_float_array(dout, name="dout"))
        if isinstance(cache, _FrozenNormCache):
            X_hat, scale = cache
            if d.shape != X_hat.shape:
                raise ValueError(f"dout has shape {d.shape}, the output had {X_hat.shape}")
            dX, dgamma, dbeta = d * scale, (d * X_hat).sum(axis=0), d.sum(axis=0)
        else:
            dX, dgamma, dbeta = batchnorm_backward(d, cache)
        self._set_grad("gamma", dgamma)
        self._set_grad("beta", dbeta)
        return self._from_rows(dX, shape)

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_features})"


class Sequential:
    """A network as a chain of layers: forward in order, backward in reverse.

    Parameters
    ----------
    layers : sequence of Layer

    Notes
    -----
    ``backward`` is the :math:`\\delta` recursion of Chapter 4,
    :ref:`sec-backprop`: each layer turns the gradient with
    respect to its output into the gradient with respect to its input.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers: list[Layer] = list(layers)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is {type(layer).__name__}, not a mlmath.network.Layer")

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        """Output of the last layer for the input batch ``X``."""
        out = X
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    def __call__(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        return self.forward(X, training=training)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` = ∂L/∂output; fills every layer's ``grads``; returns ∂L/∂X."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def astype(self, dtype: Any) -> Sequential:
        """Cast every layer to ``dtype`` in place (see :meth:`Layer.astype`); returns self."""
        _cast_arrays(self, check_float_dtype(dtype), {})
        return self

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (float64 for a network without any)."""
        params = [param for _, param, _ in self.parameters()]
        return params[0].dtype if params else np.dtype(np.float64)

    def parameters(self) -> list[ParamTriple]:
        """``[(name, param, grad), ...]`` with names ``"<layer index>.<key>"``, e.g. ``"0.W"``."""
        return [
            (f"{i}.{key}", param, layer.grads[key])
            for i, layer in enumerate(self.layers)
            for key, param in layer.params.items()
        ]

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {layer!r}" for layer in self.layers)
        return f"Sequential([\n{inner},\n])" if self.layers else "Sequential([])"


# =========================================================================== loss and training


def output_loss(Z: np.ndarray, y_index: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy of the network's output scores and its gradient.

    Parameters
    ----------
    Z : ndarray of shape (N, K), or (N, 1) for two classes
        Logits. A single column is the logit of class 1 against class 0
        (scikit-learn's logistic output unit): it is scored as the softmax of
        the two logits ``(0, z)``, which equals :math:`\\sigma(z)`.
    y_index : ndarray of int, shape (N,)
        Class positions in ``0..K-1``.

    Returns
    -------
    loss : float
        Mean cross-entropy over the rows.
    dZ : ndarray, same shape and dtype as ``Z``
        :math:`(\\hat P - Y)/N` (Chapter 3, "More than two classes: softmax regression").
    """
    Z = _check_scores(Z)
    check_array(Z, name="Z", ndim=2, dtype=Z.dtype)  # NaN and infinity: no loss
    y_index = _check_class_index(y_index, max(Z.shape[1], 2))
    check_consistent_length(Z=Z, y_index=y_index)
    return _output_loss(Z, y_index)


def _output_loss(Z: np.ndarray, y_index: np.ndarray) -> tuple[float, np.ndarray]:
    """:func:`output_loss` without validation, for the training loop (labels checked once)."""
    binary = Z.shape[1] == 1
    if binary:  # the softmax of the two logits (0, z)
        Z = np.hstack([np.zeros_like(Z), Z])
    terms, dZ = _softmax_ce_terms(Z, y_index)  # in Z's dtype
    dZ /= Z.shape[0]
    return float(terms.mean()), dZ[:, 1:] if binary else dZ


def output_proba(Z: np.ndarray) -> np.ndarray:
    """Class probabilities (N, C) from output scores ``Z`` (see :func:`output_loss`).

    In ``Z``'s dtype (float32 scores give float32 probabilities).
    """
    Z = _check_scores(Z)
    if Z.shape[1] == 1:
        return softmax(np.hstack([np.zeros_like(Z), Z])).astype(Z.dtype, copy=False)
    return softmax(Z).astype(Z.dtype, copy=False)


def _check_scores(Z: Any) -> np.ndarray:
    Z = as_float_array(Z, name="Z")
    if Z.ndim != 2:
        raise ValueError(f"Z must be 2-D, (N, C) scores or (N, 1), but it has shape {Z.shape}")
    return Z


def _penalised(model: Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (param, grad) for name, param, grad in model.parameters() if name.rsplit(".", 1)[-1] == "W"
    ]


def loss_and_gradients(
    model: Sequential, X: np.ndarray, y_index: np.ndarray, alpha: float = 0.0
) -> float:
    """One forward and backward pass: the batch objective, with every ``grads`` filled.

    The objective of a batch of :math:`n` samples is the mean softmax
    cross-entropy plus :math:`\\frac{\\alpha}{2n}\\sum_l \\lVert W_l \\rVert_F^2` over
    the weight matrices (parameters named ``"W"``; biases are not penalised),
    scikit-learn's convention; its gradient adds :math:`\\alpha W_l / n` to
    each ``dW``.

    Overflow is not reported here: a caller checks that the returned loss is
    finite (see :func:`train_classifier`).

    Returns
    -------
    float
        The objective; NaN or infinite if the network has diverged (then no
        backward pass is run and ``grads`` are stale).
    """
    X = _check_network_input(model, X)
    return _loss_and_gradients(model, X, y_index, alpha, loss_fn=output_loss)


def _check_network_input(model: Any, X: Any) -> np.ndarray:
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a mlmath.network.Sequential, got {type(model).__name__}")
    X = as_float_array(X, name="X")
    if X.ndim < 2:
        raise ValueError(f"X must hold one sample per row, (N, ...), but it has shape {X.shape}")
    return X


def _loss_and_gradients(
    model: Sequential,
    X: np.ndarray,
    y_index: np.ndarray,
    alpha: float,
    loss_fn: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]] = _output_loss,
) -> float:
    """:func:`loss_and_gradients` on checked input: the training loop's path.

    The default ``loss_fn`` is the unchecked :func:`_output_loss`: the labels were
    checked once, at the entry of :func:`train_classifier`.
    """
    n = X.shape[0]
    with np.errstate(all="ignore"):
        Z = model.forward(X, training=True)
        if not np.isfinite(Z).all():
            # The network has blown up; no loss (or gradient) is meaningful. The
            # caller turns this NaN into a DivergenceError.
            return float("nan")
        loss, dZ = loss_fn(Z, y_index)
        model.backward(dZ)
        if alpha > 0:
            for W, dW in _penalised(model):
                loss += 0.5 * alpha * float(np.sum(W * W)) / n
                dW += (alpha / n) * W
    return float(loss)


def train_classifier(
    model: Sequential,
    X: np.ndarray,
    y_index: np.ndarray,
    *,
    optimizer: Rule,
    batch_size: int,
    n_epochs: int,
    rng: np.random.Generator,
    alpha: float = 0.0,
    callback: Callable[[int, float], bool] | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
) -> list[float]:
    """Train ``model`` by mini-batch gradient descent on the softmax cross-entropy.

    Each epoch visits the samples in a fresh random order (from ``rng``) in
    batches of ``batch_size`` (the last may be smaller); per batch it runs
    forward, the loss, backward, and ``optimizer.step(grads)``.

    The objective of a batch of size :math:`n` is the mean cross-entropy plus
    :math:`\\frac{\\alpha}{2n}\\sum \\lVert W \\rVert_F^2` over the weight
    matrices (parameters named ``"W"``), scikit-learn's convention.

    Parameters
    ----------
    model : Sequential
        Maps a batch of ``X`` to scores of shape (n, K), or (n, 1) for two classes.
    X : ndarray of shape (N, ...)
        Training inputs, cast to the dtype of the model's parameters
        (:attr:`Sequential.dtype`) if they are in another.
    y_index : ndarray of int, shape (N,)
        Class positions. ``X`` and ``y_index`` are checked here, once; the
        batches are not checked again.
    optimizer : mlmath.optim.Rule
        Any rule of :mod:`mlmath.optim`, built on the arrays of
        ``model.parameters()`` in their order (Chapter 2 derives them).
    batch_size, n_epochs : int
    rng : numpy.random.Generator
        Shuffles the samples: same state, same training run, bit for bit.
    alpha : float
        L2 penalty strength.
    callback : callable, optional
        ``callback(epoch, mean_loss) -> bool``, called after each epoch (from 0);
        returning True stops training there (early stopping uses it).
    augment : callable, optional
        ``augment(X_batch, rng) -> X_batch'`` of the same shape, applied to
        every mini-batch before the forward pass (with the ``rng`` that
        shuffles), e.g. random shifts of images
        (:func:`mlmath.augment.random_shift`, Chapter 5b,
        :ref:`sec-modern-augment`). The data ``X`` itself is not changed.

    Returns
    -------
    loss_curve : list of float
        Mean objective over each epoch's batches (weighted by batch size).

    Raises
    ------
    DivergenceError
        If the loss or the parameters become NaN or infinite, or an epoch's
        mean loss exceeds ``DIVERGENCE_FACTOR`` (10) times the starting loss
        (at least 1); the message names the learning rate.

    Warns
    -----
    ConvergenceWarning
        If training ends no better than chance (the final training
        cross-entropy is not below that of predicting the class frequencies,
        :math:`\\log K` for :math:`K` balanced classes), or if, after two or
        more epochs, the last epoch's loss is not below the starting loss. The
        message names the learning rate and the final loss against
        :math:`\\log K`.
    """
    check_callable(augment, "augment", optional=True)
    X, y_index = _check_training_data(model, X, y_index)
    N = X.shape[0]
    batch_size = min(batch_size, N)
    loss_curve: list[float] = []
    initial = None  # objective of the first batch, before any step
    for epoch in range(n_epochs):
        order = rng.permutation(N)
        total = 0.0
        for start in range(0, N, batch_size):
            idx = order[start : start + batch_size]
            X_batch = X[idx] if augment is None else _augmented(augment, X[idx], rng)
            loss = _loss_and_gradients(model, X_batch, y_index[idx], alpha)
            # A diverging run overflows: stop with a DivergenceError rather
            # than carry NaNs (or numpy warnings) through the remaining epochs.
            if not np.isfinite(loss):
                _diverged(optimizer, epoch, loss)
            if initial is None:
                initial = loss
            with np.errstate(all="ignore"):
                optimizer.step([grad for _, _, grad in model.parameters()])
            total += loss * idx.shape[0]
        loss_curve.append(total / N)
        if not all(np.isfinite(p).all() for _, p, _ in model.parameters()):
            _diverged(optimizer, epoch, float("nan"))
        # The cross-entropy's gradient is bounded, so an overshooting run often
        # stays finite while its loss explodes; ten times the starting loss is
        # far beyond any noise of mini-batch descent.
        if loss_curve[-1] > DIVERGENCE_FACTOR * max(initial, 1.0):
            _diverged(optimizer, epoch, loss_curve[-1], initial)
        if callback is not None and callback(epoch, loss_curve[-1]):
            break
    _warn_if_no_progress(model, X, y_index, optimizer.schedule(0), loss_curve, initial)
    return loss_curve


def _check_training_data(model: Sequential, X: Any, y_index: Any) -> tuple[np.ndarray, np.ndarray]:
    """The one check of :func:`train_classifier`: ``X`` in the model's dtype, labels in range.

    The number of classes is that of the scores of one sample (inference mode,
    so no state changes); a single score column means two classes.
    """
    X = _check_network_input(model, X)
    if X.shape[0] == 0:
        raise ValueError(f"X has no samples (shape {X.shape}); training needs at least one")
    if X.dtype != model.dtype:
        X = X.astype(model.dtype)
    with np.errstate(all="ignore"):
        n_scores = model.forward(X[:1], training=False).shape[1]
    y_index = _check_class_index(y_index, max(n_scores, 2))
    check_consistent_length(X=X, y_index=y_index)
    return X, y_index


def _augmented(augment: Callable, X_batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = augment(X_batch, rng)
    if not isinstance(out, np.ndarray) or out.shape != X_batch.shape:
        got = f"shape {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(
            f"augment must return an array of the batch's shape {X_batch.shape}, got {got}"
        )
    return out.astype(X_batch.dtype, copy=False)  # the model's dtype, whatever augment used


def _inference_scores(model: Sequential, X: np.ndarray) -> np.ndarray:
    """The network's scores for ``X`` in inference mode, in chunks of 1024 rows."""
    N = X.shape[0]
    with np.errstate(all="ignore"):
        return np.vstack(
            [model.forward(X[i : i + 1024], training=False) for i in range(0, N, 1024)]
        )


def _accuracy(model: Sequential, X: np.ndarray, y_index: np.ndarray) -> float:
    Z = _inference_scores(model, X)
    pred = (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else np.argmax(Z, axis=1)
    return float(np.mean(pred == y_index))


def stratified_split(
    y_index: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation): about ``fraction`` of each class, drawn by ``rng``.

    Each class with at least two samples gives ``round(fraction * count)``
    samples (at least 1) to the validation set and keeps at least one; this is
    scikit-learn's stratified hold-out, up to rounding.
    """
    val = []
    for k in np.unique(y_index):
        idx = rng.permutation(np.flatnonzero(y_index == k))
        if idx.size >= 2:
            val.append(idx[: min(max(1, round(fraction * idx.size)), idx.size - 1)])
    val_idx = np.sort(np.concatenate(val)) if val else np.array([], dtype=int)
    if val_idx.size == 0:
        raise ValueError(
            f"validation_fraction={fraction:g} leaves no validation samples: every class "
            "has fewer than 2 samples"
        )
    train = np.ones(y_index.shape[0], dtype=bool)
    train[val_idx] = False
    return np.flatnonzero(train), val_idx


def _warn_if_no_progress(
    model: Sequential,
    X: np.ndarray,
    y_index: np.ndarray,
    eta: float,
    loss_curve: list[float],
    initial: float,
) -> None:
    """Warn when training ended no better than chance, or without lowering the loss.

    Chance is the cross-entropy of predicting the class frequencies of the
    training labels, :math:`-\\sum_k \\pi_k \\log \\pi_k`, which is
    :math:`\\log K` for :math:`K` balanced classes (and never more). The final
    cross-entropy is measured in one more forward pass over the training data,
    without the penalty, with the weights training ended with.
    """
    N = X.shape[0]
    Z = _inference_scores(model, X)
    K = 2 if Z.shape[1] == 1 else Z.shape[1]
    if not np.isfinite(Z).all():
        return
    cross_entropy, _ = _output_loss(Z, y_index)
    # np.intp: bincount refuses int64 where pointers are 32-bit (Pyodide's WebAssembly)
    freq = np.bincount(np.asarray(y_index, dtype=np.intp), minlength=K) / N
    chance = -float(np.sum(freq[freq > 0] * np.log(freq[freq > 0])))
    log_K = float(np.log(K))
    reasons = []
    if cross_entropy >= chance * (1.0 - 1e-6):
        level = f"log K = log {K} = {log_K:.4g}"
        if chance < log_K * (1.0 - 1e-6):
            level += f" ({chance:.4g} for these class frequencies)"
        reasons.append(
            f"training ended no better than chance: the final training cross-entropy is "
            f"{cross_entropy:.4g}, not below the chance level {level}"
        )
    if len(loss_curve) > 1 and loss_curve[-1] >= initial:
        reasons.append(
            f"training did not reduce the loss (from {initial:.4g} to {loss_curve[-1]:.4g} "
            f"after {len(loss_curve)} epochs; final cross-entropy {cross_entropy:.4g} against "
            f"log K = {log_K:.4g})"
        )
    if reasons:
        # The loss went up (above its start, or from its best back up): overshooting.
        rise = max(max(loss_curve) - initial, loss_curve[-1] - min(loss_curve))
        if rise > 0.01 * log_K:
            advice = (
                "The step size is probably too large (units stuck at zero, saturated "
                f"sigmoids): try a smaller learning_rate, e.g. {eta / 10:g}"
            )
        else:
            advice = (
                "The loss never went up, so the step may be too small (try "
                f"e.g. learning_rate={eta * 10:g}), or the inputs may not predict the labels"
            )
        warnings.warn(
            "; ".join(reasons) + f", with learning_rate={eta:g}. " + advice,
            ConvergenceWarning,
            stacklevel=3,
        )


def _diverged(optimizer: Rule, epoch: int, loss: float, initial: float | None = None) -> None:
    eta = optimizer.current_learning_rate
    start = "" if initial is None else f" (it started at {initial:.4g})"
    raise DivergenceError(
        f"training diverged in epoch {epoch + 1}: the loss became {loss:.4g}{start} with "
        f"learning_rate={eta:g}; gradient descent overshoots at this step size, so try a "
        f"smaller learning rate (for example {eta / 10:g})"
    )


# =========================================================================== estimators


class _EarlyStopping:
    """The ``callback`` of :func:`train_classifier` that implements early stopping.

    After each epoch it scores the model (inference mode) on the validation
    set; an epoch whose accuracy is below the best so far plus ``tol`` counts
    as no improvement, and training stops once more than
    ``n_iter_no_change`` such epochs have followed each other, as in
    scikit-learn. ``best_model`` is a copy of the model at its best
    validation accuracy.
    """

    def __init__(
        self,
        model: Sequential,
        X_val: np.ndarray,
        y_val: np.ndarray,
        n_iter_no_change: int,
        tol: float,
    ) -> None:
        self.model, self.X_val, self.y_val = model, X_val, y_val
        self.n_iter_no_change, self.tol = n_iter_no_change, tol
        self.scores: list[float] = []
        self.best = -np.inf
        self.best_model = model
        self._no_improvement = 0

    def __call__(self, epoch: int, loss: float) -> bool:
        score = _accuracy(self.model, self.X_val, self.y_val)
        self.scores.append(score)
        self._no_improvement = self._no_improvement + 1 if score < self.best + self.tol else 0
        if score > self.best:
            self.best = score
            self.best_model = copy.deepcopy(self.model)
        return self._no_improvement > self.n_iter_no_change


class _NetworkClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn style classifier around a :class:`Sequential` built by a subclass.

    A subclass lists its settings in ``__init__`` (which only stores them),
    may extend :meth:`_check_settings` and :meth:`_input_shape`, and implements
    ``_build(input_shape, n_outputs, rng) -> Sequential``, where
    ``input_shape`` is the shape of one sample as the network takes it
    (``X.shape[1:]`` unless :meth:`_input_shape` says otherwise) and
    ``n_outputs`` is the number of classes, or 1 for two classes (a logistic
    output unit). Everything else -- validation, encoding the labels, the
    optimiser, :func:`train_classifier`, ``predict``/``predict_proba``, and
    ``get_params``/``score`` from :mod:`mlmath.base` -- is shared.

    Settings used here (subclasses must have them as attributes):
    ``learning_rate``, ``momentum``, ``batch_size``, ``max_iter`` (epochs),
    ``alpha``, ``random_state`` and optionally ``solver`` (a name in
    :data:`mlmath.optim.RULES`: "sgd", "adam", "rmsprop", "adagrad") and
    ``nesterovs_momentum``.

    Optional settings: ``early_stopping``, ``validation_fraction``,
    ``n_iter_no_change``, ``tol`` and ``dtype`` (see :class:`MLPClassifier`).

    Fitted attributes: ``model_``, ``classes_``, ``loss_curve_``, ``loss_``,
    ``n_iter_``, ``n_features_in_``, ``input_shape_``, ``validation_scores_``
    and ``best_validation_score_`` (None without early stopping).
    """

    #: Allowed number of dimensions of X (Chapter 5's images also take 4: (N, C, H, W)).
    _X_ndim: int | tuple[int, ...] = 2

    _fitted_attributes = ("model_",)

    # ----------------------------------------------------------------- to override

    def _build(
        self, input_shape: tuple[int, ...], n_outputs: int, rng: np.random.Generator
    ) -> Sequential:
        raise NotImplementedError

    def _input_shape(self, X: np.ndarray) -> tuple[int, ...]:
        """The shape of one sample as the network takes it, from the ``X`` given to ``fit``."""
        return tuple(X.shape[1:])

    def _augment(self) -> Callable[[np.ndarray, np.random.Generator], np.ndarray] | None:
        """The ``augment`` of :func:`train_classifier` (None: train on the data as given)."""
        return None

    def _check_settings(self) -> None:
        check_scalar(self.learning_rate, "learning_rate", low=0.0, include_low=False, finite=True)
        check_scalar(self.momentum, "momentum", low=0.0, high=1.0, include_high=False)
        check_scalar(self.batch_size, "batch_size", kind=int, low=1)
        check_scalar(self.max_iter, "max_iter", kind=int, low=1)
        check_scalar(self.alpha, "alpha", low=0.0, finite=True)
        check_option(getattr(self, "solver", "sgd"), "solver", tuple(RULES))
        check_float_dtype(getattr(self, "dtype", np.float64))
        nesterov = getattr(self, "nesterovs_momentum", False)
        if not isinstance(nesterov, bool | np.bool_):
            raise TypeError(f"nesterovs_momentum must be True or False, got {nesterov!r}")
        if not isinstance(getattr(self, "early_stopping", False), bool | np.bool_):
            raise TypeError(f"early_stopping must be True or False, got {self.early_stopping!r}")
        if getattr(self, "early_stopping", False):
            check_scalar(
                self.validation_fraction,
                "validation_fraction",
                low=0.0,
                high=1.0,
                include_low=False,
                include_high=False,
            )
            check_scalar(self.n_iter_no_change, "n_iter_no_change", kind=int, low=1)
            check_scalar(self.tol, "tol", low=0.0, finite=True)

    def _make_optimizer(self, model: Sequential) -> Rule:
        """The rule of ``solver`` (:mod:`mlmath.optim`) on the network's parameters."""
        solver = getattr(self, "solver", "sgd")
        params = [param for _, param, _ in model.parameters()]
        if solver != "sgd":
            return make_rule(solver, params, self.learning_rate)
        # As in scikit-learn, Nesterov's momentum is a variant of momentum > 0.
        nesterov = bool(getattr(self, "nesterovs_momentum", False)) and self.momentum > 0
        return make_rule("sgd", params, self.learning_rate, momentum=self.momentum,
                         nesterov=nesterov)  # fmt: skip

    # ----------------------------------------------------------------- public API

    def _check_X(self, X: Any) -> np.ndarray:
        """``X`` at predict time, checked against the data ``fit`` saw and shaped for the network.

        Rows (N, D) must have ``n_features_in_`` columns; samples of any other
        shape must have the shape seen in ``fit``.
        """
        check_is_fitted(self)
        # Cast once, to the dtype the network computes in.
        X = check_array(X, name="X", ndim=self._X_ndim, dtype=self.model_.dtype)
        expected = self.input_shape_
        if X.ndim == 2:
            check_n_features(self, X)
        elif X.shape[1:] != expected:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but {type(self).__name__} was fitted "
                f"with shape {expected}"
            )
        return X.reshape(X.shape[0], *expected)

    def fit(self, X: Any, y: Any) -> _NetworkClassifier:
        """Train the network on ``X`` (N, ...) and class labels ``y`` (N,).

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            If the training loss becomes non-finite (the learning rate is too large).
        """
        self._check_settings()
        rng = check_random_state(self.random_state)  # the last setting; it may draw numbers
        dtype = check_float_dtype(getattr(self, "dtype", np.float64))
        X, y = check_X_y(X, y, y_numeric=False, X_ndim=self._X_ndim, dtype=dtype)  # cast once
        classes, y_index = check_classification_targets(y)
        input_shape = self._input_shape(X)
        X = X.reshape(X.shape[0], *input_shape)
        n_outputs = 1 if len(classes) == 2 else len(classes)
        model = self._build(input_shape, n_outputs, rng).astype(dtype)  # before the optimiser
        optimizer = self._make_optimizer(model)
        stopper = None
        if getattr(self, "early_stopping", False):
            train_idx, val_idx = stratified_split(y_index, self.validation_fraction, rng)
            stopper = _EarlyStopping(
                model, X[val_idx], y_index[val_idx], self.n_iter_no_change, self.tol
            )
            X, y_index = X[train_idx], y_index[train_idx]
        curve = train_classifier(
            model,
            X,
            y_index,
            optimizer=optimizer,
            batch_size=self.batch_size,
            n_epochs=self.max_iter,
            rng=rng,
            alpha=float(self.alpha),
            callback=stopper,
            augment=self._augment(),
        )
        if stopper is not None:
            model = stopper.best_model  # scikit-learn keeps the best validation weights
        self._set_fitted(model, classes, input_shape)
        self.loss_curve_ = curve
        self.loss_ = curve[-1]
        self.n_iter_ = len(curve)
        self.validation_scores_ = None if stopper is None else stopper.scores
        self.best_validation_score_ = None if stopper is None else stopper.best
        return self

    def _set_fitted(
        self, model: Sequential, classes: np.ndarray, input_shape: tuple[int, ...]
    ) -> None:
        self.model_ = model
        self.classes_ = classes
        self.input_shape_ = input_shape
        self.n_features_in_ = int(np.prod(input_shape))
        self.n_outputs_ = 1 if len(classes) == 2 else len(classes)

    def decision_function(self, X: Any) -> np.ndarray:
        """The network's output scores (logits): (N, C), or (N,) for two classes, in ``dtype``."""
        X = self._check_X(X)
        with np.errstate(over="ignore"):  # huge logits are fine: softmax is stable
            Z = self.model_.forward(X, training=False)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (N, C), columns in the order of ``classes_``.

        In the network's ``dtype`` (float32 for ``dtype=np.float32``, whatever
        the dtype of ``X``; each row sums to 1 within a few float32 ulps), as
        scikit-learn's ``MLPClassifier`` fitted on float32 data returns them.
        """
        X = self._check_X(X)
        with np.errstate(over="ignore"):
            Z = self.model_.forward(X, training=False)
        return output_proba(Z)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row of ``X``, shape (N,)."""
        P = self.predict_proba(X)
        return self.classes_[np.argmax(P, axis=1)]


def _check_hidden_layer_sizes(sizes: Any) -> tuple[int, ...]:
    return check_sizes(sizes, "hidden_layer_sizes", example="(64,) or (32, 16)")


class MLPClassifier(_NetworkClassifier):
    """Multilayer perceptron classifier trained by backpropagation (Chapter 4).

    The network is ``Dense -> activation`` for each hidden layer, then a
    ``Dense`` output layer whose scores go through the softmax (a single
    logistic unit for two classes, as in scikit-learn). It is trained by
    mini-batch SGD with momentum on the cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (64,)
        Neurons in each hidden layer; ``()`` gives softmax (logistic) regression.
    activation : {"relu", "sigmoid", "tanh"}, default "relu"
        Hidden activation. (scikit-learn calls the sigmoid ``"logistic"``.)
    learning_rate : float, default 0.1
        Step size :math:`\\eta`.
    momentum : float, default 0.9
        Momentum :math:`\\beta` of :class:`mlmath.optim.SGD` (``solver="sgd"``).
    nesterovs_momentum : bool, default False
        Nesterov's momentum instead of heavy ball (``solver="sgd"``, Chapter 2,
        :ref:`sec-gd-nesterov`). scikit-learn's name; its default is True.
    batch_size : int, default 32
        Samples per gradient step (capped at the number of samples).
    max_iter : int, default 30
        Number of epochs (passes over the data).
    alpha : float, default 0.0
        L2 penalty on the weights (not the biases), scikit-learn's convention.
    init : {"auto", "he", "xavier"}, default "auto"
        Weight initialisation: He for ReLU, Xavier (Glorot) otherwise.
    solver : {"sgd", "adam", "rmsprop", "adagrad"}, default "sgd"
        The update rule of :mod:`mlmath.optim` (derived in Chapter 2,
        :ref:`sec-gd-momentum` and :ref:`sec-gd-adaptive`); ``momentum`` and
        ``nesterovs_momentum`` are used by "sgd" only.
    random_state : int, Generator or None, default 0
        Seeds the initial weights, the shuffling, the dropout masks and the
        validation split: same seed, same model, bit for bit.
    dropout : float in [0, 1), default 0.0
        Dropout rate after each hidden activation (:class:`Dropout`); 0 adds no layer.
    batch_norm : bool, default False
        Put a :class:`BatchNorm` between each hidden ``Dense`` layer and its activation.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified),
        score it after every epoch, stop when the accuracy has not improved
        by ``tol`` for more than ``n_iter_no_change`` epochs in a row, and keep
        the weights of the best epoch (scikit-learn's meaning); Chapter 4,
        :ref:`sec-early-stopping`.
    validation_fraction : float in (0, 1), default 0.1
    n_iter_no_change : int, default 10
        Used only with ``early_stopping`` (scikit-learn also uses it to stop
        on the training loss; here training always runs ``max_iter`` epochs
        otherwise).
    tol : float, default 1e-4
        Smallest gain in validation accuracy that counts as an improvement.
    dtype : np.float64 or np.float32 (or "float64", "float32"), default np.float64
        The floating type the network computes in: parameters, activations,
        gradients and the optimiser's state. ``fit`` and ``predict`` cast ``X``
        to it once; ``predict_proba`` and ``decision_function`` return it.
        float32 halves the memory and speeds up the matrix products, at the
        price of about 7 significant digits (enough for training, not for
        :func:`mlmath.gradcheck`, which refuses float32).

    Attributes
    ----------
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (n_in, n_out) (scikit-learn's layout).
    intercepts_ : list of ndarray
        Bias vectors, ``intercepts_[i]`` of shape (n_out,).
    classes_ : ndarray
        The class labels.
    loss_curve_ : list of float
        Mean training loss in each epoch.
    validation_scores_ : list of float or None
        Validation accuracy after each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        Its maximum; the fitted weights are those of that epoch.
    model_ : Sequential
        The network itself; ``coefs_`` and ``intercepts_`` are views of its parameters.

    Notes
    -----
    The defaults reach at least 97% test accuracy on scikit-learn's digits
    (pixels scaled to [0, 1]) in about a second; see Chapter 4, :ref:`sec-nn-digits`.
    """

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (64,),
        activation: str = "relu",
        learning_rate: float = 0.1,
        momentum: float = 0.9,
        nesterovs_momentum: bool = False,
        batch_size: int = 32,
        max_iter: int = 30,
        alpha: float = 0.0,
        init: str = "auto",
        solver: str = "sgd",
        random_state: int | np.random.Generator | None = 0,
        dropout: float = 0.0,
        batch_norm: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        dtype: Any = np.float64,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.alpha = alpha
        self.init = init
        self.solver = solver
        self.random_state = random_state
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.dtype = dtype

    def _check_settings(self) -> None:
        _check_hidden_layer_sizes(self.hidden_layer_sizes)
        check_option(self.activation, "activation", tuple(ACTIVATIONS))
        check_option(self.init, "init", ("auto", *INITS))
        check_dropout_rate(self.dropout)
        if not isinstance(self.batch_norm, bool | np.bool_):
            raise TypeError(f"batch_norm must be True or False, got {self.batch_norm!r}")
        super()._check_settings()

    def _build(
        self, input_shape: tuple[int, ...], n_outputs: int, rng: np.random.Generator
    ) -> Sequential:
        init = self.init
        if init == "auto":
            init = "he" if self.activation == "relu" else "xavier"
        sizes = [input_shape[0], *_check_hidden_layer_sizes(self.hidden_layer_sizes)]
        layers: list[Layer] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers.append(Dense(n_in, n_out, init=init, rng=rng))
            if self.batch_norm:
                layers.append(BatchNorm(n_out))
            layers.append(Activation(self.activation))
            if self.dropout > 0:
                layers.append(Dropout(self.dropout, rng=rng))
        # The output layer feeds the softmax: Xavier keeps its logits small at the start.
        layers.append(Dense(sizes[-1], n_outputs, init="xavier", rng=rng))
        return Sequential(layers)

    @property
    def coefs_(self) -> list[np.ndarray]:
        check_is_fitted(self)
        return [layer.params["W"] for layer in self.model_ if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        check_is_fitted(self)
        return [layer.params["b"] for layer in self.model_ if isinstance(layer, Dense)]

    @classmethod
    def from_weights(
        cls,
        coefs: Sequence[Any],
        intercepts: Sequence[Any],
        classes: Any,
        activation: str = "relu",
    ) -> MLPClassifier:
        """A fitted classifier with the given weights, e.g. scikit-learn's ``coefs_``.

        Parameters
        ----------
        coefs : list of array of shape (n_in, n_out)
            One weight matrix per layer, the last one the output layer.
        intercepts : list of array of shape (n_out,)
        classes : array_like
            The class labels; the output layer must have ``len(classes)``
            units, or one unit (a logistic output) for two classes.
        activation : {"relu", "sigmoid", "tanh"}
            Hidden activation (scikit-learn's ``"logistic"`` is ``"sigmoid"``).

        Returns
        -------
        MLPClassifier
            Ready for ``predict``/``predict_proba``; its forward pass equals
            scikit-learn's for the same weights.
        """
        check_option(activation, "activation", tuple(ACTIVATIONS))
        coefs, intercepts = list(coefs), list(intercepts)
        if len(coefs) == 0 or len(coefs) != len(intercepts):
            raise ValueError(
                f"coefs has {len(coefs)} matrices and intercepts {len(intercepts)} vectors; "
                "give one of each per layer (at least the output layer)"
            )
        dense = [Dense.from_weights(W, b) for W, b in zip(coefs, intercepts, strict=True)]
        for i in range(1, len(dense)):
            n_prev = dense[i - 1].params["W"].shape[1]
            n_in = dense[i].params["W"].shape[0]
            if n_in != n_prev:
                raise ValueError(
                    f"coefs[{i}] has {n_in} rows but coefs[{i - 1}] has {n_prev} columns; "
                    "each layer's inputs are the previous layer's outputs"
                )
        classes = np.asarray(classes)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(f"classes must list at least 2 labels, got {classes!r}")
        n_out = dense[-1].params["W"].shape[1]
        expected = 1 if len(classes) == 2 else len(classes)
        if n_out != expected:
            raise ValueError(
                f"the output layer has {n_out} units but there are {len(classes)} classes; "
                f"it needs {expected}"
            )
        layers: list[Layer] = []
        for layer in dense[:-1]:
            layers += [layer, Activation(activation)]
        layers.append(dense[-1])
        est = cls(
            hidden_layer_sizes=tuple(d.params["W"].shape[1] for d in dense[:-1]),
            activation=activation,
        )
        est._set_fitted(Sequential(layers), classes, (dense[0].params["W"].shape[0],))
        return est
