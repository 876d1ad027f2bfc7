"""One IEEE semantics on every path: the Python-float path against the numpy path.

Every rule of the core table (``UNARY_RULES``, ``BINARY_RULES`` and ``power_const`` with the
exponents of ``EXPONENTS``), and the product and quotient rules, evaluated at 0, -0, ±inf, nan,
the domain edges and overflow points, for Dual and HyperDual:

- *float path*: the number with Python-float components (the ``math`` rules of
  ``_scalar_path`` and the fast paths of dual.py / hyperdual.py);
- *numpy path*: the same number as a 1-element array with ``dd.use_numba(False)``. A ``0.0``
  derivative part on floats is a structural zero (see ``dualdiff._engine``), so it becomes the
  drivers' ``ZERO`` seed here, as ``second_derivative(f, x)`` seeds ``eps12``.

The two must agree: the same nans, the same infinities with their signs, finite values within
``ULPS`` machine epsilons (math's libm and numpy's loops may differ in the last bit). The kernels
are held to the numpy path by ``tests/test_kernels.py``. The analytic edge values the issue
names ("No silent wrong derivative") are pinned at the end against their closed forms and the
IEEE rules of C99 Annex F.
"""

from __future__ import annotations

import itertools
import math
import operator
import warnings

import numpy as np
import pytest
from strategies import EPS, ULPS

import dualdiff as dd
from dualdiff import _algebra
from dualdiff._rules import BINARY_RULES, UNARY_RULES
from dualdiff.dual import _new as dual_new
from dualdiff.hyperdual import _new as hyper_new

