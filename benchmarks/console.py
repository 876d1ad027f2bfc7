"""Terminal output: tables and a progress bar, with rich when it is importable and plain
text otherwise. The progress bar goes to stderr, the tables to stdout."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator

from benchmarks import report

HAVE_RICH = importlib.util.find_spec("rich") is not None


def _plain_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    body = [fmt.format(*row) for row in rows]
    return "\n".join([title, rule, fmt.format(*header), rule, *body, ""])


def print_table(title: str, header: list[str], rows: list[list[str]], group: int = 2) -> None:
    """One titled table on stdout; a rule wherever the first ``group`` columns change."""
    if not rows:
        return
    if not HAVE_RICH:
        print(_plain_table(title, header, rows))
        return
    from rich.console import Console
    from rich.table import Table

    wide = 100 if len(header) > 2 else None  # room for the long workload titles
    table = Table(title=title, title_justify="left", title_style="bold", min_width=wide)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i < 3 else "right", overflow="fold")
    keys = [tuple(row[:group]) for row in rows]
    for i, row in enumerate(rows):
        table.add_row(*row, end_section=i + 1 < len(rows) and keys[i + 1] != keys[i])
    Console(width=max(120, Console().width)).print(table)


def print_results(document: dict) -> None:
    """The accuracy, start-up and speed tables of a results document."""
    if document["accuracy"]:
        print_table(
            "Accuracy: best error over h = 1e-1 … 1e-16 (and its h); dualdiff has no h",
            report.ACCURACY_HEADER,
            report.accuracy_rows(document["accuracy"]),
            group=1,
        )
    print_table("Start-up", ["what", "time"], report.startup_rows(document.get("startup")))
    for workload, title in report.WORKLOAD_TITLES.items():
        records = [r for r in document["speed"] if r["workload"] == workload]
        print_table(title, report.SPEED_HEADER, report.speed_rows(records))


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
