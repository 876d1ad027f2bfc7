"""dualdiff.scipy against scipy (values) and mpmath (derivatives), the messages of a scipy
function that converts a dual number with np.asarray, and supported_functions' scipy lists.

References: values are scipy's own functions (identical for plain inputs, within a few ulps
for dual inputs, which run the same formulas on dual numbers); derivatives are analytic
formulas evaluated in mpmath at 50 digits (softmax weights for logsumexp) or mpmath's
numerical differentiation of mpmath's own distribution functions.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from mpmath import mp

import dualdiff as dd
from dualdiff._equivalents import EQUIVALENTS, SPECIAL_FUNCTIONS, STATS_METHODS

sc = pytest.importorskip("scipy.special")
st = pytest.importorskip("scipy.stats")
dds = importlib.import_module("dualdiff.scipy")
from dualdiff.scipy import special as dsp  # noqa: E402
from dualdiff.scipy import stats as dst  # noqa: E402

RTOL = 1e-13


def _mpf(v):
    return mp.mpf(float(v))


# ------------------------------------------------------------------ logsumexp and softmax


def _lse_reference(a, b=None):
    """Value, gradient in a and Hessian in a of log(sum(b exp(a))), in mpmath."""
    with mp.workdps(50):
        a = [_mpf(v) for v in a]
        b = [mp.mpf(1)] * len(a) if b is None else [_mpf(v) for v in b]
        terms = [bi * mp.exp(ai) for ai, bi in zip(a, b)]
        s = sum(terms)
        w = [t / s for t in terms]
        hess = [
            [(w[i] if i == j else 0) - w[i] * w[j] for j in range(len(a))] for i in range(len(a))
        ]
        return float(mp.log(s)), np.array([float(v) for v in w]), np.array(hess, dtype=float)


LSE_POINTS = [
    np.array([1.0, 2.0, 3.0, -0.5]),
    np.array([1000.0, 999.0, 998.5]),  # overflow without the shift
    np.array([-1000.0, -1001.0, -999.0]),  # underflow without it
    np.array([2.0, 2.0, 0.5]),  # a tie for the maximum: still exact
]


@pytest.mark.parametrize("a", LSE_POINTS, ids=["plain", "large", "small", "tie"])
def test_logsumexp_value_gradient_hessian(a):
    f, g, h = _lse_reference(a)
    out = dsp.logsumexp(dd.Dual(a, np.eye(len(a))))
    assert abs(out.value - sc.logsumexp(a)) <= 2 * np.finfo(float).eps * abs(f) + 1e-300
    np.testing.assert_allclose(out.dual, g, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(dd.hessian(dsp.logsumexp, a), h, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dd.gradient(dsp.logsumexp, a), g, rtol=RTOL, atol=1e-300)


def test_logsumexp_weights_signs_axes_keepdims():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4))
    b = rng.uniform(0.5, 2.0, size=(3, 4))
    x = dd.Dual(a, 1.0)
    for axis in (None, 0, 1, (0, 1), -1):
        for keepdims in (False, True):
            want = sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims)
            got = dsp.logsumexp(x, axis=axis, b=b, keepdims=keepdims)
            assert got.shape == np.shape(want)
            np.testing.assert_allclose(got.value, want, rtol=4e-16)
    # gradient in b: d/db_i log(sum b e^a) = e^a_i / sum(b e^a)
    row_a, row_b = a[0], b[0]
    gb = dd.gradient(lambda bb: dsp.logsumexp(row_a, b=bb), row_b)
    f, w, _ = _lse_reference(row_a, row_b)
    np.testing.assert_allclose(gb, w / row_b, rtol=RTOL)
    # negative weights: the sign, and nan without return_sign, as scipy
    bneg = np.array([1.0, -1.0])
    an = np.array([1.0, 2.0])
    out, sgn = dsp.logsumexp(dd.Dual(an, 1.0), b=bneg, return_sign=True)
    want, wsgn = sc.logsumexp(an, b=bneg, return_sign=True)
    assert sgn == wsgn == -1.0 and abs(out.value - want) < 1e-15
    assert np.isnan(dsp.logsumexp(dd.Dual(an, 1.0), b=bneg).value)
    # derivative with a negative sum: d log|e - e^2| = (e da1 - e^2 da2)/(e - e^2)
    d = dsp.logsumexp(dd.Dual(an, np.eye(2)), b=bneg, return_sign=True)[0].dual
    e1, e2 = np.exp(1.0), np.exp(2.0)
    np.testing.assert_allclose(d, [e1 / (e1 - e2), -e2 / (e1 - e2)], rtol=RTOL)


def test_logsumexp_plain_inputs_are_scipy():
    a = np.array([[0.1, 5.0], [3.0, -2.0]])
    assert np.array_equal(dsp.logsumexp(a, axis=1), sc.logsumexp(a, axis=1))
    assert dsp.logsumexp([1.0, 2.0]) == sc.logsumexp([1.0, 2.0])


def test_logsumexp_list_of_duals_and_hyperdual():
    x, y = dd.HyperDual(1.0, 1.0, 1.0, 0.0), 2.0
    out = dsp.logsumexp([x, y])  # d²/dx² log(e^x + e^2) = w (1 - w), w = e/(e + e²)
    w = np.exp(1.0) / (np.exp(1.0) + np.exp(2.0))
    assert abs(out.eps1 - w) < 1e-15 and abs(out.eps12 - w * (1 - w)) < 1e-15


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_softmax_and_log_softmax(axis):
    a = np.array([[1.0, 0.5, 0.2, 3.0], [1.0, -1.0, 7.0, 3.0]])
    x = dd.Dual(a, 1.0)
    np.testing.assert_array_equal(dsp.softmax(x, axis=axis).value, sc.softmax(a, axis=axis))
    np.testing.assert_array_equal(dsp.log_softmax(x, axis=axis).value, sc.log_softmax(a, axis=axis))
    row = a[1]
    s = sc.softmax(row)
    jac = np.diag(s) - np.outer(s, s)  # d s_i / d x_j
    np.testing.assert_allclose(dd.jacobian(dsp.softmax, row), jac, rtol=1e-12, atol=1e-17)
    jl = np.eye(4) - s[None, :]  # d log s_i / d x_j
    np.testing.assert_allclose(dd.jacobian(dsp.log_softmax, row), jl, rtol=1e-12, atol=1e-17)
    assert np.array_equal(dsp.softmax(a, axis=axis), sc.softmax(a, axis=axis))


def test_polygamma_and_multigammaln():
    for n in (0, 1, 3):
        d1 = dd.derivative(lambda t, n=n: dsp.polygamma(n, t), 2.5)
        d2 = dd.second_derivative(lambda t, n=n: dsp.polygamma(n, t), 2.5)
        np.testing.assert_allclose(d1, sc.polygamma(n + 1, 2.5), rtol=1e-13)
        np.testing.assert_allclose(d2, sc.polygamma(n + 2, 2.5), rtol=1e-12)
    with pytest.raises(dd.UnsupportedFunctionError, match="integer order n"):
        dsp.polygamma(dd.Dual(1.0, 1.0), 2.5)
    r = dsp.multigammaln(dd.Dual(23.5, 1.0), 10)
    assert abs(r.value - sc.multigammaln(23.5, 10)) < 1e-12
    np.testing.assert_allclose(r.dual, sc.digamma(23.5 - np.arange(10) / 2).sum(), rtol=1e-14)
    with pytest.raises(ValueError, match="not met"):
        dsp.multigammaln(dd.Dual(1.0, 1.0), 10)
    assert dsp.erf is sc.erf  # the ufuncs are scipy's own
    with pytest.raises(AttributeError, match="comb"):
        dsp.comb  # noqa: B018


# ------------------------------------------------------------------ distributions


def _t_logpdf(z, df):
    return (
        mp.loggamma((df + 1) / 2)
        - mp.loggamma(df / 2)
        - mp.log(df * mp.pi) / 2
        - (df + 1) / 2 * mp.log1p(z * z / df)
    )


def _t_cdf(z, df):
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + z * z), regularized=True) / 2
    return 1 - tail if z > 0 else tail


MP_DIST = {
    "norm": (lambda z: -z * z / 2 - mp.log(2 * mp.pi) / 2, mp.ncdf),
    "t": (_t_logpdf, _t_cdf),
    "gamma": (
        lambda z, a: (a - 1) * mp.log(z) - z - mp.loggamma(a),
        lambda z, a: mp.gammainc(a, 0, z, regularized=True),
    ),
    "beta": (
        lambda z, a, b: (a - 1) * mp.log(z) + (b - 1) * mp.log1p(-z) - mp.log(mp.beta(a, b)),
        lambda z, a, b: mp.betainc(a, b, 0, z, regularized=True),
    ),
    "expon": (lambda z: -z, lambda z: -mp.expm1(-z)),
}
"""Standardised logpdf and cdf per distribution, in mpmath."""

SHAPES = {"norm": (), "t": (4.5,), "gamma": (2.5,), "beta": (2.0, 3.5), "expon": ()}
POINTS = {"norm": 0.7, "t": -1.3, "gamma": 2.1, "beta": 0.47, "expon": 1.6}
LOC, SCALE = 0.2, 1.5
Q = 0.3


def _mp_method(name, method):
    logpdf, cdf = MP_DIST[name]

    def f(x, *args):
        *shapes, loc, scale = args
        z = (x - loc) / scale
        if method == "logpdf":
            return logpdf(z, *shapes) - mp.log(scale)
        if method == "pdf":
            return mp.exp(logpdf(z, *shapes)) / scale
        c = cdf(z, *shapes)
        return {"cdf": c, "sf": 1 - c, "logcdf": mp.log(c), "logsf": mp.log(1 - c)}[method]

    return f


def _quantile_reference(name, method, shapes):
    """``x(q)`` solving cdf(x) = q (sf for isf), and dx/dq = ±1/pdf, dx/dloc = 1, dx/dscale
    = z, all in mpmath."""
    _, cdf = MP_DIST[name]
    with mp.workdps(50):
        mps = [_mpf(s) for s in shapes]
        target = _mpf(Q) if method == "ppf" else 1 - _mpf(Q)
        z0 = getattr(st, name).ppf(float(target), *shapes)
        z = mp.findroot(lambda t: cdf(t, *mps) - target, _mpf(z0))
        dens = mp.diff(lambda t: cdf(t, *mps), z)
        dq = (1 if method == "ppf" else -1) / dens * _mpf(SCALE)
        return float(z * SCALE + LOC), [float(dq), 1.0, float(z)]


CASES = [(d, m) for d, methods in STATS_METHODS.items() for m in methods]


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{d}.{m}" for d, m in CASES])
def test_distribution_method(name, method):
    dist, ref = getattr(dst, name), getattr(st, name)
    shapes = SHAPES[name]
    quantile = method in ("ppf", "isf")
    x = Q if quantile else POINTS[name]
    kw = dict(loc=LOC, scale=SCALE)
    want = getattr(ref, method)(x, *shapes, **kw)
    # plain inputs: scipy's result itself
    assert getattr(dist, method)(x, *shapes, **kw) == want
    # dual in x, loc and scale at once (three directions): value and gradient
    seeds = np.eye(3)
    got = getattr(dist, method)(
        dd.Dual(x, seeds[0]), *shapes, loc=dd.Dual(LOC, seeds[1]), scale=dd.Dual(SCALE, seeds[2])
    )
    np.testing.assert_allclose(got.value, want, rtol=1e-13)
    if quantile:
        value, grad = _quantile_reference(name, method, shapes)
    else:
        f = _mp_method(name, method)
        with mp.workdps(50):
            pt = [_mpf(x), *(_mpf(s) for s in shapes), _mpf(LOC), _mpf(SCALE)]
            n = len(pt)
            value = float(f(*pt))
            grad = [
                float(mp.diff(f, pt, tuple(int(i == k) for i in range(n))))
                for k in (0, n - 2, n - 1)
            ]
            shape_grad = [
                float(mp.diff(f, pt, tuple(int(i == k) for i in range(n)))) for k in range(1, n - 2)
            ]
    np.testing.assert_allclose(got.value, value, rtol=1e-13)
    np.testing.assert_allclose(got.dual, grad, rtol=1e-11, atol=1e-15)
    # the shape parameters: exact derivatives for densities; for cdf-like methods of shaped
    # distributions, a clear error naming the scipy.special function (no closed form)
    for k, s in enumerate(shapes):
        dual_shapes = [dd.Dual(v, 1.0) if j == k else v for j, v in enumerate(shapes)]
        if method in ("pdf", "logpdf"):
            r = getattr(dist, method)(x, *dual_shapes, **kw)
            np.testing.assert_allclose(r.dual, shape_grad[k], rtol=1e-11)
        else:
            with pytest.raises(dd.UnsupportedFunctionError, match="scipy.special"):
                getattr(dist, method)(x, *dual_shapes, **kw)


def test_distribution_support_and_invalid_parameters():
    x = dd.Dual(np.array([-1.0, 0.5, 2.0]), 1.0)
    for method in ("pdf", "logpdf", "cdf", "sf"):
        got = getattr(dst.beta, method)(x, 2.0, 3.0)
        want = getattr(st.beta, method)(x.value, 2.0, 3.0)
        np.testing.assert_allclose(got.value, want, rtol=1e-14)
        assert got.dual[0] == 0.0 and got.dual[2] == 0.0  # constant outside the support
    bad = dst.norm.logpdf(dd.Dual(0.5, 1.0), scale=-1.0)
    assert np.isnan(bad.value) and np.isnan(st.norm.logpdf(0.5, scale=-1.0))
    q = dst.norm.ppf(dd.Dual(np.array([0.0, 1.0, 1.5]), 1.0))
    np.testing.assert_array_equal(q.value, st.norm.ppf([0.0, 1.0, 1.5]))
    with pytest.raises(TypeError, match="shape parameter"):
        dst.gamma.pdf(dd.Dual(1.0, 1.0))
    with pytest.raises(AttributeError, match="poisson"):
        dst.poisson  # noqa: B018


def test_hessian_of_a_log_likelihood():
    """A normal log-likelihood in (mu, log sigma): the Hessian against the closed form."""
    data = np.array([0.3, -1.2, 2.2, 0.9])

    def nll(p):
        return -np.sum(dst.norm.logpdf(data, loc=p[0], scale=np.exp(p[1])))

    p = np.array([0.4, 0.1])
    s2 = np.exp(2 * p[1])
    r = data - p[0]
    n = len(data)
    want = np.array(
        [[n / s2, 2 * r.sum() / s2], [2 * r.sum() / s2, 2 * (r**2).sum() / s2]]
    )  # d²/dmu², d²/dmu dlogs, d²/dlogs²
    np.testing.assert_allclose(dd.hessian(nll, p), want, rtol=1e-13)


# ------------------------------------------------------------------ the equivalents map


def test_every_equivalent_exists_and_every_function_is_listed():
    for scipy_name, ours in EQUIVALENTS.items():
        mod, _, rest = ours.removeprefix("dualdiff.scipy.").partition(".")
        obj = getattr(dds, mod)
        for part in rest.split("."):
            obj = getattr(obj, part)
        assert callable(obj), ours
        # and the scipy original exists under that name
        smod = importlib.import_module(".".join(scipy_name.split(".")[:2]))
        sobj = smod
        for part in scipy_name.split(".")[2:]:
            sobj = getattr(sobj, part)
        assert callable(sobj), scipy_name
    assert set(dsp.__all__) == set(SPECIAL_FUNCTIONS)
    assert set(dst.__all__) == set(STATS_METHODS)


# ------------------------------------------------------------------ messages


def _call_scipy_logsumexp(x):
    return sc.logsumexp(x)  # the line the message names as the caller


@pytest.mark.parametrize(
    ("call", "public", "equivalent"),
    [
        (_call_scipy_logsumexp, "scipy.special.logsumexp", "dualdiff.scipy.special.logsumexp"),
        (
            lambda x: st.norm.logpdf(x, loc=1.0),
            "scipy.stats.norm.logpdf",
            "dualdiff.scipy.stats.norm.logpdf",
        ),
        (
            lambda x: st.norm(0.0, 2.0).cdf(x),
            "scipy.stats.norm.cdf",
            "dualdiff.scipy.stats.norm.cdf",
        ),
        (lambda x: sc.softmax(x), "scipy.special.softmax", "dualdiff.scipy.special.softmax"),
        (
            lambda x: sc.polygamma(1, x),
            "scipy.special.polygamma",
            "dualdiff.scipy.special.polygamma",
        ),
        (lambda x: sc.comb(x, 2), "scipy.special.comb", None),
    ],
    ids=["logsumexp", "norm.logpdf", "frozen norm.cdf", "softmax", "polygamma", "comb"],
)
def test_asarray_in_a_library_names_function_file_and_equivalent(call, public, equivalent):
    x = dd.Dual(np.array([1.0, 2.0]), 1.0)
    with pytest.raises(dd.DerivativeLossError) as info:
        call(x)
    msg = str(info.value)
    assert f"{public} converted its argument" in msg, msg
    assert "scipy" + ("\\" if sys.platform == "win32" else "/") in msg  # the file in scipy
    assert f"called from {__file__}:" in msg, msg
    if equivalent:
        assert f"Use {equivalent} instead" in msg
    else:
        assert f"no dual-aware version of {public}" in msg


def test_asarray_in_user_code_names_the_line():
    x = dd.Dual(np.array([1.0, 2.0]), 1.0)
    with pytest.raises(dd.DerivativeLossError, match="np.zeros_like") as info:
        np.asarray(x)
    assert f"{__file__}:" in str(info.value) and "test_asarray_in_user_code" in str(info.value)


def test_special_messages_name_scipy_special():
    x = dd.Dual(2.0, 1.0)
    with pytest.raises(dd.UnsupportedFunctionError, match=r"^scipy\.special\.zetac is not"):
        sc.zetac(x)
    with pytest.raises(dd.UnsupportedFunctionError, match=r"scipy\.special\.betainc\(a, b, x\)"):
        sc.betainc(x, 2.0, 0.3)
    with pytest.raises(dd.UnsupportedFunctionError, match=r"^scipy\.special\.owens_t is not"):
        sc.owens_t(x, 1.0)
    with pytest.raises(dd.UnsupportedFunctionError, match=r"^scipy\.special\.elliprf is not"):
        sc.elliprf(x, 1.0, 2.0)  # a three-input ufunc without a rule: named, not a TypeError
    with pytest.raises(dd.UnsupportedFunctionError, match=r"^np\.ldexp is not"):
        np.ldexp(x, 2)
    z = dd.Dual(np.array([1.0 + 0.5j]), 1.0)  # complex: refused by name, not a wrong number
    with pytest.raises(dd.UnsupportedFunctionError, match=r"^scipy\.special\.jv is not"):
        sc.jv(2.0, z)
    r = sc.betainc(2.0, 3.0, dd.Dual(0.3, 1.0))  # three inputs
    assert abs(r.dual - 0.3 * 0.7**2 * 12.0) < 1e-14  # x (1 - x)² / B(2, 3)


# ------------------------------------------------------------------ supported_functions


def _fresh(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(dd.__file__).parent.parent),
    ).stdout


def test_supported_functions_lists_scipy_without_use_and_import_stays_scipy_free():
    out = _fresh(
        """
        import sys
        import dualdiff as dd
        print("scipy" in sys.modules)
        s = dd.supported_functions()
        print(" ".join(s["scipy.special ufuncs"]))
        print(" ".join(s["scipy equivalents"]))
        print(" ".join(s["ruled ufuncs"]))
        """
    )
    imported, special, equivalents, ruled = out.splitlines()
    assert imported == "False"
    for name in ("erf", "jv", "jn", "betainc", "gammainc", "digamma", "psi", "zeta", "i0e"):
        assert name in special.split(), name
    assert "scipy.special.logsumexp" in equivalents.split()
    assert "exp" in ruled.split() and "jv" not in ruled.split()


def test_third_derivatives_through_nested_rules():
    """Nested drivers run the rules on dual numbers: third derivatives against mpmath."""
    with mp.workdps(50):
        want_jv = float(mp.diff(lambda t: mp.besselj(2, t), 3, 3))
        want_lse = float(mp.diff(lambda t: mp.log(mp.exp(t) + mp.exp(2 * t)), mp.mpf("0.3"), 3))
    got_jv = dd.nth_derivative(lambda x: sc.jv(2.0, x), 3.0, 3)
    got_lse = dd.nth_derivative(lambda t: dsp.logsumexp(np.stack([t, 2.0 * t])), 0.3, 3)
    np.testing.assert_allclose([got_jv, got_lse], [want_jv, want_lse], rtol=1e-12)
