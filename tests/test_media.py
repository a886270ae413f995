"""Tests for skbucket.media: parsing the media column and loading images safely.

Network tests use a local ``ThreadingHTTPServer`` on 127.0.0.1 (never the internet).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import gzip
import io
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

from skbucket.media import (
    ImageFetcher,
    MediaDecodeError,
    MediaError,
    MediaFetchError,
    MediaParseError,
    MediaRef,
    MediaTooLargeError,
    UnsupportedSchemeError,
    decode_image,
    load_image,
    parse_media,
    read_bytes,
)

SHORT = 0.3  # seconds: timeout used against the slow endpoint


# ---------------------------------------------------------------------------------------------
# parse_media
# ---------------------------------------------------------------------------------------------
PHOTO = (
    "Photo(previewUrl='https://pbs.twimg.com/media/A?format=jpg&name=small', "
    "fullUrl='https://pbs.twimg.com/media/A?format=jpg&name=large')"
)
VIDEO = (
    "Video(thumbnailUrl='https://pbs.twimg.com/amplify_video_thumb/1/img/v.jpg', "
    "variants=[VideoVariant(contentType='video/mp4', url='https://video.twimg.com/v.mp4', "
    "bitrate=2176000), VideoVariant(contentType='application/x-mpegURL', "
    "url='https://video.twimg.com/v.m3u8', bitrate=None)], duration=57.758, views=116)"
)
GIF = (
    "Gif(thumbnailUrl='https://pbs.twimg.com/tweet_video_thumb/G.jpg', "
    "variants=[VideoVariant(contentType='video/mp4', url='https://video.twimg.com/G.mp4', "
    "bitrate=0)])"
)


def test_parse_media_scraper_text_in_order_with_kinds():
    refs = parse_media(f"[{VIDEO}, {PHOTO}, {GIF}]")
    assert [r.kind for r in refs] == ["video", "photo", "gif"]
    assert [r.url for r in refs] == [
        "https://pbs.twimg.com/amplify_video_thumb/1/img/v.jpg",
        "https://pbs.twimg.com/media/A?format=jpg&name=large",
        "https://pbs.twimg.com/tweet_video_thumb/G.jpg",
    ]
    assert all(isinstance(r, MediaRef) for r in refs)


def test_parse_media_size_preview_only_changes_photos():
    refs = parse_media(f"[{PHOTO}, {VIDEO}]", size="preview")
    assert refs[0] == MediaRef("https://pbs.twimg.com/media/A?format=jpg&name=small", "photo")
    assert refs[1].url.endswith("/img/v.jpg")
    with pytest.raises(ValueError, match="size"):
        parse_media(PHOTO, size="medium")


def test_parse_media_photo_falls_back_to_the_other_url():
    assert parse_media("[Photo(previewUrl='p')]")[0] == MediaRef("p", "photo")
    assert parse_media("[Photo(fullUrl='f')]", size="preview")[0] == MediaRef("f", "photo")


def test_parse_media_bare_object_and_unknown_keywords_are_accepted():
    assert parse_media(GIF) == [MediaRef("https://pbs.twimg.com/tweet_video_thumb/G.jpg", "gif")]
    refs = parse_media("[Photo(previewUrl='p', fullUrl='f', altText=None, width=3)]")
    assert refs == [MediaRef("f", "photo")]
    # negative numbers are literals too (a scraper's "unknown" duration or view count)
    refs = parse_media("[Video(thumbnailUrl='t', variants=[], duration=-1.0, views=-1)]")
    assert refs == [MediaRef("t", "video")]


def test_parse_media_none_and_blank_items_in_list_text_are_no_media():
    # as they are in a Python list
    assert parse_media("[None]") == parse_media([None]) == []
    assert parse_media("['', ' ', 'a.jpg', None]") == parse_media(["", " ", "a.jpg", None])
    assert parse_media("['', 'a.jpg']") == [MediaRef("a.jpg")]


@pytest.mark.parametrize(
    "text", ["None", " None ", "nan", "NaN", "null", "NULL", "N/A", "n/a", "NA", "#N/A", " - "]
)
def test_parse_media_the_texts_of_a_missing_value_are_no_media(text, tmp_path):
    # the scraper writes repr(None) for a post without media; a CSV reader that keeps texts
    # as texts (skbucket's CLI does) hands it over as "None", not as a missing value; JSON
    # converters, spreadsheets and BI tools write "null", "N/A", "#N/A" or "-" (they were
    # one image each)
    assert parse_media(text) == []
    assert parse_media(["a.jpg", text]) == [MediaRef("a.jpg")]
    assert parse_media(tmp_path / text.strip()) == [MediaRef(str(tmp_path / text.strip()))]


@pytest.mark.parametrize("name", ["Photo (1).jpg", "Photo(2).jpg", "Video (3).png", "Gif (4).gif"])
def test_parse_media_file_names_like_scraper_objects_are_paths(name, tmp_path):
    # "Photo (1).jpg" is how many tools name a copied file; only "Photo(name=" is the scraper's
    assert parse_media(name) == [MediaRef(name, "image")]
    (tmp_path / name).write_bytes(b"x")
    assert read_bytes(str(tmp_path / name)) == b"x"


@pytest.mark.parametrize(
    "value", [None, float("nan"), np.nan, pd.NA, "", "   ", "[]", " [ ] ", [], (), np.array([])]
)
def test_parse_media_empty_values(value):
    assert parse_media(value) == []


@pytest.mark.parametrize("dtype", ["string", "str", "string[pyarrow]", "object"])
def test_parse_media_reads_a_pandas_array_as_a_list(dtype):
    # e.g. frame.astype({"path": "string"}).groupby("post")["path"].unique(): before, such a
    # cell was taken for a missing value (no media, no warning)
    cell = pd.array(["a.png", None, "b.png"], dtype=dtype)
    assert parse_media(cell) == [MediaRef("a.png", "image"), MediaRef("b.png", "image")]
    frame = pd.DataFrame({"post": [1, 1, 2], "path": ["a.png", "b.png", "c.png"]})
    cells = frame.astype({"path": "string"}).groupby("post")["path"].unique()
    assert [[ref.url for ref in parse_media(c)] for c in cells] == [["a.png", "b.png"], ["c.png"]]


def test_a_path_whose_name_looks_like_a_url_stays_a_local_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (3, 2), "red").save("shot:1.png")
    (ref,) = parse_media(Path("shot:1.png"))  # before: 'shot:1.png', read as scheme 'shot'
    assert load_image(ref).size == (3, 2)
    assert parse_media(Path(tmp_path / "a:b.png"))[0].url == str(tmp_path / "a:b.png")
    # a text and a Path of the same characters are two refs: the text has a scheme
    for refs in (["shot:1.png", Path("shot:1.png")], [Path("shot:1.png"), "shot:1.png"]):
        for ref, result in ImageFetcher(max_workers=1).fetch_bytes(refs):
            expected = bytes if isinstance(ref, Path) else UnsupportedSchemeError
            assert isinstance(result, expected), (refs, ref, result)


def test_parse_media_plain_paths_urls_and_lists(tmp_path):
    assert parse_media("https://example.org/a.jpg") == [
        MediaRef("https://example.org/a.jpg", "image")
    ]
    assert parse_media("  images/cat.png ") == [MediaRef("images/cat.png", "image")]
    bracketed = tmp_path / "[draft] photo.jpg"
    assert parse_media(bracketed) == [MediaRef(str(bracketed), "image")]
    mixed = ["a.jpg", float("nan"), f"[{PHOTO}, {GIF}]", MediaRef("b.png", "photo"), tmp_path]
    assert [(r.kind, r.url) for r in parse_media(mixed)] == [
        ("image", "a.jpg"),
        ("photo", "https://pbs.twimg.com/media/A?format=jpg&name=large"),
        ("gif", "https://pbs.twimg.com/tweet_video_thumb/G.jpg"),
        ("photo", "b.png"),
        ("image", str(tmp_path)),
    ]
    assert parse_media(np.array(["x.jpg", "y.jpg"], dtype=object)) == [
        MediaRef("x.jpg"),
        MediaRef("y.jpg"),
    ]
    # a list literal of path strings
    assert parse_media("['x.jpg', 'y.jpg']") == [MediaRef("x.jpg"), MediaRef("y.jpg")]
    # idempotent on its own output
    refs = parse_media(f"[{PHOTO}, {VIDEO}]")
    assert parse_media(refs) == refs


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[__import__('os').system('echo hacked')]", "Attribute"),
        ("[Photo(fullUrl='a' + 'b')]", "BinOp"),
        ("[Photo(fullUrl=lambda: 1)]", "Lambda"),
        ("[Photo(fullUrl=x)]", "unexpected Name"),
        ("[Photo('a', 'b')]", "keyword arguments only"),
        ("[Photo(**{'fullUrl': 'a'})]", "Dict"),
        ("[Foo(url='a')]", "unknown media object 'Foo'"),
        ("[VideoVariant(url='a')]", "unknown media object 'VideoVariant'"),
        ("[Photo(fullUrl=1)]", "no image URL"),
        ("[Video(variants=[])]", "no image URL"),
        ("[Photo(fullUrl='')]", "no image URL"),
        ("[[Photo(fullUrl='a')]]", "each list item"),
        ("[1, 2]", "each list item"),
        ("[Photo(fullUrl='a'), ", "SyntaxError"),
        ("Photo(fullUrl='a'", "SyntaxError"),
        ("[Photo(fullUrl='a')] + []", "BinOp"),
        ("[Photo(fullUrl=('a', 'b'))]", "Tuple"),
        ("[Photo(fullUrl=-'a')]", "unexpected UnaryOp"),
        ("[Photo(fullUrl='a', width=~1)]", "Invert"),
        ("[-1]", "each list item"),
        ("Photo(fullUrl='a').jpg", "Attribute"),
    ],
)
def test_parse_media_refuses_anything_but_literal_media_objects(text, reason):
    with pytest.raises(MediaParseError, match=reason) as info:
        parse_media(text)
    assert repr(text) in str(info.value)  # the text is quoted
    assert isinstance(info.value, ValueError)


def test_parse_media_never_evaluates(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(MediaParseError):
        parse_media(f"[open({str(marker)!r}, 'w')]")
    assert not marker.exists()


def test_parse_media_quotes_long_text_truncated():
    text = "[Photo(fullUrl='" + "x" * 5000 + "')"  # unclosed list
    with pytest.raises(MediaParseError) as info:
        parse_media(text)
    message = str(info.value)
    assert repr(text[:160]) in message
    assert f"({len(text)} characters)" in message
    assert len(message) < 400


def test_long_media_text_outside_the_scrapers_form_is_refused_before_ast_reads_it():
    """A 6 MB cell of "[1, 1, ...]" took 2 GB of memory in ast before its error; a 50 MB one
    would take 15 GB. In the scraper's exact form any length is read (in linear time)."""
    import tracemalloc

    text = "[" + "1, " * 400_000 + "X]"
    assert len(text) > 1_000_000  # MAX_MEDIA_TREE_CHARS
    tracemalloc.start()
    try:
        with pytest.raises(MediaParseError, match=rf"{len(text):,} characters of media text not"):
            parse_media(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * len(text)  # ast took ~300 bytes a character
    photo = "Photo(previewUrl='https://x/p?name=small', fullUrl='https://x/p?name=large')"
    many = "[" + ", ".join([photo] * 20_000) + "]"
    assert len(many) > 1_000_000 and len(parse_media(many)) == 20_000
    # below the cap, the general reader's own error
    with pytest.raises(MediaParseError, match=r"each list item must be a Photo"):
        parse_media("[" + "1, " * 1000 + "X]")


@pytest.mark.parametrize("value", [42, 3.5, b"[Photo()]", {"url": "a"}, [["nested.jpg"]]])
def test_parse_media_wrong_types(value):
    with pytest.raises(MediaParseError):
        parse_media(value)


def test_parse_media_reads_invalid_escapes_the_same_under_any_warning_filter():
    """'\\p' is no escape: Python keeps the backslash and warns (a SyntaxWarning from 3.12,
    shown by default; under -W error the text became a MediaParseError)."""

    text = r"[Photo(previewUrl='C:\pics\zebra_small.jpg', fullUrl='C:\pics\zebra.jpg')]"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        plain = parse_media(text)
    assert plain == [MediaRef(r"C:\pics\zebra.jpg", "photo")]
    assert not seen
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_media(text) == plain


def test_parse_media_in_threads_leaves_the_warning_filters_alone():
    """Reading invalid escapes once swapped the process's warning filters under
    warnings.catch_warnings, which threads (a dask partition each) restored out of order:
    DeprecationWarning then stayed ignored for the whole process."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [rf"['C:\pics\zebra{i}.jpg', 'D:\data\y{i}.png']" for i in range(50)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        before = list(warnings.filters)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: [parse_media(t) for t in texts], range(400)))
        assert warnings.filters == before
    assert not seen
    assert results[0][3] == [MediaRef(r"C:\pics\zebra3.jpg"), MediaRef(r"D:\data\y3.png")]
    assert all(r == results[0] for r in results)


@pytest.mark.parametrize(
    "text, url",
    [
        (r"['C:\pics\a\q.jpg']", "error"),  # \a is an escape: a control character
        (r"['C:\\pics\\q.jpg']", r"C:\pics\q.jpg"),  # doubled: one backslash each
        (r"['\x41\q']", r"A\q"),  # a valid escape and an invalid one
        (r"[r'C:\pics\a.jpg']", r"C:\pics\a.jpg"),  # raw: no escapes at all
        (r"['\N']", "error"),  # a broken escape stays an error
        (r"['C:\pics\q.jpg', Photo(fullUrl='https://x/\d.jpg')]", None),  # two literals
    ],
)
def test_parse_media_reads_escapes_as_python_does(text, url):
    if url == "error":
        with pytest.raises(MediaParseError):
            parse_media(text)
    elif url is None:
        assert parse_media(text) == [
            MediaRef(r"C:\pics\q.jpg"),
            MediaRef(r"https://x/\d.jpg", "photo"),
        ]
    else:
        assert parse_media(text) == [MediaRef(url)]


@pytest.mark.parametrize(
    "text, urls",
    [
        # a line separator Python's tokenizer does not count (U+0085, form feed) before the
        # line of a path: the rewrite was spliced at the wrong place
        ("['https://a/\x85.jpg',\n 'C:\\pics\\q.jpg']", ["https://a/\x85.jpg", r"C:\pics\q.jpg"]),
        ("['https://a/b.jpg',\x0c\n 'C:\\pics\\z.jpg']", ["https://a/b.jpg", r"C:\pics\z.jpg"]),
        # backslash + CRLF in a string is a line continuation, as Python reads it
        ("['C:\\pics\\\r\nz.jpg']", [r"C:\picsz.jpg"]),
        # an octal escape above \377 is a character (with a warning in Python): no warning now
        ("['C:\\pics\\777.jpg']", ["C:\\pics\u01ff.jpg"]),
    ],
)
def test_parse_media_rewrites_escapes_at_the_right_place_and_warns_of_none(text, urls):

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_media(text) == [MediaRef(url) for url in urls]


def test_parse_media_control_characters_are_not_paths():
    with pytest.raises(MediaParseError, match="control characters"):
        parse_media("a\nb.jpg")
    # a Windows path in list text: Python's escapes made "\n" a newline and "\a" a bell
    with pytest.raises(MediaParseError, match=r"list item 'C:\\new\\x07.jpg' contains control"):
        parse_media(r"['C:\new\a.jpg']")
    assert parse_media(r"['C:\\new\\a.jpg']") == [MediaRef("C:\\new\\a.jpg", "image")]
    assert parse_media(r"C:\new\a.jpg") == [MediaRef("C:\\new\\a.jpg", "image")]


SHORT_PHOTO = "Photo(previewUrl='https://x/a', fullUrl='https://x/b')"


@pytest.mark.parametrize(
    "text",
    [
        f'"[{SHORT_PHOTO}]"',
        f"\ufeff[{SHORT_PHOTO}]",
        f' "[{SHORT_PHOTO}]" ',
        f'\ufeff"[{SHORT_PHOTO}]"',
    ],
)
def test_parse_media_reads_text_quoted_once_more_or_after_a_byte_order_mark(text):
    assert parse_media(text) == [MediaRef("https://x/b", "photo")]
    assert parse_media("'photo.jpg'") == [MediaRef("photo.jpg", "image")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"({SHORT_PHOTO},)", "not a list of them"),  # a tuple's repr
        (f"media: [{SHORT_PHOTO}]", "not a list of them"),
        (f"'[{SHORT_PHOTO}]'", "not a list of them"),  # quoted with the quote its URLs use
        ("https://x/a.jpg, https://x/b.jpg", "several URLs in one text"),
        ("https://x/a.jpg https://x/b.jpg", "several URLs in one text"),
        # a spreadsheet export's pipes; URLs one per line in a cell (Alt+Enter), which was
        # said to hold "control characters"
        ("https://x/a.jpg|https://x/b.jpg", "several URLs in one text"),
        ("https://x/a.jpg\nhttps://x/b.jpg", "several URLs in one text"),
        ("https://x/a.jpg\r\nhttps://x/b.jpg\r\n", "several URLs in one text"),
    ],
)
def test_parse_media_refuses_media_text_it_would_take_for_one_path(text, message):
    # each was one "image" whose URL was the whole text: wrong counts, then a fetch failure
    with pytest.raises(MediaParseError, match=message):
        parse_media(text)
    # a URL with a comma, or one URL inside another's query, is still one URL
    assert parse_media("https://x/a,b.jpg") == [MediaRef("https://x/a,b.jpg", "image")]
    assert parse_media("https://x/a?b=1|2") == [MediaRef("https://x/a?b=1|2", "image")]
    assert len(parse_media("https://x/?u=https://y/z.jpg")) == 1
    # a file name with Photo(key=value) in it, no quoted value: one path or URL
    for name in ("https://images.example/photo/Photo(id=3).jpg", "/data/Photo(id=3).jpg"):
        assert parse_media(name) == [MediaRef(name, "image")]


# --- property-based: render random media lists in the scraper's repr format, parse back -------
_url_tail = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
_url = st.builds(
    lambda host, tail: f"https://{host}/{tail}", st.sampled_from(["a", "b.c"]), _url_tail
)
_url = _url.filter(lambda u: u == u.strip())
_variant = st.builds(
    lambda ct, url, br: f"VideoVariant(contentType={ct!r}, url={url!r}, bitrate={br!r})",
    st.sampled_from(["video/mp4", "application/x-mpegURL"]),
    _url,
    st.one_of(st.none(), st.integers(0, 10**7)),
)
_variants = st.lists(_variant, max_size=3).map(lambda vs: "[" + ", ".join(vs) + "]")


@st.composite
def _media_object(draw):
    kind = draw(st.sampled_from(["photo", "video", "gif"]))
    if kind == "photo":
        preview, full = draw(_url), draw(_url)
        text = f"Photo(previewUrl={preview!r}, fullUrl={full!r})"
        return text, (kind, full, preview)
    thumb = draw(_url)
    variants = draw(_variants)
    if kind == "video":
        duration = draw(st.floats(0, 1e4, allow_nan=False))
        views = draw(st.one_of(st.none(), st.integers(0, 10**9)))
        text = f"Video(thumbnailUrl={thumb!r}, variants={variants}, duration={duration!r}, views={views!r})"
    else:
        text = f"Gif(thumbnailUrl={thumb!r}, variants={variants})"
    return text, (kind, thumb, thumb)


_media_list = st.lists(_media_object(), max_size=5)


def _render(objects) -> str:
    return "[" + ", ".join(text for text, _ in objects) + "]"


@settings(max_examples=150, deadline=None)
@given(_media_list)
def test_parse_media_round_trip(objects):
    text = _render(objects)
    full = parse_media(text)
    preview = parse_media(text, size="preview")
    assert [(r.kind, r.url) for r in full] == [(k, f) for _, (k, f, _) in objects]
    assert [(r.kind, r.url) for r in preview] == [(k, p) for _, (k, _, p) in objects]


@settings(max_examples=150, deadline=None)
@given(st.lists(_media_object(), min_size=1, max_size=3), st.data())
def test_parse_media_truncated_text_raises_quoting_it(objects, data):
    text = _render(objects)
    cut = data.draw(st.integers(1, len(text) - 1))
    garbage = text[:cut]
    with pytest.raises(MediaParseError) as info:
        parse_media(garbage)
    assert repr(garbage[:160]) in str(info.value)


_bad_items = st.sampled_from(
    [
        "__import__('os')",
        "open('x')",
        "Photo(fullUrl=a.b)",
        "Photo(fullUrl=f'{1}')",
        "Photo(fullUrl='a'[0])",
        "Gif(thumbnailUrl={'a': 1})",
        "Video(thumbnailUrl=-1)",
        "Photo(fullUrl='a') if 1 else 2",
        "(yield)",
        "Photo",
        "True",  # None and '' are no media (as in a Python list), not garbage
        "...",
    ]
)


@settings(max_examples=150, deadline=None)
@given(_media_list, _bad_items, st.data())
def test_parse_media_garbage_item_raises_quoting_it(objects, bad, data):
    items = [text for text, _ in objects]
    items.insert(data.draw(st.integers(0, len(items))), bad)
    text = "[" + ", ".join(items) + "]"
    with pytest.raises(MediaParseError) as info:
        parse_media(text)
    assert repr(text[:160]) in str(info.value)


@pytest.mark.parametrize(
    "value", ["'0\x1f0'", "\ufeff[Photo(x", "'[Photo(previewUrl=1)]'", '"[Photo(url="', " [Photo( "]
)
def test_an_unwrapped_cell_is_named_as_written(value):
    # a cell quoted once more, or after a byte-order mark, is read unwrapped: its error quoted
    # the unwrapped text (found by the test below, one draw in many)
    with pytest.raises(MediaParseError) as info:
        parse_media(value)
    assert str(info.value).startswith(repr(value) + ": ")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_media_any_text_gives_refs_or_media_parse_error(text):
    for value in (text, "[" + text, "[" + text + "]", "Photo(" + text):
        try:
            refs = parse_media(value)
        except MediaParseError as exc:
            assert repr(value[:160]) in str(exc)
        else:
            assert all(isinstance(r, MediaRef) and r.url for r in refs)


# --- the regex reading of the scraper's usual form gives what the ast reading gives ----------
_clean_literal = st.text(alphabet="abcxyz019:/?&=._-%", min_size=1, max_size=12)
_messy_literal = st.text(alphabet="abcxyz019:/?&=._-%'\" \\\u00e9", min_size=0, max_size=12)
_mutation_chars = st.sampled_from(list("'\"\\ ,()[]=0-.9aN\t\u00e9\u00a0\x00"))


@st.composite
def _usual_media_text(draw):
    """The scraper's text, with plain literals or with literals that may hold quotes, spaces
    or nothing, then maybe one character inserted, deleted or replaced: the fast path must
    take only texts whose ast reading it reproduces."""
    literal = _clean_literal if draw(st.booleans()) else _messy_literal
    number = st.sampled_from(["0", "12", "0.5", "007.25", "1e3", "012", "-1", "1_0"])
    objects = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["Photo", "Video", "Gif"]))
        if kind == "Photo":
            objects.append(f"Photo(previewUrl={draw(literal)!r}, fullUrl={draw(literal)!r})")
            continue
        variants = ", ".join(
            f"VideoVariant(contentType={draw(literal)!r}, url={draw(literal)!r}, "
            f"bitrate={draw(st.one_of(st.just('None'), number))})"
            for _ in range(draw(st.integers(0, 2)))
        )
        if kind == "Gif":
            objects.append(f"Gif(thumbnailUrl={draw(literal)!r}, variants=[{variants}])")
            continue
        objects.append(
            f"Video(thumbnailUrl={draw(literal)!r}, variants=[{variants}], "
            f"duration={draw(number)}, views={draw(st.one_of(st.just('None'), number))})"
        )
    text = "[" + ", ".join(objects) + "]"
    cut = draw(st.integers(0, len(text)))
    edit = draw(st.sampled_from(["none", "insert", "delete", "replace"]))
    char = draw(_mutation_chars)
    if edit == "insert":
        text = text[:cut] + char + text[cut:]
    elif edit == "delete":
        text = text[:cut] + text[cut + 1 :]
    elif edit == "replace":
        text = text[:cut] + char + text[cut + 1 :]
    return text


# a mutated text such as "views=0None" draws Python's own warning before ast refuses it
@pytest.mark.filterwarnings("ignore:invalid decimal literal:SyntaxWarning")
@settings(max_examples=400, deadline=None)
@given(_usual_media_text(), st.sampled_from(["full", "preview"]))
def test_parse_media_fast_reading_agrees_with_the_ast_reading(text, size):
    from skbucket import media

    fast = media._parse_scraper_fast(text, size)
    try:
        slow = media._parse_tree(text, size)
    except MediaParseError as exc:
        assert fast is None, f"the fast path read {text!r}, which the ast reading refuses: {exc}"
    else:
        assert fast is None or fast == slow
        assert parse_media(text, size=size) == slow
    event("fast" if fast is not None else "ast")


def test_parse_media_fast_reading_takes_the_scrapers_usual_form():
    from skbucket import media

    photo = "Photo(previewUrl='https://x/p?name=small', fullUrl='https://x/p?name=large')"
    variant = "VideoVariant(contentType='video/mp4', url='https://v/1.mp4', bitrate=832000)"
    video = f"Video(thumbnailUrl='https://x/v.jpg', variants=[{variant}, {variant}], duration=12.5, views=None)"
    gif = "Gif(thumbnailUrl='https://x/g.jpg', variants=[])"
    text = f"[{photo}, {video}, {gif}, {photo}]"
    expected = [
        MediaRef("https://x/p?name=large", "photo"),
        MediaRef("https://x/v.jpg", "video"),
        MediaRef("https://x/g.jpg", "gif"),
        MediaRef("https://x/p?name=large", "photo"),
    ]
    assert media._parse_scraper_fast(text, "full") == expected == media._parse_tree(text, "full")
    assert media._parse_scraper_fast(text, "preview")[0].url == "https://x/p?name=small"
    # one character off the usual form: left to the ast reading, which accepts or refuses it
    assert media._parse_scraper_fast(text.replace("duration=12.5", "duration=012"), "full") is None
    assert media._parse_scraper_fast(text.replace("name=large", "name=large "), "full") is None
    assert media._parse_scraper_fast(text.replace("), Video", "),Video"), "full") is None
    # an int past Python's limit on literal digits is left to ast, which refuses it
    huge = text.replace("views=None", "views=" + "9" * 5000)
    assert media._parse_scraper_fast(huge, "full") is None
    with pytest.raises(MediaParseError):
        parse_media(huge)


# --- every real row ---------------------------------------------------------------------------
def test_parse_media_every_real_row(shared_data):
    tweets = pd.read_csv(shared_data / "tweets.csv.gz")
    refs = [parse_media(value) for value in tweets["media"]]  # raises on any failure
    assert len(refs) == 936
    first = collections.Counter(r[0].kind for r in refs)
    assert first == {"photo": 680, "video": 214, "gif": 42}
    assert sum(len(r) > 1 for r in refs) == 57
    for ref in (ref for row in refs for ref in row):
        assert ref.url.startswith("https://pbs.twimg.com/")
        if ref.kind == "photo":
            assert ref.url.endswith("name=large")
    posts = pd.read_csv(shared_data / "posts_captioned.csv.gz")
    refs = [parse_media(value) for value in posts["media"]]
    assert len(refs) == 15_341
    assert all(len(r) >= 1 for r in refs)
    # the first object's kind matches the text itself
    expected = posts["media"].str.extract(r"^\[(Photo|Video|Gif)\(")[0].str.lower()
    assert [r[0].kind for r in refs] == expected.tolist()


def test_parse_media_fast_reading_of_every_real_row(shared_data):
    """Every real cell is in the scraper's usual form, and the fast reading of it is the ast
    reading (both sizes)."""
    from skbucket import media

    cells = pd.concat(
        [
            pd.read_csv(shared_data / name)["media"]
            for name in ("tweets.csv.gz", "posts_captioned.csv.gz")
        ]
    )
    assert len(cells) == 936 + 15_341 and cells.notna().all()
    for size in ("full", "preview"):
        for cell in cells:
            fast = media._parse_scraper_fast(cell.strip(), size)
            assert fast is not None, cell
            assert fast == media._parse_tree(cell, size)


def test_import_without_pillow(tmp_path):
    """skbucket.media imports and reads bytes with Pillow unavailable."""
    blob = tmp_path / "x.bin"
    blob.write_bytes(b"abc")
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "import skbucket.media as m\n"
        f"assert m.read_bytes({str(blob)!r}) == b'abc'\n"
        "assert m.parse_media('[Photo(fullUrl=\"u\")]')[0].url == 'u'\n"
        "try:\n    m.decode_image(b'abc')\nexcept ImportError as e:\n    print('IMPORT', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "IMPORT decoding images needs Pillow" in out.stdout


# ---------------------------------------------------------------------------------------------
# image fixtures
# ---------------------------------------------------------------------------------------------
def _png_declared(width: int, height: int) -> bytes:
    """A valid 1-bit all-black PNG of any size, streamed (never held in memory raw)."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        body = tag + payload
        return len(payload).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(6)
    block = 500
    parts = [compressor.compress(row * min(block, height - i)) for i in range(0, height, block)]
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    """A real photo: scikit-learn's sample image ``china.jpg`` (640x427), re-encoded as JPEG.

    Read from the file ``sklearn.datasets.load_sample_images`` uses, without importing
    ``sklearn.datasets`` (which takes seconds).
    """
    import sklearn

    raw = (Path(sklearn.__file__).parent / "datasets" / "images" / "china.jpg").read_bytes()
    return _encode(Image.open(io.BytesIO(raw)).convert("RGB"), "JPEG", quality=85)


@pytest.fixture(scope="session")
def images(tmp_path_factory, photo_jpeg) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("images")
    files = {
        "good.jpg": photo_jpeg,
        "cmyk.jpg": _encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95),
        "grey.jpg": _encode(Image.new("L", (16, 8), 77), "JPEG", quality=95),
        "grey.png": _encode(Image.new("L", (5, 4), 200), "PNG"),
        "bw.png": _encode(Image.new("1", (5, 4), 1), "PNG"),
        "corrupt.jpg": bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)),
        "truncated.jpg": photo_jpeg[: len(photo_jpeg) // 2],
        "text.jpg": b"this is not a picture, just text that someone named .jpg\n",
        "empty.jpg": b"",
        "bomb.png": _png_declared(20_000, 20_000),  # 400 Mpx, a few hundred kB on disk
        "big.png": _png_declared(7_000, 7_000),  # 49 Mpx: over our 40 Mpx default only
        "mp4.jpg": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100,  # a video, not an image
    }
    rgba = Image.new("RGBA", (4, 2), (0, 0, 255, 255))
    rgba.putpixel((0, 0), (0, 0, 255, 0))  # fully transparent
    rgba.putpixel((1, 0), (0, 0, 0, 128))  # half transparent black
    files["rgba.png"] = _encode(rgba, "PNG")
    files["la.png"] = _encode(Image.new("LA", (3, 3), (0, 0)), "PNG")
    files["rgb_key.png"] = _encode(
        Image.new("RGB", (3, 3), (1, 2, 3)), "PNG", transparency=(1, 2, 3)
    )
    palette = Image.new("RGB", (6, 6), (0, 128, 0)).convert("P", palette=Image.Palette.ADAPTIVE)
    files["palette.png"] = _encode(palette, "PNG")
    files["palette_transparent.gif"] = _encode(palette, "GIF", transparency=0)
    frames = [Image.new("RGB", (8, 8), c).convert("P") for c in ("red", "blue", "lime")]
    files["animated.gif"] = _encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0
    )
    files["i16.png"] = _encode(
        Image.fromarray(np.array([[0, 1000], [30000, 65535]], dtype=np.uint16)), "PNG"
    )
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


