"""Command line: ``python -m skfairdistill demo`` and ``python -m skfairdistill distill``.

The implementation lives in :mod:`skfairdistill._cli.main`; run
``python -m skfairdistill distill --help`` for the options.
"""

import sys

from ._cli.main import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
