"""Sparsity patterns by tracing: a number type that carries dependency sets, not derivatives.

A :class:`Tracer` holds the value of an intermediate (computed normally, so ``if x[0] > 0``
and other branches on values work) and ``deps``, a boolean ``scipy.sparse`` CSR matrix of
shape ``(value.size, n)``: row ``i`` is the set of inputs element ``i`` depends on. Evaluating
``f`` once on a tracer seeded with the identity gives the Jacobian pattern of ``f`` in the
output's ``deps``. No derivative is evaluated and no step is taken.

Propagation, each operation once and vectorised over the whole array:

- elementwise unary: the same rows; elementwise binary: the union of the broadcast rows;
- structural functions (reshape, transpose, indexing, take, flip, roll, concatenate, stack,
  diag, tril, pad, ...): the function applied to an array of row numbers selects the rows
  (row 0 is an empty row, so that the zeros a function fills in depend on nothing);
- reductions (sum, mean, max, ...): ``A @ deps`` with ``A`` the 0/1 matrix saying which input
  elements meet in which output element; cumsum: ``A`` lower triangular (prefix unions);
- contractions with a constant ``C`` (matmul, dot): ``A`` is the pattern of ``|C|``.

Functions that select by value (max, min, sort, where, maximum, clip) take the union of every
candidate, so that a pattern found at one ``x`` stays valid at another: the only patterns
local to ``x`` are those of Python branches in ``f`` itself.

Hessian patterns (``hessian=True``) follow SparseConnectivityTracer.jl's *global* Hessian
tracer: one accumulator of index pairs for the whole evaluation. A nonlinear unary function
(``f'' ≢ 0``) of ``u`` adds ``deps(u) × deps(u)``, a product ``u·v`` adds
``deps(u) × deps(v)`` and its transpose, a quotient ``u/v`` the pairs of ``v`` with ``u`` and
``v``; additions and piecewise-linear functions (abs, maximum, ...) add nothing. The pairs of
all elements at once are one sparse product ``Dᵤᵀ Dᵥ``. The result is a superset of the true
pattern (which is what colouring needs: entries outside it are exactly zero). A per-element
(local) Hessian pattern would need an ``n × n`` set per element; the global one costs one
product per nonlinear operation and is exact for the partially separable functions this is
meant for.

Index sets (CSR rows) rather than bitsets: a bitset row costs ``n/8`` bytes whatever the
number of dependencies, so an intermediate of ``10⁵`` elements with ``n = 10⁵`` would take
1.25 GB as bitsets against ~1 MB as CSR for a banded pattern; the CSR operations above are
each one call into scipy's compiled sparse routines.

Partially separable functions: a *full* sum reduction (every axis, no ``keepdims``) is counted
and recorded with its argument's rows; a value derived from the result of such a sum by
elementwise operations with constants carries that sum's ordinal (``root``), which tells the
sparse drivers (:mod:`dualdiff.sparse`) that ``f(x) = h(Σ_i g_i(x))``.

Anything not listed raises :class:`~dualdiff.UnsupportedFunctionError` naming the function.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.lib.mixins import NDArrayOperatorsMixin

from . import _ufuncs
from ._base import norm_axis
from ._errors import DerivativeLossError, UnsupportedFunctionError
from ._rules import BINARY_RULES, UNARY_RULES

__all__ = ["Trace", "Tracer", "trace"]


class Trace:
    """One tracing evaluation: ``n`` inputs, the Hessian pair accumulator, the full sums."""

    def __init__(self, n: int, hessian: bool):
        self.n = n
        self.hessian = hessian
        self.pairs: list = []
        self.full_sums: list = []  # (argument shape, argument deps) of each full sum

    def add_pairs(self, du, dv=None):
        """Record ``deps(u)_i × deps(v)_i`` for every element ``i`` (both orders)."""
        if not self.hessian or du is None or du.nnz == 0:
            return
        if dv is None:
            self.pairs.append(du.T @ du)
            return
        if dv.nnz == 0:
            return
        p = du.T @ dv
        self.pairs.append(p)
        self.pairs.append(p.T)

    def hessian_pattern(self):
        """The accumulated pairs as a symmetric boolean CSR ``(n, n)`` with sorted indices."""
        out = sp.csr_array((self.n, self.n), dtype=bool)
        for p in self.pairs:
            out = out + sp.csr_array(p, dtype=bool)
        out = sp.csr_array(out, dtype=bool)
        out.sum_duplicates()
        out.sort_indices()
        return out


def _empty(rows: int, n: int):
    return sp.csr_array((rows, n), dtype=bool)


def _vstack(blocks):
    return sp.csr_array(sp.vstack(blocks, format="csr"), dtype=bool)


class Tracer(NDArrayOperatorsMixin):
    """An intermediate of ``f`` on a pattern trace: its value and its dependency rows."""

    __slots__ = ("value", "deps", "trace", "root")
    __array_priority__ = 200.0

    def __init__(self, value, deps, trace: Trace, root=None):
        self.value = np.asarray(value, dtype=np.float64)
        self.deps = deps
        self.trace = trace
        self.root = root

    # -- shape protocol
    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    dtype = property(lambda self: np.dtype(np.float64))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tracer")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d tracer")
        for i in range(self.shape[0]):
            yield self[i]

    def __repr__(self):
        return f"Tracer(shape={self.shape}, nnz={self.deps.nnz})"

    # -- conversions that would lose the pattern
    def __float__(self):
        raise DerivativeLossError(_loss("float"))

    def __int__(self):
        raise DerivativeLossError(_loss("int"))

    def __index__(self):
        raise DerivativeLossError(_loss("an index"))

    def __array__(self, dtype=None, copy=None):
        raise DerivativeLossError(_loss("a numpy array"))

    def __bool__(self):
        if self.shape:
            raise ValueError("the truth value of an array tracer is ambiguous")
        return bool(self.value)

    def item(self):
        raise DerivativeLossError(_loss("a Python scalar with .item()"))

    # -- indexing
    def __getitem__(self, idx):
        if isinstance(idx, Tracer) or (
            isinstance(idx, tuple) and any(isinstance(i, Tracer) for i in idx)
        ):
            raise TypeError("a tracer cannot be used as an index; index with integers")
        return _structural(lambda a: a[idx], [self])

    def __setitem__(self, idx, value):
        v = lift(value, self.trace)
        rows = _row_numbers(self.shape, 1)
        offset = 1 + self.size
        vrows = _row_numbers(v.shape, offset)
        rows[idx] = vrows
        self.value = self.value.copy()
        self.value[idx] = v.value
        table = _vstack([_empty(1, self.trace.n), self.deps, v.deps])
        self.deps = table[rows.ravel()]
        self.root = None

    # -- ndarray-style methods
    T = property(lambda self: np.transpose(self))

    def reshape(self, *shape, order="C"):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def ravel(self):
        return np.ravel(self)

    def flatten(self):
        return np.ravel(self)

    def copy(self):
        return Tracer(self.value.copy(), self.deps, self.trace, self.root)

    def sum(self, axis=None, keepdims=False):
        return np.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return np.prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def dot(self, other):
        return np.dot(self, other)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis=axis)

    def clip(self, a_min=None, a_max=None):
        return np.clip(self, a_min, a_max)

    # -- numpy protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None:
            raise UnsupportedFunctionError(
                f"np.{ufunc.__name__}(..., out=...) is not supported by the sparsity tracer"
            )
        kwargs.pop("out", None)
        if method == "__call__" and not kwargs:
            return _call_ufunc(ufunc, inputs)
        if method == "reduce" and ufunc is np.add and len(inputs) == 1:
            return _sum(inputs[0], kwargs.get("axis", 0), kwargs.get("keepdims", False))
        if method == "accumulate" and ufunc is np.add and len(inputs) == 1:
            return _cumsum(inputs[0], kwargs.get("axis", 0))
        raise UnsupportedFunctionError(
            f"np.{ufunc.__name__}.{method}"
            + (f" with {sorted(kwargs)}" if kwargs else "")
            + " is not supported by the sparsity tracer (dd.sparsity and sparse=True drivers)"
        )

    def __array_function__(self, func, types, args, kwargs):
        fn = TRACER_FUNCTIONS.get(func)
        if fn is None:
            name = getattr(func, "__module__", "numpy").replace("numpy", "np", 1)
            raise UnsupportedFunctionError(
                f"{name}.{func.__name__} is not supported by the sparsity tracer "
                "(dd.sparsity and the sparse=True drivers); use the dense drivers, or pass "
                "the pattern yourself with dd.sparse_plan(..., pattern=...)"
            )
        return fn(*args, **kwargs)


def _loss(what: str) -> str:
    return (
        f"f converted its input to {what} while its sparsity pattern was traced, so the "
        "dependencies cannot be followed. Keep the computation in numpy functions on the input."
    )


def lift(v, trace: Trace) -> Tracer:
    """``v`` as a tracer (a constant has empty rows)."""
    if isinstance(v, Tracer):
        return v
    value = np.asarray(v, dtype=np.float64)
    return Tracer(value, _empty(value.size, trace.n), trace)


def _trace_of(inputs) -> Trace:
    for x in inputs:
        if isinstance(x, Tracer):
            return x.trace
        if isinstance(x, (list, tuple)):
            for y in x:
                if isinstance(y, Tracer):
                    return y.trace
    raise TypeError("no tracer among the arguments")  # pragma: no cover - dispatch guarantees


def _value(v):
    return v.value if isinstance(v, Tracer) else v


def _row_numbers(shape, start: int = 0):
    size = int(np.prod(shape)) if shape else 1
    return np.arange(start, start + size).reshape(shape)


def _rows(t: Tracer, shape):
    """``t``'s rows broadcast to ``shape`` (one row per element, C order)."""
    if t.shape == tuple(shape):
        return t.deps
    idx = np.broadcast_to(_row_numbers(t.shape), shape).ravel()
    return t.deps[idx]


