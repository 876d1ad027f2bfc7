"""``__array_ufunc__``: every float numpy ufunc is ruled, linear, locally constant, a predicate,
handled by the product/quotient algebra, or unsupported with a reason (see
``tests/test_ufunc_coverage.py``)."""

from __future__ import annotations

import sys

import numpy as np

from ._base import DualBase, _finish, as_float_component
from ._errors import DerivativeLossError, UnsupportedFunctionError
from ._rules import BINARY_RULES, UNARY_RULES, power_const

LINEAR_UFUNCS = frozenset({np.add, np.subtract, np.negative, np.positive, np.conjugate})
"""Act on every component alike."""

LOCALLY_CONSTANT_UFUNCS = frozenset(
    {np.sign, np.floor, np.ceil, np.trunc, np.rint, np.floor_divide, np.heaviside, np.spacing}
)
"""Piecewise constant: the value of the real part, zero derivatives."""

PREDICATE_UFUNCS = frozenset(
    {
        np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
        np.isfinite, np.isinf, np.isnan, np.signbit,
        np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    }
)  # fmt: skip
"""Evaluated on the real parts; return plain boolean arrays."""

ALGEBRA_UFUNCS = frozenset(
    {np.multiply, np.divide, np.matmul}
    | {getattr(np, n) for n in ("vecdot", "matvec", "vecmat") if hasattr(np, n)}
)
"""Product and quotient rules of :mod:`dualdiff._algebra` (matmul-like ones by contraction)."""

UNSUPPORTED_UFUNCS = {
    np.divmod: "it returns two outputs; use np.floor_divide and np.remainder separately",
    np.frexp: "mantissa/exponent splitting is not differentiable; use x / 2.0**e with e known",
    np.modf: "it returns two outputs; use x - np.trunc(x) and np.trunc(x)",
    np.ldexp: "use x * 2.0**i instead (its derivative is then exact)",
    np.nextafter: "stepping to the next float has no meaningful derivative",
    **{
        u: "it works on integers or bits only"
        for u in (
            np.gcd,
            np.lcm,
            np.bitwise_and,
            np.bitwise_or,
            np.bitwise_xor,
            np.invert,
            np.left_shift,
            np.right_shift,
            np.isnat,
        )
    },  # fmt: skip
}
if hasattr(np, "bitwise_count"):
    UNSUPPORTED_UFUNCS[np.bitwise_count] = "it works on integers or bits only"

_special_loaded = False


def _special_tables():
    """Merge the scipy.special rules once scipy.special has been imported by someone."""
    global _special_loaded
    if not _special_loaded and "scipy.special" in sys.modules:
        from ._rules_special import SPECIAL_BINARY_RULES, SPECIAL_UNARY_RULES

        UNARY_RULES.update(SPECIAL_UNARY_RULES)
        BINARY_RULES.update(SPECIAL_BINARY_RULES)
        _special_loaded = True


def _ieee(a):
    """Python floats become numpy scalars so that ``1/0`` is ``inf``, not an exception."""
    return np.float64(a) if type(a) is float else a


def number_type(inputs) -> type:
    """The one dual type among ``inputs`` (mixing Dual and HyperDual is an error)."""
    found = None
    for x in inputs:
        if isinstance(x, DualBase):
            if found is not None and type(x) is not found:
                raise TypeError(
                    f"cannot combine {found.__name__} with {type(x).__name__}; "
                    "use one number type throughout a computation"
                )
            found = type(x)
    return found


def check_compatible(x, y):
    """Both numbers must carry the same directions (mode and count)."""
    labels = x._labels()
    if labels == y._labels() and not labels[-1]:
        return  # both in scalar mode
    if labels != y._labels() or any(
        np.shape(p)[np.ndim(p) - len(lab) :] != np.shape(q)[np.ndim(q) - len(lab) :]
        for p, q, lab in zip(x._parts()[1:], y._parts()[1:], x._labels()[1:])
    ):
        raise ValueError(
            "cannot combine dual numbers seeded with different directions "
            f"({_dirs(x)} and {_dirs(y)}); seed all inputs of one evaluation together"
        )


def _dirs(x) -> str:
    return ", ".join(
        f"{n}: {np.shape(p)[np.ndim(p) - len(lab) :] if lab else 'scalar'}"
        for n, p, lab in zip(x._NAMES[1:], x._parts()[1:], x._labels()[1:])
    )


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    """Entry point of ``__array_ufunc__`` for everything the scalar fast paths do not take."""
    out = kwargs.pop("out", None)
    if method == "__call__":
        bad = {k: v for k, v in kwargs.items() if not (k == "dtype" and v in (None, float))}
        if bad:
            raise UnsupportedFunctionError(
                f"np.{ufunc.__name__} with keyword(s) {sorted(bad)} is not supported on dual "
                "numbers; call it without them (use np.where to select elements)"
            )
        if out is not None and ufunc in PREDICATE_UFUNCS:
            return ufunc(*(_real(x) for x in inputs), out=out)
        result = call_ufunc(ufunc, inputs)
    else:
        result = _reduction(ufunc, method, inputs, kwargs)
    if out is not None:
        return _write_out(result, out, ufunc)
    return result


def _real(x):
    return x.real if isinstance(x, DualBase) else x


