"""
=========================
Plots and an HTML report
=========================

:mod:`skbucket.plotting` has Display objects in scikit-learn's style
(``from_estimator``/``from_predictions``, then ``plot``) for a fitted
:class:`~skbucket.BucketedRegressor` or a :class:`~sklearn.pipeline.Pipeline` ending in one.
:func:`~skbucket.report.write_report` puts the metrics table, the same plots and the model's
configuration into one self-contained HTML file (no scripts, no external files).
"""

# %%
# A fitted pipeline
# -----------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skbucket import BucketedRegressor, GroupMedianRegressor, PostFeatures
from skbucket.datasets import load_captioned_posts
from skbucket.metrics import evaluate_estimator
from skbucket.plotting import (
    BucketCalibrationDisplay,
    BucketConfusionMatrixDisplay,
    BucketErrorDisplay,
    ErrorOverTimeDisplay,
    LikesPredictionDisplay,
)
from skbucket.report import write_report

X, y = load_captioned_posts(return_X_y=True)
order = X["date"].argsort(kind="stable").to_numpy()
train, test = order[:1200], order[1200:1600]
X_train, X_test = X.iloc[train], X.iloc[test]
y_train, y_test = y.iloc[train], y.iloc[test]

pipe = make_pipeline(
    PostFeatures(random_state=0),
    BucketedRegressor(
        classifier=HistGradientBoostingClassifier(max_iter=40, random_state=0),
        regressors=HistGradientBoostingRegressor(max_iter=40, random_state=0),
        target_transform="log1p",
        routing="soft",
    ),
)
with threadpool_limits(1):
    pipe.fit(X_train, y_train)
    metrics = evaluate_estimator(pipe, X_test, y_test)
{name: round(value, 3) for name, value in metrics.items()}

# %%
# Predicted against actual likes
# ------------------------------
# Symlog axes keep posts with 0 likes visible; dotted lines are the bucket edges.
disp = LikesPredictionDisplay.from_estimator(pipe, X_test, y_test)

# %%
# Which bucket the classifier chose
# ---------------------------------
disp = BucketConfusionMatrixDisplay.from_estimator(pipe, X_test, y_test, normalize="true")
disp.figure_.set_size_inches(6.5, 5.5)

# %%
# Error per bucket and over time
# ------------------------------
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
BucketErrorDisplay.from_estimator(pipe, X_test, y_test, ax=ax0)
ErrorOverTimeDisplay.from_estimator(pipe, X_test, y_test, ax=ax1)
fig.tight_layout()

# %%
# Are the bucket probabilities calibrated?
# ----------------------------------------
disp = BucketCalibrationDisplay.from_estimator(pipe, X_test, y_test)

# %%
# The report
# ----------
# ``dates`` default to the ``date`` column of ``X``; ``config`` adds free-form lines;
# ``baselines`` scores other fitted models on the same posts, each in a column of the metrics
# table (here the account's own median, which on later posts of known accounts is hard to
# beat). The file is written atomically (temporary name, then rename).
with tempfile.TemporaryDirectory() as tmp:
    path = write_report(
        pipe,
        X_test,
        y_test,
        Path(tmp) / "report.html",
        title="PostFeatures + BucketedRegressor on the newest posts",
        config={"training rows": len(X_train)},
        baselines={"median": GroupMedianRegressor().fit(X_train, y_train)},
    )
    html = path.read_text(encoding="utf-8")
print(f"{path.name}: {len(html) / 1024:.0f} KiB, {html.count('<img')} embedded figures")
print("scripts in the page:", html.count("<script"))
