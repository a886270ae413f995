"""The ``skbucket`` command line: fit / predict / evaluate / report, and its one-line errors."""

from __future__ import annotations

import argparse
import html
import importlib.resources
import json
import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _tables import refuses_its_likes, tweets_workbook
from _tiny_distilbert import make_tiny_distilbert

from skbucket import _modelfile, _models, cli, tables
from skbucket.datasets import load_captioned_posts, load_tweets


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return make_tiny_distilbert(tmp_path_factory.mktemp("tiny-distilbert"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def posts_csv(workdir):
    """80 real posts with text and likes, as the user's CSV.GZ file."""
    frame = load_tweets().frame.iloc[:80]
    path = workdir / "posts.csv.gz"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def new_posts_csv(workdir):
    """80 other real posts, none of them among the model's training posts (``posts_csv``)."""
    frame = load_tweets().frame.iloc[80:160]
    path = workdir / "new-posts.csv.gz"
    frame.to_csv(path, index=False)
    return path


def _training_posts_line(n, total, share):
    """The warning ``evaluate`` and ``report`` give for ``n`` of ``total`` training posts."""
    return (
        f"[skbucket] warning: {n} of the {total} posts scored ({share}) were among the model's "
        "training posts (the same username, inferred_company, date, media and content): the "
        "errors on them show how well it fits the posts it learned from, not how it does on "
        "new posts; score it on posts it was not fitted on.\n"
    )


@pytest.fixture(scope="module")
def config(workdir, tiny_model):
    path = workdir / "config.json"
    path.write_text(
        json.dumps(
            {"caption_model": None, "text_model": tiny_model, "epochs": 1, "random_state": 0}
        )
    )
    return path


@pytest.fixture(scope="module")
def model_file(workdir, posts_csv, config):
    path = workdir / "model.joblib"
    assert (
        cli.main(["fit", str(posts_csv), "--model", str(path), "--config", str(config), "-q"]) == 0
    )
    return path


def run(args, capsys):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_predicts_in_memory(model_file, data, frame, out_csv, capsys):
    """``skbucket predict`` of ``data`` writes ``frame``'s ids and the in-memory predictions."""
    code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
    assert code == 0, err
    preds = pd.read_csv(out_csv)
    assert list(preds.columns) == ["id", "prediction"]
    assert preds["id"].tolist() == frame["id"].tolist()
    expected = cli.load_model(model_file).predict(frame.drop(columns=["likes"]))
    assert preds["prediction"].to_numpy() == pytest.approx(expected)


def read_model_file(path):
    """``(header, estimator)`` of a model file written by ``skbucket fit``."""
    with open(path, "rb") as fh:
        return pickle.load(fh), joblib.load(fh)


def test_fit_writes_a_versioned_model_file(model_file):
    header, model = read_model_file(model_file)
    assert header["skbucket_model_file"] == cli.MODEL_FILE_FORMAT == 2
    assert header["versions"]["skbucket"] and set(header) == {
        "skbucket_model_file",
        "versions",
        "target",  # plain text, which the format-2 readers of earlier versions pass over
    }
    assert header["target"] == "likes"
    assert [name for name, _ in model.steps] == ["caption", "prompt", "features", "model"]


@pytest.mark.parametrize("module", ["gzip", "bz2", "lzma"])
def test_a_model_file_compressed_as_a_whole_is_read(model_file, posts_csv, workdir, module, capsys):
    """A gzipped model file was refused as "format 2, this skbucket reads format 2; refit it"
    (hours of captioning thrown away for want of a gunzip)."""
    import importlib
    import shutil

    packed = workdir / f"model.joblib.{module}"
    with open(model_file, "rb") as src, importlib.import_module(module).open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert cli._saved_target(packed) == "likes"
    out = workdir / f"from-{module}.csv"
    assert_predicts_in_memory(packed, posts_csv, pd.read_csv(posts_csv), out, capsys)
    np.testing.assert_array_equal(
        pd.read_csv(out)["prediction"],
        cli.load_model(model_file).predict(pd.read_csv(posts_csv).drop(columns="likes")),
    )


@pytest.mark.parametrize(
    ("suffix", "module", "magic"),
    [
        (".gz", "gzip", b"\x1f\x8b"),
        (".bz2", "bz2", b"BZh"),
        (".XZ", "lzma", b"\xfd7zXZ"),
        (".lzma", "lzma", b"\x5d\x00\x00"),  # the legacy format, as joblib.dump writes it
    ],
)
def test_a_model_file_named_as_compressed_is_written_compressed(
    model_file, posts_csv, workdir, suffix, module, magic, capsys
):
    """``skbucket fit --model model.joblib.gz`` wrote the plain pickle under the .gz name
    (``gunzip`` refused it, and it took the space of an uncompressed one), where joblib.dump
    compresses such a name and load_model reads it compressed."""
    import importlib

    packed = workdir / f"written.joblib{suffix}"
    cli.save_model(cli.load_model(model_file), packed, target="likes")
    assert packed.read_bytes().startswith(magic)
    with importlib.import_module(module).open(packed, "rb") as fh:  # whole, as its tool reads it
        assert fh.read()[:1] == b"\x80"  # the header pickle, the whole file decompressed
    assert cli._saved_target(packed) == "likes"
    assert sorted(p.name for p in workdir.glob(".written*")) == []  # no temporary file left
    if module == "gzip":  # gunzip -N restores the name without .gz, not the temporary file's
        assert packed.read_bytes()[10:].startswith(b"written.joblib\x00")
    out = workdir / f"written-{module}.csv"
    assert_predicts_in_memory(packed, posts_csv, pd.read_csv(posts_csv), out, capsys)


@pytest.mark.parametrize("suffix", [".zip", ".ZIP", ".7z", ".tgz", ".z", ".lz4", ".zst"])
def test_a_model_file_name_promising_a_format_not_written_is_refused(
    model_file, posts_csv, config, workdir, suffix, capsys
):
    """``--model model.joblib.zip`` (or ``.lzma`` before it was compressed) was the plain
    pickle under a name that unzip, 7z, tar, ... refuse: refused now, before the fit."""
    from skbucket.io import PersistenceError

    out = workdir / "refused" / f"m.joblib{suffix}"
    code, _, err = run(["fit", posts_csv, "--model", out, "--config", config], capsys)
    assert code == cli.EXIT_ERROR and "fitting" not in err, err
    assert err == (
        f"skbucket fit: error: --model {str(out)!r}: a name ending in {suffix} promises "
        f"{_modelfile._UNWRITTEN_SUFFIXES[suffix.lower()]}, which a model file is not written as "
        "(it is one file, compressed as a whole when its name ends in .gz, .bz2, .xz or "
        ".lzma); name it e.g. m.joblib or m.joblib.gz\n"
    )
    with pytest.raises(PersistenceError, match=rf"cannot save the model to .*{suffix}': a name"):
        cli.save_model(cli.load_model(model_file), out)
    assert not out.parent.exists()  # nothing written, no folder made


def test_a_zipped_model_file_is_named_as_such(model_file, posts_csv, workdir, capsys):
    """A model file zipped to be sent was called "not a model file ...: is it the DATA?"."""
    import zipfile

    zipped = workdir / "sent.zip"
    with zipfile.ZipFile(zipped, "w") as book:
        book.write(model_file, "model.joblib")
    code, _, err = run(["evaluate", zipped, posts_csv], capsys)
    assert code == cli.EXIT_ERROR
    assert err == (
        f"skbucket evaluate: error: {zipped} is a zip archive (of ['model.joblib']), not a "
        "model file written by `skbucket fit`: if it holds one, unzip it and give that file (a "
        "model file compressed with gzip, bzip2, xz or lzma is read as it is); is it the DATA? "
        "(skbucket predict MODEL DATA ...)\n"
    )


@pytest.mark.parametrize(
    ("magic", "name"), [(b"\x28\xb5\x2f\xfd", "zstd"), (b"\x04\x22\x4d\x18", "lz4")]
)
def test_a_model_file_compressed_with_zstd_or_lz4_says_so(posts_csv, workdir, magic, name, capsys):
    packed = workdir / f"model.joblib.{name}"
    packed.write_bytes(magic + b"compressed bytes")
    code, _, err = run(["evaluate", packed, posts_csv], capsys)
    assert code == cli.EXIT_ERROR, err
    assert f"is compressed with {name}, which the command line does not read: decompress" in err


def test_a_tilde_path_left_by_the_shell_is_the_home_folder(
    model_file, posts_csv, tmp_path, monkeypatch, capsys
):
    """``--output=~/preds.csv`` (the shell expands no ``~`` after ``=``) wrote the predictions
    into a new folder ``~`` of the working directory, saying they were written to
    ``~/preds.csv``; a DATA of ``'~/posts.csv'`` was not found."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))  # Windows' home
    monkeypatch.chdir(work)
    (home / "posts.csv.gz").write_bytes(posts_csv.read_bytes())
    code, _, err = run(
        ["predict", model_file, "~/posts.csv.gz", "--output=~/out/preds.csv", "-q"], capsys
    )
    assert code == 0, err
    assert not (work / "~").exists()
    preds = pd.read_csv(home / "out" / "preds.csv")
    assert len(preds) == len(pd.read_csv(posts_csv))


def test_a_folder_given_as_the_model_file_is_named_as_a_folder(posts_csv, workdir, capsys):
    code, _, err = run(["evaluate", workdir, posts_csv], capsys)
    assert code == cli.EXIT_ERROR and f"{workdir} is a folder, not a model file" in err, err


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_predict_reads_every_format_and_writes_one_row_per_post(
    model_file, workdir, suffix, capsys
):
    frame = load_tweets().frame.iloc[80:90]
    data = workdir / f"new{suffix}"
    {".csv": frame.to_csv, ".parquet": frame.to_parquet, ".xlsx": frame.to_excel}[suffix](
        data, index=False
    )
    assert_predicts_in_memory(model_file, data, frame, workdir / f"preds{suffix}.csv", capsys)


@pytest.mark.parametrize(("suffix", "package"), [(".parquet", "pyarrow"), (".xlsx", "openpyxl")])
def test_a_missing_reader_package_names_the_extra_that_adds_it(
    model_file, workdir, suffix, package, capsys, monkeypatch
):
    # the reader's ImportError was a "cannot read" input error, without the pip install
    frame = load_tweets().frame.iloc[80:85]
    data = workdir / f"no-{package}{suffix}"
    {".parquet": frame.to_parquet, ".xlsx": frame.to_excel}[suffix](data, index=False)
    monkeypatch.setitem(sys.modules, package, None)
    code, _, err = run(["predict", model_file, data, "-o", workdir / "p.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR
    assert f"needs {package}: pip install 'skbucket[formats]'" in err, err
    # installed, but older than pandas reads with: installing the extra changed nothing
    monkeypatch.undo()
    module = pytest.importorskip(package)
    monkeypatch.setattr(module, "__version__", "1.0.0")
    code, _, err = run(["predict", model_file, data, "-o", workdir / "p.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR
    assert f"needs a newer {package}: " in err and "'1.0.0' currently installed" in err, err
    assert f"(pip install -U {package})" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("torch", "pip install 'skbucket[all]' installs every optional part"),
        ("skbucket._frames", "skbucket's own files are of different versions: reinstall it"),
        ("skbucket_plugins", "pip install 'skbucket[all]' installs every optional part"),
        # a package the base install requires: no extra adds it (it said skbucket[all])
        ("catboost", "catboost is one of skbucket's own dependencies: reinstall it"),
    ],
)
def test_an_import_error_is_blamed_on_what_is_missing(
    model_file, workdir, capsys, monkeypatch, name, hint
):
    """An ImportError of skbucket's own (files of two versions, a half-done upgrade) was
    answered with 'pip install skbucket[all]', which does not help."""

    def fail(path, columns=None):
        raise ImportError(f"cannot import name 'X' from {name!r}", name=name)

    monkeypatch.setattr(cli, "read_table", fail)
    code, _, err = run(
        ["predict", model_file, workdir / "posts.csv.gz", "-o", workdir / "p.csv"], capsys
    )
    assert code == cli.EXIT_ERROR and hint in err, err


def test_without_torch_a_command_says_so_in_one_line(model_file, workdir):
    """With transformers installed but not torch, transformers' own "PyTorch was not found.
    Models won't be available ..." came first on stderr, above skbucket's line."""
    import subprocess

    script = (
        "import importlib.abc, sys\n"
        "class NoTorch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from skbucket.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    args = ["predict", str(model_file), str(workdir / "posts.csv.gz"), "-o", "never.csv", "-q"]
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workdir,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == cli.EXIT_ERROR, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "need torch" in lines[0], proc.stderr
    assert "pip install 'skbucket[text]'" in lines[0], proc.stderr


def test_a_warning_made_an_error_by_the_users_filters_is_one_line(model_file, workdir):
    """Under PYTHONWARNINGS=error, skbucket's own data warning (an unparseable date) ended
    the command with a 40-line traceback."""
    import subprocess

    table = pd.read_csv(workdir / "posts.csv.gz")
    table.loc[3, "date"] = "garbage"
    data = workdir / "one-bad-date.csv"
    table.to_csv(data, index=False)
    env = {**os.environ, "PYTHONWARNINGS": "error", "HF_HUB_OFFLINE": "1"}
    args = ["predict", str(model_file), str(data), "-o", str(workdir / "never.csv"), "-q"]
    proc = subprocess.run(
        [sys.executable, "-m", "skbucket.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == cli.EXIT_ERROR and "Traceback" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("skbucket predict: error: UnparseableDateWarning: "), line
    assert line.endswith("made an error by Python's warning filters: PYTHONWARNINGS or -W)")
    assert not (workdir / "never.csv").exists()


def test_output_to_a_code_page_without_its_letters_is_escaped_not_an_error(model_file, workdir):
    """On Windows a redirected standard output uses the ANSI code page: the interval note
    quoting a group column named in CJK letters was a UnicodeEncodeError after every post was
    predicted, blamed on the data file."""
    import subprocess

    table = pd.read_csv(workdir / "posts.csv.gz")
    data = workdir / "cjk-group.csv"
    table.assign(**{"会社": table["inferred_company"]}).to_csv(data, index=False)
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "HF_HUB_OFFLINE": "1"}
    args = ["evaluate", str(model_file), str(data), "--group-column", "会社", "-q"]
    proc = subprocess.run(
        [sys.executable, "-m", "skbucket.cli", *args], capture_output=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert b"\\u4f1a\\u793e" in proc.stdout  # 会社, escaped


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".parquet", ".xlsx"])
def test_a_repeated_column_name_is_a_one_line_error_naming_it(model_file, workdir, suffix, capsys):
    # pandas would rename the second 'likes' to 'likes.1' (csv, xlsx) or fail with the
    # parquet schema: the repeat is named with its positions instead
    frame = load_tweets().frame.iloc[:5]
    frame = pd.concat([frame, frame[["likes"]]], axis=1)
    data = workdir / f"repeated{suffix}"
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_arrays(
            [pa.array(frame.iloc[:, i].tolist()) for i in range(frame.shape[1])],
            names=[str(c) for c in frame.columns],
        )
        pq.write_table(table, data)
    elif suffix == ".xlsx":
        frame.to_excel(data, index=False)
    else:
        frame.to_csv(data, index=False, sep="\t" if suffix == ".tsv" else ",")
    where = f"{frame.columns.get_loc('likes').nonzero()[0][0] + 1}, {frame.shape[1]}"
    with pytest.raises(
        cli.CLIError, match=rf"repeats column name\(s\).*'likes' \(columns {where}\)"
    ):
        tables.read_table(data)
    code, _, err = run(["evaluate", model_file, data], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert "repeats column name(s) in its header: 'likes'" in err, err
    # a name pandas would read as missing ("null", "NA") is a name too
    nulls = frame.iloc[:, :3].set_axis(["content", "null", "null"], axis=1)
    nulls_file = workdir / f"nulls{suffix}"
    if suffix == ".xlsx":
        nulls.to_excel(nulls_file, index=False)
    elif suffix != ".parquet":
        nulls.to_csv(nulls_file, index=False, sep="\t" if suffix == ".tsv" else ",")
    if suffix != ".parquet":
        with pytest.raises(cli.CLIError, match=r"'null' \(columns 2, 3\)"):
            tables.read_table(nulls_file)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx"])
def test_predict_writes_the_ids_exactly_as_in_data(model_file, workdir, suffix, capsys):
    frame = load_tweets().frame.iloc[80:86].astype({"id": object})
    # zero-padded, 19 digits (float64 merges these two), empty: read as numbers, the empty
    # cell made them floats ('7.0'), which lost the zeros and the last digits
    ids = ["00360", "1000000000123457149", "1000000000123457150", "", "7", "8"]
    frame["id"] = ids
    data = workdir / f"ids{suffix}"
    if suffix == ".xlsx":  # Excel cells hold numbers (to 15 digits) or text
        ids = ["360", "7", "", "8", "00360", "1000000000123457149"]
        frame["id"] = [360, 7, None, 8, "00360", "1000000000123457149"]
        frame.to_excel(data, index=False)
    else:
        frame.to_csv(data, index=False, sep="\t" if suffix == ".tsv" else ",")
    out_csv = workdir / f"ids{suffix}.csv"
    code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
    assert code == 0, err
    written = pd.read_csv(out_csv, dtype=str, keep_default_na=False)
    assert written["id"].tolist() == ids


def test_predict_writes_an_id_column_named_in_another_case(model_file, workdir, capsys):
    """Only a column named exactly 'id' was written in front of the predictions: DATA's 'ID'
    (a spreadsheet's, a database export's) was left out, and the predictions could be
    matched to the posts by row order alone."""
    frame = load_tweets().frame.iloc[80:84].rename(columns={"id": "ID"}).astype({"ID": object})
    frame["ID"] = ["00360", "1000000000123457149", "1000000000123457150", "7"]
    data = workdir / "upper-ids.csv"
    frame.to_csv(data, index=False)
    out_csv = workdir / "upper-ids-predictions.csv"
    code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
    assert code == 0, err
    written = pd.read_csv(out_csv, dtype=str, keep_default_na=False)
    assert list(written.columns) == ["ID", "prediction"]
    assert written["ID"].tolist() == frame["ID"].tolist()


def test_digit_only_texts_are_texts_in_every_format(model_file, workdir, capsys):
    """A post whose text is '2020', or an account '0042' in every row: CSV made numbers of
    them (an error for the text, the account read as 42) where Parquet keeps the texts."""
    from skbucket.pipeline import POST_COLUMNS

    assert set(tables.TEXT_COLUMNS) == {"id", *POST_COLUMNS} - {"date"}
    frame = load_tweets().frame.iloc[80:82].reset_index(drop=True)
    frame["content"] = ["2020", "100"]
    frame["username"] = ["0042", "0042"]
    frame["inferred_company"] = ["7", "7"]
    predictions = {}
    for suffix in (".parquet", ".csv", ".tsv", ".xlsx"):
        data = workdir / f"digits{suffix}"
        if suffix == ".parquet":
            frame.to_parquet(data, index=False)
        elif suffix == ".xlsx":
            frame.to_excel(data, index=False)
        else:
            frame.to_csv(data, index=False, sep="\t" if suffix == ".tsv" else ",")
        read = tables.read_table(data)
        assert read["username"].tolist() == ["0042", "0042"], suffix
        assert read["content"].tolist() == ["2020", "100"], suffix
        out_csv = workdir / f"digits{suffix}.csv"
        code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
        assert code == 0, (suffix, err)
        predictions[suffix] = pd.read_csv(out_csv)["prediction"].to_numpy()
    for suffix in (".csv", ".tsv", ".xlsx"):
        np.testing.assert_allclose(predictions[suffix], predictions[".parquet"], rtol=1e-6)


def test_na_words_are_texts_in_every_format(model_file, workdir, capsys):
    """'null', 'NA', 'None', 'nan', 'N/A' are texts (a username, a company, a post); only an
    empty cell is missing. CSV and XLSX turned them into missing values, Parquet did not."""
    frame = load_tweets().frame.iloc[80:92].reset_index(drop=True)
    frame.loc[0:2, "username"] = ["null", "NA", "N/A"]
    frame.loc[3:4, "inferred_company"] = ["None", "nan"]
    frame.loc[5:6, "content"] = ["None", "NULL"]
    frame.loc[7, "content"] = None  # an empty cell: missing in every format
    predictions = {}
    for suffix in (".parquet", ".csv", ".xlsx"):
        data = workdir / f"na-words{suffix}"
        {".csv": frame.to_csv, ".parquet": frame.to_parquet, ".xlsx": frame.to_excel}[suffix](
            data, index=False
        )
        read = tables.read_table(data)
        assert read.loc[0:2, "username"].tolist() == ["null", "NA", "N/A"], suffix
        assert read.loc[5:6, "content"].tolist() == ["None", "NULL"], suffix
        assert pd.isna(read.loc[7, "content"]), suffix
        out_csv = workdir / f"na-words{suffix}.csv"
        code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
        assert code == 0, err
        predictions[suffix] = pd.read_csv(out_csv)["prediction"].to_numpy()
    for suffix in (".csv", ".xlsx"):
        assert predictions[suffix] == pytest.approx(predictions[".parquet"], rel=1e-12), suffix
    # the target still reads as numbers; a bad one is still a one-line error naming its row
    assert tables.read_table(workdir / "na-words.csv")["likes"].dtype.kind in "if"
    for bad in ("NA", ""):
        labelled = frame.astype({"likes": object})
        labelled.loc[4, "likes"] = bad
        data = workdir / "bad-likes.csv"
        labelled.to_csv(data, index=False)
        code, _, err = run(["evaluate", model_file, data, "-q"], capsys)
        assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
        assert "row 4" in err, err


@pytest.mark.parametrize(
    ("likes", "message"),
    [
        ("1,234", "row 4 is '1,234', not a number"),
        ("", "row 4 is missing (an empty cell)"),
        ("inf", "row 4 is inf, not a finite number"),
        ("-3", "row 4 is -3: likes cannot be negative"),
    ],
)
def test_a_bad_target_is_refused_before_any_model_runs(
    model_file, posts_csv, config, workdir, likes, message, capsys
):
    frame = pd.read_csv(posts_csv).astype({"likes": object})
    frame.loc[4, "likes"] = likes
    frame.loc[9, "likes"] = -1
    data = workdir / "bad-target.csv"
    frame.to_csv(data, index=False)
    expected = (
        f"target column 'likes' must hold numbers of likes (finite, 0 or more), but {message}"
    )
    code, _, err = run(["fit", data, "--model", workdir / "bad.joblib", "--config", config], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err  # no "fitting"
    assert expected in err and "(2 bad row(s) in all, first rows [4, 9])" in err, err
    expected = expected.replace("0 or more)", "0 or more, at most 1e+150)")
    for command in (["evaluate"], ["report", "-o", workdir / "bad.html"]):
        code, _, err = run([command[0], model_file, data, *command[1:]], capsys)
        assert code == cli.EXIT_ERROR and expected in err, err
        assert f"{command[0]}uating" not in err and "evaluating" not in err  # not predicted


def test_a_target_that_is_an_input_column_is_named_as_such(
    model_file, posts_csv, workdir, tiny_model, capsys
):
    """--target username: the command dropped it as the target, then said the data missed
    it ("columns are missing: {'username'} (in posts.csv.gz)"); a config's columns mapping
    a role onto the target said it was not found."""
    for command in (["predict", "-o", workdir / "never.csv"], ["evaluate"]):
        args = [command[0], model_file, posts_csv, *command[1:], "--target", "username"]
        code, _, err = run(args, capsys)
        assert code == cli.EXIT_ERROR and "predicting" not in err and "evaluating" not in err
        assert "--target 'username' is a column the model reads as an input" in err, err
    config = workdir / "target-mapped.json"
    config.write_text(json.dumps({"text_model": tiny_model, "columns": {"content": "likes"}}))
    code, _, err = run(
        ["fit", posts_csv, "--model", workdir / "n.joblib", "--config", config], capsys
    )
    assert code == cli.EXIT_ERROR
    assert "--target 'likes' is the column the pipeline reads as 'content' (the config's " in err
    code, _, err = run(
        ["fit", posts_csv, "--model", workdir / "n.joblib", "--target", "date"], capsys
    )
    assert code == cli.EXIT_ERROR
    assert "--target 'date' is the column the pipeline reads as 'date'; the target is" in err


class _SevenLikes:
    """A rule with nothing to learn: no fitted attribute (scikit-learn's check_is_fitted
    calls it unfitted), no fit at all, and a setting named steps that is no pipeline's."""

    steps = [1, 2]

    def predict(self, X):
        return np.full(len(X), 7.0)


def test_models_fitted_on_the_whole_table_or_with_nothing_to_fit_are_used(
    posts_csv, workdir, tiny_model, capsys
):
    """A pipeline fitted on a frame that still held likes (pipe.fit(df, df["likes"]); the
    seed pipeline ignores the column) was refused as reading --target likes as an input; a
    model with no fitted state was refused as "not fitted"."""
    from skbucket import make_seed_pipeline

    table = pd.read_csv(posts_csv)
    pipe = make_seed_pipeline(
        caption_model=None, text_model=tiny_model, classifier="hgb", random_state=0
    ).fit(table, table["likes"])
    model = cli.save_model(pipe, workdir / "whole-table.joblib", target="likes")
    out = workdir / "whole-table.csv"
    code, _, err = run(["predict", model, posts_csv, "-o", out, "-q"], capsys)
    assert code == 0, err
    # the likes column dropped as the target, as the model was fitted with it there: NaN
    # in its place gives the same predictions (the pipeline never reads it)
    expected = pipe.predict(table.assign(likes=np.nan))
    np.testing.assert_allclose(pd.read_csv(out)["prediction"], expected)
    assert run(["evaluate", model, posts_csv, "-q"], capsys)[0] == 0
    rule = cli.save_model(_SevenLikes(), workdir / "rule.joblib")
    code, _, err = run(["predict", rule, posts_csv, "-o", out, "-q"], capsys)
    assert code == 0 and (pd.read_csv(out)["prediction"] == 7.0).all(), err


def test_likes_beyond_what_the_metrics_take_are_refused_before_predicting(
    model_file, posts_csv, workdir, capsys
):
    """1e200 likes failed in the metrics, after every post was captioned and predicted
    (fit takes them: a regressor may, and the CLI's fit has no metrics to overflow)."""
    frame = pd.read_csv(posts_csv).astype({"likes": float})
    frame.loc[6, "likes"] = 1e200
    data = workdir / "huge-likes.csv"
    frame.to_csv(data, index=False)
    for command in (["evaluate"], ["report", "-o", workdir / "huge.html"]):
        code, _, err = run([command[0], model_file, data, *command[1:]], capsys)
        assert code == cli.EXIT_ERROR and "evaluating" not in err, err
        assert (
            "must hold numbers of likes (finite, 0 or more, at most 1e+150), but row 6 is 1e+200, "
            "beyond 1e+150, which the metrics take (RMSE, R²) (1 bad row(s) in all" in err
        ), err


def test_a_bad_config_value_is_refused_before_the_fit(workdir, posts_csv, tiny_model, capsys):
    config = workdir / "bad-clip.json"
    config.write_text(json.dumps({"caption_model": None, "text_model": tiny_model, "clip": "no"}))
    args = ["fit", posts_csv, "--model", workdir / "clip.joblib", "--config", config]
    code, _, err = run(args, capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err  # no "fitting"
    assert "bad config: model (BucketedRegressor): The 'clip' parameter" in err, err
    assert str(posts_csv) not in err, err  # the config's fault, not the data file's


@pytest.mark.parametrize("writer", ["pandas", "pyarrow"])
def test_parquet_integer_ids_with_a_missing_one_stay_exact(model_file, workdir, writer, capsys):
    """An integer id column with a missing value came back as float64 (pandas' Int64 at
    predict's output; pyarrow/Spark/polars files at read): 19-digit ids merged and were
    written as 1.2345678901234568e+18."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = load_tweets().frame.iloc[80:83].reset_index(drop=True)
    ids = [1234567890123456789, None, 1234567890123456781]
    data = workdir / f"ids-{writer}.parquet"
    if writer == "pandas":
        frame.assign(id=pd.array(ids, dtype="Int64")).to_parquet(data)
    else:  # no pandas metadata: the reader decides the dtype
        table = pa.Table.from_pandas(frame.drop(columns="id"), preserve_index=False)
        pq.write_table(table.append_column("id", pa.array(ids, pa.int64())), data)
    out_csv = workdir / f"ids-{writer}.csv"
    code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
    assert code == 0, err
    written = pd.read_csv(out_csv, dtype=str, keep_default_na=False)
    assert written["id"].tolist() == ["1234567890123456789", "", "1234567890123456781"]


def test_an_excel_header_cell_holding_a_number_or_a_date_is_a_name(model_file, workdir, capsys):
    """A year (2020) or a date in the header row crashed fit/predict/evaluate with a
    scikit-learn traceback ("Feature names are only supported if all input features have
    string names"); the names are read as text, like a CSV's."""
    import datetime

    frame = load_tweets().frame.iloc[80:84].reset_index(drop=True)
    frame[2020] = 1.0
    frame[datetime.datetime(2021, 5, 1)] = "x"
    data = workdir / "numeric-header.xlsx"
    frame.to_excel(data, index=False)
    assert [c for c in tables.read_table(data).columns if c[:1].isdigit()] == [
        "2020",
        "2021-05-01 00:00:00",
    ]
    code, _, err = run(["predict", model_file, data, "-o", workdir / "nh.csv", "-q"], capsys)
    assert code == 0, err


def test_an_excel_cell_of_a_day_is_read_as_a_day_as_the_csv_export_is(model_file, workdir, capsys):
    """openpyxl reads every date cell as a datetime: a day typed into Excel (short date
    format) was midnight to the model ("posted on Monday at midnight", hour 0), while the
    same sheet saved as CSV gave a day (hour unknown): other predictions for one table."""
    import datetime

    openpyxl = pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:85].reset_index(drop=True)
    days = [datetime.date(2020, 6, 15 + i) for i in range(5)]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False)):
        sheet.append([days[i] if c == "date" else v for c, v in zip(frame.columns, row)])
    at = list(frame.columns).index("date") + 1
    sheet.cell(3, at).number_format = "[$-409]dddd, mmmm d, yyyy"  # a long date: a day too
    sheet.cell(4, at).value = datetime.datetime(2020, 6, 17)  # a date-time that is midnight
    sheet.cell(4, at).number_format = "yyyy-mm-dd hh:mm"
    sheet.cell(5, at).value = "2020-06-18"  # text
    data = workdir / "days.xlsx"
    book.save(data)
    read = tables.read_table(data)["date"].tolist()
    assert read[:2] == days[:2] and read[3:] == ["2020-06-18", days[4]]
    assert read[2] == datetime.datetime(2020, 6, 17)  # its format shows a time: kept
    csv = workdir / "days.csv"
    frame.assign(date=[str(d) for d in days]).to_csv(csv, index=False)
    got = {}
    for path in (data, csv):
        code, _, err = run(
            ["predict", model_file, path, "-o", workdir / "days-p.csv", "-q"], capsys
        )
        assert code == 0, err
        got[path.suffix] = pd.read_csv(workdir / "days-p.csv")["prediction"].to_numpy()
    keep = [0, 1, 3, 4]  # the midnight date-time is a time of day: hour 0
    np.testing.assert_array_equal(got[".xlsx"][keep], got[".csv"][keep])
    assert got[".xlsx"][2] != got[".csv"][2]


def test_merged_cells_of_a_sheet_are_read_as_excel_shows_them(model_file, workdir, capsys):
    """A company merged over its posts' rows is shown on every row, but only the top cell holds
    it: the other posts read as having no company (other prompts and predictions, no word)."""
    openpyxl = pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:86].reset_index(drop=True)
    frame["inferred_company"] = ["acme"] * 3 + ["zed"] * 3
    path = workdir / "merged.xlsx"
    frame.to_excel(path, index=False)
    book = openpyxl.load_workbook(path)
    at = openpyxl.utils.get_column_letter(list(frame.columns).index("inferred_company") + 1)
    book.active.merge_cells(f"{at}2:{at}4")
    book.active.merge_cells(f"{at}5:{at}7")
    book.save(path)
    assert (
        tables.read_table(path)["inferred_company"].tolist() == frame["inferred_company"].tolist()
    )
    assert_predicts_in_memory(model_file, path, frame, workdir / "merged.csv", capsys)
    # a merged day: a day on every row (the day pass compares each cell's own value)
    import datetime

    at = openpyxl.utils.get_column_letter(list(frame.columns).index("date") + 1)
    book.active[f"{at}2"].value = datetime.datetime(2021, 4, 1)
    book.active[f"{at}2"].number_format = "yyyy-mm-dd"
    book.active.merge_cells(f"{at}2:{at}4")
    # merged cells below the posts or right of the table (a note; formatting only): no posts'
    book.active.merge_cells(f"A{len(frame) + 5}:D{len(frame) + 5}")
    book.active.merge_cells(f"{openpyxl.utils.get_column_letter(frame.shape[1] + 2)}2:Z3")
    book.save(path)
    assert tables.read_table(path)["date"].tolist()[:4] == [datetime.date(2021, 4, 1)] * 3 + [
        frame["date"][3]
    ]
    # merged across columns: which column holds the value?
    book.active.merge_cells("A3:B3")
    book.save(path)
    with pytest.raises(cli.CLIError, match=r"merged.xlsx: cells A3:B3 are merged across columns"):
        tables.read_table(path)


