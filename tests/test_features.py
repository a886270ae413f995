"""Tests for skbucket.features.PostFeatures."""

from __future__ import annotations

import datetime
import pickle
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbucket.dates import parse_dates
from skbucket.features import (
    DATE_FEATURES,
    MEDIA_KINDS,
    TEXT_FEATURES,
    AccountSpellingWarning,
    PostFeatures,
    PostFeaturesError,
    UnparseableDateWarning,
)
from skbucket.prompts import PromptBuilder, PromptError

#: PostFeatures' width on posts with a date, media and one text column, without accounts
#: (from the feature lists: a new feature changes them, not the tests)
_UNENCODED = len(DATE_FEATURES) + 1 + len(MEDIA_KINDS) + len(TEXT_FEATURES)

PHOTO = (
    "Photo(previewUrl='https://pbs.twimg.com/media/A?format=jpg&name=small', "
    "fullUrl='https://pbs.twimg.com/media/A?format=jpg&name=large')"
)
VIDEO = (
    "Video(thumbnailUrl='https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/B.jpg', "
    "variants=[VideoVariant(contentType='video/mp4', url='https://video.twimg.com/v.mp4', "
    "bitrate=832000)], duration=12.5, views=1000)"
)
GIF = (
    "Gif(thumbnailUrl='https://pbs.twimg.com/tweet_video_thumb/C.jpg', "
    "variants=[VideoVariant(contentType='video/mp4', url='https://video.twimg.com/g.mp4', "
    "bitrate=0)])"
)


def _posts(n=12):
    """Hand-made posts: three accounts, two companies, known dates and media."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "content": [f"post {i} <hyperlink>" for i in range(n)],
            "username": [["ann", "bob", "cy"][i % 3] for i in range(n)],
            "inferred_company": [["acme", "acme", "zed"][i % 3] for i in range(n)],
            "date": pd.date_range("2020-01-01 10:00", periods=n, freq="7h").astype(str),
            "media": [f"[{PHOTO}]"] * n,
        }
    ), rng.integers(0, 1000, n)


def _feature(pf, Xt, name):
    names = list(pf.get_feature_names_out())
    return np.asarray(Xt)[:, names.index(name)]


# ----------------------------------------------------------------------------- per feature
def test_date_features_known_dates_and_time_zones():
    X = pd.DataFrame(
        {
            "date": [
                "2020-03-02 14:30:00",  # Monday, naive -> taken as UTC
                "2021-12-25T08:00:00+02:00",  # Saturday 06:00 UTC
                pd.Timestamp("2019-07-04 23:59", tz="US/Eastern"),  # Friday 03:59 UTC
                "5 Jan 2018 01:02",  # Friday, another format
            ]
        }
    )
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=()).fit(X)
    Xt = pf.transform(X)
    assert list(pf.get_feature_names_out()) == ["hour", "weekday", "month", "year"]
    assert list(pf.get_feature_names_out(["date"])) == ["hour", "weekday", "month", "year"]
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        pf.get_feature_names_out(["when"])  # names of another frame, as sklearn refuses them
    np.testing.assert_array_equal(
        Xt,
        [[14, 0, 3, 2020], [6, 5, 12, 2021], [3, 4, 7, 2019], [1, 4, 1, 2018]],
    )
    assert Xt.dtype == np.float64


def test_datetime_dtype_column_naive_is_utc():
    X = pd.DataFrame({"date": pd.to_datetime(["2020-03-02 14:30:00", "2020-03-08 00:00:00"])})
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    np.testing.assert_array_equal(pf.fit_transform(X), [[14, 0, 3, 2020], [0, 6, 3, 2020]])


def test_a_date_without_a_time_of_day_has_no_hour():
    """2020-06-15 was read as midnight: the post got hour 0, a time it was not known to have
    (a date column written without times, or date objects)."""
    import datetime

    X = pd.DataFrame(
        {
            "date": [
                "2020-06-15",  # Monday
                "15 June 2020",
                datetime.date(2020, 6, 15),
                "2020-06-15 00:00:00",  # midnight written out: a time
                "15 June 2020, 9 PM",
                datetime.datetime(2020, 6, 15),  # a datetime object keeps its time
            ]
        }
    )
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    Xt = pf.fit_transform(X)
    np.testing.assert_array_equal(Xt[:, 0], [np.nan, np.nan, np.nan, 0, 21, 0])
    np.testing.assert_array_equal(Xt[:, 1:], [[0, 6, 2020]] * 6)  # the day is known
    # a datetime64 column keeps its midnights, as a database's timestamps hold them
    stamps = pd.DataFrame(
        {"date": pd.to_datetime(["2020-06-15", "2020-06-15 09:00"], format="ISO8601")}
    )
    np.testing.assert_array_equal(pf.fit_transform(stamps)[:, 0], [0, 9])
    # a time written otherwise than hh:mm is a time still (it was called a day: hour NaN)
    odd = pd.DataFrame({"date": ["2020-06-15 10h30", "2020-06-15 1000", "2020-06-15 10"]})
    np.testing.assert_array_equal(pf.fit_transform(odd)[:, 0], [10, 10, 10])
    # a whole column of days (a period column, an Arrow date column, compact dates): no
    # training date has a time, so no hour feature (an all-NaN column failed
    # HistGradientBoosting, the default router: "window shape cannot be larger than input")
    for days in (
        pd.Series(pd.period_range("2020-06-15", periods=2, freq="D")),
        pd.Series(
            [datetime.date(2020, 6, 15), datetime.date(2020, 6, 16)], dtype="date32[pyarrow]"
        ),
        pd.Series(["20200615", "20200616"]),
    ):
        fitted = PostFeatures(text_columns=(), media_column=None, category_columns=())
        out = fitted.fit_transform(pd.DataFrame({"date": days}))
        assert list(fitted.get_feature_names_out()) == ["weekday", "month", "year"]
        np.testing.assert_array_equal(out, [[0, 6, 2020], [1, 6, 2020]])
        timed = pd.DataFrame({"date": ["2020-06-15 09:00", "2020-06-16"]})
        np.testing.assert_array_equal(fitted.transform(timed), [[0, 6, 2020], [1, 6, 2020]])


def test_unparseable_and_missing_dates_give_nan_and_a_warning_naming_the_row():
    X = pd.DataFrame({"date": ["2020-03-02 14:30:00", "not a date", None]}, index=[10, 11, 12])
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    with pytest.warns(UnparseableDateWarning, match=r"row 11: 'not a date'"):
        Xt = pf.fit_transform(X)
    assert not np.isnan(Xt[0]).any()
    assert np.isnan(Xt[1]).all() and np.isnan(Xt[2]).all()
    # a missing date alone is not a parsing failure: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(pf.transform(X.loc[[10, 12]])[1]).all()


def test_dates_outside_the_nanosecond_range_give_nan_and_a_warning():
    X = pd.DataFrame({"date": ["2020-03-02 14:30:00", "9999-12-31 00:00:00"]})
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    with pytest.warns(UnparseableDateWarning, match=r"row 1: '9999-12-31 00:00:00'") as caught:
        Xt = pf.fit_transform(X)
    assert not np.isnan(Xt[0]).any() and np.isnan(Xt[1]).all()
    # the warning says why a date that reads as one is none here
    assert "its year 9999 is outside 1677-2262" in str(caught[0].message)
    X = pd.DataFrame({"date": ["2020-03-02", "2020-13-45 2300", datetime.date(1600, 5, 1), "soon"]})
    with pytest.warns(UnparseableDateWarning, match=r"row 1: '2020-13-45 2300' \(rows"):
        pf.fit_transform(X)  # a year in range beside a number: no range hint
    with pytest.warns(UnparseableDateWarning, match=r"row 2: datetime.date\(1600, 5, 1\); its"):
        pf.fit_transform(X.iloc[2:])


def test_unparseable_date_warning_quotes_the_value_under_a_duplicated_index():
    X = pd.DataFrame({"date": ["2020-03-02", "2020-03-03", "soon"]}, index=[0, 0, 0])
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    with pytest.warns(UnparseableDateWarning) as caught:
        pf.fit_transform(X)
    assert "row 0: 'soon' (rows [0])" in str(caught[0].message)


def test_integer_ids_read_as_floats_are_the_same_accounts():
    # pandas reads an int id column as float64 when one id is missing
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"username": rng.integers(0, 5, 200), "date": ["2020-01-01 10:00"] * 200})
    y = 10.0 ** X["username"].to_numpy()
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=["username"])
    pf.set_output(transform="pandas").fit(X, y)
    as_int = pf.transform(X.head(5))
    as_float = pf.transform(X.head(5).astype({"username": "float64"}))
    pd.testing.assert_frame_equal(as_int, as_float)
    assert (as_int["username_count"] > 0).all()
    with_missing = X.head(5).astype({"username": "float64"})
    with_missing.iloc[0, 0] = np.nan
    assert (
        pf.transform(with_missing)["username_count"].tolist()[1:]
        == (as_int["username_count"].tolist()[1:])
    )


@pytest.mark.filterwarnings("ignore:`TargetEncoder.shuffle`:FutureWarning")  # the < 1.9 API
@pytest.mark.parametrize("sklearn_splits", [True, False])
def test_unshuffled_cross_fitting_on_either_target_encoder_api(sklearn_splits, monkeypatch):
    # scikit-learn < 1.9 builds the folds inside TargetEncoder: with shuffle=False it refuses
    # a random_state (KFold: "Setting a random_state has no effect"), which was passed anyway
    import skbucket.features as features

    if sklearn_splits and not features._SKLEARN_CV_SPLITS:
        pytest.skip("TargetEncoder takes a list of splits as cv from scikit-learn 1.9 on")
    X, y = _posts(40)
    expected = PostFeatures(shuffle=False, cv=4).fit_transform(X, y)  # this version's API
    monkeypatch.setattr(features, "_SKLEARN_CV_SPLITS", sklearn_splits)
    out = PostFeatures(shuffle=False, random_state=0, cv=4).fit_transform(X, y)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("column", ["date", "content", "username"])
def test_transform_names_a_column_that_appears_twice(column):
    X = pd.DataFrame(
        {"content": ["a", "b"], "username": ["u", "v"], "date": ["2020-01-01", "2020-01-02"]}
    )
    pf = PostFeatures(media_column=None, category_columns=["username"], cv=2).fit(X, [1, 2])
    twice = pd.concat([X, X[[column]]], axis=1)  # e.g. after a merge
    with pytest.raises(PostFeaturesError, match=f"column '{column}' appears 2 times in X"):
        pf.transform(twice)


@pytest.mark.parametrize("column", ["date", "note"])
def test_fit_names_a_column_that_appears_twice(column):
    # before: narwhals' DuplicateError from inside scikit-learn, for unread columns too
    X = pd.DataFrame(
        {
            "content": ["a", "b"],
            "username": ["u", "v"],
            "date": ["2020-01-01", "2020-01-02"],
            "note": [1, 2],
        }  # fmt: skip
    )
    twice = pd.concat([X, X[[column]]], axis=1)
    pf = PostFeatures(media_column=None, category_columns=["username"], cv=2)
    with pytest.raises(PostFeaturesError, match=f"column '{column}' appears 2 times in X"):
        pf.fit(twice, [1, 2])


@pytest.mark.parametrize("parameter", ["text_columns", "category_columns"])
def test_a_column_named_twice_in_a_parameter_is_refused(parameter):
    X = pd.DataFrame({"content": ["a", "b"], "username": ["u", "v"]})
    column = "content" if parameter == "text_columns" else "username"
    params = {"text_columns": ["content"], "category_columns": ["username"]}
    params[parameter] = [column, column]  # before: repeated output names / DuplicateError
    pf = PostFeatures(date_column=None, media_column=None, cv=2, **params)
    with pytest.raises(PostFeaturesError, match=f"{parameter} names '{column}' more than once"):
        pf.fit(X, [1, 2])


def test_two_outputs_of_one_name_are_refused_at_fit():
    """The media column as a category column too gave two 'media_count' outputs: a pandas
    output the next step refused (HistGradientBoosting: DuplicateError; XGBoost:
    "'DataFrame' object has no attribute 'dtype'")."""
    X = pd.DataFrame({"review": ["nice", "bad"], "media": ["[]", "https://x.test/a.jpg"]})
    pf = PostFeatures(date_column=None, text_columns=["review"], category_columns=["media"], cv=2)
    with pytest.raises(PostFeaturesError, match="output features would be named 'media_count'"):
        pf.set_output(transform="pandas").fit(X, [1, 2])
    # an array output has no names: it worked, and does (a Ridge after it fitted)
    fitted = pf.set_output(transform="default").fit(X, [1, 2])
    # text, media (count and kinds), the media column's encoding and count
    assert fitted.transform(X).shape == (2, len(TEXT_FEATURES) + 1 + len(MEDIA_KINDS) + 2)
    # pandas asked for after fit: said at transform
    with pytest.raises(PostFeaturesError, match="which a pandas output cannot hold"):
        fitted.set_output(transform="pandas").transform(X)
    # each column one role: fitted, names unique
    ok = PostFeatures(date_column=None, text_columns=["review"], category_columns=(), cv=2)
    assert pd.Index(ok.fit(X, [1, 2]).get_feature_names_out()).is_unique


def test_unparseable_date_raises_with_invalid_dates_raise():
    X = pd.DataFrame({"date": ["2020-03-02", "31/31/2020"]})
    pf = PostFeatures(
        text_columns=(), media_column=None, category_columns=(), invalid_dates="raise"
    )
    with pytest.raises(PostFeaturesError, match=r"'date'.*row 1: '31/31/2020'"):
        pf.fit_transform(X)


@pytest.mark.parametrize("value", ["today", "now", "10:00"])
def test_a_date_relative_to_the_clock_is_refused_like_text_that_is_no_date(value):
    X = pd.DataFrame({"date": ["2020-03-02", value]})
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    with pytest.warns(UnparseableDateWarning, match=f"row 1: '{value}'"):
        assert np.isnan(pf.fit_transform(X)[1]).all()
    with pytest.raises(PostFeaturesError, match=f"'date'.*row 1: '{value}'"):
        pf.set_params(invalid_dates="raise").fit_transform(X)


def test_a_year_and_month_written_as_a_number_needs_a_two_digit_month():
    """pandas read "2021.13" (no month) and "2021.1" (October written as a float?) as January
    2021, with no warning, while the command line refused them as no dates."""
    values = ["2021.13", "2021.1", " 2021.4 ", "2021.04", "2021.10", "2021-03-05 10:00"]
    values += ["2021.04 10:00", "2021.13 10:00", "2300.05"]  # pandas: January 10:00, ..
    values += ["20210405T100000.12"]  # a fraction after a compact time: no year-month
    X = pd.DataFrame({"date": values})
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    with pytest.warns(
        UnparseableDateWarning, match=r"5 value.*row 0: '2021.13'; a year and a"
    ) as w:
        Xt = pf.set_output(transform="pandas").fit_transform(X)
    assert "rows [0, 1, 2, 7, 8]" in str(w[0].message) and "2021.01, 2021.10" in str(w[0].message)
    assert Xt["month"].tolist()[3:7] == [4, 10, 3, 4] and Xt["hour"][6] == 10
    assert Xt["hour"][9] == 10  # rewritten as a year-month, it read 22:00 (a -12:00 zone)
    assert Xt["month"].iloc[[0, 1, 2, 7, 8]].isna().all()
    from skbucket.dates import undated_hint

    assert undated_hint("2300.05").startswith("; its year 2300 is outside")  # not the month
    assert undated_hint("2021.04") == ""
    from skbucket.prompts import PromptBuilder

    with pytest.warns(UnparseableDateWarning, match=r"row 0: '2021.13'; a year and a month"):
        said = PromptBuilder(template="{when}").fit(X).transform(X).ravel().tolist()
    assert said[:3] == ["unknown"] * 3 and said[4] == "2021-10-01, posted on Friday"


def test_fewer_posts_than_folds_are_cross_fitted_one_post_per_fold():
    """A successive-halving search (HalvingRandomSearchCV's default min_resources, 2 x its
    folds) gives the first round 4 training posts: PostFeatures(cv=5) refused them, so every
    fit of the search failed. Now one fold per post, as cv=4 would, with a warning; one post
    cannot be cross-fitted (KFold's own error named neither the step nor its setting)."""
    from skbucket.exceptions import TooFewRowsWarning

    X, y = _posts(4)
    with pytest.warns(TooFewRowsWarning, match=r"PostFeatures\(cv=5\) got 4 posts .* 4 folds"):
        got = PostFeatures(random_state=0).fit_transform(X, y)
    np.testing.assert_allclose(got, PostFeatures(cv=4, random_state=0).fit_transform(X, y))
    with pytest.raises(ValueError, match=r"PostFeatures\(cv=5\) cross-fits .* at least 2 posts"):
        PostFeatures().fit_transform(X[:1], y[:1])
    # no encodings to cross-fit: any number of rows
    assert PostFeatures(category_columns=()).fit_transform(X[:1], y[:1]).shape[0] == 1


def test_fit_transform_refuses_sample_weight_as_fit_does():
    X = pd.DataFrame({"username": ["a", "b"] * 4, "date": ["2020-01-01"] * 8})
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=["username"], cv=2)
    with pytest.raises(TypeError, match="sample_weight"):
        pf.fit(X, np.arange(8.0), sample_weight=np.ones(8))
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['sample_weight'\]"):
        pf.fit_transform(X, np.arange(8.0), sample_weight=np.ones(8))


