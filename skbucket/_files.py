"""Writing an output file whole or not at all (model files, predictions, reports)."""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path

#: the folder of the output file being written by :func:`replace_atomically` (it is on the
#: disk meant to hold the file): where :func:`in_temporary_folder` goes when the system's
#: temporary folder cannot take what is written while saving (a checkpoint export)
_OUTPUT_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "skbucket_output_folder", default=None
)


def replace_atomically(path, write, what: str) -> Path:
    """``write(fh)`` into a new temporary file beside ``path``, then rename it to ``path``.

    ``fh`` is the temporary file, open for writing in binary mode: ``write`` writes to it and
    never opens the file by its name, so a name swapped for a link after it was made (in a
    folder others may write into) is never written through. The temporary file gets a random
    name, is created new (``O_EXCL``, not through a link) with the mode any new file gets, and
    two processes writing the same ``path`` do not mix their bytes. The folder is created
    when missing; one below a symbolic link to nothing (a folder removed, a disk not
    mounted) is a ``FileNotFoundError`` naming the link and its target. When anything fails (a full disk, an interrupt, an error inside ``write``)
    the temporary file and the folders made for it are removed and ``path`` keeps its old
    content; an ``OSError``, including one creating the folder, is re-raised naming ``path``
    as the ``what`` it was to be ("model file", "report"). A file replaced keeps its
    permissions (a private ``0600`` report stays private); a symbolic link is written through
    to its target; a ``path`` that is a folder, or names one (it ends in a separator:
    ``"out/"``, or in ``"."``), is an ``IsADirectoryError`` naming it, one that
    is no regular file (a named pipe, a device) an ``OSError`` naming it (the rename would
    replace it). The new content is synced to the disk (``fsync``) before the rename, and the
    folder after it, so a crash or power cut leaves the old file or the new one, never an
    empty one. A ``path`` starting with ``~`` is in the home folder (not a new folder named
    ``~`` of the working directory), as pandas' writers and the command line take it; the
    path returned is the expanded one.
    """
    given = os.fspath(path)
    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    if not path.name or path.name in (".", ".."):
        raise ValueError(f"the {what} needs a file name; got {str(path)!r}")
    if isinstance(given, str) and _names_a_folder(given):
        # Path() drops a trailing "/" (and a last "."): "out/" was written as the file "out"
        raise IsADirectoryError(
            errno.EISDIR,
            f"cannot write the {what} {given!r}: a path ending in {given[-1]!r} names a "
            "folder; give a file name in it",
        )
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write the {what} {str(path)!r}: it is a folder"
        )
    # a symbolic link is written through (its target gets the new content, the link stays)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.is_symlink():  # still a link: the links go round in a loop, no target
        raise OSError(
            errno.ELOOP,
            f"cannot write the {what} {str(path)!r}: its symbolic links go round in a loop",
        )
    if os.path.lexists(target) and not target.is_file():
        # the rename swaps the new file in for whatever has the name: a named pipe, a socket
        # or a device (``/dev/null`` for root) would be replaced by a plain file
        raise OSError(
            errno.EINVAL,
            f"cannot write the {what} {str(path)!r}: it is no regular file (a named pipe or "
            "a device), which the new file would replace; give a file name",
        )
    tmp = None
    made = _missing_folders(target.parent)  # removed again when the write fails
    try:
        broken = dangling_link(target.parent)
        if broken is not None:  # mkdir said "File exists", naming the link (after a fit)
            raise FileNotFoundError(errno.ENOENT, broken_link_text(broken))
        target.parent.mkdir(parents=True, exist_ok=True)
        # the name cut so the temporary one fits where the final one does (255 bytes)
        fd, tmp = new_file(target.parent, f".{_short(target.name)}.", ".tmp")
        with os.fdopen(fd, "wb") as fh:
            token = _OUTPUT_FOLDER.set(target.parent)
            try:
                write(fh)
            finally:
                _OUTPUT_FOLDER.reset(token)
            ours = os.fstat(fh.fileno())
            _to_disk(fh)  # before the rename: else a crash may leave the new name empty
            # a file replaced keeps its permissions (a file system without them: as before;
            # no os.fchmod on Windows before Python 3.13, where the bits mean little)
            if hasattr(os, "fchmod"):
                with contextlib.suppress(OSError):
                    os.fchmod(fh.fileno(), stat.S_IMODE(target.stat().st_mode))
        now = os.lstat(tmp)
        if (now.st_dev, now.st_ino) != (ours.st_dev, ours.st_ino):
            tmp = None  # not ours to remove
            raise FileExistsError(
                errno.EEXIST, "the temporary file was replaced by someone else while written"
            )
        os.replace(tmp, target)
        _folder_to_disk(target.parent)  # the rename itself
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        remove_empty_folders(made)  # one another process filled meanwhile stays
        if isinstance(exc, OSError):
            raise _naming(exc, f"cannot write the {what} {str(path)!r}") from exc
        raise
    return path


#: the characters that end a folder's name in a path
_SEPARATORS = os.sep + (os.altsep or "")


def _names_a_folder(path: str) -> bool:
    """Whether ``path``, as given, names a folder whatever is on the disk: it ends in a
    separator (``"out/"``) or in ``"."`` as its own part (``"out/."``)."""
    return (
        path.endswith(tuple(_SEPARATORS))
        or re.split(f"[{re.escape(_SEPARATORS)}]", path)[-1] == "."
    )


