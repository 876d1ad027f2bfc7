"""What a speed measurement is made of: a :class:`Case` (workload, task, size, primal,
reference) and the :class:`Method` objects that compute the same derivatives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dualdiff.testing import relative_error


def _identity(value):
    return value


@dataclass
class Method:
    """One way of computing a case's derivatives.

    ``build()`` does the setup (outside the timer) and returns the zero-argument callable that
    is timed; ``extract`` maps its result to the layout of the case's reference. ``numba``
    selects dualdiff's path (``None``: leave as is). ``jit``: the first call compiles, so its
    excess over the median is reported as compile time. ``stmt`` and ``namespace`` replace
    ``build`` for single operations timed with :mod:`timeit` (W6). ``evaluations``: how many
    times one call evaluates ``f`` per result point (a number, or a function of the call's
    value; ``None``: not counted, as for the AD peers). ``unavailable``: why the method cannot
    run here (its row carries this note instead of a time). ``extras()``, called once after
    the timing, returns further fields of the record (the sparse methods' ``colours`` and
    ``peak_bytes``: :mod:`benchmarks.sparse`).
    """

    name: str
    build: Callable[[], Callable[[], object]] | None = None
    extract: Callable[[object], object] = _identity
    numba: bool | None = None
    jit: bool = False
    stmt: str | None = None
    namespace: dict = field(default_factory=dict)
    evaluations: float | Callable[[object], float] | None = None
    unavailable: str = ""
    extras: Callable[[], dict] | None = None

    def count(self, value) -> float | None:
        """Evaluations of ``f`` per result point for the call that returned ``value``."""
        if callable(self.evaluations):
            return self.evaluations(value)
        return self.evaluations


@dataclass
class Case:
    """One row group of the speed table: a task at one size, its primal and its methods."""

    workload: str
    task: str
    size: int | None
    primal: Method
    reference: object
    methods: list[Method]
    title: str = ""

    def error(self, value) -> float:
        """Normwise relative error of ``value`` against the reference, worst component."""
        if isinstance(self.reference, tuple):
            return max(relative_error(v, r) for v, r in zip(tuple(value), self.reference))
        return relative_error(value, self.reference)


def as_float_array(value) -> np.ndarray:
    """``np.asarray(value, float)`` for peers' outputs (JAX arrays, lists, scalars)."""
    return np.asarray(value, dtype=float)
