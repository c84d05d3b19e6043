"""Tests for mlmath.conv: vectorised against loops, gradients, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmath.conv import (
    avgpool2d_backward,
    avgpool2d_forward,
    col2im,
    conv2d_backward,
    conv2d_forward,
    conv2d_naive,
    conv_output_size,
    im2col,
    maxpool2d_backward,
    maxpool2d_forward,
)
from mlmath.gradcheck import gradcheck


@st.composite
def conv_problems(draw):
    N = draw(st.integers(1, 3))
    C = draw(st.integers(1, 3))
    F = draw(st.integers(1, 4))
    HH = draw(st.integers(1, 4))
    WW = draw(st.integers(1, 4))
    P = draw(st.integers(0, 2))
    S = draw(st.integers(1, 3))
    # the padded input must hold at least one window
    H = draw(st.integers(max(1, HH - 2 * P), 9))
    W = draw(st.integers(max(1, WW - 2 * P), 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, C, H, W))
    w = rng.normal(size=(F, C, HH, WW))
    b = rng.normal(size=F)
    return x, w, b, S, P


@settings(max_examples=40, deadline=None)
@given(conv_problems())
def test_vectorised_equals_naive(problem):
    x, w, b, S, P = problem
    out, _ = conv2d_forward(x, w, b, stride=S, padding=P)
    expected = conv2d_naive(x, w, b, stride=S, padding=P)
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    assert out.shape == (N, F, conv_output_size(H, HH, S, P), conv_output_size(W, WW, S, P))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(conv_problems())
def test_backward_matches_naive_forward_differences(problem):
    # dx through the vectorised backward, against finite differences of the *naive* forward:
    # ties the fast gradient to the definition, not to the fast forward.
    x, w, b, S, P = problem
    out, cache = conv2d_forward(x, w, b, stride=S, padding=P)
    dout = np.random.default_rng(0).normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert gradcheck(lambda v: conv2d_naive(v, w, b, S, P), dx, x, dout=dout) < 1e-7
    assert gradcheck(lambda v: conv2d_naive(x, v, b, S, P), dw, w, dout=dout) < 1e-7
    assert gradcheck(lambda v: conv2d_naive(x, w, v, S, P), db, b, dout=dout) < 1e-7


@pytest.mark.parametrize(
    ("shape", "wshape", "S", "P"),
    [
        ((2, 3, 7, 6), (4, 3, 3, 2), 1, 0),
        ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1),
        ((1, 2, 8, 8), (3, 2, 3, 3), 1, 1),
        ((2, 1, 5, 5), (2, 1, 5, 5), 1, 0),
        ((1, 2, 6, 7), (2, 2, 2, 3), 3, 2),
    ],
)
def test_conv_gradcheck(shape, wshape, S, P):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=shape), rng.normal(size=wshape), rng.normal(size=wshape[0])
    out, cache = conv2d_forward(x, w, b, S, P)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert gradcheck(lambda v: conv2d_forward(v, w, b, S, P)[0], dx, x, dout=dout) < 1e-8
    assert gradcheck(lambda v: conv2d_forward(x, v, b, S, P)[0], dw, w, dout=dout) < 1e-8
    assert gradcheck(lambda v: conv2d_forward(x, w, v, S, P)[0], db, b, dout=dout) < 1e-8


def test_input_gradient_is_full_convolution_with_flipped_kernel():
    # The theorem of Chapter 5: for stride 1, padding 0,
    # dx = (zero-padded dout) cross-correlated with w flipped in both spatial axes.
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 2)), np.zeros(4)
    out, cache = conv2d_forward(x, w, b)
    dout = rng.normal(size=out.shape)
    dx, _, _ = conv2d_backward(dout, cache)
    w_flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, HH, WW)
    dout_pad = np.pad(dout, ((0, 0), (0, 0), (2, 2), (1, 1)))
    full, _ = conv2d_forward(dout_pad, w_flipped, np.zeros(3))
    np.testing.assert_allclose(dx, full, atol=1e-12)


def test_im2col_col2im_are_adjoint():
    # <im2col(x), Y> == <x, col2im(Y)>: col2im is the transpose of the linear map im2col.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 7, 6))
    cols = im2col(x, 3, 2, stride=2, padding=1)
    Y = rng.normal(size=cols.shape)
    lhs = float(np.sum(cols * Y))
    rhs = float(np.sum(x * col2im(Y, x.shape, 3, 2, stride=2, padding=1)))
    assert lhs == pytest.approx(rhs, rel=1e-12)


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (2, 1), (3, 2), (3, 3), (1, 1)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_gradcheck(kind, size, stride):
    forward, backward = {
        "max": (maxpool2d_forward, maxpool2d_backward),
        "avg": (avgpool2d_forward, avgpool2d_backward),
    }[kind]
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 7, 6))  # continuous values: no ties in a window
    out, cache = forward(x, size, stride)
    assert out.shape == (2, 3, conv_output_size(7, size, stride), conv_output_size(6, size, stride))
    dout = rng.normal(size=out.shape)
    dx = backward(dout, cache)
    assert gradcheck(lambda v: forward(v, size, stride)[0], dx, x, dout=dout) < 1e-8


def test_pool_values_against_loops():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 2, 7, 7))
    mx, _ = maxpool2d_forward(x, 3, 2)
    av, _ = avgpool2d_forward(x, 3, 2)
    for i in range(3):
        for j in range(3):
            window = x[:, :, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]
            np.testing.assert_allclose(mx[:, :, i, j], window.max(axis=(2, 3)))
            np.testing.assert_allclose(av[:, :, i, j], window.mean(axis=(2, 3)))


def test_maxpool_gradient_routes_to_argmax():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    _, cache = maxpool2d_forward(x)
    dx = maxpool2d_backward(np.array([[[[7.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 7.0], [0.0, 0.0]]]])


def test_inputs_not_modified():
    rng = np.random.default_rng(6)
    x, w, b = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = conv2d_forward(x, w, b, padding=1)
    conv2d_backward(np.ones_like(out), cache)
    for a, c in zip((x, w, b), copies, strict=True):
        np.testing.assert_array_equal(a, c)


X4 = np.zeros((2, 3, 5, 5))
W4 = np.zeros((4, 3, 3, 3))
B4 = np.zeros(4)
Z = np.zeros
CACHE_CONV = conv2d_forward(X4, W4, B4)[1]  # output (2, 4, 3, 3)
CACHE_POOL = maxpool2d_forward(X4)[1]  # output (2, 3, 2, 2)

BAD_INPUTS = [
    # (function, args, kwargs, error, message fragment)
    (conv2d_forward, (X4, Z((4, 2, 3, 3)), B4), {}, ValueError, r"channel mismatch.*C=3.*C=2"),
    (conv2d_forward, (X4, Z((4, 3, 6, 3)), B4), {}, ValueError, r"kernel larger.*\(2, 3, 5, 5\)"),
    (conv2d_forward, (X4, Z((4, 3, 8, 8)), B4), {"padding": 1}, ValueError, "7x7"),
    (conv2d_forward, (X4, W4, B4), {"stride": 0}, ValueError, "stride must be a positive"),
    (conv2d_forward, (X4, W4, B4), {"stride": -2}, ValueError, "stride must be a positive"),
    (conv2d_forward, (X4, W4, B4), {"stride": 1.5}, TypeError, "stride must be an integer"),
    (conv2d_forward, (X4, W4, B4), {"padding": -1}, ValueError, "padding must be a non-negative"),
    (conv2d_forward, (Z((3, 5, 5)), W4, B4), {}, ValueError, r"x must be 4-D.*\(3, 5, 5\)"),
    (conv2d_forward, (X4, Z((3, 3, 3)), B4), {}, ValueError, "w must be 4-D"),
    (conv2d_forward, (X4, W4, Z(3)), {}, ValueError, "b needs F=4"),
    (conv2d_forward, (X4, W4, Z((4, 1))), {}, ValueError, "b must be 1-D"),
    (conv2d_forward, (np.full((2, 3, 5, 5), np.nan), W4, B4), {}, ValueError, "NaN"),
    (conv2d_forward, ("image", W4, B4), {}, TypeError, "string"),
    (conv2d_naive, (X4, Z((4, 1, 3, 3)), B4), {}, ValueError, "channel mismatch"),
    (
        conv2d_backward,
        (Z((2, 4, 2, 2)), CACHE_CONV),
        {},
        ValueError,
        r"dout has shape \(2, 4, 2, 2",
    ),
    (maxpool2d_forward, (Z((1, 1, 3, 3)),), {"size": 4}, ValueError, r"does not fit.*4x4.*3x3"),
    (avgpool2d_forward, (Z((1, 1, 5, 1)),), {"size": 2}, ValueError, "window does not fit"),
    (maxpool2d_forward, (X4,), {"size": 0}, ValueError, "size must be a positive"),
    (maxpool2d_forward, (X4,), {"stride": 0}, ValueError, "stride must be a positive"),
    (avgpool2d_forward, (Z((5, 5)),), {}, ValueError, r"x must be 4-D.*\(5, 5\)"),
    (maxpool2d_backward, (Z((2, 3, 3, 3)), CACHE_POOL), {}, ValueError, "dout has shape"),
    (im2col, (X4, 6, 2), {}, ValueError, "kernel larger"),
]


@pytest.mark.parametrize(("func", "args", "kwargs", "error", "match"), BAD_INPUTS)
def test_bad_input(func, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(*args, **kwargs)
