"""Smoke test of ``benchmarks/bench_bucketed.py --quick``: every part runs and prints its
ratios, and both comparisons' predictions agree with the by-hand model (the timings are not
tested)."""

from __future__ import annotations

import re

from _benchmarks import load_benchmark


def test_bench_bucketed_quick_runs_every_part_and_predictions_agree(capsys):
    load_benchmark("bench_bucketed").main(["--quick", "--serving-repeats", "2"])
    out = capsys.readouterr().out
    for part in ("## 1. overhead on 4000 x 40 synthetic rows", "## 3. serving:"):
        assert part in out, out
    assert re.search(r"^fit +: bucketed [\d.]+s +by hand [\d.]+s +ratio [\d.]+$", out, re.M)
    assert re.search(r"^predict : bucketed [\d.]+s +by hand [\d.]+s +ratio [\d.]+$", out, re.M)
    assert "predictions equal to the by-hand model (np.allclose, rtol 1e-5): True" in out
    for rows in (1, 10, 100):
        assert re.search(rf"^ +{rows} rows: bucketed +[\d.]+ ms +by hand +[\d.]+ ms", out, re.M)
    assert "predictions identical to the by-hand model: True" in out
    # part 2 on the real posts when they are there, else said to be skipped
    assert re.search(r"^## 2\. real data: (error on log1p|skipped|.* not found)", out, re.M)
