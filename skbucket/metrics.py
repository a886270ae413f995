"""Evaluation metrics for likes predictions: the one place they are computed.

:func:`evaluate` turns true likes and predicted likes (and optionally the
classifier's bucket predictions) into the metrics table used by the ``skbucket``
command line (``evaluate``, ``report``), the HTML report and the accuracy
benchmark:

============================ ===========================================================
key                          meaning
============================ ===========================================================
``rmse``                     RMSE on raw likes (the challenge's metric)
``rmse_log1p``               RMSE on ``log1p(likes)``
``mae_log1p``                MAE on ``log1p(likes)``
``r2``                       R² on raw likes
``r2_log1p``                 R² on ``log1p(likes)``
``bucket_accuracy``          share of rows whose predicted bucket is the true bucket
``bucket_macro_f1``          F1 averaged over the buckets present in the true or
                             predicted buckets (sklearn's ``average="macro"``)
``n_samples``                number of rows evaluated
============================ ===========================================================

Only numpy, pandas and scikit-learn are used here (no matplotlib).
"""

from __future__ import annotations

import numbers
import re
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
)

from skbucket._subestimators import _is_float, _pipeline_steps
from skbucket.bucketed import DEFAULT_BINS, _check_bins, assign_buckets

from ._frames import boolean_likes, plain
from ._warn import user_stacklevel

__all__ = [  # DEFAULT_BINS, imported from skbucket.bucketed, is documented there
    "METRIC_NAMES",
    "METRIC_DESCRIPTIONS",
    "INTERVAL_METRICS",
    "MetricsInputError",
    "PairedDifference",
    "bootstrap_intervals",
    "bucket_labels",
    "evaluate",
    "evaluate_estimator",
    "final_bins",
    "metrics_frame",
    "paired_bootstrap",
    "predict_bucket",
    "predict_bucket_proba",
    "predict_per_bucket",
]

#: Keys of the dictionary returned by :func:`evaluate`, in display order.
METRIC_NAMES = (
    "rmse",
    "rmse_log1p",
    "mae_log1p",
    "r2",
    "r2_log1p",
    "bucket_accuracy",
    "bucket_macro_f1",
    "n_samples",
)

#: What each of :data:`METRIC_NAMES` measures, in words (the report's table and plot labels).
METRIC_DESCRIPTIONS = {
    "rmse": "RMSE on raw likes (the challenge's metric)",
    "rmse_log1p": "RMSE on log1p(likes)",
    "mae_log1p": "MAE on log1p(likes)",
    "r2": "R² on raw likes",
    "r2_log1p": "R² on log1p(likes)",
    "bucket_accuracy": "Bucket accuracy",
    "bucket_macro_f1": "Bucket macro-F1",
    "n_samples": "Rows evaluated",
}


class MetricsInputError(ValueError):
    """Raised when the inputs of a metric are unusable (shape, NaN, negative likes)."""


def _resolve_bins(bins):
    """The bucket edges as a tuple of floats (``DEFAULT_BINS`` for None); edges that are not a
    non-empty, strictly increasing sequence of finite numbers >= 0 raise
    :class:`MetricsInputError` (the check :class:`~skbucket.bucketed.BucketedRegressor` makes)."""
    if bins is None:
        return tuple(float(e) for e in DEFAULT_BINS)  # floats, as for any bins given
    if isinstance(bins, str | bytes):
        raise MetricsInputError(f"bins must be a sequence of numbers; got {bins!r}")
    try:
        return tuple(float(e) for e in _check_bins(bins))
    except ValueError as exc:
        raise MetricsInputError(str(exc)) from None


def bucket_labels(bins=None):
    """Human-readable names of the buckets defined by ``bins``.

    Parameters
    ----------
    bins : sequence of numbers, default=None
        Strictly increasing upper bucket edges >= 0 (inclusive on the right), else
        :class:`MetricsInputError`. ``None`` means :data:`~skbucket.bucketed.DEFAULT_BINS`.

    Returns
    -------
    labels : list of str
        ``len(bins) + 1`` labels. Integer edges give ranges of whole likes
        (``"11-100"``), or the one count a bucket holds (``"0"``, ``"1"``); the last
        bucket is ``">edge"``.

    Examples
    --------
    >>> from skbucket.metrics import bucket_labels
    >>> bucket_labels()
    ['0-10', '11-100', '101-300', '301-500', '501-1000', '1001-2500', '>2500']
    >>> bucket_labels([0, 1, 10])
    ['0', '1', '2-10', '>10']
    >>> bucket_labels([0.5, 2])
    ['<=0.5', '(0.5, 2]', '>2']
    >>> bucket_labels([10, 1_000_000, 1_234_567])
    ['0-10', '11-1000000', '1000001-1234567', '>1234567']
    """
    edges = _resolve_bins(bins)
    integral = all(float(e).is_integer() for e in edges)
    text = _edge_text
    labels = []
    low = None
    for edge in edges:
        if low is None:
            first = f"0-{text(edge)}" if edge > 0 else text(edge)  # one value: "0", not "0-0"
            labels.append(first if integral and edge >= 0 else f"<={text(edge)}")
        elif integral:
            labels.append(text(edge) if edge == low + 1 else f"{text(low + 1)}-{text(edge)}")
        else:
            labels.append(f"({text(low)}, {text(edge)}]")
        low = edge
    labels.append(f">{text(low)}")
    return labels


#: the largest absolute value of likes (true or predicted) the metrics take: squared errors
#: of larger values overflow float64
LARGEST_LIKES = 1e150


