"""Numba kernels against the numpy path: every compiled rule, both number types, every layout.

The numpy path is the reference. A kernel result must have the same type, mode, shapes and
sharing (``eps1 is eps2``), the same non-finite entries, and finite entries within
``ULPS`` units in the last place of the component's scale (libm and numpy's SIMD functions
differ by an ulp or two, which a sum of products can carry into a small result).

Compiling is the slow part: about half a second per kernel on a 2-core machine (Numba, then
the link into a shared library). CI builds the common set ahead (``python -m dualdiff
precompile``), so tests load them from the store in about a millisecond each.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import _config, _kernels
from dualdiff._kernels import memory, mvec, registry, store
from dualdiff._kernels import threads as kthreads
from dualdiff._rules import BINARY_RULES, UNARY_RULES

pytest.importorskip("numba")

ULPS = 8
EPS = np.finfo(float).eps
EDGES = np.array(
    [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 0.5, 2.0, 1000.0, -1000.0]
)  # 1000: exp, sinh, cosh overflow (the float path falls back to numpy there)

CORE_UNARY = {u.__name__: r for u, r in UNARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"}
CORE_BINARY = {
    u.__name__: r for u, r in BINARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"
}


class _Heavy(dict):
    """A cost table in which every kernel is known and heavy: every call takes threads."""

    def get(self, key, default=None):
        return [1.0, 2]


@pytest.fixture
def threads(monkeypatch):
    """Kernels for every size, every call split over two threads."""
    monkeypatch.setattr(kthreads, "COST", _Heavy())
    monkeypatch.setattr(kthreads, "num_threads", lambda: 2)
    with dd.use_numba(True, threshold=0, parallel_threshold=0):
        yield


def _parts(z):
    return z._parts() if isinstance(z, dd.Dual | dd.HyperDual) else tuple(z)


def assert_parity(got, ref):
    """``got`` (kernel) equals ``ref`` (numpy path) as described in the module docstring."""
    assert type(got) is type(ref)
    if isinstance(ref, dd.Dual | dd.HyperDual):
        assert got._labels() == ref._labels()
        if isinstance(ref, dd.HyperDual):
            assert (got.eps1 is got.eps2) == (ref.eps1 is ref.eps2)
    for g, r in zip(_parts(got), _parts(ref)):
        assert type(g) is type(r) or np.shape(g) == np.shape(r) == ()
        assert np.shape(g) == np.shape(r)
        g, r = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
        np.testing.assert_array_equal(np.where(np.isinf(r), r, 0.0), np.where(np.isinf(g), g, 0.0))
        finite = np.isfinite(r)
        if finite.any():
            scale = np.max(np.abs(r[finite]))
            np.testing.assert_allclose(
                g[finite], r[finite], rtol=ULPS * EPS, atol=ULPS * EPS * scale
            )


def _both(fn, *args):
    """``fn(*args)`` on the numpy path, then with kernels for every size."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with dd.use_numba(False):
            ref = fn(*args)
        with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
            got = fn(*args)
    return got, ref


def _sample(rng, domain, n=40):
    lo, hi = domain
    inner = rng.uniform(lo, hi, n)
    return np.concatenate([inner, EDGES, [lo, hi, np.nextafter(lo, -np.inf)]])


def _random_parts(rng, x, kind):
    n = x.shape
    if kind == "dual":
        return dd.Dual(x, rng.normal(size=n))
    return dd.HyperDual(x, rng.normal(size=n), rng.normal(size=n), rng.normal(size=n))


# ---------------------------------------------------------------- every rule, both types


SEEDED = {"sqrt", "log", "arcsin", "arccosh", "cbrt", "exp", "absolute", "power", "arctan2",
          "maximum"}  # fmt: skip
"""Rules also checked on Dual numbers and with the drivers' seeds (structural zeros ``Z``, ones
``O``) and constant operands. Every rule is checked on HyperDual numbers, which evaluate all
of ``f0, f1, f2`` (a Dual uses ``f0, f1``); the Dual templates and the seed and constant
readers are the same code for every rule, so they are checked on these: the rules with
singular points or kinks, where a structural zero and a real zero differ (``sqrt'(0) = inf``).
Each (rule, template, seeds) is a kernel of its own that costs about a second to compile, and
CI compiles every kernel the tests use from scratch."""


