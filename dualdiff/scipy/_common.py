"""What the equivalents share: recognising dual inputs, and their value parts."""

from __future__ import annotations

import numpy as np

from .._base import DualBase


def has_dual(*xs) -> bool:
    """Whether any argument is a dual number (or a list or tuple holding one)."""
    for x in xs:
        if isinstance(x, DualBase):
            return True
        if isinstance(x, (list, tuple)) and has_dual(*x):
            return True
    return False


def as_array(x):
    """A dual number as it is; a list holding dual numbers stacked; anything else a float
    array (what scipy's ``np.asarray`` would make of it)."""
    if isinstance(x, DualBase):
        return x
    if isinstance(x, (list, tuple)) and has_dual(*x):
        return np.stack([as_array(e) for e in x])
    return np.asarray(x, dtype=float)


def value(x):
    """The value part of a dual number; anything else as a plain array or number."""
    return x.value if isinstance(x, DualBase) else x
