"""Reading the dates of posts: :func:`parse_dates` and the checks around it.

Every reader of a date column (:class:`~skbucket.prompts.PromptBuilder`,
:class:`~skbucket.features.PostFeatures`, the report's error over time, the command line's
tables) reads it here, so one cell gives one date everywhere: ISO 8601 first, then the
other formats pandas reads, time zones converted to UTC; numbers (an epoch, an Excel serial)
are no dates, and the day/month order of numeric dates is checked against the dates
themselves (:func:`day_month_conflict`, :func:`check_day_month`): a column whose dates
disagree is refused, one of only ambiguous dates (``03/04/2021``) is read in the order asked
for (month first by default).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import numbers
import re

import numpy as np
import pandas as pd

from ._cells import _is_missing, _unicode_problem
from ._frames import plain

__all__ = [
    "DayMonthOrderWarning",
    "check_day_month",
    "dates_seen",
    "day_month_conflict",
    "day_month_error",
    "day_month_examples",
    "parse_dates",
    "read_dates",
    "timeless",
    "unsettled_order_example",
]


class DayMonthOrderWarning(UserWarning):
    """A fitted reader of dates is told to read new dates in the other day/month order while
    its training dates settled no order (all ambiguous, such as ``03/04/2021``, read the way
    it was fitted with): if those were in the new order too, the model learned from misread
    dates, and only fitting again helps (the command line's ``--dayfirst``/``--no-dayfirst``).
    The command line also warns with it of a file whose numeric dates all read either way
    when nothing settles their order and no flag says it.
    """


def unsettled_order_example(reader, dayfirst) -> str | None:
    """An ambiguous training date of the fitted date ``reader`` when reading new dates with
    ``dayfirst`` would go against the order its training dates were read in, and nothing in
    them settled that order (no date readable only that way); else None.

    Parameters
    ----------
    reader : fitted estimator
        A fitted reader of dates (``dayfirst_`` and ``day_month_examples_``).
    dayfirst : bool
        The order new dates are to be read in.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import pandas as pd
    >>> from skbucket import PromptBuilder
    >>> posts = pd.DataFrame({"date": ["03/04/2021", "05/06/2021"], "content": ["a", "b"]})
    >>> unsettled_order_example(PromptBuilder().fit(posts), dayfirst=True)
    '03/04/2021'
    >>> posts.loc[1, "date"] = "05/16/2021"  # month first for sure: the fit read them right
    >>> unsettled_order_example(PromptBuilder().fit(posts), dayfirst=True) is None
    True
    """
    fitted = getattr(reader, "dayfirst_", None)
    examples = list(getattr(reader, "day_month_examples_", ()))
    if fitted is None or bool(fitted) == bool(dayfirst) or not examples:
        return None
    # a date readable only the fitted way (the other order's "evidence"): the fit read right
    settled, ambiguous = _evidence_and_misread(examples, not fitted)
    return None if settled is not None or ambiguous is None else examples[ambiguous]


#: an am or a pm, however it is spelt: ``AM``, ``am``, ``a.m``, ``A.M``, ``a. m`` (a dot
#: after it, ``a.m.``, is written after this where a pattern takes one)
_AM_PM = r"(?i:[ap](?:\.\s?)?m)"
#: what may come before a cell's date: a weekday (``Mon``, ``Monday,``) or a time of day
#: with a colon (``14:30``, ``2:30:05 PM``) or an hour with its am or pm (``10 AM``,
#: ``10am,``), as in ``Mon 13/04/2020``, ``14:30 03/04/2020`` or ``10 AM 2021,04,03``,
#: which pandas reads as it reads the date alone (a dotted or dashed ``10.11.30`` is no time
#: here: it looks like a date itself)
_DATE_PREFIX = (
    r"^\s*'?(?:(?i:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\.?,?\s*)?"
    r"(?:(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*" + _AM_PM + r"\.?)?"
    r"|\d{1,2}\s*" + _AM_PM + r"\.?),?\s+)?"
)
#: what parts of a numeric date may be separated by: ``/``, ``.``, ``-``, a comma or a
#: semicolon (``03,04,2021``, read as ``03-04-2021``: :data:`_COMMA_DATE`), spaces around
#: them or alone (``03 04 2021``)
_DATE_SEPARATOR = r"(?:\s*[/.\-,;]\s*|\s+)"
#: a cell that starts with a numeric date whose day/month order is a convention:
#: ``03/04/2021``, ``3.4.21``, ``03-04-2021 10:00``, ``13 / 04 / 2020``, ``03,04,2021``,
#: ``03 04 2021``, also after a weekday or a time (:data:`_DATE_PREFIX`); not ISO
#: ``2021-04-03``
_NUMERIC_DATE = re.compile(
    _DATE_PREFIX
    + rf"(\d{{1,2}}){_DATE_SEPARATOR}(\d{{1,2}}){_DATE_SEPARATOR}(\d{{4}}|\d{{2}})(?!\d)"
)
#: a numeric date whose parts are separated by commas or semicolons, at a cell's start or
#: after a weekday or a time: ``2021,04,03``, ``2021, 04``, ``03;04;2021``, ``04,2021``,
#: read as written with dashes (:func:`_dashed`). pandas read ``2021,04,03`` and
#: ``03,04,2021`` as 1 March (dateutil takes ``04,03`` for the decimal number 4.03),
#: ``2021,04`` as 1 January, ``04,2021`` as nothing (while ``4,2021`` and ``04-2021`` were
#: April), and ``2021;04;03`` day first with ``dayfirst=True``; and the day/month checks did
#: not see them. Not when another separated number follows (``2021,04,033``, ``1,2,3,4``,
#: ``2021,04,03,10``): no date (:func:`_comma_numbers`); a time is no such number
#: (``2021,04,03,10:00``, ``2021,04,03, 10 AM``: 10:00 on 3 April)
_COMMA_DATE_PARTS = (
    r"(?:(\d{4})\s*([,;])\s*(\d{1,2})(?:\s*\3\s*(\d{1,2}))?"
    r"|(\d{1,2})\s*([,;])\s*(\d{1,2})\s*\7\s*(\d{4}|\d{2})"
    r"|(\d{1,2})\s*[,;]\s*(\d{4}))(?!\d)"
)
#: an hour with its am or pm and no minutes, a time of day: ``10 AM``, ``10am``, ``10 a.m.``,
#: ``10 A. M.`` (not ``10 amber``)
_HOUR_AM_PM = r"\d{1,2}\s*" + _AM_PM + r"\.?(?![a-zA-Z\d])"
#: a time written with a dot between hour and minutes before its am or pm (``10.30 pm``:
#: :data:`_DOTTED_TIME`), which is a time after a comma too (``2021-04-03,10.30 pm``)
_DOTTED_HOUR_AM_PM = r"\d{1,2}\.\d{2}\s*" + _AM_PM + r"\.?(?![a-zA-Z\d])"
#: another number separated by a comma or a semicolon (not a time: ``,10:00``, ``, 10 AM``,
#: ``,10am``)
_ANOTHER_NUMBER = re.compile(rf"\s*[,;]\s*(?!{_HOUR_AM_PM}|{_DOTTED_HOUR_AM_PM})\d+(?![\d:])")
#: (the cells :func:`_comma_numbers` finds are left out before a rewrite, so the longest match
#: here, which both take, is never followed by another number when it is rewritten)
_COMMA_DATE = re.compile(f"({_DATE_PREFIX}){_COMMA_DATE_PARTS}")


def _comma_numbers(text: str) -> bool:
    """Whether ``text`` starts with a :data:`_COMMA_DATE` followed by another separated
    number (``2021,04,03,10``, ``2021,04,5,6``), which is no date: pandas read the first as
    1 March (dateutil takes ``04,03`` for the number 4.03), the second as 6 May, and
    ``2021;04;03;10`` at 10:00."""
    match = _COMMA_DATE.match(text)  # the longest date: 2021,04,03, not 2021,04
    return match is not None and _ANOTHER_NUMBER.match(text, match.end()) is not None


#: a comma between a date and its time of day, with no space after it (``2021-04-03,10:00``,
#: ``April 3, 2021,10AM``, also ``2021,04,03,10:00`` once written with dashes), read as a
#: space: dateutil refused the text (``NaT``), while ``2021-04-03, 10:00``,
#: ``2021-04-03;10:00`` and ``April 3, 2021, 10AM`` were read
_COMMA_BEFORE_TIME = re.compile(
    rf"(?<=\d),(?=\d{{1,2}}:\d{{2}}|{_HOUR_AM_PM}|{_DOTTED_HOUR_AM_PM})"
)


def _dashed(match: re.Match) -> str:
    """A :data:`_COMMA_DATE` written with dashes: ``2021-04-03``, ``03-04-2021``,
    ``04-2021``."""
    prefix, year, _, month, day, first, _, second, last, alone, its_year = match.groups()
    if year is not None:
        return f"{prefix}{year}-{month}" + ("" if day is None else f"-{day}")
    if alone is not None:  # a month and its year: 04,2021
        return f"{prefix}{alone}-{its_year}"
    return f"{prefix}{first}-{second}-{last}"


def _numeric_date_parts(values) -> list[tuple[int, int, int]]:
    """``[(position, first number, second number)]`` of the string cells that hold a
    numeric date at their start (``03/04/2021`` gives ``(position, 3, 4)``), or after a
    weekday or a time of day (:data:`_DATE_PREFIX`). A cell that is a date in neither order
    says nothing about the column's order (it is NaT whatever ``dayfirst`` says): numbers
    outside 1-31 (``99/01/2020``, ``00/04/2021``), a day its month does not have
    (``31/04/2021``, ``29/02/2021``: no 31 April, and no 4th day of a 31st month), or a year
    outside 1677-2262 (``13/04/9999``); such a cell was taken for one that "can only be read
    day first", and refused a month-first column with the advice to misread it."""
    parts = []
    for i, value in enumerate(pd.Series(values).to_numpy(dtype=object)):
        match = _NUMERIC_DATE.match(value) if isinstance(value, str) else None
        if match is not None:
            first, second = int(match[1]), int(match[2])
            year = int(match[3])
            if len(match[3]) == 2:  # as parse_dates reads it: 1969-2068
                year += 1900 if year >= 69 else 2000
            if _is_day(year, first, second) or _is_day(year, second, first):
                parts.append((i, first, second))
    return parts


class _ReadCells:
    """Whether :func:`parse_dates` reads a cell as a date (in the order its numbers allow:
    day first when the first is past 12), asked only of the cells that would settle or
    conflict with a column's day/month order, once per text: a cell read as ``NaT``
    (``03,04,2021,5``: a fourth number makes no date; ``13/04/2021 13 PM``; two times) says
    nothing about the order, and was taken for one that can only be read one way, or would
    be misread."""

    def __init__(self, values):
        self.cells = pd.Series(values).to_numpy(dtype=object)
        self.read: dict[str, bool] = {}

    def __call__(self, i: int, first: int) -> bool:
        text = self.cells[i]
        if text not in self.read:
            self.read[text] = bool(pd.notna(parse_dates([text], dayfirst=first > 12)[0]))
        return self.read[text]


def _is_day(year: int, month: int, day: int) -> bool:
    """Whether ``year``-``month``-``day`` is a day that :func:`parse_dates` can give (a real
    day, whose midnight is inside pandas' nanosecond timestamps)."""
    try:
        day_ = _dt.date(year, month, day)
    except ValueError:
        return False
    return pd.Timestamp.min.date() < day_ <= pd.Timestamp.max.date()


def day_month_conflict(values, dayfirst=False):
    """Find numeric dates that show the column uses the other day/month order.

    ``03/04/2021`` is 4 March month first and 3 April day first; pandas reads it with the order
    asked for (month first by default), but reads ``13/04/2021`` day first whatever was asked,
    since there is no 13th month. So a day-first column read month first comes out mixed:
    ``13/04`` right, ``03/04`` silently wrong. This finds such a column: one value that can
    only be read in the other order and one that is ambiguous (day and month both 12 or less
    and different) and would be misread. A value that :func:`parse_dates` reads as no date
    (``NaT``: ``03,04,2021,5``, ``13/04/2021 13 PM``) is neither.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The raw column (non-string cells are ignored).
    dayfirst : bool, default=False
        The order the column is read in.

    Returns
    -------
    tuple of int or None
        ``(evidence, misread)``: positions of the first value readable only in the other order
        and of the first ambiguous value, or None when there is no conflict.

    Examples
    --------
    >>> day_month_conflict(["13/04/2021", "2021-04-03", "03/04/2021"])
    (0, 2)
    >>> day_month_conflict(["13/04/2021", "03/04/2021"], dayfirst=True) is None
    True
    >>> day_month_conflict(["13/04/2021", "25/12/2020"]) is None  # no ambiguous date
    True
    """
    evidence, misread = _evidence_and_misread(values, dayfirst)
    if evidence is None or misread is None:
        return None
    return evidence, misread


def _evidence_and_misread(values, dayfirst) -> tuple[int | None, int | None]:
    """Positions of the first value readable only in the order other than ``dayfirst``'s and
    of the first ambiguous value (each None when there is none)."""
    evidence = misread = None
    read = _ReadCells(values)  # a cell read as NaT does not vote
    for i, first, second in _numeric_date_parts(values):
        month, day = (second, first) if dayfirst else (first, second)
        if evidence is None and month > 12 >= day and read(i, first):
            evidence = i
        ambiguous = first <= 12 and second <= 12 and first != second
        if misread is None and ambiguous and read(i, first):
            misread = i
        if evidence is not None and misread is not None:
            break
    return evidence, misread


def day_month_examples(values) -> tuple[str, ...]:
    """The numeric dates of a column that settle its day/month order, for a fitted reader to
    check later columns against.

    Up to three cells, in column order: the first that can be read only day first
    (``13/04/2021``), the first that can be read only month first (``04/13/2021``) and the
    first ambiguous one (``03/04/2021``). A reader fitted on ``["13/04/2021"]`` with
    ``dayfirst=False`` would otherwise read a later ``"03/04/2021"`` month first without a
    word (see :func:`day_month_error`'s ``seen``).

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The raw column (non-string cells are ignored).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> day_month_examples(["2021-04-03", "13/04/2021", "03/04/2021", "14/04/2021"])
    ('13/04/2021', '03/04/2021')
    """
    cells = pd.Series(values).to_numpy(dtype=object)
    picked: dict[str, int] = {}
    read = _ReadCells(values)  # a cell read as NaT settles nothing
    for i, first, second in _numeric_date_parts(values):
        if second <= 12 < first:
            kind = "day first"
        elif first <= 12 < second:
            kind = "month first"
        elif first <= 12 and second <= 12 and first != second:
            kind = "ambiguous"
        else:
            continue
        if kind not in picked and read(i, first):
            picked[kind] = i
        if len(picked) == 3:
            break
    return tuple(str(cells[i]) for i in sorted(picked.values()))


def _fitted_day_month(values, *, dayfirst, column, error, prefix="") -> tuple[str, ...]:
    """What a date reader's ``fit`` does with its training dates: refuse a column that mixes
    day/month orders (:func:`check_day_month`), then keep the dates that settle its order
    (:func:`day_month_examples`, its ``day_month_examples_``)."""
    check_day_month(values, dayfirst=dayfirst, column=column, error=error, prefix=prefix)
    return day_month_examples(values)


def dates_seen(reader) -> tuple[str, ...]:
    """The fit dates a fitted date reader checks new dates against: its
    ``day_month_examples_`` while ``dayfirst`` is still the order it was fitted with
    (``dayfirst_``); none once ``dayfirst`` was set to the other order after fit, which says
    that the new data is written in that order (the command line's ``--dayfirst``), or for a
    reader saved before these attributes existed.

    Parameters
    ----------
    reader : fitted estimator
        A fitted reader of dates, such as :class:`~skbucket.prompts.PromptBuilder` or
        :class:`~skbucket.features.PostFeatures`.

    Returns
    -------
    tuple of str
        The dates to pass as ``seen`` to :func:`read_dates`.
    """
    if getattr(reader, "dayfirst_", None) != bool(reader.dayfirst):
        return ()
    return tuple(getattr(reader, "day_month_examples_", ()))


def day_month_error(values, dayfirst, column, seen=()) -> str | None:
    """The error message for a :func:`day_month_conflict` in ``column`` (rows as labels), or
    None when the column has none.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The raw column.
    dayfirst : bool
        Whether ambiguous numeric dates are read day first.
    column : str
        The column's name in the message.
    seen : str or sequence of str, default=()
        Dates from the data a reader was fitted on (:func:`day_month_examples`): a conflict
        between one of them and a value of ``values`` is an error too, since the two
        columns are read as one.

    Returns
    -------
    str or None
        The message, with its remedy.
    """
    problem = _day_month_problem(values, dayfirst, column, seen)
    return None if problem is None else f"{problem[0]}; {problem[1]}"


def _day_month_problem(values, dayfirst, column, seen=()) -> tuple[str, str, bool] | None:
    """``(problem, remedy, now)``: the conflict, what to do about it, and whether passing
    ``dayfirst=not dayfirst`` now reads the column; or None when there is no conflict."""
    index = values.index.tolist() if isinstance(values, pd.Series) else range(len(values))
    cells = pd.Series(values).to_numpy(dtype=object)
    # a Series (by position, not label), a set or an iterator, read once; one date given as
    # a str is that date (tuple() made characters of it, and the check found nothing)
    seen = (seen,) if isinstance(seen, str) else tuple(seen)
    order, other = ("month", "day") if not dayfirst else ("day", "month")
    evidence, misread = _evidence_and_misread(values, dayfirst)
    seen_evidence, seen_misread = _evidence_and_misread(list(seen), dayfirst)
    tail = f"if the column is {other} first, or write the dates as ISO 8601 (2021-04-03)"
    start = f"date column {column!r} mixes day/month orders: "
    if misread is not None and (evidence is not None or seen_evidence is not None):
        shown = (
            f"row {index[evidence]!r} {cells[evidence]!r}"
            if evidence is not None
            else f"{seen[seen_evidence]!r}, seen at fit,"
        )
        return (
            f"{start}{shown} can only be read {other} first, while row {index[misread]!r} "
            f"{cells[misread]!r} is ambiguous and would be read {order} first "
            f"(dayfirst={dayfirst})",
            f"pass dayfirst={not dayfirst} {tail}.",
            True,
        )
    # the fit's own dates settle its order (one readable only that way): its ambiguous dates
    # were read right, and a new date readable only the other way has one reading anyway
    fit_settled = _evidence_and_misread(list(seen), not dayfirst)[0] is not None
    if evidence is not None and seen_misread is not None and not fit_settled:
        return (
            f"{start}row {index[evidence]!r} {cells[evidence]!r} can only be read {other} "
            f"first, while {seen[seen_misread]!r}, seen at fit, is ambiguous (read {order} "
            f"first with dayfirst={dayfirst}), so the model learned from misread dates",
            # rewriting only the new dates silenced this and left the misread model
            f"fit again, with dayfirst={not dayfirst} if the column is {other} first, or with "
            "the training dates written as ISO 8601 (2021-04-03).",
            False,
        )
    return None


def read_dates(
    values, *, dayfirst=False, column="date", error=ValueError, prefix="", seen=()
) -> pd.Series:
    """:func:`parse_dates` after the :func:`day_month_error` check, as every reader of dates does.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The raw column.
    dayfirst : bool, default=False
        Read ambiguous numeric dates day first.
    column : str, default="date"
        The column's name in the error message.
    error : type of Exception, default=ValueError
        Raised (with ``prefix`` + the message) when the column mixes day/month orders; its
        ``suggested_dayfirst`` attribute is the ``dayfirst`` that reads the column (None
        when only fitting again with the other order helps: the conflict is with ``seen``),
        its ``conflict`` attribute the message without its remedy.
    prefix : str, default=""
        Start of that message (e.g. the estimator's name).
    seen : str or sequence of str, default=()
        Dates of the column seen at fit (:func:`day_month_examples`): the values must not
        conflict with them either.

    Returns
    -------
    pandas.Series of dtype ``datetime64[ns]``
        As :func:`parse_dates`.

    Raises
    ------
    error
        As :func:`check_day_month`. A value that is no date is not an error: it is read
        as ``NaT``.

    Examples
    --------
    >>> read_dates(["2021-04-03", "13/04/2021"]).dt.day.tolist()
    [3, 13]
    >>> read_dates(["13/04/2021", "03/04/2021"])
    Traceback (most recent call last):
    ...
    ValueError: date column 'date' mixes day/month orders: ...
    """
    check_day_month(values, dayfirst=dayfirst, column=column, error=error, prefix=prefix, seen=seen)
    return parse_dates(values, dayfirst=dayfirst)


def _arrow_times_of_day(dtype) -> bool:
    """Whether ``dtype`` is pyarrow's ``time32`` or ``time64`` (a time of day, no date)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is None:
        return False
    import pyarrow as pa

    return bool(pa.types.is_time(arrow))


def check_day_month(values, *, dayfirst=False, column="date", error=ValueError, prefix="", seen=()):
    """Raise ``error`` when ``values`` mix day/month orders (:func:`read_dates`' check, without
    parsing the column: the readers' ``fit`` refuses such a column there, not at transform),
    or are of a numeric dtype (epoch numbers, which no reader takes for dates).

    Parameters
    ----------
    values, dayfirst, column, error, prefix, seen
        As in :func:`read_dates`.

    Raises
    ------
    error
        ``ValueError`` unless another is given, when ``values`` mix day/month orders (or
        conflict with ``seen``), with ``suggested_dayfirst``, ``refit_dayfirst`` and
        ``conflict`` attributes; or when they are numbers, booleans, durations or times of
        day (a column of such a dtype, numpy's or pyarrow's, or a list or polars column of
        them), with a hint to convert numbers.

    Examples
    --------
    >>> check_day_month(["2021-04-03", "13/04/2021"])
    >>> check_day_month(["13/04/2021", "03/04/2021"])
    Traceback (most recent call last):
    ...
    ValueError: date column 'date' mixes day/month orders: ...
    """
    dtype = getattr(values, "dtype", None)
    if isinstance(values, list | tuple) or type(values).__module__.startswith("polars"):
        # a list's or a polars column's dtype as pandas infers it: a list of epoch ints was
        # read as NaT without a word, where a Series of them was refused
        values = pd.Series(values)
        dtype = values.dtype
    kind = getattr(dtype, "kind", None)
    if _arrow_times_of_day(dtype):
        kind = "t"
    if kind in ("b", "m", "t") and not pd.isna(values).all():
        # pyarrow's booleans are no numeric dtype to pandas, and durations and times of day
        # (pyarrow's time32/time64, a database's TIME column) are none: read as NaT, their
        # prompts said "unknown" for every post without a word, where numpy's booleans were
        # refused
        held = {"b": "booleans", "m": "durations", "t": "times of day"}[kind]
        raise error(f"{prefix}date column {column!r} holds {held} (dtype {dtype}), not dates.")
    if dtype is not None and pd.api.types.is_numeric_dtype(dtype) and not pd.isna(values).all():
        # numbers are no dates (each is read as NaT): PromptBuilder wrote "unknown" for every
        # post of an epoch column without a word
        first = pd.Series(values).dropna().iloc[0]
        raise error(
            f"{prefix}date column {column!r} has numeric dtype {dtype}; expected datetimes or "
            f"date strings: {_epoch_hint(first)} (its first value is {plain(first)!r})."
        )
    problem = _day_month_problem(values, dayfirst, column, seen)
    if problem is not None:
        conflict, remedy, now = problem
        exc = error(f"{prefix}{conflict}; {remedy}")
        # for callers that word the remedy their way; None when only a refit helps, which
        # refit_dayfirst names (the dayfirst to fit again with)
        exc.suggested_dayfirst = (not dayfirst) if now else None
        exc.refit_dayfirst = None if now else (not dayfirst)
        exc.conflict = f"{prefix}{conflict}"
        raise exc


def _is_compact_date(number) -> bool:
    """``20210403``: a date written YYYYMMDD, as a number."""
    try:
        value = float(number)
    except (TypeError, ValueError, OverflowError):  # a 400-digit number: no date
        return False
    return value.is_integer() and 19_000_101 <= value <= 21_001_231


def _is_excel_serial(number) -> bool:
    """``44289.5``: days since 1899-12-30 (Excel's dates, 1954 to 2201, as numbers)."""
    try:
        return 20_000 <= float(number) < 110_000
    except (TypeError, ValueError, OverflowError):
        return False


#: counts of time since 1970 by size: seconds up to about 10^11 (the year 5138), then
#: milliseconds, microseconds (pandas 3's int64 of a parsed date) and nanoseconds
_EPOCH_UNITS = ((1e11, "s", "seconds"), (1e14, "ms", "milliseconds"), (1e17, "us", "microseconds"))


def _epoch_hint(number) -> str:
    """How to convert ``number``, a date given as a number, to dates: a compact date
    (``20210403``), an Excel serial day (``44289``), or a count of seconds, milliseconds,
    microseconds or nanoseconds since 1970, told apart by size. The code shown runs on a
    column of numbers and on one of their texts (``pd.to_numeric`` first: ``to_datetime``
    with a ``unit`` refuses text)."""
    try:
        value = abs(float(number))
    except (TypeError, ValueError, OverflowError):
        value = 0.0
    if _is_compact_date(value):
        return (
            "it looks like a compact date (YYYYMMDD) written as a number: convert it, e.g. "
            "with pd.to_datetime(values.astype(str), format='%Y%m%d')"
        )
    if _is_excel_serial(value):
        return (
            "it looks like an Excel serial day number: convert it, e.g. with "
            "pd.to_datetime(pd.to_numeric(values), unit='D', origin='1899-12-30')"
        )
    unit, what = next(((u, w) for top, u, w in _EPOCH_UNITS if value < top), ("ns", "nanoseconds"))
    return (
        f"a count of {what} is no date here: convert it, e.g. with "
        f"pd.to_datetime(pd.to_numeric(values), unit={unit!r})"
    )


#: a year written with four digits, not inside a longer number
_FOUR_DIGIT_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
#: a year and a month written as a number (2021.04), alone or before a time (2021.04 10:00,
#: 2021.04T10:00), and the ones that are a month: two digits, 01 to 12 (2021.1 is January to
#: pandas, or October written as a float; 2021.13 is no month, though pandas reads it as
#: January; before a time pandas read every one as January)
_YEAR_DOT_NUMBER = re.compile(r"\s*\d{4}\.\d+(?=[\sT]|$)")
#: (anchored with ^ for its rewrite to 2021-04 10:00, which searches: found anywhere, it
#: turned the fraction of 20210405T100000.12 into a zone offset)
_YEAR_DOT_MONTH = re.compile(r"^\s*(\d{4})\.(0[1-9]|1[0-2])(?=[\sT]|$)")


#: a year and a time of day, and no month or day (``2021 10:00``, ``2021T10:00Z``, ``2021 10
#: PM``, ``10 PM 2021``): a time with only a year, which is no date, as ``10:00 2021`` was
#: none (pandas took the clock's month and day); pandas read the others as that time on 1
#: January (``2021`` alone is that year's start, as ``2021-04`` is April's)
_TIME_ALONE = (
    r"(?:\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*" + _AM_PM + r"\.?)?"
    r"|\d{1,2}\s*" + _AM_PM + r"\.?)(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
)
_YEAR_AND_TIME = re.compile(
    rf"\s*'?(?:\d{{4}}(?:T|\s+){_TIME_ALONE}|{_TIME_ALONE},?\s+\d{{4}})\s*$", re.IGNORECASE
)


#: a number written as text (``1617235200``, ``44289.5``, ``-1``, ``1.6e9``), which
#: :func:`parse_dates` reads as no date, as it reads a number
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _is_number_cell(value) -> bool:
    """Whether ``value`` is a number (not a boolean, not NaN) or a number written as text
    (``"1617235200"``): a date column's cell that :func:`parse_dates` reads as no date,
    unless the text is a date too (``"20210403"``, ``"2021"``)."""
    if isinstance(value, str):
        return _NUMBER_TEXT.fullmatch(value) is not None
    return (
        isinstance(value, numbers.Number)
        and not isinstance(value, bool | np.bool_)
        and not _is_missing(value)
    )


def _unparsed_text(column, rows: list, example) -> str:
    """How PostFeatures and PromptBuilder say that a date column's cells are no dates:
    ``rows``, their labels (the first shown with ``example``, its value, and
    :func:`undated_hint`'s advice for it; the first ten listed)."""
    return (
        f"date column {column!r}: {len(rows)} value(s) could not be parsed as dates, "
        f"e.g. row {rows[0]!r}: {example!r}{undated_hint(example)} (rows {rows[:10]})"
    )


def undated_hint(value) -> str:
    """Why ``value`` may be no date to :func:`parse_dates` although it reads as one: its year
    is outside 1677-2262, the years pandas' nanosecond timestamps hold, it is a year and a
    month written as a number whose month is not two digits from 01 to 12, or it is a number
    or a number written as text (an epoch count, an Excel serial day: how to convert it,
    :func:`_epoch_hint`); ``""`` otherwise.

    Examples
    --------
    >>> print(undated_hint("9999-12-31"))
    ; its year 9999 is outside 1677-2262, the years a date can have here (pandas' nanosecond ...
    >>> print(undated_hint("1617235200"))
    ; a count of seconds is no date here: convert it, e.g. with ... unit='s') first
    >>> undated_hint("2020-06-15")
    ''
    >>> undated_hint(pd.NaT)  # a missing date: no year to blame
    ''
    """
    if _is_number_cell(value) and not isinstance(value, str):
        return f"; {_epoch_hint(value)} first"
    if isinstance(value, _dt.date):
        if pd.isna(value):  # NaT is a datetime too: a missing date, with no year (nan)
            return ""
        years = [value.year]
    elif isinstance(value, str):
        years = [int(y) for y in _FOUR_DIGIT_YEAR.findall(value)]
    else:
        return ""
    # a year in range beside one out of range (a time 2300, a number) is not the reason
    if years and not any(1677 <= y <= 2262 for y in years):
        return (
            f"; its year {years[0]} is outside 1677-2262, the years a date can have here "
            "(pandas' nanosecond timestamps)"
        )
    if (
        isinstance(value, str)
        and _YEAR_DOT_NUMBER.match(value)
        and not _YEAR_DOT_MONTH.match(value)
    ):
        return (
            "; a year and a month written as a number need a month of two digits from 01 to "
            "12 (2021.1: January, or October written as a number?): write 2021.01, 2021.10, "
            "or an ISO date such as 2021-10-01"
        )
    if isinstance(value, str) and _is_number_cell(value) and pd.isna(parse_dates([value])[0]):
        return f"; {_epoch_hint(value.strip())} first"  # epoch seconds as text; not 20210403
    return ""


def parse_dates(values, dayfirst=False) -> pd.Series:
    """Parse a column of posting times into naive UTC timestamps (``NaT`` where impossible).

    Accepts ``datetime64`` columns (naive or tz-aware), ``period`` columns, and object/string
    columns that mix strings, ``datetime``/``date`` objects, ``pd.Timestamp``, ``pd.Period``
    (read as the start of the period, as a date without a time is) and missing values. Strings
    are read as ISO 8601 first and, where that fails, with pandas' per-element
    ``format="mixed"`` parser (``dayfirst`` decides ambiguous numeric dates such as
    ``03/04/2021``; dates written year first, ISO or not, such as ``2021-04-03 10:00 UTC``,
    are never read day first; a month and a year without a day, ``March 2021`` or
    ``10:00 March 2021``, are the 1st of that month; a two-digit year is one of 1969-2068,
    as ``%y`` reads it: ``03/14/76`` is 1976; the numbers of a numeric date may be separated
    by commas or semicolons too, read as dashes: ``2021,04,03`` is 2021-04-03,
    ``03;04;2021`` is ``03-04-2021`` and ``04,2021`` is April 2021, and a comma before a
    time, ``2021,04,03,10:00``, ``2021-04-03,10:00`` or ``April 3, 2021,10AM``, as a
    space, and one followed by
    another such number, ``2021,04,03,10``, is no date (a time is none: ``2021,04,03,10am``
    is 10:00); an am or pm is read however it is spelt, ``10 AM``, ``10 a.m.``, ``10 A.M.``
    or ``10 A. M.``, and a time written with a dot before one, ``10.30 pm``, keeps its
    minutes (22:30; ``10.30`` alone is no time); a fraction of a second keeps its nanoseconds in any
    format, ``04/03/2021 10:00:00.123456789`` as ISO's). Time-zone policy: a tz-aware value
    is converted to UTC and a naive value is taken to be UTC already (as in the challenge
    data), so every result is a naive UTC wall time. Anything else (numbers, unparseable
    text, missing values, times outside ``datetime64[ns]``'s years 1677-2262 such as a
    ``9999-12-31`` placeholder, text that pandas would date by the clock: ``"now"``,
    ``"today"``, a time without a date or with only a year (``10:00 2021``, ``2021 10:00``;
    ``2021`` alone is 1 January), an hour past 12 with an am or a
    pm, ``13 PM 2021-04-03`` as ``2021-04-03 13 PM``, two times of day, which are ambiguous
    (``2021-04-03 10:00 11:00``: pandas read the later), and a year and a month written
    as a number with a month other than ``01``-``12``: ``2021.13``, or ``2021.1``, which may
    be October; ``2021.04`` is April) gives ``NaT``;
    :class:`~skbucket.prompts.PromptBuilder` prints ``unknown`` for it (the readers of a
    date column refuse one of a numeric dtype: see :func:`check_day_month`).
    See :func:`day_month_conflict` for columns whose day/month order contradicts
    ``dayfirst``.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The raw column.
    dayfirst : bool, default=False
        Read ambiguous numeric dates day first (``03/04/2021`` = 3 April).

    Returns
    -------
    pandas.Series of dtype ``datetime64[ns]``
        Same length and positions as ``values``, with a default ``RangeIndex`` whatever the
        index of ``values``: to put the dates back into a frame whose index is not
        ``0 .. n-1`` (filtered or sorted rows), assign them by position, with
        ``.to_numpy()`` (pandas aligns a Series on its index labels).

    Examples
    --------
    >>> parse_dates(["2020-12-12 00:47:00", "2020-12-12T10:00:00+02:00", "13/01/2021", "soon"])
    0   2020-12-12 00:47:00
    1   2020-12-12 08:00:00
    2   2021-01-13 00:00:00
    3                   NaT
    dtype: datetime64[ns]
    >>> posts = pd.DataFrame({"date": ["2021-01-01", "2021-01-02"]}, index=[7, 3])
    >>> posts["when"] = parse_dates(posts["date"]).to_numpy()  # by position
    >>> posts["when"].dt.day.tolist()
    [1, 2]
    """
    try:
        series = pd.Series(values).reset_index(drop=True)
    except UnicodeEncodeError:  # a lone surrogate, which pandas' inferred text dtype refuses
        series = pd.Series(values, dtype=object).reset_index(drop=True)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):  # numpy or pyarrow, tz or not
        return _naive_utc_ns(series)
    if isinstance(series.dtype, pd.PeriodDtype):  # a period is a time: its start
        return _naive_utc_ns(series.dt.to_timestamp(how="start"))
    obj = series.astype(object)
    # a lone surrogate (broken UTF-16) is no date, and pandas' text columns cannot hold it
    is_str = obj.map(
        lambda v: isinstance(v, str) and bool(v.strip()) and _unicode_problem(v) is None
    )
    is_dt = obj.map(
        lambda v: isinstance(v, _dt.date | np.datetime64 | pd.Period) and not _is_missing(v)
    ).astype(bool)
    if is_dt.any():
        for i in obj.index[is_dt]:
            value = obj[i]
            if isinstance(value, pd.Period):
                value = value.to_timestamp(how="start")
            ts = pd.Timestamp(value)
            if ts.tzinfo is not None:
                ts = ts.tz_convert("UTC").tz_localize(None)
            if pd.Timestamp.min <= ts <= pd.Timestamp.max:  # else NaT, like bad text
                out[i] = ts
    strings = obj[is_str].astype(str).str.strip()
    strings = strings[~strings.str.lower().isin(_CLOCK_WORDS)]  # pandas: the current time
    # pandas reads 2021.13 and 2021.1 as January: no month, or October written as a float;
    # a year and month before a time (2021.04 10:00) it read as January too: as 2021-04 10:00
    strings = strings[~(strings.str.match(_YEAR_DOT_NUMBER) & ~strings.str.match(_YEAR_DOT_MONTH))]
    strings = strings[~strings.str.match(_YEAR_AND_TIME)]  # a time with only a year
    strings = strings.str.replace(_YEAR_DOT_MONTH, r"\1-\2", regex=True)  # stripped: no \s
    # 2021,04,03 and 03;04;2021 as 2021-04-03 and 03-04-2021 (pandas: 1 March, or day first);
    # only the cells holding a comma or a semicolon: a replace with a function runs in Python
    # cell by cell, and doubled the time of an ISO column that holds none
    separated = strings.str.contains(",", regex=False) | strings.str.contains(";", regex=False)
    if separated.any():
        numbers = strings[separated].map(_comma_numbers).astype(bool)  # no date (NaT)
        strings = strings.drop(numbers.index[numbers.to_numpy()])
        separated = separated[strings.index]
        strings = strings.copy()
        strings[separated] = (
            strings[separated]
            .str.replace(_COMMA_DATE, _dashed, regex=True)
            .str.replace(_COMMA_BEFORE_TIME, " ", regex=True)
        )
    if len(strings):
        parsed = pd.to_datetime(strings, errors="coerce", utc=True, format="ISO8601")
        out[strings.index] = _naive_utc_ns(parsed)
        retry = parsed.isna()
        if retry.any():  # an hour past 12 with am/pm is no time of day, wherever it is, and
            # of two times neither is the post's: NaT
            tried = strings[retry].str.replace(_DOTTED_TIME, r"\1:\2", regex=True)
            strings = strings.copy()
            strings[retry] = tried
            retry[retry] = ~(
                tried.str.contains(_IMPOSSIBLE_AM_PM_HOUR) | tried.str.contains(_TWO_TIMES)
            ).to_numpy(bool)
        if retry.any():
            # a date written with its year first (2021-04-03 10:00 UTC, 2021/04/03 9 PM, also
            # after a weekday or a time: Tue 2021-04-03; not ISO 8601) is year-month-day:
            # dayfirst would swap its month and day
            year_first = strings.str.match(_YEAR_FIRST).to_numpy() & retry.to_numpy()
            for rows, first in ((year_first, False), (retry.to_numpy() & ~year_first, dayfirst)):
                if rows.any():
                    text = strings[rows].str.replace(_NAMED_OFFSET, _plain_offset, regex=True)
                    text = text.str.replace(_DOTTED_AM_PM, _plain_am_pm, regex=True)
                    clock = _clock_days()  # before the parse: midnight may pass during it
                    mixed = pd.to_datetime(
                        text, errors="coerce", utc=True, format="mixed", dayfirst=first
                    )
                    mixed = mixed.where(~_dated_by_the_clock(text, mixed, first, clock))
                    mixed = _without_the_clocks_day(text, mixed, first, clock)
                    mixed = _in_a_fixed_century(text, mixed, first)
                    # each part to ns on its own: the two parses may differ in unit (a
                    # nanosecond ISO time beside a 9999-12-31 read in seconds)
                    out[text.index] = _with_its_nanoseconds(text, _naive_utc_ns(mixed))
    return out


#: a fraction of a second written with more digits than a microsecond's
#: (``10:00:00.123456789``): the digits past the sixth
_NANOSECONDS = re.compile(r"\d:\d{2}[.,]\d{6}(\d{1,3})(?!\d)")


def _with_its_nanoseconds(strings: pd.Series, parsed: pd.Series) -> pd.Series:
    """``parsed`` (naive ``datetime64[ns]``, :func:`parse_dates`' reading of ``strings`` with
    ``format="mixed"``) with the nanoseconds a fraction of a second writes past its
    microseconds (``04/03/2021 10:00:00.123456789``), which dateutil drops (its ``.123456``),
    as ISO 8601 (``2021-04-03 10:00:00.123456789``) keeps them; a value read with them
    already keeps its own."""
    digits = strings.str.extract(_NANOSECONDS, expand=False)
    has = (digits.notna() & parsed.notna()).to_numpy()
    if not has.any():
        return parsed
    has = has & (parsed.dt.nanosecond == 0).to_numpy()
    extra = digits[has].str.ljust(3, "0").astype(np.int64).to_numpy()
    stamps = parsed[has].to_numpy().view(np.int64)
    inside = stamps <= pd.Timestamp.max.value - extra  # else past 2262-04-11 23:47:16.854775807
    out = parsed.copy()
    out[has] = np.where(inside, stamps + extra, np.iinfo(np.int64).min).view("datetime64[ns]")
    return out


#: a time of day written in a date's text: 10:00, 9 PM, 9p.m., ISO's T10 (20200615T1000), noon
_TIME_OF_DAY = re.compile(
    r"\d:\d\d|\d\s*" + _AM_PM + r"\b|\dT\d\d|\b(?:noon|midnight)\b", re.IGNORECASE
)


def timeless(values, parsed=None, *, dayfirst=False) -> np.ndarray:
    """Which values of a date column give a day but no time of day.

    A text without a time in it (``2020-06-15``, ``15 June 2020``), a :class:`datetime.date`
    that is not a datetime (also in a ``date32``/``date64`` Arrow column), and a period of a
    day or longer: :func:`parse_dates` reads each as midnight, a time the post was not known
    to have. A ``datetime64`` column and datetime objects keep their time, midnight included;
    a value read at another time than midnight has one (``2020-06-15 10h30``), and a value
    that is no date at all is not timeless (it is missing). A midnight written without a colon
    (``2020-06-15 0000``) is taken for a day (its hour missing, not wrong), and a day written
    with a zone offset but no time (``2020-06-15 GMT-0500``) keeps the UTC time it is read at.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The raw column, as given to :func:`parse_dates`.
    parsed : pandas.Series, default=None
        ``parse_dates(values, dayfirst)``, when the caller has it already.
    dayfirst : bool, default=False
        As for :func:`parse_dates` (when ``parsed`` is not given).

    Returns
    -------
    ndarray of bool, shape (n_samples,)
        By position, as :func:`parse_dates`' result.

    Examples
    --------
    >>> timeless(["2020-06-15", "2020-06-15 00:00", "15 June 2020, 9 PM", None]).tolist()
    [True, False, False, False]
    """
    try:
        series = pd.Series(values).reset_index(drop=True)
    except UnicodeEncodeError:
        series = pd.Series(values, dtype=object).reset_index(drop=True)
    dtype = series.dtype
    arrow = getattr(dtype, "pyarrow_dtype", None)
    is_date = arrow is not None and str(arrow).startswith("date")  # date32[day], date64[ms]
    if pd.api.types.is_datetime64_any_dtype(dtype) and not is_date:
        return np.zeros(len(series), dtype=bool)

    def one(value) -> bool:
        if isinstance(value, str):
            return bool(value.strip()) and not _TIME_OF_DAY.search(value)
        if isinstance(value, pd.Period):
            return value.end_time - value.start_time >= pd.Timedelta(hours=23)
        return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)

    if is_date:
        days = series.notna().to_numpy(dtype=bool)
    elif isinstance(dtype, pd.PeriodDtype):
        span = series.dt.end_time - series.dt.start_time
        days = (span >= pd.Timedelta(hours=23)).to_numpy(dtype=bool, na_value=False)
    else:
        days = np.fromiter((one(v) for v in series.astype(object)), dtype=bool, count=len(series))
    if days.any():
        # (an Arrow date or a period too: one outside 1677-2262 is NaT, no day; it was one)
        if parsed is None:
            parsed = parse_dates(series, dayfirst=dayfirst)
        parsed = pd.Series(parsed).reset_index(drop=True)
        # read as a day's midnight: a time the text's way of writing it did not show (10h30,
        # "2020-06-15 1000") is a time still
        days = days & (parsed.notna() & (parsed == parsed.dt.normalize())).to_numpy(dtype=bool)
    return days


# An offset written after GMT/UTC ("GMT+0200 (CEST)", JavaScript's Date.toString(); "UTC+2",
# "UTC-05:00"), with the zone's name in brackets that may follow it. pandas' fallback parser
# (dateutil) reads "GMT+2" the POSIX way, as 2 hours *behind* UTC, the opposite of what such
# dates mean; written as a plain "+0200" it reads the offset as everyone means it.
_NAMED_OFFSET = re.compile(
    r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?(?!\d)(?:\s*\([^()\d]*\))?"
)


def _plain_offset(match: re.Match) -> str:
    return f"{match[1]}{int(match[2]):02d}{match[3] or '00'}"


#: an hour past 12 with its am or pm (``13 PM``, ``13:00 pm``, ``23 AM``), which is no time of
#: day: dateutil refused it after a date (``2021-04-03 13 PM``: ``NaT``) and read it as 13:00
#: before one (``13 PM 2021-04-03``, ``13 PM 2021,04,03``)
_IMPOSSIBLE_AM_PM_HOUR = re.compile(
    r"(?<![\d:.,/\-])(?:1[3-9]|[2-9]\d)(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*"
    + _AM_PM
    + r"(?![a-zA-Z\d])"
)
#: an am or pm written with a dot after a capital letter, or a dot and a space, after a
#: time's digits: ``10 A.M.``, ``10:00 P.M``, ``10 a.M.``, ``10 A. M.``; pandas read none of
#: them (``NaT``), while dateutil reads them as it reads ``10 a.m.`` and ``10 AM``, which
#: pandas read too: written as ``AM`` or ``PM`` (:func:`_plain_am_pm`)
_DOTTED_AM_PM = re.compile(r"(?<=\d)(\s*)(?i:([ap])\.\s?m\.?)(?![a-zA-Z\d])")


#: a time of day written with a dot between its hour and minutes before an am or pm
#: (``10.30 pm``, ``9.05 A.M.``, as British English writes it): dateutil read the minutes as
#: a fraction of the hour and dropped them (``10.30 pm`` was 22:00); written ``10:30 pm``.
#: Without an am or pm, ``10.30`` is no time (``NaT``): it may be a day and a month
_DOTTED_TIME = re.compile(
    r"(?<![\d.:/\-,])(\d{1,2})\.(\d{2})(?=\s*" + _AM_PM + r"\.?(?![a-zA-Z\d]))"
)


def _plain_am_pm(match: re.Match) -> str:
    return f"{match[1]}{match[2].upper()}M"


#: a time of day: ``10:00``, ``10:00:05.5``, with an am or a pm or not, or an hour with its am
#: or pm (``10 AM``); not a zone offset (``+05:00``, ``-05:00``, ``- 05:00``) nor the
#: digits of another number
_ONE_TIME = (
    r"(?<![\d:+\-.])(?<![+\-]\s)\d{1,2}"
    r"(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*" + _AM_PM + r"\.?(?![a-zA-Z\d]))?(?!\d)"
    r"|\s*" + _AM_PM + r"\.?(?![a-zA-Z\d]))"
)
#: two times of day in one text (``2021-04-03 10:00 11:00``, ``10 AM 2021-04-03 11:00``):
#: which is the post's? pandas read the later one; ambiguous, so no date (``NaT``)
_TWO_TIMES = re.compile(f"{_ONE_TIME}.*?{_ONE_TIME}")


# Strings pandas reads as the moment it parses them; a posting date they are not.
_CLOCK_WORDS = frozenset({"now", "today"})
# A cell that starts with a date written year first, or has one after a weekday or a time of
# day (never read day first, whatever dayfirst says).
_YEAR_FIRST = _DATE_PREFIX + r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"


_MONTH = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
#: a year written out (``2021``), or a two-digit one: of a numeric date (``03/14/21``), or
#: beside a month's name and a day (``Dec 5 21``, ``5 Dec 21``, ``Dec 5 '21``); searched in a
#: text without its times of day (:data:`_CLOCK_TIME`). An apostrophe's two digits after a
#: month alone are a day to dateutil (``10:00 March '21``: 21 March of this year), and the
#: minutes of ``10:00 March 21`` or the digits of ``+0000`` are no year. A numeric date
#: separated by spaces alone (``03 04 26``) is left out on purpose: such a value is only asked
#: again, and dateutil, which reads its year, gives it one date for both defaults (kept);
#: three loose numbers taken for a written year would let a text skip that check
_WRITTEN_YEAR = re.compile(
    r"\d{4}|\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2}(?!\d)"
    rf"|{_MONTH},?\s*\d{{1,2}}(?:st|nd|rd|th)?,?\s+'?\d{{2}}(?![\d:])"
    rf"|(?<![\d:])\d{{1,2}}(?:st|nd|rd|th)?\s*{_MONTH},?\s+'?\d{{2}}(?![\d:])"
)
#: a time of day (``10:00``, ``10:00:00.1234``, an hour with its am or pm: ``11 AM``) and a
#: zone offset (``+0000``, `` -05:00``) in a date's text, whose digits are no year
#: (:func:`_dated_by_the_clock`): the hour of ``10:00 Mar 14, 11 AM`` was taken for the
#: year 2011 written after the day, and pandas' reading, this year's 14 March, was kept
_CLOCK_TIME = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[+-]\d{2}:?\d{2}(?!\d))?"
    rf"|(?:\+|(?<=\s)-)\d{{2}}:?\d{{2}}(?!\d)|(?<![\d:]){_HOUR_AM_PM}"
)


