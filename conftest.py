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
        # an example sets and deletes SOURCE_DATE_EPOCH in os.environ itself (skbucket._clock):
        # it runs without the caller's, which is put back after it (a CI that set one lost it
        # for the rest of that worker's tests, or kept the example's "yesterday" if it failed)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
        monkeypatch.delenv("SOURCE_DATE_EPOCH")
