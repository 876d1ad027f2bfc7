"""The speed workloads W1-W6: for each task and size, a primal, a reference and the methods.

- W1  scalar ``f`` at ``x = 0.7``: ``f'`` and ``f''``; primal ``f`` on Python floats (math).
- W2  the same ``f`` elementwise on ``linspace(0.1, 2, N)``: ``(f, f')`` and ``(f, f', f'')``.
- W3  gradient of Rosenbrock;  W4  its Hessian.
- W5  Jacobian of ``F(x) = sin(x) cumsum(x) + x^2``.
- W6  one scalar Dual / HyperDual multiply and ``sin``, against the same operation on floats.

Functions and references come from :mod:`dualdiff.testing`; the Rosenbrock primal is the
catalogue's numpy formula (the same as ``scipy.optimize.rosen``, which dual numbers cannot go
through because it calls ``asarray``).
"""

from __future__ import annotations

import cmath
import functools
import math
from collections.abc import Callable

import numpy as np

from benchmarks import adaptive, peers, sparse
from benchmarks import finite_diff as fd
from benchmarks.cases import Case, Method
from benchmarks.config import Settings
from dualdiff import testing

X_SCALAR = 0.7
FD_METHODS = (("forward FD", "forward"), ("central FD", "central"), ("complex step", "complex"))


def bench_f_math(x: float) -> float:
    """:func:`dualdiff.testing.bench_f` on Python floats with :mod:`math` (W1 primal)."""
    return math.exp(math.sin(x)) / (1.0 + x * x) + math.sqrt(x) * math.log1p(x)


def bench_f_cmath(z: complex) -> complex:
    """:func:`dualdiff.testing.bench_f` on Python complex numbers (W1 complex step)."""
    return cmath.exp(cmath.sin(z)) / (1.0 + z * z) + cmath.sqrt(z) * cmath.log(1.0 + z)


def has_numba_switch(dd) -> bool:
    """Whether this dualdiff has separate numpy and Numba paths (``dd.use_numba``)."""
    return callable(getattr(dd, "use_numba", None))


def dualdiff_methods(dd, build: Callable, extract=tuple, paths: bool = True) -> list[Method]:
    """dualdiff as one method, or two (numpy path, Numba path) when it has the switch."""
    if not (paths and has_numba_switch(dd)):
        return [Method("dualdiff", build, extract, evaluations=1)]
    return [
        Method("dualdiff (numpy)", build, extract, numba=False, evaluations=1),
        Method("dualdiff (numba)", build, extract, numba=True, evaluations=1),
    ]


def _call(fn: Callable, *args) -> Callable[[], Callable[[], object]]:
    """A ``build`` that returns ``lambda: fn(*args)`` (arguments prepared beforehand)."""
    return lambda: lambda: fn(*args)


def _fd_methods(fn: Callable, f: Callable, x, extract=tuple, n: int = 1) -> list[Method]:
    return [
        Method(
            name,
            _call(fn, f, x, scheme),
            extract,
            evaluations=fd.evaluations(scheme, fn.__name__, n),
        )
        for name, scheme in FD_METHODS
    ]


def _sd_method(key: str, size: int | None, build: Callable | None, extract, count):
    """The scipy.differentiate method of a case, or nothing above its size cap
    (:data:`adaptive.SPEED_MAX`), or a row saying why it is unavailable."""
    if not adaptive.available():
        return [Method(adaptive.NAME, unavailable=adaptive.NOT_AVAILABLE)]
    if size is not None and size > adaptive.SPEED_MAX.get(key, size):
        return []
    return [Method(adaptive.NAME, build, extract, evaluations=count)]


def _sd_value(result):
    return result.value


def _sd_evaluations(result):
    return result.evaluations


def w1(dd, settings: Settings) -> list[Case]:
    """W1: ``f'`` and ``f''`` of the scalar benchmark function at 0.7."""
    ref = testing.get("bench_f").reference(X_SCALAR)
    primal = Method("primal", _call(bench_f_math, X_SCALAR))
    cases = []
    for task, order, driver, fd_fn in (
        ("f'", 1, dd.derivative, fd.derivative),
        ("f''", 2, dd.second_derivative, fd.second_derivative),
    ):
        methods = [
            Method("dualdiff", _call(driver, testing.bench_f, X_SCALAR), float, evaluations=1)
        ]
        for name, scheme in FD_METHODS:
            f = bench_f_cmath if scheme == "complex" else bench_f_math
            count = fd.evaluations(scheme, fd_fn.__name__)
            methods.append(
                Method(name, _call(fd_fn, f, X_SCALAR, scheme), float, evaluations=count)
            )
        sd_fn = adaptive.derivative if order == 1 else adaptive.second_derivative
        methods += _sd_method(
            "W1",
            None,
            _call(sd_fn, testing.bench_f, X_SCALAR, SD_STEP[order]),
            lambda r: float(r.value),
            _sd_evaluations,
        )
        methods += peers.methods("W1", task, None, X_SCALAR)
        cases.append(Case("W1", task, None, primal, ref[order], methods))
    return cases


