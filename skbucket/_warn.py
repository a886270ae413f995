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
import re
import sys
import threading
import warnings

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


#: Held while skbucket adds or removes its entries of the warning filters (:func:`ignoring`).
_FILTERS_LOCK = threading.RLock()
#: skbucket's entries in ``warnings.filters`` now: each with the number of blocks using it.
_IN_USE: dict[tuple, int] = {}
#: The entry object inserted for each entry (the first block's: the blocks using it after
#: count on it) and the list it went into (``warnings.filters`` then), both by identity.
_HOME: dict[tuple, tuple[tuple, list]] = {}


@contextlib.contextmanager
def ignoring(*categories: type[Warning], message: str | None = None, module: str | None = None):
    """Ignore warnings of ``categories`` (default: all) whose text starts with ``message``
    and whose module matches ``module`` (regular expressions, as for
    ``warnings.filterwarnings``), while the block runs.

    Unlike ``warnings.catch_warnings``, which puts back on exit the whole list of filters it
    found on entry, this adds its own entries on entry and takes exactly those away on exit,
    counting the blocks that use one: two threads in such blocks at once (two dry runs of
    ``skbucket.dask``, two ``skbucket.io.load`` calls) could otherwise leave one's ``ignore``
    in place for good, silencing it for the rest of the process, and no lock is held while
    the block runs (a lock held through an estimator's work deadlocked with one it waited
    for). An entry is taken away from the list it went into too when another thread's
    ``catch_warnings`` has meanwhile swapped in a copy (which would put that list back with
    the entry). The filters are the process's (Python 3.11 has no per-thread ones): other
    threads' warnings of these kinds are ignored meanwhile too.
    """
    message_re = re.compile(message, re.I) if message else None
    module_re = re.compile(module) if module else None
    entries = [("ignore", message_re, c, module_re, 0) for c in categories or (Warning,)]
    with _FILTERS_LOCK:
        for entry in entries:
            if _IN_USE.get(entry, 0) == 0:
                # typeshed types the filters as a Sequence; they are the module's list
                warnings.filters.insert(0, entry)  # type: ignore[attr-defined]
                _HOME[entry] = (entry, warnings.filters)  # type: ignore[assignment]
            _IN_USE[entry] = _IN_USE.get(entry, 0) + 1
        _mutated()
    try:
        yield
    finally:
        with _FILTERS_LOCK:
            for entry in entries:
                _IN_USE[entry] -= 1
                if _IN_USE[entry] == 0:
                    del _IN_USE[entry]
                    inserted, home = _HOME.pop(entry)
                    # this very entry, the one inserted (by the first of the blocks using it,
                    # maybe another thread's); a user's equal one, added meanwhile, stays: it
                    # took the place of ours (warnings keeps one of equal filters). A
                    # catch_warnings' copy of the filters holds the same entry objects.
                    at = next((i for i, e in enumerate(warnings.filters) if e is inserted), None)
                    if at is not None:
                        del warnings.filters[at]  # type: ignore[attr-defined]  # a list
                    if home is not warnings.filters:
                        # another thread's catch_warnings, entered meanwhile, made the filters
                        # a copy and will put back the list the entry went into: not with it
                        # (every warning of these kinds was silenced for good)
                        at = next((i for i, e in enumerate(home) if e is inserted), None)
                        if at is not None:
                            del home[at]
            _mutated()


def _mutated() -> None:
    """Tell the warnings module its filters changed (its "once" registries are reset)."""
    mutated = getattr(warnings, "_filters_mutated", None) or getattr(
        warnings, "_filters_mutated_lock_held", None
    )
    if mutated is not None:
        mutated()


def _new_filters_lock() -> None:
    """In a forked child, a fresh lock: the parent's may have been held by a thread that
    does not exist there."""
    global _FILTERS_LOCK
    _FILTERS_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_filters_lock)
