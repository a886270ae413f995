"""Media → captions with BLIP-2: :class:`Blip2Captioner`.

One caption per image, made by a Hugging Face ``Blip2ForConditionalGeneration`` with greedy
(or beam) search, exactly as ``model.generate`` makes it image by image. Around that single
model call everything is about doing the work once and never losing it:

* a post's ``media`` cell is read with :func:`skbucket.media.parse_media` (the scraper's
  ``Photo``/``Video``/``Gif`` text, a path, a URL, a list, or nothing); a video or GIF is
  captioned from its thumbnail;
* every distinct reference is fetched once, on the :class:`skbucket.media.ImageFetcher`
  thread pool, while the model works on the previous chunk;
* images are de-duplicated by the SHA-256 of their bytes (a repost under another URL is
  captioned once), decoded and preprocessed once on two threads while the model captions the
  previous batch, and captioned in batches across rows by the shared runtime
  (:func:`skbucket._models.batched_map`);
* each finished batch is written to the cache at once, keyed by image content + model
  fingerprint + generation settings + a format version (+ the image loader's
  ``reduce_above`` where it is not the default), so a rerun (also a new process, also
  after ``SIGKILL`` or Ctrl-C) starts where the last one stopped.

torch, transformers and Pillow are imported inside methods only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import numbers
import os
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _models
from ._fitted import refit, validate_params_in_use
from ._frames import (
    SERIES_HINT,
    KeptColumnsOutputMixin,
    as_pandas,
    check_flat_columns,
    check_read_once,
    column_list,
)
from ._warn import user_stacklevel
from .cache import found_in, hash_key, interrupt_note, open_cache, unwritten_count

logger = logging.getLogger(__name__)

__all__ = [
    "CAPTION_COLUMN",
    "CAPTION_SEPARATOR",
    "Blip2Captioner",
    "CaptioningError",
    "CaptioningWarning",
]

#: Name of the output column.
CAPTION_COLUMN = "caption"

#: Joins the captions of a post with several images, in the order of its media.
CAPTION_SEPARATOR = " | "

#: Threads that decode images and make their ``pixel_values`` while the model runs.
_DECODE_THREADS = 2

#: Part of every cache key: raise it when a change to how images are read or captioned (EXIF
#: rotation, colour conversion, the prompt's form) would make earlier cached captions stale.
_CACHE_FORMAT = 1

#: Columns of ``Blip2Captioner.errors_``.
ERROR_COLUMNS = ["row", "position", "media", "kind", "error", "message"]


class CaptioningWarning(UserWarning):
    """Some images could not be captioned and ``on_error`` is not ``"raise"``: they got the
    fallback caption; ``Blip2Captioner.errors_`` lists them."""


class CaptioningError(ValueError):
    """An image of a row could not be captioned and ``on_error="raise"``.

    The message names the row (index label and position) and the media reference; the
    original :class:`skbucket.media.MediaError` is chained as ``__cause__``.

    Parameters
    ----------
    message : str
        The whole message.
    row, position, ref : object, default=None
        Stored as the attributes of those names.

    Attributes
    ----------
    row : object
        Index label of the first row holding the reference.
    position : int
        Position of that row in the input.
    ref : str
        The media reference (URL or path) or, for an unreadable ``media`` cell, its text.
    """

    def __init__(self, message: str, *, row: Any = None, position: int | None = None, ref=None):
        super().__init__(message)
        self.row = row
        self.position = position
        self.ref = ref


#: ``on_error``'s two modes (any other string is a caption)
_ON_ERROR_MODES = ("raise", "skip")


class Blip2Captioner(
    _models.TransformersEstimatorMixin,
    KeptColumnsOutputMixin,
    TransformerMixin,
    BaseEstimator,
    auto_wrap_output_keys=None,  # transform's output has the columns it is given: set_output
):  # type: ignore[call-arg]  # scikit-learn's __init_subclass__ takes it (no stubs)
    """Add a ``caption`` column describing each post's images, made by BLIP-2.

    Parameters
    ----------
    model : str or os.PathLike, default="Salesforce/blip2-opt-2.7b"
        Hugging Face hub id or local folder of a BLIP-2 checkpoint (loaded with
        ``Blip2ForConditionalGeneration`` and ``AutoProcessor``, once per process, on first
        use in :meth:`transform`).
    media_column : str, default="media"
        Column holding each post's media; each cell is anything
        :func:`skbucket.media.parse_media` accepts (the scraper's ``Photo``/``Video``/``Gif``
        text, a path, an ``http(s)://`` or ``file://`` URL, a list of those, or nothing).
    prompt : str or None, default=None
        Text the caption continues (e.g. ``"a photo of"``); ``None`` captions from the image
        alone. The caption returned is the generated continuation only (the prompt is not
        repeated).
    max_new_tokens : int, default=30
        Most tokens generated per caption. With the prompt's tokens (the image's query
        tokens, then ``prompt``'s) it must fit the language model's positions
        (``max_position_embeddings``: 2048 for BLIP-2 OPT); a larger value is refused by
        :meth:`transform` before any image is captioned.
    num_beams : int, default=1
        1 is greedy search; more is beam search.
    batch_size : int, default=8
        Images per ``model.generate`` call (images of different rows share a batch).
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"}, default="auto"
        ``"auto"`` uses CUDA when available, then MPS, else the CPU.
    dtype : {"auto", "float32", "float16", "bfloat16"}, torch.dtype or None, default="auto"
        ``"auto"`` is bfloat16 on CUDA (float16 on GPUs before Ampere, which lack native
        bfloat16) and float32 elsewhere; ``None`` is float32. The short spellings
        ``"fp32"``, ``"fp16"`` and ``"bf16"`` are read too. Checked at ``fit``.
    cache : None, bool, str, os.PathLike or cache object, default=None
        Where captions are kept (see :mod:`skbucket.cache`): ``None`` (or ``True``) the
        process-wide memory cache, a path a folder on disk (shared by processes; survives
        restarts), ``False`` none; an object with ``get_many``/``set_many`` (see
        :class:`skbucket.cache.CacheLike`): used, shared by clones (as the folds of a
        cross-validation are); its failures cost only the caching and the captions it gives
        back are checked. Keys: SHA-256 of the image bytes + model fingerprint +
        ``prompt``, ``max_new_tokens``, ``num_beams`` and the resolved dtype (and a
        subclass's module and name: it may caption otherwise). A run whose
        images are all cached loads no model and, where the dtype is known without asking
        torch (no GPU on the machine, or ``device="cpu"``, or an explicit ``dtype``), never
        imports torch.
    on_error : str, default="raise"
        What to do with an image that cannot be read or decoded, or a ``media`` cell that
        cannot be parsed: ``"raise"`` raises :class:`CaptioningError` naming the row and the
        reference; ``"skip"`` gives that image an empty caption; any other string is used as
        that image's caption (but one that differs from a mode only in case or surrounding
        spaces, such as ``"Raise"``, is refused as a likely typo). Every failure is recorded
        in :attr:`errors_` either way.
    image_loader : callable, skbucket.media.ImageFetcher or None, default=None
        How images are read. ``None``: a default :class:`~skbucket.media.ImageFetcher`
        (local paths, relative to the working directory at ``transform``, ``file://`` and
        ``http(s)://`` only; 10 s timeouts, 100 MB and 89 Mpx caps, recorded at :meth:`fit`
        in :attr:`image_limits_` (a JPEG above 40 Mpx is decoded at a reduced scale), 2
        retries with backoff, 8 I/O threads; a host that cannot be reached for 3 references
        in a row is then asked once every 10 s only). An ``ImageFetcher``: used
        as is (to change those limits). A callable: ``image_loader(ref)`` gets the reference
        string and returns encoded image ``bytes`` or a ``PIL.Image.Image``; it runs on the
        fetcher's threads and whatever it raises is recorded like any other failure.
        The default reads any local image file the process may read that a table names
        (``/home/you/private.png``), and asks any host a URL names or redirects to,
        loopback and private addresses included (``http://127.0.0.1/``,
        ``http://169.254.169.254/``): for a table from an untrusted source, pass a loader
        that accepts only URLs of the hosts you expect or only files under one folder.
    progress : bool or None, default=None
        Progress bar over the images; ``None`` shows it on a terminal or in a Jupyter
        notebook only (not in a worker process, such as ``GridSearchCV(n_jobs=2)``'s).
    overwrite : bool, default=False
        Only matters when the input already has a ``caption`` column. ``False`` keeps each
        non-empty existing caption (its media are not even read) and captions the rows whose
        caption is missing or empty; ``True`` captions every row.

    Attributes
    ----------
    image_limits_ : dict
        ``max_bytes`` and ``max_pixels`` of the default image reader (``image_loader=None``,
        or a callable, whose images are checked within them) at :meth:`fit`, which
        :meth:`transform` reads with: 100 MB and 89 Mpx
        (``skbucket.media.DEFAULT_MAX_BYTES`` and ``DEFAULT_MAX_PIXELS``). A captioner
        fitted before 0.8.3 has none and reads with that version's 20 MB and 40 Mpx, so it
        captions (and refuses) the images it did.
    checkpoint_stamp_ : str or None
        What the checkpoint was at :meth:`fit`, when this machine held it then: for a local
        folder, a hash of its files' names, sizes, modification times and first and last
        64 KiB (not the folder's path; its weights are not read whole: a BLIP-2 folder is
        15 GB); for a hub id in the local Hugging Face cache, its commit; else ``None``
        (``fit`` fetches and loads nothing). :meth:`transform` warns
        (:class:`~skbucket.exceptions.CheckpointChangedWarning`) when the checkpoint it
        captions with has another one (saved over, or ``model`` set to another checkpoint;
        not the same folder moved, or copied with its files' times): the steps after the
        captioner learned from the old captions.
    n_features_in_ : int
        Number of input columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of str
        Input columns seen in :meth:`fit` (recorded, not required by :meth:`transform`,
        which reads only ``media_column`` and ``caption``).
    errors_ : pandas.DataFrame
        Set when every :meth:`transform` ends (also by an error or Ctrl-C; with calls on
        several threads, by the last to end): one record per image (or unparseable cell) that
        failed, with columns ``row`` (index label), ``position``, ``media`` (the reference),
        ``kind``, ``error`` (exception class) and ``message``. Empty when nothing failed;
        otherwise :meth:`transform` also warns (:class:`CaptioningWarning`). A record of
        the call, not part of the model: not pickled or saved with it.
    n_generated_ : int
        Set when every :meth:`transform` ends, as ``errors_``: how many images the model
        captioned in that call (cache hits and repeated images not counted).

    See Also
    --------
    skbucket.media.parse_media : What a ``media`` cell may hold.
    skbucket.prompts.PromptBuilder : Uses the ``caption`` column.

    Notes
    -----
    **Output.** :meth:`transform` returns the input DataFrame's columns plus ``caption``
    (a string column; an existing ``caption`` column is replaced in place). It reads only
    ``media_column`` and ``caption``, so it checks only those: the other columns may differ
    from the ones seen in :meth:`fit` (extra, missing or in another order) and are passed
    through as they are, as a ColumnTransformer ignores the columns it does not select; a
    pipeline after it finds its own columns by name. Each caption is
    ``model.generate(**processor(images=image, text=prompt), max_new_tokens=...,
    num_beams=..., do_sample=False)`` decoded with ``skip_special_tokens=True``, without the
    prompt tokens, and stripped. A row with several images gets their captions joined with
    :data:`CAPTION_SEPARATOR` (``" | "``) in media order (empty captions left out); a row
    with no media gets ``""``. Batched generation needs no padding (every input of a batch
    holds the same prompt), so it gives the same text as one image at a time, up to
    floating-point ties.

    **Output container.** The native output is a pandas DataFrame (the columns mix texts and
    other types), also for ``set_output(transform="default")``; ``set_output(transform=
    "pandas")`` or ``"polars"`` work as for any scikit-learn transformer, keeping the column
    names of the output (those of the input given to :meth:`transform`, plus ``caption``).

    **Work done once.** Distinct references are fetched once; images with equal bytes are
    decoded and captioned once; cached captions are not recomputed. :meth:`fit` loads no
    model; the model is loaded on the first cache miss in :meth:`transform`.

    **Crash safety.** Each finished batch is cached before the next starts. After Ctrl-C the
    fetch threads are stopped and ``KeyboardInterrupt`` propagates; with a disk ``cache`` a
    rerun (even after ``SIGKILL``) recomputes only the batch that was in flight.

    Examples
    --------
    A model folder or hub id is needed; with ``Salesforce/blip2-opt-2.7b`` downloaded:

    >>> import pandas as pd
    >>> from skbucket.captioning import Blip2Captioner
    >>> posts = pd.DataFrame({"media": ["photos/cat.jpg", None]})
    >>> captioner = Blip2Captioner(cache="blip2-cache").fit(posts)
    >>> captioner.get_feature_names_out()
    array(['media', 'caption'], dtype=object)
    >>> captioner.transform(posts)  # doctest: +SKIP
                media                       caption
    0  photos/cat.jpg  a cat sitting on a windowsill
    1            None
    """

    # documented on this class's page (the mixin is private): keeps columns unseen at fit
    set_output = KeptColumnsOutputMixin.set_output

    _parameter_constraints: dict = {
        "model": [str, os.PathLike],
        "media_column": "no_validation",  # any column label; checked against X in fit
        "prompt": [str, None],
        "max_new_tokens": [Interval(numbers.Integral, 1, None, closed="left")],
        "num_beams": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        # validated when used (in transform) by the shared runtime / cache
        "device": "no_validation",
        "dtype": "no_validation",  # checked in _validate_params (a torch.dtype needs torch)
        "cache": [None, "boolean", str, os.PathLike, HasMethods(["get_many", "set_many"])],
        "on_error": [str],
        "image_loader": "no_validation",  # checked in fit (callable or ImageFetcher)
        "progress": ["boolean", None],
        "overwrite": ["boolean"],
    }

    def __init__(
        self,
        model="Salesforce/blip2-opt-2.7b",
        media_column="media",
        prompt=None,
        max_new_tokens=30,
        num_beams=1,
        batch_size=8,
        device="auto",
        dtype="auto",
        cache=None,
        on_error="raise",
        image_loader=None,
        progress=None,
        overwrite=False,
    ):
        self.model = model
        self.media_column = media_column
        self.prompt = prompt
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        self.cache = cache
        self.on_error = on_error
        self.image_loader = image_loader
        self.progress = progress
        self.overwrite = overwrite

    # ------------------------------------------------------------------------------ sklearn
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a DataFrame with a media column (texts, paths, URLs), not a numeric
        # 2-D array; scikit-learn's generic checks cannot build such input.
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []
        tags.requires_fit = True
        return tags

    def _check_frame(self, X, *, reset: bool) -> pd.DataFrame:
        X = as_pandas(X)
        if not isinstance(X, pd.DataFrame):
            hint = " (sparse input is not supported)" if hasattr(X, "tocsr") else ""
            if isinstance(X, pd.Series):  # one post, taken as a row
                hint = SERIES_HINT
            raise CaptioningError(
                f"{type(self).__name__} expects a pandas or polars DataFrame with a "
                f"{self.media_column!r} column, got {type(X).__name__}{hint}"
            )
        if reset:  # transform checks only the columns it reads (see Notes)
            validate_data(self, X, reset=True, skip_check_array=True)
        try:
            hash(self.media_column)
        except TypeError:
            raise ValueError(
                f"{type(self).__name__}: media_column must be one column label (a str), got "
                f"{type(self.media_column).__name__} {self.media_column!r}; the captioner reads "
                "one media column (a cell may list several images)."
            ) from None
        # media_column="caption" kept each path as its own caption (or wrote over the media)
        if isinstance(self.media_column, str) and self.media_column == CAPTION_COLUMN:
            raise ValueError(
                f"{type(self).__name__}: media_column={self.media_column!r} is the column the "
                "captions are written to; rename the media column (X.rename(columns="
                f"{{{CAPTION_COLUMN!r}: 'media'}})) and pass its new name."
            )
        # the caption column is read where there is one: "caption" in X.columns is also true
        # of a first level ("caption", "") of a MultiIndex, which is no column
        read = [self.media_column] + ([CAPTION_COLUMN] if CAPTION_COLUMN in X.columns else [])
        check_flat_columns(X, type(self).__name__, read, CaptioningError)
        if self.media_column not in X.columns:
            raise ValueError(
                f"{type(self).__name__}: media_column={self.media_column!r} is not a column of "
                f"X; columns present: {column_list(X.columns)}"
            )
        check_read_once(X, (self.media_column, CAPTION_COLUMN), type(self).__name__)
        return X

    def _validate_params(self):
        """scikit-learn's parameter check, and ``on_error`` spelled like a mode but not quite
        (``"Raise"``, ``"skip "``: any other string is a caption, so such a typo would caption
        every failed image with it instead of raising or skipping)."""
        super()._validate_params()
        _models.check_dtype_param(self)  # at fit, not when the first image is captioned
        _models.check_cache_param(self)
        mode = self.on_error.strip().lower()
        if mode in _ON_ERROR_MODES and self.on_error != mode:
            from sklearn.utils._param_validation import InvalidParameterError

            raise InvalidParameterError(
                f"The 'on_error' parameter of {type(self).__name__} is {self.on_error!r}: "
                f"did you mean {mode!r}? Only 'raise' and 'skip', written exactly so, are "
                "modes; any other string is the caption given to an image that fails."
            )

    def _check_loader(self) -> None:
        loader = self.image_loader
        if loader is not None and not callable(loader) and not _is_fetcher(loader):
            raise ValueError(
                "image_loader must be None, a skbucket.media.ImageFetcher or a callable "
                f"ref -> bytes | PIL.Image; got {type(loader).__name__}"
            )

    @refit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the input columns; loads no model.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame or pyarrow Table is read as pandas)
            Posts with a ``media_column`` column.
        y : None
            Ignored.

        Returns
        -------
        self : Blip2Captioner
        """
        self._check_loader()
        self._check_frame(X, reset=True)
        # the checkpoint as it is now, if this machine holds it (nothing is fetched, loaded or
        # hashed: its files' sizes and times): transform warns when the one it captions with
        # differs
        self.checkpoint_stamp_ = _models.checkpoint_stamp(self.model)
        from .media import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS

        self.image_limits_ = {"max_bytes": DEFAULT_MAX_BYTES, "max_pixels": DEFAULT_MAX_PIXELS}
        return self

    def get_feature_names_out(self, input_features=None):
        """Input columns followed by ``caption`` (unless the input already has one).

        The names of :meth:`transform`'s output for input with the columns seen in
        :meth:`fit`; for other input it returns that input's columns followed by ``caption``.
        As in scikit-learn, names are recorded only when every column label is a string:
        for other labels (``0, 1``) this gives ``x0, x1, ..., caption``, while
        :meth:`transform` keeps the input's own labels.

        Parameters
        ----------
        input_features : array-like of str or None
            Must match :attr:`feature_names_in_` when given.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        import numpy as np
        from sklearn.utils.validation import _check_feature_names_in

        check_is_fitted(self, "n_features_in_")
        names = list(_check_feature_names_in(self, input_features))
        if CAPTION_COLUMN not in names:
            names.append(CAPTION_COLUMN)
        return np.asarray(names, dtype=object)

    # ---------------------------------------------------------------------------- transform
    @refit
    def fit_transform(self, X, y=None, **fit_params):
        """:meth:`fit`, then :meth:`transform`.

        A call that fails or is interrupted part way leaves the captioner unfitted (the
        captions made so far stay in its cache), so a pipeline whose refit it stopped does not
        go on predicting with its later steps fitted on the old data.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame or pyarrow Table is read as pandas)
            Posts with a ``media_column`` column.
        y : None
            Ignored.
        **fit_params : dict
            Passed to :meth:`fit`.

        Returns
        -------
        X_out : pandas.DataFrame
            As :meth:`transform` returns it.
        """
        return super().fit_transform(X, y, **fit_params)

    def transform(self, X):
        """Caption every row's images.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame or pyarrow Table is read as pandas)
            Posts with a ``media_column`` column (and optionally ``caption``); its other
            columns need not be those seen in :meth:`fit` and are passed through.

        Returns
        -------
        X_out : pandas.DataFrame
            A copy of ``X`` with the ``caption`` column added (or, with an existing one,
            filled in; see ``overwrite``). Same columns, index and row order as ``X``; a
            polars DataFrame with ``set_output(transform="polars")``.

        Raises
        ------
        CaptioningError
            With ``on_error="raise"``, for the first failure met, naming its row: every
            ``media`` cell is parsed before any image is read, so an unparseable cell (the
            first one in row order) is reported first; then images are read and captioned in
            order of first appearance, batch by batch, so a fetch or decode failure is the
            first one found, not necessarily in the earliest row. Captions finished before it
            are cached.
        skbucket.exceptions.ModelNotAvailableError
            When the model cannot be loaded, or is not a BLIP-2 checkpoint (only if some
            image is not cached).
        """
        check_is_fitted(self, "n_features_in_")
        # parameters set after fit (batch_size=0, image_loader="x") get fit's errors, not
        # a ZeroDivisionError or a failure blamed on the first image
        try:
            validate_params_in_use(self)
            self._check_loader()
            X = self._check_frame(X, reset=False)
            if self._container() == "polars":  # before the captioning, not after it
                _check_polars_columns(X, type(self).__name__)
        except BaseException:
            # a call refused before any image ends too: errors_ no longer shows the failures
            # of the call before it as this one's
            self._rt_last_call = (_error_frame([], pd.RangeIndex(0)), 0)
            raise
        n = len(X)
        labels = list(X.index)
        errors: list[dict] = []
        generated = [0]  # images the model captioned in this call (the batches add to it)
        try:
            # 1. which rows need captions, and which images each one holds
            keep = self._existing_captions(X)
            row_refs: list[list[Any] | None] = [None] * n
            for pos, cell in enumerate(X[self.media_column].tolist()):
                if keep[pos] is not None:
                    continue
                try:
                    row_refs[pos] = _media_refs(cell)
                except ValueError as exc:  # MediaParseError
                    self._fail(errors, labels, pos, _cell_text(cell), "", exc)
                    row_refs[pos] = [_Failed(exc)]

            # 2. fetch each distinct reference once; caption each distinct image once
            first_row: dict[str, int] = {}
            kinds: dict[str, str] = {}
            for pos, refs in enumerate(row_refs):
                for ref in refs or ():
                    if isinstance(ref, _Failed):
                        continue
                    first_row.setdefault(ref.url, pos)
                    kinds.setdefault(ref.url, ref.kind)
            try:
                captions = self._caption_refs(
                    list(first_row), first_row, kinds, labels, errors, generated
                )
            except _models.ModelNotAvailableError as exc:  # named as the step it stops
                prefix = f"{type(self).__name__}: "
                if str(exc).startswith(prefix):  # said so already (not a BLIP-2 checkpoint)
                    raise
                raise _models.ModelNotAvailableError(
                    f"{prefix}{str(exc).rstrip('.')}. No image was captioned (a row that "
                    "carries its caption needs no model)."
                ) from exc

            # 3. assemble in input order
            out = []
            recorded: set[str] = set()  # failures recorded by _caption_refs (first occurrence)
            for pos in range(n):
                if keep[pos] is not None:
                    out.append(keep[pos])
                    continue
                parts = []
                for ref in row_refs[pos] or ():
                    if isinstance(ref, _Failed):
                        parts.append(self._replacement())
                        continue
                    result = captions[ref.url]
                    if isinstance(result, _Failed):
                        if first_row[ref.url] == pos and ref.url not in recorded:
                            recorded.add(ref.url)
                        else:  # record it for every other place that holds it
                            self._fail(errors, labels, pos, ref.url, ref.kind, result.error)
                        parts.append(self._replacement())
                    else:
                        parts.append(result)
                out.append(CAPTION_SEPARATOR.join(p for p in parts if p))
            failed = _error_frame(errors, X.index)
            if len(failed):  # skipped, not silent (on_error="raise" raised above)
                first = failed.iloc[0]
                row = first["row"].item() if hasattr(first["row"], "item") else first["row"]
                fallback = "an empty caption" if self.on_error == "skip" else repr(self.on_error)
                hosts = [e["unreachable"] for e in errors if e["unreachable"]]
                unreachable = (
                    f"; {len(hosts)} of them because their host could not be reached "
                    f"({', '.join(sorted(set(hosts)))}: no network?)"
                    if hosts
                    else ""
                )
                warnings.warn(
                    f"{type(self).__name__}: {len(failed)} image(s) in "
                    f"{failed['position'].nunique()} row(s) could not be captioned and got "
                    f"{fallback} (first: row {row!r}: {first['message']}){unreachable}; "
                    "see errors_",
                    CaptioningWarning,
                    stacklevel=user_stacklevel(),
                )
            X_out = X.copy()
            X_out[CAPTION_COLUMN] = pd.Series(out, index=X.index, dtype=object)
            return self._in_container(X_out)
        finally:
            # this call's own record, set once when it ends (also by an error or Ctrl-C):
            # a concurrent call no longer resets or adds to it while this one runs
            # kept as runtime state (dropped when pickled or saved): a record of one call, not
            # part of the model, and skops cannot write a DataFrame, so a captioner that had
            # run could not be saved with skbucket.io
            self._rt_last_call = (_error_frame(errors, X.index), generated[0])

    #: Attributes that builds up to 0.3.0 kept in the instance's dict: records of the last
    #: call, which the properties below now stand for (and a DataFrame skops cannot write).
    _STALE = ("errors_", "n_generated_")

    def __getstate__(self):
        state = super().__getstate__()
        return {k: v for k, v in state.items() if k not in self._STALE}

    def __setstate__(self, state):
        super().__setstate__({k: v for k, v in state.items() if k not in self._STALE})

    @property
    def errors_(self) -> pd.DataFrame:
        """The failures of the last :meth:`transform` to end (see the class's Attributes)."""
        return self._last_call()[0]

    @property
    def n_generated_(self) -> int:
        """Images the model captioned in the last :meth:`transform` to end."""
        return self._last_call()[1]

    def _last_call(self):
        last = self.__dict__.get("_rt_last_call")
        if last is None:  # hasattr(captioner, "errors_") is False, as for any unset attribute
            raise AttributeError(
                f"{type(self).__name__} has no record of a transform in this process yet: "
                "errors_ and n_generated_ are set when a transform ends (they are not saved "
                "with the model)."
            )
        return last

    # ------------------------------------------------------------------------------ helpers
    def _existing_captions(self, X) -> list[str | None]:
        """Per row: the caption to keep as is, or ``None`` when the row must be captioned."""
        if self.overwrite or CAPTION_COLUMN not in X.columns:
            return [None] * len(X)
        return [c if isinstance(c, str) and c.strip() else None for c in X[CAPTION_COLUMN]]

    def _replacement(self) -> str:
        return "" if self.on_error == "skip" else self.on_error

    def _fail(self, errors, labels, pos, ref, kind, exc) -> None:
        """Record a failure; raise :class:`CaptioningError` when ``on_error="raise"``."""
        from .media import _redacted, _shown_host

        errors.append(
            {
                "row": labels[pos],
                "position": pos,
                "media": ref,
                "kind": kind,
                "error": type(exc).__name__,
                "message": str(exc),
                # not a column of errors_: for the warning's summary, which names each host
                # once (h, H and h. are one host, as the fetcher counts them)
                "unreachable": _shown_host(ref) if getattr(exc, "unreachable", False) else None,
            }
        )
        if self.on_error == "raise":  # errors_ is set from `errors` when transform ends
            raise CaptioningError(
                f"{type(self).__name__}: row {labels[pos]!r} (position {pos}): cannot caption "
                f"media {_redacted(str(ref))!r}: {exc}",
                row=labels[pos],
                position=pos,
                ref=ref,
            ) from exc

    def _fetcher(self):
        from .media import LEGACY_LIMITS, ImageFetcher

        loader = self.image_loader
        # the limits of its fit: one fitted before 0.8.3 refuses what it refused then
        limits = getattr(self, "image_limits_", LEGACY_LIMITS)
        if loader is None:
            fetcher = ImageFetcher(**limits)
        elif _is_fetcher(loader):
            fetcher = loader
        else:  # the bytes or image a callable gives are checked within the same limits
            fetcher = ImageFetcher(loader=loader, **limits)
        return fetcher

    def _settings_key(self) -> tuple[str, str]:
        """Cache-key prefix (everything besides the image that changes the caption), dtype.

        Computed without importing torch where the dtype is certain (see
        :func:`skbucket._models.dtype_key`), so a run served from the cache never loads it.
        """
        dtype_key = _models.dtype_key(self.dtype, self.device)
        _models.resolve_hub_commit(self.model)  # a hub id not yet fetched: its commit first
        prefix = hash_key(
            _models.cache_name(self, Blip2Captioner, "Blip2Captioner"),
            # format 1 is the keys' form from before they named one: captions cached then
            # (hours of a GPU) are still found
            *([_CACHE_FORMAT] if _CACHE_FORMAT > 1 else []),
            _models.model_fingerprint(self.model),
            self.prompt,
            int(self.max_new_tokens),
            int(self.num_beams),
            dtype_key,
        )
        return prefix, dtype_key

    def _torch_settings(self, expected_dtype_key: str):
        """The torch device and dtype to run on (resolved at the first image to caption)."""
        device = _models.resolve_device(self.device)
        dtype = _models.resolve_dtype(self.dtype, device)
        if str(dtype) != expected_dtype_key:  # the key must describe what really runs
            raise RuntimeError(
                f"{type(self).__name__}: dtype resolved to {dtype} on {device}, but the cache "
                f"key was made for {expected_dtype_key}; pass dtype= and device= explicitly"
            )
        return device, dtype

    def _caption_refs(self, urls, first_row, kinds, labels, errors, generated) -> dict[str, Any]:
        """Fetch ``urls`` (in order, on threads) and caption them, a chunk at a time.

        Per chunk of fetched references: hash the bytes, look the content keys up in the
        cache and hand each distinct missing image to a small thread pool that decodes it and
        turns it into the model's ``pixel_values`` (Pillow and NumPy release the GIL). The
        model then captions the images of the *previous* chunks in full batches through
        :func:`skbucket._models.batched_map` (which caches each batch as soon as it is done),
        so decoding the next images overlaps ``model.generate`` and every call but the last
        gets ``batch_size`` images. Meanwhile the fetcher keeps reading ahead.
        """
        from concurrent.futures import ThreadPoolExecutor

        results: dict[str, Any] = {}
        if not urls:
            return results
        # a local folder fitted with and gone since (moved): how to point the fitted copy at
        # its new place, as the model's own load below says it (this reads the folder first)
        with _models.naming_a_moved_folder(self.model):
            prefix, dtype_key = self._settings_key()
        # None: not on this machine at fit, or fitted by a build that did not record it
        _models.warn_if_checkpoint_changed(
            self,
            getattr(self, "checkpoint_stamp_", None),
            "captioner",
            "captions",
            stamp=_models.checkpoint_stamp,
        )
        store = open_cache(self.cache, check=_caption_check)
        failed = [0]  # captions made here that the disk cache could not store (a full disk)
        batch_size = int(self.batch_size)
        fetcher = self._fetcher()
        from .media import DRAFT_ABOVE

        reduce_above = fetcher._reduce_above()
        if reduce_above != DRAFT_ABOVE:
            # decoded at another scale than the default reader's, a large photo gets another
            # caption: cached apart (the default's keys stay those cached under before)
            prefix = hash_key(prefix, "reduce_above", reduce_above)
        content_of: dict[str, str] = {}  # url -> content key
        by_key: dict[str, Any] = {}  # content key -> caption, or _Failed when undecodable
        pending: list[tuple[str, Any]] = []  # (key, future of pixel_values), in fetch order
        queue: list[tuple[str, Any]] = []  # (key, pixel_values) waiting for a full batch
        queued: set[str] = set()  # keys in `pending` or `queue`
        waiting: list[str] = []  # fetched urls whose caption is not known yet
        pool: ThreadPoolExecutor | None = None  # started at the first image to caption
        prepare: Callable[[bytes, str], Any] | None = None
        # [device, dtype, prompt inputs], made at the first image to caption
        run_settings: list = []

        def generate(batch):
            if not run_settings:
                run_settings.extend(self._torch_settings(dtype_key))
                run_settings.append(self._prompt_inputs())
            captions = self._generate([pixels for _, pixels in batch], *run_settings)
            generated[0] += len(batch)  # cached by batched_map before the next batch
            return captions

        def run_queue(final: bool) -> None:
            n_run = len(queue) if final else len(queue) - len(queue) % batch_size
            if n_run == 0:
                return
            items = queue[:n_run]
            before = unwritten_count(store)  # writes the disk refused before this run
            try:
                captions = _models.batched_map(
                    items,
                    generate,
                    batch_size=batch_size,
                    cache=store,
                    key_fn=lambda item: item[0],
                    progress=False,
                    log_interrupt=False,  # one call per queue run: the total is logged here
                )
            except KeyboardInterrupt:
                logger.warning(
                    "%s interrupted: %d image(s) captioned in this transform%s",
                    type(self).__name__,
                    generated[0],
                    interrupt_note(store, before - failed[0]),
                )
                raise
            failed[0] += unwritten_count(store) - before
            del queue[:n_run]
            queued.difference_update(key for key, _ in items)
            by_key.update((key, cap) for (key, _), cap in zip(items, captions))

        def resolve(keep: int) -> None:
            """Move decoded images to the queue, leaving the last ``keep`` still in flight."""
            while len(pending) > keep:
                key, future = pending.pop(0)
                try:
                    queue.append((key, future.result()))
                except ValueError as exc:  # MediaDecodeError / MediaTooLargeError
                    by_key[key] = _Failed(exc)
                    queued.discard(key)

        def settle() -> None:
            still = []
            for url in waiting:
                result = by_key.get(content_of[url])
                if result is None:
                    still.append(url)
                    continue
                if isinstance(result, _Failed):  # shared by every copy of these bytes
                    result = _Failed(_relabelled(result.error, url))
                results[url] = result
                bar.update(1)
                if isinstance(result, _Failed):
                    self._fail(errors, labels, first_row[url], url, kinds[url], result.error)
            waiting[:] = still

        def take(chunk: list[tuple[str, bytes]], final: bool) -> None:
            nonlocal pool, prepare
            fresh: dict[str, tuple[str, bytes]] = {}  # content key -> (url, bytes), once each
            for url, data in chunk:
                key = hash_key(prefix, hashlib.sha256(data).hexdigest())
                content_of[url] = key
                waiting.append(url)
                if key not in by_key and key not in queued:
                    fresh.setdefault(key, (url, data))
            found = found_in(store, list(fresh)) if store is not None and fresh else {}
            by_key.update(found)
            misses = [(key, url, data) for key, (url, data) in fresh.items() if key not in found]
            if misses and pool is None:
                # the fetcher's own reduced-scale limit (None: decoded whole, as one pickled
                # before 0.8.3 decodes), as its load_image reads the same bytes
                prepare = self._pixel_preparer(fetcher.max_pixels, reduce_above)
                pool = ThreadPoolExecutor(
                    max_workers=_DECODE_THREADS, thread_name_prefix="skbucket-decode"
                )
            for key, url, data in misses:
                assert pool is not None and prepare is not None  # started above, if not before
                pending.append((key, pool.submit(prepare, data, url)))
                queued.add(key)
            settle()  # cache hits
            resolve(keep=0 if final else len(misses))  # this chunk decodes during generate
            settle()  # report decode failures before spending time on the model
            run_queue(final)
            settle()

        stream = fetcher.fetch_bytes(urls)
        try:
            with (
                contextlib.closing(stream),
                _models.progress_bar(
                    len(urls), f"{type(self).__name__} transform", self.progress, unit="image"
                ) as bar,
            ):
                chunk: list[tuple[str, bytes]] = []
                for url, data in stream:
                    if isinstance(data, Exception):
                        results[url] = _Failed(data)
                        bar.update(1)
                        self._fail(errors, labels, first_row[url], url, kinds[url], data)
                        continue
                    chunk.append((url, data))
                    if len(chunk) >= batch_size:
                        take(chunk, final=False)
                        chunk = []
                take(chunk, final=True)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        return results

    def _pixel_preparer(self, max_pixels: int, reduce_above: int | None):
        """``prepare(data, source) -> pixel_values`` (1, 3, H, W) for the decode threads
        (a JPEG above ``reduce_above`` pixels decoded at a reduced scale, see
        :func:`skbucket.media.decode_image`; ``None``: whole).

        The processor's own image path, one image at a time: BLIP-2's image processor works
        image by image, so stacking these gives the same tensor as processing the batch.
        """
        from .media import MediaDecodeError, _import_pil, decode_image

        # without Pillow the processor's load fails first, blaming the model's folder ("could
        # not load ... with AutoProcessor"): the package that is missing is named instead
        _import_pil()
        # another kind of checkpoint (a text encoder's folder given as caption_model) has a
        # processor that fails on every image: with on_error="skip", every caption was empty
        # and the warnings blamed the images
        with _models.naming_a_moved_folder(self.model):
            config = _models.load_pretrained("AutoConfig", self.model)
        kind = getattr(config, "model_type", None)
        if kind != "blip-2":
            raise _models.ModelNotAvailableError(
                f"{type(self).__name__}: model {os.fspath(self.model)!r} is a {kind!r} "
                "checkpoint, not a BLIP-2 one (model_type 'blip-2', such as "
                "Salesforce/blip2-opt-2.7b); no image was captioned. Give a BLIP-2 checkpoint "
                "(in make_seed_pipeline or a --config file, caption_model=None captions "
                "nothing)."
            )
        self._check_max_new_tokens(config)  # before any image is decoded or captioned
        processor = _models.load_pretrained("AutoProcessor", self.model)

        def prepare(data: bytes, source: Any):
            image = decode_image(
                data, max_pixels=max_pixels, source=source, reduce_above=reduce_above
            )
            try:
                return processor(images=[image], return_tensors="pt")["pixel_values"]
            except MemoryError:  # this process's want, not the image's fault: raised
                raise
            except Exception as exc:  # an image the processor cannot take (its backend's
                # error, whatever its type): this image's failure, handled by on_error
                raise MediaDecodeError(
                    f"the image processor cannot prepare this {image.width}x{image.height} "
                    f"image ({type(exc).__name__}: {exc})",
                    source,
                ) from exc

        return prepare

    def _check_max_new_tokens(self, config) -> None:
        """Refuse a ``max_new_tokens`` that the checkpoint's language model cannot generate
        after its prompt (the image's query tokens, then ``prompt``'s tokens or the start
        token): its positions (``max_position_embeddings``) would run out part way, an
        IndexError of torch's embedding, and only for an image whose caption ran that long.
        Checked at :meth:`transform` (a value set after :meth:`fit` too), before the first
        image is captioned: :meth:`fit` reads no checkpoint. An encoder-decoder language
        model (BLIP-2 with Flan-T5) generates in its decoder, with no such limit."""
        text = getattr(config, "text_config", None)
        if text is None or getattr(text, "is_encoder_decoder", False):
            return
        limit = _models.max_tokens(text)
        if limit is None:
            return
        images = int(getattr(config, "num_query_tokens", 0) or 0)
        if self.prompt is None:  # the image's tokens and the start token, as generate puts them
            length, words = images + 1, "the start token"
        else:
            length = int(self._prompt_inputs()["input_ids"].shape[1])
            words = f"{length - images} for prompt={self.prompt!r} and the start token"
        # the last token generated is not read back: it needs no position
        allowed = limit + 1 - length
        if self.max_new_tokens > allowed:
            kind = getattr(text, "model_type", "?")
            raise ValueError(
                f"{type(self).__name__}: max_new_tokens={self.max_new_tokens} is more than the "
                f"language model ({kind!r}) of {str(self.model)!r} can generate: it holds "
                f"{limit} tokens (max_position_embeddings), and its prompt takes {length} of "
                f"them ({images} image tokens and {words}); use max_new_tokens <= "
                f"{max(allowed, 1)}{' (or a shorter prompt)' if self.prompt is not None else ''}."
                " No image was captioned."
            )

    def _prompt_inputs(self) -> dict:
        """``input_ids``/``attention_mask`` of ``prompt`` for one image (empty without one).

        The prompt's ids (image tokens + text) do not depend on the image, so they are made
        the processor's way once per ``transform``, from a blank image, and repeated for
        every batch.
        """
        if self.prompt is None:
            return {}
        from PIL import Image

        processor = _models.load_pretrained("AutoProcessor", self.model)
        # the processor puts the image's tokens in front of the prompt: one more in the prompt
        # ("<image> a photo of", as other models' prompts are written) left the model with
        # more image places than image features, a RuntimeError of torch's masked_scatter
        token = getattr(processor, "image_token", None)
        token = getattr(token, "content", token)
        if isinstance(token, str) and token and token in self.prompt:
            raise ValueError(
                f"{type(self).__name__}: prompt={self.prompt!r} holds {token!r}, the "
                "processor's image token; BLIP-2's processor puts the image in front of the "
                "prompt itself: write the prompt without it (e.g. 'a photo of')."
            )
        blank = Image.new("RGB", (32, 32))
        encoded = processor(images=[blank], text=[self.prompt], return_tensors="pt")
        return {name: encoded[name] for name in ("input_ids", "attention_mask") if name in encoded}

    def _generate(self, pixels, device, dtype, prompt_inputs) -> list[str]:
        """Captions of one batch of prepared images: one ``model.generate`` call."""
        import torch

        model = _models.load_pretrained(
            "Blip2ForConditionalGeneration", self.model, device=device, dtype=dtype
        )
        processor = _models.load_pretrained("AutoProcessor", self.model)
        n = len(pixels)
        inputs: dict[str, Any] = {"pixel_values": torch.cat(list(pixels)).to(device, dtype)}
        for name, ids in prompt_inputs.items():
            inputs[name] = ids.repeat(n, 1).to(device)
        out = model.generate(
            **inputs,
            max_new_tokens=int(self.max_new_tokens),
            num_beams=int(self.num_beams),
            do_sample=False,
        )
        prompt_ids = inputs.get("input_ids")
        if (
            prompt_ids is not None
            and out.shape[1] >= prompt_ids.shape[1]
            and torch.equal(out[:, : prompt_ids.shape[1]], prompt_ids.to(out.device))
        ):
            out = out[:, prompt_ids.shape[1] :]  # decoder-only models echo the prompt
        texts = processor.batch_decode(out, skip_special_tokens=True)
        return [t.strip() for t in texts]


# ---------------------------------------------------------------------------------- helpers
class _Failed:
    """Marks an image (or a whole cell) that could not be captioned."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _relabelled(error: BaseException, ref: str) -> BaseException:
    """``error`` about ``ref``: a decode failure is found once per content, and another
    reference with the same bytes must not be reported under the first one's name."""
    from .media import MediaError, _strip_label

    if (
        isinstance(error, MediaError)
        and error.ref is not None
        and error.ref != ref
        and type(error).__init__ is MediaError.__init__  # (message, ref), as the decode errors
    ):
        return type(error)(_strip_label(error), ref)
    return error


def _is_fetcher(obj) -> bool:
    from .media import ImageFetcher

    return isinstance(obj, ImageFetcher)


def _check_polars_columns(X: pd.DataFrame, who: str) -> None:
    """Refuse, before any image is read, a column that a polars output cannot hold (path
    objects, a column mixing texts and lists): the captions would be lost at the end."""
    import polars

    for column in X.columns:
        if column == CAPTION_COLUMN:  # rebuilt as text by transform
            continue
        try:
            polars.from_pandas(X[[column]])
        except ImportError as exc:  # polars converts text through pyarrow: not the column's
            raise ImportError(
                f"{who}: set_output(transform='polars') makes polars output from pandas, "
                f"which needs a package that cannot be imported ({exc}): pip install pyarrow "
                "(or 'skbucket[formats]'), or use pandas output"
            ) from exc
        except Exception as exc:
            raise ValueError(
                f"{who}: set_output(transform='polars'), but column {column!r} cannot be held "
                f"by polars ({type(exc).__name__}: {str(exc)[:200]}); write paths as text "
                "(os.fspath), keep one kind of value per column, or use pandas output."
            ) from None


def _media_refs(cell) -> list:
    from .media import parse_media

    return parse_media(cell)


def _cell_text(cell, limit: int = 200) -> str:
    text = cell if isinstance(cell, str) else repr(cell)
    return text if len(text) <= limit else text[:limit] + "..."


def _caption_check(value) -> str | None:
    """What is wrong with a cached value that should be a caption (the ``check`` of
    :func:`skbucket.cache.open_cache`; ``None``: nothing)."""
    if isinstance(value, str):
        return None
    return f"a {type(value).__name__} where the captioner stored a caption (a str)"


def _error_frame(errors: list[dict], index: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame(errors, columns=ERROR_COLUMNS)
    # the same dtypes with records and without (six object columns when empty; the labels
    # of an int32 or categorical index became int64 or str): row as the index holds them
    texts = dict.fromkeys(ERROR_COLUMNS[2:], str)
    frame = frame.astype({"row": index.dtype, "position": "int64", **texts})
    return frame.sort_values("position", kind="stable", ignore_index=True)
