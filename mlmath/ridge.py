"""Ridge regression: least squares with an :math:`L^2` penalty (Chapter 1b).

Ridge minimises :math:`\\|y - Xw - b\\mathbf 1\\|^2 + \\alpha \\|w\\|^2`, with the
intercept :math:`b` left unpenalised (Chapter 1b, :ref:`sec-ridge`). On the
centred data :math:`X_c = X - \\mathbf 1 \\bar x^\\top = U \\Sigma V^\\top` the
solution is

.. math::

    w_\\alpha = V \\operatorname{diag}\\Bigl(\\frac{s_i}{s_i^2 + \\alpha}\\Bigr) U^\\top y ,
    \\qquad b = \\bar y - \\bar x^\\top w_\\alpha ,

so every principal direction of the fit is shrunk by :math:`s_i^2/(s_i^2 + \\alpha)`,
and the effective number of parameters is their sum,
:func:`effective_degrees_of_freedom`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import (
    check_array,
    check_option,
    check_scalar,
    check_X_y,
)
from .linear import _LinearModel, _rank_tolerance, ols

__all__ = ["Ridge", "effective_degrees_of_freedom", "shrinkage_factors"]

RIDGE_SOLVERS = ("svd", "qr")


def _check_alpha(alpha: Any) -> float:
    return check_scalar(alpha, "alpha", low=0.0, finite=True)


def _singular_values(X: np.ndarray, *, compute_uv: bool) -> Any:
    """The thin SVD of ``X`` with the singular values below the rank tolerance set to 0.

    Those are rounding noise of exactly dependent columns; keeping them would let
    :math:`s/(s^2 + \\alpha)` blow up as :math:`\\alpha \\to 0`.
    """
    if compute_uv:
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
    else:
        U, s, Vt = None, np.linalg.svd(X, compute_uv=False), None
    s = np.where(s > _rank_tolerance(s, X.shape), s, 0.0)
    return (U, s, Vt) if compute_uv else s


def shrinkage_factors(s: Any, alpha: float) -> np.ndarray:
    """The factors :math:`s_i^2 / (s_i^2 + \\alpha)` that ridge applies to each principal direction.

    Derived in Chapter 1b, :ref:`sec-ridge`. A zero singular value has factor 0,
    also at :math:`\\alpha = 0` (that direction is not in the column space).

    Parameters
    ----------
    s : array_like of shape (D,)
        Singular values, :math:`s_i \\ge 0`.
    alpha : float
        Penalty strength, :math:`\\alpha \\ge 0`.

    Returns
    -------
    ndarray of shape (D,), entries in [0, 1]
    """
    s = check_array(s, name="s", ndim=1)
    if np.any(s < 0):
        raise ValueError(f"s must hold singular values >= 0, got min(s) = {float(s.min())}")
    alpha = _check_alpha(alpha)
    s2 = s**2
    out = np.zeros_like(s2)
    positive = s2 > 0
    out[positive] = s2[positive] / (s2[positive] + alpha)
    return out


def effective_degrees_of_freedom(X: Any, alpha: Any, *, fit_intercept: bool = False) -> Any:
    """Effective number of parameters of ridge, the trace of its hat matrix :math:`\\Pi_\\alpha`.

    Derived in Chapter 1b, :ref:`sec-ridge`: with :math:`X = U\\Sigma V^\\top`,

    .. math::

        \\mathrm{df}(\\alpha)
        = \\operatorname{tr}\\bigl(X (X^\\top X + \\alpha I)^{-1} X^\\top\\bigr)
        = \\sum_i \\frac{s_i^2}{s_i^2 + \\alpha} ,

    which is :math:`\\operatorname{rank} X` at :math:`\\alpha = 0` and falls to 0 as
    :math:`\\alpha \\to \\infty`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        The design.
    alpha : float or array_like of shape (M,)
        Penalty strength(s), each :math:`\\ge 0`.
    fit_intercept : bool, default False
        ``False``: the trace for ``X`` as given. ``True``: for :class:`Ridge`
        with its unpenalised intercept, that is, ``X`` centred, plus 1 for the
        intercept (the hat matrix is :math:`\\mathbf 1 \\mathbf 1^\\top / N + \\Pi_\\alpha`
        of the centred design).

    Returns
    -------
    float, or ndarray of shape (M,) for an array of penalties
    """
    X = check_array(X, name="X", ndim=2)
    if not isinstance(fit_intercept, bool | np.bool_):
        raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}")
    alphas = np.asarray(alpha)
    if alphas.ndim > 1:
        raise ValueError(f"alpha must be a number or a 1-D array, got shape {alphas.shape}")
    values = [_check_alpha(a) for a in np.atleast_1d(alpha).tolist()]
    if fit_intercept:
        X = X - X.mean(axis=0)
    s = _singular_values(X, compute_uv=False)
    df = np.array([float(shrinkage_factors(s, a).sum()) for a in values]) + float(fit_intercept)
    return float(df[0]) if alphas.ndim == 0 else df


class Ridge(_LinearModel):
    """Ridge regression: :math:`\\min_{w, b} \\|y - Xw - b\\mathbf 1\\|^2 + \\alpha\\|w\\|^2`.

    Derived in Chapter 1b, :ref:`sec-ridge`. The intercept is not penalised
    (as in ``sklearn.linear_model.Ridge``): it is found by centring, so
    shifting ``y`` by a constant shifts ``intercept_`` by that constant and
    leaves ``coef_`` alone.

    Parameters
    ----------
    alpha : float, default 1.0
        Penalty strength :math:`\\alpha \\ge 0`. At 0 the fit is ordinary least
        squares by :func:`mlmath.linear.ols` with the same ``solver``: the
        minimum-norm solution, with a
        :class:`~mlmath.exceptions.ConditioningWarning`, when ``X`` is rank deficient.
    fit_intercept : bool, default True
        Learn an unpenalised intercept ``b``. With ``False`` the model is
        :math:`\\hat y = Xw` and nothing is centred.
    solver : {"svd", "qr"}, default "svd"
        * ``"svd"``: :math:`w = V \\operatorname{diag}(s_i/(s_i^2 + \\alpha)) U^\\top y`
          from the SVD of the (centred) design, the formula of the chapter.
        * ``"qr"``: least squares on the stacked design :math:`[X_c;\\ \\sqrt\\alpha I]`
          with targets :math:`[y_c;\\ 0]`, by :func:`mlmath.linear.ols`
          (the penalty is itself a sum of squares).

    Attributes
    ----------
    coef_ : ndarray of shape (D,) or (K, D)
        The weights ``w`` (for 2-D ``y``, one row per target, as scikit-learn).
    intercept_ : float or ndarray of shape (K,)
        The intercept ``b`` (0.0 when ``fit_intercept=False``).
    n_features_in_ : int
        Number of columns of the ``X`` seen in ``fit``.
    n_iter_ : int
        1: one direct solve.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> model = Ridge(alpha=2.0).fit(X, [1.0, 3.0, 5.0])
    >>> round(float(model.coef_[0]), 10), round(float(model.intercept_), 10)
    (1.0, 2.0)
    """

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True, solver: str = "svd") -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver

    def fit(self, X: Any, y: Any) -> Ridge:
        """Fit the weights to ``X`` of shape (N, D) and ``y`` of shape (N,) or (N, K).

        Returns
        -------
        self
        """
        alpha = _check_alpha(self.alpha)
        self._check_fit_intercept()
        check_option(self.solver, "solver", RIDGE_SOLVERS)
        X, y = check_X_y(X, y, y_ndim=(1, 2))
        if self.fit_intercept:
            x_mean, y_mean = X.mean(axis=0), y.mean(axis=0)
            X_c, y_c = X - x_mean, y - y_mean
        else:
            X_c, y_c = X, y
        w = self._solve(X_c, y_c, alpha)  # (D,) or (D, K)
        if self.fit_intercept:
            b = y_mean - x_mean @ w
        else:
            b = np.zeros(y.shape[1:]) if y.ndim == 2 else 0.0
        self._set_weights(w, b, X.shape[1])
        self.n_iter_ = 1
        return self

    def _solve(self, X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
        """Ridge weights of ``y`` on ``X`` (both centred already when there is an intercept)."""
        if alpha == 0:  # ordinary least squares, with ols's minimum norm and its warnings
            return ols(X, y, method=self.solver)
        D = X.shape[1]
        if self.solver == "qr":
            stacked_X = np.vstack([X, np.sqrt(alpha) * np.eye(D)])  # [X_c; sqrt(alpha) I]
            stacked_y = np.concatenate([y, np.zeros((D, *y.shape[1:]))])  # [y_c; 0]
            return ols(stacked_X, stacked_y, method="qr")
        U, s, Vt = _singular_values(X, compute_uv=True)
        d = np.zeros_like(s)
        kept = s > 0
        d[kept] = s[kept] / (s[kept] ** 2 + alpha)  # s_i / (s_i^2 + alpha)
        w = Vt.T @ (d[:, None] * (U.T @ y.reshape(len(y), -1)))  # (D, K)
        return w.reshape((D, *y.shape[1:]))
