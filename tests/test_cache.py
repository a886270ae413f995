"""Tests for skbucket.cache: keys, memory LRU, atomic on-disk store, tiers, open_cache."""

from __future__ import annotations

import copy
import logging
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

from skbucket.cache import (
    CacheError,
    CacheWarning,
    DiskCache,
    MemoryCache,
    TieredCache,
    hash_key,
    interrupt_note,
    open_cache,
    prefixed_hash_key,
    process_memory_cache,
)


# --------------------------------------------------------------------------------------------
# hash_key
# --------------------------------------------------------------------------------------------
def test_hash_key_is_deterministic_hex():
    key = hash_key("model", 3, 0.5, None, True, ("a", b"b"), {"x": [1, 2]})
    assert key == hash_key("model", 3, 0.5, None, True, ("a", b"b"), {"x": [1, 2]})
    assert len(key) == 64
    int(key, 16)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("ab", "c"), ("a", "bc")),
        ((1,), ("1",)),
        ((1,), (1.0,)),
        (("a",), (b"a",)),
        ((True,), (1,)),
        ((None,), ("",)),
        ((("a", "b"),), ("a", "b")),
        (("text",), ("text ",)),
        ((np.zeros(2, np.float32),), (np.zeros(2, np.float64),)),
        ((np.zeros((2, 1)),), (np.zeros((1, 2)),)),
    ],
)
def test_hash_key_distinguishes_types_and_boundaries(left, right):
    assert hash_key(*left) != hash_key(*right)


def test_hash_key_dict_order_does_not_matter():
    assert hash_key({"a": 1, "b": [2, 3]}) == hash_key({"b": [2, 3], "a": 1})
    assert hash_key({"a": 1}) != hash_key({"a": 2})


class _Text(str):
    pass


@pytest.mark.parametrize("prefix", [hash_key("model", 128), "", ("m", 1, None), {"a": [1.5]}])
def test_prefixed_hash_key_is_hash_key_with_the_prefix(prefix):
    # the keys of every cache written before it: equal, so no cached result is lost
    key = prefixed_hash_key(prefix)
    parts = [
        "some text", "", "é\u0301 ✨", "lone \ud83d", "x" * 100_000, _Text("sub"),
        b"bytes", 3, -2**70, 0.1, float("nan"), None, True, np.arange(3.0), ("a", 1),
        {"k": "v"}, [],
    ]  # fmt: skip
    for part in parts:
        assert key(part) == hash_key(prefix, part), part
    assert key("a") != key("b") and prefixed_hash_key("other")("a") != key("a")
    with pytest.raises(CacheError, match="cannot hash"):
        key(object())


def test_hash_key_rejects_unknown_types():
    with pytest.raises(CacheError, match="cannot hash"):
        hash_key(object())
    with pytest.raises(CacheError, match="object arrays"):
        hash_key(np.array(["a"], dtype=object))


# --------------------------------------------------------------------------------------------
# MemoryCache
# --------------------------------------------------------------------------------------------
def test_memory_cache_roundtrip_and_readonly_copy():
    mem = MemoryCache()
    # a handle: copy.copy gives the same store, as deepcopy does (it gave an empty new one)
    assert copy.copy(mem) is mem and copy.deepcopy(mem) is mem
    arr = np.arange(4, dtype=np.float32)
    mem.set_many({"k": arr, "s": "caption", "b": b"\x00\x01"})
    arr[0] = 99  # caller's array changes after set: cached value must not
    got = mem.get_many(["k", "s", "b", "missing"])
    assert set(got) == {"k", "s", "b"}
    np.testing.assert_array_equal(got["k"], [0, 1, 2, 3])
    assert not got["k"].flags.writeable
    assert got["s"] == "caption" and got["b"] == b"\x00\x01"
    assert len(mem) == 3 and "k" in mem and "missing" not in mem


@pytest.mark.parametrize(
    ("limits", "name"),
    [
        ({"max_items": -1}, "max_items"),
        ({"max_bytes": -5}, "max_bytes"),
        ({"max_items": 2.5}, "max_items"),
        ({"max_bytes": float("inf")}, "max_bytes"),
        ({"max_items": "3"}, "max_items"),  # failed at the first store, naming nothing
        ({"max_bytes": True}, "max_bytes"),
    ],
)
def test_memory_cache_refuses_limits_that_are_no_counts(limits, name):
    with pytest.raises(
        ValueError, match=rf"^MemoryCache: {name} must be None .* whole number >= 0"
    ):
        MemoryCache(**limits)


def test_memory_cache_with_a_zero_limit_holds_nothing_and_numpy_ints_are_limits():
    mem = MemoryCache(max_items=0)
    mem.set_many({"a": "1"})
    assert len(mem) == 0
    mem = MemoryCache(max_items=np.int64(1), max_bytes=np.int32(10_000))
    mem.set_many({"a": "1", "b": "2"})
    assert len(mem) == 1 and "b" in mem
    # a float limit, as users wrote them before limits were checked (max_bytes=1e9): a model
    # saved with one must still load (a pickled cache is made again from its limits)
    mem = MemoryCache(max_items=2.0, max_bytes=1e9)
    assert (mem.max_items, mem.max_bytes) == (2, 10**9) and type(mem.max_bytes) is int
    restored = pickle.loads(pickle.dumps(mem))
    assert (restored.max_items, restored.max_bytes) == (2, 10**9)


def test_memory_cache_lru_by_items_and_bytes():
    mem = MemoryCache(max_items=2, max_bytes=None)
    mem.set_many({"a": "1", "b": "2"})
    mem.get_many(["a"])  # a is now most recent
    mem.set_many({"c": "3"})
    assert "a" in mem and "c" in mem and "b" not in mem

    mem = MemoryCache(max_items=None, max_bytes=3000)
    for i in range(5):
        mem.set_many({str(i): np.zeros(250, dtype=np.float32)})  # ~1100 bytes each
    assert len(mem) == 2 and "4" in mem and "3" in mem


@pytest.mark.parametrize("text", ["a short caption of a photo {}", "日本語のキャプション {}"])
def test_memory_cache_max_bytes_bounds_what_it_holds_in_memory(text):
    # short texts were counted as their length plus 64 and keys as nothing: a cache of
    # captions held about three times its max_bytes (measured, as here, with tracemalloc)
    import tracemalloc

    limit = 2 * 2**20
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        mem = MemoryCache(max_items=None, max_bytes=limit)
        for i in range(60_000):
            mem.set_many({hash_key(i): text.format(i)})
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(mem) < 60_000  # the limit was reached
    # approximate: a dict's table grows by powers of two, so its cost an entry is stepwise
    assert 0.6 * limit < held < 1.5 * limit, held / limit


