"""glibc's vector math (libmvec) for the vectorised loops of the kernels, where it exists.

LLVM vectorises a loop of ``exp``, ``sin``, ``log``... into vector intrinsics
(``llvm.exp.v4f64``) but, with no vector library, expands each back into one libm call per
element; libmvec computes the whole vector at once, several times faster (glibc documents
errors of at most 4 ulp; the kernels measured within 3 ulp of the correctly rounded result,
``tests/test_kernels.py`` checks against mpmath). Functions LLVM knows only as library calls
(``expm1``, ``cbrt``) are never vectorised and stay libm's scalar code; for ``log1p`` the
kernels use ``log`` instead (:mod:`dualdiff._kernels.numba_support`).

Only Linux with glibc has libmvec: elsewhere (macOS, Windows, musl, aarch64 without it) the IR
is left as LLVM made it, which is correct, only slower for transcendental rules.
"""

from __future__ import annotations

import re
import sys

_VECTOR_ISA = {2: ("b", "+sse4.1"), 4: ("d", "+avx2"), 8: ("e", "+avx512f")}
"""Width of a vector of doubles -> glibc's vector-ABI letter (SSE4, AVX2, AVX-512) and the CPU
feature that variant needs."""

_LIBMVEC: list = []


def libmvec():
    """glibc's vector math library (a ctypes handle), or None where there is none."""
    if not _LIBMVEC:
        lib = None
        if sys.platform.startswith("linux"):
            import ctypes

            try:
                lib = ctypes.CDLL("libmvec.so.1")
            except OSError:
                lib = None
        _LIBMVEC.append(lib)
    return _LIBMVEC[0]


def vector_math(ir: str, features: str) -> str:
    """``ir`` with LLVM's vector math intrinsics calling glibc's vector functions
    (``_ZGVdN4v_exp`` for ``llvm.exp.v4f64`` on AVX2) where this glibc and CPU have them."""
    lib = libmvec()
    if lib is None:
        return ir
    have = features.split(",")

    def swap(match):
        name, width = match.group(1), int(match.group(2))
        letter, needs = _VECTOR_ISA.get(width, ("?", "?"))
        target = f"_ZGV{letter}N{width}v_{name}"
        ok = needs in have and hasattr(lib, target)
        return "@" + target if ok else match.group(0)

    return re.sub(r"@llvm\.([a-z0-9]+)\.v(\d+)f64\b", swap, ir)


def needs_libmvec(obj: bytes) -> bool:
    """Whether object code calls libmvec (then the link names it)."""
    return b"_ZGV" in obj
