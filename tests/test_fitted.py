"""A refit that fails leaves the estimator unfitted, never the old fit under new settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier

from skbucket._fitted import fitted_attributes, forget_fit
from skbucket.baselines import GroupMedianRegressor
from skbucket.bucketed import BucketedRegressor
from skbucket.datasets import load_tweets
from skbucket.features import PostFeatures
from skbucket.prompts import PromptBuilder
from skbucket.routing import AccountRouter


@pytest.fixture(scope="module")
def posts():
    tweets = load_tweets()
    X = tweets.data.iloc[:60].reset_index(drop=True)
    return X, tweets.target.iloc[:60].to_numpy(dtype=float)


def _router_data(n=80):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "inferred_company_count": rng.integers(0, 9, n).astype(float)}
    )
    return X, (X["a"] > 0).astype(int).to_numpy()


def _cases(posts):
    X, y = posts
    captioned = X.rename(columns={"content": "caption"})
    rX, ry = _router_data()
    bad_y = y.copy()
    bad_y[3] = np.nan
    return {
        # y missing on a refit whose columns changed: the old encoders read the new columns
        "PostFeatures, y missing": (
            PostFeatures(cv=2, random_state=0),
            (X, y),
            (captioned, None),
            lambda est: est.transform(X),
        ),
        "PostFeatures, a column gone": (
            PostFeatures(cv=2, random_state=0),
            (X, y),
            (X.drop(columns="username"), y),
            lambda est: est.transform(X),
        ),
        "PostFeatures.fit_transform, y missing": (
            PostFeatures(cv=2, random_state=0),
            (X, y),
            (captioned, None),
            lambda est: est.transform(X),
            "fit_transform",
        ),
        "GroupMedianRegressor, a NaN target": (
            GroupMedianRegressor(),
            (X[["username", "inferred_company"]], y),
            (X[["username", "inferred_company"]].assign(id=1), bad_y),
            lambda est: est.predict(X[["username", "inferred_company"]]),
        ),
        "PromptBuilder, a bad parameter": (
            PromptBuilder(),
            (X, None),
            (X, None, {"template": 3}),
            lambda est: est.transform(X),
        ),
        "AccountRouter, no count column": (
            AccountRouter(DecisionTreeClassifier(random_state=0), LogisticRegression()),
            (rX, ry),
            (rX.drop(columns="inferred_company_count"), ry),
            lambda est: est.predict(rX),
        ),
        "BucketedRegressor, 7 regressors for 3 buckets": (
            BucketedRegressor(DecisionTreeClassifier(random_state=0), [Ridge()] * 7),
            (rX, np.round(np.expm1(3 + rX["a"].to_numpy()))),
            (rX, np.round(np.expm1(3 + rX["a"].to_numpy())), {"bins": (10, 100)}),
            lambda est: est.predict(rX),
        ),
    }


CASES = [
    "PostFeatures, y missing",
    "PostFeatures, a column gone",
    "PostFeatures.fit_transform, y missing",
    "GroupMedianRegressor, a NaN target",
    "PromptBuilder, a bad parameter",
    "AccountRouter, no count column",
    "BucketedRegressor, 7 regressors for 3 buckets",
]


@pytest.mark.parametrize("case", CASES)
def test_a_failed_refit_leaves_the_estimator_unfitted(posts, case):
    est, good, bad, use, *method = _cases(posts)[case]
    est.fit(*good)
    use(est)  # fitted, it answers
    X_bad, y_bad, *params = bad
    if params:
        est.set_params(**params[0])
    with pytest.raises((ValueError, TypeError)):
        getattr(est, method[0] if method else "fit")(X_bad, y_bad)
    assert fitted_attributes(est) == []
    with pytest.raises(NotFittedError):
        use(est)


def test_forget_fit_keeps_the_parameters_and_runtime_state():
    est = Ridge(alpha=3.0).fit([[0.0], [1.0]], [0.0, 1.0])
    est._rt_model = "loaded"  # runtime state of the model-backed estimators: not a fitted attribute
    forget_fit(est)
    assert est.alpha == 3.0 and est._rt_model == "loaded"
    assert not hasattr(est, "coef_") and not hasattr(est, "n_features_in_")


class _Recorded(Ridge):
    """A fitted attribute that became a property (as Blip2Captioner's errors_ did)."""

    @property
    def last_call_(self):
        return self.__dict__.get("_rt_last_call")


def test_forget_fit_leaves_an_entry_a_property_hides():
    # an older build's pickle holds last_call_ in the dict; the class's property hides it
    # (and has no deleter): forget_fit raised AttributeError, so every refit failed
    est = _Recorded().fit([[0.0], [1.0]], [0.0, 1.0])
    est.__dict__["last_call_"] = "stale"
    assert "last_call_" not in fitted_attributes(est)
    forget_fit(est)
    assert not hasattr(est, "coef_")
    est.fit([[0.0], [1.0]], [0.0, 1.0])
