"""Kernels by (template, operation, flags): from this process, the store, or a compile.

The key is ``(template, op, flags)`` with ``op`` the rule object of :mod:`dualdiff._rules` or
an :class:`~dualdiff._algebra.AlgebraOp`; only the file name in the store is a string
(:func:`name_of`). A kernel is found, in order: in this process; in the store
(:mod:`dualdiff._kernels.store`, verified before it is loaded); by compiling it with Numba,
then storing it (linked into a shared library) and running what the store loads back, so that
this process runs what later ones will. Where the store is unusable or linking fails, the
compiled code runs in this process only.

What goes wrong goes to the numpy path with one warning per process and cause: Numba not
installed or failing to compile, the calling convention not holding on this interpreter
(:func:`dualdiff._kernels.abi.data_offset_ok`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import threading
import time
import warnings

from .._algebra import AlgebraOp
from . import abi, store

LOG = logging.getLogger("dualdiff")

SOURCES = (
    ("..", "_rules.py"),
    ("..", "_algebra.py"),
    (".", "abi.py"),
    (".", "build.py"),
    (".", "numba_support.py"),
    (".", "mvec.py"),
)
"""The modules whose text decides a kernel's machine code (hashed into the store's key)."""

_LOCK = threading.RLock()
KERNELS: dict = {}  # key -> ctypes function
_HOW: dict = {}  # key -> "loaded" | "compiled" | "compiled, this process only"
_FAILED: dict = {}  # key -> reason
_OFF: list = []  # a reason that turns every kernel off in this process
_WARNED: set = set()
_STORE: list = []
_ANNOUNCED: list = []
_PROTO = abi.ctypes_prototype()


def after_fork() -> None:
    """A forked child may have inherited the lock held: a fresh one."""
    global _LOCK
    _LOCK = threading.RLock()


def name_of(template: str, op, flags: str) -> str:
    """File name of a kernel: ``template-operation-flags``."""
    what = op.name if isinstance(op, AlgebraOp) else op.fn.__name__.lstrip("_")
    return f"{template}-{what}-{flags or 'none'}"


def _warn_once(cause: str, message: str) -> None:
    """``message`` as a warning once per cause (every time in the ``dualdiff`` log)."""
    LOG.info(message)
    if cause not in _WARNED:
        _WARNED.add(cause)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def _versions() -> str:
    """What the machine code depends on besides the sources, found without importing Numba."""
    from importlib import metadata

    found = []
    for dist in ("numba", "llvmlite", "numpy"):
        try:
            found.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist}=-")
    return "|".join(found + [sys.version.split()[0], sys.platform, sys.implementation.name])


def _host() -> bytes:
    """The CPU the code is compiled for (model and feature flags), read without llvmlite."""
    import platform

    try:
        with open("/proc/cpuinfo", "rb") as f:
            first = f.read().split(b"\n\n", 1)[0]
    except OSError:
        return (platform.machine() + "|" + platform.processor()).encode()
    keys = (b"vendor_id", b"cpu family", b"model", b"model name", b"flags", b"Features",
            b"CPU implementer", b"CPU part")  # fmt: skip
    lines = [ln for ln in first.splitlines() if ln.partition(b":")[0].strip() in keys]
    return platform.machine().encode() + b"|" + b"|".join(lines)


def cache_key() -> str:
    """The store's key: sources, versions and CPU (never a path, so every virtual environment
    with the same versions shares the kernels)."""
    digest = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for folder, name in SOURCES:
        with open(os.path.join(here, folder, name), "rb") as f:
            digest.update(f.read())
    digest.update(_versions().encode())
    digest.update(_host())
    return digest.hexdigest()[:24]


def kernel_store() -> store.KernelStore:
    """The store of this process (created on first use)."""
    if not _STORE:
        with _LOCK:
            if not _STORE:
                _STORE.append(store.KernelStore(cache_key()))
    return _STORE[0]


def off_reason() -> str | None:
    """Why kernels cannot run in this process at all (None while they can)."""
    if not _OFF:
        if not abi.data_offset_ok():
            _OFF.append("this Python does not keep an ndarray's data pointer where expected")
        else:
            try:
                found = importlib.util.find_spec("numba") is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                _OFF.append("Numba is not installed (pip install numba)")
    return _OFF[0] if _OFF else None


def get(template: str, op, flags: str):
    """The ctypes function of a kernel, or None (the numpy path then runs)."""
    key = (template, op, flags)
    fn = KERNELS.get(key)
    if fn is not None:
        return fn
    if key in _FAILED or _OFF:
        return None
    with _LOCK:
        if key in KERNELS:
            return KERNELS[key]
        if key in _FAILED:
            return None
        try:
            address, how = _obtain(template, op, flags)
        except Exception as exc:  # noqa: BLE001 - any failure means: use numpy
            _FAILED[key] = f"{type(exc).__name__}: {exc}"
            _warn_once(
                "compile",
                f"dualdiff: kernel {name_of(*key)} could not be built ({_FAILED[key]}); "
                "that operation takes the numpy path (same results, slower)",
            )
            return None
        if address is None:
            return None
        fn = KERNELS[key] = _PROTO(address)
        _HOW[key] = how
    return fn


def _obtain(template: str, op, flags: str):
    """``(address, how)`` of a kernel: loaded from the store, else compiled (and stored)."""
    name = name_of(template, op, flags)
    st = kernel_store()
    address = st.load(name)
    if address is not None:
        return address, "loaded"
    reason = off_reason()
    if reason is not None:
        _warn_once("off", f"dualdiff: compiled kernels are off ({reason}); numpy path")
        return None, None
    _announce(st)
    t0 = time.perf_counter()
    try:
        from . import build

        build.support()  # imports Numba
    except ImportError as exc:
        _OFF.append(f"Numba cannot be imported: {exc}")
        _warn_once("off", f"dualdiff: compiled kernels are off ({_OFF[0]}); numpy path")
        return None, None
    cfunc = build.compile_kernel(template, op, flags)
    address = None
    if st.directory() is not None:
        address = st.save(name, build.object_code(cfunc), cfunc.native_name)
        if address is None:
            _warn_once(
                "link",
                f"dualdiff: kernel {name} could not be stored ({st.last_error}); it runs "
                "compiled in this process (later failures of this kind are only logged)",
            )
    else:
        _warn_once(
            "store",
            f"dualdiff: no private kernel store ({st.reason}); each process compiles its own "
            "kernels (set DUALDIFF_CACHE_DIR to a directory of yours to keep them)",
        )
    LOG.info("dualdiff: kernel %s compiled in %.2f s", name, time.perf_counter() - t0)
    if address is not None:
        return address, "compiled"
    return cfunc.address, "compiled, this process only"


class CompileNotice(UserWarning):
    """Issued once, in an interactive session, when the first kernel is compiled."""


def _announce(st) -> None:
    """Say once that kernels are being compiled (logging; a warning when interactive)."""
    if _ANNOUNCED:
        return
    _ANNOUNCED.append(True)
    where = st.directory() or "this process only"
    message = (
        "dualdiff: compiling kernels for this machine, about a second each on first use "
        f"(kept in {where}); `python -m dualdiff precompile` builds the common ones ahead"
    )
    LOG.info(message)
    if hasattr(sys, "ps1") or sys.flags.interactive:
        warnings.warn(message, CompileNotice, stacklevel=5)


def compiled_kernels() -> dict:
    """Kernels this process has used: name -> how it got them, or ``failed: <reason>``."""
    with _LOCK:
        out = {name_of(*k): _HOW.get(k, "") for k in KERNELS}
        out.update({name_of(*k): f"failed: {why}" for k, why in _FAILED.items()})
    return out


# ---------------------------------------------------------------- ahead of time


def common_kernels() -> list:
    """The kernels that everyday use builds: every rule of the core table, the algebra and
    ``x ** c``, on both number types, with arrays (``A``) and with the seeds the drivers
    make (``O`` ones, ``Z`` zeros), and with a constant operand (``Z`` parts)."""
    from .. import _rules
    from .._algebra import POWER, PRODUCT, QUOTIENT

    core = "dualdiff._rules"
    unary = [r for r in _rules.UNARY_RULES.values() if r.fn.__module__ == core] + [POWER]
    rules = [r for r in _rules.BINARY_RULES.values() if r.fn.__module__ == core]
    algebra = [PRODUCT, QUOTIENT]  # sums and differences take the numpy path
    keys = []
    for op in unary:
        keys += [("dual_unary", op, f) for f in ("A", "O")]
        keys += [("hyper_unary", op, f) for f in ("AAA", "OOZ")]
    for op in rules + algebra:
        const_first = op in rules or op is QUOTIENT
        dual = ["AA"] + (["AZ", "OZ"] if op in rules else []) + (["ZA"] if const_first else [])
        hyper = ["AAAAAA", "OOZOOZ", "OOZAAA"]
        hyper += ["AAAZZZ", "OOZZZZ"] if op in rules else []
        hyper += ["ZZZAAA"] if const_first else []
        keys += [("dual_binary", op, f) for f in dual]
        keys += [("hyper_binary", op, f) for f in hyper]
    return keys


def _build_share(indices: list) -> int:
    """Build the kernels ``common_kernels()[i]`` for ``i`` in ``indices`` (a worker process)."""
    keys = common_kernels()
    return sum(get(*keys[i]) is not None for i in indices)


def precompile(jobs: int | None = None) -> dict:
    """Build :func:`common_kernels` into the store ahead of time, ``jobs`` processes at once.

    Returns ``{"kernels": n, "built_or_found": m, "seconds": s, "store": path}``. Kernels
    already in the store are only verified. Without a usable store nothing can be kept, and
    nothing is built."""
    st = kernel_store()
    t0 = time.perf_counter()
    keys = common_kernels()
    if st.directory() is None or off_reason() is not None:
        return {
            "kernels": len(keys),
            "built_or_found": 0,
            "seconds": 0.0,
            "store": None,
            "reason": st.reason or off_reason(),
        }
    missing = [i for i, key in enumerate(keys) if st.load(name_of(*key)) is None]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(missing) or 1))
    done = len(keys) - len(missing)
    if missing and jobs > 1:
        import concurrent.futures
        import multiprocessing

        shares = [missing[j::jobs] for j in range(jobs)]
        context = multiprocessing.get_context("spawn")  # no inherited threads or locks
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
            done += sum(pool.map(_build_share, shares))
    elif missing:
        done += _build_share(missing)
    return {
        "kernels": len(keys),
        "built_or_found": done,
        "seconds": round(time.perf_counter() - t0, 1),
        "store": st.directory(),
    }
