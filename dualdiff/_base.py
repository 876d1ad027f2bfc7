"""What Dual and HyperDual share: component bookkeeping, linear maps, indexing, conversions.

Building outputs the numpy way
------------------------------
A plain float array cannot hold derivative parts, so writing a dual number into one raises
:class:`~dualdiff.DerivativeLossError` (``a[i] = d``, ``np.copyto(a, d)``, ``out=a``). Make
the array dual instead; it then takes dual numbers and constants alike::

    out = np.zeros_like(x)          # x a dual array: same shape, type and directions
    for i in range(n):
        out[i] = f(x[i])
    # or: out = np.zeros(n, like=x), np.empty_like(x), np.full_like(x, 1.0)
    # or: out = np.stack([f(x[i]) for i in range(n)])

``np.zeros_like``, ``np.empty_like``, ``np.ones_like`` and ``np.full_like`` of a dual number
give a dual array of its shape (or ``shape=``), type and direction mode, with zero derivative
parts; ``np.zeros(shape, like=x)``, ``np.ones``, ``np.empty`` and ``np.full`` with ``like=x``
do the same for a new shape. A ``dtype`` other than float gives a plain array.

(``a[i] = d`` with a 0-d ``d`` reaches numpy's float conversion, which reports
``ValueError: setting an array element with a sequence`` with the DerivativeLossError as its
cause: numpy replaces the error of any object that has ``__getitem__``.)

The numpy protocols are added on top by :mod:`dualdiff._protocols`; nothing here imports the
dispatch, so this module is a leaf of the import graph.

A number is a tuple of *components* (``value`` first), each a Python float or a float64 ndarray,
or, for complex numbers, a Python complex or a complex128 ndarray (a derivative part may stay
real when the value is complex, never the other way round: see :func:`promote`).
Every component has the shape of ``value`` followed by its *direction axes*, labelled as in
:mod:`dualdiff._algebra` (``""``, ``"y"``, ``"z"``, ``"yz"``). A linear operation (reshape,
indexing, sum, concatenate, ...) acts on every component alike, with the direction axes kept
last; :meth:`DualBase._map` is that one loop.

Tags (nesting)
--------------
Every number carries a *tag* ``_t``: ``0`` for numbers the user constructs, and for the
numbers a driver seeds, a level drawn from one counter when the driver is called
(:func:`new_tag`), so a driver called inside ``f`` of another always has the higher tag
(ForwardDiff.jl's tags, JAX's trace levels). When two numbers of different tags meet, the one
of lower tag is a *constant* of the other: it becomes a value or derivative component of the
result (:func:`top_number`, :meth:`DualBase.lift`). Components are therefore floats, float64
arrays, or numbers of lower tag; the numpy path of the algebra works on all three, while the
Python-float fast paths (``_f``) and the kernels take only floats and float64 arrays. A driver
reads the parts of its own tag only, so its ``ε`` is never confused with an outer one. Code
that builds a number from parts gives it the tag of the operands it comes from:
``dual._new``/``hyperdual._new`` require it, ``_from`` and ``zeros_like_parts`` keep it.

A tag is *live* while its driver call evaluates ``f`` (:data:`LIVE_TAGS`). A number whose
tag is neither 0 nor live comes from a driver call that has returned (a perturbation that
leaked out of ``f``, say into a global); a driver that finds one in its result raises
:class:`~dualdiff.LeakedPerturbationError` rather than return a number that would mix
unrelated perturbations (:func:`check_no_leak`).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from ._algebra import is_complex, py_scalar
from ._errors import (
    FILL_IDIOM,
    DerivativeLossError,
    LeakedPerturbationError,
    array_loss_message,
    loss_message,
)

_TAG_COUNTER = itertools.count(1)

LIVE_TAGS: set = set()
"""Tags of the driver calls now evaluating ``f`` (0, the tag of user-made numbers, is not
listed: it is always valid)."""


def new_tag() -> int:
    """A tag for one driver call: higher than every tag handed out before."""
    return next(_TAG_COUNTER)


def check_no_leak(v, tag: int, driver: str) -> None:
    """Raise if ``v`` (a part a driver extracted, or a dual number nested in it) holds a
    number of a tag that is neither 0 nor live: a perturbation of a driver call that has
    returned. ``tag`` is the extracting driver's own (its result may not hold it either)."""
    while isinstance(v, DualBase):
        t = v._t
        if t and (t >= tag or t not in LIVE_TAGS):
            raise LeakedPerturbationError(
                f"{driver}: f returned a number perturbed by another derivative call that has "
                "already returned (its dual number leaked out of that call's f, e.g. into a "
                "global or a closure). Its derivative parts belong to no live derivative, so "
                "the result would be meaningless. Return the value of that call's driver "
                "instead, or pass the inner number's .value"
            )
        parts = v._parts()
        for p in parts[1:]:
            check_no_leak(p, tag, driver)
        v = parts[0]


