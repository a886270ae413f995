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

Only numpy and scikit-learn are used here (no matplotlib).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
)

from skbucket.bucketed import DEFAULT_BINS, _is_float, assign_buckets

__all__ = [
    "DEFAULT_BINS",
    "METRIC_NAMES",
    "MetricsInputError",
    "bucket_labels",
    "evaluate",
    "evaluate_estimator",
    "final_bins",
    "metrics_frame",
    "predict_bucket",
    "predict_bucket_proba",
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


class MetricsInputError(ValueError):
    """Raised when the inputs of a metric are unusable (shape, NaN, negative likes)."""


def _resolve_bins(bins):
    return tuple(DEFAULT_BINS if bins is None else bins)


def bucket_labels(bins=None):
    """Human-readable names of the buckets defined by ``bins``.

    Parameters
    ----------
    bins : sequence of numbers, default=None
        Increasing upper bucket edges (inclusive on the right). ``None`` means
        :data:`~skbucket.bucketed.DEFAULT_BINS`.

    Returns
    -------
    labels : list of str
        ``len(bins) + 1`` labels. Integer edges give ranges of whole likes
        (``"11-100"``), the last bucket is ``">edge"``.

    Examples
    --------
    >>> from skbucket.metrics import bucket_labels
    >>> bucket_labels()
    ['0-10', '11-100', '101-300', '301-500', '501-1000', '1001-2500', '>2500']
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
            labels.append(f"0-{text(edge)}" if integral and edge >= 0 else f"<={text(edge)}")
        elif integral:
            labels.append(f"{text(low + 1)}-{text(edge)}")
        else:
            labels.append(f"({text(low)}, {text(edge)}]")
        low = edge
    labels.append(f">{text(low)}")
    return labels


def _edge_text(value) -> str:
    """An edge written exactly: whole numbers in full (``1234567``, not ``1.23457e+06``), others
    as Python's shortest round-trip text, so two different edges never read alike."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _as_1d_float(values, name):
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricsInputError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError, OverflowError) as exc:
        row = next((i for i, v in enumerate(arr) if not _is_float(v)), None)
        where = "" if row is None else f"; row {row} holds {arr[row]!r:.80}"
        raise MetricsInputError(
            f"{name} must be numeric (numbers within the float64 range){where}: {exc}"
        ) from exc
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise MetricsInputError(
            f"{name} holds {bad.size} non-finite value(s) (NaN or inf), first at row "
            f"{bad[0]} (value {float(arr[bad[0]])!r}); expected finite numbers of likes."
        )
    return arr


def _check_buckets(bucket_pred, n_rows, n_buckets):
    arr = np.asarray(bucket_pred)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise MetricsInputError(
            f"bucket_pred must be one-dimensional with {n_rows} rows, got shape {arr.shape}."
        )
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(int)
        else:
            raise MetricsInputError(
                f"bucket_pred must hold integer bucket indices, got dtype {arr.dtype}."
            )
    bad = np.flatnonzero((arr < 0) | (arr >= n_buckets))
    if bad.size:
        raise MetricsInputError(
            f"bucket_pred must lie in [0, {n_buckets - 1}] for {n_buckets} buckets; row "
            f"{bad[0]} holds {arr[bad[0]]}."
        )
    return arr.astype(int)


