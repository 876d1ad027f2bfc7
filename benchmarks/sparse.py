"""Sparse variants of W3-W5: ``dd.gradient/hessian/jacobian(..., sparse=plan)``.

Cases of their own (task ``"gradient (sparse)"``, ...), at sizes the dense methods cannot reach
(W3 to n = 10⁵, W4 to 10⁴): the plan (pattern, colouring) is made in the setup, outside the
timer, as a solver makes it once; a second method times ``sparse=True`` (detection and colouring
on every call). Each sparse record carries ``colours`` (directions per evaluation) and
``peak_bytes`` (tracemalloc's peak over one call), shown after the method's name (``dd
sparse=plan [c=2 99kB]``); the report gives the sparse cases tables of their own. W3 at n = 1000
also times central differences, the baseline of the issue's target.

References are independent of dualdiff: ``scipy.optimize.rosen_der`` for gradients; for
Hessians, ``scipy.optimize.rosen_hess_prod`` against three fixed random vectors (``rosen_hess``
itself is a dense n × n array, 800 MB at n = 10⁴), the sparse result being multiplied by the
same vectors; the catalogue's hand-derived Jacobian for W5.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np

from benchmarks import finite_diff as fd
from benchmarks.cases import Case, Method
from benchmarks.config import FULL_SIZES, QUICK_SIZES, Settings
from dualdiff import testing

QUICK = {"W3": (10**3, 10**5), "W4": (200, 10**4), "W5": (100, 1000)}
FULL = {"W3": (10**3, 10**4, 10**5), "W4": (200, 10**3, 10**4), "W5": (100, 1000)}
DETECT_MAX = {"W3": 10**4, "W4": 10**4, "W5": 100}
"""Largest size at which ``sparse=True`` (detection on every call) is timed too."""
CENTRAL_FD_AT = {"W3": (1000,)}
PROBES = 3


def available() -> bool:
    """Whether this dualdiff has sparse drivers and scipy is importable."""
    try:
        import scipy.optimize  # noqa: F401
        import scipy.sparse  # noqa: F401
    except ImportError:
        return False
    import dualdiff as dd

    return callable(getattr(dd, "sparse_plan", None))


def peak_bytes(fn: Callable[[], object]) -> int:
    """tracemalloc's peak over one call of ``fn`` (numpy's allocations included)."""
    running = tracemalloc.is_tracing()
    if not running:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    if not running:
        tracemalloc.stop()
    return peak


def _probes(n: int) -> np.ndarray:
    return np.random.default_rng(7).standard_normal((PROBES, n))


def _hessian_products(H, n: int) -> np.ndarray:
    return np.stack([H @ p for p in _probes(n)])


def _rosen_hess_products(x) -> np.ndarray:
    from scipy.optimize import rosen_hess_prod

    return np.stack([rosen_hess_prod(x, p) for p in _probes(x.size)])


def _sparse_method(dd, name, driver, f, x, kind, extract) -> Method:
    """``driver(f, x, sparse=plan)`` with the plan made in the setup; the record gets the
    plan's colours and the peak memory of one call."""
    state = {}

    def build():
        plan = dd.sparse_plan(f, x, kind=kind)
        state["plan"] = plan
        return lambda: driver(f, x, sparse=plan)

    def extras():
        plan = state.get("plan") or dd.sparse_plan(f, x, kind=kind)
        return {
            "colours": plan.n_colours,
            "peak_bytes": peak_bytes(lambda: driver(f, x, sparse=plan)),
        }

    return Method(name, build, extract, evaluations=1, extras=extras)


def _detect_method(dd, name, driver, f, x, extract) -> Method:
    def extras():
        return {"peak_bytes": peak_bytes(lambda: driver(f, x, sparse=True))}

    return Method(name, lambda: lambda: driver(f, x, sparse=True), extract, evaluations=1,
                  extras=extras)  # fmt: skip


