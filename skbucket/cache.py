"""Content-addressed result cache: in memory (LRU) and on disk (atomic, multi-process safe).

This module has no torch import. Model wrappers use it through skbucket's shared batching
helper, which looks every input up before running a model and stores every finished batch
right away.

.. rubric:: Recipe for an estimator

1. Build one key per input with :func:`hash_key` from *everything* that changes the result:
   the model fingerprint (a hash of the checkpoint's files), the settings (pooling,
   ``max_length``, backend, ...) and the input itself (a text, or the bytes of an image)::

       prefix = hash_key("DistilBertEmbedder", fingerprint, pooling, max_length)
       key_fn = prefixed_hash_key(prefix)   # = lambda text: hash_key(prefix, text)

2. Turn the estimator's ``cache`` parameter into a handle with :func:`open_cache` *at call
   time* (never store the handle in ``__init__``; if you memoise it, use an attribute whose
   name starts with ``_rt_`` so pickling drops it)::

       store = open_cache(self.cache)   # None -> memory, path -> memory + disk, False -> off

3. Pass ``cache=store, key_fn=key_fn`` to ``batched_map``. Values must be numpy arrays
   (numeric dtypes), ``str`` or ``bytes``; arrays come back read-only.

.. rubric:: What ``cache`` means (the ``cache`` parameter of every skbucket model wrapper)

``None`` (default)
    A process-wide in-memory LRU layer shared by every estimator in the process, so clones
    in a cross-validation and unpickled copies reuse results. Bounded by bytes.
``str`` or ``os.PathLike``
    The same memory layer in front of a :class:`DiskCache` in that folder (created if needed).
    Several processes (or Dask workers) may share the folder.
``False``
    No caching at all (every call runs the model).
an object with ``get_many`` / ``set_many``
    Used (for example a :class:`MemoryCache` of your own, or an adapter to a shared store;
    :class:`CacheLike` says what the two methods take and return, and what skbucket does
    with a store of your own: its failures cost only the caching, the values it gives back
    are checked). A store is a
    handle: :func:`sklearn.base.clone` of an estimator keeps the same store object, so
    cross-validation folds and grid points write to it as they share the default one (and a
    store holding a lock or a connection is never copied); ``copy.copy`` and
    ``copy.deepcopy`` of a :class:`MemoryCache` give the same store too.

.. rubric:: Disk format

One file per entry, ``<root>/<key[:2]>/<key>.skbc``: an 8-byte magic, a little-endian
``uint32`` header length, a JSON header (the key, the value kind, dtype and shape), the raw
payload, and a 32-byte SHA-256 of everything before it. A file is written to a temporary file
in the same folder and moved in place with :func:`os.replace`, so a reader sees either no file
or a complete one; a killed writer leaves at most a ``.tmp-*`` file that is never read (and
that :meth:`DiskCache.remove_stale_temp_files` deletes). A file that fails to parse or to match
its checksum or its key is treated as a miss, removed, and logged as a warning: a damaged or
torn entry is never returned (nor counted: ``in``, ``keys()`` and ``len()`` read and check each
entry as a read does, and remove nothing). So is anything at an entry's path that no writer
makes (a symbolic link, a FIFO, a device, a file over :data:`MAX_ENTRY_BYTES`): a miss, logged
and left alone (a value whose file would be larger is not written: a :class:`CacheWarning` says
so); and so is every entry of a shard folder that is a symbolic link (to a folder elsewhere, or
back into the cache's), which is not written through either (a :class:`CacheWarning` names
it): the cache reads, lists and writes inside its own folder only. The magic's last byte is the format's version: an entry file of another version (a newer
skbucket's, in a folder it shares) is a miss for this one and is left as it is, neither removed
nor written over (its result is computed but not stored; a :class:`CacheWarning` says so once
per folder and process). The checksum is not a signature: anyone who can write into the folder
can write a valid entry for a key they compute, so a shared cache folder must be writable only
by people you trust (as the code they run). Two processes writing the same key write the same
bytes; the last atomic replace wins, which is harmless. Entry files get the mode any new file
gets (``0o666`` less the umask), so users who share a cache folder read each other's entries.
In a folder with the sticky bit (``chmod 1777``, as ``/tmp``) only an entry's owner may replace
or delete it: another user's damaged entry there is a miss computed again at every run, which a
:class:`CacheWarning` names once per folder and process (until its owner deletes it). A folder
that cannot be written (no permission, a full disk, a path from another machine) costs only the
storing, and one whose entries cannot be read (another user's folder) only the reuse: the
results are returned as computed, and a :class:`CacheWarning` says so once per folder, kind
of failure (its error: no permission, a full disk; and where: the folder, a shard, an entry)
and process (not once per batch or entry). A shard folder ``<key[:2]>`` is created with the
permission bits of the cache folder itself, so a folder made writable for a group (say
``chmod 2775`` on a shared group's folder) stays writable for it below; shard folders made
before that change keep theirs (``chmod -R`` them too). A cache folder that does not exist yet
is made inside the nearest existing one: with that folder's bits when it is writable by its
group and not by everyone (the pipeline's ``captions/`` and ``embeddings/`` inside a shared
``chmod 2775`` folder), else as any new folder is (``0o777`` less the umask).

.. rubric:: Size and clearing

A disk cache is never pruned: it grows by one entry per distinct input, model and setting
(a 384-float embedding is a 1.7 KB file, a caption a few hundred bytes; 15,000 posts'
embeddings about 26 MB of files, 60 MB on a file system with 4 KB blocks). Entries are
independent files, so deleting the folder, or any of its files (entries written over 30 days
ago: ``find CACHE -name '*.skbc' -mtime +30 -delete``), is safe at any time: a deleted entry
is a miss that is computed again. The memory layer is bounded by bytes;
``process_memory_cache().clear()`` empties it.

.. rubric:: What a key does not hold

The versions of skbucket, transformers and torch are not part of a key: captions and
embeddings made before an upgrade are served after it (an upgrade that changes nothing in a
model's outputs costs no recomputation). An upgrade of transformers or torch that does
change them (another tokenisation, another generation default) leaves the old entries in
use until the cache folder (or ``process_memory_cache()``) is cleared; a fitted model's
later steps learnt from the old ones anyway, so clear the cache when you refit after such an
upgrade. A change of skbucket's own that alters a result changes its keys (see the release
history).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import json
import logging
import math
import numbers
import os
import re
import stat
import struct
import sys
import threading
import time
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ._files import (
    READ_FLAGS,
    _folder_to_disk,
    _to_disk,
    broken_link_text,
    dangling_link,
    new_file,
)
from ._warn import user_stacklevel

__all__ = [
    "CacheError",
    "CacheWarning",
    "CacheLike",
    "DiskCache",
    "MemoryCache",
    "TieredCache",
    "hash_key",
    "open_cache",
    "prefixed_hash_key",
    "process_memory_cache",
    "MAX_ENTRY_BYTES",
]

logger = logging.getLogger(__name__)

_MAGIC = b"SKBCACH1"
#: what DiskCache takes for a key (hash_key gives 64 of these digits)
_HEX_KEY = re.compile(r"[0-9a-f]{3,}")
_SUFFIX = ".skbc"
_TMP_PREFIX = ".tmp-"
_DIGEST = 32


class CacheError(ValueError):
    """A value that cannot be cached, or a ``cache`` parameter that is not understood."""


# --------------------------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------------------------
class CacheWarning(UserWarning):
    """A disk cache folder cannot be written: results are computed as usual but not stored.

    Issued once per folder, kind of failure and process, at the first such failure there.
    """


#: the (folder, kind of problem) pairs warned about in this process, a set for each family
#: of failure: the folder cannot be written, read, one entry's path (or shard) written, or
#: it holds another format's entries
_UNWRITABLE_WARNED: set[tuple[str, str]] = set()
_UNREADABLE_WARNED: set[tuple[str, str]] = set()
_ENTRY_UNWRITABLE_WARNED: set[tuple[str, str]] = set()
_OTHER_FORMAT_WARNED: set[tuple[str, str]] = set()
_UNWRITABLE_LOCK = threading.Lock()


def _first_time(warned: set[tuple[str, str]], folder: str, kind: str = "") -> bool:
    """Whether ``(folder, kind)`` is not yet in ``warned`` (one of the sets above), which it
    is added to: a :class:`CacheWarning` is said once per folder, process and kind of
    problem, so a second, different one in the same folder (a full disk after a denied
    shard, a blocked shard after a blocked entry) is said too."""
    with _UNWRITABLE_LOCK:
        if (folder, kind) in warned:
            return False
        warned.add((folder, kind))
        return True


def _warned_folder(path: Path) -> str:
    """The folder ``path`` names now, for :func:`_first_time`: a relative path is the folder
    it names in the current working folder (as the cache reads and writes it), so after
    ``os.chdir`` the same ``"cache"`` is another folder, said about too (it was taken for
    the one already said about, and its warning lost), and ``cache`` and ``./cache`` are
    one. Its links are followed (``os.path.realpath``): ``link/../cache`` is the folder
    beside the link's target, not ``cache`` here, which ``abspath`` took it for (a lexical
    ``..``), losing that folder's warning."""
    return os.path.realpath(path)


