"""mlmath: the companion package of *The Mathematical Foundations of Machine Learning*.

Every model, loss, gradient and optimiser the book derives is computed here,
in numpy, with names that follow the book's notation (``X, y, y_hat, w, b,
eta``). The numeric core imports only numpy; plotting (:mod:`mlmath.viz`) and
the explorers (:mod:`mlmath.interactive`) need matplotlib and ipywidgets and
are imported on their own.
"""

from .cnn import CNNClassifier
from .exceptions import ConditioningWarning, ConvergenceWarning, DivergenceError, NotFittedError
from .functional import log_sigmoid, log_softmax, sigmoid, softmax
from .gradcheck import gradcheck, numerical_gradient, relative_error
from .linear import LinearRegression, mean_squared_error, ols, r2_score
from .network import MLPClassifier

__version__ = "0.1.0"

__all__ = [
    "CNNClassifier",
    "ConditioningWarning",
    "ConvergenceWarning",
    "DivergenceError",
    "LinearRegression",
    "MLPClassifier",
    "NotFittedError",
    "gradcheck",
    "log_sigmoid",
    "log_softmax",
    "mean_squared_error",
    "numerical_gradient",
    "ols",
    "r2_score",
    "relative_error",
    "sigmoid",
    "softmax",
]
