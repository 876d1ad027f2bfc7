"""``np.linalg`` on dual and hyper-dual numbers.

References, all independent of dualdiff:

- mpmath at 50 digits: each function re-computed with mpmath's own linear algebra (``inverse``,
  ``det``, ``lu_solve``, ``cholesky``, ``qr``, ``eigsy``, ``eig``, ``svd_r``) on
  ``A(t, s) = A0 + t·B + s·C + t·s·D``, differentiated by central differences with step
  ``1e-12`` (error about ``1e-24`` for ``∂/∂t``, ``1e-20`` for ``∂²/∂t∂s``, far below double
  precision). A HyperDual ``(A0, B, C, D)`` must give ``∂f/∂t`` in ``eps1``, ``∂f/∂s`` in
  ``eps2`` and ``∂²f/∂t∂s = f'[D] + f''[B, C]`` in ``eps12``. Eigen- and singular vectors and
  ``Q`` have arbitrary signs: the mpmath ones are aligned with numpy's value at ``t = 0``,
  which is the branch the derivative follows.
- Identities: ``A A⁻¹ = I``, ``Q R = A``, ``L Lᵀ = A``, ``V diag(w) Vᵀ = A``,
  ``U diag(s) Vh = A`` hold to all orders, so their derivative parts are those of ``A``;
  ``det = Π eigenvalues``; ``solve(A, b) = inv(A) @ b``; the Hessian of ``log det`` is
  ``-tr(A⁻¹ dA A⁻¹ dB)``; the gradient of ``det`` is ``det · A⁻ᵀ``.
- The complex-step method on numpy's own complex ``inv``, ``det``, ``solve`` and
  ``matrix_power`` (analytic in the entries), over hypothesis-drawn matrices.
- numpy itself for the value part, which must be numpy's result bit for bit.

Every function runs as Dual (one direction and k directions), HyperDual (one pair and vector
mode with an ``eps12`` input part), on a stack of matrices, and with each operand pattern.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from numpy.linalg import LinAlgError
from strategies import complex_step, complex_step_second, float_arrays

import dualdiff as dd
from dualdiff import NonDifferentiableError, UnsupportedFunctionError

mp = mpmath.mp
DIGITS = 50
H = mpmath.mpf(10) ** -12
L = np.linalg
RTOL1 = 1e-11
RTOL2 = 1e-9
"""Normwise relative tolerances: first derivatives (the formulas lose a condition number of
the well-conditioned test matrices, a few units of 1e-14), second derivatives (a product of
two such losses)."""

RNG = np.random.default_rng(2024)


def _rand(*shape):
    return RNG.standard_normal(shape)


def _spd(n):
    a = _rand(n, n)
    return a @ a.T + n * np.eye(n)


def _sym(n):
    a = _rand(n, n)
    return a + a.T + np.diag(np.arange(n) * 3.0)  # eigenvalues well apart


def _well(n):
    return _rand(n, n) + 3 * np.eye(n)


# ---------------------------------------------------------------- mpmath references


def _mp(a):
    return mpmath.matrix(np.asarray(a).tolist())


def _cols(m):
    return [[m[i, j] for i in range(m.rows)] for j in range(m.cols)]


def _np_of(m, rows=None, cols=None):
    rows = m.rows if rows is None else rows
    cols = m.cols if cols is None else cols
    return [[m[i, j] for j in range(cols)] for i in range(rows)]


def _flat(rows):
    out = []
    for r in rows:
        out.extend(r if isinstance(r, list) else [r])
    return out


def _lower_sym(m):
    n = m.rows
    s = mpmath.matrix(n, n)
    for i in range(n):
        for j in range(n):
            s[i, j] = m[max(i, j), min(i, j)]
    return s


def _align_cols(m, ref, rows=None, ncols=None):
    """Columns of ``m`` with signs matching the numpy value ``ref``; also the signs."""
    rows = m.rows if rows is None else rows
    ncols = ref.shape[1] if ncols is None else ncols
    signs = []
    for j in range(ncols):
        dot = sum(m[i, j] * ref[i, j] for i in range(rows))
        signs.append(1 if dot >= 0 else -1)
    return signs


def mp_inv(m, ref):
    return _flat(_np_of(mpmath.inverse(m)))


def mp_det(m, ref):
    return [mpmath.det(m)]


def mp_logdet(m, ref):
    return [mpmath.log(abs(mpmath.det(m)))]


def mp_cholesky(m, ref):
    return _flat(_np_of(mpmath.cholesky(_lower_sym(m))))


def mp_eigh(m, ref):
    e, q = mpmath.eigsy(_lower_sym(m))
    order = sorted(range(m.rows), key=lambda i: e[i])
    vecs = ref[1]
    out = [e[i] for i in order]
    cols = []
    for j, i in enumerate(order):
        col = [q[r, i] for r in range(m.rows)]
        if sum(c * v for c, v in zip(col, vecs[:, j])) < 0:
            col = [-c for c in col]
        cols.append(col)
    return out + [cols[j][r] for r in range(m.rows) for j in range(m.rows)]


def _upper_sym(m):
    return _lower_sym(m.T)


def mp_eigvalsh_upper(m, ref):
    return mp_eigvalsh(_upper_sym(m), ref)


def mp_cholesky_upper(m, ref):
    return _flat(_np_of(mpmath.cholesky(_upper_sym(m)).T))


def mp_svd_lower(m, ref):
    return mp_svd(_lower_sym(m), ref)


def mp_pinv_lower(m, ref):
    return mp_pinv(_lower_sym(m), ref)


def mp_eigvalsh(m, ref):
    e, _ = mpmath.eigsy(_lower_sym(m))
    return sorted(e[i] for i in range(m.rows))


def mp_eig(m, ref):
    e, er = mpmath.eig(m)
    w, vecs = ref
    out_w, out_v = [], []
    for j in range(m.rows):
        i = min(range(m.rows), key=lambda i: abs(e[i] - w[j]))
        out_w.append(mpmath.re(e[i]))
        col = [mpmath.re(er[r, i]) for r in range(m.rows)]
        nrm = mpmath.sqrt(sum(c * c for c in col))
        col = [c / nrm for c in col]
        if sum(c * v for c, v in zip(col, vecs[:, j])) < 0:
            col = [-c for c in col]
        out_v.append(col)
    return out_w + [out_v[j][r] for r in range(m.rows) for j in range(m.rows)]


def mp_svd(m, ref):
    u, s, v = mpmath.svd_r(m, full_matrices=False)
    k = min(m.rows, m.cols)
    un, _, vhn = ref
    signs = _align_cols(u, un, ncols=k)
    uu = [[u[i, j] * signs[j] for j in range(k)] for i in range(m.rows)]
    vv = [[v[i, j] * signs[i] for j in range(m.cols)] for i in range(k)]
    return _flat(uu) + [s[i] for i in range(k)] + _flat(vv)


def mp_svdvals(m, ref):
    s = mpmath.svd_r(m, compute_uv=False)
    return [s[i] for i in range(min(m.rows, m.cols))]


def mp_qr(m, ref):
    q, r = mpmath.qr(m, mode="skinny")
    qn, rn = ref
    k = min(m.rows, m.cols)
    signs = [1 if r[i, i] * rn[i, i] >= 0 else -1 for i in range(k)]
    qq = [[q[i, j] * signs[j] for j in range(k)] for i in range(m.rows)]
    rr = [[r[i, j] * signs[i] for j in range(m.cols)] for i in range(k)]
    return _flat(qq) + _flat(rr)


def mp_pinv(m, ref):
    mt = m.T
    if m.rows >= m.cols:
        return _flat(_np_of(mpmath.inverse(mt * m) * mt))
    return _flat(_np_of(mt * mpmath.inverse(m * mt)))


def mp_power3(m, ref):
    return _flat(_np_of(m * m * m))


def mp_power_neg2(m, ref):
    mi = mpmath.inverse(m)
    return _flat(_np_of(mi * mi))


def mp_norm2(m, ref):
    return [max(mpmath.svd_r(m, compute_uv=False))]


def mp_nuc(m, ref):
    return [sum(mpmath.svd_r(m, compute_uv=False))]


def mp_fro(m, ref):
    return [mpmath.sqrt(sum(m[i, j] ** 2 for i in range(m.rows) for j in range(m.cols)))]


def mp_cond(m, ref):
    s = mpmath.svd_r(m, compute_uv=False)
    return [max(s) / min(s)]


B_VEC = _rand(3)
B_MAT = _rand(3, 2)
B_TALL = _rand(5)


def mp_solve_vec(m, ref):
    return [mpmath.lu_solve(m, _mp(B_VEC))[i] for i in range(3)]


def mp_solve_mat(m, ref):
    return _flat(_np_of(mpmath.inverse(m) * _mp(B_MAT)))


def mp_lstsq(m, ref):
    mt = m.T
    return [v for v in mpmath.inverse(mt * m) * mt * _mp(B_TALL)]


class Case:
    def __init__(self, name, fn, mp_fn, a0):
        self.name, self.fn, self.mp_fn, self.a0 = name, fn, mp_fn, a0

    def __repr__(self):
        return self.name


def _tuple(f):
    return lambda a: tuple(f(a))


CASES = [
    Case("inv", L.inv, mp_inv, _well(3)),
    Case("det", L.det, mp_det, _well(3)),
    Case("slogdet", lambda a: L.slogdet(a)[1], mp_logdet, _well(3)),
    Case("solve_vector", lambda a: L.solve(a, B_VEC), mp_solve_vec, _well(3)),
    Case("solve_matrix", lambda a: L.solve(a, B_MAT), mp_solve_mat, _well(3)),
    Case("cholesky", L.cholesky, mp_cholesky, _spd(3)),
    Case("eigh", _tuple(L.eigh), mp_eigh, _sym(3)),
    Case("eigvalsh", L.eigvalsh, mp_eigvalsh, _sym(3)),
    Case("eigvalsh_U", lambda a: L.eigvalsh(a, "U"), mp_eigvalsh_upper, _sym(3)),
    Case("cholesky_upper", lambda a: L.cholesky(a, upper=True), mp_cholesky_upper, _spd(3)),
    Case("svd_hermitian", _tuple(lambda a: L.svd(a, hermitian=True)), mp_svd_lower, _sym(3)),
    Case("pinv_hermitian", lambda a: L.pinv(a, hermitian=True), mp_pinv_lower, _sym(3)),
    Case("eig", _tuple(L.eig), mp_eig, np.triu(_rand(3, 3), 1) + np.diag([1.0, 3.0, 6.0])),
    Case("svd", _tuple(L.svd), mp_svd, _rand(3, 3)),
    Case("svd_tall", _tuple(lambda a: L.svd(a, full_matrices=False)), mp_svd, _rand(4, 3)),
    Case("svd_wide", _tuple(lambda a: L.svd(a, full_matrices=False)), mp_svd, _rand(2, 4)),
    Case("svdvals", lambda a: L.svd(a, compute_uv=False), mp_svdvals, _rand(3, 4)),
    Case("qr", _tuple(L.qr), mp_qr, _rand(3, 3)),
    Case("qr_tall", _tuple(L.qr), mp_qr, _rand(4, 3)),
    Case("pinv_tall", L.pinv, mp_pinv, _rand(4, 3)),
    Case("pinv_wide", L.pinv, mp_pinv, _rand(2, 4)),
    Case("lstsq", lambda a: L.lstsq(a, B_TALL)[0], mp_lstsq, _rand(5, 3)),
    Case("matrix_power_3", lambda a: L.matrix_power(a, 3), mp_power3, _rand(3, 3)),
    Case("matrix_power_-2", lambda a: L.matrix_power(a, -2), mp_power_neg2, _well(3)),
    Case("norm_2", lambda a: L.norm(a, 2), mp_norm2, _rand(3, 3)),
    Case("norm_nuc", lambda a: L.norm(a, "nuc"), mp_nuc, _rand(3, 4)),
    Case("norm_fro", lambda a: L.norm(a, "fro"), mp_fro, _rand(3, 4)),
    Case("cond", L.cond, mp_cond, _well(3)),
]
IDS = [c.name for c in CASES]


def _outputs(res) -> tuple:
    return res if isinstance(res, tuple) else (res,)


def _mp_point(case, a0, ref, dirs):
    """mpmath's outputs at ``A0 + Σ t_i·dirs_i`` as a function of ``t``."""
    m0 = _mp(a0)
    mds = [_mp(d) for d in dirs]

    def f(*t):
        m = m0.copy()
        for ti, md in zip(t, mds):
            if ti:
                m = m + ti * md
        return case.mp_fn(m, ref)

    return f


