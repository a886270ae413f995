"""Tests for skbucket.captioning.Blip2Captioner, on a tiny random BLIP-2 built on disk.

References are computed the documented way, image by image:
``model.generate(**processor(images=img, text=prompt), max_new_tokens, num_beams)`` decoded
with ``skip_special_tokens=True`` (prompt tokens removed) and stripped. Work done is counted on
the real ``Blip2ForConditionalGeneration.generate`` (wrapped, never replaced).
"""

from __future__ import annotations

import collections
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
Image = pytest.importorskip("PIL.Image")

from _sklearn_checks import each_data_free_check, run_check  # noqa: E402
from _tiny_blip2 import make_tiny_blip2  # noqa: E402
from sklearn.base import clone  # noqa: E402

from skbucket import media as media_mod  # noqa: E402
from skbucket._models import ModelNotAvailableError  # noqa: E402
from skbucket.cache import (  # noqa: E402
    CacheError,
    DiskCache,
    MemoryCache,
    hash_key,
    process_memory_cache,
)
from skbucket.captioning import (  # noqa: E402
    CAPTION_SEPARATOR,
    ERROR_COLUMNS,
    Blip2Captioner,
    CaptioningError,
)

TOKENS = 8  # max_new_tokens used in most tests (fast)

# Many tests here fail images on purpose (on_error="skip"); the warning has its own test.
pytestmark = pytest.mark.filterwarnings("ignore::skbucket.captioning.CaptioningWarning")
TESTS_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------------------
# fixtures: model, images, local HTTP server
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def blip2_path(tmp_path_factory) -> str:
    return make_tiny_blip2(tmp_path_factory.mktemp("tiny-blip2"), image_size=32)


@pytest.fixture(scope="session")
def reference(blip2_path):
    """``reference(image, prompt=None, tokens=TOKENS, beams=1)``: the model's own caption."""
    import torch
    from transformers import Blip2ForConditionalGeneration, Blip2Processor

    processor = Blip2Processor.from_pretrained(blip2_path)
    model = Blip2ForConditionalGeneration.from_pretrained(blip2_path).eval()

    def caption(image, prompt=None, tokens=TOKENS, beams=1):
        if not isinstance(image, Image.Image):
            image = media_mod.decode_image(Path(image).read_bytes())
        inputs = processor(images=image, text=prompt, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=tokens, num_beams=beams, do_sample=False)
        if prompt is not None:
            out = out[:, inputs["input_ids"].shape[1] :]
        return processor.batch_decode(out, skip_special_tokens=True)[0].strip()

    return caption


def _encode(image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _png_declared(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width x height`` 1-bit pixels (a decompression bomb)."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        body = tag + payload
        return len(payload).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> dict[str, Path]:
    """Real photos (sklearn's two sample JPEGs), generated images, and bad files."""
    from sklearn.datasets import load_sample_images

    folder = tmp_path_factory.mktemp("captioning-images")
    rng = np.random.default_rng(0)
    samples = load_sample_images()
    files = {
        "china.jpg": Path(samples.filenames[0]).read_bytes(),
        "flower.jpg": Path(samples.filenames[1]).read_bytes(),
        "cmyk.jpg": _encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG", quality=95),
        "grey.jpg": _encode(
            Image.fromarray(rng.integers(0, 256, (30, 40), dtype=np.uint8)), "JPEG"
        ),
        "rgba.png": _encode(
            Image.fromarray(rng.integers(0, 256, (30, 40, 4), dtype=np.uint8), "RGBA"), "PNG"
        ),
        "photo.png": _encode(
            Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)), "PNG"
        ),
        "anim.gif": _encode(
            Image.new("RGB", (20, 20), "red").convert("P"),
            "GIF",
            save_all=True,
            append_images=[Image.new("RGB", (20, 20), "blue").convert("P")],
        ),
        "corrupt.jpg": bytes(rng.integers(0, 256, 3000, dtype=np.uint8)),
        "text.jpg": b"this is a text file that someone named .jpg\n",
        "bomb.png": _png_declared(20_000, 20_000),  # 400 Mpx > 2 x PIL.Image.MAX_IMAGE_PIXELS
    }
    for i in range(8):
        array = rng.integers(0, 256, (24 + i, 32, 3), dtype=np.uint8)
        files[f"gen{i}.jpg"] = _encode(Image.fromarray(array), "JPEG", quality=90)
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


class _Server:
    def __init__(self, base: str, hits: collections.Counter):
        self.base = base
        self.hits = hits

    def url(self, path: str) -> str:
        return self.base + path


SLOW_S = 1.5


@pytest.fixture(scope="session")
def server(images):
    """Local HTTP server on 127.0.0.1: /img/<name>, /missing (404), /slow/<name>."""
    hits: collections.Counter = collections.Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with lock:
                hits[self.path] += 1
            name = self.path.rsplit("/", 1)[-1]
            try:
                if self.path.startswith("/slow/"):
                    time.sleep(SLOW_S)
                if self.path.startswith(("/img/", "/slow/")) and name in images:
                    body, code = images[name].read_bytes(), 200
                else:
                    body, code = b"not here", 404
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield _Server(f"http://127.0.0.1:{httpd.server_address[1]}", hits)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def generate_calls(monkeypatch):
    """Batch sizes of every real ``Blip2ForConditionalGeneration.generate`` call."""
    from transformers import Blip2ForConditionalGeneration

    calls: list[int] = []
    original = Blip2ForConditionalGeneration.generate

    def counting(self, pixel_values, *args, **kwargs):
        calls.append(int(pixel_values.shape[0]))
        return original(self, pixel_values, *args, **kwargs)

    monkeypatch.setattr(Blip2ForConditionalGeneration, "generate", counting)
    return calls


def captioner(blip2_path, **params) -> Blip2Captioner:
    params = {"max_new_tokens": TOKENS, "cache": False, "progress": False, **params}
    return Blip2Captioner(model=blip2_path, **params)


def frame(media, **extra) -> pd.DataFrame:
    return pd.DataFrame({"media": media, **extra})


# ---------------------------------------------------------------------------------------------
# exact captions
# ---------------------------------------------------------------------------------------------
GOOD = ["china.jpg", "flower.jpg", "cmyk.jpg", "grey.jpg", "rgba.png", "photo.png", "anim.gif"]


@pytest.mark.parametrize("prompt", [None, "a photo of"])
def test_captions_equal_model_generate_image_by_image(blip2_path, images, reference, prompt):
    X = frame([str(images[name]) for name in GOOD] + [str(images[f"gen{i}.jpg"]) for i in range(5)])
    out = captioner(blip2_path, prompt=prompt, batch_size=4).fit_transform(X)
    expected = [reference(media, prompt=prompt) for media in X["media"]]
    assert out["caption"].tolist() == expected
    assert all(expected)  # the tiny model says something for every image
    assert len(set(expected)) > 3  # and different things for different images


def test_captioning_writes_lines_of_progress_in_a_log(blip2_path, images, capsys):
    """An hour of captioning written to a log showed nothing; within progress_lines it writes
    lines counting images (a row can hold several), as the command line's log shows them."""
    from skbucket.pipeline import progress_lines

    X = frame([str(images["china.jpg"]), [str(images["flower.jpg"]), str(images["grey.jpg"])]])
    with progress_lines(every=0):
        captioner(blip2_path, progress=None).fit_transform(X)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(", ")[0] for line in lines if line.startswith("Blip2")] == [
        "Blip2Captioner transform: 1 of 3 images (33%)",
        "Blip2Captioner transform: 2 of 3 images (66%)",
        "Blip2Captioner transform: 3 of 3 images (100%)",
    ]


def test_beam_search_and_longer_captions_match_too(blip2_path, images, reference):
    names = ["china.jpg", "flower.jpg", "gen0.jpg"]
    X = frame([str(images[n]) for n in names])
    out = captioner(blip2_path, num_beams=3, max_new_tokens=12, batch_size=2).fit_transform(X)
    assert out["caption"].tolist() == [reference(images[n], tokens=12, beams=3) for n in names]


def test_batch_size_does_not_change_captions(blip2_path, images):
    X = frame([str(images[f"gen{i}.jpg"]) for i in range(8)])
    one = captioner(blip2_path, batch_size=1).fit_transform(X)
    eight = captioner(blip2_path, batch_size=8).fit_transform(X)
    assert one["caption"].tolist() == eight["caption"].tolist()


def test_several_images_joined_in_order_and_no_media_is_empty(blip2_path, images, reference):
    a, b, c = (images[n] for n in ("gen1.jpg", "gen2.jpg", "gen3.jpg"))
    X = frame([[str(a), str(b)], None, [str(c), str(a)], "", "[]", float("nan"), [str(b)]])
    out = captioner(blip2_path).fit_transform(X)
    ca, cb, cc = reference(a), reference(b), reference(c)
    assert out["caption"].tolist() == [
        f"{ca}{CAPTION_SEPARATOR}{cb}",
        "",
        f"{cc}{CAPTION_SEPARATOR}{ca}",
        "",
        "",
        "",
        cb,
    ]


def test_scraper_text_photo_video_gif_and_urls(blip2_path, images, server, reference):
    photo = server.url("/img/gen4.jpg")
    thumb = server.url("/img/gen5.jpg")
    text = (
        f"[Photo(previewUrl='{server.url('/img/gen6.jpg')}', fullUrl='{photo}'), "
        f"Video(thumbnailUrl='{thumb}', variants=[VideoVariant(contentType='video/mp4', "
        "url='https://video.twimg.com/x.mp4', bitrate=832000)], duration=12.5, views=40)]"
    )
    gif = f"[Gif(thumbnailUrl='{server.url('/img/gen7.jpg')}', variants=[])]"
    X = frame([text, gif, images["gen0.jpg"].as_uri()])
    out = captioner(blip2_path).fit_transform(X)
    assert out["caption"].tolist() == [
        reference(images["gen4.jpg"]) + CAPTION_SEPARATOR + reference(images["gen5.jpg"]),
        reference(images["gen7.jpg"]),
        reference(images["gen0.jpg"]),
    ]


