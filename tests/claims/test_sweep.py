"""claims.sweep and ``diffbounds sweep``: sweep files, task keys, resume after SIGKILL,
executor equivalence (in-process, process pool, Dask LocalCluster), failures, bad input.

Tasks are ``discretization`` points (the cheapest claim). The code version is pinned
(``DIFFBOUNDS_CODE_VERSION``, inherited by every worker) so that a concurrent edit of the source
during a test cannot change the keys between two runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diffbounds.claims.registry import get_claim
from diffbounds.claims.store import ResultStore
from diffbounds.claims.sweep import code_version, load_sweep, parse_sweep, run_sweep, task_key
from diffbounds.cli import main

REPO = Path(__file__).resolve().parents[2]
SMALL = """
name = "small"
[[task]]
claim = "discretization"
grid = { N = [20, 30, 40, 60] }
fixed = { spacing = 0.05 }
"""


def _toml(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


PIN = "0.0.0+test-pinned"


@pytest.fixture(autouse=True, scope="module")
def _pinned_code_version():
    old = os.environ.get("DIFFBOUNDS_CODE_VERSION")
    os.environ["DIFFBOUNDS_CODE_VERSION"] = PIN
    yield
    if old is None:
        del os.environ["DIFFBOUNDS_CODE_VERSION"]
    else:
        os.environ["DIFFBOUNDS_CODE_VERSION"] = old


def test_code_version(monkeypatch):
    assert code_version() == PIN
    monkeypatch.delenv("DIFFBOUNDS_CODE_VERSION")
    assert re.fullmatch(r"\d+\.\d+\.\d+.*\+src\.[0-9a-f]{16}", code_version())
    point = {"N": 20, "T": 8.0, "spacing": 0.05}
    assert task_key("discretization", point) != task_key("discretization", point, PIN)


# ---------------------------------------------------------------------------- sweep files
def test_grid_product_fixed_points_and_keys(tmp_path):
    sweep = parse_sweep("""
name = "g"
[[task]]
claim = "propagation_tv"
grid = { eps = [0.1, 0.2], N = [25, 50, 100] }
fixed = { spacing = 0.05 }
[[sweep]]
claim = "discretization"
points = [{ N = 20 }, { N = 40.0 }]
grid = { T = [6, 8] }
""")
    assert sweep.name == "g" and sweep.claims == ["propagation_tv", "discretization"]
    prop = [t.point for t in sweep.tasks if t.claim == "propagation_tv"]
    assert [(p["eps"], p["N"]) for p in prop] == [(0.1, 25), (0.1, 50), (0.1, 100),
                                                 (0.2, 25), (0.2, 50), (0.2, 100)]
    assert all(p == get_claim("propagation_tv").complete(p) for p in prop)  # defaults filled
    disc = [t.point for t in sweep.tasks if t.claim == "discretization"]
    # N = 40.0 → 40 (its default is an int); T = 6 → 6.0 (its default is a float).
    assert [(p["N"], p["T"]) for p in disc] == [(20, 6.0), (20, 8.0), (40, 6.0), (40, 8.0)]
    assert type(disc[2]["N"]) is int and type(disc[0]["T"]) is float
    assert [t.index for t in sweep.tasks] == list(range(10))
    # The key depends on the completed point only: equivalent spellings share it.
    assert sweep.tasks[-1].key == task_key("discretization", {"N": 40, "T": 8.0, "spacing": 0.05})
    assert task_key("discretization", disc[0], "other") != sweep.tasks[6].key


def test_duplicates_run_once_and_presets(tmp_path):
    sweep = parse_sweep("""
[[task]]
claim = "discretization"
grid = { N = [20, 20.0, 40] }
[[task]]
claim = "discretization"
points = [{ N = 40, T = 8, spacing = 0.05 }]
[[task]]
claim = "l2_versus_quantile"
preset = "quick"
""", name="d")
    assert sweep.name == "d"
    assert [t.point["N"] for t in sweep.tasks if t.claim == "discretization"] == [20, 40]
    assert [t.point for t in sweep.tasks if t.claim == "l2_versus_quantile"] == \
        get_claim("l2_versus_quantile").grid(True)


def test_seeds():
    sweep = parse_sweep("""
