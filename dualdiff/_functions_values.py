"""Functions of the value only, and the remaining hand-written numpy functions.

A *value-only* function returns indices, counts, booleans or shapes: nothing that carries a
derivative. It runs on the value parts of its dual arguments (:data:`VALUE_ONLY`, one loop);
the coverage table (:mod:`dualdiff._coverage`) lists them as such. Also here: ``sinc`` (an
elementwise function that is not a ufunc, its rule in :data:`dualdiff._rules.FUNCTION_RULES`),
``einsum`` in its operand-list form, ``unique``, ``choose``, ``trim_zeros``,
``fill_diagonal`` on a dual array, and ``np.astype``.
"""

from __future__ import annotations

import numpy as np

from . import _engine as engine
from ._base import DualBase, _finish
from ._errors import DerivativeLossError, UnsupportedFunctionError
from ._functions import HANDLED_FUNCTIONS, _einsum, _real, _write_refused, implements
from ._functions_shape import _index, gather, gather_many
from ._rules import FUNCTION_RULES


def _values(x):
    if isinstance(x, DualBase):
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_values(y) for y in x)
    return x


VALUE_ONLY = {
    np.all: "booleans",
    np.any: "booleans",
    np.allclose: "a boolean",
    np.isclose: "booleans",
    np.array_equal: "a boolean",
    np.array_equiv: "a boolean",
    np.isin: "booleans",
    np.isreal: "booleans (True for real data)",
    np.iscomplex: "booleans (False for real data)",
    np.isneginf: "booleans",
    np.isposinf: "booleans",
    np.argwhere: "indices",
    np.argpartition: "indices",
    np.nonzero: "indices",
    np.flatnonzero: "indices",
    np.searchsorted: "indices",
    np.digitize: "bin indices",
    np.lexsort: "indices",
    np.nanargmax: "indices",
    np.nanargmin: "indices",
    np.count_nonzero: "counts",
    np.diag_indices_from: "indices from the shape",
    np.tril_indices_from: "indices from the shape",
    np.triu_indices_from: "indices from the shape",
    np.shares_memory: "a boolean about memory",
    np.may_share_memory: "a boolean about memory",
    np.result_type: "a dtype (float64)",
    np.min_scalar_type: "a dtype",
    np.argmax: "indices",
    np.argmin: "indices",
    np.argsort: "indices",
    np.shape: "the shape",
    np.ndim: "the number of dimensions",
    np.size: "the number of elements",
    np.iscomplexobj: "whether the components are complex",
    np.isrealobj: "whether the components are real",
}
"""numpy functions whose result carries no derivative, run on the value parts: what they
return."""
if hasattr(np, "in1d"):  # numpy < 2.4
    VALUE_ONLY[getattr(np, "in1d")] = "booleans"  # noqa: B009 (removed from numpy 2.4)


def _on_values(func):
    def run(*args, **kwargs):
        return func(*_values(args), **{k: _values(v) for k, v in kwargs.items()})

    return run


for _f in VALUE_ONLY:
    if _f not in HANDLED_FUNCTIONS:
        implements(_f)(_on_values(_f))


@implements(np.sinc)
def _sinc(x):
    """``sin(πx)/(πx)``, its rule written once in :data:`dualdiff._rules.FUNCTION_RULES`."""
    return _finish(x._from(engine.elementwise(FUNCTION_RULES[np.sinc], x._parts(), x._labels())))


@implements(np.unique)
def _unique(
    ar,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    *,
    equal_nan=True,
    sorted=True,
):
    """The unique values with their derivatives, where equal values carry equal derivatives.

    Elements of equal value but different derivative parts (``unique([x, y])`` at ``x == y``)
    have no single derivative to report: that raises rather than picking one.
    """
    if axis is not None:
        raise UnsupportedFunctionError("np.unique(..., axis=) is not supported on dual numbers")
    vals, index, inverse, counts = np.unique(
        ar.value,
        return_index=True,
        return_inverse=True,
        return_counts=True,
        equal_nan=equal_nan,
    )
    flat = np.ravel(ar)
    res = gather(flat, index)
    back = gather(res, inverse.ravel())
    for p, q in zip(flat._parts()[1:], back._parts()[1:]):
        if not np.array_equal(p, q, equal_nan=True):
            raise DerivativeLossError(
                "np.unique: equal values carry different derivatives, so a unique value has "
                "no single derivative; apply np.unique to .value for the values"
            )
    out = [res]
    if return_index:
        out.append(index)
    if return_inverse:
        out.append(inverse)  # shaped as numpy shapes it (its rule changed within 2.x)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


if hasattr(np, "unique_values"):

    @implements(np.unique_values)
    def _unique_values(x):
        return _unique(x)


