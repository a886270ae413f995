"""How skbucket's meta-estimators call the estimators they hold.

:class:`~skbucket.bucketed.BucketedRegressor` and :class:`~skbucket.routing.AccountRouter`
fit clones of a user's classifiers and regressors on some of the columns and rows of ``X``.
This module is what they share for that: selecting the columns a sub-estimator reads
(``_select_columns``, ``_column_origin``), calling it with errors that name the role, the row
and the column of the user's ``X`` (``_call_sub``, ``_class_proba``), passing
``sample_weight`` and routed metadata (``_fit_kwargs``, ``_routed_fit_params``,
``_check_weights``) and reading its tags and fitted state. Nothing here is public; it
imports scikit-learn only.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
from scipy.sparse import issparse
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.utils import _safe_indexing
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    has_fit_parameter,
)

from ._frames import plain


def _is_float(value):
    """True when ``float(value)`` works (a number or numeric text within float64 range)."""
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


_SCALE_WEIGHTS_DOWN = "scale the weights down (divide them all by one number)."


def _weight_rtol(sample_weight) -> float:
    """Relative tolerance of sums of ``sample_weight`` (as given): float64 rounding, or that of
    a lower precision they came in (20 float32 weights of 0.35 weigh 6.99999988, which is 7
    rows' weight; float32 thirds summed do not reach the whole)."""
    dtype = getattr(sample_weight, "dtype", None)
    dtype = getattr(dtype, "numpy_dtype", dtype)  # pandas' nullable Float32: float32
    if not isinstance(dtype, np.dtype) and sample_weight is not None:
        try:  # torch, polars, pyarrow, a list of np.float32: the array numpy makes of them
            dtype = np.asarray(sample_weight).dtype
        except Exception:  # not array-like: the weights' own check says so
            dtype = None
    try:
        eps = float(np.finfo(dtype).eps) if dtype is not None else 0.0
    except (TypeError, ValueError):  # not a float dtype (ints, objects)
        eps = 0.0
    return max(1e-9, 8 * eps)


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc") and getattr(X, "ndim", 2) == 2


def _is_text_1d(X):
    """True for 1-D text (input for a text classifier): a Series, 1-D array, list or tuple
    holding at least one str. Its other values (missing, numbers) go to the sub-estimators as
    they are, wherever they stand, so their own errors or handling apply."""
    if isinstance(X, str) or _is_dataframe(X):
        return False
    if hasattr(X, "iloc") and getattr(X, "ndim", 0) == 1:  # pandas Series
        if X.dtype.kind in "biufcmM":
            return False
        values = X.to_numpy()
    elif isinstance(X, np.ndarray):
        if X.ndim != 1 or X.dtype.kind not in "USO":
            return False
        if X.dtype.kind in "US":
            return X.size > 0
        values = X
    elif isinstance(X, list | tuple):
        values = X
    else:
        return False
    return any(isinstance(v, str) for v in values)


# what the estimators say of a date/time value: numpy's dtype names, float() of a pandas
# Timestamp, XGBoost's "Invalid columns:d: datetime64[us, UTC]", CatBoost's ISO value
# "2020-01-01T00:00:00.000000" (not a text that merely holds the word "timestamp")
_DATE_WORDS = re.compile(
    r"DateTime64DType|TimeDelta64DType|datetime64\[|timedelta64\[|"
    r"not '(?:Timestamp|Timedelta)'|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
)


def _date_columns(X):
    """``[(column, dtype)]`` of a DataFrame's datetime and timedelta columns."""
    if not _is_dataframe(X):
        return []
    return [(c, str(X[c].dtype)) for c in X.columns if X[c].dtype.kind in "mM"]


def _string_columns(X, limit=10):
    """``[(column, row, value)]`` for columns holding non-numeric strings."""
    found = []

    def first_text(values):
        for i, v in enumerate(values):
            if isinstance(v, str | bytes):
                try:
                    float(v)
                except ValueError:
                    return i, v
        return None

    if _is_dataframe(X):
        for col in X.columns:
            series = X[col]
            if series.dtype.kind in "biufcmM":
                continue
            hit = first_text(series.to_numpy())
            if hit is not None:
                found.append((col, *hit))
            if len(found) >= limit:
                break
    elif _is_text_1d(X):
        hit = first_text(list(X))
        if hit is not None:
            found.append(("<1-D text input>", *hit))
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "OUS":
        for j in range(X.shape[1]):
            hit = first_text(X[:, j])
            if hit is not None:
                found.append((j, *hit))
            if len(found) >= limit:
                break
    return found


def _fixed_columns(X, columns):
    """``columns`` as fit uses it for good: a callable (``make_column_selector``) is asked once,
    on the training ``X``, as ``ColumnTransformer`` does; asked again at predict, a batch whose
    numeric column is all missing (object dtype) lost that column and the fitted model failed."""
    return columns(X) if callable(columns) else columns


def _select_columns(X, columns, param):
    """The part of ``X`` that ``columns`` picks (ColumnTransformer-style column spec)."""
    if columns is None:
        return X
    key = columns(X) if callable(columns) else columns
    if _is_text_1d(X):
        raise ValueError(f"{param}={columns!r} needs 2-D X with columns; got 1-D text input")
    try:
        out = _safe_indexing(X, key, axis=1)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        names = list(X.columns) if _is_dataframe(X) else f"{X.shape[1]} unnamed columns"
        why = str(exc)
        wanted = [key] if isinstance(key, str) else key
        if _is_dataframe(X) and isinstance(wanted, list | tuple):
            absent = [c for c in wanted if isinstance(c, str) and c not in X.columns]
            if absent:  # not pandas' "None of [Index(['zz'], dtype='str')] are in the [columns]"
                why = f"{absent!r} not in X"
        raise ValueError(
            f"{param}={columns!r} cannot select columns of X (X has {names}): {why}"
        ) from exc
    if getattr(out, "ndim", 1) == 2 and out.shape[1] == 0:
        raise ValueError(f"{param}={columns!r} selected no column of X")
    return out


def _column_origin(X, columns):
    """Positions in ``X`` of the columns ``columns`` picks, for messages; None for a DataFrame
    (a selected DataFrame keeps its column names) or when nothing is selected."""
    if columns is None or _is_dataframe(X) or not hasattr(X, "shape") or len(X.shape) != 2:
        return None
    key = columns(X) if callable(columns) else columns
    try:
        return np.atleast_1d(np.arange(X.shape[1])[key])
    except (IndexError, TypeError, ValueError):
        return None


def _describe(est):
    text = repr(est)
    return text if len(text) <= 80 else type(est).__name__ + "(...)"


# What an estimator, or a wrapper that passes its fit's keywords on, says of a keyword it does
# not take: Python's TypeError, Pipeline's "does not accept", Bagging's "doesn't support".
_REFUSED_KEYWORD = re.compile(r"unexpected keyword|n(?:o|')t (?:accept|support)", re.IGNORECASE)


def _user_row(origin, i) -> int:
    """The row of the user's input at position ``i`` of a part of it (``origin`` as for
    :func:`_call_sub`: ``(rows, columns)`` or None)."""
    rows = None if origin is None else origin[0]
    return int(i if rows is None else rows[i])


#: how far a classifier's probabilities may stray from [0, 1] and a row's sum from 1 (float32
#: softmax over a few classes strays by about 1e-7)
_PROBA_SLACK = 1e-3


def _call_sub(role, est, method, X, *args, origin=None, **kwargs):
    """Call ``est.method``; re-raise failures caused by string columns as ValueError.

    ``origin`` is ``(rows, columns)``: where the rows and (for an array) the columns of ``X``
    sit in the user's input, when ``X`` is a part of it (either may be None: the same); the
    message names the user's row and column.

    A prediction (any method but ``fit``) must have one row per row of ``X``: numpy would
    otherwise broadcast a single row over all of them when it is placed in the output.
    """
    try:
        result = getattr(est, method)(X, *args, **kwargs)
    except Exception as exc:
        message = str(exc)
        if isinstance(exc, UnsetMetadataPassedError):
            raise  # scikit-learn's own, naming the step whose request to set: as it is
        if (
            method == "fit"
            and any(key.endswith("sample_weight") for key in kwargs)
            and isinstance(exc, TypeError | ValueError)
            and "sample_weight" in message
            and _REFUSED_KEYWORD.search(message)
        ):  # a wrapper's fit(**kwargs) passed the weights on to an estimator without them;
            # not a weight it took and found wrong (a routed alias of another length, NaN)
            raise ValueError(
                f"sample_weight was given, but {role} {_describe(est)} did not take it in "
                f"fit ({type(exc).__name__}: {' '.join(message.split())}); use a "
                "sub-estimator that accepts sample_weight, or fit without sample_weight."
            ) from exc
        cols = _string_columns(X)
        cited = [hit for hit in cols if str(hit[2]) in message]  # the value the error names
        cols = cited or cols
        rows, positions = origin if origin is not None else (None, None)
        if rows is not None:
            cols = [(c, int(rows[r]), v) for c, r, v in cols]
        if positions is not None and not _is_dataframe(X):
            cols = [(int(positions[c]) if isinstance(c, int) else c, r, v) for c, r, v in cols]
        conversion = any(  # what numeric estimators say of text (sklearn, XGBoost, CatBoost)
            words in message.lower()
            for words in (
                "could not convert",
                "cannot convert",
                "unable to convert",
                "cannot cast",
                "bytes/strings",
                "dtypes for data must be",
                "could not be promoted",  # numpy, of datetime64 and float64 columns
                "argument must be a string or a real number",  # float(Timestamp)
            )
        )
        dated = _date_columns(X) if conversion else []
        # numpy's "DType <class 'numpy.dtypes.DateTime64DType'> could not be promoted ...":
        # only a message about a date/time value (a step may drop the date column, and fail
        # on another)
        if dated and _DATE_WORDS.search(message):
            raise ValueError(
                f"{role} {_describe(est)} cannot take the date/time column(s) "
                f"{', '.join(f'{c!r} ({t})' for c, t in dated[:5])} in {method}: it needs "
                f"numbers ({type(exc).__name__}: {' '.join(message.split())}). Turn them into "
                "numbers (skbucket.PostFeatures reads hour, weekday, month and year from a "
                "date column) or drop them."
            ) from exc
        if cols and conversion:
            shown = ", ".join(f"{c!r} (row {r}: {v!r})" for c, r, v in cols[:5])
            advice = (
                "Drop those columns, or encode them in this Pipeline's steps."
                if _pipeline_steps(est) is not None
                else "Drop or encode those columns, or give this step a Pipeline that "
                "selects/encodes them."
            )
            raise ValueError(
                f"{role} {_describe(est)} cannot take the string column(s) {shown} in "
                f"{method}: {type(exc).__name__}: {message}. {advice}"
            ) from exc
        empty = _empty_columns(X, origin) if method == "fit" else []
        if empty and isinstance(exc, ValueError):
            # scikit-learn's HistGradientBoosting (the default router) fails on such a column
            # with "window shape cannot be larger than input array shape"
            raise ValueError(
                f"{role} {_describe(est)} could not be fitted ({type(exc).__name__}: "
                f"{' '.join(message.split())}); column(s) {empty[:10]} of its input hold no "
                f"value (NaN) in any of its {_num_samples(X)} training rows: drop or fill them"
            ) from exc
        raise
    if method != "fit":
        n_in, n_out = _num_samples(X), np.shape(result)[0] if np.ndim(result) else 1
        if n_out != n_in:
            hint = (
                " (A text vectorizer given a DataFrame, even of one column, iterates over its "
                "column names: give it a Series, or select the column with a ColumnTransformer.)"
                if hasattr(X, "columns")
                else ""
            )
            raise ValueError(
                f"{role} {_describe(est)}.{method} returned {n_out} row(s) for {n_in} input "
                f"rows; it must return one per row.{hint}"
            )
    return result


def _reads_frame_by_column(est, n_columns) -> bool:
    """Whether ``est`` is an XGBoost or CatBoost model (sklearn API) fitted on ``n_columns``
    numeric columns only. Their pandas readers convert a DataFrame column by column on every
    call (about 10 ms for 400 columns, whatever the rows); an array of the same float values
    gives the same predictions (both read float32). The caller hands them one only when its
    own ``validate_data`` has checked that X's column names are those of fit, in that order,
    so the array's columns are the ones each regressor was fitted on. A model fitted on a
    categorical (or CatBoost text or embedding) column keeps the frame: given floats where it
    learnt categories it refuses them, where an array would be read as category codes."""
    module = type(est).__module__
    try:
        if module.startswith("xgboost."):
            width = getattr(est, "n_features_in_", None)
            types = est.get_booster().feature_types or ()
            # and one XGBoost reads an array into directly (not gblinear: it builds a
            # DMatrix, which wants the feature names an array lacks)
            numeric = all(kind in (None, "float", "int", "i", "q") for kind in types) and bool(
                getattr(est, "_can_use_inplace_predict", lambda: False)()
            )
        elif module.startswith("catboost."):  # its n_features_in_ reads 0 (catboost 1.2)
            names = getattr(est, "feature_names_", None)
            width = None if names is None else len(names)
            numeric = not (
                est.get_cat_feature_indices()
                or est.get_text_feature_indices()
                or est.get_embedding_feature_indices()
            )
        else:
            return False
    except Exception:  # not fitted as expected, or an API of another version: the frame
        return False
    return numeric and width == n_columns


def _is_float_frame(X) -> bool:
    """Whether ``X`` is a pandas DataFrame of float columns only (numpy dtypes), whose values
    are one exact 2-D float array; ints, bools, categories and extension dtypes are not (a
    large int would be rounded twice on its way to float32)."""
    return (
        _is_dataframe(X)
        and hasattr(X, "dtypes")
        and all(isinstance(d, np.dtype) and d.kind == "f" for d in X.dtypes)
    )


def _empty_columns(X, origin=None) -> list:
    """The columns of a numeric ``X`` that are missing in every row (names of a DataFrame's,
    positions in the user's input of an array's), or ``[]``."""
    try:
        if _is_dataframe(X):
            missing = X.isna().all(axis=0).to_numpy(bool)
            names = list(X.columns)
        else:
            arr = np.asarray(X)
            if arr.ndim != 2 or arr.dtype.kind != "f" or arr.shape[0] == 0:
                return []
            missing = np.isnan(arr).all(axis=0)
            positions = None if origin is None else origin[1]
            names = list(range(arr.shape[1])) if positions is None else list(positions)
    except Exception:  # sparse, text, objects that cannot be asked: none known
        return []
    return [plain(name) for name, gone in zip(names, missing) if gone]


def _class_proba(role, clf, X, columns, n_columns, origin=None):
    """``clf``'s class probabilities on ``X`` placed in an ``(n_samples, n_columns)`` array.

    ``columns[i]`` is the output column of ``clf.classes_[i]`` (in the classifier's own order);
    other columns are 0. A classifier without ``predict_proba`` gives one-hot rows. ``origin``
    as for :func:`_call_sub`.
    """
    n = _num_samples(X)
    out = np.zeros((n, n_columns), dtype=np.float64)
    columns = np.asarray(columns, dtype=np.int64)
    if hasattr(clf, "predict_proba"):
        proba = np.asarray(_call_sub(role, clf, "predict_proba", X, origin=origin))
        width = proba.shape[1] if proba.ndim == 2 else None
        if width != columns.size and columns.size == 1:
            # one class learned: HistGradientBoostingClassifier still answers two columns
            proba = np.ones((n, 1))
        elif width != columns.size or proba.shape[0] != n:
            raise ValueError(
                f"{role} {_describe(clf)}.predict_proba returned an array of shape "
                f"{proba.shape} for {n} row(s) and {columns.size} class(es) in its classes_ "
                f"{np.asarray(clf.classes_).tolist()!r:.200}; expected shape "
                f"({n}, {columns.size})"
            )
        out[:, columns] = proba.astype(np.float64, copy=False)
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if bad.size:  # NaN > 0 is False: soft routing summed no bucket and predicted 0
            row = _user_row(origin, bad[0])
            raise ValueError(
                f"{role} {_describe(clf)}.predict_proba gave row {row} the probabilities "
                f"{out[bad[0]].tolist()!r}, which are not all finite; its fit went wrong "
                f"(a class_weight or sample_weight that is NaN or infinite?){_unchecked_x()}"
            )
        # soft routing weighs the buckets' predictions by them: scores (decision_function
        # values), or shares that do not add up to one, would scale the prediction
        sums = out.sum(axis=1)
        bad = np.flatnonzero(
            (out < -_PROBA_SLACK).any(axis=1)
            | (out > 1 + _PROBA_SLACK).any(axis=1)
            | (np.abs(sums - 1.0) > _PROBA_SLACK)
        )
        if bad.size:
            row = _user_row(origin, bad[0])
            raise ValueError(
                f"{role} {_describe(clf)}.predict_proba gave row {row} the values "
                f"{np.round(out[bad[0]], 6).tolist()!r} (sum {sums[bad[0]]:.6g}; {bad.size} "
                f"row(s) of {n} like it), which are not probabilities: each must lie in [0, 1] "
                "and a row's must add up to 1. Give a classifier whose predict_proba returns "
                "probabilities (or one without predict_proba, which routes by predict)."
            )
        return out
    pred = np.asarray(_call_sub(role, clf, "predict", X, origin=origin)).reshape(-1)
    classes = np.asarray(clf.classes_)
    order = np.argsort(classes, kind="stable")  # sklearn keeps classes_ sorted; not everyone
    pos = np.minimum(np.searchsorted(classes[order], pred), classes.size - 1)
    unknown = np.flatnonzero(classes[order][pos] != pred)
    if unknown.size:
        row = _user_row(origin, unknown[0])
        raise ValueError(
            f"{role} {_describe(clf)}.predict returned {pred[unknown[0]].tolist()!r} in row "
            f"{row}, which is not one of its classes_ {classes.tolist()}"
        )
    out[np.arange(n), columns[order[pos]]] = 1.0
    return out


def _estimator_type(est):
    """``"classifier"``, ``"regressor"``, ... from scikit-learn's tags; None when unknown."""
    try:
        from sklearn.utils import get_tags

        return get_tags(est).estimator_type
    except Exception:  # no __sklearn_tags__ (not a scikit-learn estimator): the old attribute
        return getattr(est, "_estimator_type", None)


def _takes_sample_weight(est):
    """Whether ``est.fit`` takes ``sample_weight``: named in its signature, or through
    ``**kwargs`` that it passes on (``TransformedTargetRegressor``, ``GridSearchCV``, ...)."""
    if has_fit_parameter(est, "sample_weight"):
        return True
    try:
        parameters = inspect.signature(est.fit).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a C extension, say)
        return False
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _routes_metadata(est):
    """Whether scikit-learn's metadata routing knows what ``est.fit`` requests (a
    scikit-learn estimator or router; not e.g. CatBoost, which has no requests to set)."""
    return hasattr(est, "get_metadata_routing") or hasattr(est, "_get_metadata_request")


