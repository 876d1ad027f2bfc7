"""numpy functions on dual numbers (``__array_function__`` and friends), with mixed operands.

Reference: the derivative computed independently of dualdiff, by the complex-step method on the
same numpy function applied to complex input (exact for linear functions, ``O(h**2)`` with
``h = 1e-100`` otherwise), or on an analytic form where numpy's complex version is not
analytic (``linalg.norm``, ``var``, ``std`` use ``|z|``). Second derivatives (``eps12``) add the
mixed second directional derivative: complex step in one direction, fourth-order central
differences in the other.

Every case runs in four modes: Dual with one direction, Dual with k = 2 directions (vector
mode), HyperDual with one pair of directions, HyperDual with (2, 3) directions. Each argument
that is a dual in a case's mask is seeded; the others stay plain float arrays, so both
"dual with float" and "float with dual" are exercised.
"""

from __future__ import annotations

import numpy as np
import pytest
from strategies import H_CS, assert_rel, seed_of

import dualdiff as dd

RTOL_FIRST = 1e-13
RTOL_SECOND = 1e-7
"""The second-derivative reference uses finite differences (about 1e-11 relative)."""

MODES = ["dual", "dual_vector", "hyperdual", "hyperdual_vector"]
ONE = [(True,)]
BOTH = [(True, False), (False, True), (True, True)]


class Case:
    def __init__(self, name, fn, shapes, masks=ONE, ref=None, data="normal"):
        self.name = name
        self.fn = fn
        self.shapes = shapes
        self.masks = masks
        self.ref = fn if ref is None else ref
        self.data = data


# -------------------------------------------------------------- analytic forms for the reference


def _var_ref(a, axis=None, ddof=0, keepdims=False):
    n = np.size(a) if axis is None else np.prod([np.shape(a)[i] for i in np.atleast_1d(axis)])
    m = np.mean(a, axis=axis, keepdims=True)
    return np.sum((a - m) ** 2, axis=axis, keepdims=keepdims) / (n - ddof)


def _std_ref(a, axis=None, ddof=0, keepdims=False):
    return np.sqrt(_var_ref(a, axis, ddof, keepdims))


def _norm_ref(a, axis=None, keepdims=False):
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))


_COND = np.array(
    [[True, False, True, True], [False, False, True, False], [True, True, False, True]]
)

