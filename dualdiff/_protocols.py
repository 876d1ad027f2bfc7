"""The numpy protocols of dual numbers: ``__array_ufunc__`` and ``__array_function__``.

Both forward to one dispatcher per protocol (Pint's model): an elementwise ufunc call goes to
:mod:`dualdiff._ufuncs`, a matmul-like ufunc, a ufunc method (``reduce``, ``accumulate``) or
a numpy function to :mod:`dualdiff._functions`; ``out=`` is handled here, once, for every
ufunc. The number types (:mod:`dualdiff.dual`, :mod:`dualdiff.hyperdual`) derive from
:class:`ArrayNumber`; neither dispatch module imports them.
"""

from __future__ import annotations

from . import _functions, _ufuncs
from ._base import DualBase
from ._errors import DerivativeLossError, UnsupportedFunctionError


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    """Entry point of ``__array_ufunc__`` for everything the scalar fast paths do not take."""
    if method == "__call__" and not kwargs and ufunc not in _ufuncs.CONTRACTION_UFUNCS:
        return _ufuncs.call_ufunc(ufunc, inputs)  # the common case, first
    out = kwargs.pop("out", None)
    if method == "__call__":
        bad = {k: v for k, v in kwargs.items() if not (k == "dtype" and v in (None, float))}
        if bad:
            raise UnsupportedFunctionError(
                f"np.{ufunc.__name__} with keyword(s) {sorted(bad)} is not supported on dual "
                "numbers; call it without them (use np.where to select elements)"
            )
        if out is not None and ufunc in _ufuncs.PREDICATE_UFUNCS:
            return ufunc(*(_ufuncs.real_of(x) for x in inputs), out=out)
        if ufunc in _ufuncs.CONTRACTION_UFUNCS:
            result = _functions.ufunc_contraction(ufunc, *inputs)
        else:
            result = _ufuncs.call_ufunc(ufunc, inputs)
    else:
        result = _functions.ufunc_method(ufunc, method, inputs, kwargs)
    if out is not None:
        return _write_out(result, out, ufunc)
    return result


def _write_out(result, out, ufunc):
    target = out[0] if isinstance(out, tuple) else out
    if not isinstance(target, DualBase):
        raise DerivativeLossError(
            f"np.{ufunc.__name__}(..., out=...) was given a plain array as out, which cannot "
            "hold the derivative parts; drop out= or pass a dual array of the result's shape"
        )
    target[...] = result
    return target


class ArrayNumber(DualBase):
    """:class:`~dualdiff._base.DualBase` with the numpy protocols."""

    __slots__ = ()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _functions.dispatch_function(func, types, args, kwargs)
