"""Print the pip requirements of skbucket's extras, read from pyproject.toml.

Used by the Makefile so that pyproject.toml stays the single source of truth.
Two substitutions keep a fresh CPU-only machine lean:

* ``xgboost`` becomes ``xgboost-cpu`` (same ``xgboost`` module, without the ~700 MB
  of NCCL that the plain wheel pulls in on Linux);
* ``torch`` is pinned to the local CPU wheel (``torch==2.13.0``) so pip never
  resolves a multi-GB CUDA build.

Usage: ``python tools/requirements.py dev > requirements.txt``
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

TORCH_PIN = "torch==2.13.0"


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
            req = "xgboost-cpu" + req[len(name) :]
        elif name == "torch":
            req = TORCH_PIN
        if req not in out:
            out.append(req)
    # torch first, in the same pip command: nothing that depends on it may resolve it alone.
    return sorted(out, key=lambda r: r != TORCH_PIN)


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1] if len(sys.argv) > 1 else "dev")))
