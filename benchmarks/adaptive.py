"""``scipy.differentiate`` (SciPy >= 1.15) as a finite-difference peer: Richardson
extrapolation of central differences with an error estimate, the best finite differences
SciPy offers.

Its functions need ``f`` vectorised over trailing axes (``f(x)`` for ``x`` of shape
``(m, ...)``). Catalogue functions are not (they sum over every axis), so :func:`batched` calls
them once per column, counting the points. The evaluation count reported everywhere is that
count per result point: for an elementwise ``f``, evaluations of ``f`` per element of ``x``;
for ``f: R^n -> R^m``, the number of points of ``R^n`` at which ``f`` was evaluated. SciPy's
own ``res.nfev`` (per entry of the result, largest over entries) is kept beside it.

- first derivatives: :func:`scipy.differentiate.derivative` (elementwise) and
  :func:`~scipy.differentiate.jacobian` (gradients, Jacobians);
- second derivatives: :func:`~scipy.differentiate.hessian`, on ``x[np.newaxis]`` for an
  elementwise ``f``; where its fixed step would leave the domain (W2 at large N), the
  derivative of ``derivative`` with a step relative to ``x``.

When SciPy is older than 1.15, :data:`NOT_AVAILABLE` is the note of every would-be row.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

NAME = "scipy.differentiate"
NOT_AVAILABLE = "not available: SciPy < 1.15"

CONFIGS_FIRST = tuple((s, rtol) for s in (0.5, 0.1) for rtol in (None, 1e-13))
"""Accuracy suite, first derivatives: ``(initial_step, rtol)`` tried; the best is reported.
``None`` is SciPy's default tolerance; ``1e-13`` asks for as many digits as its error
estimate can vouch for (it warns below ``100 ε``), which runs up to ``maxiter``."""
CONFIGS_SECOND = ((0.5, None), (0.1, None))
"""Accuracy suite, second derivatives: a tight ``rtol`` makes the nested error estimates
unreliable and the result worse, so only SciPy's default tolerance is tried."""

SPEED_MAX = {"(f, f')": 10**5, "(f, f', f'')": 10**4, "W3": 1000, "W4": 10, "W5": 100}
"""Largest size timed per W2 task or workload: beyond these one call takes seconds (W2
``(f, f', f'')`` at N = 10^5: ~4 s; W4 at n = 50: ~1.7 s, 742,500 evaluations of f; W5 at
n = 1000: ~8 s) and the quick suite would pass a minute."""


@functools.cache
def available() -> bool:
    """Whether ``scipy.differentiate`` exists (SciPy >= 1.15)."""
    try:
        return importlib.util.find_spec("scipy.differentiate") is not None
    except ImportError:  # scipy itself missing
        return False


def _sd():
    import scipy.differentiate

    return scipy.differentiate


class Result(NamedTuple):
    """A derivative from ``scipy.differentiate``: the value, evaluations of ``f`` per result
    point (counted), SciPy's ``res.nfev`` (largest entry) and its error estimate (largest)."""

    value: object
    evaluations: float
    nfev: int
    error_estimate: float


class Counter:
    """``f`` wrapped to count the points it is evaluated at (:attr:`points`)."""

    def __init__(self, f: Callable, elementwise: bool):
        self.f, self.elementwise, self.points = f, elementwise, 0

    def __call__(self, x):
        if self.elementwise:
            self.points += np.size(x)
            return self.f(x)
        m = np.shape(x)[0]
        cols = np.reshape(x, (m, -1))
        self.points += cols.shape[1]
        out = [np.asarray(self.f(cols[:, k]), dtype=float) for k in range(cols.shape[1])]
        stacked = np.stack(out, axis=-1)
        return stacked.reshape(stacked.shape[:-1] + np.shape(x)[1:])


def batched(f: Callable) -> Counter:
    """``f: R^n -> R^m`` made vectorised over trailing axes (one call per column), counting."""
    return Counter(f, elementwise=False)


def _result(value, res, counter: Counter, points: int) -> Result:
    errors = np.asarray(res.error, dtype=float)
    finite = errors[np.isfinite(errors)]
    estimate = float(finite.max()) if finite.size else float("nan")
    return Result(value, counter.points / points, int(np.max(res.nfev)), estimate)


def _tolerances(rtol):
    return None if rtol is None else {"rtol": rtol}


def derivative(f: Callable, x, initial_step=0.5, rtol=None) -> Result:
    """``f'`` elementwise (``f`` elementwise) at array or scalar ``x``."""
    counter = Counter(f, elementwise=True)
    res = _sd().derivative(counter, x, initial_step=initial_step, tolerances=_tolerances(rtol))
    return _result(res.df, res, counter, np.size(x))


def second_derivative(f: Callable, x, initial_step=0.5, rtol=None) -> Result:
    """``f''`` elementwise by :func:`scipy.differentiate.hessian` of the 1-d function."""
    counter = Counter(f, elementwise=True)
    x = np.asarray(x, dtype=float)
    res = _sd().hessian(
        lambda t: counter(t[0]),
        x[np.newaxis],
        initial_step=initial_step,
        tolerances=_tolerances(rtol),
    )
    return _result(res.ddf[0, 0], res, counter, max(1, x.size))


def second_derivative_relative(f: Callable, x, relative_step=0.2) -> Result:
    """``f''`` elementwise as the derivative of ``derivative``, steps ``relative_step·|x|``.

    For ``f`` defined on ``x > 0`` only (the W2 function): :func:`~scipy.differentiate.hessian`
    takes one scalar step, which near ``x = 0.1`` leaves the domain or loses accuracy.
    """
    counter = Counter(f, elementwise=True)
    sd = _sd()

    def first(t):
        return sd.derivative(counter, t, initial_step=relative_step * np.abs(t)).df

    x = np.asarray(x, dtype=float)
    res = sd.derivative(first, x, initial_step=relative_step * np.abs(x))
    return _result(res.df, res, counter, max(1, x.size))


def jacobian(f: Callable, x, initial_step=0.5, rtol=None, vectorised=False) -> Result:
    """Jacobian ``(m, n)`` (gradient ``(n,)`` for scalar ``f``) at one point ``x``.

    ``vectorised``: ``f`` already accepts ``(n, ...)`` (no column loop; points still counted).
    """
    counter = Counter(f, elementwise=False) if not vectorised else _PointCounter(f)
    res = _sd().jacobian(counter, x, initial_step=initial_step, tolerances=_tolerances(rtol))
    return _result(res.df, res, counter, 1)


def hessian(f: Callable, x, initial_step=0.5, rtol=None, vectorised=False) -> Result:
    """Hessian ``(n, n)`` of scalar ``f`` at one point ``x``."""
    counter = Counter(f, elementwise=False) if not vectorised else _PointCounter(f)
    res = _sd().hessian(counter, x, initial_step=initial_step, tolerances=_tolerances(rtol))
    return _result(res.ddf, res, counter, 1)


class _PointCounter(Counter):
    """A vectorised ``f: (n, ...) -> (...)`` called as is, counting the points of ``R^n``."""

    def __init__(self, f: Callable):
        super().__init__(f, elementwise=False)

    def __call__(self, x):
        self.points += int(np.prod(np.shape(x)[1:]))
        return self.f(x)
