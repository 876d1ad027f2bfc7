"""The results document (one dict, written as JSON) and its Markdown rendering.

Schema (``schema_version`` 2)::

    suite, created, wall_time_s, settings{repeat, sizes, sections},
    machine{platform, machine, processor, cpu_count, python, implementation},
    versions{dualdiff, numpy, numba, scipy, mpmath, matplotlib, rich, <peers>},
    git{commit, dirty}, startup{import, numba_first_call, errors},
    accuracy[{problem, kind, quantity, order, n, h[], errors{scheme: []}, best{scheme:
              {error, h}}, scipy_differentiate{error, evaluations, nfev, error_estimate,
              initial_step, rtol, first_call_s, time_s, tried[], note}, best_fd{error, h,
              scheme, evaluations}, dualdiff_error, dualdiff_time_s, dualdiff_note}],
    speed[{workload, task, size, method, time_s, ratio_to_primal, max_rel_error,
           evaluations, first_call_s, compile_s, repeats, number, note}],
    claims{dualdiff_max_error, dualdiff_accuracy_max_error, dualdiff_evaluations,
           dualdiff_limit, best_fd{error, scheme, evaluations, problem, quantity, min_error,
           wins}, checks[{claim, status, detail}], holds}

Non-finite numbers are written as ``null``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import NamedTuple

from benchmarks import sparse

SCHEMA_VERSION = 2
DUALDIFF_LIMIT = 1e-12
"""Claim: every dualdiff error (accuracy and speed suites) is at most this."""
HOLDS, FAILS, NOT_CHECKED = "holds", "FAILS", "not checked"


def _check(name: str, ran: bool, ok: bool, detail: str) -> dict:
    status = NOT_CHECKED if not ran else HOLDS if ok else FAILS
    return {"claim": name, "status": status, "detail": detail if ran else "section not run"}


def best_fd_summary(accuracy: list[dict]) -> dict | None:
    """The best finite difference of each accuracy record, summarised: the worst of them
    (what the best finite difference can be counted on for) with its method, evaluations
    per point and problem; the smallest; and how often each method was the best."""
    rows = [r for r in accuracy if r["best_fd"] and r["best_fd"]["error"] is not None]
    if not rows:
        return None
    worst = max(rows, key=lambda r: r["best_fd"]["error"])
    wins: dict = {}
    for r in rows:
        wins[r["best_fd"]["scheme"]] = wins.get(r["best_fd"]["scheme"], 0) + 1
    return {
        "error": worst["best_fd"]["error"],
        "scheme": worst["best_fd"]["scheme"],
        "evaluations": worst["best_fd"].get("evaluations"),
        "problem": worst["problem"],
        "quantity": worst["quantity"],
        "min_error": min(r["best_fd"]["error"] for r in rows),
        "wins": wins,
    }


def claims(accuracy: list[dict], speed: list[dict]) -> dict:
    """The runner's claims, each checked on this run's results or marked ``not checked``.

    - accuracy: every dualdiff error is at most :data:`DUALDIFF_LIMIT`;
    - accuracy: on every problem, dualdiff's error (one evaluation) is at most the best
      finite-difference error (best ``h`` of forward/central differences, or the best
      scipy.differentiate configuration);
    - speed: every dualdiff error is at most :data:`DUALDIFF_LIMIT`.

    ``holds`` is ``True`` when every claim was checked and holds, ``False`` when one fails,
    ``None`` otherwise (some not checked, none failing).
    """
    acc_dd = [r["dualdiff_error"] for r in accuracy]
    speed_dd = [r["max_rel_error"] for r in speed if r["method"].startswith("dualdiff")]
    compared = [r for r in accuracy if r["best_fd"] and r["best_fd"]["error"] is not None]
    beaten = [
        r
        for r in compared
        if r["dualdiff_error"] is not None and r["dualdiff_error"] <= r["best_fd"]["error"]
    ]
    acc_max = _max(acc_dd)
    speed_max = _max(speed_dd)
    lost = [f"{r['problem']} {r['quantity']}" for r in compared if r not in beaten]
    checks = [
        _check(
            f"accuracy: every dualdiff error <= {DUALDIFF_LIMIT:.0e}",
            bool(acc_dd),
            all(e is not None and e <= DUALDIFF_LIMIT for e in acc_dd),
            f"largest {fmt_error(acc_max)} over {len(acc_dd)} derivatives",
        ),
        _check(
            "accuracy: dualdiff at least as accurate as the best finite difference",
            bool(accuracy),
            bool(compared) and len(beaten) == len(compared) == len(accuracy),
            f"on {len(beaten)}/{len(accuracy)} derivatives"
            + (f" (not on {', '.join(lost)})" if lost else ""),
        ),
        _check(
            f"speed: every dualdiff error <= {DUALDIFF_LIMIT:.0e}",
            bool(speed_dd),
            all(e is not None and e <= DUALDIFF_LIMIT for e in speed_dd),
            f"largest {fmt_error(speed_max)} over {len(speed_dd)} rows",
        ),
    ]
    statuses = {c["status"] for c in checks}
    holds = False if FAILS in statuses else (None if NOT_CHECKED in statuses else True)
    return {
        "dualdiff_max_error": _max([*acc_dd, *speed_dd]),
        "dualdiff_accuracy_max_error": acc_max,
        "dualdiff_evaluations": 1,
        "dualdiff_limit": DUALDIFF_LIMIT,
        "best_fd": best_fd_summary(accuracy),
        "checks": checks,
        "holds": holds,
    }


def _max(values: list) -> float | None:
    return max((e for e in values if e is not None), default=None)


def _evals(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def claims_lines(c: dict) -> list[str]:
    """The claims as text: the headline (what was measured), one line per claim, and the
    verdict (``claims hold``, ``CLAIMS FAIL: ...`` or ``... N not checked ...``) last."""
    lines = []
    best = c["best_fd"]
    if best is not None:
        lines.append(
            f"dualdiff max rel error {fmt_error(c['dualdiff_accuracy_max_error'])} with 1 "
            f"evaluation; best finite difference ({best['scheme']}) {fmt_error(best['error'])} "
            f"with {_evals(best['evaluations'])} evaluations per point "
            f"(worst problem: {best['problem']} {best['quantity']}; "
            f"smallest best-FD error {fmt_error(best['min_error'])})"
        )
    for check in c["checks"]:
        lines.append(f"[{check['status']}] {check['claim']}: {check['detail']}")
    failing = [k["claim"] for k in c["checks"] if k["status"] == FAILS]
    unchecked = [k["claim"] for k in c["checks"] if k["status"] == NOT_CHECKED]
    if failing:
        verdict = "CLAIMS FAIL: " + "; ".join(failing)
    elif unchecked:
        verdict = f"checked claims hold; {len(unchecked)} not checked (section not run)"
    else:
        verdict = "claims hold"
    return [*lines, verdict]


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


def fmt_bytes(value: int | None) -> str:
    """``24 MB``-style size (decimal units); ``-`` for ``None``."""
    if value is None:
        return "-"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value} B"


def fmt_ratio(value: float | None) -> str:
    """``0.89``, ``42.1``, ``905``, ``2490``: three digits, no exponent; ``-`` for ``None``."""
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 1000 else f"{value:.0f}"


class TableSpec(NamedTuple):
    """One table, for the terminal and for Markdown: ``group`` leading columns whose change
    draws a rule; ``legend`` explains the abbreviations (printed under the table)."""

    title: str
    header: list[str]
    rows: list[list[str]]
    group: int = 1
    legend: str = ""


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _best_h(b: dict | None) -> str:
    if not b or b["error"] is None:
        return "-"
    return f"{b['error']:.1e} h=1e{round(math.log10(b['h']))}"


DERIVATIVE_ABBREV = {"gradient": "grad", "Hessian": "Hess", "Jacobian": "Jac"}
ACCURACY_HEADER = ["problem", "deriv.", "forward FD", "central FD", "complex step"]
ADAPTIVE_HEADER = ["problem", "deriv.", "sd error", "sd evals", "sd time", "dd error", "dd time"]
ADAPTIVE_LEGEND = (
    "sd: scipy.differentiate, best of initial_step 0.5, 0.1 and rtol default, 1e-13 (f'' "
    "and Hess: default rtol); dd: dualdiff, 1 evaluation; evals: evaluations of f per point "
    "(of R^n for grad, Hess, Jac); time: per call, 11 points or one x in R^10"
)
SPEED_HEADER = ["task", "size", "method", "time", "×primal", "error", "evals", "first call"]
SPEED_LEGEND = (
    "time: median per call, first call excluded; error: max rel. error; evals: evaluations "
    "of f per point (dualdiff: passes of directions); first call: timed alone (compilation, "
    "caches)"
)
MEMORY_HEADER = ["task", "size", "method", "time", "×primal", "passes", "peak"]
MEMORY_LEGEND = (
    "dualdiff's directions in passes sized to the caches and the memory budget (default) or "
    "all in one pass (chunk_size=n); peak: tracemalloc's peak of one call on the numpy path"
)


def _derivative(quantity: str) -> str:
    return DERIVATIVE_ABBREV.get(quantity, quantity)


def accuracy_rows(records: list[dict]) -> list[list[str]]:
    """Fixed-step schemes: best error over the h sweep and the h reaching it, per scheme."""
    return [
        [
            r["problem"],
            _derivative(r["quantity"]),
            _best_h(r["best"]["forward"]),
            _best_h(r["best"]["central"]),
            _best_h(r["best"]["complex"]),
        ]
        for r in records
    ]


def adaptive_rows(records: list[dict]) -> list[list[str]]:
    """scipy.differentiate (error, evaluations per point, time) beside dualdiff (error, time)."""
    rows = []
    for r in records:
        sd = r.get("scipy_differentiate") or {"note": "not run"}
        if sd.get("error") is None:
            sd_cells = [_note(sd.get("note") or "no result", 30).strip(" ()"), "-", "-"]
        else:
            sd_cells = [fmt_error(sd["error"]), _evals(sd["evaluations"]), fmt_time(sd["time_s"])]
        dd_error = fmt_error(r["dualdiff_error"]) + _note(r["dualdiff_note"], 30)
        rows.append(
            [
                r["problem"],
                _derivative(r["quantity"]),
                *sd_cells,
                dd_error,
                fmt_time(r.get("dualdiff_time_s")),
            ]
        )
    return rows


def speed_rows(records: list[dict]) -> list[list[str]]:
    """One row per speed record; the note (failure, unavailability) replaces the time."""
    rows = []
    for r in records:
        if r["note"] and r["time_s"] is None:
            cells = [_note(r["note"], 40).strip(" ()"), "", "", "", ""]
        else:
            cells = [
                fmt_time(r["time_s"]),
                fmt_ratio(r["ratio_to_primal"]),
                fmt_error(r["max_rel_error"]),
                _evals(r.get("evaluations")),
                _first_call(r),
            ]
        method = r["method"] + sparse.extras_text(r)
        rows.append([r["task"], fmt_size(r["size"]), method, *cells])
    return rows


def _first_call(r: dict) -> str:
    """The first call's time; for jit peers ``c`` + the compile time (first minus median)."""
    if r.get("compile_s"):
        return "c " + fmt_time(r["compile_s"])
    return fmt_time(r.get("first_call_s"))


