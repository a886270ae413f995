"""Loaders of the real posts bundled with skbucket (scikit-learn ``load_*`` conventions)."""

from __future__ import annotations

import hashlib
import numbers
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["load_captioned_posts", "load_tweets"]

DATA_MODULE = "skbucket.datasets"
TWEETS_FILE = "tweets.csv.gz"
CAPTIONED_POSTS_FILE = "posts_captioned.csv.gz"

#: Columns of ``tweets.csv.gz`` and their dtypes (``date`` is parsed separately).
_TWEETS_COLUMNS = ("id", "date", "likes", "content", "username", "media", "inferred_company")
#: Columns of ``posts_captioned.csv.gz``.
_CAPTIONED_COLUMNS = (
    "id",
    "date",
    "likes",
    "username",
    "inferred_company",
    "media",
    "caption",
    "source_id",
    "regime",
)
_INT_COLUMNS = ("id", "likes")
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
TARGET = "likes"
#: Columns kept in ``frame`` but not in ``data``: row identifiers and provenance.
_NOT_FEATURES = ("id", "source_id", "regime")

#: How the bundled ``posts_captioned.csv.gz`` was drawn from the full file.
SAMPLE_SIZE = 3000
SAMPLE_SEED = 0


def _data_path(name: str):
    return resources.files(DATA_MODULE).joinpath("data", name)


def _descr(name: str) -> str:
    return resources.files(DATA_MODULE).joinpath("descr", name).read_text(encoding="utf-8")


def _read_raw(source, columns) -> pd.DataFrame:
    """Every column as text, exactly as stored (no value is turned into NaN)."""
    frame = pd.read_csv(
        source, compression="gzip", dtype=str, keep_default_na=False, na_filter=False
    )
    if tuple(frame.columns) != tuple(columns):
        raise ValueError(
            f"unexpected columns in {getattr(source, 'name', source)!r}: "
            f"{list(frame.columns)}, expected {list(columns)}"
        )
    return frame


