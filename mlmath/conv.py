"""Convolution and pooling: forward/backward pairs for Chapter 5.

Shapes follow the book's convention (and cs231n's):

* input ``x`` of shape ``(N, C, H, W)``: ``N`` images with ``C`` channels of
  ``H`` rows and ``W`` columns;
* filters ``w`` of shape ``(F, C, HH, WW)``: ``F`` filters, each a small
  ``HH x WW`` window over all ``C`` channels;
* bias ``b`` of shape ``(F,)``;
* output of shape ``(N, F, H_out, W_out)`` with the output-size formula

  .. math:: H_{out} = \\left\\lfloor \\frac{H + 2P - HH}{S} \\right\\rfloor + 1,
            \\qquad
            W_{out} = \\left\\lfloor \\frac{W + 2P - WW}{S} \\right\\rfloor + 1

  for padding ``P`` and stride ``S`` (derived in Chapter 5, :ref:`sec-conv-output-size`).

What deep learning calls *convolution* is cross-correlation: the filter is
slid over the input without being flipped. The flip appears in the backward
pass, where the input gradient is a full convolution of the upstream gradient
with the flipped filter (Chapter 5, :ref:`sec-conv-backprop`).

:func:`conv2d_naive` is the definition written as loops, for reading;
:func:`conv2d_forward` computes the same numbers with *im2col* (every
receptive field unrolled into a row of a matrix) and one matrix multiply.

Every function keeps its input's floating dtype (float32 in, float32 out, the
caches and every intermediate array included); integer input becomes float64.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import FLOATING, _describe, check_array, check_scalar

__all__ = [
    "avgpool2d_backward",
    "avgpool2d_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_naive",
    "conv_output_size",
    "im2col",
    "maxpool2d_backward",
    "maxpool2d_forward",
]


# --------------------------------------------------------------------------- caches


class _ConvCache(NamedTuple):
    """What :func:`conv2d_forward` passes to :func:`conv2d_backward`."""

    x_shape: tuple[int, ...]
    cols: np.ndarray  # im2col of the input, (N*H_out*W_out, HH*WW*C)
    w: np.ndarray
    stride: int
    padding: int


class _MaxPoolCache(NamedTuple):
    """What :func:`maxpool2d_forward` passes to :func:`maxpool2d_backward`."""

    x_shape: tuple[int, ...]
    arg: np.ndarray  # position of each window's maximum, (N, C, H_out, W_out)
    size: int
    stride: int


class _AvgPoolCache(NamedTuple):
    """What :func:`avgpool2d_forward` passes to :func:`avgpool2d_backward`."""

    x_shape: tuple[int, ...]
    size: int
    stride: int


_CACHE_OF = {
    _ConvCache: "conv2d_forward",
    _MaxPoolCache: "maxpool2d_forward",
    _AvgPoolCache: "avgpool2d_forward",
}


def _check_cache(cache: Any, kind: type) -> None:
    """A backward function needs the cache of its own forward function."""
    if isinstance(cache, kind):
        return
    got = f"the cache of {_CACHE_OF[type(cache)]}" if type(cache) in _CACHE_OF else _describe(cache)
    raise TypeError(
        f"cache must be the cache returned by {_CACHE_OF[kind]} (its second output), got {got}"
    )


# --------------------------------------------------------------------------- checks


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Output length ``floor((n + 2 * padding - k) / stride) + 1`` along one axis.

    Parameters
    ----------
    n : int
        Input length (``H`` or ``W``).
    k : int
        Window length (``HH``/``WW`` for a filter, ``size`` for pooling).
    stride, padding : int
        Step between windows and zeros added on each side.

    Returns
    -------
    int
        The number of window positions, at least 1; derived in Chapter 5,
        :ref:`sec-conv-output-size`. When ``stride`` does not divide
        ``n + 2 * padding - k`` the last rows and columns that no window
        reaches are dropped (the floor).

    Raises
    ------
    ValueError
        ``n`` or ``k`` below 1, ``stride`` below 1, ``padding`` below 0, or a
        window longer than the padded input (the formula would give 0 or less).
    TypeError
        A size that is not an integer.
    """
    n = check_scalar(n, "n", kind=int, low=1)
    k = check_scalar(k, "k", kind=int, low=1)
    stride, padding = _check_stride_padding(stride, padding)
    if k > n + 2 * padding:
        raise ValueError(
            f"the window k={k} is longer than the padded input n + 2 * padding = "
            f"{n} + 2 * {padding} = {n + 2 * padding}: no window position fits"
        )
    return _output_size(n, k, stride, padding)


