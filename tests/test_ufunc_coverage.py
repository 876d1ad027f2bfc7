"""Coverage guard: every float numpy ufunc has a category, and each category behaves as said."""

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import _rules, _ufuncs

FLOAT_UFUNCS = sorted(
    {
        u
        for name in dir(np)
        if isinstance(u := getattr(np, name), np.ufunc)
        and any("d" in t.split("->")[0] for t in u.types)
    },
    key=lambda u: u.__name__,
)

CATEGORIES = {
    "ruled": set(_rules.UNARY_RULES) | set(_rules.BINARY_RULES),
    "linear": set(_ufuncs.LINEAR_UFUNCS),
    "algebra": set(_ufuncs.ALGEBRA_UFUNCS),
    "locally constant": set(_ufuncs.LOCALLY_CONSTANT_UFUNCS),
    "predicate": set(_ufuncs.PREDICATE_UFUNCS),
    "unsupported": set(_ufuncs.UNSUPPORTED_UFUNCS),
}


@pytest.mark.parametrize("ufunc", FLOAT_UFUNCS, ids=lambda u: u.__name__)
def test_every_float_ufunc_has_exactly_one_category(ufunc):
    found = [name for name, members in CATEGORIES.items() if ufunc in members]
    assert len(found) == 1, f"np.{ufunc.__name__} is in {found or 'no category'}"


@pytest.mark.parametrize(
    "ufunc", sorted(_ufuncs.UNSUPPORTED_UFUNCS, key=lambda u: u.__name__), ids=lambda u: u.__name__
)
def test_unsupported_ufuncs_raise_with_name_and_reason(ufunc):
    x = dd.Dual(np.array([1.5, 2.5]), 1.0)
    with pytest.raises(dd.UnsupportedFunctionError, match=ufunc.__name__):
        ufunc(*([x] * ufunc.nin))


@pytest.mark.parametrize(
    "ufunc",
    sorted(_ufuncs.LOCALLY_CONSTANT_UFUNCS, key=lambda u: u.__name__),
    ids=lambda u: u.__name__,
)
def test_locally_constant_ufuncs_have_zero_derivative(ufunc):
    a = np.array([0.3, 1.7, -2.2])
    x = dd.HyperDual(a, 1.0, 1.0, 0.0)
    y = ufunc(*([x] * ufunc.nin)) if ufunc.nin == 1 else ufunc(x, 0.7)
    expected = ufunc(a) if ufunc.nin == 1 else ufunc(a, 0.7)
    np.testing.assert_array_equal(y.value, expected)
    for part in (y.eps1, y.eps2, y.eps12):
        np.testing.assert_array_equal(part, 0.0)


@pytest.mark.parametrize(
    "ufunc", sorted(_ufuncs.PREDICATE_UFUNCS, key=lambda u: u.__name__), ids=lambda u: u.__name__
)
def test_predicates_act_on_the_real_part(ufunc):
    a = np.array([0.5, -1.0, np.inf, np.nan])
    x = dd.Dual(a, np.array([9.0, -9.0, 1.0, 1.0]))
    args = (x,) * ufunc.nin
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(ufunc(*args), ufunc(*((a,) * ufunc.nin)))


def test_readme_lists_exactly_the_scipy_special_rules():
    """The README's scipy.special list is the ruled public names (a new rule must be
    documented); every rule of the tables is reachable by one of them."""
    import re
    from pathlib import Path

    import scipy.special

    from dualdiff._rules_special import (
        SPECIAL_BINARY_RULES,
        SPECIAL_PARAMETRIC_RULES,
        SPECIAL_UNARY_RULES,
    )

    text = Path(__file__).parent.parent.joinpath("README.md").read_text()
    listed = re.search(r"- scipy\.special: `([^`]*)`", text).group(1).split()
    assert len(set(listed)) == len(listed)
    assert listed == dd.supported_functions()["scipy.special ufuncs"]
    tables = SPECIAL_UNARY_RULES | SPECIAL_BINARY_RULES | SPECIAL_PARAMETRIC_RULES
    reached = {getattr(scipy.special, n) for n in listed} | {scipy.special._ufuncs._zeta}
    assert set(tables) <= reached


LINALG_FUNCTIONS = sorted(
    (f for name in np.linalg.__all__ if callable(f := getattr(np.linalg, name))
     and not isinstance(f, type)),
    key=lambda f: f.__name__,
)  # fmt: skip


@pytest.mark.parametrize("func", LINALG_FUNCTIONS, ids=lambda f: f.__name__)
def test_every_numpy_linalg_function_is_handled_and_listed(func):
    """Coverage guard for np.linalg: every function of the installed numpy has a handler
    (dualdiff/_linalg.py) and is listed by supported_functions() as ``linalg.<name>``."""
    from dualdiff._functions import HANDLED_FUNCTIONS

    assert func in HANDLED_FUNCTIONS, f"np.linalg.{func.__name__} has no handler"
    assert "linalg." + func.__name__ in dd.supported_functions()["functions"]
