"""Writing an output file whole or not at all (model files, predictions, reports)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path


def replace_atomically(path, write, what: str) -> Path:
    """``write(tmp)`` to a temporary file beside ``path``, then rename it to ``path``.

    The folder is created when missing. The temporary name is one per process (two processes
    writing the same ``path`` do not mix their bytes). When anything fails (a full disk, an
    interrupt, an error inside ``write``) the temporary file is removed and ``path`` keeps its
    old content; an ``OSError``, including one creating the folder, is re-raised naming ``path``
    as the ``what`` it was to be ("model file", "report"). A file replaced keeps its
    permissions (a private ``0600`` report stays private); a symbolic link is written through
    to its target; a ``path`` that is a folder is an ``IsADirectoryError`` naming it.
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise ValueError(f"the {what} needs a file name; got {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write the {what} {str(path)!r}: it is a folder"
        )
    # a symbolic link is written through (its target gets the new content, the link stays)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        # a file replaced keeps its permissions (a file system without them: as before)
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # the folder was never made, or is no folder
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _naming(exc, f"cannot write the {what} {str(path)!r}") from exc
        raise
    return path


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
    return new
