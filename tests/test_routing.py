"""AccountRouter: one classifier for rows of known accounts, another for new ones."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbucket.bucketed import BucketedRegressor, assign_buckets
from skbucket.routing import AccountRouter


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "inferred_company_count": rng.integers(1, 20, size=n).astype(float),
        }
    )
    y = (X["a"] + 0.3 * rng.normal(size=n) > 0).astype(int) + (X["b"] > 1).astype(int)
    return X, y.to_numpy()


def _expected_failures(estimator):
    if estimator.count_column != 0:
        return {}
    return {
        "check_estimators_nan_inf": (
            "the check's NaN lands in X[0, 0], here the count column, where a missing count is "
            "documented as a new account (routed to `unseen`), not an error; NaN in any other "
            "column is refused (see the second instance and test_nan_counts_in_an_array...)"
        )
    }


@parametrize_with_checks(
    [
        AccountRouter(LogisticRegression(), DecisionTreeClassifier(random_state=0), count_column=0),
        AccountRouter(
            DecisionTreeClassifier(random_state=0),
            LogisticRegression(),
            known_columns=[0],
            unseen_columns=slice(None),
            count_column=-1,
        ),
    ],
    expected_failed_checks=_expected_failures,
)
# the checks' random normal data puts negative values in the count column (column 0 or -1)
@pytest.mark.filterwarnings("ignore::skbucket.exceptions.NegativeCountWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("dtype", [object, "string"])
def test_pd_na_counts_in_an_object_or_string_column_are_new_accounts(dtype):
    # documented: a missing count is a new account; pd.NA (an Int64 column made object, a
    # string column) was "must be numeric ... holds <NA>"
    X = pd.DataFrame({"n": [3.0, 0.0, 5.0, 0.0], "t": [1.0, 2.0, 3.0, 4.0]})
    router = AccountRouter(
        known=DecisionTreeClassifier(random_state=0),
        unseen=LogisticRegression(),
        count_column="n",
        known_columns=["t"],
        unseen_columns=["t"],
    ).fit(X, [0, 0, 1, 1])
    odd = pd.DataFrame({"n": pd.Series([4, pd.NA, 0], dtype=dtype), "t": [2.0, 2.0, 2.0]})
    plain = pd.DataFrame({"n": [4.0, np.nan, 0.0], "t": [2.0, 2.0, 2.0]})
    assert_array_equal(router.predict_proba(odd), router.predict_proba(plain))


def test_a_column_selector_is_asked_once_at_fit_as_in_column_transformer():
    # asked again at predict, a batch whose numeric column is all missing (object dtype) lost
    # that column: "feature names should match those that were passed during fit"
    from sklearn.compose import make_column_selector

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"n": rng.integers(0, 3, 40).astype(float), "a": rng.normal(size=40)})
    X["b"], X["t"] = rng.normal(size=40), "text"
    y = (X["a"] > 0).astype(int)
    numbers = make_column_selector(dtype_include="number")
    router = AccountRouter(
        known=DecisionTreeClassifier(random_state=0),
        unseen=DecisionTreeClassifier(random_state=0),
        count_column="n",
        known_columns=numbers,
        unseen_columns=numbers,
    ).fit(X, y)
    one = pd.DataFrame([{"n": 1.0, "a": 0.5, "b": None, "t": "x"}])
    assert one["b"].dtype == object
    assert router.predict_proba(one).shape == (1, 2)


def test_nan_counts_in_an_array_are_new_accounts_and_nan_elsewhere_is_refused():
    # as for a DataFrame: a missing count means an account never seen in training
    X = np.array([[3.0, 1.0], [0.0, 2.0], [np.nan, 3.0], [5.0, 4.0], [2.0, 0.5], [np.nan, 2.5]])
    y = [0, 0, 0, 1, 1, 1]
    router = AccountRouter(
        known=DecisionTreeClassifier(random_state=0),
        unseen=LogisticRegression(),
        count_column=0,
        unseen_columns=[1],
    ).fit(X, y)
    new = np.array([[np.nan, 3.0], [0.0, 3.0]])
    assert_array_equal(router.predict_proba(new)[0], router.predict_proba(new)[1])  # both new
    bad = X.copy()
    bad[1, 1] = np.nan  # a column LogisticRegression reads
    with pytest.raises(ValueError, match="Input X contains NaN"):
        AccountRouter(
            known=DecisionTreeClassifier(random_state=0),
            unseen=LogisticRegression(),
            count_column=0,
            unseen_columns=[1],
        ).fit(bad, y)


def test_nan_in_an_array_column_that_only_a_nan_tolerant_classifier_reads_is_taken():
    # as for a DataFrame: HistGradientBoosting reads NaN; the array was refused, with the
    # advice to use HistGradientBoosting
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _data()
    arr = X[["inferred_company_count", "a", "b"]].to_numpy(copy=True)
    arr[::7, 1] = np.nan  # read by `known` only
    params = dict(known_columns=[1], unseen_columns=[2], count_column=0)
    known = HistGradientBoostingClassifier(max_iter=5, random_state=0)
    router = AccountRouter(known, LogisticRegression(), **params).fit(arr, y)
    frame = AccountRouter(
        known,
        LogisticRegression(),
        known_columns=["a"],
        unseen_columns=["b"],
        count_column="inferred_company_count",
    ).fit(X.assign(a=arr[:, 1]), y)
    assert_array_equal(router.predict_proba(arr), frame.predict_proba(X.assign(a=arr[:, 1])))
    bad = arr.copy()
    bad[0, 2] = np.nan  # read by LogisticRegression
    with pytest.raises(ValueError, match="Input X contains NaN"):
        router.predict_proba(bad)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        AccountRouter(known, LogisticRegression(), **params).fit(bad, y)


def test_new_rows_get_the_unseen_classifier_and_the_others_the_known_one():
    X, y = _data()
    router = AccountRouter(
        LogisticRegression(), DecisionTreeClassifier(max_depth=2, random_state=0)
    ).fit(X, y)
    X_new = X.copy()
    X_new.loc[::3, "inferred_company_count"] = 0.0
    X_new.loc[1, "inferred_company_count"] = np.nan  # missing counts as new
    new = np.zeros(len(X), dtype=bool)
    new[::3] = True
    new[1] = True
    proba = router.predict_proba(X_new)
    # each part is the fitted clone's own answer on its rows; both were fitted on every row
    np.testing.assert_allclose(proba[~new], router.known_.predict_proba(X_new[~new]))
    np.testing.assert_allclose(proba[new], router.unseen_.predict_proba(X_new[new]))
    np.testing.assert_allclose(
        router.unseen_.predict_proba(X), clone(router.unseen).fit(X, y).predict_proba(X)
    )
    assert not np.allclose(proba[new], router.known_.predict_proba(X_new[new].fillna(0.0)))
    np.testing.assert_array_equal(router.predict(X_new), router.classes_[proba.argmax(axis=1)])


def test_each_classifier_reads_its_own_columns():
    X, y = _data()
    router = AccountRouter(
        LogisticRegression(), LogisticRegression(), known_columns=["a"], unseen_columns=["b"]
    ).fit(X, y)
    assert router.known_.n_features_in_ == 1 and list(router.known_.feature_names_in_) == ["a"]
    assert list(router.unseen_.feature_names_in_) == ["b"]
    X_new = X.assign(inferred_company_count=0.0)
    np.testing.assert_allclose(
        router.predict_proba(X_new), router.unseen_.predict_proba(X_new[["b"]])
    )


@pytest.mark.filterwarnings("ignore::skbucket.exceptions.NegativeCountWarning")  # normal data
def test_column_settings_changed_after_fit_take_effect_at_the_next_fit():
    """The classifiers were fit on the columns fit used, and those decide which rows are new:
    set_params on a fitted router neither feeds them other columns nor reads another count."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=100), rng.normal(size=100), rng.integers(0, 3, 100)])
    y = (X[:, 0] > 0).astype(int)
    router = AccountRouter(
        DecisionTreeClassifier(random_state=0),
        LogisticRegression(),
        known_columns=[0],
        unseen_columns=[0],
        count_column=2,
    ).fit(X, y)
    before = router.predict_proba(X)
    router.set_params(known_columns=[1], unseen_columns=[1], count_column=0)
    np.testing.assert_array_equal(router.predict_proba(X), before)
    clone(router).fit(X, y)  # the new settings are valid: the next fit uses them
    router.fit(X, y)
    new = X[:, 0] == 0  # count column 0 now: no value is exactly 0, so no row is new
    assert not new.any()
    np.testing.assert_allclose(router.predict_proba(X), router.known_.predict_proba(X[:, [1]]))


