"""How each number type combines a rule's coefficients: chain, product and quotient rules.

Notation: a dual number is ``a + b·ε``; a hyper-dual number is ``a + b·ε1 + c·ε2 + d·ε1ε2``
with ``ε² = ε1² = ε2² = 0``. A unary rule gives ``(f0, f1, f2)``, a binary rule
``(f, fx, fy, fxx, fxy, fyy)``. Then, for ``f`` applied to a hyper-dual number,

    f(x) = f0 + f1·b·ε1 + f1·c·ε2 + (f1·d + f2·b·c)·ε1ε2.

Every function here is written once against a product operator ``P(u, du, v, dv, z)``: ``u``
and ``v`` are components whose trailing *direction axes* are labelled by the strings ``du`` and
``dv`` (``""`` none, ``"y"`` the ε1 directions, ``"z"`` the ε2 directions, ``"yz"`` both), and
the product carries the labels of both factors in the order ``y`` then ``z``. ``z`` says which
factors are derivative parts (``DU``, ``DV``, both, or ``0`` for a product of values); a plain
operator ignores it, a NaN-safe one (:func:`safe`) uses it. Quotients divide through an
operator ``D(num, den, dirs)`` likewise (:func:`ediv`, :func:`safe_div`). For elementwise
arithmetic ``P`` is :func:`emul`; for matmul, dot and einsum it is a contraction over the
non-direction axes (see :mod:`dualdiff._functions`). The product and quotient rules are written
out rather than derived from ``f(x) = 1/x`` because ``x / y`` is not ``x * (1 / y)`` in floating
point.

NaN-safe zeros (the default; ``dualdiff.nan_safe``)
----------------------------------------------------
The rule is ForwardDiff.jl's NaN-safe mode, applied per direction: *a derivative part equal to
zero absorbs an infinite or nan coefficient* (``0·inf = 0``, ``0·nan = 0``, and ``0/0 = 0``
when a zero derivative part is divided by a zero value). Each product term of the chain,
product and quotient rules (``f1·b``, ``f2·b·c``, ``a1·b2``, ``q·b2``, contractions) whose
derivative factor is zero contributes zero, so an infinite coefficient reaches only the
directions it multiplies with a non-zero derivative part: the gradient of
``sqrt(x0) + x1**2`` at ``(0, 1)`` is ``(inf, 2)``, not ``(inf, nan)``. A product of two
derivative parts (``b·c``) is zero when either is. A *coefficient* equal to zero does not
absorb an infinite derivative part (``f1 = 0`` times ``b = inf`` stays ``nan``: the true
limit depends on how both got there, as in ``(sqrt x)²`` at 0). Values are never changed.

The rule sees numbers, not where they came from, so it also applies to *computed* zeros:
``sqrt(x - x)`` has derivative ``0``, and so has ``sqrt(x**2)`` at ``0`` (a kink, whose
one-sided derivatives are ``±1``; ``0`` is a valid subgradient there, as for
``np.linalg.norm`` at the origin). ``np.std`` keeps its own, stricter convention (``nan``
at a kink, see :mod:`dualdiff._functions`). ``dualdiff.nan_safe(False)`` gives the raw IEEE
products instead (the drivers' read-only zero seeds, :func:`filled`, stay structural in both
modes).

Cost: the rule can change a result only where a plain product gives ``nan`` with a zero
derivative factor. The engine computes plainly, then checks once, in one pass, and only
then computes again with :func:`safe` and :func:`safe_div`: the coefficients for a Dual in
vector mode (they are ``k`` times smaller than the derivative parts, and every product of
the Dual algebra is a coefficient times a derivative part, so a finite coefficient can give
no nan to absorb: :func:`all_finite`), else the result's derivative parts (:func:`has_nan`;
a product of two derivative parts, ``f2·b·c``, can meet an infinite derivative part).
Kernels test per element (``0 if b == 0 and f1·b is nan``): a compare and a select.

The Numba kernels compile these same functions with ``P`` a scalar product. The Python-float
fast paths in :mod:`dualdiff.dual` and :mod:`dualdiff.hyperdual` use the ``scalar_*`` forms at
the end of this module (the same formulas written with ``*``). The listed exception: those
fast paths write the scalar product rule out inline (``Dual.__mul__``, ``HyperDual.__mul__``),
and the Dual chain ``f1·b`` in ``Dual.__array_ufunc__`` and ``Dual.__pow__``, since a function
call costs a fifth of the whole operation; ``tests/test_types.py`` checks them
against the general chain rule.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class AlgebraOp(NamedTuple):
    """An operation of the algebra itself (no rule of the table): the key the engine and the
    kernel registry use for it, beside the rule objects of :mod:`dualdiff._rules`."""

    name: str


ADD = AlgebraOp("add")
SUBTRACT = AlgebraOp("subtract")
PRODUCT = AlgebraOp("product")
QUOTIENT = AlgebraOp("quotient")
POWER = AlgebraOp("power_const")
"""``x ** c`` for a constant scalar ``c`` (:func:`dualdiff._rules.power_const`)."""


def expand(v, dirs: str):
    """``v`` with one trailing unit axis per direction label, ready to broadcast.

    ``v`` may be a dual number of lower tag (a component of a nested number): it reshapes
    like an array.
    """
    if dirs:
        if type(v) is np.ndarray:
            if v.ndim:
                return v.reshape(v.shape + (1,) * len(dirs))
        elif type(v) is not float and getattr(v, "ndim", 0):
            return v.reshape(v.shape + (1,) * len(dirs))
    return v


DU = 1
"""``z`` flag of a product operator: the first factor is a derivative part."""
DV = 2
"""``z`` flag of a product operator: the second factor is a derivative part."""

ONE = np.array(1.0)
ZERO = np.array(0.0)
ONE.flags.writeable = False
ZERO.flags.writeable = False


def filled(value: np.ndarray, shape: tuple) -> np.ndarray:
    """A read-only array of ones or zeros (``value`` is ONE or ZERO) that costs no memory.

    Seeds are built from these, and :func:`emul` and :func:`_add` recognise them
    (``arr.base is ONE``) to skip multiplying by one and adding zero: the first operation on a
    seeded input then costs no more than its rule. The views are read-only and equal for a
    given shape, so the last few are kept (``np.broadcast_to`` costs microseconds per call,
    a fifth of a driver's own overhead on 10³ elements).
    """
    key = (value is ONE, shape)
    view = _FILLED.get(key)
    if view is None:
        view = np.broadcast_to(value, shape)
        if len(_FILLED) >= 64:
            _FILLED.clear()
        _FILLED[key] = view
    return view


_FILLED: dict = {}


def is_complex(p) -> bool:
    """True for a complex component: a Python complex, or anything with a complex ``dtype``
    (an ndarray, a numpy scalar, a dual number whose components are complex)."""
    t = type(p)
    if t is float:
        return False
    if t is complex:
        return True
    dtype = getattr(p, "dtype", None)
    return dtype is not None and dtype.kind == "c"


def py_scalar(p):
    """A 0-d component as a Python float, or a Python complex where it is complex."""
    return complex(p) if is_complex(p) else float(p)


def _is(v, const) -> bool:
    return type(v) is np.ndarray and v.base is const


def emul(u, du: str, v, dv: str, z: int = 0):
    """Elementwise product of two components, taking the outer product of direction axes
    (plain IEEE: ``z`` is ignored)."""
    if not du and not dv:
        if _is(v, ONE) and np.shape(u) == v.shape:
            return u
        if _is(u, ONE) and np.shape(v) == u.shape:
            return v
        if _is(v, ZERO) or _is(u, ZERO):
            return filled(ZERO, np.broadcast_shapes(np.shape(u), np.shape(v)))
    if not dv:
        return u * expand(v, du)
    if not du:
        return expand(u, dv) * v
    if du == "y":  # dv == "z"
        return u[..., :, None] * v[..., None, :]
    return v[..., :, None] * u[..., None, :]  # du == "z", dv == "y"


def _add(p, q):
    """``p + q`` that skips a known zero (see :func:`filled`)."""
    if _is(p, ZERO) and np.shape(q) == p.shape:
        return q
    if _is(q, ZERO) and np.shape(p) == q.shape:
        return p
    return p + q


# ---------------------------------------------------------------- Dual: a + b·ε, directions "y"


def dual_chain(f0, f1, b, dirs: str, P=emul):
    """``f(a + b·ε) = f0 + f1·b·ε``."""
    return f0, P(f1, "", b, dirs, DV)


def dual_binary_chain(f, fx, fy, b1, b2, dirs: str, P=emul):
    """``f(x, y)`` for two dual arguments: ``f + (fx·b1 + fy·b2)·ε``."""
    return f, _add(P(fx, "", b1, dirs, DV), P(fy, "", b2, dirs, DV))


def dual_product(a1, b1, a2, b2, dirs: str, P=emul):
    """``(a1 + b1·ε)(a2 + b2·ε) = a1·a2 + (a1·b2 + b1·a2)·ε``."""
    return P(a1, "", a2, "", 0), _add(P(a1, "", b2, dirs, DV), P(b1, dirs, a2, "", DU))


def ediv(num, den, dirs: str):
    """``num / den`` with ``den`` a value, broadcast over ``num``'s direction axes."""
    return num / expand(den, dirs)


def dual_quotient(a1, b1, a2, b2, dirs: str, P=emul, D=ediv):
    """``(a1 + b1·ε)/(a2 + b2·ε) = q + (b1 - q·b2)/a2·ε`` with ``q = a1/a2``."""
    q = a1 / a2
    return q, D(b1 - P(q, "", b2, dirs, DV), a2, dirs)


# ---------------------------------------------------------------- HyperDual


def hyper_chain(f0, f1, f2, b, c, d, d1: str, d2: str, P=emul):
    """``f(a + b·ε1 + c·ε2 + d·ε1ε2) = f0 + f1·b·ε1 + f1·c·ε2 + (f1·d + f2·b·c)·ε1ε2``.

    When ``b is c`` (the same seed in both directions, as for ``f''``) ``ε2``'s part is
    computed once and shared.
    """
    e1 = P(f1, "", b, d1, DV)
    e2 = e1 if b is c else P(f1, "", c, d2, DV)
    d12 = d1 + d2
    return f0, e1, e2, _add(P(f1, "", d, d12, DV), P(P(f2, "", b, d1, DV), d1, c, d2, DU | DV))


def hyper_binary_chain(f, fx, fy, fxx, fxy, fyy, x, y, d1: str, d2: str, P=emul):
    """``f(x, y)`` for two hyper-dual arguments ``x = (a1, b1, c1, d1)``, ``y = (a2, ...)``.

    ε1ε2 part: ``fx·d1 + fy·d2 + fxx·b1c1 + fxy·(b1c2 + b2c1) + fyy·b2c2``.
    """
    _, b1, c1, e1 = x
    _, b2, c2, e2 = y
    d12 = d1 + d2
    B = DU | DV
    g1 = P(fx, "", b1, d1, DV) + P(fy, "", b2, d1, DV)
    g2 = g1 if (b1 is c1 and b2 is c2) else P(fx, "", c1, d2, DV) + P(fy, "", c2, d2, DV)
    g12 = (
        P(fx, "", e1, d12, DV)
        + P(fy, "", e2, d12, DV)
        + P(P(fxx, "", b1, d1, DV), d1, c1, d2, B)
        + P(P(fxy, "", b1, d1, DV), d1, c2, d2, B)
        + P(P(fxy, "", b2, d1, DV), d1, c1, d2, B)
        + P(P(fyy, "", b2, d1, DV), d1, c2, d2, B)
    )
    return f, g1, g2, g12


def hyper_product(x, y, d1: str, d2: str, P=emul):
    """``x·y``: ``a1a2 + (a1b2 + b1a2)ε1 + (a1c2 + c1a2)ε2 + (a1d2 + b1c2 + c1b2 + d1a2)ε1ε2``."""
    a1, b1, c1, e1 = x
    a2, b2, c2, e2 = y
    d12 = d1 + d2
    g1 = _add(P(a1, "", b2, d1, DV), P(b1, d1, a2, "", DU))
    g2 = g1 if (b1 is c1 and b2 is c2) else _add(P(a1, "", c2, d2, DV), P(c1, d2, a2, "", DU))
    # Grouped as (a1d2 + d1a2) + (b1c2 + c1b2) so that x·y and y·x are bitwise equal.
    g12 = _add(
        _add(P(a1, "", e2, d12, DV), P(e1, d12, a2, "", DU)),
        _add(P(b1, d1, c2, d2, DU | DV), P(c1, d2, b2, d1, DU | DV)),
    )
    return P(a1, "", a2, "", 0), g1, g2, g12


def hyper_quotient(x, y, d1: str, d2: str, P=emul, D=ediv):
    """``x / y`` written out: ``q = a1/a2``, ``g1 = (b1 - q·b2)/a2``, ``g2`` likewise, and
    ``g12 = (d1 - q·d2 - g1·c2 - g2·b2)/a2`` (from ``q·y = x`` order by order)."""
    a1, b1, c1, e1 = x
    a2, b2, c2, e2 = y
    d12 = d1 + d2
    B = DU | DV
    q = a1 / a2
    g1 = D(b1 - P(q, "", b2, d1, DV), a2, d1)
    g2 = g1 if (b1 is c1 and b2 is c2) else D(c1 - P(q, "", c2, d2, DV), a2, d2)
    num = e1 - P(q, "", e2, d12, DV) - P(g1, d1, c2, d2, B) - P(g2, d2, b2, d1, B)
    return q, g1, g2, D(num, a2, d12)


# ---------------------------------------------------------------- NaN-safe operators


def _floating(r) -> bool:
    """A float component (the rule applies), not an object component (a plain product)."""
    t = type(r)
    if t is np.ndarray:
        return r.dtype.kind in "fc"
    return t is float or isinstance(r, np.floating | np.complexfloating)


def has_nan(parts) -> bool:
    """Whether some float component of ``parts`` may hold a nan (``False``: surely none;
    ``True`` may be a false alarm, which only costs the NaN-safe recompute). A shared part
    is checked once.

    One pass each: two small parts of one size go to one ``np.dot`` (a nan in either makes
    it nan; a call costs about a third of a reduction's at 10³ elements, and BLAS runs it on
    one thread below :data:`_SMALL`); a larger part to ``np.minimum.reduce``, which
    propagates a nan, in place (a threaded BLAS call's wake-up costs milliseconds on a busy
    machine).
    """
    a, b = parts[0], parts[-1]
    if (  # the common case, kept short: fresh 1-d float64 parts of one small size
        type(a) is _NDARRAY
        and type(b) is _NDARRAY
        and a.base is None
        and b.base is None
        and a.dtype is _F8
        and b.dtype is _F8
        and a.ndim == 1
        and a.shape == b.shape
        and a.size <= _SMALL
    ):
        m = _DOT(a, b)
        if m != m:
            return True
        c = parts[1] if len(parts) == 3 else a
        return c is not a and c is not b and _has_nan(c)
    return _has_nan(*parts)


def _has_nan(*parts) -> bool:
    """:func:`has_nan`, any layout."""
    todo = []
    for p in parts:
        if type(p) is np.ndarray:
            if p.dtype.kind not in "fc" or not p.size or p.base is ZERO or p.base is ONE:
                continue
            if not todo or p is not todo[-1]:
                todo.append(p)
        elif _floating(p) and p != p:
            return True
    while todo:
        p = todo.pop()
        if p.dtype.kind == "c":
            if np.isnan(p).any():
                return True
            continue
        if p.size <= _SMALL and p.flags.c_contiguous:
            q = todo[-1] if todo else p
            if q.size == p.size and q.dtype.kind == "f" and q.flags.c_contiguous:
                if q is not p:
                    todo.pop()
            else:
                q = p
            m = _DOT(p.reshape(-1), q.reshape(-1))
        else:
            m = _MIN(p, axis=None)
        if m != m:
            return True
    return False


_SMALL = 8192
_DOT = np.dot
_NDARRAY = np.ndarray
_F8 = np.dtype(np.float64)
_MIN = np.minimum.reduce
_SUM = np.add.reduce


def all_finite(values) -> bool:
    """Whether every float entry of ``values`` is finite; ``False`` may be a false alarm (a
    sum that overflows), which only costs the NaN-safe recompute. One pass each."""
    for a in values:
        if type(a) is np.ndarray:
            if a.dtype.kind not in "fc" or not a.size or a.base is ZERO or a.base is ONE:
                continue
            t = _SUM(a, axis=None)
            if not t - t == 0:
                return False
        elif _floating(a) and not a - a == 0:
            return False
    return True


def _nonzero(u, z: int, flag: int, like):
    """Where factor ``u`` does not absorb: ``u != 0`` if it is a derivative part (``flag`` in
    ``z``), else everywhere (an array of ``True`` shaped like ``like``)."""
    if z & flag:
        return np.not_equal(u, 0.0)
    return np.ones(np.shape(like), dtype=bool)


def safe_emul(u, du: str, v, dv: str, z: int = 0):
    """:func:`emul` with the NaN-safe rule: a term whose derivative factor is zero is zero."""
    r = emul(u, du, v, dv)
    if not z or not _floating(r):
        return r
    bad = np.isnan(r)
    if not bad.any():
        return r
    keep = emul(_nonzero(u, z, DU, u), du, _nonzero(v, z, DV, v), dv)
    r = np.where(bad & ~keep, 0.0, r)
    return r if np.ndim(r) else r[()]


def safe_div(num, den, dirs: str):
    """:func:`ediv` with the NaN-safe rule: a zero derivative part over a zero (or nan)
    value is zero."""
    r = ediv(num, den, dirs)
    if not _floating(r):
        return r
    bad = np.isnan(r)
    if not bad.any():
        return r
    r = np.where(bad & np.equal(num, 0.0), 0.0, r)
    return r if np.ndim(r) else r[()]


def safe(P):
    """The NaN-safe version of the product operator ``P``: :func:`safe_emul` for ``emul``;
    for a contraction (a sum of products, see :mod:`dualdiff._functions`) the finite terms
    are contracted as they are and the non-finite ones are counted by sign, so that a term
    whose derivative factor is zero drops out of the sum."""
    if P is emul:
        return safe_emul

    def S(u, du: str, v, dv: str, z: int = 0):
        r = P(u, du, v, dv)
        if not z or np.asarray(r).dtype.kind != "f" or not has_nan((r,)):
            return r  # object or complex components: the plain product
        return _safe_contraction(P, u, du, v, dv, z)

    return S


def _safe_contraction(P, u, du, v, dv, z):
    """``P(u, v)`` term by term under the NaN-safe rule, for a bilinear ``P`` (a sum of
    products): ``P`` of the finite parts, plus ``±inf`` where the remaining terms are
    infinite of one sign, ``nan`` where one is nan or they are of both signs."""
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    fu, fv = np.isfinite(u), np.isfinite(v)
    base = P(np.where(fu, u, 0.0), du, np.where(fv, v, 0.0), dv)

    def count(a, b):
        return P(a.astype(float), du, b.astype(float), dv)

    nu, nv = np.isnan(u), np.isnan(v)
    # Terms that stay: not absorbed by a zero derivative factor.
    ku = (u != 0.0) if z & DU else np.ones(u.shape, dtype=bool)
    kv = (v != 0.0) if z & DV else np.ones(v.shape, dtype=bool)
    iu, iv = ~fu & ~nu, ~fv & ~nv  # infinite entries
    pu, mu, pv, mv = u > 0, u < 0, v > 0, v < 0
    plus = count(iu & pu, pv & kv) + count(iu & mu, mv & kv)
    plus = plus + count(pu & fu & ku, iv & pv) + count(mu & fu & ku, iv & mv)
    minus = count(iu & pu, mv & kv) + count(iu & mu, pv & kv)
    minus = minus + count(pu & fu & ku, iv & mv) + count(mu & fu & ku, iv & pv)
    nan = count(nu, kv) + count(ku & ~nu, nv)  # nan times a factor that stays
    nan = nan + count(iu, (v == 0.0) & kv) + count((u == 0.0) & ku, iv)  # 0·inf that stays
    inf = np.where(plus > 0, np.inf, 0.0) - np.where(minus > 0, np.inf, 0.0)  # nan if both
    r = np.where(nan > 0, np.nan, base + inf)
    return r if np.ndim(r) else r[()]


# ---------------------------------------------------------------- scalar forms (P = *)
# The same formulas with plain products, for Python floats and for Numba. They exist only
# because a call of ``emul`` per product costs more than the whole scalar operation.


def scalar_dual_quotient(a1, b1, a2, b2):
    q = a1 / a2
    return q, (b1 - q * b2) / a2


def scalar_hyper_chain(f0, f1, f2, b, c, d):
    return f0, f1 * b, f1 * c, f1 * d + f2 * b * c


def scalar_hyper_quotient(a1, b1, c1, d1, a2, b2, c2, d2):
    q = a1 / a2
    g1 = (b1 - q * b2) / a2
    g2 = (c1 - q * c2) / a2
    return q, g1, g2, (d1 - q * d2 - g1 * c2 - g2 * b2) / a2
