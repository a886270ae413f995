"""Tests for skbucket.classification.DistilBertClassifier (on a tiny random DistilBERT)."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _tiny_distilbert import make_tiny_distilbert
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbucket._models import ModelNotAvailableError, TextInputError
from skbucket.classification import DistilBertClassifier

torch = pytest.importorskip("torch")

GOOD = ["good", "great", "happy", "love", "excellent", "wonderful", "nice", "amazing"]
BAD = ["bad", "awful", "terrible", "hate", "horrible", "poor", "sad", "worst"]
FILLER = ["the", "post", "today", "with", "news", "brand", "watch", "week", "new", "free"]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return make_tiny_distilbert(tmp_path_factory.mktemp("tiny-distilbert"))


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny matrices: one thread is much faster than several on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def toy(n, seed=0, labels=("neg", "pos")):
    """Separable toy task: the label is whether the post holds 'good' or 'bad' words."""
    rng = np.random.default_rng(seed)
    texts, y = [], []
    for i in range(n):
        k = i % len(labels)
        pool = [BAD, GOOD, FILLER][k]
        words = [*rng.choice(FILLER, 3), *rng.choice(pool, 2)]
        rng.shuffle(words)
        texts.append(" ".join(words))
        y.append(labels[k])
    return texts, np.asarray(y)


def make(tiny, **params):
    defaults = dict(
        model=tiny,
        epochs=8,
        batch_size=16,
        learning_rate=3e-3,
        max_length=24,
        early_stopping=False,
        random_state=0,
        device="cpu",
        progress=False,
    )
    return DistilBertClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(tiny):
    X, y = toy(48)
    return make(tiny).fit(X, y), X, y


def test_learns_separable_toy_task(fitted):
    clf, X, y = fitted
    assert list(clf.classes_) == ["neg", "pos"]
    assert np.mean(clf.predict(X) == y) >= 0.95
    X_new, y_new = toy(20, seed=1)
    assert np.mean(clf.predict(X_new) == y_new) >= 0.9
    assert [h["epoch"] for h in clf.history_] == list(range(1, 9))
    assert clf.history_[-1]["train_loss"] < clf.history_[0]["train_loss"]
    assert all(np.isnan(h["val_loss"]) for h in clf.history_)  # early_stopping=False
    assert clf.n_iter_ == 8 and clf.best_epoch_ == 8


def test_binary_scores_follow_sklearn_conventions(fitted):
    clf, X, _ = fitted
    scores = clf.decision_function(X)
    proba = clf.predict_proba(X)
    assert scores.shape == (len(X),) and proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)), rtol=1e-6)
    assert np.array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])


def test_predict_log_proba_is_the_log_of_predict_proba(fitted, monkeypatch):
    """It had none (scikit-learn's classifiers with predict_proba offer it)."""
    clf, X, _ = fitted
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert log_proba.shape == (len(X), 2)
    # what scikit-learn's check_classifiers_train asserts (a check this estimator fails on
    # its X, see _EXPECTED_FAILURES)
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-8)
    np.testing.assert_array_equal(np.argsort(log_proba), np.argsort(proba))
    assert clf.predict_log_proba([]).shape == (0, 2)
    # a probability that rounds to 0: its log is the logit's distance from the largest
    logits = np.array([[0.0, 800.0, -800.0], [3.0, 1.0, 2.0]])
    monkeypatch.setattr(clf, "decision_function", lambda X: logits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero from np.log(0)
        log_proba = clf.predict_log_proba(["a", "b"])
    np.testing.assert_allclose(log_proba[0], [-800.0, 0.0, -1600.0])
    expected = logits[1] - np.log(np.exp(logits[1]).sum())
    np.testing.assert_allclose(log_proba[1], expected, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_proba), clf.predict_proba(["a", "b"]), atol=1e-300)


def uncached(predict, texts):
    """``predict(texts)`` computed by the model: the process-wide cache keeps the logits of a
    fitted model's texts, so a second call (or a copy's: it shares weights_id_) reads them."""
    from skbucket.cache import process_memory_cache

    process_memory_cache().clear()
    return predict(texts)


def test_predict_restores_input_order_despite_length_sorting(fitted):
    clf, X, _ = fitted
    mixed = [X[0], X[1] + " " + " ".join(FILLER), X[2], X[0]]
    proba = uncached(clf.predict_proba, mixed)
    one_by_one = np.vstack([uncached(clf.predict_proba, [t]) for t in mixed])
    np.testing.assert_allclose(proba, one_by_one, atol=1e-6)
    assert np.array_equal(proba[0], proba[3])


def test_multiclass_int_labels(tiny):
    X, y = toy(36, labels=(0, 3, 6))
    clf = make(tiny, epochs=25, batch_size=8).fit(X, y)
    assert list(clf.classes_) == [0, 3, 6]
    logits = clf.decision_function(X)
    assert logits.shape == (36, 3)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(expected), rtol=1e-6)
    assert np.mean(clf.predict(X) == y) >= 0.9


def test_reproducible_with_random_state_and_leaves_global_torch_rng(tiny):
    X, y = toy(24)
    before = torch.get_rng_state()
    a = make(tiny, epochs=2).fit(X, y).predict_proba(X)
    assert torch.equal(before, torch.get_rng_state())
    b = make(tiny, epochs=2).fit(X, y).predict_proba(X)
    c = make(tiny, epochs=2, random_state=1).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_on_the_cpu_leaves_the_accelerators_seeds_alone(tiny, monkeypatch):
    # torch.manual_seed seeds every CUDA device and MPS too, which fork_rng does not restore: a
    # user's seeded GPU code after a CPU fit drew other numbers (CUDA seeds are queued here)
    seeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: seeded.append("cuda"))
    monkeypatch.setattr(torch.mps, "manual_seed", lambda seed: seeded.append("mps"))
    X, y = toy(24)
    a = make(tiny, epochs=1, device="cpu").fit(X, y).predict_proba(X)
    assert seeded == []
    # and the CPU seeding still makes the fit deterministic
    assert np.array_equal(a, make(tiny, epochs=1, device="cpu").fit(X, y).predict_proba(X))


def _tiny_config(config_class, **extra):
    """A tiny config of ``config_class`` over the tiny DistilBERT's vocabulary, and that
    vocabulary (for a ``BertTokenizer`` saved beside the weights)."""
    from _tiny_distilbert import make_vocab

    vocab = make_vocab()
    config = config_class(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        **extra,
    )
    return config, vocab


def test_reproducible_when_the_checkpoint_lacks_weights(tmp_path, monkeypatch):
    # a BERT saved without its pooler, which BertForSequenceClassification feeds to its head:
    # before, the pooler came from the shared base model, drawn once under whatever global
    # seed the process had when it was first loaded
    from transformers import BertConfig, BertModel, BertTokenizer

    from skbucket import _models

    config, vocab = _tiny_config(BertConfig, max_position_embeddings=64)
    torch.manual_seed(0)
    BertModel(config, add_pooling_layer=False).save_pretrained(tmp_path / "no-pooler")
    BertTokenizer(vocab=vocab).save_pretrained(tmp_path / "no-pooler")
    X, y = toy(16)
    probas = []
    for earlier_fit in (False, True):
        monkeypatch.setattr(_models, "_REGISTRY", {})  # a fresh process loads it anew
        if earlier_fit:  # loads the shared base model under random_state=0's seed
            make(tmp_path / "no-pooler", epochs=1, random_state=0).fit(X, y)
        model = make(tmp_path / "no-pooler", epochs=1, random_state=3).fit(X, y)
        probas.append(model.predict_proba(X))
    np.testing.assert_array_equal(probas[0], probas[1])


