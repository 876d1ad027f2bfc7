"""Dual-aware equivalents of the scipy.special functions that are not ufuncs.

``logsumexp``, ``softmax``, ``log_softmax``, ``polygamma`` and ``multigammaln``, with scipy's
signatures. Plain inputs go to scipy itself (the same result, bit for bit); dual inputs run
scipy's own algorithm on dual numbers. Shifts by a maximum use the *value* of the maximum as
a constant: ``logsumexp(a) = c + log(sum(exp(a - c)))`` holds for every constant ``c``, so the
derivative is exact (also where several elements tie for the maximum).

scipy.special's ufuncs are reachable here too (``dualdiff.scipy.special.erf`` is
``scipy.special.erf``, which works on dual numbers through its rule), so this module can
replace ``scipy.special`` in an import.
"""

from __future__ import annotations

import numpy as np
import scipy.special as _sc

from .._errors import UnsupportedFunctionError
from ._common import as_array, has_dual, value

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln"]


def _axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` without overflow: :func:`scipy.special.logsumexp` on duals.

    The largest element is factored out as scipy does (``log1p`` of the rest over the sum of
    the maximal terms); its value is a constant shift, so the derivative is exact:
    ``d logsumexp = sum(w * (da + db / b))`` with the softmax weights ``w = b exp(a - out)``.

    Parameters
    ----------
    a : array_like or Dual or HyperDual
        Exponents.
    axis : None or int or tuple of int, optional
        Axes summed over (all by default).
    b : array_like or Dual or HyperDual, optional
        Weights, broadcast against ``a``; may be negative (then see ``return_sign``).
    keepdims : bool, optional
        Keep the summed axes with length one.
    return_sign : bool, optional
        Also return the sign of the sum; otherwise a negative sum gives nan.

    Returns
    -------
    res : float, ndarray, Dual or HyperDual
        Shape of ``a`` (broadcast with ``b``) without the summed axes (kept with length one
        when ``keepdims``); a dual number when ``a`` or ``b`` is one.
    sgn : float or ndarray
        The sign (``-1``, ``0`` or ``1``), only when ``return_sign``; plain (it has no
        derivative).

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> from dualdiff.scipy.special import logsumexp
    >>> g = dd.gradient(lambda x: logsumexp(x), np.array([1.0, 2.0, 3.0]))
    >>> bool(np.allclose(g, np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()))
    True
    """
    if not has_dual(a, b):
        return _sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    a = as_array(a)
    if b is not None:
        b = as_array(b)
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    if np.ndim(a) == 0:
        a = np.reshape(a, (1,))
        b = None if b is None else np.reshape(b, (1,))
    axes = _axes(axis, np.ndim(a))
    if np.size(value(a)) == 0:
        raise ValueError("dualdiff.scipy.special.logsumexp of an empty dual array")
    with np.errstate(all="ignore"):
        # the direct sum, which scipy uses where the shifted form is not finite
        direct = np.sum(np.exp(a) if b is None else b * np.exp(a), axis=axes, keepdims=True)
        sgn_inf = np.sign(value(direct)) if return_sign else None
        out_inf = np.log(abs(direct) if return_sign else direct)
        if b is not None:
            a = np.where(value(b) == 0, -np.inf, a)
        av = value(a)
        a_max = np.max(av, axis=axes, keepdims=True)  # a constant shift: exact derivative
        top = av == a_max
        m = np.exp(np.where(top, a, -np.inf) - a_max)  # 1 (its value) at the maxima
        rest = np.exp(np.where(top, -np.inf, a) - a_max)
        if b is not None:
            m, rest = b * m, b * rest
        m = np.sum(m, axis=axes, keepdims=True)
        s = np.sum(rest, axis=axes, keepdims=True)
        s = np.where(value(s) == 0, s, s / m)
        sgn = np.sign(value(s) + 1) * np.sign(value(m))
        s = np.where(value(s) < -1, -s - 2, s)
        out = np.log1p(s) + np.log(abs(m)) + a_max
        if not return_sign:
            out = np.where(sgn < 0, np.nan, out)
        finite = np.isfinite(value(out))
        out = np.where(finite, out, out_inf)
        if return_sign:
            sgn = np.where(finite, sgn, sgn_inf)
    if not keepdims:
        out = np.squeeze(out, axis=axes)
        sgn = np.squeeze(sgn, axis=axes)
    if return_sign:
        return out, (sgn[()] if np.ndim(sgn) == 0 else sgn)
    return out


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` along ``axis``: :func:`scipy.special.softmax` on duals.

    Shifted by the value of the maximum (a constant: the result is shift-invariant, so the
    derivative ``ds_i = s_i (dx_i - sum_j s_j dx_j)`` is exact).

    Parameters
    ----------
    x : array_like or Dual or HyperDual
    axis : None or int or tuple of int, optional
        Axes normalised over (all by default).

    Returns
    -------
    ndarray, Dual or HyperDual
        The shape of ``x``; sums to one along ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> from dualdiff.scipy.special import softmax
    >>> s = softmax(dd.Dual(np.array([0.0, np.log(3.0)]), np.array([1.0, 0.0])))
    >>> bool(np.allclose(s.value, [0.25, 0.75]) and np.allclose(s.dual, [0.1875, -0.1875]))
    True
    """
    if not has_dual(x):
        return _sc.softmax(x, axis=axis)
    x = as_array(x)
    x_max = np.max(value(x), axis=axis, keepdims=True)
    e = np.exp(x - x_max)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` along ``axis``: :func:`scipy.special.log_softmax` on duals.

    Parameters
    ----------
    x : array_like or Dual or HyperDual
    axis : None or int or tuple of int, optional

    Returns
    -------
    ndarray, Dual or HyperDual
        The shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> from dualdiff.scipy.special import log_softmax
    >>> y = log_softmax(dd.Dual(np.array([1000.0, 1.0]), np.array([1.0, 0.0])))
    >>> y.value
    array([   0., -999.])
    """
    if not has_dual(x):
        return _sc.log_softmax(x, axis=axis)
    x = as_array(x)
    x_max = np.max(value(x), axis=axis, keepdims=True)
    x_max = np.where(np.isfinite(x_max), x_max, 0.0)
    tmp = x - x_max
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(tmp), axis=axis, keepdims=True))
    return tmp - out


