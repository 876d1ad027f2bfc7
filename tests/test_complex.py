"""Complex dual numbers against independent references.

The convention under test (docs, "Complex numbers"): ``Dual(z, v)`` is ``z + t·v`` for a real
infinitesimal ``t``, so its derivative part is ``d/dt g(z + t·v)`` at ``t = 0``, and a
HyperDual ``z + t1·v + t2·w`` carries ``∂²/∂t1∂t2 g(z + t1·v + t2·w)``. References: mpmath's
numerical differentiation of exactly that function of real ``t`` at 40 digits (mpmath takes
complex values), analytic formulas, and the Cauchy-Riemann equations (for holomorphic ``g``
the derivative along ``i`` is ``i`` times the one along ``1``).
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import EPS, MP_DPS, MP_NOISE, RTOL

import dualdiff as dd
from dualdiff import _kernels
from dualdiff._rules import (
    BINARY_RULES,
    COMPLEX_UNARY_RULES,
    HOLOMORPHIC,
    UNARY_RULES,
    complex_rule,
)
from dualdiff._ufuncs import NON_HOLOMORPHIC_UFUNCS

mp.mp.dps = MP_DPS
RULE_RTOL = 32 * EPS
"""A rule's value, first and second derivative against mpmath: a few ulps, more for ``tan``
(about 15 at these points), whose derivative ``1 + tan²`` amplifies the value's rounding."""

# Points off every branch cut (real axis beyond ±1, imaginary axis beyond ±i, negative reals).
POINTS = [0.3 + 0.4j, -0.7 + 0.2j, 1.5 - 0.8j, -2.1 - 1.3j, 0.05 + 1.7j]
DIRECTIONS = [1.0, 1j, 0.3 - 0.7j]

MP_UNARY = {
    np.sqrt: mp.sqrt,
    np.square: lambda z: z * z,
    np.reciprocal: lambda z: 1 / z,
    np.exp: mp.exp,
    np.exp2: lambda z: mp.power(2, z),
    np.expm1: mp.expm1,
    np.log: mp.log,
    np.log2: lambda z: mp.log(z) / mp.log(2),
    np.log10: lambda z: mp.log(z) / mp.log(10),
    np.log1p: lambda z: mp.log(1 + z),
    np.sin: mp.sin,
    np.cos: mp.cos,
    np.tan: mp.tan,
    np.arcsin: mp.asin,
    np.arccos: mp.acos,
    np.arctan: mp.atan,
    np.sinh: mp.sinh,
    np.cosh: mp.cosh,
    np.tanh: mp.tanh,
    np.arcsinh: mp.asinh,
    np.arccosh: mp.acosh,
    np.arctanh: mp.atanh,
}
"""The mpmath reference of every ufunc that has a complex rule (checked below)."""

MP_NON_HOLOMORPHIC = {
    np.absolute: lambda z: mp.fabs(z),
    np.angle: lambda z: mp.arg(z),
    np.real: lambda z: mp.re(z),
    np.imag: lambda z: mp.im(z),
    np.conj: lambda z: mp.conj(z),
    np.sign: lambda z: z / mp.fabs(z),
    (lambda z: z * np.conj(z)): lambda z: z * mp.conj(z),
}


def _mpc(z) -> mp.mpc:
    return mp.mpc(complex(z).real, complex(z).imag)


def first(g, z, v):
    """``d/dt g(z + t·v)`` at 0, by mpmath."""
    z, v = _mpc(z), _mpc(v)
    return complex(mp.diff(lambda t: g(z + t * v), 0))


def second(g, z, v, w):
    """``∂²/∂s∂t g(z + s·v + t·w)`` at 0, by mpmath."""
    z, v, w = _mpc(z), _mpc(v), _mpc(w)
    return complex(mp.diff(lambda s, t: g(z + s * v + t * w), (0, 0), (1, 1)))


