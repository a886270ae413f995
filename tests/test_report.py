"""Tests for the self-contained HTML report (skbucket.report), incl. a headless-Chromium render."""

from __future__ import annotations

import base64
import html
import os
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from _chromium import chromium, run_chromium
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skbucket.bucketed import BucketedRegressor, assign_buckets
from skbucket.metrics import bootstrap_intervals, evaluate, evaluate_estimator
from skbucket.report import PlotLeftOutWarning, render_report, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMG_RE = re.compile(r'<img src="([^"]*)"')


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, size=(200, 3))
    y = np.round(np.expm1(X[:, 0]))
    dates = pd.date_range("2019-06-01", periods=200, freq="2D")
    return X, y, dates


@pytest.fixture(scope="module")
def model(data):
    X, y, _ = data
    est = BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True)
    return est.fit(X, y)


def _images(page):
    return IMG_RE.findall(page)


def test_report_is_self_contained_with_all_plots(data, model, tmp_path):
    X, y, dates = data
    path = write_report(model, X, y, tmp_path / "sub" / "report.html", dates=dates)
    assert path == tmp_path / "sub" / "report.html"
    assert os.listdir(path.parent) == ["report.html"]  # no temporary file left behind
    page = path.read_text(encoding="utf-8")
    srcs = _images(page)
    # pred-vs-actual, 2 classifier + 2 regression confusion matrices, errors, calibration, time
    assert len(srcs) == 8
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_MAGIC
    # nothing is fetched from elsewhere
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page
    assert "Calibration of the bucket probabilities" in page
    assert "Error over time" in page


def test_a_failed_write_keeps_the_old_report_and_leaves_no_temporary_file(
    data, model, tmp_path, monkeypatch
):
    import errno
    import os

    X, y, dates = data
    path = tmp_path / "report.html"
    path.write_text("the old report", encoding="utf-8")

    class FullDisk:  # the temporary file takes 16 bytes, then the disk is full
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            self.fh.write(data[:16])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError, match=r"cannot write the report .*report\.html.*No space left"):
        write_report(model, X, y, path, dates=dates)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "the old report"
    assert os.listdir(tmp_path) == ["report.html"]


@pytest.mark.filterwarnings("ignore:.*predicted like counts are negative")  # Ridge on buckets
def test_a_router_without_probabilities_gets_no_calibration_plot(data):
    """A LinearSVC router has no predict_proba: the report drew a 'calibration' of its one-hot
    rows (one marker at 1.0, the bucket accuracy), as if they were probabilities."""
    from sklearn.svm import LinearSVC

    from skbucket.plotting import BucketCalibrationDisplay, PlotInputError

    X, y, _ = data
    svc = BucketedRegressor(LinearSVC(), Ridge(), bins=(20, 200)).fit(X, y)
    page = render_report(svc, X, y)
    assert 'alt="Calibration of the bucket probabilities' not in page
    # left out with a word where it would be, not silently
    assert "Not drawn: the routing classifier LinearSVC has no predict_proba." in page
    assert "Bucket confusion matrix (routing classifier, counts)" in page
    with pytest.raises(PlotInputError, match="LinearSVC has no predict_proba"):
        BucketCalibrationDisplay.from_estimator(svc, X, y)
    tree = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge(), bins=(20, 200))
    assert "Calibration of the bucket probabilities" in render_report(tree.fit(X, y), X, y)


def test_report_metrics_table_matches_evaluate(data, model):
    X, y, _ = data
    page = render_report(model, X, y)
    metrics = evaluate_estimator(model, X, y)
    for key in ("rmse", "rmse_log1p", "mae_log1p", "r2", "r2_log1p", "bucket_accuracy"):
        row = re.search(rf"<code>{key}</code></td><td class=\"num\">([^<]+)</td>", page)
        assert row is not None, key
        assert float(row.group(1).replace(",", "")) == pytest.approx(metrics[key], abs=1e-4)
    assert "routing classifier" in page
    assert f"on {len(y)} rows" in page
    # no dates and X has no date column: no time plot
    assert len(_images(page)) == 7
    # the error metrics carry their bootstrap interval (an array: posts resampled one by one)
    pred = model.predict(X)
    expected = bootstrap_intervals(y, pred)
    for key, (low, high) in expected.items():
        row = re.search(rf"<code>{key}</code></td><td [^>]+>[^<]+</td><td [^>]+>([^<]+)</td>", page)
        assert row.group(1) == f"{low:,.4f} to {high:,.4f}", key  # as the CLI prints them
        assert low <= metrics[key] <= high
    assert "posts resampled one by one, 1,000 bootstrap resamples" in page
    from skbucket.report import _fmt

    assert (_fmt(3792.54171), _fmt(12345), _fmt(float("nan"))) == ("3,792.5417", "12,345", "n/a")


def test_report_intervals_resample_whole_companies(data, model):
    X, y, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    companies = np.repeat([f"brand {i}" for i in range(20)], 10)
    drop = FunctionTransformer(lambda f: f.drop(columns="inferred_company").to_numpy())
    pipe = make_pipeline(drop, model)
    page = render_report(pipe, frame.assign(inferred_company=companies), y)
    assert "the 20 values of &#x27;inferred_company&#x27; resampled whole" in page
    low, high = bootstrap_intervals(y, model.predict(X), groups=companies)["rmse_log1p"]
    assert f"{low:.4f} to {high:.4f}" in page
    assert "narrower than 95%" in page  # with 20 companies
    assert "With this few groups, they are narrower than 95%" in page
    assert "the largest holds" not in page  # 5% each: not unequal
    # many groups of even size: no such caveat (it was said for any number of groups)
    from skbucket.report import _intervals

    rng = np.random.default_rng(0)
    likes = rng.integers(0, 1000, 1200).astype(float)
    accounts = pd.DataFrame({"account": [f"user {i}" for i in range(400)] * 3})
    intervals, note = _intervals(accounts, likes, likes * 1.2, "account")[:2]
    assert "the 400 values of 'account' resampled whole" in note and "narrower" not in note
    many = pd.DataFrame({"account": [f"user {i}" for i in range(1200)]})
    assert "the 1,200 values" in _intervals(many, likes, likes * 1.2, "account")[1]
    # many groups, one of them a third of the posts: unequal, not few
    big = pd.DataFrame({"account": ["big"] * 400 + [f"user {i}" for i in range(800)]})
    note = _intervals(big, likes, likes * 1.2, "account")[1]
    assert "With groups of such unequal size (the largest holds 33% of the posts)," in note
    # the posts without a value, pooled into one group, are half of them: unequal too (the
    # caveat was left out, the pool not counted)
    pooled = pd.DataFrame({"account": [None] * 600 + [f"user {i % 400}" for i in range(600)]})
    note = _intervals(pooled, likes, likes * 1.2, "account")[1]
    assert "(the posts without one, resampled as one group, are 50% of the posts)" in note
    assert "RMSE on raw likes has none" in page
    assert not re.search(r"<code>rmse</code></td><td [^>]+>[^<]+</td><td [^>]+>[^<]*\d", page)
    # five companies: their resamples gave intervals far narrower than 95% (two companies: the
    # metric on each one alone), labelled 95%
    five = np.repeat([f"brand {i}" for i in range(5)], 40)
    page = render_report(pipe, frame.assign(inferred_company=five), y)
    assert "No intervals: the posts come from only 5 values of &#x27;inferred_company&#x27;" in page
    assert "bootstrap resamples" not in page and "A dash" not in page
    page = render_report(pipe, frame.assign(inferred_company="one brand"), y)
    assert "posts resampled one by one" in page  # one company: nothing to resample
    # (it advised giving the column of the companies, which was given)
    assert "posts of one inferred_company value are not, so they are too narrow" in page
    assert "give the column" not in page
    page = render_report(pipe, frame.assign(inferred_company=None), y)  # given, but empty
    assert "(&#x27;inferred_company&#x27; holds no value to group them by)" in page
    assert "give the column" not in page
    page = render_report(pipe, frame.assign(inferred_company=companies), y, group_column=None)
    assert "They assume the posts are independent" in page and "give the column" in page
    # nor one company and the posts without one: a bootstrap of two clusters means nothing
    one = np.where(np.arange(len(y)) < 3, None, "one brand")
    page = render_report(pipe, frame.assign(inferred_company=one), y)
    assert "posts resampled one by one" in page
    # posts without a company are resampled as one group of their own, and the note says so
    gaps = companies.astype(object)
    gaps[:15] = None
    page = render_report(pipe, frame.assign(inferred_company=gaps), y)
    assert (
        "the 19 values of &#x27;inferred_company&#x27; and the 15 post(s) without one (as one "
        "group) resampled whole" in page
    )
    low, high = bootstrap_intervals(y, model.predict(X), groups=gaps)["rmse_log1p"]
    assert f"{low:.4f} to {high:.4f}" in page
    # a pyarrow Table is read by column name as a DataFrame is
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(frame.assign(inferred_company=companies))
    to_frame = FunctionTransformer(lambda t: t.to_pandas().drop(columns="inferred_company"))
    page = render_report(make_pipeline(to_frame, FunctionTransformer(np.asarray), model), table, y)
    assert "the 20 values of &#x27;inferred_company&#x27; resampled whole" in page
    # the column twice: which one? refused, not a crash (it was posts one by one, under a
    # note asking for the column of the companies)
    twice = frame.assign(inferred_company=companies)
    twice.insert(0, "inferred_company", companies, allow_duplicates=True)
    drop_both = FunctionTransformer(lambda f: f.drop(columns="inferred_company").to_numpy())
    with pytest.raises(ValueError, match="group_column 'inferred_company' appears 2 times"):
        render_report(make_pipeline(drop_both, model), twice, y)
    # one post: no interval, and the page does not claim any
    page = render_report(model, X[:1], y[:1])
    assert "No intervals: fewer than two posts to resample." in page
    assert "bootstrap resamples" not in page


