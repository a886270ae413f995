"""
=====================================
Grid search over per-bucket settings
=====================================

:class:`~skbucket.BucketedRegressor` exposes the parameters of its classifier and of every
bucket's regressor to :meth:`~sklearn.base.BaseEstimator.set_params`, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` can tune them like any other nested parameter:

* ``classifier__<param>``: the routing classifier;
* ``regressors__<bucket>__<param>``: the regressor of one bucket (when ``regressors`` is a list
  or a dict), e.g. ``regressors__0__max_depth``;
* ``routing``, ``clip``, ``bins``, ...: the meta-estimator itself.

Inside a :class:`~sklearn.pipeline.Pipeline` they get the step's name in front
(``model__regressors__0__max_depth``). Here :class:`~skbucket.PostFeatures` turns the bundled
posts into numeric features (time, media, caption shape, cross-fitted account encodings) and a
three-bucket model is tuned with 3-fold cross-validation.
"""

# %%
# The model
# ---------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import make_scorer, mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from skbucket import BucketedRegressor, PostFeatures
from skbucket.datasets import load_captioned_posts

X, y = load_captioned_posts(return_X_y=True)
X_new, y_new = X.iloc[900:905], y.iloc[900:905]  # posts the search never sees
X, y = X.iloc[:900], y.iloc[:900]

pipe = Pipeline(
    [
        ("features", PostFeatures(random_state=0)),
        (
            "model",
            BucketedRegressor(
                classifier=HistGradientBoostingClassifier(max_iter=30, random_state=0),
                regressors=[DecisionTreeRegressor(random_state=0) for _ in range(3)],
                bins=(100, 1000),  # buckets 0-100, 101-1000, >1000 likes
                target_transform="log1p",
            ),
        ),
    ]
)
sorted(name for name in pipe.get_params() if name.startswith("model__regressors__0__"))[:6]

# %%
# The grid
# --------
# Tune the depth of the trees of the two lower buckets separately and compare both routings.
# The score is the RMSE on ``log1p(likes)`` (negated: higher is better for scikit-learn).
rmse_log1p = make_scorer(
    lambda y_true, y_pred: (
        mean_squared_error(np.log1p(y_true), np.log1p(np.clip(y_pred, 0, None))) ** 0.5
    ),
    greater_is_better=False,
)
param_grid = {
    "model__regressors__0__max_depth": [2, 6],
    "model__regressors__1__max_depth": [2, 6],
    "model__routing": ["hard", "soft"],
}
search = GridSearchCV(
    pipe, param_grid, scoring=rmse_log1p, cv=KFold(3, shuffle=True, random_state=0)
)
with threadpool_limits(1):
    search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best cross-validated RMSE on log1p(likes): {-search.best_score_:.3f}")

# %%
# All grid points
# ---------------
results = pd.DataFrame(search.cv_results_)
table = results[[*(f"param_{p}" for p in param_grid), "mean_test_score", "std_test_score"]]
table = table.assign(mean_test_score=-table["mean_test_score"]).sort_values("mean_test_score")
table.rename(columns=lambda c: c.removeprefix("param_model__"))

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
labels = [
    f"d0={r['param_model__regressors__0__max_depth']} "
    f"d1={r['param_model__regressors__1__max_depth']} {r['param_model__routing']}"
    for _, r in results.iterrows()
]
ax.barh(labels, -results["mean_test_score"], xerr=results["std_test_score"], color="#4477aa")
ax.set_xlabel("RMSE on log1p(likes), 3-fold CV (lower is better)")
ax.set_xlim(left=min(-results["mean_test_score"]) * 0.9)
fig.tight_layout()

# %%
# The refitted best model is an ordinary fitted pipeline; here it predicts five posts it has
# never seen:
best = search.best_estimator_
print(best.named_steps["model"].regressors_[0])
print("predicted:", best.predict(X_new).round(1))
print("actual:   ", y_new.to_numpy())
