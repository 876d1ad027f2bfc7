"""Nested drivers: tags keep each driver's perturbation apart (no perturbation confusion).

References are independent of dualdiff: hand-derived values and formulas, scipy's
``rosen_hess``, mpmath's ``diff`` at 50 digits, and, for the numpy functions of
``test_numpy_functions``, the complex-step method with fourth-order central differences for
the mixed second derivative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from mpmath import mp
from scipy.optimize import rosen_der, rosen_hess
from strategies import MP_DPS, UNARY_OPS, Expr, assert_rel, expressions, floats_in
from test_numpy_functions import CASES, RTOL_SECOND, _cs2, _data, _dirs

import dualdiff as dd
from dualdiff.testing import rosenbrock

RTOL = 1e-13


# ------------------------------------------------------------- perturbation confusion (issue 10)


def test_closure_product_is_not_confused():
    # d/dx [x * d/dy (x y)] = d/dx x² = 2x; one shared ε gives 3
    assert dd.derivative(lambda x: x * dd.derivative(lambda y: x * y, 2.0), 1.0) == 2.0


def test_closure_sum_is_not_confused():
    # d/dy (x + y) = 1, so d/dx [x * 1] = 1; one shared ε gives 2
    assert dd.derivative(lambda x: x * dd.derivative(lambda y: x + y, 1.0), 1.0) == 1.0


def test_gradient_of_gradient_closure():
    # ∇_y Σ t y = t, so ∇_t Σ t·t = 2t
    g = dd.gradient(
        lambda t: np.sum(t * dd.gradient(lambda y: np.sum(t * y), np.array([5.0, 7.0]))),
        np.array([1.0, 2.0]),
    )
    np.testing.assert_array_equal(g, [2.0, 4.0])


def test_nesting_with_other_direction_counts():
    # inner ∇_y Σ t_{0:2} y² t_2 = 2 t_{0:2} y t_2; summed: 10 t0 t2 + 14 t1 t2
    def outer(t):
        inner = dd.gradient(lambda y: np.sum(t[:2] * y**2) * t[2], np.array([5.0, 7.0]))
        return np.sum(inner)

    t = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(dd.gradient(outer, t), [30.0, 42.0, 38.0])
    # jacobian with 3 directions around a derivative with one
    J = dd.jacobian(lambda t: t * dd.derivative(lambda s: np.sin(s * t[0]), 0.5), t)
    # f(t) = t D(t0) with D = t0 cos(t0 / 2): J = D I + t D'(t0) e_0ᵀ
    c = math.cos(0.5 * t[0])
    want = np.diag(np.full(3, t[0] * c))
    want[:, 0] += t * (c - 0.5 * t[0] * math.sin(0.5 * t[0]))
    assert_rel(J, want, RTOL)


def test_closures_in_both_orders():
    # f(x, y) = sin(x y) + x² y³; mixed partial cos(xy) - xy sin(xy) + 6 x y²
    def f(x, y):
        return np.sin(x * y) + x**2 * y**3

    x, y = 0.7, -1.3
    fxy = math.cos(x * y) - x * y * math.sin(x * y) + 6 * x * y**2
    a = dd.derivative(lambda s: dd.derivative(lambda t: f(s, t), y), x)
    b = dd.derivative(lambda t: dd.derivative(lambda s: f(s, t), x), y)
    assert a == pytest.approx(fxy, rel=RTOL)
    assert b == pytest.approx(fxy, rel=RTOL)
    # the outer variable used both inside and outside the inner call
    c = dd.derivative(lambda s: s * dd.derivative(lambda t: f(s, t), y) + s**2, x)
    fy = lambda s: s * math.cos(s * y) + 3 * s**2 * y**2  # noqa: E731
    assert c == pytest.approx(fy(x) + x * fxy + 2 * x, rel=RTOL)


def test_inner_result_not_depending_on_its_own_variable():
    # the inner f depends on the outer x only: the inner derivative is 0, its value x²
    calls = []

    def inner(y, x):
        calls.append(y)
        return x**2

    assert dd.derivative(lambda x: dd.derivative(inner, 1.0, args=(x,)), 3.0) == 0.0
    calls.clear()
    v = dd.derivative(lambda x: x * dd.value_and_derivatives(inner, 1.0, args=(x,)).value, 3.0)
    assert v == 27.0  # d/dx x³
    assert len(calls) == 1, "a result of lower tag is a constant: f is not evaluated again"


# ------------------------------------------------------------- mixed number types and levels


def _f3(x):
    return np.sum(np.exp(x) * x[::-1]) + x[0] * x[1] ** 3


def _f3_hess(x):
    # Σ e^{x_i} x_{n-1-i}: e^{x_i} x_j on the diagonal, e^{x_i} at (i, j) and (j, i), and
    # e^{x_i}(x_i + 2) where i = j; x0 x1³: 3 x1² at (0, 1), 6 x0 x1 at (1, 1)
    e = np.exp(x)
    n = len(x)
    H = np.diag(e * x[::-1])
    for i in range(n):
        j = n - 1 - i
        if i != j:
            H[i, j] += e[i]
            H[j, i] += e[i]
        else:
            H[i, i] += 2 * e[i]
    H[0, 1] += 3 * x[1] ** 2
    H[1, 0] += 3 * x[1] ** 2
    H[1, 1] += 6 * x[0] * x[1]
    return H


def test_jacobian_of_gradient_is_rosen_hess():
    x = np.array([0.3, -1.1, 0.8, 1.4, -0.2])
    JG = dd.jacobian(lambda y: dd.gradient(rosenbrock, y), x)
    assert_rel(JG, rosen_hess(x), RTOL, "jacobian(gradient(rosen))")
    assert_rel(dd.gradient(rosenbrock, x), rosen_der(x), RTOL)


def test_jacobian_of_gradient_hand_derived():
    x = np.array([0.1, 0.4, -0.3, 0.9])
    assert_rel(dd.jacobian(lambda y: dd.gradient(_f3, y), x), _f3_hess(x), RTOL)
    assert_rel(dd.hessian(_f3, x), _f3_hess(x), RTOL)


def test_derivative_of_gradient():
    # d/ds ∇_x Σ sin(s x) = d/ds s cos(s x) = cos(s x) - s x sin(s x)
    x = np.array([0.2, -0.7, 1.5])
    s = 0.8
    got = dd.derivative(lambda s: dd.gradient(lambda y: np.sum(np.sin(s * y)), x), s)
    assert_rel(got, np.cos(s * x) - s * x * np.sin(s * x), RTOL)


def test_hessian_of_a_function_that_calls_gradient():
    # g(x) = ‖∇h(x)‖² with h = Σ x³/3: ∇h = x², g = Σ x⁴, ∇²g = diag(12 x²)
    x = np.array([0.5, -1.2, 2.0])
    H = dd.hessian(lambda t: np.sum(dd.gradient(lambda y: np.sum(y**3) / 3.0, t) ** 2), x)
    assert_rel(H, np.diag(12 * x**2), RTOL)


def test_hessian_of_a_function_that_calls_derivative():
    # g(x) = Σ d/ds exp(s x_0) x_i at s=1 = Σ x_0 exp(x_0) x_i
    x = np.array([0.3, 0.5])

    def g(t):
        return np.sum(dd.derivative(lambda s: np.exp(s * t[0]) * t, 1.0))

    # g = x0 e^{x0} (x0 + x1)
    a, b = x
    e = math.exp(a)
    H = np.array([[e * (a + 2) * (a + b) + 2 * (a + 1) * e, (a + 1) * e], [(a + 1) * e, 0.0]])
    assert_rel(dd.hessian(g, x), H, RTOL)


def test_derivative_of_a_function_that_calls_hessian():
    # d/ds ∇²_x Σ s x² sin(s) ... = d/ds diag(2 s sin s) = diag(2 sin s + 2 s cos s)
    x = np.array([0.3, 0.5, -0.1])
    s = 0.9
    got = dd.derivative(lambda s: dd.hessian(lambda y: np.sum(s * y**2) * np.sin(s), x), s)
    assert_rel(got, np.diag(np.full(3, 2 * math.sin(s) + 2 * s * math.cos(s))), RTOL)


def test_second_derivative_of_second_derivative():
    # the inner driver differentiates at 2x: exp''(2x) = exp(2x), whose second derivative
    # in x is 4 exp(2x); through a closure, d²/dx² d²/dy² exp(x y) at y = 1 is exp(x)(x² + 4x + 2)
    assert dd.second_derivative(lambda x: dd.second_derivative(np.exp, 2 * x), 0.25) == (
        pytest.approx(4 * math.exp(0.5), rel=RTOL)
    )
    got = dd.second_derivative(lambda x: dd.second_derivative(lambda y: np.exp(x * y), 1.0), 0.7)
    assert got == pytest.approx(math.exp(0.7) * (0.49 + 2.8 + 2), rel=RTOL)


def test_three_and_four_levels():
    # d/dx d/dy d/dz (x y² z³) = 6 y z²; at (x, y, z) = (0.5, 1.5, 2.0): 36
    def level3(x):
        return dd.derivative(lambda y: dd.derivative(lambda z: x * y**2 * z**3, 2.0), 1.5)

    assert dd.derivative(level3, 0.5) == pytest.approx(36.0, rel=RTOL)
    # four: ∂⁴/∂w∂x∂y∂z of exp(u), u = w x y z, is e^u (1 + 7u + 6u² + u³): 15 e at u = 1
    got = dd.derivative(
        lambda w: dd.derivative(
            lambda x: dd.derivative(
                lambda y: dd.derivative(lambda z: np.exp(w * x * y * z), 1.0), 1.0
            ),
            1.0,
        ),
        1.0,
    )
    assert got == pytest.approx(15 * math.e, rel=RTOL)
    # gradient of hessian of jacobian: ∂/∂x of tr ∇²(Σ x_i y_i³)… mixed number types
    x = np.array([0.4, -0.6])

    def tr_hess(t):
        return np.trace(dd.hessian(lambda y: np.sum(t * y**3), t))  # Σ 6 t_i²

    assert_rel(dd.gradient(tr_hess, x), 12 * x, RTOL)
    assert_rel(dd.hessian(tr_hess, x), 12 * np.eye(2), RTOL)


def test_user_dual_input_nests():
    # derivative of a Dual x (tag 0): the result is a Dual whose dual part is f''·v
    r = dd.derivative(np.sin, dd.Dual(0.3, 2.0))
    assert isinstance(r, dd.Dual)
    assert r.value == pytest.approx(math.cos(0.3), rel=RTOL)
    assert r.dual == pytest.approx(-2.0 * math.sin(0.3), rel=RTOL)


# ------------------------------------------------------------- nth_derivative vs mpmath


def _comp(x):
    return np.exp(np.sin(x)) / (1.0 + x * x) + np.sqrt(x) * np.log1p(x)


def _comp_mp(x):
    return mp.exp(mp.sin(x)) / (1 + x * x) + mp.sqrt(x) * mp.log1p(x)


NTH = [
    ("exp", np.exp, mp.exp, 0.7),
    ("sin", np.sin, mp.sin, 1.1),
    ("log", np.log, mp.log, 1.7),
    ("sqrt", np.sqrt, mp.sqrt, 0.6),
    ("pow3.5", lambda x: x**3.5, lambda x: x ** mp.mpf(3.5), 1.3),
    ("tanh", np.tanh, mp.tanh, 0.4),
    ("composition", _comp, _comp_mp, 0.9),
]


def _mp_diffs(fn, x, n):
    with mp.workdps(MP_DPS):
        return [float(mp.diff(fn, mp.mpf(x), k)) for k in range(n + 1)]


@pytest.mark.parametrize("n", range(5))
@pytest.mark.parametrize(("name", "f", "f_mp", "x"), NTH, ids=[c[0] for c in NTH])
def test_nth_derivative_against_mpmath(name, f, f_mp, x, n):
    ref = _mp_diffs(f_mp, x, n)
    scale = max(1.0, *(abs(r) for r in ref))
    got = dd.nth_derivative(f, x, n)
    assert type(got) is float
    assert abs(got - ref[n]) <= 1e-13 * scale, (got, ref[n])


@pytest.mark.parametrize("n", [3, 4])
def test_nth_derivative_elementwise(n):
    x = np.array([0.3, 0.9, 1.6, 2.5])
    got = dd.nth_derivative(_comp, x, n)
    assert got.shape == x.shape and got.dtype == np.float64
    for xi, gi in zip(x, got):
        ref = _mp_diffs(_comp_mp, xi, n)
        assert abs(gi - ref[n]) <= 1e-13 * max(1.0, *(abs(r) for r in ref))


def test_nth_derivative_analytic_and_args():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(dd.nth_derivative(lambda t: t**4, x, 4), [24.0, 24.0])
    np.testing.assert_array_equal(dd.nth_derivative(lambda t: t**4, x, 3), 24.0 * x)
    assert dd.nth_derivative(lambda t, a: a * t**5, 1.0, 5, args=(2.0,)) == 240.0
    assert dd.nth_derivative(np.cos, 0.0, 0) == 1.0
    assert dd.nth_derivative(lambda t: t**3, 2.0, 4) == 0.0


@pytest.mark.parametrize("n", [-1, 1.5, True, "2"])
def test_nth_derivative_rejects_bad_orders(n):
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        dd.nth_derivative(np.sin, 0.5, n)


# ------------------------------------------------------------- random compositions (hypothesis)


def _usable(e, x):
    if not e.has_x():
        return False
    with np.errstate(all="ignore"):
        v = e.np_eval(np.float64(x))
    return bool(np.isfinite(v)) and abs(v) < 1e8


def _subexpressions(e):
    yield e
    for a in e.args:
        yield from _subexpressions(a)


OPS = {op.name: op for op in UNARY_OPS}


@given(expressions, floats_in(-3.0, 3.0))
@example(Expr(OPS["exp∘sin"], (Expr(None),)), 0.5)
@example(Expr(OPS["tanh"], (Expr(OPS["a**3"], (Expr(None),)),)), -0.75)
def test_random_compositions_nested_second_derivative(e, x):
    assume(_usable(e, x))
    with mp.workdps(MP_DPS):
        t = mp.mpf(float(x))
        f2 = float(mp.diff(e.mp_eval, t, 2))
        scale = 1.0
        for s in _subexpressions(e):
            g = [abs(float(v)) for v in mp.diffs(s.mp_eval, t, 2)]
            scale = max(scale, g[0], g[1], g[2], g[1] * g[1])
    got = dd.derivative(lambda s: dd.derivative(e.np_eval, s), x)
    assert abs(float(got) - f2) <= 1e-12 * scale, (e, got, f2)
    # the same through the closure: d/ds d/dt f(s + t) at t = 0
    got = dd.derivative(lambda s: dd.derivative(lambda t: e.np_eval(s + t), 0.0), x)
    assert abs(float(got) - f2) <= 1e-12 * scale, (e, got, f2)


# ------------------------------------------------------------- numpy functions with mixed tags


def _nested_case(case, mask, split):
    """d/ds d/dt fn(a + s v1 + t v2) at 0 by nested derivatives; with ``split`` the first
    argument moves with the outer variable only and the second with the inner one only, so
    the two tags meet inside fn."""
    args, rng = _data(case)
    v1, v2 = _dirs(rng, args, mask), _dirs(rng, args, mask)
    if split:
        v1 = [v1[0], np.zeros_like(args[1])]
        v2 = [np.zeros_like(args[0]), v2[1]]

    def inner(s):
        def g(t):
            z = []
            for a, m, d1, d2 in zip(args, mask, v1, v2):
                if not m:
                    z.append(a)
                elif split and not d1.any():
                    z.append(a + t * d2)
                elif split:
                    z.append(a + s * d1)
                else:
                    z.append(a + s * d1 + t * d2)
            return case.fn(*z)

        return dd.derivative(g, 0.0)

    got = dd.derivative(inner, 0.0)
    want = _cs2(case.ref, args, mask, v2, v1)
    assert_rel(got, want, RTOL_SECOND, f"{case.name} nested")


NESTED_PARAMS = [
    pytest.param(c, m, id=f"{c.name}-{''.join('d' if b else 'f' for b in m)}")
    for c in CASES
    for m in c.masks
]


@pytest.mark.parametrize(("case", "mask"), NESTED_PARAMS)
def test_numpy_functions_nested(case, mask):
    _nested_case(case, mask, split=False)


SPLIT_PARAMS = [pytest.param(c, (True, True), id=c.name) for c in CASES if (True, True) in c.masks]


@pytest.mark.parametrize(("case", "mask"), SPLIT_PARAMS)
def test_numpy_functions_with_two_tags_meeting(case, mask):
    _nested_case(case, mask, split=True)


# ------------------------------------------------------------- writing, errors, leaks, kernels


def test_inner_number_written_into_an_outer_array():
    # out is built from the outer x (tag of the gradient); out[0] receives an inner number
    def outer(x):
        def inner(s):
            out = np.zeros_like(x)
            out[0] = s * x[0]
            out[1] = x[1] ** 2
            return np.sum(out * s)  # s² x0 + s x1²

        return dd.derivative(inner, 2.0)  # 2 s x0 + x1² at s = 2: 4 x0 + x1²

    x = np.array([0.5, 3.0])
    np.testing.assert_array_equal(dd.gradient(outer, x), [4.0, 6.0])


def test_inner_hyperdual_cannot_go_into_an_outer_dual_array():
    def outer(x):
        def inner(s):
            out = np.zeros_like(x)
            out[0] = s
            return out[0]

        return dd.second_derivative(inner, 1.0)

    with pytest.raises(TypeError, match="nested derivative"):
        dd.gradient(outer, np.array([1.0, 2.0]))


def test_dual_and_hyperdual_of_one_evaluation_do_not_mix():
    with pytest.raises(TypeError, match="same derivative evaluation"):
        dd.Dual(1.0, 1.0) + dd.HyperDual(1.0, 1.0)
    with pytest.raises(TypeError, match="same derivative evaluation"):
        np.concatenate([dd.Dual(np.ones(2), 1.0), dd.HyperDual(np.ones(2), 1.0)])


def test_leaked_perturbation_raises():
    kept = []
    assert dd.derivative(lambda x: kept.append(x) or x**2, 1.0) == 2.0
    # used by a later call: its ε belongs to a call that has returned
    with pytest.raises(dd.LeakedPerturbationError, match="already returned"):
        dd.derivative(lambda t: t * kept[0], 2.0)
    with pytest.raises(dd.LeakedPerturbationError):
        dd.derivative(lambda t: t + kept[0], 2.0)  # dual part 1, value part the leak
    # leaked from an inner call into the outer f's result (a higher tag than the outer)
    inner_kept = []

    def outer(x):
        dd.derivative(lambda y: inner_kept.append(y) or y, 1.0)
        return x * inner_kept[-1]

    with pytest.raises(dd.LeakedPerturbationError):
        dd.derivative(outer, 3.0)
    # a kept number that never meets a driver is just a number
    assert (kept[0] * 3.0).dual == 3.0


def test_nested_numbers_never_reach_the_kernels():
    # kernels on for every size: nested components take the numpy path, plain ones may not
    x = np.linspace(0.2, 1.5, 7)
    with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
        got = dd.derivative(lambda s: dd.derivative(lambda t: np.exp(s * t), x), 0.5)
        # vector mode (the kernels' general layout) with nested components
        x5 = np.array([0.3, -1.1, 0.8, 1.4, -0.2])
        JG = dd.jacobian(lambda y: dd.gradient(rosenbrock, y), x5)
    # d/ds d/dt exp(s t) = exp(s t)(1 + s t)
    assert_rel(got, np.exp(0.5 * x) * (1 + 0.5 * x), RTOL)
    assert_rel(JG, rosen_hess(x5), RTOL)


def test_tags_do_not_touch_the_float_fast_paths():
    x = dd.Dual(0.5, 1.0)
    y = x * x + np.sin(x)
    assert y._f and y._t == 0
    seen = []
    assert dd.derivative(lambda t: seen.append(t * t) or t, 0.5) == 1.0
    assert seen[0]._f and seen[0]._t > 0  # a driver's own numbers: floats, its own tag


def test_aux_keeps_an_outer_drivers_numbers():
    # the inner aux holds x (an outer number): it must stay differentiable for the outer call
    def outer(x):
        d, aux = dd.derivative(lambda y: (y * x, x**2), 1.0, has_aux=True)
        return d * aux  # x · x²

    assert dd.derivative(outer, 2.0) == 12.0


def test_item_assignment_in_the_inner_f_leaves_the_outer_number_alone():
    def outer(x):
        def inner(y):
            y[0] = 0.0  # writes into the inner copy of x, not into the outer x
            return np.sum(y * y)

        z = x * 1.0  # an outer number with writeable arrays
        return np.sum(dd.gradient(inner, z)) + np.sum(z**3)  # 2 x1 + 2 x2 + Σ x³

    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(dd.gradient(outer, x), [3.0, 14.0, 29.0])


def test_every_driver_nests_inside_derivative():
    s0 = 0.7
    X = np.array([[0.1, 0.2], [0.3, -0.4], [1.0, 0.5]])
    # batches: ∇ of s Σ x² per row is 2 s x, d/ds 2 x; ∇² of s² Σ x³ is 6 s² diag(x), d/ds 12 s
    g = dd.derivative(
        lambda s: dd.gradient(lambda Y: s * np.sum(Y**2, axis=1), X, batch_axis=0), s0
    )
    assert_rel(g, 2 * X, RTOL)
    H = dd.derivative(
        lambda s: dd.hessian(lambda Y: s**2 * np.sum(Y**3, axis=1), X, batch_axis=0), s0
    )
    assert_rel(H, 2 * s0 * np.stack([np.diag(6 * r) for r in X]), RTOL)
    # directions: d/ds [s cos(s x) v] and d/ds [s² e^{s x} v]
    x, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    r = dd.derivative(lambda s: dd.jvp(lambda y: np.sin(s * y), x, v)[1], s0)
    assert_rel(r, (np.cos(s0 * x) - s0 * x * np.sin(s0 * x)) * v, RTOL)
    r = dd.derivative(lambda s: dd.hvp(lambda y: np.sum(np.exp(s * y)), x, v), s0)
    assert_rel(r, (2 * s0 + s0**2 * x) * np.exp(s0 * x) * v, RTOL)
    # structures and argnums
    p = {"w": np.array([1.0, 2.0]), "b": 0.5}
    r = dd.derivative(
        lambda s: dd.gradient(lambda q: s * np.sum(q["w"] ** 2) + q["b"] * s**2, p), s0
    )
    assert_rel(r["w"], 2 * p["w"], RTOL)
    assert r["b"] == pytest.approx(2 * s0, rel=RTOL)

    def inner(t):  # ∇_(a, b) of a b t0 + t1 a at (2, 3): (3 t0 + t1, 2 t0), summed 5 t0 + t1
        g = dd.gradient(lambda a, b: a * b * t[0] + t[1] * a, 2.0, 3.0, argnums=(0, 1))
        return g[0] + g[1]

    np.testing.assert_array_equal(dd.gradient(inner, np.array([1.0, 1.0])), [5.0, 1.0])


def test_linalg_of_nested_numbers_is_refused_clearly():
    M = np.array([[2.0, 1.0], [0.5, 3.0]])
    with pytest.raises(dd.UnsupportedFunctionError, match="nested derivatives"):
        dd.derivative(lambda s: dd.derivative(lambda t: np.linalg.det(M * s * t), 1.0), 2.0)
    # one level inside a driver keeps the driver's tag: d/dt det(M t) = 2 t det(M)
    assert dd.derivative(lambda t: np.linalg.det(M * t), 1.5) == pytest.approx(
        3.0 * np.linalg.det(M), rel=RTOL
    )


def test_sparse_inside_nesting_is_refused_clearly():
    x = np.array([0.5, 1.0, 1.5])
    # f uses the outer variable s: a sparse result cannot hold its derivative
    with pytest.raises(dd.UnsupportedFunctionError, match="sparse="):
        dd.derivative(lambda s: dd.jacobian(lambda y: s * y**2, x, sparse=True).toarray(), 0.5)
    # a dual x (an outer driver's number)
    with pytest.raises(dd.UnsupportedFunctionError, match="sparse="):
        dd.derivative(lambda s: dd.gradient(lambda y: np.sum(y**2), s * x, sparse=True), 0.5)
    # not nested: sparse drivers keep working with their own tag
    J = dd.jacobian(lambda y: y**2, x, sparse=True).toarray()
    np.testing.assert_array_equal(J, np.diag(2 * x))
