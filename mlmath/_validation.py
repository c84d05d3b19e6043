"""Input checks used at the public boundary of every :mod:`mlmath` function.

Validation happens once, where a reader's data enters the package, so that the
numerical code behind it can assume clean float64 arrays (or float32, where a
network was asked to compute in float32: ``check_array(..., dtype=)``). Every
message names the argument, the problem and the offending values ("X has 100
rows but y has 80"), and the error types follow numpy/scikit-learn conventions:

* ``TypeError`` for data that is not numeric at all (strings, objects,
  sparse matrices);
* ``ValueError`` for numeric data of the wrong shape, empty, NaN or infinite,
  and for settings out of range;
* :class:`~mlmath.exceptions.DataTypeError` (both a ``TypeError`` and a
  ``ValueError``) for complex numbers and a missing ``y``, which scikit-learn
  reports as ``ValueError``;
* :class:`~mlmath.exceptions.NotFittedError` for use before ``fit``.

Where scikit-learn's estimator checks look for a phrase ("Complex data not
supported", "0 feature(s)", "is expecting 4 features as input"), the message
contains it, so mlmath's estimators pass those checks.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .exceptions import DataConversionWarning, DataTypeError, NotFittedError

__all__ = [
    "FLOATING",
    "as_float_array",
    "check_X_y",
    "check_array",
    "check_callable",
    "check_classification_targets",
    "check_consistent_length",
    "check_float_dtype",
    "check_is_fitted",
    "check_n_features",
    "check_option",
    "check_random_state",
    "check_sample_weight",
    "check_scalar",
    "check_sizes",
]


#: The floating dtypes the networks compute in; ``dtype=FLOATING`` in :func:`check_array`
#: keeps an array of either as it is (integers, booleans and float16 become float64).
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
FLOATING = "floating"


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
    dtype: Any = np.float64,
) -> np.ndarray:
    """Convert ``X`` to a float64 array (or the ``dtype`` asked for) and check it.

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
    dtype : np.float64, np.float32 or ``FLOATING``, default np.float64
        The dtype of the result. ``FLOATING`` (``"floating"``) keeps float32
        and float64 input as it is and turns anything else numeric
        (integers, booleans, float16) into float64: the rule of every layer,
        convolution and pooling function. Values that are finite in the
        input but too large for float32 are refused, not turned into inf.

    Returns
    -------
    ndarray of float64 (or ``dtype``)
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
    if _is_sparse(X):
        raise TypeError(
            f"{name} is a sparse matrix ({type(X).__name__}); mlmath needs dense arrays, "
            f"so pass {name}.toarray() (sparse input is not supported)"
        )
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
        raise DataTypeError(
            f"{name} must hold real numbers, got complex dtype {arr.dtype} "
            "(Complex data not supported); pass its real part or its modulus"
        )
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    target = _target_dtype(dtype, arr.dtype)
    if target == np.float32 and arr.dtype == np.float64:
        # Finite float64 values beyond float32's range would become inf: refuse them by name.
        big = np.isfinite(arr) & (np.abs(arr) > np.finfo(np.float32).max)
        if big.any():
            first = tuple(int(i) for i in np.argwhere(big)[0])
            raise ValueError(
                f"{name} holds {int(big.sum())} value(s) too large for float32 (largest "
                f"{np.finfo(np.float32).max:.3g}), the first at index {first} (value "
                f"{arr[first]:.3g}); rescale {name} or use dtype=np.float64"
            )
    arr = np.array(arr, dtype=target, copy=None)

    if arr.ndim not in allowed:
        wanted = " or ".join(f"{d}-D" for d in allowed)
        hint = ""
        if arr.ndim == 1 and 2 in allowed:
            hint = (
                f"; Reshape your data: {name}.reshape(-1, 1) if it is a single feature, "
                f"{name}.reshape(1, -1) if it is a single sample"
            )
        elif arr.ndim == 0:
            hint = f"; got the scalar {arr.item()!r}"
        elif arr.ndim == 3 and 4 in allowed:
            hint = f"; for images with one channel (N, H, W) add the channel axis: {name}[:, None]"
        raise ValueError(
            f"{name} must be {wanted}, but it is {arr.ndim}-D with shape {arr.shape}{hint}"
        )
    if not allow_empty and arr.size == 0:
        if arr.ndim == 2 and arr.shape[0] > 0:  # rows, but no columns
            raise ValueError(
                f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is "
                "required; it needs at least one column"
            )
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