def _clock_days() -> set[tuple[int, int, int]]:
    """Today's ``(month, day, year)`` by the local clock and by UTC's."""
    return {(ts.month, ts.day, ts.year) for ts in (pd.Timestamp.now(), pd.Timestamp.now(tz="UTC"))}


def _dated_by_the_clock(
    strings: pd.Series, parsed: pd.Series, dayfirst: bool, clock=frozenset()
) -> np.ndarray:
    """Where pandas' ``format="mixed"`` took the day or the year from the clock: it reads a time
    without a date (``"10:00"``, ``"9:30 PM"``) as that time today, a time with only a year
    (``"10:00 2020"``) as that time on today's month and day of that year, and a date without
    a year (``"10:00 PM, Mar 14"``) as that day of this year (so the same text gave another
    date, and another weekday, each year, and none at all on 14 March).

    Only values on today's month and day (of any year), and values of this year whose text
    holds no year (each in UTC or a day either side: pandas took the clock's day in the text's
    zone) (:data:`_WRITTEN_YEAR`), are asked again, with dateutil (the parser pandas
    falls back to) and two default dates of other years and months: a string that carries its
    own date gives the same date both times. Both defaults are on the 1st, as pandas reads a
    month and a year without a day (``"March 2021"``: 1 March): with defaults on other days,
    such a date was taken for one dated by the clock, and was ``NaT`` on the 1st of its month
    only. Both are in months of 31 days of leap years, so that each holds any day a text
    gives without its month (``"10:00 31"``) or year (``"Feb 29"``): a default in February
    of 2001 failed on the 29th to 31st, and the clock's month and year were kept for them.
    ``clock`` holds the days of :func:`_clock_days` read before the parse, so a parse that
    runs over midnight still counts the day it read.
    """
    from dateutil import parser as dateutil_parser

    days = _clock_days() | set(clock)
    today = {(month, day) for month, day, _ in days}
    years = {year for _, _, year in days}
    defaults = (_dt.datetime(2000, 1, 1), _dt.datetime(2004, 3, 1))  # on the 1st: see above
    flags = np.zeros(len(strings), dtype=bool)
    for i, (text, ts) in enumerate(zip(strings, parsed, strict=True)):
        # a time outside datetime's years (year 0, from "-1" beside nanosecond times) has no
        # .date(): not today's either
        if pd.isna(ts) or not 1 <= ts.year <= 9999:
            continue
        near = _days_around(ts)  # its UTC day and the days its text's zone may have had it on
        yearless = bool({year for _, _, year in near} & years) and not _WRITTEN_YEAR.search(
            _CLOCK_TIME.sub(" ", text)
        )
        if not {(month, day) for month, day, _ in near} & today and not yearless:
            continue
        try:
            first, second = (
                dateutil_parser.parse(text, default=d, dayfirst=dayfirst).date() for d in defaults
            )
        except (ValueError, OverflowError):  # read by pandas alone: keep its date
            continue
        flags[i] = first != second
    return flags


