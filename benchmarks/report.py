"""The results document (one dict, written as JSON) and its Markdown rendering.

Schema (``schema_version`` 1)::

    suite, created, wall_time_s, settings{repeat, sizes, sections},
    machine{platform, machine, processor, cpu_count, python, implementation},
    versions{dualdiff, numpy, numba, scipy, mpmath, matplotlib, rich, <peers>},
    git{commit, dirty}, startup{import, numba_first_call, errors},
    accuracy[{problem, kind, quantity, order, n, h[], errors{scheme: []}, best{scheme:
              {error, h}}, best_fd{error, h, scheme}, dualdiff_error, dualdiff_note}],
    speed[{workload, task, size, method, time_s, ratio_to_primal, max_rel_error,
           first_call_s, compile_s, repeats, number, note}],
    claims{dualdiff_max_error, dualdiff_limit, fd_min_best_error, fd_floor, holds}

Non-finite numbers are written as ``null``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

SCHEMA_VERSION = 1
DUALDIFF_LIMIT = 1e-12
"""Claim: every dualdiff error (accuracy and speed suites) is at most this."""
FD_FLOOR = 1e-11
"""Claim: the best finite-difference error of every accuracy problem is at least this."""


def claims(accuracy: list[dict], speed: list[dict]) -> dict:
    """The runner's headline claims, evaluated on this run's results."""
    dd_errors = [r["dualdiff_error"] for r in accuracy]
    dd_errors += [r["max_rel_error"] for r in speed if r["method"].startswith("dualdiff")]
    fd_best = [r["best_fd"]["error"] if r["best_fd"] else None for r in accuracy]
    dd_max = max((e for e in dd_errors if e is not None), default=None)
    fd_min = min((e for e in fd_best if e is not None), default=None)
    holds = all(e is not None and e <= DUALDIFF_LIMIT for e in dd_errors) and all(
        e is not None and e >= FD_FLOOR for e in fd_best
    )
    return {
        "dualdiff_max_error": dd_max,
        "dualdiff_limit": DUALDIFF_LIMIT,
        "fd_min_best_error": fd_min,
        "fd_floor": FD_FLOOR,
        "holds": holds,
    }


def _finite(value):
    """Replace non-finite floats by ``None``, recursively (JSON has no inf or nan)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(document: dict, path: Path) -> Path:
    """Write ``document`` as indented JSON (non-finite numbers as ``null``)."""
    path.write_text(json.dumps(_finite(document), indent=1, allow_nan=False) + "\n")
    return path


def fmt_time(seconds: float | None) -> str:
    """``1.2 µs``-style duration; ``-`` for ``None``."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_error(value: float | None) -> str:
    """``1.2e-16``-style error; ``-`` for ``None``."""
    return "-" if value is None else f"{value:.1e}"


def fmt_size(size: int | None) -> str:
    """``10^5`` for powers of ten, the number otherwise, ``-`` for ``None``."""
    if size is None:
        return "-"
    exponent = math.log10(size) if size > 0 else 0.5
    return f"10^{int(exponent)}" if exponent.is_integer() and size >= 1000 else str(size)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def accuracy_rows(records: list[dict]) -> list[list[str]]:
    """One row per accuracy record: best error and its h per scheme, dualdiff's error."""

    def best(b: dict | None) -> str:
        if not b or b["error"] is None:
            return "-"
        return f"{b['error']:.1e} (h=1e{round(math.log10(b['h']))})"

    return [
        [
            r["problem"],
            r["quantity"],
            best(r["best"]["forward"]),
            best(r["best"]["central"]),
            best(r["best"]["complex"]),
            fmt_error(r["dualdiff_error"]) + _note(r["dualdiff_note"]),
        ]
        for r in records
    ]


ACCURACY_HEADER = ["problem", "derivative", "forward FD", "central FD", "complex step", "dualdiff"]
SPEED_HEADER = ["task", "size", "method", "time", "× primal", "max rel. error"]