def mp_first(case, a0, ref, b):
    """``∂f(A0 + t·b)/∂t`` at 0, one float per output element."""
    with mpmath.workdps(DIGITS):
        f = _mp_point(case, a0, ref, [b])
        hi, lo = f(H), f(-H)
        return np.array([float((p - q) / (2 * H)) for p, q in zip(hi, lo)])


def mp_mixed(case, a0, ref, b, c, d):
    """``∂²f(A0 + t·b + s·c + t·s·d)/∂t∂s`` at 0."""
    with mpmath.workdps(DIGITS):
        m0, mb, mc, md = _mp(a0), _mp(b), _mp(c), _mp(d)

        def f(t, s):
            return case.mp_fn(m0 + t * mb + s * mc + (t * s) * md, ref)

        pp, pm, mp_, mm = f(H, H), f(H, -H), f(-H, H), f(-H, -H)
        return np.array(
            [float((a - b_ - c_ + d_) / (4 * H * H)) for a, b_, c_, d_ in zip(pp, pm, mp_, mm)]
        )


def _ref_value(case):
    return _outputs(case.fn(case.a0))


def _concat(parts):
    return np.concatenate([np.ravel(p) for p in parts])


def _close(got, want, rtol):
    scale = max(1.0, float(np.max(np.abs(want))))
    err = float(np.max(np.abs(got - want)))
    assert err <= rtol * scale, f"error {err:.3g} > {rtol:.1g} · {scale:.3g}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dual_matches_mpmath_and_numpy_value(case):
    b = _rand(*case.a0.shape)
    res = _outputs(case.fn(dd.Dual(case.a0, b)))
    for r, v in zip(res, _ref_value(case)):
        np.testing.assert_array_equal(r.value, v)  # numpy's own value, bit for bit
    _close(_concat([r.dual for r in res]), mp_first(case, case.a0, _ref_value(case), b), RTOL1)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dual_vector_mode_matches_mpmath(case):
    k = 3
    dirs = _rand(*case.a0.shape, k)
    res = _outputs(case.fn(dd.Dual(case.a0, dirs)))
    ref = _ref_value(case)
    for j in range(k):
        got = _concat([r.dual[..., j] for r in res])
        _close(got, mp_first(case, case.a0, ref, dirs[..., j]), RTOL1)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hyperdual_matches_mpmath(case):
    shape = case.a0.shape
    b, c, d = _rand(*shape), _rand(*shape), _rand(*shape)
    res = _outputs(case.fn(dd.HyperDual(case.a0, b, c, d)))
    ref = _ref_value(case)
    for r, v in zip(res, ref):
        np.testing.assert_array_equal(r.value, v)
    _close(_concat([r.eps1 for r in res]), mp_first(case, case.a0, ref, b), RTOL1)
    _close(_concat([r.eps2 for r in res]), mp_first(case, case.a0, ref, c), RTOL1)
    _close(_concat([r.eps12 for r in res]), mp_mixed(case, case.a0, ref, b, c, d), RTOL2)


