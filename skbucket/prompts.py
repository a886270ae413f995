"""One instruction prompt per post: :class:`PromptBuilder`.

The seed solution (team 15 of the Adobe Behaviour Simulation challenge,
``JAYESH1304/Adobe-Behavior-Simulation-Challenge``, notebook
``Notebooks/Task 1 Behavior Simulation/making-instruction-data-for-task1.ipynb``)
fed DistilBERT one string per tweet, built as::

    "Following is the information about Twitter post."
    "Caption for Image of post: {caption}, Text content: {content}, "
    "Inferred company: {inferred company}, Username: {username}, "
    "Date and time: {date}, "

e.g. ``Following is the information about Twitter post.Caption for Image of post: a
flyer for tim hortons ..., Text content: Spend your weekend morning ..., Inferred
company: tim hortons, Username: TimHortonsPH, Date and time: 2020-12-12 00:47:00,``
(first row of their training data, as printed in
``training-and-inference-distilbert.ipynb``).

:class:`PromptBuilder`'s default template keeps that wording and field order and
changes three things, all on purpose:

* the date is followed by the weekday and the hour spelled out ("2020-12-12 00:47:00,
  posted on Saturday at midnight"), so a text model sees posting-time patterns that
  it cannot read from digits;
* a missing text field is left out instead of printing ``nan`` (the seed printed
  whatever pandas held); a missing or unparseable date reads ``Date and time: unknown``;
* the fields are separated by ``", "`` and the prompt ends with ``"."`` (the seed had no
  space after the header and a trailing ``", "``).
"""

from __future__ import annotations

import contextvars
import itertools
import re
import string
import warnings
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ._cells import _category_text, _cell_problem, _is_missing, _line_ends
from ._fitted import refit
from ._frames import as_pandas, check_flat_columns, column_list, plain
from ._warn import user_stacklevel

# the readers of dates moved to skbucket.dates in 0.8.6: importable from here as before
# (and by `from skbucket.prompts import *`), documented there
from .dates import *  # noqa: F403
from .dates import __all__ as _moved_to_dates
from .dates import (
    _fitted_day_month,
    _is_number_cell,
    _unparsed_text,
    dates_seen,
    read_dates,
    timeless,
    undated_hint,  # noqa: F401 (importable from here as before)
)

__all__ = [
    "DEFAULT_COLUMNS",
    "ROLES",
    "TEMPLATE_FIELDS",
    "NoPostTextWarning",
    "PromptBuilder",
    "PromptError",
    *_moved_to_dates,
]

#: The parts of a post a prompt can use, in the seed's order.
ROLES = ("caption", "content", "company", "username", "date")

#: Default input column of each role (the challenge data's names).
DEFAULT_COLUMNS = {
    "caption": "caption",
    "content": "content",
    "company": "inferred_company",
    "username": "username",
    "date": "date",
}

#: The seed's label of each role in the default template.
LABELS = {
    "caption": "Caption for Image of post",
    "content": "Text content",
    "company": "Inferred company",
    "username": "Username",
    "date": "Date and time",
}

HEADER = "Following is the information about Twitter post."

#: Names a custom template can use (``str.format`` fields / keys of the callable's dict).
TEMPLATE_FIELDS = (
    "caption",
    "content",
    "company",
    "username",
    "date",
    "weekday",
    "hour",
    "hour_text",
    "when",
)

UNKNOWN = "unknown"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBERS = (
    "twelve",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
)


class PromptError(ValueError):
    """Bad input or bad template for :class:`PromptBuilder` (a ``ValueError``)."""


class NoPostTextWarning(UserWarning):
    """The post text is not read at fit: :class:`PromptBuilder` found neither the ``caption``
    nor the ``content`` column, or there is no ``content`` column while another column holds
    text that is not read (also said by :class:`~skbucket.features.PostFeatures` and the seed
    pipeline).

    The prompts then describe who posted and when, but nothing of what was posted: almost
    always a renamed text column (map it with ``columns={"content": "text"}``). To build
    text-free prompts on purpose, drop the roles: ``columns={"caption": None, "content": None}``.
    """


#: a format spec's zero flag with a width and no alignment ("02"): it pads a str on the right
_ZERO_PADDED = re.compile(r"0+[1-9][0-9]*(?:\.[0-9]+)?s?\Z")

