"""Warnings that point at the user's line, not at skbucket's or scikit-learn's internals.

A fixed ``stacklevel`` cannot do that here: the same warning is raised from a direct
``transform`` call, through scikit-learn's ``set_output`` and ``_fit_context`` wrappers, from a
``Pipeline`` step or from ``cross_val_score`` via joblib, each with another number of frames in
between. :func:`user_stacklevel` walks up the stack past the frames of skbucket and of the
libraries that call estimators on the user's behalf, as pandas' ``find_stack_level`` does for
pandas.
"""

from __future__ import annotations

import os
import sys

#: Packages whose frames are skipped (those imported; skbucket always is). dask's run a
#: partition's task (``skbucket.dask`` with the synchronous scheduler: the user's
#: ``compute`` line is further up).
_LIBRARIES = ("skbucket", "sklearn", "joblib", "dask", "distributed")


def _library_folders() -> tuple[str, ...]:
    folders = []
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            folders.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(folders)


def user_stacklevel() -> int:
    """The ``stacklevel``, for a ``warnings.warn`` call in the caller, of the first user frame.

    That is the first frame outside skbucket, scikit-learn, joblib and dask; the outermost
    frame when all are inside (the ``skbucket`` command).
    """
    folders = _library_folders()
    frame = sys._getframe(1)  # the function calling warnings.warn: stacklevel 1
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        folders
    ):
        frame = frame.f_back
        level += 1
    return level
