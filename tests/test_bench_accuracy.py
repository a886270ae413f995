"""Smoke test of ``benchmarks/bench_accuracy.py``: ``--quick`` runs end to end on real posts.

A tiny random DistilBERT stands in for MiniLM, so only the plumbing is tested (every table
and every row is printed, with finite metrics), not the accuracy.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from _benchmarks import load_benchmark
from _tiny_distilbert import make_tiny_distilbert

ROWS = (
    "skbucket seed pipeline",
    "skbucket best (",
    "global XGBoost",
    "TTR(HGB, log1p)",
    "per-username median",
)


def _load_bench():
    return load_benchmark("bench_accuracy")


def _table_rows(text, heading):
    """The Markdown table rows after ``heading`` (header and separator dropped)."""
    part = text.split(heading, 1)[1]
    lines = [line for line in part.splitlines() if line.startswith("|")]
    block = []
    for line in part.splitlines()[part.splitlines().index(lines[0]) :]:
        if not line.startswith("|"):
            break
        block.append(line)
    return block[2:]


def test_quick_run_prints_both_tables_with_every_row(shared_data, tmp_path, capsys):
    bench = _load_bench()
    model = make_tiny_distilbert(tmp_path / "tiny")
    argv = ["--quick", "--rows", "240", "--torch-threads", "1", "--text-model", model]
    argv += ["--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache")]
    argv += ["--company-seeds", "1"]
    if not (shared_data / "posts_captioned.csv.gz").is_file():
        pytest.skip("posts_captioned.csv.gz not in the shared data")
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "- text model: " in out
    sections = {kind: out.split(f"### {kind} split", 1)[1] for kind in ("company", "time")}
    sections["company"] = sections["company"].split("### time split", 1)[0]
    for text in sections.values():
        # each split picks its own configuration on a dev split held out like its test rows
        dev_rows = _table_rows(text, "Dev exploration")
        assert len(dev_rows) == len(bench.CANDIDATES), dev_rows
        for row in dev_rows:  # the mean over --dev-folds (default 3), then fold by fold
            cells = [c.strip() for c in row.strip("|").split("|")]
            each = [float(v) for v in cells[-1].split(" / ")]
            assert len(each) == 3 and np.isclose(np.mean(each), float(cells[1]), atol=1e-3)
        picked = re.search(r"Picked: \*\*(.+)\*\*", text).group(1)
        assert picked in {name for name, _, _ in bench.CANDIDATES}
        said = re.search(r"default configuration is the candidate \*(.+)\* \((.+)\)", text)
        assert said.groups() == (
            bench.DEFAULT_CANDIDATE,
            "the pick" if picked == bench.DEFAULT_CANDIDATE else "not the pick",
        )
        rows = _table_rows(text, "Test: n_train")
        assert rows[1].startswith(f"| skbucket best ({picked})")
        names = list(ROWS)
        if picked != bench.DEFAULT_CANDIDATE:  # the default is always shown
            names.insert(2, f"skbucket default ({bench.DEFAULT_CANDIDATE})")
        assert len(rows) == len(names), rows
        for row, name in zip(rows, names, strict=True):
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert cells[0].startswith(name)
            for value in cells[1:5]:
                assert re.fullmatch(r"[0-9][0-9,]*\.?[0-9]*", value), row
    n = re.findall(r"n_train=([0-9,]+), n_test=([0-9,]+)", out)
    assert len(n) == 2
    for n_train, n_test in n:
        assert int(n_train.replace(",", "")) + int(n_test.replace(",", "")) == 240
    # --company-seeds 1: the split above (seed 0, same numbers) and one more
    _check_repeats(sections["company"], "company splits")
    for text in sections.values():
        _check_intervals(text)


def _check_intervals(text):
    """The bootstrap table: one row per other row of the split's table, whose difference is
    the table's RMSE(log1p) of the default minus that row's, inside its own interval."""
    own = {
        cells[0]: float(cells[1])
        for cells in (
            [c.strip() for c in row.strip("|").split("|")]
            for row in _table_rows(text, "Test: n_train")
        )
    }
    default = re.search(r"RMSE\(log1p\) of \*(.+?)\* minus", text).group(1)
    rows = _table_rows(text, "Is the difference more than luck")
    assert sorted(row.split("|")[1].strip() for row in rows) == sorted(set(own) - {default})
    for row in rows:
        name, diff, interval, share = (c.strip() for c in row.strip("|").split("|"))
        low, high = (float(v) for v in interval.strip("[]").split(","))
        assert np.isclose(float(diff), own[default] - own[name], atol=2e-3), row
        assert low <= float(diff) + 1e-3 and float(diff) - 1e-3 <= high, row
        assert re.fullmatch(r"[0-9]+%", share)


def _check_repeats(text, heading):
    """The repeats table after ``heading`` (``--company-seeds``/``--time-windows``): the rows
    of the split's own table but the seed pipeline (so the default one whenever it is not the
    pick), and its first column (seed 0 / window 0) equal to that table's RMSE(log1p)."""
    repeats = _table_rows(text, heading)
    own = [
        [c.strip() for c in row.strip("|").split("|")] for row in _table_rows(text, "Test: n_train")
    ]
    assert own[0][0] == "skbucket seed pipeline"
    assert [row.split("|")[1].strip() for row in repeats] == [cells[0] for cells in own[1:]]
    for row, cells in zip(repeats, own[1:], strict=True):
        assert row.split("|")[2].strip() == cells[1], (row, cells)
    return repeats