# ---------------------------------------------------------------------------------------------
# local HTTP server
# ---------------------------------------------------------------------------------------------
class _Server:
    def __init__(self, base: str, hits: collections.Counter, state: dict):
        self.base = base
        self.hits = hits
        self.state = state

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def server(photo_jpeg, images):
    hits: collections.Counter = collections.Counter()
    state = {"active": 0, "max_active": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(self, code, body=b"", headers=()):
            self.send_response(code)
            for key, value in headers:
                self.send_header(key, value)
            if not any(k == "Content-Length" for k, _ in headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path
            with lock:
                hits[path] += 1
                count = hits[path]
                state["active"] += 1
                state["max_active"] = max(state["max_active"], state["active"])
            try:
                self._route(path, count)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with lock:
                    state["active"] -= 1

        def _route(self, path, count):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            jpeg = [("Content-Type", "image/jpeg")]
            if path.startswith("/good.jpg"):
                self._send(200, photo_jpeg, jpeg)
            elif path.startswith("/pause"):  # 0.15 s then the photo: for concurrency checks
                time.sleep(0.15)
                self._send(200, photo_jpeg, jpeg)
            elif path.startswith("/file/"):
                name = path.split("/")[-1]
                self._send(200, images[name].read_bytes())
            elif path.startswith("/missing"):
                self._send(404, b"not here")
            elif path.startswith("/slow"):
                time.sleep(SHORT * 4)
                self._send(200, photo_jpeg, jpeg)
            elif path.startswith("/drip"):  # each piece in time, the whole too slow
                self.send_response(200)
                if "announced" in path:  # a complete body, if the client waits for it
                    self.send_header("Content-Length", "120")
                self.end_headers()
                for _ in range(12):
                    self.wfile.write(b"x" * 10)
                    self.wfile.flush()
                    time.sleep(SHORT / 3)
                with lock:
                    state[path] = "finished"
            elif path.startswith("/trickle-headers"):  # each byte in time, headers never end
                self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Padding: ")
                for _ in range(int(120 / SHORT)):  # a minute of it unless the client hangs up
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(SHORT / 10)
                with lock:
                    state["trickle_finished"] = True
            elif path.startswith("/hop/"):  # each hop answers in time, the chain takes too long
                left = int(path.split("/")[2])
                time.sleep(SHORT * 0.6)
                if left:
                    self._send(302, headers=[("Location", f"/hop/{left - 1}")])
                else:
                    self._send(200, photo_jpeg, jpeg)
            elif path == "/redirect-http":
                self._send(302, headers=[("Location", "/good.jpg?via=redirect")])
            elif path == "/redirect-http-absolute":
                self._send(301, headers=[("Location", base + "/good.jpg?via=absolute")])
            elif path == "/redirect-ftp":
                self._send(302, headers=[("Location", "ftp://127.0.0.1/good.jpg")])
            elif path == "/redirect-file":
                self._send(302, headers=[("Location", images["good.jpg"].as_uri())])
            elif path == "/redirect-data":
                self._send(307, headers=[("Location", "data:image/png;base64,AAAA")])
            elif path == "/redirect-nohost":
                self._send(302, headers=[("Location", "https:///x.jpg")])
            elif path == "/redirect-loop":
                self._send(302, headers=[("Location", "/redirect-loop")])
            elif path.startswith("/redirect-away/"):  # /redirect-away/<port>/<name>
                port, name = path.split("/")[2:4]
                self._send(302, headers=[("Location", f"http://127.0.0.1:{port}/{name}")])
            elif path.startswith("/flaky"):  # 500 the first time, then the photo
                if count == 1:
                    self._send(500, b"oops")
                else:
                    self._send(200, photo_jpeg, jpeg)
            elif path.startswith("/retry-after/"):  # /retry-after/<status>/<header>?...
                status, value = path.split("?")[0].split("/")[2:4]
                header = urllib.parse.unquote(value)
                if count == 1:
                    self._send(int(status), b"later", [("Retry-After", header)] if header else [])
                else:
                    self._send(200, photo_jpeg, jpeg)
            elif path.startswith("/encoded/"):  # /encoded/<Content-Encoding>/<how>?...
                coding, how = (urllib.parse.unquote(p) for p in path.split("?")[0].split("/")[2:4])
                state["accept-encoding"] = self.headers.get("Accept-Encoding")
                body = {
                    "gzip": gzip.compress(photo_jpeg),
                    "two-members": gzip.compress(photo_jpeg[:1000])
                    + gzip.compress(photo_jpeg[1000:]),
                    "zlib": zlib.compress(photo_jpeg),
                    "raw": zlib.compress(photo_jpeg)[2:-4],
                    "twice": gzip.compress(gzip.compress(photo_jpeg)),
                    "trailing": gzip.compress(photo_jpeg) + b"\0\0junk",
                    "plain": photo_jpeg,
                    "cut": gzip.compress(photo_jpeg)[:-100],
                    "garbage": b"\xff" * 500,
                    "bomb": gzip.compress(b"\0" * 5_000_000),
                }[how]
                self._send(200, body, [*jpeg, ("Content-Encoding", coding)])
            elif path.startswith("/always500"):
                self._send(503, b"down")
            elif path.startswith("/status-"):  # /status-501?...: that status, every time
                self._send(int(path.split("?")[0].rsplit("-", 1)[1]), b"status")
            elif path.startswith("/forbidden"):
                self._send(403, b"no")
            elif path.startswith("/big-announced"):
                self._send(200, b"\xff" * 5000)
            elif path.startswith("/big-unannounced"):  # no Content-Length: read until close
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"\xff" * 5000)
            elif path.startswith("/short-body"):  # announces more than it sends
                self._send(200, b"abc", [("Content-Length", "100")])
            elif path.startswith("/odd-length/"):  # a Content-Length that is no number
                kind = path.split("?")[0].split("/")[2]
                odd = {"superscript": "\u00b2", "digits": "9" * 5000}[kind]
                self._send(200, photo_jpeg, [*jpeg, ("Content-Length", odd)])
            elif path.startswith("/echo-auth"):  # the Authorization header it got, as the body
                self._send(200, (self.headers.get("Authorization") or "none").encode())
            elif path.startswith("/odd-reason"):  # a reason phrase with a terminal escape
                reason = b"Not \x1b[2JFound\x07 " + b"y" * 300
                self.wfile.write(b"HTTP/1.1 404 " + reason + b"\r\nContent-Length: 0\r\n\r\n")
            elif path.startswith("/not-http"):  # a first line that is no status line
                self.wfile.write(b"\x1b[2Jsession token=s3cr3t " + b"z" * 300 + b"\r\n\r\n")
            elif path.startswith("/text.jpg"):
                self._send(200, b"<html>not an image</html>", jpeg)
            elif path.startswith("/bomb.png"):
                self._send(200, images["bomb.png"].read_bytes(), [("Content-Type", "image/png")])
            else:
                self._send(404, b"unknown route")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield _Server(f"http://127.0.0.1:{httpd.server_address[1]}", hits, state)
    httpd.shutdown()
    httpd.server_close()


FAST = {"timeout": SHORT, "backoff": 0.01}
#: for tests that count the server's hits of a route that answers at once: a deadline of
#: SHORT could pass on a loaded machine, and its (transient) timeout would add a retry
COUNTED = {"timeout": 10, "backoff": 0.01}


# ---------------------------------------------------------------------------------------------
# read_bytes
# ---------------------------------------------------------------------------------------------
def test_read_bytes_paths_file_urls_and_media_refs(images):
    path = images["good.jpg"]
    expected = path.read_bytes()
    assert read_bytes(path) == expected
    assert read_bytes(str(path)) == expected
    assert read_bytes(path.as_uri()) == expected
    assert read_bytes("file://localhost" + path.as_posix()) == expected
    assert read_bytes(MediaRef(str(path), "photo")) == expected


def test_read_bytes_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(MediaFetchError, match="no such file") as info:
        read_bytes(missing)
    assert str(missing) in str(info.value)
    assert info.value.ref == missing
    with pytest.raises(MediaFetchError, match="no such file"):
        read_bytes(missing.as_uri())
    with pytest.raises(MediaFetchError, match="directory"):
        read_bytes(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_read_bytes_refuses_a_named_pipe_instead_of_blocking(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer for ever
    error = _read_error_in_time(fifo)
    assert "not a regular file" in str(error) and str(fifo) in str(error)
    assert not error.transient


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_path_that_becomes_a_pipe_after_its_check_does_not_block(tmp_path, monkeypatch):
    # the type was checked with a stat, then the path opened: swapped for a FIFO in between
    # (here: a stat that still sees the old file), open() waited for a writer for ever
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    regular = os.stat(__file__)
    real_stat = os.stat
    monkeypatch.setattr(
        os, "stat", lambda p, *a, **k: regular if str(p) == str(fifo) else real_stat(p, *a, **k)
    )
    assert "not a regular file" in str(_read_error_in_time(fifo))


def _read_error_in_time(path) -> MediaFetchError:
    """The error ``read_bytes(path)`` raises, asked on a thread with a liveness bound (a read
    blocked on a pipe never returns)."""
    done = {}

    def read():
        try:
            read_bytes(path)
        except MediaFetchError as exc:
            done["error"] = exc

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "read_bytes is blocked on the pipe"
    return done["error"]


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="a POSIX device file")
def test_a_device_is_refused_without_being_opened(monkeypatch):
    # opening a device can act (/dev/ptmx makes a terminal, a watchdog arms): refused on its
    # stat, as before the open-then-check change
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: (opened.append(p), real_open(p, *a, **k))[1])
    with pytest.raises(MediaFetchError, match="not a regular file"):
        read_bytes("/dev/null")
    assert "/dev/null" not in [str(p) for p in opened]


def test_read_bytes_file_over_max_bytes(images):
    with pytest.raises(MediaTooLargeError, match="max_bytes=100") as info:
        read_bytes(images["good.jpg"], max_bytes=100)
    assert "good.jpg" in str(info.value)


@pytest.mark.parametrize(
    "ref",
    [
        "ftp://127.0.0.1/good.jpg",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "gopher://x/y",
        "file://otherhost/etc/passwd",
    ],
)
def test_read_bytes_unsupported_schemes(ref):
    with pytest.raises(UnsupportedSchemeError) as info:
        read_bytes(ref)
    assert repr(ref) in str(info.value)
    assert isinstance(info.value, MediaError)
    with pytest.raises(UnsupportedSchemeError):
        load_image(MediaRef(ref, "photo"))


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("bad\x00name.jpg", "not a valid file path"),
        ("file:///tmp/a%00b.jpg", "not a valid file path"),
        ("http://[::1/a.jpg", "not a valid URL or path"),
    ],
)
def test_read_bytes_impossible_references_are_media_errors_naming_them(ref, message):
    # "Every failure is a MediaError whose message names the reference": these were bare
    # ValueErrors from os.stat (embedded null byte) and urlsplit (Invalid IPv6 URL)
    with pytest.raises(MediaFetchError, match=message) as info:
        read_bytes(ref)
    assert repr(ref) in str(info.value) and not info.value.transient


