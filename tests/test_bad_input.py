"""The bad-input matrix: every public estimator and the CLI against malformed input.

Each case pairs an input problem (missing/extra/renamed columns, wrong dtypes, missing values,
non-UTF-8 and emoji/RTL text, 100k-character texts, bad likes, mixed-format dates, one row,
zero rows, unseen usernames, reordered columns) with what must happen: a specific error
(:class:`Raises`: the type and a regex naming the column/row/expectation), a one-line CLI error
with exit status 1 (:class:`CliFails`) or a documented fallback (:class:`Fallback`) whose
*result* is checked, never just "no exception".

The same list of cases renders ``docs/bad_input.rst``; :func:`test_docs_table_is_the_matrix`
fails when the page and the matrix differ. Regenerate the page with::

    .venv/bin/python tests/test_bad_input.py --write-docs
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from skbucket.features import TEXT_FEATURES

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "bad_input.rst"


# =========================================================================== the matrix types
@dataclasses.dataclass(frozen=True)
class Raises:
    """The call raises ``error`` with a message matching ``match`` (``re.search``)."""

    error: type
    match: str
    doc: str


@dataclasses.dataclass(frozen=True)
class CliFails:
    """The CLI returns exit status 1 and prints one line ``skbucket CMD: error: ...``."""

    match: str
    doc: str


@dataclasses.dataclass(frozen=True)
class Fallback:
    """The call succeeds and ``check(result, ctx)`` asserts the documented outcome."""

    check: Callable[[Any, Any], None]
    doc: str


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    problem: str
    estimator: str
    run: Callable[[Any], Any]
    expect: Raises | CliFails | Fallback
    #: a known gap in a module this matrix may not edit: the case is ``xfail(strict=True)``
    #: and the docs say what happens today
    gap: str | None = None
    #: what the known gap raises today (so the xfail cannot hide another failure); a wrong
    #: message shows as the AssertionError of ``pytest.raises(match=...)`` / the CLI check
    gap_raises: type = AssertionError


# Input problems, in the order of the issue (the docs table is grouped by these).
MISSING_COL = "missing column"
EXTRA_COL = "extra column"
RENAMED_COL = "renamed column"
DTYPE = "wrong dtype"
MISSING_VAL = "NaN / None / empty string"
NON_UTF8 = "non-UTF-8 text"
UNICODE = "emoji / RTL text"
LONG = "100k-character text"
NEG_LIKES = "negative likes"
NONINT_LIKES = "non-integer likes"
HUGE_LIKES = "huge likes"
DATES = "dates: mixed formats, time zones"
ONE_ROW = "a single row"
ZERO_ROWS = "zero rows"
UNSEEN = "unseen username at predict"
ORDER = "columns in another order at predict"
LENGTHS = "X and y of different lengths"
PROBLEMS = (
    MISSING_COL,
    EXTRA_COL,
    RENAMED_COL,
    DTYPE,
    MISSING_VAL,
    NON_UTF8,
    UNICODE,
    LONG,
    NEG_LIKES,
    NONINT_LIKES,
    HUGE_LIKES,
    DATES,
    ONE_ROW,
    ZERO_ROWS,
    UNSEEN,
    ORDER,
    LENGTHS,
)

# Inputs shared by many cases.
RTL_EMOJI = "שלום עולם 👍🏽 مرحبا بالعالم 🇫🇷 café"
LONG_TEXT = ("hello world " * 8400)[:100_000]
MIXED_DATES = [
    "2020-12-12 10:00:00+02:00",
    "12/13/2020 08:00",
    "2020-12-14T01:00:00Z",
    "Dec 15 2020 3pm",
    "Sun, 14 Feb 2021 18:00:00 +0100",
    "2021-03-28 02:30:00-05:00",
    "01/02/2021",
]
#: the same instants in UTC, ISO 8601 (ambiguous 01/02/2021 is read month first: 2 January,
#: a day without a time of day)
UTC_DATES = [
    "2020-12-12 08:00:00",
    "2020-12-13 08:00:00",
    "2020-12-14 01:00:00",
    "2020-12-15 15:00:00",
    "2021-02-14 17:00:00",
    "2021-03-28 07:30:00",
    "2021-01-02",
]
N_ROWS = 40


# =========================================================================== helpers
def polars_frame(frame):
    """``frame`` as a polars DataFrame (polars is a dev dependency)."""
    return pytest.importorskip("polars").from_pandas(frame)


def cell(frame, column, row, value):
    """Copy of ``frame`` with ``frame[column][row] = value`` (object column, any value)."""
    out = frame.copy()
    values = out[column].astype(object).tolist() if column in out else [None] * len(out)
    values[row] = value
    out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def column(frame, name, values):
    """Copy of ``frame`` with the object column ``name`` set to ``values`` (cycled)."""
    values = list(values)
    full = [values[i % len(values)] for i in range(len(frame))]
    out = frame.copy()
    out[name] = pd.Series(full, index=out.index, dtype=object)
    return out


#: a day-first column: row 0 can only be read day first, row 1 is ambiguous, row 2 is ISO
DAY_FIRST = ["13/04/2021 10:00", "03/04/2021 10:00", "2021-04-05 09:00"]


def day_first(frame):
    """The first three posts of ``frame`` with the :data:`DAY_FIRST` dates."""
    return column(frame.iloc[: len(DAY_FIRST)], "date", DAY_FIRST)


def record(fn):
    """``(result, [warning messages])`` of ``fn()``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=atol)


def fit_light_br(X, y, **params):
    """BucketedRegressor with light sub-estimators, fitted on one thread."""
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier
    from threadpoolctl import threadpool_limits

    from skbucket.bucketed import BucketedRegressor

    est = BucketedRegressor(
        classifier=DecisionTreeClassifier(max_depth=3, random_state=0),
        regressors=Ridge(),
        **params,
    )
    with threadpool_limits(1):
        return est.fit(X, y)


# =========================================================================== shared fitted objects
class Ctx:
    """Data and fitted estimators, built lazily once per module and reused by every case."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory

    @functools.cached_property
    def tmp(self) -> Path:
        return self._tmp.mktemp("bad-input")

    # ---------------------------------------------------------------- data
    @functools.cached_property
    def posts(self) -> pd.DataFrame:
        """40 real tweets (content, username, inferred_company, date, media, id), no likes."""
        from skbucket.datasets import load_tweets

        frame = load_tweets().frame.iloc[:N_ROWS].reset_index(drop=True)
        return frame.drop(columns=["likes"])

    @functools.cached_property
    def likes(self) -> pd.Series:
        from skbucket.datasets import load_tweets

        return load_tweets().frame["likes"].iloc[:N_ROWS].reset_index(drop=True)

    @functools.cached_property
    def few(self) -> pd.DataFrame:
        """The first 12 posts: what the (slower) pipeline and CLI cases predict on."""
        return self.posts.iloc[:12]

    @functools.cached_property
    def dated(self) -> pd.DataFrame:
        """First len(MIXED_DATES) posts with their date replaced by the mixed-format dates."""
        return column(self.posts.iloc[: len(MIXED_DATES)], "date", MIXED_DATES)

    @functools.cached_property
    def dated_utc(self) -> pd.DataFrame:
        return column(self.posts.iloc[: len(UTC_DATES)], "date", UTC_DATES)

    # ---------------------------------------------------------------- light estimators
    @functools.cached_property
    def pb(self):
        from skbucket.prompts import PromptBuilder

        return PromptBuilder().fit(self.posts)

    @functools.cached_property
    def pf(self):
        from skbucket.features import PostFeatures

        pf = PostFeatures(cv=2, random_state=0).set_output(transform="pandas")
        return pf.fit(self.posts, self.likes)

    @functools.cached_property
    def features(self) -> pd.DataFrame:
        """Numeric features of the posts (named columns) for the BucketedRegressor cases."""
        return self.pf.transform(self.posts)

    @functools.cached_property
    def br(self):
        return fit_light_br(self.features, self.likes, min_bucket_size=1)

    # ---------------------------------------------------------------- model estimators
    @functools.cached_property
    def distilbert(self) -> str:
        from _tiny_distilbert import make_tiny_distilbert

        return make_tiny_distilbert(self._tmp.mktemp("tiny-distilbert"))

    @functools.cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.distilbert)

    def cut(self, text, max_length=16):
        """``text`` cut where a ``max_length``-token model truncates it (special tokens incl.)."""
        ids = self.tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
        return self.tokenizer.decode(ids[1:-1])

    @functools.cached_property
    def emb(self):
        from skbucket.embedding import DistilBertEmbedder

        emb = DistilBertEmbedder(
            model=self.distilbert, max_length=16, cache=False, progress=False, device="cpu"
        )
        return emb.fit(["a post"])

    @functools.cached_property
    def clf(self):
        from skbucket.classification import DistilBertClassifier

        clf = DistilBertClassifier(**self.clf_params)
        return clf.fit(["good day", "bad day", "great", "awful"] * 3, [0, 1, 0, 1] * 3)

    @property
    def clf_params(self) -> dict:
        return dict(
            model=self.distilbert,
            epochs=1,
            batch_size=8,
            max_length=16,
            early_stopping=False,
            random_state=0,
            device="cpu",
            progress=False,
        )

    @functools.cached_property
    def blip2(self) -> str:
        from _tiny_blip2 import make_tiny_blip2

        return make_tiny_blip2(self._tmp.mktemp("tiny-blip2"), image_size=32)

    @functools.cached_property
    def loaded_refs(self) -> list:
        return []

    def image_loader(self, ref):
        """Every reference is a small image: red when its name contains "red", blue otherwise."""
        from PIL import Image

        self.loaded_refs.append(ref)
        return Image.new("RGB", (32, 32), (255, 0, 0) if "red" in ref else (0, 0, 255))

    @functools.cached_property
    def cap(self):
        from skbucket.captioning import Blip2Captioner

        cap = Blip2Captioner(
            model=self.blip2,
            max_new_tokens=3,
            cache=False,
            progress=False,
            device="cpu",
            image_loader=self.image_loader,
        )
        return cap.fit(pd.DataFrame({"media": ["red.jpg"]}))

    def caption(self, *media):
        return self.cap.transform(column(pd.DataFrame(index=range(len(media))), "media", media))[
            "caption"
        ].tolist()

    # ---------------------------------------------------------------- whole pipeline, CLI
    @functools.cached_property
    def pipe(self):
        from threadpoolctl import threadpool_limits

        from skbucket.pipeline import make_seed_pipeline

        pipe = make_seed_pipeline(**self.pipe_params)
        pipe.set_params(features__embedding__max_length=64)  # prompts are shorter; faster
        with threadpool_limits(1):
            return pipe.fit(self.posts, self.likes)

    @property
    def pipe_params(self) -> dict:
        from sklearn.tree import DecisionTreeRegressor

        return dict(
            caption_model=None,
            text_model=self.distilbert,
            regressors=DecisionTreeRegressor(max_depth=3, random_state=0),
            epochs=1,
            max_length=64,
            cache=False,
            progress=False,
            random_state=0,
        )

    @functools.cached_property
    def pipe_pred(self) -> np.ndarray:
        return self.pipe.predict(self.few)

    def pipe_features(self, X) -> pd.DataFrame:
        """Output of the pipeline's steps before the model (prompt, embedding, post features)."""
        return self.pipe[:-1].transform(X)

    @functools.cached_property
    def model_file(self) -> Path:
        from skbucket.cli import save_model

        return save_model(self.pipe, self.tmp / "model.joblib")

    def write(self, name, frame=None, raw: bytes | None = None) -> Path:
        path = self.tmp / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            frame.to_csv(path, index=False)
        return path

    def cli(self, *args) -> tuple[int, str]:
        """``(exit status, stderr)`` of ``skbucket ARGS -q``."""
        from skbucket import cli

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main([str(a) for a in args] + ["-q"])
        return code, err.getvalue()

    def cli_fit(self, frame=None, raw=None, name="fit.csv"):
        config = self.tmp / "config.json"
        settings = {"caption_model": None, "text_model": self.distilbert, "epochs": 1}
        config.write_text(json.dumps({**settings, "random_state": 0}))
        data = self.write(name, frame, raw)
        return self.cli("fit", data, "--model", self.tmp / "unused.joblib", "--config", config)

    def cli_predict(self, frame=None, raw=None, name="new.csv"):
        """``(exit status, stderr, predictions or None)``."""
        data = self.write(name, frame, raw)
        out = self.tmp / f"{name}.pred.csv"
        out.unlink(missing_ok=True)
        code, err = self.cli("predict", self.model_file, data, "-o", out)
        preds = pd.read_csv(out)["prediction"].to_numpy() if out.exists() else None
        return code, err, preds