def test_classes_are_aligned_and_a_classifier_without_proba_is_one_hot():
    X, y = _data()
    y = np.where(y == 2, 5, y)  # labels 0, 1, 5
    router = AccountRouter(LinearSVC(), LogisticRegression()).fit(X, y)
    np.testing.assert_array_equal(router.classes_, [0, 1, 5])
    proba = router.predict_proba(X)  # every row known: LinearSVC, one-hot
    assert set(np.unique(proba)) <= {0.0, 1.0} and (proba.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(router.predict(X), router.known_.predict(X))


def test_predict_log_proba_is_the_log_of_predict_proba_without_a_warning():
    """A review: AccountRouter had predict_proba but no predict_log_proba, which scikit-learn
    classifiers offer beside it (a search scoring neg_log_loss, a user's own code)."""
    X, y = _data()
    y = np.where(y == 2, 5, y)
    router = AccountRouter(LinearSVC(), LogisticRegression()).fit(X, y)
    proba = router.predict_proba(X)
    assert (proba == 0).any()  # LinearSVC one-hot: a 0 to take the log of
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = router.predict_log_proba(X)
    np.testing.assert_array_equal(np.exp(log_proba), proba)
    assert np.isneginf(log_proba[proba == 0]).all()


class _ReversedClasses(BaseEstimator, ClassifierMixin):
    """A classifier without predict_proba whose classes_ are not sorted (sklearn's are)."""

    def fit(self, X, y):
        self.tree_ = DecisionTreeClassifier(random_state=0).fit(X, y)
        self.classes_ = self.tree_.classes_[::-1]
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def test_a_classifier_without_proba_whose_classes_are_unsorted_is_one_hot_on_its_labels():
    X, y = _data()
    router = AccountRouter(_ReversedClasses(), _ReversedClasses()).fit(X, y)
    proba = router.predict_proba(X)
    assert_array_equal(router.classes_[np.argmax(proba, axis=1)], router.known_.predict(X))
    assert (proba.sum(axis=1) == 1).all()
    model = BucketedRegressor(_ReversedClasses(), Ridge(), bins=(0.5, 1.5)).fit(X, y)
    assert_array_equal(model.predict_bucket(X), model.classifier_.predict(X))
    assert set(model.predict_bucket(X)) == {0, 1, 2}


class _CountedFits(DummyClassifier):
    """A DummyClassifier that counts its fits (a fine-tuned text model: hours each)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight)


def test_the_unseen_classifiers_columns_and_weights_are_checked_before_any_fit():
    """unseen_columns and whether unseen takes sample_weight were checked only after the
    known classifier's fit, which was lost with the refusal."""
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _data(n=30)
    _CountedFits.fits = 0
    with pytest.raises(ValueError, match=r"unseen_columns=\['zzz'\] cannot select"):
        AccountRouter(_CountedFits(), DummyClassifier(), unseen_columns=["zzz"]).fit(X, y)
    with pytest.raises(ValueError, match=r"unseen KNeighborsClassifier\(\) does not accept"):
        AccountRouter(_CountedFits(), KNeighborsClassifier()).fit(X, y, sample_weight=np.ones(30))
    assert _CountedFits.fits == 0


def test_an_error_after_a_classifiers_fit_keeps_it_on_the_error():
    """A warning made an error after the unseen classifier's fit (its "cannot split"), or
    Ctrl-C during it, lost the fitted classifiers (the text model: hours); the error keeps
    them now, as BucketedRegressor's keeps its classifier_, and says how to reuse them."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator

    from skbucket.bucketed import TooFewRowsWarning

    X, y = _data(n=30)
    router = AccountRouter(DummyClassifier(), HistGradientBoostingClassifier())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TooFewRowsWarning, match="unseen classifier .*cannot split") as raised:
            router.fit(X, y)
    notes = "".join(raised.value.__notes__)
    assert "unseen=FrozenEstimator(error.unseen_)" in notes
    # both fitted: both named for a BucketedRegressor, not the last one alone
    assert "classifier__known=..., classifier__unseen=... inside a BucketedRegressor" in notes
    assert not hasattr(router, "unseen_")  # unfitted, as after any failed fit
    known, unseen = raised.value.known_, raised.value.unseen_
    assert hasattr(known, "classes_") and hasattr(unseen, "classes_")
    _CountedFits.fits = 0
    router.set_params(known=_CountedFits(), unseen=FrozenEstimator(unseen))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TooFewRowsWarning)
        router.fit(X, y)
    assert router.unseen_.estimator is unseen  # reused, not refitted

    class Interrupted(DummyClassifier):
        def fit(self, X, y, sample_weight=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as raised:
        AccountRouter(DummyClassifier(), Interrupted()).fit(X, y)
    assert hasattr(raised.value.known_, "classes_")
    assert not hasattr(raised.value, "unseen_")
    assert "known=FrozenEstimator(error.known_)" in "".join(raised.value.__notes__)


def test_a_classifier_that_learned_one_class_routes_every_row_to_it():
    # HistGradientBoostingClassifier fitted on one class answers two probability columns
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, _ = _data(n=12)
    X.loc[:3, "inferred_company_count"] = 0.0  # four new accounts: the unseen classifier
    router = AccountRouter(HistGradientBoostingClassifier(), DummyClassifier())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one class: nothing to split, no "cannot split"
        router.fit(X, np.full(12, 2))
    assert_array_equal(router.predict_proba(X), np.ones((12, 1)))
    assert_array_equal(router.predict(X), np.full(12, 2))


def test_a_histgradientboosting_classifier_in_a_pipeline_too_small_to_split_is_warned_about():
    # the warning saw a HistGradientBoostingClassifier given as it is, not as a Pipeline's step
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skbucket.bucketed import TooFewRowsWarning

    X, y = _data(n=30)
    known = make_pipeline(StandardScaler(), HistGradientBoostingClassifier())
    with pytest.warns(
        TooFewRowsWarning,
        match=r"AccountRouter: the known classifier Pipeline\(.*\): its final step "
        r"'histgradientboostingclassifier', .*cannot split 30 training rows",
    ):
        AccountRouter(known, DummyClassifier()).fit(X, y)


class _WideProba(_ReversedClasses):
    """predict_proba with one column more than its classes_."""

    def predict_proba(self, X):
        return np.full((len(X), self.classes_.size + 1), 1 / (self.classes_.size + 1))


def test_a_predict_proba_of_the_wrong_width_is_named():
    X, y = _data()
    router = AccountRouter(_WideProba(), LogisticRegression()).fit(X, y)
    with pytest.raises(
        ValueError, match=r"known _WideProba.*shape \(120, 4\) for 120 row.*3 class"
    ):
        router.predict_proba(X)


def test_a_histgradientboosting_classifier_too_small_to_split_is_warned_about():
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _data(n=30)
    with pytest.warns(UserWarning, match=r"AccountRouter: the known classifier Hist.*split 30"):
        AccountRouter(HistGradientBoostingClassifier(), DummyClassifier()).fit(X, y)


def test_a_failed_refit_leaves_no_stale_classifier():
    X, y = _data()
    router = AccountRouter(LogisticRegression(), LogisticRegression()).fit(X, y)
    bad = X.assign(b=np.nan)  # LogisticRegression refuses NaN: the refit fails at `known`
    with pytest.raises(ValueError, match="NaN"):
        router.fit(bad, y)
    with pytest.raises(NotFittedError):
        router.predict_proba(X)
    for attr in ("known_", "unseen_", "classes_"):
        assert not hasattr(router, attr)
    router.set_params(known=DecisionTreeClassifier())  # now the refit fails at `unseen`
    with pytest.raises(ValueError, match="NaN"):
        router.fit(bad.assign(b=X["b"]).assign(a=np.nan), y)
    with pytest.raises(NotFittedError):
        router.predict(X)


def test_sample_weight_reaches_both_classifiers():
    X, y = _data()
    w = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    router = AccountRouter(LogisticRegression(), LogisticRegression(C=0.1)).fit(
        X, y, sample_weight=w
    )
    np.testing.assert_allclose(
        router.known_.coef_, LogisticRegression().fit(X, y, sample_weight=w).coef_
    )
    np.testing.assert_allclose(
        router.unseen_.coef_, LogisticRegression(C=0.1).fit(X, y, sample_weight=w).coef_
    )
    from sklearn.neighbors import KNeighborsClassifier  # takes no sample_weight

    with pytest.raises(ValueError, match="unseen .*does not accept sample_weight"):
        AccountRouter(LogisticRegression(), KNeighborsClassifier()).fit(X, y, sample_weight=w)


def test_bad_sample_weight_is_named_for_what_it_is():
    X, y = _data()
    router = AccountRouter(LogisticRegression(), LogisticRegression())
    # before: "known LogisticRegression() did not take it" for a wrong length or NaN, and
    # negative weights were accepted; then scikit-learn's words, naming no row
    with pytest.raises(ValueError, match=r"sample_weight has 2 values for 120 rows of X"):
        router.fit(X, y, sample_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"sample_weight must be finite; row 0 has nan"):
        router.fit(X, y, sample_weight=np.full(len(y), np.nan))
    with pytest.raises(ValueError, match=r"sample_weight must be 0 or more; row 0 is -1\.0"):
        router.fit(X, y, sample_weight=np.r_[-1.0, np.ones(len(y) - 1)])
    # before: booleans were weights 1 and 0 (a mask dropped the other rows without a word)
    with pytest.raises(ValueError, match=r"sample_weight must hold numbers, not booleans; row 0"):
        router.fit(X, y, sample_weight=np.ones(len(y), dtype=bool))


def test_bad_count_column_is_named():
    X, y = _data()
    with pytest.raises(ValueError, match=r"count_column='inferred_company_count' is not a col"):
        AccountRouter(LogisticRegression(), LogisticRegression()).fit(
            X.drop(columns=X.columns[2]), y
        )
    # a table without a company column: 400 embedding columns listed first said nothing of
    # the count the router could use instead
    wide = pd.concat(
        [pd.DataFrame(np.zeros((len(X), 30)), columns=[f"emb{i}" for i in range(30)]), X], axis=1
    ).rename(columns={"inferred_company_count": "username_count"})
    with pytest.raises(ValueError, match=r"columns ending in _count: \['username_count'\]\)"):
        AccountRouter(LogisticRegression(), LogisticRegression()).fit(wide, y)
    text = X.assign(inferred_company_count=X["inferred_company_count"].astype(object))
    text.loc[3, "inferred_company_count"] = "many"
    with pytest.raises(ValueError, match="must be numeric .*row 3 holds 'many'$"):
        AccountRouter(
            LogisticRegression(), LogisticRegression(), known_columns=["a"], unseen_columns=["a"]
        ).fit(text, y)
    with pytest.raises(ValueError, match="count_column=7 cannot select a column of an array"):
        AccountRouter(LogisticRegression(), LogisticRegression(), count_column=7).fit(
            X.to_numpy(), y
        )


def test_an_int_count_column_is_a_position_in_a_dataframe_as_the_column_specs_are():
    """An int count_column was read as a column label first: in a frame labelled [5, 0, 7]
    count_column=0 took the column held second while known_columns=[0] took the first, and
    a frame with column names refused count_column=0 ("is not a column of X")."""
    X, y = _data()
    X.loc[::4, "inferred_company_count"] = 0.0
    named = X[["inferred_company_count", "a", "b"]]
    by_name = AccountRouter(
        DecisionTreeClassifier(random_state=0),
        LogisticRegression(),
        known_columns=["a", "b"],
        unseen_columns=["b"],
        count_column="inferred_company_count",
    ).fit(named, y)
    expected = by_name.predict_proba(named)
    relabelled = named.set_axis([5, 0, 7], axis=1)  # label 0 is the second column, "a"
    for frame in (named, relabelled, named.to_numpy()):
        router = AccountRouter(
            DecisionTreeClassifier(random_state=0),
            LogisticRegression(),
            known_columns=[1, 2],
            unseen_columns=[2],
            count_column=0,
        ).fit(frame, y)
        assert_array_equal(router.predict_proba(frame), expected)
        assert_array_equal(router._new_rows(frame, 0), X["inferred_company_count"].to_numpy() == 0)
    for col in (3, True):
        with pytest.raises(ValueError, match=rf"count_column={col} cannot select a column of a "):
            AccountRouter(LogisticRegression(), LogisticRegression(), count_column=col).fit(
                relabelled, y
            )


def test_nested_params_and_clone():
    router = AccountRouter(LogisticRegression(C=1.0), DummyClassifier())
    params = router.get_params()
    assert params["known__C"] == 1.0 and params["unseen__strategy"] == "prior"
    router.set_params(known__C=0.5, unseen__strategy="most_frequent")
    copy = clone(router)
    assert copy.known.C == 0.5 and copy.unseen.strategy == "most_frequent"


def test_the_fitted_diagram_shows_the_fitted_classifiers():
    """A fitted router's HTML diagram drew ``known``/``unseen`` (unfitted templates, with
    parameters set after fit) instead of the fitted copies, as BucketedRegressor's does."""
    from sklearn.utils import estimator_html_repr

    X, y = _data()
    router = AccountRouter(LogisticRegression(C=2.0), DummyClassifier(strategy="prior"))
    assert "C=2.0" in estimator_html_repr(router) and "known: LogisticRegression" in (
        estimator_html_repr(router)
    )
    router.fit(X, y).set_params(known__C=5.0)  # the fitted copy keeps C=2.0 until refit
    html = estimator_html_repr(router)
    assert "C=2.0" in html  # the known box (the router's own box shows its C=5.0)
    assert "known: LogisticRegression" in html and "unseen: DummyClassifier" in html
    assert "coef_" in html  # the fitted copy's attributes are listed


