"""The benchmark runner (python -m benchmarks): a tiny --quick run end to end (from a temporary
working directory, writing only to --out), its JSON schema, its claims (checked, failing or
not checked), scipy.differentiate as a finite-difference peer, and 80-column tables."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
from benchmarks import adaptive, config, console, finite_diff, report, speed, timing, workloads
from dualdiff import testing

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = {"W1", "W2", "W3", "W4", "W5", "W6"}


# The end-to-end run (a module fixture) is made once, by one test process: the kernels it
# compiles on a cold store take most of a minute.
pytestmark = pytest.mark.xdist_group("benchmark_runner")


def _untracked() -> set[str]:
    """Files git does not track and does not ignore, in the repository."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return {line[3:] for line in done.stdout.splitlines() if line.startswith("??")}


def _bench(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    cmd = [sys.executable, "-m", "benchmarks", *args, "--no-progress"]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cwd = tmp_path_factory.mktemp("cwd")
    before = _untracked()
    args = [
        "--quick",
        "--sizes",
        "10",
        "--sizes",
        "W2=100",
        "--repeat",
        "1",
        "--out",
        str(out),
    ]
    done = _bench(args, cwd)
    assert done.returncode == 0, done.stderr
    written = {"cwd": sorted(os.listdir(cwd)), "repo": sorted(_untracked() - before)}
    return out, done.stdout, json.loads((out / "results.json").read_text()), written


def test_outputs_written(run):
    out, stdout, _, written = run
    assert "W3 gradient of Rosenbrock" in stdout and "Accuracy" in stdout
    assert stdout.splitlines()[-2] == "claims hold"
    assert written == {"cwd": [], "repo": []}  # nothing outside --out
    assert {p.name for p in out.iterdir()} == {
        "results.json",
        "report.md",
        "accuracy.png",
        "accuracy_bench_f.png",
        "speed.png",
    }
    tables = stdout.splitlines()[:-1]  # the last line names --out, a long temporary path
    assert all(len(line) <= 80 for line in tables), "COLUMNS=80"
    for name in ("results.json", "report.md", "accuracy.png", "speed.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    assert "## Accuracy" in md and "![accuracy.png](accuracy.png)" in md


def test_json_schema(run):
    _, _, doc, _ = run
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
        "evaluations",
        "first_call_s",
        "compile_s",
        "repeats",
        "number",
        "peak_bytes",
        "note",
        "colours",
        "peak_bytes",
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
    assert {"primal", "forward FD", "central FD", "complex step", "scipy.differentiate"} <= methods
    assert any(m.startswith("dualdiff") for m in methods)
    sparse = [r for r in doc["speed"] if r["method"] == "dd sparse=plan"]
    assert {r["workload"] for r in sparse} == {"W3", "W4", "W5"}
    assert all(r["peak_bytes"] > 0 and r["colours"] >= 2 for r in sparse)
    assert {r["colours"] for r in sparse if r["workload"] != "W5"} == {2}  # Rosenbrock
    names = {r["problem"] for r in doc["accuracy"]}
    assert names == set(testing.PROBLEMS)
    for r in doc["accuracy"]:
        assert len(r["h"]) == 16 and r["h"][0] == 0.1 and r["h"][-1] == 1e-16
        assert set(r["errors"]) == {"forward", "central", "complex"}
        assert all(len(e) == 16 for e in r["errors"].values())


def test_claims(run):
    _, stdout, doc, _ = run
    dd_errors = [r["dualdiff_error"] for r in doc["accuracy"]]
    dd_errors += [r["max_rel_error"] for r in doc["speed"] if r["method"].startswith("dualdiff")]
    assert dd_errors and all(e is not None and e <= 1e-12 for e in dd_errors)
    for r in doc["accuracy"]:
        best = r["best_fd"]
        assert r["dualdiff_error"] <= best["error"], (r["problem"], r["quantity"], best)
        candidates = [r["scipy_differentiate"]["error"]]
        candidates += [
            min(e for e in r["errors"][s] if e is not None) for s in ("forward", "central")
        ]
        assert best["error"] == min(c for c in candidates if c is not None)
        if best["scheme"] != adaptive.NAME:
            assert best["h"] == r["h"][r["errors"][best["scheme"]].index(best["error"])]
    c = doc["claims"]
    assert c["holds"] is True
    assert [k["status"] for k in c["checks"]] == ["holds"] * 3
    assert c["best_fd"]["scheme"] == adaptive.NAME  # the best finite differences are SciPy's
    headline = " ".join(stdout.split())
    assert "with 1 evaluation; best finite difference (scipy.differentiate)" in headline


def _claims_doc(**changes) -> tuple[list, list]:
    accuracy = [
        {
            "problem": "p",
            "quantity": "f'",
            "dualdiff_error": 2e-16,
            "best_fd": {"error": 1e-13, "scheme": adaptive.NAME, "evaluations": 27, "h": None},
        }
    ]
    speed_rows = [{"method": "dualdiff (numpy)", "max_rel_error": 3e-16}]
    accuracy[0].update(changes)
    return accuracy, speed_rows


def test_claims_line_not_checked_and_failing():
    accuracy, speed_rows = _claims_doc()
    c = report.claims(accuracy, speed_rows)
    assert c["holds"] is True and report.claims_lines(c)[-1] == "claims hold"
    assert report.claims_lines(c)[0] == (
        "dualdiff max rel error 2.0e-16 with 1 evaluation; best finite difference "
        "(scipy.differentiate) 1.0e-13 with 27 evaluations per point (worst problem: p f'; "
        "smallest best-FD error 1.0e-13)"
    )
    # a run without the accuracy section (--only W2): its claims are not checked, not "hold"
    c = report.claims([], speed_rows)
    lines = report.claims_lines(c)
    assert c["holds"] is None
    assert [k["status"] for k in c["checks"]] == ["not checked", "not checked", "holds"]
    assert lines[-1] == "checked claims hold; 2 not checked (section not run)"
    assert "claims hold" != lines[-1]
    # nothing ran at all
    assert report.claims([], [])["holds"] is None
    # a deliberately failed claim: dualdiff less accurate than the best finite difference
    accuracy, speed_rows = _claims_doc(dualdiff_error=5e-13)
    c = report.claims(accuracy, speed_rows)
    assert c["holds"] is False
    assert [k["status"] for k in c["checks"]] == ["holds", "FAILS", "holds"]
    assert report.claims_lines(c)[-1].startswith("CLAIMS FAIL: accuracy: dualdiff at least")
    # and a dualdiff error above the limit in the speed suite
    c = report.claims(*_claims_doc()[:1], [{"method": "dualdiff", "max_rel_error": 1e-9}])
    assert c["holds"] is False and c["checks"][2]["status"] == "FAILS"


def test_only_w2_claims_not_checked(tmp_path):
    done = _bench(
        ["--only", "W2", "--sizes", "W2=100", "--repeat", "1", "--out", str(tmp_path)], tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "[not checked] accuracy: every dualdiff error" in done.stdout
    assert lines[-2] == "checked claims hold; 2 not checked (section not run)"


@pytest.mark.skipif(not adaptive.available(), reason="scipy.differentiate needs SciPy >= 1.15")
def test_scipy_differentiate_rows(run):
    _, _, doc, _ = run
    for r in doc["accuracy"]:
        sd = r["scipy_differentiate"]
        assert sd["note"] == "" and sd["error"] is not None, r["problem"]
        assert 1e-16 < sd["error"] < 1e-9  # far better than fixed steps, short of dualdiff
        assert sd["evaluations"] > 1 and sd["nfev"] > 1 and sd["time_s"] > 0
        tried = [t["error"] for t in sd["tried"] if t["error"] is not None]
        assert sd["error"] == min(tried)
    rows = [r for r in doc["speed"] if r["method"] == adaptive.NAME]
    assert {r["workload"] for r in rows} == {"W1", "W2", "W3", "W4", "W5"}
    for r in rows:
        assert r["evaluations"] > 1 and r["max_rel_error"] < 1e-8, r


@pytest.mark.skipif(not adaptive.available(), reason="scipy.differentiate needs SciPy >= 1.15")
def test_scipy_differentiate_against_references():
    x = np.array([0.3, 0.7, 1.5])
    f0, f1, f2 = testing.bench_f_derivatives(x)  # hand-derived, independent of scipy
    d = adaptive.derivative(testing.bench_f, x, 0.1)
    assert testing.relative_error(d.value, f1) < 1e-10 and d.evaluations > 1 and d.nfev > 1
    s = adaptive.second_derivative(testing.bench_f, x, 0.1)
    assert testing.relative_error(s.value, f2) < 1e-8 and s.evaluations > d.evaluations
    r = adaptive.second_derivative_relative(testing.bench_f, x)
    assert testing.relative_error(r.value, f2) < 1e-7
    p = testing.get("logsumexp")
    y = p.make_x(4)
    g = adaptive.jacobian(p.f, y)
    assert testing.relative_error(g.value, p.gradient(y)) < 1e-10
    assert g.evaluations == 4 * g.nfev  # one point of R^4 per step along each coordinate
    h = adaptive.hessian(p.f, y)
    assert testing.relative_error(h.value, p.hessian(y)) < 1e-8 and h.evaluations > 16
    q = testing.get("sin_cumsum")
    j = adaptive.jacobian(workloads.sin_cumsum_batched, y, vectorised=True)
    assert testing.relative_error(j.value, q.jacobian(y)) < 1e-10


def test_scipy_differentiate_unavailable(monkeypatch):
    monkeypatch.setattr(adaptive, "available", lambda: False)
    settings = config.settings_for("quick", only="W3", sizes=["W3=5"], repeat=1)
    (case,) = workloads.w3(dd, settings)
    records = speed.run_case(case, dd, settings)
    (row,) = [r for r in records if r["method"] == adaptive.NAME]
    assert row["note"] == "not available: SciPy < 1.15" and row["time_s"] is None
    from benchmarks import accuracy

    (grad, _) = accuracy.run_problem(testing.get("logsumexp"), dd)
    assert grad["scipy_differentiate"]["note"] == "not available: SciPy < 1.15"
    assert grad["best_fd"]["scheme"] in ("forward", "central")
    assert "not available: SciPy < 1.15" in " ".join(sum(report.speed_rows(records), []))


def test_tables_fit_80_columns(run):
    _, _, doc, _ = run
    for rich in (True, False) if console.HAVE_RICH else (False,):
        text = console.render(doc, width=80, rich=rich)
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "scipy.differentiate" in text and "dualdiff (numba)" in text  # not folded
        assert "first call" in text


def test_first_call_column_not_in_error(run):
    _, _, doc, _ = run
    dd_rows = [r for r in doc["speed"] if r["method"].startswith("dualdiff")]
    assert all(r["first_call_s"] > 0 for r in dd_rows)
    for spec in report.speed_tables(doc["speed"]):
        assert spec.header[-1] == "first call"
        error = spec.header.index("error")
        for row in spec.rows:
            assert row[error] == "-" or float(row[error]) >= 0  # a number, nothing appended
    # a slow first call (compilation) is its own cell, never the error's
    record = dict(dd_rows[0], first_call_s=21.2, time_s=3e-4, max_rel_error=5e-16)
    (row,) = report.speed_rows([record])
    assert row[5] == "5.0e-16" and row[-1] == "21.2 s" and row[3] == "300 µs"


def test_fd_evaluation_counts():
    class Count:
        def __init__(self, f):
            self.f, self.calls = f, 0

        def __call__(self, x):
            self.calls += 1
            return self.f(x)

    x = np.array([0.3, 1.0])
    for scheme in finite_diff.SCHEMES:
        for kind in (
            "derivative",
            "second_derivative",
            "value_and_derivative",
            "value_and_derivatives",
        ):
            f = Count(np.exp)
            getattr(finite_diff, kind)(f, x, scheme)
            assert f.calls == finite_diff.evaluations(scheme, kind), (scheme, kind)
        p = testing.get("logsumexp")
        for kind in ("gradient", "jacobian", "hessian"):
            f = Count(p.f)
            getattr(finite_diff, kind)(f, p.make_x(4), scheme)
            assert f.calls == finite_diff.evaluations(scheme, kind, 4), (scheme, kind)


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


def test_linalg_report_runs_and_formats():
    """The linear algebra report on a small matrix: one row per case and k, positive ratios,
    a table of at most 80 columns (no timing is asserted)."""
    from benchmarks import linalg_report

    result = linalg_report.run(n=8, directions=(1, 3), rounds=1, min_time=1e-4)
    assert {(r["case"], r["k"]) for r in result["rows"]} == {
        (c, k) for c in ("time_solve_dual_A", "time_solve_dual_b", "time_det") for k in (1, 3)
    }
    assert all(r["ratio"] > 0 for r in result["rows"])
    assert max(len(line) for line in linalg_report.format_table(result).splitlines()) <= 80
