"""numpy functions over grids of shapes, axes and keywords, as autograd's tables test them.

The grids re-create the cases of autograd's ``tests/test_systematic.py`` and
``tests/numpy_utils.py`` (``stat_check``, ``combo_check``) for the functions dualdiff
implements, plus the functions it adds (``pad``, ``interp``, ``median``, ...). Every case runs
through :func:`test_numpy_functions._check`: Dual, Dual vector mode, HyperDual and HyperDual
vector mode, against the complex-step derivative of numpy's own function on complex input
(exact for these linear or real-analytic functions), or of an analytic form written here where
numpy's complex version is not analytic (``conj`` in ``cov``, ``|z|`` in ``var``, no complex
support in ``quantile``). Second derivatives: complex step in one direction, fourth-order
differences in the other. Each case also checks that the value is numpy's own on floats.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from strategies import assert_rel
from test_numpy_functions import BOTH, ONE, Case, _check, _data

import dualdiff as dd

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # row_stack, 2-d cross

CASES: list[Case] = []


def add(name, fn, shapes, masks=ONE, ref=None, data="normal"):
    CASES.append(Case(name, fn, shapes, masks, ref, data))


def grid(**kw):
    keys = list(kw)
    for values in itertools.product(*kw.values()):
        yield dict(zip(keys, values))


def kwname(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()).replace(" ", "")


def cat(outs):
    """A list of outputs as one array (for split, gradient, meshgrid, ...)."""
    return np.concatenate([np.ravel(o) for o in outs])


# ---------------------------------------------------------------- references


def var_ref(a, axis=None, ddof=0, keepdims=False):
    n = np.size(a) if axis is None else np.shape(a)[axis]
    m = np.mean(a, axis=axis, keepdims=True)
    return np.sum((a - m) ** 2, axis=axis, keepdims=keepdims) / (n - ddof)


def quantile_ref(a, q, axis=None, keepdims=False):
    """Sorted, then ``s[i] + (s[i+1] - s[i])·f`` at ``q(n-1) = i + f`` (numpy's 'linear')."""
    if axis is None:
        s, ax = np.sort(np.ravel(a)), 0
    else:
        s, ax = np.sort(a, axis=axis), axis
    s = np.moveaxis(s, ax, 0)
    n = s.shape[0]
    q = np.asarray(q, dtype=float)
    pos = q * (n - 1)
    i = np.floor(pos).astype(int)
    j = np.minimum(i + 1, n - 1)
    f = (pos - i).reshape(q.shape + (1,) * (s.ndim - 1))
    res = s[i] + (s[j] - s[i]) * f
    if keepdims:
        shape = list(np.shape(a)) if axis is not None else [1] * np.ndim(a)
        if axis is not None:
            shape[axis] = 1
        res = res.reshape(q.shape + tuple(shape))
    return res


def cov_ref(m, rowvar=True, ddof=1):
    X = np.atleast_2d(m)
    if not rowvar:
        X = X.T
    X = X - X.mean(axis=1, keepdims=True)
    return np.squeeze(X @ X.T / (X.shape[1] - ddof))


def corr_ref(m):
    c = cov_ref(m)
    d = np.sqrt(np.diagonal(c))
    return c / d[:, None] / d[None, :]


# ---------------------------------------------------------------- statistics (stat_check)

STAT_SHAPES = [(), (3,), (2, 3), (1, 3)]
for fname, fn, ref in [
    ("max", np.max, None),
    ("min", np.min, None),
    ("mean", np.mean, None),
    ("sum", np.sum, None),
    ("prod", np.prod, None),
    ("var", np.var, var_ref),
    ("std", np.std, lambda a, **k: np.sqrt(var_ref(a, **k))),
    ("ptp", np.ptp, None),
    ("median", np.median, lambda a, **k: quantile_ref(a, 0.5, **k)),
    ("nansum", np.nansum, np.sum),
    ("nanmean", np.nanmean, np.mean),
    ("nanmax", np.nanmax, np.max),
    ("nanmin", np.nanmin, np.min),
    ("nanprod", np.nanprod, np.prod),
    ("nanvar", np.nanvar, var_ref),
    ("nanmedian", np.nanmedian, lambda a, **k: quantile_ref(a, 0.5, **k)),
]:
    for shape in STAT_SHAPES:
        axes = [None] + list(range(len(shape)))
        for kw in grid(axis=axes, keepdims=[True, False]):
            if fname == "ptp" and shape == ():
                continue
            r = (lambda f, k: lambda a: f(a, **k))(ref if ref is not None else fn, kw)
            data = "near1" if fname.endswith("prod") else "spread"
            add(
                f"{fname}-{shape}-{kwname(kw)}",
                (lambda f, k: lambda a: f(a, **k))(fn, kw),
                [shape],
                ref=r,
                data=data,
            )

for kw in grid(q=[0.0, 0.3, [0.25, 0.5, 0.9]], axis=[None, 0, 1], keepdims=[False, True]):
    for fname, fn, scale in [
        ("quantile", np.quantile, 1.0),
        ("percentile", np.percentile, 100.0),
        ("nanquantile", np.nanquantile, 1.0),
    ]:
        q = np.asarray(kw["q"]) * scale
        rest = {k: v for k, v in kw.items() if k != "q"}
        add(
            f"{fname}-{kwname(kw)}",
            (lambda f, q, k: lambda a: f(a, q, **k))(fn, q, rest),
            [(4, 5)],
            ref=(lambda q, k: lambda a: quantile_ref(a, q, **k))(kw["q"], rest),
            data="spread",
        )

for kw in grid(axis=[None, 0, 1], keepdims=[False, True]):
    add(
        f"max_where-{kwname(kw)}",
        (lambda k: lambda a: np.max(a, where=np.array([True, False, True]), initial=-5.0, **k))(kw),
        [(2, 3)],
    )
    add(
        f"sum_where-{kwname(kw)}",
        (lambda k: lambda a: np.sum(a, where=np.array([True, False, True]), **k))(kw),
        [(2, 3)],
    )
add("mean_where", lambda a: np.mean(a, axis=1, where=np.array([True, False, True])), [(2, 3)])
_W = np.array([[True, False, True, True], [True, True, False, True]])
add(
    "var_where",
    lambda a: np.var(a, axis=1, where=_W),
    [(2, 4)],
    ref=lambda a: np.stack([var_ref(a[0, [0, 2, 3]]), var_ref(a[1, [0, 1, 3]])]),
)
add(
    "std_where_ddof",
    lambda a: np.std(a, axis=1, ddof=1, where=_W),
    [(2, 4)],
    ref=lambda a: np.sqrt(
        np.stack([var_ref(a[0, [0, 2, 3]], ddof=1), var_ref(a[1, [0, 1, 3]], ddof=1)])
    ),
)
add("min_initial", lambda a: np.min(a, axis=0, initial=0.5), [(2, 3)])

for kw in grid(axis=[None, 0, 1], returned=[False, True]):
    w = np.array([0.5, 2.0, 1.5]) if kw["axis"] == 1 else np.arange(1.0, 7.0).reshape(2, 3)
    # weights 2 + sin(w) stay positive, away from a zero sum
    add(
        f"average_w-{kwname(kw)}",
        (
            lambda k: (
                lambda a, w: (
                    cat(np.average(a, weights=2.0 + np.sin(w), **k))
                    if k["returned"]
                    else np.average(a, weights=2.0 + np.sin(w), **k)
                )
            )
        )(kw),
        [(2, 3), w.shape],
        BOTH,
    )
add("average", lambda a: np.average(a), [(2, 3)])
add("average_axis", lambda a: np.average(a, axis=0, keepdims=True), [(2, 3)])

# ---------------------------------------------------------------- structure (combo_check)

for axes in [None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]]:
    add(f"transpose-{axes}", (lambda ax: lambda a: np.transpose(a, ax))(axes), [(2, 3, 4)])
