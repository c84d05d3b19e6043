"""A small reverse-mode automatic differentiation engine over numpy arrays (Chapter 4).

Backpropagation, derived by hand for one architecture in Chapter 4, is one
instance of a general algorithm: record the computation as a directed acyclic
graph of elementary operations, then walk it backwards once, in reverse
topological order, multiplying the upstream gradient by each operation's
local derivative (a vector-Jacobian product, VJP). This module is that
algorithm in the spirit of micrograd, but on arrays; it is derived in
Chapter 4, :ref:`sec-autodiff`.

Every operation below is written as one unit: the forward value, and beside
it the VJP ``g -> (gradient for each input)``, where ``g`` is
:math:`\\partial L/\\partial \\text{out}` (the shape of the output). When an
input was broadcast in the forward pass, its gradient is summed over the
broadcast axes (``_unbroadcast``): a value used many times collects the
gradient of every use.

Examples
--------
>>> import numpy as np
>>> W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
>>> loss = ((W * W).sum() + W.T.sum()) * 0.5
>>> loss.backward()
>>> W.grad.tolist()
[[1.5, 2.5], [3.5, 4.5]]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import _describe, as_float_array
from .functional import _log_softmax, _sigmoid

__all__ = ["Tensor", "log_softmax", "node", "softmax_cross_entropy", "topological_order"]

#: A VJP: maps the upstream gradient to one gradient per parent (broadcast shapes allowed).
_VJP = Callable[[np.ndarray], Sequence[np.ndarray]]


class Tensor:
    """An array that remembers how it was computed, so that gradients can flow back.

    Parameters
    ----------
    data : array_like
        Any real numbers (a scalar, a list, an ndarray); stored as float64.

    Attributes
    ----------
    data : ndarray
        The value.
    grad : ndarray or None
        :math:`\\partial L/\\partial\\,\\text{data}`, shaped like ``data``, filled by
        :meth:`backward` of a scalar ``L`` this tensor took part in (``None`` before).
    parents : tuple of Tensor
        The tensors this one was computed from (empty for an input, a leaf).
    op : str
        The operation that computed it (``""`` for a leaf).

    Notes
    -----
    The operators ``+ - * /`` broadcast as numpy does, ``@`` multiplies 2-D
    matrices, and ``**`` takes a real (not a tensor) exponent. A plain number
    or ndarray on either side is treated as a constant (it gets no gradient).
    Derived in Chapter 4, :ref:`sec-autodiff`.
    """

    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data: Any, *, _parents: tuple[Tensor, ...] = (), _op: str = "") -> None:
        if isinstance(data, Tensor):
            raise TypeError("data is already a Tensor; pass tensor.data to copy its value")
        self.data = as_float_array(data, name="data")
        self.grad: np.ndarray | None = None
        self.parents = _parents
        self.op = _op
        self._vjp: _VJP | None = None

    # ----------------------------------------------------------------- basics

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def __repr__(self) -> str:
        op = f", op={self.op!r}" if self.op else ""
        return f"Tensor(shape={self.shape}{op})"

    # ----------------------------------------------------------------- arithmetic

    def __add__(self, other: Any) -> Tensor:
        other = _as_tensor(other, "+")
        out = _broadcast_op(np.add, self, other, "+")
        return node(out, (self, other), lambda g: (g, g), "+")

    __radd__ = __add__

    def __neg__(self) -> Tensor:
        return node(-self.data, (self,), lambda g: (-g,), "neg")

    def __sub__(self, other: Any) -> Tensor:
        other = _as_tensor(other, "-")
        out = _broadcast_op(np.subtract, self, other, "-")
        return node(out, (self, other), lambda g: (g, -g), "-")

    def __rsub__(self, other: Any) -> Tensor:
        return _as_tensor(other, "-") - self

    def __mul__(self, other: Any) -> Tensor:
        other = _as_tensor(other, "*")
        a, b = self.data, other.data
        out = _broadcast_op(np.multiply, self, other, "*")
        return node(out, (self, other), lambda g: (g * b, g * a), "*")

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Tensor:
        other = _as_tensor(other, "/")
        a, b = self.data, other.data
        if np.any(b == 0):
            raise ValueError(f"division by a tensor with zero entries (shape {b.shape})")
        out = _broadcast_op(np.divide, self, other, "/")
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2
        return node(out, (self, other), lambda g: (g / b, -g * a / (b * b)), "/")

    def __rtruediv__(self, other: Any) -> Tensor:
        return _as_tensor(other, "/") / self

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, Tensor) or isinstance(exponent, bool):
            raise TypeError(
                f"the exponent of ** must be a real number, not {_describe(exponent)}; "
                "write exp(k * log(x)) for a tensor exponent"
            )
        if not isinstance(exponent, numbers.Real):
            raise TypeError(f"the exponent of ** must be a real number, got {_describe(exponent)}")
        k = float(exponent)
        a = self.data
        if k != int(k) and np.any(a < 0):
            raise ValueError(f"x ** {k:g} with a non-integer exponent needs x >= 0")
        if k < 1 and np.any(a == 0):
            raise ValueError(f"x ** {k:g} has no derivative at x = 0, and x has zero entries")
        # d(x^k)/dx = k x^(k-1)
        return node(a**k, (self,), lambda g: (g * k * a ** (k - 1),), "**")

    def __matmul__(self, other: Any) -> Tensor:
        other = _as_tensor(other, "@")
        A, B = self.data, other.data
        if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
            raise ValueError(
                f"@ multiplies 2-D tensors (N, D) @ (D, M); got shapes {A.shape} and {B.shape}"
            )
        # C = AB:  dA = G B^T,  dB = A^T G
        return node(A @ B, (self, other), lambda g: (g @ B.T, A.T @ g), "@")

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor(other, "@") @ self

    # ----------------------------------------------------------------- reductions and shapes

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default); numpy's meaning of ``keepdims``."""
        axes = _check_axes(axis, self.ndim)
        shape = self.shape

        def vjp(g: np.ndarray) -> tuple[np.ndarray]:
            # Every summed entry gets the gradient of the sum: put the axes back, broadcast.
            if not keepdims:
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g, shape),)

        return node(self.data.sum(axis=axes, keepdims=keepdims), (self,), vjp, "sum")

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of entries summed."""
        axes = _check_axes(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        if count == 0:
            raise ValueError(f"mean over axes {axes} of a tensor of shape {self.shape} is empty")
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)

    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape (``-1`` allowed, as in numpy)."""
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        old = self.shape
        try:
            out = self.data.reshape(shape)
        except (TypeError, ValueError) as err:
            raise ValueError(f"cannot reshape a tensor of shape {old} to {shape}: {err}") from None
        return node(out, (self,), lambda g: (g.reshape(old),), "reshape")

    @property
    def T(self) -> Tensor:
        """Transpose (axes reversed); its VJP transposes back."""
        return node(self.data.T, (self,), lambda g: (g.T,), "T")

    # ----------------------------------------------------------------- elementwise functions

    def exp(self) -> Tensor:
        out = np.exp(self.data)
        return node(out, (self,), lambda g: (g * out,), "exp")  # (e^x)' = e^x

    def log(self) -> Tensor:
        a = self.data
        if np.any(a <= 0):
            raise ValueError(
                f"log needs positive entries; the tensor (shape {a.shape}) has minimum "
                f"{float(a.min()):.4g}"
            )
        return node(np.log(a), (self,), lambda g: (g / a,), "log")  # (log x)' = 1/x

    def tanh(self) -> Tensor:
        out = np.tanh(self.data)
        return node(out, (self,), lambda g: (g * (1.0 - out * out),), "tanh")

    def relu(self) -> Tensor:
        a = self.data
        # Subgradient 0 at x = 0, as in mlmath.layers.relu_backward.
        return node(np.maximum(a, 0.0), (self,), lambda g: (g * (a > 0),), "relu")

    def sigmoid(self) -> Tensor:
        out = _sigmoid(self.data)
        return node(out, (self,), lambda g: (g * out * (1.0 - out),), "sigmoid")

    def log_softmax(self, axis: int = -1) -> Tensor:
        """Log-probabilities along ``axis``, computed stably (the max is subtracted first)."""
        return log_softmax(self, axis=axis)

    # ----------------------------------------------------------------- the backward pass

    def backward(self) -> None:
        """Fill ``.grad`` of each tensor this scalar depends on: :math:`\\partial L/\\partial t`.

        Walks the graph once in reverse topological order: when a node's VJP
        runs, every use of the node has already added its contribution to the
        node's gradient. Each call starts from zero gradients, so calling it
        twice gives the same ``.grad``, not double.

        Raises
        ------
        ValueError
            If this tensor is not a scalar (one entry): the gradient of a
            vector-valued output is a Jacobian, not an array shaped like each input.
        """
        if self.data.size != 1:
            raise ValueError(
                f"backward() needs a scalar (a loss); this tensor has shape {self.shape}. "
                "Reduce it first, e.g. with .sum() or .mean()"
            )
        order = topological_order(self)
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        for t in reversed(order):
            if t._vjp is None:
                continue  # a leaf
            grads = t._vjp(t.grad)
            if len(grads) != len(t.parents):
                raise ValueError(
                    f"the VJP of {t.op or 'an op'} returned {len(grads)} gradients for "
                    f"{len(t.parents)} inputs"
                )
            for parent, g in zip(t.parents, grads, strict=True):
                g = np.asarray(g, dtype=np.float64)
                try:
                    parent.grad += _unbroadcast(g, parent.shape)
                except ValueError:
                    raise ValueError(
                        f"the VJP of {t.op or 'an op'} returned a gradient of shape {g.shape} "
                        f"for an input of shape {parent.shape}"
                    ) from None


