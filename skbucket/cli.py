"""The ``skbucket`` command line.

::

    skbucket demo                                  # train + evaluate on the bundled real sample
    skbucket fit DATA --model OUT.joblib [--config CFG.json]
    skbucket predict MODEL DATA -o preds.csv
    skbucket evaluate MODEL DATA
    skbucket report MODEL DATA -o report.html

``DATA`` is a table of posts in CSV (optionally gzip-compressed), TSV, Parquet (``.parquet``,
``.pq``) or Excel (``.xlsx``) format with the columns ``content, username, inferred_company,
date, media`` (``caption`` optional) and, for ``fit``/``evaluate``/``report``, the target column
(``likes``).

Every failure is reported as one line on standard error with a non-zero exit status:
``1`` for bad input (files, columns, model files), ``130`` when interrupted with Ctrl-C
(``143`` when ended by SIGTERM); a closed standard output (``| head``) ends the command
quietly with status ``1``; wrong command-line usage exits with ``2`` and argparse's usage
text.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path

from ._files import replace_atomically
from ._frames import column_list, plain
from ._warn import ignoring, user_stacklevel

__all__ = ["CLIError", "load_model", "main", "read_table", "save_model"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


class _Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a batch scheduler, ``docker stop``) as an interrupt,
    so that the cleanups Ctrl-C runs (temporary files, finished batches cached) run too."""


def _on_sigterm(signum, frame):
    raise _Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Handle SIGTERM as :class:`_Terminated` while a command runs (main thread only: Python
    takes signal handlers there alone)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


#: file suffixes ``read_table`` understands, with the pandas reader used for each
TABLE_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",  # a workbook with macros: its cells read as an .xlsx's (macros not run)
}


#: the field separator of each delimited-text kind in ``TABLE_FORMATS``
SEPARATORS = {"csv": ",", "tsv": "\t"}


#: the column ``skbucket predict`` copies in front of its predictions
ID_COLUMN = "id"
#: the columns read as text from CSV, TSV and XLSX files (pandas would make numbers of an
#: all-digit column): the id and the posts' text columns of ``make_seed_pipeline``
TEXT_COLUMNS = (ID_COLUMN, "content", "caption", "username", "inferred_company", "media")
#: the column of the posts' dates (read as written: the estimators parse it)
DATE_COLUMN = "date"
#: the columns of posts that every pipeline ``skbucket fit`` builds reads (besides the text:
#: ``content`` and/or ``caption``); checked before any post is captioned or embedded
POST_COLUMNS = ("username", "inferred_company", "date", "media")


def _is_core_dependency(module) -> bool:
    """Whether the top-level module ``module`` is one of the packages the base install of
    skbucket requires (``[project] dependencies``), by its distribution's metadata."""
    import importlib.metadata as metadata

    if not module:
        return False
    top = module.partition(".")[0]
    try:
        required = metadata.requires("skbucket") or []
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return False
    core = {
        re.split(r"[\s<>=!~;\[(]", spec, maxsplit=1)[0].lower().replace("-", "_")
        for spec in required
        if "extra ==" not in spec
    }
    # the module's own name too: xgboost may come as the distribution xgboost-cpu
    names = [top, *metadata.packages_distributions().get(top, [])]
    return any(name.lower().replace("-", "_") in core for name in names)


class CLIError(ValueError):
    """A problem with the command's input that is reported as one line."""


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(TABLE_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_table(path, columns=None):
    """Read a table of posts from CSV, CSV.GZ, TSV, Parquet or XLSX (XLSM).

    Parameters
    ----------
    path : str or path-like
        The file. Its format is chosen by its suffix.
    columns : dict or None, default=None
        ``{role: column}``: the table's own names of the posts' columns (a config's
        ``columns``, :func:`~skbucket.make_seed_pipeline`); each is read as the column of its
        role would be (the date column as written, the text columns as text).

    Returns
    -------
    pandas.DataFrame
        The rows as read, without type conversion of the ``date`` column (the estimators parse
        dates themselves): text from a CSV/TSV (a compact ``20210403`` stays a date, not a
        number), dates and texts from Excel as they are; a column of numbers is refused
        (Excel serial day numbers, compact dates stored as numbers, counts of seconds). The
        ``id`` column and the posts' text columns (``content``, ``caption``, ``username``,
        ``inferred_company``, ``media``) are read as text from CSV,
        TSV and XLSX files, as Parquet keeps them: ids are kept exactly as written (leading
        zeros, 19-digit ids; a file with one empty id would otherwise make every id a float),
        a username ``0042`` stays ``0042`` and a post whose text is ``2020`` is text. Only an
        empty cell is a missing value: texts such as ``null``, ``NA``, ``None``, ``nan`` or
        ``N/A`` (pandas' default missing-value markers) are read as the texts they are, as
        Parquet keeps them, so a username ``null`` is an account like any other whatever the
        file format. An Excel workbook (``.xlsx``, ``.xlsm``) is read from its first sheet,
        as Excel shows it: a range merged down one column gives each of its rows the top
        cell's value, ``_x000D_`` escapes are decoded, a ``media`` cell that is a link
        showing a word is its URL, and a cell formatted as a day (no time of day) is a
        :class:`datetime.date`. A named index saved
        in a Parquet file (``frame.set_index("id").to_parquet(...)``) comes back as a
        column, as it was before ``set_index`` (unless a column has its name).

    Raises
    ------
    CLIError
        If the file does not exist, has an unsupported suffix, cannot be parsed, holds no rows
        (rows whose every cell is empty after the last post are dropped; the commands refuse
        one between posts), a blank line between posts (CSV, TSV: pandas would skip it), cells
        merged across columns or a cell holding an Excel error such as ``#REF!`` (Excel), or
        dates that are numbers.
        A CSV/TSV must be UTF-8: other bytes are reported with the first line holding one,
        and UTF-16 or UTF-32 text (with a byte-order mark or without) is named as such.
    """
    import pandas as pd

    path = Path(path)
    _check_input(path, "data")
    suffix = _suffix(path)
    kind = TABLE_FORMATS.get(suffix)
    if kind is None:
        raise CLIError(
            f"unsupported data file type {suffix or '(none)'!r} for {path}; "
            f"expected one of {', '.join(TABLE_FORMATS)}"
        )
    if kind in SEPARATORS:
        # UTF-16 without a mark: its zero bytes are UTF-8, so pandas reads on and fails on
        # a field count (or reads columns no one can name)
        wide = _wide_unicode(path)
        if wide is not None and "without" in wide:
            raise CLIError(
                f"cannot read {path} as {kind}: it is {wide}, not UTF-8; the file must be "
                "UTF-8 text (re-save it as UTF-8)"
            )
        _refuse_separator_line(path, SEPARATORS[kind])
    # ids and post texts as text (no effect on a file without them); only an empty cell is
    # missing
    names = dict(columns or {})
    as_text = {
        "dtype": dict.fromkeys([*TEXT_COLUMNS, *(names.get(c, c) for c in TEXT_COLUMNS)], str),
        "keep_default_na": False,
        "na_values": [""],
    }
    # dates as written: pandas would make numbers of compact ISO dates (20210403) in a CSV;
    # an Excel date cell stays a date (object keeps the datetime openpyxl reads)
    date_column = names.get(DATE_COLUMN, DATE_COLUMN)
    as_text["dtype"][date_column] = object if kind == "excel" else str
    try:
        # pandas renames a repeated CSV/Excel header ("likes", "likes.1") and parquet's reader
        # fails with its schema: the header is read first so the error can name the repeats
        repeated = _repeated_names(_header_names(path, kind))
        if repeated:
            frame = None
        elif kind in SEPARATORS:
            frame = pd.read_csv(path, sep=SEPARATORS[kind], **as_text)
        elif kind == "parquet":
            frame = pd.read_parquet(path)
            named = [name for name in frame.index.names if name is not None]
            named = [name for name in named if name not in frame.columns]
            if named:  # e.g. set_index("id"); a level named as a column is dropped below
                frame = frame.reset_index(level=named)
            # an index stored without a name (df.sample(frac=1).to_parquet()): no column of
            # the posts; dropped, so every message counts rows from 0, as for other formats
            frame = _exact_parquet_ids(path, frame.reset_index(drop=True))
        else:
            frame = pd.read_excel(path, **as_text)
            # a number or a date in the header row is a name too (scikit-learn takes text
            # names only: "Feature names are only supported if all ... string names")
            frame.columns = [str(name) for name in frame.columns]
    except UnicodeDecodeError as exc:
        where = _first_non_utf8_line(path)
        detail = (
            f"byte {exc.object[exc.start : exc.start + 1]!r} is not UTF-8"
            if where is None
            else f"line {where[0]} (line 1 is the header) holds the byte {where[1]!r}, "
            "which is not UTF-8"
        )
        wide = _wide_unicode(path)
        if wide is not None:  # Excel's "Unicode Text", some ads and analytics exports
            detail = f"it is {wide}, not UTF-8"
        raise CLIError(
            f"cannot read {path} as {kind}: {detail}; the file must be UTF-8 text "
            "(re-save it as UTF-8)"
        ) from exc
    except ImportError as exc:  # the reader's optional package (pyarrow, openpyxl)
        package = {"parquet": "pyarrow", "excel": "openpyxl"}.get(kind, exc.name or "?")
        if "requires version" in str(exc):  # installed, older than this pandas reads with
            raise ImportError(
                f"reading {kind} files ({path}) needs a newer {package}: "
                f"{' '.join(str(exc).split())} (pip install -U {package})"
            ) from exc
        raise ImportError(
            f"reading {kind} files ({path}) needs {package}: pip install 'skbucket[formats]'"
        ) from exc
    except Exception as exc:  # pandas raises many types for unreadable files
        detail = " ".join(str(exc).split()) or type(exc).__name__
        if kind in SEPARATORS:  # pandas counts records, not the lines of posts with breaks
            try:
                _check_fields(path, kind)
            except CLIError:
                raise
            except Exception:  # unreadable to it as well (a cut-off .gz): pandas' error
                pass
        if kind == "excel" and "format cannot be determined" in detail:  # no engine to pick
            detail = "it is not an Excel workbook (.xlsx, .xlsm) that openpyxl can open"
        raise CLIError(f"cannot read {path} as {kind}: {detail}") from exc
    if repeated:
        described = "; ".join(
            f"{name!r} (columns {', '.join(map(str, where))})" for name, where in repeated.items()
        )
        raise CLIError(
            f"{path} repeats column name(s) in its header: {described}, counting columns "
            "from 1; column names must be unique: rename or drop the repeats"
        )
    if kind in SEPARATORS:
        # pandas takes a row with one field too many everywhere (a delimiter at each line's
        # end) as an index column and shifts every column by one, and fills a short row with
        # missing values: both would be read without a word
        _check_fields(path, kind)
    if len(frame) == 0:
        sheets = _sheet_names(path) if kind == "excel" else []
        if len(sheets) > 1:  # a cover or notes sheet first
            raise CLIError(
                f"{path}: its first sheet {sheets[0]!r} holds no rows, and only the first sheet "
                f"is read (sheets: {sheets}); put the posts on the first sheet"
            )
        raise CLIError(f"{path} holds no rows")
    if kind == "excel":
        links, xml = _first_sheet(path)
        # whether the sheet's rows are the frame's (its header the one pandas read): asked
        # by each pass that reads cells by position, answered once (it opens the workbook)
        aligned = functools.cache(lambda: _sheet_header(path, frame) is not None)
        _excel_days(path, frame, date_column)  # before the fill: it compares each cell's value
        _excel_media_links(frame, xml, links, names.get("media", "media"), aligned)
        _excel_merged_cells(path, frame, xml, aligned)
        _excel_unescape(frame)
    frame = _without_trailing_empty_rows(frame, path)  # the same columns: still aligned
    if kind == "excel":  # below the posts (a notes area's failing lookup): no post's cell
        _excel_cell_checks(path, frame, xml, aligned)
    _check_date_numbers(frame, path, kind, date_column)
    return frame


def _empty_rows(frame):
    """Which rows of ``frame`` have every cell empty (bool array; None when none do)."""
    import numpy as np
    import pandas as pd

    from .prompts import _is_missing

    if frame.shape[1] == 0 or not len(frame):
        return None
    empty = np.ones(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        rows = np.flatnonzero(empty)  # only the rows empty so far: one column does the most
        values = frame.iloc[rows, position]
        if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
            # a text column (the CLI's own reading): at C speed ("", whitespace: empty)
            blank = (values.isna() | values.str.strip().eq("")).to_numpy(dtype=bool)
        elif values.dtype == object:
            blank = values.map(_is_missing).to_numpy(dtype=bool)
        else:
            blank = values.isna().to_numpy()
        empty[rows[~blank]] = False
        if not empty.any():
            return None
    return empty


def _without_trailing_empty_rows(frame, path):
    """``frame`` without the rows whose every cell is empty after its last post: lines of bare
    delimiters that a spreadsheet writes for formatted empty rows below the posts (pandas
    drops a sheet's trailing empty rows itself)."""
    import numpy as np

    empty = _empty_rows(frame)
    if empty is None:
        return frame
    posts = np.flatnonzero(~empty)
    if not posts.size:
        raise CLIError(f"{path} holds no rows (every cell is empty)")
    return frame.iloc[: int(posts[-1]) + 1]


def _refuse_empty_rows(frame, path) -> None:
    """Refuse a row whose every cell is empty between posts (a blank row left in a sheet, a
    line of bare delimiters): ``predict`` wrote a prediction for it, as for a post, while
    ``fit`` refused it only as a row without likes. Called once the columns are checked, so
    a file whose header is not its first row is said to be so first."""
    import numpy as np

    empty = _empty_rows(frame)
    if empty is None:
        return
    rows = np.flatnonzero(empty)
    raise CLIError(
        f"{path}: row {int(rows[0])} is empty (every cell blank, counting rows from 0 after the "
        f"header; {rows.size} such row(s), first rows {rows[:5].tolist()}): a blank line or "
        "row between posts? Remove it (skbucket predicts a row for each post)."
    )


#: a merged range's cells in a sheet's XML, ``<mergeCell ref="E2:E5"/>``
_MERGE_REF = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)"'
)


