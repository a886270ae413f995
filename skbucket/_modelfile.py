"""The model files ``skbucket fit`` writes: :func:`save_model` and :func:`load_model`.

A model file is a pickle: a small header (the file format and the versions of skbucket,
scikit-learn and the other libraries it was written with) and then the estimator, so that
:func:`load_model` reads the versions, and names a file of an incompatible version, before it
unpickles the estimator. The command line and :mod:`skbucket.io` (which names such a file
when it is given one) both read them here; the public names live on in
:mod:`skbucket.cli`, where they are documented.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ._files import replace_atomically
from ._frames import column_list
from ._warn import ignoring, user_stacklevel
from .tables import CLIError, _check_input

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
        The model file to write (parent folders are created). A name ending in ``.gz``,
        ``.bz2``, ``.xz`` or ``.lzma`` (``model.joblib.gz``) is compressed as a whole with
        gzip, bzip2, xz or lzma (the legacy ``.lzma`` format), as :func:`load_model` reads it
        (and as :func:`joblib.dump` does for such a name). A name whose suffix promises a
        format that is not written (``.zip``, ``.7z``, ``.tar``, ``.z``, ``.lz4``, ``.zst``,
        ...) is refused.
        A leading ``~`` is the home folder, as in pandas.
    target : str, default=None
        The column the estimator was fitted to predict, recorded in the header:
        ``skbucket predict``, ``evaluate`` and ``report`` take it as their ``--target``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    skbucket.io.PersistenceError
        When a captioner or embedder of ``estimator`` holds a cache store of your own, as
        :func:`skbucket.io.save` refuses it (it would be saved with what it holds); when the
        suffix of ``path`` names an archive or a compression that is not written.
    """
    return _save_model(estimator, path, target=target)


#: the settings of ``skbucket fit``'s config that a model file records for the commands that
#: use it later (``predict``, ``evaluate``, ``report``), with the values each may take
_COMMAND_SETTINGS = {"progress": (True, False, None)}


def _save_model(estimator, path, *, target=None, settings=None) -> Path:
    """:func:`save_model`, its header also recording ``settings`` (``{"progress": False}``,
    a config's keys of :data:`_COMMAND_SETTINGS`), which :func:`_saved_settings` reads."""
    from .io import PersistenceError, _refuse_stores_of_your_own, library_versions

    problem = _unwritten_format(path)
    if problem is not None:
        raise PersistenceError(f"cannot save the model to {str(path)!r}: {problem}")
    _refuse_stores_of_your_own(estimator)
    header = {"skbucket_model_file": MODEL_FILE_FORMAT, "versions": library_versions()}
    if target is not None:
        header["target"] = str(target)
    if settings:
        header["settings"] = dict(settings)
    return replace_atomically(
        path, lambda fh: _write_compressed(fh, Path(path).name, header, estimator), "model file"
    )


#: the suffixes of a model file written compressed as a whole, by the compressor they name
#: (those :func:`load_model` reads; a ``model.joblib.gz`` was written uncompressed); ``.lzma``
#: is the legacy format of ``lzma``/``xz --format=lzma``, as :func:`joblib.dump` writes it
_COMPRESSED_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma", ".lzma": "lzma-alone"}

#: suffixes of archives and compressions that a model file is not written in, by what they
#: promise: a ``model.joblib.zip`` was the plain pickle, which unzip refused
_UNWRITTEN_SUFFIXES = {
    ".zip": "a zip archive",
    ".7z": "a 7-Zip archive",
    ".rar": "a RAR archive",
    ".tar": "a tar archive",
    ".tgz": "a gzip-compressed tar archive",
    ".tbz2": "a bzip2-compressed tar archive",
    ".txz": "an xz-compressed tar archive",
    ".z": "zlib or compress(1) data",
    ".lz": "lzip data",
    ".lz4": "lz4 data",
    ".zst": "zstd data",
    ".br": "brotli data",
}


def _unwritten_format(path) -> str | None:
    """Why a model file cannot be written under the name of ``path``: its suffix promises an
    archive or a compression :func:`save_model` does not write (None: it can be)."""
    name = Path(path).name
    suffix = Path(name).suffix.lower()
    what = _UNWRITTEN_SUFFIXES.get(suffix)
    if what is None:
        return None
    stem = name[: -len(suffix)] or "model.joblib"
    return (
        f"a name ending in {Path(name).suffix} promises {what}, which a model file is not "
        "written as (it is one file, compressed as a whole when its name ends in .gz, .bz2, "
        f".xz or .lzma); name it e.g. {stem} or {stem}.gz"
    )


