"""The switch between the numpy path and the Numba kernels of :mod:`dualdiff._kernels`.

An elementwise operation on dual numbers runs a compiled kernel when kernels are enabled and the
operation writes at least ``threshold`` elements (the largest component: ``n`` for a scalar-mode
number, ``n·k`` or ``n·k1·k2`` with directions); below that the numpy path is faster, since a
kernel call costs a few microseconds of argument marshalling. From ``parallel_threshold``
elements on, a kernel whose measured cost makes it worth it (``_kernels.PARALLEL_MIN_SECONDS``)
is split over threads (their number follows Numba's settings).

Environment (read once, at import):

- ``DUALDIFF_DISABLE_NUMBA=1`` turns the kernels off for the whole process; ``use_numba(True)``
  does not turn them back on (this is the kill switch for platforms where Numba misbehaves).
- ``DUALDIFF_NUMBA_THRESHOLD`` and ``DUALDIFF_NUMBA_PARALLEL_THRESHOLD``: the two sizes.

This module imports nothing heavy: ``import dualdiff`` never imports Numba.
"""

from __future__ import annotations

import os

DEFAULT_THRESHOLD = 10_000
"""Smallest output (in elements) sent to a kernel: about the smallest size at which the
kernels are not slower than the numpy path whatever the state of the C allocator, measured on
a 2-core machine (``python -m benchmarks.kernels_report``, "crossover"; value+f'+f'' of the W2
function). At 3·10³ elements the numpy path is still ahead (0.23 ms against 0.31 ms).

The numpy path's speed depends on whether its temporaries page-fault. In a fresh process glibc
returns each freed block of 128 KiB or more to the system: numpy pays page faults and the
kernels (which recycle their output memory) are 1.4x faster at 10⁴, 2.4x at 2·10⁴, 4x at 10⁵.
Once a process has freed a large array, glibc keeps freed memory mapped and numpy runs at its
best: the kernels are then 1.1x faster at 10⁴, 1.4x at 2·10⁴, 2x at 10⁵."""

DEFAULT_PARALLEL_THRESHOLD = 50_000
"""Smallest output (in elements) that may be split over threads; from there a kernel is split
when its measured cost says one thread would take ``_kernels.PARALLEL_MIN_SECONDS`` or more (a
libm-bound rule on 10⁵ elements, not a vectorised product)."""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(0, int(float(raw)))
    except ValueError:
        import warnings

        warnings.warn(f"{name}={raw!r} is not a number of elements; using {default}", stacklevel=2)
        return default


DISABLED_BY_ENV = _env_flag("DUALDIFF_DISABLE_NUMBA")


class NumbaSettings:
    """Settings of the kernel dispatch: ``enabled``, ``threshold``, ``parallel_threshold``.

    :func:`use_numba` returns the settings that were in force before the call. The object is
    truthy when those kernels were enabled, and as a context manager it restores them on exit,
    so that ``with use_numba(False): ...`` runs the block on the numpy path.
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


SETTINGS = NumbaSettings(
    not DISABLED_BY_ENV,
    _env_int("DUALDIFF_NUMBA_THRESHOLD", DEFAULT_THRESHOLD),
    _env_int("DUALDIFF_NUMBA_PARALLEL_THRESHOLD", DEFAULT_PARALLEL_THRESHOLD),
)
"""The settings in force (mutated in place, so readers may keep a reference)."""


def _set(enabled: bool, threshold: int, parallel_threshold: int) -> None:
    SETTINGS.enabled = bool(enabled) and not DISABLED_BY_ENV
    SETTINGS.threshold = int(threshold)
    SETTINGS.parallel_threshold = int(parallel_threshold)


def use_numba(
    enabled: bool | None = None,
    threshold: int | None = None,
    parallel_threshold: int | None = None,
) -> NumbaSettings:
    """Turn the Numba kernels on or off, or change the sizes at which they take over.

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
    previous = NumbaSettings(*SETTINGS._tuple())
    for name, value in (("threshold", threshold), ("parallel_threshold", parallel_threshold)):
        if value is not None and (isinstance(value, bool) or int(value) != value or value < 0):
            raise ValueError(f"{name} must be a non-negative number of elements, got {value!r}")
    _set(
        previous.enabled if enabled is None else enabled,
        previous.threshold if threshold is None else int(threshold),
        previous.parallel_threshold if parallel_threshold is None else int(parallel_threshold),
    )
    return previous