VECTOR_HYPER = ["inv", "det", "solve_vector", "cholesky", "eigh", "svd", "qr_tall", "pinv_wide"]


@pytest.mark.parametrize("case", [c for c in CASES if c.name in VECTOR_HYPER], ids=VECTOR_HYPER)
def test_hyperdual_vector_mode_matches_mpmath(case):
    shape = case.a0.shape
    b, c, d = _rand(*shape, 2), _rand(*shape, 3), _rand(*shape, 2, 3)
    res = _outputs(case.fn(dd.HyperDual(case.a0, b, c, d)))
    ref = _ref_value(case)
    for i, j in [(0, 0), (1, 2)]:
        got = _concat([r.eps12[..., i, j] for r in res])
        _close(got, mp_mixed(case, case.a0, ref, b[..., i], c[..., j], d[..., i, j]), RTOL2)
    _close(_concat([r.eps1[..., 1] for r in res]), mp_first(case, case.a0, ref, b[..., 1]), RTOL1)
    _close(_concat([r.eps2[..., 2] for r in res]), mp_first(case, case.a0, ref, c[..., 2]), RTOL1)


def test_hyperdual_shared_seed_and_mixed_modes():
    """One seed in both directions (eps1 is eps2, as the Hessian drivers seed), and a vector
    eps1 with a scalar eps2: the same numbers as the general form."""
    a0 = _well(3)
    b = _rand(3, 3)
    shared = L.inv(dd.HyperDual(a0, b, b, 0.0))
    general = L.inv(dd.HyperDual(a0, b, b.copy(), 0.0))
    assert shared.eps1 is shared.eps2
    np.testing.assert_allclose(shared.eps12, general.eps12, rtol=1e-14, atol=1e-14)
    bs = _rand(3, 3, 2)
    mixed = L.det(dd.HyperDual(a0, bs, b, np.zeros((3, 3, 2))))
    for i in range(2):
        one = L.det(dd.HyperDual(a0, bs[..., i], b, 0.0))
        np.testing.assert_allclose(mixed.eps12[i], one.eps12, rtol=1e-13)
        np.testing.assert_allclose(mixed.eps1[i], one.eps1, rtol=1e-13)


