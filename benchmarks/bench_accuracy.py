"""Accuracy of skbucket on real posts, against simple and strong peers, on two honest splits.

Data: ``../shared/data/posts_captioned.csv.gz`` (main; captions, no tweet text) and
``tweets.csv.gz`` (936 rows with ``content``), each its own tables. Skipped with a message
(exit 0) when the folder is absent.

Splits (seeded):

- **company**: every post of a random 15% of the companies is held out (the challenge's
  "unseen brand" regime; almost every held-out username is unseen too: a few accounts post
  under two companies, e.g. 0, 2, 11, 5 and 0 test posts of the posts' company splits 0-4 are
  by a username seen in training);
- **time**: the latest 10% of the posts by date are held out.

One split scores a few dozen companies or one stretch of time, so ``--company-seeds N`` and
``--time-windows N`` refit the picked configuration (and the default one, when it is not the
pick) and the peers on N more company splits, or on N earlier time windows (before the posts
the dev folds held out), and tabulate RMSE(log1p) with the number of wins.

Rows of each table (every model sees the same training rows):

- ``skbucket seed pipeline``: the model step of :func:`skbucket.make_seed_pipeline` with
  ``SEED_SETTINGS``, the seed as published (hard routing, raw target, the seed's per-bucket
  XGBoost/CatBoost regressors, the fine-tuned text classifier on the prompt);
- ``skbucket best``: per split, the configuration with the lowest mean RMSE(log1p) over
  ``--dev-folds`` (default 3) *dev* folds of that split's training rows, held out the same way
  as its test rows (company split: all posts of 15% of the training companies, a new draw per
  fold; time split: rolling origin, the latest 10% of the training posts, then the 10% before
  them, ..., each fold trained only on the posts before its window; never the test rows), among
  a few candidates (routing, soft routing's ``soft_average``,
  ``target_transform="log1p"``, classifier = fine-tuned text model,
  ``HistGradientBoostingClassifier`` on the numeric features, or the hybrid of the two
  (:class:`skbucket.routing.AccountRouter`: the text model for posts of companies never seen in
  training, HGB on the post features for the others), ``class_weight="balanced"``,
  ``clip``, HGB router and per-bucket regressors reading every numeric column or the post
  features only);
  the candidates and their dev scores are printed;
- ``skbucket default``: :func:`skbucket.make_seed_pipeline`'s default configuration (the
  candidate :data:`DEFAULT_CANDIDATE`, with the same fine-tuned text classifier), shown when
  the dev folds picked another one, since the goal is about the default;
- ``global XGBoost``: one ``XGBRegressor`` (the seed regressors' settings) on exactly the
  features the bucket regressors see (prompt embeddings + ``PostFeatures``);
- ``TTR(HGB, log1p)``: ``TransformedTargetRegressor(HistGradientBoostingRegressor, log1p)``
  on the same features;
- ``per-username median``: :class:`skbucket.baselines.GroupMedianRegressor`, the training
  median of the username; usernames not seen in training (almost all of them in the company
  split) fall back to the company median, then to the global training median.

Under each split's table, the default row is compared with every other row by a paired
cluster bootstrap (:func:`paired_bootstrap`: the test companies resampled with replacement, whole
companies at a time, both rows scored on the same resampled posts): the difference in
RMSE(log1p), its 95% interval and the share of resamples in which the default is better. A few
dozen test companies leave a wide interval; the table's order is only as sure as that.

Features are built once per split with the pipeline's own ``features`` step (fit on the
training rows only: ``PostFeatures`` cross-fits its target encodings in ``fit_transform``);
embeddings are cached on disk (``--cache-dir``) so reruns and the dev exploration are cheap.
``fit s`` of an embedding-based row counts that shared feature step (timed with the training
prompts' embeddings already in the disk cache: they are put there first, untimed), plus the classifier's
fine-tuning for rows that use it, plus the row's own fit. Metrics come from
:mod:`skbucket.metrics` only. Tree models run with one thread (``threadpool_limits`` and
``n_jobs``/``thread_count``), torch with ``--torch-threads``.

The text classifier is fine-tuned for ``--epochs`` (default 1) on a stratified subsample of
``--clf-rows`` (default 400) training prompts per split, or on all of them with
``--clf-rows all`` (about 10 minutes per split for the 15k posts on two CPU cores); in each dev
fold, on ``--dev-clf-rows`` (default 300; 0 leaves the candidates that use it, the default
among them, out of the dev exploration, and says so).

Run: ``.venv/bin/python benchmarks/bench_accuracy.py [--quick] [--rows N] [--clf-rows S|all]
[--dev-clf-rows S] [--splits company time] [--dev-folds K] [--company-seeds N]
[--time-windows N] [--pick NAME]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from threadpoolctl import threadpool_limits

import skbucket.metrics
from skbucket.baselines import GroupMedianRegressor
from skbucket.bucketed import _default_regressors, assign_buckets
from skbucket.demo import _date_order, time_split
from skbucket.metrics import (
    _predict_once,
    evaluate,
    evaluate_estimator,
    final_bins,
)
from skbucket.pipeline import (
    _NOT_PROMPT,
    _POST_FEATURES,
    PROMPT_COLUMN,
    SEED_SETTINGS,
    make_seed_pipeline,
    models_used,
)
from skbucket.routing import AccountRouter

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
INPUT_COLUMNS = ["date", "username", "inferred_company", "media", "caption", "content"]
TABLE_COLUMNS = ["model", "RMSE(log1p)", "MAE(log1p)", "RMSE(raw)", "bucket acc", "fit s"]
N_BOOTSTRAP = 2000
DATASETS = {"posts": "posts_captioned.csv.gz", "tweets": "tweets.csv.gz"}


# ----------------------------------------------------------------------------- data
#: the input columns ``--drop-columns`` may leave out (an ablation: what a column adds)
DROPPABLE_COLUMNS = ("content", "caption", "media")


def load(data_dir, name, rows, seed, drop=()):
    """``(X, y)`` of one data file; ``rows`` posts sampled at random (seeded) when given;
    the input columns ``drop`` left out (after the sample: the same posts either way)."""
    frame = pd.read_csv(Path(data_dir) / DATASETS[name])
    if name == "tweets":
        captions = Path(data_dir) / "captions.csv.gz"
        if captions.is_file():
            frame = frame.merge(pd.read_csv(captions), on="id", how="left")
    if rows is not None and rows < len(frame):
        frame = frame.sample(n=rows, random_state=seed).sort_values("id")
    frame = frame.reset_index(drop=True)
    X = frame[[c for c in INPUT_COLUMNS if c in frame.columns and c not in drop]]
    return X, frame["likes"].astype(float)


def company_split(X, fraction, seed):
    """Test mask: every post of a random ``fraction`` of the companies."""
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    _, test = next(splitter.split(X, groups=X["inferred_company"]))
    mask = np.zeros(len(X), dtype=bool)
    mask[test] = True
    return mask


# ----------------------------------------------------------------------------- models
def seed_regressors(seed, n_trees=None):
    """The seed's per-bucket regressors (``regressors=None``), pinned to one thread.

    ``n_trees`` (``--quick`` only) shrinks them for the smoke test.
    """
    regs = _default_regressors(7, seed)
    for reg in regs.values():
        xgb = type(reg).__name__.startswith("XGB")
        reg.set_params(**{"n_jobs" if xgb else "thread_count": 1})
        if n_trees:
            reg.set_params(**{"n_estimators" if xgb else "iterations": n_trees})
    return [regs[k] for k in range(7)]


def global_xgb(seed, n_trees=None):
    from xgboost import XGBRegressor

    return XGBRegressor(
        n_estimators=n_trees or 300,
        learning_rate=0.05,
        max_depth=6,
        subsample=0.8,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=1,
        verbosity=0,
    )


def ttr_hgb(seed, n_trees=None):
    return TransformedTargetRegressor(
        HistGradientBoostingRegressor(max_iter=n_trees or 100, random_state=seed),
        func=np.log1p,
        inverse_func=np.expm1,
    )


class Bench:
    """Shared state of one run: settings, the feature step and the classifier builder."""

    def __init__(self, args):
        self.args = args
        #: ``--quick``: every tree model shrunk to a few trees (a smoke test, not a benchmark)
        self.n_trees = 10 if args.quick else None
        self.template = make_seed_pipeline(
            caption_model=None,
            text_model=args.text_model,
            epochs=args.epochs,
            batch_size=args.batch_size,
            max_length=args.max_length,
            cache=args.cache_dir,
            device="cpu",
            progress=False,
            random_state=args.seed,
        )

    def embedding_rate(self, X, n_rows):
        """Prompts per second of the pipeline's embedder with no cache (measured here)."""
        prompts = clone(self.template)[:2].fit_transform(X.iloc[:n_rows])[[PROMPT_COLUMN]]
        embedder = clone(self.template["features"].transformers[1][1]).set_params(cache=False)
        start = time.perf_counter()
        embedder.fit(prompts).transform(prompts)
        return len(prompts) / (time.perf_counter() - start)

    def seed_model(self):
        """The seed pipeline's model step as published (``SEED_SETTINGS``), with thread-pinned
        seed regressors; the candidates set their own routing on it."""
        routing = {k: v for k, v in SEED_SETTINGS.items() if k != "classifier"}
        return clone(self.template["model"]).set_params(
            **routing,
            classifier=clone(self.text_router()),
            classifier_columns=[PROMPT_COLUMN],
            regressors=seed_regressors(self.args.seed, self.n_trees),
        )

    def text_router(self):
        """The pipeline's (unfitted) fine-tuned text classifier."""
        router = self.template["model"].classifier
        return router.unseen if isinstance(router, AccountRouter) else router

    def warm_cache(self, X):
        """Embed the prompts of ``X`` into the disk cache (untimed; no target is read)."""
        prompts = clone(self.template)[:2].fit_transform(X)[[PROMPT_COLUMN]]
        clone(self.template["features"].transformers[1][1]).fit(prompts).transform(prompts)

    def features(self, X_train, y_train, X_test):
        """The pipeline's caption → prompt → features steps, fit on train only.

        The seconds are those of the fit with the training prompts' embeddings already in the
        disk cache, as the tables' ``fit s`` say: the cache is filled first, untimed (with
        ``--pick`` no dev exploration fills it, and the first split paid the cold embedding).
        """
        self.warm_cache(X_train)
        steps = clone(self.template)[:3]
        start = time.perf_counter()
        F_train = steps.fit_transform(X_train, y_train)
        seconds = time.perf_counter() - start
        return F_train, steps.transform(X_test), seconds

    def finetune(self, F_train, y_train, n_rows):
        """Fine-tune the seed classifier on a stratified subsample of ``n_rows`` prompts (all
        of them when ``n_rows`` is None)."""
        buckets = assign_buckets(y_train)
        idx = np.arange(len(F_train))
        if n_rows is not None and n_rows < len(idx):
            counts = np.bincount(buckets)
            strat = buckets if counts[counts > 0].min() >= 2 else None
            idx, _ = train_test_split(
                idx, train_size=n_rows, stratify=strat, random_state=self.args.seed
            )
        # one epoch: no hold-out for early stopping (it would only cost 10% of the rows)
        clf = clone(self.text_router()).set_params(early_stopping=self.args.epochs > 1)
        start = time.perf_counter()
        clf.fit(F_train[[PROMPT_COLUMN]].iloc[idx], buckets[idx])
        return FrozenEstimator(clf), time.perf_counter() - start, len(idx)

    def peers(self):
        """``(name, unfitted regressor)`` of the peers that read the numeric features."""
        return [
            ("global XGBoost", global_xgb(self.args.seed, self.n_trees)),
            ("TTR(HGB, log1p)", ttr_hgb(self.args.seed, self.n_trees)),
        ]

    def hgb_classifier(self, balanced=False):
        return HistGradientBoostingClassifier(
            max_iter=self.n_trees or 100,
            random_state=self.args.seed,
            class_weight="balanced" if balanced else None,
        )


