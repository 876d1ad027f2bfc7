"""Dual-aware equivalents of scipy.stats distributions: ``norm``, ``t``, ``gamma``, ``beta``,
``expon``.

``norm.logpdf(x, loc=0, scale=1)`` and friends, called as scipy's (shape parameters
positional after ``x``, then ``loc`` and ``scale``). Plain inputs go to scipy.stats itself
(its result, bit for bit); with a dual number among ``x``, the shape parameters, ``loc`` or
``scale``, scipy's formulas run on dual numbers with the standardised ``z = (x - loc)/scale``:
``pdf = f(z)/scale``, ``cdf = F(z)``, ``ppf = F^-1(q) scale + loc``. Outside the support the
constants scipy gives (``pdf 0``, ``logpdf -inf``, ``cdf 0 or 1``), and nan for invalid
parameters (``scale <= 0``, a shape outside its range).

Derivatives in every argument are exact where a closed form exists: ``logpdf`` and ``pdf`` in
all of them (through ``gammaln``, ``betaln``, ...). ``cdf``/``sf``/``ppf`` of ``t``, ``gamma``
and ``beta`` have no closed form in their *shape* parameters; a dual shape parameter there
raises :class:`~dualdiff.UnsupportedFunctionError` naming the scipy.special function and the
parameter (their derivatives in ``x``, ``loc`` and ``scale`` are exact).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc
import scipy.stats as _stats

from .._equivalents import STATS_METHODS
from .._errors import UnsupportedFunctionError
from ._common import as_array, has_dual, value

__all__ = ["norm", "t", "gamma", "beta", "expon"]

_NORM_C = math.sqrt(2.0 * math.pi)
_NORM_LOGC = math.log(_NORM_C)


class Distribution:
    """One distribution: the standardised formulas of a subclass, loc/scale as scipy applies
    them, and delegation to scipy.stats for plain inputs."""

    name = ""
    shapes: tuple = ()
    support = (-np.inf, np.inf)

    def _valid(self, *shapes):
        return True

    def _scipy(self):
        return getattr(_stats, self.name)

    def _run(self, method, x, args, loc, scale, kind):
        if len(args) != len(self.shapes):
            raise TypeError(
                f"dualdiff.scipy.stats.{self.name}.{method} takes the shape parameter(s) "
                f"{self.shapes or 'none'} after x, got {len(args)}"
            )
        if not has_dual(x, *args, loc, scale):
            return getattr(self._scipy(), method)(x, *args, loc=loc, scale=scale)
        x, loc, scale = as_array(x), as_array(loc), as_array(scale)
        args = tuple(as_array(a) for a in args)
        impl = getattr(self, "_" + method, None)
        if impl is None:
            raise UnsupportedFunctionError(f"dualdiff.scipy.stats.{self.name}.{method}")
        with np.errstate(all="ignore"):
            ok = (value(scale) > 0) & self._valid(*(value(a) for a in args))
            if kind == "quantile":
                q = x
                qv = value(q)
                lo, hi = self.support
                inner = (qv > 0) & (qv < 1)
                z = impl(np.where(inner, q, 0.5), *args)
                res = np.where(inner, z, np.where(qv == 0, lo, np.where(qv == 1, hi, np.nan)))
                if method == "isf":
                    res = np.where(inner, z, np.where(qv == 0, hi, np.where(qv == 1, lo, np.nan)))
                res = res * scale + loc
                return np.where(ok, res, np.nan)
            z = (x - loc) / scale
            zv = value(z)
            lo, hi = self.support
            below, above = zv < lo, zv > hi
            inside = ~(below | above)
            res = impl(np.where(inside, z, 0.5 * (max(lo, -1.0) + min(hi, 1.0))), *args)
            if kind == "density":
                res = res / scale if method == "pdf" else res - np.log(scale)
            outside = _OUTSIDE[method]
            res = np.where(below, outside[0], np.where(above, outside[1], res))
            return np.where(ok & ~np.isnan(zv), res, np.nan)

    def pdf(self, x, *args, loc=0.0, scale=1.0):
        """Probability density at ``x``: ``f(z)/scale``, ``z = (x - loc)/scale``."""
        return self._run("pdf", x, args, loc, scale, "density")

    def logpdf(self, x, *args, loc=0.0, scale=1.0):
        """Log of the density: ``log f(z) - log(scale)``."""
        return self._run("logpdf", x, args, loc, scale, "density")

    def cdf(self, x, *args, loc=0.0, scale=1.0):
        """Cumulative distribution function ``F(z)``."""
        return self._run("cdf", x, args, loc, scale, "probability")

    def logcdf(self, x, *args, loc=0.0, scale=1.0):
        """``log F(z)``, accurate in the lower tail."""
        return self._run("logcdf", x, args, loc, scale, "probability")

    def sf(self, x, *args, loc=0.0, scale=1.0):
        """Survival function ``1 - F(z)``, without cancelling."""
        return self._run("sf", x, args, loc, scale, "probability")

    def logsf(self, x, *args, loc=0.0, scale=1.0):
        """``log(1 - F(z))``, accurate in the upper tail."""
        return self._run("logsf", x, args, loc, scale, "probability")

    def ppf(self, q, *args, loc=0.0, scale=1.0):
        """Quantile ``F^-1(q) scale + loc``."""
        return self._run("ppf", q, args, loc, scale, "quantile")

    def isf(self, q, *args, loc=0.0, scale=1.0):
        """Inverse survival function ``F^-1(1 - q) scale + loc``."""
        return self._run("isf", q, args, loc, scale, "quantile")

    def __repr__(self) -> str:
        return f"<dualdiff.scipy.stats.{self.name}: dual-aware {sorted(STATS_METHODS[self.name])}>"


_OUTSIDE = {
    "pdf": (0.0, 0.0),
    "logpdf": (-np.inf, -np.inf),
    "cdf": (0.0, 1.0),
    "logcdf": (-np.inf, 0.0),
    "sf": (1.0, 0.0),
    "logsf": (0.0, -np.inf),
}
"""Below and above the support."""


class norm_gen(Distribution):
    """The normal distribution (scipy.stats.norm's formulas)."""

    name = "norm"

    def _pdf(self, z):
        return np.exp(-(z**2) / 2.0) / _NORM_C

    def _logpdf(self, z):
        return -(z**2) / 2.0 - _NORM_LOGC

    def _cdf(self, z):
        return sc.ndtr(z)

    def _logcdf(self, z):
        return sc.log_ndtr(z)

    def _sf(self, z):
        return sc.ndtr(-z)

    def _logsf(self, z):
        return sc.log_ndtr(-z)

    def _ppf(self, q):
        return sc.ndtri(q)

    def _isf(self, q):
        return -sc.ndtri(q)


class t_gen(Distribution):
    """Student's t with ``df`` degrees of freedom."""

    name = "t"
    shapes = ("df",)

    def _valid(self, df):
        return df > 0

    def _logpdf(self, z, df):
        h = (df + 1.0) / 2.0
        lc = sc.gammaln(h) - sc.gammaln(df / 2.0) - 0.5 * np.log(df * np.pi)
        return lc - h * np.log1p(z * z / df)

    def _pdf(self, z, df):
        return np.exp(self._logpdf(z, df))

    def _cdf(self, z, df):
        return sc.stdtr(df, z)

    def _sf(self, z, df):
        return sc.stdtr(df, -z)


class gamma_gen(Distribution):
    """The gamma distribution with shape ``a``."""

    name = "gamma"
    shapes = ("a",)
    support = (0.0, np.inf)

    def _valid(self, a):
        return a > 0

    def _logpdf(self, z, a):
        return sc.xlogy(a - 1.0, z) - z - sc.gammaln(a)

    def _pdf(self, z, a):
        return np.exp(self._logpdf(z, a))

    def _cdf(self, z, a):
        return sc.gammainc(a, z)

    def _sf(self, z, a):
        return sc.gammaincc(a, z)

    def _ppf(self, q, a):
        return sc.gammaincinv(a, q)

    def _isf(self, q, a):
        return sc.gammainccinv(a, q)


class beta_gen(Distribution):
    """The beta distribution with shapes ``a``, ``b``."""

    name = "beta"
    shapes = ("a", "b")
    support = (0.0, 1.0)

    def _valid(self, a, b):
        return (a > 0) & (b > 0)

    def _logpdf(self, z, a, b):
        return sc.xlog1py(b - 1.0, -z) + sc.xlogy(a - 1.0, z) - sc.betaln(a, b)

    def _pdf(self, z, a, b):
        return np.exp(self._logpdf(z, a, b))

    def _cdf(self, z, a, b):
        return sc.betainc(a, b, z)

    def _sf(self, z, a, b):
        return sc.betaincc(a, b, z)

    def _ppf(self, q, a, b):
        return sc.betaincinv(a, b, q)


class expon_gen(Distribution):
    """The exponential distribution."""

    name = "expon"
    support = (0.0, np.inf)

    def _pdf(self, z):
        return np.exp(-z)

    def _logpdf(self, z):
        return -z

    def _cdf(self, z):
        return -sc.expm1(-z)

    def _logcdf(self, z):
        return np.log(-sc.expm1(-z))

    def _sf(self, z):
        return np.exp(-z)

    def _logsf(self, z):
        return -z

    def _ppf(self, q):
        return -sc.log1p(-q)

    def _isf(self, q):
        return -np.log(q)


norm = norm_gen()
t = t_gen()
gamma = gamma_gen()
beta = beta_gen()
expon = expon_gen()


def __getattr__(name: str):
    raise AttributeError(
        f"dualdiff.scipy.stats has no {name!r}: dual-aware distributions are "
        f"{', '.join(__all__)}; write others' logpdf with numpy and scipy.special ufuncs"
    )
