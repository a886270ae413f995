"""Media references: parse the scraper's ``media`` text and load images safely.

Two halves, one concept ("what image does this post show, and give me its pixels"):

* :func:`parse_media` turns one cell of a ``media`` column into an ordered list of
  :class:`MediaRef` (image URL or path + kind). It reads the snscrape ``repr`` text in its
  exact usual form with one regex, and any other such text with :mod:`ast` and a whitelist of
  node types; nothing is ever evaluated.
* :func:`read_bytes`, :func:`decode_image`, :func:`load_image` and :class:`ImageFetcher` fetch
  and decode those references: local paths, ``file://`` and ``http(s)://`` URLs only, with
  timeouts, retries with exponential backoff for transient failures, byte and pixel caps,
  redirect checks, and a thread pool so that network I/O overlaps model work.

Every failure is a :class:`MediaError` (a :class:`ValueError`) whose message names the
reference. Pillow is imported lazily, inside the functions that decode images, so this module
imports without it.

Outcomes for bad media (all raise a :class:`MediaError` subclass from :func:`load_image`;
:class:`ImageFetcher` yields the error object instead of raising):

========================================  =====================================================
input                                     outcome
========================================  =====================================================
missing local file                        :class:`MediaFetchError` (not retried)
HTTP 404 / other 4xx, 501, 505, ...       :class:`MediaFetchError` with ``status`` (not retried)
HTTP 500, 502-504, 408, 425, 429          :class:`MediaFetchError` after ``retries`` retries
                                          (a 429/503's ``Retry-After`` is waited for, up
                                          to 60 s; a longer one ends the retries)
timeout, connection reset                 :class:`MediaFetchError` after ``retries`` retries
host unreachable (DNS, refused, silent)   :class:`MediaFetchError` after ``retries`` retries;
                                          :class:`ImageFetcher` then skips that host (see
                                          ``max_host_failures``)
redirect to another http(s) URL           followed (at most 10 redirects: more, or a loop,
                                          is a :class:`MediaFetchError`, not retried), to
                                          any host, loopback and private addresses too
redirect to ``file:``/``ftp:``/...        :class:`UnsupportedSchemeError` (not followed)
``ftp://``, ``javascript:``, ``data:``    :class:`UnsupportedSchemeError`
``http:///a.jpg`` (no host), ``:99999``   :class:`MediaFetchError` (not retried)
body larger than ``max_bytes``            :class:`MediaTooLargeError` (Content-Length or read)
gzip/deflate ``Content-Encoding``         decoded (within ``max_bytes``); another
                                          (``br``, ...): :class:`MediaFetchError`; one that
                                          names none (``none``, ``binary``): ignored
more than ``max_pixels`` pixels (bomb)    :class:`MediaTooLargeError` (checked on the header)
corrupt / truncated bytes, text as .jpg   :class:`MediaDecodeError`
CMYK, greyscale, palette, YCbCr, 16-bit   converted to RGB
RGBA / LA / transparent palette           alpha-composited on white, then RGB
animated GIF                              its first frame, RGB
video or GIF entry of the media column    its thumbnail image (see :func:`parse_media`)
========================================  =====================================================
"""

from __future__ import annotations

import ast
import base64
import codecs
import contextlib
import datetime
import email.utils
import errno
import functools
import http.client
import io
import math
import numbers
import os
import re
import socket
import stat
import sys
import threading
import time
import tokenize
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, cast

from ._files import READ_FLAGS

__all__ = [
    "IMAGE_FORMATS",
    "ImageFetcher",
    "MediaDecodeError",
    "MediaError",
    "MediaFetchError",
    "MediaParseError",
    "MediaRef",
    "MediaTooLargeError",
    "UnsupportedSchemeError",
    "decode_image",
    "load_image",
    "parse_media",
    "read_bytes",
]

#: Kinds a :class:`MediaRef` can have.
KINDS = ("photo", "video", "gif", "image")

# Default limits of image fetching, shared by read_bytes, load_image, decode_image and
# ImageFetcher (one place to change them).
#: seconds per network attempt
DEFAULT_TIMEOUT = 10.0
#: largest image file or HTTP body read, in bytes (a 12 Mpx PNG export is 30 MB)
DEFAULT_MAX_BYTES = 100_000_000
#: largest image, in pixels, by its header (a decompression-bomb guard): 48-61 Mpx phone and
#: camera photos are read; just under Pillow's own limit (``PIL.Image.MAX_IMAGE_PIXELS``,
#: 89.5 Mpx), above which it warns
DEFAULT_MAX_PIXELS = 89_000_000
#: the limits a ``Blip2Captioner(image_loader=None)`` fitted before 0.8.3 reads with (it
#: records none, and predicts as it did: an image it refused is still refused)
LEGACY_LIMITS = {"max_bytes": 20_000_000, "max_pixels": 40_000_000}
#: a JPEG of more pixels than this is decoded at a reduced scale (1/2, 1/4 or 1/8: Pillow's
#: ``draft``) to at most this many: a 48 Mpx photo took 145 MB decoded, and the caption model
#: sees 224 x 224 pixels of it (the default ``reduce_above`` of decode_image and ImageFetcher)
DRAFT_ABOVE = 40_000_000
#: the end of a refusal by ``max_bytes``: the setting that reads larger files
_MAX_BYTES_HINT = (
    " (an ImageFetcher(max_bytes=...) given as the captioner's image_loader reads larger ones)"
)
#: extra attempts after a transient network failure
DEFAULT_RETRIES = 2
#: first back-off between attempts, in seconds (doubled each retry)
DEFAULT_BACKOFF = 0.5
#: the longest ``Retry-After`` (of a 429 or 503 answer) a retry waits for, in seconds: a
#: server that asks for longer (a maintenance window, an hourly quota) is not asked again
MAX_RETRY_AFTER = 60.0

_QUOTE_LIMIT = 160
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: the answers whose ``Retry-After`` says when to ask again (RFC 6585 and RFC 9110)
_RETRY_AFTER_STATUS = frozenset({429, 503})
_CHUNK = 64 * 1024
_USER_AGENT = "skbucket-media/0.1 (+https://github.com/; python-urllib)"


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
def _quote(value: Any, limit: int = _QUOTE_LIMIT) -> str:
    """``repr`` of ``value`` (as text), truncated to ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text)} characters)"
    return repr(text)


class MediaError(ValueError):
    """Base class of every media failure; the message always names the reference.

    Parameters
    ----------
    message : str
        What went wrong.
    ref : object, optional
        The reference (path, URL, :class:`MediaRef`, or media text) the error is about.

    Attributes
    ----------
    ref : object
        The reference the error is about (``None`` when unknown).
    """

    def __init__(self, message: str, ref: Any = None):
        self.ref = ref
        self.reason = message  # without the reference's label
        if ref is not None:
            message = f"{_ref_label(ref)}: {message}"
        super().__init__(message)


class MediaParseError(MediaError):
    """A ``media`` value that :func:`parse_media` cannot read (the text is quoted).

    Parameters
    ----------
    message, ref
        As in :class:`MediaError`.
    """


class UnsupportedSchemeError(MediaError):
    """A reference (or a redirect target) whose scheme is not ``http``, ``https`` or ``file``.

    Parameters
    ----------
    message, ref
        As in :class:`MediaError`.
    """


class MediaFetchError(MediaError):
    """The bytes could not be read: missing file, HTTP error, timeout, connection error.

    Parameters
    ----------
    message, ref
        As in :class:`MediaError`.
    status : int or None, default=None
        Stored as the attribute of that name.
    transient : bool, default=False
        Stored as the attribute of that name.
    unreachable : bool, default=False
        Stored as the attribute of that name.

    Attributes
    ----------
    status : int or None
        The HTTP status code when the server answered with an error, else ``None``.
    transient : bool
        Whether the failure was of a kind that is retried (timeouts, connection errors,
        HTTP 500, 502, 503, 504, 408, 425, 429).
    unreachable : bool
        Whether the host could not be reached at all: its name did not resolve, it refused
        the connection, did not answer the connection attempt within ``timeout``, or the
        network or host is unreachable (no HTTP answer came).
        :class:`ImageFetcher` stops asking a host after ``max_host_failures`` such failures
        in a row.
    """

    # seconds a 429 or 503 answer's Retry-After asked to wait (None: none, or unreadable)
    _retry_after: float | None = None
    # raised before the host was asked anything (see _unasked): no answer from it
    _unasked: bool = False

    def __init__(
        self,
        message: str,
        ref: Any = None,
        *,
        status: int | None = None,
        transient=False,
        unreachable=False,
    ):
        super().__init__(message, ref)
        self.status = status
        self.transient = transient
        self.unreachable = unreachable


class MediaTooLargeError(MediaError):
    """More bytes than ``max_bytes`` or more pixels than ``max_pixels`` (decompression bomb).

    Parameters
    ----------
    message, ref
        As in :class:`MediaError`.
    """

    # (width, height, max_pixels), set when the pixels were too many (not the bytes)
    pixels: tuple[int, int, int]


class MediaDecodeError(MediaError):
    """The bytes are not a decodable image (corrupt, truncated, or not an image at all).

    Parameters
    ----------
    message, ref
        As in :class:`MediaError`.
    """


def _ref_label(ref: Any) -> str:
    if isinstance(ref, MediaRef):
        return f"{ref.kind} {_redacted(ref.url)!r}"
    if isinstance(ref, os.PathLike):
        return repr(os.fspath(ref))
    return _quote(_redacted(ref) if isinstance(ref, str) else ref)


#: the authority (``user:password@host:port``) of an http(s) URL, as written
_URL_AUTHORITY = re.compile(r"(?i)^\s*https?://([^/?#]*)")


def _redacted(url: str) -> str:
    """``url`` with the password of its ``user:password@`` shown as ``***``, for messages:
    the fetcher sends it to its host (HTTP Basic), and an error, a warning or a log line
    that names the URL must not carry it on. The password is what :func:`_credentials`
    sends: up to the last ``@`` before the host."""
    match = _URL_AUTHORITY.match(url)
    if match is None:
        return url
    userinfo, hostport = _userinfo(match[1])
    if userinfo is None or ":" not in userinfo:
        return url
    shown = f"{userinfo.partition(':')[0]}:***@{hostport}"
    return url[: match.start(1)] + shown + url[match.end(1) :]


# ---------------------------------------------------------------------------------------------
# parsing the media column
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MediaRef:
    """One image to load for a post: where it is and what kind of media it came from.

    Parameters
    ----------
    url : str
        The image to load: an ``http(s)://`` or ``file://`` URL or a local path. For a
        video or GIF this is its thumbnail image.
    kind : {"photo", "video", "gif", "image"}
        ``"photo"``, ``"video"`` and ``"gif"`` come from the scraper's ``Photo``, ``Video``
        and ``Gif`` objects; ``"image"`` is a plain path or URL given directly.

    Examples
    --------
    >>> ref = MediaRef("https://example.org/a.jpg", "photo")
    >>> ref.url, ref.kind, str(ref)
    ('https://example.org/a.jpg', 'photo', 'https://example.org/a.jpg')
    """

    url: str
    kind: str = "image"

    def __post_init__(self):
        if not isinstance(self.url, str) or not self.url:
            raise MediaParseError(f"MediaRef.url must be a non-empty string, got {self.url!r}")
        if self.kind not in KINDS:
            raise MediaParseError(f"MediaRef.kind must be one of {KINDS}, got {self.kind!r}")

    def __str__(self) -> str:
        return self.url


# "[..." or "Photo(name=...": so "Photo (1).jpg" (a copied file's usual name) stays a path
_SCRAPER_START = re.compile(r"^\s*(\[|(Photo|Video|Gif)\s*\(\s*(\)|[A-Za-z_]\w*\s*=))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# scraper objects inside other text (a tuple's repr, after a prefix): not a path
# (a keyword with a quoted or list value: "photo/Photo(id=3).jpg" is a file name)
_SCRAPER_INSIDE = re.compile(r"\b(Photo|Video|Gif)\s*\(\s*[A-Za-z_]\w*\s*=\s*['\"\[]")
# two URLs in one text: "https://x/a.jpg, https://x/b.jpg" (see _holds_many_urls)
_SEPARATORS = re.compile(r"[,;|\s]+")
_SCHEME_START = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def _holds_many_urls(text: str) -> bool:
    """Whether, after a first ``://``, a separator (``,``, ``;``, ``|`` or white space, a line
    break typed into a spreadsheet cell included) is followed
    by another ``scheme://``. In linear time: a regex search with a lazy ``.*?`` between the
    two took seconds on a 40,000-character cell (quadratic)."""
    first = text.find("://")
    if first < 0:
        return False
    tokens = _SEPARATORS.split(text[first + 3 :])
    return any(_SCHEME_START.match(token) for token in tokens[1:])


_ALLOWED_NODES = (
    ast.Expression,
    ast.List,
    ast.Call,
    ast.Name,
    ast.keyword,
    ast.Constant,
    ast.Load,
    ast.UnaryOp,  # a negative number (duration=-1.0); _literal allows only -/+ on numbers
    ast.USub,
    ast.UAdd,
)
_MEDIA_CALLS = {"Photo": "photo", "Video": "video", "Gif": "gif"}


def _is_na(value: Any) -> bool:
    """None, NaN, pandas NA/NaT or another NaN-like scalar (one helper for the package); a
    blank string is not one (:func:`skbucket._cells._is_missing` takes it as missing too)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # pandas.NA / pandas.NaT / numpy.nan-like scalars, without importing pandas
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        unequal = value != value  # NaN-like numpy scalars
    except (TypeError, ValueError):
        return False
    # an array compared with itself gives an array (true for any non-empty one): not missing
    # (numpy 2's scalar bool type is named "bool", numpy 1's "bool_")
    return type(unequal).__name__ in ("bool", "bool_") and bool(unequal)