def _first_sheet(path) -> tuple[dict, bytes | None]:
    """``({relationship id: target}, XML)`` of an Excel workbook's first sheet (the one
    pandas reads): the targets of its links, and its cells; ``({}, None)`` when they cannot
    be read."""
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            sheet = ET.fromstring(book.read("xl/workbook.xml")).find("{*}sheets/{*}sheet")
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target") for r in rels if r.get("Id") == rid)
            name = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            name = posixpath.normpath(name)
            xml = book.read(name)
            folder, file = posixpath.split(name)
            links = {}
            try:
                own = ET.fromstring(book.read(posixpath.join(folder, "_rels", file + ".rels")))
                links = {r.get("Id"): r.get("Target") for r in own}
            except KeyError:  # a sheet without relationships (no links)
                pass
            return links, xml
    except Exception:  # not the usual layout: pandas read it, its reading stands
        return {}, None


def _sheet_header(path, frame) -> list | None:
    """The first sheet's header row as text (None for a blank cell) when it is the header
    pandas read into ``frame`` (blank cells are pandas' ``Unnamed: k``), else None."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return None
    try:
        header = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    return _header_of(header, frame)


def _header_of(header, frame) -> list | None:
    """A sheet's header row ``header`` (cell values) as text, None for a blank cell, when it
    is the header pandas read into ``frame`` (a blank cell is pandas' ``Unnamed: k``); None
    when it is not (the cells read by position would not be the frame's)."""
    names = [None if name is None else str(name) for name in header]
    columns = [str(c) for c in frame.columns]
    if len(names) < len(columns) or any(n is not None and n != c for n, c in zip(names, columns)):
        return None
    return names


def _excel_merged_cells(path, frame, xml, aligned) -> None:
    """Fill each range of merged cells in one column of the posts from its top cell, in
    place: Excel shows a merged company or account on every row of the range, but only its
    top cell holds it, so every other post of the range read as having none. A range merged
    across columns in the rows of the posts is refused (which column holds the value?)."""
    from openpyxl.utils import column_index_from_string

    if xml is None or b"mergeCell" not in xml:
        return
    merges = [
        (
            column_index_from_string(a.decode()),
            int(r1),
            column_index_from_string(b.decode()),
            int(r2),
        )
        for a, r1, b, r2 in _MERGE_REF.findall(xml)
    ]
    merges = [m for m in merges if m[3] >= 2]  # ranges that reach the posts (row 1: header)
    if not merges:
        return
    if not aligned():
        return
    for first_col, first_row, last_col, last_row in sorted(merges):
        if first_row > len(frame) + 1 or first_col > frame.shape[1]:
            continue  # outside the posts' rows and columns: a note, or formatting only
        if first_col != last_col or first_row < 2:
            from openpyxl.utils import get_column_letter as letter

            ref = f"{letter(first_col)}{first_row}:{letter(last_col)}{last_row}"
            raise CLIError(
                f"{path}: cells {ref} are merged across "
                f"{'columns' if first_col != last_col else 'the header and the posts'}; each "
                "cell of a post must hold its own value: unmerge them (a range merged down one "
                "column is read as its value on every row)"
            )
        top, bottom = first_row - 2, min(last_row - 2, len(frame) - 1)
        position = first_col - 1
        column = frame.iloc[:, position].copy()
        column.iloc[top + 1 : bottom + 1] = column.iloc[top]
        frame.isetitem(position, column)


#: a cell of a sheet's XML: its reference, its other attributes and what it holds
_SHEET_CELL = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?)\br="\$?([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.DOTALL
)
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


#: a cell's link in a sheet's XML, ``<hyperlink ref="F2" r:id="rId1"/>``, and a HYPERLINK
#: formula's target
_CELL_LINK = re.compile(rb"<(?:\w+:)?hyperlink\b[^>]*>")
# (its first argument one whole literal, "" a quote in it; a URL built from cells: not read)
_HYPERLINK_FORMULA = re.compile(
    rb'<(?:\w+:)?f[^>]*>\s*=?\s*HYPERLINK\(\s*"((?:[^"]|"")+)"\s*[,)]', re.IGNORECASE
)
#: what a sheet's XML holds when a cell is a link (the text of a post cannot: it escapes "<")
_ANY_LINK = re.compile(rb"<(?:\w+:)?hyperlink\b|<(?:\w+:)?f[^>]*>\s*=?\s*HYPERLINK\(", re.I)


def _excel_media_links(frame, xml, links, media_column, aligned) -> None:
    """Read a media cell that is a link (a cell hyperlink, or a ``HYPERLINK`` formula) as the
    URL it links to, in place: pandas reads the text the cell shows (``photo``), which
    ``parse_media`` took for the path of an image, while the link is the post's media. A cell
    whose text holds a URL or a media list is read as it is."""
    from openpyxl.utils import column_index_from_string

    if xml is None or list(frame.columns).count(media_column) != 1 or not _ANY_LINK.search(xml):
        return
    position = list(frame.columns).index(media_column)
    targets = {}  # sheet row -> URL
    for tag in _CELL_LINK.findall(xml):
        # a cell, or a range of cells (each of them links there)
        ref = re.search(rb'\bref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"', tag)
        rid = re.search(rb'\b\w+:id="([^"]+)"', tag)  # r:id, the relationship of its target
        target = links.get(rid[1].decode()) if rid else None
        if not (ref and target):
            continue
        first = column_index_from_string(ref[1].decode())
        last = column_index_from_string(ref[3].decode()) if ref[3] else first
        if first <= position + 1 <= last:
            for row in range(int(ref[2]), int(ref[4] or ref[2]) + 1):
                targets[row] = target
    for _, letters, row, _, inner in _SHEET_CELL.findall(xml):
        formula = _HYPERLINK_FORMULA.search(inner or b"")
        if formula and column_index_from_string(letters.decode()) == position + 1:
            text = formula[1].decode("utf-8", "replace").replace('""', '"')
            targets[int(row)] = html.unescape(text)  # the XML's &amp; is &
    targets = {
        row - 2: url
        for row, url in targets.items()
        if 2 <= row <= len(frame) + 1 and re.match(r"(?i)https?://", url or "")
    }
    if not targets or not aligned():
        return
    column = frame.iloc[:, position].astype(object).copy()
    for i, url in targets.items():
        shown = column.iloc[i]
        if not (isinstance(shown, str) and ("://" in shown or shown.lstrip().startswith("["))):
            column.iloc[i] = url
    frame.isetitem(position, column)


def _excel_cell_checks(path, frame, xml, aligned) -> None:
    """Refuse what pandas reads of a sheet's cells without a word: an Excel error value
    (``#REF!``, ``#N/A``: a formula that fails) is read as an empty cell, so its post was
    predicted as having no text or its likes said missing; and warn about ids stored as
    numbers of more than 15 digits, which the workbook holds rounded (a 19-digit id column
    comes back as one repeated id)."""
    import warnings

    from openpyxl.utils import column_index_from_string, get_column_letter

    if xml is None:
        return
    digits = None  # the id column's letters, when it holds ids of 16 digits or more
    ids = frame[ID_COLUMN] if list(frame.columns).count(ID_COLUMN) == 1 else None
    if ids is not None and ids.astype(str).str.fullmatch(r"\d{16,}").any():
        digits = get_column_letter(list(frame.columns).index(ID_COLUMN) + 1).encode()
    if b't="e"' not in xml and digits is None:
        return
    if not aligned():
        return  # the sheet's rows are not the frame's (a header pandas read otherwise)
    rounded = []
    for before, letters, row, after, inner in _SHEET_CELL.findall(xml):
        row = int(row)
        if row < 2 or row > len(frame) + 1:
            continue
        kind = _CELL_TYPE.search(before + after)
        kind = kind[1] if kind else b"n"
        value = _CELL_VALUE.search(inner or b"")
        value = value[1].decode() if value else ""
        if kind == b"e":
            column = column_index_from_string(letters.decode())
            if column <= frame.shape[1]:
                raise CLIError(
                    f"{path}: cell {letters.decode()}{row} (column {frame.columns[column - 1]!r}, "
                    f"row {row - 2} counting from 0 after the header) holds the Excel error "
                    f"{value or '#?'} (a formula that fails?), which pandas reads as an empty "
                    "cell: fix the formula or clear the cell"
                )
        elif letters == digits and kind == b"n" and value:
            try:
                if abs(float(value)) >= 1e15:  # 16 digits: Excel keeps 15
                    rounded.append(row)
            except ValueError:
                pass
    if rounded:
        warnings.warn(
            f"{path}: {len(rounded)} id(s) of column {ID_COLUMN!r} are numbers of more than 15 "
            f"digits (first at sheet row {rounded[0]}), which Excel stores rounded: the ids "
            "written with the predictions are not the ones you typed, and several may be one. "
            "Store the ids as text (format the column as Text, or write them with a leading ')",
            stacklevel=user_stacklevel(),  # the caller of read_table
        )


#: Excel's escapes in a cell's text that openpyxl leaves as they are: a control character,
#: which XML cannot hold (``_x000D_``, the carriage return of a line break typed into a
#: cell), and ``_x005F_`` before ``x`` and four hex digits (Excel's escape of a literal
#: ``_x0041_``). Other ``_xHHHH_`` texts are read as written: a workbook written by pandas or
#: openpyxl holds a user's ``file_x0041_name`` unescaped.
_EXCEL_ESCAPE = re.compile(r"_x005[Ff]_(?=x[0-9A-Fa-f]{4}_)|_x(00[01][0-9A-Fa-f])_")


def _unescaped(match) -> str:
    """The text an escape of :data:`_EXCEL_ESCAPE` stands for."""
    return "_" if match[1] is None else chr(int(match[1], 16))


def _excel_unescape(frame) -> None:
    """Decode Excel's ``_xHHHH_`` escapes in the text cells of ``frame``, in place: a line
    break typed into a cell (Alt+Enter, saved as ``_x000D_`` and a new line) reached the
    prompts and the text model as the letters ``_x000D_``."""
    import pandas as pd

    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        escaped = values.map(lambda v: isinstance(v, str) and "_x" in v).to_numpy(dtype=bool)
        if escaped.any():
            column = values.astype(object).copy()
            column[escaped] = [_EXCEL_ESCAPE.sub(_unescaped, v) for v in column[escaped]]
            frame.isetitem(position, column.astype(values.dtype))


#: the parts of an Excel number format that are no date or time code: [Red], [$-409] and
#: other bracketed sections, "quoted text" and \escaped characters
_FORMAT_LITERALS = re.compile(r'\[[^\]]*\]|"[^"]*"|\\.')


def _shows_a_time(code) -> bool:
    """Whether the Excel number format ``code`` shows an hour, a second or AM/PM."""
    code = _FORMAT_LITERALS.sub("", str(code or ""))
    return bool(re.search(r"[hs]|am/pm|a/p", code, re.IGNORECASE))


def _has_day_formats(path) -> bool:
    """Whether a cell style of the workbook formats a date as a day without a time of day
    (``yyyy-mm-dd``, Excel's short date), read from its styles (small) rather than from every
    cell; True when they cannot be read (the cells are then looked at)."""
    import xml.etree.ElementTree as ET
    import zipfile

    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    try:
        with zipfile.ZipFile(path) as book:
            styles = ET.fromstring(book.read("xl/styles.xml"))
    except Exception:
        return True
    codes = dict(BUILTIN_FORMATS)
    for fmt in styles.iterfind("{*}numFmts/{*}numFmt"):
        codes[int(fmt.get("numFmtId", -1))] = fmt.get("formatCode", "")
    for xf in styles.iterfind("{*}cellXfs/{*}xf"):
        code = codes.get(int(xf.get("numFmtId", 0)), "")
        if code and is_date_format(code) and not _shows_a_time(code):
            return True
    return False


