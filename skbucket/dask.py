"""Run fitted skbucket estimators over Dask DataFrames, partition by partition.

Needs the ``dask`` extra (``pip install ".[dask]"`` from a checkout: ``dask[dataframe]`` and
``distributed``). :func:`transform` and :func:`predict` apply any *fitted* transformer,
pipeline or regressor to a :class:`dask.dataframe.DataFrame` (or ``Series``) and return a lazy
dask collection, in the style of dask-ml's ``ParallelPostFit``:

* **the estimator is shipped once**: it becomes a single key of the task graph
  (``dask.delayed(estimator)``) that every partition task depends on. On a
  ``distributed`` cluster each worker process receives and unpickles it once and then keeps
  it in memory for all the partitions it runs. The key holds a copy taken when
  :func:`transform` / :func:`predict` is called, so refitting the estimator or changing its
  parameters before ``compute()`` does not change the lazy result (a fine-tuned
  :class:`~skbucket.classification.DistilBertClassifier` is copied with its weights).
* **the model is loaded once per worker process**: skbucket estimators never pickle loaded
  weights (they are dropped when pickling and reloaded lazily); the first partition a
  worker runs loads them through skbucket's process-wide model registry, and every later
  partition on that worker reuses them.
* **the on-disk cache is shared**: give the estimator ``cache="<folder on a shared disk>"``;
  :class:`skbucket.cache.DiskCache` is safe for several processes (atomic writes), so workers
  reuse each other's results, and a worker killed mid-job loses at most its batch in flight.
* **results are identical** to the in-memory ``estimator.transform(part)`` /
  ``estimator.predict(part)`` on the same rows, partition by partition, with the partition's
  index kept (rows stay aligned with the input). Against one in-memory call on the whole frame
  they agree up to floating-point rounding (BLAS and padded batches sum in a different order
  when the rows come in other groups). Dask turns text columns into pandas' ``string`` dtype
  (missing value ``pd.NA``) unless ``dask.config.set({"dataframe.convert-string": False})``;
  skbucket's estimators read it like ``None``, a plain scikit-learn step fit on ``None`` may
  not (see the scaling guide).
  Checks across rows see one partition at a time: a date column mixing day-first and
  month-first numeric dates across partitions is not refused as in memory unless the fitted
  reader kept numeric dates from training to check against (see the scaling guide for a
  one-line check of the whole column).

``meta`` (the empty pandas object that describes the output) is found, unless given, by
running the estimator once, in the calling process, on the two rows of dummy data dask makes
from the input's schema (``ddf._meta_nonempty``: strings ``"foo"``, numbers 1, ...) and, if the
estimator cannot handle those (a regressor fed NaN date features, say), on the first real row
(partitions are computed one at a time until one has a row). The dry run uses a copy of the
estimator whose ``cache`` parameters, fitted copies included, are switched off (nothing is
written to your cache), but it does load the model in the calling process. To avoid all that,
pass ``meta``: for :func:`transform` a dtype is enough when the estimator has
``get_feature_names_out`` and every output column has that dtype (e.g. ``meta="float32"`` for
an embedder; the seed pipeline's features, a text ``prompt`` beside numbers, need a pandas
``meta``), for :func:`predict` a dtype (``meta="float64"``); a full pandas ``meta`` is accepted
too. Each partition's output is checked against ``meta`` (number of columns) and cast to its
dtypes (a column that cannot be cast raises :class:`DaskOutputError` naming it and the
partition); a DataFrame output is matched to
``meta``'s columns by name when they are its own names in any order (by position when
``meta`` names them anew; refused when the two share only some names), an array output too
(labelled by ``get_feature_names_out()``). A cast that would change the values (float
predictions under ``meta="int64"`` or ``bool``) is refused the same way; float64 to float32 is
not. A dtype may be numpy's or pandas' (``"Int64"``, ``"Float64"``). The result's index is
described as the input's (dtype and name), so ``to_parquet`` writes it as it was.

On CPU workers, unset ``distributed``'s ``MALLOC_TRIM_THRESHOLD_`` before the cluster starts
(``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})``):
with it set, torch maps and unmaps its large per-batch tensors on every batch, which made a
2-worker embedding run 1.17x slower in ``benchmarks/bench_dask.py`` (1.31x in an earlier run;
see ``docs/scaling.rst``).

Training at scale needs no helper: run scikit-learn's own parallel loops on the cluster with
joblib's dask backend, e.g. ``with joblib.parallel_backend("dask"): search.fit(X, y)`` for a
:class:`~sklearn.model_selection.GridSearchCV` with ``n_jobs=-1`` (see ``docs/scaling.rst``).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

try:
    import dask
    import dask.dataframe as dd
    from dask.dataframe.utils import UNKNOWN_CATEGORIES, clear_known_categories, make_meta
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "skbucket.dask needs the 'dask' extra: pip install 'skbucket[dask]' "
        "(dask[dataframe] and distributed)"
    ) from exc

from sklearn.utils.validation import check_is_fitted

from ._frames import plain
from ._warn import ignoring

__all__ = ["DaskOutputError", "MetaInferenceError", "predict", "transform"]


class MetaInferenceError(ValueError):
    """The output description (``meta``) could not be found by a dry run; pass ``meta=``."""


class DaskOutputError(RuntimeError):
    """A partition's output does not match ``meta``: wrong number of rows or columns, columns
    that share only some of ``meta``'s names, or a column that cannot be cast to ``meta``'s
    dtype (the message names the partition)."""


def transform(estimator, ddf, *, meta=None):
    """Lazily ``estimator.transform`` every partition of a Dask collection.

    Parameters
    ----------
    estimator : fitted estimator with ``transform``
        A skbucket transformer, a :class:`~sklearn.pipeline.Pipeline` ending in one, or any
        scikit-learn transformer. It is shipped once (one graph key), not once per partition.
    ddf : dask.dataframe.DataFrame or dask.dataframe.Series
        The rows to transform; each partition (a pandas object) is passed to
        ``estimator.transform`` as it is.
    meta : None, dtype-like, pandas.DataFrame or dict, default=None
        The output description. None: found by a dry run on dummy rows (see the module
        docstring). A dtype (``"float32"``, ``np.float64``, ``object``): the column names come
        from ``estimator.get_feature_names_out()``. A pandas DataFrame (or anything
        :func:`dask.dataframe.utils.make_meta` accepts): used as is.

    Returns
    -------
    result : dask.dataframe.DataFrame
        Lazy; one output partition per input partition, with the input partition's index and
        the columns and dtypes of ``meta``. Dense output even if the estimator returns a
        sparse matrix.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        At once, when the estimator is not fitted (not on the workers).
    MetaInferenceError
        When ``meta`` is None and the dry run fails (the message says how to pass ``meta``).
    DaskOutputError
        At compute time, when a partition's output does not match ``meta``.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> import skbucket.dask
    >>> from skbucket.features import PostFeatures
    >>> posts = pd.DataFrame({"content": ["hi <hyperlink>", "#sale \\U0001f600", "<mention> ok"] * 2,
    ...                       "date": ["2020-03-02 14:30:00", "2021-01-01", "2019-07-04"] * 2})
    >>> pf = PostFeatures(media_column=None, category_columns=()).fit(posts)
    >>> lazy = skbucket.dask.transform(pf, dd.from_pandas(posts, npartitions=2))
    >>> lazy.npartitions, list(lazy.columns[:4])
    (2, ['hour', 'weekday', 'month', 'year'])
    >>> lazy.compute().equals(pd.DataFrame(pf.transform(posts), index=posts.index,
    ...                                    columns=pf.get_feature_names_out()))
    True
    """
    _check_estimator(estimator, "transform")
    _check_collection(ddf)
    meta = _with_index(_transform_meta(estimator, ddf, meta), ddf)
    own = _own_names(estimator, meta)
    est = _ship(estimator)
    return ddf.map_partitions(
        _transform_partition,
        est,
        meta,
        own,
        meta=meta,
        enforce_metadata=False,
        align_dataframes=False,
    )


def predict(estimator, ddf, *, meta=None, name="prediction"):
    """Lazily ``estimator.predict`` every partition of a Dask collection.

    Parameters
    ----------
    estimator : fitted estimator with ``predict``
        A :class:`~skbucket.bucketed.BucketedRegressor`, a pipeline ending in a regressor, or
        any scikit-learn regressor or classifier. Shipped once (one graph key).
    ddf : dask.dataframe.DataFrame or dask.dataframe.Series
        The rows to predict; each partition is passed to ``estimator.predict`` as it is.
    meta : None, dtype-like or pandas.Series, default=None
        None: found by a dry run on dummy rows. A dtype: a Series of that dtype named
        ``name``. A pandas Series: used as is (its name wins).
    name : str, default="prediction"
        Name of the resulting Series.

    Returns
    -------
    result : dask.dataframe.Series
        Lazy; one prediction per row, with the input partition's index. A ``predict`` that
        returns them as a column, shape ``(n_rows, 1)`` (a regressor fit on a one-column
        ``y`` such as ``posts[["likes"]]``: KNeighborsRegressor, PLSRegression), gives
        the same Series.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        At once, when the estimator is not fitted.
    MetaInferenceError
        When ``meta`` is None and the dry run fails.
    DaskOutputError
        At compute time, when ``predict`` returns other than one value per row.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import numpy as np
    >>> import pandas as pd
    >>> import skbucket.dask
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skbucket.bucketed import BucketedRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame(rng.uniform(0, 8, size=(200, 2)), columns=["a", "b"])
    >>> y = np.round(np.expm1(X["a"]))
    >>> model = BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge())
    >>> model = model.fit(X, y)
    >>> lazy = skbucket.dask.predict(model, dd.from_pandas(X, npartitions=4), name="likes")
    >>> lazy.name, lazy.npartitions
    ('likes', 4)
    >>> bool(np.allclose(lazy.compute().to_numpy(), model.predict(X)))
    True
    >>> part = X.iloc[:50]  # the first partition: bit-for-bit what predict gives on its rows
    >>> bool(np.array_equal(lazy.partitions[0].compute().to_numpy(), model.predict(part)))
    True
    """
    _check_estimator(estimator, "predict")
    _check_collection(ddf)
    meta = _with_index(_predict_meta(estimator, ddf, meta, name), ddf)
    est = _ship(estimator)
    return ddf.map_partitions(
        _predict_partition,
        est,
        meta,
        meta=meta,
        enforce_metadata=False,
        align_dataframes=False,
    )


# --------------------------------------------------------------------------------------------
# graph building
# --------------------------------------------------------------------------------------------
def _check_estimator(estimator, method):
    if not hasattr(estimator, method):
        raise TypeError(f"{type(estimator).__name__} has no {method!r} method")
    check_is_fitted(estimator)


def _check_collection(ddf):
    if not isinstance(ddf, dd.DataFrame | dd.Series):
        raise TypeError(
            "expected a dask.dataframe.DataFrame or Series; got "
            f"{type(ddf).__module__}.{type(ddf).__name__} (use dask.dataframe.from_pandas or "
            "read_parquet/read_csv to make one)"
        )


def _ship(estimator):
    """One graph key holding a copy of the estimator as it is now (serialised once; a worker
    keeps it in memory).

    The copy (``copy.deepcopy``: loaded weights are dropped and reloaded through the model
    registry, a :class:`~skbucket.cache.MemoryCache` stays the same handle) is the snapshot
    the lazy result is computed with: the live object would give, at ``compute()``, the
    answers of whatever it was refitted or ``set_params``-ed to since. ``pure=False`` gives
    the key a random name instead of hashing the estimator (hashing would pickle a large
    fitted model several times just to name it).
    """
    return dask.delayed(_snapshot(estimator), pure=False, traverse=False)


def _snapshot(estimator):
    """``copy.deepcopy(estimator)`` that keeps every cache object (a ``cache`` parameter that
    is a store, of a template or of a fitted copy) the same object: a store is a handle, and a
    user's own one (not a :class:`~skbucket.cache.MemoryCache`, which deep-copies as itself)
    must receive the lazy result's writes, and may hold a lock that cannot be copied."""
    from ._models import every_estimator, is_store_object

    memo = {}
    for part in every_estimator(estimator):
        store = part.get_params(deep=False).get("cache")
        if is_store_object(store):
            memo[id(store)] = store
    return copy.deepcopy(estimator, memo)


