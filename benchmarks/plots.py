"""PNG figures (matplotlib, Agg backend): error-versus-step curves and speed ratios.

- ``accuracy.png``: one panel per catalogue problem and derivative; forward, central and
  complex-step error against h (the V shapes), dualdiff as a flat line.
- ``accuracy_bench_f.png``: the same for the benchmark function alone, larger (for READMEs).
- ``speed.png``: time per call relative to the primal, per workload, against the size.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

FLOOR = 1e-17  # errors are clipped here so that exact results still show on a log axis
CEILING = 1e3
METHOD_COLORS = {
    "dualdiff": "tab:blue",
    "dualdiff (numpy)": "tab:blue",
    "dualdiff (numba)": "tab:cyan",
    "forward FD": "tab:orange",
    "central FD": "tab:green",
    "complex step": "tab:purple",
    "scipy.differentiate": "tab:red",
    "jax (jit)": "tab:brown",
    "autograd": "tab:pink",
    "numdifftools": "tab:olive",
    "num-dual": "tab:gray",
    "primal": "black",
}
"""One colour per method in every figure (accuracy panels, speed panels, bars)."""
STYLE = {
    "forward": {"color": METHOD_COLORS["forward FD"], "marker": "v", "label": "forward FD"},
    "central": {"color": METHOD_COLORS["central FD"], "marker": "o", "label": "central FD"},
    "complex": {"color": METHOD_COLORS["complex step"], "marker": "s", "label": "complex step"},
}


def color(method: str) -> str:
    """The fixed colour of ``method`` (dark grey for a method not in :data:`METHOD_COLORS`)."""
    return METHOD_COLORS.get(method, "0.3")


EPS = float(np.finfo(float).eps)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _clip(values) -> np.ndarray:
    clipped = [CEILING * 10 if v is None else min(max(v, FLOOR), CEILING * 10) for v in values]
    return np.array(clipped, dtype=float)


def _accuracy_panel(ax, record: dict) -> None:
    h = np.asarray(record["h"])
    for scheme, style in STYLE.items():
        ax.loglog(h, _clip(record["errors"][scheme]), ms=3, lw=1, **style)
    sd = record.get("scipy_differentiate") or {}
    if sd.get("error") is not None:
        ax.axhline(
            max(sd["error"], FLOOR),
            color=color("scipy.differentiate"),
            lw=1.5,
            ls="--",
            label="scipy.differentiate (no h)",
        )
    if record["dualdiff_error"] is not None:
        ax.axhline(
            max(record["dualdiff_error"], FLOOR),
            color=color("dualdiff"),
            lw=2.5,
            alpha=0.8,
            label="dualdiff",
            zorder=1,
        )
    ax.axhline(EPS, color="grey", ls=":", lw=1, label="machine ε")
    best = [record["best"][s] for s in ("forward", "central") if record["best"][s]["error"]]
    if best:
        b = min(best, key=lambda b: b["error"])
        ax.plot([b["h"]], [max(b["error"], FLOOR)], "k*", ms=9, label="best fixed step")
    ax.set_xlim(h.max() * 2, h.min() / 2)  # h decreases to the right
    ax.set_ylim(FLOOR / 3, CEILING)
    n = f", n={record['n']}" if record["kind"] != "scalar" else ""
    ax.set_title(f"{record['problem']}: {record['quantity']}{n}", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(True, which="major", alpha=0.3)


def accuracy_figure(records: list[dict], path: Path, columns: int = 4) -> Path:
    """Grid of error-versus-h panels, one per accuracy record."""
    plt = _pyplot()
    rows = math.ceil(len(records) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.6 * columns, 2.7 * rows + 0.8), squeeze=False
    )
    for ax, record in zip(axes.flat, records):
        _accuracy_panel(ax, record)
    for ax in axes.flat[len(records) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("relative error", fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("step h", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    height = fig.get_figheight()
    fig.suptitle(
        "Error vs step size: finite differences (V shapes) and dualdiff (flat)",
        y=1 - 0.15 / height,
        fontsize=12,
    )
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=len(labels),
        fontsize=9,
        bbox_to_anchor=(0.5, 1 - 0.4 / height),
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.8 / height))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def speed_figure(records: list[dict], path: Path) -> Path | None:
    """Time relative to the primal against size, one panel per sized (workload, task)."""
    groups: dict = {}
    scalar = []
    for r in records:
        if r["method"] == "primal" or not r["ratio_to_primal"]:
            continue
        if r["size"] is None:
            scalar.append(r)
        else:
            groups.setdefault((r["workload"], r["task"]), []).append(r)
    if not groups and not scalar:
        return None
    plt = _pyplot()
    panels = len(groups) + bool(scalar)
    columns = min(3, panels)
    rows = math.ceil(panels / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.4 * rows), squeeze=False)
    if scalar:
        _bar_panel(axes.flat[len(groups)], scalar)
    for ax, ((workload, task), group) in zip(axes.flat, groups.items()):
        for method in dict.fromkeys(r["method"] for r in group):
            pts = sorted((r["size"], r["ratio_to_primal"]) for r in group if r["method"] == method)
            ax.loglog(*zip(*pts), marker="o", ms=3, label=method, color=color(method))
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        _size_axis(ax, sorted({r["size"] for r in group}))
        ax.set_title(f"{workload}: {task}", fontsize=10)
        ax.set_xlabel("size", fontsize=8)
        ax.set_ylabel("time / primal time", fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[panels:]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _size_axis(ax, sizes: list[int]) -> None:
    """Ticks at the measured sizes only, labelled ``10``, ``50``, ``10^3``: a log axis over
    less than a decade (W4: n = 10, 50) otherwise labels its minor ticks, which overlap."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([_size_label(n) for n in sizes], fontsize=7)
    if len(sizes) == 1:
        ax.set_xlim(sizes[0] / 2, sizes[0] * 2)