def _excel_days(path, frame, date_column) -> None:
    """Make the date cells of the first sheet that show a day but no time of day
    (``yyyy-mm-dd``, Excel's short date) :class:`datetime.date` in ``frame``, in place.

    openpyxl reads every date cell as a datetime, so a day typed into Excel was midnight
    to the estimators, while the same day in a CSV, or a Parquet/Arrow date column, is a
    day (its hour unknown; :func:`skbucket.prompts.timeless`). A cell is changed only where
    its value is midnight, its number format has no hour or second code, and the cell read
    here is the frame's own (the header and each value match); otherwise the frame is left
    as pandas read it."""
    import datetime as dt

    import pandas as pd

    values = frame.get(date_column)
    if values is None or isinstance(values, pd.DataFrame):
        return
    rows = [
        i
        for i, v in enumerate(values)
        if isinstance(v, dt.datetime) and v.tzinfo is None and v == pd.Timestamp(v).normalize()
    ]
    if not rows or not _has_day_formats(path):
        return  # no cell formatted as a day: no cell to read (a 15k-row sheet took 2 s)
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # pandas read it: whatever openpyxl says now, keep pandas' reading
        return
    try:
        sheet = book.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        names = _header_of(header, frame)
        if names is None:
            return  # not the table pandas read (a header pandas would have read otherwise)
        position = names.index(str(date_column))
        column_number = position + 1  # the date column's cells only (a 50k-row sheet: 5 s)
        cells = [
            row[0] if row else None
            for row in sheet.iter_rows(
                min_row=2, max_row=len(frame) + 1, min_col=column_number, max_col=column_number
            )
        ]
    finally:
        book.close()
    column = values.to_numpy(dtype=object, copy=True)
    for i in rows:
        cell = cells[i] if i < len(cells) else None
        if (
            cell is not None
            and cell.value == values.iloc[i]
            and not _shows_a_time(getattr(cell, "number_format", ""))
        ):
            column[i] = pd.Timestamp(values.iloc[i]).date()
    frame[date_column] = pd.Series(column, index=frame.index, dtype=object)


def _sheet_names(path) -> list:
    """The sheet names of an Excel workbook, in order ([] when they cannot be read)."""
    import pandas as pd

    try:
        with pd.ExcelFile(path) as book:
            return [str(name) for name in book.sheet_names]
    except Exception:
        return []


#: a number as a CSV cell writes it: digits, at most one decimal point
_NUMBER_TEXT = re.compile(r"\s*(?:\d+\.?\d*|\.\d+)\s*")


def _check_date_numbers(frame, path: Path, kind: str, date_column: str = DATE_COLUMN) -> None:
    """Refuse a ``date`` column of numbers (no estimator reads a number as a date), saying
    what the numbers look like: Excel serial day numbers (a column formatted as a number in
    Excel), compact dates written as numbers (20210403 in a Parquet or Excel file), or a
    count of seconds."""
    import numbers

    import pandas as pd

    values = frame.get(date_column)
    if values is None or isinstance(values, pd.DataFrame):
        return
    present = values[values.notna().to_numpy()]
    cells = present.tolist()
    texts = cells and all(isinstance(v, str) for v in cells)
    if texts and all(v.strip().isdigit() for v in cells):
        # digits only, as a CSV holds them: compact dates (20210403, 20210403101500) are
        # read as the estimators read them; anything else is no date
        from .prompts import parse_dates

        undated = parse_dates(present).isna().to_numpy()
        if not undated.any():
            return
        # the numbers that are no compact date are the ones to name (20200302 beside
        # 1583159400 named the date)
        present = present[undated]
        cells = present.tolist()
        numbers_ = [int(v) for v in cells]
    elif texts and all(_NUMBER_TEXT.fullmatch(v) for v in cells):
        # numbers with a fraction among them (43281.419676: an Excel date-time column
        # formatted as "General" and saved as CSV): the date features were left out with a
        # warning only. A year and a two-digit month (2021.04) is a date, as the estimators
        # read it; 2021.13 or 2021.1 (October written as a float) is none, though pandas
        # reads both as January (parse_dates gives NaT for them, as for other non-dates)
        undated = ~present.str.fullmatch(r"\s*\d{4}\.(?:0[1-9]|1[0-2])\s*").to_numpy(dtype=bool)
        if not undated.any():
            return
        present = present[undated]
        cells = present.tolist()
        numbers_ = [float(v) for v in cells]
    elif cells and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in cells):
        numbers_ = cells
    else:
        return
    from .prompts import _epoch_hint, _is_compact_date, _is_excel_serial

    # the first number that is neither a compact date nor (from Excel) a serial day is the one
    # to name (a Parquet column of 20200302 beside 1583159400 named the date)
    odd = next(
        (
            i
            for i, v in enumerate(numbers_)
            if not _is_compact_date(v) and not (kind == "excel" and _is_excel_serial(v))
        ),
        0,
    )
    first, row = cells[odd], present.index[odd]
    year_month = all(isinstance(v, str) and re.fullmatch(r"\s*\d{4}\.\d{1,2}\s*", v) for v in cells)
    if year_month:  # 2021.1: October written as a float, or January? (a count of seconds: no)
        hint = (
            "they look like a year and a month, which one digit after the point leaves "
            "ambiguous (2021.1: January, or October written as a number?) and 13 or more is "
            "not: write the month with two digits (2021.01, 2021.10) or ISO dates such as "
            "2021-10-01"
        )
    elif kind == "excel" and all(_is_excel_serial(v) for v in numbers_):
        hint = (
            "they look like Excel serial day numbers (a date column formatted as a number): "
            "format the column as a Date in Excel, or write ISO dates such as 2021-04-03 10:00"
        )
    elif all(_is_compact_date(v) for v in numbers_):
        hint = (
            "they look like compact dates (YYYYMMDD) stored as numbers: store them as text, "
            "or write ISO dates such as 2021-04-03 10:00"
        )
    else:
        hint = f"{_epoch_hint(first)}, and write ISO dates such as 2021-04-03 10:00"
    raise CLIError(
        f"{path}: column {date_column!r} holds numbers, not dates (row {plain(row)!r}: "
        f"{first!r}); {hint}"
    )


def _refuse_separator_line(path: Path, sep: str) -> None:
    """Refuse a CSV/TSV whose line 1 is Excel's ``sep=;`` line naming its separator: read as
    the header, it made a ragged row error pointing at a trailing delimiter, or (``sep=;``
    before rows of ``;``) a table of one column named ``sep=;``."""
    try:
        with _open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline(200).rstrip("\r\n").strip(" ")  # a tab is the separator
    except (OSError, UnicodeDecodeError, EOFError):
        return  # said by the reader with its own message
    if re.fullmatch(r"sep=.?", first, re.IGNORECASE):
        named = first[4:]
        raise CLIError(
            f"{path}: line 1 is {first!r}, the line Excel writes to name a CSV's separator, "
            "not the header: delete that line (the header must be line 1)"
            + (f", and separate the fields by {sep!r}" if named != sep else "")
        )


def _separated_otherwise(name, sep) -> str | None:
    """What a header of one ``name`` holding another common separator than ``sep`` says (the
    file is separated by it: a European Excel's semicolons), else None."""
    other = next((c for c in (";", "\t", "|", ",") if c != sep and c in str(name)), None)
    if other is None:
        return None
    shown = {"\t": "tabs"}.get(other, repr(other))
    return (
        f"its header is one name holding {shown}: the file looks separated by {shown}; a .csv "
        "file must be separated by commas, a .tsv file by tabs"
    )


def _check_fields(path: Path, kind: str) -> None:
    """Refuse a CSV/TSV row whose number of fields differs from the header's, naming the line
    it ends on; a header of one name holding another common separator says so."""
    sep = SEPARATORS[kind]
    ragged = _ragged_row(path, sep)
    if ragged is None:
        return
    line, fields, expected = ragged
    hint = "(a delimiter at the end of a line, or a cut-off row?)"
    if expected == 1:
        header = _header_names(path, kind)
        other = _separated_otherwise(header[0], sep)
        if other is None and fields > expected:
            hint = (
                "(is line 1 a title or a note above the header? The header must be line 1: "
                "delete the lines above it)"
            )
        if other is not None:
            hint = f"({other})"
    raise CLIError(
        f"{path}: the row ending on line {line} (line 1 is the header) has {fields} "
        f"field(s), the header {expected}; every row must have one field per column {hint}"
    )


def _exact_parquet_ids(path: Path, frame):
    """``frame`` with its ``id`` column as integers when the file holds integers: an integer
    column with a missing value comes back from ``read_parquet`` as float64, which merges
    19-digit ids (and writes them as ``1.2345678901234568e+18``)."""
    import pandas as pd

    ids = frame.get(ID_COLUMN)
    if ids is None or ids.dtype.kind != "f":
        return frame
    exact = pd.read_parquet(path, columns=[ID_COLUMN], dtype_backend="numpy_nullable")
    exact = exact.reset_index()[ID_COLUMN] if ID_COLUMN not in exact else exact[ID_COLUMN]
    if pd.api.types.is_integer_dtype(exact.dtype) and len(exact) == len(frame):
        frame = frame.assign(**{ID_COLUMN: exact.to_numpy(dtype=object, na_value=None)})
    return frame


def _ragged_row(path: Path, sep: str):
    """``(line, fields, header fields)`` of the first row of a CSV/TSV whose number of fields
    differs from the header's (blank lines skipped, as pandas does), or None; a blank line
    between rows is refused (after the last row, it is no row).

    The rows are read strictly: a field that starts with a double quote must end with its
    closing quote. pandas reads ``"Best day" she said`` as ``Best day she said`` without a
    word, and a field with no closing quote swallows the rows after it up to the next quote;
    such a line is refused, naming it."""
    import csv

    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # pandas reads a 200,000-character post: so must this
    try:
        with _open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            last = [""]  # the raw text of the line the reader took last

            def lines():
                for line in fh:
                    last[0] = line
                    yield line

            rows = csv.reader(lines(), delimiter=sep, strict=True)
            expected = None
            start = 1  # the line the next row starts on
            blank = None  # the first blank line after the header
            posts = 0  # rows with a field that is not blank, after the header
            for row in rows:
                start = rows.line_num + 1
                if not row or (len(row) == 1 and not row[0].strip(" \t") and '"' not in last[0]):
                    # a blank line or one of spaces and tabs: pandas skips it (not "", nor a
                    # line of other whitespace, such as U+00A0, which it reads as a row)
                    if expected is not None and blank is None:
                        blank = rows.line_num
                    continue
                if blank is not None and any(field.strip() for field in row):
                    # a post after it (a row of bare delimiters may still be the empty rows
                    # below the posts): a spreadsheet's empty row between posts
                    where = "between posts" if posts else "after the header, before the posts"
                    raise CLIError(
                        f"{path}: line {blank} (line 1 is the header) is blank, {where}: a "
                        "blank row of the sheet? Remove it (pandas skips it, so every post "
                        "after it would be a row higher than in the sheet, and so would its "
                        "prediction)"
                    )
                posts += expected is not None and any(field.strip() for field in row)
                if expected is None:
                    expected = len(row)
                elif len(row) != expected:
                    return rows.line_num, len(row), expected
    except csv.Error as exc:
        kind = next(k for k, v in SEPARATORS.items() if v == sep)
        if "unexpected end of data" in str(exc):  # a quote opened and never closed
            raise CLIError(
                f"cannot read {path} as {kind}: the row starting on line {start} (line 1 is "
                "the header) opens a double quote that is never closed, so the rest of the "
                'file would be read as one field; close it, or write a quote inside a field as ""'
                " in a field that is quoted whole"
            ) from exc
        if "expected after '\"'" not in str(exc):
            raise CLIError(f"cannot read {path} as {kind}: {exc}") from exc
        raise CLIError(
            f"cannot read {path} as {kind}: the row starting on line {start} (line 1 is the "
            "header) has a field that starts with a double quote and does not end at its "
            "closing quote, so its quotes would be lost and rows after it could merge into it; "
            'write such a field in quotes, with each quote inside it doubled ("""Hi"" she '
            "said\"), as pandas' to_csv and spreadsheet programs do"
        ) from exc
    finally:
        csv.field_size_limit(limit)
    return None