def test_excel_error_cells_are_refused_and_rounded_numeric_ids_said(model_file, workdir, capsys):
    """pandas reads a cell holding #REF! or #N/A as empty: a post predicted as having no text,
    likes said to be missing; and an id column of 19-digit numbers, which the workbook holds
    rounded, came back as one repeated id with no word."""
    openpyxl = pytest.importorskip("openpyxl")
    path = workdir / "errors.xlsx"
    frame, book, at = tweets_workbook(path, "content")
    book.active.cell(4, at).value = "#REF!"
    book.active.cell(4, at).data_type = "e"
    book.save(path)
    letter = openpyxl.utils.get_column_letter(at)
    with pytest.raises(
        cli.CLIError, match=rf"cell {letter}4 \(column 'content', row 2 counting .*#REF!"
    ):
        tables.read_table(path)
    # below the posts (a notes area's failing lookup): no post's cell, no error
    frame.to_excel(path, index=False)
    book = openpyxl.load_workbook(path)
    book.active.cell(len(frame) + 4, 2).value = "#N/A"
    book.active.cell(len(frame) + 4, 2).data_type = "e"
    book.save(path)
    assert len(tables.read_table(path)) == len(frame)
    ids = frame.assign(id=[1234567890123456789 + i for i in range(4)])
    ids.to_excel(path, index=False)
    with pytest.warns(UserWarning, match=r"4 id\(s\) of column 'id' are numbers of more than 15"):
        assert tables.read_table(path)["id"].nunique() == 1  # what Excel kept
    ids = frame.assign(id=[1234567890123450 + i for i in range(4)])  # 16 digits: Excel keeps 15
    ids.to_excel(path, index=False)
    with pytest.warns(UserWarning, match=r"4 id\(s\) of column 'id' are numbers of more than 15"):
        tables.read_table(path)
    ids.astype({"id": str}).to_excel(path, index=False)  # as text: kept, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tables.read_table(path)["id"].tolist() == ids["id"].astype(str).tolist()


def test_a_blank_line_between_posts_and_a_total_row_are_refused_by_predict(
    model_file, workdir, capsys
):
    """pandas skips a blank line of a CSV: every later prediction was a row higher than its
    post in the sheet; and predict predicted a total row that fit and evaluate refuse."""
    frame = load_tweets().frame.iloc[80:84]
    path = workdir / "blank-line.csv"
    text = frame.to_csv(index=False).splitlines(keepends=True)
    path.write_text("".join(text[:3] + ["\n"] + text[3:]) + "\n\n")
    code, _, err = run(["predict", model_file, path, "-o", workdir / "bl.csv", "-q"], capsys)
    assert code == 1 and "blank-line.csv: line 4 (line 1 is the header) is blank, between" in err
    path.write_text("".join(text) + "\n\n")  # after the last post: no rows
    assert_predicts_in_memory(model_file, path, frame, workdir / "bl.csv", capsys)
    blank_row = "," * (frame.shape[1] - 1) + "\n"
    path.write_text("\n" + "".join(text) + "\n" + blank_row)  # before the header; at the end
    assert_predicts_in_memory(model_file, path, frame, workdir / "bl.csv", capsys)
    path.write_text("".join(text[:1] + ["\n"] + text[1:]))
    with pytest.raises(cli.CLIError, match=r"line 2 \(line 1 is the header\) is blank, after the"):
        tables.read_table(path)
    # a row of an id alone, no likes (an empty likes column to fill): a post to predict
    lone = pd.concat([frame.assign(likes=None), frame.iloc[:1].map(lambda v: None).assign(id="9")])
    lone.to_csv(path, index=False)
    code, _, err = run(["predict", model_file, path, "-o", workdir / "bl.csv", "-q"], capsys)
    assert code == 0, err
    total = pd.concat([frame, frame.iloc[:1].map(lambda v: None).assign(likes=999)])
    total.to_csv(path, index=False)
    code, _, err = run(["predict", model_file, path, "-o", workdir / "bl.csv", "-q"], capsys)
    assert code == 1 and "row 4 holds likes but no post" in err, err


def test_messages_about_a_workbook_row_name_its_sheet_row(model_file, workdir, capsys):
    """Rows are counted from 0 after the header (pandas' positions); Excel numbers the header
    1, so "row 3" was the sheet's row 5, and most messages did not say how they count."""
    pytest.importorskip("openpyxl")
    frame = load_tweets().frame.iloc[80:86].reset_index(drop=True)
    bad = frame.assign(likes=frame["likes"].astype(object).where(frame.index != 3, "as row 1"))
    bad = bad.assign(date=bad["date"].where(bad.index != 2, "not a date"))

    def write(table, path):
        if path.suffix == ".xlsx":
            table.to_excel(path, index=False)
        else:
            table.to_csv(path, index=False)

    for suffix in (".xlsx", ".csv"):
        path = workdir / f"sheet-rows{suffix}"
        write(bad, path)
        code, _, err = run(["evaluate", model_file, path], capsys)
        # a quoted value is shown as the file holds it
        said = "row 3 (sheet row 5) is 'as row 1', not a number"
        assert code == 1 and (said in err) == (suffix == ".xlsx"), err
        said = "first rows [3] (sheet row 5))"
        assert (said in err) == (suffix == ".xlsx"), err
        write(bad.assign(likes=frame["likes"]), path)
        code, _, err = run(["evaluate", model_file, path], capsys)
        said = "e.g. row 2 (sheet row 4): 'not a date'" in err
        assert code == 0 and said == (suffix == ".xlsx"), err
    # the path, and a message's own sheet row, as they are
    folder = workdir / "batch row 2"
    folder.mkdir(exist_ok=True)
    long_id = frame.assign(likes=frame["likes"], id=frame["id"].astype(object))
    long_id.loc[4, "id"] = 12345678901234567
    write(long_id, folder / "ids.xlsx")
    code, _, err = run(["evaluate", model_file, folder / "ids.xlsx"], capsys)
    assert code == 0 and f"{folder / 'ids.xlsx'}: 1 id(s)" in err, err
    assert "(first at sheet row 6), which" in err, err


def test_an_id_saved_as_the_parquet_index_is_kept(model_file, workdir, capsys):
    frame = load_tweets().frame.iloc[80:95].sample(frac=1, random_state=3)
    data = workdir / "id-index.parquet"
    frame.set_index("id").to_parquet(data)
    assert tables.read_table(data)["id"].tolist() == frame["id"].tolist()
    assert_predicts_in_memory(model_file, data, frame, workdir / "id-index.csv", capsys)


def test_an_unnamed_parquet_index_is_no_row_number(model_file, workdir, capsys):
    """A shuffled frame saved as it is (its old positions stored as an unnamed index): a bad
    media cell was named by that stored number ("row 30"), a bad likes cell by position."""
    frame = load_tweets().frame.iloc[20:40].sample(frac=1, random_state=3)
    assert frame.index[2] != 2
    frame = frame.astype({"media": object})
    frame.iloc[2, frame.columns.get_loc("media")] = "[Photo(previewUrl='x'"  # cut off
    data = workdir / "stored-index.parquet"
    frame.to_parquet(data)
    assert tables.read_table(data).index.tolist() == list(range(20))
    code, _, err = run(["predict", model_file, data, "-o", workdir / "never.csv"], capsys)
    assert code == cli.EXIT_ERROR and "media column 'media', row 2: cannot parse" in err, err


def test_evaluate_prints_the_metrics_table(model_file, new_posts_csv, capsys):
    code, out, err = run(["evaluate", model_file, new_posts_csv, "--quiet"], capsys)
    assert code == 0, err
    for metric in ("rmse", "rmse_log1p", "mae_log1p", "r2", "bucket_accuracy", "bucket_macro_f1"):
        assert any(line.split()[0] == metric for line in out.splitlines() if line.strip())
    assert err == ""  # --quiet: no progress, no messages


def test_evaluate_and_report_warn_of_posts_the_model_was_fitted_on(
    model_file, posts_csv, new_posts_csv, workdir, capsys
):
    """Scored on its own training file, the model's errors were printed as if on new posts,
    without a word: 0.36 RMSE(log1p) on the 936 tweets it was fitted on, against 1.3 or
    more on posts held out."""
    code, _, err = run(["evaluate", model_file, posts_csv, "-q"], capsys)
    assert code == 0 and err == _training_posts_line(80, 80, "100%"), err
    mixed = workdir / "half-seen.csv"
    pd.concat([pd.read_csv(posts_csv).iloc[:20], pd.read_csv(new_posts_csv).iloc[:60]]).to_csv(
        mixed, index=False
    )
    code, _, err = run(["evaluate", model_file, mixed, "-q"], capsys)
    assert code == 0 and err == _training_posts_line(20, 80, "25%"), err
    # the report warns too, and says it above the metrics on the page
    page = workdir / "half-seen.html"
    code, _, err = run(["report", model_file, mixed, "-o", page, "-q"], capsys)
    assert code == 0 and err == _training_posts_line(20, 80, "25%"), err
    text = html.unescape(page.read_text(encoding="utf-8"))
    note = text.index('<p class="caution" role="note">20 of the 80 posts scored (25%) were among')
    assert text.index("<h2>Metrics</h2>") < note < text.index("<table>", note)
    # posts it has not seen: no warning, no note
    for command in (
        ["evaluate", model_file, new_posts_csv, "-q"],
        ["report", model_file, new_posts_csv, "-o", workdir / "unseen.html", "-q"],
    ):
        code, _, err = run(command, capsys)
        assert code == 0 and err == "", err
    assert 'class="caution"' not in (workdir / "unseen.html").read_text(encoding="utf-8")


def _prose(out):
    """``out`` with its lines joined: evaluate wraps its notes at 80 columns."""
    return " ".join(out.split())


def _interval_rows(out):
    """``{metric: (low, high)}`` read back from the evaluate table's interval column."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[3] == "to":
            rows[parts[0]] = tuple(float(v.replace(",", "")) for v in (parts[2], parts[4]))
    return rows


@pytest.mark.parametrize(
    ("option", "groups_of", "resampled"),
    [
        ([], "inferred_company", "values of 'inferred_company' resampled whole"),
        (["--group-column", "username"], "username", "values of 'username' resampled whole"),
        (["--group-column", "none"], None, "posts resampled one by one"),
    ],
)
def test_evaluate_prints_bootstrap_intervals(
    model_file, posts_csv, option, groups_of, resampled, capsys
):
    from skbucket.metrics import INTERVAL_METRICS, bootstrap_intervals, evaluate_estimator

    code, out, err = run(["evaluate", model_file, posts_csv, "-q", *option], capsys)
    assert code == 0, err
    frame = pd.read_csv(posts_csv)
    X, y = frame.drop(columns=["likes"]), frame["likes"].to_numpy(dtype=float)
    model = cli.load_model(model_file)
    pred = model.predict(X)
    groups = None if groups_of is None else frame[groups_of].to_numpy(dtype=object)
    expected = bootstrap_intervals(y, pred, groups=groups)
    shown = _interval_rows(out)
    assert sorted(shown) == sorted(INTERVAL_METRICS)
    for name, (low, high) in shown.items():
        assert (low, high) == pytest.approx(expected[name], abs=6e-5), name  # 4 decimals shown
    # the point values are evaluate_estimator's, unchanged by the interval column
    point = evaluate_estimator(model, X, y)
    for line in out.splitlines()[2:]:
        parts = line.split()
        if parts and parts[0] in point and parts[0] != "n_samples":
            assert float(parts[1].replace(",", "")) == pytest.approx(point[parts[0]], abs=6e-5)
    n_groups = None if groups is None else len(set(groups))
    lines = out.splitlines()
    # the table's last row is n_samples; under it, the intervals' note alone, whole
    note = _prose(
        "\n".join(lines[next(i for i, v in enumerate(lines) if v.startswith("n_samples")) + 1 :])
    )
    assert note.startswith("95% intervals of the log1p errors: ")
    assert note.endswith("simulated draws of 10 to 35 companies).")
    assert resampled in note and "1,000 bootstrap resamples" in note
    if n_groups is not None:
        assert f"the {n_groups} values" in note


def test_evaluate_without_intervals_prints_the_point_table(model_file, posts_csv, capsys):
    code, out, err = run(["evaluate", model_file, posts_csv, "-q", "--no-intervals"], capsys)
    assert code == 0, err
    assert out.splitlines()[0].split() == ["metric", "value"]
    assert _interval_rows(out) == {} and "bootstrap" not in out


@pytest.mark.parametrize("command", ["evaluate", "report"])
def test_an_unknown_group_column_is_a_one_line_error(
    model_file, posts_csv, workdir, command, capsys
):
    out_html = workdir / "grouped.html"
    extra = ["-o", out_html] if command == "report" else []
    code, out, err = run(
        [command, model_file, posts_csv, "-q", "--group-column", "brand", *extra], capsys
    )
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert "--group-column 'brand' not found" in err and "inferred_company" in err
    assert out == "" and not out_html.exists()


def test_report_resamples_the_group_column_given(model_file, posts_csv, workdir, capsys):
    page = workdir / "by-username.html"
    code, _, err = run(
        ["report", model_file, posts_csv, "-o", page, "-q", "--group-column", "username"], capsys
    )
    assert code == 0, err
    n_users = pd.read_csv(posts_csv)["username"].nunique()
    assert f"the {n_users} values of &#x27;username&#x27; resampled whole" in page.read_text()


def test_quiet_reaches_the_fitted_steps_of_a_loaded_model(
    model_file, posts_csv, capsys, monkeypatch
):
    # the model was fitted with -q; without -q now, its fitted steps show their bars when
    # standard error is a terminal (in a log file, the step messages alone)
    model = cli.load_model(model_file)
    embedder = model.named_steps["features"].named_transformers_["embedding"]
    assert embedder.progress is False
    cli._set_progress(model, True)
    assert embedder.progress is True
    assert model.named_steps["features"].transformers[1][1].progress is True  # the template
    cli._set_progress(model, False)
    assert embedder.progress is False
    from skbucket.cache import process_memory_cache

    process_memory_cache().clear()  # so the embeddings are computed again, with their bar
    code, out, err = run(["evaluate", model_file, posts_csv], capsys)
    assert code == 0, err
    assert "[skbucket] evaluating on 80 posts" in err and "DistilBertEmbedder" not in err
    process_memory_cache().clear()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(["evaluate", model_file, posts_csv], capsys)
    assert code == 0, err
    assert "DistilBertEmbedder" in err  # its progress bar, on stderr


def test_outputs_never_overwrite_an_input_and_bad_paths_fail_first(
    model_file, posts_csv, config, workdir, capsys
):
    data = workdir / f"own-{Path(posts_csv).name}"
    data.write_bytes(Path(posts_csv).read_bytes())
    before = data.read_bytes(), Path(model_file).read_bytes()
    for args in (
        ["predict", model_file, data, "-o", data],
        ["predict", model_file, data, "-o", model_file],
        ["report", model_file, data, "-o", data],
        ["fit", data, "--model", data, "--config", config],
        ["fit", data, "--model", config, "--config", config],
    ):
        code, out, err = run([*args, "-q"], capsys)
        assert code == 1 and "is also an input: refusing to overwrite it" in err, (args, err)
    assert (data.read_bytes(), Path(model_file).read_bytes()) == before
    code, _, err = run(["predict", model_file, data, "-o", workdir / "p.parquet", "-q"], capsys)
    assert code == 1 and "must end in .csv or .csv.gz" in err
    code, _, err = run(["fit", data, "--model", data / "m.joblib", "--config", config], capsys)
    assert code == 1 and "cannot create the folder of --model" in err
    assert "fitting" not in err  # refused before the fit
    gone = workdir / "gone-results"  # a link to a folder removed, or a disk not mounted
    gone.symlink_to(workdir / "unmounted", target_is_directory=True)
    for option, path, args in (
        ("--model", gone / "m.joblib", ["fit", data, "--config", config, "--model"]),
        ("-o", gone / "sub" / "p.csv", ["predict", model_file, data, "-o"]),
        ("-o", gone / "r.html", ["report", model_file, data, "-o"]),
    ):
        code, _, err = run([*args, path], capsys)
        assert code == 1, (args, err)
        # refused before the work, not "File exists" once the fit or the predictions are done
        assert err.endswith(
            f"error: cannot create the folder of {option} {str(path)!r}: {str(gone)!r} "
            f"is a symbolic link to {str(workdir / 'unmounted')!r}, which does not exist (a "
            "folder removed or a disk not mounted): no folder can be made through it\n"
        ), err
        assert "fitting" not in err and "predicting" not in err and "evaluating" not in err
    gone.unlink()
    out_csv = workdir / "new" / "folder" / "p.csv"  # parent folders are created
    code, _, err = run(["predict", model_file, data, "-o", out_csv, "-q"], capsys)
    assert code == 0, err
    assert out_csv.is_file()


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder that exists but cannot be written into (root writes through permissions, but
    not into /proc)."""
    import os

    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    folder = Path("/proc/self")
    if not folder.is_dir():
        pytest.skip("no unwritable folder for root on this system")
    yield folder


