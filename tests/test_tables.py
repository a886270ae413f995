"""Reading tables of posts from files (skbucket.tables): what each format holds is read as
written, and what would be read wrongly without a word is refused, naming its row or line."""

from __future__ import annotations

import importlib.util
import re
import time

import pandas as pd
import pytest
from _tables import refuses_its_likes, tweets_workbook

from skbucket import tables
from skbucket.datasets import load_tweets


def test_a_media_cell_that_is_a_link_is_read_as_its_url(tmp_path):
    """A media cell showing 'photo' and linking to the image (a cell hyperlink, a HYPERLINK
    formula) was read as the text 'photo', which parse_media took for an image's path."""
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "links.xlsx"
    frame, book, at = tweets_workbook(path, "media")
    book.active.cell(2, at).value = "photo"
    book.active.cell(2, at).hyperlink = "https://img.example/a.jpg"
    book.active.cell(3, at).value = '=HYPERLINK("https://img.example/b.jpg","photo")'
    book.active.cell(4, at).value = "https://img.example/shown.jpg"  # a URL shown: as it is
    book.active.cell(4, at).hyperlink = "https://img.example/other.jpg"
    book.save(path)
    media = tables.read_table(path)["media"].tolist()
    assert media[:3] == [
        "https://img.example/a.jpg",
        "https://img.example/b.jpg",
        "https://img.example/shown.jpg",
    ]
    assert media[3] == frame["media"][3]
    # the XML's &amp; decoded, "" a quote
    letter = openpyxl.utils.get_column_letter(at)
    book.active[f"{letter}2"] = '=HYPERLINK("https://x.example/m?format=jpg&name=large","photo")'
    book.active[f"{letter}4"] = '=HYPERLINK("https://x.example/a""b.jpg","photo")'
    book.active[f"{letter}4"].hyperlink = None
    book.save(path)
    media = tables.read_table(path)["media"].tolist()
    assert media[0] == "https://x.example/m?format=jpg&name=large"
    assert media[2] == 'https://x.example/a"b.jpg'
    # a URL built from cells is not read; written by openpyxl, the cell holds no result
    # either (Excel's would show "photo"): read as empty, it is refused, naming the cell
    book.active[f"{letter}3"] = '=HYPERLINK("https://x.example/"&A3&".jpg","photo")'
    book.save(path)
    with pytest.raises(tables.CLIError, match=rf"cell {letter}3 .*formula .* without its result"):
        tables.read_table(path)


def test_excel_escapes_in_text_cells_are_decoded(tmp_path):
    """Excel saves a line break typed into a cell as _x000D_ and a new line; openpyxl leaves
    the escape, which reached the prompts as the letters '_x000D_'."""
    pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:82].reset_index(drop=True)
    frame["content"] = [
        "Big news_x000D_\nWatch at 5pm",
        "a literal _x005F_x000D_, _xD83D_ and file_x0041_name stay",
    ]
    path = tmp_path / "escaped.xlsm"  # a workbook with macros: read as an .xlsx
    frame.to_excel(path, index=False, engine="openpyxl")
    assert tables.read_table(path)["content"].tolist() == [
        "Big news\r\nWatch at 5pm",
        # Excel's escape of a literal; half a surrogate pair; a name pandas wrote as it is
        "a literal _x000D_, _xD83D_ and file_x0041_name stay",
    ]


def test_index_levels_of_a_parquet_file_named_as_no_column_become_columns(tmp_path):
    """An id and a date index where the table also has a date column: the id was dropped
    (no level was made a column when one of them was named as a column)."""
    frame = load_tweets().frame.iloc[:5]
    data = tmp_path / "two-levels.parquet"
    frame.set_index(["id", "date"]).assign(date=frame["date"].to_numpy()).to_parquet(data)
    read = tables.read_table(data)
    assert read["id"].tolist() == frame["id"].tolist() and "date" in read


def test_a_quoted_blank_row_is_a_short_row_not_a_blank_line(tmp_path):
    """pandas skips unquoted blank lines only: a line holding "" is a row of one empty field
    (a phantom post at predict); the check skipped it as blank and let it through."""
    for line in ('""', '"  "'):
        data = tmp_path / "quoted-blank.csv"
        data.write_text(f"username,content\nann,hi\n{line}\nbob,yo\n")
        with pytest.raises(tables.CLIError, match=r"row ending on line 3 .* has 1 field\(s\)"):
            tables.read_table(data)
    data.write_text("username,content\nann,hi\n   \n\nbob,yo\n")  # truly blank: refused
    with pytest.raises(tables.CLIError, match=r"line 3 \(line 1 is the header\) is blank, between"):
        tables.read_table(data)
    data.write_text("username,content\nann,hi\nbob,yo\n   \n\n")  # after the posts: no rows
    assert tables.read_table(data)["username"].tolist() == ["ann", "bob"]


@pytest.mark.parametrize("space", ["\u00a0", "\u3000", "\x0c", "\u2028", "\x85"])
def test_a_line_of_other_whitespace_is_a_short_row_not_a_blank_line(tmp_path, space):
    """pandas skips lines of spaces and tabs only: a line of U+00A0 (or another whitespace
    str.strip removes) is a row, whose first cell holds that character. The check took it for
    blank, so `predict` wrote a made-up prediction for it."""
    data = tmp_path / "odd-blank.csv"
    data.write_text(f"username,content\nann,hi\n{space}\nbob,yo\n", encoding="utf-8")
    with pytest.raises(tables.CLIError, match=r"row ending on line 3 .* has 1 field\(s\)"):
        tables.read_table(data)
    data.write_text("username,content\nann,hi\nbob,yo\n \t \n")  # spaces and tabs: blank
    assert tables.read_table(data)["username"].tolist() == ["ann", "bob"]


