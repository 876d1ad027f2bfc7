"""dualdiff: exact first and second derivatives of plain numpy code.

Evaluate ``f`` once on dual numbers ``a + b·ε`` (``ε² = 0``) or hyper-dual numbers
``a + b·ε1 + c·ε2 + d·ε1ε2`` and read off ``f(x)``, ``f'(x)`` and ``f''(x)`` to machine
precision, with no step size.
"""

from . import optimize
from ._config import use_numba
from ._errors import DerivativeLossError, UnsupportedFunctionError
from .drivers import (
    Derivatives,
    ValueAndGradient,
    ValueGradientHessian,
    derivative,
    gradient,
    hessian,
    hvp,
    jacobian,
    jvp,
    second_derivative,
    value_and_derivatives,
    value_and_gradient,
    value_gradient_hessian,
)
from .dual import Dual
from .hyperdual import HyperDual
from .optimize import gradient_of, hessian_of, hvp_of, jacobian_of, value_and_gradient_of

__version__ = "0.1.0"


def supported_functions() -> dict:
    """The numpy ufuncs and functions that dual numbers support, by category."""
    from . import _functions, _rules, _ufuncs

    return {
        "ruled ufuncs": sorted(u.__name__ for u in _rules.UNARY_RULES | _rules.BINARY_RULES),
        "linear ufuncs": sorted(u.__name__ for u in _ufuncs.LINEAR_UFUNCS),
        "product ufuncs": sorted(u.__name__ for u in _ufuncs.ALGEBRA_UFUNCS),
        "locally constant ufuncs": sorted(u.__name__ for u in _ufuncs.LOCALLY_CONSTANT_UFUNCS),
        "predicates": sorted(u.__name__ for u in _ufuncs.PREDICATE_UFUNCS),
        "functions": sorted({f.__name__ for f in _functions.HANDLED_FUNCTIONS}),
    }


__all__ = [
    "Derivatives",
    "DerivativeLossError",
    "Dual",
    "HyperDual",
    "UnsupportedFunctionError",
    "ValueAndGradient",
    "ValueGradientHessian",
    "__version__",
    "derivative",
    "gradient",
    "gradient_of",
    "hessian",
    "hessian_of",
    "hvp",
    "hvp_of",
    "jacobian",
    "jacobian_of",
    "jvp",
    "optimize",
    "second_derivative",
    "supported_functions",
    "use_numba",
    "value_and_derivatives",
    "value_and_gradient",
    "value_and_gradient_of",
    "value_gradient_hessian",
]
