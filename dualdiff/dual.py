"""Dual numbers ``a + b·ε`` with ``ε² = 0``: first derivatives in one evaluation."""

from __future__ import annotations

import numpy as np

from . import _algebra as alg
from ._base import as_float_component, fit_component, promote
from ._protocols import ArrayNumber, binary_operator
from ._scalar_path import SCALAR_UNARY, scalar_power

_object_new = object.__new__
_quotient = alg.scalar_dual_quotient


def _new(value, dual, d: str, t: int) -> Dual:
    """A Dual from its parts; ``t`` is its tag, required: a number built without the tag of
    the operands it comes from would be a constant of them (see :mod:`dualdiff._base`)."""
    x = _object_new(Dual)
    x.value = value
    x.dual = dual
    x._d = d
    x._f = type(value) is float and type(dual) is float
    x._t = t
    return x


def _floats(value: float, dual: float, t: int) -> Dual:
    """A Dual of two Python floats and tag ``t``, built inline-cheap for the fast paths."""
    x = _object_new(Dual)
    x.value = value
    x.dual = dual
    x._d = ""
    x._f = True
    x._t = t
    return x


class Dual(ArrayNumber):
    """A dual number ``a + b·ε`` (``ε² = 0``), so that ``f(a + b·ε) = f(a) + f'(a)·b·ε``.

    Evaluating numpy code on ``Dual(x, v)`` gives ``f(x)`` in :attr:`value` and the directional
    derivative ``f'(x)·v`` in :attr:`dual`, exactly (no step size). The drivers
    (:func:`~dualdiff.derivative`, :func:`~dualdiff.gradient`, :func:`~dualdiff.jacobian`,
    :func:`~dualdiff.jvp`) build and read these numbers for you; use the class directly to
    seed your own directions.

    Parameters
    ----------
    value : float, complex or array_like
        The value ``a``.
    dual : float, complex or array_like, default 0.0
        The derivative part ``b``: the shape of ``value`` (one direction), or that shape
        followed by one axis of ``k`` directions (vector mode: ``k`` directional derivatives
        ride on one evaluation). A scalar or a shape that broadcasts to ``value``'s is
        broadcast. Complex components give a complex dual number (see Notes).

    Attributes
    ----------
    value : float or ndarray
        The value, shape :attr:`shape`. (``.real`` and ``.imag`` keep numpy's meaning: on
        real data ``x.real`` is ``x`` itself, derivative included, and ``x.imag`` is zero.)
    dual : float or ndarray
        The derivative part, shape ``shape`` or ``shape + (k,)`` in vector mode.

    Raises
    ------
    DerivativeLossError
        When converted to ``float``, ``int`` or a plain ndarray, which would drop ``dual``.

    See Also
    --------
    HyperDual : first and second derivatives at once.

    Notes
    -----
    Complex numbers: ``Dual(z, v)`` with complex ``z`` (or ``v``) is ``z + t·v`` for a *real*
    infinitesimal ``t``, so ``f(Dual(z, v)).dual`` is ``d/dt f(z + t·v)`` at ``t = 0``: the
    directional derivative along ``v`` of ``f`` seen as a map of the real and imaginary parts
    (what JAX's ``jvp`` gives). For holomorphic ``f`` it is ``f'(z)·v``; for ``np.abs`` it is
    ``Re(conj(z)·v)/|z|``. Any complex component makes the value complex.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> x = dd.Dual(0.5, 1.0)
    >>> y = np.sin(x) * x
    >>> bool(y.dual == np.cos(0.5) * 0.5 + np.sin(0.5))
    True

    Vector mode: three directions (the identity) on a 3-vector give the Jacobian of an
    elementwise function, shape ``(3, 3)``, from one evaluation:

    >>> x = dd.Dual(np.array([0.0, 1.0, 2.0]), np.eye(3))
    >>> y = x**2
    >>> y.value, y.n_directions
    (array([0., 1., 4.]), 3)
    >>> y.dual
    array([[0., 0., 0.],
           [0., 2., 0.],
           [0., 0., 4.]])
    """

    # _f: both parts are Python floats, so the fast paths below apply. _t: the tag (0 for
    # numbers made here; a driver's own level for the numbers it seeds, see dualdiff._base).
    __slots__ = ("value", "dual", "_d", "_f", "_t")
    _NAMES = ("value", "dual")
    ORDER = 1

    def __init__(self, value, dual=0.0):
        value = as_float_component(value, "value")
        dual, dirs = fit_component(as_float_component(dual, "dual"), np.shape(value), None, "dual")
        if len(dirs) > 1:
            raise ValueError(f"dual may have at most one direction axis, got shape {dirs}")
        value = promote(value, (dual,))
        self.value = value
        self.dual = dual
        self._d = "y" if dirs else ""
        self._f = type(value) is float and type(dual) is float
        self._t = 0

    # -- hooks used by the shared machinery
    def _parts(self):
        return (self.value, self.dual)

    def _labels(self):
        return ("", self._d)

    def _from(self, parts):
        return _new(parts[0], parts[1], self._d, self._t)

    @property
    def n_directions(self) -> int:
        """Number of directions ``k``: the last axis of :attr:`dual` in vector mode, else 1."""
        return np.shape(self.dual)[-1] if self._d else 1

    # -- Python-float fast paths (scalar forms of the algebra; everything else -> numpy).
    # Objects are built inline where a helper call would cost a third of the operation.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if self._f and len(inputs) == 1 and not kwargs:
            rule = SCALAR_UNARY.get(ufunc)
            if rule is not None and method == "__call__":
                try:
                    f0, f1, _ = rule(self.value, 1)
                except (ArithmeticError, ValueError):
                    pass
                else:
                    d = f1 * self.dual
                    if d == d:  # a nan part: the engine decides (structural zeros)
                        x = _object_new(Dual)
                        x.value = f0
                        x.dual = d
                        x._d = ""
                        x._f = True
                        x._t = self._t
                        return x
        return ArrayNumber.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)

    def __add__(self, other):
        if self._f:
            t = type(other)
            if t is Dual:
                if other._f and other._t is self._t:
                    return _floats(self.value + other.value, self.dual + other.dual, self._t)
            elif t is float or t is int:
                return _floats(self.value + other, self.dual, self._t)
        return binary_operator(np.add, self, other)

    def __radd__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            return _floats(other + self.value, self.dual, self._t)
        return np.add(other, self)

    def __sub__(self, other):
        if self._f:
            t = type(other)
            if t is Dual:
                if other._f and other._t is self._t:
                    return _floats(self.value - other.value, self.dual - other.dual, self._t)
            elif t is float or t is int:
                return _floats(self.value - other, self.dual, self._t)
        return binary_operator(np.subtract, self, other)

    def __rsub__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            return _floats(other - self.value, -self.dual, self._t)
        return np.subtract(other, self)

    def __mul__(self, other):
        if self._f:
            t = type(other)
            if t is Dual:
                if other._f and other._t is self._t:
                    # the product rule written inline: the listed exception in _algebra
                    a = self.value
                    c = other.value
                    d = a * other.dual + self.dual * c
                    if d == d:
                        x = _object_new(Dual)
                        x.value = a * c
                        x.dual = d
                        x._d = ""
                        x._f = True
                        x._t = self._t
                        return x
            elif t is float or t is int:
                d = self.dual * other
                if d == d:  # else inf·0: the engine decides (NaN-safe zeros)
                    return _floats(self.value * other, d, self._t)
        return binary_operator(np.multiply, self, other)

    def __rmul__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            d = other * self.dual
            if d == d:
                return _floats(other * self.value, d, self._t)
        return np.multiply(other, self)

    # Division by zero raises in Python; the engine divides by np.float64 (IEEE inf/nan).
    def __truediv__(self, other):
        if self._f:
            t = type(other)
            if t is Dual:
                if other._f and other._t is self._t and other.value:
                    q, d = _quotient(self.value, self.dual, other.value, other.dual)
                    if d == d:
                        x = _object_new(Dual)
                        x.value, x.dual = q, d
                        x._d, x._f, x._t = "", True, self._t
                        return x
            elif (t is float or t is int) and other:
                d = self.dual / other
                if d == d:  # else 0/nan: the engine decides (NaN-safe zeros)
                    return _floats(self.value / other, d, self._t)
        return binary_operator(np.divide, self, other)

    def __rtruediv__(self, other):
        if self._f and (type(other) is float or type(other) is int) and self.value:
            q, d = _quotient(other, 0.0, self.value, self.dual)
            if d == d:
                return _floats(q, d, self._t)
        return np.divide(other, self)

    def __pow__(self, other):
        if self._f and (type(other) is float or type(other) is int):
            r = scalar_power(self.value, other, 1)
            if r is not None:
                d = r[1] * self.dual
                if d == d:
                    return _floats(r[0], d, self._t)
        return np.power(self, other)

    def __neg__(self):
        return self._map(_negate)

    def __pos__(self):
        return self


def _negate(p, nt):
    return -p
