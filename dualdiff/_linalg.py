"""``np.linalg`` on dual and hyper-dual numbers: one forward rule per function.

Each function of numpy's linear algebra that has real calculus is a :class:`Rule`: ``fwd``
computes numpy's own result on plain arrays (the value part, bit for bit what numpy returns,
plus any auxiliary factors), and ``jvp`` pushes derivative parts through it, written once
with the matrix identities below. :func:`apply` runs a rule on any mix of constants, Dual
and HyperDual operands.

First order (Dual)
    The value part goes through ``fwd``; the derivative parts of every operand go through
    ``jvp`` together: in vector mode the ``k`` directions are moved to a *leading* axis, so
    each formula is numpy broadcasting over that axis (``X @ dA @ X`` is one matmul over
    ``k`` stacked matrices), and a solve with ``A`` takes the ``k`` right-hand sides as
    extra *columns* of one call (:func:`solve_columns`): one LU factorisation of each
    matrix, whatever ``k``.

Second order (HyperDual), derived generically and exactly
    ``a + b·ε1 + c·ε2 + d·ε1ε2`` is the dual number ``A + B·ε1`` whose parts are themselves
    dual numbers in ``ε2``: ``A = a + c·ε2``, ``B = b + d·ε2``. So :func:`apply` runs the rule
    on ``A`` at first order (giving ``F(A) = f + f_2·ε2`` and the rule's factors as dual
    numbers), then runs the *same* ``jvp`` with Dual operands: ``jvp(A, F(A), B)`` is
    ``f_1 + f_12·ε2``. This is exact (the first-order rule is an identity in ``A``, so its
    derivative along ``ε2`` is the derivative of the identity, ``f'[d] + f''[b, c]``), needs
    no second-order formula per function, and every solve inside it again takes all
    directions as columns. A rule's ``jvp`` is therefore written with operations that work on
    plain arrays and on Dual arrays alike: ``@``, ``+ - * /``, :func:`_H` (conjugate
    transpose), ``np.diagonal``/``np.trace`` on the last two axes, :func:`solve_any`.

The identities (``dA`` a derivative part, ``X`` the value of the output):

- ``inv``: ``dX = -X dA X``.  ``solve``: ``x = A⁻¹b``, ``dx = A⁻¹(db - dA x)``.
- ``det``: ``d det = det · tr(A⁻¹ dA)``, and ``tr(adj(A) dA)`` (adjugate from the SVD) when
  ``A`` is exactly singular, where numpy's ``det`` returns 0. ``slogdet``:
  ``d log|det| = tr(A⁻¹ dA)``; the sign is locally constant.
- ``cholesky``: ``dL = L Φ(L⁻¹ dA L⁻ᴴ)``, ``Φ`` the lower triangle with its diagonal halved.
- ``qr`` (reduced, full column rank): ``C = Qᴴ dA R⁻¹``, ``Ω = tril(C,-1) - tril(C,-1)ᴴ``,
  ``dQ = Q(Ω - C) + dA R⁻¹``, ``dR = (C - Ω) R``; a wide ``A = [X | Y]`` as ``qr(X)`` and
  ``R_Y = Qᴴ Y``.
- ``eigh``: ``M = Vᴴ dA V``, ``dλ = diag M``, ``dV = V (F ∘ M)`` with ``F_ij = 1/(λ_j - λ_i)``
  (``F_ii = 0``). ``eig``: the same with ``M = V⁻¹ dA V``, then ``dV`` made to keep numpy's
  unit-norm columns (``dv -= v Re(vᴴ dv)``).
- ``svd`` (reduced): ``dS = Uᴴ dA V``, ``ds = Re diag dS``, ``F_ij = 1/(s_j² - s_i²)``,
  ``dU = U (F ∘ (dS S + S dSᴴ)) + (I - UUᴴ) dA V S⁻¹``, ``dV = V (F ∘ (S dS + dSᴴ S)) +
  (I - VVᴴ) dAᴴ U S⁻¹`` (the last terms only for non-square ``A``).
- ``pinv``: ``dP = -P dA P + P Pᴴ dAᴴ (I - AP) + (I - PA) dAᴴ Pᴴ P``, the derivative of the
  pseudo-inverse at the rank numpy's cutoff gives (the rank held fixed); ``lstsq`` is
  ``x = P b`` with the same rule.

Hand-written exceptions, each for a stated reason:

- The value part of every norm is numpy's own ``norm`` of the value (:func:`_numpy_value`): the
  derivative parts come from overflow-safe formulas whose value differs in the last bit.
- ``eigvalsh``/``eigvals``/``svdvals`` take their value from numpy's values-only call (bit for
  bit numpy's) and their factors from the full decomposition; ``eigvals`` falls back to
  ``eig``'s eigenvalues if LAPACK ordered them differently.
- ``det``/``slogdet`` use ``tr(A⁻¹ dA)`` with one explicit inverse (``O(n³ + k n²)``), not a
  solve with ``k·n`` columns (``O(k n³)``).
- Thin products with a derivative part (a matrix times a few vectors) are ``einsum`` calls
  (:func:`_mm`), which read the strided direction views in place.
- ``norm(..., 2 | -2 | 'nuc')`` of a Dual uses first-order rules that need only the singular
  values involved to be simple (:data:`SIGMA`, :data:`NUCLEAR`); of a HyperDual, the SVD rule.

Conventions (documented in ``docs/linalg.md``): ``cholesky``, ``eigh`` and ``eigvalsh`` read one
triangle of ``A``, as numpy does, so their derivative is that of numpy's function of that
triangle: ``dA`` is made Hermitian from the same triangle. Where no derivative exists
(coinciding eigenvalues or singular values, a zero singular value, rank deficiency, the
undetermined columns of a complete ``Q``/full ``U``), :class:`~dualdiff.NonDifferentiableError`
names the function and the reason; a singular matrix raises numpy's ``LinAlgError`` where numpy
does. Formulas use conjugate transposes where it matters (Hermitian ``eigh``, ``svd``,
``cholesky``, ``qr``) so that they hold for complex components; today's components are real.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.linalg import LinAlgError

from . import _functions as fn
from ._base import DualBase, _finish, check_compatible, norm_axis, number_type, top_number
from ._errors import NonDifferentiableError, UnsupportedFunctionError
from ._functions import implements
from .dual import _new as _dual_new
from .hyperdual import HyperDual
from .hyperdual import _new as _hyper_new

GAP_RTOL = 16.0
"""Eigenvalues (singular values) closer than ``GAP_RTOL · n · eps · max|λ|`` count as equal,
and singular values below it as zero: at that distance LAPACK's own values cannot tell them
apart, and the derivative formulas divide by the gap."""


# ---------------------------------------------------------------- rules and their application


class Rule(NamedTuple):
    """A function of numpy's linear algebra with its forward rule.

    ``fwd(*values, **kw)`` returns numpy's outputs (a tuple) on plain arrays;
    ``jvp(values, outputs, dvalues, need, **kw)`` returns their derivative parts (a tuple, None
    for an output that has none or that ``need`` does not ask for); ``diff[i]`` says whether
    output ``i`` is differentiable (a sign or a rank is not).
    """

    name: str
    fwd: Callable
    jvp: Callable
    diff: tuple


def apply(rule: Rule, args, need=None, **kw) -> tuple:
    """``rule`` on operands that are constants, Dual or HyperDual numbers: numpy's outputs,
    the differentiable ones as numbers of the operands' type (None where ``need`` is False)."""
    proto = top_number(args)
    if proto is None:
        return rule.fwd(*args, **kw)
    number_type(args)
    for a in args:
        if isinstance(a, DualBase):
            if a._t != proto._t or any(isinstance(p, DualBase) for p in a._parts()):
                raise UnsupportedFunctionError(
                    f"np.linalg.{rule.name} of the numbers of nested derivatives (a driver "
                    "called inside the f of another) is not supported; call the outer driver "
                    "on a function whose linear algebra sees one derivative level"
                )
            if a is not proto:
                check_compatible(proto, a)
    need = (True,) * len(rule.diff) if need is None else need
    if isinstance(proto, HyperDual):
        return _apply_hyper(rule, args, proto, need, kw)
    return _apply_dual(rule, args, proto, need, kw)