_PUNCTUATION = ".,;:!?'\"()[]{}-–—…«»“”‘’¡¿"


def _prose_columns(X, read) -> list:
    """The columns of the DataFrame ``X`` other than ``read`` that hold prose: at least half of
    their first 200 texts hold three words or more (runs of letters between spaces: a post's
    text under another name; ids, handles, categories, URLs and the scraper's media lists
    hold none or fewer), and at least half of those texts differ (posts' texts do; a place,
    an account's display name or a campaign repeats over its posts: "Los Angeles, CA" beside
    media-only posts is no text left out)."""
    out = []
    for column in X.columns:
        if column in read or not isinstance(column, str):
            continue
        values = X[column]
        if getattr(values, "ndim", 1) != 1 or values.dtype.kind in "biufcmM":
            continue
        # the first 200 texts, not those of the first 200 rows: posts without text first
        # (captioned posts concatenated before tweets) hid the tweets' renamed text column
        texts = list(
            itertools.islice((v for v in values.dropna() if isinstance(v, str) and v.strip()), 200)
        )
        if not texts:
            continue
        worded = sum(sum(w.strip(_PUNCTUATION).isalpha() for w in t.split()) >= 3 for t in texts)
        if 2 * worded >= len(texts) and 2 * len(set(texts)) >= len(texts):
            out.append(column)
    return out


#: True while the seed pipeline fits its PromptBuilder on posts it has just said leave their
#: text out (its NoPostTextWarning, naming the column): the builder's own "X has no post
#: text", near-identical and with the same remedy, is not said again (a fit said both; the
#: command line printed the first only). A context variable, not a warning filter: another
#: thread's warnings are left as they are.
_TEXT_LEFT_OUT_SAID: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "skbucket_text_left_out_said", default=False
)


def _warn_unread_text(X, read, reader: str, advice) -> bool:
    """Warn (:class:`NoPostTextWarning`) that ``X`` has no ``content`` column while some
    column other than those ``read`` holds prose, which ``reader`` leaves out; ``advice`` is
    the remedy, or a function of the unread columns giving it (so its example names them).
    Returns whether it warned."""
    if "content" in getattr(X, "columns", ()):
        return False
    unread = _prose_columns(X, set(read))
    if unread:
        warnings.warn(
            f"{reader}: X has no 'content' column, and its column(s) {unread} hold text that "
            f"is not read, so the post text is left out; "
            f"{advice(unread) if callable(advice) else advice} (If it is not the posts' text, "
            "as beside posts that are only media, ignore this NoPostTextWarning.)",
            NoPostTextWarning,
            stacklevel=user_stacklevel(),
        )
    return bool(unread)


def spell_hour(hour: int) -> str:
    """Spell an hour of the day (0-23) the way a person says it.

    Examples
    --------
    >>> [spell_hour(h) for h in (0, 3, 10, 12, 15, 19, 23)]
    ['midnight', 'three at night', 'ten in the morning', 'noon', 'three in the afternoon', \
'seven in the evening', 'eleven at night']
    """
    if hour == 0:
        return "midnight"
    if hour == 12:
        return "noon"
    word = _NUMBERS[hour % 12]
    if hour < 5:
        return f"{word} at night"
    if hour < 12:
        return f"{word} in the morning"
    if hour < 18:
        return f"{word} in the afternoon"
    if hour < 21:
        return f"{word} in the evening"
    return f"{word} at night"


def _text(value, column=None, role=None, row=None, owner="PromptBuilder") -> str | None:
    """A cell as prompt text (verbatim for strings, but for its line ends, each ``\\n``), or
    None when missing.

    Bytes, lists and other containers, and strings that are not valid Unicode (lone
    surrogates, left by decoding non-UTF-8 bytes with ``errors="surrogateescape"``) raise
    :class:`PromptError` naming the column and the row: their ``str()`` would put
    ``b'...'``, ``['...']`` or unencodable text into the prompt.
    """
    if type(value) is str and value.isascii():  # the usual cell: valid Unicode, no checks
        return _line_ends(value) if value.strip() else None
    problem = _cell_problem(value)  # before the missing check: a list is not "missing"
    if problem is not None:
        raise PromptError(f"{owner}: column {column!r} (role {role!r}), row {row!r}: {problem}")
    if _is_missing(value):
        return None
    if not isinstance(value, str):
        return _category_text(value)  # 12345.0 (an id column with a gap) is 12345
    return _line_ends(value)


