"""The seam between what an operation computes and how it runs.

Above this module, the number types and the numpy protocols decide *what* an operation is: a
rule object of :mod:`dualdiff._rules` or an operation of the algebra
(:data:`~dualdiff._algebra.ADD`, ``SUBTRACT``, ``PRODUCT``, ``QUOTIENT``, ``POWER``), with its
operands already classified and their constants lifted once. Here one function per arity
chooses the path, in one place:

1. every component a Python float: the rules evaluated on :mod:`math`
   (:mod:`dualdiff._scalar_path`);
2. kernels enabled and the result large enough (:mod:`dualdiff._config`): a compiled kernel
   (:mod:`dualdiff._kernels`), which may decline (no kernel for that layout, Numba missing);
3. otherwise the numpy path: the algebra of :mod:`dualdiff._algebra` on arrays.

Operands are *component tuples*: ``(real, dual)`` for a Dual, ``(real, eps1, eps2, eps12)``
for a HyperDual, and ``(c,)`` for a constant (a float or a float64 array; complex numbers
take the numpy path, the kernels decline them). ``labels`` are the
direction labels of the dual operand's components (see :mod:`dualdiff._algebra`). Results are
component tuples with 0-d values as Python floats; nothing here knows the number types, and
the kernels below never see them either.

One IEEE semantics on every path
--------------------------------
The three paths give the same values, infinities and nans (``tests/test_ieee_parity.py``):

- :mod:`math` raises where numpy returns ``inf`` or ``nan`` (``math.log(0.0)``, ``1.0 / 0.0``,
  ``math.exp(1000.0)``); the Python-float path then runs the numpy rule on ``np.float64``.
  Python floats never divide here: a divisor is made an ``np.float64`` first (:func:`_ieee`),
  so ``1 / Dual(0.0, 1.0)`` is ``inf`` with numpy's sign rules, never ZeroDivisionError.
- *NaN-safe zeros* (the default, :func:`dualdiff.nan_safe`): a derivative part equal to zero
  absorbs an infinite or nan coefficient (the rule and its reasons: :mod:`dualdiff._algebra`).
  The rule can change a result only where the plain product is ``nan``, so every path
  computes plainly first: the numpy path checks the derivative parts of its result once
  (:func:`dualdiff._algebra.has_nan`) and only then computes again with the NaN-safe
  operators (:func:`_numpy_unary`, :func:`binary`, :func:`_scale`, :func:`contract`); the
  Python-float fast paths send a ``nan`` part here; the kernels test per element.
- *Structural zeros on Python floats* (the listed exception for this path). Python floats
  carry no mark of a seed, so on the float path a derivative part equal to ``0.0`` is taken
  as structurally zero, as the drivers' ``ZERO`` seed is on arrays (see
  :func:`dualdiff._algebra.filled`): a coefficient ``inf`` or ``nan`` times it gives ``0``,
  not ``nan``. This is what makes ``second_derivative(np.sqrt, 0.0)`` equal the array
  path's ``-inf`` (the float seed's ``eps12`` is ``0.0``). With NaN-safe zeros on, this is
  the rule every path follows anyway; with them off (raw IEEE) it differs from the numpy
  path only where a *computed* derivative part is exactly zero and meets an infinite
  coefficient (``sqrt(x - x)``: float path ``0``, numpy path ``nan``).

Nested numbers
--------------
When derivatives nest, a component may itself be a dual number of lower tag (see
:mod:`dualdiff._base`). Such an operand is never all floats, and the kernel layer declines
it (:func:`dualdiff._kernels.run`): it takes the numpy path, whose rules and algebra recurse
into the component through the numpy protocols.
"""

from __future__ import annotations

import numpy as np

from . import _algebra as alg
from ._algebra import (
    ADD,
    DV,
    POWER,
    PRODUCT,
    QUOTIENT,
    SUBTRACT,
    ZERO,
    all_finite,
    filled,
    has_nan,
    is_complex,
    py_scalar,
)
from ._config import current, nan_safe_now
from ._rules import power_const
from ._scalar_path import SCALAR_UNARY, scalar_power

__all__ = [
    "unary",
    "elementwise",
    "binary",
    "parametric",
    "power",
    "contract",
    "finish",
    "structural",
]

_Z = filled(ZERO, ())
"""A 0-d structural zero: what a Python-float ``0.0`` derivative part becomes on this path."""


def _ieee(a):
    """Python floats (and complex) become numpy scalars so that ``1/0`` is ``inf``, not an
    exception."""
    t = type(a)
    if t is float:
        return np.float64(a)
    return np.complex128(a) if t is complex else a


