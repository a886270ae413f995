"""How often do skbucket's bootstrap intervals hold the value they estimate? A coverage simulation.

:func:`skbucket.metrics.bootstrap_intervals` (the report's and ``skbucket evaluate``'s 95%
intervals of RMSE and MAE on log1p(likes)) and :func:`skbucket.metrics.paired_bootstrap` (the
interval of one model's RMSE(log1p) minus another's, which ``bench_accuracy.py`` and the
report beside a baseline give) resample a
test set to say how far its metric could move on another test set. This script measures how
often such a 95% interval holds the value it estimates: it draws many test sets from a known
population, computes the interval on each, and counts how often the population's value lies
inside. The peer is the nominal 95%: the printed ratio is the coverage measured over the
coverage promised.

The population is every post of ``../shared/data/posts_captioned.csv.gz`` (the bundled
3,000-post sample when the shared data are absent) with two fixed predictions each, both
cross-fitted over five folds of whole companies (so each company is predicted by models that
never saw it, as in a company split):

* model ``a``: ``TransformedTargetRegressor(HistGradientBoostingRegressor, log1p)`` on
  :class:`skbucket.features.PostFeatures` (``bench_accuracy.py``'s TTR(HGB) peer);
* model ``b``: :class:`skbucket.baselines.GroupMedianRegressor` (the per-username median).

The value an interval should hold is the metric of model ``a`` (or ``a`` minus ``b``) over the
whole population. Test sets are drawn from it with replacement, posts or whole companies, as
from an unlimited supply of posts and companies like these (a company drawn twice counts as two
companies): drawn without replacement, a test set of 118 of the 227 companies would hold half of
them and vary less from draw to draw than a test set of new companies does, which would make
the intervals look better than they are. The test sets:

* ``rows``: posts one by one, resampled one by one;
* ``companies, posts resampled``: every post of randomly drawn companies (as a company split),
  but resampled one by one (``groups=None``): posts of one company are not independent;
* ``companies``: drawn and resampled whole (``groups=`` the company): the cluster bootstrap
  the report uses; ``paired`` is the same for ``paired_bootstrap``'s difference, and
  ``raw RMSE`` a percentile interval of RMSE on raw likes (which skbucket does not give:
  this row says why);
* ``companies, cluster-robust t`` and ``companies, BCa``: two other intervals on the same test
  sets, to compare with the percentile one skbucket gives: a t interval (``n - 1`` degrees of
  freedom, ``n`` the companies) from the linearised variance of the ratio of per-company sums,
  and the bias-corrected and accelerated percentile interval (acceleration from the
  leave-one-company-out jackknife). Their draws come from a generator of their own, so the other
  rows do not depend on whether they are computed;
* ``synthetic rows`` and ``synthetic groups``: a population known exactly (log1p errors
  normal, sd 1; groups: 20 rows each sharing a normal effect of sd 1, so each error has sd
  sqrt(2)), to show the method with independent rows or evenly sized groups.

Each coverage is over ``--sets`` test sets (its Monte-Carlo standard error is printed), each
interval from ``--resamples`` bootstrap resamples.

Run: ``.venv/bin/python benchmarks/bench_intervals.py [--sets 400] [--resamples 1000]``
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from skbucket.baselines import GroupMedianRegressor
from skbucket.features import PostFeatures
from skbucket.metrics import _resampled_group_sums, bootstrap_intervals, paired_bootstrap

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "posts_captioned.csv.gz"
CONFIDENCE = 0.95


def population() -> tuple[pd.DataFrame, str]:
    """The posts with their likes, company and the two cross-fitted predictions."""
    if DATA.is_file():
        frame = pd.read_csv(DATA)
        source = f"{len(frame):,} real posts of {DATA.name}"
    else:
        from skbucket.datasets import load_captioned_posts

        frame = load_captioned_posts().frame
        source = f"{len(frame):,} posts of the bundled sample ({DATA} not found)"
    frame = frame.rename(columns={"caption": "content"}).reset_index(drop=True)
    X = frame.drop(columns="likes")
    y = frame["likes"].to_numpy(dtype=float)
    companies = frame["inferred_company"].astype(str).to_numpy()
    folds = list(GroupKFold(n_splits=5).split(X, y, companies))
    hgb = make_pipeline(
        PostFeatures(random_state=0),
        TransformedTargetRegressor(
            HistGradientBoostingRegressor(random_state=0), func=np.log1p, inverse_func=np.expm1
        ),
    )
    pred_a = np.clip(cross_val_predict(hgb, X, y, cv=folds), 0, None)
    pred_b = cross_val_predict(GroupMedianRegressor(), X, y, cv=folds)
    out = pd.DataFrame({"likes": y, "company": companies, "a": pred_a, "b": pred_b})
    return out, source


def _log_rmse(y, pred):
    return math.sqrt(np.mean((np.log1p(pred) - np.log1p(y)) ** 2))


def _log_mae(y, pred):
    return float(np.mean(np.abs(np.log1p(pred) - np.log1p(y))))


def _alternative_intervals(y, pred, groups, n_resamples, rng):
    """``{method: {metric: (low, high)}}``: the cluster-robust t and the BCa intervals of
    RMSE and MAE on log1p(likes), companies resampled whole (``groups``: 0 .. n - 1)."""
    from scipy import stats

    err = np.log1p(pred) - np.log1p(y)
    values = np.column_stack([err**2, np.abs(err)])
    n = int(groups.max()) + 1
    sums = np.column_stack(
        [np.bincount(groups, weights=values[:, j], minlength=n) for j in range(2)]
        + [np.bincount(groups, minlength=n).astype(float)]
    )

    def metrics(s):  # (..., 3) sums -> (..., 2): RMSE and MAE
        return np.stack([np.sqrt(s[..., 0] / s[..., 2]), s[..., 1] / s[..., 2]], axis=-1)

    names = ("rmse_log1p", "mae_log1p")
    tail = (1 - CONFIDENCE) / 2
    # t: the ratio of sums R (the mean squared or absolute error), its linearised variance
    t = stats.t.ppf(1 - tail, n - 1)
    out = {"cluster-robust t": {}, "BCa": {}}
    for j, name in enumerate(names):
        ratio = sums[:, j].sum() / sums[:, 2].sum()
        var = n / (n - 1) * ((sums[:, j] - ratio * sums[:, 2]) ** 2).sum() / sums[:, 2].sum() ** 2
        low, high = ratio - t * math.sqrt(var), ratio + t * math.sqrt(var)
        if j == 0:  # RMSE is the root of the mean squared error
            low, high = math.sqrt(max(low, 0.0)), math.sqrt(high)
        out["cluster-robust t"][name] = (low, high)
    observed = metrics(sums.sum(axis=0))
    boot = metrics(_resampled_group_sums(values, groups, n_resamples, rng))
    jack = metrics(sums.sum(axis=0) - sums)  # each company left out in turn
    for j, name in enumerate(names):
        share = np.clip(np.mean(boot[:, j] < observed[j]), 1 / n_resamples, 1 - 1 / n_resamples)
        z0 = stats.norm.ppf(share)
        d = jack[:, j].mean() - jack[:, j]
        accel = (d**3).sum() / (6 * (d**2).sum() ** 1.5) if (d**2).sum() > 0 else 0.0
        z = stats.norm.ppf([tail, 1 - tail])
        levels = stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
        out["BCa"][name] = tuple(np.quantile(boot[:, j], levels))
    return out


def _raw_rmse_interval(y, pred, groups, n_resamples, rng):
    totals = _resampled_group_sums(((pred - y) ** 2)[:, None], groups, n_resamples, rng)
    tail = 100 * (1 - CONFIDENCE) / 2
    return np.percentile(np.sqrt(totals[:, 0] / totals[:, 1]), [tail, 100 - tail])


class Coverage:
    """Counts, per (scenario, size, metric), the test sets whose interval held the value."""

    def __init__(self):
        self.rows = {}

    def add(self, scenario, size, metric, low, high, value):
        held = self.rows.setdefault((scenario, size, metric), [])
        held.append(bool(low <= value <= high))

    def table(self) -> str:
        lines = [
            "| test sets | size | metric | coverage | MC s.e. | coverage / 95% |",
            "|---|---|---|---|---|---|",
        ]
        for (scenario, size, metric), held in self.rows.items():
            share = float(np.mean(held))
            se = math.sqrt(share * (1 - share) / len(held))
            lines.append(
                f"| {scenario} | {size} | {metric} | {share:.1%} | {se:.1%} | "
                f"{share / CONFIDENCE:.2f}x |"
            )
        return "\n".join(lines)


def _draw_companies(pop, rows_of, k, rng):
    """``(posts, groups)``: every post of ``k`` companies drawn with replacement, and the draw
    each post came with (a company drawn twice is two groups)."""
    drawn = rng.choice(len(rows_of), size=k, replace=True)
    rows = [rows_of[i] for i in drawn]
    groups = np.repeat(np.arange(k), [r.size for r in rows])
    return pop.iloc[np.concatenate(rows)], groups


def run(pop, args, cover: Coverage, log=print) -> None:
    rng = np.random.default_rng(args.seed)
    other_rng = np.random.default_rng([args.seed, 1])  # the other intervals' draws
    resamples = args.resamples
    y, a, b = (pop[c].to_numpy() for c in ("likes", "a", "b"))
    truth = {"rmse_log1p": _log_rmse(y, a), "mae_log1p": _log_mae(y, a)}
    true_raw = math.sqrt(np.mean((a - y) ** 2))
    true_diff = _log_rmse(y, a) - _log_rmse(y, b)
    rows_of = list(pop.groupby("company", sort=True).indices.values())

    def intervals(scenario, size, sample, groups, values=truth):
        got = bootstrap_intervals(
            sample["likes"], sample["a"], groups=groups, n_resamples=resamples, random_state=rng
        )
        for metric, (low, high) in got.items():
            cover.add(scenario, size, metric, low, high, values[metric])

    for n in args.row_sizes:
        for _ in range(args.sets):
            sample = pop.iloc[rng.choice(len(pop), size=n, replace=True)]
            intervals("rows", f"{n} posts", sample, None)
    log("rows done")
    for k in args.company_sizes:
        for _ in range(args.sets):
            sample, groups = _draw_companies(pop, rows_of, k, rng)
            size = f"{k} companies"
            intervals("companies, posts resampled", size, sample, None)
            intervals("companies", size, sample, groups)
            ys, as_, bs = (sample[c].to_numpy() for c in ("likes", "a", "b"))
            low, high = _raw_rmse_interval(ys, as_, groups, resamples, rng)
            cover.add("companies: raw RMSE", size, "rmse", low, high, true_raw)
            # drawn as bench_accuracy.py's paired_bootstrap drew before it moved into skbucket
            seed = np.random.default_rng(int(rng.integers(2**31)))
            _, low, high, _ = paired_bootstrap(
                ys, as_, bs, groups=groups, n_resamples=resamples, random_state=seed
            )["rmse_log1p"]
            cover.add("companies: paired", size, "rmse_log1p a - b", low, high, true_diff)
            for method, got in _alternative_intervals(
                ys, as_, groups, resamples, other_rng
            ).items():
                for metric, (low, high) in got.items():
                    cover.add(f"companies, {method}", size, metric, low, high, truth[metric])
    log("companies done")
    # synthetic: log1p(likes) uniform (on [4, 10] for rows, [6, 12] for groups: a prediction
    # below 0 likes, clipped to 0, is then as good as impossible), log1p(prediction) = that +
    # an error
    known = {"rmse_log1p": 1.0, "mae_log1p": math.sqrt(2 / math.pi)}
    for n in args.row_sizes:
        for _ in range(args.sets):
            truth_log = rng.uniform(4, 10, n)
            sample = pd.DataFrame(
                {"likes": np.expm1(truth_log), "a": np.expm1(truth_log + rng.normal(0, 1, n))}
            )
            intervals("synthetic rows", f"{n} rows", sample, None, known)
    grouped = {"rmse_log1p": math.sqrt(2), "mae_log1p": math.sqrt(2) * math.sqrt(2 / math.pi)}
    for k in args.group_sizes:
        for _ in range(args.sets):
            groups = np.repeat(np.arange(k), 20)
            errors = rng.normal(0, 1, k)[groups] + rng.normal(0, 1, groups.size)
            truth_log = rng.uniform(6, 12, groups.size)
            sample = pd.DataFrame({"likes": np.expm1(truth_log), "a": np.expm1(truth_log + errors)})
            intervals("synthetic groups", f"{k} groups of 20", sample, groups, grouped)
    log("synthetic done")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=400, help="test sets per row of the table")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--row-sizes", type=int, nargs="+", default=[30, 100, 1000])
    parser.add_argument("--company-sizes", type=int, nargs="+", default=[10, 19, 35, 118])
    parser.add_argument("--group-sizes", type=int, nargs="+", default=[2, 5, 10, 100, 500])
    args = parser.parse_args(argv)

    start = time.perf_counter()
    pop, source = population()
    y, a, b = (pop[c].to_numpy() for c in ("likes", "a", "b"))
    sizes = pop["company"].value_counts(normalize=True)
    print(f"population: {source}, {sizes.size} companies (the largest holds {sizes.iloc[0]:.0%})")
    print(
        f"population values: model a RMSE(log1p) {_log_rmse(y, a):.3f}, MAE(log1p) "
        f"{_log_mae(y, a):.3f}, RMSE(raw) {math.sqrt(np.mean((a - y) ** 2)):,.1f}; "
        f"a - b RMSE(log1p) {_log_rmse(y, a) - _log_rmse(y, b):+.3f}"
    )
    print(
        f"{args.sets} test sets per row, {args.resamples} resamples each, nominal "
        f"{CONFIDENCE:.0%}, seed {args.seed}\n"
    )
    cover = Coverage()
    run(pop, args, cover, log=lambda _: None)
    print(cover.table())
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