def _pipeline_steps(estimator) -> list | None:
    """``estimator.steps`` as a list of ``(name, step)`` when it is a pipeline's: a non-empty
    list or tuple of pairs (tuples, or lists as a config file gives them) whose names are
    text; None otherwise (a hyper-parameter of that name, ``steps=10``, is no pipeline)."""
    steps = getattr(estimator, "steps", None)
    if not isinstance(steps, list | tuple) or not steps:
        return None
    pairs = [tuple(item) for item in steps if isinstance(item, list | tuple) and len(item) == 2]
    if len(pairs) != len(steps) or not all(isinstance(name, str) for name, _ in pairs):
        return None
    return pairs


def _final_step(est):
    """``(prefix, step)``: the step a Pipeline (nested ones too) ends in, and the prefix of
    its fit parameters (``"outer__inner__"``); ``("", est)`` for anything but a Pipeline."""
    prefix, last = "", est
    while (steps := _pipeline_steps(last)) is not None:
        name, last = steps[-1]
        prefix += f"{name}__"
    return prefix, last


def _check_classifier(role, est, hint=""):
    """Refuse, before fitting it, a regressor given where a classifier routes the rows."""
    if _estimator_type(est) == "regressor":
        raise ValueError(
            f"{role} must be a classifier (it predicts each row's bucket); got the "
            f"regressor {_describe(est)}.{hint}"
        )


