"""The Python blocks of ``docs/getting_started.rst`` that run offline do run, as written.

"The first model" and the baseline after it use only the bundled data and scikit-learn models;
the later blocks need BLIP-2/DistilBERT downloads or files of the reader's, so they are left to
the gallery (which the docs build runs).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

GETTING_STARTED = Path(__file__).resolve().parents[1] / "docs" / "getting_started.rst"


def python_blocks(text: str) -> list[str]:
    """The bodies of the ``.. code-block:: python`` directives of ``text``, dedented."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: python":
            body = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                body.append(lines[i])
                i += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
        else:
            i += 1
    return blocks


def test_python_blocks_parser():
    text = "A\n\n.. code-block:: python\n\n   x = 1\n   if x:\n       y = 2\n\nProse\n"
    assert python_blocks(text) == ["x = 1\nif x:\n    y = 2\n"]


def test_first_model_and_baseline_blocks_run():
    text = GETTING_STARTED.read_text(encoding="utf-8").split("\nThe seed pipeline\n", 1)[0]
    blocks = python_blocks(text)
    # the first model, the baseline, the difference of the two, which inputs matter
    assert len(blocks) == 4, blocks
    namespace: dict = {}
    for n, block in enumerate(blocks):
        exec(compile(block, f"{GETTING_STARTED.name} block {n}", "exec"), namespace)
    X_test, y_test = namespace["X_test"], namespace["y_test"]
    assert namespace["model"].predict(X_test.head(3)).shape == (3,)
    pred = namespace["baseline"].predict(X_test)
    assert pred.shape == (len(X_test),) and np.isfinite(pred).all()
    # the baseline is a real one: better than predicting everyone's median
    log_err = np.log1p(pred) - np.log1p(y_test)
    log_err_global = np.log1p(np.median(namespace["y_train"])) - np.log1p(y_test)
    assert np.sqrt(np.mean(log_err**2)) < np.sqrt(np.mean(log_err_global**2))
    # the difference of the model's RMSE(log1p) and the baseline's, with its interval
    from skbucket.metrics import PairedDifference, evaluate_estimator

    difference = namespace["difference"]
    assert isinstance(difference, PairedDifference)
    both = [
        evaluate_estimator(namespace[m], X_test, y_test)["rmse_log1p"]
        for m in ("model", "baseline")
    ]
    assert abs(difference.difference - (both[0] - both[1])) < 1e-12
    assert difference.low <= difference.difference <= difference.high
    from skbucket.metrics import paired_bootstrap

    pred = [namespace[m].predict(X_test) for m in ("model", "baseline")]
    whole = paired_bootstrap(y_test, *pred, groups=X_test["inferred_company"])  # as the text says
    assert tuple(difference) == tuple(whole["rmse_log1p"])
    # the importances the text reports: the account columns first, the others near 0
    importance = dict(zip(X_test.columns, namespace["result"].importances_mean))
    assert set(importance) == {"date", "username", "inferred_company", "media", "caption"}
    assert min(importance["username"], importance["inferred_company"]) > 0.5
    assert max(abs(importance[c]) for c in ("caption", "media", "date")) < 0.1