def test_pick_skips_the_dev_exploration_and_seeds_refit_the_text_router(
    shared_data, tmp_path, capsys
):
    bench = _load_bench()
    if not (shared_data / "posts_captioned.csv.gz").is_file():
        pytest.skip("posts_captioned.csv.gz not in the shared data")
    model = make_tiny_distilbert(tmp_path / "tiny")
    pick = "text clf, soft (log-space mean), log1p"
    assert dict((n, t) for n, t, _ in bench.CANDIDATES)[pick]  # uses the fine-tuned text router
    argv = ["--quick", "--rows", "240", "--torch-threads", "1", "--text-model", model]
    argv += ["--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache")]
    argv += ["--splits", "company", "--company-seeds", "1", "--pick", pick]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert f"Picked: **{pick}** (given with --pick" in out
    assert "Dev exploration" not in out and "### time split" not in out
    assert _table_rows(out, "Test: n_train")[1].startswith(f"| skbucket best ({pick})")
    _check_intervals(out)  # the default row is not the pick here: it is measured against it
    # the text router is fine-tuned again on seed 0's training rows: same numbers as the table
    _check_repeats(out, "company splits")


def test_dev_folds_hold_out_rows_like_the_test_split():
    import pandas as pd

    bench = _load_bench()
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=100, freq="D")[rng.permutation(100)]
    X = pd.DataFrame(
        {"date": dates.astype(str), "inferred_company": [f"c{i % 20}" for i in range(100)]}
    )

    folds = list(bench.dev_folds(X, "time", 0, 3))
    assert len(folds) == 3
    # fold 0: the single dev split
    assert (folds[0][1] == bench.time_split(X, test_fraction=0.10)).all()
    for j, (train, dev) in enumerate(folds):
        assert dev.sum() == 10 and train.sum() == 90 - 10 * j
        assert dates[train].max() < dates[dev].min()  # trained on earlier posts only
    for (_, later), (_, earlier) in zip(folds, folds[1:]):
        assert dates[earlier].max() < dates[later].min()  # rolling back, disjoint windows

    folds = list(bench.dev_folds(X, "company", 0, 3))
    assert (folds[0][1] == bench.company_split(X, 0.15, 1)).all()
    held = [frozenset(X.loc[dev, "inferred_company"]) for _, dev in folds]
    assert len(set(held)) == 3  # a new draw of companies per fold
    for train, dev in folds:
        assert (train == ~dev).all()
        assert not set(X.loc[train, "inferred_company"]) & set(X.loc[dev, "inferred_company"])


def test_time_windows_skip_the_dev_folds_and_train_on_earlier_posts():
    import pandas as pd

    bench = _load_bench()
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=200, freq="D")[rng.permutation(200)]
    X = pd.DataFrame({"date": dates.astype(str)})

    windows = list(bench.time_windows(X, 0.10, 3, 4))
    assert len(windows) == 5
    test = bench.time_split(X, test_fraction=0.10)
    assert (windows[0][0] == ~test).all() and (windows[0][1] == test).all()
    dev_posts = np.zeros(len(X), dtype=bool)
    for _, dev in bench.dev_folds(X[~test], "time", 0, 3):
        dev_posts[np.flatnonzero(~test)[dev]] = True
    for j, (train, window) in enumerate(windows):
        assert window.sum() == 20
        assert dates[train].max() < dates[window].min()  # trained on earlier posts only
        if j:
            assert not (window & dev_posts).any()  # never the posts the pick was made on
            assert dates[window].max() < dates[dev_posts].min()
    for (_, later), (_, earlier) in zip(windows, windows[1:]):
        assert dates[earlier].max() < dates[later].min()
    # far back in time, windows stop when fewer posts than one window are left to train on
    assert len(list(bench.time_windows(X, 0.10, 3, 50))) == 1 + 5


