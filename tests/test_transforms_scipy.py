"""The *_of transforms with scipy: solve_ivp (jac(t, y), argnums=1) on the stiff Robertson
problem against its analytic Jacobian, minimize with args=, and each transform against its
driver's hand-derived reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

import dualdiff as dd

# ------------------------------------------------------------------ Robertson (stiff)


def robertson(t, y, k1=0.04, k2=3e7, k3=1e4):
    return np.stack(
        [
            -k1 * y[0] + k3 * y[1] * y[2],
            k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
            k2 * y[1] ** 2,
        ]
    )


def robertson_jac(t, y, k1=0.04, k2=3e7, k3=1e4):
    return np.array(
        [
            [-k1, k3 * y[2], k3 * y[1]],
            [k1, -k3 * y[2] - 2 * k2 * y[1], -k3 * y[1]],
            [0.0, 2 * k2 * y[1], 0.0],
        ]
    )


@pytest.mark.parametrize("method", ["BDF", "Radau"])
def test_solve_ivp_robertson_with_jacobian_of(method):
    y0, span = np.array([1.0, 0.0, 0.0]), (0.0, 1e3)
    opts = dict(method=method, rtol=1e-8, atol=1e-10)
    ref = solve_ivp(robertson, span, y0, jac=robertson_jac, **opts)
    ours = solve_ivp(robertson, span, y0, jac=dd.jacobian_of(robertson, argnums=1), **opts)
    assert ref.success and ours.success
    np.testing.assert_allclose(ours.y[:, -1], ref.y[:, -1], rtol=1e-6, atol=1e-12)
    # exact Jacobians: the same steps, up to rounding-level differences
    assert abs(ours.nfev - ref.nfev) <= 0.02 * ref.nfev
    assert abs(ours.njev - ref.njev) <= max(1, 0.02 * ref.njev)


def test_solve_ivp_with_args():
    """solve_ivp(args=) calls fun(t, y, *args) and jac(t, y, *args)."""
    y0, span = np.array([1.0, 0.0, 0.0]), (0.0, 10.0)
    k = (0.05, 2e7, 1e4)
    ref = solve_ivp(robertson, span, y0, method="BDF", jac=robertson_jac, args=k)
    jac = dd.jacobian_of(robertson, argnums=1)
    ours = solve_ivp(robertson, span, y0, method="BDF", jac=jac, args=k)
    np.testing.assert_allclose(ours.y[:, -1], ref.y[:, -1], rtol=1e-6)
    np.testing.assert_allclose(jac(0.0, y0 + 0.1, *k), robertson_jac(0.0, y0 + 0.1, *k), rtol=1e-15)


def test_jacobian_of_default_argnums_differentiates_t():
    """The trap the issue describes: without argnums=1 the derivative is d/dt (here 0)."""
    J = dd.jacobian_of(robertson)(0.0, np.array([1.0, 0.1, 0.1]))
    np.testing.assert_array_equal(J, np.zeros(3))


# ------------------------------------------------------------------ minimize with args


def quartic(x, a, b):
    return np.sum((x - a) ** 2) + b * np.sum(x**4)


def quartic_grad(x, a, b):
    return 2 * (x - a) + 4 * b * x**3


def quartic_hess(x, a, b):
    return np.diag(2 + 12 * b * x**2)


@pytest.mark.parametrize("method", ["BFGS", "Newton-CG", "trust-exact"])
def test_minimize_with_args(method):
    x0, args = np.array([2.0, -1.0, 0.5]), (np.array([0.5, 1.0, -0.3]), 0.7)
    hess = {"BFGS": {}, "Newton-CG": {"hess": dd.hessian_of(quartic)}}
    hess["trust-exact"] = hess["Newton-CG"]
    ref = minimize(quartic, x0, args=args, jac=quartic_grad, method=method,
                   **({} if method == "BFGS" else {"hess": quartic_hess}))  # fmt: skip
    ours = minimize(quartic, x0, args=args, jac=dd.gradient_of(quartic), method=method,
                    **hess[method])  # fmt: skip
    assert ref.success and ours.success
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-10)
    assert ours.nit == ref.nit
    vg = minimize(dd.value_and_gradient_of(quartic), x0, args=args, jac=True, method="BFGS")
    np.testing.assert_allclose(vg.x, ref.x if method == "BFGS" else vg.x, rtol=1e-10)
    hp = minimize(quartic, x0, args=args, jac=dd.gradient_of(quartic),
                  hessp=dd.hvp_of(quartic), method="Newton-CG")  # fmt: skip
    np.testing.assert_allclose(hp.x, ours.x, rtol=1e-6)


def test_transform_args_bound_at_creation():
    a, b = np.array([0.5, 1.0]), 0.7
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(dd.gradient_of(quartic, args=(a, b))(x), quartic_grad(x, a, b))
    # the call's arguments come first, then those bound at creation
    np.testing.assert_allclose(dd.hessian_of(quartic, args=(b,))(x, a), quartic_hess(x, a, b))


# ------------------------------------------------------------------ each transform


def test_every_driver_has_a_transform_matching_hand_derived_values():
    x = np.array([0.3, 1.2])
    v = np.array([1.0, -1.0])
    cube = lambda t, c: c * np.sum(t**3)  # noqa: E731
    np.testing.assert_allclose(dd.derivative_of(np.sin)(x), np.cos(x), rtol=1e-15)
    np.testing.assert_allclose(dd.second_derivative_of(np.sin)(x), -np.sin(x), rtol=1e-15)
    r = dd.value_and_derivatives_of(np.exp)(x)
    np.testing.assert_allclose(np.stack(r), np.exp(np.stack([x] * 3)), rtol=1e-15)
    np.testing.assert_allclose(dd.gradient_of(cube)(x, 2.0), 6 * x**2, rtol=1e-15)
    val, g = dd.value_and_gradient_of(cube)(x, 2.0)
    assert val == pytest.approx(2 * np.sum(x**3), rel=1e-15)
    np.testing.assert_allclose(dd.hessian_of(cube)(x, 2.0), np.diag(12 * x), rtol=1e-15)
    r = dd.value_gradient_hessian_of(cube, args=(2.0,))(x)
    np.testing.assert_allclose(r.hessian, np.diag(12 * x), rtol=1e-15)
    np.testing.assert_allclose(dd.hvp_of(cube)(x, v, 2.0), 12 * x * v, rtol=1e-15)
    np.testing.assert_allclose(dd.jacobian_of(np.sin)(x), np.diag(np.cos(x)), rtol=1e-15)
    val, t = dd.jvp_of(np.sin)(x, v)
    np.testing.assert_allclose(t, np.cos(x) * v, rtol=1e-15)
    g, aux = dd.gradient_of(lambda t: (np.sum(t**2), "a"), has_aux=True)(x)
    assert aux == "a"
    G = dd.gradient_of(lambda X: np.sum(X**2, axis=1), batch_axis=0)(np.ones((4, 2)))
    np.testing.assert_array_equal(G, 2 * np.ones((4, 2)))
    assert dd.jacobian_of(np.sin, argnums=1).__name__ == "jacobian_of(sin)"


def test_transform_rejects_non_callable():
    with pytest.raises(TypeError, match="callable"):
        dd.gradient_of(3.0)
