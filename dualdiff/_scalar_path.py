"""The rules of :mod:`dualdiff._rules` compiled for Python floats (math instead of numpy).

A scalar rule raises (``ZeroDivisionError``, ``ValueError``, ``OverflowError``) exactly where
IEEE arithmetic would produce ``inf`` or ``nan``; callers catch that and fall back to the numpy
rule on ``np.float64``, so the fast path never changes a result. Where :mod:`math` returns a
value numpy does not (``pow(-inf, 0.5)``), :mod:`dualdiff._scalar_math` follows numpy. A
chain-rule product that comes out ``nan`` also goes back to the engine, which applies the
structural-zero convention of Python floats (see :mod:`dualdiff._engine`).
``tests/test_ieee_parity.py`` holds this path to the numpy path on every rule at its edges.
"""

from __future__ import annotations

from . import _scalar_math
from ._rules import UNARY_RULES, power_const, scalar_version

SCALAR_UNARY = {u: scalar_version(r.fn, _scalar_math) for u, r in UNARY_RULES.items()}
_scalar_power_const = scalar_version(power_const, _scalar_math)


def scalar_power(a: float, y, order: int = 2):
    """``(f0, f1, f2)`` of ``a**y`` on Python floats, or None where IEEE special cases apply."""
    try:
        return _scalar_power_const(a, float(y), order)
    except (ArithmeticError, ValueError):
        return None
