"""``__array_function__``: numpy functions on dual numbers (NEP 18).

Linear and structural functions act on every component alike through
:meth:`DualBase._map`, with the direction axes kept last. Functions with real algebra are few:
contractions (matmul, dot, einsum, ...) reuse the product rule of :mod:`dualdiff._algebra` with
an einsum in place of the elementwise product; prod, var and std are compositions of
ufuncs; max/min/sort select by the real part. ``np.linalg`` (norm included) lives in
:mod:`dualdiff._linalg`, registered into the same :data:`HANDLED_FUNCTIONS`.

This module holds the dispatcher, the registry and the core functions. More handlers register
from modules grouped by concern, imported by :mod:`dualdiff._protocols`:
:mod:`dualdiff._functions_shape` (structural functions, by gathering components at numpy's own
index arrays), :mod:`dualdiff._functions_reduce` (statistics, order statistics, polynomials,
interpolation, ranges) and :mod:`dualdiff._functions_values` (value-only functions, ``sinc``,
``unique``, einsum's operand-list form). :mod:`dualdiff._coverage` says why the rest of numpy
is refused.

Selections by value (``max``, ``sort``, ``partition``, ``median``, ``quantile``, ``unique``)
share one convention on ties: the element numpy's (stable) ordering of the values puts there
carries its derivative; ``np.maximum``/``np.minimum``/``np.clip`` have theirs in
:mod:`dualdiff._rules`.
"""

from __future__ import annotations

import inspect
import math
import string
from contextvars import ContextVar

import numpy as np

from . import _algebra as _alg
from . import _coverage
from . import _engine as engine
from ._base import (
    DualBase,
    _finish,
    as_float_component,
    check_compatible,
    norm_axis,
    operand_roles,
    scalar_component,
    top_number,
    write_out,
)
from ._errors import DerivativeLossError, UnsupportedFunctionError

HANDLED_FUNCTIONS: dict = {}

OUT_PARAMETER: dict = {}
"""``func -> position`` of numpy's ``out`` parameter among the positional ones (None when it
is keyword-only, -1 when there is none), for every handled function called so far (filled on
first use: reading the signatures at import would cost ten milliseconds). The
dispatcher takes ``out`` away from the handler, which computes a new result, and honours it
once for all (:func:`dualdiff._base.write_out`): a dual ``out`` receives the result, a plain
float array is refused with DerivativeLossError."""


_UNSEEN = object()


def _out_position(func):
    """Position of ``out`` among ``func``'s positional parameters, None when keyword-only, -1
    when it has none: from its signature, or, for numpy's C functions that have none before
    numpy 2.1 (``np.dot``, ``np.concatenate``), from the signature line of its docstring."""
    try:
        params = [(p.name, p.kind) for p in inspect.signature(func).parameters.values()]
    except (TypeError, ValueError):
        params = _doc_parameters(func)
    keyword_only = False
    position = 0
    for name, kind in params:
        if kind == inspect.Parameter.VAR_POSITIONAL or name == "*":
            keyword_only = True
            continue
        if name == "out":
            return None if keyword_only or kind == inspect.Parameter.KEYWORD_ONLY else position
        if name != "/":
            position += 1
    return -1


def _doc_parameters(func) -> list:
    """``[(name, kind)]`` from a docstring that starts ``name(a, b, out=None)``."""
    doc = (getattr(func, "__doc__", None) or "").lstrip()
    if not doc.startswith(func.__name__ + "("):
        return []
    depth, names, current = 0, [], ""
    for ch in doc[len(func.__name__) + 1 :]:  # "(a1, a2, ...), axis=0, out=None)": top level
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return [(n.strip().split("=")[0].strip() or "_", kind) for n in names if n.strip()]


def implements(*funcs):
    """Register the decorated function as the dual-number version of ``funcs``."""

    def register(fn):
        for f in funcs:
            HANDLED_FUNCTIONS[f] = fn
        return fn

    return register


def dispatch_function(func, types, args, kwargs):
    fn = HANDLED_FUNCTIONS.get(func)
    if fn is None:
        name = getattr(func, "__module__", "numpy").replace("numpy", "np", 1)
        why = _coverage.reason(func)
        raise UnsupportedFunctionError(
            f"{name}.{func.__name__} is not supported on dual numbers"
            + (f": {why}. " if why else ". ")
            + "Supported numpy functions are listed in dualdiff.supported_functions() and "
            "docs/functions.md; apply it to .value if you only need the value"
        )
    pos = OUT_PARAMETER.get(func, _UNSEEN)
    if pos is _UNSEEN:  # read numpy's signature once, on first use (not at import)
        pos = OUT_PARAMETER[func] = _out_position(func)
    if pos == -1:
        return fn(*args, **kwargs)
    out = kwargs.pop("out", None)
    if pos is not None and len(args) > pos:
        out, args = args[pos], args[:pos] + (None,) + args[pos + 1 :]
    result = fn(*args, **kwargs)
    return result if out is None else write_out(result, out, f"np.{func.__name__}")


