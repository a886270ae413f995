"""Tests for :mod:`skbucket.bucketed` (assign_buckets, BucketedRegressor)."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import FitFailedWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from skbucket.bucketed import (
    DEFAULT_BINS,
    BucketedRegressor,
    TooFewRowsWarning,
    assign_buckets,
    seed_regressors,
)

EDGES = np.array(DEFAULT_BINS, dtype=float)


def make_likes(n=400, n_features=3, seed=0):
    """Synthetic likes spanning all default buckets; column 0 drives the target."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 8, size=(n, n_features))
    y = np.round(np.expm1(X[:, 0]))
    return X, y


def light(**kw):
    """The light test configuration: DecisionTreeClassifier + Ridge."""
    kw.setdefault("classifier", DecisionTreeClassifier(random_state=0))
    kw.setdefault("regressors", Ridge())
    return BucketedRegressor(**kw)


def bucket_range(k, edges=EDGES):
    lower = 0.0 if k == 0 else edges[k - 1]
    upper = np.inf if k == len(edges) else edges[k]
    return lower, upper


# --------------------------------------------------------------------- assign_buckets
def test_assign_buckets_seed_edges_inclusive_on_the_right():
    y = [0, 10, 11, 100, 101, 300, 301, 500, 501, 1000, 1001, 2500, 2501, 10**6]
    assert_array_equal(assign_buckets(y), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
    assert assign_buckets(y).dtype == np.int64


def test_assign_buckets_custom_bins_and_column_vector():
    with pytest.warns(Warning, match="column-vector y"):
        out = assign_buckets(np.array([[0.5], [1.0], [1.5], [7.0]]), bins=(1, 2))
    assert_array_equal(out, [0, 0, 1, 2])


@pytest.mark.parametrize(
    ("y", "match"),
    [
        ([1.0, 2.0, np.nan, 4.0], r"NaN.*row 2"),
        ([1.0, np.inf], r"infinity.*row 1"),
        ([3.0, 5.0, -1.0], r"non-negative.*row 2"),
        (["a", "b"], "numeric"),
        (["1", "2", "lots"], r"numeric .*, but row 2 is 'lots'$"),  # not np.str_('lots')
    ],
)
def test_assign_buckets_bad_targets_name_the_row(y, match):
    with pytest.raises(ValueError, match=match):
        assign_buckets(y)


@pytest.mark.parametrize(
    ("bins", "match"),
    [
        ((10, 100, 100, 500), r"strictly increasing; bins\[2\]=100"),
        ((10, 5), r"strictly increasing; bins\[1\]=5"),
        ((-1, 10), r"bins\[0\]=-1"),
        ((), "non-empty"),
        ((1, np.nan), r"finite; bins\[1\]=nan"),
        (("a", "b"), r"must be numbers .*; bins\[0\] is str 'a' \(bins=\('a', 'b'\)\)"),
        ([[1, 2]], r"non-empty 1-D sequence of edges; got \[\[1, 2\]\]"),
    ],
)
def test_assign_buckets_bad_bins(bins, match):
    with pytest.raises(ValueError, match=match):
        assign_buckets([1, 2], bins=bins)


@pytest.mark.parametrize(
    ("bins", "match"),
    [
        (("10", "100"), r"bins\[0\] is str '10'"),
        ([10, "1e2"], r"bins\[1\] is str '1e2'"),
        (np.array(["10", "100"]), r"bins\[0\] is str '10'"),
        (pd.Series(["10", "100"]), r"bins\[0\] is str '10'"),
        ((b"10",), r"bins\[0\] is bytes b'10'"),
        ((True, 100), r"bins\[0\] is bool True"),  # numpy makes it the int array [1, 100]
        ((10, np.True_), r"bins\[1\] is bool True"),
        (np.array([False, True]), r"bins\[0\] is bool False"),
        ((None, 10), r"bins\[0\] is NoneType None"),
        (np.array([10, 20], dtype="datetime64[ns]"), r"bins\[0\] is datetime64"),
    ],
)
def test_bins_as_text_or_flags_are_refused(bins, match):
    """Edges given as numeric strings or booleans were read by float(), "10" as 10 and True
    as 1, and the model fitted on them without a word."""
    X, y = make_likes(60)
    with pytest.raises(ValueError, match=r"^bins must be numbers .*" + match):
        light(bins=bins).fit(X, y)
    with pytest.raises(ValueError, match=match):
        assign_buckets(y, bins=bins)


def test_bins_of_any_real_number_type_are_taken():
    from decimal import Decimal
    from fractions import Fraction

    y = [5, 50, 500]
    for bins in [
        (10, 100.0),
        (np.int64(10), np.float32(100)),
        pd.Series([10, 100], index=[3, 1]),
        pd.array([10, 100], dtype="Int64"),
        (Decimal(10), Fraction(100)),
    ]:
        assert assign_buckets(y, bins=bins).tolist() == [0, 1, 2]


def test_bad_bins_from_quantiles_are_a_valueerror():
    # y.quantile(...) is a Series indexed by the quantiles: the message quotes its values by
    # position (a label lookup raised KeyError), also from BucketedRegressor.fit
    y = pd.Series([0, 0, 0, 0, 0, 0, 1, 2, 40, 900])
    bins = y.quantile([0.2, 0.4, 0.6, 0.8])
    with pytest.raises(ValueError, match=r"strictly increasing; bins\[1\]=0.0 .* bins\[0\]=0.0"):
        assign_buckets(y, bins=bins)
    with pytest.raises(ValueError, match=r"bins\[0\]=-1.0"):
        BucketedRegressor(bins=pd.Series([-1.0, 5.0], index=[0.5, 0.9])).fit(np.ones((10, 1)), y)
    assert assign_buckets(y, bins=y.quantile([0.7, 0.9])).tolist() == [0] * 7 + [1, 1, 2]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50),
    st.lists(st.integers(0, 10**5), min_size=1, max_size=8, unique=True).map(sorted),
)
def test_assign_buckets_properties(values, bins):
    y = np.array(values)
    b = assign_buckets(y, bins=bins)
    edges = np.array(bins, dtype=float)
    assert ((b >= 0) & (b <= len(bins))).all()
    # bucket k <=> y in (bins[k-1], bins[k]]
    for yi, k in zip(y, b):
        if k > 0:
            assert yi > edges[k - 1]
        if k < len(bins):
            assert yi <= edges[k]
    # monotone in y
    order = np.argsort(y, kind="stable")
    assert (np.diff(b[order]) >= 0).all()


# --------------------------------------------------------------------- sklearn checks
@parametrize_with_checks(
    [
        light(),
        light(bins=(2, 3), routing="soft"),
        light(
            regressors=[Ridge(), Ridge(alpha=2.0), Ridge()],
            bins=(2, 3),
            clip=True,
            target_transform="log1p",
        ),
        light(regressors={0: Ridge(), 1: Ridge(alpha=0.5)}, bins=(2,), min_bucket_size=1),
        light(bins=(2, 3), classifier_columns=[0], regressor_columns=slice(None)),
        light(
            classifier=LogisticRegression(),
            bins=(2, 3),
            routing="soft",
            soft_average="transformed",
            target_transform="log1p",
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------- fit / attributes
def test_fitted_attributes_and_score_is_r2():
    X, y = make_likes()
    model = light().fit(X, y)
    assert isinstance(model.classifier_, DecisionTreeClassifier)
    assert model.classifier_ is not model.classifier
    assert sorted(model.regressors_) == list(range(7))
    assert all(isinstance(r, Ridge) for r in model.regressors_.values())
    assert len({id(r) for r in model.regressors_.values()}) == 7
    assert_array_equal(model.bucket_counts_, np.bincount(assign_buckets(y), minlength=7))
    assert model.n_features_in_ == 3 and model.n_buckets_ == 7
    assert not hasattr(model, "feature_names_in_")
    assert model.bucket_fallback_ == {}
    assert model.score(X, y) == pytest.approx(r2_score(y, model.predict(X)))
    # each regressor is fit on its bucket only: refit one by hand
    mask = assign_buckets(y) == 3
    manual = Ridge().fit(X[mask], y[mask])
    assert_allclose(model.regressors_[3].coef_, manual.coef_)


def test_dataframe_keeps_feature_names_and_reaches_sub_estimators():
    X, y = make_likes()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    model = light().fit(df, y)
    assert_array_equal(model.feature_names_in_, ["a", "b", "c"])
    assert_array_equal(model.classifier_.feature_names_in_, ["a", "b", "c"])
    assert_array_equal(model.regressors_[2].feature_names_in_, ["a", "b", "c"])
    assert_allclose(model.predict(df), light().fit(X, y).predict(X))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(df.rename(columns={"a": "z"}))
    with (
        pytest.raises(ValueError, match="X has 2 features"),
        pytest.warns(UserWarning, match="valid feature names"),
    ):
        model.predict(X[:, :2])


@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_names_missing_or_unexpected_at_predict_warn_once_not_per_sub_estimator(routing):
    # the sub-estimators repeated scikit-learn's feature-names warning, one per estimator
    # class (five for a LogisticRegression and HistGradientBoostingRegressors)
    X, y = make_likes()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    kw = dict(
        classifier=LogisticRegression(max_iter=500),
        regressors=HistGradientBoostingRegressor(max_iter=5),
        routing=routing,
    )
    for fit_on, other, message in [
        (df, X, "X does not have valid feature names"),
        (X, df, "X has feature names"),
    ]:
        model = BucketedRegressor(**kw).fit(fit_on, y)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pred = model.predict(other)
            buckets = model.predict_bucket(other)
        texts = [str(w.message) for w in caught if "feature names" in str(w.message)]
        assert len(texts) == 2 and all(t.startswith(message) for t in texts), texts
        assert all("BucketedRegressor" in t for t in texts), texts
        assert_array_equal(pred, model.predict(fit_on))
        assert_array_equal(buckets, model.predict_bucket(fit_on))
    # the width is still checked, and columns chosen by name are found in an array of the
    # frame's width (refused before: "only supported for dataframes")
    model = light(classifier_columns=["a"], regressor_columns=["b", "c"]).fit(df, y)
    with pytest.warns(UserWarning, match="valid feature names"):
        assert_array_equal(model.predict(X), model.predict(df))
    with (
        pytest.raises(ValueError, match="X has 2 features"),
        pytest.warns(UserWarning, match="valid feature names"),
    ):
        model.predict(X[:, :2])


def test_an_array_after_a_frame_with_a_category_column_is_given_on_as_an_array():
    """A category column's codes in a float array are no frame of floats to XGBoost: made one
    (to warn once), its categorical model refused it ("Both should be either numeric or
    categorical") where 0.8.3 predicted as from the frame."""
    xgboost = pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.integers(0, 5, size=300)
    y = np.expm1(np.clip(3 + 2 * a + b * 0.5, 0, 12))
    frame = pd.DataFrame({"a": a, "b": pd.Categorical(b)})
    codes = np.column_stack([a, frame["b"].cat.codes]).astype(float)
    model = BucketedRegressor(
        regressors=xgboost.XGBRegressor(enable_categorical=True, n_estimators=5), random_state=0
    ).fit(frame, y)
    assert model._fit_on_float_frame_ is False
    with pytest.warns(UserWarning, match="valid feature names"):
        assert_array_equal(model.predict(codes), model.predict(frame))
    # a model pickled before 0.8.4 (no record of its frame) gives an array on as it was
    X, y = make_likes()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    old = light().fit(df, y)
    assert old._fit_on_float_frame_ is True
    del old._fit_on_float_frame_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        given = old.predict(X)
    assert sum("feature names" in str(w.message) for w in caught) >= 2  # as 0.8.3 warned
    # the sub-estimators got the array, as 0.8.3 gave it (Ridge sums a C-ordered array in
    # another order than the frame's F-ordered one: the last digits may differ)
    np.testing.assert_allclose(given, old.predict(df), rtol=1e-12)


def test_set_output_pandas_pipeline_keeps_feature_names():
    X, y = make_likes()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    pipe = make_pipeline(StandardScaler(), light()).set_output(transform="pandas")
    pipe.fit(df, y)
    assert_array_equal(pipe[-1].feature_names_in_, ["a", "b", "c"])
    assert pipe.predict(df).shape == (len(y),)
    # BucketedRegressor.set_output configures transformers inside sub-pipelines
    inner = make_pipeline(StandardScaler(), Ridge())
    model = light(regressors=inner).set_output(transform="pandas")
    assert model.regressors is inner
    assert isinstance(inner[0].fit_transform(df), pd.DataFrame)
    model.fit(df, y)
    assert isinstance(model.regressors_[1][0].transform(df), pd.DataFrame)
    # set after fit, it reaches the fitted copies too (as a fitted Pipeline's does)
    plain = light(
        classifier=make_pipeline(StandardScaler(), DecisionTreeClassifier(random_state=0)),
        regressors=make_pipeline(StandardScaler(), Ridge()),
    ).fit(df, y)
    assert isinstance(plain.classifier_[0].transform(df), np.ndarray)
    plain.set_output(transform="pandas")
    assert isinstance(plain.classifier_[0].transform(df), pd.DataFrame)
    assert all(isinstance(r[0].transform(df), pd.DataFrame) for r in plain.regressors_.values())


def test_sample_weight_with_metadata_routing_enabled():
    # with scikit-learn's metadata routing on, a Pipeline sub-estimator routes sample_weight
    # itself to the steps that request it (step__sample_weight would be refused by it)
    import sklearn

    X, y = make_likes()
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    expected = light(
        classifier=make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    ).fit(X, y, sample_weight=w)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            LogisticRegression(max_iter=1000).set_fit_request(sample_weight=True),
        )
        ridge = Ridge().set_fit_request(sample_weight=True)
        model = light(classifier=clf, regressors=ridge).fit(X, y, sample_weight=w)
        assert_allclose(model.predict(X), expected.predict(X))
        unrequested = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        with pytest.raises(Exception, match="sample_weight.*not explicitly set as requested"):
            light(classifier=unrequested, regressors=ridge).fit(X, y, sample_weight=w)


class _WeightProbeRidge(Ridge):
    """Ridge that records whether its fit was given sample_weight (a probe, not a mock)."""

    def fit(self, X, y, sample_weight=None):
        self.weighted_ = sample_weight is not None
        return super().fit(X, y, sample_weight=sample_weight)


class _WeightProbeTree(DecisionTreeClassifier):
    def fit(self, X, y, sample_weight=None, check_input=True):
        self.weighted_ = sample_weight is not None
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def test_sample_weight_reaches_sub_estimators_that_take_it_through_kwargs():
    # TransformedTargetRegressor and GridSearchCV take sample_weight through **fit_params;
    # has_fit_parameter alone did not see it and refused them
    from sklearn.compose import TransformedTargetRegressor

    X, y = make_likes()
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
    ttr = TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1)
    model = light(regressors=ttr).fit(X, y, sample_weight=w)
    same = light(target_transform="log1p").fit(X, y, sample_weight=w)
    # the same weighted Ridge on log1p(likes); BucketedRegressor's inverse clips at 0 likes
    assert_allclose(np.maximum(model.predict(X), 0), same.predict(X), rtol=1e-9)
    unweighted = light(regressors=ttr).fit(X, y)
    assert not np.allclose(model.predict(X), unweighted.predict(X))
    search = GridSearchCV(_WeightProbeRidge(), {"alpha": [0.5, 2.0]}, cv=2)
    fitted = light(regressors=search).fit(X, y, sample_weight=w)
    assert all(r.best_estimator_.weighted_ for r in fitted.regressors_.values())


def test_an_unset_request_inside_a_sub_pipeline_is_scikit_learns_error_as_it_is():
    """A step of a classifier pipeline whose request was never set: scikit-learn's error,
    naming that step, not reworded as "use a sub-estimator that accepts sample_weight"."""
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_likes()
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        classifier = make_pipeline(
            StandardScaler(), _WeightProbeTree(random_state=0).set_fit_request(sample_weight=True)
        )
        model = BucketedRegressor(
            classifier,
            {k: _WeightProbeRidge().set_fit_request(sample_weight=True) for k in range(7)},
        )
        with pytest.raises(UnsetMetadataPassedError, match=r"StandardScaler\.fit") as caught:
            model.fit(X, y, sample_weight=w)
    assert "accepts sample_weight" not in str(caught.value)


class _NaNProbabilities(LogisticRegression):
    """A router whose probabilities are NaN (as HistGradientBoostingClassifier's were with
    class_weight={0: nan}, which fit now refuses)."""

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), np.nan)


def test_a_router_whose_probabilities_are_not_finite_is_refused_at_predict():
    """NaN probabilities: soft routing summed no bucket (NaN > 0 is False) and predicted 0
    likes for every row, without a word."""
    X, y = make_likes(120)
    model = BucketedRegressor(_NaNProbabilities(max_iter=5000), Ridge(), routing="soft").fit(X, y)
    with pytest.raises(ValueError, match=r"classifier .* gave row 0 the probabilities \[nan"):
        model.predict(X)
    with pytest.raises(ValueError, match="not all finite"):
        model.set_params(routing="hard").predict(X)


class _ScoresAsProbabilities(LogisticRegression):
    """A router whose predict_proba returns its decision_function scores."""

    def predict_proba(self, X):
        return self.decision_function(X)


class _DoubledProbabilities(LogisticRegression):
    def predict_proba(self, X):
        return 2 * super().predict_proba(X)


@pytest.mark.parametrize("router", [_ScoresAsProbabilities, _DoubledProbabilities])
def test_a_router_whose_probabilities_are_not_probabilities_is_refused(router):
    """Scores, or shares adding up to 2: soft routing weighed the buckets' predictions by them
    (predictions 10 times the true likes, or doubled), without a word."""
    X, y = make_likes(200)
    model = BucketedRegressor(router(max_iter=5000), Ridge(), routing="soft").fit(X, y)
    with pytest.raises(ValueError, match=r"classifier .* gave row 0 the values .* not probab"):
        model.predict(X)
    with pytest.raises(ValueError, match="must add up to 1"):
        model.predict_bucket_proba(X[5:])


class _NaNOutside(Ridge):
    """A regressor that predicts NaN outside the range of its training X's first column (as
    IsotonicRegression does by default)."""

    def fit(self, X, y, sample_weight=None):
        self.low_, self.high_ = np.min(X[:, 0]), np.max(X[:, 0])
        return super().fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        pred = super().predict(X)
        return np.where((X[:, 0] < self.low_) | (X[:, 0] > self.high_), np.nan, pred)


@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_a_bucket_regressor_predicting_nan_is_refused(routing):
    """NaN from a bucket's regressor came out as the prediction (hard routing: some rows;
    soft: every row the bucket had a share of, i.e. all of them)."""
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, (300, 2))
    y = np.round(np.expm1(X[:, 0]))
    X_new = rng.uniform(0, 8, (200, 2))
    model = BucketedRegressor(
        LogisticRegression(max_iter=1000), _NaNOutside(), routing=routing
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"regressors\[\d\] _NaNOutside\(\)\.predict gave nan"):
        model.predict(X_new)
    isotonic = BucketedRegressor(
        LogisticRegression(max_iter=1000),
        IsotonicRegression(),
        regressor_columns=0,
        routing=routing,
    ).fit(X, y)
    with pytest.raises(ValueError, match="out_of_bounds='clip'"):
        isotonic.predict(X_new)
    clipped = isotonic.set_params(regressors=IsotonicRegression(out_of_bounds="clip"))
    assert np.isfinite(clipped.fit(X, y).predict(X_new)).all()


class _InfiniteLog(Ridge):
    def predict(self, X):
        return np.full(len(X), 800.0)  # in log1p space: more likes than a float holds


def test_a_log_space_prediction_that_overflows_is_refused():
    X, y = make_likes(200)
    model = BucketedRegressor(
        LogisticRegression(max_iter=5000), _InfiniteLog(), target_transform="log1p"
    ).fit(X, y)
    # refused, naming the row, without numpy's "overflow encountered in expm1" first
    with (
        warnings.catch_warnings(),
        pytest.raises(ValueError, match=r"gave 800\.0 for row \d+, which the inverse .* inf"),
    ):
        warnings.simplefilter("error", RuntimeWarning)
        model.predict(X)
    # clipped to the bucket's edges, a finite answer except in the top bucket
    model.set_params(clip=True)
    top = model.predict_bucket(X) == model.n_buckets_ - 1
    assert np.isfinite(model.predict(X[~top])).all()


class _Infinite(Ridge):
    def __init__(self, value=np.inf, alpha=1.0):
        self.value = value
        super().__init__(alpha=alpha)

    def predict(self, X):
        pred = super().predict(X)
        pred[0] = self.value
        return pred


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("clip", [False, True])
def test_an_infinite_bucket_prediction_is_refused_whatever_clip_makes_of_it(value, clip):
    """-inf became 0 likes, and +inf the bucket's upper edge under clip=True, without a word."""
    X, y = make_likes(200)
    model = BucketedRegressor(LogisticRegression(max_iter=5000), _Infinite(value), clip=clip).fit(
        X, y
    )
    with pytest.raises(ValueError, match=rf"_Infinite\(.*\)\.predict gave {value} for row \d+ "):
        model.predict(X)


