"""Fixtures for the docstring examples (``--doctest-modules`` collects ``skbucket/``, which
``tests/conftest.py`` does not reach)."""

from __future__ import annotations

import tempfile

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def _doctests_in_their_own_folder(request, tmp_path, monkeypatch):
    """A docstring example's ``tempfile.mkdtemp()`` (a report, a cache, a saved model) lands
    in the example's own pytest folder, which pytest removes, and it runs there: eight
    examples left a folder in /tmp on every run."""
    if isinstance(request.node, DoctestItem):
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        monkeypatch.chdir(tmp_path)
