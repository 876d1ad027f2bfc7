"""Numba-side support of the kernels, built on the first compile (never at import).

The pieces every template shares: the ``StructuralZero`` type, the numpy namespace the rules
see inside a kernel, the jitted algebra, the readers and writers of components, and
:func:`data`, which reads an ndarray's data pointer from the object address the calling
convention passes (:mod:`dualdiff._kernels.abi`).

Structural zeros. The numpy path skips products with the read-only seeds of
:func:`dualdiff._algebra.filled` (``ZERO``): ``f1·d`` is then *absent*, not ``f1·0``, which
matters where ``f1`` is infinite (``sqrt'(0)``). Kernels reproduce this with a Numba type,
``StructuralZero``, whose arithmetic is that of ``emul`` and ``_add`` on the seed (``0·u`` is
zero, ``0 + u`` is ``u``); the algebra runs on it unchanged.

NaN-safe zeros (:mod:`dualdiff._algebra`). A kernel's product operator ``P`` and division
``D`` are either the plain ones or, by default, the NaN-safe ones: ``t = u·v``, then ``0``
where ``t`` is nan and a derivative factor (``z``) is zero; ``num/den`` likewise with ``num``
zero. A compare and a select per product, which LLVM keeps vectorised. The raw-IEEE variant
of a kernel (:data:`dualdiff._kernels.abi.IEEE` in its flags) is compiled on first use.

The places where a kernel evaluates a rule's numpy call differently from numpy are listed in
:data:`KERNEL_FORMULAS`, each with its reason; the test suite checks them against the numpy
path and mpmath.
"""

from __future__ import annotations

import numpy as np

from . import abi

KERNEL_FORMULAS = {
    "np.where": "a scalar select (the rules call it on scalars inside a kernel)",
    "x ** c": "numpy's power loop special-cases c = 2, -1 (x*x, 1/x), and 0.5 (sqrt) from "
    "numpy 2.3: the kernel does what the numpy in use does",
    "log1p": "log(u)·x/(u - 1) with u = 1 + x (Goldberg): LLVM vectorises log, not log1p",
    "cbrt": "Numba's scalar cbrt plus one Newton step (some Numba versions take it as a power)",
}
"""Where a kernel evaluates a rule's numpy call differently from numpy, and why."""

_JIT: list = []


class StructuralZero:
    """Python-side token of the structural zero (typed as ``StructuralZero`` in Numba)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STRUCTURAL_ZERO"


STRUCTURAL_ZERO = StructuralZero()


def support():
    """The Numba-side support namespace (built once, on the first compile)."""
    if _JIT:
        return _JIT[0]
    import operator
    import types as pytypes

    import numba
    from numba.core import types
    from numba.core.imputils import lower_cast, lower_constant
    from numba.extending import intrinsic, models, overload, register_model, typeof_impl

    from .. import _algebra, _rules

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

    isz = z

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

    @intrinsic
    def data(typingctx, address):
        """The ``data`` pointer of the ndarray object at ``address`` (an int64)."""
        sig = types.CPointer(types.float64)(types.int64)

        def codegen(context, builder, signature, args):
            ptr_t = context.get_value_type(types.CPointer(types.float64))
            offset = context.get_constant(types.int64, abi.DATA_OFFSET)
            slot = builder.inttoptr(builder.add(args[0], offset), ptr_t.as_pointer())
            return builder.load(slot)

        return sig, codegen

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
    def mul4(u, du, v, dv, z):  # the algebra's product operator P for scalars
        return u * v

    def safe_product(u, v, z):
        """``u·v``, or ``0`` where that is nan and a derivative factor (``z``) is zero."""

    @overload(safe_product)
    def _safe_product(u, v, z):
        if isz(u) or isz(v):
            return lambda u, v, z: STRUCTURAL_ZERO

        def impl(u, v, z):
            t = u * v
            if t != t and ((z & 1 and u == 0.0) or (z & 2 and v == 0.0)):
                return 0.0
            return t

        return impl

    @jit
    def safe_mul4(u, du, v, dv, z):  # the NaN-safe product operator
        return safe_product(u, v, z)

    def safe_quotient(num, den):
        """``num/den``, or ``0`` where that is nan and ``num`` (a derivative part) is zero."""

    @overload(safe_quotient)
    def _safe_quotient(num, den):
        if isz(num):
            return lambda num, den: STRUCTURAL_ZERO

        def impl(num, den):
            t = num / den
            if t != t and num == 0.0:
                return 0.0
            return t

        return impl

    @jit
    def safe_div(num, den, dirs):
        return safe_quotient(num, den)

    @jit
    def add2(p, q):
        return p + q

    @jit
    def ident2(v, dirs):
        return v

    # numpy's power loop for a scalar exponent takes x*x, sqrt and 1/x for 2, 1/2 and -1;
    # sqrt only from numpy 2.3 (before, power(-inf, 0.5) is inf, as C's pow): do what the
    # numpy in use does (its version is part of the store's key).
    with np.errstate(invalid="ignore"):
        sqrt_for_half = bool(np.isnan(np.power(-np.inf, 0.5)))

    @jit
    def power_scalar(x, y):
        if y == 2.0:
            return x * x
        if y == 0.5 and sqrt_for_half:
            return np.sqrt(x)
        if y == -1.0:
            return 1.0 / x
        return np.power(x, y)

    @jit
    def cbrt_newton(x):
        # Some Numba versions (0.62 among them) take np.cbrt of a scalar as a power, up to
        # 2.6e-14 off near 1e-300; one Newton step on c³ = x brings it within an ulp or two.
        c = np.cbrt(x)
        if c == 0.0 or not np.isfinite(c):
            return c
        return c - (c * c * c - x) / (3.0 * c * c)

    @jit
    def log1p_from_log(x):
        # log1p through log, which LLVM vectorises (and mvec.vector_math hands to
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
        "np": namespace(where=where, log1p=log1p_from_log, cbrt=cbrt_newton),
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
        data=data,
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
        safe_mul4=safe_mul4,
        div=rebind(_algebra.ediv, seen, base),
        safe_div=safe_div,
        add2=add2,
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
