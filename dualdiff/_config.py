"""Per-thread switches: the numpy path or the compiled kernels, and NaN-safe or raw IEEE zeros.

An elementwise operation on dual numbers runs a compiled kernel (:mod:`dualdiff._kernels`) when
kernels are enabled and the operation writes at least ``threshold`` elements (its largest
component: ``n`` for a scalar-mode number, ``n·k`` or ``n·k1·k2`` with directions); below that
the numpy path runs. From ``parallel_threshold`` elements on, a kernel whose measured cost
makes it worth it is split over threads.

The settings live in a :class:`contextvars.ContextVar`: :func:`use_numba` changes them for the
calling thread (or asyncio task) only, so two threads that enter and leave
``with use_numba(False)`` in any order never change each other's settings. A thread starts
with the process defaults, which the environment sets (read once, at import):

- ``DUALDIFF_DISABLE_NUMBA``: ``1``/``true``/``yes``/``on`` turns the kernels off for the whole
  process (``use_numba(True)`` cannot turn them back on: the kill switch for platforms where
  Numba misbehaves); ``0``/``false``/``no``/``off``/empty leaves them on.
- ``DUALDIFF_NUMBA_THRESHOLD`` and ``DUALDIFF_NUMBA_PARALLEL_THRESHOLD``: the two sizes, as
  non-negative integers (``1e5`` is accepted when it is an integer).

Any other value is ignored with one warning that names the variable and the accepted values.
This module imports nothing heavy: ``import dualdiff`` never imports Numba.

The second switch, :func:`nan_safe`, lives in a context variable of its own with the same
per-thread semantics: whether a derivative part equal to zero absorbs an infinite or nan
coefficient (the default, see :mod:`dualdiff._algebra`) or every product is plain IEEE.
"""

from __future__ import annotations

import contextvars
import math
import os
import warnings
from typing import NamedTuple

import numpy as np

DEFAULT_THRESHOLD = 1_000
"""Smallest output (in elements) sent to a kernel. Once compiled, a kernel call is cheaper than
the numpy path at every size (``python -m benchmarks.kernels_report``, "call overhead": about
10 µs for ``np.sin`` of a HyperDual through the kernel, 14 µs on the numpy path, one element,
2-core x86-64), and from 10³ elements value+f'+f'' of the W2 function takes 0.2-0.45 ms with
kernels against 0.5-0.8 ms on the numpy path ("crossover", both allocator states). Below
10³ elements the gain is a few microseconds per operation while each new kernel costs about a
second to compile on first use, which small problems should not pay."""

DEFAULT_PARALLEL_THRESHOLD = 50_000
"""Smallest output (in elements) that may be split over threads; from there a kernel is split
when its measured cost says one thread would take ``_kernels.threads.PARALLEL_MIN_SECONDS``
or more (a libm-bound rule on 10⁵ elements, not a vectorised product)."""

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _env_flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        warnings.warn(
            f"{name}={os.environ[name]!r} is not understood and is ignored; accepted values: "
            f"{', '.join(_TRUE)} (kernels off) or {', '.join(v for v in _FALSE if v)} (on)",
            RuntimeWarning,
            stacklevel=3,
        )
    return False


