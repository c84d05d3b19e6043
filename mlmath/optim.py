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
the critical one, instead of returning NaN. So is a run on a non-quadratic
loss that stays bounded but stops decreasing and oscillates in a cycle: its
message gives the period and the local critical rate :math:`2/\\lambda_{\\max}`
of the Hessian at the current iterate.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import (
    as_float_array,
    check_array,
    check_callable,
    check_option,
    check_random_state,
    check_scalar,
    check_X_y,
)
from .exceptions import DivergenceError

__all__ = [
    "RULES",
    "SGD",
    "AdaGrad",
    "Adam",
    "History",
    "OptimizeResult",
    "RMSProp",
    "Rule",
    "Schedule",
    "constant",
    "cosine",
    "critical_factor",
    "critical_learning_rate",
    "gradient_descent",
    "inverse_time",
    "make_rule",
    "minibatch_gradient_descent",
    "mse_critical_learning_rate",
    "mse_gradient",
    "mse_hessian",
    "mse_loss",
    "step_decay",
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
    descent minimises. It sits in the inner loop, so it checks only what is
    cheap: numeric arrays whose shapes fit (``_check_mse``).

    Parameters
    ----------
    w : ndarray of shape (D,) or (D, K)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,) or (N, K)
    """
    w, X, y = _check_mse(w, X, y)
    r = X @ w - y  # residuals, (N,) or (N, K); for K targets the squares are summed over them
    return float(np.sum(r * r)) / X.shape[0]


def _check_mse(w: Any, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cheap checks for the inner loop: numeric arrays, and shapes that fit together."""
    w, X, y = as_float_array(w, name="w"), as_float_array(X, name="X"), as_float_array(y, name="y")
    if X.ndim != 2 or w.ndim not in (1, 2) or w.shape[0] != X.shape[1]:
        raise ValueError(
            f"X must be 2-D (N, D) and w of shape (D,) or (D, K), got X of shape {X.shape} and "
            f"w of shape {w.shape}"
        )
    if y.ndim != w.ndim or y.shape[0] != X.shape[0] or y.shape[1:] != w.shape[1:]:
        raise ValueError(
            f"y has shape {y.shape}, but X of shape {X.shape} and w of shape {w.shape} predict "
            f"shape {(X.shape[0], *w.shape[1:])}"
        )
    return w, X, y


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
    w, X, y = _check_mse(w, X, y)
    return (2.0 / X.shape[0]) * (X.T @ (X @ w - y))


def mse_hessian(X: Any) -> np.ndarray:
    """Hessian of the mean squared error, :math:`H = \\frac2N X^\\top X`, shape (D, D).

    It does not depend on ``w`` or ``y``: the loss is quadratic (Chapter 2,
    :ref:`sec-gd-learning-rate`).
    """
    X = check_array(X, name="X", ndim=2)
    return (2.0 / X.shape[0]) * (X.T @ X)


def critical_learning_rate(H: Any, *, momentum: float = 0.0, nesterov: bool = False) -> float:
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
        Momentum coefficient :math:`\\beta`.
    nesterov : bool, default False
        Nesterov's momentum: the bound is :math:`2(1+\\beta)/((1+2\\beta)\\lambda_{\\max})`
        (Chapter 2, :ref:`sec-gd-nesterov`).
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
    return critical_factor(momentum, nesterov=bool(nesterov)) / lam_max


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


def _local_critical(
    grad: Callable[..., Any], w: np.ndarray, factor: float, *args: Any
) -> float | None:
    """Estimate the local critical rate :math:`c/\\lambda_{\\max}(H(w))`, ``c = factor``.

    ``factor`` is :math:`2(1+\\beta)` for heavy ball (see :func:`critical_factor`).

    There is no Hessian function, so :math:`\\lambda_{\\max}` comes from power
    iteration on Hessian-vector products by centred differences of the gradient,
    :math:`Hv \\approx (\\nabla L(w + hv) - \\nabla L(w - hv))/2h`: exact (up to
    rounding) for a quadratic loss, :math:`O(h^2)` otherwise. If the dominant
    eigenvalue is negative (a saddle), the iteration is repeated on the shifted
    :math:`H - \\lambda I` to reach the largest one. Returns None when the
    curvature is not positive or not finite.
    """
    h = 1e-5 * max(1.0, float(np.linalg.norm(w)))

    def hess_vec(v: np.ndarray) -> np.ndarray:
        return (_eval_grad(grad, w + h * v, *args) - _eval_grad(grad, w - h * v, *args)) / (2 * h)

    def power(shift: float) -> float | None:
        # A fixed start, so the message is the same on every run.
        v = np.random.default_rng(0).standard_normal(w.shape)
        v /= np.linalg.norm(v)
        lam = math.nan
        for _ in range(200):
            Hv = hess_vec(v) - shift * v
            norm = float(np.linalg.norm(Hv))
            if not math.isfinite(norm):
                return None
            if norm == 0.0:
                return shift
            lam_new = float(np.sum(v * Hv))  # Rayleigh quotient
            v = Hv / norm
            if abs(lam_new - lam) <= 1e-10 * abs(lam_new):
                return lam_new + shift
            lam = lam_new
        return lam + shift

    lam = power(0.0)
    if lam is not None and lam < 0.0:
        lam = power(lam)
    if lam is None or not (math.isfinite(lam) and lam > 0.0):
        return None
    return factor / lam


def _bound(rule: Rule) -> str:
    """The critical-rate formula of ``rule``, as a message quotes it."""
    if rule.nesterov:
        return "2(1 + momentum)/((1 + 2 momentum) λ_max)"
    return "2(1 + momentum)/λ_max" if rule.momentum else "2/λ_max"


