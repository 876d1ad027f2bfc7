"""Where results go: ``out=``, arrays built to be filled, dual numbers written into arrays.

- ``out=`` is honoured where it can hold the result (a dual ``out``: written and returned) and
  refused with DerivativeLossError where it cannot (a plain float array), for every handler of
  ``HANDLED_FUNCTIONS`` whose numpy signature has ``out`` (found by inspecting numpy, so a new
  handler without a recipe in ``CALLS`` fails ``test_every_out_function_has_a_recipe``) and for
  every ufunc method.
- ``np.zeros_like`` & co. and ``np.zeros(n, like=x)`` give dual arrays to fill.
- Writing a dual number into a plain array raises DerivativeLossError with the idiom.

References: the same call without ``out=`` (numpy's contract is that ``out`` receives exactly
the returned value), and numpy's own shapes.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import DerivativeLossError
from dualdiff._functions import HANDLED_FUNCTIONS

RNG = np.random.default_rng(7)
V = RNG.normal(size=4)
M = RNG.normal(size=(3, 3))


def _dual(x):
    return dd.Dual(x, RNG.normal(size=np.shape(x)))


def _hyper(x):
    s = np.shape(x)
    return dd.HyperDual(x, RNG.normal(size=s), RNG.normal(size=s), RNG.normal(size=s))


CALLS = {
    np.take: lambda d: ((d(V), [0, 2]), {}),
    np.trace: lambda d: ((d(M),), {}),
    np.concatenate: lambda d: (([d(V), d(V)],), {}),
    np.stack: lambda d: (([d(V), d(V)],), {}),
    np.clip: lambda d: ((d(V), -0.5, 0.5), {}),
    np.sum: lambda d: ((d(M),), {"axis": 0}),
    np.mean: lambda d: ((d(M),), {"axis": 1}),
    np.cumsum: lambda d: ((d(V),), {}),
    np.prod: lambda d: ((d(V),), {}),
    np.cumprod: lambda d: ((d(V),), {}),
    np.max: lambda d: ((d(M),), {"axis": 0}),
    np.amax: lambda d: ((d(M),), {"axis": 0}),
    np.min: lambda d: ((d(M),), {"axis": 1}),
    np.amin: lambda d: ((d(M),), {"axis": 1}),
    np.argmax: lambda d: ((d(M),), {"axis": 0}),
    np.argmin: lambda d: ((d(M),), {"axis": 0}),
    np.var: lambda d: ((d(M),), {"axis": 0}),
    np.std: lambda d: ((d(M),), {"axis": 0}),
    np.round: lambda d: ((d(V),), {"decimals": 1}),
    np.around: lambda d: ((d(V),), {"decimals": 1}),
    np.matmul: lambda d: ((d(M), d(M)), {}),
    np.dot: lambda d: ((d(M), d(V[:3])), {}),
    np.outer: lambda d: ((d(V), V), {}),
    np.einsum: lambda d: (("ij,j->i", d(M), d(V[:3])), {}),
    np.linalg.multi_dot: lambda d: (([d(M), M, d(V[:3])],), {}),
    np.all: lambda d: ((d(M),), {"axis": 0}),
    np.any: lambda d: ((d(M),), {"axis": 0}),
    np.choose: lambda d: (([0, 1, 0], [d(V[:3]), d(V[1:])]), {}),
    np.compress: lambda d: (([True, False, True], d(V[:3])), {}),
    np.fix: lambda d: ((d(V),), {}),
    np.isneginf: lambda d: ((d(V),), {}),
    np.isposinf: lambda d: ((d(V),), {}),
    np.median: lambda d: ((d(M),), {"axis": 0}),
    np.percentile: lambda d: ((d(M), 30.0), {"axis": 1}),
    np.quantile: lambda d: ((d(M), 0.3), {"axis": 1}),
    np.nanmedian: lambda d: ((d(M),), {"axis": 0}),
    np.nanpercentile: lambda d: ((d(M), 30.0), {"axis": 1}),
    np.nanquantile: lambda d: ((d(M), 0.3), {"axis": 1}),
    np.ptp: lambda d: ((d(M),), {"axis": 0}),
    np.nanargmax: lambda d: ((d(M),), {"axis": 0}),
    np.nanargmin: lambda d: ((d(M),), {"axis": 0}),
    np.nancumsum: lambda d: ((d(V),), {}),
    np.nancumprod: lambda d: ((d(V),), {}),
    np.nanmax: lambda d: ((d(M),), {"axis": 0}),
    np.nanmin: lambda d: ((d(M),), {"axis": 0}),
    np.nanmean: lambda d: ((d(M),), {"axis": 0}),
    np.nansum: lambda d: ((d(M),), {"axis": 0}),
    np.nanprod: lambda d: ((d(M),), {"axis": 0}),
    np.nanvar: lambda d: ((d(M),), {"axis": 0}),
    np.nanstd: lambda d: ((d(M),), {"axis": 0}),
}
"""One call per handled function with an ``out`` parameter."""
if hasattr(np, "cumulative_sum"):
    CALLS[np.cumulative_sum] = lambda d: ((d(V),), {})
    CALLS[np.cumulative_prod] = lambda d: ((d(V),), {})

PLAIN_RESULT = {
    np.argmax,
    np.argmin,
    np.all,
    np.any,
    np.isneginf,
    np.isposinf,
    np.nanargmax,
    np.nanargmin,
}
"""Functions whose result is plain (indices): a plain ``out`` of numpy's dtype holds it."""

