"""The drivers' memory model and the budget that sizes their chunks of directions.

Model. In vector mode every intermediate of ``f`` carries its directions on a trailing axis, so
an intermediate the size of ``x`` (``N`` elements) holds

- ``8·N·(1 + k)`` bytes on a :class:`~dualdiff.Dual` with ``k`` directions,
- ``8·N·(1 + k1 + k2 + k1·k2)`` bytes on a :class:`~dualdiff.HyperDual` with ``k1`` directions
  in ε1 and ``k2`` in ε2 (a Hessian tile: ``k1 = k2 = k``; an hvp pass: ``k1 = 1``, no axis).

How many intermediates are alive at once depends on ``f`` and cannot be known before it runs;
the model takes :data:`LIVE` of them (the seed included), so the peak of one pass is estimated
as ``LIVE·8·N·parts`` plus the result being assembled. Measured with :mod:`tracemalloc` on
the numpy path, Rosenbrock's gradient peaks at 4 such intermediates, its Hessian at 5, the
Jacobian of ``sin(x)·cumsum(x) + x²`` at 6-8 (a product rule's temporaries); 6 keeps the
estimate at 0.75-1.5× the measurement (``tests/test_chunks.py`` keeps it within 2× at several
sizes and chunk sizes).

Why a fixed factor rather than measuring a first chunk: the sizes must be known before any
chunk runs when the chunks go to an executor; measuring needs :mod:`tracemalloc`, which is
process-global (it would reset or disturb a caller's own tracing) and slows every Python-level
allocation while on; and it sees nothing allocated by the compiled kernels' recycled mappings
(:mod:`dualdiff._kernels.memory`). A function with many more live temporaries than
:data:`LIVE` uses proportionally more than the budget; lower the budget or pass ``chunk_size``.

Budget. Chunks are sized so that the estimate stays within :func:`budget`: the value set by
:func:`set_memory_budget` (per thread / context, like :func:`~dualdiff.use_numba`), else
``min(1 GiB, available memory / 4)``. Available memory is read only when a one-pass estimate
exceeds :data:`SMALL` (small problems never query the system): ``MemAvailable`` from
``/proc/meminfo`` on Linux, else ``os.sysconf("SC_AVPHYS_PAGES")`` where it exists, else
unknown (Windows, macOS), and then the budget is :data:`FALLBACK`.

Refusal. The budget bounds the working memory, which chunking can shrink; the result cannot
shrink. A result larger than the budget set by :func:`set_memory_budget`, or (with the
automatic budget) larger than half the available memory, raises :class:`MemoryBudgetError`
before anything is allocated, with the estimate in GB and the alternatives.
"""

from __future__ import annotations

import contextvars
import math
import os

LIVE = 6
"""Intermediates the size of ``x`` assumed alive at once in ``f`` (the seed included)."""

CAP = 1 << 30
"""The automatic budget is at most this (1 GiB)."""

FALLBACK = 512 << 20
"""The budget where available memory cannot be read (512 MiB)."""

SMALL = 64 << 20
"""Estimates up to this (64 MiB) never ask the system for its free memory."""

CACHE = 2 << 20
"""Bytes of one intermediate (2 MiB) up to which a pass stays in the CPU's caches. Larger
problems are split into passes of this size even when memory would allow one pass: in one
process, on the numpy path, the gradient of Rosenbrock at n = 1000 and 3000, the Jacobian of
``sin(x)·cumsum(x) + x²`` at n = 1000 and the Hessian of Rosenbrock at n = 200 took 0.1-0.6×
the time of one pass with chunks of 1-2 MiB per intermediate, and more with 4-8 MiB
(``python -m benchmarks --only W3,W4,W5`` reports dense and chunked side by side)."""

MIN_CHUNK = 8
"""Fewest directions per pass chosen for the cache: below that each pass's Python overhead
(microseconds per operation) outweighs what the cache saves on large intermediates."""

_BUDGET: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "dualdiff_memory_budget", default=None
)


class MemoryBudgetError(MemoryError):
    """A derivative whose result alone does not fit in memory, refused before allocating.

    Raised, for example, by a dense Hessian of ``10⁵`` variables (80 GB). The message gives
    the estimate in GB and the alternatives: :func:`~dualdiff.jvp` and :func:`~dualdiff.hvp`
    (products with a vector, O(n) memory), :func:`~dualdiff.hessian_operator` and
    :func:`~dualdiff.jacobian_operator` (scipy ``LinearOperator``\\ s for iterative solvers),
    sparse results, or a larger :func:`~dualdiff.set_memory_budget`. A subclass of
    :class:`MemoryError`.
    """


