"""The timer: warm-up, several repeats, median, GC disabled during each repeat.

Setup stays outside the timer: :func:`measure` times a zero-argument callable that the caller
builds beforehand. Fast callables are looped ``number`` times per repeat so that one repeat
lasts at least ``min_time`` seconds; the reported time is per call.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Timing:
    """Result of :func:`measure`; all times in seconds per call."""

    median: float
    first_call: float
    number: int
    times: list[float] = field(default_factory=list)

    @property
    def repeats(self) -> int:
        """Number of timed repeats."""
        return len(self.times)


def _run(fn: Callable[[], object], number: int) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - t0
    finally:
        if gc_was_enabled:
            gc.enable()


def measure(
    fn: Callable[[], object],
    repeat: int = 5,
    min_time: float = 0.005,
    max_time: float = 2.0,
) -> tuple[Timing, object]:
    """Time ``fn()``; return ``(Timing, value of the warm-up call)``.

    Parameters
    ----------
    fn : callable
        Zero-argument callable; all setup done by the caller.
    repeat : int
        Timed repeats; the median is reported. Fewer are run when one call is so slow that
        ``repeat`` of them would exceed ``max_time`` (at least one always runs).
    min_time : float
        Minimum duration of a repeat; fast callables are looped to reach it.
    max_time : float
        Soft budget for all repeats together.

    Returns
    -------
    timing : Timing
        ``median`` seconds per call, ``first_call`` (the warm-up, includes any JIT
        compilation), loops per repeat and every repeat's per-call time.
    value : object
        What the warm-up call returned, for the caller's error check.
    """
    t0 = time.perf_counter()
    value = fn()  # warm-up: JIT compilation, caches, lazy imports
    first = time.perf_counter() - t0
    estimate = _run(fn, 1)  # the warm-up may be dominated by compilation
    number = max(1, math.ceil(min_time / max(estimate, 1e-9)))
    if number > 1:  # refine on a batch: single tiny calls are noisy
        estimate = _run(fn, number) / number
        number = max(1, math.ceil(min_time / max(estimate, 1e-9)))
    repeat = max(1, min(repeat, int(max_time / max(estimate * number, 1e-9))))
    gc.collect()
    times = [_run(fn, number) / number for _ in range(repeat)]
    return Timing(statistics.median(times), first, number, times), value


def measure_statement(
    stmt: str, namespace: dict, repeat: int = 5, min_time: float = 0.005
) -> tuple[Timing, object]:
    """Time one expression ``stmt`` with :mod:`timeit` (no call overhead around it).

    For single operations (W6) that take tens of nanoseconds, where wrapping them in a
    function call would dominate. Returns ``(Timing, eval(stmt))``.
    """
    timer = timeit.Timer(stmt, globals=namespace)  # timeit disables GC while it times
    t0 = time.perf_counter()
    value = eval(stmt, dict(namespace))  # warm-up and the value to check
    first = time.perf_counter() - t0
    probe = 1000
    estimate = timer.timeit(probe) / probe
    number = max(probe, math.ceil(min_time / max(estimate, 1e-12)))
    times = [t / number for t in timer.repeat(repeat=max(1, repeat), number=number)]
    return Timing(statistics.median(times), first, number, times), value