# ---------------------------------------------------------------- operand patterns, batches


@pytest.mark.parametrize("pattern", ["A", "b", "both"])
@pytest.mark.parametrize("kind", ["dual", "hyper"])
def test_solve_operand_patterns_against_mpmath(pattern, kind):
    """solve(A_dual, b), solve(A, b_dual), solve(A_dual, b_dual): against mpmath's lu_solve of
    the perturbed system (both perturbed by t, s together)."""
    a0, b0 = _well(3), _rand(3)
    moves_a, moves_b = pattern != "b", pattern != "A"
    da, dc = _rand(3, 3) * moves_a, _rand(3, 3) * moves_a
    db, dcb = _rand(3) * moves_b, _rand(3) * moves_b

    def mp_x(t, s):
        m = _mp(a0) + t * _mp(da) + s * _mp(dc)
        rhs = _mp(b0) + t * _mp(db) + s * _mp(dcb)
        return mpmath.lu_solve(m, rhs)

    with mpmath.workdps(DIGITS):
        first = [float(v) for v in (mp_x(H, 0) - mp_x(-H, 0)) / (2 * H)]
        mixed = [
            float(v) for v in (mp_x(H, H) - mp_x(H, -H) - mp_x(-H, H) + mp_x(-H, -H)) / (4 * H * H)
        ]
    if kind == "dual":
        a = dd.Dual(a0, da) if pattern != "b" else a0
        b = dd.Dual(b0, db) if pattern != "A" else b0
        x = L.solve(a, b)
        np.testing.assert_array_equal(x.value, L.solve(a0, b0))
        _close(x.dual, np.array(first), RTOL1)
        return
    zero_a, zero_b = np.zeros((3, 3)), np.zeros(3)
    a = dd.HyperDual(a0, da, dc, zero_a) if pattern != "b" else a0
    b = dd.HyperDual(b0, db, dcb, zero_b) if pattern != "A" else b0
    x = L.solve(a, b)
    _close(x.eps1, np.array(first), RTOL1)
    _close(x.eps12, np.array(mixed), RTOL2)


BATCHED = {
    "solve": lambda a: L.solve(a, np.ones(a.shape[-1])),
    "inv": L.inv,
    "det": L.det,
    "slogdet": lambda a: L.slogdet(a)[1],
    "eigh": lambda a: L.eigh(a + np.swapaxes(a, -1, -2)).eigenvectors,
    "svd": lambda a: L.svd(a).S,
    "cholesky": lambda a: L.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1])),
    "qr": lambda a: L.qr(a).R,
    "pinv": L.pinv,
}


@pytest.mark.parametrize("name", list(BATCHED))
@pytest.mark.parametrize("kind", ["dual", "dual_vector", "hyper_vector"])
def test_batched_stacks_equal_one_matrix_at_a_time(name, kind):
    """A (2, 3, 3, 3) stack with k directions: each matrix's parts equal those of the same
    matrix alone (checked against mpmath above), so batching is numpy's."""
    f = BATCHED[name]
    a0 = _rand(2, 3, 3, 3) + 3 * np.eye(3)
    b = _rand(2, 3, 3, 3, 2)
    if kind == "dual":
        b = b[..., 0]
    if kind.startswith("dual"):
        whole = f(dd.Dual(a0, b))
        one = [f(dd.Dual(a0[i, j], b[i, j])) for i in range(2) for j in range(3)]
        names = ("value", "dual")
    else:
        c, d = _rand(2, 3, 3, 3, 2), _rand(2, 3, 3, 3, 2, 2)
        whole = f(dd.HyperDual(a0, b, c, d))
        idx = [(i, j) for i in range(2) for j in range(3)]
        one = [f(dd.HyperDual(a0[ij], b[ij], c[ij], d[ij])) for ij in idx]
        names = ("value", "eps1", "eps2", "eps12")
    for n in names:
        stacked = np.stack([getattr(o, n) for o in one]).reshape(getattr(whole, n).shape)
        np.testing.assert_allclose(getattr(whole, n), stacked, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["dual_vector", "hyper_vector"])
def test_lstsq_operand_patterns(kind):
    """lstsq(A, b) for A dual, b dual, both: x = pinv(A) @ b (the pseudo-inverse rule, checked
    against mpmath above), and the residuals are |b - A x|²."""
    seed = KINDS[kind]
    a0, b0 = _rand(5, 3), _rand(5)
    a, b = seed(a0), seed(b0)
    for aa, bb in [(a, b0), (a0, b), (a, b)]:
        x, res, rank, _ = L.lstsq(aa, bb)
        _same_parts(x, L.pinv(aa) @ bb)
        r = bb - aa @ x
        _same_parts(res, np.reshape(np.sum(r * r), (1,)))
        assert rank == 3


def test_solve_broadcasts_like_numpy():
    """One matrix against a stack of right-hand sides, and a stack of matrices against one."""
    a0, bs = _well(3), _rand(4, 3, 2)
    da = _rand(3, 3, 5)
    x = L.solve(dd.Dual(a0, da), bs)
    assert x.value.shape == (4, 3, 2) and x.dual.shape == (4, 3, 2, 5)
    for i in range(4):
        np.testing.assert_allclose(x.dual[i], L.solve(dd.Dual(a0, da), bs[i]).dual, rtol=1e-13)
    stack = _rand(4, 3, 3) + 3 * np.eye(3)
    y = L.solve(stack, dd.Dual(bs[0], _rand(3, 2, 5)))
    assert y.dual.shape == (4, 3, 2, 5)


