"""The result store of sweeps: one SQLite file (standard library), written only by the client.

Schema (``PRAGMA user_version`` = 1)::

    results      one row per finished task
      key TEXT PRIMARY KEY        sha256 of canonical JSON {claim, point, code_version}
      sweep TEXT                  the sweep that computed the row
      claim TEXT
      params TEXT                 JSON object: the completed point (defaults filled in)
      measured TEXT               JSON object of numbers (NULL when status = 'failed')
      predicted TEXT              JSON object {"value", "ratio"}: the claim-level prediction at
                                  this point from the latest verdict over a sweep containing
                                  it (NULL before any verdict)
      verdict TEXT                always NULL: verdicts are claim-level (table ``verdicts``)
      wall_time REAL              seconds spent in ``claim.measure`` on the worker
      versions TEXT               JSON object: python and package versions on the worker
      git_commit TEXT             commit of the client's checkout (NULL outside git)
      host TEXT                   host name of the worker
      status TEXT                 'ok' or 'failed'
      traceback TEXT              the worker's traceback when status = 'failed'
      finished_at TEXT            ISO 8601 UTC time the row was written
      code_version TEXT           see ``claims.sweep.code_version``
      grid_index INTEGER          the task's index in the computing sweep's grid
    sweep_tasks  membership: (sweep, idx) PRIMARY KEY, key, claim, params — the grid of the last
                 run of each sweep, in grid order
    sweeps       name PRIMARY KEY, path, source (the TOML text), code_version, n_tasks, updated_at
    verdicts     (sweep, claim) PRIMARY KEY, record (ClaimRecord JSON or NULL), holds, error,
                 n_points, code_version, computed_at

Errors: every SQLite error (a full disk, a damaged file, a read-only file, a lock held too long)
is raised as ``StoreError`` (a ``ValueError``) with one line saying what failed, on which file
and what to do; the transaction it interrupted is rolled back, so nothing partial is written.
A store opened with ``readonly=True`` (status, export, figures) never writes and needs no write
access to the file or its folder.

A sweep's name identifies its grid: ``record_sweep`` refuses a different grid (other claims or
points) under a name already in the store unless ``replace=True`` (which also drops that
sweep's stored verdicts), so no sweep's grid or verdict is replaced silently.

Guarantees: the database runs in WAL mode with ``synchronous = FULL``; every finished task is
one INSERT in its own transaction, so a process killed at any moment (SIGKILL included) leaves
only complete rows. ``key`` is the primary key and a task is written with an UPSERT that never
overwrites an ``ok`` row, so duplicates are impossible; a ``failed`` row is replaced when a
re-run of the task succeeds (re-runs retry failed tasks, see ``claims.sweep``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas

    from diffbounds.claims.verdict import ClaimRecord

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    sweep TEXT NOT NULL,
    claim TEXT NOT NULL,
    params TEXT NOT NULL,
    measured TEXT,
    predicted TEXT,
    verdict TEXT,
    wall_time REAL,
    versions TEXT NOT NULL,
    git_commit TEXT,
    host TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    traceback TEXT,
    finished_at TEXT NOT NULL,
    code_version TEXT NOT NULL,
    grid_index INTEGER
);
CREATE INDEX IF NOT EXISTS results_claim ON results (claim, status);
CREATE TABLE IF NOT EXISTS sweep_tasks (
    sweep TEXT NOT NULL,
    idx INTEGER NOT NULL,
    key TEXT NOT NULL,
    claim TEXT NOT NULL,
    params TEXT NOT NULL,
    PRIMARY KEY (sweep, idx)
);
CREATE INDEX IF NOT EXISTS sweep_tasks_key ON sweep_tasks (key);
CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT PRIMARY KEY,
    path TEXT,
    source TEXT,
    code_version TEXT NOT NULL,
    n_tasks INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
    sweep TEXT NOT NULL,
    claim TEXT NOT NULL,
    record TEXT,
    holds INTEGER,
    error TEXT,
    n_points INTEGER NOT NULL,
    code_version TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (sweep, claim)
);
"""

ROW_FIELDS = ("key", "sweep", "claim", "params", "measured", "predicted", "verdict", "wall_time",
              "versions", "git_commit", "host", "status", "traceback", "finished_at",
              "code_version", "grid_index")
_JSON_FIELDS = ("params", "measured", "predicted", "verdict", "versions")
EXPORT_FORMATS = ("csv", "json", "parquet")