def test_set_output_reaches_transformers_inside_both_classifiers():
    """Through a BucketedRegressor too: set_output stopped at the router."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _ = _data()
    rng = np.random.default_rng(2)
    likes = np.round(np.exp(3 + 2 * X["a"].to_numpy() + 0.3 * rng.normal(size=len(X))))
    known = make_pipeline(StandardScaler(), LogisticRegression())
    unseen = make_pipeline(StandardScaler(), DummyClassifier())
    model = BucketedRegressor(AccountRouter(known, unseen), Ridge(), bins=(10, 100))
    model.fit(X, likes).set_output(transform="pandas")
    for est in (known, unseen, model.classifier_.known_, model.classifier_.unseen_):
        scaled = est[0].fit(X).transform(X) if est in (known, unseen) else est[0].transform(X)
        assert isinstance(scaled, pd.DataFrame), est


def test_as_the_router_of_a_bucketed_regressor():
    X, _ = _data()
    rng = np.random.default_rng(2)
    likes = np.round(np.exp(3 + 2 * X["a"].to_numpy() + 0.3 * rng.normal(size=len(X))))
    router = AccountRouter(LogisticRegression(max_iter=500), DummyClassifier(strategy="prior"))
    model = BucketedRegressor(
        router,
        Ridge(),
        bins=(10, 100),
        routing="soft",
        soft_average="transformed",
        target_transform="log1p",
    ).fit(X, likes)
    X_new = X.assign(inferred_company_count=np.where(np.arange(len(X)) % 2, 0.0, 5.0))
    proba = model.predict_bucket_proba(X_new)
    new = X_new["inferred_company_count"].to_numpy() == 0
    # new rows: the prior of the buckets, the same for every new row
    prior = np.bincount(assign_buckets(likes, (10, 100)), minlength=3) / len(likes)
    np.testing.assert_allclose(proba[new], np.tile(prior, (new.sum(), 1)))
    assert np.ptp(proba[~new], axis=0).max() > 0.1  # known rows: the logistic router varies


def test_a_string_value_is_named_at_its_row_of_the_users_X():
    # each classifier sees only its own rows (known / new accounts): the message names the row
    # of the X passed to predict_proba
    X, y = _data()
    router = AccountRouter(LogisticRegression(), LogisticRegression()).fit(X, y)
    X_new = X.astype({"a": object})
    X_new.loc[[0, 1, 2], "inferred_company_count"] = 0.0  # new accounts, before row 37
    X_new.loc[37, "a"] = "ten"
    with pytest.raises(ValueError, match=r"known .*column\(s\) 'a' \(row 37: 'ten'\)"):
        router.predict_proba(X_new)
    X_new.loc[37, "inferred_company_count"] = 0.0
    with pytest.raises(ValueError, match=r"unseen .*column\(s\) 'a' \(row 37: 'ten'\)"):
        router.predict_proba(X_new)


class _InventsALabel(_ReversedClasses):
    """Without predict_proba, answers a label it never saw for rows whose column 'a' > 2."""

    def predict(self, X):
        return np.where(np.asarray(X["a"]) > 2, 99, self.tree_.predict(X))


def test_a_label_outside_the_classes_is_named_at_its_row_of_X():
    X, y = _data()
    router = AccountRouter(LogisticRegression(), _InventsALabel()).fit(X, y)
    X_new = X.assign(a=0.0)
    X_new.loc[[0, 5, 40], "inferred_company_count"] = 0.0  # new accounts: `unseen` answers
    X_new.loc[40, "a"] = 3.0
    with pytest.raises(
        ValueError, match=r"unseen _InventsALabel\(\)\.predict returned 99 in row 40"
    ):
        router.predict_proba(X_new)


def test_metadata_routing_honours_the_requests_of_both_classifiers():
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError

    class Probe(DecisionTreeClassifier):
        def fit(self, X, y, sample_weight=None, check_input=True):
            self.weighted_ = sample_weight is not None
            return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)

    X, y = _data()
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        router = AccountRouter(
            Probe(random_state=0).set_fit_request(sample_weight=True),
            Probe(random_state=0).set_fit_request(sample_weight=False),
        ).fit(X, y, sample_weight=w)
        assert router.known_.weighted_ and not router.unseen_.weighted_
        with pytest.raises(UnsetMetadataPassedError, match="Probe.fit"):
            AccountRouter(
                Probe(random_state=0).set_fit_request(sample_weight=True), Probe(random_state=0)
            ).fit(X, y, sample_weight=w)
    # off, both take the weights their fit accepts
    router = AccountRouter(Probe(random_state=0), Probe(random_state=0)).fit(X, y, sample_weight=w)
    assert router.known_.weighted_ and router.unseen_.weighted_


def test_a_regressor_or_a_classifier_without_classes_is_refused_at_fit():
    from sklearn.tree import DecisionTreeRegressor

    X, y = _data()
    with pytest.raises(ValueError, match="unseen must be a classifier .* regressor"):
        AccountRouter(LogisticRegression(), DecisionTreeRegressor()).fit(X, y)

    class NoClasses(BaseEstimator):
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    with pytest.raises(ValueError, match="known classifier NoClasses.* has no classes_"):
        AccountRouter(NoClasses(), LogisticRegression()).fit(X, y)

    class ForgetsToReturnSelf(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.unique(y)

        def predict_proba(self, X):
            return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

        def predict(self, X):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    router = AccountRouter(ForgetsToReturnSelf(), LogisticRegression()).fit(X, y)
    assert router.predict_proba(X).shape == (len(X), len(np.unique(y)))  # the fitted clone


def test_a_frozen_classifier_that_knows_more_buckets_than_the_fold():
    """A fine-tuned text router frozen (FrozenEstimator) for cross-validation knows every
    bucket; a fold without the top one was refused ("reports classes [2] that are not in y").
    """
    from sklearn.frozen import FrozenEstimator

    X, y = _data(200)
    assert set(y) == {0, 1, 2}
    unseen = LogisticRegression().fit(X[["a", "b"]], y)
    fold = y < 2
    router = AccountRouter(
        known=DecisionTreeClassifier(random_state=0),
        unseen=FrozenEstimator(unseen),
        count_column="inferred_company_count",
        known_columns=["a", "b"],
        unseen_columns=["a", "b"],
    ).fit(X[fold], y[fold])
    assert_array_equal(router.classes_, [0, 1, 2])
    new = X.assign(inferred_company_count=0.0)  # every row a new account: `unseen` answers
    np.testing.assert_allclose(router.predict_proba(new), unseen.predict_proba(X[["a", "b"]]))
    known = X.assign(inferred_company_count=5.0)
    proba = router.predict_proba(known)
    assert (proba[:, 2] == 0).all() and np.allclose(proba.sum(axis=1), 1)
    # the same in a BucketedRegressor, which took such a classifier already
    likes = np.where(y[fold] == 0, 5.0, 50.0)
    model = BucketedRegressor(router, Ridge(), bins=[10, 100]).fit(X[fold], likes)
    assert_array_equal(model.classifier_.classes_, [0, 1, 2])
    assert np.isfinite(model.predict(new)).all()


def test_account_router_takes_a_metadata_alias_for_one_classifier():
    import sklearn

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            self.seen_weight_ = None if sample_weight is None else np.asarray(sample_weight)
            return super().fit(X, y, sample_weight=sample_weight)

    X, y = _data(120)
    w_text = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        router = AccountRouter(
            known=Recording().set_fit_request(sample_weight=False),
            unseen=Recording().set_fit_request(sample_weight="text_weight"),
            count_column="inferred_company_count",
        ).fit(X, y, text_weight=w_text)
    assert router.known_.seen_weight_ is None
    np.testing.assert_allclose(router.unseen_.seen_weight_, w_text)


@pytest.mark.parametrize("frozen_labels", ["text", "numbers"])
def test_a_frozen_classifier_whose_labels_are_of_another_kind_is_refused(frozen_labels):
    """numpy 2 unites int and str labels as str without a TypeError: y's 0, 1, 2 became
    '0', '1', '2' beside 'a', 'b', 'c', and predict returned text for int targets."""
    from sklearn.frozen import FrozenEstimator

    X, y = _data(60)
    other = np.array(list("abc"))[y] if frozen_labels == "text" else y
    target = y if frozen_labels == "text" else np.array(list("abc"))[y]
    frozen = FrozenEstimator(LogisticRegression().fit(X[["a", "b"]], other))
    router = AccountRouter(
        known=DummyClassifier(),
        unseen=frozen,
        count_column="inferred_company_count",
        known_columns=["a", "b"],
        unseen_columns=["a", "b"],
    )
    said = "text, y's are number" if frozen_labels == "text" else "number, y's are text"
    with pytest.raises(ValueError, match=rf"unseen classifier reports classes .* are {said}"):
        router.fit(X, target)
    same_kind = FrozenEstimator(LogisticRegression().fit(X[["a", "b"]], target))
    fitted = clone(router).set_params(unseen=same_kind).fit(X, target)
    assert fitted.predict(X).dtype.kind == np.asarray(target).dtype.kind


def test_classes_that_cannot_be_compared_are_refused_before_the_other_classifier_is_fitted():
    """The check ran after both fits: a frozen classifier's labels of another kind were
    refused only once the other classifier (the text model: hours) had been fitted."""
    from sklearn.frozen import FrozenEstimator

    fits = []

    class Counted(DecisionTreeClassifier):
        def fit(self, X, y, sample_weight=None, check_input=True):
            fits.append(len(y))
            return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)

    X, y = _data(60)
    frozen = FrozenEstimator(LogisticRegression().fit(X[["a", "b"]], np.array(list("abc"))[y]))
    columns = dict(known_columns=["a", "b"], unseen_columns=["a", "b"])
    for known, unseen, role in [(Counted(), frozen, "unseen"), (frozen, Counted(), "known")]:
        router = AccountRouter(known, unseen, **columns)
        with pytest.raises(
            ValueError, match=rf"^{role} classifier reports classes \['a', 'b', 'c'\]"
        ):
            router.fit(X, y)
        assert fits == []  # refused before any fit

    class Texts(Counted):  # learns labels of another kind than y's: known after its own fit
        def fit(self, X, y, **kwargs):
            return super().fit(X, np.asarray(y).astype(str), **kwargs)

    with pytest.raises(ValueError, match=r"^known classifier reports classes \['0', '1', '2'\]"):
        AccountRouter(Texts(), Counted(), **columns).fit(X, y)
    assert fits == [60]  # the known one's only: the unseen one was never fitted


def test_a_count_column_that_is_empty_in_every_training_row_is_warned_about():
    """An empty company column (the CLI asks for one: a user without companies adds it
    blank) made every post count as a company never seen: the known-account router was fitted
    and never used, without a word."""
    import warnings

    from skbucket.exceptions import NoKnownAccountWarning

    X, y = _data()
    router = AccountRouter(
        LogisticRegression(), LogisticRegression(), known_columns=["a"], unseen_columns=["b"]
    )
    for empty in (0.0, np.nan):
        with pytest.warns(NoKnownAccountWarning, match=r"0 or missing in all 120 training rows"):
            router.fit(X.assign(inferred_company_count=empty), y)
    # a full company column whose every company has one post gives out-of-fold counts of 0:
    # the hint asked only "is the account column empty?"
    with pytest.warns(NoKnownAccountWarning, match=r"empty, or does each account have one post"):
        router.fit(X.assign(inferred_company_count=0.0), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoKnownAccountWarning)
        router.fit(X.assign(inferred_company_count=np.r_[0.0, X["inferred_company_count"][1:]]), y)
        router.predict(X.assign(inferred_company_count=0.0))  # all new at predict: no warning


def test_warnings_name_a_subclass_of_account_router():
    """The empty-count and too-small-to-split warnings named AccountRouter for a subclass."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skbucket.exceptions import NoKnownAccountWarning

    class MyRouter(AccountRouter):
        pass

    X, y = _data()
    router = MyRouter(
        LogisticRegression(), LogisticRegression(), known_columns=["a"], unseen_columns=["b"]
    )
    with pytest.warns(NoKnownAccountWarning, match=r"^MyRouter: count_column="):
        router.fit(X.assign(inferred_company_count=0.0), y)
    X, y = _data(n=30)
    with pytest.warns(UserWarning, match=r"^MyRouter: the known classifier Hist.*split 30"):
        MyRouter(HistGradientBoostingClassifier(), DummyClassifier()).fit(X, y)


