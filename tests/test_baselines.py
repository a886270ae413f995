"""GroupMedianRegressor: group medians with fallbacks, validation, sklearn checks, real posts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbucket.baselines import GroupMedianRegressor
from skbucket.datasets import load_captioned_posts


def _posts():
    X = pd.DataFrame(
        {
            "username": ["ann", "ann", "ann", "bob", "bob", None, "cy"],
            "inferred_company": ["acme", "acme", "acme", "acme", "acme", "zeta", "zeta"],
            "content": list("abcdefg"),
        }
    )
    y = np.array([1.0, 5.0, 9.0, 100.0, 300.0, 40.0, 60.0])
    return X, y


def test_group_median_then_company_then_global():
    X, y = _posts()
    model = GroupMedianRegressor().fit(X, y)
    new = pd.DataFrame(
        {
            "username": ["ann", "bob", "newbie", None, "cy", "ghost"],
            "inferred_company": ["zeta", "acme", "acme", "zeta", "acme", "nova"],
            "content": list("uvwxyz"),
        }
    )
    expected = [
        5.0,  # ann: her own median, whatever the company says
        200.0,  # bob
        9.0,  # unseen account: median of acme's five posts (1, 5, 9, 100, 300)
        50.0,  # missing account: zeta's median (40, 60)
        60.0,  # cy
        np.median(y),  # unseen account and company: everyone
    ]
    np.testing.assert_allclose(model.predict(new), expected)
    assert model.medians_[0] == {"ann": 5.0, "bob": 200.0, "cy": 60.0}
    assert model.global_median_ == 40.0


def test_an_account_spelt_otherwise_is_warned_about_as_postfeatures_warns():
    """ "cnn" or "@CNN" for a training "CNN" got the company's (or global) median without a
    word, where the pipeline's PostFeatures warned: the baseline users compare against."""
    import warnings

    from skbucket.features import AccountSpellingWarning

    X = pd.DataFrame(
        {"username": ["CNN", "CNN", "BBC", "BBC"], "inferred_company": ["cnn", "cnn", "bbc", "bbc"]}
    )
    model = GroupMedianRegressor().fit(X, [1000.0, 2000.0, 10.0, 20.0])
    new = pd.DataFrame({"username": ["cnn", "@CNN", "ITV"], "inferred_company": ["x", "y", "z"]})
    with pytest.warns(
        AccountSpellingWarning,
        match=r"2 value\(s\) of grouping column .*username"
        r".* e\.g\. 'cnn' for 'CNN'; they get the fallback median",
    ) as said:
        pred = model.predict(new)
    assert len(said) == 1
    assert pred.tolist() == [model.global_median_] * 3  # still the fallback: only a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(X)  # nothing unseen, nothing said
    # the company column too, where an unknown account falls back to its company's median
    with pytest.warns(AccountSpellingWarning, match=r"column .*inferred_company.* 'CNN' for"):
        assert (
            model.predict(X.assign(username="z", inferred_company="CNN")).tolist()[0]
            == model.global_median_
        )
    # a spelling cut by min_count was in training: the warning says it may have been
    few = pd.DataFrame({"username": ["CNN"] * 5 + ["cnn"], "inferred_company": ["c"] * 6})
    cut = GroupMedianRegressor(min_count=2).fit(few, [1.0] * 6)
    with pytest.warns(AccountSpellingWarning, match=r"or seen fewer than min_count=2 times"):
        cut.predict(few.iloc[5:])
    with pytest.warns(AccountSpellingWarning, match=r"min_count=2 times"):  # the fit's
        cut.set_params(min_count=5).predict(few.iloc[5:])
    # a model pickled before the spellings were kept at fit still warns
    del cut._spellings_
    with pytest.warns(AccountSpellingWarning, match="'cnn' for 'CNN'"):
        cut.predict(few.iloc[5:])


def test_ids_are_compared_as_text_like_postfeatures_compares_them():
    # an id column read as numbers in one file and as text (or floats, with a gap) in another
    train = pd.DataFrame({"username": [12345, 12345, 7], "inferred_company": ["a", "a", "b"]})
    model = GroupMedianRegressor().fit(train, [1000.0, 3000.0, 5.0])
    new = pd.DataFrame(
        {"username": ["12345", 12345.0, np.int64(12345), None], "inferred_company": ["z"] * 4}
    )
    np.testing.assert_array_equal(model.predict(new), [2000.0, 2000.0, 2000.0, 1000.0])


