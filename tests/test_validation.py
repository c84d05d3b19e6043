"""The shared input checks: every message names the argument and the values."""

from __future__ import annotations

import numpy as np
import pytest

from mlmath import DataConversionWarning, DataTypeError, NotFittedError
from mlmath._validation import (
    check_array,
    check_classification_targets,
    check_is_fitted,
    check_option,
    check_random_state,
    check_sample_weight,
    check_scalar,
    check_X_y,
)


def test_check_array_converts_lists_and_ints_to_float64():
    out = check_array([[1, 2], [3, 4]])
    assert out.dtype == np.float64 and out.shape == (2, 2)


@pytest.mark.parametrize(
    "X", [np.array([["1", "2"]]), [["1", "2"]], np.array([[1.0, "2"]], dtype=object), [b"1"]]
)
def test_check_array_refuses_numbers_written_as_text(X):
    # Not guessed at (scikit-learn refuses them too): r2_score(["1", "2"], ["1", "2"]) was 1.0.
    with pytest.raises(TypeError, match=r"X must hold numbers, but it holds strings .*dtype=float"):
        check_array(X)


def test_check_array_accepts_objects_that_are_numbers():
    np.testing.assert_array_equal(check_array(np.array([[1, 2.5]], dtype=object)), [[1.0, 2.5]])


def test_check_array_allow_inf_still_refuses_nan():
    assert check_array([-np.inf, np.inf], ndim=1, allow_inf=True).tolist() == [-np.inf, np.inf]
    with pytest.raises(ValueError, match=r"z contains 1 NaN value\(s\), the first at index \(1,\)"):
        check_array([0.0, np.nan], name="z", ndim=1, allow_inf=True)


@pytest.mark.parametrize(
    "X, kwargs, error, message",
    [
        (np.ones(3), {}, ValueError, r"X must be 2-D, but it is 1-D with shape \(3,\)"),
        (np.ones((2, 2, 2)), {}, ValueError, r"3-D"),
        (5.0, {}, ValueError, r"got the scalar 5.0"),
        (np.ones((0, 3)), {}, ValueError, r"X is empty \(shape \(0, 3\)\)"),
        (
            np.array([[1.0, np.inf]]),
            {},
            ValueError,
            r"1 infinite value\(s\), the first at index \(0, 1\)",
        ),
        (np.array([[np.nan, np.nan]]), {}, ValueError, r"2 NaN"),
        (np.array([[1 + 1j]]), {}, TypeError, r"complex"),
        (np.array([[object()]]), {}, TypeError, r"non-numeric objects"),
        ("abc", {}, TypeError, r"got the string 'abc'"),
        (np.ones(3), {"name": "w", "ndim": 2}, ValueError, r"^w must be 2-D"),
    ],
)
def test_check_array_errors(X, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_array(X, **kwargs)


def test_check_array_allow_empty_and_nonfinite():
    assert check_array(np.ones((0, 2)), allow_empty=True).shape == (0, 2)
    assert np.isnan(check_array([[np.nan]], allow_nonfinite=True)[0, 0])


def test_check_X_y_names_both_lengths():
    with pytest.raises(ValueError, match=r"X has 100 rows but y has 80"):
        check_X_y(np.ones((100, 2)), np.ones(80))


def test_classification_targets_encode_any_labels():
    classes, y_index = check_classification_targets(["no", "yes", "no", "yes"])
    assert classes.tolist() == ["no", "yes"]
    assert y_index.tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize(
    "y, kwargs, message",
    [
        ([1, 1, 1], {}, r"y has 1 class \(\[1\]\).*at least 2"),
        ([0, 1, 2], {"max_classes": 2}, r"y has 3 classes .*at most 2"),
        ([0.5, 1.0], {}, r"continuous values"),
        ([0.0, np.nan], {}, r"NaN or infinite"),
    ],
)
def test_classification_target_errors(y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_classification_targets(np.array(y), **kwargs)


def test_column_of_labels_is_flattened_with_a_warning():
    with pytest.warns(DataConversionWarning, match=r"y of shape \(3, 1\) is read as 3 labels"):
        classes, y_index = check_classification_targets(np.array([[2], [1], [2]]))
    assert classes.tolist() == [1, 2] and y_index.tolist() == [1, 0, 1]


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[1 + 1j]]), ValueError, r"Complex data not supported"),
        (None, TypeError, r"X must be an array of numbers, got None"),
        (np.ones((4, 0)), ValueError, r"X has 0 feature\(s\) \(shape=\(4, 0\)\)"),
        (np.ones(3), ValueError, r"Reshape your data: X.reshape\(-1, 1\)"),
        (np.array([[{"a": 1}]], dtype=object), TypeError, r"argument must be a string or"),
    ],
)
def test_check_array_messages_scikit_learn_looks_for(X, error, message):
    # scikit-learn's estimator checks match these phrases; mlmath's own wording surrounds them.
    with pytest.raises(error, match=message):
        check_array(X)


