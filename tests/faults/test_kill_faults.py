"""Issue 13 §1, §2, §4: SIGKILL and SIGINT of ``sweep run`` and ``verify``.

After a kill: no process of the killed command is left (fork server, resource tracker and
workers end with it), the store is sound and holds only complete rows, and a re-run resumes to
results bitwise equal to an uninterrupted run. Ctrl-C (SIGINT to the foreground process group)
prints one line, keeps what finished and exits 130.

Quick subset: one SIGKILL with 2 workers, one Ctrl-C of each command. The random-moment kills
are ``slow``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time

import pytest

from diffbounds.claims.store import ResultStore, StoreError
from tests.faults._util import (
    alive,
    cli,
    count_rows,
    descendants,
    integrity,
    popen,
    sweep_text,
    wait_until,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process-tree checks read /proc (Linux)")

# slow enough to be killed mid-way: fine lattice, six points
KILL_NS = (20, 22, 24, 26, 28, 30)
KILL_SPACING = 0.0015


def _kill_toml(tmp_path, name="kill"):
    p = tmp_path / f"{name}.toml"
    p.write_text(sweep_text(name, KILL_NS, KILL_SPACING))
    return p


def _start_sweep(toml, store, workers):
    return popen("sweep", "run", toml, "--store", store, "--workers", workers, "--no-progress",
                 start_new_session=True)


def _assert_no_process_left(pids, timeout=20.0):
    assert wait_until(lambda: not any(alive(p) for p in pids), timeout), \
        [p for p in pids if alive(p)]


def _assert_sound(store, n_max):
    """Sound store with complete rows only; a kill before the first write may leave an empty
    database file (integrity ok, no tables), or none."""
    if not store.exists():
        return []
    assert integrity(store) == "ok"
    try:
        with ResultStore(store, readonly=True) as st:
            rows = st.rows(status=None)
    except StoreError as exc:
        assert "is empty" in str(exc)
        return []
    assert len(rows) <= n_max and len({r["key"] for r in rows}) == len(rows)
    assert all(r["status"] == "ok" and r["measured"] and r["finished_at"] for r in rows)
    return rows


def _measured(store, sweep):
    with ResultStore(store, readonly=True) as st:
        return {r["key"]: r["measured"] for r in st.rows(sweep=sweep)}


def _kill_at(proc, store, *, rows=None, delay=None, sig=signal.SIGKILL, group=False):
    """Wait until ``rows`` rows are stored (or ``delay`` s passed), then signal; returns the
    descendants seen just before."""
    if rows is not None:
        assert wait_until(lambda: count_rows(store) >= rows or proc.poll() is not None, 300)
    else:
        time.sleep(delay)
    assert proc.poll() is None, "finished before it could be killed: " + proc.stderr.read()
    kids = descendants(proc.pid)
    if group:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    return kids


def test_sigkill_of_sweep_run_leaves_no_process_and_resumes(tmp_path):
    toml, store = _kill_toml(tmp_path), tmp_path / "k.sqlite"
    proc = _start_sweep(toml, store, 2)
    try:
        assert wait_until(lambda: len(descendants(proc.pid)) >= 3, 120)  # pool is up
        kids = _kill_at(proc, store, rows=1)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert len(kids) >= 3  # fork server, resource tracker, workers
    _assert_no_process_left(kids)
    before = _assert_sound(store, len(KILL_NS))
    assert 1 <= len(before) < len(KILL_NS)
    done = cli("sweep", "run", toml, "--store", store, "--workers", "1", "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{len(before)} already done" in done.stdout
    after = _assert_sound(store, len(KILL_NS))
    assert len(after) == len(KILL_NS)
    kept = {r["key"]: r["finished_at"] for r in before}
    assert all(r["finished_at"] == kept[r["key"]] for r in after if r["key"] in kept)


def test_ctrl_c_of_sweep_run(tmp_path):
    toml, store = _kill_toml(tmp_path), tmp_path / "k.sqlite"
    proc = _start_sweep(toml, store, 2)
    try:
        kids = _kill_at(proc, store, rows=1, sig=signal.SIGINT, group=True)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted;" in lines[0], err[-3000:]
    n = count_rows(store)
    assert f"{n} of {len(KILL_NS)} tasks finished" in lines[0]
    _assert_no_process_left(kids)
    _assert_sound(store, len(KILL_NS))


def _stderr_lines(proc, seen, stop):
    for line in proc.stderr:
        seen.append(line)
        if stop in line:
            return


def test_ctrl_c_of_verify_keeps_finished_claims(tmp_path):
    out = tmp_path / "v.json"
    proc = popen("verify", "--only", "lemma_4_1", "l2_versus_quantile", "--quick", "--json",
                 out, start_new_session=True)
    seen = []
    try:
        reader = threading.Thread(target=_stderr_lines,
                                  args=(proc, seen, "running claim l2_versus_quantile"))
        reader.start()
        reader.join(300)
        assert proc.poll() is None, "".join(seen)
        kids = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        rest_out, rest_err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(seen) + rest_err
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    assert "verify: interrupted; 1 of 2 claims finished" in rest_err
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True and [c["name"] for c in doc["claims"]] == ["lemma_4_1"]
    _assert_no_process_left(kids)


# ---------------------------------------------------------------------------- slow
@pytest.mark.slow
def test_random_sigkills_lose_nothing_and_resume_bitwise(tmp_path):
    """Three SIGKILLs at random moments (seeded), then a resume; the results equal, bitwise,
    those of an uninterrupted run into another store."""
    toml, store, ref = _kill_toml(tmp_path), tmp_path / "k.sqlite", tmp_path / "ref.sqlite"
    rng = random.Random(13)
    for _ in range(3):
        proc = _start_sweep(toml, store, rng.choice([1, 2]))
        try:
            kids = _kill_at(proc, store, delay=rng.uniform(2.0, 25.0)) \
                if proc.poll() is None else []
            proc.wait(30)
        except AssertionError:  # finished before the kill: nothing left to kill
            proc.wait(30)
            kids = []
        finally:
            if proc.poll() is None:
                proc.kill()
        _assert_no_process_left(kids)
        _assert_sound(store, len(KILL_NS))
    assert cli("sweep", "run", toml, "--store", store, "--workers", "2",
               "--no-progress").returncode == 0
    assert cli("sweep", "run", toml, "--store", ref, "--workers", "1",
               "--no-progress").returncode == 0
    assert _measured(store, "kill") == _measured(ref, "kill")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [1.0, 6.0, 15.0])
def test_ctrl_c_of_sweep_run_at_random_moments(tmp_path, delay):
    toml, store = _kill_toml(tmp_path), tmp_path / "k.sqlite"
    proc = _start_sweep(toml, store, 2)
    try:
        time.sleep(delay)
        if proc.poll() is not None:
            pytest.skip("finished before the signal")
        kids = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err, err[-3000:]
    _assert_no_process_left(kids)
    if store.exists():
        _assert_sound(store, len(KILL_NS))


@pytest.mark.slow
def test_concurrent_sweeps_on_one_store(tmp_path):
    """Two sweeps of different names run at once into one store: both complete, the store is
    sound, each sweep keeps its own grid."""
    store = tmp_path / "c.sqlite"
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(sweep_text("a", (20, 30, 40, 60), 0.05))
    b.write_text(sweep_text("b", (20, 25, 35, 50), 0.05))
    procs = [popen("sweep", "run", f, "--store", store, "--workers", "1", "--no-progress")
             for f in (a, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    assert integrity(store) == "ok"
    with ResultStore(store, readonly=True) as st:
        assert len(st.sweep_tasks("a")) == 4 and len(st.sweep_tasks("b")) == 4
        assert len(st.rows(sweep="a")) == 4 and len(st.rows(sweep="b")) == 4
        assert {v["sweep"] for v in st.verdicts()} == {"a", "b"}