def test_every_direction_goes_through_one_factorisation(monkeypatch):
    """k directions: solve factorises A once for the value and once for all k derivative
    columns; det once (an inverse), whatever k."""
    import dualdiff._linalg as la

    calls = []
    real_solve, real_inv = np.linalg.solve, np.linalg.inv

    def solve(a, b):
        calls.append(("solve", np.shape(a), np.shape(b)))
        return real_solve(a, b)

    def inv(a):
        calls.append(("inv", np.shape(a)))
        return real_inv(a)

    monkeypatch.setattr(la.np.linalg, "solve", solve)
    monkeypatch.setattr(la.np.linalg, "inv", inv)
    a = dd.Dual(_well(6), _rand(6, 6, 10))
    x = la.solve(a, np.ones(6))  # the handler itself (np.linalg.solve is the counter now)
    assert calls == [("solve", (6, 6), (6, 1)), ("solve", (6, 6), (6, 10))]
    assert x.dual.shape == (6, 10)
    calls.clear()
    la.det(a)
    assert calls == [("inv", (6, 6))]


# ---------------------------------------------------------------- identities


def _dual_parts(x):
    return [p for p in x._parts()[1:]]


KINDS = {
    "dual": lambda a: dd.Dual(a, _rand(*a.shape)),
    "dual_vector": lambda a: dd.Dual(a, _rand(*a.shape, 4)),
    "hyper": lambda a: dd.HyperDual(a, _rand(*a.shape), _rand(*a.shape), _rand(*a.shape)),
    "hyper_vector": lambda a: dd.HyperDual(
        a, _rand(*a.shape, 2), _rand(*a.shape, 3), _rand(*a.shape, 2, 3)
    ),
}


def _same_parts(x, y, rtol=1e-10):
    """Equal parts, norm-wise: a part of a product of factorisations is a sum of terms as
    large as the condition number times the seed (random per run), so rounding is relative
    to that, not to a part that is exactly zero; a wrong formula gives errors of order 1."""
    for p, q in zip(x._parts(), y._parts()):
        scale = max(1.0, float(np.max(np.abs(q))))
        np.testing.assert_allclose(p, q, rtol=0, atol=rtol * scale)


def _sym_lower(x):
    """The symmetric matrix numpy's eigh/cholesky read from the lower triangle."""
    n = x.shape[-1]
    low = x * np.tri(n)
    return low + np.swapaxes(low * (1 - np.eye(n)), -1, -2)


@pytest.mark.parametrize("kind", list(KINDS))
def test_reconstruction_identities(kind):
    """Factorisations rebuild their input to every order: derivative parts of the product
    equal those of the input (of the triangle read, for eigh and cholesky)."""
    seed = KINDS[kind]
    a = seed(_well(3))
    _same_parts(a @ L.inv(a), a.zeros_like_parts(np.eye(3)))
    _same_parts(L.inv(a) @ a, a.zeros_like_parts(np.eye(3)))
    q, r = L.qr(a)
    _same_parts(q @ r, a)
    _same_parts(np.swapaxes(q, -1, -2) @ q, a.zeros_like_parts(np.eye(3)))
    u, s, vh = L.svd(a)
    _same_parts((u * s[..., None, :]) @ vh, a)
    sp = seed(_spd(3))
    chol = L.cholesky(sp)
    _same_parts(chol @ np.swapaxes(chol, -1, -2), _sym_lower(sp))
    sy = seed(_sym(3))
    w, v = L.eigh(sy)
    _same_parts((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), _sym_lower(sy))
    t = seed(np.triu(_rand(3, 3), 1) + np.diag([1.0, 2.0, 4.0]))
    w, v = L.eig(t)
    _same_parts(t @ v, v * w[..., None, :])


@pytest.mark.parametrize("kind", list(KINDS))
def test_det_solve_and_pinv_identities(kind):
    seed = KINDS[kind]
    sy = seed(_sym(3))
    _same_parts(L.det(_sym_lower(sy)), np.prod(L.eigvalsh(sy)))
    a = seed(_well(4))
    b = np.arange(4.0)
    _same_parts(L.solve(a, b), L.inv(a) @ b)
    sign, logabs = L.slogdet(a)
    _same_parts(np.log(np.abs(L.det(a))), logabs)
    assert sign == np.sign(L.det(a.value))
    tall = seed(_rand(5, 3))
    _same_parts(L.pinv(tall), L.inv(np.swapaxes(tall, -1, -2) @ tall) @ np.swapaxes(tall, -1, -2))
    _same_parts(L.lstsq(tall, np.arange(5.0))[0], L.pinv(tall) @ np.arange(5.0))
    _same_parts(L.matrix_power(a, 3), a @ a @ a)
    _same_parts(L.matrix_power(a, 0), a.zeros_like_parts(np.eye(4)))
    _same_parts(L.norm(a, "nuc"), np.sum(L.svd(a, compute_uv=False)))
    _same_parts(L.norm(a, 2), L.svd(a, compute_uv=False)[0])
    _same_parts(L.norm(a, -2), L.svd(a, compute_uv=False)[-1])


