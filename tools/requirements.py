"""Print the pip requirements of skbucket's extras, read from pyproject.toml.

Used by the Makefile so that pyproject.toml stays the single source of truth.
Two substitutions keep a fresh CPU-only Linux machine lean, each under an environment marker
so that the same list installs elsewhere:

* ``xgboost`` becomes ``xgboost-cpu`` on x86-64 Linux (same ``xgboost`` module, without the
  ~700 MB of NCCL that the plain wheel pulls in there); elsewhere it stays ``xgboost``
  (``xgboost-cpu`` has no macOS wheel, and the plain wheel has no NCCL on macOS or Windows);
* ``torch`` is pinned on Linux to the local CPU wheel (``torch==2.13.0``) so pip never
  resolves a multi-GB CUDA build; elsewhere (macOS, Windows: PyPI's wheels hold no CUDA)
  it keeps its declared range.

Usage: ``python tools/requirements.py dev > requirements.txt``
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

TORCH_PIN = "torch==2.13.0"
# environment markers (PEP 508 has no "not": each is given with its inverse)
LINUX, NOT_LINUX = 'sys_platform == "linux"', 'sys_platform != "linux"'
X86_64_LINUX = 'sys_platform == "linux" and platform_machine == "x86_64"'
NOT_X86_64_LINUX = 'sys_platform != "linux" or platform_machine != "x86_64"'


def requirements(extra: str) -> list[str]:
    meta = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    out: list[str] = []
    todo = list(meta["dependencies"]) + [f"skbucket[{extra}]"]
    while todo:
        req = todo.pop(0)
        m = re.fullmatch(r"skbucket\[(.+)\]", req)
        if m:
            for name in m.group(1).split(","):
                todo.extend(extras[name.strip()])
            continue
        name = re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0]
        if name == "xgboost":
            lines = [
                f"xgboost-cpu{req[len(name) :]}; {X86_64_LINUX}",
                f"{req}; {NOT_X86_64_LINUX}",
            ]
        elif name == "torch":
            lines = [f"{TORCH_PIN}; {LINUX}", f"{req}; {NOT_LINUX}"]
        else:
            lines = [req]
        out += [line for line in lines if line not in out]
    # torch first, in the same pip command: nothing that depends on it may resolve it alone.
    return sorted(out, key=lambda r: not r.startswith("torch"))


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1] if len(sys.argv) > 1 else "dev")))