# =========================================================================== graph helpers


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on, each after all of its inputs (ends with ``root``).

    An iterative depth-first search, so deep graphs do not hit Python's recursion limit.
    Chapter 4, :ref:`sec-autodiff`.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        stack.extend((p, False) for p in t.parents if id(p) not in seen)
    return order


def node(value: Any, parents: tuple[Tensor, ...], vjp: _VJP, op: str = "") -> Tensor:
    """A new operation's output: its ``value``, the tensors it was computed from, and its VJP.

    This is how every operation of the engine is written, and how a reader adds one.

    Parameters
    ----------
    value : array_like
        The forward result.
    parents : tuple of Tensor
        The inputs, in the order ``vjp`` returns their gradients.
    vjp : callable
        ``vjp(g) -> (g_1, ..., g_k)``: given the upstream gradient ``g`` (the
        shape of ``value``), the gradient with respect to each parent (its
        shape, or a shape it was broadcast to: the engine sums it back).
    op : str
        A name, shown by ``repr`` and in :func:`topological_order`.

    Examples
    --------
    >>> import numpy as np
    >>> x = Tensor(np.array([0.0, 1.0]))
    >>> sq = node(x.data**2, (x,), lambda g: (2 * x.data * g,), "square")
    >>> sq.sum().backward()
    >>> x.grad.tolist()
    [0.0, 2.0]
    """
    if not isinstance(parents, tuple) or not all(isinstance(p, Tensor) for p in parents):
        raise TypeError(f"parents must be a tuple of Tensors, got {_describe(parents)}")
    if not callable(vjp):
        raise TypeError(f"vjp must be a function g -> gradients, got {_describe(vjp)}")
    out = Tensor(value, _parents=parents, _op=op)
    out._vjp = vjp
    return out