def _write_refused(name):
    return DerivativeLossError(
        f"{name} cannot write dual numbers into a plain array: their derivative parts would "
        "be lost. Build a dual array to fill instead: out = np.zeros_like(x) for a dual x, "
        "then out[i] = value; or collect the values and use np.stack([...])."
    )


@implements(np.copyto)
def _copyto(dst, src, casting="same_kind", where=True):
    if not isinstance(dst, DualBase):
        raise _write_refused("np.copyto")
    if where is True:
        dst[...] = src
    else:
        dst[...] = _where(where, src, dst)


def _lift_all(arrays):
    """Dual numbers and constants as numbers of one type, tag and mode (constants, and numbers
    of lower tag, with zero derivative parts)."""
    proto = top_number(arrays)
    out = []
    for a in arrays:
        a = proto.lift(a)
        check_compatible(proto, a)
        out.append(a)
    return out


def _tail(p, nt):
    return np.shape(p)[np.ndim(p) - nt :] if nt else ()


# ---------------------------------------------------------------- shape and structure


@implements(np.shape)
def _shape(a):
    return a.shape


@implements(np.ndim)
def _ndim(a):
    return a.ndim


@implements(np.size)
def _size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


@implements(np.iscomplexobj)
def _iscomplexobj(x):
    return x.dtype.kind == "c"


@implements(np.isrealobj)
def _isrealobj(x):
    return x.dtype.kind != "c"


@implements(np.angle)
def _angle(z, deg=False):
    """``arg z = arctan2(Im z, Re z)`` (numpy's formula), by the arctan2 rule on the real and
    imaginary parts: ``d arg z = Im(conj(z)·dz)/|z|²``. Real data: locally constant (0 or π)."""
    if not _alg.is_complex(z.value):
        return _finish(z.zeros_like_parts(np.angle(z.value, deg)))
    a = np.arctan2(z.imag, z.real)
    return a * (180.0 / np.pi) if deg else a


@implements(np.real)
def _np_real(val):
    return val.real


@implements(np.imag)
def _np_imag(val):
    return val.imag


@implements(np.reshape)
def dual_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if order not in ("C", "A"):
        raise ValueError("only C-order reshape is supported on dual numbers")
    new = np.shape(np.reshape(np.empty(a.shape, dtype=bool), shape))
    return a._map(lambda p, nt: np.reshape(p, new + _tail(p, nt)))


@implements(np.ravel)
def _ravel(a, order="C"):
    return dual_reshape(a, (-1,), order=order)


@implements(np.copy)
def _copy(a, order="K", subok=False):
    return a.copy()


@implements(np.transpose)
def _transpose(a, axes=None):
    nd = a.ndim
    axes = tuple(reversed(range(nd))) if axes is None else norm_axis(axes, nd)
    return a._map(lambda p, nt: np.transpose(p, axes + tuple(range(nd, nd + nt))))


@implements(np.swapaxes)
def _swapaxes(a, axis1, axis2):
    (i,), (j,) = norm_axis(axis1, a.ndim), norm_axis(axis2, a.ndim)
    return a._map(lambda p, nt: np.swapaxes(p, i, j))


@implements(np.moveaxis)
def _moveaxis(a, source, destination):
    s, d = norm_axis(source, a.ndim), norm_axis(destination, a.ndim)
    return a._map(lambda p, nt: np.moveaxis(p, s, d))


@implements(np.expand_dims)
def _expand_dims(a, axis):
    axes = norm_axis(axis, a.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1))
    return a._map(lambda p, nt: np.expand_dims(p, axes))


@implements(np.squeeze)
def _squeeze(a, axis=None):
    if axis is None:
        axes = tuple(i for i, n in enumerate(a.shape) if n == 1)
    else:
        axes = norm_axis(axis, a.ndim)
    return a._map(lambda p, nt: np.squeeze(p, axis=axes))


@implements(np.broadcast_to)
def _broadcast_to(a, shape, subok=False):
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return a._map(lambda p, nt: np.broadcast_to(p, shape + _tail(p, nt)))


@implements(np.atleast_1d)
def _atleast_1d(*arys):
    res = [dual_reshape(a, (1,)) if np.ndim(a) == 0 else a for a in arys]
    return res[0] if len(res) == 1 else tuple(res)


@implements(np.atleast_2d)
def _atleast_2d(*arys):
    res = [dual_reshape(a, (1,) * (2 - np.ndim(a)) + np.shape(a)) if np.ndim(a) < 2 else a
           for a in arys]  # fmt: skip
    return res[0] if len(res) == 1 else tuple(res)


