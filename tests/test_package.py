"""Package-level guarantees: a light import, lazy attributes, a small wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import skbucket

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "torch",
    "transformers",
    "PIL",
    "matplotlib",
    "dask",
    "distributed",
    "sentence_transformers",
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "code",
    [
        "import skbucket",
        "from skbucket import BucketedRegressor, assign_buckets",
        "import skbucket.media, skbucket.prompts, skbucket.features, skbucket.datasets",
        "from skbucket.datasets import load_tweets; load_tweets()",
        "from skbucket.exceptions import PromptError, TextInputError, MediaFetchError",
    ],
)
def test_light_imports_do_not_pull_heavy_libraries(code):
    loaded = _modules_after(code)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"{code!r} imported {heavy[:5]}"


def test_an_error_class_imports_only_the_module_that_defines_it():
    """``from skbucket.exceptions import PromptError`` imported 20 of skbucket's modules (the
    report, the plots, the captioner, the CLI's tables): about 2 s before an ``except``."""
    loaded = _modules_after("from skbucket.exceptions import PromptError")
    own = {m for m in loaded if m.startswith("skbucket.")}
    helpers = {m for m in own if m.rpartition(".")[2].startswith("_")}  # _frames, _warn...
    # prompts reads dates with skbucket.dates
    assert own - helpers == {"skbucket.exceptions", "skbucket.prompts", "skbucket.dates"}, own
    star = _modules_after("from skbucket.exceptions import *; print(CLIError, MediaError)")
    assert {"skbucket.tables", "skbucket.media"} <= star
    from skbucket import exceptions

    assert {"__doc__", "__all__", "PromptError", "CLIError"} <= set(dir(exceptions))


def test_every_error_and_warning_is_in_skbucket_exceptions():
    """skbucket.exceptions gathers every error/warning class of the package (the Dask helpers'
    aside: importing them imports Dask), as the same class objects."""
    import importlib
    import pkgutil

    from skbucket import exceptions

    pytest.importorskip("dask")
    found = {}
    for info in pkgutil.iter_modules(skbucket.__path__):
        if info.name in ("exceptions", "__main__"):
            continue
        module = importlib.import_module(f"skbucket.{info.name}")
        for name, obj in vars(module).items():
            is_error = isinstance(obj, type) and issubclass(obj, Exception | Warning)
            # a private one (cache._NotAnEntry) is caught where it is raised, never seen
            if is_error and obj.__module__ == module.__name__ and not name.startswith("_"):
                found[name] = obj
    dask_only = {"MetaInferenceError", "DaskOutputError"}
    assert set(found) - dask_only == set(exceptions.__all__)
    for name in exceptions.__all__:
        assert getattr(exceptions, name) is found[name]


def test_the_version_is_one_in_pyproject_and_the_package():
    """The model files record skbucket.__version__; pip installs pyproject's."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == skbucket.__version__


def test_the_release_history_has_a_section_for_this_version_and_every_minor_before_it():
    """A version raised (a change to predictions) without its entry in docs/changes.rst, or an
    entry without the changes to predictions that raised it, fails here; the README links it."""
    import re

    text = (ROOT / "docs" / "changes.rst").read_text(encoding="utf-8")
    sections = re.findall(r"^(\d+)\.(\d+)\.(\d+) \(\d{4}-\d\d-\d\d\)\n-+\n", text, re.M)
    versions = [tuple(map(int, v)) for v in sections]
    major, minor, patch = map(int, skbucket.__version__.split(".")[:3])
    assert versions and versions[0] == (major, minor, patch), (
        f"docs/changes.rst starts with the section of {skbucket.__version__}, headed "
        f"'{skbucket.__version__} (YYYY-MM-DD)' and underlined with '-'; its newest is "
        f"{'.'.join(map(str, versions[0])) if versions else 'none'}"
    )
    assert versions == sorted(versions, reverse=True)  # newest first, each once
    assert len(set(versions)) == len(versions)
    # every minor from 0.2 (the first raise) to this one has its section (a patch release
    # beside its minor's: that minor's models load in it)
    minors = [v[1] for v in versions if v[0] == 0]
    assert sorted(set(minors), reverse=True) == list(range(minor, 1, -1))
    for start, end in zip(
        [m.end() for m in re.finditer(r"^\d+\.\d+\.\d+ \(.*\n-+\n", text, re.M)],
        [m.start() for m in re.finditer(r"^\d+\.\d+\.\d+ \(.*\n-+\n", text, re.M)][1:] + [None],
    ):
        assert "Changes to predictions\n~~~" in text[start:end]
    assert "(docs/changes.rst)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_lazy_public_names_resolve():
    for name in skbucket.__all__:
        assert getattr(skbucket, name) is not None
    with pytest.raises(AttributeError, match="no_such_thing"):
        skbucket.no_such_thing  # noqa: B018


def test_every_name_in_the_api_reference_is_exported_by_its_module():
    """``docs/api.rst`` documents public API: each ``module.name`` it lists is in that
    module's ``__all__`` (``from skbucket.prompts import *`` left day_month_error out)."""
    import importlib
    import re

    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    listed = re.findall(r"^   ([a-z_]+)\.([A-Za-z_][A-Za-z0-9_]*)$", text, flags=re.M)
    listed += re.findall(r"^\.\. auto\w+:: skbucket\.([a-z_]+)\.([A-Za-z_]\w*)$", text, re.M)
    assert len(listed) > 40
    missing = [
        f"{module}.{name}"
        for module, name in listed
        if name not in getattr(importlib.import_module(f"skbucket.{module}"), "__all__", ())
    ]
    assert not missing


