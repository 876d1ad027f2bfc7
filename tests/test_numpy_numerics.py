"""numpy functions whose reference is not a complex step of numpy itself.

- ``interp``: piecewise linear, so central differences of ``np.interp`` are exact up to
  rounding away from the knots (first derivatives), and mixed differences give the
  ``x``-``fp`` second derivatives.
- ``sinc``: mpmath's derivatives at 50 digits, at and near 0, where the closed forms cancel.
- ``nan*`` reductions: the identity ``nanf(x) == f(x[~isnan(x)])`` slice by slice, every
  component (``f`` itself is checked against complex step in ``test_numpy_tables.py``).
- ``histogram`` edges: linear in ``min(x)`` and ``max(x)``; checked against differences.
- value-only results, ``astype``, ``unique`` and the refusals: their contracts.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from strategies import assert_rel

import dualdiff as dd

EPS = np.finfo(float).eps
XP = np.array([0.0, 1.0, 2.0, 3.5])
FP = np.array([1.0, 3.0, 2.0, 5.0])
X = np.array([-0.5, 0.3, 1.7, 2.5, 3.2, 4.0, 0.99])


def _fd(f, x, v, h=1e-6):
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


@pytest.mark.parametrize("left_right", [(None, None), (-2.0, 7.0)])
def test_interp_first_derivatives_in_x_xp_and_fp(left_right):
    left, right = left_right
    rng = np.random.default_rng(0)
    vx, vxp, vfp = rng.normal(size=X.shape), rng.normal(size=4), rng.normal(size=4)

    def f(x, xp, fp):
        return np.interp(x, xp, fp, left=left, right=right)

    for mask in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)]:
        args = [dd.Dual(a, v) if m else a for a, v, m in zip((X, XP, FP), (vx, vxp, vfp), mask)]
        out = f(*args)
        mx, mxp, mfp = mask
        want = _fd(lambda t: f(X + t * mx * vx, XP + t * mxp * vxp, FP + t * mfp * vfp), 0.0, 1.0)
        np.testing.assert_allclose(out.value, f(X, XP, FP), rtol=1e-15)
        assert_rel(out.dual, want, 1e-8, f"dual {mask}")


def test_interp_mixed_second_derivative_x_fp():
    """``∂²y/∂x∂fp``: the slope's dependence on the knot values, by mixed differences."""
    rng = np.random.default_rng(1)
    vx, vfp = rng.normal(size=X.shape), rng.normal(size=4)
    x = dd.HyperDual(X, vx, 0.0, 0.0)
    fp = dd.HyperDual(FP, 0.0, vfp, 0.0)
    out = np.interp(x, XP, fp)
    h = 1e-4

    def g(s, t):
        return np.interp(X + s * vx, XP, FP + t * vfp)

    want = (g(h, h) - g(h, -h) - g(-h, h) + g(-h, -h)) / (4 * h * h)
    assert_rel(out.eps12, want, 1e-7, "eps12")
    assert_rel(out.eps1, _fd(lambda s: g(s, 0.0), 0.0, 1.0), 1e-8, "eps1")


def test_interp_refuses_period():
    with pytest.raises(dd.UnsupportedFunctionError, match="np.interp"):
        np.interp(dd.Dual(X, 1.0), XP, FP, period=2.0)


@pytest.mark.parametrize(
    "x", [0.0, 1e-9, 1e-4, 0.05, 0.1591, 0.16, 0.5, 1.0, 2.5, -3.7, 0.3 + 0.2j, -1.1 + 0.7j, 1e-5j]
)
def test_sinc_against_mpmath(x):
    mpmath.mp.dps = 50

    def f(t):
        return mpmath.mpf(1) if t == 0 else mpmath.sin(mpmath.pi * t) / (mpmath.pi * t)

    y = np.sinc(dd.HyperDual(x, 1.0, 1.0, 0.0))
    t = mpmath.mpc(x)
    d1 = mpmath.diff(f, t) if x else mpmath.mpf(0)
    d2 = mpmath.diff(f, t, 2) if x else -(mpmath.pi**2) / 3
    for got, want in ((y.value, f(t)), (y.eps1, d1), (y.eps12, d2)):
        assert abs(got - complex(want)) <= 8 * EPS * max(1.0, abs(complex(want)))


