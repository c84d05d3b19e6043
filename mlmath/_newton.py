"""Newton's method with step halving, and a final polish to machine precision (Chapter 3).

The step :math:`\\theta \\leftarrow \\theta - t H^{-1} g` with :math:`t = 1`
halved until the Armijo condition holds is derived in Chapter 3,
:ref:`sec-newton`. The loop here is written once for any smooth convex cost
that depends on the parameters through the logits :math:`Z = X_1 \\theta`
(binary and softmax regression, :mod:`mlmath.logistic`). A *problem* object
supplies, as functions of the logits ``z`` (computed once per iterate and
shared):

* ``logits(theta)``, linear in ``theta``;
* ``cost(z, theta)`` and ``gradient(z, theta)`` (the shape of ``theta``);
* ``hessian(z)``, of shape (P, P) for the P = ``theta.size`` parameters in
  C order, positive definite;
* ``separated(z)``: True when the logits classify every sample correctly
  with a positive margin (then an unpenalised cost has no minimiser).

Why the polish. Near the minimiser :math:`\\theta^*` Newton's error is squared
at every step, :math:`e_{k+1} \\approx c\\, e_k^2`. A gradient test
:math:`\\max_j |g_j| \\le` ``tol`` stops at an error of about
:math:`\\|H^{-1}\\| \\cdot` ``tol``, which for ``tol = 1e-6`` and an
ill-conditioned Hessian is 1e-6 relative or more, while machine precision is
only one or two steps away. So once the gradient test passes, the loop keeps
the last Hessian and repeats :math:`\\theta \\leftarrow \\theta - H^{-1}
\\nabla J(\\theta)` while the steps shrink. Each such step costs a gradient
(:math:`O(ND)`), not a Hessian (:math:`O(ND^2)`), and contracts the error by a
factor of about the error at which that Hessian was formed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["newton"]

EPS = np.finfo(np.float64).eps
#: Rounding noise in the cost: steps that change J by less than this (relative)
#: count as no change, so that the line search accepts a step at the floor of
#: float64 precision instead of halving it to nothing.
COST_SLACK = 16 * EPS
#: At most this many polish steps after the gradient test has passed.
MAX_POLISH = 8


def _equilibrated(H: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(S H S, S, singular)``, with :math:`S = \\mathrm{diag}(H)^{-1/2}`, for ``H`` >= 0.

    :math:`S H S` has a unit diagonal, so a parameter's units (a feature in
    millimetres, a penalty of 1e300) do not make ``H`` look singular, while
    duplicated columns, more parameters than samples or ``C = inf`` do: a
    Cholesky pivot at the rounding level. A plain solve would then return a
    direction made of rounding errors; the callers use the pseudo-inverse,
    which keeps to the directions the data determine (the minimum-norm step).
    """
    d = np.diag(H)
    if np.any(d <= 0.0):  # a parameter the cost does not depend on at all
        return H, np.ones(len(H)), True
    scale = 1.0 / np.sqrt(d)
    Hs = H * scale[:, None] * scale[None, :]
    try:
        singular = bool(np.diag(np.linalg.cholesky(Hs)).min() ** 2 <= len(H) * EPS)
    except np.linalg.LinAlgError:  # not positive definite in floating point
        singular = True
    return Hs, scale, singular


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The Newton step :math:`H^{-1} g`; the minimum-norm one if ``H`` is singular."""
    Hs, scale, singular = _equilibrated(H)
    solve = (lambda A, b: np.linalg.lstsq(A, b, rcond=None)[0]) if singular else np.linalg.solve
    return scale * solve(Hs, scale * g)


def _inverse(H: np.ndarray) -> np.ndarray:
    """:math:`H^{-1}`, or the pseudo-inverse if ``H`` is singular (see :func:`_equilibrated`)."""
    Hs, scale, singular = _equilibrated(H)
    inverse = np.linalg.pinv(Hs, hermitian=True) if singular else np.linalg.inv(Hs)
    return inverse * scale[:, None] * scale[None, :]


def newton(
    problem: Any, theta: np.ndarray, *, max_iter: int, tol: float, stop_if_separated: bool
) -> tuple[np.ndarray, int, bool, list[float]]:
    """Minimise ``problem``'s cost from ``theta``; see the module docstring.

    With ``stop_if_separated`` it stops as soon as an iterate separates the
    classes: there is no minimum to converge to.

    Returns
    -------
    theta : ndarray, the shape of the start
    n_iter : int
        Steps taken, polish steps included.
    converged : bool
        Whether the gradient test ``max |g| <= tol`` was met.
    costs : list of float
        The cost at the start and after every step.
    """
    shape = theta.shape
    z = problem.logits(theta)
    J = problem.cost(z, theta)
    costs = [J]
    H, last_step = None, np.inf  # the Hessian behind the last step, and that step's size
    for k in range(max_iter):
        if stop_if_separated and problem.separated(z):
            return theta, k, False, costs
        g = problem.gradient(z, theta)
        if np.max(np.abs(g)) <= tol:
            theta, n_polish = _polish(problem, theta, z, g, costs, H, last_step, max_iter - k)
            return theta, k + n_polish, True, costs
        H = problem.hessian(z)
        d = _solve(H, g.ravel()).reshape(shape)
        decrease = float(np.sum(g * d))  # > 0 for a descent direction
        dz = problem.logits(d)  # the logits move along X1 d: no product with X1 per trial
        t = 1.0
        for _ in range(60):
            candidate, z_new = theta - t * d, z - t * dz
            J_new = problem.cost(z_new, candidate)
            if J_new <= J - 1e-4 * t * decrease + COST_SLACK * abs(J):
                break
            t *= 0.5
        else:  # no step lowers J: we are at the floor of float64 precision
            return theta, k, False, costs
        theta, z, J = candidate, z_new, J_new
        last_step = t * float(np.max(np.abs(d)))
        costs.append(J)
    converged = bool(np.max(np.abs(problem.gradient(z, theta))) <= tol)
    return theta, max_iter, converged, costs


def _polish(
    problem: Any,
    theta: np.ndarray,
    z: np.ndarray,
    g: np.ndarray,
    costs: list[float],
    H: np.ndarray | None,
    previous: float,
    budget: int,
) -> tuple[np.ndarray, int]:
    """Steps :math:`\\theta - H^{-1} \\nabla J(\\theta)` with one ``H``, while they shrink.

    ``H`` is the Hessian of the last Newton step (``previous`` is that step's
    size), or ``None`` at the start; ``g`` the gradient at ``theta``, the one
    the gradient test has just passed. A step is taken only while the iteration
    contracts (each step at most half the one before) and the cost does not
    rise beyond rounding. When ``H`` stops contracting it is recomputed at the
    current iterate, once; the next failure is rounding noise, and the polish
    ends, as it does once the error left (estimated from the contraction) is
    at the rounding level of ``theta``.
    Appends to ``costs``; returns ``(theta, steps taken)``.
    """
    shape = theta.shape
    fresh = H is None
    H_inv = _inverse(problem.hessian(z) if fresh else H)
    J = costs[-1]
    for n in range(min(MAX_POLISH, budget)):
        if n:  # (at n = 0, the caller's g is the gradient here)
            g = problem.gradient(z, theta)
        d = (H_inv @ g.ravel()).reshape(shape)
        if not float(np.max(np.abs(d))) <= 0.5 * previous and not fresh:
            H_inv, fresh = _inverse(problem.hessian(z)), True  # a full Newton step instead
            d = (H_inv @ g.ravel()).reshape(shape)
        size = float(np.max(np.abs(d)))
        if not size <= 0.5 * previous:  # not contracting: what is left is rounding noise
            return theta, n
        candidate, z_new = theta - d, z - problem.logits(d)
        J_new = problem.cost(z_new, candidate)
        if J_new > J + COST_SLACK * abs(J):
            return theta, n
        # The iteration contracts by about size / previous per step, so the error left
        # after this step is about size^2 / previous: stop once that is rounding level.
        predicted = size * (size / previous) if np.isfinite(previous) else np.inf
        theta, z, J, previous = candidate, z_new, J_new, size
        costs.append(J)
        if predicted <= 4 * EPS * float(np.max(np.abs(theta))):
            return theta, n + 1
    return theta, min(MAX_POLISH, budget)