def test_same_text_as_the_image_text_to_text_pipeline(blip2_path, images):
    from transformers import pipeline

    names = ["china.jpg", "gen0.jpg", "gen1.jpg"]
    pipe = pipeline("image-text-to-text", model=blip2_path, device="cpu")
    gen = {"max_new_tokens": TOKENS, "num_beams": 1, "do_sample": False}
    peer = [
        r[0]["generated_text"].strip()
        for r in pipe(
            ({"images": str(images[n]), "text": ""} for n in names),
            batch_size=2,
            generate_kwargs=gen,
        )
    ]
    out = captioner(blip2_path, batch_size=2).fit_transform(frame([str(images[n]) for n in names]))
    assert out["caption"].tolist() == peer


def test_prompt_is_not_repeated_in_caption(blip2_path, images):
    out = captioner(blip2_path, prompt="a photo of").fit_transform(frame([str(images["gen0.jpg"])]))
    assert not out["caption"].iloc[0].startswith("a photo of")


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_a_prompt_holding_the_image_token_is_refused_by_name(blip2_path, images, on_error):
    """A prompt written as other models' are ("<image> a photo of") gave one image token
    more than the image has features: torch's "Number of elements of source < number of
    ones in mask" from the first batch, a RuntimeError that named neither prompt nor token."""
    est = captioner(blip2_path, prompt="<image> a photo of", on_error=on_error)
    with pytest.raises(ValueError, match=r"prompt='<image> a photo of' holds '<image>'"):
        est.fit_transform(frame([str(images["gen0.jpg"]), str(images["gen1.jpg"])]))


# ---------------------------------------------------------------------------------------------
# work done once
# ---------------------------------------------------------------------------------------------
def test_each_distinct_image_fetched_once_and_captioned_once(
    blip2_path, images, server, generate_calls
):
    fetched = collections.Counter()

    def loader(ref):
        fetched[ref] += 1
        return Path(ref).read_bytes()

    names = [f"gen{i}.jpg" for i in range(6)]
    refs = [str(images[n]) for n in names]
    # reposts: the same path again, and gen0 also as a copy under another name
    copy = images["gen0.jpg"].with_name("repost-of-gen0.jpg")
    copy.write_bytes(images["gen0.jpg"].read_bytes())
    media = [*refs, refs[2], [refs[3], refs[1]], str(copy), refs[5], None, [refs[0], str(copy)]]
    out = captioner(blip2_path, batch_size=4, image_loader=loader).fit_transform(frame(media))
    assert generate_calls == [4, 2]  # 6 distinct images, full batches across rows
    assert set(fetched.values()) == {1}  # every reference read once
    assert len(fetched) == 7
    caps = out["caption"].tolist()
    assert caps[6] == caps[2] and caps[8] == caps[0] and caps[10] == ""
    assert caps[7] == f"{caps[3]}{CAPTION_SEPARATOR}{caps[1]}"
    assert caps[11] == f"{caps[0]}{CAPTION_SEPARATOR}{caps[0]}"


def test_same_image_under_a_url_and_a_path_is_captioned_once(
    blip2_path, images, server, generate_calls
):
    X = frame([server.url("/img/gen2.jpg"), str(images["gen2.jpg"]), images["gen2.jpg"].as_uri()])
    out = captioner(blip2_path).fit_transform(X)
    assert generate_calls == [1]
    assert out["caption"].nunique() == 1


def test_cache_reused_by_a_clone_and_an_unpickled_copy(
    blip2_path, images, generate_calls, tmp_path
):
    X = frame([str(images[f"gen{i}.jpg"]) for i in range(4)])
    # max_new_tokens unlike other in-process tests: the process-wide memory layer is shared
    first = captioner(blip2_path, cache=str(tmp_path / "c"), batch_size=4, max_new_tokens=5)
    a = first.fit_transform(X)
    assert generate_calls == [4] and first.n_generated_ == 4
    second = clone(first)
    b = second.fit_transform(X)
    third = pickle.loads(pickle.dumps(first))
    c = third.transform(X)
    assert generate_calls == [4] and second.n_generated_ == third.n_generated_ == 0
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_a_store_that_returns_none_for_missing_keys_captions_them(
    blip2_path, images, reference, generate_calls
):
    class MgetStore(dict):  # a Redis-style mget adapter: None for each key it lacks
        def get_many(self, keys):
            return {key: self.get(key) for key in keys}

        def set_many(self, mapping):
            self.update(mapping)

    X = frame([str(images["china.jpg"]), str(images["gen2.jpg"])])
    store = MgetStore()
    first = captioner(blip2_path, cache=store).fit_transform(X)
    assert first["caption"].tolist() == [reference(images[n]) for n in ("china.jpg", "gen2.jpg")]
    calls = len(generate_calls)
    assert calls >= 1 and len(store) >= 2
    again = captioner(blip2_path, cache=store).fit_transform(X)
    pd.testing.assert_frame_equal(again, first)
    assert len(generate_calls) == calls  # the second run is served by the store


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_a_checkpoint_that_is_not_blip2_is_refused_before_any_caption(
    images, tmp_path, on_error, capsys
):
    """A text encoder's folder as the caption model: its processor failed on every image,
    blamed on the images ("the image processor cannot prepare this image"); with "skip" (the
    seed pipeline's) every caption was empty and the fit went on."""
    from _tiny_distilbert import make_tiny_distilbert

    text_model = make_tiny_distilbert(tmp_path / "distilbert")
    X = frame([str(images["china.jpg"]), str(images["gen2.jpg"])])
    with pytest.raises(ModelNotAvailableError, match=r"is a 'distilbert' checkpoint, not a BLIP-2"):
        captioner(text_model, on_error=on_error).fit_transform(X)
    # its remedy named caption_model=None as if the captioner had such a parameter
    with pytest.raises(ModelNotAvailableError, match=r"\(in make_seed_pipeline or a --config"):
        captioner(text_model, on_error=on_error).fit_transform(X)
    if on_error == "skip":
        return
    # the command line: --caption-model overrides the config, whose key is then no fix
    from skbucket import cli

    posts = tmp_path / "posts.csv"
    X.assign(
        content="a post", username="ann", inferred_company="acme", date="2021-04-03", likes=[1, 20]
    ).to_csv(posts, index=False)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"caption_model": None, "text_model": str(text_model)}))
    for option, hint in (
        (["--caption-model", str(text_model)], "(here: --caption-model none, or a BLIP-2"),
    ):
        code = cli.main(
            [
                "fit",
                str(posts),
                "--model",
                str(tmp_path / "m.joblib"),
                "--config",
                str(config),
                "-q",
                *option,
            ]
        )
        assert code == cli.EXIT_ERROR
        assert hint in capsys.readouterr().err


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_a_caption_model_that_cannot_be_loaded_is_named_as_the_captioners(
    images, tmp_path, on_error
):
    """A caption model's folder that is not there (or a hub id not cached, offline): the
    error named the model only, not the step that needed it, while a text model's names its
    step; the rows with a caption of their own need no model, which it now says."""
    missing = tmp_path / "blip2-moved-away"
    X = frame([str(images["china.jpg"])])
    with pytest.raises(ModelNotAvailableError) as info:
        captioner(missing, on_error=on_error).fit_transform(X)
    message = str(info.value)
    assert message.startswith(f"Blip2Captioner: model path {str(missing)!r} does not exist")
    assert message.endswith(
        "No image was captioned (a row that carries its caption needs no model)."
    )
    # a row with its caption: no model is loaded, nothing fails
    with_caption = X.assign(caption=["a photo of a temple"])
    out = captioner(missing, on_error=on_error).fit_transform(with_caption)
    assert out["caption"].tolist() == ["a photo of a temple"]


