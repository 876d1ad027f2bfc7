"""Fused elementwise kernels, compiled by Numba from the rules table and the algebra.

A kernel evaluates one ruled function, product, quotient, sum or difference and writes every
component of the result in one pass over memory. Per element it calls the rule of
:mod:`dualdiff._rules` once (``f0, f1, f2``, or ``f, fx, fy, ...``) and, per direction, the
functions of :mod:`dualdiff._algebra` (``dual_chain``, ``hyper_chain``, ``hyper_binary_chain``,
``hyper_product``, ...) with the product operator ``P`` a scalar product: the very formulas of
the numpy path, in the same order of operations. Nothing here knows a derivative.

Four loop templates, one per number type and arity (``_dual_unary`` ... ``_hyper_binary``),
each with a scalar-mode loop and a loop over the direction axes (vector mode). A kernel is
compiled per (template, function, which inputs are structural zeros), lazily, on first use.

Inputs are read through a pointer and element strides, so broadcast (stride 0), sliced and
reversed inputs are read in place; a layout no strided view can express (a transposed 2-d
array, an outer-product broadcast) is copied first. Outputs are new C-contiguous arrays whose
memory is recycled (:class:`_Buffers`).

Structural zeros. The numpy path skips products with the read-only seeds of
:func:`dualdiff._algebra.filled` (``ZERO``): ``f1·d`` is then *absent*, not ``f1·0``, which
matters where ``f1`` is infinite (``sqrt'(0)``). Kernels reproduce this with a Numba type,
``StructuralZero``, whose arithmetic is that of ``emul`` and ``_add`` on the seed (``0·u`` is
zero, ``0 + u`` is ``u``); the algebra runs on it unchanged. The constant operand of
``f(x, c)`` gets structural-zero derivatives, so its terms vanish as in the numpy path.

Cache. A compiled kernel is machine code: its object file goes to ``$DUALDIFF_CACHE_DIR``
(default ``~/.cache/dualdiff``, else a temporary directory), in a directory named by a hash of
the sources of ``_rules.py``, ``_algebra.py`` and this module, the llvmlite, Numba and Python
versions and the host CPU. A later process loads it with llvmlite alone, without importing
Numba (tens of milliseconds instead of about a second), and an edit to a rule can never meet
a stale kernel (Numba's own ``cache=True`` does not notice edits to functions imported from
other modules). Loading reads ELF objects (Linux); elsewhere each process compiles its own.

Threads. From ``parallel_threshold`` elements on, the loop range is split over threads; a
kernel is a C function called through ctypes, which releases the GIL. The thread count
follows Numba's settings: ``numba.get_num_threads()`` when Numba is imported, else
``NUMBA_NUM_THREADS``, else the CPUs this process may use.

What stays on the numpy path, and why, is in :data:`FALLBACKS`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from ctypes import addressof as _addressof
from ctypes import c_char as _c_char

import numpy as np

from ._algebra import ZERO
from ._base import DualBase, as_float_component
from ._config import SETTINGS
from ._rules import BINARY_RULES, UNARY_RULES

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


def _is_zero(v) -> bool:
    """A structural zero: a read-only view of the shared ``ZERO`` seed (see _algebra.filled)."""
    return type(v) is np.ndarray and v.base is ZERO


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
        cx = x if xd else as_float_component(x, "operand")
        cy = y if yd else as_float_component(y, "operand")
    except (TypeError, ValueError):
        return None  # the numpy path raises the right error
    if fn_id == "power_const":  # x**c: the kernel takes one scalar exponent
        return _run(fn_id, (x,), float(cy)) if np.ndim(cy) == 0 else None
    return _run(fn_id, (cx, cy))


def _operand(part, shape: tuple, dirs: tuple, flat: tuple, zero: bool, keep: list):
    """One input of a kernel: ``part`` broadcast to ``shape + dirs``, viewed as ``flat`` and
    given as ``[pointer, *element strides]``; copied only when no strided view exists. A
    structural zero is ``[NULL, 0, ...]`` (the kernel never reads it)."""
    if zero:
        return [None] + [0] * len(flat)
    arr = part if type(part) is np.ndarray else np.asarray(part, dtype=np.float64)
    if arr.shape != flat:
        if arr.shape != shape + dirs:
            arr = np.broadcast_to(arr, shape + dirs)
        arr = arr.reshape(flat)
    if arr.dtype != np.float64 or not (
        arr.flags.c_contiguous or (arr.flags.aligned and not any(s % 8 for s in arr.strides))
    ):
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    keep.append(arr)  # alive until the kernel has run
    return [_ptr(arr), *(s // 8 for s in arr.strides)]


def _ptr(arr: np.ndarray) -> int:
    """Address of ``arr``'s first element (through the buffer protocol where it is writable
    and contiguous: a quarter of the cost of ``arr.ctypes.data``)."""
    try:
        return _addressof(_c_char.from_buffer(arr))
    except (TypeError, ValueError, BufferError):
        return arr.ctypes.data


def _out(arr, full: tuple):
    """A flat kernel output viewed as ``full``; a 0-d value as a Python float."""
    return arr.reshape(full) if full else float(arr.reshape(-1)[0])


def _run(fn_id: str, operands: tuple, prm: float = 0.0):
    """Run kernel ``fn_id`` on one dual number, or on two of which one may be a constant
    (a float or float64 array). None when no kernel applies."""
    proto = next(v for v in operands if isinstance(v, DualBase))
    labels = proto._labels()
    hyper = len(labels) == 4
    try:
        shape = np.broadcast_shapes(
            *(np.shape(v.real if isinstance(v, DualBase) else v) for v in operands)
        )
    except ValueError:
        return None  # the numpy path raises numpy's broadcasting error
    n = math.prod(shape)
    dirs = [
        np.shape(q)[np.ndim(q) - len(lab) :] if lab else ()
        for q, lab in zip(proto._parts(), labels)
    ]
    ks = [(d or (1,))[0] for d in dirs[1:3]]
    if n and not all(ks):
        return None
    flat = [(n,), (n, ks[0])] + ([(n, ks[1]), (n, ks[0], ks[1])] if hyper else [])
    flags = ""
    args: list = []
    keep: list = []
    for v in operands:
        if isinstance(v, DualBase):
            parts, zeros = v._parts(), [False] + [_is_zero(q) for q in v._parts()[1:]]
        elif fn_id == "quotient":  # c / y: c lifted with real zeros, as the numpy path does
            parts, zeros = (v,) + (0.0,) * (len(labels) - 1), [False] * len(labels)
        else:  # the constant of f(x, c): its derivative terms are structurally absent
            parts, zeros = (v,) + (None,) * (len(labels) - 1), [False] + [True] * (len(labels) - 1)
        flags += "".join("Z" if z else "A" for z in zeros[1:])
        for q, d, f, z in zip(parts, dirs, flat, zeros):
            args += _operand(q, shape, d, f, z, keep)
    template = ("hyper_" if hyper else "dual_") + ("unary" if len(operands) == 1 else "binary")
    fn = _kernel((template, fn_id, flags))
    if fn is None:
        return None
    # eps1 is eps2 in every dual operand: the result's are one array too (written once)
    shared = hyper and all(v._shares_eps() for v in operands if isinstance(v, DualBase))
    outs, ptrs = [], []
    for i, f in enumerate(flat):
        out, ptr = (outs[1], ptrs[1]) if shared and i == 2 else _BUFFERS.empty(f)
        outs.append(out)
        ptrs.append(ptr)
    head = ks + ([prm] if len(operands) == 1 else []) + ([int(shared)] if hyper else [])
    _launch(fn, n, outs[-1].size, head + args + ptrs)
    result = [_out(o, shape + d) for o, d in zip(outs, dirs)]
    if shared:
        result[2] = result[1]
    return proto._from(result)


# ---------------------------------------------------------------- output memory


class _Lease:
    """Owner of a recycled block seen as an array: when the last array on it dies, the block
    goes back to :data:`_BUFFERS` instead of to ``free``."""

    __slots__ = ("block", "__array_interface__")

    def __init__(self, block: tuple, shape: tuple):
        self.block = block
        self.__array_interface__ = {
            "data": (block[1], False),
            "shape": shape,
            "typestr": "<f8",
            "version": 3,
        }

    def __del__(self):
        try:
            _BUFFERS.give(self.block)
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown
            pass


class _Buffers:
    """Recycles the memory of kernel outputs up to ``MAX_BLOCK`` bytes each, ``MAX_TOTAL`` in
    all. Fresh memory costs a page fault per 4 KiB on first write, which can be most of the
    cost of an elementwise kernel on cache-sized arrays; a repeated evaluation reuses its own
    memory instead. Larger arrays come from numpy, which backs them with huge pages."""

    MAX_BLOCK = 4 << 20
    MAX_TOTAL = 32 << 20

    def __init__(self):
        self.free: dict = {}  # nbytes -> list of (block, address)
        self.total = 0
        self.lock = threading.Lock()

    def empty(self, shape: tuple) -> tuple:
        """``(array, address)`` of an uninitialised float64 array of ``shape``."""
        nbytes = 8 * math.prod(shape)
        if not 0 < nbytes <= self.MAX_BLOCK:
            arr = np.empty(shape)
            return arr, _ptr(arr)
        block = None
        with self.lock:
            blocks = self.free.get(nbytes)
            if blocks:
                block = blocks.pop()
                self.total -= nbytes
        if block is None:
            arr = np.empty(nbytes // 8)
            block = (arr, _ptr(arr))
        return np.asarray(_Lease(block, shape)), block[1]

    def give(self, block: tuple) -> None:
        if not self.lock.acquire(blocking=False):  # never wait inside a finalizer
            return
        try:
            nbytes = block[0].nbytes
            if self.total + nbytes <= self.MAX_TOTAL:
                self.free.setdefault(nbytes, []).append(block)
                self.total += nbytes
        finally:
            self.lock.release()


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
    """Daemon threads that run chunks of a kernel call beside the calling thread (a kernel is a
    C function called through ctypes, which releases the GIL).

    The range is cut into a few chunks per thread, taken in turn from a shared counter, so a
    thread that wakes late or runs on a busy core takes fewer. A queue per worker and one for
    completions: a hand-off costs microseconds, where a ``concurrent.futures`` pool costs tens.
    """

    CHUNKS_PER_THREAD = 2
    MIN_CHUNK = 4096

    def __init__(self):
        import queue

        self._queue = queue
        self.inboxes: list = []
        self.done = queue.SimpleQueue()

    def _work(self, inbox):
        while True:
            task = inbox.get()
            try:
                task()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.done.put(exc)
            else:
                self.done.put(None)

    def run(self, fn, n: int, threads: int, args: list) -> None:
        import itertools

        while len(self.inboxes) < threads - 1:
            inbox = self._queue.SimpleQueue()
            threading.Thread(target=self._work, args=(inbox,), daemon=True).start()
            self.inboxes.append(inbox)
        chunks = max(threads, min(threads * self.CHUNKS_PER_THREAD, n // self.MIN_CHUNK))
        bounds = [n * c // chunks for c in range(chunks + 1)]
        counter = itertools.count()  # next() is atomic under the GIL

        def task():
            for c in iter(counter.__next__, None):
                if c >= chunks:
                    return
                fn(bounds[c], bounds[c + 1], *args)

        for t in range(threads - 1):
            self.inboxes[t].put(task)
        error = None
        try:
            task()
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


def _launch(fn, n: int, work: int, args: list) -> None:
    """``fn(lo, hi, *args)`` over ``range(n)``, split over threads for large ``work``."""
    threads = min(num_threads(), n) if work >= max(SETTINGS.parallel_threshold, 1) else 1
    if threads <= 1:
        fn(0, n, *args)
        return
    if not _PARALLEL.acquire(blocking=False):  # the workers are busy: run on this thread
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
    """File name of a kernel: ``template-function-flags`` (flags: A array, Z structural zero)."""
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
    cache = _cache_dir()
    path = None if cache is None else os.path.join(cache, kernel_key(key) + ".o")
    loader = _loader()
    if path is not None and loader is not None and os.path.exists(path):
        fn = loader.load_file(path, key[0])
        if fn is not None:
            return fn, "loaded"
    obj, symbol, address = _compile(key)
    if path is not None and obj is not None:
        _write(path, symbol, obj)
    if loader is not None and obj is not None:  # run what the next process will load
        fn = loader.load_bytes(obj, symbol, key[0])
        if fn is not None:
            return fn, "compiled"
    return _ctypes_function(address, key[0]), "compiled"


_CACHE_DIR: list = []


def _digest(*texts: bytes) -> str:
    """A 64-bit digest (crc32 and adler32; zlib is cheaper to import than hashlib)."""
    import zlib

    crc, adler = 0, 1
    for text in texts:
        crc, adler = zlib.crc32(text, crc), zlib.adler32(text, adler)
    return f"{crc:08x}{adler:08x}"


def _source_hash() -> str:
    """Digest of the sources a kernel is made of: the rules, the algebra and this module."""
    here = os.path.dirname(os.path.abspath(__file__))
    texts = []
    for name in ("_rules.py", "_algebra.py", "_kernels.py"):
        with open(os.path.join(here, name), "rb") as f:
            texts.append(f.read())
    return _digest(*texts)


def _versions() -> str:
    """Versions the machine code depends on, found without importing Numba."""
    import importlib.util

    import llvmlite

    spec = importlib.util.find_spec("numba")
    numba = "-"
    if spec is not None and spec.origin:
        try:
            numba = f"{spec.origin}:{os.stat(spec.origin).st_mtime_ns}"
        except OSError:
            pass
    return f"{llvmlite.__version__}|{numba}|{sys.version_info[:2]}|{sys.platform}"


def _cache_dir() -> str | None:
    """``<root>/kernels-<hash>``: a directory that no other source or environment shares."""
    if _CACHE_DIR:
        return _CACHE_DIR[0]
    loader = _loader()
    host = loader.host if loader is not None else "no-loader"
    key = _source_hash() + _digest(_versions().encode(), host.encode())
    roots = []
    if os.environ.get("DUALDIFF_CACHE_DIR"):
        roots.append(os.environ["DUALDIFF_CACHE_DIR"])
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        roots.append(os.path.join(xdg, "dualdiff"))
        import tempfile

        uid = os.getuid() if hasattr(os, "getuid") else "user"
        roots.append(os.path.join(tempfile.gettempdir(), f"dualdiff-{uid}"))
    found = None
    for root in roots:
        path = os.path.join(root, "kernels-" + key)
        try:
            os.makedirs(path, exist_ok=True)
            if os.access(path, os.W_OK):
                found = path
                break
        except OSError:
            continue
    _CACHE_DIR.append(found)
    return found


def _write(path: str, symbol: str, obj: bytes) -> None:
    """Write ``symbol\\n<object code>`` atomically (a concurrent reader never sees half)."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(symbol.encode() + b"\n" + obj)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


