"""Checkers for the book's graded exercises.

A graded exercise gives the reader a stub (a function whose body is
``raise NotImplementedError`` or ``...``) and a cell that calls one of the
checkers below on it. A checker never raises; it returns a :class:`Report`
that prints one of three verdicts:

* **not attempted yet**: the stub still raises ``NotImplementedError`` or
  returns ``None``/``Ellipsis``; the notebook (and the book build) carries on;
* **failed**: the first case on which the answer is wrong, with its inputs,
  the expected and the actual value;
* **passed**: every case agrees within the stated tolerance.

The expected values never come from the exercise's folded solution: they come
from an independent truth, either a reference implementation in :mod:`mlmath`
or centred finite differences (:func:`~mlmath.gradcheck.numerical_gradient`).
The book proves that each checker can fail: a cell removed from the page runs
it on the folded solution (which must pass) and on a plausible wrong answer
(which must be reported).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._validation import check_array, check_callable, check_scalar
from .gradcheck import numerical_gradient, relative_error

__all__ = ["Report", "check_function", "check_gradient", "check_value"]

Status = Literal["not attempted", "failed", "passed"]

_PREVIEW = 6  # entries of an array shown in a failure message


@dataclass(frozen=True)
class Report:
    """The verdict of a checker: ``status`` and a message for the reader.

    ``print(report)`` and the notebook display both show ``message``;
    ``report.passed`` is ``True`` only for a correct answer.
    """

    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


def _format(value: Any) -> str:
    """A short, stable rendering of a value for a message (rounded, truncated)."""
    if value is None:
        return "None"
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    if arr.ndim == 0:
        return f"{float(arr):.6g}"
    flat = arr.ravel()
    shown = ", ".join(f"{float(v):.6g}" for v in flat[:_PREVIEW])
    more = ", ..." if flat.size > _PREVIEW else ""
    return f"array of shape {arr.shape}: [{shown}{more}]"


def _describe_case(args: Sequence[Any]) -> str:
    parts = []
    for a in args:
        arr = np.asarray(a) if not callable(a) else None
        if arr is not None and arr.dtype.kind in "biuf" and arr.ndim > 0:
            parts.append(f"array of shape {arr.shape}")
        else:
            parts.append(_format(a))
    return "(" + ", ".join(parts) + ")"


def _check_author_settings(name: Any, *, required: bool = False, **tolerances: float) -> str | None:
    """The exercise author's settings (not the reader's answer): a name and tolerances."""
    if not (isinstance(name, str) or (name is None and not required)):
        raise TypeError(f"name must be a string naming the answer, got {_format(name)}")
    for key, value in tolerances.items():
        check_scalar(value, key, low=0.0)
    return name


def _check_sequence(items: Any, name: str, item: str) -> Sequence[Any]:
    if not isinstance(items, Sequence | np.ndarray) or isinstance(items, str | bytes):
        raise TypeError(f"{name} must be a list of {item}s, got {_format(items)}")
    if len(items) == 0:
        raise ValueError(f"{name} is empty; a checker needs at least one {item}")
    return items


def _not_attempted(name: str) -> Report:
    return Report(
        "not attempted",
        f"{name}: not attempted yet. Replace the body of the stub with your answer "
        "and run this cell again.",
    )


def _is_stub_result(value: Any) -> bool:
    return value is None or value is Ellipsis


def _call(func: Callable[..., Any], args: Sequence[Any]) -> tuple[str, Any]:
    """Call ``func`` on a deep copy of ``args``: ("ok", value), ("stub", None) or ("error", exc)."""
    try:
        value = func(*copy.deepcopy(tuple(args)))
    except NotImplementedError:
        return "stub", None
    except Exception as exc:  # the reader's code may raise anything; report it, never crash
        return "error", exc
    if _is_stub_result(value):
        return "stub", None
    return "ok", value


def _compare(actual: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """``None`` when ``actual`` matches ``expected``, else what is wrong."""
    try:
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return f"the answer is not numeric ({_format(actual)})"
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return f"the answer has shape {a.shape} but should have shape {e.shape}"
    if not np.all(np.isfinite(a)):
        return "the answer contains NaN or infinite values"
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(a - e))) if a.size else 0.0
        return f"the largest difference is {worst:.3g} (allowed: {atol:g} + {rtol:g} * |expected|)"
    return None


def _grade(
    name: str,
    candidate: Callable[..., Any],
    cases: Sequence[Sequence[Any]],
    *,
    where: Callable[[int, Sequence[Any]], str],
    judge: Callable[[int, Sequence[Any], Any], str | None],
    passed: str,
) -> Report:
    """Run ``candidate`` on each case; the first stub, error or wrong answer decides.

    ``where(i, case)`` names case ``i`` (from 1) in a message, ``judge(i, case, actual)`` says
    what is wrong with an answer (``None`` when it is right).
    """
    for i, case in enumerate(cases, start=1):
        kind, actual = _call(candidate, case)
        if kind == "stub":
            return _not_attempted(name)
        if kind == "error":
            problem = f"it raised {type(actual).__name__}: {actual}"
        else:
            problem = judge(i, case, actual)
        if problem is not None:
            return Report("failed", f"{name} failed {where(i, case)}: {problem}")
    return Report("passed", f"{name}: passed, {passed}.")


def check_function(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Sequence[Sequence[Any]],
    *,
    name: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> Report:
    """Compare ``candidate(*case)`` with ``reference(*case)`` on every case.

    Parameters
    ----------
    candidate : callable
        The reader's function.
    reference : callable
        An independent implementation of the same quantity (from :mod:`mlmath`
        or written in the chapter), never the exercise's folded solution.
    cases : sequence of argument tuples
        Each is passed as ``candidate(*case)``; the reader's function receives
        deep copies, so an answer that edits its input in place cannot change
        the expected values.
    name : str, optional
        What to call the function in messages (default: its ``__name__``).
    rtol, atol : float
        Tolerances of ``numpy.allclose``.

    Returns
    -------
    Report
    """
    check_callable(reference, "reference")
    name = _check_author_settings(name, rtol=rtol, atol=atol) or getattr(
        candidate, "__name__", "your function"
    )
    cases = _check_sequence(cases, "cases", "case")
    for i, case in enumerate(cases):
        if not isinstance(case, Sequence) or isinstance(case, str | bytes):
            raise TypeError(
                f"cases[{i}] must be a tuple of arguments, such as (X, y), got {_format(case)}"
            )
    n = len(cases)

    def judge(i: int, case: Sequence[Any], actual: Any) -> str | None:
        expected = reference(*copy.deepcopy(tuple(case)))
        problem = _compare(actual, expected, rtol, atol)
        if problem is None:
            return None
        return f"{problem}.\n  expected {_format(expected)}\n  got      {_format(actual)}"

    return _grade(
        name,
        candidate,
        cases,
        where=lambda i, case: f"on case {i} of {n}, inputs {_describe_case(case)}",
        judge=judge,
        passed=f"all {n} cases agree",
    )


def check_gradient(
    candidate: Callable[[np.ndarray], Any],
    f: Callable[[np.ndarray], Any],
    points: Sequence[np.ndarray],
    *,
    name: str | None = None,
    tol: float = 1e-6,
    dout: Sequence[np.ndarray] | None = None,
) -> Report:
    """Compare a gradient ``candidate(x)`` with centred differences of ``f`` at each point.

    Parameters
    ----------
    candidate : callable
        The reader's gradient, ``candidate(x)`` of the shape of ``x``.
    f : callable
        The function it should differentiate (scalar-valued, or array-valued
        together with ``dout``, as in :func:`~mlmath.gradcheck.gradcheck`).
    points : sequence of ndarray
        Where to compare.
    tol : float
        Largest accepted :func:`~mlmath.gradcheck.relative_error`.
    dout : sequence of ndarray, optional
        One upstream gradient per point, for array-valued ``f``.
    """
    check_callable(f, "f")
    name = _check_author_settings(name, tol=tol) or getattr(candidate, "__name__", "your gradient")
    points = [
        check_array(x, name=f"points[{i}]", ndim=range(0, 33))
        for i, x in enumerate(_check_sequence(points, "points", "point"))
    ]
    if dout is not None and len(_check_sequence(dout, "dout", "array")) != len(points):
        raise ValueError(f"dout has {len(dout)} entries but there are {len(points)} points")
    n = len(points)

    def judge(i: int, case: Sequence[Any], actual: Any) -> str | None:
        (x,) = case
        expected = numerical_gradient(f, x, dout=None if dout is None else dout[i - 1])
        try:
            a = np.asarray(actual, dtype=np.float64)
        except (TypeError, ValueError):
            return f"it returned {_format(actual)}"
        if a.shape != expected.shape:
            return f"the gradient has shape {a.shape} but x has shape {expected.shape}"
        err = relative_error(a, expected) if np.all(np.isfinite(a)) else np.inf
        if err <= tol:
            return None
        return (
            f"relative error {err:.2e} against finite differences (allowed {tol:g}).\n"
            f"  finite differences {_format(expected)}\n  yours              {_format(a)}"
        )

    return _grade(
        name,
        candidate,
        [(x,) for x in points],
        where=lambda i, case: f"at point {i} of {n} (x of shape {case[0].shape})",
        judge=judge,
        passed=f"agrees with finite differences at all {n} points",
    )


def check_value(
    answer: Any,
    expected: Any,
    *,
    name: str,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> Report:
    """Compare a computed answer (a number or an array) with the expected one.

    ``answer`` left as ``None`` or ``...`` counts as not attempted.
    """
    _check_author_settings(name, rtol=rtol, atol=atol, required=True)
    expected = check_array(expected, name="expected", ndim=range(0, 33), allow_empty=True)
    if _is_stub_result(answer):
        return _not_attempted(name)
    problem = _compare(answer, expected, rtol, atol)
    if problem is not None:
        return Report(
            "failed",
            f"{name} is wrong: {problem}.\n"
            f"  expected {_format(expected)}\n  got      {_format(answer)}",
        )
    return Report("passed", f"{name}: passed.")
