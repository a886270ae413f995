"""What skbucket makes of one table cell: missing or not, as text, and what keeps it from
being read as text (the prompts', the post features' and the command line's readers share
these, so a cell means one thing to all of them)."""

from __future__ import annotations

import decimal
import math

import numpy as np
import pandas as pd


def _is_missing(value) -> bool:
    """None, NaN, NA, NaT, or a string that is empty or only whitespace."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes: not a missing scalar
        return False


def _category_text(value) -> str:
    """A value as text, the way skbucket compares accounts: ``7``, ``7.0``, ``np.int64(7)``,
    ``Decimal("7.00")`` and ``"7"`` are all ``"7"`` (an integer id column turns float when one
    id is missing; a database's ``NUMERIC(12, 2)`` column, or a pyarrow ``decimal128(12, 2)``
    one, holds decimals written with their scale).

    Floats hold integers exactly only up to 2**53: larger ids (a 19-digit status id, say)
    read as floats have already lost digits, so read such columns as text or as a nullable
    integer type (``dtype={"username": str}``), as ``skbucket``'s command line reads ``id``.
    """
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, decimal.Decimal) and _whole_decimal(value):
        # str wrote its scale: Decimal("7.00") was account "7.00"; written without int(),
        # which cannot write more than 4,300 digits (Decimal("1E+5000") raised ValueError)
        return format(value.to_integral_value(), "f") if value else "0"
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _unicode_problem(text: str) -> str | None:
    """What makes ``text`` invalid Unicode (a lone surrogate, as decoding non-UTF-8 bytes
    with ``errors="surrogateescape"`` leaves), or None when it is valid."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"the text is not valid Unicode (lone surrogate {text[exc.start]!r} at "
            f"character {exc.start}), as left by decoding non-UTF-8 bytes with "
            "errors='surrogateescape'; decode with errors='replace' instead."
        )
    return None


def _not_one_text(value) -> str | None:
    """Why a cell is no single text or number (bytes, or a list/tuple/dict/set/array, whose
    ``str()`` would be taken for a text such as ``"b'CNN'"`` or ``"['CNN']"``), or None."""
    if isinstance(value, bytes | bytearray | memoryview):
        return (
            f"expected text (str), got {type(value).__name__} {bytes(value[:40])!r}; decode "
            "it first, e.g. value.decode('utf-8', errors='replace')."
        )
    if isinstance(value, list | tuple | dict | set | frozenset | np.ndarray):
        return f"expected one text or number, got a {type(value).__name__} ({value!r:.60})"
    return None


def _cell_problem(value) -> str | None:
    """Why a cell cannot be read as text: no single text or number (:func:`_not_one_text`),
    or a string that is not valid Unicode (:func:`_unicode_problem`); None when it can."""
    return _unicode_problem(value) if isinstance(value, str) else _not_one_text(value)


def _bad_text_cell(values) -> tuple[int, str] | None:
    """``(position, message)`` of the first cell among ``values`` with a
    :func:`_cell_problem`, or None. pandas' text columns cannot hold a string that is not
    valid Unicode (a UnicodeEncodeError that names no row), and no account is written so."""
    for i, value in enumerate(values):
        problem = _cell_problem(value)
        if problem is not None:
            return i, problem
    return None


def _line_ends(text: str) -> str:
    """``text`` with its line ends as ``\\n``: a CSV checked out on Windows (git's autocrlf)
    holds ``\\r\\n`` in its multi-line cells, an old Mac file ``\\r``; the same post counted
    and prompted the same either way."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _whole_decimal(value) -> bool:
    """Whether a Decimal is a whole number :func:`_category_text` writes in full: finite,
    with no fraction, and of at most 4,300 digits (Python's own limit for an int's text; a
    larger one, ``Decimal("1E+999999999")``, is no id, and kept as ``str`` writes it rather
    than written out in a billion digits)."""
    return value.is_finite() and value.adjusted() < 4300 and value == value.to_integral_value()