def test_an_excel_header_number_and_the_same_text_are_one_repeated_name(tmp_path):
    frame = pd.DataFrame([["a", 1.0, 2.0]], columns=["content", 2020, "2020"])
    data = tmp_path / "repeat.xlsx"
    frame.to_excel(data, index=False)
    with pytest.raises(tables.CLIError, match=r"repeats column name\(s\).*'2020' \(columns 2, 3\)"):
        tables.read_table(data)


def test_long_fields_and_whitespace_only_lines_are_read_as_pandas_reads_them(tmp_path):
    header = "id,content,likes\n"
    long = tmp_path / "long.csv"
    long.write_text(header + "1," + "x" * 200_000 + ",3\n")  # beyond csv's default field limit
    assert tables.read_table(long)["content"].str.len().tolist() == [200_000]
    blank = tmp_path / "blank.csv"
    blank.write_text(header + "1,a,3\n2,b,4\n \n\n")  # blank lines after the posts: no rows
    assert tables.read_table(blank)["id"].tolist() == ["1", "2"]


def test_a_field_that_goes_on_after_its_closing_quote_is_refused_naming_its_line(tmp_path):
    """pandas read a TSV post that starts with a quote (``"Best day" she said``) as
    ``Best day she said``, and one whose quote never closes swallowed the rows after it up
    to the next quote (three posts read as two); both passed the field count check."""
    header = "id\tdate\tlikes\tcontent\tusername\n"
    dropped = tmp_path / "dropped.tsv"
    dropped.write_text(header + '1\t2020-01-01\t5\t"Best day" she said #x\tu\n')
    merged = tmp_path / "merged.tsv"
    merged.write_text(
        header + "1\t2020-01-01\t5\tfirst\tu\n"
        '2\t2020-01-01\t5\t"Quote starts #x\tu\n'
        '3\t2020-01-01\t5\tplain "end\tu\n4\t2020-01-01\t5\tlast\tu\n'
    )
    for path, line in ((dropped, 2), (merged, 3)):
        with pytest.raises(tables.CLIError, match=f"the row starting on line {line} ") as info:
            tables.read_table(path)
        assert "starts with a double quote" in str(info.value) and "\t" not in str(info.value)
    # a quote never closed: the rest of the file one field ("unexpected end of data")
    for name, sep in (("open.tsv", "\t"), ("open.csv", ",")):
        rows = [["id", "content", "username"], ["1", '"Quote starts #x', "u"], ["2", "ok", "u"]]
        (tmp_path / name).write_text("".join(sep.join(r) + "\n" for r in rows))
        with pytest.raises(tables.CLIError, match="row starting on line 2 .* never closed"):
            tables.read_table(tmp_path / name)
    # quotes as pandas and spreadsheets write them are read as they were written
    posts = pd.DataFrame({"id": ["1", "2"], "content": ['"Best day" she said', 'a\t"b"\nc']})
    for name, sep in (("ok.tsv", "\t"), ("ok.csv", ",")):
        posts.to_csv(tmp_path / name, sep=sep, index=False)
        assert tables.read_table(tmp_path / name)["content"].tolist() == posts["content"].tolist()


def test_a_row_with_a_field_too_many_is_named_by_its_line_and_a_semicolon_file_says_so(
    tmp_path,
):
    """pandas fails first on a row in the middle with a field too many, and its "line"
    counts records, not the lines of posts that hold line breaks; a semicolon-separated
    .csv (Excel's export in many locales) got the same unhelpful message."""
    frame = load_tweets().frame.iloc[:100]
    rows = [frame.iloc[:0].to_csv(index=False)]
    rows += [frame.iloc[i : i + 1].to_csv(index=False, header=False) for i in range(100)]
    rows[43] = rows[43].rstrip("\n") + ",EXTRA\n"
    line = "".join(rows[:44]).count("\n")
    assert line > 43  # posts above it hold line breaks
    path = tmp_path / "extra-field.csv"
    path.write_text("".join(rows), encoding="utf-8")
    with pytest.raises(tables.CLIError, match=rf"row ending on line {line} .* has 8 field\(s\)"):
        tables.read_table(path)
    semicolons = tmp_path / "semicolons.csv"
    frame.to_csv(semicolons, sep=";", index=False)
    with pytest.raises(tables.CLIError, match="the file looks separated by ';'; a .csv file"):
        tables.read_table(semicolons)


def test_a_boolean_likes_column_is_refused():
    frame = pd.DataFrame({"content": ["a", "b"], "likes": [True, False]})
    with pytest.raises(tables.CLIError, match="row 0 is True, not a number"):
        tables._split_target(frame, "likes", "posts.csv")


def test_likes_written_with_a_dot_between_thousands_are_refused(tmp_path):
    """A German export writes 2,750 likes as "2.750": read as 2.75 likes, fit and evaluate
    went on without a word (r2 0.79 became -3.7 on real tweets)."""
    frame = pd.DataFrame({"content": list("abcd"), "likes": ["750", "2.750", "12", "1.138"]})
    refuses_its_likes(
        frame,
        r"holds '2\.750' in row 1, read as 2\.75;.*"
        r"\(2 row\(s\), first rows \[1, 3\]\).*thousands separator.*\(2750\)",
    )
    path = tmp_path / "german.csv"
    frame.to_csv(path, index=False)
    refuses_its_likes(path, "thousands separator")
    xlsx = tmp_path / "german.xlsx"
    frame.to_excel(xlsx, index=False)  # text cells, as typed
    refuses_its_likes(xlsx, "thousands separator")
    # fractions of another form (averages) are likes as given; so are whole numbers as 12.0, a
    # fraction after a 0, and a column whose every number has a point (written with %.3f)
    for likes in (
        ["750", "2.5", "12", "3.75"],
        ["750", "2.750", "12", "3.5"],
        ["1.0", "2.000"],
        ["0.125", "0.250", "1", "3"],
        ["2.500", "3.750", "12.000", "7.125"],
    ):
        _, y = tables._split_target(frame.iloc[: len(likes)].assign(likes=likes), "likes", "p.csv")
        assert y.tolist() == [float(v) for v in likes]
    millions = frame.assign(likes=["750", "2.750", "12", "1.138.000"])  # no number at all
    refuses_its_likes(millions, r"row 3 is '1\.138\.000', not a number \(is '\.' a ")