def test_running_out_of_memory_preparing_an_image_is_raised_not_skipped(
    blip2_path, images, monkeypatch
):
    """A MemoryError in the image processor was this image's failure: with on_error="skip"
    (the seed pipeline's) a sound photo got an empty caption, and the fit went on."""
    from transformers import Blip2Processor

    def want(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(Blip2Processor, "__call__", want)
    with pytest.raises(MemoryError):
        captioner(blip2_path, on_error="skip").fit_transform(frame([str(images["china.jpg"])]))


def test_without_pillow_the_captioner_names_it_not_the_model(blip2_path, images):
    """Without Pillow (a [text]-only install) captioning failed with "could not load local
    folder ... with AutoProcessor", a ModelNotAvailableError blaming the checkpoint."""

    from _fresh import errors_in_fresh_python

    setup = (
        "import sys; sys.modules['PIL'] = None\n"  # as if not installed, from the start
        "import pandas as pd\n"
        "from skbucket import Blip2Captioner\n"
        f"X = pd.DataFrame({{'media': [{str(images['china.jpg'])!r}]}})\n"
        f"est = Blip2Captioner(model={str(blip2_path)!r}, cache=False, progress=False)\n"
    )
    (said,) = errors_in_fresh_python(setup, ["est.fit_transform(X)"])
    assert said.startswith(
        "ImportError decoding images needs Pillow: pip install 'skbucket[vision]'"
    ), said


def test_a_checkpoint_overwritten_in_place_is_reloaded_not_served_stale(
    blip2_path, images, reference, tmp_path
):
    folder = tmp_path / "checkpoint"
    shutil.copytree(blip2_path, folder)
    X = frame([str(images["china.jpg"]), str(images["gen2.jpg"])])
    store = str(tmp_path / "captions")
    old = captioner(str(folder), cache=store).fit_transform(X)["caption"].tolist()
    assert old == [reference(images["china.jpg"]), reference(images["gen2.jpg"])]
    shutil.rmtree(folder)
    make_tiny_blip2(folder, image_size=32, seed=1)  # re-saved to the same path, new weights
    other = make_tiny_blip2(tmp_path / "seed1", image_size=32, seed=1)  # same, elsewhere
    expected = captioner(other, cache=False).fit_transform(X)["caption"].tolist()
    assert expected != old  # the two checkpoints caption differently
    est = captioner(str(folder), cache=store)
    assert est.fit_transform(X)["caption"].tolist() == expected and est.n_generated_ == 2
    process_memory_cache().clear()  # so the captions come from the disk
    again = captioner(str(folder), cache=store)  # what the disk cache now holds
    assert again.fit_transform(X)["caption"].tolist() == expected and again.n_generated_ == 0


def test_a_hub_model_fetched_by_transform_keys_the_cache_by_its_commit(
    blip2_path, images, tmp_path, simulated_hub
):
    # a fitted captioner on a machine whose Hugging Face cache lacks the model: the caption
    # cache must be keyed by the commit transform fetches, or a shared cache folder serves
    # another commit's captions once the hub has moved on
    hub = simulated_hub
    hub.publish(blip2_path)
    X = frame([str(images["china.jpg"]), str(images["gen2.jpg"])])
    store = str(tmp_path / "captions")
    fitted = captioner(hub.REPO, cache=store).fit(X)
    hub.new_machine()
    fitted.transform(X)  # commit A, fetched by transform
    commit_b = make_tiny_blip2(tmp_path / "B", image_size=32, seed=1)
    hub.publish(commit_b)  # the hub moves on
    hub.new_machine()
    served = fitted.transform(X)["caption"].tolist()
    hub.new_machine()
    expected = captioner(commit_b).fit_transform(X)["caption"].tolist()
    assert served == expected and fitted.n_generated_ == 2


def test_a_hub_commit_that_moved_after_fit_is_named(blip2_path, images, tmp_path, simulated_hub):
    """A captioner fitted while the local cache held commit A, run after it moved to B."""
    import warnings

    from skbucket.exceptions import CheckpointChangedWarning

    hub = simulated_hub
    hub.publish(blip2_path)
    X = frame([str(images["china.jpg"])])
    captioner(hub.REPO).fit_transform(X)  # commit A fetched into the local cache
    fitted = captioner(hub.REPO).fit(X)
    assert fitted.checkpoint_stamp_ is not None  # the cached commit: known without a load
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.transform(X)
    hub.publish(make_tiny_blip2(tmp_path / "B", image_size=32, seed=1))
    hub.new_machine()
    with pytest.warns(CheckpointChangedWarning, match=r"not the one this captioner was fitted"):
        fitted.transform(X)
    # fitted on a machine without the model: nothing known, nothing fetched at fit
    hub.new_machine()
    assert captioner(hub.REPO).fit(X).checkpoint_stamp_ is None


def test_a_checkpoint_changed_in_place_after_fit_is_named(blip2_path, images, tmp_path):
    """A BLIP-2 folder saved over after fit: the captions are the new weights' (a new cache
    key), but the steps after the captioner learned from the old ones; the embedder warned
    of the same change, the captioner said nothing."""
    import warnings

    from skbucket.exceptions import CheckpointChangedWarning

    folder = shutil.copytree(blip2_path, tmp_path / "blip2")
    X = frame([str(images["china.jpg"])])
    fitted = captioner(str(folder)).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = fitted.transform(X)["caption"].tolist()
    other = make_tiny_blip2(tmp_path / "other", image_size=32, seed=1)
    for name in ("model.safetensors", "config.json"):
        shutil.copy(Path(other) / name, folder / name)  # saved over, in place
    with pytest.warns(CheckpointChangedWarning, match=r"not those this captioner was fitted with"):
        after = fitted.transform(X)["caption"].tolist()
    assert after == captioner(other).fit_transform(X)["caption"].tolist() != before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.fit(X).transform(X)  # refitted: the new checkpoint is the fitted one
    # fit fetches and loads nothing: a checkpoint it cannot find is recorded as unknown, and
    # rows that keep their caption need none
    missing = captioner(str(tmp_path / "no-such-blip2")).fit(frame([None], caption=["kept"]))
    assert missing.checkpoint_stamp_ is None
    assert missing.transform(frame([None], caption=["kept"]))["caption"].tolist() == ["kept"]


def test_a_checkpoint_moved_with_its_times_is_the_one_fitted(blip2_path, images, tmp_path):
    """The stamp held the folder's own path: every redeploy (the project moved with mv or
    cp -a, model set to the new place) warned that the checkpoint had changed."""
    import os
    import warnings

    from skbucket.exceptions import CheckpointChangedWarning

    folder = shutil.copytree(blip2_path, tmp_path / "blip2")
    X = frame([str(images["china.jpg"])])
    fitted = captioner(str(folder)).fit(X)
    before = fitted.transform(X)["caption"].tolist()
    moved = tmp_path / "elsewhere" / "blip2"
    moved.parent.mkdir()
    os.rename(folder, moved)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fitted.set_params(model=str(moved)).transform(X)["caption"].tolist() == before
    # copied without the times: the stamp cannot tell it from other weights, and says so
    copied = shutil.copytree(moved, tmp_path / "copied", copy_function=shutil.copyfile)
    for p in copied.iterdir():
        os.utime(p, ns=(1, 1))
    with pytest.warns(CheckpointChangedWarning, match=r"cp without -a makes"):
        fitted.set_params(model=str(copied)).transform(X)
    # a captioner fitted by skbucket 0.4.0 recorded the stamp with the folder's path: its
    # own folder, unchanged, is still the one it was fitted with
    from skbucket import _models

    older = captioner(str(moved)).fit(X)
    older.checkpoint_stamp_ = _models.checkpoint_stamp(str(moved), legacy=True)
    assert older.checkpoint_stamp_ != _models.checkpoint_stamp(str(moved))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert older.transform(X)["caption"].tolist() == before
    # moved since, it cannot be told from another: said for what it is
    again = tmp_path / "again"
    os.rename(moved, again)
    with pytest.warns(CheckpointChangedWarning, match=r"fitted by skbucket 0\.4\.0 or earlier"):
        older.set_params(model=str(again)).transform(X)


def test_another_checkpoint_with_the_same_file_sizes_and_times_is_told_apart(images, tmp_path):
    """Fine-tunes of one model have files of the same sizes; unpacked from a reproducible
    archive they have the same times too: without the folder's path in the stamp, another
    one passed for the one fitted (its bytes are sampled now)."""
    import os

    from skbucket.exceptions import CheckpointChangedWarning

    a = Path(make_tiny_blip2(tmp_path / "a", image_size=32, seed=0))
    b = Path(make_tiny_blip2(tmp_path / "b", image_size=32, seed=1))
    for folder in (a, b):
        for p in folder.iterdir():
            os.utime(p, ns=(10**9, 10**9))
    assert sorted((p.name, p.stat().st_size) for p in a.iterdir()) == sorted(
        (p.name, p.stat().st_size) for p in b.iterdir()
    )
    X = frame([str(images["china.jpg"])])
    fitted = captioner(str(a)).fit(X)
    with pytest.warns(CheckpointChangedWarning, match=r"names, sizes, modification times or by"):
        fitted.set_params(model=str(b)).transform(X)


def test_a_captioner_without_a_recorded_checkpoint_captions_without_a_warning(
    blip2_path, images, tmp_path
):
    """Nothing to compare with: a folder that was not there at fit (``checkpoint_stamp_`` is
    None), or a captioner pickled before the stamp existed (no attribute at all)."""
    folder = tmp_path / "blip2-later"
    X = frame([str(images["china.jpg"])])
    fitted = captioner(str(folder)).fit(X)
    assert fitted.checkpoint_stamp_ is None
    shutil.copytree(blip2_path, folder)
    older = pickle.loads(pickle.dumps(fitted))
    del older.checkpoint_stamp_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = fitted.transform(X)["caption"].tolist()
        assert older.transform(X)["caption"].tolist() == made
    assert made == captioner(str(folder)).fit_transform(X)["caption"].tolist()


def test_fit_reads_no_byte_of_the_checkpoint(blip2_path, tmp_path, monkeypatch):
    """fit recorded the checkpoint's content hash, reading every byte of a local folder (two
    minutes for a 15 GB BLIP-2) even when every row kept its caption and nothing was ever
    captioned."""
    import shutil

    from skbucket import _models

    folder = shutil.copytree(blip2_path, tmp_path / "blip2-unread")
    read = []
    real = _models._file_digest
    monkeypatch.setattr(_models, "_file_digest", lambda p: read.append(p) or real(p))
    fitted = captioner(str(folder)).fit(frame([None], caption=["kept"]))
    assert read == [] and fitted.checkpoint_stamp_ is not None


def test_cache_key_includes_generation_settings(blip2_path, images, generate_calls):
    store = MemoryCache()
    X = frame([str(images["gen1.jpg"])])
    captioner(blip2_path, cache=store).fit_transform(X)
    captioner(blip2_path, cache=store, max_new_tokens=TOKENS + 2).fit_transform(X)
    captioner(blip2_path, cache=store, prompt="a photo of").fit_transform(X)
    captioner(blip2_path, cache=store, num_beams=2).fit_transform(X)
    captioner(blip2_path, cache=store).fit_transform(X)  # same settings as the first: cached
    assert generate_calls == [1, 1, 1, 1]


def test_cache_format_version_is_part_of_the_key(blip2_path, images, generate_calls, monkeypatch):
    """Captions cached by a version that read or captioned images differently are not served
    once the format version is raised."""
    from skbucket import captioning

    store = MemoryCache()
    X = frame([str(images["gen1.jpg"])])
    captioner(blip2_path, cache=store).fit_transform(X)
    captioner(blip2_path, cache=store).fit_transform(X)  # cached
    monkeypatch.setattr(captioning, "_CACHE_FORMAT", captioning._CACHE_FORMAT + 1)
    captioner(blip2_path, cache=store).fit_transform(X)
    assert generate_calls == [1, 1]


def test_captions_cached_before_keys_named_a_format_are_still_found(blip2_path):
    """Format 1 is the keys' form from before they held a format version: the upgrade
    that added it does not throw away every cached caption."""
    from skbucket import _models, captioning

    est = captioner(blip2_path)
    assert captioning._CACHE_FORMAT == 1
    prefix, dtype_key = est._settings_key()
    before = hash_key(
        "Blip2Captioner",
        _models.model_fingerprint(est.model),
        est.prompt,
        int(est.max_new_tokens),
        int(est.num_beams),
        dtype_key,
    )
    assert prefix == before


# ---------------------------------------------------------------------------------------------
# bad media: each gets its documented outcome
# ---------------------------------------------------------------------------------------------
BAD_CASES = {
    # case: (how to build the media cell, error class name)
    "missing-file": (lambda im, srv: str(im["gen0.jpg"].with_name("nope.jpg")), "MediaFetchError"),
    "corrupt-bytes": (lambda im, srv: str(im["corrupt.jpg"]), "MediaDecodeError"),
    "text-named-jpg": (lambda im, srv: str(im["text.jpg"]), "MediaDecodeError"),
    "http-404": (lambda im, srv: srv.url("/missing/x.jpg"), "MediaFetchError"),
    "slow-url": (lambda im, srv: srv.url("/slow/gen0.jpg"), "MediaFetchError"),
    "bomb": (lambda im, srv: str(im["bomb.png"]), "MediaTooLargeError"),
    "ftp": (lambda im, srv: "ftp://127.0.0.1/gen0.jpg", "UnsupportedSchemeError"),
    "javascript": (lambda im, srv: "javascript:alert(1)", "UnsupportedSchemeError"),
    "unparseable-cell": (lambda im, srv: "[Photo(fullUrl=__import__('os'))]", "MediaParseError"),
}


def _fast_fetcher():
    return media_mod.ImageFetcher(timeout=0.3, retries=0, backoff=0.0)


def _bad_frame(case, images, server):
    build, _ = BAD_CASES[case]
    bad = build(images, server)
    good = [str(images["gen1.jpg"]), str(images["gen2.jpg"])]
    # the bad image shares a row with a good one, and sits between good rows (one batch)
    media = [good[0], [good[1], bad], None, good[0]]
    return frame(media, other=[1, 2, 3, 4]).set_axis(["p", "q", "r", "s"]), bad


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_media_raise_names_row_and_reference(blip2_path, images, server, case):
    X, bad = _bad_frame(case, images, server)
    est = captioner(blip2_path, image_loader=_fast_fetcher()).fit(X)
    with pytest.raises(CaptioningError) as info:
        est.transform(X)
    message = str(info.value)
    assert "row 'q'" in message and "position 1" in message
    assert bad[:20] in message and bad in str(info.value.ref)
    assert info.value.row == "q" and info.value.position == 1
    assert type(info.value.__cause__).__name__ == BAD_CASES[case][1]
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("case", list(BAD_CASES))
@pytest.mark.parametrize("on_error", ["skip", "[no caption]"])
def test_bad_media_skip_or_replacement_recorded(
    blip2_path, images, server, reference, case, on_error
):
    X, bad = _bad_frame(case, images, server)
    out = captioner(blip2_path, image_loader=_fast_fetcher(), on_error=on_error).fit_transform(X)
    c1, c2 = reference(images["gen1.jpg"]), reference(images["gen2.jpg"])
    if case == "unparseable-cell":  # the whole cell is unreadable: the row gets one outcome
        row_q = "" if on_error == "skip" else on_error
    else:
        row_q = c2 if on_error == "skip" else f"{c2}{CAPTION_SEPARATOR}{on_error}"
    assert out["caption"].tolist() == [c1, row_q, "", c1]
    assert list(out.index) == ["p", "q", "r", "s"]


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_errors_record_every_failure(blip2_path, images, server, case):
    X, bad = _bad_frame(case, images, server)
    # the bad reference twice more: rows 'r' and 't'
    X = pd.concat([X, frame([bad], other=[5]).set_axis(["t"])])
    X.loc["r", "media"] = bad
    est = captioner(blip2_path, image_loader=_fast_fetcher(), on_error="skip")
    est.fit_transform(X)
    errors = est.errors_
    assert list(errors.columns) == ERROR_COLUMNS
    assert errors["row"].tolist() == ["q", "r", "t"]
    assert errors["position"].tolist() == [1, 2, 4]
    assert set(errors["error"]) == {BAD_CASES[case][1]}
    assert all(bad[:40] in m for m in errors["media"])


def test_an_image_the_processor_cannot_prepare_is_that_images_failure(
    blip2_path, images, monkeypatch
):
    """The image processor's own errors (a RuntimeError from a torchvision backend, say)
    escaped on_error="skip" as a raw traceback: only ValueError was that image's failure."""
    from skbucket import _models

    processor = _models.load_pretrained("AutoProcessor", blip2_path)
    real = type(processor).__call__

    def picky(self, *args, images=None, **kwargs):  # a backend that refuses grey images
        if images is not None and any(im.size == (40, 30) for im in images):
            raise RuntimeError("backend cannot resize this image")
        return real(self, *args, images=images, **kwargs)

    monkeypatch.setattr(type(processor), "__call__", picky)
    est = captioner(blip2_path, on_error="skip")
    out = est.fit_transform(frame([str(images["grey.jpg"]), str(images["photo.png"])]))
    assert out["caption"].tolist()[0] == "" and out["caption"].tolist()[1] != ""
    assert est.errors_["error"].tolist() == ["MediaDecodeError"]
    assert "RuntimeError: backend cannot resize" in est.errors_["message"].iloc[0]


def test_errors_record_a_failure_repeated_inside_one_row(blip2_path, images):
    bad = str(images["gen0.jpg"].with_name("nope.jpg"))
    est = captioner(blip2_path, on_error="skip")
    out = est.fit_transform(frame([[bad, bad], [bad, str(images["gen0.jpg"]), bad]]))
    assert est.errors_["position"].tolist() == [0, 0, 1, 1]  # one record per failing image
    assert set(est.errors_["error"]) == {"MediaFetchError"}
    assert out["caption"].tolist()[0] == ""


def test_a_host_that_cannot_be_reached_is_not_asked_for_every_image(
    blip2_path, images, closed_port
):
    from skbucket.captioning import CaptioningWarning

    dead = [f"http://127.0.0.1:{closed_port}/{i}.jpg" for i in range(6)]
    fetcher = media_mod.ImageFetcher(max_workers=1, retries=0, backoff=0.0)  # one at a time
    est = captioner(blip2_path, image_loader=fetcher, on_error="skip")
    with pytest.warns(CaptioningWarning) as caught:
        out = est.fit_transform(frame([*dead[:3], str(images["gen0.jpg"]), *dead[3:]]))
    assert f"6 of them because their host could not be reached (127.0.0.1:{closed_port}: " in (
        str(caught[0].message)
    )
    errors = est.errors_
    assert errors["position"].tolist() == [0, 1, 2, 4, 5, 6]  # every failure is recorded
    tried = ~errors["message"].str.contains("not tried: host 127.0.0.1:")
    assert tried.tolist() == [True] * 3 + [False] * 3  # fetcher's default max_host_failures=3
    assert errors["message"][tried].str.contains("ConnectionRefusedError").all()
    assert out["caption"].tolist()[3] != "" and set(out["caption"].drop(index=3)) == {""}


def test_the_unreachable_hosts_summary_names_each_host_once_however_it_is_spelled(
    blip2_path, closed_port
):
    from skbucket.captioning import CaptioningWarning

    # one host, as the fetcher's breaker counts it: its case and the trailing dot of a fully
    # qualified name make no other (the summary listed "localhost.:P, localhost:P")
    spellings = ["localhost", "LOCALHOST", "localhost.", "Localhost."]
    dead = [f"http://{name}:{closed_port}/{i}.jpg" for i, name in enumerate(spellings)]
    fetcher = media_mod.ImageFetcher(max_workers=1, retries=0, backoff=0.0)
    est = captioner(blip2_path, image_loader=fetcher, on_error="skip")
    with pytest.warns(CaptioningWarning) as caught:
        est.fit_transform(frame(dead))
    assert len(est.errors_) == 4
    assert (
        f"4 of them because their host could not be reached (localhost:{closed_port}: no "
        in str(caught[0].message)
    )


def test_a_transform_refused_before_any_image_leaves_no_earlier_errors(blip2_path):
    est = captioner(blip2_path, on_error="skip")
    est.fit_transform(frame(["/nowhere/nope.jpg"]))  # warns (ignored in this module)
    assert len(est.errors_) == 1
    with pytest.raises(ValueError, match="media"):
        est.transform(pd.DataFrame({"content": ["no media column"]}))
    # the record is this call's: nothing was captioned, so nothing failed (it showed the
    # failure of the call before as this one's)
    assert est.errors_.empty and list(est.errors_.columns) == ERROR_COLUMNS
    assert est.n_generated_ == 0


def test_skipped_failures_warn_once_per_transform(blip2_path, images):
    from skbucket.captioning import CaptioningWarning

    bad = str(images["gen0.jpg"].with_name("nope.jpg"))
    est = captioner(blip2_path, on_error="n/a")
    with pytest.warns(CaptioningWarning) as caught:
        out = est.fit_transform(frame([bad, str(images["gen1.jpg"]), bad]))
    assert len([w for w in caught if issubclass(w.category, CaptioningWarning)]) == 1
    message = str(caught[0].message)
    assert "2 image(s) in 2 row(s) could not be captioned and got 'n/a'" in message
    assert "(first: row 0: " in message and "nope.jpg" in message and "see errors_" in message
    assert "could not be reached" not in message  # a missing file is no unreachable host
    assert out["caption"].tolist()[0] == "n/a"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaptioningWarning)  # nothing failed: no warning
        captioner(blip2_path).fit_transform(frame([str(images["gen1.jpg"])]))