def _to_disk(fh) -> None:
    """Flush ``fh`` and have the system write it to the disk (``fsync``); a file system that
    cannot (``EINVAL``, ``ENOTSUP``) is let be, a failed write (``EIO``, ``ENOSPC``) raised."""
    fh.flush()
    try:
        os.fsync(fh.fileno())
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def _folder_to_disk(folder) -> None:
    """``fsync`` a folder, so a rename in it survives a crash (POSIX; where a folder cannot be
    opened or synced, as on Windows, nothing to do)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def in_temporary_folder(write, prefix: str, what: str, read=None):
    """``write(folder)`` in a new temporary folder, then ``read(folder)`` when given; the
    folder is removed after. Returns what ``read`` returns, else what ``write`` does.

    The folder is made in the system's temporary folder (``TMPDIR``). When that cannot be
    written (the folder cannot be made, or ``write`` fails with an ``OSError`` or
    safetensors' error: a small, full ``/tmp``) while :func:`replace_atomically` writes an
    output file, ``write`` runs once more in a hidden folder beside that file, on the disk
    that is to hold it. When no place works, an ``OSError`` (with the failure's errno) says
    ``what`` could not be written, where it was tried and why, and that ``TMPDIR`` moves it.
    Other errors from ``write``, and every error from ``read`` (a damaged file it reads back),
    propagate as they are.
    """
    places: list[Path | None] = [None]
    if _OUTPUT_FOLDER.get() is not None:
        places.append(_OUTPUT_FOLDER.get())
    tried = []
    number = None
    for place in places:
        where = tempfile.gettempdir() if place is None else place
        try:
            holder = tempfile.TemporaryDirectory(
                prefix=prefix if place is None else f".{prefix}",
                dir=place,
                ignore_cleanup_errors=True,  # a file still held open is not a failed write
            )
        except OSError as exc:
            number = _errno_of(exc) or number
            tried.append(f"in {str(where)!r}: {_reason(exc)}")
            continue
        with holder as folder:
            try:
                written = write(Path(folder))
            except Exception as exc:
                if not (isinstance(exc, OSError) or type(exc).__name__ == "SafetensorError"):
                    raise
                number = _errno_of(exc) or number
                tried.append(f"in {str(where)!r}: {_reason(exc)}")
                continue
            return written if read is None else read(Path(folder))
    raise OSError(
        number if number is not None else errno.EIO,
        f"cannot write {what} into a temporary folder ({'; '.join(tried)}); set the "
        "environment variable TMPDIR to a folder with room for it",
    )


def _errno_of(exc) -> int | None:
    """The errno of an ``OSError``, or the one safetensors quotes ("... (os error 28)")."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno
    found = re.search(r"\bos error (\d+)", str(exc))
    return int(found.group(1)) if found else None


def _reason(exc) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return " ".join(str(reason).split())


#: opening a file to read without blocking (a FIFO or a device would block ``open``; the
#: caller checks what it opened with ``os.fstat``)
READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_NEW_FILE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def dangling_link(folder) -> Path | None:
    """The symbolic link that ``folder``, or the deepest of its parents on the disk, is when
    its target does not exist (a folder removed, a disk not mounted): no folder can be made
    through it (``mkdir -p`` fails with "File exists"); ``None`` otherwise."""
    folder = Path(folder)
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if os.path.islink(folder) and not os.path.exists(folder):
        return folder
    return None


def broken_link_text(link: Path) -> str:
    """What is wrong with ``link``, a :func:`dangling_link`, for a message."""
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return (
        f"{str(link)!r} is a symbolic link to {target!r}, which does not exist (a folder "
        "removed or a disk not mounted): no folder can be made through it"
    )


def remove_empty_folders(folders) -> None:
    """Remove each of ``folders`` (deepest first, as :func:`_missing_folders` lists them)
    that is empty; the others stay as they are."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _short(name: str, limit: int = 200) -> str:
    """``name`` cut to at most ``limit`` bytes in the file system's encoding (whole
    characters), for a temporary file's name made from it."""
    name = name[:limit]  # a character is at least one byte
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


def new_file(folder, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """``(fd, path)`` of a new, empty file ``<prefix><random hex><suffix>`` in ``folder``,
    open for writing.

    As safe as ``tempfile.mkstemp`` (an unpredictable name, created exclusively and never
    through a link planted at it) but created as ``open()`` creates a file: mode ``0o666``
    less the process umask (``mkstemp``'s ``0o600`` would keep a shared cache's entries, or a
    report, from the users they are shared with).
    """
    for _ in range(100):
        path = Path(folder) / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            return os.open(path, _NEW_FILE_FLAGS, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no unused temporary file name in {str(folder)!r}")


def _naming(exc: OSError, prefix: str) -> OSError:
    """``exc`` reworded to start with ``prefix``, of the same class and with the same errno, so
    callers can still tell a ``PermissionError`` or a full disk (``errno.ENOSPC``) apart."""
    detail = exc.strerror or str(exc)
    if exc.filename is not None:
        detail += f": {str(exc.filename)!r}"
    try:
        new = type(exc)(f"{prefix}: {detail}")
    except Exception:  # an OSError subclass with another constructor
        new = OSError(f"{prefix}: {detail}")
    new.errno = exc.errno  # not strerror too: str() would then show only "[Errno n] ..."
    # and in the instance's dict, which pickling and copying carry (they rebuild an OSError
    # from its args alone, a one-item message here: the errno came back None from a joblib
    # worker); set back through the errno attribute when unpickled
    new.__dict__["errno"] = exc.errno
    return new