def _union(a, b):
    if a.nnz == 0:
        return b
    if b.nnz == 0:
        return a
    return sp.csr_array(a + b, dtype=bool)


# ---------------------------------------------------------------- elementwise

_PIECEWISE_LINEAR = frozenset(
    {np.absolute, np.fabs, np.deg2rad, np.rad2deg, np.radians, np.degrees,
     np.maximum, np.minimum, np.fmax, np.fmin, np.copysign}
)  # fmt: skip
"""Rules whose second derivative is zero wherever it exists: no Hessian pairs."""


def _call_ufunc(ufunc, inputs):
    if ufunc in _ufuncs.PREDICATE_UFUNCS:
        return ufunc(*(_value(x) for x in inputs))
    if ufunc in _ufuncs.LOCALLY_CONSTANT_UFUNCS:
        return ufunc(*(_value(x) for x in inputs))  # a constant: no dependency
    if ufunc in _ufuncs.CONTRACTION_UFUNCS:
        if ufunc is not np.matmul:
            raise UnsupportedFunctionError(
                f"np.{ufunc.__name__} is not supported by the sparsity tracer; use np.matmul"
            )
        return _matmul(*inputs)
    trace = _trace_of(inputs)
    if ufunc.nin == 1:
        (x,) = inputs
        if ufunc in (np.negative, np.positive, np.conjugate):
            return Tracer(ufunc(x.value), x.deps, trace, x.root)
        if _ufuncs._rule(UNARY_RULES, ufunc) is None:
            raise _unsupported_ufunc(ufunc)
        with np.errstate(all="ignore"):
            value = ufunc(x.value)
        if ufunc not in _PIECEWISE_LINEAR:
            trace.add_pairs(x.deps)
        return Tracer(value, x.deps, trace, x.root)
    if ufunc.nin != 2:
        raise _unsupported_ufunc(ufunc)
    x, y = inputs
    linear = ufunc in (np.add, np.subtract) or ufunc in _PIECEWISE_LINEAR
    if not linear and ufunc not in (np.multiply, np.divide, np.true_divide):
        if _ufuncs._rule(BINARY_RULES, ufunc) is None:
            raise _unsupported_ufunc(ufunc)
    with np.errstate(all="ignore"):
        value = ufunc(_value(x), _value(y))
    shape = np.shape(value)
    xt, yt = isinstance(x, Tracer), isinstance(y, Tracer)
    dx = _rows(x, shape) if xt else None
    dy = _rows(y, shape) if yt else None
    deps = dx if dy is None else (dy if dx is None else _union(dx, dy))
    if trace.hessian and not linear:
        _binary_pairs(trace, ufunc, x, y, dx, dy, deps)
    rx, ry = (x.root if xt else False), (y.root if yt else False)
    root = rx if ry is False else (ry if rx is False else (rx if rx == ry else None))
    return Tracer(value, deps, trace, root)


