"""
==========================
Soft versus hard routing
==========================

:class:`~skbucket.BucketedRegressor` predicts in two ways:

* ``routing="hard"`` (the seed's choice): the regressor of the most probable bucket,
  :math:`\\hat y = f_b(x)` with :math:`b = \\arg\\max_k p_k(x)`;
* ``routing="soft"``: every bucket's regressor weighted by the classifier's probabilities,
  :math:`\\hat y = \\sum_k p_k(x) f_k(x)`.

Hard routing is only as good as the classifier's single guess: a post put in the wrong bucket
gets a prediction from a regressor that never saw posts like it. Soft routing hedges between
neighbouring buckets. This example fits both on the same features and compares them.
"""

# %%
# Fit both routings
# -----------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from skbucket import BucketedRegressor, PostFeatures
from skbucket.datasets import load_captioned_posts
from skbucket.metrics import bucket_labels, evaluate
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
with threadpool_limits(1):
    hard.fit(F_train, y_train)
    soft.fit(F_train, y_train)
pred = {"hard": hard.predict(F_test), "soft": soft.predict(F_test)}

# %%
# Metrics
# -------
# ``bucket_pred`` scores the buckets the classifier chose (identical for both: the routing only
# changes how the regressors are combined).
routed = hard.predict_bucket(F_test)
table = pd.DataFrame({name: evaluate(y_test, p, bucket_pred=routed) for name, p in pred.items()}).T
table.round(3)

# %%
# Predicted against actual likes
# ------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
for ax, (name, p) in zip(axes, pred.items()):
    LikesPredictionDisplay.from_predictions(y_test, p, ax=ax)
    ax.set_title(f"routing={name!r}")
fig.tight_layout()

# %%
# Where do they differ?
# ---------------------
# The classifier is least sure about posts whose top bucket probability is low. For those, the
# soft prediction moves towards the neighbouring buckets' regressors; for confident posts both
# routings agree.
proba = hard.predict_bucket_proba(F_test)
confidence = proba.max(axis=1)
err = {name: np.abs(np.log1p(p) - np.log1p(y_test.to_numpy())) for name, p in pred.items()}
edges = [0, 0.4, 0.6, 0.8, 1.0]
groups = pd.cut(confidence, edges, include_lowest=True)
by_confidence = (
    pd.DataFrame({"confidence": groups, **{f"MAE log1p, {n}": e for n, e in err.items()}})
    .groupby("confidence", observed=True)
    .agg(["mean", "size"])
)
by_confidence.round(3)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
i = int(np.argmin(confidence))
ax.bar(bucket_labels(hard.bins_), proba[i], color="#4477aa")
ax.set_ylabel("probability")
ax.set_title(
    f"least certain test post: {y_test.iloc[i]} likes; "
    f"hard {pred['hard'][i]:.0f}, soft {pred['soft'][i]:.0f}"
)
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()
