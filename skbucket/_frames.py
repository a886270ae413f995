"""Other DataFrame libraries in, pandas inside.

skbucket's transformers find their columns by name and work on pandas. A polars DataFrame
(or a pyarrow Table) given to them is converted with its own ``to_pandas()`` (pyarrow must be
installed for polars' conversion); every other input is left to the estimator's own checks.
An integer column with missing values becomes a pandas nullable integer column (``Int64``),
not float64, so large ids keep every digit.
"""

from __future__ import annotations

import numpy as np

_CONVERTED = ("polars", "pyarrow")


def plain(value):
    """A numpy scalar as its Python value, for messages: ``'lots'``, ``0`` and ``nan``,
    not ``np.str_('lots')``, ``np.int64(0)`` and ``np.float64(nan)``; other values as
    they are."""
    return value.item() if isinstance(value, np.generic) else value


def library(X) -> str:
    """The top-level package that defines ``X``'s type (``"polars"``, ``"pyarrow"``, ...)."""
    return type(X).__module__.partition(".")[0]


def as_pandas(X):
    """``X`` as a pandas DataFrame when it is a polars DataFrame or a pyarrow Table.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbucket._frames import as_pandas
    >>> frame = pd.DataFrame({"a": [1]})
    >>> as_pandas(frame) is frame
    True
    >>> import pyarrow as pa
    >>> as_pandas(pa.table({"a": [1, 2]}))["a"].tolist()
    [1, 2]
    >>> as_pandas(pa.table({"id": [2**60 + 1, None]}))["id"].tolist()
    [1152921504606846977, <NA>]
    >>> indexed = pd.DataFrame({"id": [7, None], "text": ["a", "b"]}).set_index("id")
    >>> as_pandas(pa.Table.from_pandas(indexed))["text"].tolist()  # the index is no column
    ['a', 'b']
    """
    made_by = library(X)
    _refuse_dask(X)
    if made_by == "polars" and type(X).__name__ == "LazyFrame":
        raise TypeError(
            "got a polars LazyFrame, a query not yet run: call .collect() on it and pass the "
            "resulting DataFrame."
        )
    if made_by not in _CONVERTED or not (hasattr(X, "columns") and hasattr(X, "to_pandas")):
        return X
    import pandas as pd

    frame = _to_pandas(X)
    try:
        import pyarrow as pa
    except ImportError:  # polars converts without it; its nullable integers stay float64
        return frame
    table = X.to_arrow() if made_by == "polars" else X
    # to_pandas() turns a pandas index stored in the table (parquet written from a frame with
    # set_index) back into the index: those fields are not columns of ``frame``, wherever
    # they stand in the table, and the other fields keep their order
    metadata = table.schema.pandas_metadata or {}
    index_fields = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    fields = [i for i, name in enumerate(table.column_names) if name not in index_fields]
    if len(fields) != frame.shape[1]:  # a layout not foreseen: leave to_pandas()' own dtypes
        return frame
    for position, field in enumerate(fields):
        column = table.column(field)
        if column.null_count and pa.types.is_integer(column.type):
            dtype = "UInt64" if pa.types.is_unsigned_integer(column.type) else "Int64"
            frame.isetitem(position, pd.array(column.to_pylist(), dtype=dtype))
        elif made_by == "polars" and pa.types.is_date(column.type):
            # polars' to_pandas makes a Date column datetime64 at midnight: kept a column of
            # days, as a pyarrow table's (datetime.date objects) and the date readers take it
            frame.isetitem(position, pd.array(column, dtype=pd.ArrowDtype(column.type)))
    return frame


def as_pandas_series(X):
    """``X`` as a pandas Series when it is a polars Series or a pyarrow Array or ChunkedArray
    (1-D: a column of prompts for a text router); any other input as it is.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from skbucket._frames import as_pandas_series
    >>> as_pandas_series(pa.chunked_array([["a post"], ["another"]])).tolist()
    ['a post', 'another']
    >>> as_pandas_series([1, 2])
    [1, 2]
    """
    _refuse_dask(X)
    if library(X) in _CONVERTED and not hasattr(X, "columns") and hasattr(X, "to_pandas"):
        return _to_pandas(X)
    return X


