"""The calculus table for scipy.special ufuncs, loaded only once scipy.special is imported.

Same conventions as :mod:`dualdiff._rules`: ``fn(x) -> (f0, f1, f2)`` and
``fn(x, y) -> (f, fx, fy, fxx, fxy, fyy)``. Ratios such as ``log_ndtr'`` are formed in log
space so they stay finite far in the tails.

*Parametric* rules (:class:`~dualdiff._rules.ParametricRule`) serve the ufuncs that are
differentiable in one argument only: Bessel functions in ``x`` (not their order ``v``),
``gammainc(a, x)`` and ``betainc(a, b, x)`` in ``x``, the orthogonal polynomials in ``x``, ...
Their ``fn(*args, order)`` gives ``(f0, f1, f2)`` in that argument; a parameter passed as a
dual number that carries a derivative is refused with a message naming it.

Derivatives come from the classical identities, written with scipy's own functions:
``2 J_v' = J_{v-1} - J_{v+1}`` (and alike for ``Y, I, K``), ``P'(a, x) = x^(a-1) e^-x / Γ(a)``
formed in log space, ``d/dx C_n^(α) = 2α C_{n-1}^(α+1)`` for the Gegenbauer family (Legendre
and Chebyshev included), ``2F1' = (ab/c) 2F1(a+1, b+1; c+1)``. Where a closed form cancels
(``spence`` near 1, ``exprel`` and ``boxcox`` in ``λ`` near 0, the complete elliptic integrals
near 0) a Taylor series takes over below a threshold. A derivative is only as accurate as the
scipy functions it is built from; the exponentially scaled Bessel derivatives
(``i0e' = i1e - sign(x) i0e``, ``k0e' = k0e - k1e``) lose about ``2|x|`` ulps to cancellation
for large ``|x|``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from ._rules import UNARY_RULES, _power_rule, binary, parametric, unary

SPECIAL_UNARY_RULES: dict = {}
SPECIAL_BINARY_RULES: dict = {}
SPECIAL_PARAMETRIC_RULES: dict = {}

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SQRT_HALF = math.sqrt(0.5)
SQRT_2 = math.sqrt(2.0)
SQRT_PI = math.sqrt(math.pi)


def _u(ufunc, domain=(-5.0, 5.0)):
    return unary(ufunc, domain, table=SPECIAL_UNARY_RULES)


def _b(ufunc, domain):
    return binary(ufunc, domain, table=SPECIAL_BINARY_RULES)


def _p(ufunc, names, domain, integers=()):
    return parametric(ufunc, names, domain, integers, table=SPECIAL_PARAMETRIC_RULES)


def _series(u, coeffs):
    """``sum(coeffs[k] * u**k)`` by Horner's rule."""
    acc = 0.0 * u + coeffs[-1]
    for c in coeffs[-2::-1]:
        acc = acc * u + c
    return acc


def _small(u, limit):
    """``(small, u_small, u_large)``: where ``|u| < limit``, and ``u`` with the other side
    replaced by a harmless value so neither branch of an ``np.where`` meets a 0/0."""
    small = np.absolute(u) < limit
    return small, np.where(small, u, 0.0), np.where(small, 2.0 * limit, u)


@_u(sc.erf)
def _erf(x, order=2):
    f1 = TWO_OVER_SQRT_PI * np.exp(-x * x)
    return sc.erf(x), f1, (-2.0 * x * f1 if order > 1 else None)


@_u(sc.erfc)
def _erfc(x, order=2):
    f1 = -TWO_OVER_SQRT_PI * np.exp(-x * x)
    return sc.erfc(x), f1, (-2.0 * x * f1 if order > 1 else None)


def _laplace_tail(x, terms=40):
    """``T(x)`` in Laplace's continued fraction ``sqrt(pi)·erfcx(x) = 1/(x + T(x))``,
    ``T = (1/2)/(x + 1/(x + (3/2)/(x + ...)))``; accurate for x > 4, where it lets
    ``x·sqrt(pi)·erfcx(x) - 1 = -T/(x + T)`` be formed without cancellation."""
    return 0.5 / (x + _laplace_tail2(x, terms))


def _laplace_tail2(x, terms=40):
    """``U(x)`` with ``T = (1/2)/(x + U)``: the continued fraction from its second level."""
    u = 0.0 * x
    for k in range(terms, 1, -1):
        u = (0.5 * k) / (x + u)
    return u


@_u(sc.erfcx, domain=(-3.0, 20.0))
def _erfcx(x, order=2):
    # erfcx = exp(x²) erfc(x): erfcx' = 2x erfcx - 2/sqrt(pi), erfcx'' = 2 erfcx + 2x erfcx'.
    # For x > 4 the difference in erfcx' cancels, so it comes from the continued fraction.
    f0 = sc.erfcx(x)
    big = x > 4.0
    xb = np.where(big, x, 5.0)
    u = _laplace_tail2(xb)
    t = 0.5 / (xb + u)
    f1 = np.where(big, -TWO_OVER_SQRT_PI * t / (xb + t), 2.0 * x * f0 - TWO_OVER_SQRT_PI)
    if order < 2:
        return f0, f1, None
    # f'' = 2 (f0 + x f1) = 2 U / ((x + U) sqrt(pi) (x + T)) in the tail.
    tail2 = 2.0 * u / ((xb + u) * SQRT_PI * (xb + t))
    return f0, f1, np.where(big, tail2, 2.0 * f0 + 2.0 * x * f1)


@_u(sc.erfinv, domain=(-0.99, 0.99))
def _erfinv(x, order=2):
    y = sc.erfinv(x)
    f1 = 0.5 * math.sqrt(math.pi) * np.exp(y * y)
    return y, f1, (2.0 * y * f1 * f1 if order > 1 else None)


@_u(sc.expit, domain=(-30.0, 30.0))
def _expit(x, order=2):
    s = sc.expit(x)
    t = sc.expit(-x)  # 1 - s without cancellation
    f1 = s * t
    return s, f1, (f1 * (t - s) if order > 1 else None)


