"""Statistics, order statistics, polynomials and other numerics on dual numbers.

Each function is written in dual operations that are exact for it (the simplest exact route):
order statistics (``median``, ``percentile``, ``quantile``) sort by the value, then interpolate
linearly between two order statistics with constant weights (numpy's default ``'linear'``
method; the others are refused); the ``nan*`` reductions replace nans by the operation's
identity with zero derivative; ``interp`` is the line through the two knots around ``x``;
``polyval`` is Horner's scheme; ``cov`` and ``corrcoef`` follow numpy's own formulas.
"""

from __future__ import annotations

import numpy as np

from ._base import DualBase, _finish, norm_axis, top_number
from ._errors import UnsupportedFunctionError
from ._functions import (
    _move_to_front,
    _real,
    _select,
    _where,
    dual_max,
    dual_min,
    dual_reshape,
    dual_sum,
    implements,
)
from ._functions_shape import gather

# ---------------------------------------------------------------- order statistics


def _quantile(a, q, axis, keepdims, method, nan, name):
    """Linear interpolation between the order statistics ``floor(q (n-1))`` and the next.

    With ``nan`` (the nan-versions), ``n`` is the number of non-nan elements of each slice
    (numpy's argsort puts nans last); without it, a slice holding a nan gives nan.
    """
    if method != "linear":
        raise UnsupportedFunctionError(
            f"np.{name}(..., method={method!r}) is not supported on dual numbers; the default "
            "method='linear' is"
        )
    q = np.asarray(q, dtype=float)
    if a.dtype.kind == "c" and name != "median":
        raise TypeError(f"np.{name}: a must be an array of real numbers")
    if a.size == 0:
        raise ValueError(f"np.{name} of an empty array")
    m, axes = _move_to_front(a, axis)
    v = m.value
    order = np.argsort(v, axis=0, kind="stable")
    n = m.shape[0]
    kept = m.shape[1:]
    count = np.sum(~np.isnan(v), axis=0) if nan else np.full(kept, n)
    pos = q.reshape(q.shape + (1,) * len(kept)) * (np.maximum(count, 1) - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, n - 1)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    hi = np.maximum(hi, lo)
    frac = pos - np.floor(pos)
    # flat indices of the sorted elements: column c of the sorted array is srt[:, c]
    srt = np.take_along_axis(np.arange(m.size).reshape(m.shape), order, axis=0).reshape(n, -1)
    col = np.broadcast_to(np.arange(srt.shape[1]).reshape(kept), lo.shape)
    s_lo, s_hi = gather(m, srt[lo, col]), gather(m, srt[hi, col])
    res = s_lo + (s_hi - s_lo) * frac
    if nan:
        empty = count == 0
        if np.any(empty):
            res = _where(np.broadcast_to(empty, pos.shape), np.nan, res)
    else:
        hasnan = np.isnan(v).any(axis=0)
        if np.any(hasnan):
            res = _where(np.broadcast_to(hasnan, pos.shape), np.nan, res)
    if keepdims:
        shape = q.shape + tuple(1 if i in axes else s for i, s in enumerate(a.shape))
        res = dual_reshape(res, shape)
    return _finish(res)


@implements(np.median)
def _median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile(a, 0.5, axis, keepdims, "linear", False, "median")


@implements(np.nanmedian)
def _nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile(a, 0.5, axis, keepdims, "linear", True, "nanmedian")


def _qfn(nan, scale, name):
    def run(
        a,
        q,
        axis=None,
        out=None,
        overwrite_input=False,
        method="linear",
        keepdims=False,
        *,
        weights=None,
        interpolation=None,
    ):
        if weights is not None:
            raise UnsupportedFunctionError(f"np.{name}(..., weights=) is not supported on duals")
        if isinstance(q, DualBase):
            raise UnsupportedFunctionError(f"np.{name}: q cannot be a dual number")
        q = np.asarray(q, dtype=float) / scale
        if np.any((q < 0.0) | (q > 1.0)):
            raise ValueError(f"np.{name}: q must be in the range [0, {scale:g}]")
        method = method if interpolation is None else interpolation
        return _quantile(a, q, axis, keepdims, method, nan, name)

    return run


