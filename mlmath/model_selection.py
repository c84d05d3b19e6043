"""k-fold cross-validation (Chapter 1b, :ref:`sec-model-selection`).

Split the rows into :math:`k` disjoint folds :math:`F_1, \\dots, F_k`; fit on all
rows but fold :math:`j` and score on fold :math:`j`; the cross-validation score
is the mean,

.. math::

    \\mathrm{CV} = \\frac1k \\sum_{j=1}^{k}
    \\operatorname{score}\\bigl(\\hat f^{(-j)},\\ X_{F_j},\\ y_{F_j}\\bigr) .

:func:`kfold_indices` makes the folds and :func:`cross_val_score` computes the
:math:`k` scores, one line each. Without shuffling the folds are exactly those
of ``sklearn.model_selection.KFold``.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import check_random_state, check_scalar

__all__ = ["cross_val_score", "kfold_indices"]

Folds = list[tuple[np.ndarray, np.ndarray]]


def kfold_indices(N: int, k: int = 5, *, shuffle: bool = False, random_state: Any = None) -> Folds:
    """The :math:`k` folds of :math:`N` rows, as (training rows, held-out rows) pairs.

    Defined in Chapter 1b, :ref:`sec-model-selection`. The held-out parts are
    consecutive blocks of the rows (of a random permutation of them with
    ``shuffle=True``), the first ``N % k`` of them one row longer than the
    others; each training part is every other row, in increasing order. So the
    held-out parts partition ``range(N)``, and without shuffling the folds are
    those of scikit-learn's ``KFold(k)``.

    Parameters
    ----------
    N : int
        Number of rows, at least ``k``.
    k : int, default 5
        Number of folds, at least 2.
    shuffle : bool, default False
        Permute the rows before cutting them into blocks.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        The permutation's randomness, with ``shuffle=True``: a seed or a
        Generator gives the same folds on every machine; ``None`` fresh ones.

    Returns
    -------
    list of k pairs (train, held_out) of int64 arrays
        ``len(train) + len(held_out) == N``.
    """
    N = check_scalar(N, "N", kind=int, low=1)
    k = check_scalar(k, "k", kind=int, low=2)
    if k > N:
        raise ValueError(f"k = {k} folds need at least {k} rows, but N = {N}")
    if not isinstance(shuffle, bool | np.bool_):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    rows = np.arange(N)
    if shuffle:
        rows = check_random_state(random_state).permutation(N)
    blocks = np.array_split(rows, k)  # sizes N // k + 1 (the first N % k), then N // k
    return [(np.setdiff1d(rows, held_out), np.sort(held_out)) for held_out in blocks]


def _fresh_copy(estimator: Any) -> Any:
    """An unfitted copy with the same settings (scikit-learn's ``clone``, without scikit-learn)."""
    if hasattr(estimator, "get_params") and not isinstance(estimator, type):
        params = copy.deepcopy(estimator.get_params(deep=False))
        return type(estimator)(**params)
    return copy.deepcopy(estimator)


def _check_folds(folds: Any, N: int) -> Folds:
    if isinstance(folds, numbers.Integral) and not isinstance(folds, bool):
        return kfold_indices(N, int(folds))
    if hasattr(folds, "split") and not isinstance(folds, str):  # a splitter such as KFold(5)
        raise TypeError(
            "folds must be an int or a list of (train, held_out) pairs; for a scikit-learn "
            "splitter pass list(splitter.split(X, y))"
        )
    if isinstance(folds, str) or not isinstance(folds, Sequence):
        raise TypeError(
            f"folds must be an int or a list of (train, held_out) index pairs, got {folds!r}"
        )
    checked = []
    for j, pair in enumerate(folds):
        if len(pair) != 2:
            raise ValueError(f"fold {j} must be a pair (train, held_out), got {len(pair)} items")
        parts = []
        for name, idx in zip(("train", "held_out"), pair, strict=True):
            idx = np.asarray(idx)
            if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
                raise ValueError(
                    f"fold {j}: {name} must be a non-empty 1-D array of row indices, got "
                    f"shape {idx.shape} and dtype {idx.dtype}"
                )
            if idx.min() < 0 or idx.max() >= N:
                raise ValueError(
                    f"fold {j}: {name} holds row {int(idx.max() if idx.max() >= N else idx.min())}"
                    f", outside 0..{N - 1}"
                )
            parts.append(idx)
        if np.intersect1d(*parts).size:
            raise ValueError(f"fold {j}: train and held_out share rows; they must be disjoint")
        checked.append((parts[0], parts[1]))
    if not checked:
        raise ValueError("folds is empty; cross-validation needs at least one fold")
    return checked


def cross_val_score(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    folds: int | Sequence[tuple[Any, Any]] = 5,
    scoring: Callable[[Any, Any, Any], float] | None = None,
) -> np.ndarray:
    """The score on each held-out fold of a model fitted on the other folds.

    Defined in Chapter 1b, :ref:`sec-model-selection`; its mean is the
    cross-validation score. For each fold, a fresh copy of ``estimator`` (same
    settings, not fitted: ``estimator`` itself is never changed) is fitted on
    the training rows and scored on the held-out rows.

    Parameters
    ----------
    estimator : object with ``fit(X, y)``
        An mlmath or scikit-learn estimator, or any object whose ``fit`` returns
        the fitted object.
    X : array_like of shape (N, ...)
        Samples, one per row (indexed by rows only, so images (N, C, H, W) work too).
    y : array_like of shape (N,) or (N, K)
    folds : int or list of (train, held_out) pairs, default 5
        An int ``k`` means :func:`kfold_indices` ``(N, k)`` (unshuffled; note that
        scikit-learn's ``cross_val_score`` stratifies the folds of a classifier).
        A list gives the folds explicitly, as row indices, for example
        ``kfold_indices(N, k, shuffle=True, random_state=0)``, or the list of
        a scikit-learn splitter's folds, ``list(KFold(k).split(X))``.
    scoring : callable, optional
        ``scoring(fitted_model, X_held_out, y_held_out)``: a number (whether higher
        or lower is better is the caller's to say), or a tuple of ``m`` numbers.
        Default: the model's own ``score`` (:math:`R^2` for regressors,
        accuracy for classifiers).

    Returns
    -------
    ndarray of shape (k,), or (k, m) for a scoring that returns m numbers
        One score (row of scores) per fold, in the order of ``folds``.
    """
    if not hasattr(estimator, "fit"):
        raise TypeError(f"estimator must have a fit(X, y) method, got {estimator!r}")
    if scoring is not None and not callable(scoring):
        raise TypeError(f"scoring must be None or a function (model, X, y), got {scoring!r}")
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"X and y must have one row per sample, got shapes {X.shape} and {y.shape}"
        )
    scores = []
    for train, held_out in _check_folds(folds, len(X)):
        model = _fresh_copy(estimator).fit(X[train], y[train])
        if scoring is None:
            scores.append(model.score(X[held_out], y[held_out]))
        else:
            scores.append(scoring(model, X[held_out], y[held_out]))
    return np.array(scores, dtype=np.float64)
