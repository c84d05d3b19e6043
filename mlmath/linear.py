"""Linear regression by ordinary least squares (Chapter 1).

The model is :math:`\\hat y = X w + b`. Minimising the sum of squared errors
gives the normal equations :math:`X^\\top X w = X^\\top y` (Chapter 1,
:ref:`sec-normal-equations`); :func:`ols` solves them three ways, and
:class:`LinearRegression` wraps that in the scikit-learn estimator contract.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._scaling import check_representable, safe_shift, scale_by
from ._validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    check_n_features,
    check_option,
    check_sample_weight,
    check_scalar,
    check_X_y,
)
from .base import BaseEstimator, RegressorMixin
from .exceptions import ConditioningWarning, ConvergenceWarning
from .optim import gradient_descent, mse_critical_learning_rate, mse_gradient

__all__ = ["LinearRegression", "mean_squared_error", "ols", "r2_score"]

OLS_METHODS = ("normal", "qr", "svd")

# Beyond this condition number of the system actually solved, at least half of
# float64's ~16 significant digits may be lost: worth a warning.
ILL_CONDITIONED = 1.0 / np.sqrt(np.finfo(np.float64).eps)  # about 6.7e7


def _rank_tolerance(s: np.ndarray, shape: tuple[int, int]) -> float:
    """Singular values below this count as zero (numpy's ``matrix_rank`` rule)."""
    return float(s.max(initial=0.0)) * max(shape) * np.finfo(np.float64).eps


def _lstsq_svd(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Minimum-norm least squares through the thin SVD ``X = U S V^T``.

    ``w = V S^+ U^T y``, where ``S^+`` inverts only the singular values above
    the rank tolerance. Returns ``(w, rank, condition number)``.
    """
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > _rank_tolerance(s, X.shape)
    s_inv = np.zeros_like(s)
    s_inv[keep] = 1.0 / s[keep]
    w = Vt.T @ (s_inv[:, None] * (U.T @ y.reshape(len(y), -1)))
    cond = float(s[0] / s[-1]) if s[-1] > 0 else np.inf
    return w.reshape((X.shape[1], *y.shape[1:])), int(keep.sum()), cond


def _warn_rank(rank: int, n_columns: int, method: str, stacklevel: int = 4) -> None:
    # stacklevel 4: _warn_rank <- _least_squares <- ols or fit <- the caller's line
    warnings.warn(
        f"X is rank deficient: rank {rank} < {n_columns} columns, so the least-squares "
        "solution is not unique. Returning the minimum-norm solution (from the SVD) "
        f"instead of the '{method}' solution. Remove redundant (collinear) columns to get "
        "a unique answer.",
        ConditioningWarning,
        stacklevel=stacklevel,
    )


def ols(X: Any, y: Any, method: str = "qr") -> np.ndarray:
    """Ordinary least squares: the ``w`` minimising :math:`\\|y - Xw\\|^2`.

    Derived in Chapter 1, :ref:`sec-normal-equations` and
    :ref:`sec-projection`; the three methods are compared in
    :ref:`why solvers avoid inverting XᵀX <sec-conditioning>`. No intercept
    is added: include a column of ones in ``X``, or use
    :class:`LinearRegression`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Design matrix, one row per sample.
    y : array_like of shape (N,) or (N, K)
        Targets.
    method : {"qr", "normal", "svd"}
        * ``"normal"``: solve :math:`X^\\top X w = X^\\top y`. Squares the
          condition number, so it loses accuracy on ill-conditioned designs.
        * ``"qr"`` (default): :math:`X = QR`, then solve :math:`R w = Q^\\top y`.
          :math:`Q^\\top y` is read off the QR factorisation of :math:`[X \\mid y]`,
          so :math:`Q` is never formed.
        * ``"svd"``: :math:`w = V \\Sigma^{+} U^\\top y`.

    Returns
    -------
    w : ndarray of shape (D,) or (D, K)

    Warns
    -----
    ConditioningWarning
        If ``X`` is rank deficient (rank < D, which includes D > N): the
        minimum-norm least-squares solution is returned, whatever ``method``.
        If the system solved is ill-conditioned (condition number above about
        ``6.7e7``, where half the digits may be lost): the message gives it.
        With ``method="normal"``, if :math:`X^\\top X` is singular in floating
        point although ``X`` has full rank (:math:`\\kappa(X)^2` beyond
        :math:`1/\\varepsilon_{\\text{mach}}`): the message says so, gives both
        condition numbers, and the solution from the SVD of ``X`` is returned.

    Raises
    ------
    ValueError
        If the weights cannot be stored in float64 (data beyond about
        :math:`2^{\\pm 1000}`): the message says which column to scale, and by
        how much. Columns of ``X`` or ``y`` too large or small for the
        arithmetic of :math:`X^\\top X` (beyond :math:`2^{\\pm 200}`) are first
        rescaled by a power of two, which is exact.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> ols(X, np.array([1.0, 3.0, 5.0])).round(12)
    array([1., 2.])
    """
    method = check_option(method, "method", OLS_METHODS)
    X, y = check_X_y(X, y, y_ndim=(1, 2))
    Xs, ys, sx, sy = _rescaled(X, y)
    return _back_to_units(_least_squares(Xs, ys, method), sx, sy, Xs, ys)


def _rescaled(
    X: np.ndarray, y: np.ndarray, per_column: bool = True
) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """``(2^sx X, 2^sy y, sx, sy)``: data whose squares would overflow or underflow, rescaled.

    Least squares is equivariant under scaling the columns: the weight of
    column ``j`` of ``2^sx X`` for target column ``2^sy y`` is
    :math:`2^{sy - sx_j} w_j`, and scaling by a power of two is exact. Columns
    of ordinary size are left alone (shift 0), so that every message about
    them is about the caller's own ``X``; see ``mlmath._scaling``. With
    ``per_column=False`` one shift serves all of ``X`` and one all of ``y``
    (what gradient descent needs: a learning rate has an exact equivalent in
    the caller's units only then).
    """
    axis = 0 if per_column else None
    sx, sy = safe_shift(X, axis=axis), safe_shift(y, axis=axis)
    Xs = np.ldexp(X, sx) if np.any(sx) else X
    ys = np.ldexp(y, sy) if np.any(sy) else y
    return Xs, ys, sx, sy


def _back_to_units(w: np.ndarray, sx: Any, sy: Any, Xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The weights of the rescaled problem in the caller's units (refused if not representable)."""
    if not (np.any(sx) or np.any(sy)):
        return w
    sx = np.asarray(sx)
    shift = (sx[:, None] if sx.ndim and w.ndim == 2 else sx) - np.asarray(sy)  # as w
    column_max = np.max(np.abs(Xs), axis=0)
    return check_representable(w, shift, column_max, np.max(np.abs(ys), axis=0), target="y")


def _least_squares(
    X: np.ndarray,
    y: np.ndarray,
    method: str,
    x_mean: np.ndarray | None = None,
    y_mean: np.ndarray | float | None = None,
    row_weight: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`ols` on validated data, optionally centred and row-weighted first.

    With ``x_mean`` and ``y_mean`` the problem solved is that of ``X - x_mean``
    and ``y - y_mean``; with ``row_weight`` (shape (N,)) every row of both is
    multiplied by it, so that ``row_weight**2`` are the sample weights of a
    weighted least-squares problem. For QR the centring and weighting are fused
    into the one copy of the data the factorisation needs anyway.
    """
    n_columns = X.shape[1]
    centred = x_mean is not None
    rw = None if row_weight is None else row_weight[:, None]  # (N, 1), broadcasts over columns

    if method in ("svd", "normal"):
        if centred:
            X, y = X - x_mean, y - y_mean
        X, y = _weighted_rows(X, y, row_weight)

    if method == "svd":
        w, rank, cond = _lstsq_svd(X, y)
        if rank < n_columns:
            _warn_rank(rank, n_columns, method)
        elif cond > ILL_CONDITIONED:
            _warn_cond(cond, "X", method)
        return w

    if method == "normal":
        return _normal_equations(X, y)

    # method == "qr". Factor the augmented matrix [X | y] = Q [[R, z], [0, rho]]: its
    # triangular factor already holds z = Q^T y, so Q itself is never formed (half the
    # work of a full QR, and exactly as accurate). Then solve R w = z.
    N, K = X.shape[0], (y.shape[1] if y.ndim == 2 else 1)
    A = np.empty((N, n_columns + K), order="F")  # LAPACK's layout: no transposing copy
    if centred:
        np.subtract(X, x_mean, out=A[:, :n_columns])
        A[:, n_columns:] = (y - y_mean).reshape(N, K)
    else:
        A[:, :n_columns], A[:, n_columns:] = X, y.reshape(N, K)
    if rw is not None:
        A *= rw
    if N < n_columns:  # wide: rank < D for sure
        _warn_rank(N, n_columns, method)
        return _lstsq_svd(A[:, :n_columns], A[:, n_columns:].reshape(y.shape))[0]
    R_aug = np.linalg.qr(A, mode="r")  # (min(N, D + K), D + K)
    R, z = R_aug[:n_columns, :n_columns], R_aug[:n_columns, n_columns:]
    s = np.linalg.svd(R, compute_uv=False)  # same singular values as X, cheap: R is D x D
    rank = int((s > _rank_tolerance(s, X.shape)).sum())
    if rank < n_columns:
        _warn_rank(rank, n_columns, method)
        return _lstsq_svd(A[:, :n_columns], A[:, n_columns:].reshape(y.shape))[0]
    cond = float(s[0] / s[-1])
    if cond > ILL_CONDITIONED:
        _warn_cond(cond, "X", method)
    return _solve_upper_triangular(R, z).reshape((n_columns, *y.shape[1:]))


def _normal_equations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve :math:`X^\\top X w = X^\\top y`, or say why that system cannot be trusted.

    :math:`\\kappa(X^\\top X) = \\kappa(X)^2`. When :math:`X^\\top X` is singular
    in floating point, that may be because ``X`` is rank deficient, or only
    because squaring :math:`\\kappa(X)` pushed it past :math:`1/\\varepsilon_{\\text{mach}}`:
    the SVD of ``X`` tells the two apart, and gives the answer in both cases.
    """
    n_columns = X.shape[1]
    A = X.T @ X  # (D, D)
    eig = np.linalg.eigvalsh(A)  # ascending, all >= 0 up to rounding
    if int((eig > _rank_tolerance(eig, A.shape)).sum()) < n_columns:
        w, rank, cond = _lstsq_svd(X, y)
        if rank < n_columns:
            _warn_rank(rank, n_columns, "normal", stacklevel=5)
        else:
            warnings.warn(
                f"X has full column rank {n_columns}, but X^T X is singular in floating "
                f"point: the condition number of X is {cond:.3g}, so that of X^T X is its "
                f"square, {cond**2:.3g}, beyond 1/eps_mach = {1 / np.finfo(np.float64).eps:.3g}. "
                "Forming X^T X has lost the information in X's smallest singular "
                "directions. Returning the solution from the SVD of X instead; the 'qr' and "
                "'svd' solvers work on X itself and avoid squaring its condition number.",
                ConditioningWarning,
                stacklevel=4,
            )
        return w
    cond = float(eig[-1] / eig[0])
    if cond > ILL_CONDITIONED:
        _warn_cond(cond, "X^T X", "normal", stacklevel=5)
    return np.linalg.solve(A, X.T @ y)


def _weighted_rows(
    X: np.ndarray, y: np.ndarray, row_weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` with row ``i`` multiplied by ``row_weight[i]`` (unchanged for None)."""
    if row_weight is None:
        return X, y
    return X * row_weight[:, None], y * (row_weight[:, None] if y.ndim == 2 else row_weight)


def _warn_cond(cond: float, what: str, method: str, stacklevel: int = 4) -> None:
    digits = int(np.log10(cond))
    squared = what != "X"
    warnings.warn(
        f"{what} is ill-conditioned: condition number {cond:.3g}"
        + (f", the square of X's ({np.sqrt(cond):.3g})" if squared else "")
        + f", so up to about {digits} of float64's 16 significant digits of w may be wrong "
        f"(method '{method}'). Standardise the features or drop nearly collinear ones"
        + ("; the 'qr' and 'svd' solvers avoid squaring the condition number" if squared else "")
        + ".",
        ConditioningWarning,
        stacklevel=stacklevel,
    )


def _solve_upper_triangular(R: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Back substitution for ``R w = z`` with ``R`` upper triangular.

    numpy has no triangular solver; ``np.linalg.solve`` would ignore the
    structure but give the same answer, and it runs in LAPACK, so use it.
    """
    return np.linalg.solve(R, z)


def mean_squared_error(y: Any, y_hat: Any) -> float:
    """Mean squared error :math:`\\frac1N \\sum_i (y_i - \\hat y_i)^2`.

    Defined in Chapter 1, :ref:`sec-model`.

    Parameters
    ----------
    y, y_hat : array_like of shape (N,) or (N, K)
        True and predicted values; for (N, K) the mean is over all entries.
    """
    y, y_hat = _check_targets(y, y_hat)
    return float(np.mean((y - y_hat) ** 2))


def r2_score(y: Any, y_hat: Any, *, sample_weight: Any = None) -> float:
    """Coefficient of determination :math:`R^2 = 1 - SS_{res} / SS_{tot}`.

    Defined in Chapter 1, :ref:`the section on R² <sec-intercept>`.

    1 is a perfect fit; 0 is no better than predicting the mean of ``y``; it
    is negative for a model worse than that. When ``y`` is constant
    (:math:`SS_{tot} = 0`) the ratio is undefined: like scikit-learn, return
    1.0 for a perfect prediction and 0.0 otherwise, never NaN. For K target
    columns, the :math:`R^2` of each column, averaged with equal weights (as
    scikit-learn's default ``multioutput="uniform_average"``).

    Parameters
    ----------
    y, y_hat : array_like of shape (N,) or (N, K)
    sample_weight : array_like of shape (N,), optional
        Weights of the squared errors and of the mean of ``y`` (default: all 1).

    Returns
    -------
    float
    """
    y, y_hat = _check_targets(y, y_hat)
    sw = check_sample_weight(sample_weight, y.shape[0])
    # R^2 is a ratio, unchanged by scaling y and y_hat together: scale huge or tiny values
    # by a power of two (exact) so that their squares neither overflow nor underflow.
    shift = safe_shift(np.concatenate([y.ravel(), y_hat.ravel()]))
    if shift:
        y, y_hat = np.ldexp(y, shift), np.ldexp(y_hat, shift)
    Y, Y_hat = y.reshape(len(y), -1), y_hat.reshape(len(y), -1)  # (N, K)
    weights = np.ones(len(y)) if sw is None else sw
    ss_res = weights @ (Y - Y_hat) ** 2  # (K,)
    ss_tot = weights @ (Y - np.average(Y, axis=0, weights=sw)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0.0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0.0, 1.0, 0.0))
    return float(np.mean(r2))


def _check_targets(y: Any, y_hat: Any, ndim: Any = (1, 2)) -> tuple[np.ndarray, np.ndarray]:
    for name, v in (("y", y), ("y_hat", y_hat)):
        kind = np.asarray(v).dtype.kind if isinstance(v, list | tuple | np.ndarray) else ""
        if kind in ("U", "S"):  # "1" is not a number, even though float("1") works
            raise TypeError(
                f"{name} must hold numbers, but it holds strings such as "
                f"{np.asarray(v).ravel()[:3].tolist()!r}; convert them with np.asarray(..., float)"
            )
    y = check_array(y, name="y", ndim=ndim)
    y_hat = check_array(y_hat, name="y_hat", ndim=ndim)
    check_consistent_length(y=y, y_hat=y_hat)
    if y.shape != y_hat.shape:
        raise ValueError(f"y has shape {y.shape} but y_hat has shape {y_hat.shape}")
    return y, y_hat


class _LinearModel(RegressorMixin, BaseEstimator):
    r"""What LinearRegression and Ridge share: :math:`\hat y = Xw + b`, one or several targets."""

    _fitted_attributes = ("coef_",)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y of shape (N, K): one fit per column
        return tags

    def _check_fit_intercept(self) -> None:
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise TypeError(f"fit_intercept must be True or False, got {self.fit_intercept!r}")

    def _set_weights(self, w: np.ndarray, b: Any, n_features: int) -> None:
        """Store ``w`` of shape (D,) or (D, K) and ``b`` in scikit-learn's layout."""
        self.coef_ = w.T  # (K, D) for several targets
        self.intercept_ = float(b) if np.ndim(b) == 0 else b
        self.n_features_in_ = n_features

    def predict(self, X: Any) -> np.ndarray:
        r"""Predictions :math:`\hat y = X w + b`, shape (N,) or (N, K)."""
        check_is_fitted(self)
        X = check_array(X, name="X", ndim=2)
        check_n_features(self, X)
        return X @ self.coef_.T + self.intercept_


class LinearRegression(_LinearModel):
    """Least-squares linear regression, :math:`\\hat y = X w + b` (Chapter 1).

    Introduced in :ref:`sec-mlmath-ols`.

    Follows the scikit-learn estimator contract, so it can replace
    ``sklearn.linear_model.LinearRegression`` in one line.

    Parameters
    ----------
    fit_intercept : bool, default True
        Learn the intercept ``b``. It is found by centring: the slope is the
        least-squares fit of centred ``y`` on centred ``X``, and
        :math:`b = \\bar y - \\bar x^\\top w` (Chapter 1, :ref:`the intercept <sec-intercept>`).
    solver : {"qr", "normal", "svd", "gd"}, default "qr"
        How the least-squares problem is solved: directly, see :func:`ols`;
        or ``"gd"``, iteratively by gradient descent on the mean squared
        error :math:`L(w) = \\frac1N \\|Xw - y\\|^2` (Chapter 2), with the
        three settings below (the direct solvers ignore them).
    learning_rate : float or None, default None
        Step size :math:`\\eta` of ``solver="gd"``. ``None`` picks
        :math:`1/\\lambda_{\\max}` of the Hessian :math:`\\frac2N X^\\top X`
        (of the centred ``X`` when ``fit_intercept``), half the critical
        :math:`2/\\lambda_{\\max}` and so always stable (Chapter 2,
        :ref:`sec-gd-learning-rate`). A value above the critical one raises
        :class:`~mlmath.exceptions.DivergenceError`.
    max_iter : int, default 10000
        Maximum number of gradient steps of ``solver="gd"``. The steps needed
        grow with the condition number of :math:`X^\\top X`: standardise the
        features (Chapter 2, :ref:`sec-gd-conditioning`).
    tol : float, default 1e-10
        ``solver="gd"`` stops when :math:`\\|\\nabla L(w)\\| \\le`
        ``tol`` :math:`\\cdot \\|\\nabla L(0)\\|`, a tolerance relative to
        the starting gradient so that it does not depend on the units of ``y``.
        The relative error of ``w`` is then at most about
        ``tol`` times the condition number of :math:`X^\\top X`.

    Attributes
    ----------
    coef_ : ndarray of shape (D,) or (K, D)
        The weights ``w`` (for 2-D ``y``, one row per target, as scikit-learn).
    intercept_ : float or ndarray of shape (K,)
        The intercept ``b`` (0.0 when ``fit_intercept=False``).
    n_features_in_ : int
        Number of columns of the ``X`` seen in ``fit``.
    n_iter_ : int
        With ``solver="gd"``, the gradient steps taken; 1 for the direct
        solvers, whose one solve is a single exact Newton step on the
        quadratic loss (Chapter 2).
    learning_rate_ : float
        Only with ``solver="gd"``: the step size used (useful with
        ``learning_rate=None``), in the units of the ``X`` given to ``fit``.

    Warns
    -----
    ConvergenceWarning
        With ``solver="gd"``, if ``max_iter`` steps did not reach ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> model = LinearRegression().fit(X, [1.0, 3.0, 5.0])
    >>> round(float(model.coef_[0]), 10), round(float(model.intercept_), 10)
    (2.0, 1.0)
    >>> gd = LinearRegression(solver="gd").fit(X, [1.0, 3.0, 5.0])
    >>> round(float(gd.coef_[0]), 6), round(float(gd.intercept_), 6)
    (2.0, 1.0)
    """

    def __init__(
        self,
        fit_intercept: bool = True,
        solver: str = "qr",
        *,
        learning_rate: float | None = None,
        max_iter: int = 10000,
        tol: float = 1e-10,
    ) -> None:
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    def _check_settings(self) -> None:
        # Every setting, whichever solver uses it: a typo fails now, not when the solver changes.
        self._check_fit_intercept()
        check_option(self.solver, "solver", (*OLS_METHODS, "gd"))
        if self.learning_rate is not None:
            check_scalar(
                self.learning_rate, "learning_rate", low=0.0, include_low=False, finite=True
            )
        check_scalar(self.max_iter, "max_iter", kind=int, low=1)
        check_scalar(self.tol, "tol", low=0.0, finite=True)

    def _solve_gd(self, X: np.ndarray, y: np.ndarray, shift: int = 0) -> np.ndarray:
        """Least-squares weights of ``y`` on ``X`` (both already centred if need be).

        ``X`` is ``2^shift`` times the caller's; the step size in the caller's
        units, stored in ``learning_rate_``, is then ``4^shift`` times the one used.
        """
        critical = mse_critical_learning_rate(X)
        if self.learning_rate is None:
            # Half the critical step: stable, and the top eigendirection is
            # solved in one step. X = 0 leaves nothing to learn.
            eta = 0.5 * critical if np.isfinite(critical) else 1.0
        else:
            eta = float(self.learning_rate)
        w0 = np.zeros((X.shape[1], *y.shape[1:]))
        g0_norm = float(np.linalg.norm(mse_gradient(w0, X, y)))
        result = gradient_descent(
            lambda w: mse_gradient(w, X, y),
            w0,
            learning_rate=eta,
            max_iter=self.max_iter,
            tol=self.tol * g0_norm,
            critical_learning_rate=critical if np.isfinite(critical) else None,
        )
        self.n_iter_ = result.n_iter
        with np.errstate(over="ignore", under="ignore"):  # the step in X's own units
            self.learning_rate_ = float(np.ldexp(eta, 2 * shift))
        if not result.converged:
            warnings.warn(
                f"gradient descent did not converge in max_iter={self.max_iter} steps "
                f"(learning_rate={eta:.4g}): the gradient norm is {result.grad_norm:.3g}, "
                f"{result.grad_norm / g0_norm:.3g} of its starting value, above "
                f"tol={self.tol:g}. Increase max_iter, or standardise the features to "
                "lower the condition number.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result.w

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LinearRegression:
        """Fit the weights to ``X`` of shape (N, D) and ``y`` of shape (N,) or (N, K).

        Parameters
        ----------
        X : array_like of shape (N, D)
        y : array_like of shape (N,) or (N, K)
        sample_weight : array_like of shape (N,), optional
            Non-negative weights :math:`s_i`: minimise
            :math:`\\sum_i s_i (y_i - x_i^\\top w - b)^2` (weighted least squares,
            solved as ordinary least squares on rows scaled by :math:`\\sqrt{s_i}`,
            with weighted means for the intercept). A weight of 0 is the same as
            leaving the sample out; an integer weight ``m`` the same as repeating
            it ``m`` times.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If the weights the data call for cannot be stored in float64 (data
            beyond about :math:`2^{\\pm 1000}`); the message says by how much to
            scale ``X`` or ``y``. Data too large or small for the arithmetic of
            :math:`X^\\top X` (beyond :math:`2^{\\pm 200}`) are rescaled by a power
            of two first, which is exact; with ``solver="gd"`` that needs
            ``learning_rate=None``, since a given learning rate is in the units of
            ``X``, and otherwise raises a ``ValueError`` saying how to scale ``X``.
        """
        self._check_settings()
        X, y = check_X_y(X, y, y_ndim=(1, 2))
        sw = check_sample_weight(sample_weight, X.shape[0])
        row_weight = None
        if sw is not None:
            keep = sw > 0.0  # a weight of 0 drops the sample: exactly that
            X, y, sw = X[keep], y[keep], sw[keep] / sw[keep].max()
            sw = sw / sw.mean()  # mean 1, so the gd loss is the mean over repeated rows
            row_weight = np.sqrt(sw)
        D = X.shape[1]
        gd = self.solver == "gd"
        Xs, ys, sx, sy = _rescaled(X, y, per_column=not gd)
        if gd and sx and self.learning_rate is not None:
            raise ValueError(
                f"The entries of X reach {float(np.max(np.abs(X))):.3g}, so far from 1 that "
                "gradient descent's arithmetic would overflow or underflow, and "
                f"learning_rate={self.learning_rate} is in the units of X, so it cannot be "
                "rescaled internally. Scale X first: standardise its columns, or at the "
                f"least {scale_by(sx)}; or use learning_rate=None, which rescales."
            )
        if self.fit_intercept:
            x_mean = np.average(Xs, axis=0, weights=sw)
            y_mean = np.average(ys, axis=0, weights=sw)
            if gd:
                w = self._solve_gd(*_weighted_rows(Xs - x_mean, ys - y_mean, row_weight), sx)
            else:
                w = _least_squares(Xs, ys, self.solver, x_mean, y_mean, row_weight)
            with np.errstate(over="ignore"):  # an infinite intercept is refused below
                b = np.ldexp(y_mean - x_mean @ w, -sy)
        else:
            if gd:
                w = self._solve_gd(*_weighted_rows(Xs, ys, row_weight), sx)
            else:
                w = _least_squares(Xs, ys, self.solver, row_weight=row_weight)
            b = np.zeros(y.shape[1:]) if y.ndim == 2 else 0.0
        w = _back_to_units(w, sx, sy, Xs, ys)
        if not np.all(np.isfinite(b)):
            raise ValueError(
                "The intercept overflows float64 (it is beyond about 1.8e+308): centre y "
                "(subtract its mean) and X before fitting"
            )
        self.coef_ = w.T  # scikit-learn layout: (K, D) for several targets
        self.intercept_ = float(b) if np.ndim(b) == 0 else b
        self.n_features_in_ = D
        if self.solver != "gd":
            self.n_iter_ = 1  # one direct solve
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions :math:`\\hat y = X w + b`, shape (N,) or (N, K)."""
        check_is_fitted(self)
        X = check_array(X, name="X", ndim=2)
        check_n_features(self, X)
        return X @ self.coef_.T + self.intercept_