def test_sparse_matrices_are_refused_by_name():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match=r"X is a sparse matrix \(csr_matrix\).*X.toarray\(\)"):
        check_array(sparse.csr_matrix(np.eye(2)))


def test_missing_y_is_both_a_type_and_a_value_error():
    with pytest.raises(DataTypeError, match="requires y to be passed, but the target y is None"):
        check_X_y(np.ones((2, 1)), None)
    assert issubclass(DataTypeError, TypeError) and issubclass(DataTypeError, ValueError)


@pytest.mark.parametrize(
    "value, kwargs, error, message",
    [
        (-0.1, {"low": 0.0, "include_low": False}, ValueError, r"eta must be > 0.0, got -0.1"),
        (0.0, {"low": 0.0, "include_low": False}, ValueError, r"eta must be > 0.0, got 0.0"),
        (float("nan"), {}, ValueError, r"eta must be a number, got NaN"),
        (2.0, {"high": 1.0}, ValueError, r"eta must be <= 1.0, got 2.0"),
        ("0.1", {}, TypeError, r"eta must be a real number, got '0.1'"),
        (True, {}, TypeError, r"real number"),
        (3.0, {"kind": int}, TypeError, r"eta must be an integer, got 3.0"),
        (float("inf"), {"finite": True}, ValueError, r"eta must be a finite number, got inf"),
    ],
)
def test_check_scalar_errors(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_scalar(value, "eta", **kwargs)


def test_check_scalar_returns_python_numbers():
    assert check_scalar(np.float32(0.5), "eta") == 0.5
    assert check_scalar(np.int64(3), "n", kind=int) == 3


def test_check_option():
    assert check_option("qr", "solver", ["qr", "svd"]) == "qr"
    with pytest.raises(ValueError, match=r"solver must be one of 'qr', 'svd'; got 'lu'"):
        check_option("lu", "solver", ["qr", "svd"])
    with pytest.raises(ValueError, match=r"got \['qr'\]"):
        check_option(["qr"], "solver", ["qr", "svd"])


def test_check_is_fitted():
    class Model:
        pass

    with pytest.raises(NotFittedError, match=r"This Model is not fitted yet"):
        check_is_fitted(Model(), "coef_")
    Model._fitted_attributes = ("coef_", "classes_")  # what attributes=None reads
    model = Model()
    model.coef_ = 1.0
    with pytest.raises(NotFittedError, match=r"it has no classes_ yet"):
        check_is_fitted(model)  # all of them are needed
    model.classes_ = [0, 1]
    check_is_fitted(model)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


def test_check_random_state_is_reproducible():
    a = check_random_state(3).normal(size=4)
    b = check_random_state(3).normal(size=4)
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    assert check_random_state(rng) is rng
    # A legacy RandomState (scikit-learn's) becomes a Generator: the same state gives the
    # same numbers, and the RandomState moves on, so a second draw differs.
    legacy = np.random.RandomState(0)
    first = check_random_state(legacy).normal(size=4)
    np.testing.assert_array_equal(
        first, check_random_state(np.random.RandomState(0)).normal(size=4)
    )
    assert not np.array_equal(first, check_random_state(legacy).normal(size=4))
    with pytest.raises(TypeError, match=r"np.random.Generator or a np.random.RandomState"):
        check_random_state("0")
    with pytest.raises(ValueError, match=r"non-negative"):
        check_random_state(-1)


def test_check_sizes():
    from mlmath._validation import check_sizes

    assert check_sizes(64, "hidden", example="(64,)") == (64,)
    assert check_sizes((np.int64(3), 2), "hidden", example="(64,)") == (3, 2)
    assert check_sizes((), "hidden", example="(64,)") == ()
    with pytest.raises(ValueError, match=r"must name at least one convolutional layer"):
        check_sizes((), "filters", example="(16,)", allow_empty=False, item="convolutional layer")
    with pytest.raises(ValueError, match=r"entry 1 is 0 \(in \(4, 0\)\)"):
        check_sizes((4, 0), "hidden", example="(64,)")
    with pytest.raises(TypeError, match=r"such as \(64,\), got '64'"):
        check_sizes("64", "hidden", example="(64,)")


def test_check_sample_weight():
    assert check_sample_weight(None, 3) is None
    sw = check_sample_weight([0, 1, 2], 3)
    assert sw.dtype == np.float64 and sw.tolist() == [0.0, 1.0, 2.0]
    for bad, error, message in [
        ([1, 2], ValueError, "sample_weight has 2 entries but X has 3 rows"),
        ([1, -1, 1], ValueError, r"non-negative, but 1 weight\(s\) are negative, the first at"),
        ([0, 0, 0], ValueError, "sample_weight is zero for all 3 samples"),
        ([1, np.inf, 1], ValueError, "sample_weight contains 1 infinite"),
        ("abc", TypeError, "sample_weight must be an array of numbers"),
    ]:
        with pytest.raises(error, match=message):
            check_sample_weight(bad, 3)
