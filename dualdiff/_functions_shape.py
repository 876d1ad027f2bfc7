"""Structural numpy functions on dual numbers: every output element is one input element (or 0).

Most of numpy's structural functions (``tile``, ``pad``, ``rot90``, ``split``, ``triu``,
``insert``, ``block``, ...) move elements and nothing else. Rather than re-implement each one's
shape logic per component, they run once on an *index array*, ``arange(size).reshape(shape)``,
and every component is then gathered at the resulting indices (:func:`gather`), with the
direction axes kept last. The sentinel index ``-1`` selects an appended zero: an element that
does not come from the input (``pad``'s constant, ``triu``'s zeros) has zero derivative parts,
and its value is numpy's own (the value part is numpy's function on the value whenever there
is a constant in the output). Several inputs (``column_stack``, ``block``, ``insert``) are
flattened one after the other, their index arrays offset. numpy itself computes the shapes;
this module never repeats them.

Functions that are linear but not gathers (``gradient``, ``kron``, ``cross``, ``convolve``,
``select``) are written in dual operations here too.
"""

from __future__ import annotations

import numpy as np

from ._base import DualBase, _finish, norm_axis
from ._errors import UnsupportedFunctionError
from ._functions import (
    _lift_all,
    _ravel,
    _real,
    _tail,
    _where,
    contract,
    dual_reshape,
    implements,
)

# ---------------------------------------------------------------- the gather


def _flat(p, nt, zero=True):
    tail = _tail(p, nt)
    flat = np.reshape(p, (-1,) + tail)
    return np.concatenate([flat, np.zeros((1,) + tail)]) if zero else flat


def _index(a) -> np.ndarray:
    return np.arange(int(np.size(_real(a)))).reshape(np.shape(_real(a)))


def gather(a, idx, value=None):
    """Every component of ``a`` at the flat indices ``idx`` (``-1``: zero); a list for a list.

    ``value``, when given, replaces the value part (numpy's function on ``a.value``, for
    outputs that hold constants).
    """
    if isinstance(idx, (list, tuple)):
        vals = [None] * len(idx) if value is None else value
        return type(idx)(gather(a, i, v) for i, v in zip(idx, vals))
    idx = np.asarray(idx)
    res = a._map(lambda p, nt: _flat(p, nt)[idx])
    if value is not None:
        parts = list(res._parts())
        parts[0] = np.asarray(value)
        res = res._from(parts)
    return _finish(res)


def gather_many(arrays, build):
    """Every component of several inputs (constants lifted) at the flat indices
    ``build(index arrays)``: the inputs' elements numbered one after the other (``-1``: 0)."""
    arrays = _lift_all(list(arrays))
    idxs, off = [], 0
    for a in arrays:
        idxs.append(_index(a) + off)
        off += a.size
    out = np.asarray(build(idxs))
    out = np.where(out < 0, off, out)  # the sentinel: the zero appended after all inputs
    proto = arrays[0]
    parts = []
    for i, lab in enumerate(proto._labels()):
        ps = [_flat(a._parts()[i], len(lab), zero=False) for a in arrays]
        zero = np.zeros((1,) + ps[0].shape[1:])
        parts.append(np.concatenate(ps + [zero])[out])
    if all(a._shares_eps() for a in arrays):
        parts[2] = parts[1]
    return _finish(proto._from(parts))


def _any_dual(*xs):
    return any(isinstance(x, DualBase) for x in xs)


def _leaves(x):
    if isinstance(x, (list, tuple)):
        return [y for z in x for y in _leaves(z)]
    return [x]


# ---------------------------------------------------------------- rearranging one array


def _single(func):
    """``func(a, *args, **kwargs)`` of one array, by gathering: values exact, zeros where numpy
    puts constants."""

    def run(a, *args, **kwargs):
        return gather(a, func(_index(a), *args, **kwargs))

    return run


GATHERED = [
    np.rot90,
    np.fliplr,
    np.flipud,
    np.rollaxis,
    np.resize,
    np.delete,
    np.tile,
    np.split,
    np.array_split,
    np.hsplit,
    np.vsplit,
    np.dsplit,
]
"""Functions of one array that only move its elements: numpy's own function on the index array
gives the output's indices."""
for _f in GATHERED:
    implements(_f)(_single(_f))