@_u(sc.logit, domain=(0.001, 0.999))
def _logit(x, order=2):
    f1 = 1.0 / (x * (1.0 - x))
    return sc.logit(x), f1, ((2.0 * x - 1.0) * f1 * f1 if order > 1 else None)


@_u(sc.log_expit, domain=(-30.0, 30.0))
def _log_expit(x, order=2):
    s = sc.expit(x)
    t = sc.expit(-x)
    return sc.log_expit(x), t, (-s * t if order > 1 else None)


@_u(sc.gamma, domain=(0.1, 10.0))
def _gamma(x, order=2):
    g = sc.gamma(x)
    psi = sc.digamma(x)
    f1 = g * psi
    return g, f1, (g * (psi * psi + sc.polygamma(1, x)) if order > 1 else None)


@_u(sc.gammaln, domain=(0.1, 50.0))
def _gammaln(x, order=2):
    return sc.gammaln(x), sc.digamma(x), (sc.polygamma(1, x) if order > 1 else None)


@_u(sc.digamma, domain=(0.1, 50.0))
def _digamma(x, order=2):
    return sc.digamma(x), sc.polygamma(1, x), (sc.polygamma(2, x) if order > 1 else None)


@_u(sc.ndtr, domain=(-8.0, 8.0))
def _ndtr(x, order=2):
    phi = np.exp(-0.5 * x * x - LOG_SQRT_2PI)
    return sc.ndtr(x), phi, (-x * phi if order > 1 else None)


@_u(sc.log_ndtr, domain=(-30.0, 8.0))
def _log_ndtr(x, order=2):
    # r = phi/Phi = sqrt(2/pi) / erfcx(z), z = -x/sqrt(2); f'' = -r (x + r). In the left
    # tail (z > 4) both come from the continued fraction: r = sqrt(2) (z + T), x + r = sqrt(2) T.
    z = -x * SQRT_HALF
    tail = z > 4.0
    t = _laplace_tail(np.where(tail, z, 5.0))
    r = np.where(tail, SQRT_2 * (z + t), SQRT_2_OVER_PI / sc.erfcx(z))
    xr = np.where(tail, SQRT_2 * t, x + r)
    return sc.log_ndtr(x), r, (-r * xr if order > 1 else None)


@_u(sc.ndtri, domain=(0.001, 0.999))
def _ndtri(x, order=2):
    y = sc.ndtri(x)
    f1 = np.exp(0.5 * y * y + LOG_SQRT_2PI)
    return y, f1, (y * f1 * f1 if order > 1 else None)


@_b(sc.xlogy, domain=((-5.0, 5.0), (0.1, 10.0)))
def _xlogy(x, y, order=2):
    r = 1.0 / y
    z = 0.0 * r
    if order < 2:
        return sc.xlogy(x, y), np.log(y) + 0.0 * x, x * r, None, None, None
    return sc.xlogy(x, y), np.log(y) + 0.0 * x, x * r, z + 0.0 * x, r + 0.0 * x, -x * r * r


@_b(sc.xlog1py, domain=((-5.0, 5.0), (-0.9, 10.0)))
def _xlog1py(x, y, order=2):
    r = 1.0 / (1.0 + y)
    z = 0.0 * r
    if order < 2:
        return sc.xlog1py(x, y), np.log1p(y) + 0.0 * x, x * r, None, None, None
    return sc.xlog1py(x, y), np.log1p(y) + 0.0 * x, x * r, z + 0.0 * x, r + 0.0 * x, -x * r * r


# ---------------------------------------------------------------- error function family


@_u(sc.erfcinv, domain=(0.01, 1.99))
def _erfcinv(x, order=2):
    y = sc.erfcinv(x)
    f1 = -0.5 * SQRT_PI * np.exp(y * y)
    return y, f1, (2.0 * y * f1 * f1 if order > 1 else None)


@_u(sc.erfi, domain=(-4.0, 4.0))
def _erfi(x, order=2):
    f1 = TWO_OVER_SQRT_PI * np.exp(x * x)
    return sc.erfi(x), f1, (2.0 * x * f1 if order > 1 else None)


@_u(sc.dawsn, domain=(-3.0, 3.0))
def _dawsn(x, order=2):
    d = sc.dawsn(x)
    f1 = 1.0 - 2.0 * x * d  # D' and D'' cancel for |x| > 3 (D' ~ -1/(2x²)): absolutely accurate
    return d, f1, (-2.0 * (d + x * f1) if order > 1 else None)


@_u(sc.ndtri_exp, domain=(-30.0, -0.01))
def _ndtri_exp(y, order=2):
    # x = ndtri(e^y) inverts log_ndtr: x' = 1/r, x'' = -(log_ndtr'')/r³ with r = phi/Phi
    # (log_ndtr's rule forms r and x + r without cancelling in the left tail)
    x = sc.ndtri_exp(y)
    _, r, g2 = _log_ndtr(x)
    f1 = 1.0 / r
    return x, f1, (-g2 * f1 * f1 * f1 if order > 1 else None)


# ---------------------------------------------------------------- gamma family


@_u(sc.loggamma, domain=(0.1, 50.0))
def _loggamma(x, order=2):
    return sc.loggamma(x), sc.digamma(x), (sc.polygamma(1, x) if order > 1 else None)


@_u(sc.rgamma, domain=(-3.5, 6.0))
def _rgamma(x, order=2):
    # 1/Γ is entire; ψ has poles where 1/Γ vanishes, so form the products ψ/Γ, not ψ·(1/Γ)
    # of an inf and a zero: away from the non-positive integers the two agree.
    r = sc.rgamma(x)
    psi = sc.digamma(x)
    f1 = -r * psi
    return r, f1, (r * (psi * psi - sc.polygamma(1, x)) if order > 1 else None)


@_u(sc.gammasgn, domain=(-4.5, 5.0))
def _gammasgn(x, order=2):
    s = sc.gammasgn(x)  # piecewise constant between the poles of Γ
    return s, 0.0 * s, (0.0 * s if order > 1 else None)


