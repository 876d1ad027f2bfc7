"""Directions in chunks: the passes of a driver, sized to the memory budget, run here or on an
executor, and assembled into one result (ForwardDiff.jl's chunk mode).

A *pass* evaluates ``f`` once on inputs seeded with a block of directions
(:meth:`dualdiff._seed.Inputs.seed_block`): columns ``j0 .. j1-1`` of the identity for a
gradient or Jacobian; a tile ``(a, b)`` of ε1 and ε2 columns for a Hessian (only tiles on and
above the diagonal: ``H`` is symmetric, so the tile below is the transpose); given directions in
ε1 and a chunk of columns in ε2 for Hessian-vector products. Each pass builds its own seed block
(no ``np.eye(n)`` of the full size, nothing copied), so a pass's peak is that of its chunk,
:mod:`dualdiff._memory`'s model. When everything fits the budget there is one pass and the
drivers behave as before chunking existed (and cost nothing more).

Executors. ``executor=`` (any :class:`concurrent.futures.Executor`: a thread or process pool,
``dask.distributed.Client.get_executor()``) receives one task per pass; the passes are
independent and the results are written into the output in order as they arrive. A task
rebuilds the inputs from ``(f, primals, args, kwargs)`` (a :class:`Job`), so a process pool
needs them picklable by the standard :mod:`pickle` (``f`` defined at module level: not a
lambda, closure or local function); that is checked before anything is submitted and refused
with a :class:`TypeError` saying so. Dask's executor pickles with cloudpickle, which takes
lambdas too.
"""

from __future__ import annotations

import contextvars
import math
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import chain
from typing import Any, NamedTuple

import numpy as np

from . import _memory
from ._base import DualBase
from ._seed import Inputs
from ._tree import LEAF


class Job(NamedTuple):
    """What a task needs to rebuild the inputs in another process."""

    f: Callable
    primals: tuple
    argnums: Any
    args: tuple
    kwargs: dict
    has_aux: bool
    driver: str


class Pass(NamedTuple):
    """One evaluation: ε (or ε1) columns ``r1`` of the basis, or the given directions ``v``
    (per leaf; ``axis1`` when they carry a direction axis); ε2 columns ``r2`` (second order)."""

    r1: tuple | None
    r2: tuple | None = None
    v: list | None = None
    axis1: bool = True


class Out(NamedTuple):
    """What one pass gives back: per output leaf its value, ε (ε1) part and ε1ε2 part."""

    values: list
    d1: list
    d12: list | None
    out_tree: Any
    aux: Any


def run_pass(inp: Inputs, p: Pass, has_aux: bool) -> Out:
    """Evaluate ``f`` once on the seeds of pass ``p``."""
    e1 = inp.basis_block(*p.r1) if p.r1 is not None else p.v
    if p.r2 is None:
        numbers, out_tree, aux = inp.call(inp.seed_block(e1), has_aux)
        return Out([y.value for y in numbers], [y.dual for y in numbers], None, out_tree, aux)
    e2 = e1 if p.r2 == p.r1 else inp.basis_block(*p.r2)
    numbers, out_tree, aux = inp.call(inp.seed_block(e1, e2, p.axis1), has_aux)
    values = [y.value for y in numbers]
    return Out(values, [y.eps1 for y in numbers], [y.eps12 for y in numbers], out_tree, aux)


def _remote(job: Job, p: Pass) -> Out:
    """A pass in a task: the inputs rebuilt from the job (another process, another machine)."""
    inp = Inputs(job.f, job.primals, job.argnums, job.args, job.kwargs, job.driver)
    return run_pass(inp, p, job.has_aux)


def _job(inp: Inputs, has_aux: bool) -> Job:
    argnums = inp.argnums if inp.multi else inp.argnums[0]
    return Job(inp.f, inp.primals, argnums, inp.args, inp.kwargs, has_aux, inp.driver)