def _without_the_clocks_day(
    strings: pd.Series, parsed: pd.Series, dayfirst: bool, clock=frozenset()
) -> pd.Series:
    """``parsed`` (pandas' ``format="mixed"`` reading of ``strings``, tz-aware UTC) with a
    month and a year written after a time of day and without a day (``"10:00 March 2021"``,
    ``"10:00 2021-03"``) read as the 1st of that month, as pandas reads the same date written
    before its time (``"March 2021 10:00"``) or without one: pandas took today's day of the
    month for it, so the same text gave another date each day it was read (7 March on the
    7th, 15 March on the 15th).

    Only values on a day of the month of :func:`_clock_days` (or of ``clock``), in UTC or on
    the day either side (pandas took the clock's day in the text's zone), are asked again, with dateutil and defaults on the 1st and the 2nd: a text that gives two days
    holds none of its own, and is read with the default on the 1st."""
    from dateutil import parser as dateutil_parser

    days = {day for _, day, _ in _clock_days() | set(clock)}
    out = parsed
    for i, (text, ts) in enumerate(zip(strings, parsed, strict=True)):
        if pd.isna(ts) or not 1 <= ts.year <= 9999:
            continue
        # pandas took the clock's day in the text's zone: ts, in UTC, may be on the day either
        # side of it (01:00 March 2021 +0500 is 20:00 UTC the day before)
        if not {day for _, day, _ in _days_around(ts)} & days:
            continue
        try:
            first = dateutil_parser.parse(text, default=_dt.datetime(2000, 1, 1), dayfirst=dayfirst)
            stamp = _utc(first)
            if stamp == ts:  # the text's own day (or the 1st anyway): most values
                continue
            second = dateutil_parser.parse(
                text, default=_dt.datetime(2000, 1, 2), dayfirst=dayfirst
            )
        except (ValueError, OverflowError):  # read by pandas alone: keep its date
            continue
        if first.date() == second.date():  # the text has its day
            continue
        if out is parsed:
            out = parsed.copy()
        out.iloc[i] = stamp
    return out


