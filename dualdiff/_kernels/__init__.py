"""The accelerator: fused elementwise kernels below the engine's seam.

:func:`run` takes what :mod:`dualdiff._engine` hands down (an operation, the operands'
component tuples and their direction labels) and returns the result's components, or None to
let the numpy path run. It never sees a number type. One call packs the operands' object
addresses and element strides into one int64 array (:mod:`.abi`), allocates the outputs
(:mod:`.memory`), finds the kernel (:mod:`.registry`, which loads it from the verified store,
:mod:`.store`, or compiles it, :mod:`.build`) and runs it, split over threads where that pays
(:mod:`.threads`).

Inputs are read in place through their strides: broadcast (stride 0), sliced and reversed
inputs need no copy; a layout no strided view of the flattened operand can express (a
transposed 2-d array, an outer-product broadcast) is copied first. Outputs are new
C-contiguous arrays.
"""

from __future__ import annotations

import math
import os
from array import array

import numpy as np

from .._algebra import ONE, ZERO, AlgebraOp, is_complex
from . import abi, memory, registry, threads

__all__ = ["FALLBACKS", "run", "compiled_kernels", "after_fork"]

FALLBACKS: dict[str, str] = {
    "scipy.special rules": "Numba has no implementation of the scipy.special ufuncs",
    "x**c with an array c": "the power kernel takes one scalar exponent",
    "x * c, x / c, x ± c (c constant), x ± y": "linear: one numpy operation per component "
    "moves the same bytes as a fused kernel, for less call overhead",
    "matmul, dot, einsum, reductions": "not elementwise",
    "a direction axis of length 0 on a non-empty array": "nothing to loop over",
    "complex numbers": "the kernels are compiled for float64 components only",
}
"""What always takes the numpy path, and why."""

compiled_kernels = registry.compiled_kernels

_F8 = np.dtype(np.float64)
_UNSEEN = np.zeros(1)
"""Passed for a structural-zero or one seed: the kernel's reader for it never reads memory."""
_UNSEEN_ID = id(_UNSEEN)
_RULES_MODULE = "dualdiff._rules"


def after_fork() -> None:
    """A forked child has none of its parent's threads or locks: start afresh."""
    threads.after_fork()
    memory.BLOCKS.after_fork()
    registry.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=after_fork)


def _view(q, full: tuple, flat: tuple, keep: list) -> tuple:
    """``q`` broadcast to ``full`` and viewed as ``flat``: ``(object, element strides)``,
    copied only where no strided view exists."""
    arr = np.asarray(q, dtype=np.float64)
    if arr.shape != full:
        arr = np.broadcast_to(arr, full)
    arr = arr.reshape(flat)
    if not arr.flags.aligned or any(s % 8 for s in arr.strides):
        arr = np.ascontiguousarray(arr)
    keep.append(arr)
    return id(arr), [s >> 3 for s in arr.strides]


def _real_number(q) -> bool:
    """A component the kernels can read as float64 without losing anything: complex ones
    (which :func:`_view` would cast, dropping the imaginary part) send the call to numpy."""
    return not is_complex(q) and getattr(q, "dtype", _F8).kind in "biuf"


_KERNELS = registry.KERNELS
_ndarray = np.ndarray
_empty = np.empty


def run(op, operands: tuple, labels: tuple, prm: float, parallel_threshold: int, raw=False):
    """``op`` on ``operands`` by a kernel: the result's components, or None (numpy path).
    ``raw``: the raw-IEEE variant (``dualdiff.nan_safe(False)``), else the NaN-safe one."""
    if op.__class__ is not AlgebraOp and op.fn.__module__ != _RULES_MODULE:
        return None
    if not labels[-1]:
        result = _scalar_mode(op, operands, len(labels), prm, parallel_threshold, raw)
        if result is not None:
            return result
    if not _plain(operands):
        return None
    return _general(op, operands, labels, prm, parallel_threshold, raw)


def _plain(operands) -> bool:
    """Every component an ndarray or a Python float. When derivatives nest, a component may
    be a dual number of lower tag, which no kernel takes (:func:`_scalar_mode` declines it as
    it reads the components, at no extra cost; this check guards :func:`_general`)."""
    for o in operands:
        for q in o:
            t = type(q)
            if t is not _ndarray and t is not float:
                return False
    return True