def _with_index(meta, ddf):
    """``meta`` described with the input's index (dtype and name): each output partition
    keeps its input partition's index, and dask's writers (``to_parquet``) read the index
    from ``meta``; an unnamed int64 index there refused a named or text index."""
    return meta.set_axis(ddf._meta.index[:0], axis=0)


def _own_names(estimator, meta):
    """The estimator's own output names when ``meta`` holds the same names in another order
    (an array output is then labelled by them and matched to ``meta`` by name), else None."""
    try:
        names = list(estimator.get_feature_names_out())
    except Exception:  # no names, or the estimator cannot name its output
        return None
    wanted = list(meta.columns)
    if names != wanted and len(set(names)) == len(names) and set(names) == set(wanted):
        return names
    return None


def _is_dtype_like(meta):
    if isinstance(meta, np.dtype | str | pd.api.extensions.ExtensionDtype):
        return True
    if isinstance(meta, type):
        return meta in (object, str, bool, float, int) or issubclass(meta, np.generic)
    return False


def _dtype(meta):
    """A numpy or pandas dtype (``"float32"``, ``"Int64"``, ``"string"``), or an error
    naming ``meta=``."""
    try:
        dtype = pd.api.types.pandas_dtype(meta)
    except TypeError as exc:
        raise TypeError(
            f"meta={meta!r} is not a dtype numpy or pandas knows ({exc}); pass a dtype such "
            "as 'float32', 'float64' or 'Int64', or a pandas object describing the output"
        ) from None
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories is None:
        # "category" names no categories: each partition keeps its own (dask's unknown
        # categories); a cast to none at all made every value NaN
        return pd.CategoricalDtype([UNKNOWN_CATEGORIES], ordered=dtype.ordered)
    return dtype


