"""Which scipy functions have a dual-aware equivalent in :mod:`dualdiff.scipy` (names only).

A leaf module (strings, no imports) so that the error raised when a library converts a dual
number with ``np.asarray`` (:mod:`dualdiff._errors`) can name the equivalent without importing
scipy. ``tests/test_scipy_equivalents.py`` checks that every entry exists and that every public
function of :mod:`dualdiff.scipy` is listed.
"""

from __future__ import annotations

SPECIAL_FUNCTIONS = ("logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln")
"""scipy.special functions (not ufuncs) that convert with ``np.asarray``, re-written."""

STATS_METHODS = {
    "norm": ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"),
    "t": ("pdf", "logpdf", "cdf", "sf"),
    "gamma": ("pdf", "logpdf", "cdf", "sf", "ppf", "isf"),
    "beta": ("pdf", "logpdf", "cdf", "sf", "ppf"),
    "expon": ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"),
}
"""scipy.stats distributions and the methods :mod:`dualdiff.scipy.stats` provides."""

EQUIVALENTS: dict[str, str] = {
    **{f"scipy.special.{n}": f"dualdiff.scipy.special.{n}" for n in SPECIAL_FUNCTIONS},
    **{
        f"scipy.stats.{d}.{m}": f"dualdiff.scipy.stats.{d}.{m}"
        for d, methods in STATS_METHODS.items()
        for m in methods
    },
}
"""``scipy name -> dualdiff name`` for every dual-aware equivalent."""