for s, d in itertools.product(range(3), range(3)):
    add(f"moveaxis-{s}-{d}", (lambda s, d: lambda a: np.moveaxis(a, s, d))(s, d), [(2, 3, 4)])
for shape in [(2, 3, 4), (3, 1)]:
    for kw in grid(repeats=[0, 1, 2], axis=[None, 0, 1]):
        add(f"repeat-{shape}-{kwname(kw)}", (lambda k: lambda a: np.repeat(a, **k))(kw), [shape])
for shape in [(5, 5), (5, 5, 5)]:
    for kw in grid(n=[1, 2], axis=[0, 1]):
        add(f"diff-{shape}-{kwname(kw)}", (lambda k: lambda a: np.diff(a, **k))(kw), [shape])
add("diff-prepend", lambda a: np.diff(a, prepend=0.5, append=[[1.0], [2.0], [3.0]]), [(3, 4)])
add("diff-prepend-dual", lambda a, b: np.diff(a, axis=0, prepend=b), [(3, 4), (1, 4)], BOTH)
for shape in [(5, 5), (5, 5, 5)]:
    for axis in [None, 0, 1, -1]:
        add(
            f"gradient-{shape}-{axis}",
            (
                lambda ax: (
                    lambda a: cat(
                        np.atleast_1d(*[np.gradient(a, axis=ax)])
                        if ax is not None
                        else np.gradient(a, axis=ax)
                    )
                )
            )(axis),
            [shape],
        )
