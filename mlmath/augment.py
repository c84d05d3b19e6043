"""Data augmentation for images (Chapter 5b): random shifts.

A convolution commutes with shifts, but a network of convolutions, pooling
and dense layers does not ignore them: a digit moved by one pixel can be
misread. Training on randomly shifted copies of the images teaches the whole
network what the convolutions alone do not give it. Pass the function to
:func:`mlmath.network.train_classifier` as ``augment`` (it is then applied to
every mini-batch), or set ``shift_augment`` of
:class:`~mlmath.cnn.CNNClassifier`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import FLOATING, check_array, check_random_state, check_scalar

__all__ = ["random_shift"]


def random_shift(
    X: Any,
    max_shift: int = 1,
    *,
    rng: np.random.Generator | int | None,
    return_offsets: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Shift each image by a random whole number of pixels, filling with zeros.

    Image :math:`n` is moved down by :math:`d_n` rows and right by :math:`e_n`
    columns, with :math:`(d_n, e_n)` drawn uniformly from
    :math:`\\{-s, \\dots, s\\}^2`, :math:`s` = ``max_shift``:

    .. math:: \\tilde x_{n c i j} = x_{n c,\\, i - d_n,\\, j - e_n},

    and :math:`\\tilde x_{ncij} = 0` where :math:`(i - d_n, j - e_n)` falls
    outside the image. The pixels pushed over the edge are lost and the ones
    that come in are zeros, the background of the digits (pixels scaled to
    [0, 1]); for data whose background is not 0, centre it first or pad in
    another way. All channels of an image move together.

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
        Images; not changed.
    max_shift : int >= 0, default 1
        Largest shift :math:`s` along each axis; 0 returns a copy of ``X``.
    rng : int or numpy.random.Generator
        Draws the offsets (in the order ``rng.integers(-s, s + 1, size=(N, 2))``):
        same seed, same shifts.
    return_offsets : bool, default False
        Also return the offsets.

    Returns
    -------
    X_shifted : ndarray of shape (N, C, H, W)
    offsets : ndarray of int, shape (N, 2)
        Only with ``return_offsets``: :math:`(d_n, e_n)` for each image.

    Raises
    ------
    TypeError
        If ``max_shift`` is not an integer, or ``X`` is not numeric.
    ValueError
        If ``X`` is not 4-D or ``max_shift`` is negative.

    Notes
    -----
    Chapter 5b, :ref:`sec-modern-augment`.
    """
    X = check_array(X, name="X", ndim=4, dtype=FLOATING)  # float32 stays float32
    s = check_scalar(max_shift, "max_shift", kind=int, low=0)
    rng = check_random_state(rng)
    offsets = rng.integers(-s, s + 1, size=(X.shape[0], 2))
    out = _shift(X, offsets, s)
    return (out, offsets) if return_offsets else out


def _shift(X: np.ndarray, offsets: np.ndarray, s: int) -> np.ndarray:
    """Images ``X`` moved by ``offsets`` (N, 2), each entry in [-s, s]; unchecked."""
    N, C, H, W = X.shape
    padded = np.zeros((N, C, H + 2 * s, W + 2 * s), dtype=X.dtype)
    padded[:, :, s : s + H, s : s + W] = X
    out = np.empty_like(X)
    # One slice per distinct offset: at most (2s + 1)^2 groups, not N.
    pairs, group = np.unique(offsets, axis=0, return_inverse=True)
    for k, (d, e) in enumerate(pairs):
        idx = np.flatnonzero(group.ravel() == k)
        # out[i, j] = X[i - d, j - e] = padded[i - d + s, j - e + s]
        out[idx] = padded[idx, :, s - d : s - d + H, s - e : s - e + W]
    return out