def _check_classes(who, est, why=""):
    """Refuse a fitted classifier without ``classes_`` (its columns could not be aligned)."""
    if not hasattr(est, "classes_"):
        raise ValueError(f"{who} {_describe(est)} has no classes_ after fit{why}.")


def _fit_kwargs(role, est, sample_weight, routed=None):
    """The weight keywords for ``est.fit``.

    With scikit-learn's metadata routing enabled, ``routed`` holds the fit parameters that
    :func:`~sklearn.utils.metadata_routing.process_routing` sends ``est`` (``None`` while it
    is off; already cut to ``est``'s rows): an estimator that routing knows gets exactly
    those, ``sample_weight`` when it requests it (``set_fit_request``, also under another
    name; a Pipeline routes it on to the steps that request it). Otherwise
    ``est`` gets it when its ``fit`` takes it (by name or through ``**kwargs``), a Pipeline on
    its final step.

    A :class:`~sklearn.frozen.FrozenEstimator` fits nothing: it gets what routing sends it
    (nothing: it requests nothing) or, while routing is off, the weights, which it ignores,
    whatever it holds (a classifier fitted before that takes no weights, or one outside
    routing, fits nothing here either).
    """
    if _is_frozen(est):
        if routed is not None:
            return dict(routed)
        return {} if sample_weight is None else {"sample_weight": sample_weight}
    prefix, last = _final_step(est)
    if routed is not None and _routes_metadata(est):
        if (
            (sample_weight is not None or routed)
            and prefix
            and last not in (None, "passthrough")
            and not _routes_metadata(last)
            and _takes_sample_weight(last)
        ):  # the Pipeline would drop them: routing cannot send them to that step
            raise ValueError(
                f"sample_weight was given with metadata routing on, but {role} "
                f"{_describe(est)} ends in {_describe(last)}, which is outside scikit-learn's "
                "metadata routing: it cannot request the weights, so the Pipeline would fit it "
                "without them. Use that estimator without the Pipeline, or turn routing off "
                "(sklearn.set_config(enable_metadata_routing=False))."
            )
        inner = None if sample_weight is None else _unrouted_weight_taker(est)
        if inner is not None:  # e.g. TransformedTargetRegressor(CatBoostRegressor())
            raise ValueError(
                f"sample_weight was given with metadata routing on, but {role} "
                f"{_describe(est)} holds {_describe(inner)}, which is outside scikit-learn's "
                "metadata routing: it cannot request the weights, so it would be fitted "
                "without them (with routing off it gets them). Use that estimator without the "
                "wrapper, or turn routing off (sklearn.set_config(enable_metadata_routing=False))."
            )
        return dict(routed)  # what it requested, under its own names (cut to its rows)
    if sample_weight is None:
        return {}
    if prefix:  # a Pipeline's fit(**params) wants step__sample_weight
        if last not in (None, "passthrough") and _takes_sample_weight(last):
            return {f"{prefix}sample_weight": sample_weight}
    elif _takes_sample_weight(est):
        return {"sample_weight": sample_weight}
    raise ValueError(
        f"sample_weight was given, but {role} {_describe(est)} does not accept "
        "sample_weight in fit (nor does its final Pipeline step); use a sub-estimator "
        "that does, or fit without sample_weight."
    )