def test_no_errors_gives_empty_errors_frame(blip2_path, images):
    est = captioner(blip2_path)
    est.fit_transform(frame([str(images["gen0.jpg"])]))
    assert est.errors_.empty and list(est.errors_.columns) == ERROR_COLUMNS
    # the dtypes a frame with records has (it had six object columns): concatenating the
    # records of several calls, or reading est.errors_["position"] as numbers, works alike
    failing = captioner(blip2_path, on_error="skip")
    failing.fit_transform(frame(["/nowhere/nope.jpg"]))  # warns (ignored in this module)
    assert len(failing.errors_) == 1
    assert est.errors_.dtypes.to_dict() == failing.errors_.dtypes.to_dict()
    # row has the index's dtype either way (an int32 or a categorical index's labels became
    # int64 or str in a frame with records)
    for index in (pd.Index([7], dtype="int32"), pd.CategoricalIndex(["a"])):
        for media, ran in [(str(images["gen0.jpg"]), est), ("/nowhere/nope.jpg", failing)]:
            ran.transform(frame([media]).set_axis(index))
            assert ran.errors_["row"].dtype == index.dtype


def test_converted_modes_are_captioned_like_their_rgb_version(blip2_path, images, reference):
    names = ["cmyk.jpg", "grey.jpg", "rgba.png", "anim.gif"]
    est = captioner(blip2_path)
    out = est.fit_transform(frame([str(images[n]) for n in names]))
    assert est.errors_.empty
    expected = [reference(media_mod.decode_image(images[n].read_bytes())) for n in names]
    assert out["caption"].tolist() == expected


