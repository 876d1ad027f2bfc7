"""Exceptions raised where a derivative would otherwise be lost or a call is not supported."""

from __future__ import annotations

import sys


class DerivativeLossError(TypeError):
    """A dual number was converted to something that cannot carry its derivative parts.

    Raised by ``float(x)``, ``int(x)``, ``np.asarray(x)``, ``np.array([x1, x2])``,
    ``x.item()``, ``x.tolist()`` and ``out=`` with a plain array, instead of silently dropping
    the derivative. A subclass of :class:`TypeError`. Keep the computation in numpy functions
    on the dual number, build arrays of them with ``np.stack``, or read the parts explicitly
    (``.value``, ``.dual``, ``.eps1``, ``.eps2``, ``.eps12``).

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> x = dd.Dual(2.0, 1.0)
    >>> float(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    dualdiff._errors.DerivativeLossError: cannot convert a dual number to float: its ...
    >>> np.stack([x, 2 * x]).dual
    array([1., 2.])
    """


class UnsupportedFunctionError(TypeError):
    """A numpy ufunc or function has no derivative rule in dualdiff.

    The message names the function (and the keyword, when a supported function was called
    with one dualdiff does not handle). :func:`~dualdiff.supported_functions` lists what is
    supported. A subclass of :class:`TypeError`, which numpy itself raises for a function an
    array type does not implement.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> np.fft.fft(dd.Dual(np.ones(4), 1.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    dualdiff._errors.UnsupportedFunctionError: np.fft.fft is not supported on dual numbers...
    """


class NonDifferentiableError(ValueError):
    """A function has no derivative at this point, so none is returned.

    Raised by the linear algebra of :mod:`dualdiff` where the derivative does not exist or
    is not unique: eigenvalues (``eigh``, ``eig``, ``eigvalsh``) or singular values
    (``svd``, ``svdvals``) that coincide within a tolerance (the eigenvectors, and the
    eigenvalues taken one by one, are not differentiable there), a zero singular value (a
    kink of ``|σ|``), a rank-deficient ``qr``, or the columns of ``Q``/``U`` that the input
    does not determine (``qr(mode="complete")`` and ``svd(full_matrices=True)`` of a
    non-square matrix). The message names the function and the reason. A subclass of
    :class:`ValueError`, as numpy's ``LinAlgError`` is.

    Examples
    --------
    >>> import numpy as np
    >>> import dualdiff as dd
    >>> np.linalg.eigh(dd.Dual(np.eye(2), np.ones((2, 2))))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    dualdiff._errors.NonDifferentiableError: np.linalg.eigh: eigenvalues 0 and 1 ...
    """


class LeakedPerturbationError(ValueError):
    """A dual number outlived the derivative call that made it, and reached another one.

    Each driver call perturbs its input with its own tag (see :doc:`nesting`). If ``f``
    stores one of the numbers it receives (in a global, a closure, a list) and that number
    later reaches the result of a driver, its derivative parts belong to a call that has
    returned: no driver can read them, and mixing them into the result would be meaningless.
    The driver raises this error instead. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> import dualdiff as dd
    >>> kept = []
    >>> dd.derivative(lambda x: kept.append(x) or x, 1.0)
    1.0
    >>> dd.derivative(lambda t: t * kept[0], 2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    dualdiff._errors.LeakedPerturbationError: derivative: f returned a number perturbed by ...
    """


def loss_message(what: str) -> str:
    caller = converting_function()
    where = ""
    if caller is not None and _has_dual_version(caller):
        where = (
            f"{caller} has a dual version, but the dual numbers reached it inside a list, "
            "tuple or object that numpy does not look into, and it converted them to "
            f"{what}. Pass one dual array instead: np.stack([...]) first. "
        )
    elif caller is not None:
        where = (
            f"{caller} converted a dual number to {what}. Either {caller} has no dual "
            "version (dualdiff.supported_functions() lists those that do: write the "
            "computation with them, or apply it to .value if only the value is needed), or "
            "the dual numbers reached it inside a list, tuple or object numpy does not look "
            "into (pass one array: np.stack([...]) first). "
        )
    if caller is None and what == "a numpy array":
        what = (
            "a numpy array (np.array, np.asarray, or a numpy function written in C that was "
            "given dual numbers inside a list)"
        )
    return (
        f"{where}cannot convert a dual number to {what}: its derivative parts would be lost. "
        "Keep the computation in numpy functions on the dual number, or read the parts "
        "explicitly with .value and .dual / .eps1 / .eps2 / .eps12 (derivatives)."
    )


def _has_dual_version(caller: str) -> bool:
    """Whether ``np.name`` is in the registry of handled functions (looked up in the loaded
    module, not imported: this module is a leaf of the import graph)."""
    registry = getattr(sys.modules.get("dualdiff._functions"), "HANDLED_FUNCTIONS", {})
    numpy = sys.modules.get("numpy")
    if not caller.startswith("np.") or numpy is None:
        return False
    obj = numpy
    for part in caller[3:].split("."):
        obj = getattr(obj, part, None)
    return obj is not None and obj in registry