for axis in [(0, 1), (0, -1)]:
    add(f"gradient-{axis}", (lambda ax: lambda a: cat(np.gradient(a, axis=ax)))(axis), [(5, 5, 5)])
add(
    "gradient-spacing",
    lambda a: cat(np.gradient(a, 0.5, np.arange(5.0) ** 2, edge_order=2)),
    [(4, 5)],
)
for shape, reps in [
    ((2, 1, 3, 1), (1, 4, 1, 2)),
    ((1, 2), (1, 2)),
    ((1, 2), (2, 3)),
    ((1, 2), (3, 2, 1)),
    ((1,), (2,)),
    ((1,), 2),
]:
    add(f"tile-{shape}-{reps}", (lambda r: lambda a: np.tile(a, r))(reps), [shape])
KRON = [(5, 5), (4, 4), (5,), (5, 1), (1, 5), ()]
KRON2 = [(3, 3), (2, 2), (3,), (1, 3), (3, 1), ()]
for sa, sb in itertools.product(KRON, KRON2):
    add(f"kron-{sa}-{sb}", np.kron, [sa, sb], BOTH)
for sa, sb in itertools.product([(), (3,), (2, 3)], [(), (3,), (4, 3)]):
    add(f"inner-{sa}-{sb}", np.inner, [sa, sb], BOTH)
for sa, sb in itertools.product([(), (3,), (2, 3), (2, 2, 3)], [(), (3,), (3, 4), (2, 3, 4)]):
    if (len(sa) == 0 or len(sb) == 0) or (sb[0] if len(sb) == 1 else sb[-2]) == sa[-1]:
        add(f"dot-{sa}-{sb}", np.dot, [sa, sb], BOTH)
for sa, sb in itertools.product([(3,), (2, 3), (2, 2, 3)], [(3,), (3, 4), (2, 3, 4)]):
    add(f"matmul-{sa}-{sb}", np.matmul, [sa, sb], BOTH)
add("matmul-broadcast", np.matmul, [(1, 2, 2), (3, 2, 1)], BOTH)
add("outer", np.outer, [(3,), (3,)], BOTH)
for i, (sa, sb, axes) in enumerate(
    [
        ((1, 3), (3,), [(1,), (0,)]),
        ((2, 3, 2), (3, 4, 2), [(1,), (0,)]),
        ((3,), (1, 3), [(0,), (1,)]),
        ((3, 4, 2), (2, 3, 2), [(0,), (1,)]),
        ((2, 3), (1, 2, 3), [(0, 1), (1, 2)]),
        ((2, 3, 4), (2, 2, 3, 4), [(1, 0), (2, 1)]),
        ((4, 2, 2), (2, 2, 4), 1),
        ((4, 2, 2), (2, 2, 4), 2),
        ((4,), (), 0),
        ((2, 6), (6, 3), [[-1], [0]]),
        ((2, 6), (6, 3), [-1, 0]),
        ((2,), (2, 2), [0, 1]),
    ]
):
    add(
        f"tensordot-{i}",
        (lambda ax: lambda a, b: np.tensordot(a, b, axes=ax))(axes),
        [sa, sb],
        BOTH,
    )
