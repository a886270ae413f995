"""
==============
Custom buckets
==============

The seed cuts likes into seven buckets with the edges ``(10, 100, 300, 500, 1000, 2500)``.
:func:`~skbucket.assign_buckets` shows where each target falls, and ``bins=`` of
:class:`~skbucket.BucketedRegressor` takes any strictly increasing, non-negative edges. Each
edge belongs to the bucket on its left: bucket ``k`` holds the targets in
``(bins[k-1], bins[k]]``.

This example compares the seed's edges with three coarser buckets and with quantile edges, and
shows what happens to a bucket that is (nearly) empty in the training data.
"""

# %%
# Where the targets fall
# ----------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from skbucket import BucketedRegressor, PostFeatures, assign_buckets
from skbucket.bucketed import DEFAULT_BINS
from skbucket.datasets import load_captioned_posts
from skbucket.metrics import bucket_labels, evaluate

print(assign_buckets([0, 10, 11, 100, 101, 2500, 2501]))  # edges belong to the left bucket

X, y = load_captioned_posts(return_X_y=True)
X, y = X.iloc[:1500], y.iloc[:1500]
quantile_bins = tuple(np.unique(np.quantile(y, [0.25, 0.5, 0.75]).round()))
candidates = {
    "seed (7 buckets)": DEFAULT_BINS,
    "coarse (3 buckets)": (100, 1000),
    "quartiles (4 buckets)": quantile_bins,
}
fig, axes = plt.subplots(1, 3, figsize=(10, 3), sharey=True)
for ax, (name, bins) in zip(axes, candidates.items()):
    counts = np.bincount(assign_buckets(y, bins=bins), minlength=len(bins) + 1)
    ax.bar(bucket_labels(bins), counts, color="#4477aa")
    ax.set_title(name)
    ax.tick_params(axis="x", rotation=60)
axes[0].set_ylabel("posts")
fig.tight_layout()

# %%
# Fit one model per choice of edges
# ---------------------------------
# Train on the older two thirds of the posts, test on the newest third. The metrics of
# :func:`~skbucket.metrics.evaluate` are computed on the raw likes (``rmse``, ``r2``), on
# ``log1p(likes)``, and on the seed's buckets (so the bucket accuracy is comparable across
# models).
order = X["date"].argsort(kind="stable").to_numpy()
train, test = order[:1000], order[1000:]
features = PostFeatures(random_state=0)
F_train = features.fit_transform(X.iloc[train], y.iloc[train])
F_test = features.transform(X.iloc[test])


def make_model(bins):
    return BucketedRegressor(
        classifier=HistGradientBoostingClassifier(max_iter=40, random_state=0),
        regressors=HistGradientBoostingRegressor(max_iter=40, random_state=0),
        bins=bins,
        target_transform="log1p",
    )


rows = {}
with threadpool_limits(1):
    for name, bins in candidates.items():
        model = make_model(bins).fit(F_train, y.iloc[train])
        rows[name] = evaluate(y.iloc[test], model.predict(F_test))
for name, m in rows.items():
    print(
        f"{name:<22} rmse_log1p={m['rmse_log1p']:.3f}  r2_log1p={m['r2_log1p']:.3f}  "
        f"bucket_accuracy={m['bucket_accuracy']:.3f}"
    )

# %%
# Near-empty buckets borrow a neighbour's regressor
# -------------------------------------------------
# A bucket whose training rows are fewer than ``min_bucket_size`` gets no regressor of its own:
# it uses the nearest bucket's. ``bucket_counts_`` and ``bucket_fallback_`` say what happened.
fine_bins = (10, 100, 300, 500, 1000, 2500, 50_000, 200_000)
with threadpool_limits(1):
    fine = make_model(fine_bins).set_params(min_bucket_size=20).fit(F_train, y.iloc[train])
print("rows per bucket:", dict(zip(bucket_labels(fine_bins), fine.bucket_counts_.tolist())))
for why in fine.bucket_fallback_.values():
    print(f"  {why}")

# %%
# Clipping to the bucket's range
# ------------------------------
# With ``clip=True`` a bucket's regressor can never leave its bucket: a post routed to
# "101-300" is predicted between 100 and 300 likes.
with threadpool_limits(1):
    clipped = make_model(DEFAULT_BINS).set_params(clip=True).fit(F_train, y.iloc[train])
pred = clipped.predict(F_test)
routed = clipped.predict_bucket(F_test)
for k, label in enumerate(bucket_labels(DEFAULT_BINS)):
    in_k = pred[routed == k]
    if in_k.size:
        print(
            f"routed to {label:>9}: {in_k.size:3d} posts, "
            f"predictions {in_k.min():8.1f} .. {in_k.max():8.1f}"
        )