def _binary_pairs(trace, ufunc, x, y, dx, dy, deps):
    if ufunc is np.multiply:
        if dx is not None and dy is not None:
            trace.add_pairs(dx, dy)
        return  # a constant factor is linear
    if ufunc in (np.divide, np.true_divide):
        if dy is not None:
            trace.add_pairs(dy)
            if dx is not None:
                trace.add_pairs(dx, dy)
        return
    if ufunc in (np.power, np.float_power) and dy is None:
        c = np.asarray(y, dtype=float)
        if np.all((c == 0.0) | (c == 1.0)):
            return  # x**0 and x**1 are constant or linear
    trace.add_pairs(deps)


def _unsupported_ufunc(ufunc):
    reason = _ufuncs.UNSUPPORTED_UFUNCS.get(ufunc, "it has no derivative rule in dualdiff")
    return UnsupportedFunctionError(
        f"np.{ufunc.__name__} is not supported by the sparsity tracer: {reason}"
    )


# ---------------------------------------------------------------- structural


def _structural(fn, operands):
    """``fn`` applied to the values and to row numbers; the row numbers select the rows.

    ``operands`` may mix tracers and constants; ``fn`` takes as many arrays. Row 0 is the
    empty row (constants, and the zeros ``fn`` may fill in).
    """
    trace = _trace_of(operands)
    blocks = [_empty(1, trace.n)]
    rows = []
    start = 1
    for o in operands:
        if isinstance(o, Tracer):
            rows.append(_row_numbers(o.shape, start))
            blocks.append(o.deps)
            start += o.size
        else:
            rows.append(np.zeros(np.shape(o), dtype=np.intp))
    value = fn(*(_value(o) for o in operands))
    idx = np.asarray(fn(*rows))
    table = blocks[1] if len(blocks) == 2 else _vstack(blocks)
    flat = idx.ravel()
    if len(blocks) == 2:  # one tracer: shift back and map the empty row
        flat = flat - 1
        if flat.size and flat.min() < 0:
            table = _vstack(blocks)
            flat = flat + 1
    deps = table[flat] if flat.size else _empty(0, trace.n)
    tracers = [o for o in operands if isinstance(o, Tracer)]
    root = tracers[0].root if len(tracers) == 1 else None
    return Tracer(np.asarray(value, dtype=np.float64), deps, trace, root)