class StoreError(ValueError):
    """A result-store failure: one line naming what failed, the file and what to do."""


class SweepConflictError(StoreError):
    """A sweep name already in the store with a different grid."""


def _advice(exc: Exception) -> str:
    msg = str(exc).lower()
    if "full" in msg:
        return ("free space on that disk (or move the store) and run again; finished tasks "
                "are kept and nothing partial was written")
    if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
        return ("the file is damaged: restore it from a backup, or move it away and run the "
                "sweep again into a new store")
    if "readonly" in msg or "read-only" in msg or "permission" in msg or "unable to open" in msg:
        return "check that the file and its folder exist and are readable (and writable to run)"
    if "locked" in msg or "busy" in msg:
        return "another process holds the store: wait for it or use another store"
    return "check the file, or use another store"


class _Result:
    """Rows fetched eagerly (so a damaged page raises inside ``_Connection.execute``)."""

    def __init__(self, rows, rowcount):
        self._rows, self.rowcount = rows, rowcount

    def __iter__(self):
        return iter(self._rows)

    def fetchone(self):
        return self._rows[0] if self._rows else None


class _Connection:
    """sqlite3 connection whose every call turns ``sqlite3.Error`` into ``StoreError``."""

    def __init__(self, con, path):
        self._con, self._path = con, path

    def _fail(self, what, exc):
        return StoreError(f"store: cannot {what} {str(self._path)!r} "
                          f"(sqlite: {exc}); {_advice(exc)}")

    def execute(self, sql, args=(), what=None):
        if what is None:
            what = "read" if sql.lstrip().upper().startswith(("SELECT", "PRAGMA")) \
                else "write to"
        try:
            cur = self._con.execute(sql, args)
            return _Result(cur.fetchall(), cur.rowcount)
        except sqlite3.Error as exc:
            raise self._fail(what, exc) from None

    def executemany(self, sql, seq, what="write to"):
        try:
            cur = self._con.executemany(sql, seq)
            return _Result([], cur.rowcount)
        except sqlite3.Error as exc:
            raise self._fail(what, exc) from None

    def close(self):
        try:
            self._con.close()
        except sqlite3.Error:  # pragma: no cover - closing never loses committed data
            pass


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _dumps(obj) -> str:
    """Canonical JSON (sorted keys); floats are written with ``repr`` and read back exactly."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _loads(text):
    return None if text is None else json.loads(text)


class ResultStore:
    """A sweep result store at ``path`` (created, with its parent folders, unless ``create``
    is False or ``readonly`` is True).

    ``readonly=True`` opens an existing store for reading only (no write access needed; any
    write raises ``StoreError``). A path that cannot be created, opened or written raises
    ``StoreError("store: ...")`` (a ``ValueError``); so does any later SQLite failure.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file.
    create : bool
        Create the file (and its folders) when missing.
    readonly : bool
        Open an existing store for reading only.

    Raises
    ------
    TypeError
        ``path`` is not a path.
    StoreError
        The path is a directory, missing (without ``create``, or ``readonly``), damaged, of
        another schema version, or cannot be opened.
    ValueError
        The folder cannot be created or the file is not writable.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "results.sqlite")
    >>> with ResultStore(path) as store:
    ...     store.record_sweep("demo", None, "", "v0", [("k1", "figure_1", {"m": 10})])
    ...     store.write_result(key="k1", sweep="demo", claim="figure_1", params={"m": 10},
    ...                        measured={"x": 1.5}, wall_time=0.1, versions={}, git_commit=None,
    ...                        host="h", status="ok", traceback=None, code_version="v0")
    ...     store.results("figure_1")
    True
    ([{'m': 10}], [{'x': 1.5}])
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True,
                 readonly: bool = False) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"store: path must be a str or os.PathLike, got {type(path).__name__}")
        self.path = Path(path)
        self.readonly = bool(readonly)
        if self.path.is_dir():
            raise StoreError(f"store: {str(self.path)!r} is a directory, not a database file")
        if (readonly or not create) and not self.path.exists():
            raise StoreError(f"store: no result store at {str(self.path)!r}")
        if readonly:
            self._open_readonly()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"store: cannot create the folder of {str(self.path)!r}: {exc}") \
                from None
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise ValueError(f"store: {str(self.path)!r} is not writable")
        try:
            raw = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"store: cannot open {str(self.path)!r} for writing "
                             f"(sqlite: {exc}); {_advice(exc)}") from None
        self._con = _Connection(raw, self.path)
        try:
            # a damaged file is refused before anything (even the journal mode) is written
            self.quick_check(what="open for writing")
            self._con.execute("PRAGMA journal_mode=WAL", what="open for writing")
            self._con.execute("PRAGMA synchronous=FULL", what="open for writing")
            with self._transaction():
                version = self._con.execute("PRAGMA user_version",
                                            what="open for writing").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise StoreError(f"store: {str(self.path)!r} has schema version {version}; "
                                     f"this code reads version {SCHEMA_VERSION}")
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self._con.execute(stmt, what="open for writing")
                self._con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}",
                                  what="open for writing")
        except StoreError:
            self._con.close()
            raise

    def _open_readonly(self):
        """Open for reading: ``mode=ro``; a WAL store whose folder is not writable (no -shm
        file can be made) is opened ``immutable`` — no writer can be running there."""
        uri = self.path.resolve().as_uri()
        last = None
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                raw = sqlite3.connect(uri + query, uri=True, timeout=30.0, isolation_level=None)
                con = _Connection(raw, self.path)
                version = con.execute("PRAGMA user_version", what="open for reading")
                version = version.fetchone()[0]
                n_tables = con.execute("SELECT COUNT(*) FROM sqlite_master",
                                       what="open for reading").fetchone()[0]
            except sqlite3.Error as exc:
                last = StoreError(f"store: cannot open {str(self.path)!r} for reading "
                                  f"(sqlite: {exc}); {_advice(exc)}")
                continue
            except StoreError as exc:
                last = exc
                try:
                    raw.close()
                except sqlite3.Error:  # pragma: no cover
                    pass
                if "unable to open" in str(exc) or "readonly" in str(exc):
                    continue
                raise
            if version not in (0, SCHEMA_VERSION):
                con.close()
                raise StoreError(f"store: {str(self.path)!r} has schema version {version}; "
                                 f"this code reads version {SCHEMA_VERSION}")
            if version == 0:
                con.close()
                if n_tables == 0:
                    raise StoreError(f"store: {str(self.path)!r} is empty: no result has been "
                                     "written there yet (e.g. a run stopped before its first "
                                     "write); `sweep run` fills it")
                raise StoreError(f"store: {str(self.path)!r} is not a result store (no "
                                 "schema); give the path of a store written by `sweep run`")
            self._con = con
            return
        raise last

    # ------------------------------------------------------------------ plumbing
    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self):
                if store.readonly:
                    raise StoreError(f"store: {str(store.path)!r} was opened read-only; "
                                     "open it without readonly=True to write")
                store._con.execute("BEGIN IMMEDIATE", what="write to")

            def __exit__(self, exc_type, exc, tb):
                if exc_type is None:
                    try:
                        store._con.execute("COMMIT", what="write to")
                        return False
                    except StoreError:
                        self._rollback()
                        raise
                self._rollback()
                return False

            @staticmethod
            def _rollback():
                try:
                    store._con.execute("ROLLBACK", what="roll back")
                except StoreError:  # no transaction left open: nothing was written
                    pass

        return _Tx()

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self.close()
        return False

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: ``'ok'`` for a sound database.

        Returns
        -------
        str
            ``'ok'``, or SQLite's description of the damage.
        """
        return self._con.execute("PRAGMA integrity_check").fetchone()[0]

    def quick_check(self, what: str = "check") -> None:
        """Raise ``StoreError`` unless ``PRAGMA quick_check`` finds the file sound.

        Parameters
        ----------
        what : str
            What was being done (for the message of a failing SQLite call).

        Raises
        ------
        StoreError
            The file is damaged or cannot be read.
        """
        res = self._con.execute("PRAGMA quick_check", what=what).fetchone()[0]
        if res != "ok":
            raise StoreError(f"store: {str(self.path)!r} is damaged (sqlite quick_check: "
                             f"{res}); {_advice(ValueError('malformed'))}")

    # ------------------------------------------------------------------ writing (client only)
    def record_sweep(self, name: str, path: str | os.PathLike | None, source: str | None,
                     code_version: str, tasks: Sequence[tuple[str, str, dict]], *,
                     replace: bool = False) -> None:
        """Record a sweep's grid: ``tasks`` is a list of (key, claim, params) in grid order.

        A sweep of that name already stored with the same grid (same claims and points in the
        same order; keys may differ by code version) is updated. A different grid raises
        ``SweepConflictError`` naming both, unless ``replace`` is True: then the grid is
        replaced and the sweep's stored verdicts are dropped (one transaction).

        Parameters
        ----------
        name : str
            The sweep's name.
        path : str, os.PathLike or None
            Its TOML file, if any.
        source : str or None
            The TOML text.
        code_version : str
            The code version the grid was built with.
        tasks : sequence of (str, str, dict)
            (key, claim, params) in grid order.
        replace : bool
            Replace a different stored grid (see above).

        Raises
        ------
        SweepConflictError
            A different grid is stored under ``name`` and ``replace`` is False.
        StoreError
            A SQLite failure (or a read-only store).
        """
        with self._transaction():
            old = [(c, p) for c, p in self._con.execute(
                "SELECT claim, params FROM sweep_tasks WHERE sweep = ? ORDER BY idx", (name,))]
            new = [(c, _dumps(p)) for _, c, p in tasks]
            if old and old != new:
                if not replace:
                    prev = self._con.execute("SELECT path FROM sweeps WHERE name = ?",
                                             (name,)).fetchone()
                    src = f" from {prev[0]!r}" if prev and prev[0] else ""
                    raise SweepConflictError(
                        f"store: sweep {name!r} is already in {str(self.path)!r} with a "
                        f"different grid ({len(old)} task(s){src}; this one has {len(new)}); "
                        "give the new sweep another name (its TOML `name`), or pass --replace "
                        "(replace=True) to replace the stored grid and drop its verdicts")
                self._con.execute("DELETE FROM verdicts WHERE sweep = ?", (name,))
            self._con.execute("DELETE FROM sweep_tasks WHERE sweep = ?", (name,))
            self._con.executemany(
                "INSERT INTO sweep_tasks (sweep, idx, key, claim, params) VALUES (?, ?, ?, ?, ?)",
                [(name, i, k, c, _dumps(p)) for i, (k, c, p) in enumerate(tasks)])
            self._con.execute(
                "INSERT OR REPLACE INTO sweeps (name, path, source, code_version, n_tasks, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (name, None if path is None else str(path), source, code_version, len(tasks),
                 _now()))

    def write_result(self, *, key: str, sweep: str | None, claim: str, params: dict,
                     measured: dict | None, wall_time: float, versions: dict,
                     git_commit: str | None, host: str, status: str, traceback: str | None,
                     code_version: str, grid_index: int | None = None) -> bool:
        """Write one finished task in its own transaction; True when a row was written.

        An existing ``ok`` row is never overwritten; a ``failed`` row is replaced.

        Parameters
        ----------
        key : str
            The task key (``sweep.task_key``).
        sweep, claim : str
            The sweep (or None) and the claim.
        params, measured : dict
            The point and the measurement (None for a failed task).
        wall_time : float
            Seconds.
        versions : dict
            Package versions.
        git_commit : str or None
            The commit, if known.
        host : str
            The worker's host name.
        status : {"ok", "failed"}
            The task's status.
        traceback : str or None
            The failure's traceback.
        code_version : str
            The code version.
        grid_index : int or None
            Position in the sweep's grid.

        Returns
        -------
        bool
            Whether a row was written.

        Raises
        ------
        ValueError
            An unknown ``status``.
        StoreError
            A SQLite failure.
        """
        if status not in ("ok", "failed"):
            raise ValueError(f"status: must be 'ok' or 'failed', got {status!r}")
        with self._transaction():
            cur = self._con.execute(
                "INSERT INTO results (key, sweep, claim, params, measured, predicted, verdict, "
                "wall_time, versions, git_commit, host, status, traceback, finished_at, "
                "code_version, grid_index) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?) ON CONFLICT (key) DO UPDATE SET sweep = excluded.sweep, "
                "measured = excluded.measured, wall_time = excluded.wall_time, "
                "versions = excluded.versions, git_commit = excluded.git_commit, "
                "host = excluded.host, status = excluded.status, "
                "traceback = excluded.traceback, finished_at = excluded.finished_at, "
                "grid_index = excluded.grid_index WHERE results.status != 'ok'",
                (key, sweep, claim, _dumps(params),
                 None if measured is None else _dumps(measured), wall_time, _dumps(versions),
                 git_commit, host, status, traceback, _now(), code_version, grid_index))
            return cur.rowcount > 0

    def write_verdict(self, sweep: str, claim: str, *, record: ClaimRecord | None = None,
                      error: str | None = None, n_points: int, code_version: str,
                      keys: Sequence[str] = ()) -> None:
        """Save a claim-level verdict (``ClaimRecord`` or an error text), replacing any older
        one for (sweep, claim); with a record, set each task's ``predicted`` from it.

        Parameters
        ----------
        sweep, claim : str
            Which verdict.
        record : ClaimRecord or None
            The verdict.
        error : str or None
            Why no verdict could be reached.
        n_points : int
            Points the verdict is based on.
        code_version : str
            The code version.
        keys : sequence of str
            Task keys in the order of the record's per-point ``predicted``.
        """
        rec = None if record is None else record.to_dict()
        with self._transaction():
            self._con.execute(
                "INSERT OR REPLACE INTO verdicts (sweep, claim, record, holds, error, n_points, "
                "code_version, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep, claim, None if rec is None else _dumps(rec),
                 None if rec is None else int(bool(rec["holds"])), error, n_points,
                 code_version, _now()))
            if rec is not None:
                pred, ratio = rec.get("predicted"), rec.get("ratio")
                if isinstance(pred, list) and len(pred) == len(keys):
                    ratios = ratio if isinstance(ratio, list) and len(ratio) == len(keys) \
                        else [None] * len(keys)
                    self._con.executemany(
                        "UPDATE results SET predicted = ? WHERE key = ?",
                        [(_dumps({"value": p, "ratio": r}), k)
                         for k, p, r in zip(keys, pred, ratios, strict=True)])

    def delete_verdict(self, sweep: str, claim: str) -> None:
        """Delete the stored verdict of (sweep, claim), if any.

        Parameters
        ----------
        sweep, claim : str
            Which verdict.
        """
        with self._transaction():
            self._con.execute("DELETE FROM verdicts WHERE sweep = ? AND claim = ?",
                              (sweep, claim))

    # ------------------------------------------------------------------ reading
    def finished_keys(self) -> set[str]:
        """Keys of the tasks finished with status ``ok`` (failed tasks are not finished).

        Returns
        -------
        set of str
        """
        return {k for (k,) in self._con.execute("SELECT key FROM results WHERE status = 'ok'")}

    def failed_keys(self) -> set[str]:
        """Keys of the tasks whose last run failed.

        Returns
        -------
        set of str
        """
        return {k for (k,) in self._con.execute(
            "SELECT key FROM results WHERE status = 'failed'")}

    def rows(self, claim: str | None = None, sweep: str | None = None,
             status: str | None = "ok") -> list[dict]:
        """Result rows as dicts (keys ``ROW_FIELDS``; JSON columns decoded).

        ``claim``/``sweep`` filter (``sweep`` selects the tasks of that sweep's last grid, in
        grid order; otherwise rows come in the order first written); ``status`` is 'ok',
        'failed' or None for both.

        Parameters
        ----------
        claim, sweep : str or None
            Filters.
        status : {"ok", "failed", None}
            Row status to keep.

        Returns
        -------
        list of dict
            One dict per row.

        Raises
        ------
        ValueError
            A bad ``status``.
        """
        if status not in ("ok", "failed", None):
            raise ValueError(f"status: must be 'ok', 'failed' or None, got {status!r}")
        cols = ", ".join(f"r.{f}" for f in ROW_FIELDS)
        where, args = [], []
        if sweep is not None:
            sql = (f"SELECT {cols} FROM sweep_tasks s JOIN results r ON r.key = s.key")
            where.append("s.sweep = ?")
            args.append(sweep)
            order = " ORDER BY s.idx"
        else:
            sql = f"SELECT {cols} FROM results r"
            order = " ORDER BY r.rowid"
        if claim is not None:
            where.append("r.claim = ?")
            args.append(claim)
        if status is not None:
            where.append("r.status = ?")
            args.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = []
        for values in self._con.execute(sql + order, args):
            row = dict(zip(ROW_FIELDS, values, strict=True))
            for f in _JSON_FIELDS:
                row[f] = _loads(row[f])
            out.append(row)
        return out

    def results(self, claim: str, sweep: str | None = None) -> tuple[list[dict], list[Any]]:
        """``(points, measured)`` of the ok rows of ``claim``, ready for
        ``get_claim(claim).verdict(points, rows)``.

        With ``sweep``: that sweep's points in grid order. Without: every distinct point ever
        stored for the claim, in the order first written, each with its most recently finished
        row (rows of other code versions included).

        Parameters
        ----------
        claim : str
            The claim.
        sweep : str or None
            See above.

        Returns
        -------
        (list of dict, list)
            The points and their measurements.
        """
        if sweep is not None:
            rows = self.rows(claim=claim, sweep=sweep)
        else:
            order: list[str] = []
            latest: dict[str, dict] = {}
            for r in self.rows(claim=claim):
                p = _dumps(r["params"])
                if p not in latest:
                    order.append(p)
                if p not in latest or r["finished_at"] > latest[p]["finished_at"]:
                    latest[p] = r
            rows = [latest[p] for p in order]
        return [r["params"] for r in rows], [r["measured"] for r in rows]

    def sweep_tasks(self, sweep: str) -> list[tuple[str, str, dict]]:
        """The last recorded grid of ``sweep``: (key, claim, params) in grid order.

        Parameters
        ----------
        sweep : str
            The sweep's name.

        Returns
        -------
        list of (str, str, dict)
            Empty for an unknown sweep.
        """
        return [(k, c, json.loads(p)) for k, c, p in self._con.execute(
            "SELECT key, claim, params FROM sweep_tasks WHERE sweep = ? ORDER BY idx", (sweep,))]

    def sweeps(self) -> list[dict]:
        """The recorded sweeps: name, path, code_version, n_tasks, updated_at.

        Returns
        -------
        list of dict
            By name.
        """
        cols = ("name", "path", "code_version", "n_tasks", "updated_at")
        return [dict(zip(cols, v, strict=True)) for v in self._con.execute(
            f"SELECT {', '.join(cols)} FROM sweeps ORDER BY name")]

    def verdicts(self, claim: str | None = None, sweep: str | None = None) -> list[dict]:
        """Stored claim-level verdicts: dicts with sweep, claim, record (``ClaimRecord.to_dict()``
        or None), holds (bool or None), error, n_points, code_version, computed_at.

        Parameters
        ----------
        claim, sweep : str or None
            Filters.

        Returns
        -------
        list of dict
            By sweep, then claim.
        """
        cols = ("sweep", "claim", "record", "holds", "error", "n_points", "code_version",
                "computed_at")
        where, args = [], []
        if claim is not None:
            where.append("claim = ?")
            args.append(claim)
        if sweep is not None:
            where.append("sweep = ?")
            args.append(sweep)
        sql = f"SELECT {', '.join(cols)} FROM verdicts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = []
        for v in self._con.execute(sql + " ORDER BY sweep, claim", args):
            d = dict(zip(cols, v, strict=True))
            d["record"] = _loads(d["record"])
            d["holds"] = None if d["holds"] is None else bool(d["holds"])
            out.append(d)
        return out

    def status(self) -> list[dict]:
        """Per (sweep, claim): tasks in its grid, ok, failed, pending, and the verdict.

        Returns
        -------
        list of dict
            Keys sweep, claim, tasks, ok, failed, pending, holds, state, verdict_error.
        """
        out = []
        for sweep, claim, n, ok, failed in self._con.execute(
                "SELECT s.sweep, s.claim, COUNT(*), SUM(r.status = 'ok'), "
                "SUM(r.status = 'failed') FROM sweep_tasks s LEFT JOIN results r "
                "ON r.key = s.key GROUP BY s.sweep, s.claim ORDER BY s.sweep, MIN(s.idx)"):
            ok, failed = int(ok or 0), int(failed or 0)
            v = self.verdicts(claim=claim, sweep=sweep)
            out.append(dict(sweep=sweep, claim=claim, tasks=n, ok=ok, failed=failed,
                            pending=n - ok - failed, holds=v[0]["holds"] if v else None,
                            state=(v[0]["record"] or {}).get("state") if v else None,
                            verdict_error=v[0]["error"] if v else None))
        return out

    # ------------------------------------------------------------------ export
    def export(self, fmt: str, dest: str | os.PathLike | None = None, *,
               claim: str | None = None, sweep: str | None = None,
               status: str | None = "ok") -> str | None:
        """Write the rows in ``fmt`` ('csv', 'json' or 'parquet') to ``dest`` (a path; for csv
        and json also None, which returns the text).

        json: a list of row dicts (``rows()``). csv: one column per scalar field, JSON text for
        ``versions``/``predicted``, and flattened ``params.NAME``/``measured.NAME`` columns
        (floats written with ``repr``, so ``float(cell)`` restores them exactly; empty cell =
        missing). parquet: the csv table via pandas + pyarrow (an error names them if missing).

        Parameters
        ----------
        fmt : {"csv", "json", "parquet"}
            The format.
        dest : str, os.PathLike or None
            The output file; None returns the text (csv, json).
        claim, sweep, status
            Filters, as :meth:`rows`.

        Returns
        -------
        str or None
            The text when ``dest`` is None, else None.

        Raises
        ------
        ValueError
            An unknown format or status, parquet without pandas/pyarrow or without ``dest``.
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"format: must be one of {EXPORT_FORMATS}, got {fmt!r}")
        rows = self.rows(claim=claim, sweep=sweep, status=status)
        if fmt == "json":
            text = json.dumps(rows, indent=1)
            return _write_text(text, dest)
        header, table = flatten_rows(rows)
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(header)
            for r in table:
                w.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                            for v in r])
            return _write_text(buf.getvalue(), dest)
        try:
            import pandas as pd
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("format: parquet export needs pandas and pyarrow "
                             "(pip install 'diffbounds[parquet]')") from None
        if dest is None:
            raise ValueError("output: parquet export needs an output path")
        pd.DataFrame(table, columns=header).to_parquet(dest, index=False)
        return None

    def to_dataframe(self, *, claim: str | None = None, sweep: str | None = None,
                     status: str | None = "ok") -> pandas.DataFrame:
        """The rows as a ``pandas.DataFrame``: the table of ``export('csv')`` with typed cells.

        One row per stored task; columns are the scalar fields of ``ROW_FIELDS``, JSON text
        for ``versions``/``predicted``, and ``params.NAME``/``measured.NAME`` per parameter and
        measured quantity (lists as JSON text; a missing cell is NA). Filters as in ``rows()``.

        Parameters
        ----------
        claim, sweep : str, optional
            Only rows of this claim / the tasks of this sweep (in grid order).
        status : {"ok", "failed", None}
            Row status to keep; None keeps both.

        Returns
        -------
        pandas.DataFrame
            One row per stored task, columns as above (floats exactly as stored).

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install 'diffbounds[parquet]'``).
        ValueError
            For a bad ``status``.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe needs pandas: pip install "
                              "'diffbounds[parquet]' (or pandas)") from None
        header, table = flatten_rows(self.rows(claim=claim, sweep=sweep, status=status))
        return pd.DataFrame(table, columns=header)


def _write_text(text, dest):
    if dest is None:
        return text
    Path(dest).write_text(text)
    return None


def flatten_rows(rows: Sequence[dict]) -> tuple[list[str], list[list[Any]]]:
    """(header, table) of rows with ``params.*``/``measured.*`` flattened (csv, parquet).

    Parameters
    ----------
    rows : sequence of dict
        Rows of :meth:`ResultStore.rows`.

    Returns
    -------
    (list of str, list of list)
        The column names and one list of cells per row (lists and dicts as JSON text).

    Examples
    --------
    >>> row = dict.fromkeys(ROW_FIELDS)
    >>> row.update(params={"m": 10}, measured={"x": [1.0, 2.0]})
    >>> header, table = flatten_rows([row])
    >>> header[-2:], table[0][-2:]
    (['params.m', 'measured.x'], [10, '[1.0,2.0]'])
    """
    scalar = [f for f in ROW_FIELDS if f not in ("params", "measured")]
    pnames, mnames = [], []
    for r in rows:
        for k in r["params"]:
            if k not in pnames:
                pnames.append(k)
        for k in r["measured"] or {}:
            if k not in mnames:
                mnames.append(k)
    header = scalar + [f"params.{k}" for k in pnames] + [f"measured.{k}" for k in mnames]
    table = []
    for r in rows:
        line = [(_dumps(r[f]) if f in _JSON_FIELDS and r[f] is not None else r[f])
                for f in scalar]
        line += [_cell(r["params"].get(k)) for k in pnames]
        line += [_cell((r["measured"] or {}).get(k)) for k in mnames]
        table.append(line)
    return header, table


def _cell(v):
    return _dumps(v) if isinstance(v, (list, dict)) else v