def _const(a):
    """A constant operand as a float (or complex) ndarray."""
    a = np.asarray(a)
    return a if a.dtype.kind in "fc" else a.astype(np.float64)


def _lead(p, vnd: int, nd: int, vector: bool):
    """A derivative part with its direction axis (at position ``vnd``, after the value's axes)
    moved to the front and unit axes inserted so that it broadcasts against values of up to
    ``nd`` dimensions: ``(k,) + (1,) * (nd - vnd) + value shape [+ trailing axes]``."""
    if not vector:
        return p
    q = np.moveaxis(np.asarray(p), vnd, 0)
    return q.reshape(q.shape[:1] + (1,) * (nd - vnd) + q.shape[1:])


def _trail(do, oshape: tuple, vector: bool, tail: int):
    """The inverse of :func:`_lead` for an output of shape ``oshape``: the direction axis back
    after the value's axes (and before ``tail`` trailing axes), broadcast to the full shape."""
    do = np.asarray(do)
    tl = do.shape[do.ndim - tail :] if tail else ()
    head = do.shape[:1] if vector else ()
    body = do.shape[len(head) : do.ndim - tail]
    while len(body) > len(oshape) and body[0] == 1:
        body = body[1:]
    body = (1,) * (len(oshape) - len(body)) + body
    do = np.broadcast_to(do.reshape(head + body + tl), head + oshape + tl)
    return np.moveaxis(do, 0, len(oshape)) if vector else do


def _max_nd(items) -> int:
    return max(np.ndim(x.value if isinstance(x, DualBase) else x) for x in items if x is not None)


def _apply_dual(rule, args, proto, need, kw):
    vals = [a.value if isinstance(a, DualBase) else _const(a) for a in args]
    outs = rule.fwd(*vals, **kw)
    vector = bool(proto._d)
    nd = _max_nd(list(vals) + list(outs))
    dvals = [_lead(a.dual, a.ndim, nd, vector) if isinstance(a, DualBase) else None for a in args]
    douts = rule.jvp(vals, outs, dvals, need, **kw)
    res = []
    for o, do, diff, want in zip(outs, douts, rule.diff, need):
        if not diff:
            res.append(o)
        elif not want:
            res.append(None)
        elif do is None:  # independent of every dual operand: a constant
            res.append(o)
        else:
            dual = _trail(do, np.shape(o), vector, 0)
            res.append(_finish(_dual_new(o, dual, proto._d, proto._t)))
    return tuple(res)


def _apply_hyper(rule, args, proto, need, kw):
    """``A + B·ε1`` with dual parts in ``ε2`` (see the module docstring)."""
    d1, d2 = proto._d1, proto._d2
    dl = "y" if d2 else ""
    t = proto._t  # the ε2 numbers below are of the operands' level
    inner = [
        _dual_new(a.value, a.eps2, dl, t) if isinstance(a, DualBase) else _const(a) for a in args
    ]
    outs = apply(rule, inner, **kw)  # F(A), every factor, as dual numbers in ε2
    nd = _max_nd(list(inner) + list(outs))
    v1 = bool(d1)
    douter = [
        _dual_new(_lead(a.eps1, a.ndim, nd, v1), _lead(a.eps12, a.ndim, nd, v1), dl, t)
        if isinstance(a, DualBase)
        else None
        for a in args
    ]
    douts = rule.jvp(inner, outs, douter, need, **kw)  # jvp(A, F(A), B) = f_1 + f_12·ε2
    shared = proto._shares_eps()
    res = []
    for o, do, diff, want in zip(outs, douts, rule.diff, need):
        if not diff:
            res.append(o)
            continue
        if not want or (do is None and not isinstance(o, DualBase)):
            res.append(None if not want else o)  # not asked for; or a constant
            continue
        value = o.value if isinstance(o, DualBase) else o
        oshape = np.shape(value)
        k1, k2 = np.shape(proto.eps1)[proto.ndim :], np.shape(proto.eps2)[proto.ndim :]
        eps2 = o.dual if isinstance(o, DualBase) else np.zeros(oshape + k2)
        if do is None:  # independent of the ε1 directions
            eps1, eps12 = np.zeros(oshape + k1), np.zeros(oshape + k1 + k2)
        else:
            if isinstance(do, DualBase):
                e1, e12 = do.value, do.dual
            else:
                e1, e12 = do, np.zeros(np.shape(do) + k2)
            eps1 = _trail(e1, oshape, v1, 0)
            eps12 = _trail(e12, oshape, v1, 1 if d2 else 0)
        parts = (value, eps1, eps1 if shared else eps2, eps12)
        if not oshape:  # 0-d: Python floats, so the scalar fast paths apply again
            parts = tuple(p if np.ndim(p) else float(p) for p in parts)
        res.append(_hyper_new(*parts, d1, d2, proto._t))
    return tuple(res)