def _header_names(path: Path, kind: str) -> list:
    """The column names of a table file as written in it (before pandas renames repeats)."""
    import pandas as pd

    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if kind == "excel":
        # as text, NA-like names ("null", "NA") kept: pandas renames their repeats too
        head = pd.read_excel(
            path, header=None, nrows=1, dtype=object, keep_default_na=False, na_values=[""]
        )
    else:
        head = pd.read_csv(
            path, sep=SEPARATORS[kind], header=None, nrows=1, dtype=str, keep_default_na=False
        )
    names = head.iloc[0].tolist() if len(head) else []
    if kind == "excel":  # read_table names the columns as text: 2020 and "2020" are one name
        names = [name if pd.isna(name) else str(name) for name in names]
    return names


def _repeated_names(names) -> dict:
    """``{name: [1-based positions]}`` of the names that occur more than once (blank header
    cells, which pandas names ``Unnamed: i``, are not names)."""
    import pandas as pd

    positions = {}
    for i, name in enumerate(names, start=1):
        if (
            isinstance(name, str)
            and not name.strip()
            or not isinstance(name, str)
            and pd.isna(name)
        ):
            continue
        positions.setdefault(name, []).append(i)
    return {name: where for name, where in positions.items() if len(where) > 1}


def _open(path: Path, mode: str, **kwargs):
    """Open a table file, through gzip when its name ends in ``.gz`` (as pandas reads it)."""
    import gzip

    return (gzip.open if path.name.lower().endswith(".gz") else open)(path, mode, **kwargs)


