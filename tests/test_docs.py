"""The documentation builds without a single warning, and runs every gallery example.

The build runs ``sphinx -W --keep-going -b html`` in a subprocess, exactly like ``make docs``,
but on a copy of ``docs/`` and ``examples/`` in ``tmp_path``: sphinx-gallery and autosummary write
``auto_examples/`` and ``generated/`` into the source folder, and the copy keeps the repository
clean and parallel workers apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Written into the source folder by the build itself: never copied from a previous build.
_BUILD_OUTPUTS = ("_build", "auto_examples", "generated", "gen_modules", "sg_execution_times.rst")

# One test in its own file: ``make test`` runs pytest-xdist with ``--dist loadfile``, so the build
# has a worker to itself while the other worker runs the rest of the suite.
pytestmark = pytest.mark.slow


def _examples():
    return sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))


def _sources(tmp_path: Path) -> Path:
    """A copy of what the build reads: ``docs/`` and ``examples/`` (the package, with the
    datasets' descriptions ``docs/datasets.rst`` shows, is imported as installed)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "docs", src / "docs", ignore=shutil.ignore_patterns(*_BUILD_OUTPUTS))
    shutil.copytree(ROOT / "examples", src / "examples")
    return src


def _build(tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    src = _sources(tmp_path)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(out / "doctrees"),
        "docs",
        str(out / "html"),
    ]
    proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True, timeout=1500)
    return proc, out / "html"


def test_docs_build_without_warnings(tmp_path):
    examples = _examples()
    assert len(examples) >= 5, examples

    proc, html = _build(tmp_path)
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert proc.returncode == 0, "\n".join(warnings) or log[-5000:]
    assert not warnings, "\n".join(warnings)

    pages = [
        "index.html",
        "getting_started.html",
        "method.html",
        "cli.html",
        "scaling.html",
        "datasets.html",
        "bad_input.html",
        "api.html",
        "generated/skbucket.bucketed.BucketedRegressor.html",
        "generated/skbucket.pipeline.make_seed_pipeline.html",
        "auto_examples/index.html",
        *(f"auto_examples/{name}.html" for name in examples),
    ]
    missing = [page for page in pages if not (html / page).is_file()]
    assert not missing, f"pages not built: {missing}"

    # The API page documents the estimator from its docstring (parameters and methods).
    api = (html / "generated/skbucket.bucketed.BucketedRegressor.html").read_text("utf-8")
    for text in ("min_bucket_size", "predict_bucket_proba", "routing"):
        assert text in api, text

    # The datasets' descriptions (DESCR: sources, sampling, licence note) are on a page.
    datasets = (html / "datasets.html").read_text("utf-8")
    for text in ("Data Set Characteristics", "How this sample was drawn", "licen"):
        assert text in datasets, text

    # Every example ran: sphinx-gallery puts the captured output on the page, and the
    # examples that plot have their figures.
    gallery = (html / "auto_examples/index.html").read_text("utf-8")
    for name in examples:
        page = (html / f"auto_examples/{name}.html").read_text("utf-8")
        shown = "sphx-glr-script-out" in page or 'class="dataframe' in page
        assert shown, f"{name} shows no output (printed text or a table)"
        assert f"{name}.html" in gallery, f"{name} missing from the gallery index"
    figures = {p.name for p in (html / "_images").glob("sphx_glr_plot_*_0*.png")}
    for name in examples:  # each has a figure (the gallery's thumbnail; not a placeholder)
        assert any(f.startswith(f"sphx_glr_{name}_0") for f in figures), f"{name}: no figure"

    # The seed-pipeline example printed real metrics.
    seed = (html / "auto_examples/plot_1_seed_pipeline.html").read_text("utf-8")
    assert re.search(r"rmse_log1p:\s+\d", seed), "seed pipeline example printed no metrics"

    _check_layout(html, tmp_path)


#: per page laid out in Chromium: the field labels ("Parameters:") that wrap onto more than
#: one line, and the code blocks of the source (not of printed output) wider than their box
_LAYOUT = """
var wrapped = [], cut = [], unfocusable = [];
document.querySelectorAll("dl.field-list > dt").forEach(function (dt) {
  // its text's line boxes (the dt itself stretches to its row's height)
  var range = document.createRange();
  range.selectNodeContents(dt);
  var tops = new Set(Array.from(range.getClientRects(), function (r) { return Math.round(r.top); }));
  if (tops.size > 1) { wrapped.push(dt.textContent.trim()); }
});
document.querySelectorAll("div.highlight pre").forEach(function (pre) {
  if (pre.closest(".sphx-glr-script-out")) { return; }  // printed output may scroll
  if (pre.scrollWidth > pre.clientWidth + 1) { cut.push(pre.textContent.slice(0, 60)); }
});
// a block that scrolls (printed output, a long line of a page's text) takes focus, so the
// keyboard can scroll it too
document.querySelectorAll("pre").forEach(function (pre) {
  var scrolls = pre.scrollWidth > pre.clientWidth + 1 || pre.scrollHeight > pre.clientHeight + 1;
  if (scrolls && pre.tabIndex < 0) { unfocusable.push(pre.textContent.slice(0, 60)); }
});
return {wrapped: wrapped, cut: cut, unfocusable: unfocusable};
"""


