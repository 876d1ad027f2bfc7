"""Sparse Jacobians, gradients and Hessians: detect the pattern, colour it, evaluate compressed.

A :class:`SparsePlan` is made once per function and shape (:func:`sparse_plan`) and reused at
every later point, as a solver does at each iteration; the drivers take it as ``sparse=plan``
(``sparse=True`` makes a new plan on every call). Three methods, chosen when the plan is made
and named in ``plan.method``:

``"separable"`` (gradients and Hessians of ``f(x) = h(Σ_i g_i(x))``)
    The pattern tracer (:mod:`dualdiff._tracer`) finds that f's output comes from one full
    ``np.sum`` over an intermediate ``g`` (followed, perhaps, by scalar operations ``h``, such
    as a constant factor) and the pattern of ``J_g``. The columns of ``J_g`` are coloured
    (distance-1, ``c`` colours: 2 for Rosenbrock) and ``f`` is evaluated once with ``c``
    compressed directions ``S``. At that sum (:data:`dualdiff._functions.FULL_SUM_HOOK`) each
    element's compressed partials are decompressed, ``∂g_i/∂x_j = (J_g S)[i, colour[j]]``,
    and summed into ``∇Σg = J_gᵀ 1``; a hyper-dual with ``ε1 = ε2 = S`` gives each element's
    ``c × c`` block ``Sᵀ ∇²g_i S``, whose entries are those of ``∇²g_i`` (the variables of
    ``g_i`` have distinct colours), summed into the sparse Hessian. The sum returns the scalar
    ``s`` seeded in one direction of its own, so that ``f`` finishes the chain rule:
    ``∇f = h'(s) ∇s`` and ``∇²f = h'(s) ∇²s + h''(s) ∇s ∇sᵀ``. The cost is one evaluation
    with ``c`` directions whatever ``n`` is.
``"compressed"`` (Jacobians; Hessians without that structure)
    Jacobians: ``c`` distance-1 colours, one evaluation with ``c`` directions, direct
    recovery ``J[i, j] = (J S)[i, colour[j]]``. Hessians: a star colouring of the Hessian
    pattern (:mod:`dualdiff._coloring`) and a hyper-dual evaluation with ``ε1 = S`` (``c``
    directions) and ``ε2 = I`` (``n`` directions, in blocks when ``n² c`` is large: see
    :data:`BLOCK_ELEMENTS`), whose ``ε1ε2`` part is ``Sᵀ H``; each
    entry is read where its colour is unique in its row (``H[i, j] = (H S)[i, colour[j]]``,
    or the symmetric ``(H S)[j, colour[i]]``). The ``ε1ε2`` work is ``c/n`` of the dense
    Hessian's.
``"dense"`` (gradients without that structure)
    The ordinary driver; ``plan.reason`` says why.

Results are exact: entries outside the pattern are structurally zero, and the pattern is a
superset of the true one (see :mod:`dualdiff._tracer`). Sparse results are
``scipy.sparse.csr_array`` of shape ``(f(x).size, x.size)`` (Jacobians) or
``(x.size, x.size)`` (Hessians) whose stored entries are exactly the plan's pattern (so a
solver can reuse its symbolic factorisation; some may be explicit zeros); gradients are
arrays shaped like ``x``.

A plan assumes that f's structure does not change with x: the same operations in the same
order (branches on values inside f may change the pattern; numpy's value-selecting functions
are traced with every candidate, so they are safe). The separable method checks at every
call that f made the same number of full sums as when traced and returned the sum's scalar,
and falls back (to ``"compressed"`` or ``"dense"``, recorded in ``plan.reason``) if not.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._base import LIVE_TAGS, DualBase, new_tag
from ._errors import UnsupportedFunctionError
from ._functions import FULL_SUM_HOOK
from ._seed import as_input
from .dual import Dual
from .dual import _new as _dual_new
from .hyperdual import HyperDual
from .hyperdual import _new as _hyper_new

_NESTED = (
    "sparse= derivatives of the numbers of nested derivatives (a driver called inside the f "
    "of another, or f using an outer driver's variable) are not supported; drop sparse="
)


def _call(f, seed, tag: int, args, kwargs):
    """``f(seed, ...)`` with the seed's tag live (see :mod:`dualdiff._base`); a result that
    holds numbers of another tag (nesting) is refused: a sparse result holds plain floats."""
    LIVE_TAGS.add(tag)
    try:
        y = f(seed, *args, **kwargs)
    finally:
        LIVE_TAGS.discard(tag)
    for v in y if isinstance(y, (list, tuple)) else (y,):
        if isinstance(v, DualBase) and (
            v._t != tag or any(isinstance(p, DualBase) for p in v._parts())
        ):
            raise UnsupportedFunctionError(_NESTED)
    return y


__all__ = ["SparsePlan", "sparse_plan", "sparsity"]

KINDS = ("jacobian", "gradient", "hessian")
PAIR_BUDGET = 5 * 10**7
"""Most ``(term, input, input)`` triples a separable Hessian plan decompresses."""


def _scipy_sparse():
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is installed with the tests
        raise ImportError(
            "sparse derivatives need scipy (pip install 'dualdiff[sparse]' or scipy>=1.13)"
        ) from None
    return sp


def _trace(trace, f, x, kind, args, kwargs):
    """The pattern tracer on f; inside another driver's f, a TypeError (f met that driver's
    numbers, which cannot be traced) is the nesting sparse= does not support."""
    try:
        return trace(f, x, hessian=kind == "hessian", args=args, kwargs=kwargs)
    except TypeError:
        if LIVE_TAGS:
            raise UnsupportedFunctionError(_NESTED) from None
        raise


def _point(x) -> np.ndarray:
    if isinstance(x, DualBase):
        raise UnsupportedFunctionError(_NESTED)
    x = as_input(x)
    if np.iscomplexobj(x):
        raise TypeError(
            "sparse derivatives take a real x; split a complex x into real and imaginary "
            "parts (np.concatenate([x.real, x.imag])) and differentiate with respect to both"
        )
    if type(x) is float:
        x = np.array([x]).reshape(())
    return x


class _Separable:
    """``f = h(Σ g)``: which full sum, how many there are, ``J_g``'s colouring and recovery."""

    def __init__(self, ordinal: int, total: int, g_shape, g_deps, sp):
        from ._coloring import column_colouring, seed_matrix

        self.ordinal, self.total, self.g_shape = ordinal, total, tuple(g_shape)
        P = sp.csr_array(g_deps, dtype=bool)
        P.sum_duplicates()
        P.sort_indices()
        self.P = P
        self.colours = column_colouring(P)
        self.c = int(self.colours.max()) + 1 if self.colours.size else 0
        self.S = seed_matrix(self.colours, self.c)
        self.S.flags.writeable = False  # the seed itself: item assignment in f copies it
        rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
        cols = P.indices.astype(np.intp)
        self.grad_src = rows * self.c + self.colours[cols]
        self.grad_dst = cols
        self._pairs = None
        self._rows, self._cols = rows, cols

    def hessian_map(self, template, n: int):
        """``(src, dst)``: element ``src`` of the flattened ``(m, c, c)`` second parts adds to
        stored entry ``dst`` of ``template`` (pairs outside the template are zero)."""
        if self._pairs is None:
            P, rows, cols, c = self.P, self._rows, self._cols, self.c
            r = np.diff(P.indptr)
            cnt = r[rows]
            e1 = np.repeat(np.arange(cols.size), cnt)
            t = np.arange(e1.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            e2 = P.indptr[rows[e1]] + t
            i, j, k = rows[e1], cols[e1], cols[e2]
            src = (i * c + self.colours[j]) * c + self.colours[k]
            keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(template.indptr)) * n
            keys += template.indices
            want = j.astype(np.int64) * n + k
            pos = np.searchsorted(keys, want)
            ok = pos < keys.size
            ok[ok] = keys[pos[ok]] == want[ok]
            self._pairs = (src[ok], pos[ok])
        return self._pairs