def _note(note: str, width: int = 80) -> str:
    return f" ({note.splitlines()[0][:width]})" if note else ""


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
        label = f"Numba kernel (sin, N={fmt_size(run['n'])}), process {run['process']}"
        rows.append([f"{label}: first call", fmt_time(run["first_call_s"])])
        rows.append([f"{label}: steady call", fmt_time(run["steady_call_s"])])
    rows += [["error", e] for e in startup.get("errors", ())]
    return rows


WORKLOAD_TITLES = {
    "W1": "W1 f(x) = exp(sin x)/(1+x²) + √x·log1p(x) at x = 0.7 (primal: math)",
    "W2": "W2 the same f elementwise on linspace(0.1, 2, N)",
    "W3": "W3 gradient of Rosenbrock",
    "W4": "W4 Hessian of Rosenbrock",
    "W5": "W5 Jacobian of F(x) = sin(x)·cumsum(x) + x²",
    "W6": "W6 one scalar operation (primal: float *, np.sin(np.float64))",
}


def _drop_empty(header: list[str], rows: list[list[str]], method: int) -> tuple[list, list]:
    """Drop the columns that are ``-`` or empty in every row but the primal's (column
    ``method`` names the method)."""
    others = [row for row in rows if row[method] != "primal"] or rows
    used = [i for i in range(len(header)) if any(row[i] not in ("-", "") for row in others)]
    return [header[i] for i in used], [[row[i] for i in used] for row in rows]