class _TwoColumns(Ridge):
    def predict(self, X):
        pred = super().predict(X)
        return np.c_[pred, pred]


@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_a_bucket_regressor_predicting_two_columns_is_refused(routing):
    """A numpy broadcast error that named no regressor (or, for some row counts, a
    flattened prediction)."""
    X, y = make_likes(200)
    model = BucketedRegressor(
        LogisticRegression(max_iter=5000), _TwoColumns(), routing=routing
    ).fit(X, y)
    with pytest.raises(
        ValueError, match=r"_TwoColumns\(\)\.predict returned an array of shape \(\d+, 2\)"
    ):
        model.predict(X)


def test_a_routed_weight_of_the_wrong_length_is_not_said_to_be_refused():
    """A weight routed under an alias, of another length than X: the tree's own shape error,
    not "sample_weight was given, but ... did not take it" (it takes weights; the user
    passed no sample_weight)."""
    import sklearn

    X, y = make_likes(120)
    with sklearn.config_context(enable_metadata_routing=True):
        model = BucketedRegressor(
            DecisionTreeClassifier(random_state=0).set_fit_request(sample_weight="router_weight"),
            Ridge().set_fit_request(sample_weight=False),
        )
        with pytest.raises(ValueError, match=r"sample_weight\.shape == \(100,\), expected") as info:
            model.fit(X, y, router_weight=np.ones(100))
    assert "did not take it" not in str(info.value)
    # a wrapper that passes the weights on to an estimator without them is still named
    from sklearn.compose import TransformedTargetRegressor

    wrapper = TransformedTargetRegressor(KNeighborsRegressor())
    with pytest.raises(ValueError, match=r"TransformedTargetRegressor.* did not take it in fit"):
        light(regressors=wrapper).fit(X, y, sample_weight=np.ones(120))


def test_zero_weight_rows_are_absent_for_a_router_that_does_not_request_the_weights():
    """As documented in fit: a weight of 0 removes the row for every part, a router that
    declines the weights (or takes its own under an alias) included."""
    import sklearn

    X, y = make_likes(160)
    w = np.r_[np.zeros(60), np.ones(100)]
    buckets = assign_buckets(y)
    with sklearn.config_context(enable_metadata_routing=True):
        for request in (False, "router_weight"):
            model = BucketedRegressor(
                LogisticRegression(max_iter=2000).set_fit_request(sample_weight=request),
                LinearRegression().set_fit_request(sample_weight=True),
            )
            extra = {"router_weight": np.ones(160)} if request else {}
            model.fit(X, y, sample_weight=w, **extra)
            alone = LogisticRegression(max_iter=2000).fit(X[60:], buckets[60:])
            assert_allclose(model.classifier_.coef_, alone.coef_)


def test_metadata_routing_honours_each_sub_estimators_request():
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError

    X, y = make_likes()
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        for requested in (True, False):
            model = BucketedRegressor(
                _WeightProbeTree(random_state=0).set_fit_request(sample_weight=requested),
                {
                    0: _WeightProbeRidge().set_fit_request(sample_weight=requested),
                    3: _WeightProbeRidge().set_fit_request(sample_weight=not requested),
                },
            ).fit(X, y, sample_weight=w)
            assert model.classifier_.weighted_ is requested
            assert model.regressors_[0].weighted_ is requested
            assert model.regressors_[3].weighted_ is (not requested)
        with pytest.raises(UnsetMetadataPassedError, match=r"_WeightProbeRidge\.fit"):
            BucketedRegressor(
                _WeightProbeTree(random_state=0).set_fit_request(sample_weight=True),
                {k: _WeightProbeRidge() for k in range(7)},
            ).fit(X, y, sample_weight=w)
        # the defaults made in fit take the weights (their requests cannot be set by a user)
        default = BucketedRegressor(routing="soft", random_state=0).fit(X, y, sample_weight=w)
        routing = default.get_metadata_routing()
        assert set(routing._route_mappings) == {"classifier"} | {
            f"regressors[{k}]" for k in range(7)
        }
    plain = BucketedRegressor(routing="soft", random_state=0).fit(X, y, sample_weight=w)
    assert_allclose(default.predict(X), plain.predict(X))


def test_text_column_dataframe_with_pipelines():
    rng = np.random.RandomState(0)
    n = 240
    words = np.array(["cat", "dog", "launch", "sale", "news", "goal"])
    X, y = make_likes(n)
    topic = np.digitize(y, [10, 300])  # the text carries the bucket signal
    prompt = [f"{words[t]} {words[t + 3]} {rng.choice(words)}" for t in topic]
    df = pd.DataFrame({"prompt": prompt, "x0": X[:, 0], "x1": X[:, 1]})
    clf = Pipeline(
        [
            ("cols", ColumnTransformer([("tfidf", TfidfVectorizer(), "prompt")])),
            ("lr", LogisticRegression(max_iter=500)),
        ]
    )
    reg = Pipeline(
        [("cols", ColumnTransformer([("num", "passthrough", ["x0", "x1"])])), ("ridge", Ridge())]
    )
    model = BucketedRegressor(clf, reg, bins=(10, 300), routing="soft").fit(df, y)
    assert_array_equal(model.feature_names_in_, ["prompt", "x0", "x1"])
    assert set(model.classifier_.classes_) == {0, 1, 2}
    pred = model.predict(df)
    assert pred.shape == (n,) and np.isfinite(pred).all()
    assert (model.predict_bucket(df) == assign_buckets(y, bins=(10, 300))).mean() > 0.9
    # weights reach the final step of each pipeline
    model.fit(df, y, sample_weight=np.full(n, 2.0))


def test_column_selection_params_with_text_and_numeric_columns():
    rng = np.random.RandomState(1)
    X, y = make_likes(200)
    words = np.array(["quiet", "calm", "viral", "launch"])
    b = np.digitize(y, [100])
    df = pd.DataFrame(
        {
            "prompt": [f"{words[2 * t]} {words[2 * t + 1]} {rng.choice(words)}" for t in b],
            "x0": X[:, 0],
            "x1": X[:, 1],
        }
    )
    model = BucketedRegressor(
        make_pipeline(TfidfVectorizer(), LogisticRegression()),  # gets the 1-D "prompt"
        Ridge(),  # gets the numeric columns only
        bins=(100,),
        classifier_columns="prompt",
        regressor_columns=make_column_selector(dtype_include="number"),
    ).fit(df, y)
    assert_array_equal(model.feature_names_in_, ["prompt", "x0", "x1"])
    assert_array_equal(model.regressors_[0].feature_names_in_, ["x0", "x1"])
    assert_array_equal(model.predict_bucket(df), b)
    mask = b == 1
    ridge = Ridge().fit(df[mask][["x0", "x1"]], y[mask])
    assert_allclose(model.predict(df)[mask], np.maximum(ridge.predict(df[mask][["x0", "x1"]]), 0))
    clone(model).fit(df, y)  # selectors survive clone

    with pytest.raises(ValueError, match=r"classifier_columns=\['nope'\] cannot select"):
        clone(model).set_params(classifier_columns=["nope"]).fit(df, y)
    empty = make_column_selector(pattern="^zzz$")
    with pytest.raises(ValueError, match="selected no column"):
        clone(model).set_params(regressor_columns=empty).fit(df, y)


def test_polars_frame_is_read_as_pandas_with_named_column_specs():
    pl = pytest.importorskip("polars")
    rng = np.random.RandomState(1)
    X, y = make_likes(120)
    df = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "tag": rng.choice(["a", "b"], 120)})
    model = light(
        bins=(100,), classifier_columns=["x0"], regressor_columns=["x0", "x1"], random_state=0
    )
    expected = clone(model).fit(df, y)
    fitted = clone(model).fit(pl.from_pandas(df), y)  # by name: the "tag" text is never read
    assert_array_equal(fitted.feature_names_in_, ["x0", "x1", "tag"])
    assert_allclose(fitted.predict(pl.from_pandas(df)), expected.predict(df))
    assert_allclose(expected.predict(pl.from_pandas(df)), expected.predict(df))
    assert_array_equal(fitted.predict_bucket(pl.from_pandas(df)), expected.predict_bucket(df))


def test_one_dimensional_text_input():
    texts = ["tiny post"] * 20 + ["big viral launch"] * 20
    y = np.concatenate([3.0 + np.arange(20) % 5, 5000.0 + np.arange(20)])
    model = BucketedRegressor(
        make_pipeline(TfidfVectorizer(), LogisticRegression()),
        make_pipeline(TfidfVectorizer(), Ridge()),
    ).fit(texts, y)
    assert not hasattr(model, "n_features_in_")
    assert_array_equal(model.predict_bucket(["tiny post", "big viral launch"]), [0, 6])
    assert_array_equal(model.bucket_counts_, [20, 0, 0, 0, 0, 0, 20])


def test_one_dimensional_text_from_polars_or_pyarrow_is_read_as_a_pandas_series():
    """A polars Series or a pyarrow array of prompts failed with scikit-learn's "Expected
    2D array" (whose reshape advice breaks the text sub-estimators), though those take it."""
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    texts = ["tiny post", "small note", "big viral launch", "huge drop"] * 10
    y = np.tile([3.0, 5.0, 5000.0, 7000.0], 10)
    model = BucketedRegressor(
        make_pipeline(TfidfVectorizer(), LogisticRegression()),
        make_pipeline(TfidfVectorizer(), Ridge()),
    )
    expected = clone(model).fit(pd.Series(texts), y).predict(pd.Series(texts))
    for column in (pl.Series("prompt", texts), pa.array(texts), pa.chunked_array([texts])):
        fitted = clone(model).fit(column, y)
        assert_allclose(fitted.predict(column), expected)
        assert_array_equal(fitted.predict_bucket(column), [0, 0, 6, 6] * 10)


# --------------------------------------------------------------------- fallbacks
def _thin_data():
    """Buckets 0 and 2 populated, bucket 1 has 3 rows, 3-6 none (default bins)."""
    rng = np.random.RandomState(1)
    y = np.concatenate([rng.randint(0, 11, 40), [50.0, 60.0, 70.0], rng.randint(101, 301, 40)])
    X = np.column_stack([y / 100 + rng.normal(0, 0.01, y.size), rng.normal(size=y.size)])
    return X, y.astype(float)


@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_thin_and_empty_buckets_borrow_the_nearest_regressor(routing):
    X, y = _thin_data()
    model = light(routing=routing).fit(X, y)
    assert_array_equal(model.bucket_counts_, [40, 3, 40, 0, 0, 0, 0])
    regs = model.regressors_
    assert regs[1] is regs[0]  # tie between 0 and 2 goes to the lower bucket
    assert all(regs[k] is regs[2] for k in range(3, 7))
    assert set(model.bucket_fallback_) == {1, 3, 4, 5, 6}
    assert "bucket 0" in model.bucket_fallback_[1]
    assert "3 training row(s)" in model.bucket_fallback_[1]
    # the classifier still routes rows to the thin bucket; predict uses bucket 0's model
    thin = X[40:43]
    assert_array_equal(model.predict_bucket(thin), [1, 1, 1])
    assert_allclose(model.predict(thin), regs[0].predict(thin))
    proba = model.predict_bucket_proba(X)
    assert_array_equal(proba[:, 3:], 0.0)  # never seen by the classifier


def test_min_bucket_size_one_gives_thin_bucket_its_own_model():
    X, y = _thin_data()
    model = light(min_bucket_size=1).fit(X, y)
    assert model.regressors_[1] is not model.regressors_[0]
    assert set(model.bucket_fallback_) == {3, 4, 5, 6}


def test_a_bad_parameter_of_a_regressor_is_an_error_even_in_a_bucket_of_equal_targets():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="alpha"):  # sklearn's InvalidParameterError
        light(regressors=Ridge(alpha=-1)).fit(X, np.full(20, 50.0))
    with pytest.raises(ValueError, match="alpha"):
        light(regressors=Ridge(alpha=-1)).fit(X, np.arange(20.0))
    from sklearn.ensemble import HistGradientBoostingRegressor

    empty = np.c_[X, np.full(20, np.nan)]  # a column of no value: the failure is reworded
    bad = HistGradientBoostingRegressor(learning_rate=-1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        light(regressors=bad).fit(empty, np.full(20, 50.0))


def test_no_bucket_with_a_regressor_of_its_own_is_warned_about():
    X, y = np.arange(8.0).reshape(-1, 1), np.array([1.0, 2, 3, 50, 60, 70, 500, 600])
    with pytest.warns(
        TooFewRowsWarning,
        match=r"no bucket has min_bucket_size=5 training rows \(the "
        r"largest, bucket 0, has 3\).*predicts one constant",
    ):
        model = light().fit(X, y)
    assert_array_equal(model.predict(X), np.full(8, 55.0))
    with pytest.warns(UserWarning, match=r"training targets \(clipped to the bucket's range\)"):
        light(clip=True).fit(X, y)
    weights = np.array([0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.0, 1.0])  # bucket 1 the heaviest
    with pytest.warns(
        UserWarning,
        match=r"no bucket's training rows weigh min_bucket_size=5 in all "
        r"\(the heaviest, bucket 1, weighs 4.5\)",
    ):
        light().fit(X, y, sample_weight=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        light(min_bucket_size=3).fit(X, y)


def test_weights_rescaled_below_min_bucket_size_warn():
    # weights count like repeated rows: normalised to sum to 1, no bucket weighs 5 any more
    X, y = _thin_data()
    w = np.ones(len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # weights of about 1: no warning
        light().fit(X, y, sample_weight=w)
    with pytest.warns(
        TooFewRowsWarning,  # filtered with the other small-data warnings (a UserWarning)
        match=r"bucket\(s\) \[0, 2\] have at least min_bucket_size=5 .*"
        r"40 rows weighing 0\.48.*predicts a constant.*typical row weighs about 1",
    ):
        model = light().fit(X, y, sample_weight=w / w.sum())
    assert "(total sample_weight)" in model.bucket_fallback_[0]


def test_weights_summing_to_min_bucket_size_up_to_rounding_are_enough():
    # 15 rows weighing 1/3 each are 4.999999999999999 in floating point: the bucket lost its
    # regressor, with a fallback note and a warning saying it weighs 5
    rng = np.random.default_rng(0)
    y = np.r_[rng.integers(0, 11, 15), rng.integers(11, 101, 30)].astype(float)
    X = np.c_[y + rng.normal(size=y.size), rng.normal(size=y.size)]
    w = np.r_[np.full(15, 1 / 3), np.ones(30)]
    assert w[:15].sum() < 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge(), bins=(10,)).fit(
            X, y, sample_weight=w
        )
    assert model.bucket_fallback_ == {}


def test_a_bucket_weight_just_below_min_bucket_size_is_not_rounded_up_in_its_note():
    # 15 rows weighing 4.9999999 in all: "(weight 5)" beside "< min_bucket_size=5" would read
    # as a contradiction
    rng = np.random.default_rng(0)
    y = np.r_[rng.integers(0, 11, 15), rng.integers(11, 101, 30)].astype(float)
    X = np.c_[y + rng.normal(size=y.size), rng.normal(size=y.size)]
    w = np.r_[np.full(15, (5 - 1e-7) / 15), np.ones(30)]
    with pytest.warns(UserWarning, match=r"15 rows weighing 4\.9999999\), so they get no"):
        model = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge(), bins=(10,))
        model.fit(X, y, sample_weight=w)
    note = model.bucket_fallback_[0]
    assert "15 training row(s) (weight 4.9999999) < min_bucket_size=5" in note


def test_soft_routing_with_clip_clips_every_term_before_weighting():
    """As the docstring says; no test combined clip=True with soft routing (the seed's
    default), so a clip applied to hard routing only went unseen."""
    X, y = make_likes(300, n_features=2)
    model = BucketedRegressor(
        DecisionTreeClassifier(max_depth=2, random_state=0), Ridge(), routing="soft", clip=True
    ).fit(X, y)
    proba = model.predict_bucket_proba(X)
    terms = np.column_stack(
        [
            np.clip(model.regressors_[k].predict(X), *model._bucket_range(k))
            for k in range(model.n_buckets_)
        ]
    )
    assert_allclose(model.predict(X), (proba * terms).sum(axis=1))
    assert not np.allclose(
        model.predict(X), clone(model).set_params(clip=False).fit(X, y).predict(X)
    )


def test_a_bucket_of_exactly_min_bucket_size_rows_but_light_weight_warns():
    X = np.arange(25.0).reshape(-1, 1)
    y = np.r_[np.arange(20.0) % 10, [50, 60, 70, 80, 90]]  # bucket 1: exactly 5 rows
    w = np.r_[np.ones(20), np.full(5, 0.1)]
    with pytest.warns(UserWarning, match=r"bucket\(s\) \[1\] have at least min_bucket_size=5"):
        BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge(), bins=(10,)).fit(
            X, y, sample_weight=w
        )


class _RefusesEqualTargets(RegressorMixin, BaseEstimator):
    """Refuses equal targets, as CatBoost does ("All train targets are equal")."""

    def fit(self, X, y, sample_weight=None):
        if np.ptp(y) == 0:
            raise ValueError("All train targets are equal")
        self.linear_ = LinearRegression().fit(X, y, sample_weight)
        return self

    def predict(self, X):
        return self.linear_.predict(X)