def test_likes_with_a_dot_between_thousands_are_refused_above_empty_rows(tmp_path):
    """The file's likes are read again as written, which a CSV with the empty rows a
    spreadsheet writes below its posts (lines of bare delimiters, dropped by read_table) did
    not do: its row count was not the table's, so "2.750" passed as 2.75 likes."""
    frame = pd.DataFrame({"content": list("abcd"), "likes": ["750", "2.750", "12", "1.138"]})
    for name, sep in (("german.csv", ","), ("german.tsv", "\t")):
        path = tmp_path / name
        path.write_text(frame.to_csv(index=False, sep=sep) + f"{sep}\n{sep}\n", encoding="utf-8")
        assert len(tables.read_table(path)) == 4  # the empty rows are no posts
        refuses_its_likes(path, r"holds '2\.750' in row 1, read as 2\.75;.*thousands separator")
    # what the rows below hold is not read as likes: a fraction with them is taken as given
    path = tmp_path / "fractions.csv"
    path.write_text(frame.assign(likes=["750", "2.5", "12", "3"]).to_csv(index=False) + ",\n")
    _, y = tables._split_target(tables.read_table(path), "likes", path)
    assert y.tolist() == [750.0, 2.5, 12.0, 3.0]


def test_lines_above_the_header_are_named_as_such(tmp_path):
    """Excel's "sep=," line and a title line above the header were reported as a row with
    more fields than "the header", with the hint "a delimiter at the end of a line, or a
    cut-off row?", pointing the wrong way."""
    frame = load_tweets().frame.iloc[:5]
    body = frame.to_csv(index=False)
    for first, said in (
        ("sep=,", r"line 1 is 'sep=,', the line Excel writes .* delete that line .*line 1\)$"),
        ("sep=;", r"line 1 is 'sep=;'.* delete that line .*, and separate the fields by ','$"),
        ("Twitter export 2020-10-27", r"is line 1 a title or a note above the header\?"),
    ):
        path = tmp_path / "above.csv"
        path.write_text(f"{first}\n{body}", encoding="utf-8")
        with pytest.raises(tables.CLIError, match=said):
            tables.read_table(path)
    # its own separator after it (no ragged row: a table of one column named 'sep=;'), and a
    # tab, which a strip() took away
    for name, first, text in (
        ("above.csv", "sep=;", frame.to_csv(index=False, sep=";")),
        ("above.csv", "sep=, ", body),  # spaces after it
        ("above.tsv", "sep=\t", frame.to_csv(index=False, sep="\t")),
    ):
        path = tmp_path / name
        path.write_text(f"{first}\n{text}", encoding="utf-8")
        with pytest.raises(
            tables.CLIError, match=rf"line 1 is {re.escape(repr(first.strip(' ')))}, the"
        ):
            tables.read_table(path)


def test_a_workbook_whose_posts_are_not_on_its_first_sheet_says_which_sheet_is_read(tmp_path):
    """A notes sheet first: "target column 'likes' not found; columns present: ['Notes']",
    with no word that only the first sheet is read."""
    path = tmp_path / "notes-first.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Notes": ["exported 2020-10-27"]}).to_excel(
            book, sheet_name="Notes", index=False
        )
        load_tweets().frame.iloc[:5].to_excel(book, sheet_name="Posts", index=False)
    refuses_its_likes(
        path, r"only the first sheet, 'Notes', is read \(sheets: \['Notes', 'Posts'\]\)"
    )


def test_a_title_above_the_header_of_a_workbook_is_named(tmp_path):
    """A title row and a blank row above the header (a BI export): "target column 'likes' not
    found; columns present: ['Twitter export 2020-10-27', 'Unnamed: 1', ...]", no word of why."""
    frame = load_tweets().frame.iloc[:5]
    path = tmp_path / "titled.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame([["Twitter export 2020-10-27"]]).to_excel(
            book, sheet_name="Posts", index=False, header=False
        )
        frame.to_excel(book, sheet_name="Posts", index=False, startrow=2)
    refuses_its_likes(path, r"'Unnamed: N' for a header cell left empty: is there a title")


def test_a_row_repeating_the_header_is_refused(tmp_path):
    """Files joined one after the other (cat a.csv b.csv), or appended to with pandas'
    to_csv(mode="a") and its header: the header line was read as a post (an account
    'username', a text 'content', an id 'id') and predict wrote a prediction for it."""
    frame = load_tweets().frame.iloc[:6]
    path = tmp_path / "appended.csv"
    frame.iloc[:3].to_csv(path, index=False)
    frame.iloc[3:].to_csv(path, index=False, mode="a")
    said = r"appended.csv: row 3 \(counting rows from 0 after the header\) repeats the header"
    with pytest.raises(tables.CLIError, match=said):
        tables.read_table(path)
    # with pandas' index column (a blank header cell, an empty cell in the repeat); a TSV
    path = tmp_path / "appended.tsv"
    frame.iloc[:2].to_csv(path, sep="\t")
    frame.iloc[2:].to_csv(path, sep="\t", mode="a")
    with pytest.raises(tables.CLIError, match=r"row 2 .* repeats the header.*mode='a'"):
        tables.read_table(path)
    # files saved as CSV UTF-8 (a byte-order mark before each header), joined
    path = tmp_path / "joined.csv"
    parts = [frame.iloc[:3].to_csv(index=False), frame.iloc[3:].to_csv(index=False)]
    path.write_bytes(b"".join(part.encode("utf-8-sig") for part in parts))
    with pytest.raises(tables.CLIError, match=r"row 3 .* repeats the header"):
        tables.read_table(path)
    # appended without the header (header=False): the posts, read as written
    path = tmp_path / "posts.csv"
    frame.iloc[:3].to_csv(path, index=False)
    frame.iloc[3:].to_csv(path, index=False, mode="a", header=False)
    assert tables.read_table(path)["id"].tolist() == frame["id"].astype(str).tolist()
    # a post whose cells hold some of the names is a post
    post = frame.astype(str).assign(content="content", username="username")
    post.to_csv(path, index=False)
    assert len(tables.read_table(path)) == 6