def test_large_integer_ids_stay_apart_beside_a_float_column():
    # one float column made the whole frame a float64 array: ids above 2**53 merged
    big = 2**60
    X = pd.DataFrame(
        {"username": np.array([big, big + 1]), "inferred_company": [3, 3], "followers": [0.5, 1.5]}
    )
    model = GroupMedianRegressor().fit(X, [1, 1000])
    np.testing.assert_array_equal(model.predict(X), [1.0, 1000.0])
    assert len(model.medians_[0]) == 2
    pl = pytest.importorskip("polars")
    np.testing.assert_array_equal(model.predict(pl.from_pandas(X)), [1.0, 1000.0])


def test_min_count_treats_small_groups_as_unseen():
    X, y = _posts()
    model = GroupMedianRegressor(min_count=3).fit(X, y)
    assert set(model.medians_[0]) == {"ann"}
    pred = model.predict(X)
    # bob (2 posts) falls back to acme (5 posts); cy and the missing account to the global
    # median (zeta has only 2 posts)
    np.testing.assert_allclose(pred, [5, 5, 5, 9, 9, 40, 40])


def test_the_median_of_targets_near_the_largest_float_is_no_overflow():
    """The median of an even count is the mean of the middle two: their sum overflowed beyond
    half of float64's largest number, so two posts of 1e308 likes had the median inf (and
    -inf for two of -1e308); the medians are now those values' own."""
    X = pd.DataFrame({"username": ["a", "a", "b", "b", "c", "c"]})
    y = [1e308, 1.5e308, 1.0, 2.0, -1.7e308, -1.7e308]
    model = GroupMedianRegressor(group_columns="username").fit(X, y)
    assert model.medians_[0] == {"a": 1.25e308, "b": 1.5, "c": -1.7e308}
    assert model.global_median_ == 1.5  # the middle two of the six: 1 and 2
    pred = model.predict(X)
    assert np.isfinite(pred).all()
    np.testing.assert_array_equal(pred, [1.25e308, 1.25e308, 1.5, 1.5, -1.7e308, -1.7e308])
    # ordinary targets are not halved: their medians are as before, to the last bit
    small = GroupMedianRegressor(group_columns="username").fit(X, [0.1, 0.2, 3, 4, 7, 8])
    assert small.medians_[0] == {"a": (0.1 + 0.2) / 2, "b": 3.5, "c": 7.5}


def test_single_column_and_positions():
    X, y = _posts()
    by_name = GroupMedianRegressor(group_columns="username").fit(X, y).predict(X)
    by_position = GroupMedianRegressor(group_columns=[0]).fit(X.to_numpy(), y).predict(X.to_numpy())
    np.testing.assert_allclose(by_name, by_position)
    np.testing.assert_allclose(by_name, [5, 5, 5, 200, 200, 40, 60])  # missing: global


@pytest.mark.parametrize("changed", [("inferred_company", "username"), "inferred_company"])
def test_group_columns_changed_after_fit_take_effect_at_the_next_fit(changed):
    """The medians belong to the columns found at fit: changing group_columns on a fitted
    model neither looks company names up in the username medians nor crashes."""
    X, y = _posts()
    model = GroupMedianRegressor().fit(X, y)
    before = model.predict(X)
    model.set_params(group_columns=changed)
    np.testing.assert_array_equal(model.predict(X), before)
    refitted = model.fit(X, y).predict(X)
    np.testing.assert_array_equal(
        refitted, GroupMedianRegressor(group_columns=changed).fit(X, y).predict(X)
    )


