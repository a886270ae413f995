"""Benchmark: ``Blip2Captioner`` vs ``transformers.pipeline("image-text-to-text")``.

One run, same model, same batch size, same generation settings (greedy, ``max_new_tokens``),
same device and dtype, model loading excluded for both:

* 64 posts of real-size JPEGs (1024x768, cut from scikit-learn's two sample photos with
  random crops, flips and colour changes): 40 distinct images, 24 reposts (rows showing an
  image already seen: half under the same path, half as a byte-identical copy under another
  name) and 8 rows with a second image (also a repeat), so 72 image slots in all.
* Peer: ``pipe(({"images": path, "text": ""} for ...), batch_size=...)`` over the 72 slots
  (it reads its own files, like the captioner), captions joined per row the same way.
* ``--repeats`` rounds (default 3), alternating which goes first; it prints every time, the
  best of each and the ratio (target >= 2.0x), checks that both give the same text for every
  row, then the disk-cache speed-up: a second run with a fresh estimator and a second run in a
  fresh process, against the cold run in this process (model loaded, torch imported: the
  strict comparison), then the same measurement on both sides: a script run twice, each time
  in a new process, its first ``fit_transform`` with the imports and (when cold) the model
  load it needs (target >= 20x).

The model is a small random BLIP-2 (224 px images, ``--config small``) so that compute, not
overhead, dominates; ``--config real-size`` builds the ``Salesforce/blip2-opt-2.7b``
architecture with random weights (about 3.8e9 parameters: meant for a GPU), and
``--model PATH_OR_ID`` uses a real checkpoint instead. Where this was written no GPU was
available, so the recorded numbers are CPU (float32) numbers; the script says which device
it ran on.

Recorded (2026-11-25, CPU only, quiet 2-core machine, float32, batch 8, 30 new tokens).
Second session, three runs: 1.97x / 2.00x / 2.28x best vs best, 2.09x-2.18x median vs median.
Third session, four runs: pipeline 2.39-2.84 s best, Blip2Captioner 1.19-1.47 s best; 1.93x /
1.99x / 1.76x / 2.01x best vs best, 1.96x / 1.99x / 1.93x / 1.92x median vs median: around the
2.0x target, not reliably above it. Same text on 64/64 rows every time. Where it comes from:
de-duplication (72 image slots, 40 generated: 1.8x at most, since at equal batch size both run
the same ``generate`` per image; a profile shows the vision encoder and the OPT decoder's
``linear`` layers are ~85% of the captioner's time) plus decoding and preprocessing on two
threads while the model captions the previous batch (the pipeline does them in line). Disk
cache: cold 1.15-1.51 s; fresh estimator 0.018-0.023 s (63-68x); fresh process on its first
call 0.064-0.072 s (18-21x against the in-process cold run; torch never imported there; the
rest is one-time imports: scikit-learn's callback module pulls ``rich``, ~35 ms, narwhals
~10 ms), a second estimator there 0.016-0.026 s (57-72x); process vs process, same
measurement: first run 4.30-4.63 s, second 0.063-0.064 s, 67-73x.
Fourth session, two runs: pipeline 2.36-2.37 s best, Blip2Captioner 1.19-1.20 s best; 1.98x /
1.98x best vs best, 1.99x / 1.94x median vs median; disk cache 65-76x (fresh estimator), 21-22x
(fresh process vs in-process cold), 66x (process vs process).
Fifth session, four runs on the committed code: 2.00x / 1.95x / 1.98x / 2.09x best vs best,
1.86x-2.05x median vs median, same text 64/64 each; disk cache 49-82x (fresh estimator), 15-22x
(fresh process vs in-process cold). (This record was added in the seventh session from the
README row written in the fifth, which had not been copied here.) Over the 13 runs: 1.76x-2.28x
best vs best, 5 of 13 at or above 2.0x: around the target, not reliably above it.
Tenth session, one run: pipeline 2.81 s best, Blip2Captioner 1.29 s best: 2.19x best vs best,
1.93x median vs median, CPU time 1.92x, same text 64/64; disk cache 71x (fresh estimator), 26x
(fresh process), 94x (process vs process). Every caption of the small random model runs the full
``--max-new-tokens`` (30 words; 61 for the rows with two images), so no work is lost to finished
sequences waiting in a batch: nothing there to win. Over the 14 runs: 6 at or above 2.0x.

Run::

    .venv/bin/python benchmarks/bench_captioning.py            # CPU, small random model
    .venv/bin/python benchmarks/bench_captioning.py --config real-size   # on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # for _tiny_blip2


def make_photos(folder: Path, n_distinct: int = 40, seed: int = 0) -> list[Path]:
    """``n_distinct`` different 1024x768 JPEGs cut from scikit-learn's sample photos."""
    import numpy as np
    from PIL import Image, ImageOps
    from sklearn.datasets import load_sample_images

    rng = np.random.default_rng(seed)
    sources = [Image.open(f).convert("RGB") for f in load_sample_images().filenames]
    paths = []
    for i in range(n_distinct):
        src = sources[i % len(sources)]
        w, h = src.size
        cw, ch = int(w * rng.uniform(0.5, 1.0)), int(h * rng.uniform(0.5, 1.0))
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        img = src.crop((x0, y0, x0 + cw, y0 + ch)).resize((1024, 768), Image.Resampling.BICUBIC)
        if rng.random() < 0.5:
            img = ImageOps.mirror(img)
        gains = rng.uniform(0.7, 1.3, 3)
        arr = np.clip(np.asarray(img, dtype=np.float32) * gains, 0, 255).astype(np.uint8)
        path = folder / f"photo{i:02d}.jpg"
        Image.fromarray(arr).save(path, quality=90)
        paths.append(path)
    return paths