def test_a_roberta_checkpoint_is_fine_tuned(tmp_path):
    """RoBERTa's AutoModel holds a pooler that its sequence-classification model has no place
    for: the strict load of the base weights failed ("Unexpected key(s) in state_dict:
    pooler.dense.weight"), though the class docstring names RoBERTa."""
    from transformers import BertTokenizer, RobertaConfig, RobertaModel

    config, vocab = _tiny_config(RobertaConfig, pad_token_id=0, max_position_embeddings=130)
    torch.manual_seed(0)
    base = RobertaModel(config)  # with its pooler, as roberta-base is saved
    base.save_pretrained(tmp_path / "roberta")
    BertTokenizer(vocab=vocab).save_pretrained(tmp_path / "roberta")
    X, y = toy(24)
    clf = make(tmp_path / "roberta", epochs=1, max_length=32).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (24, 2) and np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(clf)).predict_proba(X), proba, atol=1e-6)
    assert np.array_equal(
        proba, make(tmp_path / "roberta", epochs=1, max_length=32).fit(X, y).predict_proba(X)
    )


def test_bad_class_weights_and_sample_weights_are_named(tiny):
    X, y = toy(24)
    # before: a class weighted <= 0 or NaN was silently left out of training; inf "diverged"
    for weight in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"gives class 'pos' the weight .*finite and >= 0"):
            make(tiny, epochs=1, class_weight={"neg": 1.0, "pos": weight}).fit(X, y)
    with pytest.raises(ValueError, match=r"sample_weight must be a 1-D array.*\(24, 2\)"):
        make(tiny, epochs=1).fit(X, y, sample_weight=np.ones((24, 2)))  # was: "y should be"
    with pytest.raises(ValueError, match=r"sample_weight must hold numbers; row 23 is 'a'"):
        make(tiny, epochs=1).fit(X, y, sample_weight=["1"] * 23 + ["a"])
    with pytest.raises(ValueError, match=r"sample_weight must hold numbers, not booleans"):
        make(tiny, epochs=1).fit(X, y, sample_weight=np.ones(24, dtype=bool))  # was 1 and 0
    # a list mixing numbers and booleans: numpy made the True a 1 (was taken)
    with pytest.raises(ValueError, match=r"not booleans; row 1 is True"):
        make(tiny, epochs=1).fit(X, y, sample_weight=[2.0, True] + [1.0] * 22)


def test_sample_weight_scale_does_not_matter(tiny):
    X, y = toy(24)
    unit = make(tiny, epochs=1).fit(X, y).predict_proba(X)
    for scale in (1e-50, 1e40):  # before: ZeroDivisionError / "training diverged"
        scaled = make(tiny, epochs=1).fit(X, y, sample_weight=np.full(24, scale))
        np.testing.assert_allclose(scaled.predict_proba(X), unit, rtol=1e-6)


def test_rows_weighted_below_float32s_range_still_train(tiny):
    """Weights of 1e-50 of the largest (an old post's recency weight) became 0 in float32: a
    batch of such rows only was 0 / 0, a NaN step reported as 'training diverged'."""
    X, y = toy(16)
    w = np.where(np.arange(16) < 8, 1e-50, 1.0)
    # with batch_size=1 the weights have no effect (each step is sum(w * loss) / sum(w))
    unit = make(tiny, epochs=1, batch_size=1).fit(X, y).predict_proba(X)
    weighted = make(tiny, epochs=1, batch_size=1).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(weighted.predict_proba(X), unit, rtol=1e-6)
    clf = make(tiny, epochs=2, batch_size=4).fit(X, y, sample_weight=w)
    assert all(np.isfinite(record["train_loss"]) for record in clf.history_)


def test_sample_weight_times_class_weight_past_float64_keeps_the_weighting(tiny):
    X, y = toy(24)
    reference = make(tiny, epochs=1, class_weight={"neg": 1e-30, "pos": 1.0}).fit(X, y)
    expected = reference.predict_proba(X)
    for scale, class_weight in (
        (1e300, {"neg": 1.0, "pos": 1e30}),  # before: inf * 0 -> NaN, ZeroDivisionError
        (1e-300, {"neg": 1e-30, "pos": 1.0}),  # before: 'neg' rows weighted 0, refused
    ):
        clf = make(tiny, epochs=1, class_weight=class_weight)
        clf.fit(X, y, sample_weight=np.full(24, scale))
        np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)


def test_predict_checks_parameters_set_after_fit_and_the_column_name(tiny):
    X, y = toy(24)
    frame = pd.DataFrame({"prompt": X})
    clf = make(tiny, epochs=1).fit(frame, y)
    assert clf.n_features_in_ == 1 and clf.feature_names_in_.tolist() == ["prompt"]
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        clf.predict(pd.DataFrame({"caption": X}))  # before: predicted silently
    clf.set_params(max_length=0)
    with pytest.raises(InvalidParameterError, match="max_length"):
        clf.predict(X)  # before: a tensor size error, or no truncation at all
    clf.set_params(max_length=24).fit(X, y)  # a refit on a list forgets the column name
    assert not hasattr(clf, "feature_names_in_")
    # a model pickled by a build that recorded no column: no warning about names it never had
    clf.fit(frame, y)
    del clf.n_features_in_, clf.feature_names_in_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clf.predict(frame).shape == (24,)


def test_zero_sample_weight_equals_absent_rows(tiny):
    X, y = toy(30)
    w = np.ones(30)
    w[[1, 4, 7, 20]] = 0
    keep = w > 0
    params = dict(epochs=3, early_stopping=True, validation_fraction=0.2)
    a = make(tiny, **params).fit(X, y, sample_weight=w)
    b = make(tiny, **params).fit([x for x, k in zip(X, keep) if k], y[keep])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)
    assert a.history_ == b.history_


def test_sample_weight_changes_the_fit_and_bad_weights_raise(tiny):
    X, y = toy(24)
    w = np.where(y == "pos", 5.0, 1.0)
    a = make(tiny, epochs=2).fit(X, y).predict_proba(X)
    b = make(tiny, epochs=2).fit(X, y, sample_weight=w).predict_proba(X)
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="row 3 has -1.0"):
        make(tiny).fit(X, y, sample_weight=np.r_[1, 1, 1, -1, np.ones(20)])
    with pytest.raises(ValueError, match="all sample weights are zero"):
        make(tiny).fit(X, y, sample_weight=np.zeros(24))
    with pytest.raises(ValueError, match="5 values for 24 rows"):
        make(tiny).fit(X, y, sample_weight=np.ones(5))


def test_class_weight_balanced_equals_balanced_sample_weight(tiny):
    X, y = toy(30)
    X, y = X[:26], y[:26]  # 13/13 -> make it unbalanced
    X, y = X + X[:6:2], np.r_[y, y[:6:2]]
    assert len(set(np.unique(y, return_counts=True)[1])) == 2
    a = make(tiny, epochs=2, class_weight="balanced").fit(X, y)
    b = make(tiny, epochs=2).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)
    c = make(tiny, epochs=2, class_weight={"pos": 3.0}).fit(X, y)
    d = make(tiny, epochs=2).fit(X, y, sample_weight=np.where(y == "pos", 3.0, 1.0))
    np.testing.assert_allclose(c.predict_proba(X), d.predict_proba(X), atol=1e-6)
    # a class absent from this y (a thin bucket missing from a CV fold) is ignored when every
    # class of y has its weight, as scikit-learn's classifiers ignore it
    e = make(tiny, epochs=2, class_weight={"pos": 3.0, "neg": 1.0, "meh": 2.0}).fit(X, y)
    np.testing.assert_allclose(e.predict_proba(X), c.predict_proba(X), atol=1e-6)


