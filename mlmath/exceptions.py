"""Errors and warnings raised by :mod:`mlmath`.

They subclass the built-in types a caller would already catch (``ValueError``,
``RuntimeError``, ``UserWarning``), so ``except ValueError`` keeps working.

When scikit-learn is installed, :class:`NotFittedError` and
:class:`DataConversionWarning` also subclass scikit-learn's classes of the
same name, so code written for scikit-learn (``except
sklearn.exceptions.NotFittedError``, its estimator checks) recognises them.
Without scikit-learn they are plain Python classes: the numeric core needs
numpy only.
"""

from __future__ import annotations

__all__ = [
    "ConditioningWarning",
    "ConvergenceWarning",
    "DataConversionWarning",
    "DataTypeError",
    "DivergenceError",
    "NotFittedError",
    "SeparationWarning",
]

try:  # optional: only to be recognised by scikit-learn's own except clauses and checks
    from sklearn.exceptions import DataConversionWarning as _SklearnDataConversionWarning
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
except ImportError:  # scikit-learn is not installed: numpy is all mlmath needs

    class _SklearnNotFittedError(ValueError, AttributeError):
        pass

    class _SklearnDataConversionWarning(UserWarning):
        pass


class NotFittedError(_SklearnNotFittedError, ValueError, AttributeError):
    """An estimator was used (``predict``, ``score``...) before ``fit``.

    A ``ValueError`` and an ``AttributeError`` (``hasattr(model, "coefs_")``
    is ``False`` before ``fit``), and, with scikit-learn installed, a
    ``sklearn.exceptions.NotFittedError``.
    """


class DataConversionWarning(_SklearnDataConversionWarning, UserWarning):
    """The input had to be reshaped to be used, e.g. labels ``y`` of shape (N, 1).

    With scikit-learn installed it is also a
    ``sklearn.exceptions.DataConversionWarning``.
    """


class DataTypeError(TypeError, ValueError):
    """The data are of a kind the estimator cannot take: complex numbers, or no ``y`` at all.

    A ``TypeError`` by mlmath's rule (the values have the wrong type) and a
    ``ValueError`` by scikit-learn's, so either ``except`` clause catches it.
    """


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

    Attributes
    ----------
    kind : {"blow-up", "cycle"}
        ``"blow-up"``: the loss or the iterates became non-finite or grew past
        their bound; ``"cycle"``: :func:`mlmath.optim.gradient_descent` found the
        iterates trapped in a bounded cycle (then ``period`` is its length in
        steps, or ``None`` for a trapped run with no short period).
    """

    kind: str = "blow-up"


class SeparationWarning(ConvergenceWarning):
    """Unpenalised logistic regression on linearly separable classes.

    The maximum-likelihood estimate does not exist: every separating ``w`` can
    be scaled up to lower the loss, so the weights grow without bound. The
    message suggests a finite ``C`` (Chapter 3, "Separable data").
    """
