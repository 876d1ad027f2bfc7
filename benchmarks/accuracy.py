"""Accuracy suite: error versus step size for every problem of :mod:`dualdiff.testing`.

For each problem and derivative order, forward, central and complex-step differences are
evaluated over ``h = 1e-1 ... 1e-16`` and compared with the problem's independent reference
(hand-derived, mpmath at 50 digits, or scipy); dualdiff's value is one point, independent of
``h``. The error is :func:`dualdiff.testing.relative_error` (normwise relative).

Scalar problems are evaluated on ``POINTS`` points spread ±5 % around ``x0`` (and dualdiff also
at the Python float ``x0``): at a single point, rounding errors sometimes cancel for one lucky
``h`` and the "best" finite difference looks far better than any step chosen in advance
would be; the worst case over a few points is the error one can count on.

``scipy.differentiate`` (:mod:`benchmarks.adaptive`) has no ``h``: it is run with a few
initial steps and tolerances (:data:`~benchmarks.adaptive.CONFIGS_FIRST`,
:data:`~benchmarks.adaptive.CONFIGS_SECOND`) and the best is reported, like the best ``h`` of
the fixed-step schemes, with its evaluations of ``f`` per point and its time per call.
dualdiff's time per call is measured the same way, beside it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from benchmarks import adaptive
from benchmarks import finite_diff as fd
from benchmarks.timing import measure
from dualdiff import testing

POINTS = 11
STEPS = tuple(10.0**-k for k in range(1, 17))
FD_SCHEMES = ("forward", "central")
"""Fixed-step schemes that count as "finite differences" for the best-FD figure (complex step
apart: its first derivatives reach machine precision); ``scipy.differentiate`` counts too."""
TIMING = {"repeat": 3, "min_time": 0.002, "max_time": 0.3}
"""How the accuracy suite times one call of dualdiff and of scipy.differentiate."""
SLOW_CALL = 0.05
"""A scipy.differentiate call slower than this is timed by its one call in the sweep."""


def scalar_points(x0: float, count: int = POINTS) -> np.ndarray:
    """``count`` points spread ±5 % around ``x0`` (``x0`` itself in the middle)."""
    return x0 * (1.0 + np.linspace(-0.05, 0.05, count))


class Task(NamedTuple):
    """One derivative of one problem: ``approx(scheme, h)`` is compared with ``exact``;
    ``dd_error()`` is dualdiff's error, ``dd_call()`` one dualdiff call (timed);
    ``adaptive(initial_step, rtol)`` is scipy.differentiate's :class:`~benchmarks.adaptive.Result`.
    """

    quantity: str
    order: int
    n: int
    exact: object
    approx: Callable
    dd_error: Callable[[], float]
    dd_call: Callable[[], object]
    adaptive: Callable[..., adaptive.Result]


def _scalar_tasks(p: testing.ScalarProblem, dd) -> list[Task]:
    x = scalar_points(p.x0)
    ref, ref0 = p.reference(x), p.reference(p.x0)

    def dd_error(driver, order: int) -> Callable[[], float]:
        # the worse of the array path (on x) and the Python-float path (at x0)
        return lambda: max(
            testing.relative_error(driver(p.f, x), ref[order]),
            testing.relative_error(driver(p.f, p.x0), ref0[order]),
        )

    def first(s, h):
        return fd.derivative(p.f, x, s, h)

    def second(s, h):
        return fd.second_derivative(p.f, x, s, h)

    def sd(fn):
        return lambda step, rtol: fn(p.f, x, step, rtol)

    def call(driver):
        return lambda: driver(p.f, x)

    return [
        Task(
            "f'",
            1,
            x.size,
            ref[1],
            first,
            dd_error(dd.derivative, 1),
            call(dd.derivative),
            sd(adaptive.derivative),
        ),
        Task(
            "f''",
            2,
            x.size,
            ref[2],
            second,
            dd_error(dd.second_derivative, 2),
            call(dd.second_derivative),
            sd(adaptive.second_derivative),
        ),
    ]


def _vector_task(quantity, order, f, x, exact, fd_fn, driver, sd_fn) -> Task:
    def approx(s, h):
        return fd_fn(f, x, s, h)

    def dd_error():
        return testing.relative_error(driver(f, x), exact)

    def sd(step, rtol):
        return sd_fn(f, x, step, rtol)

    return Task(quantity, order, x.size, exact, approx, dd_error, lambda: driver(f, x), sd)


def _gradient_tasks(p: testing.GradientProblem, dd) -> list[Task]:
    x = p.make_x(p.n_accuracy)
    return [
        _vector_task(
            "gradient", 1, p.f, x, p.gradient(x), fd.gradient, dd.gradient, adaptive.jacobian
        ),
        _vector_task("Hessian", 2, p.f, x, p.hessian(x), fd.hessian, dd.hessian, adaptive.hessian),
    ]


def _jacobian_tasks(p: testing.JacobianProblem, dd) -> list[Task]:
    x = p.make_x(p.n_accuracy)
    jac = _vector_task(
        "Jacobian", 1, p.f, x, p.jacobian(x), fd.jacobian, dd.jacobian, adaptive.jacobian
    )
    return [jac]


_TASKS = {"scalar": _scalar_tasks, "gradient": _gradient_tasks, "jacobian": _jacobian_tasks}


def _guard(compute: Callable[[], float]) -> tuple[float | None, str]:
    """``(compute(), "")``, or ``(None, the exception)``: a failure is a result to report."""
    try:
        with np.errstate(all="ignore"):
            return compute(), ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _sweep_point(approx: Callable, scheme: str, h: float, exact) -> float | None:
    return _guard(lambda: testing.relative_error(approx(scheme, h), exact))[0]


def _best(h: tuple, errors: list) -> dict:
    finite = [(e, hh) for e, hh in zip(errors, h) if e is not None and math.isfinite(e)]
    if not finite:
        return {"error": None, "h": None}
    e, hh = min(finite)
    return {"error": e, "h": hh}


def _time(call: Callable[[], object]) -> float | None:
    """Median seconds per call (setup outside), ``None`` if the call raises."""
    return _guard(lambda: measure(call, **TIMING)[0].median)[0]


def run_adaptive(task: Task) -> dict:
    """scipy.differentiate on one task: every configuration tried, and the best.

    ``{"error", "evaluations", "nfev", "error_estimate", "initial_step", "rtol", "time_s",
    "tried": [...], "note"}``; with SciPy < 1.15 only ``note`` (:data:`adaptive.NOT_AVAILABLE`)
    and ``None`` values.
    """
    empty = dict.fromkeys(("error", "evaluations", "nfev", "error_estimate", "time_s"))
    empty.update(initial_step=None, rtol=None, tried=[], note="")
    if not adaptive.available():
        return {**empty, "note": adaptive.NOT_AVAILABLE}
    configs = adaptive.CONFIGS_FIRST if task.order == 1 else adaptive.CONFIGS_SECOND
    tried = []
    for step, rtol in configs:
        t0 = time.perf_counter()
        result, note = _guard(lambda s=step, r=rtol: task.adaptive(s, r))
        elapsed = time.perf_counter() - t0
        error = None
        if result is not None:
            error = _guard(lambda v=result.value: testing.relative_error(v, task.exact))[0]
        tried.append(
            {
                "initial_step": step,
                "rtol": rtol,
                "error": error if error is not None and math.isfinite(error) else None,
                "evaluations": result.evaluations if result else None,
                "nfev": result.nfev if result else None,
                "error_estimate": result.error_estimate if result else None,
                "first_call_s": elapsed,
                "note": note,
            }
        )
    usable = [t for t in tried if t["error"] is not None]
    if not usable:
        return {**empty, "tried": tried, "note": tried[-1]["note"] or "no finite result"}
    best = min(usable, key=lambda t: (t["error"], t["evaluations"]))
    step, rtol = best["initial_step"], best["rtol"]
    time_s = best["first_call_s"]
    if time_s < SLOW_CALL:  # fast: time it properly; slow: one call is precise enough
        time_s = _time(lambda: task.adaptive(step, rtol))
    return {**best, "time_s": time_s, "tried": tried}


def _best_fd(task: Task, kind: str, best: dict, sd: dict) -> dict | None:
    """The smallest error over the fixed-step schemes (best ``h``) and scipy.differentiate,
    with the scheme and its evaluations of ``f`` per point."""
    n = 1 if kind == "scalar" else task.n
    candidates = [
        dict(best[s], scheme=s, evaluations=fd.evaluations(s, _FD_KIND[kind, task.order], n))
        for s in FD_SCHEMES
        if best[s]["error"] is not None
    ]
    if sd["error"] is not None:
        candidates.append(
            {
                "error": sd["error"],
                "h": None,
                "scheme": adaptive.NAME,
                "evaluations": sd["evaluations"],
            }
        )
    return min(candidates, key=lambda b: b["error"]) if candidates else None


_FD_KIND = {
    ("scalar", 1): "derivative",
    ("scalar", 2): "second_derivative",
    ("gradient", 1): "gradient",
    ("gradient", 2): "hessian",
    ("jacobian", 1): "jacobian",
}


def run_problem(problem, dd, steps: tuple = STEPS) -> list[dict]:
    """Accuracy records of one catalogue problem (one per derivative order).

    Each record: ``problem, kind, quantity, order, n, h, errors`` (per scheme, one per ``h``),
    ``best`` (per scheme: smallest error and its ``h``), ``scipy_differentiate`` (see
    :func:`run_adaptive`), ``best_fd`` (over forward, central and scipy.differentiate, with
    the scheme, its ``h`` and, for scipy.differentiate, its evaluations per point),
    ``dualdiff_error``, ``dualdiff_time_s`` and ``dualdiff_note`` (the exception, if any).
    ``n`` is the number of evaluation points (scalar problems) or the dimension.
    """
    records = []
    for task in _TASKS[problem.kind](problem, dd):
        errors = {
            s: [_sweep_point(task.approx, s, h, task.exact) for h in steps] for s in fd.SCHEMES
        }
        best = {s: _best(steps, errors[s]) for s in fd.SCHEMES}
        sd = run_adaptive(task)
        dd_error, note = _guard(task.dd_error)
        records.append(
            {
                "problem": problem.name,
                "kind": problem.kind,
                "quantity": task.quantity,
                "order": task.order,
                "n": task.n,
                "h": list(steps),
                "errors": errors,
                "best": best,
                "scipy_differentiate": sd,
                "best_fd": _best_fd(task, problem.kind, best, sd),
                "dualdiff_error": dd_error,
                "dualdiff_time_s": _time(task.dd_call) if dd_error is not None else None,
                "dualdiff_note": note,
            }
        )
    return records


def run(dd, problems=None, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Accuracy records for ``problems`` (default: the whole catalogue)."""
    records = []
    for p in problems or testing.all_problems():
        if progress:
            progress(f"accuracy {p.name}")
        records.extend(run_problem(p, dd))
    return records