add("sort-1", np.sort, [(1,)])
add("sort-7", np.sort, [(7,)], data="spread")
for n in (7, 14):
    for kth in (0, 3, 6):
        # numpy leaves the order around kth unspecified (it differs for complex input): the
        # sorted result checks that every component moved with its value
        add(
            f"partition-{n}-{kth}",
            (lambda k: lambda a: np.sort(np.partition(a, k)))(kth),
            [(n,)],
            data="spread",
        )
add(
    "partition-axis0",
    lambda a: np.sort(np.partition(a, [1, 3], axis=0), axis=0),
    [(5, 3)],
    data="spread",
)
add("partition-kth", lambda a: np.partition(a, 3)[3], [(7,)], data="spread")
for fname, fn in [("1d", np.atleast_1d), ("2d", np.atleast_2d), ("3d", np.atleast_3d)]:
    for shape in [(), (1,), (7,), (1, 4), (2, 4), (2, 4, 5), (2, 4, 3, 5)]:
        add(f"atleast_{fname}-{shape}", fn, [shape])
add("atleast_3d-two", lambda a, b: cat(np.atleast_3d(a, b)), [(3,), (2, 3)], BOTH)
for spec, shapes in [
    ("ij->ji", [(1, 1)]),
    ("ij->ji", [(4, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]),
    ("ijk,lji->lki", [(3, 4, 4), (4, 4, 3)]),
    ("...jk,...lj->...lk", [(4, 4), (4, 4)]),
    ("...jk,...lj->...lk", [(3, 4, 4), (3, 4, 4)]),
    ("...,...->...", [(3, 4, 4), (3, 4, 4)]),
    ("jk...,lj...->lk...", [(3, 2), (2, 3)]),
    ("jk...,lj...->lk...", [(3, 2, 4), (2, 3, 4)]),
    ("j...k,lj...->lk...", [(2, 2), (2, 2)]),
    ("j...k,lj...->lk...", [(2, 2, 2), (2, 2, 2)]),
    ("k,nk->", [(5,), (10, 5)]),
    ("abcd->bd", [(3, 2, 3, 2)]),
    ("...k,...nk->...", [(3, 5), (3, 10, 5)]),
    ("ij,k", [(3, 4), (3,)]),
    ("ijk,lji,lli->lki", [(3, 4, 4), (4, 4, 3), (4, 4, 3)]),
    ("...ij,...jk->...ik", [(0, 2, 3), (0, 3, 4)]),
]:
    masks = ONE if len(shapes) == 1 else BOTH if len(shapes) == 2 else [(True, False, True)]
    add(f"einsum-{spec}-{shapes}", (lambda s: lambda *ops: np.einsum(s, *ops))(spec), shapes, masks)
add("einsum2-transpose", lambda a: np.einsum(a, [0, 1], [1, 0]), [(3, 4)])
add("einsum2-matmul", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(2, 3), (3, 4)], BOTH)
add(
    "einsum2-broadcast",
    lambda a, b: np.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1, 2], [Ellipsis, 0, 2]),
    [(2, 2, 3), (2, 3, 4)],
    BOTH,
)
add(
    "einsum2-covsum",
    lambda a, b: np.einsum(a, [0, 1, 2], b, [3, 1, 0], [3, 2, 0]),
    [(3, 4, 4), (4, 4, 3)],
    BOTH,
)
add(
    "einsum2-three",
    lambda a, b, c: np.einsum(a, [0, 1, 2], b, [3, 1, 0], c, [3, 3, 0], [3, 2, 0]),
    [(3, 4, 4), (4, 4, 3), (4, 4, 3)],
    [(True, False, True)],
)
for shape in [(5, 5), (4, 5), (5, 4), (3, 4, 5)]:
    for off in (-1, 0, 1):
        add(f"trace-{shape}-{off}", (lambda o: lambda a: np.trace(a, offset=o))(off), [shape])
for shape in [(5, 5), (5,)]:
    for k in (-1, 0, 1):
        add(f"diag-{shape}-{k}", (lambda k: lambda a: np.diag(a, k=k))(k), [shape])
        add(f"diagflat-{shape}-{k}", (lambda k: lambda a: np.diagflat(a, k=k))(k), [shape])
for fname, fn in [("tril", np.tril), ("triu", np.triu)]:
    for shape in [(5, 5), (5, 5, 4), (3, 5)]:
        for k in (-1, 0, 1):
            add(f"{fname}-{shape}-{k}", (lambda f, k: lambda a: f(a, k=k))(fn, k), [shape])
