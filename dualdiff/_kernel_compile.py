"""Numba side of the kernels: the loop templates, compiled from the rules and the algebra.

Imported on the first compile only (a process that finds its kernels in the disk cache never
imports Numba). A kernel evaluates one ruled function, product, quotient, sum or difference and
writes every component of the result in one pass over memory. Per element it calls the rule of
:mod:`dualdiff._rules` once (``f0, f1, f2``, or ``f, fx, fy, ...``) and, per direction, the
functions of :mod:`dualdiff._algebra` (``dual_chain``, ``hyper_chain``, ``hyper_binary_chain``,
``hyper_product``, ...) with the product operator ``P`` a scalar product: the very formulas of
the numpy path, in the same order of operations. Nothing here knows a derivative.

Four loop templates, one per number type and arity (``_dual_unary`` ... ``_hyper_binary``),
each with a scalar-mode loop and a loop over the direction axes (vector mode). A kernel is
compiled per (template, function, which inputs are structural zeros).

Structural zeros. The numpy path skips products with the read-only seeds of
:func:`dualdiff._algebra.filled` (``ZERO``): ``f1·d`` is then *absent*, not ``f1·0``, which
matters where ``f1`` is infinite (``sqrt'(0)``). Kernels reproduce this with a Numba type,
``StructuralZero``, whose arithmetic is that of ``emul`` and ``_add`` on the seed (``0·u`` is
zero, ``0 + u`` is ``u``); the algebra runs on it unchanged. The constant operand of
``f(x, c)`` gets structural-zero derivatives, so its terms vanish as in the numpy path.
"""

from __future__ import annotations

import numpy as np

from ._kernel_cache import SIGNATURES
from ._rules import BINARY_RULES, UNARY_RULES

_JIT: list = []


