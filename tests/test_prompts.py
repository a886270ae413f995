"""Tests for skbucket.prompts.PromptBuilder."""

from __future__ import annotations

import copy
import datetime as dt
import pickle

import numpy as np
import pandas as pd
import pytest
from _sklearn_checks import each_data_free_check, run_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline

from skbucket.datasets import load_captioned_posts, load_tweets
from skbucket.demo import time_split
from skbucket.prompts import (
    DEFAULT_COLUMNS,
    TEMPLATE_FIELDS,
    NoPostTextWarning,
    PromptBuilder,
    PromptError,
    parse_dates,
    spell_hour,
)

# The first row of the seed's training data, as printed in its notebook.
SEED_ROW = {
    "caption": "a flyer for tim hortons with an image of a sandwich and coffee",
    "content": "Spend your weekend morning with a Ham, Egg, and Cheese Wrap paired with a "
    "sweet Iced French Vanilla! ☀️ Order yours now via dine-in, takeout, and delivery. "
    "#TimHortonsPH <hyperlink>",
    "inferred_company": "tim hortons",
    "username": "TimHortonsPH",
    "date": "2020-12-12 00:47:00",
}

MISSING_TOKENS = ("nan", "None", "NaT", "<NA>")


def _one(frame, **kwargs):
    return PromptBuilder(**kwargs).fit_transform(frame)[:, 0].tolist()


def test_default_prompt_follows_seed_format():
    (prompt,) = _one(pd.DataFrame([SEED_ROW]))
    assert prompt == (
        "Following is the information about Twitter post. "
        f"Caption for Image of post: {SEED_ROW['caption']}, "
        f"Text content: {SEED_ROW['content']}, "
        "Inferred company: tim hortons, Username: TimHortonsPH, "
        "Date and time: 2020-12-12 00:47:00, posted on Saturday at midnight."
    )


def test_missing_text_fields_are_left_out_and_missing_date_is_unknown():
    frame = pd.DataFrame(
        {
            "caption": [np.nan, "a dog", None],
            "content": ["hello", pd.NA, "   "],
            "inferred_company": ["acme", "", "acme"],
            "username": [None, "Acme", "Acme"],
            "date": [pd.NaT, "2021-03-01 15:00:00", "yesterday-ish"],
        }
    )
    prompts = _one(frame)
    assert prompts[0] == (
        "Following is the information about Twitter post. Text content: hello, "
        "Inferred company: acme, Date and time: unknown."
    )
    assert "Caption for Image of post: a dog" in prompts[1]
    assert "Text content" not in prompts[1] and "Inferred company" not in prompts[1]
    assert prompts[1].endswith("posted on Monday at three in the afternoon.")
    assert prompts[2].endswith("Username: Acme, Date and time: unknown.")
    for prompt in prompts:
        assert not any(token in prompt for token in MISSING_TOKENS)


def test_absent_roles_default_to_present_columns_and_are_recorded():
    captioned = pd.DataFrame([{k: v for k, v in SEED_ROW.items() if k != "content"}])
    builder = PromptBuilder().fit(captioned)
    assert builder.columns_ == {
        "caption": "caption",
        "company": "inferred_company",
        "username": "username",
        "date": "date",
    }
    (prompt,) = builder.transform(captioned)[:, 0]
    assert "Text content" not in prompt and "Caption for Image of post" in prompt
    assert list(builder.feature_names_in_) == list(captioned.columns)
    assert builder.n_features_in_ == 4


def test_column_present_at_fit_but_missing_at_transform_raises_naming_it():
    frame = pd.DataFrame([SEED_ROW])
    builder = PromptBuilder().fit(frame)
    with pytest.raises(PromptError, match=r"'inferred_company' \(role 'company'\).*columns \["):
        builder.transform(frame.drop(columns="inferred_company"))
    # extra columns are ignored
    extra = frame.assign(likes=3)
    assert builder.transform(extra)[0, 0] == builder.transform(frame)[0, 0]


def test_columns_dict_remaps_and_requires_named_roles():
    frame = pd.DataFrame({"text": ["hi there"], "brand": ["acme"], "when": ["2020-01-06 09:00"]})
    builder = PromptBuilder(columns={"content": "text", "company": "brand", "date": "when"})
    (prompt,) = builder.fit_transform(frame)[:, 0]
    assert builder.columns_ == {"content": "text", "company": "brand", "date": "when"}
    assert prompt == (
        "Following is the information about Twitter post. Text content: hi there, "
        "Inferred company: acme, Date and time: 2020-01-06 09:00:00, posted on Monday "
        "at nine in the morning."
    )
    with pytest.raises(PromptError, match=r"'caption_text' \(role 'caption'\).*\['text',"):
        PromptBuilder(columns={"caption": "caption_text"}).fit(frame)
    with pytest.raises(PromptError, match="unknown role.*'likes'"):
        PromptBuilder(columns={"likes": "likes"}).fit(frame)


def test_columns_dict_none_drops_a_role_and_list_selects_roles():
    frame = pd.DataFrame([SEED_ROW])
    no_user = PromptBuilder(columns={"username": None}).fit(frame)
    assert "username" not in no_user.columns_
    assert "Username:" not in no_user.transform(frame)[0, 0]

    only = PromptBuilder(columns=["content", "date"]).fit(frame)
    assert list(only.columns_) == ["content", "date"]
    with pytest.raises(PromptError, match="'caption' \\(role 'caption'\\)"):
        PromptBuilder(columns=["caption"]).fit(frame.drop(columns="caption"))
    with pytest.raises(PromptError, match="must be None, a dict"):
        PromptBuilder(columns="content").fit(frame)


def test_a_column_given_for_a_role_is_not_read_again_under_another_roles_default_name():
    # columns={"content": "caption"} (an Instagram export's post text is its "caption") read
    # that column twice: as the content and, by the caption role's default name, as a caption
    frame = pd.DataFrame({"caption": ["New drop!"], "username": ["nike"]})
    builder = PromptBuilder(columns={"content": "caption"}).fit(frame)
    assert builder.columns_ == {"content": "caption", "username": "username"}
    assert builder.transform(frame)[0, 0] == (
        "Following is the information about Twitter post. Text content: New drop!, Username: nike."
    )
    tweets = pd.DataFrame({"content": ["hi there"], "username": ["nike"]})
    assert PromptBuilder(columns={"caption": "content"}).fit(tweets).columns_ == {
        "caption": "content",
        "username": "username",
    }
    # a swap, or a column named for two roles on purpose, is read as given
    both = pd.DataFrame({"caption": ["text"], "content": ["a photo"]})
    swapped = PromptBuilder(columns={"content": "caption", "caption": "content"}).fit(both)
    assert swapped.columns_ == {"caption": "content", "content": "caption"}
    twice = PromptBuilder(columns={"content": "caption", "caption": "caption"}).fit(both)
    assert twice.columns_ == {"caption": "caption", "content": "caption"}


