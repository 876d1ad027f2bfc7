"""Compiled kernels on disk: their C signatures, the cache directory, storing and loading.

A kernel of :mod:`dualdiff._kernels` is a C function (:data:`SIGNATURES`). Once Numba has
compiled one, :func:`store` emits its LLVM module as position-independent object code for this
CPU and links it, with the system C compiler, into ``<name>.so`` in the cache directory. A later
process opens that with ctypes (``dlopen``): about a millisecond, with neither Numba nor
llvmlite imported. Where no C compiler is found (``$CC``, ``cc``, ``gcc``, ``clang``) or the link
fails, the object file is kept instead (``<name>.o``) and loaded with llvmlite's MCJIT
(:class:`_Loader`): tens of milliseconds, most of it llvmlite's start-up.

Numba's own ``cache=True`` is not used: loading from it imports Numba (about a second), and it
does not notice edits to functions imported from other modules. Here the directory is
``$DUALDIFF_CACHE_DIR`` (default ``~/.cache/dualdiff``, else a temporary directory)
``/kernels-<hash>``, the hash taken over the sources a kernel is made of, the llvmlite, Numba
and Python versions and the host CPU, so an edited rule never meets a stale kernel.
Both formats are ELF (Linux); elsewhere each process compiles its own kernels.
"""

from __future__ import annotations

import os
import sys
import threading

SOURCES = ("_rules.py", "_algebra.py", "_kernel_compile.py", "_kernel_cache.py")
"""The modules whose text decides a kernel's machine code (hashed into the cache directory)."""

SIGNATURES = {
    "dual_unary": "iii" + "f" + "pi" + "pii" + "pp",
    "hyper_unary": "iiii" + "f" + "i" + "pi" + "pii" * 2 + "piii" + "pppp",
    "dual_binary": "iii" + ("pi" + "pii") * 2 + "pp",
    "hyper_binary": "iiii" + "i" + ("pi" + "pii" * 2 + "piii") * 2 + "pppp",
}
"""C arguments of each template (``i`` int64, ``f`` double, ``p`` double*): the loop range
``lo, hi``; the direction counts; the parameter (unary: the exponent of ``x**c``); the sharing
flag (HyperDual); per input component a pointer and its element strides; the outputs."""

LINK_FAILURE: list = []
"""Why the last link into a shared library failed (empty when none did), for diagnosis:
``python -m benchmarks.kernels_report`` prints it."""


def c_function(address: int, template: str):
    """A ctypes function of ``template``'s signature at ``address``."""
    import ctypes

    kinds = {"i": ctypes.c_int64, "f": ctypes.c_double, "p": ctypes.c_void_p}
    proto = ctypes.CFUNCTYPE(None, *(kinds[c] for c in SIGNATURES[template]))
    return proto(address)


# ---------------------------------------------------------------- the directory

_CACHE_DIR: list = []


def _digest(*texts: bytes) -> str:
    """A 64-bit digest (crc32 and adler32; zlib is cheaper to import than hashlib)."""
    import zlib

    crc, adler = 0, 1
    for text in texts:
        crc, adler = zlib.crc32(text, crc), zlib.adler32(text, adler)
    return f"{crc:08x}{adler:08x}"


def _source_hash() -> str:
    """Digest of :data:`SOURCES`."""
    here = os.path.dirname(os.path.abspath(__file__))
    texts = []
    for name in SOURCES:
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


def _host() -> bytes:
    """The CPU the code is compiled for, as the kernel reads it (no llvmlite): the first
    processor's model and feature flags in ``/proc/cpuinfo``; elsewhere the platform."""
    import platform

    try:
        with open("/proc/cpuinfo", "rb") as f:
            first = f.read().split(b"\n\n", 1)[0]
    except OSError:
        return platform.machine().encode()
    keys = (b"vendor_id", b"cpu family", b"model", b"model name", b"flags", b"Features",
            b"CPU implementer", b"CPU part")  # fmt: skip
    lines = [ln for ln in first.splitlines() if ln.partition(b":")[0].strip() in keys]
    return platform.machine().encode() + b"|" + b"|".join(lines)


