"""Fitting models with exact derivatives: linear and logistic regression.

1. Linear regression, loss(w) = ||X w - y||² / (2m), by gradient descent (backtracking, and a
   fixed step 1/L), checked against the closed-form least-squares solution.
2. Logistic regression, loss(w) = mean(log(1 + e^z) - y z) with z = X w, by Newton's method
   with the exact Hessian, checked against scipy.optimize.minimize given hand-written
   gradient and Hessian.

Prints the comparison and writes ``regression_convergence.png`` (max|grad| per iteration).

Usage::

    python examples/regression.py [output_directory]

The figure goes to ``output_directory``, by default ``examples/results/`` (git ignores it);
never to the current directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dualdiff.optimize import gradient_descent, minimize_newton

RESULTS = Path(__file__).resolve().parent / "results"
"""Default output folder (git-ignored)."""


def linear_data(m: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.standard_normal((m, 3))])
    y = X @ np.array([0.5, -1.0, 2.0, 0.3]) + 0.1 * rng.standard_normal(m)
    return X, y


def logistic_data(m: int = 400, seed: int = 1):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.standard_normal((m, 3))])
    z = X @ np.array([0.3, -1.0, 2.0, 0.5])
    y = (rng.random(m) < 1.0 / (1.0 + np.exp(-z))).astype(float)
    return X, y


def mse(w, X, y):
    r = X @ w - y
    return 0.5 * np.mean(r**2)


def nll(w, X, y):
    """Mean negative log-likelihood; logaddexp(0, z) = log(1 + e^z) without overflow."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def linear_regression() -> dict:
    X, y = linear_data()
    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    L = np.linalg.eigvalsh(X.T @ X / len(y))[-1]  # Lipschitz constant of the gradient
    runs = {
        "backtracking": gradient_descent(mse, np.zeros(4), args=(X, y), gtol=1e-10, history=True),
        "fixed step 1/L": gradient_descent(
            mse, np.zeros(4), args=(X, y), step=1.0 / L, gtol=1e-10, history=True
        ),
    }
    print("Linear regression by gradient descent vs np.linalg.lstsq")
    for name, res in runs.items():
        err = np.max(np.abs(res.x - w_ls))
        print(f"  {name:<16} nit={res.nit:<4} nfev={res.nfev:<4} max|w - w_lstsq| = {err:.1e}")
    ok = all(r.success and np.allclose(r.x, w_ls, rtol=0, atol=1e-8) for r in runs.values())
    return {"ok": ok, "runs": runs}


def logistic_regression() -> dict:
    from scipy.optimize import minimize
    from scipy.special import expit

    X, y = logistic_data()
    m = len(y)

    def grad(w, X, y):  # hand-written, for the reference run
        return X.T @ (expit(X @ w) - y) / m

    def hess(w, X, y):
        s = expit(X @ w)
        return (X.T * (s * (1.0 - s))) @ X / m

    w0 = np.zeros(X.shape[1])
    ours = minimize_newton(nll, w0, args=(X, y), history=True)
    descent = gradient_descent(nll, w0, args=(X, y), gtol=1e-8, history=True)
    print("Logistic regression: dualdiff Newton vs scipy with analytic derivatives")
    print(
        f"  dualdiff minimize_newton   nit={ours.nit:<3} max|grad| = {np.abs(ours.jac).max():.1e}"
    )
    refs = {}
    # same stopping rule as ours where scipy has one (trust-exact: gtol on |grad|); Newton-CG
    # stops on the step size, xtol, left at its default
    for method, options in (("Newton-CG", {}), ("trust-exact", {"gtol": 1e-8})):
        ref = minimize(nll, w0, args=(X, y), jac=grad, hess=hess, method=method, options=options)
        refs[method] = ref
        err = np.max(np.abs(ours.x - ref.x))
        gmax = np.abs(grad(ref.x, X, y)).max()
        print(f"  scipy {method:<20} nit={ref.nit:<3} max|grad| = {gmax:.1e}  |dw| = {err:.1e}")
    print(f"  dualdiff gradient_descent  nit={descent.nit}")
    ok = ours.success and all(ours.nit <= r.nit for r in refs.values())
    ok = ok and np.allclose(ours.x, refs["trust-exact"].x, rtol=0, atol=1e-6)
    return {"ok": bool(ok), "newton": ours, "descent": descent}


def plot(linear: dict, logistic: dict, out: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for name, res in linear["runs"].items():
        ax1.semilogy(res.history.grad_norm, ".-", label=f"{name} ({res.nit} steps)")
    ax1.set(title="Linear regression, gradient descent", xlabel="iteration", ylabel="max|grad|")
    ax1.legend()
    for name in ("newton", "descent"):
        res = logistic[name]
        label = {"newton": "Newton", "descent": "gradient descent"}[name]
        ax2.semilogy(res.history.grad_norm, ".-", label=f"{label} ({res.nit} steps)")
    ax2.set(title="Logistic regression", xlabel="iteration", ylabel="max|grad|")
    ax2.legend()
    out = Path(out) / "regression_convergence.png"
    fig.savefig(out, dpi=110)
    return out


def main(outdir: str | Path | None = None) -> dict:
    outdir = RESULTS if outdir is None else Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    linear = linear_regression()
    logistic = logistic_regression()
    figure = plot(linear, logistic, Path(outdir))
    print(f"wrote {figure}")
    return {"ok": linear["ok"] and logistic["ok"], "figures": [figure]}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
