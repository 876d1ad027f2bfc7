"""Dask arrays in the elementwise drivers: lazy, block by block.

:func:`~dualdiff.derivative`, :func:`~dualdiff.second_derivative`,
:func:`~dualdiff.value_and_derivatives` and :func:`~dualdiff.jvp` given a ``dask.array.Array``
return dask arrays: ``dask.array.map_blocks`` applies the numpy driver to each block, so
nothing is computed until the result is, and a block's evaluation needs only that block's
memory. Several results of one driver (value and derivatives) come from one evaluation per
block (stacked on a new leading axis, then indexed).

This is exact for functions that act on each block on its own: elementwise functions (which
the first three drivers assume anyway), and more generally any f whose output block depends
only on the same block of x. A function that mixes elements across blocks (``np.cumsum``, a
sum, a reversal) is differentiated block by block, as if each block were the whole input:
rechunk to one block (``x.rechunk(-1)``) or pass a numpy array for the whole derivative. f
must return its block's shape (checked per block, as for numpy input).

Drivers that need all directions (:func:`~dualdiff.gradient`, :func:`~dualdiff.jacobian`,
:func:`~dualdiff.hessian`) read a dask ``x`` into memory like any array (``np.asarray``);
spread their passes over a cluster with ``executor=client.get_executor()`` instead.

dask is imported only when a dask array is passed (``pip install "dualdiff[dask]"``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def is_dask(x) -> bool:
    """Whether ``x`` is a dask array (checked without importing dask)."""
    t = type(x)
    return t.__name__ == "Array" and t.__module__.startswith("dask.")


def target(primals: tuple, argnums, has_aux: bool, driver: str):
    """The index of the one differentiated dask array among ``primals``, or None."""
    for p in primals:
        if type(p) is not float and type(p) is not np.ndarray and is_dask(p):
            break
    else:
        return None
    if not isinstance(argnums, int | np.integer) or not is_dask(primals[argnums]):
        raise TypeError(
            f"{driver}: dask arrays are supported as the one differentiated argument "
            "(an int argnums); compute the others first"
        )
    if has_aux:
        raise TypeError(f"{driver}: has_aux is not supported on dask arrays")
    return int(argnums) % len(primals)


def elementwise(driver: Callable, parts: Callable, n: int, f, primals: tuple, i: int, **extra):
    """``n`` dask arrays: ``parts(driver(f, *primals))`` with each block of the dask array
    ``primals[i]`` in its place, from one evaluation per block."""
    import dask.array as da

    x = primals[i]

    def block(b):
        args = list(primals)
        args[i] = b
        out = parts(driver(f, *args, **extra))
        return np.stack([np.asarray(o, dtype=np.float64) for o in out])

    out = da.map_blocks(block, x, dtype=np.float64, new_axis=0, chunks=((n,), *x.chunks))
    return [out[j] for j in range(n)]


def jvp(driver: Callable, f, x, v, **extra):
    """``(value, tangent)`` of :func:`dualdiff.jvp` on a dask ``x`` (and ``v``), lazily."""
    import dask.array as da

    v = da.asarray(v)
    if v.shape != x.shape:
        raise ValueError(f"jvp: v has shape {v.shape} but x has shape {x.shape}; they must match")
    v = v.rechunk(x.chunks)

    def block(b, w):
        value, tangent = driver(f, b, w, **extra)
        if np.shape(value) != b.shape:
            raise ValueError(
                f"jvp on a dask array applies f to each block; f must return its block's shape "
                f"({b.shape}), got {np.shape(value)}. Rechunk to one block (x.rechunk(-1)) "
                "or pass a numpy array"
            )
        return np.stack([np.asarray(value, dtype=np.float64), np.asarray(tangent, np.float64)])

    out = da.map_blocks(block, x, v, dtype=np.float64, new_axis=0, chunks=((2,), *x.chunks))
    return out[0], out[1]