def _keep_on_error(exc: BaseException, note: str, **fitted) -> None:
    """Keep the estimators ``fitted`` before ``exc`` on it as its attributes (``classifier_``,
    ``known_``, ...) with ``note`` (how to fit again without refitting them): the failed
    estimator is left unfitted, as after any failed fit, but a fine-tuned text router may
    have taken hours. An exception class with ``__slots__`` has nowhere to keep them: no note
    then."""
    try:
        for name, est in fitted.items():
            setattr(exc, name, est)
    except AttributeError:
        return
    exc.add_note(note)


def _is_frozen(est) -> bool:
    """Whether ``est`` is a :class:`~sklearn.frozen.FrozenEstimator`, whose ``fit`` does
    nothing (it takes any keyword, and reads ``steps`` and the like from the estimator it
    holds, as if they were its own)."""
    from sklearn.frozen import FrozenEstimator

    return isinstance(est, FrozenEstimator)


def _unrouted_weight_taker(est, seen=None):
    """The first estimator inside ``est`` (a wrapper that routing knows) whose ``fit`` takes
    ``sample_weight`` but which routing does not know (CatBoost), among those that get the
    weights with routing off: ``est``'s parts, the parts of those parts that routing knows,
    and of a Pipeline its final step only. None if there is none. Routing sends such an
    estimator nothing, so a ``TransformedTargetRegressor(CatBoostRegressor())``, or a
    ``VotingRegressor`` holding one, was fitted without the weights it gets with routing off.

    skbucket's own meta-estimators are not searched: they pass the weights to such parts
    themselves. Parts are estimators (``fit`` and ``predict``), not other objects with a
    ``fit`` (a scipy distribution in a search's space). A ``FrozenEstimator`` fits nothing,
    so nothing inside it is fitted without the weights."""
    seen = set() if seen is None else seen
    if _is_frozen(est):
        return None
    prefix, last = _final_step(est)
    if prefix:  # a Pipeline's earlier steps get no weights with routing off either
        est = last
    if id(est) in seen or not _routes_metadata(est):  # (a bare one is the caller's to judge)
        return None
    if type(est).__module__.partition(".")[0] == "skbucket":
        return None  # BucketedRegressor, AccountRouter: they weigh their parts themselves
    seen.add(id(est))
    params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
    for value in params.values():
        # an estimator, or a list or dict of them or of (name, estimator) pairs (Voting)
        if isinstance(value, dict):
            value = list(value.values())
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, tuple) and len(item) == 2:
                item = item[1]
            if not _is_estimator(item):
                continue
            if not _routes_metadata(item) and _takes_sample_weight(item):
                return item
            found = _unrouted_weight_taker(item, seen)
            if found is not None:
                return found
    return None