CASES = [
    # reductions
    Case("sum", lambda a: np.sum(a), [(3, 4)]),
    Case("sum_axis0", lambda a: np.sum(a, axis=0), [(3, 4)]),
    Case("sum_axis1_keepdims", lambda a: np.sum(a, axis=1, keepdims=True), [(3, 4)]),
    Case("sum_axes_tuple", lambda a: np.sum(a, axis=(0, 2)), [(2, 3, 4)]),
    Case("method_sum", lambda a: a.sum(), [(3, 4)]),
    Case("method_sum_axis", lambda a: a.sum(axis=1), [(3, 4)]),
    Case("prod", lambda a: np.prod(a), [(2, 3)], data="near1"),
    Case("prod_axis1", lambda a: np.prod(a, axis=1), [(3, 4)], data="near1"),
    Case("prod_keepdims", lambda a: np.prod(a, axis=0, keepdims=True), [(3, 4)], data="near1"),
    Case("mean", lambda a: np.mean(a), [(3, 4)]),
    Case("mean_axis0_keepdims", lambda a: np.mean(a, axis=0, keepdims=True), [(3, 4)]),
    Case("cumsum", lambda a: np.cumsum(a), [(3, 4)]),
    Case("cumsum_axis1", lambda a: np.cumsum(a, axis=1), [(3, 4)]),
    Case("cumprod", lambda a: np.cumprod(a), [(5,)], data="near1"),
    Case("cumprod_axis0", lambda a: np.cumprod(a, axis=0), [(3, 4)], data="near1"),
    Case("max", lambda a: np.max(a), [(3, 4)]),
    Case("max_axis1", lambda a: np.max(a, axis=1), [(3, 4)]),
    Case("min_axis0_keepdims", lambda a: np.min(a, axis=0, keepdims=True), [(3, 4)]),
    Case("amax_axis0", lambda a: np.amax(a, axis=0), [(3, 4)]),
    Case("amin", lambda a: np.amin(a), [(3, 4)]),
    Case("method_max", lambda a: a.max(axis=1), [(3, 4)]),
    Case("var", lambda a: np.var(a), [(3, 4)], ref=_var_ref),
    Case("var_axis1", lambda a: np.var(a, axis=1), [(3, 4)], ref=lambda a: _var_ref(a, 1)),
    Case(
        "var_axis0_ddof1_keepdims",
        lambda a: np.var(a, axis=0, ddof=1, keepdims=True),
        [(3, 4)],
        ref=lambda a: _var_ref(a, 0, 1, True),
    ),
    Case("std", lambda a: np.std(a), [(3, 4)], ref=_std_ref),
    Case("std_axis0", lambda a: np.std(a, axis=0), [(3, 4)], ref=lambda a: _std_ref(a, 0)),
    Case(
        "std_axis1_ddof1",
        lambda a: np.std(a, axis=1, ddof=1, keepdims=True),
        [(3, 4)],
        ref=lambda a: _std_ref(a, 1, 1, True),
    ),
    Case("norm_vector", lambda a: np.linalg.norm(a), [(5,)], ref=_norm_ref),
    Case("norm_frobenius", lambda a: np.linalg.norm(a), [(3, 4)], ref=_norm_ref),
    Case(
        "norm_axis1", lambda a: np.linalg.norm(a, axis=1), [(3, 4)], ref=lambda a: _norm_ref(a, 1)
    ),
    Case(
        "norm_axis0_keepdims",
        lambda a: np.linalg.norm(a, axis=0, keepdims=True),
        [(3, 4)],
        ref=lambda a: _norm_ref(a, 0, True),
    ),
    Case("trace", lambda a: np.trace(a), [(3, 3)]),
    Case("trace_offset", lambda a: np.trace(a, offset=1), [(3, 4)]),
    # products
    Case("dot_mv", lambda a, b: np.dot(a, b), [(3, 4), (4,)], BOTH),
    Case("dot_vv", lambda a, b: np.dot(a, b), [(4,), (4,)], BOTH),
    Case("dot_mm", lambda a, b: np.dot(a, b), [(3, 4), (4, 2)], BOTH),
    Case("method_dot", lambda a, b: a.dot(b), [(3, 4), (4,)], [(True, False), (True, True)]),
    # vdot conjugates its first argument: the reference is the analytic sum(a * b)
    Case(
        "vdot", lambda a, b: np.vdot(a, b), [(3, 4), (3, 4)], BOTH, ref=lambda a, b: np.sum(a * b)
    ),
    Case("inner", lambda a, b: np.inner(a, b), [(3, 4), (2, 4)], BOTH),
    Case("outer", lambda a, b: np.outer(a, b), [(3,), (4,)], BOTH),
    Case("matmul", lambda a, b: np.matmul(a, b), [(3, 4), (4, 2)], BOTH),
    Case("matmul_operator", lambda a, b: a @ b, [(3, 4), (4, 2)], BOTH),
    Case("matmul_vector", lambda a, b: a @ b, [(3, 4), (4,)], BOTH),
    Case("matmul_batched", lambda a, b: a @ b, [(2, 3, 4), (4, 2)], BOTH),
    Case("einsum_mv", lambda a, b: np.einsum("ij,j->i", a, b), [(3, 4), (4,)], BOTH),
    Case("einsum_full", lambda a, b: np.einsum("ij,ij->", a, b), [(3, 4), (3, 4)], BOTH),
    Case("einsum_outer", lambda a, b: np.einsum("ij,kj->ik", a, b), [(3, 4), (2, 4)], BOTH),
    Case("einsum_trace", lambda a: np.einsum("ii->", a), [(3, 3)]),
    Case("einsum_transpose", lambda a: np.einsum("ij->ji", a), [(3, 4)]),
    Case("tensordot_1", lambda a, b: np.tensordot(a, b, axes=1), [(3, 4), (4, 2)], BOTH),
    Case(
        "tensordot_2",
        lambda a, b: np.tensordot(a, b, axes=([0, 1], [1, 0])),
        [(3, 4), (4, 3)],
        BOTH,
    ),
    # selection and combination
    Case("where", lambda a, b: np.where(_COND, a, b), [(3, 4), (3, 4)], BOTH),
    Case("where_broadcast", lambda a, b: np.where(_COND, a, b), [(3, 4), (4,)], BOTH),
    Case("where_scalar", lambda a: np.where(_COND, a, 0.0), [(3, 4)]),
    Case("clip", lambda a: np.clip(a, -0.5, 0.5), [(3, 4)]),
    Case("clip_arrays", lambda a: np.clip(a, np.full(4, -0.3), np.full(4, 0.8)), [(3, 4)]),
    Case("method_clip", lambda a: a.clip(-0.5, 0.5), [(3, 4)]),
    Case("concatenate0", lambda a, b: np.concatenate([a, b]), [(3, 4), (2, 4)], BOTH),
    Case("concatenate1", lambda a, b: np.concatenate([a, b], axis=1), [(3, 4), (3, 2)], BOTH),
    Case("stack", lambda a, b: np.stack([a, b]), [(3, 4), (3, 4)], BOTH),
    Case("stack_axis1", lambda a, b: np.stack([a, b], axis=1), [(3,), (3,)], BOTH),
    Case("hstack", lambda a, b: np.hstack([a, b]), [(3,), (2,)], BOTH),
    Case("vstack", lambda a, b: np.vstack([a, b]), [(3, 4), (4,)], BOTH),
    Case("take", lambda a: np.take(a, [2, 0, 1, 2], axis=1), [(3, 4)]),
    Case("take_flat", lambda a: np.take(a, [5, 0, 11]), [(3, 4)]),
    Case("sort", lambda a: np.sort(a), [(3, 4)]),
    Case("sort_axis0", lambda a: np.sort(a, axis=0), [(3, 4)]),
    Case("sort_flat", lambda a: np.sort(a, axis=None), [(3, 4)]),
    Case("diff", lambda a: np.diff(a), [(3, 4)]),
    Case("diff_axis0_n2", lambda a: np.diff(a, n=2, axis=0), [(4, 3)]),
    Case("diag_from_vector", lambda a: np.diag(a), [(3,)]),
    Case("diag_of_matrix", lambda a: np.diag(a), [(3, 4)]),
    Case("diag_k1", lambda a: np.diag(a, k=1), [(3, 4)]),
    Case("diagonal", lambda a: np.diagonal(a), [(3, 4)]),
    Case("method_diagonal", lambda a: a.diagonal(offset=1), [(3, 4)]),
    # shape manipulation
    Case("reshape", lambda a: np.reshape(a, (4, 3)), [(3, 4)]),
    Case("reshape_minus1", lambda a: np.reshape(a, -1), [(3, 4)]),
    Case("method_reshape", lambda a: a.reshape(2, 6), [(3, 4)]),
    Case("method_reshape_tuple", lambda a: a.reshape((6, 2)), [(3, 4)]),
    Case("ravel", lambda a: np.ravel(a), [(3, 4)]),
    Case("transpose", lambda a: np.transpose(a), [(3, 4)]),
    Case("transpose_axes", lambda a: np.transpose(a, (1, 0, 2)), [(2, 3, 4)]),
    Case("T", lambda a: a.T, [(3, 4)]),
    Case("T_3d", lambda a: a.T, [(2, 3, 4)]),
    Case("swapaxes", lambda a: np.swapaxes(a, 0, 2), [(2, 3, 4)]),
    Case("moveaxis", lambda a: np.moveaxis(a, 0, -1), [(2, 3, 4)]),
    Case("expand_dims", lambda a: np.expand_dims(a, 1), [(3, 4)]),
    Case("squeeze", lambda a: np.squeeze(a), [(3, 1, 4)]),
    Case("squeeze_axis", lambda a: np.squeeze(a, axis=1), [(3, 1, 4)]),
    Case("broadcast_to", lambda a: np.broadcast_to(a, (3, 4)), [(4,)]),
    Case("atleast_1d", lambda a: np.atleast_1d(a), [()]),
    Case("atleast_1d_noop", lambda a: np.atleast_1d(a), [(3,)]),
    # compositions mixing several of the above with elementwise math
    Case(
        "softmax",
        lambda a: (
            np.exp(a - np.max(a, axis=1, keepdims=True))
            / np.sum(np.exp(a - np.max(a, axis=1, keepdims=True)), axis=1, keepdims=True)
        ),
        [(3, 4)],
    ),
    Case(
        "quadratic_form",
        lambda a, b: a @ (b @ a),
        [(3,), (3, 3)],
        BOTH,
    ),
]
CASE_IDS = [c.name for c in CASES]


