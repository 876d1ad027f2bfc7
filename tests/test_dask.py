"""Dask: lazy elementwise drivers on dask arrays, and chunks spread over a LocalCluster.

Skipped only when dask (or, for the cluster, distributed) is not installed; references are
analytic derivatives and scipy's ``rosen_der`` / ``rosen_hess``.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import testing

da = pytest.importorskip("dask.array")


def _x():
    return da.linspace(0.1, 2.0, 101, chunks=30)


def test_elementwise_drivers_stay_lazy_and_match_the_formulas():
    x = _x()
    xs = x.compute()
    d = dd.derivative(lambda t: np.sin(t) * t, x)
    assert isinstance(d, da.Array) and d.chunks == x.chunks
    np.testing.assert_allclose(d.compute(), np.cos(xs) * xs + np.sin(xs), rtol=1e-14)
    r = dd.value_and_derivatives(np.log, x)
    assert all(isinstance(p, da.Array) for p in r)
    np.testing.assert_allclose(r.value.compute(), np.log(xs), rtol=1e-14)
    np.testing.assert_allclose(r.first.compute(), 1 / xs, rtol=1e-14)
    np.testing.assert_allclose(r.second.compute(), -1 / xs**2, rtol=1e-14)
    s = dd.second_derivative(lambda t, a: a * t**3, x, args=(2.0,))
    np.testing.assert_allclose(s.compute(), 12 * xs, rtol=1e-14)


def test_jvp_blockwise_and_its_limits():
    x = _x()
    xs = x.compute()
    v = np.linspace(-1.0, 1.0, 101)
    value, tangent = dd.jvp(np.exp, x, v)
    assert isinstance(tangent, da.Array)
    np.testing.assert_allclose(tangent.compute(), np.exp(xs) * v, rtol=1e-14)
    np.testing.assert_allclose(value.compute(), np.exp(xs), rtol=1e-14)
    with pytest.raises(ValueError, match="block's shape"):
        dd.jvp(np.sum, x, v)[1].compute()
    with pytest.raises(ValueError, match="elementwise"):
        dd.derivative(np.sum, x).compute()
    with pytest.raises(TypeError, match="has_aux"):
        dd.derivative(lambda t: (t, 0), x, has_aux=True)


@pytest.mark.xdist_group("processes")
def test_chunks_spread_over_a_local_cluster():
    distributed = pytest.importorskip("distributed")
    from scipy.optimize import rosen_der, rosen_hess

    p = testing.get("rosenbrock")
    x = p.make_x(40)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ex = client.get_executor()
        g = dd.gradient(lambda t: p.f(t), x, chunk_size=7, executor=ex)  # a lambda: cloudpickle
        np.testing.assert_allclose(g, rosen_der(x), rtol=1e-12)
        H = dd.hessian(p.f, x, chunk_size=9, executor=ex)
        np.testing.assert_allclose(H, rosen_hess(x), rtol=1e-12, atol=1e-12)
        d = dd.derivative(np.sin, _x()).compute()  # lazy arrays computed on the cluster
        np.testing.assert_allclose(d, np.cos(_x().compute()), rtol=1e-14)