def _value(x):
    return x.value if isinstance(x, DualBase) else np.asarray(x)


def _arr(x):
    """A dual number as it is, anything else (a list, a scalar) as an ndarray."""
    return x if isinstance(x, DualBase) else _const(x)


# ---------------------------------------------------------------- helpers on plain or dual


def _cplx(x) -> bool:
    """Complex components (plain or dual): conjugates matter only then."""
    return np.iscomplexobj(_value(x))


def _H(x):
    """Conjugate transpose of the last two axes (plain arrays and dual numbers alike)."""
    t = np.swapaxes(x, -1, -2)
    return t.conj() if _cplx(x) else t


def _re(x):
    return x.real if _cplx(x) else x


def _diag(x):
    return np.diagonal(x, axis1=-2, axis2=-1)


def _tr(x):
    return np.trace(x, axis1=-2, axis2=-1)


def _mm(a, b):
    """``a @ b``; for plain arrays with a thin factor (a matrix times a few vectors) by
    ``einsum`` without BLAS, which reads the strided views of :func:`_lead` in place (matmul
    falls back to a slow loop on them: 25 times slower for 100 directions of a 100×100
    matrix times a vector)."""
    if isinstance(a, DualBase) or isinstance(b, DualBase) or np.ndim(a) < 2 or np.ndim(b) < 2:
        return a @ b
    if np.shape(b)[-1] <= 8:
        return np.einsum("...ij,...jk->...ik", a, b)
    return a @ b


def _neg_add(r, t):
    """``r - t`` where ``r`` may be None (zero)."""
    return -t if r is None else r - t


def solve_columns(a, r):
    """``a⁻¹ r`` for plain ``a`` of shape ``(..., n, n)`` and ``r`` of shape ``(..., n, m)``
    (batch axes broadcast), with one LU factorisation per distinct matrix of ``a``: every
    batch axis of ``r`` along which ``a`` does not vary (the direction axes of a derivative,
    the extra axes of a broadcast) becomes extra columns of one ``np.linalg.solve`` call.
    numpy is used rather than scipy's ``lu_factor`` because scipy is optional and numpy's
    solve is batched."""
    a = np.asarray(a)
    r = np.asarray(r)
    nb = max(a.ndim, r.ndim) - 2
    ab = (1,) * (nb - a.ndim + 2) + a.shape[:-2]
    rb = (1,) * (nb - r.ndim + 2) + r.shape[:-2]
    free = [i for i in range(nb) if ab[i] == 1 and rb[i] != 1]
    if not free:
        return np.linalg.solve(a, r)
    keep = [i for i in range(nb) if i not in free]
    n, m = r.shape[-2:]
    fshape = tuple(rb[i] for i in free)
    perm = keep + [nb, nb + 1] + free
    rt = r.reshape(rb + (n, m)).transpose(perm)
    rt = rt.reshape(tuple(rb[i] for i in keep) + (n, m * int(np.prod(fshape))))
    a2 = a.reshape(tuple(ab[i] for i in keep) + a.shape[-2:])
    x = np.linalg.solve(a2, rt)
    x = x.reshape(x.shape[:-2] + (n, m) + fshape)
    return x.transpose(np.argsort(perm))


def solve_any(a, r):
    """``a⁻¹ r`` for matrices ``r``, either operand plain or dual (the solve rule)."""
    if not isinstance(a, DualBase) and not isinstance(r, DualBase):
        return solve_columns(a, r)
    return apply(SOLVE, (a, r))[0]


def _tri(n: int, k: int):
    return np.tri(n, n, k)


def _hermitian_from(da, uplo: str):
    """The Hermitian matrix numpy's ``eigh``/``cholesky`` read from one triangle of ``da``."""
    n = np.shape(_value(da))[-1]
    if uplo.upper() == "U":
        da = _H(da)
    return da * _tri(n, 0) + _H(da * _tri(n, -1))


def _gap_inverse(w, square: bool = False):
    """``F_ij = 1/(w_j - w_i)`` (``1/(w_j² - w_i²)`` when ``square``), ``F_ii = 0``."""
    n = np.shape(_value(w))[-1]
    eye = np.eye(n)
    row, col = w[..., None, :], w[..., :, None]
    gap = (row + col) * (row - col) if square else row - col
    return (1.0 - eye) / (gap + eye)


def _tolerance(w):
    n = w.shape[-1]
    return GAP_RTOL * max(n, 1) * np.finfo(float).eps * np.max(np.abs(w), axis=-1, keepdims=True)


def _check_nonzero(s, name: str, what: str = "singular value"):
    """NonDifferentiableError where a value of ``s`` is zero within the tolerance."""
    s = np.asarray(s)
    if s.shape[-1] and np.any(np.abs(s) <= _tolerance(s)):
        raise NonDifferentiableError(
            f"np.linalg.{name}: a {what} is zero (within {float(np.max(_tolerance(s))):.3g}); "
            f"|{what}| has a kink there and no derivative. Perturb the matrix off the "
            "rank-deficient set, or differentiate a smooth function of it instead"
        )


