"""The kernels' calling convention, written once; the ctypes prototype, the Numba signature,
the Python-side packing and the templates' unpacking are all derived from it.

Every kernel is the C function ``void kernel(int64 lo, int64 hi, double prm, int64 *args)``:
it computes elements ``lo <= i < hi`` (threads take slices), ``prm`` is the exponent of
``x ** c`` (unused otherwise), and ``args`` is one packed int64 array:

- ``args[0:3]``: ``k1, k2, shared`` (direction counts, 1 in scalar mode; ``shared`` is 1 when
  every HyperDual operand has ``eps1 is eps2`` so the result's ε2 part is its ε1 part);
- then, per operand and per component (``real`` first), the *address of the ndarray object*
  holding it followed by its element strides (:data:`STRIDES`: 1 for the value, 2 for an ε
  part over ``(n, k)``, 3 for ``ε1ε2`` over ``(n, k1, k2)``);
- then the addresses of the output arrays (C-contiguous, written in full).

Passing object addresses (CPython's ``id``) instead of data pointers is what makes a call
cheap: reading ``arr.ctypes.data`` or ``__array_interface__`` costs about half a microsecond
per array, ``id`` a few nanoseconds. The kernel reads the data pointer from the object at
:data:`DATA_OFFSET` bytes (numpy's ``PyArrayObject.data``, right after the object header); the
offset is verified on real arrays once per process before any kernel runs
(:func:`data_offset_ok`), and kernels are not used where it does not hold. The caller keeps
every array alive until the call returns.
"""

from __future__ import annotations

import ctypes
import operator
import struct
from array import array

import numpy as np

HEADER = ("k1", "k2", "shared")

STRIDES = {2: (1, 2), 4: (1, 2, 2, 3)}
"""Element strides passed per component of a Dual (2 components) or HyperDual (4)."""

TEMPLATES = {
    "dual_unary": (2, 1),
    "hyper_unary": (4, 1),
    "dual_binary": (2, 2),
    "hyper_binary": (4, 2),
}
"""Loop template -> (components per number, operands)."""

IEEE = "-ieee"
"""Suffix of a kernel's flags (the seeds of its derivative inputs, ``A``/``O``/``Z``) for its
raw-IEEE variant (``dualdiff.nan_safe(False)``): the NaN-safe kernels are the default and the
common set; a raw variant is compiled the first time it is used."""

DATA_OFFSET = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
"""Bytes from an ndarray object's address to its ``data`` pointer (``ob_refcnt``, ``ob_type``)."""


def template(parts: int, operands: int) -> str:
    """The template of numbers of ``parts`` components and ``operands`` operands."""
    return ("dual_" if parts == 2 else "hyper_") + ("unary" if operands == 1 else "binary")


def offsets(name: str) -> tuple:
    """``(component offsets, output offsets, length)`` of the ``args`` array of template
    ``name``: where each operand component's object address sits (its strides follow it),
    where each output's sits, and how long ``args`` is."""
    parts, operands = TEMPLATES[name]
    pos = len(HEADER)
    comps = []
    for _ in range(operands):
        for s in STRIDES[parts]:
            comps.append(pos)
            pos += 1 + s
    return tuple(comps), tuple(range(pos, pos + parts)), pos + parts


def ctypes_prototype():
    """``void(int64, int64, double, int64*)`` as a ctypes function type."""
    return ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p)


def numba_signature(types):
    """The same signature in Numba's types (``types`` is ``numba.core.types``)."""
    return types.void(types.int64, types.int64, types.float64, types.CPointer(types.int64))


_CHECKED: list = []


def data_offset_ok() -> bool:
    """Whether :data:`DATA_OFFSET` holds in this process (checked once, on several arrays)."""
    if not _CHECKED:
        ok = True
        base = np.arange(12.0).reshape(3, 4)
        for arr in (base, base[1:, ::2], np.empty(0), np.broadcast_to(np.ones(1), (5,))):
            address = arr.__array_interface__["data"][0]
            ok &= ctypes.c_void_p.from_address(id(arr) + DATA_OFFSET).value == (address or None)
        _CHECKED.append(ok)
    return _CHECKED[0]


BYTES_OFFSET = bytes.__basicsize__ - 1
"""Bytes from a ``bytes`` object's address to its first byte (CPython's ``ob_sval``; the
basic size counts the trailing NUL). Verified once per process by :func:`scalar_packer`."""


def _bytes_offset_ok() -> bool:
    probe = struct.pack("3q", 1, -2, 1 << 62)
    return ctypes.string_at(id(probe) + BYTES_OFFSET, len(probe)) == probe


def scalar_packer(name: str):
    """``pack(values) -> (keep, address)``: the ``args`` array of template ``name`` in scalar
    mode (``k1 = k2 = 1``, every operand C-contiguous, so every stride is 1).

    ``values`` is ``[shared, *component_addresses, *output_addresses, 1]`` (the trailing 1
    fills the header's direction counts and every stride). One C-level gather and one
    ``struct`` pack build the array: measured 0.45 us against 1.1 us for ``array("q", list)``
    of the same 19 numbers, a fifth of the kernel layer's own work per call. The result is an
    immutable ``bytes`` read in place at :data:`BYTES_OFFSET` where that offset holds, else an
    ``array`` (``keep`` must stay alive until the kernel returns).
    """
    comps, outs, length = offsets(name)
    index = [len(comps) + len(outs) + 1] * length
    index[HEADER.index("shared")] = 0
    for j, pos in enumerate(comps + outs):
        index[pos] = 1 + j
    gather = operator.itemgetter(*index)
    pack = struct.Struct(f"{length}q").pack
    if _bytes_offset_ok():
        offset = BYTES_OFFSET

        def packed(values):
            b = pack(*gather(values))
            return b, id(b) + offset

    else:  # pragma: no cover - a CPython whose bytes layout differs

        def packed(values):
            a = array("q", gather(values))
            return a, a.buffer_info()[0]

    return packed
