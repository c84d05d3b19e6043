"""Convolutional layers and a small convolutional classifier (Chapter 5).

The layers wrap the forward/backward pairs of :mod:`mlmath.conv` in
Chapter 4's :class:`~mlmath.network.Layer` contract, so they stack in a
:class:`~mlmath.network.Sequential` next to ``Dense`` and ``Activation``::

    Sequential([Conv2D(1, 16, 3, padding=1, rng=rng), Activation("relu"),
                MaxPool2D(2), Flatten(), Dense(16 * 4 * 4, 10, rng=rng)])

:class:`CNNClassifier` is such a network behind the scikit-learn interface of
:class:`~mlmath.network.MLPClassifier`, for images of shape (N, C, H, W), or
for flat rows (N, C*H*W) with ``input_shape=(C, H, W)``, the form a
scikit-learn pipeline passes.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import (
    as_float_array,
    check_option,
    check_random_state,
    check_scalar,
    check_sizes,
)
from .augment import random_shift
from .conv import (
    _avgpool2d_backward,
    _avgpool2d_forward,
    _check_conv_shapes,
    _check_pool_window,
    _check_stride_padding,
    _conv2d_backward,
    _conv2d_forward,
    _maxpool2d_backward,
    _maxpool2d_forward,
    conv_output_size,
)
from .layers import ACTIVATIONS, INITS, init_weights
from .network import (
    Activation,
    Dense,
    Layer,
    Sequential,
    _check_hidden_layer_sizes,
    _NetworkClassifier,
)

__all__ = ["AvgPool2D", "CNNClassifier", "Conv2D", "Flatten", "MaxPool2D"]


class Conv2D(Layer):
    """Convolutional layer: ``F`` filters of size ``HH x WW`` slid over ``C`` input channels.

    Parameters
    ----------
    in_channels : int
        ``C``, channels of the input images.
    out_channels : int
        ``F``, number of filters (channels of the output).
    kernel_size : int or (int, int), default 3
        ``HH x WW``.
    stride : int, default 1
    padding : int, default 0
        Zeros added on each side; ``padding = (kernel_size - 1) // 2`` with
        stride 1 keeps the image size ("same" padding for odd kernels).
    init : {"he", "xavier"}, default "he"
        As for :class:`~mlmath.network.Dense`, with fan-in ``C * HH * WW``.
    rng : int, Generator or None

    Attributes
    ----------
    params : {"W": (F, C, HH, WW), "b": (F,)}
        ``"W"`` so that L2 regularisation (``alpha``) applies to the filters.

    Notes
    -----
    Forward: :func:`mlmath.conv.conv2d_forward`; backward:
    :func:`mlmath.conv.conv2d_backward`. Chapter 5, :ref:`sec-conv-local-linear`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 3,
        *,
        stride: int = 1,
        padding: int = 0,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        C = check_scalar(in_channels, "in_channels", kind=int, low=1)
        F = check_scalar(out_channels, "out_channels", kind=int, low=1)
        HH, WW = _kernel_pair(kernel_size)
        self.stride, self.padding = _check_stride_padding(stride, padding)
        check_option(init, "init", INITS)
        rng = check_random_state(rng)
        self.init = init
        # One fan-in/fan-out column per filter, then folded into (F, C, HH, WW).
        W = init_weights(C * HH * WW, F, init=init, rng=rng).T.reshape(F, C, HH, WW)
        self.params = {"W": np.ascontiguousarray(W), "b": np.zeros(F)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache: Any = None

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        X = as_float_array(X, name="X")
        _check_conv_shapes(X, W, b, self.stride, self.padding)  # cheap: shapes only
        out, self._cache = _conv2d_forward(X, W, b, self.stride, self.padding)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dX, dW, db = _conv2d_backward(dout, self._require_cache())
        self._set_grad("W", dW)
        self._set_grad("b", db)
        return dX

    def __repr__(self) -> str:
        F, C, HH, WW = self.params["W"].shape
        extra = f", stride={self.stride}" if self.stride != 1 else ""
        extra += f", padding={self.padding}" if self.padding else ""
        return f"Conv2D({C}, {F}, ({HH}, {WW}){extra})"


def _kernel_pair(kernel_size: Any) -> tuple[int, int]:
    if isinstance(kernel_size, tuple | list):
        if len(kernel_size) != 2:
            raise ValueError(f"kernel_size must be an int or a pair (HH, WW), got {kernel_size!r}")
        HH = check_scalar(kernel_size[0], "kernel_size[0]", kind=int, low=1)
        WW = check_scalar(kernel_size[1], "kernel_size[1]", kind=int, low=1)
        return HH, WW
    k = check_scalar(kernel_size, "kernel_size", kind=int, low=1)
    return k, k


class _Pool2D(Layer):
    _forward = staticmethod(_maxpool2d_forward)
    _backward = staticmethod(_maxpool2d_backward)

    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.size = check_scalar(size, "size", kind=int, low=1)
        self.stride = self.size if stride is None else check_scalar(stride, "stride", kind=int)
        _check_stride_padding(self.stride, 0)
        self._cache: Any = None

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        X = as_float_array(X, name="X")
        _check_pool_window(X, self.size)  # size and stride were checked in __init__
        out, self._cache = self._forward(X, self.size, self.stride)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward(dout, self._require_cache())

    def __repr__(self) -> str:
        stride = "" if self.stride == self.size else f", stride={self.stride}"
        return f"{type(self).__name__}({self.size}{stride})"


class MaxPool2D(_Pool2D):
    """Max pooling layer over ``size x size`` windows (stride defaults to ``size``).

    Backward routes each window's gradient to its arg-max
    (:func:`mlmath.conv.maxpool2d_backward`). Chapter 5, :ref:`sec-conv-pooling`.
    """


class AvgPool2D(_Pool2D):
    """Average pooling layer over ``size x size`` windows (stride defaults to ``size``).

    Backward spreads each window's gradient evenly
    (:func:`mlmath.conv.avgpool2d_backward`). Chapter 5, :ref:`sec-conv-pooling`.
    """

    _forward = staticmethod(_avgpool2d_forward)
    _backward = staticmethod(_avgpool2d_backward)


class Flatten(Layer):
    """Reshape (N, C, H, W) feature maps into rows (N, C*H*W) for a dense head."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: Any = None

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        X = as_float_array(X, name="X")
        if X.ndim < 2:
            raise ValueError(f"Flatten needs X of shape (N, ...), a sample per row; got {X.shape}")
        self._cache = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._require_cache())


def _shift_batch(X: np.ndarray, rng: np.random.Generator, max_shift: int) -> np.ndarray:
    return random_shift(X, max_shift, rng=rng)


def _check_kernel_size(kernel_size: Any) -> tuple[int, int]:
    HH, WW = _kernel_pair(kernel_size)
    if HH % 2 == 0 or WW % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd (so that padding can keep the size), got {kernel_size!r}"
        )
    return HH, WW


def _check_input_shape(input_shape: Any) -> None:
    """``None``, or (C, H, W) of positive integers with at most one ``-1``."""
    if input_shape is None:
        return
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 3:
        raise TypeError(
            f"input_shape must be None or a triple (C, H, W) such as (1, 8, 8), got {input_shape!r}"
        )
    for i, v in enumerate(input_shape):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or (v < 1 and v != -1):
            raise ValueError(
                f"input_shape must hold positive integers (one of them may be -1), but "
                f"entry {i} is {v!r} (in {tuple(input_shape)!r})"
            )
    if list(input_shape).count(-1) > 1:
        raise ValueError(f"input_shape may hold at most one -1, got {tuple(input_shape)!r}")


def _resolve_input_shape(input_shape: Any, n_features: int) -> tuple[int, ...]:
    """``input_shape`` with its ``-1`` worked out so that ``C * H * W == n_features``."""
    shape = [int(v) for v in input_shape]
    if -1 in shape:
        known = int(np.prod([v for v in shape if v != -1]))
        if n_features % known:
            raise ValueError(
                f"X has {n_features} features per sample, which input_shape="
                f"{tuple(input_shape)!r} cannot read as images: it needs a multiple of {known}"
            )
        shape[shape.index(-1)] = n_features // known
    elif int(np.prod(shape)) != n_features:
        raise ValueError(
            f"X has {n_features} features per sample, but input_shape={tuple(input_shape)!r} "
            f"needs C * H * W = {int(np.prod(shape))}"
        )
    return tuple(shape)


def _check_filters(filters: Any) -> tuple[int, ...]:
    return check_sizes(
        filters,
        "filters",
        example="(16,) or (16, 32)",
        allow_empty=False,
        item="convolutional layer",
    )


class CNNClassifier(_NetworkClassifier):
    """A small convolutional network classifier for images of shape (N, C, H, W).

    For each entry ``F_l`` of ``filters`` the network has a block
    ``Conv2D(F_l, kernel_size, padding) -> activation -> pooling`` (the
    padding keeps the map size for a square kernel; the pooling is skipped
    once the maps are smaller than the window), then
    ``Flatten``, the dense hidden layers of ``hidden_layer_sizes`` with the
    same activation, and a dense output layer scored by the softmax
    cross-entropy (one logistic unit for two classes). Trained by mini-batch
    Adam (or another rule of :mod:`mlmath.optim`), exactly as
    :class:`~mlmath.network.MLPClassifier`.

    Parameters
    ----------
    filters : tuple of int, default (16, 32)
        Number of filters of each convolutional layer; its length is the
        number of convolutional blocks.
    kernel_size : int or (int, int), default 3
        Filter size ``HH x WW`` (an int means a square filter), each odd.
        Every side is padded by ``(min(HH, WW) - 1) // 2``: a square kernel
        keeps the map size ("same" padding), a non-square one shrinks the
        map along its longer side by ``max(HH, WW) - min(HH, WW)``.
    pooling : {"max", "avg"}, default "max"
    pool_size : int, default 2
        Window and stride of each pooling layer.
    hidden_layer_sizes : tuple of int, default (128,)
        Dense layers between the flattened maps and the output.
    activation : {"relu", "sigmoid", "tanh"}, default "relu"
    solver : {"adam", "sgd", "rmsprop", "adagrad"}, default "adam"
        The update rule of :mod:`mlmath.optim` (Chapter 2, :ref:`sec-gd-adaptive`).
    learning_rate : float, default 0.003
    momentum : float, default 0.9
        Used by ``solver="sgd"`` only.
    nesterovs_momentum : bool, default False
        Nesterov's momentum (``solver="sgd"`` only; Chapter 2, :ref:`sec-gd-nesterov`).
    batch_size : int, default 32
    max_iter : int, default 15
        Epochs.
    alpha : float, default 0.0
        L2 penalty on weights and filters (not biases).
    random_state : int, Generator, RandomState or None, default 0
    shift_augment : int >= 0, default 0
        Data augmentation: each training mini-batch is shifted at random by
        up to ``shift_augment`` pixels along each axis, filling with zeros
        (:func:`mlmath.augment.random_shift`, drawn from the training
        ``random_state``); 0 trains on the images as given. Chapter 5b,
        :ref:`sec-modern-augment`.
    input_shape : (int, int, int) or None, default None
        ``(C, H, W)``, the shape of one image. Needed for flat rows ``X`` of
        shape (N, C*H*W), such as a scikit-learn pipeline passes (after a
        ``StandardScaler``, say); each row is read as ``row.reshape(C, H,
        W)``. One entry may be ``-1``, worked out from the number of columns
        as in ``numpy.reshape``: ``(1, 1, -1)`` reads every row as a
        one-pixel-high signal. With 4-D ``X`` it is optional; when given it
        must match ``X.shape[1:]``.
    dtype : np.float64 or np.float32 (or "float64", "float32"), default np.float64
        The floating type of the parameters, feature maps, gradients and
        optimiser state; ``X`` is cast to it once and ``predict_proba``
        returns it, as for :class:`~mlmath.network.MLPClassifier`.

    Attributes
    ----------
    model_ : Sequential
    classes_ : ndarray
    loss_curve_ : list of float
        Mean training loss per epoch.
    input_shape_ : tuple (C, H, W)
    n_features_in_ : int
        ``C * H * W``.
    n_iter_ : int
        Epochs run.

    Raises
    ------
    ValueError
        In ``fit``, for 4-D ``X`` that looks like channels-last images
        (N, H, W, C): last axis of at most 4 entries, both axes before it
        longer. They would be read as H channels of W x C images. Transpose
        them with ``X.transpose(0, 3, 1, 2)``, or, if the layout really is
        (N, C, H, W), say so with ``input_shape=X.shape[1:]``.

    Notes
    -----
    The defaults reach at least 98% test accuracy on scikit-learn's 8x8
    digits (pixels scaled to [0, 1], reshaped to (N, 1, 8, 8)) in a few
    seconds. Chapter 5, :ref:`sec-conv-digits`.
    """

    _X_ndim = (2, 4)

    def __init__(
        self,
        filters: tuple[int, ...] = (16, 32),
        kernel_size: int | tuple[int, int] = 3,
        pooling: str = "max",
        pool_size: int = 2,
        hidden_layer_sizes: tuple[int, ...] = (128,),
        activation: str = "relu",
        solver: str = "adam",
        learning_rate: float = 0.003,
        momentum: float = 0.9,
        nesterovs_momentum: bool = False,
        batch_size: int = 32,
        max_iter: int = 15,
        alpha: float = 0.0,
        random_state: int | np.random.Generator | None = 0,
        input_shape: tuple[int, int, int] | None = None,
        shift_augment: int = 0,
        dtype: Any = np.float64,
    ) -> None:
        self.filters = filters
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.alpha = alpha
        self.random_state = random_state
        self.input_shape = input_shape
        self.shift_augment = shift_augment
        self.dtype = dtype

    def _augment(self) -> Callable[[np.ndarray, np.random.Generator], np.ndarray] | None:
        s = self.shift_augment
        return None if s == 0 else functools.partial(_shift_batch, max_shift=s)

    def _check_settings(self) -> None:
        _check_filters(self.filters)
        _check_hidden_layer_sizes(self.hidden_layer_sizes)
        _check_kernel_size(self.kernel_size)
        _check_input_shape(self.input_shape)
        check_scalar(self.shift_augment, "shift_augment", kind=int, low=0)
        check_option(self.pooling, "pooling", ("max", "avg"))
        check_scalar(self.pool_size, "pool_size", kind=int, low=1)
        check_option(self.activation, "activation", tuple(ACTIVATIONS))
        super()._check_settings()

    def _input_shape(self, X: np.ndarray) -> tuple[int, ...]:
        """``(C, H, W)`` of one image: from ``input_shape`` for rows, from ``X`` for images."""
        if X.ndim == 2:
            if self.input_shape is None:
                raise ValueError(
                    f"X has shape {X.shape}: rows of {X.shape[1]} numbers, but "
                    "CNNClassifier needs images. Give X as (N, C, H, W), or say how to read "
                    "each row with input_shape=(C, H, W), C * H * W = "
                    f"{X.shape[1]} (for example input_shape=(1, 8, 8) for 8x8 grey images)"
                )
            return _resolve_input_shape(self.input_shape, X.shape[1])
        shape = tuple(X.shape[1:])
        if self.input_shape is not None:
            expected = _resolve_input_shape(self.input_shape, int(np.prod(shape)))
            if expected != shape:
                raise ValueError(
                    f"X holds images of shape {shape}, but input_shape={self.input_shape!r} "
                    f"says {expected}"
                )
        elif shape[2] <= 4 and shape[0] > shape[2] and shape[1] > shape[2]:
            raise ValueError(
                f"X has shape {X.shape}, which looks like channels-last images (N, H, W, C) "
                f"with C={shape[2]}: read as (N, C, H, W) they would be {shape[0]} channels "
                f"of {shape[1]}x{shape[2]} pixels. CNNClassifier expects channels first, "
                "(N, C, H, W): pass X.transpose(0, 3, 1, 2). If the layout really is "
                f"(N, C, H, W), confirm it with input_shape={shape!r}"
            )
        return shape

    def _build(
        self, input_shape: tuple[int, ...], n_outputs: int, rng: np.random.Generator
    ) -> Sequential:
        C, H, W = input_shape
        HH, WW = _kernel_pair(self.kernel_size)
        padding = (min(HH, WW) - 1) // 2
        size = self.pool_size
        init = "he" if self.activation == "relu" else "xavier"
        Pool = MaxPool2D if self.pooling == "max" else AvgPool2D
        layers: list[Layer] = []
        for i, F in enumerate(_check_filters(self.filters)):
            H_out, W_out = H + 2 * padding - HH + 1, W + 2 * padding - WW + 1  # stride 1
            if H_out < 1 or W_out < 1:
                raise ValueError(
                    f"kernel_size={self.kernel_size!r} does not fit the {H}x{W} maps that "
                    f"convolutional block {i + 1} gets (padded by {padding}); use a smaller "
                    "or square kernel, or fewer blocks"
                )
            layers += [Conv2D(C, F, (HH, WW), padding=padding, init=init, rng=rng)]
            layers += [Activation(self.activation)]
            H, W = H_out, W_out
            if H >= size and W >= size and size > 1:
                layers.append(Pool(size))
                H, W = conv_output_size(H, size, size), conv_output_size(W, size, size)
            C = F
        layers.append(Flatten())
        sizes = [C * H * W, *_check_hidden_layer_sizes(self.hidden_layer_sizes)]
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [Dense(n_in, n_out, init=init, rng=rng), Activation(self.activation)]
        # As in MLPClassifier: Xavier keeps the initial logits small.
        layers.append(Dense(sizes[-1], n_outputs, init="xavier", rng=rng))
        return Sequential(layers)