def _format_metric(value, missing="nan") -> str:
    """A metric as the command line and the report show it: a count with thousands separated
    (``12,345``), others to 4 decimals (``3,792.5417``), NaN as ``missing``."""
    if isinstance(value, int | np.integer):
        return f"{int(value):,d}"
    value = float(value)
    return missing if np.isnan(value) else f"{value:,.4f}"


def _format_interval(interval, missing="nan") -> str:
    """``"low to high"`` of a :func:`bootstrap_intervals` pair (``""`` for None)."""
    if interval is None:
        return ""
    return f"{_format_metric(interval[0], missing)} to {_format_metric(interval[1], missing)}"


def _edge_text(value) -> str:
    """An edge written exactly: whole numbers in full (``1234567``, not ``1.23457e+06``), others
    as Python's shortest round-trip text, so two different edges never read alike."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _row(values, i) -> str:
    """``"row 2"``, and the row's index label when ``values`` is a pandas Series whose labels
    are not the positions (rows are paired by position; a date error names the label)."""
    index = values.index if hasattr(values, "iloc") else None  # a pandas Series' (not list.index)
    if index is None or getattr(values, "ndim", 1) != 1 or len(index) <= i:
        return f"row {i}"
    label = index[i]
    if isinstance(label, numbers.Integral) and not isinstance(label, bool) and label == i:
        return f"row {i}"
    if isinstance(label, tuple):  # a MultiIndex's: (2, 'a'), not (np.int64(2), np.str_('a'))
        label = tuple(plain(part) for part in label)
    return f"row {i} (index label {plain(label)!r})"


def _as_1d_float(values, name):
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricsInputError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    said = boolean_likes(arr, name)
    if said is not None:
        raise MetricsInputError(f"{said}.")
    if arr.dtype.kind in "cmM":  # float() would drop the imaginary part or count nanoseconds
        kind = {"c": "complex numbers", "m": "time spans", "M": "dates"}[arr.dtype.kind]
        raise MetricsInputError(
            f"{name} must hold like counts (real numbers); got {kind} of dtype {arr.dtype}."
        )
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError, OverflowError) as exc:
        row = next((i for i, v in enumerate(arr) if not _is_float(v)), None)
        # the value as the user wrote it: 'lots', not np.str_('lots')
        where = (
            f": {exc}" if row is None else f"; {_row(values, row)} holds {plain(arr[row])!r:.80}"
        )
        raise MetricsInputError(
            f"{name} must be numeric (numbers within the float64 range){where}"
        ) from exc
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise MetricsInputError(
            f"{name} holds {bad.size} non-finite value(s) (NaN or inf), first at "
            f"{_row(values, bad[0])} (value {float(arr[bad[0]])!r}); expected finite numbers of "
            "likes."
        )
    huge = np.flatnonzero(np.abs(arr) > LARGEST_LIKES)
    if huge.size:  # (1e200 - 0) ** 2 is inf: RMSE and R² would be inf / NaN
        raise MetricsInputError(
            f"{name} {_row(values, huge[0])} holds {float(arr[huge[0]]):g}, beyond "
            f"{LARGEST_LIKES:g}: "
            "its squared error would overflow float64 (RMSE, R²); like counts are far smaller."
        )
    return arr


def _check_buckets(bucket_pred, n_rows, n_buckets, name="bucket_pred"):
    arr = np.asarray(bucket_pred)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise MetricsInputError(
            f"{name} must be one-dimensional with {n_rows} rows, got shape {arr.shape}."
        )
    if arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            row = int(np.flatnonzero(~whole)[0])
            raise MetricsInputError(
                f"{name} must hold integer bucket indices; row {row} holds {arr[row].item()!r}."
            )
    elif arr.dtype.kind not in "iub":
        raise MetricsInputError(f"{name} must hold integer bucket indices, got dtype {arr.dtype}.")
    # in range before the cast: a float such as 1e20 does not fit an int64
    bad = np.flatnonzero((arr < 0) | (arr >= n_buckets))
    if bad.size:
        raise MetricsInputError(
            f"{name} must lie in [0, {n_buckets - 1}] for {n_buckets} buckets; row "
            f"{bad[0]} holds {arr[bad[0]].item()!r}."
        )
    return arr.astype(int)


def _check_likes(y_true, y_pred, pred_name="y_pred"):
    """Validate and return ``(y_true, y_pred)`` as float arrays (``pred_name``: what an error
    calls ``y_pred``)."""
    y_true = _as_1d_float(y_true, "y_true")
    y_pred = _as_1d_float(y_pred, pred_name)
    if y_true.shape[0] != y_pred.shape[0]:
        raise MetricsInputError(
            f"y_true and {pred_name} have different lengths: {y_true.shape[0]} != "
            f"{y_pred.shape[0]}."
        )
    if y_true.shape[0] == 0:
        raise MetricsInputError("cannot evaluate zero rows: y_true is empty.")
    neg = np.flatnonzero(y_true < 0)
    if neg.size:
        raise MetricsInputError(
            "y_true must hold non-negative like counts; "
            f"row {neg[0]} holds {float(y_true[neg[0]])!r}."
        )
    return y_true, y_pred


def _known_rows(X):
    """The number of rows of ``X`` when it is known without computing anything (an array's,
    a DataFrame's or a Table's ``shape[0]``, a list's length), else None (a lazy collection,
    or an input only the estimator reads)."""
    shape = getattr(X, "shape", None)
    if shape is not None:
        try:
            rows = shape[0]
        except (TypeError, IndexError):
            return None
        return int(rows) if isinstance(rows, numbers.Integral) else None
    return len(X) if isinstance(X, list | tuple) else None


def _check_rows(X, y, name="X", why="y holds the true likes of the rows of X, paired by position"):
    """Refuse ``y`` (the true likes) whose rows are not as many as those of ``X`` (or of
    the ``name`` given), before the model is asked to predict (a pipeline that reads images
    and embeds texts takes minutes); the error said ``y_true and y_pred`` (or blamed a
    baseline's predictions) once every post had been predicted."""
    n_x, n_y = _known_rows(X), _known_rows(y)
    if n_x is not None and n_y is not None and n_x != n_y:
        raise MetricsInputError(
            f"{name} has {n_x:,} row{'s' * (n_x != 1)} but y has {n_y:,}: {why}."
        )


def _clip_negative(y_pred, *, warn=True):
    """Clip negative predicted likes to 0 (``log1p`` is undefined below -1)."""
    n_neg = int(np.sum(y_pred < 0))
    if n_neg and warn:
        warnings.warn(
            f"{n_neg} of {y_pred.shape[0]} predicted like counts are negative; they are "
            "clipped to 0 for the log1p metrics and the bucket assignment (the raw rmse "
            "and r2 use the unclipped predictions).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    return np.clip(y_pred, 0, None)


def evaluate(y_true, y_pred, *, bucket_pred=None, bins=None):
    """Compute the metrics table for predicted likes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True like counts (finite, non-negative). Rows are paired by position, as in
        scikit-learn's metrics: a pandas index is not used to align ``y_true`` and ``y_pred``.
    y_pred : array-like of shape (n_samples,)
        Predicted like counts (finite). Negative predictions are allowed: the
        raw ``rmse`` and ``r2`` use them as they are (as the challenge's scorer
        would), while the ``log1p`` metrics and the bucket assignment clip them
        to 0 and a :class:`UserWarning` says how many were clipped.
    bucket_pred : array-like of shape (n_samples,), default=None
        Predicted bucket indices (``0 .. len(bins)``), e.g. from the routing
        classifier (``BucketedRegressor.predict_bucket``). When ``None`` the
        predicted bucket is the bucket of the predicted likes,
        ``assign_buckets(y_pred, bins)``. The true bucket is always
        ``assign_buckets(y_true, bins)``.
    bins : sequence of numbers, default=None
        Upper bucket edges, inclusive on the right; ``None`` means
        :data:`~skbucket.bucketed.DEFAULT_BINS`.

    Returns
    -------
    metrics : dict
        Keys as in :data:`METRIC_NAMES` (floats; ``n_samples`` is an int).
        ``r2``/``r2_log1p`` are NaN for fewer than two rows, or when every true value is the
        same (R² is undefined then).

    Raises
    ------
    MetricsInputError
        On different lengths, empty input, NaN/inf values, negative true likes, values that
        are not real numbers (complex, dates), bucket indices out of range (the message names
        the offending row) or ``bins`` that are not strictly increasing edges >= 0.

    Examples
    --------
    >>> from skbucket.metrics import evaluate
    >>> m = evaluate([0, 50, 2000], [1, 40, 3000])
    >>> round(m["rmse"], 2), round(m["bucket_accuracy"], 3)
    (577.38, 0.667)
    >>> sorted(m)[:3]
    ['bucket_accuracy', 'bucket_macro_f1', 'mae_log1p']
    """
    y_true, y_pred = _check_likes(y_true, y_pred)
    edges = _resolve_bins(bins)
    y_pred_clipped = _clip_negative(y_pred)
    if bucket_pred is not None:
        bucket_pred = _check_buckets(bucket_pred, y_true.shape[0], len(edges) + 1)
    return _scores(y_true, y_pred, y_pred_clipped, bucket_pred, edges)


def _scores(y_true, y_pred, y_pred_clipped, bucket_pred, edges, names=METRIC_NAMES):
    """The metrics ``names`` of :func:`evaluate`'s checked input (``y_pred_clipped``: negative
    predictions as 0; ``bucket_pred`` checked, or None for the buckets of the predicted likes),
    each computed only when asked for: the error-over-time plot asks for one metric per period.
    """
    n = y_true.shape[0]
    # R² is undefined for one row or a constant truth (no variance to explain): NaN for both.
    # scikit-learn's own constant check misses log1p of a constant: the mean of equal floats
    # can differ from them by rounding, which gave r2_log1p = -1e29 beside r2 = 0.
    defined = n > 1 and not np.all(y_true == y_true[0])
    made = {}

    def logs():
        if "logs" not in made:
            made["logs"] = np.log1p(y_true), np.log1p(y_pred_clipped)
        return made["logs"]

    def buckets():
        if "buckets" not in made:
            true = np.asarray(assign_buckets(y_true, edges))
            pred = bucket_pred
            if pred is None:
                pred = np.asarray(assign_buckets(y_pred_clipped, edges))
            made["buckets"] = true, pred
        return made["buckets"]

    nan = float("nan")
    compute = {
        "rmse": lambda: float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "rmse_log1p": lambda: float(np.sqrt(mean_squared_error(*logs()))),
        "mae_log1p": lambda: float(mean_absolute_error(*logs())),
        "r2": lambda: float(r2_score(y_true, y_pred)) if defined else nan,
        "r2_log1p": lambda: float(r2_score(*logs())) if defined else nan,
        "bucket_accuracy": lambda: float(accuracy_score(*buckets())),
        "bucket_macro_f1": lambda: float(f1_score(*buckets(), average="macro", zero_division=0)),
        "n_samples": lambda: int(n),
    }
    return {name: compute[name]() for name in names}


#: The metrics :func:`bootstrap_intervals` gives intervals for (means over rows, so a resample
#: of rows or of groups of rows recomputes them exactly). Not ``rmse`` on raw likes: it rests
#: on the few largest posts, which most test sets lack, and its resampled interval held the
#: true value in only 38-67% of simulated test sets of 10 to 35 companies of the real posts
#: (``benchmarks/bench_intervals.py``).
INTERVAL_METRICS = ("rmse_log1p", "mae_log1p")

#: Resamples drawn at once by ``_resampled_group_sums`` at most, and draws (resamples x groups)
#: held at once at most: the draws and their float copy stay near 64 MB however many groups
#: (rows) there are (1e6 rows resampled one by one peaked at about 200 MB in all).
_RESAMPLE_CHUNK = 200
_MAX_DRAWS = 2**22

#: the most bootstrap resamples :func:`bootstrap_intervals` and :func:`paired_bootstrap` take:
#: each draws every row (or group) once more and keeps a few numbers, so 10^9 ran for days
#: (10^5 resamples of 2,000 rows took half a minute) and held tens of GB; 1,000 to 10,000
#: are the usual counts, and the bounds of a 95% interval barely move past them
_MAX_RESAMPLES = 1_000_000


def _check_groups(groups, n):
    """``groups`` as a 1-D object array of ``n`` values (a one-column frame or 2-D array is
    read as its column), or a :class:`MetricsInputError` that says what was expected."""
    expected = "groups must hold one value per row (array-like of shape (n_samples,))"
    if isinstance(groups, str | bytes) or np.ndim(groups) == 0:
        raise MetricsInputError(f"{expected}; got a single {type(groups).__name__}: {groups!r}.")
    arr = np.asarray(groups, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:  # a one-column DataFrame, as y often arrives
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricsInputError(f"{expected}; got an array of shape {arr.shape}.")
    if arr.shape[0] != n:
        raise MetricsInputError(f"groups has {arr.shape[0]} values for {n} rows.")
    return _blank_as_missing(arr)


def _blank_as_missing(values):
    """``values`` (1-D object array) as the groups the post features and GroupMedianRegressor
    make of an account column: every missing account as None (``_cells._is_missing``: NaN,
    NA, and blank strings, ``""`` or whitespace only; a CSV's empty cell is NaN, a Parquet's
    ``""``), the others as text (``_cells._category_text``: ``7``, ``7.0`` and ``"7"`` are
    one account): the same table must make the same groups."""
    from ._cells import _category_text, _is_missing

    return np.array(
        [None if _is_missing(v) else _category_text(v) for v in values], dtype=object
    ).reshape(len(values))


#: the text of a whole number, as ``_category_text`` writes an integer id
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,4000}")  # int() refuses 4,300 digits and more


def _group_order(value) -> tuple:
    """A sort key of a group value that does not depend on which of the values it stands for
    came first: ``pd.factorize`` merges values that compare equal (``3``, ``3.0``, ``True``
    and ``1``) and keeps the first one's type, so numbers sort by their value, and so do
    the texts of whole numbers (``"10"`` after ``"9"``: an account column of ids, read as
    text, ordered as its numbers were), each then by its text; missing values (one group)
    last, other values by type name and text (mixed types sort too)."""
    from .media import _is_na

    if _is_na(value):
        return (2, "", 0.0, "")
    if isinstance(value, numbers.Integral):  # exact: 19-digit ids stay apart
        return (0, "", int(value), "")
    if isinstance(value, numbers.Real):  # Python compares ints and floats exactly
        return (0, "", float(value), "")
    if isinstance(value, str):  # np.str_ and str: one group, whichever came first
        if _WHOLE_NUMBER.fullmatch(value):
            return (0, "", int(value), str(value))
        return (1, "str", str(value), "")
    return (1, type(value).__name__, str(value), "")


def _resampled_group_sums(values, groups, n_resamples, random_state=None, rows_alone=False):
    """Column sums of ``values`` (and the row count) over bootstrap resamples of the groups.

    The shared core of the cluster bootstrap: each resample draws as many groups as there are,
    with replacement, and adds up the rows of the drawn groups (a group drawn twice counts
    twice). Rows of one group stay together: their errors are not independent (one account,
    one audience).

    Parameters
    ----------
    values : array-like of shape (n_samples, n_columns)
        Per-row quantities to add up (squared errors, absolute errors, ...).
    groups : array-like of shape (n_samples,)
        Group of each row; missing values (None, NaN) form one group.
    n_resamples : int
        Number of resamples.
    random_state : int, RandomState or Generator instance or None, default=None
        Seed of the draws.
    rows_alone : bool, default=False
        Whether ``groups`` is one group per row (the caller's rows resampled one by one):
        the error for too few then speaks of rows.

    Returns
    -------
    totals : ndarray of shape (n_resamples, n_columns + 1)
        Per resample: the sums of the columns of ``values``, then the number of rows.

    Raises
    ------
    MetricsInputError
        When fewer than two groups hold rows (one group gives the same sums every time: an
        interval of zero width, not certainty).
    """
    import pandas as pd
    from sklearn.utils import check_random_state

    values = np.asarray(values, dtype=float)
    index, codes = pd.factorize(np.asarray(groups, dtype=object), use_na_sentinel=False)
    # the groups numbered in a sorted order, not by first appearance: the seeded draws must
    # fall on the same groups whatever the order of the rows (a re-sorted export of the same
    # test posts gave other intervals)
    order = sorted(range(len(codes)), key=lambda i: _group_order(codes[i]))
    rank = np.empty(len(codes), dtype=np.intp)
    rank[order] = np.arange(len(codes))
    index = rank[index]
    n_groups = len(codes)
    if n_groups < 2:
        raise MetricsInputError(
            f"{n_groups} group(s) in the rows; a bootstrap of groups needs at least two (one "
            "group gives an interval of zero width, not certainty)"
            if not rows_alone
            else f"{len(values)} row(s); a bootstrap needs at least two"
        )
    sums = np.column_stack(
        [
            np.bincount(index, weights=values[:, j], minlength=n_groups)
            for j in range(values.shape[1])
        ]
        + [np.bincount(index, minlength=n_groups).astype(float)]
    )
    rng = (
        random_state
        if isinstance(random_state, np.random.Generator)
        else check_random_state(random_state)
    )
    parts = []
    chunk = max(1, min(_RESAMPLE_CHUNK, _MAX_DRAWS // n_groups))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        draws = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=size)
        parts.append(draws @ sums)
    return np.vstack(parts)


def bootstrap_intervals(
    y_true, y_pred, *, groups=None, n_resamples=1000, confidence=0.95, random_state=0
):
    """Bootstrap intervals of the error metrics: how far they could move on other test posts.

    One test set gives one number per metric; on another draw of posts (other accounts, another
    month) it would differ. This resamples the test rows with replacement, ``n_resamples``
    times, recomputes ``rmse_log1p`` and ``mae_log1p`` (:data:`INTERVAL_METRICS`, exactly as
    :func:`evaluate` does, negative predictions clipped to 0) and returns the percentile
    interval of each. With ``groups`` (e.g. the accounts or companies of the rows) whole groups
    are resampled together, a cluster bootstrap: posts of one account are not independent, so
    resampling posts alone understates the uncertainty.

    How far to trust them, measured by simulation (``benchmarks/bench_intervals.py``: test sets
    drawn again and again from a known population, the 15,341 real posts of 227 companies among
    them; the share of 95% intervals that held the population's value, over 1,000 test sets
    each, drawn with replacement): rows drawn independently, 93% at 30 of the real posts and
    94-95% from 100 on (synthetic rows: 91-94% at 30 and 100, 94-95% at 1,000); posts drawn by
    company but resampled one by one, 5-13%; whole companies resampled, 81-84% with 10 companies
    of the real posts, 89% with 19 and 35 and 85-88% with 118 (one company holds a quarter of
    the posts: likely, whether a test set holds it moves the metric more than a resample of that
    test set can show), and 45-47%, 75-78%, 84-88%, 93% and 95% with 2, 5, 10, 100 and 500
    evenly sized synthetic groups. So the intervals are too narrow with few groups or groups of
    very unequal size, and far too narrow when posts of one account are resampled as if
    independent: give ``groups``, and read the intervals as a lower bound on the uncertainty. On
    the same test sets of whole companies, two other intervals held the value less often (BCa
    with 10 companies about as often): a cluster-robust t interval 66-84% and the bias-corrected
    and accelerated (BCa) one 80-85% with 10 to 118 companies.
    ``rmse`` on raw likes gets none: it rests on the few largest posts, which most test sets
    lack, and its interval held the true value in only 38%, 53% and 67% of test sets of 10,
    19 and 35 companies (85% with 118).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True like counts.
    y_pred : array-like of shape (n_samples,)
        Predicted like counts.
    groups : array-like of shape (n_samples,), default=None
        Group of each row, resampled together (a one-column DataFrame is read as its
        column; missing values and blank strings form one group of their own); ``None``
        resamples rows.
    n_resamples : int, default=1000
        Number of bootstrap resamples, 1 to 1,000,000.
    confidence : float, default=0.95
        Coverage of the intervals (the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
        percentiles of the resampled metrics).
    random_state : int, RandomState instance or None, default=0
        Seed of the resampling (fixed by default, so a report is repeatable). With
        ``groups``, the same posts in another row order give the same intervals (to
        floating-point rounding): the groups are drawn in sorted order. Without, each row is
        drawn by its position, so a re-ordered table gives other (equally valid) intervals.

    Returns
    -------
    intervals : dict
        ``{metric: (low, high)}`` for each of :data:`INTERVAL_METRICS`.

    Raises
    ------
    MetricsInputError
        As :func:`evaluate` for the likes; for ``groups`` that is not one value per row; for
        fewer than two groups (or rows); for a ``confidence`` outside (0, 1) or
        ``n_resamples`` below 1 or above 1,000,000.

    Examples
    --------
    >>> import numpy as np
    >>> from skbucket.metrics import bootstrap_intervals, evaluate
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 1000, 200)
    >>> pred = y * rng.uniform(0.5, 1.5, 200)
    >>> low, high = bootstrap_intervals(y, pred)["rmse_log1p"]
    >>> bool(low < evaluate(y, pred)["rmse_log1p"] < high)
    True
    """
    y_true, y_pred = _check_likes(y_true, y_pred)
    tails = _check_resampling(confidence, n_resamples)
    resampled = _resampled_errors(y_true, [y_pred], groups, n_resamples, random_state)
    return {
        name: tuple(float(v) for v in np.percentile(resampled[name][0], tails))
        for name in INTERVAL_METRICS
    }


def _check_resampling(confidence, n_resamples) -> list:
    """The percentiles of a ``confidence`` interval, once ``confidence`` and ``n_resamples``
    are checked (a :class:`MetricsInputError` saying what was expected)."""
    # (the ignores: typeshed's numbers ABCs lack the mixed operators of int and float)
    if isinstance(confidence, bool) or not (
        isinstance(confidence, numbers.Real) and 0 < confidence < 1  # type: ignore[operator]
    ):
        raise MetricsInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}")
    if isinstance(n_resamples, bool) or not (
        isinstance(n_resamples, numbers.Integral) and n_resamples >= 1  # type: ignore[operator]
    ):
        raise MetricsInputError(f"n_resamples must be a positive integer; got {n_resamples!r}")
    if n_resamples > _MAX_RESAMPLES:  # type: ignore[operator]
        raise MetricsInputError(
            f"n_resamples must be at most {_MAX_RESAMPLES:,}; got {n_resamples:,} (each "
            "resample draws every row or group again: 10^5 resamples of 2,000 rows take about "
            "half a minute; 1,000 to 10,000 are the usual counts)"
        )
    return [100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2]  # type: ignore[operator]


def _resampled_errors(y_true, predictions, groups, n_resamples, random_state):
    """``{metric: array of shape (len(predictions), n_resamples)}``: each of
    :data:`INTERVAL_METRICS` of each prediction vector (checked by the caller) on the same
    bootstrap resamples of ``groups`` (``None``: the rows), negative predictions clipped to 0
    as :func:`evaluate` clips them."""
    n = y_true.shape[0]
    rows_alone = groups is None
    groups = np.arange(n) if groups is None else _check_groups(groups, n)
    columns = []
    for y_pred in predictions:
        log_err = np.log1p(_clip_negative(y_pred, warn=False)) - np.log1p(y_true)
        columns += [log_err**2, np.abs(log_err)]
    totals = _resampled_group_sums(
        np.column_stack(columns), groups, n_resamples, random_state, rows_alone
    )
    count = totals[:, -1]
    return {
        "rmse_log1p": np.sqrt(totals[:, 0:-1:2].T / count),
        "mae_log1p": totals[:, 1:-1:2].T / count,
    }


class PairedDifference(NamedTuple):
    """One metric of a model minus that of another on the same rows, as
    :func:`paired_bootstrap` gives it.

    Parameters
    ----------
    difference : float
        The metric of the model minus that of the other, on the rows given (negative: the
        model's error is lower).
    low, high : float
        Bounds of the interval of the difference.
    share_better : float
        Share of the resamples in which the model's metric is strictly lower.
    """

    difference: float
    low: float
    high: float
    share_better: float


def paired_bootstrap(
    y_true,
    y_pred,
    y_other,
    *,
    groups=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=0,
):
    """Is one model's error really lower than another's? A paired bootstrap of the difference.

    Two intervals from :func:`bootstrap_intervals` that overlap do not say the two models
    are alike: both move with the same hard and easy posts. This resamples the rows (with
    ``groups``, whole groups: the companies or accounts) ``n_resamples`` times and scores
    *both* prediction vectors on each resample, so the interval is that of the difference
    itself. Each of :data:`INTERVAL_METRICS` is computed as :func:`evaluate` computes it
    (negative predictions clipped to 0).

    How far to trust it: as for :func:`bootstrap_intervals`, the interval is too narrow with
    few groups or groups of very unequal size. In a simulation on the real posts
    (``benchmarks/bench_intervals.py``: the RMSE(log1p) of one model minus another's, test
    sets of whole companies drawn again and again from the 15,341 posts) the 95% interval
    held the true difference 80%, 85%, 88% and 93% of the time with 10, 19, 35 and 118
    companies. An interval that contains zero says these rows cannot tell the two apart.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True like counts.
    y_pred : array-like of shape (n_samples,)
        The model's predicted like counts.
    y_other : array-like of shape (n_samples,)
        The other model's (a baseline's) predicted like counts for the same rows.
    groups : array-like of shape (n_samples,), default=None
        Group of each row, resampled together, as in :func:`bootstrap_intervals`; ``None``
        resamples rows.
    n_resamples : int, default=1000
        Number of bootstrap resamples, 1 to 1,000,000.
    confidence : float, default=0.95
        Coverage of the intervals.
    random_state : int, RandomState or Generator instance or None, default=0
        Seed of the resampling (fixed by default). With ``groups``, the same rows in another
        order give the same result (to floating-point rounding).

    Returns
    -------
    differences : dict
        ``{metric: PairedDifference(difference, low, high, share_better)}`` for each of
        :data:`INTERVAL_METRICS`: the metric of ``y_pred`` minus that of ``y_other`` on the
        rows given (negative: ``y_pred`` is better), the interval's bounds, and the share of
        the resamples in which ``y_pred``'s metric is strictly lower.

    Raises
    ------
    MetricsInputError
        As :func:`bootstrap_intervals`, for either prediction vector.

    See Also
    --------
    bootstrap_intervals : The interval of one model's metrics.

    Examples
    --------
    >>> import numpy as np
    >>> from skbucket.metrics import paired_bootstrap
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 1000, 300)
    >>> close = y * rng.uniform(0.8, 1.25, 300)    # within 25% of the truth
    >>> rough = y * rng.uniform(0.5, 2.0, 300)     # within a factor of two
    >>> d = paired_bootstrap(y, close, rough)["rmse_log1p"]
    >>> bool(d.high < 0), d.share_better           # close is better: the interval is below 0
    (True, 1.0)
    >>> d = paired_bootstrap(y, close, close * rng.uniform(0.99, 1.01, 300))["rmse_log1p"]
    >>> bool(d.low < 0 < d.high)                   # as good as each other: it holds 0
    True
    """
    y_true, y_pred = _check_likes(y_true, y_pred)
    y_true, y_other = _check_likes(y_true, y_other, "y_other")
    tails = _check_resampling(confidence, n_resamples)
    observed = {  # on the rows as given: evaluate()'s own numbers
        name: _scores(y_true, v, _clip_negative(v, warn=False), None, None, INTERVAL_METRICS)
        for name, v in (("y_pred", y_pred), ("y_other", y_other))
    }
    resampled = _resampled_errors(y_true, [y_pred, y_other], groups, n_resamples, random_state)
    out = {}
    for name in INTERVAL_METRICS:
        diffs = resampled[name][0] - resampled[name][1]
        low, high = np.percentile(diffs, tails)
        out[name] = PairedDifference(
            observed["y_pred"][name] - observed["y_other"][name],
            float(low),
            float(high),
            float(np.mean(diffs < 0)),
        )
    return out


# ---------------------------------------------------------------------------
# Estimators: BucketedRegressor, or a Pipeline whose last step is one.
# ---------------------------------------------------------------------------


def _searched(estimator):
    """The refitted best model of a fitted search (``GridSearchCV`` & co.), which is what
    its ``predict`` uses; any other estimator as is."""
    best = getattr(estimator, "best_estimator_", None)
    return estimator if best is None else best


def _split_final(estimator):
    """Return ``(transforms, final)``: the steps that run before the final estimator (a list
    of ``(name, step)``, empty for a lone estimator) and the final estimator itself. A
    Pipeline whose last step is a Pipeline is followed down to the innermost final step (its
    steps run in order), and a fitted search, as the pipeline or as a step, stands for its
    best estimator."""
    transforms = []
    estimator = _searched(estimator)
    while (steps := _pipeline_steps(estimator)) is not None:
        transforms.extend(steps[:-1])
        estimator = _searched(steps[-1][1])
    return transforms, estimator


def _final_input(estimator, X):
    """``(final step, X transformed by the steps before it)``, step by step as a Pipeline's
    ``predict`` does (``Pipeline.transform`` would also ask every step for sklearn's tags)."""
    if _pipeline_steps(estimator) is not None:  # named as the user's, not as a step's
        from sklearn.utils.validation import check_is_fitted  # (_PostColumns), as its predict

        check_is_fitted(estimator)  # does; a lone regressor is asked nothing it is not asked
    transforms, final = _split_final(estimator)
    Xt = X
    for _, step in transforms:
        if step is not None and step != "passthrough":
            Xt = step.transform(Xt)
    return final, Xt


def _predict_once(estimator, X, *, buckets=True, proba=False):
    """``(y_pred, bucket_pred, bucket_proba)`` of ``estimator`` on ``X``, transformed once.

    A Pipeline's steps before the last run once and the last step's ``predict``,
    ``predict_bucket`` and ``predict_bucket_proba`` share their output, so a report does not
    read every image and embed every text once per quantity. ``bucket_pred`` is ``None`` when
    not asked for or when the (final) estimator has no ``predict_bucket``; ``bucket_proba``
    likewise, and also when its router has no ``predict_proba`` (its bucket probabilities
    are then one-hot predictions, nothing to judge a calibration by).
    """
    final, Xt = _final_input(estimator, X)
    y_pred = np.asarray(final.predict(Xt), dtype=float)
    bucket_pred = (
        np.asarray(final.predict_bucket(Xt))
        if buckets and hasattr(final, "predict_bucket")
        else None
    )
    bucket_proba = (
        np.asarray(final.predict_bucket_proba(Xt))
        if proba and hasattr(final, "predict_bucket_proba") and _router_has_proba(final)
        else None
    )
    return y_pred, bucket_pred, bucket_proba


def _router_has_proba(final) -> bool:
    """Whether the (fitted) router of ``final`` gives probabilities of its own: a
    BucketedRegressor whose classifier has no ``predict_proba`` makes one-hot rows."""
    router = getattr(final, "classifier_", None)
    return router is None or hasattr(router, "predict_proba")


def final_bins(estimator):
    """Bucket edges used by ``estimator`` (its last step for a Pipeline, the best estimator
    of a fitted ``GridSearchCV``/``RandomizedSearchCV``).

    Parameters
    ----------
    estimator : estimator
        A ``BucketedRegressor``, a ``Pipeline`` ending in one, a fitted search over either,
        or any other estimator.

    Returns
    -------
    bins : tuple of float
        The fitted ``bins_`` (else the ``bins`` parameter) of the estimator, or
        :data:`~skbucket.bucketed.DEFAULT_BINS` when it has neither.

    Warns
    -----
    UserWarning
        When the default bins are returned for an estimator that has none of its own but
        wraps one that has (a ``BucketedRegressor`` inside a ``TransformedTargetRegressor``,
        whose bins lie on the transformed target, or inside an ensemble): the bucket metrics
        and plots then use the default buckets, not that model's.
    """
    _, final = _split_final(estimator)
    bins = getattr(final, "bins_", None)
    if bins is None:
        bins = getattr(final, "bins", None)
    if bins is None:
        inner = _inner_with_bins(final)
        if inner is not None:
            name, found = inner
            warnings.warn(
                f"{type(final).__name__} has no bucket edges of its own, but {name} inside it "
                f"has ({', '.join(map(_edge_text, _resolve_bins(found)))}); the bucket metrics "
                f"and plots use the default edges ({', '.join(map(_edge_text, DEFAULT_BINS))}), "
                "which are not that model's buckets (its edges may lie on a transformed "
                "target). To score its buckets, pass bins= to evaluate() with the "
                "predictions.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
    return _resolve_bins(bins)


def _inner_with_bins(estimator):
    """``(name, bins)`` of an estimator held by ``estimator`` (a fitted attribute such as
    ``regressor_`` or ``estimators_``, or a parameter) that has bucket edges; None if none."""
    # (scikit-learn's estimators keep their parameters as attributes too)
    held = list(vars(estimator).items()) if hasattr(estimator, "__dict__") else []
    for name, value in held:
        for item in value if isinstance(value, list | tuple) else [value]:
            item = item[-1] if isinstance(item, tuple) and item else item  # (name, estimator)
            if item is estimator or not hasattr(item, "fit"):
                continue
            bins = getattr(item, "bins_", None)
            if bins is None:
                bins = getattr(item, "bins", None)
            if bins is not None:
                return f"{type(item).__name__} ({name})", bins
    return None


def predict_bucket(estimator, X):
    """Bucket predicted by the routing classifier, through a Pipeline if needed.

    Parameters
    ----------
    estimator : BucketedRegressor or Pipeline ending in one
        Fitted estimator whose (last step's) ``predict_bucket`` is used.
    X : array-like or DataFrame
        Input of ``estimator`` (the pipeline's input, not the last step's).

    Returns
    -------
    buckets : ndarray of shape (n_samples,) or None
        The bucket index of each row; ``None`` when the (final) estimator has no
        ``predict_bucket``.
    """
    _, final = _split_final(estimator)
    if not hasattr(final, "predict_bucket"):
        return None
    final, Xt = _final_input(estimator, X)
    return np.asarray(final.predict_bucket(Xt))


def predict_bucket_proba(estimator, X):
    """Bucket probabilities of the routing classifier, through a Pipeline if needed.

    Parameters
    ----------
    estimator : BucketedRegressor or Pipeline ending in one
        Fitted estimator whose (last step's) ``predict_bucket_proba`` is used.
    X : array-like or DataFrame
        Input of ``estimator`` (the pipeline's input, not the last step's).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_buckets)

    Raises
    ------
    TypeError
        If the (final) estimator has no ``predict_bucket_proba``.
    """
    return _call_final(estimator, X, "predict_bucket_proba")


def predict_per_bucket(estimator, X):
    """Every bucket regressor's prediction for every row, through a Pipeline if needed.

    Parameters
    ----------
    estimator : BucketedRegressor or Pipeline ending in one
        Fitted estimator whose (last step's) ``predict_per_bucket`` is used.
    X : array-like or DataFrame
        Input of ``estimator`` (the pipeline's input, not the last step's).

    Returns
    -------
    y_pred : ndarray of shape (n_samples, n_buckets)
        Likes predicted by each bucket's regressor, as
        :meth:`~skbucket.bucketed.BucketedRegressor.predict_per_bucket` gives them.

    Raises
    ------
    TypeError
        If the (final) estimator has no ``predict_per_bucket``.
    """
    return _call_final(estimator, X, "predict_per_bucket")


def _call_final(estimator, X, method):
    """``method`` of the (final) estimator on ``X`` taken through the pipeline's other steps,
    as an array; a TypeError when that estimator has no such method."""
    _, final = _split_final(estimator)
    if not hasattr(final, method):
        raise TypeError(
            f"{type(final).__name__} has no {method}; expected a "
            "BucketedRegressor or a Pipeline ending in one."
        )
    final, Xt = _final_input(estimator, X)
    return np.asarray(getattr(final, method)(Xt))


def evaluate_estimator(estimator, X, y, *, use_classifier_buckets=True):
    """Evaluate a fitted estimator on ``(X, y)`` with :func:`evaluate`.

    Parameters
    ----------
    estimator : fitted regressor
        A ``BucketedRegressor``, a ``Pipeline`` ending in one, or any regressor.
    X : array-like or DataFrame
        Input rows.
    y : array-like of shape (n_samples,)
        True like counts.
    use_classifier_buckets : bool, default=True
        When the (final) estimator has ``predict_bucket``, score the buckets
        chosen by its routing classifier; otherwise (or when ``False``) the
        buckets of the predicted likes are scored.

    Returns
    -------
    metrics : dict
        As returned by :func:`evaluate`.

    Warns
    -----
    skbucket.exceptions.TrainingPostsWarning
        When some posts of ``X`` were among the estimator's training posts
        (:func:`skbucket.pipeline.seen_posts`): their errors flatter it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skbucket.metrics import evaluate_estimator
    >>> X = np.arange(20.0).reshape(-1, 1)
    >>> y = 5 * np.arange(20.0) + 1
    >>> evaluate_estimator(LinearRegression().fit(X, y), X, y)["bucket_accuracy"]
    1.0
    """
    from .pipeline import warn_training_posts

    _check_rows(X, y)  # before the predictions, which may take minutes
    y_pred, bucket_pred, _ = _predict_once(estimator, X, buckets=use_classifier_buckets)
    warn_training_posts(estimator, X)  # once the posts are read: not before an error of theirs
    return evaluate(y, y_pred, bucket_pred=bucket_pred, bins=final_bins(estimator))


def metrics_frame(metrics):
    """One-row :class:`pandas.DataFrame` of a metrics dict, columns in display order.

    Parameters
    ----------
    metrics : dict
        As returned by :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        One row; the columns are the keys of ``metrics``, those of :data:`METRIC_NAMES`
        first in that order.

    Examples
    --------
    >>> from skbucket.metrics import evaluate, metrics_frame
    >>> metrics_frame(evaluate([1, 2], [1, 2])).shape
    (1, 8)
    """
    import pandas as pd

    keys = [k for k in METRIC_NAMES if k in metrics] + [k for k in metrics if k not in METRIC_NAMES]
    return pd.DataFrame([{k: metrics[k] for k in keys}])
