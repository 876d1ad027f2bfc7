"""Matrix-free Hessians and Jacobians as :class:`scipy.sparse.linalg.LinearOperator`\\ s.

A product never forms the matrix: ``H @ v`` is one set of hvp passes (ε1 = v, ε2 = chunks of
the basis, :func:`dualdiff._chunks.hessian_products`), ``J @ v`` one dual evaluation
``f(x + v·ε)``. Forward mode has no cheap reverse pass, so ``Jᵀ @ u`` runs the Jacobian's
passes (chunks of columns) and contracts each with ``u`` as it arrives: the cost of a Jacobian,
the memory of one chunk. A Hessian-vector product likewise costs about a gradient (``n``
directions in ε2). scipy is imported only when an operator is built.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _chunks
from ._seed import Inputs, finish
from ._tree import LEAF

_CLASS: list = []


def _operator_class():
    """The LinearOperator subclass (made on first use: scipy is imported only then)."""
    if _CLASS:
        return _CLASS[0]
    try:
        from scipy.sparse.linalg import LinearOperator
    except ImportError:  # pragma: no cover - scipy is a test dependency
        raise ImportError(
            "hessian_operator and jacobian_operator return scipy LinearOperators: install "
            "scipy (pip install scipy), or use dd.hvp / dd.jvp directly"
        ) from None

    class DerivativeOperator(LinearOperator):
        """A matrix-free derivative. ``np.dot(op, v)`` and ``np.matmul(op, v)`` are products
        (``op @ v``): scipy's trust-region solvers (``trust-ncg``, ``trust-krylov``) multiply
        their ``hess`` with ``np.dot``, which a plain LinearOperator does not support."""

        def __init__(self, shape, matvec, matmat, rmatvec, rmatmat):
            super().__init__(np.float64, shape)
            self._mv, self._mm, self._rmv, self._rmm = matvec, matmat, rmatvec, rmatmat

        def _matvec(self, v):
            return self._mv(np.reshape(v, -1))

        def _matmat(self, V):
            return self._mm(V)

        def _rmatvec(self, u):
            return self._rmv(np.reshape(u, -1))

        def _rmatmat(self, U):
            return self._rmm(U)

        def _adjoint(self):
            return DerivativeOperator(
                (self.shape[1], self.shape[0]), self._rmv, self._rmm, self._mv, self._mm
            )

        def __array_function__(self, func, types, args, kwargs):
            if func in (np.dot, np.matmul) and len(args) == 2 and args[0] is self:
                if not kwargs:
                    return self @ np.asarray(args[1])
            return NotImplemented

    _CLASS.append(DerivativeOperator)
    return DerivativeOperator


def _single(inp: Inputs, driver: str):
    if not inp.single or inp.any_complex:
        raise TypeError(f"{driver}: x must be one real array (operators act on real vectors)")
    return inp.shapes[0]


def _columns(V, shape: tuple, n: int, driver: str) -> np.ndarray:
    """``V`` of shape ``(n, p)`` as directions shaped ``x.shape + (p,)``."""
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] != n:
        raise ValueError(f"{driver}: expected an array of shape ({n}, p); got {V.shape}")
    return V.reshape(shape + (V.shape[1],))


def hessian_operator(f: Callable, x, *, args=(), kwargs=None, chunk_size=None, executor=None):
    """``∇²f(x)`` as a matrix-free ``scipy.sparse.linalg.LinearOperator`` of shape ``(n, n)``.

    ``matvec(v)`` is :func:`hvp` (``H @ v`` without forming ``H``: each product costs about a
    gradient, in passes of ``chunk_size`` columns sized to the memory budget); ``rmatvec`` is
    ``matvec`` (``H`` is symmetric); ``matmat(V)`` pushes all columns of ``V`` through each
    pass at once (ε1 = V). ``scipy.optimize.minimize`` takes it as ``hess=`` with
    ``method="Newton-CG"``, ``"trust-krylov"``, ``"trust-ncg"`` and ``"trust-constr"`` (the
    trust-region methods multiply with ``np.dot``, which the operator turns into products),
    and ``scipy.sparse.linalg.cg`` and ``minres`` solve with it. scipy is required.

    Parameters
    ----------
    f : callable
        Scalar ``f(x, *args, **kwargs)``.
    x : array_like
        The point; ``n = x.size`` (vectors are flattened in x's C order).
    args, kwargs : tuple, dict
        Further arguments of f.
    chunk_size, executor
        As for :func:`hessian`.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Shape ``(n, n)``, dtype float64.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> H = dd.hessian_operator(lambda x: x[0] ** 2 * x[1], np.array([1.0, 2.0]))
    >>> H @ np.array([1.0, 0.0])
    array([4., 2.])
    """
    Operator = _operator_class()
    inp = Inputs(f, (x,), 0, args, kwargs, "hessian_operator")
    shape, n = _single(inp, "hessian_operator"), inp.n
    check = _scalar_only("hessian_operator")

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(shape)
        hv, _, _ = _chunks.hessian_products(inp, [v], False, chunk_size, executor, check)
        return finish(np.reshape(hv, (n,)), inp.dtype)

    def matmat(V):
        V = _columns(V, shape, n, "hessian_operator")
        out, _, _ = _chunks.hessian_products(inp, [V], False, chunk_size, executor, check)
        return np.transpose(np.reshape(out, (V.shape[-1], n)))

    return Operator((n, n), matvec, matmat, matvec, matmat)


def jacobian_operator(f: Callable, x, *, args=(), kwargs=None, chunk_size=None, executor=None):
    """``J(x)`` of ``f: R^n → R^m`` as a matrix-free ``LinearOperator`` of shape ``(m, n)``.

    ``matvec(v)`` is :func:`jvp` (one dual evaluation, ``J`` never formed); ``matmat(V)`` one
    evaluation with the ``p`` columns of ``V`` as directions. ``rmatvec(u) = Jᵀ u`` and
    ``rmatmat``: forward mode has no cheap transpose, so they run the Jacobian's passes
    (``chunk_size`` columns each, sized to the memory budget) and contract each chunk with
    ``u`` as it arrives: the time of a Jacobian, the memory of one chunk. For many transpose
    products, form ``J`` once with :func:`jacobian` instead. Building the operator evaluates
    ``f`` once, for ``m``; ``op.value`` keeps ``f(x)``. scipy is required.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``, any output shape (flattened in C order).
    x : array_like
        The point; ``n = x.size``.
    args, kwargs : tuple, dict
        Further arguments of f.
    chunk_size, executor
        As for :func:`jacobian` (used by ``rmatvec`` / ``rmatmat``).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Shape ``(m, n)``, dtype float64, with the extra attribute ``value`` (f(x)).

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> J = dd.jacobian_operator(np.cumsum, np.array([1.0, 2.0, 3.0]))
    >>> J @ np.array([1.0, 0.0, 0.0]), J.T @ np.array([0.0, 0.0, 1.0])
    (array([1., 1., 1.]), array([1., 1., 1.]))
    """
    Operator = _operator_class()
    inp = Inputs(f, (x,), 0, args, kwargs, "jacobian_operator")
    shape, n = _single(inp, "jacobian_operator"), inp.n

    def push(V):  # one pass with the given directions: d1 of shape out_shape + (p,)
        out = _chunks.run_pass(inp, _chunks.Pass(None, v=[V]), False)
        if out.out_tree is not LEAF:
            raise TypeError("jacobian_operator: f must return one array, not a structure")
        return out.values[0], out.d1[0]

    value, _ = push(np.zeros(shape + (1,)))
    m = int(np.size(value))

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(shape + (1,))
        return np.reshape(push(v)[1], (m,))

    def matmat(V):
        V = _columns(V, shape, n, "jacobian_operator")
        return np.reshape(push(V)[1], (m, V.shape[-1]))

    def rmatmat(U):
        U = np.reshape(np.asarray(U, dtype=np.float64), (m, -1))
        return _chunks.transpose_products(inp, U, chunk_size, executor)

    def rmatvec(u):
        return rmatmat(u)[:, 0]

    op = Operator((m, n), matvec, matmat, rmatvec, rmatmat)
    op.value = finish(value, inp.dtype)
    return op


def _scalar_only(driver: str):
    def check(out) -> None:
        if np.shape(out.values[0]) != () or len(out.values) != 1:
            raise ValueError(f"{driver} expects f to return a scalar")

    return check