def _target_dtype(dtype: Any, given: np.dtype) -> np.dtype:
    """The dtype :func:`check_array` converts to: ``dtype``, or ``given`` kept if floating."""
    if isinstance(dtype, str) and dtype == FLOATING:
        return given if given in FLOAT_DTYPES else np.dtype(np.float64)
    return check_float_dtype(dtype)


def check_float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Check a floating dtype setting: float32 or float64, as a type, a ``np.dtype`` or a name.

    Returns
    -------
    numpy.dtype
        ``np.dtype("float32")`` or ``np.dtype("float64")``.

    Raises
    ------
    ValueError
        Anything else (``"float16"``, ``int``, ``"double precision"``), naming
        ``name`` and the value.
    """
    resolved = None
    if dtype is not None:  # np.dtype(None) would silently mean float64
        try:
            resolved = np.dtype(dtype)
        except (TypeError, ValueError):
            pass
    # (a dtype compares equal to None, so "is None" is tested first)
    if resolved is None or resolved not in FLOAT_DTYPES:
        raise ValueError(
            f"{name} must be np.float32 or np.float64 (or the names 'float32', 'float64'), "
            f"got {_describe(dtype)}"
        )
    return resolved


def _is_sparse(X: Any) -> bool:
    """True for scipy's sparse matrices and arrays, recognised without importing scipy."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "toarray")


def as_float_array(X: Any, *, name: str) -> np.ndarray:
    """The cheap check of a hot path (a layer's forward pass inside a training loop).

    A float64 or float32 ndarray is returned as it is, its values unchecked
    (a diverging network's NaN must reach the training loop, which reports
    it): layers keep their input's floating dtype. Anything else goes through
    :func:`check_array` with any number of dimensions (integers become
    float64), so ``None``, strings and objects get a ``TypeError`` that names
    ``name``. Shapes are the caller's to check.
    """
    if type(X) is np.ndarray and X.dtype in FLOAT_DTYPES:
        return X
    return check_array(X, name=name, ndim=range(0, 33), allow_nonfinite=True, dtype=FLOATING)


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


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Check per-sample weights: ``None``, or ``n_samples`` finite non-negative numbers.

    A weight of 0 drops the sample; an integer weight ``m`` counts it ``m``
    times. At least one weight must be positive.

    Returns
    -------
    ndarray of float64, shape (n_samples,), or None
        ``None`` when ``sample_weight`` is ``None`` (every sample counts once).
    """
    if sample_weight is None:
        return None
    sw = check_array(sample_weight, name="sample_weight", ndim=1)
    if sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sw.shape[0]} entries but X has {n_samples} rows; "
            "it needs one weight per sample, shape (N,)"
        )
    negative = sw < 0.0
    if negative.any():
        i = int(np.argmax(negative))
        raise ValueError(
            f"sample_weight must be non-negative, but {int(negative.sum())} weight(s) are "
            f"negative, the first at index {i} (value {sw[i]})"
        )
    if not (sw > 0.0).any():
        raise ValueError(
            f"sample_weight is zero for all {n_samples} samples; at least one weight must be "
            "positive"
        )
    return sw


def check_X_y(
    X: Any,
    y: Any,
    *,
    y_ndim: int | Sequence[int] = 1,
    y_numeric: bool = True,
    X_ndim: int | Sequence[int] = 2,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Check a design matrix ``X`` of shape (N, D) and targets ``y`` of shape (N,).

    With ``y_numeric=False`` the labels are only checked for shape and
    missing values, and returned as a plain array of their own dtype (class
    labels may be strings); a column of labels, shape (N, 1), is flattened
    with a :class:`~mlmath.exceptions.DataConversionWarning`. ``X_ndim``
    allows other layouts of ``X``, such as images (N, C, H, W); ``dtype`` is
    that of the returned ``X`` (see :func:`check_array`).

    Raises
    ------
    DataTypeError
        If ``y`` is None (``fit(X)`` without targets).
    """
    if y is None:
        raise DataTypeError(
            "y is None: fitting requires y to be passed, but the target y is None; "
            "call fit(X, y) with one target per row of X"
        )
    X = check_array(X, name="X", ndim=X_ndim, dtype=dtype)
    if y_numeric:
        y = check_array(y, name="y", ndim=y_ndim)
    else:
        y = _check_labels(y)
    check_consistent_length(X=X, y=y)
    return X, y