if hasattr(np, "unstack"):
    implements(np.unstack)(_single(np.unstack))
if hasattr(np, "matrix_transpose"):
    implements(np.matrix_transpose)(_single(np.matrix_transpose))


@implements(np.atleast_3d)
def _atleast_3d(*arys):
    res = [
        gather(a, np.atleast_3d(_index(a))) if isinstance(a, DualBase) else np.atleast_3d(a)
        for a in arys
    ]
    return res[0] if len(res) == 1 else tuple(res)


def _triangle(fn):
    def run(m, k=0):
        idx = fn(_index(m) + 1, k) - 1
        return gather(m, idx)

    return run


implements(np.triu)(_triangle(np.triu))
implements(np.tril)(_triangle(np.tril))


@implements(np.diagflat)
def _diagflat(v, k=0):
    return gather(v, np.diagflat(_index(v) + 1, k) - 1)


@implements(np.take_along_axis)
def _take_along_axis(arr, indices, axis=-1):
    if axis is None:
        return gather(arr, np.take_along_axis(_index(arr).ravel(), indices, None))
    return gather(arr, np.take_along_axis(_index(arr), indices, axis))


@implements(np.compress)
def _compress(condition, a, axis=None, out=None):
    return gather(a, np.compress(condition, _index(a), axis=axis))


@implements(np.extract)
def _extract(condition, arr):
    return gather(arr, np.extract(_real(condition), _index(arr)))


@implements(np.partition)
def _partition(a, kth, axis=-1, kind="introselect", order=None):
    """Partition by the value; every component permuted alike."""
    if axis is None:
        a, axis = _ravel(a), -1
    order_ = np.argpartition(a.value, kth, axis=axis, kind=kind)
    return gather(a, np.take_along_axis(_index(a), order_, axis))


_PAD_GATHER = {"constant", "edge", "reflect", "symmetric", "wrap"}


@implements(np.pad)
def _pad(array, pad_width, mode="constant", **kwargs):
    """``np.pad`` for the modes that copy input elements (``constant`` puts constants)."""
    if not isinstance(mode, str) or mode not in _PAD_GATHER:
        raise UnsupportedFunctionError(
            f"np.pad(..., mode={mode!r}) is not supported on dual numbers; supported modes: "
            f"{sorted(_PAD_GATHER)} (they copy input elements or constants)"
        )
    if kwargs.get("reflect_type", "even") != "even":
        raise UnsupportedFunctionError(
            "np.pad(..., reflect_type='odd') is not supported on dual numbers; use the default "
            "reflect_type='even'"
        )
    if mode == "constant":
        if _any_dual(*_leaves(kwargs.get("constant_values", 0))):
            raise UnsupportedFunctionError(
                "np.pad(..., constant_values=dual) is not supported; pad with a constant and "
                "add the dual values with np.where"
            )
        idx = np.pad(_index(array) + 1, pad_width, mode="constant") - 1
        return gather(array, idx, np.pad(array.value, pad_width, mode=mode, **kwargs))
    return gather(array, np.pad(_index(array), pad_width, mode=mode, **kwargs))


# ---------------------------------------------------------------- several arrays


@implements(np.column_stack)
def _column_stack(tup):
    return gather_many(tup, np.column_stack)


@implements(np.dstack)
def _dstack(tup):
    return gather_many(tup, np.dstack)


if hasattr(np, "row_stack"):

    @implements(getattr(np, "row_stack"))  # noqa: B009 (deprecated name, attribute kept)
    def _row_stack(tup, *, dtype=None, casting="same_kind"):
        return gather_many(tup, np.vstack)


@implements(np.block)
def _block(arrays):
    leaves = []

    def collect(x):
        if isinstance(x, list):
            for y in x:
                collect(y)
        else:
            leaves.append(x)

    collect(arrays)

    def build(idxs):
        it = iter(idxs)

        def rebuild(x):
            return [rebuild(y) for y in x] if isinstance(x, list) else next(it)

        return np.block(rebuild(arrays))

    return gather_many(leaves, build)


@implements(np.insert)
def _insert(arr, obj, values, axis=None):
    if isinstance(obj, DualBase):
        raise UnsupportedFunctionError("np.insert: the positions obj cannot be dual numbers")
    return gather_many([arr, values], lambda idxs: np.insert(idxs[0], obj, idxs[1], axis=axis))


