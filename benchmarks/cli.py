"""Command line of ``python -m benchmarks``: parse flags, run the suites, write and print."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks import accuracy, config, console, environment, plots, report, speed, workloads

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def parser() -> argparse.ArgumentParser:
    """The argument parser (``--help`` documents every flag)."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="dualdiff accuracy and speed benchmarks. Writes results.json, report.md "
        "and PNG figures to --out and prints the tables.",
    )
    suite = p.add_mutually_exclusive_group()
    suite.add_argument(
        "--quick",
        dest="suite",
        action="store_const",
        const="quick",
        help="default suite, under a minute (the default)",
    )
    suite.add_argument(
        "--full",
        dest="suite",
        action="store_const",
        const="full",
        help="all sizes (W2 N=1e7, W3 n=1e4, W4 n=200), more repeats",
    )
    p.set_defaults(suite="quick")
    p.add_argument(
        "--only", metavar="LIST", help=f"comma-separated sections: {','.join(config.SECTIONS)}"
    )
    p.add_argument(
        "--sizes",
        metavar="SPEC",
        action="append",
        help="sizes for every sized workload ('1e3,1e5') or one ('W4=10,50'); repeatable",
    )
    p.add_argument("--repeat", type=int, metavar="N", help="timed repeats per measurement")
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output folder (default {DEFAULT_OUT})",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(settings: config.Settings, out: Path, show_progress: bool = True) -> dict:
    """Run the selected suites, write JSON, Markdown and PNGs to ``out``; return the document."""
    import dualdiff as dd
    from dualdiff import testing

    started = time.perf_counter()
    has_numba = workloads.has_numba_switch(dd)
    cases = workloads.build_cases(dd, settings)
    problems = testing.all_problems() if settings.wants("accuracy") else ()
    total = len(problems) + len(cases) + settings.wants("startup")
    with console.progress(total, enabled=show_progress) as step:
        startup = None
        if settings.wants("startup"):
            step("start-up (subprocesses)")
            startup = environment.startup(dd, has_numba)
        accuracy_records = accuracy.run(dd, problems, step) if problems else []
        speed_records = speed.run(cases, dd, settings, step)
    document = {
        "schema_version": report.SCHEMA_VERSION,
        "suite": settings.suite,
        "created": environment.timestamp(),
        "wall_time_s": None,
        "settings": {
            "repeat": settings.repeat,
            "min_time_s": settings.min_time,
            "sizes": {k: list(v) for k, v in settings.sizes.items()},
            "sections": list(settings.sections),
            "numba_paths": has_numba,
        },
        "machine": environment.machine(),
        "versions": environment.versions(dd),
        "git": environment.git_revision(),
        "startup": startup,
        "accuracy": accuracy_records,
        "speed": speed_records,
        "claims": report.claims(accuracy_records, speed_records),
    }
    out.mkdir(parents=True, exist_ok=True)
    figures = plots.write_all(document, out)
    document["wall_time_s"] = time.perf_counter() - started
    report.write_json(document, out / "results.json")
    (out / "report.md").write_text(report.markdown(document, [p.name for p in figures]))
    return document


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0, or 2 for bad flags)."""
    args = parser().parse_args(argv)
    try:
        settings = config.settings_for(args.suite, args.only, args.sizes, args.repeat)
    except ValueError as exc:
        parser().error(str(exc))
    if args.repeat is not None and args.repeat < 1:
        parser().error("--repeat must be at least 1")
    document = run(settings, args.out, show_progress=not args.no_progress)
    console.print_results(document)
    print(
        f"results in {args.out}: results.json, report.md, *.png ({document['wall_time_s']:.1f} s)"
    )
    return 0
