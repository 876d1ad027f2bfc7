"""Chunked directions: chunked == one pass == scipy, the memory model against tracemalloc, the
guard, matrix-free operators and executors.

References are independent of the code under test: scipy's ``rosen_der``, ``rosen_hess`` and
``rosen_hess_prod``, the hand-derived Jacobian of ``sin(x)·cumsum(x) + x²`` in
:mod:`dualdiff.testing`, analytic formulas, and ``numpy`` matrix products.
"""

from __future__ import annotations

import multiprocessing
import tracemalloc
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import testing


def _scipy_optimize():
    """scipy.optimize, imported when a test runs: importing it at collection would import
    scipy.special before tests/test_rules.py reads the rules table."""
    return pytest.importorskip("scipy.optimize")


def rosen_der(x):
    return _scipy_optimize().rosen_der(x)


def rosen_hess(x):
    return _scipy_optimize().rosen_hess(x)


def rosen_hess_prod(x, v):
    return _scipy_optimize().rosen_hess_prod(x, v)


ROSEN = testing.get("rosenbrock")
SIN_CUMSUM = testing.get("sin_cumsum")
N = 23
SIZES = (1, 2, 7, N - 1, N, None)


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.max(np.abs(a - b)) <= rtol * max(1.0, np.max(np.abs(b)))


# ------------------------------------------------------------------ chunked == one pass


@pytest.mark.parametrize("k", SIZES)
def test_gradient_chunks_match_scipy(k):
    x = ROSEN.make_x(N)
    g = dd.gradient(ROSEN.f, x, chunk_size=k)
    close(g, rosen_der(x))
    assert np.array_equal(g, dd.gradient(ROSEN.f, x, chunk_size=N))  # one pass, bit for bit
    v = dd.value_and_gradient(ROSEN.f, x, chunk_size=k)
    close(v.value, _scipy_optimize().rosen(x))
    close(v.gradient, rosen_der(x))


@pytest.mark.parametrize("k", SIZES)
def test_hessian_chunks_match_scipy(k):
    x = ROSEN.make_x(N)
    H = dd.hessian(ROSEN.f, x, chunk_size=k)
    close(H, rosen_hess(x))
    r = dd.value_gradient_hessian(ROSEN.f, x, chunk_size=k)
    close(r.value, _scipy_optimize().rosen(x))
    close(r.gradient, rosen_der(x))
    close(r.hessian, rosen_hess(x))


@pytest.mark.parametrize("k", SIZES)
def test_jacobian_chunks_match_hand_derived(k):
    x = SIN_CUMSUM.make_x(N)
    close(dd.jacobian(SIN_CUMSUM.f, x, chunk_size=k), SIN_CUMSUM.jacobian(x))


@pytest.mark.parametrize("k", SIZES)
def test_hvp_chunks_match_scipy(k):
    x = ROSEN.make_x(N)
    v = np.random.default_rng(5).standard_normal(N)
    close(dd.hvp(ROSEN.f, x, v, chunk_size=k), rosen_hess_prod(x, v))


@pytest.mark.parametrize("k", (1, 2, 3, 5, None))
def test_structured_inputs_argnums_and_aux(k):
    """A dict of a matrix and a scalar, and a tuple argnums; derivatives of
    f = sum(W**2) * b + b**3 written by hand."""

    def f(p, c):
        s = np.sum(p["W"] ** 2)
        return s * p["b"] + p["b"] ** 3 + c, {"s": s}

    W = np.arange(6.0).reshape(2, 3) / 7
    p, b = {"W": W, "b": 1.5}, 1.5
    g, aux = dd.gradient(f, p, 2.0, has_aux=True, chunk_size=k)
    close(g["W"], 2 * W * b)
    close(g["b"], np.sum(W**2) + 3 * b**2)
    close(aux["s"], np.sum(W**2))
    H = dd.hessian(f, p, 2.0, has_aux=True, chunk_size=k)[0]
    close(H["W"]["W"], 2 * b * np.eye(6).reshape(2, 3, 2, 3))
    close(H["W"]["b"], 2 * W)
    close(H["b"]["W"], 2 * W)
    close(H["b"]["b"], 6 * b)
    # a tuple argnums: (W, c), c enters linearly
    gw, gc = dd.gradient(lambda W, c: np.sum(W**3) * c, W, 2.0, argnums=(0, 1), chunk_size=k)
    close(gw, 3 * W**2 * 2.0)
    close(gc, np.sum(W**3))
    w = W[0] + 0.25
    J = dd.jacobian(lambda t: {"a": t[0] * t[1], "b": np.sin(t[0])}, (w, 2.0), chunk_size=k)
    close(J["a"][0], 2.0 * np.eye(3))
    close(J["a"][1], w)
    close(J["b"][0], np.diag(np.cos(w)))
    close(J["b"][1], np.zeros(3))


