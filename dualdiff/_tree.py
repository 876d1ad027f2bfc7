"""Structured parameters: flatten nested dicts, lists and tuples to leaves and rebuild them.

A *structure* is a leaf or a container of structures. Containers are ``dict`` (rebuilt with
its keys in their order), ``tuple``, ``list`` and named tuples. A *leaf* is anything else: an
ndarray, a number, a dual number -- and also a plain list or tuple of Python numbers, nested
to any depth, because numpy reads that as an array (``gradient(f, [1.0, 2.0])`` has always
meant an array of two). So ``[np.ones(2), np.ones(2)]`` is a list of two leaves, as in JAX,
but ``[[1.0, 2.0], [3.0, 4.0]]`` is one 2×2 leaf, as in numpy.

Our own ~60 lines rather than ``optree`` or ``jax.tree_util``: that would add a compiled
dependency for a traversal this small, and its lists-are-always-nodes rule would break the
numpy reading of numeric lists above that existing callers rely on.
"""

from __future__ import annotations

from numbers import Number
from typing import Any, NamedTuple

import numpy as np

from ._base import DualBase


class Node(NamedTuple):
    """How to rebuild one level: ``kind`` is "leaf", "dict", "list", "tuple" or a
    named-tuple class; ``keys`` the dict's keys; ``children`` the sub-structures."""

    kind: Any
    keys: tuple = ()
    children: tuple = ()


LEAF = Node("leaf")


def _numeric(x) -> bool:
    """A Python number, or a plain list/tuple of such (nested): numpy reads it as an array."""
    if isinstance(x, (Number, np.generic)) and not isinstance(x, DualBase):
        return True
    if type(x) in (list, tuple):
        return all(_numeric(v) for v in x)
    return False


def is_leaf(x) -> bool:
    if isinstance(x, dict):
        return False
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a named tuple
        return False
    if type(x) in (list, tuple):
        return _numeric(x)
    return True


def flatten(x) -> tuple[list, Node]:
    """``(leaves, tree)``: the leaves in a fixed order (dict insertion order, sequence order)."""
    leaves: list = []
    return leaves, _flatten(x, leaves)


def flatten_args(args: tuple) -> tuple[list, Node]:
    """Like :func:`flatten`, but ``args`` is always a tuple node (of positional arguments),
    even when it holds only numbers."""
    leaves: list = []
    return leaves, Node("tuple", (), tuple(_flatten(v, leaves) for v in args))


def _flatten(x, leaves: list) -> Node:
    if is_leaf(x):
        leaves.append(x)
        return LEAF
    if isinstance(x, dict):
        keys = tuple(x)
        return Node("dict", keys, tuple(_flatten(x[k], leaves) for k in keys))
    kind = type(x) if isinstance(x, tuple) and hasattr(x, "_fields") else type(x).__name__
    return Node(kind, (), tuple(_flatten(v, leaves) for v in x))


def unflatten(tree: Node, leaves) -> Any:
    """The structure ``tree`` with its leaves taken in order from ``leaves``."""
    return _build(tree, iter(leaves))


def _build(tree: Node, it):
    if tree.kind == "leaf":
        return next(it)
    children = [_build(c, it) for c in tree.children]
    if tree.kind == "dict":
        return dict(zip(tree.keys, children))
    if tree.kind == "list":
        return children
    if tree.kind == "tuple":
        return tuple(children)
    return tree.kind(*children)  # a named tuple


def n_leaves(tree: Node) -> int:
    if tree.kind == "leaf":
        return 1
    return sum(n_leaves(c) for c in tree.children)