def _scalar_mode(op, operands, nparts, prm, parallel_threshold, raw):
    """The common case, kept short: scalar mode, every component a C-contiguous float64
    array of one shape (or a seed). None sends the call to :func:`_general`."""
    shape = None
    vals = [0]  # shared, then the component addresses, output addresses and a 1: abi
    flags = ""
    shared = nparts == 4
    for o in operands:
        if len(o) == 1:
            return None
        if shared and o[1] is not o[2]:
            shared = False
        first = True
        for q in o:
            if type(q) is not _ndarray:
                return None
            if first:
                first = False
            else:
                base = q.base
                if base is ZERO or base is ONE:
                    flags += "Z" if base is ZERO else "O"
                    vals.append(_UNSEEN_ID)
                    continue
                flags += "A"
            if q.dtype is not _F8 or not q.flags.c_contiguous:
                return None
            if shape is None:
                shape = q.shape
            elif q.shape != shape:
                return None
            vals.append(id(q))
    template = _TEMPLATE_OF[nparts, len(operands)]
    key = (template, op, flags + abi.IEEE if raw else flags)
    fn = _KERNELS.get(key) or registry.get(*key)
    if fn is None:
        return None
    n = operands[0][0].size
    alloc = _empty if 8 * n < memory.POOLED else memory.empty
    r, e1 = alloc(shape), alloc(shape)
    if nparts == 2:
        outs = (r, e1)
        vals += (id(r), id(e1), 1)
    else:
        e2 = e1 if shared else alloc(shape)
        e12 = alloc(shape)
        outs = (r, e1, e2, e12)
        vals += (id(r), id(e1), id(e2), id(e12), 1)
        vals[0] = shared
    keep, address = _PACK[template](vals)
    if n < parallel_threshold:
        fn(0, n, prm, address)
    else:
        threads.launch(fn, n, n, prm, address, parallel_threshold)
    del keep
    if not shape:
        return tuple(float(p) for p in outs)
    return outs


_TEMPLATE_OF = {(p, m): abi.template(p, m) for p in (2, 4) for m in (1, 2)}
_PACK = {name: abi.scalar_packer(name) for name in abi.TEMPLATES}


def _general(op, operands: tuple, labels: tuple, prm: float, parallel_threshold: int, raw):
    """Any layout: broadcasting, constants, strided views, vector mode."""
    nparts = len(labels)
    dual_first = len(operands[0]) > 1
    proto = operands[0] if dual_first else operands[1]
    shape = np.shape(operands[0][0])
    if len(operands) == 2:
        other = np.shape(operands[1][0])
        if other != shape:
            try:
                shape = np.broadcast_shapes(shape, other)
            except ValueError:
                return None  # the numpy path raises numpy's broadcasting error
    n = math.prod(shape)
    if labels[-1]:
        dirs = [()] + [
            np.shape(q)[np.ndim(q) - len(lab) :] for q, lab in zip(proto[1:], labels[1:])
        ]
        k1 = dirs[1][0] if dirs[1] else 1
        k2 = dirs[2][0] if nparts == 4 and dirs[2] else 1
        if not (k1 and k2):
            return None
    else:
        dirs = [()] * nparts
        k1 = k2 = 1
    flat = ((n,), (n, k1), (n, k2), (n, k1, k2))
    unit = ((1,), (k1, 1), (k2, 1), (k1 * k2, k2, 1))  # strides of C-contiguous components
    if nparts == 2:
        flat, unit = flat[:2], unit[:2]
    shared = nparts == 4
    args = [k1, k2, 0]
    flags = []
    keep: list = []
    for o in operands:
        if len(o) == 1:  # a constant: its derivative parts are structurally absent
            if not _real_number(o[0]):
                return None
            obj, strides = _view(o[0], shape, (n,), keep)
            args.append(obj)
            args.extend(strides)
            for i in range(1, nparts):
                args.append(_UNSEEN_ID)
                args.extend(unit[i])
            flags.append("Z" * (nparts - 1))
            continue
        if nparts == 4 and o[1] is not o[2]:
            shared = False
        for i, q in enumerate(o):
            if i:
                if type(q) is np.ndarray and (q.base is ZERO or q.base is ONE):
                    flags.append("Z" if q.base is ZERO else "O")
                    args.append(_UNSEEN_ID)
                    args.extend(unit[i])
                    continue
                flags.append("A")
            if (
                type(q) is np.ndarray
                and q.dtype is _F8
                and q.flags.c_contiguous
                and q.shape == shape + dirs[i]
            ):
                args.append(id(q))
                args.extend(unit[i])
                continue
            if not _real_number(q):
                return None
            obj, strides = _view(q, shape + dirs[i], flat[i], keep)
            args.append(obj)
            args.extend(strides)
    template = abi.template(nparts, len(operands))
    fn = registry.get(template, op, "".join(flags) + (abi.IEEE if raw else ""))
    if fn is None:
        return None
    args[2] = int(shared)
    outs = []
    for i in range(nparts):
        if shared and i == 2:
            outs.append(outs[1])
        else:
            outs.append(memory.empty(shape + dirs[i]))
    for out in outs:
        args.append(id(out))
    packed = array("q", args)
    threads.launch(fn, n, outs[-1].size, prm, packed.buffer_info()[0], parallel_threshold)
    if not shape:  # 0-d: value (and scalar-mode parts) as Python floats
        return tuple(float(p) if not d else p for p, d in zip(outs, dirs))
    return tuple(outs)
