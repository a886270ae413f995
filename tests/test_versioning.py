"""A change to what a fitted model predicts raises the minor version (docs/changes.rst).

0.8.0's version was set at one commit and two later commits changed what its models predict
for some inputs (``2021.04 10:00``, Excel escapes), so model files recording "0.8.0" predicted
two ways without a word. This record holds what skbucket itself makes of posts before any
learner sees them -- the prompts, the post features (at fit, cross-fitted, and after; without
the target encodings, which are scikit-learn's TargetEncoder's), the dates and media as read, and tables as the command line reads them --
for tricky posts in full and for the bundled real posts as digests, with the major.minor
version it was written under. A change to any of them fails here until the minor version is
raised and the record written again::

    .venv/bin/python tests/test_versioning.py --write

which refuses to write changed outputs under the same minor version (``--force`` when a
library, not skbucket, changed them).
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skbucket

RECORD = Path(__file__).with_name("data") / "prediction_record.json"

#: libraries whose reading of dates, text and tables goes into the outputs: a difference from
#: the record's is named when a check fails (the change may be theirs, not skbucket's)
LIBRARIES = ("pandas", "numpy", "scikit-learn", "openpyxl", "regex", "python-dateutil")

#: (date, content, media): inputs whose reading changed in earlier versions, and neighbours
EDGE = [
    ("2021-04-03 10:00:00", "Plain post about #launch with @partner https://x.co/a", "[]"),
    ("2021-04-03T10:00:00Z", "Zulu time 🚀🚀 and a keycap 1️⃣", "['https://a.io/p.jpg']"),
    ("2021-04-03T10:00:00+02:00", "Offset zone; line\nbreak", '["https://a.io/v.mp4"]'),
    ("2021-04-03", "A day without a time", "https://a.io/one.png"),
    ("04/13/2021 10:00", "Month first, unambiguous", "None"),
    ("12/31/2020", "New year's eve 👨‍👩‍👧", "[Photo(previewUrl='https://p.io/a.jpg')]"),
    ("2021.04 10:00", "Year.month before a time", "null"),
    ("2021.04", "Year.month alone", ""),
    ("2021.13", "No such month", "[]"),
    ("2021.1", "One-digit month", "[]"),
    ("20210403", "Compact date", "[]"),
    ("3 April 2021", "Written out", "[]"),
    ("Sat, 03 Apr 2021 10:00:00 GMT", "RFC 2822", "[]"),
    ("", "No date at all", "[]"),
    ("not a date", "A word for a date", "[]"),
    ("2021-04-03 23:59:59.999", "Last millisecond", "[]"),
    ("1970-01-01 00:00:00", "Epoch start", "[]"),
    ("2262-04-11", "Near pandas' last day", "[]"),
    ("2021-04-03 10:00", "file_x0041_name and _x000D_ escapes as written", "[]"),
    ("2021-04-03 10:00", "#123 #café_2 #a#b email a@b.com @user.name", "[]"),
    ("2021-04-03 10:00", "مرحبا #عربي @محمد", "[]"),
    ("2021-04-03 10:00", "#日本 @山田 見て https://x.co/b http://y.org", "[]"),
    ("2021-04-03 10:00", "   ", "[]"),
    ("2021-04-03 10:00", "12.0", "[]"),
    ("2021-04-03 10:00", "x" * 600, "['a.jpg', 'b.png', 'c.gif', 'd.mp4']"),
    # a month and a year without a day: the 1st (0.9.0; before, NaT on the 1st of the month,
    # and after a time of day the day of the month it was read on)
    ("March 2021", "A month and a year", "[]"),
    ("10:00 March 2021", "A time, then a month and a year", "[]"),
    # no year: no date (0.9.0; was the day of the year it was read in); a two-digit year in
    # 1969-2068 (was dateutil's window around the year it was read in)
    ("10:00 March 21", "A time, then a day and a month", "[]"),
    ("01/02/70 10:00", "A two-digit year", "[]"),
    # a link ends before '"', '<' and '>' (0.9.0; the mention and hashtag after it were lost)
    ("2021-04-03 10:00", '<a href="https://x.co/a">@bob</a> "https://y.org"#tag', "[]"),
    # a URL in another link's path or query is part of it (0.10.0; it counted as a second link)
    ("2021-04-03 10:00", "see https://web.archive.org/web/2020/https://b.co/x ok", "[]"),
    # a day of the month alone is no date (0.10.0; the 29th-31st took the clock's month and
    # year); a time near midnight with an offset, before a month and a year, is the 1st
    # (0.10.0; the clock's day in UTC was missed: today's day of the month)
    ("10:00 31", "A time and a day of the month", "[]"),
    ("01:00 March 2021 +0500", "A month and a year after a time with an offset", "[]"),
    # a numeric date separated by commas reads as with dashes (0.11.0; it was 1 March), and
    # a non-ISO time keeps its nanoseconds (0.11.0; cut to microseconds)
    ("2021,04,03 10:00", "Commas between the parts of a date", "[]"),
    ("04/03/2021 10:00:00.123456789", "Nanoseconds after a month-first date", "[]"),
    # a month and its year separated by a comma is that month (0.12.0; was NaT), a comma
    # right before a time reads as a space (0.12.0; was NaT), and a fourth number separated
    # by commas makes the cell no date (0.12.0; pandas read 2021,04,03,10 as 1 March)
    ("04,2021", "A month, a comma and a year", "[]"),
    ("2021-04-03,10:00", "A comma right before the time", "[]"),
    ("2021,04,03,10", "Four numbers separated by commas", "[]"),
    # an hour with am/pm is a time after a comma date or before a date (0.12.0; the first was
    # no date, the second read as 1 March)
    ("2021,04,03, 10 AM", "A comma date, then an hour with am/pm", "[]"),
    ("10 PM 2021,04,03", "An hour with am/pm, then a comma date", "[]"),
    # an hour past 12 with am/pm and two times of day are no date (0.13.0; read as 13:00 and
    # as the later time), a dotted capital am reads (0.13.0; was NaT) and a dotted time before
    # pm keeps its minutes (0.13.0; 22:00)
    ("13 PM 2021,04,03", "An hour past 12 with pm", "[]"),
    ("2021-04-03 10:00 11:00", "Two times of day", "[]"),
    ("2021-04-03 10 A.M.", "An am written with capitals and dots", "[]"),
    ("Apr 3, 2021 10.30 pm", "A dotted time before pm", "[]"),
    # a time with only a year is no date, written either way (0.13.0; 2021 10:00 read as 1
    # January, 10:00 2021 was NaT)
    ("2021 10:00", "A year and a time of day", "[]"),
]


def _edge_posts() -> pd.DataFrame:
    rows = [
        {
            "date": date,
            "content": content,
            # accounts spelt two ways (case, spaces, @) count apart: a change to how they
            # are compared changes the counts
            "username": ["ann", "@Bob", "李", "Ann", " cy ", "ann", "Bob", 7.0, "cy"][i % 9],
            "inferred_company": ["acme", "Zeta", "ACME", "", "ßeta", "acme"][i % 6],
            "media": media,
        }
        for i, (date, content, media) in enumerate(EDGE)
    ]
    return pd.DataFrame(rows)


def _floats(values) -> list:
    """Exact floats as text (repr round-trips a float64), NaN as None."""
    return [None if np.isnan(v) else repr(float(v)) for v in np.asarray(values, float).ravel()]


def _cell(value):
    """A table cell as JSON keeps it apart from other values: its type and its text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return f"{type(value).__name__} {value.isoformat()}"
    return f"{type(value).__name__} {value!r}"


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False).encode("utf-8")).hexdigest()


