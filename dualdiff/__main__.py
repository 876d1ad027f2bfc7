"""``python -m dualdiff``: the kernel store from the command line.

- ``python -m dualdiff precompile [--jobs N]``: build the common kernels ahead of time.
- ``python -m dualdiff cache [info]``: where the store is, whether it is usable, its size.
- ``python -m dualdiff cache clear``: remove every kernel this user has stored.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import cache_info, clear_cache, precompile


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dualdiff", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    pre = sub.add_parser("precompile", help="build the common kernels into the store")
    pre.add_argument("--jobs", type=int, default=None, help="processes (default: all CPUs)")
    cache = sub.add_parser("cache", help="show or clear the kernel store")
    cache.add_argument("action", nargs="?", choices=("info", "clear"), default="info")
    args = p.parse_args(argv)
    if args.command == "precompile":
        out = precompile(jobs=args.jobs)
        print(json.dumps(out, indent=2))
        return 0 if out.get("store") else 1
    if args.action == "clear":
        print(json.dumps({"removed_bytes": clear_cache()}))
        return 0
    print(json.dumps(cache_info(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
