"""Smoke test of ``benchmarks/bench_learning_curve.py``: ``--quick`` runs end to end on real
posts and its summary agrees with its own table of draws.

A tiny random DistilBERT stands in for MiniLM, so only the plumbing is tested, not the accuracy.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from _benchmarks import load_benchmark
from _tiny_distilbert import make_tiny_distilbert


def _table(text, heading):
    """The rows (lists of cells) of the Markdown table after ``heading``."""
    lines = text.split(heading, 1)[1].strip().splitlines()
    rows = []
    for line in lines:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]  # header and separator dropped


def _number(cell):
    return float(cell.strip("*"))


@pytest.mark.parametrize("split", ["time", "company"])
def test_quick_run_summarises_its_draws(shared_data, tmp_path, capsys, split):
    bench = load_benchmark("bench_learning_curve")
    model = make_tiny_distilbert(tmp_path / "tiny")
    argv = ["--quick", "--torch-threads", "1", "--text-model", model, "--split", split]
    argv += ["--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache")]
    assert bench.main([str(a) for a in argv]) == 0
    out = capsys.readouterr().out
    n_test = int(re.search(r"Test: (\d+) posts of \d+ companies", out).group(1))
    assert 0 < n_test < 300
    each = _table(out, "Every draw:")
    summary = _table(out, "(best in bold):")
    assert [row[0] for row in each] == ["60", "60", "120", "120", str(300 - n_test)]
    assert [row[:2] for row in summary] == [
        ["60", "2"],
        ["120", "2"],
        [f"{300 - n_test} (all)", "1"],
    ]
    rows = bench.ROWS
    for line in summary:
        assert line[2] == "32"  # --quick's router prompts, fewer than any draw's posts
        draws = [row for row in each if row[0] == line[0].split()[0]]
        scores = np.array([[_number(c) for c in row[2:]] for row in draws])
        assert np.isfinite(scores).all()
        means = scores.mean(axis=0)
        for k, name in enumerate(rows):  # the summary's means are those of the draws
            assert _number(line[5 + k]) == pytest.approx(means[k], abs=1.5e-3), name
        wins = int((scores[:, 0] < scores[:, 1:].min(axis=1)).sum())
        assert line[8] == f"{wins} of {len(draws)}"
        better = 1 + int(np.argmin(means[1:]))
        margin = re.match(r"([+-][\d.]+) vs (.+) \(\[([+-][\d.]+), ([+-][\d.]+)\]\)", line[9])
        assert margin and margin.group(2) == rows[better], line[9]
        assert float(margin.group(1)) == pytest.approx(
            (scores[:, 0] - scores[:, better]).mean(), abs=1.5e-3
        )
        assert float(margin.group(3)) <= float(margin.group(4))
        # in bold: the lowest mean, and only it
        bold = [k for k in range(3) if line[5 + k].startswith("**")]
        assert bold == [int(np.argmin(means))]


def test_draws_are_seeded_by_size_and_number():
    """Adding a size or a draw leaves the other draws as they were; "all" is drawn once."""
    draws = load_benchmark("bench_learning_curve").draws
    some = {(s, j): p for s, j, p in draws(500, [100, 200], 2, seed=0)}
    more = {(s, j): p for s, j, p in draws(500, [50, 100, 200, None], 3, seed=0)}
    for key, positions in some.items():
        np.testing.assert_array_equal(more[key], positions)
        assert len(positions) == key[0] and len(set(positions)) == key[0]
        assert (np.diff(positions) > 0).all()
    assert not np.array_equal(some[100, 0], some[100, 1])
    assert [key for key in more if key[0] == 500] == [(500, 0)]
    np.testing.assert_array_equal(more[500, 0], np.arange(500))
    twice = [(s, j) for s, j, _ in draws(500, [100, 600, None, 500], 1, seed=0)]
    assert twice == [(100, 0), (500, 0)]  # every size past the posts: the whole set, once
    other = {(s, j): p for s, j, p in draws(500, [100], 1, seed=1)}
    assert not np.array_equal(other[100, 0], some[100, 0])


def test_sizes_below_a_usable_draw_are_refused(capsys):
    bench = load_benchmark("bench_learning_curve")
    assert bench.parse_args(["--clf-rows", "all"]).clf_rows is None  # every prompt of a draw
    assert bench.parse_args([]).clf_rows == 1000
    for bad in ("10", "many"):
        with pytest.raises(SystemExit):
            bench.parse_args(["--sizes", bad])
        assert "--sizes" in capsys.readouterr().err
