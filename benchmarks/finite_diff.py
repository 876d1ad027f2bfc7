"""Finite-difference and complex-step derivatives: the baselines dualdiff is compared with.

Schemes (``scheme`` argument), with the default step ``h`` (times ``max(1, |x|)``):

========  =====================================  ==================================  ========
scheme    first derivative                       second derivative                   h f'/f''
========  =====================================  ==================================  ========
forward   ``(f(x+h) - f(x)) / h``                ``(f(x+2h) - 2f(x+h) + f(x)) / h²`` ε^½ ε^⅓
central   ``(f(x+h) - f(x-h)) / 2h``             ``(f(x+h) - 2f(x) + f(x-h)) / h²``  ε^⅓ ε^¼
complex   ``Im f(x+ih) / h``                     ``2 (f(x) - Re f(x+ih)) / h²``       1e-20 ε^¼
========  =====================================  ==================================  ========

With an explicit ``h`` (the accuracy sweep) the step is used exactly as given; with the
default step, ``h`` is rounded so that ``x + h`` is representable, ``h = (x + h) - x``.
Gradients, Jacobians and Hessians perturb one coordinate (or pair) at a time, the way
``scipy.optimize.approx_fprime`` does. The mixed complex Hessian is
``Im(f(x + ih e_i + k e_j) - f(x + ih e_i - k e_j)) / (2hk)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPS = float(np.finfo(float).eps)
SCHEMES = ("forward", "central", "complex")
COMPLEX_H = 1e-20
_FIRST_STEP = {"forward": EPS**0.5, "central": EPS ** (1 / 3), "complex": COMPLEX_H}
_SECOND_STEP = {"forward": EPS ** (1 / 3), "central": EPS**0.25, "complex": EPS**0.25}


def _check(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")


def default_step(scheme: str, order: int, x=0.0):
    """Default step of ``scheme`` for derivative ``order`` (1 or 2), scaled by ``max(1,|x|)``."""
    _check(scheme)
    base = (_FIRST_STEP if order == 1 else _SECOND_STEP)[scheme]
    if np.ndim(x) == 0:  # stay in Python floats for scalar x (the W1 workload)
        return base * max(1.0, abs(float(x)))
    return base * np.maximum(1.0, np.abs(x))


def _step(scheme: str, order: int, x, h):
    if h is not None:
        return h
    h = default_step(scheme, order, x)
    if scheme == "complex":
        return h
    return (x + h) - x  # exactly representable step


def derivative(f: Callable, x, scheme: str = "central", h=None, f0=None):
    """``f'(x)`` by ``scheme``; elementwise for elementwise ``f``. ``f0 = f(x)`` if known."""
    _check(scheme)
    h = _step(scheme, 1, x, h)
    if scheme == "forward":
        return (f(x + h) - (f(x) if f0 is None else f0)) / h
    if scheme == "central":
        return (f(x + h) - f(x - h)) / (2.0 * h)
    return np.imag(f(x + 1j * h)) / h


def second_derivative(f: Callable, x, scheme: str = "central", h=None, f0=None):
    """``f''(x)`` by ``scheme``; elementwise for elementwise ``f``. ``f0 = f(x)`` if known."""
    _check(scheme)
    h = _step(scheme, 2, x, h)
    f0 = f(x) if f0 is None else f0
    if scheme == "forward":
        return (f(x + 2.0 * h) - 2.0 * f(x + h) + f0) / (h * h)
    if scheme == "central":
        return (f(x + h) - 2.0 * f0 + f(x - h)) / (h * h)
    return 2.0 * (np.real(f0) - np.real(f(x + 1j * h))) / (h * h)


def value_and_derivative(f: Callable, x, scheme: str = "central"):
    """``(f(x), f'(x))`` with default steps, sharing evaluations where the scheme allows."""
    if scheme == "complex":
        h = _step("complex", 1, x, None)
        y = f(x + 1j * h)
        return np.real(y), np.imag(y) / h
    f0 = f(x)
    return f0, derivative(f, x, scheme, f0=f0)


def value_and_derivatives(f: Callable, x, scheme: str = "central"):
    """``(f(x), f'(x), f''(x))`` with default steps (one step per derivative order)."""
    f0, f1 = value_and_derivative(f, x, scheme)
    return f0, f1, second_derivative(f, x, scheme, f0=f0)


def _coordinate_steps(scheme: str, order: int, x: np.ndarray, h) -> np.ndarray:
    return np.broadcast_to(np.asarray(_step(scheme, order, x, h), dtype=float), x.shape)


