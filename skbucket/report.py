"""Self-contained HTML evaluation report.

:func:`write_report` evaluates a fitted model on ``(X, y)`` and writes one HTML
file holding the metrics table (from :func:`skbucket.metrics.evaluate`, with bootstrap
intervals from :func:`skbucket.metrics.bootstrap_intervals`), the
plots of :mod:`skbucket.plotting` as PNG images embedded as base64 ``data:``
URIs, and the model's configuration. The page loads nothing from elsewhere (no
scripts, no style sheets, no fonts, no CDN), so it can be mailed or archived as
one file. All text taken from the model or the caller is HTML-escaped.

The figures are drawn on :class:`matplotlib.figure.Figure` objects, never shown, so
writing a report needs no display and leaves no pyplot figure open (scikit-learn's
confusion-matrix display imports :mod:`matplotlib.pyplot`, which picks a backend on import:
a non-interactive one where there is no display).
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import io
import pprint
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skbucket._clock import generated_at
from skbucket._files import replace_atomically
from skbucket._frames import as_pandas
from skbucket._warn import ignoring, user_stacklevel
from skbucket.metrics import (
    METRIC_DESCRIPTIONS,
    METRIC_NAMES,
    MetricsInputError,
    _blank_as_missing,
    _check_likes,
    _check_rows,
    _edge_text,
    _format_interval,
    _format_metric,
    _pipeline_steps,
    _predict_once,
    _split_final,
    bootstrap_intervals,
    evaluate,
    final_bins,
    paired_bootstrap,
)

__all__ = ["render_report", "write_report"]

# the width in which the report's figures are shown, two to a row
_FIGURE_WIDTH = 520
_CSS = (
    """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222;
       background: #fff; padding: 0 1em; box-sizing: border-box; }