# ----------------------------------------------------------------------------- exploration
#: what the per-bucket regressors (and the HGB router) of a candidate read: every numeric column
#: (prompt embeddings + post features, the seed) or the post features only (metadata: date,
#: media, text counts, account encodings); the embedder's columns are named after its class
FEATURE_SETS = {
    "all": _NOT_PROMPT,
    "post": _POST_FEATURES,
}
#: (name, uses the fine-tuned text classifier, BucketedRegressor params besides the classifier)
CANDIDATES = [
    ("text clf, hard, raw (seed)", True, {}),
    ("text clf, soft, log1p", True, {"routing": "soft", "target_transform": "log1p"}),
    ("HGB clf, hard, raw", False, {}),
    ("HGB clf, soft, raw", False, {"routing": "soft"}),
    ("HGB clf, hard, log1p", False, {"target_transform": "log1p"}),
    ("HGB clf, soft, log1p", False, {"routing": "soft", "target_transform": "log1p"}),
    (
        "HGB clf, soft, log1p, clip",
        False,
        {"routing": "soft", "target_transform": "log1p", "clip": True},
    ),
    (
        "HGB clf balanced, soft, log1p",
        False,
        {"routing": "soft", "target_transform": "log1p", "balanced": True},
    ),
    (
        "text clf, soft (log-space mean), log1p",
        True,
        {"routing": "soft", "soft_average": "transformed", "target_transform": "log1p"},
    ),
    (
        "HGB clf, soft (log-space mean), log1p",
        False,
        {"routing": "soft", "soft_average": "transformed", "target_transform": "log1p"},
    ),
    (
        "HGB clf balanced, soft (log-space mean), log1p",
        False,
        {
            "routing": "soft",
            "soft_average": "transformed",
            "target_transform": "log1p",
            "balanced": True,
        },
    ),
    (
        "HGB clf, hard, log1p, post features",
        False,
        {"target_transform": "log1p", "features": "post"},
    ),
    (
        "HGB clf, soft, log1p, post features",
        False,
        {"routing": "soft", "target_transform": "log1p", "features": "post"},
    ),
    (
        "HGB clf, soft (log-space mean), log1p, post features",
        False,
        {
            "routing": "soft",
            "soft_average": "transformed",
            "target_transform": "log1p",
            "features": "post",
        },
    ),
    (
        "hybrid clf, soft (log-space mean), log1p",
        True,
        {
            "routing": "soft",
            "soft_average": "transformed",
            "target_transform": "log1p",
            "router": "hybrid",
        },
    ),
]