def test_memory_cache_takes_off_an_entry_at_the_size_it_was_counted():
    # pandas' str dtype (pyarrow) makes CPython keep a UTF-8 copy inside a non-ASCII str,
    # which grows its sys.getsizeof: sizes counted again at eviction were larger than at
    # insertion, and the cache held more and more beyond max_bytes, round after round
    pd = pytest.importorskip("pandas")
    from skbucket.cache import _nbytes

    mem = MemoryCache(max_bytes=200_000)
    held = []
    for r in range(4):
        values = {hash_key(r, i): f"une photo d\u2019un café numéro {r}-{i}" for i in range(1500)}
        mem.set_many(values)
        pd.Series(list(values.values()), dtype="str")  # the captions go into an output frame
        held.append(sum(_nbytes(k, v) for k, v in mem._data.items()))
    assert max(held) < 1.2 * 200_000, held


def test_memory_cache_rejects_uncacheable_values():
    mem = MemoryCache()
    with pytest.raises(CacheError, match="cannot cache"):
        mem.set_many({"k": [1, 2]})
    with pytest.raises(CacheError, match="numeric"):
        mem.set_many({"k": np.array(["a"], dtype=object)})
    assert len(mem) == 0


# --------------------------------------------------------------------------------------------
# DiskCache
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        np.linspace(-1, 1, 7, dtype=np.float32),
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.array([1.5, 2.5], dtype=np.float16),
        np.float32(3.25),
        "une légende avec émoji 🐝\nsur deux lignes",
        "",
        b"\x00raw\xff",
    ],
)
def test_disk_cache_roundtrip(tmp_path, value):
    disk = DiskCache(tmp_path / "c")
    key = hash_key("v", repr(value))
    disk.set_many({key: value})
    got = DiskCache(tmp_path / "c").get_many([key])[key]  # a fresh handle reads the file
    if isinstance(value, str | bytes):
        assert got == value and type(got) is type(value)
    else:
        expected = np.asarray(value)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    files = list((tmp_path / "c").glob("??/*.skbc"))
    assert [f.parent.name for f in files] == [key[:2]]
    assert len(disk) == 1 and key in disk and list(disk.keys()) == [key]


def _one_entry(tmp_path):
    disk = DiskCache(tmp_path)
    key = hash_key("entry")
    disk.set_many({key: np.arange(100, dtype=np.float32)})
    return disk, key, tmp_path / key[:2] / f"{key}.skbc"


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated (a torn write)
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # flipped checksum bit
        lambda b: b[:60] + bytes([b[60] ^ 0xFF]) + b[61:],  # flipped payload byte
        lambda b: b"",  # empty file
        lambda b: b"not a cache file at all" * 4,  # foreign file
    ],
)
def test_disk_cache_damaged_file_is_a_miss_and_removed(tmp_path, caplog, damage):
    disk, key, file = _one_entry(tmp_path)
    file.write_bytes(damage(file.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="skbucket.cache"):
        assert disk.get_many([key]) == {}
    assert not file.exists()
    assert "dropping unreadable entry" in caplog.text
    assert "(ValueError: " in caplog.text  # the reason names its kind


@pytest.mark.parametrize(
    "value", [np.arange(100, dtype=np.float32), "a caption of some length", b"raw bytes"]
)
@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-5],  # cut (a cut caption has no length in its header to tell it by)
        lambda b: b[:60] + bytes([b[60] ^ 0xFF]) + b[61:],  # flipped payload byte
        lambda b: b"",
        lambda b: b"not a cache file at all" * 4,
    ],
    ids=["cut", "flipped", "empty", "foreign"],
)
def test_a_damaged_entry_is_no_key_and_a_memory_hit_writes_over_it(
    tmp_path, monkeypatch, value, damage
):
    """keys(), len() and `in` counted damaged entry files, which get_many takes for misses
    (a key keys() gave was not there to get); and a memory hit over one was taken to be on
    disk already, so the damaged file was never written over."""
    from skbucket import cache as cache_module

    disk = DiskCache(tmp_path)
    key, sound = hash_key("damaged", repr(value)), hash_key("sound")
    disk.set_many({key: value, sound: "sound"})
    monkeypatch.setattr(cache_module, "_ON_DISK", {})  # as written by another process
    file = disk._file(key)
    file.write_bytes(damage(file.read_bytes()))
    fresh = DiskCache(tmp_path)
    assert key not in fresh and list(fresh.keys()) == [sound] and len(fresh) == 1
    assert file.exists()  # asking removes nothing
    mem = MemoryCache()
    mem.set_many({key: value})
    assert key in TieredCache([mem, DiskCache(tmp_path)]).get_many([key])
    got = DiskCache(tmp_path).get_many([key])[key]
    assert np.array_equal(got, value) if isinstance(value, np.ndarray) else got == value
    assert key in fresh and len(fresh) == 2


def test_an_entry_of_another_format_version_is_left_alone(tmp_path, caplog):
    """An entry file of another version of the format (a newer skbucket's, sharing the
    folder) was taken for a damaged one ("bad magic") and deleted at the first read, and
    written over at the first write: two versions sharing a folder deleted each other's
    entries."""
    disk = DiskCache(tmp_path)
    key, ours = hash_key("newer"), hash_key("ours")
    disk.set_many({key: "a caption"})
    file = disk._file(key)
    newer = b"SKBCACH2" + file.read_bytes()[8:] + b"whatever a newer format holds"
    file.write_bytes(newer)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        for run in range(2):  # a second handle of the same folder, in the same process
            tiers = TieredCache([MemoryCache(), DiskCache(tmp_path)])
            assert tiers.get_many([key, ours]) == ({ours: "ours"} if run else {})
            tiers.set_many({key: "this version's caption", ours: "ours"})
            assert tiers.layers[1].unwritten == 1
    assert file.read_bytes() == newer  # neither removed nor written over
    fresh = DiskCache(tmp_path)
    assert key not in fresh and list(fresh.keys()) == [ours] and len(fresh) == 1
    assert fresh.get_many([key, ours]) == {ours: "ours"}
    assert "dropping" not in caplog.text
    messages = [str(w.message) for w in caught]
    assert [type(w.message) for w in caught] == [CacheWarning], messages
    assert "another version of skbucket's cache format" in messages[0]
    assert "b'SKBCACH2'" in messages[0] and "left as they are" in messages[0]