class SparsePlan:
    """A sparsity pattern with its colouring and recovery, made once by :func:`sparse_plan`.

    Attributes
    ----------
    kind : str
        ``"jacobian"``, ``"gradient"`` or ``"hessian"``.
    shape : tuple
        The shape of x it was made for.
    pattern : scipy.sparse.csr_array of bool
        The Jacobian pattern ``(f(x).size, x.size)`` or the Hessian pattern
        ``(x.size, x.size)``; None for a gradient plan.
    method : str
        ``"separable"``, ``"compressed"`` or ``"dense"`` (see :mod:`dualdiff._sparse`).
    n_colours : int
        Directions per evaluation (``x.size`` for ``"dense"``).
    reason : str or None
        Why the separable method does not apply (None when it does, or for Jacobians).
    """

    def __init__(self, kind, shape, out_shape, pattern, separable, reason, sp):
        self.kind, self.shape, self.out_shape = kind, tuple(shape), tuple(out_shape)
        self.n = int(np.prod(self.shape)) if self.shape else 1
        self.pattern = pattern
        self.separable = separable
        self.reason = reason
        self._sp = sp
        self._compressed = None
        self._template = None
        if separable is None and kind != "gradient":
            self._compress()

    @property
    def method(self) -> str:
        if self.separable is not None:
            return "separable"
        return "dense" if self.kind == "gradient" else "compressed"

    @property
    def n_colours(self) -> int:
        if self.separable is not None:
            return self.separable.c
        if self.kind == "gradient":
            return self.n
        return self._compressed[1]

    @property
    def colours(self) -> np.ndarray:
        """The colour of each input (of ``J_g``'s columns for the separable method)."""
        if self.separable is not None:
            return self.separable.colours
        if self.kind == "gradient":
            return np.arange(self.n)
        return self._compressed[0]

    def __repr__(self) -> str:
        why = f", reason={self.reason!r}" if self.reason else ""
        return (
            f"SparsePlan(kind={self.kind!r}, shape={self.shape}, method={self.method!r}, "
            f"n_colours={self.n_colours}{why})"
        )

    def _compress(self):
        from ._coloring import column_colouring, seed_matrix, star_colouring

        P = self.pattern
        rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
        cols = P.indices.astype(np.intp)
        if self.kind == "jacobian":
            colours = column_colouring(P)
            c = int(colours.max()) + 1 if colours.size else 0
            src = rows * c + colours[cols]
        else:
            colours = star_colouring(P)
            c = int(colours.max()) + 1 if colours.size else 0
            # count[i, a]: neighbours of i (i included) with colour a
            onehot = self._sp.csr_array(
                (np.ones(self.n), (np.arange(self.n), colours)), shape=(self.n, c)
            )
            full = P + self._sp.eye_array(self.n, dtype=bool, format="csr")
            count = (self._sp.csr_array(full, dtype=float) @ onehot).toarray()
            own = count[rows, colours[cols]] == 1  # j is the only one of its colour by i
            # second parts (c, n): (S^T H)[a, k] = (H S)[k, a]
            src = np.where(own, colours[cols] * self.n + rows, colours[rows] * self.n + cols)
        self._compressed = (colours, c, seed_matrix(colours, c), src)

    def _result(self, data):
        """A new CSR matrix with the plan's pattern and ``data`` as its stored entries."""
        if self._template is None:
            self._template = self._sp.csr_array(self.pattern, dtype=np.float64)
        out = self._template.copy()
        out.data = data
        return out

    def _check(self, x, kinds, who):
        if self.kind not in kinds:
            raise ValueError(
                f"{who}: this plan was made for kind={self.kind!r}; make one with "
                f"dd.sparse_plan(f, x, kind={kinds[0]!r})"
            )
        if np.shape(x) != self.shape:
            raise ValueError(
                f"{who}: the plan was made for x of shape {self.shape}, got {np.shape(x)}"
            )


