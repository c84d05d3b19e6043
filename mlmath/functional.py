"""Numerically stable elementwise and row-wise functions shared across chapters.

``sigmoid`` and ``softmax`` appear in
:doc:`Chapter 3 </chapters/03_logistic_regression>` (logistic and softmax
regression) and again as activations and the output layer in Chapter 4.
They are written so that no input, however large, overflows.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_sigmoid", "log_softmax", "sigmoid", "softmax"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function :math:`\\sigma(z) = 1 / (1 + e^{-z})`, stable for any ``z``.

    For ``z < 0`` it uses the equal form :math:`e^{z} / (1 + e^{z})`, so that
    ``exp`` is only ever taken of a non-positive number (no overflow at -1000).
    Derived in Chapter 3, :ref:`sec-sigmoid` and :ref:`sec-sigmoid-stable`.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """:math:`\\log \\sigma(z) = -\\log(1 + e^{-z})`, computed without overflow.

    The stable loss of Chapter 3, :ref:`sec-stable-loss`, is built on it.
    """
    z = np.asarray(z, dtype=np.float64)
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise :math:`\\log \\mathrm{softmax}`: ``Z`` of shape (N, C) -> (N, C).

    Subtracting the row maximum first leaves the result unchanged (softmax is
    invariant to adding a constant to a row) and keeps ``exp`` below 1.
    Derived in Chapter 3, :ref:`sec-softmax`.
    """
    Z = np.asarray(Z, dtype=np.float64)
    shifted = Z - Z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax: ``Z`` of shape (N, C) -> probabilities of shape (N, C).

    Derived in Chapter 3, :ref:`sec-softmax`.
    """
    return np.exp(log_softmax(Z))
