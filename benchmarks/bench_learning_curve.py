"""How much training data skbucket's default configuration needs: a learning curve on real posts.

``bench_accuracy.py`` finds the default configuration the best row on both splits of the
15,341 captioned posts, but not on the 936 tweets (about 2.6 tweets per account), where the
account's own median and one HistGradientBoosting regressor do as well or better. Is that the
size of the table or the kind of data? This script answers on the posts alone: it keeps one
test set fixed and trains on random subsamples of that split's training posts, of growing
size.

- Test set: the split's test posts (``--split time``, the default: the latest 10% of the posts;
  ``--split company``: all posts of 15% of the companies), the same as ``bench_accuracy.py``'s.
- Training sets: ``--sizes`` posts drawn at random (seeded, without replacement) from that
  split's training posts, ``--repeats`` draws per size (one for ``all``). A smaller draw keeps
  fewer posts per account, and fewer accounts, as a smaller table does.
- Rows, each fit on the same draw: ``skbucket default`` (``bench_accuracy.py``'s
  :data:`DEFAULT_CANDIDATE`, ``make_seed_pipeline()``'s default configuration: the hybrid
  router, its text model fine-tuned for ``--epochs`` on ``--clf-rows`` prompts of the draw, or
  all of a smaller draw), ``TTR(HGB, log1p)`` on the same features, and the ``per-username
  median`` (:class:`skbucket.baselines.GroupMedianRegressor`), the peers the default lost to
  on the tweets.

Printed per size: the mean RMSE(log1p) of each row over the draws, the draws on which the
default is the best row, and the default minus the better peer (mean over the draws; with the
95% interval of ``bench_accuracy.py``'s paired cluster bootstrap on the first draw: test
companies resampled whole). Then every draw's scores. The embeddings come from the disk cache
(``--cache-dir``, shared with ``bench_accuracy.py``), so only the first run pays for them.

Run: ``.venv/bin/python benchmarks/bench_learning_curve.py [--quick] [--split time|company]
[--sizes 936 2000 4000 8000 all] [--repeats 3] [--clf-rows 1000]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent


def _bench_accuracy():
    """``bench_accuracy.py`` (its data, splits, models and bootstrap), loaded as a module:
    the folder is no package, and this script must score what that one scores."""
    spec = importlib.util.spec_from_file_location("bench_accuracy", HERE / "bench_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ba = _bench_accuracy()
ROWS = ("skbucket default", "TTR(HGB, log1p)", "per-username median")
PEERS = ROWS[1:]


def _size(value):
    if value == "all":
        return None
    try:
        size = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of posts or 'all', got {value!r}"
        ) from None
    if size < 50:
        raise argparse.ArgumentTypeError(f"a training draw needs at least 50 posts, got {size}")
    return size


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few hundred rows (smoke test)")
    parser.add_argument("--split", choices=["time", "company"], default="time")
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_size,
        default=None,
        help="training posts per draw ('all': every training post; default 936 2000 4000 8000 all)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="draws per size (all: one)")
    parser.add_argument(
        "--clf-rows",
        type=ba._clf_rows,
        default=1000,
        help="prompts the text router is fine-tuned on: a stratified subsample of the draw "
        "(all of a smaller one), or 'all' (default 1000, as bench_accuracy.py's posts tables)",
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=80)
    parser.add_argument("--text-model", default=None, help="default: skbucket.demo's choice")
    parser.add_argument("--data-dir", default=str(ba.DATA))
    parser.add_argument("--cache-dir", default="/tmp/skbucket-bench-accuracy-cache")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.rows = None
    if args.quick:
        args.rows = 300
        args.sizes = args.sizes or [60, 120, None]
        args.repeats = min(args.repeats, 2)
        args.clf_rows = min(args.clf_rows or 32, 32)
    args.sizes = args.sizes or [936, 2000, 4000, 8000, None]
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    args.clf_rows = args.clf_rows or None  # 0 ("all"): every prompt of the draw
    return args


def draws(n_train, sizes, repeats, seed):
    """``(size, draw, positions)`` of every training draw: ``positions`` of ``size`` training
    posts (sorted; every post for ``None`` or a size past them, drawn once), seeded by the
    seed, the size and the draw's number, so adding a size or a draw leaves the others. The
    whole training set is drawn once, however many sizes reach it."""
    whole = False
    for size in sizes:
        if size is None or size >= n_train:
            if not whole:
                whole = True
                yield n_train, 0, np.arange(n_train)
            continue
        for j in range(repeats):
            rng = np.random.default_rng([seed, size, j])
            yield size, j, np.sort(rng.choice(n_train, size=size, replace=False))


def score_draw(bench, X_tr, y_tr, X_te, y_te, positions):
    """``{row: predictions on the test posts}`` of the three rows fit on one draw, with the
    prompts the text router was fine-tuned on, the draw's posts per account and its smallest
    bucket."""
    args = bench.args
    Xa, ya = X_tr.iloc[positions], y_tr.iloc[positions]
    Fa, Ft, _ = bench.features(Xa, ya, X_te)
    text_clf, _, router_prompts = bench.finetune(Fa, ya, args.clf_rows)  # None, or more: all
    default = ba.best_model(bench, ba.candidate(ba.DEFAULT_CANDIDATE), text_clf).fit(Fa, ya)
    num = ba._NOT_PROMPT(Fa)
    preds = {
        "skbucket default": ba._predict_once(default, Ft)[0],
        "TTR(HGB, log1p)": ba.ttr_hgb(args.seed, bench.n_trees).fit(Fa[num], ya).predict(Ft[num]),
        "per-username median": ba.GroupMedianRegressor().fit(Xa, ya).predict(X_te),
    }
    counts = np.bincount(ba.assign_buckets(ya), minlength=7)
    return preds, router_prompts, len(Xa) / Xa["username"].nunique(), int(counts.min())


def rmse_log1p(y_true, pred):
    return float(ba.evaluate(y_true, pred)["rmse_log1p"])


def curve(bench, X, y, test_mask, say):
    """One entry per draw: its size, number, posts per account, smallest bucket, RMSE(log1p)
    per row, and the paired bootstrap of the default against each peer."""
    args = bench.args
    X_tr, y_tr = X[~test_mask].reset_index(drop=True), y[~test_mask].reset_index(drop=True)
    X_te, y_te = X[test_mask], y[test_mask].to_numpy()
    groups = X_te["inferred_company"].to_numpy(dtype=object)
    out = []
    for size, j, positions in draws(len(X_tr), args.sizes, args.repeats, args.seed):
        start = time.perf_counter()
        preds, prompts, per_account, smallest = score_draw(bench, X_tr, y_tr, X_te, y_te, positions)
        scores = {name: rmse_log1p(y_te, pred) for name, pred in preds.items()}
        paired = {
            peer: ba.paired_bootstrap(
                y_te, preds["skbucket default"], preds[peer], groups, seed=args.seed
            )
            for peer in PEERS
        }
        out.append(
            {
                "size": size,
                "draw": j,
                "router_prompts": prompts,
                "per_account": per_account,
                "smallest_bucket": smallest,
                "scores": scores,
                "paired": paired,
            }
        )
        say(
            f"{size} posts, draw {j}: "
            + ", ".join(f"{name} {value:.3f}" for name, value in scores.items())
            + f" ({time.perf_counter() - start:.0f} s)"
        )
    return out, len(X_tr), len(X_te), len(np.unique(groups))


def summary_markdown(entries, n_train):
    """One row per size: means over the draws, the default's wins, its margin on the peers."""
    head = [
        "training posts",
        "draws",
        "router prompts",
        "posts per account",
        "smallest bucket",
        *ROWS,
        "default best on",
        "default minus better peer (draw 0: 95% interval)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for size in dict.fromkeys(e["size"] for e in entries):
        group = [e for e in entries if e["size"] == size]
        means = {name: np.mean([e["scores"][name] for e in group]) for name in ROWS}
        best = min(means.values())
        wins = sum(
            e["scores"]["skbucket default"] < min(e["scores"][p] for p in PEERS) for e in group
        )
        better = min(PEERS, key=lambda p: means[p])
        margin = np.mean([e["scores"]["skbucket default"] - e["scores"][better] for e in group])
        _, low, high, _ = group[0]["paired"][better]
        cells = [
            f"{size:,}" + (" (all)" if size == n_train else ""),
            str(len(group)),
            f"{max(e['router_prompts'] for e in group):,}",
            f"{np.mean([e['per_account'] for e in group]):.1f}",
            f"{min(e['smallest_bucket'] for e in group):,}",
            *(
                f"**{means[name]:.3f}**" if means[name] == best else f"{means[name]:.3f}"
                for name in ROWS
            ),
            f"{wins} of {len(group)}",
            f"{margin:+.3f} vs {better} ([{low:+.3f}, {high:+.3f}])",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def draws_markdown(entries):
    head = ["training posts", "draw", *ROWS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        best = min(e["scores"].values())
        cells = [f"{e['size']:,}", str(e["draw"])]
        cells += [
            f"**{e['scores'][n]:.3f}**" if e["scores"][n] == best else f"{e['scores'][n]:.3f}"
            for n in ROWS
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if not (Path(args.data_dir) / ba.DATASETS["posts"]).is_file():
        print(f"bench_learning_curve: real data not found in {args.data_dir}; skipped.")
        return 0
    ba.prepare_run(args)

    def say(message):
        print(f"[bench_learning_curve] {message}", file=sys.stderr, flush=True)

    bench = ba.Bench(args)
    X, y = ba.load(args.data_dir, "posts", args.rows, args.seed)
    if args.split == "time":
        mask, split = ba.time_split(X, test_fraction=0.10), "latest 10% of the posts held out"
    else:
        mask = ba.company_split(X, 0.15, args.seed)
        split = "all posts of 15% of the companies held out"
    print("# skbucket learning curve\n")
    if args.quick:
        print("- **--quick: a smoke test, not a benchmark** (few rows, every tree model 10 trees)")
    print(
        f"- data: {ba.DATASETS['posts']}, {len(X):,} posts; {args.split} split ({split}); "
        f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, no GPU"
    )
    print(f"- models used: {ba.models_used(bench.template)}")
    print(
        f"- text router fine-tuned for {args.epochs} epoch(s), max_length={args.max_length}, on "
        + (f"up to {args.clf_rows:,} prompts" if args.clf_rows else "all the prompts")
        + " of each draw (stratified)"
    )
    print(
        "- command: `.venv/bin/python benchmarks/bench_learning_curve.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`"
    )
    total = time.perf_counter()
    with threadpool_limits(limits=1, user_api="openmp"):
        entries, n_train, n_test, n_groups = curve(bench, X, y, mask, say)
    print(
        f"\nTest: {n_test:,} posts of {n_groups} companies, the same for every draw; training "
        f"draws from {n_train:,} posts. RMSE(log1p), mean over the draws (best in bold):\n"
    )
    print(summary_markdown(entries, n_train))
    print(
        "\n*Router prompts*: the prompts of the draw the default's text router is fine-tuned "
        "on. *Posts per account*: the draw's posts over its distinct usernames (the 936 tweets "
        "have about 2.6). *Smallest bucket*: the fewest training posts of one bucket in any "
        "draw of that size. *Default minus better peer*: the mean over the draws of the "
        "default's RMSE(log1p) minus that of the peer with the lower mean (negative: the "
        "default is better); the interval is the paired cluster bootstrap of the first draw "
        f"({ba.N_BOOTSTRAP:,} resamples of the test companies).\n\nEvery draw:\n"
    )
    print(draws_markdown(entries))
    print(f"\nTotal wall time: {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
