"""Elementwise ufuncs on dual numbers: classify the call once, hand it to the engine, wrap once.

Every float numpy ufunc is ruled, linear, locally constant, a predicate, handled by the
product/quotient algebra, a contraction (matmul-like, routed by :mod:`dualdiff._protocols`
to :mod:`dualdiff._functions`), or unsupported with a reason (see
``tests/test_ufunc_coverage.py``). Constants are lifted once (:func:`_constant`); the engine
(:mod:`dualdiff._engine`) decides how the operation runs; the result is wrapped once.

Complex operands (a complex value, or a complex constant) are classified apart: a ruled ufunc
takes its complex rule (:func:`dualdiff._rules.complex_rule`: the holomorphic ones, with the
listed complex forms), ``abs``, ``sign`` and ``conj`` are built from the real-linear maps and
real rules (:data:`NON_HOLOMORPHIC_UFUNCS`), and every other ufunc raises, so no real formula
ever meets a complex number.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _engine as engine
from ._algebra import ADD, PRODUCT, QUOTIENT, SUBTRACT, is_complex
from ._base import DualBase, _finish, as_float_component, operand_roles
from ._errors import UnsupportedFunctionError
from ._rules import BINARY_RULES, PARAMETRIC_RULES, UNARY_RULES, complex_rule

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

CONTRACTION_UFUNCS = frozenset(
    {np.matmul} | {getattr(np, n) for n in ("vecdot", "matvec", "vecmat") if hasattr(np, n)}
)
"""The product rule with a contraction in place of the elementwise product."""

ALGEBRA_UFUNCS = frozenset({np.multiply, np.divide}) | CONTRACTION_UFUNCS
"""Product and quotient rules of :mod:`dualdiff._algebra` (matmul-like ones by contraction)."""

ALGEBRA_OPS = {np.add: ADD, np.subtract: SUBTRACT, np.multiply: PRODUCT, np.divide: QUOTIENT}
"""Ufuncs that are operations of the algebra itself."""

POWER_UFUNCS = frozenset({np.power, np.float_power})

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

NOT_COMPLEX_DIFFERENTIABLE = {
    np.maximum: "complex numbers are ordered lexicographically, which has no derivative",
    np.minimum: "complex numbers are ordered lexicographically, which has no derivative",
    np.fmax: "complex numbers are ordered lexicographically, which has no derivative",
    np.fmin: "complex numbers are ordered lexicographically, which has no derivative",
}
"""Ufuncs numpy defines for complex numbers that have no derivative there (with the reason);
the others without a complex rule have no complex loop in numpy."""

_special_loaded = False


def _special_tables(force: bool = False) -> bool:
    """Merge the scipy.special rules once scipy.special has been imported by someone (or,
    with ``force``, import it now if scipy is installed: :func:`dualdiff.supported_functions`).
    Returns whether the rules are loaded."""
    global _special_loaded
    if not _special_loaded and (force or "scipy.special" in sys.modules):
        try:
            from ._rules_special import (
                SPECIAL_BINARY_RULES,
                SPECIAL_PARAMETRIC_RULES,
                SPECIAL_UNARY_RULES,
            )
        except ImportError:  # scipy is not installed
            return False
        UNARY_RULES.update(SPECIAL_UNARY_RULES)
        BINARY_RULES.update(SPECIAL_BINARY_RULES)
        PARAMETRIC_RULES.update(SPECIAL_PARAMETRIC_RULES)
        _special_loaded = True
    return _special_loaded


def special_ufunc_names() -> list:
    """Sorted public scipy.special names with a rule (aliases such as ``psi``/``digamma``
    each listed; ``zeta`` by the ufunc it calls). Loads the table, importing scipy.special;
    empty without scipy."""
    if not _special_tables(force=True):
        return []
    import scipy.special as sc

    from ._rules_special import (
        SPECIAL_BINARY_RULES,
        SPECIAL_PARAMETRIC_RULES,
        SPECIAL_UNARY_RULES,
    )

    ruled = {id(u) for u in SPECIAL_UNARY_RULES | SPECIAL_BINARY_RULES | SPECIAL_PARAMETRIC_RULES}
    names = {n for n in dir(sc) if not n.startswith("_") and id(getattr(sc, n)) in ruled}
    names |= {public for private, public in _PRIVATE_SPECIAL.items() if private in dir(sc._ufuncs)}
    return sorted(names)


def _rule(table: dict, ufunc):
    rule = table.get(ufunc)
    if rule is None and not _special_loaded:
        _special_tables()
        rule = table.get(ufunc)
    return rule


def real_of(x):
    """The value part of a dual number; anything else as it is."""
    return x.value if isinstance(x, DualBase) else x


def _constant(c):
    """A constant operand as a float or a float64 array, or complex (lifted once per call); a
    dual number of lower tag (nesting) is a constant as it is."""
    return c if isinstance(c, DualBase) else as_float_component(c, "operand")


_PRIVATE_SPECIAL = {"_zeta": "zeta", "_riemann_zeta": "zeta"}
"""scipy.special ufuncs that scipy calls from a public function of another name."""


def ufunc_name(ufunc) -> str:
    """The name a user wrote: ``np.exp``, ``scipy.special.jv`` (messages only)."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return f"np.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None:
        if getattr(special, name, None) is ufunc:
            return f"scipy.special.{name}"
        if name in _PRIVATE_SPECIAL:
            return f"scipy.special.{_PRIVATE_SPECIAL[name]}"
    return f"the ufunc {name}"