#: the candidate that is ``make_seed_pipeline()``'s default configuration (hybrid router: HGB on
#: the post features for companies seen in training, the fine-tuned text model for new ones;
#: soft routing averaged in log1p space, log1p target; tested against the function's defaults)
DEFAULT_CANDIDATE = "hybrid clf, soft (log-space mean), log1p"


def _options(params):
    """Split a candidate's params into BucketedRegressor params and the bench's own options."""
    params = dict(params)
    params.pop("router", None)
    return params, params.pop("balanced", False), params.pop("features", "all")


def _hgb_key(uses_text, params):
    """``(balanced, features)`` of the HGB router a candidate uses; None for the text router.

    The hybrid's HGB part reads the post features, as in ``make_seed_pipeline``.
    """
    _, balanced, features = _options(params)
    if params.get("router") == "hybrid":
        return balanced, "post"
    return None if uses_text else (balanced, features)


def _hybrid(known, text_clf):
    """``make_seed_pipeline(classifier="hybrid")``'s router around the given parts."""
    return AccountRouter(
        known=known,
        unseen=text_clf,
        known_columns=_POST_FEATURES,
        unseen_columns=[PROMPT_COLUMN],
        count_column="inferred_company_count",
    )


def candidate_model(bench, text_clf, fitted_regs, hgb, params):
    """A BucketedRegressor for one candidate, reusing already fitted parts (frozen)."""
    hybrid = params.get("router") == "hybrid"
    key = _hgb_key(text_clf is not None, params)
    params, balanced, features = _options(params)
    model = bench.seed_model().set_params(**params, regressor_columns=FEATURE_SETS[features])
    if hybrid:
        model.set_params(classifier=_hybrid(hgb[key], text_clf), classifier_columns=None)
    elif text_clf is not None:
        model.set_params(classifier=text_clf)
    else:
        model.set_params(classifier=hgb[key], classifier_columns=FEATURE_SETS[features])
    model.set_params(regressors=fitted_regs[params.get("target_transform"), features])
    return model