def make_posts(folder: Path, photos: list[Path], seed: int = 0):
    """64 rows: 40 distinct images, 24 reposts, 8 rows with a second (repeated) image."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed + 1)
    rows: list[list[str]] = [[str(p)] for p in photos]  # 40 rows, one distinct image each
    for k in range(24):  # reposts of earlier images
        src = photos[int(rng.integers(0, len(photos)))]
        if k % 2:  # the same bytes under another name (a re-upload)
            copy = folder / f"repost{k:02d}.jpg"
            shutil.copyfile(src, copy)
            rows.append([str(copy)])
        else:
            rows.append([str(src)])
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    for i in rng.choice(len(rows), size=8, replace=False):  # 8 rows get a second image
        rows[i] = [*rows[i], str(photos[int(rng.integers(0, len(photos)))])]
    media = [r[0] if len(r) == 1 else r for r in rows]
    return pd.DataFrame({"media": media, "likes": rng.integers(0, 500, len(rows))})


CHILD = """
import sys, time, json
import pandas as pd
from skbucket.captioning import Blip2Captioner
X = pd.read_pickle(sys.argv[1])
est = Blip2Captioner(model=sys.argv[2], cache=sys.argv[3], batch_size=int(sys.argv[4]),
                     max_new_tokens=int(sys.argv[5]), device=sys.argv[6], progress=False)