def _check_distinct(w, name: str, what: str):
    """NonDifferentiableError where two of ``w`` (eigen- or singular values along the last
    axis) coincide within the tolerance."""
    w = np.asarray(w)
    n = w.shape[-1]
    if n < 2:
        return
    tol = _tolerance(w)
    if np.iscomplexobj(w):
        d = np.abs(w[..., :, None] - w[..., None, :]) + np.diag(np.full(n, np.inf))
        bad = np.min(d, axis=(-2, -1)) <= tol[..., 0]
    else:
        bad = np.any(np.diff(np.sort(w, axis=-1), axis=-1) <= tol, axis=-1)
    if np.any(bad):
        flat = np.reshape(w, (-1, n))[int(np.argmax(np.ravel(bad)))]
        ws = np.sort(flat.real if np.iscomplexobj(flat) else flat)
        i = int(np.argmin(np.diff(ws)))
        raise NonDifferentiableError(
            f"np.linalg.{name}: {what}s {i} and {i + 1} coincide ({ws[i]:.17g} and "
            f"{ws[i + 1]:.17g}, within {float(np.max(tol)):.3g}): the {what}s taken one by one "
            "and the vectors are not differentiable at repeated values (the basis of a "
            "repeated space is arbitrary). Differentiate a symmetric function of them instead "
            "(trace, determinant, a norm), or perturb the matrix"
        )


