"""Seeding inputs and extracting derivative parts: the one place the drivers share.

Seeds: ``x + 1·ε`` elementwise, ``x + v·ε`` along a direction, and blocks of directions
(:meth:`Inputs.seed_block`: columns of the identity basis, built per chunk by
:meth:`Inputs.basis_block`, so that vector mode gives ``k`` partials per evaluation); for
hyper-duals the same block in ``ε1`` and ``ε2`` is stored and propagated once. Which blocks,
and how many evaluations, is :mod:`dualdiff._chunks`' business.

Structured inputs (:mod:`dualdiff._tree`) are handled here too: :class:`Inputs` flattens the
differentiated arguments to leaves with offsets into one vector of ``n`` directions, seeds
each leaf with its slice of the identity, and :meth:`Inputs.blocks` cuts a derivative part
back into blocks shaped like the inputs. A single array input takes the same path as before
structures existed (one seed, one reshape), so it costs nothing extra.

Tags: each :class:`Inputs` (one driver call) draws a new tag and seeds with it; ``f`` runs
with the tag live; the numbers f returns are read at that tag only. A number of lower tag in
f's output (f depends on an outer driver's variable only) is a constant of this call, its
value that number; a number of higher tag, or one nested anywhere in the result whose tag is
not live, leaked out of a call that has returned (:func:`dualdiff._base.check_no_leak`). An
input ``x`` that is itself a dual number (of an outer driver, or made by the user: tag 0) is
seeded as the value of this call's number, so drivers nest (see :mod:`dualdiff._base`).

Dtypes: the number types compute in float64. Results are cast back to the floating dtype of
the differentiated inputs (``np.result_type`` of their dtypes, Python numbers being weak as
in numpy's NEP 50), so float32 in gives float32 out; integer and Python-number inputs give
float64 (a Python float for 0-d results).
"""

from __future__ import annotations

import math
from itertools import accumulate
from numbers import Number

import numpy as np

from . import _tree
from ._algebra import ONE, ZERO, filled, is_complex, py_scalar
from ._base import LIVE_TAGS, DualBase, check_no_leak, new_tag, promote
from .dual import _new as _dual_new
from .hyperdual import _new as _hyper_new


def as_input(x, name: str = "x"):
    """``x`` as a float (scalar) or a float64 ndarray, or complex / complex128 for complex
    input; ints and lists are accepted. A dual number (an outer driver's, when drivers nest)
    is copied, so that item assignment in f never writes into it."""
    if type(x) is float or type(x) is int:
        return float(x)
    if type(x) is complex:
        return x
    if isinstance(x, DualBase):
        if x.dtype.kind == "c":
            raise TypeError(
                f"{name}: nested drivers on a complex dual number are not supported; "
                "differentiate the real and imaginary parts as separate real inputs"
            )
        return _private(x)
    if isinstance(x, np.ndarray) and type(x).__module__.startswith("numpy.ma"):
        # differentiating at a masked array would silently drop the mask (f sees all data)
        raise TypeError(
            f"{name} is a masked array, which dualdiff does not differentiate: pass plain "
            "data (x.filled(value) or x.compressed()) and apply the mask inside f with "
            "np.where(mask, 0.0, ...)"
        )
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number or an array of numbers: {err}") from None
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"{name} must be numeric (bool, int, float or complex); got dtype {arr.dtype}"
        )
    dtype = np.complex128 if arr.dtype.kind == "c" else np.float64
    if arr.ndim == 0:
        return py_scalar(arr.astype(dtype))
    # A read-only float64 view (a copy only when the dtype differs): no copy per call, and
    # item assignment inside f copies before writing, so the caller's x is never modified.
    arr = arr.astype(dtype, copy=False).view()
    arr.flags.writeable = False
    return arr


def _private(x):
    """A dual number with its writeable arrays copied, nested numbers included (read-only
    ones, such as seeds, are shared: item assignment copies those before writing)."""

    def own(p, nt):
        if isinstance(p, DualBase):
            return _private(p)
        return p.copy() if type(p) is np.ndarray and p.flags.writeable else p

    return x._map(own)


def basis(shape: tuple) -> np.ndarray:
    """Identity seed of shape ``shape + (n,)``: element ``i`` moves along direction ``i``."""
    n = int(np.prod(shape))
    e = np.eye(n).reshape(shape + (n,))
    e.flags.writeable = False  # shared by seeds: item assignment in f copies first
    return e


