"""The reverse-mode engine of Chapter 4: every op against finite differences, and against
the hand-derived backward passes of :mod:`mlmath.network`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mlmath.autodiff import Tensor, log_softmax, node, softmax_cross_entropy, topological_order
from mlmath.gradcheck import gradcheck
from mlmath.logistic import softmax_cross_entropy as ce_reference
from mlmath.network import Activation, Dense, Sequential, loss_and_gradients

RNG = np.random.default_rng(0)


def engine_grad(f, *arrays):
    """Gradients of the scalar ``f(*tensors)`` with respect to each array, by the engine."""
    ts = [Tensor(a.copy()) for a in arrays]
    f(*ts).backward()
    return [t.grad for t in ts]


def check_all_inputs(f, *arrays, tol=1e-7):
    """gradcheck of ``f`` with respect to each of its array inputs in turn."""
    grads = engine_grad(f, *arrays)
    for i, a in enumerate(arrays):

        def scalar(v, i=i):
            args = [Tensor(b) for b in arrays]
            args[i] = Tensor(v)
            return float(f(*args).data)

        err = gradcheck(scalar, grads[i], a)
        assert err < tol, (i, err)


# Each unary op, composed with a weighting so the upstream gradient is not all ones.
UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 1.0).log(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "sigmoid": lambda x: x.sigmoid(),
    "pow2": lambda x: x**2,
    "pow3": lambda x: x**3,
    "pow_half": lambda x: (x * x + 0.5) ** 0.5,
    "T": lambda x: x.T,
    "reshape": lambda x: x.reshape(-1),
    "reshape_tuple": lambda x: x.reshape((2, -1)),
    "sum_axis0": lambda x: x.sum(axis=0),
    "sum_axis1_keep": lambda x: x.sum(axis=1, keepdims=True),
    "mean": lambda x: x.mean(axis=(0, 1), keepdims=True),
    "mean_axis": lambda x: x.mean(axis=-1),
    "log_softmax": lambda x: x.log_softmax(),
    "log_softmax0": lambda x: log_softmax(x, axis=0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradcheck(name):
    x = RNG.normal(size=(3, 4))
    x[np.abs(x) < 1e-3] = 0.1  # keep relu away from its kink
    op = UNARY[name]

    def f(t):
        out = op(t)
        return (out * np.arange(1.0, out.data.size + 1).reshape(out.shape)).sum()

    check_all_inputs(f, x)


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 1.0),
}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((), (3, 4))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(("sa", "sb"), SHAPES)
def test_binary_op_gradcheck_with_broadcasting(name, sa, sb):
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    op = BINARY[name]
    check_all_inputs(lambda s, t: (op(s, t) * op(s, t)).sum(), a, b)
    check_all_inputs(lambda s, t: (op(t, s) * op(t, s)).sum(), a, b)
    # The broadcast input's gradient has its own shape.
    ga, gb = engine_grad(lambda s, t: op(s, t).sum(), a, b)
    assert ga.shape == a.shape and gb.shape == b.shape


def test_matmul_gradcheck():
    A, B = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2))
    check_all_inputs(lambda s, t: ((s @ t).tanh() * 2.0).sum(), A, B)


def test_constants_on_either_side():
    x = RNG.normal(size=(2, 3))
    c = RNG.normal(size=(3,))
    check_all_inputs(lambda t: (c * t + 1.0 - c / (t * t + 1.0) + (2.0 - t)).sum(), x)
    check_all_inputs(lambda t: (c.reshape(1, 3) @ t.T).sum(), x)
    # A plain ndarray on the left defers to the Tensor (it does not become an object array).
    assert isinstance(c + Tensor(x), Tensor)


def test_softmax_cross_entropy_value_and_gradient():
    Z = RNG.normal(size=(5, 3)) * 3
    y = np.array([0, 2, 1, 1, 0])
    loss = softmax_cross_entropy(Tensor(Z), y)
    ref_loss, ref_dZ = ce_reference(Z, y)
    assert abs(float(loss.data) - ref_loss) < 1e-14
    check_all_inputs(lambda t: softmax_cross_entropy(t * 1.5, y), Z)
    (g,) = engine_grad(lambda t: softmax_cross_entropy(t, y), Z)
    np.testing.assert_allclose(g, ref_dZ, rtol=0, atol=1e-15)
    # The same loss composed from log_softmax.
    onehot = np.eye(3)[y]
    (g2,) = engine_grad(lambda t: -(t.log_softmax() * onehot).sum() / 5.0, Z)
    np.testing.assert_allclose(g2, ref_dZ, rtol=0, atol=1e-15)


def test_log_softmax_is_stable_for_huge_logits():
    Z = Tensor(np.array([[1000.0, 0.0, -1000.0]]))
    out = Z.log_softmax()
    assert np.all(np.isfinite(out.data))
    out.sum().backward()
    assert np.all(np.isfinite(Z.grad))


@pytest.mark.parametrize("seed", range(8))
def test_random_compositions_with_broadcasting(seed):
    """Random expressions over a matrix, a row vector, a column and a scalar."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (3, 1), ()]
    arrays = [rng.normal(size=s) for s in shapes]
    unary = [
        lambda x: x.tanh(),
        lambda x: x.sigmoid(),
        lambda x: (x * x + 1.0).log(),
        lambda x: (x * 0.3).exp(),
        lambda x: x**2,
    ]
    binary = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]
    order = [1, 2, 3, *rng.integers(4, size=4)]  # every input takes part
    plan = [(w, rng.integers(len(unary)), rng.integers(len(binary))) for w in order]

    def f(*ts):
        acc = ts[0]
        for which, u, b in plan:
            acc = binary[b](acc, unary[u](ts[which]))
        return (acc * acc).mean()

    check_all_inputs(f, *arrays, tol=1e-6)