# =========================================================================== cases
CASES: list[Case] = []


def case(id, problem, estimator, run, expect, gap=None, gap_raises=AssertionError):
    CASES.append(Case(id, problem, estimator, run, expect, gap, gap_raises))


# ---------------------------------------------------------------- PromptBuilder
PB = "``PromptBuilder``"


def _pb(**params):
    from skbucket.prompts import PromptBuilder

    return PromptBuilder(**params)


def _no_content_prompt(prompts, ctx):
    prompts = [p[0] for p in prompts]
    assert len(set(prompts)) == 1, prompts
    assert "Text content" not in prompts[0]
    assert f"Username: {ctx.posts.username[0]}" in prompts[0]


def _check_dates_in_prompts(prompts, ctx):
    for prompt, utc in zip(prompts[:, 0], UTC_DATES, strict=True):
        assert f"Date and time: {utc}, posted on" in prompt, (prompt, utc)
    same(prompts, ctx.pb.transform(ctx.dated_utc))


case(
    "pb-missing-column",
    MISSING_COL,
    PB,
    lambda c: c.pb.transform(c.posts.drop(columns=["content"])),
    Raises(
        ValueError,
        r"column\(s\) 'content' \(role 'content'\) seen at fit are missing from X; "
        r"X has columns",
        "``PromptError``: column(s) 'content' (role 'content') seen at fit are missing from X; "
        "X has columns [...]",
    ),
)
case(
    "pb-missing-required-column",
    MISSING_COL,
    PB,
    lambda c: type(c.pb)(columns=["content", "username"]).fit(c.posts.drop(columns="content")),
    Raises(
        ValueError,
        r"required column\(s\) 'content' \(role 'content'\) not in X; X has columns",
        "``PromptError`` at fit when the role was asked for with ``columns=``: required "
        "column(s) 'content' (role 'content') not in X",
    ),
)
case(
    "pb-extra-column",
    EXTRA_COL,
    PB,
    lambda c: c.pb.transform(c.posts.assign(extra="x")),
    Fallback(
        lambda r, c: same(r, c.pb.transform(c.posts)),
        "ignored: prompts identical to those without the column",
    ),
)
case(
    "pb-renamed-column-at-fit",
    RENAMED_COL,
    PB,
    lambda c: record(lambda: type(c.pb)().fit(c.posts.rename(columns={"content": "text"}))),
    Fallback(
        lambda r, c: (
            assert_equal(list(r[0].columns_), ["company", "username", "date"]),
            assert_true("Text content" not in r[0].transform(c.posts)[0, 0]),
            assert_true(any("X has no post text" in w for w in r[1]), r[1]),
        ),
        "documented: default roles are optional, so the ``content`` role is not used "
        "(``columns_`` lists the roles used) and, as no text role is left, a "
        "``NoPostTextWarning`` says so (map it with ``columns={'content': 'text'}``)",
    ),
)
case(
    "pb-all-columns-renamed",
    RENAMED_COL,
    PB,
    lambda c: type(c.pb)().fit(c.posts.rename(columns=str.upper)),
    Raises(
        ValueError,
        r"X has none of the columns .*X has columns \['ID', 'DATE'",
        "``PromptError``: X has none of the columns [...]; X has columns [...]. Rename the "
        "columns or pass ``columns={role: column}``",
    ),
)
case(
    "pb-renamed-column-at-transform",
    RENAMED_COL,
    PB,
    lambda c: c.pb.transform(c.posts.rename(columns={"username": "user"})),
    Raises(
        ValueError,
        r"'username' \(role 'username'\) seen at fit are missing from X",
        "``PromptError`` naming the column and role seen at fit",
    ),
)
case(
    "pb-number-in-text-column",
    DTYPE,
    PB,
    lambda c: c.pb.transform(cell(c.posts, "content", 0, 5)),
    Fallback(
        lambda r, c: assert_true("Text content: 5, " in r[0, 0]),
        "a number is written with ``str()`` (``Text content: 5``)",
    ),
)
case(
    "pb-not-a-dataframe",
    DTYPE,
    PB,
    lambda c: c.pb.transform(c.posts.to_numpy()),
    Raises(
        ValueError,
        r"needs a pandas or polars DataFrame with named columns .* got ndarray of shape \(40, 6\)",
        "``PromptError``: needs a pandas or polars DataFrame with named columns [...], got ndarray of "
        "shape (n, m)",
    ),
)
case(
    "pb-polars-dataframe",
    DTYPE,
    PB,
    lambda c: c.pb.transform(polars_frame(c.posts)),
    Fallback(
        lambda r, c: np.testing.assert_array_equal(r, c.pb.transform(c.posts)),
        "read as pandas (``to_pandas()``): identical prompts",
    ),
)
case(
    "pb-numeric-date",
    DTYPE,
    PB,
    lambda c: c.pb.transform(c.posts.assign(date=np.arange(N_ROWS)))[:, 0],
    Raises(
        ValueError,
        r"^PromptBuilder: date column 'date' has numeric dtype int64; expected datetimes or",
        "``PromptError``: PromptBuilder: date column 'date' has numeric dtype int64; expected "
        "datetimes or date strings",
    ),
)
case(
    "pb-missing-text",
    MISSING_VAL,
    PB,
    lambda c: c.pb.transform(
        column(c.posts.iloc[[0] * 4].reset_index(drop=True), "content", [None, np.nan, "", " "])
    ),
    Fallback(
        _no_content_prompt,
        "documented: None, NaN, NA, empty or blank text leaves the field out of the prompt",
    ),
)
case(
    "pb-missing-date",
    MISSING_VAL,
    PB,
    lambda c: c.pb.transform(column(c.posts.iloc[:3], "date", [None, np.nan, ""]))[:, 0],
    Fallback(
        lambda r, c: assert_true(all(p.endswith("Date and time: unknown.") for p in r)),
        "documented: ``Date and time: unknown``",
    ),
)
case(
    "pb-date-without-time",
    DATES,
    PB,
    lambda c: c.pb.transform(column(c.posts.iloc[:2], "date", ["2020-06-15", "15 June 2020"]))[
        :, 0
    ],
    Fallback(
        lambda r, c: assert_true(
            all(p.endswith("Date and time: 2020-06-15, posted on Monday.") for p in r)
        ),
        "documented: a date written without a time of day is that day, with no time "
        "(``{hour}`` and ``{hour_text}`` missing), not midnight",
    ),
)
case(
    "pb-bytes",
    NON_UTF8,
    PB,
    lambda c: c.pb.transform(cell(c.posts, "content", 3, b"caf\xe9")),
    Raises(
        ValueError,
        r"column 'content' \(role 'content'\), row 3: expected text \(str\), got bytes",
        "``PromptError``: column 'content' (role 'content'), row 3: expected text (str), got "
        "bytes ``b'caf\\xe9'``; decode it first",
    ),
)
case(
    "pb-surrogates",
    NON_UTF8,
    PB,
    lambda c: c.pb.transform(
        cell(c.posts, "username", 2, b"caf\xe9".decode("utf-8", "surrogateescape"))
    ),
    Raises(
        ValueError,
        r"column 'username' \(role 'username'\), row 2: the text is not valid Unicode",
        "``PromptError``: column 'username' (role 'username'), row 2: the text is not valid "
        "Unicode (lone surrogate, from bytes decoded with ``errors='surrogateescape'``)",
    ),
)
case(
    "pb-emoji-rtl",
    UNICODE,
    PB,
    lambda c: c.pb.transform(cell(c.posts, "content", 0, RTL_EMOJI))[0, 0],
    Fallback(
        lambda r, c: assert_true(f"Text content: {RTL_EMOJI}, " in r),
        "the text is inserted verbatim",
    ),
)
case(
    "pb-100k-text",
    LONG,
    PB,
    lambda c: c.pb.transform(cell(c.posts, "content", 0, LONG_TEXT))[0, 0],
    Fallback(
        lambda r, c: assert_true(f"Text content: {LONG_TEXT}, " in r),
        "the text is inserted verbatim (the models truncate it)",
    ),
)
case(
    "pb-mixed-dates",
    DATES,
    PB,
    lambda c: c.pb.transform(c.dated),
    Fallback(
        _check_dates_in_prompts,
        "parsed per value (ISO 8601, then pandas ``format='mixed'``); tz-aware times converted "
        "to UTC, naive ones taken as UTC; ambiguous ``01/02/2021`` is month first; prompts "
        "identical to those of the same instants as UTC ISO strings",
    ),
)
case(
    "pb-day-first-dates",
    DATES,
    PB,
    lambda c: c.pb.transform(day_first(c.posts)),
    Raises(
        ValueError,
        r"date column 'date' mixes day/month orders: row 0 '13/04/2021 10:00' can only be read "
        r"day first, while row 1 '03/04/2021 10:00' is ambiguous and would be read month first "
        r"\(dayfirst=False\); pass dayfirst=True",
        "``PromptError``: date column 'date' mixes day/month orders: row 0 '13/04/2021 10:00' "
        "can only be read day first, while row 1 '03/04/2021 10:00' is ambiguous and would be "
        "read month first (dayfirst=False); pass dayfirst=True [...]",
    ),
)
case(
    "pb-day-first-dates-dayfirst",
    DATES,
    PB,
    lambda c: _pb(dayfirst=True).fit(c.posts).transform(day_first(c.posts)),
    Fallback(
        lambda r, c: assert_equal(
            [p.split("Date and time: ")[1][:19] for p in r[:, 0]],
            ["2021-04-13 10:00:00", "2021-04-03 10:00:00", "2021-04-05 09:00:00"],
        ),
        "with ``dayfirst=True``: ``03/04/2021`` is 3 April; ISO dates unchanged",
    ),
)
case(
    "pb-unparseable-date",
    DATES,
    PB,
    lambda c: c.pb.transform(cell(c.posts, "date", 0, "soon"))[0, 0],
    Fallback(
        lambda r, c: assert_true(r.endswith("Date and time: unknown.")),
        "documented: ``Date and time: unknown`` for that row",
    ),
)
case(
    "pb-epoch-text-in-date-column",
    DATES,
    PB,
    lambda c: record(lambda: c.pb.transform(cell(c.posts, "date", 2, "1617235200"))),
    Fallback(
        lambda r, c: (
            assert_true(r[0][2, 0].endswith("Date and time: unknown.")),
            assert_true(r[0][3, 0].split("Date and time: ")[1] != "unknown."),
            assert_true(
                any(
                    "UnparseableDateWarning: PromptBuilder: date column 'date': 1 value(s) "
                    "could not be parsed as dates, e.g. row 2: '1617235200'; a count of "
                    "seconds is no date here" in w
                    for w in r[1]
                ),
                r[1],
            ),
        ),
        "documented: epoch seconds written as text (``'1617235200'``) are no date: "
        "``Date and time: unknown`` for that row and an ``UnparseableDateWarning`` naming the "
        "row, with how to convert them (``pd.to_datetime(pd.to_numeric(values), unit='s')``)",
    ),
)
case(
    "pb-single-row",
    ONE_ROW,
    PB,
    lambda c: c.pb.transform(c.posts.iloc[[5]]),
    Fallback(
        lambda r, c: same(r, c.pb.transform(c.posts)[[5]]),
        "same prompt as that row in a full batch",
    ),
)
case(
    "pb-zero-rows",
    ZERO_ROWS,
    PB,
    lambda c: c.pb.transform(c.posts.iloc[:0]),
    Fallback(
        lambda r, c: assert_equal(r.shape, (0, 1)),
        "an empty ``(0, 1)`` array from ``transform`` (fit on zero posts is an error)",
    ),
)
case(
    "pb-column-order",
    ORDER,
    PB,
    lambda c: c.pb.transform(c.posts[c.posts.columns[::-1]]),
    Fallback(
        lambda r, c: same(r, c.pb.transform(c.posts)),
        "columns are found by name: identical prompts",
    ),
)