# ---------------------------------------------------------------- Bessel functions of x


@_u(sc.j0, domain=(-20.0, 20.0))
def _j0(x, order=2):
    return sc.j0(x), -sc.j1(x), (0.5 * (sc.jv(2, x) - sc.j0(x)) if order > 1 else None)


@_u(sc.j1, domain=(-20.0, 20.0))
def _j1(x, order=2):
    j1 = sc.j1(x)
    f1 = 0.5 * (sc.j0(x) - sc.jv(2, x))
    return j1, f1, (0.25 * (sc.jv(3, x) - 3.0 * j1) if order > 1 else None)


@_u(sc.y0, domain=(0.1, 20.0))
def _y0(x, order=2):
    return sc.y0(x), -sc.y1(x), (0.5 * (sc.yv(2, x) - sc.y0(x)) if order > 1 else None)


@_u(sc.y1, domain=(0.1, 20.0))
def _y1(x, order=2):
    y1 = sc.y1(x)
    f1 = 0.5 * (sc.y0(x) - sc.yv(2, x))
    return y1, f1, (0.25 * (sc.yv(3, x) - 3.0 * y1) if order > 1 else None)


@_u(sc.i0, domain=(-20.0, 20.0))
def _i0(x, order=2):
    i0 = sc.i0(x)
    return i0, sc.i1(x), (0.5 * (i0 + sc.iv(2, x)) if order > 1 else None)


@_u(sc.i1, domain=(-20.0, 20.0))
def _i1(x, order=2):
    i1 = sc.i1(x)
    f1 = 0.5 * (sc.i0(x) + sc.iv(2, x))
    return i1, f1, (0.25 * (3.0 * i1 + sc.iv(3, x)) if order > 1 else None)


@_u(sc.i0e, domain=(-5.0, 5.0))
def _i0e(x, order=2):
    # i0e = e^-|x| I0: i0e' = i1e - s i0e, i0e'' = (i0e + ive2)/2 - 2 s i1e + s² i0e, s = sign x
    s = np.sign(x)
    i0e = sc.i0e(x)
    i1e = sc.i1e(x)
    f1 = i1e - s * i0e
    if order < 2:
        return i0e, f1, None
    return i0e, f1, 0.5 * (i0e + sc.ive(2, x)) - 2.0 * s * i1e + s * s * i0e


@_u(sc.i1e, domain=(-5.0, 5.0))
def _i1e(x, order=2):
    s = np.sign(x)
    i1e = sc.i1e(x)
    i02 = sc.i0e(x) + sc.ive(2, x)
    f1 = 0.5 * i02 - s * i1e
    if order < 2:
        return i1e, f1, None
    return i1e, f1, 0.25 * (3.0 * i1e + sc.ive(3, x)) - s * i02 + s * s * i1e


@_u(sc.k0, domain=(0.1, 20.0))
def _k0(x, order=2):
    k0 = sc.k0(x)
    return k0, -sc.k1(x), (0.5 * (k0 + sc.kv(2, x)) if order > 1 else None)


@_u(sc.k1, domain=(0.1, 20.0))
def _k1(x, order=2):
    k1 = sc.k1(x)
    f1 = -0.5 * (sc.k0(x) + sc.kv(2, x))
    return k1, f1, (0.25 * (3.0 * k1 + sc.kv(3, x)) if order > 1 else None)


@_u(sc.k0e, domain=(0.1, 5.0))
def _k0e(x, order=2):
    # k0e = e^x K0: k0e' = k0e - k1e, k0e'' = (3 k0e + kve2)/2 - 2 k1e
    k0e = sc.k0e(x)
    k1e = sc.k1e(x)
    f1 = k0e - k1e
    return k0e, f1, (0.5 * (3.0 * k0e + sc.kve(2, x)) - 2.0 * k1e if order > 1 else None)


@_u(sc.k1e, domain=(0.1, 5.0))
def _k1e(x, order=2):
    k1e = sc.k1e(x)
    k02 = sc.k0e(x) + sc.kve(2, x)
    f1 = k1e - 0.5 * k02
    return k1e, f1, (0.25 * (3.0 * k1e + sc.kve(3, x)) - k02 + k1e if order > 1 else None)


# ---------------------------------------------------------------- exponential integrals


@_u(sc.expi, domain=(0.1, 20.0))
def _expi(x, order=2):
    e = np.exp(x) / x
    return sc.expi(x), e, (e * (x - 1.0) / x if order > 1 else None)


@_u(sc.exp1, domain=(0.1, 20.0))
def _exp1(x, order=2):
    e = np.exp(-x) / x
    return sc.exp1(x), -e, (e * (x + 1.0) / x if order > 1 else None)


_EXPREL_F1 = [(k + 1) / math.factorial(k + 2) for k in range(26)]
_EXPREL_F2 = [(k + 1) * (k + 2) / math.factorial(k + 3) for k in range(26)]


@_u(sc.exprel, domain=(-10.0, 10.0))
def _exprel(x, order=2):
    # r = (e^x - 1)/x: r' = (e^x - r)/x, r'' = (e^x - 2 r')/x; Taylor series for |x| < 1
    r = sc.exprel(x)
    small, xs, xl = _small(x, 1.0)
    e = np.exp(xl)
    rl = sc.exprel(xl)
    f1l = (e - rl) / xl
    f1 = np.where(small, _series(xs, _EXPREL_F1), f1l)
    if order < 2:
        return r, f1, None
    return r, f1, np.where(small, _series(xs, _EXPREL_F2), (e - 2.0 * f1l) / xl)


_SPENCE_F1 = [-((-1.0) ** k) / (k + 1) for k in range(60)]
_SPENCE_F2 = [(-1.0) ** k * (k + 1) / (k + 2) for k in range(60)]


