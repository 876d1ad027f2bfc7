"""The calculus table: value, first and second derivative of every ruled numpy ufunc.

Each unary rule maps ``x`` to ``(f0, f1, f2)`` = (f(x), f'(x), f''(x)); each binary rule
maps ``(x, y)`` to ``(f, fx, fy, fxx, fxy, fyy)``. Intermediates are shared between the three
orders. This module is the only place in dualdiff that knows a derivative formula: the number
types (through :mod:`dualdiff._algebra`), the numpy dispatch and the Numba kernels all consume
these tables.

Rules are written as plain numpy code against the module-global name ``np``. The scalar path
runs the very same code objects with ``np`` rebound to :mod:`dualdiff._scalar_math` (the
:mod:`math` module under numpy's names), which is what makes Python-float duals fast; see
:func:`scalar_version`.

Formulas are chosen to stay accurate at the edges: ``tanh'`` is ``sech²`` (not ``1 - tanh²``,
which cancels for large ``|x|``), ``arcsin'`` uses ``(1 - x)(1 + x)`` (not ``1 - x²``), hypot
and arctan2 scale by the hypotenuse so they do not overflow, logaddexp uses ``exp(x - f)``.
IEEE semantics are kept: ``sqrt'(0)`` is ``inf`` and ``log'`` of a negative number is used as
computed while the value itself is ``nan``.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

LN2 = math.log(2.0)
LN10 = math.log(10.0)
DEG = math.pi / 180.0
RAD = 180.0 / math.pi


class UnaryRule(NamedTuple):
    """``fn(x, order=2) -> (f0, f1, f2)`` on the open interval ``domain`` (where tests sample).

    With ``order=1`` the rule may return ``None`` for ``f2`` and skip computing it (dual
    numbers need no second derivative).
    """

    ufunc: Callable
    fn: Callable
    domain: tuple[float, float]


class BinaryRule(NamedTuple):
    """``fn(x, y, order=2) -> (f, fx, fy, fxx, fxy, fyy)``; ``domain`` is ``(x_range, y_range)``.

    With ``order=1`` the second derivatives may be ``None``.
    """

    ufunc: Callable
    fn: Callable
    domain: tuple[tuple[float, float], tuple[float, float]]


class ParametricRule(NamedTuple):
    """A ufunc of ``n`` inputs differentiated in one of them, ``args[wrt]``, the others being
    parameters: ``fn(*args, order=2) -> (f0, f1, f2)``, derivatives in ``args[wrt]``.

    For an order that is an integer (``jn(n, x)``, ``eval_legendre(n, x)``) or a parameter
    whose derivative has no closed form in scipy (``jv`` in its order ``v``, ``betainc`` in
    ``a`` and ``b``). A parameter given as a dual number with non-zero derivative parts is an
    error (:mod:`dualdiff._ufuncs`), never a silent zero. ``names`` are the arguments' names
    (for messages), ``domain`` one ``(lo, hi)`` per argument (where tests sample) and
    ``integers`` the positions that only take integers.

    This is dualdiff's n-ary rule: every scipy.special ufunc of three or four inputs with a
    closed-form derivative has it in one argument only. A ufunc differentiable in several of
    three or more arguments (Carlson's ``elliprf``) would need an n-ary chain rule in
    :mod:`dualdiff._algebra`; none is written until a rule needs it.
    """

    ufunc: Callable
    fn: Callable
    domain: tuple
    wrt: int
    names: tuple
    integers: tuple = ()


UNARY_RULES: dict = {}
BINARY_RULES: dict = {}
PARAMETRIC_RULES: dict = {}


def unary(ufunc, domain=(-10.0, 10.0), table=None):
    """Register ``fn`` as the unary rule of ``ufunc`` (and of its aliases)."""

    def register(fn):
        (UNARY_RULES if table is None else table)[ufunc] = UnaryRule(ufunc, fn, domain)
        return fn

    return register


def binary(ufunc, domain=((-10.0, 10.0), (-10.0, 10.0)), table=None):
    """Register ``fn`` as the binary rule of ``ufunc``."""

    def register(fn):
        (BINARY_RULES if table is None else table)[ufunc] = BinaryRule(ufunc, fn, domain)
        return fn

    return register


def parametric(ufunc, names: str, domain, integers=(), table=None):
    """Register ``fn`` as the parametric rule of ``ufunc``; ``names`` like ``"v, x*"``: the
    argument names in order, ``*`` marking the one differentiated."""
    args = tuple(n.strip() for n in names.split(","))
    wrt = next(i for i, n in enumerate(args) if n.endswith("*"))
    args = tuple(n.rstrip("*") for n in args)

    def register(fn):
        rule = ParametricRule(ufunc, fn, tuple(domain), wrt, args, tuple(integers))
        (PARAMETRIC_RULES if table is None else table)[ufunc] = rule
        return fn

    return register


# ---------------------------------------------------------------- powers and roots


@unary(np.sqrt, domain=(1e-3, 1e3))
def _sqrt(x, order=2):
    s = np.sqrt(x)
    f1 = 0.5 / s
    return s, f1, (-0.5 * f1 / x if order > 1 else None)


@unary(np.cbrt, domain=(-1e3, 1e3))
def _cbrt(x, order=2):
    c = np.cbrt(x)
    f1 = 1.0 / (3.0 * c * c)
    return c, f1, ((-2.0 / 3.0) * f1 / x if order > 1 else None)


@unary(np.square)
def _square(x, order=2):
    return x * x, 2.0 * x, (2.0 + 0.0 * x if order > 1 else None)


@unary(np.reciprocal, domain=(0.05, 20.0))
def _reciprocal(x, order=2):
    r = 1.0 / x
    f1 = -r * r
    return r, f1, (-2.0 * f1 * r if order > 1 else None)


@unary(np.absolute)
def _absolute(x, order=2):
    return np.absolute(x), np.sign(x), (0.0 * x if order > 1 else None)


@unary(np.fabs)
def _fabs(x, order=2):
    return np.fabs(x), np.sign(x), (0.0 * x if order > 1 else None)


# ---------------------------------------------------------------- exponentials and logarithms


@unary(np.exp, domain=(-30.0, 30.0))
def _exp(x, order=2):
    e = np.exp(x)
    return e, e, (e if order > 1 else None)


@unary(np.exp2, domain=(-30.0, 30.0))
def _exp2(x, order=2):
    e = np.exp2(x)
    f1 = LN2 * e
    return e, f1, (LN2 * f1 if order > 1 else None)


@unary(np.expm1, domain=(-30.0, 30.0))
def _expm1(x, order=2):
    e = np.exp(x)
    return np.expm1(x), e, (e if order > 1 else None)


@unary(np.log, domain=(1e-3, 1e3))
def _log(x, order=2):
    r = 1.0 / x
    return np.log(x), r, (-r * r if order > 1 else None)


@unary(np.log2, domain=(1e-3, 1e3))
def _log2(x, order=2):
    r = 1.0 / x
    f1 = r / LN2
    return np.log2(x), f1, (-f1 * r if order > 1 else None)


@unary(np.log10, domain=(1e-3, 1e3))
def _log10(x, order=2):
    r = 1.0 / x
    f1 = r / LN10
    return np.log10(x), f1, (-f1 * r if order > 1 else None)


@unary(np.log1p, domain=(-0.99, 1e3))
def _log1p(x, order=2):
    r = 1.0 / (1.0 + x)
    return np.log1p(x), r, (-r * r if order > 1 else None)


# ---------------------------------------------------------------- trigonometric


@unary(np.sin)
def _sin(x, order=2):
    s = np.sin(x)
    return s, np.cos(x), (-s if order > 1 else None)


@unary(np.cos)
def _cos(x, order=2):
    c = np.cos(x)
    return c, -np.sin(x), (-c if order > 1 else None)


@unary(np.tan, domain=(-1.5, 1.5))
def _tan(x, order=2):
    t = np.tan(x)
    f1 = 1.0 + t * t
    return t, f1, (2.0 * t * f1 if order > 1 else None)


@unary(np.arcsin, domain=(-0.999, 0.999))
def _arcsin(x, order=2):
    g = 1.0 / np.sqrt((1.0 - x) * (1.0 + x))
    return np.arcsin(x), g, (x * g * g * g if order > 1 else None)


@unary(np.arccos, domain=(-0.999, 0.999))
def _arccos(x, order=2):
    g = 1.0 / np.sqrt((1.0 - x) * (1.0 + x))
    return np.arccos(x), -g, (-x * g * g * g if order > 1 else None)


@unary(np.arctan)
def _arctan(x, order=2):
    f1 = 1.0 / (1.0 + x * x)
    return np.arctan(x), f1, (-2.0 * x * f1 * f1 if order > 1 else None)


@unary(np.deg2rad)
def _deg2rad(x, order=2):
    return np.deg2rad(x), DEG + 0.0 * x, (0.0 * x if order > 1 else None)


@unary(np.rad2deg)
def _rad2deg(x, order=2):
    return np.rad2deg(x), RAD + 0.0 * x, (0.0 * x if order > 1 else None)


unary(np.radians)(_deg2rad)  # separate ufunc objects with the same calculus
unary(np.degrees)(_rad2deg)

# ---------------------------------------------------------------- hyperbolic


@unary(np.sinh, domain=(-20.0, 20.0))
def _sinh(x, order=2):
    s = np.sinh(x)
    return s, np.cosh(x), (s if order > 1 else None)


@unary(np.cosh, domain=(-20.0, 20.0))
def _cosh(x, order=2):
    c = np.cosh(x)
    return c, np.sinh(x), (c if order > 1 else None)


@unary(np.tanh, domain=(-20.0, 20.0))
def _tanh(x, order=2):
    t = np.tanh(x)
    c = np.cosh(x)
    f1 = 1.0 / (c * c)
    return t, f1, (-2.0 * t * f1 if order > 1 else None)


@unary(np.arcsinh, domain=(-1e3, 1e3))
def _arcsinh(x, order=2):
    g = 1.0 / np.hypot(1.0, x)
    return np.arcsinh(x), g, (-x * g * g * g if order > 1 else None)


@unary(np.arccosh, domain=(1.001, 1e3))
def _arccosh(x, order=2):
    g = 1.0 / np.sqrt((x - 1.0) * (x + 1.0))
    return np.arccosh(x), g, (-x * g * g * g if order > 1 else None)


@unary(np.arctanh, domain=(-0.999, 0.999))
def _arctanh(x, order=2):
    g = 1.0 / ((1.0 - x) * (1.0 + x))
    return np.arctanh(x), g, (2.0 * x * g * g if order > 1 else None)


# ---------------------------------------------------------------- binary


def _power_rule(x, y, order=2):
    f = np.power(x, y)
    ym1 = np.power(x, y - 1.0)
    # d/dy x**y = x**y log x. For x < 0 (integer y) this is the real part of the complex
    # derivative, which is what the complex-step method returns; for x == 0 the limit is 0.
    lx = np.log(np.absolute(x))
    fy = np.where(x == 0.0, 0.0, f * lx)
    fxy = np.where(x == 0.0, 0.0, ym1 * (1.0 + y * lx))
    fyy = np.where(x == 0.0, 0.0, fy * lx)
    # x**0 is constant: its x-derivatives are 0 even at x == 0 (where 0 * 0**-1 is nan);
    # x**1 is linear: its second x-derivative is 0 there too (not 0 * 0**-1).
    fx = np.where(y == 0.0, 0.0, y * ym1)
    if order < 2:
        return f, fx, fy, None, None, None
    fxx = np.where((y == 0.0) | (y == 1.0), 0.0, y * (y - 1.0) * np.power(x, y - 2.0))
    return f, fx, fy, fxx, fxy, fyy


binary(np.power, domain=((0.1, 10.0), (-3.0, 3.0)))(_power_rule)
binary(np.float_power, domain=((0.1, 10.0), (-3.0, 3.0)))(_power_rule)


def _const(x, c):
    """``c`` in the shape of ``x``, also at ``x = ±inf`` or nan (where ``c + 0.0 * x`` is nan):
    the derivatives of a polynomial of degree at most 2 that do not depend on ``x``, as
    :func:`_power_rule` gives them for the same exponents."""
    return np.where(x == x, c, c)


def power_const(x, y, order=2):
    """``x**y`` for a constant exponent ``y``: ``(f0, f1, f2)``.

    The value is ``np.power(x, y)`` itself, so it is bit-identical to numpy's. The integer
    exponents 0, 1, 2 are polynomials and exact at ``x = 0`` (where the general formula
    meets ``0 * 0**-1``): ``x**0 -> (1, 0, 0)``, ``x**1 -> (x, 1, 0)``, ``x**2 -> (x², 2x, 2)``.
    """
    f0 = np.power(x, y)
    if y == 2.0:
        return f0, 2.0 * x, (_const(x, 2.0) if order > 1 else None)
    if y == 1.0:
        return f0, _const(x, 1.0), (_const(x, 0.0) if order > 1 else None)
    if y == 0.0:
        return f0, _const(x, 0.0), (_const(x, 0.0) if order > 1 else None)
    f1 = y * np.power(x, y - 1.0)
    return f0, f1, ((y * (y - 1.0)) * np.power(x, y - 2.0) if order > 1 else None)


@binary(np.arctan2)
def _arctan2(x, y, order=2):
    # f = atan2(x, y): x is the ordinate. Scale by h = hypot(x, y) so nothing overflows.
    h = np.hypot(x, y)
    u = x / h
    v = y / h
    uv = 2.0 * u * v / h / h
    if order < 2:
        return np.arctan2(x, y), v / h, -u / h, None, None, None
    return np.arctan2(x, y), v / h, -u / h, -uv, (u * u - v * v) / h / h, uv


@binary(np.hypot)
def _hypot(x, y, order=2):
    h = np.hypot(x, y)
    u = x / h
    v = y / h
    if order < 2:
        return h, u, v, None, None, None
    return h, u, v, v * v / h, -u * v / h, u * u / h


def _select_first(x, y):
    """Weight of the first argument of max/min: 1 where it wins, 1/2 on a tie (as JAX does)."""
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


def _kinked(f, fx, fy, order):
    """Rule result of a function that is linear between kinks: zero second derivatives."""
    if order < 2:
        return f, fx, fy, None, None, None
    z = 0.0 * fx
    return f, fx, fy, z, z, z


@binary(np.maximum)
def _maximum(x, y, order=2):
    w = _select_first(x, y)
    return _kinked(np.maximum(x, y), w, 1.0 - w, order)


@binary(np.minimum)
def _minimum(x, y, order=2):
    w = _select_first(y, x)
    return _kinked(np.minimum(x, y), w, 1.0 - w, order)


@binary(np.fmax)
def _fmax(x, y, order=2):
    # fmax ignores a nan argument, so the derivative follows the other one.
    w = np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, _select_first(x, y)))
    return _kinked(np.fmax(x, y), w, 1.0 - w, order)


@binary(np.fmin)
def _fmin(x, y, order=2):
    w = np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, _select_first(y, x)))
    return _kinked(np.fmin(x, y), w, 1.0 - w, order)


@binary(np.logaddexp)
def _logaddexp(x, y, order=2):
    f = np.logaddexp(x, y)
    p = np.exp(x - f)
    q = np.exp(y - f)
    pq = p * q
    if order < 2:
        return f, p, q, None, None, None
    return f, p, q, pq, -pq, pq


@binary(np.logaddexp2)
def _logaddexp2(x, y, order=2):
    f = np.logaddexp2(x, y)
    p = np.exp2(x - f)
    q = np.exp2(y - f)
    pq = LN2 * p * q
    if order < 2:
        return f, p, q, None, None, None
    return f, p, q, pq, -pq, pq


@binary(np.copysign)
def _copysign(x, y, order=2):
    s = np.where(np.signbit(x) == np.signbit(y), 1.0, -1.0)
    return _kinked(np.copysign(x, y), s, 0.0 * s, order)


@binary(np.fmod, domain=((-10.0, 10.0), (0.5, 3.0)))
def _fmod(x, y, order=2):
    # fmod(x, y) = x - n y with n = trunc(x / y) locally constant.
    f = np.fmod(x, y)
    n = np.rint((x - f) / y)
    return _kinked(f, 1.0 + 0.0 * n, -n, order)


@binary(np.remainder, domain=((-10.0, 10.0), (0.5, 3.0)))
def _remainder(x, y, order=2):
    # remainder(x, y) = x - n y with n = floor(x / y) locally constant; np.mod is this ufunc.
    f = np.remainder(x, y)
    n = np.rint((x - f) / y)
    return _kinked(f, 1.0 + 0.0 * n, -n, order)


# ---------------------------------------------------------------- complex arguments
# A complex dual number z + t·v (t a real infinitesimal) meets a holomorphic function g as
# g(z) + g'(z)·v·t: the chain rule is the same, with the complex derivative as coefficient.
# The rules below are checked on complex points against mpmath (tests/test_complex.py).

HOLOMORPHIC = frozenset(
    {
        np.sqrt, np.square, np.reciprocal, np.exp, np.exp2, np.expm1, np.log, np.log2,
        np.log10, np.log1p, np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh,
        np.cosh, np.tanh, np.arctanh, np.power, np.float_power,
    }
)  # fmt: skip
"""Ufuncs whose rule is also their complex derivative, on numpy's principal branches. Their
formulas serve complex arguments unchanged (``arcsin'`` = ``1/sqrt((1 - z)(1 + z))`` is the
principal branch's derivative off the cuts), except where :data:`COMPLEX_UNARY_RULES` or
:data:`COMPLEX_BINARY_RULES` give a complex form."""

COMPLEX_UNARY_RULES: dict = {}
COMPLEX_BINARY_RULES: dict = {}
"""The hand-written exceptions for complex arguments, each with its reason below."""


@unary(np.arcsinh, table=COMPLEX_UNARY_RULES)
def _arcsinh_complex(x, order=2):
    # np.hypot(1, x) (overflow-safe for real x) has no complex loop: 1/sqrt(1 + z²) instead.
    g = 1.0 / np.sqrt(1.0 + x * x)
    return np.arcsinh(x), g, (-x * g * g * g if order > 1 else None)


@unary(np.arccosh, table=COMPLEX_UNARY_RULES)
def _arccosh_complex(x, order=2):
    # numpy's branch is log(z + sqrt(z + 1)·sqrt(z - 1)), whose derivative is
    # 1/(sqrt(z - 1)·sqrt(z + 1)): not 1/sqrt((z - 1)(z + 1)) for Re z < 0.
    g = 1.0 / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0))
    return np.arccosh(x), g, (-x * g * g * g if order > 1 else None)


def _power_complex(x, y, order=2):
    # d/dy x**y = x**y log x with the principal log (the real rule's log|x| is the real part
    # of it, kept for real x < 0); 0 at x == 0 as in the real rule.
    f = np.power(x, y)
    ym1 = np.power(x, y - 1.0)
    lx = np.log(np.where(x == 0.0, 1.0, x))
    fy = np.where(x == 0.0, 0.0, f * lx)
    fx = np.where(y == 0.0, 0.0, y * ym1)
    if order < 2:
        return f, fx, fy, None, None, None
    fxy = np.where(x == 0.0, 0.0, ym1 * (1.0 + y * lx))
    fyy = np.where(x == 0.0, 0.0, fy * lx)
    fxx = np.where((y == 0.0) | (y == 1.0), 0.0, y * (y - 1.0) * np.power(x, y - 2.0))
    return f, fx, fy, fxx, fxy, fyy


binary(np.power, table=COMPLEX_BINARY_RULES)(_power_complex)
binary(np.float_power, table=COMPLEX_BINARY_RULES)(_power_complex)


def complex_rule(ufunc, nin: int):
    """The rule of ``ufunc`` for complex arguments, or None where it has none (not
    holomorphic, or no complex form in numpy)."""
    table = COMPLEX_UNARY_RULES if nin == 1 else COMPLEX_BINARY_RULES
    rule = table.get(ufunc)
    if rule is None and ufunc in HOLOMORPHIC:
        rule = (UNARY_RULES if nin == 1 else BINARY_RULES).get(ufunc)
    return rule


# ---------------------------------------------------------------- numpy functions, not ufuncs

FUNCTION_RULES: dict = {}
"""Rules of elementwise numpy functions that are not ufuncs (``np.sinc``). They run on the
numpy path only (:func:`dualdiff._engine.elementwise`): no kernel or scalar form is built from
this table, and the ufunc coverage does not count it."""

_SINC_SERIES = 16


@unary(np.sinc, domain=(-3.0, 3.0), table=FUNCTION_RULES)
def _sinc(x, order=2):
    # sinc(x) = sin(t)/t with t = πx. Near 0 the closed forms cancel (f'' loses 6ε/t²
    # relative), so |t| < 3/2 takes the Taylor series Σ (-1)^k t^2k / (2k+1)!, term by term.
    t = np.pi * np.asarray(x)  # complex arguments too: sinc is entire
    small = np.abs(t) < 1.5
    ts = np.where(small, t, 1.0)
    tl = np.where(small, 1.0, t)
    s, c = np.sin(tl), np.cos(tl)
    f_l = s / tl
    d_l = (tl * c - s) / (tl * tl)
    e_l = ((2.0 - tl * tl) * s - 2.0 * tl * c) / (tl * tl * tl)
    f_s = np.zeros_like(ts)
    d_s = np.zeros_like(ts)
    e_s = np.zeros_like(ts)
    t2 = ts * ts
    for k in range(_SINC_SERIES - 1, -1, -1):  # Horner in t², highest term first
        coef = (-1.0) ** k / math.factorial(2 * k + 1)
        f_s = f_s * t2 + coef
        if k >= 1:
            d_s = d_s * t2 + coef * 2 * k
            e_s = e_s * t2 + coef * 2 * k * (2 * k - 1)
    d_s = d_s * ts  # d/dt t^2k = 2k t^(2k-1)
    f0 = np.where(small, f_s, f_l)
    f1 = np.pi * np.where(small, d_s, d_l)
    f2 = np.pi * np.pi * np.where(small, e_s, e_l) if order > 1 else None
    return f0, f1, f2


# ---------------------------------------------------------------- the scalar path


def scalar_version(fn: Callable, namespace: types.ModuleType | types.SimpleNamespace):
    """Return ``fn`` with its global ``np`` rebound to ``namespace`` (same code object).

    This is how the Python-float path reuses each rule unchanged: the calculus stays written
    once, only the library that evaluates ``sin`` or ``sqrt`` differs.
    """
    glb = dict(fn.__globals__)
    glb["np"] = namespace
    for name in fn.__code__.co_names:
        helper = glb.get(name)
        if isinstance(helper, types.FunctionType) and helper.__globals__ is fn.__globals__:
            glb[name] = scalar_version(helper, namespace)
    return types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)
