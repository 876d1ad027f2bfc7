"""Derivatives of user functions: each driver seeds, calls ``f`` once, and extracts.

``f`` is ordinary numpy code (``np.sin``, ``@``, ``np.sum``, ...). ``x`` may be a Python
scalar, a list or an ndarray; integers become float64. Outputs are float64 (a Python float
for 0-d results).

The first-order drivers (:func:`derivative`, :func:`gradient`, :func:`jacobian`) also accept a
:class:`Dual` ``x``, so they nest inside another first-order driver:
``jacobian(lambda y: gradient(f, y), x)`` equals ``hessian(f, x)`` and costs one hyper-dual
evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import _seed
from ._algebra import ONE, filled
from ._seed import as_input, scalar_out
from .dual import Dual
from .hyperdual import _new as _hyper_new


class Derivatives(NamedTuple):
    """``(value, first, second)`` = ``(f(x), f'(x), f''(x))``."""

    value: float | np.ndarray
    first: float | np.ndarray
    second: float | np.ndarray


class ValueAndGradient(NamedTuple):
    """``(value, gradient)`` of a scalar function."""

    value: float
    gradient: np.ndarray


class ValueGradientHessian(NamedTuple):
    """``(value, gradient, hessian)`` of a scalar function."""

    value: float
    gradient: np.ndarray
    hessian: np.ndarray


def _nested(f: Callable, x, basis: bool, driver: str):
    """A first-order driver applied to a Dual ``x`` (say inside :func:`jacobian`).

    One hyper-dual evaluation: ε1 carries this driver's seed and ε2 the outer directions of
    ``x``, so the ε1ε2 part is the derivative of this driver's result along them. Returns
    ``(y, inner_shape, outer_dirs)``.
    """
    if not isinstance(x, Dual):
        raise TypeError(
            f"{driver}: x must be plain numbers or a Dual (nested first-order drivers); "
            f"got {type(x).__name__}. Third derivatives are not supported"
        )
    real = x.real
    shape = np.shape(real)
    outer = np.shape(x.dual)[len(shape) :]
    eps1 = _seed.basis(shape) if basis else filled(ONE, shape)
    inner = np.shape(eps1)[len(shape) :]
    zeros = np.zeros(shape + inner + outer) if shape + inner + outer else 0.0
    seed = _hyper_new(real, eps1, x.dual, zeros, "y" if basis else "", "z" if outer else "")
    return _seed.call(f, seed, real, driver), outer


def _dual_out(value, deriv) -> Dual:
    return Dual(value, deriv)


def derivative(f: Callable, x) -> float | np.ndarray:
    """``f'(x)`` by one dual evaluation ``f(x + ε)``.

    For array ``x`` every element is seeded with 1, so for an elementwise ``f`` the result
    is the elementwise derivative (shape of ``f(x)``); for other ``f`` it is ``J @ 1``. For
    all partial derivatives use :func:`jacobian`.
    """
    if isinstance(x, Dual):
        y, _ = _nested(f, x, False, "derivative")
        return _dual_out(y.eps1, y.eps12)
    x = as_input(x)
    y = _seed.call(f, _seed.seed_elementwise(x, 1), x, "derivative")
    return scalar_out(y.dual)


def second_derivative(f: Callable, x) -> float | np.ndarray:
    """``f''(x)`` by one hyper-dual evaluation ``f(x + ε1 + ε2)`` (elementwise for arrays)."""
    return value_and_derivatives(f, x).second


def value_and_derivatives(f: Callable, x) -> Derivatives:
    """``(f(x), f'(x), f''(x))`` from a single hyper-dual evaluation (elementwise for arrays)."""
    x = as_input(x)
    y = _seed.call(f, _seed.seed_elementwise(x, 2), x, "value_and_derivatives")
    return Derivatives(scalar_out(y.real), scalar_out(y.eps1), scalar_out(y.eps12))


def _scalar_output(y, driver: str, alternative: str):
    if y.shape != ():
        raise ValueError(
            f"{driver} expects f to return a scalar, but f returned shape {y.shape}; "
            f"for vector outputs use {alternative}"
        )


def gradient(f: Callable, x) -> float | np.ndarray:
    """``∇f(x)`` of a scalar function, shape of ``x``, from one vector-mode evaluation."""
    return value_and_gradient(f, x).gradient


def value_and_gradient(f: Callable, x) -> ValueAndGradient:
    """``(f(x), ∇f(x))`` from one vector-mode dual evaluation."""
    if isinstance(x, Dual):
        y, outer = _nested(f, x, True, "gradient")
        _scalar_output(y, "gradient", "jacobian")
        shape = np.shape(x.real)
        return ValueAndGradient(
            _dual_out(y.real, y.eps2),
            _dual_out(_reshape(y.eps1, (), shape), _reshape(y.eps12, (), shape + outer)),
        )
    x = as_input(x)
    y = _seed.call(f, _seed.seed_basis(x, 1), x, "gradient")
    _scalar_output(y, "gradient", "jacobian")
    return ValueAndGradient(scalar_out(y.real), scalar_out(_reshape(y.dual, (), np.shape(x))))


def _reshape(part, out_shape, x_shape):
    return np.reshape(part, out_shape + x_shape)


def jacobian(f: Callable, x) -> float | np.ndarray:
    """``J[i..., j...] = ∂f(x)[i...] / ∂x[j...]``, shape ``f(x).shape + x.shape``."""
    if isinstance(x, Dual):
        y, outer = _nested(f, x, True, "jacobian")
        shape = y.shape + np.shape(x.real)
        return _dual_out(_reshape(y.eps1, (), shape), _reshape(y.eps12, (), shape + outer))
    x = as_input(x)
    y = _seed.call(f, _seed.seed_basis(x, 1), x, "jacobian")
    return scalar_out(_reshape(y.dual, y.shape, np.shape(x)))


def hessian(f: Callable, x) -> float | np.ndarray:
    """``H[i..., j...] = ∂²f / ∂x[i...] ∂x[j...]`` of a scalar ``f``, shape ``x.shape * 2``."""
    return value_gradient_hessian(f, x).hessian


def value_gradient_hessian(f: Callable, x) -> ValueGradientHessian:
    """``(f(x), ∇f(x), ∇²f(x))`` from one vector-mode hyper-dual evaluation."""
    x = as_input(x)
    y = _seed.call(f, _seed.seed_basis(x, 2), x, "hessian")
    _scalar_output(y, "hessian", "jacobian of jacobian, or hvp per output")
    shape = np.shape(x)
    return ValueGradientHessian(
        scalar_out(y.real),
        scalar_out(_reshape(y.eps1, (), shape)),
        scalar_out(_reshape(y.eps12, (), shape + shape)),
    )


def hvp(f: Callable, x, v) -> float | np.ndarray:
    """``∇²f(x) @ v`` (shape of ``x``) from one evaluation with ``x + v·ε1 + e_i·ε2``."""
    x = as_input(x)
    v = _direction(v, x, "hvp")
    y = _seed.call(f, _seed.seed_hvp(x, v), x, "hvp")
    _scalar_output(y, "hvp", "jacobian")
    return scalar_out(_reshape(y.eps12, (), np.shape(x)))


def jvp(f: Callable, x, v) -> tuple:
    """``(f(x), J(x) @ v)`` from one dual evaluation ``f(x + v·ε)``."""
    x = as_input(x)
    v = _direction(v, x, "jvp")
    y = _seed.call(f, Dual(x, v), x, "jvp")
    return scalar_out(y.real), scalar_out(y.dual)


def _direction(v, x, driver: str):
    v = as_input(v, "v")
    if np.shape(v) != np.shape(x):
        raise ValueError(
            f"{driver}: v has shape {np.shape(v)} but x has shape {np.shape(x)}; they must match"
        )
    return v
