"""Warnings point at the user's line, whichever path led there (skbucket._warn)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skbucket import PostFeatures
from skbucket import io as skio
from skbucket._warn import user_stacklevel
from skbucket.cache import CacheWarning, DiskCache
from skbucket.features import UnparseableDateWarning

POSTS = pd.DataFrame(
    {
        "date": ["2021-01-01 10:00", "not a date", "2021-03-01 12:00", "2021-04-01 09:00"] * 3,
        "content": ["a", "b", "c", "d"] * 3,
    }
)
LIKES = np.arange(12.0)


def _features():
    return PostFeatures(media_column=None, category_columns=())


def _caught(action, category):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    found = [w for w in caught if issubclass(w.category, category)]
    assert found, f"no {category.__name__} among {[str(w.message) for w in caught]}"
    return found


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda: _features().fit_transform(POSTS), id="fit_transform"),
        pytest.param(lambda: _features().fit(POSTS.iloc[[0]]).transform(POSTS), id="transform"),
        pytest.param(
            lambda: _features().set_output(transform="pandas").fit_transform(POSTS),
            id="pandas-output",
        ),
        pytest.param(
            lambda: make_pipeline(_features(), DecisionTreeRegressor()).fit(POSTS, LIKES),
            id="pipeline",
        ),
        pytest.param(
            lambda: cross_val_score(
                make_pipeline(_features(), DecisionTreeRegressor()), POSTS, LIKES, cv=2
            ),
            id="cross_val_score",
        ),
    ],
)
def test_estimator_warning_names_the_callers_line(action):
    """Through set_output, _fit_context, a Pipeline or joblib: the line is the test's own."""
    for w in _caught(action, UnparseableDateWarning):
        assert w.filename == __file__, (w.filename, w.lineno)


@pytest.mark.parametrize("through", ["direct", "pipeline"])
def test_meta_estimator_warnings_name_the_callers_line(through):
    """BucketedRegressor's and AccountRouter's fit warnings pointed at contextlib.py (the
    Ctrl-C decorator's frame), which a filter on the user's module did not match."""
    from sklearn.linear_model import Ridge

    from skbucket import BucketedRegressor
    from skbucket.exceptions import TooFewRowsWarning

    X = np.random.default_rng(0).normal(size=(60, 3))
    model = BucketedRegressor(regressors=Ridge(), min_bucket_size=1000)
    fitted = model if through == "direct" else make_pipeline(model)
    for w in _caught(lambda: fitted.fit(X, np.arange(60) * 100.0), TooFewRowsWarning):
        assert w.filename == __file__, (w.filename, w.lineno)


def test_the_rounded_ids_warning_of_read_table_names_the_callers_line(tmp_path):
    """It pointed at skbucket/tables.py (a fixed stacklevel=2 inside a helper of read_table)."""
    openpyxl = pytest.importorskip("openpyxl")
    from skbucket.tables import read_table

    book = openpyxl.Workbook()
    book.active.append(["id", "content"])
    book.active.append([1234567890123456789, "hello"])
    book.save(tmp_path / "ids.xlsx")
    (w,) = _caught(lambda: read_table(tmp_path / "ids.xlsx"), UserWarning)
    assert "stores rounded" in str(w.message) and w.filename == __file__, w.filename


def test_cache_and_io_warnings_name_the_callers_line(tmp_path):
    (tmp_path / "ab").write_text("a file where the shard folder should be")
    (w,) = _caught(lambda: DiskCache(tmp_path).set_many({"ab12": "value"}), CacheWarning)
    assert w.filename == __file__
    path = tmp_path / "plain.skops"
    skops.io.dump(DecisionTreeClassifier(max_depth=1).fit([[0], [1]], [0, 1]), path)
    (w,) = _caught(
        lambda: skio.load(path, trusted=["sklearn.tree._tree.Tree"]), skio.VersionMismatchWarning
    )
    assert w.filename == __file__
    # what to do; not "save it with skbucket.io.save to record them": that records the
    # versions installed at the save, and hid those the file was written with
    assert "re-fit the model here and save it so, or re-save it where it was fitted" in str(
        w.message
    )


def test_user_stacklevel_counts_the_frames_inside_the_libraries():
    def direct():  # a frame outside the libraries: it is the user's line itself
        return user_stacklevel()

    assert direct() == 1
    inside = {}
    code = compile("inside['level'] = user_stacklevel()", skio.__file__, "exec")  # a skbucket frame
    exec(code, {"user_stacklevel": user_stacklevel, "inside": inside})
    assert inside["level"] == 2  # past the skbucket frame, to this test


def test_an_ignoring_block_leaves_no_filter_behind_when_another_thread_caught_warnings():
    """Thread A in ``ignoring()``, thread B entering ``warnings.catch_warnings()`` meanwhile
    (its copy of the filters holds A's entry), A leaving, then B: B put back the list A's
    ``ignore`` went into, with it, and every warning of the process was silenced for good."""
    import threading

    from skbucket._warn import ignoring

    before = list(warnings.filters)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with ignoring():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with warnings.catch_warnings():
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert warnings.filters == before
    finally:
        warnings.filters[:] = before  # type: ignore[index]


def test_a_users_equal_filter_added_while_an_ignoring_block_runs_stays():
    """The user's ``filterwarnings`` (in another thread, say) equal to a block's entry takes
    that entry's place (``warnings`` keeps one of equal filters); on leaving, the block took
    away the first equal filter it found, the user's, and the user's ``ignore`` was lost."""
    from skbucket._warn import ignoring

    before = list(warnings.filters)
    try:
        with ignoring(UserWarning, message="zap"):
            warnings.filterwarnings("ignore", message="zap", category=UserWarning)
            users = warnings.filters[0]
        assert warnings.filters[0] is users  # before: gone
        with ignoring(UserWarning, message="zap"):  # used and left again: it stays
            pass
        assert warnings.filters[0] is users
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn("zap!", UserWarning, stacklevel=1)
        assert caught == []
    finally:
        warnings.filters[:] = before  # type: ignore[index]
        warnings._filters_mutated()  # type: ignore[attr-defined]