def w2(dd, settings: Settings) -> list[Case]:
    """W2: ``(f, f')`` and ``(f, f', f'')`` elementwise on ``linspace(0.1, 2, N)``."""
    cases = []
    for n in settings.sizes["W2"]:
        x = np.linspace(0.1, 2.0, n)
        ref = testing.bench_f_derivatives(x)
        v = np.ones_like(x)
        primal = Method("primal", _call(testing.bench_f, x))
        first = dualdiff_methods(dd, _call(dd.jvp, testing.bench_f, x, v))
        first += _fd_methods(fd.value_and_derivative, testing.bench_f, x)
        first += _sd_method(
            "(f, f')",
            n,
            _call(_sd_value_and_derivative, x, SD_RELATIVE_STEP * x),
            _sd_tuple,
            _sd_total,
        )
        first += peers.methods("W2", "(f, f')", n, x)
        cases.append(Case("W2", "(f, f')", n, primal, ref[:2], first))
        second = dualdiff_methods(dd, _call(dd.value_and_derivatives, testing.bench_f, x))
        second += _fd_methods(fd.value_and_derivatives, testing.bench_f, x)
        second += _sd_method(
            "(f, f', f'')",
            n,
            _call(_sd_value_and_derivatives, x, SD_RELATIVE_STEP * x),
            _sd_tuple,
            _sd_total,
        )
        second += peers.methods("W2", "(f, f', f'')", n, x)
        cases.append(Case("W2", "(f, f', f'')", n, primal, ref, second))
    return cases


def _sd_value_and_derivative(x, step):
    """W2 ``(f, f')`` with scipy.differentiate: ``f(x)`` and :func:`adaptive.derivative`."""
    return (testing.bench_f(x), adaptive.derivative(testing.bench_f, x, step))


def _sd_value_and_derivatives(x, step):
    """W2 ``(f, f', f'')``: ``f''`` as the derivative of the derivative with relative steps
    (:func:`scipy.differentiate.hessian` takes one scalar step, which leaves ``x > 0``)."""
    f = testing.bench_f
    return (
        f(x),
        adaptive.derivative(f, x, step),
        adaptive.second_derivative_relative(f, x, SD_RELATIVE_STEP),
    )


def _sd_tuple(value) -> tuple:
    return (value[0], *(r.value for r in value[1:]))


def _sd_total(value) -> float:
    return 1 + sum(r.evaluations for r in value[1:])


SD_STEP = {1: 0.5, 2: 0.1}
"""scipy.differentiate's ``initial_step`` in W1 (x = 0.7): its default for ``f'``; for
``f''``, 0.1 (the Hessian nests two stencils, and with 0.5 they reach ``x < 0``, outside the
domain of ``sqrt``). Everywhere SciPy's default tolerances and order: the speed suite times a
call as documented."""
SD_RELATIVE_STEP = 0.2
"""W2 (``x`` in [0.1, 2]): ``initial_step = 0.2·x``, so that every stencil stays in ``x > 0``."""
SD_VECTOR = {
    "W3": (adaptive.jacobian, "gradient"),
    "W4": (adaptive.hessian, "hessian"),
    "W5": (adaptive.jacobian, "jacobian"),
}
SD_FUNCTIONS = {"W3": "rosen", "W4": "rosen", "W5": "sin_cumsum"}


def sin_cumsum_batched(x):
    """:func:`dualdiff.testing.sin_cumsum` vectorised along axis 0 (``cumsum(x, axis=0)``)."""
    return np.sin(x) * np.cumsum(x, axis=0) + x**2


def _sd_function(workload: str) -> Callable:
    """The W3-W5 function written the way scipy.differentiate needs it, vectorised over
    trailing axes: ``scipy.optimize.rosen`` (the same formula as the primal, summed over
    axis 0) and :func:`sin_cumsum_batched`."""
    if SD_FUNCTIONS[workload] == "rosen":
        from scipy.optimize import rosen

        return rosen
    return sin_cumsum_batched


def _vector_cases(dd, settings, workload, task, problem, driver, fd_fn, reference) -> list[Case]:
    cases = []
    sd_fn, kind = SD_VECTOR[workload]
    for n in settings.sizes[workload]:
        x = problem.make_x(n)
        methods = chunk_methods(dd, CHUNK_KIND[workload], driver, problem.f, x)
        methods += _fd_methods(fd_fn, problem.f, x, extract=np.asarray, n=n)
        if adaptive.available():
            build = _call(sd_fn, _sd_function(workload), x, 0.5, None, True)
        else:
            build = None
        methods += _sd_method(workload, n, build, _sd_value, _sd_evaluations)
        methods += peers.methods(workload, task, n, x)
        primal = Method("primal", _call(problem.f, x))
        cases.append(Case(workload, task, n, primal, reference(x), methods))
    return cases


# ------------------------------------------------------------ chunked and one pass (W3-W5)

