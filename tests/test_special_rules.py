"""Every scipy.special rule against mpmath at 50 significant digits.

Same checks as ``test_rules`` (table function, scalar and array paths of both types), run over
``SPECIAL_UNARY_RULES`` and ``SPECIAL_BINARY_RULES``. A rule with no entry in ``MP_SPECIAL``
fails ``test_special_rule_has_reference``. The tolerance is ``SPECIAL_ULPS`` (condition-number
aware): a rule can only be as accurate as the scipy functions it is built from.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpmath import mp
from strategies import SPECIAL_ULPS
from test_rules import BINARY_CHECKS, CHECK_IDS, UNARY_CHECKS

sc = pytest.importorskip("scipy.special")

try:
    from dualdiff._rules_special import SPECIAL_BINARY_RULES, SPECIAL_UNARY_RULES
except ImportError as exc:  # the table is missing: every test below must fail, not skip
    SPECIAL_UNARY_RULES = SPECIAL_BINARY_RULES = None
    IMPORT_ERROR = exc
else:
    IMPORT_ERROR = None

N_SPECIAL = 12
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
    # gamma family
    sc.gamma: mp.gamma,
    sc.gammaln: lambda x: mp.log(abs(mp.gamma(x))),
    sc.loggamma: mp.loggamma,
    sc.rgamma: mp.rgamma,
    sc.digamma: mp.digamma,
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
}


def _tables():
    if IMPORT_ERROR is not None:
        pytest.fail(f"dualdiff._rules_special cannot be imported: {IMPORT_ERROR!r}")
    return SPECIAL_UNARY_RULES, SPECIAL_BINARY_RULES


def _reference(ufunc):
    if ufunc not in MP_SPECIAL:
        pytest.fail(f"no mpmath reference for the rule of {ufunc.__name__}: add one to the test")
    return MP_SPECIAL[ufunc]


_U = list(SPECIAL_UNARY_RULES or {})
_B = list(SPECIAL_BINARY_RULES or {})


def test_special_tables_exist():
    unary, binary = _tables()
    assert len(unary) + len(binary) > 0, "no scipy.special rules"
    for table in (unary, binary):
        for ufunc, rule in table.items():
            assert rule.ufunc is ufunc and isinstance(ufunc, np.ufunc)


@pytest.mark.parametrize("ufunc", _U + _B, ids=[u.__name__ for u in _U + _B])
def test_special_rule_has_reference(ufunc):
    _reference(ufunc)


@pytest.mark.parametrize("check", UNARY_CHECKS, ids=CHECK_IDS.get)
@pytest.mark.parametrize("ufunc", _U, ids=[u.__name__ for u in _U])
def test_special_unary_rule(ufunc, check):
    unary, _ = _tables()
    check(unary[ufunc], _reference(ufunc), SPECIAL_ULPS, N_SPECIAL)


@pytest.mark.parametrize("check", BINARY_CHECKS, ids=CHECK_IDS.get)
@pytest.mark.parametrize("ufunc", _B, ids=[u.__name__ for u in _B])
def test_special_binary_rule(ufunc, check):
    _, binary = _tables()
    check(binary[ufunc], _reference(ufunc), SPECIAL_ULPS, N_SPECIAL)