TRACER_FUNCTIONS: dict = {}


def implements(*funcs):
    def register(fn):
        for f in funcs:
            TRACER_FUNCTIONS[f] = fn
        return fn

    return register


def _one(numpy_fn):
    """A structural numpy function of one array: applied to values and row numbers alike.

    Only functions that place elements of their input or zeros qualify: a function that
    inserts other constants (``np.pad`` with ``constant_values``, ``np.insert``) would
    insert them among the row numbers, and is left out."""

    def handler(a, *args, **kwargs):
        return _structural(lambda v: numpy_fn(v, *args, **kwargs), [a])

    return handler


for _f in (
    np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.expand_dims, np.squeeze,
    np.broadcast_to, np.take, np.flip, np.fliplr, np.flipud, np.roll, np.repeat, np.diagonal,
    np.diag, np.tril, np.triu, np.copy, np.atleast_1d, np.atleast_2d, np.atleast_3d,
    np.take_along_axis, np.rot90, np.tile, np.real, np.delete, np.resize,
):  # fmt: skip
    implements(_f)(_one(_f))


def _many(numpy_fn):
    """A structural numpy function of a sequence of arrays (concatenate, stack, ...)."""

    def handler(arrays, *args, **kwargs):
        arrays = list(arrays)
        return _structural(lambda *vs: numpy_fn(list(vs), *args, **kwargs), arrays)

    return handler


for _f in (np.concatenate, np.stack, np.hstack, np.vstack, np.column_stack, np.dstack):
    implements(_f)(_many(_f))


@implements(np.append)
def _append(arr, values, axis=None):
    return _structural(lambda a, b: np.append(a, b, axis=axis), [arr, values])


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
    return False