def _problem(exc: OSError, where: str) -> str:
    """The kind of problem an ``OSError`` at ``where`` (the folder, a shard or an entry) is,
    for :func:`_first_time`: its errno's name (``ENOSPC``, ``EACCES``, ...), or its text."""
    name = errno.errorcode.get(exc.errno, "") if isinstance(exc.errno, int) else ""
    return f"{where}:{name or type(exc).__name__}"


def _encode(part: Any, out: list[bytes]) -> None:
    """Append a canonical, type-tagged, length-prefixed encoding of ``part`` to ``out``."""

    def blob(tag: bytes, data: bytes) -> None:
        out.append(tag + struct.pack("<Q", len(data)) + data)

    if part is None:
        out.append(b"N")
    elif isinstance(part, bool | np.bool_):
        out.append(b"T" if part else b"F")
    elif isinstance(part, str):
        blob(b"s", part.encode("utf-8", "surrogatepass"))
    elif isinstance(part, bytes | bytearray | memoryview):
        blob(b"b", bytes(part))
    elif isinstance(part, int | np.integer):
        blob(b"i", str(int(part)).encode())
    elif isinstance(part, float | np.floating):
        blob(b"f", repr(float(part)).encode())
    elif isinstance(part, os.PathLike):
        blob(b"p", os.fspath(part).encode("utf-8", "surrogatepass"))
    elif isinstance(part, np.ndarray):
        if part.dtype == object:
            raise CacheError("hash_key cannot hash object arrays; pass their elements instead")
        arr = np.ascontiguousarray(part)
        blob(b"a", f"{arr.dtype.str}{arr.shape}".encode() + arr.tobytes())
    elif isinstance(part, tuple | list):
        out.append(b"(" + struct.pack("<Q", len(part)))
        for item in part:
            _encode(item, out)
        out.append(b")")
    elif isinstance(part, Mapping):
        items = []
        for k, v in part.items():
            kb: list[bytes] = []
            _encode(k, kb)
            items.append((b"".join(kb), v))
        items.sort(key=lambda kv: kv[0])
        out.append(b"{" + struct.pack("<Q", len(items)))
        for kb_, v in items:
            out.append(kb_)
            _encode(v, out)
        out.append(b"}")
    else:
        raise CacheError(
            f"hash_key cannot hash a {type(part).__name__!r}; use str, bytes, numbers, None, "
            "tuples/lists, dicts or numpy arrays"
        )


def hash_key(*parts: Any) -> str:
    """Hex SHA-256 of a canonical serialisation of ``parts``.

    Strings, bytes, ints, floats, bools, ``None``, path-likes, numeric numpy arrays and
    (nested) tuples, lists and dicts are accepted. Every part is type-tagged and
    length-prefixed, so ``hash_key("ab", "c") != hash_key("a", "bc")`` and
    ``hash_key(1) != hash_key("1")``; dict order does not matter.

    Parameters
    ----------
    *parts : object
        What determines the cached value (model fingerprint, settings, input).

    Returns
    -------
    key : str
        64 lower-case hex characters.

    Examples
    --------
    >>> from skbucket.cache import hash_key
    >>> len(hash_key("model", {"pooling": "mean"}, "some text"))
    64
    >>> hash_key("ab", "c") == hash_key("a", "bc")
    False
    >>> hash_key({"a": 1, "b": 2}) == hash_key({"b": 2, "a": 1})
    True
    """
    out: list[bytes] = []
    _encode(parts, out)
    return hashlib.sha256(b"".join(out)).hexdigest()


def prefixed_hash_key(prefix: Any) -> Callable[[Any], str]:
    """A function ``key(part)`` equal to ``hash_key(prefix, part)`` that does not hash
    ``prefix`` again for each part.

    The serialisation of ``prefix`` is hashed once, and each key continues from a copy of
    that hash state: a model wrapper makes one key per text with the same prefix (its model
    and settings), and re-encoding and re-hashing the prefix was most of a key's cost.

    Parameters
    ----------
    prefix : object
        Anything :func:`hash_key` takes (usually a :func:`hash_key` of the model and settings).

    Returns
    -------
    key : callable
        ``key(part) -> str``, 64 lower-case hex characters, equal to ``hash_key(prefix, part)``.

    Examples
    --------
    >>> from skbucket.cache import hash_key, prefixed_hash_key
    >>> key = prefixed_hash_key(hash_key("model", 128))
    >>> key("some text") == hash_key(hash_key("model", 128), "some text")
    True
    """
    head: list[bytes] = []
    _encode(prefix, head)
    # hash_key((prefix, part)) hashes "(" + count 2 + prefix + part + ")"
    base = hashlib.sha256(b"(" + struct.pack("<Q", 2) + b"".join(head))

    def key(part: Any) -> str:
        state = base.copy()
        if type(part) is str:  # the usual part, encoded as _encode encodes a str
            data = part.encode("utf-8", "surrogatepass")
            state.update(b"s" + struct.pack("<Q", len(data)) + data + b")")
        else:
            out: list[bytes] = []
            _encode(part, out)
            out.append(b")")
            state.update(b"".join(out))
        return state.hexdigest()

    return key


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def _check_value(value: Any) -> Any:
    """Return a cacheable (immutable) version of ``value`` or raise :class:`CacheError`."""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise CacheError(f"only numeric numpy arrays can be cached, got dtype {value.dtype}")
        arr = np.array(value, copy=True, order="C")
        arr.flags.writeable = False
        return arr
    raise CacheError(
        f"cannot cache a value of type {type(value).__name__!r}; use a numpy array, str or bytes"
    )


#: What an entry of :class:`MemoryCache` costs beyond its key and value objects: its slot in
#: the dict, its link in the OrderedDict and its recorded size (about 130 to 240 bytes
#: measured with tracemalloc, CPython 3.11: the dicts' tables grow by powers of two, so the
#: cost an entry steps with the number of entries).
_ENTRY_OVERHEAD = 144


def _nbytes(key: str, value: Any) -> int:
    """Memory an entry holds: its key and value objects (``sys.getsizeof``: a str's own
    encoding, 1, 2 or 4 bytes a character; an array's data, which a cached array owns) and
    the bookkeeping. Counting a text as its length plus 64 and its key as nothing undercounted
    short captions about threefold."""
    return sys.getsizeof(key) + sys.getsizeof(value) + _ENTRY_OVERHEAD


def _serialise(key: str, value: Any) -> bytes:
    if isinstance(value, str):
        header = {"key": key, "kind": "str"}
        payload = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, bytes):
        header = {"key": key, "kind": "bytes"}
        payload = value
    else:
        header = {"key": key, "kind": "ndarray", "dtype": value.dtype.str, "shape": value.shape}
        payload = value.tobytes()
    hb = json.dumps(header, separators=(",", ":")).encode()
    body = _MAGIC + struct.pack("<I", len(hb)) + hb + payload
    return body + hashlib.sha256(body).digest()