# ---------------------------------------------------------------- PostFeatures
PF = "``PostFeatures``"


def _pf(**params):
    from skbucket.features import PostFeatures

    return PostFeatures(cv=2, random_state=0, **params).set_output(transform="pandas")


def _check_unseen(out, ctx):
    enc = ctx.pf.target_encoder_
    close(out["username_target"], np.full(len(out), enc.target_mean_))
    same(out["username_count"], np.zeros(len(out)))
    seen = ctx.pf.transform(ctx.posts)
    cols = [col for col in out.columns if not col.startswith("username_")]
    same(out[cols], seen[cols])


def _check_target_encoding(pf, ctx, y):
    from sklearn.preprocessing import TargetEncoder

    cats = ctx.posts[["username", "inferred_company"]].astype(str)
    ref = TargetEncoder(target_type="continuous").fit(cats, np.log1p(np.asarray(y, float)))
    for got, want in zip(pf.target_encoder_.encodings_, ref.encodings_, strict=True):
        close(got, want, atol=1e-12)


def _check_pf_dates(out, ctx):
    utc = pd.to_datetime(pd.Series(UTC_DATES), format="ISO8601")
    same(out["hour"], utc.dt.hour.where(pd.Series(UTC_DATES).str.len() > 10))  # no time: NaN
    same(out["weekday"], utc.dt.day_of_week)
    same(out["month"], utc.dt.month)
    same(out["year"], utc.dt.year)