def _filled(fill):
    """np.zeros_like(x) and friends: a tracer with empty rows, to fill with ``out[i] = ...``."""

    def create(a, *args, shape=None, dtype=None, **kwargs):
        value = fill(a.value, *args, shape=shape)
        if dtype is not None and np.dtype(dtype) != np.float64:
            return value.astype(dtype)
        return lift(value, a.trace)

    return create


TRACER_FUNCTIONS[np.zeros_like] = _filled(lambda v, shape=None: np.zeros_like(v, shape=shape))
TRACER_FUNCTIONS[np.empty_like] = TRACER_FUNCTIONS[np.zeros_like]
TRACER_FUNCTIONS[np.ones_like] = _filled(lambda v, shape=None: np.ones_like(v, shape=shape))
TRACER_FUNCTIONS[np.full_like] = _filled(
    lambda v, fill_value, shape=None: np.full_like(v, fill_value, shape=shape)
)

# functions of the values only (indices, booleans, rounding): plain results
for _f in (np.argmax, np.argmin, np.argsort, np.isclose, np.allclose, np.sign):
    TRACER_FUNCTIONS[_f] = (lambda fn: lambda *a, **k: fn(*(_value(v) for v in a), **k))(_f)
for _f in (np.round, np.around):
    TRACER_FUNCTIONS[_f] = (lambda fn: lambda a, *r, **k: fn(_value(a), *r, **k))(_f)


# ---------------------------------------------------------------- selection by value


@implements(np.where)
def _where(condition, x=None, y=None):
    if x is None or y is None:
        raise UnsupportedFunctionError(
            "np.where(condition) with one argument returns indices: call it on values"
        )
    cond = _value(condition)
    trace = _trace_of([x, y])
    value = np.where(cond, _value(x), _value(y))
    shape = value.shape
    parts = [_rows(t, shape) for t in (x, y) if isinstance(t, Tracer)]
    deps = parts[0] if len(parts) == 1 else _union(*parts)
    return Tracer(value, deps, trace)  # both candidates: valid wherever the condition moves


@implements(np.clip)
def _clip(a, a_min=None, a_max=None, out=None, **kwargs):
    lo = kwargs.get("min", a_min)
    hi = kwargs.get("max", a_max)
    res = a
    if lo is not None:
        res = np.maximum(res, lo)
    if hi is not None:
        res = np.minimum(res, hi)
    return res


# ---------------------------------------------------------------- reductions


def _aggregate(a: Tracer, axes, keepdims):
    """``(value shape, A)``: A[o, i] = 1 where input element i meets output element o."""
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    out_shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    target = np.broadcast_to(_row_numbers(out_shape), a.shape).ravel()
    m = int(np.prod(out_shape)) if out_shape else 1
    A = sp.csr_array((np.ones(a.size, dtype=bool), (target, np.arange(a.size))), shape=(m, a.size))
    shape = out_shape if keepdims else tuple(a.shape[i] for i in kept)
    return shape, A


def _reduce(a, axis, keepdims, value_fn):
    axes = norm_axis(axis, a.ndim)
    shape, A = _aggregate(a, axes, keepdims)
    deps = sp.csr_array(A @ a.deps, dtype=bool)
    value = np.asarray(value_fn(a.value, axis=axes, keepdims=keepdims))
    return Tracer(value.reshape(shape), deps, a.trace)


def _sum(a, axis=None, keepdims=False, counted=True):
    """Sum; a full reduction (every axis, no keepdims) is recorded as a candidate final sum."""
    axes = norm_axis(axis, a.ndim)
    res = _reduce(a, axes, keepdims, np.sum)
    if counted and a.ndim and len(axes) == a.ndim and not keepdims:
        a.trace.full_sums.append((a.shape, a.deps))
        res.root = len(a.trace.full_sums) - 1
    return res


@implements(np.sum)
def _np_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out("sum", out, where)
    res = _sum(a, axis, keepdims)
    return res if initial is None else res + initial


@implements(np.mean)
def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """As dualdiff's np.mean on dual numbers: one (counted) sum, divided by the count."""
    _no_out("mean", out, where)
    axes = norm_axis(axis, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes]))
    return _sum(a, axes, keepdims) / float(count)