t0 = time.perf_counter()
out = est.fit_transform(X)  # everything the run needs, the imports it makes included
t_first = time.perf_counter() - t0
t0 = time.perf_counter()
Blip2Captioner(**est.get_params()).fit_transform(X)  # the same again, imports done
t_again = time.perf_counter() - t0
print(json.dumps({"seconds": t_first, "again": t_again, "generated": est.n_generated_,
                  "torch_imported": "torch" in sys.modules,
                  "captions": out["caption"].tolist()}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=["small", "real-size"], default="small")
    parser.add_argument("--model", help="use this checkpoint (hub id or folder) instead")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=30)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per contender")
    args = parser.parse_args(argv)

    import pandas as pd
    import torch
    from transformers import pipeline

    from skbucket import _models
    from skbucket.captioning import CAPTION_SEPARATOR, Blip2Captioner

    device = _models.resolve_device(args.device)
    dtype = _models.resolve_dtype("auto", device)
    work = Path(tempfile.mkdtemp(prefix="bench-captioning-"))
    try:
        if args.model:
            model = args.model
        else:
            from _tiny_blip2 import make_tiny_blip2

            preset = "bench" if args.config == "small" else "real-size"
            model = make_tiny_blip2(work / "model", preset=preset)
        photos = make_photos(work)
        X = make_posts(work, photos)
        slots = [m for cell in X["media"] for m in (cell if isinstance(cell, list) else [cell])]
        n_two = sum(isinstance(c, list) for c in X["media"])
        print(
            f"device: {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU only: no GPU available here'}), "
            f"dtype: {dtype}, torch threads: {torch.get_num_threads()}"
        )
        print(
            f"model: {'random ' + args.config + ' BLIP-2' if not args.model else model}; "
            f"{len(X)} rows, {len(slots)} image slots, {len(set(map(str, photos)))} distinct "
            f"images, {n_two} rows with two images, 1024x768 JPEGs; batch_size="
            f"{args.batch_size}, max_new_tokens={args.max_new_tokens}, greedy"
        )

        # --- load both models outside the timings (a warm-up image not in the data)
        warm = work / "warmup.jpg"
        from PIL import Image

        Image.new("RGB", (1024, 768), (90, 120, 200)).save(warm)
        est = Blip2Captioner(
            model=model,
            batch_size=args.batch_size,
            max_new_tokens=args.max_new_tokens,
            device=args.device,
            cache=False,
            progress=False,
        )
        est.fit(X).transform(X.iloc[:1].assign(media=[str(warm)]))
        pipe = pipeline(
            "image-text-to-text",
            model=model,
            device=device,
            dtype=dtype,
        )
        gen = {"max_new_tokens": args.max_new_tokens, "num_beams": 1, "do_sample": False}
        pipe({"images": str(warm), "text": ""}, generate_kwargs=gen)

        def run_pipeline():
            # a generator (not a list, which the pipeline reads as a chat) streams in batches
            results = pipe(
                ({"images": s, "text": ""} for s in slots),
                batch_size=args.batch_size,
                generate_kwargs=gen,
            )
            texts = iter([r[0]["generated_text"].strip() for r in results])
            peer = []
            for cell in X["media"]:
                parts = [next(texts) for _ in (cell if isinstance(cell, list) else [cell])]
                peer.append(CAPTION_SEPARATOR.join(p for p in parts if p))
            return peer

        def run_ours():  # no cache: the first run of a fresh job
            return est.transform(X)["caption"].tolist()

        # alternate the order each round; keep each one's best time (timeit's rule: on a
        # shared machine the minimum is the least disturbed run)
        times: dict[str, list[float]] = {"pipeline": [], "ours": []}
        cpu: dict[str, list[float]] = {"pipeline": [], "ours": []}
        for r in range(args.repeats):
            order = [("pipeline", run_pipeline), ("ours", run_ours)]
            for name, fn in order if r % 2 == 0 else order[::-1]:
                t0, c0 = time.perf_counter(), time.process_time()
                got = fn()
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                if name == "pipeline":
                    peer = got
                else:
                    ours = got
        t_pipe, t_ours = min(times["pipeline"]), min(times["ours"])
        same = sum(a == b for a, b in zip(ours, peer))
        raw = {k: ", ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
        print(
            f"pipeline('image-text-to-text'): {t_pipe:8.2f} s best of [{raw['pipeline']}] "
            f"({len(slots)} images generated per run)"
        )
        print(
            f"Blip2Captioner:                 {t_ours:8.2f} s best of [{raw['ours']}] "
            f"({est.n_generated_} images generated per run)"
        )
        print(f"same caption text as the pipeline: {same}/{len(X)} rows")
        print(
            f"speed-up vs pipeline: {t_pipe / t_ours:.2f}x best vs best, "
            f"{statistics.median(times['pipeline']) / statistics.median(times['ours']):.2f}x "
            f"median vs median  (target >= 2.0x; at equal batch size and compute-bound "
            f"generation the de-duplication alone bounds it near {len(slots)}/"
            f"{est.n_generated_} = {len(slots) / est.n_generated_:.2f}x)"
        )
        print(
            f"CPU time of this process (all threads), best: pipeline {min(cpu['pipeline']):.1f} s,"
            f" Blip2Captioner {min(cpu['ours']):.1f} s, "
            f"{min(cpu['pipeline']) / min(cpu['ours']):.2f}x"
        )
        out = pd.DataFrame({"caption": ours})

        # --- disk cache: cold run, then a fresh estimator, then a fresh process
        cache = work / "cache"
        cold = Blip2Captioner(**{**est.get_params(), "cache": str(cache)})
        t0 = time.perf_counter()
        cold.fit_transform(X)
        t_cold = time.perf_counter() - t0
        _models_cache_clear()
        fresh = Blip2Captioner(**{**est.get_params(), "cache": str(cache)})
        t0 = time.perf_counter()
        again = fresh.fit_transform(X)
        t_fresh = time.perf_counter() - t0
        X.to_pickle(work / "posts.pkl")

        def child_run(cache_dir):
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(work / "posts.pkl"),
                    str(model),
                    str(cache_dir),
                    str(args.batch_size),
                    str(args.max_new_tokens),
                    args.device,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(child.stdout.strip().splitlines()[-1])

        res = child_run(cache)
        assert again["caption"].tolist() == out["caption"].tolist() == res["captions"]
        print(
            f"disk cache: cold {t_cold:.2f} s; fresh estimator {t_fresh:.3f} s "
            f"({t_cold / t_fresh:.0f}x, {fresh.n_generated_} generated); fresh process "
            f"{res['seconds']:.3f} s ({t_cold / res['seconds']:.0f}x, {res['generated']} "
            f"generated, torch {'imported' if res['torch_imported'] else 'never imported'} "
            f"there; {res['again']:.3f} s = {t_cold / res['again']:.0f}x for a second estimator "
            "in that process, once its first call's imports are done)  (target >= 20x)"
        )
        # the same measurement on both sides: a script run twice, each time in a new process
        # (its first fit_transform, with the imports and, when cold, the model load it needs)
        first = child_run(work / "cache-processes")
        second = child_run(work / "cache-processes")
        assert first["captions"] == second["captions"] == res["captions"]
        print(
            f"disk cache, process vs process (same measurement both times): first run "
            f"{first['seconds']:.2f} s ({first['generated']} generated, model load and torch "
            f"import included), second run {second['seconds']:.3f} s "
            f"({second['generated']} generated): {first['seconds'] / second['seconds']:.0f}x"
            "  (target >= 20x)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _models_cache_clear():
    """Empty the process-wide memory layer so the fresh estimator reads the disk."""
    from skbucket.cache import process_memory_cache

    process_memory_cache().clear()


if __name__ == "__main__":
    raise SystemExit(main())
