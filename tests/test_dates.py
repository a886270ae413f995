"""Tests of skbucket.dates: reading dates and settling their day/month order."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from skbucket.dates import (
    day_month_conflict,
    day_month_error,
    day_month_examples,
    parse_dates,
    read_dates,
    timeless,
)
from skbucket.prompts import PromptBuilder


def test_dates_datetime_objects_tz_aware_and_mixed_formats():
    naive = pd.Timestamp("2020-12-12 10:00")
    aware = pd.Timestamp("2020-12-12 01:00", tz="Europe/Berlin")  # 00:00 UTC
    values = [
        naive,
        aware,
        dt.datetime(2021, 1, 1, 23, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.date(2022, 2, 2),
        "2020-12-12T10:00:00Z",
        "12 December 2020 10:00",
        "2020-12-12 10:00:00+02:00",
        12345,
        "garbage",
        None,
    ]
    parsed = parse_dates(pd.Series(values, dtype=object))
    assert parsed.tolist()[:7] == [
        pd.Timestamp("2020-12-12 10:00"),
        pd.Timestamp("2020-12-12 00:00"),
        pd.Timestamp("2021-01-02 04:05"),
        pd.Timestamp("2022-02-02 00:00"),
        pd.Timestamp("2020-12-12 10:00"),
        pd.Timestamp("2020-12-12 10:00"),
        pd.Timestamp("2020-12-12 08:00"),
    ]
    assert parsed[7:].isna().all()

    tz_column = pd.Series(pd.date_range("2020-12-12 01:00", periods=2, freq="h", tz="Asia/Tokyo"))
    assert parse_dates(tz_column).tolist() == [
        pd.Timestamp("2020-12-11 16:00"),
        pd.Timestamp("2020-12-11 17:00"),
    ]
    frame = pd.DataFrame({"content": ["x"], "date": tz_column[:1]})
    assert (
        PromptBuilder()
        .fit_transform(frame)[0, 0]
        .endswith("2020-12-11 16:00:00, posted on Friday at four in the afternoon.")
    )


def test_a_date_that_is_not_valid_unicode_is_no_date():
    # pandas' text dtype cannot hold a lone surrogate: a UnicodeEncodeError naming no row
    dates = parse_dates(["2020-01-01", "2020-01-02\udcff"])
    assert dates.tolist()[0] == pd.Timestamp("2020-01-01") and pd.isna(dates[1])


def test_a_nanosecond_time_beside_a_far_date_keeps_both_readings():
    # the ISO parse of the column is in nanoseconds, the retry of "9999-12-31" in seconds
    mixed = ["2021-04-03T10:00:00.123456789Z", "9999-12-31", "03/04/2021 10:00"]
    assert parse_dates(mixed).tolist()[::2] == [
        pd.Timestamp("2021-04-03 10:00:00.123456789"),
        pd.Timestamp("2021-03-04 10:00"),
    ]
    assert parse_dates(mixed).isna().tolist() == [False, True, False]


def test_a_time_read_just_before_midnight_is_still_dated_by_the_clock():
    """pandas dates "10:00" by the clock while it parses; the check then read the clock
    again, and a parse that ran over midnight kept yesterday's 10:00 as the post's date. The
    days read before the parse (``clock``) count too."""
    from skbucket.dates import _dated_by_the_clock

    # a day that is neither today's local nor UTC date, whatever the machine's time zone, of
    # another year (a date of this year without a year written is caught as yearless)
    day = pd.Timestamp.now(tz="UTC").normalize() - pd.Timedelta(days=3) - pd.DateOffset(years=1)
    text = pd.Series(["10:00", "10:00 " + day.strftime("%Y-%m-%d")])
    parsed = pd.Series([day + pd.Timedelta(hours=10)] * 2)
    before = {(day.month, day.day, day.year)}
    assert _dated_by_the_clock(text, parsed, False, before).tolist() == [True, False]
    assert _dated_by_the_clock(text, parsed, False).tolist() == [False, False]


def test_dates_tz_aware_pyarrow_column_reads_like_the_numpy_one():
    pa = pytest.importorskip("pyarrow")
    column = pd.Series(pd.date_range("2020-12-12 01:00", periods=2, freq="h", tz="Asia/Tokyo"))
    arrow = column.astype(pd.ArrowDtype(pa.timestamp("ns", tz="Asia/Tokyo")))
    assert parse_dates(arrow).tolist() == parse_dates(column).tolist()
    assert parse_dates(arrow).tolist()[0] == pd.Timestamp("2020-12-11 16:00")
    naive = column.dt.tz_localize(None).astype(pd.ArrowDtype(pa.timestamp("us")))
    assert parse_dates(naive).tolist()[0] == pd.Timestamp("2020-12-12 01:00")


# ------------------------------------------------------------------ day/month order
@pytest.mark.parametrize(
    ("values", "dayfirst", "expected"),
    [
        (["13/04/2021", "2021-04-03", "03/04/2021"], False, (0, 2)),  # day-first column
        (["03/04/2021", "13/04/2021"], False, (1, 0)),  # positions of each, not their order
        (["13/04/2021", "03/04/2021"], True, None),  # read day first: nothing misread
        (["04/13/2021", "03/04/2021"], True, (0, 1)),  # month-first column read day first
        (["04/13/2021", "03/04/2021"], False, None),
        (["13/04/2021", "25/12/2020"], False, None),  # nothing ambiguous: pandas reads it right
        (["13/04/2021", "05/05/2021"], False, None),  # same day and month: not ambiguous
        (["13.4.21", "3.4.21 10:00"], False, (0, 1)),  # dots, two-digit years, a time
        (["13-04-2021", "03-04-2021"], False, (0, 1)),
        (["2021-13-04", "2021-04-03"], False, None),  # ISO-like: not a numeric d/m/y date
        # after a weekday or a time, or spaced out, pandas reads them alike: they were let by
        (["Mon 13/04/2020 10:00", "Fri 03/04/2020 10:00"], False, (0, 1)),
        (["14:30 13/04/2020", "14:30 03/04/2020"], False, (0, 1)),
        (["13 / 04 / 2020", "03 / 04 / 2020"], False, (0, 1)),
        (["Tue 2021-13-04", "2021-04-03T10:00:03-04:00", "10:30:45.12-05:00"], False, None),
        (["2:30:05 PM 13/04/2020", "Monday, 03.04.20"], False, (0, 1)),
        (["13/04/2021", "MONDAY 03/04/2021"], False, (0, 1)),
        (["13/04/2021", "Mon,03/04/2021"], False, (0, 1)),
        (["13/04/2021", "Mon 14:30 03/04/2021"], False, (0, 1)),
        (["13/04/2021", "14:30, 03/04/2021"], False, (0, 1)),
        (["13/04/2021", "'03/04/2021"], False, (0, 1)),
        # a time written with dots or dashes is no date, wherever it stands (it was taken
        # for one once the date no longer had to start the cell)
        (["13/04/2021 10:00", "Apr 3 2021 10.11.30", "2021-04-03 10-11-12"], False, None),
        (["13/04/2021", "Posted 03-04-21", "v1.2.21 2021-04-03"], False, None),
        (["13/04/2021", None, np.nan, 3, dt.date(2021, 4, 3)], False, None),  # non-strings
        # a date in neither order is no evidence of either (it blocked both dayfirst settings)
        (["03/04/2021", "04/13/2021", "99/01/2020"], False, None),
        (["03/04/2021", "00/13/2021"], True, None),
        # no 31 April, no 29 February in 2021 (nor a 31st or 29th month), no year 9999 here:
        # a date in neither order too (it refused month-first columns, advising day first)
        (["04/13/2021", "03/04/2021", "31/04/2021"], False, None),
        (["03/04/2021", "29/02/2021"], False, None),
        (["03/04/21", "29/02/21"], False, None),
        (["03/04/2021", "13/04/9999"], False, None),
        (["03/04/2024", "29/02/2024"], False, (1, 0)),  # a leap year: 29 February is a day
        (["03/04/24", "29/02/24"], False, (1, 0)),
        ([], False, None),
    ],
)
def test_day_month_conflict(values, dayfirst, expected):
    assert day_month_conflict(pd.Series(values, dtype=object), dayfirst) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2021-04-03", "13/04/2021", "03/04/2021", "14/04/2021"], ("13/04/2021", "03/04/2021")),
        (
            ["03/04/2021", "04/13/2021", "13/04/2021", "05/05/2021"],
            ("03/04/2021", "04/13/2021", "13/04/2021"),
        ),
        (["05/05/2021", "2021-04-03", None, 3], ()),
        (["31/04/2021", "04/13/2021", "03/04/2021"], ("04/13/2021", "03/04/2021")),
    ],
)
def test_day_month_examples(values, expected):
    assert day_month_examples(pd.Series(values, dtype=object)) == expected


@pytest.mark.parametrize(
    "seen",
    [
        ["2021-01-01", "13/04/2021"],
        pd.Series(["2021-01-01", "13/04/2021"], index=[10, 11]),
        {"13/04/2021"},
        iter(["2021-01-01", "13/04/2021"]),
        np.array(["2021-01-01", "13/04/2021"], dtype=object),
    ],
    ids=["list", "series", "set", "iterator", "array"],
)
def test_day_month_error_takes_the_fit_dates_in_any_iterable(seen):
    message = day_month_error(pd.Series(["03/04/2021"], index=[7]), False, "date", seen=seen)
    assert message == (
        "date column 'date' mixes day/month orders: '13/04/2021', seen at fit, can only be "
        "read day first, while row 7 '03/04/2021' is ambiguous and would be read month first "
        "(dayfirst=False); pass dayfirst=True if the column is day first, or write the dates "
        "as ISO 8601 (2021-04-03)."
    )
    assert day_month_error(["2021-04-03"], False, "date", seen=seen) is None


def test_a_date_without_a_year_is_no_date_whatever_the_day_of_the_run():
    """pandas dates "10:00 PM, Mar 14" in the year of the run: the same text gave another
    date (and weekday, and year feature) each year, and none at all on 14 March."""

    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    yearless = [
        "10:00 PM, Mar 14",
        "22:00 14 March",
        f"10:00 PM, {tomorrow:%b} {tomorrow.day}",
        f"10:00 PM, {today:%b} {today.day}",
    ]
    dated = [
        "10:00 PM, Mar 14 2021",
        "03/14/21 22:00",
        f"22:00 {today.day} {today:%B} {today.year}",
        f"{today.day} {today:%b} {today:%y} 22:00",  # a two-digit year beside the month
    ]
    got = parse_dates(yearless + dated)
    assert got[: len(yearless)].isna().all(), got.tolist()
    assert got[len(yearless) :].tolist() == [
        pd.Timestamp("2021-03-14 22:00"),
        pd.Timestamp("2021-03-14 22:00"),
        pd.Timestamp(today.year, today.month, today.day, 22),
        pd.Timestamp(today.year, today.month, today.day, 22),
    ]


def test_a_day_of_13_with_month_12_is_evidence_of_day_first():
    from skbucket.dates import day_month_conflict

    assert day_month_conflict(["13/12/2021", "03/04/2021"]) == (0, 1)


def test_day_month_examples_keep_a_day_first_date_in_december():
    from skbucket.dates import day_month_examples

    assert day_month_examples(["13/12/2021"]) == ("13/12/2021",)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1530353060, "2018-06-30 10:04:20"),  # seconds
        (1530353060123, "2018-06-30 10:04:20.123000"),  # milliseconds
        (43281.5, "2018-06-30 12:00:00"),  # an Excel serial day
        (20180630, "2018-06-30 00:00:00"),  # a compact date
    ],
)
@pytest.mark.parametrize("as_text", [False, True])
def test_the_conversion_a_date_number_hint_shows_runs_on_numbers_and_on_their_texts(
    number, expected, as_text
):
    """The hint's code raised on a column of digit texts (PostFeatures and the display show
    it for those): to_datetime(values, unit='s') refuses text ("year 1530353060 is out of
    range"), as unit='D' with an origin does."""
    from skbucket.dates import _epoch_hint

    code = re.search(r"with (pd\.to_datetime\(.*\))", _epoch_hint(number)).group(1)
    values = pd.Series([str(number) if as_text else number])
    got = eval(code, {"pd": pd, "values": values})
    assert str(got.iloc[0]) == expected


def test_the_readers_of_dates_import_from_skbucket_prompts_as_before():
    """They lived in skbucket.prompts before 0.8.6: code importing them from there works."""
    from skbucket import dates, prompts

    for name in dates.__all__:
        assert getattr(prompts, name) is getattr(dates, name), name
    star = {}
    exec("from skbucket.prompts import *", star)
    assert set(dates.__all__) <= set(star)
    assert dates.DayMonthOrderWarning.__module__ == "skbucket.dates"


def test_one_seen_date_given_as_a_str_is_that_date():
    """``seen="13/04/2021"`` became its characters: the day-first date at fit was not seen,
    and an ambiguous date read month first passed without a word (a list of it raised)."""
    from skbucket.dates import read_dates

    for seen in ("13/04/2021", ["13/04/2021"]):
        with pytest.raises(ValueError, match="day"):
            read_dates(["03/04/2021"], seen=seen)
        assert day_month_error(["03/04/2021"], False, "date", seen=seen) is not None


@pytest.mark.parametrize(
    ("values", "hint"),
    [
        (
            [1615000000, 1615000001],
            r"a count of seconds .* unit='s'\) \(its first value is 1615000000\)",
        ),
        ([20210304], r"compact date \(YYYYMMDD\)"),
        ([44259.0, None], r"Excel serial day number"),
        (pd.Series([44259], dtype=object).astype("int64"), r"Excel serial"),
    ],
)
def test_numbers_given_for_dates_are_refused_with_how_to_convert_them(values, hint):
    """A list of epoch ints was read as NaT without a word (a Series of them was refused),
    and every refusal spoke of epoch numbers, for a compact date or an Excel serial too."""
    from skbucket.dates import read_dates

    with pytest.raises(ValueError, match=r"has numeric dtype \w+; expected .*" + hint):
        read_dates(values)


@pytest.mark.parametrize("text", ["March 2021", "Mar 2021", "2021 March", "03/2021"])
def test_a_month_and_year_reads_as_its_first_day_on_the_first_of_that_month_too(monkeypatch, text):
    """pandas reads a month and a year without a day as the 1st of that month, whatever the
    clock says. The clock check asked dateutil again with defaults on the 1st and the 2nd, which
    gave two dates for a text without a day: on 1 March (and only then) ``"March 2021"`` was
    taken for a date of the clock and read as NaT."""
    import skbucket.dates as dates

    assert parse_dates([text]).tolist() == [pd.Timestamp("2021-03-01")]
    real = dates._clock_days
    monkeypatch.setattr(dates, "_clock_days", lambda: real() | {(3, 1, 2026)})
    assert parse_dates([text]).tolist() == [pd.Timestamp("2021-03-01")]
    # what the check is for still holds on that day: a time with only a year is no date
    assert parse_dates(["10:00 2021"]).isna().all()


def test_a_month_and_year_after_a_time_reads_as_its_first_day_not_todays():
    """pandas read a month and a year written after a time of day with today's day of the
    month (``"10:00 March 2021"``: 7 March on the 7th, 15 March on the 15th), where it reads
    the same date written before its time, or without one, as the 1st. (Before the fix this
    failed on every day but the 1st of a month.)"""
    texts = ["10:00 March 2021", "10:00 AM March 2021", "10:00 2021-03", "March 2021 10:00"]
    assert parse_dates(texts).tolist() == [pd.Timestamp("2021-03-01 10:00")] * 4
    assert parse_dates(texts, dayfirst=True).tolist() == [pd.Timestamp("2021-03-01 10:00")] * 4
    # a day of its own is kept, today's day of the month included
    today = pd.Timestamp.now().day
    assert parse_dates([f"10:00 {today} March 2021"]).tolist() == [pd.Timestamp(2021, 3, today, 10)]


@pytest.mark.parametrize(
    "text",
    [
        "10:00 March 21",  # the minutes and "March 21" looked like a day, a month and a year
        "23:59 Dec 31",
        "10:00 Mar 05",
        "10:00 Mar 21st",
        "10:00 March '21",  # dateutil reads '21 after a month alone as the 21st, not 2021
        "10:00 Mar 5 +0000",  # the offset's four digits looked like a year
        "10:00 Mar 5 -0500",
        "10:00:00.1234 Mar 5",  # and so did a fraction of a second
        "10:00 PM Dec 31 GMT+0200",
    ],
)
def test_a_day_without_a_year_after_a_time_is_no_date(text):
    """pandas dates a day and a month written after a time of day, without a year, in this
    year (``"10:00 March 21"``: 21 March 2026 in 2026, 2027 in 2027), as it dates
    ``"10:00 March 5"``, which was NaT; the check for a year in the text took the minutes of
    the time (``00 March 21``), an offset (``+0000``), a fraction of a second or an
    apostrophe's day (dateutil's ``'21`` after a month alone) for one. Each is NaT."""
    assert parse_dates([text]).isna().all()
    assert parse_dates([text], dayfirst=True).isna().all()


def test_a_year_written_beside_a_time_and_an_offset_is_still_read():
    """The same texts with a year of their own, this year's too, keep their date."""
    year = pd.Timestamp.now().year
    texts = [
        f"10:00 Mar 5 {year}",
        f"Sat Mar 14 10:00:00 +0000 {year}",
        f"10:00 5 Dec {year % 100:02d}",
        f"Dec 5 '{year % 100:02d} 10:00 +0100",
    ]
    assert parse_dates(texts).tolist() == [
        pd.Timestamp(year, 3, 5, 10),
        pd.Timestamp(year, 3, 14, 10),
        pd.Timestamp(year, 12, 5, 10),
        pd.Timestamp(year, 12, 5, 9),
    ]


def test_a_two_digit_year_is_read_in_a_fixed_century():
    """pandas read a two-digit year with dateutil's window of 50 years either side of the
    year the process started in: ``76`` was 1976 in 2026 and 2076 from 2027 on, ``70`` was
    2070. It is one of 1969-2068, as Python's and pandas' ``%y`` read it, whenever it is read."""
    texts = [
        "03/14/69",
        "03/14/68",
        "03/14/76",
        "5 Dec 75",
        "Dec 5 '99 10:00",
        "31/12/75 23:00 -0500",
    ]
    assert parse_dates(texts).tolist() == [
        pd.Timestamp("1969-03-14"),
        pd.Timestamp("2068-03-14"),
        pd.Timestamp("1976-03-14"),
        pd.Timestamp("1975-12-05"),
        pd.Timestamp("1999-12-05 10:00"),
        pd.Timestamp("1976-01-01 04:00"),  # in UTC
    ]
    assert parse_dates(["14/03/70"], dayfirst=True).tolist() == [pd.Timestamp("1970-03-14")]


def test_a_day_no_month_has_is_no_evidence_of_the_day_month_order():
    # a month-first column with a typo: 31/04 is no day in either order (NaT both ways), and
    # it refused the column, advising dayfirst=True, which misread 03/04/2021 as 3 April
    values = ["04/13/2021", "03/04/2021", "31/04/2021"]
    dates = read_dates(values)
    assert dates.tolist()[:2] == [pd.Timestamp("2021-04-13"), pd.Timestamp("2021-03-04")]
    assert pd.isna(dates[2])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            pd.Series([dt.date(2021, 3, 14), None, dt.date(9999, 12, 31)], dtype="date32[pyarrow]"),
            [True, False, False],
        ),
        (pd.Series(pd.period_range("2262-04-10", periods=3, freq="D")), [True, True, False]),
    ],
    ids=["arrow-date32", "period"],
)
def test_timeless_is_false_for_a_day_that_parse_dates_cannot_give(values, expected):
    # as documented: a value that is no date (here: after 2262, NaT) is not timeless; an Arrow
    # date column and a period column said True for it
    assert parse_dates(values).notna().tolist() == expected
    assert timeless(values).tolist() == expected


