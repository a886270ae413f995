"""Tests for skbucket.dask on a real distributed.LocalCluster (2 worker processes)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import skbucket.dask  # noqa: E402
from skbucket import _models  # noqa: E402
from skbucket.bucketed import BucketedRegressor  # noqa: E402
from skbucket.dask import DaskOutputError, MetaInferenceError  # noqa: E402
from skbucket.features import PostFeatures  # noqa: E402

PHOTO = (
    "[Photo(previewUrl='https://pbs.twimg.com/media/A?format=jpg&name=small', "
    "fullUrl='https://pbs.twimg.com/media/A?format=jpg&name=large')]"
)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A real 2-process LocalCluster (1 thread each), once for the module."""
    # the nannies set PYTHONHASHSEED, MALLOC_TRIM_THRESHOLD_, ... in this process's
    # environment when they start and never undo it: later test files' subprocesses would
    # all share one hash seed
    with mock.patch.dict(os.environ):
        cwd = os.getcwd()
        os.chdir(tmp_path_factory.mktemp("dask-cluster"))  # worker-space/ lands there
        try:
            cluster = distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit="2GiB",
                silence_logs=40,
            )
        finally:
            os.chdir(cwd)
        with cluster, distributed.Client(cluster) as c:
            yield c


@pytest.fixture(autouse=True)
def _local_scheduler_unless_on_the_cluster(request):
    """While the module's client exists it is every computation's default scheduler: a test
    without it computes in this process, as it does when it runs before the cluster starts."""
    if "client" in request.fixturenames:
        yield
        return
    with dask.config.set({"scheduler": "sync", "dataframe.shuffle.method": "tasks"}):
        yield


def _posts(n=120, seed=0):
    rng = np.random.default_rng(seed)
    users = [f"user{i}" for i in range(9)]
    X = pd.DataFrame(
        {
            "content": [
                f"post {i} <hyperlink> " + "#tag " * (i % 3) + "<mention> " * (i % 2)
                for i in range(n)
            ],
            "username": rng.choice(users, n),
            "inferred_company": rng.choice(["acme", "zed", "ola"], n),
            "date": pd.date_range("2020-01-01", periods=n, freq="5h").astype(str),
            "media": [PHOTO] * n,
        },
        index=pd.RangeIndex(1000, 1000 + n),  # not 0..n-1: alignment must be kept
    )
    base = rng.integers(0, 3000, n)
    y = np.where(X["username"].isin(users[:3]), base // 30, base).astype(float)
    return X, y


def _model(random_state=0):
    return make_pipeline(
        PostFeatures(cv=3, random_state=random_state),
        BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge()),
    )


# ----------------------------------------------------------------------------- in-process
def test_transform_is_lazy_with_meta_and_matches_in_memory():
    X, y = _posts()
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    ddf = dd.from_pandas(X, npartitions=4)
    lazy = skbucket.dask.transform(pf, ddf)
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.columns) == list(pf.get_feature_names_out())
    assert (lazy.dtypes == np.float64).all()
    got = lazy.compute(scheduler="sync")
    expected = pd.DataFrame(pf.transform(X), index=X.index, columns=pf.get_feature_names_out())
    pd.testing.assert_frame_equal(got, expected)


def test_a_warning_from_a_partition_points_at_the_users_compute_line():
    """With the synchronous scheduler the user's line is on the stack: a warning from a
    partition pointed into dask's task code instead."""
    import warnings

    from skbucket.features import UnparseableDateWarning

    X, y = _posts()
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    bad = X.assign(date=X["date"].where(X.index != 1003, "garbage"))
    lazy = skbucket.dask.transform(pf, dd.from_pandas(bad, npartitions=2))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        lazy.compute(scheduler="sync")
    found = [w for w in seen if issubclass(w.category, UnparseableDateWarning)]
    assert found and all(w.filename == __file__ for w in found), [w.filename for w in found]


def test_a_day_month_mix_across_partitions_is_caught_by_the_documented_whole_column_check():
    """docs/scaling.rst: each partition is checked alone, so a column mixing day orders across
    partitions passes when training held no numeric date; the one-line check catches it."""
    from skbucket.dates import check_day_month

    X, y = _posts(40)  # ISO dates: nothing to check later columns against
    model = _model().fit(X, y)
    Y = X.assign(date=["13/04/2021 10:00"] * 20 + ["03/04/2021 10:00"] * 20)
    with pytest.raises(ValueError, match="mixes day/month orders"):
        model.predict(Y)
    ddf = dd.from_pandas(Y, npartitions=2)
    assert len(skbucket.dask.predict(model, ddf, meta="float64").compute(scheduler="sync")) == 40
    # as the page writes it: the unique values as a list, so the rows named are their
    # positions (each partition's unique() restarts its index: both were "row 0")
    with pytest.raises(ValueError, match="mixes day/month orders: row 0 .* row 1 "):
        check_day_month(ddf["date"].unique().compute(scheduler="sync").tolist())