def _check_layout(html: Path, tmp_path: Path) -> None:
    """In a 1,280-pixel window the API pages' field labels stay on one line (alabaster's grid
    squeezed "Parameters:" to a letter per line beside long code), the examples' code is
    not cut at the right edge (a 940-pixel page cut lines of 80 characters), and a code block
    that scrolls (the gallery's printed tables, the CLI page's long lines) can take focus, so
    that the keyboard scrolls it."""
    from _chromium import measure

    pages = [
        "getting_started.html",
        "method.html",
        "cli.html",
        *(p.relative_to(html).as_posix() for p in sorted((html / "auto_examples").glob("*.html"))),
        *(p.relative_to(html).as_posix() for p in sorted((html / "generated").glob("*.html"))),
    ]
    found = measure(html, pages, _LAYOUT, tmp_path, width=1280)
    # (the CLI page's blocks are commands and their printed output, which may scroll)
    problems = {
        page: seen
        for page, seen in found.items()
        if seen["wrapped"] or seen["unfocusable"] or (seen["cut"] and page != "cli.html")
    }
    assert not problems, problems


def test_broken_skbucket_references_are_reported_and_aliases_link_right(tmp_path):
    """conf.py's nitpicky check and its resolver (gallery off and no -W, so this is quick and
    lists every break; the real build's -W makes each one fail it): top-level and short names
    of documented skbucket objects link to them; an undocumented name, an equal constant and a
    short method name from another class are reported, never linked elsewhere."""
    src = _sources(tmp_path)
    probe = (
        "\n\nProbe\n-----\n\n.. currentmodule:: skbucket.prompts\n\n"
        "Good: :class:`skbucket.BucketedRegressor`, :func:`parse_dates`, "
        ":class:`skbucket._models.TextInputError`.\n\n"
        "Broken: :data:`skbucket.cli.EXIT_ERROR`, :meth:`set_params`, :class:`skbucket.NoSuch`.\n"
        # typos of skbucket.io / skbucket.dask names and of a qualified fitted attribute were
        # taken for Python's io, the dask library and a bare fitted attribute, and let be
        "\n.. currentmodule:: skbucket\n\n"
        "Typos: :func:`io.laod`, :func:`dask.predcit`, "
        ":attr:`BucketedRegressor.bucket_fallbacks_`.\n"
    )
    method = src / "docs" / "method.rst"
    method.write_text(method.read_text("utf-8") + probe, "utf-8")
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-D", "plot_gallery=0", "docs", "out"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    broken = re.findall(r"reference target not found: (\S+)", proc.stderr)
    assert sorted(broken) == [
        "BucketedRegressor.bucket_fallbacks_",
        "dask.predcit",
        "io.laod",
        "set_params",
        "skbucket.NoSuch",
        "skbucket.cli.EXIT_ERROR",
    ]
    page = (src / "out" / "method.html").read_text("utf-8")
    probe_html = page[page.index('id="probe"') :]
    for href in (
        "generated/skbucket.bucketed.BucketedRegressor.html#skbucket.bucketed.BucketedRegressor",
        "generated/skbucket.dates.parse_dates.html#skbucket.dates.parse_dates",
        "generated/skbucket.exceptions.html#skbucket.exceptions.TextInputError",
    ):
        assert f'href="{href}"' in probe_html, href
    # the top-level names are objects of their own in the inventory other projects link by
    from sphinx.util.inventory import InventoryFile

    with open(src / "out" / "objects.inv", "rb") as fh:
        inventory = InventoryFile.load(fh, "", lambda base, uri: uri)
    assert "skbucket.BucketedRegressor" in inventory["py:class"]
    # set_output of the classes whose own (private) mixin keeps unseen columns has its entry
    page = (src / "out" / "generated" / "skbucket.pipeline.ColumnRoles.html").read_text("utf-8")
    assert 'id="skbucket.pipeline.ColumnRoles.set_output"' in page


def test_code_colours_of_the_docs_hold_four_and_a_half_to_one():
    """An accessibility audit (axe-core): the code examples' strings (#4e9a06 on the code
    background, 3.3:1) and doctest output (#888) fell short of WCAG AA's 4.5:1 for text.
    docs/_static/custom.css overrides every token colour of the theme's highlighting style
    below it."""
    import numpy as np
    from matplotlib.colors import to_rgb
    from pygments.formatters import HtmlFormatter
    from sphinx.highlighting import PygmentsBridge

    def ratio(a, b):
        def lum(c):
            c = np.array(to_rgb(c))
            c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
            return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

        high, low = sorted([lum(a), lum(b)], reverse=True)
        return (high + 0.05) / (low + 0.05)

    # the theme's own style (alabaster/theme.toml: pygments_style)
    style = PygmentsBridge("html", "alabaster.support.Alabaster").formatter_args["style"]
    background = style.background_color
    css = (ROOT / "docs" / "_static" / "custom.css").read_text(encoding="utf-8")
    overrides = {}
    for selectors, colour in re.findall(r"([^{}]+)\{\s*color:\s*(#[0-9a-fA-F]{3,6});\s*\}", css):
        for token in re.findall(r"\.highlight \.(\w+)", selectors):
            overrides[token] = colour
    short = []
    for line in HtmlFormatter(style=style).get_style_defs(".highlight").splitlines():
        found = re.match(r"\.highlight \.(\w+) \{ color: (#[0-9a-fA-F]{3,6})", line)
        if not found or found.group(1) == "w":  # whitespace: no text to read
            continue
        token, colour = found.groups()
        shown = overrides.get(token, colour)
        if ratio(shown, background) < 4.5:
            short.append(f".{token} {shown} ({ratio(shown, background):.2f}:1)")
    assert not short, short