def test_a_day_of_the_month_without_its_month_is_no_date_on_the_29th_to_31st_too():
    """``"10:00 31"`` gives a day of the month and nothing else: pandas takes its month and
    year from the clock (31 December 2026 in December 2026). The clock check asked dateutil
    again with a default in February 2001, which has no 29th to 31st: it failed, and the
    clock's month and year were kept, where ``"10:00 28"`` was NaT. (The first assert failed
    before the fix in months of 29 days or more, on any day; the others always did.)"""
    from skbucket.dates import _dated_by_the_clock

    assert parse_dates(["10:00 29", "10:00 PM 30", "9:30 31", "10:00 31st"]).isna().all()
    # deterministic, whatever the clock says now: pandas' reading of each on such a clock
    strings = pd.Series(["10:00 31", "10:00 PM 30", "Feb 29 10:00", "Feb 29 2028 10:00"])
    parsed = pd.Series(
        pd.to_datetime(
            ["2026-12-31 10:00", "2026-12-30 22:00", "2028-02-29 10:00", "2028-02-29 10:00"],
            utc=True,
        )
    )
    clock = {(12, 31, 2026), (2, 29, 2028)}  # a leap year's 29 February without a year too
    assert _dated_by_the_clock(strings, parsed, False, clock).tolist() == [
        True,
        True,
        True,
        False,
    ]