@pytest.mark.parametrize(
    ("group_columns", "X", "message"),
    [
        (
            ("username", "company"),
            None,
            r"grouping column 'company' not found in X; columns present",
        ),
        (("username",), "array", r"X has no column names"),
        ((5,), "array", r"position 5 is out of range: X has 3 feature"),
        ((), None, r"group_columns is empty"),
        # a set's order (the fallback chain) changed with the process's hash seed
        ({"username", "inferred_company"}, None, r"group_columns is ordered.*not a set"),
        (frozenset({"username"}), None, r"pass a list or tuple, not a frozenset"),
    ],
)
def test_bad_group_columns_say_what_is_wrong(group_columns, X, message):
    posts, y = _posts()
    data = posts.to_numpy() if X == "array" else posts
    with pytest.raises(ValueError, match=message):
        GroupMedianRegressor(group_columns=group_columns).fit(data, y)


def test_pyarrow_backed_frames_and_broken_unicode(tmp_path):
    """A pyarrow-backed frame failed in scikit-learn's float cast of a text column the model
    does not read; a lone surrogate in an account failed in pandas naming no row."""
    from skbucket.datasets import load_tweets

    load_tweets().frame.to_csv(tmp_path / "tweets.csv", index=False)
    frame = pd.read_csv(tmp_path / "tweets.csv", engine="pyarrow", dtype_backend="pyarrow")
    plain = pd.read_csv(tmp_path / "tweets.csv")
    got = GroupMedianRegressor().fit(frame.drop(columns="likes"), frame["likes"])
    ref = GroupMedianRegressor().fit(plain.drop(columns="likes"), plain["likes"])
    np.testing.assert_array_equal(
        got.predict(frame.drop(columns="likes")), ref.predict(plain.drop(columns="likes"))
    )
    X, y = _posts()
    X["username"] = X["username"].astype(object)
    X.loc[4, "username"] = "b\udcff"
    with pytest.raises(ValueError, match=r"grouping column 'username', row 4: .*Unicode"):
        GroupMedianRegressor().fit(X, y)


def test_bad_cells_and_targets_name_the_row():
    X, y = _posts()
    X["username"] = X["username"].astype(object)
    X.at[3, "username"] = ["bob", "alt"]
    with pytest.raises(ValueError, match=r"column 'username', row 3 holds an unhashable list"):
        GroupMedianRegressor().fit(X, y)
    # at predict, in a fallback column read only for the rows the first did not settle
    model = GroupMedianRegressor().fit(
        pd.DataFrame({"username": ["ann", "bob"], "inferred_company": ["acme", "acme"]}), [10, 30]
    )
    new = pd.DataFrame({"username": ["ann", "ann", "zz", "zz"], "inferred_company": ["acme"] * 4})
    new["inferred_company"] = new["inferred_company"].astype(object)
    new.at[3, "inferred_company"] = ["x"]
    with pytest.raises(ValueError, match=r"'inferred_company', row 3 holds an unhashable list"):
        model.predict(new)
    X, y = _posts()
    y[4] = np.nan
    with pytest.raises(ValueError, match=r"y must be finite, but row 4 is "):
        GroupMedianRegressor().fit(X, y)


def test_a_bad_cell_is_named_by_its_index_label_as_post_features_name_it():
    """After a shuffle (train_test_split), PostFeatures said "row 37" (the index label) and
    GroupMedianRegressor "row 2" (the position) for the same cell."""
    from skbucket.features import PostFeatures, PostFeaturesError

    X, y = _posts()
    X = X.set_axis(np.arange(len(X))[::-1] + 30, axis=0)  # labels 30 + n - 1 .. 30
    X["username"] = X["username"].astype(object)
    X.iloc[2, X.columns.get_loc("username")] = b"bob"
    label = X.index[2]
    with pytest.raises(PostFeaturesError, match=rf"'username', row {label}: expected text"):
        PostFeatures(cv=2, date_column=None, media_column=None).fit(X, y)
    with pytest.raises(ValueError, match=rf"grouping column 'username', row {label}: expected"):
        GroupMedianRegressor().fit(X, y)
    X.iloc[2, X.columns.get_loc("username")] = ["a", "list"]
    with pytest.raises(ValueError, match=rf"'username', row {label} holds an unhashable list"):
        GroupMedianRegressor().fit(X, y)
    # at predict, for rows a first column did not settle: labels too; an array: positions
    model = GroupMedianRegressor().fit(*_posts())
    new = X.iloc[:4].assign(username="nobody").astype({"inferred_company": object})
    new.at[new.index[3], "inferred_company"] = ["x"]
    with pytest.raises(ValueError, match=rf"'inferred_company', row {new.index[3]} holds"):
        model.predict(new)
    model = GroupMedianRegressor(group_columns=(0, 1)).fit(_posts()[0].to_numpy()[:, :2], y)
    with pytest.raises(ValueError, match=r"column at position 1, row 3 holds an unhashable list"):
        model.predict(new[["username", "inferred_company"]].to_numpy())


