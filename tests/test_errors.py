"""Silent derivative loss is trapped, and every error names the way out.

Exception types are checked loosely (TypeError or ValueError); messages must contain the key
word: the function's name, ``float``, ``np.stack``, ``jacobian``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import dualdiff as dd

ERRORS = (TypeError, ValueError)


def scalar_numbers():
    return [dd.Dual(1.5, 1.0), dd.HyperDual(1.5, 1.0, 1.0, 0.0)]


def array_numbers():
    x = np.array([1.0, 2.0, 3.0])
    return [dd.Dual(x, np.ones(3)), dd.HyperDual(x, 1.0, 1.0, 0.0)]


ALL = scalar_numbers() + array_numbers()
IDS = ["Dual", "HyperDual", "Dual[3]", "HyperDual[3]"]


# ------------------------------------------------------------------------ conversions


@pytest.mark.parametrize("z", scalar_numbers(), ids=IDS[:2])
def test_float_raises(z):
    with pytest.raises(TypeError, match="float"):
        float(z)


@pytest.mark.parametrize("z", scalar_numbers(), ids=IDS[:2])
def test_int_and_complex_raise(z):
    with pytest.raises(ERRORS, match=re.compile("int|float|deriv", re.I)):
        int(z)
    with pytest.raises(ERRORS, match=re.compile("complex|float|deriv", re.I)):
        complex(z)


@pytest.mark.parametrize("z", ALL, ids=IDS)
def test_asarray_raises(z):
    with pytest.raises(ERRORS, match=re.compile("deriv|lost|dual", re.I)):
        np.asarray(z)
    with pytest.raises(ERRORS):
        np.asarray(z, dtype=float)
    with pytest.raises(ERRORS):
        np.array(z, float)
    with pytest.raises(ERRORS):
        np.array(z)


@pytest.mark.parametrize("kind", ["scalar", "array"])
def test_array_of_duals_points_to_stack(kind):
    if kind == "scalar":
        d1, d2 = dd.Dual(1.0, 1.0), dd.Dual(2.0, 0.0)
        h1, h2 = dd.HyperDual(1.0, 1.0), dd.HyperDual(2.0)
    else:
        d1, d2 = array_numbers()[0], array_numbers()[0]
        h1, h2 = array_numbers()[1], array_numbers()[1]
    for a, b in ((d1, d2), (h1, h2)):
        with pytest.raises(ERRORS, match="np.stack"):
            np.array([a, b])
        with pytest.raises(ERRORS, match="np.stack"):
            np.array([a, 3.0])
    # and np.stack is indeed the way
    s = np.stack([d1, d2])
    assert isinstance(s, dd.Dual) and s.shape == (2,) + np.shape(d1.value)


@pytest.mark.parametrize("z", scalar_numbers(), ids=IDS[:2])
def test_writing_a_dual_into_a_float_array_raises(z):
    arr = np.zeros(3)
    with pytest.raises(ERRORS) as info:
        arr[0] = z
    # numpy may re-raise as "setting an array element with a sequence" from dualdiff's error:
    # the chain shown to the user must then carry the explanation
    chain = f"{info.value} {info.value.__cause__ or ''}"
    assert re.search("float|deriv|dual", chain, re.I), chain
    assert np.all(arr == 0.0)


@pytest.mark.parametrize("z", array_numbers(), ids=IDS[2:])
def test_writing_a_dual_array_into_a_float_array_raises(z):
    arr = np.zeros(3)
    with pytest.raises(ERRORS):
        arr[:] = z
    assert np.all(arr == 0.0)


@pytest.mark.parametrize("z", array_numbers(), ids=IDS[2:])
def test_out_float_buffer_raises(z):
    buf = np.zeros(3)
    with pytest.raises(ERRORS):
        np.sin(z, out=buf)
    with pytest.raises(ERRORS):
        np.add(z, 1.0, out=buf)
    with pytest.raises(ERRORS):
        np.multiply(z, z, out=(buf,))
    assert np.all(buf == 0.0)


@pytest.mark.parametrize("z", array_numbers(), ids=IDS[2:])
def test_bool_of_array_is_ambiguous(z):
    with pytest.raises(ERRORS):
        bool(z > 0)  # a plain bool array: numpy's own error
    with pytest.raises(ERRORS):
        bool(z)


# ------------------------------------------------------------------------ unsupported functions


UNSUPPORTED_UFUNCS = [
    (np.frexp, 1),  # two outputs, the exponent is an integer: not a differentiable map
    (np.gcd, 2),  # integer-only
    (np.bitwise_and, 2),  # integer-only
    (np.nextafter, 2),  # a bit-level step, not a differentiable function of its inputs
]


@pytest.mark.parametrize(
    ("ufunc", "nargs"), UNSUPPORTED_UFUNCS, ids=lambda u: getattr(u, "__name__", "")
)
@pytest.mark.parametrize("z", ALL, ids=IDS)
def test_unsupported_ufunc_names_itself(ufunc, nargs, z):
    args = (z,) if nargs == 1 else (z, 2.0)
    with pytest.raises(ERRORS, match=ufunc.__name__):
        ufunc(*args)


UNSUPPORTED_FUNCTIONS = [
    (np.fft.fft, "fft"),
    (np.i0, "i0"),
    (np.sort_complex, "sort_complex"),
    (np.fft.rfft, "rfft"),
]


@pytest.mark.parametrize(
    ("fn", "name"), UNSUPPORTED_FUNCTIONS, ids=[n for _, n in UNSUPPORTED_FUNCTIONS]
)
def test_unsupported_numpy_function_names_itself(fn, name):
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    z = dd.Dual(x, np.ones((2, 2)))
    with pytest.raises(TypeError, match=name):
        fn(z)


# ------------------------------------------------------------------------ driver inputs


def _f(x):
    return np.sum(x**2)


@pytest.mark.parametrize(
    "x",
    [
        np.array(["a", "b"]),
        "abc",
        np.array([1.0, None], dtype=object),
        np.array([b"x"]),
        None,
        [1.0, "a"],
    ],
    ids=["str_array", "str", "object", "bytes", "None", "mixed_list"],
)
@pytest.mark.parametrize(
    "driver",
    [dd.gradient, dd.hessian, dd.jacobian, dd.derivative, dd.second_derivative],
    ids=lambda d: d.__name__,
)
def test_non_numeric_input_to_driver(driver, x):
    calls = []

    def f(t):
        calls.append(t)
        return _f(t)

    with pytest.raises(ERRORS):
        driver(f, x)
    assert not calls, "f must not be called with a non-numeric x"


@pytest.mark.parametrize("driver", [dd.gradient, dd.hessian, dd.value_and_gradient])
@pytest.mark.parametrize("out", ["vector", "column", "matrix"])
def test_gradient_of_vector_function_names_jacobian(driver, out):
    fs = {
        "vector": lambda x: x**2,
        "column": lambda x: np.reshape(x, (-1, 1)) * 2.0,
        "matrix": lambda x: np.outer(x, x),
    }
    with pytest.raises(ValueError, match="jacobian"):
        driver(fs[out], np.array([1.0, 2.0]))


def test_value_gradient_hessian_and_hvp_of_vector_function():
    with pytest.raises(ValueError, match="jacobian"):
        dd.value_gradient_hessian(lambda x: x**2, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="jacobian"):
        dd.hvp(lambda x: x**2, np.array([1.0, 2.0]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("driver", [dd.hvp, dd.jvp], ids=lambda d: d.__name__)
def test_direction_of_wrong_shape(driver):
    with pytest.raises(ValueError, match="shape"):
        driver(_f, np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="shape"):
        driver(_f, np.ones((2, 2)), np.ones(4))


def test_f_returning_a_non_number():
    for driver in (dd.gradient, dd.jacobian, dd.derivative, dd.hessian):
        with pytest.raises(ERRORS):
            driver(lambda x: "not a number", np.array([1.0, 2.0]))
        with pytest.raises(ERRORS):
            driver(lambda x: None, np.array([1.0, 2.0]))


# ------------------------------------------------------------------------ f that drops the dual


def test_f_that_calls_float_raises():
    def f(x):
        return float(x[0]) ** 2 + float(x[1])

    for driver in (dd.gradient, dd.hessian, dd.jacobian):
        with pytest.raises(TypeError, match="float"):
            driver(f, np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="float"):
        dd.derivative(lambda t: float(t) ** 2, 3.0)


def test_f_that_calls_asarray_raises():
    with pytest.raises(ERRORS):
        dd.gradient(lambda x: np.sum(np.asarray(x) ** 2), np.array([1.0, 2.0]))
    with pytest.raises(ERRORS):
        dd.gradient(lambda x: np.sum(np.array(x, dtype=float)), np.array([1.0, 2.0]))


def test_constant_f_has_zero_derivatives():
    """A plain float that does not depend on x at all: its derivatives are exactly zero."""
    x = np.array([1.0, 2.0, 3.0])
    g = dd.gradient(lambda t: 3.0, x)
    assert np.shape(g) == (3,) and np.all(np.asarray(g) == 0.0)
    H = dd.hessian(lambda t: 3.0, x)
    assert np.shape(H) == (3, 3) and np.all(np.asarray(H) == 0.0)
    J = dd.jacobian(lambda t: np.array([1.0, 2.0]), x)
    assert np.shape(J) == (2, 3) and np.all(np.asarray(J) == 0.0)
    assert dd.derivative(lambda t: 5.0, 2.0) == 0.0
    assert dd.second_derivative(lambda t: 5.0, 2.0) == 0.0
    val, jv = dd.jvp(lambda t: 7.0, 1.0, 1.0)
    assert val == 7.0 and jv == 0.0


DRIVER_CALLS = {
    "derivative": lambda f: dd.derivative(f, 0.0),
    "second_derivative": lambda f: dd.second_derivative(f, 0.0),
    "value_and_derivatives": lambda f: dd.value_and_derivatives(f, 0.0)[1:],
    "gradient": lambda f: dd.gradient(lambda t: f(t[0]), np.array([0.0, 1.0])),
    "hessian": lambda f: dd.hessian(lambda t: f(t[0]), np.array([0.0, 1.0])),
    "jacobian": lambda f: dd.jacobian(lambda t: f(t[0]), np.array([0.0, 1.0])),
    "jvp": lambda f: dd.jvp(f, 0.0, 1.0)[1],
    "hvp": lambda f: dd.hvp(lambda t: f(t[0]), np.array([0.0, 1.0]), np.array([1.0, 0.0])),
}


@pytest.mark.parametrize("name", sorted(DRIVER_CALLS))
def test_constant_branch_calls_f_once(name):
    """sin(x)/x with its limit at 0 as a constant branch: the derivatives there are 0
    (sinc'(0) = 0; the second derivative of the branch taken is 0 too), f runs once."""
    calls = []

    def f(x):
        calls.append(1)
        return 1.0 if x == 0 else np.sin(x) / x

    out = DRIVER_CALLS[name](f)
    assert len(calls) == 1
    assert np.all(np.asarray(out, dtype=float) == 0.0)


def test_masked_input_refused():
    x = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    with pytest.raises(TypeError, match="masked array"):
        dd.gradient(lambda t: np.sum(t**2), x)