def _adjugate(a):
    """``adj(a) = det(a) a⁻¹``, valid for singular ``a`` too: from the SVD,
    ``adj(a) = det(U) det(Vᴴ) V adj(S) Uᴴ`` with ``adj(S)_ii = Π_{j≠i} s_j``."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(s, -1)[..., :-1]], -1), -1), -1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (_H(vh) * (left * right)[..., None, :]) @ _H(u)


# ---------------------------------------------------------------- the rules


def _solve_fwd(a, b):
    return (solve_columns(a, b),)


def _solve_jvp(v, o, d, need):
    (x,) = o
    r = d[1]
    if d[0] is not None:
        r = _neg_add(r, _mm(d[0], x))
    return (solve_any(v[0], r),)


SOLVE = Rule("solve", _solve_fwd, _solve_jvp, (True,))


def _inv_fwd(a):
    return (np.linalg.inv(a),)


def _inv_jvp(v, o, d, need):
    x = o[0]
    return (-(x @ d[0] @ x),)


INV = Rule("inv", _inv_fwd, _inv_jvp, (True,))


def _trace_inv_times(a, da):
    """``tr(a⁻¹ da) = Σ_ij (a⁻¹)_ji da_ij``: one inverse (one factorisation) for every
    direction, then ``O(k n²)``; solving ``a⁻¹ da`` would cost ``O(k n³)``. None if ``a`` is
    singular."""
    try:
        ainv = inv(a)
    except LinAlgError:
        if isinstance(a, DualBase):
            raise LinAlgError(
                "second derivatives of det/slogdet at a singular matrix are not supported"
            ) from None
        return None
    # einsum reads the strided direction views in place (a product then a sum: 20 times slower)
    return np.einsum("...ji,...ij->...", ainv, da)


def _det_fwd(a):
    return (np.linalg.det(a),)


def _det_jvp(v, o, d, need):
    t = _trace_inv_times(v[0], d[0])
    if t is None:  # exactly singular: numpy's det is 0, its derivative tr(adj(A) dA)
        return (_tr(_adjugate(v[0]) @ d[0]),)
    return (o[0] * t,)


DET = Rule("det", _det_fwd, _det_jvp, (True,))


def _slogdet_fwd(a):
    sign, logabs = np.linalg.slogdet(a)
    return sign, logabs


def _slogdet_jvp(v, o, d, need):
    t = _trace_inv_times(v[0], d[0])
    if t is None:  # log|det| = -inf: its derivative tr(adj dA)/0 is ±inf or nan (IEEE)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = _tr(_adjugate(v[0]) @ d[0]) / np.linalg.det(v[0])
    return None, t


SLOGDET = Rule("slogdet", _slogdet_fwd, _slogdet_jvp, (False, True))


def _cholesky_fwd(a, upper=False):
    # upper= only when asked: a numpy without the keyword never passes it to the handler
    return (np.linalg.cholesky(a, upper=True) if upper else np.linalg.cholesky(a),)


def _cholesky_jvp(v, o, d, need, upper=False):
    L = _H(o[0]) if upper else o[0]  # upper=True: numpy's U = Lᴴ, from the upper triangle
    n = np.shape(_value(L))[-1]
    y = solve_any(L, _hermitian_from(d[0], "U" if upper else "L"))  # L⁻¹ dA
    m = _H(solve_any(L, _H(y)))  # L⁻¹ dA L⁻ᴴ
    dl = L @ (m * (_tri(n, -1) + 0.5 * np.eye(n)))
    return (_H(dl) if upper else dl,)


CHOLESKY = Rule("cholesky", _cholesky_fwd, _cholesky_jvp, (True,))


def _qr_fwd(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return q, r


def _qr_tall(q, r, da):
    """``(dQ, dR)`` of the reduced QR of a matrix with at least as many rows as columns."""
    n = np.shape(_value(r))[-1]
    try:
        dx_rinv = _H(solve_any(_H(r), _H(da)))  # dA R⁻¹
    except LinAlgError:
        raise NonDifferentiableError(
            "np.linalg.qr: the matrix is rank-deficient (R is singular), where Q is not "
            "determined by A and has no derivative"
        ) from None
    c = _H(q) @ dx_rinv
    low = c * _tri(n, -1)
    omega = low - _H(low)
    if _cplx(c):  # the imaginary part of diag(C) rotates the phases of Q's columns
        omega = omega + np.eye(n) * (c - c.real)
    return q @ (omega - c) + dx_rinv, (c - omega) @ r


def _qr_jvp(v, o, d, need):
    a, (q, r), da = v[0], o, d[0]
    m, n = np.shape(_value(a))[-2:]
    if m >= n:
        return _qr_tall(q, r, da)
    dq, drx = _qr_tall(q, r[..., :m], da[..., :m])
    dry = _H(dq) @ a[..., m:] + _H(q) @ da[..., m:]
    return dq, np.concatenate([drx, dry], axis=-1)


QR = Rule("qr", _qr_fwd, _qr_jvp, (True, True))


def _eigh_fwd(a, UPLO="L", values_only=False):
    w, vecs = np.linalg.eigh(a, UPLO)
    _check_distinct(w, "eigh", "eigenvalue")
    return (np.linalg.eigvalsh(a, UPLO) if values_only else w), vecs


def _eigh_jvp(v, o, d, need, UPLO="L", values_only=False):
    w, vecs = o
    m = _H(vecs) @ _hermitian_from(d[0], UPLO) @ vecs
    dw = _re(_diag(m))
    dv = vecs @ (_gap_inverse(w) * m) if need[1] else None
    return dw, dv


EIGH = Rule("eigh", _eigh_fwd, _eigh_jvp, (True, True))


def _eig_fwd(a, values_only=False):
    w, vecs = np.linalg.eig(a)
    if np.iscomplexobj(w):
        raise UnsupportedFunctionError(
            "np.linalg.eig of a matrix with complex eigenvalues is not supported on dual "
            "numbers yet (their derivative parts would be complex); use eigh for symmetric "
            "matrices"
        )
    _check_distinct(w, "eig", "eigenvalue")
    if values_only:  # numpy's eigvals, bit for bit, where LAPACK gives the same order
        only = np.linalg.eigvals(a)
        w = only if np.allclose(only, w, rtol=1e-10, atol=0) else w
    return w, vecs


def _eig_jvp(v, o, d, need, values_only=False):
    w, vecs = o
    m = solve_any(vecs, d[0] @ vecs)  # V⁻¹ dA V
    dw = _diag(m)
    if not need[1]:
        return dw, None
    raw = vecs @ (_gap_inverse(w) * m)
    proj = np.sum(vecs.conj() * raw if _cplx(vecs) else vecs * raw, axis=-2, keepdims=True)
    return dw, raw - vecs * _re(proj)


EIG = Rule("eig", _eig_fwd, _eig_jvp, (True, True))


def _svd_fwd(a, hermitian=False, values_only=False):
    u, s, vh = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
    _check_nonzero(s, "svd")
    _check_distinct(s, "svd", "singular value")
    if values_only:
        s = np.linalg.svd(a, compute_uv=False, hermitian=hermitian)
    return u, s, vh


def _svd_jvp(v, o, d, need, hermitian=False, values_only=False):
    a, (u, s, vh), da = v[0], o, d[0]
    m, n = np.shape(_value(a))[-2:]
    vv = _H(vh)
    ds_mat = _H(u) @ da @ vv
    ds = _re(_diag(ds_mat))
    if not (need[0] or need[2]):
        return None, ds, None
    f = _gap_inverse(s, square=True)
    srow, scol = s[..., None, :], s[..., :, None]
    dss, sds = ds_mat * srow, scol * ds_mat
    inner_u = f * (dss + _H(dss))
    if _cplx(ds_mat):
        inner_u = inner_u + 0.5 * (ds_mat - _H(ds_mat)) * np.eye(s.shape[-1]) / scol
    du = u @ inner_u
    dv = vv @ (f * (sds + _H(sds)))
    if m > n:
        dav = da @ vv
        du = du + (dav - u @ (_H(u) @ dav)) / srow
    if n > m:
        dahu = _H(da) @ u
        dv = dv + (dahu - vv @ (vh @ dahu)) / srow
    return du, ds, _H(dv)


SVD = Rule("svd", _svd_fwd, _svd_jvp, (True, True, True))


def _pinv_fwd(a, **kw):
    return (np.linalg.pinv(a, **kw),)


def _pinv_dot(a, p, da):
    """``dP = -P dA P + P Pᴴ dAᴴ (I - AP) + (I - PA) dAᴴ Pᴴ P``."""
    dah = _H(da)
    t1 = -(p @ da @ p)
    t2 = p @ (_H(p) @ (dah - (dah @ a) @ p))
    w = dah @ (_H(p) @ p)
    return t1 + t2 + (w - p @ (a @ w))


def _pinv_jvp(v, o, d, need, **kw):
    return (_pinv_dot(v[0], o[0], d[0]),)


PINV = Rule("pinv", _pinv_fwd, _pinv_jvp, (True,))


def _lstsq_fwd(a, b, rcond=None):
    x, res, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
    m, n = a.shape[-2:]
    cut = np.finfo(float).eps * max(m, n) if rcond is None else rcond
    u, sv, vh = np.linalg.svd(a, full_matrices=False)
    keep = sv > cut * sv[..., :1] if cut >= 0 else sv > np.finfo(float).eps * sv[..., :1]
    sinv = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
    p = (_H(vh) * sinv[..., None, :]) @ _H(u)  # the pseudo-inverse lstsq applies
    return x, p, res, rank, s


def _lstsq_jvp(v, o, d, need, rcond=None):
    a, b = v
    x, p = o[0], o[1]
    da, db = d
    dx = None if db is None else p @ db
    if da is not None:
        dah = _H(da)
        r = b - a @ x
        t = dah @ (_H(p) @ x)
        dx = _neg_add(dx, p @ (da @ x))
        dx = dx + p @ (_H(p) @ (dah @ r)) + (t - p @ (a @ t))
    dp = _pinv_dot(a, p, da) if (need[1] and da is not None) else None
    if need[1] and da is None:
        dp = None
    return dx, dp, None, None, None


LSTSQ = Rule("lstsq", _lstsq_fwd, _lstsq_jvp, (True, True, False, False, False))


def _sigma_fwd(a, which=0):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    n = s.shape[-1]
    sel = s[..., which]
    if n > 1:
        other = s[..., 1] if which == 0 else s[..., -2]
        _check_distinct(np.stack([sel, other], axis=-1), "norm", "singular value")
    if which != 0:
        _check_nonzero(np.stack([sel, s[..., 0]], axis=-1), "norm")
    value = np.linalg.norm(a, 2 if which == 0 else -2, axis=(-2, -1))  # numpy's, bit for bit
    return value, u[..., :, which], vh[..., which, :]


def _sigma_jvp(v, o, d, need, which=0):
    """``dσ_i = Re(u_iᴴ dA v_i)`` for a simple singular value (first order only)."""
    _, u, vh = o
    t = (d[0] @ vh[..., :, None])[..., 0]
    return _re(np.sum(u.conj() * t if _cplx(u) else u * t, axis=-1)), None, None


SIGMA = Rule("norm", _sigma_fwd, _sigma_jvp, (True, True, True))


def _nuclear_fwd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    _check_nonzero(s, "norm")
    return np.linalg.norm(a, "nuc", axis=(-2, -1)), u, vh


def _nuclear_jvp(v, o, d, need):
    """``d‖A‖_* = Re tr(Uᴴ dA V)`` for full-rank ``A`` (first order only; repeated singular
    values allowed: the sum over a repeated cluster is smooth)."""
    _, u, vh = o
    return _re(_tr(_H(u) @ d[0] @ _H(vh))), None, None


NUCLEAR = Rule("norm", _nuclear_fwd, _nuclear_jvp, (True, True, True))


# ---------------------------------------------------------------- np.linalg entry points


def _one(rule, *args, **kw):
    return apply(rule, args, **kw)[0]


def _square(a, name):
    shape = np.shape(_value(a))
    if len(shape) < 2:
        raise LinAlgError(
            f"{len(shape)}-dimensional array given. Array must be at least two-dimensional"
        )
    if shape[-1] != shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


@implements(np.linalg.solve)
def solve(a, b):
    """``x = A⁻¹ b`` (``b`` a vector when 1-d, else stacked matrices, as numpy 2)."""
    a, b = _arr(a), _arr(b)
    _square(a, "solve")
    if np.ndim(_value(b)) == 1:
        return apply(SOLVE, (a, b[:, None]))[0][..., 0]
    return apply(SOLVE, (a, b))[0]


@implements(np.linalg.inv)
def inv(a):
    return _one(INV, a)


@implements(np.linalg.det)
def det(a):
    return _one(DET, a)


_SLOGDET_RESULT = type(np.linalg.slogdet(np.eye(1)))
_EIGH_RESULT = type(np.linalg.eigh(np.eye(1)))
_EIG_RESULT = type(np.linalg.eig(np.eye(1)))
_SVD_RESULT = type(np.linalg.svd(np.eye(1)))
_QR_RESULT = type(np.linalg.qr(np.eye(1)))


@implements(np.linalg.slogdet)
def slogdet(a):
    """``(sign, log|det|)``: the sign a plain array (locally constant), the log a number."""
    return _SLOGDET_RESULT(*apply(SLOGDET, (a,)))


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """Lower ``L`` (``upper=True``: ``Lᴴ``, from the upper triangle, as numpy)."""
    return _one(CHOLESKY, a, upper=upper)


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    m, n = np.shape(_value(a))[-2:]
    if mode == "complete" and m > n:
        raise NonDifferentiableError(
            "np.linalg.qr(mode='complete') of a tall matrix: the last m - n columns of Q are "
            "any orthonormal completion, not determined by A, so they have no derivative; "
            "use mode='reduced'"
        )
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedFunctionError(
            f"np.linalg.qr(mode={mode!r}) is not supported on dual numbers; use 'reduced', "
            "'complete' (square or wide matrices) or 'r'"
        )
    q, r = apply(QR, (a,), need=(mode != "r", True))
    return r if mode == "r" else _QR_RESULT(q, r)


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors; NonDifferentiableError when two coincide."""
    return _EIGH_RESULT(*apply(EIGH, (a,), UPLO=UPLO))


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    return apply(EIGH, (a,), need=(True, False), UPLO=UPLO, values_only=True)[0]


