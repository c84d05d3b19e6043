"""Layers of a neural network as pure forward/backward pairs (Chapter 4).

This is the functional core that :mod:`mlmath.network` composes. Every layer
is two functions written side by side, in the style of cs231n's ``layers.py``:

* ``*_forward(inputs...) -> (out, cache)`` computes the layer and returns
  whatever the backward pass will need;
* ``*_backward(dout, cache) -> grads`` takes the upstream gradient
  :math:`\\partial L / \\partial \\text{out}` (same shape as ``out``) and
  returns the gradient with respect to each input, in the order the forward
  function took them.

Each backward function is exactly what :func:`mlmath.gradcheck.gradcheck`
checks with ``dout=``: the gradient of ``sum(forward(x) * dout)``.

Contract shared with Chapter 5 (convolution and pooling follow the same
pattern)::

    affine_forward(X, W, b) -> (Z, cache)      # X (N, D), W (D, M), b (M,)
    affine_backward(dZ, cache) -> (dX, dW, db)
    relu_forward(Z) -> (A, cache);    relu_backward(dA, cache) -> dZ
    sigmoid_forward / sigmoid_backward, tanh_forward / tanh_backward likewise
    ACTIVATIONS[name] -> (forward, backward)   for name in "relu", "sigmoid", "tanh"
    init_weights(n_in, n_out, init="he"|"xavier", rng=...) -> W (n_in, n_out)
    dropout_forward(X, p, rng, train) -> (out, cache); dropout_backward(dout, cache) -> dX
    batchnorm_forward(X, gamma, beta, eps) -> (out, cache)   # X (N, D), training mode
    batchnorm_backward(dout, cache) -> (dX, dgamma, dbeta)

Every function keeps its input's floating dtype: float32 in, float32 out
(caches and gradients too), float64 in, float64 out; integer input becomes
float64. Mixed float32/float64 arguments follow numpy's promotion (float64).

These functions run inside the training loop, so they check only what is
cheap: that the inputs are numeric arrays (``None`` and strings get a
``TypeError``), that shapes fit together, and that a backward function is
given its own forward's cache. The values themselves (NaN, overflow) are the
training loop's to watch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ._validation import (
    _describe,
    as_float_array,
    check_float_dtype,
    check_option,
    check_random_state,
    check_scalar,
)
from .functional import _sigmoid

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "activation_backward",
    "activation_forward",
    "affine_backward",
    "affine_forward",
    "batchnorm_backward",
    "batchnorm_forward",
    "dropout_backward",
    "dropout_forward",
    "init_weights",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "tanh_backward",
    "tanh_forward",
]


# --------------------------------------------------------------------------- affine


def affine_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """Affine (dense, fully connected) layer :math:`Z = XW + \\mathbf{1}b^\\top`.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        A mini-batch, one sample per row.
    W : ndarray of shape (D, M)
        Weights; column ``j`` holds the incoming weights of neuron ``j``.
    b : ndarray of shape (M,)
        Biases, broadcast over the rows.

    Returns
    -------
    Z : ndarray of shape (N, M)
        Pre-activations.
    cache : tuple
        ``(X, W)`` for :func:`affine_backward`.

    Raises
    ------
    ValueError
        Shapes that do not fit: ``X`` must have one column per row of ``W``,
        ``b`` one entry per column.
    TypeError
        Non-numeric input.

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-forward`.
    """
    X, W, b = as_float_array(X, name="X"), as_float_array(W, name="W"), as_float_array(b, name="b")
    if W.ndim != 2 or b.ndim != 1 or W.shape[1] != b.shape[0]:
        raise ValueError(
            f"W must have shape (D, M) and b shape (M,), got W of shape {W.shape} and b of "
            f"shape {b.shape}"
        )
    if X.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(
            f"X has shape {X.shape} but W has shape {W.shape}: X must be 2-D (N, D) with "
            f"D = {W.shape[0]} columns, one per row of W"
        )
    Z = X @ W + b
    return Z, _AffineCache(X, W)


class _AffineCache(NamedTuple):
    """What :func:`affine_forward` passes to :func:`affine_backward`."""

    X: np.ndarray
    W: np.ndarray


def _check_cache(cache: Any, kind: type, forward: str) -> None:
    if not isinstance(cache, kind):
        raise TypeError(
            f"cache must be the cache returned by {forward} (its second output), "
            f"got {_describe(cache)}"
        )


def _check_upstream(d: Any, name: str, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The upstream gradient must have the shape of the forward output."""
    d = as_float_array(d, name=name)
    if d.shape != shape:
        raise ValueError(
            f"{name} has shape {d.shape} but the forward output ({what}) had shape {shape}"
        )
    return d


def affine_backward(dZ: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the affine layer.

    .. math:: \\frac{\\partial L}{\\partial X} = \\delta W^\\top,\\quad
              \\frac{\\partial L}{\\partial W} = X^\\top \\delta,\\quad
              \\frac{\\partial L}{\\partial b} = \\delta^\\top \\mathbf{1}

    where :math:`\\delta = \\partial L / \\partial Z`.

    Parameters
    ----------
    dZ : ndarray of shape (N, M)
        Upstream gradient :math:`\\delta`.
    cache : tuple
        From :func:`affine_forward`.

    Returns
    -------
    dX : ndarray of shape (N, D)
    dW : ndarray of shape (D, M)
    db : ndarray of shape (M,)

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-backprop`.
    """
    _check_cache(cache, _AffineCache, "affine_forward")
    X, W = cache
    dZ = _check_upstream(dZ, "dZ", (X.shape[0], W.shape[1]), "Z")
    dX = dZ @ W.T
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    return dX, dW, db


# --------------------------------------------------------------------------- activations


def relu_forward(Z: np.ndarray) -> tuple[np.ndarray, Any]:
    """Rectified linear unit :math:`A = \\max(0, Z)`, elementwise; any shape."""
    Z = as_float_array(Z, name="Z")
    A = np.maximum(Z, 0.0)
    return A, Z


def _activation_cache(cache: Any, forward: str) -> np.ndarray:
    _check_cache(cache, np.ndarray, forward)
    return cache


def relu_backward(dA: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dZ = dA \\odot \\mathbb{1}[Z > 0]` (the subgradient 0 is used at ``Z = 0``)."""
    Z = _activation_cache(cache, "relu_forward")
    return _check_upstream(dA, "dA", Z.shape, "A") * (Z > 0)