def test_negative_counts_are_warned_about_at_fit_and_predict():
    """A count column scaled before the router (a StandardScaler in front of it) has no 0
    left: every row counted as a known account, new companies included, without a word."""
    from sklearn.preprocessing import StandardScaler

    from skbucket.exceptions import NegativeCountWarning

    X, y = _data()
    scaled = X.assign(
        inferred_company_count=StandardScaler().fit_transform(X[["inferred_company_count"]])[:, 0]
    )
    first = int(np.flatnonzero(scaled["inferred_company_count"] < 0)[0])
    router = AccountRouter(
        LogisticRegression(), DummyClassifier(), known_columns=["a"], unseen_columns=["b"]
    )
    with pytest.warns(
        NegativeCountWarning,
        match=rf"count_column='inferred_company_count' holds \d+ negative value\(s\) \(first: "
        rf"row {first}, -\d\.\d+\).*scaled or centred",
    ) as record:
        router.fit(scaled, y)
    (said,) = [r for r in record if r.category is NegativeCountWarning]  # once per call
    assert said.filename == __file__  # points at the user's call
    with pytest.warns(
        NegativeCountWarning, match=r"holds 1 negative value\(s\) \(first: row 2, -3\)"
    ) as record:
        router.predict(X.assign(inferred_company_count=np.r_[1.0, 0.0, -3.0, np.ones(117)]))
    (said,) = [r for r in record if r.category is NegativeCountWarning]
    assert said.filename == __file__
    with warnings.catch_warnings():  # counts of 0 and more, and missing ones: no warning
        warnings.simplefilter("error", NegativeCountWarning)
        router.fit(
            X.assign(inferred_company_count=np.r_[0.0, np.nan, X["inferred_company_count"][2:]]), y
        )
        router.predict(X)