def test_class_weight_keys_that_are_no_class_while_classes_lack_one_are_refused(tiny):
    # as scikit-learn refuses them: a key meant for a class (the string '1' read from a JSON
    # config for the int bucket 1) was silently ignored, training unweighted
    X, y = toy(12)
    y = (y == "pos").astype(int)
    with pytest.raises(ValueError, match=r"class_weight=\{'1': 10\}: The classes, \[0, 1\], are "):
        make(tiny, epochs=1, class_weight={"1": 10}).fit(X, y)
    with pytest.raises(ValueError, match=r"The classes, \['neg'\], are not in class_weight"):
        make(tiny, epochs=1, class_weight={"pos": 3.0, "meh": 2.0}).fit(*toy(12))


def test_class_weight_keyed_by_dates_weighs_date_labels(tiny):
    """For date labels (datetime64), scikit-learn looks each class up in the dict as its
    int, its nanoseconds: a dict keyed by Timestamps (or datetimes, dates, datetime64s) was
    refused even when every key was a class, with "The classes, [1609459200000000000,
    ...], are not in class_weight". It weighs the classes now, and one that is no class
    while the dict leaves a class out is refused naming both as dates."""
    import datetime

    X, y = toy(12)
    dates = np.where(y == "pos", np.datetime64("2021-01-02", "ns"), np.datetime64("2021-01-01"))
    pos = dates == np.datetime64("2021-01-02")
    reference = make(tiny, epochs=1).fit(X, dates, sample_weight=np.where(pos, 3.0, 1.0))
    for key in (
        pd.Timestamp("2021-01-02"),
        datetime.datetime(2021, 1, 2),
        datetime.date(2021, 1, 2),
        np.datetime64("2021-01-02"),  # (a day's unit, the labels' nanoseconds)
    ):
        clf = make(tiny, epochs=1, class_weight={key: 3.0}).fit(X, dates)
        np.testing.assert_allclose(
            uncached(clf.predict_proba, X), uncached(reference.predict_proba, X), atol=1e-6
        )
    with pytest.raises(
        ValueError,
        match=r"class_weight=\{Timestamp\('2021-01-05 00:00:00'\): 3.0\} leaves class\(es\) "
        r"\['2021-01-01T00:00:00\.000000000', '2021-01-02T00:00:00\.000000000'\] of y out and "
        r"holds key\(s\) Timestamp\('2021-01-05 00:00:00'\) that are no class of y .*given as "
        r"dates",
    ):
        make(tiny, epochs=1, class_weight={pd.Timestamp("2021-01-05"): 3.0}).fit(X, dates)


def test_max_length_set_after_fit_is_checked_at_predict(fitted):
    model = pickle.loads(pickle.dumps(fitted[0])).set_params(max_length=1000)
    with pytest.raises(ValueError, match="max_length=1000 exceeds .*max_position_embeddings=512"):
        model.predict(["a good post"])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_half_precision_checkpoint_is_fine_tuned_in_float32(tiny, tmp_path, dtype):
    # transformers 5 keeps a checkpoint's stored dtype: AdamW on float16 weights diverged at any
    # learning rate, on bfloat16 most small updates rounded away
    from transformers import AutoModel

    half, full = tmp_path / dtype, tmp_path / "float32"
    shutil.copytree(tiny, half)
    AutoModel.from_pretrained(tiny).to(getattr(torch, dtype)).save_pretrained(half)
    shutil.copytree(tiny, full)  # the same (rounded) weights, saved in float32
    AutoModel.from_pretrained(half).float().save_pretrained(full)
    assert json.loads((half / "config.json").read_text())["dtype"] == dtype
    X, y = toy(24)
    a = make(tiny, model=str(half), epochs=2).fit(X, y)
    b = make(tiny, model=str(full), epochs=2).fit(X, y)
    assert {p.dtype for p in a._rt_finetuned[0].parameters()} == {torch.float32}
    assert np.isfinite(a.history_[-1]["train_loss"])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)


def test_early_stopping_keeps_the_best_epoch(tiny):
    X, y = toy(40)
    # best at epoch 2: a one-epoch run has no hold-out, so it could not stand for epoch 1
    params = dict(learning_rate=0.025, early_stopping=True, validation_fraction=0.25)
    clf = make(tiny, epochs=8, n_iter_no_change=1, **params).fit(X, y)
    val = [h["val_loss"] for h in clf.history_]
    assert all(np.isfinite(val)) and all(0 <= h["val_accuracy"] <= 1 for h in clf.history_)
    assert clf.best_epoch_ == int(np.argmin(val)) + 1
    assert clf.n_iter_ == min(8, clf.best_epoch_ + 1)
    assert 1 < clf.best_epoch_ < clf.n_iter_, "this setting is meant to overshoot and stop"
    # constant learning rate + same seed: the first epochs are the same, so the restored
    # weights are those of a run that trained exactly best_epoch_ epochs
    short = make(tiny, epochs=clf.best_epoch_, n_iter_no_change=1, **params).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), short.predict_proba(X), atol=1e-6)