def sigmoid_forward(Z: np.ndarray) -> tuple[np.ndarray, Any]:
    """Logistic activation :math:`A = \\sigma(Z) = 1/(1 + e^{-Z})`, elementwise; any shape.

    The stable :func:`mlmath.functional.sigmoid` is used, so large ``|Z|`` never overflows.
    """
    A = _sigmoid(as_float_array(Z, name="Z"))
    return A, A


def sigmoid_backward(dA: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dZ = dA \\odot \\sigma(Z)(1 - \\sigma(Z))`; the derivative is at most 1/4."""
    A = _activation_cache(cache, "sigmoid_forward")
    return _check_upstream(dA, "dA", A.shape, "A") * A * (1.0 - A)


def tanh_forward(Z: np.ndarray) -> tuple[np.ndarray, Any]:
    """Hyperbolic tangent activation :math:`A = \\tanh(Z)`, elementwise; any shape."""
    A = np.tanh(as_float_array(Z, name="Z"))
    return A, A


def tanh_backward(dA: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dZ = dA \\odot (1 - \\tanh^2 Z)`."""
    A = _activation_cache(cache, "tanh_forward")
    return _check_upstream(dA, "dA", A.shape, "A") * (1.0 - A * A)


#: Activation functions by the names used everywhere in the book and the package:
#: ``ACTIVATIONS[name] == (forward, backward)``. Derivatives are derived in
#: Chapter 4, :ref:`sec-nn-activations`.
ACTIVATIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def activation_forward(Z: np.ndarray, name: str) -> tuple[np.ndarray, Any]:
    """Apply the activation called ``name`` (a key of :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[check_option(name, "name", tuple(ACTIVATIONS))][0](Z)


def activation_backward(dA: np.ndarray, cache: Any, name: str) -> np.ndarray:
    """Backward pass of the activation called ``name``."""
    return ACTIVATIONS[check_option(name, "name", tuple(ACTIVATIONS))][1](dA, cache)


# --------------------------------------------------------------------------- initialisation

#: Names of the weight initialisations accepted by :func:`init_weights`.
INITS = ("he", "xavier")


def init_weights(
    n_in: int,
    n_out: int,
    *,
    init: str = "he",
    rng: np.random.Generator,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Random weights of shape (n_in, n_out) that keep activations at a stable scale.

    * ``"xavier"`` (Glorot and Bengio, 2010): uniform on :math:`[-r, r]` with
      :math:`r = \\sqrt{6 / (n_{in} + n_{out})}`, so that
      :math:`\\operatorname{Var} W = 2 / (n_{in} + n_{out})`; suited to tanh and
      sigmoid. (This is the uniform initialisation scikit-learn's
      ``MLPClassifier`` uses for tanh and ReLU.)
    * ``"he"`` (He et al., 2015): normal with
      :math:`\\operatorname{Var} W = 2 / n_{in}`, which compensates for ReLU
      zeroing half its inputs.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out of the layer.
    init : {"he", "xavier"}
    rng : numpy.random.Generator
        The only source of randomness: same generator state, same weights.
    dtype : np.float64 or np.float32, default np.float64
        The weights are drawn in float64 and rounded to ``dtype``, so the
        same seed gives the same weights (to float32 precision) in both.

    Returns
    -------
    W : ndarray of shape (n_in, n_out), of ``dtype``

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-nn-init`.
    """
    n_in = check_scalar(n_in, "n_in", kind=int, low=1)
    n_out = check_scalar(n_out, "n_out", kind=int, low=1)
    check_option(init, "init", INITS)
    rng = check_random_state(rng)
    dtype = check_float_dtype(dtype)
    if init == "xavier":
        r = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, size=(n_in, n_out)).astype(dtype, copy=False)
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)).astype(dtype, copy=False)
    raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")


# --------------------------------------------------------------------------- dropout


class _DropoutCache(NamedTuple):
    """What :func:`dropout_forward` passes to :func:`dropout_backward`."""

    mask: np.ndarray | None  # kept entries / (1 - p); None when nothing was dropped
    shape: tuple[int, ...]


def check_dropout_rate(p: Any) -> float:
    """``p`` must be a probability in [0, 1): ``p = 1`` would drop every unit."""
    return check_scalar(p, "p (the dropout rate)", low=0.0, high=1.0, include_high=False)


def dropout_forward(
    X: np.ndarray, p: float, rng: np.random.Generator, train: bool = True
) -> tuple[np.ndarray, Any]:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by 1/(1 - p).

    The scaling makes :math:`\\mathbb{E}[\\text{out}] = X` entry by entry, so
    at inference (``train=False``) the layer is the identity and nothing needs
    rescaling.

    Parameters
    ----------
    X : ndarray of any shape
        Activations.
    p : float in [0, 1)
        Probability of dropping an entry.
    rng : numpy.random.Generator
        Draws the mask (one uniform number per entry) in training mode; not
        touched when ``train`` is False or ``p == 0``.
    train : bool, default True
        Training mode (random mask) or inference mode (identity).

    Returns
    -------
    out : ndarray, the shape of ``X``
    cache : for :func:`dropout_backward` (the scaled mask).

    Raises
    ------
    ValueError
        ``p`` outside [0, 1).

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-dropout`.
    """
    return _dropout_forward(as_float_array(X, name="X"), check_dropout_rate(p), rng, train)


def _dropout_forward(
    X: np.ndarray, p: float, rng: np.random.Generator, train: bool
) -> tuple[np.ndarray, Any]:
    """:func:`dropout_forward` on a checked array and rate (the :class:`Dropout` layer's path)."""
    if not train or p == 0.0:
        return X, _DropoutCache(None, X.shape)
    # Drawn in float64 whatever X's dtype, so a seed gives the same mask in float32.
    mask = (rng.random(X.shape) >= p).astype(X.dtype) / (1.0 - p)
    return X * mask, _DropoutCache(mask, X.shape)


def dropout_backward(dout: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dX = dout \\odot m`, with the same scaled mask :math:`m` as the forward pass."""
    _check_cache(cache, _DropoutCache, "dropout_forward")
    dout = _check_upstream(dout, "dout", cache.shape, "out")
    return dout if cache.mask is None else dout * cache.mask


# --------------------------------------------------------------------------- batch normalisation


class _BatchNormCache(NamedTuple):
    """What :func:`batchnorm_forward` passes to :func:`batchnorm_backward`."""

    X_hat: np.ndarray  # (N, D) normalised input
    gamma: np.ndarray  # (D,)
    inv_std: np.ndarray  # (D,) 1 / sqrt(var + eps)
    mean: np.ndarray  # (D,) batch mean
    var: np.ndarray  # (D,) batch variance (biased: divided by N)


def check_eps(eps: Any) -> float:
    """The variance offset of batch normalisation must be a positive number."""
    return check_scalar(eps, "eps", low=0.0, include_low=False, finite=True)


def _check_scale_shift(X: np.ndarray, gamma: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta = as_float_array(gamma, name="gamma"), as_float_array(beta, name="beta")
    if X.ndim != 2 or gamma.shape != (X.shape[1],) or beta.shape != (X.shape[1],):
        raise ValueError(
            f"X must be 2-D (N, D) with gamma and beta of shape (D,); got X of shape "
            f"{X.shape}, gamma {gamma.shape} and beta {beta.shape}"
        )
    return gamma, beta


def batchnorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, Any]:
    """Batch normalisation in training mode: standardise each column over the batch.

    .. math:: \\hat X = \\frac{X - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}, \\qquad
              \\text{out} = \\hat X \\odot \\gamma + \\beta

    with :math:`\\mu, \\sigma^2` the mean and biased variance (divided by
    :math:`N`) of each column over the :math:`N` rows.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        A mini-batch of pre-activations. (A per-channel version for images
        reshapes (N, C, H, W) to rows (N H W, C) and calls this.)
    gamma, beta : ndarray of shape (D,)
        Learned scale and shift.
    eps : float > 0, default 1e-5
        Added to the variance, so a constant column does not divide by zero.

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : for :func:`batchnorm_backward`; also carries ``cache.mean`` and
        ``cache.var``, the batch statistics a layer folds into its running averages.

    Raises
    ------
    ValueError
        Shapes that do not fit, or ``eps <= 0``.

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-batchnorm`.
    """
    X = as_float_array(X, name="X")
    gamma, beta = _check_scale_shift(X, gamma, beta)
    return _batchnorm_forward(X, gamma, beta, check_eps(eps))


def _batchnorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, Any]:
    """:func:`batchnorm_forward` on checked arrays (the :class:`BatchNorm` layer's path)."""
    if X.shape[0] == 0:
        raise ValueError("X has no rows: batch statistics need at least one sample")
    mean = X.mean(axis=0)
    var = X.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    X_hat = (X - mean) * inv_std
    return X_hat * gamma + beta, _BatchNormCache(X_hat, gamma, inv_std, mean, var)


def batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`batchnorm_forward`, in the compact matrix form.

    With :math:`G = dout \\odot \\gamma` (the gradient with respect to :math:`\\hat X`)
    and column means over the batch written :math:`\\overline{\\,\\cdot\\,}`:

    .. math:: dX = \\frac{1}{\\sqrt{\\sigma^2+\\epsilon}}
              \\left(G - \\overline{G} - \\hat X \\odot \\overline{G \\odot \\hat X}\\right),
              \\quad d\\gamma = \\sum_i (dout \\odot \\hat X)_i, \\quad
              d\\beta = \\sum_i dout_i.

    The two subtracted terms are the gradient's components along the
    directions the normalisation removes: a shift of a column (the mean) and
    a scaling of it (the variance).

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : from :func:`batchnorm_forward`

    Returns
    -------
    dX : ndarray of shape (N, D)
    dgamma, dbeta : ndarray of shape (D,)

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-batchnorm`.
    """
    _check_cache(cache, _BatchNormCache, "batchnorm_forward")
    X_hat = cache.X_hat
    dout = _check_upstream(dout, "dout", X_hat.shape, "out")
    dbeta = dout.sum(axis=0)
    dgamma = (dout * X_hat).sum(axis=0)
    G = dout * cache.gamma
    dX = cache.inv_std * (G - G.mean(axis=0) - X_hat * (G * X_hat).mean(axis=0))
    return dX, dgamma, dbeta
