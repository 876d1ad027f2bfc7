"""Seeding inputs and extracting derivative parts: the one place the drivers share.

Seeds: ``x + 1·ε`` elementwise, ``x + e_i·ε`` for the identity basis (vector mode: one
evaluation gives all ``n`` partials), and for hyper-duals the same seed object in ``ε1`` and
``ε2`` so that it is stored and propagated once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._algebra import ONE, ZERO, filled
from ._base import DualBase
from ._errors import DerivativeLossError
from .dual import Dual
from .dual import _new as _dual_new
from .hyperdual import HyperDual
from .hyperdual import _new as _hyper_new


def as_input(x, name: str = "x"):
    """``x`` as a float (scalar) or a float64 ndarray; ints and lists are accepted."""
    if type(x) is float or type(x) is int:
        return float(x)
    if isinstance(x, DualBase):
        raise TypeError(f"{name} must be plain numbers; got a {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number or an array of numbers: {err}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be real numeric (bool, int or float); got dtype {arr.dtype}"
            + (" (complex inputs are not supported)" if arr.dtype.kind == "c" else "")
        )
    if arr.ndim == 0:
        return float(arr)
    # A read-only float64 view (a copy only when the dtype differs): no copy per call, and
    # item assignment inside f copies before writing, so the caller's x is never modified.
    arr = arr.astype(np.float64, copy=False).view()
    arr.flags.writeable = False
    return arr


def basis(shape: tuple) -> np.ndarray:
    """Identity seed of shape ``shape + (n,)``: element ``i`` moves along direction ``i``."""
    n = int(np.prod(shape))
    return np.eye(n).reshape(shape + (n,))


def seed_elementwise(x, order: int):
    if type(x) is float:
        return _dual_new(x, 1.0, "") if order == 1 else _hyper_new(x, 1.0, 1.0, 0.0, "", "")
    ones = filled(ONE, np.shape(x))
    if order == 1:
        return _dual_new(x, ones, "")
    return _hyper_new(x, ones, ones, filled(ZERO, np.shape(x)), "", "")


def seed_basis(x, order: int):
    shape = np.shape(x)
    e = basis(shape)
    if order == 1:
        return Dual(x, e)
    n = e.shape[-1]
    return HyperDual(x, e, e, np.zeros(shape + (n, n)))


def seed_hvp(x, v):
    """``x + v·ε1 + e_i·ε2``: the ε1ε2 part of ``f`` is then ``H v``."""
    e = basis(np.shape(x))
    return HyperDual(x, v, e, np.zeros(e.shape))


def call(f: Callable, seeded, x, driver: str):
    """Evaluate ``f`` once and check that it returned a number of the seeded type."""
    y = f(seeded)
    if type(y) is type(seeded):
        return y
    if isinstance(y, (list, tuple)) and any(isinstance(v, DualBase) for v in y):
        y = np.stack(y)
    if isinstance(y, DualBase):
        return y
    return _constant_result(f, y, x, seeded, driver)


def _constant_result(f, y, x, seeded, driver):
    """A plain result: fine (zero derivative) only if f really does not depend on x."""
    try:
        if y is None or isinstance(y, (str, bytes)):
            raise TypeError
        value = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{driver}: f returned {type(y).__name__}, not a number or an array of numbers"
        ) from None
    if not _independent(f, x, value):
        raise DerivativeLossError(
            f"{driver}: f returned a plain {type(y).__name__} that depends on x, so its "
            "derivative was lost inside f (typically float(), math.* functions, .real, or "
            "np.asarray on the input). Write f with numpy functions on the input it receives."
        )
    return seeded.zeros_like_parts(value if value.ndim else float(value))


def _independent(f, x, value) -> bool:
    """True when f gives the same plain value at two perturbed points."""
    for scale in (1e-3, -7e-4):
        xp = np.asarray(x, dtype=float)
        xp = xp + scale * (1.0 + np.abs(xp))
        try:
            other = np.asarray(f(float(xp) if xp.ndim == 0 else xp), dtype=np.float64)
        except Exception:
            return False
        if other.shape != value.shape or not np.array_equal(other, value, equal_nan=True):
            return False
    return True


def scalar_out(v):
    """0-d results as Python floats; arrays as writeable arrays the caller owns."""
    if type(v) is float:
        return v
    if np.ndim(v) == 0:
        return float(v)
    return v if v.flags.writeable else np.array(v)
