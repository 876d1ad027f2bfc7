"""Fused elementwise kernels for dual numbers on arrays: dispatch, memory and threads.

An elementwise operation on a Dual or HyperDual of at least ``threshold`` elements
(:mod:`dualdiff._config`) runs one compiled kernel that writes every component of the result
in one pass over memory, instead of a handful of numpy ufunc calls. The kernels are made from
the rules table and the algebra by :mod:`dualdiff._kernel_compile` (Numba, imported on the
first compile only) and kept on disk by :mod:`dualdiff._kernel_cache`, from where a later
process loads them in about a millisecond. This module prepares their arguments, owns their
output memory and splits large calls over threads.

Inputs are read through a pointer and element strides, so broadcast (stride 0), sliced and
reversed inputs are read in place; a layout no strided view can express (a transposed 2-d
array, an outer-product broadcast) is copied first. Outputs are new C-contiguous arrays whose
memory is recycled (:class:`_Buffers`).

Threads. From ``parallel_threshold`` elements on, the loop range is split over threads when
one thread would take at least :data:`PARALLEL_MIN_SECONDS` (each kernel's cost per element is
timed on its first calls); a kernel is a C function called through ctypes, which releases the
GIL. The thread count follows Numba's settings: ``numba.get_num_threads()`` when Numba is
imported, else ``NUMBA_NUM_THREADS``, else the CPUs this process may use.

What stays on the numpy path, and why, is in :data:`FALLBACKS`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from ctypes import addressof as _addressof
from ctypes import c_char as _c_char

import numpy as np

from . import _kernel_cache
from ._algebra import ONE, ZERO
from ._base import DualBase, as_float_component
from ._config import SETTINGS
from ._rules import BINARY_RULES

FALLBACKS: dict[str, str] = {
    "scipy.special rules": "Numba has no implementation of the scipy.special ufuncs",
    "x**c with an array c": "the power_const kernel takes one scalar exponent",
    "x * c, x / c, x + c, x - c (c constant)": "linear: one numpy operation per component",
    "matmul, dot, einsum, reductions": "not elementwise",
    "a direction axis of length 0 on a non-empty array": "nothing to loop over",
}
"""What always takes the numpy path; a kernel that fails to compile or load is added here."""

_LOCK = threading.RLock()
_KERNELS: dict = {}  # key -> (ctypes function, 'loaded' or 'compiled')
_FAILED: dict = {}  # key -> reason (compile or load failure; numpy path from then on)

# ---------------------------------------------------------------- dispatch (numpy side)


def _is_one(v) -> bool:
    """A read-only view of the shared ``ONE`` seed: the kernel multiplies by 1.0 instead."""
    return type(v) is np.ndarray and v.base is ONE


def _is_zero(v) -> bool:
    """A structural zero: a read-only view of the shared ``ZERO`` seed (see _algebra.filled)."""
    return type(v) is np.ndarray and v.base is ZERO


def _is_f8(v) -> bool:
    """A float64 array, taken as it is (``as_float_component`` would copy it)."""
    return type(v) is np.ndarray and v.dtype == _F8


def _rule_id(rule) -> str | None:
    """Kernel name of a rule of the core table (scipy.special rules are not compiled)."""
    if rule is None or getattr(rule.fn, "__module__", None) != "dualdiff._rules":
        return None
    return "rule:" + rule.fn.__name__


def maybe_unary(rule, x):
    """``rule.ufunc(x)`` by a kernel, or None to take the numpy path (too small, no kernel)."""
    if not SETTINGS.enabled or np.size(x._parts()[-1]) < SETTINGS.threshold:
        return None
    fn_id = _rule_id(rule)
    if fn_id is None:
        return None
    return _run(fn_id, (x,))


def maybe_binary(ufunc, x, y, xd: bool, yd: bool):
    """``ufunc(x, y)`` by a kernel (one or both operands dual), or None for the numpy path.

    The size that counts is that of the largest operand (outer-product broadcasting of small
    operands stays on the numpy path).
    """
    if not SETTINGS.enabled:
        return None
    size = max(
        np.size(x._parts()[-1]) if xd else np.size(x),
        np.size(y._parts()[-1]) if yd else np.size(y),
    )
    if size < SETTINGS.threshold:
        return None
    power = ufunc is np.power or ufunc is np.float_power
    if ufunc is np.add or ufunc is np.subtract:
        fn_id = ufunc.__name__ if xd and yd else None  # x + c only moves the value: numpy
    elif ufunc is np.multiply:
        fn_id = "product" if xd and yd else None  # a constant factor scales: numpy path
    elif ufunc is np.divide:
        fn_id = "quotient" if yd else None  # so does a constant divisor
    elif power and not yd:
        fn_id = "power_const"
    else:
        fn_id = _rule_id(BINARY_RULES.get(ufunc))
    if fn_id is None:
        return None
    try:
        cx = x if xd or _is_f8(x) else as_float_component(x, "operand")
        cy = y if yd or _is_f8(y) else as_float_component(y, "operand")
    except (TypeError, ValueError):
        return None  # the numpy path raises the right error
    if fn_id == "power_const":  # x**c: the kernel takes one scalar exponent
        return _run(fn_id, (x,), float(cy)) if np.ndim(cy) == 0 else None
    return _run(fn_id, (cx, cy))


def _operand(part, shape: tuple, dirs: tuple, flat: tuple, args: list, keep: list) -> None:
    """Append one input of a kernel to ``args``: ``part`` broadcast to ``shape + dirs``,
    viewed as ``flat``, given as its pointer and element strides; copied only when no strided
    view exists."""
    arr = part
    if type(arr) is not np.ndarray or arr.shape != flat:
        arr = np.asarray(arr, dtype=np.float64)
        if arr.shape != shape + dirs:
            arr = np.broadcast_to(arr, shape + dirs)
        arr = arr.reshape(flat)
    if arr.dtype != _F8 or not (
        arr.flags.c_contiguous or (arr.flags.aligned and not any(s % 8 for s in arr.strides))
    ):
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    keep.append(arr)  # alive until the kernel has run
    args.append(_ptr(arr))
    args.extend([s >> 3 for s in arr.strides] if arr.ndim > 1 else (arr.strides[0] >> 3,))


_F8 = np.dtype(np.float64)


def _ptr(arr: np.ndarray) -> int:
    """Address of ``arr``'s first element (through the buffer protocol where it is writable
    and contiguous: a quarter of the cost of ``arr.ctypes.data``)."""
    try:
        return _addressof(_c_char.from_buffer(arr))
    except (TypeError, ValueError, BufferError):
        return arr.ctypes.data


def _run(fn_id: str, operands: tuple, prm: float = 0.0):
    """Run kernel ``fn_id`` on one dual number, or on two of which one may be a constant
    (a float or float64 array). None when no kernel applies."""
    proto = operands[0] if isinstance(operands[0], DualBase) else operands[1]
    labels = proto._labels()
    hyper = len(labels) == 4
    shapes = [np.shape(v.real if isinstance(v, DualBase) else v) for v in operands]
    shape = shapes[0]
    if len(shapes) > 1 and shapes[1] != shape:
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            return None  # the numpy path raises numpy's broadcasting error
    n = math.prod(shape)
    if labels[-1]:  # vector mode: the direction axes of each part
        dirs = [
            np.shape(q)[np.ndim(q) - len(lab) :] if lab else ()
            for q, lab in zip(proto._parts(), labels)
        ]
        ks = [(d or (1,))[0] for d in dirs[1:3]]
        if n and not all(ks):
            return None
    else:
        dirs = [()] * len(labels)
        ks = [1, 1] if hyper else [1]
    flat = [(n,), (n, ks[0])] + ([(n, ks[1]), (n, ks[0], ks[1])] if hyper else [])
    flags = []
    args: list = []
    keep: list = []
    for v in operands:
        if isinstance(v, DualBase):
            parts = v._parts()
            kinds = ["A"] + ["Z" if _is_zero(q) else "O" if _is_one(q) else "A" for q in parts[1:]]
        elif fn_id == "quotient":  # c / y: c lifted with real zeros, as the numpy path does
            parts, kinds = (v,) + (0.0,) * (len(labels) - 1), ["A"] * len(labels)
        else:  # the constant of f(x, c): its derivative terms are structurally absent
            parts, kinds = (v,) + (None,) * (len(labels) - 1), ["A"] + ["Z"] * (len(labels) - 1)
        for q, d, f, kind in zip(parts, dirs, flat, kinds):
            if kind == "A":
                _operand(q, shape, d, f, args, keep)
            else:  # a seed of zeros or ones: a NULL pointer the kernel never reads
                args.append(None)
                args.extend([1] * len(f))  # unit strides: the contiguous loop applies
        flags += kinds[1:]
    template = _TEMPLATE[hyper, len(operands)]
    fn = _kernel((template, fn_id, "".join(flags)))
    if fn is None:
        return None
    # eps1 is eps2 in every dual operand: the result's are one array too (written once)
    shared = hyper and all(v._shares_eps() for v in operands if isinstance(v, DualBase))
    outs, ptrs = [], []
    for i, d in enumerate(dirs):  # C-contiguous: the memory layout of the flat view
        out, ptr = (outs[1], ptrs[1]) if shared and i == 2 else _BUFFERS.empty(shape + d)
        outs.append(out)
        ptrs.append(ptr)
    head = ks + ([prm] if len(operands) == 1 else []) + ([int(shared)] if hyper else [])
    _launch(fn, n, outs[-1].size, head + args + ptrs)
    result = [o if o.ndim else float(o) for o in outs]  # a 0-d value as a Python float
    if shared:
        result[2] = result[1]
    return proto._from(result)


_TEMPLATE = {
    (False, 1): "dual_unary",
    (False, 2): "dual_binary",
    (True, 1): "hyper_unary",
    (True, 2): "hyper_binary",
}


# ---------------------------------------------------------------- output memory


class _Lease:
    """Owner of a recycled block seen as an array: when the last array on it dies, the block
    goes back to its pool (:class:`_Buffers`) instead of to the system."""

    __slots__ = ("block", "pool", "__array_interface__")

    def __init__(self, block: tuple, shape: tuple, pool: _Buffers):
        self.block = block
        self.pool = pool
        self.__array_interface__ = {
            "data": (block[1], False),
            "shape": shape,
            "typestr": "<f8",
            "version": 3,
        }

    def __del__(self):
        try:
            self.pool.give(self.block)
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown
            pass


class _Buffers:
    """Recycles the memory of kernel outputs: fresh memory costs a page fault (and the kernel
    zeroing the page) on first write, which measured three times the cost of writing it, so
    a repeated evaluation reuses the memory its own temporaries gave back.

    Blocks under ``MAPPED`` bytes come from numpy; at most ``SMALL_TOTAL`` bytes of them are
    kept. Larger blocks are private anonymous mappings (huge pages where the system offers
    them). One given back is marked ``MADV_FREE``: its pages stay mapped and are written again
    without a fault, unless the system runs short of memory first and takes them (the next
    write then faults in zero pages). So a kept large block holds nothing the system cannot
    reclaim; at most ``large_total`` bytes (an eighth of physical memory) are kept. Where
    ``MADV_FREE`` is unavailable, large blocks are not kept (``large_total`` becomes 0).
    """

    MAPPED = 4 << 20
    SMALL_TOTAL = 32 << 20

    def __init__(self):
        self.free: dict = {}  # nbytes -> list of blocks (owner, address, nbytes)
        self.small = 0
        self.large = 0
        self.large_total = _physical_memory() // 8
        self.lock = threading.Lock()

    @property
    def total(self) -> int:
        """Bytes kept for reuse."""
        return self.small + self.large

    def empty(self, shape: tuple) -> tuple:
        """``(array, address)`` of an uninitialised float64 array of ``shape``."""
        nbytes = 8 * math.prod(shape)
        if nbytes <= 0:
            arr = np.empty(shape)
            return arr, _ptr(arr)
        block = None
        with self.lock:
            blocks = self.free.get(nbytes)
            if blocks:
                block = blocks.pop()
                if nbytes < self.MAPPED:
                    self.small -= nbytes
                else:
                    self.large -= nbytes
        if block is None:
            block = self._new(nbytes)
        return np.asarray(_Lease(block, shape, self)), block[1]

    def _new(self, nbytes: int) -> tuple:
        if nbytes < self.MAPPED or not self.large_total:
            arr = np.empty(nbytes // 8)
            return (arr, _ptr(arr), nbytes)
        import mmap

        owner = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if hasattr(mmap, "MADV_HUGEPAGE"):
            try:
                owner.madvise(mmap.MADV_HUGEPAGE)
            except OSError:
                pass
        return (owner, _addressof(_c_char.from_buffer(owner)), nbytes)

    def give(self, block: tuple) -> None:
        """Keep ``block`` for reuse (called when the last array on it dies)."""
        if not self.lock.acquire(blocking=False):  # never wait inside a finalizer
            return
        try:
            nbytes = block[2]
            if nbytes < self.MAPPED:
                if self.small + nbytes <= self.SMALL_TOTAL:
                    self.free.setdefault(nbytes, []).append(block)
                    self.small += nbytes
            elif self.large + nbytes <= self.large_total and self._release(block[0]):
                self.free.setdefault(nbytes, []).append(block)
                self.large += nbytes
        finally:
            self.lock.release()

    def _release(self, owner) -> bool:
        """Mark a mapping's pages free for the system to take (False: not possible here)."""
        import mmap

        try:
            owner.madvise(mmap.MADV_FREE)
            return True
        except (AttributeError, OSError, ValueError):
            self.large_total = 0  # no MADV_FREE: large blocks go back to the system
            return False


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 1 << 30