def test_dates_are_read_like_promptbuilder_reads_them():
    # one parser (skbucket.dates.parse_dates) for both estimators: a number among date
    # strings is no date (pandas alone reads it as epoch nanoseconds, 1970) and a blank
    # string is a missing date
    values = [
        "2020-03-02 14:30:00",
        "2021-12-25T08:00:00+02:00",
        datetime.datetime(2019, 7, 4, 23, 59),
        "5 Jan 2018 01:02",
        1617235200,
        "  ",
        None,
    ]
    X = pd.DataFrame({"date": pd.Series(values, dtype=object)})
    pf = PostFeatures(text_columns=(), media_column=None, category_columns=())
    with pytest.warns(UnparseableDateWarning, match=r"1 value\(s\).*row 4: 1617235200"):
        Xt = pf.fit_transform(X)
    parsed = parse_dates(X["date"])
    expected = np.column_stack(
        [parsed.dt.hour, parsed.dt.day_of_week, parsed.dt.month, parsed.dt.year]
    ).astype(float)
    np.testing.assert_array_equal(Xt, expected)
    assert np.isnan(Xt[4:]).all() and not np.isnan(Xt[:4]).any()


def test_epoch_seconds_written_as_text_say_how_to_convert_them():
    X, y = _posts(12)
    X["date"] = [str(1617235200 + 3600 * i) for i in range(12)]
    with pytest.warns(UnparseableDateWarning, match=r"row 0: '1617235200'; a count of seconds"):
        pf = PostFeatures(cv=3).fit(X, y)
    assert "hour" not in pf.get_feature_names_out()
    # milliseconds: unit='s' made them the year 52,000 (the warning said 's' for both)
    X["date"] = [str(1617235200000 + 3600 * i) for i in range(12)]
    with pytest.warns(UnparseableDateWarning, match=r"count of milliseconds .* unit='ms'\) f"):
        PostFeatures(cv=3).fit(X, y)