def polygamma(n, x):
    """The ``n``-th derivative of the digamma function, :func:`scipy.special.polygamma`.

    ``psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)`` for ``n >= 1`` (scipy's formula), whose
    derivative in ``x`` comes from the rule of the Hurwitz zeta function.

    Parameters
    ----------
    n : int or array_like of int
        The order (plain: there is no derivative in ``n``).
    x : array_like or Dual or HyperDual

    Returns
    -------
    ndarray, Dual or HyperDual
        ``n`` and ``x`` broadcast together.

    Examples
    --------
    >>> import scipy.special as sc
    >>> import dualdiff as dd
    >>> from dualdiff.scipy.special import polygamma
    >>> bool(abs(dd.derivative(lambda x: polygamma(1, x), 2.5) - sc.polygamma(2, 2.5)) < 1e-14)
    True
    """
    if has_dual(n):
        raise UnsupportedFunctionError(
            "dualdiff.scipy.special.polygamma(n, x) has no derivative in its integer order n: "
            "pass n as a plain integer"
        )
    if not has_dual(x):
        return _sc.polygamma(n, x)
    n = np.asarray(n)
    x = as_array(x)
    fac2 = (-1.0) ** (n + 1) * _sc.gamma(n + 1.0) * _sc.zeta(n + 1, x)
    return np.where(n == 0, _sc.psi(x), fac2)


def multigammaln(a, d):
    """The log of the multivariate gamma function, :func:`scipy.special.multigammaln`.

    ``log Gamma_d(a) = d (d - 1)/4 log(pi) + sum_{j=1}^{d} gammaln(a - (j - 1)/2)``.

    Parameters
    ----------
    a : array_like or Dual or HyperDual
        Requires ``a > (d - 1)/2`` (ValueError otherwise, as scipy).
    d : int
        The dimension.

    Returns
    -------
    ndarray, Dual or HyperDual
        The shape of ``a``.

    Examples
    --------
    >>> import scipy.special as sc
    >>> import dualdiff as dd
    >>> from dualdiff.scipy.special import multigammaln
    >>> r = multigammaln(dd.Dual(23.5, 1.0), 10)
    >>> bool(abs(r.value - sc.multigammaln(23.5, 10)) < 1e-12)
    True
    """
    if not has_dual(a):
        return _sc.multigammaln(a, d)
    a = as_array(a)
    d = np.asarray(d)[()]
    if not np.isscalar(d) or (np.floor(d) != d):
        raise ValueError("d should be a positive integer (dimension)")
    if np.any(value(a) <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({value(a)}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    res = (d * (d - 1) * 0.25) * np.log(np.pi)
    return res + np.sum(np.stack([_sc.gammaln(a - (j - 1.0) / 2) for j in range(1, d + 1)]), axis=0)


def __getattr__(name: str):
    """scipy.special's ufuncs (the same objects: they work on dual numbers by their rules)."""
    obj = getattr(_sc, name, None)
    if isinstance(obj, np.ufunc):
        return obj
    raise AttributeError(
        f"dualdiff.scipy.special has no {name!r}"
        + (
            f": scipy.special.{name} is not a ufunc and has no dual-aware equivalent here yet"
            if obj is not None
            else ""
        )
    )
