"""The numpy protocols of dual numbers: ``__array_ufunc__`` and ``__array_function__``.

Both forward to one dispatcher per protocol (Pint's model): an elementwise ufunc call goes to
:mod:`dualdiff._ufuncs`, a matmul-like ufunc, a ufunc method (``reduce``, ``accumulate``) or
a numpy function to :mod:`dualdiff._functions`; ``out=`` is handled here, once, for every
ufunc. The number types (:mod:`dualdiff.dual`, :mod:`dualdiff.hyperdual`) derive from
:class:`ArrayNumber`; neither dispatch module imports them.
"""

from __future__ import annotations

import numpy as np

from . import _engine as engine
from . import _functions, _functions_reduce, _functions_shape, _functions_values, _ufuncs
from ._base import DualBase, write_out
from ._errors import UnsupportedFunctionError
from ._rules import UNARY_RULES

_F8 = np.dtype(np.float64)
REGISTRIES = (_functions_shape, _functions_reduce, _functions_values)
"""Modules that register more handlers in ``HANDLED_FUNCTIONS`` when imported."""


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    """Entry point of ``__array_ufunc__`` for everything the scalar fast paths do not take.

    ``out=`` is honoured here for every method (``__call__``, ``reduce``, ``accumulate``,
    ``outer``, ...): the result is computed anew, then written by
    :func:`dualdiff._base.write_out` (a dual ``out`` receives it; a plain float array cannot
    hold derivative parts and is refused with DerivativeLossError).
    """
    if method == "__call__" and not kwargs and ufunc not in _ufuncs.CONTRACTION_UFUNCS:
        return _ufuncs.call_ufunc(ufunc, inputs)  # the common case, first
    out = kwargs.pop("out", None)
    name = _ufuncs.ufunc_name(ufunc) + ("" if method == "__call__" else f".{method}")
    if out is not None and not any(isinstance(x, DualBase) for x in inputs):
        # only out is dual: the plain result, lifted into it with zero derivative parts
        return write_out(getattr(ufunc, method)(*inputs, **kwargs), out, name)
    if method == "__call__":
        bad = {k: v for k, v in kwargs.items() if not (k == "dtype" and v in (None, float))}
        if bad:
            raise UnsupportedFunctionError(
                f"{name} with keyword(s) {sorted(bad)} is not supported on dual "
                "numbers; call it without them (use np.where to select elements)"
            )
        if ufunc in _ufuncs.PREDICATE_UFUNCS:
            result = ufunc(*(_ufuncs.real_of(x) for x in inputs))
        elif ufunc in _ufuncs.CONTRACTION_UFUNCS:
            result = _functions.ufunc_contraction(ufunc, *inputs)
        else:
            result = _ufuncs.call_ufunc(ufunc, inputs)
    else:
        result = _functions.ufunc_method(ufunc, method, inputs, kwargs)
    if out is not None:
        return write_out(result, out, name)
    return result


class ArrayNumber(DualBase):
    """:class:`~dualdiff._base.DualBase` with the numpy protocols."""

    __slots__ = ()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and len(inputs) == 1 and not kwargs:
            rule = UNARY_RULES.get(ufunc)  # the most common call, classified right here
            v = self.value
            if rule is not None and type(v) is not complex and getattr(v, "dtype", _F8) is _F8:
                return self._from(engine.unary(rule, self._parts(), self._labels()))
        return dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in _functions.LIKE_FUNCTIONS:  # np.zeros(n, like=self): self is the prototype
            kwargs = {**kwargs, "like": self}
        return _functions.dispatch_function(func, types, args, kwargs)


def binary_operator(ufunc, x, y):
    """``x <op> y`` for an operator method of a dual number ``x``: straight to the ufunc's
    classification when ``y`` is a dual number of the same type (numpy's override resolution,
    a microsecond, would choose that anyway); through numpy otherwise."""
    if type(y) is type(x):
        return _ufuncs.call_ufunc(ufunc, (x, y))
    return ufunc(x, y)