@implements(np.take)
def _take(a, indices, axis=None, out=None, mode="raise"):
    if axis is None:
        a, axis = _ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    return a._map(lambda p, nt: np.take(p, indices, axis=ax, mode=mode))


@implements(np.flip)
def _flip(m, axis=None):
    axes = norm_axis(axis, m.ndim)
    return m._map(lambda p, nt: np.flip(p, axis=axes))


@implements(np.roll)
def _roll(a, shift, axis=None):
    if axis is None:
        return dual_reshape(_roll(_ravel(a), shift, 0), a.shape)
    axes = norm_axis(axis, a.ndim)
    return a._map(lambda p, nt: np.roll(p, shift, axis=axes))


@implements(np.repeat)
def _repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = _ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    return a._map(lambda p, nt: np.repeat(p, repeats, axis=ax))


@implements(np.diagonal)
def _diagonal(a, offset=0, axis1=0, axis2=1):
    (i,), (j,) = norm_axis(axis1, a.ndim), norm_axis(axis2, a.ndim)
    nd_out = a.ndim - 1

    def diag(p, nt):
        return (
            np.moveaxis(np.diagonal(p, offset, i, j), -1, nd_out - 1)
            if nt
            else (np.diagonal(p, offset, i, j))
        )

    return a._map(diag)


@implements(np.trace)
def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    (i,), (j,) = norm_axis(axis1, a.ndim), norm_axis(axis2, a.ndim)
    return _finish(a._map(lambda p, nt: np.trace(p, offset, i, j)))


@implements(np.diag)
def _diag(v, k=0):
    if v.ndim == 2:
        return _diagonal(v, offset=k)
    if v.ndim != 1:
        raise ValueError("np.diag input must be 1-d or 2-d")
    n = v.shape[0] + abs(k)
    rows = np.arange(v.shape[0]) + max(-k, 0)
    cols = np.arange(v.shape[0]) + max(k, 0)

    def build(p, nt):
        if isinstance(p, DualBase):  # a component of a nested number
            out = np.zeros((n, n) + _tail(p, nt), like=p)
        else:
            out = np.zeros((n, n) + _tail(p, nt), dtype=np.result_type(p))
        out[rows, cols] = p
        return out

    return v._map(build)


@implements(np.concatenate)
def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = _lift_all(list(arrays))
    if axis is None:
        arrays, axis = [_ravel(a) for a in arrays], 0
    (ax,) = norm_axis(axis, arrays[0].ndim)
    return _combine(arrays, lambda ps: np.concatenate(ps, axis=ax))


@implements(np.stack)
def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = _lift_all(list(arrays))
    (ax,) = norm_axis(axis, arrays[0].ndim + 1)
    return _combine(arrays, lambda ps: np.stack(ps, axis=ax))


@implements(np.hstack)
def _hstack(tup, dtype=None, casting="same_kind"):
    arrays = _lift_all([np.atleast_1d(a) for a in tup])
    return _concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


@implements(np.vstack)
def _vstack(tup, dtype=None, casting="same_kind"):
    return _concatenate(_lift_all([np.atleast_2d(a) for a in tup]), axis=0)


@implements(np.append)
def _append(arr, values, axis=None):
    if axis is None:
        return _concatenate([np.ravel(arr), np.ravel(values)])
    return _concatenate([arr, values], axis=axis)


def _combine(arrays, fn):
    proto = arrays[0]
    parts = [fn([a._parts()[i] for a in arrays]) for i in range(len(proto._parts()))]
    if all(a._shares_eps() for a in arrays):
        parts[2] = parts[1]
    return proto._from(parts)


@implements(np.where)
def _where(condition, x=None, y=None):
    if x is None and y is None:  # the indices where condition holds: a function of the value
        return np.where(_real(condition))
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    cond = condition.value != 0 if isinstance(condition, DualBase) else np.asarray(condition)
    x, y = _lift_all([x, y])
    shape = np.broadcast_shapes(cond.shape, x.shape, y.shape)
    parts = []
    for p, q, lab in zip(x._parts(), y._parts(), x._labels()):
        c = cond.reshape(cond.shape + (1,) * len(lab)) if cond.ndim and lab else cond
        r = np.where(c, p, q)
        parts.append(r if r.shape == shape + _tail(r, len(lab)) else np.broadcast_to(r, shape))
    if x._shares_eps() and y._shares_eps():
        parts[2] = parts[1]
    return _finish(x._from(parts))


@implements(np.clip)
def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if out is not None:
        raise UnsupportedFunctionError("np.clip(..., out=...) is not supported on dual numbers")
    res = a
    # The derivative passes through inside [lo, hi], ends included, and follows the bound
    # strictly outside it.
    if lo is not None:
        res = _where(res.value < _real(lo), lo, res)
    if hi is not None:
        res = _where(res.value > _real(hi), hi, res)
    return res