def test_predict_checks_columns_like_fit():
    X, y = _posts()
    model = GroupMedianRegressor().fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[["inferred_company", "username", "content"]])


def test_a_repeated_column_name_is_named():
    X, y = _posts()
    twice = pd.concat([X, X[["content"]]], axis=1)  # before: narwhals' DuplicateError
    with pytest.raises(ValueError, match="column 'content' appears 2 times in X"):
        GroupMedianRegressor().fit(twice, y)


def test_clone_and_cross_val_score():
    X, y = _posts()
    model = GroupMedianRegressor(min_count=2)
    assert clone(model).get_params() == model.get_params()
    scores = cross_val_score(model, X, y, cv=2, scoring="neg_mean_absolute_error")
    assert np.isfinite(scores).all()


def test_real_posts_seen_accounts_beat_the_global_median():
    """On later posts of known accounts the account median is far better than one number."""
    df = load_captioned_posts().frame  # the bundled sample of real posts
    order = np.argsort(pd.to_datetime(df["date"]).to_numpy(), kind="stable")
    cut = int(len(df) * 0.8)
    train, test = df.iloc[order[:cut]], df.iloc[order[cut:]]
    y_train, y_test = np.log1p(train["likes"]), np.log1p(test["likes"])
    model = GroupMedianRegressor().fit(train, y_train)
    rmse = np.sqrt(np.mean((model.predict(test) - y_test) ** 2))
    rmse_global = np.sqrt(np.mean((np.median(y_train) - y_test) ** 2))
    assert rmse < 0.75 * rmse_global


def test_tags_say_it_groups_text_and_categories():
    X = pd.DataFrame({"username": ["ann", "bob", "cy"], "inferred_company": ["acme", "acme", "z"]})
    model = GroupMedianRegressor().fit(X.astype({"inferred_company": "category"}), [10, 30, 7])
    np.testing.assert_array_equal(model.predict(X), [10, 30, 7])
    texts = GroupMedianRegressor(group_columns=(0, 1)).fit(X.to_numpy(), [10, 30, 7])
    np.testing.assert_array_equal(texts.predict(X.to_numpy()), [10, 30, 7])
    tags = model.__sklearn_tags__().input_tags
    assert tags.string and tags.categorical and tags.allow_nan


@parametrize_with_checks([GroupMedianRegressor(group_columns=(0, 1))])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_columns_it_does_not_group_by_are_not_converted():
    """The whole frame went through check_array as objects, making a Python string of every
    text cell (content, media, caption) to read one or two columns: 1.9 GB for 10^6 posts."""
    import tracemalloc

    n = 5000
    X = pd.DataFrame(
        {
            "username": [f"u{i % 50}" for i in range(n)],
            "inferred_company": [f"c{i % 7}" for i in range(n)],
            "content": ["x" * 2000 + str(i) for i in range(n)],
        }
    )
    y = np.arange(n, dtype=float)
    tracemalloc.start()
    try:
        pred = GroupMedianRegressor().fit(X, y).predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1000 * n, f"{peak / n:.0f} bytes a row"
    expected = pd.Series(y).groupby(X["username"]).transform("median").to_numpy()
    np.testing.assert_array_equal(pred, expected)


def test_a_blank_account_is_missing_as_an_empty_csv_cell_is():
    """A CSV's empty cell is read as missing, a Parquet file keeps "": a blank username was a
    group of its own, so the same table predicted otherwise in the two formats."""
    X, y = _posts()
    blank = X.assign(username=X["username"].where(X["username"].notna(), "  "))
    np.testing.assert_array_equal(
        GroupMedianRegressor().fit(blank, y).predict(blank),
        GroupMedianRegressor().fit(X, y).predict(X),
    )