def _probe(estimator, ddf, method):
    """Run ``method`` on dask's dummy rows, else on the first real row, with caches off.

    It runs on a deep copy of the estimator whose ``cache`` parameters are set to False, so
    nothing is written to the user's cache.
    """
    from ._models import set_everywhere

    probe = _snapshot(estimator)  # a user's store may hold a lock (no deepcopy): kept, unused
    set_everywhere(probe, "cache", False)  # the fitted copies too (a ColumnTransformer's)
    errors: list[str] = []
    last: Exception | None = None
    for what in ("dummy", "first row"):
        try:
            sample = ddf._meta_nonempty if what == "dummy" else _first_row(ddf)
            if sample is None:  # every partition is empty: nothing of the user's to blame
                example = 'meta="float32"' if method == "transform" else 'meta="float64"'
                raise MetaInferenceError(
                    f"could not find the output of {type(estimator).__name__}.{method} by a "
                    f"dry run on dask's dummy rows ({errors[0]}), and the collection has no "
                    f"rows to try instead: pass meta= describing the output (e.g. {example})"
                ) from last
            with ignoring():  # the dry run's own warnings (dummy values)
                return getattr(probe, method)(sample)
        except MetaInferenceError:
            raise
        except Exception as exc:
            errors.append(f"on {what}: {type(exc).__name__}: {str(exc)[:300]}")
            last = exc
    hint = (
        'e.g. meta="float32" (names from get_feature_names_out)'
        if method == "transform"
        else 'e.g. meta="float64"'
    )
    # the first row is the user's own data: its error (a missing column, a bad value) would
    # come back from every partition, so meta= would only move it to compute time
    raise MetaInferenceError(
        f"could not find the output of {type(estimator).__name__}.{method} by a dry run on "
        f"dask's dummy rows nor on the first row of your data ({'; '.join(errors)}); the "
        "error on your first row is most likely your input's (fix the columns or values it "
        f"names); pass meta= ({hint}) only when the dummy rows alone are the problem"
    ) from last