def test_a_polars_output_keeps_each_columns_dtype():
    # np.asarray of a polars frame holding a text column is one object array: every feature
    # column came back object, where the pandas output gives float64
    pytest.importorskip("polars")
    from sklearn.compose import ColumnTransformer

    X, y = _posts()
    ct = ColumnTransformer(
        [
            ("pf", PostFeatures(cv=3, random_state=0), list(X.columns)),
            ("u", "passthrough", ["username"]),
        ]
    ).fit(X, y)
    expected = ct.set_output(transform="pandas").transform(X)
    ct.set_output(transform="polars")
    got = skbucket.dask.transform(ct, dd.from_pandas(X, npartitions=3)).compute(scheduler="sync")
    numeric = [c for c in expected.columns if c != "u__username"]
    assert (got[numeric].dtypes == np.float64).all(), got.dtypes.value_counts()
    pd.testing.assert_frame_equal(got[numeric], expected[numeric])
    assert got["u__username"].tolist() == X["username"].tolist()


def test_estimator_is_one_graph_key():
    X, y = _posts()
    model = _model().fit(X, y)
    lazy = skbucket.dask.predict(model, dd.from_pandas(X, npartitions=5))
    graph = dict(lazy.__dask_graph__())
    held = [_held(v) for v in graph.values() if isinstance(_held(v), type(model))]
    # one key holds the estimator (a copy: see the next test); the 5 partition tasks refer to it
    assert len(held) == 1 and held[0] is not model
    assert held[0].steps[0][1].get_params() == model.steps[0][1].get_params()


def _held(node):
    """The literal value a graph node holds (dask's DataNode or a raw literal)."""
    return getattr(node, "value", node)


def test_the_lazy_result_is_the_model_s_at_call_time_not_at_compute():
    """A notebook loop: build a lazy prediction, change the model, refit, compute them all."""
    X, y = _posts()
    model = _model().fit(X, y)
    ddf = dd.from_pandas(X, npartitions=3)
    lazy, eager = [], []
    for depth in (1, 4):
        model.set_params(bucketedregressor__classifier__max_depth=depth).fit(X, y)
        lazy.append(skbucket.dask.predict(model, ddf))
        eager.append(model.predict(X))
    pf = PostFeatures(media_column=None, category_columns=(), text_columns=("content",)).fit(X)
    features = skbucket.dask.transform(pf, ddf)
    expected = pf.transform(X)
    pf.set_params(text_columns=("username",)).fit(X)
    assert not np.allclose(eager[0], eager[1])
    # partition by partition: equal to the whole-frame predict up to rounding (module docs)
    for got, want in zip(dask.compute(*lazy, scheduler="sync"), eager):
        np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(features.compute(scheduler="sync").to_numpy(), expected)


def test_meta_from_dtype_without_dry_run():
    X, y = _posts()
    pf = PostFeatures(cv=3).fit(X, y)
    lazy = skbucket.dask.transform(pf, dd.from_pandas(X, npartitions=2), meta="float32")
    assert (lazy.dtypes == np.float32).all()
    got = lazy.compute(scheduler="sync")
    assert (got.dtypes == np.float32).all()  # partitions are cast to meta
    np.testing.assert_allclose(got.to_numpy(), pf.transform(X).astype(np.float32))
    pred = skbucket.dask.predict(_model().fit(X, y), dd.from_pandas(X, 2), meta="float32")
    assert pred.dtype == np.float32 and pred.compute(scheduler="sync").dtype == np.float32


class _CachingDouble(TransformerMixin, BaseEstimator):
    """Doubles X and writes one file per call into ``cache`` (a stand-in for a disk cache)."""

    def __init__(self, cache=None):
        self.cache = cache

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        if self.cache:
            Path(self.cache, f"{time.time_ns()}-{os.getpid()}.txt").write_text(str(len(X)))
        return np.asarray(X, dtype=float) * 2


def test_meta_dry_run_does_not_write_to_the_cache(tmp_path):
    X = pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)})
    est = _CachingDouble(cache=str(tmp_path)).fit(X)
    lazy = skbucket.dask.transform(est, dd.from_pandas(X, npartitions=2))
    assert list(tmp_path.iterdir()) == []  # the dry run ran on a copy with cache=False
    assert est.cache == str(tmp_path)
    out = lazy.compute(scheduler="sync")
    assert list(out.columns) == [0, 1]  # no get_feature_names_out: positions
    np.testing.assert_array_equal(out.to_numpy(), X.to_numpy() * 2)
    assert len(list(tmp_path.iterdir())) == 2  # one write per partition