@pytest.mark.parametrize("ref", [None, "", "   ", 12])
def test_read_bytes_no_reference(ref):
    with pytest.raises(MediaFetchError, match="expected a path, URL or MediaRef"):
        read_bytes(ref)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": 0},
        {"timeout": "1"},
        {"timeout": float("inf")},  # once: OverflowError in every fetch
        {"timeout": float("nan")},
        {"timeout": 1e12},
        {"max_bytes": 0},
        {"retries": -1},
        {"backoff": -1},
        {"backoff": float("inf")},
        {"timeout": True},  # a bool is an int to Python: retries=True was one retry
        {"max_bytes": True},
        {"retries": True},
        {"retries": False},
        {"backoff": False},
    ],
)
def test_read_bytes_validates_its_limits(images, kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        read_bytes(images["good.jpg"], **kwargs)


def test_http_good(server, photo_jpeg):
    assert read_bytes(server.url("/good.jpg?t=good"), **FAST) == photo_jpeg
    image = load_image(server.url("/good.jpg?t=good2"), **FAST)
    assert image.mode == "RGB"
    assert image.size == (640, 427)


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("/good.jpg?t=caf\u00e9", "/good.jpg?t=caf%C3%A9"),
        ("/good.jpg/Caf\u00e9 au lait.jpg?t=path", "/good.jpg/Caf%C3%A9%20au%20lait.jpg?t=path"),
        ("/good.jpg?t=%C3%A9+\u00e9", "/good.jpg?t=%C3%A9+%C3%A9"),  # escapes kept as they are
    ],
)
def test_a_url_with_non_ascii_characters_or_spaces_is_read(server, photo_jpeg, path, sent):
    # sent as a browser sends it; it failed with "cannot fetch (UnicodeEncodeError: 'ascii'
    # codec can't encode ...)", a space with "InvalidURL: URL can't contain control characters"
    assert read_bytes(server.url(path), **COUNTED) == photo_jpeg
    assert server.hits[sent] == 1