@_u(sc.spence, domain=(0.05, 5.0))
def _spence(x, order=2):
    # spence' = log(x)/(1 - x) = -log1p(u)/u, u = x - 1; spence'' = (log1p(u) - u/x)/u²
    u = x - 1.0
    small, us, ul = _small(u, 0.5)
    lg = np.log1p(ul)
    f1 = np.where(small, _series(us, _SPENCE_F1), -lg / ul)
    if order < 2:
        return sc.spence(x), f1, None
    f2 = np.where(small, _series(us, _SPENCE_F2), (lg - ul / (1.0 + ul)) / (ul * ul))
    return sc.spence(x), f1, f2


@_p(sc.expn, "n, x*", ((0, 6), (0.1, 10.0)), integers=(0,))
def _expn(n, x, order=2):
    # E_n' = -E_{n-1}, E_n'' = E_{n-2}, with E_0 = e^-x/x, E_{-1} = e^-x (x + 1)/x²,
    # E_{-2} = e^-x (x² + 2x + 2)/x³
    n = np.trunc(n).astype(np.int64)  # scipy truncates a non-integer n (with a warning)
    e = np.exp(-x) / x
    em = [e, e * (x + 1.0) / x, e * ((x + 2.0) * x + 2.0) / (x * x)]  # E_0, E_-1, E_-2

    def at(k):
        return np.where(k >= 1, sc.expn(np.maximum(k, 1), x), np.choose(np.clip(-k, 0, 2), em))

    return sc.expn(n, x), -at(n - 1), (at(n - 2) if order > 1 else None)


# ---------------------------------------------------------------- elliptic integrals

_A2 = [(math.comb(2 * n, n) / 4.0**n) ** 2 for n in range(52)]
_K1 = [0.5 * math.pi * (n + 1) * _A2[n + 1] for n in range(50)]
_K2 = [0.5 * math.pi * (n + 2) * (n + 1) * _A2[n + 2] for n in range(50)]
_E1 = [-0.5 * math.pi * (n + 1) * _A2[n + 1] / (2 * n + 1) for n in range(50)]
_E2 = [-0.5 * math.pi * (n + 2) * (n + 1) * _A2[n + 2] / (2 * n + 3) for n in range(50)]


def _ellip_derivatives(m, p, k, e, order):
    """``(K', K'', E', E'')`` at ``m`` (``p = 1 - m`` given separately for accuracy), from
    Legendre's relations ``K' = (E - pK)/(2mp)``, ``K'' = (K/4 - (1 - 2m)K')/(mp)``,
    ``E' = (E - K)/(2m)``, ``E'' = -(E' + K')/(2m)``; Taylor series for ``|m| < 1/4``."""
    small, ms, ml = _small(m, 0.25)
    kl = np.where(small, 1.0, k)
    el = np.where(small, 1.0, e)
    pl = np.where(small, 0.5, p)
    k1 = np.where(small, _series(ms, _K1), (el - pl * kl) / (2.0 * ml * pl))
    e1 = np.where(small, _series(ms, _E1), (el - kl) / (2.0 * ml))
    if order < 2:
        return k1, None, e1, None
    k1l = (el - pl * kl) / (2.0 * ml * pl)
    k2 = np.where(small, _series(ms, _K2), (0.25 * kl - (1.0 - 2.0 * ml) * k1l) / (ml * pl))
    e2 = np.where(small, _series(ms, _E2), -((el - kl) / (2.0 * ml) + k1l) / (2.0 * ml))
    return k1, k2, e1, e2


@_u(sc.ellipk, domain=(-3.0, 0.95))
def _ellipk(m, order=2):
    k = sc.ellipk(m)
    k1, k2, _, _ = _ellip_derivatives(m, 1.0 - m, k, sc.ellipe(m), order)
    return k, k1, k2


@_u(sc.ellipkm1, domain=(0.02, 2.0))
def _ellipkm1(p, order=2):
    m = 1.0 - p
    k = sc.ellipkm1(p)
    k1, k2, _, _ = _ellip_derivatives(m, p, k, sc.ellipe(m), order)
    return k, -k1, k2


@_u(sc.ellipe, domain=(-3.0, 0.95))
def _ellipe(m, order=2):
    e = sc.ellipe(m)
    _, _, e1, e2 = _ellip_derivatives(m, 1.0 - m, sc.ellipk(m), e, order)
    return e, e1, e2


# ---------------------------------------------------------------- elementary, in scipy


@_u(sc.entr, domain=(0.01, 10.0))
def _entr(x, order=2):
    return sc.entr(x), -np.log(x) - 1.0, (-1.0 / x if order > 1 else None)


@_u(sc.cosm1, domain=(-10.0, 10.0))
def _cosm1(x, order=2):
    return sc.cosm1(x), -np.sin(x), (-np.cos(x) if order > 1 else None)


@_u(sc.exp10, domain=(-10.0, 10.0))
def _exp10(x, order=2):
    e = sc.exp10(x)
    f1 = math.log(10.0) * e
    return e, f1, (math.log(10.0) * f1 if order > 1 else None)


def _numpy_rule(ufunc):
    """scipy's copy of a numpy ufunc (same function): numpy's rule, whose calculus is
    written once in :mod:`dualdiff._rules`. Wrapped here so that the rule stays one of this
    table's (the kernel layer takes rules of ``dualdiff._rules`` only)."""
    numpy_fn = UNARY_RULES[ufunc].fn

    def rule(x, order=2):
        return numpy_fn(x, order)

    return rule


for _sc_ufunc, _np_ufunc in ((sc.expm1, np.expm1), (sc.log1p, np.log1p), (sc.cbrt, np.cbrt),
                             (sc.exp2, np.exp2)):  # fmt: skip
    _u(_sc_ufunc, domain=UNARY_RULES[_np_ufunc].domain)(_numpy_rule(_np_ufunc))


DEG = math.pi / 180.0


@_u(sc.sindg, domain=(-400.0, 400.0))
def _sindg(x, order=2):
    s = sc.sindg(x)
    return s, DEG * sc.cosdg(x), (-DEG * DEG * s if order > 1 else None)


@_u(sc.cosdg, domain=(-400.0, 400.0))
def _cosdg(x, order=2):
    c = sc.cosdg(x)
    return c, -DEG * sc.sindg(x), (-DEG * DEG * c if order > 1 else None)