def test_a_relative_cache_folder_is_warned_about_in_each_working_folder(tmp_path, monkeypatch):
    """The warnings said once per folder took the folder as written: "cache" in a second
    project's folder (after os.chdir) was taken for the first project's, already said about,
    and its warning was lost: its results were not stored, unsaid."""
    key = hash_key("a post")
    for project in ("a", "b"):
        (tmp_path / project).mkdir()
        (tmp_path / project / "gone").symlink_to(tmp_path / project / "unmounted")
        entry = DiskCache(tmp_path / project / "cache")._file(key)
        entry.parent.mkdir(parents=True)
        entry.write_bytes(b"SKBCACH2" + bytes(60))  # a newer skbucket's entry
    said: list[str] = []
    for project in ("a", "b"):
        monkeypatch.chdir(tmp_path / project)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            DiskCache("cache").set_many({key: "a caption"})
            DiskCache("./cache").set_many({key: "a caption"})  # the same folder: said once
            DiskCache("gone").set_many({key: "a caption"})
        said.append(" | ".join(str(w.message) for w in caught))
        assert [w.category for w in caught] == [CacheWarning, CacheWarning], said[-1]
        assert "another version of skbucket's cache format" in said[-1]
        assert "symbolic link to" in said[-1] and "cannot be written" in said[-1]


def test_disk_cache_keeps_an_entry_it_ran_out_of_memory_reading(tmp_path, monkeypatch):
    """A MemoryError while reading a sound entry was taken for damage: the entry was deleted
    (logged with an empty reason, "()") and recomputed later."""
    from skbucket import cache as cache_module

    disk, key, file = _one_entry(tmp_path)

    def want(key, data):
        raise MemoryError

    monkeypatch.setattr(cache_module, "_deserialise", want)
    with pytest.raises(MemoryError):
        disk.get_many([key])
    assert file.exists()
    monkeypatch.undo()
    np.testing.assert_array_equal(disk.get_many([key])[key], np.arange(100, dtype=np.float32))


def test_disk_cache_entry_under_wrong_name_is_never_returned(tmp_path):
    disk, key, file = _one_entry(tmp_path)
    other = hash_key("other")
    target = tmp_path / other[:2] / f"{other}.skbc"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(file.read_bytes())  # valid file, but for another key
    assert disk.get_many([other]) == {}
    assert not target.exists()
    assert key in disk.get_many([key])


def test_disk_cache_ignores_and_cleans_temp_files(tmp_path):
    disk, key, file = _one_entry(tmp_path)
    stale = file.parent / ".tmp-leftover"
    stale.write_bytes(b"half written")
    assert len(disk) == 1 and list(disk.keys()) == [key]
    assert disk.remove_stale_temp_files(older_than=3600) == 0  # too recent: maybe in flight
    assert disk.remove_stale_temp_files(older_than=-1) == 1
    assert not stale.exists() and file.exists()


def test_an_entry_path_holding_no_entry_file_is_a_miss_not_a_hang(tmp_path, caplog):
    # read_bytes() on a FIFO planted in a shared cache blocked forever, on a link to /dev/zero
    # it grew without end; a link to another file is no entry a writer makes either
    disk = DiskCache(tmp_path)
    keys = ["ab01", "ab02", "ab03"]
    for key in keys:
        disk._file(key).parent.mkdir(exist_ok=True)
    os.mkfifo(disk._file("ab01"))
    disk._file("ab02").symlink_to("/dev/zero")
    DiskCache(tmp_path / "real").set_many({"ab03": "value"})
    disk._file("ab03").symlink_to(DiskCache(tmp_path / "real")._file("ab03"))
    found = {}
    with caplog.at_level(logging.WARNING, logger="skbucket.cache"):
        reader = threading.Thread(target=lambda: found.update(disk.get_many(keys)), daemon=True)
        reader.start()
        reader.join(30)  # a liveness bound: the old code never returned
    assert not reader.is_alive(), "get_many is blocked on the FIFO"
    assert found == {}
    assert "not a regular file" in caplog.text and "symbolic link" in caplog.text
    assert all(os.path.lexists(disk._file(key)) for key in keys)  # left where they are
    # and the other ways of asking agree with the reads: none of them is an entry
    assert "ab03" not in disk and list(disk.keys()) == [] and len(disk) == 0


def test_one_entry_that_cannot_be_written_does_not_stop_the_others(tmp_path):
    disk = DiskCache(tmp_path)
    (tmp_path / "ab" / "ab01.skbc").mkdir(parents=True)  # a folder in one entry's way
    # it said the whole folder "cannot be written", and then, once per folder, nothing of a
    # full disk later on
    with pytest.warns(
        CacheWarning,
        match=r"an entry of the cache folder .* cannot be written at "
        r"'.*ab01\.skbc' \(Is a directory\).* the other entries are",
    ) as said:
        disk.set_many({"ab01": "x", "cd02": "y", "ef03": "z"})
    assert len(said) == 1
    assert disk.get_many(["ab01", "cd02", "ef03"]) == {"cd02": "y", "ef03": "z"}
    import errno

    from skbucket import cache as cache_mod

    def full(folder, prefix, suffix=""):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache_mod, "new_file", full)
        with pytest.warns(CacheWarning, match=r"^the cache folder .* cannot be written \(No space"):
            disk.set_many({"0a04": "w"})


def test_each_kind_of_failure_in_a_folder_is_said_once(tmp_path, monkeypatch):
    """One flag per folder and family of failure silenced a second, different problem there:
    a blocked shard after a blocked entry, a read-only file system after a full disk."""
    import errno

    from skbucket import cache as cache_mod

    disk = DiskCache(tmp_path)
    (tmp_path / "ab" / "ab01.skbc").mkdir(parents=True)  # a folder in one entry's way
    (tmp_path / "cd").write_text("x")  # a file where a shard folder belongs
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        for _ in range(2):  # each said once, the second round says nothing
            disk.set_many({"ab01": "x"})
            disk.set_many({"cd01": "y", "cd02": "y"})
            real = cache_mod.new_file
            for code in (errno.ENOSPC, errno.EROFS):

                def failing(folder, prefix, suffix="", code=code):
                    raise OSError(code, os.strerror(code), str(folder))

                monkeypatch.setattr(cache_mod, "new_file", failing)
                disk.set_many({"ef01": "z"})
            monkeypatch.setattr(cache_mod, "new_file", real)
    messages = [str(w.message) for w in said if issubclass(w.category, CacheWarning)]
    assert len(messages) == 4, messages
    assert "ab01.skbc' (Is a directory)" in messages[0]
    assert "the entries under '" in messages[1] and "(Not a directory;" in messages[1]
    assert "cannot be written (No space left on device)" in messages[2]
    assert "cannot be written (Read-only file system)" in messages[3]


