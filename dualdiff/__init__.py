"""dualdiff: exact first and second derivatives of plain numpy code.

Evaluate ``f`` once on dual numbers ``a + b·ε`` (``ε² = 0``) or hyper-dual numbers
``a + b·ε1 + c·ε2 + d·ε1ε2`` and read off ``f(x)``, ``f'(x)`` and ``f''(x)`` to machine
precision, with no step size.
"""

from . import (
    _linalg,  # noqa: F401  (registers np.linalg on dual numbers)
    optimize,
)
from ._config import nan_safe, use_numba
from ._errors import (
    DerivativeLossError,
    LeakedPerturbationError,
    NonDifferentiableError,
    UnsupportedFunctionError,
)
from ._memory import MemoryBudgetError, memory_budget, set_memory_budget
from ._operators import hessian_operator, jacobian_operator
from ._sparse import SparsePlan, sparse_plan, sparsity
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
    memory_plan,
    nth_derivative,
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
"""The version of dualdiff (written here only: ``pyproject.toml`` reads it)."""


def cache_info() -> dict:
    """Where compiled kernels are kept, whether that store is usable, and what it holds.

    The store is a private directory (``$DUALDIFF_CACHE_DIR``, else the user's cache
    directory) holding one shared library per kernel, each checked against the SHA-256 digest
    recorded when it was stored. Also ``python -m dualdiff cache info``.

    Returns
    -------
    dict
        ``root`` (str), ``directory`` (str: the store of this dualdiff, Numba and CPU
        version), ``usable`` (bool), ``reason`` (str, why not usable; None when usable),
        ``kernels`` (int, how many are stored), ``bytes`` (int), ``other_keys`` (list of str,
        stores of other versions under the same root) and ``compiler`` (the C compiler
        command used to link kernels, or None).

    See Also
    --------
    clear_cache, precompile

    Examples
    --------
    >>> import dualdiff as dd
    >>> info = dd.cache_info()
    >>> sorted(info)
    ['bytes', 'compiler', 'directory', 'kernels', 'other_keys', 'reason', 'root', 'usable']
    >>> info["usable"] == (info["reason"] is None)
    True
    """
    from ._kernels import registry

    return registry.kernel_store().info()


def clear_cache() -> int:
    """Remove every stored kernel of this user (all versions); return the bytes freed.

    Kernels already loaded in this process keep working; later ones are compiled again (about
    a second each) or rebuilt ahead of time with :func:`precompile`. Also
    ``python -m dualdiff cache clear``.

    Returns
    -------
    int
        Bytes removed from the store (0 when it was empty or absent).

    See Also
    --------
    cache_info, precompile

    Examples
    --------
    >>> import dualdiff as dd
    >>> freed = dd.clear_cache()  # doctest: +SKIP
    >>> dd.cache_info()["kernels"]  # doctest: +SKIP
    0
    """
    from ._kernels import registry

    return registry.kernel_store().clear()


def precompile(jobs: int | None = None) -> dict:
    """Compile the common kernels into the store now rather than on first use.

    Each kernel takes about a second to compile once per machine (and per dualdiff, Numba
    and CPU version); this builds every rule of the table on both number types with the
    layouts the drivers make, ``jobs`` processes at once. Kernels already stored are only
    verified. Also ``python -m dualdiff precompile [--jobs N]``.

    Parameters
    ----------
    jobs : int, optional
        Number of processes compiling at once (default: every CPU).

    Returns
    -------
    dict
        ``kernels`` (int, how many make the common set), ``built_or_found`` (int),
        ``seconds`` (float) and ``store`` (str, the directory; None, with a ``reason``, where
        no private store can be used and nothing can be kept).

    See Also
    --------
    cache_info, clear_cache, use_numba

    Examples
    --------
    >>> import dualdiff as dd
    >>> out = dd.precompile(jobs=2)  # doctest: +SKIP
    >>> out["built_or_found"] == out["kernels"]  # doctest: +SKIP
    True
    """
    from ._kernels import registry

    return registry.precompile(jobs)


