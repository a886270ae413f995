"""Sphinx configuration for the skbucket documentation.

Built warning-free (``-W``) by ``tests/test_docs.py`` as part of ``make test``.
"""

import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import skbucket

project = "skbucket"
author = "skbucket developers"
copyright = "2026, skbucket developers"
version = release = skbucket.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**.zip"]
html_theme = "alabaster"
html_static_path = []

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "line_numbers": False,
    "min_reported_time": 9999,
    # "Examples using X" on every API page (sphinx_gallery.doc_references)
    "doc_module": ("skbucket",),
    "backreferences_dir": "generated/backreferences",
}

# ----------------------------------------------------------------------------- docstring fixes
# numpydoc type fields such as ``proba : ndarray of shape (n_samples, n_buckets_)`` name a
# fitted attribute; to reStructuredText ``n_buckets_`` is a reference to a target that does not
# exist. Escape the trailing underscore in the *type* part of "name : type" lines only.
_FIELD_LINE = re.compile(r"^(\s*[\w*, \\]+ : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*[A-Za-z0-9])_(?![\w`])")


def _escape_type_fields(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _FIELD_LINE.match(line)
        if match is None or "`" in match.group(2):
            continue
        escaped = _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(2))
        lines[i] = match.group(1) + escaped


# scikit-learn adds ``set_fit_request``/``set_score_request`` (metadata routing) to every
# estimator class; their docstrings point into scikit-learn's own glossary. Not our API.
_SKIPPED_MEMBER = re.compile(r"^set_\w+_request$")


def _skip_member(app, what, name, obj, skip, options):
    if _SKIPPED_MEMBER.match(name):
        return True
    return None


def setup(app):
    # before numpydoc (priority 500) rewrites the sections
    app.connect("autodoc-process-docstring", _escape_type_fields, priority=400)
    app.connect("autodoc-skip-member", _skip_member)