def _output_size(n: int, k: int, S: int, P: int) -> int:
    # Unchecked: the callers have validated the shapes.
    return (n + 2 * P - k) // S + 1


def _check_stride_padding(stride: int, padding: int) -> tuple[int, int]:
    stride = check_scalar(stride, "stride", kind=int)
    if stride <= 0:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    padding = check_scalar(padding, "padding", kind=int)
    if padding < 0:
        raise ValueError(f"padding must be a non-negative integer, got {padding}")
    return stride, padding


def _check_ndim(arr: np.ndarray, name: str, ndim: int, layout: str) -> None:
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D with shape {layout}, but it has shape {arr.shape}"
        )


def _check_conv_shapes(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: int):
    """Shape checks shared by the validated functions and the Conv2D layer (cheap)."""
    _check_ndim(x, "x", 4, "(N, C, H, W)")
    _check_ndim(w, "w", 4, "(F, C, HH, WW)")
    _check_ndim(b, "b", 1, "(F,)")
    _, C, H, W = x.shape
    F, C_w, HH, WW = w.shape
    if C_w != C:
        raise ValueError(
            f"channel mismatch: x has shape {x.shape} with C={C} channels but the "
            f"filters w have shape {w.shape} with C={C_w}; they must be equal"
        )
    if b.shape[0] != F:
        raise ValueError(f"b has shape {b.shape} but w has shape {w.shape}: b needs F={F} entries")
    if HH > H + 2 * padding or WW > W + 2 * padding:
        raise ValueError(
            f"kernel larger than the padded input: filters w of shape {w.shape} "
            f"({HH}x{WW}) do not fit in x of shape {x.shape} padded by {padding} "
            f"({H + 2 * padding}x{W + 2 * padding})"
        )
    if min(HH, WW) < 1:
        raise ValueError(f"filters w of shape {w.shape} are empty")


def _validate_conv(x, w, b, stride, padding):
    stride, padding = _check_stride_padding(stride, padding)
    x = check_array(x, name="x", ndim=range(0, 8), dtype=FLOATING)
    w = check_array(w, name="w", ndim=range(0, 8), dtype=FLOATING)
    b = check_array(b, name="b", ndim=range(0, 8), dtype=FLOATING)
    _check_conv_shapes(x, w, b, stride, padding)
    return x, w, b, stride, padding


def _check_pool(x: np.ndarray, size: int, stride: int) -> tuple[int, int]:
    size = check_scalar(size, "size", kind=int)
    if size <= 0:
        raise ValueError(f"size must be a positive integer, got {size}")
    stride, _ = _check_stride_padding(stride, 0)
    _check_pool_window(x, size)
    return size, stride


def _check_pool_window(x: np.ndarray, size: int) -> None:
    """The shape checks of :func:`_check_pool` alone, for a layer whose settings are checked."""
    _check_ndim(x, "x", 4, "(N, C, H, W)")
    H, W = x.shape[2:]
    if size > H or size > W:
        raise ValueError(
            f"pooling window does not fit: a {size}x{size} window is larger than the "
            f"{H}x{W} images of x with shape {x.shape}"
        )


# --------------------------------------------------------------------------- convolution


def conv2d_naive(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, padding: int = 0
) -> np.ndarray:
    """Convolution (cross-correlation) as explicit loops, straight from the definition.

    .. math:: out[n, f, i, j] = b_f + \\sum_{c, p, q}
              w[f, c, p, q] \\; x_{pad}[n, c, iS + p, jS + q]

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    stride : int, default 1
    padding : int, default 0
        Zeros added on every side of each image.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = (H + 2 * padding - HH) // stride + 1`` and likewise ``W_out``.

    Notes
    -----
    Four nested loops over ``n, f, i, j``; slow, and meant to be read. Derived in
    Chapter 5, :ref:`sec-conv-local-linear`.
    """
    x, w, b, S, P = _validate_conv(x, w, b, stride, padding)
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = _output_size(H, HH, S, P), _output_size(W, WW, S, P)
    x_pad = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    field = x_pad[n, :, i * S : i * S + HH, j * S : j * S + WW]  # receptive field
                    out[n, f, i, j] = np.sum(field * w[f]) + b[f]
    return out