def seed_elementwise(x, order: int, tag: int = 0):
    """``x + 1·ε`` (``x + 1·ε1 + 1·ε2``), tag ``tag``."""
    t = type(x)
    if t is float or t is complex or (t is not np.ndarray and not np.shape(x)):  # 0-d number
        if order == 1:
            return _dual_new(x, 1.0, "", tag)
        return _hyper_new(x, 1.0, 1.0, 0.0, "", "", tag)
    ones = filled(ONE, np.shape(x))
    if order == 1:
        return _dual_new(x, ones, "", tag)
    return _hyper_new(x, ones, ones, filled(ZERO, np.shape(x)), "", "", tag)


def seed_basis(x, order: int, tag: int = 0):
    """``x + e_i·ε`` (both ε parts for ``order=2``), tag ``tag``."""
    shape = np.shape(x)
    e = basis(shape)
    if order == 1:
        return _dual_new(x, e, "y", tag)
    n = e.shape[-1]
    return _hyper_new(x, e, e, np.zeros(shape + (n, n)), "y", "z", tag)


def seed_hvp(x, v, tag: int = 0):
    """``x + v·ε1 + e_i·ε2``: the ε1ε2 part of ``f`` is then ``H v``."""
    e = basis(np.shape(x))
    return _hyper_new(x, v, e, np.zeros(e.shape), "", "z", tag)


def _dual_seed(x, d, dirs: str, tag: int):
    """``x + d·ε``, tag ``tag`` (a complex ``d`` makes the value complex, as in Dual)."""
    return _dual_new(promote(x, (d,)), d, dirs, tag)


def _hyper_seed(x, e1, e2, e12, d1: str, d2: str, tag: int):
    """``x + e1·ε1 + e2·ε2 + e12·ε1ε2``, tag ``tag``."""
    return _hyper_new(promote(x, (e1, e2)), e1, e2, e12, d1, d2, tag)


def _plain_value(y, driver: str, hint: str = ""):
    """``y`` (a plain output of f) as float64 (complex128 if complex), or a TypeError naming
    what f returned."""
    try:
        if y is None or isinstance(y, (str, bytes)):
            raise TypeError
        y = np.asarray(y)
        return y.astype(np.complex128 if y.dtype.kind == "c" else np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{driver}: f returned {type(y).__name__}, not a number or an array of numbers{hint}"
        ) from None


def scalar_out(v):
    """0-d results as Python floats (or complex); arrays as writeable arrays the caller owns
    (a number of an outer driver, when drivers nest, as it is)."""
    if type(v) is float or type(v) is complex or isinstance(v, DualBase):
        return v
    if np.ndim(v) == 0:
        return py_scalar(v)
    return v if v.flags.writeable else np.array(v)


# ------------------------------------------------------------------ structured inputs


def out_dtype(raw_leaves):
    """The dtype results are cast to, or None for float64 (no cast; 0-d as Python float)."""
    if all(type(v) is float or getattr(v, "dtype", None) == np.float64 for v in raw_leaves):
        return None
    strong = [
        np.dtype(np.float64) if v.dtype.kind in "biu" else v.dtype
        for v in raw_leaves
        if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biufc"
    ]
    dtype = np.result_type(*strong) if strong else np.dtype(np.float64)
    return None if dtype in (np.float64, np.complex128) else dtype


def finish(v, dtype):
    """A result as the caller gets it: :func:`scalar_out`, then cast to ``dtype`` if any.

    ``dtype`` gives the precision; a complex result stays complex (float32 in, complex out:
    complex64) and a real result stays real (complex64 in, real out: float32). A number of an
    outer driver (nesting) is returned as it is."""
    if dtype is None or isinstance(v, DualBase):
        return scalar_out(v)
    v = np.asarray(v)
    if v.dtype.kind == "c":
        dtype = np.result_type(dtype, np.complex64)
    else:
        dtype = np.finfo(dtype).dtype
    return dtype.type(v) if v.ndim == 0 else v.astype(dtype)


def argnums_tuple(argnums, n_primals: int, driver: str) -> tuple:
    if type(argnums) is int and argnums == 0 and n_primals:  # the common case, fast
        return (0,)
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    if not nums or not all(isinstance(i, (int, np.integer)) for i in nums):
        raise TypeError(f"{driver}: argnums must be an int or a non-empty tuple of ints")
    if any(not -n_primals <= i < n_primals for i in nums):
        raise ValueError(
            f"{driver}: argnums={argnums!r} but only {n_primals} positional argument(s) were "
            "given (extra arguments of f passed in args= are not differentiated)"
        )
    return tuple(int(i) % n_primals for i in nums)