def test_the_constant_of_a_bucket_whose_regressor_refused_it_is_in_the_target_space():
    """With target_transform="log1p" a bucket of equal likes (50) predicts 50, not expm1(50):
    no test combined the fallback constant with a target transform."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(60, 2))
    y = np.where(X[:, 0] < 0.5, 50.0, rng.uniform(200, 3000, 60).round())  # bucket 1: all 50
    model = BucketedRegressor(
        DecisionTreeClassifier(random_state=0), _RefusesEqualTargets(), target_transform="log1p"
    ).fit(X, y)
    assert 1 in model.bucket_fallback_
    rows = model.predict_bucket(X) == 1
    assert rows.any()
    assert_allclose(model.predict(X)[rows], 50.0)


def test_a_column_selector_is_asked_once_at_fit_as_in_column_transformer():
    # asked again at predict, one post whose numeric field is missing (its column object)
    # lost that column: "feature names should match those that were passed during fit"
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "t": "text"})
    y = np.exp(X["a"] * 3) * 10
    numbers = make_column_selector(dtype_include="number")
    model = BucketedRegressor(
        DecisionTreeClassifier(random_state=0),
        DecisionTreeRegressor(random_state=0),
        classifier_columns=numbers,
        regressor_columns=numbers,
    ).fit(X, y)
    one = pd.DataFrame([{"a": 0.5, "b": None, "t": "x"}])
    assert one["b"].dtype == object
    assert model.predict(one).shape == (1,)


@pytest.mark.filterwarnings("ignore::skbucket.exceptions.TooFewRowsWarning")  # the point
def test_no_populated_bucket_uses_weighted_median_constant():
    X = np.arange(8, dtype=float).reshape(4, 2)
    y = np.array([1.0, 2.0, 50.0, 60.0])
    model = light().fit(X, y)
    assert all(isinstance(r, DummyRegressor) for r in model.regressors_.values())
    assert set(model.bucket_fallback_) == set(range(7))
    assert "weighted median" in model.bucket_fallback_[0]
    assert_allclose(model.predict(X), np.median(y))
    weighted = light().fit(X, y, sample_weight=[1, 1, 1, 3])  # as [1, 2, 50, 60, 60, 60]
    assert_allclose(weighted.predict(X), 55.0)
    repeats = light().fit(X, y, sample_weight=[3, 1, 1, 1])  # same as [1, 1, 1, 2, 50, 60]
    assert_allclose(repeats.predict(X), 1.5)


def test_single_bucket_classifier_is_dummy_and_predicts_that_bucket():
    X, y = make_likes(60)
    y = np.clip(y, 0, 10)  # everything in bucket 0
    # LogisticRegression alone would refuse a single class; said (a 0-1 target fitted with
    # the likes' default bins became one Ridge without a word)
    with pytest.warns(
        TooFewRowsWarning, match=r"every training target falls in bucket 0 \(targets up to 10;"
    ) as said:
        model = BucketedRegressor(LogisticRegression(), Ridge()).fit(X, y)
    # the advice spoke only of "targets on another scale than likes": a small account's
    # likes (all 0-10) are likes; it gives edges inside their range, which route
    (advice,) = re.findall(
        r"e\.g\. bins=(\([^)]*\)) \(the targets' quartiles\)", str(said[0].message)
    )
    quartiles = np.unique(np.quantile(y, [0.25, 0.5, 0.75]))
    assert_allclose(eval(advice), quartiles[(quartiles > y.min()) & (quartiles < y.max())])
    routed = BucketedRegressor(LogisticRegression(), Ridge(), bins=eval(advice)).fit(X, y)
    assert not isinstance(routed.classifier_, DummyClassifier)
    # close targets: at 3 digits the quartiles were "1.1e+03" three times, refused as bins
    close = np.tile([1100.0, 1101.0, 1102.0, 1103.0, 1104.0], 12)
    with pytest.warns(TooFewRowsWarning) as said:
        BucketedRegressor(LogisticRegression(), Ridge()).fit(X, close)
    (advice,) = re.findall(r"e\.g\. bins=(\([^)]*\))", str(said[0].message))
    assert eval(advice) == (1101, 1102, 1103)
    routed = BucketedRegressor(LogisticRegression(), Ridge(), bins=eval(advice)).fit(X, close)
    assert not isinstance(routed.classifier_, DummyClassifier)
    assert isinstance(model.classifier_, DummyClassifier)
    assert_array_equal(model.predict_bucket(X), 0)
    proba = model.predict_bucket_proba(X)
    assert_array_equal(proba[:, 0], 1.0)
    assert_allclose(model.predict(X), Ridge().fit(X, y).predict(X))
    with pytest.warns(TooFewRowsWarning, match=r"bucket 2 \(targets above 100 and up to 300;"):
        BucketedRegressor(LogisticRegression(), Ridge()).fit(X, y + 150)
    with pytest.warns(TooFewRowsWarning, match=r"above 1234567; bins=\(1234567,\)\)"):
        BucketedRegressor(LogisticRegression(), Ridge(), bins=(1234567,)).fit(X, y + 2e6)
    # too few rows for a regressor as well: only that is said (not "that bucket's regressor")
    with pytest.warns(TooFewRowsWarning) as said:
        BucketedRegressor(LogisticRegression(), Ridge()).fit(X[:4], y[:4])
    assert [str(w.message) for w in said if "nothing to route" in str(w.message)] == []
    assert any("no bucket has min_bucket_size=5" in str(w.message) for w in said)
    # bins within the targets' range: routed, nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BucketedRegressor(LogisticRegression(), Ridge(), bins=(5,)).fit(X, y)
    assert isinstance(model.classifier_, LogisticRegression)


# --------------------------------------------------------------------- routing / proba
def test_predict_bucket_proba_maps_classes_to_columns():
    X, y = make_likes()
    keep = assign_buckets(y) != 3  # bucket 3 never seen
    model = BucketedRegressor(LogisticRegression(max_iter=1000), Ridge()).fit(X[keep], y[keep])
    proba = model.predict_bucket_proba(X)
    assert proba.shape == (len(X), 7)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(proba[:, 3], 0.0)
    raw = model.classifier_.predict_proba(X)
    assert_allclose(proba[:, [0, 1, 2, 4, 5, 6]], raw)
    assert_array_equal(model.predict_bucket(X), np.argmax(proba, axis=1))


def test_classifier_without_predict_proba_gives_one_hot():
    X, y = make_likes()
    model = BucketedRegressor(LinearSVC(), Ridge(), routing="soft").fit(X, y)
    proba = model.predict_bucket_proba(X)
    assert set(np.unique(proba)) <= {0.0, 1.0}
    assert_array_equal(np.argmax(proba, axis=1), model.classifier_.predict(X))
    hard = clone(model).set_params(routing="hard").fit(X, y)
    assert_allclose(model.predict(X), hard.predict(X))


def test_soft_routing_is_probability_weighted_sum():
    X, y = make_likes()
    model = BucketedRegressor(
        LogisticRegression(max_iter=1000), Ridge(), routing="soft", target_transform="log1p"
    ).fit(X, y)
    proba = model.predict_bucket_proba(X)
    per_bucket = np.column_stack(
        [np.maximum(np.expm1(model.regressors_[k].predict(X)), 0) for k in range(7)]
    )
    assert_allclose(model.predict(X), (proba * per_bucket).sum(axis=1))
    hard = clone(model).set_params(routing="hard").fit(X, y)
    chosen = np.argmax(proba, axis=1)
    assert_allclose(hard.predict(X), per_bucket[np.arange(len(X)), chosen])
    assert not np.allclose(hard.predict(X), model.predict(X))


def test_predict_per_bucket_is_what_predict_mixes():
    """Each bucket regressor's prediction in likes, for every row: hard routing picks the
    routed bucket's column, soft routing weights the columns (in log space with
    soft_average="transformed"), with clip the clipped predictions, for a frame too."""
    X, y = make_likes()
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    for clip in (False, True):
        model = BucketedRegressor(
            LogisticRegression(max_iter=1000),
            Ridge(),
            routing="soft",
            target_transform="log1p",
            clip=clip,
        ).fit(frame, y)
        per_bucket = model.predict_per_bucket(frame)
        assert per_bucket.shape == (len(X), model.n_buckets_)
        assert per_bucket.dtype == np.float64
        raw = np.column_stack([np.expm1(model.regressors_[k].predict(frame)) for k in range(7)])
        if clip:  # to each bucket's range; a lower edge belongs to the bucket below
            lower = np.append(0.0, np.nextafter(EDGES, np.inf))
            assert not np.allclose(per_bucket, np.maximum(raw, 0))
            raw = np.clip(raw, lower, np.append(EDGES, np.inf))
        assert_allclose(per_bucket, np.maximum(raw, 0))
        proba = model.predict_bucket_proba(frame)
        assert_allclose(model.predict(frame), (proba * per_bucket).sum(axis=1))
        model.set_params(soft_average="transformed")
        expected = np.expm1((proba * np.log1p(per_bucket)).sum(axis=1))
        assert_allclose(model.predict(frame), expected)
        model.set_params(routing="hard")
        chosen = model.predict_bucket(frame)
        # (to rounding: Ridge computes a row's prediction in the last bits differently in
        # predict's smaller batch of the rows routed to the bucket)
        assert_allclose(model.predict(frame), per_bucket[np.arange(len(X)), chosen], rtol=1e-12)


def test_predict_per_bucket_shows_a_prediction_that_is_not_finite_where_predict_never_asks():
    """IsotonicRegression gives NaN outside the range of its bucket's rows: predict never asks
    another bucket's regressor for such a row, and predict_per_bucket refused every row."""
    from sklearn.isotonic import IsotonicRegression

    y = np.round(np.expm1(np.linspace(0, 8.7, 400)))  # 0 to 6000 likes, 40 rows or more a bucket
    X = np.log1p(y).reshape(-1, 1)  # each bucket's rows: a range of X of its own
    model = BucketedRegressor(
        DecisionTreeClassifier(random_state=0), IsotonicRegression(), clip=True
    ).fit(X, y)
    pred = model.predict(X)  # every row routed to its own bucket: all finite
    per_bucket = model.predict_per_bucket(X)
    assert np.isnan(per_bucket).any()
    routed = model.predict_bucket(X)
    assert_allclose(per_bucket[np.arange(len(X)), routed], pred)
    with pytest.raises(ValueError, match=r"regressors\[0\] .* gave nan for row"):
        model.set_params(routing="soft").fit(X, y).predict(X + 0.01)


def test_predict_per_bucket_keeps_an_infinite_prediction_and_checks_settings_made_after_fit():
    """An infinite prediction stays infinite (clip made it the bucket's edge), and a setting
    predict would refuse after fit is refused here too."""

    class Infinite(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.full(len(X), np.inf)

    X, y = make_likes()
    model = light(regressors=Infinite(), clip=True).fit(X, y)
    assert np.isposinf(model.predict_per_bucket(X[:5])).all()
    with pytest.raises(ValueError, match="regressors\\[\\d\\] Infinite\\(\\).predict gave inf"):
        model.predict(X[:5])
    model.set_params(clip="yes")
    with pytest.raises(ValueError, match="clip"):
        model.predict_per_bucket(X[:5])


def test_predict_per_bucket_through_a_pipeline_and_unfitted():
    from sklearn.exceptions import NotFittedError

    from skbucket.metrics import predict_per_bucket

    X, y = make_likes()
    pipe = make_pipeline(StandardScaler(), light(classifier=LogisticRegression(max_iter=1000)))
    with pytest.raises(NotFittedError):
        pipe[-1].predict_per_bucket(X)
    pipe.fit(X, y)
    assert_array_equal(
        predict_per_bucket(pipe, X), pipe[-1].predict_per_bucket(pipe[0].transform(X))
    )
    with pytest.raises(TypeError, match="Ridge has no predict_per_bucket"):
        predict_per_bucket(Ridge().fit(X, y), X)


def test_soft_average_transformed_is_the_weighted_mean_in_log_space():
    X, y = make_likes()
    raw = BucketedRegressor(
        LogisticRegression(max_iter=1000), Ridge(), routing="soft", target_transform="log1p"
    ).fit(X, y)
    logs = clone(raw).set_params(soft_average="transformed").fit(X, y)
    proba = logs.predict_bucket_proba(X)
    z = np.column_stack([logs.regressors_[k].predict(X) for k in range(7)])
    z = np.log1p(np.maximum(np.expm1(z), 0))  # each bucket's prediction in likes, back to log
    expected = np.maximum(np.expm1((proba * z).sum(axis=1)), 0)
    assert_allclose(logs.predict(X), expected)
    # by Jensen, the log-space mean never exceeds the raw mean (same fitted parts)
    assert (logs.predict(X) <= raw.predict(X) + 1e-9).all()
    assert (logs.predict(X) < raw.predict(X) - 1).any()
    # hard routing, or no target_transform: the setting changes nothing
    for params in ({"routing": "hard"}, {"target_transform": None}):
        a = clone(raw).set_params(**params).fit(X, y)
        b = clone(logs).set_params(**params).fit(X, y)
        assert_allclose(a.predict(X), b.predict(X))
    with pytest.raises(ValueError, match="soft_average"):
        clone(raw).set_params(soft_average="log").fit(X, y)


def test_clip_keeps_hard_predictions_in_the_bucket_range():
    X, y = make_likes()
    plain = light(classifier=LogisticRegression(max_iter=1000)).fit(X, y)
    clipped = clone(plain).set_params(clip=True).fit(X, y)
    b = clipped.predict_bucket(X)
    pred = clipped.predict(X)
    lower = np.array([bucket_range(k)[0] for k in b])
    upper = np.array([bucket_range(k)[1] for k in b])
    assert ((pred >= lower) & (pred <= upper)).all()
    # in the bucket as assign_buckets has it: a lower edge belongs to the bucket below
    assert_array_equal(assign_buckets(pred), b)
    # Ridge on raw likes leaves some buckets' ranges; clipping must change those
    outside = (plain.predict(X) < lower) | (plain.predict(X) > upper)
    assert outside.any()
    assert_allclose(pred[~outside], plain.predict(X)[~outside])


def test_log1p_never_predicts_negative_likes():
    # bucket 0 holds many zero-like posts: a linear model in log space dips below 0 there
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] > 0, np.round(np.expm1(3 + X[:, 1])), 0.0)
    raw_pair = light(target_transform=(np.log1p, np.expm1)).fit(X, y)
    assert (raw_pair.predict(X) < 0).any(), "the setting is meant to produce negative expm1"
    model = light(target_transform="log1p").fit(X, y)
    pred = model.predict(X)
    assert pred.min() == 0.0
    assert_allclose(pred, np.maximum(raw_pair.predict(X), 0))
    soft = clone(model).set_params(routing="soft").fit(X, y)
    assert soft.predict(X).min() >= 0