# ---------------------------------------------------------------- C signatures

_SIGNATURES = {
    "dual_unary": "iii" + "f" + "pi" + "pii" + "pp",
    "hyper_unary": "iiii" + "f" + "i" + "pi" + "pii" * 2 + "piii" + "pppp",
    "dual_binary": "iii" + ("pi" + "pii") * 2 + "pp",
    "hyper_binary": "iiii" + "i" + ("pi" + "pii" * 2 + "piii") * 2 + "pppp",
}
"""C arguments of each template (``i`` int64, ``f`` double, ``p`` double*): the loop range
``lo, hi``; the direction counts; the parameter (unary: the exponent of ``x**c``); the sharing
flag (HyperDual); per input component a pointer and its element strides; the outputs."""


def _ctypes_function(address: int, template: str):
    import ctypes

    kinds = {"i": ctypes.c_int64, "f": ctypes.c_double, "p": ctypes.c_void_p}
    proto = ctypes.CFUNCTYPE(None, *(kinds[c] for c in _SIGNATURES[template]))
    return proto(address)


# ---------------------------------------------------------------- loading object code (llvmlite)

_LOADER: list = []


def _loader():
    """The object-code loader, or None where it cannot work (no llvmlite, not ELF)."""
    if not _LOADER:
        try:
            _LOADER.append(_Loader() if sys.platform.startswith("linux") else None)
        except Exception:  # noqa: BLE001 - no loader: compile in every process
            _LOADER.append(None)
    return _LOADER[0]


