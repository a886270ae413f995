"""What a fit leaves on an estimator, and forgetting it when a refit starts.

scikit-learn's own estimators keep their previous fit when a refit fails on its parameters or
its data: ``predict`` then answers with the old model under the new settings, a silent wrong
answer. The estimators of skbucket forget the previous fit first (:func:`refit`), so a refit
that fails leaves them unfitted (:class:`~sklearn.exceptions.NotFittedError`), never a mix of
the old fit and the new parameters or columns.

:class:`~skbucket.classification.DistilBertClassifier` is the exception: fine-tuning is costly,
so a refit that fails keeps the previous fine-tuned model whole (its fitted attributes are all
set together when training ends, never some old and some new), and ``warm_start=True`` goes on
from it.
"""

from __future__ import annotations

import functools
import threading

__all__ = [
    "fitted_attributes",
    "forget_fit",
    "partial_training_kept",
    "refit",
    "stopped_whole",
    "validate_params_in_use",
]

_PARTS = threading.local()


def stopped_whole(fit_method):
    """Decorate a meta-estimator's ``fit``: inside it, a fine-tuning stopped with Ctrl-C
    raises the ``KeyboardInterrupt`` instead of keeping the weights learnt so far: the user
    stopped the whole fit, which then leaves its estimator unfitted (:func:`refit`). On its
    own, a :class:`~skbucket.classification.DistilBertClassifier` keeps them, as
    scikit-learn's MLP does; inside a ``BucketedRegressor`` its fit went on, fitting every
    bucket's regressor for minutes, and returned a model whose router had stopped part way.
    Per thread. (A plain wrapper, in this package: a ``contextlib`` decorator's frame made
    the warnings of the fit point at ``contextlib.py``.)"""

    @functools.wraps(fit_method)
    def whole(*args, **kwargs):
        _PARTS.depth = getattr(_PARTS, "depth", 0) + 1
        try:
            return fit_method(*args, **kwargs)
        finally:
            _PARTS.depth -= 1

    return whole


def partial_training_kept() -> bool:
    """Whether an interrupted fine-tuning may keep its weights (outside
    :func:`stopped_whole`)."""
    return not getattr(_PARTS, "depth", 0)


def fitted_attributes(estimator) -> list[str]:
    """Names of the fitted attributes on ``estimator``: those ending in ``_`` (scikit-learn's
    convention, ``n_features_in_`` and private ones like ``_target_funcs_`` included), less
    an entry of the instance's dict that a property of its class hides (kept by an older
    build's pickle: the property, not the entry, is the attribute, and it cannot be deleted)."""
    cls = type(estimator)
    return [
        name
        for name in vars(estimator)
        if name.endswith("_")
        and not name.startswith("__")
        and not isinstance(getattr(cls, name, None), property)
    ]


def forget_fit(estimator) -> None:
    """Delete every fitted attribute of ``estimator`` (its parameters stay)."""
    for name in fitted_attributes(estimator):
        delattr(estimator, name)


def refit(fit_method):
    """Decorate a ``fit`` (above scikit-learn's ``_fit_context``): the previous fit is
    forgotten before the parameters are validated, and again when the fit fails part way, so
    a failed refit leaves the estimator unfitted.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skbucket._fitted import refit
    >>> class Mean(BaseEstimator):
    ...     @refit
    ...     def fit(self, X, y=None):
    ...         self.n_features_in_ = len(X[0])
    ...         self.mean_ = sum(map(sum, X)) / len(X) / self.n_features_in_
    ...         return self
    >>> est = Mean().fit([[1, 3]])
    >>> est.mean_
    2.0
    >>> try:
    ...     est.fit([[1, "a"]])
    ... except TypeError:
    ...     pass
    >>> hasattr(est, "mean_"), hasattr(est, "n_features_in_")
    (False, False)
    """

    @functools.wraps(fit_method)
    def wrapper(self, *args, **kwargs):
        forget_fit(self)
        try:
            return fit_method(self, *args, **kwargs)
        except BaseException:
            forget_fit(self)
            raise

    return wrapper


def validate_params_in_use(estimator) -> None:
    """Validate ``estimator``'s parameters where the fitted estimator is used (``transform``),
    so a value set after fit (``batch_size=0``) gets fit's error, not a failure deep inside;
    skipped under ``sklearn.set_config(skip_parameter_validation=True)``, as fit skips it."""
    from sklearn import get_config

    if not get_config()["skip_parameter_validation"]:
        estimator._validate_params()
