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

Inputs are assumed to be clean float64 arrays: validation happens once, at the
public boundary (:class:`mlmath.network.Sequential` users and the estimators).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .functional import _sigmoid

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "activation_backward",
    "activation_forward",
    "affine_backward",
    "affine_forward",
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

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-forward`.
    """
    Z = X @ W + b
    return Z, (X, W)


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
    X, W = cache
    dX = dZ @ W.T
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    return dX, dW, db


# --------------------------------------------------------------------------- activations


def relu_forward(Z: np.ndarray) -> tuple[np.ndarray, Any]:
    """Rectified linear unit :math:`A = \\max(0, Z)`, elementwise; any shape."""
    A = np.maximum(Z, 0.0)
    return A, Z


def relu_backward(dA: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dZ = dA \\odot \\mathbb{1}[Z > 0]` (the subgradient 0 is used at ``Z = 0``)."""
    Z = cache
    return dA * (Z > 0)


def sigmoid_forward(Z: np.ndarray) -> tuple[np.ndarray, Any]:
    """Logistic activation :math:`A = \\sigma(Z) = 1/(1 + e^{-Z})`, elementwise; any shape.

    The stable :func:`mlmath.functional.sigmoid` is used, so large ``|Z|`` never overflows.
    """
    A = _sigmoid(Z)
    return A, A


def sigmoid_backward(dA: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dZ = dA \\odot \\sigma(Z)(1 - \\sigma(Z))`; the derivative is at most 1/4."""
    A = cache
    return dA * A * (1.0 - A)


def tanh_forward(Z: np.ndarray) -> tuple[np.ndarray, Any]:
    """Hyperbolic tangent activation :math:`A = \\tanh(Z)`, elementwise; any shape."""
    A = np.tanh(Z)
    return A, A


def tanh_backward(dA: np.ndarray, cache: Any) -> np.ndarray:
    """:math:`dZ = dA \\odot (1 - \\tanh^2 Z)`."""
    A = cache
    return dA * (1.0 - A * A)


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
    return ACTIVATIONS[name][0](Z)


def activation_backward(dA: np.ndarray, cache: Any, name: str) -> np.ndarray:
    """Backward pass of the activation called ``name``."""
    return ACTIVATIONS[name][1](dA, cache)


# --------------------------------------------------------------------------- initialisation

#: Names of the weight initialisations accepted by :func:`init_weights`.
INITS = ("he", "xavier")


def init_weights(
    n_in: int, n_out: int, *, init: str = "he", rng: np.random.Generator
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

    Returns
    -------
    W : ndarray of shape (n_in, n_out)

    Notes
    -----
    Derived in Chapter 4, :ref:`sec-nn-init`.
    """
    if init == "xavier":
        r = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, size=(n_in, n_out))
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
    raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")