def _write_compressed(fh, name: str, header, estimator) -> None:
    """The model file into the binary file ``fh``, compressed as its ``name``'s suffix says
    (the gzip header names ``name``, not the temporary file); ``fh`` is left open."""
    module = _COMPRESSED_SUFFIXES.get(Path(name).suffix.lower())
    if module is None:
        _write_model_file(fh, header, estimator)
    elif module == "gzip":
        import gzip

        with gzip.GzipFile(filename=name[:-3], mode="wb", fileobj=fh) as packed:
            _write_model_file(packed, header, estimator)
    elif module == "bz2":
        import bz2

        with bz2.BZ2File(fh, mode="wb") as packed:
            _write_model_file(packed, header, estimator)
    else:
        import lzma

        kind = lzma.FORMAT_XZ if module == "lzma" else lzma.FORMAT_ALONE
        with lzma.LZMAFile(fh, mode="wb", format=kind) as packed:
            _write_model_file(packed, header, estimator)


def _write_model_file(fh, header, estimator) -> None:
    import pickle

    import joblib

    pickle.dump(header, fh, protocol=pickle.HIGHEST_PROTOCOL)
    joblib.dump(estimator, fh)


#: the most bytes (decompressed) that :func:`_saved_header` reads: a header is well under 1 KB,
#: and a file that is none (a pickle of the user's, one made to be large) is not read further
_HEADER_LIMIT = 1 << 20


def _saved_header(path) -> dict | None:
    """The header of a model file written by :func:`save_model` (``skbucket fit``), read
    from its first bytes (:data:`_HEADER_LIMIT`) without importing or running anything; None
    for any other file."""
    import io

    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
        with _opener(head)(path, "rb") as fh:
            # a pickle of 800 bytes can declare (and, compressed, hold) gigabytes of data,
            # which the unpickler would read before any class stops it
            header = _read_header(io.BytesIO(fh.read(_HEADER_LIMIT)))
    except Exception:
        return None
    if not (isinstance(header, dict) and isinstance(header.get("versions"), dict)):
        return None  # a dict of the user's that happens to use the key is no model file
    kind = header.get("skbucket_model_file")
    return header if isinstance(kind, int) and not isinstance(kind, bool) else None


def _saved_target(path) -> str | None:
    """The target column recorded in a model file's header by ``skbucket fit`` (None for a
    file without one: written before it was recorded, or by :func:`save_model` without it)."""
    target = (_saved_header(path) or {}).get("target")
    return target if isinstance(target, str) else None


def _saved_settings(path) -> dict:
    """The config settings recorded in a model file's header by ``skbucket fit`` for the later
    commands (:data:`_COMMAND_SETTINGS`), those of a value it may take: ``{}`` for a file that
    records none (written before they were recorded, by :func:`save_model`, or from a config
    without them)."""
    settings = (_saved_header(path) or {}).get("settings")
    if not isinstance(settings, dict):
        return {}
    return {
        key: value
        for key, values in _COMMAND_SETTINGS.items()
        if key in settings
        for value in [settings[key]]
        if any(value is allowed for allowed in values)
    }


def _read_header(fh):
    """A model file's header pickle: plain containers, text and numbers only (any other class,
    such as the estimator of a format-1 file, stops it: nothing is imported or run)."""
    import pickle

    class Plain(pickle.Unpickler):
        def find_class(self, module, name):
            raise _NotPlain(f"not a plain header ({module}.{name})")

    return Plain(fh).load()


class _NotPlain(Exception):
    """A first pickle that names a class: a format-1 file or a pickle of the user's, whole."""


def _broken(exc) -> bool:
    """Whether reading a pickle failed on damage or a cut (numpy's "EOF: reading array data"
    too; any OSError, and a KeyError of a memo cut off), not on what it names (a module that
    is not here) or its protocol."""
    from .io import _PICKLE_DAMAGE

    if isinstance(exc, ValueError) and "EOF" in str(exc):
        return True
    return isinstance(exc, (*_PICKLE_DAMAGE, OSError, KeyError))


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