def _wide_unicode(path: Path) -> str | None:
    """What the file is when it is UTF-16 or UTF-32 text: ``"UTF-16 text (it starts with a
    UTF-16 byte-order mark)"``, or, without a mark, ``"UTF-16 text without a byte-order mark
    (...)"`` when a zero byte is every other byte (every fourth of four: UTF-32) of its start,
    as in such a text of Latin letters; else None."""
    import codecs

    try:
        with _open(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        return None
    for name, marks in [
        ("UTF-32", (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)),
        ("UTF-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)),
    ]:
        if head.startswith(marks):
            return f"{name} text (it starts with a {name} byte-order mark)"
    for name, width, zeros, said in [
        ("UTF-32", 4, 3, "three bytes of every four are zero"),
        ("UTF-16", 2, 1, "every other byte is zero"),
    ]:
        size = len(head) // width * width
        if size < 4 * width:  # too short to tell
            continue
        # the share of zero bytes at each place of a character's bytes (UTF-8 text has none)
        shares = sorted(head[at:size:width].count(0) / (size // width) for at in range(width))
        if all(share >= 0.9 for share in shares[-zeros:]):
            return f"{name} text without a byte-order mark ({said})"
    return None


def _first_non_utf8_line(path: Path):
    """``(line number, offending byte)`` of the first line that is not UTF-8, or None."""
    try:
        with _open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return number, line[exc.start : exc.start + 1]
    except OSError:
        return None
    return None


def _split_target(frame, target: str, path, largest: float | None = None, check_inputs=None):
    """``(X, y)``: the posts and their likes, checked before any model sees them.

    The checks go from the whole file to its cells: the target column, then
    ``check_inputs(X)`` (the input columns, when the caller has not checked them), then the
    rows (an empty row, then the likes of each row, then total rows).

    Raises
    ------
    CLIError
        If the target column is missing, or holds anything but finite numbers of 0 or more
        (and, with ``largest``, no more than it: the metrics' limit for ``evaluate`` and
        ``report``, checked before every post is predicted, not after): the message names
        the column, the first bad row (0-based, the header not counted) and its value, and
        how many rows are bad.
    """
    import numpy as np
    import pandas as pd

    if target not in frame.columns:
        raise CLIError(
            f"{path}: target column {target!r} not found; columns present: "
            f"{column_list(frame.columns)}"
            + _not_found_hints([target], frame.columns, path, "--target")
        )
    if check_inputs is not None:
        check_inputs(frame.drop(columns=[target]))
    _refuse_empty_rows(frame, path)  # before the likes: an empty row is no post missing likes
    raw = frame[target]
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = pd.Series(np.nan, index=raw.index)  # True/False: no number of likes
    else:
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
    numbers = values.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numbers) | (numbers < 0)
        if largest is not None:
            bad |= numbers > largest
    bad = np.flatnonzero(bad)
    if bad.size:
        row = int(bad[0])
        value, number = raw.iloc[row], numbers[row]
        value = plain(value)  # 3.0, not np.float64(3.0)
        if pd.api.types.is_scalar(value) and pd.isna(value):
            why = "is missing (an empty cell)"
        elif np.isnan(number) and isinstance(value, str) and _DOT_THOUSANDS.fullmatch(value):
            why = (
                f"is {value!r}, not a number (is '.' a thousands separator there? write "
                f"{value.strip().replace('.', '')})"
            )
        elif np.isnan(number):
            why = f"is {value!r:.80}, not a number"
        elif not np.isfinite(number):
            why = f"is {value!r}, not a finite number"
        elif number < 0:
            why = f"is {value!r}: likes cannot be negative"
        else:  # the metrics' squared errors would overflow
            why = f"is {value!r}, beyond {largest:g}, which the metrics take (RMSE, R²)"
        raise CLIError(
            f"{path}: target column {target!r} must hold numbers of likes (finite, 0 or more"
            f"{'' if largest is None else f', at most {largest:g}'}), "
            f"but row {row} {why} ({bad.size} bad row(s) in all, first rows "
            f"{bad[:5].tolist()})"
        )
    _refuse_grouped_thousands(raw, numbers, target, path)
    X = frame.drop(columns=[target])
    _refuse_postless_rows(X, target, path, likes=values)
    return X, values.rename(target)


def _refuse_postless_rows(X, target, path, likes=None) -> None:
    """Refuse rows whose every column but the likes (and the id) is empty, in a table of at
    least two such columns: no post, but a spreadsheet's or BI tool's total or note row
    ("Total,,53611,,,,"), which was fitted and scored as a post of 53,611 likes without a word
    (RMSE 296 became 4,369). A first or last row whose likes are the sum of every other
    row's and which holds nothing but a short label, in a table whose other rows hold more,
    is refused too (an Excel table's total row has ``Total`` in its first column, whichever
    that is: :func:`_refuse_labelled_total_row`); a total row with more than a label is not
    told from a post. ``likes``: the likes column (``predict``: as read,
    rows may lack them; only rows that hold likes are such rows)."""
    import numpy as np

    from .prompts import _is_missing

    inputs = [i for i, c in enumerate(X.columns) if c != ID_COLUMN]
    if len(inputs) < 2 or not len(X):  # a table of texts alone: an empty text is a post
        return
    if X.columns[inputs].duplicated().any():  # a repeated name: refused elsewhere
        return
    empty = _empty_rows(X.iloc[:, inputs])  # "", whitespace: missing
    if empty is not None and likes is not None:
        empty &= ~likes.map(_is_missing).to_numpy(dtype=bool)
    if empty is None or not empty.any():
        if likes is not None:
            _refuse_labelled_total_row(X, inputs, likes, target, path)
        return
    rows = np.flatnonzero(empty)
    raise CLIError(
        f"{path}: row {int(rows[0])} holds likes but no post (every column but {target!r}"
        f"{' and ' + repr(ID_COLUMN) if ID_COLUMN in X.columns else ''} is empty; "
        f"{rows.size} such row(s), first rows {rows[:5].tolist()}): a spreadsheet's total or "
        "note row? Remove it."
    )


def _refuse_labelled_total_row(X, inputs, likes, target, path) -> None:
    """Refuse a first or last row whose likes are the sum of every other row's (of at least
    two rows with likes) and which holds at most one cell of ``X``'s ``inputs``, a short
    label, where the other rows are posts that hold more: a spreadsheet table's total row
    (``Total`` in its first column), fitted as a post of all the likes. In a table whose
    posts hold their text alone, such a row is a post."""
    import numpy as np
    import pandas as pd

    from .prompts import _is_missing

    numbers = pd.to_numeric(pd.Series(likes), errors="coerce").to_numpy(dtype=float)
    if len(numbers) < 3:
        return
    for row in dict.fromkeys((len(numbers) - 1, 0)):  # the usual place first
        others = np.delete(numbers, row)
        others = others[~np.isnan(others)]
        total = numbers[row]
        if len(others) < 2 or not np.isfinite(total) or total <= 0:
            continue
        if not np.isclose(total, others.sum(), rtol=1e-9, atol=0):
            continue
        filled = [i for i in inputs if not _is_missing(X.iat[row, i])]
        if len(filled) > 1:
            continue
        label = str(X.iat[row, filled[0]]).strip() if filled else ""
        if len(label) > 30 or len(label.split()) > 3:  # a post's sentence, not a label
            continue
        if _share_of_fuller_rows(X, inputs, skip=row) < 0.9:  # posts of one cell, too
            continue
        held = (
            f"holds nothing else but {X.iat[row, filled[0]]!r} in column {X.columns[filled[0]]!r}"
            if filled
            else "holds nothing else"
        )
        raise CLIError(
            f"{path}: row {row} (counting rows from 0 after the header) looks like a total row, "
            f"not a post: its {target!r}, {total:g}, is the sum of every other row's, and it "
            f"{held}: a spreadsheet table's total row? Remove it."
        )


def _share_of_fuller_rows(X, inputs, skip) -> float:
    """The share of ``X``'s rows but ``skip`` that hold two cells or more of ``inputs``."""
    import numpy as np

    from .prompts import _is_missing

    others = X.iloc[np.delete(np.arange(len(X)), skip), inputs]
    filled = ~others.map(_is_missing)  # the emptiness the row's own cells are judged by
    return float((filled.sum(axis=1) >= 2).mean()) if len(others) else 0.0


#: a whole number written with "." between groups of three digits (German, Spanish, ...)
_DOT_THOUSANDS = re.compile(r"\s*[1-9]\d{0,2}(?:\.\d{3})+\s*")


def _refuse_grouped_thousands(raw, numbers, target, path) -> None:
    """Refuse a column of likes written as a German or Spanish export writes them: the counts
    under 1,000 as plain digits (``750``) and the others with a "." between groups of three
    (``2.750`` for 2,750), which was read as 2.75 likes without a word. Taken as they are:
    fractions of other forms (averages: ``2.5``), a fraction after a 0 (``0.125``), and a
    column whose every number is written with a point (``%.3f``: ``2.500``, ``12.000``).
    The text is read as written from a CSV, TSV or XLSX file (pandas makes floats of it)."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        fractional = np.flatnonzero(numbers != np.floor(numbers))
    if not fractional.size:
        return
    texts = raw.to_numpy(dtype=object)
    kind = TABLE_FORMATS.get(_suffix(Path(path)))
    if kind in (*SEPARATORS, "excel") and not isinstance(texts[fractional[0]], str):
        # pandas read the numbers as floats: the column again, as written (only when some
        # likes have a fraction, which whole counts never do); an Excel number cell comes
        # back as its value's text, a text cell as typed
        import pandas as pd

        options = {"usecols": [target], "dtype": str, "keep_default_na": False}
        with contextlib.suppress(Exception):  # what cannot be read again is taken as read
            if kind == "excel":
                written = pd.read_excel(path, **options)[target]
            else:
                written = pd.read_csv(path, sep=SEPARATORS[kind], **options)[target]
            if len(written) == len(texts):
                texts = written.to_numpy(dtype=object)
    if not all(isinstance(texts[i], str) for i in fractional):
        return
    plain_digits = any(isinstance(t, str) and t.strip().isdigit() for t in texts)
    if plain_digits and all(_DOT_THOUSANDS.fullmatch(texts[i]) for i in fractional):
        row = int(fractional[0])
        grouped = texts[row].strip()
        raise CLIError(
            f"{path}: target column {target!r} holds {grouped!r} in row {row}, read as "
            f"{numbers[row]:g}; the target is a count of likes, and every number with a fraction "
            f"in the column ({fractional.size} row(s), first rows {fractional[:5].tolist()}) "
            f"is written so, beside plain ones: is '.' a thousands separator there ({grouped} = "
            f"{grouped.replace('.', ',')})? Write the counts without separators "
            f"({grouped.replace('.', '')})."
        )


def _largest_likes() -> float:
    """The largest number of likes the metrics take (``evaluate``, ``report``)."""
    from skbucket.metrics import LARGEST_LIKES

    return LARGEST_LIKES


def _check_input(path: Path, what: str, pipes: bool = False) -> None:
    """Refuse a ``what`` file that is missing, a folder or no regular file: a pipe
    (``<(...)``, a named pipe, ``/dev/stdin`` fed by a pipe) is read once, and the command
    reads data and model files more than once (their first bytes, then the whole); with
    ``pipes`` (a config, read once) a pipe is taken, and a device still refused."""
    if path.is_file() or (pipes and path.is_fifo()):
        return
    if path.is_dir():
        raise CLIError(f"{what} {path} is a folder, not a file")
    if path.exists() and pipes:
        raise CLIError(f"{what} {path} is no regular file or pipe (a device?)")
    if path.exists():
        raise CLIError(
            f"{what} {path} is no regular file (a pipe or a device), and skbucket reads it "
            "more than once: save it to a file and give that file"
        )
    raise CLIError(f"{what} file not found: {path}")


def _load_config(path) -> dict:
    if path is None:
        return {}
    path = Path(path)
    _check_input(path, "config", pipes=True)  # ``--config <(...)``: a pipe, read once
    suffix = path.suffix.lower()
    try:  # utf-8-sig: a byte-order mark (Windows Notepad writes one) is no JSON
        config = _load_config_text(path.read_text(encoding="utf-8-sig"), suffix)
    except (ValueError, RecursionError) as exc:  # nested 10^4 deep: no stack for it
        how = "" if suffix in (".json", ".toml") else " as JSON (a .toml file is read as TOML)"
        raise CLIError(f"cannot parse config {path}{how}: {exc}") from exc
    if not isinstance(config, dict):
        raise CLIError(f"config {path} must hold a mapping of make_seed_pipeline arguments")
    return config


def _load_config_text(text: str, suffix: str):
    """The arguments a config file's ``text`` holds (TOML when ``suffix`` is ``.toml``, else
    JSON), with TOML's ``"none"`` as None and ``class_weight`` keys as bucket numbers."""
    if suffix == ".toml":
        import tomllib

        config = tomllib.loads(text)
    else:  # a key given twice: refused, as TOML does (json keeps the last without a word)
        config = json.loads(text, object_pairs_hook=_without_repeated_keys)
    if not isinstance(config, dict):
        return config
    if suffix == ".toml":  # TOML has no null: the string "none" stands for it
        config = {
            key: None if isinstance(value, str) and value.lower() == "none" else value
            for key, value in config.items()
        }
    weights = config.get("class_weight")
    if isinstance(weights, dict):  # JSON/TOML keys are strings; the buckets are 0, 1, ...
        config["class_weight"] = {}
        for key, value in weights.items():
            bucket = int(key) if isinstance(key, str) and key.strip().isdigit() else key
            if bucket in config["class_weight"]:  # "1" and "01"
                raise ValueError(f"class_weight names bucket {bucket} twice (key {key!r})")
            config["class_weight"][bucket] = value
    return config


def _without_repeated_keys(pairs):
    """A JSON object's pairs as a dict, refusing a key given twice."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} is given twice (JSON would keep only the last)")
        out[key] = value
    return out


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


class _Reporter:
    """Step messages on stderr (silenced by ``--quiet``)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[skbucket] {message}", file=sys.stderr, flush=True)


def _set_progress(estimator, enabled: bool | None) -> None:
    """Turn progress bars on or off (``None``: on when stderr is a terminal) in every estimator
    inside ``estimator`` that has them, the fitted copies included (a loaded model predicts
    with those, not with the templates its parameters hold)."""
    from ._models import set_everywhere

    set_everywhere(estimator, "progress", enabled)


def _format_metrics(metrics: dict, intervals: dict | None = None) -> str:
    """The metrics as a text table; with ``intervals`` (``{metric: (low, high)}``, from
    :func:`skbucket.metrics.bootstrap_intervals`) a third column holds each metric's interval."""

    from .metrics import _format_metric

    width = max(len(k) for k in metrics)
    shown = {name: _format_metric(value, missing="n/a") for name, value in metrics.items()}
    value_width = max(len("value"), *(len(v) for v in shown.values()))
    if intervals is None:  # the values right-aligned, as in the table with intervals
        lines = [
            f"{'metric':<{width}}  {'value':>{value_width}}",
            f"{'-' * width}  {'-' * value_width}",
        ]
        lines += [f"{name:<{width}}  {value:>{value_width}}" for name, value in shown.items()]
        return "\n".join(lines)
    # each bound right-aligned in its own width, so the "to"s line up (wide and narrow
    # numbers made them wander)
    bounds = {
        name: (_format_metric(pair[0], missing="n/a"), _format_metric(pair[1], missing="n/a"))
        for name, pair in intervals.items()
        if name in shown and pair is not None
    }
    low_width = max((len(low) for low, _ in bounds.values()), default=0)
    high_width = max((len(high) for _, high in bounds.values()), default=0)
    span_width = max(len("95% interval"), low_width + 4 + high_width if bounds else 0)
    lines = [
        f"{'metric':<{width}}  {'value':>{value_width}}  95% interval",
        f"{'-' * width}  {'-' * value_width}  {'-' * span_width}",
    ]
    for name, value in shown.items():
        span = ""
        if name in bounds:
            low, high = bounds[name]
            span = f"{low:>{low_width}} to {high:>{high_width}}"
        lines.append(f"{name:<{width}}  {value:>{value_width}}  {span}".rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------------- model files
#: marks a model file written by ``skbucket fit``; bump when the layout changes. Format 2: a
#: small header pickle (this number and the library versions: plain dict, str and int) followed
#: by the estimator's joblib pickle, so the versions are read, and an incompatible file named,
#: before the estimator is unpickled (which may fail on another version). Format 1 (one joblib
#: pickle of ``{"skbucket_model_file": 1, "versions": ..., "estimator": ...}``) is still read.
MODEL_FILE_FORMAT = 2
#: libraries whose (major, minor) must match between writing and reading a model file
_COMPATIBLE = ("skbucket", "scikit-learn")


def save_model(estimator, path, *, target=None) -> Path:
    """Write ``estimator`` to a model file that records the library versions it was made with.

    The file is a pickle (trusted input only): a header with the versions of skbucket,
    scikit-learn and the other libraries, then the estimator as :func:`joblib.dump` writes
    it; :func:`load_model` reads the header first. See :mod:`skbucket.io` for the safe skops
    format. It is written to a temporary name and renamed, so a crash or a failed write never
    leaves half a file, keeps an existing file at ``path`` as it was and leaves no temporary
    file behind (an ``OSError`` naming ``path`` says why).

    Parameters
    ----------
    estimator : estimator
        The (fitted) estimator to save.
    path : str or path-like
        The model file to write (parent folders are created).
    target : str, default=None
        The column the estimator was fitted to predict, recorded in the header:
        ``skbucket predict``, ``evaluate`` and ``report`` take it as their ``--target``.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from .io import library_versions

    header = {"skbucket_model_file": MODEL_FILE_FORMAT, "versions": library_versions()}
    if target is not None:
        header["target"] = str(target)
    return replace_atomically(
        path, lambda fh: _write_model_file(fh, header, estimator), "model file"
    )


def _write_model_file(fh, header, estimator) -> None:
    import pickle

    import joblib

    pickle.dump(header, fh, protocol=pickle.HIGHEST_PROTOCOL)
    joblib.dump(estimator, fh)


def _saved_target(path) -> str | None:
    """The target column recorded in a model file's header by ``skbucket fit`` (None for a
    file without one: written before it was recorded, or by :func:`save_model` without it)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
        with _opener(head)(path, "rb") as fh:
            header = _read_header(fh)
    except Exception:
        return None
    target = header.get("target") if isinstance(header, dict) else None
    return target if isinstance(target, str) else None


def _read_header(fh):
    """A model file's header pickle: plain containers, text and numbers only (any other class,
    such as the estimator of a format-1 file, stops it: nothing is imported or run)."""
    import pickle

    class Plain(pickle.Unpickler):
        def find_class(self, module, name):
            raise pickle.UnpicklingError(f"not a plain header ({module}.{name})")

    return Plain(fh).load()


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def _check_versions(path, written) -> None:
    from .io import library_versions

    running = library_versions()
    if not isinstance(written, dict):
        raise CLIError(f"{path}: its version record is damaged; refit it with `skbucket fit`")
    for name in _COMPATIBLE:
        if _major_minor(written.get(name, "?")) != _major_minor(running.get(name, "?")):
            raise CLIError(
                f"model file {path} was written with {name} {written.get(name, 'unknown')}, "
                f"this is {name} {running.get(name, 'unknown')}: incompatible version; refit "
                "it with `skbucket fit` or install the version it was written with"
            )


def _cannot_load(path, exc, written=None) -> CLIError:
    """The one-line error of a model file that could not be unpickled; with the versions its
    header recorded, those that differ from the running ones are named (numpy 2 -> 1, say)."""
    from .io import library_versions

    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, MemoryError):  # most likely the machine's want: no cause to refit
        said = f": {detail}" if str(exc).strip() else ""
        return CLIError(
            f"cannot load model file {path}: it ran out of memory while loading (MemoryError"
            f"{said}): either this machine has too little free memory for the model (free "
            "memory, or load it where there is more) or a size recorded inside the file is "
            "damaged (if it fails the same with memory to spare, copy it again or refit it)"
        )
    running = library_versions()
    changed = [
        f"{name} {version} (this is {running.get(name, 'not installed')})"
        for name, version in (written.items() if isinstance(written, dict) else [])
        if name != "python" and running.get(name) != version
    ]
    if changed:
        return CLIError(
            f"cannot load model file {path}: {detail}; it was written with "
            f"{', '.join(changed)}: install those versions or refit it with `skbucket fit`"
        )
    if isinstance(written, dict) and isinstance(exc, ImportError | AttributeError):
        # a model file (its header read) whose pickle names code that is not here:
        # "Can't get attribute 'pick' on <module '__main__'>", "No module named 'mycode'"
        return CLIError(
            f"cannot load model file {path}: {detail}; the model holds a function or class "
            "that cannot be imported here (defined in a notebook or script, or in a module "
            "not installed): make it importable (a module on the Python path) and load again"
        )
    if isinstance(written, dict):  # the header read, with this machine's versions
        return CLIError(
            f"cannot load model file {path}: {detail}; its header is intact and names the "
            "versions installed here, so the rest of the file is damaged or cut short (an "
            "interrupted copy or a full disk?): copy it again or refit it with `skbucket fit`"
        )
    return CLIError(
        f"cannot load model file {path}: {detail} (not a skbucket model file, or one "
        "written by an incompatible version; refit it with `skbucket fit`)"
    )


def load_model(path):
    """Load a model file written by :func:`save_model`, refusing incompatible versions.

    The versions are read from the file's header and checked before the estimator is
    unpickled, so a file from an incompatible skbucket or scikit-learn version is named as
    such even when its estimator cannot be unpickled here.

    .. warning:: A model file is a pickle: loading it runs any code it holds. Load only files
       you trust (your own); for a model from someone else use :func:`skbucket.io.load`,
       whose skops format loads only the types you allow.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model` (``skbucket fit --model``), also one compressed
        as a whole with gzip, bzip2 or xz.

    Returns
    -------
    estimator
        The estimator that was saved.

    Raises
    ------
    CLIError
        If the file is missing, is not a skbucket model file, holds no estimator that can
        predict, or was written by a skbucket or scikit-learn version whose major.minor
        differs from the installed one.
    """
    import joblib

    path = Path(path)
    if path.is_dir():
        raise CLIError(f"{path} is a folder, not a model file")
    _check_input(path, "model")
    from .io import _holds_pickle

    with open(path, "rb") as fh:  # a zip's first bytes (is_zipfile reads its end: a
        head = fh.read(4)  # pickle whose tail held PK\5\6 passed)
    if head == b"PK\x03\x04":  # skbucket.io.save's container or a skops file
        raise CLIError(
            f"{path} is a skops file or skbucket.io container (written by skbucket.io.save), "
            "not a model file of `skbucket fit`: load it in Python with skbucket.io.load, "
            "then write it for the command line with skbucket.cli.save_model(model, path)"
        )
    unread = {b"\x28\xb5\x2f\xfd": "zstd", b"\x04\x22\x4d\x18": "lz4"}.get(head)
    if unread is not None:  # joblib's other compressions, whose modules may be missing
        raise CLIError(
            f"{path} is compressed with {unread}, which the command line does not read: "
            "decompress it first (gzip, bzip2 and xz files are read as they are)"
        )
    if not _holds_pickle(path, head):  # a CSV or a config given as MODEL: no unpickling
        raise CLIError(
            f"{path} is not a model file written by `skbucket fit` (a pickle); it starts "
            f"with {head!r}: is it the DATA or the config file?"
        )
    # a model file compressed as a whole (gzip, bzip2, xz): read through its decompressor
    try:
        with _opener(head)(path, "rb") as fh:
            try:
                header = _read_header(fh)
            except Exception:
                header = None  # no header: a format-1 file, or not a model file at all
            if isinstance(header, dict) and header.get("skbucket_model_file") == MODEL_FILE_FORMAT:
                _check_versions(path, header.get("versions"))
                try:
                    with ignoring():  # versions were checked above
                        estimator = joblib.load(fh)
                except Exception as exc:
                    raise _cannot_load(path, exc, header.get("versions")) from exc
                return _check_estimator(path, estimator)
    except OSError as exc:
        raise _cannot_load(path, exc) from exc
    # format 1: one joblib pickle holding the versions beside the estimator (for a file of
    # another format this reads its header, and the format check below names it)
    try:
        with ignoring():  # version warnings are checked below, precisely
            envelope = joblib.load(path)
    except Exception as exc:
        raise _cannot_load(path, exc) from exc
    if not (isinstance(envelope, dict) and "skbucket_model_file" in envelope):
        if callable(getattr(envelope, "predict", None)):  # joblib.dump(model) or io.save's
            raise CLIError(
                f"{path} holds a bare {type(envelope).__name__} (as joblib.dump or "
                "skbucket.io.save(format='joblib') write it), not a model file of `skbucket "
                "fit`, which records the library versions it was written with: write it for "
                "the command line with skbucket.cli.save_model(model, path)"
            )
        raise CLIError(f"{path} is not a model file written by `skbucket fit`")
    if envelope["skbucket_model_file"] == MODEL_FILE_FORMAT:  # its header, read by joblib
        raise CLIError(
            f"{path}: the model file's header was read, but not through its own reader: is "
            "it compressed by a program other than gzip, bzip2 or xz? Decompress it first"
        )
    if envelope["skbucket_model_file"] != 1:
        raise CLIError(
            f"{path} uses model file format {envelope['skbucket_model_file']}, this skbucket "
            f"reads format {MODEL_FILE_FORMAT}; refit it with `skbucket fit`"
        )
    _check_versions(path, envelope.get("versions"))
    if "estimator" not in envelope:
        raise CLIError(f"{path}: the model file holds no estimator; refit it with `skbucket fit`")
    return _check_estimator(path, envelope["estimator"])


#: the first bytes of a file compressed with gzip, bzip2 and xz
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zX": "lzma"}


def _opener(head: bytes):
    """The ``open`` that reads a file starting with ``head``: the standard library module's
    for a file compressed as a whole (gzip, bzip2, xz), else ``open``."""
    import importlib

    for magic, module in _COMPRESSED.items():
        if head.startswith(magic):
            return importlib.import_module(module).open
    return open


def _check_estimator(path, estimator):
    if not callable(getattr(estimator, "predict", None)):
        raise CLIError(
            f"{path}: the model file holds a {type(estimator).__name__}, not an estimator that "
            "can predict; refit it with `skbucket fit`"
        )
    return estimator


# --------------------------------------------------------------------------- commands
def _probe_folder(folder: Path) -> None:
    """Create and remove a file in ``folder``: raises ``OSError`` when it cannot be written
    (no permission, read-only or full file system), which looking at it does not tell."""
    import tempfile

    with tempfile.NamedTemporaryFile(dir=folder, prefix=".skbucket-probe-"):
        pass


def _check_output(path, what: str, inputs=(), suffixes=None, refused=()) -> None:
    """Refuse, before any work, an output path that would overwrite an input or cannot be
    written (a folder, a name ending in a slash, a parent that is a file or that cannot be
    written into, a suffix we do not write, or one in ``refused``). Missing folders are not
    made here (a failed run leaves none behind): the writer makes them."""
    if str(path).endswith(("/", os.sep)):  # Path() drops the slash: the user meant a folder
        raise CLIError(f"{what} {str(path)!r} names a folder; give a file name in it")
    out = Path(path)
    for source in inputs:
        if source is not None and (
            out.resolve() == Path(source).resolve()
            or (out.exists() and Path(source).exists() and out.samefile(source))
        ):
            raise CLIError(f"{what} {str(out)!r} is also an input: refusing to overwrite it")
    if suffixes is not None and not str(out).lower().endswith(suffixes):
        raise CLIError(f"{what} {str(out)!r} must end in {' or '.join(suffixes)}")
    if str(out).lower().endswith(refused):
        raise CLIError(
            f"{what} {str(out)!r} has the suffix of a data, config or report file; the file "
            f"written there is none of them (name it e.g. model.joblib)"
        )
    if out.is_dir():
        raise CLIError(f"{what} {str(out)!r} is a folder, not a file")
    if out.exists() and not out.is_file():  # os.replace would swap a new file in for it
        raise CLIError(
            f"{what} {str(out)!r} is no regular file (a named pipe or a device): skbucket "
            "writes a new file and moves it there, which would replace it; give a file name"
        )
    folder = out.parent
    while not folder.exists() and folder != folder.parent:  # the deepest folder there is
        folder = folder.parent
    if not folder.is_dir():
        raise CLIError(
            f"cannot create the folder of {what} {str(out)!r}: {str(folder)!r} is a file"
        )
    try:
        _probe_folder(folder)
    except OSError as exc:
        raise CLIError(
            f"cannot write {what} {str(out)!r}: the folder {str(folder)!r} cannot be "
            f"written into ({exc.strerror or exc})"
        ) from None
    try:
        _probe_replaceable(out, what)
    except OSError as exc:
        raise CLIError(str(exc)) from None


#: Windows does not replace a file another program holds open (a spreadsheet of the last
#: predictions) or one marked read-only; POSIX replaces both
_REPLACE_NEEDS_WRITABLE = os.name == "nt"


def _probe_replaceable(out: Path, what: str) -> None:
    """Refuse, before any work, an existing output file that cannot be replaced where that
    needs it writable (Windows): the command would otherwise fail at its very end."""
    if not (_REPLACE_NEEDS_WRITABLE and out.is_file()):
        return
    try:
        with open(out, "r+b"):
            pass
    except OSError as exc:
        raise OSError(
            f"cannot replace {what} {str(out)!r}: it is open in another program or read-only "
            f"({exc.strerror or exc}); close it there, or name another file"
        ) from None


def cmd_fit(args) -> int:
    from sklearn.base import clone

    from skbucket.pipeline import _role_columns, check_models, make_seed_pipeline, models_used

    say = _Reporter(args.quiet)
    _check_output(
        args.model,
        "--model",
        inputs=(args.data, args.config),
        refused=(*TABLE_FORMATS, ".json", ".toml", ".html", ".htm"),
    )
    config = _load_config(args.config)
    if args.text_model is not None:  # the classifier's and the embedder's, as documented
        config["text_model"] = args.text_model
        config.pop("embedding_model", None)
    if args.caption_model is not None:
        config["caption_model"] = (
            None if args.caption_model.lower() == "none" else args.caption_model
        )
    _absolute_paths(config)
    try:  # it checks every step's parameters too (check_params), before any captioning
        pipeline = make_seed_pipeline(**config)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"bad config: {_toml_table_hint(exc, config, args.config)}") from exc
    roles = dict(pipeline.steps).get("roles")  # the config's "columns"
    names = _role_columns(pipeline)
    inputs = _columns_read(names, caption="caption" in names)
    if args.target in inputs:  # dropped as the target, then missed as an input
        role = inputs[args.target]
        raise CLIError(
            f"--target {args.target!r} is the column the pipeline reads as {role!r}"
            + (" (the config's columns maps it)" if role != args.target else "")
            + "; the target is the column of like counts"
        )
    frame = read_table(args.data, columns=names)

    def check_inputs(X) -> None:
        if roles is None:
            _check_columns(X, POST_COLUMNS, args.data, "the pipeline")
        else:  # the roles its columns give, and those it leaves under their own names
            try:
                clone(roles).fit(X)
            except ValueError as exc:
                raise CLIError(f"{args.data}: {exc}") from exc

    X, y = _split_target(frame, args.target, args.data, check_inputs=check_inputs)
    if args.quiet:  # else the config's "progress" (default None: bars on a terminal) holds
        _set_progress(pipeline, False)
    check_models(pipeline)  # before hours of captioning, not after
    _check_cache_folders(pipeline)
    say(f"fitting on {len(X):,} posts from {args.data}; models: {models_used(pipeline)}")
    start = time.perf_counter()
    args.data_read = True  # an error from here on is about the data (the config is checked)
    pipeline.fit(X, y)
    say(f"fitted in {time.perf_counter() - start:.1f} s")
    try:
        save_model(pipeline, args.model, target=args.target)
    except OSError as exc:  # a disk that filled up during the fit: keep the fit if we can
        raise _saved_elsewhere(
            lambda to: save_model(pipeline, to, target=args.target), args.model, exc
        ) from exc
    say(f"model written to {args.model}")
    return 0


