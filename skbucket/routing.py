"""A bucket router that treats posts of new brands differently: :class:`AccountRouter`.

Who posts explains most of the likes of a post whose account has history, and nothing of a
post by a brand never seen in training. On the real posts (``benchmarks/bench_accuracy.py``)
the two cases want different routers: for later posts of known brands a gradient-boosted
classifier on the post features (with the brand's target and count encodings) routes best;
for brands never seen, the fine-tuned text model's cautious, spread-out probabilities,
averaged in log space by :class:`~skbucket.bucketed.BucketedRegressor`, had the lowest error.
:class:`AccountRouter` holds one classifier for each case and asks, row by row, the one that
fits: it is the bucket router of :func:`~skbucket.pipeline.make_seed_pipeline`'s default
``classifier="hybrid"``.
"""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _num_samples,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._fitted import refit, stopped_whole
from ._frames import as_pandas, plain
from ._subestimators import (
    _call_sub,
    _check_classes,
    _check_classifier,
    _check_weights,
    _class_proba,
    _column_origin,
    _describe,
    _early_stopping_paths,
    _fit_kwargs,
    _fit_router,
    _fixed_columns,
    _forward_set_output,
    _is_dataframe,
    _keep_on_error,
    _refuse_1d,
    _routed_fit_params,
    _select_columns,
    _sub_tag,
)
from ._warn import user_stacklevel
from .bucketed import _warn_unsplittable
from .classification import _labels_text

__all__ = ["AccountRouter", "NegativeCountWarning", "NoKnownAccountWarning"]


class NoKnownAccountWarning(UserWarning):
    """Every training row counts as an account never seen (its count column is 0 or missing
    in all of them): the known-account classifier is fitted but never used, which is what an
    empty company column leads to."""


