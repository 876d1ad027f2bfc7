"""The calculus table for scipy.special ufuncs, loaded only once scipy.special is imported.

Same conventions as :mod:`dualdiff._rules`: ``fn(x) -> (f0, f1, f2)`` and
``fn(x, y) -> (f, fx, fy, fxx, fxy, fyy)``. Ratios such as ``log_ndtr'`` are formed in log
space so they stay finite far in the tails.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from ._rules import binary, unary

SPECIAL_UNARY_RULES: dict = {}
SPECIAL_BINARY_RULES: dict = {}

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