def test_a_zero_padded_field_without_alignment_is_refused_at_fit():
    # on a str (Python 3.10 on) "{hour:02}" pads on the right: 1 am read "10", as 10 am did,
    # and 7 am "70", silently: every field is text, as the docs say, but this is a number's
    # spelling ({hour:02d} is refused with a hint, {hour:02} was not)
    frame = pd.DataFrame({"content": ["a", "b"], "date": ["2020-01-06 01:00", "2020-01-06 10:00"]})
    for template in ("{hour:02}", "at {hour!s:03} h", "{content:010.5}", "{date:020s}"):
        with pytest.raises(PromptError, match=r"zeros on its right.*:0>"):
            PromptBuilder(template=template).fit(frame)
        with pytest.raises(PromptError, match="zeros on its right"):
            PromptBuilder(template=template)._check_params()
    padded = PromptBuilder(template="{hour:0>2}").fit(frame).transform(frame)[:, 0]
    assert padded.tolist() == ["01", "10"]
    # an explicit alignment is taken as asked, and a zero width pads nothing
    assert PromptBuilder(template="{hour:<02}|{hour:0}").fit_transform(frame)[0, 0] == "10|1"
    # a builder holding one (set after fit, or fitted before) warns, writing what it was
    # fitted to write
    builder = PromptBuilder().fit(frame).set_params(template="{hour:02}")
    with pytest.warns(UserWarning, match="zeros on its right.*Refit"):
        assert builder.transform(frame)[:, 0].tolist() == ["10", "10"]


def test_column_names_with_levels_are_refused_naming_the_levels_not_as_repeated():
    # pd.concat({"post": ...}, axis=1)-style names: "content" in X.columns is true of the
    # first level of ("content", "text"), and X["content"] a frame of one column, which
    # was "column 'content' (role 'content') appears 1 times in X; names must be unique"
    columns = pd.MultiIndex.from_tuples([("content", "text"), ("username", "handle")])
    frame = pd.DataFrame([["hi there", "nike"]], columns=columns)
    with pytest.raises(PromptError, match=r"2 levels.*get_level_values\(0\)"):
        PromptBuilder().fit(frame)
    builder = PromptBuilder().fit(pd.DataFrame({"content": ["a"], "username": ["b"]}))
    with pytest.raises(PromptError, match="2 levels"):
        builder.transform(frame)
    # a level that pandas reads as one column (("content", "")) is read, as before
    empty_level = pd.MultiIndex.from_tuples([("content", ""), ("username", "")])
    flat = pd.DataFrame([["hi", "nike"]], columns=empty_level)
    assert PromptBuilder().fit_transform(flat)[0, 0].endswith("Text content: hi, Username: nike.")


def test_a_role_mapped_to_several_columns_is_a_prompt_error_not_a_bare_type_error():
    # {"content": ["title", "body"]} was "TypeError: unhashable type: 'list'" at fit
    frame = pd.DataFrame({"title": ["Big news"], "body": ["read all about it"]})
    for columns in ({"content": ["title", "body"]}, {"caption": {"title"}}):
        builder = PromptBuilder(columns=columns)
        with pytest.raises(PromptError, match=r"role '(content|caption)' to .*one column"):
            builder.fit(frame)
        with pytest.raises(PromptError, match="one column"):
            builder._check_params()  # what make_seed_pipeline's check_params runs
    # a tuple is a column name (a MultiIndex's), refused as one that is not there
    with pytest.raises(PromptError, match=r"\('title', 'body'\) \(role 'content'\) not in X"):
        PromptBuilder(columns={"content": ("title", "body")}).fit(frame)


def test_no_known_column_raises_listing_present_columns():
    with pytest.raises(PromptError, match=r"none of the columns.*X has columns \['a', 'b'\]"):
        PromptBuilder().fit(pd.DataFrame({"a": [1], "b": [2]}))


def test_non_dataframe_input_raises_clearly():
    with pytest.raises(
        PromptError, match="needs a pandas or polars DataFrame.*ndarray of shape \\(2, 1\\)"
    ):
        PromptBuilder().fit(np.array([["a"], ["b"]]))
    builder = PromptBuilder().fit(pd.DataFrame([SEED_ROW]))
    with pytest.raises(PromptError, match="DataFrame.*got list"):
        builder.transform([SEED_ROW])


def test_fit_on_no_posts_is_refused_and_transform_of_no_posts_is_empty():
    empty = pd.DataFrame([SEED_ROW]).iloc[:0]
    with pytest.raises(PromptError, match=r"fit: found 0 posts \(shape=\(0, \d+\)\)"):
        PromptBuilder().fit(empty)
    builder = PromptBuilder().fit(pd.DataFrame([SEED_ROW]))
    assert builder.transform(empty).shape == (0, 1)


def test_duplicate_column_raises():
    frame = pd.DataFrame([["a", "b"]], columns=["content", "content"])
    with pytest.raises(PromptError, match="appears 2 times"):
        PromptBuilder().fit(frame)


def test_str_template_fields_and_unknown():
    frame = pd.DataFrame(
        {"content": ["hey", None], "username": ["Bob", "Ann"], "date": ["2019-07-04 18:30", ""]}
    )
    template = "{username}|{content}|{caption}|{date}|{weekday}|{hour}|{hour_text}|{when}"
    prompts = _one(frame, template=template)
    assert prompts[0] == (
        "Bob|hey|unknown|2019-07-04 18:30:00|Thursday|18|six in the evening|"
        "2019-07-04 18:30:00, posted on Thursday at six in the evening"
    )
    assert prompts[1] == "Ann|unknown|unknown|unknown|unknown|unknown|unknown|unknown"