def test_a_sheet_row_repeating_the_header_is_refused(tmp_path):
    """A workbook's blocks of posts pasted with their header."""
    pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[:4]
    header = pd.DataFrame([frame.columns], columns=frame.columns)
    path = tmp_path / "pasted.xlsx"
    pd.concat([frame.iloc[:2].astype(str), header, frame.iloc[2:].astype(str)]).to_excel(
        path, index=False
    )
    with pytest.raises(tables.CLIError, match=r"row 2 .* repeats the header"):
        tables.read_table(path)


def test_a_path_starting_with_a_tilde_is_read_from_the_home_folder(tmp_path, monkeypatch):
    """As pandas reads it (and the command line): ``~/posts.csv`` was "not found"."""
    monkeypatch.setenv("HOME", str(tmp_path))
    frame = load_tweets().frame.iloc[:3]
    frame.to_csv(tmp_path / "posts.csv", index=False)
    assert tables.read_table("~/posts.csv")["id"].tolist() == frame["id"].astype(str).tolist()


def test_a_total_row_under_the_posts_is_refused(tmp_path):
    """A spreadsheet's "Total,,53611,,,," row was fitted and scored as a post of 53,611
    likes without a word (RMSE 296 became 4,369 on real tweets)."""
    frame = load_tweets().frame.iloc[:20].astype({"id": str})
    total = pd.DataFrame({"id": ["Total"], "likes": [frame["likes"].sum()]})
    path = tmp_path / "total.csv"
    pd.concat([frame, total], ignore_index=True).to_csv(path, index=False)
    refuses_its_likes(
        path,
        r"row 20 holds likes but no post \(every column but "
        r"'likes' and 'id' is empty; 1 such row\(s\), first rows \[20\]\).*total",
    )
    # the id headed 'ID' (no 'id'): the row held its label there, and was fitted as a post
    upper = pd.concat([frame, total], ignore_index=True).rename(columns={"id": "ID"})
    refuses_its_likes(upper, r"row 20 holds likes but no post \(every column but 'likes' and 'ID'")
    # a post of an empty text, but with its account: a post; so is an empty text in a table
    # of texts alone (a media-only post)
    X, _ = tables._split_target(frame.assign(content=" ", media=None), "likes", path)
    assert len(X) == 20
    texts = pd.DataFrame({"content": ["a", ""], "likes": [1, 2]})
    assert len(tables._split_target(texts, "likes", path)[0]) == 2


@pytest.mark.parametrize(
    ("encoding", "content", "named"),
    [
        ("utf-16-le", None, "UTF-16"),
        ("utf-16-be", None, "UTF-16"),
        ("utf-32-le", None, "UTF-32"),
        # posts in a script whose high bytes are not zero: the ASCII header still tells
        ("utf-16-le", "今天天气很好我们去公园散步吧" * 10, "UTF-16"),
        ("utf-16-be", "مرحبا بالعالم هذا اختبار" * 10, "UTF-16"),
        ("utf-32-be", "今天天气很好" * 10, "UTF-32"),
    ],
    ids=["utf16le", "utf16be", "utf32le", "utf16le-chinese", "utf16be-arabic", "utf32be-chinese"],
)
def test_utf16_and_utf32_without_a_byte_order_mark_are_named(tmp_path, encoding, content, named):
    """Their zero bytes read as UTF-8: pandas went on and failed on a count of fields."""
    frame = load_tweets().frame.iloc[:20]
    if content is not None:
        frame = frame.assign(content=content)
    path = tmp_path / "unmarked.csv"
    path.write_bytes(frame.to_csv(index=False).encode(encoding))
    with pytest.raises(tables.CLIError, match=rf"it is {named} text without a byte-order mark"):
        tables.read_table(path)


def test_a_file_of_zero_bytes_or_padded_with_them_is_not_called_utf32(tmp_path):
    """A copy cut off by a crash, or a preallocated file, was called UTF-32 text."""
    header = b"id,content,username,inferred_company,date,media,likes\n1,hi,b,a,2021-01-01,x,3\n"
    for name, raw in [("zeros.csv", b"\0" * 8000), ("padded.csv", header + b"\0" * 8000)]:
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(tables.CLIError) as info:
            tables.read_table(tmp_path / name)
        assert "UTF-16" not in str(info.value) and "UTF-32" not in str(info.value)
    (tmp_path / "posts.csv").write_bytes(header)  # UTF-8 with no zero byte: read
    assert len(tables.read_table(tmp_path / "posts.csv")) == 1