def test_every_public_name_is_in_the_api_reference():
    """Each name of a module's ``__all__`` has a place in ``docs/api.rst``: listed itself, or
    its module listed whole, or (errors and warnings) through ``skbucket.exceptions``;
    constants such as ``PROMPT_COLUMN`` and ``TEXT_FEATURES`` had none."""
    import importlib
    import pkgutil

    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    whole = set(re.findall(r"^   ([a-z_]+)$", text, flags=re.M))
    listed = set(re.findall(r"^   ([a-z_]+\.[A-Za-z_]\w*)$", text, flags=re.M))
    listed |= set(re.findall(r"^\.\. auto\w+:: skbucket\.([a-z_]+\.[A-Za-z_]\w*)$", text, re.M))
    pytest.importorskip("dask")
    missing = []
    for info in pkgutil.iter_modules(skbucket.__path__):
        if info.name.startswith("_") or info.name in whole:
            continue
        module = importlib.import_module(f"skbucket.{info.name}")
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, Exception | Warning):
                continue  # skbucket.exceptions, listed whole
            # re-exported from where it moved (skbucket.prompts' readers of dates): listed at
            # its home
            home = getattr(value, "__module__", "") or ""
            if home != module.__name__ and f"{home.removeprefix('skbucket.')}.{name}" in listed:
                continue
            if f"{info.name}.{name}" not in listed:
                missing.append(f"{info.name}.{name}")
    assert not missing


def _api_reference_objects():
    """Dotted names of the functions and classes ``docs/api.rst`` lists (a listed module
    stands for its ``__all__``), and of those classes' public methods."""
    import importlib
    import inspect

    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    objects = []
    for entry in re.findall(r"^   ([a-z_]+(?:\.[A-Za-z_]\w*)?)$", text, flags=re.M):
        module, _, name = entry.partition(".")
        mod = importlib.import_module(f"skbucket.{module}")
        for value in [getattr(mod, n) for n in mod.__all__] if not name else [getattr(mod, name)]:
            if inspect.isfunction(value) or inspect.isclass(value):
                objects.append(f"{value.__module__}.{value.__qualname__}")
                if inspect.isclass(value):
                    # classmethods too (the displays' from_predictions were left out)
                    objects += [
                        f"{value.__module__}.{value.__qualname__}.{k}"
                        for k, v in vars(value).items()
                        if not k.startswith("_")
                        and (inspect.isfunction(v) or isinstance(v, classmethod | staticmethod))
                    ]
    return sorted(set(objects))