def test_a_mapped_pipeline_is_reported_by_the_columns_it_reads(data, model):
    """``make_seed_pipeline(columns=...)`` reads the company and the date under the table's own
    names: the report grouped by, and plotted over, the role-named columns such a model
    ignores (stale ones beside them), and without them left the plot out."""
    from matplotlib.figure import Figure
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skbucket.pipeline import ColumnRoles
    from skbucket.plotting import ErrorOverTimeDisplay

    X, y, dates = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        brand=np.repeat([f"brand {i}" for i in range(20)], 10), posted_at=dates
    )
    roles = ColumnRoles(columns={"inferred_company": "brand", "date": "posted_at"})
    numbers = FunctionTransformer(lambda f: f[["a", "b", "c"]].to_numpy())
    pipe = Pipeline([("roles", roles), ("numbers", numbers), ("model", clone(model))])
    pipe.fit(frame, y)
    stale = frame.assign(inferred_company="old brand", date="2015-01-01")  # given way
    np.testing.assert_array_equal(pipe.predict(stale), pipe.predict(frame))
    for table in (stale, frame):
        page = render_report(pipe, table, y)
        assert "the 20 values of &#x27;brand&#x27; resampled whole" in page
        assert re.search(r"<figcaption[^>]*>Error over time", page) and "Not drawn" not in page
        display = ErrorOverTimeDisplay.from_estimator(pipe, table, y, ax=Figure().subplots())
        assert display.counts.sum() == 200 and len(display.periods) > 10  # over posted_at
    # a fitted search stands for its best pipeline
    search = GridSearchCV(pipe, {"model__clip": [True]}, cv=2).fit(frame, y)
    assert "the 20 values of &#x27;brand&#x27;" in render_report(search, stale, y)
    # the role name given: its column; any other name: that column
    page = render_report(pipe, stale, y, group_column="inferred_company")
    assert "the 20 values of &#x27;brand&#x27;" in page
    page = render_report(pipe, stale, y, group_column="b")
    assert "the 200 values of &#x27;b&#x27; resampled whole" in page


def test_an_estimator_with_a_steps_parameter_of_its_own_is_reported(data):
    """Reading a model's column roles took any attribute named steps for a pipeline's: a
    regressor with a hyper-parameter steps=10 got "'int' object is not iterable"."""
    from matplotlib.figure import Figure
    from sklearn.base import BaseEstimator, RegressorMixin

    from skbucket.plotting import ErrorOverTimeDisplay

    class Stepper(RegressorMixin, BaseEstimator):
        def __init__(self, steps=10):
            self.steps = steps

        def fit(self, X, y):
            self.ridge_ = Ridge().fit(X, y)
            return self

        def predict(self, X):
            X = X[["a", "b", "c"]].to_numpy() if hasattr(X, "columns") else X
            return np.clip(self.ridge_.predict(X), 0, None)

    X, y, dates = data
    model = Stepper().fit(X, y)
    assert render_report(model, X, y, dates=dates).startswith("<!DOCTYPE html>")
    listed = Stepper(steps=[1, 2]).fit(X, y)
    assert render_report(listed, X, y, dates=dates).startswith("<!DOCTYPE html>")
    # as the regressor of a bucket: its fit parameters are not a pipeline's
    BucketedRegressor(DecisionTreeClassifier(random_state=0), Stepper(steps=[1, 2])).fit(X, y)
    ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, ax=Figure().subplots())
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(date=dates)
    ErrorOverTimeDisplay.from_estimator(
        Stepper(steps=[1, 2]).fit(X, y), frame, y, ax=Figure().subplots()
    )


def test_a_pipeline_whose_steps_are_lists_is_read_as_one(data):
    """Pipeline([["s", ...], ["b", ...]]) (steps from a JSON or YAML config): the report took
    it for no pipeline and showed the default bins, and predict_bucket failed."""
    from sklearn.pipeline import Pipeline

    from skbucket.metrics import final_bins, predict_bucket
    from skbucket.pipeline import ColumnRoles, _role_columns

    X, y, _ = data
    regressor = BucketedRegressor(
        DecisionTreeClassifier(random_state=0), Ridge(), bins=(5, 50), clip=True
    )
    listed = Pipeline([["scale", StandardScaler()], ["model", regressor]]).fit(X, y)
    assert final_bins(listed) == (5.0, 50.0)
    np.testing.assert_array_equal(
        predict_bucket(listed, X), listed[-1].predict_bucket(listed[0].transform(X))
    )
    page = render_report(listed, X, y)  # the routing classifier's plots drawn
    assert (
        "Not drawn" not in page
        and len(re.findall(r"<figcaption[^>]*>Bucket confusion matrix", page)) == 4
    )
    roles = Pipeline([["roles", ColumnRoles(columns={"username": "handle"})], ["m", Ridge()]])
    assert _role_columns(roles) == {"username": "handle"}


def test_report_escapes_and_shows_configuration(data, model):
    X, y, _ = data
    page = render_report(
        model,
        X,
        y,
        title="<script>alert(1)</script>",
        config={"text_model": "distil<bert>", "note": 'a "quoted" & value'},
    )
    assert "<script>alert(1)</script>" not in page
    assert html.escape("<script>alert(1)</script>") in page
    assert html.escape("distil<bert>", quote=True) in page
    assert "min_bucket_size=5" in page  # get_params(deep=False) pretty-printed
    assert "DecisionTreeClassifier(max_depth=3, random_state=0)" in page
    assert "scikit-learn" in page and "skbucket" in page