case(
    "pf-missing-column-fit",
    MISSING_COL,
    PF,
    lambda c: _pf().fit(c.posts.drop(columns="username"), c.likes),
    Raises(
        ValueError,
        r"column\(s\) \['username'\] not found in X; columns present: \[",
        "``PostFeaturesError``: column(s) ['username'] not found in X; columns present: [...]",
    ),
)
case(
    "pf-missing-column-transform",
    MISSING_COL,
    PF,
    lambda c: c.pf.transform(c.posts.drop(columns="media")),
    Raises(
        ValueError,
        r"column\(s\) \['media'\] not found in X",
        "``PostFeaturesError``: column(s) ['media'] not found in X; columns present: [...]",
    ),
)
case(
    "pf-extra-column",
    EXTRA_COL,
    PF,
    lambda c: c.pf.transform(c.posts.assign(extra=1.5)),
    Fallback(
        lambda r, c: same(r, c.pf.transform(c.posts)),
        "documented: ignored, identical features",
    ),
)
case(
    "pf-renamed-column",
    RENAMED_COL,
    PF,
    lambda c: c.pf.transform(c.posts.rename(columns={"date": "Date"})),
    Raises(
        ValueError,
        r"column\(s\) \['date'\] not found in X; columns present: \[.*'Date'",
        "``PostFeaturesError``: column(s) ['date'] not found in X; columns present: [..., "
        "'Date', ...]",
    ),
)
case(
    "pf-number-in-text-column",
    DTYPE,
    PF,
    lambda c: c.pf.transform(cell(c.posts, "content", 4, 5)),
    Raises(
        ValueError,
        r"text column 'content', row 4: expected a string or a missing value, got int 5",
        "``PostFeaturesError``: text column 'content', row 4: expected a string or a missing "
        "value, got int 5",
    ),
)
case(
    "pf-numeric-date",
    DTYPE,
    PF,
    lambda c: c.pf.transform(c.posts.assign(date=np.arange(N_ROWS))),
    Raises(
        ValueError,
        r"date column 'date' has numeric dtype int64; expected datetimes or date strings",
        "``PostFeaturesError``: date column 'date' has numeric dtype int64; expected "
        "datetimes or date strings",
    ),
)
case(
    "pf-array-input",
    DTYPE,
    PF,
    lambda c: c.pf.transform(c.posts.to_numpy()),
    Raises(
        ValueError,
        r"not found in X; columns present: \[0, 1, 2",
        "``PostFeaturesError``: an array has integer column labels, so the named columns are "
        "not found (columns present: [0, 1, ...])",
    ),
)
case(
    "pf-polars-dataframe",
    DTYPE,
    PF,
    lambda c: c.pf.transform(polars_frame(c.posts)),
    Fallback(
        lambda r, c: np.testing.assert_array_equal(r, c.pf.transform(c.posts)),
        "read as pandas (``to_pandas()``): identical features",
    ),
)
case(
    "pf-bad-media",
    DTYPE,
    PF,
    lambda c: c.pf.transform(cell(c.posts, "media", 6, "[Photo(previewUrl=")),
    Raises(
        ValueError,
        r"media column 'media', row 6: cannot parse",
        "``PostFeaturesError``: media column 'media', row 6: cannot parse '[Photo(...'",
    ),
)
case(
    "pf-missing-text-and-date",
    MISSING_VAL,
    PF,
    lambda c: record(
        lambda: c.pf.transform(
            column(
                column(c.posts.iloc[:4], "content", [None, np.nan, "", ""]),
                "date",
                [None, np.nan, "", "  "],
            )
        )
    ),
    Fallback(
        lambda r, c: (
            same(r[0].filter(like="content_"), np.zeros((4, len(TEXT_FEATURES)))),
            assert_true(r[0][["hour", "weekday", "month", "year"]].isna().all().all()),
            assert_equal(r[1], []),
        ),
        "documented: missing text is empty text (all counts 0); a missing or blank date "
        "gives NaN date features, without a warning",
    ),
)
case(
    "pf-bytes",
    NON_UTF8,
    PF,
    lambda c: c.pf.transform(cell(c.posts, "content", 3, b"caf\xe9")),
    Raises(
        ValueError,
        r"text column 'content', row 3: expected a string or a missing value, got bytes",
        "``PostFeaturesError``: text column 'content', row 3: expected a string [...], got bytes",
    ),
)
case(
    "pf-bytes-account",
    NON_UTF8,
    PF,
    lambda c: c.pf.transform(cell(c.posts, "username", 3, b"caf\xe9")),
    Raises(
        ValueError,
        r"category column 'username', row 3: expected text \(str\), got bytes b'caf\\xe9'",
        "``PostFeaturesError``: category column 'username', row 3: expected text (str), got "
        "bytes [...]; decode it first",
    ),
)
case(
    "pf-emoji-rtl",
    UNICODE,
    PF,
    lambda c: c.pf.transform(cell(c.posts, "content", 0, RTL_EMOJI)).iloc[0],
    Fallback(
        lambda r, c: (
            assert_equal(r["content_length"], len(RTL_EMOJI)),
            assert_equal(r["content_emoji"], 2),
        ),
        "counted as characters; a toned emoji and a flag count one emoji each",
    ),
)
case(
    "pf-100k-text",
    LONG,
    PF,
    lambda c: c.pf.transform(cell(c.posts, "content", 0, LONG_TEXT)).iloc[0],
    Fallback(
        lambda r, c: assert_equal(r["content_length"], 100_000),
        "no truncation: ``content_length`` is 100000",
    ),
)
case(
    "pf-negative-likes",
    NEG_LIKES,
    PF,
    lambda c: _pf().fit(c.posts, c.likes.where(c.likes.index != 3, -5)),
    Raises(
        ValueError,
        r"target_transform='log1p' needs y >= 0 \(like counts\); y\[3\] = -5",
        "``PostFeaturesError``: target_transform='log1p' needs y >= 0 (like counts); y[3] = -5.0",
    ),
)
case(
    "pf-fractional-likes",
    NONINT_LIKES,
    PF,
    lambda c: _pf().fit(c.posts, c.likes + 0.5),
    Fallback(
        lambda r, c: _check_target_encoding(r, c, c.likes + 0.5),
        "accepted: encodings are sklearn's ``TargetEncoder`` of ``log1p(y)``",
    ),
)
case(
    "pf-likes-as-digit-strings",
    NONINT_LIKES,
    PF,
    lambda c: _pf().fit(c.posts, c.likes.astype(str)),
    Fallback(
        lambda r, c: _check_target_encoding(r, c, c.likes),
        "numeric text is read as numbers: same encodings as numeric likes",
    ),
)
case(
    "pf-likes-not-numeric",
    NONINT_LIKES,
    PF,
    lambda c: _pf().fit(c.posts, c.likes.astype(str).where(c.likes.index != 3, "lots")),
    Raises(
        ValueError,
        r"y.*row 3|y\[3\]",
        "``ValueError`` naming the row",
    ),
)
case(
    "pf-nan-likes",
    NONINT_LIKES,
    PF,
    lambda c: _pf().fit(c.posts, c.likes.astype(float).where(c.likes.index != 3, np.nan)),
    Raises(
        ValueError,
        r"NaN.*(row 3|y\[3\])",
        "``ValueError`` naming the row",
    ),
)
case(
    "pf-huge-likes",
    HUGE_LIKES,
    PF,
    lambda c: _pf().fit_transform(c.posts, c.likes.astype(float).where(c.likes.index != 3, 1e12)),
    Fallback(
        lambda r, c: assert_true(np.isfinite(r.to_numpy()).all()),
        "accepted (log1p keeps the encodings finite)",
    ),
)
case(
    "pf-likes-beyond-float64",
    HUGE_LIKES,
    PF,
    lambda c: _pf().fit(c.posts, [10**400] + c.likes.tolist()[1:]),
    Raises(ValueError, r"row 0|y\[0\]", "``ValueError`` naming the row"),
)
case(
    "pf-mixed-dates",
    DATES,
    PF,
    lambda c: record(lambda: c.pf.transform(c.dated)),
    Fallback(
        lambda r, c: (_check_pf_dates(r[0], c), assert_equal(r[1], [])),
        "documented: pandas ``format='mixed'``, converted to UTC (naive = UTC): hour, "
        "weekday, month, year of the UTC instant; the same as the prompt's date",
    ),
)
case(
    "pf-day-first-dates",
    DATES,
    PF,
    lambda c: c.pf.transform(day_first(c.posts)),
    Raises(
        ValueError,
        r"date column 'date' mixes day/month orders: row 0 '13/04/2021 10:00' can only be read "
        r"day first, while row 1 '03/04/2021 10:00' is ambiguous",
        "``PostFeaturesError``: date column 'date' mixes day/month orders: row 0 "
        "'13/04/2021 10:00' can only be read day first, while row 1 '03/04/2021 10:00' is "
        "ambiguous and would be read month first (dayfirst=False); pass dayfirst=True [...]",
    ),
)
case(
    "pf-day-first-dates-dayfirst",
    DATES,
    PF,
    lambda c: _pf(dayfirst=True).fit(c.posts, c.likes).transform(day_first(c.posts)),
    Fallback(
        lambda r, c: assert_equal(
            r[["month", "weekday", "hour"]].to_numpy().tolist(),
            [[4.0, 1.0, 10.0], [4.0, 5.0, 10.0], [4.0, 0.0, 9.0]],
        ),
        "with ``dayfirst=True``: ``03/04/2021`` is 3 April (a Saturday); ISO dates unchanged",
    ),
)
case(
    "pf-unparseable-date",
    DATES,
    PF,
    lambda c: record(lambda: c.pf.transform(cell(c.posts, "date", 2, "soon"))),
    Fallback(
        lambda r, c: (
            assert_true(r[0].loc[2, ["hour", "weekday", "month", "year"]].isna().all()),
            assert_true(r[0].drop(index=2)[["hour"]].notna().all().all()),
            assert_true(any("row 2: 'soon'" in w for w in r[1]), r[1]),
        ),
        "documented: NaN date features and an ``UnparseableDateWarning`` naming the row "
        "(``invalid_dates='raise'``: ``PostFeaturesError``)",
    ),
)
case(
    "pf-number-in-date-column",
    DATES,
    PF,
    lambda c: record(lambda: c.pf.transform(cell(c.posts, "date", 2, 1617235200))),
    Fallback(
        lambda r, c: (
            assert_true(r[0].loc[2, ["hour", "weekday", "month", "year"]].isna().all()),
            assert_true(r[0].drop(index=2)[["hour"]].notna().all().all()),
            assert_true(any("row 2: 1617235200" in w for w in r[1]), r[1]),
        ),
        "documented: a number among date strings is no date (not read as epoch nanoseconds, "
        "1970): NaN date features and an ``UnparseableDateWarning`` naming the row",
    ),
)
case(
    "pf-unparseable-date-raise",
    DATES,
    PF,
    lambda c: _pf(invalid_dates="raise").fit_transform(cell(c.posts, "date", 2, "soon"), c.likes),
    Raises(
        ValueError,
        r"date column 'date': 1 value\(s\) could not be parsed as dates, e\.g\. row 2: 'soon'",
        "with ``invalid_dates='raise'``: ``PostFeaturesError``: date column 'date': 1 "
        "value(s) could not be parsed as dates, e.g. row 2: 'soon'",
    ),
)
case(
    "pf-no-readable-date-at-fit",
    DATES,
    PF,
    lambda c: record(
        lambda: _pf().fit(
            c.posts.assign(date=["soon", "", None] * (N_ROWS // 3) + [""] * (N_ROWS % 3)),
            c.likes,
        )
    ),
    Fallback(
        lambda r, c: (
            assert_true("hour" not in r[0].get_feature_names_out()),
            assert_equal(
                r[0].transform(c.posts.drop(columns="date")).shape[1],
                len(r[0].get_feature_names_out()),
            ),
            assert_true(any("none of the 40 training posts has a date" in w for w in r[1]), r[1]),
        ),
        "documented: the fit leaves the date features out (as ``date_column=None``) with an "
        "``UnparseableDateWarning``: date column 'date': none of the 40 training posts has a "
        "date that can be read (all missing, blank or unparseable, e.g. row 0: 'soon') [...]; "
        "NaN in every row would learn nothing, and the default HGB router fails on it",
    ),
)
case(
    "pf-single-row-transform",
    ONE_ROW,
    PF,
    lambda c: c.pf.transform(c.posts.iloc[[7]]),
    Fallback(
        lambda r, c: same(r, c.pf.transform(c.posts).iloc[[7]]),
        "same features as that row in a full batch",
    ),
)
case(
    "pf-single-row-fit-transform",
    ONE_ROW,
    PF,
    lambda c: _pf().fit_transform(c.posts.iloc[:1], c.likes.iloc[:1]),
    Raises(
        ValueError,
        r"PostFeatures\(cv=2\) cross-fits .* needs at least 2 posts to fit; got 1\. Pass more "
        r"posts\.",
        "``ValueError`` (``cv=2`` here; ``cv`` is 5 by default): PostFeatures(cv=2) "
        "cross-fits its encodings of ['username', 'inferred_company'] in 2 folds and needs at "
        "least 2 posts to fit; got 1. Pass more posts.",
    ),
)
case(
    "pf-zero-rows",
    ZERO_ROWS,
    PF,
    lambda c: c.pf.transform(c.posts.iloc[:0]),
    Raises(
        ValueError,
        r"Found array with 0 sample\(s\) \(shape=\(0, 6\)\) while a minimum of 1 is required",
        "``PostFeaturesError``: Found array with 0 sample(s) (shape=(0, 6)) while a minimum "
        "of 1 is required",
    ),
)
case(
    "pf-unseen-username",
    UNSEEN,
    PF,
    lambda c: c.pf.transform(c.posts.assign(username="never-seen-account")),
    Fallback(
        _check_unseen,
        "documented: ``username_target`` is the global mean of ``log1p(likes)`` in training, "
        "``username_count`` is 0; every other feature unchanged",
    ),
)
case(
    "pf-missing-username",
    MISSING_VAL,
    PF,
    lambda c: c.pf.transform(column(c.posts, "username", [None, np.nan])),
    Fallback(
        _check_unseen,
        "documented: a missing account counts 0 and, unseen at fit, gets the global mean of "
        "``log1p(likes)``; every other feature unchanged",
    ),
)
case(
    "pf-column-order",
    ORDER,
    PF,
    lambda c: c.pf.transform(c.posts[c.posts.columns[::-1]]),
    Fallback(
        lambda r, c: same(r, c.pf.transform(c.posts)),
        "documented: columns are selected by name, identical features",
    ),
)

# ---------------------------------------------------------------- BucketedRegressor
BR = "``BucketedRegressor``"


def _br_y(ctx, row, value):
    y = ctx.likes.astype(object).tolist()
    y[row] = value
    return np.asarray(y, dtype=object)


def _check_fractional(est, ctx):
    from skbucket.bucketed import assign_buckets

    y = ctx.likes + 0.5
    same(est.bucket_counts_, np.bincount(assign_buckets(y), minlength=7))
    same(assign_buckets([10, 10.5, 100, 100.5]), [0, 1, 1, 2])


case(
    "br-missing-column",
    MISSING_COL,
    BR,
    lambda c: c.br.predict(c.features.drop(columns="hour")),
    Raises(
        ValueError,
        r"Feature names seen at fit time, yet now missing:\s+- hour",
        "scikit-learn's ``ValueError``: Feature names seen at fit time, yet now missing: - hour",
    ),
)
case(
    "br-extra-column",
    EXTRA_COL,
    BR,
    lambda c: c.br.predict(c.features.assign(extra=1.0)),
    Raises(
        ValueError,
        r"Feature names unseen at fit time:\s+- extra",
        "scikit-learn's ``ValueError``: Feature names unseen at fit time: - extra",
    ),
)
case(
    "br-wrong-number-of-columns",
    MISSING_COL,
    BR,
    lambda c: record(lambda: c.br.predict(c.features.to_numpy()[:, :-1])),
    Raises(
        ValueError,
        r"X has 17 features, but BucketedRegressor is expecting 18 features",
        "``ValueError``: X has 17 features, but BucketedRegressor is expecting 18 features",
    ),
)
case(
    "br-string-column",
    DTYPE,
    BR,
    lambda c: c.br.predict(cell(c.features, "hour", 0, "ten")),
    Raises(
        ValueError,
        r"cannot take the string column\(s\) 'hour' \(row 0: 'ten'\)",
        "``ValueError``: classifier [...] cannot take the string column(s) 'hour' (row 0: "
        "'ten') in predict_proba",
    ),
)
case(
    "br-string-column-regressors",
    DTYPE,
    BR,
    lambda c: fit_light_br(c.features, c.likes, classifier_columns=["weekday"]).predict(
        cell(c.features, "hour", 20, "ten")  # the 18th row of its bucket
    ),
    Raises(
        ValueError,
        r"regressors\[\d\] .*cannot take the string column\(s\) 'hour' \(row 20: 'ten'\)",
        "``ValueError``: regressors[k] [...] cannot take the string column(s) 'hour' (row 20: "
        "'ten') in predict (the row of X, not of the bucket's rows the regressor is given)",
    ),
)
case(
    "br-nan-feature",
    MISSING_VAL,
    BR,
    lambda c: c.br.predict(cell(c.features, "hour", 0, np.nan).astype(float)),
    Raises(
        ValueError,
        r"Input X contains NaN",
        "the sub-estimator's own error (Ridge: Input X contains NaN); use NaN-aware "
        "sub-estimators (the defaults are)",
    ),
)
case(
    "br-negative-likes",
    NEG_LIKES,
    BR,
    lambda c: fit_light_br(c.features, c.likes.where(c.likes.index != 3, -1)),
    Raises(
        ValueError,
        r"y must be non-negative \(likes are counts\), but row 3 is -1\.0 \(",
        "``ValueError``: y must be non-negative (likes are counts), but row 3 is -1.0",
    ),
)
case(
    "br-fractional-likes",
    NONINT_LIKES,
    BR,
    lambda c: fit_light_br(c.features, c.likes + 0.5),
    Fallback(
        _check_fractional,
        "accepted; bucket k holds ``(bins[k-1], bins[k]]``: 10.5 is in 11-100",
    ),
)
case(
    "br-likes-as-digit-strings",
    NONINT_LIKES,
    BR,
    lambda c: fit_light_br(c.features, c.likes.astype(str), min_bucket_size=1),
    Fallback(
        lambda r, c: same(r.predict(c.features), c.br.predict(c.features)),
        "numeric text is read as numbers: identical predictions",
    ),
)
case(
    "br-likes-not-numeric",
    NONINT_LIKES,
    BR,
    lambda c: fit_light_br(c.features, _br_y(c, 3, "many")),
    Raises(
        ValueError,
        r"y must be numeric .* row 3 is 'many'",
        "``ValueError``: y must be numeric (likes counts [...]); got dtype object, but row 3 "
        "is 'many'",
    ),
)
case(
    "br-nan-likes",
    NONINT_LIKES,
    BR,
    lambda c: fit_light_br(c.features, c.likes.astype(float).where(c.likes.index != 3, np.nan)),
    Raises(
        ValueError,
        r"Input y contains NaN: y must be finite, but row 3 is nan \(",
        "``ValueError``: Input y contains NaN: y must be finite, but row 3 is nan",
    ),
)
case(
    "br-huge-likes",
    HUGE_LIKES,
    BR,
    lambda c: fit_light_br(c.features, _br_y(c, 3, 2**64)),
    Fallback(
        lambda r, c: (
            assert_equal(r.bucket_counts_[-1], 1 + int((c.likes.drop(index=3) > 2500).sum())),
            assert_true(np.isfinite(r.predict(c.features)).all()),
        ),
        "accepted as float64 (even beyond int64, e.g. 2**64): the top bucket (>2500)",
    ),
)
case(
    "br-likes-beyond-float64",
    HUGE_LIKES,
    BR,
    lambda c: fit_light_br(c.features, _br_y(c, 3, 10**400)),
    Raises(
        ValueError,
        r"y must be numeric \(likes counts as numbers within the float64 range\).*row 3 is 1000",
        "``ValueError``: y must be numeric (likes counts as numbers within the float64 range); "
        "got dtype object, but row 3 is 1000...",
    ),
)
case(
    "br-infinite-likes",
    HUGE_LIKES,
    BR,
    lambda c: fit_light_br(c.features, c.likes.astype(float).where(c.likes.index != 3, np.inf)),
    Raises(
        ValueError,
        r"Input y contains infinity: y must be finite, but row 3 is inf \(",
        "``ValueError``: Input y contains infinity: y must be finite, but row 3 is inf",
    ),
)
case(
    "br-single-row-fit",
    ONE_ROW,
    BR,
    lambda c: fit_light_br(c.features.iloc[:1], c.likes.iloc[:1]),
    Fallback(
        lambda r, c: (
            same(r.predict(c.features), np.full(N_ROWS, float(c.likes[0]))),
            assert_true(len(r.bucket_fallback_) == 7),
        ),
        "documented: every bucket falls back to a constant (the weighted median target), "
        "listed in ``bucket_fallback_``",
    ),
)
case(
    "br-single-row-predict",
    ONE_ROW,
    BR,
    lambda c: c.br.predict(c.features.iloc[[9]]),
    Fallback(
        lambda r, c: close(r, c.br.predict(c.features)[[9]], atol=1e-9),
        "same prediction as that row in a full batch",
    ),
)
case(
    "br-zero-rows",
    ZERO_ROWS,
    BR,
    lambda c: c.br.predict(c.features.iloc[:0]),
    Raises(
        ValueError,
        r"Found array with 0 sample\(s\) .* while a minimum of 1 is required by "
        r"BucketedRegressor",
        "``ValueError``: Found array with 0 sample(s) [...] while a minimum of 1 is required "
        "by BucketedRegressor",
    ),
)
case(
    "br-length-mismatch",
    LENGTHS,
    BR,
    lambda c: fit_light_br(c.features, c.likes.iloc[:5]),
    Raises(
        ValueError,
        r"X has 40 rows but y has 5; give one target per row",
        "``ValueError``: X and y have different lengths: X has 40 rows but y has 5",
    ),
)
case(
    "br-column-order",
    ORDER,
    BR,
    lambda c: c.br.predict(c.features[c.features.columns[::-1]]),
    Raises(
        ValueError,
        r"Feature names must be in the same order as they were in fit",
        "scikit-learn's ``ValueError``: Feature names must be in the same order as they were "
        "in fit (a feature matrix is positional)",
    ),
)

# ---------------------------------------------------------------- assign_buckets
AB = "``assign_buckets``"


def _assign(y):
    from skbucket.bucketed import assign_buckets

    return assign_buckets(y)


case(
    "ab-negative-likes",
    NEG_LIKES,
    AB,
    lambda c: _assign([5, -2]),
    Raises(
        ValueError,
        r"row 1 is .*-2\.0",
        "``ValueError``: y must be non-negative (likes are counts), but row 1 is -2.0",
    ),
)
case(
    "ab-zero-rows",
    ZERO_ROWS,
    AB,
    lambda c: _assign([]),
    Fallback(
        lambda r, c: (assert_equal(r.shape, (0,)), assert_equal(r.dtype, np.int64)),
        "an empty int64 array",
    ),
)

# ---------------------------------------------------------------- DistilBertEmbedder
EMB = "``DistilBertEmbedder``"


def _embeds_as(text):
    def check(result, ctx):
        close(result, ctx.emb.transform([text] * len(result)))

    return check


case(
    "emb-two-columns",
    EXTRA_COL,
    EMB,
    lambda c: c.emb.transform(c.posts[["content", "username"]]),
    Raises(
        ValueError,
        r"expected one text column, got 2 columns: \['content', 'username'\]",
        "``TextInputError``: expected one text column, got 2 columns: ['content', 'username']",
    ),
)
case(
    "emb-renamed-column",
    RENAMED_COL,
    EMB,
    lambda c: (
        type(c.emb)(**c.emb.get_params())
        .fit(c.posts[["content"]])
        .transform(c.posts[["content"]].rename(columns={"content": "text"}))
    ),
    Raises(
        ValueError,
        r"Feature names unseen at fit time:\s+- text",
        "scikit-learn's ``ValueError``: Feature names unseen at fit time: - text [...]",
    ),
)
case(
    "emb-number",
    DTYPE,
    EMB,
    lambda c: c.emb.transform([5]),
    Fallback(_embeds_as("5"), "documented: a number is embedded as ``str(value)``"),
)
case(
    "emb-list-cell",
    DTYPE,
    EMB,
    lambda c: c.emb.transform(["ok", ["a", "list"]]),
    Raises(
        ValueError,
        r"row 1: expected a text \(str\), got list",
        "``TextInputError``: row 1: expected a text (str), got list",
    ),
)
case(
    "emb-missing-text",
    MISSING_VAL,
    EMB,
    lambda c: c.emb.transform([None, np.nan, pd.NA, ""]),
    Fallback(_embeds_as(""), 'documented: None, NaN, NA are embedded as ``""``'),
)
case(
    "emb-bytes",
    NON_UTF8,
    EMB,
    lambda c: c.emb.transform(["ok", b"caf\xe9"]),
    Raises(
        ValueError,
        r"row 1: expected a text \(str\), got bytes",
        "``TextInputError``: row 1: expected a text (str), got bytes ``b'caf\\xe9'``",
    ),
)
case(
    "emb-surrogates",
    NON_UTF8,
    EMB,
    lambda c: c.emb.transform(["ok", b"caf\xe9".decode("utf-8", "surrogateescape")]),
    Raises(
        ValueError,
        r"row 1: the text is not valid Unicode",
        "``TextInputError``: row 1: the text is not valid Unicode (surrogates not allowed ...)",
    ),
)
case(
    "emb-emoji-rtl",
    UNICODE,
    EMB,
    lambda c: c.emb.transform([RTL_EMOJI, ""]),
    Fallback(
        lambda r, c: (
            assert_true(np.isfinite(r).all()),
            assert_true(not np.allclose(r[0], r[1])),
            close(r[:1], c.emb.transform([RTL_EMOJI])),
        ),
        "embedded like any text (characters outside the vocabulary become ``[UNK]``)",
    ),
)
case(
    "emb-100k-text",
    LONG,
    EMB,
    lambda c: c.emb.transform([LONG_TEXT]),
    Fallback(
        lambda r, c: close(r, c.emb.transform([c.cut(LONG_TEXT)])),
        "documented: truncated to ``max_length`` tokens: same vector as the text cut there",
    ),
)
case(
    "emb-single-row",
    ONE_ROW,
    EMB,
    lambda c: c.emb.transform(c.posts["content"].iloc[[3]]),
    Fallback(
        lambda r, c: close(r, c.emb.transform(c.posts["content"].iloc[:8])[[3]]),
        "same vector as in a batch (padding is masked out)",
    ),
)
case(
    "emb-zero-rows",
    ZERO_ROWS,
    EMB,
    lambda c: c.emb.transform([]),
    Fallback(
        lambda r, c: (assert_equal(r.shape, (0, c.emb.hidden_size_)), assert_equal(r.dtype, "f4")),
        "an empty ``(0, hidden_size_)`` float32 array",
    ),
)

# ---------------------------------------------------------------- DistilBertClassifier
CLF = "``DistilBertClassifier``"


def _uncached(predict, texts):
    """``predict(texts)`` run by the model, not read from the process-wide logits cache."""
    from skbucket.cache import process_memory_cache

    process_memory_cache().clear()
    return predict(texts)


def _new_clf(ctx):
    from skbucket.classification import DistilBertClassifier

    return DistilBertClassifier(**ctx.clf_params)


TEXTS = ["good day", "bad day", "great", "awful"] * 3
LABELS = [0, 1, 0, 1] * 3

case(
    "clf-float-labels",
    NONINT_LIKES,
    CLF,
    lambda c: _new_clf(c).fit(TEXTS, [0.5, *LABELS[1:]]),
    Raises(
        ValueError,
        r"Unknown label type: continuous",
        "scikit-learn's ``ValueError``: Unknown label type: continuous (use bucket labels, "
        "e.g. ``assign_buckets(likes)``)",
    ),
)
case(
    "clf-missing-label",
    MISSING_VAL,
    CLF,
    lambda c: _new_clf(c).fit(TEXTS, [0, np.nan, *LABELS[2:]]),
    Raises(
        ValueError,
        r"y has a missing label \(nan\) at row 1",
        "``ValueError``: y has a missing label (nan) at row 1 [...]; every row needs a class label",
    ),
)
case(
    "clf-missing-text",
    MISSING_VAL,
    CLF,
    lambda c: c.clf.predict_proba([None, np.nan, ""]),
    Fallback(
        lambda r, c: close(r, np.repeat(r[[2]], 3, axis=0)),
        'documented: None/NaN are the empty text: same probabilities as ``""``',
    ),
)
case(
    "clf-bytes",
    NON_UTF8,
    CLF,
    lambda c: c.clf.predict(["ok", b"caf\xe9"]),
    Raises(
        ValueError,
        r"row 1: expected a text \(str\), got bytes",
        "``TextInputError``: row 1: expected a text (str), got bytes",
    ),
)
case(
    "clf-surrogates",
    NON_UTF8,
    CLF,
    lambda c: c.clf.predict(["ok", b"caf\xe9".decode("utf-8", "surrogateescape")]),
    Raises(
        ValueError,
        r"row 1: the text is not valid Unicode",
        "``TextInputError``: row 1: the text is not valid Unicode (surrogates not allowed ...)",
    ),
)
case(
    "clf-emoji-rtl",
    UNICODE,
    CLF,
    lambda c: c.clf.predict_proba([RTL_EMOJI]),
    Fallback(
        lambda r, c: (close(r.sum(axis=1), [1.0]), assert_equal(r.shape, (1, 2))),
        "classified like any text (out-of-vocabulary characters become ``[UNK]``)",
    ),
)
case(
    "clf-100k-text",
    LONG,
    CLF,
    lambda c: c.clf.predict_proba([LONG_TEXT]),
    Fallback(
        lambda r, c: close(r, c.clf.predict_proba([c.cut(LONG_TEXT)])),
        "documented: truncated to ``max_length`` tokens: same probabilities as the text cut there",
    ),
)
case(
    "clf-negative-labels",
    NEG_LIKES,
    CLF,
    lambda c: _new_clf(c).fit(TEXTS, [-1, *LABELS[1:]]),
    Fallback(
        lambda r, c: same(r.classes_, [-1, 0, 1]),
        "labels are any sortable classes: -1 is a class (bucket likes first)",
    ),
)
case(
    "clf-single-row-fit",
    ONE_ROW,
    CLF,
    lambda c: _new_clf(c).fit(["only one"], [0]),
    Raises(
        ValueError,
        r"needs at least 2 classes in y to learn from; got 1 class: 0",
        "``ValueError``: DistilBertClassifier needs at least 2 classes in y to learn from; "
        "got 1 class: 0",
    ),
)
case(
    "clf-single-row-predict",
    ONE_ROW,
    CLF,
    lambda c: _uncached(c.clf.predict_proba, TEXTS[1:2]),
    Fallback(
        lambda r, c: close(r, _uncached(c.clf.predict_proba, TEXTS)[1:2]),
        "same probabilities as in a batch, to float rounding (each batch is padded to its "
        "longest text: 1.6e-7 at most measured with MiniLM)",
    ),
)
case(
    "clf-zero-rows-fit",
    ZERO_ROWS,
    CLF,
    lambda c: _new_clf(c).fit([], []),
    Raises(
        ValueError,
        r"found 0 rows in X and y while a minimum of 1 is required",
        "``ValueError``: found 0 rows in X and y while a minimum of 1 is required",
    ),
)
case(
    "clf-zero-rows-predict",
    ZERO_ROWS,
    CLF,
    lambda c: c.clf.predict([]),
    Fallback(
        lambda r, c: assert_equal(r.shape, (0,)),
        "an empty array of predictions",
    ),
)
case(
    "clf-length-mismatch",
    LENGTHS,
    CLF,
    lambda c: _new_clf(c).fit(TEXTS, LABELS[:3]),
    Raises(
        ValueError,
        r"X has 12 texts but y has 3 labels",
        "``ValueError``: DistilBertClassifier: X has 12 texts but y has 3 labels",
    ),
)

# ---------------------------------------------------------------- Blip2Captioner
CAP = "``Blip2Captioner``"


def _captions_equal_to(ref_media):
    def check(result, ctx):
        assert result == ctx.caption(*ref_media), result

    return check


case(
    "cap-missing-column",
    MISSING_COL,
    CAP,
    lambda c: type(c.cap)(model=c.blip2).fit(pd.DataFrame({"content": ["x"]})),
    Raises(
        ValueError,
        r"media_column='media' is not a column of X; columns present: \['content'\]",
        "``ValueError``: media_column='media' is not a column of X; columns present: [...]",
    ),
)
case(
    "cap-extra-column",
    EXTRA_COL,
    CAP,
    lambda c: c.cap.transform(pd.DataFrame({"media": ["red.jpg"], "extra": [1]})),
    Fallback(
        lambda r, c: (
            assert_equal(list(r.columns), ["media", "extra", "caption"]),
            assert_equal(r["extra"].tolist(), [1]),
            assert_equal(r["caption"].tolist(), c.caption("red.jpg")),
        ),
        "documented: passed through (only ``media`` and ``caption`` are read and checked); "
        "same caption",
    ),
)
case(
    "cap-renamed-column",
    RENAMED_COL,
    CAP,
    lambda c: c.cap.transform(pd.DataFrame({"Media": ["red.jpg"]})),
    Raises(
        ValueError,
        r"media_column='media' is not a column of X; columns present: \['Media'\]",
        "``ValueError``: media_column='media' is not a column of X; columns present: ['Media']",
    ),
)
case(
    "cap-array-input",
    DTYPE,
    CAP,
    lambda c: c.cap.transform(np.array([["red.jpg"]])),
    Raises(
        ValueError,
        r"expects a pandas or polars DataFrame with a 'media' column, got ndarray",
        "an error subclassing ``ValueError``: expects a pandas or polars DataFrame with a 'media' "
        "column, got ndarray",
    ),
)
case(
    "cap-number-media",
    DTYPE,
    CAP,
    lambda c: c.caption("red.jpg", 5),
    Raises(
        ValueError,
        r"row 1 \(position 1\): cannot caption media '5'.*got int",
        "``CaptioningError``: row 1 (position 1): cannot caption media '5': [...] got int "
        "(``on_error='skip'`` or a text: recorded in ``errors_``)",
    ),
)
case(
    "cap-bad-media-text",
    DTYPE,
    CAP,
    lambda c: c.caption("red.jpg", "[Photo(previewUrl="),
    Raises(
        ValueError,
        r"row 1 \(position 1\): cannot caption media '\[Photo\(previewUrl='",
        "``CaptioningError``: row 1 (position 1): cannot caption media '[Photo(previewUrl=': "
        "not valid media text",
    ),
)
case(
    "cap-missing-media",
    MISSING_VAL,
    CAP,
    lambda c: c.caption(None, np.nan, "", "[]", "red.jpg"),
    Fallback(
        lambda r, c: (assert_equal(r[:4], [""] * 4), assert_true(r[4] != "")),
        'documented: a row without media gets the caption ``""``',
    ),
)
case(
    "cap-bytes",
    NON_UTF8,
    CAP,
    lambda c: c.caption("red.jpg", b"red.jpg"),
    Raises(
        ValueError,
        r"row 1 \(position 1\): cannot caption media .*got bytes",
        "``CaptioningError``: row 1 (position 1): cannot caption media \"b'red.jpg'\": [...] "
        "got bytes",
    ),
)
case(
    "cap-emoji-rtl-path",
    UNICODE,
    CAP,
    lambda c: (c.loaded_refs.clear(), c.caption("фото/red-🐱-שלום.jpg"), list(c.loaded_refs))[1:],
    Fallback(
        lambda r, c: (
            assert_equal(r[1], ["фото/red-🐱-שלום.jpg"]),
            assert_equal(r[0], c.caption("red.jpg")),
        ),
        "the reference reaches the image loader verbatim; same caption as the same image "
        "under an ASCII name",
    ),
)
case(
    "cap-single-row",
    ONE_ROW,
    CAP,
    lambda c: c.caption("blue.jpg"),
    Fallback(
        lambda r, c: assert_equal(r, c.caption("red.jpg", "blue.jpg", None)[1:2]),
        "same caption as in a batch",
    ),
)
case(
    "cap-zero-rows",
    ZERO_ROWS,
    CAP,
    lambda c: c.cap.transform(pd.DataFrame({"media": pd.Series([], dtype=object)})),
    Fallback(
        lambda r, c: (assert_equal(list(r.columns), ["media", "caption"]), assert_equal(len(r), 0)),
        "an empty DataFrame with the ``caption`` column",
    ),
)
case(
    "cap-column-order",
    ORDER,
    CAP,
    lambda c: (
        type(c.cap)(**c.cap.get_params())
        .fit(pd.DataFrame({"media": ["red.jpg"], "id": [1]}))
        .transform(pd.DataFrame({"id": [1], "media": ["red.jpg"]}))
    ),
    Fallback(
        lambda r, c: (
            assert_equal(list(r.columns), ["id", "media", "caption"]),
            assert_equal(r["caption"].tolist(), c.caption("red.jpg")),
        ),
        "documented: the columns are passed through in the order given; same caption",
    ),
)

# ---------------------------------------------------------------- parse_media
PM = "``parse_media``"


def _parse(value):
    from skbucket.media import parse_media

    return parse_media(value)


case(
    "pm-number",
    DTYPE,
    PM,
    lambda c: _parse(5),
    Raises(
        ValueError,
        r"'5': expected media text, a path, a URL, a list of them or NaN, got int",
        "``MediaParseError``: '5': expected media text, a path, a URL, a list of them or NaN, "
        "got int",
    ),
)
case(
    "pm-not-media-text",
    DTYPE,
    PM,
    lambda c: _parse("[__import__('os').system('ls')]"),
    Raises(
        ValueError,
        r"__import__",
        "``MediaParseError`` quoting the text (read with ``ast``, never evaluated)",
    ),
)
case(
    "pm-missing",
    MISSING_VAL,
    PM,
    lambda c: [_parse(v) for v in (None, np.nan, pd.NA, "", "[]")],
    Fallback(lambda r, c: assert_equal(r, [[]] * 5), "documented: no media, ``[]``"),
)
case(
    "pm-bytes",
    NON_UTF8,
    PM,
    lambda c: _parse(b"[Photo(fullUrl='x')]"),
    Raises(
        ValueError,
        r"got bytes",
        "``MediaParseError``: [...] expected media text, a path, a URL, a list of them or NaN, "
        "got bytes",
    ),
)
case(
    "pm-control-characters",
    NON_UTF8,
    PM,
    lambda c: _parse("photo\x00.jpg"),
    Raises(
        ValueError,
        r"contains control characters",
        "``MediaParseError``: not a media list, path or URL (it contains control characters)",
    ),
)
case(
    "pm-emoji-rtl-path",
    UNICODE,
    PM,
    lambda c: _parse("фото/🐱-שלום.jpg"),
    Fallback(
        lambda r, c: assert_equal([(m.url, m.kind) for m in r], [("фото/🐱-שלום.jpg", "image")]),
        "a plain path, kept verbatim",
    ),
)
case(
    "pm-100k-text",
    LONG,
    PM,
    lambda c: _parse(
        "["
        + ", ".join(f"Photo(previewUrl='s{i}', fullUrl='https://x/{i}')" for i in range(2000))
        + "]"
    ),
    Fallback(
        lambda r, c: (
            assert_equal(len(r), 2000),
            assert_equal(r[-1].url, "https://x/1999"),
        ),
        "read in full (here 2000 photos, about 100k characters)",
    ),
)

# ---------------------------------------------------------------- evaluate
EV = "``metrics.evaluate``"


def _evaluate(y_true, y_pred, **kwargs):
    from skbucket.metrics import evaluate

    return evaluate(y_true, y_pred, **kwargs)


case(
    "ev-nan-prediction",
    MISSING_VAL,
    EV,
    lambda c: _evaluate([1, 2, 3], [1, np.nan, 3]),
    Raises(
        ValueError,
        r"y_pred holds 1 non-finite value\(s\) \(NaN or inf\), first at row 1",
        "``MetricsInputError``: y_pred holds 1 non-finite value(s) (NaN or inf), first at row 1",
    ),
)
case(
    "ev-negative-likes",
    NEG_LIKES,
    EV,
    lambda c: _evaluate([1, -2, 3], [1, 2, 3]),
    Raises(
        ValueError,
        r"y_true must hold non-negative like counts; row 1 holds .*-2\.0",
        "``MetricsInputError``: y_true must hold non-negative like counts; row 1 holds -2.0",
    ),
)
case(
    "ev-negative-prediction",
    NEG_LIKES,
    EV,
    lambda c: record(lambda: _evaluate([0, 50], [-4, 50])),
    Fallback(
        lambda r, c: (
            close(r[0]["rmse"], np.sqrt(16 / 2), atol=1e-12),
            close(r[0]["rmse_log1p"], 0.0, atol=1e-12),
            assert_true(any("1 of 2 predicted like counts are negative" in w for w in r[1])),
        ),
        "documented: raw rmse/r2 use it; log1p metrics and buckets clip it to 0, with a "
        "``UserWarning`` counting the clipped rows",
    ),
)
case(
    "ev-fractional-likes",
    NONINT_LIKES,
    EV,
    lambda c: _evaluate([0.5, 10.5], [0.5, 9.5]),
    Fallback(
        lambda r, c: (
            close(r["rmse"], np.sqrt(0.5), atol=1e-12),
            close(r["bucket_accuracy"], 0.5, atol=1e-12),
        ),
        "accepted; 10.5 is in bucket 11-100, 9.5 in 0-10",
    ),
)
case(
    "ev-not-numeric",
    NONINT_LIKES,
    EV,
    lambda c: _evaluate(["3", "lots"], [1, 2]),
    Raises(
        ValueError,
        r"y_true must be numeric .*; row 1 holds 'lots'$",
        "``MetricsInputError``: y_true must be numeric [...]; row 1 holds 'lots'",
    ),
)
case(
    "ev-huge-likes",
    HUGE_LIKES,
    EV,
    lambda c: _evaluate([1e12, 0], [0, 0]),
    Fallback(
        lambda r, c: (
            close(r["rmse"], 1e12 / np.sqrt(2), atol=1e-3),
            close(r["rmse_log1p"], np.log1p(1e12) / np.sqrt(2), atol=1e-12),
        ),
        "exact (float64)",
    ),
)
case(
    "ev-likes-too-large-to-square",
    HUGE_LIKES,
    EV,
    lambda c: _evaluate([1e200, 1e199], [0, 0]),  # before: rmse inf, r2 NaN, no error
    Raises(
        ValueError,
        r"y_true row 0 holds 1e\+200, beyond 1e\+150: its squared error would overflow",
        "``MetricsInputError``: y_true row 0 holds 1e+200, beyond 1e+150: its squared error "
        "would overflow float64 (RMSE, R²) [...]",
    ),
)
case(
    "ev-likes-beyond-float64",
    HUGE_LIKES,
    EV,
    lambda c: _evaluate([10**400, 5], [1, 2]),
    Raises(
        ValueError,
        r"within the float64 range\); row 0 holds 1000",
        "``MetricsInputError``: y_true must be numeric (numbers within the float64 range); "
        "row 0 holds 1000...",
    ),
)
case(
    "ev-single-row",
    ONE_ROW,
    EV,
    lambda c: _evaluate([3], [4]),
    Fallback(
        lambda r, c: (
            close(r["rmse"], 1.0, atol=1e-12),
            assert_true(np.isnan(r["r2"]) and np.isnan(r["r2_log1p"])),
        ),
        "documented: errors computed; ``r2``/``r2_log1p`` are NaN (undefined for one row)",
    ),
)
case(
    "ev-zero-rows",
    ZERO_ROWS,
    EV,
    lambda c: _evaluate([], []),
    Raises(
        ValueError,
        r"cannot evaluate zero rows: y_true is empty",
        "``MetricsInputError``: cannot evaluate zero rows: y_true is empty",
    ),
)

# ---------------------------------------------------------------- make_seed_pipeline
PIPE = "``make_seed_pipeline`` (``caption_model=None``)"


def _new_pipe(ctx):
    from skbucket.pipeline import make_seed_pipeline

    return make_seed_pipeline(**ctx.pipe_params).set_params(features__embedding__max_length=64)


def _pred_equal(make_reference):
    def check(result, ctx):
        close(result, ctx.pipe.predict(make_reference(ctx)), atol=1e-9)

    return check


case(
    "pipe-missing-column",
    MISSING_COL,
    PIPE,
    lambda c: c.pipe.predict(c.few.drop(columns="username")),
    Raises(
        ValueError,
        r"the seed pipeline: X lacks the column\(s\) \['username'\] that the model was "
        r"fitted with; it reads the columns \[.*\] of its training posts.*; X has the columns",
        "``ValueError``: the seed pipeline: X lacks the column(s) ['username'] that the model "
        "was fitted with; it reads the columns [...] of its training posts, and needs each of "
        "them to predict; X has the columns [...]",
    ),
)
case(
    "pipe-extra-column",
    EXTRA_COL,
    PIPE,
    lambda c: c.pipe.predict(c.few.assign(extra="x")),
    Fallback(
        lambda r, c: close(r, c.pipe_pred, atol=1e-9),
        "ignored: identical predictions",
    ),
)
case(
    "pipe-renamed-column",
    RENAMED_COL,
    PIPE,
    lambda c: c.pipe.predict(c.few.rename(columns={"content": "text"})),
    Raises(
        ValueError,
        r"the seed pipeline: X lacks the column\(s\) \['content'\] that the model was "
        r"fitted with; .* \(for posts without text, give the column with missing values\); "
        r"X has the columns \[.*'text'",
        "``ValueError``: the seed pipeline: X lacks the column(s) ['content'] that the model "
        "was fitted with; it reads the columns [...] (for posts without text, give the column "
        "with missing values); X has the columns [...]",
    ),
)
case(
    "pipe-number-in-text-column",
    DTYPE,
    PIPE,
    lambda c: c.pipe.predict(cell(c.few, "content", 4, 5)),
    Raises(
        ValueError,
        r"text column 'content', row 4: expected a string or a missing value, got int 5",
        "``PostFeaturesError``: text column 'content', row 4: expected a string or a missing "
        "value, got int 5",
    ),
)
case(
    "pipe-missing-text",
    MISSING_VAL,
    PIPE,
    lambda c: c.pipe.predict(column(c.few, "content", [None, np.nan])),
    Fallback(
        _pred_equal(lambda c: c.few.assign(content="")),
        'missing text is empty text in every step: same predictions as ``""``',
    ),
)
case(
    "pipe-bytes",
    NON_UTF8,
    PIPE,
    lambda c: c.pipe.predict(cell(c.few, "content", 3, b"caf\xe9")),
    Raises(
        ValueError,
        r"column 'content' \(role 'content'\), row 3: expected text \(str\), got bytes",
        "``PromptError``: column 'content' (role 'content'), row 3: expected text (str), got bytes",
    ),
)
case(
    "pipe-surrogates",
    NON_UTF8,
    PIPE,
    lambda c: c.pipe.predict(cell(c.few, "content", 3, "caf\udce9")),
    Raises(
        ValueError,
        r"column 'content' \(role 'content'\), row 3: the text is not valid Unicode",
        "``PromptError``: column 'content' (role 'content'), row 3: the text is not valid Unicode",
    ),
)
case(
    "pipe-100k-text",
    LONG,
    PIPE,
    lambda c: (
        c.pipe.predict(cell(c.few, "content", 0, LONG_TEXT)),
        c.pipe_features(cell(c.few, "content", 0, LONG_TEXT)),
    ),
    Fallback(
        lambda r, c: (
            assert_true(np.isfinite(r[0]).all()),
            assert_equal(r[1].loc[0, "content_length"], 100_000),
            close(r[0][1:], c.pipe_pred[1:], atol=1e-9),
        ),
        "the models truncate, the post features count the full text; other rows unchanged",
    ),
)
case(
    "pipe-mixed-dates",
    DATES,
    PIPE,
    lambda c: c.pipe.predict(c.dated),
    Fallback(
        _pred_equal(lambda c: c.dated_utc),
        "same predictions as the same instants given as UTC ISO strings",
    ),
)
case(
    "pipe-unparseable-date",
    DATES,
    PIPE,
    lambda c: record(lambda: c.pipe.predict(cell(c.few, "date", 0, "soon"))),
    Fallback(
        lambda r, c: (
            close(r[0], c.pipe.predict(cell(c.few, "date", 0, None)), atol=1e-9),
            assert_true(any("row 0: 'soon'" in w for w in r[1])),
        ),
        "an ``UnparseableDateWarning`` naming the row; then exactly as a missing date",
    ),
)
case(
    "pipe-negative-likes",
    NEG_LIKES,
    PIPE,
    lambda c: _new_pipe(c).fit(c.few, c.likes.iloc[:12].where(c.likes.index[:12] != 3, -5)),
    Raises(
        ValueError,
        r"needs y >= 0 \(like counts\); y\[3\] = -5",
        "``PostFeaturesError``: target_transform='log1p' needs y >= 0 (like counts); y[3] = -5.0",
    ),
)
case(
    "pipe-single-row-fit",
    ONE_ROW,
    PIPE,
    lambda c: _new_pipe(c).fit(c.posts.iloc[:1], c.likes.iloc[:1]),
    Raises(
        ValueError,
        r"PostFeatures\(cv=5\) cross-fits .* needs at least 2 posts to fit; got 1\.",
        "``ValueError``: PostFeatures(cv=5) cross-fits its encodings of ['username', "
        "'inferred_company'] in 5 folds and needs at least 2 posts to fit; got 1. Pass more "
        "posts.",
    ),
)
case(
    "pipe-single-row-predict",
    ONE_ROW,
    PIPE,
    lambda c: c.pipe.predict(c.few.iloc[[11]]),
    Fallback(
        lambda r, c: close(r, c.pipe_pred[[11]], atol=1e-9),
        "same prediction as in a batch",
    ),
)
case(
    "pipe-zero-rows",
    ZERO_ROWS,
    PIPE,
    lambda c: c.pipe.predict(c.few.iloc[:0]),
    Raises(
        ValueError,
        r"Found array with 0 sample\(s\)",
        "``PostFeaturesError``: Found array with 0 sample(s) [...] while a minimum of 1 is "
        "required",
    ),
)
case(
    "pipe-unseen-username",
    UNSEEN,
    PIPE,
    lambda c: (
        c.pipe.predict(c.few.assign(username="never-seen")),
        c.pipe_features(c.few.assign(username="never-seen")),
    ),
    Fallback(
        lambda r, c: (
            assert_true(np.isfinite(r[0]).all()),
            close(
                r[1]["username_target"],
                np.full(
                    len(r[0]),
                    c.pipe.named_steps["features"]
                    .named_transformers_["post"]
                    .target_encoder_.target_mean_,
                ),
            ),
            same(r[1]["username_count"], np.zeros(len(r[0]))),
        ),
        "the post features use the global encoding (training mean, count 0); the prompt "
        "carries the name as text",
    ),
)
case(
    "pipe-column-order",
    ORDER,
    PIPE,
    lambda c: c.pipe.predict(c.few[c.few.columns[::-1]]),
    Fallback(
        lambda r, c: close(r, c.pipe_pred, atol=1e-9),
        "columns are selected by name: identical predictions",
    ),
)

# ---------------------------------------------------------------- CLI
CLI_FIT = "CLI ``skbucket fit``"
CLI_PREDICT = "CLI ``skbucket predict``"


def _labelled(ctx):
    return ctx.few.assign(likes=ctx.likes.iloc[:12])


def _cli_pred_equal(make_reference):
    def check(result, ctx):
        code, err, preds = result
        assert code == 0, err
        assert err == ""
        close(preds, ctx.pipe.predict(make_reference(ctx)), atol=1e-9)

    return check


case(
    "cli-fit-missing-column",
    MISSING_COL,
    CLI_FIT,
    lambda c: c.cli_fit(_labelled(c).drop(columns="username")),
    CliFails(
        r"fit\.csv: column\(s\) \['username'\] not found; the pipeline reads the columns",
        "exit 1, before any post is embedded: ``skbucket fit: error: DATA: column(s) "
        "['username'] not found; the pipeline reads the columns [...] (columns present: [...])``",
    ),
)
case(
    "cli-fit-renamed-target",
    RENAMED_COL,
    CLI_FIT,
    lambda c: c.cli_fit(_labelled(c).rename(columns={"likes": "Likes"})),
    CliFails(
        r"target column 'likes' not found; columns present: \[.*'Likes'",
        "exit 1: ``skbucket fit: error: [...]: target column 'likes' not found; columns "
        "present: [...]`` (or pass ``--target``)",
    ),
)
case(
    "cli-fit-non-utf8",
    NON_UTF8,
    CLI_FIT,
    lambda c: c.cli_fit(raw=b"id,content,likes\n1,hello,3\n2,caf\xe9,4\n", name="latin1.csv"),
    CliFails(
        r"line 3 \(line 1 is the header\) holds the byte b'\\xe9', which is not UTF-8",
        "exit 1: ``skbucket fit: error: cannot read [...] as csv: line 3 (line 1 is the "
        "header) holds the byte b'\\xe9', which is not UTF-8; the file must be UTF-8 text``",
    ),
)
case(
    "cli-fit-negative-likes",
    NEG_LIKES,
    CLI_FIT,
    lambda c: c.cli_fit(cell(_labelled(c), "likes", 3, -5)),
    CliFails(
        r"target column 'likes' must hold numbers of likes \(finite, 0 or more\), but row 3 "
        r"is -5: likes cannot be negative",
        "exit 1, before any model runs: ``skbucket fit: error: [...] target column 'likes' "
        "must hold numbers of likes (finite, 0 or more), but row 3 is -5: likes cannot be "
        "negative [...]``",
    ),
)
case(
    "cli-fit-missing-likes",
    MISSING_VAL,
    CLI_FIT,
    lambda c: c.cli_fit(cell(_labelled(c), "likes", 3, None)),
    CliFails(
        r"target column 'likes' .*but row 3 is missing \(an empty cell\)",
        "exit 1, before any model runs: ``skbucket fit: error: [...] target column 'likes' "
        "must hold numbers of likes (finite, 0 or more), but row 3 is missing (an empty "
        "cell) [...]``",
    ),
)
case(
    "cli-fit-single-row",
    ONE_ROW,
    CLI_FIT,
    lambda c: c.cli_fit(_labelled(c).iloc[:1]),
    CliFails(
        r"needs at least 2 posts to fit; got 1\. .*\(in .*fit\.csv\)$",
        "exit 1: ``skbucket fit: error: PostFeatures(cv=5) cross-fits its encodings of "
        "['username', 'inferred_company'] in 5 folds and needs at least 2 posts to fit; got 1. "
        "Pass more posts. (in DATA)``",
    ),
)
case(
    "cli-fit-zero-rows",
    ZERO_ROWS,
    CLI_FIT,
    lambda c: c.cli_fit(_labelled(c).iloc[:0]),
    CliFails(r"holds no rows", "exit 1: ``skbucket fit: error: [...] holds no rows``"),
)
case(
    "cli-fit-empty-file",
    ZERO_ROWS,
    CLI_FIT,
    lambda c: c.cli_fit(raw=b"", name="empty.csv"),
    CliFails(
        r"cannot read .* as csv: No columns to parse from file",
        "exit 1: ``skbucket fit: error: cannot read [...] as csv: No columns to parse from file``",
    ),
)
case(
    "cli-predict-missing-column",
    MISSING_COL,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few.drop(columns="date")),
    CliFails(
        r"new\.csv: column\(s\) \['date'\] not found; the model reads the columns",
        "exit 1, before any post is captioned or embedded: ``skbucket predict: error: DATA: "
        "column(s) ['date'] not found; the model reads the columns [...] (columns present: "
        "[...])``",
    ),
)
case(
    "cli-predict-renamed-column",
    RENAMED_COL,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few.rename(columns={"content": "text"})),
    CliFails(
        r"new\.csv: column\(s\) \['content'\] not found; the model reads the columns",
        "exit 1, before any post is captioned or embedded: ``skbucket predict: error: DATA: "
        "column(s) ['content'] not found; the model reads the columns [...]``",
    ),
)
case(
    "cli-predict-extra-column",
    EXTRA_COL,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few.assign(notes="x")),
    Fallback(_cli_pred_equal(lambda c: c.few), "ignored: identical predictions"),
)
case(
    "cli-predict-non-utf8",
    NON_UTF8,
    CLI_PREDICT,
    lambda c: c.cli_predict(
        raw=c.few.iloc[:3].to_csv(index=False).encode("utf-8").replace(b"Watch", b"W\xe4tch"),
        name="latin1-new.csv",
    ),
    CliFails(
        r"line 2 \(line 1 is the header\) holds the byte b'\\xe4', which is not UTF-8",
        "exit 1, naming the first line that is not UTF-8",
    ),
)
case(
    "cli-predict-utf16",
    NON_UTF8,
    CLI_PREDICT,
    lambda c: c.cli_predict(
        raw=c.few.iloc[:3].to_csv(index=False, sep="\t").encode("utf-16"), name="unicode.csv"
    ),
    CliFails(
        r"it is UTF-16 text \(it starts with a UTF-16 byte-order mark\), not UTF-8; the file "
        r"must be UTF-8 text",
        "exit 1, saying the file is UTF-16 (Excel's *Unicode Text*)",
    ),
)
case(
    "cli-predict-utf16-no-bom",
    NON_UTF8,
    CLI_PREDICT,
    lambda c: c.cli_predict(
        raw=c.few.iloc[:3].to_csv(index=False).encode("utf-16-le"), name="unmarked.csv"
    ),
    CliFails(
        r"it is UTF-16 text without a byte-order mark \(its zero bytes fall on every other "
        r"byte\), not UTF-8; the file must be UTF-8 text",
        "exit 1, saying the file is UTF-16 (not a count of fields pandas finds in its bytes)",
    ),
)
case(
    "cli-predict-inner-bom",
    NON_UTF8,
    CLI_PREDICT,
    # a header-only file and a file of rows, each starting with a byte-order mark, joined:
    # pandas drops the file's own mark, and the next one starts the first row's id cell
    lambda c: c.cli_predict(
        raw=(
            "\ufeff"
            + c.few.iloc[:0].to_csv(index=False)
            + "\ufeff"
            + c.few.iloc[:3].to_csv(index=False, header=False)
        ).encode("utf-8"),
        name="joined.csv",
    ),
    CliFails(
        r"joined\.csv: row 0 \(counting rows from 0 after the header\) starts with a "
        r"byte-order mark \(U\+FEFF\), which would be read into its cell of column 'id'",
        "exit 1: ``skbucket predict: error: DATA: row 0 (counting rows from 0 after the "
        "header) starts with a byte-order mark (U+FEFF), which would be read into its cell of "
        "column 'id' (1 such row(s), first rows [0]): files joined one after the other, each "
        "starting with one? Remove it``",
    ),
)
case(
    "cli-predict-password-protected-xlsx",
    NON_UTF8,
    CLI_PREDICT,
    # what Excel saves for a workbook with a password: an OLE2 compound file holding an
    # EncryptedPackage stream (its directory entries' names in UTF-16), not a zip
    lambda c: c.cli_predict(
        raw=bytes.fromhex("D0CF11E0A1B11AE1")
        + bytes(504)
        + b"".join(
            n.encode("utf-16-le").ljust(64, b"\0") for n in ("EncryptionInfo", "EncryptedPackage")
        )
        + bytes(256),
        name="locked.xlsx",
    ),
    CliFails(
        r"cannot read .*locked\.xlsx as excel: it is a password-protected \(encrypted\) Excel "
        r"workbook, which cannot be read without its password: open it in Excel, remove the "
        r"password",
        "exit 1: ``skbucket predict: error: cannot read DATA as excel: it is a "
        "password-protected (encrypted) Excel workbook, which cannot be read without its "
        "password: open it in Excel, remove the password (File > Info > Protect Workbook > "
        "Encrypt with Password, left empty) and save it, or save it as CSV UTF-8``",
    ),
)
case(
    "cli-predict-emoji-rtl",
    UNICODE,
    CLI_PREDICT,
    lambda c: c.cli_predict(cell(c.few, "content", 0, RTL_EMOJI)),
    Fallback(
        _cli_pred_equal(lambda c: cell(c.few, "content", 0, RTL_EMOJI)),
        "UTF-8 text survives the file: same predictions as in memory",
    ),
)
case(
    "cli-predict-mixed-dates",
    DATES,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.dated),
    Fallback(
        _cli_pred_equal(lambda c: c.dated_utc),
        "same predictions as the same instants as UTC ISO strings",
    ),
)
case(
    "cli-predict-single-row",
    ONE_ROW,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few.iloc[[11]]),
    Fallback(_cli_pred_equal(lambda c: c.few.iloc[[11]]), "one prediction"),
)
case(
    "cli-predict-zero-rows",
    ZERO_ROWS,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few.iloc[:0]),
    CliFails(r"holds no rows", "exit 1: ``skbucket predict: error: [...] holds no rows``"),
)
case(
    "cli-predict-unseen-username",
    UNSEEN,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few.assign(username="never-seen")),
    Fallback(
        _cli_pred_equal(lambda c: c.few.assign(username="never-seen")),
        "as the pipeline (global encoding)",
    ),
)
case(
    "cli-predict-column-order",
    ORDER,
    CLI_PREDICT,
    lambda c: c.cli_predict(c.few[c.few.columns[::-1]]),
    Fallback(_cli_pred_equal(lambda c: c.few), "identical predictions"),
)