@pytest.mark.parametrize("name", sorted(CORE_UNARY))
def test_unary_rule(name):
    rule = CORE_UNARY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = _sample(rng, rule.domain)
    for kind in ("dual", "hyper") if name in SEEDED else ("hyper",):
        assert_parity(*_both(rule.ufunc, _random_parts(rng, x, kind)))
    if name in SEEDED:
        # seeded: eps1 = eps2 = the ONE seed, eps12 the ZERO seed of _algebra.filled
        assert_parity(*_both(lambda v: dd.value_and_derivatives(rule.ufunc, v), x))
        assert_parity(*_both(lambda v: dd.derivative(rule.ufunc, v), x))  # Dual, the ONE seed


@pytest.mark.parametrize("name", sorted(CORE_BINARY))
def test_binary_rule(name):
    rule = CORE_BINARY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = _sample(rng, rule.domain[0])
    y = _sample(rng, rule.domain[1])
    y = np.concatenate([y[: x.size - EDGES.size - 3], EDGES[::-1], y[-3:]])  # edges meet edges
    for kind in ("dual", "hyper") if name in SEEDED else ("hyper",):
        dx, dy = _random_parts(rng, x, kind), _random_parts(rng, y, kind)
        assert_parity(*_both(rule.ufunc, dx, dy))
        if name in SEEDED:
            assert_parity(*_both(rule.ufunc, dx, y))  # constant second operand
            assert_parity(*_both(rule.ufunc, x, dy))  # constant first operand
    if name in SEEDED:  # seeded operands (ONE and ZERO seeds), with a constant and each other
        f = rule.ufunc
        assert_parity(*_both(lambda v: dd.value_and_derivatives(lambda t: f(t, y), v), x))
        assert_parity(*_both(lambda v: dd.derivative(lambda t: f(t, y), v), x))
        assert_parity(*_both(lambda v: dd.value_and_derivatives(lambda t: f(t, t), v), x))


@pytest.mark.parametrize("kind", ["dual", "hyper"])
@pytest.mark.parametrize("op", [operator.mul, operator.truediv])
def test_product_and_quotient(kind, op):
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(size=40), EDGES])
    y = np.concatenate([rng.normal(size=40), EDGES[::-1]])
    assert_parity(*_both(op, _random_parts(rng, x, kind), _random_parts(rng, y, kind)))
    if op is operator.truediv:  # c / y
        assert_parity(*_both(op, x, _random_parts(rng, y, kind)))


@pytest.mark.parametrize("kind", ["dual", "hyper"])
@pytest.mark.parametrize("op", [operator.add, operator.sub])
def test_sum_and_difference(kind, op, monkeypatch):
    """x ± y never reaches the kernel layer (a linear operation: one numpy operation per
    component moves the same bytes, see FALLBACKS) and is the componentwise sum/difference."""
    from dualdiff import _engine
    from dualdiff._algebra import ADD, SUBTRACT

    _engine._KERNELS or _engine._load_kernels()
    seen = []
    monkeypatch.setattr(_kernels, "run", lambda o, *a, **k: seen.append(o))  # declines all
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.normal(size=40), EDGES])
    y = np.concatenate([rng.normal(size=40), EDGES[::-1]])
    a, b = _random_parts(rng, x, kind), _random_parts(rng, y, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
            r = op(a, b)
            s = op(a, 2.5)
            t = dd.value_and_derivatives(lambda v: op(v, np.sin(v)), x)
    assert ADD not in seen and SUBTRACT not in seen
    assert any(o is not ADD and o is not SUBTRACT for o in seen)  # the spy does see sin
    for got, p, q in zip(_parts(r), _parts(a), _parts(b)):
        np.testing.assert_array_equal(got, op(p, q))
    np.testing.assert_array_equal(s.value, op(x, 2.5))
    sign = 1.0 if op is operator.add else -1.0
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(t[1], 1.0 + sign * np.cos(x))


@pytest.mark.parametrize("kind", ["dual", "hyper"])
@pytest.mark.parametrize("p", [2.0, 3.0, 0.5, -1.0, 0.0, 1.0, -2.5])
def test_power_constant_exponent(kind, p):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-3.0, 3.0, 40), EDGES])
    assert_parity(*_both(lambda z: z**p, _random_parts(rng, x, kind)))


