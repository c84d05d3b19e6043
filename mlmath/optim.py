"""Gradient descent, with momentum and mini-batches (Chapter 2).

Gradient descent minimises a differentiable loss :math:`L(w)` by repeating

.. math:: w_{k+1} = w_k - \\eta \\nabla L(w_k),

the step of steepest descent (Chapter 2, :ref:`sec-gd-steepest-descent`). With heavy-ball
momentum :math:`\\beta` the step keeps a fraction of the previous one,

.. math:: v_{k+1} = \\beta v_k - \\eta \\nabla L(w_k), \\qquad w_{k+1} = w_k + v_{k+1}

(Chapter 2, :ref:`sec-gd-momentum`). On a quadratic loss with Hessian :math:`H` plain
gradient descent converges from every start if and only if
:math:`0 < \\eta < 2/\\lambda_{\\max}(H)` (Chapter 2, :ref:`sec-gd-learning-rate`);
with momentum the bound becomes :math:`2(1 + \\beta)/\\lambda_{\\max}`.

A run that blows up is stopped and reported with
:class:`~mlmath.exceptions.DivergenceError`, which names the learning rate and
the critical one, instead of returning NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_array, check_random_state, check_scalar, check_X_y
from .exceptions import DivergenceError

__all__ = [
    "History",
    "OptimizeResult",
    "critical_learning_rate",
    "gradient_descent",
    "minibatch_gradient_descent",
    "mse_critical_learning_rate",
    "mse_gradient",
    "mse_hessian",
    "mse_loss",
]

#: A run is declared divergent when the gradient norm has grown this many times
#: above the smallest value it reached (and the loss, when known, is above its
#: starting value). A method that is converging shrinks the gradient; a
#: thousandfold growth is the geometric blow-up of a step size beyond 2/λ_max,
#: caught long before float64 overflows (at about 1e308).
DIVERGENCE_FACTOR = 1e3


# ---------------------------------------------------------------------------
# The mean squared error as a function of the weights
# ---------------------------------------------------------------------------


def mse_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error as a function of the weights, :math:`L(w) = \\frac1N \\|Xw - y\\|^2`.

    The loss of Chapter 1 seen as a function of ``w``, which is what gradient
    descent minimises. No validation: it sits in the inner loop.

    Parameters
    ----------
    w : ndarray of shape (D,) or (D, K)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,) or (N, K)
    """
    r = X @ w - y  # residuals, (N,) or (N, K); for K targets the squares are summed over them
    return float(np.sum(r * r)) / X.shape[0]


