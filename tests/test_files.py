"""Tests for :mod:`skbucket._files` (outputs written whole or not at all)."""

import copy
import errno
import os
import pickle
import re

import pytest

from skbucket import io as skio
from skbucket._files import replace_atomically
from skbucket.cli import save_model
from skbucket.report import write_report


def _write(text):
    return lambda fh: fh.write(text.encode())


def test_writes_into_a_new_folder_and_replaces_an_old_file(tmp_path):
    path = tmp_path / "new" / "deeper" / "out.txt"
    assert replace_atomically(path, _write("one"), "file") == path
    replace_atomically(path, _write("two"), "file")
    assert path.read_text() == "two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.txt"]


@pytest.mark.parametrize("name", ["p" * 246 + ".csv", "é" * 123 + ".csv"])  # 250 bytes
def test_a_name_near_the_length_limit_is_written(tmp_path, name):
    """The temporary file's longer name must not fail where the file's own name fits."""
    path = tmp_path / name
    replace_atomically(path, _write("one"), "file")
    replace_atomically(path, _write("two"), "file")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, failure):
    path = tmp_path / "out.txt"
    path.write_text("old")

    def half_then_fail(fh):
        fh.write(b"half")
        raise failure

    with pytest.raises(type(failure)):
        replace_atomically(path, half_then_fail, "file")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_failed_write_removes_the_folders_it_made_and_only_those(tmp_path):
    (tmp_path / "there").mkdir()
    path = tmp_path / "there" / "new" / "deeper" / "out.txt"

    def fail(fh):
        fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="cannot write the file"):
        replace_atomically(path, fail, "file")
    assert [p.name for p in tmp_path.iterdir()] == ["there"]
    assert not any((tmp_path / "there").iterdir())  # "new" and "new/deeper" are gone


def test_an_os_error_names_the_path_even_when_its_folder_cannot_be_made(tmp_path):
    blocker = tmp_path / "posts.csv"  # a file where the output's folder should be
    blocker.write_text("id,likes\n")
    path = blocker / "model.joblib"
    with pytest.raises(
        FileExistsError, match=r"cannot write the model file '.*posts\.csv/model\.joblib'"
    ) as caught:
        replace_atomically(path, _write("x"), "model file")
    assert caught.value.errno == errno.EEXIST  # the class and errno a caller may test survive
    assert blocker.read_text() == "id,likes\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_folder_that_is_a_link_to_nothing_is_named_as_such(tmp_path):
    """A link to a folder that is gone (a results disk not mounted): mkdir failed with "File
    exists: 'results'", a folder that is plainly not there."""
    link = tmp_path / "results"
    os.symlink(tmp_path / "unmounted", link)
    for path in (link / "model.joblib", link / "deeper" / "model.joblib"):
        with pytest.raises(FileNotFoundError) as caught:
            replace_atomically(path, _write("x"), "model file")
        assert str(caught.value) == (
            f"cannot write the model file {str(path)!r}: {str(link)!r} is a symbolic link to "
            f"{str(tmp_path / 'unmounted')!r}, which does not exist (a folder removed or a "
            "disk not mounted): no folder can be made through it"
        )
        assert caught.value.errno == errno.ENOENT
    assert os.listdir(tmp_path) == ["results"] and os.path.islink(link)  # nothing made


def test_every_writer_names_its_path_when_the_folder_is_a_file(tmp_path):
    """save_model, skbucket.io.save and write_report share the same writer."""
    from sklearn.linear_model import LinearRegression

    blocker = tmp_path / "posts.csv"
    blocker.write_text("x")
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(OSError, match=r"model file '.*posts\.csv/m\.joblib'"):
        save_model(model, blocker / "m.joblib")
    with pytest.raises(OSError, match=r"model file '.*posts\.csv/m\.skops'"):
        skio.save(model, blocker / "m.skops")
    with pytest.raises(OSError, match=r"report '.*posts\.csv/r\.html'"):
        write_report(model, [[0.0], [1.0]], [0.0, 1.0], blocker / "r.html")


def test_a_replaced_file_keeps_its_permissions_and_a_link_is_written_through(tmp_path):
    import os
    import stat

    private = tmp_path / "private.html"
    private.write_text("old")
    private.chmod(0o600)
    replace_atomically(private, _write("new"), "report")  # before: 0644 (the new file's)
    assert private.read_text() == "new"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    target = tmp_path / "reports" / "latest.html"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    assert replace_atomically(link, _write("new"), "report") == link
    assert link.is_symlink() and os.readlink(link) == str(target)  # before: a plain file
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.html"]


