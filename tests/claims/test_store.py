"""claims.store: schema, write guarantees (no duplicates, ok rows never overwritten), reading
order, stored verdicts, export round trips, unwritable paths."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3

import pytest

from diffbounds.claims.store import ROW_FIELDS, SCHEMA_VERSION, ResultStore
from diffbounds.claims.verdict import ClaimRecord

VERSIONS = {"python": "3.11", "numpy": "2.4"}


def _write(store, key, *, status="ok", params=None, measured=None, sweep="s", claim="c",
           index=0):
    return store.write_result(
        key=key, sweep=sweep, claim=claim, params=params or {"N": int(key[-1]), "x": 0.1},
        measured=measured if status == "ok" else None, wall_time=0.5, versions=VERSIONS,
        git_commit=None, host="h", status=status,
        traceback="Traceback: boom" if status == "failed" else None,
        code_version="0.1.0+src.x", grid_index=index)


def test_schema(tmp_path):
    path = tmp_path / "sub" / "dir" / "r.sqlite"  # parent folders are created
    ResultStore(path).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"results", "sweep_tasks", "sweeps", "verdicts"} <= tables
    cols = [r[1] for r in con.execute("PRAGMA table_info(results)")]
    assert cols == list(ROW_FIELDS)
    pk = [r[1] for r in con.execute("PRAGMA table_info(results)") if r[5]]
    assert pk == ["key"]


def test_write_and_read_rows(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        assert _write(st, "k1", measured={"tv": 0.1 + 0.2, "n": 3})
        row, = st.rows()
        assert set(row) == set(ROW_FIELDS)
        assert row["measured"] == {"tv": 0.1 + 0.2, "n": 3}  # exact float round trip
        assert row["params"] == {"N": 1, "x": 0.1} and row["versions"] == VERSIONS
        assert row["predicted"] is None and row["verdict"] is None
        assert row["status"] == "ok" and row["traceback"] is None
        assert st.finished_keys() == {"k1"}


def test_no_duplicates_and_ok_rows_never_overwritten(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        assert _write(st, "k1", measured={"tv": 1.0})
        assert not _write(st, "k1", measured={"tv": 2.0})
        assert not _write(st, "k1", status="failed")
        assert [r["measured"] for r in st.rows(status=None)] == [{"tv": 1.0}]
        # A failed task is not finished, and a later success replaces it.
        assert _write(st, "k2", status="failed")
        assert st.finished_keys() == {"k1"} and st.failed_keys() == {"k2"}
        assert "boom" in st.rows(status="failed")[0]["traceback"]
        assert _write(st, "k2", measured={"tv": 3.0})
        assert st.finished_keys() == {"k1", "k2"} and st.failed_keys() == set()
        n = st._con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM results").fetchone()
        assert n == (2, 2)


def test_results_in_grid_order_and_dedup(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        tasks = [(f"k{i}", "c", {"N": i}) for i in (3, 1, 2)]
        st.record_sweep("s", None, None, "v", tasks)
        for i in (1, 2, 3):  # written in another order than the grid's
            _write(st, f"k{i}", params={"N": i}, measured={"tv": float(i)})
        points, rows = st.results("c", sweep="s")
        assert points == [{"N": 3}, {"N": 1}, {"N": 2}]
        assert rows == [{"tv": 3.0}, {"tv": 1.0}, {"tv": 2.0}]
        # Without a sweep: one row per distinct point (the newest), in first-written order.
        _write(st, "k9", params={"N": 1}, measured={"tv": 10.0})
        points, rows = st.results("c")
        assert points == [{"N": 1}, {"N": 2}, {"N": 3}]
        assert rows == [{"tv": 10.0}, {"tv": 2.0}, {"tv": 3.0}]
        assert st.results("other") == ([], [])
        assert [d["pending"] for d in st.status()] == [0]


def test_verdicts_replace_and_predicted(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        for i in (1, 2):
            _write(st, f"k{i}", params={"N": i}, measured={"tv": 1.0})
        rec = ClaimRecord(name="c", statements=["s"], params={}, predicted=[2.0, 4.0],
                          measured=[1.0, 1.0], ratio=[0.5, 0.25], holds=True,
                          fitted_constant=1.0)
        st.write_verdict("s", "c", error="first", n_points=2, code_version="v")
        st.write_verdict("s", "c", record=rec, n_points=2, code_version="v", keys=["k1", "k2"])
        v, = st.verdicts(claim="c")
        assert v["holds"] is True and v["error"] is None and v["record"] == rec.to_dict()
        assert [r["predicted"] for r in st.rows()] == [{"value": 2.0, "ratio": 0.5},
                                                      {"value": 4.0, "ratio": 0.25}]
        st.delete_verdict("s", "c")
        assert st.verdicts() == []


@pytest.fixture
def filled(tmp_path):
    st = ResultStore(tmp_path / "r.sqlite")
    _write(st, "k1", params={"N": 20, "T": 8.0}, measured={"tv": 0.1 + 0.2, "u": 1e-300})
    _write(st, "k2", params={"N": 40, "T": 8.0, "tag": "a,b"},
           measured={"tv": 1 / 3, "u": 2.5e-7, "extra": [1.0, 2.0]})
    _write(st, "k3", status="failed", params={"N": 0, "T": 8.0})
    yield st
    st.close()


def test_export_json_round_trip(filled, tmp_path):
    assert json.loads(filled.export("json")) == filled.rows()
    filled.export("json", tmp_path / "all.json", status=None)
    assert json.loads((tmp_path / "all.json").read_text()) == filled.rows(status=None)


def test_export_csv_round_trip(filled):
    table = list(csv.DictReader(io.StringIO(filled.export("csv", status=None))))
    rows = filled.rows(status=None)
    assert [t["key"] for t in table] == [r["key"] for r in rows]
    for t, r in zip(table, rows, strict=True):
        assert t["status"] == r["status"] and t["claim"] == r["claim"]
        assert json.loads(t["versions"]) == r["versions"]
        assert float(t["wall_time"]) == r["wall_time"]
        for k, v in r["params"].items():
            assert t[f"params.{k}"] == (v if isinstance(v, str) else repr(v))
        for k, v in (r["measured"] or {}).items():
            cell = t[f"measured.{k}"]
            assert (json.loads(cell) if isinstance(v, list) else float(cell)) == v  # exact
    assert table[0]["params.tag"] == "" and table[2]["measured.tv"] == ""


def test_export_parquet(filled, tmp_path):
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="format: parquet export needs pandas and pyarrow"):
            filled.export("parquet", tmp_path / "r.parquet")
        return
    filled.export("parquet", tmp_path / "r.parquet")
    df = pd.read_parquet(tmp_path / "r.parquet")
    assert list(df["measured.tv"]) == [r["measured"]["tv"] for r in filled.rows()]


def test_to_dataframe_matches_rows(filled):
    pd = pytest.importorskip("pandas")
    df = filled.to_dataframe(status=None)
    rows = filled.rows(status=None)
    assert isinstance(df, pd.DataFrame) and len(df) == len(rows)
    assert list(df["key"]) == [r["key"] for r in rows]
    assert list(df["status"]) == [r["status"] for r in rows]
    assert [json.loads(v) for v in df["versions"]] == [r["versions"] for r in rows]
    ok = filled.to_dataframe(claim="c")
    assert list(ok["measured.tv"]) == [r["measured"]["tv"] for r in filled.rows()]  # exact
    assert json.loads(ok["measured.extra"].iloc[1]) == [1.0, 2.0]
    assert pd.isna(ok["measured.extra"].iloc[0]) and ok["params.tag"].iloc[1] == "a,b"
    assert len(filled.to_dataframe(claim="no_such_claim")) == 0


def test_to_dataframe_without_pandas(filled, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=r"diffbounds\[parquet\]"):
        filled.to_dataframe()


def test_export_bad_format(filled):
    with pytest.raises(ValueError, match="^format:"):
        filled.export("xlsx")
    with pytest.raises(ValueError, match="^status:"):
        filled.rows(status="done")


def test_unwritable_paths(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="^store: cannot create the folder"):
        ResultStore(blocker / "r.sqlite")
    with pytest.raises(ValueError, match="^store: .* is a directory"):
        ResultStore(tmp_path)
    with pytest.raises(ValueError, match="^store: no result store"):
        ResultStore(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(TypeError, match="^store:"):
        ResultStore(3)
    not_db = tmp_path / "text.sqlite"
    not_db.write_text("this is not a database " * 100)
    with pytest.raises(ValueError, match="^store: cannot open"):
        ResultStore(not_db)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="^store:"):
            ResultStore(ro / "r.sqlite")
    finally:
        ro.chmod(0o700)