implements(np.quantile)(_qfn(False, 1.0, "quantile"))
implements(np.percentile)(_qfn(False, 100.0, "percentile"))
implements(np.nanquantile)(_qfn(True, 1.0, "nanquantile"))
implements(np.nanpercentile)(_qfn(True, 100.0, "nanpercentile"))


@implements(np.ptp)
def _ptp(a, axis=None, out=None, keepdims=False):
    return dual_max(a, axis=axis, keepdims=keepdims) - dual_min(a, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- nan reductions


def _nan_as(a, fill):
    nan = np.isnan(a.value)
    return _where(nan, fill, a) if np.any(nan) else a


@implements(np.nansum)
def _nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    keepdims = False if keepdims is np._NoValue else keepdims
    return dual_sum(
        _nan_as(a, 0.0),
        axis=axis,
        keepdims=keepdims,
        initial=initial,
        where=None if where is np._NoValue else where,
    )


@implements(np.nanprod)
def _nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    keepdims = False if keepdims is np._NoValue else keepdims
    return np.prod(
        _nan_as(a, 1.0),
        axis=axis,
        keepdims=keepdims,
        initial=initial,
        where=where if _given(where) else True,
    )


def _count(a, axis, keepdims, where=None):
    ok = ~np.isnan(a.value)
    if where is not None and where is not np._NoValue and where is not True:
        ok = ok & np.broadcast_to(where, a.shape)
    return np.sum(ok, axis=norm_axis(axis, a.ndim), keepdims=keepdims).astype(float)


@implements(np.nanmean)
def _nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    keepdims = False if keepdims is np._NoValue else keepdims
    w = None if where is np._NoValue else where
    total = dual_sum(_nan_as(a, 0.0), axis=axis, keepdims=keepdims, where=w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / _count(a, axis, keepdims, w)


def _nanvariance(a, axis, ddof, keepdims, where=None):
    w = None if where is np._NoValue else where
    mean = _nanmean(a, axis=axis, keepdims=True, where=w)
    dev = _nan_as(a - mean, 0.0)
    if w is not None and w is not True:
        dev = _where(np.broadcast_to(w, a.shape), dev, 0.0)
    count = np.maximum(_count(a, axis, keepdims, w) - ddof, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return dual_sum(dev * dev, axis=norm_axis(axis, a.ndim), keepdims=keepdims) / count


@implements(np.nanvar)
def _nanvar(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    _no_mean("nanvar", mean, correction)
    return _nanvariance(a, axis, ddof, False if keepdims is np._NoValue else keepdims, where)


@implements(np.nanstd)
def _nanstd(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    _no_mean("nanstd", mean, correction)
    var = _nanvariance(a, axis, ddof, False if keepdims is np._NoValue else keepdims, where)
    return np.sqrt(var)


def _given(x) -> bool:
    return x is not None and x is not np._NoValue


def _no_mean(name, mean, correction):
    if _given(mean) or _given(correction):
        raise UnsupportedFunctionError(
            f"np.{name}(..., mean=/correction=) is not supported on dual numbers; use ddof"
        )


def _nanselect(argfn, fill, name):
    """``nanmax``/``nanmin``: select by the value with nans replaced by ``fill``; an all-nan
    slice gives its (nan) first element."""

    def pick(r, axis):
        nan = np.isnan(r)
        return np.where(np.all(nan, axis=axis), 0, argfn(np.where(nan, fill, r), axis=axis))

    def run(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        keepdims = False if keepdims is np._NoValue else keepdims
        if _given(initial) or (_given(where) and where is not True):
            raise UnsupportedFunctionError(
                f"np.{name}(..., initial=/where=) is not supported on dual numbers"
            )
        return _select(a, axis, keepdims, pick, name)

    return run


implements(np.nanmax)(_nanselect(np.argmax, -np.inf, "nanmax"))
implements(np.nanmin)(_nanselect(np.argmin, np.inf, "nanmin"))


@implements(np.nancumsum)
def _nancumsum(a, axis=None, dtype=None, out=None):
    return np.cumsum(_nan_as(a, 0.0), axis=axis)


@implements(np.nancumprod)
def _nancumprod(a, axis=None, dtype=None, out=None):
    return np.cumprod(_nan_as(a, 1.0), axis=axis)


# ---------------------------------------------------------------- averages, integrals, sums


@implements(np.average)
def _average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """``Σ a·w / Σ w`` (``a`` or ``w`` dual); ``returned`` adds ``Σ w``."""
    keepdims = False if keepdims is np._NoValue else keepdims
    nd = np.ndim(_real(a))
    axes = norm_axis(axis, nd)
    if weights is None:
        avg = np.mean(a, axis=axes, keepdims=keepdims)
        scl = np.full(np.shape(_real(avg)), float(np.prod([np.shape(_real(a))[i] for i in axes])))
        return (avg, scl) if returned else avg
    shape_a, shape_w = np.shape(_real(a)), np.shape(_real(weights))
    if shape_w != shape_a:
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if len(shape_w) != 1 or len(axes) != 1 or shape_w[0] != shape_a[axes[0]]:
            raise ValueError("Shape of weights must be consistent with shape of a along axis.")
        weights = np.reshape(weights, (1,) * axes[0] + shape_w + (1,) * (nd - 1 - axes[0]))
        weights = np.broadcast_to(weights, shape_a)
    scl = np.sum(weights, axis=axes, keepdims=keepdims)
    if np.any(_real(scl) == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    avg = np.sum(np.multiply(a, weights), axis=axes, keepdims=keepdims) / scl
    return (avg, scl) if returned else avg


def _trapezoid(y, x=None, dx=1.0, axis=-1):
    """``Σ Δx·(y[1:] + y[:-1]) / 2`` along ``axis`` (numpy's formula; ``x`` may be dual)."""
    nd = np.ndim(_real(y))
    (ax,) = norm_axis(axis, nd)
    if x is None:
        d = dx
    else:
        d = np.diff(x)
        if np.ndim(_real(x)) == 1:
            shape = [1] * nd
            shape[ax] = np.shape(_real(d))[0]
            d = np.reshape(d, shape)
        else:
            d = np.diff(x, axis=ax)
    hi = tuple(slice(1, None) if i == ax else slice(None) for i in range(nd))
    lo = tuple(slice(None, -1) if i == ax else slice(None) for i in range(nd))
    return np.sum(d * (y[hi] + y[lo]) / 2.0, axis=ax)


for _name in ("trapezoid", "trapz"):  # numpy >= 2.0 / numpy < 2.4
    if hasattr(np, _name):
        implements(getattr(np, _name))(_trapezoid)


def _cumulative(fn, name):
    def run(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if axis is None:
            if x.ndim != 1:
                raise ValueError(f"np.{name}: axis must be given for arrays of more than 1-d")
            axis = 0
        res = fn(x, axis=axis)
        if include_initial:
            (ax,) = norm_axis(axis, x.ndim)
            shape = list(x.shape)
            shape[ax] = 1
            first = x.zeros_like_parts(np.full(shape, 0.0 if name.endswith("sum") else 1.0))
            res = np.concatenate([first, res], axis=ax)
        return res

    return run


if hasattr(np, "cumulative_sum"):
    implements(np.cumulative_sum)(_cumulative(np.cumsum, "cumulative_sum"))
    implements(np.cumulative_prod)(_cumulative(np.cumprod, "cumulative_prod"))


@implements(np.unwrap)
def _unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """``p`` plus numpy's correction, a multiple of ``period`` that is locally constant."""
    v = p.value
    return p + (np.unwrap(v, discont=discont, axis=axis, period=period) - v)


@implements(np.ediff1d)
def _ediff1d(ary, to_end=None, to_begin=None):
    pieces = [np.ravel(to_begin)] if to_begin is not None else []
    pieces.append(np.diff(np.ravel(ary)))
    if to_end is not None:
        pieces.append(np.ravel(to_end))
    return np.concatenate(pieces) if len(pieces) > 1 else pieces[0]


@implements(np.cov)
def _cov(
    m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None
):
    """numpy's covariance formula in dual operations (weights constant)."""
    if isinstance(fweights, DualBase) or isinstance(aweights, DualBase):
        raise UnsupportedFunctionError("np.cov: fweights/aweights cannot be dual numbers")
    X = np.atleast_2d(m)
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if X.shape[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        Y = np.atleast_2d(y)
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = np.concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = np.asarray(fweights, dtype=float)
    if aweights is not None:
        aw = np.asarray(aweights, dtype=float)
        w = aw if w is None else w * aw
    n = X.shape[1]
    if w is None:
        avg = np.mean(X, axis=1)
        fact = float(n - ddof)
    else:
        w_sum = float(np.sum(w))
        avg = np.sum(X * w, axis=1) / w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * float(np.sum(w * np.asarray(aweights, float))) / w_sum
    fact = max(fact, 0.0)
    X = X - np.reshape(avg, (-1, 1))
    XT = (X if w is None else X * w).T
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.dot(X, XT) / fact
    return np.squeeze(c)


@implements(np.corrcoef)
def _corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = _cov(x, y, rowvar)
    if np.ndim(_real(c)) == 0:
        return c / c
    d = np.sqrt(np.diagonal(c))
    c = c / np.reshape(d, (-1, 1))
    c = c / np.reshape(d, (1, -1))
    return np.clip(c, -1.0, 1.0)


# ---------------------------------------------------------------- polynomials, interpolation


@implements(np.polyval)
def _polyval(p, x):
    """Horner's scheme, ``y = y·x + c`` (numpy's own loop; ``p`` and ``x`` may be dual)."""
    if isinstance(p, np.poly1d):
        p = p.coeffs
    y = None
    for i in range(np.shape(_real(p))[0]):
        c = p[i]
        y = c + 0.0 * x if y is None else y * x + c
    if y is None:
        return np.zeros_like(x)
    return y


@implements(np.polyder)
def _polyder(p, m=1):
    for _ in range(int(m)):
        n = np.shape(_real(p))[0] - 1
        p = p[:-1] * np.arange(n, 0, -1, dtype=float)
    return p


@implements(np.polyint)
def _polyint(p, m=1, k=None):
    m = int(m)
    k = np.zeros(m) if k is None else np.atleast_1d(k)
    if np.shape(_real(k))[0] == 1 and m > 1:
        k = np.broadcast_to(k, (m,))
    for i in range(m):
        n = np.shape(_real(p))[0]
        p = np.concatenate([p / np.arange(n, 0, -1, dtype=float), np.reshape(k[i], (1,))])
    return p


def _polypad(a1, a2):
    n1, n2 = np.shape(_real(a1))[0], np.shape(_real(a2))[0]
    if n1 < n2:
        a1 = np.concatenate([np.zeros(n2 - n1), a1])
    elif n2 < n1:
        a2 = np.concatenate([np.zeros(n1 - n2), a2])
    return a1, a2


@implements(np.polyadd)
def _polyadd(a1, a2):
    a1, a2 = _polypad(np.atleast_1d(a1), np.atleast_1d(a2))
    return a1 + a2


@implements(np.polysub)
def _polysub(a1, a2):
    a1, a2 = _polypad(np.atleast_1d(a1), np.atleast_1d(a2))
    return a1 - a2


@implements(np.polymul)
def _polymul(a1, a2):
    return np.convolve(np.atleast_1d(a1), np.atleast_1d(a2))


@implements(np.polydiv)
def _polydiv(u, v):
    """Quotient and remainder by numpy's long division, in dual operations (``u``, ``v`` or
    both dual); leading remainder terms whose value is negligible are trimmed as numpy does."""
    u = np.atleast_1d(u) + 0.0
    v = np.atleast_1d(v) + 0.0
    proto = top_number([u, v])  # the operand of higher tag, when derivatives nest
    m, n = np.shape(_real(u))[0] - 1, np.shape(_real(v))[0] - 1
    scale = 1.0 / v[0]
    q = np.zeros_like(proto.lift(np.zeros(max(m - n + 1, 1))))
    r = proto.lift(u).copy()
    for k in range(m - n + 1):
        d = scale * r[k]
        q[k] = d
        r[k : k + n + 1] = r[k : k + n + 1] - d * v
    while np.allclose(r.value[0], 0, rtol=1e-14) and r.shape[-1] > 1:
        r = r[1:]
    return q, r


@implements(np.roots)
def _roots(p):
    """numpy's own method: the eigenvalues of the companion matrix (``np.linalg.eigvals`` on
    dual numbers; simple roots only, a repeated root has no derivative)."""
    p = np.atleast_1d(p)
    nonzero = np.flatnonzero(p.value)
    if nonzero.size == 0:
        return np.array([])
    trailing = p.shape[0] - nonzero[-1] - 1
    p = p[int(nonzero[0]) : int(nonzero[-1]) + 1]
    n = p.shape[0]
    if n < 2:
        roots = p[:0]
    else:
        a = p.lift(np.diag(np.ones(n - 2), -1)).copy()
        a[0, :] = -p[1:] / p[0]
        roots = np.linalg.eigvals(a)
    return np.concatenate([roots, np.zeros(trailing)]) if trailing else roots


@implements(np.poly)
def _poly(seq_of_zeros):
    """Coefficients of ``Π (x - r)`` for a 1-d sequence of roots (products of duals)."""
    if np.ndim(_real(seq_of_zeros)) != 1:
        raise UnsupportedFunctionError(
            "np.poly of a matrix (its characteristic polynomial) is not supported on dual "
            "numbers; pass its eigenvalues"
        )
    c = np.ones(1)
    for i in range(np.shape(_real(seq_of_zeros))[0]):
        c = np.convolve(c, np.stack([np.ones(()) + 0.0 * seq_of_zeros[i], -seq_of_zeros[i]]))
    return c


@implements(np.polyfit)
def _polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least squares: the coefficients are ``L @ y`` with ``L`` the pseudo-inverse of the
    (weighted) Vandermonde matrix of the constant ``x``; exact in ``y``."""
    if isinstance(x, DualBase) or isinstance(w, DualBase) or full or cov:
        raise UnsupportedFunctionError(
            "np.polyfit on dual numbers supports a dual y only (x and w constant, full=False, "
            "cov=False)"
        )
    x = np.asarray(x, dtype=float)
    lhs = np.vander(x, int(deg) + 1)
    rhs = y
    if w is not None:
        w = np.asarray(w, dtype=float)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if np.ndim(_real(y)) == 1 else w[:, None])
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    pinv = np.linalg.pinv(lhs / scale, rcond=1e-15 if rcond is None else rcond)
    c = np.dot(pinv, rhs)
    c = c / (scale if np.ndim(_real(y)) == 1 else scale[:, None])
    parts = list(c._parts())
    parts[0] = np.polyfit(x, y.value, deg, rcond=rcond, w=w)
    return c._from(parts)


@implements(np.vander)
def _vander(x, N=None, increasing=False):
    """Columns ``x**k`` by repeated products (exact at ``x = 0``, unlike a power rule)."""
    n = np.shape(_real(x))[0] if N is None else int(N)
    cols = []
    for k in range(n):
        cols.append(np.ones_like(x) if k == 0 else cols[-1] * x)
    if not cols:
        return np.zeros_like(x)[:, None][:, :0]
    res = np.stack(cols, axis=1)
    return res if increasing else res[:, ::-1]


@implements(np.interp)
def _interp(x, xp, fp, left=None, right=None, period=None):
    """The line through the knots around ``x``: ``fp[j] + (x - xp[j]) / Δxp · Δfp``.

    ``x``, ``xp`` and ``fp`` may be dual. At a knot the segment on its right is taken (its
    slope is the derivative in ``x``); outside ``[xp[0], xp[-1]]`` the value is ``left`` /
    ``right`` (by default ``fp[0]`` / ``fp[-1]``, with their derivatives).
    """
    if period is not None:
        raise UnsupportedFunctionError("np.interp(..., period=) is not supported on duals")
    xv, xpv = np.asarray(_real(x), dtype=float), np.asarray(_real(xp), dtype=float)
    n = xpv.shape[0]
    if n == 0:
        raise ValueError("array of sample points is empty")
    if n == 1:
        j = np.zeros(xv.shape, dtype=int)
        y = fp[j] if isinstance(fp, DualBase) else np.asarray(fp, dtype=float)[j]
        y = y + 0.0 * x
    else:
        j = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, n - 2)
        x0, x1, f0, f1 = xp[j], xp[j + 1], fp[j], fp[j + 1]
        y = f0 + (x - x0) / (x1 - x0) * (f1 - f0)
        y = _where(xv == xpv[-1], fp[n - 1] + 0.0 * x, y)
    lo = fp[0] if left is None else left
    hi = fp[n - 1] if right is None else right
    y = _where(xv < xpv[0], np.broadcast_to(lo, xv.shape) if np.ndim(_real(lo)) else lo, y)
    y = _where(xv > xpv[-1], hi, y)
    return _finish(y) if isinstance(y, DualBase) else y


@implements(np.bincount)
def _bincount(x, /, weights=None, minlength=0):
    """Sums of ``weights`` per bin: linear in the weights (``x`` holds constant integers)."""
    if isinstance(x, DualBase):
        raise UnsupportedFunctionError("np.bincount: x holds integer bins, not dual numbers")
    x = np.asarray(x)
    if weights is None:
        return np.bincount(x, minlength=minlength)
    n = max(int(x.max()) + 1 if x.size else 0, int(minlength))
    onehot = (np.arange(n)[:, None] == x.ravel()[None, :]).astype(float)
    return np.dot(onehot, np.ravel(weights))


# ---------------------------------------------------------------- elementwise, not ufuncs


@implements(np.nan_to_num)
def _nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    v = x.value
    finite = np.isfinite(v)
    if np.all(finite):
        return x
    value = np.nan_to_num(v, copy=True, nan=nan, posinf=posinf, neginf=neginf)
    return _finish(_where(finite, x, value))


@implements(np.real_if_close)
def _real_if_close(a, tol=100):
    return a


@implements(np.fix)
def _fix(x, out=None):
    return _finish(x.zeros_like_parts(np.fix(x.value)))


@implements(np.piecewise)
def _piecewise(x, condlist, funclist, *args, **kw):
    """Each function applied to the elements where its condition holds (numpy's rules for an
    ``otherwise`` function and for scalar entries)."""
    xv = x.value
    if (
        np.ndim(condlist) == 0
        or (np.ndim(condlist) == 1 and np.ndim(xv) != 1)
        and not isinstance(condlist, list)
    ):
        condlist = [condlist]
    conds = [np.asarray(_real(c), dtype=bool) for c in condlist]
    n = len(conds)
    if len(funclist) == n + 1:
        conds.append(~np.any(conds, axis=0))
    out = np.zeros_like(x)
    for cond, f in zip(conds, funclist):
        if not callable(f):
            out = _where(cond, f, out)
        elif np.any(cond):
            vals = f(x[cond], *args, **kw)
            if isinstance(vals, DualBase):
                out[cond] = vals
            else:
                out[cond] = np.asarray(vals, dtype=float) + 0.0 * x[cond]
    return out


@implements(np.apply_along_axis)
def _apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` on every 1-d slice along ``axis``; the results stacked where numpy puts them."""
    (ax,) = norm_axis(axis, arr.ndim)
    moved = np.moveaxis(arr, ax, -1)
    outer = moved.shape[:-1]
    results = [func1d(moved[i], *args, **kwargs) for i in np.ndindex(*outer)]
    res = np.stack(results) if outer else results[0]
    res_shape = np.shape(_real(res))[1:] if outer else np.shape(_real(res))
    res = np.reshape(res, outer + res_shape)
    k = len(res_shape)
    order = list(range(ax)) + list(range(len(outer), len(outer) + k)) + list(range(ax, len(outer)))
    return np.transpose(res, order)


@implements(np.apply_over_axes)
def _apply_over_axes(func, a, axes):
    for ax in np.atleast_1d(axes):
        res = func(a, ax)
        if np.ndim(_real(res)) != np.ndim(_real(a)):
            res = np.expand_dims(res, int(ax))
        a = res
    return a


# ---------------------------------------------------------------- ranges


@implements(np.linspace)
def _linspace(
    start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None
):
    """``start + i·step`` with ``step = (stop - start) / div`` and the last point ``stop``
    (numpy's formula; ``start`` and ``stop`` may be dual)."""
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise UnsupportedFunctionError(
            f"np.linspace(..., dtype={dtype}) of dual numbers: an integer dtype would drop the "
            "derivative"
        )
    num = int(num)
    div = (num - 1) if endpoint else num
    shape = np.broadcast_shapes(np.shape(_real(start)), np.shape(_real(stop)))
    i = np.arange(num, dtype=float).reshape((-1,) + (1,) * len(shape))
    delta = stop - start
    step = delta / div if div > 0 else delta * np.nan
    y = start + i * step if div > 0 else start + i * delta
    if endpoint and num > 1:
        y = np.concatenate([y[:-1], np.reshape(stop + 0.0 * start, (1,) + shape)], axis=0)
    y = np.broadcast_to(y, (num,) + shape) if np.shape(_real(y)) != (num,) + shape else y
    if axis != 0:
        y = np.moveaxis(y, 0, axis)
    return (y, step) if retstep else y


@implements(np.logspace)
def _logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    y = _linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    return np.power(base, y)


@implements(np.geomspace)
def _geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``exp(linspace(log start, log stop))`` with the end points exact (positive data)."""
    if np.any(np.asarray(_real(start)) <= 0) or np.any(np.asarray(_real(stop)) <= 0):
        raise UnsupportedFunctionError(
            "np.geomspace of dual numbers supports positive start and stop only"
        )
    y = np.exp(_linspace(np.log(start), np.log(stop), num=num, endpoint=endpoint))
    if num > 0:
        first = np.reshape(start + 0.0 * stop, (1,) + np.shape(_real(y))[1:])
        rest = [y[1:-1], np.reshape(stop + 0.0 * start, first.shape)] if endpoint else [y[1:]]
        y = np.concatenate([first] + (rest if num > 1 else []), axis=0)
    return np.moveaxis(y, 0, axis) if axis != 0 else y


@implements(np.histogram_bin_edges)
def _histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The edges: constant when ``bins`` is a sequence or ``range`` is given, else
    ``linspace(min a, max a)`` with the derivatives of the extreme elements."""
    if isinstance(weights, DualBase):
        raise UnsupportedFunctionError("np.histogram_bin_edges: weights cannot be dual")
    edges = np.histogram_bin_edges(a.value, bins=bins, range=range, weights=weights)
    if np.ndim(bins) == 1 or range is not None or a.size == 0:
        return edges
    lo, hi = dual_min(a), dual_max(a)
    t = np.linspace(0.0, 1.0, edges.shape[0])
    res = lo * (1.0 - t) + hi * t
    parts = list(res._parts())
    parts[0] = edges
    return res._from(parts)


@implements(np.histogram)
def _histogram(a, bins=10, range=None, density=None, weights=None):
    """Counts of the values (integers, no derivative) and the edges of
    :func:`_histogram_bin_edges`; ``density`` and dual ``weights`` are refused."""
    if isinstance(weights, DualBase) or density:
        raise UnsupportedFunctionError(
            "np.histogram of dual numbers: density=True and dual weights are not supported "
            "(the counts are piecewise constant in the data)"
        )
    if not isinstance(a, DualBase):
        raise UnsupportedFunctionError("np.histogram: bins/range cannot be dual numbers")
    counts, _ = np.histogram(a.value, bins=bins, range=range, weights=weights)
    return counts, _histogram_bin_edges(a, bins=bins, range=range, weights=weights)