@pytest.mark.parametrize(
    "dated",
    [
        pd.Series(pd.date_range("2020-01-01", periods=120, freq="D")),
        pd.Series(pd.to_timedelta(np.arange(120), unit="h")),
    ],
)
def test_count_column_of_dates_is_refused(dated):
    # astype(float64) read a date (or a time span) as its nanoseconds: a huge count, so every
    # row counted as a known account and the unseen classifier was never asked, without a word
    X, y = _data()
    X = X.assign(inferred_company_count=dated)
    router = AccountRouter(
        LogisticRegression(), DummyClassifier(), known_columns=["a"], unseen_columns=["a"]
    )
    with pytest.raises(ValueError, match="count_column='inferred_company_count' must be numeric"):
        router.fit(X, y)
    # an object array holding numpy dates (float() of np.datetime64 is its count of units)
    values = np.empty((len(X), 3), dtype=object)
    values[:, :2] = X[["a", "b"]].to_numpy()
    values[:, 2] = list(dated.to_numpy())
    with pytest.raises(ValueError, match=r"dates or time spans \(dtype object\)"):
        AccountRouter(
            LogisticRegression(),
            DummyClassifier(),
            known_columns=[0],
            unseen_columns=[0],
            count_column=2,
        ).fit(values, y)


def test_a_class_of_one_row_in_a_large_table_is_named_when_a_classifier_cannot_hold_it_out():
    """A router fitted alone on more than 10,000 rows, whose known classifier (a
    HistGradientBoostingClassifier) holds out validation rows split by class for its early
    stopping, failed on a class of one row with scikit-learn's bare "The least populated
    classes in y have only 1 member ... [3.0]", which names the class by its position, as a
    float, and says nothing of early stopping or what to do."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data(10_050)
    y = y * 10  # labels that are no positions: 0, 10, 20
    y[5] = 70  # the only row of class 70
    hgb = HistGradientBoostingClassifier(max_iter=3)
    for known, advice in [
        (hgb, "set_params(known__early_stopping=False)"),
        (
            make_pipeline(StandardScaler(), hgb),
            "set_params(known__histgradientboostingclassifier__early_stopping=False)",
        ),
    ]:
        router = AccountRouter(clone(known), DummyClassifier())  # (set_params: in place)
        with pytest.raises(
            ValueError,
            match=r"AccountRouter: the known classifier .* class\(es\) \[70\] of y have 1 "
            r"training row each, too few for a hold-out split by class .*early_stopping='auto'",
        ) as raised:
            router.fit(X, y)
        assert f"{advice} on this AccountRouter" in str(raised.value)
        assert not hasattr(router, "known_")
        # the advice followed: fitted
        router.set_params(**{advice[len("set_params(") : -len("=False)")]: False}).fit(X, y)
        assert 70 in router.classes_
