"""Logistic and softmax regression (Chapter 3).

The model is :math:`p = \\sigma(z)`, :math:`z = X w + b`: the probability that
a sample belongs to the positive class. Maximising the Bernoulli likelihood of
the labels is minimising the cross-entropy (Chapter 3,
:ref:`sec-cross-entropy`). With the parameters stacked as
:math:`\\theta = (w, b)` and a
column of ones appended to ``X`` (written :math:`\\tilde X`), the cost that
:class:`LogisticRegression` minimises is

.. math::

    J(\\theta) = \\frac1N \\Big[\\sum_{i=1}^N \\big(-y_i \\log p_i
                 - (1 - y_i) \\log(1 - p_i)\\big) + \\frac{\\|w\\|^2}{2C}\\Big],

scikit-learn's objective divided by ``N`` (same minimiser; the ``1/N`` keeps
gradient descent's learning rate independent of the sample size). Its
gradient and Hessian (Chapter 3, :ref:`sec-gradient-hessian`) are

.. math::

    \\nabla J = \\tfrac1N \\big[\\tilde X^\\top (p - y) + (w, 0) / C\\big], \\qquad
    \\nabla^2 J = \\tfrac1N \\big[\\tilde X^\\top S \\tilde X
                  + \\mathrm{diag}(1, \\dots, 1, 0) / C\\big],

with :math:`S = \\mathrm{diag}(p_i (1 - p_i))`. The intercept is not penalised.

:func:`softmax_cross_entropy` is the multinomial generalisation (Chapter 3,
:ref:`sec-softmax`); Chapter 4 uses it as the output layer of a network.
The stable :func:`~mlmath.functional.sigmoid` is re-exported from here.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._validation import (
    check_array,
    check_classification_targets,
    check_consistent_length,
    check_is_fitted,
    check_n_features,
    check_option,
    check_scalar,
    check_X_y,
)
from .exceptions import ConvergenceWarning, SeparationWarning
from .functional import _log_softmax, _sigmoid, log_sigmoid, sigmoid
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
    Chapter 4's networks. With :math:`P = \\mathrm{softmax}(Z)` row by row and
    :math:`Y` the one-hot encoding of ``y_index``,

    .. math::

        L = -\\frac1N \\sum_{i=1}^N \\log P_{i, y_i}, \\qquad
        \\frac{\\partial L}{\\partial Z} = \\frac1N (P - Y).

    The log-probabilities come from :func:`~mlmath.functional.log_softmax`,
    so logits of any size are safe.

    Parameters
    ----------
    Z : array_like of shape (N, C)
        Logits (scores), one row per sample, one column per class.
    y_index : array_like of int, shape (N,)
        The true class of each sample, as a column index ``0 <= y_index[i] < C``
        (``LogisticRegression`` and the classifiers store the labels these
        stand for in ``classes_``).

    Returns
    -------
    loss : float
        The mean cross-entropy over the N rows.
    dZ : ndarray of shape (N, C)
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
    N = Z.shape[0]
    log_P = _log_softmax(Z)  # (N, C); Z was checked above
    rows = np.arange(N)
    loss = -float(log_P[rows, y_index].mean())
    dZ = np.exp(log_P)  # softmax(Z), (N, C)
    dZ[rows, y_index] -= 1.0
    dZ /= N
    return loss, dZ


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


def _check_class_index(y_index: Any, C: int) -> np.ndarray:
    arr = np.asarray(y_index)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"y_index must hold integer class indices 0..{C - 1}, got dtype {arr.dtype}; "
            "encode labels with np.unique(y, return_inverse=True)"
        )
    if arr.ndim != 1:
        raise ValueError(f"y_index must be 1-D of shape (N,), but it has shape {arr.shape}")
    bad = (arr < 0) | (arr >= C)
    if bad.any():
        raise ValueError(
            f"y_index must lie in 0..{C - 1} (Z has {C} columns), but it holds "
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


# Each quantity is written as a function of the logits z = X1 theta, which the Newton
# loop computes once per iterate and shares; the theta versions serve everyone else.
def _cost_z(z: np.ndarray, theta: np.ndarray, y: np.ndarray, alpha: np.ndarray) -> float:
    return float((_bce_terms(y, z).sum() + 0.5 * np.sum(alpha * theta**2)) / len(y))


def _gradient_z(
    z: np.ndarray, theta: np.ndarray, X1: np.ndarray, y: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    return (X1.T @ (_sigmoid(z) - y) + alpha * theta) / len(y)


def _hessian_z(
    z: np.ndarray, X1: np.ndarray, alpha: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    # p (1 - p) = sigma(z) sigma(-z) = e / (1 + e)^2 with e = exp(-|z|): one exponential,
    # no overflow, and none of the cancellation of 1 - p near p = 1.
    e = np.exp(-np.abs(z))
    s = e / (1.0 + e) ** 2
    # X^T S X = B^T B with B = S^(1/2) X: numpy computes a product of the form B.T @ B
    # with a symmetric rank-k update, half the work of a general product. ``out`` lets
    # the Newton loop reuse one buffer for B instead of allocating it every iteration.
    B = np.multiply(X1, np.sqrt(s)[:, None], out=out)
    return (B.T @ B + np.diag(alpha)) / X1.shape[0]


def _cost(theta: np.ndarray, X1: np.ndarray, y: np.ndarray, alpha: np.ndarray) -> float:
    return _cost_z(X1 @ theta, theta, y, alpha)


def _gradient(theta: np.ndarray, X1: np.ndarray, y: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return _gradient_z(X1 @ theta, theta, X1, y, alpha)


def _hessian(theta: np.ndarray, X1: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return _hessian_z(X1 @ theta, X1, alpha)


def _check_theta_problem(
    theta: Any, X: Any, y: Any | None, C: Any, fit_intercept: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    X = check_array(X, name="X", ndim=2)
    if y is not None:
        y = _check_unit_interval(y, "y")
        check_consistent_length(X=X, y=y)
    C = check_scalar(C, "C", low=0.0, include_low=False)
    X1 = _design(X, bool(fit_intercept))
    theta = check_array(theta, name="theta", ndim=1)
    if theta.shape[0] != X1.shape[1]:
        extra = " (D weights, then the intercept b)" if fit_intercept else ""
        raise ValueError(
            f"theta has {theta.shape[0]} entries but X has {X.shape[1]} columns, so theta "
            f"needs {X1.shape[1]}{extra}"
        )
    return theta, X1, y, _penalty(X1.shape[1], C, bool(fit_intercept))


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
    theta, X1, y, alpha = _check_theta_problem(theta, X, y, C, fit_intercept)
    return _cost(theta, X1, y, alpha)


def logistic_gradient(
    theta: Any, X: Any, y: Any, C: float = np.inf, fit_intercept: bool = True
) -> np.ndarray:
    """Gradient :math:`\\nabla J = \\frac1N[\\tilde X^\\top (p - y) + (w, 0)/C]`.

    Derived in Chapter 3, :ref:`sec-gradient-hessian`. Arguments as for
    :func:`logistic_cost`.

    Returns
    -------
    ndarray of shape (D + 1,) or (D,)
        Same layout as ``theta``.
    """
    theta, X1, y, alpha = _check_theta_problem(theta, X, y, C, fit_intercept)
    return _gradient(theta, X1, y, alpha)


def logistic_hessian(
    theta: Any, X: Any, C: float = np.inf, fit_intercept: bool = True
) -> np.ndarray:
    """Hessian of the cost, :math:`\\frac1N[\\tilde X^\\top S \\tilde X + \\mathrm{diag}(\\alpha)]`.

    :math:`S = \\mathrm{diag}(p_i(1 - p_i))` and :math:`\\alpha = (1/C, \\dots, 1/C, 0)`
    (the intercept is not penalised). Both have non-negative entries, so the
    Hessian is positive semi-definite and :math:`J` is convex (Chapter 3,
    :ref:`sec-convexity`). It does not depend on ``y``.

    Returns
    -------
    ndarray of shape (D + 1, D + 1) or (D, D)
    """
    theta, X1, _, alpha = _check_theta_problem(theta, X, None, C, fit_intercept)
    return _hessian(theta, X1, alpha)


# --------------------------------------------------------------------------
# Solvers
# --------------------------------------------------------------------------


def _separates(theta: np.ndarray, X1: np.ndarray, y: np.ndarray) -> bool:
    """True when :math:`\\theta` puts every sample strictly on its own side.

    Then :math:`J(t\\theta) \\to 0` as :math:`t \\to \\infty` while
    :math:`J > 0` everywhere: the unpenalised minimum is not attained.
    """
    margins = (2.0 * y - 1.0) * (X1 @ theta)
    return bool(np.all(margins > 0.0))


def _newton(
    theta: np.ndarray,
    X1: np.ndarray,
    y: np.ndarray,
    alpha: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    stop_if_separated: bool,
) -> tuple[np.ndarray, int, bool, list[float]]:
    """Newton's method (IRLS) with a backtracking (step-halving) line search.

    Step :math:`\\theta \\leftarrow \\theta - t H^{-1} g`, with :math:`t = 1`
    halved until the Armijo condition holds, so the cost never increases even
    far from the minimum where the quadratic model is poor. Derived in
    Chapter 3, :ref:`sec-newton`.

    With ``stop_if_separated`` it stops as soon as an iterate separates the
    classes (see :func:`_separates`): there is no minimum to converge to.

    Returns ``(theta, n_iter, converged, costs)``.
    """
    z = X1 @ theta  # logits of the current iterate, shared by everything below
    buffer = np.empty_like(X1)  # for S^(1/2) X1, rewritten by every Hessian
    J = _cost_z(z, theta, y, alpha)
    costs = [J]
    # Rounding noise in J: steps that change J by less than this count as no change.
    slack = 16 * np.finfo(np.float64).eps
    for k in range(max_iter):
        if stop_if_separated and np.all((2.0 * y - 1.0) * z > 0.0):  # see _separates
            return theta, k, False, costs
        g = _gradient_z(z, theta, X1, y, alpha)
        if np.max(np.abs(g)) <= tol:
            return theta, k, True, costs
        H = _hessian_z(z, X1, alpha, out=buffer)
        try:
            d = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:  # singular H (e.g. duplicated columns, C = inf)
            d = np.linalg.lstsq(H, g, rcond=None)[0]
        decrease = float(g @ d)  # > 0 for a descent direction
        Xd = X1 @ d  # the logits move along X1 d: no product with X1 per trial step
        t = 1.0
        for _ in range(60):
            candidate, z_new = theta - t * d, z - t * Xd
            J_new = _cost_z(z_new, candidate, y, alpha)
            if J_new <= J - 1e-4 * t * decrease + slack * abs(J):
                break
            t *= 0.5
        else:  # no step lowers J: we are at the floor of float64 precision
            return theta, k, False, costs
        theta, z, J = candidate, z_new, J_new
        costs.append(J)
    converged = bool(np.max(np.abs(_gradient_z(z, theta, X1, y, alpha))) <= tol)
    return theta, max_iter, converged, costs


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class LogisticRegression:
    """Binary logistic regression, :math:`P(y = 1 \\mid x) = \\sigma(x^\\top w + b)` (Chapter 3).

    Follows the scikit-learn estimator contract and its meaning of ``C``, so
    it can replace ``sklearn.linear_model.LogisticRegression`` in one line. It
    minimises :math:`\\sum_i \\ell_i + \\|w\\|^2 / (2C)` (divided by N, which
    does not move the minimum); the intercept is not penalised.

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
        Newton stops when every entry of :math:`\\nabla J` is at most ``tol``
        in absolute value; gradient descent uses Chapter 2's stopping rule.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, D)
        The weights ``w`` (scikit-learn layout).
    intercept_ : ndarray of shape (1,)
        The intercept ``b`` (0.0 when ``fit_intercept=False``).
    n_iter_ : int
        Iterations the solver ran.
    loss_curve_ : list of float
        The cost :math:`J` at the start and after each iteration.
    n_features_in_ : int
        Number of columns of the ``X`` seen in ``fit``.

    Warns
    -----
    SeparationWarning
        ``C = inf`` and the training classes are linearly separable: the
        maximum-likelihood estimate does not exist (the weights grow without
        bound); the weights returned separate the data but their size is
        arbitrary. Use a finite ``C``.
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

    def __repr__(self) -> str:
        return (
            f"LogisticRegression(C={self.C!r}, fit_intercept={self.fit_intercept!r}, "
            f"solver={self.solver!r}, learning_rate={self.learning_rate!r}, "
            f"max_iter={self.max_iter!r}, tol={self.tol!r})"
        )

    def _check_settings(self) -> tuple[float, int, float, float]:
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise TypeError(f"fit_intercept must be True or False, got {self.fit_intercept!r}")
        check_option(self.solver, "solver", SOLVERS)
        C = check_scalar(self.C, "C", low=0.0, include_low=False)
        lr = check_scalar(self.learning_rate, "learning_rate", low=0.0, include_low=False)
        max_iter = DEFAULT_MAX_ITER[self.solver] if self.max_iter is None else self.max_iter
        max_iter = check_scalar(max_iter, "max_iter", kind=int, low=1)
        tol = check_scalar(self.tol, "tol", low=0.0)
        return C, max_iter, tol, lr

    def fit(self, X: Any, y: Any) -> LogisticRegression:
        """Fit ``w`` and ``b`` to ``X`` of shape (N, D) and labels ``y`` of shape (N,).

        ``y`` may hold any two distinct values (numbers or strings); they are
        sorted into ``classes_`` and the second one is the positive class.

        Returns
        -------
        self
        """
        C, max_iter, tol, lr = self._check_settings()
        X, y = check_X_y(X, y, y_numeric=False)
        classes, y_index = check_classification_targets(y, min_classes=2)
        if len(classes) > 2:
            raise ValueError(
                f"LogisticRegression is a binary classifier, but y has {len(classes)} classes "
                f"({classes.tolist()[:10]!r}); for more than two classes use softmax "
                "regression (softmax_cross_entropy, Chapter 3)"
            )
        y01 = y_index.astype(np.float64)
        X1 = _design(X, self.fit_intercept)
        alpha = _penalty(X1.shape[1], C, self.fit_intercept)
        theta0 = np.zeros(X1.shape[1])
        unpenalised = np.isinf(C)

        if self.solver == "newton":
            theta, n_iter, converged, costs = _newton(
                theta0, X1, y01, alpha, max_iter=max_iter, tol=tol, stop_if_separated=unpenalised
            )
        else:
            theta, n_iter, converged, costs = self._fit_gd(
                X1, y01, alpha, theta0, lr, max_iter, tol, stop_if_separated=unpenalised
            )
        # Whatever the solver reports, separated classes mean there is no minimum to report.
        separated = unpenalised and _separates(theta, X1, y01)

        if separated:
            w_norm = float(np.linalg.norm(theta[: X.shape[1]]))
            warnings.warn(
                "The two classes are linearly separable: the weights after "
                f"{n_iter} iteration(s) (||w|| = {w_norm:.3g}) classify every training sample "
                "correctly, and scaling them up always lowers the loss. The maximum-likelihood "
                "estimate does not exist (the weights grow without bound), so these weights "
                "are not a solution. Use a finite C (e.g. C=1.0) for a unique, finite fit.",
                SeparationWarning,
                stacklevel=2,
            )
        elif not converged:
            w_norm = float(np.linalg.norm(theta[: X.shape[1]]))
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
                stacklevel=2,
            )

        D = X.shape[1]
        self.classes_ = classes
        self.coef_ = theta[:D].reshape(1, D)
        self.intercept_ = np.array([theta[D] if self.fit_intercept else 0.0])
        self.n_iter_ = int(n_iter)
        self.loss_curve_ = [float(c) for c in costs]
        self.n_features_in_ = D
        return self

    def _fit_gd(
        self,
        X1: np.ndarray,
        y: np.ndarray,
        alpha: np.ndarray,
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
                lambda theta: _gradient(theta, X1, y, alpha),
                theta0,
                learning_rate=lr,
                max_iter=max_iter,
                tol=tol,
                loss=lambda theta: _cost(theta, X1, y, alpha),
                # Unpenalised and separated: no minimum to approach, so stop there.
                callback=(lambda k, theta: _separates(theta, X1, y)) if stop_if_separated else None,
            )
        costs = [float(c) for c in result.history.loss]
        return np.asarray(result.w, dtype=np.float64), int(result.n_iter), result.converged, costs

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits :math:`z = X w + b`, shape (N,); positive means ``classes_[1]``."""
        check_is_fitted(self, "coef_")
        X = check_array(X, name="X", ndim=2)
        check_n_features(self, X)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (N, 2): columns :math:`1 - \\sigma(z)` and :math:`\\sigma(z)`.

        The first column is computed as :math:`\\sigma(-z)` rather than
        :math:`1 - \\sigma(z)`, which would round to 0 for large ``z``.
        """
        z = self.decision_function(X)
        return np.column_stack([sigmoid(-z), sigmoid(z)])

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log-probabilities, shape (N, 2), computed stably from the logits."""
        z = self.decision_function(X)
        return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, shape (N,): ``classes_[1]`` where :math:`z > 0`."""
        z = self.decision_function(X)
        return self.classes_[(z > 0).astype(np.int64)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of samples whose label is predicted correctly."""
        check_is_fitted(self, "coef_")
        X, y = check_X_y(X, y, y_numeric=False)
        return float(np.mean(self.predict(X) == y))