def test_utf16_of_posts_in_chinese_with_only_a_likes_column_beside_is_named(tmp_path):
    """About a tenth of its bytes are ASCII (the header, the commas, the likes): missed."""
    text = "今天天气很好，我们去公园散步吧！新品上市，欢迎大家来店里看看。"
    frame = pd.DataFrame({"content": [text] * 30, "likes": range(30)})
    path = tmp_path / "zh.csv"
    path.write_bytes(frame.to_csv(index=False).encode("utf-16-le"))
    with pytest.raises(tables.CLIError, match=r"it is UTF-16 text without a byte-order mark"):
        tables.read_table(path)


def test_likes_shortened_as_an_app_shows_them_are_named_as_such():
    """Scraped likes written "1.2K" were refused as "not a number", with no word of why a
    count that reads as one to a person is not one."""
    frame = pd.DataFrame({"content": list("abcd"), "likes": ["750", "12", "1.2K", "3M"]})
    with pytest.raises(
        tables.CLIError,
        match=r"row 2 is '1\.2K', not a number \(a count shortened as an app shows it\? .*"
        r"does not tell\) \(2 bad row",
    ):
        tables._split_target(frame, "likes", "posts.csv")
    for other in ("12 likes", "K", "1.2KB"):
        with pytest.raises(tables.CLIError, match=rf"is '{other}', not a number \(2 bad row"):
            tables._split_target(frame.assign(likes=["1", "2", other, "3M"]), "likes", "p.csv")


@pytest.mark.parametrize(
    ("parts", "named"),
    [
        (None, r"an Excel 97-2003 workbook \(\.xls\)"),
        (
            {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
            r"an OpenDocument spreadsheet \(\.ods\)",
        ),
        (
            {"xl/workbook.bin": "", "[Content_Types].xml": "<x/>"},
            r"an Excel binary workbook \(\.xlsb\)",
        ),
    ],
    ids=["xls", "ods", "xlsb"],
)
def test_a_workbook_of_another_format_named_xlsx_is_named_so(tmp_path, parts, named):
    """An .xls renamed .xlsx (the .xls suffix is refused, naming .xlsx) made pandas ask for
    xlrd or calamine: "reading excel files needs openpyxl: pip install 'skbucket[formats]'",
    with openpyxl installed."""
    import importlib.util
    import zipfile

    pytest.importorskip("openpyxl")
    if any(importlib.util.find_spec(m) for m in ("python_calamine", "xlrd", "odf", "pyxlsb")):
        pytest.skip("a reader of the other format is installed: pandas reads the file")
    path = tmp_path / "renamed.xlsx"
    if parts is None:  # the signature of an OLE2 compound file, as an .xls starts
        path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
    else:
        with zipfile.ZipFile(path, "w") as book:
            for name, text in parts.items():
                book.writestr(name, text)
    with pytest.raises(tables.CLIError, match=rf"it is {named}, not an \.xlsx .*save it as"):
        tables.read_table(path)


def test_cells_of_a_workbook_with_a_chart_tab_first_are_read_from_its_posts_sheet(tmp_path):
    """A chart sheet in front of the posts' sheet: pandas reads the first worksheet, but the
    merged cells, links and Excel errors were looked for in the chart sheet (no cells), so a
    company merged down two posts was missing from the second, an error cell read as empty."""
    pytest.importorskip("openpyxl")
    from openpyxl.chart import BarChart, Reference

    path = tmp_path / "chart-first.xlsx"
    frame, book, at = tweets_workbook(path, "inferred_company")
    sheet = book.active
    sheet.cell(3, at).value = None
    sheet.merge_cells(start_row=2, start_column=at, end_row=3, end_column=at)
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=at, min_row=1, max_row=5))
    book.create_chartsheet("Chart", 0).add_chart(chart)
    book.save(path)
    assert tables._sheet_names(path) == ["Sheet1"]
    company = tables.read_table(path)["inferred_company"].tolist()
    assert company == [frame["inferred_company"][0]] * 2 + frame["inferred_company"][2:].tolist()
    sheet.unmerge_cells(start_row=2, start_column=at, end_row=3, end_column=at)
    sheet.cell(3, at).value = "#DIV/0!"  # an error cell, as test_cli's Excel error tests make
    sheet.cell(3, at).data_type = "e"
    book.save(path)
    with pytest.raises(tables.CLIError, match=r"holds the Excel error #DIV/0!"):
        tables.read_table(path)


def test_a_title_with_a_comma_above_the_header_is_named_as_such(tmp_path):
    """A title line holding a comma ("Twitter export, October 2020") was a header of two
    fields, and the first row's seven fields were said to be "a delimiter at the end of a
    line, or a cut-off row?"; one field too many on every row still says so."""
    frame = load_tweets().frame.iloc[:5]
    path = tmp_path / "titled.csv"
    path.write_text(f"Twitter export, October 2020\n{frame.to_csv(index=False)}")
    with pytest.raises(tables.CLIError, match=r"line 2 .*is line 1 a title or a note above"):
        tables.read_table(path)
    body = frame.to_csv(index=False).splitlines()
    path.write_text("\n".join([body[0]] + [line + "," for line in body[1:]]) + "\n")
    with pytest.raises(tables.CLIError, match=r"a delimiter at the end of a line, or a cut-off"):
        tables.read_table(path)


def test_a_likes_column_of_dates_times_or_durations_is_refused(tmp_path):
    """A Parquet timestamp column given as the target was taken as likes: pandas' to_numeric
    makes microseconds since 1970 of it (1.6e15 likes), while the same column of a CSV is
    text and refused; so are durations and periods."""
    frame = load_tweets().frame.iloc[80:84].reset_index(drop=True)
    path = tmp_path / "dated-likes.parquet"
    frame.assign(likes=pd.to_datetime(frame["date"], format="mixed")).to_parquet(path)
    refuses_its_likes(path, r"row 0 is '20\d\d-.*' \(datetime64\[\w+\]: a date, a time or a dur")
    for likes in (
        pd.to_datetime(["2020-01-01 10:00", None]).tz_localize("UTC"),
        pd.to_timedelta([1, 2], unit="s"),
        pd.period_range("2020-01", periods=2, freq="M"),
    ):
        refuses_its_likes(
            pd.DataFrame({"content": ["a", "b"], "likes": likes}), r"row 0 is .*, not a number"
        )


