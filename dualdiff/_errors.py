"""Exceptions raised where a derivative would otherwise be lost or a call is not supported."""

from __future__ import annotations


class DerivativeLossError(TypeError):
    """A dual number was converted to something that cannot carry its derivative parts."""


class UnsupportedFunctionError(TypeError):
    """A numpy ufunc or function has no derivative rule in dualdiff."""


def loss_message(what: str) -> str:
    return (
        f"cannot convert a dual number to {what}: its derivative parts would be lost. "
        "Keep the computation in numpy functions on the dual number, or read the parts "
        "explicitly with .real (value) and .dual / .eps1 / .eps2 / .eps12 (derivatives)."
    )


FILL_IDIOM = (
    "To fill an array with dual numbers, make the array dual: out = np.zeros_like(x) for a "
    "dual x (or np.zeros(n, like=x)), then out[i] = value; or collect the values in a list "
    "and use np.stack([...])."
)