def test_meta_dry_run_reaches_the_fitted_copies_of_a_column_transformer(tmp_path):
    # set_params alone turns off only the template; transform uses transformers_
    from sklearn.compose import ColumnTransformer

    X = pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)})
    ct = ColumnTransformer([("double", _CachingDouble(cache=str(tmp_path)), ["a", "b"])]).fit(X)
    written_by_fit = set(tmp_path.iterdir())  # fit_transform writes once
    lazy = skbucket.dask.transform(ct, dd.from_pandas(X, npartitions=2))  # a dry run
    assert set(tmp_path.iterdir()) == written_by_fit
    assert ct.named_transformers_["double"].cache == str(tmp_path)  # the user's model intact
    np.testing.assert_array_equal(lazy.compute(scheduler="sync").to_numpy(), X.to_numpy() * 2)


def test_first_row_fallback_computes_one_partition_not_all():
    from sklearn.preprocessing import OneHotEncoder

    computed = []

    def load(part):  # stands for reading one file of a large data set
        computed.append(len(part))
        return part

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"company": rng.choice(["acme", "zed", "ola"], 400)})
    y = (X["company"] == "acme") * 100.0
    model = make_pipeline(OneHotEncoder(handle_unknown="error"), Ridge()).fit(X, y)
    posts = dd.from_pandas(X, npartitions=8).map_partitions(load, meta=X.iloc[:0])
    lazy = skbucket.dask.predict(model, posts)  # dask's dummy "foo" is refused: first row
    assert len(computed) == 1
    np.testing.assert_allclose(lazy.compute(scheduler="sync").to_numpy(), model.predict(X))


def test_errors_are_clear():
    X, y = _posts()
    ddf = dd.from_pandas(X, npartitions=2)
    with pytest.raises(NotFittedError):
        skbucket.dask.transform(PostFeatures(), ddf)
    with pytest.raises(TypeError, match="dask.dataframe.DataFrame"):
        skbucket.dask.predict(_model().fit(X, y), X)
    pf = PostFeatures(cv=3).fit(X, y)
    with pytest.raises(MetaInferenceError, match="most likely your input's") as caught:
        skbucket.dask.transform(pf, ddf[["content", "date"]])  # columns missing in dry run
    assert "not found in X" in str(caught.value.__cause__)  # the input's error, chained
    wrong = pd.DataFrame({"a": pd.Series([], dtype="float64")})
    lazy = skbucket.dask.transform(pf, ddf, meta=wrong)
    with pytest.raises(DaskOutputError, match=r"partition \d.*meta expects \(60, 1\)"):
        lazy.compute(scheduler="sync")


def test_a_column_of_predictions_is_one_prediction_per_row():
    # a regressor fit on a one-column y (a DataFrame posts[["likes"]]) predicts shape (n, 1):
    # KNeighborsRegressor and PLSRegression do; skbucket.dask.predict refused it as 2-D
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.neighbors import KNeighborsRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(0, 8, size=(40, 2)), columns=["a", "b"], index=range(7, 47))
    y = pd.DataFrame({"likes": np.round(np.expm1(X["a"]))})
    ddf = dd.from_pandas(X, npartitions=3)
    for model in (KNeighborsRegressor(3).fit(X, y), PLSRegression(1).fit(X, y)):
        assert model.predict(X).shape == (40, 1)
        for meta in (None, "float64"):
            got = skbucket.dask.predict(model, ddf, meta=meta, name="likes").compute()
            assert got.name == "likes" and got.index.equals(X.index)
            np.testing.assert_allclose(got.to_numpy(), model.predict(X)[:, 0])
    with pytest.raises(MetaInferenceError, match="2-D output"):  # two per row: still refused
        skbucket.dask.predict(_TwoPerRow().fit(X, y), ddf)


class _TwoPerRow(BaseEstimator):
    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.zeros((len(X), 2))


def test_an_output_column_that_cannot_take_meta_dtype_is_named():
    # a text column under meta="float64" failed with pandas' bare cast error, no partition
    from sklearn.preprocessing import FunctionTransformer

    X, _ = _posts(20)
    text = FunctionTransformer(lambda f: f[["content"]].assign(n=1.0)).set_output(
        transform="pandas"
    )
    text.fit(X)
    lazy = skbucket.dask.transform(
        text, dd.from_pandas(X, npartitions=2), meta=pd.DataFrame({"content": [], "n": []})
    )
    with pytest.raises(DaskOutputError, match=r"column 'content' to float64 in partition \d"):
        lazy.compute(scheduler="sync")
    lazy = skbucket.dask.predict(_TextPredictions(), dd.from_pandas(X, npartitions=2), meta="f8")
    with pytest.raises(DaskOutputError, match=r"predict: cannot cast the output .*to float64"):
        lazy.compute(scheduler="sync")


