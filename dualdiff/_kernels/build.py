"""The kernels themselves: four loop templates compiled from the rules table and the algebra.

A kernel evaluates one ruled function, product or quotient and writes every
component of the result in one pass over memory. Per element it calls the rule of
:mod:`dualdiff._rules` once (``f0, f1, f2``, or ``f, fx, fy, ...``) and, per direction, the
functions of :mod:`dualdiff._algebra` (``dual_chain``, ``hyper_chain``, ``hyper_product``, ...)
with the product operator ``P`` a scalar product: the very formulas of the numpy path, in the
same order of operations. Nothing here knows a derivative.

Four loop templates, one per number type and arity, each with scalar-mode loops and a loop
over the direction axes (vector mode). A kernel is compiled per (template, operation, which
derivative inputs are structural zeros ``Z``, the seed of ones ``O``, or arrays ``A``). Each
template unpacks its arguments from the packed ``args`` array of :mod:`dualdiff._kernels.abi`.

Imported on the first compile only: a process that finds its kernels in the store never
imports Numba.
"""

from __future__ import annotations

from .._algebra import POWER, PRODUCT, QUOTIENT, AlgebraOp
from . import abi, mvec
from .numba_support import support


def _coefficients(J, template: str, op, order: int):
    """The per-element coefficient function of a kernel: the rule (``order`` 1 for Dual,
    2 for HyperDual), ``power_const`` with the kernel's parameter, or the operands."""
    if op is POWER:
        power = J.power_const

        def coef(x, prm):
            return power(x, prm, order)

    elif isinstance(op, AlgebraOp):

        def coef(x, y):
            return (x, y)

    elif template.endswith("unary"):
        rule = J.rule(op.fn)

        def coef(x, prm):
            return rule(x, order)

    else:
        rule = J.rule(op.fn)

        def coef(x, y):
            return rule(x, y, order)

    return J.jit(coef)


