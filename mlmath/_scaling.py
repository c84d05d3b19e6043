"""Exact rescaling by powers of two, for data too large or too small for the solvers.

Multiplying a float64 by a power of two changes only its exponent, so it is
exact (as long as nothing overflows or underflows). Least squares and logistic
regression are equivariant under such a scaling: if ``X' = 2^k X`` then the
weights of ``X'`` are ``2^-k`` times those of ``X`` and the predictions are the
same. So data whose magnitude would overflow in :math:`X^\\top X` (or underflow
in it) can be solved after an exact change of units, and the weights mapped
back. Data of ordinary magnitude are left alone, so that every message about
them (condition numbers, learning rates) is about the caller's own ``X``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SAFE_EXPONENT", "check_representable", "safe_shift", "scale_by"]

#: Values whose magnitude lies in [2^-200, 2^200] can be squared and summed over
#: up to 2^300 rows without leaving float64's normal range (about 2^-1022 to
#: 2^1024): Gram matrices, Hessians and squared norms are all safe.
SAFE_EXPONENT = 200


def safe_shift(a: np.ndarray, axis: int | None = None) -> Any:
    """The ``k`` for which ``2^k a`` is safe to solve with (0 where ``a`` already is).

    Where the largest magnitude of ``a`` (overall, or per column with
    ``axis=0``) lies outside :math:`[2^{-200}, 2^{200}]`, ``k`` brings it into
    :math:`[1/2, 1)`; elsewhere (and for zeros) it is 0.

    Returns
    -------
    int, or ndarray of int (one per column) when ``axis=0`` and ``a`` is 2-D
    """
    per_column = axis == 0 and np.ndim(a) == 2
    largest = max(float(np.max(a, initial=0.0)), -float(np.min(a, initial=0.0)))
    if _exponent(largest) <= SAFE_EXPONENT and (not per_column or not _tiny_columns(a)):
        return np.zeros(a.shape[1], dtype=np.int64) if per_column else 0  # the usual case
    m = np.max(np.abs(a), axis=0 if per_column else None, initial=0.0)
    exponent = np.frexp(m)[1]  # m = f 2^exponent with f in [1/2, 1)
    shift = np.where((m == 0.0) | (np.abs(exponent) <= SAFE_EXPONENT), 0, -exponent)
    return shift.astype(np.int64) if per_column else int(shift)


def _exponent(m: float) -> int:
    """``e`` with ``m = f 2^e``, ``f`` in [1/2, 1); 0 for ``m = 0`` (nothing to scale)."""
    return abs(int(np.frexp(m)[1])) if m > 0.0 else 0


def _tiny_columns(a: np.ndarray) -> bool:
    """Whether some column of ``a`` (entries at most 2^200) may have its largest entry below 2^-200.

    Cheap (one product, no copy): if the sum of squares of a column exceeds
    ``N 2^-400``, its largest square exceeds ``2^-400``. Zero columns count
    as possibly tiny; the caller then looks at every column exactly.
    """
    squares = np.einsum("ij,ij->j", a, a)  # (D,), at most N 2^400: no overflow
    return bool(np.any(squares <= a.shape[0] * 2.0 ** (-2 * SAFE_EXPONENT)))


def scale_by(shift: int, what: str = "X") -> str:
    """Advice in words: ``"multiply X by 2**k"`` or ``"divide X by 2**k"``."""
    return f"multiply {what} by 2**{shift}" if shift > 0 else f"divide {what} by 2**{-shift}"


def check_representable(
    w_scaled: np.ndarray,
    shift: Any,
    column_max: np.ndarray,
    output_scale: Any,
    target: str | None = None,
) -> np.ndarray:
    """Map weights found on rescaled data back, ``w = 2^shift w_scaled``, if float64 can hold them.

    ``w_scaled`` (shape (D,) or (D, K)) multiplies columns whose largest
    magnitudes are ``column_max`` (D,), giving predictions of size about
    ``output_scale`` (a float, or one per column of ``w``); ``shift`` is an
    int or an integer array that broadcasts against ``w_scaled``. When ``w``
    overflows, or its underflow to the subnormal range would move a prediction
    by more than ``1e-12 * output_scale``, the weights cannot be stored and a
    ``ValueError`` says which column of ``X`` to scale, and by how much (or
    the ``target``, e.g. ``"y"``, when scaling it helps too).
    """
    with np.errstate(over="ignore", under="ignore"):  # both are detected just below
        w = np.ldexp(w_scaled, shift)
        back = np.ldexp(w, -np.asarray(shift))  # w_scaled again, unless w over/underflowed
    col = column_max.reshape(-1, *([1] * (w.ndim - 1)))
    lost = col * np.abs(back - w_scaled)  # what each weight's rounding moves a prediction by
    if np.all(np.isfinite(w)) and np.all(lost.sum(axis=0) <= 1e-12 * np.asarray(output_scale)):
        return w
    # |w| is about 2^exponent, entry by entry; name the worst entry
    exponent = np.frexp(np.abs(w_scaled))[1] + np.asarray(shift)
    worst = np.unravel_index(
        int(np.argmax(np.where(np.isfinite(w), -np.inf, exponent)))
        if not np.all(np.isfinite(w))
        else int(np.argmax(lost)),
        w.shape,
    )
    e, j = int(exponent[worst]), int(worst[0])
    where = f"column {j} of X" if len(column_max) > 1 else "X"
    decimal = f"about 1e{e * np.log10(2.0):+.0f}"
    if e > 0:
        problem = f"{decimal}, beyond float64's largest number (about 1.8e+308)"
        also = f" or divide {target} by it" if target else ""
    else:
        problem = (
            f"{decimal}, below float64's smallest normal number (about 2.2e-308), where too "
            "few digits are left to store it"
        )
        also = f" or multiply {target} by it" if target else ""
    raise ValueError(
        f"The data are too far from unit scale for float64: the fitted weight of {where} "
        f"would be {problem}. Scale the data so the weights are of order 1, for example by "
        f"standardising the columns of X; at the least, {scale_by(e, where)}{also}."
    )