def test_one_bad_image_does_not_stop_its_batch(blip2_path, images, generate_calls):
    names = ["gen0.jpg", "corrupt.jpg", "gen1.jpg", "text.jpg", "gen2.jpg"]
    est = captioner(blip2_path, batch_size=8, on_error="skip")
    out = est.fit_transform(frame([str(images[n]) for n in names]))
    assert generate_calls == [3]
    assert [bool(c) for c in out["caption"]] == [True, False, True, False, True]


def test_copies_of_a_bad_image_are_each_reported_under_their_own_name(blip2_path, tmp_path):
    # decoded once (same content), but each reference's errors_ row names that reference
    paths = [tmp_path / "first.jpg", tmp_path / "second.jpg"]
    for path in paths:
        path.write_bytes(b"not an image")
    from skbucket.captioning import CaptioningWarning

    est = captioner(blip2_path, on_error="skip")
    with pytest.warns(CaptioningWarning, match="3 image.* in 3 row"):
        est.fit_transform(frame([str(p) for p in [*paths, paths[1]]]))
    assert est.errors_["media"].tolist() == [str(paths[0]), str(paths[1]), str(paths[1])]
    for path, message in zip([*paths, paths[1]], est.errors_["message"], strict=True):
        assert message.startswith(repr(str(path)) + ": ") and "not a recognised image" in message


def test_the_warning_counts_rows_by_position_under_a_duplicated_index(blip2_path, tmp_path):
    from skbucket.captioning import CaptioningWarning

    missing = [str(tmp_path / f"gone{i}.jpg") for i in range(3)]
    est = captioner(blip2_path, on_error="skip")
    with pytest.warns(CaptioningWarning, match=r"3 image\(s\) in 3 row\(s\)"):
        est.fit_transform(frame(missing).set_axis([0, 0, 0]))  # one label, three rows
    assert est.errors_["position"].tolist() == [0, 1, 2]


def test_custom_image_loader_bytes_images_and_failures(blip2_path, images, reference):
    def loader(ref):
        if ref == "pil:gen3":
            return Image.open(images["gen3.jpg"])
        if ref == "bytes:gen4":
            return images["gen4.jpg"].read_bytes()
        raise LookupError(f"unknown key {ref}")

    est = captioner(blip2_path, image_loader=loader, on_error="skip")
    out = est.fit_transform(frame(["pil:gen3", "bytes:gen4", "nothing-here"]))
    assert out["caption"].tolist()[1:] == [reference(images["gen4.jpg"]), ""]
    assert out["caption"].iloc[0]  # a PIL image works (encoded as PNG by the fetcher)
    assert est.errors_["row"].tolist() == [2]
    assert "unknown key nothing-here" in est.errors_["message"].iloc[0]


