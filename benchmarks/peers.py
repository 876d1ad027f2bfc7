"""Optional peers, detected at run time and never required: JAX, autograd, numdifftools,
num-dual.

Each adapter writes the workload's function in the peer's own idiom and returns
:class:`~benchmarks.cases.Method` objects; the runner times them like any other method and
turns any exception into a note in the results. A peer that is not installed contributes
nothing. JAX runs in float64 under ``jit``; its compile time is reported separately.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util

import numpy as np

from benchmarks.cases import Method, as_float_array
from dualdiff import testing

PEERS = {
    "jax": "jax",
    "autograd": "autograd",
    "numdifftools": "numdifftools",
    "num_dual": "num_dual",
}
"""Import name -> distribution name."""

# numdifftools evaluates f many times per derivative (Richardson extrapolation): cap sizes
_NDT_MAX = {"W2": 10**5, "W3": 1000, "W4": 50, "W5": 100}
_NUM_DUAL_MAX = {"W3": 100, "W4": 50, "W5": 100}


@functools.cache
def available() -> dict[str, str]:
    """Installed peers: import name -> version."""
    found = {}
    for module, dist in PEERS.items():
        if importlib.util.find_spec(module) is not None:
            try:
                found[module] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                found[module] = "unknown"
    return found


def methods(workload: str, task: str, size: int | None, x) -> list[Method]:
    """Methods of every installed peer for one case (empty when none is installed)."""
    out = []
    for module in available():
        adapter = _ADAPTERS[module]
        out += adapter(workload, task, size, x)
    return out


# ------------------------------------------------------------------------------------- JAX


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp


def _jax_functions(jnp):
    def f(x):
        return jnp.exp(jnp.sin(x)) / (1 + x**2) + jnp.sqrt(x) * jnp.log1p(x)

    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def sin_cumsum(x):
        return jnp.sin(x) * jnp.cumsum(x) + x**2

    return f, rosen, sin_cumsum


def _jax_methods(workload, task, size, x):
    if workload == "W6":
        return []

    def build():
        jax, jnp = _jax()
        f, rosen, sin_cumsum = _jax_functions(jnp)
        if workload == "W1":
            g = jax.grad(f) if task == "f'" else jax.grad(jax.grad(f))
            fn, arg = jax.jit(g), x
        elif workload == "W2" and task == "(f, f')":
            fn, arg = jax.jit(lambda t: jax.jvp(f, (t,), (jnp.ones_like(t),))), jnp.asarray(x)
        elif workload == "W2":
            d1, d2 = jax.vmap(jax.grad(f)), jax.vmap(jax.grad(jax.grad(f)))
            fn, arg = jax.jit(lambda t: (f(t), d1(t), d2(t))), jnp.asarray(x)
        else:
            transform = {"W3": jax.grad, "W4": jax.hessian, "W5": jax.jacfwd}[workload]
            target = sin_cumsum if workload == "W5" else rosen
            fn, arg = jax.jit(transform(target)), jnp.asarray(x)
        return lambda: jax.block_until_ready(fn(arg))

    extract = tuple_of_arrays if workload == "W2" else as_float_array
    return [Method("jax (jit)", build, extract, jit=True)]


# -------------------------------------------------------------------------------- autograd


def _autograd_methods(workload, task, size, x):
    if workload == "W6":
        return []

    def build():
        import autograd
        import autograd.numpy as anp

        def f(t):
            return anp.exp(anp.sin(t)) / (1 + t**2) + anp.sqrt(t) * anp.log1p(t)

        def rosen(t):
            return anp.sum(100.0 * (t[1:] - t[:-1] ** 2) ** 2 + (1.0 - t[:-1]) ** 2)

        def sin_cumsum(t):
            return anp.sin(t) * anp.cumsum(t) + t**2

        eg = autograd.elementwise_grad
        if workload == "W1":
            g = autograd.grad(f) if task == "f'" else autograd.grad(autograd.grad(f))
            return lambda: g(x)
        if workload == "W2" and task == "(f, f')":
            return lambda: (f(x), eg(f)(x))
        if workload == "W2":
            return lambda: (f(x), eg(f)(x), eg(eg(f))(x))
        if workload == "W5":
            return lambda: autograd.jacobian(sin_cumsum)(x)
        g = {"W3": autograd.grad, "W4": autograd.hessian}[workload](rosen)
        return lambda: g(x)

    extract = tuple_of_arrays if workload == "W2" else as_float_array
    return [Method("autograd", build, extract)]


# ---------------------------------------------------------------------------- numdifftools


def _numdifftools_methods(workload, task, size, x):
    if workload == "W6" or (size is not None and size > _NDT_MAX[workload]):
        return []

    def build():
        import numdifftools as nd

        f = testing.bench_f
        if workload == "W1":
            d = nd.Derivative(f, n=1 if task == "f'" else 2)
            return lambda: d(x)
        if workload == "W2":
            d1 = nd.Derivative(f, n=1)
            if task == "(f, f')":
                return lambda: (f(x), d1(x))
            d2 = nd.Derivative(f, n=2)
            return lambda: (f(x), d1(x), d2(x))
        if workload == "W5":
            jac = nd.Jacobian(testing.sin_cumsum)
            return lambda: jac(x)
        g = {"W3": nd.Gradient, "W4": nd.Hessian}[workload](testing.rosenbrock)
        return lambda: g(x)

    extract = tuple_of_arrays if workload == "W2" else as_float_array
    return [Method("numdifftools", build, extract)]


# -------------------------------------------------------------------------------- num-dual


def _num_dual_methods(workload, task, size, x):
    if workload == "W2" or (size is not None and size > _NUM_DUAL_MAX[workload]):
        return []
    if workload == "W6":
        return _num_dual_ops(task)

    def build():
        import num_dual

        if workload == "W1":
            if task == "f'":
                return lambda: num_dual.first_derivative(testing.bench_f, x)[1]
            return lambda: num_dual.second_derivative(testing.bench_f, x)[2]
        xs = [float(t) for t in x]

        def as_array(v):
            return np.array(list(v), dtype=object)

        if workload == "W3":
            return lambda: num_dual.gradient(lambda v: testing.rosenbrock(as_array(v)), xs)[1]
        if workload == "W4":
            return lambda: num_dual.hessian(lambda v: testing.rosenbrock(as_array(v)), xs)[2]
        return lambda: num_dual.jacobian(lambda v: list(testing.sin_cumsum(as_array(v))), xs)[1]

    return [Method("num-dual", build, as_float_array)]


def _num_dual_ops(task: str) -> list[Method]:
    try:
        import num_dual
    except Exception:
        return []
    if "HyperDual" in task:
        a, b = num_dual.HyperDual64(0.7, 1.0, 1.0, 0.0), num_dual.HyperDual64(1.3, 0.5, 0.5, 0.0)

        def extract(z):
            return (z.value, *z.first_derivative, z.second_derivative)
    else:
        a, b = num_dual.Dual64(0.7, 1.0), num_dual.Dual64(1.3, 0.5)

        def extract(z):
            return (z.value, z.first_derivative)

    stmt = "a * b" if "*" in task else "a.sin()"
    return [Method("num-dual", extract=extract, stmt=stmt, namespace={"a": a, "b": b})]


def tuple_of_arrays(value) -> tuple:
    """A peer's ``(f, f', ...)`` as a tuple of float arrays."""
    return tuple(as_float_array(v) for v in value)


_ADAPTERS = {
    "jax": _jax_methods,
    "autograd": _autograd_methods,
    "numdifftools": _numdifftools_methods,
    "num_dual": _num_dual_methods,
}