def test_float32_and_scalar_leaves_keep_their_dtype():
    x = ROSEN.make_x(N).astype(np.float32)
    g = dd.gradient(ROSEN.f, x, chunk_size=4)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, rosen_der(x.astype(float)), rtol=1e-6)


# ------------------------------------------------------------------ memory


def _peak(fn):
    """tracemalloc's peak of ``fn()`` on the numpy path (the kernels' recycled mappings are
    not traced), in bytes."""
    with dd.use_numba(False):
        fn()  # warm: first-use allocations are not the driver's
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


MEMORY_CASES = (
    [
        ("gradient", ROSEN, dd.gradient, n, k)
        for n, k in ((300, None), (600, None), (2000, None), (2000, 64), (4000, 16))
    ]
    + [
        ("jacobian-of-scalar", ROSEN, dd.jacobian, n, k)
        for n, k in ((300, None), (1500, None), (2000, 32))
    ]
    + [
        ("jacobian", SIN_CUMSUM, dd.jacobian, n, k)
        for n, k in ((300, None), (600, None), (1500, None), (2000, 32))
    ]
    + [("hessian", ROSEN, dd.hessian, n, k) for n, k in ((40, None), (80, None), (150, 10))]
)


@pytest.mark.parametrize("driver,problem,fn,n,k", MEMORY_CASES)
def test_memory_estimate_within_twice_the_measured_peak(driver, problem, fn, n, k):
    x = problem.make_x(n)
    if driver == "jacobian-of-scalar":  # f(x) has one element: J is one row
        plan = dd.memory_plan("jacobian", x, chunk_size=k, n_outputs=1)
    else:
        plan = dd.memory_plan(driver, x, chunk_size=k)
    peak = _peak(lambda: fn(problem.f, x, chunk_size=k))
    assert plan.peak_bytes / 2 <= peak <= 2 * plan.peak_bytes, (plan, peak)


def test_the_budget_bounds_the_peak():
    """n = 4000: one pass would hold 4000 × 4001 doubles per intermediate (128 MB each);
    under an 8 MiB budget the whole gradient stays under it."""
    x = ROSEN.make_x(4000)
    with dd.set_memory_budget(8 << 20):
        plan = dd.memory_plan("gradient", x)
        assert plan.passes > 1 and plan.peak_bytes <= 8 << 20
        peak = _peak(lambda: dd.gradient(ROSEN.f, x))
        close(dd.gradient(ROSEN.f, x), rosen_der(x))
    assert peak <= 1.25 * (8 << 20)  # the budget bounds the model's estimate (within 2×)


def test_seeds_are_built_per_chunk():
    """No identity of the full size: a pass of 4 directions on n = 3000 allocates 3000 × 4
    doubles for its seed, far below one np.eye(3000) (72 MB)."""
    x = ROSEN.make_x(3000)
    assert _peak(lambda: dd.gradient(ROSEN.f, x, chunk_size=4)) < 2e6


def test_a_result_that_cannot_fit_is_refused_before_allocating():
    x = np.zeros(10**5)  # a dense Hessian of 80 GB
    with dd.set_memory_budget(1 << 30):
        with pytest.raises(dd.MemoryBudgetError, match=r"80 GB.*hvp.*hessian_operator"):
            dd.hessian(ROSEN.f, x)
    with pytest.raises(MemoryError, match="GB"):  # automatic limit: 8 TB is refused anywhere
        dd.hessian(ROSEN.f, np.zeros(10**6))


def test_a_jacobian_too_large_is_refused_after_its_first_chunk():
    calls = []

    def f(x):
        calls.append(1)
        return np.repeat(x, 500)  # 10^6 outputs of 2000 inputs: J is 16 GB

    with dd.set_memory_budget(64 << 20):
        with pytest.raises(dd.MemoryBudgetError, match="Jacobian alone needs 16 GB.*jvp"):
            dd.jacobian(f, np.ones(2000), chunk_size=1)
    assert len(calls) == 1


