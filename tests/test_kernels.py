"""Numba kernels against the numpy path: every compiled rule, both number types, every layout.

The numpy path is the reference. A kernel result must have the same type, mode, shapes and
sharing (``eps1 is eps2``), the same non-finite entries, and finite entries within
``ULPS`` units in the last place of the component's scale (libm and numpy's SIMD functions
differ by an ulp or two, which a sum of products can carry into a small result).

Compiling is the slow part: about half a second per kernel on a 2-core machine (Numba, then
the link into a shared library), and a first run compiles about 165 of them; later runs load
them from the disk cache in about a millisecond each. Each test compiles a few kernels on small
arrays, and the layout tests reuse them.
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
from dualdiff import _config, _kernel_cache, _kernels
from dualdiff._rules import BINARY_RULES, UNARY_RULES

pytest.importorskip("numba")

ULPS = 8
EPS = np.finfo(float).eps
EDGES = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 0.5, 2.0])

CORE_UNARY = {u.__name__: r for u, r in UNARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"}
CORE_BINARY = {
    u.__name__: r for u, r in BINARY_RULES.items() if r.fn.__module__ == "dualdiff._rules"
}


@pytest.fixture
def kernels():
    """Kernels for every size, on one thread."""
    with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
        yield


class _Heavy(dict):
    """A cost table in which every kernel is known and heavy: every call takes threads."""

    def get(self, key, default=None):
        return [1.0, 2]


@pytest.fixture
def threads(monkeypatch):
    """Kernels for every size, every call split over two threads."""
    monkeypatch.setattr(_kernels, "_COST", _Heavy())
    monkeypatch.setattr(_kernels, "num_threads", lambda: 2)
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


@pytest.mark.parametrize("name", sorted(CORE_UNARY))
def test_unary_rule(name):
    rule = CORE_UNARY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = _sample(rng, rule.domain)
    for kind in ("dual", "hyper"):
        assert_parity(*_both(rule.ufunc, _random_parts(rng, x, kind)))
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
    for kind in ("dual", "hyper"):
        dx, dy = _random_parts(rng, x, kind), _random_parts(rng, y, kind)
        assert_parity(*_both(rule.ufunc, dx, dy))
        assert_parity(*_both(rule.ufunc, dx, y))  # constant second operand
        assert_parity(*_both(rule.ufunc, x, dy))  # constant first operand
    # seeded operands (ONE and ZERO seeds), with a constant and with each other
    assert_parity(*_both(lambda v: dd.value_and_derivatives(lambda t: rule.ufunc(t, y), v), x))
    assert_parity(*_both(lambda v: dd.derivative(lambda t: rule.ufunc(t, y), v), x))
    assert_parity(*_both(lambda v: dd.value_and_derivatives(lambda t: rule.ufunc(t, t), v), x))


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
def test_sum_and_difference(kind, op):
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.normal(size=40), EDGES])
    y = np.concatenate([rng.normal(size=40), EDGES[::-1]])
    assert_parity(*_both(op, _random_parts(rng, x, kind), _random_parts(rng, y, kind)))
    # seeded operands carry the structural zero; x + c stays on the numpy path
    assert_parity(*_both(lambda v: dd.value_and_derivatives(lambda t: op(t, t * t), v), x))


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
    d = dd.Dual(h.real, rng.normal(size=(5, 4, 3)))
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
        assert _kernels.num_threads() == 1
    finally:
        numba.set_num_threads(before)
    assert _kernels.num_threads() == before


def test_parallel_matches_serial(threads, monkeypatch):
    rng = np.random.default_rng(4)
    h = _hyper(rng, (1001,), shared=True)
    f = LAYOUTS["composition"]
    split = []
    run = _kernels._Workers.run
    monkeypatch.setattr(_kernels._Workers, "run", lambda w, *a: split.append(a[2]) or run(w, *a))
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
    monkeypatch.setattr(_kernels, "_COST", {})
    monkeypatch.setattr(_kernels, "num_threads", lambda: 2)
    monkeypatch.setattr(
        _kernels._Workers, "run", lambda w, fn, n, t, args: split.append(t) or fn(0, n, *args)
    )
    h = _hyper(np.random.default_rng(5), (4000,), shared=True)
    with dd.use_numba(True, threshold=0, parallel_threshold=0):
        monkeypatch.setattr(_kernels, "PARALLEL_MIN_SECONDS", 1e9)
        for _ in range(4):
            np.sin(h)
        assert split == [] and [c[1] for c in _kernels._COST.values()] == [2]
        monkeypatch.setattr(_kernels, "PARALLEL_MIN_SECONDS", 0.0)
        np.sin(h)
        assert split == [2]


def test_output_memory_is_recycled(kernels):
    h = _hyper(np.random.default_rng(6), (300,))
    y = np.sin(h)
    addresses = {p.ctypes.data for p in y._parts()}
    expected = [p.copy() for p in y._parts()]
    del y
    z = np.sin(h)  # reuses the memory y held
    assert {p.ctypes.data for p in z._parts()} == addresses
    for p, e in zip(z._parts(), expected):
        np.testing.assert_array_equal(p, e)
    w = np.sin(h)  # while z lives, never its memory
    assert not np.shares_memory(w.real, z.real) and not np.shares_memory(w.eps12, z.eps12)


def test_large_output_memory_is_recycled(kernels):
    """Blocks of MAPPED bytes and more are mappings, kept for reuse after MADV_FREE."""
    n = _kernels._Buffers.MAPPED // 8
    h = _hyper(np.random.default_rng(7), (n,))
    y = np.sin(h)
    addresses = {p.ctypes.data for p in y._parts()}
    expected = [p.copy() for p in y._parts()]
    del y
    if _kernels._BUFFERS.large_total == 0:
        pytest.skip("MADV_FREE is unavailable here: large blocks go back to the system")
    z = np.sin(h)
    assert {p.ctypes.data for p in z._parts()} == addresses
    for p, e in zip(z._parts(), expected):
        np.testing.assert_array_equal(p, e)
    w = z.real[::2]  # a view keeps its block from reuse after z is gone
    del z
    v = np.sin(h)
    assert not np.shares_memory(v.real, w)
    np.testing.assert_array_equal(w, expected[0][::2])


def test_large_blocks_are_not_kept_without_madv_free(kernels, monkeypatch):
    buffers = _kernels._Buffers()
    monkeypatch.setattr(buffers, "_release", lambda owner: False)
    arr, _ = buffers.empty((buffers.MAPPED // 8,))
    del arr
    assert buffers.total == 0 and not buffers.free
    small, _ = buffers.empty((100,))
    del small  # small blocks come from numpy and are kept either way
    assert buffers.total == 800


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
    assert _kernel_cache.vector_math(ir, "+avx2,-avx512f") == ir  # AVX-512 variant: not here
    swapped = _kernel_cache.vector_math(ir, "+avx2,+avx512f")
    assert "@llvm.sqrt.v4f64" in swapped  # libmvec has no sqrt: the instruction stays
    if _kernel_cache._libmvec() is not None:
        assert "@_ZGVeN8v_exp(" in swapped and "llvm.exp" not in swapped


def test_loader_rejects_what_it_cannot_link():
    loader = _kernel_cache._loader()
    if loader is None:
        pytest.skip("no object-code loader on this platform")
    assert loader.load_bytes(b"not an object file", "kernel", "dual_unary") is None
    assert loader.load_bytes(b"\x7fELF\x02\x01" + bytes(58), "kernel", "dual_unary") is None


# ---------------------------------------------------------------- dispatch and switches


def test_threshold_selects_the_path(monkeypatch):
    calls = []
    real = _kernels._kernel
    monkeypatch.setattr(_kernels, "_kernel", lambda key: calls.append(key) or real(key))
    x = dd.Dual(np.linspace(0.1, 1.0, 100), np.ones(100))
    with dd.use_numba(True, threshold=101):
        np.sin(x)
    assert calls == []
    with dd.use_numba(True, threshold=100):
        np.sin(x)
    assert calls == [("dual_unary", "rule:_sin", "A")]
    with dd.use_numba(False, threshold=0):
        np.sin(x)
    assert len(calls) == 1


def test_use_numba_returns_previous_and_restores():
    before = dd.use_numba()
    try:
        previous = dd.use_numba(False, threshold=5)
        assert previous == before and bool(previous) == before.enabled
        assert not _config.SETTINGS.enabled and _config.SETTINGS.threshold == 5
        with dd.use_numba(True, threshold=7, parallel_threshold=9) as inside:
            assert inside.threshold == 5
            assert _config.SETTINGS.threshold == 7 and _config.SETTINGS.parallel_threshold == 9
        assert _config.SETTINGS.threshold == 5 and not _config.SETTINGS.enabled
    finally:
        dd.use_numba(before.enabled, before.threshold, before.parallel_threshold)
    with pytest.raises(ValueError, match="threshold"):
        dd.use_numba(threshold=-1)


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
        heavy = ("numba", "llvmlite", "dualdiff._kernels")
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


_SECOND_PROCESS = """
    import json, sys, time
    import numpy as np
    import dualdiff as dd
    from dualdiff import _kernels
    x = np.linspace(0.1, 2.0, 300)
    dd.use_numba(True, threshold=0)
    y = dd.value_and_derivatives(lambda t: np.sqrt(t) * np.log1p(t), x)
    how = sorted(set(_kernels.compiled_kernels().values()))
    heavy = [m for m in ("numba", "llvmlite.binding") if m in sys.modules]
    print(json.dumps([float(np.sum(y.second)), how, heavy]))
