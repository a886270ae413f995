"""Writing an output file whole or not at all (model files, predictions, reports)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def replace_atomically(path, write, what: str) -> Path:
    """``write(tmp)`` to a temporary file beside ``path``, then rename it to ``path``.

    The folder is created when missing. The temporary name is one per process (two processes
    writing the same ``path`` do not mix their bytes). When anything fails (a full disk, an
    interrupt, an error inside ``write``) the temporary file is removed and ``path`` keeps its
    old content; an ``OSError``, including one creating the folder, is re-raised naming ``path``
    as the ``what`` it was to be ("model file", "report").
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
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
