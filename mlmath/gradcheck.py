"""Finite-difference gradients, to check every derived gradient in the book.

A derivation is only as good as its check: each chapter compares the gradient
it derives (and every ``*_backward`` function) against centred differences

.. math:: \\frac{\\partial f}{\\partial x_i} \\approx
          \\frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose error is :math:`O(h^2)`. With ``h = 1e-5`` in float64 a correct gradient
agrees to a relative error of about ``1e-8`` or better; a wrong one is off by
order one. First used in Chapter 1, :ref:`sec-normal-equations`, to check the
gradient of the squared error.

The check runs in float64 only: float32 input (the point, ``dout``, the
analytic gradient, or the values ``f`` returns) is refused with a
``ValueError``, never silently upcast. With float32's
:math:`\\varepsilon_{mach} \\approx 1.2 \\times 10^{-7}` the rounding error of
a difference quotient, about :math:`\\varepsilon_{mach} \\lvert f \\rvert / h`, is near
:math:`10^{-2}` for ``h = 1e-5``: a right gradient would look wrong. mlmath's
layers keep their input's dtype, so the same code is checked by giving it
float64 input (a float32 network: ``model.astype(np.float64)`` first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import check_array, check_callable, check_scalar

__all__ = ["gradcheck", "numerical_gradient", "relative_error"]


def _refuse_float32(value: Any, name: str) -> None:
    """gradcheck works in float64: float32 is an error, not something to upcast quietly."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype == np.float32:
        raise ValueError(
            f"{name} is float32; gradcheck runs in float64, because float32 rounding "
            f"(eps_mach = {np.finfo(np.float32).eps:.2g}) swamps a centred difference. Check "
            "in float64: pass float64 arrays (mlmath's layers keep their input's dtype; "
            "cast a float32 network with model.astype(np.float64))"
        )


def numerical_gradient(
    f: Callable[[np.ndarray], float | np.ndarray],
    x: np.ndarray,
    h: float = 1e-5,
    *,
    dout: np.ndarray | None = None,
) -> np.ndarray:
    """Centred-difference gradient of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar. If it returns an array (a layer's forward
        pass), pass ``dout`` of the same shape: the gradient is then that of
        ``sum(f(x) * dout)``, which is exactly what a ``*_backward`` function
        computes from an upstream gradient ``dout``.
    x : ndarray of any shape
        The point; converted to float64 (integers) and never modified.
        float32 is refused, as are float32 values of ``f`` (see the module notes).
    h : float
        The step, ``> 0``.
    dout : ndarray, optional
        Upstream gradient for array-valued ``f``.

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    check_callable(f, "f")
    _refuse_float32(x, "x")
    x = check_array(x, name="x", ndim=range(0, 33)).copy()
    h = check_scalar(h, "h", low=0.0, include_low=False)
    if dout is not None:
        _refuse_float32(dout, "dout")
        dout = check_array(dout, name="dout", ndim=range(0, 33))

    def scalar(point: np.ndarray) -> float:
        with np.errstate(all="ignore"):  # a non-finite value is reported below, by name
            value = f(point)
        _refuse_float32(value, "f(x)")
        value = np.asarray(value, dtype=np.float64)
        if dout is not None:
            if value.shape != dout.shape:
                raise ValueError(f"f(x) has shape {value.shape} but dout has shape {dout.shape}")
            value = np.sum(value * dout)
        elif value.size != 1:
            raise ValueError(
                f"f(x) returned an array of shape {value.shape}; pass dout= "
                "(the upstream gradient) to check an array-valued function"
            )
        value = float(value.reshape(()))
        if not np.isfinite(value):
            raise ValueError(f"f(x) is not finite ({value}) near x; cannot difference it")
        return value

    grad = np.empty_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)  # views: edit x in place, then restore
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        f_plus = scalar(x)
        flat_x[i] = old - h
        f_minus = scalar(x)
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / max(||a|| + ||b||, tiny)``: 0 when equal, 1 when unrelated.

    ``a`` and ``b`` are numeric arrays of the same shape (NaN gives NaN).
    """
    a = check_array(a, name="a", ndim=range(0, 33), allow_empty=True, allow_nonfinite=True)
    b = check_array(b, name="b", ndim=range(0, 33), allow_empty=True, allow_nonfinite=True)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b)) / denom


def gradcheck(
    f: Callable[[np.ndarray], float | np.ndarray],
    grad: Callable[[np.ndarray], np.ndarray] | np.ndarray,
    x: np.ndarray,
    h: float = 1e-5,
    *,
    dout: np.ndarray | None = None,
) -> float:
    """Relative error between an analytic gradient and centred differences.

    Parameters
    ----------
    f : callable
        The function, as for :func:`numerical_gradient`.
    grad : callable or ndarray
        The analytic gradient: ``grad(x)``, or its value at ``x``.
    x : ndarray
        The point, float64 (or integers); float32 is refused (see the module notes).
    h : float
        Finite-difference step.
    dout : ndarray, optional
        Upstream gradient, for array-valued ``f``.

    Returns
    -------
    float
        ``||g - g_num|| / (||g|| + ||g_num||)``. Below ``1e-7`` the gradient is
        right; above ``1e-3`` it is almost certainly wrong.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0, 0.5])
    >>> gradcheck(lambda v: np.sum(v**3), lambda v: 3 * v**2, x) < 1e-9
    True
    """
    check_callable(f, "f")
    _refuse_float32(x, "x")
    x = check_array(x, name="x", ndim=range(0, 33))
    value = grad(x.copy()) if callable(grad) else grad
    _refuse_float32(value, "the analytic gradient")
    analytic = check_array(
        value, name="the analytic gradient", ndim=range(0, 33), allow_nonfinite=True
    )
    if analytic.shape != x.shape:
        raise ValueError(
            f"the analytic gradient has shape {analytic.shape} but x has shape {x.shape}; "
            "a gradient has the shape of what it differentiates with respect to"
        )
    return relative_error(analytic, numerical_gradient(f, x, h, dout=dout))