class _OtherFormat(ValueError):
    """An entry file of another version of the cache format (a newer skbucket's): no damage,
    but nothing this version can read; left as it is."""

    def __init__(self, magic: bytes) -> None:
        super().__init__(
            f"an entry of another version of skbucket's cache format (it starts {magic!r}; "
            f"this skbucket reads and writes {_MAGIC!r})"
        )
        self.magic = magic


def _other_format(head: bytes) -> bytes | None:
    """The magic of another version of the format that ``head`` (a file's first bytes)
    starts with: :data:`_MAGIC` but for its last byte, the version; ``None`` otherwise."""
    magic = head[: len(_MAGIC)]
    if len(magic) == len(_MAGIC) and magic[:-1] == _MAGIC[:-1] and magic != _MAGIC:
        return magic
    return None


def _deserialise(key: str, data: bytes) -> Any:
    """Parse one file's bytes; raise :class:`_OtherFormat` for an entry of another version
    of the format, ``ValueError`` on any inconsistency."""
    other = _other_format(data)
    if other is not None:
        raise _OtherFormat(other)
    if len(data) < len(_MAGIC) + 4 + _DIGEST or not data.startswith(_MAGIC):
        raise ValueError("bad magic or truncated file")
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.sha256(body).digest() != digest:
        raise ValueError("checksum mismatch")
    (hlen,) = struct.unpack_from("<I", body, len(_MAGIC))
    start = len(_MAGIC) + 4
    header = json.loads(body[start : start + hlen])
    payload = body[start + hlen :]
    if header.get("key") != key:
        raise ValueError(f"file holds key {header.get('key')!r}")
    kind = header.get("kind")
    if kind == "str":
        return payload.decode("utf-8", "surrogatepass")
    if kind == "bytes":
        return bytes(payload)
    if kind == "ndarray":
        dtype = np.dtype(header["dtype"])
        shape = tuple(header["shape"])
        if dtype.itemsize * math.prod(shape) != len(payload):
            raise ValueError("payload size does not match shape")
        arr = np.frombuffer(payload, dtype=dtype).reshape(shape).copy()
        arr.flags.writeable = False
        return arr
    raise ValueError(f"unknown value kind {kind!r}")