def _typed(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast ``id``/``likes`` to int64 and ``date`` to datetime64; name the first bad row."""
    frame = raw.copy()
    for column in _INT_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() | (values % 1 != 0).to_numpy())
        if bad.size:
            raise ValueError(
                f"{name}: column {column!r} must hold integers, row {bad[0]} is "
                f"{raw[column].iloc[bad[0]]!r}"
            )
        frame[column] = values.astype("int64")
    dates = pd.to_datetime(frame["date"], format=_DATE_FORMAT, errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise ValueError(
            f"{name}: column 'date' must be 'YYYY-MM-DD HH:MM:SS', row {bad[0]} is "
            f"{raw['date'].iloc[bad[0]]!r}"
        )
    frame["date"] = dates
    return frame


def _load(file_name, columns, descr_name, *, return_X_y, as_frame, caller):
    # a bool, numpy's or 0/1; the string "False" is true, and returned the tuple
    if not (
        isinstance(return_X_y, bool | np.bool_)
        or (isinstance(return_X_y, numbers.Integral) and return_X_y in (0, 1))
    ):
        raise ValueError(
            f"{caller}: return_X_y must be True or False, got {type(return_X_y).__name__} "
            f"{return_X_y!r}."
        )
    # any true flag (np.True_, 1, as scikit-learn's loaders test it) and fetch_openml's "auto"
    true = isinstance(as_frame, numbers.Number | np.bool_) and bool(as_frame)
    if not (true or (isinstance(as_frame, str) and as_frame == "auto")):
        raise ValueError(
            f"{caller}: as_frame must be true (or 'auto'), got {as_frame!r}. The posts are text "
            "(content, media, usernames) and dates, which have no numeric array form; as "
            "for fetch_openml with STRING attributes, only the DataFrame form is offered."
        )
    with _data_path(file_name).open("rb") as fh:
        frame = _typed(_read_raw(fh, columns), file_name)
    feature_names = [c for c in columns if c != TARGET and c not in _NOT_FEATURES]
    data = frame[feature_names]
    target = frame[TARGET]
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=feature_names,
        target_names=[TARGET],
        DESCR=_descr(descr_name),
        filename=file_name,
        data_module=f"{DATA_MODULE}.data",
    )


def load_tweets(*, return_X_y=False, as_frame=True):
    """Load the 936 real marketing tweets with their likes (regression).

    Every complete training row of the Adobe "Behaviour Simulation" challenge (2023) found
    in public repositories, minus 164 rows the project keeps aside for evaluation; see
    ``DESCR`` (or :doc:`/datasets`) for the sources and the licence note.

    =================   ======================================
    Samples             936
    Features            5 (date, text, account, brand, media)
    Target              likes, int, 0 - 24,602 (median 75)
    =================   ======================================

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch. Anything but a bool (numpy's too) or
        ``0``/``1`` raises a :class:`ValueError` (the string ``"False"`` would be true).
    as_frame : True, default=True
        Must be true (``True``, ``np.True_``, ``1`` or ``"auto"``): the features are text and
        dates, which have no numeric array form
        (``as_frame=False`` raises a :class:`ValueError`, as ``fetch_openml`` does for
        string features). Unlike scikit-learn's toy loaders the default is therefore
        True.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : pandas.DataFrame of shape (936, 5)
            The features ``date`` (datetime64), ``content``, ``username``, ``media`` (the
            scraper's text, see :func:`skbucket.media.parse_media`) and
            ``inferred_company``.
        target : pandas.Series of shape (936,), int64
            The likes.
        frame : pandas.DataFrame of shape (936, 7)
            All columns of the file in its order, including ``id`` (the row number in the
            challenge's training file: an identifier, not a feature).
        feature_names : list of str
            The columns of ``data``.
        target_names : list of str
            ``["likes"]``.
        DESCR : str
            Description: sources (repositories, paths, commits), columns, licence note.
        filename : str
            Name of the bundled file, ``"tweets.csv.gz"``.
        data_module : str
            Package holding the file.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` DataFrame and the ``target`` Series.

    See Also
    --------
    load_captioned_posts : 3,000 posts with BLIP captions and likes but no text.

    Examples
    --------
    >>> from skbucket.datasets import load_tweets
    >>> tweets = load_tweets()
    >>> tweets.frame.shape
    (936, 7)
    >>> tweets.feature_names
    ['date', 'content', 'username', 'media', 'inferred_company']
    >>> int(tweets.target.median()), int(tweets.target.max())
    (75, 24602)
    >>> X, y = load_tweets(return_X_y=True)
    >>> X.shape, y.dtype
    ((936, 5), dtype('int64'))
    """
    return _load(
        TWEETS_FILE,
        _TWEETS_COLUMNS,
        "tweets.rst",
        return_X_y=return_X_y,
        as_frame=as_frame,
        caller="load_tweets",
    )


def load_captioned_posts(*, return_X_y=False, as_frame=True):
    """Load 3,000 real posts with a BLIP caption of their media and their likes, no text.

    A reproducible sample (stratified over ``regime`` and likes bucket) of the 15,341
    posts of the challenge's task-2 test sets that the project's shared data folder holds
    (beside the repository; the full file is not distributed with the package); see
    ``DESCR`` (or :doc:`/datasets`) for exactly how it was drawn, the sources and the
    licence note. The posts
    have no ``content`` column: a model sees captions and metadata only.

    =================   ======================================
    Samples             3,000
    Features            5 (date, account, brand, media, caption)
    Target              likes, int (median about 190)
    =================   ======================================

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch (a bool: see :func:`load_tweets`).
    as_frame : True, default=True
        Must be True (see :func:`load_tweets`).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : pandas.DataFrame of shape (3000, 5)
            The features ``date`` (datetime64), ``username``, ``inferred_company``,
            ``media`` and ``caption``.
        target : pandas.Series of shape (3000,), int64
            The likes.
        frame : pandas.DataFrame of shape (3000, 9)
            All columns of the file, including ``id`` (row number in the full shared
            file), ``source_id`` (challenge test set and row) and ``regime``
            (``"unseen_brand"``: posted 2018-2020 by brands absent from the challenge's
            training data; ``"unseen_time"``: posted 2021 or later), which are provenance,
            not features (``regime`` is useful to group or split).
        feature_names : list of str
            The columns of ``data``.
        target_names : list of str
            ``["likes"]``.
        DESCR : str
            Description: sampling, sources (repositories, paths, commits), licence note.
        filename : str
            Name of the bundled file, ``"posts_captioned.csv.gz"``.
        data_module : str
            Package holding the file.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` DataFrame and the ``target`` Series.

    See Also
    --------
    load_tweets : 936 tweets with their text.

    Examples
    --------
    >>> from skbucket.datasets import load_captioned_posts
    >>> posts = load_captioned_posts()
    >>> posts.frame.shape
    (3000, 9)
    >>> posts.feature_names
    ['date', 'username', 'inferred_company', 'media', 'caption']
    >>> posts.frame["regime"].value_counts().sort_index().to_dict()
    {'unseen_brand': 1715, 'unseen_time': 1285}
    """
    return _load(
        CAPTIONED_POSTS_FILE,
        _CAPTIONED_COLUMNS,
        "captioned_posts.rst",
        return_X_y=return_X_y,
        as_frame=as_frame,
        caller="load_captioned_posts",
    )


# ---------------------------------------------------------------------------------------------
# how the bundled sample was drawn (kept here so a test can re-draw it from the shared file)
# ---------------------------------------------------------------------------------------------
def _sample_key(seed: int, row_id: str) -> str:
    return hashlib.sha256(f"{seed}:{row_id}".encode()).hexdigest()


def _sample_captioned_posts(raw: pd.DataFrame, n_rows=SAMPLE_SIZE, seed=SAMPLE_SEED):
    """Stratified, reproducible sample of the full ``posts_captioned`` file.

    Strata: ``regime`` x likes bucket (seed edges 0-10, 11-100, 101-300, 301-500, 501-1000,
    1001-2500, >2500). Each stratum gets ``n_rows * size / total`` rows rounded down, and
    the rows left over go one each to the strata with the largest remainders (ties: the
    stratum first in (regime, bucket) order). Within a stratum the rows with the smallest
    ``sha256(f"{seed}:{id}")`` hex digest are kept. Rows stay in file order, unchanged.

    Parameters
    ----------
    raw : pandas.DataFrame
        The full file read with every column as text (as :func:`_read_raw` does).
    n_rows : int, default=3000
    seed : int, default=0

    Returns
    -------
    pandas.DataFrame
        ``n_rows`` rows of ``raw`` (same columns, same text, file order, fresh index).
    """
    from skbucket.bucketed import assign_buckets

    buckets = assign_buckets(raw["likes"].astype("int64").to_numpy())
    strata = raw["regime"] + "/" + pd.Series(buckets, index=raw.index).astype(str)
    sizes = strata.value_counts().sort_index()
    exact = sizes * (n_rows / len(raw))
    quota = np.floor(exact).astype(int)
    remainder = (exact - quota).sort_values(ascending=False, kind="stable")
    for key in remainder.index[: n_rows - int(quota.sum())]:
        quota[key] += 1
    keys = raw["id"].map(lambda row_id: _sample_key(seed, row_id))
    keep = []
    for key, count in quota.items():
        members = keys[strata == key].sort_values(kind="stable")
        keep.extend(members.index[:count])
    return raw.loc[sorted(keep)].reset_index(drop=True)