def _as_tensor(x: Any, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if x is None or isinstance(x, str | bytes):
        raise TypeError(f"cannot combine a Tensor with {_describe(x)} by {op}")
    return Tensor(x)


def _broadcast_op(f: Any, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"shapes {a.shape} and {b.shape} do not broadcast for {op}: aligned from the "
            "right, each pair of dimensions must be equal or contain a 1"
        ) from None
    return f(a.data, b.data)


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` down to ``shape``: the gradient of an input that was broadcast to ``g.shape``.

    Broadcasting copies the input along the new (leading) axes and along its
    axes of length 1; by the multivariate chain rule the gradient of a copied
    value is the sum of the gradients of its copies.
    """
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # leading axes that were added
    keep = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=keep, keepdims=True) if keep else g


def _check_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else axis
    if not isinstance(axes, tuple | list) or not all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes
    ):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {_describe(axis)}")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats an axis")
    return tuple(out)


# =========================================================================== fused, stable ops


def log_softmax(Z: Tensor, axis: int = -1) -> Tensor:
    """:math:`\\log \\mathrm{softmax}(Z)` along ``axis``, one stable op.

    Forward: :math:`Z - \\max Z - \\log \\sum e^{Z - \\max Z}` (no overflow for any
    logits). VJP: with :math:`S = \\mathrm{softmax}(Z)`,
    :math:`\\partial L/\\partial Z = G - S \\odot \\sum_{\\text{axis}} G`.
    """
    if not isinstance(Z, Tensor):
        raise TypeError(f"Z must be a Tensor, got {_describe(Z)}")
    (ax,) = _check_axes(axis, Z.ndim)
    moved = np.moveaxis(Z.data, ax, -1)
    out = np.moveaxis(_log_softmax(moved), -1, ax)
    S = np.exp(out)
    return node(out, (Z,), lambda g: (g - S * g.sum(axis=ax, keepdims=True),), "log_softmax")


def softmax_cross_entropy(Z: Tensor, y_index: Any) -> Tensor:
    """Mean cross-entropy of the logits ``Z`` (N, K) against classes ``y_index`` (N,).

    Forward: :math:`L = -\\frac1N \\sum_i \\log \\hat Y_{i, y_i}` with
    :math:`\\hat Y = \\mathrm{softmax}(Z)`, by :func:`log_softmax`. VJP:
    :math:`g\\,(\\hat Y - Y)/N` (Chapter 3, :ref:`sec-softmax`), with :math:`Y` one-hot.
    The same value as :func:`mlmath.logistic.softmax_cross_entropy`, as a graph node.
    """
    if not isinstance(Z, Tensor):
        raise TypeError(f"Z must be a Tensor, got {_describe(Z)}")
    if Z.ndim != 2:
        raise ValueError(f"Z must be 2-D logits (N, K), got shape {Z.shape}")
    N, K = Z.shape
    y = np.asarray(y_index)
    if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y_index must be N = {N} integer class indices, got {_describe(y_index)} "
            f"of shape {y.shape}"
        )
    if N and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"y_index must lie in 0..{K - 1}, got values from {y.min()} to {y.max()}")
    logp = _log_softmax(Z.data)
    rows = np.arange(N)
    loss = -logp[rows, y].mean()

    def vjp(g: np.ndarray) -> tuple[np.ndarray]:
        dZ = np.exp(logp)
        dZ[rows, y] -= 1.0
        return (g * dZ / N,)

    return node(loss, (Z,), vjp, "softmax_cross_entropy")