class Inputs:
    """The arguments of one driver call: ``f(*primals, *args, **kwargs)``, differentiated with
    respect to ``primals[argnums]`` (an int) or the tuple ``primals[i] for i in argnums``.

    ``leaves`` are the differentiated leaves as floats or read-only float64 arrays, ``tree``
    their structure, ``offsets`` where each starts in the vector of ``n`` directions.
    """

    def __init__(self, f, primals, argnums, args, kwargs, driver: str):
        if not callable(f):
            raise TypeError(f"{driver}: f must be callable; got {type(f).__name__}")
        if not primals:
            raise TypeError(f"{driver}: give the point to differentiate at, e.g. {driver}(f, x)")
        self.f, self.driver = f, driver
        if (
            type(primals[0]) is float
            and argnums == 0
            and type(argnums) is int
            and len(primals) == 1
        ):
            # the scalar case, set directly (the general path below costs ~3 us of W1's ~20)
            self.primals, self.args, self.kwargs = primals, tuple(args), kwargs or {}
            self.argnums, self.multi, self.tree, self.single = (0,), False, _tree.LEAF, True
            self.leaves, self.shapes, self.cplx, self.any_complex = (
                [primals[0]],
                [()],
                [False],
                False,
            )
            self.offsets, self.n, self.dtype = [0, 1], 1, None
            self.tag = new_tag()
            return
        self.primals, self.args, self.kwargs = primals, tuple(args), kwargs or {}
        self.argnums = argnums_tuple(argnums, len(primals), driver)
        self.multi = not isinstance(argnums, (int, np.integer))
        x = primals[self.argnums[0]]
        if not self.multi and (type(x) is float or type(x) is np.ndarray):  # the common case
            raw, self.tree = [x], _tree.LEAF
        elif self.multi:
            raw, self.tree = _tree.flatten_args(tuple(primals[i] for i in self.argnums))
        else:
            raw, self.tree = _tree.flatten(x)
        self.single = self.tree is _tree.LEAF
        name = "x" if self.single else "a leaf of x"
        self.leaves = [as_input(v, name) for v in raw]
        self.shapes = [() if type(v) is float else np.shape(v) for v in self.leaves]
        self.cplx = [is_complex(v) for v in self.leaves]
        self.any_complex = any(self.cplx)
        # a complex leaf of m elements takes 2m directions: e_i, then i·e_i (COMPLEX_INPUTS)
        widths = (math.prod(s) << c for s, c in zip(self.shapes, self.cplx))
        self.offsets = list(accumulate(widths, initial=0))
        self.n = self.offsets[-1]
        self.dtype = out_dtype(raw)
        self.tag = new_tag()

    # -- calling f
    def arguments(self, leaves) -> tuple:
        """The positional arguments of f with ``leaves`` in place of the differentiated ones."""
        if self.single and len(self.primals) == 1:
            return (leaves[0], *self.args)
        diff = _tree.unflatten(self.tree, leaves)
        primals = list(self.primals)
        for i, v in zip(self.argnums, diff if self.multi else (diff,)):
            primals[i] = v
        return (*primals, *self.args)

    def call(self, seeded: list, has_aux: bool):
        """Evaluate f once on the seeded leaves: ``(numbers, out_tree, aux)``.

        ``numbers`` are f's output leaves, each a number of the seeded type (a plain output is
        accepted, with zero derivative, only if f does not depend on x).
        """
        tag = self.tag
        LIVE_TAGS.add(tag)
        try:
            y = self.f(*self.arguments(seeded), **self.kwargs)
        finally:
            LIVE_TAGS.discard(tag)
        aux = None
        if has_aux:
            if not (isinstance(y, (tuple, list)) and len(y) == 2):
                raise TypeError(
                    f"{self.driver}: has_aux=True expects f to return a pair (output, aux); "
                    f"got {type(y).__name__}"
                )
            y, aux = y
            aux = strip(aux, self.tag)
        y = _stack_scalars(y)
        if not seeded:
            raise ValueError(f"{self.driver}: x has no leaves to differentiate")
        raw, out_tree = ([y], _tree.LEAF) if type(y) is type(seeded[0]) else _tree.flatten(y)
        numbers = [self._number(v, k, seeded[0], has_aux) for k, v in enumerate(raw)]
        return [_complex_parts(y) for y in numbers], out_tree, aux

    def _number(self, y, k: int, seed, has_aux: bool):
        kind = type(seed)
        if type(y) is kind and y._t == seed._t:
            if not y._f:  # nested parts: none may come from a call that has returned
                for p in y._parts():
                    if isinstance(p, DualBase):
                        check_no_leak(p, seed._t, self.driver)
            return y
        if isinstance(y, DualBase):
            if y._t != seed._t:  # lower: an outer driver's; higher: leaked from a returned call
                check_no_leak(y, seed._t, self.driver)
            if y._t < seed._t:  # f depends on an outer driver's variable only: a constant
                return seed.zeros_like_parts(y)
            raise TypeError(
                f"{self.driver}: f returned a {type(y).__name__}; expected a {kind.__name__}"
            )
        hint = "" if has_aux else " (if f returns (output, aux), pass has_aux=True)"
        value = _plain_value(y, self.driver, hint)
        return seed.zeros_like_parts(value if value.ndim else py_scalar(value))

    # -- seeds
    def seed(self, kind: str, order: int = 1, v: list | None = None) -> list:
        """Seeded leaves: ``kind`` is "basis" (x + e_i·ε), "ones" (x + 1·ε), "direction"
        (x + v·ε) or "hvp" (x + v·ε1 + e_i·ε2)."""
        t = self.tag
        if kind == "ones":
            if self.any_complex:
                return self._complex_ones(order)
            return [seed_elementwise(x, order, t) for x in self.leaves]
        if kind == "direction":
            return [_dual_seed(x, d, "", t) for x, d in zip(self.leaves, v)]
        if self.single and kind == "basis" and not self.any_complex:
            return [seed_basis(self.leaves[0], order, t)]
        if self.single and kind == "hvp":
            return [seed_hvp(self.leaves[0], v[0], t)]
        e = basis((self.n,))
        out = []
        for j, x in enumerate(self.leaves):
            o, m = self.offsets[j], math.prod(self.shapes[j])
            ej = e[o : o + m] + 1j * e[o + m : o + 2 * m] if self.cplx[j] else e[o : o + m]
            ej = ej.reshape(self.shapes[j] + (self.n,))
            if kind == "hvp":
                out.append(_hyper_seed(x, v[j], ej, np.zeros(ej.shape), "", "z", t))
            elif order == 1:
                out.append(_dual_seed(x, ej, "y", t))
            else:
                zeros = np.zeros(self.shapes[j] + (self.n, self.n))
                out.append(_hyper_seed(x, ej, ej, zeros, "y", "z", t))
        return out

    def _complex_ones(self, order: int) -> list:
        """Seeds for the elementwise drivers when a leaf is complex, in vector mode: directions
        ``1`` then ``i`` on the complex leaves (after ``1`` on the real leaves, if any), so
        that :meth:`ones_part` can check the Cauchy-Riemann equations."""
        mixed = not all(self.cplx)
        out = []
        for x, c in zip(self.leaves, self.cplx):
            d = ([0.0 if c else 1.0] if mixed else []) + ([1.0, 1j] if c else [0.0, 0.0])
            e = np.broadcast_to(np.array(d), np.shape(x) + (len(d),))
            if order == 1:
                out.append(_dual_seed(x, e, "y", self.tag))
            else:
                one = filled(ONE, np.shape(x)) if np.shape(x) else 1.0
                zeros = np.zeros(np.shape(x) + (len(d),))
                out.append(_hyper_seed(x, e, one, zeros, "y", "", self.tag))
        return out

    def ones_part(self, part):
        """The derivative part of an elementwise driver: ``part`` itself, or, with complex
        leaves, the complex derivative (along ``1``) once checked against the direction ``i``
        (see :func:`holomorphic`), plus the real leaves' part."""
        if not self.any_complex:
            return part
        along_1 = holomorphic(part[..., -2], part[..., -1], self.driver)
        return along_1 if all(self.cplx) else along_1 + part[..., 0]

    def no_complex(self, alternative: str) -> None:
        """Raise where this driver has no meaning for complex x (second order, batches)."""
        if self.any_complex:
            raise ValueError(
                f"{self.driver} does not take complex x: a real-valued f of complex z has a "
                "Hessian over the real and imaginary parts that one complex array cannot hold. "
                f"{alternative}"
            )

    def seed_block(self, e1: list, e2: list | None = None, axis1: bool = True) -> list:
        """Seeded leaves from given direction blocks (one per leaf, shaped ``leaf + (k,)``):
        ``x + e1·ε`` (``e2`` None), or ``x + e1·ε1 + e2·ε2`` with a structurally zero ε1ε2
        part; ``axis1=False`` when ``e1`` is one direction shaped like the leaf (hvp).

        The blocks are used as given (never copied): :mod:`dualdiff._chunks` builds them."""
        t = self.tag
        if e2 is None:
            return [_dual_seed(x, e, "y", t) for x, e in zip(self.leaves, e1)]
        out = []
        for x, a, b in zip(self.leaves, e1, e2):
            shape = np.shape(x)
            dirs = (np.shape(a)[len(shape) :] if axis1 else ()) + np.shape(b)[len(shape) :]
            zero = filled(ZERO, shape + dirs)
            out.append(_hyper_seed(x, a, b, zero, "y" if axis1 else "", "z", t))
        return out

    def basis_block(self, j0: int, j1: int) -> list:
        """Directions ``j0 .. j1-1`` of the basis of the ``n`` input directions, one block per
        leaf shaped ``leaf + (j1 - j0,)``: built directly at that size (never ``np.eye(n)``).

        A complex leaf of ``m`` elements has ``2m`` directions: ``e_i``, then ``i·e_i``."""
        k = j1 - j0
        out = []
        for shape, o, c in zip(self.shapes, self.offsets, self.cplx):
            m = math.prod(shape)
            e = np.zeros((m, k), dtype=np.complex128 if c else np.float64)
            for unit, start in ((1.0, o), (1j, o + m)) if c else ((1.0, o),):
                lo, hi = max(j0, start), min(j1, start + m)
                if lo < hi:
                    i = np.arange(lo, hi)
                    e[i - start, i - j0] = unit
            out.append(e.reshape(shape + (k,)))
        return out

    def directions(self, v, driver: str) -> list:
        """The leaves of a direction ``v`` with the structure and shapes of x."""
        raw, tree = _tree.flatten_args(v) if self.multi else _tree.flatten(v)
        if tree != self.tree:
            raise ValueError(f"{driver}: the direction has a different structure from x")
        out = [as_input(d, "v") for d in raw]
        for d, shape, c in zip(out, self.shapes, self.cplx):
            if np.shape(d) != shape:
                raise ValueError(
                    f"{driver}: v has shape {np.shape(d)} but x has shape {shape}; they must match"
                )
            if is_complex(d) and not c:
                raise TypeError(
                    f"{driver}: v is complex but x is real; to move x in the complex plane "
                    "pass it as complex (x + 0j), as JAX's jvp requires matching dtypes"
                )
        return out

    # -- extraction
    def blocks(self, part, lead: tuple, complex_leaves: str = "holomorphic"):
        """``part`` (shape ``lead + (n,)``) cut into blocks ``lead + leaf shape``, structured
        like x.

        A complex leaf's block is its directions ``e_i`` (``D_1``) and ``i·e_i`` (``D_i``):
        ``complex_leaves="holomorphic"`` returns ``D_1``, the complex derivative, once checked
        against ``D_i = i·D_1`` (:func:`holomorphic`); ``"gradient"`` returns
        ``D_1 + i·D_i = ∂f/∂x + i·∂f/∂y`` of a real-valued f."""
        if self.single and not self.any_complex:
            return finish(np.reshape(part, lead + self.shapes[0]), self.dtype)
        out = []
        for j, s in enumerate(self.shapes):
            o, m = self.offsets[j], math.prod(s)
            b = part[..., o : o + m]
            if self.cplx[j]:
                im = part[..., o + m : o + 2 * m]
                if complex_leaves == "gradient":
                    b = b + 1j * im
                else:
                    b = holomorphic(b, im, self.driver)
            out.append(finish(np.reshape(b, lead + s), self.dtype))
        return out[0] if self.single else _tree.unflatten(self.tree, out)

    def blocks2(self, part):
        """A Hessian part of shape ``(n, n)`` as blocks ``H[a][b]``, structured x of x."""
        if self.single:
            return finish(np.reshape(part, self.shapes[0] * 2), self.dtype)
        o = self.offsets
        rows = [
            self.blocks(np.reshape(part[o[j] : o[j + 1]], s + (self.n,)), s)
            for j, s in enumerate(self.shapes)
        ]
        return _tree.unflatten(self.tree, rows)

    def values(self, parts: list, out_tree):
        """One component of each output number, rebuilt in f's output structure."""
        if out_tree is _tree.LEAF:
            return finish(parts[0], self.dtype)
        return _tree.unflatten(out_tree, [finish(p, self.dtype) for p in parts])

    def elementwise(self, numbers: list, out_tree) -> None:
        """Raise unless f's output has x's structure and shapes (or x is one scalar)."""
        if self.single and self.shapes[0] == ():
            return
        shapes = [np.shape(y.value) for y in numbers]
        if out_tree == self.tree and shapes == self.shapes:
            return
        got = shapes[0] if out_tree is _tree.LEAF else "a different structure"
        want = self.shapes[0] if self.single else "x's structure"
        raise ValueError(
            f"{self.driver} expects f to act elementwise (output shaped like x), but x has "
            f"shape {want} and f(x) has shape {got}: the result would be J @ 1, the sum of "
            "each row of the Jacobian. Use gradient (scalar f) or jacobian for partial "
            "derivatives, or jvp(f, x, np.ones_like(x)) if J @ 1 is what you want"
        )


