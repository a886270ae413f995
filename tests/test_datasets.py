"""Tests for skbucket.datasets: the bundled real posts and their loaders."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

from skbucket.bucketed import assign_buckets
from skbucket.datasets import load_captioned_posts, load_tweets
from skbucket.datasets._base import (
    _CAPTIONED_COLUMNS,
    _read_raw,
    _sample_captioned_posts,
    _typed,
)
from skbucket.media import parse_media

LOADERS = {
    "tweets": (load_tweets, 936, ["date", "content", "username", "media", "inferred_company"]),
    "captioned": (
        load_captioned_posts,
        3000,
        ["date", "username", "inferred_company", "media", "caption"],
    ),
}


@pytest.mark.parametrize("name", LOADERS)
def test_bunch_shapes_and_names(name):
    loader, n_rows, features = LOADERS[name]
    bunch = loader()
    assert isinstance(bunch, Bunch)
    assert bunch.feature_names == features
    assert bunch.target_names == ["likes"]
    assert isinstance(bunch.data, pd.DataFrame)
    assert isinstance(bunch.target, pd.Series)
    assert bunch.data.shape == (n_rows, len(features))
    assert list(bunch.data.columns) == features
    assert bunch.target.shape == (n_rows,)
    assert bunch.target.name == "likes"
    assert bunch.frame.shape[0] == n_rows
    assert "likes" not in bunch.data.columns and "id" not in bunch.data.columns
    # data / target are the frame's columns, row for row
    pd.testing.assert_frame_equal(bunch.data, bunch.frame[features])
    pd.testing.assert_series_equal(bunch.target, bunch.frame["likes"])
    assert bunch.filename.endswith(".csv.gz")


@pytest.mark.parametrize("name", LOADERS)
def test_dtypes_and_no_missing_values(name):
    frame = LOADERS[name][0]().frame
    assert pd.api.types.is_datetime64_dtype(frame["date"])
    assert frame["likes"].dtype == np.int64
    assert frame["id"].dtype == np.int64
    assert (frame["likes"] >= 0).all()
    assert frame["id"].is_unique
    for column in frame.columns.drop(["id", "likes", "date"]):
        assert pd.api.types.is_string_dtype(frame[column]), column
    assert not frame.isna().any().any()
    assert frame["date"].dt.year.between(2018, 2022).all()


@pytest.mark.parametrize("name", LOADERS)
def test_return_X_y(name):
    loader = LOADERS[name][0]
    X, y = loader(return_X_y=True)
    bunch = loader()
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_series_equal(y, bunch.target)


@pytest.mark.parametrize("name", LOADERS)
@pytest.mark.parametrize("return_X_y", ["False", "True", None, 2, 0.0, [True]])
def test_return_X_y_must_be_a_bool(name, return_X_y):
    """return_X_y="False" is a true string: the loaders returned the tuple it declined."""
    loader = LOADERS[name][0]
    with pytest.raises(ValueError, match=r"return_X_y must be True or False, got .*"):
        loader(return_X_y=return_X_y)


@pytest.mark.parametrize("return_X_y", [np.True_, np.False_, 1, 0, np.int64(1)])
def test_return_X_y_takes_numpys_bools_and_0_or_1(return_X_y):
    returned = load_tweets(return_X_y=return_X_y)
    assert isinstance(returned, tuple) == bool(return_X_y)


@pytest.mark.parametrize("name", LOADERS)
@pytest.mark.parametrize("as_frame", [False, None, 0, np.False_, "yes"])
def test_as_frame_must_be_true(name, as_frame):
    loader = LOADERS[name][0]
    with pytest.raises(ValueError, match=r"as_frame must be true \(or 'auto'\).*text"):
        loader(as_frame=as_frame)
    with pytest.raises(ValueError, match="as_frame"):
        loader(return_X_y=True, as_frame=as_frame)


@pytest.mark.parametrize("as_frame", [np.True_, 1, np.int64(1), 1.0, "auto"])
def test_any_true_as_frame_is_taken_as_scikit_learns_loaders_take_it(as_frame):
    """np.True_ was refused with "as_frame must be True, got np.True_"; fetch_openml's
    "auto" means a frame where one is possible, which here is always."""
    X, y = load_tweets(return_X_y=True, as_frame=as_frame)
    pd.testing.assert_frame_equal(X, load_tweets().data)


def test_the_data_module_is_a_package_its_file_is_found_in_from_a_zip(tmp_path):
    """resources.files(bunch.data_module) / bunch.filename (scikit-learn's convention) failed
    with the package imported from a zip (a wheel on sys.path): the data folder was no
    package, and zipimport knows no namespace packages."""
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "skbucket"
    archive = tmp_path / "skbucket.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, Path("skbucket", path.relative_to(package)))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from importlib import resources\n"
        "import skbucket.datasets as d\n"
        "assert 'skbucket.zip' in d.__file__, d.__file__\n"
        "for load in (d.load_tweets, d.load_captioned_posts):\n"
        "    b = load()\n"
        "    data = (resources.files(b.data_module) / b.filename).read_bytes()\n"
        "    assert data[:2] == bytes([0x1F, 0x8B]), data[:2]  # gzip\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code, str(archive)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_calls_return_independent_frames():
    first = load_tweets()
    first.frame.loc[0, "likes"] = -1
    first.data.loc[0, "content"] = "changed"
    second = load_tweets()
    assert second.frame.loc[0, "likes"] >= 0
    assert second.data.loc[0, "content"] != "changed"


def test_tweets_descr_states_the_source():
    descr = load_tweets().DESCR
    for needle in (
        "Adobe",
        "KlrShaK/AdobeBehavSim",
        "behavSimChallSmall.xlsx",
        "c6a74163ad993e44f0b92a1b11d03ee50c8319d3",
        "CynapticsAI/Adobe-Behaviour-Simulation-Challenge",
        "303a9f8e83c5137885978b1c734079d65483f066",
        "A-Rush-R/Adobe-Behaviour-Simulation-Challenge-Team-80",
        "99f717eb35cd138054691ff188a7eade6dc91411",
        "No licence is stated",
        ":Number of Instances: 936",
    ):
        assert needle in descr, needle


def test_captioned_descr_states_source_and_sampling():
    descr = load_captioned_posts().DESCR
    for needle in (
        "A-Rush-R/Adobe-Behaviour-Simulation-Challenge-Team-80",
        "content_simulation_test_company.xlsx",
        "content_simulation_test_time.xlsx",
        "93e5bbcf6bd04214c7e5a3889051dc19e0ea394c",
        "KlrShaK/AdobeBehavSim",
        "BLIP",
        "No licence is stated",
        "3,000",
        "15,341",
        "seed 0",
        "sha256",
        "_sample_captioned_posts",
    ):
        assert needle in descr, needle


def test_tweets_match_the_readme_numbers():
    bunch = load_tweets()
    likes = bunch.target
    assert (int(likes.min()), int(likes.median()), int(likes.max())) == (0, 75, 24_602)
    assert round(float(likes.mean()), 1) == 570.6
    assert int((likes == 0).sum()) == 156
    counts = np.bincount(assign_buckets(likes), minlength=7).tolist()
    assert counts == [324, 186, 172, 43, 94, 68, 49]
    assert bunch.data["username"].nunique() == 361
    assert bunch.data["inferred_company"].nunique() == 124
    dates = bunch.data["date"]
    assert str(dates.min()) == "2018-01-01 21:45:03"
    assert str(dates.max()) == "2020-10-26 16:34:00"
    assert dates.dt.year.value_counts().sort_index().tolist() == [301, 348, 287]
    assert bunch.data["content"].str.contains("<hyperlink>", regex=False).all()
    kinds = [parse_media(value)[0].kind for value in bunch.data["media"]]
    assert pd.Series(kinds).value_counts().to_dict() == {"photo": 680, "video": 214, "gif": 42}


def test_captioned_sample_is_stratified():
    frame = load_captioned_posts().frame
    # the full file's counts per (regime, bucket), from the data README and the shared file
    full_buckets = [3293, 2574, 3558, 1544, 1369, 1156, 1847]
    counts = np.bincount(assign_buckets(frame["likes"]), minlength=7)
    expected = np.array(full_buckets) * 3000 / 15_341
    assert np.all(np.abs(counts - expected) <= 2), (counts, expected)
    assert frame["regime"].value_counts().to_dict() == {"unseen_brand": 1715, "unseen_time": 1285}
    assert set(frame["source_id"].str.split("-").str[0]) == {"company", "time"}
    assert frame["id"].between(1, 15_341).all()
    assert frame["id"].is_monotonic_increasing  # file order kept
    assert (frame["caption"].str.len() > 0).all()
    assert all(len(parse_media(value)) >= 1 for value in frame["media"])


def _bundled(name: str):
    return resources.files("skbucket.datasets").joinpath("data", name)


def test_files_are_gzip_and_small():
    root = resources.files("skbucket.datasets")
    data_files = sorted(p for p in root.joinpath("data").iterdir() if p.name.endswith(".csv.gz"))
    assert [p.name for p in data_files] == ["posts_captioned.csv.gz", "tweets.csv.gz"]
    total = 0
    for path in data_files:
        raw = path.read_bytes()
        assert raw[:2] == b"\x1f\x8b", path.name  # gzip magic number
        assert len(gzip.decompress(raw)) > 2 * len(raw)  # really compressed
        total += len(raw)
    descr_files = [p for p in root.joinpath("descr").iterdir() if p.name.endswith(".rst")]
    assert sorted(p.name for p in descr_files) == ["captioned_posts.rst", "tweets.rst"]
    total += sum(len(p.read_bytes()) for p in descr_files)
    assert total < 1_000_000  # the wheel must stay under 2 MB in all


def test_bad_values_name_the_row():
    raw = pd.DataFrame(
        {"id": ["1", "2"], "date": ["2020-01-01 00:00:00", "01/02/2020"], "likes": ["3", "4"]}
    )
    with pytest.raises(ValueError, match=r"x.csv.gz: column 'date'.*row 1 is '01/02/2020'"):
        _typed(raw, "x.csv.gz")
    raw["date"] = "2020-01-01 00:00:00"
    raw.loc[0, "likes"] = "many"
    with pytest.raises(ValueError, match=r"column 'likes' must hold integers, row 0 is 'many'"):
        _typed(raw, "x.csv.gz")


def test_unexpected_columns_are_refused(tmp_path):
    path = tmp_path / "x.csv.gz"
    pd.DataFrame({"id": [1], "other": [2]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="unexpected columns"):
        _read_raw(path, _CAPTIONED_COLUMNS)


def test_texts_that_look_missing_are_kept(tmp_path):
    path = tmp_path / "x.csv.gz"
    pd.DataFrame({"a": ["NA", "null", "None", ""]}).to_csv(path, index=False)
    assert _read_raw(path, ["a"])["a"].tolist() == ["NA", "null", "None", ""]


# --- against the shared data (skipped when it is absent) ----------------------------------------
def test_bundled_tweets_equal_the_shared_file(shared_data):
    shared = pd.read_csv(shared_data / "tweets.csv.gz", keep_default_na=False)
    shared["date"] = pd.to_datetime(shared["date"], format="%Y-%m-%d %H:%M:%S")
    frame = load_tweets().frame
    assert len(shared) == 936
    pd.testing.assert_frame_equal(frame, shared, check_dtype=False)
    assert frame["likes"].dtype == np.int64
    # and it is the very same file, unchanged
    assert _bundled("tweets.csv.gz").read_bytes() == (shared_data / "tweets.csv.gz").read_bytes()


def test_captioned_sample_is_reproducible_from_the_shared_file(shared_data):
    full = _read_raw(shared_data / "posts_captioned.csv.gz", _CAPTIONED_COLUMNS)
    assert len(full) == 15_341
    sample = _sample_captioned_posts(full)
    with _bundled("posts_captioned.csv.gz").open("rb") as fh:
        bundled = _read_raw(fh, _CAPTIONED_COLUMNS)
    pd.testing.assert_frame_equal(bundled, sample)
    # every bundled row is the shared row with the same id, unchanged
    by_id = full.set_index("id")
    pd.testing.assert_frame_equal(
        bundled.set_index("id"), by_id.loc[bundled["id"]], check_names=False
    )

    # proportions per (regime, bucket) stratum are kept to within one row
    def strata(frame):
        buckets = assign_buckets(frame["likes"].astype("int64"))
        return pd.crosstab(frame["regime"], buckets)

    expected = strata(full) * 3000 / len(full)
    assert (np.abs(strata(bundled) - expected) < 1).all().all()
    # another seed draws other rows, same size and strata
    other = _sample_captioned_posts(full, seed=1)
    assert len(other) == 3000
    assert not other["id"].equals(sample["id"])
    pd.testing.assert_frame_equal(strata(other), strata(sample))