def speed_tables(records: list[dict]) -> list[TableSpec]:
    """One table per workload; W2 one per task (its rows are the widest). A column with no
    value in a table (the size of W1 and W6, evaluations in W6) is left out."""
    out = []
    for workload, title in WORKLOAD_TITLES.items():
        chosen = [r for r in records if r["workload"] == workload]
        groups = [chosen]
        split = workload == "W2" or sparse.has_sparse_tasks(chosen)
        if split:
            tasks = dict.fromkeys(r["task"] for r in chosen)
            groups = [[r for r in chosen if r["task"] == t] for t in tasks]
        for group in groups:
            if not group:
                continue
            rows = speed_rows(group)
            header, rows = SPEED_HEADER, rows
            name = title
            if len({r["task"] for r in group}) == 1:  # the task goes into the title
                header, rows = header[1:], [row[1:] for row in rows]
                if split:
                    name = f"{title}: {group[0]['task']}"
            header, rows = _drop_empty(header, rows, header.index("method"))
            grouping = 1 if header[0] in ("task", "size") else 0
            out.append(TableSpec(name, header, rows, grouping, SPEED_LEGEND))
    return out


def memory_tables(records: list[dict]) -> list[TableSpec]:
    """One table of the rows whose peak memory was measured (dualdiff in W3-W5): dense (one
    pass) against chunked, with the passes and the peak next to each time."""
    rows = [
        [
            r["task"],
            fmt_size(r["size"]),
            r["method"],
            fmt_time(r["time_s"]),
            fmt_ratio(r["ratio_to_primal"]),
            _evals(r.get("evaluations")),
            fmt_bytes(r["peak_bytes"]),
        ]
        for r in records
        if r.get("peak_bytes") is not None
    ]
    if not rows:
        return []
    title = "W3-W5 dualdiff: passes and peak memory"
    return [TableSpec(title, MEMORY_HEADER, rows, 2, MEMORY_LEGEND)]