def _as_pattern(pattern, shape, sp, who):
    P = sp.csr_array(pattern, dtype=bool)
    if P.shape != shape:
        raise ValueError(f"{who}: pattern has shape {P.shape}; expected {shape}")
    P.sum_duplicates()
    P.sort_indices()
    return P


def sparsity(
    f: Callable, x, kind: str = "jacobian", *, args: tuple = (), kwargs: dict | None = None
):
    """The Jacobian or Hessian sparsity pattern of ``f`` at ``x``, by tracing dependencies.

    ``f`` is evaluated once on a pattern tracer that carries, for every element of every
    intermediate, the set of inputs it depends on (see :mod:`dualdiff._tracer`); no
    derivative is evaluated and no step is taken. The pattern holds wherever ``f`` runs the
    same operations (branches on values in ``f`` itself make it local to ``x``).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``, written with numpy.
    x : array_like
        The point (one array; its elements are the ``n`` inputs, in C order).
    kind : {"jacobian", "hessian"}
        ``"hessian"`` needs a scalar f.

    Returns
    -------
    scipy.sparse.csr_array of bool
        Shape ``(f(x).size, x.size)`` for ``"jacobian"`` (``(1, n)`` for a scalar f), ``(n, n)``
        and symmetric for ``"hessian"``: True where the derivative may be nonzero.

    Raises
    ------
    UnsupportedFunctionError
        For a numpy function the tracer does not follow (the message names it).

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> dd.sparsity(lambda x: x[1:] * x[:-1], np.ones(3)).toarray()
    array([[ True,  True, False],
           [False,  True,  True]])
    >>> dd.sparsity(lambda x: np.sum(x[1:] * x[:-1]), np.ones(3), kind="hessian").toarray()
    array([[False,  True, False],
           [ True, False,  True],
           [False,  True, False]])
    """
    if kind not in ("jacobian", "hessian"):
        raise ValueError(f"sparsity: kind must be 'jacobian' or 'hessian', not {kind!r}")
    sp = _scipy_sparse()
    from ._tracer import trace

    x = _point(x)
    y, tr = _trace(trace, f, x, kind, args, kwargs)
    if kind == "hessian":
        _scalar_output(y, "sparsity(kind='hessian')")
        return tr.hessian_pattern()
    return _jacobian_pattern(y, x.size, sp)


