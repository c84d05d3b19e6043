"""mlmath: the companion package of *The Mathematical Foundations of Machine Learning*.

Every model, loss, gradient and optimiser the book derives is computed here,
in numpy, with names that follow the book's notation (``X, y, y_hat, w, b,
eta``). The numeric core imports only numpy; plotting (:mod:`mlmath.viz`) and
the explorers (:mod:`mlmath.interactive`) need matplotlib and ipywidgets and
are imported on their own.
"""

from .augment import random_shift
from .blocks import BatchNorm2D, GlobalAvgPool2D, Residual
from .cnn import CNNClassifier
from .exceptions import (
    ConditioningWarning,
    ConvergenceWarning,
    DataConversionWarning,
    DataTypeError,
    DivergenceError,
    NotFittedError,
    SeparationWarning,
)
from .functional import log_sigmoid, log_softmax, sigmoid, softmax
from .gradcheck import gradcheck, numerical_gradient, relative_error
from .inference import standard_errors
from .linear import LinearRegression, mean_squared_error, ols, r2_score
from .logistic import (
    LogisticRegression,
    binary_cross_entropy_with_logits,
    log_loss,
    logistic_cost,
    logistic_gradient,
    logistic_hessian,
    softmax_cross_entropy,
)
from .model_selection import cross_val_score, kfold_indices
from .network import MLPClassifier
from .optim import (
    OptimizeResult,
    critical_learning_rate,
    gradient_descent,
    minibatch_gradient_descent,
    mse_critical_learning_rate,
    mse_gradient,
    mse_hessian,
    mse_loss,
)
from .ridge import Ridge, effective_degrees_of_freedom, shrinkage_factors

__version__ = "0.1.0"

__all__ = [
    "BatchNorm2D",
    "CNNClassifier",
    "ConditioningWarning",
    "ConvergenceWarning",
    "DataConversionWarning",
    "DataTypeError",
    "DivergenceError",
    "GlobalAvgPool2D",
    "LinearRegression",
    "LogisticRegression",
    "MLPClassifier",
    "NotFittedError",
    "OptimizeResult",
    "Residual",
    "Ridge",
    "SeparationWarning",
    "binary_cross_entropy_with_logits",
    "critical_learning_rate",
    "cross_val_score",
    "effective_degrees_of_freedom",
    "gradcheck",
    "gradient_descent",
    "kfold_indices",
    "log_loss",
    "log_sigmoid",
    "log_softmax",
    "logistic_cost",
    "logistic_gradient",
    "logistic_hessian",
    "mean_squared_error",
    "minibatch_gradient_descent",
    "mse_critical_learning_rate",
    "mse_gradient",
    "mse_hessian",
    "mse_loss",
    "numerical_gradient",
    "ols",
    "r2_score",
    "random_shift",
    "relative_error",
    "shrinkage_factors",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "standard_errors",
]
