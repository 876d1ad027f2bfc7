"""Where and with what the benchmarks ran: machine, versions, git revision, and the start-up
costs measured in fresh subprocesses (``import dualdiff`` over ``import numpy``; the first
call of a Numba kernel, which loads it from numba's cache or compiles it)."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from benchmarks import peers

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("numpy", "numba", "scipy", "mpmath", "matplotlib", "rich")

_IMPORT_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import dualdiff
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, "numba" in sys.modules or "llvmlite" in sys.modules]))
"""

_FIRST_CALL_SCRIPT = """
import json, time
import numpy as np
import dualdiff as dd
x = np.linspace(0.1, 2.0, {n})
dd.use_numba(True, threshold=0)  # a kernel at any size
times = []
for _ in range(3):
    t0 = time.perf_counter()
    dd.derivative(np.sin, x)
    times.append(time.perf_counter() - t0)
print(json.dumps(times))
"""
FIRST_CALL_KERNEL = "np.sin on a Dual array (dd.derivative(np.sin, x))"


def _cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """Platform, processor, logical CPU count and Python version."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def versions(dd) -> dict:
    """Versions of dualdiff, its dependencies, the tooling and any installed peer."""
    found = {"dualdiff": getattr(dd, "__version__", None)}
    found.update({name: _version(name) for name in PACKAGES})
    found.update(peers.available())
    return found


def git_revision() -> dict:
    """``{"commit": sha or None, "dirty": bool or None}``; ``None`` outside git or before
    the first commit."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def timestamp() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def run_python(script: str, env: dict | None = None) -> str:
    """Run ``script`` (dedented) in a fresh interpreter from the repository root; its last
    output line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def import_time(runs: int = 3) -> dict:
    """Median ``import numpy`` and ``import dualdiff`` (after numpy) times, fresh processes."""
    samples = [json.loads(run_python(_IMPORT_SCRIPT)) for _ in range(runs)]
    return {
        "numpy_s": statistics.median(s[0] for s in samples),
        "dualdiff_over_numpy_s": statistics.median(s[1] for s in samples),
        "imports_numba": any(s[2] for s in samples),
        "runs": runs,
    }


def numba_first_call(n: int = 10**5, runs: int = 2) -> list[dict]:
    """First, second and third call of one kernel (:data:`FIRST_CALL_KERNEL`) on the Numba
    path in ``runs`` fresh processes, one after the other: the first process may compile it
    (and fill numba's cache); the later ones load it from the cache."""
    out = []
    for run in range(runs):
        first, second, third = json.loads(run_python(_FIRST_CALL_SCRIPT.format(n=n)))
        out.append(
            {
                "process": run + 1,
                "n": n,
                "first_call_s": first,
                "second_call_s": second,
                "steady_call_s": third,
                "first_call_overhead_s": max(0.0, first - third),
            }
        )
    return out


def startup(dd, has_numba: bool) -> dict:
    """Import time, and the Numba first-call times when dualdiff has a Numba path."""
    result = {"import": None, "numba_first_call": None, "errors": []}
    try:
        result["import"] = import_time()
    except (subprocess.SubprocessError, ValueError, OSError) as exc:
        result["errors"].append(f"import time: {type(exc).__name__}: {exc}")
    if has_numba:
        try:
            result["numba_first_call"] = numba_first_call()
        except (subprocess.SubprocessError, ValueError, OSError) as exc:
            result["errors"].append(f"numba first call: {type(exc).__name__}: {exc}")
    return result
