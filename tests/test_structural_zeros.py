"""NaN-safe zeros: a singular partial stays in its own direction (issue 10, item 2).

The rule (:mod:`dualdiff._algebra`): a derivative part equal to zero absorbs an infinite or
nan coefficient (``0·inf = 0``), in every product term of the chain, product and quotient
rules and in contractions; ``dd.nan_safe(False)`` gives raw IEEE products. References are the
closed-form derivatives (``d/dt sqrt t = 1/(2 sqrt t)``, ...), written here; the raw-IEEE
results are checked against what IEEE arithmetic gives for the same formula (``inf·0 = nan``).

Paths: the Python-float path (scalar drivers), the numpy path (``use_numba(False)``) and the
kernel path (the ``kernels`` fixture of ``conftest.py``: every size). The kernel tests use a
handful of rules only (each kernel costs about a second to compile in CI; the NaN-safe ones
are in the precompiled common set, the raw-IEEE ones are compiled on first use).
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff._rules import UNARY_RULES
from dualdiff.dual import _new as dual_new
from dualdiff.hyperdual import _new as hyper_new

INF, NAN = math.inf, math.nan
RTOL = 1e-13


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@contextlib.contextmanager
def numpy_path():
    with dd.use_numba(False):
        yield


def _equal(got, want):
    """IEEE-exact where ``want`` is not finite (same infinities, nans where nan), close
    elsewhere."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, (got, want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{got} vs {want}")
    infinite = np.where(np.isinf(want), want, 0), np.where(np.isinf(got), got, 0)
    np.testing.assert_array_equal(*infinite)
    finite = np.isfinite(want)
    # entrywise relative, plus a norm-wise floor: an entry that is a sum of terms (the
    # Hessian's diagonal) carries rounding relative to its largest term, not to itself
    scale = np.max(np.abs(want[finite]), initial=0.0)
    np.testing.assert_allclose(got[finite], want[finite], rtol=RTOL, atol=RTOL * scale + 1e-300)


def _sqrt_sum_grad(x):
    """``d/dx_i Σ sqrt(x)``: ``1/(2 sqrt x_i)`` (``inf`` at 0)."""
    with np.errstate(divide="ignore"):
        return 0.5 / np.sqrt(x)