# ---------------------------------------------------------------- layouts and modes


def _hyper(rng, shape, k1=None, k2=None, shared=False):
    d1 = () if k1 is None else (k1,)
    d2 = () if k2 is None else (k2,)
    e1 = rng.normal(size=shape + d1)
    return dd.HyperDual(
        rng.uniform(0.1, 2.0, shape),
        e1,
        e1 if shared else rng.normal(size=shape + d2),
        rng.normal(size=shape + d1 + d2),
    )


LAYOUTS = {
    "transposed": lambda h: np.sin(h.T),
    "strided": lambda h: np.log(h[::2, ::3]),
    "reversed": lambda h: np.exp(h[::-1, ::-2]),
    "broadcast rule": lambda h: np.arctan2(h[:, :1], h[:1, :]),
    "broadcast product": lambda h: h[:, :1] * h[:1, :],
    "broadcast quotient": lambda h: h[:, :1] / h[1:2, :],
    "broadcast constant": lambda h: np.hypot(h, np.arange(8.0)),
    "0-d with array": lambda h: np.hypot(h[0, 0], h),
    "0-d binary": lambda h: np.arctan2(h[0, 0], h[1, 1]),
    "composition": lambda h: np.exp(np.sin(h)) / (1 + h**2) + np.sqrt(h) * np.log1p(h),
}


@pytest.mark.usefixtures("kernels")
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("kind", ["dual", "hyper", "hyper shared"])
def test_layouts(layout, kind):
    rng = np.random.default_rng(11)
    shape = (6, 8)
    if kind == "dual":
        z = dd.Dual(rng.uniform(0.1, 2.0, shape), rng.normal(size=shape))
    else:
        z = _hyper(rng, shape, shared=kind == "hyper shared")
    assert_parity(*_both(LAYOUTS[layout], z))


@pytest.mark.parametrize(
    "modes", [(3, None), (None, 2), (3, 2), (3, 3)], ids=["y", "z", "yz", "yz-shared"]
)
def test_vector_modes(modes):
    rng = np.random.default_rng(5)
    k1, k2 = modes
    h = _hyper(rng, (5, 4), k1, k2, shared=k1 == k2)
    assert_parity(*_both(LAYOUTS["composition"], h))
    assert_parity(*_both(lambda v: np.arctan2(v, v[::-1]) * np.maximum(v, 1.0), h))
    d = dd.Dual(h.value, rng.normal(size=(5, 4, 3)))
    assert_parity(*_both(LAYOUTS["composition"], d))


def test_drivers():
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 2.0, 6)

    def f(t):
        return np.sum(np.exp(np.sin(t)) / (1 + t**2) + np.sqrt(t) * np.log1p(t * t))

    for driver, args in (
        (dd.gradient, (f, x)),
        (dd.hessian, (f, x)),
        (dd.hvp, (f, x, rng.normal(size=6))),
        (dd.jacobian, (lambda t: np.sin(t) * np.cos(t[::-1]) / (2 + t), x)),
        (dd.value_and_derivatives, (LAYOUTS["composition"], x)),
        (dd.derivative, (LAYOUTS["composition"], x)),
    ):
        got, ref = _both(driver, *args)
        assert_parity(
            got if isinstance(got, tuple) else (got,), ref if isinstance(ref, tuple) else (ref,)
        )


def test_empty_and_no_direction():
    e = dd.HyperDual(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)))
    assert_parity(*_both(lambda h: np.sin(h) * h / h, e))
    # a direction axis of length 0 on a non-empty array: nothing to loop over, numpy path
    d = dd.Dual(np.ones(4), np.zeros((4, 0)))
    assert_parity(*_both(np.sin, d))


def test_sharing_is_kept(kernels):
    h = _hyper(np.random.default_rng(0), (50,), shared=True)
    for y in (np.sin(h), h * h, h / np.exp(h), np.hypot(h, 2.0), h**3.0):
        assert y.eps1 is y.eps2
    assert (h * _hyper(np.random.default_rng(1), (50,))).eps1 is not None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_threads_after_fork(threads):
    h = _hyper(np.random.default_rng(9), (2000,), shared=True)
    expected = np.sin(h).eps12
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child has no worker threads: they are started afresh
        ok = np.array_equal(np.sin(h).eps12, expected)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"1"