def _real(v):
    return v.value if isinstance(v, DualBase) else v


# ---------------------------------------------------------------- building outputs
# A dual array to fill (see the module docstring of dualdiff._base): the type and direction
# mode of the dual prototype, zero derivative parts. A non-float dtype gives a plain array.


def _plain_dtype(dtype) -> bool:
    return dtype is not None and np.dtype(dtype) not in (np.float64, np.complex128)


def _filled(proto, shape, value, dtype):
    """A dual array like ``proto`` (float64, or complex128 for a complex ``proto`` or
    ``dtype=complex``); another ``dtype`` gives a plain array."""
    shape = proto.shape if shape is None else ((shape,) if np.ndim(shape) == 0 else tuple(shape))
    if _plain_dtype(dtype):
        return np.full(shape, value, dtype=dtype)
    dtype = proto.dtype if dtype is None else np.dtype(dtype)
    base = proto.zeros_like_parts(np.zeros(shape, dtype) if shape else dtype.type(0).item())
    if isinstance(value, DualBase) or value != 0.0:
        if shape:
            base[...] = value
        else:
            base = proto.lift(value) if isinstance(value, DualBase) else base + value
    return base


@implements(np.zeros_like, np.empty_like)
def _zeros_like(a, dtype=None, order="K", subok=True, shape=None, **kwargs):
    return _filled(a, shape, 0.0, dtype)


@implements(np.ones_like)
def _ones_like(a, dtype=None, order="K", subok=True, shape=None, **kwargs):
    return _filled(a, shape, 1.0, dtype)


@implements(np.full_like)
def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kwargs):
    return _filled(a, shape, fill_value, dtype)


def _like_target(fn, *args):
    """The function numpy hands ``__array_function__`` for ``fn(..., like=x)``."""

    class Probe:
        def __array_function__(self, func, types, args, kwargs):
            return func

    return fn(*args, like=Probe())


def _creation(fill):
    def create(shape, *args, like=None, **kwargs):
        dtype = kwargs.get("dtype", args[0] if args else None)
        return _filled(like, shape, fill, dtype)

    return create


def _full(shape, fill_value, dtype=None, order="C", *, like=None, **kwargs):
    return _filled(like, shape, fill_value, dtype)


LIKE_FUNCTIONS = {
    _like_target(np.zeros, 1): _creation(0.0),
    _like_target(np.empty, 1): _creation(0.0),
    _like_target(np.ones, 1): _creation(1.0),
    _like_target(np.full, 1, 0.0): _full,
}
"""Creation functions numpy dispatches on ``like=x``; numpy drops ``like`` from the call, so
:class:`dualdiff._protocols.ArrayNumber` passes the prototype back in."""
for _f, _fn in LIKE_FUNCTIONS.items():
    implements(_f)(_fn)


# ---------------------------------------------------------------- reductions


FULL_SUM_HOOK: ContextVar = ContextVar("dualdiff_full_sum_hook", default=None)
"""Set by :mod:`dualdiff._sparse` while it evaluates a partially separable ``f``: called with
the argument of every *full* sum (all axes of an array, no ``keepdims``), it returns the
result to use instead, or None. The sparsity tracer (:mod:`dualdiff._tracer`) counts full
sums by the same definition, so both sides agree on which sum is ``f``'s last."""


@implements(np.sum)
def dual_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    a = _masked(a, where, 0.0)
    axes = norm_axis(axis, a.ndim)
    hook = FULL_SUM_HOOK.get()
    if hook is not None and a.ndim and len(axes) == a.ndim and not keepdims:
        res = hook(a)
        if res is not None:
            return res if initial is None else res + initial
    res = a._map(lambda p, nt: np.sum(p, axis=axes, keepdims=keepdims))
    return _finish(res if initial is None else res + initial)


@implements(np.mean)
def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    axes = norm_axis(axis, a.ndim)
    if where is not None and where is not True:
        count = np.sum(np.broadcast_to(where, a.shape), axis=axes, keepdims=keepdims)
        return dual_sum(a, axis=axes, keepdims=keepdims, where=where) / count.astype(float)
    count = int(np.prod([a.shape[i] for i in axes]))
    return dual_sum(a, axis=axes, keepdims=keepdims) / float(count)


def _masked(a, where, fill):
    """``a`` where ``where`` holds, the constant ``fill`` elsewhere (numpy's ``where=`` of a
    reduction: the masked elements take the operation's identity)."""
    if where is None or where is True:
        return a
    return _where(np.broadcast_to(where, a.shape), a, fill)