def _unsupported(ufunc):
    reason = UNSUPPORTED_UFUNCS.get(ufunc, "it has no derivative rule in dualdiff")
    name = ufunc_name(ufunc)
    if name.startswith("the ufunc"):  # np.frompyfunc's, or a library's other than scipy's
        return UnsupportedFunctionError(
            f"the ufunc {ufunc.__name__!r} (made by np.frompyfunc or another library) is not "
            "supported on dual numbers: it has no derivative rule in dualdiff; write the "
            "function with numpy operations instead"
        )
    return UnsupportedFunctionError(
        f"{name} is not supported on dual numbers: {reason} "
        "(dualdiff.supported_functions() lists what is)"
    )


def call_ufunc(ufunc, inputs):
    """``ufunc(*inputs)``, at least one input a dual number, for an elementwise ufunc."""
    if ufunc in PREDICATE_UFUNCS:
        return ufunc(*(real_of(x) for x in inputs))
    if ufunc.nin == 1:
        return _unary(ufunc, inputs[0])
    if ufunc.nin == 2 and ufunc not in PARAMETRIC_RULES:
        return _binary(ufunc, *inputs)
    rule = _rule(PARAMETRIC_RULES, ufunc)
    if rule is None:
        raise _unsupported(ufunc)
    return _parametric(rule, inputs)


def _complex_unsupported(ufunc):
    reason = NOT_COMPLEX_DIFFERENTIABLE.get(ufunc)
    if reason is None:
        reason = (
            "numpy does not define it for complex numbers"
            if not any("D" in t.split("->")[0] for t in ufunc.types)
            else "it has no complex derivative rule in dualdiff"
        )
    return UnsupportedFunctionError(
        f"{ufunc_name(ufunc)} is not supported on complex dual numbers: {reason}"
    )


def _abs(x):
    """``|z| = hypot(Re z, Im z)``: the hypot rule on the real and imaginary parts (real
    duals), so ``d|z| = Re(conj(z)·dz)/|z|`` and its second derivatives come from the table;
    ``nan`` at ``z = 0``, where ``|z|`` has no derivative along any complex direction."""
    return np.hypot(x.real, x.imag)


def _sign(x):
    """numpy's complex ``sign(z) = z/|z|`` (0 at 0)."""
    zero = x.value == 0
    return np.where(zero, 0.0, x / np.where(zero, 1.0, _abs(x)))


NON_HOLOMORPHIC_UFUNCS = {np.absolute: _abs, np.sign: _sign, np.conjugate: lambda x: x.conj()}
"""Complex ufuncs that are not holomorphic, written with the real-linear maps (real, imag,
conj) and real rules: their derivative is the directional derivative of the map of real and
imaginary parts (the convention of :class:`~dualdiff.Dual`)."""


def _complex_unary(ufunc, x):
    rule = complex_rule(ufunc, 1)
    if rule is not None:
        return x._from(engine.unary(rule, x._parts(), x._labels()))
    fn = NON_HOLOMORPHIC_UFUNCS.get(ufunc)
    if fn is not None:
        return fn(x)
    if ufunc is np.negative:
        return -x
    if ufunc is np.positive:
        return x
    if ufunc is np.rint:  # locally constant, as on real data
        return _finish(x.zeros_like_parts(np.rint(x.value)))
    raise _complex_unsupported(ufunc)


