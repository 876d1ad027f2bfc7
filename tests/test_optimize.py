"""Tests for dualdiff.optimize.

Every reference is independent of dualdiff: closed-form least squares (np.linalg.lstsq),
scipy.optimize with hand-written derivatives (scipy's own rosen_der / rosen_hess /
rosen_hess_prod), closed-form optima and scipy's bracketing root finder.
"""

from __future__ import annotations

import doctest
import math
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dualdiff.optimize import (
    OptimizeResult,
    gradient_descent,
    gradient_of,
    hessian_of,
    hvp_of,
    jacobian_of,
    minimize_newton,
    newton_1d,
    value_and_gradient_of,
)

scipy_optimize = pytest.importorskip("scipy.optimize")
from scipy.special import expit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EPS = np.finfo(float).eps

# ----------------------------------------------------------------------------- problems


def rosen(x):
    """Rosenbrock, the same expression as scipy.optimize.rosen (so values agree bitwise)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def rosen_start(n):
    """scipy's tutorial start (1.3, 0.7, 0.8, 1.9, 1.2), repeated to length n."""
    return np.resize([1.3, 0.7, 0.8, 1.9, 1.2], n)


def make_linear(seed=0, m=200):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.standard_normal((m, 3))])
    y = X @ np.array([0.5, -1.0, 2.0, 0.3]) + 0.1 * rng.standard_normal(m)
    return X, y


def linear_loss(w, X, y):
    r = X @ w - y
    return 0.5 * np.sum(r * r) / len(y)


def make_logistic(seed=1, m=400):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.standard_normal((m, 3))])
    p = expit(X @ np.array([0.3, -1.0, 2.0, 0.5]))
    y = (rng.random(m) < p).astype(float)
    return X, y


def logistic_loss(w, X, y):
    """Mean negative log-likelihood, log(1 + e^z) - y z, written for duals and floats alike."""
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) / len(y)


def logistic_grad(w, X, y):
    return X.T @ (expit(X @ w) - y) / len(y)


def logistic_hess(w, X, y):
    s = expit(X @ w)
    return (X.T * (s * (1.0 - s))) @ X / len(y)


# --------------------------------------------------------------------- gradient descent


def test_gradient_descent_backtracking_matches_lstsq():
    X, y = make_linear()
    w_ref = np.linalg.lstsq(X, y, rcond=None)[0]
    res = gradient_descent(linear_loss, np.zeros(4), args=(X, y), gtol=1e-10)
    assert res.success, res.message
    assert res.status == 0
    np.testing.assert_allclose(res.x, w_ref, rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.fun, linear_loss(w_ref, X, y), rtol=1e-12)
    assert np.max(np.abs(res.jac)) <= 1e-10
    assert res.njev >= res.nit + 1  # one per step, plus any taken by the line search
    assert res.nfev >= res.njev


def test_gradient_descent_fixed_step_matches_lstsq():
    X, y = make_linear()
    w_ref = np.linalg.lstsq(X, y, rcond=None)[0]
    lipschitz = np.linalg.eigvalsh(X.T @ X / len(y))[-1]
    res = gradient_descent(linear_loss, np.zeros(4), args=(X, y), step=1.0 / lipschitz, gtol=1e-10)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, w_ref, rtol=0, atol=1e-8)
    assert res.nfev == res.njev == res.nit + 1  # no line search: one evaluation per step


def test_gradient_descent_too_large_step_reports_divergence():
    X, y = make_linear()
    lipschitz = np.linalg.eigvalsh(X.T @ X / len(y))[-1]
    res = gradient_descent(linear_loss, np.zeros(4), args=(X, y), step=3.0 / lipschitz)
    assert not res.success
    assert res.status == 3
    assert "step" in res.message


def test_gradient_descent_maxiter():
    res = gradient_descent(rosen, [-1.2, 1.0], maxiter=5)
    assert not res.success
    assert res.status == 1
    assert res.nit == 5
    assert "Maximum number of iterations (5)" in res.message


# ---------------------------------------------------------------------- Newton (n-D)


def scipy_logistic(method, **options):
    X, y = make_logistic()
    return scipy_optimize.minimize(
        logistic_loss,
        np.zeros(4),
        args=(X, y),
        jac=logistic_grad,
        hess=logistic_hess,
        method=method,
        options=options,
    )


