"""``skbucket._frames.as_pandas``: polars and pyarrow tables in, pandas out, ids intact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skbucket._frames import as_pandas

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

BIG = [1234567890123456789, 1234567890123456790, None]  # distinct above 2**53


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_tables_become_pandas_and_nullable_integers_keep_every_digit(library):
    data = {
        "id": BIG,
        "small": pa.array([1, None, 3], pa.uint8()) if library == "pyarrow" else [1, None, 3],
        "n": [1, 2, 3],
        "text": ["a", None, "c"],
        "when": pd.to_datetime(["2021-01-01", None, "2021-01-03"]),
    }
    table = pa.table(data) if library == "pyarrow" else pl.DataFrame(data)
    frame = as_pandas(table)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == ["id", "small", "n", "text", "when"]
    assert frame["id"].dtype == "Int64" and frame["id"].tolist()[:2] == BIG[:2]
    assert frame["id"].isna().tolist() == [False, False, True]
    assert str(frame["small"].dtype) in ("UInt64", "Int64") and frame["small"][2] == 3
    assert frame["n"].dtype == np.int64  # no missing value: numpy integers as before
    assert frame["text"].isna().tolist() == [False, True, False]
    assert pd.api.types.is_datetime64_any_dtype(frame["when"])


def test_anything_else_is_returned_as_is():
    frame = pd.DataFrame({"a": [1]})
    array = np.ones((2, 2))
    series = pl.Series("a", [1, 2])  # 1-D: left to the estimator's own check
    assert as_pandas(frame) is frame and as_pandas(array) is array
    assert as_pandas(series) is series and as_pandas(None) is None


@pytest.mark.parametrize("index_first", [False, True])
def test_a_pandas_index_stored_in_the_table_is_not_taken_for_a_column(index_first):
    # parquet written from a frame with set_index("id"), one id missing: to_pandas() makes
    # the field the index again, so the columns after it moved one place to the left
    posts = pd.DataFrame(
        {
            "id": pd.array([101, None, 103], dtype="Int64"),
            "content": ["a", "b", "c"],
            "n": pd.array([None, 2, 3], dtype="Int64"),
        }  # fmt: skip
    ).set_index("id")
    table = pa.Table.from_pandas(posts)
    if index_first:  # the index field before the columns: its values went into "content"
        table = table.select(["id", "content", "n"]).replace_schema_metadata(table.schema.metadata)
    frame = as_pandas(table)
    assert frame.columns.tolist() == ["content", "n"]
    assert frame["content"].tolist() == ["a", "b", "c"]
    assert frame["n"].dtype == "Int64" and frame["n"].tolist()[1:] == [2, 3]


def test_a_polars_lazy_frame_is_refused_with_how_to_run_it():
    lazy = pl.DataFrame({"a": [1]}).lazy()
    with pytest.raises(TypeError, match=r"LazyFrame.*\.collect\(\)"):
        as_pandas(lazy)


def test_a_dask_collection_is_refused_with_what_to_do_instead():
    """A Dask DataFrame given to a model was computed whole into memory as an array, and the
    posts' columns were then reported missing ("columns present: [0, 1, 2, 3, 4]")."""
    dd = pytest.importorskip("dask.dataframe")
    from skbucket.features import PostFeatures

    posts = pd.DataFrame(
        {
            "content": ["hi <hyperlink>", "#sale", "<mention> ok", "new"],
            "date": ["2020-03-02 14:30:00", "2021-01-01", "2019-07-04", "2020-05-05"],
        }
    )
    pf = PostFeatures(media_column=None, category_columns=()).fit(posts)
    lazy = dd.from_pandas(posts, npartitions=2)
    for call in (pf.transform, pf.fit):
        with pytest.raises(TypeError, match=r"dask DataFrame.*skbucket\.dask\.predict.*compute"):
            call(lazy)
    with pytest.raises(TypeError, match="skbucket.dask.transform"):
        as_pandas(lazy["content"])