def test_a_source_date_epoch_the_report_cannot_read_is_refused_before_any_work(
    model_file, posts_csv, workdir, capsys, monkeypatch
):
    """It was read after every post was predicted, and the error ended "(in DATA)", which
    pointed at the data file."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000000")
    page = workdir / "sde.html"
    code, _, err = run(["report", model_file, posts_csv, "-o", page], capsys)
    assert code == cli.EXIT_ERROR and not page.exists()
    assert len(err.strip().splitlines()) == 1, err  # no step message: no work was done
    assert "SOURCE_DATE_EPOCH must be a whole number" in err and str(posts_csv) not in err, err
    # a command that dates nothing takes any whole number, as numpy does
    code, out, err = run(["evaluate", model_file, posts_csv, "-q", "--no-intervals"], capsys)
    assert code == 0 and "rmse" in out, err


@pytest.mark.parametrize("value", ["yesterday", "1.5", "1700000000000000000", "9" * 20])
def test_a_source_date_epoch_numpy_cannot_read_is_one_line_not_a_traceback(tmp_path, value):
    """numpy's f2py, imported with scikit-learn, reads SOURCE_DATE_EPOCH with int(): every
    command, --version included, ended in its 40-line traceback."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": value, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "skbucket.cli"]
    version = subprocess.run([*command, "--version"], env=env, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("skbucket "), version.stderr
    args = ["predict", "m.joblib", "d.csv", "-o", "p.csv"]
    run = subprocess.run([*command, *args], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == cli.EXIT_ERROR and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"skbucket predict: error: SOURCE_DATE_EPOCH must be a whole number of seconds since "
        f"1970-01-01 UTC (numpy reads it as scikit-learn is imported); got {value!r}."
    ]


def test_too_few_rows_for_the_router_says_what_the_command_line_can_do(
    posts_csv, config, workdir, capsys
):
    """The warning's remedy, a HistGradientBoostingClassifier(min_samples_leaf=...), is an
    object no option or config key can give."""
    small = workdir / "small.csv"
    pd.read_csv(posts_csv).iloc[:24].to_csv(small, index=False)
    hgb = workdir / "hgb-config.json"
    hgb.write_text(json.dumps({**json.loads(config.read_text()), "classifier": "hgb"}))
    code, _, err = run(["fit", small, "--model", workdir / "s.joblib", "--config", hgb], capsys)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if "cannot split" in line]
    assert line.endswith("cannot set min_samples_leaf: fit on more rows)"), line


def test_post_text_under_another_name_says_what_the_command_line_can_do(
    posts_csv, config, workdir, capsys
):
    """The warnings of a fit that reads no post text (the text kept under 'text') named the
    remedy as make_seed_pipeline's and PromptBuilder's columns=...: the command line's is
    the config's "columns"."""
    renamed = workdir / "text-column.csv"
    pd.read_csv(posts_csv).rename(columns={"content": "text"}).to_csv(renamed, index=False)
    args = ["fit", renamed, "--model", workdir / "t.joblib", "--config", config, "-q"]
    code, _, err = run(args, capsys)
    assert code == 0, err
    lines = [line for line in err.splitlines() if "NoPostTextWarning" in line or "no post" in line]
    # the pipeline's, naming the column; the prompt builder's, near-identical, left out
    assert len(lines) == 1 and "['text'] hold text that is not read" in lines[0], err
    for line in lines:
        assert line.endswith(
            '(here: name the text column in the --config file, "columns": {"content": '
            '"<name>"}, or rename it to content; posts that are only media need nothing)'
        ), line


def test_a_fit_config_asking_for_a_gpu_here_says_where_to_change_it(
    posts_csv, config, workdir, capsys
):
    """'"device": "cuda"' in a fit's config gave only the Python remedies (device='cpu',
    set_everywhere), not what to give on the command line."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    gpu = workdir / "gpu-config.json"
    gpu.write_text(json.dumps({**json.loads(config.read_text()), "device": "cuda"}))
    code, _, err = run(
        ["fit", posts_csv, "--model", workdir / "g.joblib", "--config", gpu, "-q"], capsys
    )
    assert code == cli.EXIT_ERROR and "CUDA is not available" in err, err
    assert err.rstrip().endswith("(here: --device auto or --device cpu)")
    # one this machine lacks given as the option is refused before any work, in its words
    code, _, err = run(
        ["fit", workdir / "missing.csv", "--model", workdir / "h.joblib", "--device", "cuda"],
        capsys,
    )
    assert code == cli.EXIT_ERROR and err.startswith("skbucket fit: error: --device cuda: "), err
    assert "set_everywhere" not in err
    assert err.rstrip().endswith("(here: --device auto or --device cpu)")


def test_fit_device_overrides_the_configs(posts_csv, config, workdir, capsys):
    """skbucket fit had no --device: a config written for a GPU machine had to be edited to
    fit on another."""
    from skbucket._models import TransformersEstimatorMixin, every_estimator

    gpu = workdir / "gpu-config-2.json"
    gpu.write_text(json.dumps({**json.loads(config.read_text()), "device": "cuda"}))
    code, _, err = run(
        ["fit", posts_csv, "--model", workdir / "g.joblib", "--config", gpu, "-q"]
        + ["--device", "cpu"],
        capsys,
    )
    assert code == 0, err
    steps = [
        s
        for s in every_estimator(cli.load_model(workdir / "g.joblib"))
        if isinstance(s, TransformersEstimatorMixin)
    ]
    assert steps and {s.device for s in steps} == {"cpu"}


def test_a_model_fitted_on_a_gpu_predicts_here_with_device(model_file, posts_csv, workdir, capsys):
    """A model fitted with "device": "cuda" could not be used on a machine without a GPU:
    the error said to use device='auto' or 'cpu', which no option could set."""
    import torch

    from skbucket._models import TransformersEstimatorMixin, every_estimator

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: a model fitted for cuda runs here")
    model = cli.load_model(model_file)
    for step in every_estimator(model):
        if isinstance(step, TransformersEstimatorMixin):
            step.set_params(device="cuda")
    gpu_file = cli.save_model(model, workdir / "gpu.joblib")
    out, expected = workdir / "gpu-preds.csv", workdir / "cpu-preds.csv"
    code, _, err = run(["predict", gpu_file, posts_csv, "-o", out, "-q"], capsys)
    assert code == cli.EXIT_ERROR and not out.exists(), err
    assert "CUDA is not available" in err and "(here: --device auto or --device cpu)" in err
    assert run(["predict", model_file, posts_csv, "-o", expected, "-q"], capsys)[0] == 0
    for device in ("cpu", "auto"):
        code, _, err = run(
            ["predict", gpu_file, posts_csv, "-o", out, "-q", "--device", device], capsys
        )
        assert code == 0, err
        pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(expected))
    code, _, err = run(["evaluate", gpu_file, posts_csv, "--device", "gpu", "-q"], capsys)
    assert code == cli.EXIT_ERROR and err.startswith("skbucket evaluate: error: --device gpu: ")
    # a model that runs no text model has nothing to move: a script may pass it to any model
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    from skbucket import BucketedRegressor, PostFeatures

    posts = pd.read_csv(posts_csv)
    plain = make_pipeline(
        PostFeatures(cv=2), BucketedRegressor(DecisionTreeClassifier(max_depth=2), Ridge())
    ).fit(posts.drop(columns="likes"), posts["likes"])
    plain_file = cli.save_model(plain, workdir / "plain.joblib")
    code, _, err = run(
        ["predict", plain_file, posts_csv, "-o", out, "-q", "--device", "cpu"], capsys
    )
    assert code == 0, err


def test_an_unfitted_model_file_is_not_blamed_on_the_data(posts_csv, workdir, capsys, tiny_model):
    """'This Pipeline instance is not fitted yet ... (in DATA)': the suffix pointed at the
    data file for a fault of the model file."""
    from skbucket import make_seed_pipeline

    unfitted = cli.save_model(
        make_seed_pipeline(caption_model=None, text_model=tiny_model), workdir / "unfitted.joblib"
    )
    code, _, err = run(["predict", unfitted, posts_csv, "-o", workdir / "u.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR and "not fitted" in err and str(posts_csv) not in err, err
    # named as the model file's fault, whatever the model (a Ridge said only "This Ridge
    # instance is not fitted yet")
    from sklearn.linear_model import Ridge

    ridge = cli.save_model(Ridge(), workdir / "unfitted-ridge.joblib")
    code, _, err = run(["evaluate", ridge, posts_csv, "-q"], capsys)
    assert code == cli.EXIT_ERROR, err
    assert f"{ridge}: the model file holds an estimator that is not fitted: This Ridge" in err


def test_a_model_fitted_on_another_target_is_scored_against_it(posts_csv, config, workdir, capsys):
    """Fitted with --target retweets, evaluate and report scored it against likes unless
    told again: wrong metrics, exit 0, not a word."""
    table = pd.read_csv(posts_csv).assign(retweets=lambda f: f["likes"] // 3)
    data = workdir / "retweets.csv"
    table.to_csv(data, index=False)
    model = workdir / "retweets.joblib"
    args = ["fit", data, "--target", "retweets", "--model", model, "--config", config, "-q"]
    assert run(args, capsys)[0] == 0
    assert cli._saved_target(model) == "retweets"
    code, default, err = run(["evaluate", model, data, "--no-intervals", "-q"], capsys)
    assert code == 0, err
    code, named, _ = run(
        ["evaluate", model, data, "--target", "retweets", "--no-intervals"], capsys
    )
    assert default == named
    code, likes, _ = run(["evaluate", model, data, "--target", "likes", "--no-intervals"], capsys)
    assert likes != named
    page = workdir / "retweets.html"
    assert run(["report", model, data, "-o", page, "-q"], capsys)[0] == 0
    assert "retweets" in page.read_text(encoding="utf-8")
    # predict leaves the recorded target out of the posts, and a file without one reads likes
    out = workdir / "retweets-preds.csv"
    assert run(["predict", model, data, "-o", out, "-q"], capsys)[0] == 0
    assert cli._saved_target(cli.save_model(cli.load_model(model), workdir / "bare.joblib")) is None


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(
    model_file, posts_csv, config, unwritable_folder, tmp_path, capsys
):
    for args in (
        ["fit", posts_csv, "--model", unwritable_folder / "m.joblib", "--config", config],
        ["predict", model_file, posts_csv, "-o", unwritable_folder / "p.csv"],
        ["report", model_file, posts_csv, "-o", unwritable_folder / "r.html"],
    ):
        code, _, err = run(args, capsys)
        assert code == cli.EXIT_ERROR, (args, err)
        assert len(err.strip().splitlines()) == 1, err  # no step message: no work was done
        assert f"the folder '{unwritable_folder}' cannot be written into" in err, err
    # a link to a file there (latest.csv -> the shared results): written through, so checked
    # where it points, not in its own folder (the predictions were made, then rescued)
    link = tmp_path / "latest.csv"
    link.symlink_to(unwritable_folder / "p.csv")
    code, _, err = run(["predict", model_file, posts_csv, "-o", link], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert f"cannot write -o '{link}': the folder '" in err and "cannot be written into" in err
    code, _, err = run(["demo", "--out", unwritable_folder, "--rows", 50], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert f"cannot write into the output folder '{unwritable_folder}'" in err, err
    code, _, err = run(["demo", "--out", posts_csv, "-q"], capsys)
    assert code == cli.EXIT_ERROR and "is a file, not a folder" in err, err


def _fail_after_writing_part(real):
    """A writer that writes part of its file, then fails as a full disk does."""
    import errno

    def write(obj, path, *args, **kwargs):
        if hasattr(path, "write"):  # an open handle: a compressed file's (text), the model's
            path.write(b"half a file" if "b" in getattr(path, "mode", "") else "half a file")
        else:
            Path(path).write_bytes(b"half a file")
        raise OSError(errno.EFBIG, "File too large")

    return write


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    model_file, posts_csv, workdir, monkeypatch, capsys
):
    import joblib as joblib_module

    folder = workdir / "failed-writes"
    folder.mkdir()
    old_preds, old_model = folder / "p.csv.gz", folder / "m.joblib"
    code, _, err = run(["predict", model_file, posts_csv, "-o", old_preds, "-q"], capsys)
    assert code == 0, err
    assert old_preds.read_bytes()[:2] == b"\x1f\x8b"  # .csv.gz is gzip-compressed
    # the gzip header names the file (gunzip -N restores it), not the temporary file
    header = old_preds.read_bytes()
    assert header[3] & 0x08 and header[10:].split(b"\0", 1)[0] == b"p.csv"
    upper = folder / "P.CSV.GZ"
    assert run(["predict", model_file, posts_csv, "-o", upper, "-q"], capsys)[0] == 0
    assert upper.read_bytes()[10:].split(b"\0", 1)[0] == b"P.CSV"
    upper.unlink()
    assert len(pd.read_csv(old_preds)) == len(pd.read_csv(posts_csv))
    cli.save_model({"not": "a model"}, old_model)
    before = {p: p.read_bytes() for p in (old_preds, old_model)}
    monkeypatch.setattr(pd.DataFrame, "to_csv", _fail_after_writing_part(pd.DataFrame.to_csv))
    code, _, err = run(["predict", model_file, posts_csv, "-o", old_preds, "-q"], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert f"cannot write the predictions file '{old_preds}'" in err and "File too large" in err
    monkeypatch.setattr(joblib_module, "dump", _fail_after_writing_part(joblib_module.dump))
    with pytest.raises(OSError, match="cannot write the model file .*File too large"):
        cli.save_model({"another": "model"}, old_model)
    assert {p: p.read_bytes() for p in (old_preds, old_model)} == before
    assert sorted(p.name for p in folder.iterdir()) == ["m.joblib", "p.csv.gz"]


def test_report_accepts_the_dates_evaluate_accepts(model_file, posts_csv, workdir, capsys):
    frame = pd.read_csv(posts_csv)
    frame.loc[3, "date"] = None  # evaluate scores it (NaN date features); so must report
    frame.loc[5, "date"] = "2021-03-01T10:00:00+05:00"  # another time zone: UTC, as the model
    data = workdir / "odd-dates.csv"
    frame.to_csv(data, index=False)
    assert run(["evaluate", model_file, data, "-q"], capsys)[0] == 0
    code, _, err = run(["report", model_file, data, "-o", workdir / "odd.html", "-q"], capsys)
    assert code == 0, err
    # no date at all: evaluate scores it, and the report leaves out only the time plot, saying so
    frame["date"] = None
    frame.to_csv(data, index=False)
    assert run(["evaluate", model_file, data, "-q"], capsys)[0] == 0
    code, _, err = run(["report", model_file, data, "-o", workdir / "undated.html", "-q"], capsys)
    assert code == 0, err
    assert "warning: the report leaves out the plot 'Error over time" in err
    assert "Not drawn: column" in (workdir / "undated.html").read_text(encoding="utf-8")


def test_day_first_dates_name_the_flag_that_reads_them(
    model_file, posts_csv, config, workdir, capsys
):
    frame = pd.read_csv(posts_csv)
    when = pd.to_datetime(frame["date"], format="ISO8601")
    frame["date"] = when.dt.strftime("%d/%m/%Y %H:%M:%S")  # day first, as a European export
    frame.loc[0, "date"], frame.loc[1, "date"] = "13/04/2021 10:00", "03/04/2021 10:00"
    data = workdir / "day-first.csv"
    frame.to_csv(data, index=False)
    code, _, err = run(["evaluate", model_file, data, "-q"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and "mixes day/month orders" in err
    # in the command's words (Python's "pass dayfirst=True" came first, the flag after it)
    said = "; pass --dayfirst if the column is day first, or write the dates as ISO 8601"
    assert said in err and "would be read month first (in" not in err and "dayfirst=" not in err
    code, out, err = run(["evaluate", model_file, data, "-q", "--dayfirst"], capsys)
    assert code == 0, err
    assert "DayMonthOrder" not in err and "settled the order" not in err  # ISO at fit
    # read day first, they are the training posts (bar the two dates changed above): said so
    assert err == _training_posts_line(78, 80, "98%"), err
    # read day first, the dates are the same instants as the ISO ones: the same metrics
    frame["date"] = when.dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.loc[0, "date"], frame.loc[1, "date"] = "2021-04-13 10:00", "2021-04-03 10:00"
    iso = workdir / "iso.csv"
    frame.to_csv(iso, index=False)
    assert run(["evaluate", model_file, iso, "-q"], capsys)[1] == out
    # the report's configuration shows dayfirst=True: it says that came from the command line
    page = workdir / "dm.html"
    code, _, err = run(["report", model_file, data, "-o", page, "-q", "--dayfirst"], capsys)
    assert code == 0, err
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert "dayfirst=True" in text
    assert "'dates read with': '--dayfirst (command line; the model file is unchanged)'" in text
    # fit is told where its setting lives
    code, _, err = run(["fit", data, "--model", workdir / "dm.joblib", "--config", config], capsys)
    assert code == 1 and said in err and "dayfirst=" not in err, err
    # which it takes, over the config's order; the model reads later files so too
    fitted = workdir / "dm.joblib"
    code, _, err = run(["fit", data, "--model", fitted, "--config", config, "--dayfirst"], capsys)
    assert code == 0, err
    from skbucket._models import every_estimator

    steps = every_estimator(cli.load_model(fitted))
    assert {s.dayfirst for s in steps if hasattr(s, "dayfirst")} == {True}
    day_first = run(["evaluate", fitted, data, "-q"], capsys)
    assert day_first[0] == 0 and day_first[:2] == run(["evaluate", fitted, iso, "-q"], capsys)[:2]
    # and --no-dayfirst over a config's true
    day_config = workdir / "dayfirst-config.json"
    day_config.write_text(json.dumps({**json.loads(config.read_text()), "dayfirst": True}))
    code, _, err = run(
        ["fit", iso, "--model", fitted, "--config", day_config, "--no-dayfirst", "-q"], capsys
    )
    assert code == 0, err
    steps = every_estimator(cli.load_model(fitted))
    assert {s.dayfirst for s in steps if hasattr(s, "dayfirst")} == {False}


def test_dates_misread_at_fit_ask_for_a_refit_on_the_command_line(
    posts_csv, config, workdir, capsys
):
    """A fit on day-first dates that are all ambiguous read them month first; a later date
    that can only be day first said "fit again with dayfirst=True, or write the dates as ISO
    8601" in Python's words: rewriting the new file's dates made the error go, and left the
    model learnt from misread dates."""
    frame = pd.read_csv(posts_csv)
    when = pd.to_datetime(frame["date"], format="ISO8601")
    day = (when.dt.day - 1) % 12 + 1  # every day <= 12: each date reads either way
    frame["date"] = [f"{d:02d}/{m:02d}/{y}" for d, m, y in zip(day, when.dt.month, when.dt.year)]
    data = workdir / "ambiguous.csv"
    frame.to_csv(data, index=False)
    model = workdir / "ambiguous.joblib"
    assert run(["fit", data, "--model", model, "--config", config, "-q"], capsys)[0] == 0
    later = frame.iloc[:5].assign(date="13/04/2021")
    later.to_csv(workdir / "later.csv", index=False)
    code, _, err = run(
        ["predict", model, workdir / "later.csv", "-o", workdir / "p.csv", "-q"], capsys
    )
    assert code == 1 and err.count("\n") == 1
    assert "or with the training dates written as ISO 8601 (2021-04-03)" in err
    # the file named is where the new date is, not the misread ones (it read as if it were)
    assert f"(in {workdir / 'later.csv'})" not in err
    assert (
        f"(the rows named are in {workdir / 'later.csv'}; the dates seen at fit, in the "
        "training data)" in err
    )
    assert (
        "is ambiguous (read month first), so the model learned from misread dates; fit again "
        "with `skbucket fit --dayfirst` if the column is day first, or with the training dates"
    ) in err and "dayfirst=" not in err, err
    # --dayfirst read the new file day first and predicted from the misread model without a
    # word (the documented override of the check against the training dates): it is said
    out = workdir / "p.csv"
    code, _, err = run(
        ["predict", model, workdir / "later.csv", "-o", out, "-q", "--dayfirst"], capsys
    )
    assert code == 0 and out.exists(), err
    assert "warning: --dayfirst reads this file's dates day first, but the model read" in err
    assert "fit it again with `skbucket fit --dayfirst`." in err


def test_dayfirst_flag_needs_a_model_that_reads_dates(workdir, posts_csv, capsys):
    from sklearn.dummy import DummyRegressor

    path = workdir / "dummy.joblib"
    cli.save_model(DummyRegressor().fit([[0]], [1]), path)
    code, _, err = run(["predict", path, posts_csv, "-o", workdir / "p.csv", "--dayfirst"], capsys)
    assert code == 1 and "--dayfirst: the model has no step that reads dates" in err


def test_report_writes_self_contained_html(model_file, posts_csv, workdir, capsys):
    out_html = workdir / "report.html"
    code, _, err = run(["report", model_file, posts_csv, "-o", out_html, "-q"], capsys)
    assert code == 0, err
    html = out_html.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 5
    assert "rmse_log1p" in html and "models used" in html


def test_report_of_a_model_file_that_is_not_a_seed_pipeline(posts_csv, workdir, capsys):
    # save_model takes any estimator; the report names the models only of a seed pipeline
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    frame = load_tweets().frame.iloc[:80]
    model = make_pipeline(
        make_column_transformer(("passthrough", ["id"]), remainder="drop"), Ridge()
    ).fit(frame[["id"]].astype(float), frame["likes"])
    path = cli.save_model(model, workdir / "ridge.joblib")
    data = workdir / "ids.csv"
    frame[["id", "likes"]].to_csv(data, index=False)
    out_html = workdir / "ridge.html"
    code, _, err = run(["report", path, data, "-o", out_html, "-q"], capsys)
    assert code == 0, err
    page = out_html.read_text(encoding="utf-8")
    assert "model file" in page and "models used" not in page


def test_messages_on_stderr_unless_quiet(model_file, posts_csv, capsys):
    code, _, err = run(["evaluate", model_file, posts_csv], capsys)
    assert code == 0
    assert "[skbucket] evaluating on 80 posts" in err


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d, m: ["predict", m, d / "missing.csv", "-o", d / "p.csv"], "data file not found"),
        (lambda d, m: ["predict", m, d / "config.json", "-o", d / "p.csv"], "unsupported data"),
        (
            lambda d, m: ["predict", d / "nope.joblib", d / "posts.csv.gz", "-o", d / "p.csv"],
            "model file not found",
        ),
        (
            lambda d, m: ["evaluate", d / "config.json", d / "posts.csv.gz"],
            "config.json is not a model file written by `skbucket fit` (a pickle); it starts with",
        ),
        (
            lambda d, m: [
                "fit",
                d / "posts.csv.gz",
                "--model",
                d / "x.joblib",
                "--config",
                d / "missing.toml",
            ],
            "config file not found",
        ),
    ],
)
def test_bad_files_give_one_line_errors(make_args, message, workdir, model_file, capsys):
    code, _, err = run(make_args(workdir, model_file), capsys)
    assert code == cli.EXIT_ERROR
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_pipes_and_folders_as_inputs_or_output_are_named_before_any_work(
    model_file, posts_csv, tmp_path, capsys
):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "posts.csv"
    folder.mkdir()
    out = tmp_path / "p.csv"
    for args, message in [
        (["predict", model_file, fifo, "-o", out], f"data {fifo} is no regular file (a pipe"),
        (["evaluate", model_file, folder], f"data {folder} is a folder, not a file"),
        (["evaluate", fifo.with_suffix(".joblib"), posts_csv], "model file not found"),
        (["predict", model_file, posts_csv, "-o", fifo], f"-o '{fifo}' is no regular file"),
    ]:
        code, _, err = run(args, capsys)
        assert code == cli.EXIT_ERROR and message in err, err
    os.mkfifo(fifo.with_suffix(".joblib"))
    code, _, err = run(["evaluate", fifo.with_suffix(".joblib"), posts_csv], capsys)
    assert "model " + str(fifo.with_suffix(".joblib")) + " is no regular file" in err
    assert fifo.is_fifo() and not out.exists()  # the named pipe was not replaced by a file
    read, write = os.pipe()  # ``--config <(cat config.json)``: a pipe read once, taken
    os.write(write, b'{"epochs": 2, "random_state": 1}')
    os.close(write)
    try:
        assert cli._load_config(f"/dev/fd/{read}") == {"epochs": 2, "random_state": 1}
    finally:
        os.close(read)
    with pytest.raises(cli.CLIError, match="is a folder, not a file"):
        cli._load_config(tmp_path)
    with pytest.raises(cli.CLIError, match="/dev/zero is no regular file or pipe"):
        cli._load_config("/dev/zero")  # read to its end: all the memory there is


def test_corrupt_csv_and_empty_file(workdir, model_file, capsys):
    empty = workdir / "empty.csv"
    empty.write_text("content,username\n")
    code, _, err = run(["predict", model_file, empty, "-o", workdir / "p.csv"], capsys)
    assert code == cli.EXIT_ERROR and "holds no rows" in err
    garbage = workdir / "garbage.parquet"
    garbage.write_bytes(b"\x00not parquet at all")
    code, _, err = run(["predict", model_file, garbage, "-o", workdir / "p.csv"], capsys)
    assert code == cli.EXIT_ERROR and "cannot read" in err and len(err.splitlines()) == 1


def test_an_excel_workbook_whose_first_sheet_is_empty_says_so(workdir, model_file, capsys):
    """A cover or notes sheet before the posts: "holds no rows" hid why; a file that is no
    workbook asked for an engine the command has no option for."""
    pytest.importorskip("openpyxl")
    book = workdir / "notes-first.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"notes": []}).to_excel(writer, sheet_name="notes", index=False)
        load_tweets().frame.iloc[:5].to_excel(writer, sheet_name="posts", index=False)
    code, _, err = run(["predict", model_file, book, "-o", workdir / "p.csv"], capsys)
    assert code == cli.EXIT_ERROR, err
    assert (
        "its first sheet 'notes' holds no rows, and only the first sheet is read (sheets: "
        "['notes', 'posts']); put the posts on the first sheet" in err
    ), err
    fake = workdir / "not-a-book.xlsx"
    fake.write_bytes(b"just some text, saved as .xlsx")
    code, _, err = run(["predict", model_file, fake, "-o", workdir / "p.csv"], capsys)
    assert code == cli.EXIT_ERROR and "engine" not in err, err
    assert "it is not an Excel workbook (.xlsx, .xlsm) that openpyxl can open" in err, err


def test_missing_columns_are_named(workdir, model_file, capsys):
    frame = load_tweets().frame.iloc[:5].drop(columns=["username"])
    data = workdir / "no_username.csv"
    frame.to_csv(data, index=False)
    code, _, err = run(["predict", model_file, data, "-o", workdir / "p.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR
    assert "username" in err and len(err.splitlines()) == 1
    assert str(data) in err, err  # which file lacks it
    bunch = load_tweets()
    bundled = importlib.resources.files(bunch.data_module) / bunch.filename
    code, _, err = run(["evaluate", model_file, bundled, "-q"], capsys)
    assert code == 0, err  # the bundled file itself is a valid input
    no_target = workdir / "no_likes.csv"
    load_tweets().frame.drop(columns=["likes"]).iloc[:5].to_csv(no_target, index=False)
    code, _, err = run(["evaluate", model_file, no_target, "-q"], capsys)
    assert code == cli.EXIT_ERROR and "'likes'" in err


def test_model_from_an_incompatible_version_is_refused(workdir, model_file, capsys):
    header, model = read_model_file(model_file)
    header["versions"]["scikit-learn"] = "0.24.2"
    old = workdir / "old.joblib"
    with open(old, "wb") as fh:
        _modelfile._write_model_file(fh, header, model)
    code, _, err = run(["evaluate", old, workdir / "posts.csv.gz"], capsys)
    assert code == cli.EXIT_ERROR
    assert "scikit-learn 0.24.2" in err and "incompatible" in err


def test_the_versions_are_checked_before_the_model_is_unpickled(workdir, model_file, capsys):
    # a pickle of a class that is not there when the file is read (a module another version of
    # a library renamed: numpy._core for numpy 1, say)
    gone = b"cno_such_module_of_another_version\nThing\n)\x81."
    header, _ = read_model_file(model_file)
    path = workdir / "unloadable.joblib"
    running = header["versions"]
    for changed, message in [
        ({"scikit-learn": "0.24.2"}, "written with scikit-learn 0.24.2"),  # before: "No module"
        ({"numpy": "1.26.4"}, f"written with numpy 1.26.4 (this is {running['numpy']})"),
        ({}, "No module named 'no_such_module_of_another"),
    ]:
        versions = {**running, **changed}
        with open(path, "wb") as fh:
            pickle.dump({"skbucket_model_file": 2, "versions": versions}, fh)
            fh.write(gone)
        code, _, err = run(["evaluate", path, workdir / "posts.csv.gz"], capsys)
        assert code == cli.EXIT_ERROR and message in err, err
        assert len(err.strip().splitlines()) == 1


def test_a_format_1_model_file_is_still_read(workdir, model_file, posts_csv, capsys):
    header, model = read_model_file(model_file)
    old = workdir / "format1.joblib"
    joblib.dump({"skbucket_model_file": 1, "versions": header["versions"], "estimator": model}, old)
    assert [name for name, _ in cli.load_model(old).steps][-1] == "model"
    # skbucket.io.load gave back the envelope, a dict: AttributeError at the user's predict
    from skbucket import io

    for path in (old, model_file):  # format 1, and 2 (whose header joblib reads)
        with pytest.raises(io.PersistenceError, match=r"load it with skbucket\.cli\.load_model"):
            io.load(path, allow_pickle=True)
    # without allow_pickle, a format-2 file is named at once (it said "pass allow_pickle=True",
    # which led only to the message above), by its header: no code run
    with pytest.raises(io.PersistenceError, match=r"written by `skbucket fit`.*cli\.load_model"):
        io.load(model_file)
    # only the file's first MiB is read for it: a pickle of 800 bytes, compressed, declared
    # gigabytes the unpickler read before refusing (2 GB of memory for the safe default)
    big = workdir / "big-header.joblib"
    joblib.dump({**header, "pad": b"\0" * (2 << 20)}, big)
    with pytest.raises(io.PersistenceError, match=r"is a joblib \(pickle\) file; loading it"):
        io.load(big)
    # a dict of the user's that uses the key is not taken for a model file
    mine = workdir / "mine.joblib"
    joblib.dump({"skbucket_model_file": "my run", "scores": [1, 2]}, mine)
    with pytest.raises(io.PersistenceError, match=r"is a joblib \(pickle\) file; loading it"):
        io.load(mine)
    assert io.load(mine, allow_pickle=True)["scores"] == [1, 2]
    envelope = {"skbucket_model_file": 1, "versions": dict(header["versions"]), "estimator": model}
    envelope["versions"]["skbucket"] = "0.0.1"
    joblib.dump(envelope, old)
    with pytest.raises(cli.CLIError, match="written with skbucket 0.0.1"):
        cli.load_model(old)
    newer = workdir / "format3.joblib"
    with open(newer, "wb") as fh:
        _modelfile._write_model_file(fh, {"skbucket_model_file": 3, "versions": {}}, model)
    with pytest.raises(
        cli.CLIError, match="uses model file format 3, this skbucket reads format 2"
    ):
        cli.load_model(newer)


class _RebuiltLoudly:
    """A model of the user's that warns as it is unpickled (a state it rebuilds, say)."""

    def __init__(self):
        self.fitted_ = True  # a state to set (pickle calls no __setstate__ for none)

    def predict(self, X):
        return np.zeros(len(X))

    def __setstate__(self, state):
        warnings.warn("_RebuiltLoudly: rebuilt from an old state", UserWarning, stacklevel=2)
        self.__dict__.update(state)


