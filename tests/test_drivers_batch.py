"""batch_axis: N per-point derivatives from one evaluation, against a loop of per-point
drivers and hand-derived formulas; cross-point dependence is detected."""

from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd

RTOL = 1e-13


def point_map(x):
    """R^3 -> R^2 on one point x (shape (3,))."""
    return np.stack([x[0] * np.sin(x[1]) + x[2] ** 2, np.exp(x[0] * x[2]) - x[1]])


def point_map_jac(x):
    return np.array(
        [
            [np.sin(x[1]), x[0] * np.cos(x[1]), 2 * x[2]],
            [x[2] * np.exp(x[0] * x[2]), -1.0, x[0] * np.exp(x[0] * x[2])],
        ]
    )


def batch_map(X):
    """The same map on rows: X (N, 3) -> (N, 2)."""
    return np.stack(
        [X[:, 0] * np.sin(X[:, 1]) + X[:, 2] ** 2, np.exp(X[:, 0] * X[:, 2]) - X[:, 1]], axis=1
    )


def point_energy(x):
    return np.sum(x**2) * np.cos(x[0]) + x[1] * x[2] ** 3


def batch_energy(X):
    return np.sum(X**2, axis=1) * np.cos(X[:, 0]) + X[:, 1] * X[:, 2] ** 3


@pytest.fixture
def X():
    return np.random.default_rng(7).uniform(-1.0, 1.0, (9, 3))


def test_batched_jacobian_matches_per_point_jacobians(X):
    J = dd.jacobian(batch_map, X, batch_axis=0)
    assert J.shape == (9, 2, 3)
    for i, x in enumerate(X):
        np.testing.assert_allclose(J[i], point_map_jac(x), rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(J[i], dd.jacobian(point_map, x), rtol=RTOL, atol=1e-15)


def test_batch_axis_last(X):
    """Points as columns: x (3, N), f(x) (2, N); results still batch-first."""
    J = dd.jacobian(lambda Y: batch_map(Y.T).T, X.T, batch_axis=-1)
    assert J.shape == (9, 2, 3)
    for i, x in enumerate(X):
        np.testing.assert_allclose(J[i], point_map_jac(x), rtol=RTOL, atol=1e-15)


def test_batched_gradient_and_hessian_match_per_point(X):
    g = dd.gradient(batch_energy, X, batch_axis=0)
    H = dd.hessian(batch_energy, X, batch_axis=0)
    val, g2, H2 = dd.value_gradient_hessian(batch_energy, X, batch_axis=0)
    v3, g3 = dd.value_and_gradient(batch_energy, X, batch_axis=0)
    assert g.shape == (9, 3) and H.shape == (9, 3, 3) and val.shape == (9,)
    for i, x in enumerate(X):
        np.testing.assert_allclose(g[i], dd.gradient(point_energy, x), rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(H[i], dd.hessian(point_energy, x), rtol=RTOL, atol=1e-15)
        assert val[i] == pytest.approx(point_energy(x), rel=1e-15)
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_array_equal(H2, H)
    np.testing.assert_array_equal(v3, val)
    np.testing.assert_array_equal(g3, g)


def test_batched_points_of_matrix_shape():
    """Points of shape (2, 2): N Jacobians of X -> X @ X, shape (N, 2, 2, 2, 2)."""
    Xs = np.random.default_rng(1).normal(size=(4, 2, 2))
    J = dd.jacobian(lambda A: A @ A, Xs, batch_axis=0)
    assert J.shape == (4, 2, 2, 2, 2)
    eye = np.eye(2)
    for i, A in enumerate(Xs):
        ref = np.einsum("ik,lj->ijkl", eye, A) + np.einsum("ik,jl->ijkl", A, eye)
        np.testing.assert_allclose(J[i], ref, rtol=RTOL, atol=1e-15)


def test_one_evaluation_with_point_directions(X):
    seen = []

    def f(Y):
        seen.append(Y.dual.shape)
        return batch_map(Y)

    dd.jacobian(f, X, batch_axis=0)
    assert len(seen) == 1
    assert seen[0] == (9, 3, 4)  # 3 point directions + 1 independence check, not 27


@pytest.mark.parametrize(
    "f",
    [
        lambda X: np.cumsum(X, axis=0),
        lambda X: X - np.mean(X, axis=0),
        lambda X: X * np.sum(X[:, 0]),
        lambda X: X[::-1],
    ],
    ids=["cumsum", "centre", "coupled", "reversed"],
)
def test_cross_point_dependence_is_detected(X, f):
    with pytest.raises(ValueError, match="independently"):
        dd.jacobian(f, X, batch_axis=0)
    with pytest.raises(ValueError, match="independently"):
        dd.gradient(lambda Y: np.sum(f(Y), axis=1), X, batch_axis=0)


def test_batch_errors(X):
    with pytest.raises(ValueError, match="one scalar per point"):
        dd.gradient(batch_map, X, batch_axis=0)
    with pytest.raises(ValueError, match="keep the 9 points"):
        dd.jacobian(lambda Y: np.sum(Y, axis=0), X, batch_axis=0)
    with pytest.raises(ValueError, match="batch_axis"):
        dd.jacobian(batch_map, X, batch_axis=2)
    with pytest.raises(ValueError, match="one array"):
        dd.jacobian(lambda p: p["a"], {"a": X}, batch_axis=0)


def test_batched_has_aux(X):
    J, aux = dd.jacobian(lambda Y: (batch_map(Y), "ok"), X, batch_axis=0, has_aux=True)
    assert aux == "ok" and J.shape == (9, 2, 3)