def _data(case):
    rng = np.random.default_rng(seed_of(case.name))
    if case.data == "near1":
        args = [rng.uniform(0.6, 1.4, s) * rng.choice([-1.0, 1.0], s) for s in case.shapes]
    elif case.data == "spread":  # values at least 0.3 apart: orders survive the reference's steps
        args = [(rng.permutation(int(np.prod(s))).reshape(s) - np.prod(s) / 2) * 0.4
                + rng.uniform(0.0, 0.1, s) for s in case.shapes]  # fmt: skip
    else:
        args = [rng.normal(size=s) for s in case.shapes]
    return [np.asarray(a, dtype=float) for a in args], rng


def _cs(fn, args, mask, dirs):
    z = [a + 1j * H_CS * d if m else a for a, m, d in zip(args, mask, dirs, strict=True)]
    return np.imag(fn(*z)) / H_CS


def _cs2(fn, args, mask, d1, d2, delta=1e-3):
    def g(s):
        moved = [a + s * d if m else a for a, m, d in zip(args, mask, d2, strict=True)]
        return _cs(fn, moved, mask, d1)

    return (-g(2 * delta) + 8 * g(delta) - 8 * g(-delta) + g(-2 * delta)) / (12 * delta)


def _pick(dirs, idx):
    return [None if d is None else d[(Ellipsis, *idx)] for d in dirs]