def _check_executor(executor, job: Job) -> None:
    if not isinstance(executor, Executor):
        raise TypeError(
            f"{job.driver}: executor must be a concurrent.futures.Executor (a thread or "
            f"process pool, or dask's client.get_executor()); got {type(executor).__name__}"
        )
    if isinstance(executor, ProcessPoolExecutor):
        try:
            pickle.dumps(job)
        except Exception as err:  # pickle raises several types (PicklingError, AttributeError)
            raise TypeError(
                f"{job.driver}: executor={type(executor).__name__} sends f, x and f's "
                "arguments to other processes, so they must be picklable: define f at module "
                "level (not a lambda, closure or local function), or use a ThreadPoolExecutor "
                f"or dask's client.get_executor() (cloudpickle). The pickling error: {err}"
            ) from None


def _results(inp: Inputs, passes: list, has_aux: bool, executor) -> Iterator[Out]:
    """The passes' results in order, from this thread or from the executor."""
    if executor is None:
        return (run_pass(inp, p, has_aux) for p in passes)
    job = _job(inp, has_aux)
    _check_executor(executor, job)
    if isinstance(executor, ThreadPoolExecutor):
        # this process: the inputs as they are, and each task in a copy of the caller's
        # context, so that use_numba(...) and the budget hold in the workers too
        tasks = [(contextvars.copy_context().run, run_pass, inp, p, has_aux) for p in passes]
    else:
        tasks = [(_remote, job, p) for p in passes]
    return _gather(executor, tasks)


def _gather(executor, tasks: list) -> Iterator[Out]:
    futures = [executor.submit(*task) for task in tasks]
    try:
        for fut in futures:
            out = fut.result()
            if out.out_tree == LEAF:  # unpickled: equal to LEAF but not LEAF itself
                out = out._replace(out_tree=LEAF)
            yield out
    finally:
        for fut in futures:
            fut.cancel()


# ------------------------------------------------------------------ chunk sizes


def _workers(executor) -> int:
    n = getattr(executor, "_max_workers", None)  # the standard pools; dask: unknown
    return n if isinstance(n, int) and n > 0 else 4