def _size_label(n: int) -> str:
    exponent = math.log10(n)
    return f"$10^{{{int(exponent)}}}$" if exponent.is_integer() and n >= 1000 else str(n)


def _bar_panel(ax, records: list[dict]) -> None:
    """Horizontal bars of time / primal for the unsized workloads (W1, W6)."""
    labels = [f"{r['workload']} {r['task']}: {r['method']}" for r in records]
    y = np.arange(len(records))
    ax.barh(y, [r["ratio_to_primal"] for r in records], color=[color(r["method"]) for r in records])
    ax.set_yticks(y, labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel("time / primal time", fontsize=8)
    ax.set_title("W1, W6: scalar", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)


def bench_f_figure(records: list[dict], path: Path) -> Path | None:
    """The two panels (f', f'') of the W1/W2 benchmark function, large."""
    chosen = [r for r in records if r["problem"] == "bench_f"]
    if not chosen:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(chosen), figsize=(6 * len(chosen), 4.4), squeeze=False)
    for ax, record in zip(axes.flat, chosen):
        _accuracy_panel(ax, record)
        ax.set_xlabel("step h")
        ax.set_ylabel("relative error")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9)
    fig.suptitle("f(x) = exp(sin x)/(1+x²) + √x·log1p(x), 11 points around x = 0.7", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_all(document: dict, out: Path) -> list[Path]:
    """Every figure the document has data for; returns the written paths (none, with a
    message, when matplotlib is not installed)."""
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed: no figures (pip install matplotlib)", file=sys.stderr)
        return []
    paths = []
    if document["accuracy"]:
        paths.append(accuracy_figure(document["accuracy"], out / "accuracy.png"))
        paths.append(bench_f_figure(document["accuracy"], out / "accuracy_bench_f.png"))
    paths.append(speed_figure(document["speed"], out / "speed.png"))
    return [p for p in paths if p is not None]
