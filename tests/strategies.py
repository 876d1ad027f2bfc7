"""Hypothesis strategies and the independent references shared by the test modules.

Nothing here imports dualdiff: the references are mpmath at 50 significant digits and the
complex-step method, so a test never compares dualdiff with itself.

Tolerances are stated once, here:

- ``ULPS`` machine epsilons, *condition-number aware*: a computed derivative ``g(x)`` may
  differ from the exact one by ``ULPS * EPS * (|g| + |x g_x| + |y g_y|)``, i.e. by what a
  relative perturbation of ``ULPS * EPS`` in the inputs would cause. Near a simple zero of
  ``g`` the ``|x g_x|`` term is the absolute floor; ``MP_NOISE`` (far below one ulp) absorbs
  the noise of mpmath's numerical differentiation where ``g`` is identically zero.
- ``SPECIAL_ULPS`` for scipy.special rules, whose building blocks (scipy's own functions)
  are themselves only accurate to some tens of ulps.
- ``RTOL`` for composite computations (random compositions, numpy functions, drivers) where
  rounding accumulates over many operations and the reference itself is a floating-point
  computation (complex step, a hand-derived formula, scipy).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st
from mpmath import mp

EPS = float(np.finfo(np.float64).eps)
ULPS = 4
SPECIAL_ULPS = 64
MP_NOISE = 1e-30
RTOL = 1e-12
MP_DPS = 34
H_CS = 1e-100
"""Complex-step size: the truncation error ``h**2 f'''`` is far below one ulp."""


# ------------------------------------------------------------------------ sampling


def seed_of(name: str) -> int:
    """A stable seed from a name (so every run samples the same points)."""
    return zlib.crc32(name.encode())


def sample_interval(lo: float, hi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points strictly inside ``(lo, hi)``: uniform, plus log-uniform where the interval
    spans several orders of magnitude (so ``(1e-3, 1e3)`` is not all near ``1e3``)."""
    u = rng.uniform(lo, hi, n)
    if lo > 0.0 and hi / lo > 100.0:
        k = n // 2
        u[:k] = np.exp(rng.uniform(np.log(lo), np.log(hi), k))
    elif lo < 0.0 < hi and min(-lo, hi) > 100.0:
        k = n // 2
        m = min(-lo, hi)
        u[:k] = rng.choice([-1.0, 1.0], k) * np.exp(rng.uniform(np.log(1e-2), np.log(m), k))
    return np.clip(u, np.nextafter(lo, hi), np.nextafter(hi, lo))


# ------------------------------------------------------------------------ mpmath references


def mp_unary(fn: Callable, x: float, order: int = 3) -> list[float]:
    """``[f, f', ..., f^(order)]`` of the mpmath function ``fn`` at the double ``x``."""
    with mp.workdps(MP_DPS):
        return [float(d) for d in mp.diffs(fn, mp.mpf(float(x)), order)]


def mp_partials(fn: Callable, x: float, y: float, order: int = 3) -> dict:
    """``{(i, j): d^(i+j) fn / dx^i dy^j}`` for ``i + j <= order`` at the doubles ``x, y``."""
    with mp.workdps(MP_DPS):
        pt = (mp.mpf(float(x)), mp.mpf(float(y)))
        return {
            (i, n - i): float(mp.diff(fn, pt, (i, n - i)))
            for n in range(order + 1)
            for i in range(n + 1)
        }


def cond_bound(ulps: float, g, *terms) -> np.ndarray:
    """Allowed error of a computed ``g``: ``ulps * EPS * (|g| + sum |t|) + MP_NOISE * scale``.

    ``terms`` are the products ``x * dg/dx`` (one per argument).
    """
    scale = np.abs(g) + sum(np.abs(t) for t in terms)
    return ulps * EPS * scale + MP_NOISE * (1.0 + scale)


def assert_within(actual, desired, bound, what: str = "") -> None:
    """Elementwise ``|actual - desired| <= bound``, reporting the worst offender in ulps."""
    actual = np.asarray(actual, dtype=float)
    desired = np.asarray(desired, dtype=float)
    bound = np.broadcast_to(np.asarray(bound, dtype=float), desired.shape)
    actual = np.broadcast_to(actual, desired.shape)
    same_special = (np.isnan(actual) & np.isnan(desired)) | (actual == desired)
    err = np.where(same_special, 0.0, np.abs(actual - desired))
    bad = ~(err <= bound)
    if np.any(bad):
        i = np.unravel_index(
            np.argmax(np.where(bad, err / np.maximum(bound, 1e-300), 0)), bad.shape
        )
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} outside tolerance; worst at index {i}: "
            f"got {actual[i]!r}, reference {desired[i]!r}, error {err[i]:.3g} "
            f"> bound {bound[i]:.3g} ({err[i] / max(bound[i], 1e-300):.3g}x)"
        )


def assert_rel(actual, desired, rtol: float = RTOL, what: str = "") -> None:
    """Normwise ``max|actual - desired| <= rtol * max(1, max|desired|)`` with exact shapes."""
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    assert actual.shape == desired.shape, f"{what}: shape {actual.shape} != {desired.shape}"
    scale = max(1.0, float(np.max(np.abs(desired)))) if desired.size else 1.0
    err = float(np.max(np.abs(actual - desired))) if desired.size else 0.0
    assert err <= rtol * scale, f"{what}: error {err:.3g} > {rtol:.1g} * {scale:.3g}"


# ------------------------------------------------------------------------ complex step


def complex_step(f: Callable, x, v=1.0, h: float = H_CS):
    """Directional derivative ``d/dt f(x + t v)`` at ``t = 0`` by the complex-step method."""
    x = np.asarray(x, dtype=float)
    return np.imag(f(x + 1j * h * np.asarray(v, dtype=float))) / h


def complex_step_second(f: Callable, x, v1, v2, delta: float = 1e-3):
    """Mixed second directional derivative ``d2/dt ds f(x + t v1 + s v2)`` at ``0``.

    Complex step in ``t``, fourth-order central differences in ``s``: the result is exact
    for polynomials of degree <= 4 in ``s`` and accurate to about ``1e-11`` relative for
    smooth functions of moderate size.
    """
    x = np.asarray(x, dtype=float)
    v2 = np.asarray(v2, dtype=float)

    def g(s):
        return complex_step(f, x + s * v2, v1)

    return (-g(2 * delta) + 8 * g(delta) - 8 * g(-delta) + g(-2 * delta)) / (12 * delta)


# ------------------------------------------------------------------------ strategies


def floats_in(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in the closed interval ``[lo, hi]``."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def nice_floats(bound: float = 10.0) -> st.SearchStrategy[float]:
    """Floats in ``[-bound, bound]`` that are either 0 or of magnitude at least 1e-3."""
    return floats_in(-bound, bound).filter(lambda v: v == 0.0 or abs(v) >= 1e-3)


def float_arrays(shape: Sequence[int], bound: float = 10.0) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` with entries from :func:`nice_floats`."""
    n = int(np.prod(shape, dtype=int))
    return st.lists(nice_floats(bound), min_size=n, max_size=n).map(
        lambda v: np.array(v, dtype=float).reshape(shape)
    )


# -------------------------------------------------- random compositions of elementary functions
#
# An expression is a tree of nodes from OPS; every node maps the reals into the reals
# analytically (so the complex-step method applies) and keeps values moderate (so nothing
# overflows). Each node knows how to evaluate on numpy objects (floats, complex arrays, dual
# numbers) and on mpmath numbers (the 50-digit reference).


class Op:
    """A node kind: ``arity`` arguments, a numpy form and an mpmath form."""

    def __init__(self, name: str, arity: int, np_fn: Callable, mp_fn: Callable, cs_fn=None):
        self.name = name
        self.arity = arity
        self.np_fn = np_fn
        self.mp_fn = mp_fn
        self.cs_fn = np_fn if cs_fn is None else cs_fn
        """Form used for the complex step (numpy lacks complex hypot, arctan2, ...)."""

    def __repr__(self) -> str:
        return self.name


UNARY_OPS = [
    Op("sin", 1, np.sin, mp.sin),
    Op("cos", 1, np.cos, mp.cos),
    Op("tanh", 1, np.tanh, mp.tanh),
    Op("arctan", 1, np.arctan, mp.atan),
    Op("arcsinh", 1, np.arcsinh, mp.asinh),
    Op("exp∘sin", 1, lambda a: np.exp(np.sin(a)), lambda a: mp.exp(mp.sin(a))),
    Op("exp(-a²)", 1, lambda a: np.exp(-(a * a)), lambda a: mp.exp(-(a * a))),
    Op("sqrt(1+a²)", 1, lambda a: np.sqrt(1.0 + a**2), lambda a: mp.sqrt(1 + a * a)),
    Op("log1p(a²)", 1, lambda a: np.log1p(np.square(a)), lambda a: mp.log1p(a * a)),
    Op("log(2+cos)", 1, lambda a: np.log(2.0 + np.cos(a)), lambda a: mp.log(2 + mp.cos(a))),
    Op("1/(1+a²)", 1, lambda a: 1.0 / (1.0 + a * a), lambda a: 1 / (1 + a * a)),
    Op(
        "cbrt(2+sin)",
        1,
        lambda a: np.cbrt(2.0 + np.sin(a)),
        lambda a: mp.cbrt(2 + mp.sin(a)),
        lambda a: (2.0 + np.sin(a)) ** (1.0 / 3.0),
    ),
    Op("a**3", 1, lambda a: a**3, lambda a: a**3),
    Op("-a", 1, lambda a: -a, lambda a: -a),
    Op("0.5a-1", 1, lambda a: 0.5 * a - 1.0, lambda a: a / 2 - 1),
    Op("arcsin(tanh)", 1, lambda a: np.arcsin(0.5 * np.tanh(a)), lambda a: mp.asin(mp.tanh(a) / 2)),
    Op("expm1(sin)", 1, lambda a: np.expm1(np.sin(a)), lambda a: mp.expm1(mp.sin(a))),
]

BINARY_OPS = [
    Op("+", 2, lambda a, b: a + b, lambda a, b: a + b),
    Op("-", 2, lambda a, b: a - b, lambda a, b: a - b),
    Op("*", 2, lambda a, b: a * b, lambda a, b: a * b),
    Op("a/(1+b²)", 2, lambda a, b: a / (1.0 + b * b), lambda a, b: a / (1 + b * b)),
    Op("a/(2+sin b)", 2, lambda a, b: a / (2.0 + np.sin(b)), lambda a, b: a / (2 + mp.sin(b))),
    Op(
        "(1+a²)**sin(b)",
        2,
        lambda a, b: (1.0 + a * a) ** np.sin(b),
        lambda a, b: mp.power(1 + a * a, mp.sin(b)),
    ),
    Op(
        "hypot(a,1+b²)",
        2,
        lambda a, b: np.hypot(a, 1.0 + b * b),
        lambda a, b: mp.hypot(a, 1 + b * b),
        lambda a, b: np.sqrt(a * a + (1.0 + b * b) ** 2),
    ),
    Op(
        "arctan2(a,2+cos b)",
        2,
        lambda a, b: np.arctan2(a, 2.0 + np.cos(b)),
        lambda a, b: mp.atan2(a, 2 + mp.cos(b)),
        lambda a, b: np.arctan(a / (2.0 + np.cos(b))),
    ),
    Op(
        "logaddexp(sin a,b)",
        2,
        lambda a, b: np.logaddexp(np.sin(a), np.tanh(b)),
        lambda a, b: mp.log(mp.exp(mp.sin(a)) + mp.exp(mp.tanh(b))),
        lambda a, b: np.log(np.exp(np.sin(a)) + np.exp(np.tanh(b))),
    ),
]


class Expr:
    """An expression tree over the variable ``x`` and float constants."""

    def __init__(self, op: Op | None, args: tuple = (), const: float | None = None):
        self.op = op
        self.args = args
        self.const = const

    def __repr__(self) -> str:
        if self.op is None:
            return "x" if self.const is None else repr(self.const)
        return f"{self.op.name}({', '.join(map(repr, self.args))})"

    def np_eval(self, x):
        if self.op is None:
            return x if self.const is None else self.const
        return self.op.np_fn(*(a.np_eval(x) for a in self.args))

    def cs_eval(self, x):
        if self.op is None:
            return x if self.const is None else self.const
        return self.op.cs_fn(*(a.cs_eval(x) for a in self.args))

    def has_x(self) -> bool:
        if self.op is None:
            return self.const is None
        return any(a.has_x() for a in self.args)

    def mp_eval(self, x):
        if self.op is None:
            return x if self.const is None else mp.mpf(self.const)
        return self.op.mp_fn(*(a.mp_eval(x) for a in self.args))


_LEAVES = st.one_of(
    st.just(Expr(None)),
    st.just(Expr(None)),
    floats_in(-3.0, 3.0).map(lambda c: Expr(None, const=c)),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(lambda op, a: Expr(op, (a,)), st.sampled_from(UNARY_OPS), children),
        st.builds(
            lambda op, a, b: Expr(op, (a, b)), st.sampled_from(BINARY_OPS), children, children
        ),
    )


expressions = st.recursive(_LEAVES, _extend, max_leaves=6)
"""Random expression trees in one variable ``x`` (see :class:`Expr`)."""