# =========================================================================== small assertions
def assert_true(value, message=None):
    assert value, message


def assert_equal(a, b):
    assert a == b, (a, b)


# =========================================================================== the docs page
TITLE = "Bad input: what skbucket does"

INTRO = """\
Every public estimator and the ``skbucket`` command line are run against malformed input by
``tests/test_bad_input.py``. Each row of the table below is one case of that test: the input
problem, the estimator it is given to, and the outcome, which is either

* an **error** (the class, then the message: it names the column, the row and what was
  expected), every class a subclass of ``ValueError`` or ``RuntimeError`` and importable from
  :mod:`skbucket.exceptions`. The estimators that read posts by column name
  (``PostFeatures``, ``PromptBuilder``, ``GroupMedianRegressor``, the seed pipeline) name a
  row of a DataFrame ``X`` by its index label (``row 37`` is ``X.loc[37]``, also after a
  shuffle; ``Blip2Captioner`` adds its position: ``row 37 (position 2)``). ``BucketedRegressor``
  and ``AccountRouter``, which read columns of numbers as scikit-learn's estimators do, and
  the text models name it by its position from 0 (the text models add its label: ``row 2
  (index 37)``), as do the errors about ``y`` and the command line's about a data file (the
  header line not counted);
* for the CLI, **exit status 1** with a one-line ``skbucket COMMAND: error: ...`` on standard
  error; or
* a documented **fallback**, whose result the test checks (for example "identical
  predictions" is compared with the predictions of the well-formed input).

A row marked **known gap** is a case where the outcome is not yet the one wanted: the test
is marked ``xfail(strict=True)`` and the row says what happens today.

This page is generated from the test's list of cases (``python tests/test_bad_input.py
--write-docs``), and the test fails when the two differ.
"""