h1 { border-bottom: 2px solid #4477aa; padding-bottom: .2em; }
table { border-collapse: collapse; margin: 1em 0; }
caption { text-align: left; padding-bottom: .3em; }
th, td { border: 1px solid #ccc; padding: .3em .7em; text-align: left; }
td.num { text-align: right; font-family: monospace, monospace; white-space: nowrap; }
code, pre { font-family: monospace, monospace; }
h1, .note, figcaption { overflow-wrap: anywhere; }
details { margin: .4em 0; }
summary { cursor: pointer; }
.table-wrap { overflow-x: auto; }
.figs { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; border: 1px solid #ddd; padding: .5em; width: """
    + f"{_FIGURE_WIDTH}px"
    + """; max-width: 100%;
         box-sizing: border-box; }
figure img { width: 100%; height: auto; display: block; }
figure.wide { width: auto; }
figure.wide img { width: auto; max-width: 100%; }
pre { background: #f5f5f5; padding: .8em; margin: 0; width: max-content; min-width: 100%;
      box-sizing: border-box; }
.note { color: #666; font-size: .9em; }
/* what the reader must know before reading the numbers (they flatter the model) */
.caution { border-left: 4px solid #a34700; background: #fff4e5; padding: .4em .7em;
           overflow-wrap: anywhere; }
/* read by a screen reader, not shown */
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
      white-space: nowrap; }
@media (max-width: 600px) {
  /* a phone: the metrics' names, values and intervals without scrolling sideways (their
     keys are for code, which is not read there) */
  .key { display: none; }
  caption { max-width: calc(100vw - 3em); }
  th, td { padding: .3em .4em; }
  /* an interval ("1.4249 to 2.0943") on two lines: at 320 pixels (400% zoom) it was cut */
  td.interval { white-space: normal; }
  body { padding: 0 .5em; }
  /* the metrics table with another model's column, and the table of the differences, were 13
     and 38 pixels wider than a 390-pixel phone at full size (their narrowest: the words and
     the unbreakable numbers); at 85% they fit with room to spare */
  table { font-size: .85em; }
}
@media print {
  /* each plot's values, folded on screen, on paper: a closed details element printed its summary
     alone (browsers that style ::details-content: Chromium 131, Firefox 143, Safari 18.4) */
  details::details-content { content-visibility: visible; display: block; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; width: auto; }
  .table-wrap { overflow: visible; }
  figure, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
)


# characters HTML does not allow in a document: C0 controls but tab, LF, FF and CR; DEL and the
# C1 controls; the noncharacters U+FDD0-U+FDEF and U+xFFFE / U+xFFFF of every plane
_UNWRITABLE = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000)
    )
    + "]"
)


class PlotLeftOutWarning(UserWarning):
    """The report leaves out a plot its data cannot draw (the error-over-time plot when the
    date column holds no readable date): the page has a note in its place, saying why."""


def _escaped(match):
    """A character as a Python string literal writes it: ``\\x01``, ``\\ufffe``."""
    return ascii(match.group())[1:-1]


#: the report's images are drawn at this many pixels per pixel shown (90 dpi shown)
_PIXEL_RATIO = 2


def _figure_to_data_uri(fig, dpi=90 * _PIXEL_RATIO):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figures(estimator, X, y, y_pred, dates, date_column, bucket_pred, bucket_proba):
    """Draw every display that applies; return ``[(title, data_uri or None, note or None,
    (alt text, values))]`` (a drawn figure's note says what it leaves out; see
    :func:`_described`).

    The error-over-time plot drawn from ``X[date_column]`` is left out, with a note and a
    warning, when the column holds no date it can use (e.g. every date missing): the dates are
    optional input for the model too. Dates passed explicitly must be usable.
    """
    from matplotlib.figure import Figure

    from skbucket import plotting

    bins = final_bins(estimator)
    n_buckets = len(bins) + 1
    final = _split_final(estimator)[1]
    final_name = type(final).__name__
    router = getattr(final, "classifier_", None)
    # in pairs, as the page lays them out two by two: what is compared sits side by side;
    # (title, draw(ax) -> the display, or the note of a plot that does not apply); "...":
    # mypy infers no lambda binding the loop's values as defaults against Callable[[Any], ...]
    plans: list[tuple[str, Callable[..., Any] | str]] = [
        (
            "Predicted vs actual likes",
            lambda ax: plotting.LikesPredictionDisplay.from_predictions(
                y, y_pred, bins=bins, ax=ax
            ),
        ),
        (
            "Error per true bucket",
            lambda ax: plotting.BucketErrorDisplay.from_predictions(y, y_pred, bins=bins, ax=ax),
        ),
    ]
    shares = {"vmin": 0.0, "vmax": 1.0}  # one colour scale for every normalised matrix
    no_router = (
        f"Not drawn: {final_name} has no routing classifier (no predict_bucket); the matrices "
        "of the buckets of its predicted likes follow."
    )
    sources = (
        ("routing classifier", bucket_pred, "bucket"),
        ("bucket of predicted likes", y_pred, "likes"),
    )
    for source, pred, pred_kind in sources:
        for normalize, what in ((None, "counts"), ("true", "normalised by true bucket")):
            title = f"Bucket confusion matrix ({source}, {what})"
            if pred is None:
                plans.append((title, no_router))
                continue
            plans.append(
                (
                    title,
                    lambda ax, pred=pred, pred_kind=pred_kind, normalize=normalize: (
                        plotting.BucketConfusionMatrixDisplay.from_predictions(
                            y,
                            pred,
                            bins=bins,
                            pred_kind=pred_kind,
                            normalize=normalize,
                            values_format=".2f" if normalize else None,
                            im_kw=shares if normalize else None,
                            ax=ax,
                        )  # fmt: skip
                    ),
                )
            )
    calibration = "Calibration of the bucket probabilities (top bucket)"
    if bucket_proba is not None:
        plans.append(
            (
                calibration,
                lambda ax: plotting.BucketCalibrationDisplay.from_predictions(
                    y, bucket_proba, bins=bins, n_bins=CALIBRATION_BINS, strategy="uniform", ax=ax
                ),
            )
        )
    elif bucket_pred is not None:
        plans.append(
            (
                calibration,
                f"Not drawn: the routing classifier"
                f"{'' if router is None else ' ' + type(router).__name__} has no "
                "predict_proba.",
            )
        )
    else:
        plans.append(
            (calibration, f"Not drawn: {final_name} has no routing classifier to give them.")
        )
    over_time = "Error over time (MAE of log1p(likes) per month)"
    optional = None  # the title of a plot that may be left out
    if dates is None and date_column is not None:
        columns = getattr(X, "columns", None)
        if columns is not None and date_column in columns:
            dates = X[date_column]
            optional = over_time
    if dates is not None:
        plans.append(
            (
                over_time,
                lambda ax: plotting.ErrorOverTimeDisplay.from_predictions(
                    y, y_pred, dates, bins=bins, dayfirst=plotting.model_dayfirst(estimator), ax=ax
                ),
            )
        )
    out: list[tuple[str, str | None, str | None, tuple[Any, Any]]] = []
    with ignoring(message=".*predicted like counts are negative"):  # said once by evaluate()
        for title, draw in plans:
            if isinstance(draw, str):  # a plot that does not apply: said where it would be
                out.append((title, None, draw, (None, None)))
                continue
            grow = max(0, n_buckets - 7) if "matrix" in title else 0  # room for many buckets
            fig = Figure(figsize=(6.4 + 0.45 * grow, 4.8 + 0.35 * grow))
            try:
                shown = draw(fig.subplots())
            except plotting.PlotInputError as exc:
                if title != optional:
                    raise
                message = str(exc)
                dayfirst = getattr(exc, "suggested_dayfirst", None)
                if dayfirst is not None:  # "pass dayfirst=": the report has none of its own
                    # (the ignore: check_day_month sets conflict with suggested_dayfirst)
                    message = exc.conflict + (  # type: ignore[attr-defined]
                        "; the report reads dates as the model does: "
                        + (
                            f"fit the model with dayfirst={dayfirst}, "
                            if plotting.model_dayfirst(estimator, default=None) is not None
                            else f"pass dates= read your way (pd.to_datetime(..., "
                            f"dayfirst={dayfirst})), "
                        )
                        + "or write the dates as ISO 8601 (2021-04-03)."
                    )
                named = f"column {date_column!r}" in message  # a day/month error names it
                note = f"Not drawn: {message if named else f'column {date_column!r}: {message}'}"
                warnings.warn(
                    f"the report leaves out the plot '{title}'. {note}",
                    PlotLeftOutWarning,
                    stacklevel=user_stacklevel(),
                )
                out.append((title, None, note, (None, None)))
                continue
            undated = getattr(shown, "n_undated", 0)  # said in the image: in the text too
            note = f"{undated:,} row{'s' * (undated != 1)} without a readable date left out."
            out.append(
                (
                    title,
                    _figure_to_data_uri(fig),
                    note if undated else None,
                    _described(shown, title),
                )
            )
    return out


def _described(shown, title=""):
    """``(alt text, values table or None)`` of a drawn display: what the image shows, in
    words, and the numbers it draws as a table (``(header, rows)``), for readers who cannot
    see the image and for anyone who wants the exact values."""
    from skbucket import plotting

    if isinstance(shown, plotting.LikesPredictionDisplay):
        n = len(np.asarray(shown.y_true))
        return (
            f"Scatter plot of the predicted against the actual likes of {n:,} "
            f"post{'s' * (n != 1)}, both axes logarithmic beyond 1 like and linear from 0 to 1 "
            "(symlog), with the line of exact predictions and the bucket edges as guides.",
            None,
        )
    if isinstance(shown, plotting.BucketConfusionMatrixDisplay):
        labels = list(shown.display_labels)
        shares = np.asarray(shown.confusion_matrix).dtype.kind == "f"
        what = "the share of each true bucket's posts" if shares else "counts of posts"
        # which predicted buckets: the four matrices' texts were two pairs of the same words
        source = (
            "the routing classifier chose"
            if "routing classifier" in title
            else "of the predicted likes"
            if "predicted likes" in title
            else "predicted"
        )
        cells = [[text.get_text() for text in row] for row in shown.text_]
        return (
            f"Heat map of the {len(labels)} true buckets (rows) against the {len(labels)} "
            f"buckets {source} (columns), {what}; the values are in the table below it.",
            (["True \\ predicted", *labels], [[label, *row] for label, row in zip(labels, cells)]),
        )
    if isinstance(shown, plotting.BucketErrorDisplay):
        rows = [
            [
                label,
                f"{e.size:,}",
                f"{np.median(e):.3f}" if e.size else "–",
                f"{mae:.3f}" if e.size else "–",
            ]
            for label, e, mae in zip(
                shown.display_labels, (np.asarray(e, dtype=float) for e in shown.errors), shown.mae_
            )
        ]
        return (
            "Box plots of the error log1p(predicted) - log1p(actual) for each true bucket; "
            "each bucket's posts, median error and mean absolute error are in the table below.",
            (["True bucket", "Posts", "Median error", "MAE (log1p)"], rows),
        )
    if isinstance(shown, plotting.BucketCalibrationDisplay):
        counts = [
            [None] * len(pred) if ns is None else ns  # a curve's counts not known
            for pred, ns in zip(shown.prob_pred, shown.bin_counts or [None] * len(shown.prob_pred))
        ]
        # each row named by its point's probability (its curve beside it): the row headers
        # were the curve's label, "top bucket", on every row
        rows = [
            [f"{p:.3f}", label, "" if n is None else f"{int(n):,}", f"{t:.3f}"]
            for label, pred, true, ns in zip(
                shown.curve_labels, shown.prob_pred, shown.prob_true, counts
            )
            for p, t, n in zip(pred, true, ns)
        ]
        return (
            "Reliability diagram: the mean predicted probability of the chosen bucket against "
            f"how often that bucket is right, in {CALIBRATION_BINS} equal-width probability "
            "bins (empty ones left out), beside the diagonal of a calibrated model; the points "
            "and the posts behind each are in the table below.",
            (["Mean predicted probability", "Curve", "Posts", "Observed frequency"], rows),
        )
    if isinstance(shown, plotting.ErrorOverTimeDisplay):
        rows = [
            [str(period), f"{int(count):,}", f"{value:.3f}"]
            for period, count, value in zip(shown.periods, shown.counts, shown.values)
        ]
        from skbucket.metrics import METRIC_DESCRIPTIONS

        metric = METRIC_DESCRIPTIONS.get(shown.metric, shown.metric)
        unit = (plotting._period_word(shown.periods) or "period").split(" ")[0].lower()
        span = f", from {rows[0][0]} to {rows[-1][0]}" if len(rows) > 1 else ""
        return (
            f"Line chart of the {metric} per {unit} over {len(rows):,} {unit}"
            f"{'s' * (len(rows) != 1)} with posts{span}, with the posts per {unit} as bars; "
            "the values are in the table below.",
            (["Period", "Posts", metric], rows),
        )
    return None, None


def _figure_html(caption, uri, note=None, alt=None, values=None, *, number=0, prefix=""):
    """A ``<figure>`` for the PNG ``uri``, shown at its size at 90 dpi (it is drawn at
    twice that, sharp on high-density screens and when zoomed), that size written on the
    ``<img>``. An image drawn larger than the usual figure (a confusion matrix of many
    buckets) is shown at its own size (at most the page's width), not shrunk into the usual
    box, which made its cell values too small to read. ``alt`` says what the image shows
    (the caption when None); ``values`` (escaped ``(header, rows)``) is the table of its
    numbers, folded under the image. The caption comes first (a screen reader read the
    image, its values and its note before it said what the plot was) and names the figure
    (``{prefix}plot-{number}``), its values' scroll region and their button."""
    head = base64.b64decode(uri.split(",", 1)[1][:32])  # PNG signature + IHDR: width, height
    width, height = (
        round(int.from_bytes(head[at : at + 4], "big") / _PIXEL_RATIO) for at in (16, 20)
    )
    wide = ' class="wide"' if width > _FIGURE_WIDTH + 40 else ""
    table = ""
    if values is not None:
        header, rows = values
        cells = "".join(f'<th scope="col">{h}</th>' for h in header)
        body = "".join(
            f'<tr><th scope="row">{row[0]}</th>'
            + "".join(f'<td class="num">{v}</td>' for v in row[1:])
            + "</tr>"
            for row in rows
        )
        # each button named for its plot ("Values" seven times told a screen reader nothing)
        table = (
            f'<details><summary>Values<span class="sr"> of the plot "{caption}"</span>'
            f'</summary><div class="table-wrap" tabindex="0" role="region" '
            f'aria-labelledby="{prefix}plot-{number}-values"><table>'
            f'<caption class="note" id="{prefix}plot-{number}-values">The values of the plot '
            f'"{caption}"</caption><tr>{cells}</tr>{body}</table></div></details>'
        )
    return (
        f'<figure{wide} aria-labelledby="{prefix}plot-{number}">'
        f'<figcaption id="{prefix}plot-{number}">{caption}</figcaption>'
        f'<img src="{uri}" width="{width}" height="{height}" '
        f'alt="{caption if alt is None else alt}">'
        + table
        + (f'<p class="note">{note}</p>' if note else "")
        + "</figure>"
    )


def _versions():
    from skbucket.io import library_versions

    versions = library_versions()
    first = ("skbucket", "scikit-learn", "transformers", "torch")
    return {k: versions[k] for k in first if k in versions} | {
        k: v for k, v in sorted(versions.items()) if k not in first
    }


def _config_text(estimator, config):
    """The estimator's parameters, and for every fitted search on the way to the final step
    (the estimator itself, or a Pipeline's last step, and so on down) the parameters it chose
    and the whole model it refitted with them: that model, not the search's template, is the
    one evaluated."""
    parts = []
    try:
        params = estimator.get_params(deep=False)
    except AttributeError:
        params = {}
    parts.append(f"{type(estimator).__name__}(\n" + _pformat_params(params) + ")")
    node = estimator
    path: list[str] = []  # the way down: "step 'name'", "best_estimator_"
    while True:
        best = getattr(node, "best_estimator_", None)
        if best is not None:
            chose = pprint.pformat(getattr(node, "best_params_", None), width=90)
            parts.append(
                "".join(f"{label} > " for label in path)
                + f"{type(node).__name__} chose best_params_ = {chose};\n"
                "the metrics and plots are those of the model it refitted with them, "
                "its best_estimator_:\n"
                f"{type(best).__name__}(\n" + _pformat_params(best.get_params(deep=False)) + ")"
            )
            node = best
            path.append("best_estimator_")
            continue
        steps = _pipeline_steps(node)
        if steps is None:
            break
        name, node = steps[-1]
        path.append(f"step {name!r}")
    _, final = _split_final(estimator)
    for attr in ("models_used_", "text_model", "models_used"):
        for obj in (estimator, final):
            if hasattr(obj, attr):
                parts.append(f"{attr}: {pprint.pformat(getattr(obj, attr), width=90)}")
                break
    if config:
        parts.append("Configuration:\n" + pprint.pformat(dict(config), width=90, sort_dicts=False))
    return "\n\n".join(parts)


class _Whole:
    """Stands in for an estimator in ``pprint``: a repr that shows every parameter set.

    scikit-learn's repr shows at most 30 parameters (and 30 items of a list) and cuts the rest
    with "...": XGBoost's estimators, whose every parameter counts as set, lost ``subsample``
    and ``random_state``. When its repr is cut, an estimator is written out one parameter per
    line: those that differ from the defaults of its ``__init__`` (scikit-learn's rule), less
    the ``None`` of parameters its signature does not name (XGBoost's "the library's default").
    An estimator with a ``__repr__`` of its own keeps it.
    """

    def __init__(self, estimator):
        from sklearn.base import BaseEstimator

        if type(estimator).__repr__ is not BaseEstimator.__repr__:
            self.text = repr(estimator)
            return
        text = estimator.__repr__(N_CHAR_MAX=10**6)
        if "..." in text:
            shown = _shown_params(estimator).items()
            lines = [f"    {k}={_indented(v, width=76)}," for k, v in shown]
            text = f"{type(estimator).__name__}(\n" + "\n".join(lines) + "\n)"
        self.text = text

    def __repr__(self):
        return self.text


def _shown_params(estimator) -> dict:
    """The parameters of ``estimator`` a reader needs to rebuild it (see :class:`_Whole`)."""
    params = estimator.get_params(deep=False)
    try:
        from sklearn.utils._pprint import _changed_params

        changed = _changed_params(estimator)
    except Exception:  # a private helper: without it, every parameter
        changed = params
    named: Mapping[str, inspect.Parameter]
    try:
        named = inspect.signature(type(estimator).__init__).parameters
    except (TypeError, ValueError):
        named = {}
    return {k: v for k, v in params.items() if k in changed and not (v is None and k not in named)}


def _indented(value, width=80) -> str:
    """``value`` pretty-printed whole (see :func:`_whole`), its later lines indented by four."""
    return pprint.pformat(_whole(value), width=width, compact=True).replace("\n", "\n    ")


def _whole(value):
    """``value`` with every scikit-learn estimator in it (in plain lists, tuples and dicts)
    made whole; other containers (a namedtuple, an OrderedDict) are left as they are."""
    from sklearn.base import BaseEstimator

    if isinstance(value, BaseEstimator):
        return _Whole(value)
    if type(value) in (list, tuple):
        return type(value)(_whole(v) for v in value)
    if type(value) is dict:
        return {k: _whole(v) for k, v in value.items()}
    return value


def _pformat_params(params):
    lines = []
    for key, value in params.items():
        lines.append(f"    {key}={_indented(value)},")
    return "\n".join(lines) + ("\n" if lines else "")


#: fewer groups than this, or a group holding more than this share of the posts: the note says
#: the grouped intervals are too narrow (benchmarks/bench_intervals.py: 81-84% with 10
#: companies of the real posts, 89% with 19 and 35, 85-88% with 118, the largest holding a
#: quarter of the posts; 93% with 100 evenly sized groups, 95% with 500: 300 lies between
#: those two, a judgement, not a measurement)
FEW_GROUPS, LARGEST_GROUP = 300, 0.1

#: equal-width probability bins of the report's calibration plot
CALIBRATION_BINS = 5

#: groups (companies) a grouped bootstrap needs before the report gives intervals: with 2,
#: 5 and 10 evenly sized groups its 95% intervals held the true value 45-47%, 75-78% and
#: 84-88% of the time (benchmarks/bench_intervals.py)
MIN_GROUPS = 10


class _Resampled(NamedTuple):
    """What :func:`_intervals` gives: the bootstrap intervals of the error metrics (``{}``:
    none), the note that says what they are (or why there are none), the ``{name:
    {metric: PairedDifference}}`` of the model minus each other model, what was resampled
    (``"the 86 values of 'inferred_company' resampled whole"``; ``""``: nothing) and whether
    the note says the intervals are narrower than their 95%."""

    intervals: dict
    note: str
    differences: dict
    resampled: str
    narrow: bool

    @classmethod
    def none(cls, note: str) -> _Resampled:
        """No intervals and no differences, and the ``note`` that says why."""
        return cls({}, note, {}, "", False)


def _intervals(X, y, y_pred, group_column, others=None) -> _Resampled:
    """The report's bootstrap intervals of the error metrics, and with ``others`` (``{name:
    another model's predictions}``) :func:`skbucket.metrics.paired_bootstrap`'s difference of
    the model minus each: the same groups, the same seeded resamples as the intervals."""
    if y.shape[0] < 2:
        return _Resampled.none("No intervals: fewer than two posts to resample.")
    X = as_pandas(X)
    column = getattr(X, "columns", None)
    groups, resampled = None, "posts resampled one by one"
    caveat = (
        " They assume the posts are independent: posts of one account or company are not, "
        "and then the intervals are too narrow (give the column of the companies)."
    )
    if group_column is not None and column is not None and list(column).count(group_column) == 1:
        values = _blank_as_missing(np.asarray(X[group_column], dtype=object))
        n_groups = len(pd.factorize(values, use_na_sentinel=False)[1])  # as resampled
        n_missing = int(pd.isna(pd.Series(values)).sum())
        n_values = n_groups - (n_missing > 0)
        if n_values == 1:
            caveat = (
                f" They assume the posts are independent: posts of one {group_column} value "
                "are not, so they are too narrow even for other posts of it."
            )
        elif n_values == 0:
            caveat = (
                f" They assume the posts are independent ({group_column!r} holds no value to "
                "group them by): posts of one account or company are not, and then the "
                "intervals are too narrow."
            )
        if 2 <= n_values < MIN_GROUPS:
            return _Resampled.none(
                f"No intervals: the posts come from only {n_values} values of "
                f"{group_column!r}, too few to say how far the error metrics could move on "
                f"other {group_column} values (resampling fewer than {MIN_GROUPS} gives "
                "intervals far narrower than their 95%)."
            )
        # two companies at least: one and the posts without any are no sample of companies
        if n_values >= 2:
            groups = values
            resampled = f"the {n_values:,} value{'s' * (n_values != 1)} of {group_column!r}"
            if n_missing:  # bootstrap_intervals pools them into one group of their own
                resampled += f" and the {n_missing:,} post(s) without one (as one group)"
            resampled += " resampled whole"
            # the largest group resampled: a value's, or the posts without one, pooled
            sizes = pd.Series(values).value_counts(dropna=False)
            largest = sizes.max() / len(values)
            which = (
                "the posts without one, resampled as one group, are"
                if pd.isna(sizes.idxmax())
                else "the largest holds"
            )
            why = [
                *(["this few groups"] if n_values < FEW_GROUPS else []),
                *(
                    [f"groups of such unequal size ({which} {largest:.0%} of the posts)"]
                    if largest > LARGEST_GROUP
                    else []
                ),
            ]
            caveat = (
                f" With {' and '.join(why)}, they are narrower than 95% (in a simulation on the "
                "real posts, where one company holds a quarter of them, they held the true "
                "value 81-84% of the time with 10 companies, 89% with 19 or 35, 85-88% with "
                "118)."
                if why
                else ""
            )
    if groups is None and y.shape[0] < MIN_GROUPS:  # as for fewer than MIN_GROUPS companies
        return _Resampled.none(
            f"No intervals: only {y.shape[0]} posts, too few to say how far the error metrics "
            f"could move on other posts (resampling fewer than {MIN_GROUPS} gives intervals far "
            "narrower than their 95%)."
        )
    with ignoring(UserWarning):  # negative predictions: said once already
        intervals = bootstrap_intervals(y, y_pred, groups=groups)
        differences = {
            name: paired_bootstrap(y, y_pred, other, groups=groups)
            for name, other in (others or {}).items()
        }
    return _Resampled(
        intervals,
        f"95% intervals of the log1p errors: {resampled}, 1,000 bootstrap resamples (seeded): "
        f"how far they could move on another draw of posts like these.{caveat} RMSE on raw "
        "likes has none: it rests on the few largest posts, which most draws lack (its "
        "resampled interval held the true value in 38% to 67% of simulated draws of 10 to 35 "
        "companies).",
        differences,
        resampled,
        bool(caveat),
    )


#: the report's columns of the known/new accounts table: (metric key, header)
_SPLIT_METRICS = (
    ("n_samples", "Posts"),
    ("rmse_log1p", "RMSE log1p"),
    ("mae_log1p", "MAE log1p"),
    ("rmse", "RMSE raw"),
    ("bucket_accuracy", "Bucket accuracy"),
)


def _known_and_new(masks, y, y_pred, bucket_pred, bins):
    """``[(row label, metrics)]`` of the posts by accounts and companies seen in training and
    of the others (any category column new), or ``[]`` when one of them holds no post (the
    metrics table above is then theirs)."""
    if not masks:
        return []
    new = np.logical_or.reduce(list(masks.values()))
    if new.all() or not new.any():
        return []
    # the columns as the table names them (category_columns=("brand",): its brand)
    every = " and ".join(map(str, masks))
    newer = " or ".join(str(column) for column, mask in masks.items() if mask.any())
    rows = []
    for label, keep in (
        (f"{every} {'were' if len(masks) > 1 else 'was'} seen in training (or missing)", ~new),
        (f"{newer} was not seen in training", new),
    ):
        with ignoring(UserWarning):  # negative predictions: said once already
            metrics = evaluate(
                y[keep],
                y_pred[keep],
                bucket_pred=None if bucket_pred is None else np.asarray(bucket_pred)[keep],
                bins=bins,
            )
        rows.append((label, metrics))
    return rows


def _fmt(value):
    """A metric as the command line prints it (thousands separated, 4 decimals), NaN as n/a
    (explained under the table)."""
    return _format_metric(value, missing="n/a")


def _undefined_note(metrics) -> str:
    undefined = [k for k in METRIC_NAMES if k != "n_samples" and np.isnan(float(metrics[k]))]
    if not undefined:
        return ""
    why = (
        " (R² needs actual likes that are not all the same)"
        if set(undefined) <= {"r2", "r2_log1p"}
        else ""
    )
    return f" n/a: {', '.join(undefined)} undefined on these rows{why}."


#: the metrics table's own column headers, which a baseline may not take
_METRICS_HEADERS = ("metric", "key", "value", "model", "95% interval")


def _checked_baselines(baselines) -> dict:
    """``baselines`` as a dict of names to fitted regressors (empty for None), refused with
    what was expected when it is anything else."""
    if baselines is None:
        return {}
    if not isinstance(baselines, Mapping):
        raise TypeError(
            "baselines must be a dict of names to fitted regressors, e.g. {'median': "
            f"GroupMedianRegressor().fit(X_train, y_train)}}; got {type(baselines).__name__}"
        )
    for name, other in baselines.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"baselines: each key names a column of the table; got {name!r}")
        if name.strip().lower() in _METRICS_HEADERS:
            raise ValueError(
                f"baselines: {name!r} names a column the metrics table has already; call it "
                "another name"
            )
        if not callable(getattr(other, "predict", None)):
            raise TypeError(
                f"baselines[{name!r}] must be a fitted regressor (with predict); got "
                f"{type(other).__name__}"
            )
        if hasattr(other, "fit"):  # before the model's predictions and plots, not after
            try:
                check_is_fitted(other)
            except NotFittedError as exc:
                raise NotFittedError(f"baselines[{name!r}]: {exc}") from exc
    return dict(baselines)


def _score_baseline(name, other, X, y, bins) -> tuple:
    """``(predictions, metrics)`` of ``other`` for ``X`` (the metrics score the buckets of
    its predicted likes); an error of its ``predict``, or a prediction the metrics refuse
    (NaN, another length), is named as the baseline's."""
    try:
        pred = other.predict(X)
    except Exception as exc:  # its own error, named as the baseline's where its type allows
        try:
            named = type(exc)(f"baselines[{name!r}]: {exc}")
        except Exception:
            raise exc from None
        raise named from exc
    try:
        return pred, evaluate(y, pred, bins=bins)
    except MetricsInputError as exc:
        raise type(exc)(f"baselines[{name!r}]: {exc}") from exc


#: under the table of the model's error minus the other models'
_DIFFERENCE_NOTE = (
    "An interval that holds 0: these posts cannot tell the two models apart. Whether another "
    "model's value lies inside the model's own interval does not say so: both models err "
    "most on the same hard posts, and the interval of the difference itself is then the "
    "narrower one. Like the intervals above, it is narrower than its 95% with few companies "
    "or companies of very unequal size (in a simulation on the real posts, 95% intervals of "
    "an RMSE(log1p) difference held the true one 80%, 85%, 88% and 93% of the time with 10, "
    "19, 35 and 118 companies), and when posts of one company are resampled as independent."
)

#: the error metrics as the difference table names them (short: the table fits a phone)
_DIFFERENCE_METRICS = {"rmse_log1p": "RMSE log1p", "mae_log1p": "MAE log1p"}


def _signed(value, digits=4) -> str:
    """A difference of metrics as the report and the command line print it: ``+0.0140``, and
    ``0.0000`` for one that rounds to zero (not ``-0.0000``)."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def _share(value) -> str:
    """A share in per cent, as of the resamples in which the model's error is lower: ``38%``
    (``<1%``, ``>99%`` where rounding would say never or always, which it was not)."""
    text = f"{value:.0%}"
    if text == "0%" and value > 0:
        return "<1%"
    if text == "100%" and value < 1:
        return ">99%"
    return text


def _baseline_name(other) -> str:
    """What a baseline is, for the note under the metrics table: its class and, for the
    per-account median, what it groups by; a Pipeline by its last step (the command line's
    median comes after a step that selects the columns it groups by)."""
    import numbers

    from sklearn.pipeline import Pipeline

    if isinstance(other, Pipeline) and other.steps:
        other = other.steps[-1][1]
    text = type(other).__name__
    groups: Any
    fitted = getattr(other, "_group_positions_", None)
    names = getattr(other, "feature_names_in_", None)
    if fitted is not None:  # the columns its medians belong to (set_params may have followed)
        groups = [
            names[position] if names is not None and not label.startswith("at ") else position
            for position, label in fitted
        ]
    else:
        groups = getattr(other, "group_columns", None)
    if groups is None:
        return text
    # one column may be given alone, as GroupMedianRegressor takes it: a name ("username" was
    # "u, then s, then e, ...") or a position (1 was a TypeError, after every prediction)
    from .baselines import _as_columns

    try:
        groups = _as_columns(groups)
    except TypeError:
        return text
    named = [
        f"position {column}"
        if isinstance(column, numbers.Integral) and not isinstance(column, bool)
        else str(column)
        for column in groups
    ]
    if named:
        text += f" by {', then '.join(named)}"
    return text


def _model_name(estimator, esc) -> str:
    """The model's class, and the final estimator's when it wraps one (a pipeline, a
    search), as HTML: ``<code>Pipeline</code> ending in <code>BucketedRegressor</code>``."""
    own = type(estimator).__name__
    final = type(_split_final(estimator)[1]).__name__
    text = f"<code>{esc(own)}</code>"
    return text if final == own else f"{text} ending in <code>{esc(final)}</code>"


def render_report(
    estimator,
    X,
    y,
    *,
    dates=None,
    date_column="date",
    title="skbucket evaluation report",
    config=None,
    group_column="inferred_company",
    baselines=None,
):
    """Evaluate ``estimator`` on ``(X, y)`` and return the report as an HTML string.

    Parameters
    ----------
    estimator : fitted regressor
        A ``BucketedRegressor``, a ``Pipeline`` ending in one, or any regressor (the
        plots of a routing classifier, its buckets or its bucket probabilities, are then
        replaced by a "Not drawn" note saying why).
    X : array-like or DataFrame
        Input rows.
    y : array-like of shape (n_samples,)
        True like counts, paired with the rows of ``X`` by position (a pandas index is not
        used to align them, as in scikit-learn).
    dates : array-like of shape (n_samples,), default=None
        Posting dates for the error-over-time plot. When ``None`` the column
        ``date_column`` of ``X`` is used if there is one, else the plot is left out; it is
        also left out, with a note in the page and a :class:`PlotLeftOutWarning`, when that
        column holds no readable date. Dates given here must draw the plot: when none of
        them is readable (or they mix day/month orders), a
        :class:`~skbucket.plotting.PlotInputError` is raised before anything is predicted.
    date_column : str or None, default="date"
        Column of ``X`` holding the dates. A role name (``"date"``) that the estimator's
        :class:`~skbucket.pipeline.ColumnRoles` step gives another column
        (``make_seed_pipeline(columns={"date": "posted_at"})``) is read from that column, as
        the model reads it; a column named ``date`` beside it is not used.
    title : str, default="skbucket evaluation report"
        Page title.
    config : dict, default=None
        Extra configuration to show (e.g. models used, data files).
    group_column : str or None, default="inferred_company"
        Column of ``X`` whose groups the bootstrap intervals of the error metrics resample
        together (:func:`~skbucket.metrics.bootstrap_intervals`: posts of one company are not
        independent). When ``X`` has no such column, holds fewer than two values (the posts
        without one, which are resampled as one group of their own, not counted), or
        ``group_column`` is None, posts are resampled one by one; the page says which. A
        role name the estimator's ``columns`` mapping gives another column is read from that
        column, as for ``date_column``. A column of that name that ``X`` holds twice is a
        :class:`~skbucket.metrics.MetricsInputError`, raised before anything is predicted.
    baselines : dict of str to fitted regressor, default=None
        Other models to score on the same rows, each in a column of the metrics table headed
        by its key, e.g. ``{"median": GroupMedianRegressor().fit(X_train, y_train)}`` (the
        per-account median, :class:`~skbucket.baselines.GroupMedianRegressor`, which on later
        posts of known accounts is hard to beat). Their bucket metrics score the buckets of
        their predicted likes; they get no intervals of their own, plots or split by account.
        Under the metrics table, a table gives the model's RMSE and MAE on log1p likes minus
        each baseline's with a 95% paired bootstrap interval
        (:func:`~skbucket.metrics.paired_bootstrap`, on the resamples of the model's
        intervals; none where the model has no intervals).

    Returns
    -------
    html : str
        A complete HTML document with no external resources. The same model and data give
        the same bytes but for the "Generated" time; with the environment variable
        ``SOURCE_DATE_EPOCH`` set (seconds since 1970, the reproducible-builds convention)
        that time is the one it names, so reports can be compared byte for byte.

    Raises
    ------
    ValueError
        When ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.

    Warns
    -----
    PlotLeftOutWarning
        When the dates of ``date_column`` cannot draw the error-over-time plot (see
        ``dates``).
    skbucket.exceptions.TrainingPostsWarning
        When some rows of ``X`` were among the estimator's training posts
        (:func:`skbucket.pipeline.seen_posts`): the page says so above the metrics, which
        they flatter.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skbucket.report import render_report
    >>> X = np.arange(30.0).reshape(-1, 1)
    >>> y = 7 * np.arange(30.0)
    >>> page = render_report(LinearRegression().fit(X, y), X, y, title="a <b> test")
    >>> page.startswith("<!DOCTYPE html>"), "a &lt;b&gt; test" in page
    (True, True)
    >>> page.count('<img src="data:image/png;base64,')
    4
    """
    from skbucket.pipeline import (
        _column_of_role,
        _unseen_text,
        unseen_posts,
        warn_training_posts,
    )
    from skbucket.plotting import require_matplotlib

    require_matplotlib()  # before the predictions (every image captioned), not after
    baselines = _checked_baselines(baselines)
    # the columns as the model reads them: a role its columns= mapping moved, from there
    date_column = _column_of_role(estimator, date_column)
    group_column = _column_of_role(estimator, group_column)
    generated = generated_at().strftime("%Y-%m-%d %H:%M:%S UTC")  # a bad setting: now too
    y_arr = np.asarray(y)
    # the true likes checked before any baseline is scored: a NaN or negative count in y was
    # reported as a baseline's error ("baselines['median']: y_true holds 1 non-finite value")
    _check_likes(y_arr, y_arr)
    # and as many as the rows of X (and as the dates given): a y of other length was blamed on
    # the first baseline ("baselines['median']: y_true and y_pred have different lengths"),
    # or found once every post had been predicted
    _check_rows(X, y_arr)
    columns = getattr(X, "columns", None)
    if group_column is not None and columns is not None:
        count = list(columns).count(group_column)
        if count > 1:
            # its groups were not read: the posts were resampled one by one, under a note
            # that the frame had no such column ("give the column of the companies")
            raise MetricsInputError(
                f"group_column {group_column!r} appears {count} times in X; the column whose "
                "groups the bootstrap intervals resample must be one column: rename or drop "
                "the repeated one (or pass group_column=None to resample posts one by one)."
            )
    if dates is not None:
        from skbucket.plotting import PlotInputError

        if isinstance(dates, str | bytes) or np.ndim(dates) == 0:  # a column's name, a date
            hint = (
                f" (to read the column {dates!r} of X, pass date_column={dates!r})"
                if isinstance(dates, str)
                else ""
            )
            raise PlotInputError(
                "dates must hold one posting date per post (array-like of shape (n_samples,)); "
                f"got a single {type(dates).__name__}: {dates!r:.80}{hint}."
            )
        try:
            _check_rows(dates, y_arr, "dates", "one posting date per post")
        except MetricsInputError as exc:
            raise PlotInputError(str(exc)) from None
        from skbucket.plotting import _read_plot_dates, model_dayfirst

        # read as the plot reads them, before the predictions: dates none of which is a date
        # (or mixing day/month orders) failed only once every post had been predicted
        _read_plot_dates(dates, model_dayfirst(estimator))
    bins = final_bins(estimator)
    # the baselines first: their errors (a wrong column) before minutes of captioning
    scored = {
        name: _score_baseline(name, other, X, y_arr, bins) for name, other in baselines.items()
    }
    beside = {name: metrics for name, (_, metrics) in scored.items()}
    # the features once for every quantity (the images are read, the texts embedded once)
    y_pred, bucket_pred, bucket_proba = _predict_once(estimator, X, proba=True)
    metrics = evaluate(y_arr, y_pred, bucket_pred=bucket_pred, bins=bins)
    intervals, interval_note, differences, *_ = _intervals(
        X, y_arr, y_pred, group_column, {name: pred for name, (pred, _) in scored.items()}
    )
    seen = warn_training_posts(estimator, X)  # said above the metrics, which it is about
    new = unseen_posts(estimator, as_pandas(X))  # once, for the note and the table
    unseen = _unseen_text(new, y_arr.shape[0])
    split = _known_and_new(new, y_arr, np.asarray(y_pred), bucket_pred, bins)
    figures = _figures(estimator, X, y_arr, y_pred, dates, date_column, bucket_pred, bucket_proba)

    def esc(text) -> str:
        # a file name Python could not decode (surrogate escapes) cannot be written as UTF-8:
        # its undecodable bytes become U+FFFD, as a browser shows them
        # (U+DC80-U+DCFF); any other lone surrogate (a title from json.loads('"\\ud83d"'))
        # becomes U+FFFD characters (one per byte of its UTF-8 form)
        text = str(text)
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "surrogatepass")
        # control characters (but tab and line breaks) and noncharacters are parse errors in
        # HTML: written as Python writes them in a repr ("\x01"), so the page stays valid
        return html.escape(_UNWRITABLE.sub(_escaped, raw.decode("utf-8", "replace")))

    bucket_source = (
        "the routing classifier's buckets (predict_bucket)"
        if bucket_pred is not None
        else "the buckets of the predicted likes"
    )
    rows = "\n".join(
        f'<tr><th scope="row">{esc(METRIC_DESCRIPTIONS[k])}</th><td class="key"><code>{esc(k)}</code></td>'
        f'<td class="num">{esc(_fmt(metrics[k]))}</td>'
        f'<td class="num interval">{esc(_format_interval(intervals.get(k), missing="n/a") or "–")}'
        "</td>"
        + "".join(f'<td class="num">{esc(_fmt(other[k]))}</td>' for other in beside.values())
        + "</tr>"
        for k in METRIC_NAMES
    )
    beside_heads = "".join(f'\n<th scope="col">{esc(name)}</th>' for name in beside)
    beside_note = (
        " Beside the model: "
        + "; ".join(f"{name} ({_baseline_name(other)})" for name, other in baselines.items())
        + ", scored on the same rows; "
        + ("its" if len(baselines) == 1 else "their")
        + " bucket metrics score the buckets of the predicted likes."
        if baselines
        else ""
    )
    difference_table = (
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Model minus other '
        'models"><table>\n<caption class="note">The model\'s error minus that of each other '
        "model on the same rows (negative: the model's is lower), with a 95% paired bootstrap "
        "interval: both scored on each of the resamples of the intervals above</caption>\n"
        '<tr><th scope="col">Model minus</th><th scope="col">Metric</th>'
        '<th scope="col">Difference</th><th scope="col">95% interval</th>'
        '<th scope="col">Model lower in</th></tr>\n'
        + "\n".join(
            f'<tr><th scope="row">{esc(name)}</th><td>{esc(_DIFFERENCE_METRICS[k])}</td>'
            f'<td class="num">{esc(_signed(d.difference))}</td>'
            f'<td class="num interval">{esc(_signed(d.low))} to {esc(_signed(d.high))}</td>'
            f'<td class="num">{esc(_share(d.share_better))}</td></tr>'
            for name, rows in differences.items()
            for k, d in rows.items()
        )
        + "\n</table></div>\n"
        f'<p class="note">{esc(_DIFFERENCE_NOTE)}</p>'
        if differences
        else ""
    )
    # ids of this report's own (two reports shown in one notebook or page named each other's
    # figures), the same for the same model and data (SOURCE_DATE_EPOCH: byte for byte)
    prefix = (
        "r"
        + hashlib.sha256(
            f"{title}|{generated}|{metrics}".encode("utf-8", "surrogatepass")
        ).hexdigest()[:8]
        + "-"
    )
    figs = "\n".join(
        f'<figure aria-labelledby="{prefix}plot-{number}"><figcaption id="{prefix}plot-{number}">{esc(t)}'
        f'</figcaption><p class="note">{esc(note)}</p></figure>'
        if uri is None
        else _figure_html(
            esc(t),
            uri,
            note and esc(note),
            alt=esc(described[0]) if described[0] else None,
            values=None
            if described[1] is None
            else (
                [esc(h) for h in described[1][0]],
                [[esc(v) for v in row] for row in described[1][1]],
            ),
            number=number,
            prefix=prefix,
        )
        for number, (t, uri, note, described) in enumerate(figures, 1)
    )
    split_table = (
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Known and new accounts">'
        '<table>\n<caption class="note">The metrics on the posts by accounts seen in training '
        'and on the others</caption>\n<tr><th scope="col">Posts whose</th>'
        + "".join(f'<th scope="col">{esc(header)}</th>' for _, header in _SPLIT_METRICS)
        + "</tr>\n"
        + "\n".join(
            f'<tr><th scope="row">{esc(label)}</th>'
            + "".join(f'<td class="num">{esc(_fmt(metrics[k]))}</td>' for k, _ in _SPLIT_METRICS)
            + "</tr>"
            for label, metrics in split
        )
        + "\n</table></div>"
        if split
        else ""
    )
    versions = "\n".join(
        f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in _versions().items()
    )
    n_rows = int(y_arr.shape[0])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>{esc(title)}</h1>
<p class="note">Generated {esc(generated)} on {n_rows:,} row{"s" * (n_rows != 1)}.
Model: {_model_name(estimator, esc)}.</p>
<h2>Metrics</h2>
{f'<p class="caution" role="note">{esc(seen[0].upper() + seen[1:])}.</p>' if seen else ""}
<div class="table-wrap" tabindex="0" role="region" aria-label="Metrics"><table>
<caption class="note">The metrics on these rows, with their 95% bootstrap intervals{" and other models' metrics" if beside else ""}</caption>
<tr><th scope="col">Metric</th><th scope="col" class="key">Key</th><th scope="col">{"Model" if beside else "Value"}</th>
<th scope="col">95% interval</th>{beside_heads}</tr>
{rows}
</table></div>
<p class="note">{esc(interval_note)}{" A dash: no interval for that metric." if intervals else ""}{esc(_undefined_note(metrics))}{esc(beside_note)}</p>
{difference_table}
{f'<p class="note">{esc(unseen[0].upper() + unseen[1:])}.</p>' if unseen else ""}
{split_table}
<p class="note">Bucket edges (upper, inclusive): {esc(", ".join(map(_edge_text, bins)))}.
Bucket accuracy and macro-F1 score {esc(bucket_source)}. Negative predicted likes are
clipped to 0 for the log1p metrics and the buckets.</p>
<h2>Plots</h2>
<div class="figs">
{figs}
</div>
<h2>Model configuration</h2>
<div class="table-wrap" tabindex="0" role="region" aria-label="Model configuration">
<pre>{esc(_config_text(estimator, config))}</pre></div>
<h2>Versions</h2>
<table>
<caption class="note">The libraries this report was made with</caption>
{versions}
</table>
</main>
</body>
</html>
"""


def write_report(
    estimator,
    X,
    y,
    path,
    *,
    dates=None,
    date_column="date",
    title="skbucket evaluation report",
    config=None,
    group_column="inferred_company",
    baselines=None,
):
    """Write the self-contained HTML report of ``estimator`` on ``(X, y)`` to ``path``.

    The file is written to a temporary file of a random name beside ``path`` and then
    renamed, so an interrupted or failed write (a full disk) never leaves a half-written
    report, keeps an existing report at ``path`` as it was, and leaves no temporary file
    behind.

    Parameters
    ----------
    estimator, X, y
        As in :func:`render_report`.
    path : str or path-like
        Where to write the ``.html`` file (parent folders are created; a leading ``~`` is
        the home folder).
    dates, date_column, title, config, group_column, baselines
        As in :func:`render_report`.

    Returns
    -------
    path : pathlib.Path
        The written file.

    Raises
    ------
    OSError
        When the file cannot be written; the message names ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from sklearn.linear_model import LinearRegression
    >>> from skbucket.report import write_report
    >>> X = np.arange(20.0).reshape(-1, 1)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> write_report(LinearRegression().fit(X, X[:, 0]), X, X[:, 0], out).stat().st_size > 10_000
    True
    """
    text = render_report(
        estimator,
        X,
        y,
        dates=dates,
        date_column=date_column,
        title=title,
        config=config,
        group_column=group_column,
        baselines=baselines,
    )
    return replace_atomically(path, lambda fh: fh.write(text.encode("utf-8")), "report")