def test_thread_count_follows_numba():
    numba = pytest.importorskip("numba")
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert kthreads.num_threads() == 1
    finally:
        numba.set_num_threads(before)
    assert kthreads.num_threads() == before


def test_parallel_matches_serial(threads, monkeypatch):
    rng = np.random.default_rng(4)
    h = _hyper(rng, (1001,), shared=True)
    f = LAYOUTS["composition"]
    split = []
    run = kthreads._Workers.run
    monkeypatch.setattr(kthreads._Workers, "run", lambda w, *a: split.append(a[2]) or run(w, *a))
    par = f(h)
    assert split and set(split) == {2}
    with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
        ser = f(h)
    for p, s in zip(par._parts(), ser._parts()):
        np.testing.assert_array_equal(p, s)


def test_threads_only_where_they_pay(monkeypatch):
    """A kernel's first two calls run on one thread and are timed; threads only if one
    thread would take PARALLEL_MIN_SECONDS."""
    split = []
    monkeypatch.setattr(kthreads, "COST", {})
    monkeypatch.setattr(kthreads, "num_threads", lambda: 2)
    monkeypatch.setattr(
        kthreads._Workers,
        "run",
        lambda w, fn, n, t, prm, args: split.append(t) or fn(0, n, prm, args),
    )
    h = _hyper(np.random.default_rng(5), (4000,), shared=True)
    with dd.use_numba(True, threshold=0, parallel_threshold=0):
        monkeypatch.setattr(kthreads, "PARALLEL_MIN_SECONDS", 1e9)
        for _ in range(4):
            np.sin(h)
        assert split == [] and [c[1] for c in kthreads.COST.values()] == [2]
        monkeypatch.setattr(kthreads, "PARALLEL_MIN_SECONDS", 0.0)
        np.sin(h)
        assert split == [2]