def _divergence(
    *,
    what: str,
    step: int,
    rule: Rule,
    eta: float,
    critical: float | None,
    estimated: bool,
    growth: tuple[float, float] | None,
    history: History,
) -> DivergenceError:
    unit = "epoch" if what.startswith("mini-batch") else "step"
    parts = [f"{what} diverged at {unit} {step} with {rule.describe()}"]
    if rule.schedule.name != "constant":
        parts[0] += f" (η = {eta:.6g} at this step)"
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
            f"The critical learning rate {_bound(rule)} is {critical:.6g}{source}, and "
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
# Learning-rate schedules: k -> eta_k
# ---------------------------------------------------------------------------


class Schedule:
    """A learning-rate schedule, a callable :math:`k \\mapsto \\eta_k` for steps ``k = 0, 1, ...``.

    Built by :func:`constant`, :func:`step_decay`, :func:`inverse_time` or
    :func:`cosine` (Chapter 2, :ref:`sec-gd-schedules`). Every rule and driver
    accepts one wherever it accepts a number as ``learning_rate``.
    """

    def __init__(self, name: str, rate: Callable[[int], float], **settings: float) -> None:
        self.name, self._rate, self.settings = name, rate, settings

    def __call__(self, k: int) -> float:
        return self._rate(k)

    def __repr__(self) -> str:
        if not self.settings:  # a user's callable, wrapped
            return f"schedule {self.name}"
        args = ", ".join(f"{key}={value:g}" for key, value in self.settings.items())
        return f"{self.name}({args})"


def constant(eta: float) -> Schedule:
    """:math:`\\eta_k = \\eta`, the constant step."""
    eta = _check_learning_rate(eta)
    return Schedule("constant", lambda k: eta, eta=eta)