class _TextPredictions(BaseEstimator):
    """A fitted model whose predictions are text."""

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        return np.array(["many"] * len(X), dtype=object)


def test_a_dataframe_output_is_matched_to_meta_by_name():
    # a meta with the estimator's own columns in another order: values go under their names
    # (they were renamed by position: 'year' held the account encodings)
    X, y = _posts()
    pf = PostFeatures(cv=3).set_output(transform="pandas").fit(X, y)
    expected = pf.transform(X)
    ddf = dd.from_pandas(X, npartitions=2)
    names = list(expected.columns)
    reordered = pd.DataFrame({c: pd.Series(dtype="float64") for c in names[::-1]})
    out = skbucket.dask.transform(pf, ddf, meta=reordered).compute(scheduler="sync")
    assert list(out.columns) == names[::-1]
    pd.testing.assert_frame_equal(out[names], expected, check_exact=False)
    renamed = pd.DataFrame({f"f{i}": pd.Series(dtype="float64") for i in range(len(names))})
    out = skbucket.dask.transform(pf, ddf, meta=renamed).compute(scheduler="sync")
    np.testing.assert_allclose(out.to_numpy(), expected.to_numpy())  # new names: by position
    mixed = renamed.rename(columns={"f0": names[1]})
    with pytest.raises(DaskOutputError, match="share only some names with meta's"):
        skbucket.dask.transform(pf, ddf, meta=mixed).compute(scheduler="sync")


def test_empty_partitions():
    X, y = _posts(40)
    pf = PostFeatures(cv=3).fit(X, y)
    ddf = dd.from_pandas(X, npartitions=2)
    empty = ddf[ddf["date"] > "3000"]  # every partition empty
    out = skbucket.dask.transform(pf, empty).compute(scheduler="sync")
    assert out.shape == (0, len(pf.get_feature_names_out()))