def test_newton_logistic_regression_matches_scipy():
    X, y = make_logistic()
    res = minimize_newton(logistic_loss, np.zeros(4), args=(X, y))
    assert res.success, res.message
    ref = scipy_logistic("trust-exact", gtol=1e-10)
    assert ref.success
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-14)
    # the optimum's gradient and Hessian, computed independently
    assert np.max(np.abs(logistic_grad(res.x, X, y))) <= 1e-8
    np.testing.assert_allclose(res.hess, logistic_hess(res.x, X, y), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("gtol", [1e-4, 1e-6, 1e-8])
@pytest.mark.parametrize("method", ["trust-exact", "trust-ncg"])
def test_newton_logistic_regression_iterations_vs_scipy(gtol, method):
    X, y = make_logistic()
    res = minimize_newton(logistic_loss, np.zeros(4), args=(X, y), gtol=gtol)
    ref = scipy_logistic(method, gtol=gtol)  # scipy's test is on the 2-norm, ours on the max norm
    assert res.success and ref.success
    assert res.nit <= ref.nit


def test_newton_logistic_regression_iterations_vs_scipy_newton_cg_defaults():
    X, y = make_logistic()
    res = minimize_newton(logistic_loss, np.zeros(4), args=(X, y))
    ref = scipy_logistic("Newton-CG")
    assert res.nit <= ref.nit
    # and ours is the more accurate of the two
    assert np.max(np.abs(logistic_grad(res.x, X, y))) < np.max(np.abs(ref.jac))


@pytest.mark.parametrize(
    "x0",
    [[-1.2, 1.0], rosen_start(2), rosen_start(10), np.zeros(10)],
    ids=["classic", "2", "10", "0"],
)
def test_newton_rosenbrock(x0):
    n = len(x0)
    res = minimize_newton(rosen, x0)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(n), rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.jac, scipy_optimize.rosen_der(res.x), atol=1e-9)
    np.testing.assert_allclose(res.hess, scipy_optimize.rosen_hess(res.x), rtol=1e-12)
    assert res.nit <= 40


def test_newton_needs_far_fewer_iterations_than_gradient_descent_on_rosenbrock():
    x0 = np.array([-1.2, 1.0])
    newton = minimize_newton(rosen, x0, gtol=1e-6)
    gd = gradient_descent(rosen, x0, gtol=1e-6, maxiter=1000)
    assert newton.success and newton.nit < 40
    # gradient descent crawls along the valley: not done after 25x as many steps
    assert not gd.success and gd.status == 1
    assert np.linalg.norm(gd.x - 1.0) > np.linalg.norm(newton.x - 1.0)


def test_newton_keeps_the_shape_of_x0():
    target = np.arange(6.0).reshape(2, 3)
    res = minimize_newton(lambda w: np.sum((w - target) ** 2) + np.sum(w**4), np.zeros((2, 3)))
    assert res.success
    assert res.x.shape == (2, 3)
    assert res.jac.shape == (2, 3)
    assert res.hess.shape == (2, 3, 2, 3)
    # each entry solves 2 (w - t) + 4 w^3 = 0 independently
    np.testing.assert_allclose(2 * (res.x - target) + 4 * res.x**3, 0, atol=1e-9)


def test_scalar_x0_gives_floats():
    for solve in (gradient_descent, minimize_newton):
        res = solve(lambda x: (x - 2.0) ** 2 + x**4, 0.0)
        assert res.success
        assert isinstance(res.x, float) and isinstance(res.jac, float)
        assert abs(2 * (res.x - 2.0) + 4 * res.x**3) <= 1e-6


def test_newton_indefinite_hessian_still_descends():
    # f = x^4/4 - x^2/2 + y^2: Hessian indefinite for |x| < 1/sqrt(3); minima at x = +-1
    def f(z):
        return z[0] ** 4 / 4 - z[0] ** 2 / 2 + z[1] ** 2

    res = minimize_newton(f, [0.2, 1.0], history=True)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [1.0, 0.0], atol=1e-10)
    assert np.all(np.diff(res.history.fun) <= 4 * EPS)  # monotone: never moved uphill


def test_newton_escapes_a_saddle_start():
    def f(z):
        return z[0] ** 2 - z[1] ** 2 + z[1] ** 4 / 4

    res = minimize_newton(f, [0.0, 0.0])
    assert res.success, res.message
    np.testing.assert_allclose(np.abs(res.x), [0.0, math.sqrt(2.0)], atol=1e-10)
    np.testing.assert_allclose(res.fun, -1.0, atol=1e-14)