def _refuse_dask(X) -> None:
    """Refuse a Dask collection: read as an array it was computed whole into memory and its
    column names were lost (the posts' own columns reported missing, "columns present:
    [0, 1, 2, 3, 4]")."""
    if library(X) in ("dask", "dask_expr") and hasattr(X, "__dask_graph__"):
        raise TypeError(
            f"got a dask {type(X).__name__}, a lazy collection: predict or transform it "
            "partition by partition with skbucket.dask.predict(model, X) or "
            "skbucket.dask.transform(model, X); to fit on it, bring it into memory first "
            "(X.compute())."
        )


def _to_pandas(X):
    """``X.to_pandas()``; polars' needs pyarrow, whose absence is said so (polars raised a
    bare "No module named 'pyarrow'" from inside its own code)."""
    try:
        return X.to_pandas()
    except ModuleNotFoundError as exc:
        if exc.name != "pyarrow":
            raise
        raise ImportError(
            f"a {library(X)} {type(X).__name__} is converted to pandas (which skbucket works "
            "on) through pyarrow, which is not installed: pip install pyarrow (or "
            "'skbucket[formats]')"
        ) from exc


#: what a DataFrame-reading step adds to its refusal of a pandas Series
SERIES_HINT = (
    " (a Series: one post taken as a row with X.iloc[i] is a Series of its cells; take a "
    "DataFrame of one row with X.iloc[[i]])"
)


class KeptColumnsOutputMixin:
    """``set_output`` for a transformer whose output keeps the columns it is given.

    Such a transformer (the captioner adds a column; :class:`~skbucket.pipeline.ColumnRoles`
    renames some) passes through columns its :meth:`fit` never saw, so scikit-learn's
    wrapper, which names the output by ``get_feature_names_out``, cannot wrap it: the class
    is declared with ``auto_wrap_output_keys=None`` and builds its pandas output itself,
    converting it with :meth:`_in_container`.
    """

    def set_output(self, *, transform=None):
        """Set the output container of ``transform`` and ``fit_transform``.

        The output keeps the column names of the input given to ``transform`` (see the
        class's Notes), also when they differ from those seen in ``fit``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            ``"default"`` and ``"pandas"``: a pandas DataFrame (the native output);
            ``"polars"``: a polars DataFrame; ``None``: unchanged (the global
            ``sklearn.set_config(transform_output=...)`` applies when never set).

        Returns
        -------
        self : estimator
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas", "polars"):
            raise ValueError(
                f"{type(self).__name__}.set_output: transform must be 'default', 'pandas', "
                f"'polars' or None; got {transform!r}"
            )
        if not hasattr(self, "_sklearn_output_config"):  # the name clone() carries over
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def _container(self) -> str:
        """The output container asked for with :meth:`set_output` (or globally)."""
        from sklearn import get_config

        container = getattr(self, "_sklearn_output_config", {}).get("transform")
        return get_config()["transform_output"] if container is None else container

    def _in_container(self, X_out):
        """``X_out`` (a pandas DataFrame) in the container asked for with :meth:`set_output`
        (or globally)."""
        if self._container() == "polars":
            import polars

            return polars.from_pandas(X_out)
        return X_out


def boolean_likes(values, name: str) -> str | None:
    """The complaint about like counts that hold booleans (a bool dtype, numpy's or pandas'
    nullable one, or a ``True``/``False`` among objects: a mask such as ``likes > 100`` given
    for the likes, which read as 0 and 1 likes), or None."""
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if kind not in ("b", "O"):
        return None
    cells = np.asarray(values, dtype=object).ravel()
    row = next((i for i, v in enumerate(cells) if isinstance(v, bool | np.bool_)), None)
    if row is None:
        return None
    return (
        f"{name} must hold like counts (numbers), but row {row} is {plain(cells[row])!r}: "
        "booleans are no counts of likes (a mask such as likes > 100 given for the likes?)"
    )


def column_list(names, limit: int = 20) -> str:
    """``names`` (a list of column names) as an error message shows them: the first
    ``limit``, then how many more (a table of 100,000 columns made a one-line error of a
    megabyte).

    Examples
    --------
    >>> column_list(["a", "b"])
    "['a', 'b']"
    >>> column_list([f"c{i}" for i in range(25)], limit=3)
    "['c0', 'c1', 'c2', ... and 22 more]"
    """
    names = list(names)
    if len(names) <= limit:
        return repr(names)
    return f"{repr(names[:limit])[:-1]}, ... and {len(names) - limit:,} more]"


def check_flat_columns(X, who: str, names, error=ValueError) -> None:
    """Refuse a DataFrame whose column names have several levels (a MultiIndex, as
    ``pd.concat(keys=...)`` or ``.agg`` make) when one of the ``names`` it reads is not one
    of them whole: pandas finds ``"content"`` among ``("content", "")`` as a frame, not a
    column (a raw "truth value of a Series is ambiguous", or a TypeError deep in
    scikit-learn). Names that are whole labels (tuples) are read as given. ``error`` is the
    estimator's own error class."""
    columns = getattr(X, "columns", None)
    if getattr(columns, "nlevels", 1) <= 1:
        return
    assert columns is not None  # None has no nlevels: returned above
    labels = set(columns.tolist())
    missing = [name for name in names if not _hashable(name) or name not in labels]
    if missing:
        like = f" (such as {columns[0]!r})" if len(columns) else ""
        raise error(
            f"{who}: the column names of X have {columns.nlevels} levels{like}, a MultiIndex "
            f"as pd.concat(keys=...) or .agg make, and {missing[0]!r} is none of them: "
            f"flatten them first, e.g. {_flattening(columns, missing[0])}"
        )