def test_budget_setting_is_scoped_and_validated():
    before = dd.memory_budget()
    with dd.set_memory_budget(3 << 20):
        assert dd.memory_budget() == 3 << 20
    assert dd.memory_budget() == before
    with pytest.raises(ValueError, match="1 MiB"):
        dd.set_memory_budget(100)
    with pytest.raises(TypeError, match="bytes"):
        dd.set_memory_budget("2GB")


@pytest.mark.parametrize("bad", (0, -3, 2.5, True))
def test_chunk_size_is_validated(bad):
    with pytest.raises((TypeError, ValueError), match="chunk_size"):
        dd.gradient(ROSEN.f, np.ones(4), chunk_size=bad)


def test_chunk_size_does_not_combine_with_batch_axis():
    with pytest.raises(TypeError, match="batch_axis"):
        dd.gradient(lambda X: np.sum(X**2, axis=1), np.ones((3, 2)), batch_axis=0, chunk_size=1)


def test_gradient_of_a_vector_function_is_refused_on_the_first_chunk():
    with pytest.raises(ValueError, match="scalar.*jacobian"):
        dd.gradient(lambda x: x**2, np.ones(5), chunk_size=2)


# ------------------------------------------------------------------ matrix-free


def test_jvp_and_hvp_never_form_the_matrix():
    """n = 20000: a dense Hessian or Jacobian is 3.2 GB; the products stay under 100 MB."""
    x = ROSEN.make_x(20000)
    v = np.random.default_rng(1).standard_normal(20000)
    peak = _peak(lambda: dd.jvp(SIN_CUMSUM.f, x, v))
    assert peak < 2e6
    with dd.set_memory_budget(64 << 20):
        hv = dd.hvp(ROSEN.f, x[:3000], v[:3000])
        peak = _peak(lambda: dd.hvp(ROSEN.f, x[:3000], v[:3000]))
    close(hv, rosen_hess_prod(x[:3000], v[:3000]))
    assert peak < 64 << 20  # one pass would hold 3000 × 3002 doubles per intermediate


def test_hessian_operator_matches_rosen_hess_prod():
    x = ROSEN.make_x(60)
    rng = np.random.default_rng(2)
    H = dd.hessian_operator(ROSEN.f, x, chunk_size=7)
    assert H.shape == (60, 60)
    for _ in range(3):
        v = rng.standard_normal(60)
        close(H @ v, rosen_hess_prod(x, v))
        close(H.T @ v, rosen_hess_prod(x, v))
    V = rng.standard_normal((60, 4))
    close(H @ V, rosen_hess(x) @ V)


def test_jacobian_operator_products_and_transpose():
    x = SIN_CUMSUM.make_x(40)
    J = SIN_CUMSUM.jacobian(x)
    op = dd.jacobian_operator(SIN_CUMSUM.f, x, chunk_size=6)
    rng = np.random.default_rng(3)
    v, u, V = rng.standard_normal(40), rng.standard_normal(40), rng.standard_normal((40, 3))
    close(op @ v, J @ v)
    close(op.T @ u, J.T @ u)
    close(op @ V, J @ V)
    close(op.T @ V, J.T @ V)
    close(op.value, SIN_CUMSUM.f(x))


def test_newton_cg_and_trust_krylov_converge_with_the_operator():
    n = 1000
    x0 = np.full(n, 1.3)
    x0[::2] = 0.7
    jac = dd.gradient_of(ROSEN.f)
    for method in ("Newton-CG", "trust-krylov", "trust-ncg"):
        res = _scipy_optimize().minimize(
            _scipy_optimize().rosen,
            x0,
            jac=jac,
            hess=lambda x: dd.hessian_operator(ROSEN.f, x),
            method=method,
            options={"maxiter": 200},
        )
        assert res.success, (method, res.message)
        assert np.max(np.abs(res.x - 1.0)) < 2e-2, method


