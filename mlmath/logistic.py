"""Logistic and softmax regression (Chapter 3).

The model is :math:`p = \\sigma(z)`, :math:`z = X w + b`: the probability that
a sample belongs to the positive class. Maximising the Bernoulli likelihood of
the labels is minimising the cross-entropy (Chapter 3,
:ref:`sec-cross-entropy`). With the parameters stacked as
:math:`\\theta = (w, b)` and a column of ones appended to ``X`` (written
:math:`X_1 = [X \\; \\mathbf 1]`), the cost that :class:`LogisticRegression`
minimises is

.. math::

    J(\\theta) = \\frac1N \\Big[\\sum_{i=1}^N \\big(-y_i \\log p_i
                 - (1 - y_i) \\log(1 - p_i)\\big) + \\frac{\\|w\\|^2}{2C}\\Big],

scikit-learn's objective divided by ``N`` (same minimiser; the ``1/N`` keeps
gradient descent's learning rate independent of the sample size). Its
gradient and Hessian (Chapter 3, :ref:`sec-gradient-hessian`) are

.. math::

    \\nabla J = \\tfrac1N \\big[X_1^\\top (p - y) + (w, 0) / C\\big], \\qquad
    \\nabla^2 J = \\tfrac1N \\big[X_1^\\top R X_1
                  + \\mathrm{diag}(1, \\dots, 1, 0) / C\\big],

with :math:`R = \\mathrm{diag}(p_i (1 - p_i))`. The intercept is not penalised.
With sample weights :math:`s_i` each loss term is multiplied by :math:`s_i`
and :math:`N` becomes :math:`\\sum_i s_i`.

With K > 2 classes the same estimator fits softmax regression, whose loss is
:func:`softmax_cross_entropy` (Chapter 3, :ref:`sec-softmax`); Chapter 4 uses
that loss as the output layer of a network. Both costs are minimised by the
one Newton loop of ``mlmath._newton``, or by Chapter 2's gradient descent.
The stable :func:`~mlmath.functional.sigmoid` is re-exported from here.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._newton import newton
from ._scaling import check_representable, safe_shift, scale_by
from ._validation import (
    check_array,
    check_classification_targets,
    check_consistent_length,
    check_is_fitted,
    check_n_features,
    check_option,
    check_sample_weight,
    check_scalar,
    check_X_y,
)
from .base import BaseEstimator, ClassifierMixin
from .exceptions import ConvergenceWarning, SeparationWarning
from .functional import _log_softmax, _sigmoid, log_sigmoid, log_softmax, sigmoid, softmax
from .optim import gradient_descent

__all__ = [
    "LogisticRegression",
    "binary_cross_entropy_with_logits",
    "log_loss",
    "logistic_cost",
    "logistic_gradient",
    "logistic_hessian",
    "sigmoid",
    "softmax_cross_entropy",
]

SOLVERS = ("newton", "gd")
#: Rows per block when the binary Hessian is summed block by block: a block of B stays
#: in cache (4096 rows of 51 doubles are 1.7 MB).
HESSIAN_BLOCK = 4096
DEFAULT_MAX_ITER = {"newton": 100, "gd": 10_000}


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------


def log_loss(y: Any, p: Any) -> float:
    """Mean binary cross-entropy from probabilities (Chapter 3, :ref:`sec-cross-entropy`).

    .. math:: \\ell = -\\frac1N \\sum_i \\big[y_i \\log p_i + (1 - y_i) \\log(1 - p_i)\\big]

    with the convention :math:`0 \\log 0 = 0`, so a confident correct
    prediction (``p = 1`` for ``y = 1``) costs exactly 0. A confident wrong
    one (``p = 0`` for ``y = 1``) costs exactly ``inf`` (no warning): the
    probability has rounded to 0 and the information needed for a finite
    answer is gone. When you have the logits, use
    :func:`binary_cross_entropy_with_logits`, which stays finite and exact.

    Parameters
    ----------
    y : array_like of shape (N,)
        Targets in :math:`[0, 1]` (usually 0 or 1).
    p : array_like of shape (N,)
        Predicted probabilities of the positive class, in :math:`[0, 1]`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(log_loss([1, 0], [0.8, 0.1]), 6)
    0.164252
    """
    y = _check_unit_interval(y, "y")
    p = _check_unit_interval(p, "p")
    check_consistent_length(y=y, p=p)
    loss = np.zeros_like(p)
    pos, neg = y > 0, y < 1  # where each term has a non-zero weight (0 log 0 = 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the honest answer
        loss[pos] -= y[pos] * np.log(p[pos])
        loss[neg] -= (1.0 - y[neg]) * np.log1p(-p[neg])
    return float(loss.mean())


def binary_cross_entropy_with_logits(y: Any, z: Any) -> float:
    """Mean binary cross-entropy computed from the logits ``z`` (never from ``sigmoid(z)``).

    .. math:: \\ell = -\\frac1N \\sum_i \\big[y_i \\log \\sigma(z_i)
              + (1 - y_i) \\log \\sigma(-z_i)\\big]

    using :math:`1 - \\sigma(z) = \\sigma(-z)` and the stable
    :func:`~mlmath.functional.log_sigmoid`: at ``z = -1000`` and ``y = 1``
    the loss is exactly 1000, where ``log_loss(1, sigmoid(-1000))`` is ``inf``.
    Derived in Chapter 3, :ref:`sec-stable-loss`.

    Parameters
    ----------
    y : array_like of shape (N,)
        Targets in :math:`[0, 1]`.
    z : array_like of shape (N,)
        Logits :math:`z = X w + b`, any real numbers.

    Returns
    -------
    float
    """
    y = _check_unit_interval(y, "y")
    z = check_array(z, name="z", ndim=1)
    check_consistent_length(y=y, z=z)
    return float(np.mean(_bce_terms(y, z)))


def _bce_terms(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy from logits; no validation (hot loop).

    :math:`-[y \\log \\sigma(z) + (1 - y) \\log \\sigma(-z)] = \\operatorname{softplus}(z) - y z`,
    since :math:`\\log \\sigma(z) = z - \\operatorname{softplus}(z)` and
    :math:`\\log \\sigma(-z) = -\\operatorname{softplus}(z)`; with
    :math:`\\operatorname{softplus}(z) = \\max(z, 0) + \\log(1 + e^{-|z|})` it takes
    one exponential and never overflows.
    """
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z


