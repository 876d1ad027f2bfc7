"""Rosenbrock's valley: Newton's method with exact Hessians against gradient descent.

Runs, from the classic start (-1.2, 1):

- ``dualdiff.optimize.minimize_newton`` (exact Hessian from one hyper-dual evaluation),
- ``dualdiff.optimize.gradient_descent`` (Armijo backtracking),
- ``scipy.optimize.minimize(method="trust-exact")`` fed dualdiff's gradient and Hessian,

prints the iteration counts and writes ``rosenbrock_convergence.png``: the paths over the
contours of f, and f(x_k) against k on a log scale.

Usage::

    python examples/rosenbrock_convergence.py [output_directory]

The figure goes to ``output_directory``, by default ``examples/results/`` (git ignores it);
never to the current directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dualdiff.optimize import gradient_descent, gradient_of, hessian_of, minimize_newton

X0 = np.array([-1.2, 1.0])
GTOL = 1e-6

RESULTS = Path(__file__).resolve().parent / "results"
"""Default output folder (git-ignored)."""


def rosen(x):
    """f(x) = sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; minimum 0 at x = (1, ..., 1)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def run() -> dict:
    """Solve with each method; return their results with an ``history`` of iterates."""
    from scipy.optimize import minimize

    runs = {
        "Newton (dualdiff)": minimize_newton(rosen, X0, gtol=GTOL, history=True),
        "gradient descent (dualdiff)": gradient_descent(
            rosen, X0, gtol=GTOL, maxiter=50_000, history=True
        ),
    }
    path = [X0]
    res = minimize(
        rosen,
        X0,
        jac=gradient_of(rosen),
        hess=hessian_of(rosen),
        method="trust-exact",
        options={"gtol": GTOL},
        callback=lambda intermediate_result: path.append(intermediate_result.x),
    )
    xs = np.array(path)
    res.history = {"x": xs, "fun": np.array([rosen(x) for x in xs])}
    runs["scipy trust-exact + dualdiff"] = res
    return runs


def plot(runs: dict, out: Path) -> Path:
    from matplotlib.figure import Figure  # no pyplot: no GUI backend needed

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    ax_path, ax_conv = fig.subplots(1, 2)
    u = np.linspace(-1.6, 1.6, 400)
    v = np.linspace(-0.6, 1.8, 400)
    U, V = np.meshgrid(u, v)
    F = 100.0 * (V - U**2) ** 2 + (1.0 - U) ** 2
    ax_path.contour(U, V, np.log10(F + 1e-3), levels=25, cmap="Greys", linewidths=0.6)
    styles = ["o-", "-", "s--"]
    for (name, res), style in zip(runs.items(), styles, strict=True):
        xs, fs = np.asarray(res.history["x"]), np.asarray(res.history["fun"])
        label = f"{name}: {res.nit} iterations"
        ax_path.plot(xs[:, 0], xs[:, 1], style, ms=3, lw=1, label=label)
        ax_conv.semilogy(np.arange(len(fs)), np.maximum(fs, 1e-30), style, ms=3, lw=1, label=label)
    ax_path.plot([1.0], [1.0], "k*", ms=12)
    ax_path.set(xlabel="$x_0$", ylabel="$x_1$", title="Paths from (-1.2, 1) to the minimum (1, 1)")
    ax_conv.set(xlabel="iteration $k$", ylabel="$f(x_k) - f^*$", title="Convergence")
    ax_conv.set_xscale("symlog", linthresh=10)
    ax_conv.legend(fontsize=8)
    out = Path(out) / "rosenbrock_convergence.png"
    fig.savefig(out, dpi=120)
    return out


def main(outdir: str | Path | None = None) -> dict:
    outdir = RESULTS if outdir is None else Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    runs = run()
    print(f"Rosenbrock n=2 from {X0.tolist()}, stopping at max|grad f| <= {GTOL}")
    print(f"{'method':<32}{'nit':>7}{'nfev':>8}  {'max|x - 1|':>11}")
    for name, res in runs.items():
        err = np.max(np.abs(res.x - 1.0))
        print(f"{name:<32}{res.nit:>7}{res.nfev:>8}  {err:>11.1e}")
    figure = plot(runs, Path(outdir))
    print(f"wrote {figure}")
    newton = runs["Newton (dualdiff)"]
    descent = runs["gradient descent (dualdiff)"]
    ok = all(r.success and np.max(np.abs(r.x - 1.0)) < 1e-4 for r in runs.values())
    return {
        "ok": ok and newton.nit < descent.nit,
        "figures": [figure],
        "nit": {name: res.nit for name, res in runs.items()},
    }


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
