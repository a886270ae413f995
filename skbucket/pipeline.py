"""The seed method end to end, as one plain scikit-learn :class:`~sklearn.pipeline.Pipeline`.

:func:`make_seed_pipeline` wires the four stages together::

    raw posts ─ caption ─ prompt ─ features ──────────────────── model
                 Blip2Captioner    ColumnTransformer             BucketedRegressor
                 (or passthrough)  ├ prompt     (kept as text) ─→ classifier (router)
                           │       ├ embedding  DistilBertEmbedder(prompt)  ┐
                 ColumnTransformer └ post       PostFeatures(raw columns)   ┴→ regressors (seed)
                 ├ prompt  PromptBuilder
                 └ posts   the raw columns

The router is the seed's fine-tuned DistilBertClassifier on the prompt (``classifier=
"distilbert"``), or by default an :class:`~skbucket.routing.AccountRouter` that asks it only for
posts of companies never seen in training and a HistGradientBoostingClassifier on the post
features for the others (``classifier="hybrid"``). Every step is an ordinary estimator reachable
by name, so ``set_params``/``GridSearchCV`` work on e.g. ``model__regressors__0__max_depth`` or
``model__classifier__unseen__learning_rate`` (``model__classifier__learning_rate`` with
``classifier="distilbert"``).
"""

from __future__ import annotations

import contextlib
import numbers
import os
import re
from pathlib import Path
from types import MappingProxyType

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.fixes import parse_version
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import check_is_fitted, validate_data

from ._fitted import refit
from ._frames import (
    SERIES_HINT,
    KeptColumnsOutputMixin,
    as_pandas,
    check_flat_columns,
    check_min_size,
    check_unique_columns,
    column_list,
    library,
)
from ._models import clear_model_registry, progress_lines, set_everywhere
from ._subestimators import _pipeline_steps
from .bucketed import (
    DEFAULT_BINS,
    BucketedRegressor,
    _check_bins,
    _class_weight_problem,
    _request_weights,
    seed_regressors,
)
from .routing import AccountRouter

__all__ = [
    "ColumnRoles",
    "check_models",
    "check_params",
    "clear_model_registry",
    "make_seed_pipeline",
    "models_used",
    "progress_lines",
    "set_everywhere",
    "seen_posts",
    "training_posts_text",
    "warn_training_posts",
    "TrainingPostsWarning",
    "unseen_accounts_text",
    "unseen_posts",
    "POST_COLUMNS",
    "PROMPT_COLUMN",
    "REQUIRED_ROLES",
    "SEED_SETTINGS",
]

#: Name of the prompt column built inside the pipeline (the text router's and the embedder's input).
PROMPT_COLUMN = "prompt"

#: the seed as published: ``make_seed_pipeline(**SEED_SETTINGS)`` reproduces it (the fine-tuned
#: text router for every post, hard routing to the most probable bucket, regressors fit on raw
#: likes); read-only. Every key but ``classifier`` is a BucketedRegressor parameter.
SEED_SETTINGS = MappingProxyType(
    {"classifier": "distilbert", "routing": "hard", "soft_average": "raw", "target_transform": None}
)


class _ColumnPattern(make_column_selector):
    """``make_column_selector(pattern=...)`` that reads a polars DataFrame's columns too.

    scikit-learn's selector accepts pandas only; the pipeline's first ColumnTransformer sees
    the user's posts as given, and skbucket's transformers take polars DataFrames (converted
    to pandas inside). Columns are matched by ``re.search`` as scikit-learn's selector does.
    """

    def __init__(self, pattern):
        super().__init__(pattern=pattern)

    def __call__(self, df):
        if hasattr(df, "iloc"):  # pandas: scikit-learn's own selector
            return super().__call__(df)
        _check_frame(df)
        return [c for c in df.columns if re.search(self.pattern, str(c))]

    def __repr__(self):
        return f"{type(self).__name__}(pattern={self.pattern!r})"


#: scikit-learn's ColumnTransformer selects a polars DataFrame's columns by a callable from 1.7
_SKLEARN_BELOW_1_7 = parse_version(sklearn.__version__).release < (1, 7)


def _checked_posts(X):
    """``X``, a DataFrame of posts, checked and as scikit-learn's ColumnTransformer can select
    its columns by a callable: a polars DataFrame as pandas below scikit-learn 1.7 (1.6 failed
    with "'list' object has no attribute 'get_loc'"), as given otherwise (each transformer
    reads polars as pandas); column names of several levels refused before the selectors fail
    on them."""
    _check_frame(X)
    if library(X) == "polars" and _SKLEARN_BELOW_1_7:
        X = as_pandas(X)
    if hasattr(X, "iloc"):
        check_flat_columns(X, "the seed pipeline", [c for c in POST_COLUMNS if c != "caption"])
        # a repeat of a column it does not read: narwhals' DuplicateError from scikit-learn
        check_unique_columns(X, "the seed pipeline")
    return X


def _check_frame(df) -> None:
    """Refuse input other than a pandas or polars DataFrame, saying what to pass."""
    if library(df) == "polars" and type(df).__name__ == "LazyFrame":
        as_pandas(df)  # its "call .collect()" error (a LazyFrame has columns, too)
    if (hasattr(df, "iloc") and getattr(df, "ndim", 2) == 2) or (
        library(df) == "polars" and hasattr(df, "columns")
    ):
        return
    if hasattr(df, "iloc"):
        hint = SERIES_HINT
    elif hasattr(df, "column_names"):
        hint = " (a pyarrow Table: convert it with .to_pandas())"
    elif isinstance(df, np.ndarray):
        hint = (
            " (an array: pass the posts as a DataFrame; a step's output inside the pipeline "
            "is an array after set_output(transform='default'): the seed pipeline needs "
            "set_output(transform='pandas'), as make_seed_pipeline sets it)"
        )
    else:
        hint = ""
    raise ValueError(
        "the seed pipeline finds its columns by name: it reads a pandas or polars DataFrame "
        f"of posts; got {type(df).__module__}.{type(df).__name__}{hint}"
    )