def _im2col(x: np.ndarray, HH: int, WW: int, S: int, P: int) -> np.ndarray:
    N, C, H, W = x.shape
    # Channels last, padded: then each window row below is a run of C
    # contiguous numbers, which makes the one big copy 3-4x faster than in
    # (N, C, H, W) order.
    x_pad = np.zeros((N, H + 2 * P, W + 2 * P, C), dtype=x.dtype)
    x_pad[:, P : P + H, P : P + W, :] = x.transpose(0, 2, 3, 1)
    # A read-only view of every HH x WW window: (N, H_out, W_out, C, HH, WW).
    windows = sliding_window_view(x_pad, (HH, WW), axis=(1, 2))[:, ::S, ::S]
    H_out, W_out = windows.shape[1:3]
    # One copy into rows ordered (n, i, j) and columns ordered (p, q, c).
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(N * H_out * W_out, HH * WW * C)


def _filter_matrix(w: np.ndarray) -> np.ndarray:
    """(F, C, HH, WW) -> (F, HH*WW*C), columns in the (p, q, c) order of im2col."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def im2col(x: np.ndarray, HH: int, WW: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Unroll every receptive field of ``x`` into one row of a matrix.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    HH, WW : int
        Window height and width.
    stride, padding : int

    Returns
    -------
    cols : ndarray of shape (N * H_out * W_out, HH * WW * C)
        Row ``(n * H_out + i) * W_out + j`` is the window under output pixel
        ``(i, j)`` of image ``n``, flattened in ``(p, q, c)`` order (channels
        last, which makes the copy fast), so that a convolution is
        ``cols @ w.transpose(0, 2, 3, 1).reshape(F, -1).T + b``. Chapter 5, :ref:`sec-conv-im2col`.
    """
    S, P = _check_stride_padding(stride, padding)
    x = check_array(x, name="x", ndim=range(0, 8), dtype=FLOATING)
    _check_ndim(x, "x", 4, "(N, C, H, W)")
    HH = check_scalar(HH, "HH", kind=int, low=1)
    WW = check_scalar(WW, "WW", kind=int, low=1)
    _check_window(HH, WW, x.shape, P, "x of shape")
    return _im2col(x, HH, WW, S, P)


def _check_window(HH: int, WW: int, x_shape: tuple[int, ...], P: int, what: str) -> None:
    H, W = x_shape[2:]
    if HH > H + 2 * P or WW > W + 2 * P:
        raise ValueError(
            f"kernel larger than the padded input: a {HH}x{WW} window does not fit in the "
            f"images of {what} {tuple(x_shape)} "
            f"padded by {P} ({H + 2 * P}x{W + 2 * P})"
        )


def _check_x_shape(x_shape: Any) -> tuple[int, int, int, int]:
    """``x_shape`` must be a shape (N, C, H, W): four positive integers."""
    ok = isinstance(x_shape, tuple | list) and len(x_shape) == 4
    ok = ok and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in x_shape)
    if not ok or min(x_shape) < 1:
        raise ValueError(
            "x_shape must be the shape (N, C, H, W) of the input that im2col unrolled: four "
            f"positive integers, got {_describe(x_shape)}"
        )
    N, C, H, W = (int(v) for v in x_shape)
    return N, C, H, W


