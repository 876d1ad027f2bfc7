"""Every scipy.special rule against mpmath at 50 significant digits.

Same checks as ``test_rules`` (table function, scalar and array paths of both types), run over
``SPECIAL_UNARY_RULES`` and ``SPECIAL_BINARY_RULES``; the parametric rules
(``SPECIAL_PARAMETRIC_RULES``: one argument differentiated, the others parameters) get the
same checks in that argument, plus: a parameter given as a dual number with a derivative is
refused with a message naming the function and the parameter, and one with zero derivative
parts is used by its value. A rule with no entry in ``MP_SPECIAL`` (or ``MP_INVERSE``, for an
inverse function: mpmath's ``findroot`` on the forward function, then ``x' = 1/F'`` and
``x'' = -F''/F'^3``) fails ``test_special_rule_has_reference``. The tolerance is
``SPECIAL_ULPS`` (condition-number aware): a rule can only be as accurate as the scipy
functions it is built from.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from mpmath import mp
from strategies import EPS, MP_DPS, SPECIAL_ULPS, assert_within, cond_bound, mp_unary, seed_of
from test_rules import BINARY_CHECKS, CHECK_IDS, UNARY_CHECKS

import dualdiff as dd

sc = pytest.importorskip("scipy.special")

try:
    from dualdiff._rules_special import (
        SPECIAL_BINARY_RULES,
        SPECIAL_PARAMETRIC_RULES,
        SPECIAL_UNARY_RULES,
    )
except ImportError as exc:  # the table is missing: every test below must fail, not skip
    SPECIAL_UNARY_RULES = SPECIAL_BINARY_RULES = SPECIAL_PARAMETRIC_RULES = None
    IMPORT_ERROR = exc
else:
    IMPORT_ERROR = None

N_SPECIAL = 6
"""Points per rule: some mpmath special functions cost milliseconds per derivative."""


def _erfcinv(x):
    return mp.erfinv(1 - x)


def _ndtri(p):
    return mp.sqrt(2) * mp.erfinv(2 * p - 1)


def _besselk(n):
    return lambda x: mp.besselk(n, x)


MP_SPECIAL = {
    # error function and normal distribution
    sc.erf: mp.erf,
    sc.erfc: mp.erfc,
    sc.erfcx: lambda x: mp.exp(x * x) * mp.erfc(x),
    sc.erfi: mp.erfi,
    sc.erfinv: mp.erfinv,
    sc.erfcinv: _erfcinv,
    sc.dawsn: lambda x: mp.sqrt(mp.pi) / 2 * mp.exp(-x * x) * mp.erfi(x),
    sc.ndtr: mp.ncdf,
    sc.log_ndtr: lambda x: mp.log(mp.ncdf(x)),
    sc.ndtri: _ndtri,
    sc.ndtri_exp: lambda y: _ndtri(mp.exp(y)),
    # gamma family
    sc.gamma: mp.gamma,
    sc.gammaln: lambda x: mp.log(abs(mp.gamma(x))),
    sc.loggamma: mp.loggamma,
    sc.rgamma: mp.rgamma,
    sc.digamma: mp.digamma,
    sc.gammasgn: lambda x: mp.sign(mp.gamma(x)),
    # logistic
    sc.expit: lambda x: 1 / (1 + mp.exp(-x)),
    sc.logit: lambda x: mp.log(x / (1 - x)),
    sc.log_expit: lambda x: -mp.log1p(mp.exp(-x)),
    # Bessel functions of integer order
    sc.j0: lambda x: mp.besselj(0, x),
    sc.j1: lambda x: mp.besselj(1, x),
    sc.y0: lambda x: mp.bessely(0, x),
    sc.y1: lambda x: mp.bessely(1, x),
    sc.i0: lambda x: mp.besseli(0, x),
    sc.i1: lambda x: mp.besseli(1, x),
    sc.i0e: lambda x: mp.exp(-abs(x)) * mp.besseli(0, x),
    sc.i1e: lambda x: mp.exp(-abs(x)) * mp.besseli(1, x),
    sc.k0: _besselk(0),
    sc.k1: _besselk(1),
    sc.k0e: lambda x: mp.exp(x) * mp.besselk(0, x),
    sc.k1e: lambda x: mp.exp(x) * mp.besselk(1, x),
    # exponential integrals and friends
    sc.exp1: mp.e1,
    sc.expi: mp.ei,
    sc.spence: lambda x: mp.polylog(2, 1 - x),
    sc.exprel: lambda x: mp.expm1(x) / x,
    sc.expm1: mp.expm1,
    sc.log1p: mp.log1p,
    sc.cosm1: lambda x: mp.cos(x) - 1,
    sc.exp2: lambda x: mp.power(2, x),
    sc.exp10: lambda x: mp.power(10, x),
    sc.cbrt: lambda x: mp.sign(x) * mp.cbrt(abs(x)),
    sc.sindg: lambda x: mp.sin(x * mp.pi / 180),
    sc.cosdg: lambda x: mp.cos(x * mp.pi / 180),
    sc.tandg: lambda x: mp.tan(x * mp.pi / 180),
    sc.cotdg: lambda x: mp.cot(x * mp.pi / 180),
    sc.entr: lambda x: -x * mp.log(x),
    sc.ellipk: mp.ellipk,
    sc.ellipe: mp.ellipe,
    sc.ellipkm1: lambda p: mp.ellipk(1 - p),
    sc.zetac: lambda x: mp.zeta(x) - 1,
    # binary
    sc.xlogy: lambda x, y: x * mp.log(y),
    sc.xlog1py: lambda x, y: x * mp.log1p(y),
    sc.rel_entr: lambda x, y: x * mp.log(x / y),
    sc.kl_div: lambda x, y: x * mp.log(x / y) - x + y,
    sc.beta: mp.beta,
    sc.betaln: lambda a, b: mp.log(abs(mp.beta(a, b))),
    sc.jv: mp.besselj,
    sc.yv: mp.bessely,
    sc.iv: mp.besseli,
    sc.kv: mp.besselk,
    sc.gammainc: lambda a, x: mp.gammainc(a, 0, x, regularized=True),
    sc.gammaincc: lambda a, x: mp.gammainc(a, x, mp.inf, regularized=True),
    sc.poch: mp.rf,
    sc.boxcox: lambda x, lm: (mp.power(x, lm) - 1) / lm,
    sc.boxcox1p: lambda x, lm: (mp.power(1 + x, lm) - 1) / lm,
    sc.inv_boxcox: lambda y, lm: mp.power(1 + lm * y, 1 / lm),
    sc.powm1: lambda x, y: mp.power(x, y) - 1,
    sc.huber: lambda d, r: r * r / 2 if abs(r) <= d else d * (abs(r) - d / 2),
    sc.pseudo_huber: lambda d, r: d * d * (mp.sqrt(1 + (r / d) ** 2) - 1),
    sc.struve: mp.struveh,
    sc.modstruve: mp.struvel,
    # parametric (argument order as scipy's)
    sc.yn: mp.bessely,
    sc.kn: mp.besselk,
    sc.ive: lambda v, x: mp.exp(-abs(x)) * mp.besseli(v, x),
    sc.kve: lambda v, x: mp.exp(x) * mp.besselk(v, x),
    sc.expn: mp.expint,
    sc.betainc: lambda a, b, x: mp.betainc(a, b, 0, x, regularized=True),
    sc.betaincc: lambda a, b, x: mp.betainc(a, b, x, 1, regularized=True),
    sc.stdtr: lambda df, t: _stdtr(df, t),
    sc.hyp2f1: mp.hyp2f1,
    sc.hyp1f1: mp.hyp1f1,
    sc.eval_legendre: mp.legendre,
    sc.eval_chebyt: mp.chebyt,
    sc.eval_chebyu: mp.chebyu,
    sc.eval_gegenbauer: mp.gegenbauer,
    sc.eval_jacobi: mp.jacobi,
    sc.eval_hermite: mp.hermite,
    sc.eval_hermitenorm: lambda n, x: mp.hermite(n, x / mp.sqrt(2)) / mp.sqrt(2) ** n,
    sc.eval_laguerre: lambda n, x: mp.laguerre(n, 0, x),
    sc.eval_genlaguerre: mp.laguerre,
    sc._ufuncs._zeta: mp.zeta,
    sc.inv_boxcox1p: lambda y, lm: mp.power(1 + lm * y, 1 / lm) - 1,
}


LOOSER_ULPS = {
    sc.kve: 2048,  # scipy's kv/kve (AMOS) for non-integer v: errors of ~1e-13, e.g. v=0.557, x=1.98
    sc.ive: 512,  # ive' = (ive(v-1) + ive(v+1))/2 - ive(v) cancels by a factor of about 2x
}
"""Rules built from scipy functions less accurate than ``SPECIAL_ULPS``, with the reason."""


def _stdtr(df, t):
    """Student's t CDF from the regularized incomplete beta function."""
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return 1 - tail if t > 0 else tail