def _warn_other_patch(path, written) -> None:
    """One :class:`~skbucket.io.VersionMismatchWarning` for a model file written by another
    patch release of scikit-learn (:func:`_check_versions` refused another major.minor):
    scikit-learn supports a pickle only in the version that wrote it, and says so for every
    class of the model (:func:`_said_once` leaves those out)."""
    from .io import VersionMismatchWarning, library_versions

    saved = written.get("scikit-learn") if isinstance(written, dict) else None
    installed = library_versions().get("scikit-learn")
    if saved is None or installed is None or str(saved) == str(installed):
        return
    warnings.warn(
        f"model file {path} was written with scikit-learn {saved}, this is scikit-learn "
        f"{installed}: scikit-learn does not promise that a model unpickled in another version "
        "predicts the same; check its predictions, or refit it with `skbucket fit`",
        VersionMismatchWarning,
        stacklevel=user_stacklevel(),
    )


def _said_once():
    """While a model file's estimator is unpickled: scikit-learn's
    ``InconsistentVersionWarning``, which it gives for every class of the model (pointing into
    its own code), is left out, as :func:`_warn_other_patch` names the versions once; every
    other warning (a class of the user's that warns as it is rebuilt, say) shows."""
    from sklearn.exceptions import InconsistentVersionWarning

    return ignoring(InconsistentVersionWarning)


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
        # a class or module that is not here may be the user's own code as well as a library's
        # other version (a GPU machine's torch beside a missing notebook function was blamed
        # on torch alone)
        own = (
            "; or, if what is missing is code of your own (a function or class defined in a "
            "notebook or script, or in a module not installed here), make it importable"
            if isinstance(exc, ImportError | AttributeError)
            else ""
        )
        return CLIError(
            f"cannot load model file {path}: {detail}; it was written with "
            f"{', '.join(changed)}: install those versions or refit it with `skbucket fit`{own}"
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
        as a whole with gzip, bzip2, xz or lzma (a leading ``~``: the home folder).

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

    Warns
    -----
    skbucket.io.VersionMismatchWarning
        Once, naming both versions, for a file written by another patch release of
        scikit-learn (in place of scikit-learn's ``InconsistentVersionWarning`` for every
        class of the model). Other warnings given while the estimator is unpickled show as
        they are.
    """
    import joblib

    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    if path.is_dir():
        raise CLIError(f"{path} is a folder, not a model file")
    _check_input(path, "model")
    from .io import _holds_pickle

    with open(path, "rb") as fh:  # a zip's first bytes (is_zipfile reads its end: a
        head = fh.read(4)  # pickle whose tail held PK\5\6 passed)
    if head == b"PK\x03\x04":  # skbucket.io.save's container or a skops file
        import zipfile

        from .io import _zip_kind, read_metadata

        try:
            with zipfile.ZipFile(path) as book:
                names = set(book.namelist())
        except Exception:  # damaged: io.load names the fault
            names = None
        kind = None if names is None else _zip_kind(names)
        if names is not None and kind is None:
            # a workbook (DATA and MODEL swapped) was called a skops file, which io.load denied
            if "[Content_Types].xml" in names:
                raise CLIError(
                    f"{path} is a zip file (a workbook or another Office file), not a model "
                    "file written by `skbucket fit`: is it the DATA? (skbucket predict MODEL "
                    "DATA ...)"
                )
            # a model file zipped to be sent (model.joblib.zip): what to do with it
            raise CLIError(
                f"{path} is a zip archive (of {column_list(sorted(names), limit=3)}), not a "
                "model file written by `skbucket fit`: if it holds one, unzip it and give "
                "that file (a model file compressed with gzip, bzip2, xz or lzma is read as it "
                "is); is it the DATA? (skbucket predict MODEL DATA ...)"
            )
        try:
            versions = read_metadata(path).get("versions") if kind == "container" else None
        except Exception:  # a damaged container: io.load names the fault
            versions = None
        if isinstance(versions, dict):
            # refused as a `skbucket fit` file of those versions is: the way round below
            # (io.load, then save_model) would stamp an old model with today's versions
            _check_versions(path, versions)
        elif kind == "skops":  # its versions are unknown, and a save here records ours
            raise CLIError(
                f"{path} is a plain skops file (no version record), not a model file of "
                "`skbucket fit`: where it was fitted, load it with skbucket.io.load and write "
                "it for the command line with skbucket.cli.save_model(model, path); or refit "
                "it with `skbucket fit`"
            )
        raise CLIError(
            f"{path} is a skops file or skbucket.io container (written by skbucket.io.save), "
            "not a model file of `skbucket fit`: load it in Python with skbucket.io.load, "
            "then write it for the command line with skbucket.cli.save_model(model, path)"
        )
    if not head:  # "it starts with b'': is it the DATA or the config file?" said nothing useful
        raise CLIError(
            f"{path} is empty (0 bytes), not a model file: an interrupted copy or a full disk? "
            "Copy it again or refit it with `skbucket fit`"
        )
    unread = {b"\x28\xb5\x2f\xfd": "zstd", b"\x04\x22\x4d\x18": "lz4"}.get(head)
    if unread is not None:  # joblib's other compressions, whose modules may be missing
        raise CLIError(
            f"{path} is compressed with {unread}, which the command line does not read: "
            "decompress it first (gzip, bzip2, xz and lzma files are read as they are)"
        )
    if not _holds_pickle(path, head):  # a CSV or a config given as MODEL: no unpickling
        raise CLIError(
            f"{path} is not a model file written by `skbucket fit` (a pickle); it starts "
            f"with {head!r}: is it the DATA or the config file?"
        )
    # a model file compressed as a whole (gzip, bzip2, xz, lzma): read through its decompressor
    header_error: Exception | None = None
    try:
        with _opener(head)(path, "rb") as fh:
            try:
                header = _read_header(fh)
            except Exception as exc:
                header = None  # no header: a format-1 file, or not a model file at all
                header_error = exc
            if isinstance(header, dict) and header.get("skbucket_model_file") == MODEL_FILE_FORMAT:
                _check_versions(path, header.get("versions"))
                try:
                    with _said_once():
                        estimator = joblib.load(fh)
                except Exception as exc:  # names the versions that differ
                    raise _cannot_load(path, exc, header.get("versions")) from exc
                _warn_other_patch(path, header.get("versions"))
                return _check_estimator(path, estimator)
    except OSError as exc:
        raise _cannot_load(path, exc) from exc
    # format 1: one joblib pickle holding the versions beside the estimator (for a file of
    # another format this reads its header, and the format check below names it)
    try:
        with _said_once():  # its versions are read with it: checked below, precisely
            envelope = joblib.load(path)
    except Exception as exc:
        if header_error is not None and _broken(header_error) and _broken(exc):
            # its first pickle, where the header is, breaks off too (a bz2 file cut anywhere in
            # its first block): "not a skbucket model file, or one written by an incompatible
            # version" said to refit a file that only needs copying again
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise CLIError(
                f"cannot load model file {path}: {detail}; the file ends early or is damaged "
                "from its first bytes (an interrupted copy or a full disk?): copy it again or "
                "refit it with `skbucket fit`"
            ) from exc
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
            "it compressed by a program other than gzip, bzip2, xz or lzma? Decompress it first"
        )
    if envelope["skbucket_model_file"] != 1:
        raise CLIError(
            f"{path} uses model file format {envelope['skbucket_model_file']}, this skbucket "
            f"reads format {MODEL_FILE_FORMAT}; refit it with `skbucket fit`"
        )
    _check_versions(path, envelope.get("versions"))
    _warn_other_patch(path, envelope.get("versions"))
    if "estimator" not in envelope:
        raise CLIError(f"{path}: the model file holds no estimator; refit it with `skbucket fit`")
    return _check_estimator(path, envelope["estimator"])


#: the first bytes of a file compressed with gzip, bzip2, xz and lzma (the legacy format, with
#: the properties byte every encoder writes by default and joblib looks for; ``lzma.open``
#: reads both of lzma's formats)
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zX": "lzma", b"\x5d\x00\x00": "lzma"}


def _opener(head: bytes):
    """The ``open`` that reads a file starting with ``head``: the standard library module's
    for a file compressed as a whole (gzip, bzip2, xz, lzma), else ``open``."""
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