CR_RTOL = 1e-8
"""Relative tolerance of the Cauchy-Riemann check: ``D_i`` (the derivative along ``i``) must
equal ``i·D_1`` within ``CR_RTOL`` times the largest finite ``|D_1|``, ``|D_i|`` of the output.
Holomorphic code meets it to rounding (multiplying by ``i`` commutes with the algebra's complex
products and sums exactly, up to numpy's fused multiply-adds and BLAS contractions); a
non-holomorphic f misses it by the size of the derivative itself (``conj``: ``|D_i - i·D_1| =
2|D_1|``), so the slack of ``CR_RTOL`` only admits f within ``1e-8`` of holomorphic."""


def holomorphic(d1, di, driver: str):
    """``d1``, the derivative along ``1``, once ``di`` (along ``i``) is ``i·d1``: else f is not
    holomorphic at x and its complex derivative does not exist; a ValueError says what to use."""
    d1, di = np.asarray(d1), np.asarray(di)
    gap = np.abs(di - 1j * d1)
    finite = np.isfinite(gap)
    if finite.any():
        scale = max(np.max(np.abs(d1), where=finite, initial=0.0),
                    np.max(np.abs(di), where=finite, initial=0.0))  # fmt: skip
        if np.any(gap[finite] > CR_RTOL * scale):
            raise ValueError(
                f"{driver}: f is not holomorphic at x (the Cauchy-Riemann equations fail: its "
                "derivative along i is not i times its derivative along 1), so it has no "
                "complex derivative. For the derivative along a complex direction v use "
                "jvp(f, x, v); for a real-valued f, gradient(f, x) gives df/dRe(x) + "
                "i·df/dIm(x)"
            )
    return d1