_NO_DATE = dict.fromkeys(("date", "weekday", "hour", "hour_text", "when"))


def _date_fields(ts) -> dict[str, str | None]:
    """The date fields of one Timestamp: the plain definition, which the tests hold
    :func:`_date_field_rows` (what a transform runs, a column at a time) to."""
    if pd.isna(ts):
        return dict(_NO_DATE)
    return _fields_of(ts.strftime("%Y-%m-%d %H:%M:%S"), ts.hour, ts.day_of_week)


def _fields_of(date: str, hour: int | None, day: int) -> dict[str, str | None]:
    """The date fields of a template from a date's text, hour (None: a day without a time of
    day, whose hour fields are missing) and day of the week."""
    weekday = _WEEKDAYS[day]
    if hour is None:
        return {
            "date": date,
            "weekday": weekday,
            "hour": None,
            "hour_text": None,
            "when": f"{date}, posted on {weekday}",
        }
    hour_text = spell_hour(hour)
    return {
        "date": date,
        "weekday": weekday,
        "hour": str(hour),
        "hour_text": hour_text,
        "when": f"{date}, posted on {weekday} at {hour_text}",
    }


def _date_field_rows(dates: pd.Series, days_only=None) -> Iterator[dict[str, str | None]]:
    """:func:`_date_fields` of every date of ``dates`` (naive ``datetime64``), in row order,
    read column by column: a Timestamp taken row by row (``.iloc[i]``) was half of a
    transform's time. One row's dict at a time (a list of them all held a dict per post while
    the prompts were built: a third of the peak memory of a transform). Missing dates share
    one dict, which the caller only reads. ``days_only`` (:func:`timeless` of the raw
    column): those rows' dates are written without a time and their hour is missing."""
    missing = dates.isna().to_numpy()
    texts = dates.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    hours = dates.dt.hour.to_numpy(dtype=float)  # NaN where missing
    days = dates.dt.day_of_week.to_numpy(dtype=float)
    if days_only is None:
        days_only = np.zeros(len(texts), dtype=bool)
    for i, date in enumerate(texts):
        if missing[i]:
            yield _NO_DATE
        elif days_only[i]:
            yield _fields_of(date[:10], None, int(days[i]))
        else:
            yield _fields_of(date, int(hours[i]), int(days[i]))