def test_errors_and_warnings_name_a_subclass():
    """Four messages named GroupMedianRegressor whatever the class."""
    from skbucket.features import AccountSpellingWarning

    class MyMedian(GroupMedianRegressor):
        pass

    X, y = _posts()
    with pytest.raises(ValueError, match=r"^MyMedian: grouping column 'company' not found"):
        MyMedian(group_columns=["company"]).fit(X, y)
    bad = X.astype({"username": object})
    bad.at[3, "username"] = ["bob", "alt"]
    with pytest.raises(ValueError, match=r"^MyMedian: grouping column 'username', row 3 holds"):
        MyMedian().fit(bad, y)
    bad.at[3, "username"] = "b\udcff"
    with pytest.raises(ValueError, match=r"^MyMedian: grouping column 'username', row 3: "):
        MyMedian().fit(bad, y)
    with pytest.raises(ValueError, match=r"^MyMedian: column 'content' appears 2 times"):
        MyMedian().fit(pd.concat([X, X[["content"]]], axis=1), y)
    model = MyMedian().fit(X, y)
    spelt = X.assign(username=X["username"].astype(str).str.upper())
    with pytest.warns(AccountSpellingWarning, match=r"^MyMedian: \d+ value\(s\) of grouping"):
        model.predict(spelt)


def test_rows_given_as_lists_keep_their_missing_values_and_numbers():
    """Rows as Python lists mixing text and numbers became one NumPy text array: a missing
    account (NaN) was the group "nan", not a fallback to the company, and 12345.0 was a
    group of its own beside 12345."""
    rows = [[np.nan, "x"], [np.nan, "y"], ["a", "x"], ["a", "y"], [12345, "x"], [12345.0, "y"]]
    model = GroupMedianRegressor(group_columns=(0, 1)).fit(rows, [1, 100, 2, 3, 10, 20])
    assert model.medians_[0] == {"a": 2.5, "12345": 15.0}
    np.testing.assert_allclose(model.predict([[np.nan, "y"], ["12345", "z"]]), [20.0, 15.0])


def test_a_frame_with_number_column_names_is_named_as_a_frame():
    """A frame whose column names are 0, 1 (pd.read_csv(header=None), a frame from rows) with
    the default group_columns said "X has no column names (an array)"."""
    posts, y = _posts()
    frame = pd.DataFrame(posts.to_numpy())
    with pytest.raises(
        ValueError, match=r"grouping column 'username' not found in X; columns present: \[0, 1"
    ):
        GroupMedianRegressor().fit(frame, y)
    with pytest.raises(ValueError, match=r"out of range.*a column named 10 is read by position"):
        GroupMedianRegressor(group_columns=[10]).fit(frame.set_axis([10, 11, 12], axis=1), y)
    positions = list(posts.columns).index("username"), list(posts.columns).index("inferred_company")
    by_position = GroupMedianRegressor(group_columns=positions).fit(frame, y)
    np.testing.assert_allclose(
        by_position.predict(frame), GroupMedianRegressor().fit(posts, y).predict(posts)
    )


@pytest.mark.parametrize("dtype", [str, "U8"])
def test_a_numpy_text_array_keeps_its_missing_values_missing(dtype):
    """NumPy writes a NaN put in a text array as "nan" (None as "None"): that was a group of
    its own, where the same rows as a frame or as lists fall back to the company."""
    rows = [[np.nan, "x"], [np.nan, "y"], ["a", "x"], ["a", "y"], [None, "x"], ["b", "y"]]
    X = np.array(rows, dtype=dtype)
    assert X[0, 0] == "nan" and X[4, 0] == "None"
    y = [1, 100, 2, 3, 10, 20]
    model = GroupMedianRegressor(group_columns=(0, 1)).fit(X, y)
    assert model.medians_[0] == {"a": 2.5, "b": 20.0}
    assert model.medians_ == GroupMedianRegressor(group_columns=(0, 1)).fit(rows, y).medians_
    new = np.array([["nan", "y"], ["NaN-fan", "x"]])
    np.testing.assert_allclose(model.predict(new), [20.0, 2.0])