def test_bad_str_template_raises_at_fit():
    frame = pd.DataFrame([SEED_ROW])
    with pytest.raises(PromptError, match=r"\{likes\} is not available.*'caption'"):
        PromptBuilder(template="{likes}").fit(frame)
    # a bare "Unknown format code 'd' for object of type 'str'": the fields are text
    with pytest.raises(PromptError, match=r"invalid.*every field is text.*\{hour:0>2\} pads"):
        PromptBuilder(template="{hour:02d}").fit(frame)
    padded = PromptBuilder(template="{hour:0>2}h").fit_transform(frame)
    assert padded[0, 0] == f"{int(SEED_ROW['date'][11:13]):02d}h"
    with pytest.raises(PromptError, match=r"invalid: 'width'; 'width' is not a field"):
        PromptBuilder(template="{content:{width}}").fit(frame)
    with pytest.raises(PromptError, match="must be None, a str.format template or a callable"):
        PromptBuilder(template=3).fit(frame)
    # Python's own ValueError before, naming no parameter
    for broken in ("{content", "}", "{content}}"):
        with pytest.raises(PromptError, match=r"^PromptBuilder: template .* is invalid: "):
            PromptBuilder(template=broken).fit(frame)
    # the prompt read "<built-in method upper of str object at 0x...>"
    for attribute in ("{content.upper}", "{caption[0].lower}"):
        with pytest.raises(PromptError, match=r"reads an attribute of a str"):
            PromptBuilder(template=attribute).fit(frame)
    # {caption[0]} gave the caption's first character, {hour[0]} '1' for 18h, and
    # {caption[x]} Python's "string indices must be integers, not 'str'"
    for index in ("{caption[0]}", "{hour[0]}", "{caption[x]}"):
        with pytest.raises(PromptError, match=r"\{\w+\[\w\]\} indexes a str"):
            PromptBuilder(template=index).fit(frame)


def test_callable_template_gets_fields_and_missing_set():
    seen = []

    def template(fields):
        seen.append(fields)
        return " / ".join(
            f"{k}={fields[k]}" for k in ("content", "weekday") if k not in fields["missing"]
        )

    frame = pd.DataFrame({"content": ["yo", None], "date": ["2020-12-14 08:00", "?"]})
    prompts = _one(frame, template=template)
    assert prompts == ["content=yo / weekday=Monday", ""]
    assert set(seen[0]) == {*TEMPLATE_FIELDS, "missing"}
    assert seen[1]["missing"] >= {"content", "date", "weekday", "caption"}
    assert seen[1]["content"] == "unknown"


def test_callable_template_returning_non_str_names_row():
    frame = pd.DataFrame({"content": ["a", "b"]}, index=[10, 11])
    with pytest.raises(PromptError, match="returned int for row 10"):
        PromptBuilder(template=lambda f: 1).fit_transform(frame)


def test_a_template_that_fails_on_one_row_names_the_row():
    frame = pd.DataFrame({"content": ["hello", "ab"]}, index=[10, 11])
    # fit refuses {content[3]} (test_bad_str_template_raises_at_fit), and so does transform
    # when it is set after fit; a builder fitted before 0.8.6 took it (as here, without the
    # attribute 0.8.6 records): it warns at transform and names the row it fails on
    fitted = PromptBuilder().fit(frame).set_params(template="{content[3]}")
    with pytest.raises(PromptError, match=r"\{content\[3\]\} indexes a str"):
        fitted.transform(frame)
    builder = copy.deepcopy(fitted)
    del builder._refuses_indexed_fields_
    with (
        pytest.warns(UserWarning, match=r"indexes a str.*refit with another template"),
        pytest.raises(PromptError, match=r"cannot be filled for row 11 \(IndexError"),
    ):
        builder.transform(frame)  # before: a bare IndexError, no row
    with pytest.warns(UserWarning, match="indexes a str"):  # prompts as it was fitted on
        assert builder.transform(frame.iloc[:1])[0, 0] == "l"

    def template(fields):
        return fields["content"][3]

    with pytest.raises(IndexError) as info:
        PromptBuilder(template=template).fit_transform(frame)
    assert "template callable, for row 11" in "".join(info.value.__notes__)


def test_pyarrow_backed_date_columns_read_like_numpy_ones():
    """read_csv(engine="pyarrow", dtype_backend="pyarrow") gives a date-only column as
    date32 (pandas has no .dt.tz for it: NotImplementedError in every reader of dates) and a
    timestamp[s] column whose 9999-12-31 placeholder passed the range check
    (OutOfBoundsDatetime); a junk "-1" beside nanosecond times was read as year 0 and
    crashed the clock check."""
    import io

    from skbucket.features import PostFeatures

    text = "content,date\nhi,2020-01-01\nyo,2020-01-02\n"
    arrow = pd.read_csv(io.StringIO(text), engine="pyarrow", dtype_backend="pyarrow")
    assert str(arrow["date"].dtype).startswith("date32")
    numpy = pd.read_csv(io.StringIO(text), parse_dates=["date"])
    assert parse_dates(arrow["date"]).tolist() == parse_dates(numpy["date"]).tolist()
    # the same days, but a date32 column holds days (no time of day), as the text did, where
    # parse_dates=["date"] made timestamps at midnight, which keep their time
    days = PromptBuilder().fit_transform(arrow)[:, 0]
    assert days[0].endswith("Date and time: 2020-01-01, posted on Wednesday.")
    stamps = PromptBuilder().fit_transform(numpy)[:, 0]
    assert stamps[0].endswith(
        "Date and time: 2020-01-01 00:00:00, posted on Wednesday at midnight."
    )
    pf = PostFeatures(category_columns=(), media_column=None).set_output(transform="pandas")
    from_days, from_stamps = pf.fit_transform(arrow), pf.fit_transform(numpy)
    assert "hour" not in from_days and from_stamps["hour"].tolist() == [0, 0]
    pd.testing.assert_frame_equal(from_days, from_stamps.drop(columns="hour"))
    text = "content,date\nhi,2020-01-01 10:00:00\nyo,9999-12-31 00:00:00\n"
    arrow = pd.read_csv(io.StringIO(text), engine="pyarrow", dtype_backend="pyarrow")
    assert parse_dates(arrow["date"]).tolist()[0] == pd.Timestamp("2020-01-01 10:00")
    assert parse_dates(arrow["date"]).isna().tolist() == [False, True]
    fine = parse_dates(["2020-01-01T10:00:00.0000000Z", "-1", ".5", "/12"])
    assert fine.tolist()[0] == pd.Timestamp("2020-01-01 10:00") and fine[1:].isna().all()


