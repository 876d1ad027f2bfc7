"""Structured parameters, argnums, args/kwargs, has_aux, JAX-style jvp, dtypes, derivative's
elementwise contract.

References are independent of the structured path: the same model written on one flat
vector (the single-array path, itself checked against scipy and hand-derived formulas in
test_drivers.py) and hand-derived derivatives.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import dualdiff as dd

RTOL = 1e-12

# ------------------------------------------------------------------ a two-layer model

N_IN, N_HID, N_OUT = 3, 4, 2
SHAPES = {"W1": (N_HID, N_IN), "b1": (N_HID,), "W2": (N_OUT, N_HID), "b2": (N_OUT,)}
SIZES = {k: int(np.prod(s)) for k, s in SHAPES.items()}


def params(seed=0):
    r = np.random.default_rng(seed)
    return {k: r.normal(size=s) for k, s in SHAPES.items()}


def to_flat(p):
    return np.concatenate([np.ravel(p[k]) for k in SHAPES])


def from_flat(w):
    """The dict of views into a flat vector (works on dual numbers too)."""
    out, o = {}, 0
    for k, s in SHAPES.items():
        out[k] = w[o : o + SIZES[k]].reshape(s)
        o += SIZES[k]
    return out


def net(p, x):
    h = np.tanh(p["W1"] @ x + p["b1"])
    return p["W2"] @ h + p["b2"]


def loss(p, x, y):
    return 0.5 * np.sum((net(p, x) - y) ** 2)


X_IN = np.array([0.3, -0.7, 1.1])
Y_OUT = np.array([0.5, -0.2])


def loss_grad_by_hand(p, x, y):
    a = p["W1"] @ x + p["b1"]
    h = np.tanh(a)
    r = p["W2"] @ h + p["b2"] - y
    dh = (p["W2"].T @ r) * (1 - h**2)
    return {"W1": np.outer(dh, x), "b1": dh, "W2": np.outer(r, h), "b2": r}


def test_gradient_of_dict_params_against_flat_vector_and_by_hand():
    p = params()
    g = dd.gradient(loss, p, X_IN, Y_OUT)
    assert isinstance(g, dict) and list(g) == list(SHAPES)
    flat = dd.gradient(lambda w: loss(from_flat(w), X_IN, Y_OUT), to_flat(p))
    np.testing.assert_allclose(to_flat(g), flat, rtol=RTOL)
    hand = loss_grad_by_hand(p, X_IN, Y_OUT)
    for k in SHAPES:
        assert g[k].shape == SHAPES[k]
        np.testing.assert_allclose(g[k], hand[k], rtol=RTOL, atol=1e-15)


def test_jacobian_of_dict_params_against_flat_vector():
    """Output structure of input structure: J[out_key][in_key] has shape out + in."""
    p = params(1)

    def f(p):
        y = net(p, X_IN)
        return {"y": y, "norm": np.sum(y**2)}

    J = dd.jacobian(f, p)
    flat = dd.jacobian(lambda w: net(from_flat(w), X_IN), to_flat(p))
    flat_norm = dd.gradient(lambda w: np.sum(net(from_flat(w), X_IN) ** 2), to_flat(p))
    o = 0
    for k, s in SHAPES.items():
        assert J["y"][k].shape == (N_OUT,) + s
        assert J["norm"][k].shape == s
        np.testing.assert_allclose(
            J["y"][k], flat[:, o : o + SIZES[k]].reshape((N_OUT,) + s), rtol=RTOL
        )
        np.testing.assert_allclose(J["norm"][k], flat_norm[o : o + SIZES[k]].reshape(s), rtol=RTOL)
        o += SIZES[k]


def test_hessian_of_dict_params_against_flat_vector():
    """Input structure of input structure: H[a][b] has shape a + b."""
    p = params(2)
    H = dd.hessian(loss, p, X_IN, Y_OUT)
    flat = dd.hessian(lambda w: loss(from_flat(w), X_IN, Y_OUT), to_flat(p))
    offs = np.cumsum([0] + list(SIZES.values()))
    keys = list(SHAPES)
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            block = flat[offs[i] : offs[i + 1], offs[j] : offs[j + 1]]
            assert H[a][b].shape == SHAPES[a] + SHAPES[b]
            np.testing.assert_allclose(
                H[a][b], block.reshape(SHAPES[a] + SHAPES[b]), rtol=RTOL, atol=1e-14
            )
    v = params(3)
    hv = dd.hvp(lambda q: loss(q, X_IN, Y_OUT), p, v)
    np.testing.assert_allclose(to_flat(hv), flat @ to_flat(v), rtol=1e-11, atol=1e-14)
    val, g, H2 = dd.value_gradient_hessian(loss, p, X_IN, Y_OUT)
    assert val == pytest.approx(loss(p, X_IN, Y_OUT), rel=1e-15)
    np.testing.assert_allclose(to_flat(g), to_flat(loss_grad_by_hand(p, X_IN, Y_OUT)), rtol=RTOL)


def test_nested_tuples_lists_and_named_tuples_keep_their_structure():
    Layer = namedtuple("Layer", "w b")
    p = [Layer(np.array([1.0, 2.0]), 0.5), (3.0, {"s": np.array([[1.0, -1.0]])})]

    def f(p):
        (layer, (c, d)) = p
        return np.sum(layer.w**2) * layer.b + c * np.sum(d["s"] ** 3)

    g = dd.gradient(f, p)
    assert isinstance(g, list) and isinstance(g[0], Layer) and isinstance(g[1], tuple)
    np.testing.assert_allclose(g[0].w, [1.0, 2.0], rtol=1e-15)  # 2 w b
    assert g[0].b == pytest.approx(5.0, rel=1e-15)  # sum w**2
    assert g[1][0] == pytest.approx(0.0, abs=1e-15)  # sum s**3 = 0
    np.testing.assert_allclose(g[1][1]["s"], [[9.0, 9.0]], rtol=1e-15)  # 3 c s**2


def test_numeric_lists_are_still_arrays_but_lists_of_arrays_are_structures():
    g = dd.gradient(lambda x: np.sum(x**2), [1.0, 2.0])
    assert isinstance(g, np.ndarray) and g.shape == (2,)
    g = dd.gradient(lambda x: np.sum(x[0] ** 2) + np.sum(x[1]), [np.ones(2), np.ones(3)])
    assert isinstance(g, list) and [np.shape(v) for v in g] == [(2,), (3,)]
    np.testing.assert_array_equal(g[0], [2.0, 2.0])
    np.testing.assert_array_equal(g[1], [1.0, 1.0, 1.0])


# ------------------------------------------------------------------ argnums, args, kwargs


def f3(a, b, c, *, k=1.0):
    return k * a**2 * np.sum(b * c)


def test_argnums_int_and_tuple():
    a, b, c = 1.5, np.array([1.0, 2.0]), np.array([3.0, -1.0])
    np.testing.assert_allclose(dd.gradient(f3, a, b, c, argnums=1), a**2 * c, rtol=1e-15)
    ga, gc = dd.gradient(f3, a, b, c, argnums=(0, 2))
    assert ga == pytest.approx(2 * a * np.sum(b * c), rel=1e-15)
    np.testing.assert_allclose(gc, a**2 * b, rtol=1e-15)
    (gb,) = dd.gradient(f3, a, b, c, argnums=(1,))
    np.testing.assert_allclose(gb, a**2 * c, rtol=1e-15)
    ga2, gc2 = dd.gradient(f3, a, b, c, argnums=(0, -1), kwargs={"k": 2.0})
    assert ga2 == pytest.approx(2 * ga, rel=1e-15)
    # a tuple of scalar arguments is a tuple of results, not one array
    assert dd.gradient(lambda x, y: x * y**2, 2.0, 3.0, argnums=(0, 1)) == (9.0, 12.0)
    H = dd.hessian(f3, a, b, c, argnums=(0, 1))
    assert H[0][0] == pytest.approx(2 * np.sum(b * c), rel=1e-15)
    np.testing.assert_allclose(H[0][1], 2 * a * c, rtol=1e-15)
    np.testing.assert_allclose(H[1][0], 2 * a * c, rtol=1e-15)
    np.testing.assert_array_equal(H[1][1], np.zeros((2, 2)))
    J = dd.jacobian(lambda x, y: x * y, 2.0, np.array([1.0, 3.0]), argnums=(0, 1))
    np.testing.assert_array_equal(J[0], [1.0, 3.0])
    np.testing.assert_array_equal(J[1], 2.0 * np.eye(2))


def test_args_and_kwargs_pass_through_undifferentiated():
    b, c = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    g = dd.gradient(f3, 1.5, args=(b, c), kwargs={"k": 3.0})
    assert g == pytest.approx(3.0 * 2 * 1.5 * np.sum(b * c), rel=1e-15)


@pytest.mark.parametrize("argnums", [3, -4, (0, 5), (), "0", (0.0,)])
def test_bad_argnums(argnums):
    with pytest.raises((ValueError, TypeError), match="argnums"):
        dd.gradient(f3, 1.0, np.ones(2), np.ones(2), argnums=argnums)


# ------------------------------------------------------------------ has_aux


def with_aux(x):
    y = np.sum(np.sin(x))
    return y, {"y": y, "tag": "run-1", "x": x}


def test_has_aux_gradient_jacobian_hessian():
    x = np.array([0.2, 0.9])
    g, aux = dd.gradient(with_aux, x, has_aux=True)
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-15)
    assert aux["tag"] == "run-1"
    assert aux["y"] == pytest.approx(np.sum(np.sin(x)), rel=1e-15)  # the value, not a Dual
    np.testing.assert_array_equal(aux["x"], x)
    J, aux = dd.jacobian(lambda t: (np.sin(t), t.shape), x, has_aux=True)
    np.testing.assert_allclose(J, np.diag(np.cos(x)), rtol=1e-15)
    assert aux == (2,)
    H, aux = dd.hessian(with_aux, x, has_aux=True)
    np.testing.assert_allclose(H, np.diag(-np.sin(x)), rtol=1e-15)
    assert aux["tag"] == "run-1" and type(aux["y"]) is float
    # value_ forms put (value, aux) in the value's place, as JAX's value_and_grad
    (val, aux), g = dd.value_and_gradient(with_aux, x, has_aux=True)
    assert val == pytest.approx(np.sum(np.sin(x)), rel=1e-15) and aux["tag"] == "run-1"
    (val, aux), g, H = dd.value_gradient_hessian(with_aux, x, has_aux=True)
    np.testing.assert_allclose(H, np.diag(-np.sin(x)), rtol=1e-15)
    value, tangent, aux = dd.jvp(with_aux, x, np.ones(2), has_aux=True)
    assert tangent == pytest.approx(np.sum(np.cos(x)), rel=1e-15) and aux["tag"] == "run-1"
    d, aux = dd.derivative(lambda t: (np.sin(t), "a"), 0.3, has_aux=True)
    assert d == pytest.approx(np.cos(0.3), rel=1e-15) and aux == "a"
    hv, aux = dd.hvp(with_aux, x, np.array([1.0, 0.0]), has_aux=True)
    np.testing.assert_allclose(hv, [-np.sin(0.2), 0.0], rtol=1e-15)


def test_pair_output_without_has_aux_names_has_aux():
    with pytest.raises(TypeError, match="has_aux"):
        dd.gradient(lambda x: (np.sum(x), "aux"), np.ones(2))
    with pytest.raises(TypeError, match="has_aux=True expects"):
        dd.gradient(lambda x: np.sum(x), np.ones(2), has_aux=True)


# ------------------------------------------------------------------ JAX-style jvp and hvp


def test_jax_style_jvp_tuples():
    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    value, tangent = dd.jvp(lambda t: t**2, (x,), (v,))
    np.testing.assert_array_equal(value, x**2)
    np.testing.assert_array_equal(tangent, 2 * x * v)
    y, w = np.array([3.0, 4.0]), np.array([1.0, 1.0])
    value, tangent = dd.jvp(lambda a, b: a * b, (x, y), (v, w))
    np.testing.assert_array_equal(value, x * y)
    np.testing.assert_array_equal(tangent, v * y + x * w)
    # a structured argument inside the tuple
    value, tangent = dd.jvp(
        lambda p: p["a"] * p["b"], ({"a": 2.0, "b": 3.0},), ({"a": 1.0, "b": 0.0},)
    )
    assert (value, tangent) == (6.0, 3.0)
    # the old single-array form is unchanged
    value, tangent = dd.jvp(lambda t: t**2, x, v)
    np.testing.assert_array_equal(tangent, 2 * x * v)


def test_jax_style_hvp_tuples():
    def f(a, b):
        return a**2 * np.sum(b**3)

    a, b = 2.0, np.array([1.0, 2.0])
    va, vb = 1.0, np.array([0.0, 1.0])
    ha, hb = dd.hvp(f, (a, b), (va, vb))
    # H = [[2 sum b^3, 2a 3b^2], [2a 3b^2, a^2 diag(6b)]]
    assert ha == pytest.approx(2 * np.sum(b**3) * va + 2 * a * np.sum(3 * b**2 * vb), rel=1e-15)
    np.testing.assert_allclose(hb, 2 * a * 3 * b**2 * va + a**2 * 6 * b * vb, rtol=1e-15)


def test_jvp_tuple_mismatch_is_a_clear_error():
    with pytest.raises(TypeError, match="tuple"):
        dd.jvp(np.sin, (np.ones(2),), np.ones(2))
    with pytest.raises(TypeError, match="tuple"):
        dd.jvp(np.sin, (np.ones(2), 1.0), (np.ones(2),))
    with pytest.raises(ValueError, match="structure"):
        dd.jvp(lambda p: p["a"], {"a": 1.0}, {"b": 1.0})


# ------------------------------------------------------------------ derivative: J @ 1


def test_derivative_of_a_scalar_f_of_an_array_raises():
    with pytest.raises(ValueError, match="gradient"):
        dd.derivative(lambda x: np.sum(x**2), [1.0, 2.0])
    with pytest.raises(ValueError, match="elementwise"):
        dd.second_derivative(lambda x: np.outer(x, x), np.ones(2))
    with pytest.raises(ValueError, match="jacobian"):
        dd.value_and_derivatives(lambda x: x[:1], np.ones(2))
    # a scalar x may map to anything (a curve)
    np.testing.assert_array_equal(dd.derivative(lambda t: t * np.ones(3), 2.0), np.ones(3))


def test_derivative_of_cumsum_is_j_times_ones():
    """Not elementwise, same shape: not detected; documented as J @ 1 (= jvp with ones)."""
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(dd.derivative(np.cumsum, x), [1.0, 2.0, 3.0])
    J = np.tril(np.ones((3, 3)))  # d cumsum / dx by hand
    np.testing.assert_array_equal(dd.derivative(np.cumsum, x), J @ np.ones(3))


def test_derivative_of_structures_elementwise():
    d = dd.derivative(
        lambda p: {"a": np.sin(p["a"]), "b": p["b"] ** 2}, {"a": 0.0, "b": np.ones(2)}
    )
    assert d["a"] == 1.0
    np.testing.assert_array_equal(d["b"], [2.0, 2.0])


# ------------------------------------------------------------------ dtypes


def _x32():
    return np.array([0.25, 0.5, 1.5], dtype=np.float32)


def _cube(t):
    return np.sum(t**3)


# driver -> (call, hand-derived reference in float64 at x)
FLOAT32_CASES = {
    "derivative": (lambda x: dd.derivative(np.sin, x), lambda x: np.cos(x)),
    "second_derivative": (lambda x: dd.second_derivative(np.sin, x), lambda x: -np.sin(x)),
    "value_and_derivatives": (
        lambda x: dd.value_and_derivatives(np.exp, x).second,
        lambda x: np.exp(x),
    ),
    "gradient": (lambda x: dd.gradient(_cube, x), lambda x: 3 * x**2),
    "value_and_gradient": (lambda x: dd.value_and_gradient(_cube, x).value, lambda x: np.sum(x**3)),
    "jacobian": (lambda x: dd.jacobian(np.sin, x), lambda x: np.diag(np.cos(x))),
    "hessian": (lambda x: dd.hessian(_cube, x), lambda x: np.diag(6 * x)),
    "value_gradient_hessian": (
        lambda x: dd.value_gradient_hessian(_cube, x).gradient,
        lambda x: 3 * x**2,
    ),
    "hvp": (lambda x: dd.hvp(_cube, x, np.ones(3, np.float32)), lambda x: 6 * x),
    "jvp": (lambda x: dd.jvp(np.sin, x, np.ones(3, np.float32))[1], lambda x: np.cos(x)),
    "gradient batched": (
        lambda x: dd.gradient(lambda X: np.sum(X**3, axis=1), x.reshape(3, 1), batch_axis=0),
        lambda x: (3 * x**2).reshape(3, 1),
    ),
    "gradient dict": (
        lambda x: dd.gradient(lambda p: _cube(p["a"]), {"a": x})["a"],
        lambda x: 3 * x**2,
    ),
    "gradient_of": (lambda x: dd.gradient_of(_cube)(x), lambda x: 3 * x**2),
}


@pytest.mark.parametrize("name", list(FLOAT32_CASES))
def test_float32_in_float32_out(name):
    call, ref = FLOAT32_CASES[name]
    x = _x32()
    out = call(x)
    assert np.asarray(out).dtype == np.float32, name
    np.testing.assert_allclose(out, ref(x.astype(np.float64)), rtol=2e-7)


def test_float32_scalar_and_float64_unchanged():
    d = dd.derivative(np.sin, np.float32(0.5))
    assert type(d) is np.float32 and d == np.float32(np.cos(0.5))
    assert type(dd.derivative(np.sin, 0.5)) is float
    assert dd.gradient(_cube, np.ones(2)).dtype == np.float64
    assert dd.gradient(_cube, np.ones(2, dtype=np.int32)).dtype == np.float64
    # mixed float32 and float64 leaves follow numpy's promotion: float64
    g = dd.gradient(lambda p: _cube(p[0]) + _cube(p[1]), (np.ones(2, np.float32), np.ones(2)))
    assert g[0].dtype == g[1].dtype == np.float64


# ------------------------------------------------------------------ nesting still works


def test_nested_first_order_drivers_with_args():
    def f(x, a):
        return a * np.sum(np.exp(x) * x[::-1])

    x = np.array([0.1, 0.4, -0.3])
    JG = dd.jacobian(lambda y: dd.gradient(f, y, args=(2.0,)), x)
    np.testing.assert_allclose(JG, dd.hessian(f, x, args=(2.0,)), rtol=1e-14)
    JG2 = dd.jacobian(lambda y: dd.gradient(f, y, 2.0), x)
    np.testing.assert_allclose(JG2, JG, rtol=1e-15)
