"""The shared problem catalogue (dualdiff.testing): references checked against each other
and against complex step, and dualdiff checked against the references."""

import subprocess
import sys

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import testing

SCALAR = testing.SCALAR_PROBLEMS
GRADIENT = testing.GRADIENT_PROBLEMS
JACOBIAN = testing.JACOBIAN_PROBLEMS
EXACT_TOL = 1e-13  # hand-derived formulas and mpmath agree to a few ulps
CS_TOL = 1e-13  # complex step with h = 1e-30 is exact to rounding for first derivatives
DUALDIFF_TOL = 1e-13


def ids(problems):
    return [p.name for p in problems]


def complex_step_jacobian(f, x, h=1e-30):
    x = np.asarray(x, dtype=float)
    cols = [np.imag(f(x + 1j * h * e)) / h for e in np.eye(x.size)]
    return np.stack(cols, axis=-1)


def test_names_unique_and_lookup():
    names = [p.name for p in testing.all_problems()]
    assert len(names) == len(set(names))
    assert set(names) == set(testing.PROBLEMS)
    assert testing.get("rosenbrock") is testing.PROBLEMS["rosenbrock"]
    with pytest.raises(KeyError, match="known"):
        testing.get("nope")


def test_import_is_light():
    # importing the catalogue must not pull in scipy or mpmath (the references import lazily)
    code = (
        "import sys, dualdiff; before = set(sys.modules); import dualdiff.testing; "
        "new = set(sys.modules) - before; "
        "print(any(m.split('.')[0] in ('scipy', 'mpmath') for m in new))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_relative_error():
    assert testing.relative_error([1.0, 2.5], [1.0, 2.0]) == 0.25
    assert testing.relative_error(3.0, 3.0) == 0.0
    assert testing.relative_error([np.inf], [1.0]) == np.inf
    assert testing.relative_error([1e-3], [0.0]) == 1e-3  # absolute when the reference is 0
    with pytest.raises(ValueError, match="shape"):
        testing.relative_error([1.0, 2.0], [1.0])


@pytest.mark.parametrize("p", SCALAR, ids=ids(SCALAR))
def test_scalar_value_matches_reference(p):
    assert testing.relative_error(p.f(p.x0), p.reference()[0]) <= EXACT_TOL


@pytest.mark.parametrize("p", SCALAR, ids=ids(SCALAR))
def test_scalar_reference_matches_complex_step(p):
    # f and its mpmath twin mp_f are the same function
    h = 1e-30
    cs = np.imag(p.f(p.x0 + 1j * h)) / h
    assert testing.relative_error(cs, p.reference()[1]) <= CS_TOL


@pytest.mark.parametrize("p", [p for p in SCALAR if p.exact], ids=ids(p for p in SCALAR if p.exact))
def test_hand_derived_matches_mpmath(p):
    for x in p.x0 * np.array([0.5, 1.0, 1.7]):
        exact = p.exact(np.float64(x))
        mp = testing.mp_derivatives(p.mp_f, x)
        for a, b in zip(exact, mp):
            assert testing.relative_error(a, b) <= EXACT_TOL


def test_scalar_reference_vectorised():
    p = testing.get("bench_f")
    x = np.linspace(0.1, 2.0, 7)
    vec = p.reference(x)
    for i, xi in enumerate(x):
        for k in range(3):
            assert testing.relative_error(vec[k][i], p.reference(xi)[k]) <= EXACT_TOL
    # a problem without a hand-derived formula falls back to mpmath elementwise
    q = testing.get("power_xx")
    assert q.reference(np.array([1.5, 2.0]))[1].shape == (2,)


def test_rosenbrock_is_scipy_rosen():
    from scipy.optimize import rosen

    x = testing.get("rosenbrock").make_x(17)
    assert testing.rosenbrock(x) == pytest.approx(rosen(x), rel=1e-15)


def test_rosenbrock_references_without_scipy(monkeypatch):
    p = testing.get("rosenbrock")
    x = p.make_x(9)
    with_scipy = p.gradient(x), p.hessian(x)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import now raises ImportError
    assert testing.relative_error(p.gradient(x), with_scipy[0]) <= EXACT_TOL
    assert testing.relative_error(p.hessian(x), with_scipy[1]) <= EXACT_TOL


def test_scalar_reference_without_mpmath(monkeypatch):
    p = testing.get("sqrt_cos")
    with_mpmath = p.reference()
    monkeypatch.setattr(testing, "_have_mpmath", lambda: False)
    for a, b in zip(p.reference(), with_mpmath):
        assert testing.relative_error(a, b) <= EXACT_TOL


@pytest.mark.parametrize("p", GRADIENT, ids=ids(GRADIENT))
def test_gradient_and_hessian_references(p):
    x = p.make_x(p.n_accuracy)
    assert np.array_equal(x, p.make_x(p.n_accuracy))  # deterministic
    g = p.gradient(x)
    assert testing.relative_error(complex_step_jacobian(p.f, x), g) <= CS_TOL
    h = 1e-6
    fd = np.stack(
        [(p.gradient(x + h * e) - p.gradient(x - h * e)) / (2 * h) for e in np.eye(x.size)]
    )
    assert testing.relative_error(fd, p.hessian(x)) <= 1e-8
    np.testing.assert_allclose(p.hessian(x), p.hessian(x).T, rtol=0, atol=0)


@pytest.mark.parametrize("p", JACOBIAN, ids=ids(JACOBIAN))
def test_jacobian_reference(p):
    x = p.make_x(p.n_accuracy)
    assert testing.relative_error(complex_step_jacobian(p.f, x), p.jacobian(x)) <= CS_TOL


# dualdiff against the catalogue (the same checks the benchmark runner reports)


@pytest.mark.parametrize("p", SCALAR, ids=ids(SCALAR))
def test_dualdiff_scalar(p):
    ref = p.reference()
    assert testing.relative_error(dd.derivative(p.f, p.x0), ref[1]) <= DUALDIFF_TOL
    assert testing.relative_error(dd.second_derivative(p.f, p.x0), ref[2]) <= DUALDIFF_TOL
    x = p.x0 * np.array([0.9, 1.0, 1.1])
    vad = dd.value_and_derivatives(p.f, x)
    for got, want in zip(vad, p.reference(x)):
        assert testing.relative_error(got, want) <= DUALDIFF_TOL


@pytest.mark.parametrize("p", GRADIENT, ids=ids(GRADIENT))
def test_dualdiff_gradient_hessian(p):
    x = p.make_x(p.n_accuracy)
    assert testing.relative_error(dd.gradient(p.f, x), p.gradient(x)) <= DUALDIFF_TOL
    assert testing.relative_error(dd.hessian(p.f, x), p.hessian(x)) <= DUALDIFF_TOL


@pytest.mark.parametrize("p", JACOBIAN, ids=ids(JACOBIAN))
def test_dualdiff_jacobian(p):
    x = p.make_x(p.n_accuracy)
    assert testing.relative_error(dd.jacobian(p.f, x), p.jacobian(x)) <= DUALDIFF_TOL