def test_categorical_output_columns_keep_their_values():
    """A categorical column passed through (the prompt step keeps the posts' columns) or made
    by the estimator: each partition was cast to meta's categories, dask's unknown-categories
    marker or the dummy row's ``["foo"]``, and every value became NaN."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X = pd.DataFrame({"u": list("abcdefghij"), "a": np.arange(10.0)}, index=range(5, 15))
    ct = ColumnTransformer(
        [("s", StandardScaler(), ["a"]), ("p", "passthrough", ["u"])],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    ct.fit(X)
    unknown = dd.from_pandas(X, npartitions=3).astype({"u": "category"})  # as read_csv makes
    known = dd.from_pandas(X.astype({"u": "category"}), npartitions=3)
    for ddf in (unknown, known):
        got = skbucket.dask.transform(ct, ddf).compute(scheduler="sync")
        assert got["u"].tolist() == list("abcdefghij")
        assert isinstance(got["u"].dtype, pd.CategoricalDtype)
    lazy = skbucket.dask.transform(ct, known)
    assert lazy["u"].cat.known  # the input's categories are kept as known
    made = FunctionTransformer(lambda X: X.astype({"u": "category"})).fit(X)
    lazy = skbucket.dask.transform(made, dd.from_pandas(X, npartitions=3))
    assert not lazy["u"].cat.known  # not the dummy row's ["foo"]
    assert lazy.compute(scheduler="sync")["u"].tolist() == list("abcdefghij")
    few = pd.DataFrame(
        {"u": pd.Categorical([], categories=["a", "b"]), "a": pd.Series([], dtype=float)}
    )
    with pytest.raises(DaskOutputError, match=r"'u' in partition \d holds '[c-j]', which is none"):
        skbucket.dask.transform(made, dd.from_pandas(X, npartitions=3), meta=few).compute(
            scheduler="sync"
        )


def test_meta_category_keeps_each_partitions_values():
    """meta="category" (a dtype, as the docs allow) names no categories: every prediction and
    every output value was cast to none at all and became NaN."""
    X = pd.DataFrame({"a": np.arange(10.0)})
    clf = DecisionTreeClassifier().fit(X, ["lo"] * 5 + ["hi"] * 5)
    ddf = dd.from_pandas(X, npartitions=3)
    for meta in ("category", pd.CategoricalDtype()):
        lazy = skbucket.dask.predict(clf, ddf, meta=meta)
        assert isinstance(lazy.dtype, pd.CategoricalDtype) and not lazy.cat.known
        got = lazy.compute(scheduler="sync")
        assert got.tolist() == ["lo"] * 5 + ["hi"] * 5
    text = FunctionTransformer(lambda X: X.astype(str), feature_names_out="one-to-one").fit(X)
    got = skbucket.dask.transform(text, ddf, meta="category").compute(scheduler="sync")
    assert got["a"].tolist() == [str(v) for v in X["a"]]


def test_an_array_output_is_matched_to_meta_by_name_too():
    # the default (array) output under a meta of the estimator's names in another order: before,
    # labelled by position ('year' held the account encodings)
    X, y = _posts()
    pf = PostFeatures(cv=3).fit(X, y)
    names = list(pf.get_feature_names_out())
    expected = pd.DataFrame(pf.transform(X), index=X.index, columns=names)
    reordered = pd.DataFrame({c: pd.Series(dtype="float64") for c in names[::-1]})
    lazy = skbucket.dask.transform(pf, dd.from_pandas(X, npartitions=2), meta=reordered)
    out = lazy.compute(scheduler="sync")
    pd.testing.assert_frame_equal(out[names], expected)


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.set_index")  # dask's own
@pytest.mark.parametrize("index", ["named", "text"])
def test_the_result_describes_the_inputs_index_and_writes_to_parquet(tmp_path, index):
    from skbucket.baselines import GroupMedianRegressor

    X, y = _posts(40)
    X.index = [f"t{i:04d}" for i in range(len(X))]
    if index == "named":
        X.index.name = "id"
    model = GroupMedianRegressor().fit(X, y)
    ddf = dd.from_pandas(X, npartitions=3)
    likes = skbucket.dask.predict(model, ddf, name="likes")
    assert likes._meta.index.name == X.index.name  # before: an unnamed int64 index
    assert likes._meta.index.dtype == ddf._meta.index.dtype  # dask's own text dtype
    likes.to_frame().to_parquet(tmp_path / "likes")  # before: KeyError / schema ValueError
    back = pd.read_parquet(tmp_path / "likes")["likes"]
    assert back.index.astype(str).tolist() == X.index.tolist()
    np.testing.assert_allclose(back.to_numpy(), model.predict(X))


def test_a_meta_dtype_that_would_change_the_values_is_refused_and_pandas_dtypes_work():
    X = pd.DataFrame({"a": np.arange(40.0)})
    model = Ridge().fit(X, X["a"] * 1.37 + 0.3)
    ddf = dd.from_pandas(X, npartitions=2)
    for meta in ("int64", bool, "datetime64[ns]"):  # before: 0.305 became 0, True, 1970
        lazy = skbucket.dask.predict(model, ddf, meta=meta)
        with pytest.raises(DaskOutputError, match=r"float64, and meta's .* would change"):
            lazy.compute(scheduler="sync")
    out = skbucket.dask.predict(model, ddf, meta="float32").compute(scheduler="sync")
    np.testing.assert_allclose(out.to_numpy(), model.predict(X), rtol=1e-6)  # allowed
    out = skbucket.dask.predict(model, ddf, meta="Float64").compute(scheduler="sync")
    assert str(out.dtype) == "Float64"  # before: "data type 'Float64' not understood"
    with pytest.raises(TypeError, match=r"meta='nonsense' is not a dtype"):
        skbucket.dask.predict(model, ddf, meta="nonsense")


def test_a_narrower_meta_that_cannot_hold_the_values_is_refused():
    """Same kind, narrower type: 300 under meta="int8" wrapped to 44 and 400 to -112, 7e4
    under "float16" became inf, without a word."""
    from sklearn.linear_model import LinearRegression
    from sklearn.tree import DecisionTreeClassifier

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    ddf = dd.from_pandas(X, npartitions=2)
    clf = DecisionTreeClassifier().fit(X, [1, 2, 300, 400])
    reg = LinearRegression().fit(X, [7e4, 1.4e5, 2.1e5, 2.8e5])
    for model, meta, dtype in ((clf, "int8", "int64"), (reg, "float16", "float64")):
        lazy = skbucket.dask.predict(model, ddf, meta=meta)
        with pytest.raises(DaskOutputError, match=rf"is {dtype}, and meta's {meta} would change"):
            lazy.compute(scheduler="sync")
    # values the narrower type holds are cast as asked
    small = DecisionTreeClassifier().fit(X, [1, 2, 3, 4])
    out = skbucket.dask.predict(small, ddf, meta="int8").compute(scheduler="sync")
    assert out.dtype == np.int8 and out.tolist() == [1, 2, 3, 4]
    big = LinearRegression().fit(X, [1e39, 2e39, 3e39, 4e39])  # beyond float32 too
    with pytest.raises(DaskOutputError, match=r"meta's float32 would change"):
        skbucket.dask.predict(big, ddf, meta="float32").compute(scheduler="sync")


def test_meta_inference_on_a_collection_without_rows_says_to_pass_meta():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    X, _ = _posts(40)
    encoder = ColumnTransformer([("co", OneHotEncoder(), ["inferred_company"])]).fit(X)
    ddf = dd.from_pandas(X, npartitions=2)
    nobody = ddf[ddf["username"] == "nobody-here"]  # dask's dummy rows hold unknown values
    with pytest.raises(MetaInferenceError, match="the collection has no rows .*pass meta="):
        skbucket.dask.transform(encoder, nobody)  # before: blamed "your first row"
    out = skbucket.dask.transform(encoder, nobody, meta="float64").compute(scheduler="sync")
    assert out.shape == (0, len(encoder.get_feature_names_out()))


# ----------------------------------------------------------------------------- on the cluster
def test_predict_on_cluster_matches_in_memory(client):
    X, y = _posts()
    model = _model().fit(X, y)
    ddf = dd.from_pandas(X, npartitions=4)
    lazy = skbucket.dask.predict(model, ddf, name="likes")
    assert isinstance(lazy, dd.Series) and lazy.name == "likes"
    got = client.compute(lazy).result()
    assert got.index.equals(X.index)
    per_partition = pd.concat(
        [pd.Series(model.predict(p), index=p.index) for p in _pandas_partitions(ddf)]
    )
    np.testing.assert_array_equal(got.to_numpy(), per_partition.to_numpy())
    np.testing.assert_allclose(got.to_numpy(), model.predict(X), rtol=1e-9)
    # a shuffled dask frame keeps row alignment
    shuffled = dd.from_pandas(X.sample(frac=1.0, random_state=1), npartitions=3)
    got = client.compute(skbucket.dask.predict(model, shuffled)).result()
    np.testing.assert_allclose(got.sort_index().to_numpy(), model.predict(X), rtol=1e-9)


def _pandas_partitions(ddf):
    return [ddf.get_partition(i).compute(scheduler="sync") for i in range(ddf.npartitions)]


def test_estimator_deserialised_once_per_worker(client):
    X, y = _posts()
    est = _CountingPostFeatures(cv=3).fit(X, y)
    ddf = dd.from_pandas(X, npartitions=8)
    lazy = skbucket.dask.transform(est, ddf, meta="float64")
    client.run(_reset_unpickle_counter)
    client.compute(lazy).result()
    counts = client.run(_read_unpickle_counter)
    # 8 partition tasks, but each worker unpickled the estimator at most once
    assert all(c <= 1 for c in counts.values()), counts
    assert sum(counts.values()) >= 1


class _CountingPostFeatures(PostFeatures):
    """PostFeatures that counts how often it is unpickled in this process."""

    def __setstate__(self, state):
        _UNPICKLED.append(1)
        super().__setstate__(state)


_UNPICKLED: list[int] = []


def _reset_unpickle_counter():
    import test_dask

    test_dask._UNPICKLED.clear()


def _read_unpickle_counter():
    import test_dask

    return len(test_dask._UNPICKLED)


def test_grid_search_and_cross_val_score_under_joblib_dask(client):
    X, y = _posts(150)
    grid = {"bucketedregressor__classifier__max_depth": [2, 4]}
    local = GridSearchCV(_model(), grid, cv=KFold(3), n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        remote = GridSearchCV(_model(), grid, cv=KFold(3), n_jobs=-1).fit(X, y)
        scores = cross_val_score(_model(), X, y, cv=KFold(3), n_jobs=-1)
    assert len(stream.data) >= 6  # the fits ran as tasks on the cluster
    workers = {t["worker"] for t in stream.data}
    assert workers <= set(client.scheduler_info()["workers"])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(scores, cross_val_score(_model(), X, y, cv=KFold(3)))


# ----------------------------------------------------------------------------- with a real model
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("torch")
    from _tiny_distilbert import make_tiny_distilbert

    return make_tiny_distilbert(tmp_path_factory.mktemp("tiny-distilbert"))


def _texts(n, start=0):
    words = ["brand", "launch", "sale", "today", "watch", "live", "news", "happy"]
    return pd.Series(
        [f"post {i} " + " ".join(words[: 1 + i % len(words)]) for i in range(start, start + n)],
        index=pd.RangeIndex(5000 + start, 5000 + start + n),
        name="text",
    )


class _CountingRegistry(dict):
    """Stand-in for the runtime's model registry that records every real load (insertion)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loads = []

    def __setitem__(self, key, value):
        self.loads.append(key)
        super().__setitem__(key, value)