def test_hessian_of_logdet():
    """``∂² log det A / ∂A_ij ∂A_kl = -(A⁻¹)_li (A⁻¹)_jk``."""
    a = _spd(3)
    ai = np.linalg.inv(a)
    h = dd.hessian(lambda x: L.slogdet(x.reshape(3, 3))[1], a.ravel())
    ref = -np.einsum("li,jk->ijkl", ai, ai).reshape(9, 9)
    np.testing.assert_allclose(h, ref, rtol=1e-12, atol=1e-14)
    h2 = dd.hessian(lambda x: np.log(L.det(x.reshape(3, 3))), a.ravel())
    np.testing.assert_allclose(h2, ref, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- drivers: the five core cases


def test_gradient_of_det_is_det_times_inverse_transpose():
    a = _well(3)
    g = dd.gradient(lambda x: L.det(x.reshape(3, 3)), a.ravel())
    np.testing.assert_allclose(g, (L.det(a) * L.inv(a).T).ravel(), rtol=1e-13)


def test_hessian_of_det():
    """``∂² det A / ∂A_ij ∂A_kl = det A · ((A⁻¹)_ji (A⁻¹)_lk - (A⁻¹)_li (A⁻¹)_jk)``."""
    a = _well(3)
    ai, d = L.inv(a), L.det(a)
    ref = d * (np.einsum("ji,lk->ijkl", ai, ai) - np.einsum("li,jk->ijkl", ai, ai))
    h = dd.hessian(lambda x: L.det(x.reshape(3, 3)), a.ravel())
    np.testing.assert_allclose(h, ref.reshape(9, 9), rtol=1e-11, atol=1e-12 * abs(d))


def test_jacobian_of_inv_and_solve():
    """``∂(A⁻¹)_ab/∂A_ij = -(A⁻¹)_ai (A⁻¹)_jb``; ``∂x/∂A_ij = -(A⁻¹)_:i x_j``, ``∂x/∂b = A⁻¹``."""
    a, b = _well(3), _rand(3)
    ai = L.inv(a)
    j = dd.jacobian(lambda x: L.inv(x.reshape(3, 3)), a.ravel())
    np.testing.assert_allclose(j.reshape(3, 3, 3, 3), -np.einsum("ai,jb->abij", ai, ai), rtol=1e-12)
    x = L.solve(a, b)
    ja = dd.jacobian(lambda v: L.solve(v.reshape(3, 3), b), a.ravel())
    np.testing.assert_allclose(ja.reshape(3, 3, 3), -np.einsum("ai,j->aij", ai, x), rtol=1e-12)
    jb = dd.jacobian(lambda v: L.solve(a, v), b)
    np.testing.assert_allclose(jb, ai, rtol=1e-13)


def test_gradient_and_hessian_of_the_largest_eigenvalue():
    """``∇λ = v vᵀ``; ``∂²λ/∂A∂A = 2 Σ_{j≠n} (v_j ⊗ v)(v_j ⊗ v)ᵀ / (λ - λ_j)`` symmetrised, for
    ``λ_max((X + Xᵀ)/2)``."""
    s = _sym(3)
    w, v = L.eigh(s)

    def f(x):
        m = x.reshape(3, 3)
        return L.eigvalsh((m + m.T) / 2)[-1]

    g = dd.gradient(f, s.ravel())
    np.testing.assert_allclose(g, np.outer(v[:, -1], v[:, -1]).ravel(), rtol=1e-12, atol=1e-14)
    ref = np.zeros((9, 9))
    for j in range(2):
        # symmetric perturbation E ↦ (E + Eᵀ)/2: d λ_j-coupling = v_jᵀ sym(E) v
        c = (np.outer(v[:, j], v[:, -1]) + np.outer(v[:, -1], v[:, j])).ravel() / 2
        ref += 2 * np.outer(c, c) / (w[-1] - w[j])
    h = dd.hessian(f, s.ravel())
    np.testing.assert_allclose(h, ref, rtol=1e-10, atol=1e-12)


def test_gradient_and_hessian_of_the_largest_singular_value():
    """``∇σ = u vᵀ``; the Hessian against mpmath's second differences of σ_max on 2×2."""
    a = _rand(3, 3)
    u, s, vh = L.svd(a)
    g = dd.gradient(lambda x: L.svd(x.reshape(3, 3), compute_uv=False)[0], a.ravel())
    np.testing.assert_allclose(g, np.outer(u[:, 0], vh[0]).ravel(), rtol=1e-12, atol=1e-14)
    a2 = _rand(2, 2)
    h = dd.hessian(lambda x: L.svd(x.reshape(2, 2))[1][0], a2.ravel())
    case = Case("norm_2", None, mp_norm2, a2)
    e = np.eye(4)
    ref = np.array(
        [
            [
                mp_mixed(case, a2, None, e[i].reshape(2, 2), e[j].reshape(2, 2), 0 * a2)[0]
                for j in range(4)
            ]  # fmt: skip
            for i in range(4)
        ]
    )
    np.testing.assert_allclose(h, ref, rtol=1e-9, atol=1e-10)


def test_hessian_of_solve_and_inv_sums():
    """``f = cᵀ A⁻¹ b``: ``∂²f/∂A_ij∂A_kl = (A⁻ᵀc)_k x_j (A⁻¹)_li + (A⁻ᵀc)_i x_l (A⁻¹)_jk``."""
    a, b, c = _well(3), _rand(3), _rand(3)
    ai = L.inv(a)
    x, y = ai @ b, ai.T @ c
    ref = (np.einsum("k,j,li->ijkl", y, x, ai) + np.einsum("i,l,jk->ijkl", y, x, ai)).reshape(9, 9)
    h = dd.hessian(lambda v: c @ L.solve(v.reshape(3, 3), b), a.ravel())
    np.testing.assert_allclose(h, ref, rtol=1e-11, atol=1e-13)
    h2 = dd.hessian(lambda v: c @ L.inv(v.reshape(3, 3)) @ b, a.ravel())
    np.testing.assert_allclose(h2, ref, rtol=1e-11, atol=1e-13)


# ---------------------------------------------------------------- norms of every order


MATRIX_ORDS = [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2]
VECTOR_ORDS = [None, np.inf, -np.inf, 0, 1, -1, 2, 3, 0.5]


def _fd_norm(f, a, b):
    """Reference for the piecewise-linear norms: central differences (exact up to rounding
    where the norm is linear near ``a``, which it is for the random ``a`` used)."""
    h = 1e-6
    return (f(a + h * b) - f(a - h * b)) / (2 * h)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms(ord, keepdims):
    a0 = _rand(2, 3, 4)
    b = _rand(2, 3, 4)
    axis = (2, 0)
    res = L.norm(dd.Dual(a0, b), ord, axis=axis, keepdims=keepdims)
    want = L.norm(a0, ord, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(res.value, want, rtol=1e-14)
    assert res.value.shape == want.shape
    with mpmath.workdps(DIGITS):
        for j in range(3):
            m0 = _mp(a0[:, j, :].T)
            mb = _mp(b[:, j, :].T)
            ref = _mp_matrix_norm(ord)
            d = (ref(m0 + H * mb) - ref(m0 - H * mb)) / (2 * H)
            got = res.dual[..., j, :].ravel()[0] if keepdims else res.dual[j]
            assert abs(got - float(d)) <= 1e-10 * max(1, abs(float(d)))


def _mp_matrix_norm(ord):
    def f(m):
        rows, cols = m.rows, m.cols
        if ord in (None, "fro"):
            return mpmath.sqrt(sum(m[i, j] ** 2 for i in range(rows) for j in range(cols)))
        if ord in ("nuc", 2, -2):
            s = mpmath.svd_r(m, compute_uv=False)
            return sum(s) if ord == "nuc" else (max(s) if ord == 2 else min(s))
        col_sums = [sum(abs(m[i, j]) for i in range(rows)) for j in range(cols)]
        row_sums = [sum(abs(m[i, j]) for j in range(cols)) for i in range(rows)]
        return {1: max(col_sums), -1: min(col_sums), np.inf: max(row_sums),
                -np.inf: min(row_sums)}[ord]  # fmt: skip

    return f


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norms(ord):
    a0, b = _rand(3, 5), _rand(3, 5)
    res = L.norm(dd.Dual(a0, b), ord, axis=1)
    np.testing.assert_allclose(res.value, L.norm(a0, ord, axis=1), rtol=1e-14)
    for j in range(3):
        x, v = a0[j], b[j]
        if ord == 0:
            want = 0.0
        elif ord in (None, 2):
            want = x @ v / np.linalg.norm(x)
        elif ord == np.inf:
            i = np.argmax(np.abs(x))
            want = np.sign(x[i]) * v[i]
        elif ord == -np.inf:
            i = np.argmin(np.abs(x))
            want = np.sign(x[i]) * v[i]
        else:
            p = float(ord)
            nrm = np.sum(np.abs(x) ** p) ** (1 / p)
            want = nrm ** (1 - p) * np.sum(np.abs(x) ** (p - 1) * np.sign(x) * v)
        np.testing.assert_allclose(res.dual[j], want, rtol=1e-12, atol=1e-14)


def test_norm_of_no_axis_and_the_array_api_norms():
    a0, b = _rand(2, 3, 4), _rand(2, 3, 4)
    x = dd.Dual(a0, b)
    whole = L.norm(x)
    np.testing.assert_allclose(whole.dual, a0.ravel() @ b.ravel() / L.norm(a0), rtol=1e-13)
    with pytest.raises(ValueError, match="Improper number of dimensions"):
        L.norm(x, 1)
    vn = L.vector_norm(x, axis=(0, 2), ord=3, keepdims=True)
    assert vn.value.shape == L.vector_norm(a0, axis=(0, 2), ord=3, keepdims=True).shape
    mn = L.matrix_norm(x, ord="nuc")
    _same_parts(mn, L.norm(x, "nuc", axis=(-2, -1)))


# ---------------------------------------------------------------- the array-API functions


def test_array_api_functions():
    a, b = KINDS["hyper_vector"](_rand(3, 3)), _rand(3, 3)
    _same_parts(L.matmul(a, b), a @ b)
    _same_parts(L.trace(a), np.trace(a))
    _same_parts(L.diagonal(a, offset=1), np.diagonal(a, offset=1))
    _same_parts(L.matrix_transpose(a), np.swapaxes(a, -1, -2))
    _same_parts(L.outer(a[0], b[1]), a[0][:, None] * b[1])
    _same_parts(L.tensordot(a, b, axes=1), a @ b)
    _same_parts(L.vecdot(a, b), np.sum(a * b, axis=-1))
    _same_parts(L.vecdot(a, b, axis=0), np.sum(a * b, axis=0))
    c = L.cross(a, b)
    for i in range(3):  # cross product components, written out
        j, k = (i + 1) % 3, (i + 2) % 3
        _same_parts(c[:, i], a[:, j] * b[:, k] - a[:, k] * b[:, j])
    _same_parts(np.cross(a[:, :2], b[:, :2]), a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    _same_parts(L.multi_dot([a, b, a[0]]), a @ b @ a[0])
    _same_parts(L.multi_dot([a[0], b, a]), a[0] @ b @ a)
    assert L.matrix_rank(a) == 3
    t = KINDS["dual_vector"](_well(4))
    _same_parts(L.tensorinv(t.reshape(2, 2, 2, 2)).reshape(4, 4), L.inv(t))
    _same_parts(L.tensorsolve(t.reshape(2, 2, 4), np.ones((2, 2))), L.solve(t, np.ones(4)))
    _same_parts(L.cond(t, 1), L.norm(t, 1) * L.norm(L.inv(t), 1))
    t6 = KINDS["dual_vector"](_well(6))
    a6 = np.transpose(t6.reshape(2, 3, 3, 2), (0, 3, 1, 2))  # axes moved to the end by axes=
    rhs = _rand(3, 2)
    got = L.tensorsolve(a6, rhs, axes=(1,))
    _same_parts(got, L.tensorsolve(t6.reshape(2, 3, 3, 2), rhs))
    np.testing.assert_array_equal(got.value, L.tensorsolve(a6.value, rhs, axes=(1,)))


def test_supported_functions_lists_linalg():
    names = dd.supported_functions()["functions"]
    for n in ["solve", "inv", "det", "slogdet", "cholesky", "qr", "eigh", "eigvalsh", "eig",
              "eigvals", "svd", "lstsq", "pinv", "matrix_power", "matrix_rank", "norm",
              "multi_dot", "cond", "tensorinv", "tensorsolve"]:  # fmt: skip
        assert "linalg." + n in names, n
    assert "trace" in names and "cross" in names


# ---------------------------------------------------------------- errors and singular points


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: L.eigh(x), "eigh"),
        (lambda x: L.eigvalsh(x), "eigh"),
        (lambda x: L.eig(x), "eig"),
        (lambda x: L.svd(x), "svd"),
        (lambda x: L.svd(x, compute_uv=False), "svd"),
    ],
)
@pytest.mark.parametrize("kind", ["dual", "hyper"])
def test_repeated_values_raise(call, name, kind):
    x = KINDS[kind](np.diag([2.0, 2.0, 5.0]))
    with pytest.raises(NonDifferentiableError, match=rf"np\.linalg\.{name}: .* coincide"):
        call(x)


