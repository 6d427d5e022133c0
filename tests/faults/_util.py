"""Helpers of the fault-injection suite: fabricated stores, CLI subprocesses, process trees."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from diffbounds.claims.store import ResultStore
from diffbounds.claims.sweep import parse_sweep

REPO = Path(__file__).resolve().parents[2]
PIN = "0.0.0+faults-pinned"

# The cheapest claim; the points of one sweep differ only in N.
SWEEP = """
name = "{name}"
[[task]]
claim = "discretization"
grid = {{ N = {ns} }}
fixed = {{ spacing = {spacing} }}
"""


def sweep_text(name="s", ns=(20, 22, 24, 26), spacing=0.05) -> str:
    return SWEEP.format(name=name, ns=list(ns), spacing=spacing)


def fabricate(store_path, text, *, measured=lambda p: {"tv": 0.01, "uncertainty": 1e-4}):
    """A store holding ``text``'s sweep with every task finished (no computation): fake but
    well-formed rows, for the faults that concern the store, not the measurements."""
    sweep = parse_sweep(text)
    with ResultStore(store_path) as st:
        st.record_sweep(sweep.name, None, text, sweep.code_version,
                        [(t.key, t.claim, t.point) for t in sweep.tasks])
        for t in sweep.tasks:
            st.write_result(key=t.key, sweep=sweep.name, claim=t.claim, params=t.point,
                            measured=measured(t.point), wall_time=0.0, versions={},
                            git_commit=None, host="fabricated", status="ok", traceback=None,
                            code_version=sweep.code_version, grid_index=t.index)
    return sweep


def cli(*args, timeout=600, env=None, **kw) -> subprocess.CompletedProcess:
    """Run ``python -m diffbounds ARGS`` (code version pinned) and capture its output."""
    return subprocess.run([sys.executable, "-m", "diffbounds", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DIFFBOUNDS_CODE_VERSION": PIN, **(env or {})},
                          **kw)


def _default_sigint():
    # A process started in the background by a non-interactive shell inherits SIGINT ignored,
    # and Python then installs no KeyboardInterrupt handler; the Ctrl-C tests model a process
    # in a terminal's foreground, so the child gets SIGINT's default disposition back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "diffbounds", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "DIFFBOUNDS_CODE_VERSION": PIN},
                            preexec_fn=_default_sigint, **kw)


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux /proc)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                for c in fh.read().split():
                    out += [int(c), *descendants(int(c))]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def alive(pid: int) -> bool:
    """True for a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_until(cond, timeout, step=0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def count_rows(store, status="ok") -> int:
    if not Path(store).exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM results WHERE status = ?",
                               (status,)).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def integrity(store) -> str:
    con = sqlite3.connect(store)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def one_line_error(proc, prefix="diffbounds sweep: error: store:") -> str:
    """The error output must be exactly one line starting with ``prefix``; returns it."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(prefix), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return lines[0]


def have_userns() -> bool:
    """Unprivileged user + mount namespaces (for tmpfs and read-only bind mounts)."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