def _first_row(ddf):
    """The first row of the first non-empty partition, computing partitions one by one (not
    ``ddf.head(1, npartitions=-1)``, which computes them all); None when all are empty."""
    for i in range(ddf.npartitions):
        row = ddf.partitions[i].head(1, npartitions=1)
        if len(row):
            return row
    return None


def _names_out(estimator, n_columns):
    if hasattr(estimator, "get_feature_names_out"):
        try:
            names = list(estimator.get_feature_names_out())
        except Exception:  # some transformers cannot name their output
            names = None
        if names is not None and (n_columns is None or len(names) == n_columns):
            return names
    if n_columns is None:
        raise MetaInferenceError(
            f"{type(estimator).__name__} has no usable get_feature_names_out(), so a dtype alone "
            "is not enough as meta; pass a pandas DataFrame as meta (or meta=None)"
        )
    return list(range(n_columns))


def _transform_meta(estimator, ddf, meta):
    if meta is None:
        out = _pandas_frame(_probe(estimator, ddf, "transform"))
        if isinstance(out, pd.DataFrame):
            return _unknown_categories(out.iloc[:0].copy(), ddf)
        out = _dense(out)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        names = _names_out(estimator, out.shape[1])
        return pd.DataFrame(np.empty((0, out.shape[1]), dtype=out.dtype), columns=names)
    if _is_dtype_like(meta):
        names = _names_out(estimator, None)
        dtype = _dtype(meta)
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name in names}, columns=names)
    meta = make_meta(meta)
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(f"transform's meta must describe a DataFrame; got {type(meta).__name__}")
    return meta


