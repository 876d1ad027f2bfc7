"""Suites and command-line selections: which workloads, at which sizes, timed how.

``quick`` (the default) is sized to finish in under a minute on a 2-core machine, Numba
compilation included; ``full`` adds the large sizes of the issue (W2 at N = 10^7, W3 at
n = 10^4, W4 at n = 200) and times more repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6")
SECTIONS = ("accuracy", "startup", *WORKLOADS)
"""Everything ``--only`` can name (case-insensitive)."""

QUICK_SIZES = {
    "W2": (10**3, 10**4, 10**5),
    "W3": (10, 100, 1000),
    "W4": (10, 50),
    "W5": (10, 100, 1000),
}
FULL_SIZES = {
    "W2": (10**3, 10**4, 10**5, 10**7),
    "W3": (10, 100, 1000, 10**4),
    "W4": (10, 50, 200),
    "W5": (10, 100, 1000),
}


@dataclass
class Settings:
    """Everything a run needs to know; built by :func:`settings_for`."""

    suite: str = "quick"
    sections: tuple[str, ...] = SECTIONS
    sizes: dict[str, tuple[int, ...]] = field(default_factory=lambda: dict(QUICK_SIZES))
    repeat: int = 5
    min_time: float = 0.005
    max_time: float = 1.0

    def wants(self, section: str) -> bool:
        """Whether ``section`` (``accuracy``, ``startup`` or a workload id) runs."""
        return section in self.sections


def parse_only(text: str | None) -> tuple[str, ...]:
    """``"W2,w4"`` -> ``("W2", "W4")``; ``None`` -> every section. ``ValueError`` if unknown."""
    if not text:
        return SECTIONS
    names = [t.strip() for t in text.split(",") if t.strip()]
    canon = {s.lower(): s for s in SECTIONS}
    unknown = [n for n in names if n.lower() not in canon]
    if unknown:
        raise ValueError(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return tuple(s for s in SECTIONS if s.lower() in {n.lower() for n in names})


def _number(text: str) -> int:
    value = float(text)
    if value < 1 or value != int(value):
        raise ValueError(f"--sizes: {text!r} is not a positive integer")
    return int(value)


def parse_sizes(items: list[str] | None, base: dict) -> dict[str, tuple[int, ...]]:
    """Apply ``--sizes`` items to ``base``.

    ``"10,1e3"`` sets the sizes of every sized workload; ``"W4=10,50"`` those of one.
    """
    sizes = dict(base)
    for item in items or ():
        target, _, values = item.rpartition("=")
        numbers = tuple(_number(v) for v in values.split(",") if v.strip())
        if not numbers:
            raise ValueError(f"--sizes: no sizes in {item!r}")
        if target:
            key = target.strip().upper()
            if key not in base:
                raise ValueError(f"--sizes: {target!r} has no sizes; sized: {', '.join(base)}")
            sizes[key] = numbers
        else:
            sizes = {k: numbers for k in base}
    return sizes


def settings_for(
    suite: str = "quick",
    only: str | None = None,
    sizes: list[str] | None = None,
    repeat: int | None = None,
) -> Settings:
    """Settings of ``suite`` (``quick`` or ``full``) with the command-line overrides."""
    full = suite == "full"
    base = FULL_SIZES if full else QUICK_SIZES
    return Settings(
        suite=suite,
        sections=parse_only(only),
        sizes=parse_sizes(sizes, base),
        repeat=repeat if repeat is not None else (11 if full else 5),
        min_time=0.05 if full else 0.005,
        max_time=20.0 if full else 1.0,
    )