@implements(np.var)
def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """As dualdiff's np.var: the same sums, so the full sums counted match a dual evaluation."""
    _no_out("var", out, kwargs.get("where"))
    axes = norm_axis(axis, a.ndim)
    n = int(np.prod([a.shape[i] for i in axes]))
    dev = a - _mean(a, axis=axes, keepdims=True)
    return _sum(dev * dev, axes, keepdims) / float(max(n - ddof, 0) or 1)


@implements(np.std)
def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    return np.sqrt(_var(a, axis, ddof=ddof, keepdims=keepdims, **kwargs))


@implements(np.linalg.norm)
def _norm(x, ord=None, axis=None, keepdims=False):
    """Any norm: every element of the reduced axes, with nonlinear pairs (not a counted sum)."""
    axes = norm_axis(axis, x.ndim)
    res = _reduce(x, axes, keepdims, lambda v, axis, keepdims: np.linalg.norm(
        v, ord=ord, axis=axis if len(axis) > 1 or ord is not None else axis[0],
        keepdims=keepdims))  # fmt: skip
    x.trace.add_pairs(res.deps)
    return res


@implements(np.prod)
def _prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out("prod", out, where)
    res = _reduce(a, axis, keepdims, np.prod)
    a.trace.add_pairs(res.deps)  # every pair of factors (a superset: squares included)
    return res if initial is None else res * initial