def test_http_404_is_not_retried(server):
    url = server.url("/missing?t=404")
    with pytest.raises(MediaFetchError, match="HTTP 404") as info:
        read_bytes(url, retries=3, **COUNTED)
    assert info.value.status == 404
    assert not info.value.transient
    assert repr(url) in str(info.value)
    assert server.hits["/missing?t=404"] == 1
    with pytest.raises(MediaFetchError, match="HTTP 403"):
        read_bytes(server.url("/forbidden"), **FAST)


def test_http_slow_times_out_then_retries(server):
    url = server.url("/slow?t=timeout")
    with pytest.raises(MediaFetchError, match="timed out") as info:
        read_bytes(url, retries=1, **FAST)
    assert info.value.transient
    assert "after 2 attempts" in str(info.value)
    assert repr(url) in str(info.value)
    assert server.hits["/slow?t=timeout"] == 2


@pytest.mark.parametrize("route", ["/drip?t=1", "/drip-announced?t=1"])
def test_http_drip_feed_hits_the_attempt_deadline(server, route):
    # the body takes four timeouts: the deadline cuts it off, with or without Content-Length
    # (with it, the client once read on to the end and returned the late body)
    with pytest.raises(MediaFetchError, match="timed out after 0.3 s while reading"):
        read_bytes(server.url(route), retries=0, **FAST)
    assert server.state.get(route) != "finished"  # cut off, not read to the end


def test_http_trickled_headers_are_cut_off_by_the_attempt_deadline(server):
    # every byte comes within the socket timeout; only the attempt's deadline can end this
    done = {}

    def fetch():
        try:
            read_bytes(server.url("/trickle-headers"), retries=0, **FAST)
        except MediaFetchError as exc:
            done["error"] = exc

    thread = threading.Thread(target=fetch, daemon=True)
    thread.start()
    thread.join(60)  # the server trickles for two minutes: a liveness bound, not a timing
    assert not thread.is_alive(), "the fetch is still reading the trickled headers"
    assert "no complete answer within 0.3 s" in str(done["error"])
    assert done["error"].transient
    assert not server.state.get("trickle_finished")


def test_http_slow_redirect_chain_is_one_attempt_under_one_deadline(server, photo_jpeg):
    # one hop is fine (a deadline with room: a pause of the test process is no slow server)
    assert read_bytes(server.url("/hop/0"), retries=0, **COUNTED) == photo_jpeg
    with pytest.raises(MediaFetchError, match="no complete answer within 0.3 s") as info:
        read_bytes(server.url("/hop/6"), retries=0, **FAST)  # 7 hops, each in time
    assert info.value.transient
    assert server.hits["/hop/6"] == 1 and server.hits["/hop/0"] == 1  # never reached the end


def test_http_500_then_200_is_retried(server, photo_jpeg):
    assert read_bytes(server.url("/flaky?t=retry"), retries=1, **COUNTED) == photo_jpeg
    assert server.hits["/flaky?t=retry"] == 2
    # without retries the first 500 is the answer
    with pytest.raises(MediaFetchError, match="HTTP 500") as info:
        read_bytes(server.url("/flaky?t=noretry"), retries=0, **COUNTED)
    assert info.value.status == 500
    assert info.value.transient


def test_http_persistent_5xx_gives_up_after_retries(server):
    with pytest.raises(MediaFetchError, match="HTTP 503.*after 3 attempts"):
        read_bytes(server.url("/always500?t=3"), retries=2, **COUNTED)
    assert server.hits["/always500?t=3"] == 3


def _retry_after_url(server, status, header, tag):
    return server.url(f"/retry-after/{status}/{urllib.parse.quote(header, safe='')}?t={tag}")


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("header", "waited"),
    [
        ("2", 2.0),
        (" 7 ", 7.0),
        ("60", 60.0),
        ("0", 0.25),  # never less than the back-off
        ("", 0.25),  # none: the back-off
        ("soon", 0.25),  # unreadable: the back-off
        ("1.5", 0.25),  # not a number of seconds as HTTP writes one
        ("\u00b2", 0.25),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.25),  # in the past: at once, after the back-off
    ],
)
def test_a_retry_waits_for_the_servers_retry_after(
    server, photo_jpeg, monkeypatch, status, header, waited
):
    """A 429 or 503 with ``Retry-After: 2`` was retried after the back-off (0.5 s, then 1 s)
    whatever the server asked, so a rate-limited host refused the retries too."""
    from skbucket import media

    waits: list[float] = []
    monkeypatch.setattr(media, "_pause", waits.append)
    url = _retry_after_url(server, status, header, f"{status}-{header}")
    assert read_bytes(url, retries=2, timeout=10, backoff=0.25) == photo_jpeg
    assert waits == [waited]


def test_a_retry_after_given_as_an_http_date_is_waited_for_until_then(
    server, photo_jpeg, monkeypatch
):
    import email.utils

    from skbucket import media

    waits: list[float] = []
    monkeypatch.setattr(media, "_pause", waits.append)
    for tag, header in [
        ("gmt", email.utils.formatdate(time.time() + 30, usegmt=True)),
        ("utc", email.utils.formatdate(time.time() + 30)),  # "-0000": UTC, no zone said
        ("zone", email.utils.formatdate(time.time() + 30, localtime=True)),
    ]:
        waits.clear()
        url = _retry_after_url(server, 429, header, f"date-{tag}")
        assert read_bytes(url, retries=1, timeout=10, backoff=0.01) == photo_jpeg
        assert len(waits) == 1 and 25 <= waits[0] <= 31, (header, waits)


@pytest.mark.parametrize("header", ["61", "3600", "9" * 40])
def test_a_retry_after_longer_than_a_minute_ends_the_retries(server, monkeypatch, header):
    from skbucket import media

    waits: list[float] = []
    monkeypatch.setattr(media, "_pause", waits.append)
    url = _retry_after_url(server, 503, header, f"long-{len(header)}")
    with pytest.raises(MediaFetchError, match="HTTP 503") as info:
        read_bytes(url, retries=2, timeout=10, backoff=0.01)
    assert waits == [] and server.hits[url[len(server.base) :]] == 1
    assert "the server asks to retry in" in str(info.value)
    assert "more than the 60 s a retry waits for at most; gave up after 1 attempt)" in str(
        info.value
    )
    assert info.value.status == 503 and info.value.transient
    # without retries the answer is the error it always was
    with pytest.raises(MediaFetchError) as info:
        read_bytes(url.replace("?t=", "?t=none-"), retries=0, timeout=10, backoff=0.01)
    assert str(info.value).endswith("HTTP 503 Service Unavailable")


def test_a_retry_after_longer_than_the_timeout_is_waited_for_in_full(
    server, photo_jpeg, monkeypatch
):
    # as read_bytes documents: timeout bounds each attempt, not the waits between them (a
    # retry sent after the timeout, before the time the server asked, is refused again)
    from skbucket import media

    waits: list[float] = []
    monkeypatch.setattr(media, "_pause", waits.append)  # no real sleep
    url = _retry_after_url(server, 429, "45", "over-timeout")
    assert read_bytes(url, retries=1, timeout=2, backoff=0.01) == photo_jpeg
    assert waits == [45.0]


def test_a_retry_after_is_waited_for_in_real_time(server, photo_jpeg):
    url = _retry_after_url(server, 429, "1", "real")
    start = time.monotonic()
    assert read_bytes(url, retries=1, timeout=10, backoff=0.01) == photo_jpeg
    assert time.monotonic() - start >= 0.95  # one second, not the 0.01 s back-off


@pytest.mark.parametrize("backoff", [0, 0.0, 1e-300, 0.5, threading.TIMEOUT_MAX])
def test_any_number_of_retries_waits_a_back_off_that_a_sleep_takes(monkeypatch, backoff):
    """``backoff * 2**attempt`` overflowed a float after 1,024 retries (OverflowError, with
    ``backoff=0.0`` too), and ``backoff=threading.TIMEOUT_MAX``, which the checks allow, made
    ``time.sleep`` raise OSError (EINVAL): neither a MediaError naming the reference."""
    from skbucket import media

    calls = []

    def fail(url, ref, timeout, max_bytes):  # a 503 at once, every time
        calls.append(url)
        raise MediaFetchError("HTTP 503 Service Unavailable", ref, status=503, transient=True)

    waits: list[float] = []
    monkeypatch.setattr(media, "_http_once", fail)
    monkeypatch.setattr(media, "_pause", waits.append)
    with pytest.raises(MediaFetchError, match="gave up after 1101 attempts"):
        read_bytes("http://h.example/a.jpg", retries=1100, backoff=backoff)
    assert len(calls) == 1101 and len(waits) == 1100
    assert all(0 <= wait <= 1e9 for wait in waits)  # a wait time.sleep takes
    assert waits[:2] == [backoff, 2 * backoff] or backoff > 1e9 / 2
    assert waits[-1] == min(backoff * 2.0**1023, 1e9)  # the doubling stops, capped


@pytest.mark.parametrize(
    ("status", "retried"),
    [(500, True), (502, True), (504, True), (408, True), (425, True), (429, True)]
    + [(501, False), (505, False), (511, False), (404, False), (410, False)],
)
def test_only_the_documented_statuses_are_retried(server, status, retried):
    """As media.py's table and ``read_bytes(retries=)`` say: a 501 or 505 is not retried."""
    url = server.url(f"/status-{status}?t=doc")
    with pytest.raises(MediaFetchError, match=f"HTTP {status}") as info:
        read_bytes(url, retries=2, **COUNTED)
    assert info.value.status == status and info.value.transient is retried
    assert server.hits[f"/status-{status}?t=doc"] == (3 if retried else 1)


def test_http_redirects_to_http_are_followed(server, photo_jpeg):
    assert read_bytes(server.url("/redirect-http"), **FAST) == photo_jpeg
    assert server.hits["/good.jpg?via=redirect"] >= 1
    assert read_bytes(server.url("/redirect-http-absolute"), **FAST) == photo_jpeg
    assert server.hits["/good.jpg?via=absolute"] >= 1


@pytest.mark.parametrize(
    ("route", "target"),
    [("/redirect-ftp", "ftp://"), ("/redirect-file", "file://"), ("/redirect-data", "data:")],
)
def test_http_redirects_to_other_schemes_are_refused(server, route, target):
    url = server.url(route)
    with pytest.raises(UnsupportedSchemeError, match="refused redirect") as info:
        read_bytes(url, retries=2, **COUNTED)
    assert target in str(info.value)
    assert repr(url) in str(info.value)
    assert server.hits[route] == 1  # not retried


def test_http_redirect_loop_is_an_error(server):
    # ~10 requests before urllib gives up: more than SHORT's whole-answer deadline on a busy
    # machine, where this test then failed with "timed out" instead
    with pytest.raises(MediaFetchError) as info:
        read_bytes(server.url("/redirect-loop"), retries=0, timeout=30, backoff=0.01)
    # one line that says what happened (was urllib's "HTTP 302 ... infinite loop.\nThe last
    # 30x error message was:\nFound ..." with status 302, as if the server had answered 302)
    last = server.url("/redirect-loop")
    assert str(info.value).endswith(
        f"a redirect loop, or more than 10 redirects (the last to {last!r})"
    )
    assert "\n" not in str(info.value) and info.value.status is None


def test_http_oversized_body_is_refused(server):
    with pytest.raises(MediaTooLargeError, match="announces 5000 bytes"):
        read_bytes(server.url("/big-announced"), max_bytes=1000, **FAST)
    with pytest.raises(MediaTooLargeError, match="larger than max_bytes=1000"):
        read_bytes(server.url("/big-unannounced"), max_bytes=1000, **FAST)
    assert len(read_bytes(server.url("/big-unannounced?ok"), max_bytes=5000, **FAST)) == 5000


@pytest.mark.parametrize("odd", ["superscript", "digits"])
def test_a_content_length_that_is_no_number_reads_the_body_to_its_end(server, photo_jpeg, odd):
    """A header "Content-Length: ²" passed str.isdigit and failed int() with a bare
    ValueError (not a MediaError, no URL named); 5,000 digits failed Python's limit on int
    conversion. Such a length is no length: the body is read to its end, within max_bytes."""
    assert read_bytes(server.url(f"/odd-length/{odd}"), retries=0, **FAST) == photo_jpeg
    with pytest.raises(MediaTooLargeError, match="larger than max_bytes=10"):
        read_bytes(server.url(f"/odd-length/{odd}?small"), max_bytes=10, retries=0, **FAST)