def test_column_names_of_several_levels_are_refused_with_how_to_flatten_them():
    """A MultiIndex of columns (pd.concat(keys=...), .agg) gave "The truth value of a Series is
    ambiguous" (PostFeatures), "X has no column names (an array)" (GroupMedianRegressor) and
    a TypeError from inside scikit-learn's ColumnTransformer (the seed pipeline, after its
    PromptBuilder, which reads such a frame right)."""
    from skbucket import PostFeatures, PromptBuilder
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.captioning import Blip2Captioner
    from skbucket.datasets import load_tweets
    from skbucket.pipeline import ColumnRoles

    frame = load_tweets().frame.iloc[:30]
    y = frame.pop("likes")
    levels = frame.set_axis(pd.MultiIndex.from_tuples([(c, "") for c in frame.columns]), axis=1)
    flatten = "flatten them first, e.g. X.columns = X.columns.get_level_values(0)"
    for estimator in (
        PostFeatures(cv=2),
        GroupMedianRegressor(),
        ColumnRoles(columns={"caption": "content"}),
        Blip2Captioner("no/such/model"),
    ):
        name = type(estimator).__name__
        with pytest.raises(ValueError, match=rf"^{name}: the column names of X have 2 levels") as e:
            estimator.fit(levels, y)
        assert flatten in str(e.value) and "(such as ('id', ''))" in str(e.value)
    # read by position, or by their whole labels (tuples): as they were
    at = [list(frame.columns).index(c) for c in ("username", "inferred_company")]
    positions = GroupMedianRegressor(group_columns=at).fit(levels, y)
    np.testing.assert_array_equal(
        positions.predict(levels), GroupMedianRegressor().fit(frame, y).predict(frame)
    )
    from skbucket.prompts import DEFAULT_COLUMNS

    roles = {role: (c, "") for role, c in DEFAULT_COLUMNS.items() if c in frame.columns}
    prompts = PromptBuilder().fit_transform(frame)
    np.testing.assert_array_equal(PromptBuilder(columns=roles).fit_transform(levels), prompts)
    # PromptBuilder reads a first level that holds one column as that column, as it did
    np.testing.assert_array_equal(PromptBuilder().fit_transform(levels), prompts)
    # no column at all: said, not an IndexError
    empty = pd.DataFrame(index=range(3), columns=pd.MultiIndex.from_arrays([[], []]))
    with pytest.raises(ValueError, match=r"^PostFeatures: the column names of X have 2 levels,"):
        PostFeatures().fit(empty, [1.0, 2.0, 3.0])
    fitted = PostFeatures(cv=2).fit(frame, y)
    with pytest.raises(ValueError, match=r"^PostFeatures: the column names of X have 2 levels"):
        fitted.transform(levels)
    # the hint's own line makes the frame that is read
    levels.columns = ["_".join(map(str, c)).strip("_") for c in levels.columns]
    np.testing.assert_array_equal(fitted.transform(levels), fitted.transform(frame))


#: a prelude for ``python -c``: pyarrow as if not installed, from the start
NO_PYARROW = """
import importlib.abc, sys
class NoPyarrow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "pyarrow":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoPyarrow())
"""


def test_polars_input_without_pyarrow_says_pyarrow_is_needed():
    """polars converts to pandas through pyarrow: without it, a bare "No module named
    'pyarrow'" came from inside polars (PromptBuilder, PostFeatures, a pipeline's predict)."""

    pytest.importorskip("polars")
    from _fresh import errors_in_fresh_python

    setup = (
        NO_PYARROW + "import polars as pl\n"
        "import pandas as pd\n"
        "from skbucket import Blip2Captioner, PromptBuilder\n"
        "from skbucket._frames import as_pandas_series\n"
        "X = pl.DataFrame({'content': ['hi'], 'username': ['a'], 'date': ['2020-01-01']})\n"
        "captioner = Blip2Captioner(model='x', cache=False, progress=False)\n"
        "frame = pd.DataFrame({'media': ['a.jpg'], 'content': ['hi']})\n"
    )
    lines = errors_in_fresh_python(
        setup,
        [
            "PromptBuilder().fit_transform(X)",
            "as_pandas_series(X['content'])",
            "captioner.set_output(transform='polars').fit_transform(frame)",
        ],
    )
    assert lines[0].startswith("ImportError a polars DataFrame is converted to pandas"), lines
    assert lines[1].startswith("ImportError a polars Series is converted to pandas"), lines
    # the captioner's polars output, checked before any image: it blamed the column
    assert lines[2].startswith(
        "ImportError Blip2Captioner: set_output(transform='polars') makes polars output"
    ), lines
    assert all("pip install pyarrow" in line for line in lines), lines


@pytest.mark.parametrize("name", [np.nan, None, "a"])
def test_a_repeated_column_name_is_counted_even_when_it_is_missing(name):
    from skbucket._frames import check_unique_columns

    X = pd.DataFrame([[1, 2, 3, 4]], columns=["b", name, name, name])
    with pytest.raises(ValueError, match=r"appears 3 times in X"):
        check_unique_columns(X, "PostFeatures")