def test_the_clock_checks_see_the_clocks_day_in_the_texts_own_zone():
    """pandas dates a text without a day (or without a month and a day) by the clock in the
    text's own zone; the checks looked for the clock's day in UTC, a day off for a time near
    midnight with an offset: ``"01:00 March 2021 +0500"`` was 6 March 20:00 on 7 December
    (not 28 February 20:00), and ``"23:30 2020 -0500"`` (a time with only a year) a date.
    (These failed before the fix on any day but the 1st of a month.)"""
    from skbucket.dates import _dated_by_the_clock, _without_the_clocks_day

    texts = ["01:00 March 2021 +0500", "23:00 March 2021 -0500", "01:00 March 2021 GMT+5"]
    expected = ["2021-02-28 20:00", "2021-03-02 04:00", "2021-02-28 20:00"]
    assert parse_dates(texts).tolist() == [pd.Timestamp(t) for t in expected]
    assert parse_dates(["01:00 2020 +0500", "23:30 2020 -0500"]).isna().all()
    # a day of its own is kept, near midnight too
    assert parse_dates(["01:00 7 March 2021 +0500"]).tolist() == [pd.Timestamp("2021-03-06 20:00")]
    # deterministic, whatever the clock says now: pandas' readings on 7 December 2026
    clock = {(12, 7, 2026)}
    strings = pd.Series(["01:00 March 2021 +0500", "01:00 7 March 2021 +0500"])
    parsed = pd.Series(pd.to_datetime(["2021-03-06 20:00", "2021-03-06 20:00"], utc=True))
    assert _without_the_clocks_day(strings, parsed, False, clock).tolist() == [
        pd.Timestamp("2021-02-28 20:00", tz="UTC"),
        pd.Timestamp("2021-03-06 20:00", tz="UTC"),
    ]
    strings = pd.Series(["23:30 2020 -0500", "23:30 Dec 7 2020 -0500"])
    parsed = pd.Series(pd.to_datetime(["2020-12-08 04:30", "2020-12-08 04:30"], utc=True))
    assert _dated_by_the_clock(strings, parsed, False, clock).tolist() == [True, False]


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text, month_first, day_first",
    [
        # year first: year-month-day whatever dayfirst says, as 2021-04-03 and 2021/04/03
        ("2021,04,03", "2021-04-03", "2021-04-03"),
        ("2021, 04, 03", "2021-04-03", "2021-04-03"),
        ("2021;04;03", "2021-04-03", "2021-04-03"),
        ("2021 04 03", "2021-04-03", "2021-04-03"),
        ("Sat 2021,04,03", "2021-04-03", "2021-04-03"),
        ("10:00, 2021,04,03", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021,04", "2021-04-01", "2021-04-01"),  # a month: its 1st, as 2021-04
        # a month and its year: its 1st, as 04-2021 (04,2021 was NaT, 4,2021 April)
        ("04,2021", "2021-04-01", "2021-04-01"),
        ("4, 2021", "2021-04-01", "2021-04-01"),
        ("04;2021", "2021-04-01", "2021-04-01"),
        ("04,2021 10:00", "2021-04-01 10:00", "2021-04-01 10:00"),
        ("10:00, 04,2021", "2021-04-01 10:00", "2021-04-01 10:00"),
        ("13,2021", None, None),
        # a time after a comma: as after a space (NaT: dateutil refused "2021-04-03,10:00")
        ("2021,04,03,10:00", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("03,04,2021,10:00", "2021-03-04 10:00", "2021-04-03 10:00"),
        ("04,2021,10:00", "2021-04-01 10:00", "2021-04-01 10:00"),
        # day and month in the order asked for, as 03/04/2021
        ("03,04,2021", "2021-03-04", "2021-04-03"),
        ("3,4,2021", "2021-03-04", "2021-04-03"),
        ("03;04;2021 10:00", "2021-03-04 10:00", "2021-04-03 10:00"),
        ("03 04 2021", "2021-03-04", "2021-04-03"),
        ("13,04,2021", "2021-04-13", "2021-04-13"),
        # another separated number after it: no date, not a wrong one
        ("2021,04,033", None, None),
        ("1,2,3,4", None, None),
        ("04,2021,5", None, None),
        # pandas read these as 1 March (dateutil: 04,03 is the number 4.03), 6 May, 30 March
        # and 10:00: the rewrite left them to it
        ("2021,04,03,10", None, None),
        ("2021,04,5,6", None, None),
        ("2021,04,03,10,30", None, None),
        ("2021;04;03;10", None, None),
        ("2021, 04, 03, 10", None, None),
    ],
)
def test_numeric_dates_separated_by_commas_or_semicolons_read_as_with_dashes(
    text, month_first, day_first, dayfirst
):
    # pandas read 2021,04,03 and 03,04,2021 as 1 March (dateutil: 04,03 is the number 4.03),
    # 2021,04 as 1 January, 04,2021 as NaT, and 2021;04;03 day first with dayfirst=True
    expected = day_first if dayfirst else month_first
    got = parse_dates([text], dayfirst=dayfirst)[0]
    assert (pd.isna(got) and expected is None) or got == pd.Timestamp(expected)
    dashed = text.replace(",", "-").replace(";", "-").replace(" -", "-").replace("- ", "-")
    if expected is not None and ":" not in text and "Sat" not in text:
        assert got == parse_dates([dashed], dayfirst=dayfirst)[0]


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text, month_first, day_first",
    [
        ("2021,04,03, 10 AM", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021,04,03,10am", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021,04,03,10 a.m.", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021,04,03, 10:30 pm", "2021-04-03 22:30", "2021-04-03 22:30"),
        ("2021,04,03,10:30:15pm", "2021-04-03 22:30:15", "2021-04-03 22:30:15"),
        ("2021,04,03,12 AM", "2021-04-03 00:00", "2021-04-03 00:00"),
        ("2021,04,03,12 PM", "2021-04-03 12:00", "2021-04-03 12:00"),
        ("2021,04,03,10 PM UTC", "2021-04-03 22:00", "2021-04-03 22:00"),
        ("2021,04,03,10 AM +0200", "2021-04-03 08:00", "2021-04-03 08:00"),
        ("2021;04;03;10 AM", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("Sat, 2021,04,03,10am", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("03,04,2021, 10 AM", "2021-03-04 10:00", "2021-04-03 10:00"),
        ("3;4;21;10pm", "2021-03-04 22:00", "2021-04-03 22:00"),
        ("04,2021,10am", "2021-04-01 10:00", "2021-04-01 10:00"),
        # no such hour, or no time: no date
        ("2021,04,03,13 PM", None, None),
        ("2021,04,03,10amber", None, None),
        ("2021,04,03,100am", None, None),
        ("2021,04,03,10", None, None),
        ("2021,04,03,10 AM,5", None, None),
    ],
)
def test_a_comma_date_before_an_hour_with_am_or_pm_reads_that_time(
    text, month_first, day_first, dayfirst
):
    # 2021,04,03, 10 AM and 2021,04,03,10am were taken for a date followed by another
    # number: NaT (0.11 read them as 1 March 10:00 and 1 January 03:00)
    expected = day_first if dayfirst else month_first
    got = parse_dates([text], dayfirst=dayfirst)[0]
    assert (pd.isna(got) and expected is None) or got == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-04-03,10:00", "2021-04-03 10:00"),
        ("2021-04-03,10:00:05", "2021-04-03 10:00:05"),
        ("2021/04/03,9:30", "2021-04-03 09:30"),
        ("03/04/2021,10:00", "2021-03-04 10:00"),
        ("April 3 2021,10:00", "2021-04-03 10:00"),
        ("2021-04-03 10:00:00,5", "2021-04-03 10:00:00.5"),  # a decimal comma: no time
    ],
)
def test_a_comma_before_a_time_of_day_reads_as_a_space(text, expected):
    # "2021-04-03, 10:00" and "2021-04-03;10:00" were 10:00, "2021-04-03,10:00" NaT
    assert parse_dates([text])[0] == pd.Timestamp(expected)
    if ":" in text.split(",")[1]:  # the same as with a space after the comma
        assert parse_dates([text])[0] == parse_dates([text.replace(",", ", ", 1)])[0]


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text, month_first, day_first",
    [
        ("April 3, 2021,10AM", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021-04-03,10 AM", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021-04-03,10 a.m.", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("2021-04-03,10pm", "2021-04-03 22:00", "2021-04-03 22:00"),
        ("2021-04-03,12 AM", "2021-04-03 00:00", "2021-04-03 00:00"),
        ("2021-04-03,12 PM", "2021-04-03 12:00", "2021-04-03 12:00"),
        ("2021-04-03,10 PM UTC", "2021-04-03 22:00", "2021-04-03 22:00"),
        ("2021-04-03,10 AM +0200", "2021-04-03 08:00", "2021-04-03 08:00"),
        ("03/04/2021,10am", "2021-03-04 10:00", "2021-04-03 10:00"),
        ("2021-04-03,13 PM", None, None),  # no such hour, as "2021-04-03 13 PM"
        ("2021-04-03,10amber", None, None),  # no time
    ],
)
def test_a_comma_before_an_hour_with_am_or_pm_reads_as_a_space(
    text, month_first, day_first, dayfirst
):
    # "April 3, 2021,10AM" was NaT while "April 3, 2021,10:00am" and "April 3, 2021, 10AM"
    # were 10:00
    expected = day_first if dayfirst else month_first
    got = parse_dates([text], dayfirst=dayfirst)[0]
    assert (pd.isna(got) and expected is None) or got == pd.Timestamp(expected)
    spaced = parse_dates([text.replace(",", " ")], dayfirst=dayfirst)[0]
    assert (pd.isna(got) and pd.isna(spaced)) or got == spaced


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text, month_first, day_first",
    [
        # 1 March 10:00 (dateutil: 04,03 is the number 4.03): the rewrite did not see the date
        ("10 AM 2021,04,03", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("10am, 2021,04,03", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("Mon 10am 2021,04,03", "2021-04-03 10:00", "2021-04-03 10:00"),
        ("10 AM, 03,04,2021", "2021-03-04 10:00", "2021-04-03 10:00"),
        ("10 p.m. 03;04;2021", "2021-03-04 22:00", "2021-04-03 22:00"),
        # year first, never read day first (was 4 March with dayfirst=True)
        ("10 PM 2021/04/03", "2021-04-03 22:00", "2021-04-03 22:00"),
        ("10 AM 2021,04,03,10", None, None),
        ("10 amber 2021,04,03", None, None),
    ],
)
def test_an_hour_with_am_or_pm_before_a_date_is_a_time_of_day(
    text, month_first, day_first, dayfirst
):
    expected = day_first if dayfirst else month_first
    got = parse_dates([text], dayfirst=dayfirst)[0]
    assert (pd.isna(got) and expected is None) or got == pd.Timestamp(expected)


def test_the_day_month_check_sees_dates_after_an_hour_with_am_or_pm():
    # as after 10:00 AM: 13/04/2021 (day first) beside 03/04/2021 (month first) was read in
    # two orders without a word
    column = ["10 AM 13/04/2021", "10 PM 03/04/2021"]
    with pytest.raises(ValueError, match=r"mixes day/month orders: row 0 '10 AM 13.*row 1"):
        read_dates(column)
    assert day_month_examples(column) == tuple(column)


@pytest.mark.parametrize("separator", [",", ";", " ", ", "])
def test_the_day_month_check_sees_dates_separated_by_commas_semicolons_or_spaces(separator):
    # 13,04,2021 (read day first: no 13th month) beside 03,04,2021 (read month first) was
    # read in two orders without a word
    column = [separator.join(["13", "04", "2021"]), separator.join(["03", "04", "2021"])]
    with pytest.raises(ValueError, match=r"mixes day/month orders: row 0 '13.*row 1 '03"):
        read_dates(column)
    assert read_dates(column, dayfirst=True).tolist() == [
        pd.Timestamp("2021-04-13"),
        pd.Timestamp("2021-04-03"),
    ]
    assert day_month_examples(column) == tuple(column)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("04/03/2021 10:00:00.123456789", "2021-04-03 10:00:00.123456789"),
        ("April 3 2021 10:00:00.1234567", "2021-04-03 10:00:00.1234567"),
        ("3 Apr 2021 10:00:00,123456789 +0200", "2021-04-03 08:00:00.123456789"),
        ("04/03/2021 10:00:00.123456", "2021-04-03 10:00:00.123456"),
        ("04/11/2262 23:47:16.854775807", "2262-04-11 23:47:16.854775807"),  # the last one
        ("04/11/2262 23:47:16.854775809", None),  # past it, as the ISO text is
    ],
)
def test_a_non_iso_date_keeps_its_nanoseconds_as_an_iso_one_does(text, expected):
    # dateutil reads a fraction of a second to its microseconds: .123456789 was .123456
    got = parse_dates([text, "2021-04-03T10:00:00.123456789"])
    assert got[1] == pd.Timestamp("2021-04-03 10:00:00.123456789")
    assert (expected is None and pd.isna(got[0])) or got[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text",
    [
        "13 PM 2021,04,03",
        "13 PM 2021-04-03",
        "13PM 2021-04-03",
        "13 pm, 2021-04-03",
        "Mon 13 PM 2021-04-03",
        "13 AM 2021-04-03",
        "23 p.m. 03/04/2021",
        "13 PM April 3 2021",
        "2021-04-03 13 PM",  # NaT already: dateutil refused it after the date
        "13:00 PM 2021,04,03",
    ],
)
def test_an_hour_past_12_with_am_or_pm_is_no_time(text, dayfirst):
    # before a date it was 13:00 (dateutil added no 12 and checked nothing), after one NaT
    assert pd.isna(parse_dates([text], dayfirst=dayfirst)[0])