@_u(sc.tandg, domain=(-80.0, 80.0))
def _tandg(x, order=2):
    t = sc.tandg(x)
    f1 = DEG * (1.0 + t * t)
    return t, f1, (2.0 * DEG * t * f1 if order > 1 else None)


@_u(sc.cotdg, domain=(5.0, 175.0))
def _cotdg(x, order=2):
    t = sc.cotdg(x)
    f1 = -DEG * (1.0 + t * t)
    return t, f1, (-2.0 * DEG * t * f1 if order > 1 else None)


# ---------------------------------------------------------------- binary, both arguments


def _second(order, *parts):
    return parts if order > 1 else parts[:3] + (None, None, None)


@_b(sc.beta, domain=((0.1, 5.0), (0.1, 5.0)))
def _beta(a, b, order=2):
    f = sc.beta(a, b)
    pab = sc.digamma(a + b)
    da = sc.digamma(a) - pab
    db = sc.digamma(b) - pab
    if order < 2:
        return f, f * da, f * db, None, None, None
    tab = sc.polygamma(1, a + b)
    faa = f * (da * da + sc.polygamma(1, a) - tab)
    fbb = f * (db * db + sc.polygamma(1, b) - tab)
    return f, f * da, f * db, faa, f * (da * db - tab), fbb


@_b(sc.betaln, domain=((0.1, 5.0), (0.1, 5.0)))
def _betaln(a, b, order=2):
    pab = sc.digamma(a + b)
    fa = sc.digamma(a) - pab
    fb = sc.digamma(b) - pab
    if order < 2:
        return sc.betaln(a, b), fa, fb, None, None, None
    tab = sc.polygamma(1, a + b)
    return sc.betaln(a, b), fa, fb, sc.polygamma(1, a) - tab, -tab, sc.polygamma(1, b) - tab


@_b(sc.poch, domain=((0.5, 5.0), (-0.4, 3.0)))
def _poch(z, m, order=2):
    # (z)_m = Γ(z + m)/Γ(z)
    f = sc.poch(z, m)
    pzm = sc.digamma(z + m)
    dz = pzm - sc.digamma(z)
    if order < 2:
        return f, f * dz, f * pzm, None, None, None
    tzm = sc.polygamma(1, z + m)
    fzz = f * (dz * dz + tzm - sc.polygamma(1, z))
    return f, f * dz, f * pzm, fzz, f * (dz * pzm + tzm), f * (pzm * pzm + tzm)


@_b(sc.rel_entr, domain=((0.1, 5.0), (0.1, 5.0)))
def _rel_entr(x, y, order=2):
    r = x / y
    return _second(order, sc.rel_entr(x, y), np.log(r) + 1.0, -r, 1.0 / x, -1.0 / y, r / y)


@_b(sc.kl_div, domain=((0.1, 5.0), (0.1, 5.0)))
def _kl_div(x, y, order=2):
    r = x / y
    return _second(order, sc.kl_div(x, y), np.log(r), 1.0 - r, 1.0 / x, -1.0 / y, r / y)


@_b(sc.huber, domain=((0.5, 3.0), (-5.0, 5.0)))
def _huber(delta, r, order=2):
    # r²/2 inside |r| <= delta, delta (|r| - delta/2) outside: first derivatives continuous
    inside = np.absolute(r) <= delta
    s = np.sign(r)
    fd = np.where(inside, 0.0, np.absolute(r) - delta)
    fr = np.where(inside, r, delta * s)
    z = 0.0 * fd
    f2 = (np.where(inside, z, -1.0), np.where(inside, z, s), np.where(inside, 1.0, z))
    return _second(order, sc.huber(delta, r), fd, fr, *f2)


@_b(sc.pseudo_huber, domain=((0.5, 3.0), (-5.0, 5.0)))
def _pseudo_huber(delta, r, order=2):
    # f = delta² (s - 1), s = sqrt(1 + t²), t = r/delta; s - 1 = t²/(s + 1) without cancelling
    t = r / delta
    q = t * t
    s = np.sqrt(1.0 + q)
    sm1 = q / (s + 1.0)
    fd = delta * sm1 * sm1 / s
    fr = r / s
    s3 = s * s * s
    fdd = -q * q * (2.0 * s + 1.0) / ((s + 1.0) * (s + 1.0) * s3)
    return _second(order, sc.pseudo_huber(delta, r), fd, fr, fdd, q * t / s3, 1.0 / s3)


@_b(sc.powm1, domain=((0.1, 5.0), (-3.0, 3.0)))
def _powm1(x, y, order=2):
    _, fx, fy, fxx, fxy, fyy = _power_rule(x, y, order)
    return sc.powm1(x, y), fx, fy, fxx, fxy, fyy


_H1 = [(j + 1) / math.factorial(j + 2) for j in range(40)]
_H2 = [(j + 1) * (j + 2) / math.factorial(j + 3) for j in range(40)]


def _boxcox_lambda(lg, lm, order):
    """``(f_λ, f_λλ)`` of ``(e^(λL) - 1)/λ`` with ``L = lg``: ``L² h(λL)``, ``L³ h'(λL)``,
    ``h(u) = (u e^u - expm1 u)/u²`` (a Taylor series for ``|u| < 2``, where it cancels)."""
    u = lm * lg
    small, us, ul = _small(u, 2.0)
    e = np.exp(ul)
    em1 = np.expm1(ul)
    h = np.where(small, _series(us, _H1), (ul * e - em1) / (ul * ul))
    if order < 2:
        return lg * lg * h, None
    hp = np.where(small, _series(us, _H2), ((ul - 2.0) * ul * e + 2.0 * em1) / (ul * ul * ul))
    return lg * lg * h, lg * lg * lg * hp


@_b(sc.boxcox, domain=((0.1, 5.0), (-2.0, 2.0)))
def _boxcox(x, lm, order=2):
    lg = np.log(x)
    fx = np.power(x, lm - 1.0)
    fl, fll = _boxcox_lambda(lg, lm, order)
    return _second(order, sc.boxcox(x, lm), fx, fl, (lm - 1.0) * fx / x, lg * fx, fll)