@implements(np.linalg.eig)
def eig(a):
    """Real, distinct eigenvalues and unit eigenvectors (complex eigenvalues: not yet)."""
    return _EIG_RESULT(*apply(EIG, (a,)))


@implements(np.linalg.eigvals)
def eigvals(a):
    return apply(EIG, (a,), need=(True, False), values_only=True)[0]


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Reduced SVD (``full_matrices`` matters only for non-square matrices with
    ``compute_uv``, where the extra columns are not determined by ``A``)."""
    m, n = np.shape(_value(a))[-2:]
    if hermitian:  # numpy reads the lower triangle (through eigh): so does the derivative
        a = _hermitian_from(a, "L") if isinstance(a, DualBase) else a
    if not compute_uv:
        return apply(SVD, (a,), need=(False, True, False), hermitian=hermitian,
                     values_only=True)[1]  # fmt: skip
    if full_matrices and m != n:
        raise NonDifferentiableError(
            "np.linalg.svd(full_matrices=True) of a non-square matrix: the extra columns of "
            "U or V are any orthonormal completion, not determined by A, so they have no "
            "derivative; pass full_matrices=False"
        )
    return _SVD_RESULT(*apply(SVD, (a,), hermitian=hermitian))


def _svdvals(x, /):
    return svd(x, compute_uv=False)


if hasattr(np.linalg, "svdvals"):
    implements(np.linalg.svdvals)(_svdvals)


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """Pseudo-inverse; its derivative at the rank numpy's cutoff gives (held fixed)."""
    kw = {"hermitian": hermitian}
    if hermitian and isinstance(a, DualBase):  # numpy reads the lower triangle (eigh)
        a = _hermitian_from(a, "L")
    if rcond is not None:
        kw["rcond"] = _value(rcond)
    if rtol is not np._NoValue:
        kw["rtol"] = rtol
    return _one(PINV, a, **kw)


