"""The building blocks of modern convolutional networks (Chapter 5b).

Three layers that follow Chapter 4's :class:`~mlmath.network.Layer`
contract, so they stack in a :class:`~mlmath.network.Sequential` next to
:class:`~mlmath.cnn.Conv2D` and :class:`~mlmath.network.Dense`::

    block = Sequential([Conv2D(16, 16, 3, padding=1, rng=rng), BatchNorm2D(16),
                        Activation("relu"), Conv2D(16, 16, 3, padding=1, rng=rng)])
    net = Sequential([Conv2D(1, 16, 3, padding=1, rng=rng), Activation("relu"),
                      Residual(block), Activation("relu"),
                      GlobalAvgPool2D(), Dense(16, 10, rng=rng)])

``Residual(block)``
    :math:`y = x + F(x)` for any block whose output has the shape of its input.
``BatchNorm2D(n_channels)``
    Chapter 4's batch normalisation with one mean and variance per channel,
    taken over the batch and every pixel position (:math:`N \\cdot H \\cdot W` values).
``GlobalAvgPool2D()``
    (N, C, H, W) -> (N, C): each feature map replaced by its mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_float_array, check_scalar
from .layers import _check_upstream
from .network import BatchNorm, Layer, Sequential

__all__ = ["BatchNorm2D", "GlobalAvgPool2D", "Residual"]


def _check_images(X: np.ndarray, who: str) -> None:
    if X.ndim != 4:
        raise ValueError(
            f"{who} takes images X of shape (N, C, H, W), but X has shape {X.shape} ({X.ndim}-D)"
        )


class Residual(Layer):
    """A residual connection around a block: :math:`y = x + F(x)`.

    Parameters
    ----------
    block : Sequential or Layer
        :math:`F`, any block whose output has the shape of its input (a
        "same"-padded convolution, a square dense layer, a stack of them).

    Attributes
    ----------
    block : Sequential or Layer
    params, grads : dict of str to ndarray
        The block's own arrays (the very same objects, not copies), so
        optimisers update the block in place. A ``Sequential`` block's
        parameters keep its names: inside a network, the weight of layer 0
        of a residual block at position 3 is ``"3.0.W"``. The last part of a
        name is still ``"W"``, so the L2 penalty of
        :func:`~mlmath.network.train_classifier` finds it.

    Raises
    ------
    TypeError
        If ``block`` is neither a ``Sequential`` nor a ``Layer``.
    ValueError
        In ``forward``, if the block's output shape differs from its input's
        (both shapes are named): :math:`x + F(x)` needs them equal.

    Notes
    -----
    The Jacobian is :math:`\\partial y/\\partial x = I + \\partial F/\\partial x`,
    so ``backward`` returns ``dout + block.backward(dout)``: the upstream
    gradient reaches the input unchanged, whatever the block does to it.
    Derived in Chapter 5b, :ref:`sec-modern-residual`.
    """

    def __init__(self, block: Sequential | Layer) -> None:
        super().__init__()
        if isinstance(block, Sequential):
            triples = block.parameters()
            self.params = {name: param for name, param, _ in triples}
            self.grads = {name: grad for name, _, grad in triples}
        elif isinstance(block, Layer):
            self.params, self.grads = block.params, block.grads
        else:
            raise TypeError(
                f"block must be a mlmath.network.Sequential or Layer, got {type(block).__name__}"
            )
        self.block = block

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        X = as_float_array(X, name="X")
        F = self.block.forward(X, training=training)
        if F.shape != X.shape:
            raise ValueError(
                f"Residual needs a block whose output has the shape of its input, but the "
                f"block maps X of shape {X.shape} to shape {F.shape}; x + F(x) is undefined"
            )
        return X + F

    def backward(self, dout: np.ndarray) -> np.ndarray:
        # dy/dx = I + dF/dx: the identity path passes dout through untouched.
        return dout + self.block.backward(dout)

    def __repr__(self) -> str:
        inner = repr(self.block).replace("\n", "\n    ")
        return f"Residual({inner})"


class BatchNorm2D(BatchNorm):
    """Batch normalisation of each channel of images (N, C, H, W).

    The same layer as :class:`~mlmath.network.BatchNorm`, with one feature
    per channel: the images are read as a matrix of :math:`N \\cdot H \\cdot W`
    rows (one per pixel position of each image) by :math:`C` columns, which
    :func:`mlmath.layers.batchnorm_forward` normalises column by column, and
    the result is read back as images. Training and inference modes, and the
    running statistics, are :class:`~mlmath.network.BatchNorm`'s.

    Parameters
    ----------
    n_channels : int
        Number of channels :math:`C`.
    momentum : float in (0, 1], default 0.1
        Weight of the newest batch in the running averages.
    eps : float > 0, default 1e-5

    Attributes
    ----------
    params : {"gamma": (C,), "beta": (C,)}
    running_mean, running_var : ndarray of shape (C,)

    Raises
    ------
    ValueError
        In ``forward``, for input that is not 4-D or has another number of channels.

    Notes
    -----
    One statistic per channel, not per pixel: a convolution applies the same
    filter at every position, so every position of a channel carries the same
    kind of feature. Chapter 5b, :ref:`sec-modern-batchnorm`; the gradient is
    Chapter 4's, :ref:`sec-batchnorm`.
    """

    def __init__(self, n_channels: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        self.n_channels = check_scalar(n_channels, "n_channels", kind=int, low=1)
        super().__init__(self.n_channels, momentum=momentum, eps=eps)

    def _to_rows(self, X: np.ndarray) -> np.ndarray:
        _check_images(X, repr(self))
        if X.shape[1] != self.n_channels:
            raise ValueError(
                f"channel mismatch: X has shape {X.shape} with C={X.shape[1]}, but "
                f"{self!r} normalises {self.n_channels} channels"
            )
        # (N, C, H, W) -> (N, H, W, C) -> (N*H*W, C): one row per pixel position.
        return X.transpose(0, 2, 3, 1).reshape(-1, self.n_channels)

    def _from_rows(self, out: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        N, C, H, W = shape
        return np.ascontiguousarray(out.reshape(N, H, W, C).transpose(0, 3, 1, 2))

    def __repr__(self) -> str:
        return f"BatchNorm2D({self.n_channels})"


class GlobalAvgPool2D(Layer):
    """Global average pooling: (N, C, H, W) -> (N, C), the mean of each feature map.

    Forward: :math:`y_{nc} = \\frac{1}{HW} \\sum_{i,j} x_{ncij}`. Backward: each of
    the :math:`HW` inputs of a map gets :math:`\\partial L/\\partial y_{nc} / (HW)`.
    It has no parameters: in place of a dense layer over the flattened maps
    it gives the output layer :math:`C` inputs whatever the image size.

    Raises
    ------
    ValueError
        In ``forward``, for input that is not 4-D; in ``backward``, for an
        upstream gradient that is not (N, C).

    Notes
    -----
    Chapter 5b, :ref:`sec-modern-gap`; it is average pooling
    (Chapter 5, :ref:`sec-conv-pooling`) with one window as large as the map.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cache: Any = None

    def forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        X = as_float_array(X, name="X")
        _check_images(X, "GlobalAvgPool2D")
        self._cache = X.shape
        return X.mean(axis=(2, 3))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        N, C, H, W = self._require_cache()
        dout = _check_upstream(dout, "dout", (N, C), "GlobalAvgPool2D's means")
        return np.broadcast_to(dout[:, :, None, None] / (H * W), (N, C, H, W)).copy()