def _fit_router(owner, children):
    """The :class:`~sklearn.utils.metadata_routing.MetadataRouter` of a meta-estimator that
    uses ``sample_weight`` itself and passes it to the ``fit`` of each ``{name: child}``."""
    from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping

    router = MetadataRouter(owner=owner).add_self_request(owner)
    for name, child in children.items():
        router.add(**{name: child}, method_mapping=MethodMapping().add(caller="fit", callee="fit"))
    return router


def _routed_fit_params(owner, sample_weight, names, fit_params=None):
    """``{child name: fit params}`` that metadata routing sends each child of ``owner``, or
    ``None`` while routing is off (or no metadata is given). Raises scikit-learn's
    ``UnsetMetadataPassedError`` naming a child whose request for ``sample_weight`` was never
    set, as its own meta-estimators do.

    ``fit_params`` are the other metadata ``fit`` was given: those a child requests under
    another name (``set_fit_request(sample_weight="router_weight")``, an alias), which
    scikit-learn refuses while routing is off."""
    fit_params = dict(fit_params or {})
    if not _routing_enabled():
        if fit_params:
            from sklearn.utils.metadata_routing import _raise_for_params

            _raise_for_params(fit_params, owner, "fit")
        return None
    if sample_weight is not None:
        fit_params["sample_weight"] = sample_weight
    if not fit_params:
        return None
    from sklearn.utils.metadata_routing import process_routing

    routed = process_routing(owner, "fit", **fit_params)
    return {name: dict(routed[name].fit) for name in names}


