"""How uncertain the least-squares weights are (Chapter 1b).

Under the model :math:`y = X_1\\theta + \\varepsilon` with
:math:`\\operatorname{E}\\varepsilon = 0` and :math:`\\operatorname{Var}\\varepsilon = \\sigma^2 I`,
the least-squares estimate :math:`\\hat\\theta` has covariance
:math:`\\sigma^2 (X_1^\\top X_1)^{-1}`, and
:math:`s^2 = \\mathrm{RSS}/(N - p)` (with :math:`p` the number of columns of
:math:`X_1`) estimates :math:`\\sigma^2` without bias (Chapter 1b,
:ref:`sec-sampling-distribution`). Their combination is the standard error of
each coefficient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_X_y
from .linear import _rank_tolerance

__all__ = ["standard_errors"]


def standard_errors(X: Any, y: Any, *, fit_intercept: bool = True) -> np.ndarray:
    """Standard errors of the least-squares coefficients.

    The standard error of :math:`\\hat\\theta_j` is
    :math:`s \\sqrt{[(X_1^\\top X_1)^{-1}]_{jj}}`, derived in Chapter 1b,
    :ref:`sec-sampling-distribution`. The noise variance is estimated without
    bias by :math:`s^2 = \\mathrm{RSS}/(N - p)`, where
    :math:`p = D + 1` with an intercept and :math:`p = D` without. The
    inverse is never formed: with the thin SVD :math:`X_1 = U\\Sigma V^\\top`,
    :math:`[(X_1^\\top X_1)^{-1}]_{jj} = \\sum_k V_{jk}^2 / s_k^2`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        The design, without a column of ones.
    y : array_like of shape (N,)
        Targets.
    fit_intercept : bool, default True
        Whether the model has an intercept (a last column of ones is appended,
        as :math:`X_1 = [X \\;\\; \\mathbf 1]`).

    Returns
    -------
    ndarray of shape (D + 1,) with an intercept, else (D,)
        One standard error per coefficient of :math:`\\theta = (w, b)`, the
        intercept's last, in the order of :class:`~mlmath.linear.LinearRegression`'s
        ``coef_`` followed by ``intercept_``.

    Raises
    ------
    ValueError
        If the design is rank deficient (the coefficients are not identified,
        so they have no standard error) or has no degree of freedom left for
        the noise (:math:`N \\le p`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> se = standard_errors(X, [0.0, 1.0, 1.0, 3.0])  # slope, then intercept
    >>> [round(float(v), 4) for v in se]
    [0.2646, 0.495]
    """
    if not isinstance(fit_intercept, bool | np.bool_):
        raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}")
    X, y = check_X_y(X, y, y_ndim=1)
    X1 = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    N, p = X1.shape
    if N <= p:
        raise ValueError(
            f"standard errors need more samples than coefficients: X has {N} rows and the "
            f"model {p} coefficients ({X.shape[1]} weights"
            + (" and an intercept" if fit_intercept else "")
            + f"), so no degree of freedom is left to estimate the noise; need N > {p}"
        )
    U, s, Vt = np.linalg.svd(X1, full_matrices=False)
    rank = int((s > _rank_tolerance(s, X1.shape)).sum())
    if rank < p:
        raise ValueError(
            f"the design is rank deficient (rank {rank} < {p} coefficients), so the "
            "coefficients are not identified and have no standard errors; remove the "
            "redundant (collinear) columns"
        )
    theta = Vt.T @ ((U.T @ y) / s)  # least squares, w = V S^-1 U^T y
    rss = float(np.sum((y - X1 @ theta) ** 2))
    s2 = rss / (N - p)  # unbiased estimate of sigma^2
    diag_inv = np.sum((Vt.T / s) ** 2, axis=1)  # diag((X1^T X1)^-1) = sum_k V_jk^2 / s_k^2
    return np.sqrt(s2 * diag_inv)