def test_fits_in_two_threads_leave_the_warning_filters_as_they_were(monkeypatch):
    """warnings.catch_warnings puts back the filters it found: a fit entering while another
    was inside found that one's "ignore UnparseableDateWarning" and put it back for good,
    so later posts without a readable date got NaN features without the warning."""
    import threading

    X, y = _posts(12)
    X["date"] = "soon"
    entered = {name: threading.Event() for name in "AB"}
    release = {name: threading.Event() for name in "AB"}
    original = PostFeatures._date_features

    def slow(self, values, **kwargs):
        name = threading.current_thread().name
        entered[name].set()
        release[name].wait(timeout=20)
        return original(self, values, **kwargs)

    monkeypatch.setattr(PostFeatures, "_date_features", slow)
    threads = {
        name: threading.Thread(target=PostFeatures(cv=3).fit, args=(X, y), name=name)
        for name in "AB"
    }
    with warnings.catch_warnings(record=True) as said:  # the fits' own warnings land here
        warnings.simplefilter("always")  # each fit's, not once per place
        before = list(warnings.filters)
        threads["A"].start()
        assert entered["A"].wait(timeout=20)
        threads["B"].start()
        entered["B"].wait(timeout=1)  # B waits for A to leave its block (it went in before)
        release["A"].set()
        threads["A"].join(timeout=30)
        release["B"].set()
        threads["B"].join(timeout=30)
        assert warnings.filters == before
    assert sum(issubclass(w.category, UnparseableDateWarning) for w in said) == 2


def test_an_account_that_is_not_valid_unicode_is_named_at_its_row():
    X, y = _posts(12)
    X["username"] = X["username"].astype(object)
    X.loc[5, "username"] = "b\udcff"
    with pytest.raises(PostFeaturesError, match=r"category column 'username', row 5: .*Unicode"):
        PostFeatures(cv=3).fit(X, y)


def test_numeric_date_column_is_refused():
    X = pd.DataFrame({"date": [1577836800, 1577836801]})
    with pytest.raises(PostFeaturesError, match="numeric dtype"):
        PostFeatures(text_columns=(), media_column=None, category_columns=()).fit_transform(X)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # hyperlinks, mentions, hashtags, emoji
        ("Hello", [0, 0, 0, 0]),
        ("Watch <mention> live <hyperlink> <hyperlink>", [2, 1, 0, 0]),
        ("raw https://t.co/abc and http://x.io/y by @Nike_US, mail a@b.com", [2, 1, 0, 0]),
        ("#Sale #2020goals #1 &#39; x#not", [0, 0, 2, 0]),
        # links next to each other are two; an @ or # inside a link is part of the link
        ("https://a.com,https://b.com and https://c.com<hyperlink>", [4, 0, 0, 0]),
        ("read https://medium.com/@user/post#about then @Nike #sale", [1, 1, 1, 0]),
        # a URL glued to a word of another script is a link, and its "/@" or "#" are none;
        # it ends at CJK punctuation and where a placeholder token starts
        ("詳細はhttps://example.com/#campaign", [1, 0, 0, 0]),
        ("記事はこちらhttps://medium.com/@brand/post-1", [1, 0, 0, 0]),
        ("زوروا موقعناhttps://example.com", [1, 0, 0, 0]),
        ("https://x.com/a。#日本 https://y.com<mention>", [2, 1, 1, 0]),
        # ... but not at the letters of those blocks (々 of 代々木, 〇, 〆), and at ？ as at ！
        ("https://example.jp/代々木/#access https://example.jp/〇〇/@staff", [2, 0, 0, 0]),
        ("https://x.com？#tag https://y.com！#sale https://z.com/a｡#top", [3, 0, 3, 0]),
        ("xhttps://a.com _https://b.com", [0, 0, 0, 0]),
        # a URL in the path or query of another (an archive or share link) is part of it
        ("https://web.archive.org/web/2020/https://brand.com/x @bob", [1, 1, 0, 0]),
        ("https://x.com/share?u=https://brand.com&r=http://y.com/#https://z.com", [1, 0, 0, 0]),
        # a URL ends at '"', "<" and ">", which no URL holds unescaped: HTML's attribute and
        # tags around it are not part of it, and the mention or hashtag after them counts
        ('<a href="https://x.com/hashtag/sale">#sale</a>', [1, 0, 1, 0]),
        ('<a href="https://x.com/bob">@bob</a> "https://y.com"#tag', [2, 1, 1, 0]),
        ("https://a.com/<b>@bob</b>", [1, 1, 0, 0]),
        ("So good \U0001f600\U0001f525 \u2764\ufe0f", [0, 0, 0, 3]),
        ("thumbs \U0001f44d\U0001f3fd flag \U0001f1fa\U0001f1f8", [0, 0, 0, 2]),
        # a ZWJ sequence (woman raising hand, family, rainbow flag) is one emoji
        ("\U0001f64b\u200d\u2640\ufe0f \U0001f468\u200d\U0001f469\u200d\U0001f467", [0, 0, 0, 2]),
        (
            "\U0001f3f3\ufe0f\u200d\U0001f308 \U0001f469\U0001f3fb\u200d\U0001f91d\u200d\U0001f468\U0001f3ff",
            [0, 0, 0, 2],
        ),
        # keycaps (with or without U+FE0F) and a subdivision flag (Scotland) count once each;
        # a digit with U+FE0F but no keycap mark is a digit
        ("1\ufe0f\u20e3 #\ufe0f\u20e3 3\u20e3 3\ufe0f", [0, 0, 0, 3]),
        ("\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", [0, 0, 0, 1]),
        # emoji with text presentation by default count (Twitter draws them as emoji) ...
        ("\u2764 \U0001f43f \U0001f5e3 \u2b06 \u2935\ufe0f \u203c\ufe0f", [0, 0, 0, 6]),
        # ... but not the legal marks without U+FE0F, nor anything asking for text (U+FE0E)
        ("Acme\u2122 \u00a9 2020 \u00ae \u2764\ufe0e", [0, 0, 0, 0]),
        ("\u00a9\ufe0f", [0, 0, 0, 1]),
        # symbols that are no emoji; lone skin tone, regional indicator, joiner
        ("\u2605 \u2713 \u266a \u27a5 \U0001f3fb \U0001f1fa \u200d", [0, 0, 0, 0]),
        ("", [0, 0, 0, 0]),
    ],
)
def test_text_counts_on_known_strings(text, expected):
    X = pd.DataFrame({"content": [text]})
    pf = PostFeatures(date_column=None, media_column=None, category_columns=())
    Xt = pf.fit_transform(X)
    assert list(pf.get_feature_names_out()) == [
        "content_length",
        "content_hyperlinks",
        "content_mentions",
        "content_hashtags",
        "content_emoji",
    ]
    assert Xt[0].tolist() == [float(len(text)), *map(float, expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # fullwidth signs, as Japanese and Chinese posts write them, are hashtags and mentions
        ("\uff03\u30bb\u30fc\u30eb \uff20\u30e6\u30fc\u30b6\u30fc", [0, 1, 1, 0]),
        ("\uff03\uff11 x\uff03no", [0, 0, 0, 0]),  # a number and a sign inside a word are not
    ],
)
def test_fullwidth_hash_and_at_signs_count(text, expected):
    pf = PostFeatures(date_column=None, media_column=None, category_columns=())
    assert pf.fit_transform(pd.DataFrame({"content": [text]}))[0, 1:].tolist() == expected


def test_text_features_are_the_same_for_composed_and_decomposed_accents():
    """An NFD text (macOS writes files so) counted its accents as two characters, and the
    combining mark let an e-mail address count as a mention and "#café#promo" as two tags."""
    import unicodedata

    text = "Write to josé@shop.com about #café#promo, señor"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    pf = PostFeatures(date_column=None, media_column=None, category_columns=())
    out = pf.fit_transform(pd.DataFrame({"content": [text, nfd]}))
    assert out[0].tolist() == out[1].tolist() == [len(text), 0, 0, 1, 0]
    # marks NFC keeps (a nukta, a vowel sign) are part of their word, not a word's end
    marked = pf.fit_transform(
        pd.DataFrame({"content": ["\u0915\u093c@user", "#\u0939\u093f\u0928\u094d\u0926\u0940#x"]})
    )
    assert marked[:, 2:4].tolist() == [[0, 0], [0, 1]]


def test_text_columns_auto_uses_content_and_caption_present():
    both = pd.DataFrame({"content": ["a #b"], "caption": ["a dog on a beach"], "x": [1]})
    pf = PostFeatures(date_column=None, media_column=None, category_columns=()).fit(both)
    assert pf.text_columns_ == ["content", "caption"]
    np.testing.assert_array_equal(pf.transform(both), [[4, 0, 0, 1, 0, 16, 0, 0, 0, 0]])
    only_caption = both.drop(columns="content")
    pf = PostFeatures(date_column=None, media_column=None, category_columns=()).fit(only_caption)
    assert pf.text_columns_ == ["caption"]
    assert pf.get_feature_names_out()[0] == "caption_length"


def test_every_missing_value_in_a_text_column_is_empty_text():
    # pd.NaT, np.float32 NaN and np.datetime64 NaT were refused: "expected a string or a
    # missing value, got NaTType NaT" (PromptBuilder took them as missing)
    X, y = _posts(6)
    X["content"] = pd.Series(
        ["a", pd.NaT, np.float32("nan"), np.datetime64("NaT"), None, "b"], dtype=object
    )
    pf = PostFeatures(cv=2, random_state=0).set_output(transform="pandas").fit(X, y)
    lengths = pf.transform(X)["content_length"].tolist()
    assert lengths == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]