def test_keyboard_interrupt_keeps_best_finished_epoch(tiny, monkeypatch):
    from skbucket import _models

    X, y = toy(40)
    params = dict(epochs=3, early_stopping=True, validation_fraction=0.25)
    # 30 training rows in batches of 16 + one validation batch: 3 padded batches per epoch;
    # a Ctrl-C stand-in at the 5th, i.e. in the middle of the 2nd epoch
    real, calls = _models.pad_encoded, []

    def interrupting_at(call):
        def interrupting(*args, **kwargs):
            calls.append(1)
            if len(calls) == call:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        return interrupting

    monkeypatch.setattr(_models, "pad_encoded", interrupting_at(5))
    with pytest.warns(RuntimeWarning, match="interrupted by the user after 1 complete epoch"):
        clf = make(tiny, **params).fit(X, y)
    monkeypatch.setattr(_models, "pad_encoded", real)
    assert clf.n_iter_ == 1 and clf.best_epoch_ == 1
    # the weights at the end of epoch 1, as a run stopped before epoch 2's first step has them
    # (a one-epoch run trains without the hold-out, on other rows)
    calls.clear()
    monkeypatch.setattr(_models, "pad_encoded", interrupting_at(4))
    with pytest.warns(RuntimeWarning, match="interrupted by the user after 1 complete epoch"):
        at_epoch_end = make(tiny, **params).fit(X, y)
    monkeypatch.setattr(_models, "pad_encoded", real)
    assert len(calls) == 4
    np.testing.assert_allclose(clf.predict_proba(X), at_epoch_end.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("owner", ["BucketedRegressor", "AccountRouter"])
def test_an_interrupt_of_a_router_stops_the_whole_fit_of_its_meta_estimator(
    tiny, monkeypatch, owner
):
    """Inside a BucketedRegressor (the seed pipeline's router), a Ctrl-C after the first
    epoch was swallowed like a standalone fit's: every bucket's regressor was fitted after
    it (minutes), and a fitted model came back whose router had stopped part way."""
    from sklearn.dummy import DummyClassifier

    from skbucket import _models
    from skbucket.bucketed import BucketedRegressor
    from skbucket.routing import AccountRouter

    X, y = toy(40)
    real, calls = _models.pad_encoded, []

    def interrupting(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # in the middle of the 2nd epoch (3 batches an epoch)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    fits = []

    class Counted(DummyRegressor):
        def fit(self, X, y, sample_weight=None):
            fits.append(len(y))
            return super().fit(X, y, sample_weight)

    router = make(tiny, epochs=3, batch_size=16)
    frame = pd.DataFrame({"text": X, "n": np.arange(len(X)) % 3})
    if owner == "BucketedRegressor":
        est = BucketedRegressor(router, Counted(), bins=(1,), min_bucket_size=5)
        args = (np.asarray(X, dtype=object), np.where(np.asarray(y) == "pos", 10.0, 0.0))
    else:
        est = AccountRouter(router, DummyClassifier(), count_column="n", known_columns="text")
        args = (frame, y)
    monkeypatch.setattr(_models, "pad_encoded", interrupting)
    with pytest.raises(KeyboardInterrupt):
        est.fit(*args)
    assert len(calls) == 5 and fits == []  # nothing fitted after the interrupt
    assert not hasattr(est, "classifier_") and not hasattr(est, "known_")
    # the standalone classifier still keeps what it learnt, as scikit-learn's MLP does
    calls.clear()
    with pytest.warns(RuntimeWarning, match="interrupted by the user after 1 complete epoch"):
        make(tiny, epochs=3, batch_size=16).fit(X, y)


def test_an_interrupt_while_a_new_best_is_copied_keeps_the_old_best_under_its_epoch(
    tiny, monkeypatch
):
    # best_epoch_ was set to the new epoch before its weights were copied: a Ctrl-C during the
    # copy kept the old weights named by the new epoch
    import sys

    import torch

    X, y = toy(40)
    params = dict(epochs=3, early_stopping=True, validation_fraction=0.25)
    real, calls = torch.nn.Module.state_dict, []

    def interrupting(module, *args, **kwargs):
        if sys._getframe(1).f_code.co_name == "_train":  # not the loading's calls
            calls.append(1)
            if len(calls) == stop_at:  # the copy of epoch stop_at's (better) weights
                raise KeyboardInterrupt
        return real(module, *args, **kwargs)

    # in the first copy: the current weights are epoch 1's, and best_epoch_ says so
    stop_at = 1
    monkeypatch.setattr(torch.nn.Module, "state_dict", interrupting)
    with pytest.warns(RuntimeWarning, match=r"after 1 complete epoch.*those of epoch 1"):
        first = make(tiny, **params).fit(X, y)
    monkeypatch.setattr(torch.nn.Module, "state_dict", real)
    assert first.n_iter_ == 1 and first.best_epoch_ == 1
    calls.clear()
    stop_at = 2

    monkeypatch.setattr(torch.nn.Module, "state_dict", interrupting)
    with pytest.warns(RuntimeWarning, match=r"after 2 complete epoch.*so far \(epoch 1\)"):
        clf = make(tiny, **params).fit(X, y)
    monkeypatch.setattr(torch.nn.Module, "state_dict", real)
    assert len(calls) == 2 and clf.n_iter_ == 2 and clf.best_epoch_ == 1
    assert clf.history_[1]["val_loss"] < clf.history_[0]["val_loss"]  # epoch 2 was better
    # epoch 1's weights: those the first run kept (a one-epoch run has no hold-out)
    np.testing.assert_allclose(clf.predict_proba(X), first.predict_proba(X), atol=1e-6)


def test_divergence_raises_and_warm_start_keeps_fitted_model(tiny):
    X, y = toy(24)
    with pytest.raises(RuntimeError, match="training diverged.*lower learning_rate"):
        make(tiny, epochs=2, learning_rate=1e6).fit(X, y)
    # an update past float32: torch's bare "value cannot be converted to type float without
    # overflow", which named no parameter
    with pytest.raises(
        RuntimeError, match=r"overflowed float32.*lower learning_rate \(now 1e\+300"
    ):
        make(tiny, epochs=1, learning_rate=1e300).fit(X, y)
    # a weight decay that flips the weights each step: the remedy named the learning rate
    with pytest.raises(RuntimeError, match=r"diverged.*lower weight_decay \(now 1e\+300\)"):
        make(tiny, epochs=1, weight_decay=1e300).fit(X, y)
    # both out of range: naming weight_decay alone led to a second error on learning_rate
    said = r"lower learning_rate \(now 1e\+300\) and weight_decay \(now 2\.0\)"
    with pytest.raises(RuntimeError, match=said):
        make(tiny, epochs=1, learning_rate=1e300, weight_decay=2.0).fit(X, y)
    clf = make(tiny, epochs=2, warm_start=True).fit(X, y)
    before = uncached(clf.predict_proba, X)
    clf.set_params(learning_rate=1e6)
    with pytest.raises(RuntimeError, match="training diverged"):
        clf.fit(X, y)
    # computed by the model: the cache keeps weights_id_'s logits, which a failed fit leaves
    assert np.array_equal(uncached(clf.predict_proba, X), before)  # the failed run trained a copy
    # without warm start too (documented in the Notes): the fine-tuned model is kept whole
    cold = make(tiny, epochs=1).fit(X, y)
    before = uncached(cold.predict_proba, X)
    with pytest.raises(RuntimeError, match="training diverged"):
        cold.set_params(learning_rate=1e6, epochs=2).fit(X, y)
    assert np.array_equal(uncached(cold.predict_proba, X), before)


def test_weights_made_nan_by_an_epochs_last_step_are_divergence_too(tiny, monkeypatch):
    """The train loss is summed before each step: with one step an epoch it was finite while
    the step left the model answering NaN; the fit returned, every row classes_[0]."""
    from skbucket.bucketed import assign_buckets
    from skbucket.datasets import load_tweets

    tweets = load_tweets().frame.head(120)  # real texts: a toy's stay finite at this rate
    X = tweets["content"].str.lower().tolist()
    y = assign_buckets(tweets["likes"].to_numpy())
    with pytest.raises(RuntimeError, match=r"diverged \(the fitted model's outputs are not finite"):
        make(tiny, epochs=1, batch_size=512, learning_rate=1e6, max_length=32).fit(X, y)
    # a hold-out loss that is NaN was never "< best": no weights were kept, and the loop
    # stopped after n_iter_no_change epochs with the diverged ones
    real = DistilBertClassifier._logits

    def nan_logits(self, *args, **kwargs):
        return np.full_like(real(self, *args, **kwargs), np.nan)

    monkeypatch.setattr(DistilBertClassifier, "_logits", nan_logits)
    with pytest.raises(RuntimeError, match=r"diverged \(hold-out loss nan after epoch 1\)"):
        make(tiny, epochs=3, n_iter_no_change=1, early_stopping=True).fit(*toy(24))


def test_a_ctrl_c_during_the_outputs_check_keeps_the_fit(tiny, monkeypatch):
    """The check of the fitted model's outputs ran outside the interruptible training: a
    Ctrl-C there lost a whole fit that a moment earlier would have been kept, with a warning."""
    from skbucket.classification import TrainingInterruptedWarning

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(DistilBertClassifier, "_logits", interrupted)
    X, y = toy(24)
    with pytest.warns(TrainingInterruptedWarning, match=r"after 1 complete epoch.*current weights"):
        clf = make(tiny, epochs=1).fit(X, y)
    assert clf.n_iter_ == 1 and clf.best_epoch_ == 1


def test_the_fitted_model_keeps_no_gradients(tiny):
    """The last step's gradients (as large as the weights) stayed on the fitted model."""
    import torch

    X, y = toy(24)
    clf = make(tiny, epochs=2).fit(X, y)
    model, _ = clf._fitted_model(torch.device("cpu"))
    assert all(p.grad is None for p in model.parameters())


def test_too_few_rows_for_holdout_trains_on_everything(tiny):
    X, y = toy(6)
    clf = make(tiny, epochs=2, early_stopping=True, validation_fraction=0.1).fit(X, y)
    assert all(np.isnan(h["val_loss"]) for h in clf.history_) and clf.n_iter_ == 2


def test_one_epoch_trains_on_every_row_without_a_hold_out(tiny):
    # one epoch has nothing to stop or restore: the hold-out only took 10% of the rows (a
    # search over epochs trained its epochs=1 candidates on 90%)
    X, y = toy(40)
    held = make(tiny, epochs=1, early_stopping=True).fit(X, y)
    plain = make(tiny, epochs=1, early_stopping=False).fit(X, y)
    assert np.isnan(held.history_[0]["val_loss"]) and held.best_epoch_ == 1
    np.testing.assert_array_equal(held.predict_proba(X), plain.predict_proba(X))


def test_hold_out_larger_than_the_training_side_splits_without_stratifying(tiny):
    # 3 classes, 12 rows, 80% held out: 10 hold-out rows, 2 training rows, too few for a row
    # of every class, so a stratified split is impossible (train_test_split refuses it); the
    # split is drawn without stratifying, as documented
    X, y = toy(12, labels=("neg", "pos", "meh"))
    clf = make(tiny, epochs=2, early_stopping=True, validation_fraction=0.8).fit(X, y)
    assert not np.isnan(clf.history_[0]["val_loss"])
    assert list(clf.classes_) == ["meh", "neg", "pos"]


def test_warm_start_continues_training(tiny):
    X, y = toy(24)
    clf = make(tiny, epochs=3, warm_start=True).fit(X, y)
    first = clf.history_
    clf.fit(X, y)
    fresh = make(tiny, epochs=3).fit(X, y)
    assert clf.history_[0]["train_loss"] < first[0]["train_loss"]
    assert not np.allclose(clf.predict_proba(X), fresh.predict_proba(X))
    with pytest.raises(ValueError, match="warm_start=True.*classes"):
        clf.fit(X, np.where(y == "pos", "yes", "no"))


def _hold_out_loss(clf, X, y):
    """Mean cross-entropy of ``clf`` on the hold-out its next fit on (X, y) draws."""
    from sklearn.utils import check_random_state

    seed = int(check_random_state(clf.random_state).randint(np.iinfo(np.int32).max))
    _, y_enc = np.unique(y, return_inverse=True)
    _, val = clf._split(y_enc, np.random.default_rng(seed))
    proba = uncached(clf.predict_proba, [X[i] for i in val])
    return float(np.mean(-np.log(proba[np.arange(len(val)), y_enc[val]])))


@pytest.fixture(scope="module")
def warm_and_worse(tiny):
    """A fitted classifier set to warm-start with early stopping at a learning rate whose
    epochs all do worse on the hold-out than the weights they start from."""
    X, y = toy(40)
    clf = make(tiny, epochs=8).fit(X, y)
    clf.set_params(
        warm_start=True,
        early_stopping=True,
        validation_fraction=0.25,
        epochs=3,
        learning_rate=0.05,
    )
    return clf, X, y


def test_warm_start_with_early_stopping_ends_no_worse_than_it_began(warm_and_worse):
    """The weights a warm start began from were no candidate: when every new epoch did worse
    on the hold-out, the best of them was kept, and the fit ended worse than it began."""
    base, X, y = warm_and_worse
    clf = pickle.loads(pickle.dumps(base))
    start_loss = _hold_out_loss(clf, X, y)
    before = uncached(clf.predict_proba, X)
    clf.fit(X, y)
    assert clf.n_iter_ == 3  # the patience counts the new epochs only: all three trained
    assert all(h["val_loss"] > start_loss for h in clf.history_[1:]), "meant to do worse"
    assert clf.best_epoch_ == 0
    np.testing.assert_array_equal(uncached(clf.predict_proba, X), before)
    # an epoch that does better than the start is kept, as before
    clf = pickle.loads(pickle.dumps(base)).set_params(learning_rate=0.02)
    clf.fit(X, y)
    val = [h["val_loss"] for h in clf.history_[1:]]
    assert min(val) < start_loss and clf.best_epoch_ == int(np.argmin(val)) + 1


def test_a_warm_start_with_a_hold_out_records_the_weights_it_began_from(warm_and_worse):
    """history_ held the epochs trained only: the hold-out score of the weights a warm start
    began from, against which it chose them (best_epoch_ 0), was computed and dropped, so a
    reader could not see whether the training improved on them. It is history_'s first
    record now, as epoch 0; n_iter_ still counts the epochs trained."""
    base, X, y = warm_and_worse
    clf = pickle.loads(pickle.dumps(base))
    start_loss = _hold_out_loss(clf, X, y)
    clf.fit(X, y)
    assert [h["epoch"] for h in clf.history_] == [0, 1, 2, 3]
    begun = clf.history_[0]
    assert np.isnan(begun["train_loss"])  # nothing trained
    assert begun["val_loss"] == pytest.approx(start_loss, rel=1e-5)
    assert 0 <= begun["val_accuracy"] <= 1
    assert clf.n_iter_ == 3 and clf.best_epoch_ == 0
    best = min(clf.history_, key=lambda h: h["val_loss"])
    assert best["epoch"] == clf.best_epoch_  # best_epoch_ names a record of history_
    # no hold-out, nothing scored: the epochs trained only, as without a warm start
    clf.set_params(early_stopping=False, epochs=1, learning_rate=1e-4).fit(X, y)
    assert [h["epoch"] for h in clf.history_] == [1] and clf.n_iter_ == 1


def test_an_interrupted_warm_start_keeps_the_weights_it_began_from(warm_and_worse, monkeypatch):
    from skbucket import _models

    base, X, y = warm_and_worse
    clf = pickle.loads(pickle.dumps(base))
    before = uncached(clf.predict_proba, X)
    real, calls = _models.pad_encoded, []

    def interrupting(*args, **kwargs):
        calls.append(1)
        # the start's hold-out batch, then 3 batches an epoch: the 2nd epoch's first step
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_models, "pad_encoded", interrupting)
    with pytest.warns(RuntimeWarning, match=r"after 1 complete epoch.*weights it started from"):
        clf.fit(X, y)
    monkeypatch.setattr(_models, "pad_encoded", real)
    assert clf.n_iter_ == 1 and clf.best_epoch_ == 0
    np.testing.assert_array_equal(uncached(clf.predict_proba, X), before)


def test_the_fine_tuning_bar_counts_batches(tiny, capsys):
    """It counts optimizer steps (one per batch) but said 'item/s': a 60-row fit showed
    '0/4 item/s'."""
    X, y = toy(24)
    make(tiny, epochs=1, batch_size=8, progress=True).fit(X, y)
    err = capsys.readouterr().err
    assert "DistilBertClassifier fit" in err and "/3" in err and "batch/s" in err, err


def test_pickle_stores_checkpoint_not_live_model(fitted):
    clf, X, _ = fitted
    state = clf.__getstate__()
    assert not any(k.startswith("_rt_") for k in state)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(state["_checkpoint"])
    twin = pickle.loads(pickle.dumps(clf))
    assert "_rt_finetuned" not in twin.__dict__
    expected = uncached(clf.predict_proba, X)
    assert np.array_equal(uncached(twin.predict_proba, X), expected)
    assert twin._checkpoint is None and "_rt_finetuned" in twin.__dict__  # rebuilt lazily


def test_the_exported_checkpoint_does_not_change_with_what_was_predicted(fitted):
    """tokenizer.json recorded the truncation the tokenizer was last called with: a model
    saved after a predict at another max_length held other bytes, and a classifier pickled
    and loaded exported, after its first predict, a tokenizer_config.json that had gained
    max_length, stride, truncation_side and truncation_strategy (read back from that
    record): the same weights, a saved file of another hash."""
    import json

    clf, X, _ = fitted

    def exported(model):
        return model.__getstate__()["_checkpoint"]

    first = exported(clf)
    assert json.loads(first["tokenizer.json"])["truncation"] is None
    twin = pickle.loads(pickle.dumps(clf))
    uncached(twin.predict, X[:3])  # rebuilt from the checkpoint, then called
    assert exported(twin) == first
    shorter = pickle.loads(pickle.dumps(twin)).set_params(max_length=8)
    uncached(shorter.predict, X[:3])
    assert exported(shorter) == first
    # the tokenizer's own state is left as it was
    tokenizer = twin._rt_finetuned[1]
    assert tokenizer.backend_tokenizer.truncation["max_length"] == clf.max_length


def test_an_unpickled_classifier_maps_no_file_of_its_temporary_folder(fitted):
    """The rebuilt model's tensors read from a memory map of the temporary folder's weights
    file, deleted but mapped: on Windows a mapped file cannot be deleted, so every load
    left the folder and its weights behind."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc/self/maps here to see the process's memory maps")
    clf, X, _ = fitted
    twin = pickle.loads(pickle.dumps(clf))
    expected = uncached(clf.predict_proba, X)
    assert np.array_equal(uncached(twin.predict_proba, X), expected)
    assert not [line for line in maps.read_text().splitlines() if "skbucket-clf-" in line]


def test_concurrent_first_requests_of_an_unpickled_classifier_rebuild_it_once(fitted, monkeypatch):
    """A loaded model served by threads: each first request rebuilt the weights from the
    checkpoint (8 copies of a 260 MB DistilBERT), and one that read the checkpoint after
    another dropped it was told to refit a valid model."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from transformers import AutoModelForSequenceClassification

    clf, X, _ = fitted
    expected = uncached(clf.predict_proba, X)
    twin = pickle.loads(pickle.dumps(clf))
    real, builds = AutoModelForSequenceClassification.from_pretrained, []

    def counting(*args, **kwargs):
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(AutoModelForSequenceClassification, "from_pretrained", counting)
    start = threading.Barrier(6)

    def request(_):
        start.wait(timeout=30)
        return uncached(twin.predict_proba, X)

    with ThreadPoolExecutor(6) as pool:
        outs = list(pool.map(request, range(6)))
    assert len(builds) == 1
    for out in outs:
        np.testing.assert_allclose(out, expected, atol=1e-6)


def _full_temporary_folder(clf, monkeypatch, tmp_path):
    """The system's temporary folder made full: safetensors fails writing the weights there
    (as on a small tmpfs /tmp), whatever else works."""
    from safetensors import SafetensorError

    full = tmp_path / "full-tmp"
    full.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(full))
    model = clf._rt_finetuned[0]
    real = type(model).save_pretrained

    def save_pretrained(self, folder, *args, **kwargs):
        if str(folder).startswith(str(full)):
            raise SafetensorError(
                "Error while serializing: I/O error: No space left on device (os error 28)"
            )
        return real(self, folder, *args, **kwargs)

    monkeypatch.setattr(type(model), "save_pretrained", save_pretrained)
    return full