def close(actual, expected, rtol=RTOL):
    """Relative to the largest ``|expected|`` where an element is zero or cancels."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.max(np.abs(expected)))


def complex_unary_ufuncs():
    return [u for u in UNARY_RULES if complex_rule(u, 1) is not None]


# ------------------------------------------------------------------ the number types


def test_complex_components_and_dtype():
    z = dd.Dual(1 + 2j, 1.0)
    assert z.dtype == np.complex128 and type(z.value) is complex
    assert dd.Dual(1.0, 1j).value == 1.0 + 0j and type(dd.Dual(1.0, 1j).value) is complex
    assert dd.Dual(np.array([1.0]), np.array([1j])).value.dtype == np.complex128
    h = dd.HyperDual(np.ones(2), 1.0, 1.0, np.array([0j, 1j]))
    assert h.dtype == np.complex128 and h.value.dtype == np.complex128
    assert dd.Dual(np.ones(2, np.complex64), 1.0).value.dtype == np.complex128


def test_real_numbers_stay_real_and_fast():
    x = dd.Dual(0.5, 1.0)
    y = np.sin(x) * x + 2.0
    assert y.dtype == np.float64 and y._f and type(y.value) is float
    a = np.sin(dd.Dual(np.ones(3), 1.0))
    assert a.dtype == np.float64 and a.value.dtype == np.float64
    assert dd.HyperDual(1.0, 1.0, 1.0, 0.0).dtype == np.float64


def test_real_imag_conj():
    z = dd.Dual(np.array([1 + 2j, -3 + 0.5j]), np.array([[1, 1j], [2 - 1j, 0.5]]))
    for got, fn in ((z.real, np.real), (z.imag, np.imag), (z.conj(), np.conj)):
        assert np.array_equal(got.value, fn(z.value)) and np.array_equal(got.dual, fn(z.dual))
    assert np.real(z).dtype == np.float64 and np.imag(z).dtype == np.float64
    assert np.array_equal(np.conjugate(z).dual, np.conj(z.dual))
    x = dd.Dual(np.array([1.0, 2.0]), 1.0)  # real data: numpy's meaning, derivative kept
    assert x.real is x and np.all(x.imag.value == 0) and np.all(x.imag.dual == 0)
    assert np.iscomplexobj(z) and not np.isrealobj(z) and not np.iscomplexobj(x)
    a = np.angle(dd.Dual(np.array([-2.0, 3.0]), 1.0))  # real data: 0 or π, locally constant
    assert np.array_equal(a.value, [np.pi, 0.0]) and np.array_equal(a.dual, [0.0, 0.0])
    assert np.rint(dd.Dual(1.4 + 2.6j, 1.0)).value == 1 + 3j


def test_filling_a_complex_array():
    x = dd.Dual(np.array([1.0, 2.0]), 1.0)
    out = np.zeros_like(x, dtype=complex)
    out[0] = x[0] * 1j
    assert out.dtype == np.complex128 and out.value[0] == 1j and out.dual[0] == 1j
    real = np.zeros_like(x)
    with pytest.raises(TypeError, match="dtype=complex"):
        real[0] = x[0] * 1j
    z = dd.Dual(np.array([1j, 2.0]), 1.0)
    assert np.zeros_like(z).dtype == np.complex128


# ------------------------------------------------------------------ holomorphic rules


def test_every_complex_rule_has_a_reference():
    assert set(complex_unary_ufuncs()) == set(MP_UNARY)
    assert set(COMPLEX_UNARY_RULES) <= HOLOMORPHIC | set(COMPLEX_UNARY_RULES)


@pytest.mark.parametrize("ufunc", complex_unary_ufuncs(), ids=lambda u: u.__name__)
def test_holomorphic_rule_dual(ufunc):
    g = MP_UNARY[ufunc]
    for z in POINTS:
        for v in DIRECTIONS:
            y = ufunc(dd.Dual(z, v))
            close(y.value, complex(g(_mpc(z))), RULE_RTOL)
            close(y.dual, first(g, z, v), RULE_RTOL)


@pytest.mark.parametrize("ufunc", complex_unary_ufuncs(), ids=lambda u: u.__name__)
def test_holomorphic_rule_hyperdual(ufunc):
    g = MP_UNARY[ufunc]
    for z in POINTS:
        v, w = 0.3 - 0.7j, 1j
        y = ufunc(dd.HyperDual(z, v, w, 0.0))
        close(y.eps1, first(g, z, v), RULE_RTOL)
        close(y.eps2, first(g, z, w), RULE_RTOL)
        close(y.eps12, second(g, z, v, w), RULE_RTOL)


@pytest.mark.parametrize("ufunc", complex_unary_ufuncs(), ids=lambda u: u.__name__)
def test_cauchy_riemann(ufunc):
    z = np.array(POINTS)
    along_1 = ufunc(dd.Dual(z, 1.0)).dual
    along_i = ufunc(dd.Dual(z, 1j)).dual
    close(along_i, 1j * along_1, 4 * EPS)


@pytest.mark.parametrize("ufunc", complex_unary_ufuncs(), ids=lambda u: u.__name__)
def test_vector_mode_matches_directions(ufunc):
    z = np.array(POINTS)
    V = np.stack([np.full(z.shape, v, dtype=complex) for v in DIRECTIONS], axis=-1)
    y = ufunc(dd.Dual(z, V))
    for k, v in enumerate(DIRECTIONS):
        close(y.dual[:, k], ufunc(dd.Dual(z, v)).dual, 4 * EPS)
    h = ufunc(dd.HyperDual(z, V, V, np.zeros(z.shape + (3, 3))))
    for j, v in enumerate(DIRECTIONS):
        for k, w in enumerate(DIRECTIONS):
            close(h.eps12[:, j, k], ufunc(dd.HyperDual(z, v, w, 0.0)).eps12, 4 * EPS)


def test_unruled_ufuncs_raise_on_complex():
    """No silent real rule on complex data: every other unary ufunc of the table raises."""
    z = dd.Dual(np.array([0.3 + 0.4j]), 1.0)
    for u in UNARY_RULES:
        if complex_rule(u, 1) is None and u not in NON_HOLOMORPHIC_UFUNCS:
            with pytest.raises(dd.UnsupportedFunctionError, match="complex"):
                u(z)
    for u in BINARY_RULES:
        if complex_rule(u, 2) is None:
            with pytest.raises(dd.UnsupportedFunctionError, match="complex"):
                u(z, 2.0)


@pytest.mark.parametrize("ufunc", [np.power, np.float_power])
def test_power(ufunc):
    for x0, y0 in [(0.3 + 0.4j, 1.7 - 0.2j), (-1.5 + 0.5j, 0.5j), (2.0 + 0j, -0.3 + 1j)]:
        vx, vy = 0.3 - 0.7j, 1.1 + 0.2j

        def g(s, t=0):
            return mp.power(_mpc(x0) + s * _mpc(vx), _mpc(y0) + t * _mpc(vy))

        y = ufunc(dd.Dual(x0, vx), dd.Dual(y0, vy))
        close(y.dual, complex(mp.diff(lambda t: g(t, t), 0)), RULE_RTOL)
        close(ufunc(dd.Dual(x0, vx), y0).dual, complex(mp.diff(g, 0)), RULE_RTOL)  # constant y
        close(ufunc(x0, dd.Dual(y0, vy)).dual, complex(mp.diff(lambda t: g(0, t), 0)), RULE_RTOL)
        h = ufunc(dd.HyperDual(x0, vx, vx, 0.0), dd.HyperDual(y0, vy, vy, 0.0))
        close(h.eps12, complex(mp.diff(lambda t: g(t, t), 0, 2)), RULE_RTOL)
    # a complex constant exponent on a real dual, and a real dual exponent of a complex base
    close((dd.Dual(2.0, 1.0) ** 1j).dual, 1j * 2.0 ** (1j - 1), RULE_RTOL)
    close(((1 + 1j) ** dd.Dual(2.0, 1.0)).dual, (1 + 1j) ** 2.0 * np.log(1 + 1j), RULE_RTOL)


# ------------------------------------------------------------------ non-holomorphic functions


@pytest.mark.parametrize("fn", list(MP_NON_HOLOMORPHIC), ids=lambda f: getattr(f, "__name__", "f"))
def test_non_holomorphic_directional(fn):
    g = MP_NON_HOLOMORPHIC[fn]
    for z in POINTS:
        for v in DIRECTIONS:
            y = fn(dd.Dual(z, v))
            close(y.value, complex(g(_mpc(z))), RULE_RTOL)
            close(y.dual, first(g, z, v), RULE_RTOL)
        v, w = 0.3 - 0.7j, 1j
        h = fn(dd.HyperDual(z, v, w, 0.0))
        close(h.eps12, second(g, z, v, w), RULE_RTOL)


def test_real_valued_functions_give_real_numbers():
    z = dd.Dual(np.array(POINTS), 1j)
    for fn in (np.abs, np.angle, np.real, np.imag):
        assert fn(z).dtype == np.float64


def test_abs_and_angle_analytic():
    z0, dz = 3.0 + 4.0j, 0.5 - 2.0j
    y = np.abs(dd.Dual(z0, dz))
    assert y.value == 5.0
    close(y.dual, (np.conj(z0) * dz).real / 5.0)
    close(np.angle(dd.Dual(z0, dz)).dual, (np.conj(z0) * dz).imag / 25.0)
    # on the real axis with a real direction, complex abs is real abs
    close(np.abs(dd.Dual(-2.0 + 0j, 1.0)).dual, -1.0)


def test_var_std_norm_of_complex():
    z = np.array([1 + 2j, -0.5 + 1j, 2 - 1j])
    v = np.array([0.3j, 1.0, -1 + 1j])

    def jvp_mp(g):
        zz, vv = [_mpc(a) for a in z], [_mpc(a) for a in v]
        return complex(mp.diff(lambda t: g([a + t * b for a, b in zip(zz, vv)]), 0))

    def var(w):
        m = sum(w) / 3
        return sum(mp.fabs(a - m) ** 2 for a in w) / 3

    close(np.var(dd.Dual(z, v)).dual, jvp_mp(var))
    close(np.std(dd.Dual(z, v)).dual, jvp_mp(lambda w: mp.sqrt(var(w))))
    close(
        np.linalg.norm(dd.Dual(z, v)).dual,
        jvp_mp(lambda w: mp.sqrt(sum(mp.fabs(a) ** 2 for a in w))),
    )


# ------------------------------------------------------------------ complex constants

C = np.array([1 + 2j, 3 - 1j, 0.5j])
M = np.array([[1 + 1j, 2.0], [0.5j, -1 + 0.25j], [3.0, 1j]])
X = np.array([0.5, -1.25, 2.0])
V = np.array([1.0, 0.5, -2.0])


CONTRACTIONS = {
    "dot": lambda x: np.dot(x, C),
    "dot_matrix": lambda x: np.dot(x, M),
    "matmul": lambda x: x @ M,
    "rmatmul": lambda x: M.T @ x,
    "outer": lambda x: np.outer(x, C),
    "inner": lambda x: np.inner(C, x),
    "vdot": lambda x: np.vdot(C, x),
    "vdot_first": lambda x: np.vdot(x * C, C),
    "tensordot": lambda x: np.tensordot(x, M, axes=1),
    "einsum": lambda x: np.einsum("i,ij->j", x, M),
    "einsum3": lambda x: np.einsum("i,i,ij->j", x, C, M),
    "multiply": lambda x: x * C,
    "divide": lambda x: x / C,
    "add": lambda x: x + C,
    "subtract": lambda x: C - x,
    "sum": lambda x: np.sum(x * C),
    "mean": lambda x: np.mean(C * x),
    "cumsum": lambda x: np.cumsum(x * C),
    "where": lambda x: np.where(X > 0, x, C),
    "concatenate": lambda x: np.concatenate([x, C]),
    "stack": lambda x: np.stack([x, C]),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", list(CONTRACTIONS))
def test_linear_maps_with_complex_constants(name):
    """Linear in x: the derivative along V is the map applied to V (and the value, to X)."""
    fn = CONTRACTIONS[name]
    value, tangent = dd.jvp(fn, X, V)
    expected_value = fn(X)
    close(value, expected_value, 4 * EPS)
    if name in ("add", "subtract", "where", "concatenate", "stack"):  # affine: remove C's part
        expected = fn(V) - fn(np.zeros(3))
    else:
        expected = fn(V)
    close(tangent, expected, 4 * EPS)
    assert np.iscomplexobj(tangent)


@pytest.mark.filterwarnings("error")
def test_products_with_complex_constants():
    x = dd.Dual(X, V)
    close(np.prod(x * C).dual, _prod_jvp())
    close((C / x).dual, -C * V / X**2)
    close((x**C).dual, C * X ** (C - 1) * V)


def _prod_jvp():
    xs = [_mpc(a) for a in X]
    vs = [_mpc(a) for a in V]
    cs = [_mpc(a) for a in C]
    return complex(mp.diff(lambda t: mp.fprod([(a + t * b) * c for a, b, c in zip(xs, vs, cs)]), 0))


# ------------------------------------------------------------------ drivers


def test_gradient_of_abs_of_complex_dot():
    w = X @ C
    expected = (np.conj(w) * C).real / np.abs(w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = dd.gradient(lambda x: np.abs(np.dot(x, C)), X)
    assert g.dtype == np.float64
    close(g, expected)
    close(dd.gradient(lambda x: np.sum(np.real(np.exp(1j * x))), X), -np.sin(X))
    H = dd.hessian(lambda x: np.abs(np.dot(x, C)), X)  # real x: complex intermediates are fine
    Cr, Ci = C.real, C.imag
    a, b = X @ Cr, X @ Ci
    r = np.hypot(a, b)
    expected_H = (np.outer(Cr, Cr) + np.outer(Ci, Ci)) / r - np.outer(
        a * Cr + b * Ci, a * Cr + b * Ci
    ) / r**3
    close(H, expected_H)


def test_derivative_of_holomorphic_functions():
    z = np.array(POINTS)
    close(dd.derivative(np.sin, z), np.cos(z))
    close(
        dd.derivative(lambda w: w**3 + 1 / w, 0.3 + 0.4j),
        3 * (0.3 + 0.4j) ** 2 - 1 / (0.3 + 0.4j) ** 2,
    )
    close(dd.second_derivative(np.exp, z), np.exp(z))
    r = dd.value_and_derivatives(np.log, z)
    close(r.value, np.log(z))
    close(r.first, 1 / z)
    close(r.second, -1 / z**2)
    J = dd.jacobian(lambda w: np.cumsum(w**2), z[:3])
    close(J, np.tril(np.ones((3, 3))) * 2 * z[:3])


@pytest.mark.parametrize("fn", [np.abs, np.conj, np.real, lambda w: w * np.conj(w)])
def test_derivative_of_non_holomorphic_raises(fn):
    with pytest.raises(ValueError, match="not holomorphic.*jvp"):
        dd.derivative(fn, 0.3 + 0.4j)
    with pytest.raises(ValueError, match="not holomorphic"):
        dd.jacobian(fn, np.array(POINTS))
    with pytest.raises(ValueError, match="not holomorphic"):
        dd.second_derivative(fn, 0.3 + 0.4j)


def test_gradient_of_real_function_of_complex_input():
    """``gradient(f, z) = ∂f/∂Re z + i·∂f/∂Im z`` (the conjugate of JAX's ``grad``)."""
    z = np.array(POINTS)

    def f(w):
        return np.sum(np.abs(w) ** 3 + np.angle(w))

    g = dd.gradient(f, z)
    for k, zk in enumerate(POINTS):

        def fk(t, zk=zk):
            return mp.fabs(t) ** 3 + mp.arg(t)

        expected = first(fk, zk, 1.0) + 1j * first(fk, zk, 1j)
        close(g[k], expected)
    close(dd.gradient(lambda w: w * np.conj(w), 1 + 2j), 2 * (1 + 2j))  # exactly real output
    with pytest.raises(ValueError, match="real-valued"):
        dd.gradient(lambda w: np.sum(w**2), z)


def test_structured_inputs_mixing_real_and_complex():
    def f(p):
        return np.abs(p["z"] * p["x"]) ** 2

    z, x = 1 + 2j, 3.0
    g = dd.gradient(f, {"z": z, "x": x})
    close(g["z"], 2 * x**2 * z)  # |z x|² = x² (a² + b²)
    close(g["x"], 2 * x * abs(z) ** 2)
    d = dd.derivative(lambda p: {"z": p["z"] * p["x"], "x": p["x"] ** 2}, {"z": z, "x": 2.0})
    close([d["z"], d["x"]], [z + 2.0, 4.0])  # d/dt of ((z + t)(2 + t), (2 + t)²)


def test_jvp_along_complex_directions():
    z = np.array(POINTS)
    v = np.array(DIRECTIONS + [1.0, -1j])
    value, tangent = dd.jvp(np.abs, z, v)
    close(tangent, [first(mp.fabs, a, b) for a, b in zip(z, v)])
    with pytest.raises(TypeError, match="complex"):
        dd.jvp(np.sin, 1.0, 1j)


def test_second_order_drivers_refuse_complex_input():
    for driver in (dd.hessian, dd.value_gradient_hessian):
        with pytest.raises(ValueError, match="real and imaginary parts"):
            driver(lambda w: np.abs(w), 1 + 1j)
    with pytest.raises(ValueError, match="real and imaginary parts"):
        dd.hvp(lambda w: np.sum(np.abs(w)), np.array([1j]), np.array([1.0]))
    with pytest.raises(ValueError, match="batch_axis"):
        dd.gradient(lambda w: np.abs(w).sum(1), np.ones((2, 2), complex), batch_axis=0)


# ------------------------------------------------------------------ the accelerator


def test_kernels_decline_complex_operands():
    rule = UNARY_RULES[np.sin]
    z = np.full(4, 0.3 + 0.4j)
    ones = np.ones(4)
    assert _kernels.run(rule, ((z, ones),), ("", ""), 0.0, 10**9) is None
    assert _kernels.run(rule, ((ones, z),), ("", ""), 0.0, 10**9) is None
    mul = dd._algebra.PRODUCT
    assert _kernels.run(mul, ((ones, ones), (z,)), ("", ""), 0.0, 10**9) is None
    assert _kernels.run(mul, ((ones, ones), (1j,)), ("", ""), 0.0, 10**9) is None


def test_complex_results_with_kernels_on():
    z = np.linspace(0.1, 2.0, 50) + 0.5j
    with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
        y = np.sin(dd.Dual(z, 1j)) * dd.Dual(z, 1j)
    close(y.dual, 1j * (np.cos(z) * z + np.sin(z)), 4 * EPS)


def test_real_input_complex_output():
    close(dd.derivative(lambda x: np.exp(1j * x), 1.0), 1j * np.exp(1j))
    x = np.array([1.0, 2.0])
    close(dd.jacobian(lambda x: np.exp(1j * x), x), np.diag(1j * np.exp(1j * x)))
    H = dd.hessian(lambda x: np.real(np.sum(np.exp(1j * x) * x)), x)  # Σ x cos x
    close(H, np.diag(-2 * np.sin(x) - x * np.cos(x)))


def test_precision_follows_the_input():
    z = np.array([1 + 1j, 2 - 1j], dtype=np.complex64)
    J = dd.jacobian(lambda w: w**2, z)
    assert J.dtype == np.complex64
    close(J, np.diag(2 * z.astype(complex)), 4 * np.finfo(np.float32).eps)
    r = dd.value_and_gradient(lambda w: np.sum(np.abs(w)), z)
    assert np.asarray(r.value).dtype == np.float32 and r.gradient.dtype == np.complex64
    g = dd.gradient(lambda x: np.abs(np.dot(x, C)), X.astype(np.float32))
    assert g.dtype == np.float32


ENTIRE = [np.exp, np.sin, np.cos, np.sinh, np.cosh, np.square]
"""Holomorphic everywhere: random compositions of them have no branch cut or pole."""


@settings(max_examples=40, deadline=None)
@given(
    re=st.floats(-1.0, 1.0),
    im=st.floats(-1.0, 1.0),
    chain=st.lists(st.sampled_from(range(len(ENTIRE))), min_size=1, max_size=3),
)
def test_random_compositions(re, im, chain):
    """derivative of a composition of entire functions (times z, plus 1/(2 + z)) against
    mpmath, and the Cauchy-Riemann equations hold to rounding in vector mode."""
    z = complex(re, im)

    def f(w):
        for k in chain:
            w = ENTIRE[k](w)
        return w * w + 1 / (2 + w)

    def g(w):
        for k in chain:
            w = MP_UNARY[ENTIRE[k]](w)
        return w * w + 1 / (2 + w)

    expected = first(g, z, 1.0)
    if not np.isfinite(expected) or abs(expected) > 1e12:
        return
    y = f(dd.Dual(np.array([z]), np.array([[1.0, 1j]])))
    close(y.dual[0, 1], 1j * y.dual[0, 0], 4 * EPS)
    np.testing.assert_allclose(dd.derivative(f, z), expected, rtol=RTOL, atol=MP_NOISE)