def test_post_text_under_another_name_is_warned_about_in_auto_mode():
    """text_columns="auto" reads 'content' and 'caption': a post's text kept under 'text' gave
    no text features, without a word."""
    import warnings

    from skbucket.datasets import load_tweets
    from skbucket.exceptions import NoPostTextWarning

    frame = load_tweets().frame.iloc[:40]
    X, y = frame.drop(columns="likes"), frame["likes"]
    renamed = X.rename(columns={"content": "text"})
    with pytest.warns(NoPostTextWarning, match=r"PostFeatures: .*\['text'\].*text_columns") as w:
        PostFeatures(cv=2).fit(renamed, y)
    # the example is the remedy for this table, as written (['caption', <name>] failed on a
    # table without captions: "column(s) ['caption'] not found")
    example = re.search(r"e\.g\. text_columns=(\[.*?\])\)", str(w[0].message)).group(1)
    assert example == "['text']"
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoPostTextWarning)
        PostFeatures(cv=2, text_columns=eval(example)).fit(renamed, y)
    with pytest.warns(NoPostTextWarning, match=r"text_columns=\['caption', 'text'\]"):
        PostFeatures(cv=2).fit(renamed.assign(caption="a photo"), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoPostTextWarning)
        PostFeatures(cv=2).fit(X, y)
        PostFeatures(cv=2, text_columns=["text"]).fit(X.rename(columns={"content": "text"}), y)


def test_tags_and_the_notebook_repr_never_fail_on_a_bad_parameter():
    """category_columns=0 (a slip for ["username"]) made the tags raise TypeError, so the
    notebook's HTML repr printed tracebacks and check_is_fitted raised TypeError instead
    of NotFittedError; fit is where the value is refused."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils import get_tags
    from sklearn.utils.validation import check_is_fitted

    est = PostFeatures(category_columns=0)
    assert get_tags(est).target_tags.required
    assert "PostFeatures" in est._repr_html_()
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(InvalidParameterError, match="category_columns"):
        est.fit(pd.DataFrame({"content": ["a"] * 6}), np.arange(6.0))


def test_missing_text_is_empty_and_non_string_text_is_an_error():
    X = pd.DataFrame({"caption": ["abc", None, np.nan]})
    pf = PostFeatures(date_column=None, media_column=None, category_columns=())
    np.testing.assert_array_equal(pf.fit_transform(X)[:, 0], [3, 0, 0])
    with pytest.raises(PostFeaturesError, match=r"'caption', row 1: expected a string"):
        pf.transform(pd.DataFrame({"caption": ["abc", 42]}, dtype=object))
    # a lone surrogate (bytes decoded with surrogateescape) is no text, as PromptBuilder and
    # the text models say: it was counted, an emoji held as a surrogate pair as two characters
    broken = b"caf\xe9 #x".decode("utf-8", "surrogateescape")
    with pytest.raises(PostFeaturesError, match=r"'caption', row 2: .*not valid Unicode"):
        pf.transform(pd.DataFrame({"caption": ["abc", "\u00e9", broken]}, dtype=object))


def test_media_count_and_kinds_on_real_media_strings():
    X = pd.DataFrame(
        {
            "media": [
                f"[{PHOTO}]",
                f"[{PHOTO}, {PHOTO}, {VIDEO}]",
                f"[{GIF}]",
                "[]",
                None,
                "images/cat.png",
            ]
        }
    )
    pf = PostFeatures(text_columns=(), date_column=None, category_columns=())
    Xt = pf.fit_transform(X)
    assert list(pf.get_feature_names_out()) == ["media_count"] + [f"media_{k}" for k in MEDIA_KINDS]
    np.testing.assert_array_equal(
        Xt,
        [
            # count, photo, video, gif, image
            [1, 1, 0, 0, 0],
            [3, 2, 1, 0, 0],
            [1, 0, 0, 1, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [1, 0, 0, 0, 1],
        ],
    )


def test_bad_media_names_the_row():
    X = pd.DataFrame({"media": [f"[{PHOTO}]", "[__import__('os').system('ls')]"]}, index=[5, 6])
    pf = PostFeatures(text_columns=(), date_column=None, category_columns=())
    with pytest.raises(PostFeaturesError, match=r"media column 'media', row 6"):
        pf.fit_transform(X)


# ----------------------------------------------------------------------------- encodings
def test_fit_transform_is_cross_fitted_and_transform_uses_full_fit():
    X, y = _posts(30)
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    full = pf.transform(X)
    crossed = clone(pf).fit_transform(X, y)
    names = list(pf.get_feature_names_out())
    t = [names.index(f"{c}_target") for c in pf.category_columns_]
    counts = [names.index(f"{c}_count") for c in pf.category_columns_]
    # the other features are the same, the encodings are not (each row's fold is held out)
    others = [j for j in range(full.shape[1]) if j not in t + counts]
    np.testing.assert_array_equal(full[:, others], crossed[:, others])
    assert not np.allclose(full[:, t], crossed[:, t])
    # transform encodes with sklearn's TargetEncoder fitted on log1p(y) over all rows
    np.testing.assert_allclose(
        full[:, t], pf.target_encoder_.transform(X[["username", "inferred_company"]])
    )


def test_unique_username_does_not_encode_its_own_target():
    X, y = _posts(30)
    y = np.full(30, 10.0)
    X.loc[7, "username"] = "one-off"
    y[7] = 100_000.0  # an extreme target only this row has
    pf = PostFeatures(cv=5, random_state=0)
    Xt = pf.fit_transform(X, y)
    enc = _feature(pf, Xt, "username_target")
    # cross-fitted: the one-off account is unseen in the other folds -> the (other folds') mean,
    # nowhere near log1p(100000) = 11.5
    assert enc[7] < np.log1p(10.0) + 1.0
    assert _feature(pf, Xt, "username_count")[7] == 0.0
    # the full-data fit (used at predict) does learn it
    full = pf.transform(X)
    assert _feature(pf, full, "username_target")[7] > enc[7] + 1.0
    assert _feature(pf, full, "username_count")[7] == 1.0


def test_unseen_values_at_transform_get_global_mean_and_zero_count():
    X, y = _posts(30)
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    new = X.head(2).assign(username=["nobody", "nobody"], inferred_company=["newco", np.nan])
    Xt = pf.transform(new)
    mean = pf.target_encoder_.target_mean_
    np.testing.assert_allclose(_feature(pf, Xt, "username_target"), [mean, mean])
    np.testing.assert_allclose(_feature(pf, Xt, "inferred_company_target"), [mean, mean])
    np.testing.assert_array_equal(_feature(pf, Xt, "username_count"), [0, 0])
    np.testing.assert_allclose(mean, np.log1p(y).mean())


def test_unseen_counts_are_the_posts_encoded_as_new_accounts():
    X, y = _posts(30)
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    assert pf.unseen_counts(X) == {"username": 0, "inferred_company": 0}
    new = X.head(4).assign(
        username=["nobody", "nobody", None, X["username"].iloc[0]],
        inferred_company=["newco", np.nan, "", X["inferred_company"].iloc[1]],
    )
    counts = pf.unseen_counts(new)
    assert counts == {"username": 2, "inferred_company": 1}  # missing and blank: not counted
    # exactly the rows the encodings give a count of 0 (and that are not missing)
    Xt = pf.transform(new)
    for column, n in counts.items():
        zero = _feature(pf, Xt, f"{column}_count") == 0
        assert (zero & new[column].replace("", np.nan).notna().to_numpy()).sum() == n
    # only the category columns are read: the raw posts' other columns may be absent
    assert pf.unseen_counts(new[["username", "inferred_company"]]) == counts
    with pytest.raises(PostFeaturesError, match=r"unseen_counts: column\(s\) \['username'\]"):
        pf.unseen_counts(new.drop(columns="username"))
    with pytest.raises(NotFittedError):
        PostFeatures().unseen_counts(new)
    assert pf.unseen_counts(new.head(0)) == {"username": 0, "inferred_company": 0}
    # a category column held twice (after a pd.concat) is named, as transform names it
    twice = pd.concat([new, new[["username"]]], axis=1)
    for method in (pf.transform, pf.unseen_counts):
        with pytest.raises(PostFeaturesError, match="column 'username' appears 2 times in X"):
            method(twice)


def test_categories_compare_as_text():
    X = pd.DataFrame({"username": pd.Series([123, "123", "abc", None], dtype=object)})
    pf = PostFeatures(
        text_columns=(), date_column=None, media_column=None, category_columns=["username"], cv=2
    )
    pf.fit(X, [1, 3, 5, 7])
    assert pf.counts_[0] == {"123": 2, "abc": 1}
    np.testing.assert_array_equal(pf.transform(X)[:, 1], [2, 2, 1, 0])


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([123, "123", "abc", None, np.nan, pd.NA, 7.0, np.int64(7), True], dtype=object),
        pd.Series([1, 2, None], dtype="Int64"),
        pd.Series([1.0, np.nan, 2.5, 2**60]),
        pd.Series(["a", None, "b"], dtype="str"),
        pd.Series(["x", "y", None], dtype="category"),
        pd.Series([5, 6, 7]),
    ],
    ids=["mixed objects", "Int64", "floats", "str", "category", "ints"],
)
@pytest.mark.parametrize("index", ["default", "duplicated strings"])
def test_category_cells_are_read_as_pandas_read_them(column, index):
    """The category cells are now made one by one (pandas' astype/where/map chain cost 2.5 ms
    per predict): each cell, its type and the frame's labels must be what the chain made."""
    from skbucket.features import _category_text

    X = pd.DataFrame({"username": column, "inferred_company": column[::-1].to_numpy()})
    if index == "duplicated strings":
        X.index = ["r"] * len(X)
    pf = PostFeatures(text_columns=(), date_column=None, media_column=None)
    pf.category_columns_ = ["username", "inferred_company"]
    got = pf._categories(X)
    cats = X[pf.category_columns_].copy().astype(object)
    expected = cats.where(cats.isna(), cats.map(_category_text)).where(cats.notna(), np.nan)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for g, e in zip(got.to_numpy().ravel(), expected.to_numpy().ravel(), strict=True):
        assert type(g) is type(e) and (g == e or (pd.isna(g) and pd.isna(e)))