def test_saving_with_a_full_temporary_folder_exports_beside_the_model_file(
    fitted, monkeypatch, tmp_path
):
    """Pickling the fine-tuned weights goes through a temporary folder: a full /tmp made
    skbucket fit and io.save fail with safetensors' own error (no OSError: the command line
    printed a traceback and lost the fit) although the model's disk had room."""
    from skbucket import io

    clf, X, _ = fitted
    expected = uncached(clf.predict_proba, X)
    full = _full_temporary_folder(clf, monkeypatch, tmp_path)
    out = tmp_path / "models"
    io.save(clf, out / "clf.joblib", format="joblib")
    assert sorted(p.name for p in out.iterdir()) == ["clf.joblib"]  # no folder left beside
    assert list(full.iterdir()) == []
    monkeypatch.undo()
    twin = io.load(out / "clf.joblib", allow_pickle=True)
    np.testing.assert_array_equal(uncached(twin.predict_proba, X), expected)


def test_pickling_with_a_full_temporary_folder_is_an_oserror_naming_it(
    fitted, monkeypatch, tmp_path
):
    clf, _, _ = fitted
    full = _full_temporary_folder(clf, monkeypatch, tmp_path)
    with pytest.raises(OSError, match=r"checkpoint.*No space left on device.*TMPDIR") as info:
        pickle.dumps(clf)
    assert str(full) in str(info.value)
    assert info.value.errno == 28  # the one safetensors quotes ("os error 28"), not EIO
    assert list(full.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "raised", "match"),
    [("config.json", OSError, "not a valid JSON"), ("model.safetensors", Exception, "header")],
)
def test_a_damaged_checkpoint_is_its_readers_error_not_a_temporary_folder_one(
    fitted, name, raised, match
):
    """Reading the checkpoint back failed with transformers' or safetensors' own error; the
    temporary folder fallback turned it into 'set TMPDIR to a folder with room'."""
    clf, X, _ = fitted
    state = clf.__getstate__()
    state["_checkpoint"] = {**state["_checkpoint"], name: b"garbage" * 3}
    twin = DistilBertClassifier.__new__(DistilBertClassifier)
    twin.__setstate__(state)
    with pytest.raises(raised, match=match) as info:
        twin.predict(X[:2])
    assert "TMPDIR" not in str(info.value)