def _extremum(fn, pick):
    def extremum(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        """Every candidate element (valid wherever the maximum moves to)."""
        _no_out(fn.__name__, out, where)
        res = _reduce(a, axis, keepdims, lambda v, axis, keepdims: fn(v, axis, keepdims=keepdims))
        return res if initial is None else pick(res, initial)

    return extremum


implements(np.max, np.amax)(_extremum(np.max, np.maximum))
implements(np.min, np.amin)(_extremum(np.min, np.minimum))


@implements(np.sort)
def _sort(a, axis=-1, kind=None, order=None, **kwargs):
    """Each sorted element may be any element of its axis."""
    if axis is None:
        a, axis = np.ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    full = _reduce(a, (ax,), True, lambda v, axis, keepdims: np.sum(v, axis, keepdims=True))
    res = np.broadcast_to(full, a.shape)
    return Tracer(np.sort(a.value, axis=ax), res.deps, a.trace)


@implements(np.trace)
def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return _sum(np.diagonal(a, offset, axis1, axis2), axis=-1, counted=False)


@implements(np.cumsum)
def _cumsum(a, axis=None, dtype=None, out=None):
    return _accumulate(a, axis, np.cumsum, nonlinear=False)


@implements(np.cumprod)
def _cumprod(a, axis=None, dtype=None, out=None):
    return _accumulate(a, axis, np.cumprod, nonlinear=True)


def _accumulate(a, axis, value_fn, nonlinear):
    """Prefix unions along ``axis``: ``A`` is block lower triangular."""
    if axis is None:
        a, axis = np.ravel(a), 0
    (ax,) = norm_axis(axis, a.ndim)
    moved = np.moveaxis(a, ax, -1)
    m = moved.shape[-1]
    lead = moved.size // m if m else 0
    A = sp.kron(sp.eye_array(lead, format="csr"), sp.csr_array(np.tril(np.ones((m, m), bool))))
    deps = sp.csr_array(sp.csr_array(A, dtype=bool) @ moved.deps, dtype=bool)
    res = Tracer(value_fn(moved.value, axis=-1), deps, a.trace)
    if nonlinear:
        a.trace.add_pairs(deps)
    return np.moveaxis(res, -1, ax)


@implements(np.diff)
def _diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    (ax,) = norm_axis(axis, a.ndim)
    pieces = [v for v in (prepend, a, append) if v is not np._NoValue]
    if len(pieces) > 1:
        shape = a.shape[:ax] + (1,) + a.shape[ax + 1 :]
        pieces = [np.broadcast_to(v, shape) if np.ndim(_value(v)) == 0 else v for v in pieces]
        a = np.concatenate(pieces, axis=ax)
    for _ in range(n):
        hi = np.take(a, np.arange(1, a.shape[ax]), axis=ax)
        lo = np.take(a, np.arange(0, a.shape[ax] - 1), axis=ax)
        a = hi - lo
    return a


def _no_out(name, out, where):
    if out is not None or (where is not None and where is not True):
        raise UnsupportedFunctionError(
            f"np.{name}(..., out=/where=) is not supported by the sparsity tracer"
        )


# ---------------------------------------------------------------- contractions


@implements(np.matmul)
def _np_matmul(x1, x2, /, out=None, **kwargs):
    return _matmul(x1, x2)


@implements(np.dot)
def _dot(a, b, out=None):
    if np.ndim(_value(a)) == 0 or np.ndim(_value(b)) == 0:
        return np.multiply(a, b)
    return _matmul(a, b)


@implements(np.inner)
def _inner(a, b):
    if np.ndim(_value(a)) <= 1 and np.ndim(_value(b)) <= 1:
        return _dot(a, b)
    return _matmul(a, np.swapaxes(b, -1, -2) if np.ndim(_value(b)) == 2 else b)


@implements(np.vdot)
def _vdot(a, b):
    return _matmul(np.ravel(a), np.ravel(b))


@implements(np.outer)
def _outer(a, b, out=None):
    return np.multiply(np.reshape(np.ravel(a), (-1, 1)), np.ravel(b))


def _matmul(x, y):
    """``x @ y`` for operands of at most two dimensions: ``out = Ax·Dx + Ay·Dy``, where
    ``Ax`` (``Ay``) is the pattern of how ``y`` (``x``) combines the other's elements; a
    product of two tracers also adds the pairs ``deps(x[i, j]) × deps(y[j, k])``."""
    xv, yv = np.asarray(_value(x), dtype=float), np.asarray(_value(y), dtype=float)
    if xv.ndim > 2 or yv.ndim > 2 or xv.ndim == 0 or yv.ndim == 0:
        raise UnsupportedFunctionError(
            "np.matmul/np.dot of operands with more than two dimensions (or 0-d) is not "
            "supported by the sparsity tracer; use a loop over the leading axis"
        )
    value = xv @ yv
    trace = _trace_of([x, y])
    X = xv if xv.ndim == 2 else xv[None, :]
    Y = yv if yv.ndim == 2 else yv[:, None]
    m, p = X.shape
    q = Y.shape[1]
    deps = _empty(m * q, trace.n)
    xt, yt = isinstance(x, Tracer), isinstance(y, Tracer)
    if xt:  # out[i, k] gets x[i, j] where Y[j, k] != 0 (all j when y is a tracer)
        B = sp.csr_array(np.ones((q, p), bool) if yt else (Y.T != 0))
        Ax = sp.csr_array(sp.kron(sp.eye_array(m, format="csr"), B), dtype=bool)
        deps = _union(deps, sp.csr_array(Ax @ x.deps, dtype=bool))
    if yt:  # out[i, k] gets y[j, k] where X[i, j] != 0
        C = sp.csr_array(np.ones((m, p), bool) if xt else (X != 0))
        Ay = sp.csr_array(sp.kron(C, sp.eye_array(q, format="csr")), dtype=bool)
        deps = _union(deps, sp.csr_array(Ay @ y.deps, dtype=bool))
    if xt and yt and trace.hessian:
        # Σ_{i,j,k} deps(x[i,j]) × deps(y[j,k]) = Dxᵀ M Dy with M[(i,j),(j',k)] = [j == j']
        M = sp.kron(np.ones((m, 1)), sp.kron(sp.eye_array(p), np.ones((1, q))))
        My = sp.csr_array(sp.csr_array(M, dtype=bool) @ y.deps, dtype=bool)
        trace.add_pairs(x.deps, My)
    return Tracer(value, deps, trace)


# ---------------------------------------------------------------- entry point


def trace(f, x: np.ndarray, hessian: bool = False, args=(), kwargs=None):
    """Evaluate ``f(x, *args, **kwargs)`` on a tracer seeded with the identity pattern.

    Returns ``(output, trace)``: the output tracer (or a plain constant) and the
    :class:`Trace` with the Hessian pairs and the full sums.
    """
    n = x.size
    t = Trace(n, hessian)
    seed = Tracer(x.copy(), sp.csr_array(sp.eye_array(n, format="csr"), dtype=bool), t).reshape(
        x.shape
    )
    y = f(seed, *args, **(kwargs or {}))
    if isinstance(y, (list, tuple)) and any(isinstance(v, Tracer) for v in y):
        y = np.stack([lift(v, t) for v in y])
    return y, t