CHUNK_KIND = {"W3": "gradient", "W4": "hessian", "W5": "jacobian"}
ONE_PASS_MAX = 3000
"""Largest ``n`` with a one-pass row: at n = 10^4 one pass of a gradient holds 800 MB per
intermediate (several GB in all), which is what chunking is for."""


def chunk_methods(dd, kind: str, driver: Callable, f: Callable, x) -> list[Method]:
    """dualdiff's rows of W3-W5: the default (directions in passes sized to the caches and the
    memory budget) on both paths, its passes as the evaluations and, on the numpy path, its
    peak memory; where the default makes several passes, the same in one pass
    (``chunk_size=n``, numpy path) beside it."""
    methods = dualdiff_methods(dd, _call(driver, f, x), extract=np.asarray)
    plan = getattr(dd, "memory_plan", None)
    if plan is None:  # a dualdiff without chunks: one pass, as before
        return methods
    passes = plan(kind, x).passes
    for m in methods:
        m.evaluations = passes
        if m.numba is not True:
            m.extras = _peak(m.build)
    n = np.size(x)
    if passes > 1 and n <= ONE_PASS_MAX:
        build = _call(functools.partial(driver, chunk_size=n), f, x)
        methods.append(
            Method(
                "dualdiff one pass",
                build,
                np.asarray,
                numba=False,
                evaluations=1,
                extras=_peak(build),
            )  # fmt: skip
        )
    return methods


def _peak(build: Callable) -> Callable[[], dict]:
    """``extras`` of a method: tracemalloc's peak over one more call (numpy path: the compiled
    kernels' recycled mappings are not traced)."""
    return lambda: {"peak_bytes": sparse.peak_bytes(build())}


def w3(dd, settings: Settings) -> list[Case]:
    """W3: gradient of Rosenbrock (reference ``scipy.optimize.rosen_der``)."""
    p = testing.get("rosenbrock")
    return _vector_cases(dd, settings, "W3", "gradient", p, dd.gradient, fd.gradient, p.gradient)


def w4(dd, settings: Settings) -> list[Case]:
    """W4: Hessian of Rosenbrock (reference ``scipy.optimize.rosen_hess``)."""
    p = testing.get("rosenbrock")
    return _vector_cases(dd, settings, "W4", "Hessian", p, dd.hessian, fd.hessian, p.hessian)


def w5(dd, settings: Settings) -> list[Case]:
    """W5: Jacobian of ``sin(x) cumsum(x) + x^2`` (hand-derived reference)."""
    p = testing.get("sin_cumsum")
    return _vector_cases(dd, settings, "W5", "Jacobian", p, dd.jacobian, fd.jacobian, p.jacobian)


def _op(name: str, stmt: str, namespace: dict, extract=tuple) -> Method:
    return Method(name, extract=extract, stmt=stmt, namespace=namespace)


def w6(dd, settings: Settings) -> list[Case]:
    """W6: cost of one scalar multiply and ``sin`` on Dual and HyperDual numbers."""
    a, b, s, c = 0.7, 1.3, math.sin(0.7), math.cos(0.7)
    dual_fields = ("value", "dual")
    hyper_fields = ("value", "eps1", "eps2", "eps12")

    def fields(names):
        return lambda z: tuple(float(getattr(z, k)) for k in names)

    mul_primal = _op("primal", "a * b", {"a": a, "b": b}, float)
    sin_primal = _op("primal", "sin(a)", {"sin": np.sin, "a": np.float64(a)}, float)
    d = {"a": dd.Dual(a, 1.0), "b": dd.Dual(b, 0.5), "sin": np.sin}
    h = {"a": dd.HyperDual(a, 1.0, 1.0, 0.0), "b": dd.HyperDual(b, 0.5, 0.5, 0.0), "sin": np.sin}
    table = [
        ("Dual * Dual", mul_primal, "a * b", d, fields(dual_fields), (a * b, a * 0.5 + b)),
        ("sin(Dual)", sin_primal, "sin(a)", d, fields(dual_fields), (s, c)),
        (
            "HyperDual * HyperDual",
            mul_primal,
            "a * b",
            h,
            fields(hyper_fields),
            (a * b, a * 0.5 + b, a * 0.5 + b, 1.0),
        ),
        ("sin(HyperDual)", sin_primal, "sin(a)", h, fields(hyper_fields), (s, c, c, -s)),
    ]
    cases = []
    for task, primal, stmt, ns, extract, ref in table:
        methods = [_op("dualdiff", stmt, ns, extract), *peers.methods("W6", task, None, None)]
        cases.append(Case("W6", task, None, primal, ref, methods))
    return cases


BUILDERS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6}


def build_cases(dd, settings: Settings) -> list[Case]:
    """Every case of the workloads ``settings`` selects, in W1-W6 order."""
    cases = [c for w, build in BUILDERS.items() if settings.wants(w) for c in build(dd, settings)]
    return cases + sparse.sparse_cases(dd, settings)