def test_a_decimal_account_id_written_with_its_scale_is_the_same_account():
    """Account ids from a database's NUMERIC(12, 2) column (decimals: ``Decimal("1000.00")``,
    in an object column or a pyarrow ``decimal128(12, 2)`` one) were the accounts "1000.00",
    new to a model fitted on the ids as integers (or as floats, ``1000.0``): every row encoded
    as an unseen account and its prompt written "Username: 1000.00"."""
    import decimal

    import pyarrow as pa

    from skbucket.prompts import PromptBuilder

    X, y = _posts(12)
    ids = X["username"].map({"ann": 1000, "bob": 2000, "cy": 3000})
    X = X.assign(username=ids)
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    prompts = PromptBuilder().fit(X)
    expected, written = pf.transform(X), prompts.transform(X)
    scaled = [decimal.Decimal(int(v)).quantize(decimal.Decimal("0.01")) for v in ids]
    for column in (
        pd.Series(scaled, dtype=object),
        pd.Series(scaled, dtype=pd.ArrowDtype(pa.decimal128(12, 2))),
        ids.astype(float),
    ):
        again = X.assign(username=column.to_numpy())
        np.testing.assert_array_equal(pf.transform(again), expected)
        np.testing.assert_array_equal(prompts.transform(again), written)
        refit = PostFeatures(cv=3, random_state=0).fit(again, y)
        assert refit.counts_[0] == pf.counts_[0] == {"1000": 4, "2000": 4, "3000": 4}
    assert "Username: 1000," in written[0, 0]


