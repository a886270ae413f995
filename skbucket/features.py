"""Metadata features of posts: time, media, text counts and cross-fitted account encodings.

One transformer, :class:`PostFeatures`, turns a DataFrame of posts into a float64 matrix that
gradient-boosted trees (HistGradientBoosting, XGBoost, CatBoost) take as they are.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd
import regex
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.model_selection import KFold
from sklearn.preprocessing import TargetEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import (
    _check_feature_names,
    _check_feature_names_in,
    _check_n_features,
    check_array,
    check_is_fitted,
)

from ._cells import _bad_text_cell, _category_text, _is_missing, _line_ends, _unicode_problem
from ._fitted import refit, validate_params_in_use
from ._frames import (
    as_pandas,
    check_flat_columns,
    check_read_once,
    check_unique_columns,
    column_list,
    library,
    plain,
)
from ._warn import user_stacklevel
from .bucketed import _check_one_target_per_row, _check_targets
from .dates import (
    _fitted_day_month,
    _unparsed_text,
    dates_seen,
    parse_dates,
    read_dates,
    timeless,
    undated_hint,
)
from .prompts import _warn_unread_text

__all__ = [
    "AccountSpellingWarning",
    "DATE_FEATURES",
    "MEDIA_KINDS",
    "TEXT_FEATURES",
    "PostFeatures",
    "PostFeaturesError",
    "UnparseableDateWarning",
]

# TargetEncoder takes a list of (train, test) splits as `cv` from scikit-learn 1.9 on (and
# deprecates shuffle/random_state there).
_SKLEARN_CV_SPLITS = parse_version(sklearn.__version__).release >= (1, 9)

#: Columns read as text when ``text_columns="auto"`` (those present in ``X`` at fit).
AUTO_TEXT_COLUMNS = ("content", "caption")
#: A text column a step before this one may make (the seed pipeline's captioner): read, but no
#: part of what identifies a post (:attr:`PostFeatures.post_key_columns_`)
_MADE_TEXT_COLUMNS = ("caption",)
#: Media kinds counted one by one (``kind`` of the refs :func:`skbucket.media.parse_media` returns).
MEDIA_KINDS = ("photo", "video", "gif", "image")
#: Features read from the date column (all in UTC).
DATE_FEATURES = ("hour", "weekday", "month", "year")
#: Features of each text column.
TEXT_FEATURES = ("length", "hyperlinks", "mentions", "hashtags", "emoji")

# CJK and fullwidth punctuation (not the letters of those blocks: 々 in 代々木, 〇, 〆): the
# ideographic space and full stop, brackets, quotes; fullwidth ！ to ／, ： to ＠, ［ to ｀,
# ｛ to the halfwidth ･.
_CJK_PUNCTUATION = (
    "\u3000-\u3004\u3008-\u3020\u3030\u303d\u303e"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)
# Links: the challenge data's placeholder token and raw URLs. A URL starts after anything but an
# ASCII letter, digit or "_" (Japanese, Chinese and Arabic posts glue it to the word before,
# "詳細はhttps://...", where Python's \b sees no word boundary), and ends at whitespace, at CJK
# or fullwidth punctuation ("。", "、", "＃"), at '"', "<" or ">" (which no URL holds unescaped:
# the end of an HTML attribute or the start of a tag, so the "@user" and "#tag" of
# '<a href="https://x.com/a">@user</a>' are counted), or where another link starts:
# "https://a.com,https://b.com" is two. A URL after a "/", "=", "?", "&" or "#" of a link is
# part of its path or query, not a link of its own: an archive or share link
# ("https://web.archive.org/web/2020/https://brand.com", "...sharer.php?u=https://...") is one.
_HYPERLINK_RE = re.compile(
    r"<hyperlink>|(?<![A-Za-z0-9_])https?://"
    r"(?:(?<=[/=?&#])https?://|(?!https?://)[^\s\"<>" + _CJK_PUNCTUATION + "])+",
    re.IGNORECASE,
)
# Mentions: the placeholder token and raw @handles (not e-mail addresses: no word char before @);
# the fullwidth sign U+FF20 is an @ too, as Twitter reads it.
_MENTION_RE = re.compile(r"<mention>|(?<![\w@\uff20])[@\uff20]\w+", re.IGNORECASE)
# Hashtags: '#' (or the fullwidth U+FF03) + a word with at least one letter, not preceded by a word
# char, '&' or '#' (so the HTML entity '&#39;' and '#1' are not hashtags).
_HASHTAG_RE = re.compile(r"(?<![\w&#\uff03])[#\uff03]\w*[^\W\d_]\w*")
# Combining marks, read as word characters when counting mentions and hashtags (Python's \w
# leaves them out); not the variation selectors and the keycap mark of emoji ("#" + U+FE0F +
# U+20E3 is the keycap emoji, no hashtag).
_MARK_RE = regex.compile(r"(?![\ufe00-\ufe0f\u20e3\U000e0100-\U000e01ef])\p{M}")
# Emoji: one match per emoji as a reader sees it (Unicode's UTS #51 sequences): a pictograph that is
# an emoji character (properties Extended_Pictographic and Emoji), with its optional emoji
# variation selector U+FE0F and skin-tone modifier, and any ZWJ sequence of them (a family, a
# woman raising her hand) counts once; so do a flag (two regional indicator letters), a
# subdivision flag (black flag + tag letters) and a keycap (digit, '#' or '*' + U+20E3). The
# legal marks (c) (r) and TM are emoji characters shown as text unless U+FE0F follows, and brand
# posts use them as marks: they count only with U+FE0F. Any character followed by the text
# variation selector U+FE0E is text. Symbols that are no emoji characters (U+2605 black star,
# U+2713 check mark, U+266A eighth note) do not count. ASCII text holds none of these.
_EMOJI_PICTOGRAPH = (
    r"(?:[\u00a9\u00ae\u2122]\ufe0f"
    r"|(?![\u00a9\u00ae\u2122])(?=\p{Emoji})\p{Extended_Pictographic}(?!\ufe0e))"
    r"\ufe0f?\p{Emoji_Modifier}?"
)
_EMOJI_RE = regex.compile(
    r"[\U0001f1e6-\U0001f1ff]{2}"  # flags
    r"|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"  # subdivision flags
    r"|[0-9#*]\ufe0f?\u20e3"  # keycaps
    rf"|{_EMOJI_PICTOGRAPH}(?:\u200d{_EMOJI_PICTOGRAPH})*"  # emoji and their ZWJ sequences
)


class PostFeaturesError(ValueError):
    """Bad input for :class:`PostFeatures` (missing column, wrong type, bad value in a row)."""


class UnparseableDateWarning(UserWarning):
    """Some non-missing dates could not be parsed; their date features are NaN."""


def _folded_spellings(known) -> dict[str, str]:
    """``{spelling key: the first known text with it}`` of the texts of ``known``."""
    folded: dict = {}
    for value in known:
        if isinstance(value, str):
            folded.setdefault(_spelling_key(value), value)
    return folded


def _spelling_pairs(known, unseen, folded=None) -> list[tuple[str, str]]:
    """``(value, known value)`` for each text of ``unseen`` that is a ``known`` text but for
    its spelling (:func:`_spelling_key`: case, spaces, a leading @, Unicode form, invisible
    characters); ``folded``: :func:`_folded_spellings` of ``known``, when made already."""
    if folded is None:
        folded = _folded_spellings(known)
    keyed = ((value, _spelling_key(value)) for value in unseen if isinstance(value, str))
    return [(value, folded[key]) for value, key in keyed if key in folded]


class AccountSpellingWarning(UserWarning):
    """Values of a category column unseen in training match a training value except for
    case, surrounding spaces, a leading ``@``, Unicode normalisation or invisible characters
    (they are encoded as new accounts); or, at fit, the training values hold one account
    written in such different ways (each is encoded as an account of its own)."""


#: The invisible characters users meet in account names (soft hyphen, Arabic letter mark,
#: Mongolian vowel separator, zero-width space and joiners, direction marks, embeddings and
#: isolates, word joiner and the other invisible operators, U+FEFF), as a regular expression:
#: :func:`_spelling_key` drops exactly these, so the warning's advice, which removes them,
#: makes the spellings it names one.
_INVISIBLE = r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
_INVISIBLE_RE = re.compile(_INVISIBLE)


#: how to write an account column one way, as :func:`_spelling_key` compares its values
_ADVICE = (
    f'e.g. .astype("string").str.normalize("NFKC").str.replace(r"{_INVISIBLE}", "", regex=True)'
    ".str.strip()"
    '.str.removeprefix("@").str.strip().str.casefold()'
)


def _spelling_key(value: str) -> str:
    """``value`` as :class:`AccountSpellingWarning` compares it: NFKC-normalised (a
    fullwidth ``＠`` is ``@``), invisible format characters (``_INVISIBLE``: zero-width space
    and joiners, direction marks and isolates, U+FEFF, ...) dropped, stripped, a leading ``@``
    (a handle written as mentioned) dropped, stripped again, casefolded."""
    value = unicodedata.normalize("NFKC", value)
    value = _INVISIBLE_RE.sub("", value).strip()
    return value.removeprefix("@").strip().casefold()


# Where an emoji match can start (every alternative of _EMOJI_RE starts so: a pictograph, the
# legal marks and the black flag are Extended_Pictographic; flags start with a regional
# indicator; keycaps with a digit, '#' or '*' that U+20E3 follows).
_EMOJI_START = regex.compile(
    r"[\p{Extended_Pictographic}\U0001f1e6-\U0001f1ff]|[0-9#*]\ufe0f?\u20e3"
)


def count_emoji(texts) -> np.ndarray:
    """Count the emoji in each text, a ZWJ sequence, flag or keycap once (see ``_EMOJI_RE``).

    The same count as ``len(_EMOJI_RE.findall(text))``: the pattern is tried only where a
    match can start, not at every character of the text."""
    return np.array([0 if t.isascii() else _emoji_in(t) for t in texts], dtype=np.float64)


def _emoji_in(text: str) -> int:
    count, pos = 0, 0
    while (start := _EMOJI_START.search(text, pos)) is not None:
        found = _EMOJI_RE.match(text, start.start())
        if found is None:
            pos = start.start() + 1
        else:
            count += 1
            pos = found.end()
    return count


def _key_name(key) -> str:
    return key if isinstance(key, str) else f"x{key}"


def _hashable_text(text: str) -> str:
    """A non-ASCII cell's text as :func:`_post_keys` hashes it: in Unicode's composed form
    (NFC), as PostFeatures counts it and the uncased tokenizers read it, so an accent written
    decomposed (NFD, as macOS writes files) is the same post; a lone surrogate (undecodable
    bytes read with surrogateescape) has no UTF-8 form, which the hash takes: its code units
    instead."""
    if _unicode_problem(text) is not None:
        return text.encode("utf-8", "surrogatepass").hex()
    return unicodedata.normalize("NFC", text)


def _key_text(value) -> str:
    """A cell that is not missing as :func:`_post_keys` hashes it: as accounts are compared
    (:func:`~skbucket._cells._category_text`), and a list of media as the list of its items
    whatever holds them: a tuple, a NumPy array (a Parquet list column read back, a polars
    ``List`` column) or a pyarrow list (``pd.ArrowDtype(pa.list_(pa.string()))``) of the same
    URLs is one cell, as the features read it (``str`` wrote an array of two without a comma,
    ``['a' 'b']``, and a tuple in brackets: such a post was no training post)."""
    # a 0-d array holds no list (iterating it raised TypeError, before the media column's
    # own check could name the cell): written as before
    if isinstance(value, list | tuple | np.ndarray | pd.api.extensions.ExtensionArray) and (
        getattr(value, "ndim", 1) != 0
    ):
        return str([plain(item) for item in value])
    return _category_text(value)


def _post_keys(X, columns, date_column=None, dayfirst=False, instants=None) -> np.ndarray:
    """One 64-bit hash per row of ``X`` of its ``columns``' cells, so that a table read again,
    or passed through a pipeline's column steps, gives the same keys: each cell as text,
    compared as accounts are (``_category_text``: ``7.0`` is ``"7"``; a missing or blank cell
    is ``""``; a line break as ``\\n``, as the features and prompts read it; an accent
    composed, NFC, as the features count it), and the
    ``date_column``'s as the instant it names (:func:`parse_dates`: ``2018-06-30``,
    ``2018-06-30 00:00:00+00:00`` and a parsed Timestamp are one), or as text where it names
    none; ``instants``: that column already parsed so (fit has it)."""
    cells = {}
    for j, name in enumerate(columns):
        values = X[name].to_numpy(dtype=object)
        texts = pd.Series(values, dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # text and missing values only (most columns): the same as the loop below, at once
            text = texts.where(texts.notna(), "")
            text = text.where(text.str.strip() != "", "")
        else:
            text = pd.Series(["" if _is_missing(v) else _key_text(v) for v in values], dtype=object)
        # a line break written "\r\n" (a CSV checked out on Windows) or "\r" is the "\n" that
        # PostFeatures counts and PromptBuilder writes: one post, read from either file
        broken = text.str.contains("\r", regex=False).to_numpy(dtype=bool)
        if broken.any():
            text[broken] = text[broken].map(_line_ends)
        if name == date_column:
            if instants is None:
                instants = parse_dates(values, dayfirst=dayfirst)
            found = instants.notna().to_numpy()
            stamps = instants.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            text[found] = ["@" + str(ns) for ns in stamps[found]]
        cells[j] = [t if t.isascii() else _hashable_text(t) for t in text]
    frame = pd.DataFrame(cells, index=pd.RangeIndex(len(X)), dtype=object)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


class PostFeatures(TransformerMixin, BaseEstimator):
    """Metadata features of posts for a likes regressor.

    From a DataFrame of posts (columns ``content``/``caption``, ``username``,
    ``inferred_company``, ``date``, ``media`` by default) it computes, per row:

    * **date** (``date_column``): ``hour``, ``weekday`` (Monday=0), ``month``, ``year``, in UTC;
      ``hour`` is NaN for a date written without a time of day (``2020-06-15``), which is
      read as that day, not as midnight, and is left out of the output when no training date
      has a time of day.
      Values may be datetimes or date strings, read by :func:`skbucket.dates.parse_dates`
      (the parser :class:`~skbucket.prompts.PromptBuilder` uses: ISO 8601 first, then any
      format pandas reads with ``format="mixed"``; ambiguous numeric dates such as
      ``03/04/2021`` month first unless ``dayfirst=True``, and a column mixing both orders is
      an error, see ``dayfirst``); strings or datetimes without a time zone are taken as UTC,
      others are converted to UTC. A missing date (or a blank string) gives NaN features; an
      unparseable one — text that is no date, or a number or other non-date object in a
      text column — gives NaN features and an :class:`UnparseableDateWarning` naming the rows
      (``invalid_dates="nan"``, the default), or a :class:`PostFeaturesError` naming the first
      bad row (``invalid_dates="raise"``). Numeric date columns are refused (an epoch integer
      is ambiguous).
    * **media** (``media_column``): ``media_count`` and one count per kind in
      :data:`MEDIA_KINDS` (``media_photo``, ...), parsed with :func:`skbucket.media.parse_media`.
      A value it cannot parse raises :class:`PostFeaturesError` naming the row.
    * **text** (each of ``text_columns``): ``<col>_length`` (characters), ``<col>_hyperlinks``
      (``<hyperlink>`` tokens and raw ``http(s)://`` URLs, also when glued to the word before
      them, as Japanese, Chinese or Arabic posts write them, ``詳細はhttps://...``: only an
      ASCII letter, digit or ``_`` right before ``http`` makes it no link; a URL in another's
      path or query, after its ``/``, ``=``, ``?``, ``&`` or ``#``, as an archive or share link
      holds one, is part of that link), ``<col>_mentions`` (``<mention>``
      tokens and raw ``@handles`` outside links, with no letter or digit of any script right
      before the ``@``, so e-mail addresses are none), ``<col>_hashtags`` (``#tag`` outside links,
      with at least one letter; the HTML entity ``&#39;`` is not one; the fullwidth ``＃`` and
      ``＠`` of Japanese and Chinese text count as ``#`` and ``@``) and ``<col>_emoji``
      (emoji as a reader sees them, after Unicode's UTS #51: each emoji character counts once
      with its variation selector and skin tone, and so does a whole ZWJ sequence such as a
      family, a flag or a keycap such as 1 + U+20E3; the signs U+00A9 copyright, U+00AE
      registered and U+2122 trade mark (not the typed ``(c)``) count only when followed by
      U+FE0F, which asks for their emoji form; symbols that are no emoji characters, such as
      U+2605 black star or U+2713 check mark, and anything followed by U+FE0E do not count).
      Text is counted in Unicode's NFC form, as Twitter counts it, so an accent written as a
      letter plus a combining mark (macOS's NFD) counts as the one character it shows, and
      with its line ends as ``\\n`` (a line break written ``\\r\\n``, as a CSV checked out on
      Windows holds it, is one character too).
      Missing text is empty text; a cell that is no string, or a string that is not valid
      Unicode (a lone surrogate), raises :class:`PostFeaturesError` naming the row.
    * **accounts** (each of ``category_columns``): ``<col>_target``, the mean of the transformed
      target (``log1p(likes)`` by default) over the training posts with that value, shrunk to the
      global mean (sklearn's :class:`~sklearn.preprocessing.TargetEncoder`), and, with
      ``count_encoding=True``, ``<col>_count``, the number of training posts with that value.
      :meth:`fit_transform` **cross-fits** both: each training row is encoded by the posts in the
      other ``cv`` folds only, so a row never sees its own target, and an account whose posts
      all fall in one fold looks like a new account at predict time: count 0, and target the
      mean of the other folds' targets, which is close to, not equal to, the global mean a
      new account gets at :meth:`transform` (out-of-fold counts are scaled by
      ``n / n_other_folds`` to keep the full-data scale). :meth:`transform` uses the
      encodings learnt on all training rows; values unseen in training get the global mean
      and a count of 0. Values are compared as text (``123``, ``123.0`` and ``"123"`` are
      one account: an integer id column read as floats, as pandas does when one id is
      missing, still matches, up to 2**53: read longer ids, such as 19-digit ones, as text);
      a missing value (or a blank text: ``""``, whitespace only) is a category of its own for
      the target encoding and counts 0. Text is
      compared exactly: ``"CNN"``, ``"CNN "`` and ``"cnn"`` are three accounts, and a value at :meth:`transform` that matches a training
      value only after Unicode NFKC normalisation, dropping invisible format characters
      (zero-width space, U+FEFF), ``strip()`` and ``casefold()`` raises an
      :class:`AccountSpellingWarning` (once per column and call), as it is encoded as a new
      account.

    Columns are selected by name, so ``transform`` accepts the columns in any order (extra
    columns are ignored). A non-DataFrame input (array, list of rows) is read as a DataFrame with
    integer column labels, so integer positions work as column keys there.

    The columns and ``count_encoding`` decide which features a fit makes (and a step after
    this one is fit on them): changed with ``set_params`` on a fitted transformer, they take
    effect at the next ``fit``; ``invalid_dates`` and ``dayfirst`` act at transform time.

    Parameters
    ----------
    text_columns : "auto" or sequence of str, default="auto"
        Text columns to count in. ``"auto"``: those of ``("content", "caption")`` present in ``X``
        at fit (the real ``posts_captioned`` data has only ``caption``); an empty tuple disables.
    date_column : str, int or None, default="date"
        Posting time column; None disables the date features. A training column of which no
        value can be read as a date (all missing, say) disables them too, for that fit, with
        an :class:`UnparseableDateWarning`.
    media_column : str, int or None, default="media"
        Column of media lists (the scraper's text form); None disables the media features.
    category_columns : sequence of str or int, default=("username", "inferred_company")
        Columns to target-encode (and count-encode).
    target_transform : {"log1p"} or None, default="log1p"
        Transform of ``y`` before target encoding. ``"log1p"`` suits heavy-tailed counts such as
        likes (needs ``y >= 0``); None encodes ``y`` as it is.
    count_encoding : bool, default=True
        Add ``<col>_count`` for each category column.
    cv : int, default=5
        Folds of the cross-fitting in :meth:`fit_transform` (at least 2). Fewer posts than
        folds (at least 2) are cross-fitted one post per fold (leave-one-out), with a
        :class:`~skbucket.exceptions.TooFewRowsWarning`, as in the first rounds of a
        successive-halving search.
    smooth : "auto" or float, default="auto"
        Shrinkage of the target encoding, as in :class:`~sklearn.preprocessing.TargetEncoder`.
    shuffle : bool, default=True
        Shuffle the rows before splitting them into folds.
    random_state : int, RandomState instance or None, default=None
        Seed of the fold shuffling (used only when ``shuffle=True``).
    invalid_dates : {"nan", "raise"}, default="nan"
        What an unparseable (non-missing) date gives: NaN features plus a warning, or an error.
    dayfirst : bool, default=False
        Read ambiguous numeric dates such as ``03/04/2021`` day first (3 April) instead of
        month first (4 March); dates written year first (ISO or not) are never read day
        first. A date column that contradicts it (``13/04/2021``, only readable day first,
        next to an ambiguous ``03/04/2021`` that would be misread) raises
        :class:`PostFeaturesError` naming both rows (see
        :func:`skbucket.dates.day_month_conflict`); so does a date at transform that
        contradicts one seen at fit (``day_month_examples_``).

    Attributes
    ----------
    text_columns_ : list
        Text columns used (``"auto"`` resolved at fit).
    category_columns_ : list
        Category columns used.
    target_encoder_ : TargetEncoder or None
        The encoder fitted on all training rows (None without category columns).
    counts_ : list of dict
        For each category column, the training count of each value.
    day_month_examples_ : tuple of str
        Numeric dates of the training date column that settle its day/month order
        (:func:`skbucket.dates.day_month_examples`; empty without a date column):
        ``transform`` refuses dates that contradict them, e.g. an ambiguous ``03/04/2021``
        read month first after ``13/04/2021`` was seen at fit, unless ``dayfirst`` was changed
        since (new data in the other order, see :func:`skbucket.dates.dates_seen`).
    dayfirst_ : bool
        The ``dayfirst`` of the fit.
    post_key_columns_ : list
        The columns that identify a post: the category columns, the date and media columns
        and the text columns other than a ``caption`` (which a captioner before this step may
        make). Empty when none is configured.
    post_keys_ : ndarray of uint64 or None
        A 64-bit hash of each distinct training post's ``post_key_columns_`` values (as text,
        the date as the instant it names; sorted), so that
        :func:`skbucket.pipeline.seen_posts` can tell which posts scored later were among the
        training posts (an evaluation on them flatters the model). None when the key columns
        are the category columns alone (or none), which tell no post from the next one by the
        same account. A hash says whether a given post was in the training data, not what
        the posts were.
    n_features_in_ : int
        Number of columns of ``X`` at fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` at fit (only when they are all strings).

    See Also
    --------
    skbucket.media.parse_media : Reads the media column.
    sklearn.preprocessing.TargetEncoder : The cross-fitted encoder used for the accounts.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbucket.features import PostFeatures
    >>> posts = pd.DataFrame({
    ...     "content": ["Hi <mention> #sale \U0001f600 <hyperlink>", "New drop <hyperlink>"] * 3,
    ...     "username": ["a", "b", "c"] * 2,
    ...     "inferred_company": ["x", "x", "y"] * 2,
    ...     "date": ["2020-03-02 14:30:00", "2021-12-25 08:00:00+02:00"] * 3,
    ...     "media": ["[]"] * 6,
    ... })
    >>> likes = [10, 200, 3, 12, 180, 5]
    >>> pf = PostFeatures(cv=2, random_state=0).set_output(transform="pandas")
    >>> Xt = pf.fit_transform(posts, likes)
    >>> Xt.loc[0, ["hour", "weekday", "month", "year"]].tolist()
    [14.0, 0.0, 3.0, 2020.0]
    >>> Xt.loc[1, ["hour", "weekday"]].tolist()  # 08:00+02:00 is 06:00 UTC on a Saturday
    [6.0, 5.0]
    >>> counts = ["content_hyperlinks", "content_mentions", "content_hashtags", "content_emoji"]
    >>> Xt.loc[0, counts].tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> pf.transform(posts.assign(username="never-seen")).loc[0, "username_count"]
    np.float64(0.0)
    """

    _parameter_constraints: dict = {
        "text_columns": [StrOptions({"auto"}), list, tuple],
        "date_column": [str, numbers.Integral, None],
        "media_column": [str, numbers.Integral, None],
        "category_columns": [list, tuple],
        "target_transform": [StrOptions({"log1p"}), None],
        "count_encoding": ["boolean"],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "smooth": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "invalid_dates": [StrOptions({"nan", "raise"})],
        "dayfirst": ["boolean"],
    }

    def __init__(
        self,
        *,
        text_columns="auto",
        date_column="date",
        media_column="media",
        category_columns=("username", "inferred_company"),
        target_transform="log1p",
        count_encoding=True,
        cv=5,
        smooth="auto",
        shuffle=True,
        random_state=None,
        invalid_dates="nan",
        dayfirst=False,
    ):
        self.text_columns = text_columns
        self.date_column = date_column
        self.media_column = media_column
        self.category_columns = category_columns
        self.target_transform = target_transform
        self.count_encoding = count_encoding
        self.cv = cv
        self.smooth = smooth
        self.shuffle = shuffle
        self.random_state = random_state
        self.invalid_dates = invalid_dates
        self.dayfirst = dayfirst

    # ------------------------------------------------------------------ sklearn API
    @refit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the account encodings on all rows of ``X``.

        Parameters
        ----------
        X : DataFrame of shape (n_posts, n_columns)
            Posts (pandas; a polars DataFrame or pyarrow Table is read as pandas); must hold
            every configured column.
        y : array-like of shape (n_posts,), default=None
            Likes. Required when ``category_columns`` is not empty.

        Returns
        -------
        self : PostFeatures
            Fitted transformer.
        """
        self._fit(X, y)
        return self

    @refit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, **fit_params):
        """Fit on ``X`` and return its features with **cross-fitted** account encodings.

        Each row's ``<col>_target`` and ``<col>_count`` come from the other ``cv`` folds only, so
        the result differs from ``fit(X, y).transform(X)`` (which would leak each row's target).

        Parameters
        ----------
        X : DataFrame of shape (n_posts, n_columns)
            Posts.
        y : array-like of shape (n_posts,), default=None
            Likes. Required when ``category_columns`` is not empty.
        **fit_params : dict
            Must be empty, as for :meth:`fit`: the account encodings take no ``sample_weight``
            (scikit-learn's ``TargetEncoder`` has none).

        Returns
        -------
        X_out : ndarray of shape (n_posts, n_features_out), float64
            Features (a DataFrame with ``set_output(transform="pandas")``).
        """
        if fit_params:
            raise TypeError(
                f"{type(self).__name__}.fit_transform() got unexpected keyword argument(s) "
                f"{sorted(fit_params)}; it takes none (the account encodings are unweighted: "
                "scikit-learn's TargetEncoder takes no sample_weight)."
            )
        X, y_enc, seed, cats = self._fit(X, y)
        out = self._transform_fixed(X)
        if self.category_columns_:
            n_folds = self.cv
            if len(X) < 2:  # KFold's own error names neither the step nor its setting
                raise ValueError(
                    f"{type(self).__name__}(cv={self.cv}) cross-fits its encodings of "
                    f"{self.category_columns_} in {self.cv} folds and needs at least 2 "
                    f"posts to fit; got {len(X)}. Pass more posts."
                )
            if len(X) < self.cv:
                # the first rounds of a successive-halving search (HalvingGridSearchCV), the
                # folds of a small cross-validation: as BucketedRegressor falls back to fewer
                # regressors, one fold per post (leave-one-out) and a warning
                from .bucketed import TooFewRowsWarning

                n_folds = len(X)
                warnings.warn(
                    f"{type(self).__name__}(cv={self.cv}) got {len(X)} posts to fit, fewer "
                    f"than its folds: its encodings of {self.category_columns_} are "
                    f"cross-fitted in {n_folds} folds (one post each).",
                    TooFewRowsWarning,
                    stacklevel=user_stacklevel(),
                )
            # the same folds for the target and the count encodings
            fold_seed = seed if self.shuffle else None  # KFold refuses a seed it cannot use
            kfold = KFold(n_folds, shuffle=self.shuffle, random_state=fold_seed)
            splits = list(kfold.split(cats))
            if _SKLEARN_CV_SPLITS:
                encoder = TargetEncoder(target_type="continuous", smooth=self.smooth, cv=splits)
            else:  # scikit-learn < 1.9 builds the same KFold itself
                encoder = TargetEncoder(
                    target_type="continuous",
                    smooth=self.smooth,
                    cv=n_folds,
                    shuffle=self.shuffle,
                    random_state=fold_seed,
                )
            # no metadata goes to the encoder; with scikit-learn's metadata routing on, its
            # fit_transform looks up a "groups" entry that routing never fills (KeyError)
            with sklearn.config_context(enable_metadata_routing=False):
                encoded = encoder.fit_transform(cats, y_enc)
            out.append(encoded)
            if self._setting("count_encoding"):
                out.append(self._oof_counts(cats, splits))
        return self._stack(out, len(X), self._names())

    def transform(self, X):
        """Compute the features of ``X`` with the encodings learnt on all training rows.

        Parameters
        ----------
        X : DataFrame of shape (n_posts, n_columns)
            Posts with the columns used at fit (any order; extra columns ignored).

        Returns
        -------
        X_out : ndarray of shape (n_posts, n_features_out), float64
            Features (a DataFrame with ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        validate_params_in_use(self)  # dayfirst, invalid_dates act here and may be set after fit
        self._check_unique_names()  # set_output may have been called after fit
        X = self._as_frame(X, reset=False)
        out = self._transform_fixed(X)
        if self.category_columns_:
            cats = self._categories(X)
            self._warn_near_matches(cats)
            assert self.target_encoder_ is not None  # fitted with category_columns_ (refit)
            out.append(self.target_encoder_.transform(cats))
            if self._setting("count_encoding"):
                out.append(
                    np.column_stack(
                        [
                            cats.iloc[:, j].map(self.counts_[j]).fillna(0.0).to_numpy(np.float64)
                            for j in range(cats.shape[1])
                        ]
                    )
                )
        return self._stack(out, len(X), self._names())

    def unseen_counts(self, X) -> dict:
        """How many posts of ``X`` are by an account or company no training post had.

        Such a post gets the training mean as its target encoding and a count of 0 (and the
        seed pipeline's default router sends a post of a new company to its text model):
        its prediction rests on less than a known account's, and its error is often larger.

        Parameters
        ----------
        X : DataFrame of shape (n_posts, n_columns)
            Posts with the category columns used at fit (the raw posts a pipeline takes
            will do: no other column is read).

        Returns
        -------
        counts : dict
            ``{category column: number of posts}`` whose value (not missing) no training
            post held, compared as the encodings compare them.

        Examples
        --------
        >>> import pandas as pd
        >>> from skbucket.features import PostFeatures
        >>> posts = pd.DataFrame({"username": ["a", "b", "a", "b"],
        ...                       "inferred_company": ["x", "x", "y", "y"]})
        >>> pf = PostFeatures(date_column=None, media_column=None, cv=2)
        >>> pf = pf.fit(posts, [1, 10, 100, 1000])
        >>> new = posts.assign(username=["a", "c", "d", None])
        >>> pf.unseen_counts(new)
        {'username': 2, 'inferred_company': 0}
        """
        return {name: int(mask.sum()) for name, mask in self._unseen_masks(X).items()}

    def _unseen_masks(self, X) -> dict:
        """``{category column: boolean array}``: which posts of ``X`` hold a value (not
        missing) that no training post held (:meth:`unseen_counts` counts them)."""
        check_is_fitted(self)
        X = as_pandas(X)
        if not isinstance(X, pd.DataFrame):
            raise PostFeaturesError(
                f"{type(self).__name__}.unseen_counts expects a DataFrame of posts, got "
                f"{type(X).__name__}."
            )
        missing = [c for c in self.category_columns_ if c not in X.columns]
        if missing:
            raise PostFeaturesError(
                f"{type(self).__name__}.unseen_counts: column(s) {missing} not found in X; "
                f"columns present: {list(X.columns)}."
            )
        if not self.category_columns_:
            return {}
        # a column held twice (after a pd.concat) is said so, as transform says it: its cells
        # were rows of two values, "expected one text or number, got a ndarray"
        self._check_once(X, self.category_columns_)
        if len(X) == 0:  # no post, none new (the cell checks below want one)
            return {str(name): np.zeros(0, dtype=bool) for name in self.category_columns_}
        cats = self._categories(X)
        return {
            str(name): (cats.iloc[:, j].notna() & ~cats.iloc[:, j].isin(list(known))).to_numpy()
            for j, (name, known) in enumerate(zip(self.category_columns_, self.counts_))
        }

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Must match :attr:`feature_names_in_` (or have :attr:`n_features_in_` names) when
            given, as in scikit-learn; the output names depend on the configured columns only.

        Returns
        -------
        names : ndarray of str
            ``hour, weekday, month, year``, ``media_count, media_<kind>...``,
            ``<text col>_<length|hyperlinks|mentions|hashtags|emoji>...``,
            ``<category col>_target...``, ``<category col>_count...``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return self._names()

    def _names(self):
        """The output names of the columns and settings fit has fixed."""
        names = []
        if self._setting("date_column") is not None:
            names += [f for f in DATE_FEATURES if f != "hour" or self._has_hour()]
        if self._setting("media_column") is not None:
            names += ["media_count", *(f"media_{k}" for k in MEDIA_KINDS)]
        for col in self.text_columns_:
            names += [f"{_key_name(col)}_{f}" for f in TEXT_FEATURES]
        names += [f"{_key_name(c)}_target" for c in self.category_columns_]
        if self._setting("count_encoding"):
            names += [f"{_key_name(c)}_count" for c in self.category_columns_]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        try:  # y encodes the account columns: needed unless there are none
            tags.target_tags.required = self.category_columns is not None and bool(
                len(self.category_columns)
            )
        except TypeError:  # a value fit refuses (category_columns=0): tags, repr never fail
            tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ internals
    def _fit(self, X, y):
        X = self._as_frame(X, reset=True)
        if self.text_columns == "auto":
            self.text_columns_ = [c for c in AUTO_TEXT_COLUMNS if c in X.columns]
            _warn_unread_text(
                X,
                [*self.text_columns_, *self.category_columns, self.date_column, self.media_column],
                type(self).__name__,
                # the text columns found (a caption, if any) and the first unread one: the
                # example ['caption', <name>] failed on a table without captions
                lambda unread: (
                    "name it in text_columns (e.g. text_columns="
                    f"{[*self.text_columns_, unread[0]]!r}), or rename it to 'content'."
                ),
            )
        else:
            self.text_columns_ = list(self.text_columns)
        self.category_columns_ = list(self.category_columns)
        # which features the output has, fixed at fit as the columns are: set_params on a
        # fitted transformer takes effect at the next fit (a step after it was fit on these)
        self._settings_ = {
            "date_column": self.date_column,
            "media_column": self.media_column,
            "count_encoding": self.count_encoding,
        }
        for name, columns in (("text", self.text_columns_), ("category", self.category_columns_)):
            repeated = pd.Index(columns)[pd.Index(columns).duplicated()]
            if len(repeated):  # the outputs would share names / the encoder refuses them
                raise PostFeaturesError(
                    f"{type(self).__name__}: {name}_columns names {repeated[0]!r} more than once "
                    f"({list(columns)}); name each column once."
                )
        self._check_columns(X)
        self.day_month_examples_: tuple[str, ...] = ()
        if self.date_column is not None:
            self.day_month_examples_ = _fitted_day_month(
                X[self.date_column],
                dayfirst=bool(self.dayfirst),
                column=self.date_column,
                error=PostFeaturesError,
            )
        self.dayfirst_ = bool(self.dayfirst)
        if self._setting("date_column") is not None and not self._some_date(
            X[self._setting("date_column")]
        ):
            self._settings_["date_column"] = None  # warned: no date features from this fit
        parsed = None  # the dates, parsed once for the hour and the post keys
        if self._setting("date_column") is not None:
            # a column of days without a time (2020-06-15): no hour to learn from, and a
            # column of NaN only fails HistGradientBoosting (the default router): left out
            values = X[self._setting("date_column")]
            parsed = parse_dates(values, dayfirst=bool(self.dayfirst))
            self._settings_["hour"] = bool(
                (parsed.notna().to_numpy() & ~timeless(values, parsed)).any()
            )
        self._check_unique_names()
        self.post_key_columns_ = list(
            dict.fromkeys(
                c
                for c in (
                    *self.category_columns_,
                    self.date_column,
                    self.media_column,
                    *(c for c in self.text_columns_ if c not in _MADE_TEXT_COLUMNS),
                )
                if c is not None
            )
        )
        self._settings_["post_key_date"] = self.date_column  # read as instants
        # the account and company alone tell no post from the next one by the same account
        identifying = set(self.post_key_columns_) - set(self.category_columns_)
        self.post_keys_ = (
            np.unique(
                _post_keys(X, self.post_key_columns_, self.date_column, self.dayfirst_, parsed)
            )
            if identifying
            else None
        )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        y_enc = cats = None
        self.target_encoder_ = None
        self.counts_ = []
        if self.category_columns_:
            if y is None:
                raise PostFeaturesError(
                    f"{type(self).__name__} requires y to be passed, but the target y is None: "
                    "y (likes) "
                    f"is needed to target-encode {self.category_columns_}; pass y or set "
                    "category_columns=()."
                )
            y_enc = self._encode_target(y, X)
            cats = self._categories(X)
            self.target_encoder_ = TargetEncoder(target_type="continuous", smooth=self.smooth).fit(
                cats, y_enc
            )
            self.counts_ = [cats.iloc[:, j].value_counts().to_dict() for j in range(cats.shape[1])]
            self._warn_split_accounts(cats)
        return X, y_enc, seed, cats

    def _as_frame(self, X, *, reset):
        X = as_pandas(X)
        if not isinstance(X, pd.DataFrame):
            made_by = library(X)
            one_d = isinstance(X, pd.Series) or (hasattr(X, "ndim") and X.ndim == 1)
            one_d |= made_by == "polars" and type(X).__name__ == "Series"
            one_d |= made_by == "pyarrow" and not hasattr(X, "column_names")  # an array
            if one_d:
                raise PostFeaturesError(
                    f"{type(self).__name__} expects a 2-D table of posts (a DataFrame), got a 1-D "
                    f"{type(X).__name__}. Reshape your data: pass a DataFrame with one row per "
                    "post."
                )
            X = pd.DataFrame(
                check_array(X, dtype=None, ensure_all_finite=False, ensure_min_features=1)
            )
            _check_n_features(self, X, reset=reset)  # positions matter for arrays
        elif reset:
            _check_n_features(self, X, reset=True)
        if reset:
            check_unique_columns(X, type(self).__name__, PostFeaturesError)
            _check_feature_names(self, X, reset=True)
        if X.shape[0] == 0:
            raise PostFeaturesError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
            )
        if not reset:
            self._check_columns(X)
        return X

    def _check_unique_names(self) -> None:
        """Refuse, for a pandas or polars output, two output features of one name (the media
        column as a category column too: two ``media_count``), which the next step refused
        (HistGradientBoosting: ``DuplicateError``; XGBoost: an ``AttributeError``). An array
        output has no names: it is left as it was."""
        from sklearn.utils._set_output import _get_output_config

        container = _get_output_config("transform", self)["dense"]
        if container == "default":
            return
        names = pd.Index(self._names())
        if names.has_duplicates:
            raise PostFeaturesError(
                f"{type(self).__name__}: two of its output features would be named "
                f"{names[names.duplicated()][0]!r}, the feature of one column named as another "
                f"column's (media_column={self._setting('media_column')!r}, text_columns="
                f"{self.text_columns_}, category_columns={self.category_columns_}, "
                f"count_encoding={self._setting('count_encoding')}), which a "
                f"{container} output cannot hold: give "
                "each column one role, rename one of the columns, or use the array output."
            )

    def _setting(self, name):
        """``date_column``, ``media_column`` or ``count_encoding`` as fit used it (a model
        pickled before fit recorded them reads the parameter)."""
        return getattr(self, "_settings_", {}).get(name, getattr(self, name))

    def _has_hour(self) -> bool:
        """Whether the output has the ``hour`` feature: some training date had a time of day
        (a model pickled before fit recorded it has the feature)."""
        return getattr(self, "_settings_", {}).get("hour", True)

    def _check_columns(self, X):
        wanted = [*self.text_columns_, *self.category_columns_]
        dated = (self._setting("date_column"), self._setting("media_column"))
        wanted += [c for c in dated if c is not None]
        check_flat_columns(X, "PostFeatures", wanted, PostFeaturesError)
        missing = [c for c in wanted if c not in X.columns]
        if missing:
            raise PostFeaturesError(
                f"{type(self).__name__}: column(s) {missing} not found in X; columns present: "
                f"{column_list(X.columns)}. Configure text_columns=, date_column=, media_column= "
                "or category_columns= to match your data."
            )
        self._check_once(X, wanted)

    def _check_once(self, X, wanted):
        """Refuse a column of ``wanted`` that ``X`` holds more than once."""
        check_read_once(X, wanted, type(self).__name__, PostFeaturesError)

    def _encode_target(self, y, X):
        # numeric, finite, 1-D; errors name the first bad row (shared with BucketedRegressor)
        y = _check_targets(y, name="y", allow_negative=True)
        _check_one_target_per_row(len(X), len(y), PostFeaturesError)
        if self.target_transform == "log1p":
            if np.any(y < 0):
                row = int(np.flatnonzero(y < 0)[0])
                raise PostFeaturesError(
                    f"target_transform='log1p' needs y >= 0 (like counts); y[{row}] = {y[row]}. "
                    "Pass target_transform=None to encode y as it is."
                )
            return np.log1p(y)
        return y

    def _categories(self, X):
        # compare values as text (a column mixing 123 and "123" is one category), missing -> NaN;
        # an integral float is its integer (an int id column turns float when one is missing).
        # Cell by cell in numpy: the frame pandas' astype/where/map made, in a tenth of the time
        names = [_key_name(c) for c in self.category_columns_]
        out = np.empty((len(X), len(names)), dtype=object)
        for j, name in enumerate(self.category_columns_):
            values = X[name].to_numpy(dtype=object)
            found = _bad_text_cell(values)
            if found is not None:
                raise PostFeaturesError(
                    f"{type(self).__name__}: category column {name!r}, row "
                    f"{plain(X.index[found[0]])!r}: {found[1]}"
                )
            # a blank text is missing, as PromptBuilder reads it (an empty CSV cell is read as
            # missing, a Parquet file keeps it "": the same table gave other encodings)
            missing = pd.isna(values) | [isinstance(v, str) and not v.strip() for v in values]
            out[:, j] = [np.nan if gone else _category_text(v) for v, gone in zip(values, missing)]
        return pd.DataFrame(out, index=X.index, columns=names, dtype=object)

    @staticmethod
    def _oof_counts(cats, splits):
        """Out-of-fold counts, scaled to the size of the full training set."""
        n = len(cats)
        out = np.zeros(cats.shape, dtype=np.float64)
        for train, test in splits:
            scale = n / len(train)
            for j in range(cats.shape[1]):
                counts = cats.iloc[train, j].value_counts()
                out[test, j] = cats.iloc[test, j].map(counts).fillna(0.0).to_numpy() * scale
        return out

    def _transform_fixed(self, X):
        """The features that do not depend on y (date, media, text)."""
        out = []
        date_column, media_column = self._setting("date_column"), self._setting("media_column")
        if date_column is not None:
            out.append(self._date_features(X[date_column]))
        if media_column is not None:
            out.append(self._media_features(X[media_column]))
        for col in self.text_columns_:
            out.append(self._text_features(X[col], col))
        return out

    def _warn_split_accounts(self, cats):
        """One :class:`AccountSpellingWarning` per category column whose training values
        include spellings of one account that differ but for case, surrounding spaces, a
        leading ``@``, Unicode normalisation or invisible characters (``"IndependentNGR"``,
        ``"independentngr "``, ``"@IndependentNGR"`` from a merged export): each is encoded as
        an account of its own, splitting the account's history."""
        for j, name in enumerate(cats.columns):
            spellings: dict[str, list[str]] = {}
            for value in self.counts_[j]:
                if isinstance(value, str):
                    spellings.setdefault(_spelling_key(value), []).append(value)
            split = [sorted(group, key=str) for group in spellings.values() if len(group) > 1]
            if split:
                warnings.warn(
                    f"{type(self).__name__}: "
                    f"{len(split)} account(s) of {name!r} are written in more "
                    f"than one way in the training rows, differing but for case, surrounding "
                    f"spaces, a leading @, Unicode normalisation or invisible characters, e.g. "
                    f"{split[0]!r}; each spelling is encoded as an account of its own. If they "
                    f"are one account, write the column one way first ({_ADVICE}).",
                    AccountSpellingWarning,
                    stacklevel=user_stacklevel(),
                )

    def _warn_near_matches(self, cats):
        """One :class:`AccountSpellingWarning` per category column whose values unseen in
        training match a training value but for case, surrounding spaces, Unicode
        normalisation or invisible characters (``"CNN "``, ``"cnn"`` for ``"CNN"``; a
        decomposed ``"Zoe\u0308"`` or ``"Zo\u200bë"`` for ``"Zoë"``): encoded as new accounts,
        they lose the account's history (and the hybrid router sends their posts to the text
        model) without a word."""
        for j, name in enumerate(cats.columns):
            known = self.counts_[j]
            values = cats.iloc[:, j]
            unseen = values[values.notna() & ~values.isin(list(known))].unique()
            if not len(unseen):
                continue
            pairs = _spelling_pairs(known, unseen)
            if pairs:
                new, old = pairs[0]
                routed = (
                    "; and the seed pipeline's default router sends a post of a company it has "
                    "not seen to its text model instead of the router learnt on known "
                    "companies' posts"
                    if name == "inferred_company"
                    else ""
                )
                warnings.warn(
                    f"{type(self).__name__}: "
                    f"{len(pairs)} value(s) of {name!r} unseen in training match "
                    f"a training value but for case, surrounding spaces, a leading @, Unicode "
                    f"normalisation or invisible characters, e.g. {new!r} for {old!r}; they are "
                    f"encoded as new accounts (the global mean, a count of 0{routed}). If they "
                    "are the "
                    f"same accounts, write the column the same way at fit and predict ({_ADVICE} "
                    "on both).",
                    AccountSpellingWarning,
                    stacklevel=user_stacklevel(),
                )

    def _some_date(self, values) -> bool:
        """Whether some training date can be read; if none can, warn that the date features
        are left out of this fit's output (they would be NaN in every row, which learns
        nothing, and on which scikit-learn's HistGradientBoosting, the default router, fails
        with "window shape cannot be larger than input array shape").

        Reads the values a chunk at a time until one is a date, so a dated column costs a
        few hundred parses, not a second pass over every row."""
        present = values[values.notna().to_numpy()]
        for start in range(0, len(present), 256):
            chunk = present.iloc[start : start + 256]
            if parse_dates(chunk, dayfirst=self.dayfirst).notna().any():
                return True
        # its errors (invalid_dates="raise", a day/month-mixed column); its warning is said
        # below, in full (not silenced with the warning filters: they are the process's, and
        # a fit in another thread would lose its warning meanwhile)
        self._date_features(values, warn=False)
        shown = values[values.map(lambda v: not (isinstance(v, str) and not v.strip()))]
        shown = shown.dropna()
        example = ""
        if not shown.empty:
            example = f", e.g. row {plain(shown.index[0])!r}: {shown.iloc[0]!r:.60}"
            example += undated_hint(shown.iloc[0])  # epoch seconds as text: how to convert
        warnings.warn(
            f"date column {values.name!r}: none of the {len(values):,} training posts has a "
            f"date that can be read (all missing, blank or unparseable{example}), so this fit "
            "leaves the date features (hour, weekday, month, year) out of its output, as "
            "date_column=None does, until it is fitted on dated posts.",
            UnparseableDateWarning,
            stacklevel=user_stacklevel(),
        )
        return False

    def _date_features(self, values, warn=True):
        col = values.name
        # naive UTC, by position; a numeric column is refused (PostFeaturesError)
        dates = read_dates(
            values,
            dayfirst=self.dayfirst,
            column=col,
            error=PostFeaturesError,
            seen=dates_seen(self),
        )
        blank = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(bool)
        bad = dates.isna().to_numpy() & values.notna().to_numpy() & ~blank
        if bad.any():
            rows = list(values.index[bad])
            msg = _unparsed_text(col, rows, values.iloc[int(np.argmax(bad))])
            if self.invalid_dates == "raise":
                raise PostFeaturesError(msg)
            if warn:
                warnings.warn(
                    msg + "; their date features are NaN.",
                    UnparseableDateWarning,
                    stacklevel=user_stacklevel(),
                )
        columns = [
            dates.dt.day_of_week.to_numpy(np.float64, na_value=np.nan),
            dates.dt.month.to_numpy(np.float64, na_value=np.nan),
            dates.dt.year.to_numpy(np.float64, na_value=np.nan),
        ]
        if self._has_hour():
            hours = dates.dt.hour.to_numpy(np.float64, na_value=np.nan, copy=True)
            hours[timeless(values, dates)] = np.nan  # a day without a time: not at midnight
            columns.insert(0, hours)
        return np.column_stack(columns)

    def _media_features(self, values):
        from skbucket.media import parse_media

        out = np.zeros((len(values), 1 + len(MEDIA_KINDS)), dtype=np.float64)
        for i, (row, value) in enumerate(values.items()):
            try:
                refs = parse_media(value)
            except (ValueError, TypeError, SyntaxError) as exc:
                raise PostFeaturesError(
                    f"media column {values.name!r}, row {row!r}: cannot parse {str(value)[:80]!r}"
                    f" ({exc})"
                ) from exc
            out[i, 0] = len(refs)
            for ref in refs:
                kind = getattr(ref, "kind", None)
                if kind in MEDIA_KINDS:
                    out[i, 1 + MEDIA_KINDS.index(kind)] += 1
        return out

    def _text_features(self, values, col):
        texts = []
        for row, value in values.items():
            if _is_missing(value):  # None, NaN (any float), pd.NA, NaT: as PromptBuilder does
                texts.append("")
            elif isinstance(value, str):
                problem = None if value.isascii() else _unicode_problem(value)
                if problem is not None:  # a lone surrogate: no character, as the others say
                    raise PostFeaturesError(f"text column {col!r}, row {row!r}: {problem}")
                texts.append(value)
            else:
                raise PostFeaturesError(
                    f"text column {col!r}, row {row!r}: expected a string or a missing value, "
                    f"got {type(value).__name__} {value!r}."
                )
        # one text, one count, however its accents are encoded: a decomposed "e" + U+0301 (as
        # macOS writes files) is the "é" of NFC, Twitter's own form for counting characters
        texts = [t if t.isascii() else unicodedata.normalize("NFC", t) for t in texts]
        texts = [_line_ends(t) for t in texts]  # a line break is one character, "\r\n" too
        # each pattern is run only on the texts that hold a character its matches need (none
        # of them has a case variant for re.IGNORECASE to match): most texts hold no link,
        # mention or hashtag
        links, mentions, hashtags = [], [], []
        for t in texts:
            # links counted and cut out in one pass ("/@user/" in a URL is no mention)
            if "<" in t or "://" in t:
                t, n_links = _HYPERLINK_RE.subn(" ", t)
            else:
                n_links = 0
            mention = "@" in t or "<" in t or "\uff20" in t
            hashtag = "#" in t or "\uff03" in t
            if (mention or hashtag) and not t.isascii():
                # a combining mark NFC leaves (Devanagari's vowel signs and nukta, Arabic's
                # vowels) is part of its word: "#हिन्दी" is one tag, as Twitter reads it, and
                # "क़@user" holds no mention, as no word character may come before an @ (Twitter
                # asks only for no ASCII letter or digit there)
                t = _MARK_RE.sub("a", t)
            links.append(n_links)
            mentions.append(len(_MENTION_RE.findall(t)) if mention else 0)
            hashtags.append(len(_HASHTAG_RE.findall(t)) if hashtag else 0)
        return np.column_stack(
            [
                np.array([len(t) for t in texts], dtype=np.float64),
                np.array(links, dtype=np.float64),
                np.array(mentions, dtype=np.float64),
                np.array(hashtags, dtype=np.float64),
                count_emoji(texts),
            ]
        )

    @staticmethod
    def _stack(blocks, n, names):
        out = (
            np.ascontiguousarray(np.column_stack(blocks), dtype=np.float64)
            if blocks
            else np.empty((n, 0), dtype=np.float64)
        )
        if out.shape[1] != len(names):  # a feature computed but not named, or named only
            raise RuntimeError(
                f"PostFeatures computed {out.shape[1]} features but names {len(names)} "
                "(get_feature_names_out): a feature added to or removed from one of the "
                "_..._features methods and not to its names (DATE_FEATURES, MEDIA_KINDS, "
                "TEXT_FEATURES at the top of skbucket/features.py; PostFeatures._names), or "
                "the other way round."
            )
        return out