def test_output_memory_is_recycled(kernels):
    """Outputs of POOLED bytes and more reuse the blocks of outputs that died (fresh memory
    page-faults); never the memory of an output still alive."""
    h = _hyper(np.random.default_rng(6), (memory.POOLED // 8,))
    y = np.sin(h)
    addresses = {p.ctypes.data for p in y._parts()}
    expected = [p.copy() for p in y._parts()]
    del y
    z = np.sin(h)  # reuses the memory y held
    assert {p.ctypes.data for p in z._parts()} == addresses
    for p, e in zip(z._parts(), expected):
        np.testing.assert_array_equal(p, e)
    w = np.sin(h)  # while z lives, never its memory
    assert not np.shares_memory(w.value, z.value) and not np.shares_memory(w.eps12, z.eps12)


def test_outputs_never_alias_live_arrays(kernels):
    h = _hyper(np.random.default_rng(6), (300,))
    z = np.sin(h)
    expected = [p.copy() for p in z._parts()]
    w = np.sin(h)
    assert not np.shares_memory(w.value, z.value) and not np.shares_memory(w.eps12, z.eps12)
    for p, e in zip(z._parts(), expected):
        np.testing.assert_array_equal(p, e)


def test_large_output_memory_is_recycled(kernels):
    """Blocks of MAPPED bytes and more are mappings, kept for reuse after MADV_FREE."""
    if memory.BLOCKS.limit == 0:
        pytest.skip("no anonymous mappings with MADV_FREE here: large outputs are np.empty")
    n = memory.MAPPED // 8
    h = _hyper(np.random.default_rng(7), (n,))
    y = np.sin(h)
    addresses = {p.ctypes.data for p in y._parts()}
    expected = [p.copy() for p in y._parts()]
    del y
    z = np.sin(h)
    assert {p.ctypes.data for p in z._parts()} == addresses
    for p, e in zip(z._parts(), expected):
        np.testing.assert_array_equal(p, e)
    w = z.value[::2]  # a view keeps its block from reuse after z is gone
    del z
    v = np.sin(h)
    assert not np.shares_memory(v.value, w)
    np.testing.assert_array_equal(w, expected[0][::2])


def test_large_blocks_are_not_kept_without_madv_free(monkeypatch):
    blocks = memory.LargeBlocks()
    if blocks.limit == 0:
        pytest.skip("large blocks are never mapped here")
    monkeypatch.setattr(blocks, "_release", lambda owner: False)
    arr = blocks.empty((memory.MAPPED // 8,))
    del arr
    assert blocks.kept == 0 and not blocks.free


def test_platform_without_anonymous_mappings(monkeypatch, kernels):
    """Windows has no MAP_PRIVATE | MAP_ANONYMOUS: large outputs are plain arrays, and the
    results are those of the numpy path."""
    import mmap

    for flag in ("MAP_ANONYMOUS", "MAP_PRIVATE", "MADV_FREE"):
        monkeypatch.delattr(mmap, flag, raising=False)
    blocks = memory.LargeBlocks()
    assert blocks.limit == 0
    arr = blocks.empty((memory.MAPPED // 8 + 1,))
    assert type(arr) is np.ndarray and arr.base is None and arr.flags.owndata
    monkeypatch.setattr(memory, "BLOCKS", blocks)
    monkeypatch.setattr(memory, "empty", blocks.empty)
    x = np.linspace(0.1, 2.0, memory.MAPPED // 8 + 1)
    assert_parity(*_both(lambda v: dd.value_and_derivatives(LAYOUTS["composition"], v), x))


@pytest.mark.parametrize("name", ["exp", "sin", "cos", "log", "log1p", "sqrt"])
def test_vectorised_values_against_mpmath(name, kernels):
    """The unit-stride loops (libmvec's vector functions, log1p through log) against mpmath:
    the value, f' and f'' within 4 ulp of the correctly rounded result."""
    mpmath = pytest.importorskip("mpmath")
    ufunc = getattr(np, name)
    mp_f = getattr(mpmath, name)
    rng = np.random.default_rng(11)
    lo, hi = CORE_UNARY[ufunc.__name__].domain
    x = rng.uniform(max(lo, 1e-3) if name in ("log", "sqrt") else lo, hi, 257)
    got = dd.value_and_derivatives(ufunc, x)
    with mpmath.workdps(40):
        for part, k in zip(got, range(3)):
            ref = np.array([float(mpmath.diff(mp_f, mpmath.mpf(v), k)) for v in x])
            ulps = np.abs(part - ref) / np.spacing(np.abs(ref))
            assert ulps.max() <= 4, (name, k, ulps.max())


def test_vector_math_only_for_the_cpu_that_has_it():
    ir = "%y = call <8 x double> @llvm.exp.v8f64(<8 x double> %x)\n" + (
        "%z = call <4 x double> @llvm.sqrt.v4f64(<4 x double> %x)"
    )
    assert mvec.vector_math(ir, "+avx2,-avx512f") == ir  # AVX-512 variant: not here
    swapped = mvec.vector_math(ir, "+avx2,+avx512f")
    assert "@llvm.sqrt.v4f64" in swapped  # libmvec has no sqrt: the instruction stays
    if mvec.libmvec() is not None:
        assert "@_ZGVeN8v_exp(" in swapped and "llvm.exp" not in swapped


# ---------------------------------------------------------------- dispatch and switches


def test_threshold_selects_the_path(monkeypatch):
    calls = []
    real = _kernels.run
    monkeypatch.setattr(_kernels, "run", lambda op, *a: calls.append(op.ufunc) or real(op, *a))
    x = dd.Dual(np.linspace(0.1, 1.0, 100), np.ones(100))
    with dd.use_numba(True, threshold=101):
        np.sin(x)
    assert calls == []
    with dd.use_numba(True, threshold=100):
        np.sin(x)
    assert calls == [np.sin]
    with dd.use_numba(False, threshold=0):
        np.sin(x)
    assert len(calls) == 1


def test_use_numba_returns_previous_and_restores():
    before = dd.use_numba()
    try:
        previous = dd.use_numba(False, threshold=5)
        assert previous == before and bool(previous) == before.enabled
        assert not _config.current().enabled and _config.current().threshold == 5
        with dd.use_numba(True, threshold=7, parallel_threshold=9) as inside:
            assert inside.threshold == 5
            now = _config.current()
            assert now.threshold == 7 and now.parallel_threshold == 9
        assert _config.current().threshold == 5 and not _config.current().enabled
    finally:
        dd.use_numba(before.enabled, before.threshold, before.parallel_threshold)
    with pytest.raises(ValueError, match="threshold"):
        dd.use_numba(threshold=-1)
    with pytest.raises(ValueError, match="whole number"):
        dd.use_numba(threshold=2.5)


def test_settings_are_per_thread():
    """Two threads that enter and leave use_numba(False) out of order change neither each
    other's settings nor those of the main thread (contextvars)."""
    import threading

    before = _config.current()
    entered = [threading.Event(), threading.Event()]
    leave = [threading.Event(), threading.Event()]
    seen = {}

    def worker(i):
        seen[i, "start"] = _config.current()
        with dd.use_numba(False, threshold=10 + i):
            entered[i].set()
            leave[i].wait(10)
            seen[i, "inside"] = _config.current()
        seen[i, "after"] = _config.current()

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for e in entered:
        e.wait(10)
    leave[0].set()  # the first to enter leaves first: out of order with respect to a stack
    ts[0].join(10)
    leave[1].set()
    ts[1].join(10)
    for i in range(2):
        assert seen[i, "start"] == _config.DEFAULTS
        assert seen[i, "inside"].threshold == 10 + i and not seen[i, "inside"].enabled
        assert seen[i, "after"] == _config.DEFAULTS
    assert _config.current() == before


def test_scipy_special_rules_stay_on_numpy(kernels):
    sc = pytest.importorskip("scipy.special")
    x = dd.Dual(np.linspace(-1.0, 1.0, 30), np.ones(30))
    assert_parity(*_both(sc.erf, x))
    assert not any("erf" in k for k in _kernels.compiled_kernels())


def _run(code: str, **env) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_import_does_not_load_numba():
    out = _run(
        """
        import sys, json
        import dualdiff
        heavy = ("numba", "llvmlite", "dualdiff._kernels", "dualdiff._kernels.store")
        print(json.dumps([m for m in heavy if m in sys.modules]))
        """
    )
    assert json.loads(out) == []


def test_environment_switches():
    out = _run(
        """
        import json, sys
        import numpy as np
        import dualdiff as dd
        from dualdiff import _kernels
        s = dd.use_numba(True, threshold=0)
        np.sin(dd.Dual(np.ones(3), np.ones(3)))
        used = _kernels.compiled_kernels()
        print(json.dumps([s.enabled, s.threshold, used, "numba" in sys.modules]))
        """,
        DUALDIFF_DISABLE_NUMBA="1",
        DUALDIFF_NUMBA_THRESHOLD="1234",
    )
    assert json.loads(out) == [False, 1234, {}, False]


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"DUALDIFF_DISABLE_NUMBA": "2"}, "DUALDIFF_DISABLE_NUMBA='2' is not understood"),
        ({"DUALDIFF_NUMBA_THRESHOLD": "inf"}, "DUALDIFF_NUMBA_THRESHOLD='inf' is not a non-neg"),
        ({"DUALDIFF_NUMBA_THRESHOLD": "-3"}, "DUALDIFF_NUMBA_THRESHOLD='-3' is not a non-neg"),
        ({"DUALDIFF_NUMBA_PARALLEL_THRESHOLD": "lots"}, "DUALDIFF_NUMBA_PARALLEL_THRESHOLD='lo"),
    ],
)
def test_environment_is_validated(env, expected):
    """A bad value warns, naming the variable and the accepted values, and is ignored."""
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import dualdiff as dd; print(dd.use_numba())"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=True,
    )
    assert expected in done.stderr and "accepted" in done.stderr
    defaults = (_config.DEFAULT_THRESHOLD, _config.DEFAULT_PARALLEL_THRESHOLD)
    assert f"threshold={defaults[0]}, parallel_threshold={defaults[1]}" in done.stdout
    assert "enabled=True" in done.stdout


_SECOND_PROCESS = """
    import json, sys, time
    import numpy as np
    import dualdiff as dd
    from dualdiff import _kernels
    x = np.linspace(0.1, 2.0, 300)
    dd.use_numba(True, threshold=0)
    y = dd.derivative(lambda t: np.exp(np.sqrt(t)), x)
    how = sorted(set(_kernels.compiled_kernels().values()))
    heavy = [m for m in ("numba", "llvmlite.binding") if m in sys.modules]
    print(json.dumps([float(np.sum(y)), how, heavy]))
"""
"""Two kernels (sqrt on the ONE seed, exp on its result); the result is checked against the
analytic derivative ``e^√t / (2√t)`` by :func:`_expected`."""


def _expected() -> float:
    t = np.linspace(0.1, 2.0, 300)
    return float(np.sum(np.exp(np.sqrt(t)) * 0.5 / np.sqrt(t)))


def _close(value: float) -> bool:
    return abs(value - _expected()) <= 1e-13 * abs(_expected())


def _private_copy(src, dst):
    """A copy of a store that the store accepts: directories 0700, files without group or
    other bits (copytree would create the directories with the umask's mode)."""
    import shutil

    shutil.copytree(src, dst)
    for path in [dst, *dst.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    return dst


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory):
    """A store filled by a first process, and what that process computed."""
    root = tmp_path_factory.mktemp("filled")
    first = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(root)))
    return root, first