def _routed_rows(params, rows, n_rows):
    """``params`` with every value that holds one entry per row (of ``n_rows``) cut to
    ``rows`` (the zero-weight rows dropped, or one bucket's)."""
    out = {}
    for key, value in params.items():
        try:
            per_row = value is not None and _num_samples(value) == n_rows
        except TypeError:  # a scalar or an object without a length
            per_row = False
        out[key] = _safe_indexing(value, rows) if per_row else value
    return out


#: errors a regressor raises for no fault of a bucket's rows (a typo in its code, too little
#: memory): never taken for its refusal of a degenerate bucket
_NOT_THE_ROWS = (MemoryError, AttributeError, NameError, LookupError, TypeError)


def _refuse_boolean_weights(raw, prefix="", given=None) -> None:
    """Refuse booleans among the weights ``raw`` (an array; ``prefix`` starts the message):
    ``True`` and ``False`` are no weights, and were read as 1 and 0 without a word (a mask
    such as ``y > 0`` passed for the weights dropped every other row from the fit).

    ``given`` is what the caller passed, when ``raw`` is ``np.asarray(given)``: numpy makes the
    ``True`` of a list such as ``[2, True, 0]`` the number 1, so a list's own cells are read."""
    if isinstance(given, list | tuple) and raw.ndim == 1 and raw.dtype.kind in "iuf":
        raw = np.asarray(given, dtype=object)
    if raw.dtype.kind == "b":
        row = 0 if raw.size else None
    elif raw.dtype.kind == "O":
        row = next(
            (i for i, v in enumerate(raw.reshape(-1)) if isinstance(v, bool | np.bool_)), None
        )
    else:
        row = None
    if row is None:
        return
    value = plain(raw.reshape(-1)[row])
    where = f"got {value!r}" if raw.ndim == 0 else f"row {row} is {value!r}"
    raise ValueError(
        f"{prefix}sample_weight must hold numbers, not booleans; {where}. To weigh the rows of "
        "a mask 1 and the others 0, pass mask.astype(float)."
    )


