"""Tests for safe persistence (skbucket.io): skops container, tamper detection, joblib."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import platform
import re
import subprocess
import sys
import textwrap
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.linear_model import Ridge
from sklearn.tree import DecisionTreeClassifier

import skbucket
from skbucket import io as skio
from skbucket.bucketed import BucketedRegressor

#: What skops (0.16) does not trust in a BucketedRegressor with a decision-tree
#: classifier and the seed default XGBoost/CatBoost regressors.
SEED_UNTRUSTED = [
    "catboost.core.CatBoostRegressor",
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBRegressor",
]


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, size=(160, 3))
    y = np.round(np.expm1(X[:, 0]))
    return X, y


@pytest.fixture(scope="module")
def seed_model(data):
    """BucketedRegressor with the seed default regressors (XGBoost + CatBoost)."""
    X, y = data
    clf = DecisionTreeClassifier(max_depth=3, random_state=0)
    return BucketedRegressor(clf, regressors=None, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def saved(seed_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "model.skbucket"
    skio.save(seed_model, path)
    return path


def _rewrite(src, dst, *, replace=None, extra=None):
    """Copy the zip ``src`` to ``dst`` replacing members' bytes and adding members."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name in replace:
                data = replace[name](data) if callable(replace[name]) else replace[name]
            zout.writestr(name, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def _swap_model(src, dst, payload):
    """``src`` with its model replaced by ``payload`` and the digest in meta.json fixed to
    match (what anyone can do: the digest is no signature)."""

    def fix_digest(meta):
        meta = json.loads(meta)
        meta["sha256"] = hashlib.sha256(payload).hexdigest()
        return json.dumps(meta).encode()

    return _rewrite(src, dst, replace={"model.skops": payload, "meta.json": fix_digest})


def test_round_trip_predicts_identically(seed_model, saved, data):
    X, _ = data
    assert sorted(os.listdir(saved.parent)) == ["model.skbucket"]  # no temporary file left
    trusted = skio.get_untrusted_types(saved)
    assert trusted == SEED_UNTRUSTED
    loaded = skio.load(saved, trusted=trusted)
    assert type(loaded) is BucketedRegressor
    np.testing.assert_array_equal(loaded.predict(X), seed_model.predict(X))
    np.testing.assert_array_equal(
        loaded.predict_bucket_proba(X), seed_model.predict_bucket_proba(X)
    )


def test_read_metadata_of_a_valid_model_file_without_a_record_says_so(tmp_path):
    """A joblib file from `skbucket fit` was called "corrupted or truncated"."""
    from sklearn.linear_model import Ridge

    model = Ridge().fit([[0.0], [1.0]], [0.0, 1.0])
    joblib_file = tmp_path / "model.joblib"
    skio.save(model, joblib_file, format="joblib")
    skops_file = tmp_path / "model.skops"
    skops.io.dump(model, skops_file)
    for path, what in ((joblib_file, "a joblib/pickle file"), (skops_file, "a plain skops file")):
        with pytest.raises(
            skio.PersistenceError, match=f"is {what}, not a skbucket container"
        ) as info:
            skio.read_metadata(path)
        assert info.type is skio.PersistenceError  # not TamperedFileError: nothing is damaged


def test_container_layout_and_metadata(saved):
    with zipfile.ZipFile(saved) as zf:
        assert sorted(zf.namelist()) == ["meta.json", "model.skops"]
        payload = zf.read("model.skops")
    meta = skio.read_metadata(saved)
    assert meta["format"] == "skbucket-model"
    assert meta["sha256"] == hashlib.sha256(payload).hexdigest()
    assert meta["model_type"] == "skbucket.bucketed.BucketedRegressor"
    versions = meta["versions"]
    assert versions["skbucket"] == skbucket.__version__
    import sklearn

    assert versions["scikit-learn"] == sklearn.__version__
    for name in ("transformers", "xgboost", "catboost", "python"):
        assert name in versions


def test_untrusted_types_are_listed_in_the_error(saved):
    with pytest.raises(skio.UntrustedTypesError) as info:
        skio.load(saved)
    assert info.value.untrusted_types == SEED_UNTRUSTED
    for name in SEED_UNTRUSTED:
        assert name in str(info.value)
    # trusting only some of them is not enough; the rest are named
    with pytest.raises(skio.UntrustedTypesError, match="xgboost.core.Booster") as info:
        skio.load(saved, trusted=["catboost.core.CatBoostRegressor", "sklearn.tree._tree.Tree"])
    assert info.value.untrusted_types == ["xgboost.core.Booster", "xgboost.sklearn.XGBRegressor"]
    # it crosses a process pool to the parent (copy and pickle rebuilt it from the message
    # alone: a TypeError, and joblib's pool broke with "failed to un-serialize")
    made = skio.UntrustedTypesError("m holds untrusted types", ["a.B"])
    made.add_note("while loading m")
    for again in (copy.copy(made), copy.deepcopy(made), pickle.loads(pickle.dumps(made))):
        assert (str(again), again.untrusted_types) == ("m holds untrusted types", ["a.B"])
        assert again.__notes__ == ["while loading m"]


def test_trusted_accepts_types_and_refuses_true(saved):
    from catboost import CatBoostRegressor
    from sklearn.tree._tree import Tree
    from xgboost import Booster, XGBRegressor

    model = skio.load(saved, trusted=[CatBoostRegressor, Tree, Booster, XGBRegressor])
    assert isinstance(model, BucketedRegressor)
    with pytest.raises(TypeError, match="CVE-2024-37065"):
        skio.load(saved, trusted=True)
    # not an AttributeError ('int' object has no attribute '__module__')
    with pytest.raises(
        TypeError, match=r"trusted must hold type names \(str\) or types; got int 5"
    ):
        skio.load(saved, trusted=["xgboost.core.Booster", 5])
    with pytest.raises(TypeError, match=r"trusted must be a list .*; got int 5"):
        skio.load(saved, trusted=5)
    with pytest.raises(TypeError, match=r"trusted must be a list .*; got b'xgboost'"):
        skio.load(saved, trusted=b"xgboost")


def test_replaced_model_member_is_refused(saved, tmp_path, data):
    X, y = data
    other = skops.io.dumps(Ridge().fit(X, y))
    bad = _rewrite(saved, tmp_path / "bad.skbucket", replace={"model.skops": other})
    with pytest.raises(skio.TamperedFileError, match="SHA-256 .* does not match"):
        skio.load(bad, trusted=SEED_UNTRUSTED)
    with pytest.raises(skio.TamperedFileError):
        skio.get_untrusted_types(bad)


def test_flipped_byte_is_refused(saved, tmp_path):
    def flip(data):
        data = bytearray(data)
        data[len(data) // 2] ^= 0x01
        return bytes(data)

    bad = _rewrite(saved, tmp_path / "flip.skbucket", replace={"model.skops": flip})
    with pytest.raises(skio.TamperedFileError, match="modified or corrupted"):
        skio.load(bad, trusted=SEED_UNTRUSTED)


def test_damaged_container_bytes_are_tampered_file_errors(saved, tmp_path):
    # a cut-off copy, an empty file, a flipped byte in the compressed stream
    data = saved.read_bytes()
    cases = {"cut.skbucket": data[: len(data) // 2], "empty.skbucket": b""}
    damaged = bytearray(data)
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("model.skops")
    damaged[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF  # inside its data
    cases["flipped.skbucket"] = bytes(damaged)
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        for kwargs in ({}, {"allow_pickle": True}):  # never handed to pickle
            with pytest.raises(skio.TamperedFileError, match="corrupted|truncated|empty"):
                skio.load(path, trusted=SEED_UNTRUSTED, **kwargs)
        with pytest.raises(skio.TamperedFileError):
            skio.get_untrusted_types(path)
    with pytest.raises(FileNotFoundError):
        skio.get_untrusted_types(tmp_path / "missing.skbucket")


def test_a_container_whose_objects_nest_without_end_is_a_tampered_file_error(tmp_path):
    """A crafted container with a valid digest whose skops schema has a node holding itself:
    the type audit passed, then loading raised a bare RecursionError."""
    import io

    ok = skio.save([[1]], tmp_path / "ok.skbucket")
    with zipfile.ZipFile(ok) as zf:
        meta = json.loads(zf.read("meta.json"))
        inner = zipfile.ZipFile(io.BytesIO(zf.read("model.skops")))
    schema = json.loads(inner.read("schema.json"))
    node = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode"}
    loop = {**node, "content": [], "__id__": schema["__id__"]}
    schema["content"][0] = {**node, "content": [loop], "__id__": schema["__id__"]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
    payload = buffer.getvalue()
    meta["sha256"] = hashlib.sha256(payload).hexdigest()
    crafted = tmp_path / "loop.skbucket"
    with zipfile.ZipFile(crafted, "w") as zf:
        zf.writestr("model.skops", payload)
        zf.writestr("meta.json", json.dumps(meta))
    assert skio.get_untrusted_types(crafted) == []
    with pytest.raises(skio.TamperedFileError, match="nest without end"):
        skio.load(crafted)


@pytest.mark.parametrize(
    ("where", "offset", "mask", "raised_before"),
    [
        # the central-directory entry of the first member (meta.json)
        ("central", 1, 0x01, "BadZipFile (from namelist in _file_kind)"),
        ("central", 6, 0xFF, "NotImplementedError: zip file version 23.5"),
        ("central", 8, 0x01, "RuntimeError: File 'meta.json' is encrypted"),
        # the end-of-central-directory record: where the central directory starts
        ("end", 16, 0x01, "OSError: [Errno 22] Invalid argument (a seek)"),
    ],
)
def test_damaged_zip_headers_are_tampered_file_errors(
    saved, tmp_path, where, offset, mask, raised_before
):
    """A flipped byte in the zip headers makes zipfile raise more than BadZipFile; each is
    a TamperedFileError (a PersistenceError) from every reader, as the docstring says."""
    data = bytearray(saved.read_bytes())
    start = data.find(b"PK\x01\x02") if where == "central" else data.rfind(b"PK\x05\x06")
    data[start + offset] ^= mask
    path = tmp_path / "headers.skbucket"
    path.write_bytes(bytes(data))
    for read in (
        lambda: skio.load(path, trusted=SEED_UNTRUSTED),
        lambda: skio.read_metadata(path),
        lambda: skio.get_untrusted_types(path),
    ):
        with pytest.raises(skio.TamperedFileError, match="corrupted or truncated|modified"):
            read()


def test_malformed_version_record_is_refused(saved, tmp_path):
    def no_versions(data):
        meta = json.loads(data)
        meta["versions"] = None
        return json.dumps(meta).encode()

    bad = _rewrite(saved, tmp_path / "nover.skbucket", replace={"meta.json": no_versions})
    with pytest.raises(skio.TamperedFileError, match="malformed version record"):
        skio.load(bad, trusted=SEED_UNTRUSTED)


def test_extra_or_duplicate_member_is_refused(saved, tmp_path):
    extra = _rewrite(saved, tmp_path / "extra.skbucket", extra={"evil.py": b"print(1)"})
    with pytest.raises(skio.TamperedFileError, match="expected exactly the members"):
        skio.load(extra, trusted=SEED_UNTRUSTED)
    with zipfile.ZipFile(saved) as zf:
        payload = zf.read("model.skops")
    dup = tmp_path / "dup.skbucket"
    with pytest.warns(UserWarning, match="Duplicate name"):
        _rewrite(saved, dup, extra={"model.skops": payload})
    with pytest.raises(skio.TamperedFileError, match="expected exactly the members"):
        skio.load(dup, trusted=SEED_UNTRUSTED)


def test_broken_meta_is_refused(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "meta.skbucket", replace={"meta.json": b"{not json"})
    with pytest.raises(skio.TamperedFileError, match="not valid JSON"):
        skio.load(bad, trusted=SEED_UNTRUSTED)
    other = _rewrite(saved, tmp_path / "fmt.skbucket", replace={"meta.json": b'{"format": "x"}'})
    with pytest.raises(skio.TamperedFileError, match="does not describe"):
        skio.load(other, trusted=SEED_UNTRUSTED)


def test_version_mismatch_warns_with_both_versions(saved, tmp_path):
    def old_versions(data):
        meta = json.loads(data)
        meta["versions"]["skbucket"] = "0.0.1"
        meta["versions"]["scikit-learn"] = "1.0.2"
        return json.dumps(meta).encode()

    old = _rewrite(saved, tmp_path / "old.skbucket", replace={"meta.json": old_versions})
    with pytest.warns(skio.VersionMismatchWarning) as record:
        model = skio.load(old, trusted=SEED_UNTRUSTED)
    message = str(record[0].message)
    assert f"skbucket 0.0.1 (saved) vs {skbucket.__version__} (installed)" in message
    assert "scikit-learn 1.0.2 (saved)" in message
    assert isinstance(model, BucketedRegressor)
    # re-saving is no remedy: it records the installed versions, and the mismatch is hidden
    assert "re-fit it with the installed versions (saving it again would record" in message
    assert "re-save it with the installed" not in message


def test_a_patch_release_of_skbucket_is_no_version_mismatch(saved, tmp_path):
    """A 0.6.0 container loaded by 0.6.1 was told to refit, though a patch release predicts as
    its minor did (the command line, which compares major.minor, said nothing)."""
    major, minor, patch = skbucket.__version__.split(".")[:3]

    def other_patch(data):
        meta = json.loads(data)
        meta["versions"]["skbucket"] = f"{major}.{minor}.{int(patch) + 7}"
        return json.dumps(meta).encode()

    patched = _rewrite(saved, tmp_path / "patch.skbucket", replace={"meta.json": other_patch})
    with warnings.catch_warnings():
        warnings.simplefilter("error", skio.VersionMismatchWarning)
        assert isinstance(skio.load(patched, trusted=SEED_UNTRUSTED), BucketedRegressor)


def test_a_patch_release_of_python_is_no_version_mismatch(saved, tmp_path):
    """A container saved by Python 3.11.7 warned when loaded by 3.11.9; its minor still warns."""
    major, minor, patch = platform.python_version_tuple()

    def python(version):
        def rewrite(data):
            meta = json.loads(data)
            meta["versions"]["python"] = version
            return json.dumps(meta).encode()

        return rewrite

    other_patch = f"{major}.{minor}.{int(patch) + 2}"
    patched = _rewrite(
        saved, tmp_path / "patch.skbucket", replace={"meta.json": python(other_patch)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", skio.VersionMismatchWarning)
        assert isinstance(skio.load(patched, trusted=SEED_UNTRUSTED), BucketedRegressor)
    other_minor = f"{major}.{int(minor) + 1}.0"
    newer = _rewrite(saved, tmp_path / "minor.skbucket", replace={"meta.json": python(other_minor)})
    with pytest.warns(skio.VersionMismatchWarning, match=rf"python {other_minor} \(saved\)"):
        skio.load(newer, trusted=SEED_UNTRUSTED)


@pytest.mark.parametrize("recorded", [True, False])
def test_a_model_from_another_scikit_learn_is_one_warning_naming_both_versions(
    data, tmp_path, monkeypatch, recorded
):
    """scikit-learn warned again for every class of the model (pointing into its own code)
    after load had said it once; a container without the record keeps scikit-learn's."""
    import warnings

    import sklearn.base
    from sklearn.exceptions import InconsistentVersionWarning
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier

    X, y = data
    model = BucketedRegressor(DecisionTreeClassifier(random_state=0), Ridge()).fit(X, y)
    monkeypatch.setattr(sklearn.base, "__version__", "1.8.0")  # as a 1.8.0 install saves
    real = skio.library_versions()
    monkeypatch.setattr(skio, "library_versions", lambda: {**real, "scikit-learn": "1.8.0"})
    path = skio.save(model, tmp_path / "old.skbucket")
    monkeypatch.undo()
    if not recorded:

        def no_record(data):
            meta = json.loads(data)
            del meta["versions"]["scikit-learn"]
            return json.dumps(meta).encode()

        path = _rewrite(path, tmp_path / "norecord.skbucket", replace={"meta.json": no_record})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        skio.load(path, trusted=["sklearn.tree._tree.Tree"])
    kinds = [type(w.message) for w in seen]
    if recorded:
        assert kinds == [skio.VersionMismatchWarning], kinds
        assert "scikit-learn 1.8.0 (saved)" in str(seen[0].message)
    else:
        assert InconsistentVersionWarning in kinds


def test_no_warning_when_versions_match(saved):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", skio.VersionMismatchWarning)
        skio.load(saved, trusted=SEED_UNTRUSTED)


@pytest.mark.parametrize("key", ["", b"", 123])
def test_an_empty_or_odd_key_is_refused(tmp_path, data, key):
    # save(key="") signed and load(key="") accepted: files anyone can forge
    X, y = data
    with pytest.raises(skio.PersistenceError, match="key"):
        skio.save(Ridge().fit(X, y), tmp_path / "k.skbucket", key=key)
    path = skio.save(Ridge().fit(X, y), tmp_path / "plain.skbucket")
    with pytest.raises(skio.PersistenceError, match="key"):
        skio.load(path, key=key)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, data):
    # a 600 KB container whose model member unpacks to 600 MB took 1.6 GB before the digest
    # check refused it; sizes are read from the zip directory first
    import tracemalloc
    import zipfile

    X, y = data
    path = skio.save(Ridge().fit(X, y), tmp_path / "ok.skbucket")
    with zipfile.ZipFile(path) as zf:
        meta = zf.read("meta.json")
    bomb = tmp_path / "bomb.skbucket"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("meta.json", meta)
        zf.writestr("model.skops", bytes(100 << 20))  # 100 MB of zeros: ~100 KB packed
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        for call in (skio.load, skio.read_metadata, skio.get_untrusted_types):
            with pytest.raises(skio.TamperedFileError, match="zip bomb"):
                call(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20, peak


def test_a_model_fitted_with_metadata_routing_on_is_saved(tmp_path, data):
    """With routing on, the fitted estimators hold requests (the user's, and those the
    meta-estimator puts on the defaults it builds); skops could not write them (a bare
    RecursionError). The file leaves them out; the live model keeps them."""
    import sklearn

    X, y = data
    w = np.linspace(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        clf = DecisionTreeClassifier(max_depth=3, random_state=0).set_fit_request(
            sample_weight=True
        )
        model = BucketedRegressor(clf, regressors=None, random_state=0)
        model.set_fit_request(sample_weight=True).fit(X, y, sample_weight=w)
        before = pickle.dumps(model)
        path = skio.save(model, tmp_path / "routed.skbucket")
        # the live model as it was, to the order of its attributes (the requests came back
        # last: the model pickled to other bytes after a save)
        assert pickle.dumps(model) == before
        loaded = skio.load(path, trusted=SEED_UNTRUSTED)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert model.classifier_.get_metadata_routing().fit.requests["sample_weight"] is True
        assert "_metadata_request" in vars(model) and "_metadata_request" in vars(clf)
        # set again on the loaded copy, it refits with the weights as the original did
        loaded.set_fit_request(sample_weight=True)
        loaded.classifier.set_fit_request(sample_weight=True)
        refit = loaded.fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(refit.predict(X), model.predict(X))


def test_a_search_with_a_weighted_scorer_and_a_group_splitter_is_saved(tmp_path, data):
    """A search's scorer (set_score_request) and splitter (set_split_request) hold requests
    too, and are no estimators: skops' RecursionError stopped the save."""
    import sklearn
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import make_scorer, mean_absolute_error
    from sklearn.model_selection import GridSearchCV, GroupKFold

    X, y = data
    w = np.linspace(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        model = BucketedRegressor(
            LogisticRegression().set_fit_request(sample_weight=True),
            LinearRegression().set_fit_request(sample_weight=True),
            bins=(10, 100),
        ).set_fit_request(sample_weight=True)
        scorer = make_scorer(mean_absolute_error, greater_is_better=False)
        search = GridSearchCV(
            model,
            {"routing": ["hard", "soft"]},
            cv=GroupKFold(3).set_split_request(groups=True),
            scoring=scorer.set_score_request(sample_weight=True),
        ).fit(X, y, sample_weight=w, groups=np.arange(len(y)) % 7)
        before = pickle.dumps(search)
        path = skio.save(search, tmp_path / "search.skbucket")
        assert pickle.dumps(search) == before  # the live search keeps its requests
        loaded = skio.load(path, trusted=skio.get_untrusted_types(path))
        np.testing.assert_array_equal(loaded.predict(X), search.predict(X))


def test_a_model_that_packs_like_a_zip_bomb_still_loads(tmp_path):
    # 9 million zero weights pack 1,000 times: saved, then refused by load's bomb check
    from sklearn.linear_model import Lasso

    model = Lasso().fit([[0.0], [1.0]], [0.0, 1.0])
    model.coef_ = np.zeros(9_000_000)
    path = skio.save(model, tmp_path / "sparse.skbucket")
    assert skio.load(path).coef_.shape == (9_000_000,)


def test_a_zip_bomb_inside_the_skops_data_is_refused(tmp_path, data):
    # skops' own archive can be deflated: a 2 KB file held a 200 MB array of zeros and passed
    # the container's check; the digest is no signature, so anyone can make such a file
    import zipfile

    X, y = data
    inner = skops.io.dumps(np.zeros(100 << 17), compression=zipfile.ZIP_DEFLATED)  # 100 MB
    path = skio.save(Ridge().fit(X, y), tmp_path / "ok.skbucket")
    bomb = _swap_model(path, tmp_path / "bomb.skbucket", inner)
    assert bomb.stat().st_size < 1 << 20
    for call in (skio.load, skio.get_untrusted_types):
        with pytest.raises(skio.TamperedFileError, match="skops data.*zip bomb"):
            call(bomb)


def test_hmac_key_detects_a_rewritten_digest(tmp_path, data):
    X, y = data
    model = Ridge().fit(X, y)
    path = skio.save(model, tmp_path / "signed.skbucket", key="s3cret")
    np.testing.assert_array_equal(skio.load(path, key="s3cret").predict(X), model.predict(X))
    with pytest.raises(skio.TamperedFileError, match="HMAC"):
        skio.load(path, key="wrong")

    # an attacker who swaps the model AND fixes the digest passes the digest check ...
    other = skops.io.dumps(Ridge(alpha=100.0).fit(X, y))
    forged = _swap_model(path, tmp_path / "forged.skbucket", other)
    assert skio.load(forged).alpha == 100.0
    # ... but not the signature check
    with pytest.raises(skio.TamperedFileError, match="HMAC"):
        skio.load(forged, key="s3cret")
    # an unsigned file is refused when a key is required
    unsigned = skio.save(model, tmp_path / "unsigned.skbucket")
    with pytest.raises(skio.TamperedFileError, match="missing"):
        skio.load(unsigned, key="s3cret")


def test_a_bytes_key_signs_as_its_utf8_text_does(tmp_path, data):
    X, y = data
    model = Ridge().fit(X, y)
    path = skio.save(model, tmp_path / "signed.skbucket", key=b"s3cret")
    for key in (b"s3cret", "s3cret"):  # the text is its UTF-8 bytes
        np.testing.assert_array_equal(skio.load(path, key=key).predict(X), model.predict(X))
    with pytest.raises(skio.TamperedFileError, match="HMAC"):
        skio.load(path, key=b"s3cre")


def test_joblib_needs_allow_pickle(seed_model, tmp_path, data):
    X, _ = data
    path = skio.save(seed_model, tmp_path / "model.joblib", format="joblib")
    with pytest.raises(skio.PersistenceError, match="allow_pickle=True"):
        skio.load(path)
    loaded = skio.load(path, allow_pickle=True)
    np.testing.assert_array_equal(loaded.predict(X), seed_model.predict(X))
    # still a plain joblib file
    np.testing.assert_array_equal(joblib.load(path).predict(X), seed_model.predict(X))
    with pytest.raises(skio.PersistenceError, match="key="):
        skio.save(seed_model, tmp_path / "k.joblib", format="joblib", key="k")


def test_plain_skops_file_is_audited_and_warns(tmp_path, data):
    X, y = data
    path = tmp_path / "plain.skops"
    skops.io.dump(DecisionTreeClassifier(max_depth=2).fit(X, y > 10), path)
    with pytest.raises(skio.UntrustedTypesError, match="sklearn.tree._tree.Tree"):
        skio.load(path)
    with pytest.warns(skio.VersionMismatchWarning, match="plain skops file"):
        model = skio.load(path, trusted=["sklearn.tree._tree.Tree"])
    assert model.max_depth == 2


def test_bad_arguments_and_files(tmp_path):
    with pytest.raises(skio.PersistenceError, match="format"):
        skio.save(Ridge(), tmp_path / "x", format="pickle")
    with pytest.raises(FileNotFoundError):
        skio.load(tmp_path / "missing.skbucket")
    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(odd, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(skio.TamperedFileError, match="neither a skbucket container"):
        skio.load(odd)
    assert issubclass(skio.TamperedFileError, ValueError)


@pytest.mark.parametrize("compress", [0, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3), 3])
def test_joblib_files_load_and_cut_ones_are_named_damaged(tmp_path, compress):
    path = tmp_path / "ridge.joblib"
    rng = np.random.RandomState(0)
    model = Ridge().fit(rng.rand(30, 500), rng.rand(30))  # real array data, cut mid-array
    joblib.dump(model, path, compress=compress)
    np.testing.assert_array_equal(skio.load(path, allow_pickle=True).coef_, model.coef_)
    whole = path.read_bytes()
    for cut in (16, len(whole) // 3, len(whole) // 2):
        path.write_bytes(whole[:cut])  # before: bare EOFError, ValueError, IndexError...
        with pytest.raises(skio.TamperedFileError, match=r"ridge\.joblib: a truncated or corr"):
            skio.load(path, allow_pickle=True)


@pytest.mark.parametrize(
    "suffix, magic",
    [(".gz", b"\x1f\x8b"), (".bz2", b"BZh"), (".xz", b"\xfd7zXZ"), (".lzma", b"\x5d\x00"),
     (".z", b"\x78"), (".joblib", b"\x80")],
)  # fmt: skip
def test_a_joblib_save_is_compressed_as_its_name_says(tmp_path, suffix, magic):
    # joblib.dump(model, "model.joblib.gz") compresses; save(format="joblib") wrote a plain
    # pickle under the .gz name (joblib writing into the open temporary file saw no name)
    model = Ridge().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
    path = skio.save(model, tmp_path / f"ridge{suffix}", format="joblib")
    assert path.read_bytes().startswith(magic)
    for loaded in (skio.load(path, allow_pickle=True), joblib.load(path)):
        np.testing.assert_array_equal(loaded.coef_, model.coef_)


@pytest.mark.parametrize("compress", [0, 3])
def test_a_joblib_file_whose_end_holds_a_zip_record_is_a_joblib_file(tmp_path, compress):
    # zipfile.is_zipfile looks for an end-of-archive record anywhere in a file's last 64 KB:
    # a pickle's own bytes (weights, a tree) may hold one by chance, and such a joblib file
    # was refused as "a zip file that is neither a skbucket container nor a skops file"
    model = Ridge().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
    model.note_ = b"PK\x05\x06" + bytes(18)  # an empty archive's end record, last in the file
    path = tmp_path / "ridge.joblib"
    if compress:
        joblib.dump(model, path, compress=compress)
    else:
        skio.save(model, path, format="joblib")
        assert zipfile.is_zipfile(path)  # what made it look like a zip
    loaded = skio.load(path, allow_pickle=True)
    assert loaded.note_ == model.note_
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    for read in (skio.read_metadata, skio.get_untrusted_types):  # joblib files have neither
        with pytest.raises(skio.PersistenceError, match=r"is a joblib/pickle file"):
            read(path)


@pytest.mark.parametrize("kind", ["text", "csv.gz", "bz2"])
def test_a_file_that_is_no_model_is_named_so(tmp_path, kind):
    import bz2
    import gzip

    content = b"date,likes,content\n2020-01-01,3,hi\n"
    path = tmp_path / f"posts.{kind}"
    if kind == "text":
        path.write_bytes(content)
    else:
        path.write_bytes((gzip if kind == "csv.gz" else bz2).compress(content))
    # before: "a joblib (pickle) file" (loading needs allow_pickle), and with allow_pickle
    # a ModuleNotFoundError named after the CSV's header line
    for allow_pickle in (False, True):
        with pytest.raises(skio.PersistenceError, match=r"is not a model file") as info:
            skio.load(path, allow_pickle=allow_pickle)
        assert "allow_pickle" not in str(info.value)
    with pytest.raises(skio.PersistenceError, match=r"is not a model file"):
        skio.get_untrusted_types(path)
    protocol_1 = tmp_path / "p1.joblib"  # joblib reads it; skbucket names the protocol
    joblib.dump(Ridge(), protocol_1, protocol=1)
    with pytest.raises(skio.PersistenceError, match=r"pickle protocol 2 or later"):
        skio.load(protocol_1, allow_pickle=True)


def test_save_names_a_bad_format_or_key(tmp_path):
    model = Ridge().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(skio.PersistenceError, match=r"^format must be 'skops' or 'joblib', got"):
        skio.save(model, tmp_path / "m.pkl", format="pickle")
    for empty in ("", b""):  # os.environ.get("SKBUCKET_KEY", "") with the variable unset
        with pytest.raises(skio.PersistenceError, match=r"^key is empty: .* forged by anyone"):
            skio.save(model, tmp_path / "m.skbucket", key=empty)
    with pytest.raises(skio.PersistenceError, match=r"^key must be a str or bytes secret; got int"):
        skio.save(model, tmp_path / "m.skbucket", key=3)
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_folder_or_nothing_at_the_path_is_said_as_it_is(tmp_path):
    """A folder was "no model file at ..." (FileNotFoundError), though something is there."""
    for read in (skio.load, skio.read_metadata, skio.get_untrusted_types):
        # read_metadata and get_untrusted_types said "no model file at" a folder
        with pytest.raises(IsADirectoryError, match=r" is a folder, not a model file$"):
            read(tmp_path)
        with pytest.raises(FileNotFoundError, match=r"^no model file at .*model\.skops$"):
            read(tmp_path / "model.skops")


def test_a_cli_model_file_is_named_with_how_to_load_it(tmp_path):
    from skbucket.cli import load_model, save_model

    path = save_model(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "fit.joblib")
    with pytest.raises(skio.PersistenceError, match=r"skbucket\.cli\.load_model"):
        skio.load(path, allow_pickle=True)  # before: returned the version header, a dict
    assert load_model(path).coef_[0] == pytest.approx(1 / 3)


class _DictStore:
    """A cache store of the user's own: what it holds is the training posts' captions."""

    def __init__(self):
        self.held = {"k": "a caption of a private post"}

    def get_many(self, keys):
        return {key: self.held[key] for key in keys if key in self.held}

    def set_many(self, mapping):
        self.held.update(mapping)


def test_save_refuses_a_model_holding_a_store_of_your_own(tmp_path):
    """It was written into the file with every caption and vector it held (the docs say a
    file holds no caption), or failed on a lock it held with advice about functions."""
    from sklearn.pipeline import make_pipeline

    import skbucket
    from skbucket.cache import MemoryCache
    from skbucket.cli import save_model
    from skbucket.embedding import DistilBertEmbedder

    store = _DictStore()
    model = make_pipeline(DistilBertEmbedder(cache=store), Ridge())
    saves = [
        lambda: skio.save(model, tmp_path / "m.skbucket"),
        lambda: skio.save(model, tmp_path / "m.joblib", format="joblib"),
        lambda: save_model(model, tmp_path / "fit.joblib"),
    ]
    for save in saves:
        with pytest.raises(skio.PersistenceError, match=r"DistilBertEmbedder holds cache=_Dict"):
            save()
    assert list(tmp_path.iterdir()) == []
    assert skbucket.set_everywhere(model, "cache", None) == 1  # as the message says
    for save in saves:
        save()
    # skbucket's own stores pickle as their settings: saved as they are
    model.set_params(distilbertembedder__cache=MemoryCache())
    skio.save(model, tmp_path / "own.joblib", format="joblib")


def _template_from_a_closure():
    def username_only(fields):
        return fields["username"]

    return username_only


@pytest.mark.parametrize(
    "template", [lambda fields: fields["username"], _template_from_a_closure()]
)
def test_save_refuses_a_model_skops_could_not_load_again(tmp_path, template):
    from skbucket.prompts import PromptBuilder

    posts = pd.DataFrame({"username": ["ann"], "content": ["hi"]})
    builder = PromptBuilder(template=template).fit(posts)
    path = tmp_path / "builder.skbucket"
    with pytest.raises(skio.PersistenceError, match=r"cannot be imported by that name"):
        skio.save(builder, path)  # before: written, and every load failed (AttributeError)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    # a template defined at the top level of a module saves and loads
    builder = PromptBuilder(template=_top_level_template).fit(posts)
    loaded = skio.load(skio.save(builder, path), trusted=skio.get_untrusted_types(path))
    assert loaded.transform(posts)[0, 0] == builder.transform(posts)[0, 0] == "ann: hi"


def test_save_warns_of_a_function_of_the_script_being_run(tmp_path):
    """A template defined in the script (or notebook) being run saved without a word as
    __main__.template: a load in any other program failed with a bare AttributeError. The
    same script run again loads it, so the save goes on, with a warning that says so."""
    script = tmp_path / "fit_and_save.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            import warnings
            import pandas as pd
            import skbucket.io as skio
            from skbucket.prompts import PromptBuilder

            def template(fields):
                return fields["username"]

            posts = pd.DataFrame({"username": ["ann"], "content": ["hi"]})
            if sys.argv[1] == "lambda":  # loads nowhere, not even here: refused, not warned
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        skio.save(PromptBuilder(template=lambda f: f["username"]).fit(posts), "l.sk")
                    except skio.PersistenceError as exc:
                        print("refused:", exc)
                print("warned:", [w.category.__name__ for w in caught])
            elif sys.argv[1] == "save":
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    skio.save(PromptBuilder(template=template).fit(posts), "builder.skbucket")
                print("warned:", [f"{w.category.__name__}: {w.message}" for w in caught])
            else:  # the same script, run again: its __main__ defines the template
                loaded = skio.load("builder.skbucket", trusted=["__main__.template",
                                   "skbucket.prompts.PromptBuilder"])
                print("loaded:", loaded.transform(posts)[0, 0])
            """
        )
    )

    def run(*args):
        done = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        return done

    saved = run(str(script), "save")
    assert saved.returncode == 0, saved.stderr
    assert "ScriptDefinitionWarning: the saved model holds __main__.template" in saved.stdout
    assert "loads only in a process whose __main__ defines the same name" in saved.stdout
    refused = run(str(script), "lambda")
    assert "refused: " in refused.stdout and "cannot be imported by that name" in refused.stdout
    assert "warned: []" in refused.stdout
    assert not (tmp_path / "l.sk").exists()
    again = run(str(script), "load")
    assert again.returncode == 0 and "loaded: ann" in again.stdout, again.stderr
    # another program: the name is not there, as the warning said
    other = run(
        "-c",
        "import skbucket.io as s; s.load('builder.skbucket', trusted=['__main__.template', "
        "'skbucket.prompts.PromptBuilder'])",
    )
    assert other.returncode != 0 and "template" in other.stderr, other.stderr


def _top_level_template(fields):
    return f"{fields['username']}: {fields['content']}"


def test_fine_tuned_distilbert_classifier_round_trip(tmp_path):
    """The fine-tuned checkpoint (dict of file bytes) survives the skops container."""
    pytest.importorskip("torch")
    from _tiny_distilbert import make_tiny_distilbert

    from skbucket.classification import DistilBertClassifier

    tiny = make_tiny_distilbert(tmp_path / "tiny")
    texts = ["good news today", "bad day", "great post", "awful week"] * 4
    y = np.array([1, 0, 1, 0] * 4)
    clf = DistilBertClassifier(
        model=tiny, epochs=1, batch_size=8, max_length=16, random_state=0, device="cpu",
        progress=False,
    ).fit(texts, y)  # fmt: skip
    path = skio.save(clf, tmp_path / "clf.skbucket")
    assert skio.get_untrusted_types(path) == ["skbucket.classification.DistilBertClassifier"]
    with pytest.raises(skio.UntrustedTypesError, match="DistilBertClassifier"):
        skio.load(path)
    loaded = skio.load(path, trusted=[DistilBertClassifier])
    # each computed by its model: the process-wide cache keeps the logits per weights_id_,
    # which the loaded copy shares, so the second call would read the first one's
    from skbucket.cache import process_memory_cache

    expected = clf.predict_proba(texts)
    process_memory_cache().clear()
    np.testing.assert_allclose(loaded.predict_proba(texts), expected, atol=1e-6)


@pytest.mark.slow
def test_seed_pipeline_round_trip(shared_data, tmp_path):
    """The whole seed pipeline (tiny DistilBERT, no captioner) goes through the container."""
    pytest.importorskip("torch")
    import pandas as pd
    from _tiny_distilbert import make_tiny_distilbert

    from skbucket.pipeline import make_seed_pipeline

    posts = pd.read_csv(shared_data / "tweets.csv.gz").head(48)
    X, y = posts.drop(columns=["likes"]), posts["likes"].to_numpy()
    pipe = make_seed_pipeline(
        caption_model=None, text_model=make_tiny_distilbert(tmp_path / "tiny"), epochs=1,
        max_length=16, device="cpu", progress=False, random_state=0,
    ).fit(X, y)  # fmt: skip
    path = skio.save(pipe, tmp_path / "seed.skbucket")
    untrusted = skio.get_untrusted_types(path)
    assert not any("AccountRouter" in name for name in untrusted)  # trusted by default
    for name in (
        "skbucket.classification.DistilBertClassifier",
        "skbucket.embedding.DistilBertEmbedder",
        "skbucket.prompts.PromptBuilder",
        "skbucket.features.PostFeatures",
    ):
        assert name in untrusted
    with pytest.raises(skio.UntrustedTypesError):
        skio.load(path)
    loaded = skio.load(path, trusted=untrusted)
    from skbucket.cache import process_memory_cache

    # a company unseen in training: the hybrid router sends it to the fine-tuned text model;
    # each side computed by its own model (the copies share weights_id_, so share cached logits)
    new = X.assign(inferred_company="a brand never seen")
    for rows in (X, new):
        process_memory_cache().clear()
        expected = pipe.predict(rows)
        process_memory_cache().clear()
        np.testing.assert_allclose(loaded.predict(rows), expected, rtol=1e-6)
    # the module's list of the types a seed pipeline file needs is complete
    doc = skio.__doc__.split("Types to trust for", 1)[1].split(":func:`get_untrusted_types`")[0]
    documented = set(re.findall(r"``([a-z_]+(?:\.[A-Za-z_0-9]+)+)``", doc))
    assert set(untrusted) <= documented, set(untrusted) - documented
    skio.load(path, trusted=sorted(documented))


def test_an_unimportable_skops_is_named_with_its_reason(monkeypatch, tmp_path):
    # e.g. skops 0.10 beside scikit-learn 1.6 fails to import: it is installed, not missing
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r"cannot be imported \(.*skops\.io.*>=0\.12"):
        skio.save(Ridge(), tmp_path / "r.skbucket")


@pytest.mark.parametrize("old", ["0.11.0", "0.9", "0.11.1rc1"])
def test_a_skops_with_known_trust_bypasses_is_refused(monkeypatch, tmp_path, old):
    # skops 0.11 and older let trusted-looking types run code (CVE-2025-54412/54413); pip's pin
    # keeps them out of a fresh install, not out of an environment built otherwise
    import skops

    model = Ridge().fit([[0.0], [1.0]], [0.0, 1.0])
    path = skio.save(model, tmp_path / "r.skbucket")
    monkeypatch.setattr(skops, "__version__", old)
    for call in (lambda: skio.load(path), lambda: skio.save(Ridge(), tmp_path / "s.skbucket")):
        with pytest.raises(ImportError, match=rf"skops {re.escape(old)} is installed.*>=0\.12"):
            call()
    monkeypatch.setattr(skops, "__version__", "0.12.0")
    assert skio.load(path).predict([[2.0]]).tolist() == model.predict([[2.0]]).tolist()


# mutation-audit tests: each fails on a plausible one-line slip in io.py
def test_a_signed_container_refuses_an_edited_meta_json(tmp_path):
    from skbucket.io import TamperedFileError, load, save

    path = save(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "m.skbucket", key="s3cret")
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(members["meta.json"])
    meta["model_type"] = "something.Else"  # digest and signature left as they were
    members["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(TamperedFileError, match="signature"):
        load(path, key="s3cret")


@pytest.mark.parametrize("field", ["sha256", "signature"])
def test_a_digest_or_signature_edited_to_letters_outside_ascii_is_a_tampered_file(tmp_path, field):
    # hmac.compare_digest refuses str holding such letters: a bare TypeError was raised
    from skbucket.io import TamperedFileError, load, read_metadata, save

    path = save(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "m.skbucket", key="k")

    def edit(meta):
        meta = json.loads(meta)
        meta[field] = "é" * 64
        return json.dumps(meta).encode()

    edited = _rewrite(path, tmp_path / "edited.skbucket", replace={"meta.json": edit})
    with pytest.raises(TamperedFileError, match="SHA-256" if field == "sha256" else "signature"):
        load(edited, key="k")
    if field == "sha256":
        with pytest.raises(TamperedFileError, match="SHA-256"):
            read_metadata(edited)


def test_a_table_whose_first_column_starts_with_bz_is_no_model_file(tmp_path):
    # "BZ" began joblib's bz2 magic here (bz2 files start with BZh and a block size): such a
    # CSV was "a joblib (pickle) file" needing allow_pickle, and with it a bare OSError
    # ("Invalid data stream"); the command line no longer asked whether it is the DATA
    from skbucket.cli import CLIError, load_model

    path = tmp_path / "posts.csv"
    path.write_bytes(b"BZ_code,likes,content\nA1,3,hi\n")
    for allow_pickle in (False, True):
        with pytest.raises(skio.PersistenceError, match=r"is not a model file") as info:
            skio.load(path, allow_pickle=allow_pickle)
        assert "allow_pickle" not in str(info.value)
        assert "compressed" not in str(info.value)
    with pytest.raises(CLIError, match=r"starts with b'BZ_c': is it the DATA"):
        load_model(path)


@pytest.mark.parametrize("compress", [("bz2", 3), ("xz", 3), ("lzma", 3)])
def test_a_damaged_compressed_joblib_file_is_named_damaged(tmp_path, compress):
    # a flipped byte in a bz2 or xz stream was a bare OSError ('Invalid data stream') or
    # LZMAError ('Corrupt input data'), naming no file
    path = tmp_path / "ridge.joblib"
    rng = np.random.RandomState(0)
    joblib.dump(Ridge().fit(rng.rand(30, 500), rng.rand(30)), path, compress=compress)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x55
    path.write_bytes(bytes(damaged))
    with pytest.raises(skio.TamperedFileError, match=r"ridge\.joblib: a truncated or corr"):
        skio.load(path, allow_pickle=True)


def test_what_a_saved_model_holds_names_what_it_keeps_of_each_training_post():
    """The module docstring and the getting-started guide said a saved model held no array
    with a row per training post and no post text, while PostFeatures keeps a hash of every
    distinct training post (post_keys_) and both date readers keep training dates as written
    (day_month_examples_): each fitted attribute holding either is named in both."""
    from pathlib import Path

    from skbucket.features import PostFeatures
    from skbucket.prompts import PromptBuilder

    posts = pd.DataFrame(
        {
            "content": ["hello", "new offer", "thanks all", "good day"],
            "username": ["a", "b", "a", "c"],
            "inferred_company": ["x", "x", "y", "y"],
            "date": ["13/04/2021 10:00", "03/04/2021 11:00", "05/05/2021 09:00", None],
            "media": ["[]", "[]", "[]", "[]"],
        }
    )
    cells = {str(v) for column in posts for v in posts[column].dropna()}
    kept = set()
    for est in (PostFeatures(cv=2, dayfirst=True), PromptBuilder(dayfirst=True)):
        for name, value in vars(est.fit(posts, [1, 2, 3, 4])).items():
            per_post = isinstance(value, np.ndarray) and value.dtype != object
            per_post = per_post and value.ndim == 1 and len(value) == len(posts)
            held = value if isinstance(value, tuple | list) else ()
            if per_post or any(isinstance(v, str) and v in cells for v in held):
                kept.add(name)
    assert kept == {"post_keys_", "day_month_examples_"}
    guide = (Path(__file__).resolve().parents[1] / "docs" / "getting_started.rst").read_text()
    section = guide.split(".. rubric:: What a saved model holds")[1].split("\n.. ")[0]
    for name in kept:
        assert f"``{name}``" in section
        assert f"``{name}``" in skio.__doc__ or f".{name}``" in skio.__doc__