@pytest.mark.filterwarnings("ignore:.*predicted like counts are negative")  # Ridge, raw likes
def test_report_with_an_undecodable_file_name_and_exact_custom_edges(data, tmp_path):
    # a Latin-1 file name on a UTF-8 system reaches Python with surrogate escapes, which cannot
    # be written as UTF-8: the report could be rendered but not written
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier

    from skbucket.bucketed import BucketedRegressor

    X, y, _ = data
    name = os.fsdecode(b"posts_\xe9t\xe9.csv")
    bins = (10, 2500.125, 1_000_000, 1_000_001)
    model = BucketedRegressor(DecisionTreeClassifier(max_depth=2), Ridge(), bins=bins).fit(X, y)
    out = write_report(model, X, y, tmp_path / "r.html", title=name, config={"data": name})
    page = out.read_text(encoding="utf-8")
    assert "posts_\ufffdt\ufffd.csv" in page
    # a lone surrogate of another kind (json.loads('"\\ud83d"')): before, UnicodeEncodeError
    page = render_report(model, X, y, title="likes \ud83d", config={"note": "\ud83d"})
    assert "likes \ufffd" in page
    # the edges as given, not rounded to six digits (1e+06 twice, 2500.12)
    assert "Bucket edges (upper, inclusive): 10, 2500.125, 1000000, 1000001." in page


def test_report_writes_control_characters_visibly_and_counts_rows_as_the_table_does(data, model):
    # a data file's name is the CLI's title: its control characters and noncharacters made the
    # page invalid HTML ("invalid-codepoint"); they are written as a repr writes them
    X, y, _ = data
    page = render_report(model, X, y, title="ctl\x01name \x1b\x00\x7f\x85\ufffe\U0001ffff.csv")
    bad = [c for c in page if (ord(c) < 32 and c not in "\t\n\r\x0c") or 0x7F <= ord(c) <= 0x9F]
    bad += [c for c in page if 0xFDD0 <= ord(c) <= 0xFDEF or ord(c) & 0xFFFE == 0xFFFE]
    assert bad == []
    assert "<h1>ctl\\x01name \\x1b\\x00\\x7f\\x85\\ufffe\\U0001ffff.csv</h1>" in page
    assert "tab\tand\nline" in render_report(model, X, y, title="tab\tand\nline")
    # the row count as the metrics table writes n_samples (thousands separated), and one row
    big = np.tile(X, (6, 1))
    page = render_report(model, big, np.tile(y, 6))
    assert "on 1,200 rows." in page
    assert "on 1 row." in render_report(model, X[:1], y[:1])


def test_source_date_epoch_makes_the_report_byte_for_byte_repeatable(data, model, monkeypatch):
    X, y, dates = data
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = render_report(model, X, y, dates=dates)
    assert "Generated 2023-11-14 22:13:20 UTC on 200 rows." in first
    assert render_report(model, X, y, dates=dates) == first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH must be a whole number of seconds"):
        render_report(model, X, y)
    # refused before any prediction (every image captioned, every text embedded), not after:
    # milliseconds, a common slip, name a year past 9999
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000000")

    class NeverPredicts(type(model)):
        def predict(self, X):
            raise AssertionError("predicted before the setting was checked")

    never = NeverPredicts().fit(X, y)
    with pytest.raises(ValueError, match="got '1700000000000'"):
        render_report(never, X, y)


def test_report_tables_have_captions_and_header_scopes(data, model):
    # a screen reader names each table by its caption and each cell by its row and column
    # headers: the tables had neither
    from html.parser import HTMLParser

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.first_in_table, self.headers, self.previous = [], [], None

        def handle_starttag(self, tag, attrs):
            if self.previous == "table":
                self.first_in_table.append(tag)
            if tag == "th":
                self.headers.append(dict(attrs).get("scope"))
            self.previous = tag

    X, y, _ = data
    parser = Tables()
    page = render_report(model, X, y)
    parser.feed(page)
    # the metrics, the versions, and the values of each plot that has numbers to list
    assert parser.first_in_table == ["caption"] * (2 + page.count("<details>"))
    assert len(parser.headers) > 10 and set(parser.headers) == {"row", "col"}


def test_every_plot_is_described_in_words_and_its_numbers_are_listed(data, model):
    """The images' alt text repeated their captions, and the numbers they draw (the
    matrices' counts, each bucket's error, the error per month) were nowhere in the page's
    text: a screen reader could reach none of them."""
    from html import unescape

    from sklearn.metrics import confusion_matrix

    X, y, dates = data
    page = render_report(model, X, y, dates=dates)
    figures = re.findall(r"<figure[^>]*>(.*?)</figure>", page, re.S)
    drawn = [f for f in figures if "<img" in f]
    assert len(drawn) == 8
    for figure in drawn:
        alt = unescape(re.search(r'alt="([^"]*)"', figure).group(1))
        caption = unescape(re.search(r"<figcaption[^>]*>(.*?)</figcaption>", figure).group(1))
        assert alt != caption and len(alt) > 60, (alt, caption)
    tables = {
        unescape(re.search(r"<figcaption[^>]*>(.*?)</figcaption>", f).group(1)): f
        for f in drawn
        if "<details>" in f
    }
    assert "Predicted vs actual likes" not in tables  # one point per post: no table

    def cells(figure):
        rows = re.findall(r"<tr>(.*?)</tr>", figure, re.S)
        return [[unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows]

    counts = cells(tables["Bucket confusion matrix (routing classifier, counts)"])
    want = confusion_matrix(
        assign_buckets(y), model.predict_bucket(X), labels=range(7)
    )  # the router's buckets
    got = np.array(
        [[int(v.replace(",", "")) if v != "–" else 0 for v in row[1:]] for row in counts[1:]]
    )
    np.testing.assert_array_equal(got, want)
    errors = cells(tables["Error per true bucket"])
    assert errors[0] == ["True bucket", "Posts", "Median error", "MAE (log1p)"]
    assert sum(int(row[1].replace(",", "")) for row in errors[1:]) == len(y)
    months = cells(tables["Error over time (MAE of log1p(likes) per month)"])
    assert sum(int(row[1].replace(",", "")) for row in months[1:]) == len(y)
    assert months[1][0] == "2019-06"
    # the months with posts, and the span they cover (9 months across 40 years read as 9)
    last = months[-1][0]
    assert f"months with posts, from 2019-06 to {last}, with the posts per month" in page
    # each calibration point with the posts behind it (a point of 4 posts read like one of 400)
    calibration = cells(tables["Calibration of the bucket probabilities (top bucket)"])
    assert calibration[0] == ["Mean predicted probability", "Curve", "Posts", "Observed frequency"]
    assert sum(int(row[2].replace(",", "")) for row in calibration[1:]) == len(y)
    # each row named by its own point (the curve's name, "top bucket", headed every row)
    assert len({row[0] for row in calibration[1:]}) == len(calibration) - 1
    # the four matrices' texts say whose buckets they show (two pairs were word for word)
    matrices = [unescape(re.search(r'alt="([^"]*)"', f).group(1)) for f in drawn if "matrix" in f]
    assert len(matrices) == len(set(matrices)) == 4
    assert sum("routing classifier chose" in alt for alt in matrices) == 2
    assert "5 equal-width probability bins (empty ones left out)" in page
    # a curve whose counts are not known (another scikit-learn's binning): listed without them
    from skbucket.plotting import BucketCalibrationDisplay
    from skbucket.report import _described

    unknown = BucketCalibrationDisplay(
        prob_true=[np.array([0.5, 0.7])],
        prob_pred=[np.array([0.4, 0.8])],
        curve_labels=["top bucket"],
        bin_counts=[None],
    )
    assert [row[2] for row in _described(unknown)[1][1]] == ["", ""]


def test_the_report_keeps_to_a_narrow_window_and_prints_its_configuration(tmp_path):
    """Long unspaced text (a column name, a file path) in a note widened the page past a
    phone's screen; the configuration was cut off on paper; text touched the window's edge."""
    binary = chromium()
    rng = np.random.RandomState(0)
    long = "company_" + "x" * 120
    X = pd.DataFrame(rng.uniform(0, 8, size=(200, 3)), columns=["a", "b", "c"])
    X[long] = rng.choice(["Acme", "O'Brien & Co"], size=200)
    X["posted_" + "y" * 100] = "not a date"
    y = np.round(np.expm1(X["a"].to_numpy()))
    est = BucketedRegressor(
        DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True,
        classifier_columns=["a", "b", "c"], regressor_columns=["a", "b", "c"],
    ).fit(X, y)  # fmt: skip
    with pytest.warns(PlotLeftOutWarning, match="leaves out the plot"):
        page = render_report(est, X, y, group_column=long, date_column=X.columns[-1])
    assert "@media print" in page and "white-space: pre-wrap" in page
    harness = tmp_path / "narrow.html"
    script = (
        '<script>window.addEventListener("load", function () {'
        'document.body.setAttribute("data-wide", String(document.documentElement.scrollWidth));'
        'document.body.setAttribute("data-left", String(document.querySelector("h1")'
        ".getBoundingClientRect().left));"
        # numbers broken over lines (8,4 / 56. / 805): a cell's text in more than one line box
        "var broken = 0, cells = document.querySelectorAll('td.num:not(.interval)');"
        "for (var i = 0; i < cells.length; i++) { var r = document.createRange();"
        "r.selectNodeContents(cells[i]); if (r.getClientRects().length > 1) { broken++; } }"
        'document.body.setAttribute("data-broken", String(broken));});</script>'
    )
    harness.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    out = run_chromium(
        binary, tmp_path, "--window-size=500,1600", "--virtual-time-budget=5000", "--dump-dom",
        harness.as_uri(),
    )  # fmt: skip
    body = re.search(r"<body[^>]*>", out.stdout)
    assert body is not None, out.stderr[-2000:]
    assert int(re.search(r'data-wide="(\d+)"', body.group(0)).group(1)) <= 500
    assert float(re.search(r'data-left="([\d.]+)"', body.group(0)).group(1)) >= 8
    assert re.search(r'data-broken="(\d+)"', body.group(0)).group(1) == "0"  # tables scroll


def test_report_for_pipeline_and_date_column(data):
    X, y, dates = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(date=dates.astype(str))
    pipe = make_pipeline(
        _DropDate(),
        StandardScaler(),
        BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True),
    ).fit(frame, y)
    page = render_report(pipe, frame, y)
    assert len(_images(page)) == 8  # incl. calibration through the pipeline and the time plot
    # the pipeline's parameters show its BucketedRegressor already: not a second time
    assert "Final step" not in page and page.count("BucketedRegressor(") == 1