MP_INVERSE = {
    sc.gammaincinv: lambda a, x: mp.gammainc(a, 0, x, regularized=True),
    sc.gammainccinv: lambda a, x: mp.gammainc(a, x, mp.inf, regularized=True),
    sc.betaincinv: lambda a, b, x: mp.betainc(a, b, 0, x, regularized=True),
}
"""Inverse functions by their forward function ``F(*params, x)``: ``x(y)`` solves ``F = y``."""


def _tables():
    if IMPORT_ERROR is not None:
        pytest.fail(f"dualdiff._rules_special cannot be imported: {IMPORT_ERROR!r}")
    return SPECIAL_UNARY_RULES, SPECIAL_BINARY_RULES


def _reference(ufunc):
    if ufunc not in MP_SPECIAL and ufunc not in MP_INVERSE:
        pytest.fail(f"no mpmath reference for the rule of {ufunc.__name__}: add one to the test")
    return MP_SPECIAL.get(ufunc)


_U = list(SPECIAL_UNARY_RULES or {})
_B = list(SPECIAL_BINARY_RULES or {})
_P = list(SPECIAL_PARAMETRIC_RULES or {})


def _grouped(ufuncs):
    """One xdist group per rule: every check of a rule runs in the worker that computed its
    mpmath references (cached per process), so each reference is computed once."""
    group = pytest.mark.xdist_group
    return [pytest.param(u, id=u.__name__, marks=group(u.__name__)) for u in ufuncs]