@implements(np.meshgrid)
def _meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    kw = {"copy": copy, "sparse": sparse, "indexing": indexing}
    idx = np.meshgrid(*[_index(x) for x in xi], **kw)
    plain = np.meshgrid(*[_real(x) for x in xi], **kw)
    return tuple(gather(x, i) if isinstance(x, DualBase) else p for x, i, p in zip(xi, idx, plain))


@implements(np.select)
def _select(condlist, choicelist, default=0):
    """``np.select``: the first true condition's choice, else ``default`` (dual or not)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    res = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        if _any_dual(choice, res):
            res = _where(_real(cond), choice, res)
        else:
            res = np.where(_real(cond), choice, res)
    shape = np.broadcast_shapes(*[np.shape(_real(c)) for c in (*condlist, *choicelist)])
    return np.broadcast_to(res, shape) if np.shape(_real(res)) != shape else res


@implements(np.kron)
def _kron(a, b):
    """``kron(a, b)``: the outer product of both, its axes interleaved and merged."""
    na, nb = np.ndim(_real(a)), np.ndim(_real(b))
    nd = max(na, nb)
    sa = (1,) * (nd - na) + np.shape(_real(a))
    sb = (1,) * (nd - nb) + np.shape(_real(b))
    a, b = np.reshape(a, sa), np.reshape(b, sb)
    la = "abcdefghijkl"[:nd]
    lb = "mnopqrstuvwx"[:nd]
    out = "".join(x + y for x, y in zip(la, lb))
    res = contract(la, lb, out, a, b)
    return dual_reshape(res, tuple(m * n for m, n in zip(sa, sb))) if nd else res


@implements(np.gradient)
def _gradient(f, *varargs, axis=None, edge_order=1):
    """``np.gradient`` is linear in ``f`` for constant spacings: applied to every component
    along the same axes (the direction axes are never among them)."""
    if _any_dual(*varargs):
        raise UnsupportedFunctionError(
            "np.gradient with dual spacings (varargs) is not supported; only f may be dual"
        )
    axes = norm_axis(axis, f.ndim)
    per_part = []
    for p in f._parts():
        g = np.gradient(p, *varargs, axis=axes, edge_order=edge_order) if np.ndim(p) else None
        per_part.append(g if isinstance(g, (list, tuple)) else [g])
    res = []
    for k in range(len(axes)):
        parts = [pp[k] for pp in per_part]
        if f._shares_eps():
            parts[2] = parts[1]
        res.append(f._from(parts))
    return res[0] if len(res) == 1 else tuple(res)


@implements(np.convolve)
def _convolve(a, v, mode="full"):
    """``convolve(a, v)[i] = Σ_k v[k] a[i - k]``: one product and sum per element of the shorter
    operand (memory and work ``O(n m)``, no ``n × m`` matrix), exact in both operands."""
    n, m = int(np.size(_real(a))), int(np.size(_real(v)))
    if n == 0 or m == 0:
        raise ValueError("v cannot be empty" if m == 0 else "a cannot be empty")
    if np.ndim(_real(a)) > 1 or np.ndim(_real(v)) > 1:
        raise ValueError("object too deep for desired array")
    if n < m:  # numpy swaps so the longer one is first; the result is the same
        a, v, n, m = v, a, m, n
    a = np.ravel(a)
    if not isinstance(a, DualBase):
        a = v.zeros_like_parts(np.asarray(a, dtype=float))
    padded = np.pad(a, (m - 1, m - 1))
    full = None
    for k in range(m):
        term = v[k] * padded[m - 1 - k : m - 1 - k + n + m - 1]
        full = term if full is None else full + term
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start : start + n]
    if mode == "valid":
        return full[m - 1 : n]
    raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")


@implements(np.correlate)
def _correlate(a, v, mode="valid"):
    """``correlate(a, v) = convolve(a, v[::-1])`` for real data (numpy's own definition)."""
    n, m = int(np.size(_real(a))), int(np.size(_real(v)))
    if n >= m:
        return _convolve(a, np.flip(v), mode)
    return np.flip(_convolve(v, np.flip(a), mode))


@implements(np.broadcast_arrays)
def _broadcast_arrays(*args, subok=False):
    shape = np.broadcast_shapes(*[np.shape(_real(a)) for a in args])
    return tuple(np.broadcast_to(a, shape) for a in args)