def _config_section(page):
    return html.unescape(page.split("<h2>Model configuration</h2>", 1)[1].split("</pre>", 1)[0])


def test_report_of_a_search_shows_what_it_chose_and_the_model_it_refitted(data):
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import PolynomialFeatures

    X, y, _ = data
    pipe = make_pipeline(
        PolynomialFeatures(),
        BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True),
    )
    grid = {
        "polynomialfeatures__degree": [1, 3],
        "bucketedregressor__classifier__max_depth": [2, 5],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    config = _config_section(render_report(search, X, y))
    # the template's PolynomialFeatures() is shown, and then the degree the scored model has
    chosen = search.best_params_["polynomialfeatures__degree"]
    assert f"PolynomialFeatures(degree={chosen})" in config
    assert f"GridSearchCV chose best_params_ = {search.best_params_}" in config.replace("\n", " ")

    # a search as a pipeline's last step: said where it is
    outer = make_pipeline(StandardScaler(), GridSearchCV(pipe, grid, cv=3)).fit(X, y)
    config = _config_section(render_report(outer, X, y))
    inner = outer[-1]
    assert "step 'gridsearchcv' > GridSearchCV chose best_params_" in config
    degree = inner.best_params_["polynomialfeatures__degree"]
    assert f"PolynomialFeatures(degree={degree})" in config


def test_report_without_a_readable_date_leaves_out_only_the_time_plot(data, tmp_path):
    X, y, dates = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(date=dates.astype(str))
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X.drop(columns=["date"]).to_numpy()),
        BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True),
    ).fit(frame, y)
    undated = frame.assign(date=None)
    with pytest.warns(
        PlotLeftOutWarning, match=r"leaves out the plot 'Error over time.*none of the 200"
    ):
        path = write_report(pipe, undated, y, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    assert len(_images(page)) == 7  # every other plot
    assert "Not drawn: column &#x27;date&#x27;: none of the 200 dates" in page
    assert len(re.findall(r"<figcaption[^>]*>Error over time", page)) == 1
    # some dates unreadable: drawn, and the rows left out are said in the page's text (they
    # were written only inside the image)
    some = frame.assign(date=[None] * 19 + list(frame["date"][19:]))
    page = render_report(pipe, some, y)
    assert len(_images(page)) == 8
    note = '<p class="note">19 rows without a readable date left out.</p></figure>'
    (figure,) = [f for f in page.split("<figure")[1:] if ">Error over time" in f]
    assert note in figure and page.count("without a readable date") == 1
    # day/month-mixed dates: the note names the column once, and the model's setting as
    # the remedy (the report has no dayfirst of its own)
    mixed = frame.assign(date=["13/04/2021", "03/04/2021"] * 100)
    with pytest.warns(PlotLeftOutWarning, match="leaves out the plot 'Error over time"):
        page = render_report(pipe, mixed, y)
    assert "Not drawn: date column &#x27;date&#x27; mixes day/month orders" in page
    assert "&#x27;dates&#x27;" not in page and "pass dayfirst=True" not in page
    # this pipeline reads no dates itself: the remedy is dates= read the user's way
    assert "pass dates= read your way (pd.to_datetime(..., dayfirst=True))" in page
    assert page.count("ISO 8601") == 1
    # dates given explicitly must be usable: a wrong length is still an error
    from skbucket.plotting import PlotInputError

    with pytest.raises(PlotInputError, match="dates has 3 rows"):
        render_report(pipe, frame, y, dates=dates[:3])


def test_report_and_evaluate_compute_the_features_once(data):
    X, y, dates = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(date=dates.astype(str))
    calls = []

    def drop_date(X):  # stands for the captioner and the embedder: count its passes
        calls.append(len(X))
        return X.drop(columns=["date"]).to_numpy()

    pipe = make_pipeline(
        FunctionTransformer(drop_date),
        BucketedRegressor(DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True),
    ).fit(frame, y)
    expected = evaluate(y, pipe.predict(frame), bucket_pred=pipe[-1].predict_bucket(X))
    calls.clear()
    page = render_report(pipe, frame, y)
    assert calls == [len(frame)]  # once for all plots and metrics
    assert len(_images(page)) == 8  # every plot, calibration included
    row = re.search(r"<code>rmse_log1p</code></td><td class=\"num\">([^<]+)</td>", page)
    assert float(row.group(1)) == pytest.approx(expected["rmse_log1p"], abs=1e-4)
    calls.clear()
    assert evaluate_estimator(pipe, frame, y) == pytest.approx(expected)
    assert calls == [len(frame)]


def test_report_for_plain_regressor_leaves_out_bucket_plots(data):
    X, y, _ = data
    page = render_report(Ridge().fit(X, np.log1p(y)), X, y)
    assert len(_images(page)) == 4
    assert "Not drawn: Ridge has no routing classifier to give them." in page
    assert page.count("Not drawn: Ridge has no routing classifier (no predict_bucket)") == 2
    assert "buckets of the predicted likes" in page


class _DropDate:
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.drop(columns=["date"]).to_numpy()

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


# ----------------------------------------------------------------- headless Chromium render
_CHECK_SCRIPT = """<script>
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.body.setAttribute("data-loaded", ok + "/" + imgs.length);
  document.body.setAttribute("data-text-length", String(document.body.innerText.trim().length));
  var scale = 1;  // the smallest shown width / the width the page gives an image
  for (var j = 0; j < imgs.length; j++) {
    scale = Math.min(scale, imgs[j].clientWidth / Number(imgs[j].getAttribute("width")));
  }
  document.body.setAttribute("data-min-scale", scale.toFixed(3));
});
</script>"""


def test_report_renders_in_headless_chromium(data, model, tmp_path):
    binary = chromium()
    X, y, dates = data
    report = write_report(model, X, y, tmp_path / "report.html", dates=dates)
    page = report.read_text(encoding="utf-8")
    n_images = len(_images(page))
    assert n_images == 8

    # 1) every image decodes: a copy of the page with a checking script, DOM dumped after load
    harness = tmp_path / "harness.html"
    harness.write_text(page.replace("</body>", _CHECK_SCRIPT + "</body>"), encoding="utf-8")
    out = run_chromium(
        binary, tmp_path, "--virtual-time-budget=5000", "--dump-dom", harness.as_uri()
    )
    body = re.search(r"<body[^>]*>", out.stdout)
    assert body is not None, out.stderr[-2000:]
    loaded = re.search(r'data-loaded="(\d+)/(\d+)"', body.group(0))
    assert loaded is not None, (body.group(0), out.stderr[-2000:])
    assert loaded.groups() == (str(n_images), str(n_images))
    text_length = int(re.search(r'data-text-length="(\d+)"', body.group(0)).group(1))
    assert text_length > 500  # the metrics table and captions were laid out

    # 2) the unmodified report, rendered to PNG, is not blank
    shot = tmp_path / "shot.png"
    out = run_chromium(
        binary, tmp_path, "--window-size=1200,1600", f"--screenshot={shot}", report.as_uri()
    )
    assert shot.is_file(), out.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 0.05  # a blank page has std 0
    dark = (pixels.mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.8  # some text and plot ink, but not a black page


def test_the_metrics_table_fits_a_phone(data, model, tmp_path):
    """At a phone's 390 pixels the metrics table was 559 wide in a 358-pixel box: its values
    and intervals off-screen and its caption cut mid-word ("95% bootstrap inte")."""
    from _chromium import measure

    X, y, dates = data
    write_report(model, X, y, tmp_path / "report.html", dates=dates)
    script = """
    var wrap = document.querySelector('.table-wrap[aria-label="Metrics"]');
    var key = wrap.querySelector("th.key");
    return {fits: wrap.scrollWidth <= wrap.clientWidth, key: key.offsetWidth > 0,
            page: document.documentElement.scrollWidth <= window.innerWidth};
    """
    phone = measure(tmp_path, ["report.html"], script, tmp_path, width=390)["report.html"]
    assert phone == {"fits": True, "key": False, "page": True}
    # at 400% zoom (320 CSS pixels) the intervals were cut ("1.1044 to"): they wrap
    zoomed = measure(tmp_path, ["report.html"], script, tmp_path, width=320)["report.html"]
    assert zoomed == {"fits": True, "key": False, "page": True}
    desktop = measure(tmp_path, ["report.html"], script, tmp_path, width=1280)["report.html"]
    assert desktop == {"fits": True, "key": True, "page": True}  # the keys, for code


def test_a_printed_report_keeps_each_plots_values(data, model, tmp_path):
    """Printed (to PDF), a closed <details> printed its "Values" summary alone: every table
    of a plot's values was lost on paper."""
    pypdf = pytest.importorskip("pypdf")
    X, y, dates = data
    report = write_report(model, X, y, tmp_path / "report.html", dates=dates)
    folded = report.read_text(encoding="utf-8").count("<details><summary>Values")
    assert folded >= 5
    pdf = tmp_path / "report.pdf"
    out = run_chromium(
        chromium(), tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", report.as_uri()
    )
    assert pdf.is_file(), out.stderr[-2000:]
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages)
    # Chromium sets "fi" as one glyph, which pypdf 7 reads back as U+FB01 ("conﬁguration")
    text = unicodedata.normalize("NFKC", text)
    assert text.count("The values of the plot") == folded
    assert "Model configuration" in text  # and the rest is still there


def test_report_on_real_posts(shared_data, tmp_path):
    posts = pd.read_csv(shared_data / "tweets.csv.gz")
    when = pd.to_datetime(posts["date"])
    X = pd.DataFrame(
        {
            "chars": posts["content"].str.len(),
            "mentions": posts["content"].str.count("<mention>"),
            "hour": when.dt.hour,
            "weekday": when.dt.day_of_week,
        }
    )
    y = posts["likes"].to_numpy()
    model = BucketedRegressor(
        DecisionTreeClassifier(max_depth=4, random_state=0), Ridge(), clip=True
    ).fit(X, y)
    path = write_report(
        model, X, y, tmp_path / "real.html", dates=posts["date"], config={"data": "tweets.csv.gz"}
    )
    page = path.read_text(encoding="utf-8")
    assert len(_images(page)) == 8
    assert f"on {len(posts)} rows" in page
    assert "tweets.csv.gz" in page


def test_the_date_remedy_names_the_models_dayfirst_only_when_it_has_one():
    from sklearn.linear_model import Ridge

    from skbucket.plotting import model_dayfirst
    from skbucket.prompts import PromptBuilder

    # the report names the model's dayfirst only when some step reads dates
    assert model_dayfirst(make_pipeline(PromptBuilder(), Ridge()), default=None) is False
    assert model_dayfirst(make_pipeline(StandardScaler(), Ridge()), default=None) is None
    assert model_dayfirst(object(), default=None) is None


def test_configuration_shows_every_setting_of_the_seed_regressors():
    """scikit-learn's repr stops at 30 parameters ("..."): XGBoost's seed settings were cut."""
    from sklearn.tree import DecisionTreeClassifier

    from skbucket.bucketed import BucketedRegressor, seed_regressors
    from skbucket.report import _config_text

    model = BucketedRegressor(DecisionTreeClassifier(max_depth=3), seed_regressors(7, 0))
    text = _config_text(model, {})
    assert "..." not in text
    assert text.count("subsample=0.8") == 4 and text.count("random_state=0") == 4  # 4 XGBoost
    assert "max_depth=3" in text  # a scikit-learn estimator keeps its own (changed-only) repr


def test_configuration_keeps_explicit_none_odd_containers_and_own_reprs():
    """The whole-repr rendering must not drop a deliberate None, rebuild a namedtuple or call a
    custom __repr__ with scikit-learn's keyword."""
    from collections import namedtuple

    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.compose import make_column_transformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from skbucket.report import _config_text

    stop = [f"w{i}" for i in range(40)]  # a list over 30 items: sklearn's repr cuts it
    pipe = make_pipeline(
        make_column_transformer((TfidfVectorizer(stop_words=stop, norm=None), "text")), Ridge()
    )
    text = _config_text(pipe, {})
    assert "norm=None" in text and "'w39'" in text

    Opts = namedtuple("Opts", "a b")

    class WithOpts(RegressorMixin, BaseEstimator):
        def __init__(self, opts=None, inner=None):
            self.opts, self.inner = opts, inner

    class Own(RegressorMixin, BaseEstimator):
        def __init__(self, alpha=1.0):
            self.alpha = alpha

        def __repr__(self):
            return f"Own(alpha={self.alpha})"

    text = _config_text(make_pipeline(WithOpts(opts=Opts(3, 4), inner=Own(alpha=2.0))), {})
    assert "Opts(a=3, b=4)" in text and "Own(alpha=2.0)" in text


def test_report_shows_a_matrix_of_many_buckets_at_its_own_size(data, tmp_path):
    """Twelve buckets: the confusion matrices are drawn larger, but the page shrank them into
    the usual 520 px box (x0.75), their cell values about 5 px high."""
    binary = chromium()
    X, y, _ = data
    twelve = (1, 3, 10, 30, 60, 100, 200, 400, 800, 1500, 3000)
    est = BucketedRegressor(
        DecisionTreeClassifier(max_depth=4, random_state=0), Ridge(), bins=twelve, clip=True
    ).fit(X, y)
    page = render_report(est, X, y)
    assert page.count('<figure class="wide"') == 4  # the four confusion matrices
    harness = tmp_path / "harness.html"
    harness.write_text(page.replace("</body>", _CHECK_SCRIPT + "</body>"), encoding="utf-8")
    out = run_chromium(
        binary,
        tmp_path,
        "--window-size=1200,1600",
        "--virtual-time-budget=5000",
        "--dump-dom",
        harness.as_uri(),
    )
    body = re.search(r"<body[^>]*>", out.stdout)
    assert body is not None, out.stderr[-2000:]
    assert re.search(r'data-loaded="(\d+)/\1"', body.group(0)), body.group(0)
    # every image at its drawn size: the others fit their box (532 px drawn, ~502 shown)
    scale = float(re.search(r'data-min-scale="([\d.]+)"', body.group(0)).group(1))
    assert scale > 0.9


def test_report_scores_posts_of_new_accounts_apart_from_the_others():
    """Posts of accounts and companies not seen in training had RMSE(log1p) 2.72 against 1.09
    for the rest (an audit on the real posts): the report counted them, and scored them only
    together with the others."""
    from html.parser import HTMLParser

    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from skbucket.datasets import load_tweets
    from skbucket.features import PostFeatures

    posts = load_tweets().frame
    train, test = posts.iloc[:600], posts.iloc[600:].copy()
    test.iloc[:40, test.columns.get_loc("username")] = "someone-new"
    model = make_pipeline(
        PostFeatures(random_state=0),
        BucketedRegressor(
            HistGradientBoostingClassifier(max_iter=5, random_state=0),
            HistGradientBoostingRegressor(max_iter=5, random_state=0),
        ),
    ).fit(train.drop(columns="likes"), train["likes"])
    X, y = test.drop(columns="likes"), test["likes"].to_numpy()
    page = render_report(model, X, y)

    class Rows(HTMLParser):  # the cells of the table captioned "...by accounts seen..."
        def __init__(self):
            super().__init__()
            self.tables, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr":
                self.tables[-1].append([])
            elif tag in ("th", "td"):
                self.cell = ""

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

        def handle_endtag(self, tag):
            if tag in ("th", "td"):
                self.tables[-1][-1].append(self.cell)
                self.cell = None

    parser = Rows()
    parser.feed(page)
    (table,) = [t for t in parser.tables if t and t[0][0] == "Posts whose"]
    header, *rows = table
    assert header == [
        "Posts whose",
        "Posts",
        "RMSE log1p",
        "MAE log1p",
        "RMSE raw",
        "Bucket accuracy",
    ]
    # new: a username or company no training post had (counted here, not by the library)
    new = np.logical_or.reduce(
        [X[c].notna() & ~X[c].isin(train[c]) for c in ("username", "inferred_company")]
    )
    assert 40 <= new.sum() < len(X)
    pred = model.predict(X)
    buckets = model[-1].predict_bucket(model[:-1].transform(X))
    for (label, *cells), keep in zip(rows, (~new, new)):
        expected = evaluate(y[keep], pred[keep], bucket_pred=buckets[keep])
        assert [float(c.replace(",", "")) for c in cells] == pytest.approx(
            [
                expected[k]
                for k in ("n_samples", "rmse_log1p", "mae_log1p", "rmse", "bucket_accuracy")
            ],
            abs=1e-4,
        ), label
    assert rows[0][0] == "username and inferred_company were seen in training (or missing)"
    assert rows[1][0] == "username or inferred_company was not seen in training"
    # the training posts: every account known, no such table
    assert "Posts whose</th>" not in render_report(
        model, train.drop(columns="likes"), train["likes"]
    )


def test_a_screen_reader_gets_each_plot_named_before_it_and_every_region_named(data, model):
    """An accessibility audit (axe-core and Chromium's accessibility tree): each figure was
    unnamed and its caption read last, after the image, its values and its note; seven
    buttons were all named "Values"; the configuration's focusable <pre> carried an
    aria-label, which a <pre> may not have; the page had no <main> landmark."""
    from html import unescape
    from html.parser import HTMLParser

    class Page(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.events, self.summary, self.summaries = {}, [], None, []
            self.open_id = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            self.events.append((tag, attrs))
            if "id" in attrs:
                self.open_id = attrs["id"]
                self.ids[attrs["id"]] = ""
            if tag == "summary":
                self.summary = ""

        def handle_data(self, data):
            if self.open_id is not None:
                self.ids[self.open_id] += data
            if self.summary is not None:
                self.summary += data

        def handle_endtag(self, tag):
            if tag in ("figcaption", "caption"):
                self.open_id = None
            if tag == "summary":
                self.summaries.append(self.summary)
                self.summary = None

    X, y, dates = data
    page = render_report(model, X, y, dates=dates)
    parser = Page()
    parser.feed(page)
    tags = [tag for tag, _ in parser.events]
    assert tags.count("main") == 1 and tags.index("main") < tags.index("h1")
    figures = [i for i, tag in enumerate(tags) if tag == "figure"]
    assert len(figures) == 8
    captions = []
    for i in figures:
        named = parser.events[i][1]["aria-labelledby"]
        assert tags[i + 1] == "figcaption" and parser.events[i + 1][1]["id"] == named
        captions.append(unescape(parser.ids[named]))
    assert len(set(captions)) == 8 and "Predicted vs actual likes" in captions
    # each values button says whose values it shows, and its table's region is named so
    assert len(parser.summaries) == page.count("<details>") >= 5
    assert len(set(parser.summaries)) == len(parser.summaries)
    assert all(s.startswith('Values of the plot "') for s in parser.summaries)
    regions = [a for tag, a in parser.events if a.get("role") == "region"]
    for attrs in regions:
        name = attrs.get("aria-label") or parser.ids[attrs["aria-labelledby"]]
        assert name.strip(), attrs
    assert any(a.get("aria-label") == "Model configuration" for a in regions)
    assert not [a for tag, a in parser.events if tag == "pre" and "aria-label" in a]


def test_two_reports_on_one_page_name_their_own_figures(data, model):
    """A review: every report's ids were plot-1 ... plot-8, so two reports shown in one
    notebook or page named each other's figures."""
    X, y, _ = data
    ids = [
        set(re.findall(r' id="([^"]+)"', render_report(model, X[:n], y[:n], title=t)))
        for n, t in ((150, "first"), (200, "second"))
    ]
    assert len(ids[0]) >= 8 and not ids[0] & ids[1]


def test_baselines_are_scored_beside_the_model(data, model, tmp_path):
    """Whether the model beats the account's own median is the first question; evaluate
    could print the median beside the model, the report could not."""
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.metrics import MetricsInputError

    X, y, dates = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(g=np.arange(len(y)) % 5)
    fitted = BucketedRegressor(
        DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True
    ).fit(frame, y)
    median = GroupMedianRegressor(group_columns=("g",)).fit(frame, y)
    page = render_report(
        fitted, frame, y, baselines={"median": median, "<mean>": Ridge().fit(frame, y)}
    )
    head = re.search(r"<tr><th scope=\"col\">Metric</th>.*?</tr>", page, re.S).group(0)
    assert '<th scope="col">Model</th>' in head and ">Value<" not in head  # beside "median"
    assert head.endswith('<th scope="col">median</th>\n<th scope="col">&lt;mean&gt;</th></tr>')
    expected = evaluate(y, median.predict(frame))
    for key in ("rmse", "rmse_log1p", "mae_log1p", "r2", "bucket_accuracy", "n_samples"):
        cells = re.search(rf"<code>{key}</code></td>(.*?)</tr>", page).group(1)
        values = re.findall(r'<td class="num[^"]*">([^<]+)</td>', cells)
        assert len(values) == 4, values  # value, interval, median, mean
        assert float(values[2].replace(",", "")) == pytest.approx(expected[key], abs=1e-4), key
    # the model's own numbers are unchanged by them
    alone = render_report(fitted, frame, y)
    for key in ("rmse_log1p", "bucket_accuracy"):
        row = rf"<code>{key}</code></td><td class=\"num\">([^<]+)</td>"
        assert re.search(row, page).group(1) == re.search(row, alone).group(1)
    assert (
        "Beside the model: median (GroupMedianRegressor by g); &lt;mean&gt; (Ridge), scored" in page
    )
    assert "Beside the model" not in alone
    assert '<th scope="col">Value</th>' in alone  # no other model's column: its value
    # written too, and the table still fits a phone's width with a column more
    from _chromium import measure

    write_report(fitted, frame, y, tmp_path / "report.html", baselines={"median": median})
    script = """
    var wrap = document.querySelector('.table-wrap[aria-label="Metrics"]');
    return {fits: wrap.scrollWidth <= wrap.clientWidth,
            page: document.documentElement.scrollWidth <= window.innerWidth};
    """
    phone = measure(tmp_path, ["report.html"], script, tmp_path, width=390)["report.html"]
    assert phone == {"fits": True, "page": True}
    # narrower (400% zoom) the table scrolls in its own box, which the keyboard can reach;
    # the page itself does not
    zoomed = measure(tmp_path, ["report.html"], script, tmp_path, width=320)["report.html"]
    assert zoomed["page"] is True
    # what is no baseline is refused with what was expected
    with pytest.raises(TypeError, match=r"baselines must be a dict of names to fitted regr"):
        render_report(fitted, frame, y, baselines=[median])
    with pytest.raises(TypeError, match=r"baselines\['m'\] must be a fitted regressor .*str"):
        render_report(fitted, frame, y, baselines={"m": "median"})
    with pytest.raises(ValueError, match=r"each key names a column of the table; got ''"):
        render_report(fitted, frame, y, baselines={"": median})
    for taken in ("Value", "model"):
        with pytest.raises(ValueError, match=rf"'{taken}' names a column the metrics table has"):
            render_report(fitted, frame, y, baselines={taken: median})
    # a baseline's own failure is named as the baseline's; an unfitted one before any work
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"^baselines\['r'\]: This Ridge instance is not"):
        render_report(fitted, frame, y, baselines={"r": Ridge()})

    class Boom(Ridge):
        def predict(self, X):
            raise ValueError("boom in predict")

    with pytest.raises(ValueError, match=r"^baselines\['b'\]: boom in predict$"):
        render_report(fitted, frame, y, baselines={"b": Boom().fit(frame, y)})

    class NaNs(Ridge):
        def predict(self, X):
            return np.full(len(X), np.nan)

    with pytest.raises(MetricsInputError, match=r"^baselines\['nan'\]: y_pred holds 200 non"):
        render_report(fitted, frame, y, baselines={"nan": NaNs().fit(frame, y)})


def test_a_baseline_grouping_by_one_column_is_named_by_that_column(data):
    """GroupMedianRegressor takes one grouping column alone: group_columns="g" was named
    "by g" letter by letter, and a position (group_columns=1) failed the whole report with
    "'int' object is not iterable", after every prediction was made."""
    from sklearn.dummy import DummyRegressor

    from skbucket.baselines import GroupMedianRegressor

    X, y, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(grp=np.arange(len(y)) % 5)
    by_name = GroupMedianRegressor(group_columns="grp").fit(frame, y)
    page = render_report(DummyRegressor().fit(frame, y), frame, y, baselines={"median": by_name})
    assert "median (GroupMedianRegressor by grp), scored" in page
    grouped = np.column_stack([X, np.arange(len(y)) % 5])
    mean = DummyRegressor().fit(grouped, y)
    by_position = GroupMedianRegressor(group_columns=3).fit(grouped, y)
    page = render_report(mean, grouped, y, baselines={"median": by_position})
    assert "median (GroupMedianRegressor by position 3), scored" in page
    first = GroupMedianRegressor(group_columns=[3, 0]).fit(grouped, y)
    page = render_report(mean, grouped, y, baselines={"median": first})
    assert "median (GroupMedianRegressor by position 3, then position 0), scored" in page


def test_a_baseline_is_named_by_the_columns_it_was_fitted_on(data):
    """set_params(group_columns=...) on a fitted median takes effect at its next fit (its
    medians belong to the columns it was fitted on), but the report named the new columns
    beside the old medians."""
    from sklearn.dummy import DummyRegressor

    from skbucket.baselines import GroupMedianRegressor

    X, y, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(grp=np.arange(len(y)) % 5)
    median = GroupMedianRegressor(group_columns=["grp", "a"]).fit(frame, y)
    before = median.predict(frame)
    median.set_params(group_columns="b")
    np.testing.assert_array_equal(median.predict(frame), before)  # still by grp, then a
    page = render_report(DummyRegressor().fit(frame, y), frame, y, baselines={"median": median})
    assert "median (GroupMedianRegressor by grp, then a), scored" in page
    grouped = np.column_stack([X, np.arange(len(y)) % 5])
    by_position = GroupMedianRegressor(group_columns=3).fit(grouped, y).set_params(group_columns=0)
    page = render_report(DummyRegressor().fit(grouped, y), grouped, y, baselines={"m": by_position})
    assert "m (GroupMedianRegressor by position 3), scored" in page


def test_the_page_names_the_final_estimator_of_a_pipeline(data, model):
    """ "Model: Pipeline." said nothing of the model."""
    from sklearn.model_selection import GridSearchCV

    X, y, _ = data
    assert "Model: <code>BucketedRegressor</code>.</p>" in render_report(model, X, y)
    pipe = make_pipeline(StandardScaler(), BucketedRegressor(DecisionTreeClassifier(), Ridge()))
    pipe.fit(X, y)
    page = render_report(pipe, X, y)
    assert "Model: <code>Pipeline</code> ending in <code>BucketedRegressor</code>.</p>" in page
    search = GridSearchCV(pipe, {"bucketedregressor__regressors__alpha": [1.0]}, cv=2).fit(X, y)
    page = render_report(search, X, y)
    assert "Model: <code>GridSearchCV</code> ending in <code>BucketedRegressor</code>." in page


def test_baselines_get_the_model_minus_theirs_with_a_paired_interval(data, tmp_path):
    """The metrics table put each baseline's metrics beside the model's interval: two
    intervals that overlap did not say whether the model's error is lower."""
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.metrics import INTERVAL_METRICS, paired_bootstrap

    X, y, _ = data
    companies = [f"company {i % 20}" for i in range(len(y))]
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(inferred_company=companies)
    fitted = BucketedRegressor(
        DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True
    ).fit(frame[["a", "b", "c"]], y)
    model = make_pipeline(FunctionTransformer(lambda f: f[["a", "b", "c"]]), fitted)
    others = {
        "median": GroupMedianRegressor(group_columns=("inferred_company",)).fit(frame, y),
        "<mean>": make_pipeline(FunctionTransformer(lambda f: f[["a"]]), Ridge()).fit(frame, y),
    }
    page = render_report(model, frame, y, baselines=others)
    table = re.search(r'aria-label="Model minus other models"><table>(.*?)</table>', page, re.S)
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td class="num">([^<]+)</td>'
        r'<td class="num interval">([^<]+) to ([^<]+)</td><td class="num">([^<]+)</td></tr>',
        table.group(1),
    )
    assert len(rows) == len(others) * len(INTERVAL_METRICS)
    pred = model.predict(frame)
    for name, other in others.items():
        # the companies resampled whole, as for the intervals of the metrics table
        want = paired_bootstrap(y, pred, other.predict(frame), groups=companies)
        for metric in INTERVAL_METRICS:
            label = {"rmse_log1p": "RMSE log1p", "mae_log1p": "MAE log1p"}[metric]
            (row,) = [r for r in rows if html.unescape(r[0]) == name and r[1] == label]
            numbers = [float(v) for v in row[2:5]]
            assert numbers == pytest.approx(want[metric][:3], abs=6e-5), (name, metric)
            assert row[5] == f"{want[metric].share_better:.0%}"
    assert "cannot tell the two models apart" in page
    # the table fits a phone's width (390 px) as the metrics table does
    from _chromium import measure

    (tmp_path / "report.html").write_text(
        render_report(model, frame, y, baselines={"median": others["median"]}), encoding="utf-8"
    )
    script = """
    var wrap = document.querySelector('.table-wrap[aria-label="Model minus other models"]');
    return wrap.scrollWidth <= wrap.clientWidth;
    """
    assert measure(tmp_path, ["report.html"], script, tmp_path, width=390)["report.html"]
    # none without a baseline, nor where there are no intervals (too few companies)
    assert "Model minus" not in render_report(model, frame, y)
    few = frame.assign(inferred_company=[f"c{i % 3}" for i in range(len(y))])
    page = render_report(model, few, y, baselines=others)
    assert "No intervals" in page and "Model minus" not in page