def test_time_windows_table_starts_with_the_split_above(shared_data, tmp_path, capsys):
    bench = _load_bench()
    if not (shared_data / "posts_captioned.csv.gz").is_file():
        pytest.skip("posts_captioned.csv.gz not in the shared data")
    model = make_tiny_distilbert(tmp_path / "tiny")
    argv = ["--quick", "--rows", "240", "--torch-threads", "1", "--text-model", model]
    argv += ["--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache")]
    argv += ["--splits", "time", "--time-windows", "2", "--pick", "HGB clf, soft, log1p"]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    head = [line for line in out.splitlines() if line.startswith("| model | window 0 (")][0]
    assert len(head.split("|")) - 2 == 1 + 3 + 2  # model, windows 0-2, mean, wins
    rows = _check_repeats(out, "time windows")  # window 0 is the table's split
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert np.isclose(np.mean([float(v) for v in cells[1:4]]), float(cells[4]), atol=2e-3)
        assert 0 <= int(cells[5]) <= 3


def test_seed_row_is_the_seed_as_published_and_default_candidate_the_defaults(tmp_path):
    from skbucket.pipeline import SEED_SETTINGS, make_seed_pipeline

    bench = _load_bench()
    candidates = {name: (uses_text, params) for name, uses_text, params in bench.CANDIDATES}
    built = bench.Bench(bench.parse_args(["--text-model", "m", "--cache-dir", str(tmp_path)]))
    seed = built.seed_model()
    routing = {k: v for k, v in SEED_SETTINGS.items() if k != "classifier"}
    assert SEED_SETTINGS["classifier"] == "distilbert"
    assert {k: seed.get_params()[k] for k in routing} == routing
    assert type(seed.classifier).__name__ == "DistilBertClassifier"
    assert seed.classifier_columns == ["prompt"]
    assert candidates["text clf, hard, raw (seed)"] == (True, {})  # the seed model as it is
    uses_text, params = candidates[bench.DEFAULT_CANDIDATE]
    params = dict(params)
    assert params.pop("router") == "hybrid"
    default = make_seed_pipeline(caption_model=None, text_model="m").named_steps["model"]
    assert uses_text and type(default.classifier).__name__ == "AccountRouter"
    # the bench's hybrid is the pipeline's (same parts, columns and switch)
    ours = bench._hybrid(built.hgb_classifier(), built.text_router())
    for key in ("known_columns", "unseen_columns", "count_column"):
        assert repr(getattr(ours, key)) == repr(getattr(default.classifier, key))
    assert repr(ours.known) == repr(default.classifier.known.set_params(random_state=0))
    assert default.classifier_columns is None
    assert {k: default.get_params()[k] for k in params} == params
    changed = {k: v for k, v in default.get_params(deep=False).items() if k in routing}
    assert {k: changed[k] for k in routing if changed[k] != routing[k]} == params


def test_paired_bootstrap_resamples_whole_companies():
    bench = _load_bench()
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5000, 60).astype(float)
    groups = np.repeat([f"c{i}" for i in range(12)], 5)
    # a exact, b off by a factor e in every row: a better in every resample
    diff, low, high, share = bench.paired_bootstrap(y, y, np.expm1(np.log1p(y) + 1), groups)
    assert np.isclose(diff, -1) and np.isclose(low, -1) and np.isclose(high, -1)
    assert share == 1.0
    same = bench.paired_bootstrap(y, y * 2, y * 2, groups)
    assert same == (0.0, 0.0, 0.0, 0.0)  # never strictly better than itself
    # b better on most companies, a much better on one: the interval straddles zero
    log_y = np.log1p(y)
    a = np.expm1(log_y + np.where(groups == "c0", 0.0, 0.3))
    b = np.expm1(log_y + np.where(groups == "c0", 3.0, 0.1))
    diff, low, high, share = bench.paired_bootstrap(y, a, b, groups, seed=3)
    assert low < 0 < high and 0 < share < 1
    assert low <= diff <= high
    # whole companies are resampled: repeating every post ten times (more rows, the same
    # companies) gives the same interval; resampling posts would narrow it
    again = bench.paired_bootstrap(
        np.repeat(y, 10), np.repeat(a, 10), np.repeat(b, 10), np.repeat(groups, 10), seed=3
    )
    assert np.allclose(again, (diff, low, high, share))
    # negative predictions are clipped at 0 as in skbucket.metrics; a missing company is a group
    groups = groups.astype(object)
    groups[:5] = None
    clipped = bench.paired_bootstrap(y, np.where(a > 100, a, -50.0), b, groups, seed=3)
    zeroed = bench.paired_bootstrap(y, np.where(a > 100, a, 0.0), b, groups, seed=3)
    assert np.allclose(clipped, zeroed) and np.all(np.isfinite(clipped))
    # what a bootstrap of groups cannot tell: one group, no rows, a missing prediction
    with pytest.raises(ValueError, match="1 group.*at least two"):
        bench.paired_bootstrap(y, a, b, ["c"] * len(y))
    with pytest.raises(ValueError, match="zero rows"):
        bench.paired_bootstrap([], [], [], [])
    with pytest.raises(ValueError, match="finite"):
        bench.paired_bootstrap(y, np.where(groups == "c1", np.nan, a), b, groups)