def _saved_elsewhere(
    save, path, exc: OSError, what="the fitted model", prefix="skbucket-fit-", plural=False
):
    """The error for an output file that could not be written, after saving ``what`` with
    ``save(target_path) -> written_path`` in a new folder of the system's temporary folder
    (usually another file system than a full disk; on Windows, not the file another program
    holds open), so hours of captioning and fine-tuning are not lost with it."""
    import tempfile

    message = " ".join(str(exc).split())
    folder = None
    try:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        rescued = save(folder / Path(path).name)
    except OSError as again:
        if folder is not None:  # its own new folder: nothing of it is left behind
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        message += (
            f"; saving it in the temporary folder failed too ({again.strerror or again}): "
            f"{what} {'are' if plural else 'is'} lost"
        )
    else:
        message += f"; {what} {'were' if plural else 'was'} saved to {str(rescued)!r} instead"
    new = OSError(message)
    new.errno = exc.errno
    return new


#: config keys naming a checkpoint: a local folder, or a hub name (which is no path here)
_MODEL_KEYS = ("text_model", "embedding_model", "caption_model")
#: MODEL's help: a model file is a pickle, which runs code when it is loaded
_MODEL_HELP = "model file written by 'skbucket fit' (a pickle: load only files you trust)"


def _absolute_paths(config: dict) -> None:
    """Make the config's relative local paths absolute, in place, so the saved model points at
    the checkpoints and cache it was fitted with from whatever folder it is used later (a
    relative ``./minilm`` would be looked up, or another folder of that name read, there)."""
    for key in _MODEL_KEYS:
        value = config.get(key)
        if isinstance(value, str) and value and Path(value).expanduser().exists():
            config[key] = str(Path(value).expanduser().resolve())
    cache = config.get("cache")
    if isinstance(cache, str | os.PathLike) and str(cache).strip():
        config["cache"] = str(Path(cache).expanduser().resolve())


def _model_and_data(args):
    """The reporter, the loaded model (progress bars set by ``--quiet``) and the data table."""
    from skbucket.bucketed import _pipeline_steps
    from skbucket.metrics import _searched
    from skbucket.pipeline import _role_columns, check_models

    say = _Reporter(args.quiet)
    model = load_model(args.model)
    if args.target is None:  # the column the model was fitted on (likes for older files)
        args.target = _saved_target(args.model) or "likes"
    _set_progress(model, False if args.quiet else None)
    if args.dayfirst is not None:
        _set_dayfirst(model, args.dayfirst)
    if args.device is not None:
        _set_device(model, args.device)
    check_models(model, fit=False)
    _check_cache_folders(model)
    names = _role_columns(model)
    frame = read_table(args.data, columns=names)
    best = _searched(model)  # a saved search predicts with its best estimator
    steps = _pipeline_steps(best)
    seen = set()  # the columns the model's first step found at fit: needed again
    for _, step in steps or [(None, best)]:
        if hasattr(step, "feature_names_in_"):
            seen = set(step.feature_names_in_)
            break
    # the caption too when no captioner makes it (a model fitted with caption_model=None)
    steps = dict(steps or ())
    read = list(_columns_read(names, caption=steps.get("caption") == "passthrough"))
    if args.target in [c for c in read if c in seen]:  # dropped, then missed as an input
        raise CLIError(
            f"--target {args.target!r} is a column the model reads as an input (it was fitted "
            "on it); the target is the column of like counts"
        )
    _check_columns(frame, [c for c in read if c in seen], args.data, "the model")
    args.data_read = True  # an error from here on is about this data: main() names the file
    return say, model, frame


def _columns_read(names: dict, *, caption: bool) -> dict:
    """``{column of the table: role}`` for the roles a seed pipeline reads (the post columns,
    the content, and the caption where no captioner makes it), by the table's own names
    ``names`` (``{role: column}``, a config's ``columns``)."""
    roles = (*POST_COLUMNS, "content", *(("caption",) if caption else ()))
    return {names.get(role, role): role for role in roles}


def _check_cache_folders(model) -> None:
    """Refuse, before any work, a cache folder of ``model``'s steps that is a file (the
    embedder opens its cache after every image is captioned), naming the parameter."""
    from skbucket.cache import CacheError, open_cache

    params = model.get_params(deep=True) if hasattr(model, "get_params") else {}
    for name, value in params.items():
        if (name == "cache" or name.endswith("__cache")) and isinstance(value, str | os.PathLike):
            try:
                open_cache(value)
            except CacheError as exc:
                raise CLIError(f"cache of the model's {name!r}: {exc}") from exc