def supported_functions() -> dict:
    """The numpy ufuncs and functions that dual numbers support, by category.

    Every name listed works on :class:`Dual` and :class:`HyperDual`; anything else raises
    :class:`UnsupportedFunctionError`. Where scipy is installed this imports scipy.special to
    list its ufuncs (``import dualdiff`` itself does not import scipy). The documentation's
    page "numpy functions on dual numbers" (``docs/functions.md``) classifies every public
    callable of numpy and ``np.linalg`` as handled, value-only or refused, with the reason.

    Returns
    -------
    dict of str to list of str
        Sorted names under eight keys: ``"ruled ufuncs"`` (numpy ufuncs with a derivative
        rule each: ``exp``, ``arctan2``, ...), ``"linear ufuncs"`` (``add``, ``negative``,
        ...), ``"product ufuncs"`` (the product and quotient rules: ``multiply``, ``divide``,
        ...), ``"locally constant ufuncs"`` (zero derivative: ``floor``, ``sign``, ...),
        ``"predicates"`` (act on the value: ``less``, ``isfinite``, ...), ``"functions"``
        (numpy functions: ``sum``, ``einsum``, ``where``, ...; numpy.linalg's as
        ``linalg.solve``, ``linalg.eigh``, ...), ``"scipy.special ufuncs"``
        (``erf``, ``gammaln``, ``jv``, ``betainc``, ...; empty without scipy; those with
        parameters, such as ``jv(v, x)``, are differentiable in ``x`` only) and ``"scipy
        equivalents"`` (scipy functions that convert with ``np.asarray``, as
        ``scipy.special.logsumexp``, whose dual-aware version is in :mod:`dualdiff.scipy`
        under the same path).

    Examples
    --------
    >>> import dualdiff as dd
    >>> supported = dd.supported_functions()
    >>> list(supported)  # doctest: +NORMALIZE_WHITESPACE
    ['ruled ufuncs', 'linear ufuncs', 'product ufuncs', 'locally constant ufuncs',
     'predicates', 'functions', 'scipy.special ufuncs', 'scipy equivalents']
    >>> "log1p" in supported["ruled ufuncs"], "einsum" in supported["functions"]
    (True, True)
    >>> "scipy.stats.norm.logpdf" in supported["scipy equivalents"]
    True
    """
    from . import _equivalents, _functions, _rules, _ufuncs

    special = _ufuncs.special_ufunc_names()
    core = {
        u for u, r in (_rules.UNARY_RULES | _rules.BINARY_RULES).items()
        if r.fn.__module__ == _rules.__name__
    }  # fmt: skip
    return {
        "ruled ufuncs": sorted(u.__name__ for u in core),
        "linear ufuncs": sorted(u.__name__ for u in _ufuncs.LINEAR_UFUNCS),
        "product ufuncs": sorted(u.__name__ for u in _ufuncs.ALGEBRA_UFUNCS),
        "locally constant ufuncs": sorted(u.__name__ for u in _ufuncs.LOCALLY_CONSTANT_UFUNCS),
        "predicates": sorted(u.__name__ for u in _ufuncs.PREDICATE_UFUNCS),
        "functions": sorted({_function_name(f) for f in _functions.HANDLED_FUNCTIONS}),
        "scipy.special ufuncs": special,
        "scipy equivalents": sorted(_equivalents.EQUIVALENTS),
    }


def _function_name(f) -> str:
    """``sum``, ``einsum``; ``linalg.solve`` for numpy.linalg's functions."""
    module = getattr(f, "__module__", "") or ""
    return ("linalg." if module == "numpy.linalg" else "") + f.__name__


def __getattr__(name: str):
    """``dd.scipy`` imported on first use: it imports scipy, which ``import dualdiff`` does not."""
    if name == "scipy":
        import importlib

        return importlib.import_module(".scipy", __name__)
    raise AttributeError(f"module 'dualdiff' has no attribute {name!r}")


__all__ = [
    "Derivatives",
    "DerivativeLossError",
    "Dual",
    "HyperDual",
    "LeakedPerturbationError",
    "MemoryBudgetError",
    "NonDifferentiableError",
    "SparsePlan",
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
    "hessian_operator",
    "hvp",
    "hvp_of",
    "jacobian",
    "jacobian_of",
    "jacobian_operator",
    "jvp",
    "jvp_of",
    "memory_budget",
    "memory_plan",
    "nan_safe",
    "nth_derivative",
    "optimize",
    "precompile",
    "scipy",
    "second_derivative",
    "second_derivative_of",
    "set_memory_budget",
    "sparse_plan",
    "sparsity",
    "supported_functions",
    "use_numba",
    "value_and_derivatives",
    "value_and_derivatives_of",
    "value_and_gradient",
    "value_and_gradient_of",
    "value_gradient_hessian",
    "value_gradient_hessian_of",
]