# ---------------------------------------------------------------- nan reductions

NAN_DATA = np.array(
    [[1.0, np.nan, 2.5, -0.5, 3.0], [np.nan, np.nan, 0.7, 1.1, -2.0], [0.2, 0.4, 0.9, 1.3, 2.2]]
)
PAIRS = [
    (np.nansum, np.sum),
    (np.nanmean, np.mean),
    (np.nanmax, np.max),
    (np.nanmin, np.min),
    (np.nanprod, np.prod),
    (np.nanvar, np.var),
    (np.nanstd, np.std),
    (np.nanmedian, np.median),
    (lambda a, axis: np.nanquantile(a, 0.3, axis=axis), lambda a, axis: np.quantile(a, 0.3)),
    (lambda a, axis: np.nanpercentile(a, 70.0, axis=axis), lambda a, axis: np.percentile(a, 70)),
    (lambda a, axis: np.nanvar(a, axis=axis, ddof=1), lambda a, axis: np.var(a, ddof=1)),
]


def _numbers(kind, a):
    rng = np.random.default_rng(2)
    s = a.shape
    if kind == "dual":
        return dd.Dual(a, rng.normal(size=s + (2,)))
    return dd.HyperDual(a, rng.normal(size=s), rng.normal(size=s), rng.normal(size=s))


@pytest.mark.parametrize("kind", ["dual", "hyper"])
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: getattr(p[0], "__name__", "lambda"))
def test_nan_reductions_skip_the_nans(pair, kind):
    nanf, f = pair
    x = _numbers(kind, NAN_DATA)
    out = nanf(x, axis=1)
    np.testing.assert_allclose(out.value, nanf(NAN_DATA, axis=1), rtol=1e-14)
    for i in range(3):
        keep = ~np.isnan(NAN_DATA[i])
        row = f(x[i][keep], axis=None)
        for p, q in zip(out[i]._parts(), row._parts()):
            np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)


def test_nanmean_of_an_all_nan_slice_is_nan():
    a = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with np.errstate(invalid="ignore"):
        out = np.nanmean(dd.Dual(a, 1.0), axis=1)
    assert np.isnan(out.value[0]) and out.value[1] == 1.5


