"""Softmax cross-entropy (Chapter 3), as needed by Chapter 4's networks.

Placeholder written on branch ch4 because branch ch3 had not yet committed
its ``mlmath/logistic.py``; the signature is the one agreed with Chapter 3,
``softmax_cross_entropy(Z, y_index) -> (loss, dZ)``. When merging, keep
Chapter 3's version of this file (it has the same function).
"""

from __future__ import annotations

import numpy as np

from .functional import log_softmax

__all__ = ["softmax_cross_entropy"]


def softmax_cross_entropy(Z: np.ndarray, y_index: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of logits ``Z`` and its gradient.

    .. math:: L = -\\frac{1}{N}\\sum_{i} \\log \\operatorname{softmax}(Z_i)_{y_i},
              \\qquad \\frac{\\partial L}{\\partial Z} = \\frac{1}{N}(\\hat P - Y)

    where :math:`\\hat P = \\operatorname{softmax}(Z)` row-wise and :math:`Y` is
    the one-hot encoding of ``y_index``.

    Parameters
    ----------
    Z : ndarray of shape (N, C)
        Logits (class scores).
    y_index : ndarray of int, shape (N,)
        The true class of each row, in ``0..C-1``.

    Returns
    -------
    loss : float
    dZ : ndarray of shape (N, C)

    Notes
    -----
    Derived in Chapter 3, "Softmax regression".
    """
    N = Z.shape[0]
    log_P = log_softmax(Z)
    rows = np.arange(N)
    loss = -float(np.mean(log_P[rows, y_index]))
    dZ = np.exp(log_P)
    dZ[rows, y_index] -= 1.0
    dZ /= N
    return loss, dZ
