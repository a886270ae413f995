"""make_seed_pipeline: the seed method end to end as one plain sklearn Pipeline."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _sklearn_checks import each_data_free_check, run_check
from _tiny_blip2 import make_tiny_blip2
from _tiny_distilbert import make_tiny_distilbert
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from threadpoolctl import threadpool_limits

from skbucket import make_seed_pipeline
from skbucket.bucketed import BucketedRegressor
from skbucket.cache import process_memory_cache
from skbucket.classification import DistilBertClassifier
from skbucket.datasets import load_tweets
from skbucket.embedding import DistilBertEmbedder
from skbucket.features import PostFeatures
from skbucket.pipeline import SEED_SETTINGS, models_used
from skbucket.prompts import PromptBuilder, PromptError
from skbucket.routing import AccountRouter


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_distilbert(tmp_path_factory.mktemp("tiny-distilbert"))


@pytest.fixture(scope="module")
def posts():
    frame = load_tweets().frame.iloc[:48]
    return frame.drop(columns=["likes"]), frame["likes"]


def _pipe(tiny, **kwargs):
    params = dict(caption_model=None, text_model=tiny, epochs=1, random_state=0, progress=False)
    params.update(kwargs)
    return make_seed_pipeline(**params)


# the pipelines here are fitted on a few dozen rows, which the HGB router cannot split: the
# warning saying so is tested in test_bucketed/test_routing, and is noise here
pytestmark = pytest.mark.filterwarnings("ignore::skbucket.exceptions.TooFewRowsWarning")


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture
def embed_calls(monkeypatch):
    """Count the texts DistilBertEmbedder really runs through its model (cold memory cache)."""
    process_memory_cache().clear()
    seen = []
    real = DistilBertEmbedder._embed_batch

    def counting(self, features, *args, **kwargs):  # one tokenised text per row of the batch
        seen.extend(tuple(f["input_ids"]) for f in features)
        return real(self, features, *args, **kwargs)

    monkeypatch.setattr(DistilBertEmbedder, "_embed_batch", counting)
    return seen


def test_structure_names_and_models(tiny):
    pipe = _pipe(tiny, embedding_model=tiny)
    assert [name for name, _ in pipe.steps] == ["caption", "prompt", "features", "model"]
    assert pipe.named_steps["caption"] == "passthrough"
    model = pipe.named_steps["model"]
    assert isinstance(model, BucketedRegressor)
    # the default router: HGB for companies seen in training, the text model for new ones
    assert isinstance(model.classifier, AccountRouter)
    assert isinstance(model.classifier.unseen, DistilBertClassifier)
    assert isinstance(model.classifier.known, HistGradientBoostingClassifier)
    assert model.classifier.count_column == "inferred_company_count"
    assert [type(r).__name__ for r in model.regressors] == [
        "XGBRegressor",
        "XGBRegressor",
        "CatBoostRegressor",
        "CatBoostRegressor",
        "CatBoostRegressor",
        "XGBRegressor",
        "XGBRegressor",
    ]
    assert models_used(pipe) == {
        "captioner": None,
        "classifier": {"known": "HistGradientBoostingClassifier", "unseen": tiny},
        "embedder": tiny,
    }
    params = pipe.get_params(deep=True)
    for name in (
        "model__regressors__0__max_depth",
        "model__classifier__unseen__learning_rate",
        "model__classifier__known__learning_rate",
        "features__embedding__pooling",
        "features__post__target_transform",
    ):
        assert name in params
    clone(pipe)  # clones like any sklearn estimator
    seed = _pipe(tiny, classifier="distilbert")  # the seed's router: the text model for all
    assert isinstance(seed.named_steps["model"].classifier, DistilBertClassifier)
    assert "model__classifier__learning_rate" in seed.get_params(deep=True)
    assert models_used(seed)["classifier"] == tiny


def test_fit_predict_score_and_routing(tiny, posts):
    X, y = posts
    pipe = _pipe(tiny).fit(X[:40], y[:40])
    pred = pipe.predict(X[40:])
    assert pred.shape == (8,) and np.isfinite(pred).all()
    assert isinstance(pipe.score(X[40:], y[40:]), float)
    features = pipe[:-1].transform(X[40:])
    assert features.columns[0] == "prompt"
    assert features["prompt"].str.startswith("Following is the information").all()
    model = pipe.named_steps["model"]
    numeric = features.drop(columns="prompt")
    assert any(c.startswith("distilbertembedder") for c in numeric.columns)
    assert "username_target" in numeric.columns
    assert model.regressors_[0].n_features_in_ == numeric.shape[1]  # no text reached them
    proba = model.predict_bucket_proba(features)
    assert proba.shape == (8, 7) and np.allclose(proba.sum(axis=1), 1)
    # routing: posts of companies never seen in training go to the fine-tuned text model (on the
    # prompt), the others to the HGB router on the post features (no prompt, no embedding)
    router = model.classifier_
    post = [c for c in numeric.columns if not c.startswith("distilbertembedder")]
    assert list(router.known_.feature_names_in_) == post
    later = X[40:].copy()
    later.iloc[::2, later.columns.get_loc("inferred_company")] = "a brand never seen"
    feats = pipe[:-1].transform(later)
    new = feats["inferred_company_count"].to_numpy() == 0
    assert new[::2].all() and new.sum() < len(new)
    got = model.predict_bucket_proba(feats)
    np.testing.assert_allclose(got[new], router.unseen_.predict_proba(feats.loc[new, ["prompt"]]))
    np.testing.assert_allclose(got[~new], router.known_.predict_proba(feats.loc[~new, post]))
    # the default routing: every bucket's regressor, fit on log1p(likes) (back to likes, at least
    # 0), averaged in log1p space with the router's probabilities as weights
    assert (model.routing, model.soft_average, model.target_transform) == (
        "soft",
        "transformed",
        "log1p",
    )
    regs = [model.regressors_[k] for k in range(proba.shape[1])]
    raw = np.column_stack([np.expm1(r.predict(numeric)).clip(0) for r in regs])
    assert pred == pytest.approx(np.expm1((proba * np.log1p(raw)).sum(axis=1)), rel=1e-5)


def test_hybrid_is_the_text_router_for_new_companies_and_hgb_for_known_ones(tiny, posts):
    X, y = posts
    hybrid = _pipe(tiny).fit(X[:40], y[:40])
    text = _pipe(tiny, classifier="distilbert").fit(X[:40], y[:40])
    hgb = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
    new = X[40:].assign(inferred_company="a brand never seen")
    np.testing.assert_allclose(hybrid.predict(new), text.predict(new), rtol=1e-6)
    # for known companies it is the HGB router, on the post features only (not "hgb", which
    # also reads the embeddings)
    known = X[:40]
    assert (hybrid[:-1].transform(known)["inferred_company_count"] > 0).all()
    proba = hybrid.named_steps["model"].predict_bucket_proba(hybrid[:-1].transform(known))
    assert not np.allclose(
        proba, text.named_steps["model"].predict_bucket_proba(text[:-1].transform(known))
    )
    assert hgb.named_steps["model"].classifier_.n_features_in_ > (
        hybrid.named_steps["model"].classifier_.known_.n_features_in_
    )


def test_posts_without_readable_dates_fit_without_date_features(tiny, posts):
    """Every date blank: the HGB router failed on the all-NaN date features ("window shape
    cannot be larger than input array shape"); now the fit leaves them out, and says so."""
    from skbucket.features import UnparseableDateWarning

    X, y = posts
    undated = X.assign(date="")
    with pytest.warns(UnparseableDateWarning, match="leaves the date features"):
        pipe = _pipe(tiny, classifier="hgb").fit(undated[:40], y[:40])
    assert "hour" not in pipe[:-1].transform(undated[40:]).columns
    assert np.isfinite(pipe.predict(undated[40:])).all()
    assert np.isfinite(pipe.predict(X[40:])).all()  # dated posts later: the dates unused


@pytest.mark.parametrize("epochs", [1, 2])
def test_one_epoch_fine_tunes_on_every_row(tiny, posts, epochs):
    """Early stopping needs two epochs: with one, its 10% hold-out only took rows from the
    fine-tuning (make_seed_pipeline(epochs=1), the demo's and the CLI's fast setting)."""
    X, y = posts
    router = _pipe(tiny, classifier="distilbert", epochs=epochs).fit(X[:40], y[:40])
    history = router.named_steps["model"].classifier_.history_
    assert len(history) >= 1
    assert np.isnan(history[0]["val_loss"]) == (epochs == 1)


def test_seed_settings_route_hard_on_raw_likes(tiny, posts):
    X, y = posts
    pipe = _pipe(tiny, **SEED_SETTINGS).fit(X[:40], y[:40])
    pred = pipe.predict(X[40:])
    model = pipe.named_steps["model"]
    features = pipe[:-1].transform(X[40:])
    numeric = features.drop(columns="prompt")
    # hard routing: each prediction is the routed bucket's regressor on the numeric columns
    routed = model.predict_bucket(features)
    expected = [model.regressors_[k].predict(numeric.iloc[[i]])[0] for i, k in enumerate(routed)]
    assert pred == pytest.approx(expected, rel=1e-5)


def test_grid_search_over_nested_params_reuses_cached_embeddings(tiny, posts, embed_calls):
    X, y = posts
    search = GridSearchCV(
        _pipe(tiny),
        {
            "model__regressors__0__max_depth": [2, 3],
            "model__classifier__unseen__learning_rate": [1e-3],
        },
        cv=KFold(2),
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    assert set(search.best_params_) == {
        "model__regressors__0__max_depth",
        "model__classifier__unseen__learning_rate",
    }
    assert search.best_estimator_.named_steps["model"].regressors_[0].max_depth in (2, 3)
    # 2 candidates x 2 folds + refit = 5 fits, 48 distinct prompts: every prompt is embedded
    # once; the other fits and the scoring reuse the process-wide cache.
    assert len(embed_calls) == len(set(embed_calls)) == 48
    scores = cross_val_score(_pipe(tiny), X, y, cv=KFold(2))
    assert scores.shape == (2,) and len(embed_calls) == 48


def test_feature_steps_put_in_by_set_params_or_a_grid_give_pandas_columns(tiny, posts):
    # set_output reaches the transformers a ColumnTransformer holds when it is called: one put
    # in later returned an array, every stacked column became object and XGBoost refused them
    X, y = posts
    reference = _pipe(tiny, classifier="hgb")[:-1].fit_transform(X, y)
    pipe = _pipe(tiny, classifier="hgb").set_params(
        features__post=PostFeatures(random_state=0),
        features__embedding=DistilBertEmbedder(model=tiny, progress=False),
    )
    features = pipe[:-1].fit_transform(X, y)
    assert features.dtypes.to_dict() == reference.dtypes.to_dict()
    assert "object" not in {str(t) for t in features.dtypes}
    search = GridSearchCV(
        _pipe(tiny, classifier="hgb"),
        {"features__post": [PostFeatures(cv=2, random_state=0), PostFeatures(random_state=0)]},
        cv=KFold(2),
        error_score="raise",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # a transformer without set_output can still be put in (set_output on the whole step
    # refused it: "Unable to configure output")
    from sklearn.base import BaseEstimator, TransformerMixin

    class Doubler(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.asarray(X, dtype=float) * 2

    from sklearn.compose import ColumnTransformer

    from skbucket.pipeline import _PostColumns

    step = _PostColumns([("double", PostFeatures(random_state=0), ["content"])])
    step.set_output(transform="pandas").set_params(double=Doubler())
    assert isinstance(step, ColumnTransformer) and type(step.transformers[0][1]) is Doubler


def test_joblib_round_trip_in_a_fresh_process(tiny, posts, tmp_path):
    X, y = posts
    pipe = _pipe(tiny).fit(X[:40], y[:40])
    expected = pipe.predict(X[40:])
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    X[40:].to_pickle(tmp_path / "X.pkl")
    code = (
        "import joblib, pandas as pd, numpy as np, sys, torch\n"
        "from threadpoolctl import threadpool_limits\n"
        "threadpool_limits(1); torch.set_num_threads(1)  # as in this process\n"
        f"pipe = joblib.load({str(tmp_path / 'pipe.joblib')!r})\n"
        f"X = pd.read_pickle({str(tmp_path / 'X.pkl')!r})\n"
        f"np.save({str(tmp_path / 'pred.npy')!r}, pipe.predict(X))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "pred.npy"), expected)


def test_captioner_only_captions_rows_without_a_caption(tiny, posts, tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    blip2 = make_tiny_blip2(tmp_path / "blip2")
    X, y = posts
    X = X[:12].copy()
    for i in range(3):  # three distinct local images, the rest keep the scraped URLs
        path = tmp_path / f"img{i}.png"
        PIL.new("RGB", (40, 30), (80 * i, 40, 200 - 60 * i)).save(path)
        X.iloc[i, X.columns.get_loc("media")] = str(path)
    X["caption"] = ["", None, ""] + [f"given caption {i}" for i in range(9)]
    pipe = _pipe(tiny, caption_model=blip2).fit(X, y[:12])
    captioner = pipe.named_steps["caption"]
    assert captioner.n_generated_ == 3  # only the three rows without a caption
    out = captioner.transform(X)
    assert captioner.n_generated_ == 0  # cached: nothing is generated again
    assert out["caption"].iloc[3:].tolist() == [f"given caption {i}" for i in range(9)]
    assert all(isinstance(c, str) for c in out["caption"].iloc[:3])
    assert models_used(pipe)["captioner"] == blip2
    prompts = pipe[:-1].transform(X)["prompt"]
    assert "given caption 5" in prompts.iloc[8]
    # a pipeline whose captioner has run is saved by skbucket.io (its errors_ DataFrame, which
    # skops cannot write, made every such save fail) and predicts the same once loaded
    from skbucket import io as skio

    path = skio.save(pipe, tmp_path / "captioned.skbucket")
    untrusted = skio.get_untrusted_types(path)
    doc = skio.__doc__.split("Types to trust for", 1)[1].split(":func:`get_untrusted_types`")[0]
    documented = set(re.findall(r"``([a-z_]+(?:\.[A-Za-z_0-9]+)+)``", doc))
    assert set(untrusted) <= documented, set(untrusted) - documented
    loaded = skio.load(path, trusted=untrusted)
    assert not hasattr(loaded.named_steps["caption"], "errors_")  # a record of a call only
    process_memory_cache().clear()
    np.testing.assert_allclose(loaded.predict(X), pipe.predict(X), rtol=1e-6)
    assert loaded.named_steps["caption"].errors_.empty


@pytest.mark.parametrize("step", ["prompt", "features"])
def test_a_refit_stopped_part_way_leaves_the_pipeline_unfitted(tiny, posts, monkeypatch, step):
    """Ctrl-C in the embedding of a refit left the prompt step refitted with the new template
    and the later steps fitted on the old prompts: predict answered with that mix, matching
    neither model. Now the step it stopped in is unfitted, and predict says so."""
    from sklearn.exceptions import NotFittedError

    X, y = posts
    pipe = _pipe(tiny).fit(X, y)
    pipe.set_params(prompt__prompt__template="{company} posted: {caption}")
    where = {"prompt": PromptBuilder, "features": DistilBertEmbedder}[step]

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(where, "transform", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipe.fit(X, y)
    monkeypatch.undo()
    with pytest.raises(NotFittedError):
        pipe.predict(X)
    assert np.isfinite(pipe.fit(X, y).predict(X)).all()  # a new fit works


def test_post_text_under_another_name_is_warned_about(tiny, posts):
    """The pipeline reads its columns by name: a post's text kept under 'text' was dropped
    by its column selection, and with a captioner (which adds a caption column) nothing said
    so."""
    from skbucket.prompts import NoPostTextWarning

    X, y = posts
    with pytest.warns(NoPostTextWarning, match=r"the seed pipeline: .*\['text'\].*POST_COLUMNS"):
        _pipe(tiny, classifier="hgb").fit(
            X.rename(columns={"content": "text"}).assign(caption="a"), y
        )


def test_post_text_under_another_name_is_said_once(tiny, posts):
    """A fit whose posts hold their text under another name gave two near-identical
    NoPostTextWarnings: the seed pipeline's, naming the column left out, then its
    PromptBuilder's "X has no post text", with the same remedy (the command line printed
    the first only); the first is said, and the builder's own still is where the pipeline
    said nothing (posts with no text at all), as is any other warning."""
    from skbucket.prompts import NoPostTextWarning

    X, y = posts

    def said(X):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _pipe(tiny, classifier="hgb").fit(X, y)
        return [str(w.message) for w in caught if w.category is NoPostTextWarning]

    (only,) = said(X.rename(columns={"content": "text"}))
    assert only.startswith("the seed pipeline: X has no 'content' column") and "['text']" in only
    (only,) = said(X.drop(columns=["content"]))  # no text anywhere: the builder says so
    assert only.startswith("PromptBuilder: X has no post text"), only
    # the builder's warning is left out of that fit only
    with pytest.warns(NoPostTextWarning, match="PromptBuilder: X has no post text"):
        PromptBuilder().fit(X.drop(columns=["content"]))


def test_media_only_posts_use_the_caption(tiny):
    from skbucket.datasets import load_captioned_posts

    frame = load_captioned_posts().frame.iloc[:40]
    X, y = frame.drop(columns=["likes"]), frame["likes"]
    pipe = _pipe(tiny).fit(X, y)
    prompts = pipe[:-1].transform(X)["prompt"]
    assert "Caption for Image of post: " + X["caption"].iloc[0] in prompts.iloc[0]
    assert isinstance(pipe.predict(X), np.ndarray)
    assert isinstance(pd.Series(pipe.predict(X)).sum(), float)


def test_a_fitted_model_whose_checkpoint_moved_says_how_to_point_it_there(tiny, posts, tmp_path):
    """set_params(features__embedding__model=NEW) on a fitted pipeline changed the template
    only: check_models (and predict) still named the old path, under the parameter that
    get_params showed holding the new one, and nothing said how to reach the fitted copy."""
    import shutil

    import skbucket
    from skbucket.exceptions import ModelNotAvailableError
    from skbucket.pipeline import check_models

    X, y = posts
    old, new = tmp_path / "old", tmp_path / "moved" / "tiny"
    shutil.copytree(tiny, old)
    pipe = _pipe(str(old), classifier="hgb").fit(X, y)
    expected = pipe.predict(X)
    new.parent.mkdir()
    shutil.move(old, new)
    pipe.set_params(features__embedding__model=str(new))
    with pytest.raises(ModelNotAvailableError) as info:
        check_models(pipe, fit=False)
    said = str(info.value)
    assert f"model path {str(old)!r} does not exist" in said
    assert f"skbucket.set_everywhere(model, 'model', NEW_PLACE, current={str(old)!r})" in said
    assert "if the model was fitted with that folder" in said and ".;" not in said
    # predict in Python, without check_models: the same advice (it was the bare "does not
    # exist", which only the command line's check extended)
    process_memory_cache().clear()
    with pytest.raises(ModelNotAvailableError) as info:
        pipe.predict(X)
    assert f"set_everywhere(model, 'model', NEW_PLACE, current={str(old)!r})" in str(info.value)
    assert str(info.value).count("set_everywhere") == 1
    # a hub name (no folder's shape) has no folder to put back
    skbucket.set_everywhere(pipe, "model", "not-cached-model", current=old)
    with pytest.raises(ModelNotAvailableError) as info:
        check_models(pipe, fit=False)
    assert "set_everywhere" not in str(info.value) and "put the" not in str(info.value)
    skbucket.set_everywhere(pipe, "model", str(old), current="not-cached-model")
    assert skbucket.set_everywhere(pipe, "model", str(new), current="/no/such/place") == 0
    assert skbucket.set_everywhere(pipe, "model", str(new), current=old) >= 1  # a Path: same
    assert check_models(pipe, fit=False) == {"features__embedding": str(new)}
    process_memory_cache().clear()
    np.testing.assert_array_equal(pipe.predict(X), expected)


def test_a_moved_relative_checkpoint_folder_gets_the_same_advice(tiny, tmp_path, monkeypatch):
    """A relative "models/tiny" that is gone reads like a hub id, and its message had no
    word of how to point the fitted model at the folder's new place."""
    import shutil

    from skbucket import DistilBertEmbedder
    from skbucket._models import clear_model_registry
    from skbucket.exceptions import ModelNotAvailableError
    from skbucket.pipeline import check_models

    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny, tmp_path / "models" / "tiny")
    est = DistilBertEmbedder(model="models/tiny", cache=False).fit(["a b", "c d"])
    (tmp_path / "models").rename(tmp_path / "moved")
    clear_model_registry()
    with pytest.raises(ModelNotAvailableError) as info:
        check_models(est, fit=False)
    assert "set_everywhere(model, 'model', NEW_PLACE, current='models/tiny')" in str(info.value)


def test_progress_reaches_every_step_and_set_everywhere_turns_it_off_after_fit(tiny, posts, capsys):
    """progress=True reached the embedder and the text router, not the bucketed model's fit
    (minutes on the real posts); and on a fitted pipeline set_params reaches only the
    unfitted templates, so a notebook's progress=True model kept its bars in a batch job."""
    import skbucket
    from skbucket._models import every_estimator

    X, y = posts
    pipe = _pipe(tiny, classifier="hgb", progress=True)
    assert pipe.named_steps["model"].progress is True
    pipe.fit(X, y)
    assert "BucketedRegressor fit" in capsys.readouterr().err
    pipe.set_params(features__embedding__progress=False, model__progress=False)
    assert any(
        getattr(e, "progress", None) is True for e in every_estimator(pipe)
    )  # the fitted copies kept theirs
    changed = skbucket.set_everywhere(pipe, "progress", False)
    assert changed >= 3
    assert all(e.get_params(deep=False).get("progress") is not True for e in every_estimator(pipe))
    process_memory_cache().clear()
    pipe.predict(X)
    assert "DistilBertEmbedder" not in capsys.readouterr().err


def test_hgb_router_reads_the_numeric_features(tiny, posts):
    X, y = posts
    pipe = _pipe(tiny, classifier="hgb", target_transform="log1p").fit(X[:40], y[:40])
    model = pipe.named_steps["model"]
    assert type(model.classifier_).__name__ == "HistGradientBoostingClassifier"
    features = pipe[:-1].transform(X[40:])
    assert model.classifier_.n_features_in_ == features.shape[1] - 1  # all but the prompt
    assert models_used(pipe)["classifier"] == "HistGradientBoostingClassifier"
    assert np.isfinite(pipe.predict(X[40:])).all()
    # a search over the pipeline names its models; anything else is refused, not guessed at
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(pipe, {"model__clip": [False]}, cv=2)
    assert models_used(search) == models_used(pipe)
    assert models_used(search.fit(X[:40], y[:40])) == models_used(pipe)
    with pytest.raises(ValueError, match="expects a pipeline built by make_seed_pipeline"):
        models_used(model)
    with pytest.raises(ValueError, match="classifier must be 'hybrid', 'distilbert' or 'hgb'"):
        _pipe(tiny, classifier="bert")
    for bins in (5, None, "abc"):  # it sizes the seed regressors: checked when it is built
        with pytest.raises(ValueError, match=r"bins must be a 1-D sequence of bucket upper edges"):
            _pipe(tiny, bins=bins)


def test_fits_with_scikit_learns_metadata_routing_on(tiny, posts):
    # BucketedRegressor and AccountRouter document routing; before, PostFeatures' TargetEncoder
    # raised KeyError: 'groups' inside the pipeline's fit
    import sklearn

    X, y = posts
    expected = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40]).predict(X[40:])
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
        np.testing.assert_allclose(pipe.predict(X[40:]), expected)


@pytest.mark.parametrize("classifier", ["hgb", "hybrid"])
def test_a_pipeline_built_with_routing_on_fits_with_weights(tiny, posts, classifier):
    """Built under routing, the pipeline requested weights for its XGBoost regressors only:
    pipe.fit(X, y, sample_weight=w) stopped at the model, then at each router, one
    UnsetMetadataPassedError at a time. Now it fits as model__sample_weight does without
    routing."""
    import sklearn

    X, y = posts
    w = np.random.default_rng(0).uniform(0.5, 2.0, 40)
    expected = _pipe(tiny, classifier=classifier).fit(X[:40], y[:40], model__sample_weight=w)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _pipe(tiny, classifier=classifier).fit(X[:40], y[:40], sample_weight=w)
        np.testing.assert_allclose(pipe.predict(X[40:]), expected.predict(X[40:]), rtol=1e-6)


def test_a_pipeline_built_with_routing_on_is_scored_with_weights_in_cross_validation(tiny, posts):
    """Built under routing, the pipeline requested weights for fit only: cross_val_score and
    GridSearchCV with params={"sample_weight": w} gave NaN for every fold ("Scoring failed"),
    and the search picked its first candidate."""
    import sklearn
    from sklearn.metrics import r2_score

    X, y = posts
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    folds = list(KFold(2).split(X))
    expected = []
    for train, test in folds:
        pipe = _pipe(tiny, classifier="hgb").fit(
            X.iloc[train], y.iloc[train], model__sample_weight=w[train]
        )
        expected.append(r2_score(y.iloc[test], pipe.predict(X.iloc[test]), sample_weight=w[test]))
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(
            _pipe(tiny, classifier="hgb"), X, y, cv=folds, params={"sample_weight": w}
        )
    np.testing.assert_allclose(scores, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("param", "where"),
    [
        ({"routing": "hrad"}, "model (BucketedRegressor): The 'routing' parameter"),
        ({"clip": "yes"}, "model (BucketedRegressor): The 'clip' parameter"),
        ({"classifier": "hybrid", "epochs": 0}, "model__classifier__unseen (DistilBertClass"),
        ({"max_length": 1}, "(DistilBertClassifier): The 'max_length' parameter"),
        # a device torch cannot name was found when the first model loaded (the CLI blamed
        # the data file); whether the machine has a CUDA device is still a load-time question
        ({"device": "tpu"}, "(DistilBertEmbedder): The 'device' parameter"),
        ({"device": "cuda:x"}, "(DistilBertEmbedder): The 'device' parameter"),
    ],
)
def test_bad_values_are_refused_when_the_pipeline_is_built(tiny, param, where):
    # before: found by the step's own fit, after every post was captioned and embedded
    from sklearn.utils._param_validation import InvalidParameterError

    from skbucket.pipeline import check_params

    with pytest.raises(InvalidParameterError, match=re.escape(where)):
        _pipe(tiny, **param)
    _pipe(tiny, device="cuda:1")  # built on a CPU machine, to be fitted on a GPU one
    _pipe(tiny, device=0)  # a CUDA index, as torch.device(0) and transformers take it
    pipe = _pipe(tiny).set_params(model__routing="hrad")  # after set_params: on request
    with pytest.raises(InvalidParameterError, match="model .BucketedRegressor.: The 'routing'"):
        check_params(pipe)


@pytest.mark.parametrize(
    ("param", "error", "said"),
    [
        ({"prompt__prompt__template": 5}, "PromptError", "`template` must be None"),
        ({"prompt__prompt__template": "{nope}"}, "PromptError", "field {nope}"),
        ({"prompt__prompt__columns": "content"}, "PromptError", "`columns` must be"),
        ({"prompt__prompt__columns": {"text": "x"}}, "PromptError", "unknown role"),
        ({"prompt__prompt__dayfirst": "yes"}, "PromptError", "`dayfirst` must be"),
        ({"model__target_transform": (np.log1p,)}, "ValueError", "pair"),
    ],
)
def test_check_params_refuses_what_the_prompt_builder_and_the_target_pair_would_at_fit(
    tiny, param, error, said
):
    """check_params skipped PromptBuilder (no scikit-learn constraints) and the pair check of
    target_transform: the seed pipeline refused them only after captioning every post."""
    from skbucket.pipeline import check_params
    from skbucket.prompts import PromptError

    pipe = _pipe(tiny, classifier="hgb").set_params(**param)
    where = "model (BucketedRegressor)" if "model__" in next(iter(param)) else "prompt__prompt"
    with pytest.raises({"PromptError": PromptError, "ValueError": ValueError}[error]) as info:
        check_params(pipe)
    assert str(info.value).startswith(where) and said in str(info.value), str(info.value)


@pytest.mark.parametrize("seed", [1.5, "x", True, -1, 2**32])
def test_a_random_state_that_is_no_seed_is_refused_naming_it(tiny, seed):
    """A CLI config's "random_state": 1.5 said only "1.5 cannot be used to seed a
    numpy.random.RandomState instance"."""
    with pytest.raises(ValueError, match=r"^random_state must be an int from 0 to 4294967295"):
        _pipe(tiny, random_state=seed)
    for fine in (None, 0, np.int64(7), 2**32 - 1, np.random.RandomState(0)):
        _pipe(tiny, random_state=fine)


@pytest.mark.parametrize("classifier", ["hgb", "distilbert"])
def test_class_weight_keys_are_read_as_the_fit_reads_them(tiny, classifier):
    """make_seed_pipeline refused the key 3.0 that BucketedRegressor.fit (and scikit-learn's
    lookup) reads as bucket 3; a bool or a string key stays refused by both."""
    pipe = _pipe(tiny, classifier=classifier, class_weight={0: 1.0, 3.0: 2.0})
    assert pipe.get_params()["model__classifier"].get_params()["class_weight"] == {0: 1.0, 3.0: 2.0}
    for key in (True, "3", 2.5, 7, -1):
        with pytest.raises(ValueError, match=r"class_weight keys are bucket numbers 0 \.\. 6"):
            _pipe(tiny, classifier=classifier, class_weight={0: 1.0, key: 2.0})


@pytest.mark.parametrize("param", [{"epochs": "two"}, {"batch_size": 0}, {"max_length": -1}])
def test_fine_tuning_settings_are_checked_with_the_hgb_router_too(tiny, param):
    """With classifier="hgb" the text router is not used, and its settings in a config were
    accepted whatever they were; a typo would surface only on switching routers."""
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=next(iter(param))):
        _pipe(tiny, classifier="hgb", **param)


@pytest.mark.parametrize(
    ("param", "said"),
    [
        ({"embedding_batch_size": 0}, "embedding_batch_size=0: features__embedding "),
        ({"text_model": None}, "text_model=None: features__embedding (DistilBertEmbedder): "),
        ({"embedding_model": 3}, "embedding_model=3: features__embedding "),
        ({"caption_model": 5}, "caption_model=5: caption (Blip2Captioner): The 'model'"),
        ({"caption_model": "m", "caption_batch_size": 0}, "caption_batch_size=0: caption "),
    ],
)
def test_an_error_of_a_renamed_setting_names_the_argument_given(tiny, param, said):
    """A config's "embedding_batch_size": 0 was reported as DistilBertEmbedder's
    'batch_size' (the classifier's own batch_size is another argument)."""
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError) as info:
        _pipe(tiny, **param)
    assert str(info.value).startswith(said), str(info.value)


@pytest.mark.parametrize(
    "param",
    [{"epochs": True}, {"batch_size": True}, {"max_length": np.True_}, {"learning_rate": False}]
    + [{"embedding_batch_size": True}, {"caption_batch_size": True}],
)
def test_a_boolean_for_a_number_is_refused(tiny, param):
    """scikit-learn's checks take True as the int 1: a config's "epochs": true fine-tuned for
    one epoch, "batch_size": true ran batches of one."""
    with pytest.raises(ValueError, match=rf"^{next(iter(param))} must be a number, not a boolean"):
        _pipe(tiny, **param)


def test_the_caption_batch_size_is_checked_without_a_captioner(tiny):
    """Unused with caption_model=None, as the text router's settings are with "hgb", and
    checked all the same: a typo surfaces now, not when captioning is switched on."""
    with pytest.raises(ValueError, match=r"^caption_batch_size must be an int >= 1; got -1"):
        _pipe(tiny, caption_batch_size=-1)
    _pipe(tiny, caption_batch_size=np.int64(2))
    _pipe(tiny, caption_batch_size=None)  # a config's null (taken before the check existed)


def test_check_params_leaves_other_classes_own_check_params_alone(tiny):
    """SelectKBest and NMF have a _check_params(X, ...) of their own: check_params called it
    (a TypeError) for any estimator that had one, PromptBuilder's being meant."""
    from sklearn.decomposition import NMF
    from sklearn.feature_selection import SelectKBest
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    from skbucket.pipeline import check_params

    check_params(make_pipeline(MinMaxScaler(), SelectKBest(k=3), NMF(2), BucketedRegressor()))
    pipe = _pipe(tiny, classifier="hgb", regressors=make_pipeline(SelectKBest(k=3), Ridge()))
    check_params(pipe)


def test_bins_changed_on_a_built_pipeline_need_as_many_regressors_and_check_params_says_so(
    tiny, posts
):
    import skbucket
    from skbucket.pipeline import check_params

    pipe = _pipe(tiny, classifier="hgb", random_state=7).set_params(model__bins=(100, 1000))
    said = (
        r"model \(BucketedRegressor\): regressors has 7 entries but bins=\(100, 1000\) gives 3 "
        r"buckets; give one regressor per bucket \(the seed's: "
        r"regressors=(seed_regressors\(3, random_state=7\)), from skbucket"
    )
    with pytest.raises(ValueError, match=said) as raised:
        check_params(pipe)  # before: passed, and fit failed only after the features were made
    # the advice, followed as written, keeps the pipeline's seed (it named seed_regressors(3):
    # regressors seeded 0, predictions up to 205 likes off the seeded model's)
    advice = re.search(said, str(raised.value)).group(1)
    pipe.set_params(model__regressors=eval(advice, {"seed_regressors": skbucket.seed_regressors}))
    check_params(pipe)
    X, y = posts
    assert pipe.fit(X[:40], y[:40]).named_steps["model"].n_buckets_ == 3
    seeded = _pipe(tiny, classifier="hgb", random_state=7)
    seeded.set_params(model__bins=(100, 1000), model__regressors=None).fit(X[:40], y[:40])
    np.testing.assert_array_equal(pipe.predict(X[40:]), seeded.predict(X[40:]))


def test_input_that_is_no_dataframe_is_named_at_predict_and_inside_the_pipeline(tiny, posts):
    import pyarrow as pa

    X, y = posts
    pipe = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
    # before: scikit-learn's "Specifying the columns using strings is only supported for
    # dataframes" / "container does not have a registered adapter"
    with pytest.raises(ValueError, match=r"reads a pandas or polars DataFrame.*an array"):
        pipe.predict(X[40:].to_numpy())
    with pytest.raises(ValueError, match=r"a pyarrow Table: convert it with \.to_pandas"):
        pipe.predict(pa.Table.from_pandas(X[40:]))
    with pytest.raises(ValueError, match=r"needs set_output\(transform='pandas'\)"):
        _pipe(tiny, classifier="hgb").set_output(transform="default").fit(X[:40], y[:40])


def test_a_column_name_that_is_not_text_is_a_type_error_saying_what_to_do(tiny, posts):
    X, y = posts
    with pytest.raises(TypeError, match=r"X.columns = X.columns.astype\(str\)"):
        _pipe(tiny, classifier="hgb").fit(
            X[:40].assign(**{"note": 1}).rename(columns={"note": 0}), y[:40]
        )


@pytest.mark.parametrize("cache", ["", "   "])
def test_a_blank_cache_folder_is_refused(tiny, cache):
    from skbucket.cache import CacheError

    with pytest.raises(CacheError, match="a folder path"):  # before: ./embeddings, ./captions
        _pipe(tiny, cache=cache)


def test_an_input_prompt_column_gives_way_to_the_built_prompt(tiny, posts):
    X, y = posts
    plain = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
    extra = X.assign(prompt="my own instruction text")  # e.g. from an earlier PromptBuilder
    with_prompt = _pipe(tiny, classifier="hgb").fit(extra[:40], y[:40])
    np.testing.assert_allclose(with_prompt.predict(extra[40:]), plain.predict(X[40:]))
    features = with_prompt[:-1].transform(extra[40:])
    assert list(features.columns).count("prompt") == 1
    assert not (features["prompt"] == "my own instruction text").any()


def test_columns_the_pipeline_does_not_read_are_not_needed_to_predict(tiny, posts):
    from skbucket.features import AUTO_TEXT_COLUMNS, PostFeatures
    from skbucket.pipeline import POST_COLUMNS
    from skbucket.prompts import DEFAULT_COLUMNS

    pf = PostFeatures()
    read = {*DEFAULT_COLUMNS.values(), *AUTO_TEXT_COLUMNS, *pf.category_columns}
    assert set(POST_COLUMNS) == read | {pf.date_column, pf.media_column}
    X, y = posts
    extra = X.assign(source_id=np.arange(len(X)), **{"Unnamed: 0": 0})  # bookkeeping
    pipe = _pipe(tiny, classifier="hgb").fit(extra[:40], y[:40])
    unused = [c for c in extra.columns if c not in POST_COLUMNS]
    assert "id" in unused and "source_id" in unused
    np.testing.assert_allclose(
        pipe.predict(extra[40:].drop(columns=unused)), pipe.predict(extra[40:])
    )


def test_a_column_the_model_was_fitted_with_is_named_when_missing_at_predict(tiny, posts):
    """predict on posts without their content column said scikit-learn's bare "columns are
    missing: {'content'}": now which column, what the model was fitted with, what X holds."""
    pl = pytest.importorskip("polars")
    X, y = posts
    pipe = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
    new = X[40:].drop(columns="content")
    for given in (new, pl.from_pandas(new)):
        with pytest.raises(ValueError) as info:
            pipe.predict(given)
        assert str(info.value) == (
            "the seed pipeline: X lacks the column(s) ['content'] that the model was fitted "
            "with; it reads the columns ['date', 'content', 'username', 'media', "
            "'inferred_company'] of its training posts, and needs each of them to predict (for "
            "posts without text, give the column with missing values); X has the columns "
            "['id', 'date', 'username', 'media', 'inferred_company']"
        )
    with pytest.raises(ValueError, match=r"X lacks the column\(s\) \['username', 'media'\] that"):
        pipe.predict(X[40:].drop(columns=["media", "username"]))
    # posts without text, given as missing values: predicted as posts of empty text
    np.testing.assert_allclose(
        pipe.predict(X[40:].assign(content=None)), pipe.predict(X[40:].assign(content=""))
    )


def test_a_caption_column_given_only_at_predict_is_warned_about_once(tiny, posts):
    """Fitted without a captioner on posts without captions, the model left a caption column
    given at predict out of its prompts without a word (the columns it reads are chosen at
    fit)."""
    import warnings

    X, y = posts
    pipe = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = pipe.predict(X[40:])
        captioned = pipe.predict(X[40:].assign(caption="a photo of a red shoe"))
    ours = [w for w in caught if "the seed pipeline: X has" in str(w.message)]
    assert [str(w.message) for w in ours] == [
        "the seed pipeline: X has the column(s) ['caption'], which the posts the model was "
        "fitted on did not have, so it is not read: the model reads the columns of its "
        "training posts (['date', 'content', 'username', 'media', 'inferred_company']), and "
        "its prompts and post features leave it out; to use it, fit the model on posts that "
        "hold it"
    ]
    assert ours[0].filename == __file__  # the user's line, not the pipeline's
    np.testing.assert_allclose(captioned, plain)  # as the warning says: not read
    # fitted on captioned posts, the caption is read, and nothing is said
    with_captions = _pipe(tiny, classifier="hgb").fit(X[:40].assign(caption="a shoe"), y[:40])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with_captions.predict(X[40:].assign(caption="a photo of a red shoe"))
    assert not [w for w in caught if "the seed pipeline: X has" in str(w.message)]


def test_dayfirst_reaches_the_prompt_and_the_post_features(tiny, posts):
    X, _ = posts
    X = X.iloc[:3].assign(date=["13/04/2021 10:00", "03/04/2021 10:00", "2021-04-05 09:00"])
    params = _pipe(tiny, dayfirst=True).get_params()
    assert params["prompt__prompt__dayfirst"] is True
    assert params["features__post__dayfirst"] is True
    prompts = _pipe(tiny, dayfirst=True)[:2].fit_transform(X)["prompt"]
    assert "2021-04-03 10:00:00, posted on Saturday" in prompts.iloc[1]
    with pytest.raises(PromptError, match="mixes day/month orders"):
        _pipe(tiny)[:2].fit_transform(X)


def test_check_models_loads_what_is_sure_to_be_needed_and_names_what_is_not(tiny, posts, tmp_path):
    import shutil

    from skbucket._models import ModelNotAvailableError
    from skbucket.pipeline import check_models

    pipe = _pipe(tiny, caption_model=str(tmp_path / "no-such-blip2"))
    # the captioner is not checked (it loads at the first image it captions); the embedder
    # and the classifier to fine-tune are
    assert check_models(pipe) == {
        "features__embedding": tiny,
        "model__classifier__unseen": tiny,
    }
    seed = _pipe(tiny, classifier="distilbert", embedding_model=tiny)
    seed.set_params(model__classifier__model=str(tmp_path / "no-such-model"))
    with pytest.raises(ModelNotAvailableError, match=r"^model__classifier \(Distil.*no-such-m"):
        check_models(seed)
    # a fitted pipeline whose classifier's base model is gone still predicts: only its
    # embedder needs a checkpoint then
    other = tmp_path / "other"
    shutil.copytree(tiny, other)
    fitted = _pipe(tiny, classifier="distilbert", embedding_model=tiny)
    fitted.set_params(model__classifier__model=str(other)).fit(*posts)
    shutil.rmtree(other)
    assert check_models(fitted, fit=False) == {"features__embedding": tiny}
    assert len(fitted.predict(posts[0])) == len(posts[0])
    with pytest.raises(ModelNotAvailableError, match=r"^model__classifier \(Distil.*other"):
        check_models(fitted)  # refitting would need it


def test_check_models_refuses_a_text_model_it_cannot_use_before_any_work(tiny, posts, tmp_path):
    """Each of these was found only after captioning and embedding, or never: a folder saved
    without its tokenizer fitted without a word (every word read as [UNK], all texts
    embedded alike), a BLIP-2 folder given as the text model was an AttributeError
    traceback, and a max_length too long for the model failed after the embedding."""
    import shutil

    from skbucket._models import ModelNotAvailableError, clear_model_registry
    from skbucket.pipeline import check_models

    no_tokenizer = tmp_path / "no-tokenizer"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(Path(tiny) / name, no_tokenizer / name)
    clear_model_registry()
    for params, error, says in (
        ({"text_model": str(no_tokenizer)}, ModelNotAvailableError, "knows only its 5 special"),
        (
            {"text_model": make_tiny_blip2(tmp_path / "blip2")},
            ModelNotAvailableError,
            "is a 'blip-2' checkpoint, not a text encoder",
        ),
        ({"max_length": 10_000}, ValueError, "max_length=10000 exceeds"),
    ):
        pipe = _pipe(tiny, **params)
        with pytest.raises(error, match=rf"^[\w_]+ \(DistilBert\w+\): .*{says}"):
            check_models(pipe)
        with pytest.raises(error, match=says):  # and the estimators themselves, at fit
            pipe.fit(*posts)
    embedder = DistilBertEmbedder(model=str(no_tokenizer), cache=False, progress=False)
    with pytest.raises(ModelNotAvailableError, match="tokenizer.save_pretrained"):
        embedder.fit_transform(["hello world"])
    classifier = DistilBertClassifier(model=str(no_tokenizer), epochs=1, progress=False)
    with pytest.raises(ModelNotAvailableError, match="knows only its 5 special"):
        classifier.fit(["hello world", "a post"], [0, 1])


def test_column_names_of_several_levels_are_refused_with_a_remedy_that_works(tiny, posts):
    """pd.concat({'a': X}, axis=1): the seed pipeline failed in its column selector ("Can
    only use .str accessor with Index, not MultiIndex"), and the estimators' remedy (join
    the levels) gave 'a_content', which failed again."""
    X, y = posts
    nested = pd.concat({"a": X}, axis=1)
    pipe = _pipe(tiny)
    with pytest.raises(
        ValueError,
        match=r"the seed pipeline: the column names of X have 2 "
        r"levels .*flatten them first, e\.g\. (X\.columns = .*)$",
    ) as caught:
        pipe.fit(nested, y)
    remedy = re.search(r"e\.g\. (X\.columns = .*)$", str(caught.value)).group(1)
    assert remedy == "X.columns = X.columns.get_level_values(1)"
    exec(remedy, {"X": nested})
    pd.testing.assert_index_equal(nested.columns, X.columns)
    pipe.fit(nested[:30], y[:30])
    with pytest.raises(ValueError, match="levels"):
        pipe.predict(pd.concat({"a": X[30:]}, axis=1))
    # names from .agg: level 0 where its names are unique, else the levels joined
    from skbucket._frames import _flattening

    agg = pd.MultiIndex.from_tuples([("content", "first"), ("likes", "mean")])
    assert _flattening(agg, "content") == "X.columns = X.columns.get_level_values(0)"
    agg = pd.MultiIndex.from_tuples([("content", "first"), ("likes", "mean"), ("likes", "max")])
    assert _flattening(agg, "content").startswith("X.columns = ['_'.join")


def test_a_short_text_model_is_usable_through_make_seed_pipeline(posts, tmp_path):
    """A checkpoint of 64 positions: the error said "use max_length <= 64", but
    make_seed_pipeline's max_length is the classifier's only, so following it changed nothing
    and the command line could not fit such a model at all."""
    from skbucket.pipeline import check_models

    short = make_tiny_distilbert(tmp_path / "short", max_position_embeddings=64)
    pipe = _pipe(short, max_length=64, classifier="distilbert")
    with pytest.raises(
        ValueError,
        match=r"^features__embedding \(DistilBertEmbedder\): .*"
        r"max_length=512 exceeds .*use max_length <= 64\. \(set_params\("
        r"features__embedding__max_length=\.\.\.\); make_seed_pipeline's and "
        r"a configuration's 'embedding_max_length'\)",
    ):
        check_models(pipe)
    pipe = _pipe(short, max_length=64, embedding_max_length=64, classifier="distilbert")
    assert pipe.get_params()["features__embedding__max_length"] == 64
    check_models(pipe)
    X, y = posts
    assert np.isfinite(pipe.fit(X[:30], y[:30]).predict(X[30:])).all()
    with pytest.raises(ValueError, match="embedding_max_length must be a number, not a boolean"):
        _pipe(short, embedding_max_length=True)


def test_models_used_names_a_step_of_your_own_by_its_class(tiny):
    """A review: a captioning or embedding step put in by set_params without a ``model``
    (a transformer of your own) was an AttributeError, which stopped ``skbucket report``
    (it leaves out only the ValueError of a pipeline that is no seed pipeline)."""
    from sklearn.preprocessing import FunctionTransformer

    pipe = _pipe(tiny, classifier="hgb").set_params(
        caption=FunctionTransformer(), features__embedding=FunctionTransformer()
    )
    assert models_used(pipe) == {
        "captioner": "FunctionTransformer",
        "classifier": "HistGradientBoostingClassifier",
        "embedder": "FunctionTransformer",
    }


def test_a_fitted_pipeline_is_described_by_the_parts_it_predicts_with(tiny, posts, tmp_path):
    """set_params on a fitted seed pipeline changes the ColumnTransformer's and the
    BucketedRegressor's templates, not the fitted copies that predict: models_used,
    check_models(fit=False) and model_dayfirst describe the copies."""
    import shutil

    from skbucket.pipeline import check_models
    from skbucket.plotting import model_dayfirst

    other = tmp_path / "other"
    shutil.copytree(tiny, other)
    X, y = posts
    pipe = _pipe(tiny, classifier="hybrid").fit(X[:40], y[:40])
    before, pred = models_used(pipe), pipe.predict(X[40:])
    pipe.set_params(
        features__embedding__model=str(other),
        model__classifier__unseen__model=str(other),
        prompt__prompt__dayfirst=True,
        features__post__dayfirst=True,
    )
    np.testing.assert_array_equal(pipe.predict(X[40:]), pred)  # the fitted copies predict
    assert models_used(pipe) == before
    assert before["embedder"] == before["classifier"]["unseen"] == tiny
    assert model_dayfirst(pipe) is False
    shutil.rmtree(other)
    assert check_models(pipe, fit=False) == {"features__embedding": tiny}
    # fitted again, the new settings are what it uses
    shutil.copytree(tiny, other)
    pipe.set_params(prompt__prompt__dayfirst=False, features__post__dayfirst=False)
    after = models_used(pipe.fit(X[:40], y[:40]))
    assert after["embedder"] == after["classifier"]["unseen"] == str(other)
    # an unfitted pipeline is described by its parameters
    fresh = _pipe(tiny).set_params(features__post__dayfirst=True, prompt__prompt__dayfirst=True)
    assert model_dayfirst(fresh) is True


def test_polars_posts_give_the_pandas_predictions(tiny, posts):
    pl = pytest.importorskip("polars")
    X, y = posts
    expected = _pipe(tiny).fit(X[:40], y[:40]).predict(X[40:])
    pipe = _pipe(tiny).fit(pl.from_pandas(X[:40]), y[:40])
    np.testing.assert_allclose(pipe.predict(pl.from_pandas(X[40:])), expected, rtol=1e-6)
    np.testing.assert_allclose(pipe.predict(X[40:]), expected, rtol=1e-6)
    # polars between the steps too (set_output), down to the bucketed model and its router
    pipe = _pipe(tiny).set_output(transform="polars").fit(X[:40], y[:40])
    assert type(pipe[:-1].transform(X[40:])).__module__.startswith("polars")
    np.testing.assert_allclose(pipe.predict(pl.from_pandas(X[40:])), expected, rtol=1e-6)
    # the selectors read polars columns as scikit-learn's read pandas ones, and say what they are
    selector = pipe.named_steps["model"].regressor_columns
    assert repr(selector) == "_ColumnPattern(pattern='^(?!prompt$)')"
    frame = pd.DataFrame(columns=["prompt", "a", "prompts"])
    assert selector(frame) == selector(pl.from_pandas(frame)) == ["a", "prompts"]
    # other containers: a ValueError that says what the pipeline reads
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(ValueError, match=r"pandas or polars DataFrame.*numpy.ndarray \(an array"):
        _pipe(tiny).fit(X[:40].to_numpy(), y[:40])
    table = pa.Table.from_pandas(X[:40])
    with pytest.raises(ValueError, match=r"got pyarrow.lib.Table \(a pyarrow Table: convert"):
        _pipe(tiny).fit(table, y[:40])
    with pytest.raises(ValueError, match=r"got pyarrow.lib.Table \(a pyarrow Table: convert"):
        pipe.predict(table)  # before: scikit-learn's "container does not have an adapter"
    # a LazyFrame at predict as at fit (predict gave "Expected 2D array, got scalar array")
    lazy = pl.from_pandas(X[40:]).lazy()
    for step in (lambda: pipe.predict(lazy), lambda: _pipe(tiny).fit(lazy, y[40:])):
        with pytest.raises(TypeError, match=r"LazyFrame.*call \.collect\(\)"):
            step()


def test_a_repeated_column_the_pipeline_does_not_read_is_named(tiny, posts):
    """A second "id" column gave narwhals' bare "DuplicateError: Expected unique column
    names" from inside scikit-learn, at fit and at predict."""
    X, y = posts
    twice = pd.concat([X, X[["id"]]], axis=1)
    said = r"^the seed pipeline: column 'id' appears 2 times in X; .*\(rename or drop"
    with pytest.raises(ValueError, match=said):
        _pipe(tiny, classifier="hgb").fit(twice[:40], y[:40])
    pipe = _pipe(tiny, classifier="hgb").fit(X[:40], y[:40])
    with pytest.raises(ValueError, match=said):
        pipe.predict(twice[40:])


# ------------------------------------------------------------------ columns by role (ColumnRoles)
_THEIRS = {"content": "text", "username": "handle", "date": "posted_at"}


def _their_table(X):
    """The posts under a user's own column names (``_THEIRS``)."""
    return X.rename(columns={role: name for role, name in _THEIRS.items()})


def test_columns_by_role_read_a_table_with_other_names(tiny, posts):
    """make_seed_pipeline(columns=...) reads a table with other column names as the same
    table under the names the pipeline reads (before: the posts' text, username and date
    were dropped by the column selection, so the model was fitted without them)."""
    X, y = posts
    expected = _pipe(tiny).fit(X[:40], y[:40]).predict(X[40:])
    pipe = _pipe(tiny, columns=_THEIRS).fit(_their_table(X[:40]), y[:40])
    assert [name for name, _ in pipe.steps] == ["roles", "caption", "prompt", "features", "model"]
    np.testing.assert_allclose(pipe.predict(_their_table(X[40:])), expected, rtol=1e-6)
    prompts = pipe[:-1].transform(_their_table(X[40:]))["prompt"]
    assert X["content"].iloc[40] in prompts.iloc[0] and X["username"].iloc[40] in prompts.iloc[0]
    # new posts are read by the same names: the table under the pipeline's names is refused
    with pytest.raises(ValueError, match=r"'text' \(for 'content'\), 'handle' \(for 'username'"):
        pipe.predict(X[40:])
    assert pipe.get_params()["roles__columns"] == _THEIRS
    # a copy, a grid search's clone and a joblib round trip keep the mapping
    np.testing.assert_allclose(
        clone(pipe).fit(_their_table(X[:40]), y[:40]).predict(_their_table(X[40:])),
        expected,
        rtol=1e-6,
    )


def test_no_columns_no_roles_step(tiny, posts):
    assert "roles" not in _pipe(tiny).named_steps
    # {} is a mapping: its step renames nothing, and checks the roles the pipeline reads
    pipe = _pipe(tiny, classifier="hgb", columns={})
    X, y = posts
    assert pipe.named_steps["roles"].columns == {}
    with pytest.raises(ValueError, match=r"no column of X holds the role\(s\) \['date'\]"):
        pipe.fit(X.drop(columns=["date"])[:40], y[:40])


@pytest.mark.parametrize(
    "columns, match",
    [
        (
            {"text": "content"},
            r"roles \(ColumnRoles\): .*the roles are \['content'.*key\(s\) \['text'\]",
        ),
        ({"content": ""}, r"non-empty str.*\{'content': ''\}"),
        ({"content": 3}, r"non-empty str.*\{'content': 3\}"),
        ({"content": "text", "caption": "text"}, r"column\(s\) \['text'\] for more than one role"),
        (["content"], r"'columns' parameter of ColumnRoles must be an instance of 'dict'"),
    ],
)
def test_a_bad_columns_mapping_is_refused_when_the_pipeline_is_built(tiny, columns, match):
    with pytest.raises(ValueError, match=match):
        _pipe(tiny, columns=columns)


def test_column_roles_check_required_roles_and_rows():
    from skbucket.pipeline import ColumnRoles

    with pytest.raises(ValueError, match=r"required holds roles of .*got \['likes'\]"):
        ColumnRoles(required=("date", "likes")).fit(pd.DataFrame({"date": ["2021-01-01"]}))
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        ColumnRoles(columns={"content": "text"}).fit(pd.DataFrame({"text": []}))


def test_column_roles_rename_give_way_and_swap():
    from skbucket.pipeline import ColumnRoles

    posts = pd.DataFrame(
        {"id": [1, 2], "content": ["<p>html</p>", "<b>x</b>"], "text": ["plain", "words"]},
        index=[10, 11],
    )
    roles = ColumnRoles(columns={"content": "text"}).fit(posts)
    out = roles.transform(posts)
    # the column given for the role takes its name; the one that bore it is not read
    assert list(out.columns) == ["id", "content"] == list(roles.get_feature_names_out())
    assert out["content"].tolist() == ["plain", "words"] and list(out.index) == [10, 11]
    swap = ColumnRoles(columns={"content": "caption", "caption": "content"})
    both = pd.DataFrame({"content": ["a caption"], "caption": ["the text"]})
    out = swap.fit_transform(both)
    assert out.to_dict("list") == {"caption": ["a caption"], "content": ["the text"]}
    # a role given its own name renames nothing; None renames nothing
    assert ColumnRoles(columns={"content": "content"}).fit(posts).columns_ == {}
    pd.testing.assert_frame_equal(ColumnRoles().fit_transform(posts), posts)
    # the other columns may differ at transform (as for the pipeline's other steps)
    assert list(roles.transform(posts[["text"]].assign(extra=0)).columns) == ["content", "extra"]
    with pytest.raises(ValueError, match=r"'text' \(for 'content'\) given in columns= not found"):
        roles.transform(posts[["id"]])
    with pytest.raises(ValueError, match=r"column 'text' appears 2 times"):
        roles.transform(pd.concat([posts, posts[["text"]]], axis=1))


def test_column_roles_read_polars_and_give_the_container_asked_for():
    pl = pytest.importorskip("polars")
    from skbucket.pipeline import ColumnRoles

    roles = ColumnRoles(columns={"username": "handle"})
    out = roles.fit_transform(pl.DataFrame({"handle": ["nike"], "likes": [3]}))
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["username", "likes"]
    out = roles.set_output(transform="polars").transform(pl.DataFrame({"handle": ["adidas"]}))
    assert isinstance(out, pl.DataFrame) and out.columns == ["username"]
    with pytest.raises(ValueError, match=r"pandas or polars DataFrame.*an array"):
        roles.transform(np.array([["nike"]]))


def test_column_roles_tags_say_it_passes_text_and_missing_values_on():
    from skbucket.pipeline import ColumnRoles

    roles = ColumnRoles(columns={"content": "text"})
    frame = pd.DataFrame({"text": ["a", None], "username": ["u", np.nan]})
    out = roles.fit_transform(frame)
    assert out["content"].tolist()[0] == "a" and out.isna().to_numpy().sum() == 2
    tags = roles.__sklearn_tags__().input_tags
    assert tags.string and tags.allow_nan


@each_data_free_check
def test_column_roles_sklearn_api_checks(check):
    from skbucket.pipeline import ColumnRoles

    run_check(check, ColumnRoles(columns={"content": "text"}))


def test_a_role_no_column_holds_is_named_before_any_embedding(tiny, posts, embed_calls):
    """A mapping that leaves a role the post features read without a column (media under
    another name, not mapped; a column taken for another role) failed in PostFeatures, after
    every text was embedded (and every image captioned), advising parameters that cannot
    reach inside the pipeline."""
    X, y = posts
    theirs = _their_table(X[:40]).rename(columns={"media": "attachments"})
    with pytest.raises(ValueError, match=r"no column of X holds the role\(s\) \['media'\]"):
        _pipe(tiny, columns=_THEIRS, cache=False).fit(theirs, y[:40])
    taken = {"inferred_company": "username"}
    with pytest.raises(ValueError, match=r"'username' \(its column is read as 'inferred_company'"):
        _pipe(tiny, columns=taken, cache=False).fit(X[:40], y[:40])
    assert embed_calls == []
    # a pipeline set not to read a role: the error says where to take it out, and that works
    pipe = _pipe(tiny, classifier="hgb", columns=_THEIRS)
    pipe.set_params(features__post__media_column=None)
    with pytest.raises(ValueError, match=r"must also take it out of the roles") as caught:
        pipe.fit(theirs, y[:40])
    # the call the message gives, as written (it read as if that happened by itself)
    remedy = re.search(r"(set_params\(roles__required=.*\))\)$", str(caught.value)).group(1)
    assert remedy == "set_params(roles__required=('username', 'inferred_company', 'date'))"
    eval(f"pipe.{remedy}", {"pipe": pipe})
    assert np.isfinite(pipe.fit(theirs, y[:40]).predict(theirs)).all()


def test_a_refit_the_roles_step_refuses_leaves_the_pipeline_unfitted(tiny, posts):
    from sklearn.exceptions import NotFittedError

    X, y = posts
    pipe = _pipe(tiny, classifier="hgb", columns=_THEIRS).fit(_their_table(X[:40]), y[:40])
    pipe.set_params(roles__columns={**_THEIRS, "content": "body"})
    with pytest.raises(ValueError, match=r"'body' \(for 'content'\)"):
        pipe.fit(_their_table(X[:40]), y[:40])
    with pytest.raises(NotFittedError):  # not the old mapping's fit under the new settings
        pipe.predict(_their_table(X[40:]))


def test_one_post_as_a_series_is_refused_saying_how_to_take_a_row(tiny, posts):
    X, y = posts
    for columns in (None, _THEIRS):
        pipe = _pipe(tiny, classifier="hgb", columns=columns)
        data = X if columns is None else _their_table(X)
        pipe.fit(data[:40], y[:40])
        with pytest.raises(ValueError, match=r"a Series: .*X\.iloc\[\[i\]\]"):
            pipe.predict(data.iloc[40])


def test_unseen_posts_of_int_named_category_columns():
    """A review: the masks were keyed by str(column) and looked up by the column itself, so
    columns named 0 and 1 raised KeyError, even with no post new."""
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import make_pipeline

    from skbucket.features import PostFeatures
    from skbucket.pipeline import unseen_accounts_text, unseen_posts

    posts = pd.DataFrame({0: ["a", "b", "a", "b"], 1: ["x", "x", "y", "y"]})
    pipe = make_pipeline(
        PostFeatures(
            date_column=None, media_column=None, text_columns=(), category_columns=(0, 1), cv=2
        ),
        DummyRegressor(),
    ).fit(posts, [1, 10, 100, 1000])
    assert not any(mask.any() for mask in unseen_posts(pipe, posts).values())
    new = posts.assign(**{"0": None}).drop(columns="0")
    new[0] = ["a", "c", "c", "b"]
    assert unseen_posts(pipe, new)[0].tolist() == [False, True, True, False]
    assert unseen_accounts_text(pipe, new).startswith("posts whose 0 was not seen in training: 2")


def test_unseen_posts_of_polars_posts_and_of_a_repeated_column():
    """A review: the pipeline predicts a polars DataFrame, but unseen_posts and
    unseen_accounts_text read its (missing) index: an AttributeError; a repeated column, a
    DataFrame under one name, failed in pandas instead of finding nothing (as seen_posts)."""
    pl = pytest.importorskip("polars")
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import make_pipeline

    from skbucket.pipeline import unseen_accounts_text, unseen_posts

    posts = pd.DataFrame({"username": ["a", "b", "a", "b"], "inferred_company": list("xxyy")})
    pipe = make_pipeline(
        PostFeatures(date_column=None, media_column=None, cv=2), DummyRegressor()
    ).fit(posts, [1, 10, 100, 1000])
    new = posts.assign(username=["a", "c", "c", "b"])
    expected = unseen_posts(pipe, new)
    found = unseen_posts(pipe, pl.from_pandas(new))
    assert list(found) == list(expected) == ["username", "inferred_company"]
    assert found["username"].tolist() == [False, True, True, False]
    assert unseen_accounts_text(pipe, pl.from_pandas(new)) == unseen_accounts_text(pipe, new)
    repeated = pd.concat([new, new[["username"]]], axis=1)
    assert unseen_posts(pipe, repeated) == {}


def test_seen_posts_reads_the_tables_own_column_names_and_looks_inside_a_search(posts):
    """The training posts are told by the columns the model reads under their roles: a table
    whose account column is "account" (a ColumnRoles mapping) is read from there, and a
    search is looked into (its best estimator, refitted on every training post)."""
    import warnings

    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import Pipeline

    from skbucket.features import PostFeatures
    from skbucket.metrics import evaluate_estimator
    from skbucket.pipeline import (
        ColumnRoles,
        TrainingPostsWarning,
        seen_posts,
        training_posts_text,
    )

    X, y = posts[0].iloc[:12], posts[1].iloc[:12].to_numpy()
    table = X.rename(columns={"username": "account"})
    pipe = Pipeline(
        [
            ("roles", ColumnRoles(columns={"username": "account"})),
            ("post", PostFeatures(cv=2, random_state=0)),
            ("model", DummyRegressor()),
        ]
    )
    search = GridSearchCV(pipe, {"model__strategy": ["mean", "median"]}, cv=2).fit(table, y)
    train, new = table.iloc[:8], table.iloc[8:].assign(content="never posted")
    for fitted in (search, search.best_estimator_):
        mask = seen_posts(fitted, pd.concat([train, new]))
        assert mask.tolist() == [True] * 8 + [False] * 4
    assert training_posts_text(search, pd.concat([train, new])).startswith(
        "8 of the 12 posts scored (67%) were among the model's training posts (the same "
        "account, inferred_company, date, media and content): "
    )
    assert seen_posts(search, X) is None  # no "account" column: nothing to tell them by
    with pytest.warns(TrainingPostsWarning, match=r"^8 of the 12 posts scored \(67%\)") as info:
        evaluate_estimator(search, pd.concat([train, new]), y)
    assert info[0].filename == __file__  # the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingPostsWarning)
        evaluate_estimator(search, new, y[8:])
        assert training_posts_text(search, new) == ""