def test_zero_singular_value_and_rank_deficiency_raise():
    rank2 = np.diag([3.0, 1.0, 0.0])
    with pytest.raises(NonDifferentiableError, match="zero"):
        L.svd(KINDS["dual"](rank2))
    with pytest.raises(NonDifferentiableError, match="rank-deficient"):
        L.qr(KINDS["dual"](rank2))
    with pytest.raises(NonDifferentiableError, match="full_matrices=False"):
        L.svd(KINDS["dual"](_rand(4, 3)))
    with pytest.raises(NonDifferentiableError, match="mode='reduced'"):
        L.qr(KINDS["dual"](_rand(4, 3)), mode="complete")
    with pytest.raises(UnsupportedFunctionError, match="complex eigenvalues"):
        L.eig(KINDS["dual"](np.array([[0.0, -1.0], [1.0, 0.0]])))


def test_singular_matrices_behave_as_numpy():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    for f in (L.inv, lambda a: L.solve(a, np.ones(2))):
        with pytest.raises(LinAlgError):
            f(s)
        with pytest.raises(LinAlgError):
            f(KINDS["dual"](s))
    with pytest.raises(LinAlgError):
        L.cholesky(KINDS["dual"](-np.eye(2)))
    # numpy's det of a singular matrix is 0; its derivative is tr(adj(A) dA) (2×2:
    # adj = [[d, -b], [-c, a]])
    db = _rand(2, 2)
    d = L.det(dd.Dual(s, db))
    assert d.value == L.det(s)
    adj = np.array([[s[1, 1], -s[0, 1]], [-s[1, 0], s[0, 0]]])
    np.testing.assert_allclose(d.dual, np.trace(adj @ db), rtol=1e-13)
    sign, logabs = L.slogdet(dd.Dual(s, db))
    assert sign == 0 and logabs.value == -np.inf and np.isinf(logabs.dual)
    with pytest.raises(LinAlgError, match="singular"):
        L.det(KINDS["hyper"](s))