def _encoded(server, coding, how, tag=""):
    quoted = urllib.parse.quote(coding, safe="")
    return server.url(f"/encoded/{quoted}/{how}?t={tag}")


@pytest.mark.parametrize(
    ("coding", "how"),
    [
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("GZip", "gzip"),
        ("gzip", "two-members"),
        ("gzip", "trailing"),
        ("deflate", "zlib"),  # as HTTP says deflate is
        ("deflate", "raw"),  # as some servers send it
        ("gzip, gzip", "twice"),
        ("identity", "plain"),
        ("", "plain"),
    ],
)
def test_a_body_in_gzip_or_deflate_content_encoding_is_decoded(server, photo_jpeg, coding, how):
    """A server that gzips the image anyway (the request asks for none) gave its gzip bytes
    as the image's: "not a recognised image (... starting b'\\x1f\\x8b...')"."""
    url = _encoded(server, coding, how, "decoded")
    assert read_bytes(url, retries=0, **COUNTED) == photo_jpeg
    assert server.state["accept-encoding"] == "identity"  # what the request says it takes
    assert load_image(url, retries=0, **COUNTED).size == (640, 427)


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, br"])
def test_a_body_in_another_content_encoding_is_refused_naming_it(server, coding):
    url = _encoded(server, coding, "garbage", "refused")
    with pytest.raises(MediaFetchError) as info:
        read_bytes(url, retries=2, **COUNTED)
    named = coding.split(", ")[-1]  # "gzip, br": gzip is decoded, br is not
    assert str(info.value) == (
        f"{url!r}: the server sent the body in Content-Encoding {named!r}, which is not "
        "decoded (only gzip and deflate are; the request asks for none)"
    )
    assert not info.value.transient
    assert server.hits[url[len(server.base) :]] == 1  # not retried


@pytest.mark.parametrize("coding", ["none", "binary", "UTF-8", "8bit", "none, gzip"])
def test_a_content_encoding_that_names_no_compression_is_read_as_it_is(server, photo_jpeg, coding):
    """A value that names no compression (misconfigured servers send ``none``, ``binary``,
    a charset) is ignored, as browsers, curl and requests ignore it: such a body was read
    as it is (the image) before gzip and deflate were decoded, and was refused since."""
    how = "gzip" if "gzip" in coding else "plain"
    assert read_bytes(_encoded(server, coding, how, "ignored"), retries=0, **COUNTED) == photo_jpeg


def test_a_body_that_is_not_its_content_encoding_or_cut_short_is_an_error(server):
    with pytest.raises(MediaFetchError, match="not valid gzip data") as info:
        read_bytes(_encoded(server, "gzip", "garbage"), retries=0, **COUNTED)
    assert not info.value.transient
    with pytest.raises(MediaFetchError, match="not valid deflate data"):
        read_bytes(_encoded(server, "deflate", "garbage"), retries=0, **COUNTED)
    with pytest.raises(MediaFetchError, match="ends inside its gzip data") as info:
        read_bytes(_encoded(server, "gzip", "cut"), retries=0, **COUNTED)
    assert info.value.transient  # as a body shorter than announced


def test_a_gzip_body_is_refused_above_max_bytes_once_decoded(server):
    # 5 MB of zeros in 5 KB: the limit holds for what the body decodes to
    url = _encoded(server, "gzip", "bomb")
    with pytest.raises(MediaTooLargeError, match="decoded from gzip is larger than max_bytes="):
        read_bytes(url, max_bytes=1_000_000, retries=0, **COUNTED)
    assert len(read_bytes(url, max_bytes=5_000_000, retries=0, **COUNTED)) == 5_000_000


def test_http_short_body_is_a_transient_error(server):
    with pytest.raises(MediaFetchError) as info:
        read_bytes(server.url("/short-body"), retries=0, **FAST)
    assert info.value.transient


def test_http_connection_refused(server):
    import socket

    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(MediaFetchError, match="cannot fetch") as info:
        read_bytes(f"http://127.0.0.1:{port}/x.jpg", retries=1, **FAST)
    assert info.value.transient
    assert "after 2 attempts" in str(info.value)


# ---------------------------------------------------------------------------------------------
# decode_image / load_image
# ---------------------------------------------------------------------------------------------
def test_load_image_good_photo(images):
    image = load_image(images["good.jpg"])
    assert (image.mode, image.size) == ("RGB", (640, 427))


@pytest.mark.parametrize(
    ("name", "size", "pixel"),
    [
        ("cmyk.jpg", (16, 16), (255, 0, 0)),
        ("grey.jpg", (16, 8), (77, 77, 77)),
        ("grey.png", (5, 4), (200, 200, 200)),
        ("bw.png", (5, 4), (255, 255, 255)),
        ("palette.png", (6, 6), (0, 128, 0)),
        ("la.png", (3, 3), (255, 255, 255)),  # black but fully transparent -> white
        ("rgb_key.png", (3, 3), (255, 255, 255)),  # RGB whose colour key is transparent
        ("palette_transparent.gif", (6, 6), (255, 255, 255)),
        ("animated.gif", (8, 8), (255, 0, 0)),  # first frame
        ("i16.png", (2, 2), (0, 0, 0)),
    ],
)
def test_modes_are_converted_to_rgb(images, name, size, pixel):
    image = load_image(images[name])
    assert image.mode == "RGB"
    assert image.size == size
    got = np.array(image.getpixel((0, 0)), dtype=int)
    assert np.abs(got - np.array(pixel)).max() <= 3, (name, tuple(got))


def test_rgba_is_composited_on_white(images):
    image = load_image(images["rgba.png"])
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255)  # transparent -> white
    assert image.getpixel((2, 0)) == (0, 0, 255)  # opaque stays
    half = image.getpixel((1, 0))  # half-transparent black over white -> mid grey
    assert all(120 <= c <= 135 for c in half)


def test_sixteen_bit_is_rescaled_not_clipped(images):
    image = load_image(images["i16.png"])
    assert image.getpixel((1, 1)) == (255, 255, 255)
    assert 100 < image.getpixel((0, 1))[0] < 130  # 30000 / 65535 * 255 ~ 117


@pytest.mark.parametrize(
    ("array", "mode", "levels"),
    [
        ([[65535, 65535]], "I;16", [255, 255]),  # a white 16-bit image stays white
        ([[32768, 32768]], "I;16", [128, 128]),  # flat grey keeps its level
        ([[60000, 60010]], "I;16", [233, 234]),  # near-flat: not stretched to black/white
        ([[0, 300]], "I;16", [0, 1]),
        ([[0, 65535]], "I", [0, 255]),  # 32-bit ints in 16-bit range
        ([[10, 200]], "I", [10, 200]),  # already 8-bit levels
        ([[-5, 995]], "I", [0, 255]),  # unknown range: stretched
        ([[0.25, 1.0]], "F", [64, 255]),  # floats in 0..1
        ([[7e4, 7e4]], "F", [255, 255]),  # flat, out of range: clipped, no division by zero
    ],
)
def test_wide_greyscale_keeps_brightness(array, mode, levels):
    from skbucket.media import _to_rgb

    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    image = Image.fromarray(np.array(array, dtype=dtype))
    assert image.mode == mode
    image = decode_image(_encode(image, "PNG")) if mode == "I;16" else _to_rgb(image)
    assert [image.getpixel((x, 0))[0] for x in range(2)] == levels


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_wide_greyscale_is_converted_in_little_memory(mode):
    """A float64 copy of the whole image and one more per step (~30 bytes a pixel) made a
    92 KB 16-bit PNG of 6300 x 6300 pixels, under max_pixels, cost 1.2 GB to decode."""
    import tracemalloc

    from skbucket.media import _grey_to_8bit

    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    values = np.random.default_rng(0).integers(0, 60_000, (1500, 2000)).astype(dtype)
    values[0, :3] = [0, 65535, 300] if mode != "F" else [0, 7e4, -3]
    image = Image.fromarray(values)
    assert image.mode == mode
    tracemalloc.start()
    try:
        levels = _grey_to_8bit(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * values.size, f"{peak / values.size:.1f} bytes a pixel"
    # the levels are those of the float64 formula, row blocks or not
    wide = values.astype(np.float64)
    if mode == "F":
        wide = (wide - wide.min()) * (255.0 / (wide.max() - wide.min()))
    else:
        wide = wide / 257.0
    np.testing.assert_array_equal(levels, np.clip(np.rint(wide), 0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("corrupt.jpg", "not a recognised image"),
        ("text.jpg", "not a recognised image"),
        ("mp4.jpg", "not a recognised image"),
        ("empty.jpg", "empty data"),
        ("truncated.jpg", "corrupt or truncated JPEG"),
    ],
)
def test_bad_bytes_are_decode_errors(images, name, match):
    with pytest.raises(MediaDecodeError, match=match) as info:
        load_image(images[name])
    assert name in str(info.value)


def test_fetching_images_without_pillow_raises_its_import_error(images, monkeypatch):
    """Every image came back as MediaFetchError("unexpected ImportError: decoding images
    needs Pillow ..."): a caller skipping media errors got no images, without a word."""
    from skbucket import media

    def no_pillow():
        raise ImportError("decoding images needs Pillow: pip install 'skbucket[vision]'")

    monkeypatch.setattr(media, "_import_pil", no_pillow)
    with pytest.raises(ImportError, match="needs Pillow"):
        list(ImageFetcher().fetch_images([str(images["grey.png"])]))


@pytest.mark.parametrize("where", ["open", "load"])
def test_running_out_of_memory_decoding_an_image_is_no_bad_image(images, where, monkeypatch):
    """A MemoryError while Pillow decoded a sound photo was reported as "corrupt or truncated
    PNG data ()", its cause dropped (from None): skipped as a bad image with
    on_error="skip", the user told to replace a sound file."""
    from PIL import ImageOps

    def want(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(
        *((Image, "open") if where == "open" else (ImageOps, "exif_transpose")), want
    )
    with pytest.raises(MemoryError):
        load_image(images["grey.png"])
    fetcher = ImageFetcher(loader=lambda ref: images["grey.png"].read_bytes())
    with pytest.raises(MemoryError):
        list(fetcher.fetch_images(["a"]))
    monkeypatch.undo()
    with pytest.raises(MemoryError):  # nor a custom loader's
        list(ImageFetcher(loader=want).fetch_images(["a"]))


_MANY_URLS_BEFORE = re.compile(r"://.*?(?:[,;]|\s)\s*[A-Za-z][A-Za-z0-9+.\-]*://", re.DOTALL)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=":/,; \t\nab1+.-", max_size=30))
def test_several_urls_in_one_text_are_found_as_before_in_linear_time(text):
    """The check for two URLs in one cell was a regex with a lazy .*? between them:
    quadratic, seconds on a 40,000-character cell. The linear check finds the same texts."""
    from skbucket.media import _holds_many_urls

    assert _holds_many_urls(text) == bool(_MANY_URLS_BEFORE.search(text))


def test_eps_bytes_never_reach_ghostscript(tmp_path, monkeypatch):
    """Pillow opens EPS by running Ghostscript (gs) on the bytes: bytes from any URL reached
    an external program. A stand-in gs on PATH records whether it was run."""
    log = tmp_path / "gs-ran"
    gs = tmp_path / "bin" / "gs"
    gs.parent.mkdir()
    gs.write_text(
        f'#!/bin/sh\n[ "$1" = "--version" ] && echo 10.0 && exit 0\ntouch {log}\nexit 1\n'
    )
    gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{gs.parent}{os.pathsep}{os.environ['PATH']}")
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n%%EOF\n"
    with pytest.raises(MediaDecodeError, match="not a recognised image"):
        decode_image(eps, source="https://example.org/a.jpg")
    assert not log.exists()


def test_a_heic_photo_without_its_plugin_names_the_plugin():
    # an iPhone photo's ISO box header; without pillow-heif Pillow cannot identify it, and the
    # error gave only the bytes (with the plugin registered, "HEIF" is among IMAGE_FORMATS)
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    from PIL import Image

    Image.init()
    if "HEIF" in Image.OPEN:
        pytest.skip("pillow-heif is registered in this process")
    with pytest.raises(MediaDecodeError, match="HEIC/HEIF photo.*pip install pillow-heif"):
        decode_image(heic, source="IMG_0001.HEIC")
    with pytest.raises(MediaDecodeError) as info:  # other unknown bytes get no such hint
        decode_image(b"\x00\x00\x00\x18ftypisom" + bytes(64))
    assert "HEIC" not in str(info.value)


def test_icons_are_refused_before_their_pixels_are_decoded(tmp_path):
    # Pillow decodes an ICO's image when it opens it: an icon wrapping a PNG of 13,000 x 13,000
    # (657 KB) took 2.7 s and 674 MB before max_pixels refused it; posts carry no icons
    from PIL import Image

    path = tmp_path / "favicon.ico"
    Image.new("RGB", (16, 16), "red").save(path, format="ICO")
    with pytest.raises(MediaDecodeError, match="not a recognised image"):
        decode_image(path.read_bytes())
    with pytest.raises(MediaDecodeError, match="not a recognised image"):
        load_image(path)


def test_a_missing_relative_path_names_the_folder_it_was_looked_for_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MediaFetchError, match=r"no such file \(looked for '.*photos/a\.jpg'\)"):
        load_image("photos/a.jpg")
    assert str(tmp_path) in str(pytest.raises(MediaFetchError, load_image, "photos/a.jpg").value)


def test_decompression_bomb_refused_with_default_limits(images):
    path = images["bomb.png"]
    assert path.stat().st_size < 1_000_000  # small on disk ...
    with pytest.raises(MediaTooLargeError) as info:
        load_image(path)  # ... 400 million pixels declared: refused before decoding
    assert "bomb.png" in str(info.value)
    with pytest.raises(MediaTooLargeError):
        decode_image(path.read_bytes(), max_pixels=1_000)
    with pytest.raises(MediaTooLargeError, match="7000x7000 = 49000000 pixels.*ImageFetcher"):
        load_image(images["big.png"], max_pixels=40_000_000)  # 0.8.2's default: the message
        # names the setting that reads it (the default is 89 Mpx now: 48 Mpx phone photos)