_BUFFERS = _Buffers()


# ---------------------------------------------------------------- threads


def num_threads() -> int:
    """Threads for large arrays, as Numba would use: ``numba.get_num_threads()`` once Numba's
    thread pool runs (it follows ``numba.set_num_threads``), else ``NUMBA_NUM_THREADS``, else
    the CPUs available to this process. Never starts Numba's thread pool itself."""
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
    """Daemon threads that run slices of a kernel call beside the calling thread (a kernel is a
    C function called through ctypes, which releases the GIL).

    The range is cut into one equal slice per thread, each run by one ctypes call. Every
    return from a kernel needs the GIL back, and on a busy machine a thread can wait tens of
    microseconds for it; slices taken in turn from a shared counter (a thread that wakes late
    takes fewer) cost one such wait per slice and measured slower: a median of 0.96 ms
    against 0.65 ms for a HyperDual ``sin`` on 10⁵ elements, whose halves take 0.55 ms. A
    queue per worker and one for completions: a hand-off costs microseconds, where a
    ``concurrent.futures`` pool costs tens.
    """

    BLOCK = 256

    def __init__(self):
        import queue

        self._queue = queue
        self.inboxes: list = []
        self.done = queue.SimpleQueue()

    def _work(self, inbox):
        while True:
            fn, lo, hi, args = inbox.get()
            try:
                fn(lo, hi, *args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.done.put(exc)
            else:
                self.done.put(None)

    def run(self, fn, n: int, threads: int, args: list) -> None:
        while len(self.inboxes) < threads - 1:
            inbox = self._queue.SimpleQueue()
            threading.Thread(target=self._work, args=(inbox,), daemon=True).start()
            self.inboxes.append(inbox)
        # Slices start at multiples of BLOCK: an element then takes the same path (a vector
        # block or the scalar remainder of the vectorised loop) however the range is split.
        bounds = [n * t // threads // self.BLOCK * self.BLOCK for t in range(threads)] + [n]
        for t in range(1, threads):
            self.inboxes[t - 1].put((fn, bounds[t], bounds[t + 1], args))
        error = None
        try:
            fn(0, bounds[1], *args)
        finally:
            for _ in range(threads - 1):
                error = self.done.get() or error
        if error is not None:
            raise error


_WORKERS: list = []
_PARALLEL = threading.Lock()


def _after_fork() -> None:
    """A forked child has none of its parent's threads: start afresh (locks included)."""
    global _PARALLEL, _LOCK
    _WORKERS.clear()
    _PARALLEL = threading.Lock()
    _LOCK = threading.RLock()
    _BUFFERS.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


PARALLEL_MIN_SECONDS = 3e-4
"""A call is split over threads only when one thread would take at least this long: waking a
worker and getting the GIL back costs tens of microseconds, which a light kernel (a product,
a vectorised quotient: about a nanosecond per element) does not win back below 10⁶ elements."""

_COST: dict = {}  # id of a kernel function -> [seconds per element on one thread, serial samples]


def _launch(fn, n: int, work: int, args: list) -> None:
    """``fn(lo, hi, *args)`` over ``range(n)``, split over threads when ``work`` is at least
    ``parallel_threshold`` and the kernel's measured cost makes it worth it.

    A kernel's first two calls of that size run on one thread and are timed; their faster
    per-element time decides from then on. (Threads change no result: every element is
    computed alike however the range is split.)"""
    threads = min(num_threads(), n) if work >= max(SETTINGS.parallel_threshold, 1) else 1
    if threads > 1:
        cost = _COST.get(id(fn))  # kernels live as long as the process
        if cost is None or cost[1] < 2:
            t0 = time.perf_counter()
            fn(0, n, *args)
            per = (time.perf_counter() - t0) / work
            _COST[id(fn)] = [per, 1] if cost is None else [min(cost[0], per), cost[1] + 1]
            return
        if cost[0] * work < PARALLEL_MIN_SECONDS:
            threads = 1
    if threads <= 1 or not _PARALLEL.acquire(blocking=False):  # or the workers are busy
        fn(0, n, *args)
        return
    try:
        if not _WORKERS:
            _WORKERS.append(_Workers())
        _WORKERS[0].run(fn, n, threads, args)
    finally:
        _PARALLEL.release()


# ---------------------------------------------------------------- kernel registry and cache


def kernel_key(key: tuple) -> str:
    """File name of a kernel: ``template-function-flags`` (per derivative input: A an array,
    Z the ZERO seed, O the ONE seed)."""
    template, fn_id, flags = key
    return f"{template}-{fn_id.replace(':', '_')}-{flags or 'none'}"


def compiled_kernels() -> dict:
    """Kernels this process has used: name -> ``"loaded"`` (from the disk cache),
    ``"compiled"`` (by Numba, now cached) or ``"failed: <reason>"`` (numpy path instead)."""
    with _LOCK:
        out = {kernel_key(k): how for k, (_, how) in _KERNELS.items()}
        out.update({kernel_key(k): f"failed: {why}" for k, why in _FAILED.items()})
    return out


def _kernel(key: tuple):
    """The ctypes function of kernel ``key`` (from this process, the disk cache or Numba), or
    None when it cannot be had."""
    entry = _KERNELS.get(key)
    if entry is not None:
        return entry[0]
    if key in _FAILED:
        return None
    with _LOCK:
        if key not in _KERNELS and key not in _FAILED:
            try:
                _KERNELS[key] = _obtain(key)
            except Exception as exc:  # noqa: BLE001 - any failure means: use numpy
                _FAILED[key] = f"{type(exc).__name__}: {exc}"
                FALLBACKS[kernel_key(key)] = _FAILED[key]
                import warnings

                warnings.warn(
                    f"dualdiff: no Numba kernel {kernel_key(key)} ({_FAILED[key]}); "
                    "this operation takes the numpy path",
                    RuntimeWarning,
                    stacklevel=2,
                )
                return None
    return _KERNELS[key][0]


def _obtain(key: tuple) -> tuple:
    """``(ctypes function, how)``: loaded from the disk cache, else compiled and cached."""
    name = kernel_key(key)
    fn = _kernel_cache.load(name, key[0])
    if fn is not None:
        return fn, "loaded"
    from ._kernel_compile import compile_kernel

    cfunc = compile_kernel(key)
    fn = _kernel_cache.store(name, key[0], cfunc)  # run what the next process will load
    if fn is None:
        fn = _kernel_cache.c_function(cfunc.address, key[0])
    return fn, "compiled"
