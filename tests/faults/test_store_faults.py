"""Issue 13 §1, §4: a damaged, read-only or full store ends in one clear line (what, which file,
what to do) and exit code 2, never a traceback; nothing partial is written; reading a store
needs no write access.

The stores are fabricated (well-formed rows, no computation) except where a sweep must run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from diffbounds.claims import store as store_mod
from diffbounds.claims.store import ResultStore, StoreError
from diffbounds.cli import main
from tests.faults._util import (
    PIN,
    cli,
    count_rows,
    fabricate,
    have_userns,
    integrity,
    one_line_error,
    sweep_text,
)


@pytest.fixture(autouse=True)
def _pinned(monkeypatch):
    monkeypatch.setenv("DIFFBOUNDS_CODE_VERSION", PIN)


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "r.sqlite"
    fabricate(path, sweep_text("a"))
    assert integrity(path) == "ok" and count_rows(path) == 4
    return path


def _damage(path, how):
    data = path.read_bytes()
    page = 4096
    assert len(data) > 2 * page
    if how == "truncated":
        path.write_bytes(data[: page + 100])
    elif how == "garbage_pages":  # every page after the header page
        rnd = os.urandom(len(data) - page)
        path.write_bytes(data[:page] + rnd)
    elif how == "garbage_header":
        path.write_bytes(os.urandom(100) + data[100:])
    elif how == "zero_bytes":
        path.write_bytes(b"")
    else:  # pragma: no cover
        raise AssertionError(how)


READERS = [("status",), ("export", "--format", "csv"), ("export", "--format", "json")]


@pytest.mark.parametrize("how", ["truncated", "garbage_pages", "garbage_header", "zero_bytes"])
@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[-1])
def test_damaged_store_gives_one_line_and_exit_2(filled, how, reader, capsys):
    _damage(filled, how)
    assert main(["sweep", *reader, "--store", str(filled)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diffbounds sweep: error: store:"), err
    assert str(filled) in lines[0]
    assert ("damaged" in lines[0] or "not a database" in lines[0]
            or (how == "zero_bytes" and "is empty" in lines[0])), lines[0]


@pytest.mark.parametrize("how", ["truncated", "garbage_pages", "garbage_header"])
def test_damaged_store_refuses_a_sweep_run_in_one_line(filled, how, tmp_path, capsys):
    _damage(filled, how)
    before = filled.read_bytes()
    assert main(["sweep", "run", str(_write(tmp_path, sweep_text("b"))), "--store",
                 str(filled), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("diffbounds sweep: error: store:"), err
    assert filled.read_bytes() == before  # nothing written into the damaged file


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncated", "garbage_pages"])
def test_damaged_store_sweep_run_as_a_command(filled, how, tmp_path):
    _damage(filled, how)
    proc = cli("sweep", "run", _write(tmp_path, sweep_text("b")), "--store", filled,
               "--workers", "1", "--no-progress")
    assert proc.returncode == 2
    one_line_error(proc)


def test_reading_writes_nothing(filled, capsys):
    before = (filled.read_bytes(), filled.stat().st_mtime_ns)
    for reader in READERS:
        assert main(["sweep", *reader, "--store", str(filled)]) == 0
    capsys.readouterr()
    assert (filled.read_bytes(), filled.stat().st_mtime_ns) == before
    wal = filled.with_name(filled.name + "-wal")  # SQLite may open an (empty) WAL sidecar
    assert not wal.exists() or wal.stat().st_size == 0


def _write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_full_disk_rolls_back_the_write_and_says_so(filled):
    # SQLite's own quota (max_page_count) gives the very error of a full disk (SQLITE_FULL)
    with ResultStore(filled) as st:
        n_pages = st._con.execute("PRAGMA page_count").fetchone()[0]
        st._con.execute(f"PRAGMA max_page_count = {n_pages}")
        with pytest.raises(StoreError, match=r"^store: cannot write to .*full.*free space"):
            for i in range(1000):
                st.write_result(key=f"k{i}", sweep="a", claim="discretization",
                                params={"N": i}, measured={"tv": 0.0}, wall_time=0.0,
                                versions={}, git_commit=None, host="h", status="ok",
                                traceback="x" * 3000, code_version=PIN)
        written = i
    assert integrity(filled) == "ok"
    assert count_rows(filled) == 4 + written  # the failing row is absent, the others complete


def test_full_disk_during_sweep_run_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    """The first result write hits a full disk: exit 2, one line, no partial row, and a
    re-run (space freed) computes the task."""
    text = sweep_text("c", ns=(20, 30, 40, 60))
    store = tmp_path / "r.sqlite"
    real_execute = store_mod._Connection.execute

    def full_on_insert(self, sql, args=(), what=None):
        if sql.lstrip().startswith("INSERT INTO results"):
            raise self._fail("write to", sqlite3.OperationalError("database or disk is full"))
        return real_execute(self, sql, args, what)

    monkeypatch.setattr(store_mod._Connection, "execute", full_on_insert)
    toml = _write(tmp_path, text)
    assert main(["sweep", "run", str(toml), "--store", str(store), "--workers", "1",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "full" in err[0] and str(store) in err[0], err
    monkeypatch.setattr(store_mod._Connection, "execute", real_execute)
    assert integrity(store) == "ok" and count_rows(store) == 0
    assert main(["sweep", "run", str(toml), "--store", str(store), "--workers", "1",
                 "--no-progress"]) == 0
    assert count_rows(store) == 4


needs_userns = pytest.mark.skipif(not have_userns(),
                                  reason="needs unshare -rm (user + mount namespaces)")

_NS_SCRIPT = """
set -e
mount -t tmpfs -o size={size} tmpfs {mnt}
{cmd}
"""


def _in_namespace(cmd, mnt, size="128k", timeout=300):
    script = _NS_SCRIPT.format(size=size, mnt=mnt, cmd=cmd)
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "DIFFBOUNDS_CODE_VERSION": PIN})


@needs_userns
def test_real_full_disk_on_a_size_limited_tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    code = textwrap.dedent(f"""
        import json, sqlite3, sys
        from diffbounds.claims.store import ResultStore, StoreError
        path = {str(mnt / "r.sqlite")!r}
        n, msg = 0, None
        with ResultStore(path) as st:
            try:
                for i in range(10_000):
                    st.write_result(key=f"k{{i}}", sweep="a", claim="discretization",
                                    params={{"N": i}}, measured={{"tv": 0.0}}, wall_time=0.0,
                                    versions={{}}, git_commit=None, host="h", status="ok",
                                    traceback="x" * 2000, code_version="p")
                    n += 1
            except StoreError as exc:
                msg = str(exc)
        con = sqlite3.connect(path)
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        rows = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        print(json.dumps(dict(n=n, msg=msg, ok=ok, rows=rows)))
    """)
    script = tmp_path / "fill.py"
    script.write_text(code)
    proc = _in_namespace(f"{sys.executable} {script}", mnt)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["msg"] is not None and "full" in out["msg"] and "free space" in out["msg"]
    assert "\n" not in out["msg"]
    assert out["ok"] == "ok" and out["rows"] == out["n"] > 0


@pytest.mark.slow
@needs_userns
def test_read_only_store_can_be_read_but_not_written(filled, tmp_path):
    """The store's folder is a read-only bind mount: status and export work (no -shm file can
    be made: the store is opened immutable), a run is refused in one line."""
    folder = filled.parent
    expected = cli("sweep", "export", "--format", "json", "--store", filled)
    assert expected.returncode == 0
    toml = tmp_path.parent / f"{tmp_path.name}-b.toml"
    toml.write_text(sweep_text("b"))
    py = sys.executable
    cmd = (f"mount --bind -o ro {folder} {folder} || exit 99\n"
           f"cd {os.getcwd()}\n"
           f"{py} -m diffbounds sweep status --store {filled} > {toml}.status\n"
           f"{py} -m diffbounds sweep export --format json --store {filled} > {toml}.json\n"
           f"{py} -m diffbounds sweep run {toml} --store {filled} --workers 1 --no-progress "
           f"2> {toml}.err; echo $? > {toml}.rc")
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", cmd],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DIFFBOUNDS_CODE_VERSION": PIN})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((toml.parent / f"{toml.name}.json").read_text()) == \
        json.loads(expected.stdout)
    assert " 4 " in (toml.parent / f"{toml.name}.status").read_text()
    assert (toml.parent / f"{toml.name}.rc").read_text().strip() == "2"
    err = (toml.parent / f"{toml.name}.err").read_text().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("diffbounds sweep: error: store:"), err


def test_readonly_store_object_refuses_writes(filled):
    with ResultStore(filled, readonly=True) as st:
        assert len(st.rows()) == 4
        with pytest.raises(StoreError, match="read-only"):
            st.delete_verdict("a", "discretization")
    with pytest.raises(StoreError, match="^store: no result store"):
        ResultStore(filled.parent / "missing.sqlite", readonly=True)