def test_special_tables_exist():
    unary, binary = _tables()
    assert len(unary) + len(binary) > 0, "no scipy.special rules"
    for table in (unary, binary):
        for ufunc, rule in table.items():
            assert rule.ufunc is ufunc and isinstance(ufunc, np.ufunc)


@pytest.mark.parametrize("ufunc", _U + _B + _P, ids=[u.__name__ for u in _U + _B + _P])
def test_special_rule_has_reference(ufunc):
    _reference(ufunc)


@pytest.mark.parametrize("check", UNARY_CHECKS, ids=CHECK_IDS.get)
@pytest.mark.parametrize("ufunc", _grouped(_U))
def test_special_unary_rule(ufunc, check):
    unary, _ = _tables()
    check(unary[ufunc], _reference(ufunc), SPECIAL_ULPS, N_SPECIAL)


@pytest.mark.parametrize("check", BINARY_CHECKS, ids=CHECK_IDS.get)
@pytest.mark.parametrize("ufunc", _grouped(_B))
def test_special_binary_rule(ufunc, check):
    _, binary = _tables()
    check(binary[ufunc], _reference(ufunc), SPECIAL_ULPS, N_SPECIAL)


# ------------------------------------------------------------------------ parametric rules


def _sample(rule, n):
    """``n`` points: one array per argument (integers where the rule says so)."""
    rng = np.random.default_rng(seed_of(rule.ufunc.__name__))
    args = []
    for k, (lo, hi) in enumerate(rule.domain):
        if k in rule.integers:
            args.append(rng.integers(lo, hi + 1, n))
        else:
            args.append(rng.uniform(lo, hi, n))
    return args


def _mp_derivatives(ufunc, i, pt):
    """``[f, f', f'', f''']`` in argument ``i`` at the point ``pt`` (other arguments fixed)."""
    mpp = [int(p) if isinstance(p, (int, np.integer)) else mp.mpf(float(p)) for p in pt]

    def at(fn, t):
        return fn(*mpp[:i], t, *mpp[i + 1 :])

    if ufunc not in MP_INVERSE:
        return mp_unary(lambda t: at(MP_SPECIAL[ufunc], t), pt[i])
    forward = MP_INVERSE[ufunc]
    with mp.workdps(MP_DPS):
        y = mp.mpf(float(pt[i]))
        t0 = mp.mpf(float(ufunc(*pt)))  # scipy's root, to about 1e-15: bracket it
        bracket = (t0 * (1 - mp.mpf(1e-9)), t0 * (1 + mp.mpf(1e-9)))
        t = mp.findroot(lambda s: at(forward, s) - y, bracket, solver="anderson")
        _, g1, g2, g3 = mp.diffs(lambda s: at(forward, s), t, 3)
        x1 = 1 / g1
        x2 = -g2 * x1**3
        x3 = -(g3 * x1**4 + 3 * g2 * x1**2 * x2)  # d/dy of x2, with dt/dy = x1
        return [float(t), float(x1), float(x2), float(x3)]


