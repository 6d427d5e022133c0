"""Sweeps: a grid over claims' parameters in a TOML file, run as independent tasks, stored.

TOML format (``sweeps/quick.toml`` is an example)::

    name = "quick"                    # the sweep's name in the store (default: the file stem)
    description = "..."               # optional

    [[task]]                          # one block per claim and grid; ``[[sweep]]`` is a synonym
    claim = "discretization"          # a name from claims.registry.CLAIMS
    grid = { N = [20, 40, 80] }       # lists: their Cartesian product (last key fastest)
    fixed = { spacing = 0.05 }        # scalars added to every point
    points = [{ N = 10 }, { N = 30 }] # optional explicit points (each × grid, if both are given)
    seeds = [0, 1]                    # optional: adds a ``seed`` parameter (claims that have one)
    preset = "quick"                  # optional: the claim's own grid ("quick" or "full")

A block's points are its explicit ``points`` (or one empty point) × the ``grid`` product × the
``preset`` grid, each merged with ``fixed``, then × ``seeds``; a parameter given twice is an
error. Each point is completed with the claim's defaults (``Claim.complete``: unknown
parameters raise ``ValueError("params: ...")``); a value is coerced to its default's type
(int → float where the default is a float; an integral float → int where it is an int), so
equivalent spellings are one task, and then checked against the claim's declared types and
ranges (``Claim.parameter_specs``): a bool, string, NaN or out-of-range value raises
``ValueError`` naming the file, the ``[[task]]`` block, the point and the parameter when the
file is read, before any work. Points repeated in a sweep run once.

Task key: sha256 of the canonical JSON of ``{claim, point, code_version}``. The code version is
the ``diffbounds`` version plus a hash of the Python source of ``claims``, ``simulators`` and
``bounds`` (less the sweep/store/CLI plumbing): any change to that source invalidates stored
results (new keys, recomputed on the next run), so a store never mixes results of different
code under one key. Each worker recomputes the code version and a result whose worker
disagrees with the sweep's keys (the source changed during the sweep, or a remote Dask worker
runs other code) is stored as failed. The git commit is stored next to each row. Setting
``DIFFBOUNDS_CODE_VERSION`` pins the code version (you then vouch that the source did not
change what is measured).

Running (``run_sweep``): the grid is recorded in the store, finished keys (status ok) are
skipped, everything else — new and previously *failed* tasks — runs; workers compute and return
results, and the client alone writes each finished task as one transaction, so killing a sweep
at any moment (SIGKILL included) loses at most the tasks that were running; local workers and
their fork server end with the client (``diffbounds._procguard``, Linux), and Ctrl-C stops the
workers at once (they ignore SIGINT; the client handles it). A grid different from the one
stored under the sweep's name is refused unless ``replace=True`` (``claims.store``). Failures are
stored with their traceback and do not stop the sweep. When every task of a claim in the sweep
is ok, ``claim.verdict`` is computed from the store and saved (table ``verdicts``). Randomness
is counter-based and every point carries its seeds, so results are bitwise the same on any
executor and worker count.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import platform
import socket
import subprocess
import sys
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_SOURCE_PACKAGES = ("claims", "simulators", "bounds")
# Plumbing that cannot change a measurement: left out of the source hash.
_NOT_HASHED = ("claims/sweep.py", "claims/store.py")
_BLOCK_KEYS = {"claim", "grid", "fixed", "points", "seeds", "preset"}
_TOP_KEYS = {"name", "description", "task", "sweep"}
# Seconds a Dask client waits for an unreachable scheduler.
DASK_CONNECT_TIMEOUT = 5.0


# ---------------------------------------------------------------------------- code identity
@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed ``diffbounds`` version, else the one in the checkout's pyproject.toml."""
    from importlib import metadata

    try:
        return metadata.version("diffbounds")
    except metadata.PackageNotFoundError:
        try:
            with open(_ROOT / "pyproject.toml", "rb") as fh:
                return str(tomllib.load(fh)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


@lru_cache(maxsize=1)
def source_hash() -> str:
    """sha256 (first 16 hex digits) of the ``.py`` files of claims, simulators and bounds,
    except the sweep/store/CLI plumbing (``_NOT_HASHED``)."""
    h = hashlib.sha256()
    for pkg in _SOURCE_PACKAGES:
        for f in sorted((_ROOT / pkg).rglob("*.py")):
            rel = f.relative_to(_ROOT)
            if "__pycache__" in f.parts or any(rel.match(pat) for pat in _NOT_HASHED):
                continue
            h.update(rel.as_posix().encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def code_version() -> str:
    """``"<diffbounds version>+src.<source hash>"`` (module docstring), or the value of the
    environment variable ``DIFFBOUNDS_CODE_VERSION`` when set (a pin: tests use it to stay
    independent of concurrent source edits; workers inherit it).

    Returns
    -------
    str
    """
    pinned = os.environ.get("DIFFBOUNDS_CODE_VERSION")
    return pinned if pinned else f"{package_version()}+src.{source_hash()}"


def git_commit() -> str | None:
    """The checkout's HEAD commit, or None outside a git checkout.

    Returns
    -------
    str or None
        40 hexadecimal digits.
    """
    try:
        out = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


@lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    """Python and package versions of this process (stored with every row)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version(),
                                  "diffbounds": package_version()}
    for dist in ("numpy", "scipy", "sympy", "numba", "pot"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def task_key(claim: str, point: dict, code: str | None = None) -> str:
    """sha256 of canonical JSON {claim, point, code_version} (point completed by the caller).

    Parameters
    ----------
    claim : str
        The claim's name.
    point : dict
        The completed point (every parameter).
    code : str or None
        The code version; None for this process's ``code_version()``.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> key = task_key("figure_1", {"m": 10}, code="v0")
    >>> len(key), key == task_key("figure_1", {"m": 10}, code="v1")
    (64, False)
    """
    blob = json.dumps({"claim": claim, "point": point,
                       "code_version": code_version() if code is None else code},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# ---------------------------------------------------------------------------- sweep files
@dataclass(frozen=True)
class Task:
    """One grid point of a sweep: ``index`` in the sweep's grid, completed ``point``, ``key``.

    Attributes
    ----------
    index : int
        Position in the sweep's grid.
    claim : str
        The claim.
    point : dict
        The completed point.
    key : str
        Its :func:`task_key`.
    """

    index: int
    claim: str
    point: dict
    key: str


@dataclass
class Sweep:
    """A loaded sweep file: its ``name``, ``tasks`` in grid order, and provenance.

    Attributes
    ----------
    name : str
        The sweep's name.
    tasks : list of Task
        In grid order, without duplicates.
    path : str or None
        The file it was read from.
    source : str or None
        The TOML text.
    description : str
        The file's description.
    code_version : str
        The code version of the task keys.
    """

    name: str
    tasks: list[Task]
    path: str | None = None
    source: str | None = None
    description: str = ""
    code_version: str = ""

    @property
    def claims(self) -> list[str]:
        """The claims of the tasks, in order of first appearance."""
        return list(dict.fromkeys(t.claim for t in self.tasks))


def _coerce(name, value, default, where):
    if isinstance(value, bool) or isinstance(default, bool) or default is None:
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, int) and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{where}: params: {name}: must be an integer (its default is "
                             f"{default!r}), got {value!r}")
        return int(value)
    return value


def _block_points(block, claim, where) -> list[dict]:
    for k in ("grid", "fixed"):
        if k in block and not isinstance(block[k], dict):
            raise ValueError(f"{where}: {k} must be a table, got {type(block[k]).__name__}")
    grid, fixed = block.get("grid", {}), block.get("fixed", {})
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            raise ValueError(f"{where}: grid.{k} must be a non-empty list, got {v!r}")
    for k, v in fixed.items():
        if isinstance(v, (list, dict)):
            raise ValueError(f"{where}: fixed.{k} must be a scalar, got {v!r}")
    explicit = block.get("points", [{}])
    if not isinstance(explicit, list) or not explicit or \
            not all(isinstance(p, dict) for p in explicit):
        raise ValueError(f"{where}: points must be a non-empty list of tables")
    preset = block.get("preset")
    presets: list[dict[str, Any]]
    if preset is None:
        presets = [{}]
    elif preset in ("quick", "full"):
        presets = claim.grid_fn(preset == "quick")
    else:
        raise ValueError(f"{where}: preset must be 'quick' or 'full', got {preset!r}")
    product = [dict(zip(grid, combo, strict=True))
               for combo in itertools.product(*grid.values())]
    points = []
    for p, g, pre in itertools.product(explicit, product, presets):
        point: dict[str, Any] = {}
        for part in (pre, p, g, fixed):
            twice = sorted(set(point) & set(part))
            if twice and part is not pre:
                raise ValueError(f"{where}: parameter(s) {twice} given twice (points, grid, "
                                 f"fixed and preset must not overlap)")
            point.update(part)
        points.append(point)
    if "seeds" in block:
        seeds = block["seeds"]
        if "seed" not in claim.parameters:
            raise ValueError(f"{where}: seeds: claim {claim.name!r} has no 'seed' parameter")
        if not isinstance(seeds, list) or not seeds or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
            raise ValueError(f"{where}: seeds must be a non-empty list of integers >= 0, "
                             f"got {seeds!r}")
        if any("seed" in p for p in points):
            raise ValueError(f"{where}: seed given both in seeds and in the points")
        points = [{**p, "seed": s} for p in points for s in seeds]
    out = []
    for i, p in enumerate(points):
        try:
            full = claim.complete(p)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        full = {k: _coerce(k, v, claim.parameters[k], where) for k, v in full.items()}
        try:
            claim.validate(full)  # declared types and ranges (Claim.parameter_specs)
        except ValueError as exc:
            given = {k: v for k, v in p.items()}
            raise ValueError(f"{where}: point {i + 1} {given}: params: {exc}") from None
        out.append(full)
    return out


def parse_sweep(text: str, *, name: str | None = None,
                path: str | os.PathLike | None = None) -> Sweep:
    """A ``Sweep`` from TOML text (module docstring). Errors name ``path`` and, for malformed
    TOML, the line.

    Parameters
    ----------
    text : str
        The TOML text.
    name : str or None
        The sweep's name when the text has none.
    path : str, os.PathLike or None
        Where the text came from (for messages and provenance).

    Returns
    -------
    Sweep

    Raises
    ------
    ValueError
        Malformed TOML, unknown keys, an unknown claim, or a point outside the claim's
        declared parameters.

    Examples
    --------
    >>> text = '''
    ... name = "demo"
    ... [[task]]
    ... claim = "figure_1"
    ... '''
    >>> sweep = parse_sweep(text)
    >>> sweep.name, sweep.claims
    ('demo', ['figure_1'])
    """
    from diffbounds.claims.registry import get_claim

    label = "<sweep>" if path is None else str(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{label}: malformed TOML: {exc}") from None
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"{label}: unknown top-level key(s) {unknown}; known: "
                         f"{sorted(_TOP_KEYS)}")
    sweep_name = doc.get("name", name)
    if not isinstance(sweep_name, str) or not sweep_name:
        raise ValueError(f"{label}: name must be a non-empty string, got {sweep_name!r}")
    blocks = list(doc.get("task", [])) + list(doc.get("sweep", []))
    if not blocks or not all(isinstance(b, dict) for b in blocks):
        raise ValueError(f"{label}: needs at least one [[task]] table")
    code = code_version()
    tasks: list[Task] = []
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"{label}: [[task]] #{i + 1}"
        bad = sorted(set(block) - _BLOCK_KEYS)
        if bad:
            raise ValueError(f"{where}: unknown key(s) {bad}; known: {sorted(_BLOCK_KEYS)}")
        if not isinstance(block.get("claim"), str):
            raise ValueError(f"{where}: claim must be a string naming a claim")
        try:
            claim = get_claim(block["claim"])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        where = f"{where} (claim {claim.name!r})"
        for point in _block_points(block, claim, where):
            key = task_key(claim.name, point, code)
            if key not in seen:
                seen.add(key)
                tasks.append(Task(len(tasks), claim.name, point, key))
    return Sweep(sweep_name, tasks, None if path is None else str(path), text,
                 str(doc.get("description", "")), code)


def load_sweep(path: str | os.PathLike) -> Sweep:
    """Read and validate a sweep file (``ValueError`` naming the file on any problem).

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file.

    Returns
    -------
    Sweep

    Raises
    ------
    TypeError
        ``path`` is not a path.
    ValueError
        The file cannot be read or is not a valid sweep.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ValueError(f"path: cannot read sweep file {str(p)!r}: {exc}") from None
    return parse_sweep(text, name=p.stem, path=p)


# ---------------------------------------------------------------------------- executing
def _plain(v):
    """Numbers and containers as plain Python (bitwise: float64 → float)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "tolist"):  # numpy scalars and arrays
        return _plain(v.tolist())
    return v


def execute_task(claim: str, point: dict) -> dict:
    """Run one task (on a worker): measure and report; never raises for a failing measure.

    Parameters
    ----------
    claim : str
        The claim's name.
    point : dict
        Keyword arguments of its ``measure``.

    Returns
    -------
    dict
        host, versions, code_version, status ("ok" or "failed"), measured (plain Python, or
        None), traceback (or None) and wall_time (s).
    """
    from diffbounds.claims.registry import get_claim

    t0 = time.perf_counter()
    out: dict[str, Any] = dict(host=socket.gethostname(), versions=versions(),
                               code_version=code_version())
    try:
        measured = _plain(get_claim(claim).measure(**point))
        if not isinstance(measured, dict):
            raise TypeError(f"measure of {claim!r} returned {type(measured).__name__}, "
                            "not a dict")
        out.update(status="ok", measured=measured, traceback=None)
    except Exception:
        out.update(status="failed", measured=None, traceback=traceback.format_exc())
    out["wall_time"] = time.perf_counter() - t0
    return out


@dataclass
class SweepSummary:
    """What ``run_sweep`` did. ``verdicts`` maps claim → its state ("holds", "fails",
    "inconclusive"), or None when not computed (failed or missing tasks), or the error text
    of a verdict that raised.

    Attributes
    ----------
    name, store : str
        The sweep and the store path.
    total, skipped, computed, ok, failed : int
        Task counts (skipped: already in the store).
    seconds : float
        Wall time.
    executor : str
        Where the tasks ran.
    verdicts : dict
        See above.
    """

    name: str
    store: str
    total: int
    skipped: int
    computed: int
    ok: int
    failed: int
    seconds: float
    executor: str
    verdicts: dict = field(default_factory=dict)

    def line(self) -> str:
        """One line for the terminal.

        Returns
        -------
        str
        """
        v = ", ".join(f"{c}: {h.upper() if h in ('fails', 'inconclusive') else h}"
                      for c, h in self.verdicts.items())
        return (f"sweep {self.name}: {self.total} tasks, {self.skipped} already done, "
                f"{self.computed} run ({self.ok} ok, {self.failed} failed) in "
                f"{self.seconds:.1f} s on {self.executor}; store {self.store}"
                + (f"; verdicts: {v}" if v else ""))


class _Progress:
    """done/total, failures and ETA via tqdm when installed; silent otherwise."""

    def __init__(self, enabled, total, initial, name):
        self.failed = 0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, initial=initial, desc=f"sweep {name}", unit="task",
                            file=sys.stderr, dynamic_ncols=True)
            self.bar.set_postfix(failed=0)

    def update(self, ok):
        if self.bar is not None:
            if not ok:
                self.failed += 1
                self.bar.set_postfix(failed=self.failed)
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _check_workers(workers):
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers: must be an int, got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers: must be >= 1, got {workers}")
    return workers


def _parse_dask(dask):
    """('local', n or None) or ('address', address)."""
    if not isinstance(dask, str):
        raise TypeError(f"dask: must be a str, got {type(dask).__name__}")
    if dask == "local" or dask.startswith("local:"):
        n = dask[len("local:"):] if ":" in dask else ""
        if n and (not n.isdigit() or int(n) < 1):
            raise ValueError(f"dask: 'local:N' needs an integer N >= 1, got {dask!r}")
        return "local", (int(n) if n else None)
    scheme, sep, rest = dask.partition("://")
    if not sep or scheme not in ("tcp", "tls", "ws", "wss", "ucx", "inproc") or not rest:
        raise ValueError(f"dask: expected 'local', 'local:N' or a scheduler address like "
                         f"'tcp://HOST:PORT', got {dask!r}")
    return "address", dask


def _local_runs(tasks, workers):
    """Yield (task, result) as tasks finish on a process pool (in-process for 1 worker)."""
    if workers == 1 or len(tasks) <= 1:
        for t in tasks:
            yield t, execute_task(t.claim, t.point)
        return
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # numba + fork is unsafe: workers start from a fork server (spawn where there is none).
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods()
                         else "spawn")
    # Workers end when this process dies, even by SIGKILL (diffbounds._procguard): the fork
    # server (started here, with the guard as its preload) dies with us, the workers with it.
    from diffbounds import _procguard

    os.environ[_procguard.PARENT_ENV] = str(os.getpid())
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["diffbounds._procguard"])
    queue = list(reversed(tasks))
    window = 2 * workers
    while queue:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(queue)), mp_context=ctx,
                                   initializer=_procguard.worker_init,
                                   initargs=(os.getpid(),))
        running = {}
        finished = False
        try:
            while queue or running:
                while queue and len(running) < window:
                    t = queue.pop()
                    running[pool.submit(execute_task, t.claim, t.point)] = t
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    t = running.pop(fut)
                    try:
                        yield t, fut.result()
                    except BrokenProcessPool:
                        broken = True
                        yield t, _crashed(t)
                if broken:
                    for t in running.values():
                        yield t, _crashed(t)
                    running = {}
                    break
            finished = True
        finally:
            for fut in running:
                fut.cancel()
            if not finished:  # interrupted (Ctrl-C, an error): stop the workers now
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.kill()
            pool.shutdown(wait=True, cancel_futures=True)


def _crashed(task, what="a worker process died (BrokenProcessPool)"):
    return dict(status="failed", measured=None, wall_time=None, host=None, versions=versions(),
                code_version=code_version(),
                traceback=f"{what} while task {task.index} was running or queued")


def _dask_client(spec, workers):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("dask: the Dask executor needs the optional extra "
                         "(pip install 'diffbounds[dask]' or 'dask[distributed]')") from None
    kind, arg = spec
    if kind == "local":
        n = arg or workers
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        return Client(cluster), cluster, f"dask LocalCluster({n})"
    try:
        client = Client(arg, timeout=f"{DASK_CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"dask: cannot reach a scheduler at {arg!r} within "
                         f"{DASK_CONNECT_TIMEOUT:g} s ({type(exc).__name__}: {exc})") from None
    return client, None, f"dask {arg}"


def _dask_runs(tasks, client):
    from distributed import as_completed

    n_workers = max(1, len(client.nthreads()))
    queue = list(reversed(tasks))
    running = {}

    def submit(t):
        fut = client.submit(execute_task, t.claim, t.point, pure=False,
                            key=f"diffbounds-{t.key}-{time.monotonic_ns()}")
        running[fut] = t
        return fut

    ac = as_completed([submit(queue.pop()) for _ in range(min(2 * n_workers, len(queue)))])
    for fut in ac:
        t = running.pop(fut)
        try:
            result = fut.result()
        except Exception as exc:  # the task itself never raises: a worker was lost
            result = _crashed(t, f"the Dask task failed ({type(exc).__name__}: {exc})")
        yield t, result
        if queue:
            ac.add(submit(queue.pop()))


def run_sweep(sweep: Sweep | str | os.PathLike, store_path: str | os.PathLike, *,
              workers: int | None = None, dask: str | None = None, progress: bool = True,
              replace: bool = False) -> SweepSummary:
    """Run ``sweep`` (a ``Sweep`` or a path to its TOML) into the store at ``store_path``.

    ``workers``: local worker processes (default: the number of cores; 1 runs in-process).
    ``dask``: None (local processes), ``"local"``/``"local:N"`` (a LocalCluster of N single-
    threaded worker processes on 127.0.0.1; N defaults to ``workers``), or a scheduler address
    ``"tcp://HOST:PORT"`` (ValueError if unreachable within ``DASK_CONNECT_TIMEOUT`` s).
    ``progress``: a tqdm bar on stderr when tqdm is installed.
    ``replace``: allow a grid different from the one stored under the sweep's name (the stored
    grid and its verdicts are replaced); otherwise that raises ``SweepConflictError``.
    Returns a ``SweepSummary``. Guarantees: module docstring. Store failures raise
    ``claims.store.StoreError`` (one line; the interrupted write is rolled back). A
    ``KeyboardInterrupt`` stops the workers and propagates; every task finished before it is
    stored.

    Parameters
    ----------
    sweep : Sweep, str or os.PathLike
        See above.
    store_path : str or os.PathLike
        The result store.
    workers : int or None
        See above.
    dask : str or None
        See above.
    progress : bool
        See above.
    replace : bool
        See above.

    Returns
    -------
    SweepSummary

    Raises
    ------
    TypeError, ValueError
        A bad sweep, worker count or dask specification.
    SweepConflictError
        A different grid is stored under the sweep's name and ``replace`` is False.
    StoreError
        A store failure.
    """
    from diffbounds.claims.registry import get_claim
    from diffbounds.claims.store import ResultStore

    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    workers = _check_workers(workers)
    spec = None if dask is None else _parse_dask(dask)
    t0 = time.perf_counter()
    store = ResultStore(store_path)
    try:
        store.record_sweep(sweep.name, sweep.path, sweep.source, sweep.code_version,
                           [(t.key, t.claim, t.point) for t in sweep.tasks], replace=replace)
        done = store.finished_keys()
        todo = [t for t in sweep.tasks if t.key not in done]
        commit = git_commit()
        client = cluster = None
        if spec is None:
            executor = f"{min(workers, max(len(todo), 1))} local worker(s)" \
                if workers > 1 else "1 worker (in-process)"
        else:
            client, cluster, executor = _dask_client(spec, workers) if todo else \
                (None, None, "dask (nothing to run)")
        bar = _Progress(progress, len(sweep.tasks), len(sweep.tasks) - len(todo), sweep.name)
        n_ok = n_failed = 0
        try:
            runs = _local_runs(todo, workers) if spec is None else \
                (_dask_runs(todo, client) if todo else iter(()))
            for task, res in runs:
                status, tb = res["status"], res["traceback"]
                if status == "ok" and res["code_version"] != sweep.code_version:
                    status, tb = "failed", (f"code version mismatch: the worker runs "
                                            f"{res['code_version']}, the sweep's keys are for "
                                            f"{sweep.code_version}")
                store.write_result(
                    key=task.key, sweep=sweep.name, claim=task.claim, params=task.point,
                    measured=res["measured"] if status == "ok" else None,
                    wall_time=res["wall_time"], versions=res["versions"], git_commit=commit,
                    host=res["host"], status=status, traceback=tb,
                    code_version=sweep.code_version, grid_index=task.index)
                n_ok += status == "ok"
                n_failed += status != "ok"
                bar.update(status == "ok")
        finally:
            bar.close()
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        verdicts = {}
        for name in sweep.claims:
            verdicts[name] = _store_verdict(store, sweep, get_claim(name))
    finally:
        store.close()
    return SweepSummary(sweep.name, str(store_path), len(sweep.tasks),
                        len(sweep.tasks) - len(todo), len(todo), n_ok, n_failed,
                        time.perf_counter() - t0, executor, verdicts)


def _store_verdict(store, sweep, claim):
    """Compute and save the claim's verdict over the sweep when all its tasks are ok."""
    keys = [t.key for t in sweep.tasks if t.claim == claim.name]
    rows = store.rows(claim=claim.name, sweep=sweep.name)
    if len(rows) != len(keys):
        store.delete_verdict(sweep.name, claim.name)
        return None
    points, measured = [r["params"] for r in rows], [r["measured"] for r in rows]
    try:
        record = claim.verdict(points, measured)
    except Exception as exc:
        msg = f"{type(exc).__name__}: {exc}"
        store.write_verdict(sweep.name, claim.name, error=msg, n_points=len(points),
                            code_version=sweep.code_version)
        return msg
    store.write_verdict(sweep.name, claim.name, record=record, n_points=len(points),
                        code_version=sweep.code_version, keys=[r["key"] for r in rows])
    return record.state
