"""The package's import graph has no cycle, counting imports inside functions too.

Read from the source with :mod:`ast` (nothing is imported): an edge ``a -> b`` for every
``import dualdiff.b`` / ``from . import b`` / ``from .b import x`` anywhere in ``a``, including
function bodies, where a cycle would otherwise hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dualdiff"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p) for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        anchor = module.split(".")
        if not is_package:
            anchor = anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([node.module] if node.module else []))
    if not base.startswith("dualdiff"):
        return []
    # `from pkg import name`: an edge to the submodule pkg.name where there is one, else to
    # pkg itself (name is an attribute defined there)
    return [base + "." + a.name if (base + "." + a.name) in MODULES else base for a in node.names]


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("dualdiff")]
            elif isinstance(node, ast.ImportFrom):
                targets = _resolve(name, is_package, node)
            for t in targets:
                if t in modules and t != name:
                    graph[name].add(t)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 10 and "dualdiff._engine" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_checker_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_layers():
    """Above the seam nothing imports the accelerator; below it nothing imports the types."""
    graph = import_graph()
    accelerator = {m for m in graph if m.startswith("dualdiff._kernels")}
    for m in accelerator:
        assert not graph[m] & {"dualdiff.dual", "dualdiff.hyperdual", "dualdiff._base"}, m
        assert not graph[m] & {"dualdiff._protocols", "dualdiff._ufuncs", "dualdiff._engine"}, m
    importers = {m for m, deps in graph.items() if deps & accelerator} - accelerator
    assert importers <= {"dualdiff._engine", "dualdiff"}, importers