KINDS = {"dual": _dual, "hyper": _hyper}


def _has_out(func) -> bool:
    try:
        return "out" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


OUT_FUNCTIONS = sorted((f for f in HANDLED_FUNCTIONS if _has_out(f)), key=lambda f: f.__name__)


def test_every_out_function_has_a_recipe():
    missing = [f.__name__ for f in OUT_FUNCTIONS if f not in CALLS]
    assert not missing, f"add a call to CALLS for {missing}"
    assert len(OUT_FUNCTIONS) >= 20


def _same(a, b):
    assert type(a) is type(b)
    for p, q in zip(a._parts(), b._parts()):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("func", OUT_FUNCTIONS, ids=lambda f: f.__name__)
def test_out_is_honoured_or_refused(func, kind):
    args, kwargs = CALLS[func](KINDS[kind])
    ref = func(*args, **kwargs)
    if func in PLAIN_RESULT:
        buf = np.full(np.shape(ref), -1, dtype=np.asarray(ref).dtype)
        assert func(*args, **kwargs, out=buf) is buf
        np.testing.assert_array_equal(buf, ref)
        return
    assert isinstance(ref, dd.Dual | dd.HyperDual)
    with pytest.raises(DerivativeLossError, match="out=") as err:
        func(*args, **kwargs, out=np.zeros(ref.shape))
    assert "np.zeros_like" in str(err.value)
    buf = np.zeros_like(ref)
    assert func(*args, **kwargs, out=buf) is buf
    _same(buf, ref)


def test_out_given_positionally():
    x, y = _dual(M), _dual(V[:3])
    ref = np.dot(x, y)
    buf = np.zeros_like(ref)
    assert np.dot(x, y, buf) is buf
    _same(buf, ref)
    with pytest.raises(DerivativeLossError):
        np.dot(x, y, np.zeros(3))
    s = np.zeros_like(np.sum(x, 0))
    assert np.sum(x, 0, None, s) is s  # out is numpy's fourth positional parameter
    _same(s, np.sum(x, 0))


def test_out_of_the_wrong_shape_or_kind_is_an_error():
    x = _dual(M)
    with pytest.raises(ValueError, match="shape"):
        np.sum(x, axis=0, out=np.zeros_like(x))
    with pytest.raises(TypeError):
        np.sum(x, axis=0, out=np.zeros(3, like=_hyper(V)))
    vector = dd.Dual(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="directions"):
        np.sum(x, axis=0, out=vector)


def test_zero_d_dual_out():
    x = _dual(V)
    buf = dd.Dual(0.0, 0.0)
    assert np.sum(x, out=buf) is buf
    _same(buf, np.sum(x))


# ---------------------------------------------------------------- every ufunc method