@_b(sc.boxcox1p, domain=((-0.9, 5.0), (-2.0, 2.0)))
def _boxcox1p(x, lm, order=2):
    lg = np.log1p(x)
    fx = np.power(1.0 + x, lm - 1.0)
    fl, fll = _boxcox_lambda(lg, lm, order)
    return _second(order, sc.boxcox1p(x, lm), fx, fl, (lm - 1.0) * fx / (1.0 + x), lg * fx, fll)


# ---------------------------------------------------------------- parametric: Bessel in x


def _bessel(fn, v, x, order, sign):
    """``2 C_v' = C_{v-1} + sign C_{v+1}`` and ``4 C_v'' = C_{v-2} + 2 sign C_v + C_{v+2}``:
    ``sign = -1`` for J and Y, ``+1`` for I; K is ``-I``'s recurrence (see :func:`_kv`)."""
    f = fn(v, x)
    f1 = 0.5 * (fn(v - 1.0, x) + sign * fn(v + 1.0, x))
    if order < 2:
        return f, f1, None
    return f, f1, 0.25 * (fn(v - 2.0, x) + 2.0 * sign * f + fn(v + 2.0, x))


@_p(sc.jv, "v, x*", ((-3.0, 3.0), (0.5, 20.0)))
def _jv(v, x, order=2):
    return _bessel(sc.jv, v, x, order, -1.0)


@_p(sc.yv, "v, x*", ((-3.0, 3.0), (0.5, 20.0)))
def _yv(v, x, order=2):
    return _bessel(sc.yv, v, x, order, -1.0)


@_p(sc.yn, "n, x*", ((0, 5), (0.5, 20.0)), integers=(0,))
def _yn(n, x, order=2):
    f, f1, f2 = _bessel(sc.yv, np.trunc(n), x, order, -1.0)  # scipy truncates n
    return sc.yn(n, x), f1, f2


@_p(sc.iv, "v, x*", ((-3.0, 3.0), (0.5, 10.0)))
def _iv(v, x, order=2):
    return _bessel(sc.iv, v, x, order, 1.0)


@_p(sc.kv, "v, x*", ((-3.0, 3.0), (0.5, 10.0)))
def _kv(v, x, order=2):
    f, f1, f2 = _bessel(sc.kv, v, x, order, 1.0)  # -2 K_v' = K_{v-1} + K_{v+1}
    return f, -f1, f2


@_p(sc.kn, "n, x*", ((0, 5), (0.5, 10.0)), integers=(0,))
def _kn(n, x, order=2):
    f, f1, f2 = _bessel(sc.kv, np.trunc(n), x, order, 1.0)  # scipy truncates n
    return sc.kn(n, x), -f1, f2


@_p(sc.ive, "v, x*", ((-3.0, 3.0), (0.5, 4.0)))
def _ive(v, x, order=2):
    # ive = e^-|x| I_v: f' = e^-|x| (I_v' - s I_v), f'' = e^-|x| (I_v'' - 2 s I_v' + s² I_v)
    s = np.sign(x)
    f, g1, g2 = _bessel(sc.ive, v, x, order, 1.0)
    f1 = g1 - s * f
    return f, f1, (g2 - 2.0 * s * g1 + s * s * f if order > 1 else None)


@_p(sc.kve, "v, x*", ((0.0, 2.0), (0.5, 3.0)))
def _kve(v, x, order=2):
    # kve = e^x K_v: f' = e^x (K_v' + K_v), f'' = e^x (K_v'' + 2 K_v' + K_v)
    f, g1, g2 = _bessel(sc.kve, v, x, order, 1.0)
    return f, f - g1, (g2 - 2.0 * g1 + f if order > 1 else None)


def _struve_rule(fn, v, x, order):
    # H_v' = H_{v-1} - (v/x) H_v; H_v'' = H_{v-2} - ((2v - 1)/x) H_{v-1} + (v (v + 1)/x²) H_v
    # (the same recurrences hold for the modified L_v)
    f = fn(v, x)
    fm1 = fn(v - 1.0, x)
    f1 = fm1 - v / x * f
    if order < 2:
        return f, f1, None
    return f, f1, fn(v - 2.0, x) - (2.0 * v - 1.0) / x * fm1 + v * (v + 1.0) / (x * x) * f


@_p(sc.struve, "v, x*", ((0.0, 3.0), (0.5, 10.0)))
def _struve(v, x, order=2):
    return _struve_rule(sc.struve, v, x, order)


@_p(sc.modstruve, "v, x*", ((0.0, 3.0), (0.5, 10.0)))
def _modstruve(v, x, order=2):
    return _struve_rule(sc.modstruve, v, x, order)


# ---------------------------------------------------------------- incomplete gamma and beta


def _log_gamma_density(a, x):
    """``log(x^(a-1) e^-x / Γ(a))``: ``xlogy`` keeps ``a = 1, x = 0`` exact."""
    return sc.xlogy(a - 1.0, x) - x - sc.gammaln(a)


@_p(sc.gammainc, "a, x*", ((0.5, 5.0), (0.1, 10.0)))
def _gammainc(a, x, order=2):
    f1 = np.exp(_log_gamma_density(a, x))
    return sc.gammainc(a, x), f1, (f1 * ((a - 1.0) / x - 1.0) if order > 1 else None)


@_p(sc.gammaincc, "a, x*", ((0.5, 5.0), (0.1, 10.0)))
def _gammaincc(a, x, order=2):
    f1 = -np.exp(_log_gamma_density(a, x))
    return sc.gammaincc(a, x), f1, (f1 * ((a - 1.0) / x - 1.0) if order > 1 else None)


def _inverse(x, g, dlogg, sign, order):
    """An inverse function's ``(x, x', x'')`` from ``F' = sign·g`` and ``g'/g`` at ``x``:
    ``x' = 1/F'``, ``x'' = -(g'/g) x'²``."""
    f1 = sign / g
    return x, f1, (-dlogg * f1 * f1 if order > 1 else None)