def test_cg_and_gmres_solve_with_the_operators():
    sparse_linalg = pytest.importorskip("scipy.sparse.linalg")
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 30))
    S = A @ A.T + 30 * np.eye(30)  # SPD: f = x·Sx/2 has Hessian S
    b = rng.standard_normal(30)
    H = dd.hessian_operator(lambda x: 0.5 * x @ (S @ x), np.zeros(30))
    sol, info = sparse_linalg.cg(H, b, rtol=1e-12)
    assert info == 0
    close(S @ sol, b, 1e-9)
    M = A + 30 * np.eye(30)  # f(x) = M x: the Jacobian is M
    Jop = dd.jacobian_operator(lambda x: M @ x, np.zeros(30))
    sol, info = sparse_linalg.gmres(Jop, b, rtol=1e-12)
    assert info == 0
    close(M @ sol, b, 1e-9)


def test_operators_want_one_array_and_a_scalar_f():
    with pytest.raises(TypeError, match="one real array"):
        dd.hessian_operator(lambda p: p["a"] ** 2, {"a": np.ones(2)})
    H = dd.hessian_operator(lambda x: x**2, np.ones(3))
    with pytest.raises(ValueError, match="scalar"):
        H @ np.ones(3)


# ------------------------------------------------------------------ executors


def test_thread_pool_matches_one_pass():
    x = ROSEN.make_x(N)
    with ThreadPoolExecutor(2) as pool:
        close(dd.gradient(ROSEN.f, x, chunk_size=5, executor=pool), rosen_der(x))
        close(dd.hessian(ROSEN.f, x, chunk_size=6, executor=pool), rosen_hess(x))
        close(dd.hessian(ROSEN.f, x, executor=pool), rosen_hess(x))
        xs = SIN_CUMSUM.make_x(N)
        close(dd.jacobian(SIN_CUMSUM.f, xs, executor=pool), SIN_CUMSUM.jacobian(xs))
        v = np.linspace(-1, 1, N)
        close(dd.hvp(ROSEN.f, x, v, chunk_size=4, executor=pool), rosen_hess_prod(x, v))


@pytest.mark.xdist_group("processes")
def test_process_pool_matches_one_pass_and_refuses_a_lambda():
    x = ROSEN.make_x(N)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        close(dd.gradient(ROSEN.f, x, chunk_size=5, executor=pool), rosen_der(x))
        close(dd.hessian(ROSEN.f, x, chunk_size=8, executor=pool), rosen_hess(x))
        xs = SIN_CUMSUM.make_x(N)
        close(dd.jacobian(SIN_CUMSUM.f, xs, chunk_size=9, executor=pool), SIN_CUMSUM.jacobian(xs))
        with pytest.raises(TypeError, match="picklable.*module level"):
            dd.gradient(lambda t: np.sum(t**2), x, executor=pool)


def test_executor_must_be_an_executor():
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        dd.gradient(ROSEN.f, np.ones(4), executor=object())


def test_cumsum_of_wide_derivative_parts_adds_rows_in_order():
    """The row loop for parts with many directions gives numpy's own sums, bit for bit."""
    rng = np.random.default_rng(6)
    for shape, axis in (((300,), 0), ((4, 300), 1), ((300, 4), 0)):
        x = dd.Dual(rng.standard_normal(shape), rng.standard_normal(shape + (400,)))
        y = np.cumsum(x, axis=axis)
        assert np.array_equal(y.dual, np.cumsum(x.dual, axis=axis))
        assert np.array_equal(y.value, np.cumsum(x.value, axis=axis))


@pytest.mark.parametrize("k", (1, 3, None))
def test_complex_inputs_in_chunks(k):
    """Complex x takes 2n directions (e_i, then i·e_i) in any chunking: the gradient of the
    real-valued |z|² is 2z (df/dRe + i df/dIm), the Jacobian of z² is diag(2z)."""
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j, 3.0 - 1.0j])
    g = dd.gradient(lambda t: np.sum(np.real(t * np.conj(t))), z, chunk_size=k)
    close(g, 2 * z)
    close(dd.jacobian(lambda t: t**2, z, chunk_size=k), np.diag(2 * z))


def test_nested_drivers_run_their_inner_passes_whole():
    """Inside another driver the parts are dual numbers: the inner driver makes one pass
    whatever chunk_size says, and jacobian(gradient) is still rosen_hess."""
    x = ROSEN.make_x(30)
    H = dd.jacobian(lambda y: dd.gradient(ROSEN.f, y, chunk_size=7), x, chunk_size=4)
    close(H, rosen_hess(x))