def jacobian(f: Callable, x, scheme: str = "central", h=None) -> np.ndarray:
    """Jacobian ``f(x).shape + x.shape`` by ``scheme``, one column per coordinate of ``x``."""
    _check(scheme)
    x = np.asarray(x, dtype=float)
    steps = _coordinate_steps(scheme, 1, x, h).ravel()
    xp = x.astype(complex if scheme == "complex" else float)
    flat = xp.reshape(-1)  # a view: perturb in place, restore after each column
    f0 = f(x) if scheme == "forward" else None
    cols = []
    for j, hj in enumerate(steps):
        xj = flat[j]
        if scheme == "complex":
            flat[j] = xj + 1j * hj
            cols.append(np.imag(f(xp)) / hj)
        elif scheme == "forward":
            flat[j] = xj + hj
            cols.append((f(xp) - f0) / hj)
        else:
            flat[j] = xj + hj
            fp = f(xp)
            flat[j] = xj - hj
            cols.append((fp - f(xp)) / (2.0 * hj))
        flat[j] = xj
    out = np.stack([np.asarray(c, dtype=float) for c in cols], axis=-1)
    return out.reshape(np.shape(cols[0]) + x.shape)


def gradient(f: Callable, x, scheme: str = "central", h=None) -> np.ndarray:
    """Gradient (``x.shape``) of scalar-valued ``f`` by ``scheme``."""
    return jacobian(f, x, scheme, h)


def hessian(f: Callable, x, scheme: str = "central", h=None) -> np.ndarray:
    """Hessian ``(n, n)`` of scalar-valued ``f`` on 1-D ``x``, upper triangle mirrored."""
    _check(scheme)
    x = np.asarray(x, dtype=float)
    n = x.size
    if scheme == "complex":  # complex step along e_i, central difference along e_j
        k = _coordinate_steps("central", 1, x, h)
        hc = COMPLEX_H * np.maximum(1.0, np.abs(x))
    else:
        k = _coordinate_steps(scheme, 2, x, h)
    out = np.empty((n, n))
    if scheme == "forward":
        f0 = f(x)
        single = np.empty(n)
        for i in range(n):
            single[i] = f(_bump(x, (i, k[i])))
    for i in range(n):
        for j in range(i, n):
            if scheme == "forward":
                fij = f(_bump(x, (i, k[i]), (j, k[j])))
                out[i, j] = (fij - single[i] - single[j] + f0) / (k[i] * k[j])
            elif scheme == "central":
                pp = f(_bump(x, (i, k[i]), (j, k[j])))
                pm = f(_bump(x, (i, k[i]), (j, -k[j])))
                mp = f(_bump(x, (i, -k[i]), (j, k[j])))
                mm = f(_bump(x, (i, -k[i]), (j, -k[j])))
                out[i, j] = (pp - pm - mp + mm) / (4.0 * k[i] * k[j])
            else:
                plus = f(_bump(x, (i, 1j * hc[i]), (j, k[j])))
                minus = f(_bump(x, (i, 1j * hc[i]), (j, -k[j])))
                out[i, j] = np.imag(plus - minus) / (2.0 * hc[i] * k[j])
            out[j, i] = out[i, j]
    return out


def _bump(x: np.ndarray, *moves) -> np.ndarray:
    """Copy of ``x`` with ``x[i] += step`` for each ``(i, step)`` (complex if a step is)."""
    y = x.astype(complex) if any(isinstance(s, complex) for _, s in moves) else x.copy()
    for i, s in moves:
        y[i] += s
    return y


def evaluations(scheme: str, kind: str, n: int = 1) -> int:
    """Evaluations of ``f`` one call of ``kind`` makes with ``scheme``, per result point.

    ``kind`` names a function of this module (``derivative``, ``second_derivative``,
    ``value_and_derivative``, ``value_and_derivatives``: per element, ``f`` elementwise) or a
    vector driver (``gradient``, ``jacobian``, ``hessian``: points of ``R^n``, dimension ``n``).
    A complex evaluation counts as one.
    """
    _check(scheme)
    pairs = n * (n + 1) // 2
    table = {
        "derivative": {"forward": 2, "central": 2, "complex": 1},
        "second_derivative": {"forward": 3, "central": 3, "complex": 2},
        "value_and_derivative": {"forward": 2, "central": 3, "complex": 1},
        "value_and_derivatives": {"forward": 4, "central": 5, "complex": 2},
        "gradient": {"forward": n + 1, "central": 2 * n, "complex": n},
        "jacobian": {"forward": n + 1, "central": 2 * n, "complex": n},
        "hessian": {"forward": pairs + n + 1, "central": 4 * pairs, "complex": 2 * pairs},
    }
    return table[kind][scheme]
