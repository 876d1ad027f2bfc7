"""Terminal output: tables and a progress bar, with rich when it is importable and plain
text otherwise. The progress bar goes to stderr, the tables to stdout."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator

from benchmarks import report

HAVE_RICH = importlib.util.find_spec("rich") is not None


WIDTH = 80
"""Width the tables are designed for; the terminal's own width (``COLUMNS``) is used when
it is narrower or wider, and rich wraps cells only when a table does not fit."""


def _plain_table(spec: report.TableSpec, width: int = WIDTH) -> str:
    header, rows = spec.header, spec.rows
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    rule = "-" * min(width, sum(widths) + 2 * (len(widths) - 1))
    body = [fmt.format(*row).rstrip() for row in rows]
    legend = textwrap.wrap(spec.legend, width) if spec.legend else []
    title = textwrap.wrap(spec.title, width)
    return "\n".join([*title, rule, fmt.format(*header).rstrip(), rule, *body, *legend, ""])


def _rich_table(spec: report.TableSpec):
    from rich import box
    from rich.table import Table

    table = Table(
        title=spec.title,
        title_justify="left",
        title_style="bold",
        caption=spec.legend or None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
    )
    for i, name in enumerate(spec.header):
        numeric = i >= 2 and name not in ("method", "what")
        table.add_column(name, justify="right" if numeric else "left", overflow="fold")
    keys = [tuple(row[: spec.group]) for row in spec.rows]
    for i, row in enumerate(spec.rows):
        last = i + 1 == len(spec.rows)
        table.add_row(*row, end_section=spec.group > 0 and not last and keys[i + 1] != keys[i])
    return table


def render(document: dict, width: int = WIDTH, rich: bool | None = None) -> str:
    """The tables and the claims of ``document`` as text ``width`` columns wide (rich when
    installed, unless ``rich=False``)."""
    use_rich = HAVE_RICH if rich is None else rich
    specs = report.tables(document)
    claims = _wrap(report.claims_lines(document["claims"]), width)
    if not use_rich:
        return "\n".join([*(_plain_table(s, width) for s in specs), *claims]) + "\n"
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    for spec in specs:
        console.print(_rich_table(spec))
    for line in claims:
        console.print(line, markup=False, soft_wrap=True)
    return console.file.getvalue()


def _wrap(lines: list[str], width: int) -> list[str]:
    """Each claims line wrapped to ``width`` (continuations indented by two spaces)."""
    out = []
    for line in lines:
        out += textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False) or [""]
    return out


def print_results(document: dict) -> None:
    """The tables and the claims of a results document on stdout, the terminal's width
    (``COLUMNS``; 80 when it is not a terminal)."""
    width = shutil.get_terminal_size((WIDTH, 24)).columns
    sys.stdout.write(render(document, width))
    sys.stdout.flush()


@contextlib.contextmanager
def progress(total: int, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Context yielding ``step(label)``: advance the bar by one and show ``label``."""
    if not enabled or total <= 0:
        yield lambda label: None
        return
    if not HAVE_RICH:
        count = [0]

        def step(label: str) -> None:
            count[0] += 1
            print(f"[{count[0]}/{total}] {label}", file=sys.stderr, flush=True)

        yield step
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task("benchmarks", total=total)
        started = [False]

        def step(label: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] = True
            bar.update(task, description=label)

        yield step
        bar.update(task, completed=total)
