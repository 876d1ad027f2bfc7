"""What the Numba kernels cost and gain: import time, compile and cache-hit times, the speed
ratios of issue 3, the size thresholds, and the price of non-contiguous inputs.

Run ``python -m benchmarks.kernels_report`` from the repository root (``--quick`` for a short
run, ``--json PATH`` to save the figures). Every ratio is measured in the same process and run
as its reference; start-up costs are measured in fresh subprocesses.

- ``import``: ``import dualdiff`` over ``import numpy`` (median of fresh processes), and
  whether it imported Numba.
- ``compile``: a first process with an empty kernel cache (``DUALDIFF_CACHE_DIR``): the first
  call of one kernel (Numba start-up and one compile), then of ``value_and_derivatives`` of
  the benchmark ``f`` (its other kernels).
- ``cache hit``: a second process on that cache: the same first calls, minus a warm call.
- ``ratios``: ``f(x) = exp(sin x)/(1+x²) + √x·log1p(x)`` on ``linspace(0.1, 2, N)``;
  value+f'+f'' (``value_and_derivatives``) and value+f' (``derivative``), each on the numpy
  path and the kernel path, over the time of ``f`` alone; taken in turn in several rounds,
  each ratio formed within its round, the median reported with the range of the gains. Both
  this and the crossover run in fresh processes, once per allocator state (:data:`ALLOCATORS`):
  at 10⁵ elements the numpy path's speed depends on whether its temporaries page-fault.
- ``crossover``: value+f'+f'' on the numpy path, serial kernels and threaded kernels by size.
- ``layouts``: one kernel on contiguous, strided (read in place) and transposed (copied) input.
- ``call_overhead``: the Python cost of one kernel call (``_kernels.run`` on one element:
  classify the layout, pack the argument array, allocate the outputs, call), of one whole
  ``np.sin`` on a HyperDual of one element through the numpy protocol on each path, and of the
  bare ctypes call, which is the floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import dualdiff as dd
from benchmarks.environment import import_time, run_python
from benchmarks.timing import measure
from dualdiff import _kernels
from dualdiff._kernels import registry
from dualdiff._kernels import threads as kthreads
from dualdiff.hyperdual import _new as hyperdual_from_parts
from dualdiff.testing import bench_f

REPO_ROOT = Path(__file__).resolve().parents[1]
TASKS = (("second", dd.value_and_derivatives), ("first", dd.derivative))
"""``second``: value+f'+f'' (one HyperDual evaluation); ``first``: value+f' (one Dual)."""
CROSSOVER_SIZES = (10**3, 3 * 10**3, 10**4, 2 * 10**4, 5 * 10**4, 10**5, 2 * 10**5)


_FIRST_CALLS = """
    import json, sys, time
    import numpy as np
    import dualdiff as dd
    from dualdiff.testing import bench_f
    x = np.linspace(0.1, 2.0, {n})
    dd.use_numba(True, threshold=0)  # a kernel at any size
    out = {{}}
    for name, fn in (
        ("one kernel (sin on a Dual)", lambda: np.sin(dd.Dual(x, 1.0))),
        ("value_and_derivatives(f)", lambda: dd.value_and_derivatives(bench_f, x)),
    ):
        t0 = time.perf_counter(); fn(); first = time.perf_counter() - t0
        warm = min(
            (lambda t: (fn(), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5)
        )
        out[name] = {{"first_s": first, "warm_s": warm, "overhead_s": first - warm}}
    out["numba_imported"] = "numba" in sys.modules
    from dualdiff._kernels import registry
    out["link_failure"] = registry.kernel_store().last_error
    print(json.dumps(out))
"""


def first_calls(n: int = 10**5) -> dict:
    """First calls in a process that compiles (empty cache) and in one that loads the cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {"DUALDIFF_CACHE_DIR": cache}
        compiled = json.loads(run_python(_FIRST_CALLS.format(n=n), env))
        loaded = json.loads(run_python(_FIRST_CALLS.format(n=n), env))
        files = [p.suffix for p in Path(cache).rglob("*-*.*") if p.suffix == ".so"]
    return {
        "n": n,
        "compile": compiled,
        "cache_hit": loaded,
        "kernels_cached": len(files),
        "cache_format": "shared library" if ".so" in files else "none (compiled per process)",
    }


def _time(fn, repeat: int) -> float:
    timing, _ = measure(fn, repeat=repeat, min_time=0.02, max_time=20.0)
    return timing.median


def ratios(sizes=(10**5, 10**7), rounds: int = 7) -> list[dict]:
    """value+f'+f'' and value+f' over f alone, numpy path and kernel path, same run.

    The five timings are taken in turn, ``rounds`` times (each a median of three repeats), and
    every ratio is formed within its round: a burst of noise on this shared machine then
    skews one round, not one side of every ratio. Reported: the median over the rounds, and
    the lowest and highest gain of the kernels over the numpy path.
    """
    rows = []
    for n in sizes:
        x = np.linspace(0.1, 2.0, n)
        runs = rounds if n <= 10**6 else max(3, rounds // 2)
        with dd.use_numba(True, threshold=0):  # compile or load outside the timer
            for _, driver in TASKS:
                driver(bench_f, x)
        samples: dict = {}
        for _ in range(runs):
            primal = _time(lambda x=x: bench_f(x), 3)
            samples.setdefault("primal_s", []).append(primal)
            for task, driver in TASKS:
                cell = {}
                for path, enabled in (("numpy", False), ("kernel", True)):
                    with dd.use_numba(enabled, threshold=0):
                        cell[path] = _time(lambda d=driver, x=x: d(bench_f, x), 3) / primal
                        samples.setdefault(f"{task}_{path}", []).append(cell[path])
                samples.setdefault(f"{task}_gain", []).append(cell["numpy"] / cell["kernel"])
        row = {"n": n, "rounds": runs}
        row.update({key: statistics.median(values) for key, values in samples.items()})
        for task, _ in TASKS:
            row[f"{task}_gain_range"] = [min(samples[f"{task}_gain"]), max(samples[f"{task}_gain"])]
        rows.append(row)
    return rows


def crossover(sizes=CROSSOVER_SIZES) -> list:
    """value+f'+f'' by size: numpy path, serial kernels, kernels split over threads."""
    rows = []
    for n in sizes:
        x = np.linspace(0.1, 2.0, n)
        row = {"n": n}
        for path, kw in (
            ("numpy", {"enabled": False}),
            ("serial", {"enabled": True, "threshold": 0, "parallel_threshold": 10**12}),
            ("threads", {"enabled": True, "threshold": 0, "parallel_threshold": 0}),
        ):
            with dd.use_numba(**kw):
                dd.value_and_derivatives(bench_f, x)
                row[path] = _time(lambda x=x: dd.value_and_derivatives(bench_f, x), 7)
        rows.append(row)
    return rows


def layouts(n: int = 10**6) -> dict:
    """One HyperDual ``sin`` kernel on inputs of ``n`` elements: contiguous, 1-d strided and
    broadcast (read in place through strides), every other row and transposed (copied first:
    no single element stride describes them)."""
    m = int(np.sqrt(n))
    n = m * m
    flat = np.linspace(0.1, 2.0, 2 * n)
    a = flat.reshape(2 * m, m)
    out = {}
    with dd.use_numba(True, threshold=0):
        for name, view in (
            ("contiguous", flat[:n]),
            ("strided 1-d (in place)", flat[::2]),
            ("broadcast row (in place)", np.broadcast_to(a[0], (m, m))),
            ("every other row (copied)", a[::2]),
            ("transposed (copied)", a[:m].T),
        ):
            h = hyperdual_from_parts(view, view, view, view, "", "", 0)  # parts keep the layout
            np.sin(h)
            out[name] = _time(lambda h=h: np.sin(h), 7)
    return out


def call_overhead() -> dict:
    """Microseconds per call on one element (so the arithmetic is negligible): the kernel
    layer's own work (``_kernels.run``), the bare ctypes call it ends in, and a whole
    ``np.sin`` of a HyperDual through the numpy protocol on the kernel and numpy paths."""
    import timeit
    from array import array

    from dualdiff._rules import UNARY_RULES

    h = dd.HyperDual(np.full(1, 0.5), np.ones(1), np.ones(1), np.zeros(1))
    rule = UNARY_RULES[np.sin]
    parts, labels = h._parts(), h._labels()
    out = {}

    def best(fn, n=20000):
        return min(timeit.repeat(fn, number=n, repeat=7)) / n * 1e6

    with dd.use_numba(True, threshold=0):
        np.sin(h)  # compile or load outside the timer
        out["run_us"] = best(lambda: _kernels.run(rule, (parts,), labels, 0.0, 1 << 62))
        out["sin_kernel_path_us"] = best(lambda: np.sin(h))
    with dd.use_numba(False):
        out["sin_numpy_path_us"] = best(lambda: np.sin(h))
    fn = registry.get("hyper_unary", rule, "AAA")
    outs = [np.empty(1) for _ in range(4)]
    packed = array("q", [1, 1, 0])
    for q, s in zip(parts, ((1,), (1, 1), (1, 1), (1, 1, 1))):
        packed.extend([id(q), *s])
    packed.extend(id(o) for o in outs)
    address = packed.buffer_info()[0]
    out["ctypes_call_us"] = best(lambda: fn(0, 1, 0.0, address))
    return out


ALLOCATORS = {
    "default": {},
    "warm": {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)},
}
"""The two states of glibc's allocator the ratios are measured in, each in a fresh process.
``default``: glibc returns freed blocks of 128 KiB and more to the system and faults them back
in on the next allocation, so numpy's temporaries cost page faults (the kernels' outputs do
not: they recycle their memory). ``warm``: freed memory stays mapped, as in a process where
glibc's thresholds have already grown (after freeing large arrays), so numpy runs at its best."""


def _fresh(call: str, env: dict):
    """``call`` (an expression over this module) evaluated in a fresh interpreter."""
    script = f"""
        import json
        from benchmarks import kernels_report as k
        print(json.dumps(k.{call}))
    """
    return json.loads(run_python(script, env))


def run(quick: bool = False) -> dict:
    """Every figure of this report."""
    sizes = (10**5, 10**6) if quick else (10**5, 10**7)
    small = (10**3, 10**4, 10**5) if quick else CROSSOVER_SIZES
    rounds = 3 if quick else 7
    return {
        "threads": kthreads.num_threads(),
        "call_overhead": call_overhead(),
        "settings": repr(dd.use_numba()),
        "import": import_time(3 if quick else 7),
        "first_calls": first_calls(),
        "ratios": {a: _fresh(f"ratios({sizes}, {rounds})", env) for a, env in ALLOCATORS.items()},
        "crossover": {a: _fresh(f"crossover({small})", env) for a, env in ALLOCATORS.items()},
        "layouts": layouts(10**5 if quick else 10**6),
    }


def print_report(r: dict) -> None:
    print(f"settings: {r['settings']}; threads: {r['threads']}")
    c = r["call_overhead"]
    print(
        f"call overhead (one element, us): kernel layer {c['run_us']:.2f} (bare ctypes call "
        f"{c['ctypes_call_us']:.2f}); np.sin(HyperDual) kernel path {c['sin_kernel_path_us']:.2f}, "
        f"numpy path {c['sin_numpy_path_us']:.2f}"
    )
    imp = r["import"]
    print(
        f"import: numpy {imp['numpy_s'] * 1e3:.1f} ms, dualdiff over numpy "
        f"{imp['dualdiff_over_numpy_s'] * 1e3:.1f} ms (imports Numba: {imp['imports_numba']})"
    )
    fc = r["first_calls"]
    for label in ("compile", "cache_hit"):
        for name, t in fc[label].items():
            if isinstance(t, dict):
                print(
                    f"{label:9s} {name:28s}: first {t['first_s'] * 1e3:8.1f} ms, warm "
                    f"{t['warm_s'] * 1e3:6.2f} ms, first-call cost {t['overhead_s'] * 1e3:8.1f} ms"
                )
        print(f"{label:9s} Numba imported: {fc[label]['numba_imported']}")
    print(
        f"kernels compiled into the cache by the first process: {fc['kernels_cached']} "
        f"({fc['cache_format']})"
    )
    if fc["compile"].get("link_failure"):
        print(f"linking failed: {fc['compile']['link_failure']}")
    for allocator, rows in r["ratios"].items():
        print(f"ratios to f, {allocator} allocator (fresh process):")
        for row in rows:
            cells = [
                f"{label} numpy {row[task + '_numpy']:.2f}x kernel {row[task + '_kernel']:.2f}x "
                f"(gain {row[task + '_gain']:.2f}, rounds {row[task + '_gain_range'][0]:.2f}-"
                f"{row[task + '_gain_range'][1]:.2f})"
                for task, label in (("second", "value+f'+f''"), ("first", "value+f'"))
            ]
            print(
                f"  N={row['n']:.0e}: f {row['primal_s'] * 1e3:.2f} ms ({row['rounds']} rounds) | "
                + " | ".join(cells)
            )
    for allocator, rows in r["crossover"].items():
        print(f"crossover, value+f'+f'' (ms), {allocator} allocator: N, numpy, serial, threads")
        for row in rows:
            print(
                f"  {row['n']:>7d} {row['numpy'] * 1e3:9.3f} {row['serial'] * 1e3:9.3f} "
                f"{row['threads'] * 1e3:9.3f}"
            )
    print(
        "layouts, sin(HyperDual) (ms): "
        + ", ".join(f"{k} {v * 1e3:.2f}" for k, v in r["layouts"].items())
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = run(args.quick)
    report["wall_s"] = time.perf_counter() - started
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
