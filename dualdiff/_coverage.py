"""What dualdiff does NOT differentiate in numpy's namespace, and why: one table.

Every public callable of ``numpy`` and ``numpy.linalg`` is, on dual numbers, one of:

- **handled**: dual-aware, read from the registries at run time (``HANDLED_FUNCTIONS`` and the
  ufunc tables of :mod:`dualdiff._ufuncs`), never listed here;
- **value-only**: its result carries no derivative (indices, counts, booleans), so it runs on
  the value parts (:data:`dualdiff._functions_values.VALUE_ONLY`);
- **refused**: listed below with the reason; a call with a dual number raises an error that
  names the function (``UnsupportedFunctionError`` with this reason, or, for functions that
  convert their input to a plain array, ``DerivativeLossError`` naming the caller).

This module holds data only (it imports nothing of dualdiff): :mod:`dualdiff._functions`
quotes a reason in its error, and :mod:`dualdiff._support` classifies the namespace, renders
the documentation's table and backs ``tests/test_coverage.py``, which fails when numpy has a
public callable in none of the three classes.
"""

from __future__ import annotations

_GROUPS = {
    "creates arrays from shapes or constants (no array input to differentiate)": """
        arange eye identity tri indices diag_indices tril_indices triu_indices mask_indices
        bartlett blackman hamming hanning kaiser fromfunction ix_ ravel_multi_index
        unravel_index broadcast_shapes""",
    "converts its input to a plain ndarray, which cannot hold derivative parts (a dual number "
    "already behaves as an array; build arrays of duals with np.stack)": """
        array asarray asanyarray asarray_chkfinite ascontiguousarray asfortranarray require
        asmatrix bmat from_dlpack frombuffer fromiter fromstring""",
    "file input/output": """
        load save savez savez_compressed loadtxt savetxt genfromtxt fromfile fromregex""",
    "printing and string formatting": """
        array2string array_repr array_str base_repr binary_repr format_float_positional
        format_float_scientific set_printoptions get_printoptions printoptions""",
    "configuration, dtypes and introspection (no array data)": """
        get_include getbufsize setbufsize geterr seterr geterrcall seterrcall show_config
        show_runtime test info typename mintypecode common_type can_cast promote_types
        isdtype issubdtype iterable isscalar einsum_path nested_iters isfortran""",
    "dates and business days": """
        busday_count busday_offset is_busday datetime_as_string datetime_data""",
    "integer or bit operations": "packbits unpackbits",
    "set operations return data values whose derivative would depend on which duplicate is "
    "kept: apply them to .value (np.unique, which checks that duplicates agree, is handled)": """
        intersect1d setdiff1d setxor1d union1d unique_all unique_counts unique_inverse""",
    "complex output (dual numbers are real)": "sort_complex",
    "2-d and n-d histograms: counts are piecewise constant; apply them to .value": """
        histogram2d histogramdd""",
    "the Bessel function i0 has no derivative rule (numpy has no i1)": "i0",
    "calls a Python function element by element on plain numbers: write the function with "
    "numpy operations instead": "frompyfunc vectorize",
    "a class or type (dtypes, scalar types, array classes, iterators, error states)": """
        bool bool_ broadcast busdaycalendar byte bytes_ cdouble character clongdouble
        complex128 complex256 complex192 complex64 complexfloating csingle datetime64 double
        dtype errstate finfo flatiter flexible float128 float96 float16 float32 float64
        floating generic half iinfo inexact int16 int32 int64 int8 int_ intc integer intp long
        longdouble longlong matrix memmap ndarray ndenumerate ndindex nditer number object_
        poly1d recarray record short signedinteger single str_ timedelta64 ubyte ufunc uint
        uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong unsignedinteger ushort void""",
}

_LINALG_GROUPS = {
    "linear algebra on dual numbers lives in dualdiff._linalg; not yet dual-aware": """
        cholesky cond cross det diagonal eig eigh eigvals eigvalsh inv lstsq matmul
        matrix_norm matrix_power matrix_rank matrix_transpose multi_dot outer pinv qr slogdet
        solve svd svdvals tensordot tensorinv tensorsolve trace vecdot vector_norm""",
    "configuration and introspection (no array data)": "test",
    "a class or type (dtypes, scalar types, array classes, iterators, error states)": (
        "LinAlgError"
    ),
}


def _expand(groups: dict) -> dict:
    return {name: reason for reason, names in groups.items() for name in names.split()}


REFUSED: dict = _expand(_GROUPS)
"""``name -> reason`` for the main namespace (``np.name``)."""

LINALG_REFUSED: dict = _expand(_LINALG_GROUPS)
"""``name -> reason`` for ``np.linalg.name``; a name the linear-algebra handlers register is
handled instead (the registry wins)."""


def reason(func) -> str | None:
    """The table's reason for refusing ``func`` (a numpy function), or None."""
    name = getattr(func, "__name__", "")
    module = getattr(func, "__module__", "") or ""
    table = LINALG_REFUSED if "linalg" in module else REFUSED
    return table.get(name)
