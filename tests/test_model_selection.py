"""mlmath.model_selection against scikit-learn's KFold and cross_val_score, and on bad input."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge as SkRidge
from sklearn.model_selection import KFold
from sklearn.model_selection import cross_val_score as sk_cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmath.model_selection
from mlmath import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    cross_val_score,
    kfold_indices,
    mean_squared_error,
)

X_DIA, Y_DIA = load_diabetes(return_X_y=True)


@pytest.mark.parametrize(("N", "k"), [(10, 2), (10, 3), (11, 5), (442, 5), (7, 7), (100, 10)])
def test_folds_are_sklearn_kfold_folds(N, k):
    ours = kfold_indices(N, k)
    theirs = list(KFold(k).split(np.zeros((N, 1))))
    assert len(ours) == len(theirs) == k
    for (train, held), (sk_train, sk_held) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(train, sk_train)
        np.testing.assert_array_equal(held, sk_held)
        assert train.dtype == held.dtype == np.int64


def test_shuffled_folds_partition_the_rows_and_follow_the_seed():
    N, k = 103, 4
    folds = kfold_indices(N, k, shuffle=True, random_state=0)
    held = np.concatenate([h for _, h in folds])
    np.testing.assert_array_equal(np.sort(held), np.arange(N))  # a partition
    assert [len(h) for _, h in folds] == [26, 26, 26, 25]
    for train, h in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, h])), np.arange(N))
    again = kfold_indices(N, k, shuffle=True, random_state=np.random.default_rng(0))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    other = kfold_indices(N, k, shuffle=True, random_state=1)
    assert not np.array_equal(folds[0][1], other[0][1])
    assert not np.array_equal(folds[0][1], kfold_indices(N, k)[0][1])


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: LinearRegression(), lambda: SkLinearRegression()),
        (lambda: Ridge(alpha=0.1), lambda: SkRidge(alpha=0.1)),
        (lambda: Ridge(alpha=10.0, solver="qr"), lambda: SkRidge(alpha=10.0)),
    ],
)
@pytest.mark.parametrize("k", [3, 5, 10])
def test_scores_are_sklearn_cross_val_score_on_the_same_folds(ours, theirs, k):
    scores = cross_val_score(ours(), X_DIA, Y_DIA, folds=k)
    reference = sk_cross_val_score(theirs(), X_DIA, Y_DIA, cv=KFold(k))
    assert scores.shape == (k,)
    np.testing.assert_allclose(scores, reference, rtol=1e-10)


def test_shuffled_folds_and_a_scoring_function_match_sklearn():
    folds = kfold_indices(len(X_DIA), 5, shuffle=True, random_state=42)

    def mse(model, X, y):
        return mean_squared_error(y, model.predict(X))

    scores = cross_val_score(Ridge(alpha=0.5), X_DIA, Y_DIA, folds=folds, scoring=mse)
    reference = sk_cross_val_score(
        SkRidge(alpha=0.5), X_DIA, Y_DIA, cv=folds, scoring="neg_mean_squared_error"
    )
    np.testing.assert_allclose(scores, -reference, rtol=1e-10)
    # sklearn's splitter, listed, gives the same folds again
    listed = list(KFold(5).split(X_DIA))
    np.testing.assert_allclose(
        cross_val_score(Ridge(alpha=0.5), X_DIA, Y_DIA, folds=listed),
        cross_val_score(Ridge(alpha=0.5), X_DIA, Y_DIA, folds=5),
        rtol=0,
    )


def test_the_definition_by_hand():
    folds = kfold_indices(len(X_DIA), 4)
    by_hand = [
        Ridge(alpha=2.0).fit(X_DIA[tr], Y_DIA[tr]).score(X_DIA[te], Y_DIA[te]) for tr, te in folds
    ]
    np.testing.assert_array_equal(cross_val_score(Ridge(alpha=2.0), X_DIA, Y_DIA, folds=4), by_hand)


def test_the_estimator_passed_in_is_never_fitted_or_changed():
    model = Ridge(alpha=3.0)
    cross_val_score(model, X_DIA, Y_DIA)
    assert not hasattr(model, "coef_") and model.alpha == 3.0
    fitted = Ridge(alpha=3.0).fit(X_DIA, Y_DIA)
    coef = fitted.coef_.copy()
    cross_val_score(fitted, X_DIA, Y_DIA)
    np.testing.assert_array_equal(fitted.coef_, coef)


def test_a_pipeline_and_a_classifier_with_two_scores_per_fold():
    X, y = load_breast_cancer(return_X_y=True)
    folds = kfold_indices(len(X), 5, shuffle=True, random_state=0)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0))

    def accuracy_and_size(model, X_held, y_held):
        return model.score(X_held, y_held), len(y_held)

    scores = cross_val_score(pipe, X, y, folds=folds, scoring=accuracy_and_size)
    assert scores.shape == (5, 2)
    assert scores[:, 1].tolist() == [114.0, 114.0, 114.0, 114.0, 113.0]
    reference = sk_cross_val_score(pipe, X, y, cv=folds)
    np.testing.assert_allclose(scores[:, 0], reference, rtol=1e-12)
    assert not hasattr(pipe[-1], "coef_")  # the pipeline passed in stays unfitted


def test_an_object_without_get_params_is_copied():
    class Mean:
        def fit(self, X, y):
            self.mean_ = float(np.mean(y))
            return self

        def score(self, X, y):
            return -float(np.mean((y - self.mean_) ** 2))

    template = Mean()
    scores = cross_val_score(template, X_DIA, Y_DIA, folds=3)
    by_hand = [-np.mean((Y_DIA[te] - Y_DIA[tr].mean()) ** 2) for tr, te in kfold_indices(442, 3)]
    np.testing.assert_allclose(scores, by_hand, rtol=1e-12)
    assert not hasattr(template, "mean_")


def test_doctests_of_the_module_pass():
    assert doctest.testmod(mlmath.model_selection).failed == 0


BAD = [
    (lambda: kfold_indices(10, 1), ValueError, "k must be >= 2, got 1"),
    (lambda: kfold_indices(3, 5), ValueError, "k = 5 folds need at least 5 rows, but N = 3"),
    (lambda: kfold_indices(10.0, 2), TypeError, "N must be an integer, got 10.0"),
    (lambda: kfold_indices(10, 2.5), TypeError, "k must be an integer, got 2.5"),
    (lambda: kfold_indices(10, 2, shuffle="yes"), TypeError, "shuffle must be True or False"),
    (lambda: kfold_indices(10, 2, shuffle=True, random_state=-1), ValueError, "non-negative"),
    (lambda: cross_val_score("ridge", X_DIA, Y_DIA), TypeError, "must have a fit"),
    (lambda: cross_val_score(Ridge(), X_DIA, Y_DIA[:-2]), ValueError, r"\(442, 10\) and \(440,\)"),
    (lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=KFold(3)), TypeError, "list\\(splitter"),
    (lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds="5"), TypeError, "got '5'"),
    (lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=[]), ValueError, "folds is empty"),
    (lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=1), ValueError, "k must be >= 2"),
    (
        lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=[([0, 1, 2], [2, 3])]),
        ValueError,
        "fold 0: train and held_out share rows",
    ),
    (
        lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=[([0, 1], [500])]),
        ValueError,
        "fold 0: held_out holds row 500, outside 0..441",
    ),
    (
        lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=[([0.0, 1.0], [3])]),
        ValueError,
        "fold 0: train must be a non-empty 1-D array of row indices",
    ),
    (
        lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, folds=[([0, 1],)]),
        ValueError,
        "fold 0 must be a pair",
    ),
    (lambda: cross_val_score(Ridge(), X_DIA, Y_DIA, scoring="r2"), TypeError, "scoring must be"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD)
def test_bad_input_names_the_argument_and_value(call, error, match):
    with pytest.raises(error, match=match):
        call()
