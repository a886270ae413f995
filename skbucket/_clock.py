"""The time a report is dated with: now, or the one ``SOURCE_DATE_EPOCH`` names.

A module of its own, importing nothing heavy, so that the command line can refuse a setting
numpy cannot read before it imports scikit-learn: numpy's ``f2py``, which SciPy imports, reads
``SOURCE_DATE_EPOCH`` with ``int()`` at import and fails with a traceback on ``"yesterday"`` or
``"1.5"`` (:func:`check_numpy_can_read`).
"""

from __future__ import annotations

import datetime as _dt
import os

__all__ = ["check_numpy_can_read", "generated_at"]

_MUST = "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC"


def check_numpy_can_read() -> None:
    """Refuse a ``SOURCE_DATE_EPOCH`` that numpy's ``f2py`` cannot read when scikit-learn is
    imported (with a traceback): one ``int()`` cannot read, or one ``time.gmtime`` cannot
    take (nanoseconds, ``date +%s%N``); any other whole number passes, as there.

    Raises
    ------
    ValueError
        Naming the value.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return
    import time

    try:
        time.gmtime(int(epoch))
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"{_MUST} (numpy reads it as scikit-learn is imported); got {epoch!r}."
        ) from None


def generated_at() -> _dt.datetime:
    """Now, or the time ``SOURCE_DATE_EPOCH`` names (reproducible builds), in UTC.

    Raises
    ------
    ValueError
        When ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds since 1970
        that a date can hold (milliseconds, a common slip, name a year past 9999).

    Examples
    --------
    >>> import os
    >>> from skbucket._clock import generated_at
    >>> os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    >>> generated_at().isoformat()
    '2023-11-14T22:13:20+00:00'
    >>> os.environ["SOURCE_DATE_EPOCH"] = "yesterday"
    >>> generated_at()
    Traceback (most recent call last):
    ...
    ValueError: SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC ...
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return _dt.datetime.now(_dt.UTC)
    try:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"{_MUST} that a date can hold (it dates the report); got {epoch!r}."
        ) from None
