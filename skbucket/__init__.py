"""skbucket: predict social-media likes with a bucket-then-regress model.

``import skbucket`` stays light: estimators that need torch/transformers are
imported on first attribute access (PEP 562 ``__getattr__``).
"""

from __future__ import annotations

import importlib

__version__ = "0.13.0"

# public name -> module that defines it (imported lazily)
_LAZY = {
    "BucketedRegressor": "skbucket.bucketed",
    "assign_buckets": "skbucket.bucketed",
    "seed_regressors": "skbucket.bucketed",
    "AccountRouter": "skbucket.routing",
    "parse_media": "skbucket.media",
    "PromptBuilder": "skbucket.prompts",
    "PostFeatures": "skbucket.features",
    "DistilBertEmbedder": "skbucket.embedding",
    "DistilBertClassifier": "skbucket.classification",
    "Blip2Captioner": "skbucket.captioning",
    "make_seed_pipeline": "skbucket.pipeline",
    "set_everywhere": "skbucket.pipeline",
    "clear_model_registry": "skbucket.pipeline",
    "GroupMedianRegressor": "skbucket.baselines",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skbucket' has no attribute {name!r}")


def __dir__():
    return __all__