def step_decay(eta0: float, every: int, gamma: float = 0.1) -> Schedule:
    """Step decay, :math:`\\eta_k = \\eta_0\\,\\gamma^{\\lfloor k / e \\rfloor}`.

    The step is cut by ``gamma`` every :math:`e` = ``every`` steps.
    """
    eta0 = _check_learning_rate(eta0)
    every = check_scalar(every, "every", kind=int, low=1)
    gamma = check_scalar(gamma, "gamma", low=0.0, high=1.0, include_low=False)
    return Schedule(
        "step_decay", lambda k: eta0 * gamma ** (k // every), eta0=eta0, every=every, gamma=gamma
    )


def inverse_time(eta0: float, decay: float) -> Schedule:
    """Inverse time, :math:`\\eta_k = \\eta_0 / (1 + \\text{decay}\\cdot k)`.

    The :math:`1/t` schedule of Robbins and Monro (Chapter 2, :ref:`sec-gd-sgd-theory`).
    """
    eta0 = _check_learning_rate(eta0)
    decay = check_scalar(decay, "decay", low=0.0, finite=True)
    return Schedule("inverse_time", lambda k: eta0 / (1.0 + decay * k), eta0=eta0, decay=decay)


def cosine(eta0: float, n_steps: int, eta_min: float = 0.0) -> Schedule:
    """Cosine decay from ``eta0`` to ``eta_min`` over :math:`n` = ``n_steps`` steps.

    .. math:: \\eta_k = \\eta_{\\min} + \\tfrac12(\\eta_0 - \\eta_{\\min})(1 + \\cos(\\pi k/n))

    The half cosine of Loshchilov and Hutter (2017) from ``eta0`` down to
    ``eta_min`` over ``n_steps`` steps; after them it stays at ``eta_min``
    (which must then be positive for the run to go on moving).
    """
    eta0 = _check_learning_rate(eta0)
    n_steps = check_scalar(n_steps, "n_steps", kind=int, low=1)
    eta_min = check_scalar(eta_min, "eta_min", low=0.0, high=eta0, finite=True)

    def rate(k: int) -> float:
        t = min(k, n_steps) / n_steps
        return eta_min + 0.5 * (eta0 - eta_min) * (1.0 + math.cos(math.pi * t))

    return Schedule("cosine", rate, eta0=eta0, n_steps=n_steps, eta_min=eta_min)


def _as_schedule(learning_rate: Any) -> Schedule:
    """A number becomes :func:`constant`; any other callable ``k -> eta_k`` is wrapped."""
    if isinstance(learning_rate, Schedule):
        return learning_rate
    if callable(learning_rate):
        return Schedule(getattr(learning_rate, "__name__", "schedule"), learning_rate)
    return constant(learning_rate)


def _check_rate_at(schedule: Schedule, k: int) -> float:
    """``schedule(k)``, which must be a finite positive number."""
    eta = schedule(k)
    if (
        isinstance(eta, bool)
        or not isinstance(eta, numbers.Real)
        or not (math.isfinite(eta) and eta > 0)
    ):
        raise ValueError(
            f"the learning-rate schedule {schedule!r} must give a finite positive number, "
            f"got {eta!r} at step k={k}"
        )
    return float(eta)


# ---------------------------------------------------------------------------
# Update rules: one family, the shape of torch.optim
# ---------------------------------------------------------------------------


class Rule:
    """Base of the update rules: parameters updated in place by ``step(grads)``.

    Parameters
    ----------
    params : list of ndarray
        The parameter arrays (float, writeable). They are updated **in place**,
        so the caller keeps its references. The rules' state (momentum
        buffers, running averages) takes each parameter's dtype and the
        updates use Python scalars, so float32 parameters stay float32.
    learning_rate : float or Schedule
        :math:`\\eta > 0`, or a schedule :math:`k \\mapsto \\eta_k` evaluated at
        ``k = 0`` for the first step.

    Attributes
    ----------
    t : int
        Steps taken so far.
    """

    #: Whether the step size is scaled per coordinate by the gradients seen
    #: (then no critical rate :math:`2(1+\\beta)/\\lambda_{\\max}` applies).
    adaptive = True
    momentum = 0.0
    nesterov = False

    def __init__(self, params: Sequence[np.ndarray], learning_rate: float | Schedule) -> None:
        if isinstance(params, np.ndarray) or not isinstance(params, Sequence | Iterable):
            raise TypeError(f"params must be a list of arrays, got {_describe_obj(params)}")
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"params[{i}] must be a float ndarray (it is updated in place), got "
                    f"{_describe_obj(p)}"
                )
            if not p.flags.writeable:
                raise ValueError(f"params[{i}] is read-only; it must be updated in place")
        self.learning_rate = learning_rate
        self.schedule = _as_schedule(learning_rate)
        self.t = 0

    def _state(self) -> list[np.ndarray]:
        return [np.zeros_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place from its gradient (same order, same shapes)."""
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(
                f"step got {len(grads)} gradients for {len(self.params)} parameters; "
                "grads must list one gradient per parameter, in the same order"
            )
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if np.shape(g) != p.shape:
                raise ValueError(
                    f"grads[{i}] has shape {np.shape(g)} but params[{i}] has shape {p.shape}"
                )
        eta = _check_rate_at(self.schedule, self.t)
        self.t += 1
        self._update(eta, grads)

    @property
    def current_learning_rate(self) -> float:
        """:math:`\\eta_k` of the next step."""
        return _check_rate_at(self.schedule, self.t)

    def _update(self, eta: float, grads: list[np.ndarray]) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """The settings, as a divergence message quotes them."""
        if self.schedule.name == "constant":
            return f"learning_rate={self.schedule(0):.6g}"
        return f"learning_rate={self.schedule!r}"


def _describe_obj(x: Any) -> str:
    return f"{type(x).__name__} {x!r}" if np.ndim(x) == 0 else f"{type(x).__name__}"


def _check_beta(value: Any, name: str) -> float:
    return check_scalar(value, name, low=0.0, high=1.0, include_high=False)


def _check_eps(value: Any, name: str = "eps") -> float:
    return check_scalar(value, name, low=0.0, include_low=False, finite=True)


class SGD(Rule):
    """Stochastic gradient descent with momentum, optionally Nesterov's (PyTorch's formulas).

    With gradient :math:`g` and momentum :math:`\\beta` (PyTorch calls it
    :math:`\\mu`; in this book :math:`\\mu` is the strong-convexity constant),
    the buffer :math:`b` starts at 0 and each step is

    .. math:: b \\leftarrow \\beta b + g, \\qquad
              \\theta \\leftarrow \\theta - \\eta\\, b \\quad\\text{(heavy ball)}, \\qquad
              \\theta \\leftarrow \\theta - \\eta\\,(g + \\beta b) \\quad\\text{(Nesterov)}.

    With a constant :math:`\\eta` the heavy-ball form is the chapter's
    :math:`v \\leftarrow \\beta v - \\eta g,\\ \\theta \\leftarrow \\theta + v`
    (:math:`v = -\\eta b`), and the Nesterov form is scikit-learn's
    ``SGDOptimizer(nesterov=True)``. Derived in Chapter 2,
    :ref:`sec-gd-momentum` and :ref:`sec-gd-nesterov`.

    Parameters
    ----------
    params : list of ndarray
    learning_rate : float or Schedule
    momentum : float in [0, 1), default 0
    nesterov : bool, default False
        Needs ``momentum > 0``.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        learning_rate: float | Schedule,
        momentum: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, learning_rate)
        self.momentum = _check_momentum(momentum)
        if not isinstance(nesterov, bool | np.bool_):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs a momentum > 0, got momentum=0")
        self.nesterov = bool(nesterov)
        self.adaptive = False
        self.buffers = self._state()

    def _update(self, eta: float, grads: list[np.ndarray]) -> None:
        beta = self.momentum
        for p, g, b in zip(self.params, grads, self.buffers, strict=True):
            if beta == 0.0:
                p -= eta * g
                continue
            b *= beta
            b += g
            if self.nesterov:
                p -= eta * (g + beta * b)
            else:
                p -= eta * b

    @property
    def critical_factor(self) -> float:
        """:math:`c` in the critical rate :math:`c/\\lambda_{\\max}` on a quadratic.

        :math:`2(1+\\beta)` for heavy ball and :math:`2(1+\\beta)/(1+2\\beta)`
        for Nesterov (Chapter 2, :ref:`sec-gd-nesterov`).
        """
        return critical_factor(self.momentum, nesterov=self.nesterov)

    def describe(self) -> str:
        text = super().describe()
        if self.momentum:
            text += f" and momentum={self.momentum:g}"
        if self.nesterov:
            text += " (Nesterov)"
        return text


class AdaGrad(Rule):
    """AdaGrad (Duchi, Hazan and Singer, 2011): each coordinate's step shrinks with its history.

    PyTorch's formula: the sum :math:`s` starts at 0 and

    .. math:: s \\leftarrow s + g^2, \\qquad
              \\theta \\leftarrow \\theta - \\eta\\, \\frac{g}{\\sqrt{s} + \\varepsilon}

    (element-wise; :math:`\\varepsilon` added after the square root).
    Derived in Chapter 2, :ref:`sec-gd-adaptive`.

    Parameters
    ----------
    params : list of ndarray
    learning_rate : float or Schedule
    eps : float > 0, default 1e-10
    """

    def __init__(
        self, params: Sequence[np.ndarray], learning_rate: float | Schedule, eps: float = 1e-10
    ) -> None:
        super().__init__(params, learning_rate)
        self.eps = _check_eps(eps)
        self.sums = self._state()

    def _update(self, eta: float, grads: list[np.ndarray]) -> None:
        for p, g, s in zip(self.params, grads, self.sums, strict=True):
            s += g * g
            p -= eta * g / (np.sqrt(s) + self.eps)