def _dirs(rng, args, mask, extra=()):
    return [rng.normal(size=np.shape(a) + extra) if m else None for a, m in zip(args, mask)]


def _check(case, mask, mode):
    args, rng = _data(case)
    fn, ref = case.fn, case.ref
    value = ref(*args)
    if mode in ("dual", "dual_vector"):
        k = () if mode == "dual" else (2,)
        v = _dirs(rng, args, mask, k)
        inputs = [dd.Dual(a, d) if m else a for a, m, d in zip(args, mask, v, strict=True)]
        out = fn(*inputs)
        assert isinstance(out, dd.Dual), type(out)
        assert out.shape == np.shape(value)
        assert_rel(out.value, np.real(value), 1e-14, "value")
        if mode == "dual":
            want = _cs(ref, args, mask, v)
        else:
            want = np.stack([_cs(ref, args, mask, _pick(v, (i,))) for i in range(2)], axis=-1)
        assert_rel(out.dual, want, RTOL_FIRST, "dual")
        return
    k1, k2 = ((), ()) if mode == "hyperdual" else ((2,), (3,))
    v1, v2 = _dirs(rng, args, mask, k1), _dirs(rng, args, mask, k2)
    w = _dirs(rng, args, mask, k1 + k2)
    inputs = [
        dd.HyperDual(a, p, q, r) if m else a
        for a, m, p, q, r in zip(args, mask, v1, v2, w, strict=True)
    ]
    out = fn(*inputs)
    assert isinstance(out, dd.HyperDual), type(out)
    assert out.shape == np.shape(value)
    assert_rel(out.value, np.real(value), 1e-14, "value")
    if mode == "hyperdual":
        e1, e2 = _cs(ref, args, mask, v1), _cs(ref, args, mask, v2)
        e12 = _cs(ref, args, mask, w) + _cs2(ref, args, mask, v1, v2)
    else:
        e1 = np.stack([_cs(ref, args, mask, _pick(v1, (i,))) for i in range(2)], axis=-1)
        e2 = np.stack([_cs(ref, args, mask, _pick(v2, (j,))) for j in range(3)], axis=-1)
        e12 = np.empty(np.shape(value) + (2, 3))
        for i in range(2):
            for j in range(3):
                e12[..., i, j] = _cs(ref, args, mask, _pick(w, (i, j))) + _cs2(
                    ref, args, mask, _pick(v1, (i,)), _pick(v2, (j,))
                )
    assert_rel(out.eps1, e1, RTOL_FIRST, "eps1")
    assert_rel(out.eps2, e2, RTOL_FIRST, "eps2")
    assert_rel(out.eps12, e12, RTOL_SECOND, "eps12")


