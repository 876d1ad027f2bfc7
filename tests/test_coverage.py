"""The coverage table: every public callable of numpy and np.linalg is handled, value-only or
refused with a reason, and each class behaves as the table says.

References: numpy's own namespace (``dir(np)``, enumerated at test time), numpy's functions on
the value parts (for value-only functions), and the error messages (refusals name the
function).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import _coverage, _support

ROOT = Path(__file__).resolve().parents[1]
TABLE = _support.classify()

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4))
V = np.array([0.5, -1.5, 2.0, 0.0, 3.5])


def test_every_public_callable_is_classified():
    missing = sorted(k for k, (c, _) in TABLE.items() if c == _support.UNCLASSIFIED)
    assert not missing, f"add these numpy callables to dualdiff/_coverage.py: {missing}"
    assert len(TABLE) > 400


def test_refused_main_namespace_functions_are_not_handled():
    """A refusal the registry contradicts is stale: remove it from the table."""
    stale = [n for n in _coverage.REFUSED if TABLE.get("np." + n, ("",))[0] == _support.HANDLED]
    assert not stale


def test_every_refusal_has_a_reason():
    for key, (cls, note) in TABLE.items():
        if cls in (_support.REFUSED, _support.VALUE):
            assert len(note) > 5, key


PAGE = (ROOT / "docs" / "functions.md").read_text(encoding="utf-8")
SAME_NUMPY = f"Generated with numpy {np.__version__}." in PAGE
"""Whether the page was generated with this numpy: then it must list exactly this namespace;
with another numpy only the names both have are compared (numpy adds and removes names)."""


def test_functions_page_is_current():
    page = _support.parse_page(PAGE)
    now = {k: c for k, (c, _) in TABLE.items() if SAME_NUMPY or k in page}
    wrong = {k: (page.get(k), c) for k, c in now.items() if page.get(k) != c}
    assert not wrong, "run `python -m dualdiff._support` to regenerate docs/functions.md"
    gone = [k for k in page if k not in TABLE and _exists(k)]
    assert not gone


def test_readme_block_is_current():
    listed = _support.parse_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    handled = {
        k.removeprefix("np.")
        for k, (c, _) in TABLE.items()
        if c == _support.HANDLED and not isinstance(_support.eval_name(k), np.ufunc)
    }
    missing = handled - listed if SAME_NUMPY else set()
    assert not missing, f"run `python -m dualdiff._support`: missing {missing}"
    extra = [n for n in listed - handled if _exists("np." + n)]  # other numpy versions' names
    assert not extra


def _exists(key):
    try:
        _support.eval_name(key)
    except AttributeError:
        return False
    return True


# ---------------------------------------------------------------- value-only functions

VALUE_CALLS = {
    np.all: lambda x: ((x,), {"axis": 0}),
    np.any: lambda x: ((x,), {}),
    np.allclose: lambda x: ((x, x + 1e-9), {}),
    np.isclose: lambda x: ((x, 0.5), {}),
    np.array_equal: lambda x: ((x, x), {}),
    np.array_equiv: lambda x: ((x, x[0]), {}),
    np.isin: lambda x: ((x, [0.5, 2.0]), {}),
    np.isreal: lambda x: ((x,), {}),
    np.iscomplex: lambda x: ((x,), {}),
    np.isneginf: lambda x: ((x,), {}),
    np.isposinf: lambda x: ((x,), {}),
    np.argwhere: lambda x: ((x,), {}),
    np.argpartition: lambda x: ((x, 2), {}),
    np.nonzero: lambda x: ((x,), {}),
    np.flatnonzero: lambda x: ((x,), {}),
    np.searchsorted: lambda x: ((np.sort(x), [0.1, 2.5]), {}),
    np.digitize: lambda x: ((x, [0.0, 1.0, 3.0]), {}),
    np.lexsort: lambda x: (((x, -x),), {}),
    np.nanargmax: lambda x: ((x,), {}),
    np.nanargmin: lambda x: ((x,), {}),
    np.count_nonzero: lambda x: ((x,), {}),
    np.diag_indices_from: lambda x: ((np.reshape(x[:4], (2, 2)),), {}),
    np.tril_indices_from: lambda x: ((np.reshape(x[:4], (2, 2)),), {}),
    np.triu_indices_from: lambda x: ((np.reshape(x[:4], (2, 2)), 1), {}),
    np.argmax: lambda x: ((x,), {}),
    np.argmin: lambda x: ((x,), {}),
    np.argsort: lambda x: ((x,), {}),
    np.shape: lambda x: ((x,), {}),
    np.ndim: lambda x: ((x,), {}),
    np.size: lambda x: ((x,), {}),
    np.result_type: lambda x: ((x, 1.0), {}),
    np.iscomplexobj: lambda x: ((x,), {}),
    np.isrealobj: lambda x: ((x,), {}),
    np.shares_memory: lambda x: ((x, x), {}),
    np.may_share_memory: lambda x: ((x, x), {}),
    np.min_scalar_type: lambda x: ((x,), {}),
}
if hasattr(np, "in1d"):  # numpy < 2.4
    VALUE_CALLS[getattr(np, "in1d")] = lambda x: ((x, [0.5, 2.0]), {})  # noqa: B009

VALUE_FUNCS = sorted(
    (_support.eval_name(k) for k, (c, _) in TABLE.items() if c == _support.VALUE),
    key=lambda f: f.__name__,
)


def test_every_value_only_function_has_a_call():
    ufuncs = {f for f in VALUE_FUNCS if isinstance(f, np.ufunc)}  # predicates: own tests
    assert {f.__name__ for f in VALUE_FUNCS if f not in VALUE_CALLS and f not in ufuncs} == set()


@pytest.mark.parametrize("func", sorted(VALUE_CALLS, key=lambda f: f.__name__))
@pytest.mark.parametrize("kind", ["dual", "hyper"])
def test_value_only_functions_act_on_the_value(func, kind):
    x = dd.Dual(V, np.arange(5.0)) if kind == "dual" else dd.HyperDual(V, 1.0, 2.0, 3.0)
    args, kwargs = VALUE_CALLS[func](x)

    def plain(a):
        if isinstance(a, dd.Dual | dd.HyperDual):
            return a.value
        if isinstance(a, tuple):
            return tuple(plain(b) for b in a)
        return a

    got = func(*args, **kwargs)
    want = func(*plain(args), **kwargs)
    if func in (np.shares_memory, np.may_share_memory):
        return  # a fact about buffers, not values
    if isinstance(want, tuple):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    else:
        assert not isinstance(got, dd.Dual | dd.HyperDual)
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- refusals name the function

REFUSED_CALLS = [
    ("i0", lambda x: np.i0(x)),
    ("intersect1d", lambda x: np.intersect1d(x, [0.5])),
    ("union1d", lambda x: np.union1d(x, [0.5])),
    ("histogram2d", lambda x: np.histogram2d(x, x)),
    ("sort_complex", lambda x: np.sort_complex(x)),
    ("packbits", lambda x: np.packbits(x)),
    ("vectorize", lambda x: np.vectorize(lambda t: t * 2.0)(x)),
    ("frompyfunc", lambda x: np.frompyfunc(lambda t: t * 2.0, 1, 1)(x)),
    ("asarray_chkfinite", lambda x: np.asarray_chkfinite(x)),
]


@pytest.mark.parametrize(("name", "call"), REFUSED_CALLS, ids=[n for n, _ in REFUSED_CALLS])
def test_refused_functions_raise_an_error_naming_them(name, call):
    x = dd.Dual(V, 1.0)
    with pytest.raises((dd.UnsupportedFunctionError, dd.DerivativeLossError, ValueError)) as e:
        call(x)
    text = str(e.value) + str(e.value.__cause__ or "")
    assert name in text, text
    assert ("np." + name) in TABLE and TABLE["np." + name][0] == _support.REFUSED


def test_where_with_one_argument_gives_the_indices_of_the_value():
    x = dd.Dual(V, 1.0)
    for got, want in zip(np.where(x), np.where(V), strict=True):
        np.testing.assert_array_equal(got, want)


def test_unsupported_error_quotes_the_tables_reason():
    with pytest.raises(dd.UnsupportedFunctionError, match="complex output"):
        np.sort_complex(dd.Dual(V, 1.0))