for a1, a2 in itertools.product(range(3), range(3)):
    add(f"swapaxes-{a1}-{a2}", (lambda i, j: lambda a: np.swapaxes(a, i, j))(a1, a2), [(3, 4, 5)])
    add(f"rollaxis-{a1}-{a2}", (lambda i, j: lambda a: np.rollaxis(a, i, j))(a1, a2), [(2, 3, 4)])
for kw in grid(axisa=[-1, 0, 1], axisb=[-1, 0, 1], axisc=[-1, 0, 1]):
    add(
        f"cross-{kwname(kw)}",
        (lambda k: lambda a, b: np.cross(a, b, **k))(kw),
        [(3, 3), (3, 3)],
        BOTH,
    )
for axis in [-1, 0, 1]:
    add(
        f"cross-axis-{axis}",
        (lambda ax: lambda a, b: np.cross(a, b, axis=ax))(axis),
        [(3, 3), (3, 3)],
        BOTH,
    )
add("cross-2d", np.cross, [(4, 2), (4, 2)], BOTH)
add("cross-2-3", np.cross, [(4, 2), (4, 3)], BOTH)
for fname, fn, shapes in [
    ("vsplit", np.vsplit, [(4, 8), (4, 4, 4)]),
    ("hsplit", np.hsplit, [(4, 8), (4, 4, 4)]),
    ("dsplit", np.dsplit, [(4, 4, 4)]),
]:
    for shape in shapes:
        for sec in (2, [1, 2]):
            add(f"{fname}-{shape}-{sec}", (lambda f, s: lambda a: cat(f(a, s)))(fn, sec), [shape])
for fname, fn, shape, secs in [
    ("split", np.split, (7,), [1]),
    ("split", np.split, (4, 8), [4, [1, 2]]),
    ("split", np.split, (4, 4, 4), [2, [1, 2]]),
    ("array_split", np.array_split, (7,), [1, 3]),
    ("array_split", np.array_split, (7, 7), [4, [3, 5]]),
    ("array_split", np.array_split, (7, 7, 7), [4, [3, 5]]),
]:
    for sec in secs:
        for axis in range(len(shape)):
            add(
                f"{fname}-{shape}-{sec}-{axis}",
                (lambda f, s, ax: lambda a: cat(f(a, s, axis=ax)))(fn, sec, axis),
                [shape],
            )
for shapes, axes in [
    ([(1,), (3,)], [0]),
    ([(2, 2), (2, 2)], [0, 1]),
    ([(2, 2, 2), (2, 2, 2)], [0, 1, 2]),
]:
    for axis in axes:
        add(
            f"concatenate-{shapes}-{axis}",
            (lambda ax: lambda a, b: np.concatenate((a, b), axis=ax))(axis),
            shapes,
            BOTH,
        )
STACKS = [
    ("vstack", np.vstack),
    ("hstack", np.hstack),
    ("column_stack", np.column_stack),
    ("dstack", np.dstack),
    ("row_stack", getattr(np, "row_stack", np.vstack)),
]
for fname, fn in STACKS:
    for shapes in [
        [(2,), (2,)],
        [(2, 4), (1, 4)]
        if fname in ("vstack", "row_stack")
        else [(3, 4), (3, 5)]
        if fname == "hstack"
        else [(2, 2), (2, 2)],
        [(2, 3, 4), (2, 3, 4)],
    ]:
        add(f"{fname}-{shapes}", (lambda f: lambda a, b: f((a, b)))(fn), shapes, BOTH)
    add(f"{fname}-one", (lambda f: lambda a: f([a]))(fn), [(2, 3)])
add("stack-1d", lambda a, b: np.stack((a, b), axis=1), [(2,), (2,)], BOTH)
_C = [np.random.default_rng(1).normal(size=(3, 4, 5)) > 0 for _ in range(3)]
for default in (0.0, 1.1):
    add(
        f"select-{default}",
        (lambda d: lambda a, b, c: np.select(_C, [a, b, c], default=d))(default),
        [(3, 4, 5)] * 3,
        [(True, False, True), (False, True, False)],
    )