# ---------------------------------------------------------------------------------------------
# disk cache, crashes, interrupts
# ---------------------------------------------------------------------------------------------
_CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    sys.path.insert(0, {tests!r})
    import pandas as pd
    from transformers import Blip2ForConditionalGeneration
    from skbucket.captioning import Blip2Captioner

    calls = []
    original = Blip2ForConditionalGeneration.generate
    kill_at = int(os.environ.get("KILL_AT_CALL", "0"))

    def counting(self, pixel_values, *args, **kwargs):
        calls.append(int(pixel_values.shape[0]))
        if len(calls) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, pixel_values, *args, **kwargs)

    Blip2ForConditionalGeneration.generate = counting
    X = pd.DataFrame({{"media": json.loads(os.environ["MEDIA"])}})
    est = Blip2Captioner(model={model!r}, cache={cache!r}, batch_size=2, max_new_tokens={tokens},
                         progress=False)
    out = est.fit_transform(X)
    print(json.dumps({{"calls": calls, "captions": out["caption"].tolist(),
                       "n_generated": est.n_generated_}}))
    """
)


def _run_child(blip2_path, cache, media, kill_at=0):
    import json

    code = _CHILD.format(tests=str(TESTS_DIR), model=blip2_path, cache=str(cache), tokens=TOKENS)
    env = {**os.environ, "MEDIA": json.dumps(media), "KILL_AT_CALL": str(kill_at)}
    env.setdefault("HF_HUB_OFFLINE", "1")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    return proc, (
        json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
    )


def test_disk_cache_second_run_in_another_process_generates_nothing(
    blip2_path, images, tmp_path, reference
):
    media = [str(images[f"gen{i}.jpg"]) for i in range(5)]
    cache = tmp_path / "captions"
    proc, first = _run_child(blip2_path, cache, media)
    assert proc.returncode == 0, proc.stderr
    assert sum(first["calls"]) == 5 and first["n_generated"] == 5
    assert len(list(DiskCache(cache).keys())) == 5
    proc, second = _run_child(blip2_path, cache, media)
    assert proc.returncode == 0, proc.stderr
    assert second["calls"] == [] and second["n_generated"] == 0
    assert second["captions"] == first["captions"] == [reference(m) for m in media]


_HIT_CHILD = textwrap.dedent(
    """
    import json, os, sys
    import pandas as pd
    from skbucket.captioning import Blip2Captioner

    X = pd.DataFrame({{"media": json.loads(os.environ["MEDIA"])}})
    est = Blip2Captioner(model={model!r}, cache={cache!r}, batch_size=2, max_new_tokens={tokens},
                         device={device!r}, progress=False)
    out = est.fit_transform(X)
    print(json.dumps({{"captions": out["caption"].tolist(), "n_generated": est.n_generated_,
                       "torch": "torch" in sys.modules,
                       "transformers": "transformers" in sys.modules}}))
    """
)


def test_fully_cached_run_in_another_process_never_imports_torch(
    blip2_path, images, tmp_path, reference
):
    from skbucket._models import _only_cpu_possible

    media = [str(images[f"gen{i}.jpg"]) for i in range(3)]
    cache = tmp_path / "captions"
    # "auto" is decided without torch on a machine without a GPU; elsewhere name the CPU
    device = "auto" if _only_cpu_possible() else "cpu"
    code = _HIT_CHILD.format(model=blip2_path, cache=str(cache), tokens=TOKENS, device=device)
    env = {**os.environ, "MEDIA": json.dumps(media), "HF_HUB_OFFLINE": "1"}

    def child():
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    first = child()
    assert first["n_generated"] == 3 and first["torch"] and first["transformers"]
    second = child()
    assert second["n_generated"] == 0
    assert not second["torch"] and not second["transformers"]
    assert second["captions"] == first["captions"] == [reference(m) for m in media]


def test_images_are_decoded_on_threads_while_the_model_runs(
    blip2_path, images, monkeypatch, generate_calls, reference
):
    decoded: list[tuple[str, str]] = []
    original = media_mod.decode_image

    def recording(data, **kwargs):
        decoded.append((threading.current_thread().name, str(kwargs.get("source"))))
        return original(data, **kwargs)

    monkeypatch.setattr(media_mod, "decode_image", recording)
    media = [str(images[f"gen{i}.jpg"]) for i in range(6)]
    est = captioner(blip2_path, batch_size=2)
    out = est.fit_transform(frame(media))
    assert generate_calls == [2, 2, 2]
    assert sorted(src for _, src in decoded) == sorted(media)  # each image decoded once
    assert all(name.startswith("skbucket-decode") for name, _ in decoded)
    assert out["caption"].tolist() == [reference(m) for m in media]


def test_a_dtype_that_disagrees_with_the_cache_key_raises(blip2_path, images, monkeypatch):
    import torch

    from skbucket import captioning

    # the torch-free key says float32 (as on a machine without a GPU), torch then says float16
    monkeypatch.setattr(captioning._models, "dtype_key", lambda *a, **k: "torch.float32")
    monkeypatch.setattr(captioning._models, "resolve_dtype", lambda *a, **k: torch.float16)
    with pytest.raises(RuntimeError, match="cache key was made for torch.float32"):
        captioner(blip2_path, device="cpu").fit_transform(frame([str(images["gen0.jpg"])]))


def test_sigkill_half_way_resumes_from_disk_cache(blip2_path, images, tmp_path, reference):
    media = [str(images[f"gen{i}.jpg"]) for i in range(6)]  # 3 batches of 2
    cache = tmp_path / "captions"
    proc, _ = _run_child(blip2_path, cache, media, kill_at=3)  # killed inside the 3rd batch
    assert proc.returncode == -9
    assert len(list(DiskCache(cache).keys())) == 4  # two finished batches survived
    proc, rerun = _run_child(blip2_path, cache, media)
    assert proc.returncode == 0, proc.stderr
    assert rerun["calls"] == [2]  # only the batch that was in flight is recomputed
    assert rerun["captions"] == [reference(m) for m in media]


def test_ctrl_c_stops_cleanly_keeping_finished_batches(
    blip2_path, images, tmp_path, monkeypatch, generate_calls, caplog
):
    from transformers import Blip2ForConditionalGeneration

    counting = Blip2ForConditionalGeneration.generate

    def interrupted(self, pixel_values, *args, **kwargs):
        if len(generate_calls) == 2:
            generate_calls.append(-1)
            raise KeyboardInterrupt
        return counting(self, pixel_values, *args, **kwargs)

    monkeypatch.setattr(Blip2ForConditionalGeneration, "generate", interrupted)
    store = MemoryCache()
    X = frame([str(images[f"gen{i}.jpg"]) for i in range(8)])
    est = captioner(blip2_path, cache=store, batch_size=2)
    with caplog.at_level("WARNING"), pytest.raises(KeyboardInterrupt):
        est.fit_transform(X)
    assert generate_calls == [2, 2, -1]
    # the whole transform's count (before: the last queue run's, "0 of 2 items computed")
    assert est.n_generated_ == 4
    assert [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()] == [
        "Blip2Captioner interrupted: 4 image(s) captioned in this transform and kept in this "
        "process's memory only (a rerun in another process starts over; set cache to a folder "
        "to keep them)"
    ]  # not "cached; a rerun resumes": a memory cache does not outlive the process
    deadline = time.monotonic() + 5
    while any(t.name.startswith("skbucket-media") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "fetch threads still running after Ctrl-C"
        time.sleep(0.05)
    generate_calls.clear()
    monkeypatch.setattr(Blip2ForConditionalGeneration, "generate", counting)
    est.fit_transform(X)
    assert generate_calls == [2, 2]  # the first 4 images came from the cache


def test_the_interrupt_note_counts_only_this_transforms_unstored_captions(
    blip2_path, images, tmp_path, monkeypatch, generate_calls, caplog
):
    """A full disk: the memory hits of an earlier transform, written back to the disk and
    refused, were counted as this one's ("2 image(s) captioned ... but for 10 that could
    not be written there")."""
    import errno

    from transformers import Blip2ForConditionalGeneration

    def full(self, key, value):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(DiskCache, "_write", full)
    process_memory_cache().clear()
    media = [str(images[f"gen{i}.jpg"]) for i in range(8)]
    est = captioner(blip2_path, cache=tmp_path / "captions", batch_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cache warning, once per folder
        est.fit_transform(frame(media[:4]))  # in memory only: the disk is full
    counting = Blip2ForConditionalGeneration.generate
    generate_calls.clear()

    def interrupted(self, pixel_values, *args, **kwargs):
        if len(generate_calls) == 1:
            raise KeyboardInterrupt
        return counting(self, pixel_values, *args, **kwargs)

    monkeypatch.setattr(Blip2ForConditionalGeneration, "generate", interrupted)
    with caplog.at_level("WARNING"), warnings.catch_warnings(), pytest.raises(KeyboardInterrupt):
        warnings.simplefilter("ignore")
        est.transform(frame(media))
    said = [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(
        "Blip2Captioner interrupted: 2 image(s) captioned in this transform and cached on disk"
    )
    assert "but for 2 that could not be stored" in said[0], said[0]
    process_memory_cache().clear()


def test_concurrent_transforms_each_record_their_own_counts(blip2_path, images):
    """n_generated_ was reset and added to by every running call: a thread read 0, or 52
    for a call that captioned 10. Now it is one call's own count (the last to end), and so
    are errors_."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    est = captioner(blip2_path, batch_size=2, on_error="skip").fit(frame(["x.jpg"]))
    media = [str(images[f"gen{i}.jpg"]) for i in range(4)] + [str(images["corrupt.jpg"])]
    start = threading.Barrier(4)

    def request(_):
        start.wait(timeout=30)
        est.transform(frame(media))  # its warning is ignored in this module
        return est.n_generated_, len(est.errors_)

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(request, range(4)))
    assert set(seen) == {(4, 1)}, seen  # every call captioned 4 images and failed on 1


# ---------------------------------------------------------------------------------------------
# estimator API
# ---------------------------------------------------------------------------------------------
def test_fit_records_columns_and_loads_nothing(tmp_path):
    X = frame(["a.jpg"], content=["hi"])
    est = Blip2Captioner(model=str(tmp_path / "no-such-model")).fit(X)
    assert est.n_features_in_ == 2
    assert est.feature_names_in_.tolist() == ["media", "content"]
    assert est.get_feature_names_out().tolist() == ["media", "content", "caption"]
    # rows without media never need the model
    out = est.transform(frame([None, ""], content=["a", "b"]))
    assert out["caption"].tolist() == ["", ""]
    Image.new("RGB", (8, 8), "red").save(tmp_path / "x.png")
    with pytest.raises(ModelNotAvailableError, match="no-such-model"):
        est.transform(frame([str(tmp_path / "x.png")], content=["c"]))


def test_without_torch_the_extra_is_named(blip2_path, images, monkeypatch):
    from skbucket import _models

    real = _models.import_model_library

    def no_torch(name):  # sys.modules["torch"] = None would break scikit-learn's own imports
        if name == "torch":
            raise ImportError("skbucket's text and image models need torch ... 'skbucket[vision]'")
        return real(name)

    monkeypatch.setattr(_models, "import_model_library", no_torch)
    X = frame([str(images["gen0.jpg"])])
    with pytest.raises(ImportError, match=r"skbucket\[vision\]"):
        captioner(blip2_path, cache=False).fit_transform(X)


@pytest.mark.parametrize(("prompt", "most"), [(None, 508), ("a photo of", 505)])
def test_max_new_tokens_beyond_the_language_models_positions_is_refused(
    blip2_path, images, prompt, most
):
    """The tiny model's OPT holds 512 positions, 4 of them the image's: max_new_tokens=600
    was an IndexError of torch's embedding, and only once a caption ran past them."""
    X = frame([str(images["gen0.jpg"])])
    est = captioner(blip2_path, prompt=prompt, max_new_tokens=most + 1).fit(X)
    tokens = "the start token" if prompt is None else r"\d+ for prompt='a photo of'"
    with pytest.raises(
        ValueError,
        match=rf"max_new_tokens={most + 1} is more than the language model \('opt'\) of .* "
        rf"holds 512 tokens .*4 image tokens and {tokens}.*use max_new_tokens <= {most}\b",
    ):
        est.transform(X)
    assert est.n_generated_ == 0
    # the most the model generates (made to run that long), and one more raises in torch
    import torch
    from transformers import Blip2ForConditionalGeneration, Blip2Processor

    from skbucket import _models

    config = _models.load_pretrained("AutoConfig", blip2_path)
    est.set_params(max_new_tokens=most)._check_max_new_tokens(config)  # not refused
    processor = Blip2Processor.from_pretrained(blip2_path)
    model = Blip2ForConditionalGeneration.from_pretrained(blip2_path).eval()
    inputs = processor(images=Image.new("RGB", (32, 32)), text=prompt, return_tensors="pt")
    with torch.no_grad():
        for n in (most, most + 1):
            try:
                model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False)
            except IndexError:
                assert n == most + 1
            else:
                assert n == most


def test_fit_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"media_column='pics'.*columns present: \['media'\]"):
        Blip2Captioner(media_column="pics").fit(frame(["a.jpg"]))
    with pytest.raises(ValueError, match=r"media_column must be one column label.*\['media'\]"):
        Blip2Captioner(media_column=["media"]).fit(frame(["a.jpg"]))  # was "unhashable type"
    with pytest.raises(ValueError, match="expects a pandas or polars DataFrame"):
        Blip2Captioner().fit(np.array([["a.jpg"]], dtype=object))
    # one post taken as a row (the first step of a seed pipeline with a captioner)
    with pytest.raises(ValueError, match=r"got Series \(a Series: .*X\.iloc\[\[i\]\]"):
        Blip2Captioner().fit(frame(["a.jpg"]).iloc[0])
    with pytest.raises(ValueError, match="on_error"):
        Blip2Captioner(on_error=1).fit(frame(["a.jpg"]))
    with pytest.raises(ValueError, match="max_new_tokens"):
        Blip2Captioner(max_new_tokens=0).fit(frame(["a.jpg"]))
    with pytest.raises(ValueError, match="image_loader"):
        Blip2Captioner(image_loader="not callable").fit(frame(["a.jpg"]))


def test_a_media_column_named_caption_is_refused(blip2_path, images):
    """media_column="caption" read the paths as captions to keep: every row's "caption" was
    its own media path, nothing captioned and no warning (with overwrite=True the captions
    were written over the media)."""
    X = pd.DataFrame({"caption": [str(images["gen0.jpg"]), str(images["gen1.jpg"])]})
    for overwrite in (False, True):
        est = captioner(blip2_path, media_column="caption", overwrite=overwrite)
        with pytest.raises(ValueError, match="media_column='caption' is the column the captions"):
            est.fit(X)
    fitted = captioner(blip2_path).fit(frame([str(images["gen0.jpg"])]))
    with pytest.raises(ValueError, match="media_column='caption' is the column the captions"):
        fitted.set_params(media_column="caption").transform(X)


def test_transform_checks_only_the_columns_it_reads(blip2_path):
    """Other columns may differ from fit (a pipeline's later steps find theirs by name); they
    are passed through as given, also through set_output, whose names are those of X."""
    est = captioner(blip2_path).fit(frame([None, None], content=["x", "y"], id=[1, 2]))
    given = pd.DataFrame({"text": ["x", "y"], "caption": ["kept", None], "media": [None, ""]})
    for output in (None, "pandas", "default"):
        est.set_output(transform=output)
        out = est.transform(given)
        assert list(out.columns) == ["text", "caption", "media"]
        assert out["text"].tolist() == ["x", "y"] and out["caption"].tolist() == ["kept", ""]
    with pytest.raises(ValueError, match=r"media_column='media' is not a column of X.*'Media'"):
        est.transform(pd.DataFrame({"Media": [None], "content": ["x"]}))
    with pytest.raises(ValueError, match="transform must be 'default', 'pandas', 'polars'"):
        est.set_output(transform="arrow")
    with pytest.raises(ValueError, match="not fitted|NotFittedError|fit"):
        captioner(blip2_path).transform(frame([None]))


