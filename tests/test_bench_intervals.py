"""Smoke test of ``benchmarks/bench_intervals.py`` on few test sets: every row of its coverage
table is printed, and what the docs say of the intervals shows even at this size (resampling
the posts of whole companies one by one holds the value far less often than resampling the
companies whole; many evenly sized groups come near the nominal 95%)."""

from __future__ import annotations

import re

from _benchmarks import load_benchmark


def _load_bench():
    return load_benchmark("bench_intervals")


def _coverage(out, scenario, size, metric):
    line = re.search(
        rf"^\| {re.escape(scenario)} \| {re.escape(size)} \| {re.escape(metric)} \| "
        r"([\d.]+)% \| [\d.]+% \| [\d.]+x \|$",
        out,
        re.M,
    )
    assert line, (scenario, size, metric)
    return float(line.group(1))


def test_bench_intervals_prints_every_coverage(capsys):
    args = {"sets": "30", "resamples": "200", "row-sizes": "50", "company-sizes": "19"}
    argv = [part for name, value in args.items() for part in (f"--{name}", value)]
    _load_bench().main([*argv, "--group-sizes", "2", "200"])
    out = capsys.readouterr().out
    assert re.match(r"population: [\d,]+ (real )?posts of .*, \d+ companies", out)
    assert "30 test sets per row, 200 resamples each, nominal 95%" in out
    rows = re.findall(r"^\| (?!test sets|---).*\|$", out, re.M)
    # rows and synthetic rows: 2 metrics; companies: 2 + 2 + raw + paired + 2 + 2 (the t and
    # BCa intervals); groups: 2 x 2
    assert len(rows) == 2 + 10 + 2 + 4
    for metric in ("rmse_log1p", "mae_log1p"):
        alone = _coverage(out, "companies, posts resampled", "19 companies", metric)
        whole = _coverage(out, "companies", "19 companies", metric)
        assert alone + 20 < whole
        assert _coverage(out, "synthetic groups", "200 groups of 20", metric) >= 80
    _coverage(out, "companies: paired", "19 companies", "rmse_log1p a - b")
    _coverage(out, "companies: raw RMSE", "19 companies", "rmse")
    for method in ("cluster-robust t", "BCa"):
        for metric in ("rmse_log1p", "mae_log1p"):
            assert _coverage(out, f"companies, {method}", "19 companies", metric) > 50