class StructuralZero:
    """Python-side token of the structural zero (typed as ``StructuralZero`` in Numba)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STRUCTURAL_ZERO"


STRUCTURAL_ZERO = StructuralZero()


def _jit():
    """Numba-side support, built on the first compile: the StructuralZero type, the numpy
    namespace the rules see, and the jitted algebra."""
    if _JIT:
        return _JIT[0]
    import operator
    import types as pytypes

    import numba
    from numba.core import types
    from numba.core.imputils import lower_cast, lower_constant
    from numba.extending import models, overload, register_model, typeof_impl

    from . import _algebra, _rules

    class StructuralZeroType(types.Dummy):
        def unify(self, typingctx, other):  # `e1 if b is c else f1 * c`: a float
            if isinstance(other, types.Float):
                return other
            return None

    zero_t = StructuralZeroType("dualdiff.StructuralZero")
    register_model(StructuralZeroType)(models.OpaqueModel)
    typeof_impl.register(StructuralZero)(lambda val, c: zero_t)

    @lower_constant(StructuralZeroType)
    def _constant(context, builder, ty, pyval):
        return context.get_dummy_value()

    @lower_cast(StructuralZeroType, types.Float)
    def _to_float(context, builder, fromty, toty, val):
        return context.get_constant(toty, 0.0)

    def z(t):
        return isinstance(t, StructuralZeroType)

    def num(t):
        return isinstance(t, (types.Float, types.Integer, StructuralZeroType))

    # The arithmetic of emul and _add on the ZERO seed: a product with it is absent (zero),
    # a sum with it is the other term. Subtraction and division are plain numpy arithmetic
    # on 0.0 there (hyper_quotient uses "-" and "/"), so they are too here.
    @overload(operator.mul)
    def _mul(a, b):
        if (z(a) and num(b)) or (z(b) and num(a)):
            return lambda a, b: STRUCTURAL_ZERO

    @overload(operator.add)
    def _add(a, b):
        if z(a) and num(b):
            return lambda a, b: b
        if z(b) and num(a):
            return lambda a, b: a

    @overload(operator.sub)
    def _sub(a, b):
        if z(b) and num(a):
            return lambda a, b: a
        if z(a) and num(b):
            return lambda a, b: 0.0 - b

    @overload(operator.truediv)
    def _div(a, b):
        if z(a) and num(b) and not z(b):
            return lambda a, b: 0.0 / b
        if z(b) and num(a):
            return lambda a, b: a / 0.0

    @overload(operator.neg)
    def _neg(a):
        if z(a):
            return lambda a: a

    @overload(operator.is_)
    def _is(a, b):
        if z(a) or z(b):
            same = z(a) and z(b)
            return lambda a, b: same

    jit = numba.njit(error_model="numpy")

    def as_float(v):
        """A float to store: the structural zero is 0.0 there."""

    @overload(as_float)
    def _as_float(v):
        if z(v):
            return lambda v: 0.0
        return lambda v: v

    @jit
    def where(cond, a, b):
        return a if cond else b

    @jit
    def read(ptr, i):
        return ptr[i]

    @jit
    def read_zero(ptr, i):
        return STRUCTURAL_ZERO

    @jit
    def read_one(ptr, i):  # the ONE seed: a product with it is the other factor, exactly
        return 1.0

    @jit
    def put_hyper(t, r, e1, e2, e12, i, j, m, k1, k2, shared):
        """Store the hyper-dual result ``t`` of element ``i``, directions ``(j, m)``: each
        part once (``e2`` not at all when it is ``e1``, ``shared``)."""
        e12[(i * k1 + j) * k2 + m] = t[3]
        if m == 0:
            e1[i * k1 + j] = t[1]
        if j == 0:
            if m == 0:
                r[i] = t[0]
            if shared == 0:
                e2[i * k2 + m] = t[2]

    @jit
    def put2(t, r, e, i):
        """Store a scalar-mode dual result."""
        r[i] = t[0]
        e[i] = t[1]

    @jit
    def put3(t, r, e1, e12, i):
        """Store a scalar-mode hyper-dual result whose ε2 part is its ε1 part."""
        r[i] = t[0]
        e1[i] = t[1]
        e12[i] = t[3]

    @jit
    def put4(t, r, e1, e2, e12, i):
        """Store a scalar-mode hyper-dual result, every part."""
        put3(t, r, e1, e12, i)
        e2[i] = t[2]

    @jit
    def mul4(u, du, v, dv):  # the algebra's product operator P for scalars
        return u * v

    @jit
    def add2(p, q):
        return p + q

    @jit
    def sub2(p, q):
        return p - q

    @jit
    def ident2(v, dirs):
        return v

    @jit
    def power_scalar(x, y):
        # numpy's power loop for a scalar exponent: x*x, sqrt and 1/x for 2, 1/2 and -1.
        if y == 2.0:
            return x * x
        if y == 0.5:
            return np.sqrt(x)
        if y == -1.0:
            return 1.0 / x
        return np.power(x, y)

    @jit
    def log1p_from_log(x):
        # log1p through log, which LLVM vectorises (and _kernel_cache.vector_math hands to
        # glibc's vector log): with u = 1 + x rounded, log(u)·x/(u - 1) is log1p(x) within a
        # few ulps (Goldberg, "What every computer scientist should know about floating-point
        # arithmetic", thm. 4). Within 2 ulp of libm's log1p over 3·10⁶ samples on
        # [-1, 1e3]; libm's log1p is a call LLVM cannot vectorise, 5 times slower per element.
        u = 1.0 + x
        if u == 1.0:
            return x  # |x| below half an ulp of 1 (and ±0)
        if u == np.inf:
            return u
        return np.log(u) * (x / (u - 1.0))

    def namespace(**names):
        """numpy under its own name, with scalar replacements for some of its functions."""
        module = pytypes.ModuleType("dualdiff._kernels.jit_numpy")
        module.__dict__.update(names)
        module.__getattr__ = lambda name: getattr(np, name)
        return module

    base = {
        "np": namespace(where=where, log1p=log1p_from_log),
        "_add": add2,
        "emul": mul4,
        "expand": ident2,
    }

    def rebind(fn, seen, overrides):
        """``fn`` jitted, with its global ``np`` and algebra helpers replaced for scalars."""
        if fn in seen:
            return seen[fn]
        glb = dict(fn.__globals__)
        glb.update(overrides)
        for name in fn.__code__.co_names:
            helper = glb.get(name)
            if isinstance(helper, pytypes.FunctionType) and name not in overrides:
                glb[name] = rebind(helper, seen, overrides)
        new = pytypes.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__)
        seen[fn] = jit(new)
        return seen[fn]

    seen: dict = {}
    support = pytypes.SimpleNamespace(
        numba=numba,
        types=types,
        jit=jit,
        read=read,
        read_zero=read_zero,
        read_one=read_one,
        put_hyper=put_hyper,
        put2=put2,
        put3=put3,
        put4=put4,
        mul4=mul4,
        add2=add2,
        sub2=sub2,
        as_float=jit(lambda v: as_float(v)),
        rule=lambda fn: rebind(fn, seen, base),
        alg={n: rebind(getattr(_algebra, n), seen, base) for n in _ALGEBRA},
        power_const=rebind(
            _rules.power_const, {}, {**base, "np": namespace(where=where, power=power_scalar)}
        ),
    )
    _JIT.append(support)
    return support


_ALGEBRA = (
    "dual_chain", "dual_binary_chain", "dual_product", "dual_quotient",
    "hyper_chain", "hyper_binary_chain", "hyper_product", "hyper_quotient",
)  # fmt: skip


_ALGEBRA_IDS = ("product", "quotient", "add", "subtract")


def _rule_fn(fn_id: str):
    name = fn_id.split(":", 1)[1]
    for table in (UNARY_RULES, BINARY_RULES):
        for rule in table.values():
            if rule.fn.__name__ == name and rule.fn.__module__ == "dualdiff._rules":
                return rule.fn
    raise KeyError(f"no rule named {name}")


def _coefficients(J, template: str, fn_id: str, order: int):
    """The per-element coefficient function of a kernel: the rule (``order`` 1 for Dual,
    2 for HyperDual), ``power_const`` with the kernel's parameter, or the operands."""
    if fn_id == "power_const":
        power = J.power_const

        def coef(x, prm):
            return power(x, prm, order)

    elif fn_id in _ALGEBRA_IDS:

        def coef(x, y):
            return (x, y)

    elif template.endswith("unary"):
        rule = J.rule(_rule_fn(fn_id))

        def coef(x, prm):
            return rule(x, order)

    else:
        rule = J.rule(_rule_fn(fn_id))

        def coef(x, y):
            return rule(x, y, order)

    return J.jit(coef)