def _toml_table_hint(exc: Exception, config: dict, path) -> str:
    """``exc``'s message, with the key an unknown one may stand for (``"epoch"``), or, where a
    TOML config's ``[columns]`` table took keys meant for the top level (every key after a
    table's header belongs to it), how to write it."""
    import inspect

    from skbucket.pipeline import make_seed_pipeline

    columns = config.get("columns")
    top_level = set(inspect.signature(make_seed_pipeline).parameters)
    unknown = re.search(
        r"make_seed_pipeline\(\) got an unexpected keyword argument '([^']+)'", str(exc)
    )
    if isinstance(exc, TypeError) and unknown:  # a typo ("epoch"): the key it may stand for
        import difflib

        key = unknown.group(1)
        near = difflib.get_close_matches(key, top_level, n=1, cutoff=0.6)
        near = near or difflib.get_close_matches(key.lower(), top_level, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}?" if near else f"the keys are {sorted(top_level)}"
        return f"unknown key {key!r} ({hint})"
    if not (isinstance(columns, dict) and str(path).lower().endswith(".toml")):
        return str(exc)
    taken = [key for key in columns if key in top_level]
    if not taken:
        return str(exc)
    return (
        f"{exc} ({', '.join(map(repr, taken))} are make_seed_pipeline arguments: in TOML every "
        "key after the [columns] header belongs to that table; put [columns] last)"
    )


def _check_columns(frame, needed, path, reader: str) -> None:
    """Refuse, before any post is captioned or embedded, a table without the columns
    ``needed``."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise CLIError(
            f"{path}: column(s) {missing} not found; {reader} reads the columns {list(needed)} "
            f"(columns present: {column_list(frame.columns)})"
            + _not_found_hints(missing, frame.columns, path, 'the config\'s "columns" mapping')
        )


def _name_key(name) -> str:
    """A column name as a reader compares it: case, spaces, ``_``/``-`` and a surrounding
    quote or BOM not counted (``' Likes'``, ``'Inferred Company'``, ``'inferred-company'``)."""
    text = str(name).strip().strip("\ufeff\"'").casefold()
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


def _not_found_hints(missing, columns, path, remedy: str) -> str:
    """What may explain the ``missing`` columns of a table read from ``path``: a column spelt
    otherwise (named with ``remedy``), a title above the header, posts on another sheet."""
    kind = TABLE_FORMATS.get(_suffix(Path(path)))
    other = None
    if kind in SEPARATORS and len(columns) == 1:  # every row without the file's separator
        other = _separated_otherwise(columns[0], SEPARATORS[kind])
    return (
        ("; " + other if other else "")
        + _spelt_otherwise(missing, columns, remedy)
        + _title_above_header(columns)
        + (_other_sheets(path))
    )


def _spelt_otherwise(missing, present, remedy: str) -> str:
    """``"; 'Likes' may be 'likes' ..."`` for each missing name a present column spells
    but for case, spaces, ``_``/``-`` or quotes (a header typed by hand, or exported by
    another tool), else ``""``."""
    keys = {}
    for name in present:
        keys.setdefault(_name_key(name), name)
    pairs = [(keys[_name_key(m)], m) for m in missing if _name_key(m) in keys]
    if not pairs:
        return ""
    said = ", ".join(f"{plain(have)!r} may be {want!r}" for have, want in pairs)
    return f"; {said}: rename the column(s), or name them with {remedy}"


def _title_above_header(columns) -> str:
    """``"; most column names are 'Unnamed: 1'..."`` when the header pandas read is mostly
    unnamed: a title or a blank row above the real header (an export's first rows)."""
    names = [str(c) for c in columns]
    unnamed = [n for n in names if n.startswith("Unnamed: ")]
    if len(names) < 2 or len(unnamed) * 2 < len(names):
        return ""
    return (
        f"; {len(unnamed)} of the {len(names)} column names are pandas' 'Unnamed: N' for a "
        "header cell left empty: is there a title or a blank row above the header? The header "
        "must be the first row: delete the rows above it"
    )


def _other_sheets(path) -> str:
    """``"; only the first sheet ... is read"`` for a workbook of several sheets (a notes or
    cover sheet before the posts), else ``""``."""
    if TABLE_FORMATS.get(_suffix(Path(path))) != "excel":
        return ""
    sheets = _sheet_names(path)
    if len(sheets) < 2:
        return ""
    return f"; only the first sheet, {sheets[0]!r}, is read (sheets: {sheets}): put the posts there"


def _set_dayfirst(model, dayfirst: bool) -> None:
    """``--dayfirst``/``--no-dayfirst``: how every step of ``model`` reads this data's dates.

    Date features and prompts are computed per row, so a fitted model may read new data in
    another order than its training data (the instants are the same). Set on the fitted
    copies too, as ``--quiet`` is.
    """
    from ._models import set_everywhere

    if not set_everywhere(model, "dayfirst", dayfirst):
        flag = "--dayfirst" if dayfirst else "--no-dayfirst"
        raise ValueError(f"{flag}: the model has no step that reads dates (no dayfirst setting)")


def _set_device(model, device: str) -> None:
    """``--device``: where every text and caption model of ``model`` runs (a model fitted
    with ``"device": "cuda"`` on a GPU machine, used on a laptop). Set on the fitted copies
    too, as ``--quiet`` is; only on skbucket's model wrappers (XGBoost's own ``device``
    takes other values). A model that runs none takes the option as it is, so a script may
    pass it to every model."""
    from ._models import (
        DeviceNotAvailableError,
        TransformersEstimatorMixin,
        every_estimator,
        resolve_device,
    )

    try:
        resolve_device(device)  # an unknown name or a device this machine lacks: now
    except (ValueError, DeviceNotAvailableError) as exc:
        raise CLIError(f"--device {device}: {exc}") from exc
    for step in every_estimator(model):  # a model without any: nothing to move
        if isinstance(step, TransformersEstimatorMixin):
            step.set_params(device=device)


def _dayfirst_hint(command: str, dayfirst: bool) -> str:
    """Where a command-line user sets the ``dayfirst`` that a date error asks for."""
    if command == "fit":
        return f' (here: "dayfirst": {str(dayfirst).lower()} in the --config file)'
    if command in ("predict", "evaluate", "report"):
        return f" (here: {'--dayfirst' if dayfirst else '--no-dayfirst'})"
    return ""


def cmd_predict(args) -> int:
    import pandas as pd

    _check_output(args.output, "-o", inputs=(args.data, args.model), suffixes=(".csv", ".csv.gz"))
    say, model, frame = _model_and_data(args)
    _refuse_empty_rows(frame, args.data)
    X = frame.drop(columns=[args.target]) if args.target in frame.columns else frame
    if args.target in frame.columns:  # a total row is no post to predict either
        _refuse_postless_rows(X, args.target, args.data, likes=frame[args.target])
    say(f"predicting {len(X):,} posts")
    pred = model.predict(X)
    out = pd.DataFrame({"prediction": pred}, index=frame.index)
    if ID_COLUMN in frame.columns:
        out.insert(0, ID_COLUMN, frame[ID_COLUMN].to_numpy(dtype=object))  # ints stay ints

    def save(path: Path) -> Path:
        replace_atomically(path, lambda fh: _write_csv(out, fh, path), "predictions file")
        return path

    try:
        save(Path(args.output))
    except OSError as exc:  # a full disk, a file held open: the predictions are kept
        raise _saved_elsewhere(
            save, args.output, exc, "the predictions", "skbucket-predict-", plural=True
        ) from exc
    say(f"predictions written to {args.output}")
    return 0


def _write_csv(frame, fh, path: Path) -> None:
    """``frame`` as UTF-8 CSV into the binary file ``fh``, gzip-compressed when ``path`` ends
    in ``.gz``; the gzip header names ``path`` (``preds.csv``), not the temporary file, so
    ``gunzip -N`` restores the right name. ``fh`` is left open (its owner closes it)."""
    import io

    def write_text(binary) -> None:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        frame.to_csv(text, index=False)
        text.flush()
        text.detach()  # not close(): that would close ``binary``

    if not path.name.lower().endswith(".gz"):
        write_text(fh)
        return
    import gzip

    with gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=fh) as packed:
        write_text(packed)


def cmd_evaluate(args) -> int:
    say, model, frame = _model_and_data(args)
    X, y = _split_target(frame, args.target, args.data, largest=_largest_likes())
    group_column = _group_column(args, X, model)
    say(f"evaluating on {len(X):,} posts")
    from skbucket.metrics import _predict_once, evaluate, final_bins
    from skbucket.report import _intervals, _undefined_note

    y_true = y.to_numpy(dtype=float)
    y_pred, bucket_pred, _ = _predict_once(model, X)
    metrics = evaluate(y_true, y_pred, bucket_pred=bucket_pred, bins=final_bins(model))
    if args.intervals:
        from skbucket.pipeline import _column_of_role

        intervals, note = _intervals(X, y_true, y_pred, _column_of_role(model, group_column))
        lines = [_format_metrics(metrics, intervals or None), note]  # none: no empty column
    else:
        lines = [_format_metrics(metrics)]
    undefined = _undefined_note(metrics)
    if undefined:  # as the report says it under its table
        lines.append(undefined.strip())
    with _writing_stdout():
        print("\n".join(lines), flush=True)
    return 0


@contextlib.contextmanager
def _writing_stdout():
    """Name standard output in a failed write to it (``> /dev/full``: not only "No space left
    on device"); a reader that went away (BrokenPipeError) is :func:`main`'s, as before."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        _quiet_stdout()  # what the stream still buffers would fail again at exit
        raise OSError(f"cannot write standard output: {exc.strerror or exc}") from None


def _group_column(args, X, model) -> str | None:
    """The column whose values the bootstrap intervals resample whole, as given to
    :func:`~skbucket.report.write_report` (which reads a role name as the model reads it):
    ``--group-column`` (``none``: rows one by one), else the company, ``inferred_company``
    (the report falls back to rows, and says so, where the data lacks it). A role name the
    model's ``columns`` gives another column stands for that column, which must be there."""
    from skbucket.pipeline import _column_of_role

    if args.group_column is None:
        return "inferred_company"
    if args.group_column.lower() == "none":
        return None
    column = _column_of_role(model, args.group_column)
    named = repr(args.group_column) + (
        f" (read from {column!r})" if column != args.group_column else ""
    )
    if column == args.target:
        raise CLIError(
            f"--group-column {named} is the target column; the intervals "
            "resample posts by a column that groups them (an account, a company)"
        )
    if column not in X.columns:
        raise CLIError(
            f"{args.data}: --group-column {named} not found; columns present: "
            f"{column_list(X.columns)}"
        )
    return args.group_column


def cmd_report(args) -> int:
    from skbucket._clock import generated_at
    from skbucket.pipeline import models_used
    from skbucket.plotting import require_matplotlib
    from skbucket.report import render_report

    _check_output(args.output, "-o", inputs=(args.data, args.model), suffixes=(".html", ".htm"))
    require_matplotlib()  # before every post is captioned and predicted, not after
    generated_at()  # a SOURCE_DATE_EPOCH it cannot read: now, not after every prediction
    say, model, frame = _model_and_data(args)
    X, y = _split_target(frame, args.target, args.data, largest=_largest_likes())
    group_column = _group_column(args, X, model)
    say(f"evaluating {len(X):,} posts for the report")
    config = {"model file": str(args.model), "target column": args.target}
    if args.dayfirst is not None:  # the parameters below show it: not what the file holds
        flag = "--dayfirst" if args.dayfirst else "--no-dayfirst"
        config["dates read with"] = f"{flag} (command line; the model file is unchanged)"
    with contextlib.suppress(ValueError):  # not a seed pipeline: its configuration says it
        config = {"models used": models_used(model), **config}
    page = render_report(
        model,
        X,
        y,
        title=f"skbucket report: {Path(args.data).name}",
        config=config,
        group_column=group_column,  # a role name is read from the model's column for it
    ).encode("utf-8")

    def save(path: Path) -> Path:  # as write_report writes it
        replace_atomically(path, lambda fh: fh.write(page), "report")
        return path

    try:
        save(Path(args.output))
    except OSError as exc:  # a full disk: every post was predicted, the page is kept
        raise _saved_elsewhere(save, args.output, exc, "the report", "skbucket-report-") from exc
    say(f"report written to {args.output}")
    return 0