def test_the_share_of_resamples_is_never_rounded_to_never_or_always():
    from skbucket.report import _share

    assert [_share(v) for v in (0.0, 0.003, 0.005, 0.38, 0.9949, 0.995, 0.997, 1.0)] == [
        "0%",
        "<1%",
        "<1%",
        "38%",
        "99%",
        ">99%",
        ">99%",
        "100%",
    ]


def test_fewer_than_ten_posts_resampled_one_by_one_get_no_interval_nor_difference():
    """Two posts resampled one by one gave a 95% interval, and beside a baseline a difference
    whose interval excluded 0: a verdict from two posts."""
    from skbucket.report import MIN_GROUPS, _intervals

    rng = np.random.default_rng(0)
    for n in (2, MIN_GROUPS - 1, MIN_GROUPS):
        y = rng.integers(0, 1000, n).astype(float)
        got = _intervals(pd.DataFrame({"a": np.arange(n)}), y, y * 2, None, {"b": y * 3})
        if n < MIN_GROUPS:
            assert got.intervals == {} and got.differences == {}
            assert got.note.startswith(f"No intervals: only {n} posts, too few")
        else:
            assert set(got.intervals) == {"rmse_log1p", "mae_log1p"} and set(got.differences) == {
                "b"
            }
            assert got.resampled == "posts resampled one by one" and got.narrow


