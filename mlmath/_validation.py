"""Input checks used at the public boundary of every :mod:`mlmath` function.

Validation happens once, where a reader's data enters the package, so that the
numerical code behind it can assume clean float64 arrays. Every message names
the argument, the problem and the offending values ("X has 100 rows but y has
80"), and the error types follow numpy/scikit-learn conventions:

* ``TypeError`` for data that is not numeric at all (strings, objects);
* ``ValueError`` for numeric data of the wrong shape, empty, NaN or infinite,
  and for settings out of range;
* :class:`~mlmath.exceptions.NotFittedError` for use before ``fit``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .exceptions import NotFittedError

__all__ = [
    "as_float_array",
    "check_X_y",
    "check_array",
    "check_callable",
    "check_classification_targets",
    "check_consistent_length",
    "check_is_fitted",
    "check_n_features",
    "check_option",
    "check_random_state",
    "check_scalar",
    "check_sizes",
]


def _describe(value: Any) -> str:
    """Short description of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_array(
    X: Any,
    *,
    name: str = "X",
    ndim: int | Sequence[int] = 2,
    allow_empty: bool = False,
    allow_nonfinite: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """Convert ``X`` to a float64 array and check it.

    Parameters
    ----------
    X : array_like
        The data.
    name : str
        The argument's name, used in messages.
    ndim : int or sequence of int
        Allowed number of dimensions.
    allow_empty : bool
        Whether an array with no elements is acceptable.
    allow_nonfinite : bool
        Whether NaN and infinity are acceptable.
    allow_inf : bool
        Whether :math:`\\pm\\infty` is acceptable (NaN still is not): for
        logits, where :math:`-\\infty` is a probability of exactly 0.

    Returns
    -------
    ndarray of float64
        A new array if a conversion was needed; never a view that aliases
        writable input the caller may change later is relied upon.

    Raises
    ------
    TypeError
        If ``X`` is not numeric: ``None``, strings (even ``"1.5"``: numbers
        written as text are refused, as scikit-learn does, rather than
        guessed at), complex numbers, arbitrary objects.
    ValueError
        If ``X`` has the wrong number of dimensions, is empty, or holds NaN or
        infinite values.
    """
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if X is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    if isinstance(X, str | bytes):
        raise TypeError(f"{name} must be an array of numbers, got the string {X!r}")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"{name} could not be turned into a rectangular array ({exc}); "
            "check that every row has the same length"
        ) from None
    if arr.dtype.kind in "US" or (
        arr.dtype.kind == "O" and any(isinstance(v, str | bytes) for v in arr.flat)
    ):
        raise TypeError(
            f"{name} must hold numbers, but it holds strings (dtype {arr.dtype}), for example "
            f"{arr.ravel()[:3].tolist()!r}; if they are numbers written as text, convert them "
            f"first with np.asarray({name}, dtype=float)"
        )
    if arr.dtype.kind in "OV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            # numpy's reason is kept: scikit-learn's estimator checks look for it.
            raise TypeError(
                f"{name} must hold numbers, but it holds non-numeric objects "
                f"(dtype {arr.dtype}); for example {arr.ravel()[:3].tolist()!r} ({exc})"
            ) from None
    elif arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64, copy=None)

    if arr.ndim not in allowed:
        wanted = " or ".join(f"{d}-D" for d in allowed)
        hint = ""
        if arr.ndim == 1 and 2 in allowed:
            hint = (
                f"; for a single feature use {name}.reshape(-1, 1), "
                f"for a single sample {name}.reshape(1, -1)"
            )
        elif arr.ndim == 0:
            hint = f"; got the scalar {arr.item()!r}"
        raise ValueError(
            f"{name} must be {wanted}, but it is {arr.ndim}-D with shape {arr.shape}{hint}"
        )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one value")
    if not allow_nonfinite:
        finite = ~np.isnan(arr) if allow_inf else np.isfinite(arr)
        if not finite.all():
            bad = np.argwhere(~finite)
            first = tuple(int(i) for i in bad[0])
            n_nan = int(np.isnan(arr).sum())
            n_inf = int(bad.shape[0] - n_nan)
            parts = [f"{n_nan} NaN"] if n_nan else []
            parts += [f"{n_inf} infinite"] if n_inf else []
            raise ValueError(
                f"{name} contains {' and '.join(parts)} value(s), "
                f"the first at index {first} (value {arr[first]}); "
                "remove or impute them"
            )
    return arr


def as_float_array(X: Any, *, name: str) -> np.ndarray:
    """The cheap check of a hot path (a layer's forward pass inside a training loop).

    A float64 ndarray is returned as it is, its values unchecked (a diverging
    network's NaN must reach the training loop, which reports it); anything
    else goes through :func:`check_array` with any number of dimensions, so
    ``None``, strings and objects get a ``TypeError`` that names ``name``.
    Shapes are the caller's to check.
    """
    if type(X) is np.ndarray and X.dtype == np.float64:
        return X
    return check_array(X, name=name, ndim=range(0, 33), allow_nonfinite=True)


def check_callable(f: Any, name: str, *, optional: bool = False) -> None:
    """Check that ``f`` is a function (or ``None``, when ``optional``)."""
    if f is None and optional:
        return
    if not callable(f):
        raise TypeError(f"{name} must be a function, got {type(f).__name__}: {_describe(f)}")