@pytest.mark.parametrize("text", ["12 AM 2021-04-03", "0 AM 2021-04-03", "2021-04-03 12 pm"])
def test_an_hour_of_0_to_12_with_am_or_pm_is_read(text):
    assert parse_dates([text])[0].hour == (12 if "pm" in text else 0)


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-04-03 10 A.M.", "2021-04-03 10:00"),
        ("2021-04-03 10 P.M.", "2021-04-03 22:00"),
        ("2021-04-03 10:30 P.M", "2021-04-03 22:30"),
        ("2021-04-03 10 a.M.", "2021-04-03 10:00"),
        ("2021-04-03 10 A. M.", "2021-04-03 10:00"),
        ("2021-04-03 10A.M.", "2021-04-03 10:00"),
        ("10 P.M. 2021,04,03", "2021-04-03 22:00"),
        ("2021,04,03, 10 A. M.", "2021-04-03 10:00"),
        ("April 3 2021 12 A.M.", "2021-04-03 00:00"),
    ],
)
def test_every_spelling_of_am_and_pm_reads_the_same(text, expected, dayfirst):
    # "10 a.m." and "10 AM" were read, "10 A.M." (pandas refused it) NaT; dateutil reads all
    got = parse_dates([text], dayfirst=dayfirst)[0]
    assert got == pd.Timestamp(expected)
    plain = re.sub(r"(?i)([ap])\.\s?m\.?", lambda m: m[1].lower() + "m", text)
    assert got == parse_dates([plain], dayfirst=dayfirst)[0]
    assert not timeless([text])[0]