add(
    "select-dual-default",
    lambda a, b: np.select(_C[:1], [a], default=b),
    [(3, 4, 5), (3, 4, 5)],
    [(True, False), (True, True)],
)  # numpy does not dispatch on default alone: see test_errors
for pw in [0, 3, (3,), (3, 2), ((3, 2),), ((1, 2), (3, 4)), ((0, 0), (0, 0))]:
    for mode in ["constant", "edge", "reflect", "symmetric", "wrap"]:
        add(f"pad-{pw}-{mode}", (lambda p, m: lambda a: np.pad(a, p, mode=m))(pw, mode), [(2, 2)])
add(
    "pad-constant-values",
    lambda a: np.pad(a, ((1, 2), (0, 1)), constant_values=((1.5, 2), (3, 4))),
    [(3, 3)],
)
for fname, fn in [("flip", np.flip), ("fliplr", np.fliplr), ("flipud", np.flipud)]:
    add(fname, fn, [(3, 4)])
for k in range(-1, 4):
    add(f"rot90-{k}", (lambda k: lambda a: np.rot90(a, k))(k), [(3, 4)])
add("rot90-axes", lambda a: np.rot90(a, 1, axes=(0, 2)), [(2, 3, 4)])
for kw in grid(shift=[1, -2, (1, 2)], axis=[None, 0, (0, 1)]):
    if isinstance(kw["shift"], tuple) != isinstance(kw["axis"], tuple):
        continue
    add(f"roll-{kwname(kw)}", (lambda k: lambda a: np.roll(a, **k))(kw), [(3, 4)])
add(
    "take_along_axis",
    lambda a: np.take_along_axis(a, np.array([[0, 2], [1, 1], [3, 0]]), 1),
    [(3, 4)],
)
add("take_along_axis-none", lambda a: np.take_along_axis(a, np.array([0, 7, 3]), None), [(3, 4)])
add("compress", lambda a: np.compress([True, False, True], a, axis=0), [(3, 4)])
add("compress-flat", lambda a: np.compress([True, False, True, True, False], a), [(3, 4)])
add("extract", lambda a: np.extract(np.arange(12).reshape(3, 4) % 3 == 0, a), [(3, 4)])
add("insert", lambda a: np.insert(a, 1, 5.0, axis=1), [(3, 4)])
add(
    "insert-dual",
    lambda a, b: np.insert(a, [1, 3], b),
    [(5,), (2,)],
    BOTH,
    ref=lambda a, b: np.insert(a + 0j, [1, 3], b),
)  # numpy casts values to the array's dtype
add(
    "insert-axis0",
    lambda a, b: np.insert(a, 2, b, axis=0),
    [(3, 4), (4,)],
    BOTH,
    ref=lambda a, b: np.insert(a + 0j, 2, b, axis=0),
)
add("delete", lambda a: np.delete(a, [0, 2], axis=1), [(3, 4)])
add("delete-flat", lambda a: np.delete(a, 5), [(3, 4)])
add("resize", lambda a: np.resize(a, (5, 3)), [(3, 4)])
add("block", lambda a, b: np.block([[a, b], [b, a]]), [(2, 2), (2, 2)], BOTH)
add("block-1d", lambda a, b: np.block([a, b, 1.0]), [(2,), (3,)], BOTH)
for kw in grid(indexing=["xy", "ij"], sparse=[False, True]):
    add(
        f"meshgrid-{kwname(kw)}",
        (lambda k: lambda a, b: cat(np.meshgrid(a, b, **k)))(kw),
        [(3,), (4,)],
        BOTH,
    )
add("broadcast_arrays", lambda a, b: cat(np.broadcast_arrays(a, b)), [(3, 1), (4,)], BOTH)
add("choose", lambda a, b: np.choose(np.array([0, 1, 1, 0]), [a, b]), [(4,), (4,)], BOTH)
if hasattr(np, "matrix_transpose"):  # numpy >= 2.2
    add("matrix_transpose", np.matrix_transpose, [(2, 3, 4)])