def structural(parts: tuple) -> tuple:
    """A Python-float dual operand with its ``0.0`` derivative parts as structural zeros."""
    return (parts[0],) + tuple(_Z if p == 0.0 else p for p in parts[1:])


def _has_nan(parts) -> bool:
    for p in parts:
        if p != p:
            return True
    return False


def _all_floats(parts) -> bool:
    for p in parts:
        if type(p) is not float:
            return False
    return True


def _complex_scalars(parts) -> bool:
    """A complex operand of Python scalars: no :mod:`math` path, the structural zeros of
    Python floats apply (see the module docstring)."""
    if type(parts[0]) is not complex:
        return False
    for p in parts:
        t = type(p)
        if t is not float and t is not complex:
            return False
    return True


def finish(parts):
    """0-d components back to Python floats (or complex) so the scalar fast paths apply (a 0-d
    number of lower tag, a component of a nested number, stays as it is)."""
    if np.ndim(parts[0]):
        return parts
    return tuple(py_scalar(p) if isinstance(p, _NUMPY) and p.ndim == 0 else p for p in parts)


_NUMPY = (np.ndarray, np.generic)


def _kernel(op, operands, labels, prm=0.0):
    """The kernel path, or None (kernels off, too small, or the kernel layer declines)."""
    settings = current()
    if not settings.enabled:
        return None
    size = 0
    for o in operands:
        last = o[-1]
        s = last.size if type(last) is np.ndarray else np.size(last)  # a nested: its .size
        if s > size:
            size = s
    if size < settings.threshold or size == 0:
        return None
    kernels = _KERNELS[0] if _KERNELS else _load_kernels()
    raw = not nan_safe_now()
    return kernels.run(op, operands, labels, prm, settings.parallel_threshold, raw)


_KERNELS: list = []


def _load_kernels():
    """The accelerator, imported on the first operation large enough for it (its store and
    registry cost tens of milliseconds to import, which ``import dualdiff`` does not pay)."""
    from . import _kernels

    _KERNELS.append(_kernels)
    return _kernels


def _chain(f0, f1, f2, x, labels, P=alg.emul):
    if len(x) == 2:
        return alg.dual_chain(f0, f1, x[1], labels[1], P)
    return alg.hyper_chain(f0, f1, f2, x[1], x[2], x[3], labels[1], labels[2], P)


def _redo(r: tuple, coefficients, labels: tuple) -> bool:
    """Whether the NaN-safe rule may change the plain result ``r``: for a Dual in vector mode
    a coefficient is not finite (the check ``k`` times smaller), else a part of ``r`` is nan.
    ``coefficients``: every factor of the Dual algebra's products that is not a derivative
    part (None: check ``r``). See :mod:`dualdiff._algebra`."""
    if not nan_safe_now():
        return False
    if coefficients is not None and len(labels) == 2 and labels[1]:
        return not all_finite(coefficients)
    return has_nan(r[1:])


def _numpy_unary(f0, f1, f2, x, labels):
    """The chain rule on arrays: plainly, and again NaN-safe if that may differ."""
    r = _chain(f0, f1, f2, x, labels)
    if _redo(r, (f1,), labels):
        r = _chain(f0, f1, f2, x, labels, alg.safe_emul)
    return finish(r)


def unary(rule, x: tuple, labels: tuple) -> tuple:
    """``rule.ufunc`` applied to the dual operand ``x``: ``f(x)`` by the chain rule."""
    order = len(x) >> 1
    if _all_floats(x):
        scalar = SCALAR_UNARY.get(rule.ufunc)
        if scalar is not None:
            try:
                f0, f1, f2 = scalar(x[0], order)
            except (ArithmeticError, ValueError):
                pass  # an IEEE special case: the numpy rule below gives inf or nan
            else:
                r = (f0, f1 * x[1]) if order == 1 else alg.scalar_hyper_chain(f0, f1, f2, *x[1:])
                if not _has_nan(r[1:]):
                    return r
        x = structural(x)
    elif _complex_scalars(x):
        x = structural(x)
    else:
        k = _kernel(rule, (x,), labels)
        if k is not None:
            return k
    with np.errstate(all="ignore"):
        return _numpy_unary(*rule.fn(_ieee(x[0]), order), x, labels)


def elementwise(rule, x: tuple, labels: tuple) -> tuple:
    """A rule of :data:`dualdiff._rules.FUNCTION_RULES` (no kernel, no scalar form): numpy."""
    order = len(x) >> 1
    if _all_floats(x):
        x = structural(x)
    with np.errstate(all="ignore"):
        return finish(_chain(*rule.fn(_ieee(x[0]), order), x, labels))