def test_the_api_reference_describes_every_parameter():
    """Each function, class and method of the API reference documents each of its
    parameters, names none it lacks, and says something about each (numpydoc's PR01, PR02
    and PR07): pages such as ``write_report``'s or ``cli.main``'s showed no parameters."""
    pytest.importorskip("numpydoc")
    from numpydoc.validate import validate

    objects = _api_reference_objects()
    assert "skbucket.bucketed.BucketedRegressor.fit" in objects
    assert "skbucket.metrics.predict_bucket" in objects  # a module of the reference
    assert "skbucket.plotting.BucketErrorDisplay.from_predictions" in objects  # a classmethod
    problems = {}
    for name in objects:
        if name == "skbucket.cache.CacheLike":  # a typing.Protocol: *args, **kwargs are its own
            continue
        errors = [
            f"{code}: {message}"
            for code, message in validate(name)["errors"]
            if code in ("GL08", "PR01", "PR02", "PR07")  # GL08: no docstring at all
        ]
        if errors:
            problems[name] = errors
    assert not problems


def test_the_docs_extra_installs_what_building_the_docs_needs():
    """``pip install ".[docs]"`` is what the getting-started page gives for building the
    docs, but it left out dask (the API pages import skbucket.dask), torch and transformers
    (the gallery fine-tunes a model) and the MiniLM an example loads."""
    import ast
    import contextlib
    import importlib.metadata as md

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from requirements import requirements
    finally:
        sys.path.remove(str(ROOT / "tools"))

    def norm(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    def name_of(req):
        return norm(re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0])

    have, todo = set(), [name_of(r) for r in requirements("docs")]
    while todo:  # with what those install in turn (as installed here)
        name = todo.pop()
        if name in have:
            continue
        have.add(name)
        with contextlib.suppress(md.PackageNotFoundError):
            todo += [name_of(d) for d in md.requires(name) or () if "extra ==" not in d]
    imported = set()
    for path in (ROOT / "examples").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    dists = md.packages_distributions()
    missing = [
        module
        for module in imported - set(sys.stdlib_module_names) - {"skbucket"}
        if not {norm(d) for d in dists.get(module, [module])} & have
    ]
    assert not missing
    assert {"dask", "distributed", "torch", "transformers", "matplotlib"} <= have