_LIBRARIES = ("numpy", "scipy", "pandas", "sklearn", "math")


def converting_function() -> str | None:
    """The library function whose code converted a dual number (``np.vectorize.__call__``,
    ``scipy.optimize.rosen``), or None when the user's own code did.

    Read from the Python stack on the error path only: the outermost consecutive frame of a
    library (numpy, scipy, ...) above dualdiff's own frames. numpy's C functions
    (``np.asarray``) leave no frame: a direct call by the user gives None.
    """
    getframe = getattr(sys, "_getframe", None)
    if getframe is None:  # not CPython: no frames to read
        return None
    frame = getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("dualdiff"):
        frame = frame.f_back
    found = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in _LIBRARIES:
            break
        found = frame
        frame = frame.f_back
    if found is None:
        return None
    module = found.f_globals.get("__name__", "")
    code = found.f_code
    name = getattr(code, "co_qualname", code.co_name)
    if module.startswith("numpy"):
        import numpy as np

        if name.startswith("AxisConcatenator"):
            return "np.r_/np.c_"
        short = name.split(".")[0]
        if getattr(np, short, None) is not None:
            return f"np.{name}"
        return f"{module}.{name}"
    return f"{module}.{name}"


FILL_IDIOM = (
    "To fill an array with dual numbers, make the array dual: out = np.zeros_like(x) for a "
    "dual x (or np.zeros(n, like=x)), then out[i] = value; or collect the values in a list "
    "and use np.stack([...])."
)


_OWN = ("numpy", "dualdiff")
"""Packages whose frames are the conversion machinery, not the code that asked for it."""


def _module(frame) -> str:
    return frame.f_globals.get("__name__", "") or ""


def _top(frame) -> str:
    return _module(frame).partition(".")[0]


def _public_name(frame) -> str:
    """``scipy.special.logsumexp``, ``scipy.stats.norm.pdf``: the name a user calls a frame's
    function by (private modules dropped; a scipy distribution method by its ``name``)."""
    parts = []
    for p in _module(frame).split("."):
        if p.startswith("_"):
            break
        parts.append(p)
    code = frame.f_code
    qual = getattr(code, "co_qualname", code.co_name)
    if "." in qual and "<" not in qual:
        obj = frame.f_locals.get("self")
        name = getattr(obj, "name", None)
        if not isinstance(name, str):
            name = getattr(getattr(obj, "dist", None), "name", None)
        if isinstance(name, str):
            return ".".join(parts + [name, code.co_name])
    return ".".join(parts + [qual])


def _where(frame) -> str:
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _is_library(frame) -> bool:
    """Installed code (site-packages, the standard library), as opposed to the user's own."""
    import sysconfig

    name = frame.f_code.co_filename
    paths = sysconfig.get_paths()
    return any(name.startswith(paths[k]) for k in ("purelib", "platlib", "stdlib") if k in paths)


def array_loss_message(depth: int = 2) -> str:
    """The message of ``np.asarray`` (and alike) on a dual number.

    Walks the Python stack from the caller of ``__array__`` (``depth`` frames up), on the
    error path only: the first frame outside numpy and dualdiff is where the conversion was
    asked for. If that is an installed library other than numpy (scipy, ...), its outermost
    frame is the function the user called, named with the file and line of the conversion,
    the caller's line and the :mod:`dualdiff.scipy` equivalent from
    :data:`dualdiff._equivalents.EQUIVALENTS` when there is one. Otherwise
    :func:`loss_message` (which names a numpy function such as ``np.vectorize``), the line of
    the user's code and the idiom for filling arrays.
    """
    from ._equivalents import EQUIVALENTS

    generic = loss_message("a numpy array")
    try:
        frame = sys._getframe(depth)
    except (AttributeError, ValueError):
        return generic + " " + FILL_IDIOM
    while frame is not None and _top(frame) in _OWN:
        frame = frame.f_back
    if frame is None:
        return generic + " " + FILL_IDIOM
    site = frame
    if not _is_library(site) or _top(site) in ("", "__main__"):
        code = site.f_code
        return (
            f"{generic} The conversion happened at {_where(site)}, in "
            f"{getattr(code, 'co_qualname', code.co_name)}. " + FILL_IDIOM
        )
    package = _top(site)
    entry = site
    while entry.f_back is not None and _top(entry.f_back) == package:
        entry = entry.f_back
    public = _public_name(entry)
    caller = entry.f_back
    called = f", called from {_where(caller)}" if caller is not None else ""
    text = (
        f"{public} converted its argument to a plain numpy array (at {_where(site)}{called}), "
        "which drops the derivative: its derivative parts would be lost. "
    )
    equivalent = EQUIVALENTS.get(public)
    if equivalent is not None:
        return text + f"Use {equivalent} instead: it works on dual numbers."
    return text + (
        f"dualdiff has no dual-aware version of {public}: write that step with numpy "
        "functions and ufuncs on the dual number (dualdiff.supported_functions() lists them; "
        "dualdiff.scipy has equivalents of common scipy functions), or apply it to .value if "
        "only the value is needed."
    )