def _outputs_of(posts: pd.DataFrame, likes) -> dict:
    """What skbucket makes of ``posts`` (whose likes are ``likes``) before a learner sees
    them."""
    from skbucket import PostFeatures, PromptBuilder
    from skbucket.dates import parse_dates
    from skbucket.media import parse_media

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unreadable dates, unread text: said elsewhere
        prompts = PromptBuilder().fit(posts).transform(posts)
        features = PostFeatures(random_state=0).set_output(transform="pandas")
        at_fit = features.fit_transform(posts, likes)  # the accounts' out-of-fold counts
        frame = features.transform(posts)
        dates = parse_dates(posts["date"])
    own = [c for c in frame.columns if not str(c).endswith("_target")]
    media = [[str(m) for m in parse_media(cell)] for cell in posts["media"]]
    return {
        "prompts": [str(p) for p in np.asarray(prompts).ravel()],
        "feature_names": [str(c) for c in own],
        "features_at_fit": _floats(at_fit[own].to_numpy()),
        "features": _floats(frame[own].to_numpy()),
        "dates": [None if pd.isna(d) else d.isoformat() for d in dates],
        "media": media,
    }


def _table_outputs(tmp: Path) -> dict:
    """The edge posts written as CSV and as a workbook, read as the command line reads them."""
    from skbucket.tables import read_table

    posts = _edge_posts().assign(likes=range(len(EDGE)))
    csv, book = tmp / "edge.csv", tmp / "edge.xlsx"
    posts.to_csv(csv, index=False)
    posts.to_excel(book, index=False)
    # a workbook of date cells, as Excel holds them: date-times, a cell formatted as a day, a
    # day merged down three rows (0.8.0 read these otherwise before its last commits)
    import openpyxl

    cells = tmp / "cells.xlsx"
    timed = posts.iloc[:6].assign(date=pd.date_range("2021-04-03 10:00", periods=6, freq="7h"))
    timed.to_excel(cells, index=False)
    sheet_book = openpyxl.load_workbook(cells)
    sheet = sheet_book.active
    sheet["A2"].value = pd.Timestamp("2021-04-03").to_pydatetime()
    for cell in ("A2", "A4"):
        sheet[cell].number_format = "yyyy-mm-dd"
    sheet.merge_cells("A4:A6")
    sheet_book.save(cells)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, path in (("csv", csv), ("xlsx", book), ("xlsx_cells", cells)):
            table = read_table(path)
            out[name] = {str(c): [_cell(v) for v in table[c]] for c in table.columns}
    return out