def test_a_difference_is_signed_and_one_that_rounds_to_zero_is_not():
    from skbucket.report import _signed

    assert [_signed(v) for v in (0.0144, -0.0773, -0.00001, 0.0)] == [
        "+0.0144",
        "-0.0773",
        "0.0000",
        "0.0000",
    ]
    assert _signed(1.23456, digits=3) == "+1.235"


def test_bad_true_likes_are_not_blamed_on_a_baseline(data):
    """A NaN or negative like count in y was reported as the first baseline's error
    ("baselines['median']: y_true holds 1 non-finite value"), sending the user to a model
    that had done nothing wrong."""
    from skbucket.metrics import MetricsInputError

    X, y, _ = data
    baseline = Ridge().fit(X, y)
    for bad, said in ((np.nan, r"y_true holds 1 non-finite value"), (-1.0, r"y_true must hold")):
        y_bad = y.copy()
        y_bad[3] = bad
        with pytest.raises(MetricsInputError, match=rf"^{said}"):
            render_report(baseline, X, y_bad, baselines={"median": baseline})


def _counting_ridge(X, y):
    """A Ridge fitted on ``X, y`` and the list its predict calls add their row counts to."""
    calls: list[int] = []

    class Counted(Ridge):
        def predict(self, X):
            calls.append(len(X))
            return super().predict(X)

    return Counted().fit(X, y), calls