def test_a_folder_or_no_name_is_refused_naming_the_path(tmp_path):
    with pytest.raises(IsADirectoryError, match=rf"report '{tmp_path}': it is a folder"):
        replace_atomically(tmp_path, _write("x"), "report")  # before: named '.x.<pid>.tmp'
    with pytest.raises(ValueError, match="the report needs a file name"):
        replace_atomically("", _write("x"), "report")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["out/", "out/.", "deeper/out//"])
def test_a_path_ending_in_a_separator_is_refused_as_a_folder(tmp_path, name):
    """replace_atomically("out/") wrote a file named "out" (Path() drops the slash), where the
    caller meant a folder; nothing is written or made now."""
    given = f"{tmp_path}{os.sep}{name}"
    with pytest.raises(IsADirectoryError, match=rf"report '{re.escape(given)}': a path ending"):
        replace_atomically(given, _write("x"), "report")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(IsADirectoryError, match="model file .* names a folder"):
        save_model([1], given)  # every writer: skbucket fit's, skbucket.io.save's, the report's
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out").mkdir()  # a folder there: refused as before
    with pytest.raises(IsADirectoryError, match=r"names a folder|it is a folder"):
        replace_atomically(f"{tmp_path}{os.sep}out{os.sep}", _write("x"), "report")


def test_a_link_planted_at_the_temporary_name_is_never_written_through(tmp_path):
    # the temporary name was '.<name>.<pid>.tmp', opened with a plain open(): anyone who could
    # create files in a shared output folder made it a link, and the save overwrote its target
    import os

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    shared = tmp_path / "shared"
    shared.mkdir()
    for name in ("out.txt", "model.joblib"):
        (shared / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    replace_atomically(shared / "out.txt", _write("new"), "file")
    save_model([1, 2, 3], shared / "model.joblib")
    assert victim.read_text() == "precious"
    assert (shared / "out.txt").read_text() == "new" and not (shared / "out.txt").is_symlink()
    assert not (shared / "model.joblib").is_symlink()
    left = {p.name for p in shared.iterdir()} - {"out.txt", "model.joblib"}
    assert all(name.endswith(f".{os.getpid()}.tmp") for name in left)  # only the planted ones


def test_a_temporary_file_swapped_for_a_link_while_written_is_never_written_through(
    tmp_path, monkeypatch
):
    # the writers reopened the temporary file by name: swapped for a link between its creation
    # and the write (a folder others may write into), the save overwrote the link's target
    import os

    from skbucket import _files

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    real = _files.new_file

    def swapped(folder, prefix, suffix=""):
        fd, path = real(folder, prefix, suffix)
        os.unlink(path)
        os.symlink(victim, path)  # what another user could do in that moment
        return fd, path

    monkeypatch.setattr(_files, "new_file", swapped)
    out = tmp_path / "shared" / "model.joblib"
    with pytest.raises(OSError, match="replaced by someone else"):
        save_model([1, 2, 3], out)
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(OSError, match="replaced by someone else"):
        write_report(model, [[0.0], [1.0]], [0.0, 1.0], tmp_path / "shared" / "r.html")
    with pytest.raises(OSError, match="replaced by someone else"):
        skio.save(model, tmp_path / "shared" / "m.skbucket")
    assert victim.read_text() == "precious"
    assert not out.exists()


def test_the_new_content_and_the_rename_are_synced_to_the_disk(tmp_path, monkeypatch):
    """Without fsync a crash or power cut soon after a model file was "written" could leave
    it empty under its name (the rename reached the disk before the data)."""
    import os
    import stat

    target = tmp_path / "model.joblib"
    target.write_bytes(b"old")
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        mode = os.fstat(fd).st_mode
        kind = "folder" if stat.S_ISDIR(mode) else "file"
        size = os.fstat(fd).st_size if kind == "file" else None
        events.append(("fsync", kind, size))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", None, None))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    replace_atomically(target, lambda fh: fh.write(b"new content"), "model file")
    assert target.read_bytes() == b"new content"
    # the whole new content synced before the rename, the folder after it
    assert events == [("fsync", "file", 11), ("replace", None, None), ("fsync", "folder", None)]


@pytest.mark.parametrize("number", [errno.EINVAL, errno.ENOTSUP])
def test_a_file_system_that_cannot_sync_is_let_be_and_a_failed_sync_is_an_error(
    tmp_path, monkeypatch, number
):
    import os

    def cannot(fd):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(os, "fsync", cannot)
    target = tmp_path / "report.html"
    replace_atomically(target, lambda fh: fh.write(b"<html>"), "report")
    assert target.read_bytes() == b"<html>"

    def failed(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", failed)
    with pytest.raises(OSError, match=r"cannot write the report .*Input/output error"):
        replace_atomically(target, lambda fh: fh.write(b"<html>new"), "report")
    assert target.read_bytes() == b"<html>"  # the old content stays
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


@pytest.mark.parametrize(
    "send", [lambda e: pickle.loads(pickle.dumps(e)), copy.copy], ids=["pickle", "copy"]
)
def test_the_reworded_os_error_keeps_its_errno_when_pickled_or_copied(tmp_path, send):
    """Its errno was set on the instance only: pickled (a joblib worker's save sent back to
    the parent) or copied, it came back as None, and a caller could no longer tell a full
    disk (errno.ENOSPC) apart."""

    def full(fh):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as caught:
        replace_atomically(tmp_path / "out.txt", full, "report")
    sent = send(caught.value)
    assert type(sent) is type(caught.value)
    assert sent.errno == errno.ENOSPC
    assert str(sent) == str(caught.value)
    assert str(sent).startswith("cannot write the report")


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_refused_naming_it_and_left_in_place(tmp_path):
    """A named pipe (or a device: ``/dev/null`` for a root user) was replaced by a regular
    file, silently: the rename swaps the new file in for whatever has the name. The command
    line refuses it up front; ``write_report``, ``skbucket.io.save`` and ``save_model`` did
    not."""
    import os
    import stat

    pipe = tmp_path / "predictions.csv"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match=r"report '.*predictions\.csv'.*no regular file"):
        replace_atomically(pipe, _write("x"), "report")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)  # before: a regular file holding "x"
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]
    link = tmp_path / "link.csv"
    link.symlink_to(pipe)  # written through to its target: refused too
    with pytest.raises(OSError, match="no regular file"):
        replace_atomically(link, _write("x"), "report")
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_a_link_in_a_loop_is_refused_and_left_a_link(tmp_path):
    """Links that go round in a loop have no target to write through to: the first was
    replaced by a plain file (``open()`` says "Too many levels of symbolic links")."""
    import os

    one, two = tmp_path / "one.html", tmp_path / "two.html"
    one.symlink_to(two)
    two.symlink_to(one)
    with pytest.raises(OSError, match=r"report '.*one\.html'.*loop") as caught:
        replace_atomically(one, _write("x"), "report")
    assert caught.value.errno == errno.ELOOP
    assert one.is_symlink() and os.readlink(one) == str(two)  # before: a plain file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.html", "two.html"]


