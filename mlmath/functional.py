"""Numerically stable elementwise and row-wise functions shared across chapters.

``sigmoid`` and ``softmax`` appear in
:doc:`Chapter 3 </chapters/03_logistic_regression>` (logistic and softmax
regression) and again as activations and the output layer in Chapter 4.
They are written so that no input, however large, overflows.

Infinite logits are taken as the limits they stand for. A logit of
:math:`-\\infty` is a probability of exactly 0 (:math:`\\sigma(-\\infty) = 0`,
and a class with logit :math:`-\\infty` gets softmax probability 0: a mask); a
logit of :math:`+\\infty` is certainty (:math:`\\sigma(+\\infty) = 1`, and a row
of ``softmax`` with one :math:`+\\infty` is one-hot there). Where no limit
exists the input is refused with a ``ValueError`` that names the row: two or
more :math:`+\\infty` in one row (which of them wins depends on how they were
reached), or a row that is all :math:`-\\infty` (no class has any
probability). NaN, ``None``, strings, complex numbers and empty arrays are
refused as well, with a ``TypeError`` or ``ValueError`` that names the argument,
never turned into NaN.

The public functions validate their input; the training loops of the
estimators call the unchecked ``_sigmoid`` and ``_log_softmax``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_array

__all__ = ["log_sigmoid", "log_softmax", "sigmoid", "softmax"]

_ANY_NDIM = range(0, 33)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # in [0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    shifted = Z - Z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sigmoid(z: Any) -> np.ndarray:
    """Logistic function :math:`\\sigma(z) = 1 / (1 + e^{-z})`, stable for any ``z``.

    For ``z < 0`` it uses the equal form :math:`e^{z} / (1 + e^{z})`, so that
    ``exp`` is only ever taken of a non-positive number (no overflow at -1000).
    Derived in Chapter 3, :ref:`sec-sigmoid` and :ref:`sec-sigmoid-stable`.

    Parameters
    ----------
    z : array_like of any shape
        Real logits; :math:`\\pm\\infty` give 1 and 0.

    Returns
    -------
    ndarray of float64, the shape of ``z``
    """
    return _sigmoid(check_array(z, name="z", ndim=_ANY_NDIM, allow_inf=True))


def log_sigmoid(z: Any) -> np.ndarray:
    """:math:`\\log \\sigma(z) = -\\log(1 + e^{-z})`, computed without overflow.

    The stable loss of Chapter 3, :ref:`sec-stable-loss`, is built on it.

    Parameters
    ----------
    z : array_like of any shape
        Real logits; :math:`+\\infty` gives 0 and :math:`-\\infty` gives
        :math:`-\\infty` (the log of probability 0).

    Returns
    -------
    ndarray of float64, the shape of ``z``
    """
    return _log_sigmoid(check_array(z, name="z", ndim=_ANY_NDIM, allow_inf=True))


def _check_logit_rows(Z: Any) -> np.ndarray:
    """Validate logits for the softmax: rows along the last axis, infinities with a limit."""
    Z = check_array(Z, name="Z", ndim=(1, 2), allow_inf=True)
    if np.isfinite(Z).all():
        return Z
    rows = Z.reshape(-1, Z.shape[-1])
    n_pos = np.sum(rows == np.inf, axis=1)
    if (n_pos > 1).any():
        i = int(np.argmax(n_pos > 1))
        raise ValueError(
            f"Z row {i} has {int(n_pos[i])} logits equal to +inf; the softmax of a row has a "
            "limit only with at most one +inf (which +inf wins depends on how they were "
            "reached): scale or clip the logits"
        )
    empty = np.all(rows == -np.inf, axis=1)
    if empty.any():
        i = int(np.argmax(empty))
        raise ValueError(
            f"Z row {i} is -inf in all its {rows.shape[1]} entries: every class has "
            "probability 0, so there is no distribution to normalise"
        )
    return Z


def log_softmax(Z: Any) -> np.ndarray:
    """Row-wise :math:`\\log \\mathrm{softmax}`: ``Z`` of shape (N, K) -> (N, K).

    Subtracting the row maximum first leaves the result unchanged (softmax is
    invariant to adding a constant to a row) and keeps ``exp`` below 1.
    Derived in Chapter 3, :ref:`sec-softmax`.

    Parameters
    ----------
    Z : array_like of shape (N, K) or (K,)
        Logits, one row per sample (the softmax is taken along the last
        axis). :math:`-\\infty` entries get probability 0; a row with one
        :math:`+\\infty` is certain of that class (see the module notes).

    Returns
    -------
    ndarray of float64, the shape of ``Z``

    Raises
    ------
    ValueError
        A row with two or more :math:`+\\infty`, or with only :math:`-\\infty`.
    """
    Z = _check_logit_rows(Z)
    certain = np.any(Z == np.inf, axis=-1, keepdims=True)
    if not certain.any():
        return _log_softmax(Z)
    # Rows with one +inf: the limit is log 1 = 0 there and log 0 = -inf elsewhere.
    out = _log_softmax(np.where(certain, 0.0, Z))
    return np.where(certain, np.where(Z == np.inf, 0.0, -np.inf), out)


def softmax(Z: Any) -> np.ndarray:
    """Row-wise softmax: ``Z`` of shape (N, K) -> probabilities of shape (N, K).

    Derived in Chapter 3, :ref:`sec-softmax`. Arguments as for
    :func:`log_softmax`, whose exponential it is: each row sums to 1.
    """
    return np.exp(log_softmax(Z))