@pytest.mark.parametrize("file_format", [1, 2])
def test_load_model_hides_only_scikit_learns_warning_per_class(tmp_path, monkeypatch, file_format):
    """load_model ignored every warning while it unpickled the estimator: a class of the
    user's that warned went unseen, and a file of another scikit-learn patch release (which
    scikit-learn warns of for every class) loaded without a word. Now that is one warning
    naming both versions, and the user's shows."""
    import sklearn
    import sklearn.base
    from sklearn.exceptions import InconsistentVersionWarning
    from sklearn.linear_model import Ridge

    from skbucket import io

    major, minor, patch = sklearn.__version__.split(".")[:3]
    other = f"{major}.{minor}.{int(''.join(c for c in patch if c.isdigit())) + 1}"
    versions = {**io.library_versions(), "scikit-learn": other}
    ridge = Ridge().fit(np.arange(6.0).reshape(-1, 1), np.arange(6.0))
    path = tmp_path / "patch.joblib"
    with monkeypatch.context() as patched:  # written as that release writes it
        patched.setattr(sklearn.base, "__version__", other)
        if file_format == 2:
            with open(path, "wb") as fh:
                _modelfile._write_model_file(
                    fh, {"skbucket_model_file": 2, "versions": versions}, ridge
                )
        else:
            joblib.dump({"skbucket_model_file": 1, "versions": versions, "estimator": ridge}, path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cli.load_model(path)
    kinds = [type(w.message) for w in seen]
    assert kinds == [io.VersionMismatchWarning], [str(w.message) for w in seen]
    assert f"written with scikit-learn {other}, this is scikit-learn {sklearn.__version__}" in (
        str(seen[0].message)
    )
    assert InconsistentVersionWarning not in kinds
    loud = cli.save_model(_RebuiltLoudly(), tmp_path / "loud.joblib")
    with pytest.warns(UserWarning, match="_RebuiltLoudly: rebuilt from an old state"):
        cli.load_model(loud)
    with warnings.catch_warnings():  # the versions installed: no version warning
        warnings.simplefilter("error", io.VersionMismatchWarning)
        cli.load_model(cli.save_model(ridge, tmp_path / "same.joblib"))


def test_model_with_a_damaged_version_record_is_one_line(workdir, model_file, capsys):
    header, model = read_model_file(model_file)
    header["versions"] = None
    damaged = workdir / "damaged.joblib"
    with open(damaged, "wb") as fh:
        _modelfile._write_model_file(fh, header, model)
    code, _, err = run(["evaluate", damaged, workdir / "posts.csv.gz"], capsys)
    assert code == cli.EXIT_ERROR and "version record is damaged" in err
    assert len(err.strip().splitlines()) == 1


class _Huge:
    """Unpickles as a 4-exbibyte buffer: loading it runs out of memory (MemoryError)."""

    def __reduce__(self):
        return bytearray, (2**62,)


def test_a_model_file_too_large_for_memory_is_not_called_damaged(workdir, model_file, capsys):
    """Running out of memory while loading a sound model file was reported as "the rest of
    the file is damaged or cut short (...): copy it again or refit it", hours of work."""
    header, model = read_model_file(model_file)
    model.memory_hog_ = _Huge()
    big = workdir / "big.joblib"
    with open(big, "wb") as fh:
        _modelfile._write_model_file(fh, header, model)
    code, _, err = run(["evaluate", big, workdir / "posts.csv.gz"], capsys)
    assert code == cli.EXIT_ERROR and "it ran out of memory while loading (MemoryError)" in err
    assert "damaged or cut short" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e.pop("estimator"), "the model file holds no estimator"),
        (lambda e: e.update(estimator="a text"), "holds a str, not an estimator that can predict"),
        (lambda e: e.update(estimator=None), "holds a NoneType, not an estimator that can"),
    ],
)
def test_a_model_file_without_a_usable_estimator_is_one_line(
    workdir, model_file, posts_csv, edit, message, capsys
):
    header, model = read_model_file(model_file)
    envelope = {"skbucket_model_file": 1, "versions": header["versions"], "estimator": model}
    edit(envelope)  # a format-1 file (the estimator beside the versions)
    broken = workdir / "no-estimator.joblib"
    joblib.dump(envelope, broken)
    for args in (
        ["predict", broken, posts_csv, "-o", workdir / "p.csv"],
        ["evaluate", broken, posts_csv],
    ):
        code, _, err = run(args, capsys)
        assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
        assert message in err and "refit it with `skbucket fit`" in err, err


def test_metrics_table_prints_the_row_count_as_an_integer():
    table = cli._format_metrics({"rmse": 1234.5, "n_samples": 1500})
    # values right-aligned, as in the table with intervals (they were left-aligned)
    assert table.splitlines()[-2:] == ["rmse       1,234.5000", "n_samples       1,500"]


def test_the_intervals_line_up_their_bounds():
    """Wide and narrow bounds made the "to" wander from row to row, and the rule under the
    header was shorter than the intervals."""
    metrics = {"rmse": 7.0e9, "rmse_log1p": 15.1, "r2": 0.5}
    intervals = {"rmse": (7_001_974_783.5, 44_339_972_015.28), "rmse_log1p": (13.74, 16.5)}
    lines = cli._format_metrics(metrics, intervals).splitlines()
    assert len({line.index(" to ") for line in lines[2:4]}) == 1, lines
    assert lines[2].endswith("44,339,972,015.2800") and lines[3].endswith("16.5000")
    assert len(lines[1]) == len(lines[2])  # the rule as wide as the widest interval
    assert lines[4].rstrip().endswith("0.5000")  # no interval: nothing after the value


def test_evaluate_says_why_a_metric_is_undefined_as_the_report_does(
    model_file, posts_csv, workdir, capsys
):
    """R² of posts whose likes are all the same printed "nan" with no word of why; the
    report shows n/a and explains it under its table."""
    same = workdir / "same-likes.csv"
    pd.read_csv(posts_csv).head(6).assign(likes=5).to_csv(same, index=False)
    code, out, err = run(["evaluate", model_file, same, "-q"], capsys)
    assert code == 0, err
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:] if line.strip()}
    assert rows["r2"] == rows["r2_log1p"] == "n/a" and "nan" not in out
    assert (
        "n/a: r2, r2_log1p undefined on these rows (R² needs actual likes that are not "
        in _prose(out)
    )


@pytest.mark.parametrize("rows", ["0", "-10", "ten"])
def test_demo_rows_must_be_a_positive_integer(rows, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["demo", "--rows", rows])
    assert info.value.code == 2 and "expected a positive integer" in capsys.readouterr().err


def test_fit_says_how_many_images_could_not_be_captioned(workdir, tiny_model, capsys):
    from _tiny_blip2 import make_tiny_blip2

    blip2 = make_tiny_blip2(workdir / "tiny-blip2", image_size=32)
    frame = load_tweets().frame.iloc[:30].assign(media=str(workdir / "no-such-photo.jpg"))
    data = workdir / "unreachable-media.csv"
    frame.to_csv(data, index=False)
    args = ["fit", data, "--model", workdir / "cap.joblib", "--text-model", tiny_model]
    code, _, err = run([*args, "--caption-model", blip2, "-q"], capsys)  # quiet, yet said
    assert code == 0, err
    said = [line for line in err.splitlines() if line.startswith("[skbucket] warning:")]
    said = [line for line in said if "Blip2Captioner" in line]  # (30 posts: the router warns)
    assert len(said) == 1  # one line, from the captioner's CaptioningWarning
    assert "Blip2Captioner: 30 image(s) in 30 row(s) could not be captioned" in said[0]
    assert "no such file" in said[0]


def test_a_caption_model_ignores_columns_the_pipeline_does_not_use(workdir, tiny_model, capsys):
    """With a captioner as the first step, a file with an extra column, without the unused
    ones or with its columns in another order predicts as the file fit saw (every post has a
    caption, so the tiny BLIP-2 is never run)."""
    from _tiny_blip2 import make_tiny_blip2

    blip2 = make_tiny_blip2(workdir / "tiny-blip2-columns", image_size=32)
    posts = load_captioned_posts().frame.iloc[:70]
    train, new = workdir / "cap-train.csv", posts.iloc[50:].drop(columns=["likes"])
    posts.iloc[:50].to_csv(train, index=False)
    config = workdir / "cap-config.json"
    config.write_text(json.dumps({"classifier": "hgb", "random_state": 0, "cache": False}))
    model = workdir / "captioner.joblib"
    args = ["fit", train, "--model", model, "--config", config, "--text-model", tiny_model]
    code, _, err = run([*args, "--caption-model", blip2, "-q"], capsys)
    assert code == 0, err
    assert type(cli.load_model(model).named_steps["caption"]).__name__ == "Blip2Captioner"
    variants = {
        "same": new,
        "extra": new.assign(batch="2024-05"),
        "fewer": new.drop(columns=["id", "source_id", "regime"]),
        "reordered": new[new.columns[::-1]],
    }
    predictions = {}
    for name, frame in variants.items():
        data, out_csv = workdir / f"cap-{name}.csv", workdir / f"cap-{name}-pred.csv"
        frame.to_csv(data, index=False)
        code, _, err = run(["predict", model, data, "-o", out_csv, "-q"], capsys)
        assert code == 0, (name, err)
        predictions[name] = pd.read_csv(out_csv)["prediction"].to_numpy()
    for name in ("extra", "fewer", "reordered"):
        assert predictions[name] == pytest.approx(predictions["same"], rel=1e-12), name
    code, out, err = run(["evaluate", model, train, "-q"], capsys)
    assert code == 0 and "rmse" in out, err


def test_a_missing_optional_package_is_one_line_naming_the_extra(
    model_file, posts_csv, workdir, monkeypatch, capsys
):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    code, _, err = run(["report", model_file, posts_csv, "-o", workdir / "x.html"], capsys)
    assert code == cli.EXIT_ERROR
    assert len(err.strip().splitlines()) == 1 and "pip install 'skbucket[report]'" in err, err
    # found before the model is loaded and every post predicted (and captioned), not after
    assert "evaluating" not in err and not (workdir / "x.html").exists()


def test_an_empty_model_file_is_named_empty(workdir, capsys):
    # an interrupted copy left 0 bytes: "it starts with b'': is it the DATA or the config file?"
    empty = workdir / "empty.joblib"
    empty.write_bytes(b"")
    code, _, err = run(["evaluate", empty, workdir / "posts.csv.gz"], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert "empty.joblib is empty (0 bytes), not a model file" in err, err
    assert "DATA" not in err


def test_plain_pickle_is_not_a_model_file(workdir, capsys):
    other = workdir / "other.joblib"
    joblib.dump({"something": 1}, other)
    code, _, err = run(["evaluate", other, workdir / "posts.csv.gz"], capsys)
    assert code == cli.EXIT_ERROR and "not a model file written by `skbucket fit`" in err


def test_model_files_of_other_writers_or_cut_short_are_named_for_what_they_are(
    model_file, workdir, capsys
):
    """A file cut short said "not a skbucket model file, or one written by an incompatible
    version" (both wrong: its header named these versions); skbucket.io.save's files got a
    pickle error or "not a model file" without a word on how to use them here."""
    from sklearn.linear_model import LinearRegression

    from skbucket import io

    model = cli.load_model(model_file)
    data = workdir / "posts.csv.gz"
    cut = workdir / "cut.joblib"
    cut.write_bytes(Path(model_file).read_bytes()[:-2000])
    code, _, err = run(["evaluate", cut, data, "-q"], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert "the rest of the file is damaged or cut short" in err
    fitted = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    for fmt, expected in (("skops", "skbucket.io.load"), ("joblib", "a bare LinearRegression")):
        saved = io.save(fitted if fmt == "joblib" else model, workdir / f"saved.{fmt}", format=fmt)
        code, _, err = run(["evaluate", saved, data, "-q"], capsys)
        assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
        assert expected in err and "skbucket.cli.save_model(model, path)" in err, err


@pytest.mark.parametrize("suffix, keep", [(".bz2", 0.5), (".gz", 60), (".xz", 40), ("", 100)])
def test_a_model_file_cut_before_its_header_ends_is_named_cut_short(
    model_file, workdir, capsys, suffix, keep
):
    """A model file cut before its header could be read (a bzip2 file cut anywhere in its
    first block of 900 KB, the others in their first bytes) was "not a skbucket model file, or
    one written by an incompatible version; refit it": it needs copying again."""
    model = cli.load_model(model_file)
    whole = cli.save_model(model, workdir / f"whole.joblib{suffix}").read_bytes()
    cut = workdir / f"cut.joblib{suffix}"
    cut.write_bytes(whole[: int(len(whole) * keep) if keep < 1 else keep])
    code, _, err = run(["evaluate", cut, workdir / "posts.csv.gz", "-q"], capsys)
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert "the file ends early or is damaged from its first bytes" in err, err
    assert "incompatible version" not in err


def test_a_container_of_another_skbucket_minor_is_refused_not_sent_round(workdir, capsys):
    """A skbucket.io container from an older minor got "load it with skbucket.io.load, then
    write it with skbucket.cli.save_model": done, the old model was stamped with today's
    versions, and the command line took it (its own model files of that version it refuses)."""
    import zipfile

    from sklearn.linear_model import LinearRegression

    import skbucket
    from skbucket import io

    saved = io.save(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), workdir / "lr.skops")
    old = workdir / "old.skops"
    with zipfile.ZipFile(saved) as zin, zipfile.ZipFile(old, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "meta.json":
                meta = json.loads(data)
                meta["versions"]["skbucket"] = "0.6.0"
                data = json.dumps(meta).encode()
            zout.writestr(name, data)
    data = workdir / "x.csv"
    pd.DataFrame({"content": ["a"], "likes": [1]}).to_csv(data, index=False)
    pd.DataFrame({"content": ["a"], "likes": [1]}).to_excel(workdir / "posts.xlsx", index=False)
    import skops.io

    plain = workdir / "plain.skops"
    skops.io.dump(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), plain)
    for path, said in (
        (saved, "load it in Python with skbucket.io.load"),
        (old, f"written with skbucket 0.6.0, this is skbucket {skbucket.__version__}: incompat"),
        # no versions: saved here, it would record ours (io.load says so too)
        (
            plain,
            "plain skops file (no version record), not a model file of `skbucket fit`: "
            "where it was fitted",
        ),
        # DATA and MODEL swapped: a workbook was "a skops file or skbucket.io container",
        # which io.load then denied
        (
            workdir / "posts.xlsx",
            "posts.xlsx is a zip file (a workbook or another Office file), not a model file "
            "written by `skbucket fit`: is it the DATA?",
        ),
    ):
        code, _, err = run(["evaluate", path, data, "-q"], capsys)
        assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
        assert said in err, err


def test_a_model_needing_code_that_is_not_here_says_so(workdir, monkeypatch, capsys):
    """A model holding a function of the user's (a notebook's, a script's) was called
    'damaged or cut short' when that function could not be imported."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    folder = workdir / "usercode"
    folder.mkdir()
    (folder / "skb_user_steps.py").write_text("def pick(X):\n    return X[['a']]\n")
    monkeypatch.syspath_prepend(str(folder))
    import skb_user_steps

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 1.0, 1.0]})
    model = make_pipeline(FunctionTransformer(skb_user_steps.pick), Ridge()).fit(X, [0, 1, 2])
    path = cli.save_model(model, workdir / "user.joblib")
    header = _modelfile._saved_header(path)
    header["versions"]["torch"] = "0.0.1"
    other = workdir / "user_gpu.joblib"
    with open(other, "wb") as fh:
        _modelfile._write_model_file(fh, header, model)
    monkeypatch.delitem(sys.modules, "skb_user_steps")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(folder)])
    with pytest.raises(cli.CLIError) as caught:
        cli.load_model(path)
    message = str(caught.value)
    assert "No module named 'skb_user_steps'" in message
    assert "cannot be imported here" in message and "damaged" not in message
    # with another library version recorded (a GPU machine's torch), that version was blamed
    # alone, with the advice to install it
    with pytest.raises(cli.CLIError) as caught:
        cli.load_model(other)
    message = str(caught.value)
    assert "No module named 'skb_user_steps'" in message and "torch 0.0.1" in message
    assert "code of your own" in message and "make it importable" in message


@pytest.mark.parametrize("module", ["skbucket.cli", "skbucket"])
def test_entry_point_runs_as_a_program(module):
    """``python -m skbucket`` said "No module named skbucket.__main__"."""
    done = subprocess.run(
        [sys.executable, "-m", module, "predict", "no.joblib", "no.csv", "-o", "p.csv"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == cli.EXIT_ERROR
    assert done.stderr.startswith("skbucket predict: error: model file not found")
    help_text = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True
    ).stdout
    for command in ("demo", "fit", "predict", "evaluate", "report"):
        assert command in help_text


def test_a_closed_standard_output_ends_quietly(model_file, new_posts_csv):
    """`skbucket evaluate ... | head -1`: the reader went away before the table was written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "skbucket.cli", "evaluate", model_file, new_posts_csv, "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # nobody reads standard output any more
    err = proc.stderr.read().decode()
    assert proc.wait() == cli.EXIT_ERROR
    assert err == ""  # no 'error: [Errno 32] Broken pipe', no 'Exception ignored'


class _NoReader:
    """Standard error whose reader went away (``skbucket fit ... 2>&1 | head -1``)."""

    def __init__(self):
        self.writes = 0

    def write(self, text):
        self.writes += 1
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        pass

    def isatty(self):
        return False


def test_a_reader_of_standard_error_that_went_away_ends_the_messages_not_the_fit(
    workdir, posts_csv, config, monkeypatch
):
    gone = _NoReader()
    monkeypatch.setattr(sys, "stderr", gone)
    out = workdir / "no-reader.joblib"
    assert cli.main(["fit", str(posts_csv), "--model", str(out), "--config", str(config)]) == 0
    assert sys.stderr is gone and gone.writes == 1  # the first message failed, no later one tried
    assert hasattr(cli.load_model(out), "predict")


def test_a_program_calling_main_gets_its_standard_error_back(model_file, posts_csv, monkeypatch):
    read, write = os.pipe()
    os.close(read)  # writes fail with BrokenPipeError
    stream = open(write, "w")  # noqa: SIM115 (closed below)
    before = os.fstat(write)
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        assert cli.main(["evaluate", str(model_file), str(posts_csv)]) == 0  # with messages
        after = os.fstat(write)
        assert sys.stderr is stream
        assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)  # not devnull's
    finally:
        monkeypatch.undo()
        stream.close()  # nothing left buffered to fail


