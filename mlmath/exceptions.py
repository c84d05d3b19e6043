"""Errors and warnings raised by :mod:`mlmath`.

They subclass the built-in types a caller would already catch (``ValueError``,
``RuntimeError``, ``UserWarning``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConditioningWarning",
    "ConvergenceWarning",
    "DivergenceError",
    "NotFittedError",
    "SeparationWarning",
]


class NotFittedError(ValueError, AttributeError):
    """An estimator was used (``predict``, ``score``...) before ``fit``."""


class ConditioningWarning(UserWarning):
    """The design matrix is rank deficient or ill-conditioned.

    The message names the rank or the condition number and says which solution
    was returned (the minimum-norm least-squares solution).
    """


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at ``max_iter`` before meeting ``tol``."""


class DivergenceError(RuntimeError):
    """An iterative solver blew up (non-finite or geometrically growing loss).

    The message names the step size that was used and, where it is known, the
    largest step size that would converge.
    """


class SeparationWarning(ConvergenceWarning):
    """Unpenalised logistic regression on linearly separable classes.

    The maximum-likelihood estimate does not exist: every separating ``w`` can
    be scaled up to lower the loss, so the weights grow without bound. The
    message suggests a finite ``C`` (Chapter 3, "Separable data").
    """
