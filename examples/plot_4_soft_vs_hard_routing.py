"""
==========================
Soft versus hard routing
==========================

:class:`~skbucket.BucketedRegressor` predicts in three ways:

* ``routing="hard"`` (the seed's choice): the regressor of the most probable bucket,
  :math:`\\hat y = f_b(x)` with :math:`b = \\arg\\max_k p_k(x)`;
* ``routing="soft"``: every bucket's regressor weighted by the classifier's probabilities,
  :math:`\\hat y = \\sum_k p_k(x) f_k(x)`;
* ``routing="soft", soft_average="transformed"``: the same weighting in the space of the
  ``target_transform`` (here ``log1p``), :math:`\\hat y = g^{-1}(\\sum_k p_k(x) g(f_k(x)))`.

Hard routing is only as good as the classifier's single guess: a post put in the wrong bucket
gets a prediction from a regressor that never saw posts like it. Soft routing hedges between
buckets. This example fits the three on the same features and the same (older) posts and
compares them on the newest posts.
"""

# %%
# Fit the three variants
# -----------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from skbucket import BucketedRegressor, PostFeatures
from skbucket.datasets import load_captioned_posts
from skbucket.metrics import bucket_labels, evaluate, paired_bootstrap
from skbucket.plotting import LikesPredictionDisplay

X, y = load_captioned_posts(return_X_y=True)
X, y = X.iloc[:1500], y.iloc[:1500]
order = X["date"].argsort(kind="stable").to_numpy()
train, test = order[:1000], order[1000:]
features = PostFeatures(random_state=0)
F_train = features.fit_transform(X.iloc[train], y.iloc[train])
F_test = features.transform(X.iloc[test])
y_train, y_test = y.iloc[train], y.iloc[test]

hard = BucketedRegressor(
    classifier=HistGradientBoostingClassifier(max_iter=40, random_state=0),
    regressors=HistGradientBoostingRegressor(max_iter=40, random_state=0),
    routing="hard",
    target_transform="log1p",
)
soft = clone(hard).set_params(routing="soft")
soft_log = clone(soft).set_params(soft_average="transformed")
with threadpool_limits(1):
    hard.fit(F_train, y_train)
    soft.fit(F_train, y_train)
    soft_log.fit(F_train, y_train)
pred = {
    "hard": hard.predict(F_test),
    "soft": soft.predict(F_test),
    "soft, log-space": soft_log.predict(F_test),
}

# %%
# Metrics
# -------
# ``bucket_pred`` scores the buckets the classifier chose (identical for all three: the routing
# only changes how the regressors are combined).
routed = hard.predict_bucket(F_test)
table = pd.DataFrame({name: evaluate(y_test, p, bucket_pred=routed) for name, p in pred.items()}).T
print(table.round(3).to_string())

# %%
# More than the luck of these posts?
# ----------------------------------
# The three are scored on the same test posts, so their errors rise and fall together with the
# hard and easy posts: two metrics close to each other say little, and neither do two
# intervals that overlap. :func:`~skbucket.metrics.paired_bootstrap` scores two models on the
# same resamples of the test posts, whole companies at a time (posts of one account are not
# independent), and gives the interval of the difference itself: one below 0 says the first
# model's error is lower on posts like these, one that holds 0 that these posts cannot tell
# the two apart (with this few companies, read it as narrower than 95%).
companies = X["inferred_company"].iloc[test]
rows = []
for name in ("soft", "soft, log-space"):
    for metric, d in paired_bootstrap(y_test, pred[name], pred["hard"], groups=companies).items():
        rows.append([f"{name} minus hard", metric, d.difference, d.low, d.high, d.share_better])
differences = pd.DataFrame(
    rows, columns=["model", "metric", "difference", "low", "high", "share better"]
)
print(f"{companies.nunique()} companies in the test posts")
print(differences.round(3).to_string(index=False))

# %%
# Predicted against actual likes
# ------------------------------
fig, axes = plt.subplots(1, 3, figsize=(14, 4.5), sharex=True, sharey=True)
for ax, (name, p) in zip(axes, pred.items()):
    LikesPredictionDisplay.from_predictions(y_test, p, ax=ax)
    ax.set_title(name)
fig.tight_layout()

# %%
# Soft routing mixes in raw likes. A bucket's regressor predicts on the scale of its bucket, so
# even a small probability of a high bucket moves the sum a lot: a post with 10% probability of
# ">2500" gets at least a tenth of that bucket's prediction added. That makes the soft prediction
# closer to the *mean* number of likes, which is what the squared error on raw likes (``rmse``,
# ``r2``) rewards, while hard routing stays closer to a typical value of the chosen bucket, which
# the absolute error on ``log1p(likes)`` (``mae_log1p``) rewards. Which is better depends on the metric you report.
# ``soft_average="transformed"`` keeps the hedging but averages in log space, where one
# unlikely high bucket adds little: its predictions never exceed the raw-space soft ones and it
# aims at the log1p errors.
#
# Grouped by how sure the classifier is (its top bucket probability):
proba = hard.predict_bucket_proba(F_test)
confidence = proba.max(axis=1)
log_true = np.log1p(y_test.to_numpy())
frame = pd.DataFrame(
    {
        "confidence": pd.cut(confidence, [0, 0.4, 0.6, 0.8, 1.0], include_lowest=True),
        "hard": np.abs(np.log1p(pred["hard"]) - log_true),
        "soft": np.abs(np.log1p(pred["soft"]) - log_true),
        "soft_log": np.abs(np.log1p(pred["soft, log-space"]) - log_true),
        "soft / hard": pred["soft"] / np.maximum(pred["hard"], 1),
    }
)
by_confidence = frame.groupby("confidence", observed=True).agg(
    posts=("hard", "size"),
    mae_log1p_hard=("hard", "mean"),
    mae_log1p_soft=("soft", "mean"),
    mae_log1p_soft_log=("soft_log", "mean"),
    median_soft_over_hard=("soft / hard", "median"),
)
print(by_confidence.round(3).to_string())

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
i = int(np.argmin(confidence))
ax.bar(bucket_labels(hard.bins_), proba[i], color="#4477aa")
ax.set_ylabel("probability")
ax.set_title(
    f"least certain test post: {y_test.iloc[i]} likes\n"
    f"hard {pred['hard'][i]:.0f}, soft {pred['soft'][i]:.0f}, "
    f"soft log-space {pred['soft, log-space'][i]:.0f}"
)
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()

# %%
# What each bucket says
# ---------------------
# :meth:`~skbucket.bucketed.BucketedRegressor.predict_per_bucket` asks every bucket's regressor
# for every row, in likes: the predictions the three routings combine (the three models were
# fitted alike and differ only in routing). For that least certain post, hard routing takes one
# of them, soft routing their mean weighted by the probabilities above (the raw-space mean, or
# the mean of their log1p in log space), which is what the soft models predicted for it.
per_bucket = hard.predict_per_bucket(F_test[[i]])[0]
weighted = pd.DataFrame(
    {"probability": proba[i], "bucket's prediction": per_bucket}, index=bucket_labels(hard.bins_)
)
print(weighted.round(3).to_string())
print(
    f"raw-space mean {proba[i] @ per_bucket:.1f} (soft: {pred['soft'][i]:.1f}), "
    f"log-space mean {np.expm1(proba[i] @ np.log1p(per_bucket)):.1f} "
    f"(soft, log-space: {pred['soft, log-space'][i]:.1f})"
)