def test_true_likes_of_another_length_than_the_rows_are_refused_before_predicting(data):
    """A y with fewer or more rows than X was found once every post had been predicted
    (minutes, for a pipeline that reads images), and with a baseline it was blamed on the
    baseline: "baselines['median']: y_true and y_pred have different lengths: 199 != 200".
    Explicit dates of another length were likewise refused only after the predictions."""
    from skbucket.metrics import MetricsInputError
    from skbucket.plotting import PlotInputError

    X, y, dates = data
    model, calls = _counting_ridge(X, y)
    baseline = Ridge().fit(X, y)
    for baselines in (None, {"median": baseline}):
        with pytest.raises(MetricsInputError, match=r"^X has 200 rows but y has 199: "):
            render_report(model, X, y[:-1], baselines=baselines)
    with pytest.raises(PlotInputError, match=r"^dates has 3 rows but y has 200"):
        render_report(model, X, y, dates=dates[:3])
    with pytest.raises(MetricsInputError, match=r"^X has 3 rows but y has 200"):
        render_report(model, list(X[:3]), y)
    assert calls == []  # refused before the model predicted anything


def test_dates_that_cannot_draw_the_plot_are_refused_before_predicting(data):
    """Explicit dates none of which is a date, or that mix day/month orders, failed in the
    error-over-time plot, once every post had been predicted."""
    from skbucket.plotting import PlotInputError

    X, y, dates = data
    model, calls = _counting_ridge(X, y)
    with pytest.raises(PlotInputError, match=r"none of the 200 dates could be read as a date"):
        render_report(model, X, y, dates=["soon"] * len(y))
    mixed = ["13/04/2021", "03/04/2021"] * (len(y) // 2)
    with pytest.raises(PlotInputError, match=r"day"):
        render_report(model, X, y, dates=mixed)
    with pytest.raises(PlotInputError, match=r"one column of dates; got a DataFrame with 2"):
        render_report(model, X, y, dates=pd.DataFrame({"a": dates, "b": dates}))
    assert calls == []


def test_a_group_column_held_twice_is_refused_before_predicting(data):
    """A frame holding the group column twice (pd.concat) had its posts resampled one by one,
    under a note that asked for "the column of the companies"."""
    from skbucket.metrics import MetricsInputError

    X, y, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["company"] = np.arange(len(y)) % 12
    twice = pd.concat([frame, frame[["company"]]], axis=1)
    calls = []

    class FirstColumn:  # a model of the user's that takes such a frame
        def predict(self, X):
            calls.append(len(X))
            return np.expm1(np.asarray(X.iloc[:, 0], dtype=float))

    with pytest.raises(MetricsInputError, match=r"group_column 'company' appears 2 times in X"):
        render_report(FirstColumn(), twice, y, group_column="company")
    assert calls == []
    page = render_report(FirstColumn(), twice, y, group_column=None)
    assert "posts resampled one by one" in page


def test_dates_that_are_one_value_are_refused_before_predicting(data):
    """dates="date" (a column's name, which is date_column's to give) was read as one date,
    refused as "dates has 1 rows but y_true has 200", and a lone Timestamp failed with
    "object of type 'Timestamp' has no len()": both once every post had been predicted."""
    from skbucket.plotting import PlotInputError

    X, y, _ = data
    model, calls = _counting_ridge(X, y)
    with pytest.raises(PlotInputError, match=r"got a single str: 'date' \(to read the column"):
        render_report(model, X, y, dates="date")
    with pytest.raises(PlotInputError, match=r"one posting date per post .* single Timestamp"):
        render_report(model, X, y, dates=pd.Timestamp("2021-04-03"))
    assert calls == []