@implements(np.cumsum)
def dual_cumsum(a, axis=None, dtype=None, out=None):
    _no_out("cumsum", out, None)
    if axis is None:
        a, axis = _ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    return a._map(lambda p, nt: _cumsum(p, ax))


ROW_LOOP = 256
"""From this many elements after the summed axis, :func:`_cumsum` adds whole rows in a loop."""


def _cumsum(p, axis: int):
    """``np.cumsum(p, axis=axis)``, the same sums in the same order. numpy accumulates along a
    strided axis one element at a time, so a derivative part with many directions (a trailing
    axis of ``k``) sums slowly: a loop adding whole rows is several times faster from a few
    hundred elements per row (one process: a (1000, 1001) part in 1.5 ms against 10 ms; W5's
    Jacobian passes spent most of their time here)."""
    shape = np.shape(p)
    if len(shape) < 2 or shape[axis] < 2 or math.prod(shape[axis + 1 :]) < ROW_LOOP:
        return np.cumsum(p, axis=axis)
    out = np.empty(shape)
    src, dst = np.moveaxis(p, axis, 0), np.moveaxis(out, axis, 0)
    dst[0] = src[0]
    for i in range(1, shape[axis]):
        np.add(dst[i - 1], src[i], out=dst[i])
    return out


@implements(np.diff)
def _diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    if prepend is not np._NoValue or append is not np._NoValue:
        pieces = [v for v in (prepend, a, append) if v is not np._NoValue]
        (ax,) = norm_axis(axis, a.ndim)
        pieces = [np.broadcast_to(v, a.shape[:ax] + (1,) + a.shape[ax + 1 :])
                  if np.ndim(v) == 0 else v for v in pieces]  # fmt: skip
        a = _concatenate(pieces, axis=ax)
    (ax,) = norm_axis(axis, a.ndim)
    return a._map(lambda p, nt: np.diff(p, n=n, axis=ax))


def _move_to_front(a, axis):
    """Reduced axes moved to the front and merged into one: shape (m,) + kept shape."""
    axes = norm_axis(axis, a.ndim)
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    moved = _transpose(a, axes + kept)
    kept_shape = tuple(a.shape[i] for i in kept)
    return dual_reshape(moved, (-1,) + kept_shape), axes


def _keep(res, a, axes, keepdims):
    if keepdims:
        return dual_reshape(res, tuple(1 if i in axes else n for i, n in enumerate(a.shape)))
    return res


@implements(np.prod)
def dual_prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product by pairwise halving, so each step is one product rule of the algebra."""
    a = _masked(a, where, 1.0)
    m, axes = _move_to_front(a, axis)
    while m.shape[0] > 1:
        half = m.shape[0] // 2
        head = m[:half] * m[half : 2 * half]
        m = _concatenate([head, m[2 * half :]], axis=0) if m.shape[0] % 2 else head
    res = m[0] if m.shape[0] == 1 else a.zeros_like_parts(np.ones(m.shape[1:]))
    if initial is not None:
        res = res * initial
    return _finish(_keep(res, a, axes, keepdims))


@implements(np.cumprod)
def dual_cumprod(a, axis=None, dtype=None, out=None):
    _no_out("cumprod", out, None)
    if axis is None:
        a, axis = _ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    m = _moveaxis(a, ax, 0)
    acc = [m[0]]
    for i in range(1, m.shape[0]):
        acc.append(acc[-1] * m[i])
    return _moveaxis(_stack(acc, axis=0), 0, ax) if acc else a


def _select(a, axis, keepdims, argfn, name):
    if a.size == 0:
        raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
    m, axes = _move_to_front(a, axis)
    idx = argfn(m.value, axis=0)
    res = m._map(lambda p, nt: np.take_along_axis(
        p, np.reshape(idx, (1,) + np.shape(idx) + (1,) * nt), axis=0)[0])  # fmt: skip
    return _finish(_keep(res, a, axes, keepdims))


@implements(np.max, np.amax)
def dual_max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Maximum, selected by the real part (the first maximal element carries the derivative)."""
    a = _masked(a, where, _needs_initial("max", where, initial, -np.inf))
    res = _select(a, axis, keepdims, _nanfirst(np.argmax), "maximum")
    return res if initial is None else np.maximum(res, initial)


@implements(np.min, np.amin)
def dual_min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    a = _masked(a, where, _needs_initial("min", where, initial, np.inf))
    res = _select(a, axis, keepdims, _nanfirst(np.argmin), "minimum")
    return res if initial is None else np.minimum(res, initial)


def _needs_initial(name, where, initial, fill):
    if where is not None and where is not True and initial is None:
        raise ValueError(
            f"reduction operation '{name}imum' does not have an identity, so to use a where "
            "mask one has to specify 'initial'"
        )
    return fill