def test_max_pixels_is_checked_on_the_header(images):
    with pytest.raises(MediaTooLargeError, match="640x427 = 273280 pixels.*max_pixels=10000"):
        load_image(images["good.jpg"], max_pixels=10_000)
    with pytest.raises(MediaTooLargeError):
        decode_image(images["big.png"].read_bytes(), max_pixels=100)
    assert load_image(images["good.jpg"], max_pixels=640 * 427).size == (640, 427)  # boundary


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'{"error": "expired", "access_token": "s3cr3t"}', "of JSON text"),
        (b"\n  <!DOCTYPE html><p>Hello Ada Lovelace, sign in", "of HTML, XML or SVG text"),
        ("\ufeffuser=ada&token=s3cr3t caf\u00e9".encode(), "of text"),
        ("<p>s3cr3t</p>".encode("utf-16"), "of HTML, XML or SVG text"),
        # UTF-16 without a BOM (a server's error page sent as UTF-16LE): it was called binary
        # and its first six characters quoted (starting b'<\x00p\x00>\x00s\x003\x00c\x00')
        ("<p>s3cr3t</p>".encode("utf-16-le"), "of HTML, XML or SVG text"),
        ('\r\n{"error": "s3cr3t"}'.encode("utf-16-be"), "of JSON text"),
        ("user=ada&token=s3cr3t caf\u00e9".encode("utf-16-le"), "of text"),
    ],
)
def test_a_text_body_that_is_no_image_is_named_by_its_kind_not_quoted(data, said):
    # its first 12 bytes were quoted: part of a token or a user's name in a server's error
    # page went on into the error, the captioner's warning, errors_ and logs
    with pytest.raises(MediaDecodeError) as info:
        decode_image(data, source="https://example.org/a.jpg")
    message = str(info.value)
    assert f"not a recognised image ({len(data)} bytes {said} (not quoted))" in message
    for secret in ("s3cr3t", "Ada", "error", "DOCTYPE", "user", "<p"):
        assert secret not in message, message


def test_a_binary_body_that_is_no_image_is_named_by_its_signature():
    # a format's first bytes name it (gzip, an MP4's ftyp box): kept, escaped
    for data, start in (
        (b"\x1f\x8b\x08\x00" + bytes(40), r"(44 bytes starting b'\x1f\x8b\x08\x00\x00"),
        (
            b"\x00\x00\x00\x18ftypisom" + bytes(9),
            r"(21 bytes starting b'\x00\x00\x00\x18ftypisom')",
        ),
        # two ASCII characters beside zero bytes, then binary: no UTF-16 text
        (b"a\x00b\x00\x01\x02\x03\x04", r"(8 bytes starting b'a\x00b\x00\x01\x02\x03\x04')"),
        (b"\x00\x00\x01\x00\x01\x00", r"(6 bytes starting b'\x00\x00\x01\x00\x01\x00')"),  # ICO
    ):
        with pytest.raises(MediaDecodeError) as info:
            decode_image(data)
        assert start in str(info.value), str(info.value)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "BMP", "TIFF"])
def test_a_truncated_image_with_an_ascii_signature_is_not_called_text(fmt):
    # GIF89a, RIFF, BM, II*: a download cut after these bytes decoded as text and was
    # called "N bytes of text", where the signature that names the format was quoted before
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 7), (200, 30, 40)).save(buffer, format=fmt)
    whole = buffer.getvalue()
    for n in (2, 3, 4, 6):
        with pytest.raises(MediaDecodeError) as info:
            decode_image(whole[:n])
        message = str(info.value)
        assert "text" not in message, message
        assert f"({n} bytes starting {whole[: min(n, 6)][:2]!r}"[:-1] in message, message
    # a text after the signature is still not quoted
    with pytest.raises(MediaDecodeError) as info:
        decode_image(b"GIF89a token=s3cr3t")
    assert "s3cr3t" not in str(info.value) and "b'GIF89a'" in str(info.value)


def test_decode_image_names_its_source_and_validates():
    with pytest.raises(MediaDecodeError, match="^'row 7': "):
        decode_image(b"nope", source="row 7")
    with pytest.raises(MediaDecodeError, match="<bytes>"):
        decode_image(b"nope")
    with pytest.raises(MediaDecodeError, match="expected bytes"):
        decode_image("a string")
    with pytest.raises(ValueError, match="max_pixels"):
        decode_image(b"x", max_pixels=0)
    with pytest.raises(ValueError, match="reduce_above"):
        decode_image(b"x", reduce_above=float("nan"))


def test_a_fetcher_with_bad_pixel_limits_raises_instead_of_failing_every_image(images):
    # max_pixels=1e8 (a float) made every image its own "unexpected ValueError" failure,
    # and a captioner given such a fetcher recorded every image as undecodable
    for kwargs in ({"max_pixels": 1e8}, {"reduce_above": "x"}):
        fetcher = ImageFetcher(**kwargs)
        for fetch in (fetcher.fetch_images, fetcher.fetch_bytes):
            with pytest.raises(ValueError, match=next(iter(kwargs))):
                list(fetch([images["good.jpg"]]))


def test_http_bad_media(server):
    with pytest.raises(MediaDecodeError, match="not a recognised image") as info:
        load_image(server.url("/text.jpg"), **FAST)
    assert "/text.jpg" in str(info.value)
    # the page is named by its kind, not quoted (it said "starting b'<html>not an'")
    assert "25 bytes of HTML, XML or SVG text" in str(info.value)
    assert "html>" not in str(info.value), str(info.value)
    with pytest.raises(MediaTooLargeError):
        load_image(server.url("/bomb.png"), **FAST)


def test_video_thumbnail_entry_loads_its_thumbnail(server, photo_jpeg):
    thumb = server.url("/good.jpg?t=thumb")
    text = (
        f"[Video(thumbnailUrl={thumb!r}, variants=[VideoVariant(contentType='video/mp4', "
        f"url={server.url('/missing.mp4')!r}, bitrate=832000)], duration=1.5, views=3)]"
    )
    (ref,) = parse_media(text)
    assert ref.kind == "video"
    assert read_bytes(ref, **FAST) == photo_jpeg
    assert load_image(ref, **FAST).size == (640, 427)
    assert server.hits["/missing.mp4"] == 0  # the video itself is never downloaded


# ---------------------------------------------------------------------------------------------
# ImageFetcher
# ---------------------------------------------------------------------------------------------
def test_fetcher_keeps_order_and_never_raises(server, images, photo_jpeg):
    refs = [
        server.url("/good.jpg?f=1"),
        server.url("/missing?f=1"),
        images["cmyk.jpg"],
        "ftp://127.0.0.1/x.jpg",
        server.url("/slow?f=1"),
        images["text.jpg"],
        MediaRef(server.url("/good.jpg?f=2"), "photo"),
        None,
    ]
    # /slow answers after 4 * SHORT: a deadline under that, with room for the good reads
    fetcher = ImageFetcher(max_workers=3, retries=0, timeout=3 * SHORT, backoff=0.01)
    out = list(fetcher.fetch_bytes(refs))
    assert [ref for ref, _ in out] == refs
    kinds = [type(result).__name__ for _, result in out]
    assert kinds == [
        "bytes",
        "MediaFetchError",
        "bytes",
        "UnsupportedSchemeError",
        "MediaFetchError",
        "bytes",  # read fine; decoding is the caller's (or fetch_images') business
        "bytes",
        "MediaFetchError",
    ]
    assert out[0][1] == photo_jpeg
    assert out[2][1] == images["cmyk.jpg"].read_bytes()

    out = list(fetcher.fetch_images(refs))
    assert [ref for ref, _ in out] == refs
    results = [result for _, result in out]
    assert results[0].mode == "RGB" and results[2].mode == "RGB"
    assert isinstance(results[5], MediaDecodeError) and "text.jpg" in str(results[5])
    assert isinstance(results[6], Image.Image)


def test_fetcher_reads_concurrently(server):
    fetcher = ImageFetcher(max_workers=4, **FAST)
    server.state["max_active"] = 0
    refs = [server.url(f"/pause?c={i}") for i in range(8)]
    assert all(isinstance(r, bytes) for _, r in fetcher.fetch_bytes(refs))
    assert server.state["max_active"] >= 2  # several requests were in flight at once


def test_fetcher_is_lazy_and_bounded(images):
    pulled = []

    def refs():
        for i in range(100):
            pulled.append(i)
            yield images["good.jpg"]

    fetcher = ImageFetcher(max_workers=2, prefetch=3)
    stream = fetcher.fetch_bytes(refs())
    assert pulled == []  # nothing happens before iteration
    next(stream)
    assert len(pulled) <= 4
    stream.close()
    assert len(pulled) <= 4


def test_fetcher_fetches_identical_refs_in_flight_once(server):
    url = server.url("/good.jpg?dedupe=1")
    fetcher = ImageFetcher(max_workers=2, **COUNTED)
    out = list(fetcher.fetch_bytes([url, url, url]))
    assert len(out) == 3 and all(isinstance(r, bytes) for _, r in out)
    assert server.hits["/good.jpg?dedupe=1"] == 1


def test_identical_refs_fetched_once_each_get_their_own_image(server):
    """The image of refs fetched once was one object yielded for each: closing it, or drawing
    on it, after use changed (or broke) the image the next identical ref yielded."""
    url = server.url("/good.jpg?dedupe=images")
    fetcher = ImageFetcher(max_workers=2, **COUNTED)
    images = []
    for _, image in fetcher.fetch_images([url, url, url]):
        assert image.size == (640, 427) and image.getpixel((0, 0)) != (1, 2, 3)
        images.append(image.copy())
        image.putpixel((0, 0), (1, 2, 3))
        image.close()
    assert server.hits["/good.jpg?dedupe=images"] == 1
    assert images[0].tobytes() == images[1].tobytes() == images[2].tobytes()


def test_fetcher_custom_loader(images):
    calls = []

    def loader(ref):
        calls.append(ref)
        if ref == "boom":
            raise RuntimeError("disk on fire")
        if ref == "weird":
            return 42
        if ref == "raw":
            return images["grey.png"].read_bytes()
        return Image.new("RGBA", (2, 2), (255, 0, 0, 0))

    fetcher = ImageFetcher(max_workers=2, loader=loader)
    out = dict(fetcher.fetch_images(["a", "boom", "weird", "raw"]))
    assert out["a"].mode == "RGB" and out["a"].getpixel((0, 0)) == (255, 255, 255)
    assert isinstance(out["boom"], MediaFetchError)
    assert "'boom': custom loader failed (RuntimeError: disk on fire)" in str(out["boom"])
    assert isinstance(out["weird"], MediaDecodeError) and "int" in str(out["weird"])
    assert out["raw"].getpixel((0, 0)) == (200, 200, 200)
    assert sorted(calls) == ["a", "boom", "raw", "weird"]

    data = dict(fetcher.fetch_bytes(["a", "raw"]))
    assert Image.open(io.BytesIO(data["a"])).format == "PNG"
    assert data["raw"] == images["grey.png"].read_bytes()
    # equal pixels give equal bytes (the captioner hashes them)
    assert data["a"] == fetcher.read_bytes("b")


def test_fetcher_turns_loader_images_upright_like_the_bytes(tmp_path):
    # a loader that opens the file itself gets the same picture as one returning its bytes
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    path = tmp_path / "rotated.jpg"
    pixels = np.zeros((4, 8, 3), dtype=np.uint8)
    pixels[:, :4] = 255  # left half white, so the rotation is visible
    Image.fromarray(pixels).save(path, exif=exif)
    opened = ImageFetcher(loader=Image.open)
    read = ImageFetcher(loader=lambda ref: Path(ref).read_bytes())
    ((_, a),) = opened.fetch_images([str(path)])
    ((_, b),) = read.fetch_images([str(path)])
    assert a.size == b.size == (4, 8)  # rotated
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_fetcher_applies_max_pixels_to_loader_images():
    fetcher = ImageFetcher(max_pixels=10, loader=lambda ref: Image.new("RGB", (4, 4)))
    ((_, result),) = fetcher.fetch_images(["x"])
    assert isinstance(result, MediaTooLargeError)
    # the same words as the refusal of a file's bytes, naming how to read larger ones (the
    # loader's refusal had no hint)
    message = str(result)
    assert "4x4 = 16 pixels, more than max_pixels=10" in message
    assert (
        "ImageFetcher(loader=..., max_pixels=...) given as the captioner's image_loader" in message
    )
    # a loader that returns the file's bytes: the same advice (without loader=..., following
    # it dropped the loader)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, format="PNG")
    fetcher = ImageFetcher(max_pixels=10, loader=lambda ref: buf.getvalue())
    ((_, result),) = fetcher.fetch_images(["x"])
    assert isinstance(result, MediaTooLargeError)
    assert "ImageFetcher(loader=..., max_pixels=...)" in str(result), str(result)
    assert "4x4 = 16 pixels" in str(result)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_workers": 0},
        {"max_workers": True},
        {"prefetch": 0},
        {"prefetch": True},
        {"timeout": -1},
        {"max_bytes": 0},
        {"max_host_failures": 0},
        {"max_host_failures": True},
        {"max_host_failures": 2.0},
        {"host_cooldown": -1},
        {"host_cooldown": None},
        {"max_pixels": 1e8},
        {"max_pixels": None},
        {"max_pixels": True},
        {"retries": True},
        {"reduce_above": "40000000"},
    ],
)
def test_fetcher_validates_at_fetch_time(kwargs):
    fetcher = ImageFetcher(**kwargs)  # __init__ only stores
    for key, value in kwargs.items():
        assert getattr(fetcher, key) == value
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        fetcher.fetch_bytes([])


def test_fetcher_takes_numpy_numbers_for_its_counts_and_seconds(images):
    # np.int64(3) (a grid search's or a NumPy-read config's number) was refused as "must be
    # a positive integer" by every count, and as a number of seconds by timeout and cooldown
    params = {
        "max_workers": np.int64(2),
        "prefetch": np.int32(3),
        "max_host_failures": np.uint8(2),
        "timeout": np.int64(5),
        "max_bytes": np.int64(10**7),
        "retries": np.int64(1),
        "backoff": np.float32(0.01),
        "host_cooldown": np.int64(1),
        "max_pixels": np.int64(10**7),
        "reduce_above": np.int64(10**6),
    }
    fetcher = ImageFetcher(**params)
    results = dict(fetcher.fetch_bytes([images["good.jpg"], images["good.jpg"].with_name("no")]))
    assert results[images["good.jpg"]] == images["good.jpg"].read_bytes()
    assert isinstance(results[images["good.jpg"].with_name("no")], MediaFetchError)
    ((_, image),) = fetcher.fetch_images([images["good.jpg"]])
    assert image.size == (640, 427)
    limits = {k: params[k] for k in ("timeout", "max_bytes", "retries", "backoff")}
    assert read_bytes(images["good.jpg"], **limits) == images["good.jpg"].read_bytes()
    assert decode_image(images["good.jpg"].read_bytes(), max_pixels=np.int64(10**7)).size == (
        640,
        427,
    )
    # a bool is still no count (np.bool_ is no number to numbers.Integral)
    for flag in (True, np.bool_(True)):
        with pytest.raises(ValueError, match="max_workers must be a positive integer"):
            ImageFetcher(max_workers=flag).fetch_bytes([])


