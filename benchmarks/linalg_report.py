"""What linear algebra on dual numbers costs: ``solve`` and ``det`` with k directions.

Run ``python -m benchmarks.linalg_report`` from the repository root (``--quick`` for a short
run, ``--json PATH`` to save the figures). For an ``n × n`` matrix (``n = 100``) and
``k = 1, 10, 100`` directions (a Dual in vector mode, as ``dd.jacobian`` seeds), each row
gives the time of ``np.linalg.solve(A, b)`` / ``np.linalg.det(A)`` on the Dual over numpy's
own call on the same plain matrix, measured in the same process, taken in turn in several
rounds and the median ratio reported. A solve with ``A`` dual costs two factorisations (the
value, then all ``k`` directions as columns of one call) and ``O(k n²)`` for the right-hand
sides, so the ratio should stay near 2 plus the ``k``-column work, not grow like ``k``.

- ``time_solve_dual_A``: ``A`` dual, ``b`` constant.
- ``time_solve_dual_b``: ``A`` constant, ``b`` dual (one factorisation with ``k + 1``
  columns would do; the rule does two calls).
- ``time_det``: ``det(A)`` with ``A`` dual: ``det · tr(A⁻¹ dA)``, one solve with ``k·n``
  columns.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

import dualdiff as dd
from benchmarks.timing import measure

N = 100
DIRECTIONS = (1, 10, 100)


def _cases(n: int, k: int, seed: int = 0) -> dict:
    """``name -> (dual call, numpy call)``, both zero-argument, setup done here."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + n**0.5 * np.eye(n)
    b = rng.standard_normal(n)
    a_dual = dd.Dual(a, rng.standard_normal((n, n, k)))
    b_dual = dd.Dual(b, rng.standard_normal((n, k)))
    return {
        "time_solve_dual_A": (lambda: np.linalg.solve(a_dual, b), lambda: np.linalg.solve(a, b)),
        "time_solve_dual_b": (lambda: np.linalg.solve(a, b_dual), lambda: np.linalg.solve(a, b)),
        "time_det": (lambda: np.linalg.det(a_dual), lambda: np.linalg.det(a)),
    }


def run(n: int = N, directions=DIRECTIONS, rounds: int = 5, min_time: float = 0.02) -> dict:
    """Median ratio (dual time / numpy time) per case and k, with the times of the last
    round, in seconds."""
    out: dict = {"n": n, "rows": []}
    for k in directions:
        for name, (dual_call, numpy_call) in _cases(n, k).items():
            ratios, last = [], None
            for _ in range(rounds):
                t_dual, _ = measure(dual_call, repeat=3, min_time=min_time)
                t_np, _ = measure(numpy_call, repeat=3, min_time=min_time)
                ratios.append(t_dual.median / t_np.median)
                last = (t_dual.median, t_np.median)
            out["rows"].append(
                {
                    "case": name,
                    "k": k,
                    "ratio": statistics.median(ratios),
                    "ratio_range": [min(ratios), max(ratios)],
                    "dual_s": last[0],
                    "numpy_s": last[1],
                }
            )
    return out


def format_table(result: dict) -> str:
    lines = [
        f"linalg on Dual, n = {result['n']}: time over numpy's own call on the plain matrix",
        f"{'case':<20} {'k':>4} {'ratio':>8} {'range':>16} {'dual':>10} {'numpy':>10}",
    ]
    for r in result["rows"]:
        lo, hi = r["ratio_range"]
        lines.append(
            f"{r['case']:<20} {r['k']:>4} {r['ratio']:>8.2f} {f'{lo:.2f}-{hi:.2f}':>16} "
            f"{r['dual_s'] * 1e3:>8.3f}ms {r['numpy_s'] * 1e3:>8.3f}ms"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.linalg_report")
    parser.add_argument("--quick", action="store_true", help="one round, short repeats")
    parser.add_argument("--n", type=int, default=N, help="matrix size (default 100)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    result = run(args.n, rounds=1, min_time=0.002) if args.quick else run(args.n)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