def test_a_file_of_another_kind_named_csv_is_named_so(tmp_path):
    """A workbook, a Parquet file or a gzip-compressed CSV named .csv (a download saved
    without its suffix, a workbook renamed) was said to be text that is not UTF-8 ("line 1
    holds the byte b'\\x8b' ...: re-save it as UTF-8"), or to have a row of 35 fields."""
    import bz2
    import gzip
    import lzma
    import zipfile

    frame = load_tweets().frame.iloc[80:84].reset_index(drop=True)
    kept = tmp_path / "kept.csv"
    frame.to_csv(kept, index=False)

    def zipped(path):
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(kept, "posts.csv")

    made = {
        "gzip-compressed, whatever its name says: decompress it": lambda p: p.write_bytes(
            gzip.compress(kept.read_bytes())
        ),
        "a Parquet file, not text, whatever its name says: name it .parquet": frame.to_parquet,
        "a zip archive, not text: unzip it": zipped,
        # bzip2 or xz: said to be text that is not UTF-8 ("re-save it as UTF-8")
        "bzip2-compressed, not text, whatever its name says: decompress it": lambda p: (
            p.write_bytes(bz2.compress(kept.read_bytes()))
        ),
        "xz-compressed, not text, whatever its name says: decompress it": lambda p: p.write_bytes(
            lzma.compress(kept.read_bytes())
        ),
    }
    if importlib.util.find_spec("openpyxl"):
        made[r"an Excel workbook \(\.xlsx\), not text, whatever its name says: name it .xlsx"] = (
            lambda p: frame.to_excel(p, index=False, engine="openpyxl")
        )
    for said, write in made.items():
        for suffix in (".csv", ".tsv"):
            path = tmp_path / f"download{suffix}"
            write(path)
            with pytest.raises(tables.CLIError, match=rf"as {suffix[1:]}: it is {said}"):
                tables.read_table(path)
    # a .csv.gz is read as one, and a .tsv.gz as a compressed TSV (its hint said to name
    # it .csv.gz, which would read its tabs as part of one column)
    path = tmp_path / "posts.csv.gz"
    path.write_bytes(gzip.compress(kept.read_bytes()))
    assert tables.read_table(path)["content"].tolist() == frame["content"].tolist()
    tabs = tmp_path / "posts.tsv.gz"
    tabs.write_bytes(gzip.compress(frame.to_csv(sep="\t", index=False).encode()))
    pd.testing.assert_frame_equal(tables.read_table(tabs), tables.read_table(path))


def test_a_byte_that_is_not_utf8_is_named_on_its_line_whatever_the_line_ends(tmp_path):
    """Excel for Mac's "Comma Separated Values" is Mac Roman text with a lone carriage return
    ending each line, which pandas and the row checks read as line ends: the 'é' of row 2
    (line 4) was said to be on line 1, the header."""
    frame = load_tweets().frame.iloc[80:84].reset_index(drop=True)
    frame.loc[2, "content"] = "Caf\u00e9 opens at 9"
    for ending, encoding in (("\r", "mac_roman"), ("\r\n", "cp1252"), ("\n", "latin-1")):
        path = tmp_path / "mac.csv"
        text = frame.to_csv(index=False, lineterminator=ending)
        path.write_bytes(text.encode(encoding))
        with pytest.raises(tables.CLIError, match=r"line 4 \(line 1 is the header\) holds the b"):
            tables.read_table(path)
        path.write_bytes(text.encode("utf-8"))
        assert tables.read_table(path)["content"][2] == "Caf\u00e9 opens at 9"


def test_likes_of_whole_thousands_with_a_dot_between_them_are_refused(tmp_path):
    """A German export's counts of whole thousands ("1.000" for 1,000, beside "750") hold no
    fraction, so the check of grouped thousands never looked: 1,000 likes were read as 1."""
    frame = pd.DataFrame({"content": list("abcd"), "likes": ["750", "1.000", "12", "2.000"]})
    said = (
        r"holds '1\.000' in row 1, read as 1;.*each number with a point in the column "
        r"\(2 row\(s\), first rows \[1, 3\]\).*beside plain ones such as '750' \(row 0\).*"
        r"thousands separator there \(1\.000 = 1,000\)\?.*\(1000\)"
    )
    refuses_its_likes(frame, said)
    path = tmp_path / "german-thousands.csv"
    frame.to_csv(path, index=False)
    assert tables.read_table(path)["likes"].dtype.kind == "f"  # pandas read 1.0, 750.0, ...
    refuses_its_likes(path, said)
    xlsx = tmp_path / "german-thousands.xlsx"
    frame.assign(likes=[750, "1.000", 12, "2.000"]).to_excel(
        xlsx, index=False
    )  # numbers beside text
    refuses_its_likes(xlsx, said)
    # taken as given: every count written with a point (%.3f), a point of another form beside
    # them, and whole numbers with no point at all
    for likes in (["1.000", "2.000"], ["750", "1.000", "12.0"], ["750", "1000", "12"]):
        path = tmp_path / "as-given.csv"
        frame.iloc[: len(likes)].assign(likes=likes).to_csv(path, index=False)
        _, y = tables._split_target(tables.read_table(path), "likes", path)
        assert y.tolist() == [float(v) for v in likes]