@_p(sc.gammaincinv, "a, y*", ((0.5, 5.0), (0.05, 0.95)))
def _gammaincinv(a, y, order=2):
    x = sc.gammaincinv(a, y)
    return _inverse(x, np.exp(_log_gamma_density(a, x)), (a - 1.0) / x - 1.0, 1.0, order)


@_p(sc.gammainccinv, "a, y*", ((0.5, 5.0), (0.05, 0.95)))
def _gammainccinv(a, y, order=2):
    x = sc.gammainccinv(a, y)
    return _inverse(x, np.exp(_log_gamma_density(a, x)), (a - 1.0) / x - 1.0, -1.0, order)


def _log_beta_density(a, b, x):
    return sc.xlogy(a - 1.0, x) + sc.xlog1py(b - 1.0, -x) - sc.betaln(a, b)


def _dlog_beta_density(a, b, x):
    return (a - 1.0) / x - (b - 1.0) / (1.0 - x)


@_p(sc.betainc, "a, b, x*", ((0.5, 5.0), (0.5, 5.0), (0.05, 0.95)))
def _betainc(a, b, x, order=2):
    f1 = np.exp(_log_beta_density(a, b, x))
    return sc.betainc(a, b, x), f1, (f1 * _dlog_beta_density(a, b, x) if order > 1 else None)


@_p(sc.betaincc, "a, b, x*", ((0.5, 5.0), (0.5, 5.0), (0.05, 0.95)))
def _betaincc(a, b, x, order=2):
    f1 = -np.exp(_log_beta_density(a, b, x))
    return sc.betaincc(a, b, x), f1, (f1 * _dlog_beta_density(a, b, x) if order > 1 else None)


@_p(sc.betaincinv, "a, b, y*", ((0.5, 5.0), (0.5, 5.0), (0.05, 0.95)))
def _betaincinv(a, b, y, order=2):
    x = sc.betaincinv(a, b, y)
    g = np.exp(_log_beta_density(a, b, x))
    return _inverse(x, g, _dlog_beta_density(a, b, x), 1.0, order)


@_p(sc.stdtr, "df, t*", ((1.0, 30.0), (-5.0, 5.0)))
def _stdtr(df, t, order=2):
    # Student's t density: log p = gammaln((df+1)/2) - gammaln(df/2) - log(df pi)/2
    #   - (df+1)/2 log1p(t²/df); p' = -p (df+1) t/(df + t²)
    h = 0.5 * (df + 1.0)
    logp = sc.gammaln(h) - sc.gammaln(0.5 * df) - 0.5 * np.log(df * math.pi)
    p = np.exp(logp - h * np.log1p(t * t / df))
    return sc.stdtr(df, t), p, (-p * 2.0 * h * t / (df + t * t) if order > 1 else None)


# ---------------------------------------------------------------- hypergeometric


@_p(sc.hyp2f1, "a, b, c, z*", ((-2.0, 2.0), (-2.0, 2.0), (0.5, 3.0), (-0.9, 0.9)))
def _hyp2f1(a, b, c, z, order=2):
    # d/dz 2F1(a, b; c; z) = (ab/c) 2F1(a + 1, b + 1; c + 1; z)
    f1 = a * b / c * sc.hyp2f1(a + 1.0, b + 1.0, c + 1.0, z)
    if order < 2:
        return sc.hyp2f1(a, b, c, z), f1, None
    k2 = a * (a + 1.0) * b * (b + 1.0) / (c * (c + 1.0))
    return sc.hyp2f1(a, b, c, z), f1, k2 * sc.hyp2f1(a + 2.0, b + 2.0, c + 2.0, z)


@_p(sc.hyp1f1, "a, b, x*", ((-2.0, 2.0), (0.5, 3.0), (-5.0, 5.0)))
def _hyp1f1(a, b, x, order=2):
    f1 = a / b * sc.hyp1f1(a + 1.0, b + 1.0, x)
    if order < 2:
        return sc.hyp1f1(a, b, x), f1, None
    k2 = a * (a + 1.0) / (b * (b + 1.0))
    return sc.hyp1f1(a, b, x), f1, k2 * sc.hyp1f1(a + 2.0, b + 2.0, x)


# ---------------------------------------------------------------- orthogonal polynomials in x


def _lower(n, k):
    """``(n - k, where)`` for the derivative identities below: at an integer degree ``n < k``
    the derivative of a polynomial of lower degree is 0 (and scipy returns nan for some
    negative degrees, so ``n - k`` is clamped at 0 there); at a non-integer degree (scipy's
    hypergeometric continuation) the identities hold as they are."""
    integer = n == np.floor(n)
    return np.where(integer, np.maximum(n - k, 0), n - k), (n >= k) | ~integer


def _gegenbauer_rule(n, alpha, x, order):
    # d/dx C_n^(α) = 2α C_{n-1}^(α+1), d²/dx² C_n^(α) = 4α(α+1) C_{n-2}^(α+2)
    m1, ok1 = _lower(n, 1)
    f1 = np.where(ok1, 2.0 * alpha * sc.eval_gegenbauer(m1, alpha + 1.0, x), 0.0)
    if order < 2:
        return f1, None
    m2, ok2 = _lower(n, 2)
    c2 = 4.0 * alpha * (alpha + 1.0) * sc.eval_gegenbauer(m2, alpha + 2.0, x)
    return f1, np.where(ok2, c2, 0.0)


@_p(sc.eval_gegenbauer, "n, alpha, x*", ((0, 7), (0.2, 3.0), (-1.0, 1.0)), integers=(0,))
def _eval_gegenbauer(n, alpha, x, order=2):
    return (sc.eval_gegenbauer(n, alpha, x), *_gegenbauer_rule(n, alpha, x, order))


@_p(sc.eval_legendre, "n, x*", ((0, 7), (-1.0, 1.0)), integers=(0,))
def _eval_legendre(n, x, order=2):
    return (sc.eval_legendre(n, x), *_gegenbauer_rule(n, 0.5, x, order))  # P_n = C_n^(1/2)