def test_a_blocked_shard_is_named_as_the_shard(tmp_path):
    """A file where a shard folder belongs: every entry of that shard fails, but the warning
    named only the first entry and said the other entries were stored."""
    (tmp_path / "ab").write_text("x")
    disk = DiskCache(tmp_path)
    with pytest.warns(
        CacheWarning,
        match=r"the entries under '.*ab' of the cache folder .* "
        r"cannot be written \(Not a directory; about 1 key in 256",
    ) as said:
        disk.set_many({"ab01": "v", "ab02": "v", "ab03": "v", "cd01": "v"})
    assert len(said) == 1 and disk.unwritten == 3
    assert disk.get_many(["ab01", "cd01"]) == {"cd01": "v"}


def test_a_shard_this_user_cannot_write_does_not_stop_the_others(tmp_path, monkeypatch):
    # a shard another user made 0755 (as the module docs warn): EACCES for its entries only;
    # the tests may run as root, so the refusal is made by hand
    import errno

    from skbucket import cache as cache_mod

    real = cache_mod.new_file

    def refusing(folder, prefix, suffix=""):
        if os.path.basename(folder) == "ab":
            raise PermissionError(errno.EACCES, "Permission denied", str(folder))
        return real(folder, prefix, suffix)

    monkeypatch.setattr(cache_mod, "new_file", refusing)
    disk = DiskCache(tmp_path)
    with pytest.warns(CacheWarning, match="cannot be written"):
        disk.set_many({"ab01": "x", "cd02": "y", "ef03": "z"})
    assert disk.get_many(["ab01", "cd02", "ef03"]) == {"cd02": "y", "ef03": "z"}


def test_stale_temp_files_are_removed_in_the_shard_folders_only(tmp_path):
    # a shard folder replaced by a link: the clean-up deleted old .tmp- files in its target
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / ".tmp-precious"
    victim.write_text("x")
    disk = DiskCache(tmp_path / "cache")
    disk.set_many({"ab01": "value"})
    (tmp_path / "cache" / "cd").symlink_to(elsewhere)
    assert disk.remove_stale_temp_files(older_than=-1) == 0
    assert victim.exists()


def test_a_damaged_entry_found_so_is_written_back_from_memory(tmp_path, caplog):
    """An entry this process wrote, cut short by hand afterwards, stayed cut: a memory hit
    takes an entry it wrote to be on disk still (no stat per hit), and finding it damaged
    (``in``, ``keys()``) did not change that, so it was never written back from memory."""
    store = TieredCache([MemoryCache(), DiskCache(tmp_path)])
    disk = store.layers[1]
    keys = [hash_key("cut", i) for i in range(3)]
    store.set_many({key: np.arange(4, dtype=np.float32) + i for i, key in enumerate(keys)})
    for key in keys:
        with open(disk._file(key), "r+b") as fh:
            fh.truncate(20)
    assert list(store.get_many(keys)) == keys  # memory hits: not looked at on disk (no stat)
    assert not any(key in disk for key in keys[:2]) and list(disk.keys()) == []  # found cut
    got = store.get_many(keys)
    assert [int(got[key][0]) for key in keys] == [0, 1, 2]
    fresh = DiskCache(tmp_path)
    assert sorted(fresh.keys()) == sorted(keys)  # written back from memory
    assert [int(fresh.get_many([key])[key][0]) for key in keys] == [0, 1, 2]


def test_a_linked_shard_is_not_read_listed_or_written_through(tmp_path):
    """keys() (and len, in, get_many) followed a shard folder that is a symbolic link: to a
    folder elsewhere, it listed and read that folder's entries, and wrote new ones there; a
    link looping back into the cache folder (or to its parent) was followed as well."""
    elsewhere = DiskCache(tmp_path / "elsewhere")
    keys = [hash_key("linked", i) for i in range(300)]
    elsewhere.set_many({key: "outside" for key in keys})
    disk = DiskCache(tmp_path / "cache")
    own = next(key for key in keys if key[:2] != keys[0][:2])
    disk.set_many({own: "inside"})
    linked = [key for key in keys if key[:2] == keys[0][:2]]
    (tmp_path / "cache" / keys[0][:2]).symlink_to(tmp_path / "elsewhere" / keys[0][:2])
    loops = {"ff": "ff", "fe": ".", "fd": "..", "fc": str(tmp_path / "cache")}  # back in
    for name, target in loops.items():
        if name != own[:2] and name != keys[0][:2]:
            (tmp_path / "cache" / name).symlink_to(target)
    assert list(disk.keys()) == [own] and len(disk) == 1
    assert linked[0] not in disk and disk.get_many(linked) == {}
    assert (tmp_path / "elsewhere" / keys[0][:2] / f"{linked[0]}.skbc").exists()  # left alone
    new = next(hash_key("new", i) for i in range(10_000) if hash_key("new", i)[:2] == keys[0][:2])
    with pytest.warns(CacheWarning, match=r"the entries under '.*' .*symbolic link"):
        disk.set_many({new: "written?"})
    assert not (tmp_path / "elsewhere" / new[:2] / f"{new}.skbc").exists()
    assert disk.unwritten == 1 and disk.get_many([own]) == {own: "inside"}


def test_disk_cache_keys_are_the_entries_only(tmp_path):
    # other files in the folder (notes, a copy filed in the wrong folder, a folder named like
    # an entry) are not entries: keys() feeds get_many, which must take every key it gives
    disk, key, file = _one_entry(tmp_path)
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "notes.skbc").write_text("x")
    (tmp_path / "00").mkdir(exist_ok=True)
    (tmp_path / "00" / (key + ".skbc")).write_bytes(file.read_bytes())
    (file.parent / ("ab" + key[2:] + ".skbc")).mkdir()
    assert list(disk.keys()) == [key] and len(disk) == 1
    assert list(disk.get_many(list(disk.keys()))) == [key]


def test_disk_cache_bad_path_and_key(tmp_path):
    not_dir = tmp_path / "file.txt"
    not_dir.write_text("x")
    with pytest.raises(CacheError, match="not a folder"):
        DiskCache(not_dir)
    with pytest.raises(CacheError, match="hex"):
        DiskCache(tmp_path / "c").set_many({"../escape": "x"})


@pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_disk_cache_entries_are_created_like_any_new_file(tmp_path, umask):
    """0o666 less the umask, so other users of a shared cache folder can read the entries
    (mkstemp made them 0o600: a miss for everyone else)."""
    old = os.umask(umask)
    try:
        disk = DiskCache(tmp_path)
        disk.set_many({"ab12": np.arange(3.0)})
    finally:
        os.umask(old)
    entry = tmp_path / "ab" / "ab12.skbc"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o666 & ~umask
    assert list(entry.parent.iterdir()) == [entry]  # no temporary file left
    assert disk.get_many(["ab12"])["ab12"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")
def test_shard_folders_get_the_cache_folders_permission_bits(tmp_path):
    """A shared folder made group-writable (setgid, 2775) stays writable for the group in
    the shard folders this process makes, whatever its umask (they were 0755: the group
    could read but never add an entry, though the docs said the folder's mode sufficed)."""
    root = tmp_path / "shared"
    root.mkdir()
    os.chmod(root, 0o2775)
    old = os.umask(0o022)
    try:
        DiskCache(root).set_many({"ab12": np.arange(3.0), "cd34": "x"})
    finally:
        os.umask(old)
    for shard in ("ab", "cd"):
        assert stat.S_IMODE((root / shard).stat().st_mode) == 0o2775
    assert DiskCache(root).get_many(["ab12"])["ab12"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")
@pytest.mark.parametrize(
    ("parent_bits", "made_bits"),
    [
        (0o2775, 0o2775),  # a group's shared folder: the group can add entries below
        (0o0770, 0o0770),
        (0o0755, 0o0755),  # not shared: as any new folder (umask 022)
        (0o0700, 0o0755),
        (0o1777, 0o0755),  # writable by everyone (/tmp): never copied
    ],
)
def test_missing_cache_folders_inside_a_group_folder_get_its_bits(tmp_path, parent_bits, made_bits):
    """The pipeline's captions/ and embeddings/ sub-caches inside a shared chmod 2775 folder
    were made with the umask (0755), and their shards copied that: other users of the
    group could not add an entry, against what docs/scaling.rst promised."""
    parent = tmp_path / "shared"
    parent.mkdir()
    os.chmod(parent, parent_bits)
    old = os.umask(0o022)
    try:
        DiskCache(parent / "embeddings" / "v1").set_many({"ab12": np.arange(3.0)})
    finally:
        os.umask(old)
    for folder in ("embeddings", "embeddings/v1", "embeddings/v1/ab"):
        assert stat.S_IMODE((parent / folder).stat().st_mode) == made_bits, folder
    assert stat.S_IMODE(parent.stat().st_mode) == parent_bits


@pytest.mark.skipif(os.name != "posix", reason="file modes and links are POSIX")
@pytest.mark.parametrize(
    ("cache_name", "swapped", "bits"),
    [
        ("embeddings", "embeddings", 0o2775),  # a sub-cache made inside a group's folder
        ("cache", "ab", 0o0777),  # a shard made inside a cache folder open to everyone
    ],
)
def test_a_new_folder_swapped_for_a_link_does_not_pass_its_bits_to_the_links_target(
    tmp_path, monkeypatch, cache_name, swapped, bits
):
    """Between mkdir and chmod, someone who can write the parent may put a link to a file of
    ours in the new folder's place: chmod followed it (a ~/.bashrc made group-writable)."""
    import pathlib

    parent = tmp_path / "shared"
    parent.mkdir()
    os.chmod(parent, bits)
    root = parent / cache_name
    if cache_name == "cache":
        root.mkdir()
        os.chmod(root, bits)
    victim = tmp_path / "victim"
    victim.write_text("x")
    os.chmod(victim, 0o644)
    real = pathlib.Path.mkdir

    def racing(self, *args, **kwargs):
        real(self, *args, **kwargs)
        if self.name == swapped:  # the other user's move, right after ours
            os.rmdir(self)
            os.symlink(victim, self)

    monkeypatch.setattr(pathlib.Path, "mkdir", racing)
    old = os.umask(0o022)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the entry cannot be written below a file
            DiskCache(root).set_many({"ab12": np.arange(3.0)})
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o644


def _closed_to_this_user(monkeypatch, folder):
    """Make ``folder`` behave as another user's closed folder does for this process: a stat
    or a read below it fails with EACCES (the tests may run as root, who passes every
    permission check)."""
    import errno
    import pathlib

    inside = str(folder)
    real_stat, real_read, real_open = os.stat, pathlib.Path.read_bytes, os.open

    def closed(path):
        return os.fspath(path).startswith(inside + os.sep)

    def stat_(path, *args, **kwargs):
        if not isinstance(path, int) and closed(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def read_bytes(self):
        if closed(self):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    def open_(path, *args, **kwargs):
        if closed(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_)
    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)


def test_a_cache_folder_this_user_cannot_read_costs_only_the_reuse(tmp_path, monkeypatch):
    """Another user's entries that this one may not read (a umask-077 writer), or a folder
    above the cache that it may not enter: misses and one CacheWarning, not a
    PermissionError from a stat (Path.is_file raises it on Python 3.11-3.13) nor a log line
    per entry."""
    keys = [hash_key("text", i) for i in range(5)]
    DiskCache(tmp_path / "c").set_many({k: np.arange(2.0) for k in keys})
    _closed_to_this_user(monkeypatch, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):  # the second call finds the values in memory, then asks the disk
            tiers = TieredCache([MemoryCache(), DiskCache(tmp_path / "c")])
            assert tiers.get_many(keys) == {}
            tiers.set_many({k: np.arange(2.0) for k in keys})
            assert sorted(tiers.get_many(keys)) == sorted(keys)  # from memory
        assert keys[0] not in DiskCache(tmp_path / "c") and len(DiskCache(tmp_path / "c")) == 0
        DiskCache(tmp_path / "c" / "deeper")  # its folder cannot even be looked at
    messages = [str(w.message) for w in caught]
    assert [type(w.message) for w in caught] == [CacheWarning] * 2, messages
    assert "cannot be read" in messages[0] and "not reused from there" in messages[0]
    assert "cannot be written" in messages[1] and "not stored there" in messages[1]


def test_disk_cache_missing_folder_is_empty(tmp_path):
    disk = DiskCache(tmp_path / "never-created")
    assert len(disk) == 0 and disk.get_many([hash_key("x")]) == {}
    assert "x" not in disk and "x" not in MemoryCache()  # no key: not in either layer


def test_cache_handles_pickle_without_contents(tmp_path):
    disk = pickle.loads(pickle.dumps(DiskCache(tmp_path, fsync=True)))
    assert disk.path == tmp_path and disk.fsync
    mem = MemoryCache(max_items=5)
    mem.set_many({"a": "x"})
    mem2 = pickle.loads(pickle.dumps(mem))
    assert mem2.max_items == 5 and len(mem2) == 0


_WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from skbucket.cache import DiskCache, hash_key
    path, who, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    disk = DiskCache(path)
    for r in range(rounds):
        for i in range(40):
            # shared keys: both writers write the same content; own keys: only this writer
            disk.set_many({
                hash_key("shared", i): np.full(64, i, dtype=np.float32),
                hash_key(who, r, i): np.full(64, r * 1000 + i, dtype=np.float32),
            })
            got = disk.get_many([hash_key("shared", i)])
            for value in got.values():
                assert (value == i).all(), "read a wrong value"
    print("ok")
    """
)


def test_two_processes_writing_the_same_cache_corrupt_nothing(tmp_path):
    path = tmp_path / "shared-cache"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), who, "5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("A", "B")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    disk = DiskCache(path)
    assert len(disk) == 40 + 2 * 5 * 40
    assert not list(path.glob("??/.tmp-*"))
    shared = disk.get_many([hash_key("shared", i) for i in range(40)])
    assert len(shared) == 40
    for i in range(40):
        assert (shared[hash_key("shared", i)] == i).all()
    for who in ("A", "B"):
        own = disk.get_many([hash_key(who, r, i) for r in range(5) for i in range(40)])
        assert len(own) == 200
        assert (own[hash_key(who, 4, 39)] == 4039).all()


# --------------------------------------------------------------------------------------------
# TieredCache and open_cache
# --------------------------------------------------------------------------------------------
class MgetStore:
    """A store written as a Redis ``mget`` adapter: ``None`` for each key it lacks."""

    def __init__(self):
        self.data = {}

    def get_many(self, keys):
        return {key: self.data.get(key) for key in keys}

    def set_many(self, mapping):
        self.data.update(mapping)


def test_a_layer_that_maps_missing_keys_to_none_reads_them_as_misses(tmp_path):
    slow = MgetStore()
    slow.data["b"] = np.arange(3.0)
    tiered = TieredCache([MemoryCache(), slow])
    got = tiered.get_many(["a", "b"])
    assert list(got) == ["b"]  # "a" is a miss, not a hit holding None
    np.testing.assert_array_equal(got["b"], np.arange(3.0))
    assert "a" not in tiered.layers[0]  # no None promoted into the memory layer


def test_a_layer_with_get_many_and_set_many_only_takes_the_hits_of_faster_layers():
    """CacheLike asks for get_many/set_many only: a memory hit was checked against such a
    slower layer with `in`, a TypeError."""

    class Minimal:
        def __init__(self):
            self.data = {}

        def get_many(self, keys):
            return {key: self.data[key] for key in keys if key in self.data}

        def set_many(self, mapping):
            self.data.update(mapping)

    fast, slow = MemoryCache(), Minimal()
    fast.set_many({"q": "w"})
    tiered = TieredCache([fast, slow])
    assert tiered.get_many(["q", "x"]) == {"q": "w"}
    assert slow.data == {"q": "w"}  # written through to the slower layer
    assert "q" in TieredCache([Minimal(), slow]) and "x" not in TieredCache([slow])


def test_a_store_whose_get_many_returns_no_mapping_is_a_cache_error():
    class ListStore(MgetStore):
        def get_many(self, keys):
            return [self.data.get(key) for key in keys]

    with pytest.raises(CacheError, match=r"ListStore.get_many must return a dict .* got list"):
        TieredCache([MemoryCache(), ListStore()]).get_many(["a"])


def test_tiered_cache_promotes_disk_hits_and_writes_both(tmp_path):
    mem, disk = MemoryCache(), DiskCache(tmp_path)
    tiers = TieredCache([mem, disk])
    tiers.set_many({"aa11": "x"})
    assert "aa11" in mem and "aa11" in disk
    disk.set_many({"bb22": "y"})  # e.g. written by another process
    assert "bb22" not in mem
    assert tiers.get_many(["aa11", "bb22", "cc33"]) == {"aa11": "x", "bb22": "y"}
    assert "bb22" in mem
    assert len(tiers) == 2 and "bb22" in tiers


def test_tiered_cache_writes_memory_hits_to_a_disk_layer_that_lacks_them(tmp_path):
    mem, disk = MemoryCache(), DiskCache(tmp_path)
    mem.set_many({"aa11": "computed earlier with cache=None"})
    assert TieredCache([mem, disk]).get_many(["aa11"]) == {
        "aa11": "computed earlier with cache=None"
    }
    assert DiskCache(tmp_path).get_many(["aa11"]) == {"aa11": "computed earlier with cache=None"}


def test_a_memory_hit_known_to_be_on_disk_costs_no_stat(tmp_path, monkeypatch):
    """Every memory hit asked the disk layer whether it held the key too (two stats a key:
    10^5 embeddings took 2 s, as long as reading them from disk; on NFS a round trip each)."""
    from skbucket import cache as cache_module

    keys = [hash_key("model", i) for i in range(50)]
    tiers = TieredCache([MemoryCache(), DiskCache(tmp_path)])
    tiers.set_many(dict.fromkeys(keys[:25], "written"))
    DiskCache(tmp_path).set_many(dict.fromkeys(keys[25:], "by another process"))
    TieredCache([MemoryCache(), DiskCache(tmp_path)]).get_many(keys[25:])  # read once here
    stats = []
    real = cache_module._read_entry_file
    monkeypatch.setattr(cache_module, "_read_entry_file", lambda p: stats.append(p) or real(p))
    mem = MemoryCache()
    mem.set_many(dict.fromkeys(keys, "in memory"))
    assert len(TieredCache([mem, DiskCache(tmp_path)]).get_many(keys)) == 50
    assert stats == []
    # an entry found damaged is dropped, and is written back on the next memory hit
    damaged = DiskCache(tmp_path)._file(keys[0])
    damaged.write_bytes(b"not an entry")
    assert DiskCache(tmp_path).get_many([keys[0]]) == {}
    assert not damaged.exists()
    TieredCache([mem, DiskCache(tmp_path)]).get_many([keys[0]])
    assert DiskCache(tmp_path).get_many([keys[0]]) == {keys[0]: "in memory"}


@pytest.mark.parametrize(
    ("on_disk", "in_memory"),
    [
        ("abc", "0abc"),  # the same number, leading zeros aside
        ("0123456789abcdef0", "0123456789abcdef1"),  # the same first 16 digits
        ("0" * 64, "0" * 63 + "1"),
    ],
)
def test_keys_known_to_be_on_disk_are_told_apart(tmp_path, on_disk, in_memory):
    """The keys known to be on disk were kept as the integer of their first 16 hex digits:
    a memory hit of one key was taken to be on disk when another key, whose file is another,
    had been written, and was never written there."""
    TieredCache([MemoryCache(), DiskCache(tmp_path)]).set_many({on_disk: "written"})
    mem = MemoryCache()
    mem.set_many({in_memory: "in memory"})
    assert TieredCache([mem, DiskCache(tmp_path)]).get_many([in_memory]) == {in_memory: "in memory"}
    assert DiskCache(tmp_path).get_many([on_disk, in_memory]) == {
        on_disk: "written",
        in_memory: "in memory",
    }


def test_a_relative_cache_folder_after_a_chdir_is_another_folder(tmp_path, monkeypatch):
    """The keys known to be on disk were filed under the folder's name as given: after a
    chdir (a notebook's %cd) "cache" was another folder, and memory hits were not written
    to it."""
    key = hash_key("model", "text")
    mem = MemoryCache()
    for place in ("a", "b"):
        (tmp_path / place).mkdir()
        monkeypatch.chdir(tmp_path / place)
        if place == "a":  # written there; in b only the memory holds it
            TieredCache([mem, DiskCache("cache")]).set_many({key: "v"})
        assert TieredCache([mem, DiskCache("cache")]).get_many([key]) == {key: "v"}
        assert DiskCache(tmp_path / place / "cache").get_many([key]) == {key: "v"}, place


def test_an_entry_held_open_by_a_reader_is_kept_not_warned_about(tmp_path, monkeypatch):
    """On Windows a cache file another process is reading cannot be replaced: a second
    worker writing the same entry warned that the folder 'cannot be written' (and stayed
    silent about the folder's real failures after that)."""
    import skbucket.cache as cache_module

    DiskCache(tmp_path).set_many({"ab12": "value"})
    real = os.replace

    def held_open(src, dst):  # what Windows answers while a reader holds ``dst``
        if os.path.exists(dst):
            raise PermissionError(13, "Access is denied")
        return real(src, dst)

    monkeypatch.setattr(cache_module.os, "replace", held_open)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DiskCache(tmp_path).set_many({"ab12": "value", "ab34": "new"})
    assert DiskCache(tmp_path).get_many(["ab12", "ab34"]) == {"ab12": "value", "ab34": "new"}
    assert not list(tmp_path.glob("ab/.tmp-*"))  # the unused copy is not left behind


def test_a_damaged_entry_this_user_cannot_replace_is_said_not_taken_for_written(
    tmp_path, monkeypatch, caplog
):
    """Another user's damaged entry in a folder with the sticky bit (chmod 1777), which only
    its owner may replace or delete: the replace's PermissionError was taken for Windows'
    "held open by a reader" (the file is there, so it holds these bytes), and the entry was
    computed again at every run, silently."""
    import errno

    import skbucket.cache as cache_module

    disk = DiskCache(tmp_path)
    key = hash_key("post", 1)
    disk.set_many({key: "another user's caption"})
    file = disk._file(key)
    damaged = file.read_bytes()[:-5]
    file.write_bytes(damaged)
    file.parent.chmod(0o1777)
    real_replace, real_unlink = os.replace, os.unlink

    def owners_only(path):  # what the sticky bit answers another user
        if os.fspath(path) == os.fspath(file):
            raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(
        cache_module.os, "replace", lambda src, dst: owners_only(dst) or real_replace(src, dst)
    )
    monkeypatch.setattr(cache_module.os, "unlink", lambda p: owners_only(p) or real_unlink(p))
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        for _ in range(2):  # two runs' lookups (one process: said once)
            store = open_cache(tmp_path)
            process_memory_cache().clear()
            assert store.get_many([key]) == {}
            store.set_many({key: "this user's caption"})
            assert store.layers[1].unwritten == 1
    assert file.read_bytes() == damaged
    assert "ignoring unreadable entry" in caplog.text and "cannot be removed" in caplog.text
    messages = [str(w.message) for w in caught]
    assert [type(w.message) for w in caught] == [CacheWarning], messages
    assert repr(str(file)) in messages[0] and "sticky bit only its owner" in messages[0]
    assert "not stored there" in messages[0]


def test_unwritable_disk_cache_warns_once_and_continues(tmp_path):
    """One CacheWarning per folder (the CLI prints it as one line), not a log line per batch."""
    blocker = tmp_path / "ab"
    blocker.write_text("a file where the shard folder should be")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for batch in range(3):  # batches of one transform, and a second one's new handle
            DiskCache(tmp_path).set_many({"ab12": "value", f"ab{batch}f": "more"})
            open_cache(tmp_path).set_many({"ab34": "again"})
    assert [type(w.message) for w in caught] == [CacheWarning]
    message = str(caught[0].message)
    assert f"the entries under '{blocker}' of the cache folder '{tmp_path}' cannot be" in message
    assert "not stored" in message
    assert DiskCache(tmp_path).get_many(["ab12"]) == {}
    other = tmp_path / "other"
    (other / "cd").parent.mkdir()
    (other / "cd").write_text("blocks this folder too")
    with pytest.warns(CacheWarning, match="other"):  # another folder: its own warning
        DiskCache(other).set_many({"cd12": "value"})


def test_open_cache_parameter_meanings(tmp_path):
    assert open_cache(False) is None
    assert open_cache(None) is process_memory_cache()
    tiers = open_cache(tmp_path / "d")
    assert isinstance(tiers, TieredCache)
    assert tiers.layers[0] is process_memory_cache()
    assert isinstance(tiers.layers[1], DiskCache) and tiers.layers[1].path == tmp_path / "d"
    assert isinstance(open_cache(str(tmp_path)), TieredCache)
    own = MemoryCache()
    assert open_cache(own) is own
    with pytest.raises(CacheError, match="cache must be"):
        open_cache(42)
    with pytest.raises(CacheError, match="cache must be"):
        open_cache("  ")
    # numpy booleans (cache=np.False_ passes the estimators' "boolean" check) mean their bool
    assert open_cache(np.False_) is None
    assert open_cache(np.True_) is process_memory_cache()
    # a URL names no folder here (it made the folders redis:/host:6379)
    with pytest.raises(CacheError, match=r"'s3://bucket/cache' is a URL.*get_many/set_many"):
        open_cache("s3://bucket/cache")
    # a drive letter is no scheme (C://x: a Windows folder, or the relative folder C: here)
    assert isinstance(open_cache("C://cachedir"), TieredCache)


def test_a_store_of_your_own_that_cannot_store_is_counted_in_the_interrupt_note(tmp_path):
    class Down:
        def get_many(self, keys):
            return {}

        def set_many(self, mapping):
            raise ConnectionError("gone")

    handle = open_cache(Down())
    assert handle.store.__class__ is Down  # wrapped: its failures cost the caching only
    with pytest.warns(CacheWarning, match=r"cache store Down: set_many failed \(Connection"):
        handle.set_many({"ab": "x", "cd": "y"})
    handle.set_many({"ef": "z"})  # said once per handle (one call of an estimator)
    assert interrupt_note(handle) == (
        " and stored in Down, but for 3 that could not be stored (see the cache warning): a "
        "rerun resumes from the cache and computes those again"
    )
    # as a layer beside a disk: the store's failed writes are its own, not the disk's
    disk = DiskCache(tmp_path / "disk")
    handle = open_cache(TieredCache([MemoryCache(), disk, TieredCache([Down()])]))
    with pytest.warns(CacheWarning, match="cache store Down: set_many failed"):
        handle.set_many({"ab12": "x"})
    assert interrupt_note(handle) == (
        f" and cached on disk in {str(disk.path)!r} and stored in Down, but for 1 that could "
        "not be stored (see the cache warning): a rerun resumes from the cache and computes "
        "those again"
    )


# mutation-audit tests: each fails on a plausible one-line slip in cache.py
def test_hash_key_tells_close_floats_apart():
    from skbucket.cache import hash_key

    assert hash_key(0.1) != hash_key(0.1 + 1e-12)


def test_disk_cache_fsync_on_a_file_system_that_cannot_sync(tmp_path, monkeypatch):
    """fsync=True stores entries where the file system refuses fsync with EINVAL (as
    replace_atomically does), and a sync that fails to write (EIO) is a failed write."""
    import errno

    disk, key = DiskCache(tmp_path, fsync=True), hash_key("k")

    def refuse(fd):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "fsync", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disk.set_many({key: np.arange(3)})
    assert disk.get_many([key])[key].tolist() == [0, 1, 2]

    def fail(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", fail)
    other = hash_key("other")
    with pytest.warns(CacheWarning, match="cannot be written"):
        disk.set_many({other: np.arange(2)})
    assert disk.get_many([other]) == {}


def test_a_value_too_large_for_an_entry_file_is_not_written(tmp_path, monkeypatch):
    """A value whose file would be over MAX_ENTRY_BYTES was written without a word, and every
    read then refused that file: never a hit, yet ``in`` and ``len`` counted it and
    ``unwritten`` said nothing was lost."""
    from skbucket import cache as cache_module

    monkeypatch.setattr(cache_module, "MAX_ENTRY_BYTES", 1000)
    disk = DiskCache(tmp_path)
    big, small = hash_key("big"), hash_key("small")
    with pytest.warns(CacheWarning, match=r"cannot be written at .*more than an entry holds"):
        disk.set_many({big: np.zeros(1000, dtype=np.float32), small: np.zeros(3)})
    assert big not in disk and len(disk) == 1 and disk.unwritten == 1
    assert list(disk.get_many([big, small])) == [small]
    assert not list(tmp_path.glob("??/.tmp-*"))


def test_disk_cache_fsync_syncs_the_folders_of_a_new_entry(tmp_path, monkeypatch):
    """fsync=True synced each entry's bytes but not its folder: after a power loss the rename
    could be undone (the entry a miss, a .tmp- file left) though the file had been synced, as
    the project's other atomic writes (replace_atomically) do not allow."""
    synced = []
    real = os.fsync

    def record(fd):
        info = os.fstat(fd)
        synced.append((stat.S_ISDIR(info.st_mode), info.st_ino))
        return real(fd)

    monkeypatch.setattr(os, "fsync", record)
    disk, key = DiskCache(tmp_path / "c", fsync=True), hash_key("k")
    disk.set_many({key: np.arange(3)})
    shard = disk._file(key).parent
    folders = {ino for is_dir, ino in synced if is_dir}
    assert os.stat(shard).st_ino in folders  # the entry's name
    assert os.stat(tmp_path / "c").st_ino in folders  # the new shard's name
    assert (False, os.stat(disk._file(key)).st_ino) in synced  # the entry's bytes
    synced.clear()
    DiskCache(tmp_path / "c").set_many({hash_key("other"): np.arange(2)})
    assert synced == []  # without fsync, nothing is synced


def test_a_cache_folder_below_a_dangling_link_says_where_the_link_points(tmp_path):
    """A cache folder through a symbolic link to a folder that is gone (a disk not mounted)
    was "cannot be written (File exists)", which mkdir answers; the link is named now."""
    link = tmp_path / "caches"
    link.symlink_to(tmp_path / "unmounted" / "disk")
    cache = open_cache(str(link / "embeddings"))
    with pytest.warns(CacheWarning, match="cannot be written") as caught:
        cache.set_many({hash_key("a post"): np.zeros(3, dtype=np.float32)})
    (said,) = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    assert f"{str(link)!r} is a symbolic link to {str(tmp_path / 'unmounted' / 'disk')!r}" in said
    assert "File exists" not in said, said


@pytest.mark.parametrize("below", [False, True])
def test_a_cache_folder_that_is_a_dangling_link_makes_nothing_through_it(tmp_path, below):
    """A cache folder that is (or is below) a symbolic link to a folder that is gone is not
    followed to make the link's target (as a linked shard is not followed): nothing is
    stored, read or listed there, and the warning names the link and its target."""
    target = tmp_path / "unmounted" / "disk"
    link = tmp_path / "cache"
    link.symlink_to(target)
    disk = DiskCache(link / "captions" if below else link)
    key = hash_key("a post")
    with pytest.warns(CacheWarning, match="cannot be written") as caught:
        disk.set_many({key: "a caption"})
    said = " ".join(str(w.message) for w in caught)
    assert f"{str(link)!r} is a symbolic link to {str(target)!r}, which does not exist" in said
    assert disk.unwritten == 1 and disk.get_many([key]) == {} and key not in disk
    assert list(disk.keys()) == [] and len(disk) == 0 and disk.remove_stale_temp_files() == 0
    assert not os.path.lexists(tmp_path / "unmounted") and link.is_symlink()


def test_a_cache_folder_named_through_a_link_and_dotdot_is_warned_about(tmp_path, monkeypatch):
    """The once-per-folder warnings knew a folder by ``os.path.abspath``, which drops a
    ``..`` as text: ``link/../cache`` (the folder beside the link's target) was taken for
    ``cache`` here, already said about, and its warning was lost."""
    key = hash_key("a post")
    (tmp_path / "project").mkdir()
    (tmp_path / "elsewhere" / "sub").mkdir(parents=True)
    (tmp_path / "project" / "link").symlink_to(tmp_path / "elsewhere" / "sub")
    for folder in (tmp_path / "project" / "cache", tmp_path / "elsewhere" / "cache"):
        entry = DiskCache(folder)._file(key)
        entry.parent.mkdir(parents=True)
        entry.write_bytes(b"SKBCACH2" + bytes(60))  # a newer skbucket's entry
    monkeypatch.chdir(tmp_path / "project")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for folder in ("cache", "link/../cache", "link/../cache", tmp_path / "project" / "cache"):
            DiskCache(folder).set_many({key: "a caption"})
    said = [str(w.message) for w in caught]
    assert [w.category for w in caught] == [CacheWarning, CacheWarning], said
    assert "'cache'" in said[0] and "'link/../cache'" in said[1]