def mse_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the mean squared error, :math:`\\nabla L(w) = \\frac2N X^\\top (Xw - y)`.

    Derived in Chapter 2, :ref:`sec-gd-mse-gradient`.

    Parameters
    ----------
    w : ndarray of shape (D,) or (D, K)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,) or (N, K)

    Returns
    -------
    ndarray, same shape as ``w``
    """
    return (2.0 / X.shape[0]) * (X.T @ (X @ w - y))


def mse_hessian(X: Any) -> np.ndarray:
    """Hessian of the mean squared error, :math:`H = \\frac2N X^\\top X`, shape (D, D).

    It does not depend on ``w`` or ``y``: the loss is quadratic (Chapter 2,
    :ref:`sec-gd-learning-rate`).
    """
    X = check_array(X, name="X", ndim=2)
    return (2.0 / X.shape[0]) * (X.T @ X)


def critical_learning_rate(H: Any, *, momentum: float = 0.0) -> float:
    """The largest stable step for a quadratic loss with Hessian ``H``.

    It is :math:`2(1+\\beta)/\\lambda_{\\max}(H)`.

    Gradient descent on :math:`L(w) = \\tfrac12 (w - w^*)^\\top H (w - w^*)`
    converges from every start if and only if ``0 < eta`` is below this value
    (Chapter 2, :ref:`sec-gd-learning-rate`; with ``momentum=0`` it is
    :math:`2/\\lambda_{\\max}`). Infinite when ``H`` is zero.

    Parameters
    ----------
    H : array_like of shape (D, D)
        Symmetric positive semi-definite Hessian.
    momentum : float in [0, 1)
        Heavy-ball coefficient :math:`\\beta`.
    """
    H = check_array(H, name="H", ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}")
    if not np.allclose(H, H.T, rtol=1e-10, atol=1e-12 * float(np.abs(H).max(initial=0.0))):
        raise ValueError("H must be symmetric (a Hessian); H differs from H.T")
    momentum = _check_momentum(momentum)
    lam_max = float(np.linalg.eigvalsh(H)[-1])
    if lam_max <= 0.0:
        return math.inf
    return 2.0 * (1.0 + momentum) / lam_max


def mse_critical_learning_rate(X: Any, *, momentum: float = 0.0) -> float:
    """:math:`2(1+\\beta)/\\lambda_{\\max}` for the mean squared error of design ``X`` (N, D).

    Equal to :func:`critical_learning_rate` of :func:`mse_hessian`, computed
    from the largest singular value :math:`\\sigma_1` of ``X``:
    :math:`\\lambda_{\\max}(\\tfrac2N X^\\top X) = 2\\sigma_1^2/N`, so the critical
    step is :math:`(1+\\beta) N/\\sigma_1^2`. Derived in Chapter 2, :ref:`sec-gd-learning-rate`.
    """
    X = check_array(X, name="X", ndim=2)
    momentum = _check_momentum(momentum)
    sigma_1 = float(np.linalg.norm(X, ord=2))
    if sigma_1 == 0.0:
        return math.inf
    return (1.0 + momentum) * X.shape[0] / sigma_1**2


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What an optimiser recorded, one row per iterate (for plotting).

    Attributes
    ----------
    w : ndarray of shape (n + 1, *w0.shape)
        The iterates :math:`w_0, \\dots, w_n` (per epoch for mini-batch runs).
    loss : ndarray of shape (n + 1,) or None
        :math:`L(w_k)`, when a ``loss`` was given.
    grad_norm : ndarray of shape (n + 1,)
        :math:`\\|\\nabla L(w_k)\\|` (the full-data gradient for mini-batch runs).
    """

    w: np.ndarray
    loss: np.ndarray | None
    grad_norm: np.ndarray


@dataclass(frozen=True)
class OptimizeResult:
    """The outcome of :func:`gradient_descent` or :func:`minibatch_gradient_descent`.

    Attributes
    ----------
    w : ndarray
        The final weights, shape of ``w0``.
    n_iter : int
        Number of updates made (full-batch) or of epochs run (mini-batch).
    converged : bool
        Whether the gradient norm fell to ``tol`` or below.
    grad_norm : float
        Norm of the (full) gradient at ``w``.
    loss : float or None
        The loss at ``w``, when a ``loss`` was given.
    history : History
        The iterates, losses and gradient norms.
    """

    w: np.ndarray
    n_iter: int
    converged: bool
    grad_norm: float
    loss: float | None
    history: History


# ---------------------------------------------------------------------------
# Validation shared by the optimisers
# ---------------------------------------------------------------------------


def _check_learning_rate(learning_rate: Any) -> float:
    eta = check_scalar(learning_rate, "learning_rate", low=0.0, include_low=False)
    if not math.isfinite(eta):
        raise ValueError(f"learning_rate must be a finite positive number, got {eta}")
    return eta


def _check_momentum(momentum: Any) -> float:
    # beta = 1 never forgets a step (no damping); beta < 0 is not heavy ball.
    return check_scalar(momentum, "momentum", low=0.0, high=1.0, include_high=False)


def _check_callable(f: Any, name: str, optional: bool = False) -> None:
    if f is None and optional:
        return
    if not callable(f):
        raise TypeError(f"{name} must be a function, got {type(f).__name__}")


def _eval_grad(grad: Callable[..., Any], w: np.ndarray, *args: Any) -> np.ndarray:
    g = np.asarray(grad(w, *args), dtype=np.float64)
    if g.shape != w.shape:
        raise ValueError(
            f"the gradient has shape {g.shape} but w0 has shape {w.shape}; "
            "w0 must have the shape of the weights the gradient is taken with respect to"
        )
    return g