def _cell_text(text: str) -> str:
    return " ".join(text.split())


def outcome_text(c: Case) -> str:
    exp = c.expect
    if isinstance(exp, Raises | CliFails):
        text = f"Error. {exp.doc}"
    else:
        text = f"Fallback: {exp.doc}"
    if c.gap:
        text = f"**Known gap** (wanted: {exp.doc}). Today: {c.gap}"
    return _cell_text(text)


def render_docs() -> str:
    lines = [TITLE, "=" * len(TITLE), "", INTRO]
    for problem in PROBLEMS:
        rows = [c for c in CASES if c.problem == problem]
        if not rows:
            continue
        heading = problem[0].upper() + problem[1:]
        lines += [heading, "-" * len(heading), ""]
        lines += [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 25 20 55",
            "",
            "   * - input problem (test case)",
            "     - estimator",
            "     - outcome",
        ]
        for c in rows:
            variant = c.id.split("-", 1)[1].replace("-", " ")
            lines += [
                f"   * - {variant} (``{c.id}``)",
                f"     - {c.estimator}",
                f"     - {outcome_text(c)}",
            ]
        lines.append("")
    return "\n".join(lines)


# =========================================================================== tests
@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    return Ctx(tmp_path_factory)


def _param(c: Case):
    marks = ()
    if c.gap:
        marks = (pytest.mark.xfail(strict=True, raises=c.gap_raises, reason=f"known gap: {c.gap}"),)
    return pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("c", [_param(c) for c in CASES])
