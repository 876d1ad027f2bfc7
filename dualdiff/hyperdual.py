"""Hyper-dual numbers ``a + b·ε1 + c·ε2 + d·ε1ε2``: first and second derivatives at once."""

from __future__ import annotations

import numpy as np

from . import _algebra as alg
from ._base import as_float_component, fit_component, promote
from ._protocols import ArrayNumber, binary_operator
from ._scalar_path import SCALAR_UNARY, scalar_power

_object_new = object.__new__
_chain = alg.scalar_hyper_chain
_quotient = alg.scalar_hyper_quotient


def _new(value, eps1, eps2, eps12, d1: str, d2: str, t: int) -> HyperDual:
    """A HyperDual from its parts; ``t`` is its tag, required (see :func:`dualdiff.dual._new`)."""
    x = _object_new(HyperDual)
    x.value = value
    x.eps1 = eps1
    x.eps2 = eps2
    x.eps12 = eps12
    x._d1 = d1
    x._d2 = d2
    x._f = _all_floats(value, eps1, eps2, eps12)
    x._t = t
    return x


def _all_floats(value, eps1, eps2, eps12) -> bool:
    t = float
    return type(value) is t and type(eps1) is t and type(eps2) is t and type(eps12) is t


def _no_nan(r) -> bool:
    """No nan among the derivative parts of the scalar result ``r`` (else: the engine)."""
    return r[1] == r[1] and r[2] == r[2] and r[3] == r[3]


def _floats(value: float, eps1: float, eps2: float, eps12: float, t: int) -> HyperDual:
    """A HyperDual of four Python floats and tag ``t``, for the fast paths."""
    x = _object_new(HyperDual)
    x.value = value
    x.eps1 = eps1
    x.eps2 = eps2
    x.eps12 = eps12
    x._d1 = x._d2 = ""
    x._f = True
    x._t = t
    return x


