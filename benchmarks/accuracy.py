"""Accuracy suite: error versus step size for every problem of :mod:`dualdiff.testing`.

For each problem and derivative order, forward, central and complex-step differences are
evaluated over ``h = 1e-1 ... 1e-16`` and compared with the problem's independent reference
(hand-derived, mpmath at 50 digits, or scipy); dualdiff's value is one point, independent of
``h``. The error is :func:`dualdiff.testing.relative_error` (normwise relative).

Scalar problems are evaluated on ``POINTS`` points spread ±5 % around ``x0`` (and dualdiff also
at the Python float ``x0``): at a single point, rounding errors sometimes cancel for one lucky
``h`` and the "best" finite difference looks far better than any step chosen in advance
would be; the worst case over a few points is the error one can count on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from benchmarks import finite_diff as fd
from dualdiff import testing

POINTS = 11
STEPS = tuple(10.0**-k for k in range(1, 17))
FD_SCHEMES = ("forward", "central")
"""Schemes that count as "finite differences" for the best-FD figure (complex step apart)."""


def scalar_points(x0: float, count: int = POINTS) -> np.ndarray:
    """``count`` points spread ±5 % around ``x0`` (``x0`` itself in the middle)."""
    return x0 * (1.0 + np.linspace(-0.05, 0.05, count))


class Task(NamedTuple):
    """One derivative of one problem: ``approx(scheme, h)`` is compared with ``exact``;
    ``dd_error()`` is dualdiff's error."""

    quantity: str
    order: int
    n: int
    exact: object
    approx: Callable
    dd_error: Callable[[], float]


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

    return [
        Task("f'", 1, x.size, ref[1], first, dd_error(dd.derivative, 1)),
        Task("f''", 2, x.size, ref[2], second, dd_error(dd.second_derivative, 2)),
    ]


def _vector_task(quantity, order, f, x, exact, fd_fn, driver) -> Task:
    def approx(s, h):
        return fd_fn(f, x, s, h)

    def dd_error():
        return testing.relative_error(driver(f, x), exact)

    return Task(quantity, order, x.size, exact, approx, dd_error)


def _gradient_tasks(p: testing.GradientProblem, dd) -> list[Task]:
    x = p.make_x(p.n_accuracy)
    return [
        _vector_task("gradient", 1, p.f, x, p.gradient(x), fd.gradient, dd.gradient),
        _vector_task("Hessian", 2, p.f, x, p.hessian(x), fd.hessian, dd.hessian),
    ]


def _jacobian_tasks(p: testing.JacobianProblem, dd) -> list[Task]:
    x = p.make_x(p.n_accuracy)
    return [_vector_task("Jacobian", 1, p.f, x, p.jacobian(x), fd.jacobian, dd.jacobian)]


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


def run_problem(problem, dd, steps: tuple = STEPS) -> list[dict]:
    """Accuracy records of one catalogue problem (one per derivative order).

    Each record: ``problem, kind, quantity, order, n, h, errors`` (per scheme, one per ``h``),
    ``best`` (per scheme: smallest error and its ``h``), ``best_fd`` (over forward and central,
    with the scheme), ``dualdiff_error`` and ``dualdiff_note`` (the exception, if any). ``n`` is
    the number of evaluation points (scalar problems) or the dimension.
    """
    records = []
    for task in _TASKS[problem.kind](problem, dd):
        errors = {
            s: [_sweep_point(task.approx, s, h, task.exact) for h in steps] for s in fd.SCHEMES
        }
        best = {s: _best(steps, errors[s]) for s in fd.SCHEMES}
        fd_best = [dict(best[s], scheme=s) for s in FD_SCHEMES if best[s]["error"] is not None]
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
                "best_fd": min(fd_best, key=lambda b: b["error"]) if fd_best else None,
                "dualdiff_error": dd_error,
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