class RMSProp(Rule):
    """RMSProp (Tieleman and Hinton, 2012): AdaGrad with a forgetting average of :math:`g^2`.

    PyTorch's formula (its ``alpha`` is ``rho`` here): :math:`v` starts at 0 and

    .. math:: v \\leftarrow \\rho v + (1-\\rho) g^2, \\qquad
              \\theta \\leftarrow \\theta - \\eta\\, \\frac{g}{\\sqrt{v} + \\varepsilon}

    (element-wise; :math:`\\varepsilon` added after the square root).
    Derived in Chapter 2, :ref:`sec-gd-adaptive`.

    Parameters
    ----------
    params : list of ndarray
    learning_rate : float or Schedule
    rho : float in [0, 1), default 0.99
    eps : float > 0, default 1e-8
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        learning_rate: float | Schedule,
        rho: float = 0.99,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, learning_rate)
        self.rho = _check_beta(rho, "rho")
        self.eps = _check_eps(eps)
        self.averages = self._state()

    def _update(self, eta: float, grads: list[np.ndarray]) -> None:
        rho = self.rho
        for p, g, v in zip(self.params, grads, self.averages, strict=True):
            v *= rho
            v += (1.0 - rho) * g * g
            p -= eta * g / (np.sqrt(v) + self.eps)


class Adam(Rule):
    """Adam (Kingma and Ba, 2015): RMSProp with momentum, both averages bias-corrected.

    PyTorch's formula: :math:`m, v` start at 0 and at step :math:`t = 1, 2, \\dots`

    .. math:: m \\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad
              v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2, \\quad
              \\hat m = \\frac{m}{1-\\beta_1^t}, \\quad \\hat v = \\frac{v}{1-\\beta_2^t}, \\quad
              \\theta \\leftarrow \\theta
              - \\eta\\, \\frac{\\hat m}{\\sqrt{\\hat v} + \\varepsilon}.

    scikit-learn's ``AdamOptimizer`` adds :math:`\\varepsilon` to
    :math:`\\sqrt{v}` instead of :math:`\\sqrt{\\hat v}` (the "efficient
    version" of Kingma and Ba), the same rule with
    :math:`\\varepsilon_t = \\varepsilon\\sqrt{1-\\beta_2^t}`. Derived in Chapter 2,
    :ref:`sec-gd-adaptive`.

    Parameters
    ----------
    params : list of ndarray
    learning_rate : float or Schedule
    beta1, beta2 : float in [0, 1), default 0.9 and 0.999
    eps : float > 0, default 1e-8
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        learning_rate: float | Schedule,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, learning_rate)
        self.beta1 = _check_beta(beta1, "beta1")
        self.beta2 = _check_beta(beta2, "beta2")
        self.eps = _check_eps(eps)
        self.m = self._state()
        self.v = self._state()

    def _update(self, eta: float, grads: list[np.ndarray]) -> None:
        b1, b2, t = self.beta1, self.beta2, self.t
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p -= eta * (m / c1) / (np.sqrt(v / c2) + self.eps)


#: The rules by the names the estimators' ``solver`` takes.
RULES: dict[str, type[Rule]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp, "adagrad": AdaGrad}


def critical_factor(momentum: float = 0.0, *, nesterov: bool = False) -> float:
    """The :math:`c` in the critical rate :math:`c/\\lambda_{\\max}` of SGD on a quadratic.

    :math:`2(1+\\beta)` for heavy ball, divided by :math:`1+2\\beta` for Nesterov.
    """
    c = 2.0 * (1.0 + momentum)
    return c / (1.0 + 2.0 * momentum) if nesterov else c