def test_a_formula_cell_without_its_result_is_refused_not_read_as_empty(tmp_path):
    """A workbook written by a program that computes no formulas (openpyxl; pandas' to_excel
    writes a post whose text starts with "=" as a formula) holds no result for them: pandas
    read such a cell as empty, so the post had no text, or its likes were said missing (an
    empty cell). A formula whose result is held, or is the empty text, is read as it is."""
    pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:84].reset_index(drop=True)
    frame.loc[1, "content"] = "=) what a day <hyperlink>"
    path = tmp_path / "formula.xlsx"
    frame.to_excel(path, index=False)
    letter = "ABCDEFGHIJ"[list(frame.columns).index("content")]
    with pytest.raises(
        tables.CLIError,
        match=rf"cell {letter}3 \(column 'content', row 1 .*holds the formula '=\) what a day",
    ):
        tables.read_table(path)
    # Excel's own: a result held (a number, a text), or the empty text (t="str", no value)
    frame.loc[1:2, "content"] = ["computed", "blank"]
    frame.to_excel(path, index=False)
    at = letter.encode()
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(
            b'<c r="%s3" t="inlineStr"><is><t>computed</t></is></c>' % at,
            b'<c r="%s3" t="str"><f>"comp"&amp;"uted"</f><v>computed</v></c>' % at,
        ).replace(
            b'<c r="%s4" t="inlineStr"><is><t>blank</t></is></c>' % at,
            b'<c r="%s4" t="str"><f>""</f><v></v></c>' % at,
        ),
    )
    read = tables.read_table(path)
    assert read["content"][1] == "computed"
    assert pd.isna(read["content"][2])


def test_the_uncomputed_formula_check_is_linear_in_a_run_of_spaces():
    """The check for a formula cell without its result runs on every workbook's whole sheet:
    a run of spaces after a formula was split between two ``\\s*`` every way, quadratic in
    its length (100,000 spaces took about 10 s; a megabyte, a few KB zipped, a quarter of an
    hour). What it finds is unchanged."""
    start = time.perf_counter()
    assert tables._UNCOMPUTED.search(b'<c r="A2"><f/>' + b" " * 100_000 + b"x") is None
    assert time.perf_counter() - start < 2
    for found in (
        b'<c r="A2"><f>B2</f></c>',
        b'<c r="A2"><f>B2</f> <v/> </c>',
        b'<c r="A2"><f t="shared" si="0"/>\n<v> </v>\n</c>',
        b'<x:c r="A2"><x:f>B2</x:f><x:v></x:v></x:c>',
    ):
        assert tables._UNCOMPUTED.search(found) is not None, found
    for held in (
        b'<c r="A2"><f>B2</f><v>3</v></c>',
        b'<c r="A2" t="str"><f>B2</f> <v>x</v> </c>',
        b'<c r="A2" t="s"><v>3</v></c>',
    ):
        assert tables._UNCOMPUTED.search(held) is None, held


def _rewrite_sheet(path, edit):
    """Rewrite the first sheet's XML of the workbook ``path`` with ``edit(xml) -> xml``."""
    import zipfile

    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    name = "xl/worksheets/sheet1.xml"
    edited = edit(parts[name])
    assert edited.count(b"<f>") == parts[name].count(b"<f>") + 2  # both cells rewritten
    parts[name] = edited
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for part, data in parts.items():
            book.writestr(part, data)


def test_whole_thousands_with_a_dot_in_a_categorical_likes_column_are_refused(tmp_path):
    """A Parquet file's likes stored as a category of texts ('750', '1.000', '12'): the
    check of grouped whole thousands looked at float and text columns only, so 1,000 likes
    were read as 1."""
    pytest.importorskip("pyarrow")
    frame = load_tweets().frame.iloc[80:83].reset_index(drop=True)
    frame["likes"] = pd.Categorical(["750", "1.000", "12"])
    path = tmp_path / "posts.parquet"
    frame.to_parquet(path)
    refuses_its_likes(path, r"holds '1\.000' in row 1, read as 1;")


@pytest.mark.parametrize("name", ["book.xlsx", "book.csv"])
def test_a_password_protected_workbook_is_named_so(tmp_path, name):
    """Excel saves a workbook with a password as an OLE2 compound file holding an
    ``EncryptedPackage`` stream: it was named "an Excel 97-2003 workbook (.xls)", to be
    saved as .xlsx, which it already was."""
    path = tmp_path / name
    entries = b"".join(
        n.encode("utf-16-le").ljust(64, b"\0") for n in ("EncryptionInfo", "EncryptedPackage")
    )
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + entries + bytes(256))
    with pytest.raises(tables.CLIError, match="password-protected") as caught:
        tables.read_table(path)
    assert ".xls)" not in str(caught.value) and "remove the password" in str(caught.value)


def test_a_byte_order_mark_inside_a_csv_is_refused_naming_its_row(tmp_path):
    """Two files each starting with a byte-order mark, joined (the second without its
    header): pandas drops the first mark only, and the second was read into an id cell."""
    frame = pd.DataFrame({"id": ["1", "2", "3"], "content": ["a b", "c d", "e f"]})
    path = tmp_path / "joined.csv"
    head, tail = (
        frame.iloc[:2].to_csv(index=False),
        frame.iloc[2:].to_csv(index=False, header=False),
    )
    path.write_text("\ufeff" + head + "\ufeff" + tail, encoding="utf-8")
    with pytest.raises(
        tables.CLIError,
        match=r"row 2 \(counting rows from 0 after the header\) "
        r"starts with a byte-order mark \(U\+FEFF\).* column 'id'",
    ):
        tables.read_table(path)
    path.write_text("\ufeff" + head + tail, encoding="utf-8")  # the file's own mark: fine
    assert tables.read_table(path)["id"].tolist() == ["1", "2", "3"]
    # a post's text starting with a zero-width no-break space (U+FEFF too) is no joined file
    text = pd.DataFrame({"content": ["\ufeffhello there", "c d"], "likes": [3, 4]})
    text.to_csv(path, index=False)
    assert tables.read_table(path)["content"].tolist() == ["\ufeffhello there", "c d"]
    # a joined file whose first column is a number but no id is still refused
    path.write_text("likes,content\n3,a b\n\ufeff4,c d\n", encoding="utf-8")
    with pytest.raises(tables.CLIError, match=r"row 1 .* column 'likes'"):
        tables.read_table(path)