def cache_dir() -> str | None:
    """``<root>/kernels-<hash>``: a directory that no other source or environment shares, or
    None when no writable one exists (then every process compiles its own kernels)."""
    if _CACHE_DIR:
        return _CACHE_DIR[0]
    key = _source_hash() + _digest(_versions().encode(), _host())
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


def _tmp(path: str) -> str:
    return f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"


def _write(path: str, data: bytes) -> None:
    """Write ``data`` atomically (a concurrent reader never sees half a file)."""
    tmp = _tmp(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


# ---------------------------------------------------------------- loading


def load(name: str, template: str):
    """Kernel ``name`` from the cache: its shared library, else its object file; None when
    neither is there (or neither can be linked into this process)."""
    cache = cache_dir()
    if cache is None or not sys.platform.startswith("linux"):
        return None
    path = os.path.join(cache, name)
    if os.path.exists(path + ".so"):
        fn = _load_shared(path + ".so", template)
        if fn is not None:
            return fn
    if os.path.exists(path + ".o"):
        loader = _loader()
        if loader is not None:
            return loader.load_file(path + ".o", template)
    return None


def _load_shared(path: str, template: str):
    """The kernel of a shared library written by :func:`store`: ``symbol`` is in ``path.sym``."""
    import ctypes

    try:
        with open(path[: -len(".so")] + ".sym", encoding="ascii") as f:
            symbol = f.read()
        lib = ctypes.CDLL(path)
        address = ctypes.cast(lib[symbol], ctypes.c_void_p).value
    except (OSError, AttributeError, ValueError):
        return None
    _LIBRARIES.append(lib)  # never unloaded while a function of it may run
    return c_function(address, template)


_LIBRARIES: list = []


# ---------------------------------------------------------------- storing (after a compile)


def store(name: str, template: str, cfunc):
    """Put the kernel Numba compiled (``cfunc``) into the cache and return it as loaded from
    there, so that this process runs what later ones will; None when it cannot be stored."""
    cache = cache_dir()
    if cache is None or not sys.platform.startswith("linux"):
        return None
    try:
        obj = _object_code(cfunc._library)
    except Exception:  # noqa: BLE001 - no object code: this process only
        return None
    path = os.path.join(cache, name)
    symbol = cfunc.native_name
    if _link(path, obj, symbol):
        fn = _load_shared(path + ".so", template)
        if fn is not None:
            return fn
    _write(path + ".o", symbol.encode() + b"\n" + obj)
    loader = _loader()
    return None if loader is None else loader.load_file(path + ".o", template)


def _target_machine(features: str | None = None):
    """An LLVM target machine for this CPU that emits position-independent code."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    if features is None:
        features = llvm.get_host_cpu_features().flatten()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=features, reloc="pic", codemodel="default", opt=3
    )


def _object_code(library) -> bytes:
    """Position-independent object code of a Numba code library (its final, optimised
    module, with :func:`vector_math`): Numba's own JIT code is static, which a shared library
    cannot hold."""
    import llvmlite.binding as llvm

    features = getattr(getattr(library, "_codegen", None), "_tm_features", None)
    features = features or llvm.get_host_cpu_features().flatten()
    module = llvm.parse_assembly(vector_math(str(library._final_module), features))
    return _target_machine(features).emit_object(module)


_VECTOR_ISA = {2: ("b", "+sse4.1"), 4: ("d", "+avx2"), 8: ("e", "+avx512f")}
"""Width of a vector of doubles -> glibc's vector-ABI letter (SSE4, AVX2, AVX-512) and the CPU
feature that variant needs."""

_LIBMVEC: list = []


def _libmvec():
    """glibc's vector math library (libmvec), or None."""
    if not _LIBMVEC:
        import ctypes

        try:
            _LIBMVEC.append(ctypes.CDLL("libmvec.so.1"))
        except OSError:
            _LIBMVEC.append(None)
    return _LIBMVEC[0]


def vector_math(ir: str, features: str) -> str:
    """``ir`` with LLVM's vector math intrinsics (``llvm.exp.v8f64``: a vectorised loop's
    ``exp``) calling glibc's vector functions (``_ZGVeN8v_exp``) where this glibc has them.

    LLVM vectorises a loop of ``exp``, ``sin``, ``log``... into such intrinsics but, with no
    vector library, expands each back into one libm call per element; libmvec computes the
    whole vector at once, several times faster (glibc documents errors of at most 4 ulp; the
    kernels measured within 3 ulp of the correctly rounded result). Functions LLVM knows only
    as library calls (``expm1``, ``cbrt``) are never vectorised and stay libm's scalar code;
    for ``log1p`` the kernels use ``log`` instead (:mod:`dualdiff._kernel_compile`)."""
    import re

    lib = _libmvec()
    if lib is None:
        return ir

    def swap(match):
        name, width = match.group(1), int(match.group(2))
        letter, needs = _VECTOR_ISA.get(width, ("?", "?"))
        target = f"_ZGV{letter}N{width}v_{name}"
        ok = needs in features.split(",") and hasattr(lib, target)
        return "@" + target if ok else match.group(0)

    return re.sub(r"@llvm\.([a-z0-9]+)\.v(\d+)f64\b", swap, ir)


def _compiler() -> list | None:
    """The C compiler that links shared libraries: ``$CC``, else the first of cc, gcc, clang."""
    import shlex
    import shutil

    if os.environ.get("CC"):
        return shlex.split(os.environ["CC"])
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def _link(path: str, obj: bytes, symbol: str) -> bool:
    """Link ``obj`` (with the GIL helpers Numba's error path calls) into ``path.so``."""
    import subprocess

    cc = _compiler()
    if cc is None:
        LINK_FAILURE[:] = ["no C compiler found ($CC, cc, gcc, clang)"]
        return False
    tmp = _tmp(path)
    try:
        helpers = _gil_helpers_object()
        _write(tmp + ".o", obj)
        done = subprocess.run(
            [*cc, "-shared", "-o", tmp + ".so", tmp + ".o", helpers, *_vector_lib(obj), "-lm"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            LINK_FAILURE[:] = [f"{' '.join(cc)} exited {done.returncode}: {done.stderr[-500:]}"]
            return False
        _write(path + ".sym", symbol.encode("ascii"))
        os.replace(tmp + ".so", path + ".so")
        return True
    except Exception as exc:  # noqa: BLE001 - any failure: keep the object file instead
        LINK_FAILURE[:] = [f"{type(exc).__name__}: {exc}"]
        return False
    finally:
        for leftover in (tmp + ".o", tmp + ".so"):
            try:
                os.remove(leftover)
            except OSError:
                pass


def _vector_lib(obj: bytes) -> list:
    """Link glibc's vector math library (by its runtime name: no development package needed)
    when the object calls its functions (:func:`vector_math`)."""
    return ["-l:libmvec.so.1"] if b"_ZGV" in obj else []


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
"""Numba's ``numba_gil_ensure/release`` (called on a kernel's error path), which a process
without Numba lacks: linked into every kernel's shared library."""


def _gil_helpers_object() -> str:
    """Path of the GIL helpers' position-independent object file (made once per cache)."""
    path = os.path.join(cache_dir(), "gil_helpers.pic.o")
    if not os.path.exists(path):
        import llvmlite.binding as llvm

        _write(path, _target_machine().emit_object(llvm.parse_assembly(_GIL_IR)))
    return path


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
        self.libs = [ctypes.CDLL(None)]
        self.more_libs = ["libm.so.6", "libmvec.so.1", "libgcc_s.so.1"]  # opened on demand
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
        """Define ``numba_gil_ensure/release`` (Numba's error path) from their object file."""
        llvm = self.llvm
        if not self._resolve("PyGILState_Ensure") or not self._resolve("PyGILState_Release"):
            return False
        with open(_gil_helpers_object(), "rb") as f:
            obj = f.read()
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
        return c_function(address, template) if address else None


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