def _reduction(ufunc, method, inputs, kwargs):
    from . import _functions as F

    table = {
        ("reduce", np.add): F.dual_sum,
        ("reduce", np.multiply): F.dual_prod,
        ("reduce", np.maximum): F.dual_max,
        ("reduce", np.minimum): F.dual_min,
        ("accumulate", np.add): F.dual_cumsum,
        ("accumulate", np.multiply): F.dual_cumprod,
    }
    fn = table.get((method, ufunc))
    if fn is None or len(inputs) != 1:
        raise UnsupportedFunctionError(
            f"np.{ufunc.__name__}.{method} is not supported on dual numbers"
        )
    axis = kwargs.pop("axis", 0)
    if method == "reduce":
        return fn(inputs[0], axis=axis, keepdims=kwargs.pop("keepdims", False))
    return fn(inputs[0], axis=axis)


def _write_out(result, out, ufunc):
    target = out[0] if isinstance(out, tuple) else out
    if not isinstance(target, DualBase):
        raise DerivativeLossError(
            f"np.{ufunc.__name__}(..., out=...) was given a plain array as out, which cannot "
            "hold the derivative parts; drop out= or pass a dual array of the result's shape"
        )
    target[...] = result
    return target


def call_ufunc(ufunc, inputs):
    """Apply ``ufunc`` to inputs of which at least one is a dual number."""
    if ufunc in PREDICATE_UFUNCS:
        return ufunc(*(_real(x) for x in inputs))
    number_type(inputs)
    if ufunc.nin == 1:
        return _unary(ufunc, inputs[0])
    return _binary(ufunc, *inputs)


def _unary(ufunc, x):
    rule = UNARY_RULES.get(ufunc)
    if rule is None:
        _special_tables()
        rule = UNARY_RULES.get(ufunc)
    if rule is not None:
        from ._kernels import maybe_unary  # Numba kernel above the size threshold

        k = maybe_unary(rule, x)
        if k is not None:
            return k
        with np.errstate(all="ignore"):
            return _finish(x._chain(*rule.fn(_ieee(x.real), x.ORDER)))
    if ufunc is np.negative:
        return -x
    if ufunc is np.positive or ufunc is np.conjugate:
        return x
    if ufunc in LOCALLY_CONSTANT_UFUNCS:
        return x.zeros_like_parts(ufunc(x.real))
    raise _unsupported(ufunc)


def _unsupported(ufunc):
    reason = UNSUPPORTED_UFUNCS.get(ufunc, "it has no derivative rule in dualdiff")
    return UnsupportedFunctionError(
        f"np.{ufunc.__name__} is not supported on dual numbers: {reason}"
    )


def _constant(c):
    return as_float_component(c, "operand")


def _binary(ufunc, x, y):
    xd = isinstance(x, DualBase)
    yd = isinstance(y, DualBase)
    if xd and yd:
        check_compatible(x, y)
    if ufunc in (np.matmul,) or ufunc.__name__ in ("vecdot", "matvec", "vecmat"):
        from ._functions import ufunc_contraction

        return ufunc_contraction(ufunc, x, y)
    from ._kernels import maybe_binary  # Numba kernel above the size threshold

    k = maybe_binary(ufunc, x, y, xd, yd)
    if k is not None:
        return k
    with np.errstate(all="ignore"):
        if ufunc is np.add or ufunc is np.subtract:
            return _add(ufunc, x, y, xd, yd)
        if ufunc is np.multiply:
            if xd and yd:
                return _finish(x._product(y))
            d, c = (x, _constant(y)) if xd else (y, _constant(x))
            return _finish(_scale(d, c))
        if ufunc is np.divide:
            if xd and yd:
                return _finish(x._quotient(y))
            if xd:
                c = _constant(y)
                return _finish(_scale(x, c, divide=True))
            return _finish(y.lift(_constant(x))._quotient(y))
        if ufunc in LOCALLY_CONSTANT_UFUNCS:
            proto = x if xd else y
            return proto.zeros_like_parts(ufunc(_real(x), _real(y)))
        rule = BINARY_RULES.get(ufunc)
        if rule is None:
            _special_tables()
            rule = BINARY_RULES.get(ufunc)
        if rule is None:
            raise _unsupported(ufunc)
        if xd and yd:
            return _finish(x._binary_chain(y, *rule.fn(_ieee(x.real), _ieee(y.real), x.ORDER)))
        if xd:
            c = _constant(y)
            if (ufunc is np.power or ufunc is np.float_power) and np.ndim(c) == 0:
                return _finish(x._chain(*power_const(_ieee(x.real), c, x.ORDER)))
            f, fx, _, fxx, _, _ = rule.fn(_ieee(x.real), c, x.ORDER)
            return _finish(x._chain(f, fx, fxx))
        c = _constant(x)
        f, _, fy, _, _, fyy = rule.fn(c, _ieee(y.real), y.ORDER)
        return _finish(y._chain(f, fy, fyy))


def _scale(d, c, divide=False):
    """``d * c`` or ``d / c`` for a constant ``c``: every component scaled alike."""
    from ._algebra import expand

    if divide:
        return d._map(lambda p, nt: p / expand(c, "y" * nt))
    return d._map(lambda p, nt: expand(c, "y" * nt) * p)


def _add(ufunc, x, y, xd, yd):
    if xd and yd:
        shared = x._shares_eps() and y._shares_eps()
        parts = []
        for i, (p, q) in enumerate(zip(x._parts(), y._parts())):
            parts.append(parts[1] if (shared and i == 2) else ufunc(p, q))
        return _finish(x._from(parts))
    d, c = (x, _constant(y)) if xd else (y, _constant(x))
    real = ufunc(x.real if xd else c, y.real if yd else c)
    shape = np.shape(real)
    if yd and ufunc is np.subtract:
        d = -d
    if shape == d.shape:
        return _finish(d._from((real,) + d._parts()[1:]))
    out = d._map(lambda p, nt: np.broadcast_to(p, shape + np.shape(p)[np.ndim(p) - nt :]))
    return _finish(out._from((real,) + out._parts()[1:]))
