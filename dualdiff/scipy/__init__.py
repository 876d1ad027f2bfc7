"""Dual-aware equivalents of scipy functions that convert their inputs with ``np.asarray``.

scipy.special's *ufuncs* (``erf``, ``gammaln``, ``jv``, ``betainc``, ...) work on dual numbers
directly, through their rules. Its other functions, and scipy.stats, first convert their
inputs with ``np.asarray``, which would drop the derivative: dualdiff refuses that
conversion (:class:`~dualdiff.DerivativeLossError`, naming the function and pointing here).
This package re-writes the ones numpy models use most with dual operations, under the same
names and layout as scipy, so that switching is one import::

    from scipy.special import logsumexp        ->  from dualdiff.scipy.special import logsumexp
    from scipy.stats import norm               ->  from dualdiff.scipy.stats import norm

Each function returns exactly scipy's result for plain inputs (it calls scipy), and for
dual inputs the same formulas as scipy's on dual numbers, so the value part agrees with
scipy's to rounding and the derivatives are exact. A package (``special``, ``stats``)
rather than one module, because it mirrors scipy's own namespaces: the equivalent of
``scipy.X.f`` is ``dualdiff.scipy.X.f``. Importing it imports scipy (``import dualdiff``
does not).
"""

from __future__ import annotations

from . import special, stats

__all__ = ["special", "stats"]
