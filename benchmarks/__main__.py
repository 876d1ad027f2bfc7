"""``python -m benchmarks``: run the dualdiff benchmark suites (see ``--help``)."""

import sys

from benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main())
