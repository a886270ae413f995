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