def _jacobian_pattern(y, n, sp):
    from ._tracer import Tracer

    if isinstance(y, Tracer):
        P = sp.csr_array(y.deps, dtype=bool)
    else:
        P = sp.csr_array((int(np.size(y)), n), dtype=bool)
    P.sum_duplicates()
    P.sort_indices()
    return P


def _scalar_output(y, who):
    if np.shape(y.value if hasattr(y, "value") else y) != ():
        raise ValueError(
            f"{who} expects f to return a scalar, but f returned shape "
            f"{np.shape(y.value if hasattr(y, 'value') else y)}; for vector outputs use "
            "kind='jacobian'"
        )


def sparse_plan(
    f: Callable | None,
    x,
    kind: str = "jacobian",
    *,
    pattern=None,
    args: tuple = (),
    kwargs: dict | None = None,
) -> SparsePlan:
    """Detect the sparsity of ``f`` at ``x`` once, and colour it, for reuse at later points.

    Pass the plan as ``sparse=plan`` to :func:`~dualdiff.jacobian`, :func:`~dualdiff.gradient`
    or :func:`~dualdiff.hessian`; a solver makes it once and reuses it at every iteration
    (``sparse=True`` makes a new one on every call). See :mod:`dualdiff._sparse` for the
    methods (``plan.method``) and when each applies.

    Parameters
    ----------
    f : callable or None
        ``f(x, *args, **kwargs)`` (None when ``pattern`` is given).
    x : array_like
        A point of the shape the plan will be used at.
    kind : {"jacobian", "gradient", "hessian"}
        What the plan computes; a ``"hessian"`` plan also serves gradients.
    pattern : array_like or scipy sparse matrix, optional
        A known Jacobian pattern ``(f(x).size, x.size)`` or Hessian pattern ``(n, n)``: the
        tracer is then not run (and the separable method not looked for).

    Returns
    -------
    SparsePlan
        With ``method``, ``n_colours``, ``pattern``, ``colours`` and ``reason``.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> from dualdiff.testing import rosenbrock
    >>> plan = dd.sparse_plan(rosenbrock, np.zeros(1000), kind="hessian")
    >>> plan.method, plan.n_colours
    ('separable', 2)
    >>> H = dd.hessian(rosenbrock, np.ones(1000), sparse=plan)
    >>> H.shape, H.nnz
    ((1000, 1000), 2998)
    """
    if kind not in KINDS:
        raise ValueError(f"sparse_plan: kind must be one of {KINDS}, not {kind!r}")
    sp = _scipy_sparse()
    x = _point(x)
    n = x.size
    if pattern is not None:
        if kind == "gradient":
            raise ValueError("sparse_plan: a gradient has no pattern to give; use kind='hessian'")
        if kind == "hessian":
            P = _as_pattern(pattern, (n, n), sp, "sparse_plan")
            P = _as_pattern(P + P.T, (n, n), sp, "sparse_plan")
            return SparsePlan(kind, x.shape, (), P, None, "pattern given: not traced", sp)
        m = sp.csr_array(pattern).shape[0]
        P = _as_pattern(pattern, (m, n), sp, "sparse_plan")
        return SparsePlan(kind, x.shape, (m,), P, None, None, sp)
    from ._tracer import Tracer, trace

    y, tr = _trace(trace, f, x, kind, args, kwargs)
    if kind == "jacobian":
        out_shape = np.shape(y.value if isinstance(y, Tracer) else y)
        return SparsePlan(kind, x.shape, out_shape, _jacobian_pattern(y, n, sp), None, None, sp)
    _scalar_output(y, f"sparse_plan(kind={kind!r})")
    P = tr.hessian_pattern() if kind == "hessian" else None
    separable, reason = None, None
    root = y.root if isinstance(y, Tracer) else None
    if root is None:
        reason = (
            "f's output is not one full np.sum (or np.mean) of an intermediate array, "
            "followed only by scalar operations; the sum must be over every axis, without "
            "keepdims"
        )
    else:
        g_shape, g_deps = tr.full_sums[root]
        separable = _Separable(root, len(tr.full_sums), g_shape, g_deps, sp)
        r = np.diff(separable.P.indptr).astype(np.int64)
        if kind == "hessian" and int(r @ r) > PAIR_BUDGET:
            reason = (
                f"the summed terms have {int(r @ r)} pairs of inputs, more than {PAIR_BUDGET}: "
                "their Hessians are too dense to decompress element by element"
            )
            separable = None
    return SparsePlan(kind, x.shape, (), P, separable, reason, sp)