def _check_weights(sample_weight, X, **options):
    """scikit-learn's ``_check_sample_weight`` (non-negative; ``options`` its own), with
    messages that name the parameter and the row: its own said "could not convert string to
    float: 'a'", "Input sample_weight contains NaN." and "sample_weight.shape == (3,),
    expected (200,)!"; booleans are refused (:func:`_refuse_boolean_weights`), which it read
    as weights 1 and 0, also among the numbers of a list (``[2, True, 0]``)."""
    raw = np.asarray(sample_weight, dtype=object if _is_dataframe(sample_weight) else None)
    if raw.ndim > 1:
        raise ValueError(f"sample_weight must be 1-D, one weight per row; got shape {raw.shape}.")
    if raw.ndim == 1:  # a scalar is one weight for every row, as scikit-learn takes it
        n_rows = _num_samples(X)
        if raw.shape[0] != n_rows:
            raise ValueError(
                f"sample_weight has {raw.shape[0]} values for {n_rows} rows of X; give one "
                "weight per row."
            )
        if raw.dtype.kind not in "biuf":
            from .media import _is_na

            missing = next((i for i, v in enumerate(raw) if _is_na(v)), None)
            if missing is not None:  # None, pd.NA: as a NaN of a float column is said
                raise ValueError(
                    f"sample_weight must be finite; row {missing} is missing "
                    f"({plain(raw[missing])!r})."
                )
    # one check of a scalar, a boolean array, the cells of an object one and those of a list
    # (after the length and the missing cells, which name the problem first)
    _refuse_boolean_weights(raw, given=sample_weight)
    if raw.ndim == 0 and raw.dtype.kind not in "iuf" and not isinstance(raw.item(), float | int):
        # scikit-learn's said "Input should have at least 1 dimension" of "2"
        raise ValueError(
            "sample_weight must be a number (one weight for every row) or one weight per "
            f"row; got {plain(raw.item())!r:.80}."
        )
    if raw.ndim == 1:
        if raw.dtype.kind not in "biuf":
            row = next((i for i, v in enumerate(raw) if not _is_float(v)), None)
            if row is not None:
                raise ValueError(
                    f"sample_weight must hold numbers; row {row} is {plain(raw[row])!r:.80}."
                )
            raw = raw.astype(np.float64)
        _refuse_unfinite_weights(raw)
        negative = np.flatnonzero(raw < 0)
        if negative.size:
            raise ValueError(
                f"sample_weight must be 0 or more; row {negative[0]} is "
                f"{plain(raw[negative[0]])!r} ({negative.size} negative row(s))."
            )
    checked = _check_sample_weight(sample_weight, X, ensure_non_negative=True, **options)
    if raw.ndim == 0:  # one weight for every row (a 1-D one was checked above)
        _refuse_unfinite_weights(checked)
    return checked


