"""Tables of posts written as files, for the tests of reading them (test_tables, test_cli)."""

from __future__ import annotations

import pandas as pd
import pytest

from skbucket import tables
from skbucket.datasets import load_tweets


def tweets_workbook(path, column):
    """Four real tweets written to the workbook ``path``, opened with openpyxl: ``(frame,
    book, the 1-based number of ``column``)``, for a test to edit its cells."""
    openpyxl = pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:84].reset_index(drop=True)
    frame.to_excel(path, index=False)
    return frame, openpyxl.load_workbook(path), list(frame.columns).index(column) + 1


def refuses_its_likes(table, said, target="likes"):
    """The likes (the ``target`` column) of ``table`` refused with a message matching
    ``said``: a DataFrame as given, a path read as the command line reads it."""
    path = "posts.csv"
    if not isinstance(table, pd.DataFrame):
        table, path = tables.read_table(table), table
    with pytest.raises(tables.CLIError, match=said):
        tables._split_target(table, target, path)