[[task]]
claim = "frontier_w2"
grid = { gamma = [0.1, 0.3] }
seeds = [1, 2]
""", name="f")
    assert [(t.point["gamma"], t.point["seed"]) for t in sweep.tasks] == [
        (0.1, 1), (0.1, 2), (0.3, 1), (0.3, 2)]
    with pytest.raises(ValueError, match="seeds: claim 'discretization' has no 'seed'"):
        parse_sweep('[[task]]\nclaim = "discretization"\nseeds = [1]\n', name="x")
    with pytest.raises(ValueError, match="seeds must be a non-empty list of integers"):
        parse_sweep('[[task]]\nclaim = "frontier_w2"\nseeds = [-1]\n', name="x")


def test_malformed_toml_names_file_and_line(tmp_path):
    path = _toml(tmp_path, 'name = "x"\n[[task]]\nclaim = "discretization\ngrid = {}\n')
    with pytest.raises(ValueError, match=r"s\.toml: malformed TOML: .*line 3"):
        load_sweep(path)
    assert main(["sweep", "run", str(path), "--store", str(tmp_path / "r.sqlite")]) == 2
    assert not (tmp_path / "r.sqlite").exists()  # no work started


@pytest.mark.parametrize("text, message", [
    ('[[task]]\nclaim = "nope"\n', r"s\.toml: \[\[task\]\] #1: claim: unknown claim 'nope'"),
    ('[[task]]\nclaim = "discretization"\ngrid = { M = [1] }\n',
     r"s\.toml: \[\[task\]\] #1 \(claim 'discretization'\): params: unknown parameter\(s\) "
     r"\['M'\]"),
    ('[[task]]\nclaim = "discretization"\ngrid = { N = 3 }\n', "grid.N must be a non-empty"),
    ('[[task]]\nclaim = "discretization"\ngrid = { N = [3.5] }\n', "N: must be an integer"),
    ('[[task]]\nclaim = "discretization"\nfixed = { N = [3] }\n', "fixed.N must be a scalar"),
    ('[[task]]\nclaim = "discretization"\ngrid = { N = [3] }\nfixed = { N = 4 }\n',
     "given twice"),
    ('[[task]]\nclaim = "discretization"\nspeed = 1\n', r"unknown key\(s\) \['speed'\]"),
    ('[[task]]\nclaim = "discretization"\npreset = "huge"\n', "preset must be"),
    ('title = "x"\n', r"unknown top-level key\(s\) \['title'\]"),
    ('name = "x"\n', r"needs at least one \[\[task\]\]"),
])
def test_bad_sweep_files(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        load_sweep(_toml(tmp_path, text))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="^path: cannot read"):
        load_sweep(tmp_path / "missing.toml")
    with pytest.raises(TypeError, match="^path:"):
        load_sweep(3)
    sweep = parse_sweep(SMALL)
    with pytest.raises(ValueError, match="^workers: must be >= 1"):
        run_sweep(sweep, tmp_path / "r.sqlite", workers=0)
    with pytest.raises(TypeError, match="^workers:"):
        run_sweep(sweep, tmp_path / "r.sqlite", workers=2.0)
    with pytest.raises(ValueError, match="^dask: expected 'local'"):
        run_sweep(sweep, tmp_path / "r.sqlite", dask="127.0.0.1:8786")
    with pytest.raises(ValueError, match="^dask: 'local:N'"):
        run_sweep(sweep, tmp_path / "r.sqlite", dask="local:0")
    assert not (tmp_path / "r.sqlite").exists()


def test_store_not_writable(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    path = _toml(tmp_path, SMALL)
    assert main(["sweep", "run", str(path), "--store", str(tmp_path / "file" / "r.sqlite"),
                 "--workers", "1", "--no-progress"]) == 2
    assert "error: store: cannot create the folder" in capsys.readouterr().err


def test_dask_unreachable_fails_fast(tmp_path):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="^dask: cannot reach a scheduler at 'tcp://127.0.0.1:9'"):
        run_sweep(parse_sweep(SMALL), tmp_path / "r.sqlite", dask="tcp://127.0.0.1:9",
                  progress=False)
    assert time.perf_counter() - t0 < 10.0


# ---------------------------------------------------------------------------- running
@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    """The SMALL sweep run in-process, and its store path."""
    store = tmp_path_factory.mktemp("inproc") / "r.sqlite"
    before = code_version()
    summary = run_sweep(parse_sweep(SMALL), store, workers=1, progress=False)
    return summary, store, before


def test_run_resume_and_verdict(in_process, tmp_path, capsys):
    summary, store, before = in_process
    assert (summary.total, summary.computed, summary.ok, summary.failed) == (4, 4, 4, 0)
    # Four values of N: the slope check is inconclusive (needs 5), never "holds".
    assert summary.verdicts == {"discretization": "inconclusive"}
    with ResultStore(store) as st:
        rows = st.rows(sweep="small")
        assert [r["params"]["N"] for r in rows] == [20, 30, 40, 60]
        assert all(r["status"] == "ok" and r["wall_time"] > 0 and r["host"] for r in rows)
        assert rows[0]["versions"]["numpy"] and rows[0]["code_version"] == before
        v, = st.verdicts(sweep="small")
        points, measured = st.results("discretization", sweep="small")
        expect = get_claim("discretization").verdict(points, measured).to_dict()
        assert v["record"] == json.loads(json.dumps(expect))
        assert all(r["predicted"]["value"] > 0 for r in rows)
    # Re-running skips every finished key (through the CLI).
    src = _toml(tmp_path, SMALL)
    assert main(["sweep", "run", str(src), "--store", str(store), "--no-progress"]) == 0
    assert "4 tasks, 4 already done, 0 run" in capsys.readouterr().out
    assert main(["sweep", "status", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "discretization" in out and "INCONCLUSIVE" in out
    assert main(["sweep", "status", str(src), "--store", str(store)]) == 0
    assert "small" in capsys.readouterr().out
    assert main(["sweep", "export", "--store", str(store), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == ResultStore(store).rows()
    assert main(["sweep", "status", "--store", str(tmp_path / "none.sqlite")]) == 2


def test_failures_are_recorded_and_retried(tmp_path, capsys):
    # N = 0 is now refused when the file is read (issue 13, Claim.parameter_specs); a point
    # inside the declared ranges whose measurement fails: T = 1e6 in 20 steps, whose step
    # coefficients overflow float64 (output_law refuses it)
    text = SMALL.replace("[20, 30, 40, 60]", "[20, 30]") + \
        '[[task]]\nclaim = "discretization"\npoints = [{ N = 20, T = 1e6 }]\n'
    store = tmp_path / "r.sqlite"
    summary = run_sweep(parse_sweep(text), store, workers=1, progress=False)
    assert (summary.ok, summary.failed) == (2, 1)
    assert summary.verdicts == {"discretization": None}  # incomplete: no verdict
    with ResultStore(store) as st:
        bad, = st.rows(status="failed")
        assert bad["params"]["T"] == 1e6 and "times: step 0" in bad["traceback"]
        assert bad["measured"] is None and st.verdicts() == []
    # A re-run retries the failed task only (and the CLI exits 1 when a task fails).
    assert main(["sweep", "run", str(_toml(tmp_path, text)), "--store", str(store),
                 "--workers", "1", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "3 tasks, 2 already done, 1 run (0 ok, 1 failed)" in captured.out
    assert "failed: discretization" in captured.err


def _measured_by_key(store):
    with ResultStore(store) as st:
        return {r["key"]: json.dumps(r["measured"], sort_keys=True) for r in st.rows()}


def test_executor_equivalence(in_process, tmp_path):
    """In-process, 2 local processes and a Dask LocalCluster(2) store bitwise equal results."""
    _, reference, before = in_process
    expected = _measured_by_key(reference)
    stores = {"workers=2": tmp_path / "pool.sqlite"}
    run_sweep(parse_sweep(SMALL), stores["workers=2"], workers=2, progress=False)
    try:
        import distributed  # noqa: F401
    except ImportError:
        distributed = None
    if distributed is not None:
        stores["dask local:2"] = tmp_path / "dask.sqlite"
        summary = run_sweep(parse_sweep(SMALL), stores["dask local:2"], dask="local:2",
                            progress=False)
        assert summary.executor == "dask LocalCluster(2)"
    for name, path in stores.items():
        assert _measured_by_key(path) == expected, name
    if distributed is None:
        pytest.skip("distributed is not installed: Dask part not run")


KILL_SWEEP = """
name = "kill"
[[task]]
claim = "discretization"
grid = { N = [20, 22, 24, 26, 28, 30, 32, 34, 36, 38] }
fixed = { spacing = 0.0015 }
"""


def test_resume_after_sigkill(tmp_path):
    src, store = _toml(tmp_path, KILL_SWEEP), tmp_path / "kill.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "diffbounds", "sweep", "run", str(src), "--store", str(store),
         "--workers", "1", "--no-progress"], cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})  # pin inherited
    n_rows, deadline = 0, time.monotonic() + 240
    try:
        while n_rows < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            if store.exists():
                try:
                    con = sqlite3.connect(store, timeout=5)
                    n_rows = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                    con.close()
                except sqlite3.OperationalError:
                    pass
        assert proc.poll() is None, "the sweep finished before it could be killed: " + \
            proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(store)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    keys = [k for (k,) in con.execute("SELECT key FROM results")]
    con.close()
    assert 3 <= len(keys) < 10 and len(set(keys)) == len(keys)
    with ResultStore(store) as st:
        before_rows = {r["key"]: r for r in st.rows(status=None)}
    assert all(r["status"] == "ok" and r["measured"] and r["params"] and r["finished_at"]
               for r in before_rows.values())
    summary = run_sweep(load_sweep(src), store, workers=1, progress=False)
    assert (summary.total, summary.skipped, summary.computed) == (10, len(keys), 10 - len(keys))
    with ResultStore(store) as st:
        assert st.integrity_check() == "ok"
        after = st.rows(sweep="kill")
        assert len(after) == 10 and len({r["key"] for r in after}) == 10
        for key, r in before_rows.items():  # finished rows were not recomputed
            assert next(a for a in after if a["key"] == key)["finished_at"] == r["finished_at"]
        assert st.verdicts(sweep="kill")[0]["holds"] is not None


def test_shipped_sweep_files_load():
    files = sorted((REPO / "sweeps").glob("*.toml"))
    assert (REPO / "sweeps" / "quick.toml") in files
    for f in files:
        sweep = load_sweep(f)
        assert sweep.tasks, f
    assert len(load_sweep(REPO / "sweeps" / "quick.toml").tasks) >= 20
