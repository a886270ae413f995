"""Sphinx configuration for the skbucket documentation.

Built warning-free (``-W``) by ``tests/test_docs.py`` as part of ``make test``.
"""

import os
import re
import sys
from pathlib import Path

from docutils.parsers.rst import Directive

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
# a page as wide as the window up to 1,300 px (alabaster's 940 px and the body's 800 px cut
# the examples' code, written up to 100 characters a line, at a desktop window's width)
html_theme_options = {"page_width": "min(1300px, 100%)", "body_max_width": "none"}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_js_files = ["scrollable.js"]  # keyboard users can scroll a code block that overflows

autosummary_generate = True
autosummary_ignore_module_all = False  # a module page lists its __all__, as autodoc documents
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


# ----------------------------------------------------------------------------- cross-references
# Every reference to skbucket's own API must resolve (``nitpicky`` + ``-W``: a broken one fails
# the build). Other libraries' names cannot (no intersphinx inventories offline) and are ignored,
# as are fitted attributes (``classes_``), which are documented in their class's Attributes
# section, not as targets.
nitpicky = True
_EXTERNAL = (
    # not "dask" or "io" alone: skbucket.dask and skbucket.io are referred to as dask.* / io.*
    "sklearn|pandas|numpy|np|scipy|matplotlib|PIL|torch|transformers|tokenizers|dask\\.dataframe"
    "|distributed|joblib|skops|xgboost|catboost|onnx|onnxruntime|polars|pyarrow|tqdm|pathlib"
    "|collections|os|ast|zipfile|json|re|str|bytes|int|float|bool|dict|list|tuple|callable|datetime"
    "|typing|concurrent|threading|urllib|http|socket|warnings|logging|types|hashlib|hmac"
)
nitpick_ignore_regex = [
    ("py:.*", rf"(?:{_EXTERNAL})(?:\..*)?"),
    ("py:attr", r"[a-z]\w*_"),  # a fitted attribute named alone (a qualified one must resolve)
]


def _documented(app, env):
    """``id(object) -> [(documented full name, object type)]`` for the classes, functions and
    modules the docs describe. Only those: two constants that are equal may be one object
    (``1``, an interned string), so data is never matched by identity, only by its name.
    Built once per build, when every page has been read; kept on ``app``, not on ``env``,
    which Sphinx pickles for the next (incremental) build."""
    import inspect

    cache = getattr(app, "_skbucket_documented", None)
    if cache is None:
        cache = {}
        for name, entry in env.get_domain("py").objects.items():
            obj = _import(name)
            if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
                cache.setdefault(id(obj), []).append((name, entry.objtype))
        app._skbucket_documented = cache
    return cache


#: the object types a role may link to (``obj`` any)
_ROLE_TYPES = {
    "func": {"function"},
    "meth": {"method"},
    "class": {"class", "exception"},
    "exc": {"exception", "class"},
    "data": {"data"},
    "attr": {"attribute", "property"},
    "mod": {"module"},
}


def _import(name):
    """The object a dotted ``skbucket...`` name stands for, or None."""
    import importlib

    if not name.startswith("skbucket"):
        return None
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _resolve_alias(app, env, node, contnode):
    """Resolve a skbucket reference written under another name than the documented one.

    ``skbucket.BucketedRegressor`` (the lazy top-level name) and a short ``PromptError`` inside
    ``skbucket.prompts`` are the objects documented as ``skbucket.bucketed.BucketedRegressor``
    and ``skbucket.exceptions.PromptError``: link to those.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    module = node.get("py:module") or ""
    types = _ROLE_TYPES.get(node["reftype"])
    documented = _documented(app, env)

    def names(key):  # the documented names of an object that this role may link to
        return [
            name for name, objtype in documented.get(key, ()) if types is None or objtype in types
        ]

    found = None
    candidates = [target, f"{module}.{target}", f"skbucket.{target}"]
    owner = _import(f"{module}.{node.get('py:class')}") if node.get("py:class") else None
    home = getattr(owner, "__module__", None)
    if home and home != module:  # a re-exported class's docstring speaks of its own module
        candidates.append(f"{home}.{target}")
    for candidate in candidates:
        obj = _import(candidate)
        linkable = names(id(obj)) if obj is not None else []
        if linkable:
            found = linkable[0]
            break
    else:  # a short name (an autosummary table's summary line): the one documented object of
        # that name inside the reference's own module (and class), never one elsewhere
        scope = ".".join(part for part in (module, node.get("py:class")) if part)
        matches = {
            n
            for key in documented
            for n in names(key)
            if scope and n.startswith(f"{scope}.") and n.endswith(f".{target}")
        }
        if len(matches) == 1:
            (found,) = matches
    if found is None:
        return None
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], found, node, contnode
    )


def _public_bases(app, name, obj, options, bases):
    """Leave skbucket's private mixins out of "Bases:" (they are not documented)."""
    bases[:] = [b for b in bases if not getattr(b, "__module__", "").startswith("skbucket._")]


class _DatasetDescription(Directive):
    """``.. dataset-description:: tweets.rst``: a bundled dataset's ``DESCR``, read as its
    loader reads it (from the installed package), parsed as if written here."""

    required_arguments = 1

    def run(self):
        from skbucket.datasets._base import _descr

        name = self.arguments[0]
        lines = _descr(name).splitlines()
        self.state_machine.insert_input(lines, f"skbucket/datasets/descr/{name}")
        return []


def _top_level_aliases(app, env):
    """``skbucket.BucketedRegressor`` (the import path the README and examples use) as an
    object of its own: sphinx-gallery links the examples' code by it and ``objects.inv`` lists
    it for other projects (``_resolve_alias`` mends roles only)."""
    py = env.get_domain("py")
    for name, module in skbucket._LAZY.items():
        entry = py.objects.get(f"{module}.{name}")
        if entry is not None:
            py.objects.setdefault(f"skbucket.{name}", entry._replace(aliased=True))


def setup(app):
    app.connect("env-check-consistency", _top_level_aliases)
    app.add_directive("dataset-description", _DatasetDescription)
    # before numpydoc (priority 500) rewrites the sections
    app.connect("autodoc-process-docstring", _escape_type_fields, priority=400)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("missing-reference", _resolve_alias)
    app.connect("autodoc-process-bases", _public_bases)