@pytest.mark.xdist_group("filled_store")  # one process builds the filled store once
def test_store_is_used_by_a_second_process(filled_store, tmp_path):
    """With a C compiler: shared libraries, opened by a later process with ctypes alone."""
    assert store._compiler()[0] is not None, "CI and developer machines have a C compiler"
    root, first = filled_store
    files = sorted(p.name for p in root.rglob("*-*.*"))
    assert "dual_unary-sqrt-O.so" in files and "dual_unary-sqrt-O.json" in files
    copy = _private_copy(root, tmp_path / "store")
    second = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(copy)))
    assert first[1:] == [["compiled"], ["numba", "llvmlite.binding"]]
    assert second[1:] == [["loaded"], []]  # neither Numba nor llvmlite imported
    assert second[0] == first[0] and _close(first[0])


@pytest.mark.parametrize("cc", ["false", "/nonexistent/cc"])
def test_store_without_a_working_c_compiler(tmp_path, cc):
    """Where linking fails (a compiler that fails, or none found), kernels are compiled in
    every process and nothing is written; results are the same."""
    out = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(tmp_path), CC=cc))
    assert not [p for p in tmp_path.rglob("*") if p.suffix in (".so", ".json")]
    assert out[1] == ["compiled, this process only"] and _close(out[0])