def test_clf_rows_all_means_every_training_prompt():
    bench = _load_bench()
    assert bench.parse_args([]).clf_rows == 400
    assert bench.parse_args(["--clf-rows", "1000"]).clf_rows == 1000
    assert bench.parse_args(["--clf-rows", "all"]).clf_rows is None
    assert bench.parse_args(["--quick"]).clf_rows == 64
    assert bench.parse_args(["--quick", "--clf-rows", "all"]).clf_rows is None
    for bad in ("0", "-5", "many"):
        with pytest.raises(SystemExit):
            bench.parse_args(["--clf-rows", bad])


def test_the_dev_exploration_scores_the_default_unless_told_not_to():
    # --dev-clf-rows defaulted to 0, which left every text-router candidate (the default among
    # them) out of the dev folds: the documented command could never pick the default
    bench = _load_bench()
    assert bench.parse_args([]).dev_clf_rows == 300
    assert bench.parse_args(["--quick"]).dev_clf_rows == 32
    assert bench.parse_args(["--dev-clf-rows", "0"]).dev_clf_rows == 0
    with pytest.raises(SystemExit):
        bench.parse_args(["--dev-clf-rows", "-1"])


def test_paired_bootstrap_is_the_librarys_rmse_row_drawn_from_the_seed():
    """The benchmark's tables came from its own function; it now calls skbucket's, drawn as
    before (numpy's default_rng(seed)), and gives its RMSE(log1p) row, not the MAE one."""
    import skbucket.metrics

    bench = _load_bench()
    rng = np.random.default_rng(4)
    y = rng.integers(0, 5000, 90).astype(float)
    groups = np.repeat([f"c{i}" for i in range(15)], 6)
    a, b = y * rng.uniform(0.2, 5.0, 90), y * rng.uniform(0.5, 2.0, 90)  # RMSE and MAE apart
    got = bench.paired_bootstrap(y, a, b, groups, seed=3)
    library = skbucket.metrics.paired_bootstrap(
        y, a, b, groups=groups, n_resamples=bench.N_BOOTSTRAP, random_state=np.random.default_rng(3)
    )
    assert got == tuple(library["rmse_log1p"]) and got != tuple(library["mae_log1p"])


def test_drop_columns_leaves_an_input_column_out_of_the_same_posts(tmp_path):
    """An ablation: the tweets with and without their text, the same posts and splits."""
    import pandas as pd

    bench = _load_bench()
    assert bench.parse_args([]).drop_columns == []
    assert bench.parse_args(["--drop-columns", "content", "media"]).drop_columns == [
        "content",
        "media",
    ]
    with pytest.raises(SystemExit):
        bench.parse_args(["--drop-columns", "inferred_company"])  # the company split needs it
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": np.arange(40),
            "date": pd.date_range("2021-01-01", periods=40, freq="D").astype(str),
            "likes": rng.integers(0, 100, 40),
            "content": [f"post {i}" for i in range(40)],
            "username": [f"u{i % 7}" for i in range(40)],
            "media": "[]",
            "inferred_company": [f"c{i % 5}" for i in range(40)],
        }
    )
    frame.to_csv(tmp_path / "tweets.csv.gz", index=False)
    X, y = bench.load(tmp_path, "tweets", 30, 0)
    X_without, y_without = bench.load(tmp_path, "tweets", 30, 0, ["content"])
    assert "content" in X.columns and "content" not in X_without.columns
    pd.testing.assert_frame_equal(X.drop(columns="content"), X_without)
    pd.testing.assert_series_equal(y, y_without)