def _complex_parts(y):
    """``y`` with complex derivative parts where its value is complex (inside a computation a
    real part may stand for a complex one; a driver's derivatives have the output's dtype, as
    JAX's tangents have the primal's)."""
    if not is_complex(y.value) or all(is_complex(p) for p in y._parts()):
        return y
    return y._map(lambda p, nt: p if is_complex(p) else np.asarray(p, dtype=np.complex128))


def _scalar_number(v) -> bool:
    return np.ndim(v.value if isinstance(v, DualBase) else v) == 0 and (
        isinstance(v, (DualBase, Number, np.generic, np.ndarray))
    )


def _stack_scalars(y):
    """A plain list/tuple of 0-d numbers, some dual, is one vector (as f(x) = [x0*x1, x0])."""
    if type(y) in (list, tuple) and y and any(isinstance(v, DualBase) for v in y):
        if all(_scalar_number(v) for v in y):
            return np.stack(y)
    return y


def strip(aux, tag: int):
    """Auxiliary output with every dual number of tag ``tag`` replaced by its value
    (``.value``); numbers of an outer driver (lower tag) stay as they are."""
    leaves, tree = _tree.flatten(aux)
    if not any(isinstance(v, DualBase) for v in leaves):
        return aux
    return _tree.unflatten(tree, [_strip(v, tag) for v in leaves])


