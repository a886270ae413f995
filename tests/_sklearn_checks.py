"""scikit-learn's estimator checks that need no numeric 2-D input, for the transformers whose
tags say ``two_d_array=False`` (they read a DataFrame's columns by name):
``parametrize_with_checks`` builds no check for them, so their tests run these one by one."""

from __future__ import annotations

import pytest

DATA_FREE_CHECKS = (
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
    # these give an array, and ask for a clear error or for no fit to be needed
    "check_estimators_unfitted",
    "check_transformers_unfitted",
    "check_transformer_n_iter",
    "check_fit1d",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
)

#: ``@each_data_free_check`` parametrizes a test by the name of each check
each_data_free_check = pytest.mark.parametrize("check", DATA_FREE_CHECKS)


def run_check(check: str, estimator) -> None:
    """Run scikit-learn's check named ``check`` on ``estimator``."""
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)(type(estimator).__name__, estimator)