# ------------------------------------------------------------------ evaluation


class _Mismatch(Exception):
    """The evaluation did not follow the traced structure (fall back)."""


class _Decompress:
    """The full-sum hook of one separable evaluation: takes the argument of sum number
    ``ordinal``, keeps its derivative parts, and returns the sum seeded on its own."""

    def __init__(self, sep: _Separable, order: int, tag: int):
        self.sep, self.order, self.tag = sep, order, tag
        self.count = 0
        self.parts = None

    def __call__(self, a):
        k = self.count
        self.count += 1
        if k != self.sep.ordinal:
            return None
        if a.shape != self.sep.g_shape or type(a) is not (Dual if self.order == 1 else HyperDual):
            raise _Mismatch(f"the summed array has shape {a.shape}, traced {self.sep.g_shape}")
        if a._t != self.tag or any(isinstance(p, DualBase) for p in a._parts()):
            raise UnsupportedFunctionError(_NESTED)
        self.parts = a._parts()
        s = float(np.sum(a.value))
        if self.order == 1:
            return _dual_new(s, 1.0, "", self.tag)
        return _hyper_new(s, 1.0, 1.0, 0.0, "", "", self.tag)


def _evaluate_separable(f, x, sep: _Separable, order: int, args, kwargs):
    """``(y, parts of g)``: f evaluated with c compressed directions, its final sum hooked."""
    c = sep.c
    S = sep.S.reshape(x.shape + (c,))  # built once per plan; f never writes into a seed
    tag = new_tag()
    if order == 1:
        seed = _dual_new(x, S, "y", tag)
    else:
        seed = _hyper_new(x, S, S, np.zeros(x.shape + (c, c)), "y", "z", tag)
    hook = _Decompress(sep, order, tag)
    token = FULL_SUM_HOOK.set(hook)
    try:
        y = _call(f, seed, tag, args, kwargs)
    except (_Mismatch, ValueError) as err:
        raise _Mismatch(str(err)) from None
    finally:
        FULL_SUM_HOOK.reset(token)
    if hook.parts is None or hook.count != sep.total:
        raise _Mismatch(
            f"f made {hook.count} full sums where {sep.total} were traced; its structure "
            "changed with x"
        )
    if not isinstance(y, DualBase) or any(y._labels()) or np.shape(y.value) != ():
        raise _Mismatch("f's output is not a scalar function of its last full sum")
    return y, hook.parts


def _grad_of_sum(sep: _Separable, dual_part, n):
    m = int(np.prod(sep.g_shape))
    vals = np.reshape(dual_part, (m * sep.c,))[sep.grad_src]
    return np.bincount(sep.grad_dst, weights=vals, minlength=n)