def _flattening(columns, name) -> str:
    """Code that flattens the MultiIndex ``columns`` so that ``name`` is one of them: its
    level's names, where they are unique (``pd.concat({'a': X}, axis=1)`` puts the keys on
    level 0), else the levels joined by ``_``."""
    if isinstance(name, str):
        for level in range(columns.nlevels):
            values = columns.get_level_values(level)
            if name in values and values.is_unique:
                return f"X.columns = X.columns.get_level_values({level})"
    return "X.columns = ['_'.join(map(str, c)).strip('_') for c in X.columns]"


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def check_unique_columns(X, who: str, error=ValueError) -> None:
    """Refuse a DataFrame whose column names repeat (``pd.concat`` of frames sharing a column):
    scikit-learn records every name in ``feature_names_in_``, which must be unique, and
    ``X[name]`` would be a DataFrame. ``error`` is the estimator's own error class."""
    columns = getattr(X, "columns", None)
    if columns is None or not getattr(columns, "has_duplicates", False):
        return
    repeated = columns[columns.duplicated()][0]
    count = int(columns.isin([repeated]).sum())  # == never holds for NaN: "appears 0 times"
    raise error(
        f"{who}: column {repeated!r} appears {count} times in X; "
        "the column names of X must be unique (rename or drop the repeated columns, even "
        f"ones {who} does not read: every name is recorded in feature_names_in_)."
    )


def check_read_once(X, wanted, who: str, error=ValueError) -> None:
    """Refuse a column of ``wanted`` (the columns an estimator reads) that ``X`` holds more
    than once (after a ``pd.concat``): ``X[column]`` would be a DataFrame, whose rows are
    pairs of values. ``error`` is the estimator's own error class."""
    for column in wanted:
        count = int(X.columns.isin([column]).sum())  # == never holds for NaN
        if count > 1:
            raise error(
                f"{who}: column {column!r} appears {count} times in X; the columns {who} "
                "reads must be unique."
            )


def check_min_size(estimator, shape) -> None:
    """scikit-learn's errors for an input without rows (or, 2-D, without columns), for
    inputs an estimator checks without ``check_array`` (a DataFrame kept as it is)."""
    what = [(0, "sample(s)")] + ([(1, "feature(s)")] if len(shape) == 2 else [])
    for axis, name in what:
        if shape[axis] == 0:
            raise ValueError(
                f"Found array with 0 {name} (shape={shape}) while a minimum of 1 is "
                f"required by {type(estimator).__name__}."
            )