def test_an_hour_with_am_or_pm_is_no_written_year():
    # "Mar 14, 11 AM" looked like 14 March '11 to the check of dates pandas gave this year
    # for want of a written one: 11 AM on 14 March of this year was kept
    from skbucket.dates import _CLOCK_TIME, _dated_by_the_clock

    now = pd.Timestamp.now(tz="UTC")
    month = (now.month + 5) % 12 + 1  # far from today's month: only the year is asked about
    name = pd.Timestamp(2000, month, 1).strftime("%b")
    text = pd.Series([f"10:00 {name} 14, 11 AM"])
    parsed = pd.Series([pd.Timestamp(now.year, month, 14, 11, tz="UTC")])
    assert _dated_by_the_clock(text, parsed, False).tolist() == [True]
    assert pd.isna(parse_dates(text)[0])
    assert _CLOCK_TIME.sub(" ", "Mar 14, 11 AM") == "Mar 14,  "


@pytest.mark.parametrize("dayfirst", [False, True])
@pytest.mark.parametrize(
    "text",
    [
        "2021-04-03 10:00 11:00",
        "2021-04-03 10:00 09:00",
        "03/04/2021 10:00 11:00",
        "10:00 2021-04-03 11:00",
        "10:00 11:00 2021-04-03",
        "2021-04-03 10:00 11 PM",
        "10 AM 2021-04-03 11 PM",
        "April 3 2021 10:00 11:00",
        "2021-04-03T10:00:00 11:00",
    ],
)
def test_two_times_of_day_are_no_date(text, dayfirst):
    # pandas read the later one (11:00, 09:00, 23:00): which is the post's is ambiguous
    assert pd.isna(parse_dates([text], dayfirst=dayfirst)[0])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-04-03 10:00 -05:00", "2021-04-03 15:00"),  # a zone offset is no time
        ("2021-04-03T10:00:00+05:30", "2021-04-03 04:30"),
        ("2021-04-03 10:00 GMT-05:00", "2021-04-03 15:00"),
        ("2021-04-03 10:30:15 PM", "2021-04-03 22:30:15"),
        ("10:30 PM, April 3, 2021", "2021-04-03 22:30"),
        ("2021-04-03 10:00:00,5", "2021-04-03 10:00:00.5"),
    ],
)
def test_one_time_of_day_with_an_offset_or_a_fraction_is_read(text, expected):
    assert parse_dates([text])[0] == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "no_date",
    ["03,04,2021,5", "03/04/2021 13 PM", "03/04/2021 10:00 11:00", "03;04;2021;10"],
)
def test_a_numeric_date_read_as_nat_does_not_vote_on_the_day_month_order(no_date):
    # "03,04,2021,5" is NaT (a fourth number makes no date) in either order, yet it counted
    # as an ambiguous date misread: a column with 13/04/2021 in it was refused
    assert pd.isna(parse_dates([no_date])[0]) and pd.isna(parse_dates([no_date], True)[0])
    assert day_month_conflict(["13/04/2021", no_date]) is None
    read_dates(["13/04/2021", no_date])  # no error
    day_first_only = no_date.replace("03", "13", 1)  # 13/04/2021...: NaT as well
    assert day_month_conflict([day_first_only, "03/04/2021"]) is None
    assert day_month_examples([day_first_only, no_date, "2021-04-03"]) == ()
    # a date read as one still votes
    assert day_month_conflict(["13/04/2021", no_date, "03/04/2021"]) == (0, 2)