def _nanfirst(argfn):
    """argmax/argmin that, like np.max, pick a nan where there is one."""

    def pick(r, axis):
        i = argfn(r, axis=axis)
        nan = np.isnan(r)
        return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), i) if nan.any() else i

    return pick


@implements(np.argmax)
def _argmax(a, axis=None, out=None, *, keepdims=False):
    return np.argmax(a.value, axis=axis, keepdims=keepdims)


@implements(np.argmin)
def _argmin(a, axis=None, out=None, *, keepdims=False):
    return np.argmin(a.value, axis=axis, keepdims=keepdims)


@implements(np.argsort)
def _argsort(a, axis=-1, kind=None, order=None, **kwargs):
    return np.argsort(a.value, axis=axis, kind=kind)


@implements(np.sort)
def _sort(a, axis=-1, kind=None, order=None, **kwargs):
    """Sort by the real part; every component is permuted alike."""
    if axis is None:
        a, axis = _ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    idx = np.argsort(a.value, axis=ax, kind=kind)
    return a._map(lambda p, nt: np.take_along_axis(p, idx.reshape(idx.shape + (1,) * nt), ax))


def _variance(a, axis, ddof, keepdims, where):
    """``(var, dev, axes)``: ``var = Σ dev² / (n - ddof)`` with ``dev = a - mean(a)``.

    For ``ddof >= n`` the count is ``0``, as numpy takes it (``max(n - ddof, 0)``): the value is
    ``inf``, or ``nan`` where ``Σ dev² = 0``, and the derivative follows the same formula
    (IEEE division by zero, no exception and no warning).
    """
    axes = norm_axis(axis, a.ndim)
    if where is not None and where is not True:  # numpy's where=: only the masked-in elements
        mask = np.broadcast_to(where, a.shape)
        n = np.sum(mask, axis=axes, keepdims=keepdims)
        dev = _where(mask, a - _mean(a, axis=axes, keepdims=True, where=mask), 0.0)
        count = np.maximum(n - ddof, 0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return dual_sum(dev * dev, axis=axes, keepdims=keepdims) / count, dev, axes
    n = int(np.prod([a.shape[i] for i in axes]))
    dev = a - _mean(a, axis=axes, keepdims=True)
    count = float(max(n - ddof, 0))
    return dual_sum(_abs2(dev), axis=axes, keepdims=keepdims) / count, dev, axes


def _abs2(y):
    """``|y|²``: ``y·y`` on real data, ``(Re y)² + (Im y)²`` on complex data (real)."""
    if not _alg.is_complex(y.value):
        return y * y
    re, im = y.real, y.imag
    return re * re + im * im


@implements(np.var)
def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """Variance ``Σ (a - mean a)² / max(n - ddof, 0)``; ``ddof >= n`` gives ``inf``/``nan``."""
    return _variance(a, axis, ddof, keepdims, kwargs.get("where"))[0]


@implements(np.std)
def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """``sqrt(var)``, with one convention where the variance is identically zero.

    Where every deviation ``a - mean(a)`` along the reduced axes is zero *together with its
    derivative parts along a direction* (one element, a length-1 axis, or elements that move
    together), the variance is ``0`` along that direction as a function of ``x``, so
    ``std = sqrt(0)`` is constant there and its derivative is ``0`` (the chain rule alone gives
    ``sqrt'(0)·0 = inf·0 = nan``). A second derivative ``eps12[i, j]`` is ``0`` when the
    deviations stay zero along direction ``i`` or along ``j``. Where the deviations are zero
    but their derivative parts are not (``std([x0, x1])`` at ``x0 == x1``: ``|x0 - x1|/2``),
    std has a kink and the derivative is ``nan``, set here: NaN-safe zeros alone would give
    ``sqrt'(0)·0 = 0`` there, the variance's derivative being a computed zero
    (:mod:`dualdiff._algebra`).
    """
    var, dev, axes = _variance(a, axis, ddof, keepdims, kwargs.get("where"))
    res = np.sqrt(var)
    flat = (var.value == 0.0) & np.all(dev.value == 0.0, axis=axes, keepdims=keepdims)
    if not np.any(flat):
        return res
    nd = np.ndim(flat)
    still = [
        np.all(p == 0.0, axis=axes, keepdims=keepdims) if nd or np.ndim(p) else p == 0.0
        for p in dev._parts()[1:]
    ]  # per direction: the deviations' derivative parts are zero along the axes
    parts = list(res._parts())
    labels = res._labels()
    if len(parts) == 4:  # eps12: zero where constant along direction i or along j
        d1, d2 = labels[1], labels[2]
        still[2] = _alg.expand(still[0], d2) | (
            still[1][..., None, :] if d1 and d2 else _alg.expand(still[1], d1)
        )
    for i in range(1, len(parts)):
        at = _alg.expand(flat, labels[i])
        p = np.where(at & still[i - 1], 0.0, np.where(at, np.nan, parts[i]))
        parts[i] = p if np.ndim(p) else scalar_component(p)
    if res._shares_eps():
        parts[2] = parts[1]
    return res._from(parts)


@implements(np.round, np.around)
def _round(a, decimals=0, out=None):
    return _finish(a.zeros_like_parts(np.round(a.value, decimals)))


@implements(np.isclose)
def _isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return np.isclose(_real(a), _real(b), rtol=rtol, atol=atol, equal_nan=equal_nan)


@implements(np.allclose)
def _allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return np.allclose(_real(a), _real(b), rtol=rtol, atol=atol, equal_nan=equal_nan)


def _no_out(name, out, where):
    if out is not None or (where is not None and where is not True):
        raise UnsupportedFunctionError(
            f"np.{name}(..., out=/where=) is not supported on dual numbers; drop the argument"
        )


# ---------------------------------------------------------------- contractions

_LETTERS = string.ascii_lowercase[:24]


def _dir_letters(*specs: str) -> dict:
    """einsum letters for the direction labels ``y`` and ``z``, unused by ``specs`` (which,
    for a component of a nested number, already hold an outer number's direction letters)."""
    used = set("".join(specs))
    free = [c for c in "YZWVUTSRQPONMLKJIHGFEDCBA" if c not in used]
    return {"y": free[0], "z": free[1]}


def _contraction(spec_x: str, spec_y: str, spec_out: str):
    """The product operator ``P(u, du, v, dv, z)`` of :mod:`dualdiff._algebra` for an einsum
    (plain: ``z`` is ignored; :func:`dualdiff._algebra.safe` makes it NaN-safe)."""
    letters = _dir_letters(spec_x, spec_y, spec_out)

    def P(u, du, v, dv, z=0):
        lu = "".join(letters[c] for c in du)
        lv = "".join(letters[c] for c in dv)
        lo = "".join(letters[c] for c in sorted(du + dv))  # y before z
        return np.einsum(f"{spec_x}{lu},{spec_y}{lv}->{spec_out}{lo}", u, v, optimize=True)

    return P


def contract(spec_x: str, spec_y: str, spec_out: str, x, y):
    """``einsum(spec_x, spec_y -> spec_out)`` of two operands, at least one a dual number."""
    P = _contraction(spec_x, spec_y, spec_out)
    xd, yd = operand_roles(x, y)  # a number of lower tag is a constant of the other
    if xd and yd:
        return x._from(engine.contract(x._parts(), y._parts(), x._labels(), P))
    if xd:  # a constant operand, complex or real, as the ufuncs lift it
        c = _const(y)
        return _finish(x._from(engine.contract_constant(x._parts(), x._labels(), c, P, False)))
    c = _const(x)
    return _finish(y._from(engine.contract_constant(y._parts(), y._labels(), c, P, True)))


def _const(c):
    """A constant factor of a contraction, lifted as the ufuncs lift it (a float, complex or
    array), or a number of lower tag (nesting) as it is."""
    return c if isinstance(c, DualBase) else as_float_component(c, "operand")


def _matmul_spec(nx: int, ny: int):
    if nx == 0 or ny == 0:
        raise ValueError("matmul: input operand does not have enough dimensions")
    sx = "...ij" if nx >= 2 else "j"
    sy = "...jk" if ny >= 2 else "j"
    so = ("...i" if nx >= 2 else "...") + ("k" if ny >= 2 else "")
    if nx == 1 and ny == 1:
        so = ""
    if nx == 1 and ny >= 2:
        so = "...k"
    return sx, sy, so


def ufunc_contraction(ufunc, x, y):
    nx, ny = np.ndim(_real(x)), np.ndim(_real(y))
    name = ufunc.__name__
    if name == "matmul":
        return contract(*_matmul_spec(nx, ny), x, y)
    if name == "vecdot":
        return contract("...j", "...j", "...", x, y)
    if name == "matvec":
        return contract("...ij", "...j", "...i", x, y)
    return contract("...j", "...jk", "...k", x, y)  # vecmat


@implements(np.matmul)
def _matmul(x1, x2, /, out=None, **kwargs):
    if out is not None:
        raise UnsupportedFunctionError("np.matmul(..., out=...) is not supported on duals")
    return ufunc_contraction(np.matmul, x1, x2)


@implements(np.dot)
def _dot(a, b, out=None):
    na, nb = np.ndim(_real(a)), np.ndim(_real(b))
    if na == 0 or nb == 0:
        return np.multiply(a, b)
    sa = _LETTERS[:na]
    sb = _LETTERS[na : na + nb]
    if nb >= 2:
        sb = sb[:-2] + sa[-1] + sb[-1]
    else:
        sb = sa[-1]
    so = sa[:-1] + (sb[:-2] + sb[-1:] if nb >= 2 else "")
    return contract(sa, sb, so, a, b)


@implements(np.vdot)
def _vdot(a, b):
    """``Σ conj(a)·b`` over the flattened arrays (numpy conjugates the first argument)."""
    return _dot(np.ravel(np.conj(a)), np.ravel(b))


@implements(np.inner)
def _inner(a, b):
    na, nb = np.ndim(_real(a)), np.ndim(_real(b))
    if na == 0 or nb == 0:
        return np.multiply(a, b)
    sa = _LETTERS[:na]
    sb = _LETTERS[na : na + nb - 1] + sa[-1]
    return contract(sa, sb, sa[:-1] + sb[:-1], a, b)


@implements(np.outer)
def _outer(a, b, out=None):
    return contract("i", "j", "ij", np.ravel(a), np.ravel(b))


@implements(np.tensordot)
def _tensordot(a, b, axes=2):
    na, nb = np.ndim(_real(a)), np.ndim(_real(b))
    if isinstance(axes, int):
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = (list(np.atleast_1d(v)) for v in axes)
    ax_a = [i % na for i in ax_a]
    ax_b = [i % nb for i in ax_b]
    sa = list(_LETTERS[:na])
    sb = list(_LETTERS[na : na + nb])
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    so = [c for i, c in enumerate(sa) if i not in ax_a] + [
        c for j, c in enumerate(sb) if j not in ax_b
    ]
    return contract("".join(sa), "".join(sb), "".join(so), a, b)


@implements(np.einsum)
def _einsum(subscripts, *operands, out=None, optimize=False, **kwargs):
    """einsum of any number of operands, contracted pairwise left to right."""
    if out is not None:
        raise UnsupportedFunctionError("np.einsum(..., out=...) is not supported on duals")
    if not isinstance(subscripts, str):
        raise UnsupportedFunctionError("np.einsum on dual numbers needs string subscripts")
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out_spec = subscripts.split("->")
    else:
        ins = subscripts
        letters = ins.replace(",", "").replace("...", "")
        out_spec = ("..." if "..." in ins else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    specs = ins.split(",")
    if len(specs) != len(operands):
        raise ValueError("einsum: number of subscripts does not match the number of operands")
    if len(operands) == 1:
        (a,) = operands
        d = "".join(_dir_letters(specs[0], out_spec).values())
        return _finish(a._map(lambda p, nt: np.einsum(
            f"{specs[0]}{d[:nt]}->{out_spec}{d[:nt]}", p)))  # fmt: skip
    acc, acc_spec = operands[0], specs[0]
    for k in range(1, len(operands)):
        rest = "".join(specs[k + 1 :]) + out_spec
        both = acc_spec + specs[k]
        keep = "".join(dict.fromkeys(c for c in both.replace("...", "") if c in rest))
        inter = ("..." if "..." in both else "") + keep
        if k == len(operands) - 1:
            inter = out_spec
        if isinstance(acc, DualBase) or isinstance(operands[k], DualBase):
            acc = contract(acc_spec, specs[k], inter, acc, operands[k])
        else:
            acc = np.einsum(f"{acc_spec},{specs[k]}->{inter}", acc, operands[k])
        acc_spec = inter
    return acc


# ---------------------------------------------------------------- ufunc methods

_UFUNC_METHODS = {
    ("reduce", np.add): dual_sum,
    ("reduce", np.multiply): dual_prod,
    ("reduce", np.maximum): dual_max,
    ("reduce", np.minimum): dual_min,
    ("accumulate", np.add): dual_cumsum,
    ("accumulate", np.multiply): dual_cumprod,
}


def ufunc_method(ufunc, method, inputs, kwargs):
    """``ufunc.reduce`` / ``accumulate`` / ``outer`` on dual numbers, where they have a meaning.

    ``out`` has been taken away by :mod:`dualdiff._protocols`, which honours it.
    """
    if method == "outer" and len(inputs) == 2 and not kwargs:
        x, y = inputs
        nx = np.ndim(x.value if isinstance(x, DualBase) else x)
        ny = np.ndim(y.value if isinstance(y, DualBase) else y)
        return ufunc(np.reshape(x, np.shape(_real(x)) + (1,) * ny), y) if nx else ufunc(x, y)
    if method == "at" and inputs and not isinstance(inputs[0], DualBase):
        raise _write_refused(f"np.{ufunc.__name__}.at")
    fn = _UFUNC_METHODS.get((method, ufunc))
    if fn is None or len(inputs) != 1:
        raise UnsupportedFunctionError(
            f"np.{ufunc.__name__}.{method} is not supported on dual numbers"
        )
    axis = kwargs.pop("axis", 0)
    return fn(inputs[0], axis=axis, **kwargs)