def test_a_date_without_a_time_of_day_is_not_said_to_be_at_midnight():
    """ "2020-06-15" was written "2020-06-15 00:00:00, posted on Monday at midnight": a time the
    post was not known to have, told to the text model."""
    from skbucket.dates import timeless

    posts = pd.DataFrame(
        {"content": ["a", "b", "c", "d"], "date": ["2020-06-15", dt.date(2020, 6, 15),
                                                  "2020-06-15 00:00", "Jun 15 2020 9pm"]}
    )  # fmt: skip
    prompts = PromptBuilder().fit_transform(posts)[:, 0]
    assert prompts[0].endswith("Date and time: 2020-06-15, posted on Monday.")
    assert prompts[1].endswith("Date and time: 2020-06-15, posted on Monday.")
    assert prompts[2].endswith("2020-06-15 00:00:00, posted on Monday at midnight.")
    assert prompts[3].endswith("2020-06-15 21:00:00, posted on Monday at nine at night.")
    fields = PromptBuilder(template="{date}|{hour}|{hour_text}").fit_transform(posts)[:, 0]
    assert fields.tolist()[:3] == [
        "2020-06-15|unknown|unknown",
        "2020-06-15|unknown|unknown",
        "2020-06-15 00:00:00|0|midnight",
    ]
    seen = []
    PromptBuilder(template=lambda f: seen.append(f["missing"]) or "x").fit_transform(posts)
    assert {"hour", "hour_text"} <= seen[0] and "date" not in seen[0] and "hour" not in seen[2]
    assert timeless(
        ["2020-06-15T10", "20200615T1000", "15/06/2020 noon", "9 a.m. 15 June", "  ", 3]
    ).tolist() == [False, False, False, False, False, False]


def test_period_dates_are_their_start_in_every_reader():
    """A period column (df.date.dt.to_period("h")) or Period objects gave NaT: 'unknown' in
    the prompt and NaN date features with an UnparseableDateWarning."""
    from skbucket.features import PostFeatures

    column = pd.Series(pd.period_range("2021-04-03 17:00", periods=3, freq="h"))
    expected = pd.to_datetime(["2021-04-03 17:00", "2021-04-03 18:00", "2021-04-03 19:00"])
    assert parse_dates(column).tolist() == list(expected)
    mixed = [*column.astype(object), pd.NaT, "2020-01-01 10:00"]
    assert parse_dates(mixed).tolist()[:3] == list(expected)
    assert parse_dates(mixed).isna().tolist() == [False, False, False, True, False]
    posts = pd.DataFrame({"content": ["a", "b", "c"], "date": column})
    prompts = PromptBuilder().fit_transform(posts)[:, 0]
    assert "unknown" not in prompts[0] and "2021" in prompts[0]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no UnparseableDateWarning
        pf = PostFeatures(media_column=None, category_columns=(), text_columns=())
        features = pf.set_output(transform="pandas").fit_transform(posts)
    assert features["hour"].tolist() == [17.0, 18.0, 19.0]


def test_dates_outside_the_nanosecond_range_are_unknown_not_a_crash():
    # a "9999-12-31" placeholder, or a year before 1677, as text, datetime and datetime64[us]
    far = ["9999-12-31 00:00:00", "1500-01-01", "2020-12-12 10:00"]
    expected = [True, True, False]
    assert parse_dates(far).isna().tolist() == expected
    objects = [dt.datetime(9999, 12, 31), dt.date(1500, 1, 1), dt.datetime(2020, 12, 12, 10)]
    assert parse_dates(pd.Series(objects, dtype=object)).isna().tolist() == expected
    column = pd.Series(np.array(["9999-12-31", "1500-01-01", "2020-12-12T10"], "datetime64[us]"))
    assert parse_dates(column).isna().tolist() == expected
    frame = pd.DataFrame({"content": ["x", "y", "z"], "date": far})
    prompts = PromptBuilder().fit_transform(frame)[:, 0]
    assert ["Date and time: unknown" in p for p in prompts] == expected


def test_dates_that_depend_on_when_the_code_runs_are_unknown():
    # pandas reads "now"/"today" as the current time and a time alone as that time today, so a
    # post's features (and prediction) would change with the day the code runs
    # (a time with only a year: pandas takes today's month and day for that year)
    relative = ["now", "today", " Today ", "10:00", "9:30 PM", "23:59:59", "10:00 2020"]
    relative.append("9:30 PM 2020")
    assert parse_dates(relative).isna().all()
    dated = ["10:00 2021-01-05", "10:00 Jan 5 2021", "Jan 5 2021 9:30 PM", "2021-01-05"]
    assert parse_dates(dated).tolist() == [
        pd.Timestamp("2021-01-05 10:00"),
        pd.Timestamp("2021-01-05 10:00"),
        pd.Timestamp("2021-01-05 21:30"),
        pd.Timestamp("2021-01-05"),
    ]
    # a real date that happens to be today is kept, whichever parser reads it
    today = pd.Timestamp.now().normalize()
    spelled = [today.strftime("%Y-%m-%d 10:00"), today.strftime("%B %d %Y 10:00")]
    assert parse_dates(spelled).tolist() == [today + pd.Timedelta(hours=10)] * 2
    # and so is a real date on today's month and day of another year
    then = today - pd.DateOffset(years=3)
    assert parse_dates([then.strftime("%B %d %Y 10:00")]).tolist() == [
        then + pd.Timedelta(hours=10)
    ]
    frame = pd.DataFrame({"content": ["x", "y"], "date": ["now", "10:00"]})
    prompts = PromptBuilder().fit_transform(frame)[:, 0]
    assert all("Date and time: unknown" in p for p in prompts)