@pytest.mark.parametrize(
    "text, dayfirst, expected",
    [
        ("Apr 3, 2021 10.30 pm", False, "2021-04-03 22:30"),
        ("2021-04-03 10.30 PM", True, "2021-04-03 22:30"),
        ("9.05 A.M. 2021-04-03", False, "2021-04-03 09:05"),
        ("03.04.2021 10.30 pm", True, "2021-04-03 22:30"),
        ("03.04.2021 10.30 pm", False, "2021-03-04 22:30"),
        # after a comma with no space, as 2021-04-03,10:30 pm is read (these were NaT)
        ("2021-04-03,10.30 pm", False, "2021-04-03 22:30"),
        ("April 3, 2021,10.30pm", False, "2021-04-03 22:30"),
        ("12/13/21,10.30 P.M.", False, "2021-12-13 22:30"),
        ("2021,04,03,10.30pm", False, "2021-04-03 22:30"),
    ],
)
def test_a_dotted_time_with_am_or_pm_keeps_its_minutes(text, dayfirst, expected):
    # dateutil read the 30 of "10.30 pm" as a fraction of the hour and dropped it (22:00)
    got = parse_dates([text], dayfirst=dayfirst)[0]
    assert got == pd.Timestamp(expected)
    assert got == parse_dates([re.sub(r"(\d)\.(\d\d)(?=\s*[aApP])", r"\1:\2", text)], dayfirst)[0]


