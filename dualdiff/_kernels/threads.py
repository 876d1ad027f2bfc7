"""Splitting a large kernel call over threads.

A kernel is a C function called through ctypes, which releases the GIL, so slices of one call
run in parallel. The range is cut into one equal slice per thread, each slice starting at a
multiple of :data:`BLOCK` elements (an element then takes the same path, a vector block or the
scalar remainder of the vectorised loop, however the range is split: threads change no
result). Slices taken in turn from a shared counter measured slower on a busy machine (each
return from a kernel waits for the GIL), so each thread takes one slice. A queue per worker:
a hand-off costs microseconds, where a ``concurrent.futures`` pool costs tens.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time

BLOCK = 256

PARALLEL_MIN_SECONDS = 3e-4
"""A call is split only when one thread would take at least this long: waking a worker and
getting the GIL back costs tens of microseconds, which a light kernel (a product, about a
nanosecond per element) does not win back below 10⁶ elements."""


def num_threads() -> int:
    """Threads for large arrays, as Numba would use: ``numba.get_num_threads()`` once Numba's
    thread pool runs, else ``NUMBA_NUM_THREADS``, else the CPUs available to this process."""
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and getattr(parallel, "_is_initialized", False):
        try:
            return max(1, int(parallel.get_num_threads()))
        except Exception:  # noqa: BLE001 - fall back to the configured count
            pass
    config = sys.modules.get("numba.core.config")
    if config is not None and getattr(config, "NUMBA_NUM_THREADS", 0):
        return max(1, int(config.NUMBA_NUM_THREADS))
    env = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Workers:
    """Daemon threads that run slices of a kernel call beside the calling thread."""

    def __init__(self):
        self.inboxes: list = []
        self.done = queue.SimpleQueue()

    def _work(self, inbox):
        while True:
            fn, lo, hi, prm, args = inbox.get()
            try:
                fn(lo, hi, prm, args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.done.put(exc)
            else:
                self.done.put(None)

    def run(self, fn, n: int, threads: int, prm: float, args: int) -> None:
        while len(self.inboxes) < threads - 1:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._work, args=(inbox,), daemon=True).start()
            self.inboxes.append(inbox)
        bounds = [n * t // threads // BLOCK * BLOCK for t in range(threads)] + [n]
        for t in range(1, threads):
            self.inboxes[t - 1].put((fn, bounds[t], bounds[t + 1], prm, args))
        error = None
        try:
            fn(0, bounds[1], prm, args)
        finally:
            for _ in range(threads - 1):
                error = self.done.get() or error
        if error is not None:
            raise error


_WORKERS: list = []
_BUSY = [threading.Lock()]
COST: dict = {}
"""id of a kernel function -> [seconds per element on one thread, serial samples taken]."""


def after_fork() -> None:
    """A forked child has none of its parent's threads: start afresh."""
    _WORKERS.clear()
    _BUSY[0] = threading.Lock()


def launch(fn, n: int, work: int, prm: float, args: int, parallel_threshold: int) -> None:
    """``fn(lo, hi, prm, args)`` over ``range(n)``, split over threads when ``work`` (elements
    written) is at least ``parallel_threshold`` and the kernel's measured cost makes it pay.

    A kernel's first two calls of that size run on one thread and are timed; their faster
    per-element time decides from then on."""
    if work < max(parallel_threshold, 1):
        fn(0, n, prm, args)
        return
    threads = min(num_threads(), n)
    if threads > 1:
        cost = COST.get(id(fn))  # kernels live as long as the process
        if cost is None or cost[1] < 2:
            t0 = time.perf_counter()
            fn(0, n, prm, args)
            per = (time.perf_counter() - t0) / work
            COST[id(fn)] = [per, 1] if cost is None else [min(cost[0], per), cost[1] + 1]
            return
        if cost[0] * work < PARALLEL_MIN_SECONDS:
            threads = 1
    busy = _BUSY[0]
    if threads <= 1 or not busy.acquire(blocking=False):  # or the workers are busy
        fn(0, n, prm, args)
        return
    try:
        if not _WORKERS:
            _WORKERS.append(_Workers())
        _WORKERS[0].run(fn, n, threads, prm, args)
    finally:
        busy.release()