def test_ctrl_c_while_embedding_says_how_the_command_line_keeps_the_vectors(
    model_file, workdir, posts_csv, new_posts_csv, config, capsys, caplog, monkeypatch
):
    """Ctrl-C while the posts were embedded noted "set cache to a folder to keep them", a
    parameter of Python's estimators: the command line's way is the config's "cache"."""
    from skbucket.cache import interrupt_note, open_cache, process_memory_cache
    from skbucket.embedding import DistilBertEmbedder

    assert cli._PYTHON_CACHE_REMEDY in interrupt_note(open_cache(None))  # the words replaced
    real, calls = DistilBertEmbedder._embed_batch, []

    def stopped(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user's Ctrl-C, after a first batch
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DistilBertEmbedder, "_embed_batch", stopped)
    out = workdir / "never-written.joblib"
    runs = [
        (["fit", posts_csv, "--model", out, "--config", config, "-q"], cli._CACHE_REMEDY["fit"]),
        (["evaluate", model_file, new_posts_csv, "-q"], cli._CACHE_REMEDY["evaluate"]),
    ]
    for args, remedy in runs:
        process_memory_cache().clear()  # every post is embedded again
        calls.clear()
        caplog.clear()
        code, _, err = run(args, capsys)
        assert code == cli.EXIT_INTERRUPTED, err
        assert err == f"skbucket {args[0]}: interrupted\n"
        (note,) = [r.getMessage() for r in caplog.records if "interrupted: " in r.getMessage()]
        assert note.startswith("[skbucket] DistilBertEmbedder transform interrupted: ")
        assert "kept in this process's memory only (a rerun in another process starts " in note
        assert note.endswith(f"over; {remedy})") and "set cache to a folder" not in note
    assert cli._CACHE_REMEDY["fit"].startswith('give the --config file a "cache" folder')
    assert not out.exists()
    # a program that runs main() gets Python's words back afterwards
    import logging

    assert not any(
        isinstance(f, cli._CacheRemedy)
        for name in cli._INTERRUPT_LOGGERS
        for f in logging.getLogger(name).filters
    )


def test_the_note_of_an_interrupted_run_starts_as_the_other_notes_do(caplog):
    """The note of a run interrupted while posts were embedded or captioned was printed bare
    (Python's last-resort handler: no ``[skbucket]``) between the command's other notes."""
    import logging

    from skbucket.cache import interrupt_note, open_cache

    for command, prefix in (("evaluate", "[skbucket] "), ("demo", "[skbucket demo] ")):
        for name in cli._INTERRUPT_LOGGERS:
            caplog.clear()
            with cli._cache_remedy_in_flags(command):
                logging.getLogger(name).warning(
                    "%s interrupted: %d of %d items computed%s",
                    "DistilBertEmbedder transform",
                    3,
                    10,
                    interrupt_note(open_cache(None)),
                )
            (note,) = [record.getMessage() for record in caplog.records]
            assert note.startswith(f"{prefix}DistilBertEmbedder transform interrupted: 3 of 10")
            assert note.count("[skbucket") == 1, note


def test_ctrl_c_with_no_reader_of_standard_error_is_still_an_interruption(
    model_file, posts_csv, tmp_path, monkeypatch
):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stderr", _NoReader())
    monkeypatch.setattr(cli, "_write_csv", interrupted)
    argv = ["predict", str(model_file), str(posts_csv), "-o", str(tmp_path / "p.csv")]
    assert cli.main(argv) == cli.EXIT_INTERRUPTED


