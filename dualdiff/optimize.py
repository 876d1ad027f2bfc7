"""Small optimisers with exact derivatives, and one-line adapters for :mod:`scipy.optimize`.

Solvers (each returns an :class:`OptimizeResult`):

- :func:`gradient_descent` -- fixed step, or Armijo backtracking line search;
- :func:`minimize_newton` -- Newton's method with the exact Hessian, safeguarded for
  indefinite and singular Hessians;
- :func:`newton_1d` -- scalar Newton (or Halley) for roots and minima, using ``f, f', f''``
  from one evaluation.

Function transforms, one per driver: ``driver_of(f, argnums=0, args=(), kwargs=None,
has_aux=False)`` returns ``g(*primals, **kw)`` = ``driver(f, *primals, ...)``, so the call's
own arguments reach ``f`` as scipy passes them (``jac(x, *args)``), and ``argnums`` picks the
differentiated one (``solve_ivp``'s ``jac(t, y)`` needs ``argnums=1``):

- :func:`gradient_of` for ``jac=``, :func:`value_and_gradient_of` for ``jac=True``,
- :func:`hessian_of` for ``hess=``, :func:`hvp_of` for ``hessp=``,
- :func:`jacobian_of` for ``least_squares(jac=)``, ``root(jac=)``, ``solve_ivp(jac=)``,
- :func:`derivative_of`, :func:`second_derivative_of`, :func:`value_and_derivatives_of`,
  :func:`value_gradient_hessian_of`, :func:`jvp_of` complete the set.

scipy is never imported here: it stays an optional dependency.

>>> import numpy as np
>>> from scipy.optimize import minimize
>>> from dualdiff.optimize import gradient_of, hessian_of
>>> def f(x, a):
...     return np.sum((x - a) ** 2) + np.sum(x**4)
>>> res = minimize(f, np.ones(3), args=(0.5,), jac=gradient_of(f), hess=hessian_of(f),
...                method="trust-exact")
>>> bool(res.success), np.round(res.x, 6)
(True, array([0.385458, 0.385458, 0.385458]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

if TYPE_CHECKING:  # annotations only: numpy.typing costs ten milliseconds to import
    from numpy.typing import ArrayLike

from .drivers import (
    derivative,
    gradient,
    hessian,
    hvp,
    jacobian,
    jvp,
    second_derivative,
    value_and_derivatives,
    value_and_gradient,
    value_gradient_hessian,
)

__all__ = [
    "OptimizeResult",
    "gradient_descent",
    "minimize_newton",
    "newton_1d",
    "derivative_of",
    "second_derivative_of",
    "value_and_derivatives_of",
    "gradient_of",
    "value_and_gradient_of",
    "hessian_of",
    "value_gradient_hessian_of",
    "hvp_of",
    "jacobian_of",
    "jvp_of",
]

_EPS = float(np.finfo(float).eps)
_MAX_BACKTRACKS = 60
_NOISE = 1e3 * _EPS  # relative change of f treated as rounding error by line searches

# status codes shared by all solvers (``OptimizeResult.status``)
SUCCESS = 0
MAXITER = 1
LINE_SEARCH_FAILED = 2
NOT_FINITE = 3
BAD_CURVATURE = 4
CALLBACK_STOP = 99


# ------------------------------------------------------------------------------- result


class OptimizeResult(dict):
    """Result of a solver: a ``dict`` whose keys are also attributes, like scipy's.

    Keys
    ----
    x : ndarray or float
        The solution, with the shape of ``x0``.
    fun : float
        ``f(x)``.
    jac : ndarray or float
        ``∇f(x)`` (``f'(x)`` for :func:`newton_1d`).
    hess : ndarray or float
        ``∇²f(x)`` with shape ``x.shape + x.shape`` (Newton solvers only).
    nit : int
        Iterations (accepted steps).
    nfev, njev, nhev : int
        Calls of ``f``: all of them; those that also gave the gradient; those that also gave
        the Hessian. Each driver call counts once (a large problem evaluates ``f`` once per pass
        of directions: :func:`dualdiff.memory_plan`).
    success : bool
        Whether the convergence test was met.
    status : int
        0 converged, 1 ``maxiter`` reached, 2 line search failed, 3 non-finite value or
        derivative, 4 bad curvature (zero derivative, maximum or saddle point),
        99 stopped by ``callback``.
    message : str
        What happened, in words.
    history : OptimizeResult
        Only when ``history=True``: arrays ``x`` (shape ``(nit + 1,) + x.shape``), ``fun`` and
        ``grad_norm`` (``max|∇f|``), one entry per iterate, starting at ``x0``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __dir__(self) -> list[str]:
        return list(self.keys())

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, self))

        def fmt(v: Any) -> str:
            s = np.array2string(v, threshold=10) if isinstance(v, np.ndarray) else repr(v)
            return s.replace("\n", "\n" + " " * (width + 2))

        return "\n".join(f"{k:>{width}}: {fmt(v)}" for k, v in self.items())


# --------------------------------------------------------------------------- internals