def available_memory() -> int | None:
    """Bytes of memory available to this process now, or None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def budget() -> int:
    """The working-memory budget of one driver call, in bytes (see the module docstring)."""
    chosen = _BUDGET.get()
    if chosen is not None:
        return chosen
    avail = available_memory()
    return FALLBACK if avail is None else min(CAP, avail // 4)


def budget_for(estimate: int) -> int | None:
    """The budget a pass estimated at ``estimate`` bytes must keep to: the one set with
    :func:`set_memory_budget`, else (only above :data:`SMALL`, so that small problems never
    ask the system) the automatic one; None when no limit applies."""
    chosen = _BUDGET.get()
    if chosen is not None:
        return chosen
    return None if estimate <= SMALL else budget()


def result_limit() -> int | None:
    """The largest result a driver may allocate, or None (unknown: let numpy try)."""
    chosen = _BUDGET.get()
    if chosen is not None:
        return chosen
    avail = available_memory()
    return None if avail is None else avail // 2


class MemoryBudget:
    """The budget in force before a :func:`set_memory_budget` call: ``nbytes`` (None for the
    automatic budget). As a context manager it restores that budget on exit."""

    __slots__ = ("nbytes",)

    def __init__(self, nbytes: int | None):
        self.nbytes = nbytes

    def __enter__(self) -> MemoryBudget:
        return self

    def __exit__(self, *exc) -> None:
        _BUDGET.set(self.nbytes)

    def __repr__(self) -> str:
        return f"MemoryBudget(nbytes={self.nbytes!r})"


def set_memory_budget(nbytes: int | float | None) -> MemoryBudget:
    """Set the memory the drivers may use for their intermediates, in bytes.

    Gradients, Jacobians, Hessians and Hessian-vector products evaluate their directions in
    chunks sized so that the estimated peak (``LIVE·8·N·parts`` bytes, see
    :ref:`memory-and-chunking`) stays within the budget; a result larger than the budget is
    refused with :class:`MemoryBudgetError` before anything is allocated. The setting applies
    to the calling thread (and the context it runs in) only.

    Parameters
    ----------
    nbytes : int, float or None
        The budget in bytes (``2**30`` or ``1e9``), at least 1 MiB; ``None`` restores the
        automatic budget, ``min(1 GiB, available memory / 4)``.

    Returns
    -------
    MemoryBudget
        The previous setting; as a context manager it restores it.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> with dd.set_memory_budget(2**20):
    ...     g = dd.gradient(lambda x: np.sum(x**3), np.ones(2000))
    >>> g[:3]
    array([3., 3., 3.])
    """
    previous = MemoryBudget(_BUDGET.get())
    if nbytes is not None:
        if isinstance(nbytes, bool) or not isinstance(nbytes, int | float):
            raise TypeError(f"the memory budget is a number of bytes or None; got {nbytes!r}")
        if not math.isfinite(nbytes) or nbytes < (1 << 20):
            raise ValueError(f"the memory budget must be at least 1 MiB (2**20); got {nbytes!r}")
        nbytes = int(nbytes)
    _BUDGET.set(nbytes)
    return previous


def memory_budget() -> int:
    """The budget in force in this thread, in bytes (the automatic one unless set).

    Examples
    --------
    >>> import dualdiff as dd
    >>> with dd.set_memory_budget(2**30):
    ...     dd.memory_budget()
    1073741824
    """
    return budget()


# ------------------------------------------------------------------ the model


def intermediate_bytes(size: int, k1: int, k2: int | None = None) -> int:
    """Bytes of one intermediate of ``size`` elements: Dual with ``k1`` directions
    (``k2`` None), or HyperDual with ``k1`` and ``k2`` (0 for a part without an axis)."""
    if k2 is None:
        return 8 * size * (1 + k1)
    a, b = max(k1, 1), max(k2, 1)
    return 8 * size * (1 + a + b + a * b)


def estimate(size: int, k1: int, k2: int | None = None, result: int = 0) -> int:
    """Estimated peak bytes of one pass: :data:`LIVE` intermediates plus the result."""
    return LIVE * intermediate_bytes(size, k1, k2) + result


def gb(nbytes: float) -> str:
    """``80 GB``, ``0.512 GB``, ``8,000 GB``."""
    x = nbytes / 1e9
    return f"{x:.3g} GB" if x < 1000 else f"{x:,.0f} GB"


def check_result(nbytes: int, what: str, driver: str, alternatives: str) -> None:
    """Refuse a result of ``nbytes`` that does not fit (see :func:`result_limit`)."""
    if nbytes <= SMALL:
        return
    limit = result_limit()
    if limit is not None and nbytes > limit:
        source = "the memory budget" if _BUDGET.get() else "half the available memory"
        raise MemoryBudgetError(
            f"{driver}: the {what} alone needs {gb(nbytes)}, more than the "
            f"{gb(limit)} allowed ({source}). "
            f"Alternatives: {alternatives}; or raise the limit with dd.set_memory_budget(bytes) "
            "if the memory is there"
        )