def _strip(v, tag: int):
    return v.value if isinstance(v, DualBase) and v._t == tag else v


# ------------------------------------------------------------------ batches

BATCH_RTOL = 1e-8
"""Cross-row dependence below this (relative to the derivative's size) goes undetected."""


class Batch:
    """Per-point seeds over one axis of a single array ``x`` (``N`` points of shape ``point``).

    Point ``i``, coordinate ``j`` is seeded with ``e_j`` on every row alike, so one evaluation
    with ``k = prod(point)`` directions gives all ``N`` per-point derivatives, provided f treats
    the points independently. First order adds one check direction ``c_i d_j`` (random
    ``c``, ``d``): for independent rows, output row ``i`` along it equals ``c_i (J_i @ d)``;
    any dependence of row ``i`` on row ``r != i`` adds ``(c_r - c_i) J_ir @ d``, which is
    detected unless it cancels exactly or is below :data:`BATCH_RTOL`.
    """

    def __init__(self, inp: Inputs, batch_axis: int):
        x = inp.leaves[0]
        if not inp.single or np.ndim(x) == 0:
            raise ValueError(f"{inp.driver}: batch_axis needs x to be one array of points")
        if not -x.ndim <= batch_axis < x.ndim:
            raise ValueError(f"{inp.driver}: batch_axis={batch_axis} but x has shape {x.shape}")
        self.inp, self.x, self.axis = inp, x, batch_axis
        a = batch_axis % x.ndim
        self.N = x.shape[a]
        self.point = x.shape[:a] + x.shape[a + 1 :]
        self.k = int(np.prod(self.point))
        self.check = None

    def seed(self, order: int) -> list:
        x, a, k = self.x, self.axis % self.x.ndim, self.k
        e = np.broadcast_to(np.expand_dims(basis(self.point), a), x.shape + (k,))
        t = self.inp.tag
        if order == 2:
            return [_hyper_new(x, e, e, np.zeros(x.shape + (k, k)), "y", "z", t)]
        rng = np.random.default_rng(20240601)
        c, d = rng.uniform(1.0, 2.0, self.N), rng.uniform(1.0, 2.0, self.point)
        col = np.expand_dims(d, a) * np.reshape(c, [-1 if i == a else 1 for i in range(x.ndim)])
        self.check = (c, d.ravel())
        return [_dual_new(x, np.concatenate([e, col[..., None]], axis=-1), "y", t)]

    def _front(self, part, y_shape: tuple, scalar: bool):
        """``part`` with f's batch axis moved first; f's output shape is checked."""
        drv = self.inp.driver
        if not -len(y_shape) <= self.axis < len(y_shape) or y_shape[self.axis] != self.N:
            raise ValueError(
                f"{drv}: with batch_axis={self.axis}, f must keep the {self.N} points on that "
                f"axis of its output; f(x) has shape {y_shape}"
            )
        b = self.axis % len(y_shape)
        if scalar and len(y_shape) != 1:
            raise ValueError(
                f"{drv} with batch_axis expects f to return one scalar per point, shape "
                f"({self.N},); f(x) has shape {y_shape}. For vector outputs use jacobian"
            )
        return np.moveaxis(part, b, 0), y_shape[:b] + y_shape[b + 1 :]

    def value(self, real, y_shape: tuple, scalar: bool = False):
        return finish(self._front(real, y_shape, scalar)[0], self.inp.dtype)

    def blocks(self, part, y_shape: tuple, order: int, scalar: bool = False):
        """``(N,) + f point shape + x point shape * order``."""
        part, ypoint = self._front(part, y_shape, scalar)
        if self.check is not None:
            self._check(part)
            part = part[..., : self.k]
        return finish(np.reshape(part, (self.N,) + ypoint + self.point * order), self.inp.dtype)

    def _check(self, part) -> None:
        c, d = self.check
        main = np.reshape(part[..., : self.k], (self.N, -1, self.k))
        col = np.reshape(part[..., self.k], (self.N, -1))
        pred = c[:, None] * (main @ d)
        scale = c[:, None] * (np.abs(main) @ d)
        bad = np.abs(col - pred) > BATCH_RTOL * scale
        if bad.any():
            i = int(np.argwhere(bad)[0][0])
            raise ValueError(
                f"{self.inp.driver}: with batch_axis, f must treat the points independently, "
                f"but output point {i} depends on other points of x. Drop batch_axis for the "
                "full derivative"
            )