def parse_media(value: Any, *, size: Literal["full", "preview"] = "full") -> list[MediaRef]:
    """Turn one ``media`` cell into the ordered list of images it refers to.

    Parameters
    ----------
    value : str, os.PathLike, MediaRef, list, tuple, None or float
        One of:

        * the scraper's text, e.g. ``"[Photo(previewUrl='...', fullUrl='...'), Video(...)]"``
          (a Python ``repr`` of snscrape objects, read with :mod:`ast`, never evaluated; the
          exact form snscrape writes is read by a regex first, with the same result; a
          single bare ``Photo(...)``/``Video(...)``/``Gif(...)`` is accepted too);
        * a plain path or URL (``kind="image"``); a file name starting with ``[``, or like
          ``Photo(name=``, must be passed as a :class:`pathlib.Path`, because such text is
          read as the scraper's (``"Photo (1).jpg"`` is a path); text that holds
          ``Photo(name=...`` further on, or two URLs (``"https://x/a, https://x/b"``), is an
          error, not one path;
        * any of these texts quoted once more in double quotes (``'"[Photo(...)]"'``, as a
          CSV cell written twice gives; single quotes only around text without any, such as
          ``"'photos/cat.png'"``, since the scraper's text itself holds single quotes) or
          after a byte-order mark: read without the quotes or the mark;
        * a list, tuple or 1-D numpy or pandas array of any of these (flattened one level,
          in order; e.g. the cells of ``frame.groupby("post")["path"].unique()``);
        * ``None``, NaN, ``pandas.NA``, ``""`` or ``"[]"``: no media, ``[]`` (``None`` and
          ``""`` inside a list, or inside the text of one, are skipped); so are the texts
          ``"None"`` (the scraper's text for a post without media: ``repr(None)``), ``"nan"``
          and ``"NaN"`` (what ``str`` gives for a missing value), and ``"null"``/``"NULL"``/
          ``"Null"``, ``"N/A"``/``"n/a"``, ``"NA"``, ``"#N/A"`` and ``"-"`` (what JSON
          converters, spreadsheets and BI tools write for an empty cell); a file with such a
          name must be passed as a :class:`pathlib.Path`.
    size : {"full", "preview"}, default="full"
        Which URL of a ``Photo`` to use: ``"full"`` is ``fullUrl`` (Twitter's ``name=large``,
        the picture as posted), ``"preview"`` is ``previewUrl`` (``name=small``, at most
        680 px, cheaper to download and plenty for a 224 px captioning model). If the chosen
        one is missing the other is used. Videos and GIFs only have ``thumbnailUrl``.

    Returns
    -------
    list of MediaRef
        In the order of the input. ``len`` is the media count, ``ref.kind`` the kind
        (``"photo"``, ``"video"``, ``"gif"`` or ``"image"``), ``ref.url`` the image to load:
        for a video or GIF, its thumbnail.

    Raises
    ------
    MediaParseError
        (a :class:`ValueError`) for text that starts like the scraper's format but is not
        a list of ``Photo``/``Video``/``Gif`` objects with literal arguments, for any other
        expression (names, operators, attribute access, ...), for a plain string with control
        characters, for text longer than a million characters that is not in the scraper's
        exact form (reading it would take hundreds of times its size in memory), and for
        values of other types. The message quotes the text (truncated).

    Examples
    --------
    >>> text = ("[Photo(previewUrl='https://x/p?name=small', fullUrl='https://x/p?name=large'), "
    ...         "Gif(thumbnailUrl='https://x/g.jpg', variants=[])]")
    >>> [(ref.kind, ref.url) for ref in parse_media(text)]
    [('photo', 'https://x/p?name=large'), ('gif', 'https://x/g.jpg')]
    >>> [ref.url for ref in parse_media(text, size="preview")]
    ['https://x/p?name=small', 'https://x/g.jpg']
    >>> parse_media("photos/cat.png")
    [MediaRef(url='photos/cat.png', kind='image')]
    >>> parse_media(float("nan")), parse_media(""), parse_media("[]")
    ([], [], [])
    >>> parse_media("[__import__('os').system('ls')]")
    Traceback (most recent call last):
    ...
    skbucket.media.MediaParseError: "[__import__('os').system('ls')]": ...
    """
    if size not in ("full", "preview"):
        raise ValueError(f"size must be 'full' or 'preview', got {size!r}")
    if isinstance(value, (list, tuple)) or _is_array(value):
        items = value.tolist() if _is_array(value) else value
        refs: list[MediaRef] = []
        for item in items:
            if isinstance(item, (list, tuple)) or _is_array(item):
                raise MediaParseError(
                    "nested lists are not accepted; give a flat list of media values", value
                )
            refs.extend(_parse_one(item, size))
        return refs
    return _parse_one(value, size)


#: texts of a missing value: ``repr(None)`` (the scraper's for no media), ``str(nan)``, and
#: what JSON converters, spreadsheets and BI tools write for an empty cell
_NO_MEDIA_TEXTS = frozenset(
    {"None", "nan", "NaN", "null", "NULL", "Null", "N/A", "n/a", "NA", "#N/A", "-"}
)


def _is_array(value: Any) -> bool:
    """A 1-D numpy array, or a pandas array (``pd.array``, ``Series.unique()`` of strings)."""
    if type(value).__name__ == "ndarray":
        return getattr(value, "ndim", None) == 1
    pandas = sys.modules.get("pandas")  # not imported here: an array of it exists only if it is
    return (
        pandas is not None
        and isinstance(value, pandas.api.extensions.ExtensionArray)
        and value.ndim == 1
    )


def _parse_one(value: Any, size: str) -> list[MediaRef]:
    try:
        return _parse_value(value, size)
    except MediaParseError as exc:
        if not isinstance(value, str) or exc.ref is None or exc.ref == value:
            raise
        # the text read was the cell unwrapped (quoted once more, after a byte-order mark):
        # the error names the cell as it is written, which the user can find
        raise MediaParseError(exc.reason, value) from None


def _parse_value(value: Any, size: str) -> list[MediaRef]:
    if isinstance(value, MediaRef):
        return [value]
    if isinstance(value, os.PathLike):
        return [MediaRef(_path_text(value), "image")]
    if isinstance(value, str):
        text = value.strip().lstrip("\ufeff").strip()  # a byte-order mark left by a reader
        if (
            len(text) >= 2
            and text[0] == text[-1]
            and text[0] in "\"'"
            and text[0] not in text[1:-1]
        ):
            return _parse_one(text[1:-1], size)  # a cell quoted once more than its format
        if not text or text in _NO_MEDIA_TEXTS:
            return []
        if _SCRAPER_START.match(text):
            return _parse_text(value if value.strip() == text else text, size)
        if _holds_many_urls(text):  # before the control characters: one URL per line
            raise MediaParseError(
                "holds several URLs in one text; give them as a list, "
                "['https://...', 'https://...'], or one per cell",
                value,
            )
        if _CONTROL.search(text):
            raise MediaParseError(
                "not a media list, path or URL (it contains control characters)", value
            )
        if _SCRAPER_INSIDE.search(text):
            raise MediaParseError(
                "holds Photo/Video/Gif objects but is not a list of them; expected "
                "[Photo(...), Video(...)] (a tuple or other surrounding text is not read)",
                value,
            )
        return [MediaRef(text, "image")]
    if _is_na(value):
        return []
    raise MediaParseError(
        f"expected media text, a path, a URL, a list of them or NaN, got {type(value).__name__}",
        value,
    )


# The scraper's own text, as snscrape's repr writes it, read by one regex instead of ast: a
# string literal is ASCII without quotes, backslashes or spaces (so it is its own value and
# ``strip`` leaves it alone), a number an int of up to 18 digits without leading zeros or a
# decimal float. Any text that differs in one character falls through to the ast reading,
# which then decides.
_LITERAL = r"[!#-&(-\[\]-~]"  # printable ASCII except space, ", ' and \
_URL = rf"'({_LITERAL}+)'"
_INT = r"(?:0|[1-9][0-9]{0,17})"  # short: Python refuses int literals over 4,300 digits
_VARIANT = rf"VideoVariant\(contentType='{_LITERAL}*', url='{_LITERAL}*', bitrate=(?:{_INT}|None)\)"
_VARIANTS = rf"variants=\[(?:{_VARIANT}(?:, {_VARIANT})*)?\]"
_FAST_ITEM = re.compile(
    rf"Photo\(previewUrl={_URL}, fullUrl={_URL}\)"
    rf"|Video\(thumbnailUrl={_URL}, {_VARIANTS}, duration=(?:{_INT}|[0-9]+\.[0-9]+), "
    rf"views=(?:{_INT}|None)\)"
    rf"|Gif\(thumbnailUrl={_URL}, {_VARIANTS}\)"
)
_FAST_TEXT = re.compile(rf"\[(?:{_FAST_ITEM.pattern})(?:, (?:{_FAST_ITEM.pattern}))*\]")


def _parse_scraper_fast(text: str, size: str) -> list[MediaRef] | None:
    """The refs of the scraper's text in its exact usual form, or None for any other text.

    Gives what the ast reading gives for the same text (tested on every real cell and on
    mutated ones), faster: ``ast.parse`` and ``ast.walk`` were most of
    :class:`~skbucket.features.PostFeatures`' time on large tables (``benchmarks/bench_media.py``).
    """
    if not _FAST_TEXT.fullmatch(text):
        return None
    refs = []
    pos = 1
    while True:
        match = _FAST_ITEM.match(text, pos)
        assert match is not None  # _FAST_TEXT matched the whole text: an item starts here
        preview, full, video, gif = match.groups()
        if full is not None:
            refs.append(MediaRef(full if size == "full" else preview, "photo"))
        elif video is not None:
            refs.append(MediaRef(video, "video"))
        else:
            refs.append(MediaRef(gif, "gif"))
        pos = match.end()
        if text[pos] == "]":
            return refs
        pos += 2  # ", "


#: the longest media text read by :mod:`ast` when it is not in the scraper's exact form (the
#: longest in the real posts and tweets: 987 characters); ast takes ~300 bytes a character
MAX_MEDIA_TREE_CHARS = 1_000_000