def test_an_offset_written_after_gmt_or_utc_is_ahead_of_utc_as_written():
    # pandas' fallback (dateutil) reads "GMT+2" the POSIX way, 2 hours behind UTC: JavaScript's
    # Date.toString() dates came out 4 hours off (10 for UTC-5), hour and weekday features too
    dates = [
        "Sat Dec 12 2020 10:00:00 GMT+0200 (CEST)",
        "Sat Dec 12 2020 10:00:00 GMT+0200 (Mitteleuropäische Sommerzeit)",
        "2020-12-12 10:00:00 GMT+02:00",
        "2020-12-12 10:00 UTC+2",
        "2020-12-12 10:00 +0200",
        "Sat Dec 12 2020 23:30:00 GMT-0500 (Eastern Standard Time)",
        "2020-12-12 10:00 GMT+5:30",
        "2020-12-12 10:00 GMT",
    ]
    assert parse_dates(dates).tolist() == [pd.Timestamp(t) for t in (
        "2020-12-12 08:00", "2020-12-12 08:00", "2020-12-12 08:00", "2020-12-12 08:00",
        "2020-12-12 08:00", "2020-12-13 04:30", "2020-12-12 04:30", "2020-12-12 10:00",
    )]  # fmt: skip
    prompt = PromptBuilder().fit_transform(pd.DataFrame({"content": ["x"], "date": [dates[5]]}))
    assert "2020-12-13 04:30:00, posted on Sunday at four" in prompt[0, 0]


def test_spell_hour_covers_the_day():
    words = [spell_hour(h) for h in range(24)]
    assert len(set(words)) == 24
    assert words[0] == "midnight" and words[12] == "noon"
    assert words[10] == "ten in the morning" and words[22] == "ten at night"


def test_set_output_pandas_and_feature_names():
    frame = pd.DataFrame([SEED_ROW, SEED_ROW], index=["a", "b"])
    builder = PromptBuilder().set_output(transform="pandas")
    out = builder.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["prompt"] and list(out.index) == ["a", "b"]
    assert list(builder.get_feature_names_out()) == ["prompt"]
    assert list(builder.get_feature_names_out(list(frame.columns))) == ["prompt"]
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        builder.get_feature_names_out(["nonsense"])
    default = PromptBuilder().fit_transform(frame)
    assert default.shape == (2, 1) and default.dtype == object


def test_integer_column_names_are_not_feature_names():
    # scikit-learn records feature_names_in_ for string names only; "0"/"1" for the integer
    # names 0/1 made a ColumnTransformer refuse its own columns when naming the output
    frame = pd.DataFrame({0: ["hello", "world"], 1: ["u1", "u2"]})
    builder = PromptBuilder(columns={"content": 0, "username": 1})
    ct = ColumnTransformer([("p", builder, [0, 1])]).set_output(transform="pandas")
    out = ct.fit_transform(frame)
    assert list(out.columns) == ["p__prompt"] and "hello" in out.iloc[0, 0]
    fitted = ct.named_transformers_["p"]
    assert not hasattr(fitted, "feature_names_in_") and fitted.n_features_in_ == 2
    assert list(fitted.get_feature_names_out()) == ["prompt"]


def test_in_column_transformer_and_pipeline():
    frame = pd.DataFrame([SEED_ROW]).assign(likes=[5])
    ct = ColumnTransformer([("prompt", PromptBuilder(), list(DEFAULT_COLUMNS.values()))])
    ct.set_output(transform="pandas")
    out = ct.fit_transform(frame)
    assert list(out.columns) == ["prompt__prompt"]
    pipe = make_pipeline(PromptBuilder())
    assert pipe.fit_transform(frame)[0, 0].startswith("Following is the information")


def test_clone_params_and_pickle():
    builder = PromptBuilder(template="{content}", columns={"content": "text"})
    assert clone(builder).get_params() == {
        "template": "{content}",
        "columns": {"content": "text"},
        "dayfirst": False,
    }
    frame = pd.DataFrame({"text": ["keep me"]})
    fitted = builder.fit(frame)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.transform(frame)[0, 0] == "keep me"


def test_what_scikit_learns_array_checks_ask_holds_on_posts():
    """The behaviours of the generic checks PromptBuilder cannot run (they build arrays), on a
    DataFrame of real posts: fit returns self and leaves its input, parameters and
    ``__dict__`` as they were, a second fit gives the same prompts, and each row's prompt
    depends on that row alone (order and subset invariance)."""
    frame = load_tweets().frame.iloc[:40].drop(columns="likes")
    before = frame.copy()
    builder = PromptBuilder()
    params = builder.get_params()
    assert builder.fit(frame) is builder
    pd.testing.assert_frame_equal(frame, before)
    assert builder.get_params() == params
    prompts = builder.transform(frame)[:, 0]
    state = dict(builder.__dict__)
    builder.transform(frame)
    assert builder.__dict__.keys() == state.keys()
    assert all(builder.__dict__[k] is v for k, v in state.items())
    assert_array_equal(clone(builder).fit(frame).transform(frame)[:, 0], prompts)
    assert_array_equal(builder.fit(frame).transform(frame)[:, 0], prompts)
    order = np.random.default_rng(0).permutation(len(frame))
    assert_array_equal(builder.transform(frame.iloc[order])[:, 0], prompts[order])
    assert_array_equal(builder.transform(frame.iloc[5:9])[:, 0], prompts[5:9])