# --------------------------------------------------------------------------------------------
# stores
# --------------------------------------------------------------------------------------------
@runtime_checkable
class CacheLike(Protocol):
    """The small interface every cache layer implements.

    ``get_many(keys)`` returns a dict of the keys it holds, each with the value that was given
    to ``set_many``; a key it lacks is left out (or, as a Redis-style ``mget`` gives it, maps
    to ``None``: skbucket reads that as a miss). ``set_many(mapping)`` stores each value: a
    numeric numpy array, a ``str`` or ``bytes``.

    What skbucket hands a store of your own, and what it does with it:

    - values: :class:`~skbucket.embedding.DistilBertEmbedder` stores 1-D float32 arrays of
      ``hidden_size_`` values, :class:`~skbucket.captioning.Blip2Captioner` captions as
      ``str``; a value given back that is not one (a vector read back from bytes without its
      dtype, a caption as ``bytes``) is a :class:`CacheError` naming the store, not a result;
    - keys are ``str`` (a store must give them back as ``str``, not ``bytes``);
    - ``set_many`` gets a mapping of its own, which it may change;
    - a ``get_many`` or ``set_many`` that raises (a server gone, and a bug of the store's
      own code alike: read the warning) costs only the caching: a :class:`CacheWarning`
      naming the store and the error, once per call of the estimator, and the values are
      computed (a failed ``get_many`` reads as a store holding none of the keys) and
      returned;
    - :func:`sklearn.base.clone` keeps the same store (the folds of a cross-validation run
      in this process write to it; with ``n_jobs`` > 1 each worker process gets a pickled
      copy, so only a store that reaches a server shares their results), and
      :func:`skbucket.io.save` refuses a model holding one, which would be saved with what
      it holds.

    Examples
    --------
    A store that keeps bytes (as a Redis client does) must give each value back as it was
    given: ``np.save`` keeps a vector's dtype and shape, which ``tobytes`` alone loses.

    >>> import io
    >>> import numpy as np
    >>> class BytesStore:
    ...     def __init__(self):
    ...         self.held = {}
    ...     def get_many(self, keys):
    ...         return {k: self._load(self.held[k]) for k in keys if k in self.held}
    ...     def set_many(self, mapping):
    ...         for key, value in mapping.items():
    ...             buf = io.BytesIO()
    ...             np.save(buf, np.asarray(value), allow_pickle=False)  # a str too
    ...             self.held[key] = buf.getvalue()
    ...     @staticmethod
    ...     def _load(raw):
    ...         value = np.load(io.BytesIO(raw), allow_pickle=False)
    ...         return str(value) if value.dtype.kind == "U" else value
    >>> store = BytesStore()
    >>> store.set_many({"a": np.arange(3, dtype=np.float32), "b": "a caption"})
    >>> got = store.get_many(["a", "b", "c"])
    >>> got["a"].dtype, got["a"].shape, got["b"], "c" in got
    (dtype('float32'), (3,), 'a caption', False)
    >>> isinstance(store, CacheLike)   # DistilBertEmbedder(cache=store) takes it
    True
    """

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values held for ``keys`` (a key not held is left out, or maps to ``None``).

        Parameters
        ----------
        keys : iterable of str
            Cache keys.

        Returns
        -------
        dict
            The keys held, each with its value.
        """
        ...

    def set_many(self, mapping: Mapping[str, Any]) -> None:
        """Store each value of ``mapping`` under its key.

        Parameters
        ----------
        mapping : mapping of str to value
            Keys and their values: numeric numpy arrays, ``str`` or ``bytes``.
        """
        ...


def found_in(store: CacheLike, keys: list[str]) -> dict[str, Any]:
    """The hits of ``store.get_many(keys)``: a key mapped to ``None`` is a miss and a key not
    asked for is dropped, so a store written to return ``None`` for what it lacks is not read
    as holding ``None``; anything but a mapping is a :class:`CacheError` naming the store."""
    got = store.get_many(keys)
    if not isinstance(got, Mapping):
        name = type(store.store if isinstance(store, _UserStore) else store).__name__
        raise CacheError(
            f"{name}.get_many must return a dict of the keys it holds, got {type(got).__name__}"
        )
    wanted = set(keys)
    return {key: value for key, value in got.items() if value is not None and key in wanted}


class _UserStore:
    """A cache store of the user's own (an object with ``get_many``/``set_many``) as one call
    of an estimator uses it (:func:`open_cache`; also as a layer of a :class:`TieredCache`).

    A store that fails (a Redis server gone, a timeout, a ``KeyError`` of an adapter that
    reads every key asked for) costs only the caching, as a disk that cannot be written does:
    a failed ``get_many`` is read as a cache with none of the keys, a failed ``set_many`` leaves
    those results computed and returned but not stored, each said once per call with a
    :class:`CacheWarning` naming the store (the exception ended the transform, and the results
    not yet stored were lost). ``set_many`` gets a mapping of its own, which the store may
    change (serialise in place, drain). Keys given back that are not ``str`` (the ``bytes``
    keys of a Redis client) are said once: such a store never hits. ``check(value)`` (from
    the estimator: what it stores) says what is wrong with a value given back (``None``:
    nothing): such a value is a :class:`CacheError` naming the store (a vector that lost its
    dtype on its way through bytes, a caption given back as bytes), not a result.
    skbucket's own stores are not checked: they give back what they were given.
    """

    def __init__(self, store: Any, check: Callable[[Any], str | None] | None = None) -> None:
        self.store = store
        self.check = check
        self.unwritten = 0
        self._said: set[str] = set()

    def _say(self, what: str, text: str) -> None:
        if what not in self._said:
            self._said.add(what)
            warnings.warn(
                f"cache store {type(self.store).__name__}: {text}",
                CacheWarning,
                stacklevel=user_stacklevel(),
            )

    def get_many(self, keys: Iterable[str]) -> Any:
        keys = list(keys)
        try:
            got = self.store.get_many(keys)
        except MemoryError:
            raise
        except Exception as exc:
            self._say(
                "get",
                f"get_many failed ({type(exc).__name__}: {exc}); the values are computed as "
                "if it held none of them",
            )
            return {}
        if not isinstance(got, Mapping):
            return got  # found_in names it
        odd = next((key for key in got if not isinstance(key, str)), None)
        if odd is not None:
            self._say(
                "keys",
                f"get_many gave back a key that is not a str ({odd!r}; skbucket's keys are "
                "str, and a store must give them back as they were asked for): it never hits",
            )
        if self.check is not None:
            wanted = set(keys)
            for key, value in got.items():
                problem = None if value is None or key not in wanted else self.check(value)
                if problem is not None:
                    raise CacheError(
                        f"{type(self.store).__name__}.get_many gave back {problem}: a store "
                        "must give back each value as set_many was given it (a numpy array "
                        "with its dtype and shape, a str as a str); fix the store (clearing "
                        "what it holds helps only with values another program wrote there: "
                        "the store gives back what it is given wrongly again)"
                    )
        return got

    def __contains__(self, key: object) -> bool:
        if getattr(type(self.store), "__contains__", None) is None:
            return False  # asked of every memory hit by a TieredCache: written again
        try:
            return bool(key in self.store)
        except MemoryError:
            raise
        except Exception:  # said by get_many or set_many if the store is down
            return False

    def lacking(self, keys: Iterable[str]) -> list[str]:
        """The ``keys`` the store lacks, as its own ``lacking`` or ``in`` says (all of them
        when it has neither): what a :class:`TieredCache` writes to it after a faster hit."""
        keys = list(keys)
        own = getattr(self.store, "lacking", None)
        if own is not None:
            try:
                return list(own(keys))
            except MemoryError:
                raise
            except Exception:
                return keys
        return [key for key in keys if key not in self]

    def set_many(self, mapping: Mapping[str, Any]) -> None:
        try:
            self.store.set_many(dict(mapping))
        except MemoryError:
            raise
        except Exception as exc:
            self.unwritten += len(mapping)
            self._say(
                "set",
                f"set_many failed ({type(exc).__name__}: {exc}); the results are returned "
                "but not stored (a rerun computes them again)",
            )


#: every live MemoryCache, whose locks a forked child frees (:func:`_free_locks_in_child`)
_MEMORY_CACHES: weakref.WeakSet = weakref.WeakSet()


def _limit(name: str, limit):
    """A MemoryCache limit: None, or a whole number >= 0 (``1e9`` is taken as 10**9, as it
    was before limits were checked: models saved with one still load); a negative limit held
    nothing, quietly, and a str failed at the first store naming nothing."""
    if limit is None:
        return None
    whole = isinstance(limit, numbers.Integral) or (
        isinstance(limit, numbers.Real)
        and math.isfinite(limit)
        # int() takes a Real by its __trunc__, which typeshed types as no int
        and limit == int(limit)  # type: ignore[call-overload]
    )
    if isinstance(limit, bool | np.bool_) or not whole or limit < 0:
        raise ValueError(
            f"MemoryCache: {name} must be None (no limit) or a whole number >= 0; got {limit!r}"
        )
    return limit if isinstance(limit, numbers.Integral) else int(limit)


class MemoryCache:
    """Thread-safe in-memory LRU cache bounded by item count and bytes.

    Parameters
    ----------
    max_items : int or None, default=None
        Most entries kept; ``None`` means no count limit.
    max_bytes : int or None, default=512 MiB
        Most memory kept (approximate: the keys and values, as ``sys.getsizeof`` counts them,
        and about 144 bytes of bookkeeping an entry); ``None`` means no byte limit. Either
        limit is a whole number >= 0 (0 holds nothing; ``1e9`` is read as ``10**9``) or
        None; anything else is a ``ValueError``.

    Notes
    -----
    A handle to one store: ``copy.deepcopy`` (so :func:`sklearn.base.clone` of an estimator
    given ``cache=MemoryCache()``) returns the same cache, so cross-validation folds share
    it; pickling gives an empty cache with the same limits (contents stay in the process).

    Examples
    --------
    >>> import numpy as np
    >>> from skbucket.cache import MemoryCache
    >>> mem = MemoryCache(max_items=2)
    >>> mem.set_many({"a": np.zeros(3, dtype=np.float32), "b": "caption", "c": b"raw"})
    >>> len(mem), "a" in mem, sorted(mem.get_many(["a", "b", "c"]))
    (2, False, ['b', 'c'])
    """

    def __init__(self, max_items: int | None = None, max_bytes: int | None = 512 * 2**20):
        self.max_items = _limit("max_items", max_items)
        self.max_bytes = _limit("max_bytes", max_bytes)
        self._data: OrderedDict[str, Any] = OrderedDict()
        # each entry's size as counted when it went in, taken off as such when it goes: a
        # size counted again could differ (CPython keeps a UTF-8 copy inside a non-ASCII str
        # once pyarrow or polars has read it), and the total drifted below what was held
        self._sizes: dict[str, int] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        _MEMORY_CACHES.add(self)  # a forked child gets its lock free (_free_locks_in_child)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values held for ``keys``, each now the most recently used.

        Parameters
        ----------
        keys : iterable of str
            Cache keys.

        Returns
        -------
        dict
            The keys held, each with its value; a key not held is left out.
        """
        found = {}
        with self._lock:
            for key in keys:
                if key in self._data:
                    self._data.move_to_end(key)
                    found[key] = self._data[key]
        return found

    def set_many(self, mapping: Mapping[str, Any]) -> None:
        """Store each value under its key, then drop the least recently used entries past
        ``max_items`` or ``max_bytes``.

        Parameters
        ----------
        mapping : mapping of str to value
            Keys and their values: numeric numpy arrays (stored read-only copies), ``str``
            or ``bytes``; any other value raises :class:`CacheError` before anything is
            stored.
        """
        checked = {key: _check_value(value) for key, value in mapping.items()}
        with self._lock:
            for key, value in checked.items():
                if self._data.pop(key, None) is not None:
                    self._bytes -= self._sizes.pop(key)
                self._data[key] = value
                self._sizes[key] = size = _nbytes(key, value)
                self._bytes += size
            while self._data and (
                (self.max_items is not None and len(self._data) > self.max_items)
                or (self.max_bytes is not None and self._bytes > self.max_bytes)
            ):
                dropped, _ = self._data.popitem(last=False)
                self._bytes -= self._sizes.pop(dropped)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self._bytes = 0

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"MemoryCache(max_items={self.max_items}, max_bytes={self.max_bytes})"

    def __reduce__(self):  # a handle pickles as an empty cache with the same limits
        return (type(self), (self.max_items, self.max_bytes))

    def __deepcopy__(self, memo):
        # a handle, not a value: clones of an estimator (sklearn.base.clone deep-copies
        # non-estimator params) must keep sharing this store, as they share the default one
        return self

    def __copy__(self):  # the same handle, as deepcopy gives (__reduce__ made an empty one)
        return self