def current(tmp: Path) -> dict:
    from skbucket.datasets import load_captioned_posts, load_tweets

    bundled = {}
    for name, load in (("tweets", load_tweets), ("posts", load_captioned_posts)):
        frame = load().frame
        outputs = _outputs_of(frame.drop(columns="likes"), frame["likes"])
        bundled[name] = {key: _digest(value) for key, value in outputs.items()}
    return {
        "edge": _outputs_of(_edge_posts(), np.arange(len(EDGE)) ** 2),
        "tables": _table_outputs(tmp),
        "bundled": bundled,
    }


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _libraries() -> dict:
    from importlib import metadata

    return {name: metadata.version(name) for name in LIBRARIES}


def _differences(recorded: dict, now: dict, path: str = "") -> list[str]:
    """Where ``now`` differs from ``recorded``: a key path and, for lists, the first item."""
    if isinstance(recorded, dict) and isinstance(now, dict):
        out = []
        for key in sorted(set(recorded) | set(now)):
            out += _differences(recorded.get(key), now.get(key), f"{path}/{key}")
        return out
    if isinstance(recorded, list) and isinstance(now, list) and len(recorded) == len(now):
        for i, (a, b) in enumerate(zip(recorded, now)):
            if a != b:
                return [f"{path}[{i}]: {a!r:.120} -> {b!r:.120}"]
        return []
    return [] if recorded == now else [f"{path}: {recorded!r:.120} -> {now!r:.120}"]


def test_what_skbucket_makes_of_posts_is_that_of_its_minor_version(tmp_path):
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    version = _minor(skbucket.__version__)
    assert record["skbucket"] == version, (
        f"the prediction record was written under skbucket {record['skbucket']}, this is "
        f"{version}: write it again (python tests/test_versioning.py --write)"
    )
    changed = _differences(record["outputs"], current(tmp_path))
    # the readable ones first: the bundled posts' entries are digests ('ffe6...' -> 'c6cb...')
    changed.sort(key=lambda line: line.startswith("/bundled"))
    if changed:
        libraries = _libraries()
        moved = [
            f"{name} {record['libraries'].get(name)} -> {libraries[name]}"
            for name in LIBRARIES
            if record["libraries"].get(name) != libraries[name]
        ]
        pytest.fail(
            f"{len(changed)} output(s) that reach a fitted model changed under skbucket "
            f"{version}, e.g. {'; '.join(changed[:3])}. A change that alters what a fitted "
            "model predicts raises the minor version (in pyproject.toml and "
            "skbucket/__init__.py, with its section in docs/changes.rst, 'Changes to "
            "predictions'); then write the record again (python tests/test_versioning.py "
            "--write)."
            + (f" Libraries differ from the record's: {', '.join(moved)}." if moved else "")
        )


def test_the_check_finds_a_changed_prompt_and_a_changed_feature():
    """The comparison the check rests on: one changed item anywhere is found and named."""
    outputs = {"edge": {"prompts": ["a", "b"], "features": ["1.0", None]}, "bundled": {"x": "0"}}
    same = json.loads(json.dumps(outputs))
    assert _differences(outputs, same) == []
    same["edge"]["prompts"][1] = "c"
    same["bundled"]["x"] = "1"
    assert _differences(outputs, same) == ["/bundled/x: '0' -> '1'", "/edge/prompts[1]: 'b' -> 'c'"]


def _write(tmp: Path, force: bool = False) -> int:
    now = current(tmp)
    version = _minor(skbucket.__version__)
    if RECORD.exists() and not force:
        old = json.loads(RECORD.read_text(encoding="utf-8"))
        if old["skbucket"] == version and _differences(old["outputs"], now):
            print(
                f"outputs changed but skbucket is still {version}: raise the minor version "
                "(pyproject.toml, skbucket/__init__.py, docs/changes.rst) first; --force only "
                "when a library, not skbucket, changed them (and say so in docs/changes.rst)",
                file=sys.stderr,
            )
            return 1
    record = {"skbucket": version, "libraries": _libraries(), "outputs": now}
    RECORD.parent.mkdir(exist_ok=True)
    RECORD.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RECORD} (skbucket {version})")
    return 0


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] not in (["--write"], ["--write", "--force"]):
        sys.exit("usage: python tests/test_versioning.py --write [--force]")
    with tempfile.TemporaryDirectory() as folder:
        sys.exit(_write(Path(folder), force="--force" in sys.argv))