"""


def test_disk_cache_is_used_by_a_second_process(tmp_path):
    """With a C compiler: shared libraries, opened by a later process with ctypes alone."""
    if _kernel_cache._compiler() is None:
        pytest.skip("no C compiler here: test_disk_cache_without_a_c_compiler covers this")
    first = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(tmp_path)))
    files = sorted(p.name for p in tmp_path.rglob("*-*.*"))
    assert any(name.startswith("hyper_binary-product") and name.endswith(".so") for name in files)
    assert not any(name.endswith(".o") for name in files)
    second = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(tmp_path)))
    assert first[1:] == [["compiled"], ["numba", "llvmlite.binding"]]
    assert second[1:] == [["loaded"], []]  # neither Numba nor llvmlite imported
    assert second[0] == first[0]


def test_disk_cache_without_a_c_compiler(tmp_path):
    """Where linking fails, object files are kept and loaded with llvmlite (never Numba)."""
    env = {"DUALDIFF_CACHE_DIR": str(tmp_path), "CC": "false"}  # a 'compiler' that fails
    first = json.loads(_run(_SECOND_PROCESS, **env))
    files = sorted(p.name for p in tmp_path.rglob("*-*.*"))
    assert files and all(name.endswith(".o") for name in files)
    second = json.loads(_run(_SECOND_PROCESS, **env))
    assert first[1] == ["compiled"] and second[1] == ["loaded"]
    assert second[2] == ["llvmlite.binding"]
    assert second[0] == first[0]


def test_a_damaged_cache_entry_is_compiled_again(tmp_path):
    """A truncated library or object file is not loaded: the kernel is compiled afresh."""
    first = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(tmp_path)))
    for path in tmp_path.rglob("*-*.*"):
        if path.suffix in (".so", ".o"):
            path.write_bytes(path.read_bytes()[:100])
    second = json.loads(_run(_SECOND_PROCESS, DUALDIFF_CACHE_DIR=str(tmp_path)))
    assert second[1] == ["compiled"] and second[0] == first[0]