@implements(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """``(x, residuals, rank, s)``: ``x`` and ``residuals`` dual numbers; ``rank`` an int;
    ``s`` the singular values of ``a`` as numbers, with nan derivative parts where they are
    not differentiable (repeated or zero)."""
    a, b = _arr(a), _arr(b)
    vector = np.ndim(_value(b)) == 1  # as a column: directions lead, so x stays a matrix
    x, _, res, rank, s = apply(LSTSQ, (a, b[:, None] if vector else b),
                               need=(True, False, False, False, False), rcond=rcond)  # fmt: skip
    x = x[..., 0] if vector else x
    proto = x
    if np.size(res):  # |b - A x|² per column, with numpy's value
        r = b - a @ x
        res = _numpy_value(np.reshape(np.sum(r * r, axis=0), np.shape(res)), res)
    else:
        res = proto.zeros_like_parts(np.zeros((0,)))
    if isinstance(a, DualBase):
        try:
            s = svd(a, compute_uv=False)
        except NonDifferentiableError:
            z = proto.zeros_like_parts(np.asarray(s))
            s = z._from([z.value] + [np.full(np.shape(p), np.nan) for p in z._parts()[1:]])
    else:
        s = proto.zeros_like_parts(np.asarray(s))
    return x, res, rank, s


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """``A**n`` by repeated squaring with the product rule (``n < 0``: of ``inv(A)``)."""
    _square(a, "matrix_power")
    n = operator.index(n)
    if n < 0:
        a, n = inv(a), -n
    if n == 0:
        eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
        return a.zeros_like_parts(eye)
    if n == 3:  # numpy's short-cut and its order of products (bit for bit its value)
        return (a @ a) @ a
    z = result = None
    while n > 0:  # numpy's binary decomposition, least significant bit first
        z = a if z is None else z @ z
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else result @ z
    return result


@implements(np.linalg.matrix_rank)
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The rank of the value part (an integer: locally constant, no derivative)."""
    return np.linalg.matrix_rank(_value(A), tol=None if tol is None else _value(tol),
                                 hermitian=hermitian, rtol=rtol)  # fmt: skip


@implements(np.linalg.cond)
def cond(x, p=None):
    """``σ_max/σ_min`` (``p`` None, 2, -2) or ``‖A‖_p ‖A⁻¹‖_p``."""
    if p is None or p == 2:
        return norm(x, 2, axis=(-2, -1)) / norm(x, -2, axis=(-2, -1))
    if p == -2:
        return norm(x, -2, axis=(-2, -1)) / norm(x, 2, axis=(-2, -1))
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


@implements(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = a.shape
    inner = int(np.prod(shape[:ind]))
    return np.reshape(inv(np.reshape(a, (inner, -1))), shape[ind:] + shape[:ind])


@implements(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    a, b = _arr(a), _arr(b)
    an = np.ndim(_value(a))
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = np.transpose(a, allaxes)
    shape = np.shape(_value(a))
    old = shape[-(an - np.ndim(_value(b))) :]
    prod = int(np.prod(old))
    if int(np.prod(shape)) != prod**2:
        raise LinAlgError("Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) "
                          "== prod(a.shape[:b.ndim])")  # fmt: skip
    return np.reshape(solve(np.reshape(a, (prod, prod)), np.ravel(b)), old)


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """``A @ B @ ...`` left to right, with numpy's rules for 1-d first and last arrays
    (``out=`` is honoured by the dispatcher; numpy's cost-optimal order is not used: the
    products are exact in any order, only rounding differs)."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    acc = arrays[0]
    for b in arrays[1:]:
        acc = np.dot(acc, b)
    return acc


# ---------------------------------------------------------------- norms


def _vector_norm(x, ord, axes, keepdims):
    """Vector p-norms over ``axes``; the 2-norm scaled against overflow."""
    if ord in (None, 2):
        s = np.max(np.abs(x.value), axis=axes, keepdims=True)
        s = np.where(s == 0.0, 1.0, s)
        y = x / s
        res = np.sqrt(fn.dual_sum(fn._abs2(y), axis=axes, keepdims=True)) * s
    elif ord == np.inf:
        res = fn.dual_max(np.abs(x), axis=axes, keepdims=True)
    elif ord == -np.inf:
        res = fn.dual_min(np.abs(x), axis=axes, keepdims=True)
    elif ord == 0:
        res = x.zeros_like_parts(np.sum(x.value != 0, axis=axes, keepdims=True).astype(float))
    elif ord == 1:
        res = fn.dual_sum(np.abs(x), axis=axes, keepdims=True)
    elif isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    else:
        p = float(ord)
        res = fn.dual_sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1.0 / p)
    return _squeeze(res, x, axes, keepdims)


def _squeeze(res, x, axes, keepdims):
    if keepdims:
        return _finish(res)
    squeezed = tuple(n for i, n in enumerate(res.shape) if i not in axes)
    return _finish(fn.dual_reshape(res, squeezed))


def _matrix_norm(x, ord, axes, keepdims):
    row, col = axes
    if row == col:
        raise ValueError("Duplicate axes given.")
    if ord in (None, "fro", "f"):
        return _vector_norm(x, 2, axes, keepdims)
    if ord in (1, -1):
        sums = fn.dual_sum(np.abs(x), axis=row, keepdims=True)
        pick = fn.dual_max if ord == 1 else fn.dual_min
        return _squeeze(pick(sums, axis=col, keepdims=True), x, axes, keepdims)
    if ord in (np.inf, -np.inf):
        sums = fn.dual_sum(np.abs(x), axis=col, keepdims=True)
        pick = fn.dual_max if ord == np.inf else fn.dual_min
        return _squeeze(pick(sums, axis=row, keepdims=True), x, axes, keepdims)
    if ord in (2, -2, "nuc"):
        y = np.moveaxis(x, (row, col), (-2, -1))
        if isinstance(x, HyperDual):  # second order: through the full SVD rule
            s = svd(y, compute_uv=False)
            res = np.sum(s, axis=-1) if ord == "nuc" else s[..., 0 if ord == 2 else -1]
        elif ord == "nuc":
            res = _one(NUCLEAR, y)
        else:
            res = _one(SIGMA, y, which=0 if ord == 2 else -1)
        if keepdims:
            shape = list(x.shape)
            shape[row] = shape[col] = 1
            return _finish(fn.dual_reshape(res, tuple(shape)))
        return _finish(res)
    raise ValueError("Invalid norm order for matrices.")