def _start(x0: ArrayLike) -> np.ndarray:
    """Validate a starting point and return it as a fresh float64 array."""
    try:
        x = np.asarray(x0)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"x0 must be real: a number or a non-ragged array of numbers; {exc}"
        ) from exc
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x0 must be real: a number or an array of numbers; got dtype {x.dtype}")
    x = x.astype(float)  # always a copy
    bad = ~np.isfinite(x)
    if bad.any():
        where = "" if x.ndim == 0 else f" at index {np.argwhere(bad)[0].tolist()}"
        raise ValueError(f"x0 must be finite; got {x[bad].flat[0]}{where}")
    return x


def _check_c1(c1: float) -> None:
    if not 0 < c1 < 1:
        raise ValueError(f"c1 must be in (0, 1); got {c1!r}")


def _positive(name: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")


def _bind(f: Callable[..., Any], args: tuple, kwargs: dict | None = None) -> Callable:
    if not args and not kwargs:
        return f
    kwargs = kwargs or {}
    return lambda x: f(x, *args, **kwargs)


def _scalar(out: Any, what: str = "f") -> float:
    """``out`` as a float; a clear error if it is not a real scalar."""
    shape = np.shape(out)
    if shape != ():
        raise ValueError(
            f"{what} must return a scalar to be minimised; it returned shape {shape}. "
            "For residuals r(x), minimise 0.5 * np.sum(r(x)**2), or call "
            "scipy.optimize.least_squares(r, x0, jac=dualdiff.jacobian_of(r))."
        )
    if np.iscomplexobj(out):
        raise TypeError(f"{what} must return a real number; got {out!r}")
    return float(out)


class _Objective:
    """``f`` with its ``args`` bound, and the evaluation counters."""

    def __init__(self, f: Callable[..., Any], args: tuple) -> None:
        if not callable(f):
            raise TypeError(f"f must be callable; got {type(f).__name__}")
        self.f = _bind(f, tuple(args))
        self.nfev = self.njev = self.nhev = 0

    def _driver(self, driver: Callable, x: np.ndarray) -> Any:
        self.nfev += 1
        try:
            with np.errstate(all="ignore"):  # overflow and nan are reported by the solver
                return driver(self.f, x)
        except ValueError as exc:
            # the drivers reject a vector-valued f: say so in terms of minimisation
            try:
                with np.errstate(all="ignore"):
                    out = self.f(x)
            except Exception:
                raise exc from None
            if np.shape(out) == ():
                raise
            _scalar(out)  # raises the clearer error
            raise

    def value(self, x: np.ndarray) -> float:
        self.nfev += 1
        with np.errstate(all="ignore"):  # trial points may leave f's domain: nan is handled
            return _scalar(self.f(x))

    def value_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        out = self._driver(value_and_gradient, x)
        self.njev += 1
        return _scalar(out.value), np.asarray(out.gradient, dtype=float)

    def value_grad_hess(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        out = self._driver(value_gradient_hessian, x)
        self.njev += 1
        self.nhev += 1
        g = np.asarray(out.gradient, dtype=float)
        return _scalar(out.value), g, np.asarray(out.hessian, dtype=float)

    def derivatives(self, x: float) -> tuple[float, float, float]:
        out = self._driver(value_and_derivatives, x)
        self.njev += 1
        self.nhev += 1
        return _scalar(out.value), _scalar(out.first, "f'"), _scalar(out.second, "f''")

    def counts(self) -> dict[str, int]:
        return {"nfev": self.nfev, "njev": self.njev, "nhev": self.nhev}


class _History:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.x: list = []
        self.fun: list[float] = []
        self.grad_norm: list[float] = []

    def add(self, x: Any, fun: float, g: Any) -> None:
        if self.enabled:
            self.x.append(np.copy(x))
            self.fun.append(fun)
            self.grad_norm.append(float(np.max(np.abs(g), initial=0.0)))

    def result(self) -> OptimizeResult:
        return OptimizeResult(
            x=np.array(self.x), fun=np.array(self.fun), grad_norm=np.array(self.grad_norm)
        )


def _notify(callback: Callable | None, x: Any, fun: float, g: Any, nit: int) -> bool:
    """Call ``callback``; True when it asked to stop (raised StopIteration)."""
    if callback is None:
        return False
    try:
        callback(OptimizeResult(x=np.copy(x), fun=fun, jac=np.copy(g), nit=nit))
    except StopIteration:
        return True
    return False


def _armijo(
    obj: _Objective,
    x: np.ndarray,
    fx: float,
    p: np.ndarray,
    slope: float,
    t: float,
    shrink: float,
    c1: float,
    curvature: float = 0.0,
) -> tuple[float, float] | None:
    """Backtrack from ``t`` until ``f(x + t p) <= f(x) + c1 (t slope + t²/2 curvature)``.

    ``slope`` is ``∇f(x) · p < 0``. Near a minimum the change in f drops to the level of its
    rounding error, where comparing values accepts or rejects steps at random. Where
    ``|f(x + t p) - f(x)|`` is that small the test is made on the slope instead,
    ``∇f(x + t p) · p <= (1 - 2 c1) |slope|`` (equivalent to the test on values for a
    quadratic; the "approximate Wolfe" condition of Hager & Zhang, 2005). Returns
    ``(t, f(x + t p))``, or None when ``_MAX_BACKTRACKS`` halvings found no step.
    """
    noise = _NOISE * abs(fx)
    for _ in range(_MAX_BACKTRACKS):
        x_new = x + t * p
        f_new = obj.value(x_new)
        if abs(f_new - fx) <= noise:
            _, g_new = obj.value_grad(x_new)
            ok = float(np.vdot(g_new, p)) <= (1.0 - 2.0 * c1) * abs(slope)
        else:
            ok = f_new <= fx + c1 * (t * slope + 0.5 * t * t * curvature)
        if ok:
            return t, f_new
        t *= shrink
    return None


def _finish(
    obj: _Objective,
    hist: _History,
    status: int,
    message: str,
    **fields: Any,
) -> OptimizeResult:
    res = OptimizeResult(**fields)
    for key in ("x", "jac", "hess"):  # 0-d results as Python floats, like the drivers
        if key in res and np.ndim(res[key]) == 0:
            res[key] = float(res[key])
    res.update(obj.counts(), success=status == SUCCESS, status=status, message=message)
    if hist.enabled:
        res.history = hist.result()
    return res


def _max_abs(g: np.ndarray) -> float:
    return float(np.max(np.abs(g), initial=0.0))


def _check_common(gtol: float, maxiter: int, name: str = "gtol") -> None:
    if not (np.isfinite(gtol) and gtol >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {gtol!r}")
    if int(maxiter) != maxiter or maxiter < 0:
        raise ValueError(f"maxiter must be an integer >= 0; got {maxiter!r}")


_CALLBACK_MESSAGE = "Stopped by callback (StopIteration)."


def _converged(gnorm: float, gtol: float) -> str:
    return f"Converged: max|grad f| = {gnorm:.3g} <= gtol = {gtol}."


def _maxiter_message(maxiter: int, gnorm: float | None = None) -> str:
    tail = "" if gnorm is None else f"; max|grad f| = {gnorm:.3g}"
    return f"Maximum number of iterations ({maxiter}) reached{tail}."


def _line_search_message(direction: str, gnorm: float) -> str:
    return (
        f"Line search found no decrease of f along the {direction} direction "
        f"(max|grad f| = {gnorm:.3g}): gtol may be below the precision f allows."
    )


# ---------------------------------------------------------------------- gradient descent


def gradient_descent(
    f: Callable[..., Any],
    x0: ArrayLike,
    *,
    args: tuple = (),
    step: float | None = None,
    gtol: float = 1e-6,
    maxiter: int = 10_000,
    c1: float = 0.25,
    shrink: float = 0.5,
    callback: Callable[[OptimizeResult], None] | None = None,
    history: bool = False,
) -> OptimizeResult:
    r"""Minimise ``f`` by steepest descent, :math:`x_{k+1} = x_k - t_k \nabla f(x_k)`.

    With ``step=None`` each :math:`t_k` comes from Armijo backtracking: start from twice the
    previous step (1 at first) and halve until
    :math:`f(x_k - t\,g_k) \le f(x_k) - c_1 t \|g_k\|^2`. With a float ``step`` every
    :math:`t_k` is that number (for an L-smooth convex f, ``step <= 1/L`` converges).
    Close to the minimum, where f changes by less than its rounding error, the backtracking
    test is made on the slope :math:`-\nabla f(x_k - t g_k) \cdot g_k` instead, so small
    ``gtol`` stay reachable.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``, written with numpy so dual numbers pass through.
    x0 : array_like
        Starting point, any shape; must be finite.
    args : tuple
        Extra arguments for ``f``.
    step : float or None
        Fixed step length, or None for backtracking.
    gtol : float
        Converged when :math:`\max_i |\partial_i f(x)| \le` ``gtol``.
    maxiter : int
        Maximum number of steps.
    c1, shrink : float
        Armijo constant and backtracking factor. ``c1`` is larger than the 1e-4 usual for
        Newton (Boyd & Vandenberghe suggest 0.01 to 0.3): with a small ``c1`` the accepted
        step can settle near twice the best one, and the iterates zig-zag across a valley
        making almost no progress.
    callback : callable, optional
        ``callback(intermediate_result)`` after each step, with keys ``x, fun, jac, nit``;
        raise ``StopIteration`` in it to stop.
    history : bool
        Record every iterate in ``result.history``.

    Returns
    -------
    OptimizeResult
        ``x`` (shape of ``x0``), ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``success``,
        ``status``, ``message`` and optionally ``history``.

    Examples
    --------
    >>> import numpy as np
    >>> res = gradient_descent(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2), step=0.5)
    >>> res.x, res.nit, res.success
    (array([3., 3.]), 1, True)
    """
    _check_common(gtol, maxiter)
    _check_c1(c1)
    if not 0 < shrink < 1:
        raise ValueError(f"shrink must be in (0, 1); got {shrink!r}")
    if step is not None:
        _positive("step", step)
    obj = _Objective(f, args)
    hist = _History(history)
    x = _start(x0)
    fx, g = obj.value_grad(x)
    hist.add(x, fx, g)
    t = 0.5
    nit = 0
    while True:
        gnorm = _max_abs(g)
        if not (np.isfinite(fx) and np.isfinite(gnorm)):
            status = NOT_FINITE
            hint = (
                ": the step is too large; try a smaller step or step=None" if step and nit else ""
            )
            message = f"f or its gradient is not finite at iteration {nit}{hint}."
            break
        if gnorm <= gtol:
            status, message = SUCCESS, _converged(gnorm, gtol)
            break
        if nit >= maxiter:
            status, message = MAXITER, _maxiter_message(maxiter, gnorm)
            break
        if step is None:
            found = _armijo(obj, x, fx, -g, -float(np.vdot(g, g)), 2.0 * t, shrink, c1)
            if found is None:
                status, message = LINE_SEARCH_FAILED, _line_search_message("-grad f", gnorm)
                break
            t = found[0]
        else:
            t = step
        x = x - t * g
        fx, g = obj.value_grad(x)
        nit += 1
        hist.add(x, fx, g)
        if _notify(callback, x, fx, g, nit):
            status, message = CALLBACK_STOP, _CALLBACK_MESSAGE
            break
    return _finish(obj, hist, status, message, x=x, fun=fx, jac=g, nit=nit)


# --------------------------------------------------------------------------------- Newton


class _NewtonModel(NamedTuple):
    p: np.ndarray  # the modified Newton direction, flat
    lam: np.ndarray  # eigenvalues of H, ascending
    Q: np.ndarray  # eigenvectors, columns
    delta: float  # eigenvalues with |λ| <= delta count as zero


def _newton_model(H: np.ndarray, g: np.ndarray) -> _NewtonModel:
    """Newton direction with every eigenvalue of H replaced by ``max(|λ|, δ)``.

    ``p = -Q diag(1 / max(|λ|, δ)) Qᵀ g`` with ``δ = sqrt(eps) max|λ|``: the exact Newton step
    when H is positive definite, and a descent direction always (Nocedal & Wright, §3.4).
    """
    lam, Q = np.linalg.eigh(0.5 * (H + H.T))
    delta = float(np.sqrt(_EPS) * np.max(np.abs(lam), initial=0.0))
    p = -(Q @ ((Q.T @ g) / np.maximum(np.abs(lam), delta if delta > 0 else 1.0)))
    return _NewtonModel(p, lam, Q, delta)


def minimize_newton(
    f: Callable[..., Any],
    x0: ArrayLike,
    *,
    args: tuple = (),
    gtol: float = 1e-8,
    xtol: float = 1e-14,
    maxiter: int = 200,
    c1: float = 1e-4,
    callback: Callable[[OptimizeResult], None] | None = None,
    history: bool = False,
) -> OptimizeResult:
    r"""Minimise ``f`` by Newton's method with the exact Hessian from hyper-dual numbers.

    Step :math:`p_k = -|H_k|^{-1} g_k`, where :math:`|H|` is the Hessian with each eigenvalue
    :math:`\lambda` replaced by :math:`\max(|\lambda|, \delta)`, :math:`\delta = \sqrt{\epsilon}
    \max|\lambda|`: plain Newton where the Hessian is positive definite, still a descent
    direction where it is indefinite or singular. Armijo backtracking from the full step
    (:math:`t = 1`) makes every iteration decrease ``f``. At a point with zero gradient and
    negative curvature (a saddle) the solver steps along the most negative eigenvector
    rather than stopping there.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``, twice differentiable, written with numpy.
    x0 : array_like
        Starting point, any shape (the Hessian is ``x.shape + x.shape``); must be finite.
    args : tuple
        Extra arguments for ``f``.
    gtol : float
        Converged when :math:`\max_i |\partial_i f(x)| \le` ``gtol`` and the Hessian has no
        clearly negative eigenvalue.
    xtol : float
        Also converged when the Hessian is positive definite and the Newton step satisfies
        :math:`\max|p| \le` ``xtol`` :math:`\max(1, \max|x|)` (the step is then taken).
    maxiter : int
        Maximum number of Newton steps.
    c1 : float
        Armijo constant.
    callback : callable, optional
        ``callback(intermediate_result)`` after each step (keys ``x, fun, jac, nit``); raise
        ``StopIteration`` to stop.
    history : bool
        Record every iterate in ``result.history``.

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``jac``, ``hess`` (``x.shape + x.shape``), ``nit``, ``nfev``,
        ``njev``, ``nhev``, ``success``, ``status``, ``message`` and optionally ``history``.

    Examples
    --------
    >>> import numpy as np
    >>> def rosen(x):
    ...     return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    >>> res = minimize_newton(rosen, [-1.2, 1.0])
    >>> res.x, bool(res.success)
    (array([1., 1.]), True)
    """
    _check_common(gtol, maxiter)
    _check_c1(c1)
    if not (np.isfinite(xtol) and xtol >= 0):
        raise ValueError(f"xtol must be a finite number >= 0; got {xtol!r}")
    obj = _Objective(f, args)
    hist = _History(history)
    x = _start(x0)
    n = x.size
    fx, g, H = obj.value_grad_hess(x)
    hist.add(x, fx, g)
    nit = 0
    while True:
        gnorm = _max_abs(g)
        if not (np.isfinite(fx) and np.isfinite(gnorm) and np.all(np.isfinite(H))):
            status = NOT_FINITE
            message = f"f, its gradient or its Hessian is not finite at iteration {nit}."
            break
        g1 = g.reshape(n)
        model = _newton_model(H.reshape(n, n), g1)
        lam_min = float(model.lam[0]) if n else 0.0
        singular = lam_min <= model.delta
        saddle = gnorm <= gtol and lam_min < -model.delta
        if gnorm <= gtol and not saddle:
            status, message = SUCCESS, _converged(gnorm, gtol)
            if singular:
                message += " The Hessian is singular here: the minimiser may not be unique."
            break
        if nit >= maxiter:
            status, message = MAXITER, _maxiter_message(maxiter, gnorm)
            if n and float(np.min(np.abs(model.lam))) <= model.delta:
                message += " The Hessian is singular: f may be unbounded below along a flat line."
            break
        p = model.p
        small_step = not singular and _max_abs(p) <= xtol * max(1.0, _max_abs(x))
        if small_step:
            t = 1.0  # converged: take the last (tiny) Newton step as it is
        elif saddle:
            # zero gradient, negative curvature: leave along the lowest eigenvector
            p = model.Q[:, 0] if np.vdot(model.Q[:, 0], g1) <= 0 else -model.Q[:, 0]
            slope, t0 = float(np.vdot(g1, p)), max(1.0, _max_abs(x))
            found = _armijo(obj, x, fx, p.reshape(x.shape), slope, t0, 0.5, c1, lam_min)
            if found is None:
                status = BAD_CURVATURE
                message = (
                    f"Stopped at a saddle point: the gradient vanishes but the Hessian has "
                    f"eigenvalue {lam_min:.3g} < 0, and no decrease was found along it."
                )
                break
            t = found[0]
        else:
            found = _armijo(obj, x, fx, p.reshape(x.shape), float(np.vdot(g1, p)), 1.0, 0.5, c1)
            if found is None:
                status, message = LINE_SEARCH_FAILED, _line_search_message("Newton", gnorm)
                break
            t = found[0]
        x = x + t * p.reshape(x.shape)
        fx, g, H = obj.value_grad_hess(x)
        nit += 1
        hist.add(x, fx, g)
        if _notify(callback, x, fx, g, nit):
            status, message = CALLBACK_STOP, _CALLBACK_MESSAGE
            break
        if small_step:
            status = SUCCESS
            message = (
                f"Converged: Newton step below xtol = {xtol}; max|grad f| = {_max_abs(g):.3g}."
            )
            break
    return _finish(obj, hist, status, message, x=x, fun=fx, jac=g, hess=H, nit=nit)


# ---------------------------------------------------------------------------- 1-D Newton


def newton_1d(
    f: Callable[..., Any],
    x0: float,
    *,
    mode: Literal["root", "min"] = "root",
    method: Literal["newton", "halley"] = "newton",
    args: tuple = (),
    tol: float = 1e-10,
    maxiter: int = 100,
    c1: float = 1e-4,
    callback: Callable[[OptimizeResult], None] | None = None,
    history: bool = False,
) -> OptimizeResult:
    r"""Scalar Newton iteration for a root or a minimum, with ``f, f', f''`` from one call.

    ``mode="root"`` solves :math:`f(x) = 0` with :math:`x \leftarrow x - f/f'`
    (``method="halley"``: :math:`x \leftarrow x - 2ff' / (2f'^2 - ff'')`, cubic convergence).
    ``mode="min"`` minimises f with :math:`x \leftarrow x - t f'/f''`, Armijo backtracking
    from :math:`t = 1`; where :math:`f'' \le 0` the step goes downhill with length
    :math:`|f'/f''|` (or :math:`\max(1, |x|)` when :math:`f'' = 0`).

    Converged when the Newton correction is at most ``tol * max(1, |x|)``; that last
    correction is applied, so ``x`` is accurate to about ``tol**2`` relative near a simple
    root or a minimum with :math:`f'' > 0`.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float`` for a scalar ``x``, written with numpy.
    x0 : float
        Starting point (finite).
    mode : {"root", "min"}
        Find a root of ``f``, or a local minimum.
    method : {"newton", "halley"}
        Update for ``mode="root"``.
    args : tuple
        Extra arguments for ``f``.
    tol : float
        Relative tolerance on the Newton correction.
    maxiter : int
        Maximum number of steps.
    c1 : float
        Armijo constant (``mode="min"``).
    callback : callable, optional
        ``callback(intermediate_result)`` after each step (keys ``x, fun, jac, nit``); raise
        ``StopIteration`` to stop.
    history : bool
        Record every iterate in ``result.history``.

    Returns
    -------
    OptimizeResult
        ``x`` (float), ``fun`` = f(x), ``jac`` = f'(x), ``hess`` = f''(x), ``nit``,
        ``nfev``, ``success``, ``status``, ``message`` and optionally ``history``.
        A zero derivative in ``"root"`` mode, or a local maximum in ``"min"`` mode, gives
        ``success=False`` with ``status=4``.

    Examples
    --------
    >>> import numpy as np
    >>> newton_1d(lambda x: x**2 - 2.0, 1.0).x
    1.4142135623730951
    >>> res = newton_1d(lambda x: np.exp(x) - 2.0 * x, 0.0, mode="min")   # min at log 2
    >>> res.x, res.nit
    (0.6931471805599453, 6)
    """
    _check_common(tol, maxiter, "tol")
    _check_c1(c1)
    if mode not in ("root", "min"):
        raise ValueError(f"mode must be 'root' or 'min'; got {mode!r}")
    if method not in ("newton", "halley"):
        raise ValueError(f"method must be 'newton' or 'halley'; got {method!r}")
    x_arr = _start(x0)
    if x_arr.ndim != 0:
        raise ValueError(
            f"newton_1d needs a scalar x0; got shape {x_arr.shape}. "
            "For vector x use minimize_newton (minima) or scipy.optimize.root with "
            "jac=dualdiff.jacobian_of(f) (roots)."
        )
    obj = _Objective(f, args)
    hist = _History(history)
    x = float(x_arr)
    f0, f1, f2 = obj.derivatives(x)
    hist.add(x, f0, f1)
    nit = 0
    converged = False
    while True:
        if not (np.isfinite(f0) and np.isfinite(f1) and np.isfinite(f2)):
            status, message = NOT_FINITE, f"f, f' or f'' is not finite at x = {x!r}."
            break
        if converged:
            status, message = SUCCESS, f"Converged: Newton correction <= tol = {tol}."
            break
        if mode == "root":
            if f0 == 0:
                status, message = SUCCESS, "Converged: f(x) == 0."
                break
            if f1 == 0:
                status = BAD_CURVATURE
                message = f"f'(x) = 0 at x = {x!r}: the Newton step is undefined."
                break
            dx = -f0 / f1
            if method == "halley":
                denom = 2.0 * f1 * f1 - f0 * f2
                if denom != 0:
                    dx = -2.0 * f0 * f1 / denom
            t = 1.0
        else:
            if f1 == 0:
                if f2 < 0:
                    status = BAD_CURVATURE
                    message = f"x = {x!r} is a local maximum (f' = 0, f'' = {f2:.3g} < 0)."
                else:
                    status, message = SUCCESS, "Converged: f'(x) == 0."
                break
            if f2 > 0:
                dx = -f1 / f2
            elif f2 < 0:
                dx = f1 / f2  # downhill, with the length of the Newton step
            else:
                dx = -np.sign(f1) * max(1.0, abs(x))
        if nit >= maxiter:
            status, message = MAXITER, _maxiter_message(maxiter)
            break
        if mode == "min":
            if f2 > 0 and abs(dx) <= tol * max(1.0, abs(x)):
                t = 1.0
            else:
                found = _armijo(obj, np.asarray(x), f0, np.asarray(dx), f1 * dx, 1.0, 0.5, c1)
                if found is None:
                    status = LINE_SEARCH_FAILED
                    message = f"Line search found no decrease of f from x = {x!r} (f' = {f1:.3g})."
                    break
                t = found[0]
        step_ok = mode == "root" or f2 > 0
        converged = step_ok and abs(t * dx) <= tol * max(1.0, abs(x))
        x = x + t * dx
        f0, f1, f2 = obj.derivatives(x)
        nit += 1
        hist.add(x, f0, f1)
        if _notify(callback, x, f0, f1, nit):
            status, message = CALLBACK_STOP, _CALLBACK_MESSAGE
            break
    return _finish(obj, hist, status, message, x=x, fun=f0, jac=f1, hess=f2, nit=nit)


# ------------------------------------------------------------------------- scipy adapters


def _name(f: Callable) -> str:
    return getattr(f, "__name__", type(f).__name__)


def _transform(driver: Callable, label: str, f: Callable, doc: str, **options: Any) -> Callable:
    """``g(*call_args, **call_kwargs)`` = ``driver(f, *call_args, **options)``.

    The arguments of a call come first (scipy calls ``jac(x, *args)``), then the ``args``
    and ``kwargs`` given to the transform; keyword arguments of the call override those.
    """
    if not callable(f):
        raise TypeError(f"{label}: f must be callable; got {type(f).__name__}")
    args = tuple(options.pop("args", ()))
    kwargs = dict(options.pop("kwargs", None) or {})

    def g(*call_args: Any, **call_kwargs: Any) -> Any:
        return _array(driver(f, *call_args, args=args, kwargs={**kwargs, **call_kwargs},
                             **options))  # fmt: skip

    g.__name__ = g.__qualname__ = f"{label}({_name(f)})"
    g.__doc__ = doc
    return g


def _array(r: Any) -> Any:
    """0-d float results as 0-d arrays (scipy's callbacks expect arrays); the rest as is."""
    return np.asarray(r) if type(r) is float else r


_OPTIONS_DOC = """
    Parameters
    ----------
    f : callable
        ``f(*primals, *args, **kwargs)``.
    argnums : int or tuple of int, default 0
        Which positional arguments of the call are differentiated (1 for ``solve_ivp``'s
        ``fun(t, y)``); the others are passed through, as scipy passes ``args``.
    args : tuple, default ()
        Extra positional arguments of ``f``, after those of the call.
    kwargs : dict, optional
        Extra keyword arguments of ``f`` (keyword arguments of the call override them).
    has_aux : bool, default False
        ``f`` returns ``(output, aux)``; see :mod:`dualdiff.drivers`.
    chunk_size, executor
        Gradients, Jacobians and Hessians only: directions per pass and where the passes
        run, as for :func:`dualdiff.gradient` (see :ref:`memory-and-chunking`).
"""


def derivative_of(f: Callable[..., Any], argnums=0, *, args=(), kwargs=None, has_aux=False):
    """``d(*primals)`` = f'(x) = J @ 1 for elementwise ``f``, shaped like ``f(x)``.

    The transform of :func:`dualdiff.derivative`.
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> derivative_of(np.sin)(np.array([0.0, np.pi]))
    array([ 1., -1.])
    """
    return _transform(derivative, "derivative_of", f, "f'(x), elementwise.", argnums=argnums,
                      args=args, kwargs=kwargs, has_aux=has_aux)  # fmt: skip


def second_derivative_of(f: Callable[..., Any], argnums=0, *, args=(), kwargs=None, has_aux=False):
    """``d2(*primals)`` = f''(x), elementwise, shaped like ``f(x)``.

    The transform of :func:`dualdiff.second_derivative`.
    {options}
    Examples
    --------
    >>> second_derivative_of(lambda t, a: a * t**3, args=(2.0,))(1.0)
    array(12.)
    """
    return _transform(second_derivative, "second_derivative_of", f, "f''(x), elementwise.",
                      argnums=argnums, args=args, kwargs=kwargs, has_aux=has_aux)  # fmt: skip


def value_and_derivatives_of(
    f: Callable[..., Any], argnums=0, *, args=(), kwargs=None, has_aux=False
):
    """``fun(*primals)`` = ``Derivatives(f, f', f'')`` from one evaluation, shaped like f(x).

    The transform of :func:`dualdiff.value_and_derivatives`.
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> value_and_derivatives_of(np.exp)(0.0)
    Derivatives(value=1.0, first=1.0, second=1.0)
    """
    return _transform(value_and_derivatives, "value_and_derivatives_of", f, "(f, f', f'').",
                      argnums=argnums, args=args, kwargs=kwargs, has_aux=has_aux)  # fmt: skip


def gradient_of(
    f: Callable[..., Any],
    argnums=0,
    *,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    chunk_size=None,
    executor=None,
):
    """``jac(x, *args, **kwargs)`` = ∇f(x, *args, **kwargs), shaped like x: scipy's ``jac=``.

    The transform of :func:`dualdiff.gradient` (``batch_axis`` as there).
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> gradient_of(lambda x, a: a * np.sum(x**2))(np.array([1.0, 2.0]), 3.0)
    array([ 6., 12.])
    >>> gradient_of(lambda x, a: a * np.sum(x**2), args=(3.0,))(np.array([1.0, 2.0]))
    array([ 6., 12.])
    """
    return _transform(gradient, "gradient_of", f, "Gradient of f at x (f's extra arguments "
                      "follow x).", argnums=argnums, args=args, kwargs=kwargs,
                      has_aux=has_aux, batch_axis=batch_axis, chunk_size=chunk_size,
                      executor=executor)  # fmt: skip


def value_and_gradient_of(
    f: Callable[..., Any],
    argnums=0,
    *,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    chunk_size=None,
    executor=None,
):
    """``fun(x, *args, **kwargs)`` = (f, ∇f) from one evaluation: scipy's ``jac=True``.

    The transform of :func:`dualdiff.value_and_gradient`; returns a plain tuple
    ``(value, gradient)``, the value a float.
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> value_and_gradient_of(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    (5.0, array([2., 4.]))
    """

    def driver(f: Callable, *x: Any, **options: Any) -> tuple:
        value, grad = value_and_gradient(f, *x, **options)
        return value, _array(grad)

    return _transform(driver, "value_and_gradient_of", f, "(f(x), gradient of f at x).",
                      argnums=argnums, args=args, kwargs=kwargs, has_aux=has_aux,
                      batch_axis=batch_axis, chunk_size=chunk_size,
                      executor=executor)  # fmt: skip


def hessian_of(
    f: Callable[..., Any],
    argnums=0,
    *,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    chunk_size=None,
    executor=None,
):
    """``hess(x, *args, **kwargs)`` = ∇²f, shape ``x.shape + x.shape``: scipy's ``hess=``.

    The transform of :func:`dualdiff.hessian`.
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> hessian_of(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    return _transform(hessian, "hessian_of", f, "Hessian of f at x (f's extra arguments "
                      "follow x).", argnums=argnums, args=args, kwargs=kwargs,
                      has_aux=has_aux, batch_axis=batch_axis, chunk_size=chunk_size,
                      executor=executor)  # fmt: skip


def value_gradient_hessian_of(
    f: Callable[..., Any],
    argnums=0,
    *,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    chunk_size=None,
    executor=None,
):
    """``fun(x, *args, **kwargs)`` = ``ValueGradientHessian(f, ∇f, ∇²f)`` from one evaluation.

    The transform of :func:`dualdiff.value_gradient_hessian`.
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> value_gradient_hessian_of(lambda x: np.sum(x**3))(np.array([1.0]))
    ValueGradientHessian(value=1.0, gradient=array([3.]), hessian=array([[6.]]))
    """
    return _transform(value_gradient_hessian, "value_gradient_hessian_of", f,
                      "(f, gradient, Hessian) at x.", argnums=argnums, args=args,
                      kwargs=kwargs, has_aux=has_aux, batch_axis=batch_axis, chunk_size=chunk_size,
                      executor=executor)  # fmt: skip


def jacobian_of(
    f: Callable[..., Any],
    argnums=0,
    *,
    args=(),
    kwargs=None,
    has_aux=False,
    batch_axis=None,
    chunk_size=None,
    executor=None,
):
    """``jac(*primals)`` = ∂f/∂primals[argnums], shape ``f(x).shape + x.shape``.

    The transform of :func:`dualdiff.jacobian`: ``least_squares(jac=)``, ``root(jac=)``, and
    ``solve_ivp(fun, ..., jac=jacobian_of(fun, argnums=1))`` (scipy calls ``jac(t, y)``).
    {options}
    Examples
    --------
    >>> import numpy as np
    >>> jacobian_of(lambda x, a: a * x**2)(np.array([1.0, 2.0]), 0.5)
    array([[1., 0.],
           [0., 2.]])
    >>> jacobian_of(lambda t, y: -t * y, argnums=1)(2.0, np.array([1.0, 3.0]))
    array([[-2., -0.],
           [-0., -2.]])
    """
    return _transform(jacobian, "jacobian_of", f, "Jacobian of f at x (f's extra arguments "
                      "follow x).", argnums=argnums, args=args, kwargs=kwargs,
                      has_aux=has_aux, batch_axis=batch_axis, chunk_size=chunk_size,
                      executor=executor)  # fmt: skip


def hvp_of(
    f: Callable[..., Any], *, args=(), kwargs=None, has_aux=False, chunk_size=None, executor=None
):
    """``hessp(x, p, *args, **kwargs)`` = ∇²f(x) @ p, shaped like x: scipy's ``hessp=``.

    The transform of :func:`dualdiff.hvp` (the call's arguments after ``p`` go to ``f``).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``.
    args, kwargs, has_aux
        As for :func:`gradient_of`.

    Examples
    --------
    >>> import numpy as np
    >>> hvp_of(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([4., 2.])
    """
    return _transform(_direction_driver(hvp), "hvp_of", f, "Hessian of f at x times p "
                      "(f's extra arguments follow).", args=args, kwargs=kwargs,
                      has_aux=has_aux, chunk_size=chunk_size, executor=executor)  # fmt: skip


def jvp_of(f: Callable[..., Any], *, args=(), kwargs=None, has_aux=False):
    """``fun(x, v, *args, **kwargs)`` = ``(f(x), J(x) @ v)``, both shaped like ``f(x)``.

    The transform of :func:`dualdiff.jvp` (tuples ``x``, ``v`` are JAX's positional
    arguments; the call's arguments after ``v`` go to ``f``).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``.
    args, kwargs, has_aux
        As for :func:`gradient_of`.

    Examples
    --------
    >>> import numpy as np
    >>> jvp_of(lambda x, a: a * x**2)(np.array([1.0, 2.0]), np.array([1.0, 0.0]), 3.0)
    (array([ 3., 12.]), array([6., 0.]))
    """
    return _transform(_direction_driver(jvp), "jvp_of", f, "(f(x), J(x) @ v).", args=args,
                      kwargs=kwargs, has_aux=has_aux)  # fmt: skip


def _direction_driver(driver: Callable) -> Callable:
    """``driver(f, x, v, *more, args=...)``: the call's arguments after ``v`` go before args."""

    def call(f: Callable, x: Any, v: Any, *more: Any, args: tuple = (), **options: Any) -> Any:
        return driver(f, x, v, args=(*more, *args), **options)

    return call


for _fn in (derivative_of, second_derivative_of, value_and_derivatives_of, gradient_of,
            value_and_gradient_of, hessian_of, value_gradient_hessian_of, jacobian_of):  # fmt: skip
    _fn.__doc__ = _fn.__doc__.replace("{options}", _OPTIONS_DOC)