def test_a_histgradientboosting_router_too_small_to_split_is_warned_about():
    from sklearn.ensemble import HistGradientBoostingClassifier

    y = np.tile([3.0, 50.0, 200.0], 13)  # 39 rows: min_samples_leaf=20 allows no split
    X = np.log1p(y).reshape(-1, 1)
    with pytest.warns(TooFewRowsWarning, match=r"cannot split 39 training rows.*at least 40"):
        model = BucketedRegressor(regressors=Ridge()).fit(X, y)
    assert np.unique(model.predict_bucket(X)).size == 1  # what the warning says
    small_leaf = HistGradientBoostingClassifier(min_samples_leaf=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BucketedRegressor(small_leaf, Ridge()).fit(X, y)
        BucketedRegressor(regressors=Ridge()).fit(np.tile(X, (2, 1)), np.tile(y, 2))
    assert_array_equal(model.predict_bucket(X), assign_buckets(y))
    with pytest.warns(UserWarning, match=r"min_samples_leaf=30\) cannot split 39"):
        BucketedRegressor(HistGradientBoostingClassifier(min_samples_leaf=30), Ridge()).fit(X, y)


def test_a_histgradientboosting_router_inside_a_wrapper_too_small_to_split_is_warned_about():
    """The warning looked at the classifier's own type only: a Pipeline ending in a
    HistGradientBoostingClassifier (or a search refitting one) on 39 rows said nothing."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    y = np.tile([3.0, 50.0, 200.0], 13)  # 39 rows: min_samples_leaf=20 allows no split
    X = np.log1p(y).reshape(-1, 1)
    scaled = make_pipeline(StandardScaler(), HistGradientBoostingClassifier())
    with pytest.warns(
        TooFewRowsWarning,
        match=r"classifier Pipeline\(.*\): its final step 'histgradientboostingclassifier', a "
        r"HistGradientBoostingClassifier\(min_samples_leaf=20\), cannot split 39 training rows",
    ):
        model = BucketedRegressor(scaled, Ridge()).fit(X, y)
    assert np.unique(model.predict_bucket(X)).size == 1  # what the warning says
    nested = Pipeline([("outer", clone(scaled))])
    with pytest.warns(TooFewRowsWarning, match=r"'histgradientboostingclassifier' of its final"):
        BucketedRegressor(nested, Ridge()).fit(X, y)
    search = GridSearchCV(HistGradientBoostingClassifier(), {"min_samples_leaf": [20, 25]}, cv=2)
    with pytest.warns(TooFewRowsWarning, match=r"its best_estimator_, a Hist.*cannot split 39"):
        BucketedRegressor(search, Ridge()).fit(X, y)
    with warnings.catch_warnings():  # a leaf small enough: no warning, through the wrapper
        warnings.simplefilter("error")
        small_leaf = make_pipeline(
            StandardScaler(), HistGradientBoostingClassifier(min_samples_leaf=5)
        )
        BucketedRegressor(small_leaf, Ridge()).fit(X, y)
    # a frozen one was fitted elsewhere, on enough rows (the retry a failed fit advises, a
    # router frozen for cross-validation): it splits, and no warning says it cannot
    from sklearn.frozen import FrozenEstimator

    many_X, many_y = np.tile(X, (4, 1)), np.tile(y, 4)
    for fitted in (scaled, search):
        fitted = clone(fitted).fit(many_X, assign_buckets(many_y))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = BucketedRegressor(FrozenEstimator(fitted), Ridge()).fit(X, y)
        assert_array_equal(model.predict_bucket(X), assign_buckets(y))


def test_the_raw_target_never_predicts_negative_likes():
    # a linear model of the raw likes in bucket 0 dips below 0 for the rows far out
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = np.clip(np.round(5 + 3 * X[:, 0]), 0, None)
    y[X[:, 1] > 1] += 500
    model = light().fit(X, y)
    X_new = rng.normal(scale=3, size=(400, 3))
    bucket = model.predict_bucket(X_new)
    linear = np.empty(len(X_new))
    for k in np.unique(bucket):
        rows = bucket == k
        linear[rows] = model.regressors_[k].predict(X_new[rows])
    assert (linear < 0).any(), "the setting is meant to produce negative raw predictions"
    assert_array_equal(model.predict(X_new), np.maximum(linear, 0))
    soft = clone(model).set_params(routing="soft", classifier=LogisticRegression()).fit(X, y)
    proba = soft.predict_bucket_proba(X_new)
    terms = np.column_stack([soft.regressors_[k].predict(X_new) for k in range(soft.n_buckets_)])
    assert (terms < 0).any()  # each bucket's term is taken at 0 before the average
    assert_allclose(soft.predict(X_new), (proba * np.maximum(terms, 0)).sum(axis=1))


def test_target_transform_pair_equals_log1p_shortcut():
    X, y = make_likes()
    a = light(target_transform="log1p").fit(X, y)
    b = light(target_transform=(np.log1p, np.expm1)).fit(X, y)
    assert_allclose(a.predict(X), np.maximum(b.predict(X), 0))  # "log1p" clips at 0 likes
    mask = assign_buckets(y) == 2
    assert_allclose(a.regressors_[2].coef_, Ridge().fit(X[mask], np.log1p(y[mask])).coef_)
    b_pred = a.predict_bucket(X)
    assert_allclose(a.predict(X)[b_pred == 2], np.expm1(a.regressors_[2].predict(X[b_pred == 2])))
    assert (b.predict(X) < 0).any()  # the explicit pair is used as given
    with pytest.raises(ValueError, match="target_transform"):
        light(target_transform=(np.log1p,)).fit(X, y)
    with pytest.raises(ValueError, match="target_transform"):
        light(target_transform="sqrt").fit(X, y)


def test_a_model_pickled_before_fit_recorded_its_settings_still_predicts():
    # models saved by an earlier 0.1.0 build lack the fit-time target transform and columns
    X, y = make_likes()
    model = light(target_transform="log1p", regressor_columns=[0, 1]).fit(X, y)
    state = dict(model.__getstate__())
    for attr in ("_target_funcs_", "_classifier_columns_", "_regressor_columns_"):
        del state[attr]
    old = BucketedRegressor.__new__(BucketedRegressor)
    old.__setstate__(state)
    assert_allclose(old.predict(X), model.predict(X))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # np.log(0), as meant
def test_a_transform_that_makes_targets_non_finite_names_the_row():
    X, y = make_likes()
    y = y.copy()
    y[[3, 8]] = 0.0
    with pytest.raises(ValueError, match=r"maps y\[3\] = 0.0 to -inf .*first rows \[3, 8"):
        light(target_transform=(np.log, np.exp)).fit(X, y)
    with pytest.raises(ValueError, match="returned 1 value"):
        light(target_transform=(np.sum, np.exp)).fit(X, y)


def test_predict_uses_the_fit_time_transform_and_columns():
    # set_params without a refit changes predict-time settings only; the fitted regressors
    # learnt log1p(likes) of the columns chosen at fit, and predict keeps reading them so
    X, y = make_likes()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = light(
        classifier=LogisticRegression(max_iter=1000),
        target_transform="log1p",
        regressor_columns=["a", "b"],
    ).fit(frame, y)
    before = model.predict(frame)
    model.set_params(target_transform=None, regressor_columns=["b", "c"])
    assert_allclose(model.predict(frame), before)
    model.set_params(classifier_columns=["a"])
    assert_allclose(model.predict(frame), before)
    # the predict-time settings do act without a refit
    model.set_params(routing="soft")
    soft = clone(model).set_params(
        target_transform="log1p", regressor_columns=["a", "b"], classifier_columns=None
    )
    assert_allclose(model.predict(frame), soft.fit(frame, y).predict(frame))
    assert not np.allclose(model.predict(frame), before)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(20, 120),
    bins=st.lists(st.integers(1, 4000), min_size=1, max_size=6, unique=True).map(sorted),
    min_bucket_size=st.integers(1, 10),
)
def test_routing_invariants(seed, n, bins, min_bucket_size):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 9, size=(n, 2))
    y = np.round(np.expm1(X[:, 0]) * rng.uniform(0.5, 1.5, n))
    kw = dict(bins=tuple(bins), min_bucket_size=min_bucket_size)
    # a fully grown tree gives one-hot probabilities on distinct rows
    hard = light(**kw).fit(X, y)
    soft = light(routing="soft", **kw).fit(X, y)
    proba = soft.predict_bucket_proba(X)
    assert proba.shape == (n, len(bins) + 1)
    assert_allclose(proba.sum(axis=1), 1.0)
    unseen = np.setdiff1d(np.arange(len(bins) + 1), assign_buckets(y, bins))
    assert_array_equal(proba[:, unseen], 0.0)
    assert set(np.unique(proba)) <= {0.0, 1.0}
    assert_array_equal(soft.predict(X), hard.predict(X))
    # every bucket has a regressor, and clipped hard predictions lie in the bucket range
    assert sorted(hard.regressors_) == list(range(len(bins) + 1))
    clipped = light(clip=True, **kw).fit(X, y)
    X_new = rng.uniform(-2, 11, size=(30, 2))
    pred = clipped.predict(X_new)
    edges = np.array(bins, dtype=float)
    for k, p in zip(clipped.predict_bucket(X_new), pred):
        lower, upper = bucket_range(k, edges)
        assert lower <= p <= upper


# --------------------------------------------------------------------- sample_weight
class _RecordingRidge(Ridge):
    """Ridge that records the weights it was fit with (a sub-estimator, not the SUT)."""

    def fit(self, X, y, sample_weight=None):
        self.seen_weight_ = None if sample_weight is None else np.asarray(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


class _RecordingTree(DecisionTreeClassifier):
    def fit(self, X, y, sample_weight=None, check_input=True):
        self.seen_weight_ = None if sample_weight is None else np.asarray(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def test_sample_weight_reaches_classifier_and_each_regressor():
    X, y = make_likes()
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    model = BucketedRegressor(_RecordingTree(random_state=0), _RecordingRidge()).fit(
        X, y, sample_weight=w
    )
    assert_allclose(model.classifier_.seen_weight_, w)
    b = assign_buckets(y)
    for k in range(7):
        assert_allclose(model.regressors_[k].seen_weight_, w[b == k])
    unweighted = BucketedRegressor(_RecordingTree(), _RecordingRidge()).fit(X, y)
    assert unweighted.classifier_.seen_weight_ is None
    assert unweighted.regressors_[0].seen_weight_ is None


@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_zero_weight_equals_absent_rows(routing):
    X, y = make_likes(300)
    rng = np.random.RandomState(3)
    w = rng.randint(0, 4, len(y)).astype(float)
    # a shallow tree: deterministic, and its leaves give soft (not one-hot) probabilities
    kw = dict(routing=routing, classifier=DecisionTreeClassifier(max_depth=3, random_state=0))
    weighted = light(**kw).fit(X, y, sample_weight=w)
    removed = light(**kw).fit(X[w > 0], y[w > 0], sample_weight=w[w > 0])
    assert_array_equal(weighted.predict(X), removed.predict(X))
    assert_array_equal(weighted.bucket_counts_, removed.bucket_counts_)
    # integer weights act like repeated rows
    repeated = light(**kw).fit(np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int)))
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-4, atol=1e-3)


@pytest.mark.filterwarnings("ignore:BucketedRegressor.*total sample_weight:UserWarning")
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), routing=st.sampled_from(["hard", "soft"]))
def test_zero_weight_rows_never_matter(seed, routing):  # 0.5 weights may warn: same for both
    rng = np.random.RandomState(seed)
    X, y = make_likes(80, seed=seed)
    w = rng.choice([0.0, 0.5, 1.0, 3.0], size=len(y))
    w[rng.randint(len(y))] = 1.0  # at least one positive weight
    y_noise = y.copy()
    y_noise[w == 0] = rng.uniform(0, 1e5, (w == 0).sum())  # whatever the absent rows hold
    kw = dict(
        routing=routing,
        classifier=DecisionTreeClassifier(max_depth=3, random_state=0),
        min_bucket_size=2,
    )
    a = light(**kw).fit(X, y_noise, sample_weight=w)
    b = light(**kw).fit(X[w > 0], y[w > 0], sample_weight=w[w > 0])
    assert_array_equal(a.predict(X), b.predict(X))
    assert a.bucket_fallback_ == b.bucket_fallback_


def _text_model(**params):
    """A model whose sub-estimators read raw text, fitted on 40 short posts: (model, texts)."""
    texts = pd.Series([f"post number {i} about {'cats' if i % 2 else 'dogs'}" for i in range(40)])
    model = BucketedRegressor(
        make_pipeline(TfidfVectorizer(), LogisticRegression()),
        make_pipeline(TfidfVectorizer(), Ridge()),
        bins=(10, 300),
        **params,
    )
    return model.fit(texts, np.arange(40.0) * 20), texts


def test_a_text_step_error_is_not_blamed_on_string_columns():
    # the sub-estimators take text; the real problem (a NaN document) must stay the message
    model, _ = _text_model()
    with pytest.raises(ValueError, match="invalid document") as info:
        model.predict(pd.Series(["a post", np.nan]))
    assert "cannot take the string column" not in str(info.value)


@pytest.mark.parametrize("row", [5, 120])
@pytest.mark.parametrize("value", [2024, None])
@pytest.mark.parametrize("container", [pd.Series, list, np.asarray])
def test_1d_text_with_one_other_value_is_text_wherever_it_stands(row, value, container):
    # a text step that takes numbers and None: the model must pass the column on as text
    # (one int at row 5 of a Series was refused as "not 2-D", at row 120 accepted)
    texts = pd.Series([f"post {i} {'cats' if i % 3 else 'dogs'}" for i in range(150)], dtype=object)
    texts[row] = value
    as_str = FunctionTransformer(lambda docs: [str(d) for d in docs])
    model = BucketedRegressor(
        make_pipeline(as_str, TfidfVectorizer(), LogisticRegression()),
        make_pipeline(as_str, TfidfVectorizer(), Ridge()),
        bins=(100, 1000),
    )
    X = container(list(texts)) if container is not pd.Series else texts
    pred = model.fit(X, np.arange(150.0) * 10).predict(X)
    assert pred.shape == (150,)
    with pytest.raises(ValueError, match="Expected a 2-dimensional container|Expected 2D"):
        model.fit(container([1.0, 2.0, 3.0] * 50), np.arange(150.0))  # numbers are no text


def test_a_string_value_is_named_at_its_row_and_column_of_the_users_X():
    # sub-estimators see a part of X (a bucket's rows, the rows left after zero weights, the
    # selected columns); the message names the row and column of the X the user passed
    X, y = make_likes(n=120, n_features=4)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).astype(object)
    frame.loc[37, "c"] = "ten"
    w = np.ones(len(y))
    w[:20] = 0.0
    at_37 = r"{} .*cannot take the string column\(s\) {} \(row 37: 'ten'\)"
    with pytest.raises(ValueError, match=at_37.format(r"regressors\[\d\]", "'c'")):
        light(classifier_columns=["a"]).fit(frame, y)  # a bucket's rows
    with pytest.raises(ValueError, match=at_37.format("classifier", "'c'")):
        light().fit(frame, y, sample_weight=w)  # the rows left after the zero weights
    with pytest.raises(ValueError, match=at_37.format(r"regressors\[\d\]", "'c'")):
        light(classifier_columns=["a"]).fit(frame, y, sample_weight=w)
    array = X.astype(object)
    array[37, 3] = "ten"
    with pytest.raises(ValueError, match=at_37.format(r"regressors\[\d\]", "3")):
        light(classifier_columns=[0], regressor_columns=[0, 3]).fit(array, y)  # not column 1
    model = light(classifier_columns=[0], regressor_columns=[1, 3]).fit(X, y)
    with pytest.raises(ValueError, match=at_37.format(r"regressors\[\d\]", "3")):
        model.predict(array)
    model = light(classifier_columns=[1, 3]).fit(X, y)
    with pytest.raises(ValueError, match=at_37.format("classifier", "3")):
        model.predict(array)
    # only the column whose value the error names; a Pipeline is not told to become one
    frame.loc[5, "a"] = "n/a"
    encoded = make_pipeline(
        ColumnTransformer([("drop", "drop", ["a"])], remainder="passthrough"), Ridge()
    )
    with pytest.raises(ValueError, match=r"column\(s\) 'c' \(row 37: 'ten'\) in fit") as info:
        light(regressors=encoded, classifier_columns=["b"]).fit(frame, y)
    assert "'a'" not in str(info.value) and "give this step a Pipeline" not in str(info.value)


@pytest.mark.filterwarnings("ignore:X has feature names")  # the frame at predict, as meant
@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_a_sub_estimator_answering_fewer_rows_than_X_is_an_error(routing):
    # TfidfVectorizer given a one-column DataFrame iterates over its column names: one
    # document, one row of predictions, which numpy would spread over every row
    model, texts = _text_model(routing=routing)
    assert model.predict(texts.head(3)).shape == (3,)
    frame = texts.head(3).to_frame("content")
    message = r"classifier .*predict_proba returned 1 row\(s\) for 3 input rows.*give it a Series"
    with pytest.raises(ValueError, match=message):
        model.predict(frame)
    with pytest.raises(ValueError, match=message):
        model.predict_bucket_proba(frame)


class _OneAnswer(RegressorMixin, BaseEstimator):
    """A broken regressor: one prediction whatever the number of rows."""

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        return np.zeros(1)


def test_a_regressor_answering_fewer_rows_than_its_bucket_is_an_error():
    X, y = make_likes(60)
    model = BucketedRegressor(
        DecisionTreeClassifier(random_state=0), [Ridge(), _OneAnswer(), Ridge()], bins=(10, 300)
    ).fit(X, y)
    rows = model.predict_bucket(X) == 1
    assert rows.sum() > 1
    with pytest.raises(
        ValueError, match=rf"regressors\[1\] .* returned 1 row\(s\) for {rows.sum()}"
    ):
        model.predict(X)


def test_sample_weight_errors():
    X, y = make_likes(60)
    with pytest.raises(ValueError, match=r"regressors\[0\] KNeighborsRegressor.*sample_weight"):
        light(regressors=KNeighborsRegressor()).fit(X, y, sample_weight=np.ones(60))
    light(regressors=KNeighborsRegressor()).fit(X, y)  # fine without weights
    with pytest.raises(ValueError, match="zero for every row"):
        light().fit(X, y, sample_weight=np.zeros(60))
    with pytest.raises(ValueError, match="(?i)negative"):
        light().fit(X, y, sample_weight=-np.ones(60))


class _RouterFitFails(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("the router was fitted")


def test_targets_and_weights_beyond_float32_are_refused_naming_the_row():
    # XGBoost and CatBoost (the default regressors) train in float32: 1e39 was infinity there,
    # and fit failed deep inside them ("Label contains NaN, infinity or a value too large",
    # "Weights must be positive values", "Invalid bias[0] : inf")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.round(np.exp(rng.uniform(0, 9, 200)))
    model = BucketedRegressor(LogisticRegression(max_iter=200))
    big_y = y.copy()
    big_y[5] = 1e39
    with pytest.raises(ValueError, match=r"^y must be within float32's range .* row 5 is 1e\+39"):
        clone(model).fit(X, big_y)
    weights = np.ones(200)
    weights[0] = 0.0  # dropped before the check: the row named is still the user's
    with pytest.raises(ValueError, match=r"row 5 is 1e\+39 \(1 such row"):
        clone(model).fit(X, big_y, sample_weight=weights)
    # found before the router's fit (a fine-tuning of minutes), not after it
    with pytest.raises(ValueError, match=r"^y must be within float32's range"):
        BucketedRegressor(_RouterFitFails()).fit(X, big_y)
    squared = clone(model).set_params(target_transform=(np.square, np.sqrt))
    with pytest.raises(ValueError, match=r"after target_transform=.*row 5 is 1e\+40"):
        squared.fit(X, np.where(np.arange(200) == 5, 1e20, y))
    weights[7] = 1e39
    with pytest.raises(ValueError, match=r"^sample_weight must be within .* row 7 is 1e\+39"):
        clone(model).fit(X, y, sample_weight=weights)
    # each weight in range, their products with the likes not: CatBoost's bias was infinity
    last = y > 2500
    total = rf"{np.sum(y[last]) * 1e37:.4g} in bucket 6".replace("+", r"\+")
    with pytest.raises(ValueError, match=rf"^sample_weight times y sums to {total}, beyond"):
        clone(model).fit(X, y, sample_weight=np.full(200, 1e37))
    # inside the range: fitted, finite predictions (weights summing beyond float32 included)
    big_y[5] = 1e37
    fitted = clone(model).fit(X, big_y)
    assert np.isfinite(fitted.predict(X)).all()
    fitted = clone(model).set_params(target_transform="log1p")
    fitted.fit(X, y, sample_weight=np.full(200, 1e36))
    assert np.isfinite(fitted.predict(X)).all()


# --------------------------------------------------------------------- params
def test_nested_params_list_dict_single_and_none():
    model = BucketedRegressor(LogisticRegression(C=2.0), [Ridge(alpha=i + 1.0) for i in range(7)])
    params = model.get_params(deep=True)
    assert params["classifier__C"] == 2.0
    assert params["regressors__3__alpha"] == 4.0
    assert params["regressors__3"] is model.regressors[3]
    assert "regressors__3" not in model.get_params(deep=False)

    held = model.regressors[3]
    model.set_params(regressors__3__alpha=0.25, classifier__C=5.0, routing="soft")
    assert held.alpha == 0.25 and model.classifier.C == 5.0 and model.routing == "soft"
    old_list = model.regressors
    model.set_params(regressors__3=KNeighborsRegressor(n_neighbors=2))
    assert isinstance(model.regressors[3], KNeighborsRegressor)
    assert isinstance(old_list[3], Ridge)  # replaced in a new list
    assert model.get_params()["regressors__3__n_neighbors"] == 2
    # setting regressors and an entry parameter together: regressors first
    model.set_params(regressors__1__alpha=9.0, regressors=[Ridge() for _ in range(7)])
    assert model.regressors[1].alpha == 9.0
    with pytest.raises(ValueError, match="no entry '7'"):
        model.set_params(regressors__7__alpha=1.0)

    as_dict = BucketedRegressor(regressors={0: Ridge(), 3: Ridge(alpha=3.0)})
    assert as_dict.get_params()["regressors__3__alpha"] == 3.0
    as_dict.set_params(regressors__3__alpha=0.5, regressors__0=KNeighborsRegressor())
    assert as_dict.regressors[3].alpha == 0.5
    assert isinstance(as_dict.regressors[0], KNeighborsRegressor)

    single = BucketedRegressor(regressors=Ridge())
    assert single.get_params()["regressors__alpha"] == 1.0
    single.set_params(regressors__alpha=3.0)
    assert single.regressors.alpha == 3.0

    none = BucketedRegressor()
    assert not [k for k in none.get_params(deep=True) if k.startswith("regressors__")]
    for key in ("regressors__0", "regressors__0__max_depth", "classifier__max_depth"):
        with pytest.raises(ValueError, match=rf"'{key}'.*is None .*made in fit"):
            none.set_params(**{key: 1})
    none.set_params(regressors=[Ridge()], regressors__0__alpha=2.0)  # itself first: fine
    assert none.regressors[0].alpha == 2.0
    # as in a grid {"classifier": [...], "classifier__C": [...]}: set together, in any order
    none.set_params(classifier__C=3.0, classifier=LogisticRegression())
    assert none.classifier.C == 3.0


def test_set_params_gives_a_bucket_a_dict_leaves_out_its_regressor():
    """``regressors__3`` on a dict without bucket 3 was refused ("regressors has no entry
    '3'"), so a grid could not try regressors for a bucket left to the seed default; an
    empty dict or list failed with "'dict' object has no attribute 'set_params'"."""
    X, y = make_likes(200)
    model = light(regressors={k: Ridge() for k in (0, 1, 2, 4, 5, 6)})
    model.set_params(regressors__3=KNeighborsRegressor(), regressors__3__n_neighbors=2)
    assert sorted(model.regressors) == list(range(7))
    params = model.get_params()
    assert params["regressors__3"] is model.regressors[3]
    assert params["regressors__3__n_neighbors"] == 2
    cloned = clone(model)
    assert cloned.get_params()["regressors__3__n_neighbors"] == 2
    assert cloned.regressors[3] is not model.regressors[3]
    assert isinstance(cloned.fit(X, y).regressors_[3], KNeighborsRegressor)
    grid = GridSearchCV(
        light(regressors={k: Ridge() for k in (0, 1, 2, 4, 5, 6)}),
        {"regressors__3": [Ridge(), KNeighborsRegressor()]},
        cv=KFold(2),
    ).fit(X, y)
    assert isinstance(grid.best_estimator_.regressors_[3], type(grid.best_params_["regressors__3"]))
    assert isinstance(light(regressors={}).set_params(regressors__3=Ridge()).regressors[3], Ridge)
    with pytest.raises(ValueError, match=r"unknown bucket key\(s\) \[9\]"):  # fit: beyond bins
        light(regressors={}).set_params(regressors__9=Ridge()).fit(X, y)
    # set_params takes it (a grid over bins and regressors__9 together sets a candidate with
    # fewer buckets: refused there, it ended the whole search; refused at fit, it is one
    # failed candidate, scored NaN, and the search goes on)
    with (
        pytest.warns(FitFailedWarning, match=r"unknown bucket key\(s\) \[9\]"),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", "One or more of the test scores are non-finite")
        grid = GridSearchCV(
            light(regressors={}),
            {"bins": [(1, 5), tuple(range(1, 10))], "regressors__9": [Ridge()]},
            cv=KFold(2),
        ).fit(X, y)
    assert grid.best_params_["bins"] == tuple(range(1, 10))

    # what cannot be added says so, naming the entry, and changes nothing
    partial = light(regressors={0: Ridge()})
    with pytest.raises(
        ValueError, match=r"no entry '3' .*seed default.*set_params\(regressors__3="
    ):
        partial.set_params(regressors__3__alpha=2.0, regressors__0__alpha=5.0)
    assert partial.regressors[0].alpha == 1.0
    with pytest.raises(ValueError, match=r"no entry 'x' .*no bucket number.*regressors__3"):
        partial.set_params(regressors__x=Ridge())
    for regs in ([Ridge(), Ridge()], []):
        with pytest.raises(ValueError, match=r"no entry '3': it is a list .*regressors=\[\.\.\.\]"):
            light(regressors=regs).set_params(regressors__3=Ridge())


@pytest.mark.parametrize("container", ["list", "dict"])
def test_clone_and_grid_search_over_bucket_params(container):
    X, y = make_likes(200)
    regs = [Ridge() for _ in range(7)]
    if container == "dict":
        regs = dict(enumerate(regs))
    model = light(regressors=regs, target_transform="log1p")
    cloned = clone(model)
    assert cloned.regressors is not model.regressors
    assert type(cloned.regressors) is type(model.regressors)
    assert cloned.regressors[0] is not model.regressors[0]
    assert cloned.get_params()["regressors__0__alpha"] == 1.0

    grid = GridSearchCV(
        model,
        {"regressors__0__alpha": [1e-3, 1e3], "classifier__max_depth": [2, None]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert set(grid.best_params_) == {"regressors__0__alpha", "classifier__max_depth"}
    assert grid.best_estimator_.regressors_[0].alpha == grid.best_params_["regressors__0__alpha"]
    assert model.regressors[0].alpha == 1.0  # the search never touches the original
    alphas = {
        p["regressors__0__alpha"]: s
        for p, s in zip(grid.cv_results_["params"], grid.cv_results_["mean_test_score"])
        if p["classifier__max_depth"] is None
    }
    assert alphas[1e-3] != alphas[1e3]  # the parameter really reached bucket 0


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.empty((0, 3)), [], "0 sample"),
        (pd.DataFrame({"a": []}), [], "0 sample"),
        (pd.DataFrame(index=range(5)), np.arange(5.0), "0 feature"),
        (np.ones((5, 2)), np.arange(4.0), "X has 5 rows but y has 4"),
        (pd.DataFrame({"a": np.arange(5.0)}), np.arange(6.0), "X has 5 rows but y has 6"),
        (np.ones((4, 2)), [1.0, np.nan, 3.0, 4.0], r"NaN.*row 1"),
        (np.ones((4, 2)), [1.0, 2.0, -3.0, 4.0], r"non-negative.*row 2"),
        (np.ones((4, 2)), None, "requires y"),
    ],
)
def test_bad_X_y(X, y, match):
    with pytest.raises(ValueError, match=match):
        light().fit(X, y)


def test_string_columns_the_sub_estimators_cannot_take():
    X, y = make_likes(60)
    df = pd.DataFrame({"x0": X[:, 0], "user": ["cnn"] * 30 + ["bbc"] * 30})
    with pytest.raises(ValueError, match=r"classifier .*'user' \(row 0: 'cnn'\)"):
        light().fit(df, y)
    with pytest.raises(ValueError, match=r"regressors\[\d\] Ridge.*'user'"):
        light(
            classifier=make_pipeline(
                ColumnTransformer([("n", "passthrough", ["x0"])]), DecisionTreeClassifier()
            )
        ).fit(df, y)
    obj = np.column_stack([X[:, 0], np.array(["a"] * 60, dtype=object)]).astype(object)
    with pytest.raises(ValueError, match=r"column\(s\) 1 \(row 0: 'a'\)"):
        light().fit(obj, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(bins=(10, 100, 50)), r"strictly increasing; bins\[2\]=50"),
        (dict(bins=(10, 10)), "strictly increasing"),
        (
            dict(regressors={0: Ridge(), 7: Ridge(), "x": Ridge()}),
            r"unknown bucket key\(s\) \[7, 'x'\]",
        ),
        (dict(regressors={-1: Ridge()}), r"unknown bucket key\(s\) \[-1\]"),
        (dict(regressors=[Ridge()] * 3), "3 entries but .* gives 7 buckets"),
        (dict(regressors=[Ridge()] * 6 + ["ridge"]), r"regressors\[6\] must be an estimator"),
        (dict(routing="medium"), "routing"),
        (dict(min_bucket_size=0), "min_bucket_size"),
        (dict(classifier=Ridge), "classifier"),
    ],
)
def test_bad_parameters(params, match):
    X, y = make_likes(40)
    with pytest.raises(ValueError, match=match):
        light(**params).fit(X, y)


def test_predict_before_fit_and_after_failed_refit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        light().predict(np.ones((2, 3)))
    X, y = make_likes(60)
    model = light().fit(X, y)
    df = pd.DataFrame({"x0": X[:, 0], "user": ["cnn"] * 60})
    with pytest.raises(ValueError, match="'user'"):
        model.fit(df, y)
    # no stale mix of the old fit and the new input: the model reports itself unfitted
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="sample_weight"):
        light().fit(X, y, sample_weight=np.ones(59))


@pytest.mark.parametrize(
    "params",
    [
        {"bins": (10, 100)},  # 7 regressors given for 3 buckets
        {"bins": (100, 10)},
        {"target_transform": (np.log1p,)},
        {"classifier": "tree"},
    ],
    ids=["regressors-for-bins", "unsorted-bins", "one-function", "not-an-estimator"],
)
def test_a_refit_refused_on_its_parameters_leaves_no_old_fit(params):
    from sklearn.exceptions import NotFittedError

    X, y = make_likes(60)
    model = light(regressors=[Ridge() for _ in range(7)]).fit(X, y)
    model.set_params(**params)
    with pytest.raises(ValueError):
        model.fit(X[:, :1], y)
    # the old 7-bucket fit on 3 columns must not answer for the new parameters
    with pytest.raises(NotFittedError):
        model.predict(X)


# --------------------------------------------------------------------- defaults
@pytest.fixture(scope="module")
def seed_default_model(tmp_path_factory):
    """BucketedRegressor with the seed defaults, fit once (in an empty working folder)."""
    pytest.importorskip("xgboost")
    pytest.importorskip("catboost")
    workdir = tmp_path_factory.mktemp("seed_defaults")
    X, y = make_likes(420, seed=5)
    model = BucketedRegressor(random_state=0, routing="soft", target_transform="log1p")
    # one thread: spin-waiting OpenMP pools are very slow on a shared, busy machine
    with pytest.MonkeyPatch.context() as mp, threadpool_limits(1):
        mp.chdir(workdir)
        model.fit(X, y)
    return model, X, y, workdir


def test_seed_defaults_are_quiet_and_write_no_files(seed_default_model):
    from catboost import CatBoostRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier
    from xgboost import XGBRegressor

    model, X, y, workdir = seed_default_model
    assert isinstance(model.classifier_, HistGradientBoostingClassifier)
    kinds = [type(model.regressors_[k]) for k in range(7)]
    assert kinds == [XGBRegressor, XGBRegressor] + [CatBoostRegressor] * 3 + [XGBRegressor] * 2
    cat = model.regressors_[3].get_params()
    assert cat["verbose"] == 0 and cat["allow_writing_files"] is False
    assert model.regressors_[0].get_params()["verbosity"] == 0
    assert list(workdir.iterdir()) == []  # no catboost_info/ or other files
    assert model.score(X, y) > 0.5


def _by_hand(model, X, columns=None):
    """Predictions of a fitted BucketedRegressor computed from its parts, each regressor
    called on its rows of the DataFrame ``X`` (what predict did before it handed XGBoost and
    CatBoost one array of a float frame's values)."""
    proba = model.predict_bucket_proba(X)
    X_reg = X if columns is None else X[columns]
    out = np.zeros(len(X))
    same = np.asarray  # no target_transform
    forward, inverse = model._target_funcs_ or (same, same)  # log1p, expm1 clipped at 0
    for k in range(model.n_buckets_):
        rows = np.flatnonzero(proba[:, k] > 0)
        if not rows.size:
            continue
        raw = inverse(np.asarray(model.regressors_[k].predict(X_reg.iloc[rows]), dtype=float))
        if model.routing == "hard":
            chosen = np.flatnonzero(proba[rows].argmax(axis=1) == k)
            out[rows[chosen]] = raw[chosen]
        elif model.soft_average == "transformed":
            out[rows] += proba[rows, k] * forward(raw)
        else:
            out[rows] += proba[rows, k] * raw
    if model.routing == "soft" and model.soft_average == "transformed":
        out = np.asarray(inverse(out), dtype=float)
    return out


@pytest.mark.parametrize("routing", ["soft", "hard"])
@pytest.mark.parametrize("kind", ["float", "float32", "an int column", "columns subset"])
def test_default_regressors_on_a_float_frame_predict_as_on_the_frame_itself(
    seed_default_model, routing, kind
):
    """predict converts a frame of float columns once to an array for the XGBoost and
    CatBoost regressors (they rebuilt it column by column per call: 75% of the seed
    pipeline's serving time); the values must be those of each regressor on the frame."""
    _, X, y, workdir = seed_default_model
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    if kind == "float32":
        frame = frame.astype("float32")
    elif kind == "an int column":
        frame["c"] = (frame["c"] * 10).astype("int64")  # the frame stays a frame
    columns = ["c", "a"] if kind == "columns subset" else None
    model = BucketedRegressor(
        random_state=0,
        routing=routing,
        target_transform="log1p",
        soft_average="transformed" if routing == "soft" else "raw",
        regressor_columns=columns,
    )
    with pytest.MonkeyPatch.context() as mp, threadpool_limits(1):
        mp.chdir(workdir)
        model.fit(frame, y)
        seen = []
        for reg in {id(r): r for r in model.regressors_.values()}.values():
            real = reg.predict
            reg.predict = lambda X, real=real: seen.append(type(X)) or real(X)
        got = model.predict(frame)
        handed = set(seen)
        seen.clear()
        per_bucket = model.predict_per_bucket(frame)  # the same way in
        for reg in model.regressors_.values():
            reg.__dict__.pop("predict", None)
        # the array the speed-up hands over, or the frame itself (not all float columns)
        assert handed == set(seen) == ({pd.DataFrame} if kind == "an int column" else {np.ndarray})
        X_reg = frame if columns is None else frame[columns]
        by_hand = [model.regressors_[k].predict(X_reg) for k in range(model.n_buckets_)]
        np.testing.assert_array_equal(per_bucket, model._target_funcs_[1](np.column_stack(by_hand)))
        expected = _by_hand(model, frame, columns)
        np.testing.assert_array_equal(got, expected)
        one = model.predict(frame.iloc[[7]])
    assert one[0] == got[7]
    with pytest.raises(ValueError, match="feature names"):  # names are still checked
        model.predict(frame[frame.columns[::-1]])


def test_a_category_column_given_as_floats_is_refused_as_xgboost_refuses_it():
    """An XGBoost regressor fitted on a category column was handed an array of float codes
    (the float-frame speed-up) and read them as categories: wrong likes, no error."""
    xgboost = pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    shop = rng.choice([101, 202, 303, 404, 505], size=300)
    X = pd.DataFrame({"a": rng.normal(size=300), "shop": pd.Categorical(shop)})
    y = np.expm1(np.clip(shop / 80 + X["a"].to_numpy(), 0, 9)).round()
    reg = xgboost.XGBRegressor(n_estimators=10, enable_categorical=True, n_jobs=1)
    with threadpool_limits(1):
        model = light(regressors=reg, routing="soft").fit(X, y)
        model.predict(X)  # as categories: fine
        floats = X.assign(shop=X["shop"].astype("float64"))
        with pytest.raises(ValueError, match="data type doesn't match"):
            reg.fit(X, y).predict(floats)  # what XGBoost itself says
        with pytest.raises(ValueError, match="data type doesn't match"):
            model.predict(floats)


def test_a_text_column_for_the_regressors_of_a_model_fitted_on_a_frame_predicts():
    """regressor_columns naming one text column hands the regressors a 1-D Series: the
    float-frame check read its shape[1] and every predict failed with an IndexError."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"text": [f"word{i % 7} other{i % 3}" for i in range(120)], "a": rng.normal(size=120)}
    )
    y = rng.integers(0, 3000, 120).astype(float)
    model = light(
        regressors=make_pipeline(TfidfVectorizer(), Ridge()),
        classifier_columns=["a"],
        regressor_columns="text",
    ).fit(X, y)
    assert hasattr(model, "feature_names_in_")
    got = model.predict(X)
    chosen = model.predict_bucket(X)
    for k in np.unique(chosen):
        rows = chosen == k
        np.testing.assert_allclose(got[rows], model.regressors_[k].predict(X["text"][rows]))


def test_a_gblinear_xgboost_regressor_keeps_the_frame():
    """gblinear predicts through a DMatrix, which checks feature names: the float-frame
    array made every predict fail ('data did not contain feature names')."""
    xgboost = pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = rng.integers(0, 3000, 200).astype(float)
    reg = xgboost.XGBRegressor(n_estimators=5, booster="gblinear", n_jobs=1)
    with threadpool_limits(1):
        model = light(regressors=reg, bins=[10, 1000]).fit(X, y)
        got = model.predict(X.iloc[:5])
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got, _by_hand(model, X.iloc[:5]))


def test_fit_shows_a_progress_bar_over_the_router_and_the_buckets_when_asked(capsys):
    """The regressors' fit of the seed pipeline on 15,000 posts ran minutes without a word,
    though the README says every long step shows a bar."""
    X, y = make_likes(200, seed=1)
    light(progress=True).fit(X, y)
    err = capsys.readouterr().err
    assert "BucketedRegressor fit" in err and "/8" in err  # the classifier + 7 buckets
    assert "model/s" in err  # it counts models fitted
    light(progress=None).fit(X, y)  # stderr is not a terminal under pytest
    light(progress=False).fit(X, y)
    assert "BucketedRegressor fit" not in capsys.readouterr().err


def test_a_fit_in_a_log_writes_lines_without_a_time_to_go(capsys):
    """In a log (skbucket.pipeline.progress_lines) a line of the fit's progress stays: after
    an hour's fine-tuning of the router, its "about 7 h to go" for seven regressors of
    seconds each would have been wrong for good, so it gives none."""
    from skbucket.pipeline import progress_lines

    X, y = make_likes(200, seed=1)
    with progress_lines(every=0):
        light().fit(X, y)
    lines = [line for line in capsys.readouterr().err.splitlines() if "BucketedRegressor" in line]
    assert len(lines) == 8 and lines[0].startswith("BucketedRegressor fit: 1 of 8 models (12%), ")
    assert lines[-1].startswith("BucketedRegressor fit: 8 of 8 models (100%), ")
    assert not any("to go" in line for line in lines)


def test_a_model_pickled_before_the_progress_parameter_loads_with_its_default():
    X, y = make_likes(120, seed=2)
    model = light().fit(X, y)
    expected = model.predict(X)
    del model.__dict__["progress"]  # as a 0.3.0 build pickled it
    twin = pickle.loads(pickle.dumps(model))
    assert twin.get_params()["progress"] is None
    assert "progress" not in repr(twin)
    np.testing.assert_array_equal(twin.predict(X), expected)
    clone(twin).fit(X, y)


def test_partial_dict_keeps_seed_defaults_stretched_over_other_bins():
    from catboost import CatBoostRegressor
    from xgboost import XGBRegressor

    X, y = make_likes(200, seed=4)
    model = BucketedRegressor(regressors={1: Ridge()}, bins=(10, 100, 300), random_state=0)
    with threadpool_limits(1):
        model.fit(X, y)
    kinds = [type(model.regressors_[k]) for k in range(4)]
    assert kinds == [XGBRegressor, Ridge, CatBoostRegressor, XGBRegressor]


def test_import_is_light():
    code = (
        "import sys, skbucket.bucketed; "
        "bad = [m for m in ('torch', 'transformers', 'xgboost', 'catboost') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------- persistence
def _predict_in_fresh_process(model, X, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(
        f"""
        import joblib, numpy as np
        model = joblib.load({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "pred.npy")!r}, model.predict(X))
        np.save({str(tmp_path / "proba.npy")!r}, model.predict_bucket_proba(X))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "123", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, env=env)
    return np.load(tmp_path / "pred.npy"), np.load(tmp_path / "proba.npy")


def test_joblib_round_trip_in_fresh_process(tmp_path):
    X, y = make_likes(420, seed=5)
    model = light(clip=True, regressors=[Ridge(alpha=a) for a in range(1, 8)]).fit(X, y)
    pred, proba = _predict_in_fresh_process(model, X, tmp_path)
    assert_array_equal(pred, model.predict(X))
    assert_array_equal(proba, model.predict_bucket_proba(X))


def test_joblib_round_trip_seed_defaults_in_fresh_process(seed_default_model, tmp_path):
    model, X, _, _ = seed_default_model
    pred, proba = _predict_in_fresh_process(model, X, tmp_path)
    assert_array_equal(pred, model.predict(X))
    assert_array_equal(proba, model.predict_bucket_proba(X))


# --------------------------------------------------------------------- repr
@pytest.mark.parametrize(
    "regressors", [None, Ridge(), [Ridge(alpha=a) for a in range(1, 8)], {3: Ridge()}]
)
def test_html_repr_shows_router_and_buckets(regressors):
    model = BucketedRegressor(DecisionTreeClassifier(), regressors)
    html = model._repr_html_()
    assert "classifier: hard routing" in html
    if isinstance(regressors, list):
        assert "bucket 3: (300, 500]" in html and "bucket 6: &gt; 2500" in html
    X, y = make_likes(120)
    if regressors is None or isinstance(regressors, dict):
        return  # fitting would build the seed defaults: covered elsewhere
    html = model.fit(X, y)._repr_html_()
    assert "bucket 0: &lt;= 10" in html and "DecisionTreeClassifier" in html


def test_html_repr_writes_each_edge_as_the_report_does():
    """The diagram wrote edges with :g: (1e+06, 1e+06] for two buckets cut at 1,000,000 and
    1,000,001, and 1.23457e+06 where the report and the displays say 1234567."""
    three = [Ridge(), Ridge(), Ridge()]
    html = BucketedRegressor(DecisionTreeClassifier(), three, bins=(2.5, 1234567))._repr_html_()
    assert "bucket 1: (2.5, 1234567]" in html and "bucket 2: &gt; 1234567" in html
    html = BucketedRegressor(Ridge(), three, bins=(1_000_000, 1_000_001))._repr_html_()
    assert "bucket 1: (1000000, 1000001]" in html


def _copied_parameter_names(html):
    """What each copy button of scikit-learn's diagram copies: its block's data-param-prefix
    + the parameter's name (the button follows the opening of its block)."""
    prefix, names = "", []
    for match in re.finditer(r'data-param-prefix="([^"]*)"|copyToClipboard\(\'([^\']+)\'', html):
        if match[1] is not None:
            prefix = match[1]
        else:
            names.append(prefix + match[2])
    return names


@pytest.mark.parametrize(
    "regressors",
    [
        Ridge(),
        [Ridge(alpha=float(k + 1)) for k in range(7)],
        {0: Ridge(), 6: KNeighborsRegressor()},
    ],
)
def test_the_diagrams_copy_buttons_copy_names_set_params_takes(regressors):
    """The copy button of a parameter in the notebook diagram copied names such as
    "classifier (soft routing)__max_depth" and "bucket 0__alpha", which set_params refuses."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_likes(300)
    model = make_pipeline(
        StandardScaler(), BucketedRegressor(DecisionTreeClassifier(random_state=0), regressors)
    )
    for fitted in (False, True):
        if fitted:
            model.fit(X, y)
        names = _copied_parameter_names(model._repr_html_())
        assert any(n.startswith("bucketedregressor__regressors") for n in names), names
        valid = model.get_params(deep=True)
        # a bucket a dict leaves out gets a seed default, made at fit: no parameter path (nor
        # has bucket 6, with 4 rows, which borrows bucket 5's default)
        defaults = {f"bucket {k}" for k in range(7) if isinstance(regressors, dict)} - {"bucket 0"}
        invalid = {n.split("__")[1] for n in names if n not in valid}
        assert invalid <= (defaults if fitted else set()), (fitted, invalid)
        if fitted and not isinstance(regressors, dict):  # bucket 6 borrows bucket 5's
            assert "bucket 6: &gt; 2500, with bucket 5&#x27;s regressor" in model._repr_html_()
        value = {n: v for n, v in valid.items() if n.endswith("__classifier__max_depth")}
        assert value and model.set_params(**dict.fromkeys(value, 3))


def test_the_diagram_of_the_default_classifier_copies_no_classifier_path():
    """classifier=None: the fitted default's block was named "classifier: ...", so its copy
    button gave classifier__max_iter, which set_params refuses (classifier is None)."""
    X, y = make_likes(300)
    model = BucketedRegressor(regressors=Ridge(), random_state=0).fit(X, y)
    names = _copied_parameter_names(model._repr_html_())
    assert not [n for n in names if n.startswith("classifier__")], names
    assert "hard routing (the default classifier)" in model._repr_html_()
    mine = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge()).fit(X, y)
    copied = [n for n in _copied_parameter_names(mine._repr_html_()) if "max_depth" in n]
    assert copied == ["classifier__max_depth"] and mine.set_params(classifier__max_depth=2)


def test_the_diagram_names_an_estimator_class_given_for_an_instance():
    """A forgotten () (classifier=DecisionTreeClassifier) crashed the notebook's diagram with
    "_get_doc_link() missing 1 required positional argument: 'self'"."""
    from skbucket.routing import AccountRouter

    for model in (
        BucketedRegressor(classifier=DecisionTreeClassifier),
        BucketedRegressor(regressors=[Ridge, Ridge()], bins=(5,)),
        AccountRouter(known=DecisionTreeClassifier, unseen=DecisionTreeClassifier()),
    ):
        page = model._repr_html_()
        assert "(a class, not an instance:" in page, model


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"regressors": LinearRegression}, "regressors must"),
        ({"regressors": [Ridge(), Ridge]}, r"regressors\[1\] must"),
        ({"regressors": {0: Ridge}}, r"regressors\[0\] must"),
        ({"classifier": DecisionTreeClassifier}, "classifier must"),
    ],
)
def test_fit_says_how_to_make_an_instance_of_a_class_given_for_one(params, where):
    """A forgotten () as the regressors gave "TypeError: 'ABCMeta' object is not iterable"
    (the class passed the parameter check and was read as a dict); in a list it printed
    "<class '...'>" without saying what to write."""
    X, y = np.random.default_rng(0).random((40, 2)), np.arange(40.0)
    model = BucketedRegressor(**{"bins": (5,), **params})
    with pytest.raises(ValueError, match=where + r".*got the class \w+ \(write \w+\(\)\)"):
        model.fit(X, y)


@pytest.mark.parametrize("columns", [["zz"], ["a", "zz"], "zz"])
def test_an_unknown_column_to_select_is_named(columns):
    """The message ended in pandas' "None of [Index(['zz'], dtype='str')] are in the
    [columns]"."""
    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0)})
    for param in ("classifier_columns", "regressor_columns"):
        with pytest.raises(ValueError, match=r"\(X has \['a', 'b'\]\): \['zz'\] not in X$"):
            BucketedRegressor(bins=(5,), **{param: columns}).fit(X, X["a"])


