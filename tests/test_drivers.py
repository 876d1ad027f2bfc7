"""Drivers against scipy's Rosenbrock derivatives and hand-derived formulas.

The only dualdiff-against-dualdiff checks are the driver identities of the design notes:
``hessian == jacobian(gradient)`` and ``hvp == hessian @ v``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import rosen_der, rosen_hess, rosen_hess_prod
from strategies import RTOL, assert_rel

import dualdiff as dd


def rosen(x):
    """scipy.optimize.rosen written without np.asarray (which would drop the derivative)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_value(x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


# ------------------------------------------------------------------------ Rosenbrock


@pytest.mark.parametrize("n", [2, 10, 50])
def test_rosenbrock_gradient_and_hessian(n, rng):
    x = rng.uniform(-2.0, 2.0, n)
    assert_rel(dd.gradient(rosen, x), rosen_der(x), RTOL, "gradient")
    assert_rel(dd.hessian(rosen, x), rosen_hess(x), RTOL, "hessian")
    v = rng.normal(size=n)
    assert_rel(dd.hvp(rosen, x, v), rosen_hess_prod(x, v), RTOL, "hvp")
    val, g = dd.value_and_gradient(rosen, x)
    assert val == pytest.approx(rosen_value(x), rel=1e-15)
    assert_rel(g, rosen_der(x), RTOL, "value_and_gradient")
    val, g, h = dd.value_gradient_hessian(rosen, x)
    assert val == pytest.approx(rosen_value(x), rel=1e-15)
    assert_rel(g, rosen_der(x), RTOL, "value_gradient_hessian gradient")
    assert_rel(h, rosen_hess(x), RTOL, "value_gradient_hessian hessian")


def test_rosenbrock_at_minimum():
    x = np.ones(5)
    np.testing.assert_array_equal(dd.gradient(rosen, x), np.zeros(5))
    assert_rel(dd.hessian(rosen, x), rosen_hess(x), RTOL)


# ------------------------------------------------------------------------ Jacobians


def sin_cumsum(x):
    return np.sin(x) * np.cumsum(x) + x**2


def sin_cumsum_jac(x):
    c = np.cumsum(x)
    return np.diag(np.cos(x) * c + 2.0 * x) + np.sin(x)[:, None] * np.tril(np.ones((x.size,) * 2))


def polar(p):
    return np.stack([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])


def polar_jac(p):
    r, t = p
    return np.array([[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]])


def spherical(p):
    r, t, f = p[0], p[1], p[2]
    return np.stack([r * np.sin(t) * np.cos(f), r * np.sin(t) * np.sin(f), r * np.cos(t)])


def spherical_jac(p):
    r, t, f = p
    st, ct, sf, cf = np.sin(t), np.cos(t), np.sin(f), np.cos(f)
    return np.array(
        [
            [st * cf, r * ct * cf, -r * st * sf],
            [st * sf, r * ct * sf, r * st * cf],
            [ct, -r * st, 0.0],
        ]
    )


def matsquare(X):
    return X @ X


def matsquare_jac(X):
    n = X.shape[0]
    eye = np.eye(n)
    # d(XX)[i,j]/dX[k,l] = δ_ik X[l,j] + X[i,k] δ_jl
    return np.einsum("ik,lj->ijkl", eye, X) + np.einsum("ik,jl->ijkl", X, eye)


JACOBIAN_CASES = [
    ("sin_cumsum", sin_cumsum, sin_cumsum_jac, (6,)),
    ("polar", polar, polar_jac, (2,)),
    ("spherical", spherical, spherical_jac, (3,)),
    ("matsquare", matsquare, matsquare_jac, (3, 3)),
]


@pytest.mark.parametrize(
    ("f", "jac", "shape"), [c[1:] for c in JACOBIAN_CASES], ids=[c[0] for c in JACOBIAN_CASES]
)
def test_jacobian_hand_derived(f, jac, shape, rng):
    x = rng.uniform(0.3, 2.0, shape)
    J = dd.jacobian(f, x)
    assert J.shape == np.shape(f(x)) + x.shape
    assert_rel(J, jac(x), RTOL, "jacobian")
    v = rng.normal(size=shape)
    fx, jv = dd.jvp(f, x, v)
    assert_rel(fx, f(x), 1e-15, "jvp value")
    ref = np.tensordot(jac(x), v, axes=v.ndim)
    assert_rel(jv, ref, RTOL, "jvp")


# ------------------------------------------------------------------------ Hessians


def quad_sin(x):
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    return 0.5 * (x @ (A @ x)) + np.sum(np.sin(x))


def quad_sin_grad(x):
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    return A @ x + np.cos(x)


def quad_sin_hess(x):
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    return A - np.diag(np.sin(x))


def logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def logsumexp_grad(x):
    p = np.exp(x - np.max(x))
    return p / p.sum()


def logsumexp_hess(x):
    p = logsumexp_grad(x)
    return np.diag(p) - np.outer(p, p)


def prod_chain(x):
    """sum_i exp(x_i) x_{i+1}."""
    return np.sum(np.exp(x[:-1]) * x[1:])


def prod_chain_grad(x):
    g = np.zeros_like(x)
    g[:-1] += np.exp(x[:-1]) * x[1:]
    g[1:] += np.exp(x[:-1])
    return g


def prod_chain_hess(x):
    n = x.size
    H = np.zeros((n, n))
    i = np.arange(n - 1)
    H[i, i] = np.exp(x[:-1]) * x[1:]
    H[i, i + 1] = H[i + 1, i] = np.exp(x[:-1])
    return H


def rosen_grad(x):
    """rosen_der in plain numpy (scipy's converts x with np.asarray)."""
    xm, xp = x[:-1], x[1:]
    a = -400.0 * xm * (xp - xm**2) - 2.0 * (1.0 - xm)
    b = 200.0 * (xp - xm**2)
    return np.concatenate([a, np.zeros(1)]) + np.concatenate([np.zeros(1), b])


HESSIAN_CASES = [
    ("quad_sin", quad_sin, quad_sin_grad, quad_sin_hess, 3),
    ("logsumexp", logsumexp, logsumexp_grad, logsumexp_hess, 5),
    ("prod_chain", prod_chain, prod_chain_grad, prod_chain_hess, 6),
    ("rosen", rosen, rosen_grad, rosen_hess, 7),
]
HESSIAN_IDS = [c[0] for c in HESSIAN_CASES]


@pytest.mark.parametrize(
    ("f", "grad", "hess", "n"), [c[1:] for c in HESSIAN_CASES], ids=HESSIAN_IDS
)
def test_gradient_hessian_hvp_hand_derived(f, grad, hess, n, rng):
    x = rng.uniform(-1.0, 1.0, n)
    v = rng.normal(size=n)
    assert_rel(dd.gradient(f, x), grad(x), RTOL, "gradient")
    H = dd.hessian(f, x)
    assert_rel(H, hess(x), RTOL, "hessian")
    assert_rel(dd.hvp(f, x, v), hess(x) @ v, RTOL, "hvp vs hand-derived")
    assert_rel(dd.hvp(f, x, v), H @ v, RTOL, "hvp == hessian @ v")
    # jacobian of the hand-written gradient is the Hessian
    assert_rel(dd.jacobian(grad, x), hess(x), RTOL, "jacobian(grad)")


@pytest.mark.parametrize(
    ("f", "grad", "hess", "n"), [c[1:] for c in HESSIAN_CASES], ids=HESSIAN_IDS
)
def test_hessian_is_jacobian_of_gradient(f, grad, hess, n, rng):
    """Composing drivers: the gradient driver evaluated on the jacobian driver's duals."""
    x = rng.uniform(-1.0, 1.0, n)
    JG = dd.jacobian(lambda y: dd.gradient(f, y), x)
    assert_rel(JG, dd.hessian(f, x), RTOL, "jacobian(gradient) == hessian")
    assert_rel(JG, hess(x), RTOL, "jacobian(gradient) == hand-derived")


# ------------------------------------------------------------------------ scalar drivers


def test_derivative_and_second_derivative_on_scalars():
    x = 0.7
    d = dd.derivative(np.sin, x)
    assert np.shape(d) == () and float(d) == pytest.approx(math.cos(x), rel=1e-15)
    d2 = dd.second_derivative(np.sin, x)
    assert np.shape(d2) == () and float(d2) == pytest.approx(-math.sin(x), rel=1e-15)
    assert dd.derivative(lambda t: t**3, 2.0) == 12.0
    assert dd.second_derivative(lambda t: t**3, 2.0) == 12.0
    assert dd.second_derivative(lambda t: t * t, -3.0) == 2.0
    # a composite
    g = dd.derivative(lambda t: np.exp(np.sin(t)) / (1 + t * t), x)
    ref = math.exp(math.sin(x)) * (math.cos(x) / (1 + x * x) - 2 * x / (1 + x * x) ** 2)
    assert float(g) == pytest.approx(ref, rel=1e-14)


@pytest.mark.parametrize("shape", [(4,), (2, 3)])
def test_derivative_and_second_derivative_elementwise(shape, rng):
    x = rng.uniform(0.5, 2.0, shape)
    d = dd.derivative(lambda t: np.log(t) * t, x)
    assert d.shape == shape and d.dtype == np.float64
    assert_rel(d, np.log(x) + 1.0, RTOL)
    d2 = dd.second_derivative(lambda t: np.log(t) * t, x)
    assert d2.shape == shape
    assert_rel(d2, 1.0 / x, RTOL)


def test_derivative_of_a_curve():
    """Scalar x, vector f(x): the derivative has the shape of f(x)."""
    d = dd.derivative(lambda t: t * np.array([1.0, 2.0, 3.0]) + t**2, 0.5)
    np.testing.assert_allclose(d, [2.0, 3.0, 4.0], rtol=1e-15)
    d2 = dd.second_derivative(lambda t: t**3 * np.array([1.0, 2.0]), 2.0)
    np.testing.assert_allclose(d2, [12.0, 24.0], rtol=1e-15)


def test_named_tuples():
    r = dd.value_and_derivatives(np.exp, 0.3)
    assert r._fields == ("value", "first", "second")
    assert r.value == pytest.approx(math.exp(0.3), rel=1e-15)
    assert r.first == pytest.approx(math.exp(0.3), rel=1e-15)
    assert r.second == pytest.approx(math.exp(0.3), rel=1e-15)
    x = np.array([1.0, 2.0])
    r = dd.value_and_gradient(lambda t: np.sum(t**3), x)
    assert r._fields == ("value", "gradient")
    assert r.value == 9.0
    np.testing.assert_array_equal(r.gradient, [3.0, 12.0])
    r = dd.value_gradient_hessian(lambda t: np.sum(t**3), x)
    assert r._fields == ("value", "gradient", "hessian")
    assert r.value == 9.0
    np.testing.assert_array_equal(r.gradient, [3.0, 12.0])
    np.testing.assert_array_equal(r.hessian, [[6.0, 0.0], [0.0, 12.0]])
    value, grad, hess = r  # unpacks as a tuple
    assert hess.shape == (2, 2)


# ------------------------------------------------------------------------ exact output shapes

X_SHAPES = [(), (4,), (2, 3)]
F_SHAPES = [(), (3,), (3, 2)]


def _problem(out_shape, x_shape, seed=0):
    """f(x) = sum_x (A x + B x**2) + C (sum x)**2 and its Jacobian and Hessian."""
    r = np.random.default_rng(seed)
    A = r.normal(size=out_shape + x_shape)
    B = r.normal(size=out_shape + x_shape)
    C = r.normal(size=out_shape)
    nx, no = len(x_shape), len(out_shape)
    x_axes = tuple(range(no, no + nx))
    expand = (Ellipsis,) + (None,) * nx

    def f(x):
        t = A * x + B * x**2
        if nx:
            t = np.sum(t, axis=x_axes)
        return t + C * np.sum(x) ** 2

    def jac(x):
        return A + 2.0 * B * x + 2.0 * C[expand] * np.sum(x)

    def hess(x):  # only for out_shape == ()
        return (np.diag(2.0 * B.ravel()) + 2.0 * C).reshape(x_shape + x_shape)

    return f, jac, hess


def _x(x_shape):
    if x_shape == ():
        return 0.7  # a Python float
    return np.linspace(-1.0, 1.5, int(np.prod(x_shape))).reshape(x_shape)


@pytest.mark.parametrize("f_shape", F_SHAPES, ids=str)
@pytest.mark.parametrize("x_shape", X_SHAPES, ids=str)
def test_jacobian_shapes(x_shape, f_shape):
    f, jac, _ = _problem(f_shape, x_shape)
    x = _x(x_shape)
    J = dd.jacobian(f, x)
    assert np.shape(J) == f_shape + x_shape
    assert_rel(J, jac(np.asarray(x)), RTOL)
    v = np.ones(x_shape) if x_shape else 1.0
    val, jv = dd.jvp(f, x, v)
    assert np.shape(val) == f_shape and np.shape(jv) == f_shape
    nx = len(x_shape)
    ref = np.sum(jac(np.asarray(x)), axis=tuple(range(-nx, 0))) if nx else jac(np.asarray(x))
    assert_rel(jv, ref, RTOL)


@pytest.mark.parametrize("x_shape", X_SHAPES, ids=str)
def test_gradient_and_hessian_shapes(x_shape):
    f, jac, hess = _problem((), x_shape)
    x = _x(x_shape)
    g = dd.gradient(f, x)
    assert np.shape(g) == x_shape
    assert_rel(g, jac(np.asarray(x)), RTOL)
    H = dd.hessian(f, x)
    assert np.shape(H) == x_shape + x_shape
    assert_rel(H, hess(np.asarray(x)), RTOL)
    v = np.linspace(1.0, 2.0, int(np.prod(x_shape))).reshape(x_shape) if x_shape else 2.0
    hv = dd.hvp(f, x, v)
    assert np.shape(hv) == x_shape
    nx = len(x_shape)
    ref = np.tensordot(hess(np.asarray(x)), v, axes=nx) if nx else hess(x) * v
    assert_rel(hv, ref, RTOL)
    val, g2, H2 = dd.value_gradient_hessian(f, x)
    assert np.shape(val) == () and np.shape(g2) == x_shape and np.shape(H2) == x_shape * 2


@pytest.mark.parametrize("x_shape", X_SHAPES, ids=str)
def test_outputs_are_float64(x_shape):
    f, _, _ = _problem((), x_shape)
    x = _x(x_shape)
    for out in (dd.gradient(f, x), dd.hessian(f, x), dd.jacobian(f, x)):
        assert np.asarray(out).dtype == np.float64
        assert not isinstance(out, dd.Dual | dd.HyperDual)


# ------------------------------------------------------------------------ input conversion


def test_list_and_int_inputs_become_float64():
    seen = []

    def f(x):
        seen.append(np.asarray(x.value).dtype)
        return np.sum(x**2) / 3

    g = dd.gradient(f, [1, 2, 3])
    assert isinstance(g, np.ndarray) and g.dtype == np.float64
    np.testing.assert_allclose(g, [2 / 3, 4 / 3, 2.0], rtol=1e-15)
    H = dd.hessian(f, [1, 2])
    np.testing.assert_allclose(H, np.eye(2) * 2 / 3, rtol=1e-15)
    J = dd.jacobian(lambda x: x * 2, [[1, 2], [3, 4]])
    assert J.shape == (2, 2, 2, 2) and J.dtype == np.float64
    assert dd.derivative(lambda t: t / 3, 2) == pytest.approx(1 / 3, rel=1e-15)
    assert dd.second_derivative(lambda t: t**3 / 4, 1) == pytest.approx(1.5, rel=1e-15)
    assert dd.gradient(f, np.array([1, 2], dtype=np.int32)).dtype == np.float64
    assert all(dt == np.float64 for dt in seen)
    v = dd.value_and_derivatives(lambda t: t / 2, 3)
    assert v.value == 1.5 and v.first == 0.5 and v.second == 0.0


def test_float32_input_is_computed_in_float64_and_returned_as_float32():
    x = np.array([0.1, 0.2], dtype=np.float32)
    g = dd.gradient(lambda t: np.sum(np.sin(t)), x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, np.cos(x.astype(np.float64)).astype(np.float32))


# ------------------------------------------------------------------------ f is called once


DRIVERS = {  # the elementwise drivers take f(t) * t: they reject a scalar f of an array x
    "derivative": lambda f, x: dd.derivative(lambda t: f(t) * t, x),
    "second_derivative": lambda f, x: dd.second_derivative(lambda t: f(t) * t, x),
    "value_and_derivatives": lambda f, x: dd.value_and_derivatives(lambda t: f(t) * t, x),
    "gradient": lambda f, x: dd.gradient(f, x),
    "value_and_gradient": lambda f, x: dd.value_and_gradient(f, x),
    "jacobian": lambda f, x: dd.jacobian(f, x),
    "hessian": lambda f, x: dd.hessian(f, x),
    "value_gradient_hessian": lambda f, x: dd.value_gradient_hessian(f, x),
    "hvp": lambda f, x: dd.hvp(f, x, np.ones_like(x)),
    "jvp": lambda f, x: dd.jvp(f, x, np.ones_like(x)),
}


@pytest.mark.parametrize("name", list(DRIVERS))
def test_each_driver_calls_f_once(name):
    calls = []

    def f(x):
        calls.append(1)
        return np.sum(np.sin(x) * x)

    x = np.array([0.1, 0.5, 0.9])
    DRIVERS[name](f, x)
    assert len(calls) == 1


def test_drivers_do_not_modify_x():
    x = np.array([0.1, 0.5, 0.9])
    before = x.copy()
    for name, drv in DRIVERS.items():
        drv(lambda t: np.sum(t**2), x)
        np.testing.assert_array_equal(x, before, err_msg=name)


@pytest.mark.parametrize(("i", "j"), list(itertools.product(range(3), repeat=2)))
def test_hessian_entries_of_a_monomial(i, j):
    """f = x_i x_j x_k**2 with k fixed: every Hessian entry known exactly."""
    x = np.array([1.5, -2.0, 0.5])

    def f(t):
        return t[i] * t[j] * t[2] ** 2

    H = dd.hessian(f, x)
    ref = np.zeros((3, 3))
    e = np.eye(3)
    # f = prod_m t_m^{p_m}; H_ab = d2/dt_a dt_b computed from the exponents
    p = e[i] + e[j] + 2 * e[2]
    for a in range(3):
        for b in range(3):
            q = p.copy()
            c = q[a]
            q[a] -= 1
            c *= q[b]
            q[b] -= 1
            ref[a, b] = c * np.prod(np.where(q > 0, x ** np.maximum(q, 0), 1.0)) if c else 0.0
    np.testing.assert_allclose(H, ref, rtol=1e-15, atol=0)


def test_item_assignment_inside_f_leaves_the_callers_x_alone():
    """f may write into its input (a read-only view of x is copied before the write)."""
    x = np.array([0.1, 0.5, 0.9])
    before = x.copy()

    def f(t):
        t[0] = t[1] * 3.0
        return t

    for drv in (dd.derivative, dd.jacobian, dd.second_derivative):
        drv(f, x)
        np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(dd.jacobian(f, x), [[0, 3, 0], [0, 1, 0], [0, 0, 1]])