UFUNC_CALLS = {
    "__call__ unary": lambda d: (np.sin, "__call__", (d(V),), {}),
    "__call__ binary": lambda d: (np.multiply, "__call__", (d(V), d(V)), {}),
    "__call__ power": lambda d: (np.power, "__call__", (d(V), 2.0), {}),
    "__call__ matmul": lambda d: (np.matmul, "__call__", (d(M), d(M)), {}),
    "reduce add": lambda d: (np.add, "reduce", (d(M),), {"axis": 0}),
    "reduce multiply": lambda d: (np.multiply, "reduce", (d(M),), {"axis": 1}),
    "reduce maximum": lambda d: (np.maximum, "reduce", (d(M),), {"axis": 0}),
    "reduce minimum": lambda d: (np.minimum, "reduce", (d(M),), {"axis": 0}),
    "accumulate add": lambda d: (np.add, "accumulate", (d(V),), {}),
    "accumulate multiply": lambda d: (np.multiply, "accumulate", (d(V),), {}),
    "outer multiply": lambda d: (np.multiply, "outer", (d(V), d(V[:3])), {}),
    "outer hypot": lambda d: (np.hypot, "outer", (d(V), V[:3]), {}),
}
UNSUPPORTED_METHODS = {
    "reduceat": lambda d: (np.add, "reduceat", (d(V), [0, 2]), {}),
    "reduce subtract": lambda d: (np.subtract, "reduce", (d(V),), {}),
}