@_p(sc.eval_chebyu, "n, x*", ((0, 7), (-1.0, 1.0)), integers=(0,))
def _eval_chebyu(n, x, order=2):
    return (sc.eval_chebyu(n, x), *_gegenbauer_rule(n, 1.0, x, order))  # U_n = C_n^(1)


@_p(sc.eval_chebyt, "n, x*", ((0, 7), (-1.0, 1.0)), integers=(0,))
def _eval_chebyt(n, x, order=2):
    # T_n' = n U_{n-1}, T_n'' = n U_{n-1}' = 2n C_{n-2}^(2)
    m1, ok1 = _lower(n, 1)
    f1 = np.where(ok1, n * sc.eval_chebyu(m1, x), 0.0)
    if order < 2:
        return sc.eval_chebyt(n, x), f1, None
    m2, ok2 = _lower(n, 2)
    return sc.eval_chebyt(n, x), f1, np.where(ok2, 2.0 * n * sc.eval_gegenbauer(m2, 2.0, x), 0.0)


@_p(sc.eval_jacobi, "n, alpha, beta, x*", ((0, 7), (0.0, 2.0), (0.0, 2.0), (-1.0, 1.0)), (0,))
def _eval_jacobi(n, alpha, beta, x, order=2):
    # d/dx P_n^(α,β) = (n + α + β + 1)/2 P_{n-1}^(α+1,β+1)
    s = n + alpha + beta + 1.0
    m1, ok1 = _lower(n, 1)
    f1 = np.where(ok1, 0.5 * s * sc.eval_jacobi(m1, alpha + 1.0, beta + 1.0, x), 0.0)
    if order < 2:
        return sc.eval_jacobi(n, alpha, beta, x), f1, None
    m2, ok2 = _lower(n, 2)
    c2 = 0.25 * s * (s + 1.0) * sc.eval_jacobi(m2, alpha + 2.0, beta + 2.0, x)
    return sc.eval_jacobi(n, alpha, beta, x), f1, np.where(ok2, c2, 0.0)


@_p(sc.eval_hermite, "n, x*", ((0, 7), (-3.0, 3.0)), integers=(0,))
def _eval_hermite(n, x, order=2):
    # H_n' = 2n H_{n-1}, H_n'' = 4n(n-1) H_{n-2}
    m1, ok1 = _lower(n, 1)
    f1 = np.where(ok1, 2.0 * n * sc.eval_hermite(m1, x), 0.0)
    if order < 2:
        return sc.eval_hermite(n, x), f1, None
    m2, ok2 = _lower(n, 2)
    f2 = np.where(ok2, 4.0 * n * (n - 1.0) * sc.eval_hermite(m2, x), 0.0)
    return sc.eval_hermite(n, x), f1, f2


@_p(sc.eval_hermitenorm, "n, x*", ((0, 7), (-3.0, 3.0)), integers=(0,))
def _eval_hermitenorm(n, x, order=2):
    m1, ok1 = _lower(n, 1)
    f1 = np.where(ok1, n * sc.eval_hermitenorm(m1, x), 0.0)
    if order < 2:
        return sc.eval_hermitenorm(n, x), f1, None
    m2, ok2 = _lower(n, 2)
    f2 = np.where(ok2, n * (n - 1.0) * sc.eval_hermitenorm(m2, x), 0.0)
    return sc.eval_hermitenorm(n, x), f1, f2


@_p(sc.eval_genlaguerre, "n, alpha, x*", ((0, 7), (0.0, 3.0), (0.0, 10.0)), integers=(0,))
def _eval_genlaguerre(n, alpha, x, order=2):
    # d/dx L_n^(α) = -L_{n-1}^(α+1), d²/dx² L_n^(α) = L_{n-2}^(α+2)
    m1, ok1 = _lower(n, 1)
    f1 = np.where(ok1, -sc.eval_genlaguerre(m1, alpha + 1.0, x), 0.0)
    if order < 2:
        return sc.eval_genlaguerre(n, alpha, x), f1, None
    m2, ok2 = _lower(n, 2)
    f2 = np.where(ok2, sc.eval_genlaguerre(m2, alpha + 2.0, x), 0.0)
    return sc.eval_genlaguerre(n, alpha, x), f1, f2


@_p(sc.eval_laguerre, "n, x*", ((0, 7), (0.0, 10.0)), integers=(0,))
def _eval_laguerre(n, x, order=2):
    f, f1, f2 = _eval_genlaguerre(n, 0.0, x, order)
    return sc.eval_laguerre(n, x), f1, f2


# ---------------------------------------------------------------- Hurwitz zeta and inverse


@_p(sc._ufuncs._zeta, "s, q*", ((1.5, 6.0), (0.2, 5.0)))
def _zeta(s, q, order=2):
    # scipy.special.zeta(s, q) calls this ufunc: d/dq zeta(s, q) = -s zeta(s + 1, q)
    f1 = -s * sc.zeta(s + 1.0, q)
    return sc.zeta(s, q), f1, (s * (s + 1.0) * sc.zeta(s + 2.0, q) if order > 1 else None)


@_p(sc.inv_boxcox, "y*, lmbda", ((0.1, 2.0), (-0.4, 1.0)))
def _inv_boxcox(y, lm, order=2):
    # (1 + λy)^(1/λ): f' = f/(1 + λy), f'' = (1 - λ) f/(1 + λy)²
    f = sc.inv_boxcox(y, lm)
    r = 1.0 / (1.0 + lm * y)
    return f, f * r, ((1.0 - lm) * f * r * r if order > 1 else None)


@_p(sc.inv_boxcox1p, "y*, lmbda", ((0.1, 2.0), (-0.4, 1.0)))
def _inv_boxcox1p(y, lm, order=2):
    g = sc.inv_boxcox(y, lm)  # inv_boxcox1p + 1, accurately
    r = 1.0 / (1.0 + lm * y)
    return sc.inv_boxcox1p(y, lm), g * r, ((1.0 - lm) * g * r * r if order > 1 else None)