class DiskCache:
    """One file per entry in a sharded folder; atomic writes; safe for several processes.

    Parameters
    ----------
    path : str or os.PathLike
        Folder of the cache; created (with parents) on first write.
    fsync : bool, default=False
        Call ``os.fsync`` on every file before the atomic rename, and on its folder after it
        (so the entry's name is on disk too). Only needed to survive a power loss or an OS
        crash; a killed *process* never leaves a partial entry either way.
        On a file system that cannot sync a file (``EINVAL``, ``ENOTSUP``) entries are
        written without it; a failed sync (``EIO``, ``ENOSPC``) is a failed write.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skbucket.cache import DiskCache, hash_key
    >>> disk = DiskCache(tempfile.mkdtemp())
    >>> key = hash_key("my-model", "a text")
    >>> disk.set_many({key: np.arange(3, dtype=np.float32)})
    >>> disk.get_many([key, hash_key("missing")])[key]
    array([0., 1., 2.], dtype=float32)
    >>> len(disk), key in disk
    (1, True)
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False):
        self.path = Path(path).expanduser()
        self.fsync = fsync
        self.unwritten = 0  # entries set_many could not store (a full disk, no permission)
        # os.path's tests say False where a stat fails (no permission on a folder above:
        # Path.exists raises PermissionError on Python 3.11-3.13); the writes then warn
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise CacheError(f"cache path {str(self.path)!r} exists and is not a folder")

    @staticmethod
    def _is_key(key: str) -> bool:
        return _HEX_KEY.fullmatch(key) is not None

    def _file(self, key: str) -> Path:
        if not self._is_key(key):
            raise CacheError(f"cache keys must be lower-case hex strings (hash_key), got {key!r}")
        return self.path / key[:2] / (key + _SUFFIX)

    def _read(self, key: str) -> Any:
        file = self._file(key)
        try:
            data = _read_entry_file(file)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except _NotAnEntry as exc:  # a link, a FIFO, a device: a miss, left where it is
            logger.warning("skbucket cache: ignoring %s (%s)", file, exc)
            return None
        except OSError as exc:  # unreadable (permissions, I/O error): a miss, never a value
            what = f"{file} cannot be read"
            self._warn_once(_UNREADABLE_WARNED, what, exc, "read", "reused from there")
            return None
        try:
            return _deserialise(key, data)
        except MemoryError:  # this process's want, not the entry's damage: the entry is kept
            raise
        except _OtherFormat as exc:  # a newer skbucket's entry: a miss, left where it is
            self._warn_other_format(file, exc)
            return None
        except Exception as exc:  # any parse failure is a miss, never a value
            done, left = "dropping", ""
            try:
                file.unlink()
            except FileNotFoundError:  # removed by another reader meanwhile
                pass
            except OSError as kept:  # another user's in a sticky folder: it stays
                done, left = "ignoring", f"; it cannot be removed: {kept.strerror or kept}"
            logger.warning(
                "skbucket cache: %s unreadable entry %s (%s: %s)%s",
                done,
                file,
                type(exc).__name__,
                exc,
                left,
            )
            with _ON_DISK_LOCK:
                _ON_DISK.get(os.path.abspath(self.path), set()).discard(_short_key(key))
            return None

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values on disk for ``keys``. An entry that cannot be read (a damaged file, no
        permission) is a miss, never a wrong value: a damaged one is dropped, and an
        unreadable folder is said once with a :class:`CacheWarning`.

        Parameters
        ----------
        keys : iterable of str
            Cache keys.

        Returns
        -------
        dict
            The keys held, each with its value; a key not held is left out.
        """
        found = {}
        for key in keys:
            value = self._read(key)
            if value is not None:
                found[key] = value
        self._seen(found)
        return found

    def lacking(self, keys: Iterable[str]) -> list[str]:
        """The ``keys`` not on disk, as ``key not in self`` says (a damaged entry is not
        there: a :class:`TieredCache` writes the memory's value over it), but a key this
        process wrote or read in this folder is taken to be there still (no read of its file:
        a :class:`TieredCache` asks this of every memory hit).

        Parameters
        ----------
        keys : iterable of str
            Cache keys.

        Returns
        -------
        list of str
            The keys without a file, in the order given.
        """
        known = _ON_DISK.get(os.path.abspath(self.path), ())
        out: list[str] = []
        there: list[str] = []
        for key in keys:
            if self._is_key(key) and _short_key(key) in known:
                continue
            (there if key in self else out).append(key)
        self._seen(there)
        return out

    def _seen(self, keys) -> None:
        """Remember ``keys`` as on disk in this folder (up to :data:`MAX_KNOWN_KEYS`)."""
        with _ON_DISK_LOCK:
            known = _ON_DISK.setdefault(os.path.abspath(self.path), set())
            for key in keys:
                if len(known) >= MAX_KNOWN_KEYS:
                    break
                known.add(_short_key(key))

    def set_many(self, mapping: Mapping[str, Any]) -> None:
        """Write each value to its file, atomically (a reader sees no entry or a whole one).
        A folder that cannot be written (permissions, a full disk) costs only the storing:
        one :class:`CacheWarning` per folder, and ``unwritten`` counts the entries lost.

        Parameters
        ----------
        mapping : mapping of str to value
            Keys and their values: numeric numpy arrays (stored read-only copies), ``str``
            or ``bytes``; any other value raises :class:`CacheError` before anything is
            stored.
        """
        checked = {key: _check_value(value) for key, value in mapping.items()}
        for n, (key, value) in enumerate(checked.items()):
            try:
                self._write(key, value)
                self._seen((key,))
            except _OtherFormat as exc:  # not written over: the results are still correct
                self._warn_other_format(self._file(key), exc)
                self.unwritten = getattr(self, "unwritten", 0) + 1
            except OSError as exc:  # unwritable / full disk: the results are still correct
                what = f"could not write entry {n + 1} of {len(checked)} to {self.path}"
                whole = (
                    exc.errno in _WHOLE_FOLDER_ERRNOS
                    or (exc.errno in _DENIED_ERRNOS and not os.access(self.path, os.W_OK))
                    or not os.path.isdir(self.path)  # a file in the folder's own path
                )  # the others would fail the same way
                if whole:
                    self._warn_once(_UNWRITABLE_WARNED, what, exc, "written", "stored there")
                else:  # one entry's path, or its shard's: said apart, so that a later full
                    # disk is still said (the error may name the temporary file)
                    entry = self._file(key)
                    shard = entry.parent
                    if shard.is_symlink() or not shard.is_dir() or not os.access(shard, os.W_OK):
                        entry = shard  # every entry of that shard fails: about 1 in 256
                    self._warn_once(_ENTRY_UNWRITABLE_WARNED, what, exc, "written", "", entry)
                # counted for interrupt_note: what a rerun finds here, and what it recomputes
                self.unwritten = getattr(self, "unwritten", 0) + (len(checked) - n if whole else 1)
                if whole:
                    return
                # else one entry's path (a shard another user made 0755, a folder in the
                # way): the other entries may still be stored

    def _warn_once(
        self,
        warned: set[tuple[str, str]],
        what: str,
        exc: OSError,
        action: str,
        missed: str,
        entry=None,
    ) -> None:
        """One :class:`CacheWarning` per folder, process and kind of failure (the folder
        "cannot be ``action``", the results are "not ``missed``"; or, with ``entry``, that
        entry's path cannot be ``action``): a failure of another errno, or at another level
        (the folder, a shard, an entry), is said too; a debug log line (``what``) every
        time."""
        logger.debug("skbucket cache: %s (%s)", what, exc)
        folder = str(self.path)
        if entry is None:
            where = "folder"
        else:
            where = "entry" if Path(entry).suffix == _SUFFIX else "shard"
        if not _first_time(warned, _warned_folder(self.path), _problem(exc, where)):
            return
        if entry is None:
            broken = dangling_link(self.path)  # making it said only "File exists"
            reason = broken_link_text(broken) if broken is not None else exc.strerror or exc
            said = (
                f"the cache folder {folder!r} cannot be {action} ({reason}); "
                f"results are computed as usual but not {missed}"
            )
        elif Path(entry).suffix != _SUFFIX:  # a shard folder
            said = (
                f"the entries under {os.fspath(entry)!r} of the cache folder {folder!r} cannot "
                f"be {action} ({exc.strerror or exc}; about 1 key in 256 falls there): their "
                "results are computed as usual but not stored, the other entries are"
            )
        else:
            said = (
                f"an entry of the cache folder {folder!r} cannot be {action} at "
                f"{os.fspath(entry)!r} ({exc.strerror or exc}); its result is computed as "
                "usual but not stored there, the other entries are"
            )
        warnings.warn(
            f"{said} (said once per folder and kind of failure)",
            CacheWarning,
            stacklevel=user_stacklevel(),
        )

    def _warn_other_format(self, file: Path, exc: _OtherFormat) -> None:
        """One :class:`CacheWarning` per folder and process: it holds entries of another
        version of the format, which are left as they are (neither removed nor written
        over), so their results are computed but not stored; a debug log line every time."""
        logger.debug("skbucket cache: leaving %s (%s)", file, exc)
        folder = str(self.path)
        if not _first_time(_OTHER_FORMAT_WARNED, _warned_folder(self.path)):
            return
        warnings.warn(
            f"the cache folder {folder!r} holds entries of another version of skbucket's cache "
            f"format (a newer skbucket's: {os.fspath(file)!r} starts {exc.magic!r}, this "
            f"skbucket's entries {_MAGIC!r}); they are left as they are, and their results "
            "are computed as usual but not stored there (give each version of skbucket a "
            "cache folder of its own) (said once per folder)",
            CacheWarning,
            stacklevel=user_stacklevel(),
        )

    def _write(self, key: str, value: Any) -> None:
        file = self._file(key)
        self._make_shard(file.parent)  # first: a linked shard's file is not even looked at
        other = _other_format(_head(file))
        if other is not None:  # another version's entry is left alone, not written over
            raise _OtherFormat(other)
        data = _serialise(key, value)
        if len(data) > MAX_ENTRY_BYTES:  # a file no read takes: written, it was never a hit
            raise OSError(
                errno.EFBIG,
                f"{len(data)} bytes, more than an entry holds ({MAX_ENTRY_BYTES}, MAX_ENTRY_BYTES)",
            )
        fd, tmp = new_file(file.parent, _TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if self.fsync:
                    _to_disk(fh)
            try:
                os.replace(tmp, file)
            except PermissionError as exc:
                # Windows: the entry is there, held open by a process reading it, so it is not
                # replaced; its key names its content, so it holds these bytes already. Not
                # so a damaged entry (another user's in a sticky folder, which only its owner
                # may replace): the write failed, said as such, not taken for done
                if not self._holds(key, file):
                    raise _not_replaced(file, exc) from None
                os.unlink(tmp)
            if self.fsync:  # the rename itself, or a power loss may undo it (a .tmp- left)
                _folder_to_disk(file.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _make_shard(self, shard: Path) -> None:
        """Create ``shard`` (and the cache folder) if needed; a shard made here gets the
        cache folder's permission bits, whatever this process's umask. A shard that is a
        symbolic link is refused (``ELOOP``): its entries would be written elsewhere."""
        if os.path.islink(shard):
            raise OSError(errno.ELOOP, _LINKED_SHARD, str(shard))
        if os.path.isdir(shard):
            return
        _make_folders(self.path)
        try:
            shard.mkdir()
        except FileExistsError:  # made by another process meanwhile
            return
        if self.fsync:  # the new shard's name in the cache folder, as its entries' names
            _folder_to_disk(self.path)
        with contextlib.suppress(OSError):  # best effort: the entries are written either way
            _chmod_made_folder(shard, stat.S_IMODE(os.stat(self.path).st_mode))

    def keys(self) -> Iterator[str]:
        """Iterate over the keys of the complete entries on disk: those :meth:`get_many`
        returns a value for.

        Other files in the folder (not named ``<key>.skbc`` in the folder ``<key[:2]>``) are
        not entries and are left out, and so is an entry file that a read would not return (a
        cut or damaged one, one this user may not read, one in a shard folder that is a
        symbolic link: the listing never leaves the cache folder, nor follows a link that
        loops back into it). Each entry is read and checked as
        a read checks it (its checksum: nothing cheaper tells a cut caption from a whole
        one), but nothing is removed or logged.
        """
        if not os.path.isdir(self.path):
            return
        try:
            shards = sorted(os.scandir(self.path), key=lambda entry: entry.name)
        except OSError:  # unreadable meanwhile: no entry a read would return either
            return
        for shard in shards:
            # a shard folder itself, not a link to a folder (elsewhere, or a loop back here):
            # no writer makes one, and a read takes no entry through it
            if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                continue
            for file in Path(shard.path).glob(f"*{_SUFFIX}"):
                key = file.name[: -len(_SUFFIX)]
                if self._is_key(key) and key[:2] == shard.name and self._holds(key, file):
                    yield key

    def remove_stale_temp_files(self, older_than: float = 3600.0) -> int:
        """Delete temporary files left by killed writers; returns how many were removed.

        Parameters
        ----------
        older_than : float, default=3600.0
            Only files older than this many seconds are removed, so a write in flight in
            another process is not disturbed.

        Returns
        -------
        int
            The number of files removed.
        """
        removed = 0
        if not os.path.isdir(self.path):
            return 0
        now = time.time()
        for tmp in self.path.glob(f"??/{_TMP_PREFIX}*"):
            try:
                # only in the shard folders themselves (not through a link to elsewhere), and
                # only files
                if os.path.islink(tmp.parent):
                    continue
                info = os.lstat(tmp)
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > older_than:
                    tmp.unlink()
                    removed += 1
            except OSError:
                pass
        return removed

    def _holds(self, key: str, file: Path | None = None) -> bool:
        """Whether :meth:`get_many` would return a value for ``key`` (whose ``file`` it is):
        its file is read and checked as a read does, but not removed nor logged when it is
        damaged. A key found missing or damaged is no longer taken to be on disk (see
        :meth:`lacking`): a :class:`TieredCache`'s next memory hit of it writes it back."""
        try:
            _deserialise(key, _read_entry_file(self._file(key) if file is None else file))
        except MemoryError:  # this process's want, not the entry's damage
            raise
        except Exception:  # no file, no entry file, unreadable or damaged: a miss
            with _ON_DISK_LOCK:  # written or read here before, and cut or deleted since
                _ON_DISK.get(os.path.abspath(self.path), set()).discard(_short_key(key))
            return False
        return True

    def __contains__(self, key: object) -> bool:
        # a text that is no key is not in the cache (as for MemoryCache), not an error
        return isinstance(key, str) and self._is_key(key) and self._holds(key)

    def __len__(self) -> int:
        """The number of :meth:`keys` (every entry file is read and checked)."""
        return sum(1 for _ in self.keys())

    def __repr__(self) -> str:
        return f"DiskCache({str(self.path)!r})"

    def __reduce__(self):
        return (type(self), (str(self.path),), {"fsync": self.fsync})


#: Keys each cache folder (by absolute path: a relative one names another folder after a
#: chdir) is known to hold, written or read by this process, as integers (see
#: :func:`_short_key`), so a memory hit needs no ``stat`` to tell that the disk layer has it
#: too; at most this many a folder (~100 bytes each).
MAX_KNOWN_KEYS = 2**20
_ON_DISK: dict[str, set[int]] = {}
_ON_DISK_LOCK = threading.Lock()


def _short_key(key: str) -> int:
    """``key`` as an integer, one for each key: its hex digits behind a leading 1, so that
    leading zeros count (a hash_key's key takes 60 bytes so, its text 113). The integer of
    the first 16 digits was one for ``"abc"`` and ``"0abc"``, and for any two keys sharing
    them: a memory hit of one was taken to be on disk when only the other was, and never
    written there."""
    return int("1" + key, 16)


#: write failures that concern the whole folder, not one entry's path
_WHOLE_FOLDER_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS") if hasattr(errno, name)
)
#: permission failures: the whole folder's when the cache folder itself cannot be written,
#: else one shard's (one another user made 0755)
_DENIED_ERRNOS = frozenset((errno.EACCES, errno.EPERM))
#: the largest entry file read (a planted huge file is a miss, not a read of gigabytes), and
#: written (a value whose file would be larger is not stored: said as an entry not written)
MAX_ENTRY_BYTES = 256 * 2**20
_READ_FLAGS = READ_FLAGS | getattr(os, "O_NOFOLLOW", 0)


def _chmod_made_folder(folder: Path, bits: int) -> None:
    """Give the folder this process just made ``bits``, through a descriptor of the folder
    itself: in a folder others can write, someone may swap the new folder for a link to
    another file of ours between ``mkdir`` and ``chmod`` (which follows links), and that
    file would get the bits. A link or anything not a folder of ours is left alone (so is
    every folder where ``os.fchmod`` is missing: Windows before Python 3.13)."""
    if not hasattr(os, "fchmod"):
        return
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(folder, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid():
            os.fchmod(fd, bits)
    finally:
        os.close(fd)


def _make_folders(folder: Path) -> None:
    """``folder`` and its missing parents, made as ``mkdir -p`` makes them, except inside a
    folder shared with a group: when the nearest existing parent is writable by its group
    and not by everyone (a ``chmod 2775`` group folder, not ``/tmp``), each folder made gets
    its permission bits, so the group can write below it too (the pipeline's ``captions/``
    and ``embeddings/`` under a shared cache folder)."""
    missing = []
    parent = Path(folder)
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    if not os.path.isdir(parent):  # a file in the way: the system's own error, as mkdir -p's
        Path(folder).mkdir(parents=True, exist_ok=True)
    if not missing:
        return
    try:
        bits = stat.S_IMODE(os.stat(parent).st_mode)
    except OSError:
        bits = 0
    shared = bits & stat.S_IWGRP and not bits & stat.S_IWOTH
    for made in reversed(missing):
        try:
            made.mkdir()
        except FileExistsError:
            if not os.path.isdir(made):
                raise
            continue  # made by another process meanwhile
        if shared:
            with contextlib.suppress(OSError):  # best effort, as for the shard folders
                _chmod_made_folder(made, bits)


def _not_replaced(file: Path, exc: PermissionError) -> PermissionError:
    """``exc``, the failed replace of ``file`` (which holds no entry this user can read),
    said with why when the folder has the sticky bit (``chmod 1777``, as ``/tmp``): another
    user's file there may be replaced or deleted by its owner only, so its result is
    computed again at every run until they delete it."""
    try:
        owner = os.lstat(file).st_uid
        sticky = os.stat(file.parent).st_mode & stat.S_ISVTX
    except OSError:
        return exc
    if not sticky:
        return exc
    try:
        import pwd  # not on Windows, whose folders have no sticky bit

        name = pwd.getpwuid(owner).pw_name
    except (ImportError, KeyError):
        name = f"uid {owner}"
    return PermissionError(
        exc.errno,
        f"{exc.strerror or exc}: the file there, a damaged or unreadable entry, is {name}'s, "
        "and in a folder with the sticky bit only its owner may replace or delete it (ask "
        "them to delete it)",
    )


def _head(file: Path) -> bytes:
    """The first bytes of ``file`` (as many as :data:`_MAGIC`), if it is a regular file
    (not a link to one, nor a FIFO); ``b""`` if there is none, or it cannot be read."""
    try:
        fd = os.open(file, _READ_FLAGS)
    except OSError:
        return b""
    try:
        return os.read(fd, len(_MAGIC)) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        return b""
    finally:
        os.close(fd)


class _NotAnEntry(Exception):
    """The entry's path holds something no writer of the cache makes."""


#: why an entry in a shard folder that is a symbolic link is neither read nor written: no
#: writer makes one, and through it the cache would read and write outside its folder
_LINKED_SHARD = "its shard folder is a symbolic link, not a folder of the cache's own"


def _read_entry_file(file: Path) -> bytes:
    """The bytes of an entry file: a regular file, not a link to one (nor a FIFO, whose read
    would block, or ``/dev/zero``, whose would never end), of at most
    :data:`MAX_ENTRY_BYTES`."""
    if os.path.islink(file.parent):  # the entry would be read from elsewhere
        raise _NotAnEntry(_LINKED_SHARD)
    try:
        fd = os.open(file, _READ_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW on a link (EMLINK: BSD)
            raise _NotAnEntry("a symbolic link, not an entry file") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotAnEntry("not a regular file")
        if info.st_size > MAX_ENTRY_BYTES:
            raise _NotAnEntry(f"{info.st_size} bytes, more than an entry holds")
        # its size (+1, to see a file that grew), not MAX_ENTRY_BYTES: a buffered read of n
        # bytes allocates n first (256 MiB per entry: slow, and a MemoryError under a cap)
        chunks, left = [], info.st_size + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class TieredCache:
    """Layers looked up in order (fast first); every layer ends up holding every hit.

    A hit in a slow layer is copied to the faster ones; a hit in a fast layer that a slower
    layer lacks (e.g. computed earlier in this process with ``cache=None``) is written to it,
    so a disk layer always holds what was asked of it (an entry this process wrote or read
    there is taken to be there still, without a ``stat`` of its file, which would cost each
    memory hit a disk or network round trip: one deleted or damaged by hand while the process
    runs is written back from memory only once this process finds it so, by a read of it from
    disk, ``in``, ``keys()`` or ``len()``; else the next process to read it drops it, with a
    logged warning, and computes and stores it again). Writes go to every layer.
    ``len`` uses the last (most durable) layer.

    Parameters
    ----------
    layers : sequence of cache layers
        For example ``[MemoryCache(), DiskCache(path)]``.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values for ``keys``, from the fastest layer that holds each; a value found in
        a slower layer is copied into the faster ones (and into slower ones that lack it).

        Parameters
        ----------
        keys : iterable of str
            Cache keys.

        Returns
        -------
        dict
            The keys held, each with its value; a key not held is left out.
        """
        missing = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        for i, layer in enumerate(self.layers):
            if not missing:
                break
            got = found_in(layer, missing)
            if got:
                for faster in self.layers[:i]:
                    faster.set_many(got)
                for slower in self.layers[i + 1 :]:
                    if hasattr(slower, "lacking"):
                        lacking = {k: got[k] for k in slower.lacking(got)}
                    elif hasattr(slower, "__contains__"):
                        lacking = {k: v for k, v in got.items() if k not in slower}
                    else:  # a layer with get_many/set_many only (CacheLike): write them all
                        lacking = got
                    if lacking:
                        slower.set_many(lacking)
                found.update(got)
                missing = [k for k in missing if k not in got]
        return found

    def set_many(self, mapping: Mapping[str, Any]) -> None:
        """Store each value in every layer, the slowest (most durable) first.

        Parameters
        ----------
        mapping : mapping of str to value
            Keys and their values: numeric numpy arrays (stored read-only copies), ``str``
            or ``bytes``; any other value raises :class:`CacheError` before anything is
            stored.
        """
        mapping = {key: _check_value(value) for key, value in mapping.items()}
        # durable layer first: a value is in memory only once it is safely on disk
        for layer in reversed(self.layers):
            layer.set_many(mapping)

    def __contains__(self, key: object) -> bool:
        return any(
            key in layer
            if hasattr(layer, "__contains__")
            # any key is asked of a store as given, as `in` asks the other layers
            else bool(found_in(layer, [key]))  # type: ignore[list-item]
            for layer in self.layers
        )

    def __len__(self) -> int:
        return len(self.layers[-1]) if self.layers else 0

    def __repr__(self) -> str:
        return f"TieredCache({self.layers!r})"


_PROCESS_MEMORY = MemoryCache()


def _free_locks_in_child() -> None:
    """A forked child has only the thread that forked: a cache lock another thread held at
    the fork (a transform's lookups hold a memory cache's lock over all of its keys) would
    stay held for ever there, and the child's first lookup hang. The child gets every lock
    free; what one guarded may be half updated, so it is emptied then (a memory cache's
    entries are computed again, a folder's known keys read from disk again)."""
    global _ON_DISK_LOCK, _UNWRITABLE_LOCK
    if _ON_DISK_LOCK.locked():
        _ON_DISK.clear()
    if _UNWRITABLE_LOCK.locked():  # at worst a cache warning said again
        _UNWRITABLE_WARNED.clear()
        _UNREADABLE_WARNED.clear()
        _ENTRY_UNWRITABLE_WARNED.clear()
        _OTHER_FORMAT_WARNED.clear()
    _ON_DISK_LOCK, _UNWRITABLE_LOCK = threading.Lock(), threading.Lock()
    for cache in list(_MEMORY_CACHES):
        if cache._lock.locked():
            cache._data, cache._sizes, cache._bytes = OrderedDict(), {}, 0
        cache._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_free_locks_in_child)


def process_memory_cache() -> MemoryCache:
    """The process-wide in-memory layer behind ``cache=None`` and ``cache=<path>``.

    Call ``process_memory_cache().clear()`` to free it (or in tests, to force disk reads).
    """
    return _PROCESS_MEMORY


def _stores(cache: Any) -> list:
    """The stores of an :func:`open_cache` handle: its layers, nested tiers flattened."""
    if cache is None:
        return []
    if isinstance(cache, TieredCache):
        return [store for layer in cache.layers for store in _stores(layer)]
    return [cache]


def unwritten_count(cache: Any) -> int:
    """How many entries the :class:`DiskCache` layers and the stores of the user's own of
    ``cache`` (an :func:`open_cache` handle) could not store so far: their writes failed (a
    full disk, no permission, a server gone)."""
    return sum(
        getattr(store, "unwritten", 0)
        for store in _stores(cache)
        if isinstance(store, DiskCache | _UserStore)
    )


def interrupt_note(cache: Any, unwritten_before: int = 0) -> str:
    """How an interrupted run's finished results were kept in ``cache`` (an
    :func:`open_cache` handle), for the message that logs the interruption: a rerun resumes
    only where they outlive the process, and recomputes those a disk or a store could not
    keep (:func:`unwritten_count` now, less ``unwritten_before``, its count when the run
    began).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> interrupt_note(open_cache(folder)) == (
    ...     f" and cached on disk in {folder!r}; a rerun resumes from the cache")
    True
    >>> interrupt_note(open_cache(None))
    " and kept in this process's memory only (a rerun in another process starts over; set cache to a folder to keep them)"
    >>> interrupt_note(None)
    ''
    """
    if cache is None:
        return ""
    stores = _stores(cache)
    lost = unwritten_count(cache) - unwritten_before
    places = []
    disks = [store for store in stores if isinstance(store, DiskCache)]
    if disks:
        places.append("cached on disk in " + " and ".join(repr(str(d.path)) for d in disks))
    others = [store for store in stores if isinstance(store, _UserStore)]
    if others:
        places.append(f"stored in {' and '.join(type(o.store).__name__ for o in others)}")
    if not places:
        if all(isinstance(store, MemoryCache) for store in stores):
            return (
                " and kept in this process's memory only (a rerun in another process starts "
                "over; set cache to a folder to keep them)"
            )
        return f" and stored in the cache ({type(cache).__name__})"
    where = " and ".join(places)
    if lost > 0:  # a full disk, a store gone: the cache warning said so, this says how many
        return (
            f" and {where}, but for {lost:,} that could not be stored (see the cache "
            "warning): a rerun resumes from the cache and computes those again"
        )
    return f" and {where}; a rerun resumes from the cache"


#: the scheme of a URL (``redis://``, ``s3://``): text that names no folder on this machine
#: (two characters at least: ``C://x`` is a Windows drive, or a relative folder ``C:``)
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


_BLANK = "blank text, which names no folder"


def _text_problem(cache) -> str | None:
    """What is wrong with a ``cache`` given as text or a path (``None``: nothing, or it is no
    text): blank (it names no folder: it would cache into the working folder), or a URL (a
    ``redis://`` cache became the folders ``redis:/host``). The one definition
    :func:`_check_not_blank`, the estimators' ``fit`` and the command line's config use."""
    if not isinstance(cache, str | os.PathLike):
        return None
    text = os.fspath(cache).strip()
    if not text:
        return _BLANK
    if isinstance(cache, str) and _URL_SCHEME.match(text):
        return (
            "a URL, but a cache given as text is a folder on this machine; a store elsewhere "
            "(Redis, S3) is given from Python as an object with get_many/set_many (see "
            "skbucket.cache.CacheLike), which a config file cannot hold"
        )
    return None


def _check_not_blank(cache) -> None:
    """Refuse a ``cache`` that is blank text or a URL (:func:`_text_problem`)."""
    problem = _text_problem(cache)
    if problem == _BLANK:
        raise CacheError(
            f"cache must be None, False, a folder path or a cache object; got {cache!r}"
        )
    if problem is not None:
        raise CacheError(f"cache {cache!r} is {problem}")


def _own_store(store: Any) -> bool:
    """Whether ``store`` is one of skbucket's stores, all of whose layers are (values given
    back as they were given; pickled as their settings, not their contents). A subclass of
    one is the user's own: it may give back anything."""
    if type(store) is TieredCache:
        return all(_own_store(layer) for layer in store.layers)
    return type(store) in (MemoryCache, DiskCache)


def _guarded(store: Any, check: Callable[[Any], str | None] | None) -> Any:
    """``store`` with every store of the user's own in it wrapped in :class:`_UserStore`."""
    if _own_store(store):
        return store
    if isinstance(store, TieredCache) and not _overrides_tiers(store):
        # the same layers, the user's own wrapped, in a copy of the user's class
        guarded = copy.copy(store)
        guarded.layers = [_guarded(layer, check) for layer in store.layers]
        return guarded
    return _UserStore(store, check)


def _overrides_tiers(store: Any) -> bool:
    """Whether a :class:`TieredCache` subclass answers ``get_many`` itself (its layers are
    then its business: it is wrapped whole, as a store of the user's own)."""
    return type(store).get_many is not TieredCache.get_many


def open_cache(
    cache: Any = None, check: Callable[[Any], str | None] | None = None
) -> CacheLike | None:
    """Turn a ``cache`` parameter into a cache handle (see the module docstring).

    Parameters
    ----------
    cache : None, bool, str, os.PathLike or cache object
        ``None`` (or ``True``): the process-wide memory layer; a path: memory +
        :class:`DiskCache` there; ``False``: no cache (returns ``None``); a
        :class:`MemoryCache`, :class:`DiskCache` or :class:`TieredCache` of those: returned
        as is; another object with ``get_many``/``set_many`` (a store of your own, also as a
        layer of a :class:`TieredCache`): wrapped so that its failures cost only the caching
        (a :class:`CacheWarning`), not the work, and its values are checked.
    check : callable, optional
        ``check(value) -> str or None``: what is wrong with a value a store of your own gives
        back, for the kind of value the caller stores (an embedder's vector, a caption).

    Returns
    -------
    handle : cache object or None

    Examples
    --------
    >>> import tempfile
    >>> from skbucket.cache import open_cache
    >>> open_cache(False) is None
    True
    >>> open_cache(None)
    MemoryCache(...)
    >>> open_cache(tempfile.mkdtemp())
    TieredCache([MemoryCache(...), DiskCache(...)])
    """
    if isinstance(cache, np.bool_):  # a numpy boolean is the bool it holds
        cache = bool(cache)
    if cache is None or cache is True:
        return _PROCESS_MEMORY
    if cache is False:
        return None
    if isinstance(cache, str | os.PathLike):
        _check_not_blank(cache)
        return TieredCache([_PROCESS_MEMORY, DiskCache(cache)])
    if isinstance(cache, TieredCache) or (
        hasattr(cache, "get_many") and hasattr(cache, "set_many")
    ):
        return _guarded(cache, check)  # a store of your own: see _UserStore
    raise CacheError(
        "cache must be None (in-memory), False (off), a folder path (memory + disk) or an "
        f"object with get_many/set_many; got {cache!r}"
    )
