"""Shared fixtures for the whole suite.

Every test runs in its own temporary folder (the autouse fixture ``_run_in_tmp_path``): a
path relative to the repository does not resolve there; use ``ROOT``.

Helpers (plain modules on ``sys.path`` because ``tests/`` has no ``__init__.py``):

- ``_tiny_blip2.py``, ``_tiny_distilbert.py``: tiny randomly initialised models saved as
  local checkpoints (the real weights cannot be downloaded here);
- ``_chromium.py``: headless Chromium (find it, run it, lay pages out and measure them);
- ``_fresh.py``: run code in a new interpreter (what a process that never imported a
  package sees);
- ``_sklearn_checks.py``: scikit-learn's estimator checks that need no numeric 2-D input,
  run one by one for the transformers that read a DataFrame's columns by name;
- ``_tables.py``: tables of posts written as files, for the tests of reading them;
- ``_benchmarks.py``: a script of ``benchmarks/`` loaded as a module, for their smoke tests.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import pytest

# Never reach a model hub from the test-suite.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Property tests: `make test` (and CI) draws the same examples every run (profile "ci"), so a
# rare input found by chance cannot fail one run in many; `make fuzz`, like a plain `pytest`
# run, draws new ones to look for them.
# Hypothesis's own "ci" profile (derandomize, no database, no too_slow health check) is
# loaded by Hypothesis itself under CI=... and by `make test` through the variable below.
try:
    from hypothesis import settings as _hypothesis_settings
    from hypothesis.errors import InvalidArgument as _InvalidArgument
except ImportError:  # pragma: no cover - hypothesis is a test requirement
    pass
else:
    try:
        _hypothesis_settings.get_profile("ci")
    except _InvalidArgument:  # a Hypothesis without it
        _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    if os.environ.get("SKBUCKET_HYPOTHESIS_PROFILE"):
        _hypothesis_settings.load_profile(os.environ["SKBUCKET_HYPOTHESIS_PROFILE"])

#: The repository's root (tests run in a temporary folder: see above).
ROOT = Path(__file__).resolve().parents[1]

#: ``../shared/data`` beside the project root: the real posts (may be absent).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the real data files; skips the test cleanly when it is absent."""
    for name in ("tweets.csv.gz", "posts_captioned.csv.gz"):
        if not (SHARED_DATA / name).is_file():
            pytest.skip(f"real data not found at {SHARED_DATA / name}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _run_in_tmp_path(tmp_path, monkeypatch):
    """Run every test in its own folder so nothing (catboost_info/, caches) lands in the repo."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """Requests to the tests' local HTTP servers (127.0.0.1) must never go through a proxy."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on: connections to 127.0.0.1 there are refused.

    The port stays bound (never listening) during the test: a port closed again could be taken
    meanwhile, by another test's server or as the source port of a connection to it, which
    then connects to itself and waits instead of being refused (seen once in the suite).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.fixture
def silent_port():
    """A local TCP port whose connections are never answered, as behind a firewall that drops
    packets: it listens with a full accept queue (filled by connections never accepted), so
    Linux drops the SYNs of the next ones and connecting waits until it times out."""
    with contextlib.ExitStack() as stack:
        s = stack.enter_context(socket.socket())
        s.bind(("127.0.0.1", 0))
        s.listen(0)
        port = s.getsockname()[1]
        for _ in range(4):
            c = stack.enter_context(socket.socket())
            c.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                c.connect(("127.0.0.1", port))
        probe = stack.enter_context(socket.socket())
        probe.settimeout(0.5)
        try:
            probe.connect(("127.0.0.1", port))
        except TimeoutError:
            yield port
            return
        pytest.skip("this system answers connections to a full accept queue")


class SimulatedHub:
    """One hub repo that moves between commits, without any network.

    Loading ``REPO`` through :func:`skbucket._models.load_pretrained` when the (temporary)
    local Hugging Face cache lacks it puts the snapshot of the current commit there, as
    ``from_pretrained`` downloads it online, and loads that snapshot; :meth:`new_machine`
    empties the local cache and everything loaded or embedded in memory.
    """

    REPO = "skbucket-tests/model"

    def __init__(self, cache: Path):
        self.cache = cache
        self.commits: dict[str, str] = {}
        self.head: str | None = None

    def publish(self, folder) -> str:
        """Make the checkpoint in ``folder`` the repo's new head commit; return its hash."""
        commit = f"{len(self.commits) + 1:040x}"
        self.commits[commit] = str(folder)
        self.head = commit
        return commit

    def new_machine(self) -> None:
        import shutil

        from skbucket import _models
        from skbucket.cache import process_memory_cache

        shutil.rmtree(self.cache, ignore_errors=True)
        _models.clear_model_registry()
        process_memory_cache().clear()


@pytest.fixture
def simulated_hub(monkeypatch, tmp_path):
    """A :class:`SimulatedHub` whose repo id ``load_pretrained`` "downloads" on first use."""
    import shutil

    from huggingface_hub import constants

    from skbucket import _models

    hub = SimulatedHub(tmp_path / "hf-cache")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub.cache))
    load = _models.load_pretrained

    def load_pretrained(factory, model, **kwargs):
        if model != hub.REPO:
            return load(factory, model, **kwargs)
        folder = hub.cache / ("models--" + hub.REPO.replace("/", "--"))
        if not _models._hub_cached_repo(hub.REPO):
            shutil.copytree(hub.commits[hub.head], folder / "snapshots" / hub.head)
            (folder / "refs").mkdir(parents=True)
            (folder / "refs" / "main").write_text(hub.head)
        return load(factory, folder / "snapshots" / (folder / "refs" / "main").read_text())

    monkeypatch.setattr(_models, "load_pretrained", load_pretrained)
    return hub


@pytest.fixture
def vit_folder(tmp_path) -> Path:
    """A tiny randomly initialised ViT (an image model, no text encoder) saved as a local
    checkpoint folder: what a user may pass by mistake as a text model."""
    import transformers

    folder = tmp_path / "vit"
    config = transformers.ViTConfig(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        image_size=32,
        patch_size=16,
    )
    transformers.ViTModel(config).save_pretrained(folder)
    return folder