@pytest.mark.parametrize(
    "value", [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-01", tz="UTC"), pd.Timedelta(1)]
)
@pytest.mark.parametrize("regressor", [None, Ridge()])
def test_a_date_column_is_named_with_what_to_do(value, regressor):
    """numpy's "DTypePromotionError: The DType <class 'numpy.dtypes.DateTime64DType'> could
    not be promoted by <class 'numpy.dtypes.Float64DType'>" (and "float() argument must be a
    string or a real number, not 'Timestamp'") named no column."""
    X = pd.DataFrame({"a": np.arange(40.0), "when": value, "text": "x"})
    kwargs = {} if regressor is None else {"classifier_columns": ["a"], "regressors": regressor}
    with pytest.raises(
        ValueError, match=r"cannot take the date/time column\(s\) 'when' \(.*PostFeatures"
    ):
        BucketedRegressor(bins=(5,), **kwargs).fit(X.drop(columns="text"), X["a"])
    # beside a string column: numpy fails on the date first, and says so
    with pytest.raises(ValueError, match=r"cannot take the date/time column\(s\) 'when'"):
        BucketedRegressor(bins=(5,), **kwargs).fit(X, X["a"])


@pytest.mark.parametrize(
    ("other", "said"), [(pd.Period("2020-01"), "Period"), ("no timestamp", "'no timestamp'")]
)
def test_a_date_column_a_step_drops_is_not_blamed_for_another_failure(other, said):
    """The date/time message fired on any conversion error while X held a date column: a
    Pipeline dropping the date column and failing on a Period column, or on a text holding
    the word "timestamp", blamed the date."""
    from sklearn.compose import make_column_transformer

    X = pd.DataFrame({"a": np.arange(40.0), "when": pd.Timestamp("2020-01-01"), "p": other})
    drop_date = make_pipeline(
        make_column_transformer(("drop", ["when"]), remainder="passthrough"), Ridge()
    )
    model = BucketedRegressor(bins=(5,), classifier_columns=["a"], regressors=drop_date)
    with pytest.raises(Exception) as info:
        model.fit(X, X["a"])
    assert "date/time column" not in str(info.value)
    assert said in str(info.value)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (["1", "a", "2"], r"sample_weight must hold numbers; row 1 is 'a'\.$"),
        ([1.0, 1.0], r"sample_weight has 2 values for 3 rows of X; give one weight per row\.$"),
        ([[1.0], [1.0], [1.0]], r"sample_weight must be 1-D, one weight per row; got shape"),
        ([1.0, np.inf, 1.0], r"sample_weight must be finite; row 1 has inf"),
        (pd.Series([1, None, 1], dtype="Int64"), r"sample_weight must be finite; row 1 has nan"),
        (pd.Series([1, None, 1], dtype=object), r"must be finite; row 1 is missing \(None\)"),
        (pd.Series([True, None, True], dtype="boolean"), r"row 1 is missing \(<NA>\)"),
        ([1.0, 1.0, -2.0], r"sample_weight must be 0 or more; row 2 is -2\.0 \(1 negative"),
        # booleans were read as weights 1 and 0: a mask dropped the other rows without a word
        (np.array([True, False, True]), r"not booleans; row 0 is True\. .*mask\.astype"),
        (pd.Series([1.0, 2.0, False], dtype=object), r"not booleans; row 2 is False\."),
        (pd.Series([True, False, True], dtype="boolean"), r"not booleans; row 0 is True\."),
        (True, r"^sample_weight must hold numbers, not booleans; got True\."),
        ("2", r"^sample_weight must be a number .* or one weight per row; got '2'\.$"),
    ],
)
def test_bad_sample_weight_names_the_row(weights, message):
    """scikit-learn's own: "could not convert string to float: 'a'", "sample_weight.shape ==
    (2,), expected (3,)!", "Input sample_weight contains NaN." and "Negative values in data
    passed to `sample_weight`", none naming the row."""
    X, y = np.arange(6.0).reshape(3, 2), np.array([1.0, 50.0, 500.0])
    model = BucketedRegressor(DummyClassifier(), DummyRegressor(), bins=(10,), min_bucket_size=1)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, sample_weight=weights)
    assert model.fit(X, y, sample_weight=["1", "2.5", 3]).predict(X).shape == (3,)