@implements(np.trim_zeros)
def _trim_zeros(filt, trim="fb", axis=None):
    """Trim the elements whose value is zero (the value decides where, as in numpy)."""
    v = np.asarray(filt.value)
    nz = np.flatnonzero(v)
    first = nz[0] if (nz.size and "f" in trim.lower()) else (v.size if not nz.size else 0)
    last = nz[-1] + 1 if (nz.size and "b" in trim.lower()) else (v.size if nz.size else 0)
    return gather(filt, _index(filt)[first:last])


@implements(np.choose)
def _choose(a, choices, out=None, mode="raise"):
    if isinstance(a, DualBase):
        raise UnsupportedFunctionError("np.choose: the index array cannot be dual numbers")
    return gather_many(list(choices), lambda idxs: np.choose(a, idxs, mode=mode))


@implements(np.fill_diagonal)
def _fill_diagonal(a, val, wrap=False):
    _target(a, "fill_diagonal")
    n = min(a.shape)
    if a.ndim == 2 and not wrap or a.ndim != 2:
        idx = (np.arange(n),) * a.ndim
        vals = val if np.ndim(_real(val)) == 0 else np.resize(val, n)
        a[idx] = vals
        return None
    step = a.shape[1] + 1
    flat_idx = np.arange(0, a.size, step)
    rows, cols = np.unravel_index(flat_idx, a.shape)
    a[rows, cols] = val if np.ndim(_real(val)) == 0 else np.resize(val, rows.shape[0])
    return None


if hasattr(np, "astype"):

    @implements(np.astype)
    def _astype_fn(x, dtype, /, *, copy=True, device=None):
        return x.astype(dtype, copy=copy)


@implements(np.einsum)
def _einsum_any(*operands, out=None, optimize=False, **kwargs):
    """``einsum`` with string subscripts or in the operand-list form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, converted to letters."""
    if operands and isinstance(operands[0], str):
        return _einsum(*operands, out=out, optimize=optimize, **kwargs)
    ops, subs = list(operands[0::2]), list(operands[1::2])
    out_sub = None
    if len(ops) > len(subs):  # a trailing operand is the output sublist
        out_sub = ops.pop()
    letters = "abcdefghijklmnopqrstuvwxABCDEFGHIJKLMNOPQRSTUVWX"

    def spell(sub):
        return "".join("..." if s is Ellipsis else letters[int(s)] for s in sub)

    spec = ",".join(spell(s) for s in subs)
    if out_sub is not None:
        spec += "->" + spell(out_sub)
    return _einsum(spec, *ops, out=out, optimize=optimize, **kwargs)


# ---------------------------------------------------------------- writers into a dual array


def _target(a, name):
    if not isinstance(a, DualBase):
        raise _write_refused(f"np.{name}")
    return a


@implements(np.put)
def _put(a, ind, v, mode="raise"):
    """``a.flat[ind] = v`` with ``v`` repeated as needed (numpy's rule), into a dual ``a``."""
    _target(a, "put")
    ind = np.ravel(np.asarray(ind))
    if mode == "wrap":
        ind = ind % a.size
    elif mode == "clip":
        ind = np.clip(ind, 0, a.size - 1)
    else:
        ind = np.where(ind < 0, ind + a.size, ind)
    a[np.unravel_index(ind, a.shape)] = np.resize(np.ravel(v), ind.shape)


@implements(np.putmask)
def _putmask(a, mask, values):
    """``a.flat[n] = values[n % len(values)]`` where ``mask.flat[n]`` (numpy's rule)."""
    _target(a, "putmask")
    mask = np.broadcast_to(np.asarray(_real(mask), dtype=bool), a.shape)
    a[mask] = np.resize(np.ravel(values), (a.size,))[np.ravel(mask)]


@implements(np.place)
def _place(arr, mask, vals):
    """The masked elements take ``vals`` in order, repeated as needed (numpy's rule)."""
    _target(arr, "place")
    mask = np.asarray(_real(mask), dtype=bool).reshape(arr.shape)
    arr[mask] = np.resize(np.ravel(vals), (int(mask.sum()),))


@implements(np.put_along_axis)
def _put_along_axis(arr, indices, values, axis):
    _target(arr, "put_along_axis")
    if axis is None:
        raise UnsupportedFunctionError("np.put_along_axis(..., axis=None) is not supported")
    nd = arr.ndim
    axis %= nd
    indices = np.asarray(indices)
    fancy = []
    for d in range(nd):
        if d == axis:
            fancy.append(indices)
        else:
            shape = [1] * nd
            shape[d] = arr.shape[d]
            fancy.append(np.arange(arr.shape[d]).reshape(shape))
    shape = np.broadcast_shapes(*[f.shape for f in fancy])
    arr[tuple(np.broadcast_to(f, shape) for f in fancy)] = np.broadcast_to(values, shape)