class _Loader:
    """Loads a kernel's object file into its own MCJIT engine, resolving its undefined symbols
    from this process (libm, the Python C API) and two GIL helpers Numba's error path calls.

    One engine per kernel: two objects never see each other's symbols (their internal
    function names are not unique across the processes that compiled them).
    """

    _GIL_IR = """
        declare i32 @PyGILState_Ensure()
        declare void @PyGILState_Release(i32)
        define void @numba_gil_ensure(ptr %s) {
          %v = call i32 @PyGILState_Ensure()
          store i32 %v, ptr %s
          ret void
        }
        define void @numba_gil_release(ptr %s) {
          %v = load i32, ptr %s
          call void @PyGILState_Release(i32 %v)
          ret void
        }
    """

    def __init__(self):
        import ctypes

        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        self.llvm = llvm
        self.ctypes = ctypes
        self.triple = llvm.get_process_triple()
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        self.host = f"{self.triple}|{self.cpu}|{self.features}|{llvm.llvm_version_info}"
        self.libs = [ctypes.CDLL(None)]
        self.more_libs = ["libm.so.6", "libgcc_s.so.1"]  # opened when a symbol needs them
        self.resolved: set = set()
        self.engines = []

    def _engine(self, module):
        target = self.llvm.Target.from_triple(self.triple)
        machine = target.create_target_machine(
            cpu=self.cpu, features=self.features, codemodel="jitdefault"
        )
        engine = self.llvm.create_mcjit_compiler(module, machine)
        self.engines.append(engine)
        return engine

    def _gil_helpers(self) -> bool:
        """Define ``numba_gil_ensure/release`` (Numba's error path) from a small object file,
        compiled once and cached next to the kernels."""
        llvm = self.llvm
        cache = _cache_dir()
        path = None if cache is None else os.path.join(cache, "gil_helpers.o")
        obj = None
        if path is not None and os.path.exists(path):
            with open(path, "rb") as f:
                obj = f.read().partition(b"\n")[2]
        if not obj:
            machine = llvm.Target.from_triple(self.triple).create_target_machine(
                cpu=self.cpu, features=self.features, codemodel="jitdefault"
            )
            obj = machine.emit_object(llvm.parse_assembly(self._GIL_IR))
            if path is not None:
                _write(path, "", obj)
        if not self._resolve("PyGILState_Ensure") or not self._resolve("PyGILState_Release"):
            return False
        engine = self._engine(llvm.parse_assembly(""))
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        for name in ("numba_gil_ensure", "numba_gil_release"):
            llvm.add_symbol(name, engine.get_function_address(name))
        return True

    def _resolve(self, name: str) -> bool:
        """Make ``name`` known to LLVM's linker: True once it is."""
        if name in self.resolved or self.llvm.address_of_symbol(name):
            self.resolved.add(name)
            return True
        if name in ("numba_gil_ensure", "numba_gil_release"):
            found = self._gil_helpers()
        else:
            found = self._add_from_libraries(name)
        if found:
            self.resolved.add(name)
        return found

    def _add_from_libraries(self, name: str) -> bool:
        while True:
            for lib in self.libs:
                try:
                    address = self.ctypes.addressof(self.ctypes.c_char.in_dll(lib, name))
                except ValueError:
                    continue
                self.llvm.add_symbol(name, address)
                return True
            if not self.more_libs:
                return False
            try:
                self.libs.append(self.ctypes.CDLL(self.more_libs.pop(0)))
            except OSError:
                pass

    def load_file(self, path: str, template: str):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        symbol, _, obj = data.partition(b"\n")
        return self.load_bytes(obj, symbol.decode(), template)

    def load_bytes(self, obj: bytes, symbol: str, template: str):
        """The function ``symbol`` of object file ``obj``, or None when the file is not an
        object this process can link (wrong format, a truncated file, a missing symbol)."""
        try:
            undefined, defined = _elf_symbols(obj)
        except Exception:  # noqa: BLE001 - not a well-formed ELF object
            return None
        if symbol not in defined or not all(self._resolve(s) for s in undefined):
            return None
        engine = self._engine(self.llvm.parse_assembly(""))
        engine.add_object_file(self.llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        address = engine.get_function_address(symbol)
        return _ctypes_function(address, template) if address else None


def _elf_symbols(obj: bytes) -> tuple:
    """``(undefined, defined)`` symbol names of a little-endian ELF64 object file."""
    import struct

    if obj[:6] != b"\x7fELF\x02\x01":
        raise ValueError("not a little-endian ELF64 object")
    shoff = struct.unpack_from("<Q", obj, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", obj, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    undefined, defined = [], set()
    for sec in sections:
        if sec[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sec[6]]
        for off in range(sec[4] + 24, sec[4] + sec[5], 24):  # entry 0 is the null symbol
            st_name, _, _, st_shndx = struct.unpack_from("<IBBH", obj, off)
            if st_name:
                start = strtab[4] + st_name
                name = obj[start : obj.index(b"\0", start)].decode()
                (undefined.append(name) if st_shndx == 0 else defined.add(name))
    return undefined, defined


# ---------------------------------------------------------------- compiling (Numba, lazily)

_JIT: list = []


class StructuralZero:
    """Python-side token of the structural zero (typed as ``StructuralZero`` in Numba)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STRUCTURAL_ZERO"


STRUCTURAL_ZERO = StructuralZero()


def _jit():
    """Numba-side support, built on the first compile: the StructuralZero type, the numpy
    namespace the rules see, and the jitted algebra."""
    if _JIT:
        return _JIT[0]
    import operator
    import types as pytypes

    import numba
    from numba.core import types
    from numba.core.imputils import lower_cast, lower_constant
    from numba.extending import models, overload, register_model, typeof_impl

    from . import _algebra, _rules

    class StructuralZeroType(types.Dummy):
        def unify(self, typingctx, other):  # `e1 if b is c else f1 * c`: a float
            if isinstance(other, types.Float):
                return other
            return None

    zero_t = StructuralZeroType("dualdiff.StructuralZero")
    register_model(StructuralZeroType)(models.OpaqueModel)
    typeof_impl.register(StructuralZero)(lambda val, c: zero_t)

    @lower_constant(StructuralZeroType)
    def _constant(context, builder, ty, pyval):
        return context.get_dummy_value()

    @lower_cast(StructuralZeroType, types.Float)
    def _to_float(context, builder, fromty, toty, val):
        return context.get_constant(toty, 0.0)

    def z(t):
        return isinstance(t, StructuralZeroType)

    def num(t):
        return isinstance(t, (types.Float, types.Integer, StructuralZeroType))

    # The arithmetic of emul and _add on the ZERO seed: a product with it is absent (zero),
    # a sum with it is the other term. Subtraction and division are plain numpy arithmetic
    # on 0.0 there (hyper_quotient uses "-" and "/"), so they are too here.
    @overload(operator.mul)
    def _mul(a, b):
        if (z(a) and num(b)) or (z(b) and num(a)):
            return lambda a, b: STRUCTURAL_ZERO

    @overload(operator.add)
    def _add(a, b):
        if z(a) and num(b):
            return lambda a, b: b
        if z(b) and num(a):
            return lambda a, b: a

    @overload(operator.sub)
    def _sub(a, b):
        if z(b) and num(a):
            return lambda a, b: a
        if z(a) and num(b):
            return lambda a, b: 0.0 - b

    @overload(operator.truediv)
    def _div(a, b):
        if z(a) and num(b) and not z(b):
            return lambda a, b: 0.0 / b
        if z(b) and num(a):
            return lambda a, b: a / 0.0

    @overload(operator.neg)
    def _neg(a):
        if z(a):
            return lambda a: a

    @overload(operator.is_)
    def _is(a, b):
        if z(a) or z(b):
            same = z(a) and z(b)
            return lambda a, b: same

    jit = numba.njit(error_model="numpy")

    def as_float(v):
        """A float to store: the structural zero is 0.0 there."""

    @overload(as_float)
    def _as_float(v):
        if z(v):
            return lambda v: 0.0
        return lambda v: v

    @jit
    def where(cond, a, b):
        return a if cond else b

    @jit
    def read(ptr, i):
        return ptr[i]

    @jit
    def read_zero(ptr, i):
        return STRUCTURAL_ZERO

    @jit
    def mul4(u, du, v, dv):  # the algebra's product operator P for scalars
        return u * v

    @jit
    def add2(p, q):
        return p + q

    @jit
    def sub2(p, q):
        return p - q

    @jit
    def ident2(v, dirs):
        return v

    @jit
    def power_scalar(x, y):
        # numpy's power loop for a scalar exponent: x*x, sqrt and 1/x for 2, 1/2 and -1.
        if y == 2.0:
            return x * x
        if y == 0.5:
            return np.sqrt(x)
        if y == -1.0:
            return 1.0 / x
        return np.power(x, y)

    def namespace(**names):
        """numpy under its own name, with scalar replacements for some of its functions."""
        module = pytypes.ModuleType("dualdiff._kernels.jit_numpy")
        module.__dict__.update(names)
        module.__getattr__ = lambda name: getattr(np, name)
        return module

    base = {"np": namespace(where=where), "_add": add2, "emul": mul4, "expand": ident2}

    def rebind(fn, seen, overrides):
        """``fn`` jitted, with its global ``np`` and algebra helpers replaced for scalars."""
        if fn in seen:
            return seen[fn]
        glb = dict(fn.__globals__)
        glb.update(overrides)
        for name in fn.__code__.co_names:
            helper = glb.get(name)
            if isinstance(helper, pytypes.FunctionType) and name not in overrides:
                glb[name] = rebind(helper, seen, overrides)
        new = pytypes.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__)
        seen[fn] = jit(new)
        return seen[fn]

    seen: dict = {}
    support = pytypes.SimpleNamespace(
        numba=numba,
        types=types,
        jit=jit,
        read=read,
        read_zero=read_zero,
        mul4=mul4,
        add2=add2,
        sub2=sub2,
        as_float=jit(lambda v: as_float(v)),
        rule=lambda fn: rebind(fn, seen, base),
        alg={n: rebind(getattr(_algebra, n), seen, base) for n in _ALGEBRA},
        power_const=rebind(
            _rules.power_const, {}, {**base, "np": namespace(where=where, power=power_scalar)}
        ),
    )
    _JIT.append(support)
    return support


_ALGEBRA = (
    "dual_chain", "dual_binary_chain", "dual_product", "dual_quotient",
    "hyper_chain", "hyper_binary_chain", "hyper_product", "hyper_quotient",
)  # fmt: skip


_ALGEBRA_IDS = ("product", "quotient", "add", "subtract")


def _rule_fn(fn_id: str):
    name = fn_id.split(":", 1)[1]
    for table in (UNARY_RULES, BINARY_RULES):
        for rule in table.values():
            if rule.fn.__name__ == name and rule.fn.__module__ == "dualdiff._rules":
                return rule.fn
    raise KeyError(f"no rule named {name}")


def _coefficients(J, template: str, fn_id: str, order: int):
    """The per-element coefficient function of a kernel: the rule (``order`` 1 for Dual,
    2 for HyperDual), ``power_const`` with the kernel's parameter, or the operands."""
    if fn_id == "power_const":
        power = J.power_const

        def coef(x, prm):
            return power(x, prm, order)

    elif fn_id in _ALGEBRA_IDS:

        def coef(x, y):
            return (x, y)

    elif template.endswith("unary"):
        rule = J.rule(_rule_fn(fn_id))

        def coef(x, prm):
            return rule(x, order)

    else:
        rule = J.rule(_rule_fn(fn_id))

        def coef(x, y):
            return rule(x, y, order)

    return J.jit(coef)


def _combine(J, template: str, fn_id: str):
    """The per-direction algebra of a kernel: the functions of :mod:`dualdiff._algebra` with
    the product operator ``P`` a scalar product and no direction labels (``0``), so the
    arithmetic, and the order of every sum, is that of the numpy path."""
    alg, P, F = J.alg, J.mul4, J.as_float
    if template == "dual_unary":
        chain = alg["dual_chain"]

        def combine(A, b):
            t = chain(A[0], A[1], b, 0, P)
            return F(t[0]), F(t[1])

    elif template == "hyper_unary":
        chain = alg["hyper_chain"]

        def combine(A, b, c, d):
            t = chain(A[0], A[1], A[2], b, c, d, 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    elif fn_id in ("add", "subtract"):  # linear: the same operation on every component
        op = J.add2 if fn_id == "add" else J.sub2
        if template == "dual_binary":

            def combine(A, a1, b1, a2, b2):
                return F(op(a1, a2)), F(op(b1, b2))

        else:

            def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
                return F(op(a1, a2)), F(op(b1, b2)), F(op(c1, c2)), F(op(d1, d2))

    elif template == "dual_binary" and fn_id == "product":
        op = alg["dual_product"]

        def combine(A, a1, b1, a2, b2):
            t = op(a1, b1, a2, b2, 0, P)
            return F(t[0]), F(t[1])

    elif template == "dual_binary" and fn_id == "quotient":
        op = alg["dual_quotient"]

        def combine(A, a1, b1, a2, b2):
            t = op(a1, b1, a2, b2, 0)
            return F(t[0]), F(t[1])

    elif template == "dual_binary":
        chain = alg["dual_binary_chain"]

        def combine(A, a1, b1, a2, b2):
            t = chain(A[0], A[1], A[2], b1, b2, 0, P)
            return F(t[0]), F(t[1])

    elif fn_id == "product":
        op = alg["hyper_product"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            t = op((a1, b1, c1, d1), (a2, b2, c2, d2), 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    elif fn_id == "quotient":
        op = alg["hyper_quotient"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            t = op((a1, b1, c1, d1), (a2, b2, c2, d2), 0, 0)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    else:
        chain = alg["hyper_binary_chain"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            x, y = (a1, b1, c1, d1), (a2, b2, c2, d2)
            t = chain(A[0], A[1], A[2], A[3], A[4], A[5], x, y, 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    return J.jit(combine)


# The four loop templates. Each writes every component of the result in one pass; `rb`, `rc`,
# `rd` read an input (a pointer and an element offset) or give the structural zero. Scalar
# mode (one direction) has its own loop: the generic nest costs several times more per element.


def _dual_unary(coef, combine, rb):
    def kernel(lo, hi, k, prm, a, sa, b, sb0, sb1, r, e):
        if k == 1:
            for i in range(lo, hi):
                t = combine(coef(a[i * sa], prm), rb(b, i * sb0))
                r[i] = t[0]
                e[i] = t[1]
            return
        for i in range(lo, hi):
            A = coef(a[i * sa], prm)
            for j in range(k):
                t = combine(A, rb(b, i * sb0 + j * sb1))
                if j == 0:
                    r[i] = t[0]
                e[i * k + j] = t[1]

    return kernel


def _hyper_unary(coef, combine, rb, rc, rd):
    def kernel(lo, hi, k1, k2, prm, shared, a, sa, b, sb0, sb1, c, sc0, sc1, d, sd0, sd1, sd2,
               r, e1, e2, e12):  # fmt: skip
        if k1 == 1 and k2 == 1:
            for i in range(lo, hi):
                t = combine(coef(a[i * sa], prm), rb(b, i * sb0), rc(c, i * sc0), rd(d, i * sd0))
                r[i] = t[0]
                e1[i] = t[1]
                if shared == 0:
                    e2[i] = t[2]
                e12[i] = t[3]
            return
        for i in range(lo, hi):
            A = coef(a[i * sa], prm)
            for j in range(k1):
                bj = rb(b, i * sb0 + j * sb1)
                for m in range(k2):
                    t = combine(A, bj, rc(c, i * sc0 + m * sc1), rd(d, i * sd0 + j * sd1 + m * sd2))
                    e12[(i * k1 + j) * k2 + m] = t[3]
                    if m == 0:
                        e1[i * k1 + j] = t[1]
                    if j == 0:
                        if m == 0:
                            r[i] = t[0]
                        if shared == 0:
                            e2[i * k2 + m] = t[2]

    return kernel


def _dual_binary(coef, combine, rb1, rb2):
    def kernel(lo, hi, k, a1, sa1, b1, sb10, sb11, a2, sa2, b2, sb20, sb21, r, e):
        if k == 1:
            for i in range(lo, hi):
                x = a1[i * sa1]
                y = a2[i * sa2]
                t = combine(coef(x, y), x, rb1(b1, i * sb10), y, rb2(b2, i * sb20))
                r[i] = t[0]
                e[i] = t[1]
            return
        for i in range(lo, hi):
            x = a1[i * sa1]
            y = a2[i * sa2]
            A = coef(x, y)
            for j in range(k):
                t = combine(A, x, rb1(b1, i * sb10 + j * sb11), y, rb2(b2, i * sb20 + j * sb21))
                if j == 0:
                    r[i] = t[0]
                e[i * k + j] = t[1]

    return kernel


def _hyper_binary(coef, combine, rb1, rc1, rd1, rb2, rc2, rd2):
    def kernel(lo, hi, k1, k2, shared,
               a1, sa1, b1, sb10, sb11, c1, sc10, sc11, d1, sd10, sd11, sd12,
               a2, sa2, b2, sb20, sb21, c2, sc20, sc21, d2, sd20, sd21, sd22,
               r, e1, e2, e12):  # fmt: skip
        if k1 == 1 and k2 == 1:
            for i in range(lo, hi):
                x = a1[i * sa1]
                y = a2[i * sa2]
                t = combine(
                    coef(x, y),
                    x, rb1(b1, i * sb10), rc1(c1, i * sc10), rd1(d1, i * sd10),
                    y, rb2(b2, i * sb20), rc2(c2, i * sc20), rd2(d2, i * sd20),
                )  # fmt: skip
                r[i] = t[0]
                e1[i] = t[1]
                if shared == 0:
                    e2[i] = t[2]
                e12[i] = t[3]
            return
        for i in range(lo, hi):
            x = a1[i * sa1]
            y = a2[i * sa2]
            A = coef(x, y)
            for j in range(k1):
                bx = rb1(b1, i * sb10 + j * sb11)
                by = rb2(b2, i * sb20 + j * sb21)
                for m in range(k2):
                    cx = rc1(c1, i * sc10 + m * sc11)
                    cy = rc2(c2, i * sc20 + m * sc21)
                    dx = rd1(d1, i * sd10 + j * sd11 + m * sd12)
                    dy = rd2(d2, i * sd20 + j * sd21 + m * sd22)
                    t = combine(A, x, bx, cx, dx, y, by, cy, dy)
                    e12[(i * k1 + j) * k2 + m] = t[3]
                    if m == 0:
                        e1[i * k1 + j] = t[1]
                    if j == 0:
                        if m == 0:
                            r[i] = t[0]
                        if shared == 0:
                            e2[i * k2 + m] = t[2]

    return kernel


_TEMPLATES = {
    "dual_unary": _dual_unary,
    "hyper_unary": _hyper_unary,
    "dual_binary": _dual_binary,
    "hyper_binary": _hyper_binary,
}


def _compile(key: tuple):
    """Compile kernel ``key`` with Numba: ``(object code or None, symbol, address)``."""
    template, fn_id, flags = key
    J = _jit()
    types = J.types
    order = 2 if template.startswith("hyper") else 1
    coef = _coefficients(J, template, fn_id, order)
    combine = _combine(J, template, fn_id)
    readers = [J.read_zero if f == "Z" else J.read for f in flags]
    kernel = _TEMPLATES[template](coef, combine, *readers)
    kinds = {"i": types.int64, "f": types.float64, "p": types.CPointer(types.float64)}
    sig = types.void(*(kinds[c] for c in _SIGNATURES[template]))
    cfunc = J.numba.cfunc(sig, error_model="numpy")(kernel)
    _COMPILED.append(cfunc)  # keeps the code alive
    try:
        obj = cfunc._library.serialize_using_object_code()[2][0]
    except Exception:  # noqa: BLE001 - no object code: this process only
        obj = None
    return obj, cfunc.native_name, cfunc.address


_COMPILED: list = []