PARAMS = [
    pytest.param(case, mask, id=f"{case.name}-{''.join('d' if m else 'f' for m in mask)}")
    for case in CASES
    for mask in case.masks
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "mask"), PARAMS)
def test_numpy_function(case, mask, mode):
    _check(case, mask, mode)


# ------------------------------------------------------------------------ non-differentiable


def _dual_matrix():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(3, 4))
    return a, dd.Dual(a, rng.normal(size=(3, 4))), dd.HyperDual(a, 1.0, 1.0, 0.0)


@pytest.mark.parametrize("fn", [np.argmax, np.argmin], ids=lambda f: f.__name__)
def test_argmax_argmin_return_plain_integers(fn):
    a, d, h = _dual_matrix()
    for x in (d, h):
        assert fn(x) == fn(a)
        r = fn(x, axis=1)
        assert isinstance(r, np.ndarray) and r.dtype.kind == "i"
        np.testing.assert_array_equal(r, fn(a, axis=1))
        np.testing.assert_array_equal(getattr(x, fn.__name__)(axis=0), fn(a, axis=0))


@pytest.mark.parametrize("fn", [np.zeros_like, np.ones_like], ids=lambda f: f.__name__)
def test_zeros_ones_like(fn):
    a, d, h = _dual_matrix()
    for x in (d, h):
        r = fn(x)
        assert np.shape(r) == a.shape
        np.testing.assert_array_equal(getattr(r, "value", r), fn(a))
        for name in ("dual", "eps1", "eps2", "eps12"):
            if hasattr(r, name):
                assert np.all(getattr(r, name) == 0.0)


def test_full_like():
    a, d, h = _dual_matrix()
    for x in (d, h):
        r = np.full_like(x, 2.5)
        assert np.shape(r) == a.shape
        np.testing.assert_array_equal(getattr(r, "value", r), np.full_like(a, 2.5))
        for name in ("dual", "eps1", "eps2", "eps12"):
            if hasattr(r, name):
                assert np.all(getattr(r, name) == 0.0)


def test_shape_and_size_attributes():
    a, d, h = _dual_matrix()
    for x in (d, h):
        assert x.shape == (3, 4) and x.size == 12 and x.ndim == 2
        assert x.T.shape == (4, 3)
        assert np.shape(x) == (3, 4) and np.size(x) == 12 and np.ndim(x) == 2


def test_max_tie_and_sort_carry_the_right_derivative():
    """With distinct values, max and sort pick the derivative of the selected element."""
    d = dd.Dual(np.array([3.0, 1.0, 2.0]), np.array([10.0, 20.0, 30.0]))
    assert np.max(d).dual == 10.0 and np.min(d).dual == 20.0
    np.testing.assert_array_equal(np.sort(d).dual, [20.0, 30.0, 10.0])
    c = np.clip(d, 1.5, 2.5)
    np.testing.assert_array_equal(c.value, [2.5, 1.5, 2.0])
    np.testing.assert_array_equal(c.dual, [0.0, 0.0, 30.0])


def test_complexness_predicates_report_real():
    x = dd.Dual(np.array([1.0, 2.0]), 1.0)
    assert np.iscomplexobj(x) is False
    assert np.isrealobj(x) is True