def _unknown_categories(meta, ddf):
    """``meta`` (found by a dry run) with the categories of each categorical column marked
    unknown (dask's way of saying each partition has its own) unless they are those of an
    input column: categories made from dask's dummy rows (``["foo"]``) or from the first row
    are not the data's, and casting each partition to them turned every other value into NaN."""
    given = ddf._meta if isinstance(ddf._meta, pd.DataFrame) else ddf._meta.to_frame()
    inputs = [d for d in given.dtypes if isinstance(d, pd.CategoricalDtype)]
    made = [
        c
        for c, d in meta.dtypes.items()
        if isinstance(d, pd.CategoricalDtype) and not any(d == i for i in inputs)
    ]
    return clear_known_categories(meta, cols=made) if made else meta


def _predict_meta(estimator, ddf, meta, name):
    if meta is None:
        out = _one_per_row(_dense(_probe(estimator, ddf, "predict")))
        if out.ndim != 1:
            raise MetaInferenceError(
                f"{type(estimator).__name__}.predict returns {out.ndim}-D output; "
                "skbucket.dask.predict handles one prediction per row"
            )
        return pd.Series(np.empty(0, dtype=out.dtype), name=name)
    if _is_dtype_like(meta):
        return pd.Series(dtype=_dtype(meta), name=name)
    meta = make_meta(meta)
    if not isinstance(meta, pd.Series):
        raise TypeError(f"predict's meta must describe a Series; got {type(meta).__name__}")
    return meta


# --------------------------------------------------------------------------------------------
# per partition (runs on the workers)
# --------------------------------------------------------------------------------------------
def _pandas_frame(out):
    """A polars DataFrame or pyarrow Table (``set_output(transform="polars")``) as pandas,
    each column keeping its own dtype (``np.asarray`` made them one object array)."""
    if not isinstance(out, pd.DataFrame) and hasattr(out, "to_pandas") and hasattr(out, "columns"):
        return out.to_pandas()
    return out


def _dense(out):
    if hasattr(out, "toarray"):  # scipy sparse
        out = out.toarray()
    return np.asarray(out)