# The examples: (driver, f, x, closed form, raw IEEE)
EXAMPLES = {
    "gradient sqrt(x0) + x1²": (
        dd.gradient, lambda t: np.sqrt(t[0]) + t[1] ** 2, [0.0, 1.0], [INF, 2.0], [INF, NAN],
    ),
    "jacobian sqrt": (
        dd.jacobian, np.sqrt, [0.0, 1.0], [[INF, 0.0], [0.0, 0.5]], [[INF, NAN], [0.0, 0.5]],
    ),
    "hessian Σ sqrt": (  # -x^(-3/2)/4 on the diagonal
        dd.hessian, lambda t: np.sum(np.sqrt(t)), [0.0, 1.0], [[-INF, 0.0], [0.0, -0.25]],
        [[NAN, NAN], [NAN, NAN]],
    ),
    "gradient log(x0)·x1 (product rule)": (  # (x1/x0, log x0)
        dd.gradient, lambda t: np.log(t[0]) * t[1], [0.0, 1.0], [INF, -INF], [NAN, NAN],
    ),
    "gradient x1/x0 (quotient rule)": (  # (-x1/x0², 1/x0)
        dd.gradient, lambda t: t[1] / t[0], [0.0, 1.0], [-INF, INF], [-INF, NAN],
    ),
    "gradient x0**0.5 + x1 (constant power)": (
        dd.gradient, lambda t: t[0] ** 0.5 + t[1], [0.0, 3.0], [INF, 1.0], [INF, NAN],
    ),
    "gradient inf·x0 + x1 (constant factor)": (
        dd.gradient, lambda t: np.inf * t[0] + t[1], [2.0, 3.0], [INF, 1.0], [INF, NAN],
    ),
    "gradient x0/0 + x1 (constant divisor)": (
        dd.gradient, lambda t: t[0] / 0.0 + t[1], [2.0, 3.0], [INF, 1.0], [INF, NAN],
    ),
    "jacobian A @ sqrt(x) (constant matrix)": (  # A · diag(1/(2 sqrt x))
        dd.jacobian, lambda t: np.array([[1.0, 2.0], [3.0, 4.0]]) @ np.sqrt(t), [0.0, 1.0],
        [[INF, 1.0], [INF, 2.0]], [[INF, NAN], [INF, NAN]],
    ),
    "gradient [inf, 1] @ x (inf in a constant)": (
        dd.gradient, lambda t: np.array([np.inf, 1.0]) @ t, [2.0, 3.0], [INF, 1.0], [INF, NAN],
    ),
    "gradient einsum [inf, 1]·x": (
        dd.gradient, lambda t: np.einsum("i,i->", np.array([np.inf, 1.0]), t), [2.0, 3.0],
        [INF, 1.0], [INF, NAN],
    ),
    "gradient sqrt(x) @ (x + 1) (dual contraction)": (  # (x_i + 1)/(2 sqrt x_i) + sqrt x_i
        dd.gradient, lambda t: np.sqrt(t) @ (t + 1.0), [0.0, 1.0], [INF, 2.0], [INF, NAN],
    ),
    "hessian sqrt(x0) + x0·x1 (vector-mode hyper product)": (
        dd.hessian, lambda t: np.sqrt(t[0]) + t[0] * t[1], [0.0, 2.0], [[-INF, 1.0], [1.0, 0.0]],
        [[NAN, NAN], [NAN, NAN]],
    ),
    "hessian sqrt(x) @ (A @ x) (hyper contraction)": (
        # A = [[0, 1], [1, 0]]: f = sqrt(x0)·x1 + sqrt(x1)·x0; H = [[-x1/(4 x0^1.5),
        # 1/(2 sqrt x0) + 1/(2 sqrt x1)], [., -x0/(4 x1^1.5)]]
        dd.hessian, lambda t: np.sqrt(t) @ (np.array([[0.0, 1.0], [1.0, 0.0]]) @ t), [0.0, 1.0],
        [[-INF, INF], [INF, 0.0]], [[NAN, NAN], [NAN, NAN]],
    ),
    "hessian x1/x0 (vector-mode hyper quotient)": (  # (2x1/x0³, -1/x0²; -1/x0², 0)
        dd.hessian, lambda t: t[1] / t[0], [0.0, 1.0], [[INF, -INF], [-INF, 0.0]],
        [[NAN, NAN], [NAN, NAN]],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples_numpy_path(name):
    driver, f, x, want, raw = EXAMPLES[name]
    with numpy_path():
        _equal(driver(f, np.array(x)), want)
        with dd.nan_safe(False):
            _equal(driver(f, np.array(x)), raw)


def test_kernel_path_n200(kernels):
    """The issue's n = 200 gradient on the kernel path: one ``inf``, 199 exact ``1/2``."""
    pytest.importorskip("numba")
    x = np.r_[0.0, np.ones(199)]
    g = dd.gradient(lambda t: np.sum(np.sqrt(t)), x)
    _equal(g, _sqrt_sum_grad(x))
    with dd.nan_safe(False):  # the raw kernel, compiled on first use
        g = dd.gradient(lambda t: np.sum(np.sqrt(t)), x)
    assert g[0] == INF and np.isnan(g[1:]).all()
    with numpy_path():
        _equal(dd.gradient(lambda t: np.sum(np.sqrt(t)), x), _sqrt_sum_grad(x))


KERNEL_EXAMPLES = [
    "gradient sqrt(x0) + x1²",
    "jacobian sqrt",
    "hessian Σ sqrt",
    "gradient log(x0)·x1 (product rule)",
    "gradient x1/x0 (quotient rule)",
    "hessian sqrt(x0) + x0·x1 (vector-mode hyper product)",
    "hessian x1/x0 (vector-mode hyper quotient)",
]


def test_examples_kernel_path(kernels):
    pytest.importorskip("numba")
    for name in KERNEL_EXAMPLES:
        driver, f, x, want, _ = EXAMPLES[name]
        _equal(driver(f, np.array(x)), want)


@pytest.mark.parametrize(
    ("f", "x", "want"),
    [
        # Python floats: f, f', f'' by the closed forms
        (np.sqrt, 0.0, (0.0, INF, -INF)),
        (lambda t: np.inf * t**2, 0.0, (NAN, 0.0, INF)),  # inf·0 value; 2·inf·t = inf·0 -> 0
        (lambda t: t**2 / 0.0, 0.0, (NAN, 0.0, INF)),  # (t²)' = 0 over 0 -> 0; 2/0 = inf
    ],
)
def test_float_path_matches_numpy_path(f, x, want):
    s = dd.value_and_derivatives(f, x)
    with numpy_path():
        a = dd.value_and_derivatives(f, np.array([x]))
    for k, (got, arr) in enumerate(zip((s.value, s.first, s.second), a)):
        assert type(got) is float
        _equal(got, want[k])
        _equal(arr[0], want[k])


def test_computed_zeros_absorb_too():
    """The documented consequence: ``sqrt(x - x)`` has derivative ``0`` (raw: ``nan``)."""
    with numpy_path():
        assert dd.derivative(lambda t: np.sqrt(t - t), np.array([1.0]))[0] == 0.0
        with dd.nan_safe(False):
            assert np.isnan(dd.derivative(lambda t: np.sqrt(t - t), np.array([1.0]))[0])
    assert dd.derivative(lambda t: np.sqrt(t - t), 1.0) == 0.0


def test_a_zero_coefficient_does_not_absorb():
    """``(sqrt t)²`` at 0: ``2·sqrt(t)·sqrt'(t) = 0·inf``, an indeterminate form: nan stays
    (the rule absorbs only at a zero *derivative* factor)."""
    with numpy_path():
        assert np.isnan(dd.derivative(lambda t: np.sqrt(t) ** 2, np.array([0.0]))[0])
    assert math.isnan(dd.derivative(lambda t: np.sqrt(t) ** 2, 0.0))


# ---------------------------------------------------------------- the switch


def test_nan_safe_call_and_context_manager():
    x = np.array([0.0, 1.0])
    f = EXAMPLES["gradient sqrt(x0) + x1²"][1]
    assert bool(dd.nan_safe(False)) is True  # the previous setting: on (the default)
    try:
        assert np.isnan(dd.gradient(f, x)[1])
        with dd.nan_safe(True) as before:
            assert bool(before) is False
            assert dd.gradient(f, x)[1] == 2.0
        assert np.isnan(dd.gradient(f, x)[1])  # restored
    finally:
        dd.nan_safe(True)
    assert dd.gradient(f, x)[1] == 2.0
    with pytest.raises(TypeError, match="True or False"):
        dd.nan_safe("no")


def test_nan_safe_is_per_thread():
    f = EXAMPLES["gradient sqrt(x0) + x1²"][1]
    x = np.array([0.0, 1.0])
    entered, release, seen = threading.Event(), threading.Event(), []

    def raw():
        with dd.nan_safe(False):
            entered.set()
            release.wait(10)
            seen.append(dd.gradient(f, x)[1])

    t = threading.Thread(target=raw)
    t.start()
    entered.wait(10)
    here = dd.gradient(f, x)[1]  # the other thread is inside nan_safe(False)
    release.set()
    t.join()
    assert here == 2.0 and np.isnan(seen[0])


# ---------------------------------------------------------------- parity over the rules


CORE_UNARY = {u: r for u, r in UNARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"}
EDGES = [0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 0.5, 2.0, 1e-300, 1e300, 710.0, -750.0]
PARTS = [(0.0,), (1.0,), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 0.0),
         (0.5, 0.0, 2.0)]  # fmt: skip
"""Derivative parts with real zeros in each place (floats on one path, float64 arrays with
real ``0.0`` entries, not the drivers' read-only seeds, on the other)."""


def _number(x, parts, array):
    wrap = (lambda v: np.array([v])) if array else float
    if len(parts) == 1:
        return dual_new(wrap(x), wrap(parts[0]), "", 0)
    return hyper_new(wrap(x), *(wrap(p) for p in parts), "", "", 0)


def _same(got, ref, what):
    ref = float(np.ravel(ref)[0])
    if math.isnan(ref) or math.isinf(ref):
        assert got == ref or (math.isnan(got) and math.isnan(ref)), (what, got, ref)
    else:
        assert abs(got - ref) <= 8 * np.finfo(float).eps * abs(ref), (what, got, ref)


@pytest.mark.parametrize("ufunc", list(CORE_UNARY), ids=[u.__name__ for u in CORE_UNARY])
def test_real_zeros_are_structural_on_every_rule(ufunc):
    """NaN-safe: a real ``0.0`` derivative part (numpy path) behaves as the float path's,
    which is structural: the two agree on every rule at its edges."""
    lo, hi = CORE_UNARY[ufunc].domain
    for x in EDGES + [lo, hi]:
        for parts in PARTS:
            got = ufunc(_number(x, parts, False))
            with numpy_path():
                ref = ufunc(_number(x, parts, True))
            for name in got._NAMES:
                _same(getattr(got, name), getattr(ref, name), (ufunc.__name__, x, parts, name))


def test_kernels_agree_with_numpy_on_real_zeros(kernels):
    """Kernel vs numpy path (NaN-safe, and raw for sqrt) on identity seeds (real zeros) at the
    edges: vector-mode Dual and HyperDual, unary rules, product and quotient."""
    pytest.importorskip("numba")
    x = np.array([0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 0.5, 2.0, 1e-300])
    n = x.size
    eye = np.eye(n)
    d = dd.Dual(x, eye)
    h = dd.HyperDual(x, eye, eye, np.zeros((n, n, n)))
    cases = [np.sqrt, np.log, np.arcsin, np.cbrt, lambda t: t**0.5, lambda t: t * t[::-1],
             lambda t: t / t[::-1]]  # fmt: skip
    for modes in ((True,), (True, False)):
        for f in cases[:1] if len(modes) == 2 else cases:
            for z in (d, h):
                for safe in modes:
                    with dd.nan_safe(safe):
                        got = f(z)
                        with numpy_path():
                            ref = f(z)
                    for g, r in zip(got._parts(), ref._parts()):
                        _equal(g, r)


# ---------------------------------------------------------------- property: no leak

SINGULAR = {
    # name: (g, g', g'', singular point, (g'(s), g''(s)) as closed-form limits, regular range)
    "sqrt": (np.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x**-1.5, 0.0, (INF, -INF),
             (0.1, 4.0)),
    "log": (np.log, lambda x: 1 / x, lambda x: -1 / x**2, 0.0, (INF, -INF), (0.1, 4.0)),
    "pow_half": (lambda x: x**0.5, lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, 0.0,
                 (INF, -INF), (0.1, 4.0)),
    "cbrt": (np.cbrt, lambda x: x ** (-2 / 3) / 3, lambda x: -2 / 9 * x ** (-5 / 3), 0.0,
             (INF, -INF), (0.1, 4.0)),
    "arcsin+1": (np.arcsin, lambda x: 1 / np.sqrt(1 - x * x), lambda x: x / (1 - x * x) ** 1.5,
                 1.0, (INF, INF), (-0.9, 0.9)),
    "arcsin-1": (np.arcsin, lambda x: 1 / np.sqrt(1 - x * x), lambda x: x / (1 - x * x) ** 1.5,
                 -1.0, (INF, -INF), (-0.9, 0.9)),
    "arccos+1": (np.arccos, lambda x: -1 / np.sqrt(1 - x * x),
                 lambda x: -x / (1 - x * x) ** 1.5, 1.0, (-INF, -INF), (-0.9, 0.9)),
}  # fmt: skip
NAMES = sorted(SINGULAR)

coordinates = st.lists(
    st.tuples(st.sampled_from(NAMES), st.booleans(), st.floats(0.0, 1.0)), min_size=2, max_size=6
)


def _problem(coords):
    """``f = Σ g_i(x_i) + Σ sin(x_i) + ½ Σ x_i x_(i+1)``, ``x_i`` singular or regular."""
    gs = [SINGULAR[name] for name, _, _ in coords]
    x = np.array(
        [g[3] if singular else g[5][0] + u * (g[5][1] - g[5][0]) for g, (_, singular, u) in
         zip(gs, coords)]
    )  # fmt: skip
    singular = np.array([s for _, s, _ in coords])

    def f(t):
        total = np.sin(t).sum() + 0.5 * (t[:-1] @ t[1:])
        for i, g in enumerate(gs):
            total = total + g[0](t[i])
        return total

    n = x.size
    coupling = np.zeros((n, n))
    i = np.arange(n - 1)
    coupling[i, i + 1] = coupling[i + 1, i] = 0.5
    grad = np.cos(x) + coupling @ x
    hess = coupling - np.diag(np.sin(x))
    for k, g in enumerate(gs):
        if singular[k]:
            grad[k], hess[k, k] = g[4]
        else:
            grad[k] += g[1](x[k])
            hess[k, k] += g[2](x[k])
    return f, x, grad, hess


@given(coordinates, st.sampled_from(["vector", "scalar"]))
@example([("sqrt", True, 0.0), ("sqrt", False, 0.5)], "vector")
@example([("arcsin+1", True, 0.0), ("log", True, 0.0), ("cbrt", False, 0.3)], "vector")
@example([("arccos+1", True, 0.0), ("pow_half", False, 0.9)], "scalar")
def test_no_nan_leaks_into_other_directions(coords, path):
    """Every gradient and Hessian entry equals the closed form: singular coordinates give
    their infinities, and every other entry is exact and finite (no nan from ``inf·0``).
    ``vector``: gradient and Hessian in one evaluation (identity seeds, real zeros);
    ``scalar``: one coordinate at a time, the others constants (lifted with zero parts)."""
    f, x, grad, hess = _problem(coords)
    with numpy_path():
        if path == "scalar":
            g = np.array([dd.derivative(lambda s, k=k: f(_replace(x, k, s)), x[k])
                          for k in range(x.size)])  # fmt: skip
            _equal(g, grad)
            d2 = [dd.second_derivative(lambda s, k=k: f(_replace(x, k, s)), x[k])
                  for k in range(x.size)]  # fmt: skip
            _equal(d2, np.diag(hess))
            return
        _equal(dd.gradient(f, x), grad)
        _equal(dd.hessian(f, x), hess)


def _replace(x, k, s):
    """``x`` with coordinate ``k`` replaced by the scalar dual ``s``."""
    return np.stack([s if i == k else v for i, v in enumerate(x)])
