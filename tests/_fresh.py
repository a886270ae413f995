"""Run code in a new Python interpreter: what a process that never imported a package sees."""

from __future__ import annotations

import subprocess
import sys


def errors_in_fresh_python(setup: str, calls: list[str]) -> list[str]:
    """Run ``setup`` in a new interpreter, then each expression of ``calls``; one line per
    call: ``"<exception type> <message>"`` (the message on one line), or ``"ok"``."""
    script = (
        f"{setup}\n"
        f"for call in ({', '.join(f'lambda: {c}' for c in calls)},):\n"
        "    try:\n"
        "        call()\n"
        "        print('ok')\n"
        "    except Exception as exc:\n"
        "        print(type(exc).__name__, ' '.join(str(exc).split()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    # a setup that fails: its traceback (check=True said only "exit status 1")
    assert done.returncode == 0, f"the fresh interpreter failed:\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert len(lines) == len(calls), done.stdout + done.stderr
    return lines
