"""The README's usage example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

README = Path(__file__).resolve().parents[1] / "README.md"


#: first line of a README code block that needs hub models and so is not executed here
NEEDS_MODELS = "# needs the hub models"


def _python_blocks(text: str) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    return [b for b in blocks if not b.startswith(NEEDS_MODELS)]


def test_readme_runs_at_least_one_block():
    assert _python_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_exactly_two_setup_commands():
    """The README's set-up block holds the two commands a fresh machine runs, one for the demo
    and one for the test suite (``.ci/run`` runs the second): the project's rule. Commands for
    development (lint, format, docs) belong in docs/developing.rst, which the README links."""
    text = README.read_text(encoding="utf-8")
    (bash,) = re.findall(r"## Set-up.*?```bash\n(.*?)```", text, flags=re.DOTALL)
    commands = [line.split("#")[0].strip() for line in bash.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"], (
        "the README's set-up block holds exactly `make demo` and `make test`; put other "
        "commands in docs/developing.rst"
    )
    assert "docs/developing.rst" in text


@pytest.mark.parametrize("block", _python_blocks(README.read_text(encoding="utf-8")))
def test_readme_python_block_runs(block, capsys):
    namespace: dict = {}
    with threadpool_limits(1):
        exec(compile(block, str(README), "exec"), namespace)
    assert capsys.readouterr().out.strip(), "the example prints its result"