def _combine(J, template: str, op, safe: bool):
    """The per-direction algebra of a kernel: the functions of :mod:`dualdiff._algebra` with
    the product operator ``P`` a scalar product and no direction labels (``0``), so the
    arithmetic, and the order of every sum, is that of the numpy path. ``safe``: ``P`` and the
    division ``D`` are the NaN-safe ones (a zero derivative factor absorbs, per element)."""
    alg, F = J.alg, J.as_float
    P, D = (J.safe_mul4, J.safe_div) if safe else (J.mul4, J.div)
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

    elif template == "dual_binary" and op is PRODUCT:
        fn = alg["dual_product"]

        def combine(A, a1, b1, a2, b2):
            t = fn(a1, b1, a2, b2, 0, P)
            return F(t[0]), F(t[1])

    elif template == "dual_binary" and op is QUOTIENT:
        fn = alg["dual_quotient"]

        def combine(A, a1, b1, a2, b2):
            t = fn(a1, b1, a2, b2, 0, P, D)
            return F(t[0]), F(t[1])

    elif template == "dual_binary":
        chain = alg["dual_binary_chain"]

        def combine(A, a1, b1, a2, b2):
            t = chain(A[0], A[1], A[2], b1, b2, 0, P)
            return F(t[0]), F(t[1])

    elif op is PRODUCT:
        fn = alg["hyper_product"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            t = fn((a1, b1, c1, d1), (a2, b2, c2, d2), 0, 0, P)
            return F(t[0]), F(t[1]), F(t[2]), F(t[3])

    elif op is QUOTIENT:
        fn = alg["hyper_quotient"]

        def combine(A, a1, b1, c1, d1, a2, b2, c2, d2):
            t = fn((a1, b1, c1, d1), (a2, b2, c2, d2), 0, 0, P, D)
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
    put2, data = J.put2, J.data
    (oA, oB), (oR, oE), _ = abi.offsets("dual_unary")

    @J.jit
    def at(i, prm, a, sa, b, sb):
        return combine(coef(a[i * sa], prm), rb(b, i * sb))

    def kernel(lo, hi, prm, P):
        k = P[0]
        a, sa = data(P[oA]), P[oA + 1]
        b, sb0, sb1 = data(P[oB]), P[oB + 1], P[oB + 2]
        r, e = data(P[oR]), data(P[oE])
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
    put3, put4, put_hyper, data = J.put3, J.put4, J.put_hyper, J.data
    (oA, oB, oC, oD), (oR, oE1, oE2, oE12), _ = abi.offsets("hyper_unary")

    @J.jit
    def at(i, prm, a, sa, b, sb, c, sc, d, sd):
        return combine(coef(a[i * sa], prm), rb(b, i * sb), rc(c, i * sc), rd(d, i * sd))

    def kernel(lo, hi, prm, P):
        k1, k2, shared = P[0], P[1], P[2]
        a, sa = data(P[oA]), P[oA + 1]
        b, sb0, sb1 = data(P[oB]), P[oB + 1], P[oB + 2]
        c, sc0, sc1 = data(P[oC]), P[oC + 1], P[oC + 2]
        d, sd0, sd1, sd2 = data(P[oD]), P[oD + 1], P[oD + 2], P[oD + 3]
        r, e1, e2, e12 = data(P[oR]), data(P[oE1]), data(P[oE2]), data(P[oE12])
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
    put2, data = J.put2, J.data
    (oA1, oB1, oA2, oB2), (oR, oE), _ = abi.offsets("dual_binary")

    @J.jit
    def at(i, a1, sa1, b1, sb1, a2, sa2, b2, sb2):
        x = a1[i * sa1]
        y = a2[i * sa2]
        return combine(coef(x, y), x, rb1(b1, i * sb1), y, rb2(b2, i * sb2))

    def kernel(lo, hi, prm, P):
        k = P[0]
        a1, sa1 = data(P[oA1]), P[oA1 + 1]
        b1, sb10, sb11 = data(P[oB1]), P[oB1 + 1], P[oB1 + 2]
        a2, sa2 = data(P[oA2]), P[oA2 + 1]
        b2, sb20, sb21 = data(P[oB2]), P[oB2 + 1], P[oB2 + 2]
        r, e = data(P[oR]), data(P[oE])
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
    put3, put4, put_hyper, data = J.put3, J.put4, J.put_hyper, J.data
    offs, (oR, oE1, oE2, oE12), _ = abi.offsets("hyper_binary")
    oA1, oB1, oC1, oD1, oA2, oB2, oC2, oD2 = offs

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

    def kernel(lo, hi, prm, P):
        k1, k2, shared = P[0], P[1], P[2]
        a1, sa1 = data(P[oA1]), P[oA1 + 1]
        b1, sb10, sb11 = data(P[oB1]), P[oB1 + 1], P[oB1 + 2]
        c1, sc10, sc11 = data(P[oC1]), P[oC1 + 1], P[oC1 + 2]
        d1, sd10, sd11, sd12 = data(P[oD1]), P[oD1 + 1], P[oD1 + 2], P[oD1 + 3]
        a2, sa2 = data(P[oA2]), P[oA2 + 1]
        b2, sb20, sb21 = data(P[oB2]), P[oB2 + 1], P[oB2 + 2]
        c2, sc20, sc21 = data(P[oC2]), P[oC2 + 1], P[oC2 + 2]
        d2, sd20, sd21, sd22 = data(P[oD2]), P[oD2 + 1], P[oD2 + 2], P[oD2 + 3]
        r, e1, e2, e12 = data(P[oR]), data(P[oE1]), data(P[oE2]), data(P[oE12])
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

_COMPILED: list = []  # keeps compiled code alive for in-process use


def compile_kernel(template: str, op, flags: str):
    """Compile the kernel of ``op`` (a rule object or an :class:`AlgebraOp`) for ``template``
    and ``flags`` (the seeds, then :data:`abi.IEEE` for the raw-IEEE variant) with Numba;
    returns its ``cfunc`` (kept alive for the process)."""
    J = support()
    order = 2 if template.startswith("hyper") else 1
    seeds = flags.removesuffix(abi.IEEE)
    coef = _coefficients(J, template, op, order)
    combine = _combine(J, template, op, safe=seeds == flags)
    readers = [{"Z": J.read_zero, "O": J.read_one}.get(f, J.read) for f in seeds]
    kernel = _TEMPLATES[template](J, coef, combine, *readers)
    cfunc = J.numba.cfunc(abi.numba_signature(J.types), error_model="numpy")(kernel)
    _COMPILED.append(cfunc)
    return cfunc


def object_code(cfunc) -> bytes:
    """Position-independent object code of a compiled kernel, for this CPU, with libmvec's
    vector functions where LLVM vectorised a libm call (:func:`mvec.vector_math`). Numba's
    own JIT code is static, which a shared library cannot hold, hence a second emission."""
    import llvmlite.binding as llvm

    library = cfunc._library
    features = getattr(getattr(library, "_codegen", None), "_tm_features", None)
    features = features or llvm.get_host_cpu_features().flatten()
    module = llvm.parse_assembly(mvec.vector_math(str(library._final_module), features))
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    machine = target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=features, reloc="pic", codemodel="default", opt=3
    )
    return machine.emit_object(module)
