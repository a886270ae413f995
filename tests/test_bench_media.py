"""Smoke test of ``benchmarks/bench_media.py`` on a few thousand cells: both readings run, are
timed and agree (the real data when present, else the bundled sample)."""

from __future__ import annotations

import re

from _benchmarks import load_benchmark

from skbucket import media


def _load_bench():
    return load_benchmark("bench_media")


def test_bench_media_runs_both_readings_and_they_agree(capsys):
    fast = media._parse_scraper_fast
    _load_bench().main(["--n", "3000", "--repeats", "2"])
    out = capsys.readouterr().out
    assert out.startswith("3,000 media cells (")
    assert "100.0% in the scraper's usual form" in out
    assert len(re.findall(r"repeat \d: parse_media regex [\d.]+s / ast [\d.]+s", out)) == 2
    for name in ("parse_media", "PostFeatures"):
        line = re.search(rf"^{name} +regex reading .*$", out, re.M).group(0)
        assert re.search(r"ratio +[\d.]+x faster  identical: True$", line), line
    assert media._parse_scraper_fast is fast  # the peer's switch is undone
