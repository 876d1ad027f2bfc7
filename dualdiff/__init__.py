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
from .optimize import (
    derivative_of,
    gradient_of,
    hessian_of,
    hvp_of,
    jacobian_of,
    jvp_of,
    second_derivative_of,
    value_and_derivatives_of,
    value_and_gradient_of,
    value_gradient_hessian_of,
)

__version__ = "0.1.0"


def cache_info() -> dict:
    """Where compiled kernels are kept, whether that store is usable, and what it holds.

    Returns
    -------
    dict
        ``root``, ``directory`` (the store of this version, CPU and sources), ``usable``,
        ``reason`` (why not, when not), ``kernels`` (how many are stored), ``bytes``,
        ``other_keys`` (stores of other versions under the same root) and ``compiler``.
    """
    from ._kernels import registry

    return registry.kernel_store().info()


def clear_cache() -> int:
    """Remove every stored kernel of this user (all versions); returns the bytes freed.

    Kernels already loaded in this process keep working; later ones are compiled again.
    """
    from ._kernels import registry

    return registry.kernel_store().clear()


def precompile(jobs: int | None = None) -> dict:
    """Compile the common kernels into the store now rather than on first use.

    Each kernel takes about a second to compile once per machine (and per dualdiff, Numba
    and CPU version); this builds every rule of the table on both number types with the
    layouts the drivers make, ``jobs`` processes at once (default: every CPU). Also
    ``python -m dualdiff precompile``.

    Returns
    -------
    dict
        ``kernels`` (how many make the common set), ``built_or_found``, ``seconds`` and
        ``store`` (None, with a ``reason``, where no private store can be used).
    """
    from ._kernels import registry

    return registry.precompile(jobs)


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
    "cache_info",
    "clear_cache",
    "derivative",
    "derivative_of",
    "gradient",
    "gradient_of",
    "hessian",
    "hessian_of",
    "hvp",
    "hvp_of",
    "jacobian",
    "jacobian_of",
    "jvp",
    "jvp_of",
    "optimize",
    "precompile",
    "second_derivative",
    "second_derivative_of",
    "supported_functions",
    "use_numba",
    "value_and_derivatives",
    "value_and_derivatives_of",
    "value_and_gradient",
    "value_and_gradient_of",
    "value_gradient_hessian",
    "value_gradient_hessian_of",
]