def test_loading_with_no_temporary_folder_is_an_oserror_naming_it(fitted, monkeypatch, tmp_path):
    clf, X, _ = fitted
    twin = pickle.loads(pickle.dumps(clf))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))
    with pytest.raises(OSError, match=r"checkpoint \(to load it\).*'.*missing'.*TMPDIR"):
        twin.predict(X[:2])
    monkeypatch.undo()
    assert twin.predict(X[:2]).shape == (2,)  # the checkpoint is kept for another try


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/etc/x", 7, "a\x00b", "\\evil.txt", "D:evil.txt", "a/./b", ""]
)
def test_damaged_checkpoint_entry_is_refused(fitted, name):
    # a name that is no text, or holds a NUL, was a raw TypeError/ValueError
    clf, X, _ = fitted
    state = clf.__getstate__()
    state["_checkpoint"] = {**state["_checkpoint"], name: b"x"}
    twin = DistilBertClassifier.__new__(DistilBertClassifier)
    twin.__setstate__(state)
    with pytest.raises(RuntimeError, match=f"invalid entry {re.escape(repr(name))}"):
        twin.predict(X[:2])


def test_joblib_round_trip_in_fresh_process_without_base_checkpoint(tiny, tmp_path):
    base = shutil.copytree(tiny, tmp_path / "base-copy")
    X, y = toy(24)
    clf = make(str(base), epochs=3).fit(X, y)
    expected = clf.predict_proba(X)
    joblib.dump(clf, tmp_path / "clf.joblib")
    shutil.rmtree(base)  # the pickle is self-contained
    script = textwrap.dedent(
        f"""
        import json, sys, joblib, torch
        torch.set_num_threads(1)  # same as this test process: same summation order
        clf = joblib.load({str(tmp_path / "clf.joblib")!r})
        X = json.loads(sys.stdin.read())
        print(json.dumps(clf.predict_proba(X).tolist()))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(X),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    got = np.asarray(json.loads(out.stdout.strip().splitlines()[-1]))
    assert np.array_equal(got, expected)


def test_missing_empty_and_non_str_texts(fitted):
    clf, X, _ = fitted
    proba = clf.predict_proba([None, np.nan, "", 3, "3"])
    np.testing.assert_allclose(proba[0], proba[2])  # missing -> empty text (documented)
    np.testing.assert_allclose(proba[1], proba[2])
    np.testing.assert_allclose(proba[3], proba[4])  # numbers -> str(number)
    with pytest.raises(TextInputError, match="row 1: expected a text"):
        clf.predict(["ok", b"bytes"])
    with pytest.raises(TextInputError, match="one text column, got 2"):
        clf.predict(pd.DataFrame({"a": ["x"], "b": ["y"]}))


def test_fit_accepts_missing_texts_and_one_column_frames(tiny):
    X, y = toy(20)
    X[0], X[1] = None, np.nan
    frame = pd.DataFrame({"prompt": X})
    clf = make(tiny, epochs=1).fit(frame, y)
    assert clf.predict(frame).shape == (20,)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):  # as sklearn's
        assert clf.predict(frame.to_numpy()).shape == (20,)


def test_texts_longer_than_max_length_are_truncated(fitted):
    clf, _, _ = fitted  # max_length=24 tokens
    head = " ".join(["the post"] * 20)  # 40 tokens: already past max_length
    a = clf.predict_proba([head + " " + " ".join(GOOD * 80)])
    b = clf.predict_proba([head + " " + " ".join(BAD * 80)])
    assert np.array_equal(a, b)  # everything after token 24 is cut
    short = clf.predict_proba(["good " * 3, "bad " * 3])
    assert not np.allclose(short[0], short[1])  # ...while short texts still differ


def test_one_class_raises(tiny):
    with pytest.raises(ValueError, match="at least 2 classes.*got 1 class: 'pos'"):
        make(tiny).fit(["a", "b"], ["pos", "pos"])


@pytest.mark.parametrize(
    "labels, shown",
    [
        (np.array([1.0, np.nan, 2.0, 1.0, np.nan, 2.0]), "nan"),
        (np.array(["a", None, "b", "a", None, "b"], dtype=object), "None"),
        (pd.Series(["a", None, "b", "a", None, "b"], dtype="string"), "<NA>"),
        (
            np.array(
                ["2020-01-01", "NaT", "2020-01-02", "2020-01-01", "NaT", "2020-01-02"],
                dtype="datetime64[D]",
            ),
            "NaT",
        ),
        (np.array([1, "NaT", 2, 1, "NaT", 2], dtype="timedelta64[h]"), "NaT"),
        (pd.Series(pd.to_datetime(["2020-01-01", None, "2020-01-02"] * 2, utc=True)), "NaT"),
    ],
    ids=["float", "object", "string", "datetime64", "timedelta64", "datetime-tz"],
)
def test_missing_labels_are_refused_with_their_rows(tiny, labels, shown):
    """A datetime64 or timedelta64 y's NaT was no missing label to the check (it looked at
    float and object labels only): it became a class of its own, sorted last."""
    X, _ = toy(6)
    with pytest.raises(ValueError, match=re.escape(f"missing label ({shown}) at row 1 (2 missing")):
        make(tiny, epochs=1).fit(X, labels)


def test_errors_show_datetime_labels_as_dates(tiny):
    """numpy's .item() and .tolist() give a datetime64[ns] label as an int of nanoseconds:
    the errors named the class 1577836800000000000."""
    X, _ = toy(4)
    days = np.array(["2020-01-01", "2020-01-02"] * 2, dtype="datetime64[ns]")
    with pytest.raises(ValueError, match=r"got 1 class: '2020-01-01T00:00:00\.0+'\.$"):
        make(tiny, epochs=1).fit(X[:2], days[[0, 2]])
    with pytest.raises(ValueError, match=r"only class '2020-01-01T00:00:00\.0+' has any"):
        make(tiny, epochs=1).fit(X, days, sample_weight=[1, 0, 1, 0])
    clf = make(tiny, epochs=1, warm_start=True).fit(X, days)
    later = r"\['2020-01-02T00:00:00\.0+', '2020-01-03T00:00:00\.0+'\]"
    with pytest.raises(
        ValueError, match=rf"y has classes {later} but the fitted model has \['2020"
    ):
        clf.fit(X, days + np.timedelta64(1, "D"))
    # and a duration label as one, not as numpy's "86400000000000 nanoseconds"
    spans = (days - np.datetime64("2019-12-31")).astype("timedelta64[ns]")
    with pytest.raises(ValueError, match=r"got 1 class: '1 days 00:00:00'\.$"):
        make(tiny, epochs=1).fit(X[:2], spans[[0, 2]])


def test_missing_model_path_names_it(tmp_path):
    missing = tmp_path / "no-such-checkpoint"
    X, y = toy(8)
    with pytest.raises(ModelNotAvailableError, match="no-such-checkpoint"):
        DistilBertClassifier(model=str(missing), device="cpu").fit(X, y)


def test_bad_params_and_lengths(tiny):
    X, y = toy(8)
    with pytest.raises(InvalidParameterError, match="epochs"):
        make(tiny, epochs=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="class_weight"):
        make(tiny, class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match="max_length=1000 exceeds.*max_position_embeddings=512"):
        make(tiny, max_length=1000).fit(X, y)
    with pytest.raises(ValueError, match="8 texts but y has 7"):
        make(tiny).fit(X, y[:7])
    with pytest.raises(ValueError, match="Unknown label type"):
        make(tiny).fit(X, np.linspace(0, 1, 8))


def test_clone_and_params(fitted):
    clf, _, _ = fitted
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "classes_")


def test_import_does_not_import_torch():
    code = (
        "import sys, skbucket.classification; "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_plugs_into_bucketed_regressor_on_text(tiny):
    from skbucket.bucketed import BucketedRegressor

    X, labels = toy(40)
    likes = np.where(labels == "pos", 400.0, 3.0) + np.arange(40) % 5
    model = BucketedRegressor(classifier=make(tiny, epochs=8), regressors=DummyRegressor())
    model.fit(X, likes)
    assert list(model.classifier_.classes_) == [0, 3]
    assert np.mean(model.predict_bucket(X) == np.where(labels == "pos", 3, 0)) >= 0.9
    assert model.predict(X).shape == (40,)


def test_pipeline_classifier_in_bucketed_regressor_on_frame(tiny):
    from skbucket.bucketed import BucketedRegressor

    X, labels = toy(40)
    frame = pd.DataFrame({"prompt": X, "followers": np.arange(40, dtype=float)})
    likes = np.where(labels == "pos", 400.0, 3.0) + frame["followers"].to_numpy() % 5
    text = ColumnTransformer([("text", "passthrough", ["prompt"])])
    numeric = ColumnTransformer([("num", "passthrough", ["followers"])])
    model = BucketedRegressor(
        classifier=make_pipeline(text, make(tiny, epochs=8)),
        regressors=make_pipeline(numeric, LinearRegression()),
    )
    model.fit(frame, likes)
    pred = model.predict(frame)
    assert pred.shape == (40,) and np.mean(np.abs(pred - likes) < 50) >= 0.9


def test_real_posts_prompts(tiny, shared_data):
    from skbucket.bucketed import assign_buckets
    from skbucket.prompts import PromptBuilder

    tweets = pd.read_csv(shared_data / "tweets.csv.gz", nrows=64)
    prompts = PromptBuilder().set_output(transform="pandas").fit_transform(tweets)
    buckets = assign_buckets(tweets["likes"])
    clf = make(tiny, epochs=1, max_length=64, class_weight="balanced").fit(prompts, buckets)
    assert set(clf.classes_) == set(buckets)
    proba = clf.predict_proba(prompts)
    assert proba.shape == (64, len(clf.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# ----------------------------------------------------------------- sklearn checks
# The estimator declares ``input_tags.one_d_array`` (one text per row), so sklearn reduces
# most check data to ``X[:, 0]`` (numbers, turned into text by ``as_text_list``) and the
# remaining checks run for real on the tiny model. These fail, each for the reason given:
_INDEXES_1D = "sklearn check limitation: the check itself indexes X[:, 0] after reducing X to 1-D for the one_d_array tag"
_MULTI_COLUMN = "the check feeds a numeric array with several columns without the one_d_array reduction; one text per row is required (TextInputError)"
_EXPECTED_FAILURES = {
    "check_dont_overwrite_parameters": _INDEXES_1D,
    "check_f_contiguous_array_estimator": _INDEXES_1D,
    "check_methods_sample_order_invariance": _INDEXES_1D,
    "check_methods_subset_invariance": _INDEXES_1D,
    "check_fit2d_1sample": _INDEXES_1D,
    "check_fit2d_1feature": _INDEXES_1D,
    "check_dict_unchanged": _INDEXES_1D,
    "check_fit2d_predict1d": _INDEXES_1D,
    "check_estimator_sparse_array": "the check slices a 1-D sparse array, which scipy refuses",
    "check_sample_weights_shape": _MULTI_COLUMN,
    "check_sample_weights_not_overwritten": _MULTI_COLUMN,
    "check_sample_weight_equivalence_on_dense_data": _MULTI_COLUMN,
    "check_class_weight_classifiers": _MULTI_COLUMN,
    "check_decision_proba_consistency": _MULTI_COLUMN,
    "check_classifiers_one_label_sample_weights": _MULTI_COLUMN,
    "check_n_features_in": _INDEXES_1D,
    "check_n_features_in_after_fitting": _INDEXES_1D,
    "check_classifiers_train": (
        "with the one_d_array tag the check's X is one text per row, and so is its input "
        "'with another number of features': there is no count of features to differ"
    ),
    "check_fit1d": "1-D input is the documented input (one text per row), not an error",
}


@parametrize_with_checks(
    [
        DistilBertClassifier(
            model="set-in-the-test",
            epochs=1,
            batch_size=64,
            max_length=8,
            device="cpu",
            progress=False,
        )
    ],
    expected_failed_checks=lambda est: _EXPECTED_FAILURES,
)
def test_sklearn_compatible(estimator, check, tiny, monkeypatch):
    # the tiny checkpoint only exists at run time; clones keep the parameter
    estimator.set_params(model=tiny)
    # no prediction cache: an unpickled copy shares weights_id_, so check_estimators_pickle
    # compared the cached logits with themselves
    from skbucket import classification

    monkeypatch.setattr(classification, "open_cache", lambda cache: None)
    check(estimator)


def _count_rows(seen):
    def hook(module, args, kwargs, out):
        seen.append(int(kwargs["input_ids"].shape[0]))

    return hook


def test_repeated_predictions_run_the_model_once(tiny):
    X, y = toy(24)
    clf = make(tiny).fit(X, y)
    model, _ = clf._fitted_model(torch.device("cpu"))
    seen = []
    hook = model.register_forward_hook(_count_rows(seen), with_kwargs=True)
    try:
        proba = clf.predict_proba(X)
        first = sum(seen)
        assert first == len(set(X))  # every distinct text once
        np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
        clf.decision_function(X[:5])
        clf.predict_log_proba(X)
        assert sum(seen) == first  # served from the cache, same fitted weights
    finally:
        hook.remove()
    old_id = clf.weights_id_
    clf.fit(X, y)  # new weights: the cache must not answer for them
    assert clf.weights_id_ != old_id
    model, _ = clf._fitted_model(torch.device("cpu"))
    seen.clear()
    hook = model.register_forward_hook(_count_rows(seen), with_kwargs=True)
    try:
        clf.predict_proba(X)
        assert sum(seen) == len(set(X))
    finally:
        hook.remove()


def test_models_without_a_weights_id_do_not_share_cached_predictions(tiny):
    # a classifier pickled by a build without weights_id_: before, every such model had the
    # same cache key, and one answered with another's predictions
    X, y = toy(24)
    a = make(tiny, epochs=2, random_state=0).fit(X, y)
    b = make(tiny, epochs=2, random_state=1, learning_rate=1e-2).fit(X, y)
    expected = b.predict_proba(X)
    del a.weights_id_, b.weights_id_
    a.predict_proba(X)
    np.testing.assert_allclose(b.predict_proba(X), expected)


def test_max_length_set_after_fit_is_not_served_from_the_logits_cache(fitted):
    clf = pickle.loads(pickle.dumps(fitted[0]))  # same weights_id_: shares the process cache
    head = " ".join(FILLER)  # 10 words: past max_length=8 whatever follows
    texts = [head + " good great happy", head + " bad awful terrible"]
    a, b = clf.predict_proba(texts)  # max_length=24 sees the last words
    assert not np.allclose(a, b)
    clf.set_params(max_length=8)
    a, b = clf.predict_proba(texts)
    np.testing.assert_array_equal(a, b)  # both cut to the same 8 tokens


def test_fits_in_threads_give_the_fits_of_one_thread(tiny):
    """torch has one random generator per process: fits running in threads at once (a
    threaded search, a Dask worker with several threads) drew their dropout and head
    initialisation from each other's seeds, and the seeded results changed run to run."""
    from concurrent.futures import ThreadPoolExecutor

    X, y = toy(40)
    folds = [np.setdiff1d(np.arange(40), np.arange(k, 40, 4)) for k in range(4)]

    def fit(rows):
        clf = make(tiny, epochs=3, random_state=0)
        return clf.fit([X[i] for i in rows], y[rows]).predict_proba(X)

    alone = [fit(rows) for rows in folds]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(fit, folds))
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_errors_name_a_subclass(tiny):
    """They named DistilBertClassifier whatever the class."""

    class MyClassifier(DistilBertClassifier):
        pass

    with pytest.raises(ValueError, match=r"^MyClassifier: sample_weight must be finite"):
        MyClassifier(model=tiny, progress=False).fit(["a", "b"], [0, 1], sample_weight=[1, -1])
    with pytest.raises(ValueError, match=r"^MyClassifier needs at least 2 classes in y"):
        MyClassifier(model=tiny, progress=False).fit(["a", "b"], [0, 0])
    with pytest.raises(ValueError, match=r"^MyClassifier needs at least 2 classes among"):
        MyClassifier(model=tiny, progress=False).fit(["a", "b"], [0, 1], sample_weight=[1, 0])
    fitted = MyClassifier(model=tiny, progress=False, epochs=1).fit(["a", "b"], [0, 1])
    fitted.set_params(warm_start=True)
    with pytest.raises(ValueError, match=r"^MyClassifier\(warm_start=True\): y has classes"):
        fitted.fit(["a", "b"], [0, 2])


def test_an_image_model_is_refused_at_fit_naming_it(vit_folder):
    """A ViT folder given as the model failed at fit with its tokenizer's "Couldn't
    instantiate the backend tokenizer ... install sentencepiece or tiktoken", naming no image
    model; DistilBertEmbedder refused it at fit, naming it: so does the classifier now."""
    folder = vit_folder
    message = r"'vit' checkpoint of an image model, not a text encoder"
    with pytest.raises(ModelNotAvailableError, match=message):
        DistilBertClassifier(model=folder, device="cpu", progress=False).fit(*toy(8))
