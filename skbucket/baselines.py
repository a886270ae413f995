"""Baselines to measure a likes model against.

:class:`GroupMedianRegressor` predicts the training median of the row's account, falling back
to its company, then to everyone: the "per-account median" that ``skbucket demo`` and
``benchmarks/bench_accuracy.py`` print next to skbucket. On posts of accounts seen in
training it is hard to beat, since most of the variance of likes is between accounts.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Set

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from ._cells import _bad_text_cell, _category_text, _is_missing
from ._fitted import refit
from ._frames import (
    as_pandas,
    check_flat_columns,
    check_min_size,
    check_unique_columns,
    column_list,
    plain,
)
from .bucketed import _check_targets

__all__ = ["GroupMedianRegressor"]


def _row_labels(X):
    """The index of a pandas DataFrame's rows, by whose labels an error names a row (read
    only then, by position); None for an array (named by position)."""
    return X.index if isinstance(X, pd.DataFrame) else None


def _as_columns(group_columns) -> list:
    """``group_columns`` as a list: one column given alone (a name or a position) is a list
    of one, as ``list("username")`` would not make it."""
    if isinstance(group_columns, str | numbers.Integral):
        return [group_columns]
    return list(group_columns)


#: what ``str()`` makes of a missing value (NaN, None, pd.NA, NaT): the text a NumPy text array
#: (dtype ``<U``, which cannot hold a missing value) holds where one was put in it
_MISSING_AS_TEXT = ("nan", "None", "<NA>", "NaT")


class GroupMedianRegressor(RegressorMixin, BaseEstimator):
    """Median of the training target within the row's group, with fallbacks.

    A row gets the training median of the rows that share its value of the first of
    ``group_columns``; when that value was not seen in ``fit`` (or held by fewer than
    ``min_count`` training rows, or is missing), the median of the rows sharing its value of
    the next column; and so on; else the median of all training rows. With the default
    columns that is: the account's median, else the company's, else the global median.

    Parameters
    ----------
    group_columns : str, int or sequence of them, default=("username", "inferred_company")
        The grouping columns, most specific first: column names for a DataFrame, integer
        positions for an array. Their values must be hashable scalars (a list in a cell is a
        ``ValueError`` naming the column and row); missing values (``None``, ``NaN``) fall back
        to the next column, as do blank strings (``""``, whitespace only: a CSV reads an empty
        cell as missing, a Parquet file keeps it ``""``) and, in a NumPy text array (dtype
        ``<U``, which cannot hold a missing value), the text NumPy writes for one (``"nan"``,
        ``"None"``, ``"<NA>"``, ``"NaT"``). Values are compared as text, as
        :class:`~skbucket.features.PostFeatures` compares accounts (``12345``, ``12345.0``
        and ``"12345"`` are one group).
    min_count : int, default=1
        Groups with fewer training rows than this are treated as unseen (their rows fall back
        to the next column).

    Attributes
    ----------
    medians_ : list of dict
        Per grouping column, ``{value as text: training median}`` of the groups with at
        least ``min_count`` rows.
    global_median_ : float
        Median of all training targets: the last fallback.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (DataFrame input only).

    See Also
    --------
    skbucket.bucketed.BucketedRegressor : The model this baseline is measured against.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbucket.baselines import GroupMedianRegressor
    >>> posts = pd.DataFrame({"username": ["ann", "ann", "bob", "cy"],
    ...                       "inferred_company": ["acme", "acme", "acme", "zeta"]})
    >>> model = GroupMedianRegressor().fit(posts, [10, 30, 500, 7])
    >>> new = pd.DataFrame({"username": ["ann", "dee", "eve"],
    ...                     "inferred_company": ["acme", "acme", "nova"]})
    >>> model.predict(new)  # ann's median; acme's median; everyone's median
    array([20., 30., 20.])
    """

    _parameter_constraints: dict = {
        "group_columns": ["array-like", str, numbers.Integral],
        "min_count": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, group_columns=("username", "inferred_company"), min_count=1):
        self.group_columns = group_columns
        self.min_count = min_count

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing group value falls back to the next column
        tags.input_tags.string = True  # accounts and companies, by name
        tags.input_tags.categorical = True
        # a median per group: on few groups (scikit-learn's checks round their regression
        # features to integers for a categorical estimator) it scores below R^2 = 0.5
        tags.regressor_tags.poor_score = True
        return tags

    @refit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Store the training median of every group of every grouping column.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Holds the grouping columns; other columns are ignored.
        y : array-like of shape (n_samples,)
            Finite numbers (likes).

        Returns
        -------
        self : GroupMedianRegressor
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X = as_pandas(X)  # once: polars, pyarrow
        labels = _row_labels(X)
        X = self._validate_X(X, reset=True)
        y = _check_targets(y, allow_negative=True)  # errors name the first bad row
        check_consistent_length(X, y)
        # the median of an even count is the mean of the middle two, whose sum overflows
        # beyond half of float64's largest number (two targets of 1e308 had the median inf):
        # such targets are halved for the medians, which are doubled back (exact: a power of 2)
        scale = 2.0 if y.size and np.abs(y).max() > np.finfo(np.float64).max / 2 else 1.0
        target = pd.Series(y / scale)
        self.medians_ = []
        for position, name in self._group_positions_:
            keys = self._keys(X, position, name, labels=labels)
            stats = target.groupby(keys.to_numpy(), dropna=True).agg(["median", "size"])
            stats = stats[stats["size"] >= self.min_count]
            self.medians_.append((stats["median"].astype(float) * scale).to_dict())
        from .features import _folded_spellings

        # the training groups by spelling, made once (folding 50,000 accounts on every
        # predict that met an unseen one made a one-row predict 7 times slower)
        self._spellings_ = [_folded_spellings(medians) for medians in self.medians_]
        self._min_count_ = self.min_count  # the one that cut the groups (set_params may follow)
        self.global_median_ = float(np.median(y / scale) * scale)
        return self

    def predict(self, X):
        """The group median of each row (see the class description for the fallbacks).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = as_pandas(X)
        labels = _row_labels(X)
        X = self._validate_X(X, reset=False)
        pred = np.full(X.shape[0], np.nan)
        for level, ((position, name), medians) in enumerate(
            zip(self._fitted_positions(), self.medians_, strict=True)
        ):
            todo = np.flatnonzero(np.isnan(pred))
            if todo.size == 0:
                break
            keys = self._keys(X[todo], position, name, rows=todo, labels=labels)
            pred[todo] = keys.map(medians).to_numpy(dtype=float, na_value=np.nan)
            self._warn_spellings(level, keys[np.isnan(pred[todo])].dropna().unique(), name)
        pred[np.isnan(pred)] = self.global_median_
        return pred

    # ------------------------------------------------------------------ internals
    def _warn_spellings(self, level, unseen, name) -> None:
        """The :class:`~skbucket.features.AccountSpellingWarning` that PostFeatures gives: a
        group of grouping column ``level`` unseen in training that is a training group but
        for its spelling (``"cnn"`` for ``"CNN"``) fell back to the next median without a
        word."""
        import warnings

        from ._warn import user_stacklevel
        from .features import _ADVICE, AccountSpellingWarning, _spelling_pairs

        if not len(unseen):
            return
        medians = self.medians_[level]
        folded = getattr(self, "_spellings_", None)  # a model pickled before 0.7.0: none
        pairs = _spelling_pairs(medians, unseen, None if folded is None else folded[level])
        if pairs:
            new, old = pairs[0]
            fitted = getattr(self, "_min_count_", self.min_count)
            cut = f" (or seen fewer than min_count={fitted} times)" * (fitted > 1)
            warnings.warn(
                f"{type(self).__name__}: {len(pairs)} value(s) of grouping column {name} unseen "
                f"in training{cut} match a training value but for case, surrounding spaces, a "
                f"leading @, Unicode normalisation or invisible characters, e.g. {new!r} for "
                f"{old!r}; they get the fallback median, not their group's. If they are the "
                f"same group, write the column the same way at fit and predict ({_ADVICE} on "
                "both).",
                AccountSpellingWarning,
                stacklevel=user_stacklevel(),
            )

    def _validate_X(self, X, *, reset):
        """``X`` checked (and its columns recorded or compared) as a 2-D array whose cells
        are the frame's own values: a frame holding an int64 id column beside a float column
        would otherwise become one float64 array, and ids above 2**53 would merge."""
        X = as_pandas(X)  # polars, pyarrow: a pandas frame, integer ids kept exact
        check_unique_columns(X, type(self).__name__)
        columns = _as_columns(self.group_columns)
        by_name = [c for c in columns if not isinstance(c, numbers.Integral)]  # not positions
        check_flat_columns(X, "GroupMedianRegressor", by_name)
        if isinstance(X, pd.DataFrame):
            # names and width checked, no cell converted: the whole frame as an object array
            # (to read one or two columns) cost 1.9 GB for 10^6 posts
            check_min_size(self, X.shape)
            validate_data(self, X, reset=reset, skip_check_array=True)
        else:
            if isinstance(X, list | tuple):
                # rows as Python lists: NumPy would make one text array of rows mixing text
                # and numbers, a NaN the group "nan" and 12345.0 the group "12345.0"
                X = np.asarray(X, dtype=object)
            X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset)
        if reset:
            # the columns are found once, at fit: set_params(group_columns=...) on a fitted
            # model takes effect at the next fit (the medians belong to these columns)
            frame_columns = list(X.columns) if isinstance(X, pd.DataFrame) else None
            self._group_positions_ = self._positions(frame_columns)
        if not isinstance(X, pd.DataFrame):
            return X
        cells = np.empty(X.shape, dtype=object)  # only the grouping columns are read
        for position, _ in self._fitted_positions():
            cells[:, position] = X.iloc[:, position].to_numpy(dtype=object)
        return cells

    def _fitted_positions(self):
        """The grouping columns found at fit (a model pickled before they were recorded
        finds them again from ``group_columns``)."""
        fitted = getattr(self, "_group_positions_", None)
        return self._positions() if fitted is None else fitted

    def _positions(self, frame_columns=None):
        """``[(position, label)]`` of the grouping columns in the validated array;
        ``frame_columns``: the columns of the DataFrame being fitted (scikit-learn records
        no ``feature_names_in_`` for names that are not all strings: ``0, 1``)."""
        if isinstance(self.group_columns, Set | Mapping):  # array-like to sklearn: has a len
            # the order is the fallback chain, and a set's order changes with the process's
            # hash seed: its predictions would too
            raise ValueError(
                f"group_columns is ordered, most specific column first (the fallback chain): "
                f"pass a list or tuple, not a {type(self.group_columns).__name__} "
                f"({self.group_columns!r})."
            )
        columns = _as_columns(self.group_columns)
        if not columns:
            raise ValueError("group_columns is empty: name at least one grouping column.")
        names = getattr(self, "feature_names_in_", None)
        out = []
        for column in columns:
            if isinstance(column, numbers.Integral) and not isinstance(column, bool):
                if not 0 <= column < self.n_features_in_:  # type: ignore[operator]  # Integral: no <=
                    named = (
                        f" (a column named {column!r} is read by position: a frame whose "
                        "column names are not all strings is)"
                        if frame_columns is not None and column in frame_columns
                        else ""
                    )
                    raise ValueError(
                        f"group_columns: position {column} is out of range: X has "
                        f"{self.n_features_in_} feature(s) (columns){named}."
                    )
                out.append((int(column), f"at position {column}"))
            elif names is None and frame_columns is not None:
                # a frame whose names are numbers: "X has no column names (an array)" was wrong
                raise ValueError(
                    f"{type(self).__name__}: grouping column {column!r} not found in X; "
                    f"columns present: {column_list(frame_columns)}. A frame whose column "
                    "names are not all strings is read by position: pass integer positions "
                    "in group_columns, or name the columns."
                )
            elif names is None:
                raise ValueError(
                    f"group_columns names {column!r}, but X has no column names (an array): "
                    "pass a DataFrame, or integer positions in group_columns."
                )
            elif column not in list(names):
                raise ValueError(
                    f"{type(self).__name__}: grouping column {column!r} not found in X; "
                    f"columns present: {column_list(names)}."
                )
            else:
                out.append((list(names).index(column), repr(column)))
        return out

    def _keys(self, X, position, name, rows=None, labels=None) -> pd.Series:
        """Column ``position`` of ``X`` as group keys (missing values and blank strings become
        NaN, as PromptBuilder reads them); ``rows`` are the positions of ``X``'s rows in the
        caller's input, ``labels`` the index labels of its rows (a DataFrame's), by which the
        error messages name a row, as PostFeatures and PromptBuilder do (else by position)."""

        def row_of(i):
            at = i if rows is None else int(rows[i])
            return at if labels is None else f"{plain(labels[at])!r}"

        column = X[:, position]
        keys = pd.Series(column, dtype=object)
        missing = keys.map(_is_missing).to_numpy(dtype=bool, copy=True)
        if column.dtype.kind == "U":
            # what NumPy wrote for a missing value (np.array([[np.nan, "acme"]]) holds "nan"):
            # it fell back to the next column in a frame or a list of rows, but was the group
            # "nan" in such an array
            missing |= np.isin(column, _MISSING_AS_TEXT)
        keys = keys.where(~missing, np.nan)
        for i, value in enumerate(keys):
            try:
                hash(value)
            except TypeError:
                row = row_of(i)
                raise ValueError(
                    f"{type(self).__name__}: grouping column {name}, row {row} holds an "
                    f"unhashable {type(value).__name__} ({value!r:.60}); the argument must be a "
                    "string or a number (a scalar such as an account name)."
                ) from None
        found = _bad_text_cell(keys)
        if found is not None:
            row = row_of(found[0])
            raise ValueError(
                f"{type(self).__name__}: grouping column {name}, row {row}: {found[1]}"
            )
        # compared as text, as PostFeatures compares accounts: 12345, 12345.0 and "12345"
        return keys.where(keys.isna(), keys.map(_category_text))