def _eval_loss(loss: Callable[..., Any] | None, w: np.ndarray, *args: Any) -> float | None:
    if loss is None:
        return None
    value = np.asarray(loss(w, *args), dtype=np.float64)
    if value.size != 1:
        raise ValueError(f"loss must return a scalar, got an array of shape {value.shape}")
    return float(value.reshape(()))


def _start(
    grad: Callable[..., Any], loss: Callable[..., Any] | None, w: np.ndarray, *args: Any
) -> tuple[np.ndarray, float | None]:
    """Gradient and loss at the starting point, which must both be finite."""
    g, L = _eval_grad(grad, w, *args), _eval_loss(loss, w, *args)
    if not np.isfinite(g).all() or (L is not None and not math.isfinite(L)):
        raise ValueError("the loss or its gradient is not finite at w0; start from another point")
    return g, L


def _estimate_critical(
    grad: Callable[..., Any], w0: np.ndarray, momentum: float, *args: Any
) -> float | None:
    """Estimate :math:`2(1+\\beta)/\\lambda_{\\max}` of the Hessian at ``w0``.

    Power iteration on Hessian-vector products by differences of gradients,
    :math:`Hv \\approx (\\nabla L(w_0 + hv) - \\nabla L(w_0))/h`, which is exact
    (up to rounding) for a quadratic loss. Returns None if it fails.
    """
    g0 = _eval_grad(grad, w0, *args)
    # A fixed start, so the message is the same on every run.
    v = np.random.default_rng(0).standard_normal(w0.shape)
    v /= np.linalg.norm(v)
    h = 1e-4 * max(1.0, float(np.linalg.norm(w0)))
    lam = 0.0
    for _ in range(200):
        Hv = (_eval_grad(grad, w0 + h * v, *args) - g0) / h
        norm = float(np.linalg.norm(Hv))
        if not math.isfinite(norm) or norm == 0.0:
            return None
        lam_new = float(np.sum(v * Hv))  # Rayleigh quotient
        v = Hv / norm
        if abs(lam_new - lam) <= 1e-10 * abs(lam_new):
            lam = lam_new
            break
        lam = lam_new
    if not (math.isfinite(lam) and lam > 0.0):
        return None
    return 2.0 * (1.0 + momentum) / lam


def _divergence(
    *,
    what: str,
    step: int,
    eta: float,
    momentum: float,
    critical: float | None,
    estimated: bool,
    growth: tuple[float, float] | None,
    history: History,
) -> DivergenceError:
    bound = "2(1 + momentum)/λ_max" if momentum else "2/λ_max"
    unit = "epoch" if what.startswith("mini-batch") else "step"
    parts = [f"{what} diverged at {unit} {step} with learning_rate={eta:.6g}"]
    if momentum:
        parts[0] += f" and momentum={momentum:g}"
    if growth is not None:
        parts.append(f"the gradient norm grew from {growth[0]:.3g} to {growth[1]:.3g}")
    else:
        parts.append("the loss, the weights or the gradient became infinite or NaN")
    msg = ": ".join(parts) + ". "
    if critical is not None:
        source = (
            " (estimated from the curvature at w0; exact for a quadratic loss)" if estimated else ""
        )
        msg += (
            f"The critical learning rate {bound} is {critical:.6g}{source}, and "
            f"learning_rate is {eta / critical:.3g} times it: use a learning_rate "
            f"below {critical:.6g}, e.g. {0.5 * critical:.3g}."
        )
    else:
        msg += "Use a smaller learning_rate (e.g. a tenth of this one)."
    err = DivergenceError(msg)
    # Attached for callers (the chapter's explorer draws the path up to here).
    err.step = step
    err.learning_rate = eta
    err.critical_learning_rate = critical
    err.history = history
    return err