def test_a_tensor_used_twice_collects_both_gradients():
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data + 1)


def test_backward_twice_does_not_accumulate():
    x = Tensor(np.array([1.0, -2.0]))
    loss = (x * x).sum()
    loss.backward()
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad, first)


def test_topological_order_puts_inputs_first():
    a, b = Tensor(1.0), Tensor(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    pos = {id(t): i for i, t in enumerate(order)}
    for t in order:
        for p in t.parents:
            assert pos[id(p)] < pos[id(t)]
    assert order[-1] is e and len(order) == 5


def test_deep_chain_needs_no_recursion():
    x = Tensor(np.array(0.5))
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert abs(float(x.grad) - 1.0001**5000) < 1e-9 * 1.0001**5000


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_engine_equals_sequential_backward_on_the_mlp_loss(activation, alpha):
    """The Chapter 4 MLP: the engine's gradients are the hand-derived ones to 1e-12."""
    rng = np.random.default_rng(1)
    N, sizes = 20, [6, 5, 4, 3]
    X = rng.normal(size=(N, sizes[0]))
    y = rng.integers(0, sizes[-1], size=N)
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(n_in, n_out, rng=rng))
        layers[-1].params["b"][...] = rng.normal(size=n_out)
        if i < len(sizes) - 2:
            layers.append(Activation(activation))
    model = Sequential(layers)
    loss_ref = loss_and_gradients(model, X, y, alpha=alpha)

    params = [Tensor(p.copy()) for _, p, _ in model.parameters()]
    A = Tensor(X)
    Ws = []
    for i in range(0, len(params), 2):
        W, b = params[i], params[i + 1]
        Ws.append(W)
        A = A @ W + b
        if i + 2 < len(params):
            A = getattr(A, activation)()
    loss = softmax_cross_entropy(A, y)
    for W in Ws:
        loss = loss + (alpha / (2 * N)) * (W * W).sum()
    loss.backward()
    assert abs(float(loss.data) - loss_ref) < 1e-12
    for (name, _, grad), t in zip(model.parameters(), params, strict=True):
        assert np.max(np.abs(t.grad - grad)) < 1e-12, name


# --------------------------------------------------------------------------- bad input


def test_backward_on_a_non_scalar_is_refused():
    with pytest.raises(ValueError, match=r"scalar.*shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).exp().backward()


@pytest.mark.parametrize(
    ("expr", "error", "match"),
    [
        (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((4,))), ValueError, r"\(2, 3\).*\(4,\)"),
        (lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)), ValueError, "do not broadcast"),
        (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))), ValueError, r"@.*\(2, 3\)"),
        (lambda: Tensor(np.ones(3)) @ Tensor(np.ones(3)), ValueError, "2-D"),
        (lambda: Tensor(np.ones(3)) ** Tensor(2.0), TypeError, "exponent"),
        (lambda: Tensor(np.ones(3)) ** "2", TypeError, "exponent"),
        (lambda: Tensor(-np.ones(3)) ** 0.5, ValueError, "x >= 0"),
        (lambda: Tensor(np.zeros(3)).log(), ValueError, "positive"),
        (lambda: Tensor(np.ones(3)) / Tensor(np.zeros(3)), ValueError, "zero"),
        (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ValueError, "axis 2"),
        (lambda: Tensor(np.ones((2, 3))).sum(axis=1.5), TypeError, "axis"),
        (lambda: Tensor(np.ones((2, 3))).reshape(4), ValueError, r"\(2, 3\) to \(4,\)"),
        (lambda: Tensor("abc"), TypeError, "data"),
        (lambda: Tensor(None), TypeError, "data"),
        (lambda: Tensor(np.ones(2)) + None, TypeError, r"\+"),
        (lambda: Tensor(Tensor(1.0)), TypeError, "already a Tensor"),
        (lambda: softmax_cross_entropy(Tensor(np.ones((2, 3))), [0, 3]), ValueError, r"0\.\.2"),
        (lambda: softmax_cross_entropy(Tensor(np.ones((2, 3))), [0]), ValueError, "N = 2"),
        (lambda: softmax_cross_entropy(np.ones((2, 3)), [0, 1]), TypeError, "Tensor"),
        (lambda: softmax_cross_entropy(Tensor(np.ones(3)), [0, 1, 2]), ValueError, "2-D"),
    ],
)
def test_bad_input_is_named(expr, error, match):
    with pytest.raises(error, match=match):
        expr()


def test_a_new_op_through_node():
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]))
    cube = node(x.data**3, (x,), lambda g: (3 * x.data**2 * g,), "cube")
    assert cube.op == "cube" and cube.parents == (x,)
    check_all_inputs(
        lambda t: (node(t.data**3, (t,), lambda g: (3 * t.data**2 * g,)) * t).sum(), x.data
    )


@pytest.mark.parametrize(
    ("vjp", "match"),
    [
        (lambda g: (g, g), "2 gradients for 1 inputs"),
        (lambda g: (np.ones(5),), r"shape \(5,\) for an input of shape \(2,\)"),
    ],
)
def test_a_wrong_vjp_is_named(vjp, match):
    x = Tensor(np.ones(2))
    with pytest.raises(ValueError, match=match):
        node(x.data, (x,), vjp, "bad").sum().backward()


def test_node_checks_its_arguments():
    with pytest.raises(TypeError, match="parents"):
        node(np.ones(2), [Tensor(1.0)], lambda g: (g,))
    with pytest.raises(TypeError, match="vjp"):
        node(np.ones(2), (Tensor(1.0),), None)