def test_a_servers_own_text_is_shown_escaped_and_cut(server):
    # a reason phrase or a first line that is no HTTP went into the error as sent: its
    # escape sequences reached the terminal that printed it, and all of it was shown
    for route, said in (
        ("/odd-reason", r"HTTP 404 Not \x1b[2JFound\x07 yyy"),
        ("/not-http", r"cannot fetch (BadStatusLine: \x1b[2Jsession token="),
    ):
        with pytest.raises(MediaFetchError) as info:
            read_bytes(server.url(route), retries=0, **COUNTED)
        message = str(info.value)
        assert said in message, message
        assert not any(ch in message for ch in "\x1b\x07\r\n"), message
        assert "characters)" in message and len(message) < 300, message


def test_unreachable_hosts_are_told_apart_from_hosts_that_answer(server, closed_port):
    refused = f"http://127.0.0.1:{closed_port}/a.jpg"
    with pytest.raises(MediaFetchError, match="ConnectionRefusedError.*after 2 attempts") as info:
        read_bytes(refused, retries=1, **FAST)
    assert info.value.transient and info.value.unreachable
    # a name that cannot resolve (RFC 6761 reserves .invalid)
    with pytest.raises(MediaFetchError, match="gaierror") as info:
        read_bytes("http://skbucket-test.invalid/a.jpg", retries=0, **FAST)
    assert info.value.unreachable
    # what the OS says when there is no route (no network at all, a dead subnet)
    from skbucket.media import _is_unreachable

    for code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        assert _is_unreachable(OSError(code, os.strerror(code)))
    assert not _is_unreachable(ConnectionResetError(errno.ECONNRESET, "reset"))
    assert not _is_unreachable(TimeoutError("timed out"))
    for route in ("/always500?t=unreachable", "/missing.jpg", "/slow?t=unreachable"):
        with pytest.raises(MediaFetchError) as info:  # an answer, or a slow one: not unreachable
            read_bytes(server.url(route), retries=0, **FAST)
        assert not info.value.unreachable, route


def test_a_stalled_tls_handshake_is_a_slow_host_not_an_unreachable_one():
    """The deadline saw a connection only after its TLS handshake: a host that accepted the
    connection and then trickled its handshake was "unreachable" ("did not answer"), and
    three such CDN timeouts made ImageFetcher skip the host for the rest of the call."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    stop = threading.Event()

    def trickle():
        conn, _ = server.accept()
        with conn, contextlib.suppress(OSError):
            conn.recv(4096)  # the client's hello
            conn.sendall(b"\x16\x03\x03\x3e\x80")  # a record of 16,000 bytes to come
            while not stop.wait(SHORT / 4):
                conn.sendall(b"\x02")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.getsockname()[1]}/x.jpg"
        with pytest.raises(MediaFetchError) as info:
            read_bytes(url, retries=0, **FAST)
    finally:
        stop.set()
        thread.join(10)
        server.close()
    assert info.value.transient and not info.value.unreachable
    assert "did not answer" not in str(info.value)


def test_behind_a_proxy_that_never_reaches_the_host_the_host_is_unreachable(monkeypatch):
    """The TCP connection to an HTTPS proxy was taken for one to the host: a dead host behind
    a corporate proxy was a slow one, so ImageFetcher never skipped it."""
    import socket

    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(5)
    held = []

    def accept():  # accepts, reads nothing, never answers CONNECT
        with contextlib.suppress(OSError):
            while True:
                held.append(proxy.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.getsockname()[1]}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    try:
        with pytest.raises(MediaFetchError, match="did not answer") as info:
            read_bytes("https://dead.example/x.jpg", retries=0, **FAST)
    finally:
        proxy.close()
        for conn in held:
            conn.close()
    assert info.value.unreachable


def test_a_host_that_never_answers_connecting_is_unreachable(silent_port):
    # packets dropped (a firewall, a dead address): every reference ran its full timeout and
    # retries, as for a slow host, so the per-host breaker never stopped asking
    dead = [f"http://127.0.0.1:{silent_port}/{i}.jpg" for i in range(5)]
    with pytest.raises(MediaFetchError, match="timed out connecting") as info:
        read_bytes(dead[0], retries=0, **FAST)
    assert info.value.unreachable and info.value.transient
    fetcher = ImageFetcher(max_workers=1, max_host_failures=2, retries=0, **FAST)
    results = dict(fetcher.fetch_bytes(dead))
    assert ["not tried" in str(results[ref]) for ref in dead] == [False] * 2 + [True] * 3


def test_fetcher_stops_asking_a_host_that_cannot_be_reached(server, photo_jpeg, closed_port):
    dead = [f"http://127.0.0.1:{closed_port}/{i}.jpg" for i in range(6)]
    good = server.url("/good.jpg?t=breaker")
    refs = [dead[0], good, dead[1], dead[2], good, dead[3], dead[4], dead[5]]
    fetcher = ImageFetcher(max_workers=1, max_host_failures=2, retries=1, **FAST)
    results = dict(fetcher.fetch_bytes(refs))
    # the first two references of the dead host were tried (with their retry), the others not
    for ref in dead[:2]:
        assert "ConnectionRefusedError" in str(results[ref]), results[ref]
    for ref in dead[2:]:
        error = results[ref]
        assert isinstance(error, MediaFetchError) and error.unreachable and error.transient
        assert str(error).startswith(f"{ref!r}: not tried: host 127.0.0.1:{closed_port} ")
        assert "2 references in a row" in str(error) and "ConnectionRefusedError" in str(error)
    # another host is not affected
    assert results[good] == photo_jpeg
    # the next call tries the host again; None tries every reference
    for limit in (2, None):
        fetcher.max_host_failures = limit
        again = dict(fetcher.fetch_bytes(dead))
        n_tried = sum("not tried" not in str(error) for error in again.values())
        assert n_tried == (2 if limit else 6)


def test_a_url_refused_before_its_host_is_asked_is_no_answer_from_the_host(closed_port):
    """An error raised before the host was contacted (a URL that cannot be sent) counted as
    an answer from the host: it reset the host's count of failures in a row, so one such URL
    among a dead host's kept the fetcher asking the host."""
    dead = [f"http://127.0.0.1:{closed_port}/{i}.jpg" for i in range(4)]
    unsendable = f"http://127.0.0.1:{closed_port}/caf\udce9.jpg"  # same host, never asked
    refs = [dead[0], unsendable, dead[1], dead[2], dead[3]]
    fetcher = ImageFetcher(max_workers=1, max_host_failures=2, retries=0, **FAST)
    results = dict(fetcher.fetch_bytes(refs))
    assert "which is no character" in str(results[unsendable])
    assert ["not tried" in str(results[ref]) for ref in dead] == [False, False, True, True]


def test_a_dead_redirect_target_does_not_stop_the_host_that_redirected(
    server, photo_jpeg, closed_port
):
    moved = [server.url(f"/redirect-away/{closed_port}/{i}.jpg") for i in range(4)]
    with pytest.raises(MediaFetchError, match="the redirect target 'http://127.0.0.1:") as info:
        read_bytes(moved[0], retries=0, **COUNTED)
    assert f":{closed_port}/0.jpg'" in str(info.value)  # the dead host is named
    assert not info.value.unreachable  # the ref's own host answered (with the redirect)
    port = server.url("/").split(":")[2].split("/")[0]
    with pytest.raises(
        MediaFetchError, match=r"HTTP 404 .* from the redirect target '.*/missing-gone.jpg'"
    ):
        read_bytes(server.url(f"/redirect-away/{port}/missing-gone.jpg"), retries=0, **COUNTED)
    good = [server.url(f"/good.jpg?t=after-redirects-{i}") for i in range(2)]
    fetcher = ImageFetcher(max_workers=1, max_host_failures=2, retries=0, **COUNTED)
    results = dict(fetcher.fetch_bytes([*moved, *good]))
    assert all(results[ref] == photo_jpeg for ref in good)  # before: "not tried: host ..."
    assert all("not tried" not in str(results[ref]) for ref in moved)


@pytest.mark.parametrize("route", ["/trickle-headers?t=stop", "/always500?t=stop"])
def test_closing_a_fetch_cuts_the_fetches_in_flight_and_their_retries(server, photo_jpeg, route):
    # a minute-long attempt (headers that never end), or back-off waits of a minute between
    # retries: before, the threads ran them to the end after close() (and Ctrl-C), and the
    # interpreter waited for them at exit
    before = set(threading.enumerate())
    fetcher = ImageFetcher(max_workers=3, timeout=60, retries=2, backoff=60)
    refs = [server.url("/good.jpg?t=stop"), *[server.url(f"{route}-{i}") for i in range(2)]]
    stream = fetcher.fetch_bytes(refs)
    _, first = next(stream)
    assert first == photo_jpeg
    time.sleep(SHORT)  # the other two are in flight (or waiting to retry)
    stream.close()
    threads = [
        t for t in set(threading.enumerate()) - before if t.name.startswith("skbucket-media")
    ]
    assert threads
    for thread in threads:
        thread.join(timeout=20)  # a liveness bound, far below the minute each would take
    assert not [t for t in threads if t.is_alive()]


def test_host_breaker_counts_failures_in_a_row_per_host():
    from skbucket.media import _HostBreaker

    calls: list[str] = []

    def work(ref):  # stands in for the network: the url's last part says what the host does
        calls.append(ref)
        outcome = ref.rsplit("/", 1)[1]
        if outcome == "down":
            raise MediaFetchError("cannot fetch (gaierror)", ref, transient=True, unreachable=True)
        if outcome == "503":
            raise MediaFetchError("HTTP 503", ref, status=503, transient=True)
        if outcome == "big":
            raise MediaTooLargeError("too big", ref)
        return b"ok"

    def run(guarded, url):
        try:
            return guarded(url)
        except MediaError as exc:
            return exc

    a, b = "http://a.example/{}", "https://user@B.example:8443/{}"
    for answer in ("ok", "503", "big"):  # any answer from the host resets its count
        guarded = _HostBreaker(2, cooldown=60.0).guard(work)
        assert run(guarded, a.format("down")).unreachable
        assert run(guarded, b.format("down")).unreachable  # another host: its own count
        run(guarded, a.format(answer))
        assert "not tried" not in str(run(guarded, a.format("down")))  # one in a row
        assert "not tried" not in str(run(guarded, a.format("down")))  # two in a row
        calls.clear()
        skipped = run(guarded, a.format("ok"))
        assert "not tried: host a.example " in str(skipped) and calls == []  # not called
        assert "not tried" not in str(run(guarded, b.format("down")))  # b: second in a row
        assert "not tried: host b.example:8443 " in str(run(guarded, b.format("ok")))
    # one server is one host however its port is spelled; another port is another server
    # (port 80 refused, or dropped by a firewall, said nothing of https on 443)
    guarded = _HostBreaker(2, cooldown=60.0).guard(work)
    assert "not tried" not in str(run(guarded, "http://c.example/down"))
    assert "not tried" not in str(run(guarded, "HTTP://C.example:80/down"))
    assert run(guarded, "https://c.example/ok") == b"ok"
    assert run(guarded, "https://c.example:443/ok") == b"ok"
    assert "not tried: host c.example " in str(run(guarded, "http://c.example/ok"))
    assert "not tried: host c.example:80 " in str(run(guarded, "http://c.example:80/ok"))
    # a name is one host however it is spelled: its case, the trailing dot of a fully
    # qualified name, IDNA (they were counted apart, so a dead host written both ways took
    # twice the failures to skip)
    for spellings in (
        ("http://d.example/down", "http://D.EXAMPLE./down", "http://d.example.:80/ok"),
        (
            "http://bücher.example/down",
            "http://xn--bcher-kva.example./down",
            "http://BÜCHER.example/ok",
        ),
    ):
        guarded = _HostBreaker(2, cooldown=60.0).guard(work)
        assert "not tried" not in str(run(guarded, spellings[0]))
        assert "not tried" not in str(run(guarded, spellings[1]))
        assert "not tried" in str(run(guarded, spellings[2]))
    # local paths and file URLs are never skipped
    guarded = _HostBreaker(1, cooldown=60.0).guard(work)
    for ref in ("/no/host/down", "file:///no/host/down", "/no/host/down"):
        assert isinstance(run(guarded, ref), MediaFetchError) and calls[-1] == ref


@pytest.mark.parametrize(
    "refs, shown",
    [
        (
            ["http://h.example/a", "http://H.EXAMPLE./b", "https://u:p@h.example.:443/c"],
            "h.example",
        ),
        (["http://h.example:80/a", "HTTP://h.example/b"], "h.example"),  # the scheme's port
        (["http://h.example:8080/a", "http://H.example.:8080/b"], "h.example:8080"),
        (["http://bücher.example/a", "http://XN--BCHER-KVA.example./b"], "xn--bcher-kva.example"),
        (["http://[::1]:81/a", "http://[::1]:81/b"], "[::1]:81"),
    ],
)
def test_shown_host_names_one_host_once_however_it_is_spelled(refs, shown):
    from skbucket.media import _shown_host

    # what a summary of unreachable hosts (Blip2Captioner's warning) names: it listed "h" and
    # "h." (and a name in IDNA and as written) as two hosts, which the fetcher counts as one
    assert {_shown_host(ref) for ref in refs} == {shown}
    assert _shown_host("/a/local/path.jpg") is None and _shown_host("file:///x.jpg") is None


