"""Speed suite: time every method of every case, next to its error and its primal.

One record per (workload, task, size, method), the primal included (ratio 1):
``time_s`` (median seconds per call, the first call excluded), ``ratio_to_primal``,
``max_rel_error`` (normwise, worst component, against the case's reference), ``evaluations``
(of ``f`` per result point, where counted), ``first_call_s`` (the first call, timed alone: it
includes any compilation or cache loading, and never enters ``time_s`` or the error),
``repeats``, ``number`` (calls per repeat), ``compile_s`` (jit peers: first call minus median)
``note`` (the exception if the method failed, or why it cannot run here), and for the
sparse methods (:mod:`benchmarks.sparse`) ``colours`` (directions per evaluation) and
``peak_bytes`` (tracemalloc's peak over one call), None elsewhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from benchmarks.cases import Case, Method
from benchmarks.config import Settings
from benchmarks.timing import Timing, measure, measure_statement


@contextlib.contextmanager
def numba_path(dd, enabled: bool | None):
    """Select dualdiff's Numba kernels at every size (``True``) or its numpy path (``False``)
    for the block (by default the kernels take over from a size threshold only)."""
    if enabled is None or not callable(getattr(dd, "use_numba", None)):
        yield
        return
    with dd.use_numba(enabled, threshold=0 if enabled else None):
        yield


def _time(method: Method, settings: Settings) -> tuple[Timing, object]:
    if method.stmt is not None:
        return measure_statement(method.stmt, method.namespace, settings.repeat, settings.min_time)
    fn = method.build()  # setup, outside the timer
    return measure(fn, settings.repeat, settings.min_time, settings.max_time)


def _record(case: Case, method: Method, **fields) -> dict:
    return {
        "workload": case.workload,
        "task": case.task,
        "size": case.size,
        "method": method.name,
        "time_s": None,
        "ratio_to_primal": None,
        "max_rel_error": None,
        "evaluations": None,
        "first_call_s": None,
        "compile_s": None,
        "repeats": 0,
        "number": 0,
        "note": "",
        "colours": None,
        "peak_bytes": None,
        **fields,
    }


def run_case(case: Case, dd, settings: Settings) -> list[dict]:
    """Records of one case: the primal first, then every method."""
    primal, _ = _time(case.primal, settings)
    records = [
        _record(
            case,
            case.primal,
            time_s=primal.median,
            ratio_to_primal=1.0,
            evaluations=1,
            first_call_s=primal.first_call,
            repeats=primal.repeats,
            number=primal.number,
        )
    ]
    for method in case.methods:
        if method.unavailable:
            records.append(_record(case, method, note=method.unavailable))
            continue
        try:
            with numba_path(dd, method.numba):
                timing, value = _time(method, settings)
                extra = _extras(method)
            error = case.error(method.extract(value))
            evaluations = method.count(value)
        except Exception as exc:  # a failing method is a result, not a crash
            records.append(_record(case, method, note=f"{type(exc).__name__}: {exc}"))
            continue
        records.append(
            _record(
                case,
                method,
                time_s=timing.median,
                ratio_to_primal=timing.median / primal.median,
                max_rel_error=error,
                evaluations=evaluations,
                first_call_s=timing.first_call,
                compile_s=max(0.0, timing.first_call - timing.median) if method.jit else None,
                repeats=timing.repeats,
                number=timing.number,
                **extra,
            )
        )
    return records


def _extras(method: Method) -> dict:
    """The method's further record fields (sparse: colours, peak memory), outside the timer."""
    return method.extras() if method.extras is not None else {}


def run(
    cases: list[Case], dd, settings: Settings, progress: Callable[[str], None] | None = None
) -> list[dict]:
    """Records of every case, in order; ``progress(label)`` is called before each case."""
    records = []
    for case in cases:
        if progress:
            size = f" n={case.size:g}" if case.size else ""
            progress(f"{case.workload} {case.task}{size}")
        records.extend(run_case(case, dd, settings))
    return records
