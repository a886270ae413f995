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

from ._models import (
    CheckpointChangedWarning,
    DeviceNotAvailableError,
    ModelNotAvailableError,
    TextInputError,
)
from .bucketed import TooFewRowsWarning
from .cache import CacheError, CacheWarning
from .captioning import CaptioningError, CaptioningWarning
from .classification import TrainingInterruptedWarning
from .features import AccountSpellingWarning, PostFeaturesError, UnparseableDateWarning
from .io import (
    PersistenceError,
    ScriptDefinitionWarning,
    TamperedFileError,
    UntrustedTypesError,
    VersionMismatchWarning,
)
from .media import (
    MediaDecodeError,
    MediaError,
    MediaFetchError,
    MediaParseError,
    MediaTooLargeError,
    UnsupportedSchemeError,
)
from .metrics import MetricsInputError
from .plotting import PlotInputError
from .prompts import DayMonthOrderWarning, NoPostTextWarning, PromptError
from .report import PlotLeftOutWarning
from .routing import NoKnownAccountWarning
from .tables import CLIError

__all__ = [
    "AccountSpellingWarning",
    "CLIError",
    "CacheError",
    "CacheWarning",
    "CaptioningError",
    "CaptioningWarning",
    "CheckpointChangedWarning",
    "DayMonthOrderWarning",
    "DeviceNotAvailableError",
    "MediaDecodeError",
    "MediaError",
    "MediaFetchError",
    "MediaParseError",
    "MediaTooLargeError",
    "MetricsInputError",
    "ModelNotAvailableError",
    "NoKnownAccountWarning",
    "NoPostTextWarning",
    "PersistenceError",
    "PlotInputError",
    "PlotLeftOutWarning",
    "PostFeaturesError",
    "PromptError",
    "ScriptDefinitionWarning",
    "TamperedFileError",
    "TextInputError",
    "TooFewRowsWarning",
    "TrainingInterruptedWarning",
    "UnparseableDateWarning",
    "UnsupportedSchemeError",
    "UntrustedTypesError",
    "VersionMismatchWarning",
]