def test_bad_input(c: Case, ctx):
    exp = c.expect
    if isinstance(exp, Raises):
        with pytest.raises(exp.error, match=exp.match) as info:
            c.run(ctx)
        assert isinstance(info.value, ValueError | RuntimeError), type(info.value)
        named = re.search(r"``(\w+Error)``", exp.doc)  # the class the docs name is the one raised
        if named:
            assert named.group(1) in [k.__name__ for k in type(info.value).__mro__], (
                named.group(1),
                type(info.value),
            )
    elif isinstance(exp, CliFails):
        code, err = c.run(ctx)[:2]
        lines = err.splitlines()
        assert code == 1, err
        assert len(lines) == 1, err
        assert lines[0].startswith("skbucket ") and ": error: " in lines[0], err
        assert re.search(exp.match, lines[0]), (exp.match, lines[0])
    else:
        exp.check(c.run(ctx), ctx)


def test_matrix_covers_every_problem_and_entry_point():
    problems = {c.problem for c in CASES}
    assert problems == set(PROBLEMS)
    estimators = {c.estimator for c in CASES}
    assert {PB, PF, BR, AB, EMB, CLF, CAP, PM, EV, PIPE, CLI_FIT, CLI_PREDICT} <= estimators
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"


def test_docs_table_is_the_matrix():
    expected = render_docs()
    actual = DOCS_PAGE.read_text(encoding="utf-8") if DOCS_PAGE.exists() else ""
    assert actual == expected, (
        f"{DOCS_PAGE} differs from the bad-input matrix; regenerate it with "
        "`python tests/test_bad_input.py --write-docs`"
    )
    for c in CASES:
        assert f"(``{c.id}``)" in actual


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-docs"]:
        DOCS_PAGE.write_text(render_docs(), encoding="utf-8")
        print(f"wrote {DOCS_PAGE} ({len(CASES)} cases)")
    else:
        print(__doc__)
        sys.exit(2)