def _one_per_row(out):
    """``out`` (predictions) as one value per row: a column of them, shape ``(n, 1)``, as
    :class:`~sklearn.neighbors.KNeighborsRegressor` or
    :class:`~sklearn.cross_decomposition.PLSRegression` fit on a one-column ``y`` (a
    DataFrame ``posts[["likes"]]``) predict, is read as its ``n`` values (it was refused as
    2-D output, although its in-memory ``predict`` gives one prediction per row)."""
    if out.ndim == 2 and out.shape[1] == 1:
        return out[:, 0]
    return out


def _where(partition_info):
    if partition_info is None:
        return "a partition"
    return f"partition {partition_info.get('number')}"


def _transform_partition(part, estimator, meta, own=None, partition_info=None):
    if len(part) == 0:
        return meta.iloc[:0].set_axis(part.index[:0], axis=0)
    try:
        out = _pandas_frame(estimator.transform(part))
    except Exception as exc:
        exc.add_note(f"(skbucket.dask.transform: in {_where(partition_info)})")
        raise
    n_rows, n_cols = len(part), meta.shape[1]
    if isinstance(out, pd.DataFrame):
        if out.shape != (n_rows, n_cols):
            _shape_error(out.shape, n_rows, n_cols, partition_info)
        frame = _match_columns(out, meta, partition_info).set_axis(part.index, axis=0)
    else:
        values = _dense(out)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.shape != (n_rows, n_cols):
            _shape_error(values.shape, n_rows, n_cols, partition_info)
        frame = pd.DataFrame(values, index=part.index, columns=meta.columns if own is None else own)
        frame = _match_columns(frame, meta, partition_info)
    if not frame.dtypes.equals(meta.dtypes):
        dtypes = {c: _target(frame[c], d) for c, d in meta.dtypes.items()}
        frame = _cast(frame, dtypes, "transform", partition_info)
    return frame


def _target(values, dtype):
    """The dtype a partition's column is cast to: ``meta``'s, except for a categorical of
    unknown categories (dask's ``__UNKNOWN_CATEGORIES__``: each partition has its own), which
    the column's own categories stand for (casting to the marker made every value NaN)."""
    if isinstance(dtype, pd.CategoricalDtype) and UNKNOWN_CATEGORIES in dtype.categories:
        own = values.dtype
        return own if isinstance(own, pd.CategoricalDtype) else "category"
    return dtype


def _cast(out, dtypes, method, partition_info):
    """``out`` (a DataFrame, or a Series for one dtype) cast to ``meta``'s dtypes; a
    :class:`DaskOutputError` names the partition and the first column that cannot be cast
    (text under a numeric ``meta="float32"``, say)."""
    pairs = (
        [(out[c], c, d) for c, d in dtypes.items()]
        if isinstance(out, pd.DataFrame)
        else [(out, out.name, dtypes)]
    )
    for values, column, dtype in pairs:
        outside = _outside_categories(values, dtype)
        if outside is not None:  # pandas makes a value outside the categories NaN, silently
            raise DaskOutputError(
                f"skbucket.dask.{method}: the output column {column!r} in "
                f"{_where(partition_info)} holds {outside!r}, which is none of meta's "
                f"categories; pass meta= with that column's categories unknown "
                "(dask.dataframe.utils.clear_known_categories) or with all its categories"
            )
        if _loses(values, dtype):  # 0.305 likes under meta="int64" became 0, silently
            holds = "" if values.dtype == np.float64 else " (or one that holds it, e.g. float64)"
            raise DaskOutputError(
                f"skbucket.dask.{method}: the output column {column!r} in "
                f"{_where(partition_info)} is {values.dtype}, and meta's {dtype} would change "
                f"its values; pass meta= with dtype {values.dtype}{holds}"
            )
    try:
        return out.astype(dtypes)
    except (TypeError, ValueError) as exc:
        if isinstance(out, pd.DataFrame):
            pairs = [(out[c], c, d) for c, d in dtypes.items()]
        else:
            pairs = [(out, out.name, dtypes)]
        which = next((f" column {c!r} to {d}" for v, c, d in pairs if not _casts(v, d)), "")
        raise DaskOutputError(
            f"skbucket.dask.{method}: cannot cast the output{which} in "
            f"{_where(partition_info)} to meta's dtypes ({exc}); pass meta= as a pandas "
            "object with each column's own dtype (a single dtype fits only an output whose "
            "columns all have it)"
        ) from exc