add("append", np.append, [(3, 4), (2,)], BOTH)
add("append-axis0", lambda a, b: np.append(a, b, axis=0), [(3, 4), (2, 4)], BOTH)
add("copy", np.copy, [(3, 4)])
add("triu_indices-user", lambda a: a[np.triu_indices(4, 1)], [(4, 4)])
add("tril_indices_from-user", lambda a: a[np.tril_indices_from(np.zeros((3, 4)))], [(3, 4)])
add(
    "ravel_multi_index-user",
    lambda a: np.ravel(a)[np.ravel_multi_index(([0, 2], [1, 3]), (3, 4))],
    [(3, 4)],
)
for axis in (0, 1, None):
    add(
        f"maximum.reduce-{axis}",
        (lambda ax: lambda a: np.maximum.reduce(a, axis=ax))(axis),
        [(3, 4)],
        data="spread",
    )
    if axis is not None:
        add(
            f"add.accumulate-{axis}",
            (lambda ax: lambda a: np.add.accumulate(a, axis=ax))(axis),
            [(3, 4)],
        )
if hasattr(np, "unstack"):  # numpy >= 2.1
    add("unstack", lambda a: cat(np.unstack(a, axis=1)), [(3, 4)])
add("trim_zeros", lambda a: np.trim_zeros(np.concatenate([np.zeros(2), a, np.zeros(1)])), [(3,)])

# ---------------------------------------------------------------- numerics

for shape in [(), (3,), (2, 3)]:
    add(f"polyval-{shape}", np.polyval, [(4,), shape], BOTH)
add("polyval-list", lambda x: np.polyval([1.0, -2.0, 0.5], x), [(3,)])
for fname, fn in [("convolve", np.convolve), ("correlate", np.correlate)]:
    for mode in ("full", "same", "valid"):
        for sa, sb in [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((1,), (3,))]:
            ref = (
                np.convolve
                if fname == "convolve"
                else (
                    lambda m: (
                        lambda a, v: (
                            np.convolve(a, v[::-1], m)
                            if len(a) >= len(v)
                            else np.convolve(v, a[::-1], m)[::-1]
                        )
                    )
                )(mode)
            )
            add(
                f"{fname}-{mode}-{sa}-{sb}",
                (lambda f, m: lambda a, v: f(a, v, mode=m))(fn, mode),
                [sa, sb],
                BOTH,
                ref=None if fname == "convolve" else ref,
            )
for kw in grid(axis=[-1, 0], dx=[1.0, 0.5]):
    add(f"trapezoid-{kwname(kw)}", (lambda k: lambda a: np.trapezoid(a, **k))(kw), [(3, 4)])
add("trapezoid-x", lambda y, x: np.trapezoid(y, x), [(3, 4), (4,)], BOTH)
add("trapezoid-x2d", lambda y, x: np.trapezoid(y, x, axis=0), [(3, 4), (3, 4)], BOTH)
add("sinc", np.sinc, [(3, 4)])
add("sinc-scalar", np.sinc, [()])
for kw in grid(axis=[0, 1], include_initial=[False, True]) if hasattr(np, "cumulative_sum") else []:
    add(
        f"cumulative_sum-{kwname(kw)}",
        (lambda k: lambda a: np.cumulative_sum(a, **k))(kw),
        [(3, 4)],
    )
    add(
        f"cumulative_prod-{kwname(kw)}",
        (lambda k: lambda a: np.cumulative_prod(a, **k))(kw),
        [(3, 4)],
        data="near1",
    )
add("cumsum-none", np.cumsum, [(3, 4)])
add(
    "unwrap",
    lambda a: np.unwrap(a * 4.0),
    [(3, 4)],
    ref=lambda a: a * 4.0 + (np.unwrap(np.real(a) * 4.0) - np.real(a) * 4.0),
)
add("ediff1d", lambda a: np.ediff1d(a, to_end=[1.0, 2.0], to_begin=0.5), [(3, 4)])
add(
    "ediff1d-dual-ends",
    lambda a, b: np.ediff1d(a, to_end=b),
    [(4,), (2,)],
    BOTH,
    ref=lambda a, b: np.ediff1d(a + 0j, to_end=b),
)
for kw in grid(rowvar=[True, False]):
    add(
        f"cov-{kwname(kw)}",
        (lambda k: lambda a: np.cov(a, **k))(kw),
        [(3, 5)],
        ref=(lambda k: lambda a: cov_ref(a, **k))(kw),
    )