def directions(
    inp: Inputs, order: int, chunk_size, executor, p: int | None = None, driver: str = ""
) -> int:
    """Directions per pass: ``chunk_size`` if given, else :func:`auto_directions`."""
    n = max(inp.n, 1)
    if any(isinstance(v, DualBase) for v in inp.leaves):
        return n  # nested inside another driver: one pass (its parts are dual numbers)
    if chunk_size is None:
        return auto_directions(n, n, order, executor, p)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer):
        raise TypeError(f"{driver}: chunk_size must be a positive int; got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"{driver}: chunk_size must be at least 1; got {chunk_size}")
    return min(int(chunk_size), n)


def auto_directions(size: int, n: int, order: int, executor=None, p: int | None = None) -> int:
    """Directions per pass for intermediates of ``size`` elements and ``n`` directions.

    ``order`` 1: ``k`` columns per pass; 2: ``k × k`` Hessian tiles; ``p`` given: an hvp pass
    with ``p`` directions in ε1 (0: one direction without an axis) and ``k`` columns in ε2.

    The largest ``k`` whose intermediates stay within :data:`dualdiff._memory.CACHE` bytes (at
    least :data:`dualdiff._memory.MIN_CHUNK` directions) and whose estimated peak stays within
    the budget. With an executor the directions are also split so that every worker gets a
    pass; a thread pool's passes share this process, so its budget is split too.
    """
    n = max(n, 1)
    if _memory.intermediate_bytes(size, *_dirs(order, n, p)) <= _memory.CACHE:
        k = n  # one pass: the common case
    else:
        k = max(_fit(_memory.CACHE // (8 * size), order, p), _memory.MIN_CHUNK)
    budget = _memory.budget_for(_memory.estimate(size, *_dirs(order, k, p)))
    if budget is not None:
        if isinstance(executor, ThreadPoolExecutor):
            budget //= _workers(executor)
        k = min(k, _fit(budget // (_memory.LIVE * 8 * size), order, p))
    k = max(1, min(k, n))
    if executor is not None:
        k = min(k, -(-n // _workers(executor)))
    return k


def _dirs(order: int, k: int, p: int | None) -> tuple:
    """``(k1, k2)`` of :func:`dualdiff._memory.intermediate_bytes` for a pass of ``k``."""
    if p is not None:
        return (p, k)
    return (k, k) if order == 2 else (k, None)


def _fit(units: int, order: int, p: int | None) -> int:
    """The largest ``k`` whose intermediate holds at most ``units`` parts per element."""
    if p is not None:
        return units // (1 + max(p, 1)) - 1
    if order == 2:
        return math.isqrt(max(units, 0)) - 1
    return units - 1


def _ranges(n: int, k: int) -> list:
    return [(j, min(j + k, n)) for j in range(0, max(n, 1), k)]


# ------------------------------------------------------------------ drivers' passes


def first_order(inp: Inputs, has_aux: bool, chunk_size, executor, check=None):
    """``(values, parts, out_tree, aux, passes)``: f's output leaves and their derivative
    parts, each shaped ``out_shape + (n,)`` (gradient, Jacobian); ``check(out)`` vets the
    first pass's output (say, that f is scalar) before anything else is allocated."""
    n = inp.n
    k = directions(inp, 1, chunk_size, executor, driver=inp.driver)
    passes = [Pass(r) for r in _ranges(n, k)]
    results = _results(inp, passes, has_aux, executor)
    first = next(results)
    if check is not None:
        check(first)
    if len(passes) == 1:
        return first.values, first.d1, first.out_tree, first.aux, 1
    m = sum(np.size(v) for v in first.values)
    _memory.check_result(
        8 * m * n, "Jacobian" if m > 1 else "gradient", inp.driver, _FIRST_ORDER_ALTERNATIVES
    )
    complex_ = inp.any_complex or any(np.iscomplexobj(d) for d in first.d1)
    dtype = np.complex128 if complex_ else np.float64
    parts = [np.empty(np.shape(v) + (n,), dtype) for v in first.values]
    for p, r in zip(passes, chain([first], results)):
        j0, j1 = p.r1
        for i, d in enumerate(r.d1):
            if np.iscomplexobj(d) and not np.iscomplexobj(parts[i]):
                parts[i] = parts[i].astype(np.complex128)  # a complex output after real ones
            parts[i][..., j0:j1] = d
    return first.values, parts, first.out_tree, first.aux, len(passes)


_FIRST_ORDER_ALTERNATIVES = (
    "dd.jvp(f, x, v) for products J @ v (one pass, O(n) memory), "
    "dd.jacobian_operator(f, x) for iterative solvers, or a sparse Jacobian"
)
_SECOND_ORDER_ALTERNATIVES = (
    "dd.hvp(f, x, v) for products H @ v, dd.hessian_operator(f, x) for Newton-CG, "
    "trust-krylov or scipy.sparse.linalg.cg (O(n) memory per product), or a sparse Hessian"
)


def second_order(inp: Inputs, has_aux: bool, chunk_size, executor, check=None):
    """``(value, gradient part (n,), Hessian part (n, n), aux, passes)`` of a scalar f, from
    ``k × k`` tiles on and above the diagonal (one pass when everything fits)."""
    n = inp.n
    _memory.check_result(8 * n * n, "dense Hessian", inp.driver, _SECOND_ORDER_ALTERNATIVES)
    k = directions(inp, 2, chunk_size, executor, driver=inp.driver)
    ranges = _ranges(n, k)
    passes = [Pass(a, b) for i, a in enumerate(ranges) for b in ranges[i:]]
    results = _results(inp, passes, has_aux, executor)
    first = next(results)
    if check is not None:
        check(first)
    if len(passes) == 1:
        return first.values[0], first.d1[0], first.d12[0], first.aux, 1
    g, H = np.empty(n), np.empty((n, n))
    for p, r in zip(passes, chain([first], results)):
        (a0, a1), (b0, b1) = p.r1, p.r2
        H[a0:a1, b0:b1] = r.d12[0]
        if p.r1 == p.r2:
            g[a0:a1] = r.d1[0]
        else:
            H[b0:b1, a0:a1] = np.transpose(r.d12[0])
    return first.values[0], g, H, first.aux, len(passes)


def hessian_products(inp: Inputs, v: list, has_aux: bool, chunk_size, executor, check=None):
    """``(H @ V part, aux, passes)``: ``v`` per leaf, shaped like the leaf (one direction:
    the part has shape ``(n,)``) or leaf + ``(p,)`` (``p`` directions: shape ``(p, n)``).

    ε1 carries ``v``, ε2 chunks of ``k`` basis columns: the ε1ε2 part of a scalar f is then
    ``vᵀ H e_j`` for the columns of the chunk, ``H`` never formed."""
    n = inp.n
    axis1 = np.ndim(v[0]) > len(inp.shapes[0])
    p = np.shape(v[0])[-1] if axis1 else 0
    k = directions(inp, 2, chunk_size, executor, p=p, driver=inp.driver)
    passes = [Pass(None, r, v, axis1) for r in _ranges(n, k)]
    results = _results(inp, passes, has_aux, executor)
    first = next(results)
    if check is not None:
        check(first)
    if len(passes) == 1:
        return first.d12[0], first.aux, 1
    out = np.empty(((p,) if axis1 else ()) + (n,))
    for q, r in zip(passes, chain([first], results)):
        b0, b1 = q.r2
        out[..., b0:b1] = r.d12[0]
    return out, first.aux, len(passes)


def transpose_products(inp: Inputs, U: np.ndarray, chunk_size, executor) -> np.ndarray:
    """``Jᵀ U``, shape ``(n, p)``, for ``U`` of shape ``(m, p)``: the Jacobian's passes, each
    chunk of columns contracted with ``U`` as it arrives (never the whole ``J``)."""
    n = inp.n
    k = directions(inp, 1, chunk_size, executor, driver=inp.driver)
    passes = [Pass(r) for r in _ranges(n, k)]
    out = np.empty((n, U.shape[1]))
    for p, r in zip(passes, _results(inp, passes, False, executor)):
        j0, j1 = p.r1
        out[j0:j1] = np.reshape(r.d1[0], (-1, j1 - j0)).T @ U
    return out


# ------------------------------------------------------------------ the plan, ahead of time


class ChunkPlan(NamedTuple):
    """How a driver call will run: ``directions`` per pass (``k``; a Hessian pass is a
    ``k × k`` tile), the number of ``passes`` (evaluations of f) and the estimated
    ``peak_bytes`` (:mod:`dualdiff._memory`'s model)."""

    directions: int
    passes: int
    peak_bytes: int


_KINDS = {"gradient": 1, "jacobian": 1, "hessian": 2, "hvp": 2}


def plan(driver: str, n: int, chunk_size=None, executor=None, n_outputs=None) -> ChunkPlan:
    """The :class:`ChunkPlan` of ``driver`` on ``n`` inputs (``n_outputs``: elements of
    f(x), for a Jacobian; default ``n``)."""
    if driver not in _KINDS:
        raise ValueError(f"driver must be one of {', '.join(_KINDS)}; got {driver!r}")
    order, n = _KINDS[driver], max(int(n), 1)
    p = 0 if driver == "hvp" else None
    if chunk_size is None:
        k = auto_directions(n, n, order, executor, p)
    else:
        k = directions(_Sized(n), order, chunk_size, executor, p, driver)
    t = -(-n // k)
    passes = t * (t + 1) // 2 if driver == "hessian" else t
    work = _memory.LIVE * _memory.intermediate_bytes(n, *_dirs(order, k, p))
    if passes == 1:
        return ChunkPlan(k, 1, work)
    m = n if n_outputs is None else int(n_outputs)
    result = {"gradient": n, "jacobian": m * n, "hessian": n * n + n, "hvp": n}[driver]
    return ChunkPlan(k, passes, work + 8 * result)


class _Sized(NamedTuple):
    n: int
    leaves: tuple = ()
