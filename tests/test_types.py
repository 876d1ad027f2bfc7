"""The number types: construction, attributes, ring laws, the product and quotient rules, power.

References are exact rational arithmetic (``fractions.Fraction``) for the algebra and mpmath
for powers; the only dualdiff-against-dualdiff checks are the algebraic identities themselves
(ring laws, ``x / y`` against ``x * (1 / y)``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mpmath import mp
from strategies import EPS, floats_in, nice_floats

import dualdiff as dd

# ------------------------------------------------------------------------ helpers

DUAL_PARTS = ("value", "dual")
HYPER_PARTS = ("value", "eps1", "eps2", "eps12")


def parts(z):
    names = DUAL_PARTS if isinstance(z, dd.Dual) else HYPER_PARTS
    return [np.asarray(getattr(z, n), dtype=float) for n in names]


def assert_parts_close(a, b, scale, ulps=8):
    """Same type, and every part within ``ulps * EPS * scale`` (scale: per-part magnitudes)."""
    assert type(a) is type(b)
    for pa, pb, s in zip(parts(a), parts(b), scale, strict=True):
        assert np.all(np.abs(pa - pb) <= ulps * EPS * s + 1e-300), (pa, pb, s)


def magnitudes(*zs):
    """Per-part magnitude bound for expressions built from ``zs`` (products of sizes)."""
    m = max(max(float(np.max(np.abs(p))) for p in parts(z)) for z in zs)
    return m


duals = st.tuples(nice_floats(), nice_floats()).map(lambda t: dd.Dual(*t))
hyperduals = st.tuples(nice_floats(), nice_floats(), nice_floats(), nice_floats()).map(
    lambda t: dd.HyperDual(*t)
)
numbers = st.one_of(duals, hyperduals)


def three_of_a_kind():
    return st.one_of(st.tuples(duals, duals, duals), st.tuples(hyperduals, hyperduals, hyperduals))


# ------------------------------------------------------------------------ construction


def test_dual_scalar_construction():
    d = dd.Dual(2.0, 3.0)
    assert d.value == 2.0 and d.dual == 3.0
    assert d.shape == () and d.ndim == 0 and d.size == 1
    assert dd.Dual(1.5).dual == 0.0
    i = dd.Dual(2, 3)  # ints become floats
    assert isinstance(i.value, float | np.floating) and isinstance(i.dual, float | np.floating)
    assert i.value == 2.0 and i.dual == 3.0


def test_hyperdual_scalar_construction():
    h = dd.HyperDual(1.0, 2.0, 3.0, 4.0)
    assert (h.value, h.eps1, h.eps2, h.eps12) == (1.0, 2.0, 3.0, 4.0)
    z = dd.HyperDual(1.0)
    assert (z.eps1, z.eps2, z.eps12) == (0.0, 0.0, 0.0)
    assert h.shape == () and h.ndim == 0 and h.size == 1


def test_array_construction_and_attributes():
    x = np.arange(6.0).reshape(2, 3)
    d = dd.Dual(x, 2.0 * x)
    assert d.shape == (2, 3) and d.ndim == 2 and d.size == 6 and len(d) == 2
    assert d.value.dtype == np.float64 and d.dual.dtype == np.float64
    np.testing.assert_array_equal(d.T.value, x.T)
    np.testing.assert_array_equal(d.T.dual, 2.0 * x.T)
    assert d.T.shape == (3, 2)
    row = d[1]
    assert isinstance(row, dd.Dual) and row.shape == (3,)
    np.testing.assert_array_equal(row.value, x[1])
    np.testing.assert_array_equal(row.dual, 2.0 * x[1])
    e = d[1, 2]
    assert e.value == 5.0 and e.dual == 10.0
    sl = d[:, 1:]
    np.testing.assert_array_equal(sl.dual, 2.0 * x[:, 1:])
    rows = list(d)
    assert len(rows) == 2 and all(isinstance(r, dd.Dual) for r in rows)
    np.testing.assert_array_equal(rows[0].dual, 2.0 * x[0])
    # a broadcast scalar part is stored at full shape
    b = dd.Dual(x, 1.0)
    np.testing.assert_array_equal(b.dual, np.ones((2, 3)))
    # int arrays become float64
    assert dd.Dual(np.arange(3)).value.dtype == np.float64


def test_vector_mode_shapes():
    x = np.arange(3.0)
    d = dd.Dual(x, np.eye(3))
    assert d.shape == (3,) and d.dual.shape == (3, 3)
    assert d[1].dual.shape == (3,)
    np.testing.assert_array_equal(d[1].dual, [0.0, 1.0, 0.0])
    s = np.sin(d)
    np.testing.assert_allclose(s.dual, np.diag(np.cos(x)), rtol=0, atol=0)
    h = dd.HyperDual(x, np.ones((3, 2)), np.ones((3, 4)), np.zeros((3, 2, 4)))
    assert h.shape == (3,)
    assert h.eps1.shape == (3, 2) and h.eps2.shape == (3, 4) and h.eps12.shape == (3, 2, 4)
    assert h[0].eps12.shape == (2, 4)
    assert h.T.shape == (3,)


def test_indexing_hyperdual_and_setitem():
    x = np.arange(4.0)
    h = dd.HyperDual(x, x + 1, x + 2, x + 3)
    s = h[::2]
    for name, off in zip(HYPER_PARTS, range(4), strict=True):
        np.testing.assert_array_equal(getattr(s, name), x[::2] + off)
    d = dd.Dual(np.zeros(3), np.zeros(3))
    d[1] = dd.Dual(5.0, 7.0)
    d[2] = 9.0  # a float has zero derivative
    np.testing.assert_array_equal(d.value, [0.0, 5.0, 9.0])
    np.testing.assert_array_equal(d.dual, [0.0, 7.0, 0.0])


# ------------------------------------------------------------------------ ring laws


@given(three_of_a_kind())
@example(  # shrunk failure: eps12 summed left to right did not commute bitwise
    (
        dd.HyperDual(7.0, 4.259667949579768, 1.0, 7.5),
        dd.HyperDual(7.5, 1.259667949579768, 4.259667949579768, 7.5),
        dd.HyperDual(0.0, 0.0, 0.0, 0.0),
    )
)
def test_addition_and_multiplication_commute(t):
    a, b, _ = t
    assert_parts_close(a + b, b + a, [0.0] * len(parts(a)), ulps=0)
    m = magnitudes(a, b) ** 2
    assert_parts_close(a * b, b * a, [m] * len(parts(a)), ulps=2)


@given(three_of_a_kind())
def test_associativity(t):
    a, b, c = t
    m = magnitudes(a, b, c)
    n = len(parts(a))
    assert_parts_close((a + b) + c, a + (b + c), [3 * m] * n, ulps=4)
    assert_parts_close((a * b) * c, a * (b * c), [12 * m**3] * n, ulps=8)


@given(three_of_a_kind())
def test_distributivity(t):
    a, b, c = t
    m = magnitudes(a, b, c)
    n = len(parts(a))
    assert_parts_close(a * (b + c), a * b + a * c, [16 * m**2] * n, ulps=8)


@given(numbers)
def test_identities_and_inverses(a):
    zero = a - a
    assert all(np.all(p == 0.0) for p in parts(zero))
    for p, q in zip(parts(a + 0.0), parts(a), strict=True):
        assert np.array_equal(p, q)
    for p, q in zip(parts(a * 1.0), parts(a), strict=True):
        assert np.array_equal(p, q)
    for p, q in zip(parts(-(-a)), parts(a), strict=True):
        assert np.array_equal(p, q)
    for p, q in zip(parts(a + (-a)), parts(zero), strict=True):
        assert np.array_equal(p, q)


@given(numbers)
def test_multiplicative_inverse(a):
    if abs(float(a.value)) < 0.1:
        a = a + 1.0
    one = a * (1.0 / a)
    m = magnitudes(a) / abs(float(a.value))
    bound = [1.0, m, m, m * m][: len(parts(a))]
    p = parts(one)
    assert abs(p[0] - 1.0) <= 4 * EPS
    for q, s in zip(p[1:], bound[1:], strict=True):
        assert abs(q) <= 16 * EPS * s * s + 1e-300, (q, s)


def test_epsilon_squared_is_zero():
    e = dd.Dual(0.0, 1.0)
    assert parts(e * e) == [0.0, 0.0]
    assert parts(e**2) == [0.0, 0.0]
    e1 = dd.HyperDual(0.0, 1.0, 0.0, 0.0)
    e2 = dd.HyperDual(0.0, 0.0, 1.0, 0.0)
    e12 = dd.HyperDual(0.0, 0.0, 0.0, 1.0)
    assert parts(e1 * e1) == [0.0, 0.0, 0.0, 0.0]
    assert parts(e2 * e2) == [0.0, 0.0, 0.0, 0.0]
    assert parts(e1 * e2) == [0.0, 0.0, 0.0, 1.0]
    assert parts(e2 * e1) == [0.0, 0.0, 0.0, 1.0]
    assert parts(e12 * e1) == [0.0, 0.0, 0.0, 0.0]
    assert parts(e12 * e12) == [0.0, 0.0, 0.0, 0.0]
    assert parts((e1 + e2) * (e1 + e2)) == [0.0, 0.0, 0.0, 2.0]
    # in vector mode too: eps_i eps_j = 0
    v = dd.Dual(0.0, np.array([1.0, 2.0]))
    np.testing.assert_array_equal((v * v).dual, [0.0, 0.0])


# ------------------------------------------------------------------------ product and quotient


def _F(v) -> Fraction:
    return Fraction(float(v))


def _binary_chain_exact(f, fx, fy, fxx, fxy, fyy, x, y):
    """The general binary chain rule on hyper-dual parts, in exact rational arithmetic."""
    (_, a1, a2, a12), (_, b1, b2, b12) = x, y
    e1 = fx * a1 + fy * b1
    e2 = fx * a2 + fy * b2
    e12 = fx * a12 + fy * b12 + fxx * a1 * a2 + fxy * (a1 * b2 + a2 * b1) + fyy * b1 * b2
    return [f, e1, e2, e12]


def _close_to_exact(got, exact, scale, ulps):
    return abs(Fraction(float(got)) - exact) <= Fraction(ulps * EPS) * scale + Fraction(1e-300)


hyper_tuples = st.tuples(nice_floats(), nice_floats(), nice_floats(), nice_floats())


@given(hyper_tuples, hyper_tuples)
def test_product_rule_matches_general_chain(xp, yp):
    x, y = dd.HyperDual(*xp), dd.HyperDual(*yp)
    X, Y = [_F(v) for v in xp], [_F(v) for v in yp]
    a, b = X[0], Y[0]
    exact = _binary_chain_exact(a * b, b, a, 0, 1, 0, X, Y)
    got = parts(x * y)
    scale = max(abs(v) for v in X + Y) ** 2 * 4
    for g, e in zip(got, exact, strict=True):
        assert _close_to_exact(g, e, scale, 4), (g, float(e))
    assert float(got[0]) == float(xp[0]) * float(yp[0])
    dx, dy = dd.Dual(xp[0], xp[1]), dd.Dual(yp[0], yp[1])
    dgot = parts(dx * dy)
    assert _close_to_exact(dgot[1], exact[1], scale, 4)


@given(hyper_tuples, hyper_tuples)
@example((1.0, 1.0, 1.0, 0.0), (3.0, 0.0, 0.0, 0.0))
def test_quotient_rule_matches_general_chain(xp, yp):
    if abs(yp[0]) < 0.25:
        yp = (yp[0] + 1.0, *yp[1:])
    x, y = dd.HyperDual(*xp), dd.HyperDual(*yp)
    X, Y = [_F(v) for v in xp], [_F(v) for v in yp]
    a, b = X[0], Y[0]
    exact = _binary_chain_exact(a / b, 1 / b, -a / b**2, 0, -1 / b**2, 2 * a / b**3, X, Y)
    got = parts(x / y)
    m = max(abs(v) for v in X + Y)
    scale = 64 * (m / abs(b)) ** 4 * max(1, m)
    for g, e in zip(got, exact, strict=True):
        assert _close_to_exact(g, e, scale, 8), (g, float(e))
    # the value is IEEE division itself, not x * (1 / y)
    assert float(got[0]) == xp[0] / yp[0]
    dgot = parts(dd.Dual(xp[0], xp[1]) / dd.Dual(yp[0], yp[1]))
    assert float(dgot[0]) == xp[0] / yp[0]
    assert _close_to_exact(dgot[1], exact[1], scale, 8)


@given(hyper_tuples, hyper_tuples)
def test_quotient_agrees_with_multiplication_by_reciprocal(xp, yp):
    if abs(yp[0]) < 0.25:
        yp = (yp[0] + 1.0, *yp[1:])
    x, y = dd.HyperDual(*xp), dd.HyperDual(*yp)
    m = magnitudes(x, y) / abs(yp[0])
    assert_parts_close(x / y, x * (1.0 / y), [4 * m, 8 * m**2, 8 * m**2, 32 * m**3], ulps=8)
    dx, dy = dd.Dual(xp[0], xp[1]), dd.Dual(yp[0], yp[1])
    assert_parts_close(dx / dy, dx * (1.0 / dy), [4 * m, 8 * m**2], ulps=8)


def test_quotient_value_is_exact_division():
    # 0.3 / 0.1 != 0.3 * (1 / 0.1) in floating point: the quotient must be the division
    assert 0.3 / 0.1 != 0.3 * (1.0 / 0.1)
    assert (dd.Dual(0.3, 1.0) / dd.Dual(0.1, 0.0)).value == 0.3 / 0.1
    assert (dd.Dual(0.3, 1.0) / 0.1).value == 0.3 / 0.1
    arr = dd.Dual(np.array([0.3, 3.0]), np.ones(2)) / np.array([0.1, 49.0])
    np.testing.assert_array_equal(arr.value, np.array([0.3, 3.0]) / np.array([0.1, 49.0]))


# ------------------------------------------------------------------------ mixed operands


def test_operators_with_plain_numbers_on_either_side():
    x = dd.Dual(2.0, 1.0)
    cases = [
        (x + 1, 3.0, 1.0),
        (1 + x, 3.0, 1.0),
        (x - 5.0, -3.0, 1.0),
        (5.0 - x, 3.0, -1.0),
        (3 * x, 6.0, 3.0),
        (x * np.float64(3.0), 6.0, 3.0),
        (np.float64(3.0) * x, 6.0, 3.0),
        (x / 4, 0.5, 0.25),
        (4 / x, 2.0, -1.0),
        (-x, -2.0, -1.0),
        (+x, 2.0, 1.0),
        (abs(dd.Dual(-2.0, 1.0)), 2.0, -1.0),
        (x**3, 8.0, 12.0),
        (3**x, 9.0, 9.0 * math.log(3.0)),
    ]
    for r, v, d in cases:
        assert isinstance(r, dd.Dual)
        assert r.value == pytest.approx(v, rel=1e-15) and r.dual == pytest.approx(d, rel=1e-15)


def test_operators_with_arrays_on_either_side():
    x = dd.Dual(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    a = np.array([10.0, 20.0])
    for r in (x * a, a * x):
        assert isinstance(r, dd.Dual)
        np.testing.assert_array_equal(r.value, [10.0, 40.0])
        np.testing.assert_array_equal(r.dual, [10.0, 20.0])
    r = a - x
    assert isinstance(r, dd.Dual)
    np.testing.assert_array_equal(r.dual, [-1.0, -1.0])
    r = a / x
    np.testing.assert_allclose(r.dual, -a / np.array([1.0, 4.0]), rtol=1e-15)
    # broadcasting a scalar dual against an array
    s = dd.Dual(2.0, 1.0) * np.arange(3.0)
    assert isinstance(s, dd.Dual) and s.shape == (3,)
    np.testing.assert_array_equal(s.dual, np.arange(3.0))
    # broadcasting (2, 1) against (3,)
    b = dd.Dual(np.ones((2, 1)), np.ones((2, 1))) + np.arange(3.0)
    assert b.shape == (2, 3) and b.dual.shape == (2, 3)


def test_comparisons_use_the_value():
    x = dd.Dual(np.array([1.0, 2.0, 3.0]), np.array([5.0, -5.0, 0.0]))
    np.testing.assert_array_equal(x > 1.5, [False, True, True])
    np.testing.assert_array_equal(x <= 2.0, [True, True, False])
    assert bool(dd.Dual(1.0, 9.0) < 2.0)
    assert bool(dd.Dual(1.0, 9.0) == 1.0)


# ------------------------------------------------------------------------ powers


def test_power_with_dual_exponent():
    r = dd.Dual(2.0, 0.0) ** dd.Dual(3.0, 1.0)
    assert r.value == 8.0 and r.dual == pytest.approx(8.0 * math.log(2.0), rel=2 * EPS)
    r = 2.0 ** dd.Dual(3.0, 1.0)
    assert r.value == 8.0 and r.dual == pytest.approx(8.0 * math.log(2.0), rel=2 * EPS)
    r = np.power(2.0, dd.HyperDual(3.0, 1.0, 1.0, 0.0))
    assert r.eps12 == pytest.approx(8.0 * math.log(2.0) ** 2, rel=4 * EPS)
    # both dual: d = y x^(y-1) bx + x^y log(x) by
    r = dd.Dual(1.5, 2.0) ** dd.Dual(2.5, -1.0)
    want = 2.5 * 1.5**1.5 * 2.0 - 1.5**2.5 * math.log(1.5)
    assert r.dual == pytest.approx(want, rel=8 * EPS)


def _mp_power_parts(x, y):
    """Value, d/dy and d2/dy2 of x**y for a negative base x and integer y.

    Convention (the contract's): x**y is s |x|**y with the sign s frozen, so d/dy is
    x**y log|x| (the real part of the analytic continuation's derivative) and d2/dy2 is
    x**y log|x|**2.
    """
    with mp.workdps(50):
        s = mp.sign(mp.power(x, y))
        ax = abs(mp.mpf(x))
        g = s * mp.power(ax, mp.mpf(y))
        return float(g), float(g * mp.log(ax)), float(g * mp.log(ax) ** 2)


@pytest.mark.parametrize(("x", "y"), [(-2.0, 3.0), (-2.0, 2.0), (-0.5, -3.0), (-3.0, 0.0)])
def test_negative_base_integer_exponent(x, y):
    f, fy, fyy = _mp_power_parts(x, y)
    r = np.power(x, dd.Dual(y, 1.0))
    assert r.value == f
    assert r.dual == pytest.approx(fy, rel=4 * EPS)
    # the complex step agrees on the first derivative, once Im f(y) (rounding of the complex
    # power at integer y) is subtracted: d/dy Re-part convention
    h = 1e-7
    cs = (np.imag(np.power(complex(x), y + 1j * h)) - np.imag(np.power(complex(x), y))) / h
    assert r.dual == pytest.approx(cs, rel=1e-6, abs=1e-6)
    # derivative with respect to the base: y x^(y-1)
    rb = dd.Dual(x, 1.0) ** y
    assert rb.value == f and rb.dual == pytest.approx(y * x ** (y - 1.0), rel=4 * EPS)
    rb = dd.Dual(x, 1.0) ** dd.Dual(y, 0.0)
    assert rb.dual == pytest.approx(y * x ** (y - 1.0), rel=4 * EPS)
    h2 = np.power(x, dd.HyperDual(y, 1.0, 1.0, 0.0))
    assert h2.eps12 == pytest.approx(fyy, rel=8 * EPS)


def test_power_zero_exponent_has_zero_derivative():
    for base in (0.0, 5.0, -3.0):
        for expo in (0, 0.0, np.float64(0.0)):
            r = dd.Dual(base, 1.0) ** expo
            assert r.value == 1.0 and r.dual == 0.0, (base, expo, r)
            h = dd.HyperDual(base, 1.0, 1.0, 0.0) ** expo
            assert (h.value, h.eps1, h.eps2, h.eps12) == (1.0, 0.0, 0.0, 0.0), (base, expo)
    a = dd.Dual(np.array([0.0, 2.0]), np.ones(2)) ** 0
    np.testing.assert_array_equal(a.value, [1.0, 1.0])
    np.testing.assert_array_equal(a.dual, [0.0, 0.0])


def test_zero_base_square():
    for expo in (2, 2.0, np.float64(2.0)):
        r = dd.Dual(0.0, 1.0) ** expo
        assert (r.value, r.dual) == (0.0, 0.0)
        h = dd.HyperDual(0.0, 1.0, 1.0, 0.0) ** expo
        assert (h.value, h.eps1, h.eps2, h.eps12) == (0.0, 0.0, 0.0, 2.0)
    h = np.square(dd.HyperDual(0.0, 1.0, 1.0, 0.0))
    assert h.eps12 == 2.0
    a = dd.HyperDual(np.zeros(2), 1.0, 1.0, 0.0) ** 2
    np.testing.assert_array_equal(a.eps12, [2.0, 2.0])
    # 0 ** y with a dual exponent: value 0, derivative 0 (the limit of x**y log x)
    z = np.power(0.0, dd.Dual(2.0, 1.0))
    assert z.value == 0.0 and z.dual == 0.0


def test_integer_and_fractional_powers():
    r = dd.HyperDual(4.0, 1.0, 1.0, 0.0) ** 0.5
    assert (r.value, r.eps1, r.eps12) == (2.0, 0.25, pytest.approx(-1.0 / 32.0, rel=2 * EPS))
    r = dd.HyperDual(2.0, 1.0, 1.0, 0.0) ** -1
    assert r.value == 0.5 and r.eps1 == -0.25 and r.eps12 == pytest.approx(0.25, rel=2 * EPS)
    r = dd.Dual(1.1, 1.0) ** 40
    assert r.dual == pytest.approx(40 * 1.1**39, rel=8 * EPS)


@given(floats_in(0.1, 10.0), floats_in(-3.0, 3.0))
def test_power_against_mpmath(x, y):
    with mp.workdps(50):
        X, Y = mp.mpf(x), mp.mpf(y)
        f = mp.power(X, Y)
        fx, fy = Y * mp.power(X, Y - 1), f * mp.log(X)
        fxy = mp.power(X, Y - 1) * (1 + Y * mp.log(X))
        ref = [float(v) for v in (f, fx, fy, fxy)]
        cond = float(abs(f) * (1 + abs(Y * mp.log(X))) + abs(fxy) * (1 + abs(Y * mp.log(X))))
    r = np.power(dd.HyperDual(x, 1.0, 0.0, 0.0), dd.HyperDual(y, 0.0, 1.0, 0.0))
    got = [r.value, r.eps1, r.eps2, r.eps12]
    for g, e in zip(got, ref, strict=True):
        assert abs(g - e) <= 16 * EPS * (abs(e) + cond), (x, y, g, e)


@pytest.mark.parametrize("f", [lambda t: t[0] * t[1].real, lambda t: t[0] * np.real(t[1])])
def test_real_keeps_numpy_meaning(f):
    # numpy code writes x.real on real data meaning x itself: the derivative must survive
    x = np.array([1.5, 2.0])
    np.testing.assert_array_equal(dd.gradient(f, x), [2.0, 1.5])
    np.testing.assert_array_equal(dd.hessian(f, x), [[0.0, 1.0], [1.0, 0.0]])


def test_imag_of_real_data_is_zero():
    x = np.array([1.5, 2.0])
    g = dd.gradient(lambda t: np.sum(t**2 + np.imag(t) + t.imag * 3.0), x)
    np.testing.assert_array_equal(g, 2 * x)
    d = dd.Dual(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert np.all(d.imag.value == 0.0) and np.all(d.imag.dual == 0.0)
    assert d.conj() is d and d.value is not d.real.dual