def _utc(value: _dt.datetime) -> pd.Timestamp:
    """dateutil's reading of a text as a tz-aware UTC Timestamp (a naive one is UTC already,
    as :func:`parse_dates` takes it), to compare with pandas' ``utc=True`` reading."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _days_around(ts) -> set[tuple[int, int, int]]:
    """``(month, day, year)`` of ``ts`` (a time in UTC) and of the days either side of it: the
    days it may be on in the zone its text was written in (``01:00 +0500`` is on the day
    before in UTC, ``23:00 -0500`` on the day after)."""
    day = _dt.date(ts.year, ts.month, ts.day)
    around = {day}
    for step in (-1, 1):
        with contextlib.suppress(OverflowError):  # 1 January of year 1, 31 December 9999
            around.add(day + _dt.timedelta(days=step))
    return {(d.month, d.day, d.year) for d in around}


def _in_a_fixed_century(strings: pd.Series, parsed: pd.Series, dayfirst: bool) -> pd.Series:
    """``parsed`` (pandas' ``format="mixed"`` reading of ``strings``, tz-aware UTC) with a
    two-digit year (``03/14/76``, ``5 Dec 76``) in 1969-2068, as Python's and pandas' ``%y``
    read it: pandas took dateutil's window of 50 years either side of the year the process
    started in, so ``76`` was 1976 in 2026 and 2076 from 2027 on (another year, and another
    weekday, each time that window moved past a two-digit year).

    Only values whose text does not hold their year written out are asked again, with
    dateutil and a fixed window."""
    from dateutil import parser as dateutil_parser

    class _FixedCentury(dateutil_parser.parserinfo):
        def convertyear(self, year, century_specified=False):
            if year < 100 and not century_specified:
                return year + (1900 if year >= 69 else 2000)
            return year

    reader = dateutil_parser.parser(_FixedCentury())
    out = parsed
    for i, (text, ts) in enumerate(zip(strings, parsed, strict=True)):
        if pd.isna(ts) or not 1 <= ts.year <= 9999 or str(ts.year) in text:
            continue
        try:
            read = _utc(reader.parse(text, default=_dt.datetime(2000, 1, 1), dayfirst=dayfirst))
        except (ValueError, OverflowError):  # read by pandas alone: keep its date
            continue
        if abs(read.year - ts.year) == 100:  # in UTC, as ts: 31/12/75 23:00 -0500 is in 76
            try:
                stamp = ts.replace(year=read.year)
            except ValueError:  # 29 February in a year without one
                continue
            if out is parsed:
                out = parsed.copy()
            out.iloc[i] = stamp
    return out


def _naive_utc_ns(series: pd.Series) -> pd.Series:
    """A datetime Series as naive UTC ``datetime64[ns]``; values outside its range (before
    1677 or after 2262, e.g. a ``9999-12-31`` placeholder) become ``NaT``, like bad text."""
    if isinstance(series.dtype, pd.ArrowDtype):  # pyarrow dates and times: numpy, own unit
        series = _numpy_datetimes(series)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    inside = series.isna() | ((series >= pd.Timestamp.min) & (series <= pd.Timestamp.max))
    return series.where(inside).astype("datetime64[ns]")


def _numpy_datetimes(series: pd.Series) -> pd.Series:
    """A pyarrow-backed date or timestamp column (``read_csv(engine="pyarrow",
    dtype_backend="pyarrow")`` makes ``date32`` of a date-only column) as numpy datetimes at
    its own unit: pandas has no ``.dt.tz`` for ``date32``, and a ``timestamp[s]`` year 9999
    compared with ``Timestamp.max`` as inside the nanosecond range."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(series.array)
    if pa.types.is_date(values.type):
        values = pc.cast(values, pa.timestamp("s"))
    return pd.Series(values.to_pandas(), index=series.index, name=series.name)
