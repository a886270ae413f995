"""The errors and warnings skbucket raises, in one place to import them from.

Each class is defined next to the code that raises it (``skbucket.prompts.PromptError`` and
``skbucket.exceptions.PromptError`` are the same class); this module gathers them, as
``sklearn.exceptions`` does, so that ``except`` clauses need not know where. Every error is a
``ValueError`` (bad input or parameters) or a ``RuntimeError`` (a model or device that is not
available); the warnings are ``UserWarning`` subclasses (``TrainingInterruptedWarning`` is a
``RuntimeWarning`` too). The Dask helpers' errors, ``MetaInferenceError`` and
``DaskOutputError``, live in :mod:`skbucket.dask` (importing it imports Dask).

Examples
--------
>>> import pandas as pd
>>> from skbucket import PromptBuilder
>>> from skbucket.exceptions import PromptError
>>> try:
...     PromptBuilder().fit(pd.DataFrame({"text": ["hi"]}))
... except PromptError as error:
...     print(type(error).__name__, isinstance(error, ValueError))
PromptError True
"""

from __future__ import annotations

import importlib

# public name -> module that defines it: imported on first use (PEP 562 ``__getattr__``), so
# ``from skbucket.exceptions import PromptError`` imports skbucket.prompts only, not the
# report, the plots and the captioner
_WHERE = {
    "AccountSpellingWarning": "features",
    "CLIError": "tables",
    "CacheError": "cache",
    "CacheWarning": "cache",
    "CaptioningError": "captioning",
    "CaptioningWarning": "captioning",
    "CheckpointChangedWarning": "_models",
    "DayMonthOrderWarning": "dates",
    "DeviceNotAvailableError": "_models",
    "MediaDecodeError": "media",
    "MediaError": "media",
    "MediaFetchError": "media",
    "MediaParseError": "media",
    "MediaTooLargeError": "media",
    "MetricsInputError": "metrics",
    "ModelNotAvailableError": "_models",
    "NegativeCountWarning": "routing",
    "NoKnownAccountWarning": "routing",
    "NoPostTextWarning": "prompts",
    "PersistenceError": "io",
    "PlotInputError": "plotting",
    "PlotLeftOutWarning": "report",
    "PostFeaturesError": "features",
    "PromptError": "prompts",
    "ScriptDefinitionWarning": "io",
    "TamperedFileError": "io",
    "TextInputError": "_models",
    "TooFewRowsWarning": "bucketed",
    "TrainingInterruptedWarning": "classification",
    "TrainingPostsWarning": "pipeline",
    "UnparseableDateWarning": "features",
    "UnsupportedSchemeError": "media",
    "UntrustedTypesError": "io",
    "VersionMismatchWarning": "io",
}


__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"skbucket.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skbucket.exceptions' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