class NegativeCountWarning(UserWarning):
    """The count column holds negative values, which no count of posts can be: they count as
    known accounts, and the 0 that marks a new one has likely been moved too (a column scaled
    or centred before the router)."""


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _label_kind(labels) -> str:
    """``"number"``, ``"text"``, ``"other"`` or ``"mixed"``: what class labels are, by
    dtype or by values."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "biuf":
        return "number"
    if labels.dtype.kind in "US":
        return "text"
    kinds = {
        "number"
        if isinstance(v, numbers.Number)
        else "text"
        if isinstance(v, str | bytes)
        else "other"
        for v in labels.tolist()
    }
    return kinds.pop() if len(kinds) == 1 else "mixed"


class AccountRouter(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Classify rows of known accounts with one classifier and rows of new ones with another.

    A row is *new* when its value in ``count_column`` is 0 or missing: with the default, the
    ``inferred_company_count`` column of :class:`~skbucket.features.PostFeatures`, the number
    of training posts of the row's company, which is 0 for a company never seen in training.
    A negative value, which no count can be, counts as known, with a
    :class:`NegativeCountWarning` (at fit and predict): the column was likely scaled or
    centred, which moves the 0 that marks a new account.
    Both classifiers are fitted on **all** training rows (clones; each on its own columns);
    at predict time ``known`` answers for the other rows and ``unseen`` for the new ones, and
    each is called only on its own rows (the text model runs only for new brands).

    In :func:`~skbucket.pipeline.make_seed_pipeline` (``classifier="hybrid"``, the default)
    ``known`` is a :class:`~sklearn.ensemble.HistGradientBoostingClassifier` on the post
    features and ``unseen`` the fine-tuned :class:`~skbucket.classification.DistilBertClassifier`
    on the prompt. The count is cross-fitted at training time, so which rows look new there
    does not matter: the switch acts at predict time only.

    ``known_columns``, ``unseen_columns`` and ``count_column`` decide what the fitted
    classifiers learnt and which rows count as new: ``predict`` keeps using the values they
    had at ``fit`` until the next ``fit``.

    Parameters
    ----------
    known : classifier
        Answers for rows whose ``count_column`` is positive. Must implement ``fit`` and
        ``predict`` (``predict_proba`` preferred; without it, its predictions count as one-hot
        probabilities).
    unseen : classifier
        Answers for rows whose ``count_column`` is 0 or missing. Same requirements.
    known_columns, unseen_columns : column spec, default=None
        The columns each classifier reads (a column name, a list of them, integer positions,
        a slice, a boolean mask or a callable such as
        :func:`~sklearn.compose.make_column_selector`, asked once, on the training ``X``);
        ``None``: every column of ``X``.
    count_column : str or int, default="inferred_company_count"
        The column whose 0 (or missing) value marks a new account: a name for a DataFrame,
        or an integer position (of an array or a DataFrame: as in ``known_columns``, ``0`` is
        the first column whatever the frame's column labels). It must be numeric.

    Attributes
    ----------
    known_ : classifier
        The fitted clone of ``known``.
    unseen_ : classifier
        The fitted clone of ``unseen``.
    classes_ : ndarray of shape (n_classes,)
        The class labels: those of ``y``, and any more that a classifier fitted before
        knows (a ``FrozenEstimator`` of a router fitted on every bucket, used on a fold that
        lacks one); a class one classifier never saw gets probability 0 from it.
    n_features_in_ : int
        Number of columns of ``X`` at fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` at fit (only when they are all strings).

    See Also
    --------
    skbucket.bucketed.BucketedRegressor : Uses a router's bucket probabilities.
    skbucket.features.PostFeatures : Makes the ``<column>_count`` encodings.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyClassifier
    >>> from skbucket.routing import AccountRouter
    >>> X = pd.DataFrame({"inferred_company_count": [3.0, 3.0, 5.0, 0.0]})
    >>> router = AccountRouter(
    ...     known=DummyClassifier(strategy="most_frequent"),
    ...     unseen=DummyClassifier(strategy="prior"),
    ... ).fit(X, [0, 0, 0, 1])
    >>> router.predict_proba(pd.DataFrame({"inferred_company_count": [4.0, 0.0]}))
    array([[1.  , 0.  ],
           [0.75, 0.25]])
    """

    _parameter_constraints: dict = {
        "known": [HasMethods(["fit", "predict"])],
        "unseen": [HasMethods(["fit", "predict"])],
        "known_columns": [None, "array-like", str, numbers.Integral, slice, callable],
        "unseen_columns": [None, "array-like", str, numbers.Integral, slice, callable],
        "count_column": [str, numbers.Integral],
    }

    def __init__(
        self,
        known,
        unseen,
        *,
        known_columns=None,
        unseen_columns=None,
        count_column="inferred_company_count",
    ):
        self.known = known
        self.unseen = unseen
        self.known_columns = known_columns
        self.unseen_columns = unseen_columns
        self.count_column = count_column

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        subs = (self.known, self.unseen)
        tags.input_tags.allow_nan = all(
            _sub_tag(e, lambda t: t.input_tags.allow_nan, False) for e in subs
        )
        tags.input_tags.string = any(
            _sub_tag(e, lambda t: t.input_tags.string, False) for e in subs
        )
        return tags

    # ------------------------------------------------------------------ validation
    def _validate_X(self, X, *, reset):
        """``X`` as given (DataFrames keep their column types; polars: as pandas); records its
        columns (at fit, also the column settings that predict uses)."""
        X = as_pandas(X)
        if X is None:
            raise ValueError(f"X is None; {type(self).__name__} needs samples to work on.")
        if not _is_dataframe(X):  # arrays are checked here; a DataFrame by its classifiers
            _refuse_1d(X)
            X = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_2d=True)
        validate_data(self, X, reset=reset, skip_check_array=True)
        if not _is_dataframe(X) and not self.__sklearn_tags__().input_tags.allow_nan:
            # a missing count means a new account: NaN is refused in the other columns, and
            # only in those that a classifier refusing NaN reads (a DataFrame's NaN is left to
            # the classifiers: an array's, in a column HistGradientBoosting alone reads, was
            # refused, with the advice to use HistGradientBoosting)
            rest = X[:, self._nan_refused(X, reset=reset)]
            check_array(rest, dtype=None, ensure_min_features=0, input_name="X", estimator=self)
        if _num_samples(X) == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
                f"required by {type(self).__name__}."
            )
        return X

    def _nan_refused(self, X, *, reset):
        """Boolean mask of the columns of the array ``X`` that a classifier refusing NaN reads,
        less the count column (a missing count is a new account)."""
        columns = self._fitted_columns()
        refused = np.zeros(X.shape[1], dtype=bool)
        for role in ("known", "unseen"):
            est = getattr(self, role) if reset else getattr(self, f"{role}_", getattr(self, role))
            if _sub_tag(est, lambda t: t.input_tags.allow_nan, False):
                continue
            spec = getattr(self, f"{role}_columns") if reset else columns[role]
            positions = _column_origin(X, _fixed_columns(X, spec))
            if positions is None:  # every column (None), or a spec the selection will refuse
                refused[:] = True
            else:
                refused[positions] = True
        col = self.count_column if reset else columns["count"]
        if isinstance(col, numbers.Integral) and -X.shape[1] <= col < X.shape[1]:
            refused[col] = False
        return refused

    def _fitted_columns(self):
        """The column settings fit used (``known``, ``unseen``, ``count``): set_params on a
        fitted router takes effect at the next fit, as the classifiers were fit on these
        columns (a router pickled before they were recorded reads its parameters)."""
        fitted = getattr(self, "_columns_", None)
        if fitted is None:
            return {
                "known": self.known_columns,
                "unseen": self.unseen_columns,
                "count": self.count_column,
            }
        return fitted

    def _new_rows(self, X, col):
        """Boolean mask of the rows whose count column ``col`` is 0 or missing; warns of a
        negative count (:class:`NegativeCountWarning`)."""
        # an int is a position, in a DataFrame too, as in known_columns / unseen_columns (and
        # ColumnTransformer): read as a label first, count_column=0 took a column that a frame
        # labelled [5, 0, 7] holds second while known_columns=[0] took its first, and a frame
        # with names refused it
        if _is_dataframe(X) and not isinstance(col, numbers.Integral):
            if col not in X.columns:
                counts = [c for c in X.columns if isinstance(c, str) and c.endswith("_count")]
                shown = counts or list(X.columns)[:20]
                what = "columns ending in _count" if counts else "columns"
                more = " ..." if not counts and len(X.columns) > 20 else ""
                raise ValueError(
                    f"count_column={col!r} is not a column of X (X has {len(X.columns)} "
                    f"columns; {what}: {shown}{more}); it should count each row's account in "
                    "the training data, e.g. PostFeatures' 'inferred_company_count' (in "
                    "make_seed_pipeline's pipeline without a company column: "
                    "model__classifier__count_column='username_count')."
                )
            values = X[col].to_numpy()
        else:  # a position, in an array or a DataFrame
            if (
                isinstance(col, bool | np.bool_)  # (an Integral: True was column 1)
                or not isinstance(col, numbers.Integral)
                or not -X.shape[1] <= col < X.shape[1]
            ):
                what = "a DataFrame" if _is_dataframe(X) else "an array"
                advice = (
                    "a position from 0 or a column name"
                    if _is_dataframe(X)
                    else "an integer position (or pass a DataFrame)"
                )
                raise ValueError(
                    f"count_column={col!r} cannot select a column of {what} with "
                    f"{X.shape[1]} columns; give {advice}."
                )
            values = np.asarray(X.iloc[:, col] if _is_dataframe(X) else X[:, col])
        if values.dtype == object:  # pd.NA (a nullable column made object) is missing too
            values = np.array([np.nan if v is pd.NA else v for v in values], dtype=object)
        # astype(float64) takes a date's nanoseconds for a count: every row a known account
        dated = values.dtype.kind in "mM" or (
            values.dtype == object
            and any(isinstance(v, np.datetime64 | np.timedelta64) for v in values)
        )
        if dated:
            raise ValueError(
                f"count_column={col!r} must be numeric (a count of training posts); it holds "
                f"dates or time spans (dtype {values.dtype}), which would be read as a count of "
                "nanoseconds: every row a known account"
            )
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError) as exc:
            row = next(i for i, v in enumerate(values) if not _is_number(v))
            # numpy's own words for a value that is no string or number (scikit-learn's
            # checks look for them); for a string they would quote it as np.str_('many')
            why = f" ({exc})" if isinstance(exc, TypeError) else ""
            raise type(exc)(
                f"count_column={col!r} must be numeric (a count of training posts); row {row} "
                f"holds {plain(values[row])!r}{why}"
            ) from exc
        negative = np.flatnonzero(values < 0)
        if negative.size:
            row = int(negative[0])
            warnings.warn(
                f"{type(self).__name__}: count_column={col!r} holds {negative.size:,} "
                f"negative value(s) (first: row {row}, {float(values[row]):g}), which no count of "
                "training posts can be; they count as known accounts. Was the column scaled or "
                "centred before the router? A new account is one whose count is 0, so route on "
                "the count as PostFeatures makes it.",
                NegativeCountWarning,
                stacklevel=user_stacklevel(),
            )
        return np.isnan(values) | (values == 0)

    # ------------------------------------------------------------------ fit
    @refit
    @stopped_whole
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit clones of both classifiers on every row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training input; must hold ``count_column`` and the columns both classifiers read.
        y : array-like of shape (n_samples,)
            Class labels (likes buckets).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to both classifiers (an error names a classifier that does not take it);
            with scikit-learn's metadata routing enabled, to those that request it
            (:meth:`get_metadata_routing`). Paired with the rows of ``X`` by position, as
            scikit-learn does (a pandas Series' index is not aligned with ``X``'s).
            Booleans are refused (a mask is no weights: ``mask.astype(float)``).
        **fit_params : dict
            Only with metadata routing enabled: metadata a classifier requests under another
            name (``set_fit_request(sample_weight="text_weight")``, an alias).

        Returns
        -------
        self : AccountRouter
            Fitted router.

        Raises
        ------
        BaseException
            Whatever a classifier's fit raised, or a warning made an error; a classifier
            fitted before the failure is kept on the error as its attribute ``known_`` or
            ``unseen_`` (pass ``known=FrozenEstimator(error.known_)`` to fit again without
            refitting it), while this router is left unfitted.
        """
        X = self._validate_X(X, reset=True)  # validate_data resets both column records
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y"), warn=True)
        check_classification_targets(y)
        check_consistent_length(X, y)
        new = self._new_rows(X, self.count_column)  # there and numeric from the start
        if new.size and new.all():
            warnings.warn(
                f"{type(self).__name__}: count_column={self.count_column!r} is 0 or missing in all "
                f"{new.size:,} training rows, so every post counts as an account never seen "
                "and goes to the unseen classifier, the known one never: is the account column "
                "empty, or does each account have one post (the post features count the "
                "other posts of an account in other folds, so an account seen once counts 0)? "
                "Count another one (make_seed_pipeline's pipeline without companies: "
                "model__classifier__count_column='username_count').",
                NoKnownAccountWarning,
                stacklevel=user_stacklevel(),
            )
        if sample_weight is not None:  # its own errors, not a sub-classifier's reworded
            sample_weight = _check_weights(sample_weight, X)
        classes = np.unique(y)
        routed = _routed_fit_params(self, sample_weight, ("known", "unseen"), fit_params)
        clones = {role: clone(getattr(self, role)) for role in ("known", "unseen")}
        for role, est in clones.items():
            _check_classifier(role, est)
            if hasattr(est, "classes_"):  # fitted before (a FrozenEstimator): known before any fit
                classes = self._united_classes(role, est, classes, y)
        # each classifier's columns and weights checked before either is fitted: the unseen
        # one's were refused after the known one's fit, and that work was lost
        specs, inputs = {}, {}
        for role, est in clones.items():
            spec = specs[role] = _fixed_columns(X, getattr(self, f"{role}_columns"))
            Xs = _select_columns(X, spec, f"{role}_columns")
            kwargs = _fit_kwargs(role, est, sample_weight, None if routed is None else routed[role])
            inputs[role] = (Xs, kwargs, (None, _column_origin(X, spec)))
        fitted: dict = {}
        try:
            for role, est in clones.items():
                Xs, kwargs, origin = inputs[role]
                try:
                    _call_sub(role, est, "fit", Xs, y, origin=origin, **kwargs)
                except ValueError as exc:
                    self._refuse_lone_classes(role, est, y, exc)
                    raise
                fitted[role] = est  # the clone, whatever its fit returned
                _check_classes(f"{role} classifier", est)
                # before the other classifier's fit (the text model's takes hours): a
                # classifier fitted before (a FrozenEstimator of a fine-tuned text router) may
                # know buckets this y lacks (a cross-validation fold without the top bucket)
                classes = self._united_classes(role, est, classes, y)
                _warn_unsplittable(est, len(y), f"{type(self).__name__}: the {role} classifier")
        except BaseException as exc:  # Ctrl-C, a warning made an error: the fits may be hours
            self._keep_fitted_on(exc, fitted)
            raise
        # assign the fitted state only once both classifiers are fit
        self.classes_ = classes
        self.known_, self.unseen_ = fitted["known"], fitted["unseen"]
        self._columns_ = {**specs, "count": self.count_column}
        return self

    def _keep_fitted_on(self, exc, fitted) -> None:
        """Keep the classifiers ``fitted`` before ``exc`` (``{role: fitted clone}``) on it as
        its attributes ``known_`` and ``unseen_``, with a note saying how to fit again without
        refitting them (``known=FrozenEstimator(error.known_)``), as
        :class:`~skbucket.bucketed.BucketedRegressor` keeps its ``classifier_``: the router
        itself is left unfitted, as after any failed fit, but fine-tuning the text model may
        take hours."""
        if not fitted:
            return
        kept = " and ".join(f"{role}_" for role in fitted)
        params = ", ".join(f"{role}=FrozenEstimator(error.{role}_)" for role in fitted)
        inside = ", ".join(f"classifier__{role}=..." for role in fitted)
        seed = ", ".join(f"model__classifier__{role}=..." for role in fitted)
        _keep_on_error(
            exc,
            f"({type(self).__name__}: the {' and '.join(fitted)} classifier(s) were fitted "
            f"before this failure; kept on this error as its attribute(s) {kept} (the "
            "estimator is left unfitted). To fit again without refitting them, on the same "
            f"rows, pass {params}, from sklearn.frozen, e.g. router.set_params({params})"
            f".fit(X, y), or {inside} inside a BucketedRegressor, {seed} for the seed "
            "pipeline.)",
            **{f"{role}_": est for role, est in fitted.items()},
        )

    def _refuse_lone_classes(self, role, est, y, exc):
        """Raise the library's error for scikit-learn's "The least populated class in y has
        only 1 member" from the ``role`` classifier ``est``'s fit (``exc``): a
        HistGradientBoostingClassifier on more than 10,000 rows holds out validation rows
        split by class for its early stopping, and sklearn's words name the class by its
        position, as a float (``[3.0]``), not by its label. Returns for any other error."""
        lone_said = exc.__cause__ is None and re.search(r"(?i)least populated class", str(exc))
        labels, counts = np.unique(y, return_counts=True)
        lone = labels[counts < 2]
        if not (lone_said and lone.size):
            return
        paths = _early_stopping_paths(role, est)
        stop = (
            f"let it hold out no rows: set_params({', '.join(paths[:3])}) on this "
            f"{type(self).__name__}"
            if paths
            else "give it a classifier that holds out no rows"
        )
        more = f" and {lone.size - 5} more" if lone.size > 5 else ""
        raise ValueError(
            f"{type(self).__name__}: the {role} classifier {_describe(est)} could not be fitted: "
            f"class(es) {_labels_text(lone[:5])}{more} of y have 1 training row each, too few "
            "for a hold-out "
            "split by class (a HistGradientBoostingClassifier holds out validation_fraction "
            "of the rows, split by class, for its early stopping: early_stopping='auto' on "
            f"more than 10,000 rows, or True). Merge such a class into another, or {stop}. "
            "(scikit-learn's words below number the classes by position 0 .. n-1, not by "
            f"label) {type(exc).__name__}: {exc}"
        ) from exc

    @staticmethod
    def _united_classes(role, est, classes, y):
        """``classes`` and the ``classes_`` of the classifier ``est`` together, sorted; raises
        when they cannot be compared with the labels of ``y``."""
        own = np.asarray(est.classes_)
        # numpy 2 unites int and str labels as str without a TypeError: 0 became "0"
        if (kind := _label_kind(own)) != (y_kind := _label_kind(classes)):
            raise ValueError(
                f"{role} classifier reports classes {own.tolist()[:10]} that cannot be "
                f"compared with the labels of y ({np.unique(y).tolist()[:10]}): its labels "
                f"are {kind}, y's are {y_kind}"
            )
        try:
            return np.union1d(classes, own)
        except TypeError as exc:
            raise ValueError(
                f"{role} classifier reports classes {own.tolist()[:10]} that cannot be "
                f"compared with the labels of y ({np.unique(y).tolist()[:10]})"
            ) from exc

    def __sklearn_is_fitted__(self):
        return hasattr(self, "unseen_")

    def get_metadata_routing(self):
        """How ``fit`` routes ``sample_weight`` while scikit-learn's metadata routing is on:
        to the ``fit`` of ``known`` and of ``unseen`` when they request it
        (``set_fit_request``; one outside scikit-learn's routing gets it when its ``fit``
        takes it).

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return _fit_router(self, {"known": self.known, "unseen": self.unseen})

    # ------------------------------------------------------------------ predict
    def predict_proba(self, X):
        """Class probabilities: from ``unseen`` for new accounts, from ``known`` for others.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow :attr:`classes_`; a class one classifier never saw gets 0 there.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        columns = self._fitted_columns()
        new = self._new_rows(X, columns["count"])
        out = np.zeros((_num_samples(X), len(self.classes_)), dtype=np.float64)
        for role, rows in (("known", ~new), ("unseen", new)):
            if not rows.any():
                continue
            est = getattr(self, f"{role}_")
            spec = columns[role]
            part = _select_columns(X, spec, f"{role}_columns")
            part = part.iloc[rows] if _is_dataframe(part) else part[rows]
            cols = np.searchsorted(self.classes_, np.asarray(est.classes_))
            origin = (np.flatnonzero(rows), _column_origin(X, spec))
            out[rows] = _class_proba(role, est, part, cols, len(self.classes_), origin=origin)
        return out

    def predict_log_proba(self, X):
        """The log of :meth:`predict_proba`: ``-inf`` for a class the row's classifier never
        saw (its probability is 0 there).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow :attr:`classes_`.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class per row (ties go to the first of :attr:`classes_`).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # ------------------------------------------------------------------ display
    def set_output(self, *, transform=None):
        """Forward ``set_output`` to ``known`` and ``unseen`` (and, once fitted, their fitted
        copies) when they support it, as :meth:`BucketedRegressor.set_output
        <skbucket.bucketed.BucketedRegressor.set_output>` does: the router outputs classes,
        this configures transformers inside them (e.g. Pipelines), in place.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Output container of the sub-estimators' ``transform``; None leaves it as is.

        Returns
        -------
        self : AccountRouter
        """
        if transform is not None:
            roles = ("known", "unseen", "known_", "unseen_")
            _forward_set_output([getattr(self, role, None) for role in roles], transform)
        return self

    def _sk_visual_block_(self):
        """HTML diagram: ``known`` and ``unseen`` side by side; once fitted, their fitted
        copies (which hold the fitted attributes; the names keep the parameter paths
        ``known``/``unseen``, whose values the copies were cloned from)."""
        try:
            from sklearn.utils._repr_html.estimator import _VisualBlock
        except ImportError:  # scikit-learn < 1.7
            from sklearn.utils._estimator_html_repr import _VisualBlock

        from ._subestimators import _drawable

        fitted = self.__sklearn_is_fitted__()
        ests = [getattr(self, f"{role}_" if fitted else role) for role in ("known", "unseen")]
        names = [
            f"{role}: {e.__name__ if isinstance(e, type) else type(e).__name__}"
            for role, e in zip(("known", "unseen"), ests)
        ]
        return _VisualBlock(
            "parallel",
            [_drawable(e) for e in ests],
            names=names,
            name_details=[str(e) for e in ests],
        )
