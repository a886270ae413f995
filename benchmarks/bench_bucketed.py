"""Benchmark :class:`skbucket.bucketed.BucketedRegressor`.

1. Overhead: fit and predict time of BucketedRegressor against fitting the same
   classifier and per-bucket regressors by hand (20k x 40 synthetic rows), printed as
   ratios (targets: fit <= 1.15, predict <= 1.10). Each side is timed ``--repeats``
   times, interleaved (alternating which side goes first), and the fastest run of each side is compared.
2. Real data (``../shared/data``; skipped with a message when absent): RMSE and MAE of
   log1p(likes) on a split by username and a split by time, for BucketedRegressor with
   the seed defaults, a single global XGBRegressor and a
   TransformedTargetRegressor(XGBRegressor, log1p) on the same simple features (hour,
   weekday, month, year, media count/kind, caption length, username frequency and
   target encoding fit on the training part only; the training rows' own encoding is 5-fold
   out-of-fold).

3. Serving: predict latency on 1, 10 and 100 rows of a DataFrame of 400 float columns (the
   seed pipeline's regressors see 402: an embedding and the post features), soft routing,
   against the same fitted router and regressors called by hand on the DataFrame (each
   regressor on its rows, as a user writing the two stages out would, and as skbucket 0.3.0
   did). Median of ``--serving-repeats`` interleaved calls per side; target: ratio <= 1.0.

Everything runs under ``threadpool_limits(--threads)`` (default 1) and the hand-built
XGBoost/CatBoost models get the same thread count: on a shared 2-core machine OpenMP
thread pools that spin-wait made HistGradientBoosting/XGBoost fits 20-400x slower than
one thread, which would swamp both the timings and the 2-minute budget.

Run: ``.venv/bin/python benchmarks/bench_bucketed.py [--quick] [--threads N]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupShuffleSplit, KFold
from threadpoolctl import threadpool_limits

from skbucket.bucketed import DEFAULT_BINS, BucketedRegressor, assign_buckets

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# ----------------------------------------------------------------------------- part 1
def _synthetic(n=20_000, p=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, p))
    signal = X[:, :5] @ np.array([1.5, -1.0, 0.8, 0.5, 0.3]) + 0.5 * rng.normal(size=n)
    y = np.round(np.expm1(4.5 + 1.6 * signal)).clip(0)
    return X, y


def _sub_estimators(threads=1):
    from catboost import CatBoostRegressor
    from xgboost import XGBRegressor

    clf = HistGradientBoostingClassifier(max_iter=30, early_stopping=False, random_state=0)
    xgb = XGBRegressor(n_estimators=40, max_depth=4, n_jobs=threads, verbosity=0, random_state=0)
    cat = CatBoostRegressor(
        iterations=40,
        depth=4,
        thread_count=threads,
        random_seed=0,
        verbose=0,
        allow_writing_files=False,
    )
    regs = [xgb, xgb, cat, cat, cat, xgb, xgb]
    return clf, [clone(r) for r in regs]


def _by_hand_fit(clf, regs, X, y):
    b = assign_buckets(y, DEFAULT_BINS)
    clf = clone(clf).fit(X, b)
    fitted = {}
    for k, reg in enumerate(regs):
        rows = b == k
        fitted[k] = clone(reg).fit(X[rows], y[rows])
    return clf, fitted


def _by_hand_predict(clf, fitted, X):
    proba = clf.predict_proba(X)
    chosen = clf.classes_[np.argmax(proba, axis=1)]
    out = np.zeros(len(X))
    for k in np.unique(chosen):
        rows = chosen == k
        out[rows] = fitted[int(k)].predict(X[rows])
    # a raw-target regressor's negative prediction is 0 likes in BucketedRegressor (0.5.0):
    # the by-hand model does the same, so the two give the same numbers (XGBoost predicts
    # down to -2e5 on 2,005 of these rows)
    return np.maximum(out, 0.0)


def bench_overhead(repeats=3, n=20_000, threads=1):
    X, y = _synthetic(n)
    clf, regs = _sub_estimators(threads)
    model = BucketedRegressor(clf, regs)
    t_fit = {"bucketed": [], "by hand": []}
    t_pred = {"bucketed": [], "by hand": []}
    for rep in range(repeats):
        for side in ("by hand", "bucketed") if rep % 2 == 0 else ("bucketed", "by hand"):
            t0 = time.perf_counter()
            if side == "by hand":
                hand = _by_hand_fit(clf, regs, X, y)
            else:
                model.fit(X, y)
            t_fit[side].append(time.perf_counter() - t0)
        for side in ("by hand", "bucketed") if rep % 2 == 0 else ("bucketed", "by hand"):
            t0 = time.perf_counter()
            if side == "by hand":
                p_hand = _by_hand_predict(*hand, X)
            else:
                p_model = model.predict(X)
            t_pred[side].append(time.perf_counter() - t0)
    agree = np.allclose(p_hand, p_model, rtol=1e-5)
    fit_ratio = min(t_fit["bucketed"]) / min(t_fit["by hand"])
    pred_ratio = min(t_pred["bucketed"]) / min(t_pred["by hand"])
    print(f"## 1. overhead on {n} x {X.shape[1]} synthetic rows (best of {repeats})")
    print(f"buckets: {np.bincount(assign_buckets(y), minlength=7).tolist()}")
    print(
        f"fit     : bucketed {min(t_fit['bucketed']):.3f}s  by hand "
        f"{min(t_fit['by hand']):.3f}s  ratio {fit_ratio:.3f}"
    )
    print(f"target  : fit ratio <= 1.15 -> {'met' if fit_ratio <= 1.15 else 'NOT met'}")
    print(
        f"predict : bucketed {min(t_pred['bucketed']):.3f}s  by hand "
        f"{min(t_pred['by hand']):.3f}s  ratio {pred_ratio:.3f}"
    )
    print(f"target  : predict ratio <= 1.10 -> {'met' if pred_ratio <= 1.10 else 'NOT met'}")
    # allclose, not array_equal (part 3 checks that): the label said "identical"
    print(f"predictions equal to the by-hand model (np.allclose, rtol 1e-5): {agree}")
    return fit_ratio, pred_ratio


# ----------------------------------------------------------------------------- part 3
def _by_hand_soft_predict(model, X):
    """``model``'s soft, transformed-average prediction from its fitted parts, each
    regressor called on its rows of the DataFrame ``X``."""
    proba = model.predict_bucket_proba(X)
    forward, inverse = model._target_funcs_
    out = np.zeros(len(X))
    for k in range(model.n_buckets_):
        rows = np.flatnonzero(proba[:, k] > 0)
        if rows.size:
            raw = inverse(np.asarray(model.regressors_[k].predict(X.iloc[rows]), dtype=float))
            out[rows] += proba[rows, k] * forward(raw)
    return np.asarray(inverse(out), dtype=float)


def bench_serving(repeats=50, n_train=3000, p=400, threads=1):
    X, y = _synthetic(n_train, p)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(p)])
    clf, regs = _sub_estimators(threads)
    model = BucketedRegressor(
        clf, regs, routing="soft", target_transform="log1p", soft_average="transformed"
    ).fit(frame, y)
    print(
        f"## 3. serving: predict on a DataFrame of {p} float columns, soft routing "
        f"(median of {repeats})"
    )
    ratios, same = [], True
    for n in (1, 10, 100):
        batch = frame.iloc[:n]
        times = {"bucketed": [], "by hand": []}
        for rep in range(repeats):
            for side in ("by hand", "bucketed") if rep % 2 == 0 else ("bucketed", "by hand"):
                t0 = time.perf_counter()
                if side == "by hand":
                    hand = _by_hand_soft_predict(model, batch)
                else:
                    ours = model.predict(batch)
                times[side].append(time.perf_counter() - t0)
        same &= bool(np.array_equal(hand, ours))
        ratio = np.median(times["bucketed"]) / np.median(times["by hand"])
        ratios.append(ratio)
        print(
            f"{n:>4} rows: bucketed {1e3 * np.median(times['bucketed']):7.2f} ms  by hand "
            f"{1e3 * np.median(times['by hand']):7.2f} ms  ratio {ratio:.3f}"
        )
    print(f"target  : ratio <= 1.0 -> {'met' if max(ratios) <= 1.0 else 'NOT met'}")
    print(f"predictions identical to the by-hand model: {same}")
    return ratios


# ----------------------------------------------------------------------------- part 2
_KIND_RE = re.compile(r"\b(Photo|Video|Gif)\(")
_KINDS = ("Photo", "Video", "Gif")


def _base_features(df):
    date = pd.to_datetime(df["date"])
    kinds = df["media"].fillna("").map(_KIND_RE.findall)
    first = kinds.map(lambda k: _KINDS.index(k[0]) if k else -1)
    out = pd.DataFrame(
        {
            "hour": date.dt.hour,
            "weekday": date.dt.day_of_week,
            "month": date.dt.month,
            "year": date.dt.year,
            "n_media": kinds.map(len),
            "first_kind": first,
            "n_video": kinds.map(lambda k: k.count("Video")),
        },
        index=df.index,
    )
    if "caption" in df:
        out["caption_len"] = df["caption"].fillna("").str.len()
    if "content" in df:
        out["content_len"] = df["content"].fillna("").str.len()
    return out.astype(np.float64)


def _username_encodings(train, test, y_train, smoothing=10.0):
    """Frequency and smoothed target (mean log1p likes) encoding, fit on train only."""
    users = train["username"]
    counts = users.value_counts()
    target = pd.Series(np.log1p(y_train), index=train.index)
    prior = target.mean()
    stats = target.groupby(users).agg(["sum", "count"])
    enc = (stats["sum"] + smoothing * prior) / (stats["count"] + smoothing)
    # out-of-fold encoding for train rows (5 folds) so train and test see alike values; a
    # leave-one-out encoding would leak: within a username it falls exactly as the row's own
    # target rises, which tree models read back
    oof = pd.Series(np.nan, index=train.index)
    for fit_rows, enc_rows in KFold(5, shuffle=True, random_state=0).split(train):
        part, part_users = target.iloc[fit_rows], users.iloc[fit_rows]
        part_stats = part.groupby(part_users).agg(["sum", "count"])
        part_enc = (part_stats["sum"] + smoothing * part.mean()) / (part_stats["count"] + smoothing)
        oof.iloc[enc_rows] = users.iloc[enc_rows].map(part_enc).fillna(part.mean()).to_numpy()

    def encode(frame, te):
        return pd.DataFrame(
            {"user_freq": frame["username"].map(counts).fillna(0.0), "user_te": te},
            index=frame.index,
        )

    return encode(train, oof), encode(test, test["username"].map(enc).fillna(prior))


def _models(seed=0, threads=1):
    from xgboost import XGBRegressor

    xgb = XGBRegressor(
        n_estimators=300,
        learning_rate=0.05,
        max_depth=6,
        subsample=0.8,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=threads,
        verbosity=0,
    )
    return {
        "BucketedRegressor (seed defaults)": BucketedRegressor(random_state=seed),
        "BucketedRegressor (seed defaults, log1p)": BucketedRegressor(
            random_state=seed, target_transform="log1p"
        ),
        "global XGBRegressor": clone(xgb),
        "TransformedTargetRegressor(XGB, log1p)": TransformedTargetRegressor(
            clone(xgb), func=np.log1p, inverse_func=np.expm1
        ),
    }


def _splits(df, seed=0):
    gss = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    tr, te = next(gss.split(df, groups=df["username"]))
    yield "by username", df.index[tr], df.index[te]
    order = pd.to_datetime(df["date"]).sort_values(kind="stable").index
    cut = int(len(order) * 0.8)
    yield "by time", order[:cut], order[cut:]


def bench_real(files, quick=False, threads=1):
    if not DATA.is_dir():
        print(f"## 2. real data: skipped, {DATA} not found")
        return []
    rows = []
    for name in files:
        path = DATA / name
        if not path.is_file():
            print(f"## 2. real data: {name} not found in {DATA}; skipped")
            continue
        df = pd.read_csv(path).reset_index(drop=True)
        if quick:
            df = df.sample(min(len(df), 4000), random_state=0).reset_index(drop=True)
        base = _base_features(df)
        y_all = df["likes"].to_numpy(dtype=np.float64)
        for split, tr, te in _splits(df):
            enc_tr, enc_te = _username_encodings(df.loc[tr], df.loc[te], y_all[tr])
            X_tr = pd.concat([base.loc[tr], enc_tr], axis=1)
            X_te = pd.concat([base.loc[te], enc_te], axis=1)
            truth = np.log1p(y_all[te])
            for label, model in _models(threads=threads).items():
                t0 = time.perf_counter()
                model.fit(X_tr, y_all[tr])
                pred = np.log1p(np.clip(model.predict(X_te), 0, None))
                rows.append(
                    {
                        "data": name.split(".")[0],
                        "split": split,
                        "n_train/test": f"{len(tr)}/{len(te)}",
                        "model": label,
                        "RMSE log1p": float(np.sqrt(np.mean((pred - truth) ** 2))),
                        "MAE log1p": float(np.mean(np.abs(pred - truth))),
                        "fit+predict s": time.perf_counter() - t0,
                    }
                )
    if rows:
        print("## 2. real data: error on log1p(likes) (lower is better)")
        table = pd.DataFrame(rows)
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--serving-repeats", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")
    parser.add_argument("--threads", type=int, default=1, help="threads for every model")
    parser.add_argument(
        "--data",
        nargs="*",
        default=["posts_captioned.csv.gz", "tweets.csv.gz"],
        help="files of ../shared/data to use in part 2",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    with threadpool_limits(limits=args.threads):
        print(f"threads per model: {args.threads}\n")
        bench_overhead(
            repeats=1 if args.quick else args.repeats,
            n=4000 if args.quick else 20_000,
            threads=args.threads,
        )
        print()
        bench_real(args.data, quick=args.quick, threads=args.threads)
        print()
        bench_serving(
            repeats=5 if args.quick else args.serving_repeats,
            n_train=1000 if args.quick else 3000,
            threads=args.threads,
        )
    print(f"\ntotal {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
