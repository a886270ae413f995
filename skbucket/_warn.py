"""Warnings that point at the user's line, not at skbucket's or scikit-learn's internals.

A fixed ``stacklevel`` cannot do that here: the same warning is raised from a direct
``transform`` call, through scikit-learn's ``set_output`` and ``_fit_context`` wrappers, from a
``Pipeline`` step or from ``cross_val_score`` via joblib, each with another number of frames in
between. :func:`user_stacklevel` walks up the stack past the frames of skbucket and of the
libraries that call estimators on the user's behalf, as pandas' ``find_stack_level`` does for
pandas.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator

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


#: Held through skbucket's short changes of the warning filters (:func:`filtered_warnings`).
_FILTERS_LOCK = threading.RLock()


@contextlib.contextmanager
def filtered_warnings() -> Iterator[None]:
    """``warnings.catch_warnings()`` for skbucket's own short blocks: such blocks in threads
    of one process take turns.

    The warning filters are one list per process, and ``catch_warnings`` puts back on exit
    the list it found on entry: two threads in such blocks at once (two ``skbucket.io.load``
    calls) could leave one's ``ignore`` filter in place for good, silencing that warning for
    the rest of the process. Only for blocks that run no estimator and take no other lock
    (unpickling a model): a block held through an estimator's work would hold every other
    thread's block up for as long, and deadlock with a lock that work waits for. Code
    outside skbucket that changes the filters in other threads meanwhile is out of its reach
    (Python 3.11 has no per-thread filters).
    """
    with _FILTERS_LOCK, warnings.catch_warnings():
        yield


def _new_filters_lock() -> None:
    """In a forked child, a fresh lock: the parent's may have been held by a thread that
    does not exist there."""
    global _FILTERS_LOCK
    _FILTERS_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_filters_lock)