class HyperDual(ArrayNumber):
    """A hyper-dual number ``a + b·ε1 + c·ε2 + d·ε1ε2`` with ``ε1² = ε2² = 0``, ``ε1ε2 ≠ 0``.

    ``f(a + b·ε1 + c·ε2 + d·ε1ε2) = f(a) + f'(a)b·ε1 + f'(a)c·ε2 + (f'(a)d + f''(a)bc)·ε1ε2``,
    so seeding ``b = c = 1, d = 0`` gives ``f''(a)`` exactly in the ``ε1ε2`` part. The drivers
    (:func:`~dualdiff.second_derivative`, :func:`~dualdiff.value_and_derivatives`,
    :func:`~dualdiff.hessian`, :func:`~dualdiff.hvp`) build and read these numbers for you.

    Parameters
    ----------
    value, eps1, eps2, eps12 : float, complex or array_like
        Components (``eps1``, ``eps2``, ``eps12`` default to 0); complex components give a
        complex hyper-dual number, ``z + t1·b + t2·c + t1·t2·d`` for real ``t1, t2`` (see
        :class:`Dual` and the documentation's "Complex numbers"). In vector mode ``eps1`` has
        the shape of ``value`` followed by ``k1`` directions, ``eps2`` by ``k2`` and ``eps12``
        by ``(k1, k2)``; ``eps12[..., i, j]`` is then the second derivative along directions
        ``i`` and ``j``.

    Attributes
    ----------
    value : float or ndarray
        The value ``f(a)``, shape :attr:`shape`.
    eps1, eps2 : float or ndarray
        First derivative parts ``f'(a)·b`` and ``f'(a)·c``: shape ``shape``, or
        ``shape + (k1,)`` and ``shape + (k2,)`` in vector mode.
    eps12 : float or ndarray
        Second-order part ``f'(a)·d + f''(a)·b·c``: shape ``shape``, or
        ``shape + (k1, k2)`` in vector mode.

    Raises
    ------
    DerivativeLossError
        When converted to ``float``, ``int`` or a plain ndarray, which would drop the
        derivative parts.

    See Also
    --------
    Dual : first derivatives only, half the components.

    Notes
    -----
    When ``eps1`` and ``eps2`` are the same object (the same seed in both directions, as for a
    second derivative or a Hessian), every operation computes that part once and shares it.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> x = dd.HyperDual(0.5, 1.0, 1.0, 0.0)
    >>> y = np.exp(x)
    >>> bool(y.eps12 == np.exp(0.5))
    True

    Vector mode with the identity in both ``ε`` parts: ``eps12`` of a scalar function of a
    2-vector is its Hessian, shape ``(2, 2)``:

    >>> v = np.array([1.0, 2.0])
    >>> x = dd.HyperDual(v, np.eye(2), np.eye(2), np.zeros((2, 2, 2)))
    >>> y = x[0] ** 2 * x[1]
    >>> y.value, y.eps1
    (2.0, array([4., 1.]))
    >>> y.eps12
    array([[4., 2.],
           [2., 0.]])
    """

    # _f: all four parts are Python floats, so the fast paths below apply. _t: the tag (see
    # dualdiff._base).
    __slots__ = ("value", "eps1", "eps2", "eps12", "_d1", "_d2", "_f", "_t")
    _NAMES = ("value", "eps1", "eps2", "eps12")
    ORDER = 2

    def __init__(self, value, eps1=0.0, eps2=0.0, eps12=0.0):
        value = as_float_component(value, "value")
        shape = np.shape(value)
        same = eps1 is eps2
        eps1, k1 = fit_component(as_float_component(eps1, "eps1"), shape, None, "eps1")
        eps2, k2 = fit_component(as_float_component(eps2, "eps2"), shape, None, "eps2")
        if len(k1) > 1 or len(k2) > 1:
            raise ValueError("eps1 and eps2 may each have at most one direction axis")
        eps12, _ = fit_component(as_float_component(eps12, "eps12"), shape, k1 + k2, "eps12")
        self.value = promote(value, (eps1, eps2, eps12))
        self.eps1 = eps1
        self.eps2 = eps1 if (same and k1 == k2) else eps2
        self.eps12 = eps12
        self._d1 = "y" if k1 else ""
        self._d2 = "z" if k2 else ""
        self._f = _all_floats(self.value, self.eps1, self.eps2, self.eps12)
        self._t = 0

    def _parts(self):
        return (self.value, self.eps1, self.eps2, self.eps12)

    def _labels(self):
        return ("", self._d1, self._d2, self._d1 + self._d2)

    def _from(self, parts):
        return _new(*parts, self._d1, self._d2, self._t)

    # -- Python-float fast paths (scalar forms of the algebra; everything else -> numpy).
    # Objects are built inline where a helper call would cost a third of the operation.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if self._f and len(inputs) == 1 and not kwargs and method == "__call__":
            rule = SCALAR_UNARY.get(ufunc)
            if rule is not None:
                try:
                    f0, f1, f2 = rule(self.value)
                except (ArithmeticError, ValueError):
                    pass
                else:
                    r = _chain(f0, f1, f2, self.eps1, self.eps2, self.eps12)
                    if _no_nan(r):  # else the engine decides (structural zeros)
                        x = _object_new(HyperDual)
                        x.value, x.eps1, x.eps2, x.eps12 = r
                        x._d1 = x._d2 = ""
                        x._f = True
                        x._t = self._t
                        return x
        return ArrayNumber.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)

    def __add__(self, other):
        if self._f:
            t = type(other)
            if t is HyperDual:
                if other._f and other._t is self._t:
                    return _floats(
                        self.value + other.value, self.eps1 + other.eps1,
                        self.eps2 + other.eps2, self.eps12 + other.eps12, self._t,
                    )  # fmt: skip
            elif t is float or t is int:
                return _floats(self.value + other, self.eps1, self.eps2, self.eps12, self._t)
        return binary_operator(np.add, self, other)

    def __radd__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            return _floats(other + self.value, self.eps1, self.eps2, self.eps12, self._t)
        return np.add(other, self)

    def __sub__(self, other):
        if self._f:
            t = type(other)
            if t is HyperDual:
                if other._f and other._t is self._t:
                    return _floats(
                        self.value - other.value, self.eps1 - other.eps1,
                        self.eps2 - other.eps2, self.eps12 - other.eps12, self._t,
                    )  # fmt: skip
            elif t is float or t is int:
                return _floats(self.value - other, self.eps1, self.eps2, self.eps12, self._t)
        return binary_operator(np.subtract, self, other)

    def __rsub__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            return _floats(other - self.value, -self.eps1, -self.eps2, -self.eps12, self._t)
        return np.subtract(other, self)

    def __mul__(self, other):
        if self._f:
            t = type(other)
            if t is HyperDual:
                if other._f and other._t is self._t:
                    # the product rule written inline: the listed exception in _algebra
                    a1 = self.value
                    b1 = self.eps1
                    c1 = self.eps2
                    a2 = other.value
                    b2 = other.eps1
                    c2 = other.eps2
                    d1 = self.eps12
                    d2 = other.eps12
                    e1 = a1 * b2 + b1 * a2
                    e2 = a1 * c2 + c1 * a2
                    e12 = (a1 * d2 + d1 * a2) + (b1 * c2 + c1 * b2)  # commutes bitwise
                    if e1 == e1 and e2 == e2 and e12 == e12:
                        x = _object_new(HyperDual)
                        x.value = a1 * a2
                        x.eps1 = e1
                        x.eps2 = e2
                        x.eps12 = e12
                        x._d1 = ""
                        x._d2 = ""
                        x._f = True
                        x._t = self._t
                        return x
            elif t is float or t is int:
                r = (self.value * other, self.eps1 * other, self.eps2 * other, self.eps12 * other)
                if _no_nan(r):  # else inf·0: the engine decides (NaN-safe zeros)
                    return _floats(*r, self._t)
        return binary_operator(np.multiply, self, other)

    def __rmul__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            r = (other * self.value, other * self.eps1, other * self.eps2, other * self.eps12)
            if _no_nan(r):
                return _floats(*r, self._t)
        return np.multiply(other, self)

    # Division by zero raises in Python; the engine divides by np.float64 (IEEE inf/nan).
    def __truediv__(self, other):
        if self._f:
            t = type(other)
            if t is HyperDual:
                if other._f and other._t is self._t and other.value:
                    r = _quotient(
                        self.value, self.eps1, self.eps2, self.eps12,
                        other.value, other.eps1, other.eps2, other.eps12,
                    )  # fmt: skip
                    if _no_nan(r):
                        return _floats(*r, self._t)
            elif (t is float or t is int) and other:
                r = (self.value / other, self.eps1 / other, self.eps2 / other, self.eps12 / other)
                if _no_nan(r):  # else 0/nan: the engine decides (NaN-safe zeros)
                    return _floats(*r, self._t)
        return binary_operator(np.divide, self, other)

    def __rtruediv__(self, other):
        return np.divide(other, self)

    def __pow__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            r = scalar_power(self.value, other)
            if r is not None:
                r = _chain(*r, self.eps1, self.eps2, self.eps12)
                if _no_nan(r):
                    return _floats(*r, self._t)
        return np.power(self, other)

    def __neg__(self):
        return self._map(lambda p, nt: -p)

    def __pos__(self):
        return self