def test_main_reads_every_dataset_without_the_dropped_columns(tmp_path, monkeypatch, capsys):
    """--drop-columns was tested on load() alone: main() must pass it on."""
    bench = _load_bench()
    (tmp_path / "posts_captioned.csv.gz").write_bytes(b"")  # main() checks the data is there
    asked = []

    class Loaded(Exception):
        pass

    def load(data_dir, name, rows, seed, drop=()):
        asked.append((name, list(drop)))
        raise Loaded

    monkeypatch.setattr(bench, "load", load)
    argv = ["--data-dir", str(tmp_path), "--text-model", make_tiny_distilbert(tmp_path / "tiny")]
    argv += ["--datasets", "tweets", "--drop-columns", "content", "--torch-threads", "1"]
    with pytest.raises(Loaded):
        bench.main(argv)
    assert asked == [("tweets", ["content"])]


def test_feature_seconds_are_timed_on_a_warm_embedding_cache(tmp_path, monkeypatch):
    # `fit s` is said to use the warm disk cache; with --pick no dev exploration fills it
    # first, and the first split's rows each counted the cold embedding of every training
    # prompt (accuracy_posts_intervals.md: 215 s for global XGBoost against 16 s)
    import time
    from types import SimpleNamespace

    from skbucket.datasets import load_captioned_posts
    from skbucket.embedding import DistilBertEmbedder

    bench = _load_bench()
    model = make_tiny_distilbert(tmp_path / "tiny")
    argv = ["--quick", "--text-model", model, "--cache-dir", str(tmp_path / "cache")]
    built = bench.Bench(bench.parse_args(argv))
    posts = load_captioned_posts()
    X, y = posts.data.iloc[:60], posts.target.iloc[:60]
    batches = []
    embed = DistilBertEmbedder._embed_batch

    def counted(self, *args, **kwargs):
        batches.append(1)
        return embed(self, *args, **kwargs)

    monkeypatch.setattr(DistilBertEmbedder, "_embed_batch", counted)
    clock = []  # the embedding batches computed so far, at each reading of the clock
    monkeypatch.setattr(
        bench,
        "time",
        SimpleNamespace(perf_counter=lambda: clock.append(len(batches)) or time.perf_counter()),
    )
    F_train, F_test, seconds = built.features(X.iloc[:50], y.iloc[:50], X.iloc[50:])
    assert batches, "the cache was cold: the training prompts had to be embedded"
    assert len(clock) == 2 and clock[0] == clock[1], clock  # none inside the timed part
    assert seconds >= 0 and len(F_train) == 50 and len(F_test) == 10


def test_too_many_time_dev_folds_are_refused_before_any_work(tmp_path, monkeypatch):
    # 842 training posts (the tweets' time split) hold 9 rolling windows of 84 posts with as
    # many earlier posts to train on: a 10th fold trained on 2 posts, an 11th had no dev posts
    # (slice bounds below 0), each found only after the earlier folds' hours of work
    import pandas as pd

    bench = _load_bench()
    dates = pd.date_range("2020-01-01", periods=842, freq="h")
    X = pd.DataFrame({"date": dates.astype(str), "inferred_company": ["c"] * 842})
    folds = list(bench.dev_folds(X, "time", 0, 9))
    assert min(train.sum() for train, _ in folds) >= 84
    assert all(dev.sum() == 84 for _, dev in folds)
    for n_folds in (10, 11, 12):
        with pytest.raises(ValueError, match="at most 9 rolling dev windows"):
            next(bench.dev_folds(X, "time", 0, n_folds))
    # main says so before the company split's exploration runs
    posts = pd.DataFrame(  # 936 posts: 94 held out, 842 to train on
        {"date": pd.date_range("2020-01-01", periods=936, freq="h").astype(str), "likes": 5.0}
    ).assign(id=range(936), username="u", inferred_company="c", media="[]", caption="a")
    posts.to_csv(tmp_path / "posts_captioned.csv.gz", index=False)
    monkeypatch.setattr(bench, "prepare_run", lambda args: pytest.fail("work started"))
    argv = ["--data-dir", str(tmp_path), "--text-model", "m", "--dev-folds", "10"]
    with pytest.raises(ValueError, match=r"--dev-folds 10: .* 842 training posts"):
        bench.main(argv)