def _loses(values, target) -> bool:
    """Whether casting ``values`` (numbers) to ``target`` changes them: their kind (float to
    int or bool, numbers to dates), or a value the narrower type cannot hold (300 under
    ``meta="int8"`` wrapped to 44, 7e4 under ``"float16"`` became inf). float64 to float32 is
    allowed (``meta="float32"``) for values within float32's range."""
    try:
        src, dst = np.dtype(values.dtype), np.dtype(target)
    except TypeError:  # a pandas extension dtype: pandas' own cast refuses what it cannot hold
        return False
    if src.kind not in "biuf" or dst.kind not in "biufmM":
        return False
    if not np.can_cast(src, dst, casting="same_kind"):
        return True
    if np.can_cast(src, dst, casting="safe") or len(values) == 0:
        return False
    arr = np.asarray(values)
    if dst.kind in "iu":
        info = np.iinfo(dst)
        return bool(arr.min() < info.min or arr.max() > info.max)
    if dst.kind == "f":
        with np.errstate(over="ignore"):
            cast = arr.astype(dst)
        return bool((np.isfinite(arr) & ~np.isfinite(cast)).any())
    return False


def _outside_categories(values, target):
    """The first value of ``values`` that is none of the categories of ``target`` (a
    categorical dtype), or None."""
    if not isinstance(target, pd.CategoricalDtype) or target.categories is None:
        return None
    present = values[values.notna()]
    outside = present[~present.isin(target.categories)]
    return plain(outside.iloc[0]) if len(outside) else None


def _casts(values, dtype) -> bool:
    try:
        values.astype(dtype)
    except (TypeError, ValueError):
        return False
    return True


def _predict_partition(part, estimator, meta, partition_info=None):
    if len(part) == 0:
        return meta.iloc[:0].set_axis(part.index[:0], axis=0)
    try:
        out = _one_per_row(_dense(estimator.predict(part)))
    except Exception as exc:
        exc.add_note(f"(skbucket.dask.predict: in {_where(partition_info)})")
        raise
    if out.ndim != 1 or len(out) != len(part):
        raise DaskOutputError(
            f"{type(estimator).__name__}.predict returned shape {out.shape} for "
            f"{len(part)} rows in {_where(partition_info)}; expected ({len(part)},)"
        )
    series = pd.Series(out, index=part.index, name=meta.name)
    if series.dtype != meta.dtype:
        series = _cast(series, _target(series, meta.dtype), "predict", partition_info)
    return series


def _match_columns(out, meta, partition_info):
    """``out`` (a DataFrame) with ``meta``'s column names: matched by name when they are the
    same names (in any order), by position when the two share none (names chosen in
    ``meta``); refused when they share only some (which column is which cannot be told)."""
    names, wanted = list(out.columns), list(meta.columns)
    if names == wanted:
        return out
    if set(names) == set(wanted) and len(set(names)) == len(names):
        return out[wanted]
    if not set(names) & set(wanted):
        return out.set_axis(wanted, axis=1)
    raise DaskOutputError(
        f"transform returned the columns {names[:8]}{' ...' if len(names) > 8 else ''} in "
        f"{_where(partition_info)}, which share only some names with meta's "
        f"{wanted[:8]}{' ...' if len(wanted) > 8 else ''}; pass a meta= whose columns are the "
        "estimator's (in any order), or new names for all of them"
    )


def _shape_error(shape, n_rows, n_cols, partition_info):
    raise DaskOutputError(
        f"transform returned shape {tuple(shape)} for {n_rows} rows in "
        f"{_where(partition_info)}; meta expects ({n_rows}, {n_cols}). Pass a meta= that matches "
        "the estimator's output"
    )