def _check_likes(y_true, y_pred):
    """Validate and return ``(y_true, y_pred)`` as float arrays."""
    y_true = _as_1d_float(y_true, "y_true")
    y_pred = _as_1d_float(y_pred, "y_pred")
    if y_true.shape[0] != y_pred.shape[0]:
        raise MetricsInputError(
            f"y_true and y_pred have different lengths: {y_true.shape[0]} != {y_pred.shape[0]}."
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


def _clip_negative(y_pred, *, warn=True):
    """Clip negative predicted likes to 0 (``log1p`` is undefined below -1)."""
    n_neg = int(np.sum(y_pred < 0))
    if n_neg and warn:
        warnings.warn(
            f"{n_neg} of {y_pred.shape[0]} predicted like counts are negative; they are "
            "clipped to 0 for the log1p metrics and the bucket assignment (the raw rmse "
            "and r2 use the unclipped predictions).",
            UserWarning,
            stacklevel=3,
        )
    return np.clip(y_pred, 0, None)


def evaluate(y_true, y_pred, *, bucket_pred=None, bins=None):
    """Compute the metrics table for predicted likes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True like counts (finite, non-negative).
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
        On different lengths, empty input, NaN/inf values, negative true likes
        or bucket indices out of range; the message names the offending row.

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
    n_buckets = len(edges) + 1
    y_pred_clipped = _clip_negative(y_pred)
    log_true = np.log1p(y_true)
    log_pred = np.log1p(y_pred_clipped)

    bucket_true = np.asarray(assign_buckets(y_true, edges))
    if bucket_pred is None:
        bucket_pred = np.asarray(assign_buckets(y_pred_clipped, edges))
    else:
        bucket_pred = _check_buckets(bucket_pred, y_true.shape[0], n_buckets)

    n = y_true.shape[0]
    # R² is undefined for one row or a constant truth (no variance to explain): NaN for both.
    # scikit-learn's own constant check misses log1p of a constant: the mean of equal floats
    # can differ from them by rounding, which gave r2_log1p = -1e29 beside r2 = 0.
    defined = n > 1 and not np.all(y_true == y_true[0])
    r2 = float(r2_score(y_true, y_pred)) if defined else float("nan")
    r2_log = float(r2_score(log_true, log_pred)) if defined else float("nan")
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "rmse_log1p": float(np.sqrt(mean_squared_error(log_true, log_pred))),
        "mae_log1p": float(mean_absolute_error(log_true, log_pred)),
        "r2": r2,
        "r2_log1p": r2_log,
        "bucket_accuracy": float(accuracy_score(bucket_true, bucket_pred)),
        "bucket_macro_f1": float(
            f1_score(bucket_true, bucket_pred, average="macro", zero_division=0)
        ),
        "n_samples": int(n),
    }


# ---------------------------------------------------------------------------
# Estimators: BucketedRegressor, or a Pipeline whose last step is one.
# ---------------------------------------------------------------------------


def _searched(estimator):
    """The refitted best model of a fitted search (``GridSearchCV`` & co.), which is what
    its ``predict`` uses; any other estimator as is."""
    best = getattr(estimator, "best_estimator_", None)
    return estimator if best is None else best


def _split_final(estimator):
    """Return ``(transform, final)`` for a Pipeline, ``(None, estimator)`` otherwise; a
    fitted search, as the pipeline or as its last step, stands for its best estimator."""
    estimator = _searched(estimator)
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        final = _searched(estimator[-1])
        pre = estimator[:-1] if len(steps) > 1 else None
        return pre, final
    return None, estimator


def _final_input(estimator, X):
    """``(final step, X transformed by the steps before it)``, step by step as a Pipeline's
    ``predict`` does (``Pipeline.transform`` would also ask every step for sklearn's tags)."""
    pre, final = _split_final(estimator)
    Xt = X
    for _, step in [] if pre is None else pre.steps:
        if step is not None and step != "passthrough":
            Xt = step.transform(Xt)
    return final, Xt


def _predict_once(estimator, X, *, buckets=True, proba=False):
    """``(y_pred, bucket_pred, bucket_proba)`` of ``estimator`` on ``X``, transformed once.

    A Pipeline's steps before the last run once and the last step's ``predict``,
    ``predict_bucket`` and ``predict_bucket_proba`` share their output, so a report does not
    read every image and embed every text once per quantity. ``bucket_pred`` is ``None`` when
    not asked for or when the (final) estimator has no ``predict_bucket``; ``bucket_proba``
    likewise.
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
        if proba and hasattr(final, "predict_bucket_proba")
        else None
    )
    return y_pred, bucket_pred, bucket_proba


def final_bins(estimator):
    """Bucket edges used by ``estimator`` (its last step for a Pipeline, the best estimator
    of a fitted ``GridSearchCV``/``RandomizedSearchCV``).

    Returns the fitted ``bins_`` (else the ``bins`` parameter) of the estimator,
    or :data:`~skbucket.bucketed.DEFAULT_BINS` when it has neither.
    """
    _, final = _split_final(estimator)
    bins = getattr(final, "bins_", None)
    if bins is None:
        bins = getattr(final, "bins", None)
    return _resolve_bins(bins)


def predict_bucket(estimator, X):
    """Bucket predicted by the routing classifier, through a Pipeline if needed.

    Returns ``None`` when the (final) estimator has no ``predict_bucket``.
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
    _, final = _split_final(estimator)
    if not hasattr(final, "predict_bucket_proba"):
        raise TypeError(
            f"{type(final).__name__} has no predict_bucket_proba; expected a "
            "BucketedRegressor or a Pipeline ending in one."
        )
    final, Xt = _final_input(estimator, X)
    return np.asarray(final.predict_bucket_proba(Xt))


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
    y_pred, bucket_pred, _ = _predict_once(estimator, X, buckets=use_classifier_buckets)
    return evaluate(y, y_pred, bucket_pred=bucket_pred, bins=final_bins(estimator))


def metrics_frame(metrics):
    """One-row :class:`pandas.DataFrame` of a metrics dict, columns in display order.

    Examples
    --------
    >>> from skbucket.metrics import evaluate, metrics_frame
    >>> metrics_frame(evaluate([1, 2], [1, 2])).shape
    (1, 8)
    """
    import pandas as pd

    keys = [k for k in METRIC_NAMES if k in metrics] + [k for k in metrics if k not in METRIC_NAMES]
    return pd.DataFrame([{k: metrics[k] for k in keys}])