@pytest.mark.parametrize(
    "text",
    [
        "Apr 3, 2021 10.30",
        "13.30 pm 2021-04-03",
        "2021-04-03 10.30 pm 11.00 pm",
        "2021,04,03,10.30",
        "2021-04-03,13.30 pm",
    ],
)
def test_a_dotted_time_without_am_or_pm_or_impossible_is_no_time(text):
    # 10.30 alone may be a day and a month; 13.30 pm and two times are NaT as with a colon
    assert pd.isna(parse_dates([text])[0])


@pytest.mark.parametrize(
    "text",
    ["2021 10:00", "2021T10:00", "2021T10:00Z", "2021 10 AM", "2021 10:00+05:00", "2021 10 p.m."],
)
def test_a_time_with_only_a_year_before_it_is_no_date(text):
    # "10:00 2021" was NaT (the clock's month and day) while "2021 10:00" read as 1 January
    assert pd.isna(parse_dates([text])[0])
    assert pd.isna(parse_dates([" ".join(reversed(text.split(" ", 1)))])[0])


@pytest.mark.parametrize(
    "text, expected",
    [("2021", "2021-01-01"), ("2021 10", "2021-10-01"), ("April 2021 10:00", "2021-04-01 10:00")],
)
def test_a_year_alone_or_with_its_month_is_still_read(text, expected):
    assert parse_dates([text])[0] == pd.Timestamp(expected)
