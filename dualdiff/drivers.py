"""Derivatives of user functions: each driver seeds, calls ``f`` once, and extracts.

``f`` is ordinary numpy code (``np.sin``, ``@``, ``np.sum``, ...). The call convention is
JAX's: ``driver(f, *primals, argnums=0, args=(), kwargs=None, has_aux=False)`` evaluates
``f(*primals, *args, **kwargs)`` and differentiates with respect to ``primals[argnums]``
(a tuple ``argnums`` gives a tuple of results, one per argument); ``driver(f, x)`` is the
common case. :func:`jvp` and :func:`hvp` take a point and a direction: ``jvp(f, x, v)``, or
JAX's ``jvp(f, (x, y), (vx, vy))`` where tuples hold the positional arguments.

Inputs. Each differentiated argument is a Python scalar, an array (lists of numbers are
arrays, as numpy reads them), or a nested dict/list/tuple of them (:mod:`dualdiff._tree`);
derivatives come back in the same structure (JAX's convention: a Jacobian is f's output
structure holding, per output leaf, blocks in x's structure; a Hessian is x's structure of
x's structure). Integers become float64. Float32 (or float16) inputs are computed in float64
and the results cast back, so float32 in gives float32 out; float64 and integer inputs give
float64, with 0-d results as Python floats.

Auxiliary output. With ``has_aux=True`` f returns ``(output, aux)``; only ``output`` is
differentiated and ``aux`` comes back with its dual numbers replaced by their values. Drivers
that return derivatives only return ``(result, aux)``; those that return the value too put
``(value, aux)`` in the value's place (JAX's ``value_and_grad``); :func:`jvp` returns
``(value, tangent, aux)``.

Batches. ``batch_axis=b`` (gradient, jacobian, hessian and their value_ forms) treats x as
``N`` points along axis ``b`` and returns ``N`` per-point derivatives, batch axis first, from
one evaluation with the directions of one point: f must treat the points independently and
keep them on axis ``b`` of its output (first-order drivers check this at the cost of one
extra direction, see :class:`dualdiff._seed.Batch`).

Complex inputs (docs: "Complex numbers"). A complex ``z + t·v`` carries ``d/dt f(z + t·v)`` for
a real ``t``: :func:`jvp` along a complex ``v`` is that directional derivative for any f.
:func:`derivative`, :func:`jacobian`, :func:`second_derivative` and
:func:`value_and_derivatives` seed each complex element along ``1`` and ``i`` and return the
complex derivative once the Cauchy-Riemann equations hold (else ValueError: f is not
holomorphic); :func:`gradient` of a real-valued f returns ``∂f/∂Re x + i·∂f/∂Im x`` (the
conjugate of JAX's ``grad``); the second-order and batched drivers refuse complex x.

Nesting. Every driver call perturbs with its own tag (:mod:`dualdiff._base`), so drivers
nest exactly, in any order and to any depth: ``jacobian(lambda y: gradient(f, y), x)`` equals
``hessian(f, x)``, ``derivative(lambda x: x * derivative(lambda y: x * y, 2.0), 1.0)`` is
``2``, and f may close over an outer driver's variable. A driver's ``x`` may itself be a dual
number (an outer driver's, or one the user made); the results are then dual numbers of that
outer tag. :func:`nth_derivative` nests :func:`second_derivative` and :func:`derivative`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _chunks, _dask, _seed, _tree
from ._seed import Batch, Inputs


class Derivatives(NamedTuple):
    """``(value, first, second)`` = ``(f(x), f'(x), f''(x))``."""

    value: Any
    first: Any
    second: Any


class ValueAndGradient(NamedTuple):
    """``(value, gradient)`` of a scalar function."""

    value: Any
    gradient: Any


class ValueGradientHessian(NamedTuple):
    """``(value, gradient, hessian)`` of a scalar function."""

    value: Any
    gradient: Any
    hessian: Any


# ------------------------------------------------------------------------ helpers


def _aux(result, aux, has_aux: bool):
    return (result, aux) if has_aux else result


def _one(r) -> tuple:
    return (r,)


def _scalar_check(driver: str, alternative: str):
    """A check of a pass's output (:class:`dualdiff._chunks.Out`): f must be scalar."""

    def check(out) -> None:
        if out.out_tree is not _tree.LEAF or np.shape(out.values[0]) != ():
            shape = np.shape(out.values[0]) if out.out_tree is _tree.LEAF else "a structure"
            raise ValueError(
                f"{driver} expects f to return a scalar, but f returned shape {shape}; "
                f"for vector outputs use {alternative}"
            )

    return check


def _no_chunks(chunk_size, executor, driver: str, case: str = "") -> None:
    if chunk_size is not None or executor is not None:
        case = case or "batch_axis (one pass with the directions of one point)"
        raise TypeError(f"{driver}: chunk_size and executor do not apply with {case}")


def _real_valued_parts(value, part):
    """The value and derivative part of ``gradient`` for complex x, where f must be
    real-valued: a complex-typed output is taken when its imaginary parts are exactly zero."""
    if not (np.iscomplexobj(value) or np.iscomplexobj(part)):
        return value, part
    if np.all(np.imag(value) == 0.0) and np.all(np.imag(part) == 0.0):
        return np.real(value), np.real(part)
    raise ValueError(
        "gradient with complex x expects a real-valued f (then it returns df/dRe(x) + "
        "i·df/dIm(x)); f returned a complex value. If f is real in exact arithmetic, return "
        "np.real(...) of it; for a holomorphic f use derivative or jacobian"
    )


_SPLIT = (
    "Differentiate with respect to the real and imaginary parts as real inputs: "
    "hessian(lambda p: f(p[0] + 1j * p[1]), np.stack([z.real, z.imag])); for a holomorphic "
    "f of one complex variable, second_derivative(f, z)."
)


def _primals(x, v, driver: str):
    """``(primals, tangents, argnums)``: JAX's tuples of positional arguments, or one x."""
    if type(x) is tuple:
        if type(v) is not tuple or len(v) != len(x):
            raise TypeError(
                f"{driver}: x is a tuple, read as JAX's tuple of f's positional arguments, "
                f"so v must be a tuple of as many directions; got {type(v).__name__}. "
                f"For one structured argument write {driver}(f, (x,), (v,))"
            )
        return x, v, tuple(range(len(x)))
    return (x,), v, 0


# ------------------------------------------------------------------------ elementwise


def derivative(f: Callable, *x, argnums=0, args=(), kwargs=None, has_aux=False):
    """``f'(x)`` by one dual evaluation ``f(x + ε)``: every element of x seeded with 1.

    That is ``J @ 1``, which is the elementwise derivative only for an elementwise ``f``; f
    must therefore return x's shape (and structure) unless x is a scalar (then any output,
    such as a curve, is fine). A different output shape raises ``ValueError`` naming
    :func:`gradient` and :func:`jacobian`; a non-elementwise f of matching shape (such as
    ``np.cumsum``) is not detected, as that would need a second direction per element.

    Parameters
    ----------
    f : callable
        ``f(*x, *args, **kwargs)``.
    *x : scalar, array_like or structure
        The point; ``argnums`` picks the differentiated arguments.
    argnums, args, kwargs, has_aux
        As in the module docstring.

    Returns
    -------
    float or ndarray or structure
        Shaped like ``f(x)``; ``(derivative, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import numpy as np
    >>> derivative(np.sin, 0.0)
    1.0
    >>> derivative(lambda x, a: a * x**2, np.array([1.0, 2.0]), args=(3.0,))
    array([ 6., 12.])
    """
    i = _dask.target(x, argnums, has_aux, "derivative")
    if i is not None:
        options = {"argnums": argnums, "args": args, "kwargs": kwargs}
        return _dask.elementwise(derivative, _one, 1, f, x, i, **options)[0]
    inp = Inputs(f, x, argnums, args, kwargs, "derivative")
    numbers, out_tree, aux = inp.call(inp.seed("ones", 1), has_aux)
    inp.elementwise(numbers, out_tree)
    return _aux(inp.values([inp.ones_part(y.dual) for y in numbers], out_tree), aux, has_aux)


def second_derivative(f: Callable, *x, argnums=0, args=(), kwargs=None, has_aux=False):
    """``f''(x)`` by one hyper-dual evaluation ``f(x + ε1 + ε2)``, shaped like ``f(x)``.

    Elementwise for arrays, with the conventions and checks of :func:`derivative`;
    ``(second, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import numpy as np
    >>> second_derivative(lambda t: t**3, np.array([1.0, 2.0]))
    array([ 6., 12.])
    """
    r = value_and_derivatives(f, *x, argnums=argnums, args=args, kwargs=kwargs, has_aux=has_aux)
    return (r.second, r.value[1]) if has_aux else r.second


def value_and_derivatives(f: Callable, *x, argnums=0, args=(), kwargs=None, has_aux=False):
    """``(f(x), f'(x), f''(x))`` from one hyper-dual evaluation ``f(x + ε1 + ε2)``.

    Each part is shaped like ``f(x)`` (elementwise for arrays, with the checks of
    :func:`derivative`). With ``has_aux`` the value is ``(value, aux)``.

    Examples
    --------
    >>> import numpy as np
    >>> value_and_derivatives(np.exp, 0.0)
    Derivatives(value=1.0, first=1.0, second=1.0)
    """
    i = _dask.target(x, argnums, has_aux, "value_and_derivatives")
    if i is not None:
        options = {"argnums": argnums, "args": args, "kwargs": kwargs}
        return Derivatives(*_dask.elementwise(value_and_derivatives, tuple, 3, f, x, i, **options))
    inp = Inputs(f, x, argnums, args, kwargs, "value_and_derivatives")
    numbers, out_tree, aux = inp.call(inp.seed("ones", 2), has_aux)
    inp.elementwise(numbers, out_tree)
    parts = [
        inp.values([getattr(y, p) if p == "value" else inp.ones_part(getattr(y, p))
                    for y in numbers], out_tree)
        for p in _PARTS2
    ]  # fmt: skip
    return Derivatives(_aux(parts[0], aux, has_aux), parts[1], parts[2])


_PARTS2 = ("value", "eps1", "eps12")


def nth_derivative(f: Callable, x, n: int, *, args=(), kwargs=None):
    """``f⁽ⁿ⁾(x)``, the ``n``-th derivative, exact, by nesting the drivers.

    ``n = 0`` is ``f(x)``, 1 is :func:`derivative`, 2 :func:`second_derivative`; higher
    orders nest them, ``f⁽ⁿ⁾ = (f⁽ⁿ⁻²⁾)''`` (tags keep the levels apart, see the module
    docstring). Elementwise for arrays, with the conventions and checks of
    :func:`derivative`; shaped like ``f(x)``. Each level doubles (a first derivative) or
    quadruples (a second) the components every operation carries, so the cost grows as
    ``2ⁿ``: meant for small ``n`` (up to 4 or 5), not for Taylor series.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``, written with numpy.
    x : scalar or array_like
        The point.
    n : int
        The order, ``n >= 0``.
    args, kwargs
        Further arguments of f, not differentiated.

    Returns
    -------
    float or ndarray
        Shaped like ``f(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> nth_derivative(np.sin, 0.0, 3)
    -1.0
    >>> nth_derivative(lambda t: t**4, np.array([1.0, 2.0]), 4)
    array([24., 24.])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"nth_derivative: n must be an integer >= 0; got {n!r}")
    kwargs = kwargs or {}
    n = int(n)
    if n == 0:
        y = f(x, *args, **kwargs)
        return float(y) if isinstance(y, np.ndarray | np.generic) and np.ndim(y) == 0 else y
    if n == 1:
        return derivative(f, x, args=args, kwargs=kwargs)
    if n == 2:
        return second_derivative(f, x, args=args, kwargs=kwargs)
    return second_derivative(lambda t: nth_derivative(f, t, n - 2, args=args, kwargs=kwargs), x)


# ------------------------------------------------------------------------ gradients


def gradient(
    f,
    *x,
    argnums=0,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    sparse=False,
    chunk_size=None,
    executor=None,
):
    """``∇f(x)`` of a scalar ``f``, shaped like x, from one vector-mode dual evaluation.

    ``g[j...] = ∂f/∂x[j...]``; shape ``x.shape`` (the structure of x for structured x, a tuple
    for a tuple ``argnums``). With ``batch_axis``, f returns one scalar per point, shape
    ``(N,)``, and the result is the ``N`` gradients, shape ``(N,) + point shape``.
    ``(gradient, aux)`` with ``has_aux``.

    Parameters
    ----------
    f : callable
        ``f(*x, *args, **kwargs)``, written with numpy.
    *x : scalar, array_like or nested dict/list/tuple of them
        The point (positional arguments of f); ``argnums`` (int or tuple) picks the
        differentiated ones.
    args, kwargs : tuple, dict
        Further arguments of f, not differentiated.
    has_aux : bool
        f returns ``(output, aux)``; see the module docstring for what is returned.
    batch_axis : int, optional
        The axis of x (and of f's output) holding independent points.
    chunk_size : int, optional
        Directions per evaluation of f: ``chunk_size`` columns. Default: sized to the CPU's
        caches and the memory budget (:ref:`memory-and-chunking`); results do not depend on it.
    executor : concurrent.futures.Executor, optional
        Runs the passes (one task each) and assembles them; for a process pool f, x and args
        must be picklable (f defined at module level).
    sparse : bool or SparsePlan
        ``True`` or a plan from :func:`~dualdiff.sparse_plan` (``kind="gradient"`` or
        ``"hessian"``): for ``f(x) = h(Σ_i g_i(x))`` with sparse ``g``, one evaluation with
        as many directions as ``J_g`` has colours (2 for Rosenbrock) instead of ``n``; other
        f use the dense evaluation (``plan.reason`` says why). One array x only.

    Examples
    --------
    >>> import numpy as np
    >>> gradient(lambda x: np.sum(x**2), np.array([1.0, 2.0]))
    array([2., 4.])
    >>> gradient(lambda p: p["w"] ** 2 * p["b"], {"w": 3.0, "b": 2.0})
    {'w': 12.0, 'b': 9.0}
    >>> gradient(lambda X: np.sum(X**2, axis=1), np.ones((3, 2)), batch_axis=0)
    array([[2., 2.],
           [2., 2.],
           [2., 2.]])
    """
    r = value_and_gradient(f, *x, argnums=argnums, args=args, kwargs=kwargs,
                           has_aux=has_aux, batch_axis=batch_axis, sparse=sparse,
                           chunk_size=chunk_size, executor=executor)  # fmt: skip
    return (r.gradient, r.value[1]) if has_aux else r.gradient


def _sparse_mod():
    from . import _sparse

    return _sparse


def _sparse_plan(f, x, argnums, has_aux, batch_axis, sparse, kind, args, kwargs):
    """The plan of a ``sparse=`` driver call (a new one for ``sparse=True``)."""
    if len(x) != 1 or argnums != 0 or has_aux or batch_axis is not None:
        raise TypeError(
            f"{kind}(..., sparse=...) takes one array x, without argnums, has_aux or "
            "batch_axis; pass other arguments of f in args="
        )
    mod = _sparse_mod()
    if sparse is True:
        return mod.sparse_plan(f, x[0], "hessian" if kind == "hessian" else kind,
                               args=args, kwargs=kwargs)  # fmt: skip
    if not isinstance(sparse, mod.SparsePlan):
        raise TypeError(
            f"{kind}: sparse must be True, False or a plan from dd.sparse_plan; "
            f"got {type(sparse).__name__}"
        )
    return sparse


def value_and_gradient(
    f,
    *x,
    argnums=0,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    sparse=False,
    chunk_size=None,
    executor=None,
):
    """``(f(x), ∇f(x))`` of a scalar ``f`` from one vector-mode dual evaluation.

    Shapes as :func:`gradient`; the value is a scalar (``(N,)`` with ``batch_axis``), or
    ``(value, aux)`` with ``has_aux``. ``sparse`` as in :func:`gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> value_and_gradient(lambda x: np.sum(x**2), np.array([1.0, 2.0]))
    ValueAndGradient(value=5.0, gradient=array([2., 4.]))
    """
    if sparse is not False and sparse is not None:
        plan = _sparse_plan(f, x, argnums, has_aux, batch_axis, sparse, "gradient", args, kwargs)
        r = _sparse_mod().value_and_gradient(f, x[0], plan, args, kwargs)
        if r is not None:
            return ValueAndGradient(*r)
    inp = Inputs(f, x, argnums, args, kwargs, "gradient")
    if batch_axis is not None:
        inp.no_complex("Drop batch_axis.")
        _no_chunks(chunk_size, executor, "gradient")
        b = Batch(inp, batch_axis)
        (y,), _, aux = inp.call(b.seed(1), has_aux)
        value, grad = b.value(y.value, y.shape, True), b.blocks(y.dual, y.shape, 1, True)
    else:
        check = _scalar_check("gradient", "jacobian")
        values, parts, _, aux, _ = _chunks.first_order(inp, has_aux, chunk_size, executor, check)
        value, part = values[0], parts[0]
        if inp.any_complex:
            value, part = _real_valued_parts(value, part)
        value, grad = _seed.finish(value, inp.dtype), inp.blocks(part, (), "gradient")
    return ValueAndGradient(_aux(value, aux, has_aux), grad)


def jacobian(
    f,
    *x,
    argnums=0,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    sparse=False,
    chunk_size=None,
    executor=None,
):
    """``J[i..., j...] = ∂f(x)[i...] / ∂x[j...]``, shape ``f(x).shape + x.shape``.

    One vector-mode dual evaluation. For structured x or f(x), f's output structure holds one
    block per output leaf in x's structure (JAX's convention). With ``batch_axis`` the ``N``
    per-point Jacobians, shape ``(N,) + f point shape + x point shape`` (``(N, m, n)`` for
    rows of x mapped to rows of f(x)), as JAX's ``vmap(jacfwd(f))``. ``(J, aux)`` with
    ``has_aux``.

    Parameters
    ----------
    f : callable
        ``f(*x, *args, **kwargs)``, written with numpy.
    *x : scalar, array_like or nested dict/list/tuple of them
        The point (positional arguments of f); ``argnums`` (int or tuple) picks the
        differentiated ones.
    args, kwargs : tuple, dict
        Further arguments of f, not differentiated.
    has_aux : bool
        f returns ``(output, aux)``; see the module docstring for what is returned.
    batch_axis : int, optional
        The axis of x (and of f's output) holding independent points.
    chunk_size : int, optional
        Directions per evaluation of f: ``chunk_size`` columns. Default: sized to the CPU's
        caches and the memory budget (:ref:`memory-and-chunking`); results do not depend on it.
    executor : concurrent.futures.Executor, optional
        Runs the passes (one task each) and assembles them; for a process pool f, x and args
        must be picklable (f defined at module level).
    sparse : bool or SparsePlan
        ``True`` or a plan from :func:`~dualdiff.sparse_plan`: the pattern is traced, its
        columns coloured, and one evaluation with one direction per colour gives a
        ``scipy.sparse.csr_array`` of shape ``(f(x).size, x.size)``. One array x only.

    Examples
    --------
    >>> import numpy as np
    >>> jacobian(lambda x: x**2, np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacobian(lambda X: X**2, np.array([[1.0, 2.0], [3.0, 4.0]]), batch_axis=0)
    array([[[2., 0.],
            [0., 4.]],
    <BLANKLINE>
           [[6., 0.],
            [0., 8.]]])
    """
    if sparse is not False and sparse is not None:
        plan = _sparse_plan(f, x, argnums, has_aux, batch_axis, sparse, "jacobian", args, kwargs)
        return _sparse_mod().jacobian(f, x[0], plan, args, kwargs)
    inp = Inputs(f, x, argnums, args, kwargs, "jacobian")
    if batch_axis is not None:
        inp.no_complex("Drop batch_axis.")
        _no_chunks(chunk_size, executor, "jacobian")
        b = Batch(inp, batch_axis)
        (y,), _, aux = inp.call(b.seed(1), has_aux)
        return _aux(b.blocks(y.dual, y.shape, 1), aux, has_aux)
    values, parts, out_tree, aux, _ = _chunks.first_order(inp, has_aux, chunk_size, executor)
    J = _tree.unflatten(out_tree, [inp.blocks(d, np.shape(v)) for v, d in zip(values, parts)])
    return _aux(J, aux, has_aux)


def hessian(
    f,
    *x,
    argnums=0,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    sparse=False,
    chunk_size=None,
    executor=None,
):
    """``H[i..., j...] = ∂²f / ∂x[i...] ∂x[j...]`` of a scalar ``f``, shape ``x.shape * 2``.

    One vector-mode hyper-dual evaluation. Structured x gives x's structure of x's structure
    of blocks. With ``batch_axis``, ``N`` Hessians of shape ``(N,) + point shape * 2``
    (points assumed independent, not checked). ``(H, aux)`` with ``has_aux``.

    Parameters
    ----------
    f : callable
        ``f(*x, *args, **kwargs)``, written with numpy.
    *x : scalar, array_like or nested dict/list/tuple of them
        The point (positional arguments of f); ``argnums`` (int or tuple) picks the
        differentiated ones.
    args, kwargs : tuple, dict
        Further arguments of f, not differentiated.
    has_aux : bool
        f returns ``(output, aux)``; see the module docstring for what is returned.
    batch_axis : int, optional
        The axis of x (and of f's output) holding independent points.
    chunk_size : int, optional
        Directions per evaluation of f: a ``chunk_size × chunk_size`` tile of H. Default:
        sized to the CPU's caches and the memory budget (:ref:`memory-and-chunking`); results
        do not depend on it.
    executor : concurrent.futures.Executor, optional
        Runs the passes (one task each) and assembles them; for a process pool f, x and args
        must be picklable (f defined at module level).
    sparse : bool or SparsePlan
        ``True`` or a plan from :func:`~dualdiff.sparse_plan` (``kind="hessian"``): a
        ``scipy.sparse.csr_array`` of shape ``(n, n)``. For ``f(x) = h(Σ_i g_i(x))`` one
        hyper-dual evaluation with as many directions as ``J_g`` has colours; otherwise a
        star colouring of the Hessian pattern (see :mod:`dualdiff._sparse`). One array x only.

    Examples
    --------
    >>> import numpy as np
    >>> hessian(lambda x: x[0] ** 2 * x[1], np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    r = value_gradient_hessian(f, *x, argnums=argnums, args=args, kwargs=kwargs,
                               has_aux=has_aux, batch_axis=batch_axis, sparse=sparse,
                               chunk_size=chunk_size, executor=executor)  # fmt: skip
    return (r.hessian, r.value[1]) if has_aux else r.hessian


def value_gradient_hessian(
    f,
    *x,
    argnums=0,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    sparse=False,
    chunk_size=None,
    executor=None,
) -> ValueGradientHessian:
    """``(f(x), ∇f(x), ∇²f(x))`` from one vector-mode hyper-dual evaluation.

    Shapes as :func:`gradient` and :func:`hessian`; ``(value, aux)`` with ``has_aux``. With
    ``sparse`` (as in :func:`hessian`) the Hessian is a ``scipy.sparse.csr_array`` and the
    three come from the same sparse evaluation.

    Examples
    --------
    >>> import numpy as np
    >>> value_gradient_hessian(lambda x: np.sum(x**3), np.array([1.0]))
    ValueGradientHessian(value=1.0, gradient=array([3.]), hessian=array([[6.]]))
    """
    if sparse is not False and sparse is not None:
        plan = _sparse_plan(f, x, argnums, has_aux, batch_axis, sparse, "hessian", args, kwargs)
        return ValueGradientHessian(*_sparse_mod().value_gradient_hessian(f, x[0], plan, args,
                                                                          kwargs))  # fmt: skip
    inp = Inputs(f, x, argnums, args, kwargs, "hessian")
    inp.no_complex(_SPLIT)
    alt = "jacobian of jacobian, or hvp per output"
    if batch_axis is not None:
        _no_chunks(chunk_size, executor, "hessian")
        b = Batch(inp, batch_axis)
        (y,), _, aux = inp.call(b.seed(2), has_aux)
        value, parts = b.value(y.value, y.shape, True), (y.eps1, y.eps12)
        g, H = (b.blocks(p, y.shape, k, True) for k, p in enumerate(parts, 1))
    else:
        check = _scalar_check("hessian", alt)
        value, g, H, aux, _ = _chunks.second_order(inp, has_aux, chunk_size, executor, check)
        value, g, H = _seed.finish(value, inp.dtype), inp.blocks(g, ()), inp.blocks2(H)
    return ValueGradientHessian(_aux(value, aux, has_aux), g, H)


# ------------------------------------------------------------------------ directions


def hvp(f: Callable, x, v, *, args=(), kwargs=None, has_aux=False, chunk_size=None, executor=None):
    """``∇²f(x) @ v``, shaped like x, from evaluations with ``x + v·ε1 + E·ε2``.

    ``E`` runs through the identity basis in chunks of ``chunk_size`` columns (sized to the
    caches and the memory budget by default), so ``H`` is never formed: the peak is
    ``LIVE·8·n·(2 + 2k)`` bytes for ``k`` columns per pass, and the cost about that of a
    gradient. ``executor`` runs the passes as for :func:`gradient`.

    ``x`` and ``v`` have the same shape or structure; tuples are JAX's tuples of f's
    positional arguments (then the result is a tuple). ``(hvp, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import numpy as np
    >>> hvp(lambda x: x[0] ** 2 * x[1], np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([4., 2.])
    """
    primals, tangents, argnums = _primals(x, v, "hvp")
    inp = Inputs(f, primals, argnums, args, kwargs, "hvp")
    inp.no_complex(_SPLIT)
    v = inp.directions(tangents, "hvp")
    check = _scalar_check("hvp", "jacobian")
    hv, aux, _ = _chunks.hessian_products(inp, v, has_aux, chunk_size, executor, check)
    return _aux(inp.blocks(hv, ()), aux, has_aux)


def jvp(f: Callable, x, v, *, args=(), kwargs=None, has_aux=False) -> tuple:
    """``(f(x), J(x) @ v)`` from one dual evaluation ``f(x + v·ε)``, both shaped like f(x).

    ``x`` and ``v`` have the same shape or structure. As in JAX, tuples are the positional
    arguments: ``jvp(f, (x, y), (vx, vy))`` differentiates ``f(x, y)`` along ``(vx, vy)``.
    ``(value, tangent, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import numpy as np
    >>> jvp(lambda x: x**2, np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    (array([1., 4.]), array([2., 4.]))
    >>> jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    (6.0, 3.0)
    """
    if _dask.is_dask(x):
        _dask.target((x,), 0, has_aux, "jvp")
        return _dask.jvp(jvp, f, x, v, args=args, kwargs=kwargs)
    primals, tangents, argnums = _primals(x, v, "jvp")
    inp = Inputs(f, primals, argnums, args, kwargs, "jvp")
    v = inp.directions(tangents, "jvp")
    numbers, out_tree, aux = inp.call(inp.seed("direction", 1, v), has_aux)
    value = inp.values([y.value for y in numbers], out_tree)
    tangent = inp.values([y.dual for y in numbers], out_tree)
    return (value, tangent, aux) if has_aux else (value, tangent)


# ------------------------------------------------------------------------ memory


def memory_plan(
    driver: str, x, *, chunk_size: int | None = None, n_outputs: int | None = None
) -> _chunks.ChunkPlan:
    """How ``driver(f, x)`` will split its directions, and its estimated peak memory.

    The drivers evaluate their directions in passes (chunks) sized to the CPU's caches and the
    memory budget (:func:`set_memory_budget`); see :ref:`memory-and-chunking` for the model.
    This is the plan they follow, computed without calling f.

    Parameters
    ----------
    driver : {"gradient", "jacobian", "hessian", "hvp"}
        The driver (``value_and_gradient`` plans as ``gradient``, and so on).
    x : array_like or structure
        The point, or anything of its size (only the number of elements ``n`` matters).
    chunk_size : int, optional
        As passed to the driver.
    n_outputs : int, optional
        Elements of f(x), for a Jacobian (default ``n``).

    Returns
    -------
    ChunkPlan
        ``(directions, passes, peak_bytes)``: directions per pass ``k`` (a Hessian pass is a
        ``k × k`` tile of H), evaluations of f, and the estimated peak in bytes,
        ``LIVE·8·n·parts(k)`` plus the result when it is assembled from several passes.

    Examples
    --------
    >>> import numpy as np
    >>> memory_plan("gradient", np.zeros(100))
    ChunkPlan(directions=100, passes=1, peak_bytes=484800)
    >>> memory_plan("hessian", np.zeros(1000), chunk_size=100).passes
    55
    """
    n = sum(np.size(v) for v in _tree.flatten(x)[0])
    return _chunks.plan(driver, n, chunk_size, None, n_outputs)