def test_newton_singular_hessian_with_attained_minimum():
    res = minimize_newton(lambda z: (z[0] + z[1]) ** 2, [1.0, 2.0])
    assert res.success
    assert abs(res.x[0] + res.x[1]) <= 1e-10
    assert "singular" in res.message


def test_newton_singular_hessian_unbounded_reports_failure():
    res = minimize_newton(lambda z: z[0] ** 2 + z[1], [1.0, 2.0], maxiter=20)
    assert not res.success
    assert res.status == 1
    assert "singular" in res.message


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6))
@example(seed=0, n=3)  # backtracking accepted steps at random once f changed below rounding
@example(seed=13513, n=2)  # with c1=1e-4 the doubled step zig-zagged: 10^4 steps, no progress
def test_convex_quadratic_against_linear_solve(seed, n):
    # f = x.A.x / 2 + b.x with A symmetric positive definite: x* = solve(A, -b)
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.standard_normal(n)
    x_ref = np.linalg.solve(A, -b)

    def f(x):
        return 0.5 * (x @ (A @ x)) + b @ x

    newton = minimize_newton(f, np.zeros(n))
    assert newton.success and newton.nit == 1  # one exact Newton step
    np.testing.assert_allclose(newton.x, x_ref, rtol=1e-10, atol=1e-12)
    step = 1.0 / np.linalg.eigvalsh(A)[-1]
    for kw in ({}, {"step": step}):
        res = gradient_descent(f, np.zeros(n), gtol=1e-11, **kw)
        assert res.success, res.message
        np.testing.assert_allclose(res.x, x_ref, rtol=0, atol=1e-10)


# ------------------------------------------------------------------------- Newton 1-D


def dottie(x):
    return np.cos(x) - x


def wallis(x):
    return x**3 - 2.0 * x - 5.0


@pytest.mark.parametrize("method", ["newton", "halley"])
@pytest.mark.parametrize(("f", "x0", "bracket"), [(dottie, 1.0, (0, 1)), (wallis, 2.0, (2, 3))])
def test_newton_1d_root_matches_brentq(f, x0, bracket, method):
    ref = scipy_optimize.brentq(f, *bracket, xtol=1e-15, rtol=4 * EPS)
    res = newton_1d(f, x0, method=method)
    assert res.success, res.message
    assert abs(res.x - ref) <= 4 * EPS * abs(ref)
    assert abs(res.fun) <= 1e-14
    assert isinstance(res.x, float)


def test_halley_takes_no_more_steps_than_newton():
    for f, x0 in [(dottie, 1.0), (wallis, 2.0)]:
        assert newton_1d(f, x0, method="halley").nit <= newton_1d(f, x0).nit


def test_newton_1d_root_args():
    res = newton_1d(lambda x, a: x**2 - a, 1.0, args=(3.0,))
    assert abs(res.x - math.sqrt(3.0)) <= 2 * EPS * math.sqrt(3.0)


def test_newton_1d_min_closed_form():
    res = newton_1d(lambda x: np.exp(x) - 2.0 * x, 0.0, mode="min")
    assert res.success
    assert abs(res.x - math.log(2.0)) <= 4 * EPS
    assert res.hess > 0


def test_newton_1d_min_from_negative_curvature():
    # f = x^4 - 3x^3 + 2: f'' < 0 on (0, 1.5); minimum at 9/4
    res = newton_1d(lambda x: x**4 - 3.0 * x**3 + 2.0, 1.0, mode="min", history=True)
    assert res.success, res.message
    assert abs(res.x - 2.25) <= 4 * EPS * 2.25
    assert np.all(np.diff(res.history.fun) <= 0)


def test_newton_1d_zero_derivative_root_fails_cleanly():
    res = newton_1d(lambda x: x**2 + 1.0, 0.0)
    assert not res.success
    assert res.status == 4
    assert "f'(x) = 0" in res.message


def test_newton_1d_local_maximum_fails_cleanly():
    res = newton_1d(lambda x: -(x**2), 0.0, mode="min")
    assert not res.success
    assert res.status == 4
    assert "maximum" in res.message


def test_newton_1d_rejects_vector_x0():
    with pytest.raises(ValueError, match="scalar x0"):
        newton_1d(lambda x: x**2, [1.0, 2.0])


# ------------------------------------------------------------------------- bad input


SOLVERS = [
    pytest.param(lambda f, x0: gradient_descent(f, x0), id="gradient_descent"),
    pytest.param(lambda f, x0: minimize_newton(f, x0), id="minimize_newton"),
]


