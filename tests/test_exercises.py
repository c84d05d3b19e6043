"""The exercise checkers: each verdict (not attempted, failed, passed) on real answers."""

import numpy as np
import pytest

from mlmath.exercises import check_function, check_gradient, check_value


def square_ref(x):
    return x**2


def test_function_stub_raising_not_implemented_is_not_attempted():
    def square(x):
        raise NotImplementedError

    report = check_function(square, square_ref, [(np.arange(3.0),)])
    assert report.status == "not attempted" and not report.passed
    assert "square: not attempted yet" in str(report)


def test_function_stub_with_ellipsis_body_is_not_attempted():
    def square(x): ...

    assert check_function(square, square_ref, [(1.0,)]).status == "not attempted"


def test_function_right_answer_passes():
    report = check_function(lambda x: x * x, square_ref, [(np.arange(3.0),), (2.5,)], name="sq")
    assert report.passed
    assert str(report) == "sq: passed, all 2 cases agree."


def test_function_wrong_answer_names_case_expected_and_actual():
    report = check_function(lambda x: 2 * x, square_ref, [(2.0,), (3.0,)], name="sq")
    # 2*2 == 2**2, so the first case passes and the second is the one reported
    assert report.status == "failed"
    msg = str(report)
    assert "case 2 of 2" in msg and "expected 9" in msg and "got      6" in msg


def test_function_wrong_shape_and_exception_are_reported():
    shape = check_function(lambda x: x.sum(), square_ref, [(np.ones(3),)], name="sq")
    assert shape.status == "failed" and "shape ()" in str(shape) and "(3,)" in str(shape)
    boom = check_function(lambda x: 1 / "a", square_ref, [(1.0,)], name="sq")
    assert boom.status == "failed" and "TypeError" in str(boom)


def test_function_nan_answer_fails():
    assert check_function(lambda x: np.nan * x, square_ref, [(1.0,)]).status == "failed"


def test_function_gets_copies_so_in_place_edits_do_not_change_expected():
    def square_in_place(x):
        x **= 2
        return x

    x = np.array([1.0, 2.0, 3.0])
    assert check_function(square_in_place, square_ref, [(x,)]).passed
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_function_needs_cases():
    with pytest.raises(ValueError, match="cases is empty"):
        check_function(square_ref, square_ref, [])


def test_gradient_verdicts():
    def f(x):
        return float(np.sum(np.sin(x)))

    rng = np.random.default_rng(0)
    points = [rng.normal(size=4), rng.normal(size=(2, 3))]

    def stub(x):
        raise NotImplementedError

    assert check_gradient(stub, f, points).status == "not attempted"
    assert check_gradient(np.cos, f, points).passed
    wrong = check_gradient(lambda x: -np.cos(x), f, points, name="grad")
    assert wrong.status == "failed" and "point 1 of 2" in str(wrong)
    assert "relative error" in str(wrong)
    bad_shape = check_gradient(lambda x: np.cos(x).ravel()[:2], f, points)
    assert bad_shape.status == "failed" and "shape" in str(bad_shape)


def test_gradient_with_dout_for_array_valued_function():
    x = np.array([0.3, -1.2])
    up = np.array([2.0, -1.0])
    ok = check_gradient(lambda v: up * 3 * v**2, lambda v: v**3, [x], dout=[up])
    assert ok.passed
    assert check_gradient(lambda v: 3 * v**2, lambda v: v**3, [x], dout=[up]).status == "failed"


def test_value_verdicts():
    assert check_value(None, 2.0, name="eta").status == "not attempted"
    assert check_value(..., 2.0, name="eta").status == "not attempted"
    assert check_value(2.0 + 1e-12, 2.0, name="eta").passed
    wrong = check_value(1.9, 2.0, name="eta")
    assert wrong.status == "failed" and "expected 2" in str(wrong) and "got      1.9" in str(wrong)
    assert check_value("two", 2.0, name="eta").status == "failed"