def _env_size(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
        ok = math.isfinite(value) and value >= 0 and value == int(value)
    except ValueError:
        ok = False
    if not ok:
        warnings.warn(
            f"{name}={raw!r} is not a non-negative whole number of elements and is ignored "
            f"(accepted: 0, 10000, 1e5, ...); using {default}",
            RuntimeWarning,
            stacklevel=3,
        )
        return default
    return int(value)


DISABLED_BY_ENV = _env_flag("DUALDIFF_DISABLE_NUMBA")


class KernelSettings(NamedTuple):
    """Settings of the kernel dispatch: ``enabled``, ``threshold``, ``parallel_threshold``."""

    enabled: bool
    threshold: int
    parallel_threshold: int


DEFAULTS = KernelSettings(
    not DISABLED_BY_ENV,
    _env_size("DUALDIFF_NUMBA_THRESHOLD", DEFAULT_THRESHOLD),
    _env_size("DUALDIFF_NUMBA_PARALLEL_THRESHOLD", DEFAULT_PARALLEL_THRESHOLD),
)
"""The process defaults (from the environment)."""

_SETTINGS: contextvars.ContextVar[KernelSettings] = contextvars.ContextVar(
    "dualdiff_kernel_settings", default=DEFAULTS
)

current = _SETTINGS.get
"""``current()``: the settings in force in this thread / context (a :class:`KernelSettings`)."""


class NumbaSettings:
    """The settings that were in force before a :func:`use_numba` call.

    Truthy when those kernels were enabled; as a context manager it restores them on exit (in
    the calling thread's context), so that ``with use_numba(False): ...`` runs the block on
    the numpy path.
    """

    __slots__ = ("enabled", "threshold", "parallel_threshold")

    def __init__(self, enabled: bool, threshold: int, parallel_threshold: int):
        self.enabled = bool(enabled)
        self.threshold = int(threshold)
        self.parallel_threshold = int(parallel_threshold)

    def __bool__(self) -> bool:
        return self.enabled

    def __enter__(self) -> NumbaSettings:
        return self

    def __exit__(self, *exc) -> None:
        _set(self.enabled, self.threshold, self.parallel_threshold)

    def __eq__(self, other) -> bool:
        if not isinstance(other, NumbaSettings):
            return NotImplemented
        return self._tuple() == other._tuple()

    def __hash__(self) -> int:
        return hash(self._tuple())

    def _tuple(self) -> tuple:
        return (self.enabled, self.threshold, self.parallel_threshold)

    def __repr__(self) -> str:
        return (
            f"NumbaSettings(enabled={self.enabled}, threshold={self.threshold}, "
            f"parallel_threshold={self.parallel_threshold})"
        )


def _set(enabled: bool, threshold: int, parallel_threshold: int) -> None:
    _SETTINGS.set(
        KernelSettings(bool(enabled) and not DISABLED_BY_ENV, threshold, parallel_threshold)
    )


def use_numba(
    enabled: bool | None = None,
    threshold: int | None = None,
    parallel_threshold: int | None = None,
) -> NumbaSettings:
    """Turn the compiled kernels on or off, or change the sizes at which they take over.

    The change applies to the calling thread (and the context it runs in) only; other
    threads keep their own settings.

    Parameters
    ----------
    enabled : bool, optional
        ``True`` sends elementwise operations on at least ``threshold`` elements to compiled
        kernels (unless ``DUALDIFF_DISABLE_NUMBA=1``); ``False`` forces the numpy path.
    threshold : int, optional
        Smallest output size, in elements, that uses a kernel (``0``: every size).
    parallel_threshold : int, optional
        Smallest output size split over threads.

    Returns
    -------
    NumbaSettings
        The previous settings: truthy when kernels were enabled; usable as a context manager
        that restores them.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> with dd.use_numba(False):
    ...     d = dd.derivative(np.sin, np.zeros(3))
    >>> d
    array([1., 1., 1.])
    """
    now = _SETTINGS.get()
    previous = NumbaSettings(*now)
    for name, value in (("threshold", threshold), ("parallel_threshold", parallel_threshold)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            raise ValueError(f"{name} must be a non-negative number of elements, got {value!r}")
        if value is not None and value != math.inf and int(value) != value:
            raise ValueError(f"{name} must be a whole number of elements, got {value!r}")
    _set(
        now.enabled if enabled is None else enabled,
        now.threshold if threshold is None else _size(threshold),
        now.parallel_threshold if parallel_threshold is None else _size(parallel_threshold),
    )
    return previous


def _size(value) -> int:
    """A size; ``math.inf`` (never) becomes the largest int64."""
    return (1 << 63) - 1 if value == math.inf else int(value)


# ---------------------------------------------------------------- NaN-safe zeros

_NAN_SAFE: contextvars.ContextVar[bool] = contextvars.ContextVar("dualdiff_nan_safe", default=True)

nan_safe_now = _NAN_SAFE.get
"""``nan_safe_now()``: whether zero derivative parts absorb non-finite coefficients here."""


class NanSafeSetting:
    """The NaN-safe setting that was in force before a :func:`nan_safe` call.

    Truthy when it was on; as a context manager it restores it on exit (in the calling
    thread's context), so that ``with nan_safe(False): ...`` runs the block with raw IEEE
    products.
    """

    __slots__ = ("enabled",)

    def __init__(self, enabled: bool):
        self.enabled = bool(enabled)

    def __bool__(self) -> bool:
        return self.enabled

    def __enter__(self) -> NanSafeSetting:
        return self

    def __exit__(self, *exc) -> None:
        _NAN_SAFE.set(self.enabled)

    def __eq__(self, other) -> bool:
        if not isinstance(other, NanSafeSetting):
            return NotImplemented
        return self.enabled == other.enabled

    def __hash__(self) -> int:
        return hash(self.enabled)

    def __repr__(self) -> str:
        return f"NanSafeSetting(enabled={self.enabled})"


def nan_safe(enabled: bool = True) -> NanSafeSetting:
    """Whether a zero derivative part absorbs an infinite or nan chain-rule coefficient.

    On (the default): in every product of the chain, product and quotient rules, a term whose
    derivative factor is zero is zero, even where the other factor is ``inf`` or ``nan``
    (``0·inf = 0``, ForwardDiff.jl's NaN-safe rule applied per direction), so a singular
    partial stays in its own direction: the gradient of ``sqrt(x0) + x1**2`` at ``(0, 1)``
    is ``(inf, 2)``. Off: every product is the plain IEEE one (``0·inf = nan``) and the same
    gradient is ``(inf, nan)``. The rule also applies to zeros that are computed rather
    than seeded, so ``sqrt(x - x)`` has derivative ``0`` (see :mod:`dualdiff._algebra`).

    The change applies to the calling thread (and the context it runs in) only; the
    Python-float, numpy and kernel paths all follow it.

    Parameters
    ----------
    enabled : bool
        ``True`` for NaN-safe zeros (the default), ``False`` for raw IEEE propagation.

    Returns
    -------
    NanSafeSetting
        The previous setting: truthy when it was on; usable as a context manager that
        restores it.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> f = lambda t: np.sqrt(t[0]) + t[1] ** 2
    >>> dd.gradient(f, np.array([0.0, 1.0]))
    array([inf,  2.])
    >>> with dd.nan_safe(False):
    ...     g = dd.gradient(f, np.array([0.0, 1.0]))
    >>> g
    array([inf, nan])
    """
    if not isinstance(enabled, bool | np.bool_):
        raise TypeError(f"nan_safe expects True or False, got {enabled!r}")
    previous = NanSafeSetting(_NAN_SAFE.get())
    _NAN_SAFE.set(bool(enabled))
    return previous