def _check_labels(y: Any, stacklevel: int = 4) -> np.ndarray:
    if y is None:
        raise TypeError("y must be an array of labels, got None")
    if _is_sparse(y):
        raise TypeError("y is a sparse matrix; pass the labels as a dense 1-D array")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        # stacklevel 4: here <- check_X_y or check_classification_targets <- fit <- caller
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected: y of shape "
            f"{y.shape} is read as {y.shape[0]} labels. Pass y.ravel() to silence this warning.",
            DataConversionWarning,
            stacklevel=stacklevel,
        )
        y = y.ravel()
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
    finite: bool = False,
) -> Any:
    """Check a setting such as a learning rate or an iteration count.

    Parameters
    ----------
    kind : {float, int}
        ``int`` accepts integers only (``3.0`` is refused, ``True`` too);
        ``float`` accepts any real number and returns a ``float``.
    low, high : float, optional
        Bounds; ``include_low``/``include_high`` say whether they are allowed.
    finite : bool, default False
        Refuse ``inf`` and ``-inf`` (a learning rate, a tolerance); leave it
        False where infinity means something (``C = inf``: no penalty).
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
        if finite and np.isinf(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
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


def check_is_fitted(estimator: Any, attributes: str | Sequence[str] | None = None) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted attributes.

    ``attributes=None`` means the estimator's own list, ``_fitted_attributes``
    (every :class:`mlmath.base.BaseEstimator` has one).
    """
    if attributes is None:
        attributes = estimator._fitted_attributes
    attributes = (attributes,) if isinstance(attributes, str) else tuple(attributes)
    missing = [a for a in attributes if not hasattr(estimator, a)]
    if missing:
        cls = type(estimator).__name__
        raise NotFittedError(
            f"This {cls} is not fitted yet; call fit(X, y) before using it "
            f"(it has no {missing[0]} yet)"
        )


def check_n_features(estimator: Any, X: np.ndarray) -> None:
    """Check that ``X`` has as many columns as the data ``estimator`` was fitted on."""
    expected = estimator.n_features_in_
    if X.shape[1] != expected:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{expected} features as input: it was fitted on X with {expected} columns"
        )


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn ``None``, an integer seed, a Generator or a ``RandomState`` into a Generator.

    All randomness in the book goes through ``np.random.Generator``, so that a
    seed means the same numbers everywhere. A legacy ``np.random.RandomState``
    (what scikit-learn passes around) is accepted: the Generator is seeded with
    four 32-bit words drawn from it, so the same ``RandomState`` state gives
    the same Generator, and the ``RandomState`` moves on as it would have in
    scikit-learn (two fits from one ``RandomState`` differ).
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint64))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative seed, got {random_state}")
        return np.random.default_rng(int(random_state))
    raise TypeError(
        "random_state must be None, a non-negative integer seed, a "
        f"np.random.Generator or a np.random.RandomState, got {_describe(random_state)}"
    )
