"""How each number type combines a rule's coefficients: chain, product and quotient rules.

Notation: a dual number is ``a + b·ε``; a hyper-dual number is ``a + b·ε1 + c·ε2 + d·ε1ε2``
with ``ε² = ε1² = ε2² = 0``. A unary rule gives ``(f0, f1, f2)``, a binary rule
``(f, fx, fy, fxx, fxy, fyy)``. Then, for ``f`` applied to a hyper-dual number,

    f(x) = f0 + f1·b·ε1 + f1·c·ε2 + (f1·d + f2·b·c)·ε1ε2.

Every function here is written once against a product operator ``P(u, du, v, dv)``: ``u`` and
``v`` are components whose trailing *direction axes* are labelled by the strings ``du`` and
``dv`` (``""`` none, ``"y"`` the ε1 directions, ``"z"`` the ε2 directions, ``"yz"`` both), and
the product carries the labels of both factors in the order ``y`` then ``z``. For elementwise
arithmetic ``P`` is :func:`emul`; for matmul, dot and einsum it is a contraction over the
non-direction axes (see :mod:`dualdiff._functions`). The product and quotient rules are written
out rather than derived from ``f(x) = 1/x`` because ``x / y`` is not ``x * (1 / y)`` in floating
point.

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


def emul(u, du: str, v, dv: str):
    """Elementwise product of two components, taking the outer product of direction axes."""
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
    return f0, P(f1, "", b, dirs)


def dual_binary_chain(f, fx, fy, b1, b2, dirs: str, P=emul):
    """``f(x, y)`` for two dual arguments: ``f + (fx·b1 + fy·b2)·ε``."""
    return f, _add(P(fx, "", b1, dirs), P(fy, "", b2, dirs))


def dual_product(a1, b1, a2, b2, dirs: str, P=emul):
    """``(a1 + b1·ε)(a2 + b2·ε) = a1·a2 + (a1·b2 + b1·a2)·ε``."""
    return P(a1, "", a2, ""), _add(P(a1, "", b2, dirs), P(b1, dirs, a2, ""))


def dual_quotient(a1, b1, a2, b2, dirs: str):
    """``(a1 + b1·ε)/(a2 + b2·ε) = q + (b1 - q·b2)/a2·ε`` with ``q = a1/a2``."""
    q = a1 / a2
    return q, (b1 - emul(q, "", b2, dirs)) / expand(a2, dirs)


# ---------------------------------------------------------------- HyperDual


def hyper_chain(f0, f1, f2, b, c, d, d1: str, d2: str, P=emul):
    """``f(a + b·ε1 + c·ε2 + d·ε1ε2) = f0 + f1·b·ε1 + f1·c·ε2 + (f1·d + f2·b·c)·ε1ε2``.

    When ``b is c`` (the same seed in both directions, as for ``f''``) ``ε2``'s part is
    computed once and shared.
    """
    e1 = P(f1, "", b, d1)
    e2 = e1 if b is c else P(f1, "", c, d2)
    d12 = d1 + d2
    return f0, e1, e2, _add(P(f1, "", d, d12), P(P(f2, "", b, d1), d1, c, d2))


def hyper_binary_chain(f, fx, fy, fxx, fxy, fyy, x, y, d1: str, d2: str, P=emul):
    """``f(x, y)`` for two hyper-dual arguments ``x = (a1, b1, c1, d1)``, ``y = (a2, ...)``.

    ε1ε2 part: ``fx·d1 + fy·d2 + fxx·b1c1 + fxy·(b1c2 + b2c1) + fyy·b2c2``.
    """
    _, b1, c1, e1 = x
    _, b2, c2, e2 = y
    d12 = d1 + d2
    g1 = P(fx, "", b1, d1) + P(fy, "", b2, d1)
    g2 = g1 if (b1 is c1 and b2 is c2) else P(fx, "", c1, d2) + P(fy, "", c2, d2)
    g12 = (
        P(fx, "", e1, d12)
        + P(fy, "", e2, d12)
        + P(P(fxx, "", b1, d1), d1, c1, d2)
        + P(P(fxy, "", b1, d1), d1, c2, d2)
        + P(P(fxy, "", b2, d1), d1, c1, d2)
        + P(P(fyy, "", b2, d1), d1, c2, d2)
    )
    return f, g1, g2, g12


def hyper_product(x, y, d1: str, d2: str, P=emul):
    """``x·y``: ``a1a2 + (a1b2 + b1a2)ε1 + (a1c2 + c1a2)ε2 + (a1d2 + b1c2 + c1b2 + d1a2)ε1ε2``."""
    a1, b1, c1, e1 = x
    a2, b2, c2, e2 = y
    d12 = d1 + d2
    g1 = _add(P(a1, "", b2, d1), P(b1, d1, a2, ""))
    g2 = g1 if (b1 is c1 and b2 is c2) else _add(P(a1, "", c2, d2), P(c1, d2, a2, ""))
    # Grouped as (a1d2 + d1a2) + (b1c2 + c1b2) so that x·y and y·x are bitwise equal.
    g12 = _add(
        _add(P(a1, "", e2, d12), P(e1, d12, a2, "")),
        _add(P(b1, d1, c2, d2), P(c1, d2, b2, d1)),
    )
    return P(a1, "", a2, ""), g1, g2, g12


def hyper_quotient(x, y, d1: str, d2: str):
    """``x / y`` written out: ``q = a1/a2``, ``g1 = (b1 - q·b2)/a2``, ``g2`` likewise, and
    ``g12 = (d1 - q·d2 - g1·c2 - g2·b2)/a2`` (from ``q·y = x`` order by order)."""
    a1, b1, c1, e1 = x
    a2, b2, c2, e2 = y
    d12 = d1 + d2
    q = a1 / a2
    g1 = (b1 - emul(q, "", b2, d1)) / expand(a2, d1)
    g2 = g1 if (b1 is c1 and b2 is c2) else (c1 - emul(q, "", c2, d2)) / expand(a2, d2)
    num = e1 - emul(q, "", e2, d12) - emul(g1, d1, c2, d2) - emul(g2, d2, b2, d1)
    return q, g1, g2, num / expand(a2, d12)


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