def as_float_component(value, name: str):
    """Convert a user-given component to a Python float or complex, or a float64 or complex128
    ndarray (a copy). Real input stays real: complex is used only where the input is complex."""
    t = type(value)
    if t is float or t is int:
        return float(value)
    if t is complex:
        return value
    if isinstance(value, DualBase):
        raise TypeError(
            f"{name} must be a number or an array of numbers, not {type(value).__name__}. "
            "To nest derivatives, call the drivers inside each other (dd.derivative of a "
            "function that calls dd.gradient, ...): their tags keep the perturbations apart"
        )
    arr = np.array(value)
    kind = arr.dtype.kind
    if kind == "c":
        arr = arr.astype(np.complex128, copy=False)
        return complex(arr) if arr.ndim == 0 else arr
    if kind not in "biuf":
        raise TypeError(
            f"{name} must be numeric (bool, int, float or complex), got dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64, copy=False)
    return float(arr) if arr.ndim == 0 else arr


def promote(value, parts):
    """``value`` made complex where a derivative part is complex (one of the rules of complex
    numbers here: a number with a complex derivative part has a complex value, so that the
    value's dtype alone tells the ufunc dispatch which calculus applies)."""
    if is_complex(value) or not any(is_complex(p) for p in parts):
        return value
    return complex(value) if type(value) is float else np.asarray(value, dtype=np.complex128)


def fit_component(comp, shape: tuple, dirs_shape: tuple | None, name: str):
    """Broadcast a derivative component to ``shape + dirs`` (dirs inferred when None)."""
    if not shape and type(comp) is float and not dirs_shape:
        return comp, ()
    cshape = np.shape(comp)
    if dirs_shape is None:
        if cshape == shape or cshape == ():
            dirs_shape = ()
        elif cshape[: len(shape)] == shape:
            dirs_shape = cshape[len(shape) :]
        else:
            raise ValueError(
                f"{name} has shape {cshape}; it must have the value's shape {shape}, "
                f"or that shape followed by direction axes (vector mode)"
            )
    full = shape + dirs_shape
    if cshape == full:
        return comp, dirs_shape
    if not full:
        return py_scalar(comp), dirs_shape
    try:
        return np.array(np.broadcast_to(comp, full)), dirs_shape
    except ValueError:
        raise ValueError(f"{name} of shape {cshape} does not fit the shape {full}") from None


def write_out(result, out, name: str):
    """Honour numpy's ``out=``: write ``result`` into ``out`` and return ``out``.

    A dual ``out`` of the result's shape, type and directions receives every component (a
    plain result is lifted with zero derivative parts). A plain ndarray cannot hold a dual
    result: :class:`~dualdiff.DerivativeLossError`. A plain result (indices, booleans) goes
    into a plain ``out`` as numpy would write it.
    """
    if isinstance(out, tuple):
        if len(out) != 1:
            raise TypeError(f"{name} has one output; out= was given {len(out)}")
        out = out[0]
    if not isinstance(out, DualBase):
        if isinstance(result, DualBase):
            raise DerivativeLossError(
                f"{name}(..., out=...) was given a plain {type(out).__name__} as out, which "
                "cannot hold the derivative parts of the result. Drop out= and use the "
                "returned value, or pass a dual array of the result's shape "
                "(out = np.zeros_like(x) for a dual x)."
            )
        np.copyto(out, result, casting="same_kind")
        return out
    if not isinstance(result, DualBase):
        result = out.zeros_like_parts(as_float_component(result, "result"))
    elif result._t <= out._t:
        result = out.lift(result)
        check_compatible(out, result)
    if np.shape(result.value) != out.shape:
        raise ValueError(
            f"{name}(..., out=...): out has shape {out.shape}, the result {result.shape}"
        )
    if out.shape:
        out[...] = result  # a result of higher tag (nesting) promotes out in place
    else:  # a 0-d dual holds Python floats: take the result's components in place
        if result._t > out._t:
            out._promote(result)
        for name_ in type(out).__slots__:
            object.__setattr__(out, name_, getattr(result, name_))
    return out


def norm_axis(axis, ndim: int):
    """Normalize ``axis`` (None, int or tuple) to a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(_one_axis(a, ndim) for a in axis)
    return (_one_axis(axis, ndim),)


def _one_axis(a, ndim: int) -> int:
    a = int(a)
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(a, ndim)
    return a % ndim


def top_number(inputs):
    """The dual number of highest tag among ``inputs``, or None.

    Dual numbers of lower tag are constants of it. Two of the top tag must be of one type:
    a Dual and a HyperDual of one derivative evaluation cannot combine.
    """
    top = None
    for x in inputs:
        if isinstance(x, DualBase):
            if top is None or x._t > top._t:
                top = x
            elif x._t == top._t and type(x) is not type(top):
                raise _type_mix(top, x)
    return top


def operand_roles(x, y) -> tuple[bool, bool]:
    """Which of two operands act as dual numbers: ``(x is one, y is one)``.

    The one place two numbers' tags are compared: a dual number of lower tag than the other
    operand is a constant of it (``False``). Two of one tag must be of one type and carry the
    same directions.
    """
    xd = isinstance(x, DualBase)
    yd = isinstance(y, DualBase)
    if xd and yd:
        if x._t == y._t:
            if type(x) is not type(y):
                raise _type_mix(x, y)
            check_compatible(x, y)
        elif x._t < y._t:
            xd = False
        else:
            yd = False
    return xd, yd


def number_type(inputs) -> type | None:
    """The type of :func:`top_number` (mixing Dual and HyperDual of one tag is an error)."""
    top = top_number(inputs)
    return None if top is None else type(top)


def _type_mix(x, y) -> TypeError:
    return TypeError(
        f"cannot combine {type(x).__name__} with {type(y).__name__} of the same derivative "
        "evaluation; use one number type throughout a computation"
    )


def check_compatible(x, y) -> None:
    """Both numbers must carry the same directions (mode and count)."""
    labels = x._labels()
    if labels == y._labels() and not labels[-1]:
        return  # both in scalar mode
    if labels != y._labels() or any(
        np.shape(p)[np.ndim(p) - len(lab) :] != np.shape(q)[np.ndim(q) - len(lab) :]
        for p, q, lab in zip(x._parts()[1:], y._parts()[1:], x._labels()[1:])
    ):
        raise ValueError(
            "cannot combine dual numbers seeded with different directions "
            f"({_dirs(x)} and {_dirs(y)}); seed all inputs of one evaluation together"
        )


def _dirs(x) -> str:
    return ", ".join(
        f"{n}: {np.shape(p)[np.ndim(p) - len(lab) :] if lab else 'scalar'}"
        for n, p, lab in zip(x._NAMES[1:], x._parts()[1:], x._labels()[1:])
    )


class DualBase(NDArrayOperatorsMixin):
    """Shared behaviour of :class:`~dualdiff.Dual` and :class:`~dualdiff.HyperDual`."""

    __slots__ = ()
    __array_priority__ = 100.0
    _NAMES: tuple = ()

    # -- per-type hooks (defined in dual.py / hyperdual.py)
    def _parts(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _labels(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _from(self, parts):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shape protocol
    @property
    def shape(self) -> tuple:
        """Shape of the value part ``value`` (the directions' axes are not included)."""
        return np.shape(self.value)

    @property
    def ndim(self) -> int:
        """Number of dimensions of the value part."""
        return np.ndim(self.value)

    @property
    def size(self) -> int:
        """Number of elements of the value part."""
        return int(np.size(self.value))

    @property
    def dtype(self):
        """``complex128`` when a component is complex, else ``float64`` (double precision)."""
        if any(is_complex(p) for p in self._parts()):
            return np.dtype(np.complex128)
        return np.dtype(np.float64)

    # -- numpy's meanings of the complex parts. The value part has its own name (``value``):
    # numpy code that writes ``x.real`` on real data means ``x`` itself, derivative included.
    # real, imag and conj are real-linear, so they act on every component alike: the
    # derivative of Re z(t) along a real t is Re z'(t) (see docs, "Complex numbers").
    @property
    def real(self):
        """The real part as numpy means it, derivatives included (``Re`` of every component);
        for real data the number itself."""
        if not is_complex(self.value):
            return self
        return self._map(_real_part)

    @property
    def imag(self):
        """The imaginary part as numpy means it (``Im`` of every component); for real data,
        zero (value and derivatives)."""
        if not is_complex(self.value):
            return self.zeros_like_parts(np.zeros(self.shape) if self.shape else 0.0)
        return self._map(_imag_part)

    def conj(self):
        """The complex conjugate of every component; for real data, the number itself."""
        if not is_complex(self.value):
            return self
        return self._map(_conj_part)

    conjugate = conj

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError(f"len() of a 0-d {type(self).__name__}")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError(f"iteration over a 0-d {type(self).__name__}")
        for i in range(self.shape[0]):
            yield self[i]

    def _map(self, fn):
        """Apply ``fn(component, n_direction_axes)`` to every component (shared ones once)."""
        parts = self._parts()
        out = []
        for i, (p, lab) in enumerate(zip(parts, self._labels())):
            for j in range(i):
                if parts[j] is p and p is not parts[0]:
                    out.append(out[j])
                    break
            else:
                out.append(fn(p, len(lab)))
        return self._from(out)

    def _shares_eps(self) -> bool:
        """True for a HyperDual whose eps1 and eps2 are one object (same seed)."""
        p = self._parts()
        return len(p) == 4 and p[1] is p[2]

    def zeros_like_parts(self, value):
        """A number of this type and mode whose value is ``value`` and derivatives are 0."""
        shape = np.shape(value)
        parts = [value]
        for p, lab in zip(self._parts()[1:], self._labels()[1:]):
            dshape = np.shape(p)[np.ndim(p) - len(lab) :] if lab else ()
            parts.append(np.zeros(shape + dshape) if shape + dshape else 0.0)
        return self._from(parts)

    def lift(self, value):
        """``value`` (a constant, a number of lower tag, or a number of this type and tag)
        as a number of this type, tag and mode."""
        if isinstance(value, DualBase):
            if value._t == self._t:
                if type(value) is not type(self):
                    raise _type_mix(self, value)
                return value
            if value._t < self._t:  # a constant of this number (see the module docstring)
                return self.zeros_like_parts(value)
            raise ValueError(
                f"a {type(value).__name__} of a derivative nested inside another cannot be "
                f"held by a {type(self).__name__} of the outer one; build the array from the "
                "inner number (np.zeros_like(y) for the inner y)"
            )
        return self.zeros_like_parts(as_float_component(value, "operand"))

    def _promote(self, value) -> None:
        """Become, in place, a number of ``value``'s higher tag whose value is this one (so an
        array of an outer derivative can take numbers of an inner one: ``a[i] = y``)."""
        if type(value) is not type(self):
            raise TypeError(
                f"cannot write a {type(value).__name__} of a nested derivative into a "
                f"{type(self).__name__} of an outer one; build the array from the inner "
                "number instead (np.zeros_like(y) for the inner y, or np.stack)"
            )
        new = value.zeros_like_parts(self.copy())
        for name in type(self).__slots__:
            object.__setattr__(self, name, getattr(new, name))

    # -- indexing
    def __getitem__(self, idx):
        idx = _index_tuple(idx)
        return _finish(self._map(lambda p, nt: p[idx + (slice(None),) * nt]))

    def __setitem__(self, idx, value):
        if not self.shape:
            raise TypeError(f"a 0-d {type(self).__name__} does not support item assignment")
        idx = _index_tuple(idx)
        if isinstance(value, DualBase) and value._t > self._t:
            self._promote(value)
        value = self.lift(value)
        check_compatible(self, value)  # a scalar-mode value must not broadcast over directions
        if is_complex(value.value) and not is_complex(self.value):
            raise TypeError(
                f"cannot write a complex number into a real {type(self).__name__} array (its "
                "imaginary part would be lost); build a complex one to fill: "
                "np.zeros_like(x, dtype=complex)"
            )
        names = self._NAMES
        seen = []
        for name, v, lab in zip(names, value._parts(), self._labels()):
            p = getattr(self, name)
            if isinstance(p, DualBase):  # a component of lower tag (nesting)
                if any(p is s for s in seen):
                    p = p.copy()
                    object.__setattr__(self, name, p)
            elif isinstance(v, DualBase):  # a plain component takes a number of lower tag
                p = v.lift(p)
                object.__setattr__(self, name, p)
            elif is_complex(v) and not is_complex(p):  # a real derivative part of a complex x
                p = np.array(p, dtype=np.complex128)
                object.__setattr__(self, name, p)
            elif (
                not isinstance(p, np.ndarray) or not p.flags.writeable or any(p is s for s in seen)
            ):
                p = np.array(p)
                object.__setattr__(self, name, p)
            seen.append(p)
            p[idx + (slice(None),) * len(lab)] = v

    # -- conversions that would lose the derivative
    def __float__(self):
        # numpy calls this to write a 0-d dual into a float array (a[0] = d), and, since a
        # dual is a sequence to it, raises "setting an array element with a sequence" with
        # this error as its __cause__: the message carries the idiom for that case too.
        raise DerivativeLossError(loss_message("float") + " " + FILL_IDIOM)

    def __int__(self):
        raise DerivativeLossError(loss_message("int"))

    def __complex__(self):
        raise DerivativeLossError(loss_message("complex"))

    def __index__(self):
        raise DerivativeLossError(loss_message("an index"))

    def __array__(self, dtype=None, copy=None):
        # numpy calls this for np.asarray(d), np.array([d1, d2]) and a[i:j] = d (an array d);
        # the message says where (and, inside a library, which function and its equivalent)
        raise DerivativeLossError(array_loss_message())

    def __bool__(self):
        if self.shape:
            raise ValueError(
                "the truth value of an array dual number is ambiguous; compare .value "
                "with .any() or .all()"
            )
        return bool(self.value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={_fmt(getattr(self, n))}" for n in self._NAMES)
        tag = f", tag={self._t}" if self._t else ""
        return f"{type(self).__name__}({fields}{tag})"

    # -- in-place operators rebind, as for Python numbers: ``x += y`` is ``x = x + y`` and
    # never writes into arrays that other numbers may share.
    def __iadd__(self, other):
        return self + other

    def __isub__(self, other):
        return self - other

    def __imul__(self, other):
        return self * other

    def __itruediv__(self, other):
        return self / other

    def __ipow__(self, other):
        return self**other

    def __imatmul__(self, other):
        return self @ other

    # -- ndarray-style methods
    @property
    def T(self):
        """``np.transpose`` of every component (the direction axes stay last)."""
        return np.transpose(self)

    @property
    def mT(self):
        """Transpose of the last two axes of every component, as ``ndarray.mT``."""
        return np.swapaxes(self, -1, -2)

    def transpose(self, *axes):
        """``np.transpose(x, axes)`` of every component."""
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def reshape(self, *shape, order="C"):
        """``np.reshape(x, shape)`` of every component (``order`` as in numpy)."""
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def ravel(self):
        """``np.ravel(x)`` of every component."""
        return np.ravel(self)

    def flatten(self):
        """A flattened copy, as ``ndarray.flatten``."""
        return np.ravel(self).copy()

    def copy(self):
        """A copy whose array components own their data."""
        return self._map(lambda p, nt: p.copy() if isinstance(p, np.ndarray) else p)

    def sum(self, axis=None, keepdims=False):
        """``np.sum``: the sum of the values, and of each derivative part."""
        return np.sum(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        """``np.prod``, with the product rule."""
        return np.prod(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        """``np.mean``."""
        return np.mean(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None):
        """``np.cumsum``."""
        return np.cumsum(self, axis=axis)

    def var(self, axis=None, ddof=0, keepdims=False):
        """``np.var`` (``ddof`` as in numpy)."""
        return np.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        """``np.std`` (``ddof`` as in numpy)."""
        return np.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        """``np.max``: the element of largest value, with its derivatives."""
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        """``np.min``: the element of smallest value, with its derivatives."""
        return np.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None):
        """``np.argmax`` of the value part (an integer array: indices have no derivative)."""
        return np.argmax(self, axis=axis)

    def argmin(self, axis=None):
        """``np.argmin`` of the value part."""
        return np.argmin(self, axis=axis)

    def dot(self, other):
        """``np.dot(x, other)``."""
        return np.dot(self, other)

    def squeeze(self, axis=None):
        """``np.squeeze``."""
        return np.squeeze(self, axis=axis)

    def swapaxes(self, a, b):
        """``np.swapaxes``."""
        return np.swapaxes(self, a, b)

    def clip(self, a_min=None, a_max=None):
        """``np.clip``: the derivative passes through on the closed interval, 0 outside."""
        return np.clip(self, a_min, a_max)

    def trace(self, offset=0, axis1=0, axis2=1):
        """``np.trace``."""
        return np.trace(self, offset=offset, axis1=axis1, axis2=axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        """``np.diagonal``."""
        return np.diagonal(self, offset=offset, axis1=axis1, axis2=axis2)

    def take(self, indices, axis=None):
        """``np.take``."""
        return np.take(self, indices, axis=axis)

    def sort(self, axis=-1):
        """Not supported (in place); raises TypeError. Use ``np.sort(x)``."""
        raise TypeError("in-place sort of a dual number is not supported; use np.sort(x)")

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        """``ndarray.astype``: a float or complex dtype keeps the number (components in
        double precision: float64, or complex128 for a complex dtype); an integer or boolean
        dtype would drop the derivative and raises :class:`~dualdiff.DerivativeLossError`
        naming ``astype``. A float dtype of a complex number keeps the real part with numpy's
        ComplexWarning, as numpy does (``x.real``, derivative included)."""
        import warnings

        dt = np.dtype(dtype)
        if dt.kind not in "fc":
            raise DerivativeLossError(
                f"x.astype({dt}) of a dual number would drop its derivative parts (a {dt} array "
                "cannot hold them). Convert x.value if you need the values as "
                f"{dt}; for rounding with a zero derivative use np.round / np.floor on x"
            )
        if dt not in (np.float64, np.complex128):
            warnings.warn(
                f"x.astype({dt}) of a dual number keeps double-precision components: dual "
                "numbers are computed in float64 or complex128",
                stacklevel=2,
            )
        if dt.kind == "c" and self.dtype.kind != "c":
            return self._map(lambda p, nt: np.asarray(p, dtype=np.complex128) if nt or np.ndim(p)
                             else complex(p))  # fmt: skip
        if dt.kind == "f" and self.dtype.kind == "c":
            warnings.warn(
                "Casting complex values to real discards the imaginary part",
                np.exceptions.ComplexWarning,
                stacklevel=2,
            )
            return self.real
        return self.copy() if copy else self

    def item(self):
        """Raises :class:`~dualdiff.DerivativeLossError`: a Python float has no derivative."""
        raise DerivativeLossError(loss_message("a Python scalar with .item()"))

    def tolist(self):
        """Raises :class:`~dualdiff.DerivativeLossError`, as :meth:`item`."""
        raise DerivativeLossError(loss_message("a list with .tolist()"))


def _finish(x):
    """0-d results go back to Python floats (or complex) so the scalar fast paths apply again."""
    t = type(x.value)
    if t is not float and t is not complex and np.ndim(x.value) == 0:
        return x._map(_scalar_part)
    return x


def _scalar_part(p, nt):
    return p if nt else scalar_component(p)


def scalar_component(p):
    """A 0-d component as a Python float or complex; a number of lower tag (nesting) as it is."""
    return _finish(p) if isinstance(p, DualBase) else py_scalar(p)


def _real_part(p, nt):
    return p.real


def _imag_part(p, nt):
    return p.imag


def _conj_part(p, nt):
    return p.conjugate()


def _index_tuple(idx) -> tuple:
    if isinstance(idx, DualBase):
        raise TypeError(
            "a dual number cannot be used as an index; index with its value (x.value) "
            "converted to int, since indices are not differentiable"
        )
    return idx if isinstance(idx, tuple) else (idx,)


def _fmt(p) -> str:
    return repr(p) if not isinstance(p, np.ndarray) else np.array2string(p, separator=", ")