def test_every_ufunc_method_is_covered():
    methods = {k.split()[0] for k in UFUNC_CALLS} | {k.split()[0] for k in UNSUPPORTED_METHODS}
    assert methods | {"at"} == {"__call__", "reduce", "accumulate", "reduceat", "outer", "at"}
    assert {"reduce", "accumulate", "outer", "reduceat", "at"} <= set(
        m for m in dir(np.add) if not m.startswith("_")
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", UFUNC_CALLS)
def test_ufunc_method_out(case, kind):
    ufunc, method, args, kwargs = UFUNC_CALLS[case](KINDS[kind])
    call = getattr(ufunc, method)
    ref = call(*args, **kwargs)
    with pytest.raises(DerivativeLossError, match="out=") as err:
        call(*args, **kwargs, out=np.zeros(ref.shape))
    assert "np.zeros_like" in str(err.value)
    buf = np.zeros_like(ref)
    assert call(*args, **kwargs, out=buf) is buf
    _same(buf, ref)
    tup = np.zeros_like(ref)
    assert call(*args, **kwargs, out=(tup,)) is tup  # numpy's tuple form


@pytest.mark.parametrize("case", UNSUPPORTED_METHODS)
def test_unsupported_ufunc_methods_say_so(case):
    ufunc, method, args, kwargs = UNSUPPORTED_METHODS[case](_dual)
    with pytest.raises(dd.UnsupportedFunctionError, match=method):
        getattr(ufunc, method)(*args, **kwargs)


def test_ufunc_at_into_a_plain_array_is_refused():
    with pytest.raises(DerivativeLossError, match="np.zeros_like"):
        np.add.at(np.zeros(4), [0, 1], _dual(V)[:2])


def test_plain_inputs_into_a_dual_out():
    """Only ``out`` is dual: the plain result, with zero derivative parts."""
    buf = np.zeros_like(_hyper(V))
    assert np.sin(V, out=buf) is buf
    np.testing.assert_array_equal(buf.value, np.sin(V))
    assert not np.any(buf.eps1) and not np.any(buf.eps12)


def test_predicates_write_plain_outs():
    buf = np.zeros(4, dtype=bool)
    assert np.less(_dual(V), 0.0, out=buf) is buf
    np.testing.assert_array_equal(buf, V < 0.0)


# ---------------------------------------------------------------- building outputs


def _modes():
    return {
        "dual": dd.Dual(V, RNG.normal(size=4)),
        "dual vector": dd.Dual(V, RNG.normal(size=(4, 3))),
        "hyper": _hyper(V),
        "hyper vector": dd.HyperDual(V, np.ones((4, 2)), np.ones((4, 3)), np.ones((4, 2, 3))),
        "hyper 0-d": dd.HyperDual(1.5, 1.0, 1.0, 0.0),
    }


@pytest.mark.parametrize("mode", _modes())
@pytest.mark.parametrize(
    ("make", "fill"),
    [
        (np.zeros_like, 0.0),
        (lambda x: np.empty_like(x), None),
        (np.ones_like, 1.0),
        (lambda x: np.full_like(x, 2.5), 2.5),
        (lambda x: np.zeros(np.shape(x), like=x), 0.0),
        (lambda x: np.ones(np.shape(x), like=x), 1.0),
        (lambda x: np.empty(np.shape(x), like=x), None),
        (lambda x: np.full(np.shape(x), -1.0, like=x), -1.0),
    ],
)
def test_arrays_to_fill(mode, make, fill):
    x = _modes()[mode]
    out = make(x)
    assert type(out) is type(x) and out.shape == x.shape and out._labels() == x._labels()
    for p, q in zip(out._parts()[1:], x._parts()[1:]):
        assert np.shape(p) == np.shape(q) and not np.any(p)  # zero derivative parts
    if fill is not None:
        assert np.all(out.value == fill)
    if x.shape:  # fill it element by element with dual numbers and constants
        out[0] = np.sin(x[0])
        out[1] = 3.0
        _same(out[0], np.sin(x[0]))
        assert out[1].value == 3.0 and not np.any(out[1]._parts()[1])


def test_like_with_a_new_shape_and_plain_dtype():
    x = dd.Dual(V, RNG.normal(size=(4, 3)))
    z = np.zeros((2, 5), like=x)
    assert z.shape == (2, 5) and z.dual.shape == (2, 5, 3)
    assert np.zeros_like(x, shape=(2,)).dual.shape == (2, 3)
    assert np.zeros(3, dtype=int, like=x).dtype == int  # no derivative to hold: plain
    assert np.zeros_like(x, dtype=bool).dtype == bool


def test_a_dual_array_takes_dual_items():
    x = dd.Dual(V, np.ones(4))
    out = np.zeros_like(x)
    for i in range(4):
        out[i] = x[i] * x[i]
    np.testing.assert_array_equal(out.dual, 2 * V)


def test_item_assignment_checks_directions():
    out = np.zeros_like(dd.Dual(V, np.ones((4, 2))))
    with pytest.raises(ValueError, match="directions"):
        out[0] = dd.Dual(1.0, 1.0)  # a scalar-mode value must not broadcast over directions


@pytest.mark.parametrize(
    "write",
    [
        lambda a, d: a.__setitem__(slice(0, 2), d[:2]),
        lambda a, d: a.__setitem__(Ellipsis, d),
        lambda a, d: a.__setitem__([0, 1], d[:2]),
        lambda a, d: a.__setitem__(np.array([True, False, True, False]), d[:2]),
        lambda a, d: np.copyto(a, d),
        lambda a, d: np.put(a, [0], d[0]),
        lambda a, d: np.putmask(a, a == 0, d),
        lambda a, d: np.place(a, a == 0, d),
        lambda a, d: np.add.at(a, [0], d[0]),
        lambda a, d: np.asarray(d, dtype=float),
        lambda a, d: np.array([d[0], d[1]]),
    ],
    ids=[
        "slice",
        "ellipsis",
        "fancy",
        "mask",
        "copyto",
        "put",
        "putmask",
        "place",
        "at",
        "asarray",
        "array",
    ],  # fmt: skip
)
@pytest.mark.parametrize("kind", KINDS)
def test_writing_a_dual_into_a_plain_array_raises(write, kind):
    with pytest.raises(DerivativeLossError, match=r"np\.zeros_like\(x\)") as err:
        write(np.zeros(4), KINDS[kind](V))
    assert "np.stack" in str(err.value)


@pytest.mark.parametrize("kind", KINDS)
def test_writing_a_0d_dual_into_a_plain_array_explains_itself(kind):
    """``a[0] = d``: numpy converts a 0-d value with ``__float__`` and, since a dual number
    has ``__getitem__`` (a sequence to it), replaces that error by its own ValueError; our
    DerivativeLossError, with the idiom, is its ``__cause__``."""
    d = KINDS[kind](V)[0]
    a = np.zeros(4)
    for write in (lambda: a.__setitem__(0, d), lambda: a.fill(d)):
        with pytest.raises((DerivativeLossError, ValueError)) as err:
            write()
        e = err.value if isinstance(err.value, DerivativeLossError) else err.value.__cause__
        assert isinstance(e, DerivativeLossError)
        assert "out = np.zeros_like(x)" in str(e) and "np.stack" in str(e)
    assert not np.any(a)
