"""Sparsity detection, colourings and sparse drivers.

Patterns are checked against patterns built independently with numpy index arithmetic (and,
as an oracle that cannot be fooled by the tracer, against the nonzeros of dense derivatives
at random points, which must lie inside the traced pattern). Sparse results are checked
against the dense drivers and against scipy's ``rosen_der``/``rosen_hess``. Colourings are
checked by brute force against the definitions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import _coloring
from dualdiff.testing import rosenbrock

sp = pytest.importorskip("scipy.sparse")
optimize = pytest.importorskip("scipy.optimize")

RNG = np.random.default_rng(12)


def band(n, lo, hi, m=None):
    """Boolean band pattern: True where -lo <= j - i <= hi (independent of the tracer)."""
    i, j = np.indices((n if m is None else m, n))
    return (j - i >= -lo) & (j - i <= hi)


def tridiagonal_f(x):
    """F_i = x_{i-1} - 2 x_i + x_{i+1} + x_i^2 (zero boundary values)."""
    p = np.concatenate([np.zeros(1), x, np.zeros(1)])
    return p[:-2] - 2.0 * x + p[2:] + x**2


def pentadiagonal_f(x):
    p = np.concatenate([np.zeros(2), x, np.zeros(2)])
    return np.sin(p[:-4]) * p[4:] + p[1:-3] * p[3:-1] + x


def arrowhead_f(x):
    return np.concatenate([np.reshape(np.sum(x**2), (1,)), x[0] * x[1:]])


def block_f(x):
    X = np.reshape(x, (4, 3))
    return np.ravel(X * np.sum(X, axis=1, keepdims=True))


def dense_f(x):
    return x * np.sum(x)


def arrow_pattern(n):
    p = np.eye(n, dtype=bool)
    p[0, :] = True
    p[:, 0] = True
    return p


JACOBIAN_CASES = [
    ("tridiagonal", tridiagonal_f, 9, lambda n: band(n, 1, 1)),
    ("pentadiagonal", pentadiagonal_f, 9, lambda n: band(n, 2, 2)),
    ("arrowhead", arrowhead_f, 7, arrow_pattern),
    ("block-diagonal", block_f, 12, lambda n: np.kron(np.eye(4), np.ones((3, 3))) > 0),
    ("dense", dense_f, 6, lambda n: np.ones((n, n), bool)),
    ("elementwise", lambda x: np.exp(np.sin(x)) / (1.0 + x**2), 8, lambda n: np.eye(n) > 0),
    ("cumsum", lambda x: np.sin(x) * np.cumsum(x) + x**2, 6,
     lambda n: np.tril(np.ones((n, n))) > 0),
    ("constant matrix", lambda x: np.diag(np.ones(7)) @ x + np.roll(x, 1), 7,
     lambda n: band(n, 1, 0) | (band(n, 0, n) & ~band(n, 0, n - 2))),
]  # fmt: skip


def _dense_nonzeros(F, n, points=3):
    """Union of the nonzeros of the dense Jacobian at random points (the tracer's oracle)."""
    out = 0
    for _ in range(points):
        out = out | (dd.jacobian(F, RNG.uniform(0.5, 1.5, n)) != 0)
    return out


@pytest.mark.parametrize("name, F, n, expected", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_jacobian_patterns(name, F, n, expected):
    x = RNG.uniform(0.5, 1.5, n)
    P = dd.sparsity(F, x)
    assert sp.issparse(P) and P.dtype == bool
    np.testing.assert_array_equal(P.toarray(), expected(n))
    assert not np.any(_dense_nonzeros(F, n) & ~expected(n))  # the true pattern lies inside


@pytest.mark.parametrize("name, F, n, expected", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_sparse_jacobian_equals_dense(name, F, n, expected):
    x = RNG.uniform(0.5, 1.5, n)
    J = dd.jacobian(F, x, sparse=True)
    assert isinstance(J, sp.csr_array) and J.shape == (n, n)
    np.testing.assert_allclose(J.toarray(), dd.jacobian(F, x), rtol=1e-14, atol=0)


def rosen_terms(x):
    return np.sum(x[:-2] * x[2:])


HESSIAN_CASES = [
    ("rosenbrock", rosenbrock, 8, lambda n: band(n, 1, 1)),
    ("x_i x_{i+2}", rosen_terms, 8, lambda n: band(n, 2, 2) & ~band(n, 1, 1)),
    ("separable exp", lambda x: np.sum(np.exp(x)), 5, lambda n: np.eye(n) > 0),
    ("linear", lambda x: np.sum(3.0 * x) + x[0], 5, lambda n: np.zeros((n, n), bool)),
    ("square of a sum", lambda x: np.sum(x) ** 2, 5, lambda n: np.ones((n, n), bool)),
    ("product", lambda x: np.prod(x), 4, lambda n: np.ones((n, n), bool)),
    ("arrowhead", lambda x: x[0] * np.sum(x[1:]) + np.sum(x**2), 6,
     lambda n: arrow_pattern(n)),
]  # fmt: skip


@pytest.mark.parametrize("name, f, n, expected", HESSIAN_CASES, ids=[c[0] for c in HESSIAN_CASES])
def test_hessian_patterns(name, f, n, expected):
    x = RNG.uniform(0.5, 1.5, n)
    P = dd.sparsity(f, x, kind="hessian")
    np.testing.assert_array_equal(P.toarray(), expected(n))
    assert not np.any((dd.hessian(f, x) != 0) & ~P.toarray())


@pytest.mark.parametrize("name, f, n, expected", HESSIAN_CASES, ids=[c[0] for c in HESSIAN_CASES])
def test_sparse_hessian_and_gradient_equal_dense(name, f, n, expected):
    x = RNG.uniform(0.5, 1.5, n)
    H = dd.hessian(f, x, sparse=True)
    assert isinstance(H, sp.csr_array) and H.shape == (n, n)
    np.testing.assert_allclose(H.toarray(), dd.hessian(f, x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dd.gradient(f, x, sparse=True), dd.gradient(f, x), rtol=1e-14)


@pytest.mark.parametrize("n", [2, 3, 10, 101, 1000])
def test_rosenbrock_against_scipy(n):
    x = RNG.uniform(-2.0, 2.0, n)
    plan = dd.sparse_plan(rosenbrock, x, kind="hessian")
    assert plan.method == "separable" and plan.n_colours == 2
    g = dd.gradient(rosenbrock, x, sparse=plan)
    ref = optimize.rosen_der(x)
    assert np.max(np.abs(g - ref)) <= 1e-12 * np.max(np.abs(ref))
    H = dd.hessian(rosenbrock, x, sparse=plan)
    ref = optimize.rosen_hess(x)
    assert np.max(np.abs(H.toarray() - ref)) <= 1e-12 * np.max(np.abs(ref))
    np.testing.assert_array_equal(H.toarray() != 0, ref != 0)


def test_nonlinear_function_of_the_sum():
    """f = h(Σ g) with h nonlinear: ∇f = h' ∇s, ∇²f = h' ∇²s + h'' ∇s ∇sᵀ."""

    def f(x):
        return np.log(1.0 + np.mean(x[1:] ** 2 * x[:-1])) * 3.0

    x = RNG.uniform(0.5, 1.5, 9)
    plan = dd.sparse_plan(f, x, kind="hessian")
    assert plan.method == "separable"
    np.testing.assert_allclose(dd.gradient(f, x, sparse=plan), dd.gradient(f, x), rtol=1e-14)
    np.testing.assert_allclose(dd.hessian(f, x, sparse=plan).toarray(), dd.hessian(f, x),
                               rtol=1e-13, atol=1e-15)  # fmt: skip


def test_two_dimensional_input():
    def f(X):
        return np.sum((X[:, 1:] - X[:, :-1] ** 2) ** 2)

    X = RNG.uniform(0.5, 1.5, (3, 4))
    np.testing.assert_allclose(dd.gradient(f, X, sparse=True), dd.gradient(f, X), rtol=1e-14)
    H = dd.hessian(f, X, sparse=True)
    np.testing.assert_allclose(H.toarray(), dd.hessian(f, X).reshape(12, 12), rtol=1e-14)


def test_not_separable_has_a_reason_and_is_exact():
    def f(x):
        return np.sum(x[1:] * x[:-1]) * np.sum(x)  # two sums meet: not h(one sum)

    x = RNG.uniform(0.5, 1.5, 6)
    plan = dd.sparse_plan(f, x, kind="hessian")
    assert plan.method == "compressed" and "np.sum" in plan.reason
    np.testing.assert_allclose(dd.hessian(f, x, sparse=plan).toarray(), dd.hessian(f, x),
                               rtol=1e-14)  # fmt: skip
    gplan = dd.sparse_plan(f, x, kind="gradient")
    assert gplan.method == "dense" and gplan.n_colours == 6
    np.testing.assert_allclose(dd.gradient(f, x, sparse=gplan), dd.gradient(f, x), rtol=1e-14)


def test_compressed_hessian_uses_few_colours():
    """A tridiagonal Hessian that is not one sum at the end: star colouring, 3 colours."""

    def f(x):
        return np.sum(np.sin(x[1:] * x[:-1])) + np.sum(np.exp(x))

    x = RNG.uniform(0.5, 1.5, 30)
    plan = dd.sparse_plan(f, x, kind="hessian")
    assert plan.method == "compressed" and plan.n_colours == 3
    np.testing.assert_array_equal(plan.pattern.toarray(), band(30, 1, 1))
    H = dd.hessian(f, x, sparse=plan)
    np.testing.assert_allclose(H.toarray(), dd.hessian(f, x), rtol=1e-13)


def test_structure_change_falls_back():
    """A plan traced where f makes one full sum, used where it makes two: exact anyway."""

    def f(x):
        if x[0] > 0:
            return np.sum(x[1:] * x[:-1])
        return np.sum(x) * 0.0 + np.sum(x[1:] * x[:-1])

    x = RNG.uniform(0.5, 1.5, 7)
    plan = dd.sparse_plan(f, x, kind="hessian")
    assert plan.method == "separable"
    y = -x
    np.testing.assert_allclose(dd.gradient(f, y, sparse=plan), dd.gradient(f, y), rtol=1e-14)
    assert plan.method == "compressed" and "separable evaluation failed" in plan.reason
    np.testing.assert_allclose(dd.hessian(f, y, sparse=plan).toarray(), dd.hessian(f, y),
                               rtol=1e-14)  # fmt: skip


def test_plans_reused_give_identical_results():
    n = 50
    F = pentadiagonal_f
    x0 = RNG.uniform(0.5, 1.5, n)
    plan = dd.sparse_plan(F, x0)
    assert plan.method == "compressed" and plan.n_colours == 5
    for _ in range(3):
        x = RNG.uniform(0.5, 1.5, n)
        a = dd.jacobian(F, x, sparse=plan)
        b = dd.jacobian(F, x, sparse=True)
        assert (a != b).nnz == 0
        np.testing.assert_array_equal(a.indptr, plan.pattern.indptr)
    hplan = dd.sparse_plan(rosenbrock, x0, kind="hessian")
    x = RNG.uniform(-1.0, 1.0, n)
    H1, H2 = dd.hessian(rosenbrock, x, sparse=hplan), dd.hessian(rosenbrock, x, sparse=hplan)
    np.testing.assert_array_equal(H1.toarray(), H2.toarray())
    np.testing.assert_array_equal(
        dd.gradient(rosenbrock, x, sparse=hplan), dd.gradient(rosenbrock, x, sparse=True)
    )


def test_given_pattern_skips_tracing():
    n = 8
    x = RNG.uniform(0.5, 1.5, n)
    plan = dd.sparse_plan(None, x, pattern=band(n, 1, 1))
    np.testing.assert_allclose(dd.jacobian(tridiagonal_f, x, sparse=plan).toarray(),
                               dd.jacobian(tridiagonal_f, x), rtol=1e-15)  # fmt: skip
    hplan = dd.sparse_plan(None, x, kind="hessian", pattern=sp.csr_array(band(n, 1, 1)))
    np.testing.assert_allclose(dd.hessian(rosenbrock, x, sparse=hplan).toarray(),
                               optimize.rosen_hess(x), rtol=1e-13)  # fmt: skip


def test_large_banded_problem_is_cheap_in_colours():
    n = 10**5
    x = np.linspace(-1.0, 2.0, n)
    plan = dd.sparse_plan(rosenbrock, x, kind="gradient")
    assert plan.n_colours == 2
    ref = optimize.rosen_der(x)
    g = dd.gradient(rosenbrock, x, sparse=plan)
    assert np.max(np.abs(g - ref)) <= 1e-12 * np.max(np.abs(ref))


# ---------------------------------------------------------------- colourings


def _distance1_valid(pattern, colours):
    """No two columns of one colour share a row (brute force over column pairs)."""
    A = np.asarray(pattern, bool)
    for j, k in itertools.combinations(range(A.shape[1]), 2):
        if colours[j] == colours[k] and np.any(A[:, j] & A[:, k]):
            return False
    return True


def _star_valid(pattern, colours):
    """Distance-1 on the graph of H, and every path on four vertices has >= 3 colours."""
    A = np.asarray(pattern, bool).copy()
    np.fill_diagonal(A, False)
    n = A.shape[0]
    edges = [(i, j) for i in range(n) for j in range(n) if A[i, j]]
    if any(colours[i] == colours[j] for i, j in edges):
        return False
    nbrs = [np.flatnonzero(A[i]) for i in range(n)]
    for v2, v3 in edges:
        for v1 in nbrs[v2]:
            for v4 in nbrs[v3]:
                if (
                    len({v1, v2, v3, v4}) == 4
                    and colours[v1] == colours[v3]
                    and (colours[v2] == colours[v4])
                ):
                    return False
    return True


def _random_symmetric(n, density, seed):
    r = np.random.default_rng(seed).random((n, n)) < density
    return r | r.T | np.eye(n, dtype=bool)


COLOUR_PATTERNS = {
    "tridiagonal": band(12, 1, 1),
    "pentadiagonal": band(12, 2, 2),
    "arrowhead": arrow_pattern(10),
    "block-diagonal": np.kron(np.eye(3), np.ones((4, 4))) > 0,
    "random": _random_symmetric(15, 0.12, 3),
    "dense": np.ones((5, 5), bool),
}


@pytest.mark.parametrize("name", list(COLOUR_PATTERNS))
def test_column_colouring_is_valid(name):
    P = COLOUR_PATTERNS[name]
    colours = _coloring.column_colouring(sp.csr_array(P))
    assert _distance1_valid(P, colours)
    assert _distance1_valid(P[:, ::-1], colours[::-1])


@pytest.mark.parametrize("name", list(COLOUR_PATTERNS))
def test_star_colouring_is_valid(name):
    P = COLOUR_PATTERNS[name]
    colours = _coloring.star_colouring(sp.csr_array(P))
    assert _star_valid(P, colours)


def test_the_validity_checks_can_fail():
    P = band(6, 1, 1)
    assert not _distance1_valid(P, np.zeros(6, int))
    assert not _star_valid(P, np.arange(6) % 2)  # a proper 2-colouring of a path, not star
    assert _star_valid(P, np.arange(6) % 3)


def test_colour_counts_on_bands():
    assert _coloring.column_colouring(sp.csr_array(band(1000, 1, 1))).max() + 1 == 3
    assert _coloring.star_colouring(sp.csr_array(band(1000, 1, 1))).max() + 1 == 3
    big = sp.diags_array([np.ones(10**5), np.ones(10**5 - 1)], offsets=[0, 1])
    assert _coloring.column_colouring(big).max() + 1 == 2
    assert _coloring.star_colouring(big + big.T).max() + 1 == 3


@pytest.mark.parametrize("seed", range(6))
def test_greedy_star_colouring_is_valid(seed):
    """GMP's greedy star colouring on its own (star_colouring keeps it only when it wins)."""
    P = _random_symmetric(14, 0.1 + 0.04 * seed, seed)
    adj = _coloring._without_diagonal(sp.csr_array(P))
    assert _star_valid(P, _coloring._star_greedy(adj))


def test_arrowhead_hessian_two_colours_two_sided_recovery():
    """Star colouring of an arrowhead: 2 colours; the hub's entries are read from the
    leaves' rows (two-sided recovery)."""
    n = 12
    assert _coloring.star_colouring(sp.csr_array(arrow_pattern(n))).max() + 1 == 2

    def f(x):
        return np.sin(x[0]) * np.sum(x[1:] ** 2) + np.sum(np.exp(x))

    x = RNG.uniform(0.5, 1.5, n)
    plan = dd.sparse_plan(f, x, kind="hessian")
    assert plan.method == "compressed" and plan.n_colours == 2
    np.testing.assert_array_equal(plan.pattern.toarray(), arrow_pattern(n))
    np.testing.assert_allclose(dd.hessian(f, x, sparse=plan).toarray(), dd.hessian(f, x),
                               rtol=1e-14)  # fmt: skip


def test_luby_colouring_is_valid():
    P = _random_symmetric(60, 0.05, 8)
    colours = _coloring._luby(_coloring.column_graph(sp.csr_array(P)))
    assert _distance1_valid(P, colours)


# ---------------------------------------------------------------- errors


def test_unsupported_function_is_named():
    with pytest.raises(dd.UnsupportedFunctionError, match=r"np\.fft\.fft .*sparsity tracer"):
        dd.sparsity(lambda x: np.fft.fft(x), np.ones(4))
    with pytest.raises(dd.UnsupportedFunctionError, match="np.ldexp"):
        dd.sparsity(lambda x: np.ldexp(x, 2), np.ones(4))


def test_conversions_raise():
    with pytest.raises(dd.DerivativeLossError, match="float"):
        dd.sparsity(lambda x: float(x[0]) * x, np.ones(3))


def test_bad_arguments():
    x = np.ones(4)
    with pytest.raises(ValueError, match="kind"):
        dd.sparsity(np.sin, x, kind="gradient")
    with pytest.raises(ValueError, match="scalar"):
        dd.sparsity(np.sin, x, kind="hessian")
    with pytest.raises(TypeError, match="has_aux"):
        dd.gradient(lambda x: (np.sum(x), 1), x, has_aux=True, sparse=True)
    with pytest.raises(TypeError, match="sparse must be"):
        dd.jacobian(np.sin, x, sparse="yes")
    plan = dd.sparse_plan(np.sin, x)
    with pytest.raises(ValueError, match="shape"):
        dd.jacobian(np.sin, np.ones(5), sparse=plan)
    with pytest.raises(ValueError, match="kind='hessian'"):
        dd.hessian(lambda x: np.sum(x), x, sparse=plan)
    with pytest.raises(TypeError, match="real x"):
        dd.sparsity(np.sin, np.ones(3) + 1j)
    with pytest.raises(ValueError, match="pattern has shape"):
        dd.sparse_plan(np.sin, x, pattern=np.ones((3, 3)))


def test_selection_by_value_takes_every_candidate():
    """np.where, np.maximum, np.max: the union of the candidates, so that the pattern holds
    wherever the selection moves."""

    def F(x):
        y = np.where(x > 1.0, x**2, np.roll(x, 1))
        return np.maximum(y, 0.5) + np.max(x[:2])

    x = np.array([0.5, 2.0, 1.5, 0.7])
    expected = np.array(
        [[1, 1, 0, 1], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=bool
    )  # row i: x_i, x_{i-1} (cyclically) and x_0, x_1
    np.testing.assert_array_equal(dd.sparsity(F, x).toarray(), expected)
    for point in (x, x[::-1].copy(), np.full(4, 3.0)):
        np.testing.assert_allclose(
            dd.jacobian(F, point, sparse=dd.sparse_plan(F, x)).toarray(), dd.jacobian(F, point)
        )
    sorted_pattern = dd.sparsity(lambda x: np.sort(x)[:2] * 2.0, x).toarray()
    np.testing.assert_array_equal(sorted_pattern, np.ones((2, 4), bool))


def test_compressed_hessian_in_blocks_equals_one_pass(monkeypatch):
    from dualdiff import _sparse

    def f(x):
        return np.sum(np.sin(x[1:] * x[:-1])) + np.sum(np.exp(x))

    x = RNG.uniform(0.5, 1.5, 17)
    plan = dd.sparse_plan(f, x, kind="hessian")
    one = dd.hessian(f, x, sparse=plan).toarray()
    monkeypatch.setattr(_sparse, "BLOCK_ELEMENTS", 50)  # blocks of 50 // (17·3) = 1 direction
    np.testing.assert_array_equal(dd.hessian(f, x, sparse=plan).toarray(), one)
    np.testing.assert_allclose(one, dd.hessian(f, x), rtol=1e-14)


_UNARY = [np.sin, np.exp, np.tanh, np.square, np.abs, np.cbrt, lambda v: 2.0 * v - 1.0]
_STRUCTURAL = [
    lambda v: v[::-1],
    lambda v: np.roll(v, 2),
    lambda v: np.concatenate([v[1:], v[:1] ** 2]),
    lambda v: np.cumsum(v) / v.size,
    lambda v: np.reshape(np.reshape(v, (2, -1)).T, (-1,)),
    lambda v: np.where(v > 0.0, v, 0.5 * v),
    lambda v: np.maximum(v, np.flip(v)),
    lambda v: np.diff(v, prepend=v[:1]),
    lambda v: np.clip(v, -0.5, 0.5),
    lambda v: np.take(v, np.arange(v.size) // 2 * 2),
    lambda v: np.stack([v, v * v])[1],
    lambda v: v * np.mean(v[:2]),
]


@pytest.mark.parametrize("seed", range(25))
def test_random_compositions(seed):
    """Random chains of elementwise and structural steps: the dense Jacobian's nonzeros lie
    inside the traced pattern, and the sparse Jacobian equals the dense one."""
    rng = np.random.default_rng(seed)
    steps = [
        (_UNARY if k % 2 else _STRUCTURAL)[rng.integers(len(_UNARY if k % 2 else _STRUCTURAL))]
        for k in range(6)
    ]
    mix = rng.integers(1, 3)

    def F(x):
        v = x
        for s in steps:
            v = s(v) + 0.1 * np.roll(x, mix) * v
        return v

    x = rng.uniform(-1.0, 1.0, 8)
    P = dd.sparsity(F, x).toarray()
    J = dd.jacobian(F, x)
    assert not np.any((J != 0) & ~P)
    np.testing.assert_allclose(dd.jacobian(F, x, sparse=True).toarray(), J, rtol=1e-13,
                               atol=1e-15)  # fmt: skip
    H = dd.hessian(lambda x: np.sum(F(x) ** 2), x)
    Ph = dd.sparsity(lambda x: np.sum(F(x) ** 2), x, kind="hessian").toarray()
    assert not np.any((H != 0) & ~Ph)
    plan = dd.sparse_plan(lambda x: np.sum(F(x) ** 2), x, kind="hessian")
    assert plan.method == "separable"
    Hs = dd.hessian(lambda x: np.sum(F(x) ** 2), x, sparse=plan).toarray()
    np.testing.assert_allclose(Hs, H, rtol=1e-12, atol=1e-14 * np.abs(H).max())


@pytest.mark.parametrize("separable", [True, False])
def test_value_gradient_hessian_sparse(separable):
    if separable:
        f = rosenbrock
    else:

        def f(x):
            return np.sum(np.sin(x[1:] * x[:-1])) + np.sum(np.exp(x))

    x = RNG.uniform(-1.0, 1.0, 9)
    plan = dd.sparse_plan(f, x, kind="hessian")
    assert plan.method == ("separable" if separable else "compressed")
    value, g, H = dd.value_gradient_hessian(f, x, sparse=plan)
    ref = dd.value_gradient_hessian(f, x)
    assert value == pytest.approx(ref.value, rel=1e-15)
    np.testing.assert_allclose(g, ref.gradient, rtol=1e-14)
    np.testing.assert_allclose(H.toarray(), ref.hessian, rtol=1e-14)
    value, g = dd.value_and_gradient(f, x, sparse=plan)
    assert value == pytest.approx(ref.value, rel=1e-15)
    np.testing.assert_allclose(g, ref.gradient, rtol=1e-14)


def test_item_assignment_in_f_leaves_the_plan_intact():
    def f(x):
        x[0] = 3.0 * x[0]  # writes into the seeded input: must copy, not write the seed
        return np.sum(x[1:] * x[:-1] ** 2)

    x = RNG.uniform(0.5, 1.5, 6)
    plan = dd.sparse_plan(f, x, kind="hessian")
    S = plan.separable.S.copy()
    for _ in range(2):
        np.testing.assert_allclose(dd.gradient(f, x, sparse=plan), dd.gradient(f, x), rtol=1e-14)
        np.testing.assert_allclose(dd.hessian(f, x, sparse=plan).toarray(), dd.hessian(f, x),
                                   rtol=1e-14)  # fmt: skip
    np.testing.assert_array_equal(plan.separable.S, S)