def test_a_decimal_account_id_is_written_in_full_or_as_str_writes_it():
    """A whole Decimal was written with int(), which writes at most 4,300 digits:
    Decimal("1E+5000") as an account id raised ValueError in PostFeatures, PromptBuilder and
    the account models; a fraction, NaN or infinity is written as str writes it."""
    from decimal import Decimal

    from skbucket._cells import _category_text

    cases = [  # pairs: equal decimals are one dict key
        (Decimal("1000.00"), "1000"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.00"), "0"),
        (Decimal("0E-5"), "0"),
        (Decimal("-12.000"), "-12"),
        (Decimal("12345678901234567890123456789.000"), "12345678901234567890123456789"),
        (Decimal("1000.50"), "1000.50"),
        (Decimal("1E-30"), "1E-30"),
        (Decimal("NaN"), "NaN"),
        (Decimal("-Infinity"), "-Infinity"),
        (Decimal("1E+4000"), "1" + "0" * 4000),
        (Decimal("1E+5000"), "1E+5000"),
        (Decimal("1E+999999999"), "1E+999999999"),
    ]
    assert [(value, _category_text(value)) for value, _ in cases] == cases


def test_an_account_spelt_differently_at_transform_is_encoded_as_new_and_said_so():
    X, y = _posts(12)
    pf = PostFeatures(cv=3, random_state=0).set_output(transform="pandas").fit(X, y)
    respelt = X.assign(username=X["username"].str.upper() + " ")  # 'ANN ' for 'ann'
    with pytest.warns(AccountSpellingWarning, match=r"3 value\(s\) of 'username' .*'ANN '"):
        out = pf.transform(respelt)
    assert (out["username_count"] == 0).all()  # still a new account: a warning, no guess
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same spellings, or truly new ones: no warning
        pf.transform(X)
        pf.transform(X.assign(username="someone new"))


def test_an_account_spelt_with_other_unicode_code_points_is_said_so_too():
    """A decomposed accent (macOS's NFD) or a zero-width space from a copy-paste looks the
    same to a reader and was encoded as a new account with no warning."""
    X, y = _posts(12)
    X = X.assign(username=X["username"].map({"ann": "Zoë", "bob": "Ann", "cy": "cy"}))
    pf = PostFeatures(cv=3, random_state=0).set_output(transform="pandas").fit(X, y)
    for respelt in ("Zoe\u0308", "Zo\u200bë", "\ufeffZoë", "Ｚoë"):  # NFD, ZWSP, BOM, fullwidth
        with pytest.warns(AccountSpellingWarning, match="Unicode normalisation") as caught:
            out = pf.transform(X.assign(username=X["username"].replace("Zoë", respelt)))
        assert repr(respelt) in str(caught[0].message)
        assert (out["username_count"][X["username"] == "Zoë"] == 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pf.transform(X.assign(username="Zoe"))  # another name, not another spelling
    # the warning's advice, applied at fit and transform, makes them one account
    advice = re.search(r"\(e\.g\. (.*) on both\)", str(caught[0].message)).group(1)
    assert advice.startswith(".astype(") and "import" not in advice

    def follow(column):  # the advice as written: a chain of pandas' string methods
        return eval("column" + advice, {"column": column})

    tidy = PostFeatures(cv=3, random_state=0).set_output(transform="pandas")
    tidy.fit(X.assign(username=follow(X["username"])), y)
    respellings = ("Zoe\u0308", "Zo\u200bë", "\ufeffZoë", "Ｚoë", "Zo\u00adë", "\u200eZoë", "@Zoë ")
    # bidi isolates (a name copied from a right-to-left interface), the Arabic letter mark
    respellings += ("\u2066Zoë\u2069", "\u2068Zoë\u2069", "\u061cZoë")
    # an account that is a number (an id) stays that account, not a missing value (.str
    # methods make NaN of what is not text)
    numeric = pd.Series(["Zoë", 123], dtype=object)
    assert follow(numeric).tolist() == ["zoë", "123"]
    for respelt in respellings:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = tidy.transform(X.assign(username=follow(X["username"].replace("Zoë", respelt))))
        assert (out["username_count"] > 0).all(), repr(respelt)
    # every invisible (format) character the warning ignores, the advice removes, and no other
    from skbucket.features import _spelling_key

    formats = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    keyed = pd.Series([_spelling_key(f"z{c}z") for c in formats])
    advised = follow(pd.Series([f"z{c}z" for c in formats]))
    assert (keyed == advised).all(), [c for c, k, a in zip(formats, keyed, advised) if k != a]


def test_a_handle_written_with_its_at_sign_is_the_same_spelling():
    """'@ann' for 'ann' (a handle as mentioned, from another export) was encoded as a new
    account without the warning that 'ANN ' gets."""
    X, y = _posts(12)
    pf = PostFeatures(cv=3, random_state=0).set_output(transform="pandas").fit(X, y)
    for at in ("@", "＠", " @ "):
        with pytest.warns(AccountSpellingWarning, match=r"a leading @.*'ann'") as caught:
            out = pf.transform(X.assign(username=at + X["username"]))
        assert repr(at + "ann") in str(caught[0].message)
        assert (out["username_count"] == 0).all()


def test_one_account_spelt_several_ways_in_training_is_said_so_at_fit():
    """A merged export holding 'IndependentNGR', 'independentngr ' and '@IndependentNGR'
    was fitted as three accounts without a word; the real data holds no such spellings."""
    X, y = _posts(12)  # ann, bob, cy
    split = X.assign(
        username=X["username"].replace({"ann": "Ann"}).where(X.index % 4 != 1, "@ann ")
    )
    with pytest.warns(
        AccountSpellingWarning, match=r"1 account\(s\) of 'username' .*more than one way"
    ) as caught:
        PostFeatures(cv=3, random_state=0).fit(split, y)
    assert "['@ann ', 'Ann']" in str(caught[0].message)
    assert len(caught) == 1  # the company column is written one way
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PostFeatures(cv=3, random_state=0).fit(X, y)


def test_counts_at_transform_are_training_counts():
    X, y = _posts(12)  # ann, bob, cy: 4 each; acme 8, zed 4
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    Xt = pf.transform(X.head(3))
    np.testing.assert_array_equal(_feature(pf, Xt, "username_count"), [4, 4, 4])
    np.testing.assert_array_equal(_feature(pf, Xt, "inferred_company_count"), [8, 8, 4])


def test_target_transform_none_and_negative_y():
    X, y = _posts(12)
    with pytest.raises(PostFeaturesError, match=r"y >= 0.*y\[2\] = -1"):
        PostFeatures(cv=3).fit(X, np.r_[1, 2, -1, np.ones(9)])
    pf = PostFeatures(cv=3, target_transform=None).fit(X, y)
    np.testing.assert_allclose(pf.target_encoder_.target_mean_, y.mean())


def test_y_of_another_length_is_said_as_bucketed_regressor_says_it():
    """scikit-learn's "Found input variables with inconsistent numbers of samples: [6, 4]"
    said neither which was X nor what to do."""
    X, y = _posts(6)
    with pytest.raises(
        PostFeaturesError, match=r"^X and y have different lengths: X has 6 rows but y has 4; "
    ):
        PostFeatures(cv=2).fit(X, y[:4])


def test_y_is_required_with_category_columns():
    X, _ = _posts(6)
    with pytest.raises(PostFeaturesError, match="requires y to be passed"):
        PostFeatures().fit(X)
    assert PostFeatures(category_columns=()).fit(X).transform(X).shape == (6, _UNENCODED)


def test_deterministic_with_random_state():
    X, y = _posts(30)
    a = PostFeatures(random_state=3).fit_transform(X, y)
    b = PostFeatures(random_state=3).fit_transform(X, y)
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- conventions
def test_missing_column_error_names_column_and_columns_present():
    X, y = _posts(6)
    with pytest.raises(PostFeaturesError, match=r"\['media'\] not found.*present: \['content'"):
        PostFeatures().fit(X.drop(columns="media"), y)
    pf = PostFeatures().fit(X, y)
    with pytest.raises(PostFeaturesError, match=r"\['username'\] not found"):
        pf.transform(X.drop(columns="username"))


def test_column_order_at_transform_does_not_matter():
    X, y = _posts(12)
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    shuffled = X[X.columns[::-1]].assign(extra=1)
    np.testing.assert_array_equal(pf.transform(shuffled), pf.transform(X))


@pytest.mark.parametrize(
    "changed", [{"count_encoding": False}, {"date_column": None}, {"media_column": None}]
)
def test_settings_changed_after_fit_take_effect_at_the_next_fit(changed):
    """The step after PostFeatures was fit on the features of its fit: set_params on the
    fitted transformer changes neither its output nor its names until it is fit again."""
    X, y = _posts(12)
    pipe = make_pipeline(PostFeatures(cv=3, random_state=0), DecisionTreeRegressor(random_state=0))
    pipe.fit(X, y)
    pf = pipe.named_steps["postfeatures"]
    before, names = pf.transform(X), pf.get_feature_names_out()
    pred = pipe.predict(X)
    pf.set_params(**changed)
    np.testing.assert_array_equal(pf.transform(X), before)
    np.testing.assert_array_equal(pf.get_feature_names_out(), names)
    np.testing.assert_array_equal(pipe.predict(X), pred)
    refit = pf.fit(X, y)
    assert refit.transform(X).shape[1] == len(refit.get_feature_names_out()) < len(names)


@pytest.mark.parametrize(
    "changed, said",
    [
        ({"dayfirst": "false"}, "dayfirst"),  # a truthy text read day first
        ({"invalid_dates": "Raise"}, "invalid_dates"),  # a typo that acted as "nan"
    ],
)
def test_a_setting_used_at_transform_is_validated_there_when_set_after_fit(changed, said):
    from sklearn.utils._param_validation import InvalidParameterError

    X = pd.DataFrame({"content": ["a", "b"], "date": ["03/04/2021 10:00", "05/06/2021"]})
    pf = PostFeatures(media_column=None, category_columns=()).fit(X)
    months = pf.transform(X)[:, 2]
    pf.set_params(**changed)
    with pytest.raises(InvalidParameterError, match=said):
        pf.transform(X)
    pf.set_params(dayfirst=False, invalid_dates="nan")
    np.testing.assert_array_equal(pf.transform(X)[:, 2], months)


def test_set_output_pandas_and_feature_names():
    X, y = _posts(12)
    X.index = X.index + 100
    pf = PostFeatures(cv=3).set_output(transform="pandas")
    Xt = pf.fit_transform(X, y)
    assert isinstance(Xt, pd.DataFrame)
    assert list(Xt.columns) == list(pf.get_feature_names_out())
    assert (Xt.dtypes == np.float64).all()
    assert list(Xt.index) == list(X.index)
    assert list(Xt.columns[-4:]) == [
        "username_target",
        "inferred_company_target",
        "username_count",
        "inferred_company_count",
    ]
    assert isinstance(pf.transform(X), pd.DataFrame)


def test_in_pipeline_grid_search_and_pickle():
    X, y = _posts(30)
    pipe = make_pipeline(PostFeatures(cv=3, random_state=0), DecisionTreeRegressor(random_state=0))
    gs = GridSearchCV(pipe, {"postfeatures__count_encoding": [True, False]}, cv=KFold(3))
    gs.fit(X, y)
    again = pickle.loads(pickle.dumps(gs.best_estimator_))
    np.testing.assert_array_equal(again.predict(X), gs.best_estimator_.predict(X))


def test_real_data_all_rows_transform(shared_data):
    tweets = pd.read_csv(shared_data / "tweets.csv.gz")
    captioned = pd.read_csv(shared_data / "posts_captioned.csv.gz").head(3000)
    for df, text in ((tweets, "content"), (captioned, "caption")):
        pf = PostFeatures(random_state=0).set_output(transform="pandas")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every real date parses
            Xt = pf.fit_transform(df, df["likes"])
            full = pf.transform(df.sample(frac=1.0, random_state=0)[df.columns[::-1]])
        assert Xt.shape == (len(df), _UNENCODED + 2 * 2)  # two accounts: encoding, count
        assert not Xt.isna().any().any()
        assert not full.isna().any().any()
        assert pf.text_columns_ == [text]
        assert (Xt["media_count"] >= 1).all()  # every real post has media
        assert Xt["year"].between(2018, 2022).all()
    # the tweets' text always holds at least one <hyperlink> (data README)
    pf = PostFeatures(category_columns=()).fit(tweets)
    assert (_feature(pf, pf.transform(tweets), "content_hyperlinks") >= 1).all()


# ----------------------------------------------------------------------------- sklearn checks
# The checks feed numeric arrays; this instance reads column 0 (integer position) as a category,
# which exercises the target/count encoders, validation and output machinery.
_CHECKS_INSTANCE = PostFeatures(
    text_columns=(),
    date_column=None,
    media_column=None,
    category_columns=(0,),
    target_transform=None,
    cv=3,
)
_EXPECTED_FAILED = {
    "check_transformer_general": (
        "fit_transform cross-fits the target/count encodings (no target leakage), so it "
        "differs from fit().transform() on the training rows by design"
    ),
    "check_transformer_data_not_an_array": "same cross-fitting difference as above",
}


@parametrize_with_checks([_CHECKS_INSTANCE], expected_failed_checks=lambda est: _EXPECTED_FAILED)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_day_first_dates_error_unless_dayfirst_and_iso_dates_stay_iso():
    posts = pd.DataFrame(
        {
            "content": ["a", "b", "c", "d"],
            "username": ["u", "v", "u", "v"],
            "inferred_company": ["x", "x", "y", "y"],
            "date": ["13/04/2021 10:00", "03/04/2021 10:00", "2021-04-05 09:00", None],
            "media": ["[]"] * 4,
        }
    )
    likes = [1, 2, 3, 4]
    with pytest.raises(PostFeaturesError, match=r"row 0 '13/04/2021 10:00' .* row 1 '03/04/"):
        PostFeatures(cv=2).fit_transform(posts, likes)
    with pytest.raises(PostFeaturesError, match=r"row 0 '13/04/2021 10:00' .* row 1 '03/04/"):
        PostFeatures(cv=2).fit(posts, likes)  # refused at fit, not first at transform
    pf = PostFeatures(cv=2, dayfirst=True).set_output(transform="pandas")
    out = pf.fit_transform(posts, likes)[["hour", "weekday", "month", "year"]]
    # 13 and 3 April 2021 (a Tuesday and a Saturday); ISO 2021-04-05 is not read as 4 May
    assert out.iloc[:3].to_numpy().tolist() == [
        [10.0, 1.0, 4.0, 2021.0],
        [10.0, 5.0, 4.0, 2021.0],
        [9.0, 0.0, 4.0, 2021.0],
    ]
    assert out.iloc[3].isna().all()
    # the prompt reads the same instants
    prompts = PromptBuilder(template="{date}", dayfirst=True).fit_transform(posts)[:3, 0]
    assert list(prompts) == ["2021-04-13 10:00:00", "2021-04-03 10:00:00", "2021-04-05 09:00:00"]
    with pytest.raises(InvalidParameterError, match="dayfirst"):
        PostFeatures(dayfirst="yes").fit(posts, likes)


def test_a_date_order_seen_at_fit_is_kept_at_transform():
    posts = pd.DataFrame(
        {
            "content": ["a", "b"],
            "username": ["u", "v"],
            "inferred_company": ["x", "y"],
            "date": ["13/04/2021 10:00", "14/04/2021 10:00"],
            "media": ["[]"] * 2,
        }
    )
    pf = PostFeatures(cv=2).fit(posts, [1, 2])
    assert pf.day_month_examples_ == ("13/04/2021 10:00",)
    later = posts.assign(date=["03/04/2021 10:00", None])
    with pytest.raises(PostFeaturesError, match=r"'13/04/2021 10:00', seen at fit, .* row 0 "):
        pf.transform(later)
    month = pf.set_params(dayfirst=True).set_output(transform="pandas").transform(later)["month"]
    assert month.iloc[0] == 4.0  # 3 April
    assert PostFeatures(cv=2, date_column=None).fit(posts, [1, 2]).day_month_examples_ == ()


def test_a_polars_date_column_is_read_as_days_as_pandas_dates_are():
    """polars' to_pandas turned a Date column into midnight timestamps: an hour feature of
    zeros and prompts "at midnight", where the same dates in pandas were days."""
    import datetime

    pl = pytest.importorskip("polars")
    posts = pd.DataFrame(
        {"content": ["a", "b"] * 3, "date": [datetime.date(2020, 6, 15 + i) for i in range(6)]}
    )
    for X in (posts, pl.from_pandas(posts)):
        pf = PostFeatures(media_column=None, category_columns=())
        assert list(pf.fit(X).get_feature_names_out())[:3] == ["weekday", "month", "year"]
        prompt = PromptBuilder().fit_transform(X)[0, 0]
        assert prompt.endswith("Date and time: 2020-06-15, posted on Monday.")


def test_polars_and_arrow_posts_read_as_pandas_and_polars_output():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    X, y = _posts(12)
    expected = PostFeatures(cv=3, random_state=0).fit(X, y)
    fitted_on_pandas = expected.transform(X)
    for given in (pl.from_pandas(X), pa.Table.from_pandas(X, preserve_index=False)):
        pf = PostFeatures(cv=3, random_state=0)
        # the cross-fitted encodings of fit_transform too: the same folds, the same numbers
        np.testing.assert_allclose(
            pf.fit_transform(given, y), PostFeatures(cv=3, random_state=0).fit_transform(X, y)
        )
        assert pf.feature_names_in_.tolist() == X.columns.tolist()
        np.testing.assert_allclose(pf.transform(given), fitted_on_pandas)
        np.testing.assert_allclose(expected.transform(given), fitted_on_pandas)
    pf = PostFeatures(cv=3, random_state=0).set_output(transform="polars")
    out = pf.fit(pl.from_pandas(X), y).transform(pl.from_pandas(X))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == pf.get_feature_names_out().tolist()
    np.testing.assert_allclose(out.to_numpy(), fitted_on_pandas)
    arrow = [pa.array(X["content"].tolist()), pa.chunked_array([X["content"].tolist()])]
    for column in (pl.from_pandas(X)["content"], *arrow):
        with pytest.raises(PostFeaturesError, match="2-D table of posts .* got a 1-D"):
            PostFeatures().fit(column, y)


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        (b"CNN", r"expected text \(str\), got bytes b'CNN'"),
        (["CNN"], r"expected one text or number, got a list \(\['CNN'\]\)"),
        ({"name": "CNN"}, r"expected one text or number, got a dict"),
    ],
    ids=["bytes", "list", "dict"],
)
def test_an_account_cell_that_is_no_single_text_is_refused_by_every_reader(cell, said):
    """Bytes, lists and dicts became accounts "b'CNN'" and "['CNN']" for PostFeatures (and
    for GroupMedianRegressor, bytes) without a word; the readers now agree: an error naming
    the column and the row."""
    from skbucket.baselines import GroupMedianRegressor

    posts = pd.DataFrame(
        {
            "content": ["hi", "yo"] * 4,
            "username": ["CNN", "BBC"] * 4,
            "inferred_company": ["cnn", "bbc"] * 4,
            "date": ["2021-01-01 10:00"] * 8,
            "media": ["[]"] * 8,
        }
    ).astype(object)
    posts.at[5, "username"] = cell
    likes = [10, 200] * 4
    with pytest.raises(PostFeaturesError, match=rf"column 'username', row 5: {said}"):
        PostFeatures(cv=2).fit(posts, likes)
    with pytest.raises(PromptError, match=rf"column 'username' \(role 'username'\), row 5: {said}"):
        PromptBuilder().fit_transform(posts)
    if not isinstance(cell, bytes):  # unhashable: GroupMedianRegressor's own TypeError
        return
    with pytest.raises(ValueError, match=rf"grouping column 'username', row 5: {said}"):
        GroupMedianRegressor().fit(posts, likes)