def make_rule(
    rule: str | Callable[..., Rule],
    params: Sequence[np.ndarray],
    learning_rate: float | Schedule,
    *,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> Rule:
    """Build ``rule`` on ``params``: a name in :data:`RULES` or a factory ``f(params, eta)``.

    ``momentum`` and ``nesterov`` belong to ``"sgd"``; with any other rule
    they must stay at their defaults (set e.g. Adam's betas through
    ``functools.partial(Adam, beta1=0.8)``).
    """
    if isinstance(rule, str):
        check_option(rule, "rule", tuple(RULES))
        if rule == "sgd":
            return SGD(params, learning_rate, momentum=momentum, nesterov=nesterov)
        factory: Callable[..., Rule] = RULES[rule]
    elif callable(rule):
        factory = rule
    else:
        raise TypeError(f"rule must be one of {tuple(RULES)} or a callable, got {rule!r}")
    if momentum or nesterov:
        if factory is SGD:
            return SGD(params, learning_rate, momentum=momentum, nesterov=nesterov)
        raise ValueError(
            f"momentum={momentum:g} and nesterov={nesterov} are settings of rule='sgd'; "
            f"rule={rule!r} takes its own (e.g. functools.partial(Adam, beta1=0.9))"
        )
    built = factory(params, learning_rate)
    if not isinstance(built, Rule):
        raise TypeError(f"rule must build an mlmath.optim.Rule, got {type(built).__name__}")
    return built


# ---------------------------------------------------------------------------
# Bounded cycles: runs that neither converge nor blow up
# ---------------------------------------------------------------------------

#: Longest period, in steps, that the bounded-cycle test looks for.
MAX_CYCLE_PERIOD = 8

#: The iterates close a cycle of period ``p`` when :math:`\|w_k - w_{k-p}\|` is at
#: most this fraction of the step :math:`\|w_k - w_{k-1}\|`, on ``3p`` consecutive
#: steps; and a loss has stopped decreasing when a window of steps lowers its
#: best value by less than this fraction of its oscillation.
CYCLE_CLOSURE = 1e-3

_APERIODIC = 0  # a stalled, oscillating run with no period up to MAX_CYCLE_PERIOD
_STALL_WINDOW = 32  # steps per window of the aperiodic test (two windows are compared)
_TINY = np.finfo(np.float64).tiny
_EPS = np.finfo(np.float64).eps


def _stalled(window: list[float | None]) -> bool:
    """True when the second half of ``window`` gets no lower than the first half did.

    "No lower" allows :data:`CYCLE_CLOSURE` of the half's oscillation, plus a
    relative 1e-9: a cycle is approached geometrically, and a symmetric one
    (:math:`w \\to -w` on an even loss) has no oscillation in the loss at all.
    """
    half = len(window) // 2
    old, new = np.array(window[:half], float), np.array(window[half:], float)
    slack = CYCLE_CLOSURE * float(new.max() - new.min()) + 1e-9 * abs(float(new.min()))
    return float(new.min()) >= float(old.min()) - slack


def _and(items: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _bounded(steps: list[float]) -> bool:
    """True when the steps of the second half of a window are no longer than the first's."""
    half = len(steps) // 2
    return max(steps[half:]) <= (1.0 + CYCLE_CLOSURE) * max(steps[:half])


class _CycleWatch:
    """The third way a run can end: it stops decreasing and oscillates in a bounded cycle.

    Past the critical rate of the region it is in, gradient descent on a
    non-quadratic loss need not blow up: the loss flattens out where the
    curvature is small, and the iterates can settle into a cycle that repeats
    forever with a loss far above the minimum (Chapter 2,
    :ref:`sec-gd-learning-rate`). The gradient stays bounded, so the growth
    test of :data:`DIVERGENCE_FACTOR` never fires.

    A run is reported when (1) the iterates repeat with a period ``p`` of 2 to
    :data:`MAX_CYCLE_PERIOD` (:data:`CYCLE_CLOSURE`) or, with a loss, the loss
    keeps oscillating without getting better for 64 steps, and (2) the
    curvature confirms it: somewhere along the last steps the second derivative
    in the direction of the step is at least :math:`c/\\eta` (:math:`c = 2(1+\\beta)` for
    heavy ball, :func:`critical_factor`), i.e.
    ``learning_rate`` is at or above the local critical rate. (Plain gradient
    descent on a smooth loss lowers the loss at every step whose segment has
    curvature below :math:`2/\\eta`, so a cycle must cross such a region.) The
    first test is a few scalar comparisons per step; the second costs a few
    gradients, and after a candidate it rejects, it waits until the step count
    has doubled. Converging runs, momentum runs with a non-monotone loss and
    runs sitting at the rounding floor of the minimum are not reported.
    """

    def __init__(self, grad: Callable[..., Any], rule: SGD, *args: Any) -> None:
        self.grad, self.rule, self.args = grad, rule, args
        self.factor = rule.critical_factor  # critical rate = factor / lambda_max
        self.eta = rule.current_learning_rate  # the step just taken; the driver updates it
        self.steps = [0.0]  # ||w_k - w_{k-1}||, indexed by k
        self.next_check = 2 * 3 * 2  # two windows of three periods of 2
        self.peak: np.ndarray | None = None  # where the confirming curvature was found

    def update(
        self,
        k: int,
        ws: list[np.ndarray],
        losses: list[float | None],
        norms: list[float],
        step: np.ndarray,
    ) -> int | None:
        """Record step ``k`` (``step`` is w_k - w_{k-1}); return the period if trapped.

        The period is 0 when the run is trapped without a period of at most
        :data:`MAX_CYCLE_PERIOD`.
        """
        self.steps.append(math.sqrt(float(np.vdot(step, step))))  # cheaper than np.linalg.norm
        if k < self.next_check:
            return None
        period = self._candidate(k, ws, losses, norms)
        if period is None:
            return None
        self.peak = self._confirm(ws, period)
        if self.peak is None:
            self.next_check = 2 * k
            return None
        return period

    def _candidate(
        self, k: int, ws: list[np.ndarray], losses: list[float | None], norms: list[float]
    ) -> int | None:
        steps = self.steps
        has_loss = losses[0] is not None
        for p in range(2, MAX_CYCLE_PERIOD + 1):
            R = 3 * p
            if k < 2 * R:
                break
            if abs(norms[k] - norms[k - p]) > CYCLE_CLOSURE * norms[k]:
                continue  # the gradient norms do not repeat: not this period
            if self._at_rounding_floor(k, ws):
                return None
            if all(
                np.linalg.norm(ws[j] - ws[j - p]) <= CYCLE_CLOSURE * steps[j]
                for j in range(k - R + 1, k + 1)
            ):
                if not _bounded(steps[k + 1 - 2 * R : k + 1]) or (
                    has_loss and not _stalled(losses[k + 1 - 2 * R : k + 1])
                ):
                    return None  # repeating, but still growing or improving: wait
                return p
        W = _STALL_WINDOW
        # A stalled orbit stays stalled: looking once per window is enough.
        if has_loss and k + 1 >= 2 * W and k % W == 0 and not self._at_rounding_floor(k, ws):
            recent = steps[k + 1 - 2 * W : k + 1]
            # Steps that keep their size (neither settling into a minimum nor blowing up).
            if _stalled(losses[k + 1 - 2 * W : k + 1]) and _bounded(recent):
                if np.mean(recent[W:]) >= 0.5 * np.mean(recent[:W]):
                    return _APERIODIC
        return None

    def _at_rounding_floor(self, k: int, ws: list[np.ndarray]) -> bool:
        """Steps of a few ulps: a converged run flipping between floats, not a cycle."""
        return not self.steps[k] > 1e3 * _EPS * max(float(np.linalg.norm(ws[k])), _TINY)

    def _confirm(self, ws: list[np.ndarray], period: int) -> np.ndarray | None:
        """The point of largest curvature along the last steps, if it is past the critical one."""
        orbit = ws[-(period or 2 * MAX_CYCLE_PERIOD) - 1 :]
        threshold = self.factor / self.eta
        best, where = -math.inf, None
        for a, b in itertools.pairwise(orbit):
            d = b - a
            length = float(np.linalg.norm(d))
            if length == 0.0:
                continue
            u = d / length
            for t in (0.0, 0.25, 0.5, 0.75):
                x = a + t * d
                h = 1e-5 * max(1.0, float(np.linalg.norm(x)))
                dg = _eval_grad(self.grad, x + h * u, *self.args)
                dg -= _eval_grad(self.grad, x - h * u, *self.args)
                curvature = float(np.sum(u * dg)) / (2 * h)  # u^T H(x) u
                if curvature > best:
                    best, where = curvature, x
        # A mode that shrinks by less than a millionth per step counts as a cycle.
        return where if best * (1.0 + 1e-6) >= threshold else None

    def error(
        self,
        what: str,
        k: int,
        period: int,
        ws: list[np.ndarray],
        losses: list[float | None],
        norms: list[float],
        given: float | None = None,
    ) -> DivergenceError:
        """The report: period, loss, the local critical rates found, and a step to use."""
        eta, factor = self.eta, self.factor
        unit = "epoch" if what.startswith("mini-batch") else "step"
        span = period or 2 * _STALL_WINDOW
        bound = _bound(self.rule)
        setting = self.rule.describe()
        if period:
            head = (
                f"{what} oscillates in a bounded cycle of period {period} with {setting}: "
                f"by {unit} {k} the iterates repeat every {period} {unit}s"
            )
        else:
            head = (
                f"{what} oscillates in a bounded cycle with {setting}: for {span} {unit}s up "
                f"to {unit} {k} the run has moved back and forth without getting closer "
                f"to a minimum (no period of up to {MAX_CYCLE_PERIOD} {unit}s)"
            )
        recent = losses[-span:]
        if recent[0] is not None:
            lo, hi = min(recent), max(recent)
            if hi - lo <= 1e-3 * abs(hi):
                moves = f"stays at {hi:.4g}"
            else:
                moves = "alternates" if period == 2 else "moves"
                moves += f" between {lo:.4g} and {hi:.4g}"
            head += f", and the loss {moves} instead of decreasing (it was {losses[0]:.4g} at w0)"
        head += f"; the gradient norm stays near {float(np.mean(norms[-span:])):.3g}."

        rates = {
            "at the current iterate": _local_critical(self.grad, ws[-1], factor, *self.args),
            "at the most curved point of the last steps": _local_critical(
                self.grad, self.peak, factor, *self.args
            ),
            "at w0": _local_critical(self.grad, ws[0], factor, *self.args),
        }
        known = {where: c for where, c in rates.items() if c is not None}
        groups: dict[str, list[str]] = {}  # equal values (to 4 digits) are named once
        for where, c in known.items():
            groups.setdefault(f"{c:.4g}", []).append(where)
        listed = [f"{value} {_and(places)}" for value, places in groups.items()]
        if listed:
            text = (
                f" The local critical rate {bound} of the Hessian is {_and(listed)} (estimated"
                " by power iteration on finite differences of the gradient)"
            )
        else:
            text = f" The local critical rate {bound} could not be estimated (no curvature found)"
        if given is not None:
            text += f"; critical_learning_rate was given as {given:.4g}"
        smallest = min([*known.values(), *([] if given is None else [given])], default=None)
        if smallest is not None:
            text += (
                ". The run can settle into a minimum only if learning_rate is below the local"
                f" critical rate there: use a learning_rate below {smallest:.4g}, e.g."
                f" {0.5 * smallest:.3g}."
            )
        else:
            text += ": use a smaller learning_rate (e.g. a tenth of this one)."
        local = rates["at the current iterate"]
        err = DivergenceError(head + text)
        err.kind = "cycle"
        err.step = k
        err.learning_rate = eta
        err.period = period or None
        err.local_critical_learning_rate = local
        err.critical_learning_rate = smallest
        err.history = _stack_history(ws, losses, norms)
        return err


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
    nesterov: bool = False,
    rule: str | Callable[..., Rule] = "sgd",
    loss: Callable[[np.ndarray], float] | None = None,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    critical_learning_rate: float | None = None,
) -> OptimizeResult:
    """Minimise a loss by gradient descent, with any update rule of this module.

    The default rule iterates :math:`v_{k+1} = \\beta v_k - \\eta \\nabla L(w_k)`,
    :math:`w_{k+1} = w_k + v_{k+1}` with :math:`v_0 = 0` (heavy ball, :class:`SGD`);
    ``momentum=0`` is plain gradient descent :math:`w_{k+1} = w_k - \\eta \\nabla L(w_k)`.
    Derived in Chapter 2, :ref:`sec-gd-steepest-descent` and
    :ref:`sec-gd-momentum`; the other rules in :ref:`sec-gd-nesterov` and
    :ref:`sec-gd-adaptive`.

    Parameters
    ----------
    grad : callable
        ``grad(w)`` returns :math:`\\nabla L(w)`, an array of the shape of ``w``.
    w0 : array_like of any shape
        The starting weights (not modified).
    learning_rate : float or Schedule
        The step size :math:`\\eta > 0`, or a schedule :math:`k \\mapsto \\eta_k`
        (:func:`constant`, :func:`step_decay`, :func:`inverse_time`, :func:`cosine`).
    max_iter : int, default 1000
        Maximum number of updates, ``>= 1``.
    tol : float, default 1e-8
        Stop (converged) when :math:`\\|\\nabla L(w_k)\\| \\le` ``tol``
        (Euclidean, or Frobenius for matrix weights).
    momentum : float in [0, 1), default 0
        Momentum coefficient :math:`\\beta` of ``rule="sgd"``.
    nesterov : bool, default False
        Nesterov's momentum instead of heavy ball (``rule="sgd"``).
    rule : {"sgd", "adagrad", "rmsprop", "adam"} or callable, default "sgd"
        The update rule (:data:`RULES`), or a factory ``rule(params, learning_rate)``
        returning a :class:`Rule`, e.g. ``functools.partial(Adam, beta1=0.8)``.
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
        For every rule, if the run blows up: the gradient, weights or loss become non-finite,
        or the gradient norm grows :data:`DIVERGENCE_FACTOR` times above its
        smallest value (above its value at ``w0`` with momentum) to a size it
        has never had, while the loss (if given) is above its start. The
        message names ``learning_rate`` and the critical one. Also if the run
        stays bounded but oscillates in a cycle instead of converging (see
        ``_CycleWatch``): the message says so, gives the period (when there is
        one of at most :data:`MAX_CYCLE_PERIOD` steps) and the local critical
        rate :math:`2/\\lambda_{\\max}` at the current iterate, and suggests a
        step below the smallest local critical rate it found. The exception
        carries ``step``, ``learning_rate``, ``critical_learning_rate`` and
        ``history``; a cycle also ``period`` (None if none was found) and
        ``local_critical_learning_rate``. Critical rates and cycles concern
        :class:`SGD` only (:math:`2(1+\\beta)/((1+2\\beta)\\lambda_{\\max})` with
        Nesterov); the adaptive rules, whose steps are scaled per coordinate,
        are checked for blow-up only.
    ValueError, TypeError
        For bad settings or a ``w0`` whose shape the gradient does not match.

    Examples
    --------
    >>> import numpy as np
    >>> res = gradient_descent(lambda w: 2 * w, np.array([1.0, -2.0]), learning_rate=0.25)
    >>> res.converged, bool(np.allclose(res.w, 0.0))
    (True, True)
    """
    check_callable(grad, "grad")
    check_callable(loss, "loss", optional=True)
    check_callable(callback, "callback", optional=True)
    schedule = _as_schedule(learning_rate)
    max_iter = check_scalar(max_iter, "max_iter", kind=int, low=1)
    tol = check_scalar(tol, "tol", low=0.0)
    w = check_array(w0, name="w0", ndim=range(0, 8)).astype(np.float64, copy=True)
    opt = make_rule(rule, [w], schedule, momentum=momentum, nesterov=nesterov)
    if critical_learning_rate is not None:
        critical_learning_rate = check_scalar(
            critical_learning_rate, "critical_learning_rate", low=0.0, include_low=False
        )
    what = _driver_name("gradient descent", opt)
    # Heavy-ball runs pass close to zero gradient as they swing through a minimum and
    # grow again while converging, and so do the adaptive rules: they are measured from w0.
    from_start = opt.momentum > 0.0 or opt.adaptive

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        g, L = _start(grad, loss, w)
        ws, losses, norms = [w.copy()], [L], [float(np.linalg.norm(g))]
        L0, min_norm, max_norm = L, norms[0], norms[0]
        watch = None if opt.adaptive else _CycleWatch(grad, opt)
        k, converged = 0, norms[0] <= tol
        while not converged and k < max_iter:
            eta = opt.current_learning_rate
            opt.step([g])  # updates w in place
            k += 1
            finite = bool(np.isfinite(w).all())
            if finite:
                g = _eval_grad(grad, w)
                L = _eval_loss(loss, w)
                norm = float(np.linalg.norm(g))
            else:  # overflowed: no gradient to take (a validating one would refuse w)
                L, norm = (None if loss is None else math.nan), math.inf
            ws.append(w.copy())
            losses.append(L)
            norms.append(norm)
            finite = finite and math.isfinite(norm)
            finite = finite and (L is None or math.isfinite(L))
            # A blow-up sets a new record; a bounded orbit escaping from near a
            # stationary point grows a thousandfold too, but to sizes it has seen.
            growing = norm > DIVERGENCE_FACTOR * min_norm and norm > max_norm
            growing = growing and (L is None or L > L0)
            max_norm = max(max_norm, norm)
            if not finite or growing:
                raise _diverged(
                    what, grad, ws, losses, norms, opt, eta, k,
                    critical_learning_rate, min_norm, finite,
                )  # fmt: skip
            if not from_start:
                min_norm = min(min_norm, norm)
            converged = norm <= tol
            period = None
            if watch is not None and not converged:
                watch.eta = eta
                period = watch.update(k, ws, losses, norms, ws[-1] - ws[-2])
            if period is not None:
                raise watch.error(what, k, period, ws, losses, norms, critical_learning_rate)
            if callback is not None and callback(k, w.copy()) is True:
                break
    return OptimizeResult(
        w=w.copy(),
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
    rule: Rule,
    eta: float,
    step: int,
    critical: float | None,
    min_norm: float,
    finite: bool,
    *args: Any,
) -> DivergenceError:
    estimated = False
    if rule.adaptive:
        critical = None  # per-coordinate steps: no single critical rate applies
    elif critical is None:
        critical = _local_critical(grad, ws[0], rule.critical_factor, *args)
        estimated = critical is not None
    return _divergence(
        what=what,
        step=step,
        rule=rule,
        eta=eta,
        critical=critical,
        estimated=estimated,
        growth=(min_norm, norms[-1]) if finite else None,
        history=_stack_history(ws, losses, norms),
    )


def _driver_name(what: str, rule: Rule) -> str:
    return what if isinstance(rule, SGD) else f"{what} with {type(rule).__name__}"


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
    nesterov: bool = False,
    rule: str | Callable[..., Rule] = "sgd",
    tol: float = 0.0,
    loss: Callable[[np.ndarray, np.ndarray, np.ndarray], float] | None = None,
    critical_learning_rate: float | None = None,
) -> OptimizeResult:
    """Mini-batch (``batch_size > 1``) or stochastic (``batch_size = 1``) gradient descent.

    Each epoch visits the N samples once, in a fresh random order when
    ``shuffle``, in batches :math:`B` of ``batch_size`` rows (the last may be
    smaller), and steps with the batch gradient, an unbiased estimate of the
    full one: :math:`w \\leftarrow w - \\eta \\nabla L_B(w)` (or any other rule, as
    in :func:`gradient_descent`; a schedule advances once per batch). Derived in
    Chapter 2, :ref:`sec-gd-minibatch`.

    Parameters
    ----------
    grad_batch : callable
        ``grad_batch(w, X_B, y_B)``: the gradient of the loss averaged over the
        rows of the batch (e.g. :func:`mse_gradient`).
    w0 : array_like of shape (D,) or (D, K)
        Starting weights; ``D`` must equal the number of columns of ``X``.
    X : array_like of shape (N, D)
    y : array_like of shape (N,) or (N, K)
    learning_rate : float or Schedule
        Step size :math:`\\eta > 0`, or a schedule :math:`k \\mapsto \\eta_k` over the
        batch steps ``k``.
    batch_size : int
        Rows per batch, between 1 and N. N is full-batch gradient descent.
    n_epochs : int, default 100
        Passes over the data, ``>= 1``.
    shuffle : bool, default True
        Reshuffle the rows at each epoch.
    random_state : int, Generator or None, default 0
        Seed for the shuffling: the same seed gives the same run, bit for bit.
    momentum : float in [0, 1), default 0
    nesterov : bool, default False
    rule : {"sgd", "adagrad", "rmsprop", "adam"} or callable, default "sgd"
        As in :func:`gradient_descent`.
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
        epoch arbitrarily close to the minimum by chance.) With full batches
        (``batch_size = N``) also a run that oscillates in a bounded cycle, as
        in :func:`gradient_descent`.
    """
    check_callable(grad_batch, "grad_batch")
    check_callable(loss, "loss", optional=True)
    X, y = check_X_y(X, y, y_ndim=(1, 2))
    N, D = X.shape
    batch_size = check_scalar(batch_size, "batch_size", kind=int, low=1)
    if batch_size > N:
        raise ValueError(
            f"batch_size must be between 1 and the number of samples N={N}, got {batch_size}"
        )
    n_epochs = check_scalar(n_epochs, "n_epochs", kind=int, low=1)
    if not isinstance(shuffle, bool | np.bool_):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    rng = check_random_state(random_state)
    schedule = _as_schedule(learning_rate)
    tol = check_scalar(tol, "tol", low=0.0)
    w = check_array(w0, name="w0", ndim=(1, 2)).astype(np.float64, copy=True)
    expected = (D, *y.shape[1:])
    if w.shape != expected:
        raise ValueError(
            f"w0 has shape {w.shape} but X has {D} columns and y has shape {y.shape}, "
            f"so the weights must have shape {expected}"
        )
    opt = make_rule(rule, [w], schedule, momentum=momentum, nesterov=nesterov)
    if critical_learning_rate is not None:
        critical_learning_rate = check_scalar(
            critical_learning_rate, "critical_learning_rate", low=0.0, include_low=False
        )
    what = _driver_name("mini-batch gradient descent", opt)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        g, L = _start(grad_batch, loss, w, X, y)
        ws, losses, norms = [w.copy()], [L], [float(np.linalg.norm(g))]
        L0, ref_norm = L, norms[0]
        # Full batches make each epoch one deterministic step, which can cycle; the
        # noise of smaller batches makes an epoch's endpoint wander instead.
        full = batch_size == N and not opt.adaptive
        watch = _CycleWatch(grad_batch, opt, X, y) if full else None
        epoch, converged = 0, norms[0] <= tol
        order = np.arange(N)
        while not converged and epoch < n_epochs:
            if shuffle:
                order = rng.permutation(N)
            finite = True
            for start in range(0, N, batch_size):
                batch = order[start : start + batch_size]
                eta = opt.current_learning_rate
                opt.step([_eval_grad(grad_batch, w, X[batch], y[batch])])  # w in place
                if not np.isfinite(w).all():
                    finite = False
                    break
            epoch += 1
            if finite:
                g = _eval_grad(grad_batch, w, X, y)
                L = _eval_loss(loss, w, X, y)
                norm = float(np.linalg.norm(g))
            else:  # overflowed: no gradient to take
                L, norm = (None if loss is None else math.nan), math.inf
            ws.append(w.copy())
            losses.append(L)
            norms.append(norm)
            finite = finite and math.isfinite(norm) and (L is None or math.isfinite(L))
            growing = norm > DIVERGENCE_FACTOR * ref_norm and (L is None or L > L0)
            if not finite or growing:
                raise _diverged(
                    what,
                    grad_batch,
                    ws,
                    losses,
                    norms,
                    opt,
                    eta,
                    epoch,
                    critical_learning_rate,
                    ref_norm,
                    finite,
                    X,
                    y,
                )
            converged = norm <= tol
            period = None
            if watch is not None and not converged:
                watch.eta = eta
                period = watch.update(epoch, ws, losses, norms, ws[-1] - ws[-2])
            if period is not None:
                raise watch.error(
                    what,
                    epoch,
                    period,
                    ws,
                    losses,
                    norms,
                    critical_learning_rate,
                )
    return OptimizeResult(
        w=w.copy(),
        n_iter=epoch,
        converged=bool(converged),
        grad_norm=norms[-1],
        loss=losses[-1],
        history=_stack_history(ws, losses, norms),
    )