def cmd_demo(args) -> int:
    from skbucket.demo import run_demo

    run_demo(
        out_dir=args.out,
        n_rows=args.rows,
        classifier=args.classifier,
        epochs=args.epochs,
        quiet=args.quiet,
    )
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skbucket",
        description="Predict social-media likes with BLIP-2 captions, DistilBERT and "
        "bucketed regressors.",
    )
    from skbucket import __version__

    parser.add_argument("--version", action="version", version=f"skbucket {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="no progress bars or step messages (warnings and errors still print)",
        )
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "train and evaluate on the bundled real sample, write a report")
    p.add_argument("--out", default="skbucket-demo", help="output folder (default: %(default)s)")
    p.add_argument(
        "--rows", type=_positive_int, default=None, help="use only this many rows (10 to 3,000)"
    )
    p.add_argument(
        "--classifier",
        choices=["hgb", "hybrid", "distilbert"],
        default="hgb",
        help="'hgb' (an HGB router on the prompt embeddings and post features, soft log-space "
        "routing, log1p target: fast, no fine-tuning), 'hybrid' (make_seed_pipeline's "
        "default: the same routing and target, with a fine-tuned text router for posts of "
        "companies never seen in training and an HGB router on the post features only for the "
        "others) or 'distilbert' (the seed as published: "
        "fine-tuned text router, hard routing on raw likes); the last two take minutes more "
        "on a CPU; default: %(default)s",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=1,
        help="fine-tuning epochs of the text router (unused with hgb; default: %(default)s)",
    )

    p = add("fit", cmd_fit, "fit the seed pipeline on a table of posts")
    p.add_argument("data", help="CSV, CSV.GZ, TSV, Parquet or XLSX/XLSM file of posts with likes")
    p.add_argument("--model", required=True, help="where to write the fitted model (.joblib)")
    p.add_argument("--config", help="JSON or TOML file of make_seed_pipeline arguments")
    p.add_argument(
        "--text-model",
        help="text model name or local path of the classifier and the embedder (overrides "
        "text_model and embedding_model of the config)",
    )
    p.add_argument("--caption-model", help="caption model name or path, or 'none'")
    p.add_argument("--target", default="likes", help="target column (default: %(default)s)")

    p = add("predict", cmd_predict, "predict likes for a table of posts")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("data", help="CSV, CSV.GZ, TSV, Parquet or XLSX/XLSM file of posts")
    p.add_argument("-o", "--output", required=True, help="CSV file to write predictions to")
    p.add_argument("--target", default=None, help=_TARGET_HELP + " (ignored if present)")
    _add_dayfirst(p)
    _add_device(p)

    p = add("evaluate", cmd_evaluate, "print the metrics table of a model on labelled posts")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("data", help="CSV, CSV.GZ, TSV, Parquet or XLSX/XLSM file of posts with likes")
    p.add_argument("--target", default=None, help=_TARGET_HELP)
    _add_dayfirst(p)
    _add_device(p)
    _add_group_column(p)
    p.add_argument(
        "--intervals",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print a 95%% bootstrap interval beside rmse_log1p and mae_log1p (default: yes; "
        "none for rmse on raw likes, nor when the posts come from 2 to 9 groups)",
    )

    p = add("report", cmd_report, "write a self-contained HTML evaluation report")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("data", help="CSV, CSV.GZ, TSV, Parquet or XLSX/XLSM file of posts with likes")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--target", default=None, help=_TARGET_HELP)
    _add_dayfirst(p)
    _add_device(p)
    _add_group_column(p)
    return parser


_TARGET_HELP = (
    "target column (default: the one the model was fitted on, recorded by skbucket fit; "
    "likes for a model file that records none)"
)


def _add_group_column(p) -> None:
    p.add_argument(
        "--group-column",
        metavar="COLUMN",
        default=None,
        help="column whose values the bootstrap intervals of the error metrics resample whole "
        "(posts of one company are not independent; 2 to 9 values give no intervals); 'none' "
        "resamples posts one by one; default: inferred_company where the data has it, else "
        "posts one by one (a role name that the model's columns config gives another column "
        "stands for that column)",
    )


def _add_device(p) -> None:
    p.add_argument(
        "--device",
        default=None,
        help="where the model's text and caption models run: auto (the first CUDA GPU, else "
        "Apple's MPS, else the CPU), cpu, cuda, cuda:1, mps; default: as the model was "
        "fitted",
    )


def _add_dayfirst(p) -> None:
    p.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read this file's ambiguous numeric dates day first (03/04/2021 = 3 April), or "
        "month first with --no-dayfirst; default: as the model was fitted. ISO 8601 dates "
        "are read the same either way",
    )


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings (failed captions, unparseable dates, ...) as one line each on stderr."""
    text = _with_sheet_rows(" ".join(str(message).split()))
    print(f"[skbucket] warning: {text}", file=sys.stderr, flush=True)


#: the command's data file when it is a workbook, whose rows its messages also name by sheet row
_SHEET_DATA: list = [None]
#: a row of the data named by its position, not already a sheet row nor given its convention
_ROW_POSITION = re.compile(r"(?<!sheet )\brow (\d+)\b(?! \(sheet row| counting)")
#: rows of the data listed by their positions (``first rows [3, 4]``)
_ROW_POSITIONS = re.compile(r"(?<!sheet )\brows \[(\d+(?:, \d+)*)\](?! \(sheet rows)")
#: a value quoted in a message (``'same as row 12'``), which is shown as the file holds it
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _sheet_rows_of(match) -> str:
    """``rows [3, 4] (sheet rows 5, 6)`` for a match of ``_ROW_POSITIONS``."""
    rows = [int(n) + 2 for n in match[1].split(", ")]
    return f"{match[0]} (sheet row{'s' * (len(rows) > 1)} {', '.join(map(str, rows))})"


def _with_sheet_rows(message: str) -> str:
    """``message`` with each ``row N`` of a workbook's posts followed by its sheet row
    (``row 3 (sheet row 5)``, ``rows [3, 4] (sheet rows 5, 6)``): rows are counted from 0
    after the header, as pandas counts them, and Excel numbers the header 1. The file's
    path and quoted values are left as they are."""
    path = _SHEET_DATA[0]
    if path is None:
        return message
    kept = re.compile(f"{re.escape(path)}|{_QUOTED.pattern}")
    out, at = [], 0
    for match in [*kept.finditer(message), None]:
        end = len(message) if match is None else match.start()
        text = _ROW_POSITION.sub(lambda m: f"{m[0]} (sheet row {int(m[1]) + 2})", message[at:end])
        text = _ROW_POSITIONS.sub(_sheet_rows_of, text)
        out.append(text)
        if match is not None:
            out.append(match[0])
            at = match.end()
    return "".join(out)


def _quiet_stdout() -> None:
    """The reader of standard output went away (``skbucket evaluate ... | head -3``): point
    standard output at the null device, so the interpreter's last flush does not fail again,
    and end without a message, as Python's documentation recommends (exit status 1)."""
    with contextlib.suppress(AttributeError, ValueError, OSError):  # an object without a fd
        _to_null_device(sys.stdout.fileno())


def _to_null_device(fd: int) -> None:
    """Point the descriptor ``fd`` at the null device: writes to it succeed and go nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class _Diagnostics:
    """Standard error while a command runs: its messages, warnings and progress bars are
    diagnostics, so a reader that went away (``skbucket fit ... 2>&1 | head -1``, a logger
    that died) or a full disk ends them, not the command, its work or its exit status. Later
    writes are dropped; what the stream still buffers is drained into the null device (it
    would fail again at exit, with exit status 120), and :meth:`restore` gives the stream its
    own descriptor back (a program that called :func:`main` keeps its standard error)."""

    def __init__(self, stream):
        self._stream = stream
        self.gone = False
        self._saved = None  # a copy of the stream's descriptor while it points at devnull

    def write(self, text):
        if not self.gone:
            try:
                return self._stream.write(text)
            except OSError:  # EPIPE, ENOSPC, EIO: no one reads the diagnostics any more
                self._go()
        return len(text)

    def flush(self):
        if not self.gone:
            try:
                self._stream.flush()
            except OSError:
                self._go()

    def _go(self):
        self.gone = True
        with contextlib.suppress(AttributeError, ValueError, OSError):  # no descriptor
            fd = self._stream.fileno()
            self._saved = os.dup(fd)
            _to_null_device(fd)
            self._stream.flush()  # what it buffers goes to the null device, not at exit

    def restore(self):
        if self._saved is None:
            return
        with contextlib.suppress(AttributeError, ValueError, OSError):
            self._stream.flush()
            os.dup2(self._saved, self._stream.fileno())
        os.close(self._saved)
        self._saved = None

    def __getattr__(self, name):  # isatty, fileno, encoding, errors, ...: the stream's
        return getattr(self._stream, name)


@contextlib.contextmanager
def _diagnostics():
    """``sys.stderr`` as :class:`_Diagnostics` for the ``with`` block (none when closed)."""
    stream = sys.stderr
    if stream is None or isinstance(stream, _Diagnostics):
        yield
        return
    guard = sys.stderr = _Diagnostics(stream)
    try:
        yield
    finally:
        guard.restore()
        if sys.stderr is guard:
            sys.stderr = stream


def main(argv=None) -> int:
    """Run the ``skbucket`` command; returns the exit status of the command that ran.

    Usage errors (exit status 2), ``--help`` and ``--version`` (0) are argparse's: they raise
    :class:`SystemExit` with that status instead of returning.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the command's name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 on an error the command reports in one line, 130
        when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
    """
    # standard output in a code page without "²" or a column's letters (a redirect on
    # Windows: cp1252, cp932, ...): escaped, not a UnicodeEncodeError after all the work
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        with contextlib.suppress(Exception):
            sys.stdout.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    with _diagnostics():
        return _run(args)


def _run(args) -> int:
    """:func:`main` for parsed ``args``."""
    from ._clock import check_numpy_can_read

    try:  # before scikit-learn's import, where numpy's f2py reads it with a traceback
        check_numpy_can_read()
    except ValueError as exc:
        print(f"skbucket {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    from sklearn.exceptions import NotFittedError

    from .cache import CacheError
    from .classification import TrainingInterruptedWarning

    data = getattr(args, "data", None)
    excel = data is not None and TABLE_FORMATS.get(_suffix(Path(data))) == "excel"
    _SHEET_DATA[0] = str(data) if excel else None
    try:
        with warnings.catch_warnings(), _sigterm_as_interrupt():
            warnings.showwarning = _one_line_warning  # even with --quiet: no step message
            # a fine-tuning stopped with Ctrl-C keeps its weights in the library; a command
            # stopped with Ctrl-C stops, and writes no model trained for part of its epochs
            warnings.simplefilter("error", TrainingInterruptedWarning)
            status = args.func(args)
        if sys.stdout is not None:  # None: closed (>&-), where print writes nothing
            with _writing_stdout():  # a reader that went away shows here, not at exit
                sys.stdout.flush()
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_ERROR
    except _Terminated:
        print(f"skbucket {args.command}: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except (KeyboardInterrupt, TrainingInterruptedWarning):
        print(f"skbucket {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Warning as exc:  # made an error by the user's filters (PYTHONWARNINGS=error, -W)
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"skbucket {args.command}: error: {type(exc).__name__}: {_with_sheet_rows(message)} "
            "(a warning, made an error by Python's warning filters: PYTHONWARNINGS or -W)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except (ValueError, OSError, RuntimeError, KeyError, ImportError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        data = str(getattr(args, "data", ""))
        if (
            getattr(args, "data_read", False)
            and isinstance(exc, ValueError | KeyError)
            and not isinstance(exc, NotFittedError | CacheError)  # the model's, not the data's
            and data not in message
        ):  # a column or a value of DATA the model cannot use: which file
            message += f" (in {data})"
        if isinstance(exc, NotFittedError) and args.command in ("predict", "evaluate", "report"):
            # MODEL saved before its fit: the model file's fault, named
            message = (
                f"{args.model}: the model file holds an estimator that is not fitted: {message}"
            )
        if getattr(exc, "suggested_dayfirst", None) is not None:
            message += _dayfirst_hint(args.command, exc.suggested_dayfirst)
        if (
            type(exc).__name__ == "DeviceNotAvailableError"
            and args.command in ("predict", "evaluate", "report")
            and args.device is None
        ):  # a model fitted on a GPU, used where there is none
            message += " (here: --device auto or --device cpu)"
        if isinstance(exc, ImportError) and "pip install" not in message:
            if (getattr(exc, "name", None) or "").partition(".")[0] == "skbucket":
                # skbucket's own files disagree (a half-done upgrade): no extra helps
                message += (
                    " (skbucket's own files are of different versions: reinstall it, "
                    "pip install --force-reinstall skbucket)"
                )
            elif _is_core_dependency(getattr(exc, "name", None)):
                # one skbucket cannot run without (the seed's regressors): no extra adds it
                message += (
                    f" ({exc.name.partition('.')[0]} is one of skbucket's own dependencies: "
                    "reinstall it, pip install skbucket)"
                )
            else:
                message += " (pip install 'skbucket[all]' installs every optional part)"
        print(f"skbucket {args.command}: error: {_with_sheet_rows(message)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        _SHEET_DATA[0] = None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