def test_output_is_pandas_with_input_index_and_set_output(blip2_path, images):
    X = frame([str(images["gen0.jpg"]), None], likes=[3, 4]).set_axis([10, 20])
    est = captioner(blip2_path).fit(X)
    out = est.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert (
        list(out.columns) == est.get_feature_names_out().tolist() == ["media", "likes", "caption"]
    )
    assert list(out.index) == [10, 20] and out["likes"].tolist() == [3, 4]
    assert "caption" not in X.columns  # input untouched
    est.set_output(transform="pandas")
    pd.testing.assert_frame_equal(est.transform(X), out)
    est.set_output(transform="default")
    assert isinstance(est.transform(X), pd.DataFrame)


def test_existing_captions_kept_unless_overwrite(blip2_path, images, generate_calls, reference):
    X = frame(
        [str(images["gen0.jpg"]), str(images["gen1.jpg"]), str(images["gen2.jpg"]), "[bad"],
        caption=["already captioned", None, "", "kept"],
    )
    out = captioner(blip2_path).fit_transform(X)
    assert generate_calls == [2]
    assert out["caption"].tolist() == [
        "already captioned",
        reference(images["gen1.jpg"]),
        reference(images["gen2.jpg"]),
        "kept",  # its unreadable media are never even parsed
    ]
    assert list(out.columns) == ["media", "caption"]
    est = captioner(blip2_path, overwrite=True, on_error="skip")
    out = est.fit_transform(X)
    assert out["caption"].tolist()[0] == reference(images["gen0.jpg"])
    assert out["caption"].tolist()[3] == "" and est.errors_["row"].tolist() == [3]


def test_clone_and_pickle_carry_no_model(blip2_path, images):
    est = captioner(blip2_path).fit(frame([str(images["gen0.jpg"])]))
    out = est.transform(frame([str(images["gen0.jpg"])]))
    blob = pickle.dumps(est)
    assert len(blob) < 20_000  # no weights inside
    twin = pickle.loads(blob)
    pd.testing.assert_frame_equal(twin.transform(frame([str(images["gen0.jpg"])])), out)
    assert clone(est).get_params() == est.get_params()

    # a store of the user's own is a handle: a clone writes its captions there (it got a
    # deep copy, thrown away with it)
    class Store(dict):
        def get_many(self, keys):
            return {key: self[key] for key in keys if key in self}

        def set_many(self, mapping):
            self.update(mapping)

    store = Store()
    twin = clone(captioner(blip2_path, cache=store))
    assert twin.cache is store
    twin.fit_transform(frame([str(images["gen1.jpg"])]))
    assert len(store) == 1
    # a caption given back as bytes (a Redis client without decode_responses) is refused
    # naming the store: it failed in a str.join with "expected str instance, bytes found"
    store.update({key: value.encode() for key, value in store.items()})
    with pytest.raises(CacheError, match=r"Store\.get_many gave back a bytes where the capt"):
        twin.transform(frame([str(images["gen1.jpg"])]))


def test_subclasses_cache_under_their_module_and_qualified_name(blip2_path):
    """Keys named the bare class name: two subclasses called alike (in two modules or two
    functions) were served each other's captions; Blip2Captioner's own keys are kept."""

    def subclass():
        class Captioner(Blip2Captioner):
            pass

        return Captioner

    first, second = subclass(), subclass()  # two classes of one name
    first.__qualname__ = "one.Captioner"
    second.__qualname__ = "two.Captioner"

    def key(cls):
        return cls(model=blip2_path, device="cpu", dtype="float32")._settings_key()[0]

    assert key(first) != key(second)
    assert len({key(first), key(second), key(Blip2Captioner)}) == 3
    own = Blip2Captioner(model=blip2_path, device="cpu", dtype="float32")
    from skbucket import _models

    expected = hash_key(
        "Blip2Captioner",
        _models.model_fingerprint(blip2_path),
        own.prompt,
        int(own.max_new_tokens),
        int(own.num_beams),
        "torch.float32",
    )
    assert own._settings_key()[0] == expected  # the keys captions were always cached under


def test_a_captioner_pickled_by_an_earlier_build_is_saved_without_its_last_call(
    blip2_path, images, tmp_path
):
    # builds up to 0.3.0 kept errors_ (a DataFrame) and n_generated_ in the instance's dict:
    # such a file, loaded, kept them out of sight (the properties hide them) and could not be
    # saved with skbucket.io (skops cannot write a DataFrame)
    from skbucket import io as skio

    X = frame([str(images["gen0.jpg"])])
    est = captioner(blip2_path).fit(X)
    state = est.__getstate__()
    state.update(errors_=pd.DataFrame({"row": [0]}), n_generated_=1)  # as the old build's
    old = Blip2Captioner.__new__(Blip2Captioner)
    old.__setstate__(state)
    assert "errors_" not in vars(old) and not hasattr(old, "n_generated_")
    old.fit(X)  # a refit forgets the fitted attributes: the old entries must not be among them
    path = skio.save(old, tmp_path / "old.skbucket")
    loaded = skio.load(path, trusted=skio.get_untrusted_types(path))
    pd.testing.assert_frame_equal(loaded.transform(X), est.transform(X))
    # and a state that holds them still is written without them
    est.__dict__.update(errors_=pd.DataFrame({"row": [0]}))
    assert "errors_" not in pickle.loads(pickle.dumps(est)).__dict__


def test_dtype_auto_is_float32_on_cpu(blip2_path, images, monkeypatch):
    from transformers import Blip2ForConditionalGeneration

    seen = []
    original = Blip2ForConditionalGeneration.generate

    def recording(self, pixel_values, *args, **kwargs):
        seen.append((pixel_values.dtype, next(self.parameters()).dtype, self.device.type))
        return original(self, pixel_values, *args, **kwargs)

    monkeypatch.setattr(Blip2ForConditionalGeneration, "generate", recording)
    X = frame([str(images["gen0.jpg"])])
    captioner(blip2_path, device="cpu").fit_transform(X)
    captioner(blip2_path, device="cpu", dtype="bf16").fit_transform(X)
    assert [str(d) for d in seen[0]] == ["torch.float32", "torch.float32", "cpu"]
    assert [str(d) for d in seen[1]] == ["torch.bfloat16", "torch.bfloat16", "cpu"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("dtype", "fp64"),
        ("dtype", 3),
        ("dtype", "float"),
        ("cache", 1.5),
        ("cache", [1]),
        ("cache", ""),  # blank text names no folder
        ("cache", "  "),
    ],
)
def test_a_bad_dtype_or_cache_is_refused_at_fit_not_at_the_first_image(blip2_path, param, value):
    """Both were checked only when an image was captioned: a captioner fitted and tried on
    posts that already had captions failed on the first post with an image."""
    from sklearn.utils._param_validation import InvalidParameterError

    est = captioner(blip2_path, **{param: value})
    X = frame([None], caption=["already"])
    if (param, value) == ("dtype", "float"):  # a spelling resolve_dtype reads: float32
        assert est.fit(X).transform(X).shape == (1, 2)
        return
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of Blip2Captioner"):
        est.fit(X)


def test_the_dtypes_the_captioner_reads_pass_its_fit(blip2_path):
    import torch

    X = frame([None], caption=["already"])
    for dtype in ("auto", "bf16", "FP16", "float32", None, torch.float16):
        captioner(blip2_path, dtype=dtype).fit(X)