def check_consistent_length(**arrays: np.ndarray) -> None:
    """Check that all arrays have the same number of rows (first axis)."""
    items = [(k, np.shape(v)[0]) for k, v in arrays.items()]
    (first_name, first_n), *rest = items
    for other_name, other_n in rest:
        if other_n != first_n:
            raise ValueError(
                f"{first_name} has {first_n} rows but {other_name} has {other_n}; "
                "they must describe the same samples"
            )


def check_X_y(
    X: Any,
    y: Any,
    *,
    y_ndim: int | Sequence[int] = 1,
    y_numeric: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Check a design matrix ``X`` of shape (N, D) and targets ``y`` of shape (N,).

    With ``y_numeric=False`` the labels are only checked for shape and
    missing values, and returned as a plain array of their own dtype (class
    labels may be strings).
    """
    X = check_array(X, name="X", ndim=2)
    if y_numeric:
        y = check_array(y, name="y", ndim=y_ndim)
    else:
        y = _check_labels(y)
    check_consistent_length(X=X, y=y)
    return X, y


def _check_labels(y: Any) -> np.ndarray:
    if y is None:
        raise TypeError("y must be an array of labels, got None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        raise ValueError(
            f"y must be 1-D, but it has shape {y.shape}; use y.ravel() for a column of labels"
        )
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, but it has shape {y.shape}")
    if y.size == 0:
        raise ValueError("y is empty; it needs at least one label")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(
            f"y contains {int((~np.isfinite(y)).sum())} NaN or infinite label(s); "
            "every sample needs a class"
        )
    if y.dtype.kind == "O" and any(v is None for v in y):
        raise ValueError("y contains None; every sample needs a class")
    return y


def check_classification_targets(
    y: Any, *, min_classes: int = 2, max_classes: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check class labels and encode them.

    Returns
    -------
    classes : ndarray
        The sorted distinct labels (what estimators store as ``classes_``).
    y_index : ndarray of int64
        ``y`` encoded as positions in ``classes``.
    """
    y = _check_labels(y)
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError(
            "y holds continuous values (for example "
            f"{y[y != np.round(y)][:3].tolist()}); a classifier needs class labels"
        )
    classes, y_index = np.unique(y, return_inverse=True)
    n = len(classes)
    if n < min_classes:
        raise ValueError(
            f"y has {n} class ({classes.tolist()!r}); a classifier needs at least "
            f"{min_classes} distinct labels"
        )
    if max_classes is not None and n > max_classes:
        raise ValueError(
            f"y has {n} classes ({classes.tolist()[:10]!r}); this model takes at most {max_classes}"
        )
    return classes, y_index.astype(np.int64)


def check_scalar(
    value: Any,
    name: str,
    *,
    kind: type = float,
    low: float | None = None,
    high: float | None = None,
    include_low: bool = True,
    include_high: bool = True,
) -> Any:
    """Check a setting such as a learning rate or an iteration count.

    Parameters
    ----------
    kind : {float, int}
        ``int`` accepts integers only (``3.0`` is refused, ``True`` too);
        ``float`` accepts any real number and returns a ``float``.
    low, high : float, optional
        Bounds; ``include_low``/``include_high`` say whether they are allowed.
    """
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {_describe(value)}")
        value = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {_describe(value)}")
        value = float(value)
        if np.isnan(value):
            raise ValueError(f"{name} must be a number, got NaN")
    if low is not None and (value < low or (value == low and not include_low)):
        op = ">=" if include_low else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value}")
    if high is not None and (value > high or (value == high and not include_high)):
        op = "<=" if include_high else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value}")
    return value


def check_sizes(
    values: Any, name: str, *, example: str, allow_empty: bool = True, item: str = "layer"
) -> tuple[int, ...]:
    """Check a tuple of layer sizes, such as ``hidden_layer_sizes`` or ``filters``.

    A single integer counts as a one-element tuple. Every entry must be a
    positive integer; ``example`` (e.g. ``"(64,) or (32, 16)"``) is quoted in
    the message; ``item`` names what one entry stands for.
    """
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        values = (values,)
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(
            f"{name} must be a tuple of positive integers such as {example}, got {values!r}"
        )
    if not allow_empty and len(values) == 0:
        raise ValueError(f"{name} must name at least one {item}, got ()")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(
                f"{name} must hold positive integers, but entry {i} is {v!r} (in {tuple(values)!r})"
            )
    return tuple(int(v) for v in values)


def check_option(value: Any, name: str, options: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``options`` (e.g. a solver name)."""
    options = tuple(options)
    if not isinstance(value, str | int | float | type(None)) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {_describe(value)}")
    return value


def check_is_fitted(estimator: Any, attributes: str | Sequence[str]) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted attributes."""
    attributes = (attributes,) if isinstance(attributes, str) else attributes
    if not all(hasattr(estimator, a) for a in attributes):
        cls = type(estimator).__name__
        raise NotFittedError(
            f"This {cls} is not fitted yet; call fit(X, y) before using it "
            f"(it has no {attributes[0]} yet)"
        )


def check_n_features(estimator: Any, X: np.ndarray) -> None:
    """Check that ``X`` has as many columns as the data ``estimator`` was fitted on."""
    expected = estimator.n_features_in_
    if X.shape[1] != expected:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} was fitted "
            f"with {expected}"
        )


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn ``None``, an integer seed or a Generator into a ``np.random.Generator``.

    The legacy ``np.random.RandomState`` is refused: all randomness in the book
    goes through ``Generator`` so that a seed means the same numbers everywhere.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative seed, got {random_state}")
        return np.random.default_rng(int(random_state))
    raise TypeError(
        "random_state must be None, a non-negative integer seed or a "
        f"np.random.Generator, got {_describe(random_state)}"
    )