class _PostColumns(ColumnTransformer):
    """The seed pipeline's ColumnTransformers: input other than a DataFrame is refused with
    :func:`_check_frame`'s message in ``transform`` too (scikit-learn's own says only that
    "columns using strings" need a dataframe), for the posts given to ``predict`` as an
    array, and for a step before that returns one (``fit`` runs ``fit_transform``).

    A refit that fails or is interrupted part way (Ctrl-C during the embedding) leaves the
    step unfitted, as every skbucket estimator is left (:func:`~skbucket._fitted.refit`):
    scikit-learn's ColumnTransformer kept its old fitted transformers, so the pipeline went on
    predicting with the steps after it fitted on the old prompts, fed the new ones."""

    @refit
    def fit_transform(self, X, y=None, **params):
        from .prompts import _TEXT_LEFT_OUT_SAID, PromptBuilder, _warn_unread_text

        X = _checked_posts(X)
        said = False
        if any(isinstance(t, PromptBuilder) for _, t, _ in self.transformers):  # the posts
            said = _warn_unread_text(
                as_pandas(X),
                POST_COLUMNS,
                "the seed pipeline",
                "give it to make_seed_pipeline as columns={'content': <name>}, or rename it "
                "to 'content' (skbucket.pipeline.POST_COLUMNS lists the columns the pipeline "
                "reads by name).",
            )
        if not said:
            return super().fit_transform(X, y, **params)
        # said, naming the column left out: its PromptBuilder's "no post text" is not said
        # again (both were, near-identical, with the same remedy)
        token = _TEXT_LEFT_OUT_SAID.set(True)
        try:
            return super().fit_transform(X, y, **params)
        finally:
            _TEXT_LEFT_OUT_SAID.reset(token)

    def transform(self, X, **params):
        X = _checked_posts(X)
        read = self._columns_read()
        if read is not None:
            self._check_read_columns(X, read)
            self._warn_unread_roles(X, read)
        return super().transform(X, **params)

    def _warn_unread_roles(self, X, read: list) -> None:
        """Warn, once per call, of the columns of :data:`POST_COLUMNS` that ``X`` holds but
        the training posts did not (a ``caption`` column given to a model fitted without a
        captioner on posts without one), which this step, the posts' step, leaves out: the
        columns it reads were chosen in ``fit``."""
        from .prompts import PromptBuilder

        if not any(isinstance(t, PromptBuilder) for _, t, _ in self.transformers):
            return
        unread = [c for c in POST_COLUMNS if c in set(X.columns) and c not in read]
        if not unread:
            return
        import warnings

        from ._warn import user_stacklevel

        it = "them" if len(unread) > 1 else "it"
        warnings.warn(
            f"the seed pipeline: X has the column(s) {unread!r}, which the posts the model "
            f"was fitted on did not have, so {'they are' if len(unread) > 1 else 'it is'} not "
            f"read: the model reads the columns of its training posts ({column_list(read)}), "
            f"and its prompts and post features leave {it} out; to use {it}, fit the model "
            f"on posts that hold {it}",
            UserWarning,
            stacklevel=user_stacklevel(),
        )

    def _columns_read(self) -> list | None:
        """The columns of the posts seen in ``fit`` that the fitted transformers read (None
        before ``fit``, where scikit-learn's own check says so)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None or not hasattr(self, "transformers_"):
            return None
        read: dict = {}  # in the order fit saw them, each once
        for _, transformer, columns in self.transformers_:
            if isinstance(transformer, str) and transformer == "drop":
                continue
            for column in columns if isinstance(columns, list | tuple) else []:
                if isinstance(column, numbers.Integral) and not isinstance(column, bool):
                    column = names[column]  # the remainder's columns, by position
                read[column] = None
        return list(read)

    def _check_read_columns(self, X, read: list) -> None:
        """Refuse posts ``X`` that lack a column this step read in ``fit`` (scikit-learn said
        only ``columns are missing: {'content'}``), naming it and the columns fitted on."""
        present = set(X.columns)
        missing = [column for column in read if column not in present]
        if missing:
            what = {"content": "text", "caption": "a caption"}  # a post may lack them
            empty = [what[c] for c in missing if c in what]
            raise ValueError(
                f"the seed pipeline: X lacks the column(s) {missing!r} that the model was "
                f"fitted with; it reads the columns {column_list(read)} of its training "
                "posts, and needs each of them to predict"
                + (
                    f" (for posts without {' or '.join(empty)}, give the column with missing "
                    "values)"
                    if empty
                    else ""
                )
                + f"; X has the columns {column_list(str(c) for c in X.columns)}"
            )

    def set_params(self, **params):
        """scikit-learn's ``set_params``, then this step's output container (``pandas``, as
        :func:`make_seed_pipeline` sets it) again for every transformer: ``set_output``
        reaches the transformers it finds, so one put in by ``set_params`` (by hand or by
        ``GridSearchCV``: ``features__post=PostFeatures(cv=3)``) returned an array, and every
        column of the stacked features became ``object``, which XGBoost refuses."""
        super().set_params(**params)
        config = getattr(self, "_sklearn_output_config", {}).get("transform")
        if config is not None:
            # each transformer that can (set_output refuses the step as a whole when one
            # cannot, e.g. a custom transformer without get_feature_names_out)
            for _, transformer, _ in [*self.transformers, ("remainder", self.remainder, None)]:
                if hasattr(transformer, "set_output"):
                    transformer.set_output(transform=config)
        return self


#: selects every column except the prompt (a picklable selector)
_NOT_PROMPT = _ColumnPattern(f"^(?!{PROMPT_COLUMN}$)")

#: selects the post features: every column except the prompt and its embedding
_POST_FEATURES = _ColumnPattern(rf"^(?!{PROMPT_COLUMN}$|distilbertembedder\d+$)")

#: the input columns the pipeline reads (PromptBuilder's and PostFeatures' defaults; a test
#: ties them together): only these are passed on, so any other column of the posts (an id,
#: bookkeeping, an index saved by ``to_excel``) is neither needed at predict time nor used
POST_COLUMNS = ("content", "caption", "username", "inferred_company", "date", "media")
_POSTS = _ColumnPattern("^(?:" + "|".join(POST_COLUMNS) + ")$")


class ColumnRoles(
    KeptColumnsOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):  # type: ignore[call-arg]  # scikit-learn's __init_subclass__ takes it (no stubs)
    """Give the columns of a table of posts the names the seed pipeline reads them by.

    The seed pipeline finds its input columns by name (:data:`POST_COLUMNS`: the roles
    ``content, caption, username, inferred_company, date, media``).
    ``make_seed_pipeline(columns={"content": "text", ...})`` makes this its first step
    (``roles``), so a table with other names is read without renaming it first, by
    ``fit``, ``predict``, ``cross_val_score`` and ``skbucket fit``/``predict`` alike.

    Parameters
    ----------
    columns : dict or None, default=None
        ``{role: column}``: each key one of :data:`POST_COLUMNS`, each value the name (a
        ``str``) of the column of ``X`` that holds that role, each column named once.
        A role not given is read under its own name, when ``X`` has it. ``None`` (or ``{}``)
        renames nothing.
    required : tuple of str, default=()
        Roles that ``X`` must hold once renamed, checked by :meth:`fit` and :meth:`transform`
        before any later step runs. :func:`make_seed_pipeline` gives those its post
        features read (:data:`REQUIRED_ROLES`), so a role left out of ``columns`` is named
        before the captioning and embedding, not after; a pipeline whose post features are
        then set not to read one (``features__post__media_column=None``) takes it out here
        too (``roles__required=("username", "inferred_company", "date")``).

    Attributes
    ----------
    columns_ : dict
        The ``{role: column}`` pairs :meth:`transform` applies (those of ``columns`` whose
        column is not already named for its role).
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns seen in :meth:`fit` (every column name must be a ``str``).

    See Also
    --------
    make_seed_pipeline : Its ``columns`` argument puts this step first.
    skbucket.prompts.PromptBuilder : Its own ``columns`` maps the roles it reads.

    Notes
    -----
    Each column given for a role is renamed to the role's name. A column of ``X`` that
    already bears the name of a role given another column (a ``content`` column beside
    ``columns={"content": "text"}``) gives way to it: it is left out of the output, so it
    is not read. Roles may be swapped (``{"content": "caption", "caption": "content"}``).
    The other columns are passed through unchanged, in their order; like the seed
    pipeline's other steps, :meth:`transform` checks only the columns it renames, so the
    others may differ from those seen in :meth:`fit`. A column given for a role must be
    present in every ``X`` (one given under its role's own name is simply read, if there):
    it is an error naming the column and its role when it is not. The steps after this one
    read the columns by role, so their errors and warnings name the role (``text column
    'content', row 3``), not your column.

    The input is a pandas or polars DataFrame (read as pandas), as for the seed pipeline; the
    output is a pandas DataFrame (with ``set_output(transform="polars")`` a polars one).

    Examples
    --------
    >>> import pandas as pd
    >>> from skbucket.pipeline import ColumnRoles
    >>> posts = pd.DataFrame({"text": ["New drop!"], "handle": ["nike"], "likes": [12]})
    >>> roles = ColumnRoles(columns={"content": "text", "username": "handle"}).fit(posts)
    >>> roles.transform(posts)
         content username  likes
    0  New drop!     nike     12
    >>> roles.get_feature_names_out()
    array(['content', 'username', 'likes'], dtype=object)
    """

    # documented on this class's page (the mixin is private): keeps columns unseen at fit
    set_output = KeptColumnsOutputMixin.set_output

    _parameter_constraints: dict = {"columns": [dict, None], "required": [tuple, list]}

    def __init__(self, columns=None, required=()):
        self.columns = columns
        self.required = required

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # a DataFrame of posts, by column name
        tags.input_tags.sparse = False
        tags.input_tags.string = True  # passed on as they are: texts, and missing values
        tags.input_tags.allow_nan = True
        return tags

    def _validate_params(self):
        """scikit-learn's parameter check, then the mapping's roles and column names."""
        super()._validate_params()
        columns = self.columns or {}
        unknown = [role for role in columns if role not in POST_COLUMNS]
        if unknown:
            raise ValueError(
                f"columns maps roles to your column names, {{role: column}}; the roles are "
                f"{list(POST_COLUMNS)}; got the key(s) {unknown!r} (to read a column under "
                "another role's name, give that role as the key)"
            )
        bad = {
            role: name for role, name in columns.items() if not isinstance(name, str) or not name
        }
        if bad:
            raise ValueError(
                f"columns values are the names (non-empty str) of your columns; got {bad!r}"
            )
        names = list(columns.values())
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"columns gives the column(s) {repeated!r} for more than one role; each column "
                f"holds one role (columns={columns!r})"
            )
        unknown = [role for role in self.required if role not in POST_COLUMNS]
        if unknown:
            raise ValueError(f"required holds roles of {list(POST_COLUMNS)}; got {unknown!r}")

    def _check_columns(self, X, mapping: dict):
        """``X`` as a pandas DataFrame with every column ``mapping`` renames and every
        required role, and :meth:`_renamed` of its columns."""
        _check_frame(X)
        X = as_pandas(X)
        check_unique_columns(X, type(self).__name__)
        read = [*mapping.values(), *(role for role in self.required if role not in mapping)]
        check_flat_columns(X, type(self).__name__, read)
        missing = [
            f"{name!r} (for {role!r})" for role, name in mapping.items() if name not in X.columns
        ]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: column(s) {', '.join(missing)} given in columns= not "
                f"found in X; X has the columns {column_list(str(c) for c in X.columns)}"
            )
        keep, names = self._renamed(list(X.columns), mapping)
        unheld = [role for role in self.required if role not in names]
        if unheld:
            taken = [
                f"{role!r} (its column is read as {_role_of(mapping, role)!r})"
                for role in unheld
                if _role_of(mapping, role)
            ]
            raise ValueError(
                f"{type(self).__name__}: no column of X holds the role(s) {unheld!r} the "
                "pipeline reads; give each in columns={role: <your column>}"
                + (f" ({'; '.join(taken)})" if taken else "")
                + f"; X has the columns {column_list(str(c) for c in X.columns)} (a pipeline set not to "
                "read a role, e.g. features__post__media_column=None, must also take it out "
                "of the roles this step requires: set_params(roles__required="
                f"{tuple(r for r in self.required if r not in unheld)!r}))"
            )
        return X, keep, names

    @refit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that ``X`` has every column given for a role, and record its columns.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame is read as pandas)
            The posts.
        y : None
            Ignored.

        Returns
        -------
        self : ColumnRoles
        """
        mapping = {role: name for role, name in (self.columns or {}).items() if role != name}
        X = self._check_columns(X, mapping)[0]
        check_min_size(self, X.shape)
        validate_data(self, X, reset=True, skip_check_array=True)
        self.columns_ = mapping
        return self

    def _renamed(self, names, mapping=None) -> tuple[list, list]:
        """Which of the columns ``names`` are kept, and the output names of those, under
        ``mapping`` (default: the fitted one)."""
        mapping = self.columns_ if mapping is None else mapping
        role_of = {name: role for role, name in mapping.items()}
        given_way = set(mapping) - set(role_of)  # named for a role another column holds
        keep = [name not in given_way for name in names]
        return keep, [role_of.get(name, name) for name in names if name not in given_way]

    def transform(self, X):
        """Rename each column given for a role to the role's name.

        Parameters
        ----------
        X : pandas.DataFrame (a polars DataFrame is read as pandas)
            The posts; every column given for a role must be present.

        Returns
        -------
        X_out : pandas.DataFrame
            ``X`` with those columns renamed and any column already named for one of their
            roles left out; same index and row order.
        """
        check_is_fitted(self, "columns_")
        X, keep, names = self._check_columns(X, self.columns_)
        out = X.loc[:, keep].copy()
        out.columns = names
        return self._in_container(out)

    def get_feature_names_out(self, input_features=None):
        """The names of the columns seen in :meth:`fit` after the renaming.

        Parameters
        ----------
        input_features : array-like of str or None
            Must match :attr:`feature_names_in_` when given.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        from sklearn.utils.validation import _check_feature_names_in

        check_is_fitted(self, "columns_")
        names = self._renamed(list(_check_feature_names_in(self, input_features)))[1]
        return np.asarray(names, dtype=object)


def _role_of(mapping: dict, column: str):
    """The role ``mapping`` gives the column named ``column``, or None."""
    return next((role for role, name in mapping.items() if name == column), None)


#: the roles the seed pipeline's post features read (the other two, ``content`` and
#: ``caption``, may be absent: a media-only post; a post without images)
REQUIRED_ROLES = ("username", "inferred_company", "date", "media")


def _sub_cache(cache, name):
    """A sub-folder per stage when ``cache`` is a folder; memory/None/False pass through."""
    from .cache import _check_not_blank

    _check_not_blank(cache)  # not "./embeddings" in the working folder
    if isinstance(cache, str | os.PathLike):
        return str(Path(cache) / name)
    return cache


def _ndim(value) -> int | None:
    """``np.ndim`` of ``value``; None for a ragged nesting numpy cannot make an array of."""
    try:
        return np.ndim(value)
    except ValueError:
        return None


def make_seed_pipeline(
    caption_model="Salesforce/blip2-opt-2.7b",
    text_model="distilbert-base-uncased",
    *,
    embedding_model=None,
    classifier="hybrid",
    bins=DEFAULT_BINS,
    routing="soft",
    soft_average="transformed",
    target_transform="log1p",
    clip=False,
    regressors=None,
    epochs=3,
    batch_size=16,
    learning_rate=5e-5,
    max_length=256,
    class_weight=None,
    embedding_batch_size=32,
    caption_batch_size=8,
    embedding_max_length=512,
    cache=None,
    device="auto",
    progress=None,
    columns=None,
    dayfirst=False,
    random_state=None,
):
    """Build the seed method as a :class:`~sklearn.pipeline.Pipeline` from raw posts to likes.

    The input is a DataFrame (pandas, or polars) of raw posts with the columns ``content, username,
    inferred_company, date, media`` (``caption`` optional; ``content`` may be absent for
    media-only posts). Other columns are not used, nor needed by ``predict`` (an input
    ``prompt`` column is replaced by the prompt the pipeline builds), but every column name
    must be text, as scikit-learn requires to record a DataFrame's columns (a column named
    ``0`` is a ``TypeError`` saying so: ``X.columns = X.columns.astype(str)``); a table whose
    columns have other names is read by giving them in ``columns`` (or renamed to
    :data:`POST_COLUMNS` first). The output of ``predict`` is the
    predicted number of likes: with the default ``target_transform="log1p"``, a typical
    (geometric-type) value, below the mean of such posts' likes, so the sum over many posts
    falls short of their total (``target_transform=None`` for totals; see *What a
    prediction is* in the method's docs).

    Parameters
    ----------
    caption_model : str, path-like or None, default="Salesforce/blip2-opt-2.7b"
        BLIP-2 checkpoint (hub id or local folder) for :class:`~skbucket.captioning.Blip2Captioner`.
        Rows that already hold a non-empty ``caption`` are not captioned again. ``None`` skips
        captioning altogether (the step becomes ``"passthrough"``; an existing ``caption``
        column is used as is, when the training posts have one: a ``caption`` column given
        only to ``predict`` is not read, and a ``UserWarning`` says so).
    text_model : str or path-like, default="distilbert-base-uncased"
        Checkpoint fine-tuned by :class:`~skbucket.classification.DistilBertClassifier` to route
        each prompt to a likes bucket. Any BERT-family encoder works (e.g. a local MiniLM).
    embedding_model : str, path-like or None, default=None
        Checkpoint of :class:`~skbucket.embedding.DistilBertEmbedder`; ``None`` uses
        ``text_model``.
    classifier : {"hybrid", "distilbert", "hgb"}, default="hybrid"
        The bucket router. ``"distilbert"`` (the seed) fine-tunes ``text_model`` on the prompt
        and routes every post with it. ``"hgb"`` is a
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` on the same numeric features
        the regressors see (prompt embeddings + post features); it needs no fine-tuning.
        ``"hybrid"`` is an :class:`~skbucket.routing.AccountRouter`: posts of companies seen in
        training are routed by a HistGradientBoostingClassifier on the post features (date,
        media, text counts, account encodings; no embeddings), posts of companies never seen
        in training by the fine-tuned ``text_model`` on the prompt. On the real posts, with
        the default routing, the text router had the lowest RMSE(log1p) for brands unseen in
        training and the HGB router for later posts of known accounts; ``"hybrid"`` takes each
        where it measured best, and was the best row on both the company and the time split
        of the 15,341 posts (not on the 936 tweets; ``benchmarks/results/accuracy_hybrid_*.md``,
        README *Accuracy*). Its parts are
        ``model__classifier__known`` and ``model__classifier__unseen`` (e.g.
        ``model__classifier__unseen__learning_rate``). Their HistGradientBoostingClassifier
        needs at least 40 training posts to split (``min_samples_leaf=20``; ``fit`` warns on
        fewer: ``model__classifier__min_samples_leaf`` or
        ``model__classifier__known__min_samples_leaf`` lowers it).
    routing, soft_average, target_transform : default="soft", "transformed", "log1p"
        Passed to :class:`~skbucket.bucketed.BucketedRegressor`. The defaults fit every
        bucket's regressor on ``log1p(likes)`` and predict the router's probability-weighted
        mean of all of them in log1p space: with the text router, that measured better than
        the published seed's hard routing on raw likes in three of the four dev comparisons
        (posts and tweets, company and time splits; not on the posts' time split: RMSE(log1p)
        2.52 against 2.42) and on the posts' held-out brands (2.844 against 4.027; see
        ``benchmarks/results/accuracy.md``). ``**SEED_SETTINGS``
        (``classifier="distilbert", routing="hard", soft_average="raw",
        target_transform=None``) gives the seed as published.
    bins, clip, regressors : default=DEFAULT_BINS, False, None
        Passed to :class:`~skbucket.bucketed.BucketedRegressor`. ``regressors=None`` puts the
        seed's per-bucket XGBoost/CatBoost regressors
        (:func:`~skbucket.bucketed.seed_regressors`) in the pipeline explicitly, so their
        parameters are reachable, e.g. ``model__regressors__0__max_depth``. Their number is
        that of the buckets: to change ``model__bins`` on a built pipeline (or in a grid),
        set ``model__regressors`` with it, e.g. to
        ``seed_regressors(len(bins) + 1, random_state)`` (the pipeline's seed)
        (:func:`check_params` refuses a mismatch before any step runs).
    epochs, batch_size, learning_rate, max_length, class_weight : default=3, 16, 5e-5, 256, None
        Fine-tuning settings of the text classifier
        (:class:`~skbucket.classification.DistilBertClassifier`; with ``epochs=1`` it trains
        on every row, without the early-stopping hold-out); ``class_weight`` (a dict
        keyed by bucket number, or ``"balanced"``) weighs the buckets of the HGB router too
        (``"hgb"``, and the known-account part of ``"hybrid"``).
    embedding_batch_size, caption_batch_size : int, default=32, 8
        Inference batch sizes of the embedder and the captioner.
    embedding_max_length : int, default=512
        Tokens of a prompt the embedder reads (:class:`~skbucket.embedding.DistilBertEmbedder`'s
        ``max_length``; ``max_length`` above is the text classifier's). At most the text
        model's position embeddings (512 for DistilBERT; a smaller checkpoint needs less).
    cache : None, False, path-like or cache object, default=None
        Cache of captions and embeddings (see :mod:`skbucket.cache`). ``None`` keeps them in a
        process-wide memory cache, so cross-validation folds and grid points never recompute
        them; a folder keeps them on disk as well (``captions/`` and ``embeddings/`` inside it),
        shared between processes and runs; ``False`` disables caching. A store of your own
        (an object with ``get_many``/``set_many``, :class:`~skbucket.cache.CacheLike`) is
        given to the captioner and the embedder alike, so it holds captions (``str``) and
        vectors (float32 arrays); a pipeline holding one is not saved by
        :func:`skbucket.io.save` (set it to a folder or ``None`` with :func:`set_everywhere`
        first).
    device : str, default="auto"
        Device of every model (``"auto"``: CUDA, then MPS, else CPU).
    progress : bool or None, default=None
        Progress bars of the long steps (captioning, embedding, fine-tuning, the bucketed
        model's fit); ``None`` shows them on a terminal or in a Jupyter notebook only (not
        in the worker processes of ``GridSearchCV(n_jobs=2)``, where they overwrote each
        other: ``True`` shows them there too). On a
        fitted pipeline ``set_params`` reaches the unfitted templates only: turn them off
        everywhere with :func:`set_everywhere` (``set_everywhere(pipe, "progress", False)``).
    columns : dict or None, default=None
        The names of your table's columns by role, when they are not those of
        :data:`POST_COLUMNS`: e.g. ``{"content": "text", "username": "handle",
        "inferred_company": "brand"}`` (roles not given are read under their own names). The
        pipeline then starts with a ``roles`` step, a :class:`ColumnRoles` that renames them,
        so ``predict`` reads new posts by the same names; a column already named for a role
        given another column is not read (see :class:`ColumnRoles`). That step also checks,
        before any captioning or embedding, that a column holds each of
        :data:`REQUIRED_ROLES`. ``None``: no such step (``{}`` gives one that renames
        nothing).
    dayfirst : bool, default=False
        Read ambiguous numeric dates such as ``03/04/2021`` day first, in the prompt and the
        post features alike (a date column that contradicts the order asked for is an error,
        found among the dates of one call and those of fit: predicting one post at a time, a
        lone day-first ``03/04/2021`` is read month first without one; set ``dayfirst`` to
        your data's order).
    random_state : int or None, default=None
        Seeds the classifier's fine-tuning, the cross-fitted encodings and the regressors
        (with ``None`` the regressors take XGBoost's and CatBoost's default seed, 0:
        :func:`~skbucket.bucketed.seed_regressors`). The same seed and rows give the same
        model; the same rows in another order give another one (the encodings' folds and
        the regressors' row sampling follow the order), as different as another seed's.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``caption`` → ``prompt`` → ``features`` → ``model``, after ``roles`` when
        ``columns`` is given. ``features`` outputs a
        DataFrame with the ``prompt`` text, the embedding columns and the post features;
        ``model`` is a :class:`~skbucket.bucketed.BucketedRegressor` whose regressors read every
        column but ``prompt``; its router reads the ``prompt`` (``"distilbert"``), every other
        column (``"hgb"``), or both, by part (``"hybrid"``: see ``classifier``).

    Raises
    ------
    ValueError
        An unknown ``classifier``; ``bins`` that are not increasing non-negative edges; a
        ``class_weight`` mapping whose keys are not bucket numbers ``0 .. len(bins)`` or whose
        values are not finite numbers >= 0; a ``columns`` mapping whose keys are not roles of
        :data:`POST_COLUMNS`, whose values are not non-empty ``str`` or name one column
        twice; a boolean for a number (``epochs=True``: scikit-learn's own checks read it as
        1); any value a step's own parameter check refuses, named by the argument given
        (``embedding_batch_size=0: features__embedding (DistilBertEmbedder): The
        'batch_size' parameter ...``). Checked here, before any post is captioned or
        embedded; the fine-tuning and captioning settings also when no step uses them.

    See Also
    --------
    models_used : Which checkpoints a (fitted or not) pipeline uses.

    Notes
    -----
    Row weights go to the final step: ``pipe.fit(X, y, model__sample_weight=w)`` (with
    scikit-learn's metadata routing on, ``pipe.fit(X, y, sample_weight=w)``: a pipeline built
    while it is on requests them for the model's ``fit`` and ``score`` and for every
    estimator this function makes, so ``cross_val_score(pipe, X, y, params={"sample_weight":
    w})`` fits and scores (R²) each fold with its rows' weights (scikit-learn 1.7 or later:
    1.6 does not pass them to a Pipeline's ``score``);
    one built before, or a sub-estimator put in by ``set_params``, needs
    ``set_fit_request(sample_weight=True)``, as scikit-learn's error says). They weigh
    the rows inside the :class:`~skbucket.bucketed.BucketedRegressor` only: the post
    features' account encodings and counts are computed from every row, so a row of weight 0
    still counts toward its account's ``*_target`` and ``*_count`` (and makes the account
    "known" to the hybrid router). Drop such rows from ``X`` to leave them out entirely.

    Without a captioner the first step is ``"passthrough"``, from which scikit-learn's
    ``Pipeline`` reads ``feature_names_in_`` and ``n_features_in_`` (an AttributeError): the
    ``prompt`` step records the posts' columns, ``pipe.named_steps["prompt"].feature_names_in_``.

    A fit that fails or is stopped part way (Ctrl-C) leaves the pipeline unfitted: ``predict``
    raises :class:`~sklearn.exceptions.NotFittedError` rather than answer with the steps before
    the stop fitted on the new data or settings and those after it on the old. The captions
    and embeddings made before the stop stay in the cache (unless ``cache=False``), so the next
    fit does not make them again.

    Examples
    --------
    >>> from skbucket import make_seed_pipeline
    >>> pipe = make_seed_pipeline(caption_model=None, text_model="path/to/minilm")
    >>> [name for name, _ in pipe.steps]
    ['caption', 'prompt', 'features', 'model']
    >>> models_used(pipe)  # doctest: +NORMALIZE_WHITESPACE
    {'captioner': None,
     'classifier': {'known': 'HistGradientBoostingClassifier', 'unseen': 'path/to/minilm'},
     'embedder': 'path/to/minilm'}
    >>> pipe.set_params(model__regressors__0__max_depth=4)  # doctest: +ELLIPSIS
    Pipeline(...)
    >>> seed = make_seed_pipeline(caption_model=None, text_model="m", **SEED_SETTINGS)
    >>> seed.named_steps["model"].routing, seed.named_steps["model"].target_transform
    ('hard', None)
    """
    from .classification import DistilBertClassifier
    from .embedding import DistilBertEmbedder
    from .features import PostFeatures
    from .prompts import PromptBuilder

    if caption_model is None:
        caption = "passthrough"
    else:
        from .captioning import Blip2Captioner

        caption = Blip2Captioner(
            model=caption_model,
            batch_size=caption_batch_size,
            device=device,
            cache=_sub_cache(cache, "captions"),
            on_error="skip",
            progress=progress,
        )

    prompt = _PostColumns(
        [
            (PROMPT_COLUMN, PromptBuilder(dayfirst=dayfirst), _POSTS),
            ("posts", "passthrough", _POSTS),  # so an input "prompt" gives way to ours
        ],
        verbose_feature_names_out=False,
    )
    features = _PostColumns(
        [
            (PROMPT_COLUMN, "passthrough", [PROMPT_COLUMN]),
            (
                "embedding",
                DistilBertEmbedder(
                    model=text_model if embedding_model is None else embedding_model,
                    batch_size=embedding_batch_size,
                    max_length=embedding_max_length,
                    device=device,
                    cache=_sub_cache(cache, "embeddings"),
                    progress=progress,
                ),
                [PROMPT_COLUMN],
            ),
            ("post", PostFeatures(dayfirst=dayfirst, random_state=random_state), _NOT_PROMPT),
        ],
        verbose_feature_names_out=False,
    )
    if classifier not in ("hybrid", "distilbert", "hgb"):
        raise ValueError(f"classifier must be 'hybrid', 'distilbert' or 'hgb'; got {classifier!r}")
    given = {  # the arguments checked here by name, as the user gave them
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "max_length": max_length,
        "embedding_batch_size": embedding_batch_size,
        "caption_batch_size": caption_batch_size,
        "embedding_max_length": embedding_max_length,
        "text_model": text_model,
        "embedding_model": embedding_model,
        "caption_model": caption_model,
    }
    fine_tuning = ("epochs", "batch_size", "learning_rate", "max_length")
    for name in fine_tuning + (
        "embedding_batch_size",
        "caption_batch_size",
        "embedding_max_length",
    ):
        if isinstance(given[name], bool | np.bool_):  # scikit-learn takes True as 1
            raise ValueError(f"{name} must be a number, not a boolean; got {given[name]!r}")
    if caption_model is None and not (
        caption_batch_size is None  # a config's "caption_batch_size": null: nothing to check
        # (the ignore: typeshed's numbers.Integral, as the ABC, has no >=)
        or (isinstance(caption_batch_size, numbers.Integral) and caption_batch_size >= 1)  # type: ignore[operator]
    ):  # unused without a captioner, still checked (as the text router's settings are)
        raise ValueError(f"caption_batch_size must be an int >= 1; got {caption_batch_size!r}")
    seed = random_state is None or isinstance(random_state, np.random.RandomState)
    seed |= (
        isinstance(random_state, numbers.Integral)
        and not isinstance(random_state, bool)
        and 0 <= random_state < 2**32  # type: ignore[operator]  # numbers.Integral: no <
    )
    if not seed:  # one seed for every step: named here, not as "1.5 cannot be used to seed"
        raise ValueError(
            f"random_state must be an int from 0 to {2**32 - 1}, a numpy RandomState or None; "
            f"got {type(random_state).__name__} {random_state!r}"
        )
    if regressors is None and (isinstance(bins, str | bytes) or _ndim(bins) != 1):
        # sized here: one seed regressor per bucket (BucketedRegressor checks the edges in fit)
        raise ValueError(
            f"bins must be a 1-D sequence of bucket upper edges, e.g. {list(DEFAULT_BINS)}; "
            f"got {bins!r}"
        )
    n_buckets = _check_bins(bins).size + 1  # the edges' own errors now, not after captioning
    # a NaN weight made a router whose every prediction was 0 likes
    problem = _class_weight_problem(class_weight, n_buckets)
    if problem is not None:
        raise ValueError(f"class_weight {problem}")
    text_router = DistilBertClassifier(
        model=text_model,
        epochs=epochs,  # with one epoch, no early-stopping hold-out: every row trains
        batch_size=batch_size,
        learning_rate=learning_rate,
        max_length=max_length,
        class_weight=class_weight,
        random_state=random_state,
        device=device,
        progress=progress,
    )
    hgb_router = HistGradientBoostingClassifier(
        class_weight=class_weight, random_state=random_state
    )
    if classifier == "distilbert":
        router, router_columns = text_router, [PROMPT_COLUMN]
    elif classifier == "hgb":
        router, router_columns = hgb_router, _NOT_PROMPT
    else:
        router = AccountRouter(
            known=hgb_router,
            unseen=text_router,
            known_columns=_POST_FEATURES,
            unseen_columns=[PROMPT_COLUMN],
            count_column="inferred_company_count",
        )
        router_columns = None
    if regressors is None:  # explicit, so model__regressors__<k>__<param> is addressable
        regressors = seed_regressors(len(bins) + 1, random_state)
    model = BucketedRegressor(
        classifier=router,
        regressors=regressors,
        bins=bins,
        routing=routing,
        soft_average=soft_average,
        clip=clip,
        target_transform=target_transform,
        random_state=random_state,
        classifier_columns=router_columns,
        regressor_columns=_NOT_PROMPT,
        progress=progress,
    )
    # built while metadata routing is on, the weights reach the model and every estimator
    # made here that takes them (seed_regressors requests them for its XGBoost ones)
    for est in {id(e): e for e in (model, router, hgb_router, text_router)}.values():
        _request_weights(est)
    if _routing_enabled():  # and weigh the score: cross_val_score/GridSearchCV with weights
        model.set_score_request(sample_weight=True)  # gave NaN scores ("Scoring failed")
    steps = [("caption", caption), ("prompt", prompt), ("features", features), ("model", model)]
    if columns is not None:  # checked with the others by check_params, before any step runs
        steps.insert(0, ("roles", ColumnRoles(columns=columns, required=REQUIRED_ROLES)))
    pipe = Pipeline(steps)
    try:  # a bad value (routing="hrad") now, not after captioning and embedding
        check_params(pipe)
        if router is hgb_router:  # the fine-tuning settings are given but unused: still checked
            check_params(text_router)
    except ValueError as exc:  # a step's parameter set from an argument of another name
        found = re.search(r"\((\w+)\): The '(\w+)' parameter", str(exc))
        argument = None
        if found is not None:
            argument = _RENAMED.get((found[1], found[2]))  # (step class, its parameter)
            if argument == "text_model" and embedding_model is not None and "Embedder" in found[1]:
                argument = "embedding_model"
        if argument is None:
            raise
        raise type(exc)(f"{argument}={given[argument]!r}: {exc}") from exc
    return pipe.set_output(transform="pandas")


#: ``(step class, its parameter)``: make_seed_pipeline's argument that sets it, where the names
#: differ (an error of the step's check names the argument the user gave)
_RENAMED = {
    ("DistilBertEmbedder", "batch_size"): "embedding_batch_size",
    ("DistilBertEmbedder", "max_length"): "embedding_max_length",
    ("Blip2Captioner", "batch_size"): "caption_batch_size",
    ("DistilBertEmbedder", "model"): "text_model",
    ("DistilBertClassifier", "model"): "text_model",
    ("Blip2Captioner", "model"): "caption_model",
}


def check_params(estimator) -> None:
    """Validate the parameters of ``estimator`` and of every estimator inside it, as their
    own ``fit`` would, before any of them runs.

    A pipeline's steps validate their parameters when their ``fit`` starts, so a bad value
    for its last step (``routing="hrad"``, ``clip="no"``) would be found only after the
    captioning and embedding before it. :func:`make_seed_pipeline` calls this on the pipeline
    it builds, and ``skbucket fit`` on the pipeline of its config; call it yourself after a
    ``set_params``.

    Parameters
    ----------
    estimator : estimator
        A pipeline or any estimator; every estimator among its parameters, at any depth,
        that declares scikit-learn parameter constraints is checked.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` naming the parameter's path in ``estimator`` first (e.g.
        ``model (BucketedRegressor): The 'routing' parameter ...``).
    ValueError
        Also for a :class:`~skbucket.bucketed.BucketedRegressor` whose ``regressors`` do not
        fit its ``bins`` (a list of 7 with 2 edges) or whose ``target_transform`` is no pair
        of callables, and a :class:`~skbucket.prompts.PromptError` for a
        :class:`~skbucket.prompts.PromptBuilder` ``template``, ``columns`` or ``dayfirst``
        its ``fit`` would refuse, named the same way.

    Examples
    --------
    >>> from skbucket import BucketedRegressor
    >>> from skbucket.pipeline import check_params
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> check_params(make_pipeline(StandardScaler(), BucketedRegressor(routing="hrad")))
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: bucketedregressor (BucketedRegressor): ...
    """
    from sklearn.base import BaseEstimator

    from .prompts import PromptBuilder

    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    for name, est in {"": estimator, **params}.items():
        if not isinstance(est, BaseEstimator):
            continue
        try:
            if hasattr(est, "_parameter_constraints"):
                est._validate_params()
            if isinstance(est, PromptBuilder):  # its own checks (PromptError); not other
                est._check_params()  # classes' _check_params (SelectKBest's takes X, y)
            if isinstance(est, BucketedRegressor):  # bins and regressors must agree
                est._check_regressor_spec(_check_bins(est.bins).size + 1, seeded=False)
                est._target_funcs()  # a target_transform pair of callables
        except ValueError as exc:  # scikit-learn's InvalidParameterError, or the pair's
            where = f"{name} ({type(est).__name__})" if name else type(est).__name__
            raise type(exc)(f"{where}: {exc}") from exc


def _role_columns(estimator) -> dict:
    """``{role: column}``: the table's own names a pipeline reads the roles by, from its
    :class:`ColumnRoles` step (``make_seed_pipeline(columns=...)``; as fitted, else as
    given). A fitted search stands for its best estimator, a
    :class:`~sklearn.compose.TransformedTargetRegressor` for its regressor (fitted, else as
    given), a pipeline as first step for itself. ``{}`` without one (also for an estimator
    whose ``steps`` is some other attribute: a hyper-parameter of that name)."""
    for wrapped in ("best_estimator_", "regressor_", "regressor"):
        inner = getattr(estimator, wrapped, None)
        if inner is not None and hasattr(inner, "fit"):
            return _role_columns(inner)
    for position, (_, step) in enumerate(_pipeline_steps(estimator) or ()):
        if isinstance(step, ColumnRoles):
            fitted = getattr(step, "columns_", None)
            return dict(fitted if fitted is not None else (step.columns or {}))
        if position == 0 and (found := _role_columns(step)):  # a pipeline, a search
            return found
    return {}


def _fitted_post_features(estimator):
    """The first fitted :class:`~skbucket.features.PostFeatures` inside ``estimator`` (a
    pipeline, a search, a ``TransformedTargetRegressor`` around one), or None."""
    from ._models import estimators_in_use
    from .features import PostFeatures

    for _, step in estimators_in_use(estimator):
        if isinstance(step, PostFeatures) and hasattr(step, "counts_"):
            return step
    return None


def unseen_posts(estimator, X) -> dict:
    """Which posts of ``X`` are by an account or a company that no training post had.

    The rows :func:`unseen_accounts_text` counts, column by column, found by the first
    fitted :class:`~skbucket.features.PostFeatures` inside ``estimator`` (the report scores
    them apart from the others).

    Parameters
    ----------
    estimator : fitted estimator
        A pipeline holding a fitted ``PostFeatures`` (a search, a
        ``TransformedTargetRegressor`` around one); any other: nothing to find.
    X : DataFrame
        The raw posts the estimator is given.

    Returns
    -------
    masks : dict
        ``{column: boolean array of shape (n_posts,)}``, each category column named as
        ``X`` names it (under a :class:`ColumnRoles` mapping, the table's own name), True
        where the post's value (not missing) was not seen in training; ``{}`` when there is
        nothing to find them with (no fitted ``PostFeatures``, or ``X`` lacks its columns).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from skbucket.features import PostFeatures
    >>> from skbucket.pipeline import unseen_posts
    >>> posts = pd.DataFrame({"username": ["a", "b", "a", "b"],
    ...                       "inferred_company": ["x", "x", "y", "y"]})
    >>> pipe = make_pipeline(PostFeatures(date_column=None, media_column=None, cv=2),
    ...                      DummyRegressor()).fit(posts, [1, 10, 100, 1000])
    >>> unseen_posts(pipe, posts.assign(username=["a", "c", "c", "b"]))["username"]
    array([False,  True,  True, False])
    """
    import pandas as pd

    step = _fitted_post_features(estimator)
    if step is None:
        return {}
    names = _role_columns(estimator)
    # the table's own names of the columns the pipeline reads under their roles' names
    columns = {c: names.get(c, c) for c in step.category_columns_}
    # a polars DataFrame, as the pipeline reads one (it has no index: an AttributeError)
    X = as_pandas(X)
    # each column once (a repeated one is a DataFrame, which no mask is made of)
    if not hasattr(X, "columns") or not all(
        list(X.columns).count(t) == 1 for t in columns.values()
    ):
        return {}
    masks = step._unseen_masks(
        pd.DataFrame({c: X[table] for c, table in columns.items()}, index=X.index)
    )
    # keyed by str(column) (an int-named column 0 as "0"), in the columns' order
    return {columns[c]: masks[str(c)] for c in columns}


class TrainingPostsWarning(UserWarning):
    """Some of the posts a model is scored on were among its training posts: the errors on
    them show how well it fits what it learned from, not how it does on new posts."""


def seen_posts(estimator, X):
    """Which posts of ``X`` were among the posts ``estimator`` was fitted on.

    Found by the first fitted :class:`~skbucket.features.PostFeatures` inside ``estimator``,
    which keeps a hash of each training post's identifying columns
    (its ``post_key_columns_``: the account, company, date,
    media and text columns, read as ``X`` names them under a :class:`ColumnRoles` mapping).
    A post counts as seen when all of those cells are equal as text (``7.0`` and ``"7"``
    alike; a missing cell and a blank one alike; a line break written ``\\r\\n`` and ``\\n``
    alike, as the features and prompts read it; an accent composed or decomposed, NFC and
    NFD, alike, as the features count it). An evaluation on such posts flatters the
    model: :func:`skbucket.metrics.evaluate_estimator`, :func:`skbucket.report.render_report`
    and the command line's ``evaluate`` and ``report`` warn of them
    (:class:`~skbucket.exceptions.TrainingPostsWarning`).

    Parameters
    ----------
    estimator : fitted estimator
        A pipeline holding a fitted ``PostFeatures`` (a search, a
        ``TransformedTargetRegressor`` around one); any other: nothing to find.
    X : DataFrame
        The raw posts the estimator is given.

    Returns
    -------
    mask : ndarray of bool of shape (n_posts,) or None
        True for a post among the training posts; None when there is nothing to find them
        with (no fitted ``PostFeatures``, one fitted by skbucket 0.8.11 or before, which kept
        no hashes, or ``X`` lacks one of its key columns).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from skbucket.features import PostFeatures
    >>> from skbucket.pipeline import seen_posts
    >>> posts = pd.DataFrame({"content": ["hi", "new drop", "sale", "hi again"],
    ...                       "username": ["a", "b", "a", "b"],
    ...                       "inferred_company": ["x", "x", "y", "y"]})
    >>> pipe = make_pipeline(PostFeatures(date_column=None, media_column=None, cv=2),
    ...                      DummyRegressor()).fit(posts, [1, 10, 100, 1000])
    >>> seen_posts(pipe, posts.assign(content=["hi", "new", "sale", "hi again!"]))
    array([ True, False,  True, False])
    """
    found = _seen_posts(estimator, X)
    return None if found is None else found[0]


def _seen_posts(estimator, X):
    """``(mask, columns)``: :func:`seen_posts`' mask and the key columns as ``X`` names them;
    None when there is nothing to tell the training posts by."""
    import pandas as pd

    from .features import _post_keys

    step = _fitted_post_features(estimator)
    keys = getattr(step, "post_keys_", None)  # fitted by 0.8.11 or before: none kept
    X = as_pandas(X)
    if keys is None or not hasattr(X, "columns"):
        return None
    names = _role_columns(estimator)
    columns = {c: names.get(c, c) for c in step.post_key_columns_}
    if not all(list(X.columns).count(t) == 1 for t in columns.values()):
        return None
    frame = pd.DataFrame({c: X[t] for c, t in columns.items()}, index=X.index)
    # the fit's date column; its dates read as transform reads them (a dayfirst set since the
    # fit, as skbucket evaluate --dayfirst sets it, reads this table)
    date = step._settings_.get("post_key_date")
    found = _post_keys(frame, list(columns), date, bool(step.dayfirst))
    return np.isin(found, keys), list(columns.values())


def training_posts_text(estimator, X) -> str:
    """Say how many posts of ``X`` were among ``estimator``'s training posts
    (:func:`seen_posts`), and what that does to an evaluation on them; ``""`` when none were,
    or when there is nothing to tell them by.

    Parameters
    ----------
    estimator : fitted estimator
        As for :func:`seen_posts`.
    X : DataFrame
        The raw posts the estimator is scored on.

    Returns
    -------
    text : str
        One sentence, without its full stop.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from skbucket.features import PostFeatures
    >>> from skbucket.pipeline import training_posts_text
    >>> posts = pd.DataFrame({"content": ["hi", "new drop", "sale", "hi again"],
    ...                       "username": ["a", "b", "a", "b"],
    ...                       "inferred_company": ["x", "x", "y", "y"]})
    >>> pipe = make_pipeline(PostFeatures(date_column=None, media_column=None, cv=2),
    ...                      DummyRegressor()).fit(posts, [1, 10, 100, 1000])
    >>> training_posts_text(pipe, posts.iloc[:3])
    "3 of the 3 posts scored (100%) were among the model's training posts (the same ..."
    """
    found = _seen_posts(estimator, X)
    if found is None or not found[0].any():
        return ""
    from .report import _share  # 38%, or <1% and >99% where rounding would say 0% or 100%

    mask, columns = found
    n = int(mask.sum())
    named = [str(c) for c in columns]
    named_text = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    scored = (
        "the post scored"
        if mask.size == 1
        else f"{n:,} of the {mask.size:,} posts scored ({_share(n / mask.size)})"
    )
    return (
        f"{scored} {'was' if n == 1 else 'were'} among the model's training posts (the same "
        f"{named_text}): the {'error on it shows' if n == 1 else 'errors on them show'} how "
        "well it fits the posts it learned from, not how it does on new posts; score it on "
        "posts it was not fitted on"
    )


def warn_training_posts(estimator, X) -> str:
    """Warn (:class:`~skbucket.exceptions.TrainingPostsWarning`) when posts of ``X`` were
    among ``estimator``'s training posts, with :func:`training_posts_text`'s words.

    Parameters
    ----------
    estimator : fitted estimator
        As for :func:`seen_posts`.
    X : DataFrame
        The raw posts the estimator is scored on.

    Returns
    -------
    text : str
        The warning's words (``""``: none was given).
    """
    import warnings

    from ._warn import user_stacklevel

    text = training_posts_text(estimator, X)
    if text:
        warnings.warn(f"{text}.", TrainingPostsWarning, stacklevel=user_stacklevel())
    return text


def unseen_accounts_text(estimator, X) -> str:
    """Say how many posts of ``X`` are by an account or a company that no training post had.

    Such a post gets the training mean as its account encoding and a count of 0 (the seed
    pipeline's default router sends a new company's posts to its text model), and its error
    is often the largest: the command line's ``predict``, ``evaluate`` and ``report`` say
    this. Counted by the first fitted :class:`~skbucket.features.PostFeatures` inside
    ``estimator`` (the posts :func:`unseen_posts` finds), each column named as ``X`` names
    it (under a :class:`ColumnRoles` mapping, the table's own name).

    Parameters
    ----------
    estimator : fitted estimator
        A pipeline holding a fitted ``PostFeatures`` (a search, a
        ``TransformedTargetRegressor`` around one); any other: nothing to say.
    X : DataFrame
        The raw posts the estimator is given.

    Returns
    -------
    text : str
        ``"posts whose username was not seen in training: 35 of 361; whose inferred_company:
        3 (...)"``; ``""`` when there are none, or nothing to count them with.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from skbucket.features import PostFeatures
    >>> from skbucket.pipeline import unseen_accounts_text
    >>> posts = pd.DataFrame({"username": ["a", "b", "a", "b"],
    ...                       "inferred_company": ["x", "x", "y", "y"]})
    >>> pipe = make_pipeline(PostFeatures(date_column=None, media_column=None, cv=2),
    ...                      DummyRegressor()).fit(posts, [1, 10, 100, 1000])
    >>> unseen_accounts_text(pipe, posts.assign(username=["a", "c", "c", "b"]))
    "posts whose username was not seen in training: 2 of 4 (their predictions ..."

    >>> unseen_accounts_text(pipe, posts)
    ''
    """
    return _unseen_text(unseen_posts(estimator, X), len(X))


def _unseen_text(masks, n_posts) -> str:
    """:func:`unseen_accounts_text`'s words for the masks :func:`unseen_posts` found (the
    report, which scores those posts too, finds them once)."""
    found = [(column, int(mask.sum())) for column, mask in masks.items()]
    found = [(column, n) for column, n in found if n]
    if not found:
        return ""
    (first, n), *others = found
    return (
        f"posts whose {first} was not seen in training: {n:,} of {n_posts:,}"
        + "".join(f"; whose {column}: {m:,}" for column, m in others)
        + " (their predictions rest on less than a known account's)"
    )


def _column_of_role(estimator, name):
    """The column of the table that ``estimator`` reads the role ``name`` from (the column its
    :class:`ColumnRoles` step gives that role); any other name, or None, as is."""
    if name is None or isinstance(name, list | dict | set):
        return name
    return _role_columns(estimator).get(name, name)


def models_used(estimator) -> dict:
    """Name the checkpoints an estimator built by :func:`make_seed_pipeline` uses.

    Parameters
    ----------
    estimator : sklearn.pipeline.Pipeline or a search over one
        A (fitted or unfitted) seed pipeline, or a ``GridSearchCV``/``RandomizedSearchCV``
        around one (its best estimator once fitted, else the pipeline it searches over). A
        fitted pipeline's parts are named as they predict: a ``set_params`` after fit changes
        the names only once it is fitted again.

    Returns
    -------
    dict
        ``{"captioner": ..., "classifier": ..., "embedder": ...}``: the model name or path of
        each stage (the class name for a stage without a checkpoint, e.g. a
        ``HistGradientBoostingClassifier`` router or a captioning or embedding step of your
        own; for an :class:`~skbucket.routing.AccountRouter`, a
        dict naming its ``known`` and ``unseen`` parts), ``None`` for a stage that is skipped
        or absent.

    Raises
    ------
    ValueError
        For anything else (a bare model step, say), which has none of the seed's stages.
    """
    from sklearn.model_selection._search import BaseSearchCV

    if isinstance(estimator, BaseSearchCV):
        estimator = getattr(estimator, "best_estimator_", estimator.estimator)
    steps = getattr(estimator, "named_steps", None)
    if steps is None or "model" not in steps:
        raise ValueError(
            "models_used expects a pipeline built by make_seed_pipeline (steps 'caption', "
            f"'prompt', 'features', 'model'), or a search over one; got {type(estimator).__name__}"
        )
    from ._models import estimators_in_use

    # the parts as they predict: a fitted pipeline's own copies, not the templates that a
    # set_params after fit changes
    parts = dict(estimators_in_use(estimator))
    caption = parts.get("caption")
    embedder = parts.get("features__embedding")
    return {
        "captioner": None if caption is None else _checkpoint(caption),
        "classifier": _router_name(parts, "model__classifier"),
        "embedder": None if embedder is None else _checkpoint(embedder),
    }


def check_models(estimator, *, fit=True) -> dict:
    """Make sure the checkpoints an estimator is sure to load can be loaded, before it starts.

    A pipeline captions every image before its embedder loads a model, so a text model that
    cannot be loaded (a mistyped path, a hub id that is not cached on a machine without
    network access) would otherwise be found only after the captioning. This loads the
    configuration (``config.json``: small, shared with the later full load) of the model of
    every :class:`~skbucket.embedding.DistilBertEmbedder` (it loads its model for any input)
    and, before fitting, of every :class:`~skbucket.classification.DistilBertClassifier`
    (fitting fine-tunes its base model; a fitted one carries its fine-tuned weights and needs
    no checkpoint to predict) in ``estimator`` (itself, or nested at any depth of its
    parameters).
    With the configuration it checks that the checkpoint is a text encoder, that the
    estimator's ``max_length`` fits its position embeddings, and that its tokenizer loads and
    knows more than its special tokens (a folder saved without its tokenizer would read every
    word as unknown).
    :class:`~skbucket.captioning.Blip2Captioner` is not checked: it loads its model at the
    first image it has to caption, and rows that carry a caption need none, so it fails at
    once on its own when it needs a model it cannot load. ``skbucket fit``, ``predict``,
    ``evaluate`` and ``report`` run this first.

    Parameters
    ----------
    estimator : estimator
        A (fitted or unfitted) estimator, typically a :func:`make_seed_pipeline` pipeline.
    fit : bool, default=True
        Check what fitting needs (embedders and classifiers, as set by the parameters);
        ``False``: what predicting with the fitted ``estimator`` needs (its fitted embedders,
        whatever ``set_params`` changed since).

    Returns
    -------
    dict
        ``{parameter name: model}`` for each checkpoint checked (``""`` for ``estimator``
        itself), e.g. ``{"features__embedding": "distilbert-base-uncased", ...}``.

    Raises
    ------
    skbucket.exceptions.ModelNotAvailableError
        The first model that cannot be loaded; the message starts with the parameter name
        that holds it, then says why (a path that does not exist, not in the local cache while
        offline or while the hub does not answer, not a model folder, not a text encoder, no
        tokenizer).
    ValueError
        A ``max_length`` longer than the model's position embeddings, named the same way.

    Examples
    --------
    >>> from skbucket.pipeline import check_models, make_seed_pipeline
    >>> pipe = make_seed_pipeline(caption_model=None, text_model="/no/such/model")
    >>> check_models(pipe)
    Traceback (most recent call last):
    ...
    skbucket._models.ModelNotAvailableError: features__embedding (DistilBertEmbedder): model path ...
    """
    from ._models import (
        ModelNotAvailableError,
        check_max_length,
        encoder_hidden_size,
        estimators_in_use,
        load_pretrained,
        naming_a_moved_folder,
    )
    from .classification import DistilBertClassifier
    from .embedding import DistilBertEmbedder

    # fitting clones the templates (get_params); predicting uses the fitted copies, and a
    # fitted classifier carries its weights: what predicting needs is the embedders in use
    kinds: tuple[type, ...]
    if fit:
        kinds = (DistilBertEmbedder, DistilBertClassifier)
        params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
        parts = {"": estimator, **params}
    else:
        kinds = (DistilBertEmbedder,)
        parts = dict(estimators_in_use(estimator))
    checked = {}
    for name, value in parts.items():
        if not isinstance(value, kinds):
            continue
        where = f"{name} ({type(value).__name__})" if name else type(value).__name__
        # a local folder a fitted copy names, which set_params does not reach, that is gone:
        # moved since the fit, most likely (the advice a fitted estimator's own load gives)
        moved = contextlib.nullcontext() if fit else naming_a_moved_folder(value.model)
        try:
            with moved:
                config = load_pretrained("AutoConfig", value.model)
                encoder_hidden_size(config, value.model)
                load_pretrained("AutoTokenizer", value.model)  # shared with the later load
        except ModelNotAvailableError as exc:
            raise ModelNotAvailableError(f"{where}: {exc}") from exc
        try:  # a max_length of the wrong type is check_params' to name
            if isinstance(value.max_length, numbers.Integral):
                check_max_length(value, config)
        except ValueError as exc:
            # the setting by the names a user gives it (make_seed_pipeline's max_length is
            # the classifier's only: following "use max_length <= N" there changed nothing)
            argument = _RENAMED.get((type(value).__name__, "max_length"), "max_length")
            path = f"{name}__max_length" if name else "max_length"
            raise ValueError(
                f"{where}: {exc} (set_params({path}=...); make_seed_pipeline's and a "
                f"configuration's {argument!r})"
            ) from exc
        checked[name] = str(value.model)
    return checked


def _router_name(parts, name):
    """The checkpoint of the router ``parts[name]``, or its class name; an AccountRouter's
    two parts by role."""
    router = parts.get(name)
    if isinstance(router, AccountRouter):
        return {role: _router_name(parts, f"{name}__{role}") for role in ("known", "unseen")}
    return _checkpoint(router)


def _checkpoint(part):
    """The checkpoint ``part`` names (its ``model``), or its class name: a step of your own
    put in by ``set_params`` (``caption=FunctionTransformer()``) has none, and was an
    AttributeError that stopped ``skbucket report``."""
    if hasattr(part, "model"):
        return None if part.model is None else str(part.model)
    return type(part).__name__
