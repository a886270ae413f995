"""Smoke test of ``benchmarks/bench_captioning.py`` (its small random BLIP-2, one round): both
contenders caption the 64 rows, with the same text, and the disk cache generates nothing on a
second run (the timings are not tested)."""

from __future__ import annotations

import re

from _benchmarks import load_benchmark


def test_bench_captioning_runs_both_contenders_with_the_same_text(capsys):
    assert load_benchmark("bench_captioning").main(["--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"^pipeline\('image-text-to-text'\): .*\(72 images generated per run\)$", out, re.M
    )
    assert re.search(r"^Blip2Captioner: .*\(40 images generated per run\)$", out, re.M)
    assert "same caption text as the pipeline: 64/64 rows" in out
    assert re.search(r"^speed-up vs pipeline: [\d.]+x best vs best", out, re.M)
    assert re.search(r"fresh estimator [\d.]+ s \(\d+x, 0 generated\)", out)
    assert re.search(r"second run [\d.]+ s \(0 generated\)", out)
