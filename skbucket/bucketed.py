"""Bucket-then-regress: :func:`assign_buckets` and :class:`BucketedRegressor`.

Likes are heavy-tailed counts. The seed solution first lets a classifier decide
which *likes bucket* a post belongs to (0-10, 11-100, 101-300, 301-500, 501-1000,
1001-2500, >2500) and then asks that bucket's own regressor for the number.
:class:`BucketedRegressor` is that model as one scikit-learn meta-estimator.

This module imports scikit-learn only; xgboost and catboost are imported when the
seed default regressors are built (``regressors=None``), never at import time.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import sys
import warnings
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, issparse, spmatrix
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._fitted import refit, stopped_whole, validate_params_in_use
from ._frames import as_pandas, as_pandas_series, boolean_likes, check_min_size, plain
from ._subestimators import (
    _NOT_THE_ROWS,
    _SCALE_WEIGHTS_DOWN,
    _call_sub,
    _check_classes,
    _check_classifier,
    _check_weights,
    _class_proba,
    _column_origin,
    _describe,
    _drawable,
    _early_stopping_paths,
    _fit_kwargs,
    _fit_router,
    _fixed_columns,
    _forward_set_output,
    _got,
    _is_dataframe,
    _is_estimator,
    _is_float,
    _is_float_frame,
    _is_frozen,
    _is_text_1d,
    _keep_on_error,
    _pipeline_steps,
    _reads_frame_by_column,
    _refuse_1d,
    _routed_fit_params,
    _routed_rows,
    _select_columns,
    _sub_tag,
    _unchecked_x,
    _user_row,
    _weight_rtol,
)
from ._warn import user_stacklevel

__all__ = [
    "DEFAULT_BINS",
    "BucketedRegressor",
    "TooFewRowsWarning",
    "assign_buckets",
    "seed_regressors",
]


class TooFewRowsWarning(UserWarning):
    """The training table is too small for part of the model to learn anything: a
    HistGradientBoostingClassifier router that cannot split (fewer than ``2 *
    min_samples_leaf`` rows), no bucket with ``min_bucket_size`` rows (every bucket
    predicts one constant), buckets with the rows but not the total ``sample_weight`` for a
    regressor of their own, or every training row in one bucket (the router has nothing to
    learn: a small fold, or ``bins`` outside the targets' range). Filter it by this category
    where small folds are expected."""


#: The seed solution's bucket edges: 0-10, 11-100, 101-300, 301-500, 501-1000,
#: 1001-2500, >2500 (each edge belongs to the bucket on its left).
DEFAULT_BINS = (10, 100, 300, 500, 1000, 2500)

# Seed default regressor family per bucket (for the 7 default buckets).
_SEED_FAMILIES = ("xgb", "xgb", "catboost", "catboost", "catboost", "xgb", "xgb")


def _expm1_nonnegative(z):
    """``expm1`` clipped at 0: the inverse of ``log1p`` for targets that are never negative.
    An overflow gives ``inf`` without numpy's RuntimeWarning: predict refuses it, naming the
    row (the warning only came first)."""
    with np.errstate(over="ignore"):
        return np.maximum(np.expm1(z), 0.0)


_TRANSFORMS = {"log1p": (np.log1p, _expm1_nonnegative)}


# --------------------------------------------------------------------------- helpers
def _is_edge(value) -> bool:
    """Whether ``value`` is a real number (an int, a float, numpy's, a ``Decimal``): not a bool,
    a string, a date or None, which ``float()`` reads as a number too."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, numbers.Real) or (
        isinstance(value, numbers.Number) and not isinstance(value, numbers.Complex)
    )


def _check_bins(bins):
    """Validate bucket edges; return them as a 1-D float64 array."""
    given = None if isinstance(bins, str | bytes) else np.asarray(bins)
    if given is not None and given.ndim == 1:
        # float() reads "10" as 10 and True as 1: edges given as text or flags were used so
        # (strings read from a file or a command line, a boolean mask passed for the edges).
        # A list's own items: numpy makes [True, 100] an int array
        if isinstance(bins, list | tuple):
            values = list(bins)
        elif given.dtype.kind in "mM":  # tolist() would give a date's nanoseconds as an int
            values = list(given)
        else:
            values = [] if given.dtype.kind in "iuf" else given.tolist()
        first = next((i for i, v in enumerate(values) if not _is_edge(v)), None)
        if first is not None:
            value = values[first]
            if not isinstance(value, np.datetime64 | np.timedelta64):  # (item(): an int)
                value = plain(value)
            raise ValueError(
                f"bins must be numbers (the likes at each bucket's upper edge); bins[{first}] is "
                f"{type(value).__name__} {value!r:.80} (bins={bins!r:.200})"
            )
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bins must be a sequence of numbers; got {bins!r}") from exc
    if edges.ndim != 1 or edges.size == 0:
        raise ValueError(f"bins must be a non-empty 1-D sequence of edges; got {bins!r}")
    bad = np.flatnonzero(~np.isfinite(edges))
    if bad.size:
        raise ValueError(f"bins must be finite; bins[{bad[0]}]={float(edges[bad[0]])!r}")
    # the messages quote the validated edges: bins may be a Series indexed by quantiles
    if edges[0] < 0:
        raise ValueError(
            "bins must be >= 0 because targets are non-negative counts; got "
            f"bins[0]={float(edges[0])!r}"
        )
    steps = np.flatnonzero(np.diff(edges) <= 0)
    if steps.size:
        i = int(steps[0]) + 1
        raise ValueError(
            f"bins must be strictly increasing; bins[{i}]={float(edges[i])!r} is not greater "
            f"than bins[{i - 1}]={float(edges[i - 1])!r} (bins={edges.tolist()!r})"
        )
    return edges


def _check_one_target_per_row(n_rows, n_y, error=ValueError) -> None:
    """Refuse ``y`` of another length than ``X``, saying which has how many (scikit-learn's
    "inconsistent numbers of samples: [60, 10]" said neither)."""
    if n_y != n_rows:
        raise error(
            f"X and y have different lengths: X has {n_rows} rows but y has {n_y}; give one "
            "target per row."
        )


def _check_targets(y, *, name="y", allow_negative=False):
    """1-D float64 copy of ``y``; raise naming the row for non-finite/negative values."""
    # before column_or_1d, which makes floats of a nullable boolean (a one-column frame's too)
    one_column = getattr(y, "ndim", 1) == 2 and hasattr(y, "iloc") and y.shape[1] == 1
    source = y.iloc[:, 0] if one_column else y
    said = boolean_likes(source, name)
    if said is not None:
        raise ValueError(said)
    y = column_or_1d(y, warn=True)
    if getattr(source, "dtype", None) is None:  # a list: read once more, as an array
        said = boolean_likes(y, name)
        if said is not None:
            raise ValueError(said)
    if y.dtype.kind in "mM":  # astype(float64) would take their nanoseconds for likes
        what = {"m": "time spans", "M": "dates"}[y.dtype.kind]
        raise ValueError(
            f"{name} must hold like counts (real numbers); got {what} of dtype {y.dtype}"
        )
    if y.dtype.kind not in "biuf":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            row = next((i for i, v in enumerate(y) if not _is_float(v)), None)
            where = "" if row is None else f", but row {row} is {plain(y[row])!r:.80}"
            raise ValueError(
                f"{name} must be numeric (likes counts as numbers within the float64 range); "
                f"got dtype {y.dtype}{where}"
            ) from exc
    y = np.asarray(y, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        kind = "NaN" if np.isnan(y[bad[0]]) else "infinity"
        raise ValueError(
            f"Input {name} contains {kind}: {name} must be finite, but row {bad[0]} is "
            f"{float(y[bad[0]])!r} ({bad.size} non-finite row(s) in all, first rows "
            f"{bad[:5].tolist()})"
        )
    neg = np.flatnonzero(y < 0)
    if neg.size and not allow_negative:
        raise ValueError(
            f"{name} must be non-negative (likes are counts), but row {neg[0]} is "
            f"{float(y[neg[0]])!r} ({neg.size} negative row(s) in all, first rows "
            f"{neg[:5].tolist()})"
        )
    return y


def assign_buckets(y, bins=DEFAULT_BINS):
    """Map each non-negative target to its bucket index.

    Bucket ``k`` holds the targets in ``(bins[k-1], bins[k]]``: every edge belongs to
    the bucket on its left. With the default edges ``(10, 100, 300, 500, 1000, 2500)``
    that is 0-10 -> 0, 11-100 -> 1, 101-300 -> 2, 301-500 -> 3, 501-1000 -> 4,
    1001-2500 -> 5 and >2500 -> 6 (for whole-number likes).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Non-negative, finite targets (likes).
    bins : sequence of float, default=(10, 100, 300, 500, 1000, 2500)
        Strictly increasing, non-negative upper edges of every bucket but the last: numbers
        (a string such as ``"10"``, a bool or None is refused).

    Returns
    -------
    buckets : ndarray of shape (n_samples,), dtype int64
        Bucket index per target, in ``0 .. len(bins)``.

    Raises
    ------
    ValueError
        When ``y`` holds NaN, infinity or a negative value (the message names the
        first offending row) or when ``bins`` is not a strictly increasing,
        non-negative sequence of numbers (the message names the first bad edge).

    Examples
    --------
    >>> from skbucket.bucketed import assign_buckets
    >>> assign_buckets([0, 10, 11, 100, 101, 2500, 2501])
    array([0, 0, 1, 1, 2, 5, 6])
    >>> assign_buckets([0.5, 2, 3], bins=(1, 2))
    array([0, 1, 2])
    """
    edges = _check_bins(bins)
    y = _check_targets(y)
    return np.searchsorted(edges, y, side="left").astype(np.int64)


def _weighted_median(values, weights, rtol=1e-9):
    """Median of ``values`` where integer ``weights`` act as repeats (``np.median`` if 1)."""
    order = np.argsort(values, kind="stable")
    v, cum = values[order], np.cumsum(weights[order], dtype=np.float64)
    half = cum[-1] / 2.0
    tol = rtol * cum[-1]  # rounding in the sums: weights scaled by 1/3 must give the same
    i = int(np.searchsorted(cum, half - tol, side="left"))
    if abs(cum[i] - half) <= tol and i + 1 < v.size:
        return float((v[i] + v[i + 1]) / 2.0)
    return float(v[i])


#: the largest float32: XGBoost and CatBoost, the default regressors, train in 32-bit floats, so a
#: target or weight beyond it is infinity there ("Label contains NaN, infinity or a value too
#: large", "Weights must be positive values", "Invalid bias[0] : inf")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_float32_range(values, what, advice, rows=None):
    """Raise naming the first row of ``values`` beyond float32's range (``rows``: where each
    value stands in the user's input, when some rows were dropped)."""
    big = np.flatnonzero(np.abs(values) > _FLOAT32_MAX)
    if big.size:
        value = float(values[big[0]])
        if rows is not None:
            big = np.asarray(rows)[big]
        raise ValueError(
            f"{what} must be within float32's range (at most {_FLOAT32_MAX:.4g} in size: XGBoost "
            f"and CatBoost train in 32-bit floats), but row {big[0]} is {value!r} "
            f"({big.size} such row(s) in all, first rows {big[:5].tolist()}); {advice}"
        )


def _fit_bar(owner, total):
    """The progress bar of ``owner``'s fit (``owner.progress``: None shows it on a terminal
    or in a notebook only); tqdm is imported only when one is shown. A line of it in a log
    gives no time to go: the router's fit can take an hour, each regressor's seconds."""
    from ._models import progress_bar

    name = f"{type(owner).__name__} fit"
    return progress_bar(total, name, getattr(owner, "progress", None), unit="model", eta=False)


_HGB_WEIGHTS_BY_POSITION = None


def _hgb_weights_by_position() -> bool:
    """Whether this scikit-learn's HistGradientBoostingClassifier reads a dict
    ``class_weight`` by the position of each class in ``classes_`` instead of by its label.

    Its ``fit`` encodes ``y`` as ``0 .. n-1`` before it expands ``class_weight`` (seen in
    scikit-learn 1.2 to 1.9), so with bucket labels ``[0, 2, 3]`` (bucket 1 empty) the weight
    given to bucket 2 lands on bucket 3. Found out once per process by a one-iteration fit
    on four rows, so a scikit-learn that reads labels is not re-mapped wrongly."""
    global _HGB_WEIGHTS_BY_POSITION
    if _HGB_WEIGHTS_BY_POSITION is None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        probe = HistGradientBoostingClassifier(class_weight={0: 1.0, 2: 2.0}, max_iter=1)
        try:  # labels [0, 2] read as positions [0, 1]: the weight of 2 names no class there
            probe.fit(np.arange(4.0).reshape(-1, 1), [0, 0, 2, 2])
            _HGB_WEIGHTS_BY_POSITION = False
        except ValueError:
            _HGB_WEIGHTS_BY_POSITION = True
    return _HGB_WEIGHTS_BY_POSITION


#: the parameters of scikit-learn's searches that list the values they try
_SEARCH_SPACES = ("param_grid", "param_distributions")


def _search_spaces(params):
    """``(name, space, grids)`` for each search space among ``params`` (``get_params``):
    the parameter's name, which of :data:`_SEARCH_SPACES` it is, and its grids as a list (a
    dict alone is one grid); another estimator's parameter of that name (None, a number) is
    none."""
    for name, value in params.items():
        space = next((p for p in _SEARCH_SPACES if name == p or name.endswith(f"__{p}")), None)
        grids = [value] if isinstance(value, Mapping) else value
        if space is not None and isinstance(grids, list | tuple):
            yield name, space, grids


def _listed_class_weights(key, values) -> bool:
    """Whether a search grid's entry ``key: values`` lists ``class_weight`` values (of the
    estimator searched or of one inside it); a distribution lists none."""
    weights = key == "class_weight" or key.endswith("__class_weight")
    return weights and isinstance(values, list | tuple | np.ndarray)


def _drop_absent_class_weights(classifier, present) -> None:
    """Keep, in every dict ``class_weight`` of ``classifier`` (a fitted clone) and of the
    estimators inside it, only the buckets that have training rows: scikit-learn refuses a
    weight for a class absent from ``y`` beside classes left unweighted, and a small
    cross-validation fold often lacks the top bucket. A HistGradientBoostingClassifier's
    dict is re-keyed by each bucket's position among ``present`` where scikit-learn reads it
    so (:func:`_hgb_weights_by_position`): a bucket with no rows below a weighted one would
    otherwise move the weight to the next bucket up, or fail the fit.

    The dicts a search (``GridSearchCV``, ``RandomizedSearchCV``, the halving ones) inside
    ``classifier`` tries, listed for a ``class_weight`` in its ``param_grid`` or
    ``param_distributions``, are changed alike: the search sets them on the clones it fits,
    its refit on every row among them, after this."""
    present = np.asarray(present)
    params = classifier.get_params(deep=True) if hasattr(classifier, "get_params") else {}
    for name, value in params.items():
        if (name == "class_weight" or name.endswith("__class_weight")) and isinstance(value, dict):
            owner = classifier if name == "class_weight" else params[name[: -len("__class_weight")]]
            kept = _kept_class_weight(value, owner, present)
            if kept != value:
                classifier.set_params(**{name: kept})
    for name, space, grids in _search_spaces(params):
        search = classifier if name == space else params[name[: -len(f"__{space}")]]
        template = search.get_params(deep=False).get("estimator")
        if not _is_estimator(template):
            continue
        inner = template.get_params(deep=True) if hasattr(template, "get_params") else {}
        changed, touched = [], False
        for grid in grids:
            if isinstance(grid, Mapping):
                grid = dict(grid)
                for key, values in grid.items():
                    if not _listed_class_weights(key, values):
                        continue
                    path = key[: -len("__class_weight")]
                    owner = template if key == "class_weight" else inner.get(path)
                    kept = [
                        _kept_class_weight(v, owner, present) if isinstance(v, dict) else v
                        for v in values
                    ]
                    # only a dict that loses a bucket or is re-keyed changes the space: with
                    # every bucket present the user's grid (a tuple, an array) stays as given
                    if any(k is not v and k != v for k, v in zip(kept, values, strict=True)):
                        grid[key] = kept
                        touched = True
            changed.append(grid)
        if touched:
            value = params[name]
            new = changed[0] if isinstance(value, Mapping) else type(value)(changed)
            classifier.set_params(**{name: new})


def _kept_class_weight(weights, owner, present):
    """The dict ``class_weight`` ``weights`` of the estimator ``owner`` for training buckets
    ``present``: its buckets with rows, keyed by their position among ``present`` for a
    HistGradientBoostingClassifier that reads them so (see :func:`_drop_absent_class_weights`)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    labels = set(present.tolist())
    kept = {k: w for k, w in weights.items() if k in labels}
    if (
        isinstance(owner, HistGradientBoostingClassifier)
        and not np.array_equal(present, np.arange(present.size))
        and _hgb_weights_by_position()
    ):
        kept = {int(np.searchsorted(present, k)): w for k, w in kept.items()}
    return kept


def _check_bucket_classes(est, edges):
    """Refuse a fitted classifier whose ``classes_`` are not bucket numbers of ``edges``: a
    classifier fitted before (``FrozenEstimator``) on other bins (or other labels) was
    accepted, and every prediction then failed with an IndexError."""
    classes = np.asarray(est.classes_)
    n = len(edges) + 1
    ok = classes.ndim == 1 and classes.dtype.kind in "iuf"
    if ok:
        ok = bool(np.all((classes == np.round(classes)) & (classes >= 0) & (classes < n)))
    if not ok:
        raise ValueError(
            f"classifier {_describe(est)} has classes_ {classes.tolist()!r:.200}, which are not "
            f"bucket numbers 0 .. {n - 1} ({n} buckets from bins {edges.tolist()}); a "
            "classifier fitted before (e.g. in a FrozenEstimator) must have been fitted on "
            "assign_buckets(y, bins) with these bins."
        )


def _is_weight(value) -> bool:
    """Whether ``value`` is a finite real number >= 0 (not a bool; a 400-digit int is not
    finite as a float)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        # (the ignore: typeshed's numbers.Real, as the ABC, has no >=; so in _is_bucket)
        return math.isfinite(value) and value >= 0  # type: ignore[operator]
    except OverflowError:
        return False


def _is_bucket(key, n_buckets) -> bool:
    """Whether ``key`` names one of ``n_buckets`` buckets: a whole number 0 .. n_buckets - 1
    (``1.0`` as ``1``, as scikit-learn's lookup reads it; not a bool, not ``"1"``)."""
    if isinstance(key, bool) or not isinstance(key, numbers.Real):
        return False
    try:
        return float(key).is_integer() and 0 <= key < n_buckets  # type: ignore[operator]
    except OverflowError:
        return False


def _check_class_weights(classifier, n_buckets, owner="BucketedRegressor") -> None:
    """Refuse a router whose ``class_weight`` mapping (its own or a part's, at any depth)
    holds a weight that is not a finite number >= 0 (a NaN weight made a
    HistGradientBoostingClassifier whose every probability is NaN, so the fit went through
    and every ``predict`` failed), or a key that is no bucket of these ``n_buckets`` (the
    weights of buckets without training rows are dropped at fit, so a mistyped key or one
    left from other ``bins`` was dropped too, and the weighting ignored without a word). The
    dicts a search inside it tries (listed in its ``param_grid`` or ``param_distributions``)
    are checked alike."""
    params = classifier.get_params(deep=True) if hasattr(classifier, "get_params") else {}
    found = {"class_weight": getattr(classifier, "class_weight", None)}
    found.update((k, v) for k, v in params.items() if k.endswith("__class_weight"))
    for name, _, grids in _search_spaces(params):
        for grid in grids:
            if not isinstance(grid, Mapping):
                continue
            for key, values in grid.items():
                if _listed_class_weights(key, values):
                    found.update((f"{name}[{key!r}] {v!r:.60}", v) for v in values)
    for name, value in found.items():
        problem = _class_weight_problem(value, n_buckets)
        if problem is not None:
            raise ValueError(f"{owner}: the classifier's {name} {problem}")


def _class_weight_problem(weights, n_buckets) -> str | None:
    """What is wrong with a ``class_weight`` mapping for ``n_buckets`` buckets (the end of a
    sentence naming it), or None: a key that is no bucket number, then a weight that is not
    a finite number >= 0. Not a mapping: None (``"balanced"`` and None are the
    classifier's to check)."""
    if not isinstance(weights, dict):
        return None
    keys = [k for k in weights if not _is_bucket(k, n_buckets)]
    if keys:
        return (
            f"keys are bucket numbers 0 .. {n_buckets - 1} ({n_buckets} buckets, from bins); "
            f"got {keys!r}"
        )
    bad = {k: v for k, v in weights.items() if not _is_weight(v)}
    if bad:
        return f"values are finite numbers >= 0 (the weight of each bucket's posts); got {bad!r}"
    return None


def _request_weights(est):
    """A default sub-estimator built inside ``fit`` takes the weights the caller passes (its
    request cannot be set by the user): ``set_fit_request(sample_weight=True)`` while
    metadata routing is on."""
    if _routing_enabled() and hasattr(est, "set_fit_request"):
        est.set_fit_request(sample_weight=True)
    return est


def _degenerate_bucket(X, y):
    """Why a bucket's regressor can only learn a constant ("training targets are all equal",
    "training rows are all the same"), or None. Only asked about a bucket whose regressor
    refused it: a regressor that takes it is kept."""
    if np.ptp(y) == 0:
        return "training targets are all equal"
    try:
        import pandas as pd

        if hasattr(X, "tocsr"):  # sparse: densified for the comparison only when small
            if X.shape[0] * X.shape[1] > 10_000_000:
                return None
            X = X.toarray()
        frame = X if isinstance(X, pd.DataFrame | pd.Series) else pd.DataFrame(np.asarray(X))
        same = frame.astype(str).drop_duplicates().shape[0] <= 1
    except Exception:  # rows that cannot be compared: not known to be the same
        return None
    return "training rows are all the same" if same else None


def _constant_regressor(y, sample_weight):
    """A fitted ``DummyRegressor`` predicting the weighted mean of ``y``, and that value."""
    from sklearn.dummy import DummyRegressor

    value = float(np.average(y, weights=sample_weight))
    est = DummyRegressor(strategy="constant", constant=value)
    est.fit(np.zeros((y.size, 1)), y)
    return est, value


def _seed_from(random_state):
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _quartile_bins(y) -> str | None:
    """``bins=`` text of the quartiles of ``y`` strictly inside its range, written with the
    fewest significant digits (3 at least) that keep them distinct, increasing and inside it
    (1100-1104 at 3 digits were "1.1e+03" three times, refused as bins); None when none is."""
    y = np.asarray(y, dtype=float)
    low, high = y.min(), y.max()
    inside = np.unique(np.quantile(y, [0.25, 0.5, 0.75]))
    inside = inside[(inside > low) & (inside < high)]
    if not inside.size:
        return None
    for digits in range(3, 18):
        shown = [f"{v:.{digits}g}" for v in inside]
        values = [float(s) for s in shown]
        if all(low < v < high for v in values) and all(a < b for a, b in zip(values, values[1:])):
            return f"({', '.join(shown)}{',' * (len(shown) == 1)})"
    return f"({', '.join(map(repr, inside.tolist()))}{',' * (inside.size == 1)})"


def _fitted_inside(est):
    """``[(path, estimator)]``: ``est`` and the fitted estimators it holds that fit on its
    training rows (or fewer), as their parameter path is written in a message: a Pipeline's
    final step (nested ones too, ``"steps[-1] 'hgb'"``), a search's ``best_estimator_`` (refit
    on every row) and a wrapper's fitted ``estimator_``. A ``FrozenEstimator``'s estimator
    (``estimator``, no underscore) is not one, nor anything inside it (whose ``steps`` and
    ``best_estimator_`` it shows as its own): it was fitted elsewhere, on other rows."""
    found, parts, seen = [("", est)], [], {id(est)}
    while True:
        if _is_frozen(est):
            return found
        steps = _pipeline_steps(est)
        if steps is not None:
            name, inner = steps[-1]
            parts.append(f"final step {name!r}")
        else:
            attr = next((a for a in ("best_estimator_", "estimator_") if hasattr(est, a)), None)
            if attr is None:
                return found
            inner = getattr(est, attr)
            parts.append(attr)
        if not _is_estimator(inner) or id(inner) in seen:
            return found
        seen.add(id(inner))
        found.append((" of its ".join(reversed(parts)), inner))
        est = inner


def _warn_unsplittable(classifier, n_rows, who="BucketedRegressor: the classifier"):
    """Warn when ``classifier`` is a HistGradientBoostingClassifier too small a table left no
    split, or fits one on its rows (a Pipeline's final step, a search's best estimator):
    with fewer than ``2 * min_samples_leaf`` rows it predicts the buckets' shares."""
    ensemble = sys.modules.get("sklearn.ensemble")  # imported wherever such a classifier exists
    if ensemble is None:
        return
    path, hgb = next(
        (
            (path, est)
            for path, est in _fitted_inside(classifier)
            if isinstance(est, ensemble.HistGradientBoostingClassifier)
        ),
        (None, None),
    )
    if hgb is None:
        return
    leaf = hgb.min_samples_leaf
    classes = getattr(classifier, "classes_", getattr(hgb, "classes_", ()))
    if n_rows >= 2 * leaf or len(classes) < 2:
        return  # (one class: nothing to split)
    hgb_text = f"HistGradientBoostingClassifier(min_samples_leaf={leaf})"
    what = f"{_describe(classifier)}: its {path}, a {hgb_text}," if path else hgb_text
    warnings.warn(
        f"{who} {what} cannot split {n_rows} training rows (a split needs at least {2 * leaf}): "
        "it gives every row the buckets' training shares, so hard routing sends every row to "
        "the same bucket. For so few rows pass a classifier with a smaller min_samples_leaf "
        "(HistGradientBoostingClassifier(min_samples_leaf=...)) or another classifier.",
        TooFewRowsWarning,
        stacklevel=user_stacklevel(),
    )


def _default_classifier(seed):
    """The fast default bucket classifier: ``HistGradientBoostingClassifier``."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return _request_weights(HistGradientBoostingClassifier(random_state=seed))


def _default_regressors(n_buckets, seed=None):
    """Seed default regressor per bucket (xgboost/catboost are imported here, lazily).

    For the 7 default buckets: XGBRegressor, XGBRegressor, CatBoostRegressor,
    CatBoostRegressor, CatBoostRegressor, XGBRegressor, XGBRegressor. For another
    number of buckets the same pattern is stretched over the buckets. CatBoost is
    quiet and writes no files (``verbose=0, allow_writing_files=False``); XGBoost runs
    with ``verbosity=0``.
    """
    from catboost import CatBoostRegressor
    from xgboost import XGBRegressor

    out = {}
    for k in range(n_buckets):
        pos = 0 if n_buckets == 1 else round(k * (len(_SEED_FAMILIES) - 1) / (n_buckets - 1))
        if _SEED_FAMILIES[pos] == "xgb":
            out[k] = _request_weights(
                XGBRegressor(
                    n_estimators=300,
                    learning_rate=0.05,
                    max_depth=6,
                    subsample=0.8,
                    colsample_bytree=0.8,
                    random_state=0 if seed is None else seed,
                    verbosity=0,
                )
            )
        else:
            out[k] = CatBoostRegressor(
                iterations=300,
                learning_rate=0.05,
                depth=6,
                random_seed=0 if seed is None else seed,
                verbose=0,
                allow_writing_files=False,
            )
    return out


def seed_regressors(n_buckets=7, random_state=None):
    """The seed's per-bucket regressors as a list, ready for ``regressors=``.

    ``BucketedRegressor(regressors=None)`` builds these at fit time, so their parameters are
    not reachable through ``get_params``; passing ``regressors=seed_regressors()`` instead makes
    them addressable as ``regressors__0__max_depth`` and so on (e.g. in ``GridSearchCV``).

    Parameters
    ----------
    n_buckets : int, default=7
        Number of buckets (``len(bins) + 1``). For 7: XGBoost, XGBoost, CatBoost, CatBoost,
        CatBoost, XGBoost, XGBoost; other counts stretch that pattern.
    random_state : int, RandomState instance or None, default=None
        Seed of every regressor (an int from 0 to 2**32 - 1, as ``BucketedRegressor``'s
        ``random_state``; a ``RandomState`` gives one drawn from it); ``None`` gives each
        library's own default seed, 0 (so fits with ``None`` are the same every time, as
        XGBoost's and CatBoost's are).

    Returns
    -------
    list of estimators
        Unfitted, quiet regressors (CatBoost writes no files). Built while scikit-learn's
        metadata routing is on, the XGBoost ones request ``sample_weight``
        (``set_fit_request``), as the defaults of ``regressors=None`` do; built while it is
        off they carry no request (scikit-learn allows none then), so call this after
        ``sklearn.set_config(enable_metadata_routing=True)`` to fit them with weights under
        routing.

    Raises
    ------
    ValueError
        When ``n_buckets`` is not a positive int, or ``random_state`` is none of the above
        (a negative or too large seed was taken, and failed only in fit, in CatBoost's or
        XGBoost's own words).

    Examples
    --------
    >>> from skbucket.bucketed import seed_regressors
    >>> [type(r).__name__ for r in seed_regressors()]  # doctest: +NORMALIZE_WHITESPACE
    ['XGBRegressor', 'XGBRegressor', 'CatBoostRegressor', 'CatBoostRegressor',
     'CatBoostRegressor', 'XGBRegressor', 'XGBRegressor']
    """
    if isinstance(n_buckets, bool) or not isinstance(n_buckets, numbers.Integral) or n_buckets < 1:
        raise ValueError(
            f"n_buckets must be a positive int (len(bins) + 1, 7 for the default bins); "
            f"got {n_buckets!r}"
        )
    if isinstance(random_state, bool | np.bool_):  # scikit-learn's check takes True as 1
        raise ValueError(f"random_state must be an int, not a boolean; got {random_state!r}")
    validate_parameter_constraints(
        {"random_state": ["random_state"]},
        {"random_state": random_state},
        caller_name="seed_regressors",
    )
    regs = _default_regressors(int(n_buckets), _seed_from(random_state))
    return [regs[k] for k in range(int(n_buckets))]


def _holds_xgboost(est) -> bool:
    """Whether ``est`` is an XGBoost model or holds one at any depth of its parameters (a
    Pipeline's step, a TransformedTargetRegressor's or a BaggingRegressor's estimator)."""

    def xgboost(obj) -> bool:
        return type(obj).__module__.split(".")[0] == "xgboost"

    if xgboost(est):
        return True
    try:
        params = est.get_params(deep=True)
    except Exception:  # no scikit-learn parameters: nothing inside to look at
        return False
    return any(xgboost(value) for value in params.values())


def _refuse_infinity(X) -> None:
    """An infinite value of a numeric ``X`` (array, sparse matrix or a DataFrame's numeric
    columns) is refused naming its row and column: XGBoost failed with a C++ trace at fit,
    and predicted a number for it silently (NaN, a missing value, is left to the estimators
    that take it)."""
    if _is_dataframe(X):
        floats = [i for i, dtype in enumerate(X.dtypes) if getattr(dtype, "kind", "O") == "f"]
        if not floats:
            return
        values = X.iloc[:, floats].to_numpy(dtype=float, na_value=np.nan)
        where = np.isinf(values)
        if where.any():
            j = int(np.flatnonzero(where.any(axis=0))[0])  # the first column holding one
            bad = np.flatnonzero(where[:, j])
            raise ValueError(
                f"X column {plain(X.columns[floats[j]])!r} holds an infinite value "
                f"({values[bad[0], j]}) in row {bad[0]} (index label {plain(X.index[bad[0]])!r}; "
                f"{bad.size} row(s) in that column): give a finite number, or NaN where the "
                "value is missing."
            )
        return
    data = X.data if issparse(X) else X
    if getattr(data, "dtype", np.dtype(object)).kind != "f":
        return
    where = np.isinf(data)
    if not where.any():
        return
    if issparse(X):
        coo = X.tocoo()
        first = int(np.flatnonzero(np.isinf(coo.data))[0])
        row, col, value = int(coo.row[first]), int(coo.col[first]), coo.data[first]
    else:
        row, col = (int(i) for i in np.argwhere(where)[0])
        value = X[row, col]
    raise ValueError(
        f"X holds an infinite value ({value}) in row {row}, column {col} ({int(where.sum())} "
        "value(s) in all): give a finite number, or NaN where the value is missing."
    )


# --------------------------------------------------------------------------- estimator
class BucketedRegressor(RegressorMixin, BaseEstimator):
    """Route each row to a likes bucket with a classifier, then regress within it.

    The method of the seed solution: the targets ``y`` (likes, non-negative counts) are
    cut into buckets by :func:`assign_buckets`; by default the edges are
    ``bins=(10, 100, 300, 500, 1000, 2500)``, i.e. the buckets 0-10, 11-100, 101-300,
    301-500, 501-1000, 1001-2500 and >2500 likes (bucket ``k`` covers
    ``(bins[k-1], bins[k]]``, each edge belongs to the bucket on its left).

    ``fit`` trains ``classifier`` to predict the bucket from ``X`` and one regressor per
    bucket on that bucket's rows only. ``predict`` then either uses the predicted
    bucket's regressor (``routing="hard"``) or the probability-weighted sum of every
    bucket's regressor (``routing="soft"``)::

        hard: y_hat = f_b(x),  b = argmax_k p_k(x)
        soft: y_hat = sum_k p_k(x) * f_k(x)
        soft, soft_average="transformed": y_hat = g^-1(sum_k p_k(x) * g(f_k(x)))

    where ``g`` is ``target_transform`` (e.g. ``log1p``).

    ``X`` is handed to the sub-estimators as given (a DataFrame stays a DataFrame, a 1-D
    sequence of texts stays text), or only the part that ``classifier_columns`` /
    ``regressor_columns`` pick: so the classifier can read a text column (the prompt)
    while the regressors read the numeric features. A sub-estimator that fails on
    string columns it cannot take is reported as a ValueError naming those columns.

    Parameters
    ----------
    classifier : classifier, default=None
        Predicts the bucket index (an int in ``0 .. len(bins)``) from ``X``; cloned in
        ``fit``. ``None`` means ``HistGradientBoostingClassifier`` (fast, handles NaN);
        its ``min_samples_leaf=20`` allows no split on fewer than 40 training rows, where it
        gives every row the buckets' training shares (``fit`` warns of that for any
        ``HistGradientBoostingClassifier``, given as it is or as a Pipeline's final step or a
        search's best estimator, a ``TooFewRowsWarning``; pass one with a smaller
        ``min_samples_leaf`` for so few rows).
        If it has no ``predict_proba``, its predictions are used as one-hot
        probabilities. It is fitted on the bucket indices of the training rows as they are:
        when a bucket has no rows (a small fold), the labels have a gap (``[0, 1, 2, 6]``),
        which most classifiers take but ``XGBClassifier`` refuses; ``fit`` then says which
        buckets are empty. A ``class_weight`` dict of the classifier (or of an estimator
        inside it, or one a search inside it tries: its ``param_grid``) is fitted without
        the buckets that have no training rows (scikit-learn
        refuses weights for absent classes); a ``HistGradientBoostingClassifier``'s keys are
        then the buckets' positions among those with rows (as scikit-learn reads them: its
        ``fit`` numbers the classes ``0 .. n-1`` before weighting them), so each weight
        stays on its bucket. A regressor here is refused.
    regressors : regressor, list, dict or None, default=None
        Per-bucket regressors, each cloned in ``fit``:

        - ``None``: the seed defaults XGBRegressor, XGBRegressor, CatBoostRegressor,
          CatBoostRegressor, CatBoostRegressor, XGBRegressor, XGBRegressor (quiet, no
          files written; for other bin counts the pattern is stretched);
        - one estimator: cloned for every bucket;
        - a list with one estimator per bucket (``len(bins) + 1`` entries);
        - a dict ``{bucket: estimator}``; buckets left out get the seed default.

        Nested parameters of list/dict entries are addressed as
        ``regressors__<bucket>__<param>`` (e.g. ``regressors__3__alpha``) and an entry
        is replaced with ``regressors__<bucket>``, which also gives a bucket that a dict
        leaves out a regressor of its own (its parameters are addressable from then on:
        the seed default it had is made in fit); of a single estimator as
        ``regressors__<param>``. With ``None`` there is nothing to address, so
        ``get_params(deep=True)`` lists no bucket parameters. Like
        :class:`~sklearn.pipeline.Pipeline`, ``set_params`` changes a held estimator in
        place (give distinct objects, not one object repeated in a list).
    bins : sequence of float, default=(10, 100, 300, 500, 1000, 2500)
        Strictly increasing, non-negative bucket edges; ``len(bins) + 1`` buckets. Numbers
        only: ``fit`` refuses an edge given as a string (``"10"``), a bool or None.
    routing : {"hard", "soft"}, default="hard"
        ``"hard"``: the predicted bucket's regressor. ``"soft"``: the sum of every
        bucket's regressor weighted by :meth:`predict_bucket_proba` (only buckets with a
        non-zero probability are evaluated; see ``soft_average``). With one-hot
        probabilities both agree.
    soft_average : {"raw", "transformed"}, default="raw"
        Where soft routing averages the buckets' predictions. ``"raw"``: in target units,
        ``sum_k p_k f_k`` (the probability-weighted mean of the buckets' predictions in
        likes, toward which RMSE on likes pulls; the expected likes only where each ``f_k``
        is its bucket's mean: with ``"log1p"`` each is ``expm1`` of a mean of
        ``log1p(likes)``, below its bucket's mean).
        ``"transformed"``: in the space of ``target_transform``, where the regressors were
        fit, then mapped back: ``g^-1(sum_k p_k g(f_k))`` (with ``"log1p"``, ``expm1`` of the
        expected ``log1p(likes)``, a geometric-type mean that RMSE on log1p(likes) rewards,
        below the mean of likes; one unlikely high bucket no longer drags the prediction
        up). See *What a prediction is* in the method's docs. Both are the same without a
        ``target_transform`` or with hard routing.
    clip : bool, default=False
        Clip a bucket regressor's prediction into that bucket's range
        ``(bins[k-1], bins[k]]`` (bucket 0: ``[0, bins[0]]``, last bucket:
        ``(bins[-1], inf)``; a prediction below it becomes the float just above
        ``bins[k-1]``, which itself belongs to bucket ``k-1``), in raw target space. With hard
        routing the prediction then lies in the predicted bucket (:func:`assign_buckets`
        of it is the routed bucket); with soft routing every term is clipped before
        weighting.
    target_transform : None, "log1p" or (func, inverse_func), default=None
        Transform applied to ``y`` inside each bucket's regressor: it is fit on
        ``func(y)`` and its predictions are mapped back with ``inverse_func``.
        With ``None`` the regressors fit ``y`` itself and a negative prediction of
        theirs is 0 likes (``y`` is never negative; with soft routing, each bucket's
        prediction is taken at 0 before the weighted average, as with ``"log1p"``).
        ``"log1p"`` is ``numpy.log1p`` with ``numpy.expm1`` clipped at 0 as the inverse:
        ``y`` is never negative here, so a regressor's slightly negative log-space
        prediction means 0 likes, not a negative count (pass ``(numpy.log1p,
        numpy.expm1)`` for the unclipped pair). The classifier always sees the raw-target
        buckets. Pass picklable functions if the model is to be saved.
    min_bucket_size : int, default=5
        A bucket whose training rows weigh less than this in total (the row count when
        ``sample_weight`` is None, so integer weights act like repeated rows) gets no
        regressor of its own. It uses the regressor of the nearest bucket (by index;
        ties go to the lower bucket) that has enough rows; if no bucket has enough, every
        bucket uses a constant, the weighted median of the (transformed) target. This
        holds in both routings; :attr:`bucket_fallback_` records it. A bucket with enough
        rows but too little weight (weights rescaled to sum to 1, say) also warns.
    random_state : int, RandomState instance or None, default=None
        Seed for the default sub-estimators built when ``classifier`` or
        ``regressors`` is None (estimators you pass keep their own seeds); with ``None`` the
        default XGBoost and CatBoost regressors take their libraries' own default seed, 0,
        as :func:`seed_regressors` does.
    classifier_columns, regressor_columns : column spec, default=None
        The columns of ``X`` the classifier / every regressor sees, as in
        :class:`~sklearn.compose.ColumnTransformer`: None (all of ``X``), a name or int
        (one 1-D column, e.g. for a text vectorizer), a list of names or ints, a slice,
        a boolean mask, or a callable such as
        :func:`~sklearn.compose.make_column_selector` that returns one of those from
        ``X`` (asked once, on the training ``X``; predict reads the columns it chose).
        E.g. ``classifier_columns="prompt"`` with a text classifier and
        ``regressor_columns=make_column_selector(dtype_include="number")``. A spec
        that selects nothing or a missing column raises ValueError.
    progress : bool or None, default=None
        A tqdm progress bar over ``fit``'s steps (the classifier, then each bucket's
        regressor); ``None`` shows it on a terminal or in a Jupyter notebook only (not in a
        worker process, such as ``GridSearchCV(n_jobs=2)``'s).

    Attributes
    ----------
    classifier_ : estimator
        The fitted clone of ``classifier``. When every training row (with a positive
        weight) falls in one bucket there is nothing to classify: it is then a fitted
        ``DummyClassifier(strategy="prior")`` that gives that bucket probability 1.
    regressors_ : dict of int to estimator
        Fitted regressor for every bucket ``0 .. n_buckets_ - 1``. A fallback bucket
        holds the very object of the bucket it borrows from (or a fitted
        ``DummyRegressor``). Each predicts in the space of ``target_transform`` (log1p of
        the likes with ``"log1p"``) from the ``regressor_columns`` of ``X``:
        :meth:`predict_per_bucket` gives their predictions in likes. Their
        ``feature_importances_`` are each on its own library's scale (XGBoost's sum to 1,
        CatBoost's to 100): rescale them before comparing or averaging buckets.
    bucket_counts_ : ndarray of shape (n_buckets_,), dtype int64
        Training rows with a positive weight per bucket.
    bucket_fallback_ : dict of int to str
        For every bucket without its own regressor, what it uses instead and why: too few
        rows (``min_bucket_size``), or a bucket its regressor refused whose targets are all
        equal or whose rows are all the same (CatBoost refuses both), which predicts the
        weighted mean of its (transformed) targets, as any regressor would learn there. A
        regressor that fails on any other bucket raises, as does one whose failure is no
        refusal of the rows (a ``MemoryError``, or an ``AttributeError``, ``NameError``,
        ``LookupError`` or ``TypeError``: a bug in its code) on any bucket.
    bins_ : ndarray of shape (n_buckets_ - 1,)
        The validated bucket edges.
    n_buckets_ : int
        Number of buckets, ``len(bins) + 1``.
    n_features_in_ : int
        Number of features seen in ``fit`` (not set for 1-D text input).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``; only when ``X`` has string column names.

    See Also
    --------
    assign_buckets : The bucket of every target.
    sklearn.compose.TransformedTargetRegressor : One regressor on a transformed target.

    Notes
    -----
    Rows with ``sample_weight == 0`` are removed before anything is fit, so they have
    exactly the effect of absent rows; the other weights go to the classifier and to
    every bucket's regressor (to a Pipeline's final step). ``score`` is the R² of
    :meth:`predict`. Targets must be finite and non-negative (the estimator carries the
    scikit-learn tag ``target_tags.positive_only``); a bad target raises a ValueError
    naming its row, as does a ``target_transform`` that makes a target non-finite. Targets
    (after ``target_transform``) and weights must also lie within float32's range (3.4e38),
    as must a bucket's sum of weight times target: XGBoost and CatBoost, the default
    regressors, train in 32-bit floats, where larger values are infinite.

    ``routing``, ``soft_average`` and ``clip`` act at predict time, so a fitted model can be
    switched between them with ``set_params``. ``target_transform``, ``classifier_columns``
    and ``regressor_columns`` decide what the fitted parts learnt: ``predict`` keeps using the
    values they had at ``fit`` until the next ``fit``.

    A failed ``fit`` leaves the estimator unfitted. When a bucket's regressor fails (an
    error, or Ctrl-C), or a warning is made an error (``-W error``), after the classifier was
    fitted (a fine-tuned text router: hours), the error keeps that fitted classifier as its
    attribute ``classifier_`` and says which bucket failed in a note;
    ``set_params(classifier=FrozenEstimator(error.classifier_))``
    (:class:`sklearn.frozen.FrozenEstimator`) then fits again on the same rows and bins
    without refitting it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skbucket.bucketed import BucketedRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 8, size=(300, 2))
    >>> y = np.round(np.expm1(X[:, 0]))  # likes from 0 to about 3000
    >>> model = BucketedRegressor(DecisionTreeClassifier(max_depth=4, random_state=0), Ridge())
    >>> model.fit(X, y)
    BucketedRegressor(classifier=DecisionTreeClassifier(max_depth=4, random_state=0),
                      regressors=Ridge())
    >>> model.bucket_counts_  # rows per bucket: 0-10, 11-100, ..., >2500 likes
    array([94, 80, 47, 17, 23, 32,  7])
    >>> y[:3]
    array([ 80., 123.,  29.])
    >>> model.predict_bucket(X[:3])
    array([1, 2, 1])
    >>> model.predict_bucket_proba(X[:3]).shape
    (3, 7)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "classifier": [HasMethods(["fit", "predict"]), None],
        "regressors": [HasMethods(["fit", "predict"]), list, tuple, dict, None],
        "bins": ["array-like"],
        "routing": [StrOptions({"hard", "soft"})],
        "soft_average": [StrOptions({"raw", "transformed"})],
        "clip": ["boolean"],
        "target_transform": [None, StrOptions(set(_TRANSFORMS)), tuple, list],
        "min_bucket_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "progress": ["boolean", None],
        "random_state": ["random_state"],
        "classifier_columns": [None, "array-like", str, numbers.Integral, slice, callable],
        "regressor_columns": [None, "array-like", str, numbers.Integral, slice, callable],
    }

    def __init__(
        self,
        classifier=None,
        regressors=None,
        bins=DEFAULT_BINS,
        routing="hard",
        *,
        soft_average="raw",
        clip=False,
        target_transform=None,
        min_bucket_size=5,
        random_state=None,
        classifier_columns=None,
        regressor_columns=None,
        progress=None,
    ):
        self.classifier = classifier
        self.regressors = regressors
        self.bins = bins
        self.routing = routing
        self.soft_average = soft_average
        self.clip = clip
        self.target_transform = target_transform
        self.min_bucket_size = min_bucket_size
        self.random_state = random_state
        self.classifier_columns = classifier_columns
        self.regressor_columns = regressor_columns
        self.progress = progress

    # ------------------------------------------------------------------ params
    def _regressor_items(self):
        """``[(name, key, estimator)]`` of list/dict-held regressors."""
        regs = getattr(self, "regressors", None)
        if isinstance(regs, dict):
            return [(str(k), k, v) for k, v in regs.items()]
        if isinstance(regs, list | tuple):
            return [(str(i), i, v) for i, v in enumerate(regs)]
        return []

    def get_params(self, deep=True):
        """Get parameters of this estimator and, with ``deep``, of its sub-estimators.

        Besides the usual ``classifier__<param>`` (and ``regressors__<param>`` for a
        single regressor), list- or dict-held regressors appear as
        ``regressors__<bucket>`` and ``regressors__<bucket>__<param>``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the contained estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = super().get_params(deep=deep)
        if not deep:
            return out
        for name, _, est in self._regressor_items():
            out[f"regressors__{name}"] = est
            if hasattr(est, "get_params") and not isinstance(est, type):
                for key, value in est.get_params(deep=True).items():
                    out[f"regressors__{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters, including ``regressors__<bucket>[__<param>]``.

        ``regressors`` itself is set first, then whole entries
        (``regressors__<bucket>``, in a new list/dict), then entry parameters (in place,
        as :class:`~sklearn.pipeline.Pipeline` does), then everything else. For a dict
        ``regressors``, ``regressors__<bucket>`` adds a bucket it leaves out (to the seed
        default until then); ``fit`` refuses a bucket beyond ``bins``.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : BucketedRegressor
            This estimator.

        Raises
        ------
        ValueError
            For ``regressors__<name>[__<param>]`` naming no entry of a list ``regressors``
            (set the whole list instead), a name that is no bucket number for a dict, the
            parameter of a bucket a dict leaves out (give it a regressor first), or a
            parameter of ``classifier`` or ``regressors`` while it is None.
        """
        if not params:
            return self
        if "regressors" in params:
            self.regressors = params.pop("regressors")
        if isinstance(self.regressors, dict | list | tuple):  # (an empty one too)
            items = {name: key for name, key, _ in self._regressor_items()}
            replace: dict[Any, Any] = {}  # {regressors' key (bucket or position): estimator}
            nested: defaultdict[str, dict[str, Any]] = defaultdict(dict)  # {entry: its params}
            rest: dict[str, Any] = {}
            for full, value in params.items():
                head, _, tail = full.partition("__")
                if head != "regressors" or not tail:
                    rest[full] = value
                    continue
                name, _, sub = tail.partition("__")
                if sub:
                    nested[name][sub] = value
                elif name in items:
                    replace[items[name]] = value
                else:  # a bucket a dict leaves to the seed default gets an entry of its own
                    replace[self._new_entry_key(full, name, items)] = value
            added = {str(key) for key in replace}
            for name, sub_params in nested.items():  # refused before anything is changed
                if name not in items and name not in added:
                    self._new_entry_key(
                        f"regressors__{name}__{next(iter(sub_params))}", name, items
                    )
            if replace:
                regs = self.regressors
                if isinstance(regs, dict):
                    regs = {**regs, **replace}
                else:
                    new = list(regs)
                    for key, value in replace.items():
                        new[key] = value
                    regs = type(regs)(new)
                self.regressors = regs
            items = {name: key for name, key, _ in self._regressor_items()}
            for name, sub_params in nested.items():
                self.regressors[items[name]].set_params(**sub_params)
            params = rest
        for full in params:
            head, _, tail = full.partition("__")
            unset = head not in params and getattr(self, head, None) is None  # set first
            if tail and head in ("classifier", "regressors") and unset:
                raise ValueError(
                    f"Invalid parameter {full!r} for {type(self).__name__}: {head} is None "
                    "(its defaults are made in fit), so it has no parameters to set; pass "
                    f"{head} itself first, e.g. set_params({head}=...)."
                )
        if params:
            super().set_params(**params)
        return self

    def _new_entry_key(self, full, name, items):
        """The key under which ``set_params``'s ``full`` (``regressors__<name>``) adds an entry
        to a dict ``regressors``: the bucket ``int(name)`` (fit refuses one beyond the bins).
        Raises naming ``name`` and saying what to do for a list (whose positions are its
        buckets, all there), for a name that is no bucket number, and for an entry's parameter
        (``full`` ending in ``__<param>``: the seed default that bucket gets is made in fit)."""
        regs = self.regressors
        start = f"Invalid parameter {full!r} for {type(self).__name__}: regressors has no entry"
        if not isinstance(regs, dict):
            held = f"positions 0 .. {len(regs) - 1}" if regs else "none"
            raise ValueError(
                f"{start} {name!r}: it is a {type(regs).__name__} of one regressor per bucket "
                f"({held}). To give other buckets regressors, set the whole {type(regs).__name__}"
                " with the bins, set_params(bins=..., regressors=[...]), or give a dict "
                "{bucket: estimator}, whose left-out buckets get the seed default."
            )
        entries = sorted(items, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))
        if not (name.isascii() and name.isdigit() and str(int(name)) == name):
            raise ValueError(
                f"{start} {name!r} (its entries are {entries}), and {name!r} is no bucket "
                "number: a dict of regressors is keyed by bucket, addressed as "
                "regressors__<bucket>, e.g. regressors__3."
            )
        if full.count("__") > 1:
            raise ValueError(
                f"{start} {name!r} (its entries are {entries}): bucket {name} gets the seed "
                "default, which fit makes, so it has no parameters to set yet. Give the bucket "
                f"a regressor of its own first, before or in the same call: "
                f"set_params(regressors__{name}=...), then {full}."
            )
        return int(name)

    def set_output(self, *, transform=None):
        """Forward ``set_output`` to the given sub-estimators that support it.

        ``BucketedRegressor`` itself outputs predictions, not a transformed ``X``; this
        only configures transformers inside e.g. Pipeline sub-estimators (in place), the
        given ones and, once fitted, their fitted copies (as a fitted Pipeline does).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Output container of the sub-estimators' ``transform``; None leaves it as is.

        Returns
        -------
        self : BucketedRegressor
            This estimator.
        """
        if transform is None:
            return self
        subs = [self.classifier, self.regressors] + [e for _, _, e in self._regressor_items()]
        subs += [getattr(self, "classifier_", None), *getattr(self, "regressors_", {}).values()]
        _forward_set_output(subs, transform)
        return self

    @staticmethod
    def _bucket_label(k, edges):
        """``"bucket 2: (100, 300]"``: bucket ``k`` of the buckets cut at ``edges``, each edge
        written as the report and the displays write it (``1234567``, not ``1.23457e+06``)."""
        from .metrics import _edge_text as text

        if k == 0:
            span = f"<= {text(edges[0])}"
        elif k == edges.size:
            span = f"> {text(edges[-1])}"
        else:
            span = f"({text(edges[k - 1])}, {text(edges[k])}]"
        return f"bucket {k}: {span}"

    def _sk_visual_block_(self):
        """HTML diagram: the classifier, then one regressor per bucket."""
        try:
            from sklearn.utils._repr_html.estimator import _VisualBlock
        except ImportError:  # scikit-learn < 1.7
            from sklearn.utils._estimator_html_repr import _VisualBlock

        fitted = hasattr(self, "regressors_")
        clf = self.classifier_ if fitted else self.classifier
        clf = "HistGradientBoostingClassifier (default)" if clf is None else clf
        try:
            edges = self.bins_ if fitted else _check_bins(self.bins)
        except ValueError:
            edges = None
        keyed = None  # [(bucket, regressor)] when each regressor belongs to one bucket
        if fitted:
            keyed = list(self.regressors_.items())
        elif _is_estimator(self.regressors):
            regs = [self.regressors]
        elif self._regressor_items():
            keyed = [(k, e) for _, k, e in self._regressor_items()]
            if all(isinstance(k, numbers.Integral) for k, _ in keyed):
                keyed.sort(key=lambda item: item[0])  # a dict lists its buckets in any order
        else:
            regs = ["seed defaults (XGBoost / CatBoost per bucket)"]
        # Each name starts with the path of the parameters its estimator shows, then ": "
        # (scikit-learn's convention: the diagram's copy button copies what comes before the
        # colon + "__" + the parameter's name, which set_params and a grid must take). The
        # fitted copies of a single regressor take the parameters of ``regressors``, those of
        # a list or dict ``regressors__<key>``; the fitted defaults of ``classifier=None`` and
        # ``regressors=None`` have no path (their names are still read as one).
        if keyed is not None:
            regs = [e for _, e in keyed]
            held = {key for _, key, _ in self._regressor_items()}  # a bucket missing: default
            fallback = getattr(self, "bucket_fallback_", {}) if fitted else {}
            names = []
            for k, est in keyed:
                # (the ignore: typeshed's numbers.Integral, as the ABC, has no <=)
                known = (
                    edges is not None and isinstance(k, numbers.Integral) and 0 <= k <= edges.size  # type: ignore[operator]
                )
                label = self._bucket_label(k, edges) if known else f"regressor {k!r}"
                # the bucket whose regressor this is: a fallback bucket borrows another's
                # (a constant of its own has none)
                owner = k
                if k in fallback:
                    owner = next((j for j, e in keyed if e is est and j not in fallback), None)
                    if owner is not None:
                        label += f", with bucket {owner}'s regressor"
                if owner is not None and _is_estimator(self.regressors):
                    names.append(f"regressors: {label}")
                elif owner is not None and owner in held:
                    names.append(f"regressors__{owner}: {label}")
                else:
                    names.append(label)
        elif len(regs) == 1 and _is_estimator(regs[0]):
            names = ["regressors: one clone per bucket"]
        else:
            names = ["regressors"]
        # the default classifier's fitted copy has no parameter path: its name has no colon
        # (scikit-learn would copy "classifier__" + a name, which set_params refuses)
        route = f"{self.routing} routing" + (
            " (the default classifier)" if self.classifier is None else ""
        )
        routing = _VisualBlock(
            "parallel",
            [_drawable(clf)],
            names=[route if self.classifier is None else f"classifier: {route}"],
            dash_wrapped=False,
        )
        regs = [_drawable(e) for e in regs]
        buckets = _VisualBlock("parallel", regs, names=names, dash_wrapped=False)
        return _VisualBlock("serial", (routing, buckets), dash_wrapped=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True  # likes are counts
        subs = [est for _, est in self._given_estimators()]
        default_nan = self.classifier is None or self.regressors is None
        tags.input_tags.allow_nan = all(
            _sub_tag(e, lambda t: t.input_tags.allow_nan, False) for e in subs
        ) and (default_nan or bool(subs))
        # the defaults: HistGradientBoostingClassifier takes no sparse X, the seed's XGBoost and
        # CatBoost regressors do (a bucket left out of a dict or list gets one of them); an
        # estimator without scikit-learn's tags is let read it (as before these tags counted)
        tags.input_tags.sparse = self.classifier is not None and all(
            _sub_tag(e, lambda t: t.input_tags.sparse, True) for e in subs
        )
        return tags

    # ------------------------------------------------------------------ validation
    def _resolved_classifier(self, *, seeded=True):
        """``classifier``, or the default made for ``classifier=None`` (validated; unseeded
        with ``seeded=False``, see :meth:`_check_regressor_spec`)."""
        if self.classifier is None:
            return _default_classifier(_seed_from(self.random_state) if seeded else None)
        if not _is_estimator(self.classifier):
            raise ValueError(
                f"classifier must be an estimator instance with fit and predict; "
                f"got {_got(self.classifier)}"
            )
        _check_classifier(
            "classifier",
            self.classifier,
            " Pass a classifier (e.g. XGBClassifier, not XGBRegressor); the regressors go in "
            "regressors.",
        )
        return self.classifier

    @staticmethod
    def _children(classifier, spec):
        """``{name: sub-estimator}`` as metadata routing and the error messages name them."""
        return {"classifier": classifier, **{f"regressors[{k}]": est for k, est in spec.items()}}

    def get_metadata_routing(self):
        """How ``fit`` routes ``sample_weight`` while scikit-learn's metadata routing is on.

        ``BucketedRegressor`` uses the weights itself (zero-weight rows dropped, bucket
        weight against ``min_bucket_size``) and passes them to the ``fit`` of the classifier
        and of each bucket's regressor that requests them (``set_fit_request``; the default
        sub-estimators made for ``None`` request them; an estimator outside scikit-learn's
        routing, such as CatBoost, gets them when its ``fit`` takes them). Requires valid
        ``bins``: the children are the estimators ``fit`` would use. A list or dict of
        ``regressors`` that does not match ``bins`` (a search's template, whose candidates
        set both) gives its entries as they are; ``fit`` refuses the mismatch.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        try:
            spec = self._check_regressor_spec(_check_bins(self.bins).size + 1, seeded=False)
        except ValueError:
            # GridSearchCV(model, {"bins": [(5, 30), ...]}) asks its template, whose default
            # bins give 7 buckets for 3 regressors: every candidate is valid
            if isinstance(self.regressors, list | tuple):
                spec = dict(enumerate(self.regressors))
            elif isinstance(self.regressors, dict):
                spec = dict(self.regressors)
            else:
                raise
        return _fit_router(self, self._children(self._resolved_classifier(seeded=False), spec))

    def _check_regressor_spec(self, n_buckets, *, seeded=True):
        """``{bucket: unfitted template}`` from ``regressors`` (validated).

        ``seeded=False`` builds the default regressors without a seed, for a check or for the
        routing request: drawing one advances a ``RandomState`` given as ``random_state``,
        which only ``fit`` may do (a check before fit changed what the fit learnt).
        """
        regs = self.regressors
        seed = _seed_from(self.random_state) if seeded else None
        if regs is None:
            return _default_regressors(n_buckets, seed)
        if _is_estimator(regs):
            return {k: regs for k in range(n_buckets)}
        if isinstance(regs, type):  # a forgotten (): the class has fit and predict
            raise ValueError(
                "regressors must be an estimator instance, a list or dict of them, or None; "
                f"got {_got(regs)}"
            )
        if isinstance(regs, list | tuple):
            if len(regs) != n_buckets:
                # the seed's list with this estimator's seed: without it, the advice
                # followed dropped make_seed_pipeline(random_state=7)'s seed for 0
                state = self.random_state
                seeded = (
                    f", random_state={int(state)}"
                    if isinstance(state, numbers.Integral)
                    else ", random_state=<your seed>" * (state is not None)
                )
                raise ValueError(
                    f"regressors has {len(regs)} entries but bins={tuple(self.bins)!r} gives "
                    f"{n_buckets} buckets; give one regressor per bucket (the seed's: "
                    f"regressors=seed_regressors({n_buckets}{seeded}), from skbucket, or None "
                    "for its defaults)"
                )
            spec = dict(enumerate(regs))
        else:  # dict, enforced by the parameter constraints
            unknown = [
                k
                for k in regs
                if isinstance(k, bool)
                or not isinstance(k, numbers.Integral)
                or not 0 <= k < n_buckets  # type: ignore[operator]  # numbers.Integral: no <=
            ]
            if unknown:
                raise ValueError(
                    f"regressors has unknown bucket key(s) {unknown!r}; with "
                    f"bins={tuple(self.bins)!r} the buckets are the ints 0..{n_buckets - 1}"
                )
            spec = {int(k): v for k, v in regs.items()}
            missing = [k for k in range(n_buckets) if k not in spec]
            if missing:
                defaults = _default_regressors(n_buckets, seed)
                spec.update({k: defaults[k] for k in missing})
        for k, est in spec.items():
            if not _is_estimator(est):
                raise ValueError(
                    f"regressors[{k}] must be an estimator instance with fit and predict; "
                    f"got {_got(est)}"
                )
        return dict(sorted(spec.items()))

    def _target_funcs(self):
        tt = self.target_transform
        if tt is None:
            return None
        if isinstance(tt, str):
            return _TRANSFORMS[tt]
        if len(tt) != 2 or not all(callable(f) for f in tt):
            raise ValueError(
                "target_transform must be None, 'log1p' or a pair (func, inverse_func) of "
                f"callables; got {tt!r}"
            )
        return tuple(tt)

    def _validate_X(self, X, *, reset):
        """Check ``X``; DataFrames and 1-D text pass through unchanged (polars and pyarrow:
        as pandas)."""
        X = as_pandas_series(as_pandas(X))
        if reset:
            for attr in ("n_features_in_", "feature_names_in_"):
                if hasattr(self, attr):
                    delattr(self, attr)
        if X is None:
            raise ValueError(f"X is None; {type(self).__name__} needs samples to work on.")
        if _is_dataframe(X) or _is_text_1d(X):
            if isinstance(X, list | tuple):
                X = np.asarray(X, dtype=object)
            if _is_dataframe(X) and not X.columns.is_unique:  # narwhals' DuplicateError
                twice = list(dict.fromkeys(X.columns[X.columns.duplicated()]))
                raise ValueError(
                    f"X has duplicate column names {twice!r}; column names must be unique."
                )
            check_min_size(self, X.shape)
            validate_data(self, X, reset=reset, skip_check_array=True)
            if (
                not reset
                and _is_float_frame(X)
                and not hasattr(self, "feature_names_in_")
                and hasattr(self, "_fit_on_float_frame_")  # fitted before 0.8.4: as given
            ):
                # fitted on an array: validate_data has warned that X has names, once; the
                # sub-estimators (fitted on arrays too) get the values, not the warning again
                # (float columns only: their values are one exact array; ints would reach
                # XGBoost's float32 through float64, rounded twice)
                X = X.to_numpy()
            if self._reads_infinity_as_a_number(fitted=not reset):
                _refuse_infinity(X)
            return X
        _refuse_1d(X, texts=True)
        if issparse(X) and not self.__sklearn_tags__().input_tags.sparse:
            dense_only = self._dense_only()
            raise TypeError(
                f"Sparse data was passed for X, but {dense_only} takes dense data only (its "
                "sparse input tag is False): pass X.toarray(), or a classifier and regressors "
                "that take sparse input."
            )
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=None,
            ensure_all_finite=False,
        )
        if (
            not reset
            and getattr(self, "_fit_on_float_frame_", False)  # fitted before 0.8.4: as given
            and hasattr(self, "feature_names_in_")
            and isinstance(X, np.ndarray)
            and X.dtype.kind == "f"
        ):
            # fitted on a DataFrame of float columns: validate_data has warned that X lacks
            # its names, once; the sub-estimators get the same values, as a frame of float
            # columns under the names it checked the width against, as they were fitted, not
            # the warning again (one per estimator class)
            import pandas as pd

            X = pd.DataFrame(X, columns=self.feature_names_in_, copy=False)
        if issparse(X) and not isinstance(X, spmatrix):
            # a scipy sparse array (csr_array) as the matrix of its format: CatBoost reads
            # only the latter (it failed with "Invalid data type")
            X = csr_matrix(X) if X.format == "csr" else csc_matrix(X)
        if self._reads_infinity_as_a_number(fitted=not reset):
            _refuse_infinity(X)
        return X

    def _given_estimators(self):
        """``[(name, estimator)]`` of the classifier and regressors given (not the defaults
        made for ``None`` or for buckets a dict or list leaves out), as an error names them."""
        given = [] if self.classifier is None else [("classifier", self.classifier)]
        if _is_estimator(self.regressors):
            return [*given, ("regressors", self.regressors)]
        return [*given, *((f"regressors[{name}]", est) for name, _, est in self._regressor_items())]

    def _dense_only(self) -> str:
        """The first sub-estimator whose ``sparse`` input tag is False, as an error names it."""
        if self.classifier is None:
            return "the default classifier (HistGradientBoostingClassifier)"
        for name, est in self._given_estimators():
            if not _sub_tag(est, lambda t: t.input_tags.sparse, True):
                return f"{name} {type(est).__name__}"
        return "a sub-estimator"

    def _reads_infinity_as_a_number(self, *, fitted: bool) -> bool:
        """Whether an XGBoost model reads ``X`` (the seed's default regressors, or one given,
        alone or inside a Pipeline, a TransformedTargetRegressor...): it predicts a number for
        an infinite feature without a word (and fails with a C++ trace when fitted on one), so
        ``X`` is checked for them here. Without XGBoost the sub-estimators read ``X`` their own
        way (scikit-learn's refuse infinities; a Pipeline may cap them first)."""
        if fitted:
            used = [getattr(self, "classifier_", None), *getattr(self, "regressors_", {}).values()]
        else:
            if self.regressors is None:
                return True  # the seed's defaults: XGBoost in buckets 0, 1, 5 and 6
            used = [est for _, est in self._given_estimators()]
            if not _is_estimator(self.regressors):
                items = self._regressor_items()
                try:
                    n_buckets = len(_check_bins(self.bins)) + 1
                except ValueError:
                    n_buckets = None
                if n_buckets is None or len({key for _, key, _ in items}) < n_buckets:
                    return True  # a bucket left to the seed's default regressor
        return any(_holds_xgboost(est) for est in used)

    # ------------------------------------------------------------------ fit
    @refit
    @stopped_whole
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the bucket classifier and one regressor per bucket.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features) \
                or 1-D sequence of str
            Training input, passed to the sub-estimators as given; a polars DataFrame or
            Series, or a pyarrow Table or array, is passed as its pandas conversion. Where
            an XGBoost model reads ``X`` (the seed's default regressors, or one given, alone
            or inside a Pipeline or a TransformedTargetRegressor), an infinite number is
            refused, naming its row and column: XGBoost predicts a number for it without a
            word. Other sub-estimators read ``X`` their own way, and NaN (a missing value)
            is always left to them. A sparse matrix (CSR/CSC; a scipy sparse array
            is passed as the matrix of its format) is taken only when the classifier and
            every bucket's regressor take one (the ``sparse`` input tag; the default
            ``HistGradientBoostingClassifier`` does not): note that XGBoost, the seed's
            regressor for buckets 0, 1, 5 and 6, reads the entries a sparse matrix does not
            store as missing values, not as 0, so it learns and predicts otherwise than on
            the same matrix made dense (``X.toarray()``).
        y : array-like of shape (n_samples,)
            Non-negative, finite targets (likes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, passed to the classifier and to each bucket's
            regressor (whose ``fit`` takes them by name or through ``**kwargs``; a Pipeline
            on its final step). With scikit-learn's metadata routing enabled, passed to
            those that request them instead (:meth:`get_metadata_routing`). Zero-weight
            rows are dropped first, for every part: a sub-estimator that does not request
            the weights is fitted unweighted on the other rows (same as absent rows here;
            steps before this one in a Pipeline, such as the post features' account
            encodings, still see them). Paired with the rows of ``X`` by position, as
            scikit-learn does: a pandas Series' index is not aligned with ``X``'s (so is
            ``y``'s). Booleans are refused (a mask is no weights: ``mask.astype(float)``).
        **fit_params : dict
            Only with metadata routing enabled: metadata a sub-estimator requests under
            another name, e.g. ``router_weight`` for a classifier given
            ``set_fit_request(sample_weight="router_weight")`` (weights of its own); cut to
            the rows each sub-estimator is fitted on.

        Returns
        -------
        self : BucketedRegressor
            The fitted estimator.

        Raises
        ------
        BaseException
            Whatever a bucket's regressor raised in its fit, with a note naming the bucket,
            or a warning made an error; when the classifier was fitted before, the error
            keeps it as its attribute
            ``classifier_`` (see Notes in the class docstring) while this estimator is left
            unfitted.
        """
        edges = _check_bins(self.bins)
        n_buckets = edges.size + 1
        funcs = self._target_funcs()
        spec = self._check_regressor_spec(n_buckets)
        classifier = self._resolved_classifier()
        # before the router's fit
        _check_class_weights(classifier, n_buckets, type(self).__name__)
        routed = _routed_fit_params(
            self, sample_weight, self._children(classifier, spec), fit_params
        )
        if routed is not None:  # a part routing cannot weigh: said before the router's fit
            for role, est in self._children(classifier, spec).items():
                _fit_kwargs(role, est, sample_weight, routed[role])

        X = self._validate_X(X, reset=True)
        # whether the sub-estimators learnt X as a frame of float columns only: then, and
        # only then, a float array of its width given to predict is that frame to them
        # (a category column given as codes is not: XGBoost refuses it as a frame)
        self._fit_on_float_frame_ = _is_float_frame(X)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        n_rows = _num_samples(X)
        try:
            n_y = _num_samples(y)
        except TypeError as exc:
            raise ValueError(f"y must be a 1-D array-like of targets; got {y!r}") from exc
        _check_one_target_per_row(n_rows, n_y)
        y = _check_targets(y)
        buckets = np.searchsorted(edges, y, side="left").astype(np.int64)

        weighted = sample_weight is not None
        rtol = _weight_rtol(sample_weight)
        if weighted:
            # all-zero weights get the message below (scikit-learn < 1.7 has no such option)
            options = (
                {"allow_all_zero_weights": True}
                if "allow_all_zero_weights" in inspect.signature(_check_sample_weight).parameters
                else {}
            )
            # float64 whatever they came as: float32 sums (a weighted median's halves, a
            # bucket's mass against min_bucket_size) are off by more than the tolerances below
            sample_weight = _check_weights(sample_weight, y, dtype=np.float64, **options)
            keep = sample_weight > 0
            if not keep.any():
                raise ValueError("sample_weight is zero for every row; nothing to fit.")
            _check_float32_range(sample_weight, "sample_weight", _SCALE_WEIGHTS_DOWN)
            if not keep.all():
                idx = np.flatnonzero(keep)
                X = _safe_indexing(X, idx)
                y, buckets, sample_weight = y[idx], buckets[idx], sample_weight[idx]
                if routed is not None:
                    routed = {k: _routed_rows(v, idx, n_rows) for k, v in routed.items()}

        clf_spec = _fixed_columns(X, self.classifier_columns)
        reg_spec = _fixed_columns(X, self.regressor_columns)
        X_clf = _select_columns(X, clf_spec, "classifier_columns")
        X_reg = _select_columns(X, reg_spec, "regressor_columns")
        kept = idx if weighted and not keep.all() else None  # rows of the user's X, by position
        clf_cols = _column_origin(X, clf_spec)
        reg_cols = _column_origin(X, reg_spec)

        # the targets the regressors get, checked before the router's (maybe long) fit
        y_fit = y if funcs is None else self._transformed_targets(funcs, y)
        _check_float32_range(
            y_fit,
            "y" if funcs is None else f"y after target_transform={self.target_transform!r}",
            "likes that large are not counts; a target_transform such as 'log1p' brings "
            "them in range."
            if funcs is None
            else "use a transform that keeps them in range.",
            rows=kept,
        )
        if weighted:  # CatBoost's weighted sums of a bucket's targets ("Invalid bias[0] : inf")
            sums = np.bincount(buckets, weights=sample_weight * np.abs(y_fit), minlength=n_buckets)
            k = int(np.argmax(sums))
            if sums[k] > _FLOAT32_MAX:
                raise ValueError(
                    f"sample_weight times {'y' if funcs is None else 'the transformed y'} "
                    f"sums to {sums[k]:.4g} in bucket {k}, beyond float32's range "
                    f"({_FLOAT32_MAX:.4g}: XGBoost and CatBoost train in 32-bit floats); "
                    f"{_SCALE_WEIGHTS_DOWN}"
                )

        # a bar over the router and the buckets (CatBoost/XGBoost on 15,000 posts: minutes)
        with _fit_bar(self, n_buckets + 1) as bar:
            classifier_ = self._fit_classifier(
                classifier, X_clf, buckets, y, edges, sample_weight, rtol, routed, (kept, clf_cols)
            )
            bar.update(1)
            try:
                regressors, fallback, own, counts, mass = self._fit_regressors(
                    spec, X_reg, y_fit, buckets, sample_weight, rtol, routed, (kept, reg_cols), bar
                )
            except BaseException as exc:  # Ctrl-C too: the router's fit may have taken hours
                self._keep_classifier_on(exc, classifier_)
                raise
        try:  # a warning made an error (-W error, a test's filter) ends the fit here too
            self._warn_light_buckets(own, fallback, counts, mass, weighted=weighted)
        except BaseException as exc:
            self._keep_classifier_on(exc, classifier_)
            raise
        # assign the fitted state only once everything has been fit
        self.classifier_ = classifier_
        self.regressors_ = dict(sorted(regressors.items()))
        self.bucket_counts_ = counts
        self.bucket_fallback_ = fallback
        self.bins_ = edges
        self.n_buckets_ = n_buckets
        # what the fitted parts were fit on, used by predict whatever set_params does later
        self._target_funcs_ = funcs
        self._classifier_columns_ = clf_spec
        self._regressor_columns_ = reg_spec
        return self

    def _fit_classifier(
        self, classifier, X_clf, buckets, y, edges, sample_weight, rtol, routed, origin
    ):
        """Step 1 of :meth:`fit`: a clone of ``classifier`` fitted on the bucket labels (a
        ``DummyClassifier`` when every target falls in one bucket, with a warning that says
        which bins would route them). ``origin`` is ``(kept rows, columns)`` for messages."""
        n_buckets = edges.size + 1
        weighted = sample_weight is not None
        present = np.unique(buckets)
        if present.size == 1:
            from sklearn.dummy import DummyClassifier

            total = sample_weight.sum() if weighted else buckets.size
            # (a bucket too light for a regressor of its own: the warning below says it)
            if n_buckets > 1 and total >= self.min_bucket_size * (1 - rtol):
                from .metrics import _edge_text as text

                only = int(present[0])
                where = " and ".join(
                    ([f"above {text(edges[only - 1])}"] if only > 0 else [])
                    + ([f"up to {text(edges[only])}"] if only < n_buckets - 1 else [])
                )
                shown = ", ".join(text(e) for e in edges) + ("," if edges.size == 1 else "")
                # edges inside the targets' range, for a small account's likes (all 0-10)
                # as for targets on another scale: the quartiles, where they differ
                example = _quartile_bins(y)
                example = f", e.g. bins={example} (the targets' quartiles)" if example else ""
                warnings.warn(
                    f"{type(self).__name__}: every training target falls in bucket {only} "
                    f"(targets {where}; bins=({shown})), so there is nothing to route: the "
                    "model is that bucket's regressor alone (classifier_ is a "
                    "DummyClassifier). To route within them (a small account's likes, or "
                    f"targets on another scale than likes), give bins inside their "
                    f"range{example}.",
                    TooFewRowsWarning,
                    stacklevel=user_stacklevel(),
                )
            classifier_ = DummyClassifier(strategy="prior")
            classifier_.fit(X_clf, buckets)
        else:
            classifier_ = clone(classifier)
            _drop_absent_class_weights(classifier_, present)
            kw = _fit_kwargs(
                "classifier",
                classifier_,
                sample_weight if weighted else None,
                None if routed is None else routed["classifier"],
            )
            try:
                _call_sub(
                    "classifier",
                    classifier_,
                    "fit",
                    X_clf,
                    buckets,
                    origin=origin,
                    **kw,
                )
            except ValueError as exc:
                empty = np.setdiff1d(np.arange(present[-1] + 1), present)
                own = exc.__cause__ is None  # not _call_sub's rewording of another failure
                said = str(exc)
                lone = np.flatnonzero(np.bincount(buckets, minlength=n_buckets) == 1)
                root = exc  # scikit-learn's own words, under an AccountRouter's rewording
                while isinstance(root.__cause__, ValueError):
                    root = root.__cause__
                if lone.size and re.search(r"(?i)least populated class", str(root)):
                    # a HistGradientBoostingClassifier on more than 10,000 rows (the default
                    # router's early stopping) splits off its validation rows by bucket
                    shown = "; ".join(self._bucket_label(int(k), edges) for k in lone[:5])
                    raise ValueError(
                        f"classifier {_describe(classifier_)} could not be fitted: bucket(s) "
                        f"{lone.tolist()} ({shown}) have a single training row, too few for a "
                        "hold-out split by bucket (a HistGradientBoostingClassifier holds out "
                        "validation_fraction of the rows, split by bucket, for its early "
                        "stopping: early_stopping='auto' on more than 10,000 rows, or True). "
                        "Merge such a bucket into its neighbour (drop an edge of bins), or "
                        f"{self._no_hold_out(classifier_)}. (scikit-learn's words below number "
                        f"the buckets with rows 0 .. n-1, not as bins does) "
                        f"{type(root).__name__}: {root}"
                    ) from exc
                if not (empty.size and own and re.search(r"(?i)\b(classes|labels?)\b", said)):
                    raise  # the labels are 0 .. n-1, or it refused something else
                raise ValueError(
                    f"classifier {_describe(classifier_)} could not be fitted on the bucket "
                    f"labels {present.tolist()}: bucket(s) {empty.tolist()} have no training "
                    f"rows, and some classifiers (XGBClassifier) want the labels 0 .. n-1. "
                    f"Merge the empty buckets (bins=) or use a classifier that takes any labels "
                    f"(e.g. HistGradientBoostingClassifier). {type(exc).__name__}: {exc}"
                ) from exc
            _check_classes(
                "classifier",
                classifier_,
                ": BucketedRegressor needs a classifier whose classes_ are the buckets it "
                "predicts (with predict_proba for soft routing)",
            )
            _check_bucket_classes(classifier_, edges)
            try:  # a warning made an error (-W error) after the classifier's fit: keep it
                _warn_unsplittable(
                    classifier_, buckets.size, f"{type(self).__name__}: the classifier"
                )
            except BaseException as exc:
                self._keep_classifier_on(exc, classifier_)
                raise

        return classifier_

    def _keep_classifier_on(self, exc, classifier_) -> None:
        """Keep the fitted ``classifier_`` on ``exc``, a failure of the regressors' fit or a
        warning about the fitted classifier made an error, as its attribute ``classifier_``,
        with a note saying how to fit again without refitting it
        (``classifier=FrozenEstimator(error.classifier_)``): the estimator itself is left
        unfitted, as after any failed fit, but fine-tuning a text router may take hours."""
        _keep_on_error(
            exc,
            f"({type(self).__name__}: the classifier was fitted before this failure; it is "
            "kept on this error as its attribute classifier_ (the estimator is left unfitted). "
            "To fit again without refitting it, on the same rows and bins, pass "
            "classifier=FrozenEstimator(error.classifier_), from sklearn.frozen, e.g. "
            "model.set_params(classifier=FrozenEstimator(error.classifier_)).fit(X, y), or "
            "model__classifier=... for the seed pipeline.)",
            classifier_=classifier_,
        )

    def _no_hold_out(self, classifier_) -> str:
        """What to pass so that no HistGradientBoostingClassifier in the router holds out
        rows for early stopping (the end of a sentence): ``classifier`` with
        ``early_stopping=False``, or the ``set_params`` paths of those in ``classifier_`` (an
        AccountRouter's ``known``, a Pipeline's step) that early-stop."""
        if self.classifier is None:
            return (
                "pass a classifier that holds out no rows: "
                "classifier=HistGradientBoostingClassifier(early_stopping=False)"
            )
        paths = _early_stopping_paths("classifier", classifier_)
        if not paths:
            return "pass a classifier that holds out no rows"
        return (
            f"let the classifier hold out no rows: set_params({', '.join(paths[:3])}) on this "
            f"{type(self).__name__}"
        )

    def _fit_regressors(
        self, spec, X_reg, y_fit, buckets, sample_weight, rtol, routed, origin, bar
    ):
        """Step 2 of :meth:`fit`: one clone of ``spec[k]`` per bucket whose rows weigh
        ``min_bucket_size``, fitted on them; the others fall back to the nearest such bucket's
        regressor, or (none has the rows) to a constant. Returns ``(regressors, fallback,
        own, counts, mass)``: the buckets' regressors and fallback notes, the buckets fitted
        on their own rows, and each bucket's rows and their weight."""
        n_buckets = len(spec)
        weighted = sample_weight is not None
        weights = sample_weight if weighted else np.ones_like(y_fit)
        kept, reg_cols = origin
        counts = np.bincount(buckets, minlength=n_buckets).astype(np.int64)
        mass = np.bincount(buckets, weights=weights, minlength=n_buckets)
        # a float sum: 15 rows weighing 1/3 each are 4.999999999999999, which is 5 rows' weight
        own = [k for k in range(n_buckets) if mass[k] >= self.min_bucket_size * (1 - rtol)]
        regressors, fallback = {}, {}
        for k in own:
            rows = np.flatnonzero(buckets == k)
            est = clone(spec[k])
            sw = sample_weight[rows] if weighted else None
            name = f"regressors[{k}]"
            bucket_params = (
                None if routed is None else _routed_rows(routed[name], rows, buckets.size)
            )
            kw = _fit_kwargs(name, est, sw, bucket_params)
            X_k = _safe_indexing(X_reg, rows)
            origin = (rows if kept is None else kept[rows], reg_cols)
            try:
                _call_sub(name, est, "fit", X_k, y_fit[rows], origin=origin, **kw)
            except Exception as exc:
                degenerate = _degenerate_bucket(X_k, y_fit[rows])  # asked after a failure only
                refused = (exc, exc.__cause__)  # (_call_sub may have reworded it)
                if degenerate is None or any(
                    isinstance(e, (InvalidParameterError, *_NOT_THE_ROWS)) for e in refused
                ):
                    # a parameter refused whatever the rows, a bug in the regressor's
                    # code, the machine's memory: not the bucket's fault. Which bucket: a
                    # regressor may fail on one bucket's rows only (LassoCV(cv=20) on 14)
                    exc.add_note(
                        f"({type(self).__name__}: while fitting {name} "
                        f"{_describe(spec[k])} on the {rows.size} training row(s) of "
                        f"{self._bucket_label(k, _check_bins(self.bins))})"
                    )
                    raise
                # what any regressor learns there: CatBoost refuses to ("All train targets
                # are equal", "All features are either constant or ignored")
                est, value = _constant_regressor(y_fit[rows], sw)
                fallback[k] = (
                    f"bucket {k}'s {degenerate}, which {name} {_describe(spec[k])} refused "
                    f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}): it predicts "
                    f"a constant, the weighted mean of its (transformed) target = {value:g}"
                )
            regressors[k] = est
            bar.update(1)
        bar.update(n_buckets - len(own))  # those without a regressor of their own
        if own:
            own_arr = np.asarray(own)
            for k in range(n_buckets):
                if k in fallback:  # a constant of its own (above)
                    continue
                if k in regressors:
                    continue
                src = int(own_arr[np.argmin(np.abs(own_arr - k))])  # first minimum: lower
                regressors[k] = regressors[src]
                fallback[k] = (
                    f"bucket {k} has {counts[k]} training row(s) (weight "
                    f"{mass[k]:.10g}) < min_bucket_size={self.min_bucket_size}: uses the "
                    f"regressor of bucket {src}"
                )
        else:
            from sklearn.dummy import DummyRegressor

            value = _weighted_median(y_fit, weights, rtol)
            const = DummyRegressor(strategy="constant", constant=value)
            const.fit(np.zeros((y_fit.size, 1)), y_fit)
            unit = "training rows" if not weighted else "training rows (total sample_weight)"
            for k in range(n_buckets):
                regressors[k] = const
                fallback[k] = (
                    f"no bucket has min_bucket_size={self.min_bucket_size} {unit}: "
                    f"bucket {k} uses a constant, the weighted median of the (transformed) "
                    f"target = {value:g}"
                )
        return regressors, fallback, own, counts, mass

    def _warn_light_buckets(self, own, fallback, counts, mass, *, weighted):
        """Warn (``TooFewRowsWarning``) of buckets whose rows are enough but whose weight is
        not, or of a fit in which no bucket got a regressor of its own."""
        n_buckets = counts.size
        size = self.min_bucket_size
        # (a bucket of its own that predicts its constant is not light)
        light = [
            k for k in range(n_buckets) if k in fallback and k not in own and counts[k] >= size
        ]
        if weighted and light:  # rows enough, weight not: rescaled weights (e.g. summing to 1)?
            outcome = "regressor of their own" + (
                "" if own else " (none does: it predicts a constant)"
            )
            warnings.warn(
                f"{type(self).__name__}: bucket(s) {light} have at least min_bucket_size={size} "
                f"training rows but a total sample_weight below it (bucket {light[0]}: "
                f"{counts[light[0]]} rows weighing {mass[light[0]]:.10g}), so they get no "
                f"{outcome}. Weights count like repeated rows: scale them so that a typical row "
                "weighs about 1 (not so that they sum to 1), or lower min_bucket_size.",
                TooFewRowsWarning,  # as the case below: one category to filter in small folds
                stacklevel=user_stacklevel(),
            )
        elif not own:
            largest = int(np.argmax(mass))
            has = (
                f"no bucket's training rows weigh min_bucket_size={size} in all (the heaviest, "
                f"bucket {largest}, weighs {mass[largest]:.10g})"
                if weighted
                else f"no bucket has min_bucket_size={size} training rows (the largest, bucket "
                f"{largest}, has {counts[largest]})"
            )
            warnings.warn(
                f"{type(self).__name__}: {has}, so no bucket gets a "
                "regressor of its own: every bucket predicts one constant, the weighted median of "
                "the training targets"
                + (" (clipped to the bucket's range)" if self.clip else "")
                + " (bucket_fallback_). Pass more rows or lower min_bucket_size.",
                TooFewRowsWarning,
                stacklevel=user_stacklevel(),
            )

    def _transformed_targets(self, funcs, y):
        """``target_transform`` of ``y``; a value it makes non-finite is an error naming it."""
        y_fit = np.asarray(funcs[0](y), dtype=np.float64).reshape(-1)
        if y_fit.shape != y.shape:
            raise ValueError(
                f"target_transform={self.target_transform!r} returned {y_fit.size} value(s) "
                f"for {y.size} targets; its func must map each target to one value."
            )
        bad = np.flatnonzero(~np.isfinite(y_fit))
        if bad.size:
            raise ValueError(
                f"target_transform={self.target_transform!r} maps y[{bad[0]}] = "
                f"{float(y[bad[0]])!r} to {float(y_fit[bad[0]])!r} ({bad.size} non-finite "
                f"row(s) in all, first rows {bad[:5].tolist()}); the regressors need finite "
                "targets: use a transform defined on every target (e.g. 'log1p' for counts "
                "with zeros)."
            )
        return y_fit

    def __sklearn_is_fitted__(self):
        return hasattr(self, "regressors_")

    def __setstate__(self, state):
        super().__setstate__(state)
        if hasattr(self, "regressors_") and not hasattr(self, "_target_funcs_"):
            # pickled by a skbucket 0.1.0 build from before fit recorded these: that build
            # read them from the parameters at predict time, which hold the same values
            self._target_funcs_ = self._target_funcs()
            self._classifier_columns_ = self.classifier_columns
            self._regressor_columns_ = self.regressor_columns
        if "progress" not in self.__dict__:  # pickled by a build from before the parameter
            self.progress = None

    # ------------------------------------------------------------------ predict
    def predict_bucket_proba(self, X):
        """Probability of every bucket per row.

        Columns follow the bucket index; buckets the classifier never saw in ``fit``
        get probability 0. A classifier without ``predict_proba`` gives one-hot rows.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} or 1-D sequence of str
            Input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_buckets_)
            Rows sum to 1.
        """
        check_is_fitted(self)
        validate_params_in_use(self)  # routing, soft_average, clip may be set after fit
        X = self._validate_X(X, reset=False)
        return self._bucket_proba(X)

    def _bucket_proba(self, X):
        origin = (None, _column_origin(X, self._classifier_columns_))
        X = _select_columns(X, self._classifier_columns_, "classifier_columns")
        clf = self.classifier_
        buckets = np.asarray(clf.classes_, dtype=np.int64)  # a class is its bucket's column
        return _class_proba("classifier", clf, X, buckets, self.n_buckets_, origin=origin)

    def predict_bucket(self, X):
        """Predicted bucket per row (the most probable one; ties go to the lower bucket).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} or 1-D sequence of str
            Input rows.

        Returns
        -------
        buckets : ndarray of shape (n_samples,), dtype int64
            Bucket index per row, in ``0 .. n_buckets_ - 1``.
        """
        return np.argmax(self.predict_bucket_proba(X), axis=1).astype(np.int64)

    def predict_per_bucket(self, X):
        """What every bucket's regressor predicts for every row: the ``f_k(x)`` that
        :meth:`predict` mixes.

        For looking inside the model: ``predict`` asks a bucket's regressor only for the rows
        routed to it, this asks every regressor for every row (``n_buckets_`` calls of
        ``predict`` on all of ``X``).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} or 1-D sequence of str
            Input rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_buckets_)
            Column ``k``: bucket ``k``'s regressor's prediction in likes, as ``predict`` uses
            it: the inverse of ``target_transform`` applied (the regressors themselves predict
            in its space, e.g. log1p(likes)), a negative prediction taken as 0 likes, and
            clipped to the bucket's range with ``clip=True``. A bucket without a regressor of
            its own (``bucket_fallback_``) gives what it predicts with instead. ``predict``
            is, per row, column :meth:`predict_bucket` of it with ``routing="hard"``; with
            ``"soft"`` its mean weighted by :meth:`predict_bucket_proba`, taken in the
            transformed space with ``soft_average="transformed"`` (a row wholly routed to
            one bucket gets that bucket's prediction as it is). That is to rounding: a
            regressor may compute a row in the last bits differently in ``predict``'s smaller
            batch of the rows routed to its bucket. A regressor's prediction that is not
            finite (NaN, infinite: an ``IsotonicRegression`` outside its training range gives
            NaN) is returned as it is; ``predict`` refuses it, but only for the rows whose
            prediction uses that bucket.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import Ridge
        >>> from skbucket.bucketed import BucketedRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(0, 8, size=(300, 2))
        >>> y = np.round(np.expm1(X[:, 0]))
        >>> model = BucketedRegressor(regressors=Ridge(), routing="soft").fit(X, y)
        >>> per_bucket = model.predict_per_bucket(X[:3])
        >>> per_bucket.shape
        (3, 7)
        >>> mixed = (model.predict_bucket_proba(X[:3]) * per_bucket).sum(axis=1)
        >>> bool(np.allclose(mixed, model.predict(X[:3])))
        True
        """
        check_is_fitted(self)
        validate_params_in_use(self)  # clip may be set after fit
        X = self._validate_X(X, reset=False)
        X, inputs, columns = self._regressor_input(X)
        out = np.empty((_num_samples(X), self.n_buckets_), dtype=np.float64)
        for k in range(self.n_buckets_):
            out[:, k] = self._regress(k, inputs.get(k, X), None, columns, finite=False)
        return out

    def _regressor_input(self, X):
        """``(X, inputs, columns)``: the regressor columns of the validated ``X``, the arrays
        some bucket regressors take instead (``{bucket: array}``) and where the columns lie in
        the user's X (for messages)."""
        columns = _column_origin(X, self._regressor_columns_)
        X = _select_columns(X, self._regressor_columns_, "regressor_columns")
        # a float frame's values as one array, made once, for the bucket regressors that
        # read it as they read the frame (see _reads_frame_by_column); only when
        # validate_data checked X's names, and no copy of X when no regressor takes it
        inputs = {}
        if hasattr(self, "feature_names_in_") and _is_float_frame(X):
            takers = [
                k for k, r in self.regressors_.items() if _reads_frame_by_column(r, X.shape[1])
            ]
            if takers:
                inputs = dict.fromkeys(takers, X.to_numpy())
        return X, inputs, columns

    def _bucket_range(self, k):
        # just above the lower edge, which belongs to the bucket below (assign_buckets)
        lower = 0.0 if k == 0 else float(np.nextafter(self.bins_[k - 1], np.inf))
        upper = np.inf if k == self.n_buckets_ - 1 else self.bins_[k]
        return lower, upper

    def _regress(self, k, X, rows, columns=None, finite=True):
        """Raw-space prediction of bucket ``k``'s regressor on ``X[rows]`` (``X``: the
        regressor columns, or their values as one array, at the positions ``columns`` of the
        user's X when not None); a prediction that is not finite is refused unless
        ``finite=False``."""
        regressor = self.regressors_[k]
        n = _num_samples(X)
        X_k = X if rows is None or rows.size == n else _safe_indexing(X, rows)
        role = f"regressors[{k}]"
        try:
            given = np.asarray(
                _call_sub(role, regressor, "predict", X_k, origin=(rows, columns)),
                dtype=np.float64,
            )
        except Exception as exc:  # which bucket: it may fail on its rows only
            exc.add_note(
                f"({type(self).__name__}: while predicting with {role} {_describe(regressor)}"
                f", the regressor of {self._bucket_label(k, self.bins_)})"
            )
            raise
        if given.ndim > 1 and given.shape[1:] != (1,) * (given.ndim - 1):
            raise ValueError(
                f"{role} {_describe(regressor)}.predict returned an array of shape "
                f"{given.shape}; expected one value per row, shape ({given.shape[0]},)"
            )
        given = given.reshape(-1)
        funcs = self._target_funcs_
        if funcs is not None:
            pred = np.asarray(funcs[1](given), dtype=np.float64).reshape(-1)
        else:  # y is never negative: a negative prediction is 0 likes, as with "log1p"
            pred = np.maximum(given, 0.0)
        if self.clip:  # (a log-space prediction that overflows is clipped to the bucket's edge)
            pred = np.clip(pred, *self._bucket_range(k))
        if finite:
            self._refuse_non_finite(role, regressor, given, pred, rows)
        else:  # one that is not finite stays as the regressor gave it (NaN, not clip's edge)
            bad = ~np.isfinite(given)
            pred[bad] = given[bad]
        return pred

    @staticmethod
    def _refuse_non_finite(role, regressor, given, pred, rows):
        """Refuse a bucket regressor's prediction ``given`` that is NaN or infinite, or whose
        ``pred`` (what the inverse target transform and ``clip`` made of it) is, whatever
        ``clip`` would make of it: NaN in soft routing spread over every row the bucket had a
        share of, -inf became 0 likes, an overflow the bucket's edge."""
        bad = np.flatnonzero(~np.isfinite(given) | ~np.isfinite(pred))
        if not bad.size:
            return
        row = _user_row((rows, None), bad[0])
        value = float(given[bad[0]])
        turned = (
            ""
            if not np.isfinite(value)
            else f", which the inverse of target_transform turns into {float(pred[bad[0]])}"
        )
        hint = (
            " (IsotonicRegression, for one, gives NaN outside the range it was fitted on "
            "unless out_of_bounds='clip')"
            if np.isnan(value)
            else ""
        )
        raise ValueError(
            f"{role} {_describe(regressor)}.predict gave {value} for row {row}{turned} "
            f"({bad.size} of the {pred.size} row(s) it predicted are not finite); a "
            f"bucket's regressor must predict a finite number for every row{hint}"
            f"{_unchecked_x()}."
        )

    def predict(self, X):
        """Predict the target (likes) of every row.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} or 1-D sequence of str
            Input rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``routing="hard"``: the predicted bucket's regressor; ``"soft"``: the
            probability-weighted mean of the buckets' regressors (in the space chosen by
            ``soft_average``).
        """
        check_is_fitted(self)
        validate_params_in_use(self)  # routing, soft_average, clip may be set after fit
        X = self._validate_X(X, reset=False)
        proba = self._bucket_proba(X)
        X, inputs, columns = self._regressor_input(X)
        out = np.zeros(proba.shape[0], dtype=np.float64)
        if self.routing == "soft":
            funcs = self._target_funcs_ if self.soft_average == "transformed" else None
            # a row routed wholly to one bucket gets its prediction as is: the way through
            # the transformed space and back moved a clipped 10 to 10.000000000000002, into
            # the next bucket (hard routing gives 10)
            sure = np.zeros(proba.shape[0], dtype=bool)
            raw = np.zeros(proba.shape[0], dtype=np.float64)
            for k in range(self.n_buckets_):
                rows = np.flatnonzero(proba[:, k] > 0)
                if rows.size:
                    # raw space, clipped if asked
                    pred = self._regress(k, inputs.get(k, X), rows, columns)
                    if funcs is not None:
                        whole = proba[rows, k] == 1.0
                        sure[rows[whole]], raw[rows[whole]] = True, pred[whole]
                        pred = np.asarray(funcs[0](pred), dtype=np.float64).reshape(-1)
                    out[rows] += proba[rows, k] * pred
            if funcs is not None:
                out = np.asarray(funcs[1](out), dtype=np.float64).reshape(-1)
                out[sure] = raw[sure]
        else:
            chosen = np.argmax(proba, axis=1)
            for k in np.unique(chosen):
                rows = np.flatnonzero(chosen == k)
                out[rows] = self._regress(int(k), inputs.get(int(k), X), rows, columns)
        return out
