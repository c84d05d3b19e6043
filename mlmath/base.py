"""The estimator base every :mod:`mlmath` model is built on.

scikit-learn's estimator contract in a few dozen lines, so that an mlmath
model can take the place of a scikit-learn one in a pipeline, a grid search or
``clone``:

* ``__init__`` only stores its arguments, under the same names; the settings
  are checked when ``fit`` runs;
* :meth:`BaseEstimator.get_params` and :meth:`BaseEstimator.set_params` read
  the setting names from ``__init__``'s signature;
* the ``repr`` shows the settings that differ from their defaults;
* the fitted state is what ``mlmath._validation.check_is_fitted`` checks
  (the one fitted check of the package): the attributes listed in
  ``_fitted_attributes`` exist;
* ``__sklearn_tags__`` tells scikit-learn what the estimator accepts;
* :class:`ClassifierMixin` and :class:`RegressorMixin` provide ``score``
  (accuracy, :math:`R^2`).

This module imports scikit-learn only inside ``__sklearn_tags__``, which
only scikit-learn calls; :mod:`mlmath.exceptions` imports it behind a guard,
so that ``NotFittedError`` is scikit-learn's too when it is installed. With
numpy alone, everything here works the same.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

import numpy as np

from ._validation import _check_labels, check_consistent_length, check_is_fitted, check_X_y
from .exceptions import NotFittedError

__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin"]


class BaseEstimator:
    """Settings, ``repr``, fitted state and scikit-learn tags of an estimator.

    A subclass lists its settings as the arguments of ``__init__`` (each one
    stored under its own name, nothing else done there) and names the
    attributes that ``fit`` creates in ``_fitted_attributes``.
    """

    #: Attributes that exist once ``fit`` has run (checked by ``check_is_fitted``).
    _fitted_attributes: tuple[str, ...] = ()

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The settings: the arguments of ``__init__``, in the order it lists them."""
        names = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must list its settings, not *{p.name}")
            names.append(p.name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings, as a dict ``{name: value}`` (scikit-learn's ``get_params``).

        With ``deep=True``, a setting that is itself an estimator also
        contributes its own settings as ``"<name>__<setting>"``.
        """
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
        return params

    def set_params(self, **params: Any) -> BaseEstimator:
        """Change settings by name (scikit-learn's ``set_params``); returns ``self``.

        Nothing is checked here beyond the names: like ``__init__``, this only
        stores, and ``fit`` checks the values.

        Raises
        ------
        ValueError
            For a name that is not a setting; the message lists the valid ones.
        """
        valid = self._get_param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                close = difflib.get_close_matches(name, valid, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"{type(self).__name__} has no setting {name!r}{hint}; valid settings: "
                    f"{', '.join(valid)}"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            inner = getattr(self, name)
            if not hasattr(inner, "set_params"):
                raise ValueError(
                    f"{type(self).__name__}.{name} is {inner!r}, which has no settings of "
                    f"its own; got {', '.join(name + '__' + k for k in sub_params)}"
                )
            inner.set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        """``Name(setting=value, ...)`` with the settings that differ from the defaults."""
        defaults = inspect.signature(type(self).__init__).parameters
        changed = []
        for name in self._get_param_names():
            value, default = getattr(self, name), defaults[name].default
            if not (value is default or repr(value) == repr(default)):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` has run (what ``sklearn.utils.validation.check_is_fitted`` asks)."""
        try:
            check_is_fitted(self)
        except NotFittedError:
            return False
        return True

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's description of the estimator (called by scikit-learn only).

        The defaults are what is true of every mlmath estimator: it must be
        fitted before it predicts, it takes dense 2-D numeric X without NaN
        (no sparse matrices, strings or missing values), and a fixed
        ``random_state`` makes it deterministic. Mixins and estimators
        refine these by calling ``super().__sklearn_tags__()``.
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            requires_fit=True,
            non_deterministic=False,
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
        )


class ClassifierMixin:
    """``score`` as accuracy, and scikit-learn's classifier tags.

    List it before :class:`BaseEstimator` among the bases, as in scikit-learn.
    """

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of rows of ``X`` whose predicted label equals ``y``.

        Parameters
        ----------
        X : array_like of shape (N, D) (or what ``predict`` takes)
        y : array_like of shape (N,)
            True labels.

        Returns
        -------
        float in [0, 1]
        """
        check_is_fitted(self)
        y = _check_labels(y, stacklevel=3)  # a warning points at the caller of score
        y_hat = self.predict(X)
        check_consistent_length(X=y_hat, y=y)
        return float(np.mean(y_hat == y))

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags


class RegressorMixin:
    """``score`` as :math:`R^2`, and scikit-learn's regressor tags.

    List it before :class:`BaseEstimator` among the bases, as in scikit-learn.
    """

    def score(self, X: Any, y: Any) -> float:
        """Coefficient of determination :math:`R^2` of ``predict(X)`` against ``y``.

        See :func:`mlmath.linear.r2_score` (Chapter 1, :ref:`the section on R² <sec-intercept>`).

        Parameters
        ----------
        X : array_like of shape (N, D)
        y : array_like of shape (N,)
            True targets.

        Returns
        -------
        float
            1 for a perfect fit, 0 for predicting the mean of ``y``.
        """
        from .linear import r2_score  # linear.py builds on this module

        check_is_fitted(self)
        X, y = check_X_y(X, y, y_ndim=(1, 2))
        return r2_score(y, self.predict(X))

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import RegressorTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        return tags