def test_a_path_starting_with_a_tilde_is_in_the_home_folder(tmp_path, monkeypatch):
    """``~/model.skbucket`` given from Python made a folder named ``~`` in the working
    directory and wrote the file there (the command line expands it; pandas' writers do);
    a later ``rm -r ~`` to remove that folder removes the home folder."""
    from sklearn.linear_model import Ridge

    from skbucket.cli import load_model

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    model = Ridge().fit([[0.0], [1.0]], [0.0, 1.0])
    expected = model.predict([[2.0]])
    assert replace_atomically("~/out.txt", _write("one"), "file") == home / "out.txt"
    assert skio.save(model, "~/models/m.skbucket") == home / "models" / "m.skbucket"
    skio.save(model, "~/m.joblib", format="joblib")
    save_model(model, "~/m-cli.joblib")
    assert list(work.iterdir()) == []  # no folder named "~"
    assert sorted(p.name for p in home.iterdir()) == [
        "m-cli.joblib",
        "m.joblib",
        "models",
        "out.txt",
    ]
    # and read from there
    assert skio.load("~/models/m.skbucket").predict([[2.0]]) == pytest.approx(expected)
    assert skio.read_metadata("~/models/m.skbucket")["format"] == skio.FORMAT_NAME
    assert skio.get_untrusted_types("~/models/m.skbucket") == []
    assert skio.load("~/m.joblib", allow_pickle=True).predict([[2.0]]) == pytest.approx(expected)
    assert load_model("~/m-cli.joblib").predict([[2.0]]) == pytest.approx(expected)