_MASK = "To weigh the rows of a mask 1 and the others 0, pass mask.astype(float)."


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (True, f"sample_weight must hold numbers, not booleans; got True. {_MASK}"),
        (np.bool_(False), f"sample_weight must hold numbers, not booleans; got False. {_MASK}"),
        (np.array([True, False, True]), f"must hold numbers, not booleans; row 0 is True. {_MASK}"),
        (
            np.array([True, False]),
            "sample_weight has 2 values for 3 rows of X; give one weight per row.",
        ),
        (pd.Series([1.0, 2.0, False], dtype=object), f"not booleans; row 2 is False. {_MASK}"),
        (pd.Series([True, None, 1.0], dtype=object), "must be finite; row 1 is missing (None)."),
        (np.array([1.0, True, "a"], dtype=object), f"not booleans; row 1 is True. {_MASK}"),
        (np.array([1.0, "a", True], dtype=object), f"not booleans; row 2 is True. {_MASK}"),
        (pd.Series([True, False, True], dtype="boolean"), f"not booleans; row 0 is True. {_MASK}"),
        (
            pd.Series([True, None, True], dtype="boolean"),
            "must be finite; row 1 is missing (<NA>).",
        ),
        (pd.DataFrame({"w": [1.0, False, 2.0]})["w"], f"not booleans; row 1 is False. {_MASK}"),
        (np.ones((3, 1), dtype=bool), "sample_weight must be 1-D, one weight per row; got shape"),
        # numpy made the True a number 1: the same weights as an object Series were refused
        ([2, True, 0], f"not booleans; row 1 is True. {_MASK}"),
        ((0.5, 1.5, np.False_), f"not booleans; row 2 is False. {_MASK}"),
    ],
)
def test_boolean_weights_are_refused_in_one_check(weights, message):
    """_check_weights refuses booleans in one check (it called _refuse_boolean_weights at
    three points): each message, and which problem is said first (the length, a missing
    cell), is as before."""
    from skbucket._subestimators import _check_weights

    with pytest.raises(ValueError) as info:
        _check_weights(weights, np.zeros((3, 2)))
    assert str(info.value).endswith(message) or str(info.value).startswith(message)


def test_1d_numbers_are_refused_without_printing_them():
    """scikit-learn's "Expected 2D array, got 1D array instead: array=[0.5 0.1 ..." printed
    every value: 10,000 numbers for one forgotten reshape."""
    from skbucket.routing import AccountRouter

    X = np.random.default_rng(0).random((10_000, 1))
    model = BucketedRegressor(DummyClassifier(), DummyRegressor(), bins=(0.5,)).fit(X, X[:, 0])
    router = AccountRouter(DummyClassifier(), DummyClassifier(), count_column=0)
    for call in (
        lambda: model.predict(X[:, 0]),
        lambda: model.predict(list(X[:, 0])),
        lambda: BucketedRegressor(bins=(0.5,)).fit(X[:, 0], X[:, 0]),
        lambda: router.fit(X[:, 0], X[:, 0] > 0.5),
    ):
        with pytest.raises(ValueError, match=r"^Expected 2D array, got 1D array instead: X has "):
            call()
        try:
            call()
        except ValueError as exc:
            assert len(str(exc)) < 400 and "(10000,)" in str(exc)
    # 1-D input is texts to a text classifier: one without any was told to reshape it
    for no_text in (pd.Series([None, None]), pd.Series([pd.NA, pd.NA], dtype="string")):
        with pytest.raises(ValueError, match=r"X is 1-D, .* none of its 2 values is a str"):
            model.predict(no_text)


def test_duplicate_column_names_are_refused_with_their_names():
    """narwhals' "DuplicateError: Expected unique column names, got: - 'a' 2 times"."""
    X = pd.DataFrame(np.random.default_rng(0).random((40, 3)), columns=["a", "b", "a"])
    message = r"^X has duplicate column names \['a'\]; column names must be unique\.$"
    with pytest.raises(ValueError, match=message):
        BucketedRegressor(bins=(0.5,)).fit(X, X.iloc[:, 1])
    fitted = BucketedRegressor(bins=(0.5,)).fit(X.set_axis(["a", "b", "c"], axis=1), X.iloc[:, 1])
    with pytest.raises(ValueError, match=message):
        fitted.predict(X)


@pytest.mark.parametrize(
    ("n", "kinds"),
    [
        (1, "x"),
        (3, "xcx"),
        (5, "xcccx"),  # 1.5 and 4.5 round to the even neighbour: not int()'s "xxccx"
        (7, "xxcccxx"),
        (10, "xxxccccxxx"),
    ],
)
def test_seed_regressors_stretch_the_seed_pattern_over_other_bucket_counts(n, kinds):
    """The seed's XGBoost-at-the-ends, CatBoost-in-the-middle pattern over n buckets, pinned
    (the docstring's "stretched"), so a change of rounding shows here, not as new scores."""
    from skbucket.bucketed import seed_regressors

    got = "".join(type(r).__name__[0].lower() for r in seed_regressors(n))
    assert got == kinds


def test_seed_regressors_refuses_a_bucket_count_that_is_not_a_positive_int():
    from skbucket.bucketed import seed_regressors

    assert [type(r).__name__ for r in seed_regressors(2)] == ["XGBRegressor", "XGBRegressor"]
    for bad in (0, -2, 2.5, True, "7"):
        with pytest.raises(ValueError, match="n_buckets must be a positive int"):
            seed_regressors(bad)


class _LabelInventor(BaseEstimator):
    """A classifier without predict_proba whose predict answers a label not in classes_."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), 99)


def test_a_classifier_predicting_a_label_outside_its_classes_is_named():
    X, y = make_likes()
    model = light(classifier=_LabelInventor()).fit(X, y)
    with pytest.raises(ValueError, match=r"classifier _LabelInventor\(\)\.predict returned 99"):
        model.predict(X)


# --------------------------------------------------------------------- audit of this module
def test_params_set_after_fit_are_validated_at_predict():
    """A typo set on a fitted model is fit's error, not a silent change of answer."""
    X, y = make_likes(200)
    model = light().fit(X, y)
    for bad in ({"routing": "Soft"}, {"soft_average": "log"}, {"clip": "no"}):
        model.set_params(**bad)
        for method in (model.predict, model.predict_bucket_proba):
            with pytest.raises(ValueError, match=f"'{next(iter(bad))}' parameter"):
                method(X[:3])
        model.set_params(routing="hard", soft_average="transformed", clip=False)
    soft = light(routing="soft", classifier=LogisticRegression(max_iter=500)).fit(X, y)
    hard = light(classifier=LogisticRegression(max_iter=500)).fit(X, y)
    switched = hard.set_params(routing="soft").predict(X)  # a valid value set after fit works
    assert_allclose(switched, soft.predict(X))
    assert not np.allclose(switched, hard.set_params(routing="hard").predict(X))


def test_a_regressor_given_as_classifier_is_refused_at_fit():
    from sklearn.tree import DecisionTreeRegressor
    from xgboost import XGBRegressor

    X, y = make_likes(80)
    for reg in (DecisionTreeRegressor(), XGBRegressor(n_estimators=2)):
        with pytest.raises(ValueError, match="must be a classifier .* got the regressor"):
            BucketedRegressor(reg, Ridge()).fit(X, y)

    class NoClasses(BaseEstimator):  # neither tagged a regressor nor with classes_
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    with pytest.raises(ValueError, match="NoClasses.* has no classes_ after fit"):
        BucketedRegressor(NoClasses(), Ridge()).fit(X, y)


def test_a_classifier_refusing_labels_with_gaps_names_the_empty_buckets():
    from xgboost import XGBClassifier

    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    router = XGBClassifier(n_estimators=3, n_jobs=1)
    gaps = np.array([1, 50, 200, 3000] * 10, dtype=float)  # buckets 0, 1, 2, 6
    with pytest.raises(ValueError, match=r"bucket\(s\) \[3, 4, 5\] have no training rows"):
        BucketedRegressor(router, Ridge()).fit(X, gaps)
    # another refusal, beside the same gaps, is not blamed on them
    frame = pd.DataFrame({"a": X[:, 0], "brand": ["nike", "adidas"] * 20})
    with pytest.raises(ValueError, match="string column") as caught:
        BucketedRegressor(DecisionTreeClassifier(), Ridge()).fit(frame, gaps)
    assert "no training rows" not in str(caught.value)
    no_gap = np.array([1, 50, 200, 400] * 10, dtype=float)  # buckets 0..3: XGBoost takes it
    assert BucketedRegressor(router, Ridge()).fit(X, no_gap).predict(X).shape == (40,)


def test_class_weights_of_buckets_without_training_rows_are_left_out():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = np.array([1, 50, 200, 400] * 10, dtype=float)  # buckets 0..3; none in 4..6
    weights = {0: 1.0, 6: 3.0}  # what a CV fold without the top bucket meets
    for router in (
        HistGradientBoostingClassifier(class_weight=weights, max_iter=5),
        make_pipeline(StandardScaler(), DecisionTreeClassifier(class_weight=weights)),
    ):
        # before: "The classes, [1, 2, 3], are not in class_weight" from scikit-learn
        model = BucketedRegressor(router, Ridge()).fit(X, y)
        fitted = model.classifier_.get_params(deep=True)
        key = next(k for k in fitted if k.endswith("class_weight"))
        assert fitted[key] == {0: 1.0}
        assert router.get_params(deep=True)[key] == weights  # the user's estimator unchanged


@pytest.mark.parametrize("inside_a_router", [False, True])
def test_hgb_class_weights_stay_on_their_bucket_when_a_bucket_below_is_empty(inside_a_router):
    """scikit-learn's HistGradientBoostingClassifier numbers the classes 0 .. n-1 before it
    reads a dict class_weight: with bucket 1 empty, the weight given to bucket 2 landed on
    bucket 3 (silently), and {0: 1, 6: 3} on buckets [0, 1, 6] failed the fit. A class
    weight must act as the same weight given to that bucket's rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skbucket.routing import AccountRouter

    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    y = np.r_[rng.randint(0, 11, 100), rng.randint(101, 301, 100), rng.randint(301, 501, 100)]
    buckets = assign_buckets(y)
    assert sorted(set(buckets.tolist())) == [0, 2, 3]

    def model(class_weight):
        hgb = HistGradientBoostingClassifier(class_weight=class_weight, max_iter=5, random_state=0)
        if inside_a_router:  # the default pipeline's hybrid: HGB for known accounts
            hgb = AccountRouter(hgb, DecisionTreeClassifier(random_state=0), count_column=0)
        return BucketedRegressor(hgb, Ridge())

    X = np.column_stack([np.full(300, 5.0), X])  # count column 0: every account known
    weighted = model({2: 50.0}).fit(X, y).predict_bucket_proba(X)
    by_rows = model(None).fit(X, y, sample_weight=np.where(buckets == 2, 50.0, 1.0))
    np.testing.assert_allclose(weighted, by_rows.predict_bucket_proba(X))
    assert weighted.mean(axis=0).argmax() == 2
    gap = np.r_[y[:100], rng.randint(2501, 5000, 100)]  # buckets [0, 6]
    top = model({0: 1.0, 6: 3.0}).fit(X[:200], gap).predict_bucket_proba(X[:200])
    by_rows = model(None).fit(X[:200], gap, sample_weight=np.r_[np.ones(100), np.full(100, 3.0)])
    np.testing.assert_allclose(top, by_rows.predict_bucket_proba(X[:200]))


@pytest.mark.parametrize("search", ["grid", "randomized", "in a pipeline", "an array"])
def test_class_weights_a_search_router_tries_stay_on_their_bucket(search):
    """A search as the router, trying class_weight dicts (its param_grid), set them on its
    clones as they were: with bucket 1 empty, a HistGradientBoostingClassifier put the
    weight of bucket 2 on bucket 3 without a word (the weights given as the router's own
    parameter were re-keyed, those of its search space not), and a tree refused a weight
    for an empty bucket ("The classes ... are not in class_weight"), every fit failing. The
    search's refit now learns what the router given those weights learns."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import RandomizedSearchCV

    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    y = np.r_[rng.randint(0, 11, 100), rng.randint(101, 301, 100), rng.randint(301, 501, 100)]
    assert sorted(set(assign_buckets(y).tolist())) == [0, 2, 3]
    hgb = HistGradientBoostingClassifier(max_iter=5, random_state=0)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    for router, weights in ((hgb, {2: 50.0}), (tree, {0: 1.0, 2: 5.0, 6: 3.0})):
        alone = clone(router).set_params(class_weight=weights)
        space = {"class_weight": [weights]}
        if search == "grid":
            given = GridSearchCV(router, [space], cv=2)
        elif search == "randomized":
            given = RandomizedSearchCV(router, space, n_iter=1, cv=2, random_state=0)
        elif search == "an array":  # ParameterGrid takes the values in one
            listed = np.empty(1, dtype=object)
            listed[0] = weights
            given = GridSearchCV(router, {"class_weight": listed}, cv=2)
        else:  # a step's weights, in a search over a Pipeline
            step = type(router).__name__.lower()
            space = {f"{step}__class_weight": [weights]}
            given = GridSearchCV(make_pipeline(StandardScaler(), router), space, cv=2)
            alone = make_pipeline(StandardScaler(), alone)
        model = BucketedRegressor(given, Ridge()).fit(X, y)
        expected = BucketedRegressor(alone, Ridge()).fit(X, y).predict_bucket_proba(X)
        assert_allclose(model.predict_bucket_proba(X), expected)
        assert next(iter(space.values())) == [weights]  # the user's search space as it was


def test_a_search_routers_space_is_left_as_given_when_no_bucket_is_empty():
    """With every bucket holding training rows, no class_weight dict a search router tries
    changes, and its space stays as the user wrote it: a tuple or an array of dicts was
    replaced by an equal list on the fitted router."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    y = np.r_[rng.randint(0, 11, 100), rng.randint(11, 101, 100), rng.randint(101, 1001, 100)]
    assert sorted(set(assign_buckets(y, bins=(10, 100)).tolist())) == [0, 1, 2]
    weights = {0: 1.0, 1: 2.0, 2: 3.0}
    listed = np.empty(2, dtype=object)
    listed[:] = [weights, None]
    for values in ((weights, None), listed):
        given = GridSearchCV(LogisticRegression(), {"class_weight": values}, cv=2)
        model = BucketedRegressor(given, Ridge(), bins=(10, 100)).fit(X, y)
        assert model.classifier_.param_grid["class_weight"] is not values  # a clone's copy
        assert type(model.classifier_.param_grid["class_weight"]) is type(values)


@pytest.mark.parametrize("space", [None, 3])
def test_a_router_with_a_param_grid_that_is_no_search_space_fits(space):
    """A classifier (not scikit-learn's search) with a parameter named param_grid that holds
    no list of grids (None, its default) failed BucketedRegressor's fit with "'NoneType'
    object is not iterable" from the check of the class_weight dicts a search tries."""

    class Tuned(ClassifierMixin, BaseEstimator):
        def __init__(self, param_grid=None):
            self.param_grid = param_grid

        def fit(self, X, y):
            self.tree_ = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
            self.classes_ = self.tree_.classes_
            return self

        def predict(self, X):
            return self.tree_.predict(X)

        def predict_proba(self, X):
            return self.tree_.predict_proba(X)

    X, y = make_likes(200)
    expected = BucketedRegressor(DecisionTreeClassifier(max_depth=2, random_state=0), Ridge())
    model = BucketedRegressor(Tuned(param_grid=space), Ridge()).fit(X, y)
    assert_allclose(model.predict(X), expected.fit(X, y).predict(X))


@pytest.mark.parametrize("regressors", [{6: Ridge(alpha=6.0), 0: Ridge(alpha=0.5)}, None])
def test_html_repr_labels_dict_held_regressors_by_their_bucket(regressors):
    from sklearn.linear_model import Lasso

    if regressors is None:  # every bucket, listed out of order
        regressors = {6: Lasso(), **{k: Ridge(alpha=float(k + 1)) for k in range(6)}}
    block = BucketedRegressor(DecisionTreeClassifier(), regressors)._sk_visual_block_()
    labelled = dict(zip(block.estimators[1].names, block.estimators[1].estimators, strict=True))
    for k, est in regressors.items():
        (label,) = [name for name in labelled if name.startswith(f"regressors__{k}: bucket {k}:")]
        assert labelled[label] is est
    X, y = make_likes(300)
    model = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge(), min_bucket_size=60)
    block = model.fit(X, y)._sk_visual_block_().estimators[1]  # some buckets borrow: fewer
    for name, est in zip(block.names, block.estimators, strict=True):
        k = int(name.split(": ")[1].split()[1])
        assert name.startswith(f"regressors: bucket {k}:") and model.regressors_[k] is est