def parametric(rule, args: tuple, i: int, labels: tuple) -> tuple:
    """``rule.ufunc(*args)`` for a :class:`~dualdiff._rules.ParametricRule`: ``args[i]`` is
    the dual operand, the others are parameters (constants as given, integers kept). The
    chain rule in ``args[i]`` alone; numpy path only (kernels have no parametric rules)."""
    x = args[i]
    if _all_floats(x):
        x = structural(x)
    vals = args[:i] + (_ieee(x[0]),) + args[i + 1 :]
    with np.errstate(all="ignore"):
        return finish(_chain(*rule.fn(*vals, order=len(x) >> 1), x, labels))


def power(x: tuple, c: float, labels: tuple) -> tuple:
    """``x ** c`` for a constant scalar exponent ``c``."""
    order = len(x) >> 1
    real_c = not is_complex(c)
    if _all_floats(x) or _complex_scalars(x):
        f = scalar_power(x[0], c, order) if real_c and type(x[0]) is float else None
        if f is not None:
            r = (f[0], f[1] * x[1]) if order == 1 else alg.scalar_hyper_chain(*f, *x[1:])
            if not _has_nan(r[1:]):
                return r
        x = structural(x)
    elif real_c:
        k = _kernel(POWER, (x,), labels, float(c))
        if k is not None:
            return k
    with np.errstate(all="ignore"):
        return _numpy_unary(*power_const(_ieee(x[0]), c, order), x, labels)


def binary(op, x: tuple, y: tuple, labels: tuple) -> tuple:
    """``op(x, y)`` with ``op`` a binary rule or ADD, SUBTRACT, PRODUCT, QUOTIENT.

    One of ``x``, ``y`` may be a constant ``(c,)``; at least one is a dual operand, and two
    dual operands carry the same directions (checked above the seam).
    """
    xd, yd = len(x) > 1, len(y) > 1
    if op is ADD or op is SUBTRACT:  # linear: one numpy operation per component, at any
        return _linear(op, x, y, xd, yd)  # size (a fused kernel moves the same bytes)
    if (op is PRODUCT and not (xd and yd)) or (op is QUOTIENT and not yd):
        return _scale(x, y, op is QUOTIENT)  # a constant factor or divisor: every part alike
    if (_all_floats(x) or _complex_scalars(x)) and (_all_floats(y) or _complex_scalars(y)):
        x = structural(x) if xd else x
        y = structural(y) if yd else y
    else:
        k = _kernel(op, (x, y), labels)
        if k is not None:
            return k
    with np.errstate(all="ignore"):
        r = _numpy_binary(op, x, y, xd, yd, labels)
        # the products' coefficients: the values, the quotient q = a1/a2 (finite q: no zero
        # or nan divisor either), a binary rule's (not at hand: check r)
        coefficients = (x[0], y[0]) if op is PRODUCT else (r[0],) if op is QUOTIENT else None
        if _redo(r, coefficients, labels):
            r = _numpy_binary(op, x, y, xd, yd, labels, alg.safe_emul, alg.safe_div)
        return finish(r)


def _numpy_binary(op, x, y, xd, yd, labels, P=alg.emul, D=alg.ediv):
    hyper = len(labels) == 4
    d1, d2 = (labels[1], labels[2]) if hyper else (labels[1], "")
    if op is PRODUCT:
        if hyper:
            return alg.hyper_product(x, y, d1, d2, P)
        return alg.dual_product(x[0], x[1], y[0], y[1], d1, P)
    if op is QUOTIENT:
        y = (_ieee(y[0]),) + y[1:]  # IEEE division by zero, also for Python floats
        if not xd:  # c / y: c lifted with zero derivative parts
            x = _lift(x[0], y, labels)
        if hyper:
            return alg.hyper_quotient(x, y, d1, d2, P, D)
        return alg.dual_quotient(x[0], x[1], y[0], y[1], d1, P, D)
    order = 2 if hyper else 1
    if xd and yd:
        f = op.fn(_ieee(x[0]), _ieee(y[0]), order)
        if hyper:
            return alg.hyper_binary_chain(*f, x, y, d1, d2, P)
        return alg.dual_binary_chain(f[0], f[1], f[2], x[1], y[1], d1, P)
    if xd:
        f, fx, _, fxx, _, _ = op.fn(_ieee(x[0]), y[0], order)
        return _chain(f, fx, fxx, x, labels, P)
    f, _, fy, _, _, fyy = op.fn(x[0], _ieee(y[0]), order)
    return _chain(f, fy, fyy, y, labels, P)