def _count_loads():
    from skbucket import _models

    if not isinstance(_models._REGISTRY, _CountingRegistry):
        _models._REGISTRY = _CountingRegistry(_models._REGISTRY)
    return os.getpid()


def _loads_of(path):
    from skbucket import _models

    loads = getattr(_models._REGISTRY, "loads", [])
    return [key[0] for key in loads if str(Path(path).resolve()) in key]


def test_embedder_on_cluster_loads_the_model_once_per_worker(client, tiny_model):
    from skbucket.embedding import DistilBertEmbedder

    texts = _texts(64)
    emb = DistilBertEmbedder(model=tiny_model, batch_size=4, cache=False).fit(texts)
    expected = emb.transform(texts)
    ddf = dd.from_pandas(texts, npartitions=8)
    client.run(_models.clear_model_registry)  # an earlier test's load is not this one's
    client.run(_count_loads)
    lazy = skbucket.dask.transform(emb, ddf, meta=expected.dtype)
    with distributed.get_task_stream(client) as stream:
        got = client.compute(lazy).result()
    # identical to the in-memory transform of the same rows, partition by partition
    assert got.index.equals(texts.index)
    parts = [emb.transform(p) for p in _pandas_partitions(ddf)]
    np.testing.assert_array_equal(got.to_numpy(), np.vstack(parts))
    np.testing.assert_allclose(got.to_numpy(), expected, atol=1e-5)
    # 8 partitions ran; each worker that ran some loaded each model object once
    ran_on = {t["worker"] for t in stream.data if "_transform_partition" in str(t["key"])}
    loads = client.run(_loads_of, tiny_model)
    assert ran_on, "no partition task seen"
    for worker in ran_on:
        assert loads[worker], f"{worker} ran partitions but loaded nothing?"
        assert len(loads[worker]) == len(set(loads[worker])), loads  # nothing loaded twice
    # a second job loads nothing new
    client.compute(skbucket.dask.transform(emb, dd.from_pandas(_texts(32, 64), 4))).result()
    assert client.run(_loads_of, tiny_model) == loads