def test_weighted_median_fallback_does_not_depend_on_the_weights_scale():
    from skbucket.bucketed import _weighted_median

    y = np.array([1.0, 17, 48, 35, 27, 40, 36, 48, 25])
    w = np.array([1.0, 3, 3, 2, 2, 2, 3, 2, 2])
    X = np.arange(9.0).reshape(-1, 1)
    repeated = np.median(np.repeat(y, w.astype(int)))
    model = light(min_bucket_size=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rescaled weights: the low-mass warning
        for scale in (1.0, 1 / 3, 0.001, 7.3):
            assert model.fit(X, y, sample_weight=w * scale).predict(X[:1])[0] == repeated
    rng = np.random.RandomState(0)
    for _ in range(2000):
        n = rng.randint(1, 12)
        v, reps = rng.randint(0, 50, n).astype(float), rng.randint(1, 5, n)
        for scale in (1.0, 1 / 3, 0.1):
            assert _weighted_median(v, reps * scale) == np.median(np.repeat(v, reps))


@pytest.mark.parametrize("weight", [np.nan, -1.0, np.inf])
def test_a_router_with_a_class_weight_that_is_no_weight_is_refused_at_fit(weight):
    """HistGradientBoostingClassifier(class_weight={0: nan}) fitted without a word, and every
    predict then failed on its NaN probabilities."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skbucket.routing import AccountRouter

    X, y = make_likes(200)
    router = HistGradientBoostingClassifier(class_weight={0: weight})
    with pytest.raises(ValueError, match=r"classifier's class_weight values are finite numbers"):
        light(classifier=router).fit(X, y)
    nested = AccountRouter(known=router, unseen=LogisticRegression(), count_column=0)
    with pytest.raises(ValueError, match=r"classifier's known__class_weight values are finite"):
        light(classifier=nested).fit(X, y)


@pytest.mark.parametrize("key", [6, "1", -1, 1.5, True])
def test_a_class_weight_key_that_is_no_bucket_is_refused_at_fit(key):
    """The weights of buckets without training rows are dropped at fit (a fold lacks the top
    one), and so were keys that can be no bucket: {6: 100.0} with 4 buckets, or "1",
    fitted exactly as without the weighting, without a word."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skbucket.routing import AccountRouter

    X, y = make_likes(200)
    router = HistGradientBoostingClassifier(max_iter=5, class_weight={0: 1.0, key: 100.0})
    model = light(classifier=router, bins=(10, 100, 1000))
    with pytest.raises(ValueError, match=r"class_weight keys are bucket numbers 0 \.\. 3 \(4 b"):
        model.fit(X, y)
    nested = AccountRouter(known=router, unseen=LogisticRegression(), count_column=0)
    with pytest.raises(ValueError, match=r"classifier's known__class_weight keys are bucket"):
        light(classifier=nested, bins=(10, 100, 1000)).fit(X, y)
    # a whole number as a float names its bucket, as scikit-learn reads it
    router.set_params(class_weight={0: 1.0, 3.0: 2.0})
    model.fit(X, y)
    # ... as is one that a search router tries (dropped with the empty buckets' at fit)
    router.set_params(class_weight=None)
    search = GridSearchCV(router, [{"class_weight": [None, {0: 1.0, key: 100.0}]}], cv=2)
    with pytest.raises(ValueError, match=r"classifier's param_grid\['class_weight'\] .* keys a"):
        light(classifier=search, bins=(10, 100, 1000)).fit(X, y)


def test_float32_weights_fit_as_the_float64_ones():
    """float32 weights (a pandas float32 column, a torch tensor) were summed in float32: ten
    rows of 0.1 had a weighted median of 6, not 5.5, and 20 rows of 0.35 weighed less than
    min_bucket_size=7, so their bucket borrowed another's regressor (saying 'weight 7 < 7')."""
    y = np.arange(1.0, 11.0)
    X = y[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the low-mass warning: every bucket is too light
        for dtype in (np.float64, np.float32, "Float32"):
            w = pd.Series(np.full(10, 0.1), dtype=dtype)
            model = light(min_bucket_size=1000).fit(X, y, sample_weight=w)
            assert model.predict(X[:1])[0] == np.median(y)
    rng = np.random.default_rng(0)
    y = np.r_[rng.integers(0, 11, 40), rng.integers(11, 101, 20)].astype(float)
    X = np.c_[np.log1p(y) + rng.normal(0, 0.1, 60), rng.normal(size=60)]
    import polars as pl
    import torch

    w32 = np.full(60, 0.35, dtype=np.float32)
    containers = {  # every container of float32 weights: numpy's dtype or none at all
        "float64": np.full(60, 0.35),
        "float32": w32,
        "list": list(w32),
        "torch": torch.from_numpy(w32),
        "polars": pl.Series(w32),
    }
    fitted = {}
    for name, weights in containers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = BucketedRegressor(
                LogisticRegression(), Ridge(), bins=(10, 100), min_bucket_size=7
            ).fit(X, y, sample_weight=weights)
        assert list(model.bucket_fallback_) == [2], name  # empty; bucket 1 has its own
        fitted[name] = model.predict(X)
    for name in containers:
        np.testing.assert_allclose(fitted[name], fitted["float64"], rtol=1e-6)


def test_sample_weight_through_nested_pipelines_and_wrappers():
    from sklearn.compose import TransformedTargetRegressor

    X, y = make_likes(200)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    nested = make_pipeline(StandardScaler(), make_pipeline(StandardScaler(), Ridge()))
    flat = make_pipeline(StandardScaler(), StandardScaler(), Ridge())
    got = light(regressors=nested).fit(X, y, sample_weight=w).predict(X)
    assert_allclose(got, light(regressors=flat).fit(X, y, sample_weight=w).predict(X))
    assert not np.allclose(got, light(regressors=nested).fit(X, y).predict(X))
    wrapped = TransformedTargetRegressor(
        KNeighborsRegressor(2), func=np.log1p, inverse_func=np.expm1
    )
    with pytest.raises(ValueError, match=r"regressors\[0\] TransformedTargetRegressor.* did not"):
        light(regressors=wrapped).fit(X, y, sample_weight=w)


def test_routing_refuses_a_pipeline_ending_outside_metadata_routing():
    import sklearn
    from sklearn.compose import TransformedTargetRegressor

    class PlainRegressor:  # like CatBoostRegressor: takes sample_weight, no routing requests
        def get_params(self, deep=True):
            return {}

        def set_params(self, **params):
            return self

        def fit(self, X, y, sample_weight=None):
            self.mean_ = np.average(y, weights=sample_weight)
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    X, y = make_likes(80)
    w = np.arange(1.0, 81.0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = DecisionTreeClassifier(random_state=0).set_fit_request(sample_weight=True)
        bare = BucketedRegressor(clf, PlainRegressor(), bins=(10,)).fit(X, y, sample_weight=w)
        assert bare.predict(X).shape == (80,)  # a bare one gets them: fit takes them
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False), PlainRegressor()
        )
        with pytest.raises(ValueError, match="ends in .*PlainRegressor.* outside scikit-learn"):
            BucketedRegressor(clf, pipe, bins=(10,)).fit(X, y, sample_weight=w)
        # any other wrapper (CatBoost in a TransformedTargetRegressor): fitted without them,
        # without a word, while routing off gave them; refused before the router's fit
        wrapped = TransformedTargetRegressor(PlainRegressor(), func=np.log1p, inverse_func=np.expm1)
        fits = []

        class Router(DecisionTreeClassifier):
            def fit(self, X, y, sample_weight=None, check_input=True):
                fits.append(len(X))
                return super().fit(X, y, sample_weight, check_input)

        router = Router(random_state=0).set_fit_request(sample_weight=True)
        with pytest.raises(
            ValueError,
            match=r"regressors\[0\] TransformedTargetRegressor\(.*\) holds PlainRegressor.* "
            "outside scikit-learn's metadata routing",
        ):
            BucketedRegressor(router, wrapped, bins=(10,)).fit(X, y, sample_weight=w)
        assert fits == []  # before the router's fit (a fine-tuning: minutes)
        # ... as is one beside a part that routing weighs: it got none either
        from catboost import CatBoostRegressor
        from sklearn.ensemble import VotingRegressor
        from sklearn.feature_selection import SelectFromModel

        boost = CatBoostRegressor(iterations=5, verbose=0, allow_writing_files=False)
        voting = VotingRegressor(
            [("boost", boost), ("ridge", Ridge().set_fit_request(sample_weight=True))]
        )
        with pytest.raises(ValueError, match="VotingRegressor.* holds CatBoostRegressor"):
            BucketedRegressor(router, voting, bins=(10,)).fit(X, y, sample_weight=w)
        # ... inside a Pipeline's final step, or one wrapper deeper: the same
        for deeper in (
            make_pipeline(
                StandardScaler().set_fit_request(sample_weight=False),
                TransformedTargetRegressor(boost),
            ),
            TransformedTargetRegressor(voting),
        ):
            with pytest.raises(ValueError, match=r"holds CatBoostRegressor"):
                BucketedRegressor(router, deeper, bins=(10,)).fit(X, y, sample_weight=w)
        # skbucket's own meta-estimator inside a wrapper gives CatBoost its weights itself,
        # and a search space's scipy distribution (which has a fit) is no part: both fitted
        import scipy.stats
        from sklearn.model_selection import RandomizedSearchCV

        inner = BucketedRegressor(router, boost, bins=(10,)).set_fit_request(sample_weight=True)
        ridge = Ridge().set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        search = RandomizedSearchCV(ridge, {"alpha": scipy.stats.expon}, n_iter=2, cv=2)
        for fine in (TransformedTargetRegressor(inner), search):
            BucketedRegressor(router, fine, bins=(10,)).fit(X, y, sample_weight=w)
        # a Pipeline's earlier step gets no weights with routing off either: fitted
        chosen = make_pipeline(SelectFromModel(boost), Ridge().set_fit_request(sample_weight=False))
        BucketedRegressor(router, chosen, bins=(10,)).fit(X, y, sample_weight=w)
        # without weights, or with routing off, it is fitted
        BucketedRegressor(router, wrapped, bins=(10,)).fit(X, y)
    weighted = BucketedRegressor(router, wrapped, bins=(10,)).fit(X, y, sample_weight=w)
    plain = BucketedRegressor(router, wrapped, bins=(10,)).fit(X, y)
    assert weighted.regressors_[0].regressor_.mean_ != plain.regressors_[0].regressor_.mean_


@pytest.mark.parametrize("grid", [[(10, 300), (30, 1000)], [(10, 100, 300, 500, 1000, 2500)]])
def test_a_weighted_search_over_bins_runs_with_routing_on(grid):
    """GridSearchCV asks its template's routing, whose default bins give 7 buckets for the
    3 regressors every candidate uses: "regressors has 3 entries but bins=... gives 7
    buckets" stopped a search whose every candidate is valid (routing off: it ran)."""
    import sklearn
    from sklearn.model_selection import GridSearchCV, KFold

    X, y = make_likes(240)
    w = np.random.RandomState(0).uniform(0.2, 5.0, len(y))

    def search(on):
        with sklearn.config_context(enable_metadata_routing=on):
            clf, reg = DecisionTreeClassifier(max_depth=3, random_state=0), Ridge()
            if on:
                clf.set_fit_request(sample_weight=True)
                reg.set_fit_request(sample_weight=True)
            regs = [reg] * 3 if len(grid[0]) == 2 else {6: reg}
            base = BucketedRegressor(clf, regs, min_bucket_size=5)
            if on:
                base.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
            if len(grid[0]) > 2:  # a template of 3 buckets, for a dict naming bucket 6
                base.set_params(bins=(10, 300))
            return GridSearchCV(base, {"bins": grid}, cv=KFold(3)).fit(X, y, sample_weight=w)

    on, off = search(True), search(False)
    assert_allclose(on.cv_results_["mean_test_score"], off.cv_results_["mean_test_score"])
    # the template itself still cannot be fitted: said by fit
    said = r"gives 7 buckets|unknown bucket key\(s\) \[6\]"
    with (
        sklearn.config_context(enable_metadata_routing=True),
        pytest.raises(ValueError, match=said),
    ):
        on.estimator.fit(X, y, sample_weight=w)


def test_a_bucket_its_default_regressor_refuses_predicts_its_constant():
    """CatBoost (the seed's regressor of buckets 2-4) refuses a bucket whose targets are all
    equal, or whose rows are all the same ("All train targets are equal", "All features are
    either constant or ignored"): the whole fit failed. Such a bucket can only be learnt as
    a constant, which it now predicts, saying why in bucket_fallback_."""
    rng = np.random.default_rng(0)
    n = 30
    y = np.r_[
        rng.integers(0, 11, n), rng.integers(11, 101, n), np.full(n, 200), rng.integers(301, 501, n)
    ]
    X = rng.normal(size=(y.size, 3))
    model = BucketedRegressor(random_state=0).fit(X, y.astype(float))
    assert type(model.regressors_[2]).__name__ == "DummyRegressor"
    assert "bucket 2's training targets are all equal" in model.bucket_fallback_[2]
    assert "CatBoostRegressor" in model.bucket_fallback_[2]
    np.testing.assert_allclose(model.regressors_[2].predict(X[:3]), 200.0)
    assert type(model.regressors_[3]).__name__ == "CatBoostRegressor"  # kept where it fits
    # a bucket of identical rows: the weighted mean of its targets
    X_same = X.copy()
    X_same[2 * n : 3 * n] = 1.0
    y_same = y.astype(float).copy()
    y_same[2 * n : 3 * n] = rng.integers(101, 301, n)
    w = rng.uniform(0.5, 2.0, y.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not "a total sample_weight below min_bucket_size"
        model = BucketedRegressor(random_state=0).fit(X_same, y_same, sample_weight=w)
    assert "training rows are all the same" in model.bucket_fallback_[2]
    expected = np.average(y_same[2 * n : 3 * n], weights=w[2 * n : 3 * n])
    np.testing.assert_allclose(model.regressors_[2].predict(X[:1]), expected)


@pytest.mark.parametrize("error", [KeyError, AttributeError, TypeError, MemoryError])
def test_a_bug_in_a_regressor_is_raised_on_a_degenerate_bucket_too(error):
    """A regressor's KeyError (a typo in its code) or a MemoryError on a bucket whose
    targets are all equal was taken for its refusal of the rows: the bucket predicted a
    constant, without a word."""

    class Buggy(_RefusesEqualTargets):
        def fit(self, X, y, sample_weight=None):
            if np.ptp(y) == 0:
                raise error("typo_in_my_code")
            return super().fit(X, y, sample_weight)

    X, y = make_likes()
    y = np.where(y <= 10, 0.0, y)  # bucket 0 degenerate: every target 0
    with pytest.raises(error, match="typo_in_my_code"):
        BucketedRegressor(DecisionTreeClassifier(random_state=0), Buggy()).fit(X, y)
    # the regressor's refusal of such a bucket (CatBoost's ValueError) is its constant
    model = BucketedRegressor(DecisionTreeClassifier(random_state=0), _RefusesEqualTargets())
    assert "training targets are all equal" in model.fit(X, y).bucket_fallback_[0]


def test_a_regressor_that_fails_on_an_ordinary_bucket_still_raises():
    class Refuses(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise RuntimeError("out of memory")

    X, y = make_likes()
    with pytest.raises(RuntimeError, match="out of memory"):
        BucketedRegressor(DecisionTreeClassifier(random_state=0), Refuses()).fit(X, y)


@pytest.mark.parametrize(
    "y",
    [
        pd.Series(pd.to_datetime(["2021-04-03"] * 8)),
        pd.Series(pd.to_timedelta(range(8), unit="D")),
        np.arange(8).astype("timedelta64[s]"),
    ],
    ids=["dates", "time-spans", "numpy-time-spans"],
)
def test_dates_or_time_spans_are_no_like_counts(y):
    """They were read as their nanoseconds: 1.6e18 likes, or a day as 8.64e13."""
    from skbucket import PostFeatures
    from skbucket.baselines import GroupMedianRegressor

    posts = pd.DataFrame({"username": list("abcdabcd"), "inferred_company": list("xyxyxyxy")})
    match = r"y must hold like counts \(real numbers\); got (dates|time spans)"
    with pytest.raises(ValueError, match=match):
        assign_buckets(y)
    with pytest.raises(ValueError, match=match):
        BucketedRegressor().fit(np.ones((8, 1)), y)
    with pytest.raises(ValueError, match=match):
        GroupMedianRegressor().fit(posts, y)
    with pytest.raises(ValueError, match="(dates|time spans)"):
        PostFeatures(text_columns=(), date_column=None, media_column=None).fit(posts, y)


@pytest.mark.parametrize(
    ("y", "row"),
    [
        (pd.Series([True, False] * 4), 0),
        (pd.Series([True, False] * 4, dtype="boolean"), 0),
        (np.array([3, 5, True, 0, 1, 2, 3, 4], dtype=object), 2),
        (pd.DataFrame({"l": pd.array([True, None, False] + [True] * 5, dtype="boolean")}), 0),
    ],
    ids=["bool", "nullable-boolean", "object-with-a-bool", "nullable-boolean-frame"],
)
def test_booleans_are_no_like_counts(y, row):
    """A mask (likes > 100) given for the likes was fitted and scored as 0 and 1 likes; the
    command line refused a True/False likes column, the estimators and metrics did not."""
    from skbucket import PostFeatures
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.metrics import MetricsInputError, bootstrap_intervals, evaluate

    posts = pd.DataFrame({"username": list("abcdabcd"), "inferred_company": list("xyxyxyxy")})
    match = rf"y must hold like counts \(numbers\), but row {row} is True: booleans are no"
    with pytest.raises(ValueError, match=match):
        BucketedRegressor().fit(np.ones((8, 1)), y)
    with pytest.raises(ValueError, match=match):
        GroupMedianRegressor().fit(posts, y)
    with pytest.raises(ValueError, match=match):
        PostFeatures(text_columns=(), date_column=None, media_column=None).fit(posts, y)
    with pytest.raises(ValueError, match=match):
        assign_buckets(y)
    with pytest.raises(MetricsInputError, match=rf"y_true must hold like counts .* row {row} is"):
        evaluate(y, np.ones(8))
    with pytest.raises(MetricsInputError, match=r"y_pred must hold like counts"):
        bootstrap_intervals(np.ones(8), y)
    assert evaluate(np.array([3, 5, 1], dtype=object), [3, 5, 1])["rmse"] == 0  # numbers: fine


@pytest.mark.parametrize("frame", [False, True], ids=["array", "DataFrame"])
def test_a_column_missing_in_every_row_is_named_when_the_router_fails_on_it(frame):
    """scikit-learn's HistGradientBoosting (the default router) fails on an all-NaN column
    with "window shape cannot be larger than input array shape"; the error names it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    X[:, 2] = np.nan
    y = rng.integers(0, 3000, 200).astype(float)
    X = pd.DataFrame(X, columns=list("abcd")) if frame else X
    named = r"\['c'\]" if frame else r"\[2\]"
    with pytest.raises(ValueError, match=rf"column\(s\) {named} of its input hold no value"):
        BucketedRegressor(random_state=0).fit(X, y)
    # a router that takes such a column is not stopped
    BucketedRegressor(DummyClassifier(), DummyRegressor()).fit(X, y)


def test_metadata_routing_aliases_reach_each_sub_estimator_cut_to_its_rows():
    """A request under another name (weights of the router's own) was advertised by
    get_metadata_routing but refused by fit ("unexpected keyword argument")."""
    import sklearn

    X, y = make_likes()
    rng = np.random.default_rng(5)
    w, w_router, w_reg = (rng.uniform(0.5, 2.0, size=len(y)) for _ in range(3))
    w[:7] = 0.0  # dropped rows: every routed array is cut the same way
    keep = w > 0
    with sklearn.config_context(enable_metadata_routing=True):
        model = BucketedRegressor(
            _RecordingTree(random_state=0).set_fit_request(sample_weight="router_weight"),
            _RecordingRidge().set_fit_request(sample_weight="regressor_weight"),
        ).set_fit_request(sample_weight=True)
        assert set(model.get_metadata_routing().consumes("fit", ["router_weight"])) == {
            "router_weight"
        }
        model.fit(X, y, sample_weight=w, router_weight=w_router, regressor_weight=w_reg)
    assert_allclose(model.classifier_.seen_weight_, w_router[keep])
    buckets = assign_buckets(y[keep])
    for k, regressor in model.regressors_.items():
        if k not in model.bucket_fallback_:
            assert_allclose(regressor.seen_weight_, w_reg[keep][buckets == k])
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing=True"):
        BucketedRegressor().fit(X, y, router_weight=w_router)


def test_a_string_column_is_named_before_an_empty_one():
    """A text column beside an all-None one: the fit fails on the text, and the error says
    so (it named the empty column, which was not the cause)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=60), "content": ["hello world"] * 60, "extra": [None] * 60}
    )
    y = rng.integers(0, 3000, 60).astype(float)
    with pytest.raises(ValueError, match=r"cannot take the string column\(s\) 'content'"):
        BucketedRegressor(random_state=0).fit(X, y)


# mutation-audit tests: each fails on a plausible one-line slip in bucketed.py
def test_a_bucket_of_exactly_min_bucket_size_rows_has_its_own_regressor():
    X = np.arange(10.0).reshape(-1, 1)
    y = [1.0] * 5 + [50.0] * 5  # buckets 0 and 1, five rows each
    model = BucketedRegressor(
        DecisionTreeClassifier(random_state=0), LinearRegression(), min_bucket_size=5
    ).fit(X, y)
    assert 0 not in model.bucket_fallback_ and 1 not in model.bucket_fallback_


@pytest.mark.filterwarnings("ignore::skbucket.exceptions.TooFewRowsWarning")  # the point
def test_no_populated_bucket_constant_is_the_median_in_transformed_space():
    X = np.arange(5.0).reshape(-1, 1)
    y = np.array([0.0, 5.0, 20.0, 200.0, 3000.0])
    model = BucketedRegressor(
        DecisionTreeClassifier(random_state=0),
        Ridge(),
        target_transform="log1p",
        min_bucket_size=100,
    ).fit(X, y)
    np.testing.assert_allclose(model.predict(X), 20.0)  # expm1(median(log1p(y)))


@pytest.mark.parametrize("routing", ["hard", "soft"])
def test_ties_between_buckets_go_to_the_lower_bucket(routing):
    X = np.zeros((4, 1))
    y = [1.0, 1.0, 50.0, 50.0]  # buckets 0 and 1 equally likely for a prior classifier
    model = BucketedRegressor(
        DummyClassifier(strategy="prior"), DummyRegressor(), min_bucket_size=1, routing=routing
    ).fit(X, y)
    assert model.predict_bucket(X).tolist() == [0, 0, 0, 0]
    if routing == "hard":
        np.testing.assert_allclose(model.predict(X), 1.0)  # bucket 0's regressor


def test_seed_regressors_take_the_random_state():
    for reg in seed_regressors(random_state=3):
        params = reg.get_params()
        assert params.get("random_state", params.get("random_seed")) == 3, type(reg).__name__


@pytest.mark.parametrize("bad", [-1, 2**63, 1.5, "7", True])
def test_seed_regressors_refuse_a_seed_the_regressors_cannot_take(bad):
    # -1 failed only at fit, after the router's, with CatBoost's "Can't parse parameter
    # random_seed with value: -1" (2**63: XGBoost's "Invalid Parameter format for seed")
    with pytest.raises(ValueError, match="random_state"):
        seed_regressors(random_state=bad)
    assert seed_regressors(1, random_state=2**32 - 1)[0].random_state == 2**32 - 1
    assert seed_regressors(1, random_state=np.int64(4))[0].random_state == 4


def test_non_finite_target_message_names_the_first_bad_row():
    with pytest.raises(
        ValueError, match=r"row 1 is nan \(2 non-finite row\(s\) in all, first rows \[1, 3\]\)"
    ):
        assign_buckets([1.0, np.nan, 2.0, np.inf])


@pytest.mark.parametrize(
    "params, X, y, said",
    [
        ({"target_transform": (np.log1p,)}, None, None, "a pair (func, inverse_func)"),
        ({"target_transform": [np.log1p, 3]}, None, None, "a pair (func, inverse_func)"),
        ({}, None, 5, "y must be a 1-D array-like of targets; got 5"),
        ({}, "none", None, "X is None; BucketedRegressor needs samples"),
        ({"classifier_columns": 0}, "text", None, "classifier_columns=0 needs 2-D X"),
    ],
)
def test_a_bad_target_transform_y_x_or_column_choice_is_named_at_fit(params, X, y, said):
    rng = np.random.default_rng(0)
    numbers = rng.normal(size=(60, 3))
    X = {None: numbers, "none": None, "text": np.array(["a b"] * 60, dtype=object)}[X]
    y = np.abs(numbers[:, 0]) * 300 if y is None else y
    model = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge(), **params)
    with pytest.raises(ValueError, match=re.escape(said)):
        model.fit(X, y)