def speed_rows(records: list[dict]) -> list[list[str]]:
    """One row per speed record."""
    return [
        [
            r["task"],
            fmt_size(r["size"]),
            r["method"],
            fmt_time(r["time_s"]),
            "-" if r["ratio_to_primal"] is None else f"{r['ratio_to_primal']:.3g}",
            fmt_error(r["max_rel_error"]) + _note(r["note"]) + _first_call(r),
        ]
        for r in records
    ]


def _first_call(r: dict) -> str:
    """`` (compile 1.2 s)`` for jit peers, `` (first call 1.2 s)`` when the warm-up call was
    much slower than the median (Numba compilation or cache loading); else empty."""
    if r.get("compile_s"):
        return f" (compile {fmt_time(r['compile_s'])})"
    first, median = r.get("first_call_s"), r.get("time_s")
    if first and median and first > 0.05 and first > 10 * median:
        return f" (first call {fmt_time(first)})"
    return ""


def _note(note: str) -> str:
    return f" ({note.splitlines()[0][:80]})" if note else ""


def startup_rows(startup: dict | None) -> list[list[str]]:
    """Rows of the start-up table (empty if it did not run)."""
    if not startup:
        return []
    rows = []
    if startup.get("import"):
        imp = startup["import"]
        rows.append(["import numpy", fmt_time(imp["numpy_s"])])
        rows.append(["import dualdiff (after numpy)", fmt_time(imp["dualdiff_over_numpy_s"])])
    for run in startup.get("numba_first_call") or ():
        label = f"Numba kernel (sin, N={fmt_size(run['n'])}), fresh process {run['process']}"
        rows.append([f"{label}: first call", fmt_time(run["first_call_s"])])
        rows.append([f"{label}: steady call", fmt_time(run["steady_call_s"])])
    rows += [["error", e] for e in startup.get("errors", ())]
    return rows


WORKLOAD_TITLES = {
    "W1": "W1 scalar f(x) = exp(sin x)/(1+x²) + √x·log1p(x) at x = 0.7 (primal: math on floats)",
    "W2": "W2 the same f elementwise on linspace(0.1, 2, N)",
    "W3": "W3 gradient of Rosenbrock",
    "W4": "W4 Hessian of Rosenbrock",
    "W5": "W5 Jacobian of F(x) = sin(x)·cumsum(x) + x²",
    "W6": "W6 one scalar operation (primal: floats for *, np.float64 for sin)",
}


def markdown(document: dict, figures: list[str]) -> str:
    """The Markdown report of a results document; ``figures`` are PNG names beside it."""
    m, v, g = document["machine"], document["versions"], document["git"]
    lines = [
        f"# dualdiff benchmarks ({document['suite']} suite)",
        "",
        f"{document['created']} · {m['processor']} × {m['cpu_count']} · {m['platform']} · "
        f"Python {m['python']} · git {g['commit'] or 'no commit'}"
        + (" (uncommitted changes)" if g.get("dirty") else "")
        + f" · wall time {document['wall_time_s']:.1f} s",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        "",
    ]
    c = document["claims"]
    lines += [
        "## Claims",
        "",
        f"- every dualdiff error ≤ {c['dualdiff_limit']:.0e}: "
        f"largest {fmt_error(c['dualdiff_max_error'])}",
        f"- best finite-difference error ≥ {c['fd_floor']:.0e} on every accuracy problem: "
        f"smallest {fmt_error(c['fd_min_best_error'])}",
        f"- {'both hold' if c['holds'] else '**NOT HOLDING** on this run'}",
        "",
    ]
    if document["accuracy"]:
        lines += ["## Accuracy (best error over h = 1e-1 … 1e-16, and the h reaching it)", ""]
        lines += _table(ACCURACY_HEADER, accuracy_rows(document["accuracy"])) + [""]
    for name in figures:
        lines += [f"![{name}]({name})", ""]
    rows = startup_rows(document.get("startup"))
    if rows:
        lines += ["## Start-up", ""] + _table(["what", "time"], rows) + [""]
    speed = document["speed"]
    for workload, title in WORKLOAD_TITLES.items():
        records = [r for r in speed if r["workload"] == workload]
        if records:
            lines += [f"## {title}", ""] + _table(SPEED_HEADER, speed_rows(records)) + [""]
    return "\n".join(lines)