@pytest.mark.parametrize("solve", SOLVERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_start_is_a_clear_error(solve, bad):
    with pytest.raises(ValueError, match="x0 must be finite"):
        solve(lambda x: np.sum(x**2), [1.0, bad])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_newton_1d_non_finite_start(bad):
    with pytest.raises(ValueError, match="x0 must be finite"):
        newton_1d(lambda x: x**2, bad)


@pytest.mark.parametrize("solve", SOLVERS)
def test_non_scalar_objective_is_a_clear_error(solve):
    with pytest.raises(ValueError, match="must return a scalar.*least_squares"):
        solve(lambda x: x**2, [1.0, 2.0])


@pytest.mark.parametrize("solve", SOLVERS)
@pytest.mark.parametrize("x0", [["a", "b"], [1 + 2j, 0.0], [[1.0], [2.0, 3.0]]])
def test_non_numeric_start_is_a_clear_error(solve, x0):
    with pytest.raises(TypeError, match="x0 must be real"):
        solve(lambda x: np.sum(x**2), x0)


@pytest.mark.parametrize("solve", SOLVERS)
def test_non_finite_objective_gives_a_failed_result(solve):
    res = solve(lambda x: np.sum(np.log(x)), [-1.0, 2.0])
    assert not res.success
    assert res.status == 3
    assert "not finite" in res.message


def test_newton_1d_non_finite_objective_gives_a_failed_result():
    res = newton_1d(np.log, -1.0)
    assert not res.success
    assert res.status == 3


def test_errors_raised_by_f_itself_are_not_masked():
    def f(x):
        raise ValueError("my model rejects this input")

    for solve in (gradient_descent, minimize_newton, newton_1d):
        with pytest.raises(ValueError, match="my model rejects"):
            solve(f, 1.0)


def test_invalid_options():
    with pytest.raises(ValueError, match="step"):
        gradient_descent(rosen, [0.0, 0.0], step=-1.0)
    with pytest.raises(ValueError, match="gtol"):
        minimize_newton(rosen, [0.0, 0.0], gtol=-1.0)
    with pytest.raises(ValueError, match="maxiter"):
        minimize_newton(rosen, [0.0, 0.0], maxiter=1.5)
    with pytest.raises(ValueError, match="mode"):
        newton_1d(np.sin, 1.0, mode="max")
    with pytest.raises(TypeError, match="callable"):
        minimize_newton("rosen", [0.0, 0.0])


# -------------------------------------------------------------- callback, history, result


@pytest.mark.parametrize(
    "solve",
    [
        lambda **kw: gradient_descent(rosen, [-1.2, 1.0], maxiter=50, **kw),
        lambda **kw: minimize_newton(rosen, [-1.2, 1.0], **kw),
        lambda **kw: newton_1d(np.cos, 1.0, **kw),
    ],
    ids=["gradient_descent", "minimize_newton", "newton_1d"],
)
def test_callback_and_history(solve):
    seen = []
    res = solve(callback=lambda r: seen.append(r), history=True)
    assert [r.nit for r in seen] == list(range(1, res.nit + 1))
    assert set(seen[-1]) == {"x", "fun", "jac", "nit"}
    np.testing.assert_array_equal(seen[-1].x, res.x)
    assert len(res.history.fun) == len(res.history.grad_norm) == res.nit + 1
    assert res.history.fun[-1] == res.fun

    def stop(r):
        if r.nit == 2:
            raise StopIteration

    res = solve(callback=stop)
    assert res.nit == 2
    assert res.status == 99
    assert not res.success


def test_optimize_result_behaves_like_scipys():
    res = minimize_newton(lambda x: np.sum((x - 1.0) ** 2), np.zeros(3))
    assert isinstance(res, dict) and isinstance(res, OptimizeResult)
    assert res.x is res["x"]
    assert {"x", "fun", "jac", "hess", "nit", "nfev", "success", "message"} <= set(res)
    assert "success: True" in repr(res)
    with pytest.raises(AttributeError):
        res.not_a_key  # noqa: B018
    assert "history" not in res


# --------------------------------------------------------------------- scipy interop

ROSEN_CASES = [
    # (method, what we pass as the derivative arguments)
    ("BFGS", ("jac",)),
    ("Newton-CG", ("jac", "hess")),
    ("Newton-CG", ("jac", "hessp")),
    ("trust-exact", ("jac", "hess")),
    ("trust-ncg", ("jac", "hessp")),
    ("trust-krylov", ("jac", "hess")),
]


@pytest.mark.parametrize("n", [2, 10, 100])
@pytest.mark.parametrize(("method", "kinds"), ROSEN_CASES)
def test_scipy_minimize_with_dualdiff_matches_analytic_rosenbrock(n, method, kinds):
    x0 = rosen_start(n)
    ours = {"jac": gradient_of(rosen), "hess": hessian_of(rosen), "hessp": hvp_of(rosen)}
    theirs = {
        "jac": scipy_optimize.rosen_der,
        "hess": scipy_optimize.rosen_hess,
        "hessp": scipy_optimize.rosen_hess_prod,
    }
    res = scipy_optimize.minimize(rosen, x0, method=method, **{k: ours[k] for k in kinds})
    ref = scipy_optimize.minimize(
        scipy_optimize.rosen, x0, method=method, **{k: theirs[k] for k in kinds}
    )
    assert res.success and ref.success
    if method == "BFGS" and n == 100:
        # ~200 BFGS iterations: our gradient and rosen_der are both exact but round in a
        # different order (last-bit differences), which moves the line search by an
        # evaluation or two (nfev 237 vs 235); compare the optimum to BFGS's accuracy only.
        np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-5)
        return
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-10, atol=1e-12)
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
    assert res.get("njev") == ref.get("njev")
    assert res.get("nhev") == ref.get("nhev")