def test_without_a_usable_store_kernels_compile_in_process(tmp_path):
    """HOME unset and no DUALDIFF_CACHE_DIR: never a shared temporary directory."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "DUALDIFF_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = ""
    env["TMPDIR"] = str(tmp_path)
    code = textwrap.dedent(_SECOND_PROCESS).replace(
        "import dualdiff as dd",
        "import os.path; os.path.expanduser = lambda p: p\nimport dualdiff as dd",
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out[1] == ["compiled, this process only"] and _close(out[0])
    assert list(tmp_path.iterdir()) == []  # nothing written to the temporary directory


@pytest.mark.xdist_group("filled_store")
@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "swap"])
def test_a_damaged_store_entry_is_compiled_again(filled_store, tmp_path, damage):
    """A truncated, altered, garbage or swapped library is never loaded: the kernel is
    compiled afresh, the result is right, and the store is healthy again afterwards."""
    root, first = filled_store
    copy = _private_copy(root, tmp_path / "store")
    libs = sorted(copy.rglob("*.so"))
    data = libs[0].read_bytes()
    if damage == "swap":
        libs[0].write_bytes(libs[1].read_bytes())
        libs[1].write_bytes(data)
    elif damage == "truncate":
        libs[0].write_bytes(data[:100])
    elif damage == "flip":
        mid = len(data) // 2
        libs[0].write_bytes(data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :])
    else:
        libs[0].write_bytes(os.urandom(len(data)))
    second = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(copy)))
    assert "compiled" in second[1] and second[0] == first[0] and _close(second[0])
    third = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(copy)))
    assert third[1:] == [["loaded"], []] and third[0] == first[0]


def test_cache_info_and_clear(tmp_path):
    out = _run(
        """
        import json
        import numpy as np
        import dualdiff as dd
        dd.use_numba(True, threshold=0)
        np.sin(dd.Dual(np.ones(3), np.ones(3)))
        before = dd.cache_info()
        freed = dd.clear_cache()
        after = dd.cache_info()
        print(json.dumps([before["usable"], before["kernels"], freed > 0, after["kernels"]]))
        """,
        DUALDIFF_CACHE_DIR=str(tmp_path),
    )
    assert json.loads(out) == [True, 1, True, 0]


def test_command_line(tmp_path):
    env = {**os.environ, "DUALDIFF_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "dualdiff", "cache", "info"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    info = json.loads(done.stdout)
    assert info["usable"] and info["root"] == str(tmp_path)


def test_common_kernels_cover_what_the_drivers_use():
    """Every kernel the W2 drivers build is in the precompiled set."""
    out = _run(
        """
        import json
        import numpy as np
        import dualdiff as dd
        from dualdiff import _kernels
        from dualdiff.testing import bench_f
        dd.use_numba(True, threshold=0)
        x = np.linspace(0.1, 2.0, 50)
        dd.value_and_derivatives(bench_f, x)
        dd.jvp(bench_f, x, np.ones(50))
        print(json.dumps(sorted(_kernels.compiled_kernels())))
        """
    )
    common = {registry.name_of(*k) for k in registry.common_kernels()}
    used = set(json.loads(out))
    assert used and used <= common, used - common


def test_numba_missing_gives_one_warning_and_the_numpy_path(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "always",
            "-c",
            textwrap.dedent(
                """
                import sys
                sys.modules["numba"] = None  # as if Numba were not installed
                import json
                import numpy as np
                import dualdiff as dd
                dd.use_numba(True, threshold=0)
                x = np.linspace(0.1, 2.0, 50)
                a = dd.value_and_derivatives(np.sin, x)
                b = dd.value_and_derivatives(np.exp, x)
                print(json.dumps([float(a.second.sum()), float(b.second.sum())]))
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DUALDIFF_CACHE_DIR": str(tmp_path)},
        check=True,
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    x = np.linspace(0.1, 2.0, 50)
    np.testing.assert_allclose(got, [-np.sin(x).sum(), np.exp(x).sum()], rtol=1e-13)
    assert done.stderr.count("compiled kernels are off") == 1
    assert "Numba" in done.stderr