def _fallback(plan: SparsePlan, err: Exception):
    plan.reason = f"separable evaluation failed: {err}"
    plan.separable = None
    if plan.kind == "hessian":
        plan._compress()


def value_and_gradient(f, x, plan, args=(), kwargs=None):
    """``(f(x), ∇f(x))`` (gradient shaped like x) by the separable method, or None for the
    dense driver."""
    x = _point(x)
    plan._check(x, ("gradient", "hessian"), "gradient")
    sep = plan.separable
    if sep is None:
        return None
    try:
        y, parts = _evaluate_separable(f, x, sep, 1, args, kwargs or {})
    except _Mismatch as err:
        _fallback(plan, err)
        return None
    g = _grad_of_sum(sep, parts[1], x.size) * y.dual
    return y.value, (g.reshape(x.shape) if x.shape else float(g[0]))


def jacobian(f, x, plan, args=(), kwargs=None):
    """The sparse Jacobian ``(f(x).size, x.size)`` by one compressed evaluation."""
    x = _point(x)
    plan._check(x, ("jacobian",), "jacobian")
    colours, c, S, src = plan._compressed
    P = plan.pattern
    tag = new_tag()
    y = _call(f, _dual_new(x, S.reshape(x.shape + (c,)), "y", tag), tag, args, kwargs or {})
    if isinstance(y, (list, tuple)):
        y = np.stack(y)
    if not isinstance(y, DualBase):
        data = np.zeros(P.nnz)
    else:
        data = np.reshape(y.dual, (-1,))[src] if c else np.zeros(P.nnz)
    return plan._result(data)


def value_gradient_hessian(f, x, plan, args=(), kwargs=None):
    """``(f(x), ∇f(x), ∇²f(x))``: the gradient shaped like x, the Hessian sparse ``(n, n)``,
    from the plan's evaluation(s)."""
    x = _point(x)
    plan._check(x, ("hessian",), "hessian")
    kwargs = kwargs or {}
    P = plan.pattern
    n = x.size
    sep = plan.separable
    if sep is not None:
        try:
            y, parts = _evaluate_separable(f, x, sep, 2, args, kwargs)
        except _Mismatch as err:
            _fallback(plan, err)
        else:
            src, dst = sep.hessian_map(P, n)
            m = int(np.prod(sep.g_shape))
            vals = np.reshape(parts[3], (m * sep.c * sep.c,))[src]
            data = np.bincount(dst, weights=vals, minlength=P.nnz) * y.eps1
            gs = _grad_of_sum(sep, parts[1], n)
            if y.eps12 != 0.0:  # h''(s) ∇s ∇sᵀ, for f = h(Σ g) with a nonlinear h
                rows = np.repeat(np.arange(n), np.diff(P.indptr))
                data = data + y.eps12 * gs[rows] * gs[P.indices]
            H = plan._result(data)
            return y.value, (gs * y.eps1).reshape(x.shape), H
    colours, c, S, src = plan._compressed
    StH = np.zeros((c, n))  # (S^T H)[a, k], in blocks of ε2 directions
    g = np.zeros(n)
    value = None
    step = max(1, min(n, BLOCK_ELEMENTS // max(1, n * max(c, 1))))
    for k0 in range(0, n, step):
        k1 = min(n, k0 + step)
        e2 = np.zeros((n, k1 - k0))
        e2[np.arange(k0, k1), np.arange(k1 - k0)] = 1.0
        tag = new_tag()
        seed = _hyper_new(x, S.reshape(x.shape + (c,)), e2.reshape(x.shape + (k1 - k0,)),
                          np.zeros(x.shape + (c, k1 - k0)), "y", "z", tag)  # fmt: skip
        y = _call(f, seed, tag, args, kwargs)
        if isinstance(y, DualBase):
            _scalar_output(y, "hessian")
            value = y.value
            g[k0:k1] = np.reshape(y.eps2, (k1 - k0,))
            if c:
                StH[:, k0:k1] = np.reshape(y.eps12, (c, k1 - k0))
        else:
            value = y
    H = plan._result(StH.ravel()[src])
    return value, g.reshape(x.shape), H


BLOCK_ELEMENTS = 2 * 10**7
"""The compressed Hessian's ``ε2`` directions go in blocks so that an input's second parts
(``x.size × c × block`` floats) stay under this many elements (160 MB)."""