def _col2im(
    dcols: np.ndarray, x_shape: tuple[int, ...], HH: int, WW: int, S: int, P: int
) -> np.ndarray:
    N, C, H, W = x_shape
    H_out, W_out = _output_size(H, HH, S, P), _output_size(W, WW, S, P)
    dcols = dcols.reshape(N, H_out, W_out, HH, WW, C)
    # Accumulate in (N, H, W, C) layout, like im2col: each slice added below
    # moves runs of C contiguous numbers.
    dx_pad = np.zeros((N, H + 2 * P, W + 2 * P, C), dtype=dcols.dtype)
    # Overlapping windows send gradient to the same pixel: loop over the HH*WW
    # kernel offsets (not the pixels) and add each offset's share in one slice.
    for p in range(HH):
        for q in range(WW):
            dx_pad[:, p : p + S * H_out : S, q : q + S * W_out : S, :] += dcols[:, :, :, p, q, :]
    return dx_pad[:, P : P + H, P : P + W, :].transpose(0, 3, 1, 2)


def col2im(
    dcols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    HH: int,
    WW: int,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    """Adjoint of :func:`im2col`: add each row back onto the pixels it was copied from.

    Parameters
    ----------
    dcols : ndarray of shape (N * H_out * W_out, HH * WW * C)
    x_shape : tuple (N, C, H, W)
        Shape of the input that :func:`im2col` unrolled.
    HH, WW, stride, padding : int
        As for :func:`im2col`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        Pixels that sit in several windows receive the sum of their copies'
        gradients; padding is cut off. Chapter 5, :ref:`sec-conv-im2col`.
    """
    S, P = _check_stride_padding(stride, padding)
    dcols = check_array(dcols, name="dcols", ndim=2, dtype=FLOATING)
    N, C, H, W = _check_x_shape(x_shape)
    HH = check_scalar(HH, "HH", kind=int, low=1)
    WW = check_scalar(WW, "WW", kind=int, low=1)
    _check_window(HH, WW, (N, C, H, W), P, "x_shape")
    H_out, W_out = _output_size(H, HH, S, P), _output_size(W, WW, S, P)
    expected = (N * H_out * W_out, HH * WW * C)
    if dcols.shape != expected:
        raise ValueError(
            f"dcols has shape {dcols.shape} but im2col of x with shape {tuple(x_shape)} "
            f"and {HH}x{WW} windows gives {expected}"
        )
    return np.ascontiguousarray(_col2im(dcols, (N, C, H, W), HH, WW, S, P))


def _conv2d_forward(x, w, b, S, P):
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = _output_size(H, HH, S, P), _output_size(W, WW, S, P)
    cols = _im2col(x, HH, WW, S, P)  # (N*H_out*W_out, HH*WW*C)
    out = cols @ _filter_matrix(w).T  # the one matrix multiply: (N*H_out*W_out, F)
    out += b
    out = np.ascontiguousarray(out.reshape(N, H_out, W_out, F).transpose(0, 3, 1, 2))
    return out, _ConvCache(x.shape, cols, w, S, P)


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, padding: int = 0
) -> tuple[np.ndarray, tuple]:
    """Vectorised convolution: im2col and one matrix multiply.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Input images.
    w : ndarray of shape (F, C, HH, WW)
        Filters.
    b : ndarray of shape (F,)
        One bias per filter.
    stride : int, default 1
        Step ``S`` between neighbouring windows, ``> 0``.
    padding : int, default 0
        Zeros ``P`` added on every side, ``>= 0``.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = (H + 2P - HH) // S + 1``, ``W_out = (W + 2P - WW) // S + 1``.
    cache : tuple
        What :func:`conv2d_backward` needs (the unrolled input and the filters).

    Raises
    ------
    ValueError
        Wrong number of dimensions, channel mismatch between ``x`` and ``w``,
        a kernel larger than the padded input, ``stride <= 0`` or ``padding < 0``.

    Notes
    -----
    ``out = im2col(x) @ w_mat.T + b`` with ``w_mat`` the filters as rows, reshaped; equal to
    :func:`conv2d_naive`. Chapter 5, :ref:`sec-conv-im2col`.
    """
    x, w, b, S, P = _validate_conv(x, w, b, stride, padding)
    return _conv2d_forward(x, w, b, S, P)