def _unary(ufunc, x):
    if is_complex(x.value):
        return _complex_unary(ufunc, x)
    rule = _rule(UNARY_RULES, ufunc)
    if rule is not None:
        return x._from(engine.unary(rule, x._parts(), x._labels()))
    if ufunc is np.negative:
        return -x
    if ufunc is np.positive or ufunc is np.conjugate:  # conj of real data is itself
        return x
    if ufunc in LOCALLY_CONSTANT_UFUNCS:
        return x.zeros_like_parts(ufunc(x.value))
    raise _unsupported(ufunc)


def _binary(ufunc, x, y):
    xd, yd = operand_roles(x, y)  # tags: a number of lower tag is a constant of the other
    proto = x if xd else y
    if ufunc in LOCALLY_CONSTANT_UFUNCS:
        return proto.zeros_like_parts(ufunc(x.value if xd else x, y.value if yd else y))
    xp = x._parts() if xd else (_constant(x),)
    yp = y._parts() if yd else (_constant(y),)
    op = ALGEBRA_OPS.get(ufunc)
    if op is None:
        if is_complex(xp[0]) or is_complex(yp[0]):
            op = complex_rule(ufunc, 2)
            if op is None:
                raise _complex_unsupported(ufunc)
        else:
            op = _rule(BINARY_RULES, ufunc)
            if op is None:
                rule = PARAMETRIC_RULES.get(ufunc)  # loaded by _rule above where scipy is
                if rule is not None:
                    return _parametric(rule, (x, y))
                raise _unsupported(ufunc)
    if not yd and ufunc in POWER_UFUNCS and type(yp[0]) in (float, complex):  # 0-d constant
        return proto._from(engine.power(xp, yp[0], proto._labels()))
    return proto._from(engine.binary(op, xp, yp, proto._labels()))


def _parameter(rule, j: int, p):
    """Parameter ``j`` of a parametric rule as a constant: numbers and arrays as given
    (integers stay integers: ``eval_hermite`` takes only those), a dual number by its value
    if its derivative parts are zero, and an error otherwise (no silent zero derivative)."""
    if isinstance(p, DualBase):
        if any(np.any(q) for q in p._parts()[1:]):
            what = "an integer order" if j in rule.integers else "scipy has no closed form for it"
            name = rule.names[j]
            raise UnsupportedFunctionError(
                f"{ufunc_name(rule.ufunc)}({', '.join(rule.names)}) has no derivative with "
                f"respect to {name} in dualdiff ({what}), and {name} was given as a dual "
                f"number that carries a derivative; it is differentiable in "
                f"{rule.names[rule.wrt]} only. Pass {name} as a plain number ({name}.value "
                "if it does not depend on the variables being differentiated)."
            )
        p = p.value
    if type(p) is int or (type(p) is float and j not in rule.integers):
        return p
    arr = np.asarray(p)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{ufunc_name(rule.ufunc)}: parameter {rule.names[j]} must be real numeric with dual "
            f"numbers, got dtype {arr.dtype}"
        )
    if j in rule.integers and arr.dtype.kind == "f" and np.all(arr == np.trunc(arr)):
        arr = arr.astype(np.int64)  # an integral float order, as scipy's integer loops take
    return arr


def _parametric(rule, inputs):
    """``rule.ufunc(*inputs)`` differentiated in ``inputs[rule.wrt]`` only."""
    i = rule.wrt
    x = inputs[i]
    if any(isinstance(p, DualBase) and is_complex(p.value) for p in inputs):
        raise _complex_unsupported(rule.ufunc)
    args = tuple(p if k == i else _parameter(rule, k, p) for k, p in enumerate(inputs))
    if not isinstance(x, DualBase):  # only parameters were dual, with zero derivative parts
        proto = next(p for p in inputs if isinstance(p, DualBase))
        value = as_float_component(rule.ufunc(*args), "result")
        return proto.zeros_like_parts(value)
    parts = args[:i] + (x._parts(),) + args[i + 1 :]
    return x._from(engine.parametric(rule, parts, i, x._labels()))