@functools.cache
def parametric_case(ufunc, n=N_SPECIAL):
    """``(args, ref)``: the sampled arguments and ``ref[k]`` the k-th derivative (k = 0..3)."""
    rule = SPECIAL_PARAMETRIC_RULES[ufunc]
    args = _sample(rule, n)
    ref = [_mp_derivatives(ufunc, rule.wrt, [a[j] for a in args]) for j in range(n)]
    return args, np.array(ref).T


def _bound(rule, args, ref, k):
    ulps = LOOSER_ULPS.get(rule.ufunc, SPECIAL_ULPS)
    return cond_bound(ulps, ref[k], args[rule.wrt] * ref[k + 1])


def _scalars(args, j):
    return [a[j].item() for a in args]  # Python int or float


def _with(args, i, x):
    return list(args[:i]) + [x] + list(args[i + 1 :])


def check_parametric_table_fn(rule):
    args, ref = parametric_case(rule.ufunc)
    out = rule.fn(*args)
    assert len(out) == 3
    for k, name in enumerate(("f", "f'", "f''")):
        what = f"{rule.ufunc.__name__} {name}"
        assert_within(out[k], ref[k], _bound(rule, args, ref, k), what)


def _scalar_results(rule, make):
    args, ref = parametric_case(rule.ufunc)
    i = rule.wrt
    res = []
    for j in range(len(args[0])):
        pt = _scalars(args, j)
        res.append(rule.ufunc(*_with(pt, i, make(float(pt[i])))))
    return args, ref, res


def check_parametric_dual_scalar(rule):
    args, ref, res = _scalar_results(rule, lambda x: dd.Dual(x, 1.0))
    name = rule.ufunc.__name__
    assert all(isinstance(r, dd.Dual) and np.shape(r.dual) == () for r in res)
    assert_within([r.value for r in res], ref[0], _bound(rule, args, ref, 0), f"{name} value")
    assert_within([r.dual for r in res], ref[1], _bound(rule, args, ref, 1), f"{name} f'")


def check_parametric_hyperdual_scalar(rule):
    args, ref, res = _scalar_results(rule, lambda x: dd.HyperDual(x, 1.0, 1.0, 0.0))
    name = rule.ufunc.__name__
    assert all(isinstance(r, dd.HyperDual) for r in res)
    assert_within([r.eps1 for r in res], ref[1], _bound(rule, args, ref, 1), f"{name} eps1")
    assert_within([r.eps12 for r in res], ref[2], _bound(rule, args, ref, 2), f"{name} eps12")


def check_parametric_dual_array(rule):
    args, ref = parametric_case(rule.ufunc)
    i, name = rule.wrt, rule.ufunc.__name__
    x = args[i].astype(float)
    r = rule.ufunc(*_with(args, i, dd.Dual(x, np.full_like(x, 2.0))))
    assert isinstance(r, dd.Dual) and r.dual.shape == x.shape
    assert_within(r.value, ref[0], _bound(rule, args, ref, 0), f"{name} value")
    assert_within(r.dual, 2.0 * ref[1], 2.0 * _bound(rule, args, ref, 1), f"{name} 2 f'")


def check_parametric_hyperdual_general_seed(rule):
    """Vector mode, two directions: eps12 = f' d + f'' b c."""
    args, ref = parametric_case(rule.ufunc)
    i, name = rule.wrt, rule.ufunc.__name__
    x = args[i].astype(float)
    rng = np.random.default_rng(3)
    b, c = (rng.uniform(-2.0, 2.0, x.shape + (2,)) for _ in range(2))
    d = rng.uniform(-2.0, 2.0, x.shape + (2, 2))
    r = rule.ufunc(*_with(args, i, dd.HyperDual(x, b, c, d)))
    f1, f2 = ref[1][:, None], ref[2][:, None]
    b1, b2 = _bound(rule, args, ref, 1)[:, None], _bound(rule, args, ref, 2)[:, None]
    assert_within(r.eps1, f1 * b, b1 * abs(b), f"{name} eps1")
    assert_within(r.eps2, f1 * c, b1 * abs(c), f"{name} eps2")
    bc = b[:, :, None] * c[:, None, :]
    want = f1[..., None] * d + f2[..., None] * bc
    bound = b1[..., None] * abs(d) + b2[..., None] * abs(bc) + 2 * EPS * abs(want)
    assert_within(r.eps12, want, bound, f"{name} eps12")


