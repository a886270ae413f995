"""Headless Chromium for tests that look at a rendered page (the report, the docs): find the
binary (CI installs the Debian package; elsewhere a missing one skips), run it, and read back
what a script measured in the laid-out page."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, but CI is set: .ci/run must install it")
    pytest.skip("chromium not installed (Debian package 'chromium'); CI installs it")


def run_chromium(binary, tmp_path, *args):
    cmd = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def measure(root: Path, pages: list[str], script: str, tmp_path: Path, *, width: int = 1280):
    """``{page: result}``: what ``script`` (the body of a JavaScript function returning what
    JSON can hold, run with ``document`` the page's) gives in each of ``pages`` (paths under
    ``root``) once they have loaded in frames ``width`` pixels wide, all in one Chromium run.
    Their relative links (style sheets, images) resolve as when the page is opened itself."""
    harness = root / "_measure.html"
    frames = "".join(
        f'<iframe src="{html.escape(page)}" style="width:{width}px;height:900px"></iframe>'
        for page in pages
    )
    runner = (
        "<script>var SCRIPT = " + json.dumps(script) + ";"
        'window.addEventListener("load", function () {'
        "  var out = {};"
        '  document.querySelectorAll("iframe").forEach(function (f) {'
        "    var w = f.contentWindow;"
        '    out[f.getAttribute("src")] = w.document.body ? new w.Function(SCRIPT)() : null;'
        "  });"
        '  document.body.setAttribute("data-measured", JSON.stringify(out));'
        "});</script>"
    )
    harness.write_text(f"<!DOCTYPE html><html><body>{frames}{runner}</body></html>", "utf-8")
    try:
        out = run_chromium(
            chromium(),
            tmp_path,
            "--allow-file-access-from-files",  # the frames' documents, to the harness's script
            f"--window-size={width + 40},1000",
            "--virtual-time-budget=10000",
            "--dump-dom",
            harness.as_uri(),
        )
    finally:
        harness.unlink()
    found = re.search(r'<body[^>]*data-measured="([^"]*)"', out.stdout)
    assert found is not None, out.stderr[-2000:]
    results = json.loads(html.unescape(found.group(1)))
    missing = [page for page in pages if results.get(page) is None]
    assert not missing, f"not laid out: {missing}"
    return results
