"""Benchmark reading the ``media`` column: the regex reading of the scraper's usual text against
the ast reading it replaced.

:func:`skbucket.media.parse_media` reads a cell in the scraper's exact usual form
(``[Photo(previewUrl='...', fullUrl='...'), Video(...), Gif(...)]``) with one regex and leaves
every other text to :mod:`ast` (``ast.parse`` plus a whitelist walk). The peer is the same
function with that regex reading switched off, i.e. the ast reading of every cell, as before.
Measured in this one run, on ``--n`` cells (default 100,000: the real cells of
``../shared/data/posts_captioned.csv.gz`` and ``tweets.csv.gz`` repeated; the bundled sample's
when the shared data are absent):

* ``parse_media`` over all cells: seconds for each side, the ratio, and whether every cell gave
  the same refs;
* :class:`skbucket.features.PostFeatures` ``fit_transform`` on a table of that many posts
  (text, date, media, username, company, likes; the captioned posts' caption is their text): seconds for each side and the ratio, and
  whether the feature matrices are identical.

The two sides are interleaved (alternating which goes first) ``--repeats`` times; the medians
are reported.

Run: ``.venv/bin/python benchmarks/bench_media.py [--n 100000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skbucket import media
from skbucket.features import PostFeatures

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COLUMNS = ["content", "date", "media", "username", "inferred_company", "likes"]


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    """The posts' columns, the captioned posts' caption standing as their text."""
    if "content" not in frame:
        frame = frame.rename(columns={"caption": "content"})
    return frame[COLUMNS]


def _posts(n: int) -> tuple[pd.DataFrame, str]:
    files = [DATA / "posts_captioned.csv.gz", DATA / "tweets.csv.gz"]
    if all(f.is_file() for f in files):
        frame = pd.concat([_table(pd.read_csv(f)) for f in files], ignore_index=True)
        source = f"{len(frame):,} real posts of {DATA}"
    else:
        from skbucket.datasets import load_captioned_posts

        frame = _table(load_captioned_posts().frame)
        source = f"{len(frame):,} posts of the bundled sample ({DATA} not found)"
    reps = -(-n // len(frame))
    frame = pd.concat([frame] * reps, ignore_index=True).iloc[:n].reset_index(drop=True)
    return frame, source


@contextlib.contextmanager
def _ast_only():
    """The peer: every cell read by the ast reading, as before the regex reading existed."""
    fast = media._parse_scraper_fast
    media._parse_scraper_fast = lambda text, size: None
    try:
        yield
    finally:
        media._parse_scraper_fast = fast


def _timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="cells / posts (default 100,000)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    frame, source = _posts(args.n)
    cells = frame["media"].tolist()
    X, y = frame.drop(columns="likes"), frame["likes"].to_numpy(float)
    fast_share = np.mean(
        [
            isinstance(c, str) and media._parse_scraper_fast(c.strip(), "full") is not None
            for c in cells
        ]
    )
    print(f"{len(cells):,} media cells ({source}); {fast_share:.1%} in the scraper's usual form")

    def parse():
        return [media.parse_media(c) for c in cells]

    def features():
        return PostFeatures(random_state=0).fit_transform(X, y)

    times = {name: {"regex": [], "ast": []} for name in ("parse_media", "PostFeatures")}
    results = {}
    for repeat in range(args.repeats):
        order = ["regex", "ast"] if repeat % 2 == 0 else ["ast", "regex"]
        for name, func in (("parse_media", parse), ("PostFeatures", features)):
            for side in order:
                with _ast_only() if side == "ast" else contextlib.nullcontext():
                    seconds, result = _timed(func)
                times[name][side].append(seconds)
                results[name, side] = result
        print(
            f"  repeat {repeat + 1}: "
            + ", ".join(
                f"{name} regex {times[name]['regex'][-1]:.2f}s / ast {times[name]['ast'][-1]:.2f}s"
                for name in times
            )
        )
    print(f"median over {args.repeats} interleaved repeats")
    same_refs = results["parse_media", "regex"] == results["parse_media", "ast"]
    same_features = np.array_equal(
        results["PostFeatures", "regex"], results["PostFeatures", "ast"], equal_nan=True
    )
    for name, same in (("parse_media", same_refs), ("PostFeatures", same_features)):
        regex, ast_ = (statistics.median(times[name][side]) for side in ("regex", "ast"))
        print(
            f"{name:<13} regex reading {regex:7.2f}s  ast reading (peer) {ast_:7.2f}s  "
            f"ratio {ast_ / regex:5.1f}x faster  identical: {same}"
        )


if __name__ == "__main__":
    main()