def test_a_fit_transform_stopped_part_way_leaves_the_captioner_unfitted(
    blip2_path, images, monkeypatch
):
    """A seed pipeline's refit stopped by Ctrl-C while captioning left the captioner fitted
    and every later step fitted on the old posts: predict answered as if nothing happened."""
    from sklearn.exceptions import NotFittedError

    X = frame([str(images["china.jpg"])])
    cap = captioner(blip2_path)
    cap.fit(X)

    def interrupted(self, X):
        raise KeyboardInterrupt

    monkeypatch.setattr(Blip2Captioner, "transform", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cap.fit_transform(X)
    monkeypatch.undo()
    with pytest.raises(NotFittedError):
        cap.transform(X)
    assert cap.fit_transform(X)["caption"].map(type).eq(str).all()


@each_data_free_check
def test_sklearn_api_checks(check):
    # parametrize_with_checks builds numeric 2-D arrays, which this DataFrame-of-media
    # transformer cannot caption (its tags say two_d_array=False, so it yields no checks);
    # the checks that do not need such input are run here one by one.
    run_check(check, Blip2Captioner())


# ---------------------------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------------------------
def test_real_media_column_every_row_gets_a_caption(blip2_path, images, shared_data):
    """Real scraper text (no network: each URL is served one of 8 local images)."""
    posts = pd.read_csv(shared_data / "tweets.csv.gz").head(60)
    pool = [images[f"gen{i}.jpg"].read_bytes() for i in range(8)]
    seen = collections.Counter()

    def loader(url):
        seen[url] += 1
        return pool[zlib.crc32(url.encode()) % len(pool)]

    est = captioner(blip2_path, image_loader=loader, batch_size=8)
    out = est.fit_transform(posts)
    assert est.errors_.empty
    assert (out["caption"].str.len() > 0).all()
    assert est.n_generated_ <= 8  # content de-duplication across distinct URLs
    assert set(seen.values()) == {1}
    n_images = [len(media_mod.parse_media(m)) for m in posts["media"]]
    assert [c.count(CAPTION_SEPARATOR) + 1 for c in out["caption"]] == n_images


def test_an_image_fetcher_passed_as_image_loader_sets_the_limits(blip2_path, images):
    fetcher = media_mod.ImageFetcher(max_pixels=1000, max_workers=2)
    est = captioner(blip2_path, image_loader=fetcher, on_error="skip")
    out = est.fit_transform(frame([str(images["gen0.jpg"]), str(images["china.jpg"])]))
    assert out["caption"].iloc[0] and out["caption"].iloc[1] == ""  # 768 px ok, 273k px not
    assert est.errors_["error"].tolist() == ["MediaTooLargeError"]


def test_polars_posts_in_and_polars_captions_out(blip2_path, images, generate_calls):
    pl = pytest.importorskip("polars")
    X = frame([str(images["gen0.jpg"]), None], caption=[None, "kept"], likes=[3, 4])
    expected = captioner(blip2_path).fit_transform(X)
    est = captioner(blip2_path).fit(pl.from_pandas(X))
    assert est.feature_names_in_.tolist() == ["media", "caption", "likes"]
    pd.testing.assert_frame_equal(est.transform(pl.from_pandas(X)), expected)
    est.set_output(transform="polars")
    out = est.transform(pl.from_pandas(X))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == est.get_feature_names_out().tolist() == ["media", "caption", "likes"]
    assert out["caption"].to_list() == expected["caption"].tolist()
    assert out["likes"].to_list() == [3, 4] and out["caption"][1] == "kept"
    assert generate_calls == [1, 1, 1]  # one image captioned per transform (cache off)
    # a column polars cannot hold (path objects) is refused before any image is captioned:
    # the captions were made, then lost in the conversion
    paths = frame([images["gen0.jpg"], images["gen1.jpg"]])
    with pytest.raises(ValueError, match="column 'media' cannot be held by polars"):
        est.transform(paths)
    assert generate_calls == [1, 1, 1]
    # the caption column is rebuilt as text: cells polars could not hold in it are no problem
    odd = frame([None, None, None], caption=[1, "x", None])
    assert est.fit(odd).transform(odd)["caption"].to_list() == ["", "x", ""]


@pytest.mark.parametrize("typo", ["Raise", "SKIP", "skip ", " raise"])
def test_on_error_spelled_almost_like_a_mode_is_refused(blip2_path, typo):
    # any other string is a caption: "Raise" captioned every failed image 'Raise' (a warning)
    X = frame(["does-not-exist.jpg"])
    with pytest.raises(ValueError, match=f"on_error.*{typo!r}: did you mean"):
        captioner(blip2_path, on_error=typo).fit(X)
    est = captioner(blip2_path, on_error="skip").fit(X).set_params(on_error=typo)
    with pytest.raises(ValueError, match="did you mean"):
        est.transform(X)
    # a caption that merely contains a mode's word stays a caption
    out = captioner(blip2_path, on_error="skipped").fit_transform(X)
    assert out["caption"].tolist() == ["skipped"]


def test_transform_checks_parameters_set_after_fit_and_repeated_columns(blip2_path, images):
    # batch_size=0 was a ZeroDivisionError; a bad image_loader was blamed on the first image
    X = frame([str(images["gen0.jpg"])])
    for wrong, message in (
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"num_beams": 0}, "'num_beams' parameter"),
        ({"image_loader": "nope"}, "image_loader must be None"),
    ):
        est = captioner(blip2_path).fit(X).set_params(**wrong)
        with pytest.raises(ValueError, match=message):
            est.transform(X)
    # skipped, as fit skips it, under scikit-learn's skip_parameter_validation
    import sklearn

    with sklearn.config_context(skip_parameter_validation=True):
        est = captioner(blip2_path, progress=1).fit(frame([None]))
        assert est.transform(frame([None]))["caption"].tolist() == [""]
    # a repeated caption column: every row got the text "caption" (X["caption"] is a frame)
    est = captioner(blip2_path).fit(X)
    twice = pd.concat([X.assign(caption=[None]), pd.DataFrame({"caption": [""]})], axis=1)
    with pytest.raises(ValueError, match="column 'caption' appears 2 times in X"):
        est.transform(twice)
    with pytest.raises(ValueError, match="column 'media' appears 2 times in X"):
        est.transform(pd.concat([X, X], axis=1))


def test_a_48_megapixel_photo_is_captioned_and_an_old_captioner_refuses_it_as_before(
    blip2_path, tmp_path
):
    """A phone's 48 Mpx photo was refused as a "possible decompression bomb" (40 Mpx cap):
    an empty caption, the post modelled without its image. Captioners fitted now read it
    (decoded at a reduced scale); one fitted before records no limits and keeps 0.8.2's, so
    a saved model captions what it did."""
    from PIL import Image

    from skbucket import media

    photo = tmp_path / "IMG_0001.jpg"
    Image.new("RGB", (8064, 6048), (200, 120, 40)).save(photo, quality=90)
    decoded = media.decode_image(photo.read_bytes())
    assert decoded.mode == "RGB" and decoded.size[0] * decoded.size[1] <= media.DRAFT_ABOVE
    assert decoded.size == (4032, 3024)  # half scale, as the aspect ratio was
    X = frame([str(photo)])
    fitted = captioner(blip2_path).fit(X)
    assert fitted.image_limits_ == {"max_bytes": 100_000_000, "max_pixels": 89_000_000}
    assert fitted.transform(X)["caption"].iloc[0] != ""
    del fitted.image_limits_  # as a captioner pickled by 0.8.2
    with pytest.raises(CaptioningError, match=r"more than max_pixels=40000000.*ImageFetcher"):
        fitted.transform(X)


def test_a_captioner_fitted_before_keeps_its_limits_with_a_callable_loader_too(
    blip2_path, tmp_path
):
    """A callable image_loader's images were checked within ImageFetcher's defaults, which
    0.8.3 raised: a captioner pickled by 0.8.2 captioned a 48 Mpx photo it had refused. A
    fetcher pickled then decodes whole, as it did."""
    from PIL import Image

    from skbucket import media

    photo = tmp_path / "big.jpg"
    Image.new("RGB", (8064, 6048), (10, 200, 90)).save(photo, quality=90)
    X = frame([str(photo)])

    def loader(ref):
        return Path(ref).read_bytes()

    fitted = captioner(blip2_path, image_loader=loader, on_error="skip").fit(X)
    assert fitted.transform(X)["caption"].iloc[0] != "" and fitted.errors_.empty
    del fitted.image_limits_  # as a captioner pickled by 0.8.2
    assert fitted.transform(X)["caption"].iloc[0] == ""
    assert "more than max_pixels=40000000" in fitted.errors_["message"].iloc[0]
    old = media.ImageFetcher(max_pixels=60_000_000)
    del old.reduce_above  # as a fetcher pickled by 0.8.2: the photo decoded whole
    assert old.load_image(str(photo)).size == (8064, 6048)
    assert media.ImageFetcher().load_image(str(photo)).size == (4032, 3024)


@pytest.fixture
def big_photo(tmp_path, monkeypatch):
    """``(X, sizes)``: a frame of one 48 Mpx JPEG, and the sizes of the images decode_image
    gives while a test runs (a spy on it)."""
    from PIL import Image

    from skbucket import media

    photo = tmp_path / "big.jpg"
    Image.new("RGB", (8064, 6048), (30, 60, 220)).save(photo, quality=90)
    sizes: list = []
    decode = media.decode_image

    def spy(*args, **kwargs):
        image = decode(*args, **kwargs)
        sizes.append(image.size)
        return image

    monkeypatch.setattr(media, "decode_image", spy)
    return frame([str(photo)]), sizes


def test_a_fetcher_given_as_image_loader_decodes_as_its_reduce_above_says(blip2_path, big_photo):
    """The captioner decoded every fetched JPEG with decode_image's default reduce_above
    (40 Mpx), whatever the ImageFetcher given as image_loader said: ImageFetcher(
    reduce_above=None) ("decoded whole") and a fetcher pickled by 0.8.2 (which decodes whole,
    so a saved model captions as it did) captioned a 48 Mpx photo from half its pixels."""
    from skbucket import media

    X, sizes = big_photo
    whole = media.ImageFetcher(max_pixels=60_000_000, reduce_above=None)
    old = media.ImageFetcher(max_pixels=60_000_000)
    del old.reduce_above  # as a fetcher pickled by 0.8.2
    for fetcher in (whole, old):
        sizes.clear()
        out = captioner(blip2_path, image_loader=fetcher).fit(X).transform(X)
        assert out["caption"].iloc[0] != ""
        assert sizes == [(8064, 6048)]
    sizes.clear()  # the default reader still reduces it
    captioner(blip2_path).fit(X).transform(X)
    assert sizes == [(4032, 3024)]


def test_captions_decoded_at_another_scale_are_cached_apart(blip2_path, big_photo, tmp_path):
    """The caption cache's key held the model and its generation settings but not how a photo
    was decoded: a 48 Mpx photo captioned by the default reader (reduced to 12 Mpx) was then
    served from the cache to ImageFetcher(reduce_above=None), which decodes it whole, and the
    other way round. The default reader's keys are those captions were cached under before."""
    from skbucket import media

    X, sizes = big_photo
    cache = tmp_path / "captions"
    whole = media.ImageFetcher(max_pixels=60_000_000, reduce_above=None)
    reduced = media.ImageFetcher(max_pixels=60_000_000)  # the default's scale, its keys too
    runs = [(None, [(4032, 3024)]), (whole, [(8064, 6048)]), (whole, []), (reduced, [])]
    for loader, decoded in runs:
        sizes.clear()
        params = {} if loader is None else {"image_loader": loader}
        out = captioner(blip2_path, cache=cache, **params).fit(X).transform(X)
        assert out["caption"].iloc[0] != ""
        assert sizes == decoded, (loader, sizes)


def test_a_fitted_captioner_whose_folder_moved_says_how_to_point_it_there(
    blip2_path, images, tmp_path
):
    """The cache key read the folder before the model's load, outside the advice a fitted
    embedder gives: a moved BLIP-2 folder said only "does not exist", and set_params (the
    obvious remedy) does not reach a fitted pipeline's copy."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(blip2_path, old)
    X = frame([str(images["china.jpg"])])
    est = captioner(str(old)).fit(X)
    old.rename(new)
    with pytest.raises(ModelNotAvailableError) as info:
        est.transform(X)
    said = str(info.value)
    assert f"set_everywhere(model, 'model', NEW_PLACE, current={str(old)!r})" in said
    assert said.startswith("Blip2Captioner: ") and said.count("set_everywhere") == 1