def softmax_cross_entropy(Z: Any, y_index: Any) -> tuple[float, np.ndarray]:
    """Softmax followed by cross-entropy, and its gradient with respect to the logits.

    Derived in Chapter 3, :ref:`sec-softmax`; the output layer of
    Chapter 4's networks. With :math:`\\hat Y = \\mathrm{softmax}(Z)` row by row and
    :math:`Y` the one-hot encoding of ``y_index``,

    .. math::

        L = -\\frac1N \\sum_{i=1}^N \\log \\hat Y_{i, y_i}, \\qquad
        \\frac{\\partial L}{\\partial Z} = \\frac1N (\\hat Y - Y).

    The log-probabilities come from :func:`~mlmath.functional.log_softmax`,
    so logits of any size are safe.

    Parameters
    ----------
    Z : array_like of shape (N, K)
        Logits (scores), one row per sample, one column per class.
    y_index : array_like of int, shape (N,)
        The true class of each sample, as a column index ``0 <= y_index[i] < K``
        (``LogisticRegression`` and the classifiers store the labels these
        stand for in ``classes_``).

    Returns
    -------
    loss : float
        The mean cross-entropy over the N rows.
    dZ : ndarray of shape (N, K)
        Gradient of ``loss`` with respect to ``Z``; each row sums to 0.

    Examples
    --------
    >>> import numpy as np
    >>> loss, dZ = softmax_cross_entropy(np.zeros((2, 4)), [0, 3])
    >>> round(loss, 6) == round(float(np.log(4)), 6), dZ.shape
    (True, (2, 4))
    """
    Z = check_array(Z, name="Z", ndim=2)
    y_index = _check_class_index(y_index, Z.shape[1])
    check_consistent_length(Z=Z, y_index=y_index)
    terms, dZ = _softmax_ce_terms(Z, y_index)
    return float(terms.mean()), dZ / Z.shape[0]