def _lift(c, like: tuple, labels: tuple) -> tuple:
    """The constant ``c`` as a dual operand with zero derivative parts, shaped like ``like``."""
    shape = np.shape(c)
    parts = [c]
    for i, (p, lab) in enumerate(zip(like[1:], labels[1:]), 1):
        if i == 2 and like[1] is like[2]:
            parts.append(parts[1])  # shared like the operand's, as a kernel shares
            continue
        tail = np.shape(p)[np.ndim(p) - len(lab) :] if lab else ()
        parts.append(np.zeros(shape + tail) if shape + tail else 0.0)
    return tuple(parts)


def _scale(x, y, divide: bool) -> tuple:
    """``x * c``, ``c * y`` or ``x / c``: every component scaled alike (a zero derivative
    part stays zero where ``c`` is infinite or nan, or zero for ``/``: NaN-safe zeros)."""
    d, c = (x, y[0]) if len(x) > 1 else (y, x[0])
    shared = len(d) == 4 and d[1] is d[2]
    out = []
    with np.errstate(all="ignore"):
        # a zero part over c, or times c, can be nan only where 1/c, or c, is not finite
        safe = nan_safe_now() and _needs_safe_scale(c, divide)
        for i, p in enumerate(d):
            if shared and i == 2:
                out.append(out[1])
                continue
            nt = np.ndim(p) - np.ndim(d[0]) if i else 0
            cc = alg.expand(c, "y" * nt) if nt else c
            if i and safe:
                r = alg.safe_div(_ieee(p), cc, "") if divide else alg.safe_emul(cc, "", p, "", DV)
            else:
                r = _ieee(p) / cc if divide else cc * p
            out.append(r)
    return finish(tuple(out))


def _needs_safe_scale(c, divide: bool) -> bool:
    """Whether ``p * c`` (``p / c``) can be nan where ``p`` is zero: ``c`` infinite or nan
    (zero or nan). Object and complex constants take the plain product."""
    if type(c) is float or type(c) is int:
        return (c == 0 or c != c) if divide else not c - c == 0
    if type(c) is np.ndarray:
        if c.dtype.kind not in "biuf":
            return False
    elif not isinstance(c, np.integer | np.floating):
        return False
    return not all_finite((np.divide(1.0, c) if divide else np.asarray(c, dtype=float),))


def _linear(op, x, y, xd, yd) -> tuple:
    """``x ± y``: componentwise for two dual operands; a constant moves the value only."""
    ufunc = np.add if op is ADD else np.subtract
    if xd and yd:
        shared = len(x) == 4 and x[1] is x[2] and y[1] is y[2]
        out = []
        for i, (p, q) in enumerate(zip(x, y)):
            out.append(out[1] if (shared and i == 2) else ufunc(p, q))
        return finish(tuple(out))
    d = x if xd else y
    real = ufunc(x[0], y[0])
    rest = d[1:]
    if yd and op is SUBTRACT:
        shared = len(d) == 4 and d[1] is d[2]
        rest = tuple(-p for p in rest)
        if shared:
            rest = (rest[0], rest[0], rest[2])
    shape = np.shape(real)
    if shape != np.shape(d[0]):  # the constant broadcast the value: broadcast the parts too
        nd = np.ndim(d[0])
        rest = tuple(np.broadcast_to(p, shape + np.shape(p)[nd:]) for p in rest)
    return finish((real,) + tuple(rest))


def contract(x: tuple, y: tuple, labels: tuple, P) -> tuple:
    """The product rule with the elementwise product replaced by the contraction ``P``
    (matmul, dot, einsum; see :mod:`dualdiff._functions`). Both operands dual."""
    r = _contract(x, y, labels, P)
    if _redo(r, (x[0], y[0]), labels):
        r = _contract(x, y, labels, alg.safe(P))
    return finish(r)


def _contract(x, y, labels, P):
    if len(labels) == 4:
        return alg.hyper_product(x, y, labels[1], labels[2], P)
    return alg.dual_product(x[0], x[1], y[0], y[1], labels[1], P)


def contract_constant(x: tuple, labels: tuple, c, P, constant_first: bool) -> tuple:
    """``P(c, x)`` or ``P(x, c)`` for a dual operand ``x`` and a constant array ``c``: every
    component contracted alike (NaN-safe: a zero derivative entry drops its term)."""
    shared = len(x) == 4 and x[1] is x[2]

    def each(P):
        out = []
        for i, (p, lab) in enumerate(zip(x, labels)):
            if shared and i == 2:
                out.append(out[1])
            elif constant_first:
                out.append(P(c, "", p, lab, DV if i else 0))
            else:
                out.append(P(p, lab, c, "", alg.DU if i else 0))
        return out

    if nan_safe_now() and not all_finite((c,)):  # else no zero entry can meet inf or nan
        return finish(tuple(each(alg.safe(P))))
    return finish(tuple(each(P)))