def _numpy_value(res, value):
    """``res`` with its value part replaced by numpy's own (bit for bit; the derivative parts
    come from the overflow-safe formulas, which differ from numpy's value in the last bit)."""
    if not isinstance(res, DualBase):
        return res
    parts = list(res._parts())
    if not isinstance(value, DualBase):  # (nested derivatives: the value is a number itself)
        value = float(value) if np.ndim(value) == 0 else np.asarray(value)
    parts[0] = value
    return res._from(parts)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Every norm numpy's ``norm`` computes, with numpy's value (see :func:`_norm`)."""
    res = _norm(x, ord, axis, keepdims)
    return _numpy_value(res, np.linalg.norm(_value(x), ord, axis, keepdims))


def _norm(x, ord=None, axis=None, keepdims=False):
    """Every norm numpy's ``norm`` computes: vectors (``ord`` None, 2, inf, -inf, 0, 1, p)
    and matrices (None, 'fro', 'nuc', inf, -inf, 1, -1, 2, -2), over ``axis``, with
    ``keepdims``. 'nuc', 2 and -2 use the singular values (see :data:`SIGMA`)."""
    if not isinstance(x, DualBase):
        raise UnsupportedFunctionError("np.linalg.norm: the dual operand must be x")
    nd = x.ndim
    if axis is None:
        if ord is None:
            res = _vector_norm(x, 2, tuple(range(nd)), True)
            return _finish(res if keepdims else fn.dual_reshape(res, ()))
        if nd == 1:
            return _vector_norm(x, ord, (0,), keepdims)
        if nd == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        raise ValueError("Improper number of dimensions to norm.")
    axes = norm_axis(axis, nd)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _vector_norm_api(x, /, *, axis=None, keepdims=False, ord=2):
    value = np.linalg.vector_norm(_value(x), axis=axis, keepdims=keepdims, ord=ord)
    return _numpy_value(_vector_norm_dual(x, axis, keepdims, ord), value)


def _vector_norm_dual(x, axis, keepdims, ord):
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else norm_axis(axis, nd)
    if axis is None or len(axes) > 1:  # a flattened vector over those axes
        kept = tuple(i for i in range(nd) if i not in axes)
        y = fn.dual_reshape(np.transpose(x, kept + axes), tuple(x.shape[i] for i in kept) + (-1,))
        res = _vector_norm(y, ord, (len(kept),), False)
        if keepdims:
            res = fn.dual_reshape(res, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
        return _finish(res)
    return _vector_norm(x, ord, axes, keepdims)


def _matrix_norm_api(x, /, *, keepdims=False, ord="fro"):
    value = np.linalg.matrix_norm(_value(x), keepdims=keepdims, ord=ord)
    return _numpy_value(_matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims), value)


# ---------------------------------------------------------------- array-API aliases (numpy 2)


def _trace_api(x, /, *, offset=0, dtype=None):
    return np.trace(x, offset=offset, axis1=-2, axis2=-1)


def _diagonal_api(x, /, *, offset=0):
    return np.diagonal(x, offset=offset, axis1=-2, axis2=-1)


def _matrix_transpose_api(x, /):
    return np.swapaxes(x, -1, -2)


def _matmul_api(x1, x2, /):
    return np.matmul(x1, x2)


def _outer_api(x1, x2, /):
    if np.ndim(_value(x1)) != 1 or np.ndim(_value(x2)) != 1:
        raise ValueError("Input arrays must be one-dimensional")
    return np.outer(x1, x2)


def _tensordot_api(x1, x2, /, *, axes=2):
    return np.tensordot(x1, x2, axes=axes)


def _vecdot_api(x1, x2, /, *, axis=-1):
    x1, x2 = _arr(x1), _arr(x2)
    nd = max(np.ndim(_value(x1)), np.ndim(_value(x2)))
    ax = axis if axis < 0 else axis - nd  # counted from the right, as broadcasting aligns
    return fn.contract("...j", "...j", "...", np.moveaxis(x1, ax, -1), np.moveaxis(x2, ax, -1))


def _cross_api(x1, x2, /, *, axis=-1):
    for x in (x1, x2):
        if np.shape(_value(x))[axis] != 3:
            raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors")
    return cross(x1, x2, axis=axis)


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors padded with a zero z, as numpy), written
    with products of components so each is one product rule."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = np.moveaxis(a, axisa, -1)
    b = np.moveaxis(b, axisb, -1)
    na, nb = np.shape(_value(a))[-1], np.shape(_value(b))[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    a2 = a[..., 2] if na == 3 else 0.0
    b2 = b[..., 2] if nb == 3 else 0.0
    c = _stack3(a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, z)
    return np.moveaxis(c, -1, axisc)


def _stack3(x, y, z):
    shape = np.broadcast_shapes(*(np.shape(_value(t)) for t in (x, y, z)))
    parts = [np.broadcast_to(t, shape) for t in (x, y, z)]
    return np.stack(parts, axis=-1)


for _name, _impl in (
    ("trace", _trace_api),
    ("diagonal", _diagonal_api),
    ("matrix_transpose", _matrix_transpose_api),
    ("matmul", _matmul_api),
    ("outer", _outer_api),
    ("tensordot", _tensordot_api),
    ("vecdot", _vecdot_api),
    ("cross", _cross_api),
    ("vector_norm", _vector_norm_api),
    ("matrix_norm", _matrix_norm_api),
):
    if hasattr(np.linalg, _name):  # numpy >= 2.0 has them all; checked all the same
        implements(getattr(np.linalg, _name))(_impl)


LINALG_FUNCTIONS = tuple(
    f for f in fn.HANDLED_FUNCTIONS if getattr(f, "__module__", "") == "numpy.linalg"
)
"""The ``np.linalg`` functions dual numbers support (for :func:`dualdiff.supported_functions`)."""

__all__ = ["Rule", "apply", "solve_columns", "solve_any", "LINALG_FUNCTIONS"]