CORE_UNARY = {u: r for u, r in UNARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"}
CORE_BINARY = {u: r for u, r in BINARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"}

INF, NAN = math.inf, math.nan
EDGES = [0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-300, -1e-300, 1e300,
         710.0, -750.0, 1000.0, -1000.0]  # fmt: skip
"""Signed zeros, infinities, nan; 1 and -1 (edges of arcsin, arccos, arctanh, arccosh, log1p);
tiny and huge values; overflow points of exp, sinh, cosh (710) and underflow (-750)."""

EXPONENTS = [0.0, 1.0, 2.0, 0.5, -1.0, 3.0, -2.5]

DUAL_PARTS = [(1.0,), (-2.5,), (0.0,)]
HYPER_PARTS = [(1.0, 1.0, 0.0), (0.5, -2.0, 1.5), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 0.0)]
"""Derivative parts: the drivers' seeds, a general point, and zeros in each place."""


def _points(rule):
    lo, hi = rule.domain
    return EDGES + [lo, hi]


def _floats(x, parts):
    if len(parts) == 1:
        return dual_new(float(x), float(parts[0]), "", 0)
    return hyper_new(float(x), *(float(p) for p in parts), "", "", 0)


def _array(p):
    """A 1-element component; a zero part is the structural ZERO, as on the float path."""
    if p == 0.0:
        return _algebra.filled(_algebra.ZERO, (1,))
    return np.array([p])


def _arrays(x, parts):
    if len(parts) == 1:
        return dual_new(np.array([x]), _array(parts[0]), "", 0)
    b, c, d = parts
    eb = _array(b)
    return hyper_new(np.array([x]), eb, eb if b == c else _array(c), _array(d), "", "", 0)


def _float_path(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the float path never warns (or raises)
        return fn(*args)


def _numpy_path(fn, *args):
    with warnings.catch_warnings(), dd.use_numba(False):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _same(got, ref, what):
    """``got`` (float path) equals ``ref`` (numpy path) in IEEE terms."""
    assert type(got) is float, (what, type(got))
    ref = float(ref)
    if math.isnan(ref) or math.isinf(ref):
        assert got == ref or (math.isnan(got) and math.isnan(ref)), (what, got, ref)
        return
    assert math.isfinite(got), (what, got, ref)
    assert abs(got - ref) <= ULPS * EPS * abs(ref), (what, got, ref)


def assert_parity(fn, *operands):
    """``fn`` on the float-path operands equals ``fn`` on their numpy-path counterparts."""
    floats = [_floats(*o) if isinstance(o, tuple) else o for o in operands]
    arrays = [_arrays(*o) if isinstance(o, tuple) else np.array([o]) for o in operands]
    got = _float_path(fn, *floats)
    ref = _numpy_path(fn, *arrays)
    assert type(got) is type(ref)
    for name in got._NAMES:
        _same(getattr(got, name), np.ravel(getattr(ref, name))[0], (name, operands))


def _ids(table):
    return [u.__name__ for u in table]


@pytest.mark.parametrize("ufunc", list(CORE_UNARY), ids=_ids(CORE_UNARY))
@pytest.mark.parametrize("parts", DUAL_PARTS + HYPER_PARTS, ids=str)
def test_unary_rule(ufunc, parts):
    for x in _points(CORE_UNARY[ufunc]):
        assert_parity(ufunc, (x, parts))


NUMPY_SPLITS = {(np.power, -INF, 0.5), (np.float_power, -INF, 0.5)}
"""Where numpy itself disagrees with numpy: ``np.power(-inf, 0.5)`` is ``nan`` when the
exponent is a scalar (numpy takes ``sqrt``) or a numpy scalar, ``inf`` (C's ``pow``) when both
operands are arrays; the paths follow numpy, so they split here too."""


def _pairs(rule):
    (xlo, xhi), (ylo, yhi) = rule.domain
    xs = EDGES[:11] + [xlo, xhi]
    ys = EDGES[:11] + [ylo, yhi]
    pairs = itertools.product(xs, ys)
    return [(x, y) for x, y in pairs if (rule.ufunc, x, y) not in NUMPY_SPLITS]


@pytest.mark.parametrize("ufunc", list(CORE_BINARY), ids=_ids(CORE_BINARY))
@pytest.mark.parametrize("kind", ["dual", "hyper"])
def test_binary_rule(ufunc, kind):
    px, py = ((1.0,), (-2.0,)) if kind == "dual" else ((1.0, 1.0, 0.0), (0.5, -2.0, 1.5))
    z = (0.0,) if kind == "dual" else (0.0, 0.0, 0.0)
    for x, y in _pairs(CORE_BINARY[ufunc]):
        assert_parity(ufunc, (x, px), (y, py))
        assert_parity(ufunc, (x, px), (y, z))  # one operand's parts structurally zero
        assert_parity(ufunc, (x, px), y)  # constant second operand
        assert_parity(ufunc, x, (y, py))  # constant first operand


@pytest.mark.parametrize("op", [operator.mul, operator.truediv, np.multiply, np.divide])
@pytest.mark.parametrize("kind", ["dual", "hyper"])
def test_product_and_quotient(op, kind):
    """The algebra's own rules: the inline fast paths and the engine's quotient."""
    parts = DUAL_PARTS if kind == "dual" else HYPER_PARTS
    for x, y in itertools.product(EDGES[:11], repeat=2):
        for p, q in itertools.product(parts[:2] + parts[-1:], repeat=2):
            assert_parity(op, (x, p), (y, q))
        assert_parity(op, (x, parts[0]), y)  # constant factor or divisor
        assert_parity(op, x, (y, parts[1]))  # constant times / over a dual


@pytest.mark.parametrize("c", EXPONENTS)
@pytest.mark.parametrize("spelling", ["**", "np.power", "np.float_power"])
@pytest.mark.parametrize("parts", DUAL_PARTS + HYPER_PARTS, ids=str)
def test_power_constant_exponent(c, spelling, parts):
    fn = {
        "**": lambda t: t**c,
        "np.power": lambda t: np.power(t, c),
        "np.float_power": lambda t: np.float_power(t, c),
    }[spelling]
    for x in EDGES + [-8.0, 3.0]:
        assert_parity(fn, (x, parts))


@pytest.mark.parametrize("c", [0, 1, 2, 3, -1])
def test_integer_exponent_fast_path(c):
    """``t ** int`` takes the same route as ``t ** float``."""
    for x in EDGES:
        for parts in DUAL_PARTS + HYPER_PARTS:
            assert_parity(lambda t, c=c: t**c, (x, parts))


# ---------------------------------------------------------------- analytic edge values


def _derivatives(f, x):
    """(f, f', f'') on the float path and on the 1-element array path, both via the driver."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        s = dd.value_and_derivatives(f, x)
        a = dd.value_and_derivatives(f, np.array([x]))
        d1 = dd.derivative(f, x)
    return (s.value, s.first, s.second), tuple(float(v[0]) for v in a), d1


def _eq(got, want):
    return got == want or (math.isnan(got) and math.isnan(want))


@pytest.mark.parametrize(
    ("f", "x", "want"),
    [
        # closed forms: sqrt'' = -x^(-3/2)/4, log'' = -1/x², (x^(1/2))'' at 0+: -inf
        (np.sqrt, 0.0, (0.0, INF, -INF)),
        (np.log, 0.0, (-INF, INF, -INF)),
        (lambda t: t**0.5, 0.0, (0.0, INF, -INF)),
        (lambda t: np.power(t, 0.5), 0.0, (0.0, INF, -INF)),
        # exp(1000) overflows (C99 F.9.3.1): every derivative is the same inf
        (np.exp, 1000.0, (INF, INF, INF)),
        (np.cosh, 1000.0, (INF, INF, INF)),
        # polynomials are exact at 0
        (lambda t: t**0, 0.0, (1.0, 0.0, 0.0)),
        (lambda t: t**1, 0.0, (0.0, 1.0, 0.0)),
        (lambda t: t**2, 0.0, (0.0, 0.0, 2.0)),
        (lambda t: t**0.0, 0.0, (1.0, 0.0, 0.0)),
        (lambda t: t**1.0, 0.0, (0.0, 1.0, 0.0)),
        (lambda t: t**2.0, 0.0, (0.0, 0.0, 2.0)),
        (lambda t: np.power(t, 0.0), 0.0, (1.0, 0.0, 0.0)),
        (lambda t: np.power(t, 1.0), 0.0, (0.0, 1.0, 0.0)),
        (lambda t: np.power(t, 2.0), 0.0, (0.0, 0.0, 2.0)),
        (lambda t: np.float_power(t, 1.0), 0.0, (0.0, 1.0, 0.0)),
        (lambda t: t**1.0, -0.0, (-0.0, 1.0, 0.0)),
        # 1/t at ±0: -1/t² = -inf, 2/t³ = ±inf (C99 F.3: x/±0 is ±inf by the signs)
        (lambda t: 1 / t, 0.0, (INF, -INF, INF)),
        (lambda t: 1 / t, -0.0, (-INF, -INF, -INF)),
        (lambda t: 1.0 / t, 0.0, (INF, -INF, INF)),
        (np.reciprocal, 0.0, (INF, -INF, INF)),
    ],
    ids=lambda v: "" if callable(v) else None,
)
def test_edge_values(f, x, want):
    s, a, d1 = _derivatives(f, x)
    for k in range(3):
        assert _eq(s[k], want[k]), ("float path", k, s, want)
        assert _eq(a[k], want[k]), ("array path", k, a, want)
    assert _eq(d1, want[1]), ("Dual", d1, want)


def test_power_with_dual_exponent_is_exact_at_zero():
    """``_power_rule``: ∂²/∂x² x**y at x = 0 for y = 0, 1, 2 (the binary rule)."""
    for y, fxx in [(0.0, 0.0), (1.0, 0.0), (2.0, 2.0)]:
        for x in (dd.HyperDual(0.0, 1.0, 1.0, 0.0), dd.HyperDual(np.zeros(1), 1.0, 1.0, 0.0)):
            r = np.power(x, dd.HyperDual(y, 0.0, 0.0, 0.0))
            assert float(np.ravel(r.eps12)[0]) == fxx, (y, r)
            assert float(np.ravel(r.eps1)[0]) == (1.0 if y == 1.0 else 0.0), (y, r)


@pytest.mark.parametrize("make", [dd.Dual, lambda a, b: dd.HyperDual(a, b, b, 0.0)])
@pytest.mark.parametrize(
    ("a", "b", "q", "dq"),
    [
        # (a + bε)/(±0 + ε): q = a/±0, dq = (b - q)/±0, IEEE (C99 F.3, F.9)
        (1.0, 0.0, INF, -INF),
        (-1.0, 0.0, -INF, INF),
        (0.0, 1.0, NAN, NAN),
        (1.0, 1.0, INF, -INF),  # (1 - inf·1)/+0
    ],
)
def test_scalar_division_by_zero_is_ieee(make, a, b, q, dq):
    """Python-float duals divide by zero like numpy arrays do: inf/nan, no exception."""
    x = make(a, b)
    y = make(0.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = x / y
    assert _eq(r.value, q)
    assert _eq(r._parts()[1], dq)
    assert type(r.value) is float


SEEDED = [lambda v: dd.Dual(v, 1.0), lambda v: dd.HyperDual(v, 1.0, 1.0, 0.0)]


@pytest.mark.parametrize("make", SEEDED, ids=["dual", "hyper"])
def test_scalar_division_by_constant_zero(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (make(1.0) / 0.0).value == INF
        assert (make(-1.0) / 0).value == -INF
        assert (make(1.0) / -0.0).value == -INF
        assert math.isnan((make(0.0) / 0.0).value)
        assert (2.0 / make(0.0)).value == INF
        assert (2.0 / make(-0.0)).value == -INF
        assert (1 / make(0.0))._parts()[1] == -INF  # -1/t²
        assert math.isnan((0.0 / make(0.0)).value)


def test_division_by_zero_inside_gradient():
    """``v[0] / v[1]`` at v1 = 0: ∂/∂v1 = -v0/v1² = -inf (the issue's example raised)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = dd.gradient(lambda v: v[0] / v[1], np.array([1.0, 0.0]))
        h = dd.second_derivative(lambda t: t / t, 0.0)
    assert g[1] == -INF
    assert math.isnan(h)  # t/t at 0 is 0/0


# ---------------------------------------------------------------- reductions at their edges


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither an exception nor a warning
        return fn(*args)


@pytest.mark.parametrize("make", SEEDED, ids=["dual", "hyper"])
@pytest.mark.parametrize("safe", [True, False], ids=["nan_safe", "raw"])
def test_mean_of_empty_is_nan(make, safe):
    """``Σ x / n`` with ``n = 0``: ``0/0``, numpy's nan, in the value. The derivative parts
    are ``0/0`` too: ``0`` with NaN-safe zeros (a zero derivative part over a zero value),
    nan in raw IEEE mode."""
    x = make(1.0)
    with dd.nan_safe(safe):
        results = (
            _quiet(lambda: np.mean(np.stack([x, x])[:0])),
            _quiet(lambda: np.mean(make(np.zeros((0, 3))), axis=0)),
        )
    for r in results:
        assert np.all(np.isnan(r.value)), r
        for p in r._parts()[1:]:
            assert np.all(np.isnan(p) if not safe else np.asarray(p) == 0.0), r


def test_mean_of_empty_inside_drivers():
    g = _quiet(dd.value_and_gradient, lambda v: np.mean(v[:0]), np.array([1.0, 2.0]))
    d = _quiet(dd.derivative, lambda t: np.mean(np.stack([t])[:0]), 1.0)
    assert math.isnan(g.value) and g.gradient.tolist() == [0.0, 0.0] and d == 0.0
    with dd.nan_safe(False):
        g = _quiet(dd.gradient, lambda v: np.mean(v[:0]), np.array([1.0, 2.0]))
        d = _quiet(dd.derivative, lambda t: np.mean(np.stack([t])[:0]), 1.0)
    assert np.all(np.isnan(g)) and math.isnan(d)


@pytest.mark.parametrize("ddof", [2, 3])
def test_var_with_ddof_at_least_n(ddof):
    """numpy divides by ``max(n - ddof, 0) = 0``: value ``Σ dev²/0``; the gradient
    ``2·dev_i/0`` and the Hessian ``2(δ_ij - 1/n)/0`` follow the same formula."""
    x = np.array([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.var(x, ddof=ddof)  # numpy's own value: inf
    v = _quiet(dd.value_and_gradient, lambda t: np.var(t, ddof=ddof), x)
    assert v.value == want == INF
    assert list(v.gradient) == [-INF, INF]  # dev = (-1/2, 1/2)
    h = _quiet(dd.hessian, lambda t: np.var(t, ddof=ddof), x)
    assert h.tolist() == [[INF, -INF], [-INF, INF]]
    same = _quiet(dd.value_and_gradient, lambda t: np.var(t, ddof=ddof), np.array([1.0, 1.0]))
    # 0/0 in the value; the gradient 2·dev_i/0 = 0/0 is 0 (NaN-safe zeros), nan raw
    assert math.isnan(same.value) and same.gradient.tolist() == [0.0, 0.0]
    with dd.nan_safe(False):
        raw = _quiet(dd.gradient, lambda t: np.var(t, ddof=ddof), np.array([1.0, 1.0]))
    assert np.all(np.isnan(raw))


@pytest.mark.parametrize("ddof", [2, 3])
def test_var_with_ddof_at_least_n_on_python_floats(ddof):
    """Scalar duals: ``var([t, 2t]) = t²/2 / 0``; d/dt = t/0, d²/dt² = 1/0."""
    r = _quiet(dd.value_and_derivatives, lambda t: np.var(np.stack([t, 2.0 * t]), ddof=ddof), 1.0)
    assert (r.value, r.first, r.second) == (INF, INF, INF)
    d = _quiet(dd.derivative, lambda t: np.var(np.stack([t, 2.0 * t]), ddof=ddof), 1.0)
    assert d == INF


@pytest.mark.parametrize(
    ("f", "x", "grad", "hess"),
    [
        # one element / a length-1 axis: var ≡ 0, std ≡ 0, every derivative 0
        (lambda v: np.std(v), [1.0], [0.0], [[0.0]]),
        (lambda v: np.std(v.reshape(2, 1), axis=1).sum(), [1.0, 2.0], [0.0, 0.0], None),
        (lambda v: np.std(v.reshape(1, 2), axis=0, keepdims=True).sum(), [1.0, 2.0], [0, 0], None),
        # std(v0) + v1²: the second derivative along v1 is 2, the rest 0
        (lambda v: np.std(v[:1]) + v[1] ** 2, [1.0, 3.0], [0.0, 6.0], [[0.0, 0.0], [0.0, 2.0]]),
        # std([v0, v0]) ≡ 0: elements that move together
        (lambda v: np.std(np.stack([v[0], v[0]])), [4.0], [0.0], [[0.0]]),
        # away from zero: std([x0, x1]) = |x0 - x1|/2, gradient (x_i - mean)/(n·std)
        (lambda v: np.std(v), [1.0, 3.0], [-0.5, 0.5], [[0.0, 0.0], [0.0, 0.0]]),
    ],
)
def test_std_where_the_variance_is_identically_zero(f, x, grad, hess):
    x = np.array(x)
    assert _quiet(dd.gradient, f, x).tolist() == grad
    if hess is not None:
        assert _quiet(dd.hessian, f, x).tolist() == hess


@pytest.mark.parametrize("safe", [True, False], ids=["nan_safe", "raw"])
def test_std_at_a_kink_stays_nan(safe):
    """``std([x0, x1]) = |x0 - x1|/2`` has no derivative at ``x0 == x1`` (np.std says so
    itself: NaN-safe zeros alone would give 0 there)."""
    with warnings.catch_warnings(), dd.nan_safe(safe):
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.all(np.isnan(dd.gradient(np.std, np.array([1.0, 1.0]))))
        assert np.all(np.isnan(dd.hessian(np.std, np.array([1.0, 1.0]))))
        assert math.isnan(dd.derivative(lambda t: np.std(np.stack([t, 2.0 * t])), 0.0))


@pytest.mark.parametrize("make", SEEDED, ids=["dual", "hyper"])
def test_std_identically_zero_on_python_floats(make):
    for fn in (np.std, lambda t: np.std(np.stack([t, t]), axis=0)):
        r = _quiet(fn, make(2.0))
        assert all(type(p) is float and p == 0.0 for p in r._parts()), r