def _tracked_files(root: Path = ROOT) -> list[str] | None:
    """The files git tracks in the checkout at ``root``, or None without git or a checkout.

    The checkout is named safe for this one command: a checkout owned by another user (a CI
    job in a container running as root over the runner's files) made git refuse to read it
    ("detected dubious ownership", status 128), failing the packaging tests. Names are read
    NUL-separated, as written: split on white space, one with a space became two, and git
    quotes a name with a non-ASCII letter ("\\303\\251.txt") otherwise."""
    if shutil.which("git") is None or not (root / ".git").exists():
        return None
    listed = subprocess.run(
        ["git", "-c", f"safe.directory={root}", "ls-files", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stdout
    return [name for name in listed.split("\0") if name]


def _source_copy(dest):
    """A copy of the checkout's sources to build from: the files git tracks, or without git
    the tree less its build products. A build in the checkout writes build/ there, which
    setuptools never cleans: later wheels took files from it (a deleted module, data files
    no longer declared), so a packaging test could not fail once the suite had run."""
    tracked = _tracked_files()
    if tracked is not None:
        for name in tracked:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    else:
        skip = shutil.ignore_patterns(
            "build", "dist", "*.egg-info", ".venv", ".git", "__pycache__", ".hypothesis"
        )
        shutil.copytree(ROOT, dest, ignore=skip)
    return dest


def test_wheel_is_small_and_carries_the_data(tmp_path):
    pytest.importorskip("setuptools")
    source = _source_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    # pyproject.toml uses no deprecated metadata (e.g. a TOML-table license, which setuptools
    # stops accepting in 2027)
    assert "deprecated" not in proc.stderr.decode(), proc.stderr.decode()
    (wheel,) = wheels.glob("skbucket-*.whl")
    assert wheel.stat().st_size < 2_000_000
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        assert "License-Expression: BSD-3-Clause" in archive.read(meta).decode()
        assert "License-File: LICENSE" in archive.read(meta).decode()
        licence = next(n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
        assert archive.read(licence).decode().startswith("BSD 3-Clause License")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("tweets.csv.gz") for n in names)
    assert any(n.endswith(".csv.gz") and "captioned" in n for n in names)
    # PEP 561's marker: type checkers read skbucket's annotations (mypy in `make test`)
    assert "skbucket/py.typed" in names


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("git") is None,
    reason="needs root (to hand the checkout to another user) and git",
)
def test_the_tracked_files_of_a_checkout_owned_by_another_user_are_listed(tmp_path):
    """git refused a checkout owned by another user (a CI job's container running as root
    over the runner's files): the sdist and wheel tests failed on "dubious ownership" there
    only; a name with a space or a non-ASCII letter came back split or quoted."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    names = ["a b.txt", "caf\u00e9.txt", "sub/c.py"]
    for name in names:
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text("x", encoding="utf-8")
    who = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "."], [*who, "commit", "-q", "-m", "files"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    for folder, _, files in os.walk(repo):
        for path in [folder, *(os.path.join(folder, f) for f in files)]:
            os.chown(path, 65534, 65534)  # nobody's, as the runner's files are not root's
    assert sorted(_tracked_files(repo)) == names


def test_sdist_carries_what_its_tests_need(tmp_path):
    """The sdist holds the whole test suite with its helpers (conftest, tiny models), the docs,
    examples and the Makefile's tools; before, setuptools took only tests/test_*.py."""
    pytest.importorskip("setuptools")
    tracked = _tracked_files()
    if tracked is None:
        pytest.skip("needs the git checkout (the sdist is built from a copy of its files)")
    source = _source_copy(tmp_path / "src")  # a copy: the build writes nothing into the checkout
    subprocess.run(
        [sys.executable, "-c", "from setuptools import build_meta as b; b.build_sdist('dist')"],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (sdist,) = (source / "dist").glob("skbucket-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    wanted = [
        n
        for n in tracked
        if n.startswith(("tests/", "docs/", "examples/", "tools/", "skbucket/")) or n == "Makefile"
    ]
    assert sorted(set(wanted) - names) == []
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def test_the_install_list_takes_the_lean_wheels_on_linux_only():
    """tools/requirements.py asked for xgboost-cpu (no macOS wheel: a build from source
    there) and torch==2.13.0 (no wheel for Intel Macs) everywhere."""
    from packaging.markers import Marker
    from packaging.requirements import Requirement

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from requirements import requirements
    finally:
        sys.path.remove(str(ROOT / "tools"))

    lines = requirements("all")
    assert lines[0].startswith("torch")  # torch first, in the same pip command

    def picked(platform, machine):
        env = {"sys_platform": platform, "platform_machine": machine}
        out = {}
        for line in lines:
            req = Requirement(line)
            if req.marker is None or Marker(str(req.marker)).evaluate(env):
                out.setdefault(req.name, []).append(str(req.specifier))
        return out

    linux = picked("linux", "x86_64")
    assert linux["xgboost-cpu"] == [">=2.1.4"] and "xgboost" not in linux
    assert linux["torch"] == ["==2.13.0"]
    for platform, machine in (("darwin", "arm64"), ("darwin", "x86_64"), ("win32", "AMD64")):
        other = picked(platform, machine)
        assert "xgboost-cpu" not in other and other["xgboost"] == [">=2.1.4"]
        assert "==2.13.0" not in other["torch"]
    assert "xgboost" in picked("linux", "aarch64")  # xgboost-cpu has x86-64 wheels only


def test_the_checkers_that_make_test_runs_are_pinned():
    """``make test`` runs ruff and mypy from a fresh install of the dev extra. Under a floor
    only (``ruff>=0.6``), a new release of either (a rule on by default, a format style, a
    stricter inference) could fail the suite of an unchanged checkout; the versions installed
    here are the ones pinned, so the checks a contributor runs are the ones CI runs."""
    import importlib.metadata as md

    from packaging.requirements import Requirement

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from requirements import requirements
    finally:
        sys.path.remove(str(ROOT / "tools"))

    pins = {}
    for line in requirements("dev"):
        req = Requirement(line)
        if req.name in ("ruff", "mypy"):
            pins[req.name] = str(req.specifier)
    assert set(pins) == {"ruff", "mypy"}
    for name, specifier in pins.items():
        assert specifier.startswith("==") and "," not in specifier, (name, specifier)
        assert md.version(name) == specifier[2:], (name, md.version(name), specifier)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "/bin/ruff check" in test_recipe and "/bin/mypy" in test_recipe