def _combine(J, template: str, fn_id: str):
    """The per-direction algebra of a kernel: the functions of :mod:`dualdiff._algebra` with
    the product operator ``P`` a scalar product and no direction labels (``0``), so the
    arithmetic, and the order of every sum, is that of the numpy path."""
    alg, P, F = J.alg, J.mul4, J.as_float
    if template == "dual_unary":
        chain = alg["dual_chain"]

        def combine(A, b):
            t = chain(A[0], A[1], b, 0, P)
            return F(t[0]), F(t[1])

    elif template == "hyper_unary":
        chain = alg["hyper_chain"]

        def combine(A, b, c, d):
            t = chain(A[0], A[1], A[2], b, c, d, 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    elif fn_id in ("add", "subtract"):  # linear: the same operation on every component
        op = J.add2 if fn_id == "add" else J.sub2
        if template == "dual_binary":

            def combine(A, a1, b1, a2, b2):
                return F(op(a1, a2)), F(op(b1, b2))

        else:

            def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
                return F(op(a1, a2)), F(op(b1, b2)), F(op(c1, c2)), F(op(d1, d2))

    elif template == "dual_binary" and fn_id == "product":
        op = alg["dual_product"]

        def combine(A, a1, b1, a2, b2):
            t = op(a1, b1, a2, b2, 0, P)
            return F(t[0]), F(t[1])

    elif template == "dual_binary" and fn_id == "quotient":
        op = alg["dual_quotient"]

        def combine(A, a1, b1, a2, b2):
            t = op(a1, b1, a2, b2, 0)
            return F(t[0]), F(t[1])

    elif template == "dual_binary":
        chain = alg["dual_binary_chain"]

        def combine(A, a1, b1, a2, b2):
            t = chain(A[0], A[1], A[2], b1, b2, 0, P)
            return F(t[0]), F(t[1])

    elif fn_id == "product":
        op = alg["hyper_product"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            t = op((a1, b1, c1, d1), (a2, b2, c2, d2), 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    elif fn_id == "quotient":
        op = alg["hyper_quotient"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            t = op((a1, b1, c1, d1), (a2, b2, c2, d2), 0, 0)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    else:
        chain = alg["hyper_binary_chain"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            x, y = (a1, b1, c1, d1), (a2, b2, c2, d2)
            t = chain(A[0], A[1], A[2], A[3], A[4], A[5], x, y, 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    return J.jit(combine)


# The four loop templates. Each writes every component of the result in one pass; `rb`, `rc`,
# `rd` read an input (a pointer and an element offset), or give the structural zero or the one
# of a seed. Scalar mode (one direction) has its own loops, over `at`, the result of one
# element: the generic nest costs several times more per element. `at` called with unit strides
# (seeds and zeros are given stride 1) makes a loop LLVM vectorises where the rule calls no
# libm function it cannot vectorise: sqrt, products and quotients run 2-4 times faster than
# through strides it must assume arbitrary. With ε2 shared the loop stores no ε2 (ε1 and ε2 are
# one buffer then, which would fail LLVM's runtime overlap check and keep the loop scalar).


def _dual_unary(J, coef, combine, rb):
    put2 = J.put2

    @J.jit
    def at(i, prm, a, sa, b, sb):
        return combine(coef(a[i * sa], prm), rb(b, i * sb))

    def kernel(lo, hi, k, prm, a, sa, b, sb0, sb1, r, e):
        if k == 1:
            if sa == 1 and sb0 == 1:
                for i in range(lo, hi):
                    put2(at(i, prm, a, 1, b, 1), r, e, i)
            else:
                for i in range(lo, hi):
                    put2(at(i, prm, a, sa, b, sb0), r, e, i)
            return
        for i in range(lo, hi):
            A = coef(a[i * sa], prm)
            for j in range(k):
                t = combine(A, rb(b, i * sb0 + j * sb1))
                if j == 0:
                    r[i] = t[0]
                e[i * k + j] = t[1]

    return kernel


def _hyper_unary(J, coef, combine, rb, rc, rd):
    put3, put4, put_hyper = J.put3, J.put4, J.put_hyper

    @J.jit
    def at(i, prm, a, sa, b, sb, c, sc, d, sd):
        return combine(coef(a[i * sa], prm), rb(b, i * sb), rc(c, i * sc), rd(d, i * sd))

    def kernel(lo, hi, k1, k2, prm, shared, a, sa, b, sb0, sb1, c, sc0, sc1, d, sd0, sd1, sd2,
               r, e1, e2, e12):  # fmt: skip
        if k1 == 1 and k2 == 1:
            if sa == 1 and sb0 == 1 and sc0 == 1 and sd0 == 1 and shared:
                for i in range(lo, hi):
                    put3(at(i, prm, a, 1, b, 1, c, 1, d, 1), r, e1, e12, i)
            elif sa == 1 and sb0 == 1 and sc0 == 1 and sd0 == 1:
                for i in range(lo, hi):
                    put4(at(i, prm, a, 1, b, 1, c, 1, d, 1), r, e1, e2, e12, i)
            else:
                for i in range(lo, hi):
                    t = at(i, prm, a, sa, b, sb0, c, sc0, d, sd0)
                    put_hyper(t, r, e1, e2, e12, i, 0, 0, 1, 1, shared)
            return
        for i in range(lo, hi):
            A = coef(a[i * sa], prm)
            for j in range(k1):
                bj = rb(b, i * sb0 + j * sb1)
                for m in range(k2):
                    t = combine(A, bj, rc(c, i * sc0 + m * sc1), rd(d, i * sd0 + j * sd1 + m * sd2))
                    put_hyper(t, r, e1, e2, e12, i, j, m, k1, k2, shared)

    return kernel


def _dual_binary(J, coef, combine, rb1, rb2):
    put2 = J.put2

    @J.jit
    def at(i, a1, sa1, b1, sb1, a2, sa2, b2, sb2):
        x = a1[i * sa1]
        y = a2[i * sa2]
        return combine(coef(x, y), x, rb1(b1, i * sb1), y, rb2(b2, i * sb2))

    def kernel(lo, hi, k, a1, sa1, b1, sb10, sb11, a2, sa2, b2, sb20, sb21, r, e):
        if k == 1:
            if sa1 == 1 and sb10 == 1 and sa2 == 1 and sb20 == 1:
                for i in range(lo, hi):
                    put2(at(i, a1, 1, b1, 1, a2, 1, b2, 1), r, e, i)
            else:
                for i in range(lo, hi):
                    put2(at(i, a1, sa1, b1, sb10, a2, sa2, b2, sb20), r, e, i)
            return
        for i in range(lo, hi):
            x = a1[i * sa1]
            y = a2[i * sa2]
            A = coef(x, y)
            for j in range(k):
                t = combine(A, x, rb1(b1, i * sb10 + j * sb11), y, rb2(b2, i * sb20 + j * sb21))
                if j == 0:
                    r[i] = t[0]
                e[i * k + j] = t[1]

    return kernel


def _hyper_binary(J, coef, combine, rb1, rc1, rd1, rb2, rc2, rd2):
    put3, put4, put_hyper = J.put3, J.put4, J.put_hyper

    @J.jit
    def at(i, x1, s1, x2, s2):
        """Element ``i`` of operands ``x = (a, b, c, d)`` read with strides ``s``."""
        x = x1[0][i * s1[0]]
        y = x2[0][i * s2[0]]
        return combine(
            coef(x, y),
            x, rb1(x1[1], i * s1[1]), rc1(x1[2], i * s1[2]), rd1(x1[3], i * s1[3]),
            y, rb2(x2[1], i * s2[1]), rc2(x2[2], i * s2[2]), rd2(x2[3], i * s2[3]),
        )  # fmt: skip

    def kernel(lo, hi, k1, k2, shared,
               a1, sa1, b1, sb10, sb11, c1, sc10, sc11, d1, sd10, sd11, sd12,
               a2, sa2, b2, sb20, sb21, c2, sc20, sc21, d2, sd20, sd21, sd22,
               r, e1, e2, e12):  # fmt: skip
        if k1 == 1 and k2 == 1:
            x1, x2 = (a1, b1, c1, d1), (a2, b2, c2, d2)
            s1, s2 = (sa1, sb10, sc10, sd10), (sa2, sb20, sc20, sd20)
            unit = (1, 1, 1, 1)
            if s1 == unit and s2 == unit and shared:
                for i in range(lo, hi):
                    put3(at(i, x1, unit, x2, unit), r, e1, e12, i)
            elif s1 == unit and s2 == unit:
                for i in range(lo, hi):
                    put4(at(i, x1, unit, x2, unit), r, e1, e2, e12, i)
            else:
                for i in range(lo, hi):
                    put_hyper(at(i, x1, s1, x2, s2), r, e1, e2, e12, i, 0, 0, 1, 1, shared)
            return
        for i in range(lo, hi):
            x = a1[i * sa1]
            y = a2[i * sa2]
            A = coef(x, y)
            for j in range(k1):
                bx = rb1(b1, i * sb10 + j * sb11)
                by = rb2(b2, i * sb20 + j * sb21)
                for m in range(k2):
                    cx = rc1(c1, i * sc10 + m * sc11)
                    cy = rc2(c2, i * sc20 + m * sc21)
                    dx = rd1(d1, i * sd10 + j * sd11 + m * sd12)
                    dy = rd2(d2, i * sd20 + j * sd21 + m * sd22)
                    t = combine(A, x, bx, cx, dx, y, by, cy, dy)
                    put_hyper(t, r, e1, e2, e12, i, j, m, k1, k2, shared)

    return kernel


_TEMPLATES = {
    "dual_unary": _dual_unary,
    "hyper_unary": _hyper_unary,
    "dual_binary": _dual_binary,
    "hyper_binary": _hyper_binary,
}


def compile_kernel(key: tuple):
    """Compile kernel ``key`` = ``(template, function id, flags)`` with Numba: its ``cfunc``
    (kept alive here; :func:`dualdiff._kernel_cache.store` puts it on disk)."""
    template, fn_id, flags = key
    J = _jit()
    types = J.types
    order = 2 if template.startswith("hyper") else 1
    coef = _coefficients(J, template, fn_id, order)
    combine = _combine(J, template, fn_id)
    readers = [{"Z": J.read_zero, "O": J.read_one}.get(f, J.read) for f in flags]
    kernel = _TEMPLATES[template](J, coef, combine, *readers)
    kinds = {"i": types.int64, "f": types.float64, "p": types.CPointer(types.float64)}
    sig = types.void(*(kinds[c] for c in SIGNATURES[template]))
    cfunc = J.numba.cfunc(sig, error_model="numpy")(kernel)
    _COMPILED.append(cfunc)  # keeps the code alive
    return cfunc


_COMPILED: list = []
