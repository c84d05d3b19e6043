"""Bad input across the public API: a named error, never a deep traceback, never garbage.

One table, one test. Each row is a callable, its arguments, the exception it must
raise and a pattern its message must contain: the pattern names the argument and
the offending value (or shape), so a message such as numpy's "matmul: Input operand
1 has a mismatch" cannot pass. The test also checks that no array argument was
changed in place on the way to the error.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import mlmath
from mlmath import (
    BatchNorm2D,
    CNNClassifier,
    GlobalAvgPool2D,
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    NotFittedError,
    Residual,
    Ridge,
    binary_cross_entropy_with_logits,
    conv,
    critical_learning_rate,
    cross_val_score,
    effective_degrees_of_freedom,
    exercises,
    gradcheck,
    gradient_descent,
    kfold_indices,
    layers,
    log_loss,
    log_sigmoid,
    log_softmax,
    logistic_cost,
    logistic_gradient,
    logistic_hessian,
    mean_squared_error,
    minibatch_gradient_descent,
    mse_critical_learning_rate,
    mse_gradient,
    mse_hessian,
    mse_loss,
    network,
    numerical_gradient,
    ols,
    optim,
    r2_score,
    random_shift,
    relative_error,
    shrinkage_factors,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    standard_errors,
)
from mlmath.cnn import AvgPool2D, Conv2D, Flatten, MaxPool2D

rng = np.random.default_rng(0)
X = rng.normal(size=(6, 3))  # a small design matrix
y = rng.normal(size=6)  # regression targets
y01 = np.array([0, 1, 0, 1, 0, 1])  # binary labels
x4 = rng.normal(size=(2, 1, 4, 4))  # two 4x4 one-channel images
w4 = rng.normal(size=(2, 1, 3, 3))  # two 3x3 filters
b2 = np.zeros(2)
conv_out, conv_cache = conv.conv2d_forward(x4, w4, b2)
max_out, max_cache = conv.maxpool2d_forward(x4)
avg_out, avg_cache = conv.avgpool2d_forward(x4)
Z_aff, aff_cache = layers.affine_forward(X, np.ones((3, 2)), np.zeros(2))
A_relu, relu_cache = layers.relu_forward(Z_aff)


def square(w):
    return float(np.sum(w * w))


def double(w):
    return 2 * w


ROWS = []


def row(what, func, *args, error, match, **kwargs):
    ROWS.append(pytest.param(func, args, kwargs, error, match, id=what))


# --------------------------------------------------------------------------- functional
# fmt: off
row("sigmoid None", sigmoid, None,
    error=TypeError, match=r"z must be an array of numbers, got None")
row("sigmoid complex", sigmoid, np.array([1 + 2j]),
    error=TypeError, match=r"z must hold real .*complex")
row("sigmoid string", sigmoid, "abc", error=TypeError, match=r"z must be .*got the string 'abc'")
row("sigmoid empty", sigmoid, np.array([]), error=ValueError, match=r"z is empty \(shape \(0,\)\)")
row("sigmoid NaN", sigmoid, [0.0, np.nan],
    error=ValueError, match=r"z contains 1 NaN .*index \(1,\)")
row("log_sigmoid None", log_sigmoid, None, error=TypeError, match=r"z must be .*got None")
row("log_sigmoid complex", log_sigmoid, [1j], error=TypeError, match=r"z must hold real .*complex")
row("softmax None", softmax, None,
    error=TypeError, match=r"Z must be an array of numbers, got None")
row("softmax two +inf", softmax, [[np.inf, np.inf]],
    error=ValueError, match=r"Z row 0 has 2 .*\+inf")
row("softmax row of -inf", softmax, [[0.0, 1.0], [-np.inf, -np.inf]],
    error=ValueError, match=r"Z row 1 is -inf in all its 2 entries")
row("softmax scalar", softmax, 3.0, error=ValueError, match=r"Z must be 1-D or 2-D.*scalar 3.0")
row("softmax strings", softmax, [["a", "b"]],
    error=TypeError, match=r"Z must hold numbers.*\['a', 'b'\]")
row("log_softmax complex", log_softmax, [[1j, 0]],
    error=TypeError, match=r"Z must hold real.*complex")
row("log_softmax empty", log_softmax, np.zeros((0, 3)),
    error=ValueError, match=r"Z is empty \(shape \(0, 3\)\)")
row("log_softmax NaN", log_softmax, [[np.nan, 0.0]],
    error=ValueError, match=r"Z contains 1 NaN.*\(0, 0\)")

# --------------------------------------------------------------------------- metrics and OLS
row("r2_score strings", r2_score, ["1", "2"], ["1", "2"],
    error=TypeError, match=r"y must hold numbers, but it holds strings .*\['1', '2'\]")
row("mse strings", mean_squared_error, ["1", "2"], ["1", "2"],
    error=TypeError, match=r"y must hold numbers, but it holds strings")
row("r2_score lengths", r2_score, [1.0, 2.0, 3.0], [1.0, 2.0],
    error=ValueError, match=r"y has 3 rows but y_hat has 2")
row("r2_score NaN", r2_score, [1.0, 2.0], [1.0, np.nan],
    error=ValueError, match=r"y_hat contains 1 NaN")
row("mse None", mean_squared_error, None, [1.0], error=TypeError, match=r"y must be .*got None")
row("ols strings", ols, [["a"]], [1.0], error=TypeError, match=r"X must hold numbers.*\['a'\]")
row("ols method", ols, X, y, method="lu",
    error=ValueError, match=r"method must be one of .*got 'lu'")
row("ols lengths", ols, X, y[:5], error=ValueError, match=r"X has 6 rows but y has 5")

# --------------------------------------------------------------------------- logistic losses
row("log_loss p > 1", log_loss, [0, 1], [0.5, 1.5],
    error=ValueError, match=r"p must lie in \[0, 1\].*index 1 \(value 1.5\)")
row("bce strings", binary_cross_entropy_with_logits, [0, 1], ["a", "b"],
    error=TypeError, match=r"z must hold numbers.*\['a', 'b'\]")
row("bce lengths", binary_cross_entropy_with_logits, [0, 1], [0.1],
    error=ValueError, match=r"y has 2 rows but z has 1")
row("sce float labels", softmax_cross_entropy, np.zeros((2, 3)), [0.5, 1.0],
    error=TypeError, match=r"y_index must hold integer class indices 0..2, got dtype float64")
row("sce label range", softmax_cross_entropy, np.zeros((2, 3)), [0, 3],
    error=ValueError, match=r"y_index must lie in 0..2 .* holds \[3\]")
row("logistic_cost theta", logistic_cost, np.zeros(2), X, y01,
    error=ValueError, match=r"theta has 2 entries but X has 3 columns, so theta needs 4")
row("logistic_cost C = 0", logistic_cost, np.zeros(4), X, y01, C=0.0,
    error=ValueError, match=r"C must be > 0.0, got 0.0")
row("logistic_gradient y = 2", logistic_gradient, np.zeros(4), X, 2 * y01,
    error=ValueError, match=r"y must lie in \[0, 1\].*value 2.0")
row("logistic_hessian string", logistic_hessian, np.zeros(4), "X",
    error=TypeError, match=r"X must be an array of numbers, got the string 'X'")

# --------------------------------------------------------------------------- optim
row("mse_loss None", mse_loss, None, X, y, error=TypeError, match=r"w must be .*got None")
row("mse_loss width", mse_loss, np.ones(4), X, y,
    error=ValueError, match=r"X of shape \(6, 3\) and w of shape \(4,\)")
row("mse_gradient y", mse_gradient, np.ones(3), X, np.ones(5),
    error=ValueError, match=r"y has shape \(5,\), but X of shape \(6, 3\)")
row("mse_hessian string", mse_hessian, "abc",
    error=TypeError, match=r"X must be .*the string 'abc'")
row("critical H not square", critical_learning_rate, np.ones((2, 3)),
    error=ValueError, match=r"H must be a square matrix, got shape \(2, 3\)")
row("critical H NaN", critical_learning_rate, [[np.nan]],
    error=ValueError, match=r"H contains 1 NaN")
row("mse critical strings", mse_critical_learning_rate, [["a"]],
    error=TypeError, match=r"X must hold numbers.*\['a'\]")
row("gd grad not callable", gradient_descent, 3, np.zeros(2), learning_rate=0.1,
    error=TypeError, match=r"grad must be a function, got int")
row("gd w0 None", gradient_descent, double, None, learning_rate=0.1,
    error=TypeError, match=r"w0 must be an array of numbers, got None")
row("gd learning_rate 0", gradient_descent, double, np.ones(2), learning_rate=0.0,
    error=ValueError, match=r"learning_rate must be > 0.0, got 0.0")
row("gd learning_rate inf", gradient_descent, double, np.ones(2), learning_rate=math.inf,
    error=ValueError, match=r"learning_rate must be a finite positive number, got inf")
row("gd momentum 1", gradient_descent, double, np.ones(2), learning_rate=0.1, momentum=1.0,
    error=ValueError, match=r"momentum must be < 1.0, got 1.0")
row("gd loss not scalar", gradient_descent, double, np.ones(2), learning_rate=0.1, loss=double,
    error=ValueError, match=r"loss must return a scalar, got an array of shape \(2,\)")
row("gd gradient shape", gradient_descent, lambda w: np.ones(3), np.ones(2), learning_rate=0.1,
    error=ValueError, match=r"the gradient has shape \(3,\) but w0 has shape \(2,\)")
row("mini-batch batch_size 0", minibatch_gradient_descent, mse_gradient, np.zeros(3), X, y,
    learning_rate=0.1, batch_size=0,
    error=ValueError, match=r"batch_size must be >= 1, got 0")
row("mini-batch batch_size > N", minibatch_gradient_descent, mse_gradient, np.zeros(3), X, y,
    learning_rate=0.1, batch_size=7,
    error=ValueError, match=r"batch_size must be between 1 and the number of samples N=6, got 7")
row("mini-batch w0", minibatch_gradient_descent, mse_gradient, np.zeros(4), X, y, learning_rate=0.1,
    batch_size=2,
    error=ValueError, match=r"w0 has shape \(4,\) but X has 3 columns")
row("mini-batch shuffle", minibatch_gradient_descent, mse_gradient, np.zeros(3), X, y,
    learning_rate=0.1, batch_size=2, shuffle="yes",
    error=TypeError, match=r"shuffle must be True or False, got 'yes'")

# --------------------------------------------------------------------------- gradcheck
row("gradcheck f", gradcheck, 3, double, np.ones(2),
    error=TypeError, match=r"f must be a function, got int: 3")
row("gradcheck x float32", gradcheck, square, double, np.ones(2, dtype=np.float32),
    error=ValueError, match=r"x is float32; gradcheck runs in float64")
row("gradcheck f float32", gradcheck, lambda w: np.float32(square(w)), double, np.ones(2),
    error=ValueError, match=r"f\(x\) is float32; gradcheck runs in float64")
row("gradcheck x None", gradcheck, square, double, None,
    error=TypeError, match=r"x must be .*got None")
row("gradcheck grad shape", gradcheck, square, lambda w: np.ones(3), np.ones(2),
    error=ValueError, match=r"the analytic gradient has shape \(3,\) but x has shape \(2,\)")
row("numerical_gradient h", numerical_gradient, square, np.ones(2), h=0.0,
    error=ValueError, match=r"h must be > 0.0, got 0.0")
row("numerical_gradient array f", numerical_gradient, double, np.ones(2),
    error=ValueError, match=r"f\(x\) returned an array of shape \(2,\); pass dout=")
row("numerical_gradient dout", numerical_gradient, double, np.ones(2), dout=np.ones(3),
    error=ValueError, match=r"f\(x\) has shape \(2,\) but dout has shape \(3,\)")
row("relative_error strings", relative_error, "a", "b",
    error=TypeError, match=r"a must be .*the string 'a'")
row("relative_error shapes", relative_error, np.ones(2), np.ones(3),
    error=ValueError, match=r"cannot compare arrays of shapes \(2,\) and \(3,\)")

# --------------------------------------------------------------------------- convolution
row("conv_output_size window", conv.conv_output_size, 5, 7,
    error=ValueError, match=r"the window k=7 is longer than the padded input .* = 5")
row("conv_output_size stride 0", conv.conv_output_size, 5, 3, stride=0,
    error=ValueError, match=r"stride must be a positive integer, got 0")
row("conv_output_size padding", conv.conv_output_size, 5, 3, padding=-1,
    error=ValueError, match=r"padding must be a non-negative integer, got -1")
row("conv_output_size float", conv.conv_output_size, 5.5, 3,
    error=TypeError, match=r"n must be an integer, got 5.5")
row("conv2d channels", conv.conv2d_forward, x4, np.ones((2, 3, 3, 3)), b2,
    error=ValueError, match=r"channel mismatch: x has shape \(2, 1, 4, 4\) with C=1.*C=3")
row("conv2d bias", conv.conv2d_forward, x4, w4, np.zeros(3),
    error=ValueError, match=r"b has shape \(3,\) but w has shape \(2, 1, 3, 3\): b needs F=2")
row("conv2d stride 0", conv.conv2d_forward, x4, w4, b2, stride=0,
    error=ValueError, match=r"stride must be a positive integer, got 0")
row("conv2d 3-D x", conv.conv2d_forward, x4[0], w4, b2,
    error=ValueError,
    match=r"x must be 4-D with shape \(N, C, H, W\), but it has shape \(1, 4, 4\)")
row("conv2d_naive string", conv.conv2d_naive, "x", w4, b2,
    error=TypeError, match=r"x must be .*the string 'x'")
row("conv2d_backward None", conv.conv2d_backward, conv_out, None,
    error=TypeError, match=r"cache must be the cache returned by conv2d_forward .*got None")
row("conv2d_backward pool cache", conv.conv2d_backward, conv_out, max_cache,
    error=TypeError, match=r"cache must be .*conv2d_forward .*got the cache of maxpool2d_forward")
row("conv2d_backward dout", conv.conv2d_backward, conv_out[:1], conv_cache,
    error=ValueError,
    match=r"dout has shape \(1, 2, 2, 2\) but the forward output had shape \(2, 2, 2, 2\)")
row("maxpool window", conv.maxpool2d_forward, x4, size=5,
    error=ValueError, match=r"a 5x5 window is larger than the 4x4 images")
row("maxpool size 0", conv.maxpool2d_forward, x4, size=0,
    error=ValueError, match=r"size must be a positive integer, got 0")
row("maxpool_backward avg cache", conv.maxpool2d_backward, max_out, avg_cache,
    error=TypeError,
    match=r"cache must be .*maxpool2d_forward .*got the cache of avgpool2d_forward")
row("avgpool None", conv.avgpool2d_forward, None, error=TypeError, match=r"x must be .*got None")
row("avgpool_backward max cache", conv.avgpool2d_backward, avg_out, max_cache,
    error=TypeError,
    match=r"cache must be .*avgpool2d_forward .*got the cache of maxpool2d_forward")
row("im2col HH 0", conv.im2col, x4, 0, 3, error=ValueError, match=r"HH must be >= 1, got 0")
row("col2im x_shape", conv.col2im, np.ones((8, 9)), (2, 1), 3, 3,
    error=ValueError, match=r"x_shape must be the shape \(N, C, H, W\).*got \(2, 1\)")
row("col2im x_shape float", conv.col2im, np.ones((8, 9)), (2, 1, 4.0, 4), 3, 3,
    error=ValueError, match=r"x_shape .*four positive integers, got \(2, 1, 4.0, 4\)")
row("col2im dcols", conv.col2im, np.ones((8, 8)), (2, 1, 4, 4), 3, 3,
    error=ValueError, match=r"dcols has shape \(8, 8\) but im2col of x with shape \(2, 1, 4, 4\)")
row("col2im window", conv.col2im, np.ones((1, 25)), (1, 1, 3, 3), 5, 5,
    error=ValueError, match=r"a 5x5 window does not fit in the images of x_shape \(1, 1, 3, 3\)")

# --------------------------------------------------------------------------- layers
row("affine width", layers.affine_forward, np.ones((2, 5)), np.ones((4, 3)), np.zeros(3),
    error=ValueError, match=r"X has shape \(2, 5\) but W has shape \(4, 3\)")
row("affine bias", layers.affine_forward, np.ones((2, 4)), np.ones((4, 3)), np.zeros(2),
    error=ValueError, match=r"got W of shape \(4, 3\) and b of shape \(2,\)")
row("affine_backward None", layers.affine_backward, Z_aff, None,
    error=TypeError, match=r"cache must be the cache returned by affine_forward .*got None")
row("affine_backward dZ", layers.affine_backward, Z_aff[:, :1], aff_cache,
    error=ValueError,
    match=r"dZ has shape \(6, 1\) but the forward output \(Z\) had shape \(6, 2\)")
row("relu string", layers.relu_forward, "abc",
    error=TypeError, match=r"Z must be .*the string 'abc'")
row("relu string array", layers.relu_forward, np.array(["a"]),
    error=TypeError, match=r"Z must hold numbers, but it holds strings")
row("sigmoid_forward None", layers.sigmoid_forward, None,
    error=TypeError, match=r"Z must be .*None")
row("tanh_backward shape", layers.tanh_backward, np.ones(3), np.ones(2),
    error=ValueError, match=r"dA has shape \(3,\) but the forward output \(A\) had shape \(2,\)")
row("relu_backward None", layers.relu_backward, A_relu, None,
    error=TypeError, match=r"cache must be the cache returned by relu_forward .*got None")
row("activation name", layers.activation_forward, Z_aff, "softplus",
    error=ValueError, match=r"name must be one of 'relu', 'sigmoid', 'tanh'; got 'softplus'")
row("init_weights n_in", layers.init_weights, 0, 3, rng=np.random.default_rng(0),
    error=ValueError, match=r"n_in must be >= 1, got 0")
row("init_weights name", layers.init_weights, 2, 3, init="glorot", rng=np.random.default_rng(0),
    error=ValueError, match=r"init must be one of 'he', 'xavier'; got 'glorot'")

# --------------------------------------------------------------------------- network and CNN layers
row("Dense n_in", network.Dense, 0, 3, error=ValueError, match=r"n_in must be >= 1, got 0")
row("Dense.forward width", network.Dense(4, 3, rng=0).forward, np.ones((2, 5)),
    error=ValueError, match=r"X has shape \(2, 5\) but W has shape \(4, 3\).*D = 4 columns")
row("Dense.forward string", network.Dense(4, 3, rng=0).forward, "abc",
    error=TypeError, match=r"X must be .*the string 'abc'")
row("Dense.backward first", network.Dense(4, 3, rng=0).backward, np.ones((2, 3)),
    error=RuntimeError, match=r"Dense\(4, 3\).backward was called before forward")
row("Activation name", network.Activation, "softmax",
    error=ValueError, match=r"activation must be one of .*got 'softmax'")
row("Activation.forward string", network.Activation("tanh").forward, "abc",
    error=TypeError, match=r"Z must be .*the string 'abc'")
row("Sequential item", network.Sequential, [3], error=TypeError, match=r"layer 0 is int, not a")
row("SGD learning_rate", optim.SGD, [], 0.0,
    error=ValueError, match=r"learning_rate must be > 0.0, got 0.0")
row("Adam beta1", optim.Adam, [], 0.1, beta1=1.0,
    error=ValueError, match=r"beta1 must be < 1.0, got 1.0")
row("output_loss string", network.output_loss, "Z", y01,
    error=TypeError, match=r"Z must be .*string 'Z'")
row("output_proba 1-D", network.output_proba, np.ones(3),
    error=ValueError, match=r"Z must be 2-D.*shape \(3,\)")
row("loss_and_gradients X", network.loss_and_gradients,
    network.Sequential([network.Dense(3, 2, rng=0)]), "X", y01,
    error=TypeError, match=r"X must be .*the string 'X'")
row("Conv2D.forward channels", Conv2D(3, 2, rng=0).forward, x4,
    error=ValueError, match=r"channel mismatch: x has shape \(2, 1, 4, 4\) with C=1")
row("Conv2D.forward None", Conv2D(1, 2, rng=0).forward, None,
    error=TypeError, match=r"X must be .*None")
row("Conv2D kernel 0", Conv2D, 1, 2, kernel_size=0,
    error=ValueError, match=r"kernel_size must be >= 1, got 0")
row("MaxPool2D.forward small", MaxPool2D(5).forward, x4,
    error=ValueError,
    match=r"a 5x5 window is larger than the 4x4 images of x with shape \(2, 1, 4, 4\)")
row("MaxPool2D size 0", MaxPool2D, 0, error=ValueError, match=r"size must be >= 1, got 0")
row("AvgPool2D stride 0", AvgPool2D, 2, stride=0,
    error=ValueError, match=r"stride must be a positive integer, got 0")
row("Flatten.forward string", Flatten().forward, "abc", error=TypeError, match=r"X must be .*'abc'")
row("Flatten.forward 1-D", Flatten().forward, np.ones(3),
    error=ValueError, match=r"Flatten needs X of shape \(N, ...\).*\(3,\)")

# --------------------------------------------------------------------------- Chapter 5b blocks
row("Residual shape-changing block", Residual(network.Dense(3, 4, rng=0)).forward, X,
    error=ValueError, match=r"block maps X of shape \(6, 3\) to shape \(6, 4\)")
row("Residual of a list", Residual, [network.Dense(3, 3, rng=0)],
    error=TypeError, match=r"block must be a mlmath.network.Sequential or Layer, got list")
row("Residual.forward None", Residual(network.Dense(3, 3, rng=0)).forward, None,
    error=TypeError, match=r"X must be .*None")
row("BatchNorm2D.forward channels", BatchNorm2D(3).forward, x4,
    error=ValueError, match=r"channel mismatch: X has shape \(2, 1, 4, 4\) with C=1.*3 channels")
row("BatchNorm2D.forward 2-D", BatchNorm2D(3).forward, X,
    error=ValueError, match=r"BatchNorm2D\(3\) takes images .*X has shape \(6, 3\) \(2-D\)")
row("BatchNorm2D n_channels", BatchNorm2D, 2.5,
    error=TypeError, match=r"n_channels must be an integer, got 2.5")
row("BatchNorm2D momentum", BatchNorm2D, 2, momentum=0.0,
    error=ValueError, match=r"momentum must be > 0.0, got 0.0")
row("GlobalAvgPool2D.forward 2-D", GlobalAvgPool2D().forward, X,
    error=ValueError, match=r"GlobalAvgPool2D takes images .*X has shape \(6, 3\) \(2-D\)")
row("GlobalAvgPool2D.forward string", GlobalAvgPool2D().forward, "abc",
    error=TypeError, match=r"X must be .*'abc'")
row("random_shift float max_shift", random_shift, x4, 1.5, rng=0,
    error=TypeError, match=r"max_shift must be an integer, got 1.5")
row("random_shift negative max_shift", random_shift, x4, -1, rng=0,
    error=ValueError, match=r"max_shift must be >= 0, got -1")
row("random_shift 2-D", random_shift, X, rng=0,
    error=ValueError, match=r"X must be 4-D.*\(6, 3\)")
row("random_shift rng", random_shift, x4, rng="seed",
    error=TypeError, match=r"random_state must be None, a non-negative integer seed.*'seed'")
row("CNNClassifier.fit shift_augment", CNNClassifier(shift_augment=-1).fit, x4, [0, 1],
    error=ValueError, match=r"shift_augment must be >= 0, got -1")

# --------------------------------------------------------------------------- exercise checkers
row("check_function reference", exercises.check_function, double, "ref", [(np.ones(2),)],
    error=TypeError, match=r"reference must be a function, got str: 'ref'")
row("check_function cases None", exercises.check_function, double, double, None,
    error=TypeError, match=r"cases must be a list of cases, got None")
row("check_function no cases", exercises.check_function, double, double, [],
    error=ValueError, match=r"cases is empty")
row("check_function case", exercises.check_function, double, double, [np.ones(2)],
    error=TypeError, match=r"cases\[0\] must be a tuple of arguments.*array of shape \(2,\)")
row("check_function rtol", exercises.check_function, double, double, [(np.ones(2),)], rtol=-1.0,
    error=ValueError, match=r"rtol must be >= 0.0, got -1.0")
row("check_gradient f", exercises.check_gradient, double, "f", [np.ones(2)],
    error=TypeError, match=r"f must be a function, got str: 'f'")
row("check_gradient tol", exercises.check_gradient, double, square, [np.ones(2)], tol=-1.0,
    error=ValueError, match=r"tol must be >= 0.0, got -1.0")
row("check_gradient point", exercises.check_gradient, double, square, ["ab"],
    error=TypeError, match=r"points\[0\] must be .*the string 'ab'")
row("check_value name", exercises.check_value, 1.0, 1.0, name=3,
    error=TypeError, match=r"name must be a string naming the answer, got 3")
row("check_value expected", exercises.check_value, 1.0, "abc", name="x",
    error=TypeError, match=r"expected must be .*the string 'abc'")

# --------------------------------------------------------------------------- estimators
# Only what holds on this branch; the estimators' own settings and layouts are tested
# with their modules.
row("LinearRegression.fit strings", LinearRegression().fit, [["a"]], [1.0],
    error=TypeError, match=r"X must hold numbers, but it holds strings .*\['a'\]")
row("LinearRegression.predict first", LinearRegression().predict, X,
    error=NotFittedError, match=r"This LinearRegression is not fitted yet")
row("LogisticRegression.fit strings", LogisticRegression().fit, [["a"] * 3] * 6, y01,
    error=TypeError, match=r"X must hold numbers, but it holds strings")
row("LogisticRegression.fit C", LogisticRegression(C=0.0).fit, X, y01,
    error=ValueError, match=r"C must be > 0.0, got 0.0")
row("MLPClassifier.fit None", MLPClassifier().fit, None, y01,
    error=TypeError, match=r"X must be an array of numbers, got None")
row("MLPClassifier.fit one class", MLPClassifier().fit, X, [1] * 6,
    error=ValueError, match=r"y has 1 class \(\[1\]\)")
row("MLPClassifier.predict first", MLPClassifier().predict, X,
    error=NotFittedError, match=r"This MLPClassifier is not fitted yet")
row("CNNClassifier.predict first", CNNClassifier().predict, x4,
    error=NotFittedError, match=r"This CNNClassifier is not fitted yet")
row("MLPClassifier.fit dtype", MLPClassifier(dtype="float16").fit, X, y01,
    error=ValueError, match=r"dtype must be np.float32 or np.float64 .*got 'float16'")
row("CNNClassifier.fit dtype", CNNClassifier(dtype=int).fit, x4, y01[:2],
    error=ValueError, match=r"dtype must be np.float32 or np.float64 .*got <class 'int'>")
row("MLPClassifier.fit beyond float32", MLPClassifier(dtype=np.float32).fit, X * 1e300, y01,
    error=ValueError, match=r"X holds 18 value\(s\) too large for float32 .*dtype=np.float64")
row("Ridge.fit alpha", Ridge(alpha=-1.0).fit, X, y,
    error=ValueError, match=r"alpha must be >= 0.0, got -1.0")
row("Ridge.fit solver", Ridge(solver="lu").fit, X, y,
    error=ValueError, match=r"solver must be one of 'svd', 'qr'; got 'lu'")
row("Ridge.fit rows", Ridge().fit, X, y[:5],
    error=ValueError, match=r"X has 6 rows but y has 5")
row("Ridge.predict first", Ridge().predict, X,
    error=NotFittedError, match=r"This Ridge is not fitted yet")

# --------------------------------------------------------------------------- statistics
row("effective_degrees_of_freedom alpha", effective_degrees_of_freedom, X, -1.0,
    error=ValueError, match=r"alpha must be >= 0.0, got -1.0")
row("effective_degrees_of_freedom None", effective_degrees_of_freedom, None, 1.0,
    error=TypeError, match=r"X must be an array of numbers, got None")
row("shrinkage_factors string", shrinkage_factors, "abc", 1.0,
    error=TypeError, match=r"s must be an array of numbers, got the string 'abc'")
row("shrinkage_factors NaN alpha", shrinkage_factors, np.ones(3), np.nan,
    error=ValueError, match=r"alpha must be a number, got NaN")
row("standard_errors collinear", standard_errors, np.column_stack([X[:, 0], X[:, 0]]), y,
    error=ValueError, match=r"rank deficient \(rank 2 < 3 coefficients\)")
row("standard_errors too few rows", standard_errors, X[:3], y[:3],
    error=ValueError, match=r"X has 3 rows and the model 4 coefficients")
row("kfold_indices k", kfold_indices, 5, 1, error=ValueError, match=r"k must be >= 2, got 1")
row("kfold_indices k > N", kfold_indices, 5, 6,
    error=ValueError, match=r"k = 6 folds need at least 6 rows, but N = 5")
row("cross_val_score estimator", cross_val_score, "est", X, y,
    error=TypeError, match=r"estimator must have a fit\(X, y\) method, got 'est'")
row("cross_val_score folds", cross_val_score, Ridge(), X, y, folds=10,
    error=ValueError, match=r"k = 10 folds need at least 10 rows, but N = 6")
# fmt: on


def _snapshot(value):
    """A copy of the arrays (and containers of arrays) among the arguments."""
    if isinstance(value, np.ndarray | list | tuple | dict):
        return copy.deepcopy(value)
    return None  # functions, estimators, strings: nothing to compare


def _unchanged(before, after) -> bool:
    if before is None:
        return True
    if isinstance(before, np.ndarray):
        nan = before.dtype.kind in "fc"
        return before.dtype == after.dtype and np.array_equal(before, after, equal_nan=nan)
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(
            _unchanged(before[k], after[k]) for k in before
        )
    return len(before) == len(after) and all(
        _unchanged(_snapshot(b), a) for b, a in zip(before, after, strict=True)
    )


@pytest.mark.parametrize(("func", "args", "kwargs", "error", "match"), ROWS)
def test_bad_input_gets_a_named_error(func, args, kwargs, error, match):
    before = [_snapshot(a) for a in args], {k: _snapshot(v) for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        func(*args, **kwargs)
    assert all(_unchanged(b, a) for b, a in zip(before[0], args, strict=True))
    assert all(_unchanged(before[1][k], v) for k, v in kwargs.items())


def test_the_table_is_large_and_spans_the_public_api():
    assert len(ROWS) >= 60
    covered = {getattr(p.values[0], "__name__", "") for p in ROWS}
    # Errors and warnings are what the rows expect, not callables that take input.
    top_level = {
        name
        for name in mlmath.__all__
        if callable(getattr(mlmath, name))
        and not (
            isinstance(getattr(mlmath, name), type)
            and issubclass(getattr(mlmath, name), Warning | Exception)
        )
    } - {"OptimizeResult"}
    # Methods count for their class (LinearRegression().fit covers LinearRegression).
    owners = {
        getattr(getattr(p.values[0], "__self__", None), "__class__", type(None)).__name__
        for p in ROWS
    }
    missing = top_level - covered - owners
    assert not missing, f"no bad-input row for {sorted(missing)}"
