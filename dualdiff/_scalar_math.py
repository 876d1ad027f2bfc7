"""numpy's function names over the :mod:`math` module, for rules evaluated on Python floats.

:func:`dualdiff._rules.scalar_version` runs each rule with ``np`` bound to this module. math
raises where numpy returns ``inf`` or ``nan`` (``math.log(0.0)``, ``1.0 / 0.0``); the scalar
path catches those exceptions and re-evaluates the rule with numpy, so IEEE results are kept
and the common case stays fast.
"""

from __future__ import annotations

import math

import numpy as _np

sin = math.sin
cos = math.cos
tan = math.tan
arcsin = math.asin
arccos = math.acos
arctan = math.atan
arctan2 = math.atan2
hypot = math.hypot
sinh = math.sinh
cosh = math.cosh
tanh = math.tanh
arcsinh = math.asinh
arccosh = math.acosh
arctanh = math.atanh
exp = math.exp
expm1 = math.expm1
log = math.log
log2 = math.log2
log10 = math.log10
log1p = math.log1p
sqrt = math.sqrt


with _np.errstate(invalid="ignore"):
    _SQRT_FOR_HALF = bool(_np.isnan(_np.power(-_np.inf, 0.5)))
"""numpy computes ``x**0.5`` as ``sqrt(x)`` (``nan`` at ``-inf``, where C's pow gives ``inf``);
the kernels follow the numpy in use the same way (``_kernels.numba_support.power_scalar``)."""


def power(x: float, y: float) -> float:
    if y == 0.5 and _SQRT_FOR_HALF:
        return math.sqrt(x)  # raises below 0: the numpy rule then gives nan, as numpy does
    return math.pow(x, y)


float_power = math.pow  # np.float_power(-inf, 0.5) is inf, as C's pow
absolute = abs
fabs = math.fabs
fmod = math.fmod
copysign = math.copysign
isnan = math.isnan
isinf = math.isinf
deg2rad = math.radians
rad2deg = math.degrees
exp2 = getattr(math, "exp2", lambda x: 2.0**x)
cbrt = getattr(math, "cbrt", lambda x: math.copysign(abs(x) ** (1.0 / 3.0), x))


def sign(x: float) -> float:
    if x != x:
        return x
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def signbit(x: float) -> bool:
    return math.copysign(1.0, x) < 0.0


def where(cond, a, b):
    return a if cond else b


def rint(x: float) -> float:
    return float(round(x))


def remainder(x: float, y: float) -> float:
    return x % y


def square(x: float) -> float:
    return x * x


def logaddexp(x: float, y: float) -> float:
    return float(_np.logaddexp(x, y))


def logaddexp2(x: float, y: float) -> float:
    return float(_np.logaddexp2(x, y))


def maximum(x: float, y: float) -> float:
    return x if (x >= y or x != x) else y


def minimum(x: float, y: float) -> float:
    return x if (x <= y or x != x) else y


def fmax(x: float, y: float) -> float:
    return float(_np.fmax(x, y))


def fmin(x: float, y: float) -> float:
    return float(_np.fmin(x, y))