def _refuse_1d(X, *, texts=False) -> None:
    """Refuse 1-D ``X`` in scikit-learn's words, without its ``array=[...]`` of every value
    (a million numbers printed for one mistake). ``texts``: the estimator reads 1-D input as
    texts, and this one holds none (all missing, say)."""
    if isinstance(X, list | tuple):
        try:
            X = np.asarray(X)  # its shape and dtype, read once
        except ValueError:  # a ragged list: scikit-learn's check says what it is
            return
    # an array-like without a shape (no __array_function__ asked): scikit-learn's
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 1 or issparse(X):
        return
    dtype = getattr(X, "dtype", None)
    if texts and getattr(dtype, "kind", "O") not in "biufc":  # object, str, pandas' "string"
        raise ValueError(
            f"X is 1-D, which is read as texts (for a text classifier), but none of its "
            f"{shape[0]} values is a str (all missing, or other objects); give at least one "
            "text, or a 2-D table of rows by columns."
        )
    raise ValueError(
        f"Expected 2D array, got 1D array instead: X has shape {tuple(shape)}. Reshape "
        "your data: X.reshape(-1, 1) (or a one-column DataFrame) for a single feature, "
        "X.reshape(1, -1) for a single row."
        + (" 1-D input is taken as texts only (for a text classifier)." if texts else "")
    )


def _refuse_unfinite_weights(sample_weight) -> None:
    """Refuse a NaN or infinite weight, whatever scikit-learn's ``assume_finite``: with it
    set, ``_check_sample_weight`` let a NaN through, which ``sample_weight > 0`` then dropped
    as a zero weight, without a word."""
    bad = np.flatnonzero(~np.isfinite(sample_weight))
    if bad.size:
        raise ValueError(
            f"sample_weight must be finite; row {bad[0]} has {sample_weight[bad[0]]} "
            f"({bad.size} such row(s))."
        )


def _unchecked_x() -> str:
    """What to suspect first when scikit-learn's ``assume_finite`` is set: its checks of X
    for NaN and infinity are off, so such a value reaches the sub-estimators."""
    from sklearn import get_config

    if not get_config()["assume_finite"]:
        return ""
    return (
        " (scikit-learn's assume_finite=True is set, which skips the check of X for NaN and "
        "infinity: does that row of X hold one?)"
    )


def _forward_set_output(estimators, transform) -> None:
    """``set_output(transform=...)`` of each of ``estimators`` that has one (None and
    strings, such as "passthrough" or an unset default, are passed over)."""
    for est in estimators:
        if _is_estimator(est) and hasattr(est, "set_output"):
            est.set_output(transform=transform)


def _is_estimator(obj):
    return (
        not isinstance(obj, type)
        and callable(getattr(obj, "fit", None))
        and hasattr(obj, "predict")
    )


def _got(obj):
    """What was given where an estimator instance goes, for an error message: a class (a
    forgotten ``()``) says how to make one."""
    if isinstance(obj, type):
        return f"the class {obj.__name__} (write {obj.__name__}())"
    return repr(obj)


def _drawable(est):
    """An estimator class given where an instance goes (a forgotten ``()``) as a text for
    the HTML diagram, which failed on it (``_get_doc_link() missing 'self'``), as the
    repr of scikit-learn's own meta-estimators does not; fit names the mistake."""
    if isinstance(est, type):
        return f"{est.__name__} (a class, not an instance: {est.__name__}())"
    return est


def _sub_tag(est, getter, default):
    try:
        return bool(getter(get_tags(est)))
    except Exception:  # third-party estimators without sklearn tags
        return default


def _early_stopping_paths(role, est) -> list[str]:
    """The ``set_params`` arguments (``"<role>__...early_stopping=False"``) that stop
    ``est``, or a HistGradientBoostingClassifier inside it (a Pipeline's step, an
    AccountRouter's ``known``), from holding out rows for early stopping."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    inside = est.get_params(deep=True) if hasattr(est, "get_params") else {}
    found = [("", est), *((f"{name}__", sub) for name, sub in inside.items())]
    return [
        f"{role}__{path}early_stopping=False"
        for path, sub in found
        if isinstance(sub, HistGradientBoostingClassifier) and sub.early_stopping is not False
    ]