def _stack_history(ws: list[np.ndarray], losses: list[float | None], norms: list[float]) -> History:
    return History(
        w=np.array(ws),
        loss=None if losses[0] is None else np.array(losses, dtype=np.float64),
        grad_norm=np.array(norms, dtype=np.float64),
    )


# ---------------------------------------------------------------------------
# Full-batch gradient descent
# ---------------------------------------------------------------------------


def gradient_descent(
    grad: Callable[[np.ndarray], np.ndarray],
    w0: Any,
    *,
    learning_rate: float,
    max_iter: int = 1000,
    tol: float = 1e-8,
    momentum: float = 0.0,
    loss: Callable[[np.ndarray], float] | None = None,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    critical_learning_rate: float | None = None,
) -> OptimizeResult:
    """Minimise a loss by (heavy-ball) gradient descent.

    Iterates :math:`v_{k+1} = \\beta v_k - \\eta \\nabla L(w_k)`,
    :math:`w_{k+1} = w_k + v_{k+1}` with :math:`v_0 = 0`; ``momentum=0`` is
    plain gradient descent :math:`w_{k+1} = w_k - \\eta \\nabla L(w_k)`.
    Derived in Chapter 2, :ref:`sec-gd-steepest-descent` and
    :ref:`sec-gd-momentum`.

    Parameters
    ----------
    grad : callable
        ``grad(w)`` returns :math:`\\nabla L(w)`, an array of the shape of ``w``.
    w0 : array_like of any shape
        The starting weights (not modified).
    learning_rate : float
        The step size :math:`\\eta > 0`.
    max_iter : int, default 1000
        Maximum number of updates, ``>= 1``.
    tol : float, default 1e-8
        Stop (converged) when :math:`\\|\\nabla L(w_k)\\| \\le` ``tol``
        (Euclidean, or Frobenius for matrix weights).
    momentum : float in [0, 1), default 0
        Heavy-ball coefficient :math:`\\beta`.
    loss : callable, optional
        ``loss(w)`` returns :math:`L(w)`; recorded in the history and used by
        the divergence test.
    callback : callable, optional
        ``callback(k, w)`` after update ``k`` (1-based) with the new weights;
        returning ``True`` stops the run.
    critical_learning_rate : float, optional
        The largest stable step, if the caller knows it (e.g. from
        :func:`mse_critical_learning_rate`); quoted if the run diverges.
        Otherwise it is estimated from the curvature at ``w0``.

    Returns
    -------
    OptimizeResult
        ``w``, ``n_iter``, ``converged``, ``grad_norm``, ``loss`` and
        ``history`` (iterates :math:`w_0..w_n`, their losses and gradient norms).
        Reaching ``max_iter`` is not an error: ``converged`` is then False.

    Raises
    ------
    DivergenceError
        If the gradient, weights or loss become non-finite, or the gradient norm
        grows :data:`DIVERGENCE_FACTOR` times above its smallest value while the
        loss (if given) is above its start. The message names ``learning_rate``
        and the critical one; the exception carries ``step``,
        ``learning_rate``, ``critical_learning_rate`` and ``history``.
    ValueError, TypeError
        For bad settings or a ``w0`` whose shape the gradient does not match.

    Examples
    --------
    >>> import numpy as np
    >>> res = gradient_descent(lambda w: 2 * w, np.array([1.0, -2.0]), learning_rate=0.25)
    >>> res.converged, bool(np.allclose(res.w, 0.0))
    (True, True)
    """
    _check_callable(grad, "grad")
    _check_callable(loss, "loss", optional=True)
    _check_callable(callback, "callback", optional=True)
    eta = _check_learning_rate(learning_rate)
    max_iter = check_scalar(max_iter, "max_iter", kind=int, low=1)
    tol = check_scalar(tol, "tol", low=0.0)
    beta = _check_momentum(momentum)
    w = check_array(w0, name="w0", ndim=range(0, 8)).copy()
    if critical_learning_rate is not None:
        critical_learning_rate = check_scalar(
            critical_learning_rate, "critical_learning_rate", low=0.0, include_low=False
        )

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        g, L = _start(grad, loss, w)
        ws, losses, norms = [w.copy()], [L], [float(np.linalg.norm(g))]
        L0, min_norm = L, norms[0]
        v = np.zeros_like(w)
        k, converged = 0, norms[0] <= tol
        while not converged and k < max_iter:
            v = beta * v - eta * g
            w = w + v
            k += 1
            g = _eval_grad(grad, w)
            L = _eval_loss(loss, w)
            norm = float(np.linalg.norm(g))
            ws.append(w.copy())
            losses.append(L)
            norms.append(norm)
            finite = np.isfinite(w).all() and math.isfinite(norm)
            finite = finite and (L is None or math.isfinite(L))
            growing = norm > DIVERGENCE_FACTOR * min_norm and (L is None or L > L0)
            if not finite or growing:
                raise _diverged(
                    "gradient descent",
                    grad,
                    ws,
                    losses,
                    norms,
                    eta,
                    beta,
                    k,
                    critical_learning_rate,
                    min_norm,
                    finite,
                )
            min_norm = min(min_norm, norm)
            converged = norm <= tol
            if callback is not None and callback(k, w.copy()) is True:
                break
    return OptimizeResult(
        w=w,
        n_iter=k,
        converged=bool(converged),
        grad_norm=norms[-1],
        loss=losses[-1],
        history=_stack_history(ws, losses, norms),
    )