@pytest.mark.parametrize(
    "header", ['"\ufeffid","username"', "\ufeff\ufeffid,username", '\ufeff"\ufeffid",username']
)
def test_a_byte_order_mark_inside_the_first_header_name_is_not_part_of_it(tmp_path, header):
    """A tool that read a file's byte-order mark as part of its first name and wrote it back
    quoted ("\ufeffid"), or a second mark after the file's own: pandas drops a mark at the
    file's start only, and the name kept it: an id column so named was no id (its ids read
    as numbers, 007 as 7, and left out of the predictions), a username column not found."""
    path = tmp_path / "marked.csv"
    path.write_text(f"{header}\n007,ada\n1000000000123457149,bob\n", encoding="utf-8")
    frame = tables.read_table(path)
    assert list(frame.columns) == ["id", "username"]
    assert frame["id"].tolist() == ["007", "1000000000123457149"]
    # a name that repeats another without its mark is a repeat
    path.write_text('"\ufeffid",id\n1,2\n', encoding="utf-8")
    with pytest.raises(tables.CLIError, match=r"repeats column name\(s\) in its header: 'id'"):
        tables.read_table(path)


@pytest.mark.parametrize("name", ["ID", "Id"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx"])
def test_an_id_column_named_in_another_case_is_read_as_text(tmp_path, name, suffix):
    """An id column headed 'ID' or 'Id' (a spreadsheet's, a database export's) was read as
    numbers where 'id' is text: leading zeros lost, 19-digit ids merged, every id a float
    when one was empty."""
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:83].reset_index(drop=True).drop(columns="id")
    ids = ["00360", "1000000000123457149", "1000000000123457150"]
    frame.insert(0, name, ids)
    path = tmp_path / f"ids{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    assert tables.read_table(path)[name].tolist() == ids
    assert tables._id_column(["post_id", "Unnamed: 0", "content"]) is None  # not widened
    assert tables._id_column(["ID", "id"]) == "id"  # 'id' itself first


def test_exact_parquet_ids_and_rounded_excel_ids_under_an_id_column_named_ID(tmp_path):
    """An 'ID' column of integers with a missing one came back from a Parquet file as
    floats (19-digit ids merged), and 19-digit numbers in a workbook's 'ID' column (held
    rounded by Excel) came back as one repeated id with no word, as 'id' no longer does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = load_tweets().frame.iloc[80:83].reset_index(drop=True).drop(columns="id")
    ids = [1234567890123456789, None, 1234567890123456781]
    path = tmp_path / "ids.parquet"
    table = pa.Table.from_pandas(frame, preserve_index=False)  # no pandas metadata
    pq.write_table(table.append_column("ID", pa.array(ids, pa.int64())), path)
    assert tables.read_table(path)["ID"].tolist() == ids
    pytest.importorskip("openpyxl")
    path = tmp_path / "ids.xlsx"
    frame.assign(ID=[1234567890123456789 + i for i in range(3)]).to_excel(path, index=False)
    with pytest.warns(UserWarning, match=r"3 id\(s\) of column 'ID' are numbers of more than"):
        tables.read_table(path)


def test_a_parquet_file_pandas_wrote_with_a_list_column_is_read(tmp_path):
    """Media as lists of URLs (``pd.ArrowDtype(pa.list_(pa.string()))``) saved with
    ``to_parquet``: every command refused the file ("cannot read ... as parquet: data type
    'list<item: string>[pyarrow]' not understood", pandas-dev/pandas#57411), its id column
    read alone too. The lists are read as a list written by another program is (an array
    per cell), every other column as pandas reads it."""
    import pyarrow as pa

    from skbucket.media import parse_media

    frame = load_tweets().frame.iloc[:4].reset_index(drop=True)
    lists = [["https://x/a.jpg", "https://x/b.jpg"], [], None, ["https://x/c.jpg"]]
    media = pd.Series(lists, dtype=pd.ArrowDtype(pa.list_(pa.string())))
    path = tmp_path / "lists.parquet"
    frame.assign(media=media, id=frame["id"].astype(float)).to_parquet(path)
    read = tables.read_table(path)
    assert [[ref.url for ref in parse_media(cell)] for cell in read["media"]] == [
        lists[0],
        [],
        [],
        lists[3],
    ]
    plain = tmp_path / "plain.parquet"
    frame.assign(id=frame["id"].astype(float)).drop(columns="media").to_parquet(plain)
    pd.testing.assert_frame_equal(read.drop(columns="media"), tables.read_table(plain))
    assert tables._read_parquet(path, columns=["id"])["id"].tolist() == frame["id"].tolist()


def test_two_id_columns_in_other_cases_name_neither_as_the_id_and_say_so(tmp_path):
    """'ID' and 'Id' without 'id': which is the posts' id cannot be told, so neither is taken
    (read as the table holds them), and a warning names both."""
    frame = load_tweets().frame.iloc[80:83].reset_index(drop=True).drop(columns="id")
    path = tmp_path / "two.csv"
    frame.assign(ID=["007", "8", "9"], Id=["1", "2", "3"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"two.csv: columns 'ID', 'Id' each name the posts' id"):
        read = tables.read_table(path)
    assert read["ID"].tolist() == [7, 8, 9]  # not the id: read as pandas reads it
    assert tables._id_column(read.columns) is None
