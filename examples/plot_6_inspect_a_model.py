"""
==========================
Looking inside a model
==========================

Why does a fitted model predict what it does? Three questions, each answered with the public
API and scikit-learn's inspection tools:

* which raw columns matter (permutation importance on the whole pipeline, one raw column of the
  posts shuffled at a time);
* how one post's prediction is made: the router's probability of every bucket and what each
  bucket's regressor predicts for it (:func:`skbucket.metrics.predict_bucket_proba`,
  :func:`skbucket.metrics.predict_per_bucket`), mixed into the prediction;
* how a feature moves the predictions on average (partial dependence on the post features).
"""

# %%
# A model on the bundled posts
# ----------------------------
# Post features (time, media, text counts, cross-fitted account encodings) into a
# :class:`~skbucket.BucketedRegressor` with soft routing averaged in log space, fitted on the
# older two thirds of 1,500 posts.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.inspection import PartialDependenceDisplay, permutation_importance
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skbucket import BucketedRegressor, PostFeatures
from skbucket.datasets import load_captioned_posts
from skbucket.metrics import bucket_labels, predict_bucket_proba, predict_per_bucket

X, y = load_captioned_posts(return_X_y=True)
X, y = X.iloc[:1500], y.iloc[:1500]
order = X["date"].argsort(kind="stable").to_numpy()
train, test = order[:1000], order[1000:]
X_train, X_test, y_train, y_test = X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test]

model = make_pipeline(
    PostFeatures(random_state=0).set_output(transform="pandas"),
    BucketedRegressor(
        classifier=HistGradientBoostingClassifier(max_iter=40, random_state=0),
        regressors=HistGradientBoostingRegressor(max_iter=40, random_state=0),
        routing="soft",
        soft_average="transformed",
        target_transform="log1p",
    ),
)
with threadpool_limits(1):
    model.fit(X_train, y_train)

# %%
# Which raw columns matter
# ------------------------
# Each raw column of the test posts is shuffled five times; the importance is how much the
# RMSE of ``log1p(likes)`` grows. A raw column counts every feature made from it (an account's
# encodings and count). Two columns that carry much the same information (an account and its
# company) can each score less than it would alone, as the other stands in for it while it is
# shuffled.
with threadpool_limits(1):
    result = permutation_importance(
        model,
        X_test,
        y_test,
        scoring="neg_root_mean_squared_log_error",
        n_repeats=5,
        random_state=0,
    )
importance = pd.DataFrame(
    {"mean": result.importances_mean, "std": result.importances_std}, index=X_test.columns
).sort_values("mean", ascending=False)
print(importance.round(3).to_string())

# %%
# How one post's prediction is made
# ---------------------------------
# The router gives each bucket a probability; each bucket's regressor predicts the likes as if
# the post were in its bucket. With soft routing in log space the prediction is
# :math:`\exp(\sum_k p_k \log(1 + f_k)) - 1`. Both functions take the pipeline and the raw
# posts, as ``predict`` does.
post = X_test.iloc[[0]]
proba = predict_bucket_proba(model, post)[0]
per_bucket = predict_per_bucket(model, post)[0]
labels = bucket_labels(model[-1].bins_)
print(
    pd.DataFrame({"probability": proba, "bucket's prediction": per_bucket}, index=labels).round(3)
)
mixed = np.expm1(proba @ np.log1p(per_bucket))
print(f"mixed: {mixed:.1f}  predict: {model.predict(post)[0]:.1f}  true: {y_test.iloc[0]}")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
bars = ax.bar(labels, proba, color="#4477aa")
for bar, value in zip(bars, per_bucket, strict=True):
    ax.annotate(
        f"{value:,.0f}",
        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
        ha="center",
        va="bottom",
        fontsize=8,
    )
ax.set_ylim(0, 1.1)
ax.set_xlabel("bucket (likes); above each bar: that bucket's regressor's prediction")
ax.set_ylabel("router's probability")
ax.set_title(f"one test post: predicted {mixed:,.0f} likes, true {y_test.iloc[0]:,}")
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()

# %%
# How a feature moves the predictions
# -----------------------------------
# Partial dependence on the post features (the model's last step, on the features the first
# step makes): the average prediction, in likes, as one feature is set to each value in turn
# for every test post, with the range it spans printed below the plot's code.
# ``username_target`` is the account's typical ``log1p(likes)`` in the training posts (shrunk
# towards everyone's, and cross-fitted: see :class:`~skbucket.PostFeatures`); ``hour`` is the
# hour of posting.
features = model[0].transform(X_test)
with threadpool_limits(1):
    display = PartialDependenceDisplay.from_estimator(
        model[-1], features, ["username_target", "hour"], grid_resolution=20
    )
for name, curve in zip(["username_target", "hour"], display.pd_results, strict=True):
    average = curve["average"][0]
    print(f"{name:>16}: average prediction from {average.min():,.0f} to {average.max():,.0f} likes")
display.axes_[0, 0].set_ylabel("average predicted likes")
display.figure_.set_size_inches(7, 3.2)
display.figure_.tight_layout()
plt.show()
