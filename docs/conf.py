"""Sphinx configuration of the dualdiff documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (what .ci/run does).
The API reference is autodoc over the package as it is in this checkout; Markdown pages are
MyST, and the tutorial and changelog include README.md and CHANGELOG.md rather than copy them.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not

import dualdiff  # noqa: E402

project = "dualdiff"
author = "the dualdiff developers"
copyright = "2026, the dualdiff developers"
version = release = dualdiff.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []

# -- autodoc / numpydoc: the docstrings are the reference, written once in the code.
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types, in words
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False  # members come from autodoc's :members:, once
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- MyST: $...$ math, and anchors for the pages' sections.
myst_enable_extensions = ["dollarmath", "deflist"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = f"dualdiff {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Exact first and second derivatives of plain numpy code",
    "page_width": "1100px",
    "sidebar_width": "230px",
}


# -- Pages whose text is a file of the repository, read at build time (never copied), with the
# repository-relative links of that file pointed at the pages of this site.
TUTORIAL_TITLE = (
    "# Tutorial\n\nThis page is the project's README; the test suite runs its examples as "
    "doctests.\n\n"
)
INCLUDED = {"tutorial": ("README.md", TUTORIAL_TITLE), "benchmarks": ("benchmarks/README.md", "")}
LINKS = {
    "](docs/": "](",
    "](benchmarks/README.md)": "](benchmarks.md)",
    "](CHANGELOG.md)": "](changelog.md)",
}


def _read_included(app, docname: str, source: list[str]) -> None:
    if docname not in INCLUDED:
        return
    path, title = INCLUDED[docname]
    app.env.note_dependency(str(ROOT / path))  # rebuild the page when the file changes
    text = (ROOT / path).read_text(encoding="utf-8")
    if title:  # the file's own title gives way to the page's
        text = text.split("\n", 1)[1]
    for old, new in LINKS.items():
        text = text.replace(old, new)
    source[0] = title + text


# -- Docstrings are read as numpydoc. Two conventions of the code base are made explicit here,
# before numpydoc parses them (priority 400 < numpydoc's 500), so the build stays strict:
# - ``f(x, *args)`` in running text: the stars are escaped (numpydoc does so only in
#   Parameters), instead of being read as the start of emphasis;
# - a "Keys" section (OptimizeResult: a dict whose keys are attributes) is its Attributes.
# Any other section numpydoc does not know would be dropped silently: it fails the build.
warnings.filterwarnings("error", message="Unknown section", category=UserWarning)
warnings.filterwarnings("ignore", message="Unknown section Keys in the docstring of OptimizeResult")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_STARS = re.compile(r"(?<![\\\w*])(\*\*?)(?=[A-Za-z_])")


def _escape_stars(line: str) -> str:
    parts = _LITERAL.split(line)
    for i in range(0, len(parts), 2):  # the text between literals
        parts[i] = _STARS.sub(lambda m: "\\*" * len(m.group(1)), parts[i])
    return "".join(parts)


def _prepare_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if line.strip() == "Keys" and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            lines[i] = line.replace("Keys", "Attributes")
            lines[i + 1] = lines[i + 1].replace("----", "----------")
        elif "*" in line and not line.lstrip().startswith((">>>", "...", "*")):
            lines[i] = _escape_stars(line)


def setup(app):
    app.connect("source-read", _read_included)
    app.connect("autodoc-process-docstring", _prepare_docstring, priority=400)