def _conv2d_backward(dout, cache):
    x_shape, cols, w, S, P = cache
    F, _, HH, WW = w.shape
    dout_mat = dout.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*H_out*W_out, F)
    db = dout_mat.sum(axis=0)
    # Each filter's gradient sums the windows it was applied to, weighted by dout.
    # (cols.T @ dout_mat), not (dout_mat.T @ cols): the same numbers, but multithreaded
    # OpenBLAS splits a product with a long inner dimension and a tiny (F, HH*WW*C) result badly
    # (measured 20x slower with 2 threads).
    dw = (cols.T @ dout_mat).T.reshape(F, HH, WW, -1).transpose(0, 3, 1, 2)
    dx = np.ascontiguousarray(_input_gradient(dout_mat, w, x_shape, S, P))
    return dx, np.ascontiguousarray(dw), db


def _input_gradient(dout_mat, w, x_shape, S, P):
    """``col2im(dout_mat @ w_mat)``, one kernel offset at a time.

    The block of ``dout_mat @ w_mat`` that belongs to offset ``(p, q)`` is
    ``dout_mat @ w[:, :, p, q]``, of shape (N*H_out*W_out, C): computed on its
    own it is contiguous and is added straight onto the pixels its windows
    came from, instead of being gathered out of one large strided matrix
    (the same sums in the same order, measured about 1.7x faster).
    """
    N, C, H, W = x_shape
    HH, WW = w.shape[2:]
    H_out, W_out = _output_size(H, HH, S, P), _output_size(W, WW, S, P)
    # channels last, as in _col2im
    dx_pad = np.zeros((N, H + 2 * P, W + 2 * P, C), dtype=np.result_type(dout_mat, w))
    for p in range(HH):
        for q in range(WW):
            share = (dout_mat @ w[:, :, p, q]).reshape(N, H_out, W_out, C)
            dx_pad[:, p : p + S * H_out : S, q : q + S * W_out : S, :] += share
    return dx_pad[:, P : P + H, P : P + W, :].transpose(0, 3, 1, 2)


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a convolution with respect to its input, filters and bias.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream gradient :math:`\\partial L / \\partial out`.
    cache : tuple
        From :func:`conv2d_forward` (a ``TypeError`` says so if it is not).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        A *full* convolution of ``dout`` with the filters flipped in both
        spatial axes (computed here as ``col2im(dout_mat @ w_mat)``, one
        kernel offset at a time).
    dw : ndarray of shape (F, C, HH, WW)
        The cross-correlation of the input with ``dout``:
        ``dw[f, c, p, q] = sum_{n,i,j} dout[n, f, i, j] x_pad[n, c, iS+p, jS+q]``.
    db : ndarray of shape (F,)
        ``dout`` summed over images and positions.

    Notes
    -----
    Derived in Chapter 5, :ref:`sec-conv-backprop`.
    """
    _check_cache(cache, _ConvCache)
    x_shape, _, w, S, P = cache
    N, _, H, W = x_shape
    F, _, HH, WW = w.shape
    expected = (N, F, _output_size(H, HH, S, P), _output_size(W, WW, S, P))
    dout = check_array(dout, name="dout", ndim=range(0, 8), dtype=FLOATING)
    if dout.shape != expected:
        raise ValueError(f"dout has shape {dout.shape} but the forward output had shape {expected}")
    return _conv2d_backward(dout, cache)


# --------------------------------------------------------------------------- pooling


def _pool_windows(x: np.ndarray, size: int, S: int) -> np.ndarray:
    # (N, C, H_out, W_out, size, size), a view
    return sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::S, ::S]


def _maxpool2d_forward(x, size, S):
    windows = _pool_windows(x, size, S)
    N, C, H_out, W_out = windows.shape[:4]
    flat = windows.reshape(N, C, H_out, W_out, size * size)
    arg = flat.argmax(axis=-1)  # which of the size*size offsets won (first one on ties)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, _MaxPoolCache(x.shape, arg, size, S)


def maxpool2d_forward(x: np.ndarray, size: int = 2, stride: int = 2) -> tuple[np.ndarray, tuple]:
    """Max pooling: the largest value of each ``size x size`` window, per channel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    size : int, default 2
        Window height and width.
    stride : int, default 2
        Step between windows (``stride == size``: windows tile the image).

    Returns
    -------
    out : ndarray of shape (N, C, H_out, W_out)
        ``H_out = (H - size) // stride + 1``, ``W_out = (W - size) // stride + 1``
        (the output-size formula with no padding).
    cache : tuple
        The input shape and the position of each window's maximum.

    Raises
    ------
    ValueError
        ``x`` not 4-D, a window larger than the image, ``size`` or ``stride`` not positive.

    Notes
    -----
    Chapter 5, :ref:`sec-conv-pooling`.
    """
    x = check_array(x, name="x", ndim=range(0, 8), dtype=FLOATING)
    size, S = _check_pool(x, size, stride)
    return _maxpool2d_forward(x, size, S)


def _pool_scatter(dx, dout_share, size, S, H_out, W_out):
    # Add each kernel offset's share of the gradient onto the pixels at that offset.
    for p in range(size):
        for q in range(size):
            dx[:, :, p : p + S * H_out : S, q : q + S * W_out : S] += dout_share(p * size + q)
    return dx


def _maxpool2d_backward(dout, cache):
    x_shape, arg, size, S = cache
    H_out, W_out = arg.shape[2:]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    # The max is locally the identity on the winner and constant in the others,
    # so all of dout goes to the arg-max and nothing to the rest.
    return _pool_scatter(dx, lambda k: np.where(arg == k, dout, 0.0), size, S, H_out, W_out)


def maxpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of max pooling: each window's upstream gradient goes to its arg-max.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
    cache : tuple
        From :func:`maxpool2d_forward` (a ``TypeError`` says so if it is not).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        Zero everywhere except at the maximum of each window, which receives
        ``dout`` (summed if overlapping windows share a maximum). On ties the
        first maximum (in row-major order) takes it all: a subgradient.

    Notes
    -----
    Derived in Chapter 5, :ref:`sec-conv-pooling`.
    """
    _check_cache(cache, _MaxPoolCache)
    arg = cache.arg
    dout = check_array(dout, name="dout", ndim=range(0, 8), dtype=FLOATING)
    if dout.shape != arg.shape:
        raise ValueError(f"dout has shape {dout.shape} but the pooled output had shape {arg.shape}")
    return _maxpool2d_backward(dout, cache)