# mutation-audit tests: each fails on a plausible one-line slip in features.py
def _accounts(**params):
    return PostFeatures(
        text_columns=(),
        date_column=None,
        media_column=None,
        category_columns=("username",),
        **params,
    )


def test_out_of_fold_counts_are_scaled_to_the_full_training_set():
    X = pd.DataFrame({"username": ["a"] * 4})
    out = _accounts(cv=2, shuffle=False).fit_transform(X, [1, 2, 3, 4])
    np.testing.assert_allclose(out[:, 1], 4.0)  # 2 posts in the other fold * 4 / 2


def test_a_hash_in_a_link_is_no_hashtag():
    X = pd.DataFrame({"content": ["see https://x.com/#section now"]})
    pf = PostFeatures(
        text_columns=("content",), date_column=None, media_column=None, category_columns=()
    ).set_output(transform="pandas")
    assert pf.fit_transform(X).loc[0, "content_hashtags"] == 0


def test_count_and_target_encodings_share_their_folds():
    rng = np.random.RandomState(0)
    users = np.repeat([f"u{i}" for i in range(60)], 2)
    y = rng.randint(0, 10_000, size=users.size).astype(float)
    out = _accounts(cv=5, smooth=0.0, random_state=0).fit_transform(
        pd.DataFrame({"username": users}), y
    )
    target, count = out[:, 0], out[:, 1]
    other = np.log1p(y.reshape(-1, 2)[:, ::-1].reshape(-1))  # the account's other post
    # seen in the other folds (count > 0) <=> encoded by the other post's target
    assert ((count > 0) == np.isclose(target, other)).all()


def test_transform_uses_the_smooth_parameter():
    X = pd.DataFrame({"username": ["a", "a", "b", "b"]})
    y = np.array([0.0, 2.0, 10.0, 30.0])
    out = _accounts(cv=2, smooth=0.0).fit(X, y).transform(X)
    np.testing.assert_allclose(
        out[:, 0], np.repeat([np.log1p([0, 2]).mean(), np.log1p([10, 30]).mean()], 2)
    )