def test_scipy_minimize_args_and_jac_true():
    X, y = make_logistic()
    w0 = np.zeros(4)
    ref = scipy_optimize.minimize(
        logistic_loss, w0, args=(X, y), jac=logistic_grad, hess=logistic_hess, method="trust-exact"
    )
    res = scipy_optimize.minimize(
        logistic_loss,
        w0,
        args=(X, y),
        jac=gradient_of(logistic_loss),
        hess=hessian_of(logistic_loss),
        method="trust-exact",
    )
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-10)
    assert res.nit == ref.nit
    # jac=True: value and gradient from one evaluation
    res = scipy_optimize.minimize(
        value_and_gradient_of(logistic_loss), w0, args=(X, y), jac=True, method="BFGS"
    )
    ref = scipy_optimize.minimize(logistic_loss, w0, args=(X, y), jac=logistic_grad, method="BFGS")
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-8)
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)


def decay_residuals(p, t, y, *, weight=1.0):
    a, b, c = p[0], p[1], p[2]
    return weight * (a * np.exp(-b * t) + c - y)


def decay_jacobian(p, t, y, *, weight=1.0):
    a, b = p[0], p[1]
    e = np.exp(-b * t)
    return weight * np.column_stack([e, -a * t * e, np.ones_like(t)])


def test_least_squares_with_jacobian_of():
    rng = np.random.default_rng(3)
    t = np.linspace(0.0, 4.0, 40)
    y = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.01 * rng.standard_normal(t.size)
    p0 = np.array([1.0, 1.0, 0.0])
    common = dict(args=(t, y), kwargs={"weight": 2.0})
    ref = scipy_optimize.least_squares(decay_residuals, p0, jac=decay_jacobian, **common)
    res = scipy_optimize.least_squares(
        decay_residuals, p0, jac=jacobian_of(decay_residuals), **common
    )
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-10)
    assert (res.nfev, res.njev) == (ref.nfev, ref.njev)
    np.testing.assert_allclose(
        jacobian_of(decay_residuals)(p0, t, y, weight=2.0), decay_jacobian(p0, t, y, weight=2.0),
        rtol=1e-14,
    )  # fmt: skip


def test_adapters_have_readable_names():
    assert gradient_of(rosen).__name__ == "gradient_of(rosen)"
    assert hvp_of(rosen).__name__ == "hvp_of(rosen)"


def test_importing_optimize_does_not_import_scipy():
    code = (
        "import sys, dualdiff; before = 'scipy' in sys.modules; "
        "import dualdiff.optimize; print(before, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split()
    assert after == before


# ----------------------------------------------------------------- examples and docs


def test_docs_doctests():
    failures, tried = doctest.testfile(
        str(ROOT / "docs" / "optimize.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert tried > 10
    assert failures == 0


@pytest.mark.parametrize("script", ["rosenbrock_convergence.py", "regression.py"])
def test_example_scripts(script, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    namespace = runpy.run_path(str(ROOT / "examples" / script))
    summary = namespace["main"](tmp_path)
    for path in summary.get("figures", []):
        assert Path(path).stat().st_size > 10_000
    assert summary["ok"], summary
