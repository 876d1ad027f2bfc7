"""Problem catalogue: test functions with independently known derivatives.

One catalogue serves the test suite and the benchmark runner (``python -m benchmarks``), the
way DiffTests.jl serves ForwardDiff.jl. Every function ``f`` is plain numpy code, so it accepts
floats, float64 arrays, complex numbers (for the complex-step method) and dualdiff numbers
alike. The references never use dualdiff: they are hand-derived formulas, mpmath at 50
significant digits, or scipy's ``rosen_der``/``rosen_hess``. scipy and mpmath are imported only
inside the reference functions that need them, and are optional: without mpmath the scalar
references are the hand-derived formulas (the tests check both agree), without scipy the
Rosenbrock references are its formulas written out.

Three kinds of problem:

- :class:`ScalarProblem`: ``f: R -> R`` (applied elementwise to arrays), references for
  ``f, f', f''``.
- :class:`GradientProblem`: ``f: R^n -> R``, references for the gradient and the Hessian.
- :class:`JacobianProblem`: ``F: R^n -> R^n``, reference for the Jacobian.

Examples
--------
>>> from dualdiff import testing
>>> p = testing.get("exp")
>>> p.reference(p.x0)[1] == p.reference(p.x0)[0]
True
>>> sorted(testing.PROBLEMS) == sorted(p.name for p in testing.all_problems())
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GRADIENT_PROBLEMS",
    "JACOBIAN_PROBLEMS",
    "PROBLEMS",
    "SCALAR_PROBLEMS",
    "GradientProblem",
    "JacobianProblem",
    "ScalarProblem",
    "all_problems",
    "bench_f",
    "bench_f_derivatives",
    "get",
    "mp_derivatives",
    "relative_error",
    "rosenbrock",
    "sin_cumsum",
]

MP_DIGITS = 50
"""Working precision (significant decimal digits) of the mpmath references."""


# ------------------------------------------------------------------------------------ helpers


def relative_error(approx, exact) -> float:
    """Normwise relative error ``max|approx - exact| / max|exact|`` (infinity norm).

    Elementwise relative error is meaningless where a derivative crosses zero; the normwise
    error is what a gradient or Jacobian consumer sees. ``inf`` if ``approx`` is not finite.

    >>> relative_error([1.0, 2.5], [1.0, 2.0])
    0.25
    """
    a = np.asarray(approx, dtype=float)
    r = np.asarray(exact, dtype=float)
    if a.shape != r.shape:
        raise ValueError(f"shape mismatch: approx {a.shape} vs exact {r.shape}")
    if not np.all(np.isfinite(a)):
        return float("inf")
    scale = float(np.max(np.abs(r))) if r.size else 0.0
    err = float(np.max(np.abs(a - r))) if r.size else 0.0
    return err / scale if scale > 0.0 else err


def mp_derivatives(mp_f: Callable, x: float, digits: int = MP_DIGITS) -> tuple[float, ...]:
    """``(f, f', f'')`` of the mpmath-written ``mp_f(mp, x)`` at the double ``x``.

    ``mp_f`` receives the mpmath module and an ``mpf``; it is differentiated by
    :func:`mpmath.diffs` at ``digits`` significant digits and rounded to float.
    """
    import mpmath

    with mpmath.workdps(digits):
        xm = mpmath.mpf(float(x))  # the exact binary value of x
        return tuple(float(d) for d in mpmath.diffs(lambda t: mp_f(mpmath, t), xm, 2))


def _have_mpmath() -> bool:
    import importlib.util

    return importlib.util.find_spec("mpmath") is not None


# ----------------------------------------------------------------------------- problem types


@dataclass(frozen=True)
class ScalarProblem:
    """``f: R -> R`` with reference ``f, f', f''``.

    Attributes
    ----------
    name : str
        Catalogue key.
    f : callable
        numpy-written ``f(x)``; elementwise on arrays, works on complex and dual numbers.
    x0 : float
        Point where the accuracy suite evaluates.
    mp_f : callable or None
        The same function written with mpmath, ``mp_f(mp, x)``, for 50-digit references.
    exact : callable or None
        Hand-derived ``exact(x) -> (f, f', f'')``, vectorised over float64 arrays.
    note : str
        What the problem exercises.
    """

    name: str
    f: Callable
    x0: float
    mp_f: Callable | None = None
    exact: Callable | None = None
    note: str = ""

    kind = "scalar"

    def reference(self, x=None) -> tuple:
        """``(f, f', f'')`` at ``x`` (default ``x0``); each the shape of ``x``.

        Scalars use mpmath when it is installed and ``mp_f`` is given; arrays (and scalars
        without mpmath) use ``exact`` when given, mpmath elementwise otherwise (slow).
        """
        x = self.x0 if x is None else x
        if np.ndim(x) == 0 and self.mp_f is not None and _have_mpmath():
            return mp_derivatives(self.mp_f, float(x))
        if self.exact is not None:
            return tuple(np.asarray(d, dtype=float) for d in self.exact(np.asarray(x, float)))
        flat = [mp_derivatives(self.mp_f, t) for t in np.ravel(x)]
        return tuple(np.reshape([d[k] for d in flat], np.shape(x)) for k in range(3))


@dataclass(frozen=True)
class GradientProblem:
    """``f: R^n -> R`` with reference gradient ``(n,)`` and Hessian ``(n, n)``.

    ``make_x(n)`` builds the (deterministic) evaluation point of size ``n``; the accuracy
    suite uses ``n = n_accuracy``.
    """

    name: str
    f: Callable
    make_x: Callable[[int], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray]
    n_accuracy: int = 10
    note: str = ""

    kind = "gradient"


@dataclass(frozen=True)
class JacobianProblem:
    """``F: R^n -> R^n`` with reference Jacobian ``(n, n)`` (``J[i, j] = dF_i / dx_j``)."""

    name: str
    f: Callable
    make_x: Callable[[int], np.ndarray]
    jacobian: Callable[[np.ndarray], np.ndarray]
    n_accuracy: int = 10
    note: str = ""

    kind = "jacobian"


# --------------------------------------------------------------- the benchmark function (W1, W2)


def bench_f(x):
    """``f(x) = exp(sin x) / (1 + x^2) + sqrt(x) log1p(x)``, the W1/W2 benchmark function."""
    return np.exp(np.sin(x)) / (1 + x**2) + np.sqrt(x) * np.log1p(x)


def bench_f_derivatives(x):
    """Hand-derived ``(f, f', f'')`` of :func:`bench_f`, vectorised, for ``x > 0``.

    With ``E = exp(sin x)``, ``q = 1/(1+x^2)``, ``r = sqrt x``, ``L = log1p x``:
    ``f = E q + r L``, ``E' = E cos x``, ``E'' = E (cos^2 x - sin x)``,
    ``q' = -2x q^2``, ``q'' = (6x^2 - 2) q^3``, ``r' = 1/(2r)``, ``r'' = -1/(4 x r)``,
    ``L' = 1/(1+x)``, ``L'' = -L'^2``.
    """
    s, c = np.sin(x), np.cos(x)
    e = np.exp(s)
    e1, e2 = e * c, e * (c * c - s)
    q = 1.0 / (1.0 + x * x)
    q1, q2 = -2.0 * x * q * q, (6.0 * x * x - 2.0) * q**3
    r = np.sqrt(x)
    r1, r2 = 0.5 / r, -0.25 / (x * r)
    lg = np.log1p(x)
    l1 = 1.0 / (1.0 + x)
    l2 = -l1 * l1
    f0 = e * q + r * lg
    f1 = e1 * q + e * q1 + r1 * lg + r * l1
    f2 = e2 * q + 2.0 * e1 * q1 + e * q2 + r2 * lg + 2.0 * r1 * l1 + r * l2
    return f0, f1, f2


def _mp_bench_f(mp, x):
    return mp.exp(mp.sin(x)) / (1 + x**2) + mp.sqrt(x) * mp.log1p(x)


# ----------------------------------------------------------------------------- scalar problems


def _exp_exact(x):
    e = np.exp(x)
    return e, e, e


def _runge(x):
    return 1.0 / (1.0 + 25.0 * x**2)


def _runge_exact(x):
    q = 1.0 / (1.0 + 25.0 * x * x)
    return q, -50.0 * x * q * q, (3750.0 * x * x - 50.0) * q**3


def _tanh_exact(x):
    t = np.tanh(x)
    s2 = 1.0 / np.cosh(x) ** 2
    return t, s2, -2.0 * t * s2


def _power_xx_exact(x):
    f = x**x
    g = np.log(x) + 1.0
    return f, f * g, f * (g * g + 1.0 / x)


def _arctan_log_exact(x):
    u = np.log(x)
    q = 1.0 / (1.0 + u * u)
    return np.arctan(u), q / x, -(q + 2.0 * u * q * q) / (x * x)


def _sqrt_cos_exact(x):
    w = 2.0 + np.cos(3.0 * x)
    w1, w2 = -3.0 * np.sin(3.0 * x), -9.0 * np.cos(3.0 * x)
    r = np.sqrt(w)
    return r, w1 / (2.0 * r), w2 / (2.0 * r) - w1 * w1 / (4.0 * w * r)


def _poly(x):
    return 3.0 * x**4 - 2.0 * x**3 + x - 5.0


def _poly_exact(x):
    return 3.0 * x**4 - 2.0 * x**3 + x - 5.0, 12.0 * x**3 - 6.0 * x**2 + 1.0, 36.0 * x**2 - 12 * x


SCALAR_PROBLEMS: tuple[ScalarProblem, ...] = (
    ScalarProblem(
        "bench_f",
        bench_f,
        0.7,
        mp_f=_mp_bench_f,
        exact=bench_f_derivatives,
        note="exp(sin x)/(1+x^2) + sqrt(x) log1p(x), the W1/W2 workload",
    ),
    ScalarProblem(
        "exp",
        np.exp,
        1.0,
        mp_f=lambda mp, x: mp.exp(x),
        exact=_exp_exact,
        note="f = f' = f''",
    ),
    ScalarProblem(
        "runge",
        _runge,
        0.3,
        mp_f=lambda mp, x: 1 / (1 + 25 * x**2),
        exact=_runge_exact,
        note="1/(1+25x^2): quotient rule",
    ),
    ScalarProblem(
        "tanh",
        np.tanh,
        2.0,
        mp_f=lambda mp, x: mp.tanh(x),
        exact=_tanh_exact,
        note="tanh at x=2: small f' and f''",
    ),
    ScalarProblem(
        "polynomial",
        _poly,
        1.3,
        mp_f=lambda mp, x: 3 * x**4 - 2 * x**3 + x - 5,
        exact=_poly_exact,
        note="3x^4 - 2x^3 + x - 5: integer powers",
    ),
    ScalarProblem(
        "power_xx",
        lambda x: np.power(x, x),
        1.5,
        mp_f=lambda mp, x: mp.power(x, x),
        exact=_power_xx_exact,
        note="x^x: power with a variable exponent",
    ),
    ScalarProblem(
        "arctan_log",
        lambda x: np.arctan(np.log(x)),
        2.0,
        mp_f=lambda mp, x: mp.atan(mp.log(x)),
        exact=_arctan_log_exact,
        note="arctan(log x): nested transcendental functions",
    ),
    ScalarProblem(
        "sqrt_cos",
        lambda x: np.sqrt(2.0 + np.cos(3.0 * x)),
        0.5,
        mp_f=lambda mp, x: mp.sqrt(2 + mp.cos(3 * x)),
        exact=_sqrt_cos_exact,
        note="sqrt(2 + cos 3x): chain rule through a scaled argument",
    ),
)


# ---------------------------------------------------------------------------- vector problems


def _random_x(n: int, low: float, high: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, n)


def rosenbrock(x):
    """``sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)``, the formula of scipy.optimize.rosen.

    Written out because :func:`scipy.optimize.rosen` converts its argument with
    ``asarray``, which a dual number refuses.
    """
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _rosen_der(x):
    """``scipy.optimize.rosen_der``; the same formula written out when scipy is absent."""
    try:
        from scipy.optimize import rosen_der
    except ImportError:
        g = np.zeros_like(x)
        t = x[1:] - x[:-1] ** 2
        g[:-1] = -400.0 * x[:-1] * t - 2.0 * (1.0 - x[:-1])
        g[1:] += 200.0 * t
        return g
    return rosen_der(x)


def _rosen_hess(x):
    """``scipy.optimize.rosen_hess``; the same tridiagonal matrix written out without scipy."""
    try:
        from scipy.optimize import rosen_hess
    except ImportError:
        d = np.zeros_like(x)
        d[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
        d[1:] += 200.0
        off = -400.0 * x[:-1]
        return np.diag(d) + np.diag(off, 1) + np.diag(off, -1)
    return rosen_hess(x)


def _logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def _softmax_vector(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def _logsumexp_hess(x):
    p = _softmax_vector(x)
    return np.diag(p) - np.outer(p, p)


def _softmax(x):
    e = np.exp(x)
    return e / np.sum(e)


def sin_cumsum(x):
    """``F(x) = sin(x) * cumsum(x) + x^2``, the W5 workload."""
    return np.sin(x) * np.cumsum(x) + x**2


def _sin_cumsum_jacobian(x):
    # F_i = sin(x_i) c_i + x_i^2 with c_i = sum_{j<=i} x_j:
    # dF_i/dx_j = sin(x_i) [j <= i] + (cos(x_i) c_i + 2 x_i) [j == i]
    n = x.shape[0]
    jac = np.sin(x)[:, None] * np.tri(n)
    jac[np.diag_indices(n)] += np.cos(x) * np.cumsum(x) + 2.0 * x
    return jac


GRADIENT_PROBLEMS: tuple[GradientProblem, ...] = (
    GradientProblem(
        "rosenbrock",
        rosenbrock,
        lambda n: _random_x(n, -1.5, 1.5),
        _rosen_der,
        _rosen_hess,
        note="scipy.optimize.rosen; references rosen_der and rosen_hess (W3, W4)",
    ),
    GradientProblem(
        "logsumexp",
        _logsumexp,
        lambda n: _random_x(n, -2.0, 2.0, seed=1),
        _softmax_vector,
        _logsumexp_hess,
        note="log(sum(exp x)); gradient softmax(x), Hessian diag(p) - p p^T",
    ),
)

JACOBIAN_PROBLEMS: tuple[JacobianProblem, ...] = (
    JacobianProblem(
        "sin_cumsum",
        sin_cumsum,
        lambda n: _random_x(n, -1.0, 1.0, seed=2),
        _sin_cumsum_jacobian,
        note="sin(x) cumsum(x) + x^2, hand-derived Jacobian (W5)",
    ),
    JacobianProblem(
        "softmax",
        _softmax,
        lambda n: _random_x(n, -2.0, 2.0, seed=3),
        _logsumexp_hess,
        note="exp(x)/sum(exp x); Jacobian diag(p) - p p^T",
    ),
)

PROBLEMS: dict = {p.name: p for p in (*SCALAR_PROBLEMS, *GRADIENT_PROBLEMS, *JACOBIAN_PROBLEMS)}
"""Every problem by name."""


def all_problems() -> tuple:
    """Every problem: scalar, then gradient, then Jacobian problems."""
    return (*SCALAR_PROBLEMS, *GRADIENT_PROBLEMS, *JACOBIAN_PROBLEMS)


def get(name: str):
    """The problem called ``name``; ``KeyError`` listing the known names otherwise."""
    try:
        return PROBLEMS[name]
    except KeyError:
        raise KeyError(f"no problem {name!r}; known: {', '.join(PROBLEMS)}") from None