def test_nancumsum_and_nan_to_num():
    a = np.array([1.0, np.nan, 2.0, np.inf])
    x = dd.Dual(a, np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(np.nancumsum(x[:3]).dual, [1.0, 1.0, 4.0])
    y = np.nan_to_num(x, posinf=9.0)
    np.testing.assert_array_equal(y.value, [1.0, 0.0, 2.0, 9.0])
    np.testing.assert_array_equal(y.dual, [1.0, 0.0, 3.0, 0.0])


# ---------------------------------------------------------------- histograms, ranges


def test_histogram_counts_and_edges():
    rng = np.random.default_rng(4)
    a, v = rng.normal(size=20), rng.normal(size=20)
    counts, edges = np.histogram(dd.Dual(a, v), bins=5)
    want_counts, want_edges = np.histogram(a, bins=5)
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(edges.value, want_edges)
    fd = _fd(lambda t: np.histogram_bin_edges(a + t * v, bins=5), 0.0, 1.0)
    assert_rel(edges.dual, fd, 1e-8)
    _, fixed = np.histogram(dd.Dual(a, v), bins=[-1.0, 0.0, 1.0])
    assert isinstance(fixed, np.ndarray)
    with pytest.raises(dd.UnsupportedFunctionError, match="np.histogram"):
        np.histogram(dd.Dual(a, v), density=True)


def test_linspace_retstep_and_refusals():
    y, step = np.linspace(dd.Dual(1.0, 1.0), dd.Dual(3.0, 0.0), 5, retstep=True)
    np.testing.assert_allclose(y.value, np.linspace(1.0, 3.0, 5), rtol=1e-15)
    np.testing.assert_allclose(y.dual, [1.0, 0.75, 0.5, 0.25, 0.0], rtol=1e-15)
    assert step.value == 0.5 and step.dual == -0.25
    with pytest.raises(dd.UnsupportedFunctionError, match="dtype"):
        np.linspace(dd.Dual(1.0, 1.0), 3.0, 5, dtype=int)
    g = np.geomspace(dd.Dual(1.0, 1.0), 8.0, 4)
    np.testing.assert_allclose(g.value, [1.0, 2.0, 4.0, 8.0], rtol=1e-15)
    # d/ds of s**(1-t) 8**t at s = 1: (1 - t)
    np.testing.assert_allclose(g.dual, [1.0, 2.0 * 2 / 3, 4.0 / 3, 0.0], rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------- contracts


def test_astype():
    x = dd.Dual(np.array([1.5, 2.5]), np.array([1.0, 2.0]))
    y = x.astype(float)
    np.testing.assert_array_equal(y.dual, x.dual)
    with pytest.raises(dd.DerivativeLossError, match="astype"):
        x.astype(int)
    with pytest.raises(dd.DerivativeLossError, match="astype"):
        x.astype(bool)
    with pytest.warns(UserWarning, match="float64"):
        x.astype(np.float32)
    if hasattr(np, "astype"):
        np.testing.assert_array_equal(np.astype(x, np.float64).dual, x.dual)


def test_unique_keeps_agreeing_derivatives_and_refuses_the_rest():
    x = dd.Dual(np.array([2.0, 1.0, 2.0, 3.0]), np.array([5.0, 1.0, 5.0, 7.0]))
    u, idx, inv, cnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(u.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(u.dual, [1.0, 5.0, 7.0])
    np.testing.assert_array_equal(idx, [1, 0, 3])
    np.testing.assert_array_equal(inv, [1, 0, 1, 2])
    np.testing.assert_array_equal(cnt, [1, 2, 1])
    if hasattr(np, "unique_values"):
        np.testing.assert_array_equal(np.unique_values(x).dual, [1.0, 5.0, 7.0])
    bad = dd.Dual(np.array([2.0, 2.0]), np.array([1.0, 2.0]))
    with pytest.raises(dd.DerivativeLossError, match="np.unique"):
        np.unique(bad)


def test_fill_diagonal():
    x = np.zeros_like(dd.Dual(np.zeros((3, 3)), 0.0))
    np.fill_diagonal(x, dd.Dual(2.0, 1.0))
    np.testing.assert_array_equal(x.value, 2.0 * np.eye(3))
    np.testing.assert_array_equal(x.dual, np.eye(3))
    with pytest.raises(dd.DerivativeLossError, match="fill_diagonal"):
        np.fill_diagonal(np.zeros((3, 3)), dd.Dual(2.0, 1.0))


def test_max_with_where_needs_initial_as_numpy_does():
    x = dd.Dual(np.array([1.0, 5.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="initial"):
        np.max(x, where=np.array([True, False, True]))
    r = np.max(x, where=np.array([True, False, True]), initial=-1.0)
    assert r.value == 2.0 and r.dual == 3.0


REFUSALS = [
    ("np.pad", lambda x: np.pad(x, 1, mode="maximum")),
    ("np.pad", lambda x: np.pad(x, 1, mode="reflect", reflect_type="odd")),
    ("np.pad", lambda x: np.pad(x, 1, mode="linear_ramp")),
    ("np.percentile", lambda x: np.percentile(x, 30.0, method="nearest")),
    ("np.quantile", lambda x: np.quantile(x, 0.3, weights=np.ones(4))),
    ("np.polyfit", lambda x: np.polyfit(x, x, 1)),
    ("np.gradient", lambda x: np.gradient(x, x)),
    ("np.unique", lambda x: np.unique(np.reshape(x, (2, 2)), axis=0)),
    ("np.choose", lambda x: np.choose(x, [1.0, 2.0])),
    ("np.poly", lambda x: np.poly(np.reshape(x, (2, 2)))),
    ("np.cov", lambda x: np.cov(np.ones(4), aweights=x)),
    ("np.geomspace", lambda x: np.geomspace(-x[0], 1.0, 3)),
    ("np.select", lambda x: np.select([np.ones(4, bool)], [np.ones(4)], default=x)),
    ("np.mean", lambda x: np.mean([x[0], x[1]])),
    ("np.vectorize", lambda x: np.vectorize(lambda t: t)(x)),
    ("np.r_", lambda x: np.r_[x, x]),
]


@pytest.mark.parametrize(
    ("name", "call"), REFUSALS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(REFUSALS)]
)
def test_refusals_name_the_function(name, call):
    x = dd.Dual(np.array([0.5, 1.0, 2.0, 3.0]), 1.0)
    with pytest.raises((dd.UnsupportedFunctionError, dd.DerivativeLossError)) as err:
        call(x)
    assert name in str(err.value)


WRITES = [
    ("put", lambda a, v: np.put(a, [0, -1, 5], v[:3])),
    ("put_wrap", lambda a, v: np.put(a, [13, 2], v[:2], mode="wrap")),
    ("putmask", lambda a, v: np.putmask(a, np.arange(12).reshape(3, 4) % 3 == 0, v[:5])),
    ("place", lambda a, v: np.place(a, np.arange(12).reshape(3, 4) % 5 == 0, v[:2])),
    (
        "put_along_axis",
        lambda a, v: np.put_along_axis(a, np.array([[1], [3], [0]]), v[:3, None], axis=1),
    ),
    ("fill_diagonal", lambda a, v: np.fill_diagonal(a, v[:3])),
]


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[n for n, _ in WRITES])
def test_writers_into_a_dual_array(name, write):
    """Writing is linear: each component receives what numpy writes into a plain array."""
    rng = np.random.default_rng(5)
    base = [rng.normal(size=(3, 4)) for _ in range(4)]
    vals = [rng.normal(size=6) for _ in range(4)]
    for x, v in ((dd.Dual(base[0], base[1]), dd.Dual(vals[0], vals[1])),
                 (dd.HyperDual(*base), dd.HyperDual(*vals))):  # fmt: skip
        x = x.copy()
        write(x, v)
        for p, b, w in zip(x._parts(), base, vals):
            want = b.copy()
            write(want, w)
            np.testing.assert_array_equal(p, want)
    with pytest.raises(dd.DerivativeLossError, match=r"np\.zeros_like"):
        write(np.zeros((3, 4)), dd.Dual(vals[0], 1.0))


def test_conversion_inside_a_library_function_names_it():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    with pytest.raises(dd.DerivativeLossError, match="rosen"):
        scipy_optimize.rosen(dd.Dual(np.array([1.0, 2.0, 3.0]), 1.0))
    with pytest.raises(dd.DerivativeLossError, match=r"np\.asarray"):
        np.asarray(dd.Dual(np.array([1.0, 2.0]), 1.0))


def _root_slopes(c, v):
    """``dr/dt`` of the simple roots of ``Σ (c + t v)_k x^(n-k)``: ``-P_v(r) / P_c'(r)``."""
    r = np.sort(np.roots(c).real)
    return r, -np.polyval(v, r) / np.polyval(np.polyder(c), r)


def test_roots_against_the_implicit_function_theorem():
    c, v = np.poly([1.0, 2.0, 3.5]), np.array([0.3, -1.0, 2.0, 0.5])
    r = np.roots(dd.Dual(c, v))
    order = np.argsort(r.value.real)
    want_r, want_d = _root_slopes(c, v)
    np.testing.assert_allclose(r.value.real[order], want_r, rtol=1e-13)
    np.testing.assert_allclose(np.real(r.dual)[order], want_d, rtol=1e-11)
    r_h = np.roots(dd.HyperDual(c, v, v, 0.0))
    step = 1e-5
    d2 = (_root_slopes(c + step * v, v)[1] - _root_slopes(c - step * v, v)[1]) / (2 * step)
    np.testing.assert_allclose(np.real(r_h.eps12)[np.argsort(r_h.value.real)], d2, rtol=1e-7)
    z = np.roots(dd.Dual(np.array([0.0, 1.0, -3.0, 2.0, 0.0]), 1.0))  # zeros trimmed as numpy
    np.testing.assert_allclose(np.sort(z.value.real), [0.0, 1.0, 2.0], atol=1e-15)
