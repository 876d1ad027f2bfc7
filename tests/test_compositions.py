"""Random compositions of elementary functions (hypothesis) against independent references.

``f'`` against the complex-step derivative of the same expression, ``f''`` (and ``f'`` again)
against mpmath's derivative of the expression written in mpmath, at 50 digits. Expressions are
built from the analytic, overflow-free nodes in ``strategies`` (UNARY_OPS, BINARY_OPS).

Tolerance: rounding in a chain of operations scales with the sizes of the intermediate
derivatives, not of the result (``f = g - h`` may cancel), so the bound is
``RTOL_COMPOSITION * (1 + max over subexpressions of |g|, |g'|, |g''|, |g'|**2)``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, example, given
from hypothesis import strategies as st
from mpmath import mp
from strategies import (
    BINARY_OPS,
    H_CS,
    MP_DPS,
    UNARY_OPS,
    Expr,
    expressions,
    floats_in,
)

import dualdiff as dd

RTOL_COMPOSITION = 1e-12
X_RANGE = (-3.0, 3.0)
OPS = {op.name: op for op in UNARY_OPS + BINARY_OPS}
X = Expr(None)


def E(name, *args):
    """Build an expression by node name (for pinned examples)."""
    return Expr(OPS[name], tuple(args))


def C(value):
    return Expr(None, const=value)


def subexpressions(e):
    yield e
    for a in e.args:
        yield from subexpressions(a)


def mp_reference(e, x):
    """``(f, f', f'')`` of the expression at ``x`` and the tolerance scale, by mpmath."""
    with mp.workdps(MP_DPS):
        t = mp.mpf(float(x))
        f0, f1, f2 = (float(v) for v in mp.diffs(e.mp_eval, t, 2))
        scale = 1.0
        for s in subexpressions(e):
            g0, g1, g2 = (abs(float(v)) for v in mp.diffs(s.mp_eval, t, 2))
            scale = max(scale, g0, g1, g2, g1 * g1)
    return f0, f1, f2, scale


def complex_step(e, x):
    return float(np.imag(e.cs_eval(np.complex128(complex(float(x), H_CS))))) / H_CS


def _usable(e, x):
    if not e.has_x():
        return False
    with np.errstate(all="ignore"):
        v = e.np_eval(np.float64(x))
    return bool(np.isfinite(v)) and abs(v) < 1e8


def _close(got, want, scale, what):
    got = float(got)
    assert abs(got - want) <= RTOL_COMPOSITION * scale, (
        f"{what}: got {got!r}, reference {want!r}, error {abs(got - want):.3g}, "
        f"allowed {RTOL_COMPOSITION * scale:.3g}"
    )


# ------------------------------------------------------------------------ scalar path


@given(expressions, floats_in(*X_RANGE))
@example(E("sin", X), 0.5)
@example(E("*", E("exp∘sin", X), E("1/(1+a²)", X)), -1.25)
@example(E("(1+a²)**sin(b)", X, E("a**3", X)), 1.5)
@example(E("-", E("sqrt(1+a²)", X), E("arcsinh", X)), 2.0)
@example(E("a/(2+sin b)", C(2.0), X), 0.0)
@example(E("hypot(a,1+b²)", X, X), -0.75)
@example(E("cbrt(2+sin)", E("arctan2(a,2+cos b)", X, X)), 1.0)
@example(E("logaddexp(sin a,b)", X, E("-a", X)), 0.3)
def test_composition_scalar(e, x):
    assume(_usable(e, x))
    f0, f1, f2, scale = mp_reference(e, x)
    d = e.np_eval(dd.Dual(x, 1.0))
    assert isinstance(d, dd.Dual)
    _close(d.value, f0, scale, f"{e} value")
    _close(d.dual, complex_step(e, x), scale, f"{e} f' vs complex step")
    _close(d.dual, f1, scale, f"{e} f' vs mpmath")
    h = e.np_eval(dd.HyperDual(x, 1.0, 1.0, 0.0))
    assert isinstance(h, dd.HyperDual)
    _close(h.value, f0, scale, f"{e} value")
    _close(h.eps1, f1, scale, f"{e} eps1")
    _close(h.eps2, f1, scale, f"{e} eps2")
    _close(h.eps12, f2, scale, f"{e} f'' vs mpmath")


# ------------------------------------------------------------------------ array path


@given(expressions, st.lists(floats_in(*X_RANGE), min_size=3, max_size=3))
@example(E("*", E("tanh", X), E("log(2+cos)", X)), [0.1, -2.0, 2.9])
def test_composition_array(e, xs):
    assume(all(_usable(e, x) for x in xs))
    x = np.array(xs)
    refs = [mp_reference(e, xi) for xi in xs]
    d = e.np_eval(dd.Dual(x, np.ones(3)))
    h = e.np_eval(dd.HyperDual(x, np.ones(3), np.ones(3), np.zeros(3)))
    # vector mode: two directions, seeds 1 and -2
    v = e.np_eval(dd.Dual(x, np.stack([np.ones(3), -2.0 * np.ones(3)], axis=-1)))
    assert np.shape(d.value) == (3,) and np.shape(h.eps12) == (3,) and np.shape(v.dual) == (3, 2)
    for i, (f0, f1, f2, scale) in enumerate(refs):
        _close(d.value[i], f0, scale, f"{e} value[{i}]")
        _close(d.dual[i], complex_step(e, xs[i]), scale, f"{e} f'[{i}] vs complex step")
        _close(h.eps1[i], f1, scale, f"{e} eps1[{i}]")
        _close(h.eps12[i], f2, scale, f"{e} f''[{i}]")
        _close(v.dual[i, 0], f1, scale, f"{e} vector f'[{i}]")
        _close(v.dual[i, 1], -2.0 * f1, 2.0 * scale, f"{e} vector -2 f'[{i}]")


# ------------------------------------------------------------------------ two variables


@given(
    st.sampled_from(BINARY_OPS),
    expressions,
    expressions,
    floats_in(*X_RANGE),
    floats_in(*X_RANGE),
)
def test_binary_composition_partials(op, ea, eb, x, y):
    """g(x, y) = op(ea(x), eb(y)): mixed partial by hyper-duals against mpmath."""
    assume(_usable(ea, x) and _usable(eb, y))

    def g_mp(s, t):
        return op.mp_fn(ea.mp_eval(s), eb.mp_eval(t))

    with mp.workdps(MP_DPS):
        pt = (mp.mpf(x), mp.mpf(y))
        ref = {k: float(mp.diff(g_mp, pt, k)) for k in [(1, 0), (0, 1), (1, 1), (2, 0)]}
    scale = 1.0 + max(abs(v) for v in ref.values())
    _, _, _, sa = mp_reference(ea, x)
    _, _, _, sb = mp_reference(eb, y)
    scale *= sa * sb
    hx = dd.HyperDual(x, 1.0, 0.0, 0.0)
    hy = dd.HyperDual(y, 0.0, 1.0, 0.0)
    r = op.np_fn(ea.np_eval(hx), eb.np_eval(hy))
    _close(r.eps1, ref[1, 0], scale, f"{op}({ea}, {eb}) fx")
    _close(r.eps2, ref[0, 1], scale, f"{op}({ea}, {eb}) fy")
    _close(r.eps12, ref[1, 1], scale, f"{op}({ea}, {eb}) fxy")
    rxx = op.np_fn(ea.np_eval(dd.HyperDual(x, 1.0, 1.0, 0.0)), eb.np_eval(y))
    _close(rxx.eps12, ref[2, 0], scale, f"{op}({ea}, {eb}) fxx")
