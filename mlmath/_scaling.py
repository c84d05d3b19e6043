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

import numpy as np

__all__ = ["SAFE_EXPONENT", "check_representable", "safe_shift", "scale_by"]

#: Values whose magnitude lies in [2^-200, 2^200] can be squared and summed over
#: up to 2^300 rows without leaving float64's normal range (about 2^-1022 to
#: 2^1024): Gram matrices, Hessians and squared norms are all safe.
SAFE_EXPONENT = 200


def safe_shift(a: np.ndarray) -> int:
    """The ``k`` for which ``2^k a`` is safe to solve with (0 when ``a`` already is).

    When the largest magnitude of ``a`` lies outside
    :math:`[2^{-200}, 2^{200}]`, ``k`` brings it into :math:`[1/2, 1)`;
    otherwise (and for an all-zero ``a``) it is 0, and ``a`` is used as is.
    """
    m = float(np.max(np.abs(a), initial=0.0))
    if m == 0.0:
        return 0
    exponent = int(np.frexp(m)[1])  # m = f 2^exponent with f in [1/2, 1)
    return 0 if abs(exponent) <= SAFE_EXPONENT else -exponent


def scale_by(shift: int, what: str = "X") -> str:
    """Advice in words: ``"multiply X by 2**k"`` or ``"divide X by 2**k"``."""
    return f"multiply {what} by 2**{shift}" if shift > 0 else f"divide {what} by 2**{-shift}"


def check_representable(
    w_scaled: np.ndarray,
    shift: int,
    column_max: np.ndarray,
    output_scale: float,
    target: str | None = None,
) -> np.ndarray:
    """Map weights found on rescaled data back, ``w = 2^shift w_scaled``, if float64 can hold them.

    ``w_scaled`` (shape (D,) or (D, K)) multiplies columns whose largest
    magnitudes are ``column_max`` (D,), giving predictions of size about
    ``output_scale``. When ``w`` overflows, or its underflow to the subnormal
    range would move a prediction by more than ``1e-12 * output_scale``, the
    weights cannot be stored and a ``ValueError`` says by how much to scale
    ``X`` (or the ``target``, e.g. ``"y"``, when scaling it helps too).
    """
    with np.errstate(over="ignore", under="ignore"):  # both are detected just below
        w = np.ldexp(w_scaled, shift)
        back = np.ldexp(w, -shift)  # equal to w_scaled unless w over- or underflowed
    column_max = column_max.reshape(-1, *([1] * (w.ndim - 1)))
    lost = float(np.max(np.sum(column_max * np.abs(back - w_scaled), axis=0), initial=0.0))
    if np.all(np.isfinite(w)) and lost <= 1e-12 * output_scale:
        return w
    exponent = int(np.frexp(float(np.max(np.abs(w_scaled))))[1]) + shift  # |w| ~ 2^exponent
    decimal = f"about 1e{exponent * np.log10(2.0):+.0f}"
    if exponent > 0:
        problem = f"{decimal}, beyond float64's largest number (about 1.8e+308)"
        advice = scale_by(exponent) + (f" or divide {target} by it" if target else "")
    else:
        problem = (
            f"{decimal}, below float64's smallest normal number (about 2.2e-308), where too "
            "few digits are left to store them"
        )
        advice = scale_by(-exponent) + (f" or multiply {target} by it" if target else "")
    raise ValueError(
        f"The data are too far from unit scale for float64: the fitted weights would be "
        f"{problem}. Scale the data so the weights are of order 1, for example by "
        f"standardising the columns of X; at the least, {advice}."
    )
