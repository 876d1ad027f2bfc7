"""The benchmark runner (python -m benchmarks): a tiny --quick run end to end, its JSON
schema, and its own claims (dualdiff <= 1e-12, best finite difference >= 1e-11)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
from benchmarks import config, finite_diff, report, speed, timing, workloads
from dualdiff import testing

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = {"W1", "W2", "W3", "W4", "W5", "W6"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable,
        "-m",
        "benchmarks",
        "--quick",
        "--sizes",
        "10",
        "--sizes",
        "W2=100",
        "--repeat",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stdout, json.loads((out / "results.json").read_text())


def test_outputs_written(run):
    out, stdout, _ = run
    assert "W3 gradient of Rosenbrock" in stdout and "Accuracy" in stdout
    assert "claims hold" in stdout
    for name in ("results.json", "report.md", "accuracy.png", "speed.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    assert "## Accuracy" in md and "![accuracy.png](accuracy.png)" in md


def test_json_schema(run):
    _, _, doc = run
    assert doc["schema_version"] == report.SCHEMA_VERSION
    assert doc["suite"] == "quick"
    assert {"platform", "cpu_count", "python"} <= set(doc["machine"])
    assert {"numpy", "numba", "dualdiff", "scipy"} <= set(doc["versions"])
    assert set(doc["git"]) == {"commit", "dirty"}
    assert doc["settings"]["repeat"] == 1
    assert doc["startup"]["import"]["dualdiff_over_numpy_s"] >= 0
    assert isinstance(doc["wall_time_s"], float)
    speed_keys = {
        "workload",
        "task",
        "size",
        "method",
        "time_s",
        "ratio_to_primal",
        "max_rel_error",
        "first_call_s",
        "compile_s",
        "repeats",
        "number",
        "note",
    }
    assert {r["workload"] for r in doc["speed"]} == WORKLOADS
    for r in doc["speed"]:
        assert set(r) == speed_keys
        assert r["note"] == "", r  # no method failed
        assert r["time_s"] > 0 and r["ratio_to_primal"] > 0
        assert (r["max_rel_error"] is None) == (r["method"] == "primal")
    sizes = {r["size"] for r in doc["speed"] if r["workload"] in {"W3", "W4", "W5"}}
    assert sizes == {10}
    assert {r["size"] for r in doc["speed"] if r["workload"] == "W2"} == {100}
    methods = {r["method"] for r in doc["speed"]}
    assert {"primal", "forward FD", "central FD", "complex step"} <= methods
    assert any(m.startswith("dualdiff") for m in methods)
    names = {r["problem"] for r in doc["accuracy"]}
    assert names == set(testing.PROBLEMS)
    for r in doc["accuracy"]:
        assert len(r["h"]) == 16 and r["h"][0] == 0.1 and r["h"][-1] == 1e-16
        assert set(r["errors"]) == {"forward", "central", "complex"}
        assert all(len(e) == 16 for e in r["errors"].values())


def test_claims(run):
    _, _, doc = run
    dd_errors = [r["dualdiff_error"] for r in doc["accuracy"]]
    dd_errors += [r["max_rel_error"] for r in doc["speed"] if r["method"].startswith("dualdiff")]
    assert dd_errors and all(e is not None and e <= 1e-12 for e in dd_errors)
    for r in doc["accuracy"]:
        best = r["best_fd"]
        assert best["error"] >= 1e-11, (r["problem"], r["quantity"], best)
        errors = [e for e in r["errors"][best["scheme"]] if e is not None]
        assert best["error"] == min(errors)
        assert best["h"] == r["h"][r["errors"][best["scheme"]].index(best["error"])]
    assert doc["claims"]["holds"] is True


def test_config_parsing():
    s = config.settings_for("quick", only="w2,W4", sizes=["1e3,10", "W4=5"], repeat=2)
    assert s.sections == ("W2", "W4") and s.repeat == 2
    assert s.sizes["W2"] == (1000, 10) and s.sizes["W4"] == (5,)
    assert config.settings_for("full").sizes["W2"][-1] == 10**7
    with pytest.raises(ValueError, match="unknown"):
        config.parse_only("W9")
    with pytest.raises(ValueError):
        config.parse_sizes(["W1=10"], config.QUICK_SIZES)
    with pytest.raises(ValueError):
        config.parse_sizes(["0.5"], config.QUICK_SIZES)


def test_bad_flag_exits_2():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "W9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "unknown" in done.stderr


@pytest.mark.parametrize("scheme", finite_diff.SCHEMES)
def test_finite_differences(scheme):
    x = np.array([0.3, 1.0, 2.0])
    tol = {"forward": 1e-6, "central": 1e-9, "complex": 1e-15}[scheme]
    assert testing.relative_error(finite_diff.derivative(np.exp, x, scheme), np.exp(x)) < tol
    assert (
        testing.relative_error(finite_diff.second_derivative(np.exp, x, scheme), np.exp(x)) < 1e-4
    )
    p = testing.get("logsumexp")
    x = p.make_x(5)
    assert testing.relative_error(finite_diff.gradient(p.f, x, scheme), p.gradient(x)) < tol
    assert testing.relative_error(finite_diff.hessian(p.f, x, scheme), p.hessian(x)) < 1e-4
    q = testing.get("sin_cumsum")
    assert testing.relative_error(finite_diff.jacobian(q.f, x, scheme), q.jacobian(x)) < tol


def test_timing():
    t, value = timing.measure(lambda: sum(range(100)), repeat=3, min_time=1e-3)
    assert value == 4950 and t.repeats == 3 and t.number > 1
    assert 0 < t.median < 1e-3 and t.first_call > 0
    t, value = timing.measure_statement("a * b", {"a": 2.0, "b": 3.0}, repeat=2, min_time=1e-4)
    assert value == 6.0 and t.repeats == 2 and t.median < 1e-6


def test_report_helpers(tmp_path):
    assert report.fmt_time(2.5e-7) == "250 ns" and report.fmt_time(0.0123) == "12.3 ms"
    assert report.fmt_size(100000) == "10^5" and report.fmt_size(50) == "50"
    path = report.write_json({"a": [math.inf, 1.0, math.nan]}, tmp_path / "x.json")
    assert json.loads(path.read_text()) == {"a": [None, 1.0, None]}


def test_numba_paths_selected():
    # dualdiff is measured twice: the numpy path, and the Numba kernels at every size
    from dualdiff import _config

    before = _config.current()
    settings = config.settings_for("quick", only="W3", sizes=["W3=5"], repeat=1)
    (case,) = workloads.w3(dd, settings)
    names = [m.name for m in case.methods]
    assert names[:2] == ["dualdiff (numpy)", "dualdiff (numba)"]
    seen = []
    for method in case.methods[:2]:
        with speed.numba_path(dd, method.numba):
            seen.append((_config.current().enabled, _config.current().threshold))
    assert seen[0][0] is False and seen[1] == (not _config.DISABLED_BY_ENV, 0)
    assert _config.current() == before
    records = speed.run_case(case, dd, settings)
    assert [r["method"] for r in records][:3] == ["primal", *names[:2]]
    assert all(r["max_rel_error"] <= 1e-12 for r in records[1:3])