def _slow_identity(X):
    time.sleep(0.4)
    return X


def test_worker_killed_mid_job_completes_and_cache_keeps_finished_work(
    client, tiny_model, tmp_path
):
    from sklearn.preprocessing import FunctionTransformer

    from skbucket.cache import DiskCache
    from skbucket.embedding import DistilBertEmbedder

    cache = tmp_path / "cache"
    texts = _texts(96, 200)
    model = make_pipeline(
        FunctionTransformer(_slow_identity),  # makes each partition take a while
        DistilBertEmbedder(model=tiny_model, batch_size=4, cache=str(cache)),
    ).fit(texts)
    expected = (
        DistilBertEmbedder(model=tiny_model, batch_size=4, cache=False).fit(texts).transform(texts)
    )
    pids = client.run(os.getpid)
    lazy = skbucket.dask.transform(model, dd.from_pandas(texts, 12))  # meta by a dry run...
    assert not list(cache.rglob("*.skbc"))  # ...on a copy with distilbertembedder__cache=False
    future = client.compute(lazy)
    deadline = time.monotonic() + 120
    while not list(cache.rglob("*.skbc")) and time.monotonic() < deadline:
        time.sleep(0.05)
    before = {p: p.read_bytes() for p in cache.rglob("*.skbc")}
    assert before, "no cache entry was written"
    assert not future.done(), "the job finished before a worker could be killed"
    busy = [w for w, keys in client.processing().items() if keys]
    victim = busy[0] if busy else next(iter(client.scheduler_info()["workers"]))
    os.kill(pids[victim], signal.SIGKILL)  # the worker process dies at once (nanny restarts it)

    got = future.result(timeout=180)  # tasks of the dead worker ran again elsewhere
    np.testing.assert_allclose(got.to_numpy(), expected, atol=1e-5)
    assert got.index.equals(texts.index)
    # everything cached before the kill is still there, unchanged, and reads back valid
    disk = DiskCache(cache)
    for path, data in before.items():
        assert path.read_bytes() == data
    keys = list(disk.keys())
    values = disk.get_many(keys)
    assert len(values) == len(keys) >= len(before)
    for vec in values.values():  # each cached vector is the embedding of one of the texts
        assert np.min(np.abs(expected - np.asarray(vec)).max(axis=1)) < 1e-5


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")  # the module's cluster has it
def test_documented_recipe_unsets_malloc_trim_threshold_in_the_workers(tmp_path, monkeypatch):
    # docs/scaling.rst and the skbucket.dask docstring tell CPU users to unset distributed's
    # MALLOC_TRIM_THRESHOLD_ (it made torch batches 1.3x slower in bench_dask.py) this way
    import dask

    # a cluster started earlier in this process (the nannies run here) would leave it in
    # os.environ; the module's cluster restores the environment, a user's might not
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.chdir(tmp_path)
    key = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
    seen = {}
    for setting in ("default", None):
        with (
            mock.patch.dict(os.environ),  # the nanny's settings of this process's environment
            dask.config.set({} if setting == "default" else {key: setting}),
            distributed.LocalCluster(
                n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=40,
            ) as cluster,
            distributed.Client(cluster) as c,
        ):  # fmt: skip
            values = c.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
            seen[setting] = set(values.values())
    assert seen == {"default": {"65536"}, None: {None}}