def _diverged(
    what: str,
    grad: Callable[..., Any],
    ws: list[np.ndarray],
    losses: list[float | None],
    norms: list[float],
    eta: float,
    beta: float,
    step: int,
    critical: float | None,
    min_norm: float,
    finite: bool,
    *args: Any,
) -> DivergenceError:
    estimated = False
    if critical is None:
        critical = _estimate_critical(grad, ws[0], beta, *args)
        estimated = critical is not None
    return _divergence(
        what=what,
        step=step,
        eta=eta,
        momentum=beta,
        critical=critical,
        estimated=estimated,
        growth=(min_norm, norms[-1]) if finite else None,
        history=_stack_history(ws, losses, norms),
    )


# ---------------------------------------------------------------------------
# Mini-batch and stochastic gradient descent
# ---------------------------------------------------------------------------


def minibatch_gradient_descent(
    grad_batch: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    w0: Any,
    X: Any,
    y: Any,
    *,
    learning_rate: float,
    batch_size: int,
    n_epochs: int = 100,
    shuffle: bool = True,
    random_state: int | np.random.Generator | None = 0,
    momentum: float = 0.0,
    tol: float = 0.0,
    loss: Callable[[np.ndarray, np.ndarray, np.ndarray], float] | None = None,
    critical_learning_rate: float | None = None,
) -> OptimizeResult:
    """Mini-batch (``batch_size > 1``) or stochastic (``batch_size = 1``) gradient descent.

    Each epoch visits the N samples once, in a fresh random order when
    ``shuffle``, in batches :math:`B` of ``batch_size`` rows (the last may be
    smaller), and steps with the batch gradient, an unbiased estimate of the
    full one: :math:`w \\leftarrow w - \\eta \\nabla L_B(w)` (with heavy-ball
    momentum as in :func:`gradient_descent`). Derived in Chapter 2,
    :ref:`sec-gd-minibatch`.

    Parameters
    ----------
    grad_batch : callable
        ``grad_batch(w, X_B, y_B)``: the gradient of the loss averaged over the
        rows of the batch (e.g. :func:`mse_gradient`).
    w0 : array_like of shape (D,) or (D, K)
        Starting weights; ``D`` must equal the number of columns of ``X``.
    X : array_like of shape (N, D)
    y : array_like of shape (N,) or (N, K)
    learning_rate : float
        Step size :math:`\\eta > 0`.
    batch_size : int
        Rows per batch, between 1 and N. N is full-batch gradient descent.
    n_epochs : int, default 100
        Passes over the data, ``>= 1``.
    shuffle : bool, default True
        Reshuffle the rows at each epoch.
    random_state : int, Generator or None, default 0
        Seed for the shuffling: the same seed gives the same run, bit for bit.
    momentum : float in [0, 1), default 0
    tol : float, default 0
        Stop after an epoch whose full-data gradient norm is at most ``tol``.
        With a constant step, SGD hovers in a noise ball around the minimum,
        so the default never stops early.
    loss : callable, optional
        ``loss(w, X, y)``, evaluated on all the data after each epoch (e.g.
        :func:`mse_loss`).
    critical_learning_rate : float, optional
        Quoted in the message if the run diverges; otherwise estimated for the
        full-batch loss at ``w0``.

    Returns
    -------
    OptimizeResult
        ``n_iter`` counts epochs; ``history`` has one row per epoch (the
        weights, full loss and full gradient norm after it, row 0 at ``w0``).

    Raises
    ------
    DivergenceError
        If the run blows up: non-finite values, or a full gradient at an
        epoch's end :data:`DIVERGENCE_FACTOR` times above its value at ``w0``
        while the loss (if given) is above its start. (Not above its smallest
        value, as in :func:`gradient_descent`: the noise of SGD can end an
        epoch arbitrarily close to the minimum by chance.)
    """
    _check_callable(grad_batch, "grad_batch")
    _check_callable(loss, "loss", optional=True)
    X, y = check_X_y(X, y, y_ndim=(1, 2))
    N, D = X.shape
    eta = _check_learning_rate(learning_rate)
    batch_size = check_scalar(batch_size, "batch_size", kind=int, low=1)
    if batch_size > N:
        raise ValueError(
            f"batch_size must be between 1 and the number of samples N={N}, got {batch_size}"
        )
    n_epochs = check_scalar(n_epochs, "n_epochs", kind=int, low=1)
    if not isinstance(shuffle, bool | np.bool_):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    rng = check_random_state(random_state)
    beta = _check_momentum(momentum)
    tol = check_scalar(tol, "tol", low=0.0)
    w = check_array(w0, name="w0", ndim=(1, 2)).copy()
    expected = (D, *y.shape[1:])
    if w.shape != expected:
        raise ValueError(
            f"w0 has shape {w.shape} but X has {D} columns and y has shape {y.shape}, "
            f"so the weights must have shape {expected}"
        )
    if critical_learning_rate is not None:
        critical_learning_rate = check_scalar(
            critical_learning_rate, "critical_learning_rate", low=0.0, include_low=False
        )

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        g, L = _start(grad_batch, loss, w, X, y)
        ws, losses, norms = [w.copy()], [L], [float(np.linalg.norm(g))]
        L0, ref_norm = L, norms[0]
        v = np.zeros_like(w)
        epoch, converged = 0, norms[0] <= tol
        order = np.arange(N)
        while not converged and epoch < n_epochs:
            if shuffle:
                order = rng.permutation(N)
            finite = True
            for start in range(0, N, batch_size):
                batch = order[start : start + batch_size]
                v = beta * v - eta * _eval_grad(grad_batch, w, X[batch], y[batch])
                w = w + v
                if not np.isfinite(w).all():
                    finite = False
                    break
            epoch += 1
            g = _eval_grad(grad_batch, w, X, y)
            L = _eval_loss(loss, w, X, y)
            norm = float(np.linalg.norm(g))
            ws.append(w.copy())
            losses.append(L)
            norms.append(norm)
            finite = finite and math.isfinite(norm) and (L is None or math.isfinite(L))
            growing = norm > DIVERGENCE_FACTOR * ref_norm and (L is None or L > L0)
            if not finite or growing:
                raise _diverged(
                    "mini-batch gradient descent",
                    grad_batch,
                    ws,
                    losses,
                    norms,
                    eta,
                    beta,
                    epoch,
                    critical_learning_rate,
                    ref_norm,
                    finite,
                    X,
                    y,
                )
            converged = norm <= tol
    return OptimizeResult(
        w=w,
        n_iter=epoch,
        converged=bool(converged),
        grad_norm=norms[-1],
        loss=losses[-1],
        history=_stack_history(ws, losses, norms),
    )