def check_time_folds(n_train, n_folds):
    """A ``ValueError`` unless ``n_folds`` rolling windows of 10% of ``n_train`` training posts
    each leave at least a window's worth of earlier posts to train on (more folds ran out of
    posts: a fold trained on two posts, then slice bounds below 0 gave an empty dev window,
    after hours of the earlier folds)."""
    size = int(round(n_train * 0.10))
    if size < 1 or n_train - n_folds * size < size:
        most = max(0, n_train // size - 1) if size else 0
        raise ValueError(
            f"--dev-folds {n_folds}: the time split's {n_train:,} training posts hold at most "
            f"{most} rolling dev windows of 10% ({size:,} posts) with at least as many earlier "
            "posts to train on"
        )


def dev_folds(X_train, kind, seed, n_folds):
    """``(dev-train mask, dev mask)`` per dev fold of a split's training rows.

    Held out the way the split holds out its test rows: for ``"company"``, all posts of 15%
    of the training companies (fold ``j`` draws them with seed ``seed + 1 + j``); for
    ``"time"``, rolling origin: fold ``j`` holds out the ``j``-th latest 10% of the training
    posts and trains on the posts before them only. Fold 0 is the single dev split of
    ``--dev-folds 1``.
    """
    if kind == "company":
        for j in range(n_folds):
            dev = company_split(X_train, 0.15, seed + 1 + j)
            yield ~dev, dev
        return
    n, size = len(X_train), int(round(len(X_train) * 0.10))
    check_time_folds(n, n_folds)
    order = _date_order(X_train)
    for j in range(n_folds):
        stop = n - j * size
        train, dev = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        train[order[: stop - size]] = True
        dev[order[stop - size : stop]] = True
        yield train, dev


def score_candidates(bench, Xa, ya, Xd, yd):
    """``[(name, params, uses_text, metrics)]`` of every candidate fit on ``Xa``, scored on ``Xd``."""
    args = bench.args
    Fa, Fd, _ = bench.features(Xa, ya, Xd)
    # parts that do not depend on routing/clip are fit once and shared (frozen)
    fitted_regs = {}
    buckets = assign_buckets(ya)
    for tt in (None, "log1p"):
        yk = ya.to_numpy() if tt is None else np.log1p(ya.to_numpy())
        for features, columns in FEATURE_SETS.items():
            if not any(_options(p)[2] == features for _, _, p in CANDIDATES):
                continue
            Fk = Fa[columns(Fa)]
            regs = []
            for k, reg in enumerate(seed_regressors(args.seed, bench.n_trees)):
                rows = buckets == k
                if rows.sum() >= 5:  # smaller buckets borrow a neighbour's (min_bucket_size=5)
                    reg = clone(reg).fit(Fk[rows], yk[rows])
                regs.append(FrozenEstimator(reg))
            fitted_regs[tt, features] = regs
    keys = {_hgb_key(uses_text, p) for _, uses_text, p in CANDIDATES} - {None}
    hgb = {
        (b, f): FrozenEstimator(bench.hgb_classifier(b).fit(Fa[FEATURE_SETS[f](Fa)], buckets))
        for b, f in sorted(keys)
    }
    text_clf = None
    if args.dev_clf_rows > 0:
        text_clf, _, _ = bench.finetune(Fa, ya, args.dev_clf_rows)
    rows = []
    for name, uses_text, params in CANDIDATES:
        if uses_text and text_clf is None:
            continue
        model = candidate_model(bench, text_clf if uses_text else None, fitted_regs, hgb, params)
        model.fit(Fa, ya)
        rows.append((name, params, uses_text, evaluate_estimator(model, Fd, yd)))
    return rows


def explore(bench, X, y, test_mask, kind, say):
    """Score the candidates on ``--dev-folds`` dev folds of the training rows (see
    :func:`dev_folds`) and pick the lowest mean RMSE(log1p).

    Returns the best candidate (its metrics: means over the folds), the dev table (means, then
    RMSE(log1p) per fold) and the sizes ``[(n dev-train, n dev)]`` per fold.
    """
    args = bench.args
    X_tr, y_tr = X[~test_mask], y[~test_mask]
    per_fold, sizes = [], []
    for j, (train, dev) in enumerate(dev_folds(X_tr, kind, args.seed, args.dev_folds)):
        say(f"dev exploration ({kind}), fold {j}: {train.sum()} dev-train / {dev.sum()} dev rows")
        per_fold.append(score_candidates(bench, X_tr[train], y_tr[train], X_tr[dev], y_tr[dev]))
        sizes.append((int(train.sum()), int(dev.sum())))
    rows = []
    for i, (name, params, uses_text, _) in enumerate(per_fold[0]):
        folds = [fold[i][3] for fold in per_fold]
        mean = {key: float(np.mean([m[key] for m in folds])) for key in folds[0]}
        rows.append((name, params, uses_text, mean, [m["rmse_log1p"] for m in folds]))
    best = min(rows, key=lambda r: r[3]["rmse_log1p"])[:4]
    table = [
        [name, m["rmse_log1p"], m["mae_log1p"], m["rmse"], m["bucket_accuracy"], each]
        for name, _, _, m, each in rows
    ]
    return best, table, sizes


def candidate(name):
    """``(name, params, uses the text router, None)``: a candidate picked without dev scores,
    in the shape :func:`explore` returns its pick."""
    _, uses_text, params = next(c for c in CANDIDATES if c[0] == name)
    return name, params, uses_text, None


def best_model(bench, best, text_clf):
    """The picked configuration as a plain BucketedRegressor (classifier unfitted if HGB)."""
    name, params, uses_text, _ = best
    hybrid = params.get("router") == "hybrid"
    params, balanced, features = _options(params)
    model = bench.seed_model().set_params(**params, regressor_columns=FEATURE_SETS[features])
    if hybrid:
        return model.set_params(
            classifier=_hybrid(bench.hgb_classifier(balanced), text_clf), classifier_columns=None
        )
    if uses_text:
        return model.set_params(classifier=text_clf)
    return model.set_params(
        classifier=bench.hgb_classifier(balanced), classifier_columns=FEATURE_SETS[features]
    )


# ----------------------------------------------------------------------------- one split
DEV_FOLDS = {
    "company": "all posts of 15% of the training companies (a new draw per fold)",
    "time": "10% of the training posts, the latest first, each fold trained on the posts before it",
}


def run_split(bench, X, y, test_mask, best, say):
    """The table of one split: one row per model."""
    args = bench.args
    X_tr, y_tr, X_te, y_te = X[~test_mask], y[~test_mask], X[test_mask], y[test_mask]
    F_tr, F_te, feat_s = bench.features(X_tr, y_tr, X_te)
    say(f"features: {F_tr.shape[1] - 1} columns besides the prompt, {feat_s:.0f} s")
    truncated = truncated_share(args.text_model, F_tr[PROMPT_COLUMN], args.max_length)
    text_clf, clf_s, clf_n = bench.finetune(F_tr, y_tr, args.clf_rows)
    say(f"classifier fine-tuned on {clf_n} prompts in {clf_s:.0f} s")
    num = _NOT_PROMPT(F_tr)

    def timed(model, Xf):
        start = time.perf_counter()
        model.fit(Xf, y_tr)
        return model, time.perf_counter() - start

    table = []
    preds = {}

    def add(name, metrics, seconds, pred):
        preds[name] = pred
        table.append(
            [
                name,
                metrics["rmse_log1p"],
                metrics["mae_log1p"],
                metrics["rmse"],
                metrics["bucket_accuracy"],
                seconds,
            ]
        )
        say(f"  {name}: RMSE(log1p) {metrics['rmse_log1p']:.3f}, {seconds:.0f} s")

    def scored(model, Xf):
        pred, bucket, _ = _predict_once(model, Xf)
        return evaluate(y_te, pred, bucket_pred=bucket, bins=final_bins(model)), pred

    seed, s = timed(bench.seed_model().set_params(classifier=text_clf), F_tr)
    metrics, pred = scored(seed, F_te)
    add("skbucket seed pipeline", metrics, feat_s + clf_s + s, pred)
    routed = np.bincount(seed.predict_bucket(F_te), minlength=7)
    model, s = timed(best_model(bench, best, text_clf), F_tr)
    extra = clf_s if best[2] else 0.0
    metrics, pred = scored(model, F_te)
    add(f"skbucket best ({best[0]})", metrics, feat_s + extra + s, pred)
    default = f"skbucket best ({best[0]})"
    if best[0] != DEFAULT_CANDIDATE:  # the goal is about the default: always show it
        model, s = timed(best_model(bench, candidate(DEFAULT_CANDIDATE), text_clf), F_tr)
        default = f"skbucket default ({DEFAULT_CANDIDATE})"
        metrics, pred = scored(model, F_te)
        add(default, metrics, feat_s + clf_s + s, pred)
    for name, reg in bench.peers():
        model, s = timed(reg, F_tr[num])
        metrics, pred = scored(model, F_te[num])
        add(name, metrics, feat_s + s, pred)
    start = time.perf_counter()
    pred = GroupMedianRegressor().fit(X_tr, y_tr).predict(X_te)
    add("per-username median", evaluate(y_te, pred), time.perf_counter() - start, pred)
    groups = X_te["inferred_company"].to_numpy(dtype=object)
    intervals = [
        (name, *paired_bootstrap(y_te, preds[default], preds[name], groups, seed=args.seed))
        for name in preds
        if name != default
    ]
    return table, {
        "n_train": len(X_tr),
        "n_test": len(X_te),
        "clf_rows": clf_n,
        "truncated": truncated,
        "routed": routed,
        "true_buckets": np.bincount(assign_buckets(y_te), minlength=7),
        "default": default,
        "intervals": intervals,
        "n_groups": len(pd.factorize(groups, use_na_sentinel=False)[1]),  # as the bootstrap
    }


def paired_bootstrap(y_true, pred_a, pred_b, groups, *, n_boot=N_BOOTSTRAP, seed=0):
    """How sure is "``a`` beats ``b``" on this test set? A paired cluster bootstrap.

    Resamples the test *groups* (companies) with replacement, ``n_boot`` times, and recomputes
    RMSE(log1p) of both prediction vectors on the same resampled rows. Posts of one company are
    not independent (one account, one audience), so whole companies are resampled, not posts.

    Returns ``(difference, low, high, share)``: the observed RMSE(log1p) of ``a`` minus that of
    ``b`` (negative: ``a`` is better), the 2.5% and 97.5% percentiles of the resampled
    differences, and the share of resamples in which ``a`` is strictly better. Predictions are
    clipped at 0 before ``log1p``, as :func:`skbucket.metrics.evaluate` does.

    With the few dozen test companies of these splits, of very unequal size, the interval is
    narrower than its 95%: in a simulation on the real posts' companies
    (``bench_intervals.py``, ``results/intervals.md``) it held the true difference 80%, 85%,
    88% and 93% of the time with 10, 19, 35 and 118 companies.

    :func:`skbucket.metrics.paired_bootstrap`'s RMSE(log1p) row, drawn from
    ``np.random.default_rng(seed)`` as this function drew before it moved into the library
    (the same numbers, to floating-point rounding, for groups of plain names; the library reads
    groups as the report does: a missing and a blank company are one group, and so are ``7``
    and ``"7"``).
    """
    if groups is None:  # the library would resample posts one by one
        raise ValueError("paired_bootstrap: the benchmark resamples whole companies; give groups")
    return tuple(
        skbucket.metrics.paired_bootstrap(
            y_true,
            pred_a,
            pred_b,
            groups=groups,
            n_resamples=n_boot,
            random_state=np.random.default_rng(seed),
        )["rmse_log1p"]
    )


def time_windows(X, fraction, n_dev_folds, n_windows):
    """``(train mask, test mask)`` of the time split and of ``n_windows`` earlier windows.

    Window 0 is the split's own test window (the latest ``fraction`` of the posts, trained on
    all the posts before it). The windows before it that :func:`dev_folds` holds out from its
    training rows (``n_dev_folds`` of them) are skipped, so that no window scores a
    configuration on the posts it was picked on; then come ``n_windows`` windows of the same
    size, each further back in time and each trained only on the posts before it.
    """
    order = _date_order(X)
    n = len(X)
    size = int(round(n * fraction))
    n_train = n - size
    stops = [n]
    stop = n_train - n_dev_folds * int(round(n_train * 0.10))  # below the dev folds' posts
    for _ in range(n_windows):
        if stop - size < size:  # too few earlier posts left to train on
            break
        stops.append(stop)
        stop -= size
    for stop in stops:
        train, test = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        train[order[: stop - size]] = True
        test[order[stop - size : stop]] = True
        yield train, test


def repeats_table(bench, X, y, best, splits, intro, say):
    """RMSE(log1p) of the picked configuration and the peers over several splits.

    ``splits`` is ``[(label, train mask, test mask)]``, the table's own split first. One split
    scores a few dozen companies or one stretch of time, so its ranking may be luck; this refits
    the same picked configuration, the default configuration when the pick is another one (as
    in the split's own table), and the peers on each, and counts the wins. A text router is
    fine-tuned again on each split's training rows, as for the table's own split.
    """
    args = bench.args
    peers = bench.peers()
    picks = [best] if best[0] == DEFAULT_CANDIDATE else [best, candidate(DEFAULT_CANDIDATE)]
    labels = ["best", "default"]
    names = [f"skbucket {label} ({pick[0]})" for label, pick in zip(labels, picks)]
    names += [*(name for name, _ in peers), "per-username median"]
    scores = {name: [] for name in names}
    for label, train, test in splits:
        say(label)
        X_tr, y_tr, X_te, y_te = X[train], y[train], X[test], y[test]
        F_tr, F_te, _ = bench.features(X_tr, y_tr, X_te)
        num = _NOT_PROMPT(F_tr)
        uses_text = any(pick[2] for pick in picks)
        text_clf = bench.finetune(F_tr, y_tr, args.clf_rows)[0] if uses_text else None
        models = [(best_model(bench, pick, text_clf), F_tr, F_te) for pick in picks]
        models += [(clone(reg), F_tr[num], F_te[num]) for _, reg in peers]
        for name, (model, A, B) in zip(names, models):
            scores[name].append(evaluate_estimator(model.fit(A, y_tr), B, y_te)["rmse_log1p"])
        pred = GroupMedianRegressor().fit(X_tr, y_tr).predict(X_te)
        scores[names[-1]].append(evaluate(y_te, pred)["rmse_log1p"])
    head = ["model", *(label for label, _, _ in splits), "mean", "wins"]
    best_per_split = [min(scores[n][i] for n in names) for i in range(len(splits))]
    lines = [intro + "\n", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        wins = sum(v == b for v, b in zip(scores[name], best_per_split))
        cells = [f"{v:.3f}" for v in scores[name]] + [f"{np.mean(scores[name]):.3f}", str(wins)]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines) + "\n"


def company_seeds_table(bench, X, y, best, say):
    """:func:`repeats_table` over ``--company-seeds`` more company splits (seeds seed+1...)."""
    args = bench.args
    seeds = list(range(args.seed, args.seed + 1 + args.company_seeds))  # the table's split too
    splits = []
    for seed in seeds:
        mask = company_split(X, 0.15, seed)
        splits.append((f"seed {seed}", ~mask, mask))
    intro = (
        f"RMSE(log1p) on {len(seeds)} company splits (15% of the companies held out each; seed "
        f"{args.seed} is the split above; the configuration picked above and the default one, "
        "refitted on each; the seed pipeline, whose seed XGBoost/CatBoost regressors on every "
        "column take minutes per split, is left out; wins: splits where the row is best):"
    )
    return repeats_table(bench, X, y, best, splits, intro, say)


def time_windows_table(bench, X, y, best, say):
    """:func:`repeats_table` over the test window and ``--time-windows`` earlier windows."""
    args = bench.args
    windows = list(time_windows(X, 0.10, args.dev_folds, args.time_windows))
    dates = pd.to_datetime(X["date"])
    splits = []
    for j, (train, test) in enumerate(windows):
        span = f"{dates[test].min():%Y-%m-%d} to {dates[test].max():%Y-%m-%d}"
        splits.append((f"window {j} ({span})", train, test))
    intro = (
        f"RMSE(log1p) on {len(windows)} time windows of 10% of the posts each (window 0 is the "
        "split above; the others lie before the posts the dev folds held out, so the pick was "
        "never scored on them; each is trained only on the posts before it, so with fewer "
        "training posts the further back it goes; the configuration picked above and the default "
        "one, refitted on each; no seed pipeline; wins: windows where the row is best):"
    )
    return repeats_table(bench, X, y, best, splits, intro, say)


def truncated_share(model, texts, max_length):
    """Share of the prompts longer than ``max_length`` tokens (special tokens included)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    # untruncated on purpose (to count the long ones); verbose=False: no "longer than" warning
    lengths = np.array([len(ids) for ids in tokenizer(list(texts), verbose=False)["input_ids"]])
    return float(np.mean(lengths > max_length))


# ----------------------------------------------------------------------------- output
def markdown(table):
    out = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for name, *vals in table:
        cells = [f"{v:.3f}" for v in vals[:2]] + [f"{vals[2]:,.0f}", f"{vals[3]:.3f}"]
        cells.append("–" if np.isnan(vals[4]) else f"{vals[4]:.0f}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def intervals_markdown(info):
    """How sure the ranking of the default row is: :func:`paired_bootstrap` against each row."""
    out = [
        f"Is the difference more than luck of this test set? RMSE(log1p) of *{info['default']}* "
        "minus that of each other row (negative: the default is better), with a 95% paired "
        f"cluster-bootstrap interval ({N_BOOTSTRAP:,} resamples of the {info['n_groups']} test "
        "companies, whole companies at a time) and the share of resamples in which the default "
        "is better:\n",
        "| default minus | difference | 95% interval | default better in |",
        "|---|---|---|---|",
    ]
    for name, diff, low, high, share in info["intervals"]:
        out.append(f"| {name} | {diff:+.3f} | [{low:+.3f}, {high:+.3f}] | {share:.0%} |")
    return "\n".join(out) + "\n"


def dev_markdown(table):
    """The dev table: means over the folds, then RMSE(log1p) fold by fold."""
    head = [*TABLE_COLUMNS[:5], "RMSE(log1p) per fold"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, *vals in table:
        cells = [f"{v:.3f}" for v in vals[:2]] + [f"{vals[2]:,.0f}", f"{vals[3]:.3f}"]
        cells.append(" / ".join(f"{v:.3f}" for v in vals[4]))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _clf_rows(value):
    """``--clf-rows``: a positive number of prompts, or ``all`` (0 here, None after parsing)."""
    if value == "all":
        return 0
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'all', got {value!r}")
    return int(value)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few hundred rows (smoke test)")
    parser.add_argument("--rows", type=int, default=None, help="random sample of N posts")
    parser.add_argument(
        "--drop-columns",
        nargs="+",
        choices=DROPPABLE_COLUMNS,
        default=[],
        help="leave these input columns out of every model (an ablation: the tweets' text is "
        "'content'; the same posts and splits)",
    )
    parser.add_argument(
        "--clf-rows",
        type=_clf_rows,
        default=None,
        help="fine-tuning subsample per split (default 400; 'all': every training prompt)",
    )
    parser.add_argument(
        "--dev-clf-rows",
        type=int,
        default=None,
        help="fine-tuning subsample for the text-router candidates (the seed's, the hybrid: "
        "the default) in each dev fold (default 300; 0: leave them out of the dev exploration)",
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=80)
    parser.add_argument("--text-model", default=None, help="default: skbucket.demo's choice")
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=["posts"])
    parser.add_argument("--data-dir", default=str(DATA))
    parser.add_argument("--cache-dir", default="/tmp/skbucket-bench-accuracy-cache")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--splits", nargs="+", choices=["company", "time"], default=None)
    parser.add_argument(
        "--pick",
        choices=[name for name, _, _ in CANDIDATES],
        default=None,
        help="use this candidate as skbucket best without a dev exploration (e.g. to rerun "
        "--company-seeds for the configuration a full run picked)",
    )
    parser.add_argument(
        "--dev-folds",
        type=int,
        default=3,
        help="dev folds the candidates are scored on (mean RMSE(log1p) picks): company "
        "splits of the training companies, or rolling time windows",
    )
    parser.add_argument(
        "--company-seeds",
        type=int,
        default=0,
        help="also score the company split's picked and default configurations and the peers "
        "on the split and N more company splits (seeds seed+1...; no seed pipeline)",
    )
    parser.add_argument(
        "--time-windows",
        type=int,
        default=0,
        help="also score the time split's picked and default configurations and the peers on "
        "N earlier windows of 10%% of the posts (before the dev folds' posts; each trained on "
        "the posts before it; no seed pipeline)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = args.rows or 300
        args.clf_rows = 64 if args.clf_rows is None else args.clf_rows
        args.dev_clf_rows = 32 if args.dev_clf_rows is None else args.dev_clf_rows
    if args.clf_rows is None:
        args.clf_rows = 400
    args.clf_rows = args.clf_rows or None  # 0 ("all"): every training prompt
    args.dev_clf_rows = 300 if args.dev_clf_rows is None else args.dev_clf_rows
    if args.dev_clf_rows < 0:
        parser.error("--dev-clf-rows must be >= 0")
    args.splits = args.splits or ["company", "time"]
    if args.dev_folds < 1:
        parser.error("--dev-folds must be >= 1")
    return args


def prepare_run(args):
    """What a run over the real posts sets first: no hub downloads, torch's threads
    (``--torch-threads``), and the text model (``skbucket.demo``'s choice when not given)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.torch_threads)
    if args.text_model is None:
        from skbucket.demo import default_text_model

        args.text_model = default_text_model()


def main(argv=None):
    args = parse_args(argv)
    if not (Path(args.data_dir) / DATASETS["posts"]).is_file():
        print(f"bench_accuracy: real data not found in {args.data_dir}; skipped.")
        return 0
    if "time" in args.splits and args.pick is None:  # every dataset, before hours of work
        for name in args.datasets:
            X, _ = load(args.data_dir, name, args.rows, args.seed, args.drop_columns)
            check_time_folds(int((~time_split(X, test_fraction=0.10)).sum()), args.dev_folds)
    prepare_run(args)

    def say(message):
        print(f"[bench_accuracy] {message}", file=sys.stderr, flush=True)

    bench = Bench(args)
    print("# skbucket accuracy benchmark\n")
    if args.quick:
        print("- **--quick: a smoke test, not a benchmark** (few rows, every tree model 10 trees)")
    print(
        f"- machine: {platform.machine()}, {os.cpu_count()} CPU cores shared with other jobs, "
        f"no GPU; torch {args.torch_threads} threads, tree models 1 thread"
    )
    print(f"- models used: {models_used(bench.template)} (captions: the bundled BLIP captions)")
    if "minilm" in str(args.text_model).lower():
        print(
            "- text model: distilbert-base-uncased cannot be downloaded here, so the classifier "
            "and the embedder use the local MiniLM-L6 (all-MiniLM-L6-v2) instead"
        )
    else:
        print(f"- text model: {args.text_model}")
    print(
        f"- classifier fine-tuning: {args.epochs} epoch(s), max_length={args.max_length}, "
        f"batch {args.batch_size}, on "
        + (
            f"a stratified subsample of **{args.clf_rows}** training prompts per split (CPU budget)"
            if args.clf_rows
            else "**all** the training prompts of each split"
        )
        + "; the seed fine-tuned DistilBERT on all rows on a GPU and reported 0.60-0.62 "
        "7-bucket accuracy"
    )
    print(
        "- command: `.venv/bin/python benchmarks/bench_accuracy.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`"
    )
    total = time.perf_counter()
    with threadpool_limits(limits=1, user_api="openmp"):
        for name in args.datasets:
            X, y = load(args.data_dir, name, args.rows, args.seed, args.drop_columns)
            say(f"{name}: {len(X)} rows")
            print(f"\n## {DATASETS[name]}: {len(X):,} posts (columns: {', '.join(X.columns)})\n")
            rate = bench.embedding_rate(X, 16 if args.quick else 200)
            print(
                f"Embedding cost with a cold cache, measured in this run: {rate:.1f} prompts/s, "
                f"i.e. about {len(X) / rate:.0f} s for these {len(X):,} posts. The `fit s` below "
                "use the warm disk cache (the embeddings are put in it first, untimed)."
                "\n"
            )
            for kind, split, mask in (
                (
                    "company",
                    "company split: all posts of 15% of the companies held out",
                    company_split(X, 0.15, args.seed),
                ),
                (
                    "time",
                    "time split: latest 10% of posts held out",
                    time_split(X, test_fraction=0.10),
                ),
            ):
                if kind not in args.splits:
                    continue
                say(split)
                print(f"### {split}\n")
                if args.pick is not None:
                    best = candidate(args.pick)
                    print(f"Picked: **{best[0]}** (given with --pick: no dev exploration here)")
                else:
                    best, dev_table, sizes = explore(bench, X, y, mask, kind, say)
                    folds = "; ".join(f"{a:,} dev-train, {d:,} dev posts" for a, d in sizes)
                    print(
                        "Dev exploration on the training rows, held out the same way as the "
                        f"test rows ({len(sizes)} fold(s) of {DEV_FOLDS[kind]}: {folds}; "
                        "picked by the mean RMSE(log1p) over the folds; the per-bucket "
                        "regressors are the seed's XGBoost/CatBoost in every candidate; they and "
                        "the HGB router read every numeric column (embeddings + post features) "
                        "unless the name says *post features*):\n"
                    )
                    print(dev_markdown(dev_table))
                    if args.dev_clf_rows == 0:
                        print(
                            "\nNot scored (--dev-clf-rows 0): "
                            + ", ".join(f"*{n}*" for n, text, _ in CANDIDATES if text)
                        )
                    print(f"\nPicked: **{best[0]}**")
                default_scored = args.pick is not None or args.dev_clf_rows > 0
                print(
                    f"\n`make_seed_pipeline()`'s default configuration is the candidate "
                    f"*{DEFAULT_CANDIDATE}*"
                    + (
                        " (the pick)."
                        if best[0] == DEFAULT_CANDIDATE
                        else " (not the pick)."
                        if default_scored
                        else " (not scored in the dev folds)."
                    )
                )
                table, info = run_split(bench, X, y, mask, best, say)
                n_comp = X.loc[mask, "inferred_company"].nunique()
                print(
                    f"\nTest: n_train={info['n_train']:,}, n_test={info['n_test']:,} "
                    f"({n_comp} companies in test); classifier fine-tuned on "
                    f"{info['clf_rows']:,} prompts; {info['truncated']:.1%} of the training "
                    f"prompts are longer than max_length={args.max_length} tokens\n"
                )
                print(markdown(table))
                print(
                    "\nTest posts per bucket (0-10 ... >2500): true "
                    f"{info['true_buckets'].tolist()}, "
                    f"routed by the seed's fine-tuned classifier {info['routed'].tolist()}\n"
                )
                print(intervals_markdown(info))
                if kind == "company" and args.company_seeds:
                    print(company_seeds_table(bench, X, y, best, say))
                if kind == "time" and args.time_windows:
                    print(time_windows_table(bench, X, y, best, say))
    print(
        "\n`fit s` = wall seconds on the shared machine: the feature step (prompt embeddings "
        "from the warm disk cache, see the cold cost above, + PostFeatures) + the "
        "classifier's fine-tuning (rows that use it) + the model's own fit. Bucket acc of "
        "skbucket rows is the routing classifier's bucket; of the others, the bucket of the "
        "predicted likes (not the same quantity: the column does not rank the rows). "
        "Per-username median: username median in train, else company median, else global "
        "median (in the company split almost every test username is unseen: a few accounts "
        "post under two companies)."
    )
    print(f"\nTotal wall time: {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