def test_rank_and_value_only_functions():
    a = KINDS["dual"](np.diag([1.0, 2.0, 0.0]))
    assert L.matrix_rank(a) == 2
    assert isinstance(L.matrix_rank(a), np.integer | int)
    a0 = _rand(5, 3)
    x, res, rank, sv = L.lstsq(KINDS["dual"](a0), np.ones(5))
    want = L.lstsq(a0, np.ones(5))
    np.testing.assert_array_equal(x.value, want[0])
    np.testing.assert_array_equal(res.value, want[1])
    np.testing.assert_allclose(sv.value, want[3], rtol=1e-14)
    assert rank == want[2] == 3


def test_lstsq_rank_deficient_keeps_values_and_marks_singular_values():
    """Rank 2 of 3: x is the minimum-norm solution, and along a direction that keeps the rank
    (the third column stays equal to the second) its derivative is that of numpy's lstsq
    (central differences, step 1e-6: the function is smooth along it); ``s`` keeps numpy's
    values with nan derivative parts (a zero singular value has none)."""
    a0, da = _rand(5, 3), _rand(5, 3)
    a0[:, 2] = a0[:, 1]
    da[:, 2] = da[:, 1]
    b = _rand(5)
    x, res, rank, sv = L.lstsq(dd.Dual(a0, da), b)
    want = L.lstsq(a0, b)
    np.testing.assert_allclose(x.value, want[0], rtol=1e-12)
    h = 1e-6
    fd = (L.lstsq(a0 + h * da, b)[0] - L.lstsq(a0 - h * da, b)[0]) / (2 * h)
    np.testing.assert_allclose(x.dual, fd, rtol=1e-7, atol=1e-8)
    assert rank == 2 and res.value.shape == (0,)
    np.testing.assert_array_equal(sv.value, want[3])
    assert np.all(np.isnan(sv.dual))


ANALYTIC = {
    "inv": L.inv,
    "det": L.det,
    "solve": lambda a: L.solve(a, np.arange(1.0, 4.0)),
    "matrix_power": lambda a: L.matrix_power(a, 4),
}


@pytest.mark.parametrize("name", list(ANALYTIC))
@given(
    m=float_arrays((3, 3), bound=1.0),
    b=float_arrays((3, 3), bound=1.0),
    c=float_arrays((3, 3), bound=1.0),
)
def test_analytic_functions_against_complex_step(name, m, b, c):
    """inv, det, solve, matrix_power are analytic in the entries of A: numpy's complex
    versions give the first derivative by complex step (exact to rounding) and the second by
    complex step and fourth-order differences of step 1e-3 (about 1e-9 relative here)."""
    f = ANALYTIC[name]
    a = m + 4 * np.eye(3)  # diagonally dominant: well conditioned
    d = f(dd.Dual(a, b))
    scale = max(1.0, float(np.max(np.abs(complex_step(f, a, b)))))
    np.testing.assert_allclose(d.dual, complex_step(f, a, b), rtol=0, atol=1e-12 * scale)
    h = f(dd.HyperDual(a, b, c, 0.0))
    ref = complex_step_second(f, a, b, c)
    scale2 = max(1.0, float(np.max(np.abs(ref))))
    np.testing.assert_allclose(h.eps12, ref, rtol=0, atol=1e-7 * scale2)