def _parse_text(text: str, size: str) -> list[MediaRef]:
    refs = _parse_scraper_fast(text.strip(), size)
    if refs is not None:  # the scraper's exact form: read in linear time, any length
        return refs
    if len(text) > MAX_MEDIA_TREE_CHARS:  # a 6 MB cell took 2 GB of memory in ast
        raise MediaParseError(
            f"{len(text):,} characters of media text not in the scraper's exact form; at most "
            f"{MAX_MEDIA_TREE_CHARS:,} are read so",
            text,
        )
    return _parse_tree(text, size)


#: what may follow a backslash in a Python str literal (an escape; bytes take no N, u, U);
#: any other character makes an invalid escape, which Python keeps as written but warns of
_ESCAPES = frozenset("\\'\"abfnrtv01234567xNuU\n")
_BYTES_ESCAPES = _ESCAPES - set("NuU")
_BACKSLASH = re.compile(r"\\([0-7]{1,3}|.?)", re.DOTALL)


def _keep_invalid_escapes(text: str) -> str:
    """``text`` with each invalid escape of its string literals written so that Python reads
    the same value without a warning.

    ``'C:\\pics\\zebra.jpg'`` holds invalid escapes (``\\p``): Python keeps the backslash,
    which is the path meant, but warns (a DeprecationWarning, a SyntaxWarning from 3.12, an
    error some day, and an error now under ``-W error``). Its backslash is doubled; an octal
    escape above ``\\377`` in a str (``'\\777'``, also warned of) becomes its ``\\u`` form.
    The warning filters are not touched (``warnings.catch_warnings`` is not thread-safe, and
    media are read in threads). Line ends are read as Python reads them (``\\r\\n`` and
    ``\\r`` as ``\\n``); text that does not tokenize is returned as it is, for ``ast`` to
    refuse (other syntax warnings of such text, ``1if``, are Python's own).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as compile() reads source
    lines = io.StringIO(text).readlines()  # the lines the tokenizer counts (by "\n" only)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    out, done = [], 0
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        quote = min(i for i in (token.string.find("'"), token.string.find('"')) if i >= 0)
        prefix = token.string[:quote].lower()
        if "r" in prefix or "\\" not in token.string:
            continue  # a raw string has no escapes
        escapes = _BYTES_ESCAPES if "b" in prefix else _ESCAPES

        def fix(match, escapes=escapes, is_bytes="b" in prefix):
            char = match.group(1)
            if char and char[0] in "01234567":
                value = int(char, 8)
                return match.group(0) if value <= 0o377 or is_bytes else f"\\u{value:04x}"
            return match.group(0) if char and char in escapes else "\\" + match.group(0)

        start = starts[token.start[0] - 1] + token.start[1]
        out += [text[done:start], _BACKSLASH.sub(fix, token.string)]
        done = start + len(token.string)
    return "".join(out) + text[done:] if out else text


def _parse_tree(text: str, size: str) -> list[MediaRef]:
    try:
        source = text.strip()
        tree = ast.parse(_keep_invalid_escapes(source) if "\\" in source else source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise MediaParseError(f"not valid media text ({type(exc).__name__})", text) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise MediaParseError(
                f"only Photo/Video/Gif objects with literal arguments are allowed, "
                f"found a {type(node).__name__} node",
                text,
            )
    body = tree.body
    items = body.elts if isinstance(body, ast.List) else [body]
    refs = []
    for item in items:
        if isinstance(item, ast.Constant) and (
            item.value is None or (isinstance(item.value, str) and not item.value.strip())
        ):
            continue  # no media, as None and "" are in a Python list
        if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value.strip():
            if _CONTROL.search(item.value.strip()):  # '\n' in ['C:\new\a.jpg'] is a newline
                raise MediaParseError(
                    f"list item {item.value!r} contains control characters: a backslash in "
                    "the text starts an escape (\\n, \\a, ...); write paths with / or "
                    "doubled backslashes",
                    text,
                )
            refs.append(MediaRef(item.value.strip(), "image"))
        elif isinstance(item, ast.Call):
            refs.append(_ref_from_call(item, text, size))
        else:
            raise MediaParseError(
                "each list item must be a Photo(...), Video(...) or Gif(...) object "
                "or a path/URL string",
                text,
            )
    return refs


def _literal(node: ast.AST, text: str) -> Any:
    """Value of a whitelisted node: constants, lists, and calls as ``(name, kwargs)``."""
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        value = cast(float, node.operand.value)  # an int or a float, checked above
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List):
        return [_literal(e, text) for e in node.elts]
    if isinstance(node, ast.Call):
        return _call_parts(node, text)
    raise MediaParseError(f"unexpected {type(node).__name__} value", text)


def _call_parts(node: ast.Call, text: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(node.func, ast.Name):
        raise MediaParseError("object names must be plain names", text)
    if node.args:
        raise MediaParseError(f"{node.func.id}(...) must use keyword arguments only", text)
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise MediaParseError(f"{node.func.id}(**...) is not allowed", text)
        kwargs[kw.arg] = _literal(kw.value, text)
    return node.func.id, kwargs


def _ref_from_call(node: ast.Call, text: str, size: str) -> MediaRef:
    name, kwargs = _call_parts(node, text)
    kind = _MEDIA_CALLS.get(name)
    if kind is None:
        raise MediaParseError(f"unknown media object {name!r} (expected Photo, Video or Gif)", text)
    keys: tuple[str, ...]
    if kind == "photo":
        keys = ("fullUrl", "previewUrl") if size == "full" else ("previewUrl", "fullUrl")
    else:
        keys = ("thumbnailUrl",)
    for key in keys:
        url = kwargs.get(key)
        if isinstance(url, str) and url.strip():
            return MediaRef(url.strip(), kind)
    raise MediaParseError(f"{name}(...) has no image URL (looked for {', '.join(keys)})", text)


# ---------------------------------------------------------------------------------------------
# reading bytes
# ---------------------------------------------------------------------------------------------
def _path_text(path: os.PathLike) -> str:
    """A local path as text that reads back as that path, not as a URL: a relative name
    whose first part looks like a scheme (``shot:1.png``) gets a leading ``./``."""
    text = os.fspath(path)
    try:
        scheme = urllib.parse.urlsplit(text).scheme
    except ValueError:
        return text
    if scheme and not (len(scheme) == 1 and os.name == "nt"):  # "C:\\..." on Windows
        return os.path.join(os.curdir, text)
    return text


def _ref_to_str(ref: Any) -> str:
    if isinstance(ref, MediaRef):
        return ref.url
    if isinstance(ref, os.PathLike):
        return _path_text(ref)  # a Path and a text are one ref only when they read one file
    if isinstance(ref, str) and ref.strip():
        return ref.strip()
    raise MediaFetchError(
        f"expected a path, URL or MediaRef, got {type(ref).__name__}",
        ref if ref is not None else "None",
    )


def _check_limits(timeout, max_bytes, retries, backoff):
    # finite and at most what a timer or a sleep can wait (threading.TIMEOUT_MAX, ~292 years
    # on Linux): an infinite timeout made every fetch fail with OverflowError; no bool (an
    # int to Python: retries=True was one retry, max_bytes=True refused every image above
    # one byte), as max_host_failures and host_cooldown refuse it; a NumPy number is one
    # (np.int64(3), as a grid search or a config read with NumPy gives it, was refused)
    longest = threading.TIMEOUT_MAX
    # compared as Python floats: a np.float16 compared to `longest` overflowed (a
    # RuntimeWarning, an error under -W error) for a timeout of 5 seconds
    if not (_is_number(timeout, numbers.Real) and 0 < float(timeout) <= longest):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {timeout!r}")
    if not (_is_number(max_bytes, numbers.Integral) and max_bytes > 0):
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    if not (_is_number(retries, numbers.Integral) and retries >= 0):
        raise ValueError(f"retries must be a non-negative integer, got {retries!r}")
    if not (_is_number(backoff, numbers.Real) and 0 <= float(backoff) <= longest):
        raise ValueError(f"backoff must be a non-negative, finite number, got {backoff!r}")
    return float(timeout), int(max_bytes), int(retries), float(backoff)


def _is_number(value: Any, kind: type) -> bool:
    """Whether ``value`` is a number of ``kind`` (:class:`numbers.Integral` or
    :class:`numbers.Real`: Python's or NumPy's) and not a bool (which Python takes for an
    int: ``retries=True`` was one retry), nor a NumPy duration (``np.timedelta64``, an
    integer to NumPy and so to :mod:`numbers`: ``retries=np.timedelta64(3, "D")`` was 3
    retries, and a timeout of ``np.timedelta64(5, "s")`` failed with UFuncTypeError)."""
    return (  # by name: NumPy is not imported here
        isinstance(value, kind)
        and not isinstance(value, bool)
        and type(value).__name__ != "timedelta64"
    )


def read_bytes(
    ref: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
) -> bytes:
    """Read the raw bytes of one image reference.

    Parameters
    ----------
    ref : str, os.PathLike or MediaRef
        A local path, a ``file://`` URL or an ``http(s)://`` URL. A :class:`pathlib.Path`
        is always a local path; a string with any other scheme (``ftp:``, ``data:``,
        ``javascript:``, ...) is refused. The ``user:password@`` of a URL is sent to its host
        as HTTP Basic authentication (not on to a redirect's target). A relative path is
        relative to the current working directory when it is read (not to the data file's
        folder; ``~`` is not expanded): a missing one is named with the absolute path looked
        for. Any host is asked, directly or through a redirect (up to 10, to ``http`` or
        ``https`` URLs), whatever its address: loopback, private and link-local ones too
        (``http://127.0.0.1/``, ``http://10.0.0.5/``, ``http://169.254.169.254/``), as for a
        URL that names them. For URLs from an untrusted source, fetch where such addresses
        serve nothing private, or read them with a custom loader
        (``ImageFetcher(loader=...)``) that refuses them.
    timeout : float, default=10.0
        Seconds allowed for one HTTP attempt in all: connecting, the status line and headers
        (of every redirect hop) and the body. A timer shuts the attempt's connection down
        when the time is up, so a server that trickles its answer cannot hold it longer
        (each socket operation is also limited to ``timeout``). Looking up the host's name
        is not cut by it: the system resolver's own timeouts apply (usually a few seconds).
        It bounds each attempt, not the waits between them (the back-off, and a
        ``Retry-After`` of up to 60 s: see ``retries``), nor the call: one reference takes at
        most about ``(retries + 1) * timeout`` plus those waits. A server's ``Retry-After``
        longer than ``timeout`` is still waited for in full: a retry sent earlier would be
        refused again (an :class:`ImageFetcher` whose batch is closed ends its waits at once).
    max_bytes : int, default=100_000_000
        Refuse larger bodies: checked against ``Content-Length`` or the file size before
        reading, and while reading (for servers that do not say or lie); a compressed body
        both as sent and decoded.
    retries : int, default=2
        How many times to retry a transient failure (timeout, connection error, HTTP 500,
        502, 503, 504, 408, 425, 429). Missing files, other 4xx/5xx answers (a 501 or 505
        will not change on a retry), refused schemes and oversized bodies are never retried.
        A 429 or 503 answer's ``Retry-After`` (a number of seconds or an HTTP date) is
        waited for before its retry when it is longer than the back-off; one of more than
        60 s (``MAX_RETRY_AFTER``) ends the retries, since an earlier one would be refused
        again. An unreadable ``Retry-After`` is ignored.
    backoff : float, default=0.5
        Seconds before the first retry; doubled for each further retry (or longer: see
        ``Retry-After`` under ``retries``), up to a billion seconds (32 years) whatever
        ``retries`` is.

    Returns
    -------
    bytes
        The file as stored, or the body as served, decoded of a ``gzip`` or ``deflate``
        ``Content-Encoding`` (the request asks for none, ``Accept-Encoding: identity``, but
        some servers compress anyway); hash it to de-duplicate images.

    Raises
    ------
    UnsupportedSchemeError
        For a scheme other than ``http``, ``https`` or ``file``, or a redirect to one; and for
        a ``file`` URL naming another host (``file://nas/share/a.jpg``, what ``as_uri()``
        gives for a Windows network path): pass such an image as its path
        (``\\\\nas\\share\\a.jpg``), which is read.
    MediaFetchError
        Missing or unreadable file, HTTP error status, timeout or connection failure
        (after the retries); an ``http(s)`` URL (or redirect target) without a host
        (``http:///a.jpg``) or with a port out of range (not retried); a body in a
        ``Content-Encoding`` other than ``gzip`` and ``deflate`` (``br``, ``zstd``, ...) or
        not valid in its own (not retried, but one cut short is); a value that names no
        coding (``none``, ``binary``, a charset) is ignored, as browsers ignore it.
    MediaTooLargeError
        The body is larger than ``max_bytes``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "blob.bin"
    >>> _ = path.write_bytes(b"abc")
    >>> read_bytes(path), read_bytes(path.as_uri())
    (b'abc', b'abc')
    >>> read_bytes("ftp://example.org/a.jpg")
    Traceback (most recent call last):
    ...
    skbucket.media.UnsupportedSchemeError: 'ftp://example.org/a.jpg': ...
    """
    timeout, max_bytes, retries, backoff = _check_limits(timeout, max_bytes, retries, backoff)
    target = _ref_to_str(ref)
    if isinstance(ref, os.PathLike):
        return _read_file(target, ref, max_bytes)
    try:
        scheme = urllib.parse.urlsplit(target).scheme.lower()
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise MediaFetchError(f"not a valid URL or path ({exc})", ref) from None
    if scheme in ("http", "https"):
        try:
            _check_http_url(target, ref)
        except MediaFetchError as exc:
            raise _unasked(exc) from None
        return _read_http(target, ref, timeout, max_bytes, retries, backoff)
    if scheme == "file":
        return _read_file(_file_url_to_path(target, ref), ref, max_bytes)
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):  # "C:\\..." on Windows
        return _read_file(target, ref, max_bytes)
    raise UnsupportedSchemeError(
        f"unsupported scheme {scheme!r}: only http, https, file URLs and local paths "
        "are read (pass a pathlib.Path for a local file whose name contains ':')",
        ref,
    )


def _check_http_url(url: str, ref: Any, what: str = "not a valid URL") -> None:
    """Refuse an ``http(s)`` URL that names no server to ask: one without a host
    (``http:///a.jpg``, ``http://:80/a.jpg``, ``http://user@/a.jpg``: urllib said "no host
    given", or looked up the empty name as if it were a host that does not resolve, and
    retried), or whose port is out of range (the socket layer wraps it: ``:99999`` connected
    to port 34463 of the host, and read another server's answer); and one holding a lone
    surrogate, which cannot be sent (a bare UnicodeEncodeError that named no URL)."""
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # parsed when read
    except ValueError as exc:  # "Port out of range 0-65535"
        raise MediaFetchError(f"{what} ({exc})", ref) from None
    if not parts.hostname:
        raise MediaFetchError(
            f"{what}: it has no host (expected {parts.scheme.lower()}://host/path)", ref
        )
    try:
        url.encode("utf-8")  # as a request sends it (percent-encoded, as UTF-8)
    except UnicodeEncodeError as exc:  # a lone surrogate: text decoded with surrogateescape
        bad = exc.object[exc.start : exc.end]
        raise MediaFetchError(
            f"{what}: it holds {bad!r} at position {exc.start}, which is no character "
            "(text read with errors='surrogateescape'?)",
            ref,
        ) from None


def _file_url_to_path(url: str, ref: Any) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc.lower() not in ("", "localhost"):  # a host name has no case
        raise UnsupportedSchemeError(f"file URL on another host {parts.netloc!r} is not read", ref)
    return urllib.request.url2pathname(parts.path)


def _check_regular(mode: int, path: str, ref: Any) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(mode):
        raise MediaFetchError("not a regular file (a pipe, socket or device)", ref)


def _read_file(path: str, ref: Any, max_bytes: int) -> bytes:
    try:
        # a FIFO, a socket or a device (/dev/stdin) would block open() or read() for ever,
        # and opening a device can act (/dev/ptmx makes a terminal): refused on a stat, then
        # opened without blocking and checked again on the open file (the path may have
        # become a FIFO in between)
        _check_regular(os.stat(path).st_mode, path, ref)
        fd = os.open(path, READ_FLAGS)
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            _check_regular(info.st_mode, path, ref)
            size = info.st_size
            if size > max_bytes:
                raise MediaTooLargeError(
                    f"file has {size} bytes, more than max_bytes={max_bytes}{_MAX_BYTES_HINT}",
                    ref,
                )
            data = fh.read(max_bytes + 1)
    except MediaError:
        raise
    except FileNotFoundError:
        where = "" if os.path.isabs(path) else f" (looked for {os.path.abspath(path)!r})"
        raise MediaFetchError(f"no such file{where}", ref) from None
    except IsADirectoryError:
        raise MediaFetchError("is a directory, not a file", ref) from None
    except OSError as exc:
        raise MediaFetchError(f"cannot read file ({exc.strerror or exc})", ref) from None
    except ValueError as exc:  # "embedded null byte": no file can have that name
        raise MediaFetchError(f"not a valid file path ({exc})", ref) from None
    if len(data) > max_bytes:  # the file grew while we read it
        raise MediaTooLargeError(
            f"file has more than max_bytes={max_bytes} bytes{_MAX_BYTES_HINT}", ref
        )
    return data


class _SafeRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) URLs; refuse file:, ftp:, data:, ..."""

    max_redirections = 10

    def __init__(self, ref: Any):
        super().__init__()
        self._ref = ref
        self.target = None  # the last URL redirected to (None: no redirect)

    def http_error_302(self, req, fp, code, msg, headers):
        # The stdlib checks the target scheme itself but allows ftp:, and reports the others
        # as an HTTP error; check first so every refused redirect is reported the same way.
        location = headers.get("location") or headers.get("uri")
        if location:
            self._check(urllib.parse.urljoin(req.full_url, location), code, fp)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def _check(self, newurl, code, fp):
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            fp.close()
            raise UnsupportedSchemeError(
                f"refused redirect ({code}) to {newurl!r}: only http and https redirects "
                "are followed",
                self._ref,
            )
        try:
            _check_http_url(newurl, self._ref, f"refused redirect ({code}) to {newurl!r}")
        except MediaError:
            fp.close()
            raise

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self._check(newurl, code, fp)
        self.target = newurl
        newurl, auth = _credentials(newurl)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and auth is not None:
            new.add_unredirected_header("Authorization", auth)
        return new


class _Deadline:
    """The whole-attempt time limit of one HTTP fetch: a timer that shuts the attempt's sockets
    down once it has run ``timeout`` seconds, whatever it is waiting for (connection, status
    line, headers, each hop of a redirect chain, the body). Per-socket timeouts alone bound
    each ``recv``, not a server that trickles its headers byte by byte."""

    def __init__(self, timeout: float):
        self.expired = False
        # the sockets themselves: urllib's do_open drops the connection's reference
        # (``h.sock = None``) once the headers are in, while the body is still to be read
        self._sockets: list[socket.socket] = []
        # the host answered: a TCP connection to it, or a proxy's CONNECT that reached it
        # (before any TLS handshake)
        self._answered = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def connection(self, cls, host, **kwargs):
        """Make a ``cls`` connection (``do_open``'s ``http_class``) watched by this deadline."""
        conn = cls(host, **kwargs)
        conn.deadline = self
        create = conn._create_connection  # http.client's hook: the TCP connection
        tunnel = getattr(conn, "_tunnel", None)  # an HTTPS proxy's CONNECT to the host

        def answered():
            with self._lock:  # a TLS handshake that stalls after this is a slow host, not an
                self._answered = True  # unreachable one

        def create_noted(*args, **kw):
            sock = create(*args, **kw)
            if getattr(conn, "_tunnel_host", None) is None:  # the host itself, not a proxy
                answered()
            return sock

        conn._create_connection = create_noted
        if tunnel is not None:

            def tunnel_noted(*args, **kw):
                result = tunnel(*args, **kw)
                answered()  # the proxy reached the host
                return result

            conn._tunnel = tunnel_noted
        return conn

    def check(self, conn) -> None:
        """Called once ``conn`` has connected: watch its socket; shut it down if the time is
        already up."""
        with self._lock:
            self._sockets.append(conn.sock)
            if self.expired:
                _shutdown(conn.sock)
                raise TimeoutError("attempt deadline passed while connecting")

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    @property
    def connected(self) -> bool:
        """Whether a connection of this attempt was made (any hop; TCP to the host, or an
        HTTPS proxy's CONNECT that reached it, even when the TLS handshake did not end)."""
        with self._lock:
            return bool(self._sockets) or self._answered


def _shutdown(sock) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes a recv blocked in another thread


class _Watched:
    """Connection mixin: report to the attempt's :class:`_Deadline` once connected."""

    deadline: _Deadline  # set by _Deadline.connection, which makes the connection

    def connect(self):
        super().connect()  # type: ignore[misc]  # http.client's, the class it is mixed into
        self.deadline.check(self)


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHandler:
    """Handler mixin: open connections of ``connection_class``, watched by the deadline."""

    connection_class: type

    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class, req, **kwargs):
        make = functools.partial(self._deadline.connection, self.connection_class)
        return super().do_open(make, req, **kwargs)  # type: ignore[misc]  # urllib's handler's


class _WatchedHTTPHandler(_WatchedHandler, urllib.request.HTTPHandler):
    connection_class = _WatchedHTTPConnection


class _WatchedHTTPSHandler(_WatchedHandler, urllib.request.HTTPSHandler):
    connection_class = _WatchedHTTPSConnection


def _opener(ref: Any, deadline: _Deadline) -> urllib.request.OpenerDirector:
    # Built by hand (not build_opener) so no ftp:, file: or data: handler is installed.
    opener = urllib.request.OpenerDirector()
    redirects = _SafeRedirectHandler(ref)  # its target names where a failure happened
    opener.redirects = redirects  # type: ignore[attr-defined]  # ours: _http_attempt reads it
    for handler in (
        urllib.request.ProxyHandler(),
        _WatchedHTTPHandler(deadline),
        _WatchedHTTPSHandler(deadline),
        urllib.request.HTTPDefaultErrorHandler(),
        redirects,
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener


def _read_http(url, ref, timeout, max_bytes, retries, backoff) -> bytes:
    attempt = 0
    while True:
        try:
            return _http_once(url, ref, timeout, max_bytes)
        except MediaFetchError as exc:
            wait = _backoff_wait(backoff, attempt)
            asked = exc._retry_after  # the server says when to ask again
            if (
                exc.transient
                and asked is not None
                and asked > MAX_RETRY_AFTER
                and attempt < retries
            ):
                raise _gave_up(
                    exc,
                    ref,
                    f"the server asks to retry in {asked:g} s, more than the "
                    f"{MAX_RETRY_AFTER:g} s a retry waits for at most; gave up after "
                    f"{attempt + 1} attempt{'s' if attempt else ''}",
                ) from exc
            if not exc.transient or attempt >= retries:
                if exc.transient and retries:
                    raise _gave_up(exc, ref, f"gave up after {attempt + 1} attempts") from exc
                raise
            if asked is not None:
                wait = max(wait, asked)
        _pause(wait)
        attempt += 1


def _gave_up(exc: MediaFetchError, ref: Any, why: str) -> MediaFetchError:
    """``exc``, the last attempt's error for ``ref``, said with why no further attempt is
    made, its status and kind of failure kept."""
    error = MediaFetchError(
        f"{_strip_label(exc)} ({why})",
        ref,
        status=exc.status,
        transient=exc.transient,
        unreachable=exc.unreachable,
    )
    error._unasked = exc._unasked
    return error


#: the longest wait before a retry, in seconds (~32 years): longer than anyone waits, and
#: within what ``time.sleep`` takes (it refused ``threading.TIMEOUT_MAX``, ~292 years, the
#: largest ``backoff`` allowed, with an OSError)
_LONGEST_WAIT = 1e9


def _backoff_wait(backoff: float, attempt: int) -> float:
    """``backoff * 2**attempt`` seconds, at most :data:`_LONGEST_WAIT`: the product overflowed
    a float after 1,024 retries (an OverflowError, not a :class:`MediaError`, even with
    ``backoff=0.0``), and a sleep refused a wait of centuries."""
    if not backoff:
        return 0.0
    return min(backoff * 2.0 ** min(attempt, 1023), _LONGEST_WAIT)  # inf above 2**1024: capped


def _pause(seconds: float) -> None:
    """Wait ``seconds`` before a retry; on an :class:`ImageFetcher`'s thread the wait ends
    early when its batch is closed."""
    stop = getattr(_worker, "stop", None)
    if stop is None:
        time.sleep(seconds)
    else:
        stop.wait(seconds)


def _retry_after(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` header asks to wait, from now: a number of seconds, or
    an HTTP date (one in the past is 0); None when there is none or it cannot be read (the
    retry then waits its back-off). A number of more than 18 digits is ``inf``."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():  # not "²" (isdigit) nor "1e3" or "-1" (float)
        return float(text) if len(text) <= 18 else math.inf
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, with no zone said
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - time.time())


#: the most characters of a server's own text (a status line's reason, the first line of an
#: answer that is no HTTP) an error shows
_SHOWN_LIMIT = 200


def _shown(value: Any, limit: int = _SHOWN_LIMIT) -> str:
    """A server's text for an error message: its characters that do not print (control
    characters, a terminal's escape sequences) escaped as ``repr`` escapes them, and at most
    ``limit`` characters of it, its length said. It was shown as sent: a reason phrase
    holding ``ESC[2J`` cleared the terminal that printed the warning, and the whole first
    line of a server that answers no HTTP (which may hold a token) went on into the error."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(value))
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _strip_label(exc: MediaError) -> str:
    text = str(exc)
    label = _ref_label(exc.ref) + ": " if exc.ref is not None else ""
    return text[len(label) :] if text.startswith(label) else text


def _announced_length(value: str | None) -> int | None:
    """A ``Content-Length`` header as a number of bytes, or None when there is none or it is
    no plain decimal number (``"²"`` passes ``str.isdigit`` but not ``int``; 5,000 digits pass
    both but ``int`` refuses them): the body is then read to its end, within ``max_bytes``."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, (TimeoutError, socket.timeout)) or (
        isinstance(exc, urllib.error.URLError)
        and isinstance(exc.reason, (TimeoutError, socket.timeout))
    )


#: errno values of a connection attempt that found no route to the host
_UNREACHABLE_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN")
    if hasattr(errno, name)
)


def _is_unreachable(reason: BaseException | str) -> bool:
    """Whether a connection failure means the host cannot be reached at all (no answer).

    A name that does not resolve, a refused connection, or no route to the network or host.
    Timeouts are not counted: a slow host may still answer.
    """
    if isinstance(reason, (socket.gaierror, ConnectionRefusedError)):
        return True
    return isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS


def _http_once(url: str, ref: Any, timeout: float, max_bytes: int) -> bytes:
    stop = getattr(_worker, "stop", None)  # set on an ImageFetcher's threads
    if stop is not None and stop.is_set():
        raise _cancelled(ref)
    deadline = _Deadline(timeout)
    if stop is not None:
        stop.watch(deadline)
    try:
        return _http_attempt(url, ref, timeout, max_bytes, deadline)
    except MediaError:
        if stop is not None and stop.is_set():  # its sockets were shut down by the stop
            raise _cancelled(ref) from None
        raise
    finally:
        deadline.cancel()
        if stop is not None:
            stop.unwatch(deadline)


def _cancelled(ref: Any) -> MediaFetchError:
    return _unasked(MediaFetchError("cancelled: the batch fetching it was closed", ref))


def _unasked(exc: MediaFetchError) -> MediaFetchError:
    """``exc``, marked as raised before its host was asked anything (a URL that cannot be
    sent, a fetch cancelled, a local failure before any connection): :class:`_HostBreaker`
    takes it neither as an answer from the host nor as a failure to reach it."""
    exc._unasked = True
    return exc


#: ``_worker.stop``: the :class:`_Stop` of the ImageFetcher call this pool thread works for
_worker = threading.local()


class _Stop:
    """Closing an :class:`ImageFetcher` call (Ctrl-C, an error, ``close()``) sets this: its
    threads' HTTP attempts in flight are cut (their sockets shut down, as by the deadline),
    no new attempt starts and a retry's back-off wait ends, so the threads finish within
    moments instead of running their timeouts and retries to the end."""

    def __init__(self):
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._deadlines: set[_Deadline] = set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)

    def set(self) -> None:
        with self._lock:
            self._event.set()
            deadlines = list(self._deadlines)
        for deadline in deadlines:
            deadline._expire()

    def watch(self, deadline: _Deadline) -> None:
        with self._lock:
            if not self._event.is_set():
                self._deadlines.add(deadline)
                return
        deadline._expire()

    def unwatch(self, deadline: _Deadline) -> None:
        with self._lock:
            self._deadlines.discard(deadline)


#: what a request line cannot hold as it is: non-ASCII characters, spaces and controls
_UNSAFE_IN_URL = re.compile(r"[^\x21-\x7e]+")


def _request_url(url: str) -> str:
    """``url`` with the characters of its path, query and fragment that a request line cannot
    hold percent-encoded as UTF-8, as a browser sends them (``/café.jpg`` as
    ``/caf%C3%A9.jpg``, a space as ``%20``): urllib sent them as they are, and failed
    (``UnicodeEncodeError``, or ``InvalidURL`` for a space). A URL without any is unchanged;
    a non-ASCII host name is left to http.client, which sends it IDNA-encoded."""
    if not _UNSAFE_IN_URL.search(url):
        return url
    parts = urllib.parse.urlsplit(url)

    def encode(text: str) -> str:
        return _UNSAFE_IN_URL.sub(lambda m: urllib.parse.quote(m.group(0), safe=""), text)

    return urllib.parse.urlunsplit(
        parts._replace(
            path=encode(parts.path), query=encode(parts.query), fragment=encode(parts.fragment)
        )
    )


def _credentials(url: str) -> tuple[str, str | None]:
    """``url`` without the ``user:password@`` before its host, and the HTTP Basic
    ``Authorization`` header that sends them (as curl and requests do; None when it has none).
    urllib took ``user@host`` for the host's name: every such URL failed as a name that does
    not resolve, after its retries, and counted as unreachable against the real host."""
    parts = urllib.parse.urlsplit(url)
    userinfo, hostport = _userinfo(parts.netloc)
    if userinfo is None:
        return url, None
    user, _, password = userinfo.partition(":")
    pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
    token = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return urllib.parse.urlunsplit(parts._replace(netloc=hostport)), f"Basic {token}"


def _userinfo(netloc: str) -> tuple[str | None, str]:
    """``(user:password or None, host:port)`` of a URL's authority: the user information
    ends at its last ``@`` (a password may hold one), as urllib's own ``hostname`` reads it."""
    userinfo, at, hostport = netloc.rpartition("@")
    return (userinfo, hostport) if at else (None, netloc)


def _http_attempt(url, ref, timeout, max_bytes, deadline: _Deadline) -> bytes:
    plain, auth = _credentials(url)
    request = urllib.request.Request(_request_url(plain), headers={"User-Agent": _USER_AGENT})
    if auth is not None:  # for this host only: not sent on to a redirect's target
        request.add_unredirected_header("Authorization", auth)
    overall = MediaFetchError(
        f"timed out: no complete answer within {timeout} s", ref, transient=True
    )
    opener = _opener(ref, deadline)
    redirects: _SafeRedirectHandler = opener.redirects  # type: ignore[attr-defined]  # _opener's
    try:
        response = opener.open(request, timeout=timeout)
    except MediaError:  # a refused redirect: that, not the clock, is the answer
        raise
    except urllib.error.HTTPError as exc:
        exc.close()
        target = redirects.target
        asked = (
            _retry_after(exc.headers.get("Retry-After"))
            if exc.code in _RETRY_AFTER_STATUS and exc.headers is not None
            else None
        )
        if str(exc.reason).startswith(urllib.request.HTTPRedirectHandler.inf_msg):
            # urllib's several-line "would lead to an infinite loop" text, also for a chain
            # that merely runs past the limit
            raise MediaFetchError(
                f"a redirect loop, or more than {_SafeRedirectHandler.max_redirections} "
                f"redirects (the last to {target!r})",
                ref,
            ) from None
        error = MediaFetchError(
            f"HTTP {exc.code} {_shown(exc.reason)}"
            + (f" from the redirect target {target!r}" if target else ""),
            ref,
            status=exc.code,
            transient=exc.code in _TRANSIENT_STATUS,
        )
        error._retry_after = asked
        raise error from None
    except Exception as exc:  # URLError, timeouts, connection and protocol errors
        if (deadline.expired or _is_timeout(exc)) and not deadline.connected:
            # no connection in all that time: packets dropped (a firewall, a dead address),
            # which the per-host breaker takes like a refused connection
            raise MediaFetchError(
                f"timed out connecting: the host did not answer within {timeout} s",
                ref,
                transient=True,
                unreachable=True,
            ) from None
        if deadline.expired:
            raise overall from None
        if _is_timeout(exc):
            raise MediaFetchError(f"timed out after {timeout} s", ref, transient=True) from None
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        # Connection and protocol failures may pass; bad URLs and certificate failures
        # (ssl.SSLCertVerificationError is a ValueError) will not.
        transient = isinstance(reason, (OSError, http.client.HTTPException)) and not isinstance(
            reason, (ValueError, http.client.InvalidURL)
        )
        # after a redirect the failure is the target's: the ref's own host answered, so
        # it is unreachable (for ImageFetcher's per-host breaker) only if the target is on it
        target = redirects.target
        error = MediaFetchError(
            f"cannot fetch{f' the redirect target {target!r}' if target else ''} "
            f"({type(reason).__name__}: {_shown(reason)})",
            ref,
            transient=transient,
            unreachable=_is_unreachable(reason)
            and (target is None or _host_port(target) == _host_port(url)),
        )
        if not (deadline.connected or error.unreachable):  # e.g. a name IDNA cannot encode
            _unasked(error)
        raise error from None
    if deadline.expired:  # cut off while reading the headers (http.client takes EOF as their end)
        response.close()
        raise overall
    with response:
        codings = _content_codings(response.headers, ref)  # refused before the body is read
        length = _announced_length(response.headers.get("Content-Length"))
        if length is not None and length > max_bytes:
            raise MediaTooLargeError(
                f"server announces {length} bytes, more than max_bytes={max_bytes}{_MAX_BYTES_HINT}",
                ref,
            )
        chunks, total = [], 0
        try:
            while True:
                chunk = response.read1(_CHUNK)  # one recv: the deadline is checked often
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise MediaTooLargeError(
                        f"body is larger than max_bytes={max_bytes}{_MAX_BYTES_HINT}", ref
                    )
                chunks.append(chunk)
        except MediaError:
            raise
        except Exception as exc:
            if deadline.expired or _is_timeout(exc):
                raise MediaFetchError(
                    f"timed out after {timeout} s while reading the body", ref, transient=True
                ) from None
            raise MediaFetchError(
                f"connection failed while reading the body ({type(exc).__name__}: {_shown(exc)})",
                ref,
                transient=True,
            ) from None
        if deadline.expired and total != length:
            # the deadline shut the socket: what was read is cut short
            raise MediaFetchError(
                f"timed out after {timeout} s while reading the body", ref, transient=True
            )
    if length is not None and total != length:
        raise MediaFetchError(
            f"body has {total} bytes but the server announced {length}",
            ref,
            transient=True,
        )
    body = b"".join(chunks)
    for coding in reversed(codings):  # the last one applied is undone first
        body = _decoded(body, coding, ref, max_bytes)
    return body


#: the ``Content-Encoding`` values the fetcher decodes, as zlib's ``wbits`` for them: it asks
#: for the body as it is (http.client sends ``Accept-Encoding: identity``), but some servers
#: and CDNs gzip it anyway
_DECODED_CODINGS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


#: ``Content-Encoding`` values that name a compression or an encryption the fetcher does not
#: undo (IANA's registry, and a few in use outside it): a body in one of them is refused by
#: name. Any other value names no coding at all (misconfigured servers send ``none``,
#: ``binary``, ``8bit`` or a charset) and is ignored, as browsers, curl and requests ignore
#: it: such a body is the image as it is, as 0.10 read it
_UNDECODED_CODINGS = frozenset(
    {
        "br",
        "zstd",
        "compress",
        "x-compress",
        "aes128gcm",
        "dcb",
        "dcz",
        "exi",
        "pack200-gzip",
        "sdch",
        "bzip2",
        "x-bzip2",
        "lzma",
        "xz",
        "lz4",
    }
)


def _content_codings(headers, ref: Any) -> list[str]:
    """The ``Content-Encoding`` of an answer that the fetcher decodes, in the order applied
    (``identity``, and a value that names no coding, ``none`` or ``binary``, left out); a
    coding it does not decode (``br``, ``zstd``, ``compress``, ...) is refused."""
    codings = [
        coding.strip().lower()
        for value in headers.get_all("Content-Encoding") or ()
        for coding in value.split(",")
        if coding.strip() and coding.strip().lower() != "identity"
    ]
    for coding in codings:
        if coding in _UNDECODED_CODINGS:
            raise MediaFetchError(
                f"the server sent the body in Content-Encoding {coding!r}, which is not "
                "decoded (only gzip and deflate are; the request asks for none)",
                ref,
            )
    return [coding for coding in codings if coding in _DECODED_CODINGS]


def _decoded(data: bytes, coding: str, ref: Any, max_bytes: int) -> bytes:
    """``data`` decoded of one gzip or deflate ``Content-Encoding``, at most ``max_bytes``
    of it (a few kilobytes of gzip can hold gigabytes). A gzip body of several members is
    read whole; a deflate one may be zlib-wrapped (as HTTP says) or raw (as some servers
    send it). Bytes after the end of the stream are ignored, as browsers ignore them."""
    wbits = _DECODED_CODINGS[coding]
    out: list[bytes] = []
    total, rest = 0, data
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            piece = inflater.decompress(rest, max_bytes + 1 - total)
        except zlib.error as exc:
            if wbits == 15 and not out:  # deflate without its zlib wrapper
                wbits = -15
                continue
            raise MediaFetchError(
                f"the body is not valid {coding} data, as its Content-Encoding says ({exc})", ref
            ) from None
        total += len(piece)
        out.append(piece)
        if total > max_bytes:
            raise MediaTooLargeError(
                f"body decoded from {coding} is larger than max_bytes={max_bytes}{_MAX_BYTES_HINT}",
                ref,
            )
        if not inflater.eof:  # cut short: a connection closed early, without a length
            raise MediaFetchError(f"the body ends inside its {coding} data", ref, transient=True)
        rest = inflater.unused_data
        if not (wbits == 31 and rest[:2] == b"\x1f\x8b"):  # another gzip member
            return b"".join(out)


# ---------------------------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------------------------
def _too_many_pixels(width, height, max_pixels, label, *, loader=False) -> MediaTooLargeError:
    """The refusal of an image above ``max_pixels``, read from a file's bytes or (``loader``)
    returned by a custom loader, naming the setting that reads larger ones."""
    fetcher = (
        "ImageFetcher(loader=..., max_pixels=...)" if loader else "ImageFetcher(max_pixels=...)"
    )
    exc = MediaTooLargeError(
        f"image is {width}x{height} = {width * height} pixels, more than "
        f"max_pixels={max_pixels} (possible decompression bomb; an {fetcher} given as the "
        "captioner's image_loader reads larger ones)",
        label,
    )
    exc.pixels = (width, height, max_pixels)  # for a caller that words it for its loader
    return exc


def _check_pixel_limits(max_pixels, reduce_above) -> None:
    if not (_is_number(max_pixels, numbers.Integral) and max_pixels > 0):
        raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    # a number or None; a text or NaN (never above anything) would not reduce any image
    if reduce_above is not None and not (
        _is_number(reduce_above, numbers.Real) and not math.isnan(reduce_above)
    ):
        raise ValueError(f"reduce_above must be a number of pixels or None, got {reduce_above!r}")


def decode_image(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    source: Any = None,
    reduce_above: int | None = DRAFT_ABOVE,
):
    """Decode image bytes into an RGB :class:`PIL.Image.Image`, refusing decompression bombs.

    Parameters
    ----------
    data : bytes
        Encoded image in one of the raster formats Pillow decodes itself
        (:data:`IMAGE_FORMATS`: JPEG, PNG, GIF, WebP, BMP, TIFF, AVIF, ...). Other
        formats Pillow knows are refused as not an image: EPS, in particular, would hand
        the bytes (from any URL) to Ghostscript, an external program, and ICO is decoded
        whole before its size can be checked.
    max_pixels : int, default=89_000_000
        Refuse images with more pixels (width x height). Checked on the header read by
        ``Image.open``, before any pixel is decoded. Pillow's own limit
        (``PIL.Image.MAX_IMAGE_PIXELS``; twice it raises) also applies and is reported the
        same way; between the two, Pillow's ``DecompressionBombWarning`` (which names no
        file) may show beside skbucket's error.
    source : object, optional
        The reference the bytes came from, used in error messages.
    reduce_above : int or None, default=40_000_000
        A JPEG of more pixels is decoded at a reduced scale (1/2, 1/4 or 1/8, Pillow's
        ``draft``) to at most this many: a 48 Mpx photo is 145 MB decoded, and a caption
        model sees 224 x 224 pixels of it. ``None``: decoded whole.

    Returns
    -------
    PIL.Image.Image
        Fully loaded, mode ``"RGB"``. EXIF orientation is applied. CMYK, greyscale, palette,
        YCbCr and 16/32-bit images are converted to RGB; images with transparency (RGBA,
        LA, palette with a transparent colour) are alpha-composited on a white background;
        an animated GIF gives its first frame.

    Raises
    ------
    MediaTooLargeError
        More than ``max_pixels`` pixels.
    MediaDecodeError
        Not an image, corrupt or truncated data. Bytes that are no image are described by
        their size and how they begin: a binary format's first 12 bytes (its signature,
        escaped), but text (an HTML error or sign-in page, JSON) by its kind only, never
        quoted: it may hold a token or a user's details.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGBA", (4, 3), (255, 0, 0, 0)).save(buf, format="PNG")
    >>> image = decode_image(buf.getvalue())
    >>> image.mode, image.size, image.getpixel((0, 0))
    ('RGB', (4, 3), (255, 255, 255))
    >>> decode_image(b"not an image", source="a.jpg")
    Traceback (most recent call last):
    ...
    skbucket.media.MediaDecodeError: 'a.jpg': ...
    """
    _check_pixel_limits(max_pixels, reduce_above)
    label = source if source is not None else "<bytes>"
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MediaDecodeError(f"expected bytes, got {type(data).__name__}", label)
    if not data:
        raise MediaDecodeError("empty data (0 bytes)", label)
    Image, ImageOps, UnidentifiedImageError = _import_pil()
    try:
        image = Image.open(io.BytesIO(data), formats=_pil_formats(Image))
    except Image.DecompressionBombError as exc:
        raise MediaTooLargeError(
            f"decompression bomb refused by Pillow ({exc}; max_pixels={max_pixels})", label
        ) from None
    except UnidentifiedImageError:
        hint = (
            ": a HEIC/HEIF photo, which Pillow opens only with the pillow-heif plugin (pip "
            "install pillow-heif; call pillow_heif.register_heif_opener() before captioning)"
            if bytes(data[4:12]) in _HEIF_BRANDS
            else ""
        )
        raise MediaDecodeError(
            f"not a recognised image ({len(data)} bytes {_what_starts(bytes(data[:64]))}){hint}",
            label,
        ) from None
    except MemoryError:  # this process's want, not the file's fault: not a bad image
        raise
    except Exception as exc:
        raise MediaDecodeError(
            f"cannot read image header ({type(exc).__name__}: {exc})", label
        ) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise _too_many_pixels(width, height, max_pixels, label)
    _scale_low_bit_transparency(image)
    reducible = image.format in ("JPEG", "MPO")  # Pillow's draft reads these at 1/2-1/8
    if reducible and reduce_above is not None and width * height > reduce_above:
        # the size a scale gives is rounded up (Pillow's draft: 2001 px at 1/2 is 1001)
        scale = next(
            s for s in (2, 4, 8) if -(-width // s) * -(-height // s) <= reduce_above or s == 8
        )
        # at least 1: Pillow's draft divides by the size asked for (a JPEG narrower than
        # the scale, 1 x 60,000 under reduce_above=50_000, raised ZeroDivisionError)
        image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))
    try:
        image.load()
        image = ImageOps.exif_transpose(image) or image
        return _to_rgb(image)
    except Image.DecompressionBombError as exc:
        raise MediaTooLargeError(f"decompression bomb refused by Pillow ({exc})", label) from None
    except MemoryError:  # this process's want (a 36-megapixel photo is 108 MB decoded)
        raise
    except Exception as exc:
        raise MediaDecodeError(
            f"corrupt or truncated {image.format or 'image'} data ({exc})", label
        ) from None


#: the byte-order marks of text, and the codec each says
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
#: how a text body that is no image begins, by its first character (after white space)
_TEXT_KINDS = {"<": "HTML, XML or SVG text", "{": "JSON text", "[": "JSON text"}
#: image signatures that are printable ASCII as far as they go (GIF, a RIFF file as WebP,
#: BMP, TIFF): a truncated such image (a download cut after its first bytes) is no text,
#: and its signature, which names its format, is quoted
_ASCII_SIGNATURES = (b"GIF87a", b"GIF89a", b"RIFF", b"BM", b"II*\x00", b"MM\x00*")


def _what_starts(head: bytes) -> str:
    """How bytes that are no image begin, for the error that says so: a binary format's
    signature, its first 12 bytes escaped (``starting b'\\x1f\\x8b...'``, gzip; an MP4's
    ``ftyp``), which names the format; but text only by its kind (``of HTML, XML or SVG
    text``, ``of JSON text``, ``of text``), never quoted: a server's error or sign-in page
    sent in place of an image may hold a token or a user's details, which an error message
    carries on into logs, warnings and ``errors_``. UTF-16 text is told by its BOM, or
    without one by its first two characters (ASCII, each beside a zero byte)."""
    codec, body = next(
        ((codec, head[len(bom) :]) for bom, codec in _BOMS if head.startswith(bom)),
        (_bomless_utf16(head) or "utf-8", head),
    )
    try:  # a character cut at the end of ``head`` is no sign of binary data
        text = codecs.getincrementaldecoder(codec)().decode(body, final=False)
    except UnicodeDecodeError:
        text = None
    if text is None or any(ch < " " and ch not in "\t\n\r\f" or ch == "\x7f" for ch in text):
        return f"starting {head[:12]!r}"
    for signature in _ASCII_SIGNATURES:  # only the signature: nothing of a text after it
        if head.startswith(signature) or signature.startswith(head):
            return f"starting {head[: len(signature)]!r}"
    stripped = text.lstrip()
    return (
        f"of {_TEXT_KINDS.get(stripped[:1], 'text')} (not quoted)" if stripped else "of white space"
    )


def _bomless_utf16(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` for bytes that begin as UTF-16 text without a BOM
    (an HTML error page a server sends as UTF-16LE: ``<\\x00h\\x00...``), else ``None``.

    Its first two characters must be printable ASCII or white space, and three quarters of
    its characters at least below U+0100 (each beside a zero byte): no image signature
    begins so (nor ``II*\\x00``, a TIFF's), and binary data after two such characters is
    no such text. It was shown as binary, its first 12 bytes quoted (``starting
    b'<\\x00h\\x00t\\x00m\\x00l\\x00>\\x00'``): six characters of a text an error message
    never quotes.
    """
    if len(head) < 4:
        return None
    for codec in ("utf-16-le", "utf-16-be"):
        text = head[: len(head) // 2 * 2].decode(codec, errors="replace")
        if all(ch.isascii() and (ch.isprintable() or ch in "\t\n\r\f") for ch in text[:2]) and (
            4 * sum(ch < "\u0100" for ch in text) >= 3 * len(text)
        ):
            return codec
    return None


def _scale_low_bit_transparency(image) -> None:
    """A 2- or 4-bit grey PNG's transparent level on the 0..255 scale of its pixels.

    Pillow reads such pixels scaled to 8 bits (level 1 of 2 bits is 85) but keeps the tRNS
    level as written (1), so no pixel matched it (or a wrong one did): the transparent pixels
    showed at their level, not composited on white as an 8-bit one's are.
    """
    transparent = image.info.get("transparency")
    if image.format != "PNG" or image.mode != "L" or not isinstance(transparent, int):
        return
    tile = image.tile[0] if len(image.tile) == 1 else None
    args = getattr(tile, "args", None) if tile is not None else None
    rawmode = args[0] if isinstance(args, tuple) and args else args
    depth = {"L;2": 2, "L;4": 4}.get(rawmode) if isinstance(rawmode, str) else None
    if depth is not None and 0 <= transparent < (1 << depth):
        image.info["transparency"] = transparent * (255 // ((1 << depth) - 1))


#: The image formats :func:`decode_image` opens: raster formats Pillow decodes in-process
#: (HEIF where the pillow-heif plugin is registered). Not EPS (Pillow runs Ghostscript on it),
#: nor ICO (Pillow decodes an icon's pixels when it opens it, before ``max_pixels`` can refuse
#: an icon that holds a huge PNG), nor the formats Pillow reads only partly.
IMAGE_FORMATS = (
    "JPEG",
    "MPO",
    "PNG",
    "GIF",
    "WEBP",
    "AVIF",
    "BMP",
    "DIB",
    "TIFF",
    "JPEG2000",
    "PPM",
    "TGA",
    "QOI",
    "HEIF",
)

# The ISO box header of a HEIC/HEIF photo (iPhones), bytes 4-12: Pillow reads it only with the
# pillow-heif plugin, which registers "HEIF" (so :data:`IMAGE_FORMATS` names it).
_HEIF_BRANDS = frozenset(
    b"ftyp" + brand for brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1")
)


def _pil_formats(Image):
    """:data:`IMAGE_FORMATS` that this Pillow can open (an older one lacks AVIF or QOI, and
    ``Image.open`` fails on a name it does not know)."""
    Image.init()
    return [name for name in IMAGE_FORMATS if name in Image.OPEN]


def _import_pil():
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as exc:
        raise ImportError(
            "decoding images needs Pillow: pip install 'skbucket[vision]' (or pillow)"
        ) from exc
    return Image, ImageOps, UnidentifiedImageError


def _to_rgb(image):
    """Convert any Pillow image to RGB; transparency is composited on white."""
    Image = _import_pil()[0]

    if image.mode == "RGB" and "transparency" not in image.info:
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        # "1": a 1-bit PNG's transparent level (Pillow reads it as 0 or 255), which showed
        # at its level (black) as an 8-bit one's did before it was composited
        image.mode in ("P", "L", "RGB", "1") and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        transparent = image.info.get("transparency")  # a 16-bit grey PNG's transparent level
        grey = Image.fromarray(_grey_to_8bit(image))  # 2-D uint8: "L" (mode= is deprecated)
        if isinstance(transparent, (int, float)) and not isinstance(transparent, bool):
            import numpy as np

            # composited on white as an 8-bit one's transparent level is (that showed black)
            opaque = Image.fromarray((np.asarray(image) != transparent).astype(np.uint8) * 255)
            white = Image.new("L", grey.size, 255)
            white.paste(grey, mask=opaque)
            grey = white
        image = grey
    return image.convert("RGB")


def _grey_to_8bit(image):
    """16/32-bit greyscale as 0..255 levels, keeping brightness where the range is known.

    16-bit images (and 32-bit integer ones with values in 0..65535) map their full range
    0..65535 onto 0..255 (white stays white); values already in 0..255, and floats in 0..1
    (times 255), are kept; anything else (negative or larger values) is stretched from its
    minimum to its maximum (a flat one is clipped to 0..255). NaN becomes black.
    """
    import numpy as np

    # in the image's own dtype, converted a block of rows at a time: a float64 copy of the
    # whole image (and the copies each step made) cost ~30 bytes a pixel, 1.2 GB for a 92 KB
    # 16-bit PNG that max_pixels lets through
    native = np.asarray(image)
    if native.dtype.kind == "f":
        finite = np.isfinite(native)
        found = bool(finite.any())
        lo = float(np.min(native, where=finite, initial=np.inf)) if found else 0.0
        hi = float(np.max(native, where=finite, initial=-np.inf)) if found else 0.0
        del finite
    else:
        lo, hi = (float(native.min()), float(native.max())) if native.size else (0.0, 0.0)
    if image.mode.startswith("I;16") or (image.mode == "I" and lo >= 0 and 255 < hi <= 65535):
        how = "divide"
    elif image.mode == "F" and lo >= 0 and hi <= 1:
        how = "times255"
    elif not (lo >= 0 and hi <= 255) and hi > lo:
        how, scale = "stretch", 255.0 / (hi - lo)
    else:
        how = "keep"
    out = np.empty(native.shape, dtype=np.uint8)
    step = max(1, (1 << 18) // max(1, native.shape[1] if native.ndim > 1 else 1))
    for start in range(0, native.shape[0], step):
        block = native[start : start + step].astype(np.float64)
        if how == "divide":
            block /= 257.0
        elif how == "times255":
            block *= 255.0
        elif how == "stretch":
            block -= lo
            block *= scale
        np.nan_to_num(block, copy=False)
        np.rint(block, out=block)
        np.clip(block, 0, 255, out=block)
        out[start : start + step] = block
    return out


def load_image(
    ref: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    max_pixels: int = DEFAULT_MAX_PIXELS,
):
    """Read and decode one image: :func:`read_bytes` then :func:`decode_image`.

    Parameters
    ----------
    ref : str, os.PathLike or MediaRef
        Local path, ``file://`` or ``http(s)://`` URL.
    timeout, max_bytes, retries, backoff
        As in :func:`read_bytes`.
    max_pixels : int, default=89_000_000
        As in :func:`decode_image`.

    Returns
    -------
    PIL.Image.Image
        RGB image.

    Raises
    ------
    MediaError
        One of its subclasses; see the table in the module docstring.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from PIL import Image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grey.png"
    >>> Image.new("L", (5, 2), 128).save(path)
    >>> image = load_image(path)
    >>> image.mode, image.size, image.getpixel((0, 0))
    ('RGB', (5, 2), (128, 128, 128))
    """
    data = read_bytes(ref, timeout=timeout, max_bytes=max_bytes, retries=retries, backoff=backoff)
    return decode_image(data, max_pixels=max_pixels, source=ref)


# ---------------------------------------------------------------------------------------------
# batched, threaded fetching
# ---------------------------------------------------------------------------------------------
def _ref_key(ref: Any) -> str:
    try:
        return _ref_to_str(ref)
    except MediaError:
        return f"<invalid {id(ref)}>"


class ImageFetcher:
    """Fetch many images on a thread pool, in input order, never raising for one bad ref.

    Network and disk reads run on ``max_workers`` threads, prefetching ahead of the
    consumer, so a model consuming the results rarely waits on I/O. Each reference yields
    either its result or the :class:`MediaError` it failed with; the caller decides what to
    do with failures (skip, placeholder, raise).

    Parameters
    ----------
    max_workers : int, default=8
        Threads doing I/O (and decoding, for :meth:`fetch_images`).
    timeout, max_bytes, retries, backoff
        As in :func:`read_bytes`.
    max_pixels : int, default=89_000_000
        As in :func:`decode_image`.
    loader : callable, default=None
        Replaces the built-in reading: ``loader(ref)`` returns a :class:`PIL.Image.Image`
        or encoded ``bytes``. Exceptions it raises are reported like any failure (a
        non-:class:`MediaError` becomes a :class:`MediaFetchError` naming the reference).
        When :meth:`fetch_bytes` gets an image from it, the image is converted to RGB and
        encoded as PNG, so equal pixels give equal bytes.
    prefetch : int, default=None
        How many references to have in flight ahead of the consumer; ``None`` means
        ``2 * max_workers``.
    max_host_failures : int or None, default=3
        Within one :meth:`fetch_bytes` / :meth:`fetch_images` call, after this many
        references in a row to one ``http(s)`` host (a host name and port: ``http://h/``,
        ``http://H.:80/`` and, for a name that is not ASCII, its IDNA spelling ``xn--...``
        are one, ``https://h/`` another) failed because the host could not be
        reached (name not resolved, connection refused or not answered, no route: see
        ``MediaFetchError.unreachable``; each after its retries), the references to
        that host are skipped: each yields a :class:`MediaFetchError` saying "not tried", at
        once, except one every ``host_cooldown`` seconds, which is tried. Any answer from
        the host resets it, and the next call tries every host afresh. So a machine without
        network, or a dead image host, costs a few references' retries instead of every
        reference's, and a network outage during a long run skips images (recorded as
        failures) for about ``host_cooldown`` seconds after it ends. ``None`` tries every
        reference. Not used with a custom ``loader``.
    host_cooldown : float, default=10.0
        Seconds between the references tried while a host is skipped (see
        ``max_host_failures``).
    reduce_above : int or None, default=40_000_000
        A JPEG of more pixels is decoded at a reduced scale, to at most this many (see
        :func:`decode_image`); ``None``: decoded whole, as a fetcher pickled before 0.8.3
        decodes it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Image.new("RGB", (3, 3), "red").save(folder / "red.png")
    >>> fetcher = ImageFetcher(max_workers=2)
    >>> for ref, result in fetcher.fetch_images([folder / "red.png", folder / "missing.png"]):
    ...     print(ref.name, type(result).__name__)
    red.png Image
    missing.png MediaFetchError
    """

    def __init__(
        self,
        *,
        max_workers: int = 8,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        loader: Callable[[Any], Any] | None = None,
        prefetch: int | None = None,
        max_host_failures: int | None = 3,
        host_cooldown: float = 10.0,
        reduce_above: int | None = DRAFT_ABOVE,
    ):
        self.max_workers = max_workers
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.retries = retries
        self.backoff = backoff
        self.loader = loader
        self.prefetch = prefetch
        self.max_host_failures = max_host_failures
        self.host_cooldown = host_cooldown
        self.reduce_above = reduce_above

    def _reduce_above(self) -> int | None:
        """``reduce_above``; None for a fetcher pickled before it existed (0.8.2), which
        decoded every image whole: a saved model's captions stay those it made."""
        return getattr(self, "reduce_above", None)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    # -- single references -------------------------------------------------------------------
    def read_bytes(self, ref: Any) -> bytes:
        """Bytes of one reference with this fetcher's settings (raises :class:`MediaError`).

        Parameters
        ----------
        ref : str, os.PathLike or MediaRef
            The image's path or URL.

        Returns
        -------
        bytes
        """
        if self.loader is None:
            return read_bytes(
                ref,
                timeout=self.timeout,
                max_bytes=self.max_bytes,
                retries=self.retries,
                backoff=self.backoff,
            )
        result = self._call_loader(ref)
        if isinstance(result, (bytes, bytearray, memoryview)):
            return bytes(result)
        buf = io.BytesIO()
        self._check_image(result, ref).save(buf, format="PNG")
        return buf.getvalue()

    def load_image(self, ref: Any):
        """RGB image of one reference with this fetcher's settings (raises :class:`MediaError`).

        Parameters
        ----------
        ref : str, os.PathLike or MediaRef
            The image's path or URL.

        Returns
        -------
        PIL.Image.Image
        """
        if self.loader is None:
            data = self.read_bytes(ref)
            return decode_image(
                data, max_pixels=self.max_pixels, source=ref, reduce_above=self._reduce_above()
            )
        result = self._call_loader(ref)
        if isinstance(result, (bytes, bytearray, memoryview)):
            try:
                return decode_image(
                    bytes(result),
                    max_pixels=self.max_pixels,
                    source=ref,
                    reduce_above=self._reduce_above(),
                )
            except MediaTooLargeError as exc:
                if getattr(exc, "pixels", None) is None:
                    raise
                # the loader's bytes: ImageFetcher(max_pixels=...) alone would drop the loader
                raise _too_many_pixels(*exc.pixels, ref, loader=True) from None
        return self._check_image(result, ref)

    def _call_loader(self, ref: Any):
        # both callers read the bytes themselves without a loader (cast: not None here; one
        # set to None meanwhile fails below, as any failing loader does)
        loader = cast(Callable[[Any], Any], self.loader)
        try:
            result = loader(ref)
        except (MediaError, MemoryError):
            raise
        except Exception as exc:
            raise MediaFetchError(
                f"custom loader failed ({type(exc).__name__}: {exc})", ref
            ) from exc
        return result

    def _check_image(self, image: Any, ref: Any):
        if not (hasattr(image, "mode") and hasattr(image, "size") and hasattr(image, "convert")):
            raise MediaDecodeError(
                f"custom loader returned {type(image).__name__}, expected a PIL image or bytes",
                ref,
            )
        width, height = image.size
        if width * height > self.max_pixels:
            raise _too_many_pixels(width, height, self.max_pixels, ref, loader=True)
        try:
            if hasattr(image, "getexif"):  # upright, as decode_image makes the same file's bytes
                image = _import_pil()[1].exif_transpose(image) or image
            return _to_rgb(image)
        except Exception as exc:
            raise MediaDecodeError(f"cannot convert image to RGB ({exc})", ref) from None

    # -- batches -----------------------------------------------------------------------------
    def fetch_bytes(self, refs: Iterable[Any]) -> Iterator[tuple[Any, bytes | MediaError]]:
        """Yield ``(ref, bytes or MediaError)`` for each reference, in input order.

        Lazy: references are read from ``refs`` as the pool needs them, at most
        ``prefetch`` ahead of the consumer. Identical references in flight at the same time
        are fetched once (:meth:`fetch_images` yields each its own image object). Closing the iterator early (its ``close()``; wrap a loop that may
        raise or be interrupted in ``contextlib.closing``, as the captioner does) cancels
        the pending work and cuts the HTTP fetches in flight and their retries: the threads
        end within moments, except an attempt still connecting (or in its TLS handshake), which
        ends at its ``timeout`` (or, while the host's name is being looked up, when the
        system resolver gives up), and a custom ``loader``, which runs to its end.

        Parameters
        ----------
        refs : iterable of str, os.PathLike or MediaRef
            The images' paths or URLs.

        Yields
        ------
        ref : object
            The reference as given.
        result : bytes or MediaError
            The body, or the error that reference failed with.
        """
        return self._ordered(refs, self.read_bytes)

    def fetch_images(self, refs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(ref, RGB PIL image or MediaError)`` for each reference, in input order.

        Like :meth:`fetch_bytes`, with decoding also done on the pool.

        Parameters
        ----------
        refs : iterable of str, os.PathLike or MediaRef
            The images' paths or URLs.

        Yields
        ------
        ref : object
            The reference as given.
        result : PIL.Image.Image or MediaError
            The decoded image, or the error that reference failed with.
        """
        return self._ordered(refs, self.load_image)

    def _ordered(self, refs: Iterable[Any], work: Callable[[Any], Any]):
        max_workers = self.max_workers
        # no bool (an int to Python: max_workers=True ran one thread, prefetch=True kept one
        # reference in flight), as the limits below refuse it
        if not (_is_number(max_workers, numbers.Integral) and max_workers >= 1):
            raise ValueError(f"max_workers must be a positive integer, got {max_workers!r}")
        _check_limits(self.timeout, self.max_bytes, self.retries, self.backoff)
        # here, not on the threads: a bad value failed every image, each as its own error
        # (the captioner's too, which decodes the bytes with them)
        _check_pixel_limits(self.max_pixels, self._reduce_above())
        # doubled as a Python int: np.int64(2**62) overflowed to a negative window, refused
        # as a prefetch the user never gave
        window = self.prefetch if self.prefetch is not None else 2 * int(max_workers)
        if not (_is_number(window, numbers.Integral) and window >= 1):
            raise ValueError(f"prefetch must be a positive integer or None, got {window!r}")
        limit = self.max_host_failures
        if limit is not None and not (_is_number(limit, numbers.Integral) and limit >= 1):
            raise ValueError(f"max_host_failures must be a positive integer or None, got {limit!r}")
        cooldown = self.host_cooldown
        if not (_is_number(cooldown, numbers.Real) and math.isfinite(cooldown) and cooldown >= 0):
            raise ValueError(
                f"host_cooldown must be a non-negative number of seconds, got {cooldown!r}"
            )
        if limit is not None and self.loader is None:
            work = _HostBreaker(int(limit), float(cooldown)).guard(work)
        return self._generate(iter(refs), work, int(max_workers), int(window))

    @staticmethod
    def _guarded(work: Callable[[Any], Any], ref: Any, stop: _Stop):
        _worker.stop = stop
        try:
            return work(ref)
        except MediaError as exc:
            return exc
        except (MemoryError, ImportError):  # not this medium's failure (too little memory,
            raise  # Pillow not installed): raised, not an error of every image to skip
        except Exception as exc:  # a bug or odd failure must not stop the batch
            error = MediaFetchError(f"unexpected {type(exc).__name__}: {exc}", ref)
            error.__cause__ = exc
            return error
        finally:
            _worker.stop = None

    def _generate(self, refs, work, max_workers, window):
        pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="skbucket-media")
        stop = _Stop()
        pending: deque[tuple[Any, str, Future]] = deque()
        inflight: dict[str, list] = {}  # key -> [future, count of pending entries]

        def submit(ref):
            key = _ref_key(ref)
            entry = inflight.get(key)
            if entry is None:
                entry = inflight[key] = [pool.submit(self._guarded, work, ref, stop), 0]
            entry[1] += 1
            pending.append((ref, key, entry[0]))

        try:
            exhausted = False
            for ref in refs:
                submit(ref)
                if len(pending) >= window:
                    break
            else:
                exhausted = True
            while pending:
                ref, key, future = pending.popleft()
                if not exhausted:
                    nxt = next(refs, _END)
                    if nxt is _END:
                        exhausted = True
                    else:
                        submit(nxt)
                result = future.result()
                entry = inflight[key]
                entry[1] -= 1
                if entry[1] == 0:
                    del inflight[key]
                elif not isinstance(result, (bytes, MediaError)):
                    # an image that a later identical ref also gets: its own copy, so that
                    # drawing on it, resizing it in place or closing it leaves the other alone
                    result = result.copy()
                yield ref, result
        finally:
            stop.set()  # what is still running ends at once (a custom loader excepted)
            pool.shutdown(wait=False, cancel_futures=True)


_END = object()


class _HostBreaker:
    """Stops asking an ``http(s)`` host after ``limit`` unreachable failures in a row.

    Shared by the threads of one :class:`ImageFetcher` call. References already in flight
    when the limit is reached still run. While a host is skipped, one reference every
    ``cooldown`` seconds is tried (the others keep being skipped meanwhile); any answer from
    the host, to it or to a reference in flight, resets the host. An error raised before the
    host was asked anything (a URL that cannot be sent, a cancelled fetch) neither counts nor
    resets.
    """

    def __init__(self, limit: int, cooldown: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.cooldown = cooldown
        self.clock = clock
        self._lock = threading.Lock()
        # host -> [failures in a row, last error text, skip references until this clock time]
        self._hosts: dict[str, list] = {}

    def guard(self, work: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def guarded(ref):
            host = _host_port(ref)
            if host is None:
                return work(ref)
            self._admit(host, ref)
            try:
                result = work(ref)
            except MediaError as exc:
                if getattr(exc, "unreachable", False):
                    self._failed(host, exc)
                elif not getattr(exc, "_unasked", False):
                    # an answer (HTTP error, too large, undecodable...) or a slow host; not
                    # an error raised before the host was asked (a URL that cannot be sent)
                    self._answered(host)
                raise
            self._answered(host)
            return result

        return guarded

    def _admit(self, host: str, ref: Any) -> None:
        """Raise the "not tried" error, or let ``ref`` go (as the probe of a skipped host)."""
        with self._lock:
            state = self._hosts.get(host)
            if state is None or state[0] < self.limit:
                return
            now = self.clock()
            if now < state[2]:
                raise MediaFetchError(
                    f"not tried: host {_http_host(ref)} could not be reached for {state[0]} references "
                    f"in a row (last: {state[1]}); one reference is tried again every "
                    f"{self.cooldown:g} s",
                    ref,
                    transient=True,
                    unreachable=True,
                )
            state[2] = now + self.cooldown  # this one probes; the others wait for it

    def _failed(self, host: str, exc: MediaError) -> None:
        with self._lock:
            state = self._hosts.setdefault(host, [0, "", 0.0])
            state[0] += 1
            state[1] = _strip_label(exc)
            if state[0] >= self.limit:
                state[2] = self.clock() + self.cooldown

    def _answered(self, host: str) -> None:
        with self._lock:
            self._hosts.pop(host, None)


def _http_host(ref: Any) -> str | None:
    """``host[:port]`` of an ``http(s)`` reference, else ``None``."""
    try:
        parts = urllib.parse.urlsplit(_ref_to_str(ref))
    except (MediaError, ValueError):
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return parts.netloc.rpartition("@")[2].lower() or None


@functools.lru_cache(maxsize=4096)  # IDNA-encoding a name costs ~60 us: a batch has few hosts
def _host_name(name: str) -> str:
    """A host name as the one host it names, however it is spelled: lower case (as urllib's
    ``hostname`` gives it), without the trailing dot of a fully qualified name (``h.`` is
    ``h``), and IDNA-encoded as http.client sends it (``bücher.de`` is
    ``xn--bcher-kva.de``); an IP address as it is, and a name IDNA cannot encode as written
    (its fetch fails before the host is asked)."""
    if ":" in name:  # an IPv6 address (urllib's hostname drops its brackets)
        return name
    if name.endswith(".") and len(name) > 1:
        name = name[:-1]
    if not name.isascii():
        with contextlib.suppress(UnicodeError):
            name = name.encode("idna").decode("ascii")
    return name.lower()


def _host_parts(ref: Any) -> tuple[str, int | None, int] | str | None:
    """``(name, port, the scheme's port)`` of an ``http(s)`` reference, the name as
    :func:`_host_name` gives it (``h``, ``H`` and ``h.`` are one host) and in brackets when it
    is an IPv6 address, the port ``None`` where none is written; the host as written where
    its port cannot be read (out of range); ``None`` for no ``http(s)`` reference."""
    host = _http_host(ref)
    if host is None:
        return None
    try:
        parts = urllib.parse.urlsplit(_ref_to_str(ref))
        port = parts.port
    except (MediaError, ValueError):  # a port out of range: read_bytes refuses it
        return host
    name = _host_name(parts.hostname or "")
    if ":" in name:
        name = f"[{name}]"
    return name, port, 443 if parts.scheme.lower() == "https" else 80


def _shown_host(ref: Any) -> str | None:
    """The host of an ``http(s)`` reference as a message names it, else ``None``: the name as
    :func:`_host_name` gives it (``h``, ``H`` and ``h.`` are one host, as
    :class:`_HostBreaker` counts them) and the port only where it is not the scheme's own
    (``http://h:80/`` is ``h``, ``http://h:8080/`` is ``h:8080``); so a summary of hosts
    names each once, however its references spell it."""
    parts = _host_parts(ref)
    if not isinstance(parts, tuple):
        return parts
    name, port, default = parts
    return name if port is None or port == default else f"{name}:{port}"


def _host_port(ref: Any) -> str | None:
    """``host:port`` of an ``http(s)`` reference, the port spelled out (``http://h/`` and
    ``http://h:80/`` are one server, ``https://h/`` another: a refused port 80 says nothing of
    443) and the name as :func:`_host_name` gives it (``h``, ``H`` and ``h.`` are one host,
    counted as one), else ``None``: the key of :class:`_HostBreaker`, and how a redirect's
    target is told from its reference's host."""
    parts = _host_parts(ref)
    if not isinstance(parts, tuple):
        return parts
    name, port, default = parts
    return f"{name}:{default if port is None else port}"