def test_fit_transform_uses_the_smooth_parameter_too():
    """The cross-fitted encodings of the training rows: their encoder's smooth could be
    replaced by "auto" unseen (the training rows and new rows encoded unlike)."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"username": rng.choice(list("abcdefgh"), 80)})
    y = rng.randint(0, 1000, 80).astype(float)
    low, high, auto = (
        _accounts(cv=2, smooth=smooth, random_state=0).fit_transform(X, y)
        for smooth in (0.0, 1e6, "auto")
    )
    np.testing.assert_array_equal(low[:, 1], high[:, 1])  # the same folds: the same counts
    assert not np.allclose(low[:, 0], high[:, 0]) and not np.allclose(low[:, 0], auto[:, 0])


def test_text_counts_equal_each_pattern_run_on_every_text():
    """The patterns run only on texts holding a character their matches need, and the emoji
    pattern only where an emoji can start: the counts are those of running every pattern on
    every text (the reading below), on random texts of the characters that matter."""
    import random
    import unicodedata

    from skbucket import features as F

    rng = random.Random(0)
    alphabet = [
        *"ab #@<>:/htps*1 \u20e3\ufe0f\ufe0e\u200d\u0301é✨👩🏽🇫🇷©®™♪★ſK\uff03\uff20",
        "क़", "ि", "\U0001f3f4", "\U000e0067", "\U000e007f", "https://x.co", "<hyperlink>",
        "<mention>", "<HYPERLINK>", "&#39;", "@user", "#tag", "#1", "http://a.b/@c",
    ]  # fmt: skip
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(4000)]
    X = pd.DataFrame({"content": texts})
    pf = PostFeatures(
        text_columns=["content"], media_column=None, date_column=None, category_columns=()
    )
    out = pf.fit_transform(X)
    # a blank text is a missing one, as PromptBuilder reads it: no characters
    nfc = [unicodedata.normalize("NFC", t) if t.strip() else "" for t in texts]
    unlinked, links = zip(*(F._HYPERLINK_RE.subn(" ", t) for t in nfc))
    marked = [F._MARK_RE.sub("a", t) for t in unlinked]
    expected = np.column_stack(
        [
            [len(t) for t in nfc],
            links,
            [len(F._MENTION_RE.findall(t)) for t in marked],
            [len(F._HASHTAG_RE.findall(t)) for t in marked],
            [len(F._EMOJI_RE.findall(t)) for t in nfc],
        ]
    )
    np.testing.assert_array_equal(out, expected)
    assert (expected[:, 1:] > 0).mean(axis=0).min() > 0.05  # every count is exercised


def test_a_blank_account_is_missing_as_an_empty_csv_cell_is():
    """A CSV's empty cell is read as missing, a Parquet file keeps "": a blank username or
    company was an account of its own in the target and count encodings (PromptBuilder read
    it as missing), so the same table gave other features in the two formats."""
    X, y = _posts(12)
    X.loc[[1, 4, 7], "username"] = np.nan
    X.loc[[2], "inferred_company"] = None
    blank = X.copy()
    blank.loc[[1, 4, 7], "username"] = ["", " ", "\t"]
    blank.loc[[2], "inferred_company"] = ""
    pf = PostFeatures(cv=3, random_state=0)
    np.testing.assert_array_equal(pf.fit_transform(blank, y), pf.fit_transform(X, y))
    fitted = PostFeatures(cv=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(fitted.transform(blank), fitted.transform(X))


def test_windows_line_ends_count_as_the_line_breaks_they_are():
    """A CSV checked out on Windows (git's autocrlf) holds "\\r\\n" in its multi-line cells:
    the same post's content_length was larger by one per line break."""
    X, y = _posts(12)
    X.loc[:, "content"] = [f"Big news!\nNew store {i}\nopens today #sale" for i in range(12)]
    crlf = X.assign(content=X["content"].str.replace("\n", "\r\n"))
    old_mac = X.assign(content=X["content"].str.replace("\n", "\r"))
    fitted = PostFeatures(cv=3, random_state=0).fit(X, y)
    expected = fitted.transform(X)
    for other in (crlf, old_mac):
        np.testing.assert_array_equal(fitted.transform(other), expected)


def test_errors_name_a_subclass_of_post_features_and_prompt_builder():
    """They named the parent class: in a pipeline of the user's own classes, the message
    pointed at a class the user never wrote."""

    class MoreFeatures(PostFeatures):
        pass

    class ShoutPrompt(PromptBuilder):
        pass

    from skbucket.datasets import load_tweets

    posts = load_tweets().frame.iloc[:30]
    with pytest.raises(PostFeaturesError, match=r"^MoreFeatures: column\(s\) \['username'\]"):
        MoreFeatures().fit(posts.drop(columns="username"), posts["likes"])
    with pytest.raises(PromptError, match=r"^ShoutPrompt: `template` must be None"):
        ShoutPrompt(template=5).fit(posts)
    with pytest.raises(PromptError, match=r"^ShoutPrompt\.fit needs a pandas or polars"):
        ShoutPrompt().fit(posts.to_numpy())
    with pytest.raises(PromptError, match=r"^ShoutPrompt: column\(s\) 'username' \(role"):
        ShoutPrompt().fit(posts).transform(posts.drop(columns="username"))
    # and the messages raised from helpers (the seventh session's list missed them)
    with pytest.raises(PostFeaturesError, match=r"^MoreFeatures requires y to be passed"):
        MoreFeatures().fit(posts)
    with pytest.raises(PostFeaturesError, match=r"^MoreFeatures: column 'id' appears 2 times"):
        MoreFeatures().fit(pd.concat([posts, posts[["id"]]], axis=1), posts["likes"])
    with pytest.raises(PostFeaturesError, match=r"^MoreFeatures expects a 2-D table"):
        MoreFeatures().fit(posts["content"], posts["likes"])
    bad = posts.astype({"content": object})
    bad.iloc[2, bad.columns.get_loc("content")] = b"bytes"
    with pytest.raises(PromptError, match=r"^ShoutPrompt: column 'content' \(role 'content'\)"):
        ShoutPrompt().fit(posts).transform(bad)

    def broken(fields):
        raise KeyError("nope")

    with pytest.raises(KeyError) as raised:
        ShoutPrompt(template=broken).fit(posts).transform(posts)
    assert any(note.startswith("(ShoutPrompt: in the template") for note in raised.value.__notes__)


def test_a_feature_named_but_not_computed_is_said_to_be_so(monkeypatch):
    """A contributor who added a text feature's computation but not its name (or the name
    only) got pandas' "Length mismatch: Expected axis has 6 elements, new values have 5", or,
    with array output, columns silently misnamed by get_feature_names_out."""
    import skbucket.features as features

    posts = pd.DataFrame(
        {"content": ["a #b", "c"], "username": ["u", "v"], "inferred_company": ["x", "y"]}
    )
    pf = PostFeatures(date_column=None, media_column=None, cv=2).fit(posts, [1, 10])
    monkeypatch.setattr(features, "TEXT_FEATURES", (*features.TEXT_FEATURES, "question_marks"))
    with pytest.raises(
        RuntimeError, match=r"computed (\d+) features but names (?!\1)\d+ .*TEXT_FEATURES"
    ):
        pf.transform(posts)


def test_post_keys_tell_the_training_posts_whatever_their_cells_type():
    """The hashes of the training posts (for skbucket.pipeline.seen_posts, which warns of an
    evaluation on them): of the identifying columns only, not of a caption a captioner
    makes; the same post read again (an id turned float, a blank read as missing) matches."""
    from skbucket.pipeline import seen_posts

    X, y = _posts(30)
    pf = PostFeatures(cv=3, random_state=0).fit(X.assign(caption="a photo"), y)
    assert pf.post_key_columns_ == ["username", "inferred_company", "date", "media", "content"]
    assert pf.post_keys_.dtype == np.uint64 and pf.post_keys_.size == 30
    assert (np.diff(pf.post_keys_.astype(object)) > 0).all()  # sorted, distinct
    twice = PostFeatures(cv=3, random_state=0).fit(pd.concat([X, X]), np.r_[y, y])
    np.testing.assert_array_equal(twice.post_keys_, pf.post_keys_)  # no caption: the same
    assert seen_posts(pf, X).all()
    edited = X.assign(content=[*X["content"].iloc[:29], "another text"])
    assert seen_posts(pf, edited).tolist() == [True] * 29 + [False]
    # a numeric account id, read back as floats, with a blank read back as missing
    ids = X.assign(username=[7, 8, 9] * 10, media=["", *X["media"].iloc[1:]])
    pf_ids = PostFeatures(cv=3, random_state=0).fit(ids, y)
    again = ids.assign(username=ids["username"].astype(float), media=[None, *ids["media"][1:]])
    assert seen_posts(pf_ids, again).all()
    # text with a lone surrogate (bytes read with surrogateescape) is hashed too
    odd = X.assign(content=pd.Series(["caf\udce9", *X["content"].iloc[1:]], dtype=object))
    pf_odd = PostFeatures(cv=3, random_state=0).fit(odd, y)
    assert seen_posts(pf_odd, odd).all() and not seen_posts(pf_odd, X)[0]
    # a model fitted before the hashes were kept: nothing to tell them by
    old = pickle.loads(pickle.dumps(pf))
    del old.post_keys_
    assert seen_posts(old, X) is None
    # a table without one of the key columns: nothing to tell them by either
    assert seen_posts(pf, X.drop(columns="media")) is None
    only_text = PostFeatures(
        category_columns=(), date_column=None, media_column=None, text_columns=("content",)
    ).fit(X)
    assert only_text.post_key_columns_ == ["content"] and seen_posts(only_text, X).all()


def test_post_keys_read_a_list_of_media_the_same_whatever_holds_it(tmp_path):
    """Media as lists of URLs, fitted on in memory and scored from the Parquet file they were
    saved to (read back as NumPy arrays), as a pyarrow list column, a polars ``List`` or
    tuples: a post with two images, or any post held in a tuple, was no training post
    (``str`` of an array writes no comma, of a tuple parentheses), so evaluating on the
    training posts gave no warning."""
    import pyarrow as pa

    from skbucket.pipeline import seen_posts

    X, y = _posts(6)
    lists = [["https://x/a.jpg", "https://x/b.jpg"], ["https://x/c.jpg"], [], None] + [
        ["https://x/d.jpg", "https://x/e.jpg", "https://x/f.jpg"]
    ] * 2
    X = X.assign(media=pd.Series(lists, dtype=object))
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    assert seen_posts(pf, X).all()
    X.to_parquet(tmp_path / "posts.parquet")
    for media in (
        pd.read_parquet(tmp_path / "posts.parquet")["media"],  # NumPy arrays
        pd.Series(lists, dtype=pd.ArrowDtype(pa.list_(pa.string()))),
        pd.Series([None if m is None else tuple(m) for m in lists], dtype=object),
    ):
        assert seen_posts(pf, X.assign(media=media.to_numpy())).all(), type(media.iloc[0])
        np.testing.assert_array_equal(  # and one list of media is one post, as before
            PostFeatures(cv=3, random_state=0).fit(X.assign(media=media.to_numpy()), y).post_keys_,
            pf.post_keys_,
        )
    other = [*lists[:5], ["https://x/d.jpg", "https://x/e.jpg"]]
    assert seen_posts(pf, X.assign(media=pd.Series(other, dtype=object))).tolist() == [True] * 5 + [
        False
    ]


def test_post_keys_read_a_date_as_its_instant_and_need_more_than_the_account():
    """A review: the same date written another way (parsed by pandas, with its zone, ISO with
    a T) was another post, so no warning; and with the account and company as the only key
    columns every new post by a known account was called a training post."""
    from skbucket.pipeline import seen_posts, training_posts_text

    X, y = _posts(30)
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    parsed = pd.to_datetime(X["date"])
    for dates in (
        parsed,
        parsed.dt.tz_localize("UTC"),
        parsed.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"),  # the same instants
        parsed.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        parsed.dt.strftime("%Y-%m-%d %H:%M:%S+00:00"),
    ):
        assert seen_posts(pf, X.assign(date=dates)).all(), dates.iloc[0]
    later = parsed + pd.Timedelta(hours=1)
    assert not seen_posts(pf, X.assign(date=later)).any()
    # an unreadable date is compared as text
    odd = X.assign(date=["soon", *X["date"].iloc[1:]])
    pf_odd = PostFeatures(cv=3, random_state=0).fit(odd, y)
    assert seen_posts(pf_odd, odd).all()
    assert not seen_posts(pf_odd, odd.assign(date=["later", *X["date"].iloc[1:]]))[0]
    # the account and company alone: no keys, no warning for new posts by known accounts
    meta = PostFeatures(date_column=None, media_column=None, text_columns=(), cv=3).fit(X, y)
    assert meta.post_key_columns_ == ["username", "inferred_company"]
    assert meta.post_keys_ is None and seen_posts(meta, X) is None
    assert training_posts_text(meta, X) == ""
    # one post: "was", "the error on it"
    assert training_posts_text(pf, X.head(1)).startswith(
        "the post scored was among the model's training posts (the same username, "
        "inferred_company, date, media and content): the error on it shows how well"
    )
    one_of_many = pd.concat([X.head(1), X.assign(content="new")]).reset_index(drop=True)
    assert training_posts_text(pf, one_of_many).startswith(
        "1 of the 31 posts scored (3%) was among the model's training posts"
    )


def test_post_keys_read_a_line_break_as_the_features_and_prompts_do():
    """A review: a post whose text breaks its lines with "\\r\\n" (a CSV checked out on
    Windows) or "\\r" is the post whose lines break with "\\n" to PostFeatures' counts and
    PromptBuilder's prompt, so the model predicts it the same; its hash differed, so an
    evaluation on the training posts read from the other file was not warned of them."""
    from skbucket.pipeline import seen_posts

    X, y = _posts(30)
    X = X.assign(content=[f"line one\nline two {i}" for i in range(30)])
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    for end in ("\r\n", "\r"):
        windows = X.assign(content=X["content"].str.replace("\n", end))
        assert seen_posts(pf, windows).all(), end
        assert seen_posts(PostFeatures(cv=3, random_state=0).fit(windows, y), X).all(), end
    # another text is another post still
    assert not seen_posts(pf, X.assign(content=X["content"].str.replace("\n", " "))).any()


def test_post_keys_read_an_accent_in_either_unicode_form():
    """A review: a post whose accents are decomposed (NFD, as macOS writes files) is the
    composed post to PostFeatures' counts and to the uncased tokenizers, so the model
    predicts it the same; its hash differed, so an evaluation on the training posts read
    from the other file was not warned of them (595 of 600 NFD posts were found: the ASCII
    ones)."""
    from skbucket.pipeline import seen_posts

    X, y = _posts(30)
    X = X.assign(content=[f"Café crème n°{i} à Zoë" for i in range(30)])
    pf = PostFeatures(cv=3, random_state=0).fit(X, y)
    nfd = X.assign(content=[unicodedata.normalize("NFD", t) for t in X["content"]])
    assert not nfd["content"].equals(X["content"])
    assert seen_posts(pf, nfd).all()
    assert seen_posts(PostFeatures(cv=3, random_state=0).fit(nfd, y), X).all()
    # another accent is another post still
    assert not seen_posts(pf, X.assign(content=X["content"].str.replace("é", "è"))).any()


def test_a_zero_dimensional_array_cell_is_keyed_as_before():
    """The post keys iterated a NumPy array cell as a list of media (74fb638), and a 0-d
    array (``np.array("a.jpg", dtype=object)``, which PostFeatures fitted on before) raised
    "TypeError: iteration over a 0-d array": it is keyed as its text, as before."""
    from skbucket.features import _post_keys

    cell = np.array("http://a/1.jpg", dtype=object)
    X = pd.DataFrame({"content": ["hi", "hi"], "media": pd.Series([cell, None], dtype=object)})
    keys = _post_keys(X, ["content", "media"])
    as_text = _post_keys(X.assign(media=["http://a/1.jpg", None]), ["content", "media"])
    np.testing.assert_array_equal(keys, as_text)