def test_host_breaker_tries_one_reference_per_cooldown_and_closes_on_an_answer():
    from skbucket.media import _HostBreaker

    now = [0.0]
    calls: list[str] = []
    up = {"host": False}

    def work(ref):
        calls.append(ref)
        if not up["host"]:
            raise MediaFetchError("cannot fetch (gaierror)", ref, transient=True, unreachable=True)
        return b"ok"

    guarded = _HostBreaker(2, cooldown=10.0, clock=lambda: now[0]).guard(work)

    def tried(i):
        calls.clear()
        with contextlib.suppress(MediaFetchError):
            guarded(f"http://h.example/{i}")
        return bool(calls)

    assert tried(0) and tried(1)  # two failures in a row: skipped from now on
    assert not tried(2)
    now[0] = 9.9
    assert not tried(3)
    now[0] = 10.0  # cooldown over: one probe, which fails again
    assert tried(4)
    assert not tried(5)  # and skipped for another cooldown
    now[0] = 19.9
    assert not tried(6)
    up["host"] = True  # the network is back
    now[0] = 20.0
    assert tried(7)  # the probe gets an answer
    assert tried(8) and tried(9)  # every reference is tried again


def test_errors_are_value_errors_and_name_the_reference(tmp_path):
    for cls in (
        MediaParseError,
        MediaFetchError,
        MediaDecodeError,
        MediaTooLargeError,
        UnsupportedSchemeError,
    ):
        assert issubclass(cls, MediaError) and issubclass(cls, ValueError)
    ref = MediaRef(str(tmp_path / "gone.jpg"), "video")
    with pytest.raises(MediaFetchError) as info:
        load_image(ref)
    assert str(info.value).startswith(f"video {ref.url!r}: ")
    assert os.fspath(tmp_path) in str(info.value)


def test_a_port_out_of_range_is_refused_not_wrapped_to_another_port(server):
    """The socket layer wraps a port above 65535: ``:<port + 65536>`` read the answer of the
    server on ``<port>``, as if the URL named it."""
    port = int(server.base.rsplit(":", 1)[1])
    wrapped = f"http://127.0.0.1:{port + 65536}/good.jpg?wrapped"
    with pytest.raises(MediaFetchError, match="Port out of range") as info:
        read_bytes(wrapped, retries=3, **FAST)
    assert not info.value.transient and not info.value.unreachable
    with pytest.raises(MediaFetchError, match="refused redirect .*Port out of range"):
        read_bytes(server.url(f"/redirect-away/{port + 65536}/good.jpg?wrapped"), **FAST)
    assert server.hits["/good.jpg?wrapped"] == 0


def test_the_user_and_password_of_a_url_are_sent_to_its_host_only(server):
    """urllib took ``user@host`` for the host's name: the URL failed as a name that does not
    resolve, after its retries, and as "unreachable" it stopped the real host's images."""
    import base64

    port = int(server.base.rsplit(":", 1)[1])
    ref = f"http://us%40er:p%20w:x@127.0.0.1:{port}/echo-auth"
    expected = b"Basic " + base64.b64encode(b"us@er:p w:x")
    assert read_bytes(ref, retries=0, **FAST) == expected
    anon = f"http://anon@127.0.0.1:{port}/echo-auth"
    assert read_bytes(anon, **FAST) == b"Basic YW5vbjo="
    # not passed on to where the host redirects to
    away = f"http://u:p@127.0.0.1:{port}/redirect-away/{port}/echo-auth"
    assert read_bytes(away, **FAST) == b"none"
    fetcher = ImageFetcher(max_workers=1, max_host_failures=1, **FAST)
    results = dict(fetcher.fetch_bytes([anon, server.url("/echo-auth")]))
    assert results == {anon: b"Basic YW5vbjo=", server.url("/echo-auth"): b"none"}


def test_http_bad_url_is_not_retried():
    with pytest.raises(MediaFetchError, match="has no host") as info:
        read_bytes("http:///x.jpg", retries=3, **FAST)
    assert not info.value.transient
    assert "attempts" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["http:///x.jpg", "https:///x.jpg", "http://:80/x.jpg", "http://u:p@/x.jpg"]
)
def test_a_url_without_a_host_says_so(url):
    """It said "cannot fetch (str: no host given)", and ``http://:80/`` looked up the empty
    name: a name that does not resolve, retried, and counted as an unreachable host."""
    with pytest.raises(MediaFetchError) as info:
        read_bytes(url, retries=3, **FAST)
    scheme = url.split(":")[0]
    assert str(info.value).endswith(
        f": not a valid URL: it has no host (expected {scheme}://host/path)"
    )
    assert not info.value.transient and not info.value.unreachable
    assert "p@" not in str(info.value)  # the password is still not shown


@pytest.mark.parametrize(
    "url", ["http://h.example/caf\udce9.jpg", "http://u\ud800:p@h.example/a.jpg"]
)
def test_a_url_holding_a_lone_surrogate_is_a_media_error_naming_it(url):
    """A cell read with ``errors="surrogateescape"`` holds lone surrogates: the URL raised a
    bare UnicodeEncodeError (no MediaError, no URL named; ImageFetcher: 'unexpected')."""
    with pytest.raises(MediaFetchError, match="which is no character") as info:
        read_bytes(url, retries=3, **FAST)
    assert not info.value.transient and not info.value.unreachable
    results = dict(ImageFetcher(max_workers=1, retries=0, **FAST).fetch_bytes([url]))
    assert "which is no character" in str(results[url])
    assert "unexpected" not in str(results[url])


def test_a_redirect_to_a_url_without_a_host_is_refused(server):
    # another scheme with no host: urljoin keeps it as it is (same-scheme ones take the host)
    url = server.url("/redirect-nohost")
    with pytest.raises(MediaFetchError, match="has no host") as info:
        read_bytes(url, retries=2, **COUNTED)
    assert "refused redirect (302) to 'https:///x.jpg'" in str(info.value)
    assert server.hits["/redirect-nohost"] == 1


def test_a_file_url_on_localhost_in_any_case_is_read(images):
    path = images["good.jpg"]
    for host in ("localhost", "LOCALHOST", "LocalHost"):
        assert read_bytes(f"file://{host}{path.as_uri()[len('file://') :]}") == path.read_bytes()


def test_file_url_with_escaped_characters(tmp_path, images):
    path = tmp_path / "a photo #1.jpg"
    path.write_bytes(images["grey.jpg"].read_bytes())
    assert "%20" in path.as_uri()
    assert load_image(path.as_uri()).size == (16, 8)


def test_media_ref_validates():
    with pytest.raises(MediaParseError, match="non-empty string"):
        MediaRef("", "photo")
    with pytest.raises(MediaParseError, match="kind must be one of"):
        MediaRef("a.jpg", "audio")
    ref = MediaRef("a.jpg", "gif")
    assert str(ref) == "a.jpg"
    with pytest.raises(AttributeError):
        ref.url = "b.jpg"  # frozen
    assert {ref, MediaRef("a.jpg", "gif")} == {ref}  # hashable, equal by value


def test_default_limits_are_the_module_constants_everywhere():
    """read_bytes, load_image, decode_image and ImageFetcher share one set of default limits."""
    import inspect

    from skbucket import media

    expected = {
        "timeout": media.DEFAULT_TIMEOUT,
        "max_bytes": media.DEFAULT_MAX_BYTES,
        "max_pixels": media.DEFAULT_MAX_PIXELS,
        "retries": media.DEFAULT_RETRIES,
        "backoff": media.DEFAULT_BACKOFF,
    }
    fetcher = media.ImageFetcher()
    for func in (media.read_bytes, media.load_image, media.decode_image, media.ImageFetcher):
        params = inspect.signature(func).parameters
        for name, value in expected.items():
            if name in params:
                assert params[name].default == value, (func.__name__, name)
                if func is media.ImageFetcher:
                    assert getattr(fetcher, name) == value
    # the documented defaults (numpydoc "default=...") say the same numbers
    for func in (media.read_bytes, media.load_image, media.decode_image, media.ImageFetcher):
        doc = func.__doc__
        for name, value in expected.items():
            if f"{name} : " in doc:
                shown = doc.split(f"{name} : ", 1)[1].split("\n", 1)[0]
                assert f"default={value:_}" in shown or f"default={value}" in shown, (
                    func.__name__,
                    name,
                    shown,
                )


@pytest.mark.parametrize("size", [(1, 3000), (3000, 1), (3, 9000)])
def test_a_jpeg_narrower_than_its_reduced_scale_is_decoded(size):
    # the draft size asked for was 0 pixels on a side: ZeroDivisionError from Pillow, not a
    # MediaError (the captioner's transform stopped on it)
    data = _encode(Image.new("RGB", size, "red"), "JPEG")
    image = decode_image(data, reduce_above=1000)
    assert image.mode == "RGB"
    assert image.size[0] * image.size[1] < size[0] * size[1] or 1 in image.size
    assert image.getpixel((0, 0))[0] > 200


@pytest.mark.parametrize(("size", "limit"), [((2001, 1001), 500_000), ((3001, 2001), 1_500_000)])
def test_a_reduced_jpeg_has_at_most_reduce_above_pixels(size, limit):
    # odd sides are rounded up at a reduced scale: 2001 x 1001 at 1/2 is 1001 x 501, more
    # than 500,000 pixels, which the choice of 1/2 (by 1000 x 500) let through
    data = _encode(Image.new("RGB", size, "red"), "JPEG", quality=20)
    image = decode_image(data, reduce_above=limit)
    assert image.size[0] * image.size[1] <= limit
    assert image.size[0] * image.size[1] > limit / 16  # the next scale, not a smaller one


def test_a_sixteen_bit_grey_png_with_a_transparent_level_is_composited_on_white():
    # as the same picture in 8 bits is: its transparent pixels showed at their level (black)
    grey = np.array([[0, 65535, 30000]], dtype=np.uint16)
    for array, transparency in ((grey, 0), ((grey // 257).astype(np.uint8), 0)):
        data = _encode(Image.fromarray(array), "PNG", transparency=transparency)
        image = decode_image(data)
        assert image.getpixel((0, 0)) == (255, 255, 255)
        assert image.getpixel((1, 0)) == (255, 255, 255)
        assert image.getpixel((2, 0))[0] in (116, 117)


def test_a_one_bit_png_with_a_transparent_level_is_composited_on_white():
    # as an 8-bit grey one is: its transparent pixels showed at their level (black)
    bits = Image.new("1", (2, 1), 0)
    bits.putpixel((1, 0), 1)  # black, white
    black_clear = decode_image(_encode(bits, "PNG", transparency=0))
    assert [black_clear.getpixel((x, 0)) for x in (0, 1)] == [(255, 255, 255)] * 2
    white_clear = decode_image(_encode(bits, "PNG", transparency=255))
    assert [white_clear.getpixel((x, 0)) for x in (0, 1)] == [(0, 0, 0), (255, 255, 255)]


def _grey_png(depth: int, levels: list[int], transparent: int) -> bytes:
    """A one-row grey PNG of ``depth`` bits with a transparent level (tRNS)."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        body = tag + payload
        return len(payload).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    bits = "".join(format(level, f"0{depth}b") for level in levels)
    bits += "0" * (-len(bits) % 8)
    row = bytes([0]) + int(bits, 2).to_bytes(len(bits) // 8, "big")
    ihdr = len(levels).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([depth, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tRNS", transparent.to_bytes(2, "big"))
        + chunk(b"IDAT", zlib.compress(row))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("depth", "step"), [(2, 85), (4, 17)])
def test_a_two_or_four_bit_grey_png_with_a_transparent_level_is_composited_on_white(depth, step):
    # Pillow scales the pixels to 8 bits but not the tRNS level: the transparent pixels
    # showed at their level, and a pixel at the unscaled value would have been the one cleared
    image = decode_image(_grey_png(depth, [1, 2, 0], transparent=1))
    assert [image.getpixel((x, 0)) for x in range(3)] == [
        (255, 255, 255),
        (2 * step,) * 3,
        (0, 0, 0),
    ]


def test_the_password_of_a_url_is_not_in_its_error_message():
    """The fetcher sends a URL's password to its host; an error (and so a warning, a log line
    or a captioner's errors_ message) names the URL with the password as ***."""
    from skbucket import media

    for ref in (
        "http://ann:s3cret@127.0.0.1:1/a.jpg",
        media.MediaRef("https://ann:s3cret@127.0.0.1:1/a.jpg", "photo"),
    ):
        with pytest.raises(media.MediaFetchError) as info:
            media.read_bytes(ref, retries=0)
        assert "s3cret" not in str(info.value) and "ann:***@127.0.0.1:1" in str(info.value)
    assert media._redacted("https://u@h/p:x@y") == "https://u@h/p:x@y"  # no password: as is
    # a password holding an "@" is hidden whole, as _credentials sends it (up to the last @)
    assert media._redacted("https://u:p@ss@h/x?a=b@c") == "https://u:***@h/x?a=b@c"


@pytest.mark.parametrize(
    "kwargs, said",
    [
        ({"retries": np.timedelta64(3, "D")}, "retries must be a non-negative integer"),
        ({"max_bytes": np.timedelta64(10**6)}, "max_bytes must be a positive integer"),
        ({"timeout": np.timedelta64(5, "s")}, "timeout must be a positive, finite number"),
        ({"backoff": np.timedelta64(1, "s")}, "backoff must be a non-negative, finite number"),
        ({"max_workers": np.timedelta64(2)}, "max_workers must be a positive integer"),
        ({"prefetch": np.timedelta64(2)}, "prefetch must be a positive integer"),
        ({"max_host_failures": np.timedelta64(2)}, "max_host_failures must be a positive"),
        ({"host_cooldown": np.timedelta64(2)}, "host_cooldown must be a non-negative number"),
        ({"max_pixels": np.timedelta64(10**6)}, "max_pixels must be a positive integer"),
    ],
)
def test_a_numpy_duration_is_no_count_nor_seconds(kwargs, said):
    # np.timedelta64 is an integer to NumPy, and so a numbers.Integral: it was taken as a
    # count (retries=np.timedelta64(3, "D") was 3 retries) and, as a timeout or a backoff,
    # failed with numpy's UFuncTypeError instead of the ValueError that names it
    with pytest.raises(ValueError, match=said):
        ImageFetcher(**kwargs).fetch_bytes([])


def test_numpy_numbers_are_checked_as_python_numbers():
    # a np.float16 timeout was compared to threading.TIMEOUT_MAX in float16, which
    # overflowed (a RuntimeWarning: an error under -W error); a np.int64 max_workers was
    # doubled in int64 for the default prefetch, which overflowed to a negative window,
    # refused as a prefetch never given
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            list(ImageFetcher(timeout=np.float16(5), backoff=np.float16(0.5)).fetch_bytes([])) == []
        )
        assert list(ImageFetcher(max_workers=np.int64(2**62)).fetch_bytes([])) == []