add("cov-1d", np.cov, [(5,)], ref=cov_ref)
add("cov-bias", lambda a: np.cov(a, bias=True), [(2, 5)], ref=lambda a: cov_ref(a, ddof=0))
add(
    "cov-y",
    lambda a, b: np.cov(a, b),
    [(5,), (5,)],
    BOTH,
    ref=lambda a, b: cov_ref(np.stack([a, b])),
)
add("corrcoef", np.corrcoef, [(3, 5)], ref=corr_ref)
add("linspace", lambda a, b: np.linspace(a, b, 5), [(), ()], BOTH)
add("linspace-array", lambda a, b: np.linspace(a, b, 4, axis=1), [(3,), (3,)], BOTH)
add("linspace-noend", lambda a, b: np.linspace(a, b, 4, endpoint=False), [(), ()], BOTH)
add("logspace", lambda a, b: np.logspace(a, b, 4), [(), ()], BOTH)
add("vander", np.vander, [(4,)])
add("vander-N-inc", lambda a: np.vander(a, 3, increasing=True), [(4,)])
add("polyder", lambda a: np.polyder(a, 2), [(5,)])
add("polyint", lambda a: np.polyint(a, 2, k=[1.0, 2.0]), [(4,)])
add("polyadd", np.polyadd, [(4,), (2,)], BOTH)
add("polysub", np.polysub, [(2,), (4,)], BOTH)
add("polymul", np.polymul, [(3,), (2,)], BOTH)
add("poly", np.poly, [(3,)])
add("polydiv", lambda u, v: cat(np.polydiv(u, v)), [(5,), (3,)], BOTH, data="near1")
add("polyfit", lambda y: np.polyfit(np.linspace(0.0, 1.0, 6), y, 2), [(6,)])
add("polyfit-2d", lambda y: np.polyfit(np.linspace(0.0, 1.0, 6), y, 1), [(6, 2)])
_BINS = np.array([0, 2, 2, 4, 0])
add(
    "bincount",
    lambda w: np.bincount(_BINS, weights=w),
    [(5,)],
    ref=lambda w: np.bincount(_BINS, np.real(w)) + 1j * np.bincount(_BINS, np.imag(w)),
)
add("real_if_close", np.real_if_close, [(3, 4)], ref=lambda a: a)
add("angle", np.angle, [(3, 4)], ref=lambda a: np.where(np.real(a) < 0, np.pi, 0.0) + 0.0 * a.real)
add("conj", np.conj, [(3, 4)], ref=lambda a: a)
add("conjugate", np.conjugate, [(3, 4)], ref=lambda a: a)
add("fix", np.fix, [(3, 4)], ref=lambda a: np.fix(np.real(a)))
add(
    "apply_along_axis", lambda a: np.apply_along_axis(lambda r: np.cumsum(r) * r[0], 1, a), [(3, 4)]
)
add("apply_along_axis-scalar", lambda a: np.apply_along_axis(lambda r: r @ r, 0, a), [(3, 4)])
add("apply_over_axes", lambda a: np.apply_over_axes(np.sum, a, [0, 2]), [(2, 3, 4)])
add(
    "piecewise",
    lambda a: np.piecewise(
        a, [np.arange(6) < 2, np.arange(6) >= 4], [np.sin, lambda x: x * x, 2.0]
    ),
    [(6,)],
)

CASE_IDS = [c.name for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), [n for n in CASE_IDS if CASE_IDS.count(n) > 1]

PARAMS = [
    pytest.param(case, mask, id=f"{case.name}-{''.join('d' if m else 'f' for m in mask)}")
    for case in CASES
    for mask in case.masks
]


MODES = ("dual", "dual_vector", "hyperdual", "hyperdual_vector")


@pytest.mark.parametrize(("case", "mask"), PARAMS)
def test_table(case, mask):
    """Every number type and mode of one case in one test (thousands of cases: one test
    item each keeps the suite's per-item overhead down); the value part is numpy's own."""
    for mode in MODES:
        try:
            _check(case, mask, mode)
        except AssertionError as err:
            raise AssertionError(f"{case.name} as {mode}: {err}") from err
    args, _ = _data(case)
    inputs = [dd.Dual(a, 1.0) if m else a for a, m in zip(args, mask)]
    out = case.fn(*inputs)
    assert_rel(getattr(out, "value", out), case.fn(*args), 1e-13, "value")