def test_post_text_under_another_name_is_warned_about_even_beside_a_caption():
    """With a caption column the missing 'content' went unsaid: a post's text kept under
    'text' was left out of every prompt without a word."""
    import warnings

    from skbucket.prompts import NoPostTextWarning

    posts = load_tweets().frame.iloc[:30].assign(caption="a photo of a product on a table")
    with pytest.warns(
        NoPostTextWarning, match=r"no 'content' column, and its column\(s\) \['text'\]"
    ) as said:
        PromptBuilder().fit(posts.rename(columns={"content": "text"}))
    assert "If it is not the posts' text, as beside posts that are only" in str(said[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoPostTextWarning)
        PromptBuilder().fit(posts)  # its text is read
        media_only = load_captioned_posts().frame.iloc[:30]
        PromptBuilder().fit(media_only)  # no text to read: ids, handles, media lists and
        # categories are no prose; nor is a place of several words repeated over the posts
        # (a false alarm, whose advice fed "Los Angeles, CA" in as each post's text)
        places = ["Los Angeles, CA", "New York City", "Mumbai, Maharashtra, India"]
        PromptBuilder().fit(media_only.assign(location=places * 10))


def test_post_text_under_another_name_is_warned_about_after_rows_without_text():
    # the first 200 texts are read, not the first 200 rows: captioned posts without text
    # concatenated before the tweets hid their renamed text column (no warning, no text)
    n = 250
    posts = pd.DataFrame(
        {
            "caption": ["a dog on a beach"] * n + ["a red car"] * 20,
            "username": ["acme"] * (n + 20),
            "text": [None] * n + [f"Post number {i} says something new" for i in range(20)],
        }
    )
    with pytest.warns(NoPostTextWarning, match=r"\['text'\]"):
        PromptBuilder().fit(posts)


def test_not_fitted_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        PromptBuilder().transform(pd.DataFrame([SEED_ROW]))


def test_real_posts(shared_data):
    tweets = pd.read_csv(shared_data / "tweets.csv.gz", nrows=300)
    prompts = PromptBuilder().fit_transform(tweets)[:, 0]
    assert len(prompts) == len(tweets)
    for prompt, (_, row) in zip(prompts, tweets.iterrows()):
        assert row["content"] in prompt and f"Username: {row['username']}," in prompt
        assert "posted on " in prompt and "unknown" not in prompt
        assert not any(f": {token}" in prompt for token in MISSING_TOKENS)

    captioned = pd.read_csv(shared_data / "posts_captioned.csv.gz", nrows=300)
    builder = PromptBuilder().fit(captioned)
    assert "content" not in builder.columns_ and builder.columns_["caption"] == "caption"
    prompts = builder.transform(captioned)[:, 0]
    assert all(c in p for c, p in zip(captioned["caption"], prompts))


# ----------------------------------------------------------------- property-based
_missing = st.sampled_from([None, np.nan, pd.NA, pd.NaT, float("nan"), "", "  ", "\n"])
_clean_text = st.text(min_size=1, max_size=40).filter(
    lambda s: s.strip() and not any(token in s for token in MISSING_TOKENS)
)
_field = st.one_of(_missing, _clean_text)
_date = st.one_of(
    _missing,
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    ),
    st.sampled_from(["not a date", "31/31/2020", "??"]),
)
_row = st.fixed_dictionaries(
    {
        "caption": _field,
        "content": _field,
        "inferred_company": _field,
        "username": _field,
        "date": _date,
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(_row, min_size=1, max_size=6),
    template=st.sampled_from([None, "{when} {content}"]),
)
def test_property_no_missing_tokens_one_string_per_row_content_verbatim(rows, template):
    frame = pd.DataFrame(rows)
    out = PromptBuilder(template=template).fit_transform(frame)
    assert out.shape == (len(rows), 1)
    for prompt, row in zip(out[:, 0], rows):
        assert isinstance(prompt, str)
        assert not any(token in prompt for token in MISSING_TOKENS), prompt
        content = row["content"]
        if isinstance(content, str) and content.strip():  # verbatim, but each line end "\n"
            assert content.replace("\r\n", "\n").replace("\r", "\n") in prompt


# ----------------------------------------------------------------- sklearn checks
def test_the_tags_say_input_is_a_dataframe_not_an_array():
    """The tags said two_d_array=True while fit refuses every array (26 scikit-learn checks
    were expected to fail for it); parametrize_with_checks now builds no check for it."""
    from sklearn.utils import get_tags

    tags = get_tags(PromptBuilder()).input_tags
    assert not tags.two_d_array and tags.string
    with pytest.raises(PromptError, match="DataFrame"):
        PromptBuilder().fit(np.zeros((3, 2)))


@each_data_free_check
def test_sklearn_api_checks(check):
    # parametrize_with_checks builds numeric 2-D arrays, which PromptBuilder refuses (it finds
    # its columns by name, so its tags say two_d_array=False and it yields no checks); the
    # checks that pass without such input are run here one by one, and the DataFrame
    # behaviours the others check (pickling, idempotent fit, row order) are tested above.
    run_check(check, PromptBuilder())


def test_day_first_column_is_an_error_unless_dayfirst():
    posts = pd.DataFrame(
        {"content": ["a", "b", "c"], "date": ["13/04/2021 10:00", "03/04/2021 10:00", None]},
        index=["x", "y", "z"],
    )
    with pytest.raises(PromptError, match=r"row 'x' '13/04/2021 10:00' .* row 'y' '03/04/2021"):
        PromptBuilder().fit(posts)  # refused at fit, not first at transform
    prompts = PromptBuilder(template="{date}|{weekday}", dayfirst=True).fit_transform(posts)
    assert prompts[:, 0].tolist() == [
        "2021-04-13 10:00:00|Tuesday",
        "2021-04-03 10:00:00|Saturday",
        "unknown|unknown",
    ]
    # a month-first column read day first is caught the same way
    us = posts.assign(date=["04/13/2021 10:00", "03/04/2021 10:00", None])
    with pytest.raises(PromptError, match=r"can only be read month first.*dayfirst=True\)"):
        PromptBuilder(dayfirst=True).fit(us)
    assert parse_dates(us["date"]).dt.month.tolist()[:2] == [4, 3]  # month first by default


def test_a_date_order_seen_at_fit_is_kept_at_transform():
    # fitted on dates readable only day first: a later ambiguous date read month first
    # would be 4 March, not 3 April, without a word
    fitted = pd.DataFrame({"content": ["a"], "date": ["13/04/2021 10:00"]})
    later = pd.DataFrame({"content": ["b", "c"], "date": ["2021-04-05", "03/04/2021 10:00"]})
    builder = PromptBuilder(template="{date}").fit(fitted)
    assert builder.day_month_examples_ == ("13/04/2021 10:00",)
    with pytest.raises(PromptError, match=r"'13/04/2021 10:00', seen at fit, .* row 1 '03/04"):
        builder.transform(later)
    assert builder.set_params(dayfirst=True).transform(later)[1, 0] == "2021-04-03 10:00:00"
    # the other way round: fitted on ambiguous dates, the new one shows they were misread
    builder = PromptBuilder(template="{date}").fit(later)
    with pytest.raises(PromptError, match=r"seen at fit, is ambiguous .* fit again, with dayfi"):
        builder.transform(fitted)
    assert builder.transform(later)[1, 0].startswith("2021-03-04")  # alone: month first
    # dayfirst set after fit says the new data is in the other order (skbucket's --dayfirst):
    # it is read on its own, in that order
    us = pd.DataFrame({"content": ["a", "b"], "date": ["04/13/2021 10:00", "03/04/2021 10:00"]})
    uk = pd.DataFrame({"content": ["c"], "date": ["03/04/2021 10:00"]})
    builder = PromptBuilder(template="{date}").fit(us)
    assert builder.dayfirst_ is False
    # fit dates that settle their own order (04/13 only month first) were read right: a new
    # date readable only day first has one reading and is taken, not blamed on the fit
    assert builder.transform(pd.DataFrame({"content": ["d"], "date": ["13/04/2021"]}))[
        0, 0
    ].startswith("2021-04-13")
    assert builder.set_params(dayfirst=True).transform(uk)[0, 0] == "2021-04-03 10:00:00"


@pytest.mark.filterwarnings("ignore::skbucket.prompts.NoPostTextWarning")  # no text, as meant
def test_a_numeric_username_is_written_the_same_whatever_the_other_rows_hold():
    # one missing id turns pandas' int column into floats: 12345 must not become 12345.0
    posts = pd.DataFrame({"username": [12345, 678], "date": ["2021-04-03 10:00"] * 2})
    with_gap = posts.astype({"username": "float64"})
    with_gap.loc[1, "username"] = np.nan
    builder = PromptBuilder(template="{username}")
    assert builder.fit_transform(posts)[:, 0].tolist() == ["12345", "678"]
    assert builder.fit_transform(with_gap)[:, 0].tolist() == ["12345", "unknown"]
    assert builder.fit_transform(posts.astype({"username": str}))[0, 0] == "12345"


@pytest.mark.parametrize(
    "text",
    [
        "2021-04-03 10:00:00 UTC",
        "2021-04-03 10:00 GMT",
        "2021/04/03 10:00 AM",
        "2021.04.03 10:00",
        # after a weekday or a time: read day first (2021-03-04, a Thursday) until now
        "Sat 2021-04-03 10:00",
        "10:00 2021-04-03",
        "Sat, 2021.04.03 10:00",
        "SATURDAY 2021-04-03 10:00",
        "Sat,2021-04-03 10:00",
    ],
)
def test_a_year_first_date_that_is_not_iso_is_never_read_day_first(text):
    # not ISO 8601 (a zone name, AM/PM, slashes): pandas' lenient parser swapped month and
    # day with dayfirst=True, silently (3 April read as 4 March)
    expected = pd.Timestamp("2021-04-03 10:00")
    for dayfirst in (False, True):
        assert parse_dates([text, "13/04/2021 10:00"], dayfirst=dayfirst)[0] == expected
    posts = pd.DataFrame({"content": ["a", "b"], "date": [text, "13/04/2021 10:00"]})
    prompts = PromptBuilder(template="{date}|{weekday}", dayfirst=True).fit_transform(posts)
    assert prompts[:, 0].tolist() == ["2021-04-03 10:00:00|Saturday", "2021-04-13 10:00:00|Tuesday"]


@pytest.mark.parametrize("dtype", ["int64", "float64", "Int64"])
def test_a_date_column_of_numbers_is_refused_as_postfeatures_refuses_it(dtype):
    """PromptBuilder wrote "Date and time: unknown" for every post of an epoch column, without
    a word (PostFeatures refused it; the readers now share the check)."""
    posts = pd.DataFrame({"content": ["a", "b"], "date": pd.array([1530353060, 1530353070], dtype)})
    with pytest.raises(PromptError, match=r"^PromptBuilder: date column 'date' has numeric dtype"):
        PromptBuilder().fit(posts)
    fitted = PromptBuilder().fit(posts.astype({"date": object}).assign(date="2021-04-03"))
    with pytest.raises(PromptError, match=r"numeric dtype .* pd\.to_datetime\(.*unit='s'\)"):
        fitted.transform(posts)
    with pytest.raises(ValueError, match=r"^time_split: date column 'date' has numeric dtype"):
        time_split(posts, test_fraction=0.5)
    with pytest.raises(PromptError, match=r"'date' holds booleans \(dtype bool\), not dates\.$"):
        PromptBuilder().fit(posts.assign(date=[True, False]))
    # a column with no number in it reads as before (all missing: "unknown")
    blank = posts.assign(date=pd.array([None, None], "Float64" if dtype == "int64" else dtype))
    assert PromptBuilder(template="{date}").fit_transform(blank)[:, 0].tolist() == ["unknown"] * 2


def test_a_date_column_of_arrow_booleans_or_of_durations_is_refused_as_numpys_booleans():
    """A date column of pyarrow booleans (``read_csv(dtype_backend="pyarrow")`` of True/False),
    or of durations (numpy's or pyarrow's: time since some start, no date), or of times of day
    (pyarrow's time64, a database's TIME column), was read as NaT:
    every prompt said "Date and time: unknown" without a word, where numpy's booleans were
    refused; every reader of a date column refuses them now, naming the column."""
    import pyarrow as pa

    from skbucket.features import PostFeatures, PostFeaturesError

    posts = pd.DataFrame({"content": ["a", "b"], "username": ["u", "v"], "date": [True, False]})
    since = pd.Series(pd.to_timedelta([1530353060, None], unit="s"))
    for dates, held in [
        (posts["date"].astype(pd.ArrowDtype(pa.bool_())), r"booleans \(dtype bool\[pyarrow\]\)"),
        (since, r"durations \(dtype timedelta64\[.s\]\)"),
        (
            since.astype(pd.ArrowDtype(pa.duration("us"))),
            r"durations \(dtype duration\[us\]\[pyarrow\]\)",
        ),
        (  # a database's TIME column: a time of day, no date
            pd.Series([dt.time(10, 0), None]).astype(pd.ArrowDtype(pa.time64("us"))),
            r"times of day \(dtype time64\[us\]\[pyarrow\]\)",
        ),
    ]:
        column = posts.assign(date=dates)
        with pytest.raises(PromptError, match=rf"^PromptBuilder: date column 'date' holds {held}"):
            PromptBuilder().fit(column)
        fitted = PromptBuilder().fit(posts.assign(date="2021-04-03"))
        with pytest.raises(PromptError, match=rf"date column 'date' holds {held}, not dates"):
            fitted.transform(column)
        with pytest.raises(PostFeaturesError, match=rf"date column 'date' holds {held}"):
            PostFeatures(category_columns=(), media_column=None).fit(column)
        with pytest.raises(ValueError, match=rf"^time_split: date column 'date' holds {held}"):
            time_split(column, test_fraction=0.5)
    # all missing: read as before ("unknown")
    blank = posts.assign(date=pd.Series([None, None], dtype=pd.ArrowDtype(pa.bool_())))
    assert PromptBuilder(template="{date}").fit_transform(blank)[:, 0].tolist() == ["unknown"] * 2


def test_dayfirst_must_be_a_bool():
    posts = pd.DataFrame({"content": ["a"], "date": ["2021-04-03"]})
    with pytest.raises(PromptError, match="`dayfirst` must be True or False, got 'yes'"):
        PromptBuilder(dayfirst="yes").fit(posts)


def test_polars_and_arrow_posts_read_as_pandas_and_polars_output():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    frame = load_tweets().frame.iloc[:20].drop(columns="likes")
    expected = PromptBuilder().fit_transform(frame)
    for table in (pl.from_pandas(frame), pa.Table.from_pandas(frame, preserve_index=False)):
        builder = PromptBuilder().fit(table)
        assert builder.feature_names_in_.tolist() == frame.columns.tolist()
        np.testing.assert_array_equal(builder.transform(table), expected)
        np.testing.assert_array_equal(builder.transform(frame), expected)
    out = PromptBuilder().set_output(transform="polars").fit_transform(pl.from_pandas(frame))
    assert isinstance(out, pl.DataFrame) and out.columns == ["prompt"]
    assert out["prompt"].to_list() == expected[:, 0].tolist()


# mutation-audit tests: each fails on a plausible one-line slip in prompts.py
def test_spell_hour_at_the_part_of_day_boundaries():
    from skbucket.prompts import spell_hour

    assert [spell_hour(h) for h in (4, 5, 11, 17, 18, 20, 21)] == [
        "four at night",
        "five in the morning",
        "eleven in the morning",
        "five in the afternoon",
        "six in the evening",
        "eight in the evening",
        "nine at night",
    ]


def test_blank_and_missing_cells_read_alike_whatever_their_script():
    # the usual cell (an ASCII str) is read without the per-cell checks: a blank one must
    # still be left out as None is, and other cells still go through them
    base = {"caption": "a cat", "inferred_company": "acme", "username": "ann"}
    contents = ["hello", "", "  ", "\t\n", None, float("nan"), "héllo", "\u3000", 12345.0]
    X = pd.DataFrame([{**base, "content": c, "date": "2021-04-03 10:00"} for c in contents])
    out = PromptBuilder().fit(X).transform(X)[:, 0]
    missing = out[4]
    assert "Text content" not in missing
    assert out[1] == out[2] == out[3] == out[5] == missing
    assert out[7] == missing  # an ideographic space is blank too (str.strip)
    assert "Text content: hello," in out[0] and "Text content: héllo," in out[6]
    assert "Text content: 12345," in out[8]
    with pytest.raises(PromptError, match=r"column 'content' \(role 'content'\), row 1"):
        PromptBuilder().fit(X).transform(X.assign(content=["ok", "\udcff"] + contents[2:]))


def test_date_fields_read_by_column_are_those_of_each_date():
    from skbucket.dates import read_dates
    from skbucket.prompts import _date_field_rows, _date_fields

    raw = [
        "2021-04-03 00:00:00", "2021-04-04 23:59:59.999", None, "not a date",
        "2021-12-31T23:30:00-02:00", "1999-01-01 12:00", "2020-02-29 07:15", "",
    ]  # fmt: skip
    dates = read_dates(pd.Series(raw, index=[5, 3, 9, 1, 0, 2, 4, 8]))  # NaT where unread
    assert list(_date_field_rows(dates)) == [_date_fields(d) for d in dates]
    assert list(_date_field_rows(dates))[4]["when"] == (
        "2022-01-01 01:30:00, posted on Saturday at one at night"
    )


def test_windows_line_ends_give_the_prompt_of_the_line_breaks_they_are():
    posts = pd.DataFrame({"content": ["Big news!\nNew store\nopens today"], "username": ["nike"]})
    builder = PromptBuilder().fit(posts)
    expected = builder.transform(posts)[0, 0]
    for end in ("\r\n", "\r"):
        other = posts.assign(content=posts["content"].str.replace("\n", end))
        assert builder.transform(other)[0, 0] == expected
    assert (
        builder.transform(posts.assign(content="Grüße\r\naus Köln"))[0, 0]
        == (builder.transform(posts.assign(content="Grüße\naus Köln"))[0, 0])
    )


@pytest.mark.parametrize(
    "number, hint",
    [
        ("1617235200", "a count of seconds"),
        (1617235200, "a count of seconds"),
        ("44289", "it looks like an Excel serial day"),
    ],
)
def test_a_number_in_a_date_column_warns_as_post_features_does(number, hint):
    # epoch seconds written as text (or a number among date strings) gave the prompt date
    # "unknown" without a word, where PostFeatures warned and a numeric column is refused
    from skbucket.features import UnparseableDateWarning

    posts = pd.DataFrame(
        {"content": ["a", "b", "c", "d"], "date": [number, "2021-04-03 10:00", "soon", None]},
        index=[7, 8, 9, 10],
    )
    builder = PromptBuilder().fit(posts)
    pattern = (
        rf"PromptBuilder: date column 'date': 1 value\(s\) could not be parsed as dates, "
        rf"e.g. row 7: {number!r}; {hint}.* first \(rows \[7\]\); their prompts read "
        r"'Date and time: unknown'"
    )
    with pytest.warns(UnparseableDateWarning, match=pattern):
        prompts = builder.transform(posts)[:, 0]
    assert prompts[0].endswith("Date and time: unknown.")
    assert "2021-04-03 10:00:00" in prompts[1]

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # other text that is no date: unknown, as documented
        assert builder.transform(posts.iloc[1:])[1, 0].endswith("Date and time: unknown.")
        # a number written as text that is a date is read as one
        compact = posts.assign(date=["20210403", "2021", None, None])
        assert "2021-04-03" in builder.transform(compact)[0, 0]