def _softmax_ce_terms(Z: np.ndarray, y_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample :math:`-\\log \\hat Y_{i, y_i}`, shape (N,), and :math:`\\hat Y - Y`, (N, K).

    No validation: it sits in the solvers' inner loops.
    """
    log_Y_hat = _log_softmax(Z)  # (N, K)
    rows = np.arange(Z.shape[0])
    dZ = np.exp(log_Y_hat)  # softmax(Z), from the logarithms already computed
    dZ[rows, y_index] -= 1.0
    return -log_Y_hat[rows, y_index], dZ


def _check_unit_interval(v: Any, name: str) -> np.ndarray:
    v = check_array(v, name=name, ndim=1)
    outside = (v < 0.0) | (v > 1.0)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(
            f"{name} must lie in [0, 1], but {int(outside.sum())} value(s) do not, "
            f"the first at index {i} (value {v[i]})"
            + ("; y holds labels other than 0 and 1? encode them first" if name == "y" else "")
        )
    return v


def _check_class_index(y_index: Any, K: int) -> np.ndarray:
    arr = np.asarray(y_index)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"y_index must hold integer class indices 0..{K - 1}, got dtype {arr.dtype}; "
            "encode labels with np.unique(y, return_inverse=True)"
        )
    if arr.ndim != 1:
        raise ValueError(f"y_index must be 1-D of shape (N,), but it has shape {arr.shape}")
    bad = (arr < 0) | (arr >= K)
    if bad.any():
        raise ValueError(
            f"y_index must lie in 0..{K - 1} (Z has {K} columns), but it holds "
            f"{arr[bad][:5].tolist()}"
        )
    return arr.astype(np.int64)


# --------------------------------------------------------------------------
# Cost, gradient and Hessian of the (regularised) logistic regression
# --------------------------------------------------------------------------


def _design(X: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """:math:`\\tilde X = [X, 1]` of shape (N, D + 1), or ``X`` itself."""
    return np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X


def _penalty(n_params: int, C: float, fit_intercept: bool) -> np.ndarray:
    """Diagonal of the penalty's Hessian: 1/C for each weight, 0 for the intercept."""
    alpha = np.full(n_params, 0.0 if np.isinf(C) else 1.0 / C)
    if fit_intercept:
        alpha[-1] = 0.0
    return alpha


class _Binary:
    """The cost :math:`J` of binary logistic regression and its derivatives.

    Each is a function of the logits :math:`z = X_1 \\theta`, which the Newton
    loop (``mlmath._newton``) computes once per iterate and shares. With
    sample weights :math:`s_i` the loss terms are weighted and the sum is
    divided by :math:`\\sum_i s_i` instead of :math:`N`, so a weight of 0 is
    exactly a dropped sample and a weight of 2 a repeated one.

    :math:`X_1 = [X \\; \\mathbf 1]` is never formed (it would be a copy of
    ``X``): its products are written out, :math:`X_1 \\theta = X w + b` and
    :math:`X_1^\\top v = (X^\\top v, \\sum_i v_i)`.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Targets in [0, 1].
    alpha : ndarray of shape (P,)
        Diagonal of the penalty's Hessian (see :func:`_penalty`); P = D + 1
        with an intercept (the last parameter), D without.
    fit_intercept : bool
    sample_weight : ndarray of shape (N,) or None
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        alpha: np.ndarray,
        fit_intercept: bool,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        self.X, self.y, self.alpha, self.sw = X, y, alpha, sample_weight
        self.intercept = fit_intercept
        self.n = float(len(y) if sample_weight is None else sample_weight.sum())
        self._buffer: np.ndarray | None = None  # rows of R^(1/2) X1, rewritten by each Hessian

    def _weighted(self, v: np.ndarray) -> np.ndarray:
        return v if self.sw is None else self.sw * v

    def logits(self, theta: np.ndarray) -> np.ndarray:
        return self.X @ theta[:-1] + theta[-1] if self.intercept else self.X @ theta

    def cost(self, z: np.ndarray, theta: np.ndarray) -> float:
        loss = self._weighted(_bce_terms(self.y, z)).sum()
        return float((loss + 0.5 * np.sum(self.alpha * theta**2)) / self.n)

    def gradient(self, z: np.ndarray, theta: np.ndarray) -> np.ndarray:
        v = self._weighted(_sigmoid(z) - self.y)  # (N,)
        X1_v = np.append(self.X.T @ v, v.sum()) if self.intercept else self.X.T @ v
        return (X1_v + self.alpha * theta) / self.n

    def hessian(self, z: np.ndarray) -> np.ndarray:
        # p (1 - p) = sigma(z) sigma(-z) = e / (1 + e)^2 with e = exp(-|z|): one exponential,
        # no overflow, and none of the cancellation of 1 - p near p = 1.
        e = np.exp(-np.abs(z))
        sqrt_r = np.sqrt(self._weighted(e / (1.0 + e) ** 2))  # R^(1/2), the diagonal
        # X1^T R X1 = B^T B with B = R^(1/2) X1 = [R^(1/2) X, R^(1/2) 1], summed over blocks
        # of rows: sum_b B_b^T B_b. numpy computes each B_b.T @ B_b as a symmetric rank-k
        # update, half the work of a general product, and a block that stays in cache is
        # never written out to memory (measured 12-19% faster than one B of all N rows).
        N, D = self.X.shape
        if self._buffer is None:
            self._buffer = np.empty((min(N, HESSIAN_BLOCK), len(self.alpha)))
        H = np.diag(self.alpha)
        for start in range(0, N, HESSIAN_BLOCK):
            s = sqrt_r[start : start + HESSIAN_BLOCK]
            B = self._buffer[: len(s)]
            np.multiply(self.X[start : start + HESSIAN_BLOCK], s[:, None], out=B[:, :D])
            if self.intercept:
                B[:, -1] = s
            H += B.T @ B
        return H / self.n

    def separated(self, z: np.ndarray) -> bool:
        # every sample strictly on its own side: see _separates
        return bool(np.all((2.0 * self.y - 1.0) * z > 0.0))


class _Softmax:
    """The cost of softmax regression and its derivatives (Chapter 3, :ref:`sec-softmax`).

    The parameters are :math:`\\Theta` of shape (P, K), the weights ``W`` with
    the intercepts as a last row, so that the logits are :math:`Z = X_1
    \\Theta`. The cost is :math:`J = \\frac1N[\\sum_i -\\log \\hat Y_{i, y_i} +
    \\frac12 \\sum_{j, k} \\alpha_j \\Theta_{jk}^2]`, its gradient
    :math:`\\frac1N[X_1^\\top (\\hat Y - Y) + \\alpha \\odot \\Theta]`
    (the gradient derived in the chapter, plus the penalty's), with sample weights as in
    :class:`_Binary`.

    Adding one vector to every column of :math:`\\Theta` (the same shift to
    every class) leaves :math:`\\hat Y` unchanged, so the data term is flat
    along those directions. A penalised row is pinned by its penalty; an
    unpenalised one (the intercepts, or every row when ``C = inf``) is not, and
    its Hessian is singular there. :meth:`hessian` adds curvature along exactly
    those directions. Every gradient sums to zero over the classes (for the
    data term, :math:`\\sum_k (\\hat Y_{ik} - Y_{ik}) = 0`), so Newton's steps,
    from a start whose rows sum to zero, keep every row summing to zero: the
    symmetric choice scikit-learn reports too.
    """

    def __init__(
        self,
        X1: np.ndarray,
        y_index: np.ndarray,
        K: int,
        alpha: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        self.X1, self.y_index, self.K, self.alpha, self.sw = X1, y_index, K, alpha, sample_weight
        self.n = float(len(y_index) if sample_weight is None else sample_weight.sum())

    def logits(self, theta: np.ndarray) -> np.ndarray:
        return self.X1 @ theta  # (N, K)

    def cost(self, Z: np.ndarray, theta: np.ndarray) -> float:
        terms, _ = _softmax_ce_terms(Z, self.y_index)
        loss = terms.sum() if self.sw is None else self.sw @ terms
        return float((loss + 0.5 * np.sum(self.alpha[:, None] * theta**2)) / self.n)

    def gradient(self, Z: np.ndarray, theta: np.ndarray) -> np.ndarray:
        _, dZ = _softmax_ce_terms(Z, self.y_index)  # Y_hat - Y, (N, K)
        if self.sw is not None:
            dZ *= self.sw[:, None]
        return (self.X1.T @ dZ + self.alpha[:, None] * theta) / self.n

    def hessian(self, Z: np.ndarray) -> np.ndarray:
        # d^2 J / dTheta_jk dTheta_lm = (1/n) sum_i s_i x_ij x_il (y_ik [k = m] - y_ik y_im),
        # with y_ik = Y_hat[i, k]; parameters flattened in C order, index j * K + k.
        X1, K = self.X1, self.K
        N, P = X1.shape
        Y_hat = np.exp(_log_softmax(Z))  # softmax(Z), (N, K); unchecked: an inner loop
        sw = np.ones(N) if self.sw is None else self.sw
        B = (X1[:, :, None] * (Y_hat * np.sqrt(sw)[:, None])[:, None, :]).reshape(N, P * K)
        H = -(B.T @ B).reshape(P, K, P, K)  # the - y_ik y_im part
        for k in range(K):  # the diagonal part, one block per class
            H[:, k, :, k] += (X1 * (sw * Y_hat[:, k])[:, None]).T @ X1
        rows = np.arange(P)
        H[rows, :, rows, :] += self.alpha[:, None, None] * np.eye(K)
        # Curvature along the flat directions (one vector added to every class) of the
        # unpenalised rows. The gradient has no component along them, so this changes
        # no Newton step; it only makes H invertible.
        flat = rows[self.alpha == 0.0]
        block_scale = np.einsum("jkjk->j", H)[flat] / K  # the mean curvature of that row
        block_scale[block_scale <= 0.0] = 1.0  # a column of zeros: any scale will do
        H[flat, :, flat, :] += (block_scale / K)[:, None, None]
        return H.reshape(P * K, P * K) / self.n

    def separated(self, Z: np.ndarray) -> bool:
        # every sample's own class has the strictly largest logit
        rows = np.arange(Z.shape[0])
        own = Z[rows, self.y_index]
        others = Z.copy()
        others[rows, self.y_index] = -np.inf
        return bool(np.all(own > others.max(axis=1)))


def _check_theta_problem(
    theta: Any, X: Any, y: Any | None, C: Any, fit_intercept: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    X = check_array(X, name="X", ndim=2)
    if y is not None:
        y = _check_unit_interval(y, "y")
        check_consistent_length(X=X, y=y)
    C = check_scalar(C, "C", low=0.0, include_low=False)
    n_params = X.shape[1] + bool(fit_intercept)
    theta = check_array(theta, name="theta", ndim=1)
    if theta.shape[0] != n_params:
        extra = " (D weights, then the intercept b)" if fit_intercept else ""
        raise ValueError(
            f"theta has {theta.shape[0]} entries but X has {X.shape[1]} columns, so theta "
            f"needs {n_params}{extra}"
        )
    return theta, X, y, _penalty(n_params, C, bool(fit_intercept))


def logistic_cost(
    theta: Any, X: Any, y: Any, C: float = np.inf, fit_intercept: bool = True
) -> float:
    """The cost :math:`J(\\theta)` that :class:`LogisticRegression` minimises.

    :math:`J = \\frac1N[\\sum_i \\ell_i + \\|w\\|^2 / (2C)]`, the mean
    cross-entropy plus the L2 penalty (none when ``C = inf``). Derived in
    Chapter 3, :ref:`sec-cross-entropy`.

    Parameters
    ----------
    theta : array_like of shape (D + 1,) or (D,)
        The weights ``w`` followed by the intercept ``b`` (``(D,)`` when
        ``fit_intercept=False``).
    X : array_like of shape (N, D)
    y : array_like of shape (N,)
        Targets in {0, 1} (or in [0, 1]).
    C : float, default inf
        Inverse regularisation strength, ``> 0``.
    fit_intercept : bool, default True
        Whether the last entry of ``theta`` is an (unpenalised) intercept.

    Returns
    -------
    float
    """
    theta, X, y, alpha = _check_theta_problem(theta, X, y, C, fit_intercept)
    problem = _Binary(X, y, alpha, bool(fit_intercept))
    return problem.cost(problem.logits(theta), theta)


def logistic_gradient(
    theta: Any, X: Any, y: Any, C: float = np.inf, fit_intercept: bool = True
) -> np.ndarray:
    """Gradient :math:`\\nabla J = \\frac1N[X_1^\\top (p - y) + (w, 0)/C]`.

    Derived in Chapter 3, :ref:`sec-gradient-hessian`. Arguments as for
    :func:`logistic_cost`.

    Returns
    -------
    ndarray of shape (D + 1,) or (D,)
        Same layout as ``theta``.
    """
    theta, X, y, alpha = _check_theta_problem(theta, X, y, C, fit_intercept)
    problem = _Binary(X, y, alpha, bool(fit_intercept))
    return problem.gradient(problem.logits(theta), theta)


def logistic_hessian(
    theta: Any, X: Any, C: float = np.inf, fit_intercept: bool = True
) -> np.ndarray:
    """Hessian of the cost, :math:`\\frac1N[X_1^\\top R X_1 + \\mathrm{diag}(\\alpha)]`.

    :math:`R = \\mathrm{diag}(p_i(1 - p_i))` and :math:`\\alpha = (1/C, \\dots, 1/C, 0)`
    (the intercept is not penalised). Both have non-negative entries, so the
    Hessian is positive semi-definite and :math:`J` is convex (Chapter 3,
    :ref:`sec-convexity`). It does not depend on ``y``.

    Returns
    -------
    ndarray of shape (D + 1, D + 1) or (D, D)
    """
    theta, X, _, alpha = _check_theta_problem(theta, X, None, C, fit_intercept)
    problem = _Binary(X, np.zeros(X.shape[0]), alpha, bool(fit_intercept))  # no y in it
    return problem.hessian(problem.logits(theta))


# --------------------------------------------------------------------------
# Solvers
# --------------------------------------------------------------------------


def _separable_class(X: np.ndarray, y_index: np.ndarray, K: int, fit_intercept: bool) -> int | None:
    """A class that a hyperplane separates from all the others, or None.

    For such a class :math:`k`, adding :math:`t v` to its parameters (with
    :math:`v` the separating direction) lowers the unpenalised softmax cost
    for every :math:`t > 0`: the maximum-likelihood estimate does not exist.
    Each class is tested by an unpenalised binary fit against the rest, which
    stops as soon as an iterate separates.
    """
    n_params = X.shape[1] + fit_intercept
    alpha = _penalty(n_params, np.inf, fit_intercept)
    for k in range(K):
        problem = _Binary(X, (y_index == k).astype(np.float64), alpha, fit_intercept)
        theta, *_ = newton(
            problem, np.zeros(n_params), max_iter=50, tol=1e-8, stop_if_separated=True
        )
        if problem.separated(problem.logits(theta)):
            return k
    return None


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression, :math:`P(y = 1 \\mid x) = \\sigma(x^\\top w + b)`; softmax (Chapter 3).

    Follows the scikit-learn estimator contract and its meaning of ``C``, so
    it can replace ``sklearn.linear_model.LogisticRegression`` in one line. It
    minimises :math:`\\sum_i \\ell_i + \\|w\\|^2 / (2C)` (divided by N, which
    does not move the minimum); the intercept is not penalised. With K > 2
    classes it is multinomial (softmax) regression, :math:`\\hat Y =
    \\mathrm{softmax}(XW + b)` (Chapter 3, :ref:`sec-softmax`), with the
    penalty :math:`\\|W\\|^2 / (2C)`, as scikit-learn's multinomial model.

    Parameters
    ----------
    C : float, default inf
        Inverse L2 regularisation strength, ``> 0``. ``np.inf`` (the default)
        is plain maximum likelihood, which does not exist when the classes are
        linearly separable: then a :class:`~mlmath.exceptions.SeparationWarning`
        says so. Smaller ``C`` means a stronger penalty.
    fit_intercept : bool, default True
        Learn the intercept ``b`` (unpenalised).
    solver : {"newton", "gd"}, default "newton"
        * ``"newton"``: Newton's method / IRLS with step halving; a handful of
          iterations (Chapter 3, :ref:`sec-newton`).
        * ``"gd"``: gradient descent, Chapter 2's optimiser, with step
          ``learning_rate`` on the cost divided by N.
    learning_rate : float, default 0.1
        Step size :math:`\\eta` for ``solver="gd"`` (ignored by Newton).
    max_iter : int or None, default None
        Iteration limit; ``None`` means 100 for Newton and 10 000 for ``"gd"``.
    tol : float, default 1e-6
        Newton's gradient test: every entry of :math:`\\nabla J` at most ``tol``
        in absolute value. It then keeps its last Hessian and takes a few more
        cheap steps (one gradient each) while they shrink, which its quadratic
        convergence turns into the minimiser to machine precision (about 1e-15
        relative on standardised breast-cancer data). Gradient descent uses
        Chapter 2's stopping rule.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The labels, sorted; with two, ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, D) for two classes, (K, D) for K > 2
        The weights ``w`` (scikit-learn layout: one row per class, or a single
        row for the positive class). For K > 2 each column sums to zero over
        the classes: adding one vector to every class's weights changes no
        probability, and this is scikit-learn's choice among those equivalents.
    intercept_ : ndarray of shape (1,) or (K,)
        The intercept ``b`` (zeros when ``fit_intercept=False``); for K > 2 the
        intercepts sum to zero.
    n_iter_ : int
        Iterations the solver ran (for Newton, the final cheap steps included).
    loss_curve_ : list of float
        The cost :math:`J` at the start and after each iteration.
    n_features_in_ : int
        Number of columns of the ``X`` seen in ``fit``.

    Warns
    -----
    SeparationWarning
        ``C = inf`` and the training classes are linearly separable (for K > 2:
        all of them, or one class from all the others): the maximum-likelihood
        estimate does not exist (the weights grow without bound); the weights
        returned separate the data but their size is arbitrary. Use a finite ``C``.
    ConvergenceWarning
        The solver stopped at ``max_iter`` before meeting ``tol``; for
        ``"gd"`` the message says whether the learning rate is too large (the
        cost oscillates) or too small.

    Raises
    ------
    DivergenceError
        ``solver="gd"`` blew up (Chapter 2's test); the message names the
        learning rate and a stable one.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LogisticRegression().fit(X, ["no", "yes", "no", "yes"])
    >>> model.classes_.tolist(), model.predict_proba(X).shape
    (['no', 'yes'], (4, 2))
    """

    def __init__(
        self,
        C: float = np.inf,
        fit_intercept: bool = True,
        solver: str = "newton",
        learning_rate: float = 0.1,
        max_iter: int | None = None,
        tol: float = 1e-6,
    ) -> None:
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    _fitted_attributes = ("coef_",)

    def _check_settings(self) -> tuple[float, int, float, float]:
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise TypeError(f"fit_intercept must be True or False, got {self.fit_intercept!r}")
        check_option(self.solver, "solver", SOLVERS)
        C = check_scalar(self.C, "C", low=0.0, include_low=False)
        lr = check_scalar(
            self.learning_rate, "learning_rate", low=0.0, include_low=False, finite=True
        )
        max_iter = DEFAULT_MAX_ITER[self.solver] if self.max_iter is None else self.max_iter
        max_iter = check_scalar(max_iter, "max_iter", kind=int, low=1)
        tol = check_scalar(self.tol, "tol", low=0.0, finite=True)
        return C, max_iter, tol, lr

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LogisticRegression:
        """Fit the weights and intercepts to ``X`` of shape (N, D) and labels ``y`` of shape (N,).

        ``y`` may hold any distinct values (numbers or strings); they are
        sorted into ``classes_``. With two classes the model is binary
        logistic regression and ``classes_[1]`` is the positive class; with
        K > 2 it is softmax regression (Chapter 3, :ref:`sec-softmax`).

        Parameters
        ----------
        X : array_like of shape (N, D)
        y : array_like of shape (N,)
        sample_weight : array_like of shape (N,), optional
            Non-negative weight of each sample in the cost (default: all 1). A
            weight of 0 is the same as leaving the sample out; an integer
            weight ``m`` the same as repeating it ``m`` times.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For ``solver="gd"`` on data so large or small (beyond
            :math:`2^{\\pm 200}`) that its arithmetic would overflow or
            underflow; the message says by how much to scale ``X``. Newton
            rescales such data itself, by a power of two (exact): ``tol`` then
            applies to the gradient in the rescaled units.
        """
        C, max_iter, tol, lr = self._check_settings()
        X, y = check_X_y(X, y, y_numeric=False)
        classes, y_index = check_classification_targets(y, min_classes=2)
        sw = check_sample_weight(sample_weight, X.shape[0])
        weight_scale = 1.0
        if sw is not None:
            X, y_index, sw = _drop_weightless(X, y_index, sw, classes)
            # Weights of mean 1, and C multiplied by their mean m: sum_i s_i l_i + ||w||^2/(2C)
            # is m times sum_i (s_i/m) l_i + ||w||^2/(2Cm), the same minimiser, and the cost
            # keeps its unweighted scale (no overflow for huge weights).
            top = sw.max()
            mean = (sw / top).mean()
            sw, weight_scale = sw / top / mean, 1.0 / top / mean
        K, D = len(classes), X.shape[1]
        unpenalised = np.isinf(C)

        # Exact change of units for data whose Hessian would overflow or underflow:
        # column j of X' = 2^shift_j X has weight w'_j = 2^-shift_j w_j, and the penalty
        # w_j^2 / (2C) becomes 4^shift_j w'_j^2 / (2C): a diagonal penalty, which J allows.
        shift = safe_shift(X, axis=0)  # (D,), 0 for the columns of ordinary size
        if np.any(shift):
            X = _rescale_or_refuse(X, shift, C, self.solver)
        n_params = D + self.fit_intercept
        alpha = _penalty(n_params, C, self.fit_intercept) * weight_scale
        alpha[:D] = np.ldexp(alpha[:D], 2 * shift)

        if K == 2:
            y01 = y_index.astype(np.float64)
            problem: _Binary | _Softmax = _Binary(X, y01, alpha, self.fit_intercept, sw)
            theta0 = np.zeros(n_params)
        else:
            problem = _Softmax(_design(X, self.fit_intercept), y_index, K, alpha, sw)
            theta0 = np.zeros((n_params, K))
        if self.solver == "newton":
            theta, n_iter, converged, costs = newton(
                problem, theta0, max_iter=max_iter, tol=tol, stop_if_separated=unpenalised
            )
        else:
            theta, n_iter, converged, costs = _fit_gd(
                problem, theta0, lr, max_iter, tol, stop_if_separated=unpenalised
            )
        if K > 2:
            # The symmetric choice among the equivalent Theta (see _Softmax): every row sums
            # to zero. Newton and gd keep it up to rounding; this removes the rounding.
            theta = theta - theta.mean(axis=1, keepdims=True)

        # Whatever the solver reports, separated classes mean there is no minimum to report.
        separated = unpenalised and problem.separated(problem.logits(theta))
        label = None  # with K > 2: a class separable from all the others
        if unpenalised and not separated and K > 2:
            k = _separable_class(X, y_index, K, self.fit_intercept)
            separated, label = k is not None, None if k is None else classes[k].tolist()
        if np.any(shift):  # back to the units of the caller's X, if float64 can hold them
            scale = max(1.0, float(np.max(np.abs(problem.logits(theta)))))
            theta = theta.copy()
            theta[:D] = check_representable(
                theta[:D], shift if K == 2 else shift[:, None], np.max(np.abs(X), axis=0), scale
            )
        top = float(np.max(np.abs(theta[:D]), initial=0.0))  # ||w||, safe from overflow
        w_norm = top * float(np.linalg.norm(theta[:D] / top)) if top > 0.0 else 0.0
        if separated:
            warnings.warn(
                _separation_message(K, n_iter, w_norm, label), SeparationWarning, stacklevel=2
            )
        elif not converged:
            self._warn_not_converged(costs, n_iter, max_iter, tol, lr, unpenalised, w_norm)

        self.classes_ = classes
        if K == 2:  # scikit-learn's binary layout: one row of weights
            self.coef_ = theta[:D].reshape(1, D)
            self.intercept_ = np.array([theta[D] if self.fit_intercept else 0.0])
        else:
            self.coef_ = np.ascontiguousarray(theta[:D].T)  # (K, D)
            self.intercept_ = theta[D].copy() if self.fit_intercept else np.zeros(K)
        self.n_iter_ = int(n_iter)
        self.loss_curve_ = [float(c) for c in costs]
        self.n_features_in_ = D
        return self

    def _warn_not_converged(
        self,
        costs: list[float],
        n_iter: int,
        max_iter: int,
        tol: float,
        lr: float,
        unpenalised: bool,
        w_norm: float,
    ) -> None:
        advice = "Increase max_iter"
        if self.solver == "gd":
            # A cost that ends above its best value is oscillating: the step is
            # too long, and more iterations will not help.
            oscillating = costs[-1] > min(costs) * (1.0 + 1e-9)
            advice = (
                f"The cost is not decreasing (last {costs[-1]:.6g}, best {min(costs):.6g}): "
                f"learning_rate={lr} is too large; use a smaller one"
                if oscillating
                else "Increase max_iter or the learning_rate"
            )
        if unpenalised and w_norm > 1e3:
            advice += (
                f". The weights are large (||w|| = {w_norm:.3g}): the classes may be "
                "(nearly) separable, where only a finite C gives a finite solution"
            )
        warnings.warn(
            f"solver={self.solver!r} stopped after {n_iter} iteration(s) "
            f"(max_iter={max_iter}) before the gradient fell below tol={tol}. {advice}.",
            ConvergenceWarning,
            stacklevel=3,
        )

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits :math:`z = X w + b`: shape (N,) for two classes (positive means
        ``classes_[1]``), (N, K) for K > 2 (:math:`Z = XW + b`, one column per class).
        """
        check_is_fitted(self)
        X = check_array(X, name="X", ndim=2)
        check_n_features(self, X)
        if len(self.classes_) == 2:
            return X @ self.coef_[0] + self.intercept_[0]
        return X @ self.coef_.T + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (N, K), one column per class in ``classes_``.

        For two classes, the columns :math:`1 - \\sigma(z)` and
        :math:`\\sigma(z)`; the first is computed as :math:`\\sigma(-z)` rather
        than :math:`1 - \\sigma(z)`, which would round to 0 for large ``z``.
        For more, :math:`\\hat Y = \\mathrm{softmax}(Z)` row by row.
        """
        z = self.decision_function(X)
        if z.ndim == 2:
            return softmax(z)
        return np.column_stack([sigmoid(-z), sigmoid(z)])

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log-probabilities, shape (N, K), computed stably from the logits."""
        z = self.decision_function(X)
        if z.ndim == 2:
            return log_softmax(z)
        return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, shape (N,): the class with the largest logit."""
        z = self.decision_function(X)
        if z.ndim == 2:
            return self.classes_[np.argmax(z, axis=1)]
        return self.classes_[(z > 0).astype(np.int64)]


def _drop_weightless(
    X: np.ndarray, y_index: np.ndarray, sw: np.ndarray, classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leave out the samples of weight 0 (exactly what such a weight means)."""
    # np.intp: bincount refuses int64 where pointers are 32-bit (Pyodide's WebAssembly)
    total = np.bincount(y_index.astype(np.intp), weights=sw, minlength=len(classes))
    if np.any(total == 0.0):
        k = int(np.argmax(total == 0.0))
        raise ValueError(
            f"class {classes[k].tolist()!r} has total sample_weight 0: its samples do not "
            "count, so the model cannot learn it, yet it is among the labels of y. Give its "
            "samples a positive weight, or remove them from y"
        )
    keep = sw > 0.0
    return X[keep], y_index[keep], sw[keep]


def _rescale_or_refuse(X: np.ndarray, shift: np.ndarray, C: float, solver: str) -> np.ndarray:
    """``2^shift X`` (shifts per column) for Newton; else a ``ValueError`` saying how to scale."""
    swamped = not np.isinf(C) and bool(np.any(2 * shift + np.frexp(1.0 / C)[1] > 1000))
    # the column farthest from unit scale; for a swamping penalty, the smallest column
    j = int(np.argmax(shift if swamped else np.abs(shift)))
    where = f"column {j} of X" if X.shape[1] > 1 else "X"
    magnitude = f"The entries of {where} reach {float(np.max(np.abs(X[:, j]))):.3g}"
    if solver == "gd":
        raise ValueError(
            f"{magnitude}, so far from 1 that gradient descent's arithmetic would overflow "
            "or underflow, and learning_rate is in the units of X, so it cannot be rescaled "
            f"internally. Scale X first: standardise its columns, or at the least "
            f"{scale_by(int(shift[j]), where)}. (solver='newton' rescales such data itself.)"
        )
    if swamped:
        raise ValueError(
            f"{magnitude}, so small that the penalty ||w||^2 / (2C) with C={C} outweighs "
            f"the data by a factor of about 2**{2 * int(shift[j])}, and its weight cannot "
            "change a logit at float64 precision. Scale X first: standardise its columns, "
            f"or {scale_by(int(shift[j]), where)}."
        )
    return np.ldexp(X, shift)


def _separation_message(K: int, n_iter: int, w_norm: float, label: Any = None) -> str:
    """The SeparationWarning: all K classes separated, or (``label``) one from the rest."""
    after = f"the weights after {n_iter} iteration(s) (||w|| = {w_norm:.3g}) "
    if label is None:
        what = "two" if K == 2 else str(K)
        start = f"The {what} classes are linearly separable: {after}classify every training "
        start += "sample correctly"
    else:
        start = (
            f"Class {label!r} is linearly separable from the other classes (a hyperplane has "
            f"all its samples on one side and every other sample on the other): {after}"
            "follow that direction"
        )
    return (
        start + ", and scaling them up always lowers the loss. The maximum-likelihood "
        "estimate does not exist (the weights grow without bound), so these weights "
        "are not a solution. Use a finite C (e.g. C=1.0) for a unique, finite fit."
    )


def _fit_gd(
    problem: _Binary | _Softmax,
    theta0: np.ndarray,
    lr: float,
    max_iter: int,
    tol: float,
    stop_if_separated: bool,
) -> tuple[np.ndarray, int, bool, list[float]]:
    """Chapter 2's ``gradient_descent`` on the cost :math:`J` of this chapter."""
    with warnings.catch_warnings():
        # fit() words its own warning (naming separation when that is the cause).
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = gradient_descent(
            lambda theta: problem.gradient(problem.logits(theta), theta),
            theta0,
            learning_rate=lr,
            max_iter=max_iter,
            tol=tol,
            loss=lambda theta: problem.cost(problem.logits(theta), theta),
            # Unpenalised and separated: no minimum to approach, so stop there.
            callback=(
                (lambda k, theta: problem.separated(problem.logits(theta)))
                if stop_if_separated
                else None
            ),
        )
    costs = [float(c) for c in result.history.loss]
    return np.asarray(result.w, dtype=np.float64), int(result.n_iter), result.converged, costs