def tables(document: dict) -> list[TableSpec]:
    """Every table of a results document, in the order they are printed."""
    out = []
    if document["accuracy"]:
        out.append(
            TableSpec(
                "Accuracy, fixed-step schemes: best error over h = 1e-1 … 1e-16, and its h",
                ACCURACY_HEADER,
                accuracy_rows(document["accuracy"]),
            )
        )
        out.append(
            TableSpec(
                "Accuracy: scipy.differentiate (adaptive) beside dualdiff",
                ADAPTIVE_HEADER,
                adaptive_rows(document["accuracy"]),
                legend=ADAPTIVE_LEGEND,
            )
        )
    rows = startup_rows(document.get("startup"))
    if rows:
        out.append(TableSpec("Start-up", ["what", "time"], rows, group=0))
    return out + speed_tables(document["speed"]) + memory_tables(document["speed"])


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
        "## Claims",
        "",
        *(f"- {line}" for line in claims_lines(document["claims"])),
        "",
    ]
    pictures = [line for name in figures for line in (f"![{name}]({name})", "")]
    for spec in tables(document):
        lines += [f"## {spec.title}", ""] + _table(spec.header, spec.rows) + [""]
        if spec.legend:
            lines += [spec.legend, ""]
        if spec.header is ADAPTIVE_HEADER:  # the figures follow the accuracy tables
            lines, pictures = lines + pictures, []
    return "\n".join(lines + pictures)
