"""``python -m skbucket``: the ``skbucket`` command, as ``python -m skbucket.cli`` runs it."""

import sys

from .cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