class PromptBuilder(TransformerMixin, BaseEstimator):
    """Turn a DataFrame of posts into one instruction prompt per row.

    The default prompt follows the seed solution's instruction data (see the module
    docstring for the source and the three deliberate changes)::

        Following is the information about Twitter post. Caption for Image of post:
        <caption>, Text content: <content>, Inferred company: <company>, Username:
        <username>, Date and time: <YYYY-MM-DD HH:MM:SS>, posted on <Weekday> at <hour
        spelled out>.

    Each post is described by up to five *roles* — ``caption``, ``content``,
    ``company``, ``username`` and ``date`` — each read from one column (see
    ``columns``). Text is inserted verbatim (never stripped or cleaned).

    Parameters
    ----------
    template : str, callable or None, default=None
        ``None`` uses the seed-style template above, in which a missing text field
        (None, NaN, NA, NaT, empty or whitespace-only string) is left out and a missing
        or unparseable date reads ``Date and time: unknown``.
        A ``str`` is a :meth:`str.format` template over the fields
        ``{caption}``, ``{content}``, ``{company}``, ``{username}``, ``{date}``
        (``YYYY-MM-DD HH:MM:SS``), ``{weekday}`` (``Monday``...), ``{hour}`` (``0``-``23``),
        ``{hour_text}`` (``ten in the morning``) and ``{when}`` (the default template's
        date text); a missing field, or the field of a role that is not used, is
        ``"unknown"``. A date written without a time of day (``2020-06-15``; see
        :func:`timeless`) gives ``{date}`` as ``YYYY-MM-DD``, ``{when}`` without a time, and
        ``{hour}``/``{hour_text}`` missing (it was read as midnight). Every field is text: a
        format spec such as ``{content:.200}`` (the first 200 characters) or ``{hour:0>2}``
        (``07``) applies; an attribute or index (``{content.upper}``, ``{caption[0]}``), and
        a zero padding without an alignment (``{hour:02}``, which pads text on its right:
        ``70``), are refused at fit. A
        callable gets a ``dict`` with those same keys plus ``"missing"`` (a ``frozenset`` of
        the missing field names, so it can leave them out) and must return a ``str``.
    columns : dict, list or None, default=None
        Which column holds each role.

        - ``None``: the default names :data:`DEFAULT_COLUMNS` (``caption``, ``content``,
          ``inferred_company``, ``username``, ``date``); every role is optional and
          the roles whose column is present at ``fit`` are used. (The tweets have no
          ``caption`` column and the captioned posts have no ``content`` column.) When
          neither text role's column is present, ``fit`` warns
          (:class:`NoPostTextWarning`): the prompts would say nothing of the post itself.
        - a ``dict`` ``{role: column}``: overrides the defaults of the roles it names;
          a role named with a column is **required** at fit, a role mapped to ``None``
          is not used, and unnamed roles keep their optional default, unless that column
          is named for another role (``{"content": "caption"}`` reads the ``caption``
          column as the post's text only, not as its caption too).
        - a ``list`` of roles: exactly those roles, under their default names, all
          required.
    dayfirst : bool, default=False
        Read ambiguous numeric dates such as ``03/04/2021`` day first (3 April) instead of
        month first (4 March). A date column that contradicts it (``13/04/2021``, only
        readable day first, next to an ambiguous ``03/04/2021`` that would be misread) raises
        :class:`PromptError` naming both rows (see :func:`day_month_conflict`). The check sees
        the dates of one call (and those of fit, ``day_month_examples_``): a model that
        predicts one post at a time, or small chunks, reads a day-first ``03/04/2021`` month
        first without an error when nothing in that call or at fit settles the order. Set
        ``dayfirst`` to the order of your data, or check a whole column once with
        :func:`check_day_month`.

    Attributes
    ----------
    columns_ : dict
        ``{role: column}`` of the roles used, found at fit. ``transform`` needs these
        columns (extra columns are ignored) and raises :class:`PromptError` naming a
        missing one and the columns present.
    day_month_examples_ : tuple of str
        Numeric dates of the date column seen at fit that settle its day/month order
        (:func:`day_month_examples`; empty without a date column): ``transform`` refuses
        dates that contradict them, e.g. an ambiguous ``03/04/2021`` read month first after
        ``13/04/2021`` was seen at fit, unless ``dayfirst`` was changed since (new data in
        the other order, see :func:`dates_seen`).
    dayfirst_ : bool
        The ``dayfirst`` of the fit.
    n_features_in_ : int
        Number of columns seen at fit.
    feature_names_in_ : ndarray of str
        Columns seen at fit; only when every column name is a string (as in scikit-learn).

    Notes
    -----
    Dates: ``datetime64`` columns, ``datetime`` objects and strings in mixed formats
    are accepted (see :func:`parse_dates`); tz-aware times are converted to UTC and
    naive times are taken as UTC, so the weekday and hour are UTC ones. An
    unparseable date is not an error: that row's date reads ``unknown`` (documented
    fallback), with an :class:`~skbucket.features.UnparseableDateWarning` naming the
    column and the rows when it is a number, or a number written as text (epoch seconds
    such as ``"1617235200"``, which :func:`parse_dates` reads as no date); a date column of a numeric dtype (epoch numbers) is refused with
    :class:`PromptError`, as :class:`~skbucket.features.PostFeatures` refuses it. Input must be a DataFrame (named columns are how roles are found): pandas,
    or a polars DataFrame or pyarrow Table, read as pandas; anything else raises
    :class:`PromptError`. A text cell that is not a ``str`` is written as text: a number with
    ``str()``, a whole float as an integer (``12345.0`` reads ``12345``, as an id or a
    username stored as a float column should), except bytes, lists and other containers, and
    text that is not valid Unicode (lone surrogates from non-UTF-8 bytes), which raise
    :class:`PromptError` naming the column and the row.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({
    ...     "content": ["New bikes are here! <hyperlink>", None],
    ...     "username": ["BikeCo", "BikeCo"],
    ...     "inferred_company": ["bikeco", "bikeco"],
    ...     "date": ["2020-12-12 10:47:00", "not a date"],
    ... })
    >>> builder = PromptBuilder().fit(posts)
    >>> builder.columns_
    {'content': 'content', 'company': 'inferred_company', 'username': 'username', \
'date': 'date'}
    >>> prompts = builder.transform(posts)
    >>> print(prompts[0, 0])
    Following is the information about Twitter post. Text content: New bikes are here!
    <hyperlink>, Inferred company: bikeco, Username: BikeCo, Date and time: 2020-12-12
    10:47:00, posted on Saturday at ten in the morning.
    >>> print(prompts[1, 0])
    Following is the information about Twitter post. Inferred company: bikeco, Username:
    BikeCo, Date and time: unknown.
    >>> short = PromptBuilder(template="{username} on {weekday}: {content}")
    >>> short.set_output(transform="pandas").fit_transform(posts)["prompt"].tolist()
    ['BikeCo on Saturday: New bikes are here! <hyperlink>', 'BikeCo on unknown: unknown']
    """

    def __init__(self, template=None, columns=None, dayfirst=False):
        self.template = template
        self.columns = columns
        self.dayfirst = dayfirst

    # ------------------------------------------------------------------ helpers
    def _resolve_columns(self) -> tuple[dict[str, str], set[str]]:
        """Return ({role: column} of candidate roles, set of required roles)."""
        columns = self.columns
        if columns is None:
            return dict(DEFAULT_COLUMNS), set()
        if isinstance(columns, Mapping):
            unknown = [role for role in columns if role not in ROLES]
            if unknown:
                raise PromptError(
                    f"{type(self).__name__}: unknown role(s) {unknown} in `columns`; the roles are "
                    f"{list(ROLES)} (map a role to a column name, or to None to drop it)."
                )
            mapping, required = dict(DEFAULT_COLUMNS), set()
            for role, column in columns.items():
                if column is None:
                    del mapping[role]
                    continue
                try:  # a list of columns was a bare "unhashable type: 'list'" at fit
                    hash(column)
                except TypeError:
                    raise PromptError(
                        f"{type(self).__name__}: `columns` maps role {role!r} to "
                        f"{type(column).__name__} {column!r:.60}, not to a column name: a role "
                        "reads one column. To prompt with the text of several columns, join "
                        "them into one first, e.g. X['text'] = X['title'] + ' ' + X['body']."
                    ) from None
                else:
                    mapping[role] = column
                    required.add(role)
            # a column given for a role is not also read by another role under its default
            # name: columns={"content": "caption"} (a post's own text in a "caption" column)
            # wrote it twice, as "Caption for Image of post: <text>, Text content: <text>"
            given = {mapping[role] for role in required}
            for role in [r for r in mapping if r not in required]:
                if mapping[role] in given:
                    del mapping[role]
            return mapping, required
        if isinstance(columns, Sequence) and not isinstance(columns, str):
            unknown = [role for role in columns if role not in ROLES]
            if unknown:
                raise PromptError(
                    f"{type(self).__name__}: unknown role(s) {unknown} in `columns`; the roles are "
                    f"{list(ROLES)}."
                )
            return {r: DEFAULT_COLUMNS[r] for r in ROLES if r in columns}, set(columns)
        raise PromptError(
            f"{type(self).__name__}: "
            "`columns` must be None, a dict {role: column} or a list of "
            f"roles, got {type(columns).__name__}."
        )

    def _check_template(self, *, fitted=False):
        """Refuse a template that cannot fill every prompt. ``fitted=True`` (transform) of a
        builder fitted before 0.8.6 (no ``_refuses_indexed_fields_``) only warns of an
        indexed field, which fit refuses from 0.8.6 on: it goes on writing the prompts it was
        fitted on; one fitted since, given the field by ``set_params``, refuses it."""
        template = self.template
        if template is None or callable(template):
            return
        if not isinstance(template, str):
            raise PromptError(
                f"{type(self).__name__}: "
                "`template` must be None, a str.format template or a "
                f"callable, got {type(template).__name__}."
            )
        try:  # an unmatched brace: "expected '}' before end of string"
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise PromptError(
                f"{type(self).__name__}: template {template!r} is invalid: {exc}"
            ) from exc
        for _, name, spec, _ in parsed:
            if name is None:
                continue
            field = name.split(".")[0].split("[")[0]
            if spec and _ZERO_PADDED.match(spec) and field in TEMPLATE_FIELDS:
                # a number's zero padding; on text (Python 3.10 on) it pads on the right, so
                # {hour:02} wrote 1 am as "10", as 10 am, and 7 am as "70"
                problem = (
                    f"{type(self).__name__}: template field {{{name}:{spec}}} pads the field "
                    f"with zeros on its right, as for any text ({{hour:02}} writes hour '1' as "
                    f"'10'): every field is text; {{{field}:0>{spec.lstrip('0')}}} pads it "
                    "with zeros on its left, or use a callable template."
                )
                if not fitted:
                    raise PromptError(problem)
                warnings.warn(  # a fitted model goes on writing the prompts it was fitted on
                    problem + " Refit with another template.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
            if field not in TEMPLATE_FIELDS:
                raise PromptError(
                    f"{type(self).__name__}: template field {{{name}}} is not available; the "
                    f"fields are {list(TEMPLATE_FIELDS)}."
                )
            if "." in name:  # {content.upper} wrote "<built-in method upper of str ...>"
                raise PromptError(
                    f"{type(self).__name__}: template field {{{name}}} reads an attribute of a str "
                    f"(the fields are text: a method's description would fill it); use the "
                    f"field as it is (a format spec such as {{{field}:.200}} cuts it), or a "
                    f"callable template."
                )
            if "[" in name:  # {caption[0]} wrote the caption's first character
                problem = (
                    f"{type(self).__name__}: template field {{{name}}} indexes a str (the "
                    f"fields are text: it gives one character of it); use the field as it is "
                    f"(a format spec such as {{{field}:.200}} cuts it), or a callable template."
                )
                if not fitted or getattr(self, "_refuses_indexed_fields_", False):
                    raise PromptError(problem)
                warnings.warn(
                    problem + " Fitted before skbucket 0.8.6 refused it: refit with another "
                    "template.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
        try:
            template.format(**dict.fromkeys(TEMPLATE_FIELDS, UNKNOWN))
        except (ValueError, IndexError, KeyError, AttributeError) as exc:
            hint = ""
            if isinstance(exc, ValueError) and "format code" in str(exc):
                hint = (
                    "; every field is text (hour is '7', not 7), so a number's format code "
                    "such as 'd' or 'f' does not apply: {hour:0>2} pads it to two digits "
                    "('07'), or use a callable template"
                )
            elif isinstance(exc, KeyError):  # a nested spec, {content:{width}}
                hint = f"; {exc} is not a field (the fields are {list(TEMPLATE_FIELDS)})"
            raise PromptError(
                f"{type(self).__name__}: template {template!r} is invalid: {exc}{hint}"
            ) from exc

    def _check_params(self) -> None:
        """The checks of ``fit`` that need no data (``template``, ``columns``,
        ``dayfirst``), for :func:`skbucket.pipeline.check_params` to run before any work."""
        self._check_template()
        self._check_dayfirst()
        self._resolve_columns()

    def _check_dayfirst(self):
        if not isinstance(self.dayfirst, bool | np.bool_):
            raise PromptError(
                f"{type(self).__name__}: `dayfirst` must be True or False, got {self.dayfirst!r}."
            )

    def _check_frame(self, X, where: str) -> pd.DataFrame:
        X = as_pandas(X)
        if not isinstance(X, pd.DataFrame):
            shape = getattr(X, "shape", None)
            if hasattr(X, "tocsr"):  # scipy.sparse matrix or array
                raise PromptError(
                    f"{type(self).__name__}.{where}: sparse input is not supported; pass a pandas "
                    "DataFrame of posts."
                )
            raise PromptError(
                f"{type(self).__name__}.{where} needs a pandas or polars DataFrame with named "
                "columns (the "
                f"roles are found by column name), got {type(X).__name__}"
                + (f" of shape {shape}" if shape is not None else "")
                + "."
            )
        return X

    # ---------------------------------------------------------------- estimator
    @refit
    def fit(self, X, y=None):
        """Find the columns of the roles used.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame or pyarrow Table is read as pandas)
            Posts, one per row.
        y : ignored
            Accepted for pipeline compatibility.

        Returns
        -------
        self : PromptBuilder
        """
        X = self._check_frame(X, "fit")
        if len(X) == 0:  # as scikit-learn's estimators: nothing to fit on is an error
            raise PromptError(
                f"{type(self).__name__}.fit: "
                f"found 0 posts (shape={X.shape}) while a minimum of 1 is "
                "required."
            )
        self._check_template()
        self._check_dayfirst()
        mapping, required = self._resolve_columns()
        present = [str(c) for c in X.columns]
        missing = [
            f"{mapping[r]!r} (role {r!r})"
            for r in ROLES
            if r in required and mapping[r] not in X.columns
        ]
        if missing:
            raise PromptError(
                f"{type(self).__name__}: required column(s) {', '.join(missing)} not in X; "
                f"X has columns {column_list(present)}."
            )
        used = {r: mapping[r] for r in ROLES if r in mapping and mapping[r] in X.columns}
        if not used:
            raise PromptError(
                f"{type(self).__name__}: "
                "X has none of the columns "
                f"{[mapping[r] for r in ROLES if r in mapping]} (roles "
                f"{[r for r in ROLES if r in mapping]}); X has columns {present}. "
                "Rename the columns or pass `columns={role: column}`."
            )
        for role, column in used.items():  # repeated, or the first level of a MultiIndex
            self._column(X, column, role)
        text_roles = [r for r in ("caption", "content") if r in mapping]
        if "content" in mapping and "content" not in used and "caption" in used:
            # a caption, but the post's own text under another name?
            _warn_unread_text(
                X,
                used.values(),
                type(self).__name__,
                f"map it with columns={{'content': <name>}} (now {mapping['content']!r}).",
            )
        if text_roles and not any(r in used for r in text_roles) and not _TEXT_LEFT_OUT_SAID.get():
            looked_for = ", ".join(f"{mapping[r]!r} (role {r!r})" for r in text_roles)
            warnings.warn(
                f"{type(self).__name__}: X has no post text: no column {looked_for} among its "
                f"columns {present}, so the prompts hold only the roles {list(used)}. Map "
                "your text column with columns={'content': <name>} (a pipeline of "
                "make_seed_pipeline takes it as make_seed_pipeline(columns=...)), or drop the "
                "text roles with columns={'caption': None, 'content': None} to do this on "
                "purpose.",
                NoPostTextWarning,
                stacklevel=user_stacklevel(),
            )
        self.day_month_examples_: tuple[str, ...] = ()
        if "date" in used:
            self.day_month_examples_ = _fitted_day_month(
                self._column(X, used["date"], "date"),
                dayfirst=bool(self.dayfirst),
                column=used["date"],
                error=PromptError,
                prefix=f"{type(self).__name__}: ",
            )
        self.dayfirst_ = bool(self.dayfirst)
        self.columns_ = used
        self._refuses_indexed_fields_ = True  # fitted by 0.8.6 or later (_check_template)
        self.n_features_in_ = X.shape[1]
        if all(isinstance(c, str) for c in X.columns):  # as scikit-learn: string names only
            self.feature_names_in_ = np.asarray(present, dtype=object)
        return self

    def transform(self, X):
        """Build one prompt per row.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame or pyarrow Table is read as pandas)
            Posts with (at least) the columns in ``columns_``.

        Returns
        -------
        ndarray of shape (n_samples, 1), dtype object
            The prompts (a DataFrame with one column ``prompt`` under
            ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        X = self._check_frame(X, "transform")
        self._check_template(fitted=True)
        absent = [f"{c!r} (role {r!r})" for r, c in self.columns_.items() if c not in X.columns]
        if absent:
            raise PromptError(
                f"{type(self).__name__}: "
                f"column(s) {', '.join(absent)} seen at fit are missing from "
                f"X; X has columns {column_list(str(c) for c in X.columns)}."
            )
        n = len(X)
        index = X.index.tolist()
        texts = {}
        for role, column in self.columns_.items():
            values = self._column(X, column, role)
            if role != "date":
                texts[role] = [
                    _text(v, column, role, index[i], type(self).__name__)
                    for i, v in enumerate(values.to_numpy(dtype=object))
                ]
        dates = None
        if "date" in self.columns_:
            self._check_dayfirst()
            column, dayfirst = self.columns_["date"], bool(self.dayfirst)
            dates = read_dates(
                X[column],
                dayfirst=dayfirst,
                column=column,
                error=PromptError,
                prefix=f"{type(self).__name__}: ",
                seen=dates_seen(self),
            )

            self._warn_number_dates(X[column], dates, column)

        date_rows = (
            None
            if dates is None
            else _date_field_rows(dates, timeless(X[self.columns_["date"]], dates))
        )
        prompts = np.empty((n, 1), dtype=object)
        for i in range(n):
            fields = {r: texts[r][i] if r in texts else None for r in ROLES if r != "date"}
            if date_rows is not None:
                fields.update(next(date_rows))
            prompts[i, 0] = self._render(fields, dates is not None, index[i])
        return prompts

    def _warn_number_dates(self, values, dates, column) -> None:
        """Warn (:class:`~skbucket.features.UnparseableDateWarning`, as
        :class:`~skbucket.features.PostFeatures` does) of date cells that are numbers, or
        numbers written as text (epoch seconds such as ``"1617235200"``), which are no dates
        (:func:`parse_dates`): their prompts read ``unknown``, as a column of a numeric dtype
        is refused. Other text that is no date reads ``unknown`` without a word."""
        from .features import UnparseableDateWarning  # skbucket.features imports this module

        cells = values.to_numpy(dtype=object)
        unread = np.flatnonzero(dates.isna().to_numpy())
        rows = [i for i in unread if _is_number_cell(cells[i])]
        if not rows:
            return
        labels = [plain(label) for label in values.index[rows]]
        warnings.warn(
            f"{type(self).__name__}: {_unparsed_text(column, labels, cells[rows[0]])}; their "
            f"prompts read 'Date and time: {UNKNOWN}'.",
            UnparseableDateWarning,
            stacklevel=user_stacklevel(),
        )

    def _column(self, X, column, role) -> pd.Series:
        values = X[column]
        if isinstance(values, pd.DataFrame):
            # a first level ("content", "x") of a MultiIndex is no column: "appears 1 times in
            # X; column names must be unique" said nothing of the levels
            check_flat_columns(X, type(self).__name__, [column], PromptError)
            raise PromptError(
                f"{type(self).__name__}: column {column!r} (role {role!r}) appears "
                f"{values.shape[1]} times in X; column names must be unique."
            )
        return values

    def _render(self, fields: dict, has_date: bool, row) -> str:
        template = self.template
        if template is None:
            parts = [
                f"{LABELS[r]}: {fields[r]}"
                for r in ("caption", "content", "company", "username")
                if r in self.columns_ and fields[r] is not None
            ]
            if has_date:
                parts.append(f"{LABELS['date']}: {fields['when'] or UNKNOWN}")
            return HEADER + (" " + ", ".join(parts) + "." if parts else "")
        missing = frozenset(f for f in TEMPLATE_FIELDS if fields.get(f) is None)
        filled = {f: UNKNOWN if fields.get(f) is None else fields[f] for f in TEMPLATE_FIELDS}
        if isinstance(template, str):
            try:
                return template.format(**filled)
            except (IndexError, KeyError, AttributeError, ValueError, TypeError) as exc:
                # fit refuses what fails on one row only ({content[40]} on a short post),
                # which a model fitted before 0.8.6 may hold (transform warns of it)
                raise PromptError(
                    f"{type(self).__name__}: "
                    f"template {template!r} cannot be filled for row {row!r} "
                    f"({type(exc).__name__}: {exc}); index or format a field only in ways "
                    "every post allows, or pass a callable template."
                ) from exc
        try:
            result = template({**filled, "missing": missing})
        except Exception as exc:
            exc.add_note(f"({type(self).__name__}: in the template callable, for row {row!r})")
            raise
        if not isinstance(result, str):
            raise PromptError(
                f"{type(self).__name__}: "
                f"the template callable returned {type(result).__name__} for "
                f"row {row!r}; it must return a str."
            )
        return result

    def get_feature_names_out(self, input_features=None):
        """The one output column, ``prompt``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Must match :attr:`feature_names_in_` when given, as in scikit-learn.

        Returns
        -------
        ndarray of str, shape (1,)
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return np.asarray(["prompt"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a DataFrame whose columns are found by name, never a 2-D array (refused
        # with a PromptError); scikit-learn's generic checks cannot build such input.
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []
        return tags