def test_a_closed_standard_output_is_no_failure_of_a_command_that_writes_files(
    model_file, posts_csv, tmp_path
):
    out = tmp_path / "p.csv"
    done = subprocess.run(  # ``>&-``: Python's sys.stdout is None
        ["bash", "-c", 'exec "$0" -m skbucket.cli predict "$1" "$2" -o "$3" -q >&-']
        + [sys.executable, str(model_file), str(posts_csv), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert len(pd.read_csv(out)) == 80


def _evaluate_with_stdout(redirect, model_file, posts_csv):
    """``skbucket evaluate MODEL DATA -q`` run by bash with its standard output redirected
    (``>&-``, ``> /dev/full``): what the shell's user sees."""
    return subprocess.run(
        ["bash", "-c", f'exec "$0" -m skbucket.cli evaluate "$1" "$2" -q {redirect}']
        + [sys.executable, str(model_file), str(posts_csv)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_closed_standard_output_fails_evaluate_whose_table_goes_there(
    model_file, new_posts_csv, monkeypatch, capsys
):
    """``skbucket evaluate MODEL DATA >&-``: print wrote nothing (sys.stdout is None) and the
    command exited 0, as if the table had been shown; now it fails, before any work."""
    done = _evaluate_with_stdout(">&-", model_file, new_posts_csv)
    assert done.returncode == cli.EXIT_ERROR
    assert done.stderr == (
        "skbucket evaluate: error: cannot write standard output: it is closed (>&-), and the "
        "metrics table is written there; give the command a standard output (a terminal, a "
        "file: > metrics.txt)\n"
    )
    monkeypatch.setattr(sys, "stdout", None)  # a program calling main() without one
    monkeypatch.setattr(cli, "load_model", lambda path: pytest.fail("loaded: work was done"))
    assert cli.main(["evaluate", str(model_file), str(new_posts_csv)]) == cli.EXIT_ERROR
    assert "cannot write standard output: it is closed" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_standard_output_is_named(model_file, new_posts_csv):
    done = _evaluate_with_stdout("> /dev/full", model_file, new_posts_csv)
    assert done.returncode == cli.EXIT_ERROR
    expected = "skbucket evaluate: error: cannot write standard output: No space left on device\n"
    assert done.stderr == expected


_TERMINATED_WHILE_WRITING = """
import os, signal, sys, time
from skbucket import cli

def write_then_terminated(frame, fh, path):
    fh.write(b"id,prediction\\n1,")  # half a predictions file, then ``kill`` arrives
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)

cli._write_csv = write_then_terminated
sys.exit(cli.main(sys.argv[1:]))
"""


def test_sigterm_ends_a_command_as_ctrl_c_does(model_file, posts_csv, tmp_path):
    """``kill``/``timeout``/a scheduler's SIGTERM while the output is written: status 143, the
    file already there kept as it was, no temporary file left (as after Ctrl-C)."""
    out = tmp_path / "preds.csv"
    out.write_text("the predictions of an earlier run")
    done = subprocess.run(
        [sys.executable, "-c", _TERMINATED_WHILE_WRITING, "predict", model_file, posts_csv]
        + ["-o", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == cli.EXIT_TERMINATED, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "skbucket predict: terminated"
    assert out.read_text() == "the predictions of an earlier run"
    assert [p.name for p in tmp_path.iterdir()] == ["preds.csv"]


def test_fit_on_media_only_posts(workdir, tiny_model, capsys):
    """The captioned posts have no text column: the pipeline uses the captions instead."""
    frame = load_captioned_posts().frame.iloc[:60]
    data = workdir / "captioned.parquet"
    frame.to_parquet(data)
    model = workdir / "captioned.joblib"
    code, _, err = run(
        [
            "fit",
            data,
            "--model",
            model,
            "--text-model",
            tiny_model,
            "--caption-model",
            "none",
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    assert len(cli.load_model(model).predict(frame)) == 60


def test_a_cache_folder_that_cannot_be_written_is_one_warning(
    workdir, posts_csv, tiny_model, capsys
):
    blocker = workdir / "a-file-not-a-folder"
    blocker.write_text("the cache cannot be made below a file")
    cache = blocker / "cache"
    config = workdir / "unwritable-cache.json"
    config.write_text(
        json.dumps(
            {
                "caption_model": None,
                "text_model": tiny_model,
                "classifier": "hgb",
                "cache": str(cache),
            }
            | {"embedding_batch_size": 8}  # 80 posts: 10 batches, each failing to store
        )
    )
    model = workdir / "unwritable-cache.joblib"
    code, _, err = run(["fit", posts_csv, "--model", model, "--config", config, "-q"], capsys)
    assert code == 0, err
    assert err.splitlines() == [
        f"[skbucket] warning: the cache folder '{cache / 'embeddings'}' cannot be written "
        "(Not a directory); results are computed as usual but not stored there (said once per "
        "folder and kind of failure)"
    ]


def test_fit_keeps_the_progress_setting_of_the_config(workdir, posts_csv, tiny_model, capsys):
    def progress_of(model):
        embedder = model.named_steps["features"].named_transformers_["embedding"]
        return embedder.progress, model.named_steps["model"].classifier_.unseen_.progress

    settings = {"caption_model": None, "text_model": tiny_model, "epochs": 1, "random_state": 0}
    for progress, quiet, expected in ((False, [], False), (True, ["-q"], False)):
        config = workdir / f"progress-{progress}.json"
        config.write_text(json.dumps(settings | {"progress": progress}))
        path = workdir / f"progress-{progress}.joblib"
        code, _, err = run(["fit", posts_csv, "--model", path, "--config", config, *quiet], capsys)
        assert code == 0, err
        assert progress_of(cli.load_model(path)) == (expected, expected), (progress, quiet)


def test_the_progress_setting_of_the_config_holds_for_the_commands_using_the_model(
    workdir, posts_csv, new_posts_csv, tiny_model, capsys, monkeypatch
):
    """``"progress": false`` in fit's config was undone by predict, evaluate and report,
    which set every step's progress to None (bars on a terminal, lines in a log) unless
    --quiet: the model file records the config's setting for them now, and --quiet at fit
    (that run's) is not recorded."""
    from skbucket.cache import process_memory_cache

    monkeypatch.setattr(cli, "PROGRESS_LINE_SECONDS", 0.0)  # a log's line at every update
    settings = {"caption_model": None, "text_model": str(tiny_model), "epochs": 1}
    made = {}
    for progress, quiet in ((False, []), (None, ["-q"]), (True, ["-q"])):
        config = workdir / f"progress-later-{progress}.json"
        config.write_text(json.dumps(settings | {"progress": progress, "random_state": 0}))
        made[progress] = path = workdir / f"progress-later-{progress}.joblib"
        code, _, err = run(["fit", posts_csv, "--model", path, "--config", config, *quiet], capsys)
        assert code == 0, err
        assert cli._saved_settings(path) == {"progress": progress}
    for command in (["evaluate"], ["predict", "-o", workdir / "p.csv"]):
        for progress, lines in ((False, False), (None, True), (True, True)):
            process_memory_cache().clear()  # the posts are embedded again, with any progress
            args = [command[0], made[progress], new_posts_csv, *command[1:]]
            code, _, err = run(args, capsys)
            assert code == 0, err
            assert ("DistilBertEmbedder transform: " in err) is lines, (command, progress, err)
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # a terminal: bars
        for progress, bars in ((False, False), (None, True)):
            process_memory_cache().clear()
            code, _, err = run([command[0], made[progress], new_posts_csv, *command[1:]], capsys)
            assert code == 0 and ("DistilBertEmbedder" in err) is bars, (command, progress, err)
        monkeypatch.undo()
        monkeypatch.setattr(cli, "PROGRESS_LINE_SECONDS", 0.0)
    # and --quiet turns them off whatever the config said
    process_memory_cache().clear()
    code, _, err = run(["evaluate", made[True], new_posts_csv, "-q"], capsys)
    assert code == 0 and "DistilBertEmbedder" not in err, err


def test_a_log_gets_lines_of_progress_unless_quiet(workdir, posts_csv, config, monkeypatch, capsys):
    """stderr here is no terminal (a log, a batch job): no bars. A fit whose fine-tuning ran
    an hour wrote nothing between "fitting" and "fitted"; each long step now writes a line
    every PROGRESS_LINE_SECONDS (0 here: at every update)."""
    monkeypatch.setattr(cli, "PROGRESS_LINE_SECONDS", 0.0)
    uncached = workdir / "uncached.json"  # every run embeds its posts (none come from a cache)
    uncached.write_text(json.dumps(json.loads(config.read_text()) | {"cache": False}))
    config, path = uncached, workdir / "logged.joblib"
    code, _, err = run(["fit", posts_csv, "--model", path, "--config", config], capsys)
    assert code == 0, err
    lines = [line for line in err.splitlines() if "DistilBertClassifier fit: " in line]
    assert lines and lines[-1].startswith("[skbucket] DistilBertClassifier fit: ")
    done, total = re.search(r"fit: (\d+) of (\d+) batches \(100%\)", lines[-1]).groups()
    assert done == total and len(lines) == int(total)
    assert re.search(r"DistilBertEmbedder transform: \d+ of \d+ items", err)
    other = workdir / "other-posts.csv"
    load_tweets().frame.iloc[80:120].to_csv(other, index=False)
    code, _, err = run(["evaluate", path, other], capsys)
    assert code == 0 and "[skbucket] DistilBertEmbedder transform: 40 of 40 items (100%)" in err, (
        err
    )
    with cli._progress_lines(argparse.Namespace(command="demo", quiet=False)):
        assert _models._line_block().prefix == "[skbucket demo] "  # as the demo's messages
    code, _, err = run(["predict", path, other, "-o", workdir / "logged.csv", "-q"], capsys)
    assert code == 0 and err == ""


def test_text_model_option_sets_the_embedder_over_the_config(
    workdir, posts_csv, tiny_model, capsys
):
    config = workdir / "embedding-model.json"
    settings = {"caption_model": None, "classifier": "hgb", "random_state": 0}
    config.write_text(json.dumps(settings | {"embedding_model": str(workdir / "old-encoder")}))
    path = workdir / "text-model-option.joblib"
    args = ["fit", posts_csv, "--model", path, "--config", config, "--text-model", tiny_model]
    code, _, err = run([*args, "-q"], capsys)
    assert code == 0, err
    assert cli.load_model(path).get_params()["features__embedding__model"] == str(tiny_model)
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["fit"].format_help()
    assert "classifier and the embedder" in " ".join(help_text.split())


def test_config_sets_the_seed_settings_in_json_and_toml(workdir):
    from skbucket.pipeline import SEED_SETTINGS, make_seed_pipeline

    toml = workdir / "seed.toml"
    toml.write_text(
        'classifier = "distilbert"\nrouting = "hard"\nsoft_average = "raw"\n'
        'target_transform = "None"\n'
    )
    jsn = workdir / "seed.json"
    jsn.write_text(json.dumps(dict(SEED_SETTINGS)))
    for path in (toml, jsn):
        config = cli._load_config(path)
        assert config == SEED_SETTINGS
        model = make_seed_pipeline(caption_model=None, **config).named_steps["model"]
        assert (model.routing, model.target_transform) == ("hard", None)
        assert type(model.classifier).__name__ == "DistilBertClassifier"
    # in JSON, "none" is just a string (JSON has null)
    jsn.write_text(json.dumps({"target_transform": "none"}))
    assert cli._load_config(jsn) == {"target_transform": "none"}


def test_config_class_weight_keys_are_the_bucket_numbers(workdir, posts_csv, tiny_model, capsys):
    # JSON and TOML keys are strings; the router's classes are the ints 0..6
    toml = workdir / "weights.toml"
    toml.write_text('classifier = "hgb"\n[class_weight]\n0 = 2.0\n6 = 3\n')
    assert cli._load_config(toml)["class_weight"] == {0: 2.0, 6: 3}
    jsn = workdir / "weights.json"
    settings = {"caption_model": None, "text_model": tiny_model, "classifier": "hgb"}
    jsn.write_text(json.dumps(settings | {"class_weight": {"0": 2.0, "6": 3}}))
    path = workdir / "weighted.joblib"
    code, _, err = run(["fit", posts_csv, "--model", path, "--config", jsn, "-q"], capsys)
    assert code == 0, err
    assert cli.load_model(path).named_steps["model"].classifier_.class_weight == {0: 2.0, 6: 3}


def test_a_text_model_that_cannot_load_stops_fit_before_the_captioning(workdir, capsys):
    """Without the check, every image would be fetched and captioned before the embedder
    found its model missing; here the media are missing files, so a captioning that ran
    would have said so in a warning."""
    frame = load_tweets().frame.iloc[:20].assign(media=str(workdir / "no-such-photo.jpg"))
    data = workdir / "posts-for-a-missing-model.csv"
    frame.to_csv(data, index=False)
    missing = workdir / "no-such-text-model"
    args = ["fit", data, "--model", workdir / "never.joblib", "--text-model", missing]
    code, _, err = run([*args, "--caption-model", workdir / "no-such-blip2"], capsys)
    assert code == cli.EXIT_ERROR
    assert len(err.strip().splitlines()) == 1, err  # no captioning warning came first
    assert "features__embedding (DistilBertEmbedder)" in err and str(missing) in err
    assert not (workdir / "never.joblib").exists()


def test_predict_names_an_embedding_model_that_is_gone(workdir, tiny_model, posts_csv, capsys):
    import shutil

    moved = workdir / "text-model-that-moves"
    shutil.copytree(tiny_model, moved)
    model = workdir / "moving.joblib"
    args = ["fit", posts_csv, "--model", model, "--text-model", moved, "--caption-model", "none"]
    code, _, err = run([*args, "-q"], capsys)
    assert code == 0, err
    shutil.rmtree(moved)
    code, _, err = run(["predict", model, posts_csv, "-o", workdir / "p.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR
    assert "features__embedding (DistilBertEmbedder)" in err and "does not exist" in err


# --------------------------------------------------------------------- user audit (CLI)
def _write_rows(path, header, rows, tail=""):
    """A CSV written field by field (what a hand-made or cut-off file holds)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([*row, *([tail] if tail is not None else [])])


def test_csv_rows_with_more_or_fewer_fields_than_the_header_are_refused(
    model_file, workdir, capsys
):
    """pandas would shift every column by one (trailing delimiter) or fill a short row."""
    frame = load_tweets().frame.iloc[80:90].drop(columns="likes").astype(str)
    trailing = workdir / "trailing.csv"
    _write_rows(trailing, frame.columns, frame.itertuples(index=False), tail="")
    short = workdir / "short.csv"
    _write_rows(short, frame.columns, [*frame.iloc[:-1].itertuples(index=False)], tail=None)
    with open(short, "a", encoding="utf-8") as fh:
        fh.write(",".join(frame.iloc[-1, :3]) + "\n")  # the last row cut off after 3 fields
    n = frame.shape[1]
    for data, fields, line in ((trailing, n + 1, 2), (short, 3, None)):  # texts hold newlines
        out = workdir / "ragged-preds.csv"
        code, _, err = run(["predict", model_file, data, "-o", out, "-q"], capsys)
        assert code == 1 and not out.exists(), err
        assert f"has {fields} field(s), the header {n};" in err, err
        assert line is None or re.search(rf"ending on line {line} \(", err), err


def test_output_names_that_mean_another_file_are_refused_before_any_work(
    model_file, posts_csv, config, workdir, capsys
):
    for args, says in (
        (["report", model_file, posts_csv, "-o", f"{workdir}/reports/"], "names a folder"),
        (["fit", posts_csv, "--model", f"{workdir}/models/", "--config", config], "names a folder"),
        (["predict", model_file, posts_csv, "-o", f"{workdir}/preds/"], "names a folder"),
        # Path() reads "preds/." as "preds": refused by the writer only after the work
        (["predict", model_file, posts_csv, "-o", f"{workdir}/preds/."], "names a folder"),
        (["report", model_file, posts_csv, "-o", f"{workdir}/reports/."], "names a folder"),
        (["predict", model_file, posts_csv, "-o", f"{workdir}/preds/.."], "names a folder"),
        (["fit", posts_csv, "--model", workdir / "m.csv", "--config", config], "suffix of a data"),
        (["fit", posts_csv, "--model", workdir / "m.json", "--config", config], "suffix of a data"),
        (["report", model_file, posts_csv, "-o", workdir / "r.txt"], "must end in .html or .htm"),
    ):
        code, _, err = run(args, capsys)
        assert code == 1 and says in err and len(err.strip().splitlines()) == 1, (args, err)
    assert not any((workdir / name).exists() for name in ("reports", "models", "preds", "m.csv"))


def test_a_failed_run_leaves_no_new_folders(model_file, workdir, capsys):
    bad = workdir / "no-likes-column.csv"
    load_tweets().frame.iloc[:5].drop(columns="likes").to_csv(bad, index=False)
    out = workdir / "fresh" / "sub" / "r.html"
    code, _, err = run(["report", model_file, bad, "-o", out, "-q"], capsys)
    assert code == 1 and "target column 'likes' not found" in err
    assert not (workdir / "fresh").exists()


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"bins": [10, 5]}, "bins must be strictly increasing"),
        ({"bins": [-5, 10]}, "bins must be >= 0"),
        ({"class_weight": {"0": 1.0, "99": 3.0}}, r"class_weight keys are bucket numbers 0 .. 6"),
        # a null weight fitted a router whose every prediction was 0 likes; -1 a worse one
        ({"class_weight": {"0": None}}, r"class_weight values are finite .* \{0: None\}"),
        ({"class_weight": {"0": -1, "1": "x"}}, r"got \{0: -1, 1: 'x'\}"),
        ({"class_weight": {"0": 10**400}}, r"class_weight values are finite"),
        # a URL became the folders ./redis:/localhost:6379/0, and the user thought it Redis
        ({"cache": "redis://localhost:6379/0"}, r"cache 'redis://localhost:6379/0' is a URL"),
    ],
)
def test_config_values_checked_only_by_fit_are_refused_before_the_data_is_embedded(
    posts_csv, config, workdir, capsys, values, says, monkeypatch
):
    monkeypatch.chdir(workdir)
    bad = workdir / "bad-values.json"
    bad.write_text(json.dumps({**json.loads(Path(config).read_text()), **values}))
    code, _, err = run(["fit", posts_csv, "--model", workdir / "x.joblib", "--config", bad], capsys)
    assert code == 1 and err.startswith("skbucket fit: error: bad config: "), err
    assert re.search(says, err) and "fitting" not in err and f"(in {posts_csv})" not in err
    assert not (workdir / "redis:").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # json.loads kept the last: a fit that fine-tunes where the file asked for hgb
        ('{"classifier": "hgb", "classifier": "distilbert"}', "key 'classifier' is given twice"),
        ('{"class_weight": {"1": 2.0, "01": 3.0}}', "class_weight names bucket 1 twice"),
        ('{"epoch": 2}', r"bad config: unknown key 'epoch' \(did you mean 'epochs'\?\)"),
        ('{"Classifier": "hgb"}', "unknown key 'Classifier' (did you mean 'classifier'?)"),
        ('{"zzz": 1}', "unknown key 'zzz' (the keys are ['batch_size', "),
    ],
)
def test_a_repeated_or_unknown_config_key_is_named(workdir, posts_csv, capsys, text, says):
    path = workdir / "keys.json"
    path.write_text(text)
    code, _, err = run(
        ["fit", posts_csv, "--model", workdir / "x.joblib", "--config", path], capsys
    )
    assert code == cli.EXIT_ERROR and len(err.strip().splitlines()) == 1, err
    assert re.search(says, err) if says.startswith("bad") else says in err, err


def test_missing_post_columns_are_named_before_any_work(
    model_file, posts_csv, config, workdir, capsys
):
    renamed = workdir / "renamed.csv"
    pd.read_csv(posts_csv).rename(columns={"inferred_company": "company"}).to_csv(renamed)
    for args in (
        ["fit", renamed, "--model", workdir / "y.joblib", "--config", config],
        ["predict", model_file, renamed, "-o", workdir / "y.csv"],
        ["evaluate", model_file, renamed],
    ):
        code, out, err = run(args, capsys)
        assert code == 1, err
        assert "column(s) ['inferred_company'] not found" in err, err
        assert (
            not out and "fitting" not in err and "predicting" not in err and "evaluating" not in err
        )


def test_a_caption_column_a_model_without_captioner_read_is_named_before_any_work(
    model_file, posts_csv, config, workdir, capsys
):
    """Fitted with caption_model=None on captioned posts, predict on posts without the
    caption column failed in scikit-learn's words ("columns are missing: {'caption'}")."""
    captioned = workdir / "captioned.csv"
    pd.read_csv(posts_csv).assign(caption="a photo of a product").to_csv(captioned, index=False)
    model = workdir / "captioned.joblib"
    assert run(["fit", captioned, "--model", model, "--config", config, "-q"], capsys)[0] == 0
    code, _, err = run(["predict", model, posts_csv, "-o", workdir / "c.csv"], capsys)
    assert code == 1 and "column(s) ['caption'] not found" in err and "predicting" not in err, err
    # a model that reads no caption column does not ask for one
    assert run(["predict", model_file, posts_csv, "-o", workdir / "c.csv", "-q"], capsys)[0] == 0


def test_a_caption_column_a_model_fitted_without_one_leaves_out_is_said_once(
    model_file, new_posts_csv, workdir, capsys
):
    """A caption column in DATA that the model's training posts had not was left out of its
    prompts without a word; now one warning line says so, even with --quiet."""
    captioned = workdir / "captioned-only-now.csv"
    pd.read_csv(new_posts_csv).assign(caption="a photo of a product").to_csv(captioned, index=False)
    for command in (["predict", "-o", workdir / "c.csv"], ["evaluate"]):
        args = [command[0], model_file, captioned, *command[1:], "-q"]
        code, _, err = run(args, capsys)
        assert code == 0, err
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            "[skbucket] warning: the seed pipeline: X has the column(s) ['caption'], which the "
            "posts the model was fitted on did not have, so it is not read"
        ), err


def test_group_column_naming_the_target_is_explained(model_file, posts_csv, capsys):
    code, _, err = run(["evaluate", model_file, posts_csv, "--group-column", "likes"], capsys)
    assert code == 1 and "--group-column 'likes' is the target column" in err, err


def test_relative_model_and_cache_paths_are_stored_absolute(
    posts_csv, tiny_model, workdir, capsys, monkeypatch
):
    import shutil

    home = workdir / "project"
    shutil.copytree(tiny_model, home / "tiny")
    (home / "cfg.json").write_text(
        json.dumps({"caption_model": None, "epochs": 1, "random_state": 0, "cache": "emb"})
    )
    monkeypatch.chdir(home)
    code, _, err = run(
        [
            "fit",
            posts_csv,
            "--model",
            "m.joblib",
            "--config",
            "cfg.json",
            "--text-model",
            "tiny",
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    model = cli.load_model(home / "m.joblib")
    params = model.get_params()
    for key in ("model__classifier__unseen__model", "features__embedding__model"):
        assert params[key] == str(home / "tiny"), key
    assert (home / "emb").is_dir()
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no ./tiny here: the model still finds its checkpoint
    code, _, err = run(["predict", home / "m.joblib", posts_csv, "-o", "p.csv", "-q"], capsys)
    assert code == 0, err


def test_the_seed_config_in_the_cli_docs_builds_the_seed():
    """docs/cli.rst's "seed as published" config is SEED_SETTINGS (it lacked the classifier:
    the default hybrid router, not the seed's text router)."""
    import re

    from skbucket.pipeline import SEED_SETTINGS

    page = Path(__file__).resolve().parents[1] / "docs" / "cli.rst"
    text = " ".join(page.read_text(encoding="utf-8").split())
    (written,) = re.findall(r"the seed as published is ``(\{.*?\})``", text)
    assert cli._load_config_text(written, ".json") == SEED_SETTINGS


def test_a_config_with_a_byte_order_mark_is_read(workdir, capsys):
    """Windows Notepad saves UTF-8 with a BOM: json refused it ("Unexpected UTF-8 BOM")."""
    for suffix, text in ((".json", '{"epochs": 2}'), (".toml", "epochs = 2")):
        config = workdir / f"bom{suffix}"
        config.write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert cli._load_config(config) == {"epochs": 2}
    other = workdir / "cfg.yaml"
    other.write_text("epochs: 2\n")
    with pytest.raises(cli.CLIError, match=r"cannot parse config .*cfg\.yaml as JSON \(a \.toml"):
        cli._load_config(other)


def test_a_missing_column_of_a_wide_table_is_a_short_error(model_file, workdir, capsys):
    """100,000 columns made a one-line error of a megabyte: every name was listed."""
    frame = load_tweets().frame.iloc[:5].drop(columns=["username"])
    wide = pd.concat(
        [frame, pd.DataFrame(0, index=frame.index, columns=[f"x{i}" for i in range(3000)])],
        axis=1,
    )
    data = workdir / "wide.csv"
    wide.to_csv(data, index=False)
    code, _, err = run(["predict", model_file, data, "-o", workdir / "never.csv"], capsys)
    assert code == cli.EXIT_ERROR and "['username'] not found" in err, err
    assert f"... and {wide.shape[1] - 20:,} more]" in err and len(err) < 1000, err


def test_a_config_nested_too_deep_to_read_names_the_file(workdir):
    """{"bins": [[[...10^5...]]]}: "maximum recursion depth exceeded", naming no file."""
    for suffix, text in (
        (".json", '{"bins": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        (".toml", "bins = " + "[" * 100_000 + "]" * 100_000),
    ):
        config = workdir / f"deep{suffix}"
        config.write_text(text)
        with pytest.raises(cli.CLIError, match=rf"cannot parse config .*deep\{suffix}: "):
            cli._load_config(config)


def test_ctrl_c_during_the_fine_tuning_stops_fit_and_keeps_the_old_model(
    workdir, posts_csv, tiny_model, capsys, monkeypatch
):
    """The library keeps the epochs finished before a Ctrl-C (a warning); the command stops:
    status 130, and the model file already there stays as it was (not replaced by a model
    trained for one of its three epochs)."""
    import torch

    config = workdir / "fine-tune.json"
    settings = {"caption_model": None, "text_model": str(tiny_model), "random_state": 0}
    config.write_text(json.dumps(settings | {"classifier": "distilbert", "epochs": 1}))
    steps = []
    real_step = torch.optim.AdamW.step

    def counting(self, *args, **kwargs):
        steps.append(1)
        if stop_at is not None and len(steps) == stop_at:
            raise KeyboardInterrupt  # the user's Ctrl-C, in the second epoch
        return real_step(self, *args, **kwargs)

    stop_at = None
    monkeypatch.setattr(torch.optim.AdamW, "step", counting)
    one_epoch = workdir / "one-epoch.joblib"
    code, _, err = run(["fit", posts_csv, "--model", one_epoch, "--config", config, "-q"], capsys)
    assert code == 0, err
    per_epoch, stop_at = len(steps), len(steps) + 1
    steps.clear()
    config.write_text(json.dumps(settings | {"classifier": "distilbert", "epochs": 3}))
    model = workdir / "kept.joblib"
    model.write_bytes(b"the model of an earlier run")
    code, _, err = run(["fit", posts_csv, "--model", model, "--config", config, "-q"], capsys)
    assert len(steps) == per_epoch + 1  # it did stop in the second epoch
    assert code == cli.EXIT_INTERRUPTED, err
    assert err.strip().endswith("skbucket fit: interrupted"), err
    assert model.read_bytes() == b"the model of an earlier run"


def test_predictions_that_cannot_be_written_are_saved_elsewhere_not_lost(
    model_file, workdir, capsys, monkeypatch, tmp_path
):
    """A full disk, or on Windows the last predictions open in a spreadsheet: every post was
    captioned, embedded and predicted, and the predictions were thrown away."""
    import errno
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real, calls = cli.replace_atomically, []

    def first_fails(path, write, what):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(errno.EACCES, "Permission denied")
        return real(path, write, what)

    monkeypatch.setattr(cli, "replace_atomically", first_fails)
    out = workdir / "held-open.csv"
    code, _, err = run(["predict", model_file, workdir / "posts.csv.gz", "-o", out, "-q"], capsys)
    assert code == cli.EXIT_ERROR
    (rescued,) = tmp_path.glob("skbucket-predict-*/held-open.csv")
    assert f"Permission denied; the predictions was saved to {str(rescued)!r}" not in err
    assert f"Permission denied; the predictions were saved to {str(rescued)!r}" in err, err
    frame = pd.read_csv(workdir / "posts.csv.gz")
    expected = cli.load_model(model_file).predict(frame.drop(columns=["likes"]))
    assert pd.read_csv(rescued)["prediction"].to_numpy() == pytest.approx(expected)


def test_a_cache_folder_that_is_a_file_is_refused_before_any_work(
    workdir, posts_csv, tiny_model, capsys, monkeypatch
):
    """The embedder opens its cache after every image is captioned, and its error was put on
    the data: "... exists and is not a folder (in posts.csv.gz)"."""
    from sklearn.pipeline import Pipeline

    cache = workdir / "cache-with-a-file"
    cache.mkdir()
    (cache / "embeddings").write_text("not a folder")
    config = workdir / "cache-file.json"
    config.write_text(
        json.dumps({"caption_model": None, "text_model": tiny_model, "cache": str(cache)})
    )
    monkeypatch.setattr(Pipeline, "fit", lambda *a, **k: pytest.fail("the fit started"))
    code, _, err = run(
        ["fit", posts_csv, "--model", workdir / "never.joblib", "--config", config], capsys
    )
    assert code == cli.EXIT_ERROR
    assert "cache of the model's 'features__embedding__cache': cache path" in err, err
    assert "exists and is not a folder" in err and "(in " not in err, err


def test_a_rescue_that_fails_too_leaves_nothing_in_the_temporary_folder(monkeypatch, tmp_path):
    """The demo's rescue makes a folder inside its own: when the rescue failed too, the two
    were left behind, empty or holding half the files."""
    import errno
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def save(to):
        to.mkdir()
        (to / "model.joblib").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    error = cli._saved_elsewhere(save, "out", OSError(errno.ENOSPC, "disk full"), "the files")
    assert "saving it in the temporary folder failed too" in str(error)
    assert not list(tmp_path.iterdir())


def test_a_report_that_cannot_be_written_is_saved_elsewhere_not_lost(
    model_file, posts_csv, workdir, capsys, monkeypatch, tmp_path
):
    """A full disk at the end of a report: every post had been captioned, embedded, predicted
    and resampled, and the page was thrown away (predict and fit keep theirs)."""
    import errno
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real, calls = cli.replace_atomically, []

    def first_fails(path, write, what):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, f"cannot write the {what} {str(path)!r}: disk full")
        return real(path, write, what)

    monkeypatch.setattr(cli, "replace_atomically", first_fails)
    page = workdir / "full-disk-report.html"
    code, _, err = run(["report", model_file, posts_csv, "-o", page, "-q"], capsys)
    assert code == cli.EXIT_ERROR and not page.exists()
    (rescued,) = tmp_path.glob("skbucket-report-*/full-disk-report.html")
    assert f"disk full; the report was saved to {str(rescued)!r} instead" in err, err
    text = rescued.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and re.search(
        r"<figcaption[^>]*>Error over time", text
    )


def test_an_output_file_that_cannot_be_replaced_is_refused_before_any_work(
    model_file, workdir, capsys, monkeypatch
):
    """On Windows a file another program holds open (or marked read-only) is not replaced:
    the command failed at its very end."""
    import builtins

    out = workdir / "open-in-excel.csv"
    out.write_text("id,prediction\n")

    def held_open(path, *args, **kwargs):
        if Path(path) == out and args[:1] == ("r+b",):
            raise PermissionError(13, "Permission denied")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(cli, "_REPLACE_NEEDS_WRITABLE", True)
    monkeypatch.setattr(cli, "open", held_open, raising=False)
    monkeypatch.setattr(cli, "load_model", lambda path: pytest.fail("the command started"))
    code, _, err = run(["predict", model_file, workdir / "posts.csv.gz", "-o", out], capsys)
    assert code == cli.EXIT_ERROR
    assert "cannot replace -o" in err and "open in another program or read-only" in err, err


def test_a_model_file_that_cannot_be_written_is_saved_elsewhere_not_lost(
    workdir, posts_csv, tiny_model, capsys, monkeypatch, tmp_path
):
    """A disk that fills up during a long fit: the fitted model goes to a new folder of the
    temporary folder, and the error says where (or, when that fails too, that it is lost)."""
    import errno
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    config = workdir / "rescue.json"
    config.write_text(json.dumps({"caption_model": None, "classifier": "hgb", "random_state": 0}))
    real, calls, failing = _modelfile._write_model_file, [], [1]  # the writes that fail

    def full_disk(fh, header, estimator):
        calls.append(1)
        if len(calls) in failing:
            fh.write(b"half a model")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fh, header, estimator)

    monkeypatch.setattr(_modelfile, "_write_model_file", full_disk)
    model = workdir / "full-disk" / "model.joblib"
    args = ["fit", posts_csv, "--model", model, "--config", config, "--text-model", tiny_model]
    code, _, err = run([*args, "-q"], capsys)
    assert code == cli.EXIT_ERROR
    (rescued,) = tmp_path.glob("skbucket-fit-*/model.joblib")
    assert f"No space left on device; the fitted model was saved to {str(rescued)!r}" in err
    assert not (workdir / "full-disk").exists()  # the folder made for it is gone again
    frame = pd.read_csv(posts_csv).iloc[:5]
    assert np.isfinite(cli.load_model(rescued).predict(frame)).all()
    # it records its target as the model file would: evaluate scores that column
    assert cli._saved_target(rescued) == "likes"
    # the temporary folder full too: said, and nothing left there
    calls.clear()
    failing.append(2)
    rescued.unlink()
    rescued.parent.rmdir()
    code, _, err = run([*args, "-q"], capsys)
    assert code == cli.EXIT_ERROR
    assert "in the temporary folder failed too (cannot write the model file" in err, err
    assert err.strip().endswith("No space left on device): the fitted model is lost"), err
    assert not list(tmp_path.iterdir())


def test_compact_dates_are_read_as_dates_and_date_numbers_are_refused_naming_them(
    workdir, model_file, capsys
):
    """A CSV's 20210403 is a date (pandas made a number of it, which the pipeline refused as
    "numeric dtype int64 ... epoch numbers" after embedding every post); numbers in a Parquet
    or Excel date column are refused when the file is read, saying what they look like."""
    frame = load_tweets().frame.iloc[:30]
    when = pd.to_datetime(frame["date"], utc=True)
    compact = frame.assign(date=when.dt.strftime("%Y%m%d"))
    # a day, and a time of day (20210403101500, which the estimators read too)
    for dashed, digits in (("%Y-%m-%d", "%Y%m%d"), ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S")):
        predictions = []
        for form in (dashed, digits):
            name = f"dates-{len(form)}-{form.count('-')}.csv"
            frame.assign(date=when.dt.strftime(form)).to_csv(workdir / name, index=False)
            out = workdir / f"{name}.predictions.csv"
            args = ["predict", model_file, workdir / name, "-o", out, "-q"]
            code, _, err = run(args, capsys)
            assert code == 0, err
            predictions.append(pd.read_csv(out)["prediction"])
        pd.testing.assert_series_equal(*predictions)
    serial = (when.dt.tz_localize(None) - pd.Timestamp("1899-12-30")).dt.days + 0.5
    seconds = (when - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)
    assert seconds.between(10**9, 2 * 10**9).all()  # 2001-2033: counts of seconds
    cases = {
        "numbers.parquet": (compact.assign(date=compact["date"].astype(int)), "compact dates"),
        "serial.xlsx": (frame.assign(date=serial), "Excel serial day numbers"),
        "seconds.parquet": (frame.assign(date=seconds), "count of seconds"),
        "seconds.csv": (frame.assign(date=seconds.astype(str)), "count of seconds"),
        # an Excel date-time column formatted as "General", saved as CSV (43281.419676): it
        # was taken, and the model left its date features out with a warning only
        "serial.csv": (frame.assign(date=serial.map("{:.6f}".format)), "Excel serial day"),
    }
    for name, (table, looks_like) in cases.items():
        path = workdir / name
        if name.endswith(".parquet"):
            table.to_parquet(path)
        elif name.endswith(".csv"):
            table.to_csv(path, index=False)
        else:
            table.to_excel(path, index=False)
        with pytest.raises(cli.CLIError, match=rf"column 'date' holds numbers.*{looks_like}"):
            tables.read_table(path)
    # a year and month written with a point are dates, as the estimators read them; not a
    # month 13 or October written as a float (2021.1), which pandas reads as January
    frame.assign(date=when.dt.strftime("%Y.%m")).to_csv(workdir / "months.csv", index=False)
    assert tables.read_table(workdir / "months.csv")["date"].iloc[0] == when.dt.strftime("%Y.%m")[0]
    for odd in ("2021.13", "2021.1"):
        frame.assign(date=odd).to_csv(workdir / "odd-months.csv", index=False)
        with pytest.raises(
            cli.CLIError,
            match=rf"holds numbers, not dates \(row 0: '{odd}'\); "
            r"they look like a year and a month.*two digits \(2021\.01",
        ):
            tables.read_table(workdir / "odd-months.csv")  # not "a count of seconds": 1970
    # the row named is the first that is no date, and milliseconds are said to be
    mixed = compact.assign(date=compact["date"].where(compact.index != 2, str(seconds[2])))
    mixed.to_csv(workdir / "mixed.csv", index=False)
    with pytest.raises(cli.CLIError, match=rf"\(row 2: '{seconds[2]}'\); a count of seconds"):
        tables.read_table(workdir / "mixed.csv")
    huge = frame.assign(date="9" * 400)  # an OverflowError from float() in the hint
    huge.to_csv(workdir / "huge.csv", index=False)
    with pytest.raises(cli.CLIError, match=r"holds numbers, not dates \(row 0: '9999"):
        tables.read_table(workdir / "huge.csv")
    mixed.assign(date=mixed["date"].astype("int64")).to_parquet(workdir / "mixed.parquet")
    with pytest.raises(cli.CLIError, match=rf"\(row 2: {seconds[2]}\); a count of seconds"):
        tables.read_table(workdir / "mixed.parquet")
    for name, millis in (("ms.csv", (seconds * 1000).astype(str)), ("ms.parquet", seconds * 1000)):
        if name.endswith(".csv"):
            frame.assign(date=millis).to_csv(workdir / name, index=False)
        else:
            frame.assign(date=millis).to_parquet(workdir / name)
        with pytest.raises(cli.CLIError, match=r"count of milliseconds .*unit='ms'\)"):
            tables.read_table(workdir / name)
    # an Excel date cell is a date
    excel = frame.assign(date=when.dt.tz_localize(None))
    excel.to_excel(workdir / "dates.xlsx", index=False)
    read = tables.read_table(workdir / "dates.xlsx")["date"]
    assert list(pd.to_datetime(read)) == list(excel["date"].dt.floor("ms"))


def test_a_semicolon_file_without_a_comma_is_said_to_be_separated_so(workdir, capsys):
    """Without a comma in any post, pandas reads one column and the error said only that
    'likes' was not found among ['date;likes;content;...']."""
    path = workdir / "eu.csv"
    path.write_text(
        "date;likes;content;username;media;inferred_company\n"
        "2020-06-15 10:00;5;Hello world;acme;;acme\n2020-06-16 11:00;7;Big news;acme;;acme\n",
        encoding="utf-8",
    )
    code, _, err = run(["fit", path, "--model", workdir / "eu.joblib", "-q"], capsys)
    assert code == 1 and "target column 'likes' not found" in err
    assert "the file looks separated by ';'; a .csv file must be separated by commas" in err


def test_an_empty_row_is_refused_not_predicted_as_a_post(model_file, workdir, capsys):
    """A line of bare commas (a blank spreadsheet row saved as CSV; a blank row left between
    posts in a sheet) got a prediction of its own from ``skbucket predict``. Below the posts
    (formatted empty rows a spreadsheet writes out) such lines are no rows, as pandas reads a
    sheet's."""
    frame = load_tweets().frame.iloc[80:83]
    blank = "," * (frame.shape[1] - 1) + "\n"
    path = workdir / "blank-row.csv"
    path.write_text(
        frame.iloc[:1].to_csv(index=False)
        + blank
        + frame.iloc[1:].to_csv(header=False, index=False)
    )
    code, _, err = run(["predict", model_file, path, "-o", workdir / "br.csv", "-q"], capsys)
    assert code == 1 and not (workdir / "br.csv").exists()
    assert "blank-row.csv: row 1 is empty (every cell blank" in err
    path.write_text(frame.to_csv(index=False) + blank * 2)
    assert_predicts_in_memory(model_file, path, frame, workdir / "br.csv", capsys)
    path.write_text(frame.iloc[:0].to_csv(index=False) + blank)
    with pytest.raises(cli.CLIError, match=r"blank-row.csv holds no rows \(every cell is empty\)"):
        tables.read_table(path)
    # a more specific error first: a column the pipeline needs, no column of likes
    no_account = frame.drop(columns="username")
    path.write_text(
        no_account.iloc[:1].to_csv(index=False)
        + "," * (no_account.shape[1] - 1)
        + "\n"
        + no_account.iloc[1:].to_csv(header=False, index=False)
    )
    code, _, err = run(["fit", path, "--model", workdir / "br.joblib"], capsys)
    assert code == 1 and "['username'] not found" in err, err
    path.write_text(
        frame.iloc[:1].to_csv(index=False)
        + blank
        + frame.iloc[1:].to_csv(header=False, index=False)
    )
    code, _, err = run(["fit", path, "--model", workdir / "br.joblib", "--target", "n"], capsys)
    assert code == 1 and "target column 'n' not found" in err, err
    book = workdir / "blank-row.xlsx"
    pd.concat([frame.iloc[:1], frame.iloc[:1].map(lambda v: None), frame.iloc[1:]]).to_excel(
        book, index=False
    )
    assert len(tables.read_table(book)) == 4  # read as is; the commands refuse it
    code, _, err = run(["predict", model_file, book, "-o", workdir / "br.csv", "-q"], capsys)
    assert code == 1 and "row 1 (sheet row 3) is empty (every cell blank" in err
    assert "1 such row(s), first rows [1] (sheet row 3))" in err


@pytest.mark.parametrize(
    "old_version", ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0"]
)
def test_a_model_file_of_an_older_minor_version_is_refused(
    workdir, model_file, capsys, old_version
):
    """0.1.0 builds computed some features differently (emoji counts, text padding), 0.2.0
    builds the text counts of decomposed accents and fullwidth signs, 0.3.0 builds those of
    raw URLs glued to other scripts and of blank accounts, 0.4.0 builds gave negative raw-target
    predictions, 0.5.0 builds read 'null' media as an image and predicted for infinite
    features, 0.6.0 builds read day-only dates as midnight, 0.7.0 builds read 2021.13 as a
    date: their models would predict other numbers here without a word; the version says
    so."""
    import skbucket

    this = ".".join(skbucket.__version__.split(".")[:2])
    header, model = read_model_file(model_file)
    old = workdir / f"from-{old_version}.joblib"
    with open(old, "wb") as fh:
        _modelfile._write_model_file(
            fh, {**header, "versions": {**header["versions"], "skbucket": old_version}}, model
        )
    code, _, err = run(["evaluate", old, workdir / "posts.csv.gz"], capsys)
    assert code == cli.EXIT_ERROR
    assert f"was written with skbucket {old_version}, this is skbucket {this}" in err, err


def test_a_model_file_of_another_patch_version_of_this_minor_loads(workdir, model_file, capsys):
    """A patch version changes no prediction (docs/changes.rst): its model files are used."""
    import skbucket

    major, minor, *_ = skbucket.__version__.split(".")
    header, model = read_model_file(model_file)
    other = workdir / "other-patch.joblib"
    with open(other, "wb") as fh:
        versions = {**header["versions"], "skbucket": f"{major}.{minor}.99"}
        _modelfile._write_model_file(fh, {**header, "versions": versions}, model)
    code, out, err = run(["evaluate", other, workdir / "posts.csv.gz", "-q"], capsys)
    assert code == 0 and "rmse" in out, err


def test_a_cut_off_gzip_is_one_line_naming_the_file(workdir, model_file, capsys):
    """The field check that follows a pandas failure read the file again and let a gzip's
    own EOFError through as a traceback."""
    whole = workdir / "whole.csv.gz"
    load_tweets().frame.iloc[:200].to_csv(whole, index=False)
    cut = workdir / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    code, _, err = run(["predict", model_file, cut, "-o", workdir / "cut.preds.csv"], capsys)
    assert code == cli.EXIT_ERROR
    assert err.startswith(f"skbucket predict: error: cannot read {cut} as csv:"), err
    assert len(err.strip().splitlines()) == 1


# mutation-audit tests: each fails on a plausible one-line slip in cli.py
def test_cli_evaluate_scores_buckets_with_the_model_bins(tmp_path, capsys):
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier

    from skbucket.bucketed import BucketedRegressor
    from skbucket.metrics import evaluate

    rng = np.random.RandomState(0)
    x = rng.uniform(0, 8, 200)
    likes = np.round(np.expm1(x))
    frame = pd.DataFrame({"x": x, "likes": likes})
    model = BucketedRegressor(
        DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), bins=(100,)
    ).fit(frame[["x"]], likes)
    cli.save_model(model, tmp_path / "m.joblib")
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert cli.main(["evaluate", str(tmp_path / "m.joblib"), str(tmp_path / "d.csv"), "-q"]) == 0
    out = capsys.readouterr().out
    shown = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:] if line.strip()}
    expected = evaluate(
        likes,
        model.predict(frame[["x"]]),
        bucket_pred=model.predict_bucket(frame[["x"]]),
        bins=(100,),
    )
    assert float(shown["bucket_accuracy"]) == pytest.approx(expected["bucket_accuracy"], abs=1e-4)


def test_a_column_spelt_otherwise_is_named_beside_the_one_missing(workdir, capsys):
    """' Likes', 'Username', 'inferred company' (the challenge file's own name): the error
    listed the columns present and left the reader to spot the spelling."""
    frame = load_tweets().frame.iloc[:20]
    renamed = frame.rename(
        columns={"likes": " Likes", "username": "Username", "inferred_company": "inferred company"}
    )
    refuses_its_likes(
        renamed,
        r"not found; .*' Likes' may be 'likes': rename the column\(s\), or name them "
        r"with --target$",
    )
    path = workdir / "spelt.csv"
    renamed.to_csv(path, index=False)
    code, _, err = run(
        ["fit", path, "--model", workdir / "spelt.joblib", "--target", " Likes"], capsys
    )
    assert code == 1
    assert "'Username' may be 'username', 'inferred company' may be 'inferred_company'" in err
    assert 'the config\'s "columns" mapping' in err
    # no such spelling: the message as before
    refuses_its_likes(frame, r"columns present: \[.*\]$", target="retweets")


def test_a_labelled_total_row_is_refused_at_fit_and_predict(workdir, model_file, capsys):
    """An Excel table's total row puts "Total" in its first column: with the posts' text
    there, "Total,,,,,24" was fitted as a post of every like in the table, and predicted."""
    frame = load_tweets().frame.iloc[:20][["content", "username", "date", "likes"]]
    frame = frame.assign(inferred_company="", media="")
    total = pd.DataFrame({"content": ["Total"], "likes": [frame["likes"].sum()]})
    path = workdir / "labelled-total.xlsx"
    pd.concat([frame, total], ignore_index=True).to_excel(path, index=False)
    said = (
        rf"row 20 \(counting rows from 0 after the header\) looks like a total row, not a "
        rf"post: its 'likes', {frame['likes'].sum()}, is the sum of every other row's, and it "
        r"holds nothing else but 'Total' in column 'content'"
    )
    refuses_its_likes(path, said)
    # at the top (a BI tool's summary row first), in a CSV, the label in another column
    first = pd.concat([total.rename(columns={"content": "username"}), frame], ignore_index=True)
    refuses_its_likes(first, "row 0 .* looks like a total row.* in column 'username'")
    # ... and by predict when the data holds the likes
    code, _, err = run(["predict", model_file, path, "-o", workdir / "never.csv"], capsys)
    assert code == cli.EXIT_ERROR and "looks like a total row" in err, err
    # a post whose likes happen to be the others' sum is a post: it has its account and date
    posts = pd.DataFrame(
        {"content": list("abc"), "username": list("xyz"), "date": ["2021-04-03"] * 3}
    )
    X, _ = tables._split_target(posts.assign(likes=[1, 2, 3]), "likes", "posts.csv")
    assert len(X) == 3
    # ... and a table of texts alone (no other column to be empty) is posts
    texts = pd.DataFrame({"content": ["a", "b", "Total"], "likes": [1, 2, 3]})
    assert len(tables._split_target(texts, "likes", "posts.csv")[0]) == 3
    # ... so is a post of a sentence without its account, and one in a table whose posts
    # often hold their text alone (0 likes make such sums easy)
    sentence = posts.assign(likes=[0, 7, 7]).astype(object)
    sentence.iloc[2] = ["Thanks for 5 years!", None, None, 7]
    assert len(tables._split_target(sentence, "likes", "posts.csv")[0]) == 3
    sparse = pd.DataFrame(
        {
            "content": ["a", "b", "c", "d"],
            "media": ["x.jpg", None, None, None],
            "likes": [0, 5, 0, 5],
        }
    )
    assert len(tables._split_target(sparse, "likes", "posts.csv")[0]) == 4


def test_a_config_columns_mapping_reads_a_table_with_other_names(
    workdir, posts_csv, tiny_model, capsys
):
    """The config's "columns" gives the table's own names of the columns the pipeline reads:
    fit checks them before any work, and predict reads new data by the same names."""
    theirs = {"content": "text", "username": "handle", "date": "posted_at"}
    table = pd.read_csv(posts_csv).rename(columns=theirs)
    data = workdir / "their-posts.csv"
    table.to_csv(data, index=False)
    settings = {"caption_model": None, "text_model": tiny_model, "classifier": "hgb"}
    config = workdir / "their-columns.toml"
    config.write_text(
        f'caption_model = "none"\ntext_model = "{tiny_model}"\nclassifier = "hgb"\n'
        'random_state = 0\n[columns]\ncontent = "text"\nusername = "handle"\n'
        'date = "posted_at"\n'
    )
    model = workdir / "their-columns.joblib"
    code, _, err = run(["fit", data, "--model", model, "--config", config, "-q"], capsys)
    assert code == 0, err
    assert cli.load_model(model).named_steps["roles"].columns_ == theirs
    assert_predicts_in_memory(model, data, table, workdir / "their-preds.csv", capsys)
    # the same fit under the pipeline's own names predicts the same
    ours = workdir / "our-columns.joblib"
    same = workdir / "our-columns.json"
    same.write_text(json.dumps(settings | {"random_state": 0}))
    assert run(["fit", posts_csv, "--model", ours, "--config", same, "-q"], capsys)[0] == 0
    np.testing.assert_allclose(
        cli.load_model(model).predict(table.drop(columns=["likes"])),
        cli.load_model(ours).predict(pd.read_csv(posts_csv).drop(columns=["likes"])),
        rtol=1e-6,
    )
    # a column the mapping names that the data lacks: named, at fit and at predict
    wrong = workdir / "wrong-columns.json"
    wrong.write_text(json.dumps(settings | {"columns": theirs | {"content": "txt"}}))
    code, _, err = run(
        ["fit", data, "--model", workdir / "never.joblib", "--config", wrong], capsys
    )
    assert code == cli.EXIT_ERROR and "column(s) 'txt' (for 'content') given in columns=" in err
    code, _, err = run(["predict", model, posts_csv, "-o", workdir / "never.csv"], capsys)
    assert code == cli.EXIT_ERROR, err
    assert "column(s) ['handle', 'posted_at', 'text'] not found" in err, err
    # a key that is no role is a bad config
    wrong.write_text(json.dumps(settings | {"columns": {"text": "content"}}))
    code, _, err = run(
        ["fit", data, "--model", workdir / "never.joblib", "--config", wrong], capsys
    )
    assert code == cli.EXIT_ERROR and "bad config: roles (ColumnRoles)" in err, err


def test_a_columns_mapping_reaches_reading_grouping_and_plotting(
    workdir, posts_csv, tiny_model, capsys
):
    """With a config's "columns", the table's own names were not read as their roles are
    (an all-digit handle became a number), evaluate resampled posts one by one instead of
    the mapped company column, and the report left out the error-over-time plot."""
    theirs = {
        "content": "text",
        "username": "handle",
        "inferred_company": "brand",
        "date": "posted_at",
    }
    table = pd.read_csv(posts_csv).rename(columns=theirs)
    table["handle"] = [f"{i % 7:03d}" for i in range(len(table))]  # all digits: 000 .. 006
    # compact dates, which pandas would read as numbers: read as written, as 'date' is
    table["posted_at"] = pd.to_datetime(table["posted_at"]).dt.strftime("%Y%m%d%H%M%S")
    data = workdir / "digit-handles.csv"
    table.to_csv(data, index=False)
    config = workdir / "digit-handles.json"
    config.write_text(
        json.dumps(
            {
                "caption_model": None,
                "text_model": tiny_model,
                "classifier": "hgb",
                "columns": theirs,
            }
        )
    )
    model = workdir / "digit-handles.joblib"
    code, _, err = run(["fit", data, "--model", model, "--config", config, "-q"], capsys)
    assert code == 0, err
    encoder = cli.load_model(model).named_steps["features"].named_transformers_["post"]
    # read as text, as 'username' is: "000", not the number 0
    assert "000" in encoder.counts_[encoder.category_columns_.index("username")]
    # predict reads them so too: its predictions are those of the table as written
    text = table.astype({"handle": str, "posted_at": str})
    assert_predicts_in_memory(model, data, text, workdir / "digit-handles-preds.csv", capsys)
    # the roles a fitted model reads by are its fitted ones, not a later set_params'
    refitted_names = cli.load_model(model).set_params(roles__columns={"content": "other"})
    moved = cli.save_model(refitted_names, workdir / "digit-handles-set.joblib")
    assert_predicts_in_memory(moved, data, text, workdir / "digit-handles-set.csv", capsys)
    # a mapped date column of numbers is refused naming it, as 'date' is
    numbers = workdir / "number-dates.parquet"
    table.assign(posted_at=table["posted_at"].str[:8].astype(int)).to_parquet(numbers)
    code, _, err = run(["predict", model, numbers, "-o", workdir / "never.csv"], capsys)
    assert code == cli.EXIT_ERROR and "column 'posted_at' holds numbers, not dates" in err, err
    code, out, err = run(["evaluate", model, data, "-q"], capsys)
    assert code == 0, err
    assert "values of 'brand' resampled whole" in _prose(out), out
    page = workdir / "digit-handles.html"
    assert run(["report", model, data, "-o", page, "-q"], capsys)[0] == 0
    assert "Error over time" in page.read_text(encoding="utf-8")
    # a roles step set to "passthrough" afterwards: the table's columns are read by their roles
    plain = cli.load_model(model).set_params(roles="passthrough")
    plain = cli.save_model(plain, workdir / "digit-handles-passthrough.joblib")
    code, out, err = run(["evaluate", plain, posts_csv, "-q"], capsys)
    assert code == 0, err
    assert "values of 'inferred_company' resampled whole" in _prose(out), out


def test_a_saved_search_over_a_mapped_pipeline_reads_the_table_by_its_mapping(
    workdir, posts_csv, tiny_model, capsys
):
    """A GridSearchCV saved as the model file lost its pipeline's column mapping in the CLI:
    handles of digits were read as numbers (other accounts: other predictions), evaluate
    resampled posts one by one, and the report's plot over time was left out."""
    from sklearn.model_selection import GridSearchCV

    from skbucket import make_seed_pipeline

    theirs = {"username": "handle", "inferred_company": "brand", "date": "posted_at"}
    table = pd.read_csv(posts_csv).rename(columns=theirs)
    table["handle"] = [f"{i % 7:03d}" for i in range(len(table))]  # all digits: 000 .. 006
    data = workdir / "search-digits.csv"
    table.to_csv(data, index=False)
    pipe = make_seed_pipeline(
        caption_model=None, text_model=tiny_model, classifier="hgb", columns=theirs, random_state=0
    )
    search = GridSearchCV(pipe, {"model__routing": ["hard", "soft"]}, cv=2)
    model = cli.save_model(
        search.fit(table.drop(columns="likes"), table["likes"]), workdir / "search.joblib"
    )
    assert_predicts_in_memory(model, data, table, workdir / "search-preds.csv", capsys)
    code, out, err = run(["evaluate", model, data, "-q"], capsys)
    assert code == 0, err
    assert "values of 'brand' resampled whole" in _prose(out), out
    # --group-column by the role's name: the column the model reads for it
    code, out, err = run(["evaluate", model, data, "-q", "--group-column", "username"], capsys)
    assert code == 0 and "only 7 values of 'handle', too few" in out, err
    assert "95% interval" not in out.splitlines()[0]  # no empty column
    page = workdir / "search.html"
    assert run(["report", model, data, "-o", page, "-q"], capsys)[0] == 0
    text = page.read_text(encoding="utf-8")
    assert (
        re.search(r"<figcaption[^>]*>Error over time", text)
        and "&#x27;brand&#x27; resampled" in text
    )
    # a TransformedTargetRegressor around the pipeline: the mapping read through it too
    from sklearn.compose import TransformedTargetRegressor

    wrapped = TransformedTargetRegressor(
        regressor=pipe, func=np.log1p, inverse_func=np.expm1, check_inverse=False
    ).fit(table.drop(columns="likes"), table["likes"])
    model = cli.save_model(wrapped, workdir / "wrapped.joblib")
    assert_predicts_in_memory(model, data, table, workdir / "wrapped-preds.csv", capsys)
    code, out, err = run(["evaluate", model, data, "-q"], capsys)
    assert code == 0 and "values of 'brand' resampled whole" in out, err
    # new accounts are counted under the table's own names, read as the model reads them
    # ("007" is no handle of the fit; "3" is "003"'s digits read as a number, not one either)
    later = table.assign(handle=["007", "3", *table["handle"].iloc[2:]])
    later.to_csv(workdir / "later-digits.csv", index=False)
    code, _, err = run(["evaluate", model, workdir / "later-digits.csv"], capsys)
    assert code == 0, err
    assert (
        f"posts whose handle was not seen in training: 2 of {len(table)} (their predictions "
        "rest on less than a known account's)"
    ) in err, err


def test_evaluate_scores_the_per_account_median_beside_the_model(
    model_file, posts_csv, workdir, capsys
):
    """Whether a model beats the account's own median is the first question (the demo
    answers it), and evaluate printed the model's metrics alone."""
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.metrics import evaluate

    frame = pd.read_csv(posts_csv)
    train, test = frame.iloc[:50], frame.iloc[50:]
    train.to_csv(workdir / "train50.csv", index=False)
    test.to_csv(workdir / "test30.csv", index=False)
    args = ["evaluate", model_file, workdir / "test30.csv", "--baseline", workdir / "train50.csv"]
    code, out, err = run([*args, "-q", "--no-intervals"], capsys)
    assert code == 0, err
    X, y = train.drop(columns="likes"), train["likes"]
    expected = evaluate(
        test["likes"].to_numpy(float),
        GroupMedianRegressor().fit(X, y).predict(test.drop(columns="likes")),
    )
    lines = out.splitlines()
    assert lines[0].split() == ["metric", "model", "median"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:10]}
    for name in ("rmse_log1p", "mae_log1p", "bucket_accuracy"):
        assert float(rows[name][1]) == pytest.approx(expected[name], abs=5e-5), name
    said = _prose(out)
    assert "median: the per-account median baseline, fitted on" in said and "(50 posts)" in said
    assert "its predicted likes, the model's those its router chose." in said  # no Python name
    # with the intervals: the median's column comes after the model's interval
    code, out, _ = run([*args, "-q"], capsys)
    assert code == 0 and out.splitlines()[0].split() == [
        "metric",
        "model",
        "95%",
        "interval",
        "median",
    ]
    # TRAIN's own errors name TRAIN, not DATA
    frame.drop(columns="likes").to_csv(workdir / "unlabelled.csv", index=False)
    code, _, err = run([*args[:-1], workdir / "unlabelled.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR
    assert f"{workdir / 'unlabelled.csv'}: target column 'likes' not found" in err, err
    assert "test30.csv" not in err, err
    # ... and its rows as a CSV's, beside a workbook DATA (no sheet rows)
    test.to_excel(workdir / "test30.xlsx", index=False)
    train.assign(likes=[5, 5, 5, -5, *train["likes"].iloc[4:]]).to_csv(
        workdir / "bad-likes.csv", index=False
    )
    code, _, err = run(
        ["evaluate", model_file, workdir / "test30.xlsx", "--baseline", workdir / "bad-likes.csv"],
        capsys,
    )
    assert code == cli.EXIT_ERROR and "row 3" in err and "sheet row" not in err, err
    # DATA itself as TRAIN: the median scored on the posts it was fitted on, refused
    code, _, err = run([*args[:-1], workdir / "test30.csv", "-q"], capsys)
    assert code == cli.EXIT_ERROR and "--baseline" in err and "is DATA itself" in err, err
    # TRAIN holding some of DATA's posts (by id): said under the table
    pd.concat([train, test.head(4)]).to_csv(workdir / "overlap.csv", index=False)
    code, out, err = run([*args[:-1], workdir / "overlap.csv", "-q", "--no-intervals"], capsys)
    assert code == 0, err
    said = _prose(out)
    assert "4 of the 30 posts are in" in said and "the median has seen their likes" in said, out


def test_evaluate_baseline_finds_its_posts_by_id_as_text(model_file, posts_csv, workdir, capsys):
    """TRAIN's ids read from a CSV as text ("2"), DATA's from a Parquet file holding a missing
    id as floats (2.0): the posts of DATA in TRAIN went uncounted, and the note that the
    median has seen their likes was missing."""
    frame = pd.read_csv(posts_csv)
    train, test = frame.iloc[:50], frame.iloc[46:]  # four posts in both
    train.to_csv(workdir / "id-train.csv", index=False)
    test.assign(id=[np.nan, *test["id"].iloc[1:]]).to_parquet(workdir / "id-test.parquet")
    args = ["evaluate", model_file, workdir / "id-test.parquet", "-q", "--no-intervals"]
    code, out, err = run([*args, "--baseline", workdir / "id-train.csv"], capsys)
    assert code == 0, err
    assert "3 of the 34 posts are in" in _prose(out), out  # the one without an id not counted


def test_evaluate_baseline_finds_its_posts_by_an_id_column_named_in_another_case(
    model_file, posts_csv, workdir, capsys
):
    """TRAIN's ids under 'ID', DATA's under 'Id': the posts of DATA in TRAIN went uncounted
    (the note that the median has seen their likes was missing)."""
    frame = pd.read_csv(posts_csv)
    train, test = frame.iloc[:50], frame.iloc[46:]  # four posts in both
    train.rename(columns={"id": "ID"}).to_csv(workdir / "upper-id-train.csv", index=False)
    test.rename(columns={"id": "Id"}).to_csv(workdir / "upper-id-test.csv", index=False)
    args = ["evaluate", model_file, workdir / "upper-id-test.csv", "-q", "--no-intervals"]
    code, out, err = run([*args, "--baseline", workdir / "upper-id-train.csv"], capsys)
    assert code == 0, err
    assert "4 of the 34 posts are in" in _prose(out), out


def test_evaluate_wraps_its_notes_at_80_columns_keeping_a_path_whole(
    posts_csv, workdir, tiny_model, capsys
):
    """The notes under evaluate's table were one line each (the intervals' some 670
    characters), which a terminal breaks in mid-word; a path or a column's name with spaces
    in it, wrapped as words, could no longer be copied."""
    company = "the company that wrote the post, as inferred from its handle"
    frame = pd.read_csv(posts_csv).rename(columns={"inferred_company": company})
    folder = workdir / ("a folder whose name is long, " * 3).strip()
    folder.mkdir()
    train = folder / "train set.csv"
    frame.iloc[:50].to_csv(train, index=False)
    frame.iloc[50:].to_csv(workdir / "test-wrap.csv", index=False)
    config = workdir / "wrap.json"
    settings = {"caption_model": None, "text_model": tiny_model, "classifier": "hgb"}
    config.write_text(json.dumps({**settings, "columns": {"inferred_company": company}}))
    model = workdir / "wrap.joblib"
    code, _, err = run(["fit", train, "--model", model, "--config", config, "-q"], capsys)
    assert code == 0, err
    args = ["evaluate", model, workdir / "test-wrap.csv", "--baseline", train]
    code, out, err = run([*args, "-q"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) > 14  # the table, then notes of several lines each
    long = [line for line in lines if len(line) > 80]
    assert long == [str(train)], long  # only the path, longer than a line, and not cut
    assert f"'{company}' resampled whole" in out  # the column's name on one line
    assert "95% intervals of the log1p errors" in out and "model minus median" in out


def test_evaluate_baseline_groups_by_the_account_columns_it_has(workdir, capsys):
    """A model that reads no company column: --baseline demanded one."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    from skbucket import BucketedRegressor, PostFeatures

    posts = load_tweets().frame.drop(columns=["inferred_company"])
    train, test = posts.iloc[:600], posts.iloc[600:]
    train.to_csv(workdir / "nc-train.csv", index=False)
    test.to_csv(workdir / "nc-test.csv", index=False)
    model = make_pipeline(
        PostFeatures(category_columns=("username",), random_state=0),
        BucketedRegressor(
            HistGradientBoostingClassifier(max_iter=5), HistGradientBoostingRegressor(max_iter=5)
        ),
    ).fit(train.drop(columns="likes"), train["likes"])
    path = cli.save_model(model, workdir / "nc.joblib")
    args = ["evaluate", path, workdir / "nc-test.csv", "-q", "--no-intervals"]
    code, out, err = run([*args, "--baseline", workdir / "nc-train.csv"], capsys)
    assert code == 0, err
    assert out.splitlines()[0].split() == ["metric", "model", "median"], out
    assert "the per-account median baseline" in out, out
    # no account column in TRAIN: a median by company, which the note says (it said "the
    # per-account median" of it)
    train.drop(columns="username").assign(inferred_company="x").to_csv(
        workdir / "nc-company.csv", index=False
    )
    test.assign(inferred_company="x").to_csv(workdir / "nc-test-company.csv", index=False)
    company_args = [*args[:2], workdir / "nc-test-company.csv", *args[3:]]
    code, out, err = run([*company_args, "--baseline", workdir / "nc-company.csv"], capsys)
    assert code == 0, err
    assert "per-account" not in out and "the per-company ('inferred_company'" in out, out
    # with no account column at all, said
    train.drop(columns="username").to_csv(workdir / "nc-none.csv", index=False)
    code, _, err = run([*args, "--baseline", workdir / "nc-none.csv"], capsys)
    assert code == cli.EXIT_ERROR and "none of the columns" in err, err


def test_predict_with_buckets_writes_the_routed_bucket_and_its_probabilities(
    model_file, posts_csv, workdir, capsys
):
    """--buckets: the bucket the router chose and the router's probabilities, beside the same
    predictions as without it, as the Python API gives them."""
    from skbucket.metrics import bucket_labels, predict_bucket, predict_bucket_proba

    frame = pd.read_csv(posts_csv).iloc[:12]
    data = workdir / "bucketed-posts.csv"
    frame.assign(id=[f"0{i}" for i in range(len(frame))]).to_csv(data, index=False)
    plain, with_buckets = workdir / "plain.csv", workdir / "with-buckets.csv"
    assert run(["predict", model_file, data, "-o", plain, "-q"], capsys)[0] == 0
    code, _, err = run(["predict", model_file, data, "-o", with_buckets, "-q", "--buckets"], capsys)
    assert code == 0 and err == "", err
    got = pd.read_csv(with_buckets, dtype={"id": str})
    labels = bucket_labels()
    assert list(got.columns) == ["id", "prediction", "bucket", *(f"p_{b}" for b in labels)]
    assert got["id"].tolist() == [f"0{i}" for i in range(len(frame))]
    np.testing.assert_allclose(got["prediction"], pd.read_csv(plain)["prediction"], rtol=1e-12)
    model = cli.load_model(model_file)
    X = frame.drop(columns="likes")
    proba = predict_bucket_proba(model, X)
    np.testing.assert_allclose(got[[f"p_{b}" for b in labels]].to_numpy(), proba, rtol=1e-6)
    assert got["bucket"].tolist() == [labels[k] for k in predict_bucket(model, X)]
    np.testing.assert_allclose(got[[f"p_{b}" for b in labels]].sum(axis=1), 1)


def test_predict_with_buckets_of_a_router_without_probabilities_writes_the_bucket_only(
    posts_csv, workdir, capsys
):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from skbucket.bucketed import BucketedRegressor
    from skbucket.features import PostFeatures
    from skbucket.metrics import bucket_labels, predict_bucket

    frame = pd.read_csv(posts_csv)
    X, y = frame.drop(columns="likes"), frame["likes"]
    model = make_pipeline(
        PostFeatures(random_state=0), BucketedRegressor(LinearSVC(), Ridge(), bins=(10, 100))
    ).fit(X, y)
    path = workdir / "svc.joblib"
    _modelfile.save_model(model, path, target="likes")
    out = workdir / "svc.csv"
    command = ["predict", path, posts_csv, "-o", out, "--buckets"]
    code, _, err = run(command, capsys)
    assert code == 0, err
    # a warning: said under -q too
    assert (
        "[skbucket] warning: --buckets: the model's router gives no probabilities (no "
        "predict_proba): the predictions file has a bucket column but no p_ columns"
    ) in err, err
    assert "no predict_proba" in run([*command, "-q"], capsys)[2]
    got = pd.read_csv(out)
    assert list(got.columns) == ["id", "prediction", "bucket"]
    labels = bucket_labels((10, 100))
    assert got["bucket"].tolist() == [labels[k] for k in predict_bucket(model, X)]


def test_predict_with_buckets_refuses_a_model_that_routes_none_before_any_work(
    posts_csv, workdir, capsys
):
    from sklearn.dummy import DummyRegressor

    path = workdir / "no-router.joblib"
    frame = pd.read_csv(posts_csv)
    _modelfile.save_model(
        DummyRegressor().fit(frame[["likes"]], frame["likes"]), path, target="likes"
    )
    code, _, err = run(["predict", path, posts_csv, "-o", workdir / "nr.csv", "--buckets"], capsys)
    assert code == cli.EXIT_ERROR
    assert "--buckets: the model's final step, DummyRegressor, routes no buckets" in err, err
    assert "predicting" not in err and not (workdir / "nr.csv").exists()
    # before the table is read: a data file that is not there is not the first error
    missing = workdir / "not-there.csv"
    code, _, err = run(["predict", path, missing, "-o", workdir / "nr.csv", "--buckets"], capsys)
    assert code == cli.EXIT_ERROR and "routes no buckets" in err, err


def test_predict_says_how_many_posts_are_by_accounts_not_seen_in_training(
    model_file, posts_csv, workdir, capsys
):
    """Posts of new accounts and companies are where the error is largest (RMSE(log1p) 2.72
    against 1.09 for the rest, in an audit on the real posts), and predict, evaluate and
    report said nothing of them."""
    frame = pd.read_csv(posts_csv)
    code, _, err = run(["predict", model_file, posts_csv, "-o", workdir / "seen.csv"], capsys)
    assert code == 0 and "not seen in training" not in err, err  # the training posts
    new = frame.assign(
        username=["brand-new", "brand-new", None, *frame["username"].iloc[3:]],
        inferred_company=["acme", *frame["inferred_company"].iloc[1:]],
    )
    new.to_csv(workdir / "new-accounts.csv", index=False)
    for command in (
        ["predict", model_file, workdir / "new-accounts.csv", "-o", workdir / "new.csv"],
        ["evaluate", model_file, workdir / "new-accounts.csv"],
        ["report", model_file, workdir / "new-accounts.csv", "-o", workdir / "new.html"],
    ):
        code, _, err = run(command, capsys)
        assert code == 0, err
        assert (
            f"[skbucket] posts whose username was not seen in training: 2 of {len(frame)}; "
            "whose inferred_company: 1 (their predictions rest on less than a known "
            "account's)\n" in err
        ), err
    # the report says it on the page too (and not for the training posts)
    page = (workdir / "new.html").read_text(encoding="utf-8")
    assert (
        f"Posts whose username was not seen in training: 2 of {len(frame)}; whose "
        "inferred_company: 1 (their predictions rest on less than a known account&#x27;s)."
    ) in page
    assert run(["report", model_file, posts_csv, "-o", workdir / "seen.html", "-q"], capsys)[0] == 0
    assert "not seen in training" not in (workdir / "seen.html").read_text(encoding="utf-8")
    # --quiet: no step message; the warning that most of these posts trained the model stays
    code, _, err = run([*command, "-q"], capsys)
    assert code == 0 and err == _training_posts_line(77, 80, "96%"), err


def test_a_mapping_that_leaves_a_role_without_a_column_stops_fit_before_any_work(
    workdir, posts_csv, tiny_model, capsys
):
    config = workdir / "taken.toml"
    # [columns] first: the keys after it are the table's, and the error says so
    config.write_text(f'[columns]\ninferred_company = "username"\ntext_model = "{tiny_model}"\n')
    args = ["fit", posts_csv, "--model", workdir / "never.joblib", "--config", config]
    code, _, err = run(args, capsys)
    assert code == cli.EXIT_ERROR
    assert "in TOML every key after the [columns] header belongs to that table" in err, err
    # a TOML [columns] table with a bad key that is no argument: no such hint
    config.write_text(f'text_model = "{tiny_model}"\n[columns]\ntext = "content"\n')
    code, _, err = run(args, capsys)
    assert code == cli.EXIT_ERROR and "key(s) ['text']" in err and "TOML" not in err, err
    # in JSON a nested object ends where it ends: a bad key there is only a bad key
    as_json = workdir / "taken.json"
    as_json.write_text(json.dumps({"columns": {"text_model": str(tiny_model)}}))
    code, _, err = run([*args[:-1], as_json], capsys)
    assert code == cli.EXIT_ERROR and "key(s) ['text_model']" in err and "TOML" not in err, err
    config.write_text(
        f'caption_model = "none"\ntext_model = "{tiny_model}"\n'
        '[columns]\ninferred_company = "username"\n'
    )
    code, out, err = run(args, capsys)
    assert code == cli.EXIT_ERROR and "fitting on" not in out + err, out + err
    assert "no column of X holds the role(s) ['username']" in err, err


def test_every_argument_of_every_command_says_what_it_is_in_help():
    """``skbucket evaluate --help`` showed DATA with no word, and demo's --epochs hid its
    default; each argument has a help text, and one with a default other than None/False
    shows it."""
    import argparse

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lacking = []
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            what = f"{name} {action.option_strings or action.dest}"
            if not action.help:
                lacking.append(f"{what}: no help")
            elif action.default not in (None, False, True, argparse.SUPPRESS) and (
                "%(default)s" not in action.help and "default" not in action.help.lower()
            ):
                lacking.append(f"{what}: default {action.default!r} not shown")
    assert not lacking


def test_every_option_of_every_subcommand_is_on_the_cli_page():
    """A new option with its --help text but no line in docs/cli.rst passed every test (a
    contributor audit): the page is where users read what the command takes."""
    import argparse

    from conftest import ROOT

    page = (ROOT / "docs" / "cli.rst").read_text(encoding="utf-8")
    words = {w.rstrip("]") for w in re.findall(r"--[\w\[\]-]+", page)}  # --model is not --model-x
    parser = cli.build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = []
    for name, sub in subparsers.choices.items():
        assert f"skbucket {name}" in page, name
        for action in sub._actions:
            for flag in action.option_strings:
                both = "--[no-]" + flag.removeprefix("--").removeprefix("no-")  # a pair's form
                if flag.startswith("--") and flag != "--help" and not {flag, both} & words:
                    missing.append(f"skbucket {name} {flag}")
    assert not missing, f"options not named in docs/cli.rst: {missing}"


def test_a_caption_model_that_is_no_blip2_one_names_the_flag(workdir, config, tiny_model, capsys):
    """A text model's folder given as the caption model: fit's hint asked for a config edit
    only, though --caption-model none does it from the command line."""
    from PIL import Image

    image = workdir / "photo.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(image)
    frame = load_tweets().frame.iloc[:30].assign(media=str(image))
    data = workdir / "with-photos.csv"
    frame.to_csv(data, index=False)
    cfg = workdir / "caption-config.json"
    cfg.write_text(json.dumps({**json.loads(config.read_text()), "caption_model": tiny_model}))
    out = workdir / "never.joblib"
    code, _, err = run(["fit", data, "--model", out, "--config", cfg, "-q"], capsys)
    assert code == cli.EXIT_ERROR and "not a BLIP-2 one" in err, err
    assert err.rstrip().endswith(
        '(here: --caption-model none, or "caption_model": null in the --config file)'
    )
    code, _, err = run(
        ["fit", data, "--model", out, "--config", config, "--caption-model", tiny_model, "-q"],
        capsys,
    )
    assert code == cli.EXIT_ERROR and "not a BLIP-2 one" in err, err
    assert err.rstrip().endswith("(here: --caption-model none, or a BLIP-2 checkpoint's folder)")
    assert not out.exists()


def test_a_caption_model_that_cannot_be_loaded_names_the_step_and_the_flag(
    workdir, config, tiny_model, capsys
):
    """The default captioner offline (BLIP-2 is not in the cache), or a caption model's folder
    that is not there: the error named the model but not the step, so that a user who has no
    BLIP-2 did not learn from it that fitting without captions (--caption-model none) was a
    way on; a text model that cannot be loaded is named as its step already."""
    from PIL import Image

    from skbucket._models import _hub_cached_repo

    image = workdir / "photo.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(image)
    data = workdir / "with-photos.csv"
    load_tweets().frame.iloc[:30].assign(media=str(image)).to_csv(data, index=False)
    out = workdir / "never.joblib"
    missing = workdir / "no-blip2-here"
    cfg = workdir / "caption-config.json"
    cfg.write_text(json.dumps({**json.loads(config.read_text()), "caption_model": str(missing)}))
    cases = [
        (
            ["--config", cfg],
            '(here: --caption-model none, or "caption_model": null in the --config',
        ),
        (
            ["--config", config, "--caption-model", missing],
            "(here: --caption-model none, or a BLIP-2 checkpoint's folder)",
        ),
    ]
    if not _hub_cached_repo("Salesforce/blip2-opt-2.7b"):  # tests run with HF_HUB_OFFLINE=1
        cases.append((["--text-model", tiny_model], "(here: --caption-model none fits without"))
    for options, hint in cases:
        code, _, err = run(["fit", data, "--model", out, *options, "-q"], capsys)
        assert code == cli.EXIT_ERROR, err
        assert err.startswith("skbucket fit: error: Blip2Captioner: model "), err
        assert "No image was captioned (a row that carries its caption needs no model)." in err
        assert hint in err and err.count("\n") == 1, err
        assert not out.exists()


def test_report_scores_the_per_account_median_beside_the_model(
    model_file, posts_csv, workdir, capsys
):
    """evaluate --baseline printed the median beside the model; the report had no way to."""
    frame = pd.read_csv(posts_csv)
    train, test = frame.iloc[:50], frame.iloc[50:]
    train.to_csv(workdir / "r-train50.csv", index=False)
    test.to_csv(workdir / "r-test30.csv", index=False)
    page = workdir / "with-median.html"
    args = ["report", model_file, workdir / "r-test30.csv", "-o", page, "-q"]
    code, _, err = run([*args, "--baseline", workdir / "r-train50.csv"], capsys)
    assert code == 0 and err == _training_posts_line(30, 30, "100%"), err  # as the model's
    text = html.unescape(page.read_text(encoding="utf-8"))
    # the same numbers as evaluate prints in its median column
    code, out, _ = run(
        ["evaluate", model_file, workdir / "r-test30.csv", "-q", "--no-intervals"]
        + ["--baseline", workdir / "r-train50.csv"],
        capsys,
    )
    assert code == 0
    printed = {line.split()[0]: line.split()[2] for line in out.splitlines()[2:10]}
    for key in ("rmse_log1p", "mae_log1p", "bucket_accuracy"):
        cells = re.search(rf"<code>{key}</code></td>(.*?)</tr>", text).group(1)
        assert re.findall(r'<td class="num[^"]*">([^<]+)</td>', cells)[-1] == printed[key], key
    assert '<th scope="col">median</th>' in text
    assert (
        "Beside the model: median (GroupMedianRegressor by username, then inferred_company), "
        in text
    )
    config = re.sub(r"'\s+'", "", text[text.index("<h2>Model configuration") :])  # pprint's wraps
    assert (
        f"'baseline': 'median: the per-account median baseline, fitted on "
        f"{workdir / 'r-train50.csv'} (50 posts)'" in config
    )
    # posts of DATA in TRAIN: said now, not only in the configuration at the page's foot
    pd.concat([train, test.head(4)]).to_csv(workdir / "r-overlap.csv", index=False)
    code, _, err = run([*args, "--baseline", workdir / "r-overlap.csv"], capsys)
    assert code == 0 and "warning: 4 of the 30 posts are in" in err and "flatters it" in err, err
    # DATA itself as TRAIN is refused, as by evaluate, and nothing is written
    page.unlink()
    code, _, err = run([*args, "--baseline", workdir / "r-test30.csv"], capsys)
    assert code == cli.EXIT_ERROR and "is DATA itself" in err and not page.exists(), err


def test_dates_that_read_either_way_are_warned_about_until_a_flag_settles_them(
    model_file, posts_csv, config, workdir, capsys
):
    """A day-first file whose days are all 12 or less (a batch of a few days' posts) was read
    month first without a word when the model's training dates settled no order: other
    weekdays and months, other predictions."""
    frame = pd.read_csv(posts_csv).iloc[:20]
    when = pd.to_datetime(frame["date"], format="ISO8601")
    day = (when.dt.day - 1) % 12 + 1
    frame["date"] = [
        f"{d:02d}/{m:02d}/{y} 10:00" for d, m, y in zip(day, when.dt.month, when.dt.year)
    ]
    frame.loc[0, "date"] = "05/04/2021 10:00"
    data = workdir / "batch.csv"
    frame.to_csv(data, index=False)
    out = workdir / "batch-preds.csv"
    code, _, err = run(["predict", model_file, data, "-o", out, "-q"], capsys)
    assert code == 0, err
    assert (
        "warning: column 'date' holds numeric dates that read either way, such as "
        "'05/04/2021 10:00', and neither they nor the model's training dates settle the order: "
        "they are read month first, as the model was fitted. If they are day first, pass "
        "--dayfirst (--no-dayfirst confirms month first)."
    ) in err, err
    assert err.count("\n") == 1
    for flag in ("--dayfirst", "--no-dayfirst"):  # a flag settles it
        code, _, err = run(["predict", model_file, data, "-o", out, "-q", flag], capsys)
        assert code == 0 and "read either way" not in err, err
    # evaluate and report say it too; ISO dates, or one that reads one way only, say nothing
    assert "read either way" in run(["evaluate", model_file, data, "-q"], capsys)[2]
    page = workdir / "batch.html"
    assert "read either way" in run(["report", model_file, data, "-o", page, "-q"], capsys)[2]
    iso = workdir / "batch-iso.csv"
    pd.read_csv(posts_csv).iloc[:20].to_csv(iso, index=False)
    assert "read either way" not in run(["evaluate", model_file, iso, "-q"], capsys)[2]
    us = frame.assign(date=frame["date"].str.replace("05/04/2021", "04/25/2021"))
    us.to_csv(workdir / "batch-us.csv", index=False)
    code, _, err = run(["evaluate", model_file, workdir / "batch-us.csv", "-q"], capsys)
    assert code == 0 and "read either way" not in err, err
    # fit on such dates: the model would learn from them so
    code, _, err = run(["fit", data, "--model", workdir / "b.joblib", "--config", config], capsys)
    assert (
        code == 0
        and (
            "and none settles the order: they are read month first, and the model learns from "
            "them so. If they are day first, pass --dayfirst"
        )
        in err
    ), err
    code, _, err = run(
        ["fit", data, "--model", workdir / "b.joblib", "--config", config, "--dayfirst", "-q"],
        capsys,
    )
    assert code == 0 and "read either way" not in err, err
    day_config = workdir / "batch-config.json"  # the config's dayfirst says it too
    day_config.write_text(json.dumps({**json.loads(config.read_text()), "dayfirst": False}))
    code, _, err = run(
        ["fit", data, "--model", workdir / "b.joblib", "--config", day_config], capsys
    )
    assert code == 0 and "read either way" not in err, err
    # a model whose training dates settled the order (a date readable day first only) reads
    # the batch that way without a word
    frame.loc[1, "date"] = "25/04/2021 10:00"
    frame.to_csv(workdir / "settled.csv", index=False)
    settled = workdir / "settled.joblib"
    args = ["fit", workdir / "settled.csv", "--model", settled, "--config", config]
    assert run([*args, "--dayfirst", "-q"], capsys)[0] == 0
    code, _, err = run(["predict", settled, data, "-o", out, "-q"], capsys)
    assert code == 0 and "read either way" not in err, err
    # a saved search reads dates as its best model does, not as its template
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skbucket.features import PostFeatures

    posts = pd.read_csv(posts_csv)
    search = GridSearchCV(
        make_pipeline(PostFeatures(), Ridge()), {"postfeatures__dayfirst": [True]}, cv=2
    ).fit(posts.drop(columns="likes"), posts["likes"])
    cli.save_model(search, workdir / "search.joblib")
    code, _, err = run(["predict", workdir / "search.joblib", data, "-o", out, "-q"], capsys)
    assert (
        code == 0
        and (
            "they are read day first, as the model was fitted. If they are month first, pass "
            "--no-dayfirst (--dayfirst confirms day first)"
        )
        in err
    ), err


def test_evaluate_baseline_prints_the_model_minus_the_median_with_a_paired_interval(
    model_file, posts_csv, workdir, capsys
):
    """evaluate --baseline printed the two models' metrics, each with its own interval: two
    intervals that overlap did not say whether the model's error is lower than the median's."""
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.metrics import INTERVAL_METRICS, paired_bootstrap

    frame = pd.read_csv(posts_csv)
    train, test = frame.iloc[:50], frame.iloc[50:]
    train.to_csv(workdir / "pd-train50.csv", index=False)
    test.to_csv(workdir / "pd-test30.csv", index=False)
    args = ["evaluate", model_file, workdir / "pd-test30.csv", "-q"]
    args += ["--baseline", workdir / "pd-train50.csv"]
    code, out, err = run(args, capsys)
    assert code == 0, err
    X = test.drop(columns="likes")
    y = test["likes"].to_numpy(float)
    median = GroupMedianRegressor().fit(train.drop(columns="likes"), train["likes"])
    # the companies resampled whole, as for the intervals
    groups = test["inferred_company"].to_numpy(dtype=object)
    assert len(set(groups)) >= 10
    pred = cli.load_model(model_file).predict(X)
    expected = paired_bootstrap(y, pred, median.predict(X), groups=groups)
    from skbucket.report import _share

    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("model minus median"))
    rows = [line for line in lines[at:] if line.startswith("  ")]
    head = " ".join(lines[at : lines.index(rows[0])])
    assert "negative: the model's error is lower" in head and "narrower than its 95%" in head
    # wrapped, as a terminal shows it
    assert max(len(line) for line in lines[at : lines.index(rows[-1]) + 1]) <= 80
    shown = {}
    for line in rows:
        metric, value, low, _, high, *rest = line.split()
        shown[metric] = (float(value), float(low), float(high), " ".join(rest))
    assert sorted(shown) == sorted(INTERVAL_METRICS)
    for metric, (value, low, high, share) in shown.items():
        want = expected[metric]
        assert (value, low, high) == pytest.approx(want[:3], abs=6e-5), metric
        assert share == f"model lower in {_share(want.share_better)} of the resamples", share
    # the columns line up: each "to" at the same place
    assert len({line.index(" to ") for line in rows}) == 1
    # no intervals asked for, or too few companies to resample: no difference either
    code, out, _ = run([*args, "--no-intervals"], capsys)
    assert code == 0 and "model minus" not in out
    few = test[test["inferred_company"].isin(sorted(set(groups))[:3])]
    few.to_csv(workdir / "pd-few.csv", index=False)
    code, out, _ = run([*args[:2], workdir / "pd-few.csv", *args[3:]], capsys)
    assert code == 0 and "No intervals" in out and "model minus" not in out


def test_baseline_train_may_hold_its_columns_in_another_order_or_fewer(workdir, capsys):
    """--baseline fitted the median on every column of TRAIN, and scikit-learn's check of
    feature names then refused DATA (named as the culprit) when TRAIN's columns came in
    another order, or when TRAIN lacked a column the median never reads (media)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    from skbucket import BucketedRegressor, PostFeatures

    posts = load_tweets().frame
    train, test = posts.iloc[:600], posts.iloc[600:700]
    train.to_csv(workdir / "bo-train.csv", index=False)
    train[train.columns[::-1]].to_csv(workdir / "bo-reversed.csv", index=False)
    train.drop(columns=["media", "id"]).to_csv(workdir / "bo-fewer.csv", index=False)
    test.to_csv(workdir / "bo-test.csv", index=False)
    model = make_pipeline(
        PostFeatures(random_state=0),
        BucketedRegressor(
            HistGradientBoostingClassifier(max_iter=5), HistGradientBoostingRegressor(max_iter=5)
        ),
    ).fit(train.drop(columns="likes"), train["likes"])
    path = cli.save_model(model, workdir / "bo.joblib")
    args = ["evaluate", path, workdir / "bo-test.csv", "-q", "--no-intervals", "--baseline"]
    tables = []
    for name in ("bo-train.csv", "bo-reversed.csv", "bo-fewer.csv"):
        code, out, err = run([*args, workdir / name], capsys)
        assert code == 0, (name, err)
        table = out[: out.index("\nmedian: ")]  # the table, above the notes naming TRAIN
        assert len(table.splitlines()) > 5, out
        tables.append(table)
    assert tables[0].splitlines()[0].split() == ["metric", "model", "median"], tables[0]
    assert tables[1] == tables[0] and tables[2] == tables[0]
    page = workdir / "bo-report.html"
    code, _, err = run(
        [
            "report",
            path,
            workdir / "bo-test.csv",
            "-o",
            page,
            "-q",
            "--baseline",
            workdir / "bo-reversed.csv",
        ],
        capsys,
    )
    assert code == 0, err
    assert "GroupMedianRegressor by username, then inferred_company" in page.read_text()


def test_each_warning_of_a_run_is_printed(monkeypatch, capsys):
    """A run printed only the first NoPostTextWarning (to leave out the seed pipeline's
    PromptBuilder's, near-identical, after the pipeline's own): the library says that one
    once now (test_pipeline), and a distinct warning of the same category is printed too."""
    from skbucket.prompts import NoPostTextWarning

    def fit(args):
        warnings.warn(
            "the seed pipeline: X has no 'content' column, and its column(s) "
            "['text'] hold text that is not read",
            NoPostTextWarning,
            stacklevel=2,
        )
        warnings.warn("PostFeatures: another column left out", NoPostTextWarning, stacklevel=2)
        warnings.warn("another warning", UserWarning, stacklevel=2)
        return 0

    monkeypatch.setattr(cli, "cmd_fit", fit)
    code, _, err = run(["fit", "posts.csv", "--model", "m.joblib"], capsys)
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 3 and "['text'] hold text that is not read" in lines[0], err
    assert lines[0].endswith(cli._NO_POST_TEXT_HINT) and lines[2].endswith("another warning")
    assert "PostFeatures: another column left out" in lines[1], err


def test_rows_of_differences_fit_in_80_columns():
    """A row of the model's error minus the median's was 81 columns wide with differences of
    10 or more; it goes on, indented, on a next line now, and an ordinary row is as it was."""
    from types import SimpleNamespace

    rows = {
        "rmse_log1p": SimpleNamespace(difference=-10.1234, low=-12.5, high=-8.25, share_better=1),
        "mae_log1p": SimpleNamespace(difference=0.5, low=-0.1, high=1.2, share_better=0.5),
    }
    lines = cli._format_differences("median", rows, narrow=True).split("\n")
    assert max(map(len, lines)) <= 80, lines
    assert lines[-3:] == [
        "  rmse_log1p  -10.1234  -12.5000 to -8.2500  model lower in 100% of the",
        "    resamples",
        "  mae_log1p    +0.5000   -0.1000 to +1.2000  model lower in 50% of the resamples",
    ]


def test_the_interrupt_filter_gives_the_remedy_to_a_note_already_prefixed():
    """A note that already started with ``[skbucket] `` kept Python's remedy: the filter set
    the record's text only when it added the prefix."""
    import logging

    from skbucket.cli import _PYTHON_CACHE_REMEDY, _CacheRemedy

    record = logging.LogRecord(
        "skbucket._models",
        logging.WARNING,
        __file__,
        1,
        "[skbucket] stopped; %s",
        (_PYTHON_CACHE_REMEDY,),
        None,
    )
    assert _CacheRemedy("set the config's cache").filter(record)
    assert record.getMessage() == "[skbucket] stopped; set the config's cache"
    plain = logging.LogRecord("skbucket._models", logging.WARNING, __file__, 1, "stopped", (), None)
    assert _CacheRemedy(None).filter(plain)
    assert plain.getMessage() == "[skbucket] stopped"
