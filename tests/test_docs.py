"""The documentation: examples that paste into a REPL, and an API reference that is complete.

pytest runs the README's examples as doctests (``--doctest-glob=README.md``) and
``tests/test_optimize.py`` runs ``docs/optimize.md``; this file runs the other pages' examples
and checks what doctest does not:
that each example block, copied without its prompts and output, runs in an interactive
interpreter (a compound statement there needs a blank line, written ``...`` in a doctest,
before the next statement), and that ``docs/api.rst`` documents every public name.
"""

from __future__ import annotations

import codeop
import doctest
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import dualdiff
import dualdiff.optimize

ROOT = Path(__file__).resolve().parents[1]
RUN_ELSEWHERE = {"README.md", "docs/optimize.md"}  # pytest's doctest-glob; test_optimize.py
DOC_FILES = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md"))]


def _pasted_lines(text: str) -> list[tuple[int, str]]:
    """The source lines of every doctest example, prompts removed, as a REPL would receive them."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(">>>") or stripped.startswith("..."):
            if stripped in (">>>", "..."):
                lines.append((number, ""))
            elif stripped[3] == " ":
                lines.append((number, line.lstrip()[4:]))
    return lines


def _repl_errors(text: str) -> list[str]:
    """Feed lines to the compiler the way the interactive interpreter does; list its errors."""
    errors, buffer = [], []
    for number, line in _pasted_lines(text):
        buffer.append(line)
        try:
            code = codeop.compile_command("\n".join(buffer), "<stdin>", "single")
        except SyntaxError as exc:
            errors.append(f"line {number}: {exc.msg}: {line!r}")
            buffer = []
            continue
        if code is not None or not any(buffer):
            buffer = []
    return errors


@pytest.mark.parametrize("name", DOC_FILES)
def test_examples_paste_into_a_repl(name):
    assert _repl_errors((ROOT / name).read_text(encoding="utf-8")) == []


def test_the_repl_check_catches_a_missing_blank_line():
    text = ">>> def f(x):\n...     return x\n>>> y = f(1)\n"
    assert _repl_errors(text) != []
    assert _repl_errors(text.replace(">>> y", "...\n>>> y")) == []


def test_readme_passes_plain_doctest():
    """Without pytest's NUMBER option: the printed digits are the ones Python prints."""
    failures, tried = doctest.testfile(
        str(ROOT / "README.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("name", [n for n in DOC_FILES if n not in RUN_ELSEWHERE])
def test_docs_pages_doctests(name):
    failures, _ = doctest.testfile(
        str(ROOT / name), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert failures == 0


def _documented(rst: str, directive: str) -> set[str]:
    return set(re.findall(rf"^\.\. {directive}:: ([\w.]+)", rst, flags=re.M))


def test_api_reference_lists_every_public_name():
    rst = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    documented = {
        name.rsplit(".", 1)[-1]
        for d in ("autofunction", "autoclass", "autoexception", "autodata")
        for name in _documented(rst, d)
    }
    if "dualdiff.optimize" in _documented(rst, "automodule"):
        documented.add("optimize")
    if "dualdiff.scipy" in _documented(rst, "automodule"):
        documented.add("scipy")
    assert set(dualdiff.__all__) - documented == set()
    assert set(dualdiff.optimize.__all__) - documented == set()
    if importlib.util.find_spec("scipy") is not None:
        dscipy = importlib.import_module("dualdiff.scipy")
        assert set(dscipy.special.__all__) - documented == set()
        assert set(dscipy.stats.__all__) - documented == set()
