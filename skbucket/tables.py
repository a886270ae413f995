"""Reading tables of posts from files, as the ``skbucket`` command line reads them.

:func:`read_table` reads a CSV (optionally gzip-compressed), TSV, Parquet or Excel file into
the DataFrame the estimators take, refusing with a one-line :class:`CLIError` what would be
read wrongly without a word (a ragged row, a blank line between posts, a file that is not
UTF-8, Excel cells merged across columns or holding an error, dates stored as numbers). The
command line's helpers that take the target column off such a table (refusing likes that are
not counts, a labelled total row, thousands grouped with dots) and check its columns live here
too; :mod:`skbucket.cli` runs them.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
import warnings
from pathlib import Path
from typing import Any

from ._frames import column_list, plain
from ._warn import user_stacklevel

__all__ = ["CLIError", "read_table"]

#: file suffixes ``read_table`` understands, with the pandas reader used for each
TABLE_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".tsv.gz": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",  # a workbook with macros: its cells read as an .xlsx's (macros not run)
}


#: the field separator of each delimited-text kind in ``TABLE_FORMATS``
SEPARATORS = {"csv": ",", "tsv": "\t"}


#: the column ``skbucket predict`` copies in front of its predictions (a column named so in
#: another case, ``ID`` or ``Id``, when the table has one such and no ``id``: :func:`_id_column`)
ID_COLUMN = "id"


#: the columns read as text from CSV, TSV and XLSX files (pandas would make numbers of an
#: all-digit column): the id and the posts' text columns of ``make_seed_pipeline``
TEXT_COLUMNS = (ID_COLUMN, "content", "caption", "username", "inferred_company", "media")


#: the column of the posts' dates (read as written: the estimators parse it)
DATE_COLUMN = "date"


#: the columns of posts that every pipeline ``skbucket fit`` builds reads (besides the text:
#: ``content`` and/or ``caption``); checked before any post is captioned or embedded
POST_COLUMNS = ("username", "inferred_company", "date", "media")


class CLIError(ValueError):
    """A problem with the command's input that is reported as one line (a file
    :func:`~skbucket.tables.read_table` cannot read as posts, too)."""


def _id_column(columns, path=None) -> str | None:
    """The posts' id column among ``columns``: the one named ``id``, else the one whose name is
    ``id`` in another case (``ID``, ``Id``: a spreadsheet's or a database export's), else None.
    Two or more of those and no ``id`` (``ID`` and ``Id``) name none: no column is taken as
    the id, with a warning naming them when ``path`` (the table's file) is given. Other names
    (``post_id``, a written index's ``Unnamed: 0``) are no id column."""
    names = list(columns)
    if ID_COLUMN in names:
        return ID_COLUMN
    found = [name for name in names if isinstance(name, str) and name.casefold() == ID_COLUMN]
    if len(found) == 1:
        return found[0]
    if found and path is not None:
        warnings.warn(
            f"{path}: columns {', '.join(map(repr, found))} each name the posts' id (the column "
            f"{ID_COLUMN!r} in another case): none is taken as the id (read as text, written "
            f"in front of the predictions, matched by --baseline); rename the id column to "
            f"{ID_COLUMN!r}",
            stacklevel=user_stacklevel(),  # the caller of read_table
        )
    return None


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(TABLE_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_table(path, columns=None):
    """Read a table of posts from CSV, TSV (either gzip-compressed: ``.csv.gz``, ``.tsv.gz``),
    Parquet or XLSX (XLSM).

    Parameters
    ----------
    path : str or path-like
        The file. Its format is chosen by its suffix. A leading ``~`` is the home folder, as
        pandas reads it.
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
        ``id`` column (``ID`` or ``Id`` in a table without ``id``, unless it has two such)
        and the posts' text columns (``content``, ``caption``, ``username``,
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
        column, as it was before ``set_index`` (unless a column has its name), and a column
        of lists saved by pandas (``pd.ArrowDtype(pa.list_(pa.string()))``, which
        ``pandas.read_parquet`` cannot read back) as a NumPy array per cell, as a list column
        written by another program is read. A byte-order
        mark (U+FEFF) that starts a CSV/TSV header's first name (written inside its quotes
        by a tool that read the file's own mark as part of the name, or after the file's
        own mark) is not part of the name, as the file's own mark is not.

    Raises
    ------
    CLIError
        If the file does not exist, has an unsupported suffix, cannot be parsed, holds no rows
        (rows whose every cell is empty after the last post are dropped; the commands refuse
        one between posts), a blank line between posts (CSV, TSV: pandas would skip it), a row
        that repeats the header (CSV, TSV, Excel: files joined one after the other, or appended
        to with their header), cells merged across columns, a cell holding an Excel error such
        as ``#REF!`` or a formula without its result (Excel; in any column of the first
        sheet), a row that starts with a byte-order mark (CSV, TSV: files joined, the mark
        would be read into its first cell), or dates that are numbers.
        A CSV/TSV must be UTF-8: other bytes are reported with the first line holding one,
        and UTF-16 or UTF-32 text (with a byte-order mark or without) is named as such.

    Warns
    -----
    UserWarning
        If a workbook's id column holds numbers of more than 15 digits (Excel stores them
        rounded), or if the table has no ``id`` column and two or more named so in another
        case (``ID`` and ``Id``): none of them is taken as the id.
    """
    import pandas as pd

    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    _check_input(path, "data")
    suffix = _suffix(path)
    kind = TABLE_FORMATS.get(suffix)
    if kind is None:
        raise CLIError(
            f"unsupported data file type {suffix or '(none)'!r} for {path}; "
            f"expected one of {', '.join(TABLE_FORMATS)}"
        )
    if kind == "excel" and _packed_kind(path) == "encrypted":  # it was named an .xls
        raise CLIError(f"cannot read {path} as excel: it is {_ENCRYPTED}")
    if kind in SEPARATORS:
        binary = _binary_table(path)
        if binary is not None:  # pandas said "not UTF-8: re-save it as UTF-8", or a field count
            raise CLIError(f"cannot read {path} as {kind}: it is {binary}")
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
    as_text: dict[str, Any] = {
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
        header = _header_names(path, kind)
        marked = _marked_first_name(header) if kind in SEPARATORS else None
        if marked is not None:  # named, and read, as its name without the mark
            header = [marked.lstrip("\ufeff"), *header[1:]]
        repeated = _repeated_names(header)
        id_name = _id_column(header)  # ID or Id: read as text too
        if id_name is not None:
            as_text["dtype"][id_name] = str
        if repeated:
            frame = None
        elif kind in SEPARATORS:
            if marked is not None and header[0] in as_text["dtype"]:
                as_text["dtype"][marked] = as_text["dtype"][header[0]]
            frame = pd.read_csv(path, sep=SEPARATORS[kind], **as_text)
            if marked is not None and len(frame.columns) and frame.columns[0] == marked:
                frame.columns = [header[0], *frame.columns[1:]]
        elif kind == "parquet":
            frame = _read_parquet(path)
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
        other = _other_workbook(path) if kind == "excel" else None
        if other is not None:  # pandas wants xlrd, odfpy, pyxlsb or calamine for it
            raise CLIError(
                f"cannot read {path} as excel: it is {other}, not an .xlsx or .xlsm workbook, "
                "whatever its name says; open it in a spreadsheet program and save it as an "
                "Excel Workbook (.xlsx) or as CSV UTF-8"
            ) from exc
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
    assert frame is not None  # None only with repeated names, refused above
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
    if kind != "parquet":  # a header is text in a CSV, a TSV or a sheet: a row can repeat it
        _refuse_repeated_header(frame, path)
    if kind in SEPARATORS:
        _refuse_inner_byte_order_mark(frame, path)
    _check_date_numbers(frame, path, kind, date_column)
    _id_column(frame.columns, path)  # two of ID, Id, iD: said
    return frame


def _binary_table(path: Path) -> str | None:
    """What a file named as a CSV or TSV holds when it is a file of another kind (a workbook,
    a Parquet file, a gzip-compressed file without ``.gz`` in its name, as a browser or a
    server may save a download), and what to do with it; else None (text, or unknown)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(10)
        with _open(path, "rb") as fh:  # what a .csv.gz holds once decompressed
            head = fh.read(8)
    except (OSError, EOFError):
        return None
    kind = _packed_kind(path)
    if kind == "zip":
        return "a zip archive, not text: unzip it and give the file it holds"
    if kind == "xlsx":
        return "an Excel workbook (.xlsx), not text, whatever its name says: name it .xlsx"
    if kind == "encrypted":
        return _ENCRYPTED
    if kind is not None:
        return (
            f"{_WORKBOOKS[kind]}, not text, whatever its name says: open it in a spreadsheet "
            "program and save it as an Excel Workbook (.xlsx) or as CSV UTF-8"
        )
    if head.startswith(b"PAR1"):
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            if fh.tell() >= 12:
                fh.seek(-4, 2)
                if fh.read(4) == b"PAR1":
                    return "a Parquet file, not text, whatever its name says: name it .parquet"
    if raw.startswith(b"\x1f\x8b") and not path.name.lower().endswith(".gz"):
        return (
            "gzip-compressed, whatever its name says: decompress it (gunzip), or name a "
            "compressed CSV .csv.gz (a compressed TSV .tsv.gz)"
        )
    packed = _COMPRESSED.match(raw)
    if packed is not None:  # pandas read its bytes as text: "not UTF-8, re-save it as UTF-8"
        what = {"_7z": "a 7-Zip archive"}.get(
            packed.lastgroup or "", f"{packed.lastgroup}-compressed"
        )
        return (
            f"{what}, not text, whatever its name says: decompress it and give the file it "
            "holds (a compressed CSV or TSV is read only when gzip-compressed and named "
            ".csv.gz or .tsv.gz)"
        )
    return None


#: the first bytes of a file compressed otherwise than with gzip (bzip2 and its block's own
#: magic, xz, zstd) or of a 7-Zip archive: no text starts so
_COMPRESSED = re.compile(
    rb"(?P<bzip2>BZh[1-9]1AY&SY)|(?P<xz>\xfd7zXZ\x00)|(?P<zstd>\x28\xb5\x2f\xfd)"
    rb"|(?P<_7z>7z\xbc\xaf\x27\x1c)"
)


#: what a password-protected workbook is, and how to make it readable
_ENCRYPTED = (
    "a password-protected (encrypted) Excel workbook, which cannot be read without its "
    "password: open it in Excel, remove the password (File > Info > Protect Workbook > "
    "Encrypt with Password, left empty) and save it, or save it as CSV UTF-8"
)

#: the workbooks of other formats than .xlsx that :func:`_packed_kind` tells
_WORKBOOKS = {
    "xls": "an Excel 97-2003 workbook (.xls)",
    "xlsb": "an Excel binary workbook (.xlsb)",
    "ods": "an OpenDocument spreadsheet (.ods)",
}


def _packed_kind(path) -> str | None:
    """What a file is by its first bytes and, for a zip, its parts: ``"encrypted"`` (an OLE2
    compound file holding a password-protected workbook), ``"xls"`` (another OLE2 compound
    file), ``"xlsx"``, ``"xlsb"``, ``"ods"``, ``"zip"`` (another zip archive), or
    None (neither, or unreadable)."""
    import zipfile

    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE2 compound file
            # an .xlsx saved with a password is one too, holding the encrypted workbook in a
            # stream of this name (its directory entry names it in UTF-16)
            with open(path, "rb") as fh:
                encrypted = "EncryptedPackage".encode("utf-16-le") in fh.read()
            return "encrypted" if encrypted else "xls"
        if not head.startswith(b"PK"):
            return None
        with zipfile.ZipFile(path) as book:
            names = {name.replace("\\", "/").lower() for name in book.namelist()}
    except Exception:
        return None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names:
        return "ods"
    return "zip"


def _other_workbook(path) -> str | None:
    """What a file named as an ``.xlsx`` holds when it is a workbook of another format,
    which pandas reads with another package than openpyxl (an ``.xls`` renamed ``.xlsx``,
    as the refusal of the ``.xls`` suffix invites: "needs openpyxl", which is installed);
    else None."""
    return _WORKBOOKS.get(_packed_kind(path) or "")


def _empty_rows(frame):
    """Which rows of ``frame`` have every cell empty (bool array; None when none do)."""
    import numpy as np
    import pandas as pd

    from ._cells import _is_missing

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


#: pandas' name for a column whose header cell is empty (a CSV's index column, ``Unnamed: 0``)
_UNNAMED = re.compile(r"Unnamed: \d+(?:_level_\d+)?")


def _refuse_repeated_header(frame, path) -> None:
    """Refuse a row that repeats the header (each cell its column's name; empty under a
    blank header cell, pandas' ``Unnamed: k``), in a table of at least two named columns:
    files joined one after the other (``cat a.csv b.csv``), or appended to with their header
    (``to_csv(path, mode="a")`` writes it again each time). It was read as a post (an account
    ``username``, a text ``content``) and predicted with only a warning on its date; ``fit``
    and ``evaluate`` said its likes, ``'likes'``, were no number."""
    import numpy as np

    names = [str(name) for name in frame.columns]
    if sum(not _UNNAMED.fullmatch(name) for name in names) < 2 or not len(frame):
        return
    kinds = frame.dtypes.tolist()
    # the columns told at C speed first (numbers, then texts): most tables end there
    order = sorted(
        range(len(names)), key=lambda i: (str(kinds[i]) == "object", not _is_number_kind(kinds[i]))
    )
    repeats = np.ones(len(frame), dtype=bool)
    for position in order:
        rows = np.flatnonzero(repeats)  # only the rows that repeat it so far
        values = frame.iloc[rows, position]
        repeats[rows[~_cells_named(values, names[position])]] = False
        if not repeats.any():
            return
    rows = np.flatnonzero(repeats)
    raise CLIError(
        f"{path}: row {int(rows[0])} (counting rows from 0 after the header) repeats the "
        f"header, column names for values ({rows.size} such row(s), first rows "
        f"{rows[:5].tolist()}): files joined one after the other, or a file appended to with "
        "its header (pandas' to_csv(mode='a') writes it each time; header=False does not)? "
        "Remove it, or it is read as a post"
    )


def _is_number_kind(kind) -> bool:
    import pandas as pd

    types = pd.api.types
    return types.is_numeric_dtype(kind) and not types.is_bool_dtype(kind)


def _cells_named(values, name: str):
    """Which of ``values`` (a column's cells) are its header's ``name`` (bool array): the
    name as text (a byte-order mark before it, the first column of a file saved as CSV
    UTF-8, and spaces around it not counted), a number equal to a numeric name (a sheet's
    header cell 2020), an empty cell under a blank header cell (``Unnamed: k``)."""
    import numpy as np
    import pandas as pd

    from ._cells import _category_text, _is_missing

    if _UNNAMED.fullmatch(name):  # the header's empty cell: an empty cell in the repeat
        return np.fromiter(map(_is_missing, values), dtype=bool, count=len(values))
    if _is_number_kind(values.dtype):
        try:
            number = float(name)
        except ValueError:
            return np.zeros(len(values), dtype=bool)
        return (values == number).to_numpy(dtype=bool, na_value=False)
    if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
        same = values.str.strip("\ufeff \t").eq(name.strip())
        return same.to_numpy(dtype=bool, na_value=False)
    return np.fromiter(
        (
            not _is_missing(v) and _category_text(v).strip("\ufeff \t") == name.strip()
            for v in values
        ),
        dtype=bool,
        count=len(values),
    )


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
            rels = {r.get("Id"): r for r in ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))}
            # the first worksheet, as openpyxl's worksheets[0] that pandas reads: a chart
            # sheet before it (a chart tab in front of the posts) holds no cells
            target = None
            for sheet in ET.fromstring(book.read("xl/workbook.xml")).iterfind("{*}sheets/{*}sheet"):
                rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
                rel = rels.get(rid)
                if rel is not None and "chartsheet" not in (rel.get("Type") or ""):
                    target = rel.get("Target")
                    break
            if target is None:  # not the usual layout (as below)
                return {}, None
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


#: a formula in a cell's XML (``<f>H2+I2</f>``, a shared formula's ``<f t="shared" si="0"/>``)
_CELL_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")


#: a formula cell whose result the workbook does not hold (no value, or an empty one, after
#: the formula): openpyxl, and pandas' to_excel for a text starting with "=", write so
_UNCOMPUTED = re.compile(
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    # the spaces after an empty value are its own: "\s*(<v/>)?\s*" split a run of spaces
    # after a formula between two \s* every way, in time quadratic in its length (a sheet with
    # a megabyte of spaces there, a few KB zipped, held read_table for about a quarter of an hour)
    rb"(?:<(?:\w+:)?v\s*/>\s*|<(?:\w+:)?v>\s*</(?:\w+:)?v>\s*)?</(?:\w+:)?c>"
)


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
    predicted as having no text or its likes said missing, and so is a formula whose result
    the workbook does not hold (written by a program that computes no formulas: openpyxl, or
    pandas' ``to_excel`` for a post whose text starts with ``=``); and warn about ids stored
    as numbers of more than 15 digits, which the workbook holds rounded (a 19-digit id column
    comes back as one repeated id)."""

    from openpyxl.utils import column_index_from_string, get_column_letter

    from ._cells import _is_missing

    if xml is None:
        return
    digits = None  # the id column's letters, when it holds ids of 16 digits or more
    id_name = _id_column(frame.columns)
    ids = frame[id_name] if list(frame.columns).count(id_name) == 1 else None
    if ids is not None and ids.astype(str).str.fullmatch(r"\d{16,}").any():
        digits = get_column_letter(list(frame.columns).index(id_name) + 1).encode()
    uncomputed = _UNCOMPUTED.search(xml) is not None
    if b't="e"' not in xml and digits is None and not uncomputed:
        return
    if not aligned():
        return  # the sheet's rows are not the frame's (a header pandas read otherwise)
    rounded = []
    for before, letters, row, after, inner in _SHEET_CELL.findall(xml):
        row = int(row)
        if row < 2 or row > len(frame) + 1:
            continue
        kind_found = _CELL_TYPE.search(before + after)
        kind = kind_found[1] if kind_found else b"n"
        value_found = _CELL_VALUE.search(inner or b"")
        value = value_found[1].decode() if value_found else ""
        if kind == b"e":
            column = column_index_from_string(letters.decode())
            if column <= frame.shape[1]:
                raise CLIError(
                    f"{path}: cell {letters.decode()}{row} (column {frame.columns[column - 1]!r}, "
                    f"row {row - 2} counting from 0 after the header) holds the Excel error "
                    f"{value or '#?'} (a formula that fails?), which pandas reads as an empty "
                    "cell: fix the formula or clear the cell"
                )
        elif (
            uncomputed
            and not value
            and kind != b"str"  # t="str", no value: a formula whose result is the empty text
            and (formula := _CELL_FORMULA.search(inner or b"")) is not None
        ):
            column = column_index_from_string(letters.decode())
            # a media cell's HYPERLINK formula is read as its URL (_excel_media_links)
            if column <= frame.shape[1] and _is_missing(frame.iat[row - 2, column - 1]):
                shown = html.unescape((formula[1] or b"").decode("utf-8", "replace"))
                raise CLIError(
                    f"{path}: cell {letters.decode()}{row} (column {frame.columns[column - 1]!r}, "
                    f"row {row - 2} counting from 0 after the header) holds the formula "
                    f"{'=' + shown!r:.80} without its result, which pandas reads as an empty "
                    "cell: the workbook was written by a program that computes no formulas "
                    "(openpyxl, or pandas' to_excel, which writes a text starting with '=' as a "
                    "formula); open it in a spreadsheet program and save it, or write such a "
                    "text as text"
                )
        elif letters == digits and kind == b"n" and value:
            try:
                if abs(float(value)) >= 1e15:  # 16 digits: Excel keeps 15
                    rounded.append(row)
            except ValueError:
                pass
    if rounded:
        warnings.warn(
            f"{path}: {len(rounded)} id(s) of column {id_name!r} are numbers of more than 15 "
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
    day (its hour unknown; :func:`skbucket.dates.timeless`). A cell is changed only where
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
        from .dates import parse_dates

        undated = parse_dates(present).isna().to_numpy()
        if not undated.any():
            return
        # the numbers that are no compact date are the ones to name (20200302 beside
        # 1583159400 named the date)
        present = present[undated]
        cells = present.tolist()
        numbers_: list[float] = [int(v) for v in cells]  # ints here, floats below
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
    from .dates import _epoch_hint, _is_compact_date, _is_excel_serial

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
    if line == 2 and fields > expected + 1:  # a title with a comma ("Posts, Oct 2020")
        hint = (
            "(is line 1 a title or a note above the header? The header must be line 1: "
            "delete the lines above it)"
        )
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


def _read_parquet(path: Path, **kwargs):
    """``pandas.read_parquet(path, **kwargs)``, also of a file pandas wrote with a list column
    (``pd.ArrowDtype(pa.list_(pa.string()))``, media as lists of URLs), which pandas' reader
    refused as "data type 'list<item: string>[pyarrow]' not understood", whatever columns it
    was asked for: it cannot read back the type that its own metadata names
    (pandas-dev/pandas#57411). Such a column is read as a Parquet list written by another
    program is, a NumPy array per cell."""
    import json

    import pandas as pd

    try:
        return pd.read_parquet(path, **kwargs)
    except TypeError as exc:
        if "not understood" not in str(exc):
            raise
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        meta = schema.pandas_metadata
        if not meta:
            raise
        unread = False
        for column in meta.get("columns", []):
            try:
                pd.api.types.pandas_dtype(column.get("numpy_type"))
            except TypeError:
                column["numpy_type"] = "object"  # as pyarrow reads a list without pandas' word
                unread = True
        if not unread:
            raise
        schema = schema.with_metadata({**schema.metadata, b"pandas": json.dumps(meta).encode()})
        return pd.read_parquet(path, schema=schema, **kwargs)


def _exact_parquet_ids(path: Path, frame):
    """``frame`` with its id column (:func:`_id_column`) as integers when the file holds
    integers: an integer column with a missing value comes back from ``read_parquet`` as
    float64, which merges 19-digit ids (and writes them as ``1.2345678901234568e+18``)."""
    import pandas as pd

    id_name = _id_column(frame.columns)
    if id_name is None or frame[id_name].dtype.kind != "f":
        return frame
    exact = _read_parquet(path, columns=[id_name], dtype_backend="numpy_nullable")
    exact = exact.reset_index()[id_name] if id_name not in exact else exact[id_name]
    if pd.api.types.is_integer_dtype(exact.dtype) and len(exact) == len(frame):
        frame = frame.assign(**{id_name: exact.to_numpy(dtype=object, na_value=None)})
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


def _refuse_inner_byte_order_mark(frame, path: Path) -> None:
    """Refuse a row of a CSV/TSV that starts with a byte-order mark (U+FEFF): files joined
    one after the other, the second without its header; pandas drops the mark at the file's
    start only, and kept this one in the row's first cell (an id ``\ufeff7`` matches none).
    Only the id column's cells, or cells that are numbers but for the mark, are refused: a
    post's text may start with the same character (a zero-width no-break space)."""
    if not len(frame.columns):
        return
    import pandas as pd

    first = frame.iloc[:, 0]
    marked = [i for i, v in enumerate(first) if isinstance(v, str) and v.startswith("\ufeff")]
    if marked and frame.columns[0] != _id_column(frame.columns):
        # a text column may start a post with a zero-width no-break space (the same
        # character, copied from a page): only a cell that is a number but for the mark
        # is taken for a joined file's
        rest = pd.Series([first.iloc[i][1:] for i in marked], dtype=object)
        number = pd.to_numeric(rest, errors="coerce").notna().to_numpy()
        marked = [i for i, is_number in zip(marked, number, strict=True) if is_number]
    if marked:
        raise CLIError(
            f"{path}: row {marked[0]} (counting rows from 0 after the header) starts with a "
            f"byte-order mark (U+FEFF), which would be read into its cell of column "
            f"{str(frame.columns[0])!r} ({len(marked)} such row(s), first rows {marked[:5]}): "
            "files joined one after the other, each starting with one? Remove it"
        )


def _marked_first_name(header: list) -> str | None:
    """The first name of a CSV/TSV header when it starts with a byte-order mark (U+FEFF),
    else None: the file's own mark written inside the first name's quotes (``"<U+FEFF>id"``, by
    a tool that read the file's mark as part of its first name and quoted every name), or
    after the file's own (two marks), where pandas drops a mark at the file's start only.
    The name was read with the mark: an ``id`` column so named was no id (its ids read as
    numbers, and left out of the predictions), a ``username`` or ``likes`` column not
    found."""
    first = header[0] if header else None
    if isinstance(first, str) and first.startswith("\ufeff") and first.lstrip("\ufeff"):
        return first
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

    positions: dict[Any, list[int]] = {}
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
    (...)"`` when the zero bytes of its start fall at one place of every two bytes (UTF-32:
    the two high bytes of every four), and hardly ever at the other (UTF-8 text has no zero
    byte: such a text's ASCII characters, its header, commas and digits, make them; a file of
    zeros, or a text padded with them, is no such text; a text with almost no ASCII
    character, as one of emoji only, is not told); else None."""
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

    def shares(width: int) -> list[float]:
        """The share of zero bytes at each place of a ``width``-byte character."""
        size = len(head) // width * width
        return [head[at:size:width].count(0) / (size // width) for at in range(width)]

    if len(head) >= 16:
        s = shares(4)  # little-endian: bytes 2 and 3 zero, byte 0 (the lowest) not
        if (s[2] >= 0.9 and s[3] >= 0.9 and s[0] <= 0.1) or (
            s[0] >= 0.9 and s[1] >= 0.9 and s[3] <= 0.1
        ):
            return (
                "UTF-32 text without a byte-order mark (the two high bytes of every four are zero)"
            )
    if len(head) >= 8:
        even, odd = shares(2)  # an ASCII character's high byte is zero, a low byte seldom
        if (odd >= 0.05 and even <= 0.01) or (even >= 0.05 and odd <= 0.01):
            return "UTF-16 text without a byte-order mark (its zero bytes fall on every other byte)"
    return None


def _first_non_utf8_line(path: Path):
    """``(line number, offending byte)`` of the first line that is not UTF-8, or None.

    Lines end as pandas and the row checks end them: at ``\r\n``, ``\n`` or a lone ``\r``
    (a CSV saved by Excel for Mac as "Comma Separated Values" is Mac Roman with ``\r``
    line ends: its byte on line 3 was said to be on line 1, the header)."""
    number = 0
    try:
        with _open(path, "rb") as fh:
            for chunk in fh:  # up to and with a "\n"
                body = chunk[:-1] if chunk.endswith(b"\n") else chunk
                body = body[:-1] if body.endswith(b"\r") and body is not chunk else body
                for line in body.split(b"\r"):
                    number += 1
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        return number, line[exc.start : exc.start + 1]
    except (OSError, EOFError):
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
    # True/False, and dates, times and durations (a Parquet timestamp column given as
    # --target, whose microseconds since 1970 pandas' to_numeric made 1.6e15 likes): no
    # number of likes, as the same column of a CSV (text) or a workbook (date cells) is not
    when = raw.dtype.kind in "mM" or isinstance(raw.dtype, pd.PeriodDtype)
    if pd.api.types.is_bool_dtype(raw.dtype) or when:
        values = pd.Series(np.nan, index=raw.index)
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
        elif np.isnan(number) and isinstance(value, str) and _ABBREVIATED.fullmatch(value):
            why = (
                f"is {value!r}, not a number (a count shortened as an app shows it? the exact "
                "number of likes is needed, which the shortened one does not tell)"
            )
        elif np.isnan(number) and when:
            why = f"is {str(value)!r} ({raw.dtype}: a date, a time or a duration), not a number"
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
    """Refuse rows whose every column but the likes (and the id, :func:`_id_column`) is
    empty, in a table of at
    least two such columns: no post, but a spreadsheet's or BI tool's total or note row
    ("Total,,53611,,,,"), which was fitted and scored as a post of 53,611 likes without a word
    (RMSE 296 became 4,369). A first or last row whose likes are the sum of every other
    row's and which holds nothing but a short label, in a table whose other rows hold more,
    is refused too (an Excel table's total row has ``Total`` in its first column, whichever
    that is: :func:`_refuse_labelled_total_row`); a total row with more than a label is not
    told from a post. ``likes``: the likes column (``predict``: as read,
    rows may lack them; only rows that hold likes are such rows)."""
    import numpy as np

    from ._cells import _is_missing

    id_name = _id_column(X.columns)  # "id", else one "ID" or "Id"
    inputs = [i for i, c in enumerate(X.columns) if id_name is None or c != id_name]
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
        f"{'' if id_name is None else ' and ' + repr(id_name)} is empty; "
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

    from ._cells import _is_missing

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

    from ._cells import _is_missing

    others = X.iloc[np.delete(np.arange(len(X)), skip), inputs]
    filled = ~others.map(_is_missing)  # the emptiness the row's own cells are judged by
    return float((filled.sum(axis=1) >= 2).mean()) if len(others) else 0.0


#: a whole number written with "." between groups of three digits (German, Spanish, ...)
_DOT_THOUSANDS = re.compile(r"\s*[1-9]\d{0,2}(?:\.\d{3})+\s*")
#: a count shortened as an app shows it: "1.2K", "3M", "4,5 k"
_ABBREVIATED = re.compile(r"\s*\d+(?:[.,]\d+)?\s*[KkMmBb]\s*")


def _refuse_grouped_thousands(raw, numbers, target, path) -> None:
    """Refuse a column of likes written as a German or Spanish export writes them: the counts
    under 1,000 as plain digits (``750``) and the others with a "." between groups of three
    (``2.750`` for 2,750), which was read as 2.75 likes without a word. Taken as they are:
    fractions of other forms (averages: ``2.5``), a fraction after a 0 (``0.125``), and a
    column whose every number is written with a point (``%.3f``: ``2.500``, ``12.000``).
    A column whose grouped counts are all whole thousands (``750``, ``1.000``, ``12``: read as
    1 like) is refused too. The text is read as written from a CSV, TSV or XLSX file (pandas
    makes floats of it)."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        fractional = np.flatnonzero(numbers != np.floor(numbers))
    if not fractional.size:
        _refuse_whole_thousands(raw, numbers, target, path)
        return
    texts = raw.to_numpy(dtype=object)
    if not isinstance(texts[fractional[0]], str):
        texts = _likes_as_written(texts, target, path)
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


def _refuse_whole_thousands(raw, numbers, target, path) -> None:
    """Refuse whole likes of which some are written with a "." between groups of three and
    the others as plain digits (``750``, ``1.000``, ``12``): the grouped ones, all whole
    thousands, were read as 1, 2, ... likes, and with no fraction in the column the check of
    :func:`_refuse_grouped_thousands` never looked. Only a column that pandas read as floats
    (from text with a point) or that holds text is looked at: an integer column has none."""
    import numbers as _numbers

    import numpy as np
    import pandas as pd

    types = pd.api.types
    # (a categorical column by its categories: a Parquet file's category of texts)
    dtype = raw.dtype.categories.dtype if isinstance(raw.dtype, pd.CategoricalDtype) else raw.dtype
    if not any(is_(dtype) for is_ in (types.is_float_dtype, types.is_string_dtype)):
        return  # integers, booleans: no point (is_string_dtype takes object columns too)
    texts = raw.to_numpy(dtype=object)
    if pd.api.types.is_float_dtype(raw.dtype):
        texts = _likes_as_written(texts, target, path)
    pointed = [i for i, t in enumerate(texts) if isinstance(t, str) and "." in t]
    if not pointed or not all(_DOT_THOUSANDS.fullmatch(texts[i]) for i in pointed):
        return
    plain = [
        i
        for i, t in enumerate(texts)
        if (isinstance(t, str) and t.strip().isdigit())
        or (isinstance(t, _numbers.Integral) and not isinstance(t, bool | np.bool_))
    ]
    if not plain:
        return
    row = pointed[0]
    grouped = texts[row].strip()
    raise CLIError(
        f"{path}: target column {target!r} holds {grouped!r} in row {row}, read as "
        f"{numbers[row]:g}; the target is a count of likes, and each number with a point in "
        f"the column ({len(pointed)} row(s), first rows {pointed[:5]}) is written so, beside "
        f"plain ones such as {str(texts[plain[0]]).strip()!r} (row {plain[0]}): is '.' a "
        f"thousands separator there ({grouped} = {grouped.replace('.', ',')})? Write the "
        f"counts without separators ({grouped.replace('.', '')})."
    )


def _likes_as_written(texts, target, path):
    """The target column of the file at ``path`` read again as text, as written, where pandas
    read it as numbers (a CSV's or TSV's floats; an Excel number cell comes back as its
    value's text, a text cell as typed); ``texts`` (as read) where the file cannot be read
    so."""
    kind = TABLE_FORMATS.get(_suffix(Path(path)))
    if kind in (*SEPARATORS, "excel"):
        import pandas as pd

        options = {"usecols": [target], "dtype": str, "keep_default_na": False}
        with contextlib.suppress(Exception):  # what cannot be read again is taken as read
            if kind == "excel":
                written = pd.read_excel(path, **options)[target]
            else:
                written = pd.read_csv(path, sep=SEPARATORS[kind], **options)[target]
            # the file may hold more rows: the empty ones below the posts, which read_table
            # drops (a line of bare delimiters after a "2.750" let it pass as 2.75 likes)
            from ._cells import _is_missing

            n = len(texts)
            if len(written) >= n and all(_is_missing(v) for v in written.iloc[n:]):
                texts = written.iloc[:n].to_numpy(dtype=object)
    return texts


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
    keys: dict[str, Any] = {}
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