def test_the_copy_taken_at_call_time_keeps_a_users_own_cache(tiny_model):
    """The snapshot of the estimator must not copy a store passed as cache=: the lazy
    result's embeddings went into a copy (lost), and a store holding a lock failed."""
    import threading

    from skbucket.embedding import DistilBertEmbedder

    class LockedStore:  # a thread-safe store of the user's own, get_many/set_many only
        def __init__(self):
            self.data, self.lock = {}, threading.Lock()

        def get_many(self, keys):
            with self.lock:
                return {k: self.data[k] for k in keys if k in self.data}

        def set_many(self, mapping):
            with self.lock:
                self.data.update(mapping)

    store = LockedStore()
    texts = pd.DataFrame({"text": ["a cat", "a dog", "two birds", "one fish"]})
    embedder = DistilBertEmbedder(model=tiny_model, cache=store, progress=False).fit(texts)
    pipe = make_pipeline(embedder).fit(texts)
    lazy = skbucket.dask.transform(pipe, dd.from_pandas(texts, npartitions=2), meta="float32")
    got = lazy.compute(scheduler="threads")
    assert len(store.data) == 4  # the writes reached the user's store
    np.testing.assert_allclose(got.to_numpy(), embedder.transform(texts), rtol=1e-6)
    # without meta= the dry run copies the estimator too: "cannot pickle '_thread.lock'"
    fresh = LockedStore()
    embedder = DistilBertEmbedder(model=tiny_model, cache=fresh, progress=False).fit(texts)
    lazy = skbucket.dask.transform(embedder, dd.from_pandas(texts, npartitions=2))
    assert fresh.data == {}  # the dry run writes nothing to it
    np.testing.assert_allclose(
        lazy.compute(scheduler="threads").to_numpy(), embedder.transform(texts), rtol=1e-6
    )


def test_the_copy_taken_at_call_time_takes_an_estimator_class_as_a_parameter():
    """A parameter whose value is an estimator class (get_params does not recurse into it)
    made the call-time copy call get_params on the class: a TypeError."""
    from sklearn.tree import DecisionTreeRegressor

    class Wrap(TransformerMixin, BaseEstimator):
        def __init__(self, kind=DecisionTreeRegressor):
            self.kind = kind

        def fit(self, X, y=None):
            self.n_features_in_ = X.shape[1]
            return self

        def transform(self, X):
            return X * 2.0

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    pipe = make_pipeline(Wrap()).fit(frame)
    meta = frame.iloc[:0]
    got = skbucket.dask.transform(pipe, dd.from_pandas(frame, npartitions=2), meta=meta)
    np.testing.assert_array_equal(got.compute().to_numpy(), frame.to_numpy() * 2.0)


class _WaitsForAnotherThread(TransformerMixin, BaseEstimator):
    """Its transform waits until another thread has been through a block of skbucket's
    own that changes the warning filters (as an ONNX export in another thread did)."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def transform(self, X):
        import threading

        from skbucket._warn import ignoring

        done = threading.Event()

        def other():
            with ignoring(DeprecationWarning):
                pass
            done.set()

        threading.Thread(target=other, daemon=True).start()
        if not done.wait(timeout=10):
            raise RuntimeError("the other thread is held up by this dry run")
        return np.asarray(X, dtype=float)


def test_the_meta_dry_run_holds_no_lock_while_the_estimator_runs():
    """The dry run held the warning-filters lock through the user's estimator: an ONNX export
    in another thread, holding the export lock and waiting for that one, deadlocked with a
    dry run whose estimator waited for the export lock."""
    frame = dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), npartitions=1)
    out = skbucket.dask.transform(_WaitsForAnotherThread().fit(None), frame)
    np.testing.assert_array_equal(np.asarray(out.compute()), [[1.0], [2.0], [3.0]])


def test_two_dry_runs_at_once_leave_the_warning_filters_as_they_were():
    """Each dry run ignored every warning in a catch_warnings block, which puts back on exit
    the filters it found: entered A, entered B, left A, left B put back A's "ignore
    everything" for good, and no warning showed for the rest of the process."""
    import threading
    import warnings

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    class A(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            self.fitted_ = True
            return self

        def transform(self, X):
            a_in.set()
            b_in.wait(5)
            return np.asarray(X, dtype=float)

    class B(A):
        def transform(self, X):
            b_in.set()
            a_out.wait(5)
            return np.asarray(X, dtype=float)

    frame = dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0]}), npartitions=1)
    before = list(warnings.filters)

    def run_a():
        skbucket.dask.transform(A().fit(None), frame)
        a_out.set()

    first = threading.Thread(target=run_a)
    first.start()
    assert a_in.wait(10)
    second = threading.Thread(target=lambda: skbucket.dask.transform(B().fit(None), frame))
    second.start()
    first.join(20)
    second.join(20)
    assert warnings.filters == before