def test_first_compile_is_announced_once(tmp_path):
    """A compile says so once: a logging record always, a warning in an interactive session."""
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "always",
            "-c",
            textwrap.dedent(
                """
                import logging, sys
                sys.ps1 = ">>> "  # as in an interactive session
                logging.basicConfig(level=logging.INFO, format="LOG %(name)s %(message)s")
                import numpy as np
                import dualdiff as dd
                dd.use_numba(True, threshold=0)
                dd.derivative(np.sin, np.ones(3))
                dd.derivative(np.cos, np.ones(3))
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DUALDIFF_CACHE_DIR": str(tmp_path)},
        check=True,
    )
    assert done.stderr.count("CompileNotice") == 1
    assert done.stderr.count("LOG dualdiff dualdiff: compiling kernels") == 1
    assert "python -m dualdiff precompile" in done.stderr


@pytest.mark.parametrize("name", sorted(_kernels.abi.TEMPLATES))
def test_scalar_packer_matches_the_documented_layout(name):
    """The scalar-mode packer against the layout written out from the ABI's description:
    header (k1, k2, shared), each component's address followed by its unit strides, then
    the outputs' addresses; read back from the address the kernel will get."""
    import ctypes

    parts, operands = _kernels.abi.TEMPLATES[name]
    comps = [(1 << 40) + 8 * i for i in range(parts * operands)]
    outs = [(1 << 41) + 8 * i for i in range(parts)]
    expected = [1, 1, 1]
    strides = {2: (1, 2), 4: (1, 2, 2, 3)}[parts]
    for j, c in enumerate(comps):
        expected += [c] + [1] * strides[j % parts]
    expected += outs
    keep, address = _kernels.abi.scalar_packer(name)([1, *comps, *outs, 1])
    got = list((ctypes.c_int64 * len(expected)).from_address(address))
    assert got == expected
    del keep