def check_parametric_dual_parameters(rule):
    """A parameter with a derivative is refused by name; one with zero parts is its value;
    an integer order may be an integer array broadcast against the dual argument."""
    args, _ = parametric_case(rule.ufunc)
    i = rule.wrt
    pt = _scalars(args, 0)
    plain = rule.ufunc(*_with(pt, i, dd.Dual(float(pt[i]), 1.0)))
    for k, name in enumerate(rule.names):
        if k == i:
            continue
        with_x = _with(pt, i, dd.Dual(float(pt[i]), 1.0))
        with pytest.raises(dd.UnsupportedFunctionError) as info:
            rule.ufunc(*_with(with_x, k, dd.Dual(float(pt[k]), 1.0)))
        msg = str(info.value)
        assert "scipy.special." in msg and f"respect to {name}" in msg, msg
        zero = rule.ufunc(*_with(with_x, k, dd.Dual(float(pt[k]), 0.0)))
        assert (zero.value, zero.dual) == (plain.value, plain.dual)
        if k in rule.integers:
            x3 = dd.Dual(np.full(3, float(pt[i])), 1.0)
            r = rule.ufunc(*_with(_with(pt, i, x3), k, np.full(3, pt[k])))
            np.testing.assert_allclose(r.dual, np.full(3, plain.dual), rtol=1e-14)


PARAMETRIC_CHECKS = [
    check_parametric_table_fn,
    check_parametric_dual_scalar,
    check_parametric_hyperdual_scalar,
    check_parametric_dual_array,
    check_parametric_hyperdual_general_seed,
    check_parametric_dual_parameters,
]
PARAMETRIC_IDS = [c.__name__.removeprefix("check_parametric_") for c in PARAMETRIC_CHECKS]


@pytest.mark.parametrize("check", PARAMETRIC_CHECKS, ids=PARAMETRIC_IDS)
@pytest.mark.parametrize("ufunc", _grouped(_P))
def test_special_parametric_rule(ufunc, check):
    _reference(ufunc)
    check(SPECIAL_PARAMETRIC_RULES[ufunc])


@pytest.mark.parametrize(
    ("ufunc", "mp_fn"),
    [
        (sc.eval_legendre, mp.legendre),
        (sc.eval_chebyt, mp.chebyt),
        (sc.eval_gegenbauer, lambda n, t: mp.gegenbauer(n, mp.mpf("0.7"), t)),
    ],
    ids=["legendre", "chebyt", "gegenbauer"],
)
@pytest.mark.parametrize("n", [0.5, 2.5])
def test_orthogonal_polynomials_at_non_integer_degree(ufunc, mp_fn, n):
    """scipy continues these to non-integer degrees; the derivative identities hold there too
    (no clamping to zero below degree 1 as for integer degrees)."""
    args = (n, 0.7) if ufunc is sc.eval_gegenbauer else (n,)
    r = ufunc(*args, dd.HyperDual(0.3, 1.0, 1.0, 0.0))
    with mp.workdps(MP_DPS):
        f1 = float(mp.diff(lambda t: mp_fn(mp.mpf(n), t), mp.mpf("0.3")))
        f2 = float(mp.diff(lambda t: mp_fn(mp.mpf(n), t), mp.mpf("0.3"), 2))
    np.testing.assert_allclose([r.eps1, r.eps12], [f1, f2], rtol=1e-12)


@pytest.mark.parametrize(
    ("ufunc", "mp_fn"), [(sc.yn, mp.bessely), (sc.kn, mp.besselk), (sc.expn, mp.expint)]
)
def test_integer_orders_truncated_as_scipy_does(ufunc, mp_fn):
    """yn, kn, expn truncate a non-integer order (scipy warns): the derivative follows the
    value, the function of order 2."""
    with pytest.warns(RuntimeWarning, match="truncated"):
        want = ufunc(2.7, 3.0)
    r = ufunc(2.7, dd.HyperDual(3.0, 1.0, 1.0, 0.0))
    with mp.workdps(MP_DPS):
        f1 = float(mp.diff(lambda t: mp_fn(2, t), mp.mpf(3)))
        f2 = float(mp.diff(lambda t: mp_fn(2, t), mp.mpf(3), 2))
    assert r.value == want
    np.testing.assert_allclose([r.eps1, r.eps12], [f1, f2], rtol=1e-13)