def _cases(dd, settings, workload, task, problem, driver, kind, extract, reference):
    sizes = _sizes(settings, workload)
    cases = []
    for n in sizes:
        x = problem.make_x(n)
        methods = [_sparse_method(dd, "dd sparse=plan", driver, problem.f, x, kind,
                                  extract(n))]  # fmt: skip
        if n <= DETECT_MAX[workload]:
            methods.append(_detect_method(dd, "dd sparse=True", driver, problem.f, x, extract(n)))
        if n in CENTRAL_FD_AT.get(workload, ()):
            methods.append(
                Method(
                    "central FD",
                    lambda f=problem.f, x=x: lambda: fd.gradient(f, x, "central"),
                    np.asarray,
                    evaluations=fd.evaluations("central", "gradient", n),
                )
            )
        primal = Method("primal", lambda f=problem.f, x=x: lambda: f(x))
        cases.append(Case(workload, task, n, primal, reference(x), methods))
    return cases


def _sizes(settings: Settings, workload: str) -> tuple[int, ...]:
    """The suite's sparse sizes, or the sizes given with ``--sizes`` for that workload."""
    base = FULL_SIZES if settings.suite == "full" else QUICK_SIZES
    if settings.sizes.get(workload) != base.get(workload):
        return settings.sizes[workload]
    return (FULL if settings.suite == "full" else QUICK)[workload]


def w3_sparse(dd, settings: Settings) -> list[Case]:
    """W3 sparse: gradient of Rosenbrock by its separable structure (2 colours)."""
    from scipy.optimize import rosen_der

    p = testing.get("rosenbrock")
    return _cases(dd, settings, "W3", "gradient (sparse)", p, dd.gradient, "gradient",
                  lambda n: np.asarray, rosen_der)  # fmt: skip


def w4_sparse(dd, settings: Settings) -> list[Case]:
    """W4 sparse: Hessian of Rosenbrock, checked by products with fixed random vectors."""
    p = testing.get("rosenbrock")
    return _cases(dd, settings, "W4", "Hessian (sparse)", p, dd.hessian, "hessian",
                  lambda n: lambda H: _hessian_products(H, n), _rosen_hess_products)  # fmt: skip


def w5_sparse(dd, settings: Settings) -> list[Case]:
    """W5 sparse: its Jacobian is lower triangular and dense (cumsum), so the colouring
    needs n colours: the row shows what detection costs where sparsity cannot help."""
    p = testing.get("sin_cumsum")
    return _cases(dd, settings, "W5", "Jacobian (sparse)", p, dd.jacobian, "jacobian",
                  lambda n: lambda J: J.toarray(), p.jacobian)  # fmt: skip


SPARSE_BUILDERS = {"W3": w3_sparse, "W4": w4_sparse, "W5": w5_sparse}


def sparse_cases(dd, settings: Settings) -> list[Case]:
    """The sparse cases of the workloads ``settings`` selects (none without scipy or
    without dualdiff's sparse drivers)."""
    if not available():
        return []
    return [c for w, build in SPARSE_BUILDERS.items() if settings.wants(w)
            for c in build(dd, settings)]  # fmt: skip


def has_sparse_tasks(records: list[dict]) -> bool:
    """Whether ``records`` hold sparse cases (the report gives them tables of their own)."""
    return any(r["task"].endswith("(sparse)") for r in records)


def extras_text(record: dict) -> str:
    """``" [c=2 1.2MB]"`` (colours, peak memory) for a plan's record, else ``""`` (the
    detection rows keep their peak in the JSON only: the table has 80 columns)."""
    if record.get("colours") is None:
        return ""
    return f" [c={record['colours']} {_mb(record['peak_bytes'])}]"


def _mb(b) -> str:
    if b is None:
        return "?"
    return f"{b / 1e6:.2g}MB" if b >= 1e5 else f"{b / 1e3:.2g}kB"