def test_checks_and_the_routing_request_leave_a_random_state_instance_alone():
    """check_params (make_seed_pipeline calls it) and get_metadata_routing drew a seed from
    a RandomState given as random_state: a check before fit changed what the fit learnt."""
    from skbucket.pipeline import check_params

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = np.abs(X[:, 0]) * 300

    def make():
        return BucketedRegressor(bins=[10, 100], random_state=np.random.RandomState(0))

    expected = make().fit(X, y).predict(X[:5])
    model = make()
    check_params(model)
    model.get_metadata_routing()
    assert_array_equal(model.fit(X, y).predict(X[:5]), expected)


def test_float32_weights_whose_rounding_breaks_a_tie_give_the_float64_median():
    # float32(0.1)+float32(0.2)+float32(0.3) = 0.6000000164, float32(0.6) = 0.6000000238:
    # a tie of the weights as given, off by 6e-9 of the total (over the 1e-9 tolerance)
    y = np.array([1.0, 2.0, 3.0, 4.0])
    X = y[:, None]
    preds = {}
    for dtype in (np.float64, np.float32):
        w = np.array([0.1, 0.2, 0.3, 0.6], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = BucketedRegressor(LogisticRegression(), Ridge(), min_bucket_size=1000)
            preds[dtype] = model.fit(X, y, sample_weight=w).predict(X[:1])[0]
    assert preds[np.float32] == preds[np.float64] == 3.5


def test_a_zero_class_weight_is_a_weight():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    y = rng.integers(0, 200, 200).astype(float)
    X = np.c_[np.log1p(y), rng.normal(size=200)]
    router = HistGradientBoostingClassifier(max_iter=5, class_weight={0: 0.0, 1: 1.0, 2: 1.0})
    BucketedRegressor(router, Ridge(), bins=(10, 100)).fit(X, y)


# --------------------------------------------------------------------- sparse and infinite X
def test_the_sparse_tag_counts_the_default_estimators_and_fit_keeps_to_it():
    """The tag named only the estimators given: True for a dict leaving buckets to the seed's
    defaults, False for regressors=None though those take sparse X; and fit took a sparse X
    whatever the tag said (scikit-learn's check_estimator_sparse_tag failed on the default
    model). A scipy sparse array reached CatBoost, which refused it ("Invalid data type")."""
    import scipy.sparse as sp
    from _sklearn_checks import run_check
    from sklearn.utils import get_tags

    tree = DecisionTreeClassifier(max_depth=4, random_state=0)
    for regressors in ({0: Ridge()}, {}, None, Ridge()):
        assert get_tags(BucketedRegressor(tree, regressors)).input_tags.sparse, regressors
    assert not get_tags(BucketedRegressor()).input_tags.sparse  # HistGradientBoosting routes
    from sklearn.ensemble import HistGradientBoostingRegressor

    dense_only = {0: HistGradientBoostingRegressor()}
    assert not get_tags(BucketedRegressor(tree, dense_only)).input_tags.sparse
    X, y = make_likes(200)
    X[X < 2] = 0
    with pytest.raises(
        TypeError,
        match=r"Sparse data was passed for X, but the default "
        r"classifier \(HistGradientBoostingClassifier\) takes dense data only",
    ):
        BucketedRegressor(random_state=0).fit(sp.csr_matrix(X), y)
    with pytest.raises(TypeError, match=r"but regressors\[0\] HistGradientBoostingRegressor"):
        BucketedRegressor(tree, dense_only).fit(sp.csr_matrix(X), y)
    # an estimator without scikit-learn's tags is let read sparse X, as before the tag counted

    class Untagged:  # a duck-typed classifier (no BaseEstimator)
        def fit(self, X, y):
            self.inner_ = DecisionTreeClassifier(random_state=0).fit(X, y)
            self.classes_ = self.inner_.classes_
            return self

        def predict(self, X):
            return self.inner_.predict(X)

        def predict_proba(self, X):
            return self.inner_.predict_proba(X)

        def get_params(self, deep=True):
            return {}

        def set_params(self, **params):
            return self

    assert get_tags(BucketedRegressor(Untagged(), Ridge())).input_tags.sparse
    BucketedRegressor(Untagged(), Ridge()).fit(sp.csr_matrix(X), y)
    run_check("check_estimator_sparse_tag", BucketedRegressor(random_state=0))
    # the seed's regressors (CatBoost among them) on a sparse array: as on its matrix
    model = BucketedRegressor(tree, None, random_state=0)
    as_matrix = model.fit(sp.csr_matrix(X), y).predict(sp.csr_matrix(X))
    assert_allclose(model.fit(sp.csr_array(X), y).predict(sp.csc_array(X)), as_matrix)


@pytest.mark.parametrize("kind", ["array", "sparse", "frame"])
def test_an_infinite_feature_is_refused_naming_its_row_and_column(kind):
    """XGBoost failed at fit with a C++ trace, and predict gave a number for +-inf."""
    import scipy.sparse as sp

    X, y = make_likes(200)
    model = light(regressors=None, random_state=0).fit(X, y)
    bad = X.copy()
    bad[7, 2] = -np.inf
    if kind == "sparse":
        bad = sp.csr_matrix(bad)
    if kind == "frame":
        bad = pd.DataFrame(bad, columns=["a", "b", "c"], index=np.arange(200) + 1000)
        said = r"X column 'c' holds an infinite value \(-inf\) in row 7 \(index label 1007; 1 row\(s\) in that"
    else:
        said = r"X holds an infinite value \(-inf\) in row 7, column 2 \(1 value\(s\) in all\)"
    with pytest.raises(ValueError, match=rf"{said}.*or NaN where"):
        clone(model).fit(bad, y)
    fitted = model if kind != "frame" else clone(model).fit(pd.DataFrame(X, columns=[*"abc"]), y)
    if kind == "frame":
        bad = bad.set_axis([*"abc"], axis=1)
    with pytest.raises(ValueError, match="infinite value"):
        fitted.predict(bad)
    # NaN (a missing value) is still the sub-estimators' to read
    missing = X.copy()
    missing[7, 2] = np.nan
    assert np.isfinite(clone(model).fit(missing, y).predict(missing)).all()
    # without XGBoost, infinities are the sub-estimators' to read too: a Pipeline that caps
    # them first fitted and predicted before the check, and does still
    from sklearn.preprocessing import FunctionTransformer

    cap = FunctionTransformer(
        lambda Z: np.nan_to_num(
            Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z, float), posinf=1e6, neginf=-1e6
        )
    )
    capped = BucketedRegressor(
        make_pipeline(cap, DecisionTreeClassifier(random_state=0)), make_pipeline(cap, Ridge())
    ).fit(bad, y)
    assert np.isfinite(capped.predict(bad)).all()
    with pytest.raises(ValueError, match="infinite value"):  # a dict leaving a bucket to XGBoost
        light(regressors={0: Ridge()}).fit(bad, y)
    # XGBoost inside a wrapper reads X as it is too: TransformedTargetRegressor(XGB, log1p)
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.utils import get_tags
    from xgboost import XGBRegressor

    wrapped = TransformedTargetRegressor(
        XGBRegressor(n_estimators=5), func=np.log1p, inverse_func=np.expm1
    )
    for regressors in (wrapped, make_pipeline(StandardScaler(), XGBRegressor(n_estimators=5))):
        if kind == "sparse" and not get_tags(light(regressors=regressors)).input_tags.sparse:
            continue  # refused as sparse first
        with pytest.raises(ValueError, match="infinite value"):
            light(regressors=regressors).fit(bad, y)


def test_soft_routing_with_one_hot_probabilities_gives_the_hard_clipped_predictions():
    """With a log target, soft averaging in log space took each clipped prediction to log1p
    and back: a bucket's top edge 10 came back 10.000000000000002, in the next bucket (the
    docs say one-hot probabilities make both routings agree)."""
    y = np.repeat([5.0, 50, 200, 400, 700, 2000, 5000], 30)
    X = assign_buckets(y).reshape(-1, 1).astype(float)
    for constant in (20.0, 0.0):  # the top edges, then the floats just above the lower ones
        kw = dict(
            classifier=DecisionTreeClassifier(random_state=0),
            regressors=DummyRegressor(strategy="constant", constant=constant),
            target_transform="log1p",
            clip=True,
        )
        hard = BucketedRegressor(**kw).fit(X, y).predict(X)
        for average in ("transformed", "raw"):
            soft = BucketedRegressor(**kw, routing="soft", soft_average=average).fit(X, y)
            assert_array_equal(soft.predict(X), hard)
            assert_array_equal(assign_buckets(soft.predict(X)), soft.predict_bucket(X))


def test_a_prefitted_classifier_of_other_buckets_is_refused_at_fit():
    """A FrozenEstimator router fitted on the 7 default buckets was accepted with bins of 3
    buckets; every predict then failed with an IndexError."""
    from sklearn.frozen import FrozenEstimator

    rng = np.random.default_rng(0)
    y = rng.integers(0, 5000, 200).astype(float)
    X = np.log1p(y).reshape(-1, 1)
    router = DecisionTreeClassifier(random_state=0).fit(X, assign_buckets(y))
    with pytest.raises(
        ValueError, match=r"classes_ \[.*6\], which are not bucket numbers 0 \.\. 2"
    ):
        BucketedRegressor(FrozenEstimator(router), LinearRegression(), bins=(50, 1000)).fit(X, y)
    named = DecisionTreeClassifier(random_state=0).fit(X, np.where(y > 100, "big", "small"))
    with pytest.raises(ValueError, match=r"classes_ \['big', 'small'\], which are not bucket"):
        BucketedRegressor(FrozenEstimator(named), LinearRegression()).fit(X, y)
    # its own buckets: used as it is
    model = BucketedRegressor(FrozenEstimator(router), LinearRegression()).fit(X, y)
    assert_array_equal(model.predict_bucket(X), router.predict(X))


def test_a_nan_weight_is_refused_whatever_assume_finite():
    """With scikit-learn's assume_finite=True, a NaN sample_weight passed its check and
    `weight > 0` dropped that row as a zero weight, without a word (BucketedRegressor, and
    AccountRouter, the seed pipeline's hybrid router)."""
    import sklearn

    from skbucket.routing import AccountRouter

    X, y = make_likes(60)
    w = np.ones(len(y))
    w[3] = np.nan
    frame = pd.DataFrame({"n": np.arange(60.0) % 3, "a": X[:, 0]})
    router = AccountRouter(
        DecisionTreeClassifier(random_state=0), LogisticRegression(), count_column="n"
    )
    with sklearn.config_context(assume_finite=True):
        with pytest.raises(ValueError, match=r"sample_weight must be finite; row 3 has nan"):
            light().fit(X, y, sample_weight=w)
        with pytest.raises(ValueError, match=r"sample_weight must be finite; row 3 has nan"):
            router.fit(frame, assign_buckets(y), sample_weight=w)


def test_a_nan_in_x_under_assume_finite_is_suspected_in_the_message():
    """With assume_finite=True a NaN in X reached the router, whose NaN probabilities were
    blamed on its fit ("a class_weight or sample_weight that is NaN or infinite?")."""
    import sklearn

    X, y = make_likes(200)
    bad = X.copy()
    bad[3, 1] = np.nan
    model = BucketedRegressor(LogisticRegression(max_iter=500), Ridge()).fit(X, y)
    said = r"assume_finite=True is set, .* does that row of X"
    with sklearn.config_context(assume_finite=True), pytest.raises(ValueError, match=said):
        model.predict(bad)


def test_errors_name_a_subclass_of_bucketed_regressor():
    """The class_weight check, raised from a module function, named BucketedRegressor."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    class MyBucketed(BucketedRegressor):
        pass

    X = np.arange(40.0).reshape(-1, 1)
    y = np.repeat([5.0, 50.0], 20)
    model = MyBucketed(
        classifier=LogisticRegression(class_weight={99: 1.0}), regressors=LinearRegression()
    )
    with pytest.raises(ValueError, match=r"^MyBucketed: the classifier's class_weight keys"):
        model.fit(X, y)


def test_a_regressor_that_fails_on_one_bucket_says_which_bucket():
    """A regressor may fail on one bucket's rows only (LassoCV(cv=10) on a bucket of 8
    rows): its error said "n_splits=10 greater than the number of samples: n_samples=8",
    and nothing of the bucket it was fitted on, nor which of the regressors it was."""
    from sklearn.linear_model import LassoCV

    X, y = make_likes(200)
    counts = np.bincount(assign_buckets(y), minlength=7)
    assert counts[3] == 8 and all(counts[k] >= 10 for k in (0, 1, 2))
    with pytest.raises(ValueError, match="n_splits=10") as raised:
        light(regressors=LassoCV(cv=10)).fit(X, y)
    notes = "".join(getattr(raised.value, "__notes__", []))
    assert "regressors[3] LassoCV(cv=10)" in notes
    assert "8 training row(s) of bucket 3: (300, 500]" in notes


def test_a_regressor_that_fails_to_predict_says_which_bucket():
    class FailsHigh(Ridge):
        def predict(self, X):
            out = super().predict(X)
            if out.max() > 2000:
                raise ValueError("cannot predict so many likes")
            return out

    X, y = make_likes()
    model = light(regressors={k: Ridge() if k < 5 else FailsHigh() for k in range(7)}).fit(X, y)
    with pytest.raises(ValueError, match="cannot predict") as raised:
        model.predict(X)
    notes = "".join(getattr(raised.value, "__notes__", []))
    assert "while predicting with regressors[" in notes
    assert re.search(r"regressor of bucket [56]: ", notes)


def test_a_bucket_of_one_row_in_a_large_table_is_named_when_the_router_cannot_hold_it_out():
    """On more than 10,000 rows the default router (HistGradientBoostingClassifier) holds
    out validation rows split by bucket for early stopping: one post above the top edge
    failed the fit with scikit-learn's "The least populated classes in y have only 1
    member ... [6.0]", which named neither a bucket nor early stopping (the regressors'
    side takes such a bucket: it borrows its neighbour's regressor)."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, size=(10_050, 2))
    y = np.minimum(np.round(np.expm1(X[:, 0])), 2000.0)
    y[0] = 5000.0  # the only post in bucket 6 (> 2500)
    with pytest.raises(ValueError, match=r"bucket\(s\) \[6\] \(bucket 6: > 2500\) have a single"):
        BucketedRegressor(regressors=Ridge()).fit(X, y)


@pytest.mark.filterwarnings("ignore::skbucket.exceptions.NoKnownAccountWarning")
def test_a_bucket_of_one_row_names_the_parameter_that_stops_the_hold_out():
    """The advice named HistGradientBoostingClassifier(early_stopping=False) whatever held
    it: for the seed pipeline's router (an AccountRouter whose known classifier holds out the
    rows) or a Pipeline, where it has to be set was left to the user to find."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skbucket.routing import AccountRouter

    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, size=(10_050, 2))
    y = np.minimum(np.round(np.expm1(X[:, 0])), 2000.0)
    y[0] = 5000.0  # the only post in bucket 6 (> 2500)
    hgb = HistGradientBoostingClassifier(max_iter=3)
    for classifier, advice in [
        (None, "classifier=HistGradientBoostingClassifier(early_stopping=False)"),
        (hgb, "set_params(classifier__early_stopping=False)"),
        (
            make_pipeline(StandardScaler(), hgb),
            "set_params(classifier__histgradientboostingclassifier__early_stopping=False)",
        ),
        (
            AccountRouter(hgb, DummyClassifier(), count_column=1),
            "set_params(classifier__known__early_stopping=False)",
        ),
    ]:
        with pytest.raises(ValueError, match=r"have a single training row") as raised:
            BucketedRegressor(classifier, Ridge()).fit(X, y)
        assert advice in str(raised.value)
        if classifier is not None:  # the advice followed: fitted
            model = BucketedRegressor(clone(classifier), Ridge())  # (set_params: in place)
            model.set_params(**{advice[len("set_params(") : -len("=False)")]: False}).fit(X, y)
            assert model.bucket_counts_[6] == 1


def test_a_too_small_router_warning_made_an_error_keeps_the_fitted_classifier():
    """The "cannot split" warning comes after the classifier's fit: made an error by a
    warnings filter, it lost the fitted classifier (a fine-tuned router: hours), which a
    regressor's failure kept. The error keeps it now, with the same note."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator

    y = np.tile([3.0, 50.0, 200.0], 13)  # 39 rows: min_samples_leaf=20 allows no split
    X = np.log1p(y).reshape(-1, 1)
    model = BucketedRegressor(HistGradientBoostingClassifier(), Ridge())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TooFewRowsWarning, match="cannot split 39") as raised:
            model.fit(X, y)
    assert "classifier=FrozenEstimator(error.classifier_)" in "".join(raised.value.__notes__)
    assert not hasattr(model, "classifier_")  # unfitted, as after any failed fit
    kept = raised.value.classifier_
    assert isinstance(kept, HistGradientBoostingClassifier) and hasattr(kept, "classes_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TooFewRowsWarning)
        model.set_params(classifier=FrozenEstimator(kept)).fit(X, y)
    assert model.classifier_.estimator is kept  # reused, not refitted


def test_a_frozen_classifier_is_taken_with_weights_whatever_it_holds():
    """A FrozenEstimator fits nothing, so the weights cannot miss any part of it; yet the
    retry its error advises (classifier=FrozenEstimator(error.classifier_)), or a router
    fitted before and frozen for cross-validation, was refused with weights: with routing on,
    one holding a classifier outside routing (CatBoost) alone or as a Pipeline's final step
    ("would be fitted without them"); with routing off, one holding a Pipeline whose final
    step takes no weights ("does not accept sample_weight"). Now each fits, as the same
    frozen router without weights does, and the regressors get the weights."""
    import sklearn
    from catboost import CatBoostClassifier  # outside scikit-learn's metadata routing
    from sklearn.frozen import FrozenEstimator
    from sklearn.neighbors import KNeighborsClassifier

    def boost():
        return CatBoostClassifier(iterations=10, verbose=0, allow_writing_files=False)

    X, y = make_likes(300)
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    buckets = assign_buckets(y)
    routers = {
        "catboost": boost().fit(X, buckets),
        "catboost pipeline": make_pipeline(StandardScaler(), boost()).fit(X, buckets),
        "knn pipeline": make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X, buckets),
    }
    for on in (False, True):
        for name, router in routers.items():
            with sklearn.config_context(enable_metadata_routing=on):
                ridge = Ridge().set_fit_request(sample_weight=True) if on else Ridge()
                model = BucketedRegressor(FrozenEstimator(router), ridge)
                model.fit(X, y, sample_weight=w)
            assert model.classifier_.estimator is router, name
            assert_array_equal(model.predict_bucket(X), np.ravel(router.predict(X)))
            for k in set(range(7)) - set(model.bucket_fallback_):  # its rows, weighted
                rows = buckets == k
                alone = Ridge().fit(X[rows], y[rows], sample_weight=w[rows])
                assert_allclose(model.regressors_[k].coef_, alone.coef_, err_msg=name)


def test_a_regressor_that_fails_leaves_the_fitted_classifier_on_its_error():
    """When a bucket's regressor failed after the classifier had been fitted (a fine-tuned
    DistilBERT router: hours), the fitted classifier was lost with the estimator's fitted
    state: a retry with fixed regressors fitted it again. The error keeps it now, and says
    how to reuse it; the estimator is still left unfitted, as after any failed fit."""
    from sklearn.frozen import FrozenEstimator

    class Boom(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            raise MemoryError("out of memory")

        def predict(self, X):
            return np.zeros(len(X))

    X, y = make_likes(400)
    model = light(regressors={k: Ridge() for k in range(7)} | {3: Boom()})
    with pytest.raises(MemoryError) as raised:
        model.fit(X, y)
    notes = "".join(raised.value.__notes__)
    assert "while fitting regressors[3] Boom()" in notes
    assert "classifier=FrozenEstimator(error.classifier_)" in notes
    assert not hasattr(model, "classifier_")  # unfitted, as after any failed fit
    kept = raised.value.classifier_
    assert_array_equal(kept.classes_, np.arange(7))
    model.set_params(classifier=FrozenEstimator(kept), regressors__3=Ridge()).fit(X, y)
    assert model.classifier_.estimator is kept  # reused, not refitted
    assert_array_equal(model.predict_bucket(X), kept.predict(X))
    # a warning of light buckets made an error, after every regressor's fit: kept as well
    with warnings.catch_warnings():
        warnings.simplefilter("error", TooFewRowsWarning)
        with pytest.raises(TooFewRowsWarning) as raised:
            light(min_bucket_size=1000).fit(X, y)  # no bucket has 1000 rows
    assert hasattr(raised.value, "classifier_")