def _avgpool2d_forward(x, size, S):
    out = _pool_windows(x, size, S).mean(axis=(-2, -1))
    return out, _AvgPoolCache(x.shape, size, S)


def avgpool2d_forward(x: np.ndarray, size: int = 2, stride: int = 2) -> tuple[np.ndarray, tuple]:
    """Average pooling: the mean of each ``size x size`` window, per channel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    size : int, default 2
    stride : int, default 2

    Returns
    -------
    out : ndarray of shape (N, C, H_out, W_out)
        ``H_out = (H - size) // stride + 1``, ``W_out = (W - size) // stride + 1``.
    cache : tuple

    Notes
    -----
    A convolution with a fixed ``1/size^2`` filter applied to each channel
    separately. Chapter 5, :ref:`sec-conv-pooling`.
    """
    x = check_array(x, name="x", ndim=range(0, 8), dtype=FLOATING)
    size, S = _check_pool(x, size, stride)
    return _avgpool2d_forward(x, size, S)


def _avgpool2d_backward(dout, cache):
    x_shape, size, S = cache
    H_out, W_out = dout.shape[2:]
    share = dout / (size * size)  # every pixel of a window contributed 1/size^2 of the mean
    return _pool_scatter(
        np.zeros(x_shape, dtype=share.dtype), lambda k: share, size, S, H_out, W_out
    )


def avgpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of average pooling: each window's gradient is spread evenly over it.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
    cache : tuple
        From :func:`avgpool2d_forward` (a ``TypeError`` says so if it is not).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        ``dx[n, c, iS + p, jS + q] += dout[n, c, i, j] / size^2``.
    """
    _check_cache(cache, _AvgPoolCache)
    x_shape, size, S = cache
    N, C, H, W = x_shape
    expected = (N, C, _output_size(H, size, S, 0), _output_size(W, size, S, 0))
    dout = check_array(dout, name="dout", ndim=range(0, 8), dtype=FLOATING)
    if dout.shape != expected:
        raise ValueError(f"dout has shape {dout.shape} but the pooled output had shape {expected}")
    return _avgpool2d_backward(dout, cache)
